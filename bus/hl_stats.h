/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_stats - the statistics Prometheus (description, trend, forecast,
    anomaly), Athena (before/after verdicts) and the master's forecasts
    share: plain functions over (const double *x, size_t n) arrays with
    results in small public structs. No sockets, no state; libc and libm.
*/
#ifndef HL_STATS_H
#define HL_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "../proto/hl_names.h"

/*  Inputs must be finite. NaN and +-inf are the caller's bug; they are
    skipped (never a crash), so every n reported counts finite values only.
    Work arrays are allocated and freed inside each call (abort on OOM);
    nothing returned needs freeing, and inputs are never modified. */

//  ---- defaults ----------------------------------------------------------

/*  Significance level of the verdict's test, and 1 - the level of its
    confidence interval: the usual 5% false-alarm rate per metric. */
#define HL_STATS_ALPHA 0.05

/*  Smallest relative shift (of the before median) that counts as a change.
    Services drift by a few percent between runs (load, caches, GC) even
    with nothing changed; a change worth keeping or rolling back moves a
    metric by more. Also keeps a huge window from calling 0.5% "improved". */
#define HL_STATS_MIN_EFFECT 0.05

/*  Fewest points per side for a verdict. The exact two-sided p-value can
    not get below 0.05 with 3 points a side (min 2/20 = 0.1); 8 a side
    reaches 2/12870 and gives a large effect a fair chance, while a 60 s
    verify window of per-second aggregates has ~60. */
#define HL_STATS_MIN_N 8

/*  Mann-Whitney uses the exact permutation distribution when both samples
    have at most this many points and there are no ties. */
#define HL_STATS_EXACT_MAX 20

/*  Hodges-Lehmann forms at most this many pairwise differences; above it
    both samples are thinned to evenly spaced order statistics. */
#define HL_STATS_PAIRS_MAX 250000

/*  Theil-Sen uses at most this many points (about 2M slopes, 16 MB);
    above it, points at evenly spaced indices. */
#define HL_STATS_TREND_MAX 2000

/*  Robust z scores are clamped to +-this: past it every value is equally
    anomalous, and the score stays finite for JSON. */
#define HL_STATS_Z_MAX 100.0

//  ---- descriptive -------------------------------------------------------
//  Each returns NaN when there is no finite value (n == 0).

double hl_stats_mean (const double *x, size_t n);
double hl_stats_min (const double *x, size_t n);
double hl_stats_max (const double *x, size_t n);
double hl_stats_median (const double *x, size_t n);

/*  Quantile q in [0, 1] (clamped) by linear interpolation between order
    statistics, Hyndman & Fan type 7 (R's and NumPy's default). */
double hl_stats_quantile (const double *x, size_t n, double q);

/*  Median absolute deviation from the median, raw. */
double hl_stats_mad (const double *x, size_t n);

/*  MAD * 1.4826: estimates the standard deviation for normal data. */
double hl_stats_mad_scaled (const double *x, size_t n);

typedef struct {
    size_t n;      // finite values
    double mean;   // arithmetic mean
    double sd;     // sample standard deviation (n - 1); 0 when n < 2
    double min;    // smallest value
    double max;    // largest value
    double median; // type 7 quantile 0.5
    double p95;    // type 7 quantile 0.95
    double mad;    // raw MAD
} hl_stats_summary_t;

/*  All of the above with one sort. Returns 0, or -1 (out zeroed, the
    doubles NaN) when there is no finite value. */
int hl_stats_describe (const double *x, size_t n, hl_stats_summary_t *out);

/*  Robust z of value against the sample: (value - median) / (1.4826 MAD).
    When MAD is 0 (over half the values equal) the scale falls back to
    1.2533 * mean absolute deviation from the median (Iglewicz & Hoaglin);
    when that is 0 too (all equal) the score is 0 for the same value and
    +-HL_STATS_Z_MAX otherwise. Clamped to +-HL_STATS_Z_MAX; NaN if n == 0
    or value is not finite. */
double hl_stats_robust_z (double value, const double *x, size_t n);

//  ---- trend and forecast ------------------------------------------------

typedef struct {
    double slope;     // y units per x unit
    double intercept; // y at x = 0
    double r2;        // 1 - SSres/SStot of this line (< 0 possible for a
                      // robust fit); 1 for an exact fit of constant y
    size_t n;         // finite (x, y) pairs used
} hl_stats_trend_t;

/*  Theil-Sen: slope is the median of the pairwise slopes over pairs with
    distinct x, intercept the median of y - slope * x (Sen 1968). Resists
    up to ~29% outliers. Above HL_STATS_TREND_MAX points uses evenly
    spaced ones for the slope. Returns 0, or -1 if fewer than 2 points or
    all x equal (out zeroed). */
int hl_stats_theil_sen (const double *x, const double *y, size_t n,
                        hl_stats_trend_t *out);

/*  Ordinary least squares of y on x. Returns as hl_stats_theil_sen. */
int hl_stats_ols (const double *x, const double *y, size_t n,
                  hl_stats_trend_t *out);

/*  When the trend line reaches threshold, in x units: returns 1 and sets
    *at (>= now) if it does at or after now; returns 0 if never (a flat
    line off the threshold, or a line moving away: it crossed before now).
    Works for crossing upward and downward alike. */
int hl_stats_forecast (const hl_stats_trend_t *trend, double threshold,
                       double now, double *at);

//  ---- two-sample tests --------------------------------------------------
//  x is the first sample ("before"), y the second ("after").

typedef struct {
    double u1;      // pairs with x_i > y_j, ties count 1/2 (R's W)
    double u2;      // pairs with y_j > x_i; u1 + u2 = n1 * n2
    double z;       // normal score of u2 with continuity correction
    double p_value; // two-sided
    double cles;    // common-language effect: P(Y > X) + P(Y = X) / 2
    double r;       // rank-biserial correlation 2 cles - 1, in [-1, 1];
                    // > 0 when y tends to be larger
    size_t n1, n2;  // finite values used
    bool exact;     // p from the exact permutation distribution
    bool ties;      // the pooled sample has ties
} hl_stats_mwu_t;

/*  Mann-Whitney U (Wilcoxon rank-sum) test, two-sided, with average ranks
    for ties. Exact p (permutation distribution of U by dynamic
    programming) when n1, n2 <= HL_STATS_EXACT_MAX and no ties; otherwise
    the normal approximation with tie-corrected variance and continuity
    correction. Returns 0, or -1 if either sample is empty (out zeroed,
    p_value 1). */
int hl_stats_mann_whitney (const double *x, size_t n1, const double *y,
                           size_t n2, hl_stats_mwu_t *out);

typedef struct {
    double shift;   // median of y_j - x_i: "after minus before"
    double ci_low;  // lower confidence bound of the shift
    double ci_high; // upper confidence bound of the shift
    double level;   // confidence level asked for, e.g. 0.95
    size_t pairs;   // pairwise differences formed
    bool thinned;   // samples thinned to HL_STATS_PAIRS_MAX pairs
} hl_stats_hl_t;

/*  Hodges-Lehmann shift of y against x and its distribution-free CI at
    level (0, 1) by Moses' method: the k-th smallest and k-th largest
    pairwise differences, k = floor(n1 n2 / 2 - z sqrt(n1 n2 (n1 + n2 + 1)
    / 12)), at least 1. Above HL_STATS_PAIRS_MAX pairs each sample is
    thinned to evenly spaced order statistics and k scaled to match.
    Returns 0, or -1 if a sample is empty or level is outside (0, 1). */
int hl_stats_hodges_lehmann (const double *x, size_t n1, const double *y,
                             size_t n2, double level, hl_stats_hl_t *out);

//  ---- verdict -----------------------------------------------------------

//  hl_verdict_t is one of the shared names (proto/hl_names.h); this
//  judgement never gives HL_VERDICT_NONE.

typedef struct {
    hl_verdict_t verdict; // the judgement
    double p_value;       // Mann-Whitney, two-sided
    double shift;         // Hodges-Lehmann after - before, metric units
    double ci_low;        // lower bound of shift, level 1 - alpha
    double ci_high;       // upper bound of shift
    double relative;      // shift / |median(before)|; see hl_stats_verdict
    double effect;        // rank-biserial r, > 0 when after is larger
    double median_before; // level of the before window
    double median_after;  // level of the after window
    size_t n_before;      // finite points used, before
    size_t n_after;       // finite points used, after
    bool exact;           // the p-value is exact
} hl_stats_verdict_t;

/*  Judge an after window against a before window of the same metric.
    INCONCLUSIVE if either side has fewer than min_n points; IMPROVED if
    p < alpha, the whole (1 - alpha) CI of the shift lies on the better
    side of 0 (below it when better_lower) and |relative| >= min_effect;
    REGRESSED the same on the worse side; otherwise UNCHANGED: no
    significant shift of at least min_effect (a significant but smaller
    shift, or a large but noisy one, is UNCHANGED). When median(before) is
    0, any nonzero shift counts as relative +-1. Returns 0; -1 only for
    bad arguments (alpha or min_effect out of range), out then
    INCONCLUSIVE. */
int hl_stats_verdict (const double *before, size_t n1, const double *after,
                      size_t n2, bool better_lower, double alpha,
                      double min_effect, size_t min_n, hl_stats_verdict_t *out);

#endif
