/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_stats - descriptive statistics, robust z, Theil-Sen and least
    squares trends, crossing forecasts, the Mann-Whitney U test, the
    Hodges-Lehmann shift with Moses' interval, and the verdict built on
    them. Each call copies the finite inputs into work arrays it frees.
*/
#include "hl_stats.h"
#include "../proto/hl_alloc.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

//  1 / Phi^-1(3/4): MAD to standard deviation for normal data
#define S_MAD_SCALE 1.4826
//  sqrt(pi / 2): mean absolute deviation to standard deviation, ditto
#define S_MEANAD_SCALE 1.253314

/*  The finite values of x, copied; *m_p gets their count. */
static double *
s_finite (const double *x, size_t n, size_t *m_p)
{
    double *copy = hl_calloc (n, sizeof *copy);
    size_t m = 0;
    for (size_t i = 0; x && i < n; i++)
        if (isfinite (x[i]))
            copy[m++] = x[i];
    *m_p = m;
    return copy;
}

static int
s_compare (const void *a, const void *b)
{
    double da = *(const double *)a;
    double db = *(const double *)b;
    return (da > db) - (da < db);
}

static void
s_sort (double *a, size_t n)
{
    qsort (a, n, sizeof *a, s_compare);
}

/*  The k-th smallest (0-based) of a[0..n-1], n > k, reordering a so that
    a[i] <= a[k] for i < k and a[i] >= a[k] for i > k. Hoare partition
    around a median-of-three value (Wirth's select): average O(n), and
    runs of equal values split evenly instead of going quadratic. */
static double
s_select (double *a, size_t n, size_t k)
{
    assert (k < n);
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (lo < hi) {
        double p1 = a[lo], p2 = a[lo + (hi - lo) / 2], p3 = a[hi];
        double pivot = p1 < p2 ? (p2 < p3 ? p2 : (p1 < p3 ? p3 : p1))
                               : (p1 < p3 ? p1 : (p2 < p3 ? p3 : p2));
        ptrdiff_t i = lo, j = hi;
        do {
            while (a[i] < pivot)
                i++;
            while (pivot < a[j])
                j--;
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        //  Now a[lo..j] <= pivot <= a[i..hi], and a[j+1..i-1] == pivot
        if (j < kk)
            lo = i;
        if (kk < i)
            hi = j;
    }
    return a[k];
}

/*  Median of a[0..n-1], n > 0, reordering a: the mean of the two middle
    values when n is even (type 7). */
static double
s_median_inplace (double *a, size_t n)
{
    assert (n > 0);
    size_t k = (n - 1) / 2;
    double low = s_select (a, n, k);
    if (n % 2)
        return low;
    //  After the select every a[i > k] >= a[k]; the next is their minimum
    double high = a[k + 1];
    for (size_t i = k + 2; i < n; i++)
        if (a[i] < high)
            high = a[i];
    return low + (high - low) / 2;
}

/*  Type 7 quantile of sorted a[0..n-1], n > 0: h = (n - 1) q, then
    interpolate between a[floor h] and the next (Hyndman & Fan 1996). */
static double
s_sorted_quantile (const double *a, size_t n, double q)
{
    assert (n > 0);
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor (h);
    if (lo >= n - 1)
        return a[n - 1];
    return a[lo] + (h - (double)lo) * (a[lo + 1] - a[lo]);
}

/*  Median absolute deviation from median of a[0..n-1], reordering a. */
static double
s_mad_inplace (double *a, size_t n, double median)
{
    for (size_t i = 0; i < n; i++)
        a[i] = fabs (a[i] - median);
    return s_median_inplace (a, n);
}

/*  Standard normal CDF. */
static double
s_phi (double z)
{
    return 0.5 * erfc (-z / M_SQRT2);
}

/*  Standard normal quantile by bisection on s_phi: called once per
    interval, so 200 cheap steps beat carrying a rational approximation. */
static double
s_phi_inv (double p)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 200 && hi - lo > 1e-13; i++) {
        double mid = (lo + hi) / 2;
        if (s_phi (mid) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

//  ---- descriptive -------------------------------------------------------

double
hl_stats_mean (const double *x, size_t n)
{
    double sum = 0;
    size_t m = 0;
    for (size_t i = 0; x && i < n; i++)
        if (isfinite (x[i])) {
            sum += x[i];
            m++;
        }
    return m ? sum / (double)m : NAN;
}

double
hl_stats_min (const double *x, size_t n)
{
    double min = NAN;
    for (size_t i = 0; x && i < n; i++)
        if (isfinite (x[i]) && !(x[i] >= min))
            min = x[i]; //  !(>=) is true against the NaN start
    return min;
}

double
hl_stats_max (const double *x, size_t n)
{
    double max = NAN;
    for (size_t i = 0; x && i < n; i++)
        if (isfinite (x[i]) && !(x[i] <= max))
            max = x[i];
    return max;
}

double
hl_stats_median (const double *x, size_t n)
{
    size_t m;
    double *a = s_finite (x, n, &m);
    double median = m ? s_median_inplace (a, m) : NAN;
    free (a);
    return median;
}

double
hl_stats_quantile (const double *x, size_t n, double q)
{
    if (isnan (q))
        return NAN;
    size_t m;
    double *a = s_finite (x, n, &m);
    double value = NAN;
    if (m) {
        s_sort (a, m);
        value = s_sorted_quantile (a, m, q);
    }
    free (a);
    return value;
}

double
hl_stats_mad (const double *x, size_t n)
{
    size_t m;
    double *a = s_finite (x, n, &m);
    double mad = NAN;
    if (m) {
        double median = s_median_inplace (a, m);
        mad = s_mad_inplace (a, m, median);
    }
    free (a);
    return mad;
}

double
hl_stats_mad_scaled (const double *x, size_t n)
{
    return S_MAD_SCALE * hl_stats_mad (x, n);
}

int
hl_stats_describe (const double *x, size_t n, hl_stats_summary_t *out)
{
    assert (out);
    memset (out, 0, sizeof *out);
    size_t m;
    double *a = s_finite (x, n, &m);
    if (m == 0) {
        out->mean = out->sd = out->min = out->max = NAN;
        out->median = out->p95 = out->mad = NAN;
        free (a);
        return -1;
    }
    s_sort (a, m);
    double sum = 0;
    for (size_t i = 0; i < m; i++)
        sum += a[i];
    double mean = sum / (double)m;
    //  Two passes: sum of squared deviations, not sum of squares minus
    //  square of sum, which cancels badly for large levels
    double ss = 0;
    for (size_t i = 0; i < m; i++)
        ss += (a[i] - mean) * (a[i] - mean);
    out->n = m;
    out->mean = mean;
    out->sd = m > 1 ? sqrt (ss / (double)(m - 1)) : 0;
    out->min = a[0];
    out->max = a[m - 1];
    out->median = s_sorted_quantile (a, m, 0.5);
    out->p95 = s_sorted_quantile (a, m, 0.95);
    out->mad = s_mad_inplace (a, m, out->median);
    free (a);
    return 0;
}

double
hl_stats_robust_z (double value, const double *x, size_t n)
{
    if (!isfinite (value))
        return NAN;
    size_t m;
    double *a = s_finite (x, n, &m);
    if (m == 0) {
        free (a);
        return NAN;
    }
    double median = s_median_inplace (a, m);
    //  a now holds |x - median|: its mean before the select reorders it
    double sum = 0;
    for (size_t i = 0; i < m; i++) {
        a[i] = fabs (a[i] - median);
        sum += a[i];
    }
    double scale = S_MAD_SCALE * s_median_inplace (a, m);
    if (scale == 0)
        scale = S_MEANAD_SCALE * sum / (double)m;
    free (a);

    double diff = value - median;
    double z;
    if (diff == 0)
        z = 0;
    else if (scale == 0)
        z = diff > 0 ? HL_STATS_Z_MAX : -HL_STATS_Z_MAX;
    else
        z = diff / scale;
    if (z > HL_STATS_Z_MAX)
        z = HL_STATS_Z_MAX;
    if (z < -HL_STATS_Z_MAX)
        z = -HL_STATS_Z_MAX;
    return z;
}

//  ---- trend and forecast ------------------------------------------------

/*  The (x, y) pairs with both finite, into new arrays; returns the count. */
static size_t
s_finite_pairs (const double *x, const double *y, size_t n, double **xs_p,
                double **ys_p)
{
    double *xs = hl_calloc (n, sizeof *xs);
    double *ys = hl_calloc (n, sizeof *ys);
    size_t m = 0;
    for (size_t i = 0; x && y && i < n; i++)
        if (isfinite (x[i]) && isfinite (y[i])) {
            xs[m] = x[i];
            ys[m] = y[i];
            m++;
        }
    *xs_p = xs;
    *ys_p = ys;
    return m;
}

/*  Coefficient of determination of the line a + b x on the data. */
static double
s_r2 (const double *x, const double *y, size_t n, double a, double b)
{
    double ybar = 0;
    for (size_t i = 0; i < n; i++)
        ybar += y[i];
    ybar /= (double)n;
    double ss_res = 0, ss_tot = 0;
    for (size_t i = 0; i < n; i++) {
        double e = y[i] - (a + b * x[i]);
        ss_res += e * e;
        ss_tot += (y[i] - ybar) * (y[i] - ybar);
    }
    if (ss_tot == 0)
        return ss_res == 0 ? 1 : 0;
    return 1 - ss_res / ss_tot;
}

int
hl_stats_theil_sen (const double *x, const double *y, size_t n,
                    hl_stats_trend_t *out)
{
    assert (out);
    memset (out, 0, sizeof *out);
    double *xs, *ys;
    size_t m = s_finite_pairs (x, y, n, &xs, &ys);
    int rc = -1;
    double *slopes = NULL;
    if (m < 2)
        goto fail;

    //  Above the cap, evenly spaced indices keep the whole time span
    size_t used = m < HL_STATS_TREND_MAX ? m : HL_STATS_TREND_MAX;
    slopes = hl_calloc (used * (used - 1) / 2, sizeof *slopes);
    size_t count = 0;
    for (size_t a = 0; a < used; a++) {
        size_t i = used == m ? a : (size_t)(((double)a + 0.5) * m / used);
        for (size_t b = a + 1; b < used; b++) {
            size_t j = used == m ? b : (size_t)(((double)b + 0.5) * m / used);
            //  Equal times give no slope (Sen 1968 skips them)
            if (xs[j] != xs[i])
                slopes[count++] = (ys[j] - ys[i]) / (xs[j] - xs[i]);
        }
    }
    if (count == 0)
        goto fail;
    double slope = s_median_inplace (slopes, count);

    //  Intercept: median residual level over every point
    double *level = hl_calloc (m, sizeof *level);
    for (size_t i = 0; i < m; i++)
        level[i] = ys[i] - slope * xs[i];
    double intercept = s_median_inplace (level, m);
    free (level);

    out->slope = slope;
    out->intercept = intercept;
    out->r2 = s_r2 (xs, ys, m, intercept, slope);
    out->n = m;
    rc = 0;
fail:
    free (slopes);
    free (xs);
    free (ys);
    return rc;
}

int
hl_stats_ols (const double *x, const double *y, size_t n, hl_stats_trend_t *out)
{
    assert (out);
    memset (out, 0, sizeof *out);
    double *xs, *ys;
    size_t m = s_finite_pairs (x, y, n, &xs, &ys);
    int rc = -1;
    if (m < 2)
        goto fail;
    double xbar = 0, ybar = 0;
    for (size_t i = 0; i < m; i++) {
        xbar += xs[i];
        ybar += ys[i];
    }
    xbar /= (double)m;
    ybar /= (double)m;
    //  Centred sums: x as Unix times would lose everything uncentred
    double sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < m; i++) {
        double dx = xs[i] - xbar, dy = ys[i] - ybar;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if (sxx == 0)
        goto fail;
    out->slope = sxy / sxx;
    out->intercept = ybar - out->slope * xbar;
    out->r2 = syy == 0 ? 1 : sxy * sxy / (sxx * syy);
    out->n = m;
    rc = 0;
fail:
    free (xs);
    free (ys);
    return rc;
}

int
hl_stats_forecast (const hl_stats_trend_t *trend, double threshold, double now,
                   double *at)
{
    assert (trend);
    assert (at);
    //  Measured from now, not from x = 0: x is often a Unix time, and
    //  intercept / slope alone would cancel most of the digits
    double level = trend->intercept + trend->slope * now;
    if (!isfinite (level) || !isfinite (threshold) || !isfinite (now))
        return 0;
    if (level == threshold) {
        *at = now;
        return 1;
    }
    if (trend->slope == 0 || !isfinite (trend->slope))
        return 0;
    double when = now + (threshold - level) / trend->slope;
    //  A crossing before now means the line is moving away from it
    if (!isfinite (when) || when < now)
        return 0;
    *at = when;
    return 1;
}

//  ---- Mann-Whitney ------------------------------------------------------

typedef struct {
    double value; // the observation
    int group;    // 0 for x, 1 for y
} s_obs_t;

static int
s_obs_compare (const void *a, const void *b)
{
    return s_compare (&((const s_obs_t *)a)->value,
                      &((const s_obs_t *)b)->value);
}

/*  P(U <= u) under H0 for samples of m and n with no ties. The counts of
    arrangements by U are the coefficients of the Gaussian binomial
    [m + n choose m]_q, built by the recurrence [N choose i] = [N - 1
    choose i - 1] (1 - q^N) / (1 - q^i): one pass over the U counts per
    step. Counts stay exact in int64 (C(40, 20) < 2^38). */
static double
s_exact_cdf (size_t m, size_t n, double u)
{
    if (m > n) {
        size_t t = m;
        m = n;
        n = t;
    }
    size_t top = m * n;
    int64_t *c = hl_calloc (top + 1, sizeof *c);
    c[0] = 1;
    for (size_t i = 1; i <= m; i++) {
        //  Times (1 - q^(n + i)), downward so each term is used unchanged
        for (size_t k = top; k >= n + i; k--)
            c[k] -= c[k - n - i];
        //  Divided by (1 - q^i) as a power series: upward running sum.
        //  Truncating at degree top is exact, the quotient has degree i n
        for (size_t k = i; k <= top; k++)
            c[k] += c[k - i];
    }
    double below = 0, total = 0;
    for (size_t k = 0; k <= top; k++) {
        total += (double)c[k];
        if ((double)k <= u + 1e-9)
            below += (double)c[k];
    }
    free (c);
    return below / total;
}

int
hl_stats_mann_whitney (const double *x, size_t n1, const double *y, size_t n2,
                       hl_stats_mwu_t *out)
{
    assert (out);
    memset (out, 0, sizeof *out);
    out->p_value = 1;
    out->cles = 0.5;
    size_t m1, m2;
    double *xs = s_finite (x, n1, &m1);
    double *ys = s_finite (y, n2, &m2);
    out->n1 = m1;
    out->n2 = m2;
    if (m1 == 0 || m2 == 0) {
        free (xs);
        free (ys);
        return -1;
    }
    size_t total = m1 + m2;
    s_obs_t *obs = hl_calloc (total, sizeof *obs);
    for (size_t i = 0; i < m1; i++)
        obs[i] = (s_obs_t){ xs[i], 0 };
    for (size_t j = 0; j < m2; j++)
        obs[m1 + j] = (s_obs_t){ ys[j], 1 };
    free (xs);
    free (ys);
    qsort (obs, total, sizeof *obs, s_obs_compare);

    //  Average ranks over each run of ties; tie term sum(t^3 - t)
    double rank_y = 0, tie_term = 0;
    for (size_t i = 0; i < total;) {
        size_t j = i + 1;
        while (j < total && obs[j].value == obs[i].value)
            j++;
        double t = (double)(j - i);
        double rank = ((double)i + 1 + (double)j) / 2; // ranks i+1 .. j
        for (size_t k = i; k < j; k++)
            if (obs[k].group)
                rank_y += rank;
        tie_term += t * t * t - t;
        i = j;
    }
    free (obs);

    double d1 = (double)m1, d2 = (double)m2, dn = d1 + d2;
    double pairs = d1 * d2;
    out->u2 = rank_y - d2 * (d2 + 1) / 2;
    out->u1 = pairs - out->u2;
    out->ties = tie_term > 0;
    out->cles = out->u2 / pairs;
    out->r = 2 * out->cles - 1;

    //  Normal approximation: mean n1 n2 / 2, variance n1 n2 / 12 times
    //  (N + 1 - sum(t^3 - t) / (N (N - 1))), and |U - mean| shrunk by 1/2
    double mu = pairs / 2;
    double var
        = pairs / 12 * (dn + 1 - (dn > 1 ? tie_term / (dn * (dn - 1)) : 0));
    double diff = out->u2 - mu;
    double dist = fabs (diff) > 0.5 ? fabs (diff) - 0.5 : 0;
    if (var > 0) {
        out->z = (diff < 0 ? -dist : dist) / sqrt (var);
        out->p_value = erfc (fabs (out->z) / M_SQRT2);
    }
    if (!out->ties && m1 <= HL_STATS_EXACT_MAX && m2 <= HL_STATS_EXACT_MAX) {
        //  U is symmetric about its mean: twice the smaller tail
        double low = out->u2 < out->u1 ? out->u2 : out->u1;
        out->p_value = 2 * s_exact_cdf (m1, m2, low);
        out->exact = true;
    }
    if (out->p_value > 1)
        out->p_value = 1;
    return 0;
}

//  ---- Hodges-Lehmann ----------------------------------------------------

/*  Keep m evenly spaced order statistics of sorted a[0..n-1], in place. */
static void
s_thin (double *a, size_t n, size_t m)
{
    for (size_t i = 0; i < m; i++)
        a[i] = a[(size_t)(((double)i + 0.5) * (double)n / (double)m)];
}

int
hl_stats_hodges_lehmann (const double *x, size_t n1, const double *y, size_t n2,
                         double level, hl_stats_hl_t *out)
{
    assert (out);
    memset (out, 0, sizeof *out);
    out->level = level;
    if (!(level > 0 && level < 1))
        return -1;
    size_t m1, m2;
    double *xs = s_finite (x, n1, &m1);
    double *ys = s_finite (y, n2, &m2);
    double *diffs = NULL;
    int rc = -1;
    if (m1 == 0 || m2 == 0)
        goto fail;

    //  Thin both samples to evenly spaced order statistics: the pairwise
    //  differences then follow the full set's distribution, quantiles
    //  included, at bounded cost
    double full = (double)m1 * (double)m2;
    size_t k1 = m1, k2 = m2;
    if (full > HL_STATS_PAIRS_MAX) {
        double f = sqrt (HL_STATS_PAIRS_MAX / full);
        k1 = (size_t)floor ((double)m1 * f);
        k1 = k1 < 1 ? 1 : k1 > m1 ? m1 : k1;
        k2 = HL_STATS_PAIRS_MAX / k1;
        k2 = k2 < 1 ? 1 : k2 > m2 ? m2 : k2;
        s_sort (xs, m1);
        s_sort (ys, m2);
        s_thin (xs, m1, k1);
        s_thin (ys, m2, k2);
        out->thinned = true;
    }
    size_t count = k1 * k2;
    diffs = hl_calloc (count, sizeof *diffs);
    for (size_t j = 0; j < k2; j++)
        for (size_t i = 0; i < k1; i++)
            diffs[j * k1 + i] = ys[j] - xs[i];
    out->pairs = count;

    //  Moses: rank k of the lower bound from the normal approximation to
    //  U's null distribution, for the full sample sizes; floor keeps the
    //  coverage at or above level. Scaled to the thinned count.
    double z = s_phi_inv (1 - (1 - level) / 2);
    double k = floor (full / 2
                      - z * sqrt (full * ((double)m1 + (double)m2 + 1) / 12));
    if (out->thinned)
        k = floor (k * (double)count / full);
    size_t rank = k < 1 ? 1 : (size_t)k; // 1-based
    out->shift = s_median_inplace (diffs, count);
    out->ci_low = s_select (diffs, count, rank - 1);
    out->ci_high = s_select (diffs, count, count - rank);
    rc = 0;
fail:
    free (diffs);
    free (xs);
    free (ys);
    return rc;
}

//  ---- verdict -----------------------------------------------------------

int
hl_stats_verdict (const double *before, size_t n1, const double *after,
                  size_t n2, bool better_lower, double alpha, double min_effect,
                  size_t min_n, hl_stats_verdict_t *out)
{
    assert (out);
    memset (out, 0, sizeof *out);
    out->verdict = HL_VERDICT_INCONCLUSIVE;
    out->p_value = 1;
    if (!(alpha > 0 && alpha < 1) || !(min_effect >= 0)
        || !isfinite (min_effect))
        return -1;

    hl_stats_mwu_t mwu;
    hl_stats_mann_whitney (before, n1, after, n2, &mwu);
    out->n_before = mwu.n1;
    out->n_after = mwu.n2;
    if (mwu.n1 == 0 || mwu.n2 == 0)
        return 0;
    hl_stats_hl_t hl;
    hl_stats_hodges_lehmann (before, n1, after, n2, 1 - alpha, &hl);
    out->p_value = mwu.p_value;
    out->exact = mwu.exact;
    out->effect = mwu.r;
    out->shift = hl.shift;
    out->ci_low = hl.ci_low;
    out->ci_high = hl.ci_high;
    out->median_before = hl_stats_median (before, n1);
    out->median_after = hl_stats_median (after, n2);
    double scale = fabs (out->median_before);
    if (scale > 0)
        out->relative = out->shift / scale;
    else
        //  From a zero level any move is a whole level's worth
        out->relative = out->shift == 0 ? 0 : out->shift > 0 ? 1 : -1;

    if (mwu.n1 < min_n || mwu.n2 < min_n)
        return 0;
    bool significant = out->p_value < alpha;
    bool large = fabs (out->relative) >= min_effect;
    bool below = out->ci_high < 0; //  the whole interval under 0
    bool above = out->ci_low > 0;
    if (significant && large && (better_lower ? below : above))
        out->verdict = HL_VERDICT_IMPROVED;
    else if (significant && large && (better_lower ? above : below))
        out->verdict = HL_VERDICT_REGRESSED;
    else
        out->verdict = HL_VERDICT_UNCHANGED;
    return 0;
}
