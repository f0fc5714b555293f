/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_kpi - per metric, a fixed ring of per-second buckets indexed by
    unix second modulo HL_KPI_RING; each bucket carries exact count, sum,
    min, max and last, and a sparse sorted logarithmic sketch (DDSketch
    style) bounded to HL_KPI_SKETCH_BINS bins. Names resolve through a
    small open-addressing hash built once from the config.
*/
#include <assert.h>
#include <czmq.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../bus/hl_hash.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"
#include "hl_kpi.h"

//  Sketch keys are int16: 0 for zero, +-(k + S_KEY_BIAS) for a magnitude
//  in (gamma^(k-1), gamma^k], so keys sort in value order across signs.
#define S_KEY_BIAS 16384
#define S_K_MAX 16383
#define S_STACK_BINS 512 //  window merges this wide need no malloc

typedef struct {
    int64_t second;  /* unix second held, INT64_MIN = never used */
    int64_t last_ts; /* ts_us of the sample in last */
    double sum;
    double min;
    double max;
    double last;
    uint32_t count;                      /* samples; 4G/s is out of reach */
    uint16_t bins;                       /* sketch bins in use */
    int16_t keys[HL_KPI_SKETCH_BINS];    /* ascending */
    uint32_t counts[HL_KPI_SKETCH_BINS]; /* samples per key */
} s_bucket_t;

//  The header promises this size; keep them in step.
_Static_assert(sizeof (s_bucket_t) == 440, "bucket size differs from hl_kpi.h");

typedef struct {
    const hl_config_metric_t *config; /* borrowed; name lives here */
    s_bucket_t *ring;                 /* HL_KPI_RING buckets */
    bool critical;                    /* the last sample stored was at or
                                         past the critical level */
} s_metric_t;

typedef struct {
    char name[HL_MAX_METRIC + 1]; /* cut to fit */
    uint64_t count;               /* samples seen under this name */
    uint64_t seen;                /* self->unknown_seq when last seen */
} s_unknown_t;

struct _hl_kpi_t {
    const hl_config_t *config; /* borrowed */
    s_metric_t *metrics;       /* config order */
    size_t metrics_n;
    size_t *hash;      /* metric index + 1, 0 = empty slot */
    size_t hash_mask;  /* hash size - 1, a power of two minus 1 */
    double gamma;      /* the sketch's bin ratio */
    double log_gamma;  /* and its log */
    int64_t flushed_s; /* last second flushed, INT64_MIN = none */
    hl_kpi_counters_t counters;
    s_unknown_t unknown[HL_KPI_UNKNOWN_NAMES];
    size_t unknown_n;
    uint64_t unknown_seq;
};

static int64_t
s_floor_div (int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static size_t
s_slot (int64_t second)
{
    int64_t i = second % HL_KPI_RING;
    return (size_t)(i < 0 ? i + HL_KPI_RING : i);
}

static s_metric_t *
s_find (const hl_kpi_t *self, const char *name)
{
    if (!name || self->metrics_n == 0)
        return NULL;
    size_t i = (size_t)hl_hash_str (name) & self->hash_mask;
    while (self->hash[i]) {
        s_metric_t *metric = &self->metrics[self->hash[i] - 1];
        if (strcmp (metric->config->name, name) == 0)
            return metric;
        i = (i + 1) & self->hash_mask;
    }
    return NULL;
}

hl_kpi_t *
hl_kpi_new (const hl_config_t *config)
{
    if (!config)
        return NULL;
    hl_kpi_t *self = (hl_kpi_t *)hl_alloc (sizeof (hl_kpi_t));
    self->config = config;
    self->gamma = (1 + HL_KPI_ALPHA) / (1 - HL_KPI_ALPHA);
    self->log_gamma = log (self->gamma);
    self->flushed_s = INT64_MIN;
    self->metrics_n = hl_config_metrics_size (config);

    //  Load factor at most 1/2 keeps probes short
    size_t size = 4;
    while (size < 2 * self->metrics_n)
        size *= 2;
    self->hash = (size_t *)hl_calloc (size, sizeof (size_t));
    self->hash_mask = size - 1;

    self->metrics
        = (s_metric_t *)hl_calloc (self->metrics_n, sizeof (s_metric_t));
    for (size_t m = 0; m < self->metrics_n; m++) {
        s_metric_t *metric = &self->metrics[m];
        metric->config = hl_config_metric (config, m);
        metric->ring
            = (s_bucket_t *)hl_calloc (HL_KPI_RING, sizeof (s_bucket_t));
        for (size_t i = 0; i < HL_KPI_RING; i++)
            metric->ring[i].second = INT64_MIN;
        //  Config names are unique, so no duplicate check
        size_t i = (size_t)hl_hash_str (metric->config->name) & self->hash_mask;
        while (self->hash[i])
            i = (i + 1) & self->hash_mask;
        self->hash[i] = m + 1;
    }
    return self;
}

void
hl_kpi_destroy (hl_kpi_t **self_p)
{
    assert (self_p);
    hl_kpi_t *self = *self_p;
    if (!self)
        return;
    for (size_t m = 0; m < self->metrics_n; m++)
        free (self->metrics[m].ring);
    free (self->metrics);
    free (self->hash);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  Sketch

static int16_t
s_key (const hl_kpi_t *self, double value)
{
    if (value == 0)
        return 0;
    double k = ceil (log (fabs (value)) / self->log_gamma);
    if (k > S_K_MAX)
        k = S_K_MAX;
    if (k < -S_K_MAX)
        k = -S_K_MAX;
    int key = (int)k + S_KEY_BIAS;
    return (int16_t)(value < 0 ? -key : key);
}

//  The value a key stands for: the point of its bin (gamma^(k-1),
//  gamma^k] whose relative distance to either end is HL_KPI_ALPHA.
static double
s_key_value (const hl_kpi_t *self, int key)
{
    if (key == 0)
        return 0;
    int k = abs (key) - S_KEY_BIAS;
    double value = 2 * exp (k * self->log_gamma) / (self->gamma + 1);
    return key < 0 ? -value : value;
}

static void
s_sketch_add (s_bucket_t *bucket, int16_t key)
{
    //  Binary search for the first key >= key
    size_t lo = 0, hi = bucket->bins;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (bucket->keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < bucket->bins && bucket->keys[lo] == key) {
        bucket->counts[lo]++;
        return;
    }
    if (bucket->bins == HL_KPI_SKETCH_BINS) {
        //  Full: lose precision at the low end only, so p95 stays exact
        if (lo == 0) {
            bucket->counts[0]++;
            return;
        }
        bucket->counts[1] += bucket->counts[0];
        memmove (bucket->keys, bucket->keys + 1,
                 (bucket->bins - 1) * sizeof *bucket->keys);
        memmove (bucket->counts, bucket->counts + 1,
                 (bucket->bins - 1) * sizeof *bucket->counts);
        bucket->bins--;
        lo--;
    }
    memmove (bucket->keys + lo + 1, bucket->keys + lo,
             (bucket->bins - lo) * sizeof *bucket->keys);
    memmove (bucket->counts + lo + 1, bucket->counts + lo,
             (bucket->bins - lo) * sizeof *bucket->counts);
    bucket->keys[lo] = key;
    bucket->counts[lo] = 1;
    bucket->bins++;
}

//  Ranks (0-based) of p50 and p95 among count samples, by the nearest-
//  rank rule: the ceil(q * count)-th smallest. Rounding down instead would
//  make the p95 of a few slow samples miss the slowest of them.
static uint64_t
s_rank (double q, uint64_t count)
{
    uint64_t r = (uint64_t)ceil (q * (double)count);
    return r ? r - 1 : 0;
}

static void
s_ranks (uint64_t count, uint64_t *r50, uint64_t *r95)
{
    *r50 = s_rank (0.50, count);
    *r95 = s_rank (0.95, count);
}

static double
s_clamp (double value, double min, double max)
{
    return value < min ? min : value > max ? max : value;
}

static void
s_stats_empty (hl_kpi_stats_t *out)
{
    out->count = 0;
    out->mean = out->p50 = out->p95 = NAN;
    out->min = out->max = out->last = NAN;
}

//  Stats of one bucket, straight from its sorted sketch
static void
s_bucket_stats (const hl_kpi_t *self, const s_bucket_t *bucket,
                hl_kpi_stats_t *out)
{
    out->second = bucket->second;
    out->count = bucket->count;
    out->mean = bucket->sum / bucket->count;
    out->min = bucket->min;
    out->max = bucket->max;
    out->last = bucket->last;
    uint64_t r50, r95, cum = 0;
    s_ranks (bucket->count, &r50, &r95);
    bool have50 = false;
    for (size_t i = 0; i < bucket->bins; i++) {
        cum += bucket->counts[i];
        if (!have50 && cum > r50) {
            out->p50 = s_clamp (s_key_value (self, bucket->keys[i]), out->min,
                                out->max);
            have50 = true;
        }
        if (cum > r95) {
            out->p95 = s_clamp (s_key_value (self, bucket->keys[i]), out->min,
                                out->max);
            break;
        }
    }
}

//  ---------------------------------------------------------------------
//  Ingestion

static void
s_unknown (hl_kpi_t *self, const char *name)
{
    self->counters.unknown++;
    self->unknown_seq++;
    size_t oldest = 0;
    for (size_t i = 0; i < self->unknown_n; i++) {
        s_unknown_t *entry = &self->unknown[i];
        if (strncmp (entry->name, name, HL_MAX_METRIC) == 0) {
            entry->count++;
            entry->seen = self->unknown_seq;
            return;
        }
        if (entry->seen < self->unknown[oldest].seen)
            oldest = i;
    }
    //  A new name takes a free entry, or the least recently seen one
    s_unknown_t *entry = self->unknown_n < HL_KPI_UNKNOWN_NAMES
                             ? &self->unknown[self->unknown_n++]
                             : &self->unknown[oldest];
    snprintf (entry->name, sizeof entry->name, "%s", name);
    entry->count = 1;
    entry->seen = self->unknown_seq;
}

static int s_add (hl_kpi_t *self, s_metric_t *metric, double value,
                  int64_t ts_us, int64_t now_us);

int
hl_kpi_add (hl_kpi_t *self, const char *name, double value, int64_t ts_us,
            int64_t now_us)
{
    assert (self);
    if (!name)
        return HL_ERR_ARGS;
    s_metric_t *metric = s_find (self, name);
    if (!metric) {
        s_unknown (self, name);
        return HL_ERR_ARGS;
    }
    return s_add (self, metric, value, ts_us, now_us);
}

int
hl_kpi_add_at (hl_kpi_t *self, size_t index, double value, int64_t ts_us,
               int64_t now_us)
{
    assert (self);
    if (index >= self->metrics_n)
        return HL_ERR_ARGS;
    return s_add (self, &self->metrics[index], value, ts_us, now_us);
}

/*  hl_kpi_add once the metric is known. */
static int
s_add (hl_kpi_t *self, s_metric_t *metric, double value, int64_t ts_us,
       int64_t now_us)
{
    if (!isfinite (value)) {
        self->counters.not_finite++;
        return HL_ERR_RANGE;
    }
    //  A value the metric cannot take is a broken publisher, not news:
    //  it must not move a score (a negative latency would pass as fast)
    if (value < metric->config->min || value > metric->config->max) {
        self->counters.out_of_range++;
        return HL_ERR_RANGE;
    }
    if (now_us <= INT64_MAX - HL_KPI_FUTURE_US
        && ts_us > now_us + HL_KPI_FUTURE_US) {
        self->counters.too_new++;
        return HL_ERR_RANGE;
    }
    int64_t second = s_floor_div (ts_us, 1000000);
    if (second < s_floor_div (now_us, 1000000) - HL_KPI_HORIZON_S) {
        self->counters.too_old++;
        return HL_ERR_RANGE;
    }
    s_bucket_t *bucket = &metric->ring[s_slot (second)];
    if (bucket->second > second) {
        //  Only if the clock stepped back: never overwrite newer data
        self->counters.too_old++;
        return HL_ERR_RANGE;
    }
    if (bucket->second < second) {
        bucket->second = second;
        bucket->count = 0;
        bucket->bins = 0;
        bucket->sum = 0;
    }
    if (bucket->count == 0) {
        bucket->min = bucket->max = bucket->last = value;
        bucket->last_ts = ts_us;
    } else {
        if (value < bucket->min)
            bucket->min = value;
        if (value > bucket->max)
            bucket->max = value;
        if (ts_us >= bucket->last_ts) {
            bucket->last = value;
            bucket->last_ts = ts_us;
        }
    }
    bucket->count++;
    bucket->sum += value;
    s_sketch_add (bucket, s_key (self, value));
    if (second <= self->flushed_s)
        self->counters.after_flush++;
    self->counters.accepted++;
    bool critical = hl_config_metric_critical (metric->config, value);
    if (critical && !metric->critical)
        self->counters.crossings++;
    metric->critical = critical;
    return 0;
}

//  ---------------------------------------------------------------------
//  Queries

//  The seconds overlapping [from_us, to_us), cut to the ring's length
static void
s_range (int64_t from_us, int64_t to_us, int64_t *first, int64_t *last)
{
    *first = s_floor_div (from_us, 1000000);
    *last = s_floor_div (to_us - 1, 1000000);
    if (*last - *first >= HL_KPI_RING)
        *first = *last - HL_KPI_RING + 1;
}

static int s_window (const hl_kpi_t *self, const char *name, int64_t from_us,
                     int64_t to_us, hl_kpi_stats_t *out, bool quantiles);

int
hl_kpi_window (const hl_kpi_t *self, const char *name, int64_t from_us,
               int64_t to_us, hl_kpi_stats_t *out)
{
    return s_window (self, name, from_us, to_us, out, true);
}

int
hl_kpi_window_basic (const hl_kpi_t *self, const char *name, int64_t from_us,
                     int64_t to_us, hl_kpi_stats_t *out)
{
    return s_window (self, name, from_us, to_us, out, false);
}

int
hl_kpi_window_for (const hl_kpi_t *self, const char *name, const char *stat,
                   int64_t from_us, int64_t to_us, hl_kpi_stats_t *out)
{
    bool quantile = stat && (streq (stat, "p50") || streq (stat, "p95"));
    return s_window (self, name, from_us, to_us, out, quantile);
}

static int
s_window (const hl_kpi_t *self, const char *name, int64_t from_us,
          int64_t to_us, hl_kpi_stats_t *out, bool quantiles)
{
    assert (self);
    assert (out);
    s_stats_empty (out);
    out->second = 0;
    const s_metric_t *metric = s_find (self, name);
    if (!metric || from_us >= to_us)
        return HL_ERR_ARGS;

    //  Pass 1: exact aggregates and the span of sketch keys
    int64_t first, last;
    s_range (from_us, to_us, &first, &last);
    double sum = 0;
    int64_t last_ts = INT64_MIN;
    int kmin = INT16_MAX, kmax = INT16_MIN;
    for (int64_t s = first; s <= last; s++) {
        const s_bucket_t *bucket = &metric->ring[s_slot (s)];
        if (bucket->second != s || bucket->count == 0)
            continue;
        if (out->count == 0 || bucket->min < out->min)
            out->min = bucket->min;
        if (out->count == 0 || bucket->max > out->max)
            out->max = bucket->max;
        if (bucket->last_ts >= last_ts) {
            last_ts = bucket->last_ts;
            out->last = bucket->last;
        }
        out->count += bucket->count;
        sum += bucket->sum;
        if (bucket->keys[0] < kmin)
            kmin = bucket->keys[0];
        if (bucket->keys[bucket->bins - 1] > kmax)
            kmax = bucket->keys[bucket->bins - 1];
    }
    if (out->count == 0)
        return 0;
    out->mean = sum / (double)out->count;
    if (!quantiles)
        return 0;

    //  Pass 2: merge the sketches into a dense histogram over that span
    size_t span = (size_t)(kmax - kmin + 1);
    uint64_t stack[S_STACK_BINS] = { 0 };
    uint64_t *hist = span <= S_STACK_BINS
                         ? stack
                         : (uint64_t *)hl_calloc (span, sizeof (uint64_t));
    for (int64_t s = first; s <= last; s++) {
        const s_bucket_t *bucket = &metric->ring[s_slot (s)];
        if (bucket->second != s)
            continue;
        for (size_t i = 0; i < bucket->bins; i++)
            hist[bucket->keys[i] - kmin] += bucket->counts[i];
    }
    uint64_t r50, r95, cum = 0;
    s_ranks (out->count, &r50, &r95);
    bool have50 = false;
    for (size_t i = 0; i < span; i++) {
        if (!hist[i])
            continue;
        cum += hist[i];
        if (!have50 && cum > r50) {
            out->p50 = s_clamp (s_key_value (self, (int)i + kmin), out->min,
                                out->max);
            have50 = true;
        }
        if (cum > r95) {
            out->p95 = s_clamp (s_key_value (self, (int)i + kmin), out->min,
                                out->max);
            break;
        }
    }
    if (hist != stack)
        free (hist);
    return 0;
}

int
hl_kpi_stat (const hl_kpi_stats_t *stats, const char *stat, double *out)
{
    assert (stats);
    assert (out);
    const double *field = NULL;
    if (!stat)
        return HL_ERR_ARGS;
    else if (streq (stat, "mean"))
        field = &stats->mean;
    else if (streq (stat, "p50"))
        field = &stats->p50;
    else if (streq (stat, "p95"))
        field = &stats->p95;
    else if (streq (stat, "min"))
        field = &stats->min;
    else if (streq (stat, "max"))
        field = &stats->max;
    else if (streq (stat, "last"))
        field = &stats->last;
    else
        return HL_ERR_ARGS;
    if (stats->count == 0)
        return HL_ERR_MISSING;
    *out = *field;
    return 0;
}

int
hl_kpi_series (const hl_kpi_t *self, const char *name, int64_t from_us,
               int64_t to_us, hl_kpi_second_fn *fn, void *arg)
{
    assert (self);
    assert (fn);
    const s_metric_t *metric = s_find (self, name);
    if (!metric)
        return HL_ERR_ARGS;
    if (from_us >= to_us)
        return 0;
    int64_t first, last;
    s_range (from_us, to_us, &first, &last);
    int calls = 0;
    for (int64_t s = first; s <= last; s++) {
        const s_bucket_t *bucket = &metric->ring[s_slot (s)];
        if (bucket->second != s || bucket->count == 0)
            continue;
        hl_kpi_stats_t stats;
        s_bucket_stats (self, bucket, &stats);
        fn (metric->config->name, &stats, arg);
        calls++;
    }
    return calls;
}

int
hl_kpi_flush (hl_kpi_t *self, int64_t now_us, hl_kpi_second_fn *fn, void *arg)
{
    assert (self);
    assert (fn);
    if (now_us < INT64_MIN / 2)
        return 0; //  not a wall clock; keeps the arithmetic below in range
    //  Second s is closed once now_us >= (s + 1) s + HL_KPI_CLOSE_US
    int64_t closed = s_floor_div (now_us - HL_KPI_CLOSE_US, 1000000) - 1;
    if (closed <= self->flushed_s)
        return 0;
    int64_t first = closed - HL_KPI_RING + 1;
    if (self->flushed_s != INT64_MIN && self->flushed_s + 1 > first)
        first = self->flushed_s + 1;
    int calls = 0;
    for (int64_t s = first; s <= closed; s++)
        for (size_t m = 0; m < self->metrics_n; m++) {
            const s_bucket_t *bucket = &self->metrics[m].ring[s_slot (s)];
            if (bucket->second != s || bucket->count == 0)
                continue;
            hl_kpi_stats_t stats;
            s_bucket_stats (self, bucket, &stats);
            fn (self->metrics[m].config->name, &stats, arg);
            calls++;
        }
    self->flushed_s = closed;
    return calls;
}

//  ---------------------------------------------------------------------
//  Status

const hl_kpi_counters_t *
hl_kpi_counters (const hl_kpi_t *self)
{
    assert (self);
    return &self->counters;
}

size_t
hl_kpi_unknown_size (const hl_kpi_t *self)
{
    assert (self);
    return self->unknown_n;
}

const char *
hl_kpi_unknown_name (const hl_kpi_t *self, size_t i, uint64_t *count_p)
{
    assert (self);
    if (i >= self->unknown_n)
        return NULL;
    if (count_p)
        *count_p = self->unknown[i].count;
    return self->unknown[i].name;
}

size_t
hl_kpi_bytes (const hl_kpi_t *self)
{
    assert (self);
    return sizeof (hl_kpi_t) + (self->hash_mask + 1) * sizeof (size_t)
           + self->metrics_n
                 * (sizeof (s_metric_t) + HL_KPI_RING * sizeof (s_bucket_t));
}

hl_value_t *
hl_kpi_status (const hl_kpi_t *self)
{
    assert (self);
    const hl_kpi_counters_t *c = &self->counters;
    hl_value_t *status = hl_value_new_map ();
    hl_value_set_int (status, "metrics", (int64_t)self->metrics_n);
    hl_value_set_int (status, "bytes", (int64_t)hl_kpi_bytes (self));
    hl_value_set_int (status, "accepted", (int64_t)c->accepted);
    hl_value_set_int (status, "after_flush", (int64_t)c->after_flush);
    hl_value_set_int (status, "crossings", (int64_t)c->crossings);

    hl_value_t *rejected = hl_value_new_map ();
    hl_value_set_int (rejected, "unknown", (int64_t)c->unknown);
    hl_value_set_int (rejected, "not_finite", (int64_t)c->not_finite);
    hl_value_set_int (rejected, "out_of_range", (int64_t)c->out_of_range);
    hl_value_set_int (rejected, "too_old", (int64_t)c->too_old);
    hl_value_set_int (rejected, "too_new", (int64_t)c->too_new);
    hl_value_set (status, "rejected", &rejected);

    hl_value_t *names = hl_value_new_map ();
    for (size_t i = 0; i < self->unknown_n; i++)
        hl_value_set_int (names, self->unknown[i].name,
                          (int64_t)self->unknown[i].count);
    hl_value_set (status, "unknown_names", &names);
    return status;
}
