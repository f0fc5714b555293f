/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_forecast - strategic planning as pure functions over a real
    tracker fed with exact lines: horizon and scenario parsing, a metric's
    trend, value, score and breach at the horizon, growth, nodata, the
    scenario health through the live rule (key cap included), and a
    roadmap whose expected health rises with each step.
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

#include "../../master/hl_forecast.h"
#include "../../master/hl_health.h"

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

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/forecast.cfg", s_dir);
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

/*  One sample per second over the last n seconds of name: a + b * t,
    t in seconds before NOW's second (negative). */
static void
s_line (hl_kpi_t *kpi, const char *name, int n, double at_now, double per_s)
{
    int64_t now_s = NOW / SEC;
    for (int i = n; i >= 1; i--) {
        int64_t t = now_s - i;
        assert_int_equal (hl_kpi_add (kpi, name, at_now - per_s * (double)i,
                                      t * SEC + 100000, NOW),
                          0);
    }
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

static void
test_metric (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    //  lat climbs 0.01 ms/s from 200: 300 at +10,000 s (its critical 500
    //  at +30,000 s)
    s_line (kpi, "lat", 600, 200, 0.01);
    const hl_config_metric_t *lat = hl_config_metric_find (s_config, "lat");
    hl_forecast_metric_t f = hl_forecast_metric (lat, kpi, NOW, 10000, 0);
    assert_true (f.ok);
    assert_int_equal (f.points, 600);
    assert_true (fabs (f.slope - 0.01) < 1e-9);
    assert_true (fabs (f.at_horizon - 300) < 0.02);
    assert_true (fabs (f.score - 50) < 0.01);
    assert_true (isnan (f.breach_in_s)); /* not within 10,000 s */
    f = hl_forecast_metric (lat, kpi, NOW, 40000, 0);
    assert_true (fabs (f.breach_in_s - 30000) < 2);
    assert_true (f.score == 0);
    //  10% more load: every level 10% higher, the trend as measured
    f = hl_forecast_metric (lat, kpi, NOW, 10000, 0.10);
    assert_true (fabs (f.at_horizon - 330) < 0.02);
    assert_true (fabs (f.slope - 0.01) < 1e-9);
    //  a silent metric has no forecast
    const hl_config_metric_t *hit = hl_config_metric_find (s_config, "hit");
    f = hl_forecast_metric (hit, kpi, NOW, 10000, 0);
    assert_false (f.ok);
    assert_int_equal (f.points, 0);
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
    s_line (kpi, "ret", 300, 80, 0);  /* flat, past target: 100 */
    hl_planner_t *planner = hl_planner_new (s_config);
    hl_learning_t *learning = hl_learning_new (s_config, 1);
    hl_forecast_spec_t spec;
    char err[160];
    assert_int_equal (hl_forecast_parse (NULL, &spec, err, sizeof err), 0);
    hl_value_t *plan
        = hl_forecast_plan (&spec, s_config, kpi, planner, learning, NOW);
    const hl_value_t *base
        = hl_value_get (hl_value_get (plan, "scenarios"), "baseline");
    assert_non_null (base);
    assert_true (fabs (hl_value_get_double (base, "health_at_horizon", -1) - 49)
                 < 1e-9);
    //  The live score agrees
    hl_health_t *health = hl_health_compute (s_config, kpi, NOW);
    assert_true (fabs (hl_health_score (health) - 49) < 1e-9);
    hl_health_destroy (&health);
    //  hit is reported as nodata, never scored
    const hl_value_t *ms = hl_value_get (base, "metrics");
    assert_int_equal (hl_value_size (ms), 3);
    assert_string_equal (hl_value_get_str (hl_value_at (ms, 2), "forecast", ""),
                         "nodata");
    hl_value_destroy (&plan);
    hl_learning_destroy (&learning);
    hl_planner_destroy (&planner);
    hl_kpi_destroy (&kpi);
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
    hl_forecast_spec_t spec;
    char err[160];
    hl_value_t *p = hl_value_new_map ();
    hl_value_set_str (p, "horizon", "1_hours");
    hl_value_set_str (p, "scenarios", "baseline,growth:25");
    assert_int_equal (hl_forecast_parse (p, &spec, err, sizeof err), 0);
    hl_value_destroy (&p);
    hl_value_t *plan
        = hl_forecast_plan (&spec, s_config, kpi, planner, learning, NOW);
    assert_int_equal (hl_value_get_int (plan, "horizon_s", 0), 3600);
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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_horizon),
        cmocka_unit_test (test_parse),
        cmocka_unit_test (test_metric),
        cmocka_unit_test (test_scenario_uses_the_live_rule),
        cmocka_unit_test (test_roadmap),
    };
    return cmocka_run_group_tests_name ("hl_forecast", tests, s_setup,
                                        s_teardown);
}
