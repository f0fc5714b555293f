/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_config - defaults, a full valid file, deploy/helios.cfg, and
    one case per kind of bad input, each refused with the exact
    "file:line:" of the offending setting and a reason that says why.
    Test files live in a mkdtemp() folder removed at the end
    (config_env.h). The sections of their own modules are tested beside
    it: test_hl_config_io, test_hl_config_guard, test_hl_config_node.
*/
#include <float.h>
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

#include "config_env.h"

static void
test_defaults (void **state)
{
    (void)state;
    hl_config_t *config = hl_config_new_default ();
    assert_non_null (config);
    assert_string_equal (hl_config_path (config), "");

    const hl_config_master_t *master = hl_config_master (config);
    assert_string_equal (master->tasks, "tcp://*:7701");
    assert_string_equal (master->control, "tcp://127.0.0.1:7702");
    assert_string_equal (master->bus_in, "tcp://*:7703");
    assert_string_equal (master->bus_out, "tcp://*:7704");
    assert_string_equal (master->http, "127.0.0.1:7780");
    assert_string_equal (master->statsd, "127.0.0.1:8125");
    assert_string_equal (master->state_dir, "var/helios");
    assert_int_equal (master->heartbeat_ms, 1000);
    assert_int_equal (master->liveness, 3);
    assert_int_equal (master->heartbeat_rate, 750);
    assert_string_equal (master->log_level, "notice");

    assert_string_equal (hl_config_agent (config)->state_dir,
                         "var/helios/agents");

    const hl_config_connect_t *connect = hl_config_connect (config);
    assert_string_equal (connect->tasks, "tcp://127.0.0.1:7701");
    assert_string_equal (connect->control, "tcp://127.0.0.1:7702");
    assert_string_equal (connect->bus_in, "tcp://127.0.0.1:7703");
    assert_string_equal (connect->bus_out, "tcp://127.0.0.1:7704");
    assert_int_equal (connect->capacity, 4);

    const hl_config_limits_t *limits = hl_config_limits (config);
    assert_int_equal (limits->decode.max_msg_size, HL_MSG_MAX_SIZE);
    assert_int_equal (limits->decode.max_str, HL_MAX_STR);
    assert_int_equal (limits->decode.max_items, HL_MAX_ITEMS);
    assert_int_equal (limits->decode.max_depth, HL_MAX_DEPTH);
    assert_int_equal (limits->sndhwm, HL_HWM_DEFAULT);
    assert_int_equal (limits->rcvhwm, HL_HWM_DEFAULT);
    assert_int_equal (limits->linger_ms, 0);
    assert_int_equal (limits->queue_bytes, HL_QUEUE_BYTES);
    assert_int_equal (limits->queue_ttl_ms, HL_QUEUE_TTL_MS);

    const hl_config_cycle_t *cycle = hl_config_cycle (config);
    assert_int_equal (cycle->duration, 300);
    assert_int_equal (cycle->max_concurrent, 4);
    assert_int_equal (cycle->cooldown, 60);
    assert_int_equal (cycle->settle, 30);
    assert_int_equal (cycle->verify_window, 60);
    assert_false (cycle->keep_unproven);
    assert_true (cycle->seed == 0);

    assert_true (hl_config_emergency (config)->threshold == 50);
    assert_int_equal (hl_config_emergency (config)->max_issues, 3);
    assert_string_equal (hl_config_emergency (config)->notify, "");
    assert_true (hl_config_health (config)->target == 85);
    assert_int_equal (hl_config_health (config)->window, 60);

    assert_int_equal (hl_config_metrics_size (config), 0);
    assert_int_equal (hl_config_actions_size (config), 0);
    assert_null (hl_config_metric (config, 0));
    assert_null (hl_config_metric_find (config, "x"));
    assert_null (hl_config_action (config, 0));
    assert_null (hl_config_action_find (config, "x"));

    hl_config_destroy (&config);
    assert_null (config);
    hl_config_destroy (&config); // NULL is accepted
}

static void
test_connect_endpoint (void **state)
{
    (void)state;
    char out[HL_CONFIG_ENDPOINT];
    assert_int_equal (
        hl_config_connect_endpoint ("tcp://*:7701", out, sizeof out), 0);
    assert_string_equal (out, "tcp://127.0.0.1:7701");
    assert_int_equal (
        hl_config_connect_endpoint ("tcp://0.0.0.0:9", out, sizeof out), 0);
    assert_string_equal (out, "tcp://127.0.0.1:9");
    assert_int_equal (
        hl_config_connect_endpoint ("tcp://10.1.2.3:9", out, sizeof out), 0);
    assert_string_equal (out, "tcp://10.1.2.3:9");
    assert_int_equal (
        hl_config_connect_endpoint ("ipc:///tmp/x", out, sizeof out), 0);
    assert_string_equal (out, "ipc:///tmp/x");
    assert_int_equal (
        hl_config_connect_endpoint ("inproc://*", out, sizeof out), 0);
    assert_string_equal (out, "inproc://*");

    //  "tcp://127.0.0.1:1" is 17 bytes: it fits in 18, not in 17
    char small[18];
    assert_int_equal (hl_config_connect_endpoint ("tcp://*:1", small, 18), 0);
    assert_string_equal (small, "tcp://127.0.0.1:1");
    assert_int_equal (hl_config_connect_endpoint ("tcp://*:1", small, 17), -1);
    assert_string_equal (small, "");
    assert_int_equal (hl_config_connect_endpoint (NULL, out, sizeof out), -1);
    assert_int_equal (hl_config_connect_endpoint ("tcp://*:1", out, 0), -1);
}

static const char s_full[]
    = "# every section, with values unlike the defaults\n"
      "master = { tasks = \"tcp://0.0.0.0:9701\"; control = \"ipc:///tmp/c\";\n"
      "  bus_in = \"tcp://*:9703\"; bus_out = \"inproc://out\";\n"
      "  http = \"\"; statsd = \"[::1]:9125\"; state_dir = \"/var/lib/h\";\n"
      "  heartbeat_ms = 10; liveness = 100; log_level = \"debug\";\n"
      "  heartbeat_rate = 0;\n"
      "  x_comment = \"extensions pass\"; };\n"
      "connect = { bus_out = \"tcp://10.0.0.1:9704\"; capacity = 1024; };\n"
      "limits = { max_msg_size = 65536; max_str = 0; max_items = 16384;\n"
      "  max_depth = 8; sndhwm = 500; rcvhwm = 600; linger_ms = 250;\n"
      "  queue_bytes = 1048576; queue_ttl_ms = 1000; };\n"
      "cycle = { duration = 1; max_concurrent = 64; cooldown = 0;\n"
      "  settle = 0; verify_window = 1; keep_unproven = true;\n"
      "  seed = 42; };\n"
      "emergency = { threshold = 40.5; max_issues = 100;\n"
      "  notify = \"logger -t helios\"; };\n"
      "health = { target = 90; window = 30; };\n"
      "x_demo = { anything = 1; };\n"
      "metrics = (\n"
      "  { name = \"api_response_time\"; category = \"backend\"; unit = "
      "\"ms\";\n"
      "    better = \"lower\"; stat = \"p95\"; target = 200; critical = "
      "1000.5;\n"
      "    weight = 2; key = true; },\n"
      "  { name = \"redis.cache:hit-ratio\"; category = \"business\";\n"
      "    better = \"higher\"; target = 0.9; critical = 0.5; }\n"
      ");\n"
      "actions = (\n"
      "  { name = \"tune_db_pool\"; swarm = \"backend\";\n"
      "    improves = [ \"api_response_time\", \"redis.cache:hit-ratio\" ];\n"
      "    resources = [ \"db.pool\" ]; apply = \"set $HELIOS_PARAM_SIZE\";\n"
      "    rollback = \"reset\"; timeout = 3600; cost = 0; expected = 2;\n"
      "    params = (\n"
      "      { name = \"size\"; type = \"int\"; min = 4; max = 256;\n"
      "        required = true; default = 32; },\n"
      "      { name = \"ratio_2\"; type = \"float\"; min = 0; max = 1.5;\n"
      "        default = 0.25; },\n"
      "      { name = \"mode\"; type = \"str\"; pattern = \"fast|slow\";\n"
      "        default = \"slow\"; },\n"
      "      { name = \"tag\"; type = \"str\"; }\n"
      "    ); },\n"
      "  { name = \"noop\"; swarm = \"frontend\";\n"
      "    improves = [ \"api_response_time\" ]; }\n"
      ");\n";

static void
test_full_file (void **state)
{
    (void)state;
    char path[512], err[512];
    s_write ("full.cfg", s_full, path, sizeof path);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    if (!config)
        fail_msg ("%s", err);
    assert_string_equal (hl_config_path (config), path);

    const hl_config_master_t *master = hl_config_master (config);
    assert_string_equal (master->tasks, "tcp://0.0.0.0:9701");
    assert_string_equal (master->control, "ipc:///tmp/c");
    assert_string_equal (master->http, "");
    assert_string_equal (master->statsd, "[::1]:9125");
    assert_string_equal (master->state_dir, "/var/lib/h");
    //  Unset, the agents' state_dir follows the master's
    assert_string_equal (hl_config_agent (config)->state_dir,
                         "/var/lib/h/agents");
    assert_int_equal (master->heartbeat_ms, 10);
    assert_int_equal (master->liveness, 100);
    assert_int_equal (master->heartbeat_rate, 0);
    assert_string_equal (master->log_level, "debug");

    //  Unset connect endpoints follow the master's binds
    const hl_config_connect_t *connect = hl_config_connect (config);
    assert_string_equal (connect->tasks, "tcp://127.0.0.1:9701");
    assert_string_equal (connect->control, "ipc:///tmp/c");
    assert_string_equal (connect->bus_in, "tcp://127.0.0.1:9703");
    assert_string_equal (connect->bus_out, "tcp://10.0.0.1:9704");
    assert_int_equal (connect->capacity, 1024);

    const hl_config_limits_t *limits = hl_config_limits (config);
    assert_int_equal (limits->decode.max_msg_size, 65536);
    assert_int_equal (limits->decode.max_str, HL_MAX_STR); // 0 = ceiling
    assert_int_equal (limits->decode.max_items, HL_MAX_ITEMS);
    assert_int_equal (limits->decode.max_depth, 8);
    assert_int_equal (limits->sndhwm, 500);
    assert_int_equal (limits->rcvhwm, 600);
    assert_int_equal (limits->linger_ms, 250);
    assert_int_equal (limits->queue_bytes, 1048576);
    assert_int_equal (limits->queue_ttl_ms, 1000);

    const hl_config_cycle_t *cycle = hl_config_cycle (config);
    assert_int_equal (cycle->duration, 1);
    assert_int_equal (cycle->max_concurrent, 64);
    assert_int_equal (cycle->cooldown, 0);
    assert_int_equal (cycle->settle, 0);
    assert_int_equal (cycle->verify_window, 1);
    assert_true (cycle->keep_unproven);
    assert_true (cycle->seed == 42);
    assert_true (hl_config_emergency (config)->threshold == 40.5);
    assert_int_equal (hl_config_emergency (config)->max_issues, 100);
    assert_string_equal (hl_config_emergency (config)->notify,
                         "logger -t helios");
    assert_true (hl_config_health (config)->target == 90); // int accepted
    assert_int_equal (hl_config_health (config)->window, 30);

    assert_int_equal (hl_config_metrics_size (config), 2);
    const hl_config_metric_t *m = hl_config_metric (config, 0);
    assert_string_equal (m->name, "api_response_time");
    assert_int_equal (m->category, HL_CATEGORY_BACKEND);
    assert_string_equal (m->unit, "ms");
    assert_int_equal (m->better, HL_BETTER_LOWER);
    assert_string_equal (m->stat, "p95");
    assert_true (m->target == 200 && m->critical == 1000.5);
    assert_true (m->weight == 2.0 && m->key);
    m = hl_config_metric_find (config, "redis.cache:hit-ratio");
    assert_ptr_equal (m, hl_config_metric (config, 1));
    assert_int_equal (m->better, HL_BETTER_HIGHER);
    assert_string_equal (m->unit, "");
    assert_string_equal (m->stat, "mean");
    assert_true (m->weight == 1.0 && !m->key);

    assert_int_equal (hl_config_actions_size (config), 2);
    const hl_config_action_t *a
        = hl_config_action_find (config, "tune_db_pool");
    assert_ptr_equal (a, hl_config_action (config, 0));
    assert_int_equal (a->swarm, HL_SWARM_BACKEND);
    assert_int_equal (a->improves_n, 2);
    assert_string_equal (a->improves[1], "redis.cache:hit-ratio");
    assert_int_equal (a->resources_n, 1);
    assert_string_equal (a->resources[0], "db.pool");
    assert_string_equal (a->apply, "set $HELIOS_PARAM_SIZE");
    assert_string_equal (a->rollback, "reset");
    assert_int_equal (a->timeout, 3600);
    assert_true (a->cost == 0 && a->expected == 2);
    assert_int_equal (a->params_n, 4);
    assert_string_equal (a->params[0].name, "size");
    assert_int_equal (a->params[0].type, HL_PARAM_INT);
    assert_true (a->params[0].min == 4 && a->params[0].max == 256);
    assert_true (a->params[0].required);
    assert_string_equal (a->params[0].fallback, "32");
    assert_int_equal (a->params[1].type, HL_PARAM_FLOAT);
    assert_true (a->params[1].max == 1.5);
    assert_string_equal (a->params[1].fallback, "0.25");
    assert_false (a->params[1].required);
    assert_int_equal (a->params[2].type, HL_PARAM_STR);
    assert_string_equal (a->params[2].pattern, "fast|slow");
    assert_string_equal (a->params[2].fallback, "slow");
    assert_string_equal (a->params[3].pattern, "");
    assert_string_equal (a->params[3].fallback, "");

    a = hl_config_action (config, 1);
    assert_string_equal (a->name, "noop");
    assert_int_equal (a->resources_n, 0);
    assert_string_equal (a->apply, "");
    assert_string_equal (a->rollback, "");
    assert_int_equal (a->timeout, 30);
    assert_true (a->cost == 1.0 && a->expected == 0.1);
    assert_int_equal (a->params_n, 0);
    assert_null (hl_config_action (config, 2));

    hl_config_destroy (&config);
    assert_int_equal (unlink (path), 0);
}

//  The shipped default file: tests run from the repository root, as make
//  runs them
static void
test_deploy_file (void **state)
{
    (void)state;
    char err[512];
    hl_config_t *config = hl_config_load ("deploy/helios.cfg", err, sizeof err);
    if (!config)
        fail_msg ("%s", err);
    static const char *kpis[]
        = { "chat_response_time",   "ui_interaction_lag", "message_render_time",
            "prompt_feed_refresh",  "api_response_time",  "redis_cache_hit",
            "websocket_throughput", "report_generation",  "user_retention_24h",
            "messages_per_session", "session_duration",   "optimization_roi" };
    assert_int_equal (hl_config_metrics_size (config), 12);
    size_t keys = 0;
    for (size_t i = 0; i < 12; i++) {
        const hl_config_metric_t *m = hl_config_metric_find (config, kpis[i]);
        if (!m)
            fail_msg ("metric %s missing", kpis[i]);
        else
            keys += m->key;
    }
    assert_true (keys >= 2 && keys <= 3);
    const hl_config_metric_t *api
        = hl_config_metric_find (config, "api_response_time");
    assert_true (api->target == 200 && api->critical == 1000);
    assert_true (api->weight == 2 && api->key);
    assert_string_equal (api->stat, "p95");

    assert_string_equal (hl_config_agent (config)->state_dir,
                         "var/helios/agents");

    assert_true (hl_config_actions_size (config) >= 8);
    size_t frontend = 0, backend = 0;
    for (size_t i = 0; i < hl_config_actions_size (config); i++) {
        const hl_config_action_t *a = hl_config_action (config, i);
        frontend += a->swarm == HL_SWARM_FRONTEND;
        backend += a->swarm == HL_SWARM_BACKEND;
        assert_non_null (strstr (a->apply, "helios-demo set "));
        assert_non_null (strstr (a->rollback, "helios-demo set "));
    }
    assert_true (frontend >= 3 && backend >= 3);
    assert_non_null (hl_config_action_find (config, "enable_response_cache"));
    assert_non_null (hl_config_action_find (config, "aggressive_gc_tuning"));
    const hl_config_action_t *pool
        = hl_config_action_find (config, "tune_db_pool");
    assert_non_null (pool);
    assert_int_equal (pool->params_n, 1);
    assert_true (pool->params[0].min == 4 && pool->params[0].max == 256);

    const hl_config_cycle_t *cycle = hl_config_cycle (config);
    assert_int_equal (cycle->duration, 20);
    assert_int_equal (cycle->settle, 5);
    assert_int_equal (cycle->verify_window, 10);
    assert_int_equal (cycle->cooldown, 60);

    //  StatsD maps three of the demo's KPIs; no webhook is set
    const hl_config_statsd_t *sd = hl_config_statsd (config);
    assert_int_equal (sd->mapping_n, 3);
    assert_string_equal (sd->mapping[0].metric, "api_response_time");
    assert_true (sd->mapping[1].scale == 100); /* ratio into % */
    assert_int_equal (hl_config_webhooks (config)->urls_n, 0);
    assert_int_equal (hl_config_alerts (config)->trend_interval, 300);
    assert_int_equal (hl_config_summary (config)->every_s, 7 * 86400);
    assert_int_equal (hl_config_summary (config)->horizon_s, 7 * 86400);
    hl_config_destroy (&config);
}

// --------------------------------------------------------------------
// Bad input (config_env.h): each case is a file, the line the error must
// name, and a word the reason must contain

#define METRIC_A                                                               \
    "metrics = ( { name = \"a\"; category = \"backend\";\n"                    \
    "  better = \"lower\"; target = 1; critical = 2; } );\n"

static const bad_case_t s_syntax
    = { "cycle = {\n  duration = ;\n};\n", 2, "syntax error" };
static const bad_case_t s_duplicate_key
    = { "cycle = {\n  duration = 1;\n  duration = 2;\n};\n", 3,
        "duplicate setting" };
static const bad_case_t s_wrong_type_string
    = { "cycle = {\n  duration = \"20\";\n};\n", 2,
        "wrong type: expected an integer, got a string" };
static const bad_case_t s_wrong_type_float
    = { "master = {\n  heartbeat_ms = 1000.0;\n};\n", 2,
        "wrong type: expected an integer, got a float" };
static const bad_case_t s_wrong_type_bool
    = { "cycle = {\n  keep_unproven = 1;\n};\n", 2, "expected a boolean" };
static const bad_case_t s_wrong_type_section
    = { "\ncycle = 5;\n", 2, "expected a group" };
static const bad_case_t s_seed_negative
    = { "cycle = {\n  seed = -1;\n};\n", 2, "-1 out of range" };
static const bad_case_t s_range_low
    = { "master = {\n  liveness = 0;\n};\n", 2, "0 out of range 1..100" };
static const bad_case_t s_range_high
    = { "master = { heartbeat_ms = 60001; };\n", 1, "out of range 10..60000" };
static const bad_case_t s_range_rate
    = { "master = { heartbeat_rate = -1; };\n", 1, "out of range 0..1000000" };
static const bad_case_t s_range_float
    = { "emergency = {\n  threshold = 100.5;\n};\n", 2, "out of range" };
static const bad_case_t s_range_capacity
    = { "connect = {\n\n  capacity = 1025;\n};\n", 3, "out of range 1..1024" };
static const bad_case_t s_unknown_key
    = { "cycle = {\n  duration = 20;\n  setle = 5;\n};\n", 3,
        "cycle.setle: unknown key" };
static const bad_case_t s_unknown_section
    = { "master = { };\n\nmastr = { };\n", 3, "mastr: unknown section" };
static const bad_case_t s_duplicate_metric
    = { "metrics = (\n"
        "  { name = \"a\"; category = \"backend\"; better = \"lower\";\n"
        "    target = 1; critical = 2; },\n"
        "  { category = \"backend\"; better = \"lower\";\n"
        "    name = \"a\"; target = 1; critical = 2; }\n"
        ");\n",
        5, "metrics[1].name: duplicate metric \"a\"" };
static const bad_case_t s_unknown_metric
    = { METRIC_A "actions = ( { name = \"x\"; swarm = \"backend\";\n"
                 "  improves = [ \"a\",\n    \"b\" ]; } );\n",
        5, "actions[0].improves[1]: unknown metric \"b\"" };
static const bad_case_t s_no_improves
    = { METRIC_A "actions = ( { name = \"x\"; swarm = \"backend\";\n"
                 "  improves = [ ]; } );\n",
        4, "at least one metric" };
static const bad_case_t s_duplicate_action
    = { METRIC_A
        "actions = ( { name = \"x\"; swarm = \"backend\";\n"
        "  improves = [ \"a\" ]; },\n"
        "  { name = \"x\"; swarm = \"frontend\"; improves = [ \"a\" ]; } );\n",
        5, "duplicate action" };
static const bad_case_t s_raise_limit
    = { "limits = {\n  max_msg_size = 1048577;\n};\n", 2,
        "cannot raise max_msg_size above 1048576" };
static const bad_case_t s_raise_depth
    = { "limits = {\n  max_depth = 17;\n};\n", 2,
        "cannot raise max_depth above 16" };
static const bad_case_t s_raise_queue_bytes
    = { "limits = {\n  queue_bytes = 67108865;\n};\n", 2,
        "cannot raise queue_bytes above 67108864" };
static const bad_case_t s_queue_ttl_low
    = { "limits = {\n  queue_ttl_ms = 999;\n};\n", 2,
        "out of range 1000..86400000" };
static const bad_case_t s_bad_regex
    = { METRIC_A "actions = ( { name = \"x\"; swarm = \"backend\";\n"
                 "  improves = [ \"a\" ];\n"
                 "  params = ( { name = \"p\"; type = \"str\";\n"
                 "    pattern = \"([a-z\"; } ); } );\n",
        6, "bad regex" };
static const bad_case_t s_bad_default
    = { METRIC_A
        "actions = ( { name = \"x\"; swarm = \"backend\";\n"
        "  improves = [ \"a\" ];\n"
        "  params = ( { name = \"n\"; type = \"int\"; min = 1; max = 9;\n"
        "    default = 10; } ); } );\n",
        6, "default \"10\" does not fit" };
static const bad_case_t s_bad_param_name
    = { METRIC_A "actions = ( { name = \"x\"; swarm = \"backend\";\n"
                 "  improves = [ \"a\" ];\n"
                 "  params = ( { name = \"Size\"; type = \"int\"; } ); } );\n",
        5, "must match [a-z][a-z0-9_]*" };
static const bad_case_t s_bad_param_type
    = { METRIC_A "actions = ( { name = \"x\"; swarm = \"backend\";\n"
                 "  improves = [ \"a\" ];\n"
                 "  params = ( { name = \"n\"; type = \"double\"; } ); } );\n",
        5, "must be one of int, float or str" };
static const bad_case_t s_bad_endpoint
    = { "master = {\n  tasks = \"tcp:/localhost:1\";\n};\n", 2,
        "master.tasks: bad endpoint" };
static const bad_case_t s_bad_connect_endpoint
    = { "connect = {\n  bus_in = \"localhost:7703\";\n};\n", 2,
        "bad endpoint" };
static const bad_case_t s_agent_empty_dir
    = { "agent = {\n  state_dir = \"\";\n};\n", 2,
        "agent.state_dir: must not be empty" };
static const bad_case_t s_agent_unknown_key
    = { "agent = {\n  state = \"x\";\n};\n", 2, "agent.state: unknown key" };
static const bad_case_t s_agent_dir_type
    = { "agent = {\n  state_dir = 5;\n};\n", 2, "expected a string" };

//  agent.state_dir: set, it is taken as it is, whatever master.state_dir
static void
test_agent_section (void **state)
{
    (void)state;
    char path[512], err[512];
    s_write ("agent.cfg",
             "master = { state_dir = \"/srv/m\"; };\n"
             "agent = { state_dir = \"/srv/agents\"; };\n",
             path, sizeof path);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fail_msg ("%s", err);
    assert_string_equal (hl_config_agent (config)->state_dir, "/srv/agents");
    hl_config_destroy (&config);
    //  An empty section: the default, from the master's
    s_write ("agent.cfg",
             "master = { state_dir = \"rel/m\"; };\nagent = { };\n", path,
             sizeof path);
    config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fail_msg ("%s", err);
    assert_string_equal (hl_config_agent (config)->state_dir, "rel/m/agents");
    hl_config_destroy (&config);
}

static const bad_case_t s_bad_http
    = { "master = {\n  http = \"localhost\";\n};\n", 2, "must be host:port" };
static const bad_case_t s_bad_log_level
    = { "master = {\n  log_level = \"verbose\";\n};\n", 2, "must be one of" };
static const bad_case_t s_bad_category
    = { "metrics = ( { name = \"a\";\n  category = \"middle\";\n"
        "  better = \"lower\"; target = 1; critical = 2; } );\n",
        2, "must be one of frontend, backend or business" };
static const bad_case_t s_bad_better
    = { "metrics = ( { name = \"a\"; category = \"backend\";\n"
        "  better = \"less\"; target = 1; critical = 2; } );\n",
        2, "must be one of lower or higher" };
static const bad_case_t s_bad_stat
    = { "metrics = ( { name = \"a\"; category = \"backend\";\n"
        "  better = \"lower\"; target = 1; critical = 2;\n"
        "  stat = \"p99\"; } );\n",
        3, "must be one of mean, p50, p95, min, max or last" };
static const bad_case_t s_bad_swarm
    = { METRIC_A "actions = ( { name = \"x\";\n  swarm = \"business\";\n"
                 "  improves = [ \"a\" ]; } );\n",
        4, "must be one of frontend or backend" };
static const bad_case_t s_missing_target
    = { "metrics = (\n  { name = \"a\"; category = \"backend\";\n"
        "    better = \"lower\"; critical = 2; }\n);\n",
        2, "metrics[0]: missing required setting \"target\"" };
static const bad_case_t s_missing_name
    = { "metrics = (\n  { category = \"backend\";\n"
        "    better = \"lower\"; target = 1; critical = 2; }\n);\n",
        2, "missing required setting \"name\"" };
static const bad_case_t s_bad_metric_name
    = { "metrics = ( { name = \"a b\"; category = \"backend\";\n"
        "  better = \"lower\"; target = 1; critical = 2; } );\n",
        1, "bad name \"a b\"" };
static const bad_case_t s_long_metric_name
    = { "metrics = ( { name = "
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";\n"
        "  category = \"backend\";\n"
        "  better = \"lower\"; target = 1; critical = 2; } );\n",
        1, "too long (128 bytes, at most 127)" };
static const bad_case_t s_inconsistent_lower
    = { "metrics = ( { name = \"a\"; category = \"backend\";\n"
        "  better = \"lower\"; target = 2;\n  critical = 2; } );\n",
        3, "needs target < critical" };
static const bad_case_t s_inconsistent_higher
    = { "metrics = ( { name = \"a\"; category = \"backend\";\n"
        "  better = \"higher\"; target = 1;\n  critical = 2; } );\n",
        3, "needs target > critical" };
static const bad_case_t s_bad_weight
    = { "metrics = ( { name = \"a\"; category = \"backend\";\n"
        "  better = \"lower\"; target = 1; critical = 2;\n"
        "  weight = 0; } );\n",
        3, "out of range" };
static const bad_case_t s_range_inverted
    = { "metrics = ( { name = \"a\"; category = \"backend\";\n"
        "  better = \"higher\"; target = 5; critical = 2;\n"
        "  min = 10; max = 1; } );\n",
        1, "needs min < max (10 >= 1)" };
static const bad_case_t s_target_out_of_range
    = { "metrics = ( { name = \"a\"; category = \"backend\";\n"
        "  unit = \"%\"; better = \"higher\"; target = 120;\n"
        "  critical = 50; } );\n",
        1, "must lie within its range [0, 100]" };
static const bad_case_t s_negative_latency_target
    = { "metrics = ( { name = \"a\"; category = \"backend\";\n"
        "  unit = \"ms\"; better = \"lower\"; target = -5;\n"
        "  critical = 50; } );\n",
        1, "must lie within its range [0," };

static const bad_case_t s_demo_rate_low
    = { "demo = {\n  rate = 0;\n};\n", 2, "demo.rate: 0 out of range 1..1000" };
static const bad_case_t s_demo_rate_high
    = { "demo = {\n\n  rate = 1001;\n};\n", 3, "out of range 1..1000" };
static const bad_case_t s_demo_rate_float
    = { "demo = {\n  rate = 10.5;\n};\n", 2, "expected an integer" };
static const bad_case_t s_demo_endpoint
    = { "demo = {\n  control = \"127.0.0.1:7790\";\n};\n", 2,
        "demo.control: bad endpoint" };
static const bad_case_t s_demo_inproc
    = { "demo = {\n  rate = 5;\n  control = \"inproc://demo\";\n};\n", 3,
        "must start with tcp:// or ipc://" };
static const bad_case_t s_demo_seed
    = { "demo = {\n  seed = -1;\n};\n", 2, "out of range" };
static const bad_case_t s_demo_unknown_key
    = { "demo = {\n  rate = 5;\n  speed = 2;\n};\n", 3,
        "demo.speed: unknown key" };

static const bad_case_t s_http_beyond_loopback
    = { "master = {\n  http = \"0.0.0.0:7780\";\n};\n", 2,
        "master.http: \"0.0.0.0:7780\" is beyond loopback: set "
        "master.http_token" };
static const bad_case_t s_http_token_short
    = { "master = {\n  http_token = \"short\";\n};\n", 2,
        "master.http_token: must be 16 or more of" };
static const bad_case_t s_http_token_chars
    = { "master = {\n\n  http_token = \"0123456789abcdef ghi\";\n};\n", 3,
        "must be 16 or more of" };
static const bad_case_t s_http_raise_connections
    = { "limits = {\n  http_connections = 65;\n};\n", 2,
        "limits.http_connections: 65 out of range 1..64" };
static const bad_case_t s_http_raise_head
    = { "limits = {\n  http_head_bytes = 8193;\n};\n", 2,
        "out of range 256..8192" };
static const bad_case_t s_http_timeout_low
    = { "limits = {\n  http_timeout_ms = 99;\n};\n", 2,
        "out of range 100..10000" };

static const bad_case_t s_raise_hello_actions
    = { "limits = {\n  hello_actions = 16385;\n};\n", 2,
        "limits.hello_actions: 16385 out of range 1..16384" };
static const bad_case_t s_raise_hello_bytes
    = { "limits = {\n  hello_actions_bytes = 1048577;\n};\n", 2,
        "out of range 1..1048576" };
static const bad_case_t s_registry_bytes_low
    = { "limits = {\n  registry_bytes = 65535;\n};\n", 2,
        "limits.registry_bytes: 65535 out of range 65536..1073741824" };
static const bad_case_t s_unread_bytes_high
    = { "limits = {\n  reply_unread_total = 1073741825;\n};\n", 2,
        "out of range 65536..1073741824" };

//  What peers make the master hold: defaults, and set
static void
test_byte_limits (void **state)
{
    (void)state;
    hl_config_t *config = hl_config_new_default ();
    const hl_config_limits_t *l = hl_config_limits (config);
    assert_int_equal (l->hello_actions, HL_HELLO_ACTIONS);
    assert_int_equal (l->hello_bytes, HL_HELLO_ACTIONS_BYTES);
    assert_int_equal (l->registry_peers, HL_REGISTRY_PEERS);
    assert_int_equal (l->registry_bytes, HL_REGISTRY_BYTES);
    assert_int_equal (l->unread_bytes, HL_REPLY_UNREAD_BYTES);
    assert_int_equal (l->unread_total, HL_REPLY_UNREAD_TOTAL);
    hl_config_destroy (&config);

    char path[512], err[512];
    s_write ("bytes.cfg",
             "limits = { hello_actions = 16384; hello_actions_bytes = 1;\n"
             "  registry_peers = 1; registry_bytes = 65536;\n"
             "  reply_unread_bytes = 1073741824;\n"
             "  reply_unread_total = 65536; };\n",
             path, sizeof path);
    config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fail_msg ("%s", err);
    l = hl_config_limits (config);
    assert_int_equal (l->hello_actions, 16384);
    assert_int_equal (l->hello_bytes, 1);
    assert_int_equal (l->registry_peers, 1);
    assert_int_equal (l->registry_bytes, 65536);
    assert_int_equal (l->unread_bytes, 1073741824);
    assert_int_equal (l->unread_total, 65536);
    hl_config_destroy (&config);
}

//  HTTP: binding beyond loopback takes a token; limits lower, never raise
static void
test_http (void **state)
{
    (void)state;
    char path[512], err[512];
    s_write ("http.cfg",
             "master = { http = \"*:0\";\n"
             "  http_token = \"0123456789abcdef-._~+/=\"; };\n"
             "limits = { http_connections = 8; http_sse_clients = 0;\n"
             "  http_headers = 10; http_head_bytes = 1024;\n"
             "  http_body_bytes = 0; http_timeout_ms = 500; };\n",
             path, sizeof path);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fail_msg ("%s", err);
    assert_string_equal (hl_config_master (config)->http, "*:0");
    assert_string_equal (hl_config_master (config)->http_token,
                         "0123456789abcdef-._~+/=");
    const hl_config_limits_t *l = hl_config_limits (config);
    assert_int_equal (l->http_connections, 8);
    assert_int_equal (l->http_sse_clients, 0);
    assert_int_equal (l->http_headers, 10);
    assert_int_equal (l->http_head_bytes, 1024);
    assert_int_equal (l->http_body_bytes, 0);
    assert_int_equal (l->http_timeout_ms, 500);
    hl_config_destroy (&config);

    config = hl_config_new_default ();
    assert_string_equal (hl_config_master (config)->http_token, "");
    l = hl_config_limits (config);
    assert_int_equal (l->http_connections, HL_HTTP_CONNECTIONS);
    assert_int_equal (l->http_sse_clients, HL_HTTP_SSE_CLIENTS);
    assert_int_equal (l->http_headers, HL_HTTP_HEADERS);
    assert_int_equal (l->http_head_bytes, HL_HTTP_HEAD_BYTES);
    assert_int_equal (l->http_body_bytes, HL_HTTP_BODY_BYTES);
    assert_int_equal (l->http_timeout_ms, HL_HTTP_TIMEOUT_MS);
    hl_config_destroy (&config);

    assert_true (hl_config_listen_loopback ("127.0.0.1:7780"));
    assert_true (hl_config_listen_loopback ("127.1.2.3:0"));
    assert_true (hl_config_listen_loopback ("localhost:1"));
    assert_true (hl_config_listen_loopback ("[::1]:7780"));
    assert_false (hl_config_listen_loopback ("0.0.0.0:7780"));
    assert_false (hl_config_listen_loopback ("*:7780"));
    assert_false (hl_config_listen_loopback ("10.0.0.1:7780"));
    assert_false (hl_config_listen_loopback ("127.0.0.1.evil:1"));
    assert_false (hl_config_listen_loopback ("128.0.0.1:1"));
    assert_false (hl_config_listen_loopback ("127.0.0.256:1"));
    assert_false (hl_config_listen_loopback ("[::]:1"));
    assert_false (hl_config_listen_loopback (""));
    assert_false (hl_config_listen_loopback (NULL));
}

//  A metric's possible values: declared, or a default from its unit and
//  direction
static void
test_metric_ranges (void **state)
{
    (void)state;
    char path[512], err[512];
    s_write ("ranges.cfg",
             "metrics = (\n"
             "  { name = \"lat\"; category = \"backend\"; unit = \"ms\";\n"
             "    better = \"lower\"; target = 100; critical = 500; },\n"
             "  { name = \"hit\"; category = \"backend\"; unit = \"%\";\n"
             "    better = \"higher\"; target = 90; critical = 50; },\n"
             "  { name = \"roi\"; category = \"business\";\n"
             "    better = \"higher\"; target = 2; critical = -1; },\n"
             "  { name = \"tp\"; category = \"backend\"; unit = \"msg/s\";\n"
             "    better = \"higher\"; target = 900; critical = 100; },\n"
             "  { name = \"ratio\"; category = \"backend\";\n"
             "    better = \"higher\"; target = 0.9; critical = 0.5;\n"
             "    min = 0.0; max = 1.0; } );\n",
             path, sizeof path);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    if (!config)
        fail_msg ("%s", err);
    const hl_config_metric_t *m = hl_config_metric_find (config, "lat");
    assert_true (m->min == 0 && m->max == DBL_MAX);
    m = hl_config_metric_find (config, "hit");
    assert_true (m->min == 0 && m->max == 100);
    m = hl_config_metric_find (config, "roi");
    assert_true (m->min == -DBL_MAX && m->max == DBL_MAX);
    m = hl_config_metric_find (config, "tp");
    assert_true (m->min == 0 && m->max == DBL_MAX);
    m = hl_config_metric_find (config, "ratio");
    assert_true (m->min == 0 && m->max == 1);
    hl_config_destroy (&config);
}

//  Guards: the key metrics an action does not target, unless it names its
//  own (none with []); the learning settings of the cycle
static void
test_guards (void **state)
{
    (void)state;
    char path[512], err[512];
    s_write ("guards.cfg",
             "cycle = { quarantine = 3600; prior_weight = 5.5; };\n"
             "metrics = (\n"
             "  { name = \"lat\"; category = \"backend\"; better = \"lower\";\n"
             "    target = 100; critical = 500; key = true; },\n"
             "  { name = \"ux\"; category = \"frontend\"; better = \"lower\";\n"
             "    target = 100; critical = 500; key = true; },\n"
             "  { name = \"err\"; category = \"backend\"; better = \"lower\";\n"
             "    target = 1; critical = 5; } );\n"
             "actions = (\n"
             "  { name = \"a\"; swarm = \"backend\"; improves = [\"lat\"]; },\n"
             "  { name = \"b\"; swarm = \"backend\"; improves = [\"err\"]; },\n"
             "  { name = \"c\"; swarm = \"backend\"; improves = [\"err\"];\n"
             "    guards = [\"err\"]; },\n"
             "  { name = \"d\"; swarm = \"backend\"; improves = [\"lat\"];\n"
             "    guards = []; } );\n",
             path, sizeof path);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    assert_null (config); /* c guards its own target */
    assert_non_null (strstr (err, "metric \"err\" is a target already"));

    s_write ("guards.cfg",
             "cycle = { quarantine = 3600; prior_weight = 5.5; };\n"
             "metrics = (\n"
             "  { name = \"lat\"; category = \"backend\"; better = \"lower\";\n"
             "    target = 100; critical = 500; key = true; },\n"
             "  { name = \"ux\"; category = \"frontend\"; better = \"lower\";\n"
             "    target = 100; critical = 500; key = true; },\n"
             "  { name = \"err\"; category = \"backend\"; better = \"lower\";\n"
             "    target = 1; critical = 5; } );\n"
             "actions = (\n"
             "  { name = \"a\"; swarm = \"backend\"; improves = [\"lat\"]; },\n"
             "  { name = \"b\"; swarm = \"backend\"; improves = [\"err\"]; },\n"
             "  { name = \"c\"; swarm = \"backend\"; improves = [\"lat\"];\n"
             "    guards = [\"err\"]; },\n"
             "  { name = \"d\"; swarm = \"backend\"; improves = [\"lat\"];\n"
             "    guards = []; } );\n",
             path, sizeof path);
    config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    if (!config)
        fail_msg ("%s", err);
    assert_int_equal (hl_config_cycle (config)->quarantine, 3600);
    assert_true (hl_config_cycle (config)->prior_weight == 5.5);
    const hl_config_action_t *a = hl_config_action_find (config, "a");
    assert_int_equal (a->guards_n, 1);
    assert_string_equal (a->guards[0], "ux");
    a = hl_config_action_find (config, "b");
    assert_int_equal (a->guards_n, 2);
    assert_string_equal (a->guards[0], "lat");
    assert_string_equal (a->guards[1], "ux");
    a = hl_config_action_find (config, "c");
    assert_int_equal (a->guards_n, 1);
    assert_string_equal (a->guards[0], "err");
    assert_int_equal (hl_config_action_find (config, "d")->guards_n, 0);
    hl_config_destroy (&config);

    //  Defaults
    config = hl_config_new_default ();
    assert_int_equal (hl_config_cycle (config)->quarantine, 86400);
    assert_true (hl_config_cycle (config)->prior_weight == 3.0);
    hl_config_destroy (&config);
}

static const bad_case_t s_unknown_guard
    = { METRIC_A "actions = ( { name = \"x\"; swarm = \"backend\";\n"
                 "  improves = [ \"a\" ]; guards = [ \"zz\" ]; } );\n",
        4, "unknown metric \"zz\"" };

//  The demo section: defaults, and a valid one read back
static void
test_demo_section (void **state)
{
    (void)state;
    hl_config_t *config = hl_config_new_default ();
    const hl_config_demo_t *demo = hl_config_demo (config);
    assert_string_equal (demo->control, "tcp://127.0.0.1:7790");
    assert_int_equal (demo->rate, 10);
    assert_int_equal (demo->seed, 0);
    hl_config_destroy (&config);

    char path[512], err[512];
    s_write ("demo.cfg",
             "demo = { control = \"ipc:///tmp/helios-demo.sock\";\n"
             "         rate = 1000; seed = 12345678901L; };\n",
             path, sizeof path);
    config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    if (!config)
        fail_msg ("%s", err);
    demo = hl_config_demo (config);
    assert_string_equal (demo->control, "ipc:///tmp/helios-demo.sock");
    assert_int_equal (demo->rate, 1000);
    assert_true (demo->seed == 12345678901ULL);
    hl_config_destroy (&config);

    //  A file without the section gets the defaults too
    s_write ("nodemo.cfg", "health = { target = 80; };\n", path, sizeof path);
    config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    assert_non_null (config);
    assert_int_equal (hl_config_demo (config)->rate, 10);
    assert_string_equal (hl_config_demo (config)->control,
                         "tcp://127.0.0.1:7790");
    hl_config_destroy (&config);
}

static void
test_missing_file (void **state)
{
    (void)state;
    char path[512], err[512], want[600];
    snprintf (path, sizeof path, "%s/absent.cfg", s_dir);
    assert_null (hl_config_load (path, err, sizeof err));
    snprintf (want, sizeof want, "%s:0: cannot read file: ", path);
    assert_memory_equal (err, want, strlen (want));
    assert_non_null (strstr (err, "No such file"));

    //  A small or absent buffer is never overrun
    char tiny[8];
    assert_null (hl_config_load (path, tiny, sizeof tiny));
    assert_int_equal (strlen (tiny), 7);
    assert_null (hl_config_load (path, NULL, 0));
    assert_null (hl_config_load (NULL, err, sizeof err));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_defaults),
        cmocka_unit_test (test_connect_endpoint),
        cmocka_unit_test (test_full_file),
        cmocka_unit_test (test_deploy_file),
        cmocka_unit_test (test_missing_file),
        cmocka_unit_test (test_demo_section),
        BAD (_syntax),
        BAD (_duplicate_key),
        BAD (_wrong_type_string),
        BAD (_wrong_type_float),
        BAD (_wrong_type_bool),
        BAD (_wrong_type_section),
        BAD (_range_low),
        BAD (_seed_negative),
        BAD (_range_high),
        BAD (_range_rate),
        BAD (_range_float),
        BAD (_range_capacity),
        BAD (_unknown_key),
        BAD (_unknown_section),
        BAD (_duplicate_metric),
        BAD (_unknown_metric),
        BAD (_no_improves),
        BAD (_duplicate_action),
        BAD (_raise_limit),
        BAD (_raise_depth),
        BAD (_raise_queue_bytes),
        BAD (_queue_ttl_low),
        BAD (_bad_regex),
        BAD (_bad_default),
        BAD (_bad_param_name),
        BAD (_bad_param_type),
        BAD (_bad_endpoint),
        BAD (_bad_connect_endpoint),
        BAD (_agent_empty_dir),
        BAD (_agent_unknown_key),
        BAD (_agent_dir_type),
        cmocka_unit_test (test_agent_section),
        BAD (_bad_http),
        BAD (_bad_log_level),
        BAD (_bad_category),
        BAD (_bad_better),
        BAD (_bad_stat),
        BAD (_bad_swarm),
        BAD (_missing_target),
        BAD (_missing_name),
        BAD (_bad_metric_name),
        BAD (_long_metric_name),
        BAD (_inconsistent_lower),
        BAD (_inconsistent_higher),
        BAD (_bad_weight),
        BAD (_range_inverted),
        BAD (_target_out_of_range),
        BAD (_negative_latency_target),
        cmocka_unit_test (test_metric_ranges),
        cmocka_unit_test (test_guards),
        BAD (_unknown_guard),
        BAD (_demo_rate_low),
        BAD (_demo_rate_high),
        BAD (_demo_rate_float),
        BAD (_demo_endpoint),
        BAD (_demo_inproc),
        BAD (_demo_seed),
        BAD (_demo_unknown_key),
        cmocka_unit_test (test_byte_limits),
        BAD (_raise_hello_actions),
        BAD (_raise_hello_bytes),
        BAD (_registry_bytes_low),
        BAD (_unread_bytes_high),
        cmocka_unit_test (test_http),
        BAD (_http_beyond_loopback),
        BAD (_http_token_short),
        BAD (_http_token_chars),
        BAD (_http_raise_connections),
        BAD (_http_raise_head),
        BAD (_http_timeout_low),
    };
    return cmocka_run_group_tests_name ("hl_config", tests, s_setup,
                                        s_teardown);
}
