/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_forecast - strategic planning as pure functions over a real
    tracker fed with exact lines: parsing; a known trend recovered, with
    noise too; values kept within each metric's range; a trend carried no
    farther than its history supports (a minute of history and a 7-day
    horizon give short_history, no number and no health); breach timing;
    scenario health through the live rule; what would help each breach;
    the roadmap; and the report's page of a plan.
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

#include "../../bus/hl_rand.h"
#include "../../master/hl_forecast.h"
#include "../../master/hl_health.h"
#include "../../master/hl_report.h"
#include "../../master/hl_run.h"

#define SEC 1000000LL
#define NOW (1700000100LL * SEC + 500000) //  mid-second

static char s_dir[] = "/tmp/hl_forecast_test.XXXXXX";
static hl_config_t *s_config;

//  lat is key; ret rises; hit is silent
static const char s_cfg[]
    = "emergency = { threshold = 50; };\n"
      "metrics = (\n"
      "  { name = \"lat\"; category = \"backend\"; better = \"lower\";\n"
      "    stat = \"mean\"; target = 100.0; critical = 500.0; weight = 0.5;\n"
      "    key = true; },\n"
      "  { name = \"ret\"; category = \"business\"; better = \"higher\";\n"
      "    stat = \"mean\"; target = 50.0; critical = 10.0; weight = 1.0; },\n"
      "  { name = \"hit\"; category = \"backend\"; better = \"higher\";\n"
      "    stat = \"mean\"; target = 90.0; critical = 50.0; weight = 1.0; }\n"
      ");\n"
      "actions = (\n"
      "  { name = \"cache\"; swarm = \"backend\"; improves = [\"lat\"];\n"
      "    expected = 0.5; },\n"
      "  { name = \"promo\"; swarm = \"backend\"; improves = [\"ret\"];\n"
      "    expected = 0.2; }\n"
      ");\n";

/*  A config from text, through a file in the test's folder. */
static hl_config_t *
s_load (const char *text)
{
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/forecast.cfg", s_dir);
    FILE *file = fopen (path, "w");
    if (!file)
        return NULL;
    fputs (text, file);
    fclose (file);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fprintf (stderr, "%s\n", err);
    return config;
}

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    s_config = s_load (s_cfg);
    return s_config ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    hl_config_destroy (&s_config);
    return rmdir (s_dir);
}

/*  One sample every step seconds, n of them, the last step seconds
    before NOW's second: at_now + per_s * t, t in seconds from NOW's
    second (negative); noise (may be NULL) adds sd times a normal draw. */
static void
s_series (hl_kpi_t *kpi, const char *name, int n, int step, double at_now,
          double per_s, hl_rand_t *noise, double sd)
{
    int64_t now_s = NOW / SEC;
    for (int i = n; i >= 1; i--) {
        int64_t t = now_s - (int64_t)i * step;
        double v = at_now + per_s * (double)(t - now_s);
        if (noise)
            v += sd * hl_rand_normal (noise);
        assert_int_equal (hl_kpi_add (kpi, name, v, t * SEC + 100000, NOW), 0);
    }
}

/*  One sample per second over the last n seconds of name: a + b * t,
    t in seconds before NOW's second (negative). */
static void
s_line (hl_kpi_t *kpi, const char *name, int n, double at_now, double per_s)
{
    s_series (kpi, name, n, 1, at_now, per_s, NULL, 0);
}

/*  The plan for horizon (a string for hl_forecast_parse) and scenarios. */
static hl_value_t *
s_plan (const hl_config_t *config, const hl_kpi_t *kpi, hl_planner_t *planner,
        hl_learning_t *learning, const char *horizon, const char *scenarios)
{
    hl_forecast_spec_t spec;
    char err[160];
    hl_value_t *p = hl_value_new_map ();
    hl_value_set_str (p, "horizon", horizon);
    hl_value_set_str (p, "scenarios", scenarios);
    assert_int_equal (hl_forecast_parse (p, &spec, err, sizeof err), 0);
    hl_value_destroy (&p);
    return hl_forecast_plan (&spec, config, kpi, planner, learning, NOW);
}

/*  The scenario's entry for metric. */
static const hl_value_t *
s_metric_of (const hl_value_t *plan, const char *scenario, const char *metric)
{
    const hl_value_t *ms = hl_value_get (
        hl_value_get (hl_value_get (plan, "scenarios"), scenario), "metrics");
    for (size_t i = 0; i < hl_value_size (ms); i++)
        if (!strcmp (hl_value_get_str (hl_value_at (ms, i), "name", ""),
                     metric))
            return hl_value_at (ms, i);
    return NULL;
}

/*  The scenario's breach of metric, or NULL. */
static const hl_value_t *
s_breach_of (const hl_value_t *plan, const char *scenario, const char *metric)
{
    const hl_value_t *bs = hl_value_get (
        hl_value_get (hl_value_get (plan, "scenarios"), scenario), "breaches");
    for (size_t i = 0; i < hl_value_size (bs); i++)
        if (!strcmp (hl_value_get_str (hl_value_at (bs, i), "metric", ""),
                     metric))
            return hl_value_at (bs, i);
    return NULL;
}

static void
test_horizon (void **state)
{
    (void)state;
    assert_int_equal (hl_forecast_horizon ("7_days"), 7 * 86400);
    assert_int_equal (hl_forecast_horizon ("24_hours"), 86400);
    assert_int_equal (hl_forecast_horizon ("90_minutes"), 5400);
    assert_int_equal (hl_forecast_horizon ("3600_seconds"), 3600);
    assert_int_equal (hl_forecast_horizon ("3600"), 3600);
    assert_int_equal (hl_forecast_horizon ("1.5_hours"), 5400);
    assert_int_equal (hl_forecast_horizon ("366_days"), 366 * 86400);
    assert_int_equal (hl_forecast_horizon ("367_days"), 0);
    assert_int_equal (hl_forecast_horizon ("7_weeks"), 0);
    assert_int_equal (hl_forecast_horizon ("0_days"), 0);
    assert_int_equal (hl_forecast_horizon ("-1"), 0);
    assert_int_equal (hl_forecast_horizon ("days"), 0);
    assert_int_equal (hl_forecast_horizon (""), 0);
    assert_int_equal (hl_forecast_horizon (NULL), 0);
}

static void
test_parse (void **state)
{
    (void)state;
    hl_forecast_spec_t spec;
    char err[160];
    //  No params: the defaults
    assert_int_equal (hl_forecast_parse (NULL, &spec, err, sizeof err), 0);
    assert_int_equal (spec.horizon_s, 7 * 86400);
    assert_int_equal (spec.nscenarios, 1);
    assert_string_equal (spec.scenarios[0].name, "baseline");

    hl_value_t *p = hl_value_new_map ();
    hl_value_set_int (p, "horizon", 600);
    hl_value_set_str (p, "scenarios", "baseline,growth:10,growth:-20.5");
    assert_int_equal (hl_forecast_parse (p, &spec, err, sizeof err), 0);
    assert_int_equal (spec.horizon_s, 600);
    assert_int_equal (spec.nscenarios, 3);
    assert_true (fabs (spec.scenarios[1].growth - 0.10) < 1e-12);
    assert_true (fabs (spec.scenarios[2].growth + 0.205) < 1e-12);
    hl_value_destroy (&p);

    //  A list works as well as a string
    p = hl_value_new_map ();
    hl_value_set_str (p, "horizon", "24_hours");
    hl_value_t *list = hl_value_new_array ();
    hl_value_t *s = hl_value_new_str ("growth:50");
    hl_value_append (list, &s);
    hl_value_set (p, "scenarios", &list);
    assert_int_equal (hl_forecast_parse (p, &spec, err, sizeof err), 0);
    assert_int_equal (spec.horizon_s, 86400);
    assert_int_equal (spec.nscenarios, 1);
    hl_value_destroy (&p);

    //  Refusals, each with its reason
    const char *bad_scenarios[] = { "growth:",
                                    "growth:x",
                                    "growth:-100",
                                    "shrink:5",
                                    "baseline,a",
                                    "baseline,baseline,baseline,baseline,"
                                    "baseline" };
    for (size_t i = 0; i < sizeof bad_scenarios / sizeof *bad_scenarios; i++) {
        p = hl_value_new_map ();
        hl_value_set_str (p, "scenarios", bad_scenarios[i]);
        err[0] = 0;
        assert_int_equal (hl_forecast_parse (p, &spec, err, sizeof err), -1);
        assert_non_null (strstr (err, "scenario"));
        hl_value_destroy (&p);
    }
    p = hl_value_new_map ();
    hl_value_set_str (p, "horizon", "soon");
    assert_int_equal (hl_forecast_parse (p, &spec, err, sizeof err), -1);
    assert_non_null (strstr (err, "horizon"));
    hl_value_set_int (p, "horizon", 0);
    assert_int_equal (hl_forecast_parse (p, &spec, err, sizeof err), -1);
    hl_value_destroy (&p);
}

/*  A known line comes back exactly: slope, value, score and breach.
    An hour of history, so that horizons up to four hours are within
    reach. */
static void
test_metric (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    //  lat climbs 0.05 ms/s from 200: 300 at +2,000 s (its critical 500
    //  at +6,000 s)
    s_line (kpi, "lat", 3600, 200, 0.05);
    const hl_config_metric_t *lat = hl_config_metric_find (s_config, "lat");
    hl_forecast_metric_t f = hl_forecast_metric (lat, kpi, NOW, 2000, 0);
    assert_int_equal (f.state, HL_FORECAST_TREND);
    assert_int_equal (f.points, 3600);
    assert_true (fabs (f.history_s - 3599) < 1e-9);
    //  four times the history past its last point (1.5 s before now)
    assert_true (fabs (f.reach_s - (4 * 3599 - 1.5)) < 1e-9);
    assert_true (fabs (f.slope - 0.05) < 1e-9);
    assert_true (fabs (f.at_horizon - 300) < 0.05);
    assert_true (fabs (f.score - 50) < 0.02);
    //  an exact line has no scatter: its range is the value itself
    assert_true (fabs (f.high - f.low) < 1e-6);
    assert_true (fabs (f.low - f.at_horizon) < 1e-6);
    assert_true (isnan (f.breach_in_s)); /* not within 2,000 s */
    f = hl_forecast_metric (lat, kpi, NOW, 8000, 0);
    assert_int_equal (f.state, HL_FORECAST_TREND);
    assert_true (fabs (f.breach_in_s - 6000) < 1);
    assert_true (f.score == 0);
    //  10% more load: every level 10% higher, the trend as measured
    f = hl_forecast_metric (lat, kpi, NOW, 2000, 0.10);
    assert_true (fabs (f.at_horizon - 330) < 0.05);
    assert_true (fabs (f.slope - 0.05) < 1e-9);
    //  a silent metric has no forecast
    const hl_config_metric_t *hit = hl_config_metric_find (s_config, "hit");
    f = hl_forecast_metric (hit, kpi, NOW, 2000, 0);
    assert_int_equal (f.state, HL_FORECAST_NODATA);
    assert_int_equal (f.points, 0);
    assert_true (isnan (f.at_horizon) && isnan (f.slope));
    hl_kpi_destroy (&kpi);
}

/*  The same line under noise (sd 10) and a spike every 25 s: Theil-Sen
    still finds the slope, the value lands near the truth, and the range
    is about 1.96 sd either side and holds the true value. */
static void
test_trend_with_noise (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    hl_rand_t rand;
    hl_rand_seed (&rand, 20261206);
    int64_t now_s = NOW / SEC;
    for (int i = 3600; i >= 1; i--) {
        double v = 400 - 0.05 * i + 10 * hl_rand_normal (&rand);
        if (i % 25 == 0)
            v += 400; /* 4% of the seconds are wild */
        assert_int_equal (
            hl_kpi_add (kpi, "lat", v, (now_s - i) * SEC + 100000, NOW), 0);
    }
    const hl_config_metric_t *lat = hl_config_metric_find (s_config, "lat");
    hl_forecast_metric_t f = hl_forecast_metric (lat, kpi, NOW, 2000, 0);
    assert_int_equal (f.state, HL_FORECAST_TREND);
    assert_true (fabs (f.slope - 0.05) < 0.002);
    double truth = 400 + 0.05 * 2000.5;
    assert_true (fabs (f.at_horizon - truth) < 5);
    assert_true (f.low < truth && truth < f.high);
    double half = (f.high - f.low) / 2;
    assert_true (half > 1.96 * 10 * 0.9 && half < 1.96 * 10 * 1.2);
    assert_true (fabs (f.at_horizon - (f.low + f.high) / 2) < 1e-9);
    //  10% more load scales the line and its scatter alike
    hl_forecast_metric_t g = hl_forecast_metric (lat, kpi, NOW, 2000, 0.10);
    assert_true (fabs (g.at_horizon - 1.1 * f.at_horizon) < 1e-6);
    assert_true (fabs ((g.high - g.low) - 1.1 * (f.high - f.low)) < 1e-6);
    hl_kpi_destroy (&kpi);
}

/*  Bounds: percentages stay in 0..100, latencies at or above 0, and a
    declared min and max hold, for the value, its range and the grown
    value alike; the breach is where the clamped line meets critical. */
static const char s_bounded_cfg[]
    = "metrics = (\n"
      "  { name = \"hit\"; category = \"backend\"; unit = \"%\";\n"
      "    better = \"higher\"; stat = \"mean\"; target = 90.0;\n"
      "    critical = 50.0; },\n"
      "  { name = \"lat\"; category = \"backend\"; unit = \"ms\";\n"
      "    better = \"lower\"; stat = \"mean\"; target = 100.0;\n"
      "    critical = 500.0; },\n"
      "  { name = \"roi\"; category = \"business\"; unit = \"ratio\";\n"
      "    better = \"higher\"; stat = \"mean\"; target = 2.0;\n"
      "    critical = 0.5; min = 0.2; max = 3.0; }\n"
      ");\n";

/*  The forecast of name after an hour of a line, at 10,000 s. */
static hl_forecast_metric_t
s_bounded (const hl_config_t *config, const char *name, double at_now,
           double per_s, double growth)
{
    hl_kpi_t *kpi = hl_kpi_new (config);
    s_line (kpi, name, 3600, at_now, per_s);
    hl_forecast_metric_t f = hl_forecast_metric (
        hl_config_metric_find (config, name), kpi, NOW, 10000, growth);
    hl_kpi_destroy (&kpi);
    assert_int_equal (f.state, HL_FORECAST_TREND);
    const hl_config_metric_t *m = hl_config_metric_find (config, name);
    assert_true (f.low >= m->min && f.high <= m->max);
    assert_true (f.low <= f.at_horizon && f.at_horizon <= f.high);
    return f;
}

static void
test_bounds (void **state)
{
    (void)state;
    hl_config_t *config = s_load (s_bounded_cfg);
    assert_non_null (config);
    //  A falling hit rate: 60 - 0.01 t is -40 at the horizon; it stops at
    //  0. It meets critical (50) at +1,000 s, as the clamped line does
    hl_forecast_metric_t f = s_bounded (config, "hit", 60, -0.01, 0);
    assert_true (f.at_horizon == 0 && f.low == 0);
    assert_true (f.score == 0);
    assert_true (fabs (f.breach_in_s - 1000) < 1);
    //  A rising one: 95 + 0.01 t would be 195; it stops at 100
    f = s_bounded (config, "hit", 95, 0.01, 0);
    assert_true (f.at_horizon == 100 && f.high == 100);
    assert_true (f.score == 100);
    assert_true (isnan (f.breach_in_s));
    //  A falling latency: 300 - 0.05 t would be -200; it stops at 0
    f = s_bounded (config, "lat", 300, -0.05, 0);
    assert_true (f.at_horizon == 0 && f.low == 0);
    assert_true (f.score == 100);
    //  Declared bounds: roi is 0.2..3 (its history stays within them:
    //  intake refuses what does not)
    f = s_bounded (config, "roi", 2.5, 0.0001, 0);
    assert_true (f.at_horizon == 3.0);
    f = s_bounded (config, "roi", 1.0, -0.0001, 0);
    assert_true (f.at_horizon == 0.2);
    assert_true (fabs (f.breach_in_s - 5000) < 1);
    //  The grown value too: a 50% drop in load doubles a higher-is-better
    //  level (80 -> 160, 2.5 -> 5), which cannot pass the top
    f = s_bounded (config, "hit", 80, 0, -0.5);
    assert_true (f.at_horizon == 100);
    f = s_bounded (config, "roi", 2.5, 0, -0.5);
    assert_true (f.at_horizon == 3.0);
    //  and a flat line within its range is left alone
    f = s_bounded (config, "hit", 80, 0, 0);
    assert_true (fabs (f.at_horizon - 80) < 1e-9);
    hl_config_destroy (&config);
}

/*  How far a trend is carried: at most 4x its history past its last
    point, and only with 10 points over 30 s; each limit at the limit
    and one past it. */
static void
test_reach (void **state)
{
    (void)state;
    const hl_config_metric_t *lat = hl_config_metric_find (s_config, "lat");
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    //  A minute: history 59 s, reach 4 x 59 - 1.5 = 234.5 s
    s_line (kpi, "lat", 60, 200, 0.1);
    hl_forecast_metric_t f = hl_forecast_metric (lat, kpi, NOW, 234, 0);
    assert_int_equal (f.state, HL_FORECAST_TREND);
    assert_true (fabs (f.reach_s - 234.5) < 1e-9);
    assert_true (fabs (f.at_horizon - (200 + 0.1 * 234.5)) < 1e-6);
    f = hl_forecast_metric (lat, kpi, NOW, 235, 0);
    assert_int_equal (f.state, HL_FORECAST_SHORT);
    assert_true (isnan (f.at_horizon) && isnan (f.score));
    assert_true (isnan (f.low) && isnan (f.high));
    assert_true (fabs (f.slope - 0.1) < 1e-9); /* measured, not carried */
    hl_kpi_destroy (&kpi);

    //  Span: 31 points a second apart span 30 s, enough; 30 do not
    kpi = hl_kpi_new (s_config);
    s_line (kpi, "lat", 31, 200, 0);
    f = hl_forecast_metric (lat, kpi, NOW, 60, 0);
    assert_int_equal (f.state, HL_FORECAST_TREND);
    hl_kpi_destroy (&kpi);
    kpi = hl_kpi_new (s_config);
    s_line (kpi, "lat", 30, 200, 0);
    f = hl_forecast_metric (lat, kpi, NOW, 60, 0);
    assert_int_equal (f.state, HL_FORECAST_SHORT);
    assert_int_equal (f.points, 30);
    assert_true (fabs (f.history_s - 29) < 1e-9);
    assert_true (f.reach_s == 0 && isnan (f.slope));
    hl_kpi_destroy (&kpi);

    //  Points: 10 five seconds apart (45 s) are enough; 9 (40 s) are not
    kpi = hl_kpi_new (s_config);
    s_series (kpi, "lat", 10, 5, 200, 0, NULL, 0);
    f = hl_forecast_metric (lat, kpi, NOW, 60, 0);
    assert_int_equal (f.state, HL_FORECAST_TREND);
    hl_kpi_destroy (&kpi);
    kpi = hl_kpi_new (s_config);
    s_series (kpi, "lat", 9, 5, 200, 0, NULL, 0);
    f = hl_forecast_metric (lat, kpi, NOW, 60, 0);
    assert_int_equal (f.state, HL_FORECAST_SHORT);
    assert_true (f.reach_s == 0);
    hl_kpi_destroy (&kpi);

    //  The reach counts from the last point: a minute of history that
    //  ended 200.5 s ago reaches 4 x 59 - 200.5 = 35.5 s from now
    kpi = hl_kpi_new (s_config);
    int64_t now_s = NOW / SEC;
    for (int i = 259; i >= 200; i--)
        assert_int_equal (hl_kpi_add (kpi, "lat", 200 - 0.1 * i,
                                      (now_s - i) * SEC + 100000, NOW),
                          0);
    f = hl_forecast_metric (lat, kpi, NOW, 35, 0);
    assert_int_equal (f.state, HL_FORECAST_TREND);
    assert_true (fabs (f.reach_s - (4 * 59 - 200.5)) < 1e-9);
    f = hl_forecast_metric (lat, kpi, NOW, 36, 0);
    assert_int_equal (f.state, HL_FORECAST_SHORT);
    hl_kpi_destroy (&kpi);
}

/*  The symptom: about a minute of steep trends stretched over 7 days
    forecast a latency of -1,979,882 ms, a hit rate of 66,132 % and a
    retention of 184,450, scored health 100 in both scenarios. Now every
    metric says short_history with its history and reach, no value and
    no score; no scenario has a health, and each says why. */
static const char s_demo_cfg[]
    = "emergency = { threshold = 50; };\n"
      "metrics = (\n"
      "  { name = \"chat_response_time\"; category = \"frontend\";\n"
      "    unit = \"ms\"; better = \"lower\"; stat = \"p95\";\n"
      "    target = 500.0; critical = 3000.0; weight = 2.0; key = true; },\n"
      "  { name = \"redis_cache_hit\"; category = \"backend\"; unit = \"%\";\n"
      "    better = \"higher\"; stat = \"mean\"; target = 90.0;\n"
      "    critical = 50.0; weight = 1.5; },\n"
      "  { name = \"user_retention_24h\"; category = \"business\";\n"
      "    unit = \"%\"; better = \"higher\"; stat = \"last\";\n"
      "    target = 50.0; critical = 20.0; weight = 1.5; }\n"
      ");\n"
      "actions = (\n"
      "  { name = \"enable_ws_compression\"; swarm = \"backend\";\n"
      "    improves = [\"chat_response_time\"]; expected = 0.2; },\n"
      "  { name = \"enable_response_cache\"; swarm = \"backend\";\n"
      "    improves = [\"redis_cache_hit\"]; expected = 0.25; }\n"
      ");\n";

/*  A minute of the symptom's slopes (per second: latency -3.3 ms,
    hit rate +0.11 points, retention +0.3 points). */
static hl_kpi_t *
s_minute (const hl_config_t *config)
{
    hl_kpi_t *kpi = hl_kpi_new (config);
    s_line (kpi, "chat_response_time", 60, 900, -3.3);
    s_line (kpi, "redis_cache_hit", 60, 85, 0.11);
    s_line (kpi, "user_retention_24h", 60, 40, 0.3);
    return kpi;
}

static void
test_short_history (void **state)
{
    (void)state;
    hl_config_t *config = s_load (s_demo_cfg);
    assert_non_null (config);
    hl_kpi_t *kpi = s_minute (config);
    hl_planner_t *planner = hl_planner_new (config);
    hl_learning_t *learning = hl_learning_new (config, 1);
    hl_value_t *plan = s_plan (config, kpi, planner, learning, "7_days",
                               "baseline,growth:20");
    const char *scenarios[] = { "baseline", "growth:20" };
    const char *metrics[]
        = { "chat_response_time", "redis_cache_hit", "user_retention_24h" };
    for (size_t i = 0; i < 2; i++) {
        const hl_value_t *sc
            = hl_value_get (hl_value_get (plan, "scenarios"), scenarios[i]);
        assert_non_null (sc);
        const hl_value_t *h = hl_value_get (sc, "health_at_horizon");
        assert_non_null (h);
        assert_int_equal (hl_value_type (h), HL_VALUE_NIL);
        const char *note = hl_value_get_str (sc, "health_note", "");
        assert_non_null (strstr (note, "604800 s"));
        assert_non_null (strstr (note, "4 times"));
        assert_non_null (strstr (note, "234 s")); /* 234.5, as %.0f */
        assert_int_equal (hl_value_get_int (sc, "scored", -1), 0);
        assert_int_equal (hl_value_get_int (sc, "short_history", -1), 3);
        assert_int_equal (hl_value_get_int (sc, "nodata", -1), 0);
        for (size_t j = 0; j < 3; j++) {
            const hl_value_t *m = s_metric_of (plan, scenarios[i], metrics[j]);
            assert_non_null (m);
            assert_string_equal (hl_value_get_str (m, "forecast", ""),
                                 "short_history");
            assert_true (hl_value_get_double (m, "history_s", 0) == 59);
            assert_true (hl_value_get_double (m, "reach_s", 0) == 234.5);
            assert_null (hl_value_get (m, "at_horizon"));
            assert_null (hl_value_get (m, "score_at_horizon"));
            assert_null (hl_value_get (m, "low"));
            //  the latency falls and the rates rise: no breach, so nothing
            //  is claimed within the reach either
            assert_int_equal (hl_value_type (hl_value_get (m, "breach_in_s")),
                              HL_VALUE_NIL);
        }
        assert_int_equal (hl_value_size (hl_value_get (sc, "breaches")), 0);
    }
    hl_value_destroy (&plan);

    //  Within the reach the same minute gives numbers, in range
    plan = s_plan (config, kpi, planner, learning, "200_seconds", "baseline");
    const hl_value_t *chat
        = s_metric_of (plan, "baseline", "chat_response_time");
    assert_string_equal (hl_value_get_str (chat, "forecast", ""), "trend");
    assert_true (fabs (hl_value_get_double (chat, "at_horizon", NAN)
                       - (900 - 3.3 * 200.5))
                 < 1e-6);
    const hl_value_t *hit = s_metric_of (plan, "baseline", "redis_cache_hit");
    assert_true (hl_value_get_double (hit, "at_horizon", NAN) == 100);
    const hl_value_t *base
        = hl_value_get (hl_value_get (plan, "scenarios"), "baseline");
    assert_int_equal (hl_value_get_int (base, "scored", -1), 3);
    assert_null (hl_value_get (base, "health_note"));
    double health = hl_value_get_double (base, "health_at_horizon", NAN);
    assert_true (health >= 0 && health <= 100);
    hl_value_destroy (&plan);
    hl_learning_destroy (&learning);
    hl_planner_destroy (&planner);
    hl_kpi_destroy (&kpi);

    //  An hour is not enough for 7 days either: it reaches four hours
    kpi = hl_kpi_new (config);
    s_line (kpi, "chat_response_time", 3600, 900, -0.01);
    hl_forecast_metric_t f = hl_forecast_metric (
        hl_config_metric_find (config, "chat_response_time"), kpi, NOW,
        7 * 86400, 0);
    assert_int_equal (f.state, HL_FORECAST_SHORT);
    assert_true (f.reach_s < 4 * 3600);
    hl_kpi_destroy (&kpi);
    hl_config_destroy (&config);
}

/*  Breach timing: where the (grown) line meets critical, 0 when it is
    there already, nothing when it moves away or meets it past the
    horizon; with a short history, only within the reach. */
static void
test_breach_timing (void **state)
{
    (void)state;
    const hl_config_metric_t *lat = hl_config_metric_find (s_config, "lat");
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    s_line (kpi, "lat", 3600, 200, 0.05); /* 500 at +6,000 s */
    hl_forecast_metric_t f = hl_forecast_metric (lat, kpi, NOW, 10000, 0);
    assert_true (fabs (f.breach_in_s - 5999.5) < 1e-6);
    //  the line meets it at the horizon's edge, and not one second sooner
    f = hl_forecast_metric (lat, kpi, NOW, 6000, 0);
    assert_true (fabs (f.breach_in_s - 5999.5) < 1e-6);
    f = hl_forecast_metric (lat, kpi, NOW, 5999, 0);
    assert_true (isnan (f.breach_in_s));
    assert_true (f.score > 0);
    //  25% more load: 250 + 0.0625 t meets 500 at +4,000 s
    f = hl_forecast_metric (lat, kpi, NOW, 10000, 0.25);
    assert_true (fabs (f.breach_in_s - 3999.5) < 1e-6);
    hl_kpi_destroy (&kpi);

    //  Already at or past critical: 0, and the score is 0 with it
    kpi = hl_kpi_new (s_config);
    s_line (kpi, "lat", 600, 600, -0.01); /* past 500, coming down slowly */
    f = hl_forecast_metric (lat, kpi, NOW, 100, 0);
    assert_true (f.breach_in_s == 0);
    assert_true (f.score == 0);
    hl_kpi_destroy (&kpi);

    //  Moving away from it: none
    kpi = hl_kpi_new (s_config);
    s_line (kpi, "lat", 600, 400, -0.01);
    f = hl_forecast_metric (lat, kpi, NOW, 2000, 0);
    assert_true (isnan (f.breach_in_s));
    hl_kpi_destroy (&kpi);

    //  A minute of history and 7 days: 300 + 1 t meets 500 at +200 s,
    //  within the 234.5 s reach, so it is reported; at 0.5/s it would be
    //  +400 s, past the reach, so it is not
    kpi = hl_kpi_new (s_config);
    s_line (kpi, "lat", 60, 300, 1);
    f = hl_forecast_metric (lat, kpi, NOW, 7 * 86400, 0);
    assert_int_equal (f.state, HL_FORECAST_SHORT);
    assert_true (fabs (f.breach_in_s - 199.5) < 1e-6);
    hl_kpi_destroy (&kpi);
    kpi = hl_kpi_new (s_config);
    s_line (kpi, "lat", 60, 300, 0.5);
    f = hl_forecast_metric (lat, kpi, NOW, 7 * 86400, 0);
    assert_int_equal (f.state, HL_FORECAST_SHORT);
    assert_true (isnan (f.breach_in_s));
    hl_kpi_destroy (&kpi);
}

/*  The plan's health is the live rule's: with the key metric forecast
    at 0, the scenario's health is capped one point under the threshold
    however well the rest does (a plain weighted mean said 66.7). */
static void
test_scenario_uses_the_live_rule (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    s_line (kpi, "lat", 300, 600, 0); /* flat, past critical: 0 */
    s_line (kpi, "ret", 3600, 80, 0); /* flat, past target: 100 */
    hl_planner_t *planner = hl_planner_new (s_config);
    hl_learning_t *learning = hl_learning_new (s_config, 1);
    //  lat's 300 s of history reach 4 x 299 - 1.5 = 1,194.5 s
    hl_value_t *plan
        = s_plan (s_config, kpi, planner, learning, "15_minutes", "baseline");
    const hl_value_t *base
        = hl_value_get (hl_value_get (plan, "scenarios"), "baseline");
    assert_non_null (base);
    assert_true (fabs (hl_value_get_double (base, "health_at_horizon", -1) - 49)
                 < 1e-9);
    assert_int_equal (hl_value_get_int (base, "scored", -1), 2);
    //  The live score agrees
    hl_health_t *health = hl_health_compute (s_config, kpi, NOW);
    assert_true (fabs (hl_health_score (health) - 49) < 1e-9);
    hl_health_destroy (&health);
    //  hit is reported as nodata, never scored
    const hl_value_t *ms = hl_value_get (base, "metrics");
    assert_int_equal (hl_value_size (ms), 3);
    assert_string_equal (hl_value_get_str (hl_value_at (ms, 2), "forecast", ""),
                         "nodata");
    assert_int_equal (hl_value_get_int (base, "nodata", -1), 1);
    hl_value_destroy (&plan);

    //  Past the reach, the key metric is not scored at all: the health
    //  rests on ret alone and says so, rather than pretend lat is known
    plan = s_plan (s_config, kpi, planner, learning, "1_hours", "baseline");
    base = hl_value_get (hl_value_get (plan, "scenarios"), "baseline");
    assert_int_equal (hl_value_get_int (base, "scored", -1), 1);
    assert_int_equal (hl_value_get_int (base, "short_history", -1), 1);
    assert_int_equal (hl_value_get_int (base, "nodata", -1), 1);
    assert_true (
        fabs (hl_value_get_double (base, "health_at_horizon", -1) - 100)
        < 1e-9);
    hl_value_destroy (&plan);
    hl_learning_destroy (&learning);
    hl_planner_destroy (&planner);
    hl_kpi_destroy (&kpi);
}

/*  What would help each breach: the actions whose improves names its
    metric, best first, with the planner's word on each (and their
    roadmap step); one in effect is ruled out; a metric no action
    improves says so; breaches are per scenario. */
static const char s_remedy_cfg[]
    = "emergency = { threshold = 50; };\n"
      "metrics = (\n"
      "  { name = \"lat\"; category = \"backend\"; better = \"lower\";\n"
      "    stat = \"mean\"; target = 100.0; critical = 500.0; key = true; },\n"
      "  { name = \"hit\"; category = \"backend\"; better = \"higher\";\n"
      "    stat = \"mean\"; target = 90.0; critical = 50.0; },\n"
      "  { name = \"ret\"; category = \"business\"; better = \"higher\";\n"
      "    stat = \"mean\"; target = 50.0; critical = 10.0; }\n"
      ");\n"
      "actions = (\n"
      "  { name = \"cache\"; swarm = \"backend\"; improves = [\"lat\"];\n"
      "    expected = 0.5; },\n"
      "  { name = \"pool\"; swarm = \"backend\"; improves = [\"lat\"];\n"
      "    expected = 0.2; cost = 2.0; },\n"
      "  { name = \"shed\"; swarm = \"frontend\"; improves = [\"lat\"];\n"
      "    expected = 0.3; },\n"
      "  { name = \"promo\"; swarm = \"frontend\"; improves = [\"ret\"];\n"
      "    expected = 0.2; }\n"
      ");\n";

static void
test_breach_actions (void **state)
{
    (void)state;
    hl_config_t *config = s_load (s_remedy_cfg);
    assert_non_null (config);
    hl_kpi_t *kpi = hl_kpi_new (config);
    s_line (kpi, "lat", 3600, 200, 0.05); /* critical at +6,000 s */
    s_line (kpi, "hit", 3600, 55, 0);     /* 55: grown 20%, 45.8 */
    s_line (kpi, "ret", 3600, 30, 0);     /* safe in both */
    hl_planner_t *planner = hl_planner_new (config);
    hl_planner_effect (planner, "cache", true);
    hl_learning_t *learning = hl_learning_new (config, 1);
    hl_value_t *plan = s_plan (config, kpi, planner, learning, "3_hours",
                               "baseline,growth:20");

    //  lat, baseline: shed (0.5 x 0.3 / 1) before pool (0.5 x 0.2 / 2);
    //  shed is the roadmap's step, pool conflicts with it; cache is in
    //  effect already, its effect in the trend: ruled out
    const hl_value_t *b = s_breach_of (plan, "baseline", "lat");
    assert_non_null (b);
    assert_true (fabs (hl_value_get_double (b, "breach_in_s", 0) - 5999.5)
                 < 1e-6);
    const hl_value_t *as = hl_value_get (b, "actions");
    assert_int_equal (hl_value_size (as), 2);
    assert_string_equal (hl_value_get_str (hl_value_at (as, 0), "action", ""),
                         "shed");
    assert_string_equal (hl_value_get_str (hl_value_at (as, 0), "status", ""),
                         HL_PLANNER_PICKED);
    assert_int_equal (hl_value_get_int (hl_value_at (as, 0), "rank", 0), 1);
    assert_true (hl_value_get_double (hl_value_at (as, 0), "p_success", 0)
                 == 0.5);
    assert_string_equal (hl_value_get_str (hl_value_at (as, 1), "action", ""),
                         "pool");
    assert_string_equal (hl_value_get_str (hl_value_at (as, 1), "status", ""),
                         HL_PLANNER_CONFLICT);
    assert_null (hl_value_get (hl_value_at (as, 1), "rank"));
    const hl_value_t *ro = hl_value_get (b, "ruled_out");
    assert_int_equal (hl_value_size (ro), 1);
    assert_string_equal (hl_value_get_str (hl_value_at (ro, 0), "action", ""),
                         "cache");
    assert_string_equal (hl_value_get_str (hl_value_at (ro, 0), "reason", ""),
                         HL_PLANNER_IN_EFFECT);
    assert_null (hl_value_get (b, "note"));
    //  hit breaches only when grown, and nothing improves it; ret never
    assert_null (s_breach_of (plan, "baseline", "hit"));
    b = s_breach_of (plan, "growth:20", "hit");
    assert_non_null (b);
    assert_true (hl_value_get_double (b, "breach_in_s", -1) == 0);
    assert_int_equal (hl_value_size (hl_value_get (b, "actions")), 0);
    assert_string_equal (hl_value_get_str (b, "note", ""),
                         "no configured action improves hit");
    assert_non_null (s_breach_of (plan, "growth:20", "lat"));
    assert_null (s_breach_of (plan, "baseline", "ret"));
    assert_null (s_breach_of (plan, "growth:20", "ret"));
    //  The roadmap keeps its ranked steps beside
    const hl_value_t *road = hl_value_get (plan, "roadmap");
    assert_true (hl_value_size (road) >= 1);
    assert_string_equal (hl_value_get_str (hl_value_at (road, 0), "action", ""),
                         "shed");
    hl_value_destroy (&plan);

    //  Every action for lat in effect: the breach says none is left
    hl_planner_effect (planner, "pool", true);
    hl_planner_effect (planner, "shed", true);
    plan = s_plan (config, kpi, planner, learning, "3_hours", "baseline");
    b = s_breach_of (plan, "baseline", "lat");
    assert_int_equal (hl_value_size (hl_value_get (b, "actions")), 0);
    assert_int_equal (hl_value_size (hl_value_get (b, "ruled_out")), 3);
    assert_string_equal (hl_value_get_str (b, "note", ""),
                         "every action that improves lat is ruled out");
    hl_value_destroy (&plan);
    hl_learning_destroy (&learning);
    hl_planner_destroy (&planner);
    hl_kpi_destroy (&kpi);
    hl_config_destroy (&config);
}

static void
test_roadmap (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    s_line (kpi, "lat", 120, 300, 0); /* score 50 */
    s_line (kpi, "ret", 120, 30, 0);  /* score 50 */
    hl_planner_t *planner = hl_planner_new (s_config);
    hl_learning_t *learning = hl_learning_new (s_config, 1);
    //  120 s of history reach 4 x 119 - 1.5 = 474.5 s
    hl_value_t *plan = s_plan (s_config, kpi, planner, learning, "5_minutes",
                               "baseline,growth:25");
    assert_int_equal (hl_value_get_int (plan, "horizon_s", 0), 300);
    const hl_value_t *scs = hl_value_get (plan, "scenarios");
    assert_int_equal (hl_value_size (scs), 2);
    double base = hl_value_get_double (hl_value_get (scs, "baseline"),
                                       "health_at_horizon", NAN);
    double grown = hl_value_get_double (hl_value_get (scs, "growth:25"),
                                        "health_at_horizon", NAN);
    assert_true (fabs (base - 50) < 1e-6);
    assert_true (grown < base);
    const hl_value_t *road = hl_value_get (plan, "roadmap");
    assert_int_equal (hl_value_size (road), 2);
    double last = 50;
    for (size_t i = 0; i < 2; i++) {
        const hl_value_t *step = hl_value_at (road, i);
        assert_int_equal (hl_value_get_int (step, "rank", 0), (int64_t)i + 1);
        double eh = hl_value_get_double (step, "expected_health", NAN);
        double gain = hl_value_get_double (step, "health_gain", NAN);
        assert_true (gain > 0);
        assert_true (fabs (eh - (last + gain)) < 1e-9);
        last = eh;
    }
    assert_true (last <= 100);
    hl_value_destroy (&plan);
    hl_learning_destroy (&learning);
    hl_planner_destroy (&planner);
    hl_kpi_destroy (&kpi);
}

/*  The report's page of the symptom's plan: short history and the
    reason there is no health, no absurd number, and each breach with
    what would help it. HL_FORECAST_SHOW=1 prints the page. */
static void
test_plan_page (void **state)
{
    (void)state;
    hl_config_t *config = s_load (s_demo_cfg);
    assert_non_null (config);
    //  The symptom's minute, with a hit rate that falls to critical
    //  within its reach
    hl_kpi_t *kpi = hl_kpi_new (config);
    s_line (kpi, "chat_response_time", 60, 900, -3.3);
    s_line (kpi, "redis_cache_hit", 60, 60, -0.1); /* 50 at +100 s */
    s_line (kpi, "user_retention_24h", 60, 40, 0.3);
    hl_planner_t *planner = hl_planner_new (config);
    hl_learning_t *learning = hl_learning_new (config, 1);
    hl_run_t *run = hl_run_new (9, "strategic_planning", NOW);
    run->plan = s_plan (config, kpi, planner, learning, "7_days",
                        "baseline,growth:20");
    hl_value_t *report = hl_report_new (run, "m", NULL);
    char *md = hl_report_markdown (report);
    if (getenv ("HL_FORECAST_SHOW"))
        printf ("%s", md);
    assert_non_null (strstr (md, "## Forecast to 604800 s from now"));
    assert_non_null (strstr (md, "### Scenario baseline: health - (from 0 of "
                                 "3 metrics; 3 short history, 0 no data)"));
    assert_non_null (strstr (md, "No health at the horizon: no metric has "
                                 "history for 604800 s"));
    assert_non_null (strstr (md, "| chat_response_time | -11880.00 | short "
                                 "history (59 s, reaches 234 s) | - | - | - "
                                 "|"));
    assert_non_null (strstr (md, "- baseline: redis_cache_hit critical in "
                                 "100 s: enable_response_cache ("));
    assert_null (strstr (md, "nan"));
    assert_non_null (strstr (md, "### Scenario growth:20: health - (from 0 "
                                 "of 3 metrics; 3 short history, 0 no data)"));
    free (md);
    hl_value_destroy (&report);
    hl_run_destroy (&run);

    //  Nothing to help, nothing breached: each said in words
    hl_planner_effect (planner, "enable_response_cache", true);
    run = hl_run_new (10, "strategic_planning", NOW);
    run->plan = s_plan (config, kpi, planner, learning, "7_days", "baseline");
    report = hl_report_new (run, "m", NULL);
    md = hl_report_markdown (report);
    assert_non_null (strstr (md, "redis_cache_hit critical in 100 s: every "
                                 "action that improves redis_cache_hit is "
                                 "ruled out; ruled out: enable_response_cache "
                                 "(in effect)"));
    free (md);
    hl_value_destroy (&report);
    hl_run_destroy (&run);
    hl_kpi_destroy (&kpi);
    kpi = hl_kpi_new (config);
    run = hl_run_new (11, "strategic_planning", NOW);
    run->plan = s_plan (config, kpi, planner, learning, "7_days", "baseline");
    report = hl_report_new (run, "m", NULL);
    md = hl_report_markdown (report);
    assert_non_null (strstr (md, "No health at the horizon: no metric has "
                                 "data."));
    assert_non_null (strstr (md, "No action is a candidate now."));
    assert_non_null (strstr (md, "None: no metric is forecast to reach"));
    free (md);
    hl_value_destroy (&report);
    hl_run_destroy (&run);
    hl_learning_destroy (&learning);
    hl_planner_destroy (&planner);
    hl_kpi_destroy (&kpi);
    hl_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_horizon),
        cmocka_unit_test (test_parse),
        cmocka_unit_test (test_metric),
        cmocka_unit_test (test_trend_with_noise),
        cmocka_unit_test (test_bounds),
        cmocka_unit_test (test_reach),
        cmocka_unit_test (test_short_history),
        cmocka_unit_test (test_breach_timing),
        cmocka_unit_test (test_scenario_uses_the_live_rule),
        cmocka_unit_test (test_breach_actions),
        cmocka_unit_test (test_roadmap),
        cmocka_unit_test (test_plan_page),
    };
    return cmocka_run_group_tests_name ("hl_forecast", tests, s_setup,
                                        s_teardown);
}
