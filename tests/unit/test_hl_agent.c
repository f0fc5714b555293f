/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_agent - the agent runtime in a zactor against a real ROUTER
    this test binds and drives as the master: hello, welcome, heartbeats,
    echo, repeated ids, capacity, priorities, cancel, reconnects, garbage
    and the drain. A test role with timed tasks stands in for slow work.
    Every wait has a deadline.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../agents/hl_agent.h"
#include "../../agents/hl_role.h"
#include "../../bus/hl_bus.h"
#include "../../bus/hl_log.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_err.h"
#include "../../proto/hl_msg.h"
#include "fake_master.h"

#define WAIT_MS 3000 //  the longest any condition may take

//  ---------------------------------------------------------------------
//  A test role: kind "analyze" finishes after args.ms milliseconds on a
//  timer, with data {"run": how many tasks the role ever started}

#define SLOTS 64

typedef struct {
    uint64_t task_id; //  0: free
    int timer_id;
} s_slot_t;

typedef struct {
    hl_agent_t *agent;
    s_slot_t slots[SLOTS];
} s_slow_t;

static atomic_int s_runs;
static atomic_int s_cancels;

static int
s_slow_new (hl_agent_t *agent, void **state_p)
{
    s_slow_t *self = (s_slow_t *)calloc (1, sizeof *self);
    assert_non_null (self);
    self->agent = agent;
    *state_p = self;
    return 0;
}

static void
s_slow_destroy (void **state_p)
{
    free (*state_p);
    *state_p = NULL;
}

static void
s_slow_finish (s_slow_t *self, uint64_t task_id, int run)
{
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_int (data, "run", run);
    hl_agent_complete (self->agent, task_id, HL_STATUS_OK, &data);
}

static int
s_slow_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    s_slow_t *self = (s_slow_t *)arg;
    for (int i = 0; i < SLOTS; i++)
        if (self->slots[i].task_id && self->slots[i].timer_id == timer_id) {
            uint64_t task_id = self->slots[i].task_id;
            self->slots[i].task_id = 0;
            s_slow_finish (self, task_id, atomic_load (&s_runs));
            break;
        }
    return 0;
}

static int
s_slow_start (void *state, hl_agent_task_t *task)
{
    s_slow_t *self = (s_slow_t *)state;
    int run = atomic_fetch_add (&s_runs, 1) + 1;
    int64_t ms = hl_value_get_int (hl_agent_task_args (task), "ms", 0);
    if (ms <= 0) {
        s_slow_finish (self, hl_agent_task_id (task), run);
        return 0;
    }
    for (int i = 0; i < SLOTS; i++)
        if (!self->slots[i].task_id) {
            self->slots[i].task_id = hl_agent_task_id (task);
            self->slots[i].timer_id = zloop_timer (
                hl_agent_loop (self->agent), (size_t)ms, 1, s_slow_timer, self);
            return 0;
        }
    return -1;
}

static void
s_slow_cancel (void *state, hl_agent_task_t *task)
{
    s_slow_t *self = (s_slow_t *)state;
    atomic_fetch_add (&s_cancels, 1);
    for (int i = 0; i < SLOTS; i++)
        if (self->slots[i].task_id == hl_agent_task_id (task)) {
            zloop_timer_end (hl_agent_loop (self->agent),
                             self->slots[i].timer_id);
            self->slots[i].task_id = 0;
        }
}

static const hl_role_t s_slow_role = {
    .name = "slow",
    .kinds = HL_ROLE_KIND (HL_KIND_ANALYZE),
    .new = s_slow_new,
    .destroy = s_slow_destroy,
    .start = s_slow_start,
    .cancel = s_slow_cancel,
};

//  ---------------------------------------------------------------------
//  The test's master

typedef struct {
    zsock_t *router;
    char endpoint[256];
    hl_config_t *config;
    hl_agent_t *agent; //  the actor's while it runs
    zactor_t *actor;
    uint8_t peer[256]; //  the agent's routing id
    size_t peer_len;
    bool answer_beats; //  answer each heartbeat, as a master does
    int beats;         //  heartbeats seen
    uint64_t next_task_id;
    char dir[64]; //  state_dir: a Hephaestus agent's journal
} s_env_t;

//  The master binds an ephemeral port, or, given an endpoint, nothing yet
static void
s_env_start_at (s_env_t *env, const char *role, int capacity,
                const hl_role_t *plugin, const char *endpoint)
{
    memset (env, 0, sizeof *env);
    if (endpoint)
        snprintf (env->endpoint, sizeof env->endpoint, "%s", endpoint);
    else {
        env->router = hl_sock_bind (ZMQ_ROUTER, "tcp://127.0.0.1:*", NULL,
                                    env->endpoint, sizeof env->endpoint);
        assert_non_null (env->router);
    }
    env->config = hl_config_new_default ();
    env->answer_beats = true;
    env->next_task_id = 100;
    snprintf (env->dir, sizeof env->dir, "/tmp/hl_agent_test.XXXXXX");
    assert_non_null (mkdtemp (env->dir));
    hl_agent_opts_t opts = { .role = role,
                             .endpoint = env->endpoint,
                             .name = "tester",
                             .state_dir = env->dir,
                             .capacity = capacity,
                             .backoff_min_ms = 100,
                             .backoff_max_ms = 400,
                             .plugin = plugin };
    char err[256];
    env->agent = hl_agent_new (env->config, &opts, err, sizeof err);
    assert_non_null (env->agent);
    env->actor = zactor_new (hl_agent_actor, env->agent);
    assert_non_null (env->actor);
}

static void
s_env_start (s_env_t *env, const char *role, int capacity,
             const hl_role_t *plugin)
{
    s_env_start_at (env, role, capacity, plugin, NULL);
}

static void
s_env_stop (s_env_t *env)
{
    zactor_destroy (&env->actor);
    hl_agent_destroy (&env->agent);
    assert_null (env->agent);
    hl_config_destroy (&env->config);
    zsock_destroy (&env->router);
    char path[128];
    snprintf (path, sizeof path, "%s/tester.journal", env->dir);
    unlink (path);
    assert_int_equal (rmdir (env->dir), 0);
}

static void
s_send (s_env_t *env, hl_msg_t *msg)
{
    fake_master_send (env->router, env->peer, env->peer_len, msg);
}

//  The next message of type (0: any) within ms, or NULL. Heartbeats are
//  counted and answered on the way, as the master would.
static hl_msg_t *
s_recv_within (s_env_t *env, hl_msg_type_t type, int ms)
{
    return fake_master_recv (env->router, env->peer, &env->peer_len, type, ms,
                             env->answer_beats, &env->beats);
}

static hl_msg_t *
s_recv (s_env_t *env, hl_msg_type_t type)
{
    hl_msg_t *msg = s_recv_within (env, type, WAIT_MS);
    assert_non_null (msg);
    return msg;
}

static void
s_welcome (s_env_t *env, const hl_msg_t *hello, uint32_t heartbeat_ms,
           uint32_t liveness)
{
    hl_msg_t *welcome = hl_msg_new (HL_MSG_WELCOME);
    hl_msg_set_re (welcome, hl_msg_id (hello));
    hl_msg_set_heartbeat_ms (welcome, heartbeat_ms);
    hl_msg_set_liveness (welcome, liveness);
    hl_msg_set_session (welcome, "session-1");
    s_send (env, welcome);
}

//  Hello, then welcome with a 100 ms heartbeat
static void
s_handshake (s_env_t *env)
{
    hl_msg_t *hello = s_recv (env, HL_MSG_HELLO);
    s_welcome (env, hello, 100, 20);
    hl_msg_destroy (&hello);
}

//  Send a task; returns its envelope id
static uint64_t
s_task (s_env_t *env, uint64_t task_id, const char *kind, uint32_t priority,
        bool emergency, hl_value_t *args)
{
    hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
    uint64_t id = hl_msg_id (task);
    hl_msg_set_task_id (task, task_id);
    hl_msg_set_kind (task, kind);
    hl_msg_set_priority (task, priority);
    hl_msg_set_emergency (task, emergency);
    hl_msg_set_attempt (task, 1);
    if (args)
        hl_msg_set_args (task, &args);
    s_send (env, task);
    return id;
}

static hl_value_t *
s_ms (int ms)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_int (args, "ms", ms);
    return args;
}

static void
s_stats (s_env_t *env, hl_agent_stats_t *stats)
{
    assert_int_equal (hl_agent_actor_stats (env->actor, stats), 0);
}

//  Wait until the agent has received at least n task messages
static void
s_wait_tasks (s_env_t *env, uint64_t n)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    hl_agent_stats_t stats;
    do {
        s_stats (env, &stats);
        if (stats.tasks >= n)
            return;
        zclock_sleep (5);
    } while (zclock_mono () < deadline);
    fail_msg ("agent got %llu of %llu tasks", (unsigned long long)stats.tasks,
              (unsigned long long)n);
}

static void
s_cancel (s_env_t *env, uint64_t task_id)
{
    hl_msg_t *cancel = hl_msg_new (HL_MSG_CANCEL);
    hl_msg_set_task_id (cancel, task_id);
    s_send (env, cancel);
}

static const char *
s_error_of (const hl_msg_t *result)
{
    return hl_value_get_str (hl_msg_data (result), "error", "");
}

//  ---------------------------------------------------------------------

static void
test_hello (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "prometheus-frontend", 3, NULL);
    hl_msg_t *hello = s_recv (&env, HL_MSG_HELLO);
    assert_string_equal (hl_msg_role (hello), "prometheus-frontend");
    assert_int_equal (hl_msg_capacity (hello), 3);
    assert_int_equal (hl_msg_pid (hello), getpid ());
    assert_true (strlen (hl_msg_host (hello)) > 0);
    assert_string_equal (hl_msg_version (hello), HL_VERSION);
    assert_string_equal (hl_msg_src (hello), "tester");
    assert_non_null (hl_msg_actions (hello));
    assert_int_equal (hl_value_size (hl_msg_actions (hello)), 0);
    hl_msg_destroy (&hello);
    s_env_stop (&env);
}

static void
test_hephaestus_actions (void **state)
{
    (void)state;
    char dir[] = "/tmp/hl_agent_test.XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path[256];
    snprintf (path, sizeof path, "%s/helios.cfg", dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs ("metrics = ( { name = \"api_response_time\"; "
           "category = \"backend\"; better = \"lower\"; target = 200.0; "
           "critical = 1000.0; } );\n"
           "actions = (\n"
           "  { name = \"cache\"; swarm = \"backend\"; "
           "improves = [ \"api_response_time\" ]; apply = \"true\"; },\n"
           "  { name = \"lazy\"; swarm = \"frontend\"; "
           "improves = [ \"api_response_time\" ]; apply = \"true\"; },\n"
           "  { name = \"plan_only\"; swarm = \"backend\"; "
           "improves = [ \"api_response_time\" ]; }\n"
           ");\n",
           file);
    assert_int_equal (fclose (file), 0);
    char err[256];
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    if (!config)
        fail_msg ("%s", err);
    assert_int_equal (unlink (path), 0);
    assert_int_equal (rmdir (dir), 0);

    zsock_t *router = NULL;
    char endpoint[256];
    router = hl_sock_bind (ZMQ_ROUTER, "tcp://127.0.0.1:*", NULL, endpoint,
                           sizeof endpoint);
    hl_agent_opts_t opts
        = { .role = "hephaestus-backend", .endpoint = endpoint };
    hl_agent_t *agent = hl_agent_new (config, &opts, err, sizeof err);
    assert_non_null (agent);
    zactor_t *actor = zactor_new (hl_agent_actor, agent);
    zpoller_t *poller = zpoller_new (router, NULL);
    assert_non_null (zpoller_wait (poller, WAIT_MS));
    hl_msg_t *hello = NULL;
    assert_int_equal (hl_bus_recv (router, NULL, &hello, NULL), 0);
    assert_int_equal (hl_msg_type (hello), HL_MSG_HELLO);
    const hl_value_t *actions = hl_msg_actions (hello);
    assert_int_equal (hl_value_size (actions), 1);
    assert_string_equal (hl_value_str (hl_value_at (actions, 0), NULL),
                         "cache");
    //  The default name
    char prefix[64];
    snprintf (prefix, sizeof prefix, ":%d", (int)getpid ());
    assert_non_null (strstr (hl_msg_src (hello), "hephaestus-backend@"));
    assert_non_null (strstr (hl_msg_src (hello), prefix));
    hl_msg_destroy (&hello);
    zpoller_destroy (&poller);
    zactor_destroy (&actor);
    hl_agent_destroy (&agent);
    hl_config_destroy (&config);
    zsock_destroy (&router);
}

static void
test_bad_options (void **state)
{
    (void)state;
    hl_config_t *config = hl_config_new_default ();
    char err[256];
    hl_agent_opts_t opts = { .role = "zeus" };
    assert_null (hl_agent_new (config, &opts, err, sizeof err));
    assert_non_null (strstr (err, "zeus"));
    opts.role = "athena-ux";
    opts.capacity = 1025;
    assert_null (hl_agent_new (config, &opts, err, sizeof err));
    opts.capacity = 1;
    opts.endpoint = "nonsense://x";
    assert_null (hl_agent_new (config, &opts, err, sizeof err));
    assert_int_equal (hl_role_parse ("athena"), -1);
    assert_int_equal (hl_role_parse ("athena-api"), HL_ROLE_ATHENA_API);
    hl_config_destroy (&config);
}

static void
test_heartbeats (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "athena-api", 1, NULL);
    hl_msg_t *hello = s_recv (&env, HL_MSG_HELLO);
    s_welcome (&env, hello, 50, 5);
    hl_msg_destroy (&hello);
    //  Nothing but heartbeats for 600 ms: about 12 of them
    assert_null (s_recv_within (&env, HL_MSG_HELLO, 600));
    assert_in_range (env.beats, 8, 14);
    hl_agent_stats_t stats;
    s_stats (&env, &stats);
    assert_true (stats.ready);
    assert_int_equal (stats.hellos, 1);
    assert_int_equal (stats.welcomes, 1);
    s_env_stop (&env);
}

//  The agent answers the master's heartbeat once half an interval has
//  passed since it last sent, well before its own beat is due: with a 4 s
//  interval the answer comes from 2 s on, its own beat only at 4 s.
static void
test_answers_master_beat (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "athena-api", 1, NULL);
    env.answer_beats = false;
    hl_msg_t *hello = s_recv (&env, HL_MSG_HELLO);
    s_welcome (&env, hello, 4000, 5);
    hl_msg_destroy (&hello);
    int64_t deadline = zclock_mono () + 3500;
    hl_msg_t *beat = NULL;
    int sent = 0;
    while (!beat && zclock_mono () < deadline) {
        hl_msg_t *ours = hl_msg_new (HL_MSG_HEARTBEAT);
        hl_msg_set_inflight (ours, 0);
        s_send (&env, ours);
        sent++;
        beat = s_recv_within (&env, HL_MSG_HEARTBEAT, 100);
    }
    assert_non_null (beat);
    hl_msg_destroy (&beat);
    //  Not at once: the first beats, inside half an interval, went
    //  unanswered
    assert_true (sent > 1);
    s_env_stop (&env);
}

static void
test_echo (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "hephaestus-frontend", 2, NULL);
    s_handshake (&env);

    hl_value_t *args = hl_value_new_map ();
    hl_value_set_int (args, "x", 42);
    hl_value_set_str (args, "s", "hello");
    hl_value_t *expect = hl_value_dup (args);
    uint64_t re = s_task (&env, 1, "echo", 3, false, args);
    hl_msg_t *result = s_recv (&env, HL_MSG_RESULT);
    assert_int_equal (hl_msg_re (result), re);
    assert_int_equal (hl_msg_task_id (result), 1);
    assert_string_equal (hl_msg_status (result), "ok");
    assert_string_equal (hl_msg_src (result), "tester");
    assert_true (hl_value_eq (hl_msg_data (result), expect));
    hl_msg_destroy (&result);
    hl_value_destroy (&expect);

    //  No args: nil
    s_task (&env, 2, "echo", 3, false, NULL);
    result = s_recv (&env, HL_MSG_RESULT);
    assert_string_equal (hl_msg_status (result), "ok");
    assert_non_null (hl_msg_data (result));
    assert_int_equal (hl_value_type (hl_msg_data (result)), HL_VALUE_NIL);
    hl_msg_destroy (&result);
    s_env_stop (&env);
}

static void
test_repeated_id (void **state)
{
    (void)state;
    atomic_store (&s_runs, 0);
    s_env_t env;
    s_env_start (&env, "prometheus-backend", 2, &s_slow_role);
    s_handshake (&env);

    //  Repeated after it finished: the kept result
    uint64_t re1 = s_task (&env, 7, "analyze", 2, false, NULL);
    hl_msg_t *first = s_recv (&env, HL_MSG_RESULT);
    uint64_t re2 = s_task (&env, 7, "analyze", 2, false, NULL);
    hl_msg_t *second = s_recv (&env, HL_MSG_RESULT);
    assert_int_equal (hl_msg_re (first), re1);
    assert_int_equal (hl_msg_re (second), re2);
    assert_string_equal (hl_msg_status (second), hl_msg_status (first));
    assert_true (hl_value_eq (hl_msg_data (first), hl_msg_data (second)));
    assert_int_equal (hl_msg_duration_us (first), hl_msg_duration_us (second));
    assert_int_equal (atomic_load (&s_runs), 1);
    hl_msg_destroy (&first);
    hl_msg_destroy (&second);

    //  Repeated while it runs: one run, both messages answered
    re1 = s_task (&env, 8, "analyze", 2, false, s_ms (100));
    re2 = s_task (&env, 8, "analyze", 2, false, s_ms (100));
    first = s_recv (&env, HL_MSG_RESULT);
    second = s_recv (&env, HL_MSG_RESULT);
    assert_int_equal (hl_msg_re (first), re1);
    assert_int_equal (hl_msg_re (second), re2);
    assert_true (hl_value_eq (hl_msg_data (first), hl_msg_data (second)));
    assert_int_equal (atomic_load (&s_runs), 2);
    hl_msg_destroy (&first);
    hl_msg_destroy (&second);

    //  Echo too
    s_task (&env, 9, "echo", 2, false, s_ms (1));
    s_task (&env, 9, "echo", 2, false, s_ms (2));
    first = s_recv (&env, HL_MSG_RESULT);
    second = s_recv (&env, HL_MSG_RESULT);
    assert_true (hl_value_eq (hl_msg_data (first), hl_msg_data (second)));
    hl_msg_destroy (&first);
    hl_msg_destroy (&second);

    hl_agent_stats_t stats;
    s_stats (&env, &stats);
    assert_int_equal (stats.tasks, 6);
    assert_int_equal (stats.started, 3);
    assert_int_equal (stats.duplicates, 3);
    assert_int_equal (stats.results, 6);
    s_env_stop (&env);
}

static void
test_capacity (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "prometheus-backend", 3, &s_slow_role);
    s_handshake (&env);
    for (uint64_t i = 1; i <= 12; i++)
        s_task (&env, i, "analyze", 3, false, s_ms (30));
    bool seen[13] = { false };
    for (int i = 0; i < 12; i++) {
        hl_msg_t *result = s_recv (&env, HL_MSG_RESULT);
        assert_string_equal (hl_msg_status (result), "ok");
        uint64_t task_id = hl_msg_task_id (result);
        assert_in_range (task_id, 1, 12);
        assert_false (seen[task_id]);
        seen[task_id] = true;
        hl_msg_destroy (&result);
    }
    hl_agent_stats_t stats;
    s_stats (&env, &stats);
    assert_int_equal (stats.max_inflight, 3);
    assert_int_equal (stats.inflight, 0);
    assert_int_equal (stats.queued, 0);
    assert_int_equal (stats.started, 12);
    s_env_stop (&env);
}

static void
test_priorities (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "prometheus-backend", 1, &s_slow_role);
    s_handshake (&env);
    s_task (&env, 1, "analyze", 4, false, s_ms (150)); //  runs at once
    s_task (&env, 2, "analyze", 4, false, s_ms (5));
    s_task (&env, 3, "analyze", 1, false, s_ms (5));
    s_task (&env, 4, "analyze", 4, true, s_ms (5));
    s_task (&env, 5, "analyze", 2, false, s_ms (5));
    uint64_t order[] = { 1, 4, 3, 5, 2 };
    for (size_t i = 0; i < 5; i++) {
        hl_msg_t *result = s_recv (&env, HL_MSG_RESULT);
        assert_int_equal (hl_msg_task_id (result), order[i]);
        hl_msg_destroy (&result);
    }
    s_env_stop (&env);
}

static void
test_rejected (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "prometheus-backend", 1, NULL);
    s_handshake (&env);
    s_task (&env, 1, "apply", 2, false, NULL);
    hl_msg_t *result = s_recv (&env, HL_MSG_RESULT);
    assert_string_equal (hl_msg_status (result), "rejected");
    assert_string_equal (s_error_of (result),
                         "role prometheus-backend does not run kind apply");
    hl_msg_destroy (&result);
    //  Its own kind, without the args it needs, is refused saying why
    s_task (&env, 2, "analyze", 2, false, NULL);
    result = s_recv (&env, HL_MSG_RESULT);
    assert_string_equal (hl_msg_status (result), "rejected");
    assert_string_equal (s_error_of (result), "args must be a map");
    hl_msg_destroy (&result);
    hl_agent_stats_t stats;
    s_stats (&env, &stats);
    assert_int_equal (stats.rejected, 2);
    s_env_stop (&env);
}

static void
test_cancel (void **state)
{
    (void)state;
    atomic_store (&s_cancels, 0);
    s_env_t env;
    s_env_start (&env, "prometheus-backend", 1, &s_slow_role);
    s_handshake (&env);
    s_task (&env, 1, "analyze", 2, false, s_ms (5000));
    s_task (&env, 2, "analyze", 2, false, s_ms (5000));
    s_wait_tasks (&env, 2);
    hl_agent_stats_t stats;
    s_stats (&env, &stats);
    assert_int_equal (stats.inflight, 1);
    assert_int_equal (stats.queued, 1);

    s_cancel (&env, 2); //  queued
    hl_msg_t *result = s_recv (&env, HL_MSG_RESULT);
    assert_int_equal (hl_msg_task_id (result), 2);
    assert_string_equal (hl_msg_status (result), "cancelled");
    hl_msg_destroy (&result);
    assert_int_equal (atomic_load (&s_cancels), 0);

    s_cancel (&env, 1); //  running: the role's hook
    result = s_recv (&env, HL_MSG_RESULT);
    assert_int_equal (hl_msg_task_id (result), 1);
    assert_string_equal (hl_msg_status (result), "cancelled");
    hl_msg_destroy (&result);
    assert_int_equal (atomic_load (&s_cancels), 1);
    s_stats (&env, &stats);
    assert_int_equal (stats.inflight, 0);
    assert_int_equal (stats.queued, 0);
    assert_int_equal (stats.cancelled, 2);
    //  A cancel of what is done changes nothing
    s_cancel (&env, 1);
    s_task (&env, 1, "analyze", 2, false, NULL);
    result = s_recv (&env, HL_MSG_RESULT);
    assert_string_equal (hl_msg_status (result), "cancelled");
    hl_msg_destroy (&result);
    s_env_stop (&env);
}

static void
test_deadline (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "prometheus-backend", 1, &s_slow_role);
    s_handshake (&env);
    hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
    hl_msg_set_task_id (task, 1);
    hl_msg_set_kind (task, "analyze");
    hl_msg_set_priority (task, 1);
    hl_msg_set_attempt (task, 1);
    hl_msg_set_deadline_ms (task, 50);
    hl_value_t *args = s_ms (5000);
    hl_msg_set_args (task, &args);
    s_send (&env, task);
    hl_msg_t *result = s_recv_within (&env, HL_MSG_RESULT, 1000);
    assert_non_null (result);
    assert_string_equal (hl_msg_status (result), "timeout");
    hl_msg_destroy (&result);
    s_env_stop (&env);
}

static void
test_peer_error (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "athena-ux", 1, NULL);
    s_handshake (&env);
    hl_msg_t *error = hl_msg_new (HL_MSG_ERROR);
    hl_msg_set_code (error, HL_ERR_PEER);
    hl_msg_set_text (error, "unknown agent");
    s_send (&env, error);
    hl_msg_t *hello = s_recv_within (&env, HL_MSG_HELLO, 500);
    assert_non_null (hello);
    s_welcome (&env, hello, 100, 20);
    hl_msg_destroy (&hello);
    //  Another error code is only logged
    error = hl_msg_new (HL_MSG_ERROR);
    hl_msg_set_code (error, HL_ERR_MALFORMED);
    hl_msg_set_text (error, "whatever");
    s_send (&env, error);
    assert_null (s_recv_within (&env, HL_MSG_HELLO, 300));
    hl_agent_stats_t stats;
    s_stats (&env, &stats);
    assert_int_equal (stats.hellos, 2);
    assert_true (stats.ready);
    s_env_stop (&env);
}

static void
test_master_silence (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "athena-ux", 1, NULL);
    hl_msg_t *hello = s_recv (&env, HL_MSG_HELLO);
    uint8_t first[256];
    size_t first_len = env.peer_len;
    memcpy (first, env.peer, first_len);
    s_welcome (&env, hello, 50, 2);
    hl_msg_destroy (&hello);
    env.answer_beats = false;
    //  100 ms of silence: presumed dead, hello on a new socket
    hello = s_recv_within (&env, HL_MSG_HELLO, 1000);
    assert_non_null (hello);
    assert_false (env.peer_len == first_len
                  && memcmp (env.peer, first, first_len) == 0);
    //  No welcome: hellos go on, with backoff, each on a new socket
    hl_msg_destroy (&hello);
    hello = s_recv_within (&env, HL_MSG_HELLO, 1000);
    assert_non_null (hello);
    env.answer_beats = true;
    s_welcome (&env, hello, 100, 20);
    hl_msg_destroy (&hello);
    hl_agent_stats_t stats;
    int64_t deadline = zclock_mono () + WAIT_MS;
    do {
        s_stats (&env, &stats);
        zclock_sleep (5);
    } while (!stats.ready && zclock_mono () < deadline);
    assert_true (stats.ready);
    assert_true (stats.connects >= 3);
    assert_int_equal (stats.welcomes, 2);
    s_env_stop (&env);
}

static void
test_master_late (void **state)
{
    (void)state;
    //  An ipc endpoint nobody else can take while it is unbound
    char dir[] = "/tmp/hl_agent_test.XXXXXX";
    assert_non_null (mkdtemp (dir));
    char endpoint[256];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/tasks", dir);
    s_env_t env;
    s_env_start_at (&env, "athena-ux", 1, NULL, endpoint);
    hl_agent_stats_t stats;
    int64_t deadline = zclock_mono () + WAIT_MS;
    do {
        s_stats (&env, &stats);
        zclock_sleep (5);
    } while (stats.hellos < 3 && zclock_mono () < deadline);
    assert_true (stats.hellos >= 3);
    assert_false (stats.ready);
    env.router = hl_sock_bind (ZMQ_ROUTER, endpoint, NULL, NULL, 0);
    assert_non_null (env.router);
    s_handshake (&env);
    s_task (&env, 1, "echo", 1, false, NULL);
    hl_msg_t *result = s_recv (&env, HL_MSG_RESULT);
    hl_msg_destroy (&result);
    s_env_stop (&env);
    char path[300];
    snprintf (path, sizeof path, "%s/tasks", dir);
    unlink (path);
    assert_int_equal (rmdir (dir), 0);
}

static void
test_garbage (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "athena-ux", 1, NULL);
    s_handshake (&env);
    void *router = zsock_resolve (env.router);
    //  Not msgpack
    zmq_send (router, env.peer, env.peer_len, ZMQ_SNDMORE);
    zmq_send (router, "\xc1\xc1\xc1", 3, 0);
    //  Too many frames
    zmq_send (router, env.peer, env.peer_len, ZMQ_SNDMORE);
    zmq_send (router, "a", 1, ZMQ_SNDMORE);
    zmq_send (router, "b", 1, 0);
    //  An empty frame
    zmq_send (router, env.peer, env.peer_len, ZMQ_SNDMORE);
    zmq_send (router, "", 0, 0);
    //  Valid, but nothing a master sends an agent
    hl_msg_t *bye = hl_msg_new (HL_MSG_BYE);
    hl_msg_set_reason (bye, "?");
    s_send (&env, bye);

    s_task (&env, 1, "echo", 1, false, NULL);
    hl_msg_t *result = s_recv (&env, HL_MSG_RESULT);
    assert_string_equal (hl_msg_status (result), "ok");
    hl_msg_destroy (&result);
    hl_agent_stats_t stats;
    s_stats (&env, &stats);
    assert_int_equal (stats.dropped, 4);
    s_env_stop (&env);
}

static void
test_drain (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env, "prometheus-backend", 2, &s_slow_role);
    s_handshake (&env);
    s_task (&env, 1, "analyze", 2, false, s_ms (150));
    s_task (&env, 2, "analyze", 2, false, s_ms (150));
    s_task (&env, 3, "analyze", 2, false, s_ms (150));
    s_wait_tasks (&env, 3);
    assert_int_equal (zstr_send (env.actor, "DRAIN"), 0);
    hl_agent_stats_t stats;
    int64_t deadline = zclock_mono () + WAIT_MS;
    do {
        s_stats (&env, &stats);
        zclock_sleep (5);
    } while (!stats.draining && zclock_mono () < deadline);
    assert_true (stats.draining);
    //  New work is refused while the rest finishes
    s_task (&env, 4, "echo", 1, false, NULL);
    int ok = 0, rejected = 0;
    for (int i = 0; i < 4; i++) {
        hl_msg_t *result = s_recv (&env, HL_MSG_RESULT);
        if (streq (hl_msg_status (result), "ok"))
            ok++;
        else {
            assert_string_equal (hl_msg_status (result), "rejected");
            assert_int_equal (hl_msg_task_id (result), 4);
            assert_string_equal (s_error_of (result), "draining");
            rejected++;
        }
        hl_msg_destroy (&result);
    }
    assert_int_equal (ok, 3);
    assert_int_equal (rejected, 1);
    hl_msg_t *bye = s_recv (&env, HL_MSG_BYE);
    assert_string_equal (hl_msg_reason (bye), "shutdown");
    hl_msg_destroy (&bye);
    zpoller_t *poller = zpoller_new (env.actor, NULL);
    assert_non_null (zpoller_wait (poller, WAIT_MS));
    zpoller_destroy (&poller);
    char *word = zstr_recv (env.actor);
    assert_string_equal (word, "STOPPED");
    zstr_free (&word);
    s_stats (&env, &stats);
    assert_int_equal (stats.inflight, 0);
    s_env_stop (&env);
}

static void
test_terminate (void **state)
{
    (void)state;
    //  $TERM with work in flight: cancelled, and bye still goes out
    s_env_t env;
    s_env_start (&env, "prometheus-backend", 1, &s_slow_role);
    s_handshake (&env);
    s_task (&env, 1, "analyze", 2, false, s_ms (5000));
    s_task (&env, 2, "analyze", 2, false, s_ms (5000));
    s_wait_tasks (&env, 2);
    zactor_destroy (&env.actor);
    hl_msg_t *result = s_recv (&env, HL_MSG_RESULT);
    assert_string_equal (hl_msg_status (result), "cancelled");
    hl_msg_destroy (&result);
    result = s_recv (&env, HL_MSG_RESULT);
    assert_string_equal (hl_msg_status (result), "cancelled");
    hl_msg_destroy (&result);
    hl_msg_t *bye = s_recv (&env, HL_MSG_BYE);
    hl_msg_destroy (&bye);
    s_env_stop (&env);
}

int
main (void)
{
    hl_log_init ("test", HL_LOG_ERROR, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hello),
        cmocka_unit_test (test_hephaestus_actions),
        cmocka_unit_test (test_bad_options),
        cmocka_unit_test (test_heartbeats),
        cmocka_unit_test (test_answers_master_beat),
        cmocka_unit_test (test_echo),
        cmocka_unit_test (test_repeated_id),
        cmocka_unit_test (test_capacity),
        cmocka_unit_test (test_priorities),
        cmocka_unit_test (test_rejected),
        cmocka_unit_test (test_cancel),
        cmocka_unit_test (test_deadline),
        cmocka_unit_test (test_peer_error),
        cmocka_unit_test (test_master_silence),
        cmocka_unit_test (test_master_late),
        cmocka_unit_test (test_garbage),
        cmocka_unit_test (test_drain),
        cmocka_unit_test (test_terminate),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
