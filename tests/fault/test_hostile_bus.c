/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hostile_bus - peers that speak for the master, with real
    processes on real sockets: a foreign publisher's forged kpi, health,
    cycle, task, agent and alert messages never reach a subscriber of the
    real master's bus and are counted (status, /metrics), while its
    metrics pass; a real Athena sent every second of its window three
    times counts each once, the first; an Athena that answers a verify
    at once, sooner than settle and window allow, is refused, and the
    change it claimed improved is undone.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_proxy.h"
#include "../../bus/hl_sock.h"
#include "../unit/fake_master.h"
#include "../unit/msg_fixtures.h"
#include "fault.h"

#define S_WAIT_MS 10000
#define S_FORGER "forger@elsewhere:1"

static const char *s_metric_cfg
    = "metrics = ( { name = \"lat\"; category = \"backend\";\n"
      "  better = \"lower\"; target = 100.0; critical = 500.0; } );\n";

/*  The types only the master may publish. */
static const hl_msg_type_t s_masters[]
    = { HL_MSG_KPI,  HL_MSG_HEALTH, HL_MSG_CYCLE,
        HL_MSG_TASK, HL_MSG_AGENT,  HL_MSG_ALERT };
#define S_MASTERS (sizeof s_masters / sizeof s_masters[0])

static void
s_send_metric (zsock_t *pub, double value)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
    hl_msg_set_src (msg, S_FORGER);
    hl_msg_set_name (msg, "lat");
    hl_msg_set_value (msg, value);
    hl_msg_set_sample_ts (msg, hl_msg_now_us ());
    assert_int_equal (hl_bus_send (pub, &msg), 0);
}

/*  Read sub until the forger's metric of value arrives; any message of
    the forger's other than its metrics fails the test. */
static bool
s_until_metric (zsock_t *sub, double value, int timeout_ms, int *batches)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    zpoller_t *poller = zpoller_new (sub, NULL);
    bool seen = false;
    while (!seen && zclock_mono () < deadline) {
        if (!zpoller_wait (poller, 50))
            continue;
        hl_msg_t *msg = NULL;
        if (hl_bus_recv (sub, NULL, &msg, NULL) != 0)
            continue;
        if (streq (hl_msg_src (msg), S_FORGER)) {
            hl_msg_type_t type = hl_msg_type (msg);
            if (!hl_msg_type_public (type))
                fail_msg ("a forged %s reached a subscriber",
                          hl_msg_type_name (type));
            if (type == HL_MSG_METRICS && batches)
                (*batches)++;
            seen = type == HL_MSG_METRIC && hl_msg_value (msg) == value;
        }
        hl_msg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return seen;
}

static int64_t
s_authority (const ht_master_t *m)
{
    hl_msg_t *status = ft_status (m);
    const hl_value_t *bus = hl_value_get (hl_msg_data (status), "bus");
    int64_t n
        = hl_value_get_int (hl_value_get (bus, "rejected_by"), "authority", 0);
    hl_msg_destroy (&status);
    return n;
}

static void
test_forged_refused (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, "http = \"127.0.0.1:0\";", s_metric_cfg));
    zsock_t *sub = hl_sock_subscriber (m.bus_out, NULL, 0, NULL);
    zsock_t *pub = hl_sock_publisher (m.bus_in, NULL);
    assert_non_null (sub);
    assert_int_equal (hl_sock_publisher_wait (pub, S_WAIT_MS), 0);
    //  The subscription travels on its own: probe until it carries
    bool ready = false;
    for (int i = 0; i < 100 && !ready; i++) {
        s_send_metric (pub, 10 + i);
        ready = s_until_metric (sub, 10 + i, 100, NULL);
    }
    assert_true (ready);

    //  Each of the master's types twice, a batch of metrics between them
    for (int round = 0; round < 2; round++) {
        for (size_t t = 0; t < S_MASTERS; t++) {
            hl_msg_t *msg = s_full (s_masters[t]);
            hl_msg_set_src (msg, S_FORGER);
            assert_int_equal (hl_bus_send (pub, &msg), 0);
        }
        hl_msg_t *batch = s_full (HL_MSG_METRICS);
        hl_msg_set_src (batch, S_FORGER);
        assert_int_equal (hl_bus_send (pub, &batch), 0);
    }
    //  Then a metric: in order behind the rest, from the same publisher
    int batches = 0;
    s_send_metric (pub, 42);
    assert_true (s_until_metric (sub, 42, S_WAIT_MS, &batches));
    assert_int_equal (batches, 2);
    assert_int_equal (s_authority (&m), 2 * S_MASTERS);

    //  /metrics says it too
    static char body[1 << 20];
    assert_int_equal (ht_http_get (m.http, "/metrics", NULL, body, sizeof body),
                      200);
    char want[128];
    snprintf (want, sizeof want,
              "helios_bus_rejected_by_reason_total{reason=\"authority\"} %zu",
              2 * S_MASTERS);
    if (!strstr (body, want))
        fail_msg ("/metrics has no \"%s\"", want);

    zsock_destroy (&pub);
    zsock_destroy (&sub);
    assert_int_equal (ht_master_stop (&m), 0);
}

//  --------------------------------------------------------------------
//  Athena: each second once

static hl_value_t *
s_verify_args (const char *metric, int window_s)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "action", "good");
    hl_value_set_int (args, "settle_s", 0);
    hl_value_set_int (args, "window_s", window_s);
    hl_value_set_int (args, "min_n", 3);
    hl_value_t *m = hl_value_new_map ();
    hl_value_set_str (m, "name", metric);
    hl_value_set_str (m, "better", "lower");
    hl_value_t *baseline = hl_value_new_array ();
    for (int k = 0; k < 10; k++) {
        hl_value_t *v = hl_value_new_double (100 + k);
        hl_value_append (baseline, &v);
    }
    hl_value_set (m, "baseline", &baseline);
    hl_value_t *list = hl_value_new_array ();
    hl_value_append (list, &m);
    hl_value_set (args, "metrics", &list);
    return args;
}

static void
s_publish_kpi (zsock_t *pub, const char *name, int64_t ts, double value)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_KPI);
    hl_msg_set_name (msg, name);
    hl_msg_set_sample_ts (msg, ts);
    hl_msg_set_count (msg, 10);
    hl_msg_set_mean (msg, value);
    hl_msg_set_p50 (msg, value);
    hl_msg_set_p95 (msg, value);
    hl_msg_set_min (msg, value);
    hl_msg_set_max (msg, value);
    assert_int_equal (hl_bus_send (pub, &msg), 0);
}

static void
test_athena_counts_once (void **state)
{
    (void)state;
    //  The bus and the tasks socket are the test's: it publishes kpi as
    //  the master does, on the proxy's own endpoint, each second 3 times
    char err[256];
    hl_proxy_t *proxy = hl_proxy_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                                      NULL, NULL, err, sizeof err);
    assert_non_null (proxy);
    zsock_t *pub = hl_sock_publisher (hl_proxy_inproc_in (proxy), NULL);
    assert_int_equal (hl_sock_publisher_wait (pub, S_WAIT_MS), 0);
    ht_master_t fake = { 0 };
    zsock_t *router = hl_sock_bind (ZMQ_ROUTER, "tcp://127.0.0.1:*", NULL,
                                    fake.tasks, sizeof fake.tasks);
    assert_non_null (router);
    ht_tmpdir (fake.dir, sizeof fake.dir);
    snprintf (fake.config, sizeof fake.config, "%s/helios.cfg", fake.dir);
    FILE *f = fopen (fake.config, "w");
    assert_non_null (f);
    fprintf (f, "connect = { bus_out = \"%s\"; };\n", hl_proxy_bus_out (proxy));
    fclose (f);
    ht_proc_t *athena = ht_agent_start (&fake, "athena-api", NULL);

    uint8_t peer[256];
    size_t peer_len = 0;
    hl_msg_t *hello = fake_master_recv (router, peer, &peer_len, HL_MSG_HELLO,
                                        S_WAIT_MS, true, NULL);
    assert_non_null (hello);
    hl_msg_t *welcome = hl_msg_new (HL_MSG_WELCOME);
    hl_msg_set_re (welcome, hl_msg_id (hello));
    hl_msg_set_heartbeat_ms (welcome, 1000);
    hl_msg_set_liveness (welcome, 20);
    hl_msg_set_session (welcome, "session-1");
    fake_master_send (router, peer, peer_len, welcome);
    hl_msg_destroy (&hello);

    hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
    hl_msg_set_task_id (task, 7);
    hl_msg_set_kind (task, "verify");
    hl_msg_set_priority (task, 2);
    hl_msg_set_attempt (task, 1);
    hl_value_t *args = s_verify_args ("dup_lat", 4);
    hl_msg_set_args (task, &args);
    fake_master_send (router, peer, peer_len, task);
    //  Its subscription has reached the proxy: the window is open
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    zpoller_t *poller = zpoller_new (hl_proxy_subscriptions (proxy), NULL);
    while (!hl_proxy_wanted (proxy, "kpi.dup_lat")) {
        assert_true (zclock_mono () < deadline);
        if (zpoller_wait (poller, 50))
            hl_proxy_subscriptions_update (proxy);
    }
    zpoller_destroy (&poller);

    //  Two whole seconds inside the 4 s window, each sent three times:
    //  first the true value, then two far off
    int64_t first = (hl_msg_now_us () / 1000000 + 1) * 1000000;
    for (int k = 0; k < 2; k++)
        for (int r = 0; r < 3; r++)
            s_publish_kpi (pub, "dup_lat", first + k * 1000000LL,
                           r ? 5000 : 50 + k);
    hl_msg_t *result = fake_master_recv (router, peer, &peer_len, HL_MSG_RESULT,
                                         15000, true, NULL);
    assert_non_null (result);
    assert_int_equal (hl_msg_task_id (result), 7);
    assert_string_equal (hl_msg_status (result), "ok");
    const hl_value_t *out
        = hl_value_at (hl_value_get (hl_msg_data (result), "metrics"), 0);
    assert_int_equal (hl_value_get_int (out, "n_after", -1), 2);
    assert_int_equal (hl_value_get_int (out, "duplicates", -1), 4);
    assert_float_equal (hl_value_get_double (out, "median_after", NAN), 50.5,
                        1e-9);
    hl_msg_destroy (&result);

    assert_int_equal (ht_stop (&athena, 10000), 0);
    zsock_destroy (&router);
    zsock_destroy (&pub);
    hl_proxy_destroy (&proxy);
    ht_rmdir (fake.dir);
}

//  --------------------------------------------------------------------
//  An Athena that answers at once

/*  A fake athena-api on the master's tasks socket (args): hello, beats,
    and every verify answered at once, improved by 40% on the first
    metric (a plausible effect: only its timing gives it away). */
static void
s_fast_athena (zsock_t *pipe, void *args)
{
    const char *tasks = (const char *)args;
    zsock_t *dealer = hl_sock_connect (ZMQ_DEALER, tasks, NULL, NULL);
    hl_msg_t *hello = hl_msg_new (HL_MSG_HELLO);
    hl_msg_set_src (hello, "athena-api@liar:1");
    hl_msg_set_role (hello, "athena-api");
    hl_msg_set_capacity (hello, 4);
    hl_msg_set_host (hello, "liar");
    hl_msg_set_pid (hello, 1);
    hl_msg_set_version (hello, "0");
    hl_bus_send (dealer, &hello);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, dealer, NULL);
    int64_t beat_at = zclock_mono ();
    while (!zsys_interrupted) {
        void *which = zpoller_wait (poller, 50);
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        } else if (which == dealer) {
            hl_msg_t *msg = NULL;
            if (hl_bus_recv (dealer, NULL, &msg, NULL) == 0
                && hl_msg_type (msg) == HL_MSG_TASK) {
                const hl_value_t *asked = hl_value_at (
                    hl_value_get (hl_msg_args (msg), "metrics"), 0);
                hl_value_t *m = hl_value_new_map ();
                hl_value_set_str (m, "name",
                                  hl_value_get_str (asked, "name", "?"));
                hl_value_set_str (m, "verdict", "improved");
                hl_value_set_double (m, "effect", -0.4);
                hl_value_t *list = hl_value_new_array ();
                hl_value_append (list, &m);
                hl_value_t *data = hl_value_new_map ();
                hl_value_set_str (data, "verdict", "improved");
                hl_value_set (data, "metrics", &list);
                hl_msg_t *res = hl_msg_new (HL_MSG_RESULT);
                hl_msg_set_re (res, hl_msg_id (msg));
                hl_msg_set_task_id (res, hl_msg_task_id (msg));
                hl_msg_set_status (res, "ok");
                hl_msg_set_duration_us (res, 1000);
                hl_msg_set_data (res, &data);
                hl_bus_send (dealer, &res);
            }
            hl_msg_destroy (&msg);
        }
        if (zclock_mono () >= beat_at) {
            hl_msg_t *beat = hl_msg_new (HL_MSG_HEARTBEAT);
            hl_msg_set_inflight (beat, 0);
            hl_bus_send (dealer, &beat);
            beat_at = zclock_mono () + FT_HEARTBEAT_MS;
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
}

static void
test_early_verify_refused (void **state)
{
    (void)state;
    static const char *actions[] = { "good backend lat 0.3 1", NULL };
    toy_world_t w;
    ft_world_start (&w, NULL, actions, true);
    //  The real athena-api goes, the fast one takes its place
    pid_t pid = w.agents[FT_ATHENA_API]->pid;
    ft_kill (&w, FT_ATHENA_API);
    ft_wait_gone (&w.m, pid, FT_SILENCE_MS * 5);
    zactor_t *liar = zactor_new (s_fast_athena, w.m.tasks);
    assert_int_equal (ht_wait_agents (&w.m, 6, S_WAIT_MS), 6);

    json_t *report = ft_cycle_wait (&w.m, ft_cycle_start (&w.m), 60000);
    json_t *act = toy_act (report, "good");
    assert_non_null (act);
    assert_true (ft_degraded (report, "verify refused: athena-api@liar:1"));
    assert_string_equal (toy_field (act, "verdict"), "inconclusive");
    assert_string_equal (toy_field (act, "outcome"), "rolled_back");
    ft_check_changes (&w, report);
    json_decref (report);
    hl_msg_t *status = ft_status (&w.m);
    const hl_value_t *cycle = hl_value_get (hl_msg_data (status), "cycle");
    assert_int_equal (hl_value_get_int (cycle, "verify_too_early", -1), 1);
    //  Nothing learned from it, not even a trial
    const hl_value_t *good = hl_value_get (
        hl_value_get (hl_msg_data (status), "learning"), "good");
    assert_int_equal (hl_value_get_int (good, "trials", -1), 0);
    assert_int_equal (hl_value_get_int (good, "successes", -1), 0);
    hl_msg_destroy (&status);

    zactor_destroy (&liar);
    toy_agent_start (&w, FT_ATHENA_API);
    ft_check_status ();
    toy_world_stop (&w);
}

int
main (int argc, char *argv[])
{
    int rc = toy_main (argc, argv);
    if (rc >= 0)
        return rc;
    ft_filter ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_forged_refused, ht_teardown),
        cmocka_unit_test_teardown (test_athena_counts_once, ht_teardown),
        cmocka_unit_test_teardown (test_early_verify_refused, ht_teardown),
    };
    return cmocka_run_group_tests_name ("hostile_bus", tests, NULL, NULL);
}
