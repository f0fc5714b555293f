/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_health - health scoring on a hand-made config loaded from a
    mkdtemp() folder: exact linear scores in both directions, weighted
    category and overall scores, nodata, the key metric cap, bottleneck
    severities and ordering, the window's edges and the value tree.
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

#include "../../master/hl_health.h"

#define SEC 1000000LL
#define NOW (1700000100LL * SEC + 500000) //  mid-second

static char s_dir[] = "/tmp/hl_health_test.XXXXXX";
static hl_config_t *s_config;

//  Stats are exact ones (max, mean, last, min) or p50 over equal values,
//  which the sketch clamps to the exact min = max
static const char s_cfg[]
    = "emergency = { threshold = 50; };\n"
      "health = { target = 85; window = 60; };\n"
      "metrics = (\n"
      "  { name = \"lat\"; category = \"frontend\"; better = \"lower\";\n"
      "    stat = \"max\"; target = 100.0; critical = 500.0; weight = 2.0;\n"
      "    key = true; },\n"
      "  { name = \"fps\"; category = \"frontend\"; better = \"higher\";\n"
      "    stat = \"mean\"; target = 60.0; critical = 20.0; weight = 1.0; },\n"
      "  { name = \"api\"; category = \"backend\"; better = \"lower\";\n"
      "    stat = \"last\"; target = 200.0; critical = 1000.0;\n"
      "    weight = 3.0; },\n"
      "  { name = \"hit\"; category = \"backend\"; better = \"higher\";\n"
      "    stat = \"min\"; target = 90.0; critical = 50.0; weight = 1.0; },\n"
      "  { name = \"roi\"; category = \"business\"; better = \"higher\";\n"
      "    stat = \"last\"; target = 2.0; critical = 0.5; weight = 0.5; },\n"
      "  { name = \"ret\"; category = \"business\"; better = \"higher\";\n"
      "    stat = \"p50\"; target = 50.0; critical = 20.0; weight = 1.5; },\n"
      "  { name = \"err\"; category = \"business\"; better = \"lower\";\n"
      "    stat = \"mean\"; target = 0.0; critical = 10.0; weight = 1.0; }\n"
      ");\n";

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/health.cfg", s_dir);
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

static void
s_near (double got, double want)
{
    if (!(fabs (got - want) <= 1e-9 * (fabs (want) + 1)))
        fail_msg ("got %.12g, want %.12g", got, want);
}

//  A tracker holding one sample per metric at NOW; NAN leaves it empty
static hl_kpi_t *
s_kpi (double lat, double fps, double api, double hit, double roi)
{
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    const char *names[] = { "lat", "fps", "api", "hit", "roi" };
    double values[] = { lat, fps, api, hit, roi };
    for (size_t i = 0; i < 5; i++)
        if (!isnan (values[i]))
            assert_int_equal (hl_kpi_add (kpi, names[i], values[i], NOW, NOW),
                              0);
    return kpi;
}

static void
test_score_value (void **state)
{
    (void)state;
    const hl_config_metric_t *lat = hl_config_metric_find (s_config, "lat");
    const hl_config_metric_t *fps = hl_config_metric_find (s_config, "fps");
    //  Lower is better: 100 at or under target, 0 at or over critical
    s_near (hl_health_score_value (lat, 50), 100);
    s_near (hl_health_score_value (lat, 100), 100);
    s_near (hl_health_score_value (lat, 200), 75);
    s_near (hl_health_score_value (lat, 300), 50);
    s_near (hl_health_score_value (lat, 499), 0.25);
    s_near (hl_health_score_value (lat, 500), 0);
    s_near (hl_health_score_value (lat, 1e9), 0);
    //  Higher is better
    s_near (hl_health_score_value (fps, 70), 100);
    s_near (hl_health_score_value (fps, 60), 100);
    s_near (hl_health_score_value (fps, 40), 50);
    s_near (hl_health_score_value (fps, 30), 25);
    s_near (hl_health_score_value (fps, 20), 0);
    s_near (hl_health_score_value (fps, -5), 0);
    assert_true (isnan (hl_health_score_value (fps, NAN)));

    assert_int_equal (hl_health_severity (100), HL_SEVERITY_NONE);
    assert_int_equal (hl_health_severity (99.9), HL_SEVERITY_LOW);
    assert_int_equal (hl_health_severity (75), HL_SEVERITY_LOW);
    assert_int_equal (hl_health_severity (74.9), HL_SEVERITY_MEDIUM);
    assert_int_equal (hl_health_severity (50), HL_SEVERITY_MEDIUM);
    assert_int_equal (hl_health_severity (49.9), HL_SEVERITY_HIGH);
    assert_int_equal (hl_health_severity (25), HL_SEVERITY_HIGH);
    assert_int_equal (hl_health_severity (24.9), HL_SEVERITY_CRITICAL);
    assert_int_equal (hl_health_severity (0), HL_SEVERITY_CRITICAL);
    assert_int_equal (hl_health_severity (NAN), HL_SEVERITY_NONE);
}

//  Every metric with data at its target; ret and err have none
static void
test_at_target (void **state)
{
    (void)state;
    hl_kpi_t *kpi = s_kpi (100, 60, 200, 90, 2);
    hl_health_t *health = hl_health_compute (s_config, kpi, NOW);
    s_near (hl_health_score (health), 100);
    assert_int_equal (hl_health_state (health), HL_OVERALL_OK);
    assert_false (hl_health_capped (health));
    s_near (hl_health_category (health, HL_CATEGORY_FRONTEND), 100);
    s_near (hl_health_category (health, HL_CATEGORY_BACKEND), 100);
    s_near (hl_health_category (health, HL_CATEGORY_BUSINESS), 100);
    assert_true (isnan (hl_health_category (health, (hl_category_t)7)));
    assert_int_equal (hl_health_bottlenecks_size (health), 0);
    assert_null (hl_health_bottleneck (health, 0));
    assert_int_equal (hl_health_metrics_size (health), 7);
    for (size_t i = 0; i < 5; i++) {
        const hl_health_metric_t *m = hl_health_metric (health, i);
        assert_int_equal (m->state, HL_HEALTH_OK);
        assert_int_equal (m->severity, HL_SEVERITY_NONE);
        assert_int_equal (m->count, 1);
        s_near (m->gap, 0);
    }
    assert_null (hl_health_metric (health, 7));
    assert_int_equal (hl_health_nodata_size (health), 2);
    assert_string_equal (hl_health_nodata (health, 0)->config->name, "ret");
    assert_string_equal (hl_health_nodata (health, 1)->config->name, "err");
    assert_null (hl_health_nodata (health, 2));
    const hl_health_metric_t *ret = hl_health_metric_find (health, "ret");
    assert_int_equal (ret->state, HL_HEALTH_NODATA);
    assert_true (isnan (ret->score) && isnan (ret->value));
    assert_null (hl_health_metric_find (health, "nope"));
    hl_health_destroy (&health);
    assert_null (health);
    hl_health_destroy (&health);
    hl_kpi_destroy (&kpi);
}

//  Scores of 50 everywhere but fps and hit: exact weighted means
static void
test_weighted (void **state)
{
    (void)state;
    hl_kpi_t *kpi = s_kpi (300, 60, 600, 90, 1.25);
    hl_health_t *health = hl_health_compute (s_config, kpi, NOW);
    //  frontend (2*50 + 1*100) / 3, backend (3*50 + 1*100) / 4,
    //  business 50, overall 475 / 7.5
    s_near (hl_health_category (health, HL_CATEGORY_FRONTEND), 200.0 / 3);
    s_near (hl_health_category (health, HL_CATEGORY_BACKEND), 62.5);
    s_near (hl_health_category (health, HL_CATEGORY_BUSINESS), 50);
    s_near (hl_health_score (health), 475 / 7.5);
    assert_int_equal (hl_health_state (health), HL_OVERALL_DEGRADED);
    assert_false (hl_health_capped (health));

    //  Equal scores: ordered by impact = weight x relative gap
    assert_int_equal (hl_health_bottlenecks_size (health), 3);
    const hl_health_metric_t *b0 = hl_health_bottleneck (health, 0);
    const hl_health_metric_t *b1 = hl_health_bottleneck (health, 1);
    const hl_health_metric_t *b2 = hl_health_bottleneck (health, 2);
    assert_string_equal (b0->config->name, "api");
    s_near (b0->gap, 2);
    s_near (b0->impact, 6);
    assert_string_equal (b1->config->name, "lat");
    s_near (b1->gap, 2);
    s_near (b1->impact, 4);
    assert_string_equal (b2->config->name, "roi");
    s_near (b2->gap, 0.375);
    s_near (b2->impact, 0.1875);
    for (size_t i = 0; i < 3; i++) {
        const hl_health_metric_t *b = hl_health_bottleneck (health, i);
        assert_int_equal (b->severity, HL_SEVERITY_MEDIUM);
        assert_int_equal (b->state, HL_HEALTH_DEGRADED);
        s_near (b->score, 50);
    }
    hl_health_destroy (&health);

    //  A zero target measures the gap against the target-critical span
    assert_int_equal (hl_kpi_add (kpi, "err", 5, NOW, NOW), 0);
    health = hl_health_compute (s_config, kpi, NOW);
    const hl_health_metric_t *err = hl_health_metric_find (health, "err");
    s_near (err->score, 50);
    s_near (err->gap, 0.5);
    s_near (err->impact, 0.5);
    s_near (hl_health_category (health, HL_CATEGORY_BUSINESS), 50);
    s_near (hl_health_score (health), 525 / 8.5);
    hl_health_destroy (&health);
    hl_kpi_destroy (&kpi);
}

static void
test_key_cap (void **state)
{
    (void)state;
    //  Key metric lat beyond critical, the rest perfect: 550 / 7.5 = 73.3
    //  would pass, the cap puts it one below the threshold
    hl_kpi_t *kpi = s_kpi (600, 60, 200, 90, 2);
    hl_health_t *health = hl_health_compute (s_config, kpi, NOW);
    s_near (hl_health_score (health), 49);
    assert_true (hl_health_capped (health));
    assert_int_equal (hl_health_state (health), HL_OVERALL_EMERGENCY);
    const hl_health_metric_t *lat = hl_health_metric_find (health, "lat");
    assert_int_equal (lat->state, HL_HEALTH_CRITICAL);
    assert_int_equal (lat->severity, HL_SEVERITY_CRITICAL);
    s_near (lat->score, 0);
    s_near (hl_health_category (health, HL_CATEGORY_FRONTEND), 100.0 / 3);
    hl_health_destroy (&health);
    hl_kpi_destroy (&kpi);

    //  Exactly at critical is 0 too
    kpi = s_kpi (500, 60, 200, 90, 2);
    health = hl_health_compute (s_config, kpi, NOW);
    assert_true (hl_health_capped (health));
    hl_health_destroy (&health);
    hl_kpi_destroy (&kpi);

    //  A non-key metric at 0 does not cap: (200 + 100 + 100 + 50) / 7.5
    kpi = s_kpi (100, 60, 1000, 90, 2);
    health = hl_health_compute (s_config, kpi, NOW);
    s_near (hl_health_score (health), 60);
    assert_false (hl_health_capped (health));
    assert_int_equal (hl_health_state (health), HL_OVERALL_DEGRADED);
    hl_health_destroy (&health);
    hl_kpi_destroy (&kpi);

    //  Already under the cap: left as it is, 50 / 7.5
    kpi = s_kpi (500, 20, 1000, 50, 2);
    health = hl_health_compute (s_config, kpi, NOW);
    s_near (hl_health_score (health), 50 / 7.5);
    assert_false (hl_health_capped (health));
    assert_int_equal (hl_health_state (health), HL_OVERALL_EMERGENCY);
    hl_health_destroy (&health);
    hl_kpi_destroy (&kpi);
}

static void
test_severities_ordering (void **state)
{
    (void)state;
    //  Scores: lat 5, fps 25, api 62.5, hit 87.5, roi 100
    hl_kpi_t *kpi = s_kpi (480, 30, 500, 85, 2);
    hl_health_t *health = hl_health_compute (s_config, kpi, NOW);
    const char *order[] = { "lat", "fps", "api", "hit" };
    const hl_severity_t severity[] = { HL_SEVERITY_CRITICAL, HL_SEVERITY_HIGH,
                                       HL_SEVERITY_MEDIUM, HL_SEVERITY_LOW };
    const double score[] = { 5, 25, 62.5, 87.5 };
    assert_int_equal (hl_health_bottlenecks_size (health), 4);
    for (size_t i = 0; i < 4; i++) {
        const hl_health_metric_t *b = hl_health_bottleneck (health, i);
        assert_string_equal (b->config->name, order[i]);
        assert_int_equal (b->severity, severity[i]);
        s_near (b->score, score[i]);
    }
    //  lat at 5 is degraded, not critical: it has not reached critical
    assert_int_equal (hl_health_bottleneck (health, 0)->state,
                      HL_HEALTH_DEGRADED);
    assert_int_equal (hl_health_metric_find (health, "roi")->severity,
                      HL_SEVERITY_NONE);
    hl_health_destroy (&health);
    hl_kpi_destroy (&kpi);
}

//  No data at all, and data only outside the window
static void
test_nodata (void **state)
{
    (void)state;
    hl_kpi_t *kpi = s_kpi (NAN, NAN, NAN, NAN, NAN);
    hl_health_t *health = hl_health_compute (s_config, kpi, NOW);
    assert_true (isnan (hl_health_score (health)));
    assert_int_equal (hl_health_state (health), HL_OVERALL_NODATA);
    assert_int_equal (hl_health_nodata_size (health), 7);
    assert_int_equal (hl_health_bottlenecks_size (health), 0);
    assert_true (isnan (hl_health_category (health, HL_CATEGORY_BACKEND)));
    hl_value_t *value = hl_health_to_value (health);
    assert_int_equal (hl_value_type (hl_value_get (value, "score")),
                      HL_VALUE_NIL);
    assert_string_equal (hl_value_get_str (value, "state", ""), "nodata");
    assert_int_equal (hl_value_size (hl_value_get (value, "nodata")), 7);
    hl_value_destroy (&value);
    hl_health_destroy (&health);

    //  The window is the 60 whole seconds ending with the current one:
    //  NOW is x.5 s, so it starts at NOW - 59.5 s
    int64_t start = NOW - 59 * SEC - SEC / 2;
    assert_int_equal (hl_kpi_add (kpi, "api", 300, start - 1, NOW), 0);
    health = hl_health_compute (s_config, kpi, NOW);
    assert_int_equal (hl_health_metric_find (health, "api")->state,
                      HL_HEALTH_NODATA);
    hl_health_destroy (&health);
    assert_int_equal (hl_kpi_add (kpi, "api", 600, start, NOW), 0);
    health = hl_health_compute (s_config, kpi, NOW);
    const hl_health_metric_t *api = hl_health_metric_find (health, "api");
    assert_int_equal (api->state, HL_HEALTH_DEGRADED);
    s_near (api->value, 600);
    s_near (hl_health_score (health), 50);
    assert_int_equal (hl_health_nodata_size (health), 6);
    hl_health_destroy (&health);
    hl_kpi_destroy (&kpi);
}

static void
test_to_value (void **state)
{
    (void)state;
    hl_kpi_t *kpi = s_kpi (300, 60, 600, 90, 1.25);
    hl_health_t *health = hl_health_compute (s_config, kpi, NOW);
    hl_value_t *root = hl_health_to_value (health);
    s_near (hl_value_get_double (root, "score", -1), 475 / 7.5);
    assert_string_equal (hl_value_get_str (root, "state", ""), "degraded");
    assert_int_equal (hl_value_get_int (root, "window", -1), 60);

    const hl_value_t *cats = hl_value_get (root, "categories");
    s_near (hl_value_get_double (cats, "frontend", -1), 200.0 / 3);
    s_near (hl_value_get_double (cats, "backend", -1), 62.5);
    s_near (hl_value_get_double (cats, "business", -1), 50);

    const hl_value_t *metrics = hl_value_get (root, "metrics");
    assert_int_equal (hl_value_size (metrics), 7);
    const hl_value_t *lat = hl_value_get (metrics, "lat");
    s_near (hl_value_get_double (lat, "value", -1), 300);
    assert_string_equal (hl_value_get_str (lat, "stat", ""), "max");
    s_near (hl_value_get_double (lat, "score", -1), 50);
    assert_string_equal (hl_value_get_str (lat, "state", ""), "degraded");
    const hl_value_t *ret = hl_value_get (metrics, "ret");
    assert_int_equal (hl_value_type (hl_value_get (ret, "value")),
                      HL_VALUE_NIL);
    assert_string_equal (hl_value_get_str (ret, "state", ""), "nodata");

    const hl_value_t *nodata = hl_value_get (root, "nodata");
    assert_int_equal (hl_value_size (nodata), 2);
    assert_string_equal (hl_value_str (hl_value_at (nodata, 0), NULL), "ret");

    const hl_value_t *bottlenecks = hl_value_get (root, "bottlenecks");
    assert_int_equal (hl_value_size (bottlenecks), 3);
    const hl_value_t *first = hl_value_at (bottlenecks, 0);
    assert_string_equal (hl_value_get_str (first, "metric", ""), "api");
    assert_string_equal (hl_value_get_str (first, "category", ""), "backend");
    assert_string_equal (hl_value_get_str (first, "severity", ""), "medium");
    s_near (hl_value_get_double (first, "gap", -1), 2);
    s_near (hl_value_get_double (first, "impact", -1), 6);
    s_near (hl_value_get_double (first, "target", -1), 200);

    //  Renders to JSON with null for missing numbers
    json_t *json = hl_value_to_json (root);
    assert_non_null (json);
    assert_true (json_is_null (json_object_get (
        json_object_get (json_object_get (json, "metrics"), "ret"), "score")));
    json_decref (json);
    hl_value_destroy (&root);
    hl_health_destroy (&health);
    hl_kpi_destroy (&kpi);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_score_value),
        cmocka_unit_test (test_at_target),
        cmocka_unit_test (test_weighted),
        cmocka_unit_test (test_key_cap),
        cmocka_unit_test (test_severities_ordering),
        cmocka_unit_test (test_nodata),
        cmocka_unit_test (test_to_value),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
