/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_prometheus - the analyze kind through a real agent runtime in
    a zactor, against a ROUTER this test binds as the master, with a
    config (in a mkdtemp() folder) of two metrics and three actions:
    trends, forecasts, anomalies, severities, recommendations, bad args.
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
#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"
#include "fake_master.h"

#define WAIT_MS 5000 //  the longest any answer may take
#define T0 1700000000000000LL

static const char *s_config_text
    = "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; unit = \"ms\";\n"
      "    better = \"lower\"; stat = \"p95\"; target = 100.0;\n"
      "    critical = 500.0; },\n"
      "  { name = \"hit_rate\"; category = \"backend\"; unit = \"%\";\n"
      "    better = \"higher\"; stat = \"mean\"; target = 90.0;\n"
      "    critical = 50.0; } );\n"
      "actions = (\n"
      "  { name = \"cache\"; swarm = \"backend\";\n"
      "    improves = [ \"latency\", \"hit_rate\" ];\n"
      "    apply = \"true\"; rollback = \"true\"; expected = 0.25; },\n"
      "  { name = \"pool\"; swarm = \"backend\"; improves = [ \"latency\" ];\n"
      "    apply = \"true\"; rollback = \"true\"; expected = 0.4; },\n"
      "  { name = \"cdn\"; swarm = \"frontend\"; improves = [ \"hit_rate\" ];\n"
      "    apply = \"true\"; rollback = \"true\"; expected = 0.1; } );\n";

typedef struct {
    char dir[64];
    char path[128];
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
s_recv (s_env_t *env, hl_msg_type_t type)
{
    hl_msg_t *found = fake_master_recv (env->router, env->peer, &env->peer_len,
                                        type, WAIT_MS, false, NULL);
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
    snprintf (env->dir, sizeof env->dir, "/tmp/hl_prometheus.XXXXXX");
    assert_non_null (mkdtemp (env->dir));
    snprintf (env->path, sizeof env->path, "%s/helios.cfg", env->dir);
    FILE *file = fopen (env->path, "w");
    assert_non_null (file);
    assert_true (fputs (s_config_text, file) >= 0);
    assert_int_equal (fclose (file), 0);
    char err[256];
    env->config = hl_config_load (env->path, err, sizeof err);
    assert_non_null (env->config);

    env->router = hl_sock_bind (ZMQ_ROUTER, "tcp://127.0.0.1:*", NULL,
                                env->endpoint, sizeof env->endpoint);
    assert_non_null (env->router);
    hl_agent_opts_t opts = { .role = "prometheus-backend",
                             .endpoint = env->endpoint,
                             .name = "tester",
                             .capacity = 1,
                             .backoff_min_ms = 100,
                             .backoff_max_ms = 400 };
    env->agent = hl_agent_new (env->config, &opts, err, sizeof err);
    assert_non_null (env->agent);
    env->actor = zactor_new (hl_agent_actor, env->agent);
    assert_non_null (env->actor);
    hl_msg_t *hello = s_recv (env, HL_MSG_HELLO);
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
    assert_int_equal (unlink (env->path), 0);
    assert_int_equal (rmdir (env->dir), 0);
    free (env);
    return 0;
}

//  Send an analyze task (args taken) and return its result
static hl_msg_t *
s_analyze (s_env_t *env, hl_value_t *args)
{
    hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
    uint64_t task_id = env->next_task_id++;
    hl_msg_set_task_id (task, task_id);
    hl_msg_set_kind (task, "analyze");
    hl_msg_set_priority (task, 2);
    hl_msg_set_attempt (task, 1);
    if (args)
        hl_msg_set_args (task, &args);
    s_send (env, task);
    hl_msg_t *result = s_recv (env, HL_MSG_RESULT);
    assert_int_equal (hl_msg_task_id (result), task_id);
    return result;
}

//  n points one second apart ending at T0; value i from a line plus a
//  small repeating ripple, and from jump on for the last tail points
static hl_value_t *
s_series (size_t n, double start, double slope, double ripple, size_t tail,
          double jump)
{
    hl_value_t *series = hl_value_new_array ();
    for (size_t i = 0; i < n; i++) {
        hl_value_t *point = hl_value_new_array ();
        hl_value_t *ts = hl_value_new_int (T0 - (int64_t)(n - 1 - i) * 1000000);
        double v = start + slope * (double)i
                   + ripple * (double)((int)(i * 7 % 5) - 2);
        if (i >= n - tail)
            v += jump;
        hl_value_t *value = hl_value_new_double (v);
        hl_value_append (point, &ts);
        hl_value_append (point, &value);
        hl_value_append (series, &point);
    }
    return series;
}

static hl_value_t *
s_metric (const char *name, const char *better, double target, double critical,
          hl_value_t *series)
{
    hl_value_t *metric = hl_value_new_map ();
    hl_value_set_str (metric, "name", name);
    hl_value_set_str (metric, "better", better);
    hl_value_set_double (metric, "target", target);
    hl_value_set_double (metric, "critical", critical);
    if (series)
        hl_value_set (metric, "series", &series);
    return metric;
}

//  Args of the given metrics (taken), then horizon_s if > 0
static hl_value_t *
s_args (double horizon_s, hl_value_t *m1, hl_value_t *m2)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_t *list = hl_value_new_array ();
    hl_value_append (list, &m1);
    if (m2)
        hl_value_append (list, &m2);
    hl_value_set (args, "metrics", &list);
    if (horizon_s > 0)
        hl_value_set_double (args, "horizon_s", horizon_s);
    return args;
}

static const hl_value_t *
s_out (const hl_msg_t *result, size_t i)
{
    assert_string_equal (hl_msg_status (result), "ok");
    const hl_value_t *metrics = hl_value_get (hl_msg_data (result), "metrics");
    assert_non_null (hl_value_at (metrics, i));
    return hl_value_at (metrics, i);
}

static double
s_num (const hl_value_t *out, const char *key)
{
    return hl_value_get_double (out, key, NAN);
}

static bool
s_is_nil (const hl_value_t *out, const char *key)
{
    const hl_value_t *v = hl_value_get (out, key);
    return v && hl_value_type (v) == HL_VALUE_NIL;
}

static void
s_assert_names (const hl_value_t *out, const char *first, const char *second)
{
    const hl_value_t *names = hl_value_get (out, "recommendations");
    assert_int_equal (hl_value_size (names), second ? 2 : first ? 1 : 0);
    if (first)
        assert_string_equal (hl_value_str (hl_value_at (names, 0), NULL),
                             first);
    if (second)
        assert_string_equal (hl_value_str (hl_value_at (names, 1), NULL),
                             second);
}

//  A rising line: slope, forecast to critical, level and recommendations
static void
test_trend (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    //  100 + 0.05/s: 180 per hour, 129.95 at the end, 500 in 7401 s
    hl_value_t *args = s_args (3600,
                               s_metric ("latency", "lower", 100, 500,
                                         s_series (600, 100, 0.05, 0.1, 0, 0)),
                               NULL);
    hl_msg_t *result = s_analyze (env, args);
    const hl_value_t *out = s_out (result, 0);
    assert_string_equal (hl_value_get_str (out, "name", ""), "latency");
    assert_int_equal (hl_value_get_int (out, "n", 0), 600);
    assert_string_equal (hl_value_get_str (out, "trend_method", ""),
                         "theil-sen");
    assert_float_equal (s_num (out, "trend_per_hour"), 180, 1);
    assert_float_equal (s_num (out, "mean"), 114.975, 0.1);
    assert_float_equal (s_num (out, "last"), 130.05, 1e-9);
    assert_float_equal (s_num (out, "breach_in_s"), 7401, 20);
    assert_true (s_is_nil (out, "target_in_s"));
    assert_true (fabs (s_num (out, "anomaly_z")) < 3.5);
    //  Score 92.5, and the breach is past the horizon
    assert_string_equal (hl_value_get_str (out, "severity", ""), "low");
    s_assert_names (out, "pool", "cache");
    hl_msg_destroy (&result);

    //  A longer horizon sees the breach coming: one step up
    args = s_args (10000,
                   s_metric ("latency", "lower", 100, 500,
                             s_series (600, 100, 0.05, 0.1, 0, 0)),
                   NULL);
    result = s_analyze (env, args);
    out = s_out (result, 0);
    assert_string_equal (hl_value_get_str (out, "severity", ""), "medium");
    hl_msg_destroy (&result);
}

//  Higher is better and falling: the breach within the horizon; lower is
//  better and falling towards target; already beyond critical
static void
test_breach (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    //  80 - 0.01/s: 74.01 at the end, 50 in 2401 s
    hl_value_t *args
        = s_args (3600,
                  s_metric ("hit_rate", "higher", 90, 50,
                            s_series (600, 80, -0.01, 0, 0, 0)),
                  s_metric ("latency", "lower", 100, 500,
                            s_series (600, 200, -0.02, 0.05, 0, 0)));
    hl_msg_t *result = s_analyze (env, args);
    const hl_value_t *out = s_out (result, 0);
    assert_float_equal (s_num (out, "trend_per_hour"), -36, 0.01);
    assert_float_equal (s_num (out, "breach_in_s"), 2401, 1);
    assert_true (s_is_nil (out, "target_in_s"));
    //  Score 60 is medium; the breach within the hour makes it high
    assert_string_equal (hl_value_get_str (out, "severity", ""), "high");
    s_assert_names (out, "cache", "cdn");
    //  200 - 0.02/s: 188.02 at the end, target 100 in 4401 s
    out = s_out (result, 1);
    assert_float_equal (s_num (out, "target_in_s"), 4401, 15);
    assert_true (s_is_nil (out, "breach_in_s"));
    hl_msg_destroy (&result);

    args = s_args (0,
                   s_metric ("latency", "lower", 100, 500,
                             s_series (100, 600, 0.5, 0, 0, 0)),
                   NULL);
    result = s_analyze (env, args);
    out = s_out (result, 0);
    assert_float_equal (s_num (out, "breach_in_s"), 0, 0);
    assert_string_equal (hl_value_get_str (out, "severity", ""), "critical");
    hl_msg_destroy (&result);
}

//  Flat and on target: nothing coming, nothing to do
static void
test_flat (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    hl_value_t *args = s_args (
        3600,
        s_metric ("latency", "lower", 100, 500, s_series (300, 80, 0, 0, 0, 0)),
        NULL);
    hl_msg_t *result = s_analyze (env, args);
    const hl_value_t *out = s_out (result, 0);
    assert_float_equal (s_num (out, "trend_per_hour"), 0, 0);
    assert_true (s_is_nil (out, "breach_in_s"));
    assert_float_equal (s_num (out, "target_in_s"), 0, 0);
    assert_float_equal (s_num (out, "anomaly_z"), 0, 0);
    assert_float_equal (s_num (out, "p95"), 80, 0);
    assert_string_equal (hl_value_get_str (out, "severity", ""), "ok");
    s_assert_names (out, NULL, NULL);
    hl_msg_destroy (&result);
}

//  The last minute jumps: a large z, one step more severe than the same
//  level without the jump
static void
test_anomaly (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    hl_value_t *args = s_args (3600,
                               s_metric ("latency", "lower", 100, 500,
                                         s_series (600, 150, 0, 2, 60, 140)),
                               s_metric ("latency", "lower", 100, 500,
                                         s_series (600, 290, 0, 2, 0, 0)));
    hl_msg_t *result = s_analyze (env, args);
    const hl_value_t *out = s_out (result, 0);
    assert_true (s_num (out, "anomaly_z") >= 3.5);
    assert_float_equal (s_num (out, "last"), 292, 1e-9);
    assert_string_equal (hl_value_get_str (out, "severity", ""), "high");
    s_assert_names (out, "pool", "cache");
    out = s_out (result, 1);
    assert_true (fabs (s_num (out, "anomaly_z")) < 3.5);
    assert_string_equal (hl_value_get_str (out, "severity", ""), "medium");
    hl_msg_destroy (&result);
}

static void
s_assert_rejected (s_env_t *env, hl_value_t *args, const char *why)
{
    hl_msg_t *result = s_analyze (env, args);
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
    s_assert_rejected (env, hl_value_new_map (), "metrics must be an array");
    s_assert_rejected (
        env, s_args (0, s_metric ("latency", "lower", 100, 500, NULL), NULL),
        "metrics[0].series must be an array");

    //  A point that is not a pair of numbers, or not finite
    hl_value_t *series = s_series (10, 1, 0, 0, 0, 0);
    hl_value_t *point = hl_value_new_array ();
    hl_value_t *ts = hl_value_new_int (T0 + 1000000);
    hl_value_t *text = hl_value_new_str ("high");
    hl_value_append (point, &ts);
    hl_value_append (point, &text);
    hl_value_append (series, &point);
    s_assert_rejected (
        env,
        s_args (0,
                s_metric ("hit_rate", "higher", 90, 50,
                          s_series (5, 1, 0, 0, 0, 0)),
                s_metric ("latency", "lower", 100, 500, series)),
        "metrics[1].series[10] must be a pair of finite numbers");
    series = s_series (3, 1, 0, 0, 0, 0);
    point = hl_value_new_array ();
    ts = hl_value_new_int (T0 + 1000000);
    hl_value_t *nan = hl_value_new_double (NAN);
    hl_value_append (point, &ts);
    hl_value_append (point, &nan);
    hl_value_append (series, &point);
    s_assert_rejected (
        env, s_args (0, s_metric ("latency", "lower", 100, 500, series), NULL),
        "metrics[0].series[3] must be a pair");

    //  Target on the wrong side of critical, a bad direction
    s_assert_rejected (env,
                       s_args (0,
                               s_metric ("latency", "lower", 500, 100,
                                         s_series (3, 1, 0, 0, 0, 0)),
                               NULL),
                       "target must be better than critical");
    s_assert_rejected (env,
                       s_args (0,
                               s_metric ("latency", "up", 100, 500,
                                         s_series (3, 1, 0, 0, 0, 0)),
                               NULL),
                       "better must be");

    //  64 metrics are fine, 65 too many
    hl_value_t *args = hl_value_new_map ();
    hl_value_t *list = hl_value_new_array ();
    for (int i = 0; i < 64; i++) {
        hl_value_t *m = s_metric ("latency", "lower", 100, 500,
                                  s_series (2, 1, 0, 0, 0, 0));
        hl_value_append (list, &m);
    }
    hl_value_t *copy = hl_value_dup (list);
    hl_value_set (args, "metrics", &list);
    hl_msg_t *result = s_analyze (env, args);
    assert_string_equal (hl_msg_status (result), "ok");
    hl_msg_destroy (&result);
    hl_value_t *m
        = s_metric ("latency", "lower", 100, 500, s_series (2, 1, 0, 0, 0, 0));
    hl_value_append (copy, &m);
    args = hl_value_new_map ();
    hl_value_set (args, "metrics", &copy);
    s_assert_rejected (env, args, "metrics must be an array of 1..64 maps");

    args = s_args (
        -1,
        s_metric ("latency", "lower", 100, 500, s_series (3, 1, 0, 0, 0, 0)),
        NULL);
    hl_value_set_str (args, "interval_s", "60");
    s_assert_rejected (env, args, "interval_s must be a number");
}

int
main (void)
{
    hl_log_init ("test", HL_LOG_ERROR, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_trend, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_breach, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_flat, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_anomaly, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_args, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
