/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_kpi - the master's KPI tracker (design §5): per configured metric, a
    ring of per-second buckets (count, sum, min, max, last and a quantile
    sketch with ~1% relative error) covering the last hour, so windowed
    statistics cost O(window seconds) however fast samples arrive. Owned by
    the master's reactor thread; no locks.
*/
#ifndef HL_KPI_H
#define HL_KPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_value.h"

/*  Seconds in each metric's ring: one hour plus a margin for late samples
    and for the few seconds a sender's clock may run ahead. */
#define HL_KPI_RING 3720

/*  A sample older than now - HL_KPI_HORIZON_S seconds is refused (too
    old); one more than HL_KPI_FUTURE_US ahead of now is refused (too
    new). HORIZON + FUTURE + 1 second fits in the ring, so an accepted
    sample never lands in a slot a still-valid second occupies. */
#define HL_KPI_HORIZON_S 3660
#define HL_KPI_FUTURE_US 5000000

/*  A second is closed, and hl_kpi_flush reports it, once now_us is
    HL_KPI_CLOSE_US past its end: samples in flight get a grace period. */
#define HL_KPI_CLOSE_US 250000

/*  Sketch: logarithmic bins of relative accuracy HL_KPI_ALPHA (a value is
    reported within 1% of its true value), at most HL_KPI_SKETCH_BINS bins
    per second. When a second needs more bins, its lowest two merge, so
    high quantiles (p95) stay exact to 1% and only the lowest lose
    precision. Zero and negative values have their own bins. Magnitudes
    outside about 1e-142..1e142 fall in the extreme bins. */
#define HL_KPI_ALPHA 0.01
#define HL_KPI_SKETCH_BINS 64

/*  Memory: a bucket is 440 bytes (56 of scalars, 6 per sketch bin), so a
    metric costs HL_KPI_RING * 440 = 1,636,800 bytes (about 1.6 MiB), fixed
    at hl_kpi_new whatever the sample rate; hl_kpi_bytes gives the exact
    total. The 12 metrics of deploy/helios.cfg take about 19.6 MB. */

/*  Unknown metric names remembered for status (least recently seen goes). */
#define HL_KPI_UNKNOWN_NAMES 32

typedef struct _hl_kpi_t hl_kpi_t;

/*  Statistics of a window or of one second. Quantiles are within
    HL_KPI_ALPHA of a true sample value of that rank, clamped to
    [min, max]; all fields but count are NAN when count is 0. */
typedef struct {
    int64_t second; /* hl_kpi_series/flush: unix second; else 0 */
    uint64_t count; /* samples */
    double mean;
    double p50;
    double p95;
    double min;
    double max;
    double last; /* value of the sample with the latest ts */
} hl_kpi_stats_t;

/*  Counters since hl_kpi_new, for status. */
typedef struct {
    uint64_t accepted;     /* samples stored */
    uint64_t unknown;      /* refused: name not in the config */
    uint64_t not_finite;   /* refused: NaN or +-inf */
    uint64_t out_of_range; /* refused: outside the metric's min..max
                              (a negative latency, a 120% ratio) */
    uint64_t too_old;      /* refused: older than the horizon, or older
                              than what now occupies its ring slot */
    uint64_t too_new;      /* refused: more than HL_KPI_FUTURE_US ahead */
    uint64_t after_flush;  /* stored, but its second was already flushed
                              and will not be published again */
    uint64_t crossings;    /* stored samples at or past their metric's
                              critical level whose previous one was not:
                              health may have just fallen (hl_master
                              recomputes it at once when this moves) */
} hl_kpi_counters_t;

/*  Called for one metric's second; name and stats are borrowed. */
typedef void (hl_kpi_second_fn) (const char *name, const hl_kpi_stats_t *stats,
                                 void *arg);

/*  Track the metrics of config, which must outlive the tracker. Returns
    NULL if config is NULL. The caller owns the result. */
hl_kpi_t *hl_kpi_new (const hl_config_t *config);

void hl_kpi_destroy (hl_kpi_t **self_p);

/*  Add one sample of metric name taken at ts_us (wall clock, microseconds)
    when the wall clock reads now_us. Returns 0; HL_ERR_ARGS for a name
    not in the config (counted, and remembered in the unknown table);
    HL_ERR_RANGE for a value that is not finite or outside the metric's
    configured min..max, or a ts too old or too new (see above). Every
    refusal is counted by reason. */
int hl_kpi_add (hl_kpi_t *self, const char *name, double value, int64_t ts_us,
                int64_t now_us);

/*  hl_kpi_add for the metric at index in the config's order, without the
    name's lookup (StatsD resolves names once). HL_ERR_ARGS for an index
    past the metrics. */
int hl_kpi_add_at (hl_kpi_t *self, size_t index, double value, int64_t ts_us,
                   int64_t now_us);

/*  Statistics of name's samples in every second that overlaps
    [from_us, to_us), limited to the ring. Returns 0 (out->count may be
    0), or HL_ERR_ARGS for an unknown name or from_us >= to_us. */
int hl_kpi_window (const hl_kpi_t *self, const char *name, int64_t from_us,
                   int64_t to_us, hl_kpi_stats_t *out);

/*  hl_kpi_window without the quantiles (p50 and p95 stay NaN), which cost
    a merge of every second's sketch. */
int hl_kpi_window_basic (const hl_kpi_t *self, const char *name,
                         int64_t from_us, int64_t to_us, hl_kpi_stats_t *out);

/*  The window stat (as hl_kpi_stat names it) needs: hl_kpi_window for a
    quantile, hl_kpi_window_basic otherwise. For health, recomputed after
    every batch of samples. */
int hl_kpi_window_for (const hl_kpi_t *self, const char *name, const char *stat,
                       int64_t from_us, int64_t to_us, hl_kpi_stats_t *out);

/*  One statistic of stats by name: "mean", "p50", "p95", "min", "max" or
    "last". Returns 0 and sets *out; HL_ERR_ARGS for another name;
    HL_ERR_MISSING when stats has no samples. */
int hl_kpi_stat (const hl_kpi_stats_t *stats, const char *stat, double *out);

/*  Call fn for each second of name, oldest first, that overlaps
    [from_us, to_us) and has samples. Returns the number of calls, or
    HL_ERR_ARGS for an unknown name. */
int hl_kpi_series (const hl_kpi_t *self, const char *name, int64_t from_us,
                   int64_t to_us, hl_kpi_second_fn *fn, void *arg);

/*  Call fn once for every metric-second with samples that closed since
    the previous flush (oldest second first, metrics in config order), so
    the master publishes each kpi.<name> second exactly once. The first
    flush covers the whole ring. Returns the number of calls. */
int hl_kpi_flush (hl_kpi_t *self, int64_t now_us, hl_kpi_second_fn *fn,
                  void *arg);

/*  Counters since hl_kpi_new (borrowed). */
const hl_kpi_counters_t *hl_kpi_counters (const hl_kpi_t *self);

/*  The unknown names table: size, and entry i's name (borrowed) and its
    sample count; NULL past the end. */
size_t hl_kpi_unknown_size (const hl_kpi_t *self);
const char *hl_kpi_unknown_name (const hl_kpi_t *self, size_t i,
                                 uint64_t *count_p);

/*  Bytes of memory the tracker holds; constant after hl_kpi_new. */
size_t hl_kpi_bytes (const hl_kpi_t *self);

/*  Counters, unknown names and memory as a map for status (caller owns):
    {"metrics", "bytes", "accepted", "rejected": {reason: n},
     "after_flush", "unknown_names": {name: n}}. */
hl_value_t *hl_kpi_status (const hl_kpi_t *self);

#endif
