/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_athena - the verify kind through a real agent runtime in a
    zactor, against a ROUTER this test binds as the master and a real
    bus proxy in-process: kpi seconds published on bus-in with known
    values are judged improved, regressed, unchanged or inconclusive;
    cancel drops the subscriptions; bad args are rejected.
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

#include "../../agents/hl_agent.h"
#include "../../bus/hl_bus.h"
#include "../../bus/hl_log.h"
#include "../../bus/hl_proxy.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"
#include "fake_master.h"

#define WAIT_MS 3000    //  the longest a message or subscription may take
#define RESULT_MS 16000 //  window_s (10 at most) plus the role's grace
/*  test_verdicts publishes into four windows one after the other: room
    for a slow (sanitized) run */
#define S_VERDICT_WINDOW_S 10
#define AFTER_N 8 //  seconds published into each window

typedef struct {
    char dir[64];
    char path[128];
    hl_proxy_t *proxy;
    zsock_t *publisher;
    zsock_t *router;
    char endpoint[256];
    hl_config_t *config;
    hl_agent_t *agent;
    zactor_t *actor;
    uint8_t peer[256];
    size_t peer_len;
    uint64_t next_task_id;
} s_env_t;

static hl_msg_t *
s_recv_within (s_env_t *env, hl_msg_type_t type, int ms)
{
    hl_msg_t *found = fake_master_recv (env->router, env->peer, &env->peer_len,
                                        type, ms, false, NULL);
    assert_non_null (found);
    return found;
}

static void
s_send (s_env_t *env, hl_msg_t *msg)
{
    fake_master_send (env->router, env->peer, env->peer_len, msg);
}

static int
s_setup (void **state)
{
    s_env_t *env = (s_env_t *)calloc (1, sizeof *env);
    assert_non_null (env);
    char err[256];
    env->proxy = hl_proxy_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", NULL,
                               NULL, err, sizeof err);
    assert_non_null (env->proxy);
    //  kpi is the master's: published as the master does, on the
    //  proxy's inproc endpoint (bus-in refuses it from anybody else)
    env->publisher = hl_sock_publisher (hl_proxy_inproc_in (env->proxy), NULL);
    assert_non_null (env->publisher);
    assert_int_equal (hl_sock_publisher_wait (env->publisher, WAIT_MS), 0);

    //  The agent finds bus-out in its config, as in production
    snprintf (env->dir, sizeof env->dir, "/tmp/hl_athena.XXXXXX");
    assert_non_null (mkdtemp (env->dir));
    snprintf (env->path, sizeof env->path, "%s/helios.cfg", env->dir);
    FILE *file = fopen (env->path, "w");
    assert_non_null (file);
    fprintf (file, "connect = { bus_out = \"%s\"; };\n",
             hl_proxy_bus_out (env->proxy));
    assert_int_equal (fclose (file), 0);
    env->config = hl_config_load (env->path, err, sizeof err);
    assert_non_null (env->config);

    env->router = hl_sock_bind (ZMQ_ROUTER, "tcp://127.0.0.1:*", NULL,
                                env->endpoint, sizeof env->endpoint);
    assert_non_null (env->router);
    hl_agent_opts_t opts = { .role = "athena-api",
                             .endpoint = env->endpoint,
                             .name = "tester",
                             .capacity = 8,
                             .backoff_min_ms = 100,
                             .backoff_max_ms = 400 };
    env->agent = hl_agent_new (env->config, &opts, err, sizeof err);
    assert_non_null (env->agent);
    env->actor = zactor_new (hl_agent_actor, env->agent);
    assert_non_null (env->actor);
    hl_msg_t *hello = s_recv_within (env, HL_MSG_HELLO, WAIT_MS);
    hl_msg_t *welcome = hl_msg_new (HL_MSG_WELCOME);
    hl_msg_set_re (welcome, hl_msg_id (hello));
    hl_msg_set_heartbeat_ms (welcome, 1000);
    hl_msg_set_liveness (welcome, 20);
    hl_msg_set_session (welcome, "session-1");
    s_send (env, welcome);
    hl_msg_destroy (&hello);
    env->next_task_id = 1;
    *state = env;
    return 0;
}

static int
s_teardown (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    zactor_destroy (&env->actor);
    hl_agent_destroy (&env->agent);
    hl_config_destroy (&env->config);
    zsock_destroy (&env->router);
    zsock_destroy (&env->publisher);
    hl_proxy_destroy (&env->proxy);
    assert_int_equal (unlink (env->path), 0);
    assert_int_equal (rmdir (env->dir), 0);
    free (env);
    return 0;
}

//  Send a verify task (args taken); returns its task id
static uint64_t
s_verify (s_env_t *env, hl_value_t *args)
{
    hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
    uint64_t task_id = env->next_task_id++;
    hl_msg_set_task_id (task, task_id);
    hl_msg_set_kind (task, "verify");
    hl_msg_set_priority (task, 2);
    hl_msg_set_attempt (task, 1);
    if (args)
        hl_msg_set_args (task, &args);
    s_send (env, task);
    return task_id;
}

//  Value k of a level with a repeating +-3 ripple
static double
s_wobble (double level, int k)
{
    return level + 0.6 * (double)((k * 7) % 11 - 5);
}

static hl_value_t *
s_metric (const char *name, const char *better, const char *stat)
{
    hl_value_t *metric = hl_value_new_map ();
    hl_value_set_str (metric, "name", name);
    hl_value_set_str (metric, "better", better);
    if (stat)
        hl_value_set_str (metric, "stat", stat);
    hl_value_t *baseline = hl_value_new_array ();
    for (int k = 0; k < 30; k++) {
        hl_value_t *v = hl_value_new_double (s_wobble (100, k));
        hl_value_append (baseline, &v);
    }
    hl_value_set (metric, "baseline", &baseline);
    return metric;
}

//  Args with one or two metrics (taken), settle 0 and a 2 s window
static hl_value_t *
s_args (double window_s, hl_value_t *m1, hl_value_t *m2)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "action", "enable_cache");
    hl_value_set_int (args, "settle_s", 0);
    hl_value_set_double (args, "window_s", window_s);
    hl_value_t *list = hl_value_new_array ();
    hl_value_append (list, &m1);
    if (m2)
        hl_value_append (list, &m2);
    hl_value_set (args, "metrics", &list);
    return args;
}

static bool
s_wanted (s_env_t *env, const char *name)
{
    char topic[256];
    snprintf (topic, sizeof topic, "kpi.%s", name);
    hl_proxy_subscriptions_update (env->proxy);
    return hl_proxy_wanted (env->proxy, topic);
}

//  Wait until the agent's subscription to name is (or is no longer) seen
//  by the proxy
static void
s_wait_wanted (s_env_t *env, const char *name, bool wanted)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (s_wanted (env, name) != wanted) {
        if (zclock_mono () > deadline)
            fail_msg ("kpi.%s still %s", name, wanted ? "unwanted" : "wanted");
        zpoller_t *poller
            = zpoller_new (hl_proxy_subscriptions (env->proxy), NULL);
        zpoller_wait (poller, 50);
        zpoller_destroy (&poller);
    }
}

//  One kpi second whose stat field is value; the others are off by far,
//  so that a wrong stat shows
static void
s_publish (s_env_t *env, const char *name, int64_t ts, const char *stat,
           double value)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_KPI);
    hl_msg_set_name (msg, name);
    hl_msg_set_sample_ts (msg, ts);
    hl_msg_set_count (msg, 10);
    double other = value * 10 + 1000;
    hl_msg_set_mean (msg, streq (stat, "mean") ? value : other);
    hl_msg_set_p50 (msg, streq (stat, "p50") ? value : other);
    hl_msg_set_p95 (msg, streq (stat, "p95") ? value : other);
    hl_msg_set_min (msg, streq (stat, "min") ? value : other);
    hl_msg_set_max (msg, streq (stat, "max") ? value : other);
    assert_int_equal (hl_bus_send (env->publisher, &msg), 0);
}

//  AFTER_N seconds of name around level, from the next whole second on
//  (inside the window: it opened before the subscription arrived, and
//  is S_VERDICT_WINDOW_S long), each sent repeat + 1 times, the repeats
//  with values far off; and one second before and one after the window
//  that must not count
static void
s_publish_window_x (s_env_t *env, const char *name, const char *stat,
                    double level, int repeat)
{
    int64_t now = hl_msg_now_us ();
    int64_t first = (now / 1000000 + 1) * 1000000;
    for (int k = 0; k < AFTER_N; k++)
        for (int r = 0; r <= repeat; r++)
            s_publish (env, name, first + k * 1000000LL, stat,
                       r ? level * 50 : s_wobble (level, k + 3));
    s_publish (env, name, now - 5000000, stat, level * 100);
    s_publish (env, name, first + (S_VERDICT_WINDOW_S + 1) * 1000000LL, stat,
               level * 100);
}

static void
s_publish_window (s_env_t *env, const char *name, const char *stat,
                  double level)
{
    s_publish_window_x (env, name, stat, level, 0);
}

static hl_msg_t *
s_result (s_env_t *env, uint64_t task_id)
{
    hl_msg_t *result = s_recv_within (env, HL_MSG_RESULT, RESULT_MS);
    assert_int_equal (hl_msg_task_id (result), task_id);
    return result;
}

static const hl_value_t *
s_out (const hl_msg_t *result, size_t i)
{
    assert_string_equal (hl_msg_status (result), "ok");
    const hl_value_t *metrics = hl_value_get (hl_msg_data (result), "metrics");
    assert_non_null (hl_value_at (metrics, i));
    return hl_value_at (metrics, i);
}

static const char *
s_verdict (const hl_msg_t *result)
{
    return hl_value_get_str (hl_msg_data (result), "verdict", "");
}

static double
s_num (const hl_value_t *out, const char *key)
{
    return hl_value_get_double (out, key, NAN);
}

//  Six tasks at once (each window takes its whole length): one metric
//  shared by two of them in opposite directions: improved, regressed,
//  unchanged (on p95), regressed; two metrics, one improved and one
//  regressed: regressed overall; every second sent three times, the
//  repeats far off: each second counted once, the first.
static void
test_verdicts (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    uint64_t a
        = s_verify (env, s_args (S_VERDICT_WINDOW_S,
                                 s_metric ("lat_a", "lower", NULL), NULL));
    uint64_t b
        = s_verify (env, s_args (S_VERDICT_WINDOW_S,
                                 s_metric ("lat_b", "lower", NULL), NULL));
    uint64_t c
        = s_verify (env, s_args (S_VERDICT_WINDOW_S,
                                 s_metric ("lat_c", "lower", "p95"), NULL));
    uint64_t d
        = s_verify (env, s_args (S_VERDICT_WINDOW_S,
                                 s_metric ("lat_a", "higher", "mean"), NULL));
    uint64_t e = s_verify (env, s_args (S_VERDICT_WINDOW_S,
                                        s_metric ("rt_one", "lower", "p50"),
                                        s_metric ("rt_two", "lower", "max")));
    uint64_t f
        = s_verify (env, s_args (S_VERDICT_WINDOW_S,
                                 s_metric ("lat_dup", "lower", NULL), NULL));
    const char *names[]
        = { "lat_a", "lat_b", "lat_c", "rt_one", "rt_two", "lat_dup" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        s_wait_wanted (env, names[i], true);
    s_publish_window (env, "lat_a", "mean", 70);
    s_publish_window (env, "lat_b", "mean", 130);
    s_publish_window (env, "lat_c", "p95", 100);
    s_publish_window (env, "rt_one", "p50", 60);
    s_publish_window (env, "rt_two", "max", 150);
    s_publish_window_x (env, "lat_dup", "mean", 70, 2);

    //  Results in any order, placed by task id
    hl_msg_t *results[6] = { NULL };
    for (int i = 0; i < 6; i++) {
        hl_msg_t *any = s_recv_within (env, HL_MSG_RESULT, RESULT_MS);
        uint64_t id = hl_msg_task_id (any);
        assert_true (id >= a && id <= f && !results[id - a]);
        results[id - a] = any;
    }
    hl_msg_t *result = results[0];
    assert_string_equal (s_verdict (result), "improved");
    assert_string_equal (hl_value_get_str (hl_msg_data (result), "action", ""),
                         "enable_cache");
    const hl_value_t *out = s_out (result, 0);
    assert_string_equal (hl_value_get_str (out, "name", ""), "lat_a");
    assert_string_equal (hl_value_get_str (out, "verdict", ""), "improved");
    assert_true (s_num (out, "p_value") < 0.05);
    assert_float_equal (s_num (out, "shift"), -30, 2);
    assert_true (s_num (out, "ci_high") < 0);
    assert_float_equal (s_num (out, "effect"), -0.3, 0.02);
    assert_int_equal (hl_value_get_int (out, "n_before", 0), 30);
    assert_int_equal (hl_value_get_int (out, "n_after", 0), AFTER_N);
    assert_float_equal (s_num (out, "median_before"), 100, 3);
    assert_float_equal (s_num (out, "median_after"), 70, 3);
    hl_msg_destroy (&result);

    result = results[b - a];
    assert_string_equal (s_verdict (result), "regressed");
    out = s_out (result, 0);
    assert_true (s_num (out, "shift") > 0);
    assert_true (s_num (out, "p_value") < 0.05);
    hl_msg_destroy (&result);

    result = results[c - a];
    assert_string_equal (s_verdict (result), "unchanged");
    out = s_out (result, 0);
    assert_int_equal (hl_value_get_int (out, "n_after", 0), AFTER_N);
    assert_float_equal (s_num (out, "median_after"), 100, 3);
    hl_msg_destroy (&result);

    //  The same seconds of lat_a, where higher is better
    result = results[d - a];
    assert_string_equal (s_verdict (result), "regressed");
    assert_int_equal (hl_value_get_int (s_out (result, 0), "n_after", 0),
                      AFTER_N);
    assert_int_equal (hl_value_get_int (s_out (result, 0), "duplicates", -1),
                      0);
    hl_msg_destroy (&result);

    result = results[e - a];
    assert_string_equal (s_verdict (result), "regressed");
    assert_string_equal (hl_value_get_str (s_out (result, 0), "verdict", ""),
                         "improved");
    assert_string_equal (hl_value_get_str (s_out (result, 1), "verdict", ""),
                         "regressed");
    hl_msg_destroy (&result);

    //  The repeats neither added points nor replaced the first ones
    result = results[f - a];
    assert_string_equal (s_verdict (result), "improved");
    out = s_out (result, 0);
    assert_int_equal (hl_value_get_int (out, "n_after", 0), AFTER_N);
    assert_int_equal (hl_value_get_int (out, "duplicates", 0), 2 * AFTER_N);
    assert_float_equal (s_num (out, "median_after"), 70, 3);
    hl_msg_destroy (&result);

    //  Every subscription went with the last task that needed it
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        s_wait_wanted (env, names[i], false);
}

//  Nothing published: inconclusive, still ok, and no number made up
static void
test_no_samples (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    uint64_t id
        = s_verify (env, s_args (1, s_metric ("quiet", "lower", NULL), NULL));
    hl_msg_t *result = s_result (env, id);
    assert_string_equal (hl_msg_status (result), "ok");
    assert_string_equal (s_verdict (result), "inconclusive");
    const hl_value_t *out = s_out (result, 0);
    assert_string_equal (hl_value_get_str (out, "verdict", ""), "inconclusive");
    assert_int_equal (hl_value_get_int (out, "n_after", -1), 0);
    assert_int_equal (hl_value_type (hl_value_get (out, "p_value")),
                      HL_VALUE_NIL);
    assert_int_equal (hl_value_type (hl_value_get (out, "median_after")),
                      HL_VALUE_NIL);
    hl_msg_destroy (&result);
}

static void
test_cancel (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    hl_value_t *args = s_args (2, s_metric ("gone", "lower", NULL), NULL);
    hl_value_set_int (args, "settle_s", 1);
    uint64_t id = s_verify (env, args);
    s_wait_wanted (env, "gone", true);
    hl_msg_t *cancel = hl_msg_new (HL_MSG_CANCEL);
    hl_msg_set_task_id (cancel, id);
    s_send (env, cancel);
    hl_msg_t *result = s_recv_within (env, HL_MSG_RESULT, WAIT_MS);
    assert_int_equal (hl_msg_task_id (result), id);
    assert_string_equal (hl_msg_status (result), "cancelled");
    hl_msg_destroy (&result);
    s_wait_wanted (env, "gone", false);
    hl_agent_stats_t stats;
    assert_int_equal (hl_agent_actor_stats (env->actor, &stats), 0);
    assert_int_equal (stats.inflight, 0);
    assert_int_equal (stats.cancelled, 1);
}

static void
s_assert_rejected (s_env_t *env, hl_value_t *args, const char *why)
{
    uint64_t id = s_verify (env, args);
    hl_msg_t *result = s_recv_within (env, HL_MSG_RESULT, WAIT_MS);
    assert_int_equal (hl_msg_task_id (result), id);
    assert_string_equal (hl_msg_status (result), "rejected");
    const char *error = hl_value_get_str (hl_msg_data (result), "error", "");
    if (!strstr (error, why))
        fail_msg ("error '%s' does not say '%s'", error, why);
    hl_msg_destroy (&result);
}

static void
test_bad_args (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_assert_rejected (env, NULL, "args must be a map");
    hl_value_t *args = s_args (2, s_metric ("x", "lower", NULL), NULL);
    hl_value_t *nil = hl_value_new_nil ();
    hl_value_set (args, "action", &nil);
    s_assert_rejected (env, args, "action must be a string");

    args = s_args (2, s_metric ("x", "lower", NULL), NULL);
    hl_value_set_int (args, "settle_s", 3601);
    s_assert_rejected (env, args, "settle_s must be a number in 0..3600");
    args = s_args (0, s_metric ("x", "lower", NULL), NULL);
    s_assert_rejected (env, args, "window_s must be a number in 1..3600");
    args = s_args (2, s_metric ("x", "lower", "p99"), NULL);
    s_assert_rejected (env, args, "metrics[0].stat must be one of");
    args = s_args (2, s_metric ("x", "sideways", NULL), NULL);
    s_assert_rejected (env, args, "metrics[0].better must be");
    args = s_args (2, s_metric ("x", "lower", NULL),
                   s_metric ("x", "higher", NULL));
    s_assert_rejected (env, args, "metrics[1].name repeats metrics[0]");

    //  A baseline value that is not a number
    hl_value_t *metric = s_metric ("x", "lower", NULL);
    hl_value_t *baseline = hl_value_new_array ();
    hl_value_t *v = hl_value_new_double (1);
    hl_value_append (baseline, &v);
    v = hl_value_new_str ("2");
    hl_value_append (baseline, &v);
    hl_value_set (metric, "baseline", &baseline);
    s_assert_rejected (env, s_args (2, metric, NULL),
                       "metrics[0].baseline[1] must be a finite number");

    //  33 metrics
    args = s_args (2, s_metric ("m0", "lower", NULL), NULL);
    hl_value_t *list = hl_value_dup (hl_value_get (args, "metrics"));
    for (int i = 1; i < 33; i++) {
        char name[16];
        snprintf (name, sizeof name, "m%d", i);
        hl_value_t *m = s_metric (name, "lower", NULL);
        hl_value_append (list, &m);
    }
    hl_value_set (args, "metrics", &list);
    s_assert_rejected (env, args, "metrics must be an array of 1..32 maps");

    hl_agent_stats_t stats;
    assert_int_equal (hl_agent_actor_stats (env->actor, &stats), 0);
    assert_int_equal (stats.rejected, 9);
    assert_int_equal (stats.inflight, 0);
}

int
main (void)
{
    hl_log_init ("test", HL_LOG_ERROR, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_verdicts, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_samples, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cancel, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_args, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
