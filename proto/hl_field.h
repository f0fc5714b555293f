/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_field - the body fields of design §3 as one table: for every message
    type, the fields its body carries, each with its wire key, kind and
    limits; and the checks of one field's value against its spec. hl_msg
    encodes, decodes, validates, renders, copies and compares by walking
    this table, so that a field's rules are written once.

    Field ids are grouped by how hl_msg stores them: strings, then
    scalars, then values, then the METRICS samples.
*/
#ifndef HL_FIELD_H
#define HL_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl_err.h"
#include "hl_msg.h"
#include "hl_value.h"

typedef enum {
    HL_FIELD_ROLE,
    HL_FIELD_HOST,
    HL_FIELD_VERSION,
    HL_FIELD_SESSION,
    HL_FIELD_KIND,
    HL_FIELD_NOTE,
    HL_FIELD_STATUS,
    HL_FIELD_REASON,
    HL_FIELD_TEXT,
    HL_FIELD_OP,
    HL_FIELD_ERROR,
    HL_FIELD_NAME,
    HL_FIELD_STATE,
    HL_FIELD_EVENT,
    HL_FIELD_SEVERITY,
    HL_FIELD_STR_END,
    HL_FIELD_CAPACITY = HL_FIELD_STR_END,
    HL_FIELD_PID,
    HL_FIELD_HEARTBEAT_MS,
    HL_FIELD_LIVENESS,
    HL_FIELD_INFLIGHT,
    HL_FIELD_TASK_ID,
    HL_FIELD_PRIORITY,
    HL_FIELD_EMERGENCY,
    HL_FIELD_DEADLINE_MS,
    HL_FIELD_ATTEMPT,
    HL_FIELD_PCT,
    HL_FIELD_DURATION_US,
    HL_FIELD_CODE,
    HL_FIELD_OK,
    HL_FIELD_VALUE,
    HL_FIELD_CYCLE_ID,
    HL_FIELD_SCORE,
    HL_FIELD_SAMPLE_TS,
    HL_FIELD_COUNT,
    HL_FIELD_MEAN,
    HL_FIELD_P50,
    HL_FIELD_P95,
    HL_FIELD_MIN,
    HL_FIELD_MAX,
    HL_FIELD_NEXT,
    HL_FIELD_MORE,
    HL_FIELD_NUM_END,
    HL_FIELD_ARGS = HL_FIELD_NUM_END,
    HL_FIELD_DATA,
    HL_FIELD_TAGS,
    HL_FIELD_ACTIONS,
    HL_FIELD_VAL_END,
    HL_FIELD_SAMPLES = HL_FIELD_VAL_END,
    HL_FIELD_END
} hl_field_t;

#define HL_FIELD_STRS HL_FIELD_STR_END                      /* string ids */
#define HL_FIELD_NUMS (HL_FIELD_NUM_END - HL_FIELD_STR_END) /* scalar ids */
#define HL_FIELD_VALS (HL_FIELD_VAL_END - HL_FIELD_NUM_END) /* value ids */
#define HL_FIELD_BIT(f) ((uint64_t)1 << (f)) /* a field in a set of them */

/*  How a field is held and what the wire carries. */
typedef enum {
    HL_FIELD_KIND_STR,
    HL_FIELD_KIND_U32,
    HL_FIELD_KIND_U64,
    HL_FIELD_KIND_I64,
    HL_FIELD_KIND_DBL,
    HL_FIELD_KIND_BOOL,
    HL_FIELD_KIND_MAP,     /* map with string keys, any values */
    HL_FIELD_KIND_TAGS,    /* map of string to string */
    HL_FIELD_KIND_ACTIONS, /* array of strings, each <= HL_MAX_METRIC */
    HL_FIELD_KIND_ANY,
    HL_FIELD_KIND_SAMPLES
} hl_field_kind_t;

/*  Spec flags. */
#define HL_FIELD_REQUIRED 1 /* required */
#define HL_FIELD_NONEMPTY 2 /* a string that may not be "" */
#define HL_FIELD_PERCENT 4  /* a double in 0..100 */

/*  The characters a string field allows. */
typedef enum {
    HL_FIELD_CHARSET_ANY,    /* any UTF-8 */
    HL_FIELD_CHARSET_METRIC, /* [A-Za-z0-9_.:-] */
    HL_FIELD_CHARSET_EVENT   /* [a-z0-9_-] */
} hl_field_charset_t;

/*  One field of one message type. */
typedef struct {
    const char *key;             /* wire key in the body */
    uint8_t keylen;              /* its length: matched on every decode */
    uint8_t field;               /* hl_field_t */
    uint8_t kind;                /* hl_field_kind_t */
    uint8_t flags;               /* HL_FIELD_REQUIRED... */
    uint8_t charset;             /* hl_field_charset_t, strings only */
    int (*parse) (const char *); /* hl_names parser of the allowed
                                    strings, or NULL */
    uint64_t min, max;           /* integer range; max 0 means the type's */
    size_t maxlen;               /* string bytes */
} hl_field_spec_t;

/*  A scalar field's value: u for U32 and U64, i for I64, d for DBL, b for
    BOOL. */
typedef union {
    uint64_t u;
    int64_t i;
    double d;
    bool b;
} hl_field_num_t;

/*  The fields of a valid type, in wire order; *count_p gets their number.
    NULL (and 0) for an invalid type. */
const hl_field_spec_t *hl_field_specs (hl_msg_type_t type, size_t *count_p);

/*  The spec of field in type, or NULL if the type does not carry it. */
const hl_field_spec_t *hl_field_spec (hl_msg_type_t type, hl_field_t field);

/*  0 if s fits a string spec: length, non-empty, charset, one of the
    parser's strings; else HL_ERR_STRING or HL_ERR_RANGE. deep also checks
    UTF-8 (HL_ERR_UTF8), which decoded strings passed in hl_codec_scan. */
int hl_field_check_str (const hl_field_spec_t *spec, const char *s, bool deep);

/*  0 if a scalar fits its spec's range (integers) or percentage (doubles),
    else HL_ERR_RANGE. Inline: validation runs it for every scalar. */
static inline int
hl_field_check_num (const hl_field_spec_t *spec, const hl_field_num_t *num)
{
    if (spec->kind == HL_FIELD_KIND_U32 || spec->kind == HL_FIELD_KIND_U64)
        return num->u < spec->min || (spec->max && num->u > spec->max)
                   ? HL_ERR_RANGE
                   : 0;
    if (spec->kind == HL_FIELD_KIND_DBL && (spec->flags & HL_FIELD_PERCENT))
        return num->d >= 0 && num->d <= 100 ? 0 : HL_ERR_RANGE;
    return 0;
}

/*  0 if a value tree has the shape its spec's kind asks for: a map, a map
    of strings, an array of short strings; else HL_ERR_MISTYPED or
    HL_ERR_STRING. Decoded trees have their shape already. */
int hl_field_check_value (const hl_field_spec_t *spec, const hl_value_t *v);

/*  0 if every one of count METRICS samples has a valid metric name (as
    hl_field_check_str) and, when deep, tags that are NULL or a map of
    strings; else the first sample's error. */
int hl_field_check_samples (const hl_sample_t *samples, size_t count,
                            bool deep);

#endif
