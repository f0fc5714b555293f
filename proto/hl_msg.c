/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_msg - the Helios message. One table lists, per type, the body fields
    with their wire key, kind and limits; encoding, decoding, validation,
    JSON rendering, dup and compare all walk that table, so a field's rules
    are written once.
*/
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "hl_alloc.h"
#include "hl_codec.h"
#include "hl_msg.h"
#include "hl_names.h"

//  Field ids: strings first, then scalars, then values, then samples.
typedef enum {
    F_ROLE,
    F_HOST,
    F_VERSION,
    F_SESSION,
    F_KIND,
    F_NOTE,
    F_STATUS,
    F_REASON,
    F_TEXT,
    F_OP,
    F_ERROR,
    F_NAME,
    F_STATE,
    F_EVENT,
    F_SEVERITY,
    S_STR_END,
    F_CAPACITY = S_STR_END,
    F_PID,
    F_HEARTBEAT_MS,
    F_LIVENESS,
    F_INFLIGHT,
    F_TASK_ID,
    F_PRIORITY,
    F_EMERGENCY,
    F_DEADLINE_MS,
    F_ATTEMPT,
    F_PCT,
    F_DURATION_US,
    F_CODE,
    F_OK,
    F_VALUE,
    F_CYCLE_ID,
    F_SCORE,
    F_SAMPLE_TS,
    F_COUNT,
    F_MEAN,
    F_P50,
    F_P95,
    F_MIN,
    F_MAX,
    S_NUM_END,
    F_ARGS = S_NUM_END,
    F_DATA,
    F_TAGS,
    F_ACTIONS,
    S_VAL_END,
    F_SAMPLES = S_VAL_END,
    S_FIELD_END
} s_field_t;

#define S_NUMS (S_NUM_END - S_STR_END)
#define S_VALS (S_VAL_END - S_NUM_END)
#define S_BIT(f) ((uint64_t)1 << (f))

typedef enum {
    K_STR,
    K_U32,
    K_U64,
    K_I64,
    K_DBL,
    K_BOOL,
    K_MAP,     //  map with string keys, any values
    K_TAGS,    //  map of string to string
    K_ACTIONS, //  array of strings, each <= HL_MAX_METRIC
    K_ANY,
    K_SAMPLES
} s_kind_t;

#define SF_REQ 1      //  required
#define SF_NONEMPTY 2 //  a string that may not be ""
#define SF_PCT 4      //  a double in 0..100

typedef enum { CS_ANY, CS_METRIC, CS_EVENT } s_charset_t;

typedef struct {
    const char *key; //  wire key in the body
    uint8_t keylen;  //  its length: matched on every decode
    uint8_t field;   //  s_field_t
    uint8_t kind;    //  s_kind_t
    uint8_t flags;   //  SF_*
    uint8_t charset; //  s_charset_t, strings only
    int (*parse) (
        const char *); //  hl_names parser of the allowed strings, or NULL
    uint64_t min, max; //  integer range; max 0 means the type's
    size_t maxlen;     //  string bytes
} s_spec_t;

#define S_LONG 1024 //  reasons, texts, errors

#define STR(k, f, fl, len, cs, parse)                                          \
    {                                                                          \
        k, sizeof (k) - 1, f, K_STR, fl, cs, parse, 0, 0, len                  \
    }
#define NUM(k, f, kind, fl, lo, hi)                                            \
    {                                                                          \
        k, sizeof (k) - 1, f, kind, fl, 0, NULL, lo, hi, 0                     \
    }
#define VAL(k, f, kind, fl)                                                    \
    {                                                                          \
        k, sizeof (k) - 1, f, kind, fl, 0, NULL, 0, 0, 0                       \
    }
#define NAME(k, f) STR (k, f, SF_REQ, HL_MAX_NAME, CS_ANY, NULL)
#define EVENT(k, f, fl)                                                        \
    STR (k, f, (fl) | SF_NONEMPTY, HL_MAX_NAME, CS_EVENT, NULL)
#define METRIC_NAME                                                            \
    STR ("name", F_NAME, SF_REQ | SF_NONEMPTY, HL_MAX_METRIC, CS_METRIC, NULL)
#define TASK_ID NUM ("task_id", F_TASK_ID, K_U64, SF_REQ, 1, 0)

static const s_spec_t s_hello[] = {
    NAME ("role", F_ROLE),
    NUM ("capacity", F_CAPACITY, K_U32, SF_REQ, 1, 1024),
    NAME ("host", F_HOST),
    NUM ("pid", F_PID, K_U32, SF_REQ, 0, 0),
    NAME ("version", F_VERSION),
    VAL ("actions", F_ACTIONS, K_ACTIONS, 0),
};
static const s_spec_t s_welcome[] = {
    NUM ("heartbeat_ms", F_HEARTBEAT_MS, K_U32, SF_REQ, 10, 3600000),
    NUM ("liveness", F_LIVENESS, K_U32, SF_REQ, 1, 100),
    NAME ("session", F_SESSION),
};
static const s_spec_t s_heartbeat[] = {
    NUM ("inflight", F_INFLIGHT, K_U32, SF_REQ, 0, 0),
};
static const s_spec_t s_task[] = {
    TASK_ID,
    STR ("kind", F_KIND, SF_REQ, HL_MAX_NAME, CS_ANY, hl_kind_parse),
    NUM ("priority", F_PRIORITY, K_U32, SF_REQ, 1, 4),
    NUM ("attempt", F_ATTEMPT, K_U32, SF_REQ, 1, 100),
    NUM ("emergency", F_EMERGENCY, K_BOOL, 0, 0, 0),
    NUM ("deadline_ms", F_DEADLINE_MS, K_U32, 0, 0, 0),
    VAL ("args", F_ARGS, K_MAP, 0),
    EVENT ("event", F_EVENT, 0),
    VAL ("data", F_DATA, K_ANY, 0),
};
static const s_spec_t s_progress[] = {
    TASK_ID,
    NUM ("pct", F_PCT, K_U32, SF_REQ, 0, 100),
    STR ("note", F_NOTE, 0, HL_MAX_STR, CS_ANY, NULL),
};
static const s_spec_t s_result[] = {
    TASK_ID,
    STR ("status", F_STATUS, SF_REQ, HL_MAX_NAME, CS_ANY, hl_status_parse),
    NUM ("duration_us", F_DURATION_US, K_U64, SF_REQ, 0, 0),
    VAL ("data", F_DATA, K_ANY, 0),
};
static const s_spec_t s_cancel[] = {
    TASK_ID,
};
static const s_spec_t s_bye[] = {
    STR ("reason", F_REASON, SF_REQ, S_LONG, CS_ANY, NULL),
};
static const s_spec_t s_error[] = {
    NUM ("code", F_CODE, K_I64, SF_REQ, 0, 0),
    STR ("text", F_TEXT, SF_REQ, S_LONG, CS_ANY, NULL),
};
static const s_spec_t s_request[] = {
    NAME ("op", F_OP),
    VAL ("args", F_ARGS, K_MAP, 0),
};
static const s_spec_t s_reply[] = {
    NUM ("ok", F_OK, K_BOOL, SF_REQ, 0, 0),
    VAL ("data", F_DATA, K_ANY, 0),
    STR ("error", F_ERROR, 0, S_LONG, CS_ANY, NULL),
};
static const s_spec_t s_metric[] = {
    METRIC_NAME,
    NUM ("value", F_VALUE, K_DBL, SF_REQ, 0, 0),
    NUM ("ts", F_SAMPLE_TS, K_I64, SF_REQ, 0, 0),
    VAL ("tags", F_TAGS, K_TAGS, 0),
};
static const s_spec_t s_metrics[] = {
    VAL ("samples", F_SAMPLES, K_SAMPLES, SF_REQ),
};
static const s_spec_t s_kpi[] = {
    METRIC_NAME,
    NUM ("ts", F_SAMPLE_TS, K_I64, SF_REQ, 0, 0),
    NUM ("count", F_COUNT, K_U64, SF_REQ, 0, 0),
    NUM ("mean", F_MEAN, K_DBL, SF_REQ, 0, 0),
    NUM ("p50", F_P50, K_DBL, SF_REQ, 0, 0),
    NUM ("p95", F_P95, K_DBL, SF_REQ, 0, 0),
    NUM ("min", F_MIN, K_DBL, SF_REQ, 0, 0),
    NUM ("max", F_MAX, K_DBL, SF_REQ, 0, 0),
};
static const s_spec_t s_health[] = {
    NUM ("score", F_SCORE, K_DBL, SF_REQ | SF_PCT, 0, 0),
    NAME ("state", F_STATE),
    VAL ("data", F_DATA, K_MAP, 0),
};
static const s_spec_t s_cycle[] = {
    NUM ("cycle_id", F_CYCLE_ID, K_U64, SF_REQ, 0, 0),
    EVENT ("event", F_EVENT, SF_REQ),
    VAL ("data", F_DATA, K_MAP, 0),
};
static const s_spec_t s_agent[] = {
    NAME ("name", F_NAME),
    NAME ("role", F_ROLE),
    EVENT ("event", F_EVENT, SF_REQ),
    VAL ("data", F_DATA, K_MAP, 0),
};
static const s_spec_t s_alert[] = {
    EVENT ("severity", F_SEVERITY, SF_REQ),
    STR ("text", F_TEXT, SF_REQ, S_LONG, CS_ANY, NULL),
    VAL ("data", F_DATA, K_MAP, 0),
};

#define S_TYPE(n, specs)                                                       \
    {                                                                          \
        n, sizeof (n) - 1, specs, sizeof (specs) / sizeof (specs[0])           \
    }
static const struct {
    const char *name;
    size_t len;
    const s_spec_t *specs;
    size_t nspecs;
} s_types[HL_MSG_TYPE_END] = {
    [HL_MSG_HELLO] = S_TYPE ("hello", s_hello),
    [HL_MSG_WELCOME] = S_TYPE ("welcome", s_welcome),
    [HL_MSG_HEARTBEAT] = S_TYPE ("heartbeat", s_heartbeat),
    [HL_MSG_TASK] = S_TYPE ("task", s_task),
    [HL_MSG_PROGRESS] = S_TYPE ("progress", s_progress),
    [HL_MSG_RESULT] = S_TYPE ("result", s_result),
    [HL_MSG_CANCEL] = S_TYPE ("cancel", s_cancel),
    [HL_MSG_BYE] = S_TYPE ("bye", s_bye),
    [HL_MSG_ERROR] = S_TYPE ("error", s_error),
    [HL_MSG_REQUEST] = S_TYPE ("request", s_request),
    [HL_MSG_REPLY] = S_TYPE ("reply", s_reply),
    [HL_MSG_METRIC] = S_TYPE ("metric", s_metric),
    [HL_MSG_METRICS] = S_TYPE ("metrics", s_metrics),
    [HL_MSG_KPI] = S_TYPE ("kpi", s_kpi),
    [HL_MSG_HEALTH] = S_TYPE ("health", s_health),
    [HL_MSG_CYCLE] = S_TYPE ("cycle", s_cycle),
    [HL_MSG_AGENT] = S_TYPE ("agent", s_agent),
    [HL_MSG_ALERT] = S_TYPE ("alert", s_alert),
};

typedef union {
    uint64_t u; //  K_U32, K_U64
    int64_t i;  //  K_I64
    double d;   //  K_DBL
    bool b;     //  K_BOOL
} s_num_t;

#define S_ARENA 128

struct _hl_msg_t {
    hl_msg_type_t type;
    uint64_t id;
    uint64_t re;
    char *src;               //  NULL means ""
    int64_t ts;              //  envelope time, µs
    uint64_t set;            //  S_BIT (field) per field set
    char *str[S_STR_END];    //  string fields, NULL until set
    s_num_t num[S_NUMS];     //  scalar fields
    hl_value_t *val[S_VALS]; //  value fields
    hl_sample_t *samples;    //  METRICS batch
    size_t nsamples;
    size_t samples_cap;
    size_t routing_id_len;
    size_t arena_used;
    //  Not zeroed at creation (written before read): the routing id, and
    //  short strings, which live here rather than in their own allocation
    //  so that a metric's src and name cost no malloc on the hot path.
    uint8_t routing_id[HL_MAX_ROUTING_ID];
    char arena[S_ARENA];
};

static atomic_uint_fast64_t s_next_id = 1;

//  The scalar or value slot of a field; NULL for a field of another class,
//  so that no out-of-range index is ever formed.
static s_num_t *
s_num (const hl_msg_t *self, int field)
{
    if (field < S_STR_END || field >= S_NUM_END)
        return NULL;
    return (s_num_t *)&self->num[field - S_STR_END];
}

static hl_value_t **
s_val (const hl_msg_t *self, int field)
{
    if (field < S_NUM_END || field >= S_VAL_END)
        return NULL;
    return (hl_value_t **)&self->val[field - S_NUM_END];
}

//  A copy of s[0..len) owned by self: in its arena while there is room
static char *
s_msg_strndup (hl_msg_t *self, const char *s, size_t len)
{
    if (len + 1 > S_ARENA - self->arena_used)
        return hl_strndup (s, len);
    char *copy = self->arena + self->arena_used;
    self->arena_used += len + 1;
    memcpy (copy, s, len);
    copy[len] = '\0';
    return copy;
}

//  Free a string from s_msg_strndup (a replaced one's arena bytes stay
//  used: the arena only grows, and is small)
static void
s_msg_strfree (hl_msg_t *self, char *s)
{
    if (s && (s < self->arena || s >= self->arena + S_ARENA))
        free (s);
}

static bool
s_valid_type (hl_msg_type_t type)
{
    return type >= HL_MSG_HELLO && type < HL_MSG_TYPE_END;
}

//  The spec of field in self's type, or NULL if the type does not carry it.
static const s_spec_t *
s_spec_of (const hl_msg_t *self, s_field_t field)
{
    const s_spec_t *specs = s_types[self->type].specs;
    for (size_t i = 0; i < s_types[self->type].nspecs; i++)
        if (specs[i].field == field)
            return &specs[i];
    return NULL;
}

static hl_msg_t *
s_msg_new (hl_msg_type_t type)
{
    //  hl_realloc of NULL rather than hl_alloc: only the part before the
    //  routing id is zeroed (see the struct)
    hl_msg_t *self = (hl_msg_t *)hl_realloc (NULL, sizeof (hl_msg_t));
    memset (self, 0, offsetof (hl_msg_t, routing_id));
    self->type = type;
    return self;
}

hl_msg_t *
hl_msg_new (hl_msg_type_t type)
{
    if (!s_valid_type (type))
        return NULL;
    hl_msg_t *self = s_msg_new (type);
    self->id = atomic_fetch_add (&s_next_id, 1);
    self->ts = hl_msg_now_us ();
    return self;
}

static void
s_clear_samples (hl_msg_t *self)
{
    for (size_t i = 0; i < self->nsamples; i++)
        hl_value_destroy (&self->samples[i].tags);
    free (self->samples);
    self->samples = NULL;
    self->nsamples = self->samples_cap = 0;
}

void
hl_msg_destroy (hl_msg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_msg_t *self = *self_p;
    s_msg_strfree (self, self->src);
    for (size_t i = 0; i < S_STR_END; i++)
        s_msg_strfree (self, self->str[i]);
    for (size_t i = 0; i < S_VALS; i++)
        if (self->val[i])
            hl_value_destroy (&self->val[i]);
    if (self->samples)
        s_clear_samples (self);
    free (self);
    *self_p = NULL;
}

hl_msg_t *
hl_msg_dup (const hl_msg_t *self)
{
    if (!self)
        return NULL;
    hl_msg_t *copy = (hl_msg_t *)hl_alloc (sizeof (hl_msg_t));
    *copy = *self;
    copy->arena_used = 0; /* the copy's strings are its own */
    if (self->src)
        copy->src = s_msg_strndup (copy, self->src, strlen (self->src));
    for (size_t i = 0; i < S_STR_END; i++)
        if (self->str[i])
            copy->str[i]
                = s_msg_strndup (copy, self->str[i], strlen (self->str[i]));
    for (size_t i = 0; i < S_VALS; i++)
        copy->val[i] = hl_value_dup (self->val[i]);
    if (self->nsamples) {
        copy->samples
            = (hl_sample_t *)hl_calloc (self->nsamples, sizeof (hl_sample_t));
        copy->samples_cap = self->nsamples;
        for (size_t i = 0; i < self->nsamples; i++) {
            copy->samples[i] = self->samples[i];
            copy->samples[i].tags = hl_value_dup (self->samples[i].tags);
        }
    } else {
        copy->samples = NULL;
        copy->samples_cap = 0;
    }
    return copy;
}

const char *
hl_msg_type_name (hl_msg_type_t type)
{
    return s_valid_type (type) ? s_types[type].name : NULL;
}

static int
s_type_from_strn (const char *name, size_t len)
{
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++)
        if (s_types[t].len == len && memcmp (s_types[t].name, name, len) == 0)
            return t;
    return HL_ERR_TYPE;
}

int
hl_msg_type_from_name (const char *name)
{
    return name ? s_type_from_strn (name, strlen (name)) : HL_ERR_TYPE;
}

int64_t
hl_msg_now_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

//  --------------------------------------------------------------------
//  Validation of the typed fields, shared by encode and decode

static bool
s_charset_ok (const char *s, s_charset_t charset)
{
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
                  || c == '-';
        if (charset == CS_METRIC)
            ok = ok || (c >= 'A' && c <= 'Z') || c == '.' || c == ':';
        if (!ok)
            return false;
    }
    return true;
}

//  deep: a local caller built the string; decoded strings passed the
//  codec scan, which proved them UTF-8 already.
static int
s_check_str (const s_spec_t *spec, const char *s, bool deep)
{
    size_t len = strlen (s);
    if (len > spec->maxlen)
        return HL_ERR_STRING;
    if ((spec->flags & SF_NONEMPTY) && len == 0)
        return HL_ERR_RANGE;
    if (spec->charset != CS_ANY && !s_charset_ok (s, spec->charset))
        return HL_ERR_RANGE;
    if (deep && spec->charset == CS_ANY && !hl_codec_utf8_ok (s, len))
        return HL_ERR_UTF8;
    if (spec->parse && spec->parse (s) < 0)
        return HL_ERR_RANGE;
    return 0;
}

static const s_spec_t s_sample_name = METRIC_NAME;

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

//  Check the value trees a local caller may have built freely; decoded
//  trees already have their shape. deep selects this extra work.
static int
s_check_value (const s_spec_t *spec, const hl_value_t *v)
{
    hl_value_type_t type = hl_value_type (v);
    switch (spec->kind) {
        case K_MAP:
            return type == HL_VALUE_MAP ? 0 : HL_ERR_MISTYPED;
        case K_TAGS:
            return s_check_tags (v);
        case K_ACTIONS:
            if (type != HL_VALUE_ARRAY)
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

static int
s_validate (const hl_msg_t *self, bool deep)
{
    const s_spec_t *specs = s_types[self->type].specs;
    for (size_t i = 0; i < s_types[self->type].nspecs; i++) {
        const s_spec_t *spec = &specs[i];
        int rc = 0;
        if (spec->kind == K_SAMPLES) {
            if (self->nsamples == 0)
                return (self->set & S_BIT (F_SAMPLES)) ? HL_ERR_RANGE
                                                       : HL_ERR_MISSING;
            for (size_t j = 0; j < self->nsamples && rc == 0; j++) {
                rc = s_check_str (&s_sample_name, self->samples[j].name, deep);
                if (rc == 0 && deep)
                    rc = s_check_tags (self->samples[j].tags);
            }
            if (rc)
                return rc;
            continue;
        }
        if (!(self->set & S_BIT (spec->field))) {
            if (spec->flags & SF_REQ)
                return HL_ERR_MISSING;
            continue;
        }
        const s_num_t *num = s_num (self, spec->field);
        switch (spec->kind) {
            case K_STR:
                rc = s_check_str (spec, self->str[spec->field], deep);
                break;
            case K_U32:
            case K_U64:
                if (num->u < spec->min || (spec->max && num->u > spec->max))
                    rc = HL_ERR_RANGE;
                break;
            case K_DBL:
                if ((spec->flags & SF_PCT) && !(num->d >= 0 && num->d <= 100))
                    rc = HL_ERR_RANGE;
                break;
            case K_MAP:
            case K_TAGS:
            case K_ACTIONS:
                if (deep)
                    rc = s_check_value (spec, *s_val (self, spec->field));
                break;
            default:
                break;
        }
        if (rc)
            return rc;
    }
    if (self->type == HL_MSG_REPLY
        && !(self->set & S_BIT (F_OK) && self->num[F_OK - S_STR_END].b)
        && !(self->set & S_BIT (F_ERROR)))
        return HL_ERR_MISSING; //  a failed reply says why
    return 0;
}

//  --------------------------------------------------------------------
//  Encoding

typedef struct {
    uint8_t *data;
    size_t size;
    size_t cap;      //  never above HL_MSG_MAX_SIZE; size once over
    uint8_t *caller; //  the caller's buffer, not ours to free
    bool over;       //  past HL_MSG_MAX_SIZE: fail at the end
} s_buf_t;

//  The rare path of s_buf_write: grow, or refuse past HL_MSG_MAX_SIZE.
//  Once over, cap is pinned to size so that every later write comes here.
static __attribute__ ((noinline)) int
s_buf_grow_write (s_buf_t *self, const char *buf, size_t len)
{
    if (self->over || len > HL_MSG_MAX_SIZE - self->size) {
        self->over = true;
        self->cap = self->size;
        return -1;
    }
    size_t cap = self->cap * 2;
    while (cap < self->size + len)
        cap *= 2;
    if (cap > HL_MSG_MAX_SIZE)
        cap = HL_MSG_MAX_SIZE;
    if (self->data == self->caller) {
        uint8_t *grown = (uint8_t *)hl_realloc (NULL, cap);
        memcpy (grown, self->data, self->size);
        self->data = grown;
    } else
        self->data = (uint8_t *)hl_realloc (self->data, cap);
    self->cap = cap;
    memcpy (self->data + self->size, buf, len);
    self->size += len;
    return 0;
}

//  msgpack-c calls this for every tag, number and string: one compare on
//  the way in, and a byte loop rather than a call into memcpy for the few
//  bytes most writes carry.
static int
s_buf_write (void *data, const char *buf, size_t len)
{
    s_buf_t *self = (s_buf_t *)data;
    if (len > self->cap - self->size)
        return s_buf_grow_write (self, buf, len);
    uint8_t *to = self->data + self->size;
    self->size += len;
    if (len <= 16)
        for (size_t i = 0; i < len; i++)
            to[i] = (uint8_t)buf[i];
    else
        memcpy (to, buf, len);
    return 0;
}

static void
s_pack_str (msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, s, len);
}

#define s_pack_lit(pk, lit) s_pack_str (pk, lit, sizeof (lit) - 1)

//  depth counts the containers around v; deeper than any decoder accepts
//  is refused here so that a runaway tree cannot exhaust the stack.
/*  A string or bin a local caller put in a value is held to the rules a
    decoder applies, so that nothing is sent that a peer must refuse. */
static int
s_check_bytes (const char *s, size_t len, bool text)
{
    if (len > HL_MAX_STR)
        return HL_ERR_STRING;
    return text && !hl_codec_utf8_ok (s, len) ? HL_ERR_UTF8 : 0;
}

static int
s_pack_value (msgpack_packer *pk, const hl_value_t *v, size_t depth)
{
    size_t i, len;
    const char *s;
    int rc;
    switch (hl_value_type (v)) {
        case HL_VALUE_NIL:
            return msgpack_pack_nil (pk), 0;
        case HL_VALUE_BOOL: {
            bool b = false;
            hl_value_bool (v, &b);
            return (b ? msgpack_pack_true (pk) : msgpack_pack_false (pk)), 0;
        }
        case HL_VALUE_INT: {
            int64_t n = 0;
            hl_value_int (v, &n);
            return msgpack_pack_int64 (pk, n), 0;
        }
        case HL_VALUE_UINT: {
            uint64_t n = 0;
            hl_value_uint (v, &n);
            return msgpack_pack_uint64 (pk, n), 0;
        }
        case HL_VALUE_DOUBLE: {
            double d = 0;
            hl_value_double (v, &d);
            return msgpack_pack_double (pk, d), 0;
        }
        case HL_VALUE_STR:
            s = hl_value_str (v, &len);
            if ((rc = s_check_bytes (s, len, true)))
                return rc;
            s_pack_str (pk, s, len);
            return 0;
        case HL_VALUE_BIN:
            s = (const char *)hl_value_bin (v, &len);
            if ((rc = s_check_bytes (s, len, false)))
                return rc;
            msgpack_pack_bin (pk, len);
            msgpack_pack_bin_body (pk, s, len);
            return 0;
        case HL_VALUE_ARRAY:
            if (depth >= HL_MAX_DEPTH)
                return HL_ERR_DEPTH;
            if (hl_value_size (v) > HL_MAX_ITEMS)
                return HL_ERR_ITEMS;
            msgpack_pack_array (pk, hl_value_size (v));
            for (i = 0; i < hl_value_size (v); i++) {
                rc = s_pack_value (pk, hl_value_at (v, i), depth + 1);
                if (rc)
                    return rc;
            }
            return 0;
        case HL_VALUE_MAP:
            if (depth >= HL_MAX_DEPTH)
                return HL_ERR_DEPTH;
            if (hl_value_size (v) > HL_MAX_ITEMS)
                return HL_ERR_ITEMS;
            msgpack_pack_map (pk, hl_value_size (v));
            for (i = 0; i < hl_value_size (v); i++) {
                s = hl_value_key_at (v, i);
                if ((rc = s_check_bytes (s, strlen (s), true)))
                    return rc;
                s_pack_str (pk, s, strlen (s));
                rc = s_pack_value (pk, hl_value_val_at (v, i), depth + 1);
                if (rc)
                    return rc;
            }
            return 0;
    }
    return HL_ERR_MISTYPED;
}

static bool
s_is_set (const hl_msg_t *self, const s_spec_t *spec)
{
    if (spec->kind == K_SAMPLES)
        return self->nsamples > 0;
    return (self->set & S_BIT (spec->field)) != 0;
}

static int
s_pack_samples (msgpack_packer *pk, const hl_msg_t *self)
{
    msgpack_pack_array (pk, self->nsamples);
    for (size_t i = 0; i < self->nsamples; i++) {
        const hl_sample_t *sample = &self->samples[i];
        msgpack_pack_map (pk, sample->tags ? 4 : 3);
        s_pack_lit (pk, "name");
        s_pack_str (pk, sample->name, strlen (sample->name));
        s_pack_lit (pk, "value");
        msgpack_pack_double (pk, sample->value);
        s_pack_lit (pk, "ts");
        msgpack_pack_int64 (pk, sample->ts);
        if (sample->tags) {
            s_pack_lit (pk, "tags");
            int rc = s_pack_value (pk, sample->tags, 4);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int
hl_msg_encode (const hl_msg_t *self, uint8_t **data_p, size_t *size_p)
{
    return hl_msg_encode_buf (self, NULL, 0, data_p, size_p);
}

int
hl_msg_encode_buf (const hl_msg_t *self, uint8_t *space, size_t space_size,
                   uint8_t **data_p, size_t *size_p)
{
    if (!self || !data_p || !size_p)
        return HL_ERR_ARGS;
    *data_p = NULL;
    *size_p = 0;
    int rc = s_validate (self, true);
    if (rc)
        return rc;
    if (self->src && strlen (self->src) > HL_MAX_NAME)
        return HL_ERR_STRING;
    if (self->src && !hl_codec_utf8_ok (self->src, strlen (self->src)))
        return HL_ERR_UTF8;

    if (space && space_size > HL_MSG_MAX_SIZE)
        space_size = HL_MSG_MAX_SIZE;
    s_buf_t buf = { space, 0, space_size, space, false };
    if (!space || space_size < 16) {
        //  Not zeroed: every byte is written before it is read
        buf.data = (uint8_t *)hl_realloc (NULL, 256);
        buf.cap = 256;
        buf.caller = NULL;
    }
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, s_buf_write);

    //  v then t first: the envelope's signature (hl_codec_peek).
    bool has_src = self->src && *self->src;
    msgpack_pack_map (&pk, 5 + (self->re != 0) + has_src);
    s_pack_lit (&pk, "v");
    msgpack_pack_uint8 (&pk, HL_PROTO_VERSION);
    s_pack_lit (&pk, "t");
    s_pack_str (&pk, s_types[self->type].name, s_types[self->type].len);
    s_pack_lit (&pk, "id");
    msgpack_pack_uint64 (&pk, self->id);
    if (self->re) {
        s_pack_lit (&pk, "re");
        msgpack_pack_uint64 (&pk, self->re);
    }
    if (has_src) {
        s_pack_lit (&pk, "src");
        s_pack_str (&pk, self->src, strlen (self->src));
    }
    s_pack_lit (&pk, "ts");
    msgpack_pack_int64 (&pk, self->ts);

    const s_spec_t *specs = s_types[self->type].specs;
    size_t nspecs = s_types[self->type].nspecs;
    size_t count = 0;
    for (size_t i = 0; i < nspecs; i++)
        count += s_is_set (self, &specs[i]);
    s_pack_lit (&pk, "body");
    msgpack_pack_map (&pk, count);
    for (size_t i = 0; i < nspecs && rc == 0; i++) {
        const s_spec_t *spec = &specs[i];
        if (!s_is_set (self, spec))
            continue;
        s_pack_str (&pk, spec->key, spec->keylen);
        const s_num_t *num = s_num (self, spec->field);
        switch (spec->kind) {
            case K_STR:
                s_pack_str (&pk, self->str[spec->field],
                            strlen (self->str[spec->field]));
                break;
            case K_U32:
            case K_U64:
                msgpack_pack_uint64 (&pk, num->u);
                break;
            case K_I64:
                msgpack_pack_int64 (&pk, num->i);
                break;
            case K_DBL:
                msgpack_pack_double (&pk, num->d);
                break;
            case K_BOOL:
                if (num->b)
                    msgpack_pack_true (&pk);
                else
                    msgpack_pack_false (&pk);
                break;
            case K_SAMPLES:
                rc = s_pack_samples (&pk, self);
                break;
            default:
                rc = s_pack_value (&pk, *s_val (self, spec->field), 2);
                break;
        }
    }
    if (rc == 0 && (buf.over || buf.size > HL_MSG_MAX_SIZE))
        rc = HL_ERR_TOO_BIG;
    if (rc)
        goto fail;
    *data_p = buf.data;
    *size_p = buf.size;
    return 0;
fail:
    if (buf.data != buf.caller)
        free (buf.data);
    return rc;
}

//  --------------------------------------------------------------------
//  Decoding: msgpack objects (already scanned) to fields

static bool
s_key_is (const msgpack_object *key, const char *name, size_t len)
{
    //  Keys are a few bytes: the first one sorts out most candidates
    return key->type == MSGPACK_OBJECT_STR && key->via.str.size == len
           && len > 0 && key->via.str.ptr[0] == name[0]
           && memcmp (key->via.str.ptr, name, len) == 0;
}

static int
s_obj_u64 (const msgpack_object *o, uint64_t *out)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        *out = o->via.u64;
        return 0;
    }
    return o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? HL_ERR_RANGE
                                                      : HL_ERR_MISTYPED;
}

static int
s_obj_i64 (const msgpack_object *o, int64_t *out)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > INT64_MAX)
            return HL_ERR_RANGE;
        *out = (int64_t)o->via.u64;
        return 0;
    }
    return HL_ERR_MISTYPED;
}

static int
s_obj_dbl (const msgpack_object *o, double *out)
{
    switch (o->type) {
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            *out = o->via.f64;
            return 0;
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            *out = (double)o->via.u64;
            return 0;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            *out = (double)o->via.i64;
            return 0;
        default:
            return HL_ERR_MISTYPED;
    }
}

static int
s_obj_value (const msgpack_object *o, hl_value_t **out)
{
    hl_value_t *v = NULL;
    int rc = 0;
    uint32_t i;
    switch (o->type) {
        case MSGPACK_OBJECT_NIL:
            v = hl_value_new_nil ();
            break;
        case MSGPACK_OBJECT_BOOLEAN:
            v = hl_value_new_bool (o->via.boolean);
            break;
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            v = hl_value_new_uint (o->via.u64);
            break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            v = hl_value_new_int (o->via.i64);
            break;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            v = hl_value_new_double (o->via.f64);
            break;
        case MSGPACK_OBJECT_STR:
            v = hl_value_new_strn (o->via.str.ptr, o->via.str.size);
            break;
        case MSGPACK_OBJECT_BIN:
            v = hl_value_new_bin (o->via.bin.ptr, o->via.bin.size);
            break;
        case MSGPACK_OBJECT_ARRAY:
            v = hl_value_new_array ();
            for (i = 0; i < o->via.array.size && rc == 0; i++) {
                hl_value_t *item = NULL;
                rc = s_obj_value (&o->via.array.ptr[i], &item);
                if (rc == 0)
                    hl_value_append (v, &item);
            }
            break;
        case MSGPACK_OBJECT_MAP:
            v = hl_value_new_map ();
            for (i = 0; i < o->via.map.size && rc == 0; i++) {
                const msgpack_object_kv *kv = &o->via.map.ptr[i];
                hl_value_t *item = NULL;
                if (kv->key.type != MSGPACK_OBJECT_STR)
                    rc = HL_ERR_MISTYPED;
                else
                    rc = s_obj_value (&kv->val, &item);
                if (rc == 0)
                    hl_value_map_append (v, kv->key.via.str.ptr,
                                         kv->key.via.str.size, &item);
            }
            break;
        default:
            rc = HL_ERR_MISTYPED; //  ext has no place in a value
            break;
    }
    if (rc)
        hl_value_destroy (&v);
    *out = v;
    return rc;
}

static int
s_obj_tags (const msgpack_object *o, hl_value_t **out)
{
    *out = NULL;
    if (o->type != MSGPACK_OBJECT_MAP)
        return HL_ERR_MISTYPED;
    for (uint32_t i = 0; i < o->via.map.size; i++)
        if (o->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR
            || o->via.map.ptr[i].val.type != MSGPACK_OBJECT_STR)
            return HL_ERR_MISTYPED;
    return s_obj_value (o, out);
}

static int
s_obj_sample (const msgpack_object *o, hl_sample_t *sample)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return HL_ERR_MISTYPED;
    int rc = 0;
    unsigned seen = 0;
    for (uint32_t i = 0; i < o->via.map.size && rc == 0; i++) {
        const msgpack_object *key = &o->via.map.ptr[i].key;
        const msgpack_object *val = &o->via.map.ptr[i].val;
        if (key->type != MSGPACK_OBJECT_STR)
            rc = HL_ERR_MISTYPED;
        else if (s_key_is (key, "name", 4)) {
            if (val->type != MSGPACK_OBJECT_STR)
                rc = HL_ERR_MISTYPED;
            else if (val->via.str.size > HL_MAX_METRIC)
                rc = HL_ERR_STRING;
            else {
                memcpy (sample->name, val->via.str.ptr, val->via.str.size);
                sample->name[val->via.str.size] = '\0';
                seen |= 1;
            }
        } else if (s_key_is (key, "value", 5)) {
            rc = s_obj_dbl (val, &sample->value);
            seen |= 2;
        } else if (s_key_is (key, "ts", 2)) {
            rc = s_obj_i64 (val, &sample->ts);
            seen |= 4;
        } else if (s_key_is (key, "tags", 4)) {
            hl_value_destroy (&sample->tags);
            rc = s_obj_tags (val, &sample->tags);
        }
    }
    if (rc == 0 && seen != 7)
        rc = HL_ERR_MISSING;
    return rc;
}

static int
s_obj_samples (hl_msg_t *self, const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return HL_ERR_MISTYPED;
    s_clear_samples (self);
    uint32_t n = o->via.array.size;
    //  n is bounded by the scan (max_items, bytes remaining).
    if (n)
        self->samples = (hl_sample_t *)hl_calloc (n, sizeof (hl_sample_t));
    self->samples_cap = n;
    for (uint32_t i = 0; i < n; i++) {
        //  Counted before filling, so a failure still frees its tags.
        self->nsamples++;
        int rc = s_obj_sample (&o->via.array.ptr[i], &self->samples[i]);
        if (rc)
            return rc;
    }
    self->set |= S_BIT (F_SAMPLES);
    return 0;
}

static int
s_obj_field (hl_msg_t *self, const s_spec_t *spec, const msgpack_object *o)
{
    s_num_t *num = s_num (self, spec->field);
    hl_value_t **val = s_val (self, spec->field);
    int rc = 0;
    switch (spec->kind) {
        case K_STR:
            if (o->type != MSGPACK_OBJECT_STR)
                return HL_ERR_MISTYPED;
            //  Length first: a name field never copies 64 KiB.
            if (o->via.str.size > spec->maxlen)
                return HL_ERR_STRING;
            s_msg_strfree (self, self->str[spec->field]);
            self->str[spec->field]
                = s_msg_strndup (self, o->via.str.ptr, o->via.str.size);
            break;
        case K_U32:
            rc = s_obj_u64 (o, &num->u);
            if (rc == 0 && num->u > UINT32_MAX)
                rc = HL_ERR_RANGE;
            break;
        case K_U64:
            rc = s_obj_u64 (o, &num->u);
            break;
        case K_I64:
            rc = s_obj_i64 (o, &num->i);
            break;
        case K_DBL:
            rc = s_obj_dbl (o, &num->d);
            break;
        case K_BOOL:
            if (o->type != MSGPACK_OBJECT_BOOLEAN)
                return HL_ERR_MISTYPED;
            num->b = o->via.boolean;
            break;
        case K_MAP:
            if (o->type != MSGPACK_OBJECT_MAP)
                return HL_ERR_MISTYPED;
            hl_value_destroy (val);
            rc = s_obj_value (o, val);
            break;
        case K_TAGS:
            hl_value_destroy (val);
            rc = s_obj_tags (o, val);
            break;
        case K_ACTIONS:
            if (o->type != MSGPACK_OBJECT_ARRAY)
                return HL_ERR_MISTYPED;
            for (uint32_t i = 0; i < o->via.array.size; i++) {
                const msgpack_object *item = &o->via.array.ptr[i];
                if (item->type != MSGPACK_OBJECT_STR)
                    return HL_ERR_MISTYPED;
                if (item->via.str.size > HL_MAX_METRIC)
                    return HL_ERR_STRING;
            }
            hl_value_destroy (val);
            rc = s_obj_value (o, val);
            break;
        case K_ANY:
            hl_value_destroy (val);
            rc = s_obj_value (o, val);
            break;
        case K_SAMPLES:
            return s_obj_samples (self, o);
    }
    if (rc == 0)
        self->set |= S_BIT (spec->field);
    return rc;
}

static int
s_obj_body (hl_msg_t *self, const msgpack_object *body)
{
    const s_spec_t *specs = s_types[self->type].specs;
    size_t nspecs = s_types[self->type].nspecs;
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        const msgpack_object *key = &body->via.map.ptr[i].key;
        if (key->type != MSGPACK_OBJECT_STR)
            return HL_ERR_MISTYPED;
        //  Unknown keys are skipped: a newer peer may send more.
        for (size_t j = 0; j < nspecs; j++) {
            if (s_key_is (key, specs[j].key, specs[j].keylen)) {
                int rc
                    = s_obj_field (self, &specs[j], &body->via.map.ptr[i].val);
                if (rc)
                    return rc;
                break;
            }
        }
    }
    return 0;
}

static int
s_obj_envelope (const msgpack_object *root, hl_msg_t **msg_p)
{
    //  The scan guarantees a map root.
    const msgpack_object_kv *kv = root->via.map.ptr;
    uint32_t size = root->via.map.size;
    if (size < 2 || !s_key_is (&kv[0].key, "v", 1))
        return HL_ERR_ROOT;
    if (kv[0].val.type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (kv[0].val.via.u64 != HL_PROTO_VERSION)
            return HL_ERR_VERSION;
    } else if (kv[0].val.type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return HL_ERR_VERSION;
    else
        return HL_ERR_ROOT;
    if (!s_key_is (&kv[1].key, "t", 1) || kv[1].val.type != MSGPACK_OBJECT_STR)
        return HL_ERR_ROOT;
    int type = s_type_from_strn (kv[1].val.via.str.ptr, kv[1].val.via.str.size);
    if (type < 0)
        return type;

    hl_msg_t *self = s_msg_new ((hl_msg_type_t)type);
    const msgpack_object *body = NULL;
    unsigned seen = 0;
    int rc = 0;
    for (uint32_t i = 2; i < size && rc == 0; i++) {
        const msgpack_object *key = &kv[i].key;
        const msgpack_object *val = &kv[i].val;
        if (key->type != MSGPACK_OBJECT_STR)
            rc = HL_ERR_MISTYPED;
        else if (s_key_is (key, "v", 1) || s_key_is (key, "t", 1))
            rc = HL_ERR_ROOT; //  a second v or t would fool forwarders
        else if (s_key_is (key, "id", 2)) {
            rc = s_obj_u64 (val, &self->id);
            seen |= 1;
        } else if (s_key_is (key, "re", 2))
            rc = s_obj_u64 (val, &self->re);
        else if (s_key_is (key, "ts", 2)) {
            rc = s_obj_i64 (val, &self->ts);
            seen |= 2;
        } else if (s_key_is (key, "src", 3)) {
            if (val->type != MSGPACK_OBJECT_STR)
                rc = HL_ERR_MISTYPED;
            else if (val->via.str.size > HL_MAX_NAME)
                rc = HL_ERR_STRING;
            else {
                s_msg_strfree (self, self->src);
                self->src
                    = s_msg_strndup (self, val->via.str.ptr, val->via.str.size);
            }
        } else if (s_key_is (key, "body", 4)) {
            if (val->type != MSGPACK_OBJECT_MAP)
                rc = HL_ERR_MISTYPED;
            body = val;
        }
    }
    if (rc == 0 && (seen != 3 || !body))
        rc = HL_ERR_MISSING;
    if (rc == 0)
        rc = s_obj_body (self, body);
    if (rc == 0)
        rc = s_validate (self, false);
    if (rc)
        goto fail;
    *msg_p = self;
    return 0;
fail:
    hl_msg_destroy (&self);
    return rc;
}

//  One unpacking zone per thread, cleared after each decode and kept for
//  the next: a zone per message cost a large malloc and free each time.
//  The thread-specific key frees it when its thread ends.
static pthread_key_t s_zone_key;
static pthread_once_t s_zone_once = PTHREAD_ONCE_INIT;

static void
s_zone_free (void *zone)
{
    msgpack_zone_free ((msgpack_zone *)zone);
}

static void
s_zone_key_new (void)
{
    if (pthread_key_create (&s_zone_key, s_zone_free))
        abort ();
}

static msgpack_zone *
s_zone (void)
{
    pthread_once (&s_zone_once, s_zone_key_new);
    msgpack_zone *zone = (msgpack_zone *)pthread_getspecific (s_zone_key);
    if (!zone) {
        zone = msgpack_zone_new (4096);
        if (!zone || pthread_setspecific (s_zone_key, zone))
            abort ();
    }
    return zone;
}

static int s_decode_scanned (const uint8_t *data, size_t size,
                             hl_msg_t **msg_p);

int
hl_msg_decode (const uint8_t *data, size_t size, const hl_limits_t *limits,
               hl_msg_t **msg_p)
{
    if (!msg_p)
        return HL_ERR_ARGS;
    *msg_p = NULL;
    int rc = hl_codec_scan (data, size, limits);
    if (rc)
        return rc;
    return s_decode_scanned (data, size, msg_p);
}

int
hl_msg_decode_scanned (const uint8_t *data, size_t size, hl_msg_t **msg_p)
{
    if (!msg_p)
        return HL_ERR_ARGS;
    *msg_p = NULL;
    if (!data || size == 0)
        return HL_ERR_MALFORMED;
    return s_decode_scanned (data, size, msg_p);
}

static int
s_decode_scanned (const uint8_t *data, size_t size, hl_msg_t **msg_p)
{
    int rc;
    //  The scan bounds every count by the bytes behind it, so the zone
    //  grows at most linearly with size.
    msgpack_zone *zone = s_zone ();
    msgpack_object root;
    size_t offset = 0;
    msgpack_unpack_return ret
        = msgpack_unpack ((const char *)data, size, &offset, zone, &root);
    if (ret == MSGPACK_UNPACK_SUCCESS && offset == size)
        rc = s_obj_envelope (&root, msg_p);
    else
        rc = ret == MSGPACK_UNPACK_NOMEM_ERROR ? HL_ERR_TOO_BIG
                                               : HL_ERR_MALFORMED;
    msgpack_zone_clear (zone);
    return rc;
}

//  --------------------------------------------------------------------
//  Topics

//  The field whose value follows the type in the topic, or -1.
static int
s_topic_field (hl_msg_type_t type)
{
    switch (type) {
        case HL_MSG_METRIC:
        case HL_MSG_KPI:
            return F_NAME;
        case HL_MSG_CYCLE:
        case HL_MSG_TASK:
        case HL_MSG_AGENT:
            return F_EVENT;
        case HL_MSG_ALERT:
            return F_SEVERITY;
        default:
            return -1;
    }
}

int
hl_msg_topic (const hl_msg_t *self, char *buf, size_t size)
{
    if (!self || !buf)
        return HL_ERR_TOPIC;
    //  Built by hand: every message sent on the bus comes through here.
    const char *name = s_types[self->type].name;
    int field = s_topic_field (self->type);
    const char *suffix = field >= 0 ? self->str[field] : NULL;
    size_t n = strlen (name), m = 0;
    if (suffix && *suffix)
        m = strlen (suffix) + 1;
    else if (field >= 0 && self->type != HL_MSG_TASK)
        return HL_ERR_TOPIC;
    if (n + m >= size || n + m > HL_MAX_TOPIC)
        return HL_ERR_TOPIC;
    memcpy (buf, name, n);
    if (m) {
        buf[n] = '.';
        memcpy (buf + n + 1, suffix, m - 1);
    }
    buf[n + m] = '\0';
    return (int)(n + m);
}

int
hl_msg_check_topic (const hl_msg_t *self, const void *topic, size_t len)
{
    char buf[HL_MAX_TOPIC + 1];
    int rc = hl_msg_topic (self, buf, sizeof buf);
    if (rc < 0 || !topic || (size_t)rc != len || memcmp (buf, topic, len))
        return HL_ERR_TOPIC;
    return 0;
}

//  --------------------------------------------------------------------
//  JSON

static json_t *
s_json_u64 (uint64_t u)
{
    return u <= INT64_MAX ? json_integer ((json_int_t)u)
                          : json_real ((double)u);
}

static json_t *
s_json_dbl (double d)
{
    return isfinite (d) ? json_real (d) : json_null ();
}

static json_t *
s_json_str (const char *s)
{
    json_t *json = json_string (s);
    return json ? json : json_null (); //  invalid UTF-8 set locally
}

static bool
s_is_bus (const hl_msg_t *self)
{
    switch (self->type) {
        case HL_MSG_METRIC:
        case HL_MSG_METRICS:
        case HL_MSG_KPI:
        case HL_MSG_HEALTH:
        case HL_MSG_CYCLE:
        case HL_MSG_AGENT:
        case HL_MSG_ALERT:
            return true;
        case HL_MSG_TASK:
            return (self->set & S_BIT (F_EVENT)) != 0;
        default:
            return false;
    }
}

json_t *
hl_msg_to_json (const hl_msg_t *self)
{
    if (!self)
        return NULL;
    json_t *json = json_object ();
    char topic[HL_MAX_TOPIC + 1];
    if (s_is_bus (self) && hl_msg_topic (self, topic, sizeof topic) >= 0)
        json_object_set_new (json, "topic", s_json_str (topic));
    json_object_set_new (json, "type", json_string (s_types[self->type].name));
    json_object_set_new (json, "id", s_json_u64 (self->id));
    json_object_set_new (json, "re", s_json_u64 (self->re));
    json_object_set_new (json, "src", s_json_str (hl_msg_src (self)));
    json_object_set_new (json, "ts", json_integer ((json_int_t)self->ts));

    json_t *body = json_object ();
    const s_spec_t *specs = s_types[self->type].specs;
    for (size_t i = 0; i < s_types[self->type].nspecs; i++) {
        const s_spec_t *spec = &specs[i];
        if (!s_is_set (self, spec))
            continue;
        const s_num_t *num = s_num (self, spec->field);
        json_t *item;
        switch (spec->kind) {
            case K_STR:
                item = s_json_str (self->str[spec->field]);
                break;
            case K_U32:
            case K_U64:
                item = s_json_u64 (num->u);
                break;
            case K_I64:
                item = json_integer ((json_int_t)num->i);
                break;
            case K_DBL:
                item = s_json_dbl (num->d);
                break;
            case K_BOOL:
                item = json_boolean (num->b);
                break;
            case K_SAMPLES:
                item = json_array ();
                for (size_t j = 0; j < self->nsamples; j++) {
                    const hl_sample_t *sample = &self->samples[j];
                    json_t *obj = json_object ();
                    json_object_set_new (obj, "name",
                                         s_json_str (sample->name));
                    json_object_set_new (obj, "value",
                                         s_json_dbl (sample->value));
                    json_object_set_new (obj, "ts",
                                         json_integer ((json_int_t)sample->ts));
                    if (sample->tags)
                        json_object_set_new (obj, "tags",
                                             hl_value_to_json (sample->tags));
                    json_array_append_new (item, obj);
                }
                break;
            default:
                item = hl_value_to_json (*s_val (self, spec->field));
                break;
        }
        json_object_set_new (body, spec->key, item);
    }
    json_object_set_new (json, "body", body);
    return json;
}

char *
hl_msg_to_json_str (const hl_msg_t *self)
{
    json_t *json = hl_msg_to_json (self);
    if (!json)
        return NULL;
    char *text = json_dumps (json, JSON_COMPACT);
    json_decref (json);
    return text;
}

//  --------------------------------------------------------------------
//  Compare

bool
hl_msg_eq (const hl_msg_t *a, const hl_msg_t *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type || a->id != b->id || a->re != b->re || a->ts != b->ts
        || a->set != b->set || strcmp (hl_msg_src (a), hl_msg_src (b)) != 0
        || a->nsamples != b->nsamples)
        return false;
    for (size_t i = 0; i < S_STR_END; i++)
        if ((a->str[i] || b->str[i])
            && (!a->str[i] || !b->str[i] || strcmp (a->str[i], b->str[i])))
            return false;
    for (size_t f = S_STR_END; f < S_NUM_END; f++) {
        if (!(a->set & S_BIT (f)))
            continue;
        const s_spec_t *spec = s_spec_of (a, (s_field_t)f);
        const s_num_t *na = &a->num[f - S_STR_END];
        const s_num_t *nb = &b->num[f - S_STR_END];
        if (!spec)
            continue;
        if (spec->kind == K_DBL) {
            if (!(na->d == nb->d || (isnan (na->d) && isnan (nb->d))))
                return false;
        } else if (spec->kind == K_BOOL) {
            if (na->b != nb->b)
                return false;
        } else if (na->u != nb->u)
            return false;
    }
    for (size_t i = 0; i < S_VALS; i++)
        if (!hl_value_eq (a->val[i], b->val[i]))
            return false;
    for (size_t i = 0; i < a->nsamples; i++) {
        const hl_sample_t *sa = &a->samples[i];
        const hl_sample_t *sb = &b->samples[i];
        if (strcmp (sa->name, sb->name) != 0 || sa->ts != sb->ts
            || !(sa->value == sb->value
                 || (isnan (sa->value) && isnan (sb->value)))
            || !hl_value_eq (sa->tags, sb->tags))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------
//  Envelope and transport accessors

hl_msg_type_t
hl_msg_type (const hl_msg_t *self)
{
    return self->type;
}

uint64_t
hl_msg_id (const hl_msg_t *self)
{
    return self->id;
}

void
hl_msg_set_id (hl_msg_t *self, uint64_t id)
{
    self->id = id;
}

uint64_t
hl_msg_re (const hl_msg_t *self)
{
    return self->re;
}

void
hl_msg_set_re (hl_msg_t *self, uint64_t re)
{
    self->re = re;
}

const char *
hl_msg_src (const hl_msg_t *self)
{
    return self->src ? self->src : "";
}

void
hl_msg_set_src (hl_msg_t *self, const char *src)
{
    s_msg_strfree (self, self->src);
    self->src = src ? s_msg_strndup (self, src, strlen (src)) : NULL;
}

int64_t
hl_msg_ts (const hl_msg_t *self)
{
    return self->ts;
}

void
hl_msg_set_ts (hl_msg_t *self, int64_t ts)
{
    self->ts = ts;
}

const uint8_t *
hl_msg_routing_id (const hl_msg_t *self, size_t *len_p)
{
    if (len_p)
        *len_p = self->routing_id_len;
    return self->routing_id;
}

int
hl_msg_set_routing_id (hl_msg_t *self, const void *data, size_t len)
{
    if (len > HL_MAX_ROUTING_ID || (len && !data))
        return -1;
    if (len)
        memcpy (self->routing_id, data, len);
    self->routing_id_len = len;
    return 0;
}

//  --------------------------------------------------------------------
//  Body field accessors. A setter of a field the type does not carry does
//  nothing, so getters of such fields keep their zero value.

static void
s_set_str (hl_msg_t *self, s_field_t field, const char *s)
{
    if (!s_spec_of (self, field))
        return;
    s_msg_strfree (self, self->str[field]);
    self->str[field] = s ? s_msg_strndup (self, s, strlen (s)) : NULL;
    if (s)
        self->set |= S_BIT (field);
    else
        self->set &= ~S_BIT (field);
}

static s_num_t *
s_num_set (hl_msg_t *self, s_field_t field)
{
    if (!s_spec_of (self, field))
        return NULL;
    self->set |= S_BIT (field);
    return &self->num[field - S_STR_END];
}

static void
s_set_val (hl_msg_t *self, s_field_t field, hl_value_t **v_p)
{
    hl_value_t *v = v_p ? *v_p : NULL;
    if (v_p)
        *v_p = NULL;
    if (!s_spec_of (self, field)) {
        hl_value_destroy (&v);
        return;
    }
    hl_value_destroy (&self->val[field - S_NUM_END]);
    self->val[field - S_NUM_END] = v;
    if (v)
        self->set |= S_BIT (field);
    else
        self->set &= ~S_BIT (field);
}

#define S_STR_FIELD(fn, F)                                                     \
    const char *hl_msg_##fn (const hl_msg_t *self)                             \
    {                                                                          \
        return self->str[F] ? self->str[F] : "";                               \
    }                                                                          \
    void hl_msg_set_##fn (hl_msg_t *self, const char *s)                       \
    {                                                                          \
        s_set_str (self, F, s);                                                \
    }

#define S_NUM_FIELD(fn, F, ctype, member)                                      \
    ctype hl_msg_##fn (const hl_msg_t *self)                                   \
    {                                                                          \
        return (self->set & S_BIT (F))                                         \
                   ? (ctype)self->num[F - S_STR_END].member                    \
                   : (ctype)0;                                                 \
    }                                                                          \
    void hl_msg_set_##fn (hl_msg_t *self, ctype v)                             \
    {                                                                          \
        s_num_t *num = s_num_set (self, F);                                    \
        if (num)                                                               \
            num->member = v;                                                   \
    }

#define S_VAL_FIELD(fn, F)                                                     \
    const hl_value_t *hl_msg_##fn (const hl_msg_t *self)                       \
    {                                                                          \
        return self->val[F - S_NUM_END];                                       \
    }                                                                          \
    void hl_msg_set_##fn (hl_msg_t *self, hl_value_t **v_p)                    \
    {                                                                          \
        s_set_val (self, F, v_p);                                              \
    }

S_STR_FIELD (role, F_ROLE)
S_STR_FIELD (host, F_HOST)
S_STR_FIELD (version, F_VERSION)
S_STR_FIELD (session, F_SESSION)
S_STR_FIELD (kind, F_KIND)
S_STR_FIELD (note, F_NOTE)
S_STR_FIELD (status, F_STATUS)
S_STR_FIELD (reason, F_REASON)
S_STR_FIELD (text, F_TEXT)
S_STR_FIELD (op, F_OP)
S_STR_FIELD (error, F_ERROR)
S_STR_FIELD (name, F_NAME)
S_STR_FIELD (state, F_STATE)
S_STR_FIELD (event, F_EVENT)
S_STR_FIELD (severity, F_SEVERITY)

S_NUM_FIELD (capacity, F_CAPACITY, uint32_t, u)
S_NUM_FIELD (pid, F_PID, uint32_t, u)
S_NUM_FIELD (heartbeat_ms, F_HEARTBEAT_MS, uint32_t, u)
S_NUM_FIELD (liveness, F_LIVENESS, uint32_t, u)
S_NUM_FIELD (inflight, F_INFLIGHT, uint32_t, u)
S_NUM_FIELD (task_id, F_TASK_ID, uint64_t, u)
S_NUM_FIELD (priority, F_PRIORITY, uint32_t, u)
S_NUM_FIELD (emergency, F_EMERGENCY, bool, b)
S_NUM_FIELD (deadline_ms, F_DEADLINE_MS, uint32_t, u)
S_NUM_FIELD (attempt, F_ATTEMPT, uint32_t, u)
S_NUM_FIELD (pct, F_PCT, uint32_t, u)
S_NUM_FIELD (duration_us, F_DURATION_US, uint64_t, u)
S_NUM_FIELD (code, F_CODE, int64_t, i)
S_NUM_FIELD (ok, F_OK, bool, b)
S_NUM_FIELD (value, F_VALUE, double, d)
S_NUM_FIELD (cycle_id, F_CYCLE_ID, uint64_t, u)
S_NUM_FIELD (score, F_SCORE, double, d)
S_NUM_FIELD (sample_ts, F_SAMPLE_TS, int64_t, i)
S_NUM_FIELD (count, F_COUNT, uint64_t, u)
S_NUM_FIELD (mean, F_MEAN, double, d)
S_NUM_FIELD (p50, F_P50, double, d)
S_NUM_FIELD (p95, F_P95, double, d)
S_NUM_FIELD (min, F_MIN, double, d)
S_NUM_FIELD (max, F_MAX, double, d)

S_VAL_FIELD (args, F_ARGS)
S_VAL_FIELD (data, F_DATA)
S_VAL_FIELD (tags, F_TAGS)
S_VAL_FIELD (actions, F_ACTIONS)

size_t
hl_msg_samples_size (const hl_msg_t *self)
{
    return self->nsamples;
}

const hl_sample_t *
hl_msg_sample (const hl_msg_t *self, size_t i)
{
    return i < self->nsamples ? &self->samples[i] : NULL;
}

int
hl_msg_add_sample (hl_msg_t *self, const char *name, double value, int64_t ts,
                   hl_value_t **tags_p)
{
    hl_value_t *tags = tags_p ? *tags_p : NULL;
    if (tags_p)
        *tags_p = NULL;
    if (self->type != HL_MSG_METRICS || !name || strlen (name) > HL_MAX_METRIC
        || self->nsamples >= HL_MAX_ITEMS) {
        hl_value_destroy (&tags);
        return HL_ERR_ARGS;
    }
    if (self->nsamples == self->samples_cap) {
        size_t cap = self->samples_cap ? self->samples_cap * 2 : 8;
        self->samples = (hl_sample_t *)hl_realloc (self->samples,
                                                   cap * sizeof (hl_sample_t));
        self->samples_cap = cap;
    }
    hl_sample_t *sample = &self->samples[self->nsamples++];
    strcpy (sample->name, name);
    sample->value = value;
    sample->ts = ts;
    sample->tags = tags;
    self->set |= S_BIT (F_SAMPLES);
    return 0;
}
