/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_statsd - StatsD lines into KPI samples. A line is read whole before
    anything of it is used, so a refused line leaves no trace but its
    count. Readers check the bytes left before every step; nothing here
    allocates per line.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/hl_alloc.h"
#include "hl_statsd.h"

/*  A mapping, compiled: the metric by index, the scale folded in. */
typedef struct {
    const hl_config_statsd_map_t *map; /* borrowed from the config */
    size_t metric;                     /* index in the config */
    size_t tag_len[HL_CONFIG_STATSD_TAGS];
} s_map_t;

/*  Names resolved lately, so that a line pays a hash and a compare, not
    every mapping's glob: S_CACHE slots by the name's hash. A name whose
    resolution depends on its tags is not kept. */
#define S_CACHE 64
typedef struct {
    uint32_t hash;
    size_t len; /* 0: empty slot */
    int metric; /* -1: no metric */
    double scale;
    char name[HL_STATSD_MAX_NAME];
} s_cache_t;

/*  What one configured metric receives from StatsD. */
typedef struct {
    const char *name;  /* the metric's, borrowed from the config */
    double min, max;   /* its range */
    double gauge;      /* the last gauge value, in the metric's unit */
    bool has_gauge;    /* a gauge was set */
    int64_t c_second;  /* the second the counter sum is for */
    double c_sum;      /* increments in that second, scaled */
    bool c_pending;    /* c_sum not given yet */
    int64_t c_seen;    /* last second with an increment, 0: never */
    int64_t c_emitted; /* last second given to the sink */
} s_target_t;

typedef struct {
    char name[HL_STATSD_MAX_NAME + 1];
    uint64_t count;
    uint64_t used; /* the counters' unknown total when last seen: the
                      least recently seen entry goes first */
} s_unknown_t;

struct _hl_statsd_t {
    const hl_config_t *config;
    s_map_t *maps;
    size_t nmaps;
    s_target_t *targets; /* one per configured metric */
    size_t ntargets;
    size_t *name_len; /* of each configured metric's name */
    s_cache_t cache[S_CACHE];
    s_unknown_t unknown[HL_STATSD_UNKNOWN_NAMES];
    hl_statsd_counters_t n;
};

static const char *s_reason_names[HL_STATSD_REASONS]
    = { "ok",   "format", "name",      "value",           "type",
        "rate", "tags",   "timestamp", "too_many_values", "unsupported" };

const char *
hl_statsd_reason_name (hl_statsd_reason_t reason)
{
    return (unsigned)reason < HL_STATSD_REASONS ? s_reason_names[reason] : "?";
}

//  --------------------------------------------------------------------
//  Reading a line

/*  A name byte: printable ASCII without space, ':' (ends the name), '|'
    (starts a field) or '#' (starts tags). A table: it is asked for every
    byte of every name. */
#define S_N1(c)                                                                \
    ((c) > ' ' && (c) <= '~' && (c) != ':' && (c) != '|' && (c) != '#')
#define S_N4(c) S_N1 (c), S_N1 (c + 1), S_N1 (c + 2), S_N1 (c + 3)
#define S_N16(c) S_N4 (c), S_N4 (c + 4), S_N4 (c + 8), S_N4 (c + 12)
#define S_N64(c) S_N16 (c), S_N16 (c + 16), S_N16 (c + 32), S_N16 (c + 48)
static const bool s_name_chars[256] = { S_N64 (0), S_N64 (64) };

static inline bool
s_name_char (char c)
{
    return s_name_chars[(uint8_t)c];
}

/*  A name's hash for the mapping's cache: its length and up to 16 bytes
    of each end, mixed; the cache compares whole names anyway. */
static uint32_t
s_hash (const char *p, size_t len)
{
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t n = len < 8 ? len : 8;
    memcpy (&a, p, n);
    memcpy (&b, p + len - n, n);
    if (len > 16) {
        memcpy (&c, p + 8, 8);
        memcpy (&d, p + len - 16, 8);
    }
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull) ^ (c * 0xC2B2AE3D27D4EB4Full)
                  ^ (d * 0x165667B19E3779F9ull))
                 + len;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

/*  Powers of ten a double holds exactly. */
static const double s_pow10[]
    = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/*  A plain decimal number, [+-]? digits [. digits] [e [+-] digits], at
    least one digit before the exponent, finite. No "inf", "nan", hex or
    spaces, which strtod alone would take. The usual case (at most 15
    significant digits, no exponent) is one multiplication or division of
    two exact doubles, which rounds correctly as strtod does (Clinger's
    fast path); anything else goes to strtod. */
static bool
s_number (const char *p, size_t len, double *out)
{
    if (len == 0 || len > HL_STATSD_MAX_NUMBER)
        return false;
    size_t i = 0, digits = 0, fraction = 0;
    uint64_t mantissa = 0;
    bool negative = p[0] == '-';
    if (p[i] == '+' || p[i] == '-')
        i++;
    while (i < len && p[i] >= '0' && p[i] <= '9') {
        if (digits < 19)
            mantissa = mantissa * 10 + (uint64_t)(p[i] - '0');
        i++, digits++;
    }
    if (i < len && p[i] == '.') {
        i++;
        while (i < len && p[i] >= '0' && p[i] <= '9') {
            if (digits < 19)
                mantissa = mantissa * 10 + (uint64_t)(p[i] - '0');
            i++, digits++, fraction++;
        }
    }
    if (!digits)
        return false;
    bool exponent = false;
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        exponent = true;
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t exp = 0;
        while (i < len && p[i] >= '0' && p[i] <= '9')
            i++, exp++;
        if (!exp)
            return false;
    }
    if (i != len)
        return false;
    if (!exponent && digits <= 15 && fraction <= 22) {
        double v = (double)mantissa / s_pow10[fraction];
        *out = negative ? -v : v;
        return true;
    }
    char buf[HL_STATSD_MAX_NUMBER + 1];
    memcpy (buf, p, len);
    buf[len] = 0;
    double v = strtod (buf, NULL);
    if (!isfinite (v))
        return false;
    *out = v;
    return true;
}

static int
s_type (const char *p, size_t len)
{
    if (len == 1)
        switch (*p) {
            case 'c':
                return HL_STATSD_COUNTER;
            case 'g':
                return HL_STATSD_GAUGE;
            case 'h':
                return HL_STATSD_HISTOGRAM;
            case 'd':
                return HL_STATSD_DISTRIBUTION;
            case 's':
                return HL_STATSD_SET;
            default:
                return -1;
        }
    return len == 2 && p[0] == 'm' && p[1] == 's' ? HL_STATSD_TIMER : -1;
}

/*  "k:v,k2" into out's tags. */
static bool
s_tags (const char *p, size_t len, hl_statsd_line_t *out)
{
    const char *end = p + len;
    while (true) {
        const char *tag = p;
        while (p < end && *p != ',') {
            if (*p <= ' ' || *p > '~')
                return false;
            p++;
        }
        size_t tag_len = (size_t)(p - tag);
        if (tag_len == 0 || tag_len > HL_STATSD_MAX_TAG
            || out->ntags == HL_STATSD_MAX_TAGS)
            return false;
        out->tags[out->ntags].text = tag;
        out->tags[out->ntags++].len = tag_len;
        if (p == end)
            return true;
        p++; /* ',' */
    }
}

/*  Unix seconds: 1 to 11 digits, more than 0. */
static bool
s_timestamp (const char *p, size_t len, int64_t *out)
{
    if (len == 0 || len > 11)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    if (v <= 0)
        return false;
    *out = v;
    return true;
}

/*  The fields after a type, each "|...": "@rate", "#tags", "T<seconds>",
    or one DogStatsD may add (a container id "c:...", ...), which starts
    with a letter and is skipped. A rate or timestamp ends at '|' or at
    the ':' of the next segment; tags and other fields only at '|'. */
static hl_statsd_reason_t
s_fields (const char **p_p, const char *end, double *rate,
          hl_statsd_line_t *out)
{
    const char *p = *p_p;
    while (p < end && *p == '|') {
        p++;
        if (p == end)
            return HL_STATSD_FORMAT;
        char kind = *p;
        const char *start = ++p;
        bool to_colon = kind == '@' || kind == 'T';
        while (p < end && *p != '|' && !(to_colon && *p == ':'))
            p++;
        size_t len = (size_t)(p - start);
        if (kind == '@') {
            if (!s_number (start, len, rate) || !(*rate > 0 && *rate <= 1))
                return HL_STATSD_RATE;
        } else if (kind == '#') {
            if (!s_tags (start, len, out))
                return HL_STATSD_TAGS;
        } else if (kind == 'T') {
            if (!s_timestamp (start, len, &out->ts_s))
                return HL_STATSD_TIMESTAMP;
        } else if (!((kind >= 'a' && kind <= 'z')
                     || (kind >= 'A' && kind <= 'Z')))
            return HL_STATSD_FORMAT;
    }
    *p_p = p;
    return HL_STATSD_OK;
}

hl_statsd_reason_t
hl_statsd_parse (const char *line, size_t len, hl_statsd_line_t *out)
{
    out->nvalues = 0;
    out->ntags = 0;
    out->ts_s = 0;
    //  DogStatsD events ("_e{5,4}:title|text") and service checks
    //  ("_sc|name|0"): well formed, but nothing a KPI can take
    if ((len >= 3 && memcmp (line, "_e{", 3) == 0)
        || (len >= 4 && memcmp (line, "_sc|", 4) == 0))
        return HL_STATSD_UNSUPPORTED;
    const char *end = line + len;
    //  The name up to ':', every byte checked without a branch each
    const char *colon = (const char *)memchr (line, ':', len);
    if (!colon)
        return HL_STATSD_FORMAT;
    out->name = line;
    out->name_len = (size_t)(colon - line);
    if (out->name_len == 0 || out->name_len > HL_STATSD_MAX_NAME)
        return HL_STATSD_NAME;
    bool good = true;
    for (size_t i = 0; i < out->name_len; i++)
        good &= s_name_char (line[i]);
    if (!good)
        return HL_STATSD_NAME;
    out->name_hash = s_hash (line, out->name_len);

    //  Values, each "v" followed by ':' (DogStatsD packs "n:1:2:3|ms")
    //  or by "|type[|fields]" that ends a segment, itself followed by ':'
    //  and the next segment (Etsy's "n:1|c:2|ms") or by the end
    const char *raw[HL_STATSD_MAX_VALUES];
    size_t raw_len[HL_STATSD_MAX_VALUES];
    size_t n = 0, segment = 0;
    bool set = false;
    const char *p = colon + 1;
    while (true) {
        const char *token = p;
        while (p < end && *p != ':' && *p != '|')
            p++;
        if (p == token)
            return HL_STATSD_VALUE;
        if (n == HL_STATSD_MAX_VALUES)
            return HL_STATSD_VALUES;
        raw[n] = token;
        raw_len[n++] = (size_t)(p - token);
        if (p == end)
            return HL_STATSD_TYPE;
        if (*p++ == ':')
            continue;
        const char *type_at = p;
        while (p < end && *p != '|' && *p != ':')
            p++;
        int type = s_type (type_at, (size_t)(p - type_at));
        if (type < 0)
            return HL_STATSD_TYPE;
        double rate = 1;
        hl_statsd_reason_t rc = s_fields (&p, end, &rate, out);
        if (rc)
            return rc;
        //  The type known, the segment's values can be read: a set's are
        //  any text, a gauge's sign means a delta
        for (size_t i = segment; i < n; i++) {
            hl_statsd_value_t *v = &out->values[i];
            v->type = (hl_statsd_type_t)type;
            v->rate = rate;
            v->delta = type == HL_STATSD_GAUGE
                       && (raw[i][0] == '+' || raw[i][0] == '-');
            v->value = 0;
            if (type == HL_STATSD_SET)
                set = true;
            else if (!s_number (raw[i], raw_len[i], &v->value))
                return HL_STATSD_VALUE;
        }
        segment = n;
        if (p == end)
            break;
        p++; /* ':', the next segment */
    }
    out->nvalues = n;
    return set ? HL_STATSD_UNSUPPORTED : HL_STATSD_OK;
}

//  --------------------------------------------------------------------
//  Mapping

/*  pattern against name[0..len): "*" matches any run of characters
    without a '.'. The last '*' seen is the only backtracking point: a
    '.' in the name can only be matched by a '.' of the pattern, so an
    earlier '*' could not take more than it did. */
static bool
s_glob (const char *pat, const char *name, size_t len)
{
    const char *star = NULL;
    size_t star_at = 0, i = 0;
    while (i < len) {
        if (*pat == '*') {
            star = pat++;
            star_at = i;
        } else if (*pat && *pat == name[i]) {
            pat++;
            i++;
        } else if (star && name[star_at] != '.') {
            pat = star + 1;
            i = ++star_at;
        } else
            return false;
    }
    while (*pat == '*')
        pat++;
    return !*pat;
}

static bool
s_has_tag (const hl_statsd_line_t *line, const char *tag, size_t len)
{
    for (size_t i = 0; i < line->ntags; i++)
        if (line->tags[i].len == len
            && memcmp (line->tags[i].text, tag, len) == 0)
            return true;
    return false;
}

/*  The metric a line feeds and the scale of its values: the first mapping
    that matches its name and whose tags it carries all, else a metric of
    exactly its name. -1 if none. *tags_matter: a mapping with tags
    matched the name, so that another line of the same name may go
    elsewhere. */
static int
s_resolve_slow (const hl_statsd_t *self, const hl_statsd_line_t *line,
                double *scale, bool *tags_matter)
{
    *tags_matter = false;
    for (size_t i = 0; i < self->nmaps; i++) {
        const s_map_t *m = &self->maps[i];
        if (!s_glob (m->map->match, line->name, line->name_len))
            continue;
        *tags_matter |= m->map->tags_n > 0;
        size_t t = 0;
        while (t < m->map->tags_n
               && s_has_tag (line, m->map->tags[t], m->tag_len[t]))
            t++;
        if (t < m->map->tags_n)
            continue;
        *scale = m->map->scale;
        return (int)m->metric;
    }
    for (size_t i = 0; i < self->ntargets; i++)
        if (self->name_len[i] == line->name_len
            && memcmp (hl_config_metric (self->config, i)->name, line->name,
                       line->name_len)
                   == 0) {
            *scale = 1;
            return (int)i;
        }
    return -1;
}

/*  s_resolve_slow through the cache. */
static int
s_resolve (hl_statsd_t *self, const hl_statsd_line_t *line, double *scale)
{
    uint32_t hash = line->name_hash;
    s_cache_t *slot = &self->cache[hash % S_CACHE];
    if (slot->len == line->name_len && slot->hash == hash
        && memcmp (slot->name, line->name, line->name_len) == 0) {
        *scale = slot->scale;
        return slot->metric;
    }
    bool tags_matter;
    int metric = s_resolve_slow (self, line, scale, &tags_matter);
    if (!tags_matter) {
        slot->hash = hash;
        slot->len = line->name_len;
        slot->metric = metric;
        slot->scale = metric >= 0 ? *scale : 1;
        memcpy (slot->name, line->name, line->name_len);
    }
    return metric;
}

static void
s_remember_unknown (hl_statsd_t *self, const char *name, size_t len)
{
    s_unknown_t *slot = NULL;
    for (size_t i = 0; i < HL_STATSD_UNKNOWN_NAMES; i++) {
        s_unknown_t *u = &self->unknown[i];
        if (u->count && strlen (u->name) == len
            && memcmp (u->name, name, len) == 0) {
            slot = u;
            break;
        }
        if (!slot || u->used < slot->used)
            slot = u; /* unused (0) or least recently seen */
    }
    if (strlen (slot->name) != len || memcmp (slot->name, name, len) != 0) {
        memcpy (slot->name, name, len);
        slot->name[len] = 0;
        slot->count = 0;
    }
    slot->count++;
    slot->used = self->n.unknown;
}

//  --------------------------------------------------------------------
//  Samples

/*  One sample of metric i, checked against the metric's range. */
static void
s_emit (hl_statsd_t *self, size_t i, double value, int64_t ts_us,
        hl_statsd_sample_fn *fn, void *arg)
{
    const s_target_t *t = &self->targets[i];
    if (!isfinite (value) || value < t->min || value > t->max) {
        self->n.out_of_range++;
        return;
    }
    if (fn (arg, i, t->name, value, ts_us))
        self->n.refused++;
    else
        self->n.samples++;
}

/*  A counter's rate per second, at the middle of its second. */
static void
s_counter_emit (hl_statsd_t *self, size_t i, int64_t second, double sum,
                hl_statsd_sample_fn *fn, void *arg)
{
    self->targets[i].c_emitted = second;
    s_emit (self, i, sum, second * 1000000 + 500000, fn, arg);
}

/*  Give counter i's seconds before now_s: the pending sum, then 0 for the
    few seconds since without an increment (a late timer may have skipped
    one), while the counter is not idle. */
static void
s_counter_roll (hl_statsd_t *self, size_t i, int64_t now_s,
                hl_statsd_sample_fn *fn, void *arg)
{
    s_target_t *t = &self->targets[i];
    if (t->c_second == now_s || !t->c_seen)
        return;
    if (t->c_pending)
        s_counter_emit (self, i, t->c_second, t->c_sum, fn, arg);
    t->c_pending = false;
    int64_t from = t->c_emitted + 1;
    if (from < now_s - 3)
        from = now_s - 3;
    for (int64_t s = from; s < now_s && s - t->c_seen <= HL_STATSD_COUNTER_IDLE;
         s++)
        s_counter_emit (self, i, s, 0, fn, arg);
    t->c_second = now_s;
    t->c_sum = 0;
}

static void
s_value (hl_statsd_t *self, size_t i, const hl_statsd_value_t *v, double scale,
         int64_t ts_us, int64_t now_us, hl_statsd_sample_fn *fn, void *arg)
{
    s_target_t *t = &self->targets[i];
    double x = v->value * scale;
    switch (v->type) {
        case HL_STATSD_COUNTER: {
            //  Counted when it arrives: a counter's second is the
            //  master's, whatever the line's timestamp says
            int64_t now_s = now_us / 1000000;
            s_counter_roll (self, i, now_s, fn, arg);
            t->c_second = now_s;
            t->c_sum += x / v->rate;
            t->c_pending = true;
            t->c_seen = now_s;
            break;
        }
        case HL_STATSD_GAUGE: {
            double value = v->delta ? (t->has_gauge ? t->gauge : 0) + x : x;
            //  A gauge out of range does not move the gauge
            if (!isfinite (value) || value < t->min || value > t->max) {
                self->n.out_of_range++;
                break;
            }
            t->gauge = value;
            t->has_gauge = true;
            s_emit (self, i, value, ts_us, fn, arg);
            break;
        }
        default:
            s_emit (self, i, x, ts_us, fn, arg);
            break;
    }
}

static void
s_line (hl_statsd_t *self, const char *text, size_t len, int64_t now_us,
        hl_statsd_sample_fn *fn, void *arg)
{
    self->n.lines++;
    hl_statsd_line_t line;
    hl_statsd_reason_t rc = hl_statsd_parse (text, len, &line);
    if (rc == HL_STATSD_UNSUPPORTED) {
        self->n.unsupported++;
        return;
    }
    if (rc) {
        self->n.malformed++;
        self->n.malformed_by[rc]++;
        return;
    }
    double scale = 1;
    int i = s_resolve (self, &line, &scale);
    if (i < 0) {
        self->n.unknown++;
        s_remember_unknown (self, line.name, line.name_len);
        return;
    }
    int64_t ts_us = line.ts_s ? line.ts_s * 1000000 : now_us;
    self->n.values += line.nvalues;
    for (size_t k = 0; k < line.nvalues; k++)
        s_value (self, (size_t)i, &line.values[k], scale, ts_us, now_us, fn,
                 arg);
}

//  --------------------------------------------------------------------
//  API

hl_statsd_t *
hl_statsd_new (const hl_config_t *config)
{
    if (!config)
        return NULL;
    hl_statsd_t *self = (hl_statsd_t *)hl_alloc (sizeof *self);
    self->config = config;
    self->ntargets = hl_config_metrics_size (config);
    self->targets
        = (s_target_t *)hl_calloc (self->ntargets + 1, sizeof (s_target_t));
    self->name_len = (size_t *)hl_calloc (self->ntargets + 1, sizeof (size_t));
    for (size_t i = 0; i < self->ntargets; i++) {
        const hl_config_metric_t *m = hl_config_metric (config, i);
        self->name_len[i] = strlen (m->name);
        self->targets[i].name = m->name;
        self->targets[i].min = m->min;
        self->targets[i].max = m->max;
    }
    const hl_config_statsd_t *sc = hl_config_statsd (config);
    self->maps = (s_map_t *)hl_calloc (sc->mapping_n + 1, sizeof (s_map_t));
    for (size_t i = 0; i < sc->mapping_n; i++) {
        const hl_config_metric_t *m
            = hl_config_metric_find (config, sc->mapping[i].metric);
        if (!m)
            continue; /* the loader refuses this; be safe anyway */
        s_map_t *map = &self->maps[self->nmaps++];
        map->map = &sc->mapping[i];
        map->metric = (size_t)(m - hl_config_metric (config, 0));
        for (size_t t = 0; t < sc->mapping[i].tags_n; t++)
            map->tag_len[t] = strlen (sc->mapping[i].tags[t]);
    }
    return self;
}

void
hl_statsd_destroy (hl_statsd_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_statsd_t *self = *self_p;
    free (self->maps);
    free (self->targets);
    free (self->name_len);
    free (self);
    *self_p = NULL;
}

size_t
hl_statsd_packet (hl_statsd_t *self, const char *data, size_t len,
                  int64_t now_us, hl_statsd_sample_fn *fn, void *arg)
{
    self->n.packets++;
    self->n.bytes += len;
    size_t lines = 0;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = (const char *)memchr (p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        if (stop > p && stop[-1] == '\r')
            stop--;
        if (stop > p) {
            s_line (self, p, (size_t)(stop - p), now_us, fn, arg);
            lines++;
        }
        p = nl ? nl + 1 : end;
    }
    return lines;
}

void
hl_statsd_oversize (hl_statsd_t *self)
{
    self->n.packets++;
    self->n.oversize++;
}

void
hl_statsd_flush (hl_statsd_t *self, int64_t now_us, hl_statsd_sample_fn *fn,
                 void *arg)
{
    for (size_t i = 0; i < self->ntargets; i++)
        s_counter_roll (self, i, now_us / 1000000, fn, arg);
}

const hl_statsd_counters_t *
hl_statsd_counters (const hl_statsd_t *self)
{
    return &self->n;
}

hl_value_t *
hl_statsd_status (const hl_statsd_t *self)
{
    const hl_statsd_counters_t *n = &self->n;
    hl_value_t *map = hl_value_new_map ();
    hl_value_set_int (map, "packets", (int64_t)n->packets);
    hl_value_set_int (map, "bytes", (int64_t)n->bytes);
    hl_value_set_int (map, "oversize", (int64_t)n->oversize);
    hl_value_set_int (map, "lines", (int64_t)n->lines);
    hl_value_set_int (map, "values", (int64_t)n->values);
    hl_value_set_int (map, "samples", (int64_t)n->samples);
    hl_value_set_int (map, "malformed", (int64_t)n->malformed);
    hl_value_t *by = hl_value_new_map ();
    for (int i = 1; i < HL_STATSD_REASONS; i++)
        if (n->malformed_by[i])
            hl_value_set_int (by, s_reason_names[i],
                              (int64_t)n->malformed_by[i]);
    hl_value_set (map, "malformed_by", &by);
    hl_value_set_int (map, "unsupported", (int64_t)n->unsupported);
    hl_value_set_int (map, "unknown", (int64_t)n->unknown);
    hl_value_t *names = hl_value_new_map ();
    for (size_t i = 0; i < HL_STATSD_UNKNOWN_NAMES; i++)
        if (self->unknown[i].count)
            hl_value_set_int (names, self->unknown[i].name,
                              (int64_t)self->unknown[i].count);
    hl_value_set (map, "unknown_names", &names);
    hl_value_set_int (map, "out_of_range", (int64_t)n->out_of_range);
    hl_value_set_int (map, "refused", (int64_t)n->refused);
    hl_value_set_int (map, "mappings", (int64_t)self->nmaps);
    return map;
}
