/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_args - one table of every control operation's arguments and the
    check of a request against it. The operations read only what passed:
    a value of the wrong type never falls back to a default, an integer
    is never a float, and no number is cast into a narrower one.
*/
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../bus/hl_log.h"
#include "../proto/hl_err.h"
#include "../proto/hl_limits.h"
#include "../proto/hl_names.h"
#include "hl_args.h"

#define S_DAY_MS 86400000 /* the longest deadline a client may ask for */

static bool
s_eq (const char *a, const char *b)
{
    return strcmp (a, b) == 0;
}

static int
s_format_parse (const char *text)
{
    return s_eq (text, "json") ? 0 : s_eq (text, "md") ? 1 : -1;
}

static int
s_role_parse (const char *text)
{
    return s_eq (text, "any") ? 0 : hl_role_parse (text);
}

#define S_NAME(k, req, max)                                                    \
    {                                                                          \
        k, HL_ARG_STR, req, 1, max, NULL, NULL                                 \
    }
#define S_PARSED(k, parse, what)                                               \
    {                                                                          \
        k, HL_ARG_STR, false, 1, HL_MAX_NAME, parse, what                      \
    }
#define S_INT(k, req, lo, hi)                                                  \
    {                                                                          \
        k, HL_ARG_INT, req, lo, hi, NULL, NULL                                 \
    }
#define S_OF(k, type, req)                                                     \
    {                                                                          \
        k, type, req, 0, 0, NULL, NULL                                         \
    }

static const hl_arg_spec_t s_audit[] = {
    S_INT ("since", false, 0, INT64_MAX),
    S_INT ("limit", false, 1, HL_ARGS_AUDIT_MAX),
    S_NAME ("action", false, HL_MAX_NAME),
};
/*  A list answered in pages: a cursor a reply's next gave, and a count. */
static const hl_arg_spec_t s_paged[] = {
    S_INT ("from", false, 1, INT64_MAX),
    S_INT ("limit", false, 1, HL_MAX_ITEMS),
};
static const hl_arg_spec_t s_release[] = {
    S_NAME ("name", true, HL_MAX_NAME),
};
static const hl_arg_spec_t s_run[] = {
    S_NAME ("kind", false, HL_MAX_NAME),
    S_OF ("wait", HL_ARG_BOOL, false),
    S_OF ("params", HL_ARG_MAP, false),
};
static const hl_arg_spec_t s_report[] = {
    S_INT ("id", false, 0, INT64_MAX),
    S_PARSED ("format", s_format_parse, "json or md"),
};
static const hl_arg_spec_t s_metric_push[] = {
    S_NAME ("name", true, HL_MAX_METRIC),
    S_OF ("value", HL_ARG_NUM, true),
};
static const hl_arg_spec_t s_task_run[] = {
    S_PARSED ("kind", hl_kind_parse,
              "analyze, apply, rollback, verify or echo"),
    S_PARSED ("role", s_role_parse, "any or a role such as athena-api"),
    S_NAME ("action", false, HL_MAX_METRIC),
    S_INT ("priority", false, 1, 4),
    S_OF ("emergency", HL_ARG_BOOL, false),
    S_INT ("deadline_ms", false, 0, S_DAY_MS),
    S_OF ("wait", HL_ARG_BOOL, false),
    S_OF ("args", HL_ARG_MAP, false),
};
static const hl_arg_spec_t s_scale[] = {
    S_OF ("roles", HL_ARG_MAP, true),
    S_NAME ("host", false, HL_MAX_NAME),
    S_NAME ("label", false, 127),
};
static const hl_arg_spec_t s_task_cancel[] = {
    S_INT ("task_id", true, 1, INT64_MAX),
};

#define S_OP(name, changes, specs)                                             \
    {                                                                          \
        name, changes, specs, sizeof (specs) / sizeof (specs[0])               \
    }
/*  An op without arguments still has a table: one of none. */
static const hl_arg_spec_t s_none[1];
#define S_BARE(name, changes)                                                  \
    {                                                                          \
        name, changes, s_none, 0                                               \
    }
static const struct {
    const char *op;
    bool changes; /* it changes something: run it once per request */
    const hl_arg_spec_t *specs;
    size_t count;
} s_ops[] = {
    S_BARE ("actions", false),
    S_OP ("audit", false, s_audit),
    S_OP ("action.release", true, s_release),
    S_OP ("run", true, s_run),
    S_OP ("cycles", false, s_paged),
    S_OP ("report", false, s_report),
    S_BARE ("status", false),
    S_OP ("metric.push", true, s_metric_push),
    S_OP ("agents", false, s_paged),
    S_OP ("task.run", true, s_task_run),
    S_OP ("task.cancel", true, s_task_cancel),
    S_BARE ("pause", true),
    S_BARE ("resume", true),
    S_OP ("scale", true, s_scale),
    S_BARE ("nodes", false),
};
#define S_NOPS (sizeof s_ops / sizeof s_ops[0])

const hl_arg_spec_t *
hl_args_specs (const char *op, size_t *count_p)
{
    for (size_t i = 0; op && i < S_NOPS; i++)
        if (s_eq (op, s_ops[i].op)) {
            *count_p = s_ops[i].count;
            return s_ops[i].specs;
        }
    *count_p = 0;
    return NULL;
}

bool
hl_args_changes (const char *op)
{
    for (size_t i = 0; op && i < S_NOPS; i++)
        if (s_eq (op, s_ops[i].op))
            return s_ops[i].changes;
    return false;
}

const char *
hl_args_op_at (size_t i)
{
    return i < S_NOPS ? s_ops[i].op : NULL;
}

static const char *
s_type_text (const hl_value_t *v)
{
    switch (hl_value_type (v)) {
        case HL_VALUE_NIL:
            return "nil";
        case HL_VALUE_BOOL:
            return "a bool";
        case HL_VALUE_INT:
        case HL_VALUE_UINT:
            return "an integer";
        case HL_VALUE_DOUBLE:
            return "a float";
        case HL_VALUE_STR:
            return "a string";
        case HL_VALUE_BIN:
            return "bin";
        case HL_VALUE_ARRAY:
            return "an array";
        default:
            return "a map";
    }
}

/*  "op: key must be what, got that [errname]" into error; err back. */
static int
s_refuse (int err, char *error, size_t errsize, const char *op,
          const hl_arg_spec_t *spec, const char *must, const char *got)
{
    snprintf (error, errsize, "%s: %s must be %s, got %s [%s]", op, spec->key,
              must, got, hl_errname (err));
    return err;
}

static int
s_check_str (const char *op, const hl_arg_spec_t *spec, const hl_value_t *v,
             char *error, size_t errsize)
{
    char must[160], got[96];
    size_t len = 0;
    const char *s = hl_value_str (v, &len);
    if (hl_value_type (v) != HL_VALUE_STR) {
        snprintf (must, sizeof must, "a string");
        return s_refuse (HL_ERR_MISTYPED, error, errsize, op, spec, must,
                         s_type_text (v));
    }
    if ((int64_t)len < spec->min || (int64_t)len > spec->max) {
        snprintf (must, sizeof must, "%" PRId64 "..%" PRId64 " bytes",
                  spec->min, spec->max);
        snprintf (got, sizeof got, "%zu", len);
        return s_refuse (HL_ERR_RANGE, error, errsize, op, spec, must, got);
    }
    if (spec->parse && spec->parse (s) < 0) {
        char esc[64];
        hl_log_escape (esc, sizeof esc, s, len);
        snprintf (got, sizeof got, "'%s'", esc);
        return s_refuse (HL_ERR_RANGE, error, errsize, op, spec, spec->what,
                         got);
    }
    return 0;
}

static int
s_check_int (const char *op, const hl_arg_spec_t *spec, const hl_value_t *v,
             char *error, size_t errsize)
{
    char must[96], got[32];
    snprintf (must, sizeof must, "an integer %" PRId64 "..%" PRId64, spec->min,
              spec->max);
    //  A float is no integer, even 2.0: nothing is rounded
    hl_value_type_t type = hl_value_type (v);
    if (type != HL_VALUE_INT && type != HL_VALUE_UINT)
        return s_refuse (HL_ERR_MISTYPED, error, errsize, op, spec, must,
                         s_type_text (v));
    int64_t i;
    uint64_t u;
    if (hl_value_int (v, &i)) {
        hl_value_uint (v, &u); /* above INT64_MAX: past every range */
        snprintf (got, sizeof got, "%" PRIu64, u);
        return s_refuse (HL_ERR_RANGE, error, errsize, op, spec, must, got);
    }
    if (i < spec->min || i > spec->max) {
        snprintf (got, sizeof got, "%" PRId64, i);
        return s_refuse (HL_ERR_RANGE, error, errsize, op, spec, must, got);
    }
    return 0;
}

static int
s_check_one (const char *op, const hl_arg_spec_t *spec, const hl_value_t *v,
             char *error, size_t errsize)
{
    double d;
    bool b;
    switch (spec->type) {
        case HL_ARG_STR:
            return s_check_str (op, spec, v, error, errsize);
        case HL_ARG_INT:
            return s_check_int (op, spec, v, error, errsize);
        case HL_ARG_NUM:
            if (hl_value_double (v, &d))
                return s_refuse (HL_ERR_MISTYPED, error, errsize, op, spec,
                                 "a number", s_type_text (v));
            if (!isfinite (d))
                return s_refuse (HL_ERR_RANGE, error, errsize, op, spec,
                                 "a finite number", "inf or nan");
            return 0;
        case HL_ARG_BOOL:
            if (hl_value_bool (v, &b))
                return s_refuse (HL_ERR_MISTYPED, error, errsize, op, spec,
                                 "a bool", s_type_text (v));
            return 0;
        case HL_ARG_MAP:
            if (hl_value_type (v) != HL_VALUE_MAP)
                return s_refuse (HL_ERR_MISTYPED, error, errsize, op, spec,
                                 "a map", s_type_text (v));
            return 0;
    }
    return HL_ERR_ARGS;
}

/*  The argument key (escaped) is not in op's table: name what is. */
static int
s_unknown (const char *op, const hl_arg_spec_t *specs, size_t count,
           const char *key, char *error, size_t errsize)
{
    char esc[64];
    hl_log_escape (esc, sizeof esc, key, strlen (key));
    int used = snprintf (error, errsize, "%s: takes no argument '%s' (%s", op,
                         esc, count ? "only" : "it takes none");
    for (size_t i = 0; i < count && used > 0 && (size_t)used < errsize; i++)
        used += snprintf (error + used, errsize - (size_t)used, "%s %s",
                          i ? "," : "", specs[i].key);
    if (used > 0 && (size_t)used < errsize)
        snprintf (error + used, errsize - (size_t)used, ") [%s]",
                  hl_errname (HL_ERR_ARGS));
    return HL_ERR_ARGS;
}

int
hl_args_check (const char *op, const hl_value_t *args, char *error,
               size_t errsize)
{
    size_t count;
    const hl_arg_spec_t *specs = hl_args_specs (op, &count);
    if (!specs) {
        snprintf (error, errsize, "unknown op [%s]",
                  hl_errname (HL_ERR_UNSUPPORTED));
        return HL_ERR_UNSUPPORTED;
    }
    if (args && hl_value_type (args) != HL_VALUE_MAP) {
        snprintf (error, errsize, "%s: args must be a map [%s]", op,
                  hl_errname (HL_ERR_MISTYPED));
        return HL_ERR_MISTYPED;
    }
    //  A key the op does not know is refused: a typo ("prio") or an
    //  argument from a newer client would otherwise be ignored unseen.
    //  A key given twice is refused too: which one counts is no guess.
    size_t n = hl_value_size (args);
    for (size_t i = 0; i < n; i++) {
        const char *key = hl_value_key_at (args, i);
        const hl_arg_spec_t *spec = NULL;
        for (size_t j = 0; j < count && !spec; j++)
            if (s_eq (key, specs[j].key))
                spec = &specs[j];
        if (!spec)
            return s_unknown (op, specs, count, key, error, errsize);
        for (size_t j = 0; j < i; j++)
            if (s_eq (key, hl_value_key_at (args, j))) {
                snprintf (error, errsize, "%s: %s given twice [%s]", op, key,
                          hl_errname (HL_ERR_ARGS));
                return HL_ERR_ARGS;
            }
        int rc
            = s_check_one (op, spec, hl_value_val_at (args, i), error, errsize);
        if (rc)
            return rc;
    }
    for (size_t j = 0; j < count; j++)
        if (specs[j].required && !hl_value_get (args, specs[j].key)) {
            snprintf (error, errsize, "%s: %s is required [%s]", op,
                      specs[j].key, hl_errname (HL_ERR_MISSING));
            return HL_ERR_MISSING;
        }
    return 0;
}
