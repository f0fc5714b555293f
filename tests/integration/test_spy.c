/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_spy - the real helios-master, helios-ctl and helios-spy: a metric
    pushed with the ctl shows up in the spy as JSON, and a recording
    replayed onto the bus shows the same messages in the same order.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

/*  The metrics the cases push: helios-ctl refuses names the config does
    not declare. */
static const char *s_metrics
    = "metrics = (\n"
      "  { name = \"api_response_time\"; category = \"backend\";\n"
      "    better = \"lower\"; target = 200.0; critical = 1000.0; },\n"
      "  { name = \"rr_probe\"; category = \"backend\"; better = \"lower\";\n"
      "    target = 10.0; critical = 100.0; },\n"
      "  { name = \"rr_sample\"; category = \"backend\";\n"
      "    better = \"lower\"; target = 10.0; critical = 100.0; },\n"
      "  { name = \"watch_probe\"; category = \"backend\";\n"
      "    better = \"lower\"; target = 10.0; critical = 100.0; } );\n";

/*  Push metric name=value with helios-ctl until the spy prints a line or
    the deadline passes; the spy's subscription travels asynchronously,
    so the first pushes may precede it. Returns the line's JSON. */
static json_t *
s_push_until_seen (ht_master_t *m, ht_proc_t *spy, const char *name,
                   const char *value)
{
    char out[1024], line[8192];
    for (int attempt = 0; attempt < 50; attempt++) {
        assert_int_equal (
            ht_ctl (m, out, sizeof out, "metric", "push", name, value, NULL),
            0);
        if (ht_read_line (spy, line, sizeof line, 200)) {
            json_error_t jerr;
            json_t *json = json_loads (line, 0, &jerr);
            if (!json)
                fail_msg ("spy printed non-JSON: %s", line);
            return json;
        }
    }
    fail_msg ("spy never printed the pushed metric");
    return NULL;
}

static void
test_spy_prints_pushed_metric (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    const char *argv[]
        = { ht_bin ("helios-spy"), "-e", m.bus_out, "--count", "1",
            "--timeout",           "20", NULL };
    ht_proc_t *spy = ht_start (argv);
    json_t *json = s_push_until_seen (&m, spy, "api_response_time", "123");
    assert_string_equal (json_string_value (json_object_get (json, "topic")),
                         "metric.api_response_time");
    assert_string_equal (json_string_value (json_object_get (json, "type")),
                         "metric");
    json_t *body = json_object_get (json, "body");
    assert_string_equal (json_string_value (json_object_get (body, "name")),
                         "api_response_time");
    assert_true (json_number_value (json_object_get (body, "value")) == 123.0);
    assert_non_null (json_object_get (json, "src"));
    assert_true (json_integer_value (json_object_get (json, "ts")) > 0);
    json_decref (json);
    /*  --count 1 ends the spy by itself, with success */
    assert_int_equal (ht_wait (spy, 5000), 0);
    ht_stop (&spy, 1000);
    assert_int_equal (ht_master_stop (&m), 0);
}

#define S_RECORDED 6

static void
test_record_replay_same_order (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char record[400], line[8192], out[1024];
    snprintf (record, sizeof record, "%s/bus.rec", m.dir);

    /*  1. Record: the first seen probe, then S_RECORDED - 1 samples. */
    const char *rec_argv[] = { ht_bin ("helios-spy"),
                               "-e",
                               m.bus_out,
                               "--topic",
                               "metric.rr_",
                               "--record",
                               record,
                               "--count",
                               "6",
                               "--timeout",
                               "30",
                               NULL };
    ht_proc_t *recorder = ht_start (rec_argv);
    char *expected[S_RECORDED];
    json_t *first = s_push_until_seen (&m, recorder, "rr_probe", "0");
    expected[0] = json_dumps (first, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (first);
    /*  Probes still in flight are also recorded; count them in. */
    int seen = 1;
    while (seen < S_RECORDED
           && ht_read_line (recorder, line, sizeof line, 200)) {
        json_t *j = json_loads (line, 0, NULL);
        assert_non_null (j);
        expected[seen++] = json_dumps (j, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref (j);
    }
    for (int i = seen; i < S_RECORDED; i++) {
        char value[32];
        snprintf (value, sizeof value, "%d", i * 10);
        assert_int_equal (ht_ctl (&m, out, sizeof out, "metric", "push",
                                  "rr_sample", value, NULL),
                          0);
        assert_true (ht_read_line (recorder, line, sizeof line, 5000));
        json_t *j = json_loads (line, 0, NULL);
        assert_non_null (j);
        expected[i] = json_dumps (j, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref (j);
    }
    assert_int_equal (ht_wait (recorder, 5000), 0);
    ht_stop (&recorder, 1000);

    /*  2. Watch: a second spy, ready once it sees a probe of its own. */
    const char *watch_argv[]
        = { ht_bin ("helios-spy"), "-e", m.bus_out, "--topic", "metric.",
            "--timeout",           "30", NULL };
    ht_proc_t *watcher = ht_start (watch_argv);
    json_decref (s_push_until_seen (&m, watcher, "watch_probe", "1"));

    /*  3. Replay the recording onto bus-in, ten times faster. */
    const char *replay_argv[] = { ht_bin ("helios-spy"),
                                  "-e",
                                  m.bus_in,
                                  "--replay",
                                  record,
                                  "--speed",
                                  "10",
                                  NULL };
    assert_int_equal (ht_run (replay_argv, 20000, out, sizeof out), 0);

    /*  4. The watcher shows the recorded messages, same order, same
        bytes (ids, sources and timestamps included). */
    int got = 0;
    while (got < S_RECORDED
           && ht_read_line (watcher, line, sizeof line, 5000)) {
        json_t *j = json_loads (line, 0, NULL);
        assert_non_null (j);
        const char *topic = json_string_value (json_object_get (j, "topic"));
        if (topic && strcmp (topic, "metric.watch_probe") != 0) {
            char *text = json_dumps (j, JSON_COMPACT | JSON_SORT_KEYS);
            assert_string_equal (text, expected[got]);
            free (text);
            got++;
        }
        json_decref (j);
    }
    assert_int_equal (got, S_RECORDED);
    assert_int_equal (ht_stop (&watcher, 5000), 0);
    for (int i = 0; i < S_RECORDED; i++)
        free (expected[i]);
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_spy_usage_errors (void **state)
{
    (void)state;
    char out[1024];
    const char *bad_flag[] = { ht_bin ("helios-spy"), "--bogus", NULL };
    assert_int_equal (ht_run (bad_flag, 5000, out, sizeof out), 2);
    const char *bad_count[] = { ht_bin ("helios-spy"), "--count", "x", NULL };
    assert_int_equal (ht_run (bad_count, 5000, out, sizeof out), 2);
    const char *no_value[] = { ht_bin ("helios-spy"), "--topic", NULL };
    assert_int_equal (ht_run (no_value, 5000, out, sizeof out), 2);
    const char *missing[] = { ht_bin ("helios-spy"), "--replay",
                              "/nonexistent/helios.rec", NULL };
    assert_int_equal (ht_run (missing, 5000, out, sizeof out), 1);
    const char *version[] = { ht_bin ("helios-spy"), "--version", NULL };
    assert_int_equal (ht_run (version, 5000, out, sizeof out), 0);
    assert_non_null (strstr (out, "helios-spy"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_spy_prints_pushed_metric, ht_teardown),
        cmocka_unit_test_teardown (test_record_replay_same_order, ht_teardown),
        cmocka_unit_test_teardown (test_spy_usage_errors, ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
