/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_stats - every statistic against values worked by hand, taken
    from a cited source, or recomputed here by a second method (brute-force
    enumeration of the permutation distribution, all pairwise differences
    sorted); trend, forecast and verdict cases in both directions; and the
    edges: empty, one point, all equal, non-finite inputs.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../bus/hl_rand.h"
#include "../../bus/hl_stats.h"

#define N_OF(a) (sizeof (a) / sizeof (a)[0])

static void
s_near (double got, double want, double tol)
{
    if (!(fabs (got - want) <= tol))
        fail_msg ("got %.10g, want %.10g (tolerance %g)", got, want, tol);
}

//  Deterministic test data: a generator seeded with a fixed value
static hl_rand_t
s_rand (uint64_t seed)
{
    hl_rand_t rng;
    hl_rand_seed (&rng, seed);
    return rng;
}

static int
s_cmp (const void *a, const void *b)
{
    double da = *(const double *)a, db = *(const double *)b;
    return (da > db) - (da < db);
}

//  ---- descriptive -------------------------------------------------------

static void
test_descriptive (void **state)
{
    (void)state;
    //  Sorted: 1 1 2 3 4 5 6 9. By hand: mean 31/8; median (3 + 4) / 2;
    //  type 7 q: h = 7q, e.g. q = .25 -> h = 1.75 -> 1 + .75 (2 - 1) =
    //  1.75; q = .9 -> h = 6.3 -> 6 + .3 (9 - 6) = 6.9; q = .95 -> 7.95
    //  (R: quantile(c(3,1,4,1,5,9,2,6), c(.25,.9)) gives 1.75 6.9).
    //  |x - 3.5| sorted: .5 .5 1.5 1.5 2.5 2.5 2.5 5.5, MAD = 2.
    //  Squared deviations from 3.875 sum to 52.875, sd = sqrt(52.875/7).
    double x[] = { 3, 1, 4, 1, 5, 9, 2, 6 };
    size_t n = N_OF (x);
    s_near (hl_stats_mean (x, n), 3.875, 1e-12);
    s_near (hl_stats_median (x, n), 3.5, 1e-12);
    s_near (hl_stats_min (x, n), 1, 0);
    s_near (hl_stats_max (x, n), 9, 0);
    s_near (hl_stats_quantile (x, n, 0.25), 1.75, 1e-12);
    s_near (hl_stats_quantile (x, n, 0.9), 6.9, 1e-12);
    s_near (hl_stats_quantile (x, n, 0.5), 3.5, 1e-12);
    s_near (hl_stats_quantile (x, n, 0), 1, 0);
    s_near (hl_stats_quantile (x, n, 1), 9, 0);
    //  Out of range q is clamped
    s_near (hl_stats_quantile (x, n, -3), 1, 0);
    s_near (hl_stats_quantile (x, n, 7), 9, 0);
    assert_true (isnan (hl_stats_quantile (x, n, NAN)));
    s_near (hl_stats_mad (x, n), 2, 1e-12);
    s_near (hl_stats_mad_scaled (x, n), 2 * 1.4826, 1e-12);
    //  The input is untouched
    assert_true (x[0] == 3 && x[5] == 9 && x[7] == 6);

    hl_stats_summary_t s;
    assert_int_equal (hl_stats_describe (x, n, &s), 0);
    assert_int_equal (s.n, 8);
    s_near (s.mean, 3.875, 1e-12);
    s_near (s.sd, sqrt (52.875 / 7), 1e-12);
    s_near (s.min, 1, 0);
    s_near (s.max, 9, 0);
    s_near (s.median, 3.5, 1e-12);
    s_near (s.p95, 7.95, 1e-12);
    s_near (s.mad, 2, 1e-12);

    //  Odd count: the middle value
    double odd[] = { 2, 7, 1 };
    s_near (hl_stats_median (odd, 3), 2, 0);
    s_near (hl_stats_quantile (odd, 3, 0.75), 4.5, 1e-12);
}

static void
test_descriptive_edges (void **state)
{
    (void)state;
    //  n = 0, with and without a pointer
    double none[1] = { 0 };
    assert_true (isnan (hl_stats_mean (NULL, 0)));
    assert_true (isnan (hl_stats_median (none, 0)));
    assert_true (isnan (hl_stats_quantile (NULL, 0, 0.5)));
    assert_true (isnan (hl_stats_mad (NULL, 0)));
    assert_true (isnan (hl_stats_mad_scaled (NULL, 0)));
    assert_true (isnan (hl_stats_min (NULL, 0)));
    assert_true (isnan (hl_stats_max (none, 0)));
    hl_stats_summary_t s;
    assert_int_equal (hl_stats_describe (NULL, 0, &s), -1);
    assert_int_equal (s.n, 0);
    assert_true (isnan (s.mean) && isnan (s.median));

    //  n = 1
    double one[] = { 5 };
    s_near (hl_stats_mean (one, 1), 5, 0);
    s_near (hl_stats_median (one, 1), 5, 0);
    s_near (hl_stats_quantile (one, 1, 0.3), 5, 0);
    s_near (hl_stats_mad (one, 1), 0, 0);
    assert_int_equal (hl_stats_describe (one, 1, &s), 0);
    s_near (s.sd, 0, 0);
    s_near (s.p95, 5, 0);

    //  All equal
    double same[] = { 4, 4, 4, 4 };
    s_near (hl_stats_median (same, 4), 4, 0);
    s_near (hl_stats_quantile (same, 4, 0.95), 4, 0);
    s_near (hl_stats_mad (same, 4), 0, 0);
    assert_int_equal (hl_stats_describe (same, 4, &s), 0);
    s_near (s.sd, 0, 0);

    //  Non-finite values are skipped, never a crash
    double bad[] = { 1, NAN, 3, INFINITY, -INFINITY };
    s_near (hl_stats_mean (bad, 5), 2, 0);
    s_near (hl_stats_median (bad, 5), 2, 0);
    s_near (hl_stats_min (bad, 5), 1, 0);
    s_near (hl_stats_max (bad, 5), 3, 0);
    assert_int_equal (hl_stats_describe (bad, 5, &s), 0);
    assert_int_equal (s.n, 2);
    double all_bad[] = { NAN, INFINITY };
    assert_true (isnan (hl_stats_median (all_bad, 2)));
    assert_int_equal (hl_stats_describe (all_bad, 2, &s), -1);
}

static void
test_robust_z (void **state)
{
    (void)state;
    //  Median 10; |x - 10| sorted 0 0 0 1 1 2 2, MAD 1: z(13) = 3 / 1.4826
    double x[] = { 10, 11, 9, 10, 12, 8, 10 };
    s_near (hl_stats_robust_z (13, x, 7), 3 / 1.4826, 1e-12);
    s_near (hl_stats_robust_z (7, x, 7), -3 / 1.4826, 1e-12);
    s_near (hl_stats_robust_z (10, x, 7), 0, 0);

    //  MAD 0 (four of five equal): scale falls back to 1.253314 times the
    //  mean absolute deviation, (0 + 0 + 0 + 0 + 1) / 5 = 0.2
    double mostly[] = { 5, 5, 5, 5, 6 };
    s_near (hl_stats_mad (mostly, 5), 0, 0);
    s_near (hl_stats_robust_z (6, mostly, 5), 1 / (1.253314 * 0.2), 1e-9);

    //  All equal: no spread at all, so any other value saturates
    double same[] = { 5, 5, 5 };
    s_near (hl_stats_robust_z (5, same, 3), 0, 0);
    s_near (hl_stats_robust_z (6, same, 3), HL_STATS_Z_MAX, 0);
    s_near (hl_stats_robust_z (4, same, 3), -HL_STATS_Z_MAX, 0);
    //  Far out is clamped, and stays finite
    s_near (hl_stats_robust_z (1e300, x, 7), HL_STATS_Z_MAX, 0);

    //  One point behaves like all equal; none gives NaN
    double one[] = { 3 };
    s_near (hl_stats_robust_z (3, one, 1), 0, 0);
    assert_true (isnan (hl_stats_robust_z (3, NULL, 0)));
    assert_true (isnan (hl_stats_robust_z (NAN, x, 7)));
}

//  ---- trend and forecast ------------------------------------------------

static void
test_trend_textbook (void **state)
{
    (void)state;
    //  x 1..5, y 2 4 5 4 5. OLS by hand: xbar 3, ybar 4, Sxx 10, Sxy 6,
    //  Syy 6: slope .6, intercept 2.2, r2 = 36 / 60 = .6.
    //  Theil-Sen by hand: the ten slopes sorted are -1 0 0 1/3 2/3 3/4 1 1
    //  3/2 2, median (2/3 + 3/4) / 2 = 17/24; y - 17x/24 sorted has
    //  middle value 5 - 85/24 = 35/24.
    double x[] = { 1, 2, 3, 4, 5 };
    double y[] = { 2, 4, 5, 4, 5 };
    hl_stats_trend_t t;
    assert_int_equal (hl_stats_ols (x, y, 5, &t), 0);
    s_near (t.slope, 0.6, 1e-12);
    s_near (t.intercept, 2.2, 1e-12);
    s_near (t.r2, 0.6, 1e-12);
    assert_int_equal (t.n, 5);
    assert_int_equal (hl_stats_theil_sen (x, y, 5, &t), 0);
    s_near (t.slope, 17.0 / 24, 1e-12);
    s_near (t.intercept, 35.0 / 24, 1e-12);
    assert_true (t.r2 < 0.6); //  OLS maximises r2
}

static void
test_trend_outliers (void **state)
{
    (void)state;
    //  y = 2x + 1 for x = 0..19, three points knocked up by 100. Of the
    //  190 pairwise slopes 136 (clean pairs) are exactly 2, so the median
    //  is 2; 17 of 20 levels y - 2x are 1. Least squares is dragged off.
    double x[20], y[20], clean[20];
    for (int i = 0; i < 20; i++) {
        x[i] = i;
        y[i] = clean[i] = 2 * i + 1;
    }
    y[3] += 100;
    y[10] += 100;
    y[16] += 100;
    hl_stats_trend_t ts, ols;
    assert_int_equal (hl_stats_theil_sen (x, y, 20, &ts), 0);
    s_near (ts.slope, 2, 1e-12);
    s_near (ts.intercept, 1, 1e-12);
    assert_int_equal (hl_stats_ols (x, y, 20, &ols), 0);
    assert_true (fabs (ols.slope - 2) > 0.5 || fabs (ols.intercept - 1) > 5);
    assert_true (ols.r2 < 0.9);

    //  On the clean line both are exact
    assert_int_equal (hl_stats_ols (x, clean, 20, &ols), 0);
    s_near (ols.slope, 2, 1e-12);
    s_near (ols.intercept, 1, 1e-9);
    s_near (ols.r2, 1, 1e-12);
    assert_int_equal (hl_stats_theil_sen (x, clean, 20, &ts), 0);
    s_near (ts.slope, 2, 1e-12);
    s_near (ts.r2, 1, 1e-12);

    //  Unix times as x: centred sums keep the digits
    double tx[60], ty[60];
    for (int i = 0; i < 60; i++) {
        tx[i] = 1.7e9 + i;
        ty[i] = 0.5 * i + 3;
    }
    assert_int_equal (hl_stats_ols (tx, ty, 60, &ols), 0);
    s_near (ols.slope, 0.5, 1e-9);
    s_near (ols.intercept + ols.slope * 1.7e9, 3, 1e-5);
    assert_int_equal (hl_stats_theil_sen (tx, ty, 60, &ts), 0);
    s_near (ts.slope, 0.5, 1e-12);
}

static void
test_trend_edges (void **state)
{
    (void)state;
    hl_stats_trend_t t;
    double x[] = { 1, 1, 1 }, y[] = { 1, 2, 3 };
    //  Too few points, or no spread in x
    assert_int_equal (hl_stats_theil_sen (NULL, NULL, 0, &t), -1);
    assert_int_equal (hl_stats_ols (x, y, 1, &t), -1);
    assert_int_equal (hl_stats_theil_sen (x, y, 1, &t), -1);
    assert_int_equal (hl_stats_ols (x, y, 3, &t), -1);
    assert_int_equal (hl_stats_theil_sen (x, y, 3, &t), -1);
    //  Two points define the line
    double x2[] = { 0, 2 }, y2[] = { 1, 5 };
    assert_int_equal (hl_stats_theil_sen (x2, y2, 2, &t), 0);
    s_near (t.slope, 2, 0);
    s_near (t.intercept, 1, 0);
    //  Constant y: flat and an exact fit
    double flat[] = { 7, 7, 7 };
    double x3[] = { 0, 1, 2 };
    assert_int_equal (hl_stats_ols (x3, flat, 3, &t), 0);
    s_near (t.slope, 0, 0);
    s_near (t.r2, 1, 0);
    //  Non-finite pairs are dropped
    double xb[] = { 0, 1, NAN, 3 }, yb[] = { 0, 1, 2, INFINITY };
    assert_int_equal (hl_stats_ols (xb, yb, 4, &t), 0);
    assert_int_equal (t.n, 2);
    s_near (t.slope, 1, 0);

    //  Above the point cap, evenly spaced points give the same line
    size_t big = 5000;
    double *bx = malloc (big * sizeof *bx), *by = malloc (big * sizeof *by);
    for (size_t i = 0; i < big; i++) {
        bx[i] = (double)i;
        by[i] = 3 * (double)i - 7 + ((i % 97) == 0 ? 1000 : 0);
    }
    assert_int_equal (hl_stats_theil_sen (bx, by, big, &t), 0);
    s_near (t.slope, 3, 1e-9);
    s_near (t.intercept, -7, 1e-6);
    assert_int_equal (t.n, big);
    free (bx);
    free (by);
}

static void
test_forecast (void **state)
{
    (void)state;
    double at = -1;
    //  Crossing up: 10 + 2t = 50 at t = 20
    hl_stats_trend_t up = { .slope = 2, .intercept = 10 };
    assert_int_equal (hl_stats_forecast (&up, 50, 0, &at), 1);
    s_near (at, 20, 1e-12);
    assert_int_equal (hl_stats_forecast (&up, 50, 15, &at), 1);
    s_near (at, 20, 1e-12);
    //  Crossing down: 100 - t = 40 at t = 60, seen from t = 10
    hl_stats_trend_t down = { .slope = -1, .intercept = 100 };
    assert_int_equal (hl_stats_forecast (&down, 40, 10, &at), 1);
    s_near (at, 60, 1e-12);
    //  Moving away: rising line already above a lower threshold
    at = -1;
    assert_int_equal (hl_stats_forecast (&up, 5, 0, &at), 0);
    assert_int_equal (hl_stats_forecast (&down, 40, 61, &at), 0);
    s_near (at, -1, 0); //  untouched on "never"
    //  Flat: never, unless it sits on the threshold now
    hl_stats_trend_t flat = { .slope = 0, .intercept = 7 };
    assert_int_equal (hl_stats_forecast (&flat, 8, 0, &at), 0);
    assert_int_equal (hl_stats_forecast (&flat, 7, 3, &at), 1);
    s_near (at, 3, 0);
    //  On Unix times: 0.5 per second from 3 at 1.7e9, 30 up in 60 s
    hl_stats_trend_t unix_t = { .slope = 0.5, .intercept = 3 - 0.5 * 1.7e9 };
    assert_int_equal (hl_stats_forecast (&unix_t, 33, 1.7e9, &at), 1);
    s_near (at - 1.7e9, 60, 1e-3);
    //  Non-finite threshold: never
    assert_int_equal (hl_stats_forecast (&up, NAN, 0, &at), 0);
}

//  ---- Mann-Whitney ------------------------------------------------------

/*  Second method: the exact two-sided p by enumerating every split of the
    pooled ranks (no ties), 2 min(P(U2 <= u), P(U2 >= u)). N <= 20. */
static double
s_brute_p (const double *x, size_t n1, const double *y, size_t n2)
{
    size_t n = n1 + n2;
    assert_true (n <= 20);
    double pool[20];
    memcpy (pool, x, n1 * sizeof *x);
    memcpy (pool + n1, y, n2 * sizeof *y);
    //  Observed U2: pairs with y > x
    double u_obs = 0;
    for (size_t i = 0; i < n1; i++)
        for (size_t j = 0; j < n2; j++)
            u_obs += y[j] > x[i];
    double le = 0, ge = 0, total = 0;
    for (uint32_t mask = 0; mask < (1u << n); mask++) {
        if ((size_t)__builtin_popcount (mask) != n2)
            continue;
        //  U2 of this split = sum of its ranks - n2 (n2 + 1) / 2
        double ranks = 0;
        for (size_t k = 0; k < n; k++)
            if (mask & (1u << k))
                ranks += (double)(k + 1);
        double u = ranks - (double)(n2 * (n2 + 1)) / 2;
        total++;
        le += u <= u_obs;
        ge += u >= u_obs;
    }
    double p = 2 * (le < ge ? le : ge) / total;
    return p > 1 ? 1 : p;
}

static void
test_mwu_textbook (void **state)
{
    (void)state;
    //  Hollander & Wolfe (1973) p. 69, permeability constants, as in R's
    //  ?wilcox.test: wilcox.test(x, y, alternative = "greater") gives
    //  W = 35, p = 0.1272 (exact); two-sided is twice that. By hand:
    //  pairs x > y per x: 1 1 5 3 5 5 5 5 0 5 = 35.
    double x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
    double y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
    hl_stats_mwu_t r;
    assert_int_equal (hl_stats_mann_whitney (x, 10, y, 5, &r), 0);
    s_near (r.u1, 35, 0);
    s_near (r.u2, 15, 0);
    assert_true (r.exact);
    assert_false (r.ties);
    s_near (r.p_value, 2 * 0.1272, 2e-4);
    s_near (r.p_value, s_brute_p (x, 10, y, 5), 1e-12);
    //  Effect sizes: P(Y > X) = 15/50, r = 2 * .3 - 1
    s_near (r.cles, 0.3, 1e-12);
    s_near (r.r, -0.4, 1e-12);
    assert_int_equal (r.n1, 10);
    assert_int_equal (r.n2, 5);

    //  Swapping the samples swaps U and flips the effect, same p
    hl_stats_mwu_t s;
    assert_int_equal (hl_stats_mann_whitney (y, 5, x, 10, &s), 0);
    s_near (s.u1, 15, 0);
    s_near (s.p_value, r.p_value, 1e-12);
    s_near (s.r, 0.4, 1e-12);

    //  Tortoise and hare (Wikipedia, "Mann-Whitney U test"): finishing
    //  order T H H H H H T T T T T H; U = 11 of the hares, and with
    //  6 and 6 U must be <= 5 for two-sided 0.05 (Mann-Whitney tables),
    //  so this is not significant. Positions stand in for times.
    double tort[] = { 1, 7, 8, 9, 10, 11 };
    double hare[] = { 2, 3, 4, 5, 6, 12 };
    assert_int_equal (hl_stats_mann_whitney (tort, 6, hare, 6, &r), 0);
    s_near (r.u2 < r.u1 ? r.u2 : r.u1, 11, 0);
    assert_true (r.p_value > 0.05);
    s_near (r.p_value, s_brute_p (tort, 6, hare, 6), 1e-12);
    //  Mann & Whitney (1947) table, n = m = 6: P(U <= 11) = .155,
    //  P(U <= 6) = .032, P(U <= 5) = .021; two-sided is twice that
    s_near (r.p_value, 2 * 0.155, 2e-3);
    //  The critical value: U = 5 is significant, U = 6 is not
    double u5[] = { 1, 2, 3, 4, 5, 12 }; //  only 12 beats, all six: U = 6
    double t5[] = { 6, 7, 8, 9, 10, 11 };
    assert_int_equal (hl_stats_mann_whitney (t5, 6, u5, 6, &r), 0);
    s_near (r.u2, 6, 0);
    assert_true (r.p_value > 0.05);
    s_near (r.p_value, 2 * 0.032, 2e-3);
    double u4[] = { 1, 2, 3, 4, 5, 11 }; //  11 beats five: U = 5
    double t4[] = { 6, 7, 8, 9, 10, 12 };
    assert_int_equal (hl_stats_mann_whitney (t4, 6, u4, 6, &r), 0);
    s_near (r.u2, 5, 0);
    assert_true (r.p_value < 0.05);
    s_near (r.p_value, 2 * 0.021, 2e-3);
    s_near (r.p_value, s_brute_p (t4, 6, u4, 6), 1e-12);
}

static void
test_mwu_exact_brute (void **state)
{
    (void)state;
    //  Random samples of several shapes, exact p against enumeration
    size_t shapes[][2]
        = { { 1, 1 }, { 1, 9 }, { 3, 7 }, { 8, 8 }, { 12, 5 }, { 4, 16 } };
    hl_rand_t rng = s_rand (42);
    for (size_t s = 0; s < N_OF (shapes); s++) {
        for (int rep = 0; rep < 5; rep++) {
            size_t n1 = shapes[s][0], n2 = shapes[s][1];
            double x[20], y[20];
            for (size_t i = 0; i < n1; i++)
                x[i] = hl_rand_uniform (&rng);
            for (size_t j = 0; j < n2; j++)
                y[j] = hl_rand_uniform (&rng) + 0.15 * rep;
            hl_stats_mwu_t r;
            assert_int_equal (hl_stats_mann_whitney (x, n1, y, n2, &r), 0);
            assert_true (r.exact);
            s_near (r.p_value, s_brute_p (x, n1, y, n2), 1e-12);
        }
    }
}

static void
test_mwu_ties (void **state)
{
    (void)state;
    //  By hand. Pooled sorted: 1x 2x 2x 2y 3x 3y 4x 4y 4y 5y 6y; average
    //  ranks 1, 3 3 3, 5.5 5.5, 8 8 8, 10, 11. R_y = 3 + 5.5 + 8 + 8 +
    //  10 + 11 = 45.5, U2 = 45.5 - 21 = 24.5, U1 = 30 - 24.5 = 5.5.
    //  Ties t = 3, 2, 3: sum(t^3 - t) = 24 + 6 + 24 = 54. Variance
    //  30/12 (12 - 54/110) = 28.7727...; z = (24.5 - 15 - .5) / 5.36402
    //  = 1.67785; p = 2 (1 - Phi(1.67785)) = 0.0934 (normal table).
    double x[] = { 1, 2, 2, 3, 4 };
    double y[] = { 2, 3, 4, 4, 5, 6 };
    hl_stats_mwu_t r;
    assert_int_equal (hl_stats_mann_whitney (x, 5, y, 6, &r), 0);
    assert_true (r.ties);
    assert_false (r.exact);
    s_near (r.u2, 24.5, 1e-12);
    s_near (r.u1, 5.5, 1e-12);
    s_near (r.z, 9 / sqrt (2.5 * (12 - 54.0 / 110)), 1e-12);
    s_near (r.z, 1.67785, 1e-5);
    s_near (r.p_value, 0.0934, 5e-4);
    s_near (r.cles, 24.5 / 30, 1e-12);

    //  All equal: no evidence of anything
    double same[] = { 5, 5, 5 };
    assert_int_equal (hl_stats_mann_whitney (same, 3, same, 3, &r), 0);
    s_near (r.p_value, 1, 0);
    s_near (r.z, 0, 0);
    s_near (r.r, 0, 0);

    //  Empty sides
    assert_int_equal (hl_stats_mann_whitney (NULL, 0, y, 6, &r), -1);
    s_near (r.p_value, 1, 0);
    assert_int_equal (hl_stats_mann_whitney (x, 5, NULL, 0, &r), -1);
    //  One each, no ties: the smallest possible exact p is 1
    double a[] = { 1 }, b[] = { 2 };
    assert_int_equal (hl_stats_mann_whitney (a, 1, b, 1, &r), 0);
    assert_true (r.exact);
    s_near (r.p_value, 1, 0);
    //  Non-finite values are dropped before ranking
    double xn[] = { 1, NAN, 2 }, yn[] = { 3, INFINITY, 4 };
    assert_int_equal (hl_stats_mann_whitney (xn, 3, yn, 3, &r), 0);
    assert_int_equal (r.n1, 2);
    assert_int_equal (r.n2, 2);
    s_near (r.u2, 4, 0);
}

static void
test_mwu_exact_vs_normal (void **state)
{
    (void)state;
    //  20 and 20 without ties take the exact path; z is filled in either
    //  way, so the normal p on the same data is erfc(|z| / sqrt 2). The
    //  continuity-corrected normal agrees to a few thousandths here.
    double shifts[] = { 0.5, 2.5, 4.5, 6.5, 9.5 };
    for (size_t s = 0; s < N_OF (shifts); s++) {
        double x[21], y[21];
        for (int i = 0; i < 20; i++) {
            x[i] = i;
            y[i] = i + shifts[s];
        }
        hl_stats_mwu_t exact;
        assert_int_equal (hl_stats_mann_whitney (x, 20, y, 20, &exact), 0);
        assert_true (exact.exact);
        assert_true (exact.p_value > 0 && exact.p_value <= 1);
        s_near (exact.p_value, erfc (fabs (exact.z) / M_SQRT2), 0.005);

        //  One more point a side is over the cap: the normal path
        x[20] = -1000;
        y[20] = 1000;
        hl_stats_mwu_t normal;
        assert_int_equal (hl_stats_mann_whitney (x, 21, y, 21, &normal), 0);
        assert_false (normal.exact);
        s_near (normal.p_value, erfc (fabs (normal.z) / M_SQRT2), 1e-15);
    }
    //  And a tie forces the normal path even when small
    double a[] = { 1, 2, 3 }, b[] = { 3, 4, 5 };
    hl_stats_mwu_t r;
    assert_int_equal (hl_stats_mann_whitney (a, 3, b, 3, &r), 0);
    assert_false (r.exact);
}

//  ---- Hodges-Lehmann ----------------------------------------------------

/*  Second method: sort all pairwise differences, take the median and the
    Moses order statistics k and n1 n2 + 1 - k (1-based). */
static void
s_brute_hl (const double *x, size_t n1, const double *y, size_t n2, double z,
            double *shift, double *low, double *high)
{
    size_t count = n1 * n2;
    double *d = malloc (count * sizeof *d);
    for (size_t i = 0; i < n1; i++)
        for (size_t j = 0; j < n2; j++)
            d[i * n2 + j] = y[j] - x[i];
    qsort (d, count, sizeof *d, s_cmp);
    *shift = count % 2 ? d[count / 2] : (d[count / 2 - 1] + d[count / 2]) / 2;
    double full = (double)count;
    double k = floor (full / 2 - z * sqrt (full * (n1 + n2 + 1) / 12.0));
    size_t rank = k < 1 ? 1 : (size_t)k;
    *low = d[rank - 1];
    *high = d[count - rank];
    free (d);
}

static void
test_hl_worked (void **state)
{
    (void)state;
    //  By hand: differences y - x for x = 1 2 3, y = 4 6 8 sorted are
    //  1 2 3 3 4 5 5 6 7, median 4. 95%: k = floor(4.5 - 1.96 sqrt(9 * 7
    //  / 12)) = floor(0.009) -> 1 (at least 1): the interval [1, 7].
    double x[] = { 1, 2, 3 }, y[] = { 4, 6, 8 };
    hl_stats_hl_t h;
    assert_int_equal (hl_stats_hodges_lehmann (x, 3, y, 3, 0.95, &h), 0);
    s_near (h.shift, 4, 0);
    s_near (h.ci_low, 1, 0);
    s_near (h.ci_high, 7, 0);
    assert_int_equal (h.pairs, 9);
    assert_false (h.thinned);

    //  Hollander & Wolfe data against the brute force; z(.975) = 1.959964,
    //  z(.90) = 1.281552 from normal tables
    double hx[]
        = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
    double hy[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
    double shift, low, high;
    assert_int_equal (hl_stats_hodges_lehmann (hx, 10, hy, 5, 0.95, &h), 0);
    s_brute_hl (hx, 10, hy, 5, 1.959964, &shift, &low, &high);
    s_near (h.shift, shift, 1e-12);
    s_near (h.ci_low, low, 1e-12);
    s_near (h.ci_high, high, 1e-12);
    assert_true (h.ci_low <= h.shift && h.shift <= h.ci_high);
    assert_int_equal (hl_stats_hodges_lehmann (hx, 10, hy, 5, 0.80, &h), 0);
    s_brute_hl (hx, 10, hy, 5, 1.281552, &shift, &low, &high);
    s_near (h.ci_low, low, 1e-12);
    s_near (h.ci_high, high, 1e-12);

    //  Random 30 and 30 with a shift of 2: brute force again
    hl_rand_t rng = s_rand (7);
    double rx[30], ry[30];
    for (int i = 0; i < 30; i++) {
        rx[i] = 10 * hl_rand_uniform (&rng);
        ry[i] = 10 * hl_rand_uniform (&rng) + 2;
    }
    assert_int_equal (hl_stats_hodges_lehmann (rx, 30, ry, 30, 0.95, &h), 0);
    s_brute_hl (rx, 30, ry, 30, 1.959964, &shift, &low, &high);
    s_near (h.shift, shift, 1e-12);
    s_near (h.ci_low, low, 1e-12);
    s_near (h.ci_high, high, 1e-12);
}

static void
test_hl_edges (void **state)
{
    (void)state;
    hl_stats_hl_t h;
    double x[] = { 1, 2, 3 };
    assert_int_equal (hl_stats_hodges_lehmann (NULL, 0, x, 3, 0.95, &h), -1);
    assert_int_equal (hl_stats_hodges_lehmann (x, 3, x, 3, 0, &h), -1);
    assert_int_equal (hl_stats_hodges_lehmann (x, 3, x, 3, 1, &h), -1);
    assert_int_equal (hl_stats_hodges_lehmann (x, 3, x, 3, NAN, &h), -1);
    //  One each: the one difference
    double a[] = { 5 }, b[] = { 8 };
    assert_int_equal (hl_stats_hodges_lehmann (a, 1, b, 1, 0.95, &h), 0);
    s_near (h.shift, 3, 0);
    s_near (h.ci_low, 3, 0);
    s_near (h.ci_high, 3, 0);
    //  All equal: no shift, a point interval
    double same[] = { 4, 4, 4, 4 };
    assert_int_equal (hl_stats_hodges_lehmann (same, 4, same, 4, 0.95, &h), 0);
    s_near (h.shift, 0, 0);
    s_near (h.ci_low, 0, 0);
    s_near (h.ci_high, 0, 0);
}

static void
test_hl_thinned (void **state)
{
    (void)state;
    //  1000 and 1000: 1M pairs, over the cap. The after sample is the
    //  before one plus 3, so by symmetry the shift is 3 in full and thinned
    size_t n = 1000;
    double *x = malloc (n * sizeof *x), *y = malloc (n * sizeof *y);
    hl_rand_t rng = s_rand (99);
    for (size_t i = 0; i < n; i++)
        x[i] = 100 + 10 * (hl_rand_uniform (&rng) + hl_rand_uniform (&rng));
    for (size_t i = 0; i < n; i++)
        y[i] = x[(i * 7) % n] + 3; //  a permutation: the same set, + 3
    hl_stats_hl_t h;
    assert_int_equal (hl_stats_hodges_lehmann (x, n, y, n, 0.95, &h), 0);
    assert_true (h.thinned);
    assert_true (h.pairs <= HL_STATS_PAIRS_MAX);
    s_near (h.shift, 3, 1e-9);
    //  Against the full brute force: the interval is about +-0.25 wide,
    //  the thinned bounds within 2% of that
    double shift, low, high;
    s_brute_hl (x, n, y, n, 1.959964, &shift, &low, &high);
    s_near (shift, 3, 1e-9);
    s_near (h.ci_low, low, 0.005);
    s_near (h.ci_high, high, 0.005);
    assert_true (h.ci_low < 3 && h.ci_high > 3);
    //  The caller's arrays are untouched
    assert_true (y[1] == x[7] + 3);
    free (x);
    free (y);
}

//  ---- verdict -----------------------------------------------------------

/*  n points around level with uniform noise of +-spread. */
static void
s_window (double *out, size_t n, double level, double spread, hl_rand_t *rng)
{
    for (size_t i = 0; i < n; i++)
        out[i] = level + spread * (2 * hl_rand_uniform (rng) - 1);
}

static void
s_expect (const double *before, const double *after, size_t n,
          bool better_lower, hl_verdict_t want)
{
    hl_stats_verdict_t v;
    assert_int_equal (hl_stats_verdict (before, n, after, n, better_lower,
                                        HL_STATS_ALPHA, HL_STATS_MIN_EFFECT,
                                        HL_STATS_MIN_N, &v),
                      0);
    if (v.verdict != want)
        fail_msg ("verdict %s, want %s (p %g, shift %g [%g, %g], rel %g)",
                  hl_verdict_name (v.verdict), hl_verdict_name (want),
                  v.p_value, v.shift, v.ci_low, v.ci_high, v.relative);
}

static void
test_verdict (void **state)
{
    (void)state;
    hl_rand_t rng = s_rand (2026);
    double before[30], lower[30], higher[30], same[30];
    s_window (before, 30, 100, 10, &rng);
    s_window (lower, 30, 70, 7, &rng);
    s_window (higher, 30, 130, 13, &rng);
    s_window (same, 30, 100, 10, &rng);

    //  Lower is better (latency): down improves, up regresses
    s_expect (before, lower, 30, true, HL_VERDICT_IMPROVED);
    s_expect (before, higher, 30, true, HL_VERDICT_REGRESSED);
    s_expect (before, same, 30, true, HL_VERDICT_UNCHANGED);
    //  Higher is better (throughput): the mirror image
    s_expect (before, lower, 30, false, HL_VERDICT_REGRESSED);
    s_expect (before, higher, 30, false, HL_VERDICT_IMPROVED);
    s_expect (before, same, 30, false, HL_VERDICT_UNCHANGED);
    //  Too few points: 5 < HL_STATS_MIN_N, however clear the change
    s_expect (before, lower, 5, true, HL_VERDICT_INCONCLUSIVE);
    s_expect (before, higher, 5, false, HL_VERDICT_INCONCLUSIVE);

    hl_stats_verdict_t v;
    assert_int_equal (
        hl_stats_verdict (before, 30, lower, 30, true, 0.05, 0.05, 8, &v), 0);
    assert_int_equal (v.n_before, 30);
    assert_int_equal (v.n_after, 30);
    assert_false (v.exact);
    assert_true (v.p_value < 1e-6);
    assert_true (v.ci_low <= v.shift && v.shift <= v.ci_high);
    s_near (v.relative, v.shift / fabs (v.median_before), 1e-12);
    s_near (v.relative, -0.3, 0.05);
    assert_true (v.effect < -0.9);

    //  A tiny but very clear shift (2% with 0.1% noise) is significant
    //  yet under min_effect: unchanged; with min_effect 1% it counts
    double tight[30], tight_after[30];
    s_window (tight, 30, 100, 0.1, &rng);
    s_window (tight_after, 30, 98, 0.1, &rng);
    s_expect (tight, tight_after, 30, true, HL_VERDICT_UNCHANGED);
    assert_int_equal (
        hl_stats_verdict (tight, 30, tight_after, 30, true, 0.05, 0.01, 8, &v),
        0);
    assert_int_equal (v.verdict, HL_VERDICT_IMPROVED);

    //  Small samples take the exact path
    assert_int_equal (
        hl_stats_verdict (before, 10, lower, 10, true, 0.05, 0.05, 8, &v), 0);
    assert_true (v.exact);
    assert_int_equal (v.verdict, HL_VERDICT_IMPROVED);
}

static void
test_verdict_edges (void **state)
{
    (void)state;
    hl_stats_verdict_t v;
    double x[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    //  Bad arguments
    assert_int_equal (hl_stats_verdict (x, 10, x, 10, true, 0, 0.05, 8, &v),
                      -1);
    assert_int_equal (v.verdict, HL_VERDICT_INCONCLUSIVE);
    assert_int_equal (hl_stats_verdict (x, 10, x, 10, true, 0.05, -1, 8, &v),
                      -1);
    assert_int_equal (hl_stats_verdict (x, 10, x, 10, true, NAN, 0.05, 8, &v),
                      -1);
    //  Empty and single sides: inconclusive, counts reported
    assert_int_equal (
        hl_stats_verdict (NULL, 0, x, 10, true, 0.05, 0.05, 8, &v), 0);
    assert_int_equal (v.verdict, HL_VERDICT_INCONCLUSIVE);
    assert_int_equal (v.n_before, 0);
    assert_int_equal (v.n_after, 10);
    s_near (v.p_value, 1, 0);
    assert_int_equal (hl_stats_verdict (x, 1, x, 10, true, 0.05, 0.05, 8, &v),
                      0);
    assert_int_equal (v.verdict, HL_VERDICT_INCONCLUSIVE);
    //  Non-finite points do not count toward min_n
    double holes[10] = { 1, NAN, 3, NAN, 5, NAN, 7, NAN, 9, NAN };
    assert_int_equal (
        hl_stats_verdict (holes, 10, x, 10, true, 0.05, 0.05, 8, &v), 0);
    assert_int_equal (v.n_before, 5);
    assert_int_equal (v.verdict, HL_VERDICT_INCONCLUSIVE);
    //  All equal on both sides: unchanged, p 1
    double same[10] = { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 };
    assert_int_equal (
        hl_stats_verdict (same, 10, same, 10, true, 0.05, 0.05, 8, &v), 0);
    assert_int_equal (v.verdict, HL_VERDICT_UNCHANGED);
    s_near (v.p_value, 1, 0);
    s_near (v.shift, 0, 0);
    s_near (v.relative, 0, 0);
    //  From a zero level (no errors before, some after): relative 1
    double zero[10] = { 0 };
    double some[10] = { 2, 3, 2, 4, 3, 2, 3, 5, 2, 3 };
    assert_int_equal (
        hl_stats_verdict (zero, 10, some, 10, true, 0.05, 0.05, 8, &v), 0);
    s_near (v.relative, 1, 0);
    assert_int_equal (v.verdict, HL_VERDICT_REGRESSED);

    assert_string_equal (hl_verdict_name (HL_VERDICT_IMPROVED), "improved");
    assert_string_equal (hl_verdict_name (HL_VERDICT_UNCHANGED), "unchanged");
    assert_string_equal (hl_verdict_name (HL_VERDICT_REGRESSED), "regressed");
    assert_string_equal (hl_verdict_name (HL_VERDICT_INCONCLUSIVE),
                         "inconclusive");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_descriptive),
        cmocka_unit_test (test_descriptive_edges),
        cmocka_unit_test (test_robust_z),
        cmocka_unit_test (test_trend_textbook),
        cmocka_unit_test (test_trend_outliers),
        cmocka_unit_test (test_trend_edges),
        cmocka_unit_test (test_forecast),
        cmocka_unit_test (test_mwu_textbook),
        cmocka_unit_test (test_mwu_exact_brute),
        cmocka_unit_test (test_mwu_ties),
        cmocka_unit_test (test_mwu_exact_vs_normal),
        cmocka_unit_test (test_hl_worked),
        cmocka_unit_test (test_hl_edges),
        cmocka_unit_test (test_hl_thinned),
        cmocka_unit_test (test_verdict),
        cmocka_unit_test (test_verdict_edges),
    };
    return cmocka_run_group_tests_name ("hl_stats", tests, NULL, NULL);
}
