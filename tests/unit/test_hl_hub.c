/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_hub - the event hub on a fake bus (an inproc XPUB publishing
    what the master would): each event reaches every stream once,
    numbered in order, as a whole server-sent event; task.* is asked for
    only while a stream is open; a stream that stops reading finds a gap
    in the numbers; health lands in the history; the tick runs.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <stdatomic.h>

#include "../../bus/hl_bus.h"
#include "../../master/hl_hub.h"

static atomic_int s_ticks;

static void
s_tick (void *arg)
{
    (void)arg;
    atomic_fetch_add (&s_ticks, 1);
}

static hl_config_t *
s_config (void)
{
    char path[] = "/tmp/test_hl_hub-XXXXXX";
    int fd = mkstemp (path);
    const char *text
        = "metrics = ( { name = \"lat\"; category = \"backend\";\n"
          "  better = \"lower\"; target = 1.0; critical = 9.0; } );\n";
    assert_true (write (fd, text, strlen (text)) == (ssize_t)strlen (text));
    close (fd);
    char err[256];
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    assert_non_null (config);
    return config;
}

static void
s_health (zsock_t *bus, double score)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_HEALTH);
    hl_msg_set_src (msg, "test");
    hl_msg_set_score (msg, score);
    hl_msg_set_state (msg, "ok");
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_double (data, "score", score);
    hl_value_t *metrics = hl_value_new_map ();
    hl_value_t *lat = hl_value_new_map ();
    hl_value_set_double (lat, "value", 2.5);
    hl_value_set_double (lat, "score", score);
    hl_value_set (metrics, "lat", &lat);
    hl_value_set (data, "metrics", &metrics);
    hl_msg_set_data (msg, &data);
    assert_int_equal (hl_bus_send (bus, &msg), 0);
}

/*  The bus sees the hub's subscriptions; wait for one starting with
    prefix. */
static void
s_wait_subscription (zsock_t *bus, const char *prefix)
{
    int64_t deadline = zclock_mono () + 2000;
    while (zclock_mono () < deadline) {
        zframe_t *frame = NULL;
        zpoller_t *poller = zpoller_new (bus, NULL);
        if (zpoller_wait (poller, 100))
            frame = zframe_recv (bus);
        zpoller_destroy (&poller);
        bool found
            = frame && zframe_size (frame) > 1 && zframe_data (frame)[0] == 1
              && !memcmp (zframe_data (frame) + 1, prefix, strlen (prefix));
        zframe_destroy (&frame);
        if (found)
            return;
    }
    fail_msg ("no subscription to %s", prefix);
}

static void
test_hub (void **state)
{
    (void)state;
    hl_config_t *config = s_config ();
    zsock_t *bus = zsock_new (ZMQ_XPUB);
    assert_int_equal (zsock_bind (bus, "inproc://test-hub-bus"), 0);
    char err[256];
    hl_hub_t *hub = hl_hub_new (config, "inproc://test-hub-bus", s_tick, NULL,
                                err, sizeof err);
    assert_non_null (hub);
    s_wait_subscription (bus, "health");
    hl_hub_stats_t stats;
    hl_hub_stats (hub, &stats);
    assert_false (stats.tasks);

    zsock_t *a = hl_hub_subscribe (hub);
    zsock_t *b = hl_hub_subscribe (hub);
    assert_non_null (a);
    s_wait_subscription (bus, "task.");
    hl_hub_stats (hub, &stats);
    assert_true (stats.tasks);
    s_health (bus, 70);
    s_health (bus, 71);
    uint64_t seq[2];
    for (int s = 0; s < 2; s++) {
        zsock_t *stream = s ? b : a;
        for (int i = 0; i < 2; i++) {
            char *text;
            size_t len;
            assert_int_equal (hl_hub_next (stream, 2000, &seq[i], &text, &len),
                              1);
            assert_int_equal (strncmp (text, "id: ", 4), 0);
            assert_non_null (strstr (text, "\nevent: health\ndata: {"));
            assert_int_equal (strcmp (text + len - 2, "\n\n"), 0);
            assert_non_null (
                strstr (text, i ? "\"score\":71" : "\"score\":70"));
            free (text);
        }
        assert_int_equal (seq[1], seq[0] + 1);
    }

    /*  b reads nothing while many events pass: it sees a gap. */
    for (int i = 0; i < 3 * HL_HUB_CLIENT_HWM - 1; i++)
        s_health (bus, 50);
    /*  Wait until the hub has forwarded them all, so b's stream is full
        before it reads (the hub counts an event after sending it). */
    int64_t until = zclock_mono () + 10000;
    do {
        hl_hub_stats (hub, &stats);
        if (stats.events >= 2 + 3 * HL_HUB_CLIENT_HWM - 1)
            break;
        zclock_sleep (5);
    } while (zclock_mono () < until);
    assert_int_equal (stats.events, 2 + 3 * HL_HUB_CLIENT_HWM - 1);
    uint64_t last = seq[1], now;
    char *text;
    size_t len;
    bool gap = false;
    while (hl_hub_next (b, 500, &now, &text, &len)) {
        gap |= now != last + 1;
        last = now;
        free (text);
    }
    /*  What was dropped shows with the next event that gets through. */
    s_health (bus, 50);
    assert_int_equal (hl_hub_next (b, 2000, &now, &text, &len), 1);
    free (text);
    gap |= now != last + 1;
    assert_true (gap);

    /*  History: every health, oldest first, by metric. */
    char *history = hl_hub_history (hub, 2000);
    assert_non_null (history);
    json_t *j = json_loads (history, 0, NULL);
    free (history);
    size_t n = json_array_size (json_object_get (j, "ts"));
    assert_int_equal (n, 2 + 3 * HL_HUB_CLIENT_HWM);
    json_t *score = json_object_get (j, "score");
    assert_true (json_real_value (json_array_get (score, 0)) == 70.0);
    json_t *lat = json_object_get (json_object_get (j, "metrics"), "lat");
    assert_true (
        json_real_value (json_array_get (json_object_get (lat, "value"), 0))
        == 2.5);
    json_decref (j);
    hl_hub_stats (hub, &stats);
    assert_int_equal (stats.events, 2 + 3 * HL_HUB_CLIENT_HWM);
    assert_true (atomic_load (&s_ticks) >= 1);

    zsock_destroy (&a);
    zsock_destroy (&b);
    hl_hub_destroy (&hub);
    assert_null (hub);
    zsock_destroy (&bus);
    hl_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hub),
    };
    return cmocka_run_group_tests_name ("hl_hub", tests, NULL, NULL);
}
