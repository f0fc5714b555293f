/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_brief - the args each task of a cycle gets, from a real
    tracker: which metrics an analyze brief holds (swarm and focus), its
    [ts, value] series, a verify brief's baseline on the statistic verify
    compares (means for "last"), and the action args.
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

#include "../../master/hl_brief.h"

#define SEC 1000000LL
#define NOW (1700000100LL * SEC + 500000)

static char s_dir[] = "/tmp/hl_brief_test.XXXXXX";
static hl_config_t *s_config;

static const char s_cfg[]
    = "metrics = (\n"
      "  { name = \"ui\"; category = \"frontend\"; better = \"lower\";\n"
      "    stat = \"max\"; unit = \"ms\"; target = 100.0; critical = 500.0; "
      "},\n"
      "  { name = \"api\"; category = \"backend\"; better = \"lower\";\n"
      "    stat = \"last\"; target = 200.0; critical = 1000.0; },\n"
      "  { name = \"ret\"; category = \"business\"; better = \"higher\";\n"
      "    stat = \"mean\"; target = 50.0; critical = 10.0; }\n"
      ");\n"
      "actions = (\n"
      "  { name = \"cache\"; swarm = \"backend\";\n"
      "    improves = [\"api\", \"ret\"]; } );\n";

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/brief.cfg", s_dir);
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

/*  Two samples in each of the n seconds before NOW's: lo and hi. */
static void
s_fill (hl_kpi_t *kpi, const char *name, int n, double lo, double hi)
{
    int64_t now_s = NOW / SEC;
    for (int i = n; i >= 1; i--) {
        assert_int_equal (
            hl_kpi_add (kpi, name, lo, (now_s - i) * SEC + 100000, NOW), 0);
        assert_int_equal (
            hl_kpi_add (kpi, name, hi, (now_s - i) * SEC + 200000, NOW), 0);
    }
}

static const char *
s_name (const hl_value_t *metrics, size_t i)
{
    return hl_value_get_str (hl_value_at (metrics, i), "name", "?");
}

static void
test_analyze (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    s_fill (kpi, "ui", 5, 10, 30);
    s_fill (kpi, "api", 700, 100, 300); /* longer than the brief's span */
    hl_value_t *args
        = hl_brief_analyze (s_config, kpi, HL_SWARM_FRONTEND, NULL, NOW);
    const hl_value_t *ms = hl_value_get (args, "metrics");
    assert_int_equal (hl_value_size (ms), 1);
    assert_string_equal (s_name (ms, 0), "ui");
    const hl_value_t *ui = hl_value_at (ms, 0);
    assert_string_equal (hl_value_get_str (ui, "unit", ""), "ms");
    assert_string_equal (hl_value_get_str (ui, "better", ""), "lower");
    const hl_value_t *series = hl_value_get (ui, "series");
    assert_int_equal (hl_value_size (series), 5);
    const hl_value_t *first = hl_value_at (series, 0);
    //  [ts of the second, its max]
    int64_t ts;
    assert_int_equal (hl_value_int (hl_value_at (first, 0), &ts), 0);
    assert_int_equal (ts, (NOW / SEC - 5) * SEC);
    double v;
    assert_int_equal (hl_value_double (hl_value_at (first, 1), &v), 0);
    assert_true (v == 30);
    hl_value_destroy (&args);

    //  The backend swarm looks after backend and business metrics
    args = hl_brief_analyze (s_config, kpi, HL_SWARM_BACKEND, NULL, NOW);
    ms = hl_value_get (args, "metrics");
    assert_int_equal (hl_value_size (ms), 2);
    assert_string_equal (s_name (ms, 0), "api");
    assert_string_equal (s_name (ms, 1), "ret");
    assert_int_equal (
        hl_value_size (hl_value_get (hl_value_at (ms, 0), "series")),
        HL_BRIEF_SERIES_S);
    hl_value_destroy (&args);

    //  A focus narrows it; a swarm with nothing in focus gets no brief
    bool focus[HL_CATEGORY_COUNT] = { false };
    focus[HL_CATEGORY_BUSINESS] = true;
    args = hl_brief_analyze (s_config, kpi, HL_SWARM_BACKEND, focus, NOW);
    ms = hl_value_get (args, "metrics");
    assert_int_equal (hl_value_size (ms), 1);
    assert_string_equal (s_name (ms, 0), "ret");
    hl_value_destroy (&args);
    assert_null (
        hl_brief_analyze (s_config, kpi, HL_SWARM_FRONTEND, focus, NOW));
    hl_kpi_destroy (&kpi);
}

static void
test_verify (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    s_fill (kpi, "api", 10, 100, 300);
    const hl_config_action_t *cache = hl_config_action (s_config, 0);
    hl_value_t *metrics
        = hl_brief_metrics (s_config, kpi, cache, NOW - 4 * SEC, NOW);
    assert_int_equal (hl_value_size (metrics), 2);
    const hl_value_t *api = hl_value_at (metrics, 0);
    //  scored on "last", compared on means
    assert_string_equal (hl_value_get_str (api, "stat", ""), "mean");
    const hl_value_t *base = hl_value_get (api, "baseline");
    assert_int_equal (hl_value_size (base), 4);
    double v;
    assert_int_equal (hl_value_double (hl_value_at (base, 0), &v), 0);
    assert_true (v == 200);
    //  a silent metric has an empty baseline, never a made-up one
    assert_int_equal (
        hl_value_size (hl_value_get (hl_value_at (metrics, 1), "baseline")), 0);

    hl_value_t *args = hl_brief_verify (cache, 30, 60, 4, metrics);
    assert_string_equal (hl_value_get_str (args, "action", ""), "cache");
    assert_int_equal (hl_value_get_int (args, "settle_s", 0), 30);
    assert_int_equal (hl_value_get_int (args, "window_s", 0), 60);
    assert_int_equal (hl_value_get_int (args, "min_n", 0), 4);
    assert_true (hl_value_eq (hl_value_get (args, "metrics"), metrics));
    hl_value_destroy (&args);
    args = hl_brief_verify (cache, 30, 60, 0, metrics);
    assert_null (hl_value_get (args, "min_n"));
    hl_value_destroy (&args);
    hl_value_destroy (&metrics);

    args = hl_brief_action (cache);
    assert_string_equal (hl_value_get_str (args, "action", ""), "cache");
    assert_int_equal (hl_value_type (hl_value_get (args, "params")),
                      HL_VALUE_MAP);
    hl_value_destroy (&args);
    hl_kpi_destroy (&kpi);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_analyze),
        cmocka_unit_test (test_verify),
    };
    return cmocka_run_group_tests_name ("hl_brief", tests, s_setup, s_teardown);
}
