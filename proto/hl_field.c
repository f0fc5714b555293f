/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_field - the per-type field table of design §3 and the checks of one
    field's value. Which strings a kind or status field accepts is
    hl_names' business: a spec names the parser, never a list.
*/
#include <string.h>

#include "hl_codec.h"
#include "hl_err.h"
#include "hl_field.h"
#include "hl_names.h"

#define S_LONG 1024 //  reasons, texts, errors

#define STR(k, f, fl, len, cs, parse)                                          \
    {                                                                          \
        k, sizeof (k) - 1, f, HL_FIELD_KIND_STR, fl, cs, parse, 0, 0, len      \
    }
#define NUM(k, f, kind, fl, lo, hi)                                            \
    {                                                                          \
        k, sizeof (k) - 1, f, HL_FIELD_KIND_##kind, fl, 0, NULL, lo, hi, 0     \
    }
#define VAL(k, f, kind, fl)                                                    \
    {                                                                          \
        k, sizeof (k) - 1, f, HL_FIELD_KIND_##kind, fl, 0, NULL, 0, 0, 0       \
    }
#define NAME(k, f)                                                             \
    STR (k, f, HL_FIELD_REQUIRED, HL_MAX_NAME, HL_FIELD_CHARSET_ANY, NULL)
#define EVENT(k, f, fl)                                                        \
    STR (k, f, (fl) | HL_FIELD_NONEMPTY, HL_MAX_NAME, HL_FIELD_CHARSET_EVENT,  \
         NULL)
#define TEXT(k, f, fl, len) STR (k, f, fl, len, HL_FIELD_CHARSET_ANY, NULL)
#define METRIC_NAME                                                            \
    STR ("name", HL_FIELD_NAME, HL_FIELD_REQUIRED | HL_FIELD_NONEMPTY,         \
         HL_MAX_METRIC, HL_FIELD_CHARSET_METRIC, NULL)
#define TASK_ID NUM ("task_id", HL_FIELD_TASK_ID, U64, HL_FIELD_REQUIRED, 1, 0)
#define REQ HL_FIELD_REQUIRED

static const hl_field_spec_t s_hello[] = {
    NAME ("role", HL_FIELD_ROLE),
    NUM ("capacity", HL_FIELD_CAPACITY, U32, REQ, 1, 1024),
    NAME ("host", HL_FIELD_HOST),
    NUM ("pid", HL_FIELD_PID, U32, REQ, 0, 0),
    NAME ("version", HL_FIELD_VERSION),
    VAL ("actions", HL_FIELD_ACTIONS, ACTIONS, 0),
    //  A node's labels and agents, an agent's node (design §9)
    VAL ("data", HL_FIELD_DATA, MAP, 0),
};
static const hl_field_spec_t s_welcome[] = {
    NUM ("heartbeat_ms", HL_FIELD_HEARTBEAT_MS, U32, REQ, 10, 3600000),
    NUM ("liveness", HL_FIELD_LIVENESS, U32, REQ, 1, 100),
    NAME ("session", HL_FIELD_SESSION),
};
static const hl_field_spec_t s_heartbeat[] = {
    NUM ("inflight", HL_FIELD_INFLIGHT, U32, REQ, 0, 0),
    //  The master's, when it changes the period it told in the welcome
    NUM ("heartbeat_ms", HL_FIELD_HEARTBEAT_MS, U32, 0, 10, 3600000),
    //  A node's agents; the master's order to a node (design §9)
    VAL ("data", HL_FIELD_DATA, MAP, 0),
};
static const hl_field_spec_t s_task[] = {
    TASK_ID,
    STR ("kind", HL_FIELD_KIND, REQ, HL_MAX_NAME, HL_FIELD_CHARSET_ANY,
         hl_kind_parse),
    NUM ("priority", HL_FIELD_PRIORITY, U32, REQ, 1, 4),
    NUM ("attempt", HL_FIELD_ATTEMPT, U32, REQ, 1, 100),
    NUM ("emergency", HL_FIELD_EMERGENCY, BOOL, 0, 0, 0),
    NUM ("deadline_ms", HL_FIELD_DEADLINE_MS, U32, 0, 0, 0),
    VAL ("args", HL_FIELD_ARGS, MAP, 0),
    EVENT ("event", HL_FIELD_EVENT, 0),
    VAL ("data", HL_FIELD_DATA, ANY, 0),
};
static const hl_field_spec_t s_progress[] = {
    TASK_ID,
    NUM ("pct", HL_FIELD_PCT, U32, REQ, 0, 100),
    TEXT ("note", HL_FIELD_NOTE, 0, HL_MAX_STR),
};
static const hl_field_spec_t s_result[] = {
    TASK_ID,
    STR ("status", HL_FIELD_STATUS, REQ, HL_MAX_NAME, HL_FIELD_CHARSET_ANY,
         hl_status_parse),
    //  Read as int64 microseconds downstream: past INT64_MAX it wraps
    NUM ("duration_us", HL_FIELD_DURATION_US, U64, REQ, 0, INT64_MAX),
    VAL ("data", HL_FIELD_DATA, ANY, 0),
};
static const hl_field_spec_t s_cancel[] = {
    TASK_ID,
};
static const hl_field_spec_t s_bye[] = {
    TEXT ("reason", HL_FIELD_REASON, REQ, S_LONG),
};
static const hl_field_spec_t s_error[] = {
    NUM ("code", HL_FIELD_CODE, I64, REQ, 0, 0),
    TEXT ("text", HL_FIELD_TEXT, REQ, S_LONG),
};
static const hl_field_spec_t s_request[] = {
    NAME ("op", HL_FIELD_OP),
    VAL ("args", HL_FIELD_ARGS, MAP, 0),
};
static const hl_field_spec_t s_reply[] = {
    NUM ("ok", HL_FIELD_OK, BOOL, REQ, 0, 0),
    VAL ("data", HL_FIELD_DATA, ANY, 0),
    TEXT ("error", HL_FIELD_ERROR, 0, S_LONG),
    NUM ("next", HL_FIELD_NEXT, U64, 0, 0, 0),
    NUM ("more", HL_FIELD_MORE, U64, 0, 0, 0),
};
static const hl_field_spec_t s_metric[] = {
    METRIC_NAME,
    NUM ("value", HL_FIELD_VALUE, DBL, REQ, 0, 0),
    NUM ("ts", HL_FIELD_SAMPLE_TS, I64, REQ, 0, 0),
    VAL ("tags", HL_FIELD_TAGS, TAGS, 0),
};
static const hl_field_spec_t s_metrics[] = {
    VAL ("samples", HL_FIELD_SAMPLES, SAMPLES, REQ),
};
static const hl_field_spec_t s_kpi[] = {
    METRIC_NAME,
    NUM ("ts", HL_FIELD_SAMPLE_TS, I64, REQ, 0, 0),
    NUM ("count", HL_FIELD_COUNT, U64, REQ, 0, 0),
    NUM ("mean", HL_FIELD_MEAN, DBL, REQ, 0, 0),
    NUM ("p50", HL_FIELD_P50, DBL, REQ, 0, 0),
    NUM ("p95", HL_FIELD_P95, DBL, REQ, 0, 0),
    NUM ("min", HL_FIELD_MIN, DBL, REQ, 0, 0),
    NUM ("max", HL_FIELD_MAX, DBL, REQ, 0, 0),
};
static const hl_field_spec_t s_health[] = {
    NUM ("score", HL_FIELD_SCORE, DBL, REQ | HL_FIELD_PERCENT, 0, 0),
    NAME ("state", HL_FIELD_STATE),
    VAL ("data", HL_FIELD_DATA, MAP, 0),
};
static const hl_field_spec_t s_cycle[] = {
    NUM ("cycle_id", HL_FIELD_CYCLE_ID, U64, REQ, 0, 0),
    EVENT ("event", HL_FIELD_EVENT, REQ),
    VAL ("data", HL_FIELD_DATA, MAP, 0),
};
static const hl_field_spec_t s_agent[] = {
    NAME ("name", HL_FIELD_NAME),
    NAME ("role", HL_FIELD_ROLE),
    EVENT ("event", HL_FIELD_EVENT, REQ),
    VAL ("data", HL_FIELD_DATA, MAP, 0),
};
static const hl_field_spec_t s_alert[] = {
    EVENT ("severity", HL_FIELD_SEVERITY, REQ),
    TEXT ("text", HL_FIELD_TEXT, REQ, S_LONG),
    VAL ("data", HL_FIELD_DATA, MAP, 0),
};

//  A METRICS sample's name, held to the METRIC name's rules
static const hl_field_spec_t s_sample_name = METRIC_NAME;

#define S_SPECS(specs)                                                         \
    {                                                                          \
        specs, sizeof (specs) / sizeof (specs[0])                              \
    }
static const struct {
    const hl_field_spec_t *specs;
    size_t count;
} s_types[HL_MSG_TYPE_END] = {
    [HL_MSG_HELLO] = S_SPECS (s_hello),
    [HL_MSG_WELCOME] = S_SPECS (s_welcome),
    [HL_MSG_HEARTBEAT] = S_SPECS (s_heartbeat),
    [HL_MSG_TASK] = S_SPECS (s_task),
    [HL_MSG_PROGRESS] = S_SPECS (s_progress),
    [HL_MSG_RESULT] = S_SPECS (s_result),
    [HL_MSG_CANCEL] = S_SPECS (s_cancel),
    [HL_MSG_BYE] = S_SPECS (s_bye),
    [HL_MSG_ERROR] = S_SPECS (s_error),
    [HL_MSG_REQUEST] = S_SPECS (s_request),
    [HL_MSG_REPLY] = S_SPECS (s_reply),
    [HL_MSG_METRIC] = S_SPECS (s_metric),
    [HL_MSG_METRICS] = S_SPECS (s_metrics),
    [HL_MSG_KPI] = S_SPECS (s_kpi),
    [HL_MSG_HEALTH] = S_SPECS (s_health),
    [HL_MSG_CYCLE] = S_SPECS (s_cycle),
    [HL_MSG_AGENT] = S_SPECS (s_agent),
    [HL_MSG_ALERT] = S_SPECS (s_alert),
};

const hl_field_spec_t *
hl_field_specs (hl_msg_type_t type, size_t *count_p)
{
    bool valid = type >= HL_MSG_HELLO && type < HL_MSG_TYPE_END;
    if (count_p)
        *count_p = valid ? s_types[type].count : 0;
    return valid ? s_types[type].specs : NULL;
}

const hl_field_spec_t *
hl_field_spec (hl_msg_type_t type, hl_field_t field)
{
    size_t count;
    const hl_field_spec_t *specs = hl_field_specs (type, &count);
    for (size_t i = 0; i < count; i++)
        if (specs[i].field == field)
            return &specs[i];
    return NULL;
}

//  The charsets each byte is in: bit 0 event [a-z0-9_-], bit 1 metric
//  (the same and [A-Z.:]); every other byte, 128..255 included, in none.
//  A table keeps the per-byte loop to one load and one test: it runs for
//  every metric name encoded or decoded.
#define S_EVENT 1
#define S_METRIC 2
#define S_E (S_EVENT | S_METRIC)
#define S_M S_METRIC
static const uint8_t s_chars[256] = {
    ['-'] = S_E, ['.'] = S_M, ['0'] = S_E, ['1'] = S_E, ['2'] = S_E,
    ['3'] = S_E, ['4'] = S_E, ['5'] = S_E, ['6'] = S_E, ['7'] = S_E,
    ['8'] = S_E, ['9'] = S_E, [':'] = S_M, ['A'] = S_M, ['B'] = S_M,
    ['C'] = S_M, ['D'] = S_M, ['E'] = S_M, ['F'] = S_M, ['G'] = S_M,
    ['H'] = S_M, ['I'] = S_M, ['J'] = S_M, ['K'] = S_M, ['L'] = S_M,
    ['M'] = S_M, ['N'] = S_M, ['O'] = S_M, ['P'] = S_M, ['Q'] = S_M,
    ['R'] = S_M, ['S'] = S_M, ['T'] = S_M, ['U'] = S_M, ['V'] = S_M,
    ['W'] = S_M, ['X'] = S_M, ['Y'] = S_M, ['Z'] = S_M, ['_'] = S_E,
    ['a'] = S_E, ['b'] = S_E, ['c'] = S_E, ['d'] = S_E, ['e'] = S_E,
    ['f'] = S_E, ['g'] = S_E, ['h'] = S_E, ['i'] = S_E, ['j'] = S_E,
    ['k'] = S_E, ['l'] = S_E, ['m'] = S_E, ['n'] = S_E, ['o'] = S_E,
    ['p'] = S_E, ['q'] = S_E, ['r'] = S_E, ['s'] = S_E, ['t'] = S_E,
    ['u'] = S_E, ['v'] = S_E, ['w'] = S_E, ['x'] = S_E, ['y'] = S_E,
    ['z'] = S_E,
};

static bool
s_charset_ok (const char *s, hl_field_charset_t charset)
{
    uint8_t mask = charset == HL_FIELD_CHARSET_METRIC ? S_METRIC : S_EVENT;
    for (; *s; s++)
        if (!(s_chars[(uint8_t)*s] & mask))
            return false;
    return true;
}

int
hl_field_check_str (const hl_field_spec_t *spec, const char *s, bool deep)
{
    size_t len = strlen (s);
    if (len > spec->maxlen)
        return HL_ERR_STRING;
    if ((spec->flags & HL_FIELD_NONEMPTY) && len == 0)
        return HL_ERR_RANGE;
    if (spec->charset != HL_FIELD_CHARSET_ANY
        && !s_charset_ok (s, (hl_field_charset_t)spec->charset))
        return HL_ERR_RANGE;
    if (deep && spec->charset == HL_FIELD_CHARSET_ANY
        && !hl_codec_utf8_ok (s, len))
        return HL_ERR_UTF8;
    if (spec->parse && spec->parse (s) < 0)
        return HL_ERR_RANGE;
    return 0;
}

static int
s_check_tags (const hl_value_t *tags)
{
    if (!tags)
        return 0;
    if (hl_value_type (tags) != HL_VALUE_MAP)
        return HL_ERR_MISTYPED;
    for (size_t i = 0; i < hl_value_size (tags); i++)
        if (hl_value_type (hl_value_val_at (tags, i)) != HL_VALUE_STR)
            return HL_ERR_MISTYPED;
    return 0;
}

int
hl_field_check_value (const hl_field_spec_t *spec, const hl_value_t *v)
{
    switch (spec->kind) {
        case HL_FIELD_KIND_MAP:
            return hl_value_type (v) == HL_VALUE_MAP ? 0 : HL_ERR_MISTYPED;
        case HL_FIELD_KIND_TAGS:
            return s_check_tags (v);
        case HL_FIELD_KIND_ACTIONS:
            if (hl_value_type (v) != HL_VALUE_ARRAY)
                return HL_ERR_MISTYPED;
            for (size_t i = 0; i < hl_value_size (v); i++) {
                size_t len;
                if (!hl_value_str (hl_value_at (v, i), &len))
                    return HL_ERR_MISTYPED;
                if (len > HL_MAX_METRIC)
                    return HL_ERR_STRING;
            }
            return 0;
        default:
            return 0;
    }
}

int
hl_field_check_samples (const hl_sample_t *samples, size_t count, bool deep)
{
    for (size_t i = 0; i < count; i++) {
        int rc = hl_field_check_str (&s_sample_name, samples[i].name, deep);
        if (rc == 0 && deep)
            rc = s_check_tags (samples[i].tags);
        if (rc)
            return rc;
    }
    return 0;
}
