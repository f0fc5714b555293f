/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_promtext - the Prometheus text of a hand-made status: base
    units, _total on counters only, one TYPE per family, escaped labels,
    a cumulative histogram ending in +Inf, and figures without a value
    left out rather than invented.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../master/hl_promtext.h"

static hl_config_t *
s_config (void)
{
    char path[] = "/tmp/test_hl_promtext-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    const char *text
        = "metrics = (\n"
          "  { name = \"lat\"; category = \"backend\"; better = \"lower\";\n"
          "    unit = \"ms\"; stat = \"p95\"; target = 200.0;\n"
          "    critical = 1000.0; },\n"
          "  { name = \"hit\"; category = \"backend\"; better = \"higher\";\n"
          "    unit = \"%\"; stat = \"mean\"; target = 90.0; critical = 50.0; "
          "},\n"
          "  { name = \"tput\"; category = \"business\"; better = \"higher\";\n"
          "    unit = \"msg/s\"; target = 1000.0; critical = 200.0; } );\n";
    assert_true (write (fd, text, strlen (text)) == (ssize_t)strlen (text));
    close (fd);
    char err[256];
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fail_msg ("%s", err);
    return config;
}

static hl_value_t *
s_status (void)
{
    hl_value_t *status = hl_value_new_map ();
    hl_value_set_str (status, "version", "1.2.3");
    hl_value_t *health = hl_value_new_map ();
    hl_value_set_double (health, "score", 72.5);
    hl_value_t *metrics = hl_value_new_map ();
    hl_value_t *lat = hl_value_new_map ();
    hl_value_set_double (lat, "value", 450);
    hl_value_set_double (lat, "score", 68.75);
    hl_value_set_int (lat, "count", 10);
    hl_value_set (metrics, "lat", &lat);
    hl_value_t *hit = hl_value_new_map ();
    hl_value_set_double (hit, "value", 80);
    hl_value_set (metrics, "hit", &hit);
    hl_value_set (health, "metrics", &metrics);
    hl_value_set (status, "health", &health);
    hl_value_t *tasks = hl_value_new_map ();
    hl_value_set_int (tasks, "completed", 7);
    hl_value_t *by = hl_value_new_map ();
    hl_value_set_int (by, "bad\"name\\", 2);
    hl_value_set (tasks, "rejected_by", &by);
    hl_value_set (status, "tasks", &tasks);
    hl_value_t *orch = hl_value_new_map ();
    hl_value_t *hist = hl_value_new_map ();
    hl_value_t *le = hl_value_new_array ();
    hl_value_t *counts = hl_value_new_array ();
    double bounds[] = { 0.001, 0.01 };
    int cum[] = { 1, 3, 4 };
    for (int i = 0; i < 3; i++) {
        hl_value_t *v;
        if (i < 2) {
            v = hl_value_new_double (bounds[i]);
            hl_value_append (le, &v);
        }
        v = hl_value_new_int (cum[i]);
        hl_value_append (counts, &v);
    }
    hl_value_set (hist, "le_s", &le);
    hl_value_set (hist, "counts", &counts);
    hl_value_set_int (hist, "count", 4);
    hl_value_set_double (hist, "sum_s", 0.5);
    hl_value_set (orch, "latency_histogram", &hist);
    hl_value_t *nil = hl_value_new_nil ();
    hl_value_set (orch, "emergency_response_ms", &nil);
    hl_value_set (status, "orchestration", &orch);
    hl_value_t *security = hl_value_new_map ();
    hl_value_set_bool (security, "curve", true);
    hl_value_set_int (security, "keys", 3);
    hl_value_set_int (security, "refused", 9);
    hl_value_set_int (security, "refused_keys", 1);
    hl_value_set (status, "security", &security);
    return status;
}

static void
test_text (void **state)
{
    (void)state;
    hl_config_t *config = s_config ();
    hl_value_t *status = s_status ();
    char *text = hl_promtext (config, status, NULL);
    const char *want[] = {
        "# TYPE helios_health_score gauge\nhelios_health_score 72.5\n",
        "helios_build_info{version=\"1.2.3\"} 1\n",
        "helios_kpi_seconds{metric=\"lat\",stat=\"p95\"} 0.45\n",
        "helios_kpi_target_seconds{metric=\"lat\",stat=\"p95\"} 0.2\n",
        "helios_kpi_critical_seconds{metric=\"lat\",stat=\"p95\"} 1\n",
        "helios_kpi_ratio{metric=\"hit\",stat=\"mean\"} 0.8\n",
        "helios_kpi_target{metric=\"tput\",stat=\"mean\",unit=\"msg/s\"} "
        "1000\n",
        "helios_metric_nodata{metric=\"tput\"} 1\n",
        "helios_metric_nodata{metric=\"lat\"} 0\n",
        "helios_metric_samples{metric=\"lat\"} 10\n",
        "# TYPE helios_tasks_completed_total counter\n"
        "helios_tasks_completed_total 7\n",
        "helios_tasks_socket_rejected_total{reason=\"bad\\\"name\\\\\"} 2\n",
        "# TYPE helios_dispatch_latency_seconds histogram\n",
        "helios_dispatch_latency_seconds_bucket{le=\"0.001\"} 1\n"
        "helios_dispatch_latency_seconds_bucket{le=\"0.01\"} 3\n"
        "helios_dispatch_latency_seconds_bucket{le=\"+Inf\"} 4\n"
        "helios_dispatch_latency_seconds_sum 0.5\n"
        "helios_dispatch_latency_seconds_count 4\n",
        "# TYPE helios_curve_refused_keys_total counter\n"
        "helios_curve_refused_keys_total 1\n",
        "helios_curve_refused_total 9\n",
        "helios_curve_allowed_keys 3\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr (text, want[i]))
            fail_msg ("missing:\n%s\nin:\n%s", want[i], text);
    /*  Not measured: not there. No value for tput: no sample. */
    assert_null (strstr (text, "helios_emergency_response_seconds"));
    assert_null (strstr (text, "helios_kpi{metric=\"tput\""));
    assert_null (strstr (text, "helios_metric_score{metric=\"hit\""));
    /*  Each family's TYPE once; _total only on counters. */
    for (char *line = strstr (text, "# TYPE "); line;
         line = strstr (line + 1, "# TYPE ")) {
        char name[128], type[32], again[160];
        assert_int_equal (sscanf (line, "# TYPE %127s %31s", name, type), 2);
        snprintf (again, sizeof again, "# TYPE %s ", name);
        assert_ptr_equal (strstr (text, again), line);
        size_t n = strlen (name);
        bool total = n > 6 && !strcmp (name + n - 6, "_total");
        assert_int_equal (total, !strcmp (type, "counter"));
        assert_int_equal (strncmp (name, "helios_", 7), 0);
    }
    free (text);
    hl_value_destroy (&status);
    hl_config_destroy (&config);
}

static void
test_units (void **state)
{
    (void)state;
    const char *suffix;
    assert_true (hl_promtext_unit ("ms", &suffix) == 1e-3);
    assert_string_equal (suffix, "seconds");
    assert_true (hl_promtext_unit ("min", &suffix) == 60);
    assert_true (hl_promtext_unit ("%", &suffix) == 0.01);
    assert_string_equal (suffix, "ratio");
    assert_true (hl_promtext_unit ("msg/s", &suffix) == 1);
    assert_string_equal (suffix, "");
    assert_true (hl_promtext_unit (NULL, &suffix) == 1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_text),
        cmocka_unit_test (test_units),
    };
    return cmocka_run_group_tests_name ("hl_promtext", tests, NULL, NULL);
}
