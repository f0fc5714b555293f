/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_watch - early warnings and the scheduled summary in the real
    helios-master: two minutes of a metric on a steady ramp (published
    with their own timestamps) make alert.warning on the bus before the
    metric is anywhere near critical, a webhook message, and, with
    alerts.proactive, an optimisation cycle at once; a short
    summary.every makes a strategic plan, written as a report and sent
    as a webhook.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "harness.h"
#include "receiver.h"

static ht_receiver_t s_rx; /* the test's webhook receiver */

static const char *s_metrics
    = "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; unit = \"ms\";\n"
      "    better = \"lower\"; stat = \"mean\"; target = 100.0;\n"
      "    critical = 500.0; key = true; } );\n";

static hl_msg_t *
s_status (const ht_master_t *m)
{
    hl_msg_t *status = (hl_msg_t *)ht_request (m, "status", NULL);
    assert_non_null (status);
    return status;
}

static int64_t
s_figure (const ht_master_t *m, const char *group, const char *key)
{
    hl_msg_t *status = s_status (m);
    int64_t v = hl_value_get_int (hl_value_get (hl_msg_data (status), group),
                                  key, -1);
    hl_msg_destroy (&status);
    return v;
}

/*  The first webhook body whose alertname is name and whose text
    contains text, parsed, or NULL. */
static json_t *
s_body (ht_receiver_t *r, const char *name, const char *text)
{
    pthread_mutex_lock (&r->lock);
    json_t *found = NULL;
    for (int i = 0; i < r->count && i < HT_RECEIVER_KEEP && !found; i++) {
        json_t *j = json_loads (r->bodies[i], 0, NULL);
        const char *group = json_string_value (
            json_object_get (json_object_get (j, "group"), "alertname"));
        const char *said = json_string_value (json_object_get (j, "text"));
        if (group && streq (group, name) && said && strstr (said, text))
            found = j;
        else
            json_decref (j);
    }
    pthread_mutex_unlock (&r->lock);
    return found;
}

static json_t *
s_wait_body (ht_receiver_t *r, const char *name, const char *text,
             int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    json_t *j = NULL;
    while (!(j = s_body (r, name, text)) && zclock_mono () < deadline)
        zclock_sleep (20); /* a short step between looks */
    return j;
}

/*  seconds of history before now, 5 samples a second: from v0, slope
    per second, published in batches with their own timestamps. */
static void
s_history (zsock_t *pub, int seconds, double v0, double slope)
{
    int64_t now = hl_msg_now_us ();
    hl_msg_t *batch = hl_msg_new (HL_MSG_METRICS);
    size_t in_batch = 0;
    for (int s = seconds; s >= 1; s--)
        for (int k = 0; k < 5; k++) {
            double v = v0 + slope * (seconds - s) + (k % 3);
            int64_t ts = now - s * 1000000LL + k * 200000;
            assert_int_equal (hl_msg_add_sample (batch, "latency", v, ts, NULL),
                              0);
            if (++in_batch == 100) {
                assert_int_equal (hl_bus_send (pub, &batch), 0);
                batch = hl_msg_new (HL_MSG_METRICS);
                in_batch = 0;
            }
        }
    if (in_batch)
        assert_int_equal (hl_bus_send (pub, &batch), 0);
    hl_msg_destroy (&batch);
}

static void
test_ramp_warns_early (void **state)
{
    (void)state;
    ht_receiver_start (&s_rx, 200);
    char extra[2048];
    snprintf (extra, sizeof extra,
              "%salerts = { trend_interval = 1; horizon = 600;\n"
              "  proactive = true; };\n"
              "summary = { every = \"off\"; };\n"
              "webhooks = { urls = [ \"http://127.0.0.1:%d/\" ];\n"
              "  group_wait = 0.2; };\n",
              s_metrics, s_rx.port);
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, extra));
    const char *argv[]
        = { ht_bin ("helios-spy"), "-e", m.bus_out, "--topic", "alert.",
            "--timeout",           "30", NULL };
    ht_proc_t *spy = ht_start (argv);
    zsock_t *pub = hl_sock_publisher (m.bus_in, NULL);
    assert_int_equal (hl_sock_publisher_wait (pub, 5000), 0);
    /*  The spy's subscription must be in before the warning is made:
        the master builds alerts for the webhooks anyway, and publishes
        them, so wait until the proxy counts a subscriber. */
    int64_t deadline = zclock_mono () + 5000;
    while (s_figure (&m, "bus", "subscribers") < 1 && zclock_mono () < deadline)
        zclock_sleep (20); /* a short step between looks */

    /*  Two minutes of history, 5 samples a second: 100 ms rising by 2 a
        second to about 340 now; at that pace 500 is 80 s away. */
    s_history (pub, 120, 100, 2);

    /*  alert.warning on the bus, naming the metric */
    char line[65536];
    bool warned = false;
    deadline = zclock_mono () + 10000;
    while (!warned && zclock_mono () < deadline) {
        if (!ht_read_line (spy, line, sizeof line, 1000))
            continue;
        json_t *j = json_loads (line, 0, NULL);
        assert_non_null (j);
        json_t *body = json_object_get (j, "body");
        json_t *data = json_object_get (body, "data");
        if (streq (json_string_value (json_object_get (j, "topic")),
                   "alert.warning")
            && streq (json_string_value (json_object_get (data, "alertname")),
                      "forecast_breach")) {
            assert_string_equal (
                json_string_value (json_object_get (data, "subject")),
                "latency");
            double in
                = json_number_value (json_object_get (data, "breach_in_s"));
            assert_true (in > 20 && in < 200);
            assert_non_null (strstr (
                json_string_value (json_object_get (body, "text")),
                "latency is forecast to reach its critical level 500ms"));
            warned = true;
        }
        json_decref (j);
    }
    assert_true (warned);

    /*  A webhook message; a cycle started early; health is still far
        from an emergency */
    json_t *hook = s_wait_body (&s_rx, "forecast_breach", "", 5000);
    assert_non_null (hook);
    assert_int_equal (
        strncmp (json_string_value (json_object_get (hook, "text")),
                 "[FIRING:1] forecast_breach", 26),
        0);
    json_decref (hook);
    assert_true (s_figure (&m, "watch", "proactive_cycles") >= 1);
    assert_true (s_figure (&m, "cycle", "started") >= 1);
    hl_msg_t *status = s_status (&m);
    const hl_value_t *health = hl_value_get (hl_msg_data (status), "health");
    assert_true (hl_value_get_double (health, "score", 0) > 50);
    hl_msg_destroy (&status);

    zsock_destroy (&pub);
    assert_int_equal (ht_stop (&spy, 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
    ht_receiver_stop (&s_rx);
}

static void
test_summary_on_schedule (void **state)
{
    (void)state;
    ht_receiver_start (&s_rx, 200);
    char extra[2048];
    snprintf (extra, sizeof extra,
              "%salerts = { trend_interval = 0; };\n"
              "summary = { every = 2; horizon = \"3_days\"; };\n"
              "webhooks = { urls = [ \"http://127.0.0.1:%d/\" ];\n"
              "  group_wait = 0.1; };\n",
              s_metrics, s_rx.port);
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, extra));
    zsock_t *pub = hl_sock_publisher (m.bus_in, NULL);
    assert_int_equal (hl_sock_publisher_wait (pub, 5000), 0);
    s_history (pub, 60, 150, 0); /* flat: a forecast, no breach */

    json_t *hook
        = s_wait_body (&s_rx, "summary", "forecast 3 days ahead", 10000);
    assert_non_null (hook);
    const char *text = json_string_value (json_object_get (hook, "text"));
    assert_int_equal (strncmp (text, "[EVENT] summary", 15), 0);
    assert_non_null (strstr (text, "Scheduled summary: health"));
    assert_non_null (strstr (text, "forecast 3 days ahead"));
    json_t *alert = json_array_get (json_object_get (hook, "alerts"), 0);
    json_t *data = json_object_get (alert, "data");
    int64_t id = json_integer_value (json_object_get (data, "report"));
    assert_true (id >= 1);
    assert_int_equal (json_integer_value (json_object_get (data, "horizon_s")),
                      3 * 86400);
    json_decref (hook);

    /*  Written as a report, like any run */
    char path[512];
    snprintf (path, sizeof path, "%s/state/reports/strategic_planning-%d.json",
              m.dir, (int)id);
    assert_true (zsys_file_exists (path));
    snprintf (path, sizeof path, "%s/state/reports/strategic_planning-%d.md",
              m.dir, (int)id);
    assert_true (zsys_file_exists (path));
    assert_true (s_figure (&m, "watch", "summaries") >= 1);
    zsock_destroy (&pub);
    assert_int_equal (ht_master_stop (&m), 0);
    ht_receiver_stop (&s_rx);
}

/*  The receiver too, whatever happened to the test. */
static int
s_teardown (void **state)
{
    ht_receiver_stop (&s_rx);
    return ht_teardown (state);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_ramp_warns_early, s_teardown),
        cmocka_unit_test_teardown (test_summary_on_schedule, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
