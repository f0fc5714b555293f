/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_msg - the Helios message: creation, copy and compare, type names,
    the field accessors, topics, and validation against hl_field's table.
    The msgpack codec (hl_msg_encode.c, hl_msg_decode.c) and the JSON
    rendering (hl_msg_json.c) are the other files of this module; they
    share the struct through hl_msg_priv.h.
*/
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hl_msg_priv.h"

#define S_TYPE(n)                                                              \
    {                                                                          \
        n, sizeof (n) - 1                                                      \
    }
static const struct {
    const char *name;
    size_t len;
} s_types[HL_MSG_TYPE_END] = {
    [HL_MSG_HELLO] = S_TYPE ("hello"),
    [HL_MSG_WELCOME] = S_TYPE ("welcome"),
    [HL_MSG_HEARTBEAT] = S_TYPE ("heartbeat"),
    [HL_MSG_TASK] = S_TYPE ("task"),
    [HL_MSG_PROGRESS] = S_TYPE ("progress"),
    [HL_MSG_RESULT] = S_TYPE ("result"),
    [HL_MSG_CANCEL] = S_TYPE ("cancel"),
    [HL_MSG_BYE] = S_TYPE ("bye"),
    [HL_MSG_ERROR] = S_TYPE ("error"),
    [HL_MSG_REQUEST] = S_TYPE ("request"),
    [HL_MSG_REPLY] = S_TYPE ("reply"),
    [HL_MSG_METRIC] = S_TYPE ("metric"),
    [HL_MSG_METRICS] = S_TYPE ("metrics"),
    [HL_MSG_KPI] = S_TYPE ("kpi"),
    [HL_MSG_HEALTH] = S_TYPE ("health"),
    [HL_MSG_CYCLE] = S_TYPE ("cycle"),
    [HL_MSG_AGENT] = S_TYPE ("agent"),
    [HL_MSG_ALERT] = S_TYPE ("alert"),
};

static atomic_uint_fast64_t s_next_id = 1;

static bool
s_valid_type (hl_msg_type_t type)
{
    return type >= HL_MSG_HELLO && type < HL_MSG_TYPE_END;
}

//  The spec of field in self's type, or NULL if the type does not carry it.
static const hl_field_spec_t *
s_spec_of (const hl_msg_t *self, hl_field_t field)
{
    return hl_field_spec (self->type, field);
}

hl_msg_t *
hl_msg_alloc (hl_msg_type_t type)
{
    //  Only the part before the routing id is zeroed (see the struct)
    hl_msg_t *self = (hl_msg_t *)hl_malloc (sizeof (hl_msg_t));
    memset (self, 0, offsetof (hl_msg_t, routing_id));
    self->type = type;
    return self;
}

hl_msg_t *
hl_msg_new (hl_msg_type_t type)
{
    if (!s_valid_type (type))
        return NULL;
    hl_msg_t *self = hl_msg_alloc (type);
    self->id = atomic_fetch_add (&s_next_id, 1);
    self->ts = hl_msg_now_us ();
    return self;
}

void
hl_msg_clear_samples (hl_msg_t *self)
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
    hl_msg_strfree (self, self->src);
    for (size_t i = 0; i < HL_FIELD_STR_END; i++)
        hl_msg_strfree (self, self->str[i]);
    for (size_t i = 0; i < HL_FIELD_VALS; i++)
        if (self->val[i])
            hl_value_destroy (&self->val[i]);
    if (self->samples)
        hl_msg_clear_samples (self);
    free (self);
    *self_p = NULL;
}

hl_msg_t *
hl_msg_dup (const hl_msg_t *self)
{
    if (!self)
        return NULL;
    hl_msg_t *copy = (hl_msg_t *)hl_malloc (sizeof (hl_msg_t));
    *copy = *self;        /* every byte: nothing to zero first */
    copy->arena_used = 0; /* the copy's strings are its own */
    if (self->src)
        copy->src = hl_msg_strndup (copy, self->src, strlen (self->src));
    for (size_t i = 0; i < HL_FIELD_STR_END; i++)
        if (self->str[i])
            copy->str[i]
                = hl_msg_strndup (copy, self->str[i], strlen (self->str[i]));
    for (size_t i = 0; i < HL_FIELD_VALS; i++)
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

const char *
hl_msg_type_strn (hl_msg_type_t type, size_t *len_p)
{
    *len_p = s_types[type].len;
    return s_types[type].name;
}

bool
hl_msg_type_public (hl_msg_type_t type)
{
    return type == HL_MSG_METRIC || type == HL_MSG_METRICS;
}

int
hl_msg_type_from_strn (const char *name, size_t len)
{
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++)
        if (s_types[t].len == len && memcmp (s_types[t].name, name, len) == 0)
            return t;
    return HL_ERR_TYPE;
}

int
hl_msg_type_from_name (const char *name)
{
    return name ? hl_msg_type_from_strn (name, strlen (name)) : HL_ERR_TYPE;
}

int64_t
hl_msg_now_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

//  --------------------------------------------------------------------
//  Validation, shared by encode and decode

static int
s_validate_samples (const hl_msg_t *self, bool deep)
{
    if (self->nsamples == 0)
        return (self->set & HL_FIELD_BIT (HL_FIELD_SAMPLES)) ? HL_ERR_RANGE
                                                             : HL_ERR_MISSING;
    return hl_field_check_samples (self->samples, self->nsamples, deep);
}

int
hl_msg_validate (const hl_msg_t *self, bool deep)
{
    size_t count;
    const hl_field_spec_t *specs = hl_field_specs (self->type, &count);
    for (size_t i = 0; i < count; i++) {
        const hl_field_spec_t *spec = &specs[i];
        int rc = 0;
        if (spec->kind == HL_FIELD_KIND_SAMPLES)
            rc = s_validate_samples (self, deep);
        else if (!(self->set & HL_FIELD_BIT (spec->field)))
            rc = (spec->flags & HL_FIELD_REQUIRED) ? HL_ERR_MISSING : 0;
        else if (spec->kind == HL_FIELD_KIND_STR)
            rc = hl_field_check_str (spec, self->str[spec->field], deep);
        else if (spec->field < HL_FIELD_NUM_END)
            rc = hl_field_check_num (spec, hl_msg_num_slot (self, spec->field));
        else if (deep)
            rc = hl_field_check_value (spec,
                                       *hl_msg_val_slot (self, spec->field));
        if (rc)
            return rc;
    }
    if (self->type == HL_MSG_REPLY
        && !(self->set & HL_FIELD_BIT (HL_FIELD_OK)
             && self->num[HL_FIELD_OK - HL_FIELD_STR_END].b)
        && !(self->set & HL_FIELD_BIT (HL_FIELD_ERROR)))
        return HL_ERR_MISSING; //  a failed reply says why
    return 0;
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
            return HL_FIELD_NAME;
        case HL_MSG_CYCLE:
        case HL_MSG_TASK:
        case HL_MSG_AGENT:
            return HL_FIELD_EVENT;
        case HL_MSG_ALERT:
            return HL_FIELD_SEVERITY;
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
    for (size_t i = 0; i < HL_FIELD_STR_END; i++)
        if ((a->str[i] || b->str[i])
            && (!a->str[i] || !b->str[i] || strcmp (a->str[i], b->str[i])))
            return false;
    for (size_t f = HL_FIELD_STR_END; f < HL_FIELD_NUM_END; f++) {
        if (!(a->set & HL_FIELD_BIT (f)))
            continue;
        const hl_field_spec_t *spec = s_spec_of (a, (hl_field_t)f);
        const hl_field_num_t *na = &a->num[f - HL_FIELD_STR_END];
        const hl_field_num_t *nb = &b->num[f - HL_FIELD_STR_END];
        if (!spec)
            continue;
        if (spec->kind == HL_FIELD_KIND_DBL) {
            if (!(na->d == nb->d || (isnan (na->d) && isnan (nb->d))))
                return false;
        } else if (spec->kind == HL_FIELD_KIND_BOOL) {
            if (na->b != nb->b)
                return false;
        } else if (na->u != nb->u)
            return false;
    }
    for (size_t i = 0; i < HL_FIELD_VALS; i++)
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
    hl_msg_strfree (self, self->src);
    self->src = src ? hl_msg_strndup (self, src, strlen (src)) : NULL;
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
s_set_str (hl_msg_t *self, hl_field_t field, const char *s)
{
    if (!s_spec_of (self, field))
        return;
    hl_msg_strfree (self, self->str[field]);
    self->str[field] = s ? hl_msg_strndup (self, s, strlen (s)) : NULL;
    if (s)
        self->set |= HL_FIELD_BIT (field);
    else
        self->set &= ~HL_FIELD_BIT (field);
}

static hl_field_num_t *
s_num_set (hl_msg_t *self, hl_field_t field)
{
    if (!s_spec_of (self, field))
        return NULL;
    self->set |= HL_FIELD_BIT (field);
    return &self->num[field - HL_FIELD_STR_END];
}

static void
s_set_val (hl_msg_t *self, hl_field_t field, hl_value_t **v_p)
{
    hl_value_t *v = v_p ? *v_p : NULL;
    if (v_p)
        *v_p = NULL;
    if (!s_spec_of (self, field)) {
        hl_value_destroy (&v);
        return;
    }
    hl_value_destroy (&self->val[field - HL_FIELD_NUM_END]);
    self->val[field - HL_FIELD_NUM_END] = v;
    if (v)
        self->set |= HL_FIELD_BIT (field);
    else
        self->set &= ~HL_FIELD_BIT (field);
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
        return (self->set & HL_FIELD_BIT (F))                                  \
                   ? (ctype)self->num[F - HL_FIELD_STR_END].member             \
                   : (ctype)0;                                                 \
    }                                                                          \
    void hl_msg_set_##fn (hl_msg_t *self, ctype v)                             \
    {                                                                          \
        hl_field_num_t *num = s_num_set (self, F);                             \
        if (num)                                                               \
            num->member = v;                                                   \
    }

#define S_VAL_FIELD(fn, F)                                                     \
    const hl_value_t *hl_msg_##fn (const hl_msg_t *self)                       \
    {                                                                          \
        return self->val[F - HL_FIELD_NUM_END];                                \
    }                                                                          \
    void hl_msg_set_##fn (hl_msg_t *self, hl_value_t **v_p)                    \
    {                                                                          \
        s_set_val (self, F, v_p);                                              \
    }

S_STR_FIELD (role, HL_FIELD_ROLE)
S_STR_FIELD (host, HL_FIELD_HOST)
S_STR_FIELD (version, HL_FIELD_VERSION)
S_STR_FIELD (session, HL_FIELD_SESSION)
S_STR_FIELD (kind, HL_FIELD_KIND)
S_STR_FIELD (note, HL_FIELD_NOTE)
S_STR_FIELD (status, HL_FIELD_STATUS)
S_STR_FIELD (reason, HL_FIELD_REASON)
S_STR_FIELD (text, HL_FIELD_TEXT)
S_STR_FIELD (op, HL_FIELD_OP)
S_STR_FIELD (error, HL_FIELD_ERROR)
S_STR_FIELD (name, HL_FIELD_NAME)
S_STR_FIELD (state, HL_FIELD_STATE)
S_STR_FIELD (event, HL_FIELD_EVENT)
S_STR_FIELD (severity, HL_FIELD_SEVERITY)

S_NUM_FIELD (capacity, HL_FIELD_CAPACITY, uint32_t, u)
S_NUM_FIELD (pid, HL_FIELD_PID, uint32_t, u)
S_NUM_FIELD (heartbeat_ms, HL_FIELD_HEARTBEAT_MS, uint32_t, u)
S_NUM_FIELD (liveness, HL_FIELD_LIVENESS, uint32_t, u)
S_NUM_FIELD (inflight, HL_FIELD_INFLIGHT, uint32_t, u)
S_NUM_FIELD (task_id, HL_FIELD_TASK_ID, uint64_t, u)
S_NUM_FIELD (priority, HL_FIELD_PRIORITY, uint32_t, u)
S_NUM_FIELD (emergency, HL_FIELD_EMERGENCY, bool, b)
S_NUM_FIELD (deadline_ms, HL_FIELD_DEADLINE_MS, uint32_t, u)
S_NUM_FIELD (attempt, HL_FIELD_ATTEMPT, uint32_t, u)
S_NUM_FIELD (pct, HL_FIELD_PCT, uint32_t, u)
S_NUM_FIELD (duration_us, HL_FIELD_DURATION_US, uint64_t, u)
S_NUM_FIELD (code, HL_FIELD_CODE, int64_t, i)
S_NUM_FIELD (ok, HL_FIELD_OK, bool, b)
S_NUM_FIELD (next, HL_FIELD_NEXT, uint64_t, u)
S_NUM_FIELD (more, HL_FIELD_MORE, uint64_t, u)
S_NUM_FIELD (value, HL_FIELD_VALUE, double, d)
S_NUM_FIELD (cycle_id, HL_FIELD_CYCLE_ID, uint64_t, u)
S_NUM_FIELD (score, HL_FIELD_SCORE, double, d)
S_NUM_FIELD (sample_ts, HL_FIELD_SAMPLE_TS, int64_t, i)
S_NUM_FIELD (count, HL_FIELD_COUNT, uint64_t, u)
S_NUM_FIELD (mean, HL_FIELD_MEAN, double, d)
S_NUM_FIELD (p50, HL_FIELD_P50, double, d)
S_NUM_FIELD (p95, HL_FIELD_P95, double, d)
S_NUM_FIELD (min, HL_FIELD_MIN, double, d)
S_NUM_FIELD (max, HL_FIELD_MAX, double, d)

S_VAL_FIELD (args, HL_FIELD_ARGS)
S_VAL_FIELD (data, HL_FIELD_DATA)
S_VAL_FIELD (tags, HL_FIELD_TAGS)
S_VAL_FIELD (actions, HL_FIELD_ACTIONS)

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
    self->set |= HL_FIELD_BIT (HL_FIELD_SAMPLES);
    return 0;
}
