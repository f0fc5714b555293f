/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_webhook - notifications from the real helios-master to a small
    HTTP receiver in this test (plain sockets, on 127.0.0.1, stopped by
    the test): a flapping incident (an emergency that starts and ends
    three times) sends the grouped number of messages, two, where each
    change alone would have sent six; a receiver that answers 500 gets
    the first attempt and every retry, spaced by the backoff; and one
    that never answers times out without slowing the master.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <czmq.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "harness.h"
#include "receiver.h"

static ht_receiver_t s_rx; /* the test's webhook receiver */

//  --------------------------------------------------------------------
//  The master

static const char *s_metrics
    = "health = { window = 1; };\n"
      "emergency = { threshold = 50; };\n"
      "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; unit = \"ms\";\n"
      "    better = \"lower\"; stat = \"max\"; target = 100.0;\n"
      "    critical = 500.0; key = true; } );\n"
      "alerts = { trend_interval = 0; };\n"
      "summary = { every = \"off\"; };\n";

static hl_msg_t *
s_status (const ht_master_t *m)
{
    hl_msg_t *status = (hl_msg_t *)ht_request (m, "status", NULL);
    assert_non_null (status);
    return status;
}

static const hl_value_t *
s_webhooks (hl_msg_t *status)
{
    const hl_value_t *wh = hl_value_get (hl_msg_data (status), "webhooks");
    assert_non_null (wh);
    return wh;
}

static bool
s_emergency_active (const ht_master_t *m, int64_t *count)
{
    hl_msg_t *status = s_status (m);
    const hl_value_t *em = hl_value_get (
        hl_value_get (hl_msg_data (status), "cycle"), "emergency");
    bool active = false;
    const hl_value_t *v = hl_value_get (em, "active");
    if (v)
        hl_value_bool (v, &active);
    if (count)
        *count = hl_value_get_int (em, "count", 0);
    hl_msg_destroy (&status);
    return active;
}

/*  Publish value for latency every 50 ms for ms milliseconds. */
static void
s_hold (zsock_t *pub, double value, int ms)
{
    int64_t end = zclock_mono () + ms;
    while (zclock_mono () < end) {
        hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
        hl_msg_set_name (msg, "latency");
        hl_msg_set_value (msg, value);
        hl_msg_set_sample_ts (msg, hl_msg_now_us ());
        assert_int_equal (hl_bus_send (pub, &msg), 0);
        zclock_sleep (50); /* the sample rate */
    }
}

/*  Publish value until the emergency is (or is no longer) active. Health
    looks at the last second only, so a status request that takes long
    leaves it without samples: the slowest is told if the wait fails. */
static void
s_until (const ht_master_t *m, zsock_t *pub, double value, bool active)
{
    int64_t deadline = zclock_mono () + 15000;
    int64_t slowest = 0;
    int asked = 0;
    while (true) {
        int64_t t0 = zclock_mono ();
        bool now = s_emergency_active (m, NULL);
        int64_t took = zclock_mono () - t0;
        slowest = took > slowest ? took : slowest;
        asked++;
        if (now == active)
            break;
        if (zclock_mono () >= deadline)
            fail_msg ("the emergency is still %s after 15 s: %d status "
                      "requests, the slowest %lld ms",
                      active ? "inactive" : "active", asked,
                      (long long)slowest);
        s_hold (pub, value, 100);
    }
}

static void
test_flapping_incident (void **state)
{
    (void)state;
    ht_receiver_start (&s_rx, 200);
    char extra[2048];
    snprintf (extra, sizeof extra,
              "%swebhooks = { urls = [ \"http://127.0.0.1:%d/hook\" ];\n"
              "  group_wait = 0.5; group_interval = 20; "
              "repeat_interval = 3600; };\n",
              s_metrics, s_rx.port);
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, extra));
    zsock_t *pub = hl_sock_publisher (m.bus_in, NULL);
    assert_int_equal (hl_sock_publisher_wait (pub, 5000), 0);

    /*  Three times: latency critical (an emergency), then fine until it
        is over (health above the line for 3 s). */
    int64_t start = zclock_mono ();
    for (int i = 0; i < 3; i++) {
        s_until (&m, pub, 900, true);
        s_until (&m, pub, 50, false);
    }
    int64_t count = 0;
    assert_false (s_emergency_active (&m, &count));
    assert_int_equal (count, 3);
    int64_t flapped_ms = zclock_mono () - start;
    assert_true (flapped_ms < 19000); /* all within one group_interval */

    /*  The first message came group_wait after it began; the next can
        only come group_interval after that: then it is resolved. */
    assert_int_equal (ht_receiver_wait (&s_rx, 2, 25000), 2);
    assert_int_equal (ht_receiver_wait (&s_rx, 3, 1000), 2); /* and no more */
    json_t *first = json_loads (s_rx.bodies[0], 0, NULL);
    json_t *last = json_loads (s_rx.bodies[1], 0, NULL);
    assert_non_null (first);
    assert_non_null (last);
    assert_string_equal (json_string_value (json_object_get (first, "status")),
                         "firing");
    assert_int_equal (
        strncmp (json_string_value (json_object_get (first, "text")),
                 "[FIRING:1] emergency", 20),
        0);
    assert_string_equal (json_string_value (json_object_get (last, "status")),
                         "resolved");
    json_t *alert = json_array_get (json_object_get (last, "alerts"), 0);
    assert_string_equal (json_string_value (json_object_get (alert, "status")),
                         "resolved");
    assert_string_equal (
        json_string_value (json_object_get (alert, "severity")), "info");
    json_decref (first);
    json_decref (last);
    assert_string_equal (s_rx.content_type, "application/json");

    /*  Six events went in: three starts, three ends. */
    hl_msg_t *status = s_status (&m);
    const hl_value_t *wh = s_webhooks (status);
    assert_int_equal (hl_value_get_int (wh, "events", -1), 6);
    assert_int_equal (hl_value_get_int (wh, "notifications", -1), 2);
    assert_int_equal (hl_value_get_int (wh, "delivered", -1), 2);
    assert_int_equal (hl_value_get_int (wh, "failed", -1), 0);
    assert_int_equal (hl_value_get_int (wh, "offer_dropped", -1), 0);
    hl_msg_destroy (&status);

    zsock_destroy (&pub);
    assert_int_equal (ht_master_stop (&m), 0);
    ht_receiver_stop (&s_rx);
}

static void
test_retries_and_dead_receiver (void **state)
{
    (void)state;
    ht_receiver_start (&s_rx, 500);
    /*  A receiver that accepts nothing and answers nothing. */
    int dead_port;
    int dead = ht_listen (&dead_port);
    char extra[2048];
    snprintf (extra, sizeof extra,
              "%swebhooks = { urls = [ \"http://127.0.0.1:%d/hook\",\n"
              "    \"http://127.0.0.1:%d/dead\" ];\n"
              "  group_wait = 0.2; group_interval = 60; retries = 2;\n"
              "  backoff = 0.4; timeout = 1.0; };\n",
              s_metrics, s_rx.port, dead_port);
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, extra));
    zsock_t *pub = hl_sock_publisher (m.bus_in, NULL);
    assert_int_equal (hl_sock_publisher_wait (pub, 5000), 0);
    s_until (&m, pub, 900, true);

    /*  The first attempt and two retries, the second twice as late. */
    assert_int_equal (ht_receiver_wait (&s_rx, 3, 10000), 3);
    int64_t gap1 = s_rx.at_ms[1] - s_rx.at_ms[0];
    int64_t gap2 = s_rx.at_ms[2] - s_rx.at_ms[1];
    assert_true (gap1 >= 300 && gap1 < 1500); /* 0.4 s, +-25% */
    assert_true (gap2 >= 600 && gap2 < 2500); /* 0.8 s, +-25% */
    /*  While the dead one hangs, the master answers at once. */
    for (int i = 0; i < 5; i++) {
        int64_t t0 = zclock_mono ();
        hl_msg_t *status = s_status (&m);
        assert_true (zclock_mono () - t0 < 500);
        hl_msg_destroy (&status);
        zclock_sleep (100); /* between two looks */
    }
    /*  Both given up: 3 attempts each (the dead one's time out). */
    int64_t deadline = zclock_mono () + 15000;
    int64_t failed = 0;
    while (failed < 2 && zclock_mono () < deadline) {
        hl_msg_t *status = s_status (&m);
        failed = hl_value_get_int (s_webhooks (status), "failed", 0);
        hl_msg_destroy (&status);
        zclock_sleep (100); /* between two looks */
    }
    assert_int_equal (failed, 2);
    hl_msg_t *status = s_status (&m);
    const hl_value_t *wh = s_webhooks (status);
    assert_int_equal (hl_value_get_int (wh, "notifications", -1), 1);
    assert_int_equal (hl_value_get_int (wh, "deliveries", -1), 2);
    assert_int_equal (hl_value_get_int (wh, "attempts", -1), 6);
    assert_int_equal (hl_value_get_int (wh, "retries", -1), 4);
    assert_int_equal (hl_value_get_int (wh, "delivered", -1), 0);
    assert_int_equal (hl_value_get_int (wh, "queued", -1), 0);
    hl_msg_destroy (&status);
    assert_int_equal (ht_receiver_count (&s_rx), 3);

    zsock_destroy (&pub);
    assert_int_equal (ht_master_stop (&m), 0);
    ht_receiver_stop (&s_rx);
    close (dead);
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
        cmocka_unit_test_teardown (test_flapping_incident, s_teardown),
        cmocka_unit_test_teardown (test_retries_and_dead_receiver, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
