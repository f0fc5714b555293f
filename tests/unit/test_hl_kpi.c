/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_kpi - the KPI tracker against brute force on the same samples:
    windowed stats (quantiles within the sketch's relative error), ring
    wrap past an hour, out-of-order and refused samples (out of the
    metric's range too), the unknown names table, bounded memory, and
    flush publishing each second once.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../master/hl_kpi.h"
#include "../../proto/hl_err.h"

#define SEC 1000000LL
#define T0 (1700000000LL * SEC) //  a second boundary in 2023

static char s_dir[] = "/tmp/hl_kpi_test.XXXXXX";
static hl_config_t *s_config;

static const char s_cfg[]
    = "metrics = (\n"
      "  { name = \"lat\"; category = \"backend\"; better = \"lower\";\n"
      "    stat = \"p95\"; target = 200.0; critical = 1000.0; },\n"
      "  { name = \"hit\"; category = \"backend\"; better = \"higher\";\n"
      "    stat = \"mean\"; target = 90.0; critical = 50.0; }\n"
      ");\n";

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/kpi.cfg", s_dir);
    FILE *file = fopen (path, "w");
    if (!file)
        return -1;
    fputs (s_cfg, file);
    fclose (file);
    s_config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!s_config)
        fprintf (stderr, "%s\n", err);
    return s_config ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    hl_config_destroy (&s_config);
    return rmdir (s_dir);
}

//  Deterministic pseudo-random numbers in [0, 1)
static uint64_t s_rng = 42;
static double
s_rand (void)
{
    s_rng = s_rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(s_rng >> 11) / 9007199254740992.0;
}

typedef struct {
    double value;
    int64_t ts;
} sample_t;

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

//  Brute-force stats of the samples whose second overlaps [from, to)
static void
s_exact (const sample_t *samples, size_t n, int64_t from, int64_t to,
         hl_kpi_stats_t *out)
{
    double *values = malloc ((n ? n : 1) * sizeof (double));
    size_t count = 0;
    double sum = 0;
    int64_t last_ts = INT64_MIN;
    int64_t first_s = from / SEC, last_s = (to - 1) / SEC;
    for (size_t i = 0; i < n; i++) {
        int64_t s = samples[i].ts / SEC;
        if (s < first_s || s > last_s)
            continue;
        values[count++] = samples[i].value;
        sum += samples[i].value;
        if (samples[i].ts >= last_ts) {
            last_ts = samples[i].ts;
            out->last = samples[i].value;
        }
    }
    qsort (values, count, sizeof (double), s_cmp_double);
    out->count = count;
    if (count) {
        out->mean = sum / count;
        out->min = values[0];
        out->max = values[count - 1];
        //  nearest rank: the ceil(q * count)-th smallest
        out->p50 = values[(size_t)ceil (0.50 * count) - 1];
        out->p95 = values[(size_t)ceil (0.95 * count) - 1];
    }
    free (values);
}

//  Within the sketch's relative error (plus rounding slack)
static void
s_assert_near (double got, double want)
{
    double tolerance = fabs (want) * HL_KPI_ALPHA * 1.0001 + 1e-12;
    if (fabs (got - want) > tolerance)
        fail_msg ("%.9g is not within 1%% of %.9g", got, want);
}

static void
s_assert_stats (const hl_kpi_stats_t *got, const hl_kpi_stats_t *want)
{
    assert_int_equal (got->count, want->count);
    assert_true (fabs (got->mean - want->mean)
                 <= 1e-9 * fabs (want->mean) + 1e-12);
    assert_true (got->min == want->min);
    assert_true (got->max == want->max);
    assert_true (got->last == want->last);
    s_assert_near (got->p50, want->p50);
    s_assert_near (got->p95, want->p95);
}

static void
test_new_and_args (void **state)
{
    (void)state;
    assert_null (hl_kpi_new (NULL));
    hl_config_t *empty = hl_config_new_default ();
    hl_kpi_t *kpi = hl_kpi_new (empty);
    assert_non_null (kpi);
    assert_int_equal (hl_kpi_add (kpi, "lat", 1, T0, T0), HL_ERR_ARGS);
    hl_kpi_destroy (&kpi);
    assert_null (kpi);
    hl_kpi_destroy (&kpi);
    hl_config_destroy (&empty);

    kpi = hl_kpi_new (s_config);
    hl_kpi_stats_t stats;
    assert_int_equal (hl_kpi_window (kpi, "nope", T0, T0 + SEC, &stats),
                      HL_ERR_ARGS);
    assert_int_equal (hl_kpi_window (kpi, "lat", T0, T0, &stats), HL_ERR_ARGS);
    assert_int_equal (hl_kpi_window (kpi, "lat", T0, T0 + SEC, &stats), 0);
    assert_int_equal (stats.count, 0);
    assert_true (isnan (stats.p95) && isnan (stats.last));
    double value;
    assert_int_equal (hl_kpi_stat (&stats, "p95", &value), HL_ERR_MISSING);
    assert_int_equal (hl_kpi_stat (&stats, "p99", &value), HL_ERR_ARGS);
    hl_kpi_destroy (&kpi);
}

static void
test_stat_getter (void **state)
{
    (void)state;
    hl_kpi_stats_t stats = { 0, 3, 1.5, 2.5, 3.5, 0.5, 4.5, 5.5 };
    const char *names[] = { "mean", "p50", "p95", "min", "max", "last" };
    const double want[] = { 1.5, 2.5, 3.5, 0.5, 4.5, 5.5 };
    for (size_t i = 0; i < 6; i++) {
        double value = 0;
        assert_int_equal (hl_kpi_stat (&stats, names[i], &value), 0);
        assert_true (value == want[i]);
    }
    double value;
    assert_int_equal (hl_kpi_stat (&stats, "", &value), HL_ERR_ARGS);
    assert_int_equal (hl_kpi_stat (&stats, NULL, &value), HL_ERR_ARGS);
}

//  60 seconds of samples inserted in random order, compared with brute
//  force over several windows
static void
test_window_exact (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    size_t n = 60 * 150;
    sample_t *samples = malloc (n * sizeof (sample_t));
    for (size_t i = 0; i < n; i++) {
        //  Values spread over 3x within a second; the base drifts
        int64_t second = (int64_t)(i / 150);
        samples[i].ts = T0 + second * SEC + (int64_t)(s_rand () * SEC);
        samples[i].value = (50 + second) * (1 + 2 * s_rand () * s_rand ());
    }
    //  Shuffle: arrival order is not time order
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(s_rand () * (i + 1));
        sample_t tmp = samples[i];
        samples[i] = samples[j];
        samples[j] = tmp;
    }
    int64_t now = T0 + 60 * SEC;
    for (size_t i = 0; i < n; i++)
        assert_int_equal (
            hl_kpi_add (kpi, "lat", samples[i].value, samples[i].ts, now), 0);
    assert_int_equal (hl_kpi_counters (kpi)->accepted, n);

    const int64_t windows[][2] = {
        { T0, T0 + 60 * SEC },                    //  all
        { T0 - 100 * SEC, T0 + 100 * SEC },       //  wider than the data
        { T0 + 10 * SEC, T0 + 20 * SEC },         //  10 whole seconds
        { T0 + 10 * SEC + 1, T0 + 20 * SEC + 1 }, //  11 overlapped
        { T0 + 59 * SEC, T0 + 60 * SEC },         //  one second
    };
    for (size_t w = 0; w < sizeof windows / sizeof *windows; w++) {
        hl_kpi_stats_t got, want;
        assert_int_equal (
            hl_kpi_window (kpi, "lat", windows[w][0], windows[w][1], &got), 0);
        s_exact (samples, n, windows[w][0], windows[w][1], &want);
        s_assert_stats (&got, &want);
        //  The basic window: the same exact fields, no quantiles
        hl_kpi_stats_t basic;
        assert_int_equal (hl_kpi_window_basic (kpi, "lat", windows[w][0],
                                               windows[w][1], &basic),
                          0);
        assert_int_equal (basic.count, got.count);
        assert_true (basic.mean == got.mean && basic.min == got.min
                     && basic.max == got.max && basic.last == got.last);
        assert_true (isnan (basic.p50) && isnan (basic.p95));
    }
    //  A window with no data
    hl_kpi_stats_t got;
    assert_int_equal (
        hl_kpi_window (kpi, "lat", T0 + 61 * SEC, T0 + 70 * SEC, &got), 0);
    assert_int_equal (got.count, 0);
    assert_int_equal (hl_kpi_window (kpi, "hit", T0, now, &got), 0);
    assert_int_equal (got.count, 0);
    free (samples);
    hl_kpi_destroy (&kpi);
}

//  A second holding far more distinct bins than the sketch keeps: the low
//  end collapses, the high quantiles and exact fields stay right
static void
test_wide_spread (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    size_t n = 5000;
    sample_t *samples = malloc (n * sizeof (sample_t));
    for (size_t i = 0; i < n; i++) {
        samples[i].ts = T0 + (int64_t)(s_rand () * SEC);
        samples[i].value = exp (s_rand () * log (1e4)); //  1 .. 10000
        assert_int_equal (
            hl_kpi_add (kpi, "lat", samples[i].value, samples[i].ts, T0), 0);
    }
    hl_kpi_stats_t got, want;
    assert_int_equal (hl_kpi_window (kpi, "lat", T0, T0 + SEC, &got), 0);
    s_exact (samples, n, T0, T0 + SEC, &want);
    assert_int_equal (got.count, want.count);
    assert_true (got.min == want.min && got.max == want.max);
    s_assert_near (got.p95, want.p95);
    free (samples);
    hl_kpi_destroy (&kpi);
}

//  Zero and negative values have their own bins, in value order
static void
test_sign_and_zero (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    const double values[] = { -1000, -10, -0.5, 0, 0, 0, 0.25, 3, 7, 42, 1e6 };
    size_t n = sizeof values / sizeof *values;
    sample_t samples[sizeof values / sizeof *values];
    for (size_t i = 0; i < n; i++) {
        samples[i].value = values[n - 1 - i];
        samples[i].ts = T0 + (int64_t)i;
        assert_int_equal (
            hl_kpi_add (kpi, "hit", samples[i].value, samples[i].ts, T0), 0);
    }
    hl_kpi_stats_t got, want;
    assert_int_equal (hl_kpi_window (kpi, "hit", T0, T0 + SEC, &got), 0);
    s_exact (samples, n, T0, T0 + SEC, &want);
    s_assert_stats (&got, &want);
    assert_true (got.p50 == 0);
    assert_true (got.last == -1000);

    //  All negative (hit has no declared range): p95 is the one nearest
    //  zero
    for (int i = 1; i <= 100; i++)
        assert_int_equal (hl_kpi_add (kpi, "hit", -i, T0 + SEC + i, T0 + SEC),
                          0);
    assert_int_equal (hl_kpi_window (kpi, "hit", T0 + SEC, T0 + 2 * SEC, &got),
                      0);
    s_assert_near (got.p95, -6);
    s_assert_near (got.p50, -51);
    hl_kpi_destroy (&kpi);
}

//  Two hours at one sample a second: the ring keeps the last hour and
//  more, old slots are reused, windows never see overwritten seconds
static void
test_ring_wrap (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    size_t bytes = hl_kpi_bytes (kpi);
    int64_t seconds = 2 * 3600;
    for (int64_t s = 0; s < seconds; s++)
        assert_int_equal (hl_kpi_add (kpi, "lat", (double)s + 1,
                                      T0 + s * SEC + 1, T0 + s * SEC + 2),
                          0);
    assert_int_equal (hl_kpi_bytes (kpi), bytes);
    int64_t now = T0 + seconds * SEC;
    hl_kpi_stats_t got;

    //  The last hour
    assert_int_equal (hl_kpi_window (kpi, "lat", now - 3600 * SEC, now, &got),
                      0);
    assert_int_equal (got.count, 3600);
    assert_true (got.min == seconds - 3600 + 1);
    assert_true (got.max == seconds);
    assert_true (got.last == seconds);
    assert_true (got.mean == seconds - 1800 + 0.5);

    //  Everything: cut to the ring's length
    assert_int_equal (hl_kpi_window (kpi, "lat", T0, now, &got), 0);
    assert_int_equal (got.count, HL_KPI_RING);
    assert_true (got.min == seconds - HL_KPI_RING + 1);

    //  The first hour's slots now hold the second hour
    assert_int_equal (hl_kpi_window (kpi, "lat", T0, T0 + 100 * SEC, &got), 0);
    assert_int_equal (got.count, 0);
    hl_kpi_destroy (&kpi);
}

static void
test_late_and_out_of_order (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    int64_t now = T0 + 4000 * SEC;
    //  Late but within the horizon: accepted, in its own second
    assert_int_equal (hl_kpi_add (kpi, "lat", 5, now - 3000 * SEC, now), 0);
    assert_int_equal (
        hl_kpi_add (kpi, "lat", 6, now - HL_KPI_HORIZON_S * SEC, now), 0);
    //  In one second, last is by timestamp, not by arrival
    assert_int_equal (hl_kpi_add (kpi, "lat", 9, now - 10 * SEC + 900, now), 0);
    assert_int_equal (hl_kpi_add (kpi, "lat", 8, now - 10 * SEC + 100, now), 0);
    hl_kpi_stats_t got;
    assert_int_equal (
        hl_kpi_window (kpi, "lat", now - 10 * SEC, now - 9 * SEC, &got), 0);
    assert_int_equal (got.count, 2);
    assert_true (got.last == 9);
    assert_int_equal (
        hl_kpi_window (kpi, "lat", now - 3000 * SEC, now - 2999 * SEC, &got),
        0);
    assert_int_equal (got.count, 1);
    assert_true (got.last == 5);
    //  Over the whole hour, last is the newest sample
    assert_int_equal (hl_kpi_window (kpi, "lat", now - 3660 * SEC, now, &got),
                      0);
    assert_int_equal (got.count, 4);
    assert_true (got.last == 9);
    assert_true (got.min == 5 && got.max == 9);
    hl_kpi_destroy (&kpi);
}

static void
test_rejections (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    int64_t now = T0 + 5000 * SEC + 123;
    assert_int_equal (hl_kpi_add (kpi, "lat", NAN, now, now), HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add (kpi, "lat", INFINITY, now, now),
                      HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add (kpi, "lat", -INFINITY, now, now),
                      HL_ERR_RANGE);
    //  Future: at the limit accepted, one microsecond past refused
    assert_int_equal (hl_kpi_add (kpi, "lat", 1, now + HL_KPI_FUTURE_US, now),
                      0);
    assert_int_equal (
        hl_kpi_add (kpi, "lat", 1, now + HL_KPI_FUTURE_US + 1, now),
        HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add (kpi, "lat", 1, INT64_MAX, now), HL_ERR_RANGE);
    //  Past: the oldest second of the horizon accepted, the one before not
    int64_t oldest = (now / SEC - HL_KPI_HORIZON_S) * SEC;
    assert_int_equal (hl_kpi_add (kpi, "lat", 1, oldest, now), 0);
    assert_int_equal (hl_kpi_add (kpi, "lat", 1, oldest - 1, now),
                      HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add (kpi, "lat", 1, INT64_MIN, now), HL_ERR_RANGE);
    //  Clock stepped back a ring's length: the slot of back's second
    //  holds the newer second of the future sample above
    int64_t back = now + HL_KPI_FUTURE_US - HL_KPI_RING * SEC;
    assert_int_equal (hl_kpi_add (kpi, "lat", 1, back, back), HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add (kpi, "lat", 1, now, now), 0);

    const hl_kpi_counters_t *c = hl_kpi_counters (kpi);
    assert_int_equal (c->accepted, 3);
    assert_int_equal (c->not_finite, 3);
    assert_int_equal (c->too_new, 2);
    assert_int_equal (c->too_old, 3);
    assert_int_equal (c->unknown, 0);

    hl_value_t *status = hl_kpi_status (kpi);
    const hl_value_t *rejected = hl_value_get (status, "rejected");
    assert_int_equal (hl_value_get_int (rejected, "not_finite", -1), 3);
    assert_int_equal (hl_value_get_int (rejected, "too_new", -1), 2);
    assert_int_equal (hl_value_get_int (rejected, "too_old", -1), 3);
    assert_int_equal (hl_value_get_int (status, "accepted", -1), 3);
    assert_int_equal (hl_value_get_int (status, "metrics", -1), 2);
    assert_int_equal (hl_value_get_int (status, "bytes", -1),
                      (int64_t)hl_kpi_bytes (kpi));
    hl_value_destroy (&status);
    hl_kpi_destroy (&kpi);
}

/*  A value outside the metric's range (min..max in the config; for a
    lower-is-better metric 0.. by default) is refused and counted, at
    the limits accepted; it never reaches a window. */
static void
test_out_of_range (void **state)
{
    (void)state;
    static const char cfg[]
        = "metrics = (\n"
          "  { name = \"lat\"; category = \"backend\"; unit = \"ms\";\n"
          "    better = \"lower\"; stat = \"p95\"; target = 200.0;\n"
          "    critical = 1000.0; },\n"
          "  { name = \"ratio\"; category = \"backend\"; unit = \"%\";\n"
          "    better = \"higher\"; stat = \"mean\"; target = 90.0;\n"
          "    critical = 50.0; },\n"
          "  { name = \"temp\"; category = \"backend\"; better = \"lower\";\n"
          "    stat = \"max\"; target = 20.0; critical = 80.0;\n"
          "    min = -40.0; max = 125.0; }\n"
          ");\n";
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/range.cfg", s_dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (cfg, file);
    fclose (file);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    assert_non_null (config);
    hl_kpi_t *kpi = hl_kpi_new (config);
    int64_t now = T0 + 123;
    //  lat: 0.. (a time, lower is better)
    assert_int_equal (hl_kpi_add (kpi, "lat", -5, now, now), HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add (kpi, "lat", -1e-9, now, now), HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add (kpi, "lat", 0, now, now), 0);
    assert_int_equal (hl_kpi_add (kpi, "lat", 1e12, now, now), 0);
    //  ratio: 0..100 (a percentage)
    assert_int_equal (hl_kpi_add (kpi, "ratio", 100, now, now), 0);
    assert_int_equal (hl_kpi_add (kpi, "ratio", 100.5, now, now), HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add (kpi, "ratio", -1, now, now), HL_ERR_RANGE);
    //  temp: its declared -40..125
    assert_int_equal (hl_kpi_add (kpi, "temp", -40, now, now), 0);
    assert_int_equal (hl_kpi_add (kpi, "temp", 125, now, now), 0);
    assert_int_equal (hl_kpi_add (kpi, "temp", -40.5, now, now), HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add (kpi, "temp", 126, now, now), HL_ERR_RANGE);

    const hl_kpi_counters_t *c = hl_kpi_counters (kpi);
    assert_int_equal (c->out_of_range, 6);
    assert_int_equal (c->accepted, 5);
    hl_value_t *status = hl_kpi_status (kpi);
    assert_int_equal (hl_value_get_int (hl_value_get (status, "rejected"),
                                        "out_of_range", -1),
                      6);
    hl_value_destroy (&status);
    //  What was refused is nowhere in the window
    hl_kpi_stats_t got;
    assert_int_equal (hl_kpi_window (kpi, "lat", T0, T0 + SEC, &got), 0);
    assert_int_equal (got.count, 2);
    assert_true (got.min == 0);
    hl_kpi_destroy (&kpi);
    hl_config_destroy (&config);
}

/*  By index, as StatsD adds: the same checks, no name lookup. */
static void
test_add_at (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    int64_t now = T0 + 10 * SEC;
    assert_int_equal (hl_kpi_add_at (kpi, 1, 80, now, now), 0);
    assert_int_equal (hl_kpi_add (kpi, "hit", 90, now, now), 0);
    assert_int_equal (hl_kpi_add_at (kpi, 1, NAN, now, now), HL_ERR_RANGE);
    assert_int_equal (
        hl_kpi_add_at (kpi, 0, 1, now + HL_KPI_FUTURE_US + 1, now),
        HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add_at (kpi, 2, 1, now, now), HL_ERR_ARGS);
    hl_kpi_stats_t stats;
    assert_int_equal (hl_kpi_window (kpi, "hit", now - SEC, now + SEC, &stats),
                      0);
    assert_int_equal (stats.count, 2);
    assert_true (stats.mean == 85);
    const hl_kpi_counters_t *c = hl_kpi_counters (kpi);
    assert_int_equal (c->accepted, 2);
    assert_int_equal (c->not_finite, 1);
    assert_int_equal (c->too_new, 1);
    hl_kpi_destroy (&kpi);
}

static void
test_unknown_names (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    char name[64];
    //  40 names; name-0 seen again just before the table fills up, so
    //  it is not the least recently seen and must survive
    for (int i = 0; i < 40; i++) {
        snprintf (name, sizeof name, "name-%d", i);
        assert_int_equal (hl_kpi_add (kpi, name, 1, T0, T0), HL_ERR_ARGS);
        if (i == 0 || i == 31)
            hl_kpi_add (kpi, "name-0", 1, T0, T0);
    }
    assert_int_equal (hl_kpi_counters (kpi)->unknown, 42);
    assert_int_equal (hl_kpi_unknown_size (kpi), HL_KPI_UNKNOWN_NAMES);

    //  The 8 least recently seen, name-1 .. name-8, were dropped
    uint64_t total = 0;
    bool saw0 = false;
    for (size_t i = 0; i < hl_kpi_unknown_size (kpi); i++) {
        uint64_t count = 0;
        const char *entry = hl_kpi_unknown_name (kpi, i, &count);
        assert_non_null (entry);
        int number = atoi (entry + 5);
        assert_true (number == 0 || number > 8);
        if (number == 0) {
            saw0 = true;
            assert_int_equal (count, 3);
        }
        total += count;
    }
    assert_true (saw0);
    assert_int_equal (total, 42 - 8);
    assert_null (hl_kpi_unknown_name (kpi, HL_KPI_UNKNOWN_NAMES, NULL));

    //  An over-long name is cut in the table, never overflows it
    char longname[400];
    memset (longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal (hl_kpi_add (kpi, longname, 1, T0, T0), HL_ERR_ARGS);
    assert_int_equal (hl_kpi_add (kpi, NULL, 1, T0, T0), HL_ERR_ARGS);

    hl_value_t *status = hl_kpi_status (kpi);
    const hl_value_t *names = hl_value_get (status, "unknown_names");
    assert_int_equal (hl_value_size (names), HL_KPI_UNKNOWN_NAMES);
    assert_int_equal (hl_value_get_int (names, "name-0", -1), 3);
    assert_int_equal (
        hl_value_get_int (hl_value_get (status, "rejected"), "unknown", -1),
        43);
    hl_value_destroy (&status);
    hl_kpi_destroy (&kpi);
}

//  Many samples in one second: memory does not grow, stats stay right
static void
test_many_in_one_second (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    size_t bytes = hl_kpi_bytes (kpi);
    //  The header's figure: 440 bytes a bucket, plus the fixed tables
    assert_true (bytes >= 2 * (size_t)HL_KPI_RING * 440);
    assert_true (bytes < 2 * (size_t)HL_KPI_RING * 440 + 16384);
    size_t n = 200000;
    for (size_t i = 0; i < n; i++)
        assert_int_equal (hl_kpi_add (kpi, "lat", (double)(i % 1000) + 1,
                                      T0 + (int64_t)(i % SEC), T0),
                          0);
    assert_int_equal (hl_kpi_bytes (kpi), bytes);
    hl_kpi_stats_t got;
    assert_int_equal (hl_kpi_window (kpi, "lat", T0, T0 + SEC, &got), 0);
    assert_int_equal (got.count, n);
    assert_true (got.min == 1 && got.max == 1000);
    assert_true (fabs (got.mean - 500.5) < 1e-9);
    s_assert_near (got.p95, 950);
    hl_kpi_destroy (&kpi);
}

typedef struct {
    int calls;
    char names[64][8];
    hl_kpi_stats_t stats[64];
} published_t;

static void
s_collect (const char *name, const hl_kpi_stats_t *stats, void *arg)
{
    published_t *pub = (published_t *)arg;
    assert_true (pub->calls < 64);
    snprintf (pub->names[pub->calls], sizeof pub->names[0], "%s", name);
    pub->stats[pub->calls++] = *stats;
}

static void
test_flush_once (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    published_t pub = { 0 };
    //  Seconds 0..4 of lat, 1 of hit; each lat second s holds s+1 .. 3s+3
    for (int s = 0; s < 5; s++)
        for (int v = s + 1; v <= 3 * s + 3; v++)
            assert_int_equal (
                hl_kpi_add (kpi, "lat", v, T0 + s * SEC + v, T0 + s * SEC), 0);
    hl_kpi_add (kpi, "hit", 77, T0 + SEC + 5, T0 + SEC);

    //  Nothing closed yet at 1.2 s (second 0 closes at 1.25 s)
    assert_int_equal (hl_kpi_flush (kpi, T0 + SEC + 200000, s_collect, &pub),
                      0);
    //  At 2.3 s seconds 0 and 1 are closed: lat 0, lat 1, hit 1
    assert_int_equal (
        hl_kpi_flush (kpi, T0 + 2 * SEC + 300000, s_collect, &pub), 3);
    assert_string_equal (pub.names[0], "lat");
    assert_int_equal (pub.stats[0].second, T0 / SEC);
    assert_int_equal (pub.stats[0].count, 3);
    assert_true (pub.stats[0].mean == 2 && pub.stats[0].min == 1
                 && pub.stats[0].max == 3 && pub.stats[0].last == 3);
    s_assert_near (pub.stats[0].p50, 2);
    s_assert_near (pub.stats[0].p95, 3); /* nearest rank: 3rd of 3 */
    assert_string_equal (pub.names[1], "lat");
    assert_int_equal (pub.stats[1].second, T0 / SEC + 1);
    assert_int_equal (pub.stats[1].count, 5);
    assert_string_equal (pub.names[2], "hit");
    assert_true (pub.stats[2].mean == 77);

    //  Again at the same time, or earlier: nothing twice
    assert_int_equal (
        hl_kpi_flush (kpi, T0 + 2 * SEC + 300000, s_collect, &pub), 0);
    assert_int_equal (hl_kpi_flush (kpi, T0, s_collect, &pub), 0);

    //  A late sample into a flushed second is stored, not republished
    assert_int_equal (hl_kpi_add (kpi, "lat", 100, T0 + 1, T0 + 3 * SEC), 0);
    assert_int_equal (hl_kpi_counters (kpi)->after_flush, 1);
    hl_kpi_stats_t got;
    assert_int_equal (hl_kpi_window (kpi, "lat", T0, T0 + SEC, &got), 0);
    assert_int_equal (got.count, 4);

    //  Much later: seconds 2, 3, 4 once each
    pub.calls = 0;
    assert_int_equal (hl_kpi_flush (kpi, T0 + 100 * SEC, s_collect, &pub), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (pub.stats[i].second, T0 / SEC + 2 + i);
        assert_int_equal (pub.stats[i].count, 2 * (2 + i) + 3);
    }
    assert_int_equal (hl_kpi_flush (kpi, T0 + 200 * SEC, s_collect, &pub), 0);
    hl_kpi_destroy (&kpi);
}

static void
test_series (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    published_t pub = { 0 };
    for (int s = 0; s < 10; s += 2)
        for (int v = 0; v < 4; v++)
            hl_kpi_add (kpi, "hit", 10 * s + v, T0 + s * SEC + v,
                        T0 + 10 * SEC);
    assert_int_equal (
        hl_kpi_series (kpi, "hit", T0 + 2 * SEC, T0 + 7 * SEC, s_collect, &pub),
        3);
    for (int i = 0; i < 3; i++) {
        int s = 2 + 2 * i;
        assert_int_equal (pub.stats[i].second, T0 / SEC + s);
        assert_int_equal (pub.stats[i].count, 4);
        assert_true (pub.stats[i].mean == 10 * s + 1.5);
        assert_true (pub.stats[i].min == 10 * s);
        assert_true (pub.stats[i].max == 10 * s + 3);
        assert_true (pub.stats[i].last == 10 * s + 3);
        s_assert_near (pub.stats[i].p50, 10 * s + 1);
        s_assert_near (pub.stats[i].p95, 10 * s + 3); /* 4th of 4 */
    }
    assert_int_equal (
        hl_kpi_series (kpi, "nope", T0, T0 + SEC, s_collect, &pub),
        HL_ERR_ARGS);
    assert_int_equal (hl_kpi_series (kpi, "hit", T0, T0, s_collect, &pub), 0);
    hl_kpi_destroy (&kpi);
}

//  A crossing is a stored sample at or past critical after one that was
//  not, in the metric's own direction; refused samples do not count.
static void
test_crossings (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    const hl_kpi_counters_t *c = hl_kpi_counters (kpi);
    struct {
        const char *name;
        double value;
        uint64_t crossings;
    } steps[] = {
        { "lat", 500, 0 },  { "lat", 999.9, 0 }, { "lat", 1000, 1 },
        { "lat", 5000, 1 }, { "lat", 100, 1 },   { "lat", 2000, 2 },
        { "hit", 60, 2 },   { "hit", 50, 3 },    { "hit", 10, 3 },
        { "hit", 95, 3 },   { "hit", 49, 4 },
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        assert_int_equal (
            hl_kpi_add (kpi, steps[i].name, steps[i].value, T0, T0), 0);
        assert_int_equal (c->crossings, steps[i].crossings);
    }
    //  Refused: not stored, no crossing, the state stays
    assert_int_equal (hl_kpi_add (kpi, "lat", NAN, T0, T0), HL_ERR_RANGE);
    assert_int_equal (hl_kpi_add (kpi, "hit", 10, T0 + 3600 * SEC, T0),
                      HL_ERR_RANGE);
    assert_int_equal (c->crossings, 4);
    assert_int_equal (hl_kpi_add (kpi, "lat", 100, T0, T0), 0);
    assert_int_equal (hl_kpi_add (kpi, "lat", 1500, T0, T0), 0);
    assert_int_equal (c->crossings, 5);
    hl_kpi_destroy (&kpi);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_and_args),
        cmocka_unit_test (test_stat_getter),
        cmocka_unit_test (test_window_exact),
        cmocka_unit_test (test_wide_spread),
        cmocka_unit_test (test_sign_and_zero),
        cmocka_unit_test (test_ring_wrap),
        cmocka_unit_test (test_late_and_out_of_order),
        cmocka_unit_test (test_rejections),
        cmocka_unit_test (test_out_of_range),
        cmocka_unit_test (test_add_at),
        cmocka_unit_test (test_unknown_names),
        cmocka_unit_test (test_many_in_one_second),
        cmocka_unit_test (test_flush_once),
        cmocka_unit_test (test_series),
        cmocka_unit_test (test_crossings),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
