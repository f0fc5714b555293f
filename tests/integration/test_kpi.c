/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_kpi - samples published on the bus reach the real master's KPI
    tracker, single and batched; each closed second comes back as
    kpi.<name>, health is published every second and shown in status;
    NaN, infinities, values outside a metric's range, timestamps out of
    range and unknown names are refused and counted; helios-ctl metric
    push refuses unknown names and values out of range with the reason.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <math.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "harness.h"

static const char *s_metrics
    = "health = { window = 60; };\n"
      "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; better = \"lower\";\n"
      "    stat = \"p95\"; target = 100.0; critical = 500.0; key = true; },\n"
      "  { name = \"hits\"; category = \"backend\"; better = \"higher\";\n"
      "    stat = \"mean\"; target = 90.0; critical = 50.0; } );\n";

static void
s_publish (zsock_t *pub, hl_msg_t **msg_p)
{
    assert_int_equal (hl_bus_send (pub, msg_p), 0);
}

static void
s_metric (zsock_t *pub, const char *name, double value, int64_t ts)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
    hl_msg_set_name (msg, name);
    hl_msg_set_value (msg, value);
    hl_msg_set_sample_ts (msg, ts);
    s_publish (pub, &msg);
}

static const hl_value_t *
s_group (hl_msg_t *status, const char *name)
{
    return hl_value_get (hl_msg_data (status), name);
}

static void
test_samples_kpi_and_health (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    /*  A spy on kpi. and health; its subscription must reach the master
        before anything is built, so wait for the first health line. */
    const char *argv[] = { ht_bin ("helios-spy"),
                           "-e",
                           m.bus_out,
                           "--topic",
                           "kpi.",
                           "--topic",
                           "health",
                           "--timeout",
                           "30",
                           NULL };
    ht_proc_t *spy = ht_start (argv);
    char line[65536];
    assert_true (ht_read_line (spy, line, sizeof line, 5000));

    zsock_t *pub = hl_sock_publisher (m.bus_in, NULL);
    assert_int_equal (hl_sock_publisher_wait (pub, 5000), 0);
    int64_t now = hl_msg_now_us ();
    /*  latency: 150, 160, 170, 180 (p95 180: score 80); hits: a batch */
    for (int i = 0; i < 4; i++)
        s_metric (pub, "latency", 150 + 10 * i, now + i);
    hl_msg_t *batch = hl_msg_new (HL_MSG_METRICS);
    for (int i = 0; i < 3; i++)
        assert_int_equal (hl_msg_add_sample (batch, "hits", 70, now + i, NULL),
                          0);
    s_publish (pub, &batch);
    /*  refused: NaN, +inf, far future, far past, unknown, a negative
        latency (lower is better: 0.. by default) */
    s_metric (pub, "latency", -5, now);
    s_metric (pub, "latency", NAN, now);
    s_metric (pub, "latency", INFINITY, now);
    s_metric (pub, "latency", 1, now + 3600LL * 1000000);
    s_metric (pub, "latency", 1, now - 2 * 3600LL * 1000000);
    s_metric (pub, "nosuch", 1, now);

    /*  kpi.latency for the second the samples fell in, count 4. */
    bool kpi_seen = false, health_seen = false;
    int64_t deadline = zclock_mono () + 10000;
    while ((!kpi_seen || !health_seen) && zclock_mono () < deadline) {
        if (!ht_read_line (spy, line, sizeof line, 1000))
            continue;
        json_t *j = json_loads (line, 0, NULL);
        assert_non_null (j);
        const char *topic = json_string_value (json_object_get (j, "topic"));
        json_t *body = json_object_get (j, "body");
        if (streq (topic, "kpi.latency")
            && json_integer_value (json_object_get (body, "count")) == 4) {
            assert_true (json_number_value (json_object_get (body, "max"))
                         == 180.0);
            assert_true (json_number_value (json_object_get (body, "min"))
                         == 150.0);
            kpi_seen = true;
        }
        if (streq (topic, "health")
            && json_object_get (
                json_object_get (json_object_get (body, "data"), "metrics"),
                "hits")
            && json_integer_value (json_object_get (
                   json_object_get (
                       json_object_get (json_object_get (body, "data"),
                                        "metrics"),
                       "hits"),
                   "count"))
                   == 3) {
            /*  latency 180 -> 80; hits 70 -> 50; equal weights: 65 */
            double score = json_number_value (json_object_get (body, "score"));
            assert_true (fabs (score - 65.0) < 1.5);
            assert_string_equal (
                json_string_value (json_object_get (body, "state")),
                "degraded");
            health_seen = true;
        }
        json_decref (j);
    }
    assert_true (kpi_seen);
    assert_true (health_seen);

    /*  status: the refusals by reason, and health. */
    hl_msg_t *status = (hl_msg_t *)ht_request (&m, "status", NULL);
    assert_non_null (status);
    const hl_value_t *kpi = s_group (status, "kpi");
    const hl_value_t *rejected = hl_value_get (kpi, "rejected");
    assert_int_equal (hl_value_get_int (kpi, "accepted", -1), 7);
    assert_int_equal (hl_value_get_int (rejected, "not_finite", -1), 2);
    assert_int_equal (hl_value_get_int (rejected, "out_of_range", -1), 1);
    assert_int_equal (hl_value_get_int (rejected, "too_new", -1), 1);
    assert_int_equal (hl_value_get_int (rejected, "too_old", -1), 1);
    assert_int_equal (hl_value_get_int (rejected, "unknown", -1), 1);
    assert_int_equal (
        hl_value_get_int (hl_value_get (kpi, "unknown_names"), "nosuch", -1),
        1);
    const hl_value_t *health = s_group (status, "health");
    assert_string_equal (hl_value_get_str (health, "state", ""), "degraded");
    hl_msg_destroy (&status);

    zsock_destroy (&pub);
    assert_int_equal (ht_stop (&spy, 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  A key metric at its critical value caps health below the emergency
    threshold, whatever the others say. */
static void
test_key_metric_caps_health (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char out[1024];
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "metric", "push", "latency", "900", NULL),
        0);
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "metric", "push", "hits", "95", NULL), 0);
    /*  Health is computed every second: wait for it to see both. */
    int64_t deadline = zclock_mono () + 5000;
    const char *state_name = "";
    double score = -1;
    while (zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (&m, "status", NULL);
        const hl_value_t *health = s_group (status, "health");
        const hl_value_t *hits
            = hl_value_get (hl_value_get (health, "metrics"), "hits");
        bool ready = hl_value_get_int (hits, "count", 0) == 1;
        state_name = ready ? "emergency" : "";
        if (ready) {
            assert_string_equal (hl_value_get_str (health, "state", ""),
                                 "emergency");
            score = hl_value_get_double (health, "score", -1);
        }
        hl_msg_destroy (&status);
        if (ready)
            break;
        zclock_sleep (50); /* a short step between polls */
    }
    assert_string_equal (state_name, "emergency");
    assert_true (score >= 0 && score < 50);
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  helios-ctl -e control ARGS... (NULL-terminated): its exit status,
    with what it wrote on stderr in err. */
static int
s_ctl_err (const ht_master_t *m, char *err, size_t errsize, ...)
{
    const char *argv[16] = { ht_bin ("helios-ctl"), "-e", m->control };
    int argc = 3;
    va_list ap;
    va_start (ap, errsize);
    const char *arg;
    while (argc < 15 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    va_end (ap);
    argv[argc] = NULL;
    char out[4096];
    return ht_run_group (argv, 10000, out, sizeof out, err, errsize);
}

/*  One line on stderr, which says what (once) and why. */
static void
s_one_line (const char *err, const char *want)
{
    if (!strstr (err, want))
        fail_msg ("stderr lacks \"%s\": %s", want, err);
    const char *nl = strchr (err, '\n');
    assert_non_null (nl);
    assert_int_equal (nl[1], 0);
    assert_ptr_equal (strstr (err, "helios-ctl: "), err);
    assert_null (strstr (err + 1, "helios-ctl: "));
}

/*  metric push, by hand: a name the config does not declare is refused
    with the names it does, a value outside the metric's range with the
    range, a name too long to send with its length; nothing of it
    reaches the tracker. The bus still takes unknown names from other
    publishers, counted (test_samples_kpi_and_health). */
static void
test_metric_push_refusals (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char err[4096];
    assert_int_equal (
        s_ctl_err (&m, err, sizeof err, "metric", "push", "nosuch", "5", NULL),
        1);
    s_one_line (err, "helios-ctl: metric push: unknown metric 'nosuch'; "
                     "known: latency, hits\n");
    assert_int_equal (s_ctl_err (&m, err, sizeof err, "metric", "push",
                                 "latency", "-5", NULL),
                      1);
    s_one_line (err, "metric push: -5 is out of latency's range 0..");
    static char name[70001];
    memset (name, 'a', sizeof name - 1);
    assert_int_equal (
        s_ctl_err (&m, err, sizeof err, "metric", "push", name, "5", NULL), 2);
    s_one_line (err, "name too long (70000 > 127)");
    /*  at the limit of the range it is taken */
    assert_int_equal (
        s_ctl_err (&m, err, sizeof err, "metric", "push", "latency", "0", NULL),
        0);
    hl_msg_t *status = (hl_msg_t *)ht_request (&m, "status", NULL);
    const hl_value_t *kpi = s_group (status, "kpi");
    const hl_value_t *rejected = hl_value_get (kpi, "rejected");
    assert_int_equal (hl_value_get_int (rejected, "unknown", -1), 0);
    assert_int_equal (hl_value_get_int (rejected, "out_of_range", -1), 0);
    hl_msg_destroy (&status);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_samples_kpi_and_health, ht_teardown),
        cmocka_unit_test_teardown (test_key_metric_caps_health, ht_teardown),
        cmocka_unit_test_teardown (test_metric_push_refusals, ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
