/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    dispatch_env - the real dispatcher on an inproc ROUTER for unit tests,
    with fake agents (DEALERs speaking the wire protocol through hl_bus)
    and an explicit clock handed to hl_dispatch_tick; what each task's
    done callback and each event said. Header-only: each test is one
    binary (test_hl_dispatch: the wire; test_hl_taskq: the queue).
*/
#ifndef HL_TEST_DISPATCH_ENV_H
#define HL_TEST_DISPATCH_ENV_H

#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../master/hl_dispatch.h"

#define S_WAIT_MS 2000 /* the longest a message may take over inproc */
#define S_HEARTBEAT 60000
#define S_LIVENESS 3
#define S_ENDS 64
#define S_EVENTS 256

/*  What a done callback heard about one task. */
typedef struct {
    uint64_t task_id;
    int calls; /* must end up 1 */
    hl_task_status_t status;
    uint32_t attempts;
    char agent[64];
    char error[64]; /* data.error, if any */
} s_end_t;

typedef struct {
    char dir[64];
    char endpoint[64];
    hl_config_t *config;
    zsock_t *router;
    hl_dispatch_t *dispatch;
    int64_t skew; /* the test's clock runs this far ahead of zclock_mono */
    s_end_t ends[S_ENDS];
    size_t ends_n;
    char events[S_EVENTS][80]; /* "topic name" of each event */
    size_t events_n;
} s_env_t;

/*  A fake agent: a DEALER whose routing id is its name. */
typedef struct {
    char name[16];
    zsock_t *sock;
} s_agent_t;

//  --------------------------------------------------------------------
//  The dispatcher's side

static inline void
s_done (void *arg, const hl_task_end_t *end)
{
    s_env_t *env = (s_env_t *)arg;
    for (size_t i = 0; i < env->ends_n; i++)
        if (env->ends[i].task_id == end->task_id) {
            env->ends[i].calls++;
            return;
        }
    assert_true (env->ends_n < S_ENDS);
    s_end_t *rec = &env->ends[env->ends_n++];
    rec->task_id = end->task_id;
    rec->calls = 1;
    rec->status = end->status;
    rec->attempts = end->attempts;
    snprintf (rec->agent, sizeof rec->agent, "%s", end->agent);
    snprintf (rec->error, sizeof rec->error, "%s",
              hl_value_get_str (end->data, "error", ""));
}

/*  The end recorded for task_id, or NULL if it has not ended. */
static inline const s_end_t *
s_end (const s_env_t *env, uint64_t task_id)
{
    for (size_t i = 0; i < env->ends_n; i++)
        if (env->ends[i].task_id == task_id)
            return &env->ends[i];
    return NULL;
}

static inline void
s_event (void *arg, hl_msg_t **event_p)
{
    s_env_t *env = (s_env_t *)arg;
    char topic[64];
    assert_true (hl_msg_topic (*event_p, topic, sizeof topic) > 0);
    const char *who
        = hl_msg_type (*event_p) == HL_MSG_AGENT
              ? hl_msg_name (*event_p)
              : hl_value_get_str (hl_msg_data (*event_p), "agent", "");
    if (env->events_n < S_EVENTS)
        snprintf (env->events[env->events_n++], sizeof env->events[0], "%s %s",
                  topic, who);
    hl_msg_destroy (event_p);
}

/*  How many events read exactly "topic who". */
static inline int
s_events (const s_env_t *env, const char *topic, const char *who)
{
    char want[80];
    snprintf (want, sizeof want, "%s %s", topic, who);
    int n = 0;
    for (size_t i = 0; i < env->events_n; i++)
        n += streq (env->events[i], want);
    return n;
}

static inline int
s_teardown (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    hl_dispatch_destroy (&env->dispatch);
    zsock_destroy (&env->router);
    hl_config_destroy (&env->config);
    int rc = *env->dir ? rmdir (env->dir) : 0;
    free (env);
    *state = NULL;
    return rc;
}

/*  A dispatcher on a fresh inproc ROUTER, with master (a libconfig
    group's body, or NULL: beats and expiry only when a test moves its
    clock) and limits (likewise, or NULL) in its config. */
static inline int
s_setup_full (void **state, const char *master, const char *limits)
{
    static int instance;
    s_env_t *env = (s_env_t *)calloc (1, sizeof (s_env_t));
    if (!env)
        return -1;
    *state = env;
    char path[160], err[256];
    snprintf (env->dir, sizeof env->dir, "/tmp/hl_dispatch_test.XXXXXX");
    if (!mkdtemp (env->dir)) {
        *env->dir = 0; /* nothing to remove */
        goto fail;
    }
    snprintf (path, sizeof path, "%s/helios.cfg", env->dir);
    FILE *file = fopen (path, "w");
    if (!file)
        goto fail;
    if (master)
        fprintf (file, "master = { %s };\n", master);
    else
        fprintf (file, "master = { heartbeat_ms = %d; liveness = %d; };\n",
                 S_HEARTBEAT, S_LIVENESS);
    if (limits)
        fprintf (file, "limits = { %s };\n", limits);
    fclose (file);
    env->config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!env->config) {
        fprintf (stderr, "%s\n", err);
        goto fail;
    }
    snprintf (env->endpoint, sizeof env->endpoint,
              "inproc://test-hl-dispatch-%d", instance++);
    env->router = hl_sock_bind (ZMQ_ROUTER, env->endpoint, NULL, NULL, 0);
    if (!env->router)
        goto fail;
    env->dispatch = hl_dispatch_new (env->router, env->config, "master",
                                     s_event, NULL, env);
    if (!env->dispatch)
        goto fail;
    return 0;
fail:
    s_teardown (state);
    return -1;
}

/*  As s_setup_full, with limits only. */
static inline int
s_setup_with (void **state, const char *limits)
{
    return s_setup_full (state, NULL, limits);
}

static inline int
s_setup (void **state)
{
    return s_setup_with (state, NULL);
}

/*  Let the dispatcher read what has come in: waits (S_WAIT_MS at most)
    until something has, then handles every message there is. */
static inline void
s_serve (s_env_t *env)
{
    zpoller_t *poller = zpoller_new (env->router, NULL);
    assert_non_null (zpoller_wait (poller, S_WAIT_MS));
    zpoller_destroy (&poller);
    int handled = 0;
    while (hl_dispatch_readable (env->dispatch))
        handled++;
    assert_true (handled > 0);
}

/*  Move the test's clock ms ahead, and tick there. */
static inline void
s_advance (s_env_t *env, int64_t ms)
{
    env->skew += ms;
    hl_dispatch_tick (env->dispatch, zclock_mono () + env->skew);
}

/*  A counter from the dispatcher's status. */
static inline int64_t
s_stat (s_env_t *env, const char *key)
{
    hl_value_t *stats = hl_dispatch_stats (env->dispatch);
    int64_t value = hl_value_get_int (stats, key, -1);
    hl_value_destroy (&stats);
    return value;
}

static inline uint64_t
s_submit_full (s_env_t *env, hl_task_kind_t kind, int role, const char *action,
               uint32_t priority, bool emergency, uint32_t deadline_ms)
{
    hl_task_spec_t spec
        = { kind, role, action, priority, emergency, deadline_ms, 0, 0 };
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "from", "test");
    uint64_t id = hl_dispatch_submit (env->dispatch, &spec, &args, s_done, env);
    assert_null (args); /* taken, whatever the outcome */
    return id;
}

/*  An echo-like task for role at priority 3, 1 s deadline. */
static inline uint64_t
s_submit (s_env_t *env, int role)
{
    uint64_t id = s_submit_full (env, HL_KIND_ECHO, role, NULL, 3, false, 1000);
    assert_true (id > 0);
    return id;
}

//  --------------------------------------------------------------------
//  The agents' side

static inline void
s_send (s_agent_t *agent, hl_msg_t *msg)
{
    hl_msg_set_src (msg, agent->name);
    assert_int_equal (hl_bus_send (agent->sock, &msg), 0);
}

/*  The agent's next message, which must be of type (heartbeats are
    skipped unless asked for), within S_WAIT_MS. */
static inline hl_msg_t *
s_recv (s_agent_t *agent, hl_msg_type_t type)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    zpoller_t *poller = zpoller_new (agent->sock, NULL);
    hl_msg_t *msg = NULL;
    while (!msg) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0 || !zpoller_wait (poller, (int)left))
            break;
        assert_int_equal (hl_bus_recv (agent->sock, NULL, &msg, NULL), 0);
        if (hl_msg_type (msg) == HL_MSG_HEARTBEAT && type != HL_MSG_HEARTBEAT)
            hl_msg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    if (!msg)
        fail_msg ("%s: no %s within %d ms", agent->name,
                  hl_msg_type_name (type), S_WAIT_MS);
    if (hl_msg_type (msg) != type)
        fail_msg ("%s: %s where %s was expected", agent->name,
                  hl_msg_type_name (hl_msg_type (msg)),
                  hl_msg_type_name (type));
    return msg;
}

/*  The next task the agent gets: its id; attempt and emergency if
    wanted. */
static inline uint64_t
s_task (s_agent_t *agent, uint32_t *attempt, bool *emergency)
{
    hl_msg_t *task = s_recv (agent, HL_MSG_TASK);
    uint64_t id = hl_msg_task_id (task);
    if (attempt)
        *attempt = hl_msg_attempt (task);
    if (emergency)
        *emergency = hl_msg_emergency (task);
    assert_string_equal (hl_value_get_str (hl_msg_args (task), "from", ""),
                         "test");
    hl_msg_destroy (&task);
    return id;
}

/*  The next message must cancel task_id. */
static inline void
s_cancelled (s_agent_t *agent, uint64_t task_id)
{
    hl_msg_t *cancel = s_recv (agent, HL_MSG_CANCEL);
    assert_int_equal (hl_msg_task_id (cancel), task_id);
    hl_msg_destroy (&cancel);
}

/*  The next message must be an error with code; its text. */
static inline void
s_error (s_agent_t *agent, int code, const char *text)
{
    hl_msg_t *error = s_recv (agent, HL_MSG_ERROR);
    assert_int_equal (hl_msg_code (error), code);
    if (!strstr (hl_msg_text (error), text))
        fail_msg ("error '%s' does not say '%s'", hl_msg_text (error), text);
    hl_msg_destroy (&error);
}

static inline hl_msg_t *
s_hello_msg (const char *role, uint32_t capacity, const char *const *actions)
{
    hl_msg_t *hello = hl_msg_new (HL_MSG_HELLO);
    hl_msg_set_role (hello, role);
    hl_msg_set_capacity (hello, capacity);
    hl_msg_set_host (hello, "test-host");
    hl_msg_set_pid (hello, (uint32_t)getpid ());
    hl_msg_set_version (hello, "0.0.0");
    if (actions) {
        hl_value_t *list = hl_value_new_array ();
        for (; *actions; actions++) {
            hl_value_t *name = hl_value_new_str (*actions);
            hl_value_append (list, &name);
        }
        hl_msg_set_actions (hello, &list);
    }
    return hello;
}

/*  A connected DEALER named name, not yet introduced. */
static inline s_agent_t *
s_agent_connect (s_env_t *env, const char *name)
{
    s_agent_t *agent = (s_agent_t *)calloc (1, sizeof (s_agent_t));
    snprintf (agent->name, sizeof agent->name, "%s", name);
    agent->sock = hl_sock_connect (ZMQ_DEALER, env->endpoint, NULL, name);
    assert_non_null (agent->sock);
    return agent;
}

/*  An agent of role that said hello and was welcomed. */
static inline s_agent_t *
s_agent (s_env_t *env, const char *name, const char *role, uint32_t capacity,
         const char *const *actions)
{
    s_agent_t *agent = s_agent_connect (env, name);
    s_send (agent, s_hello_msg (role, capacity, actions));
    s_serve (env);
    hl_msg_t *welcome = s_recv (agent, HL_MSG_WELCOME);
    hl_msg_destroy (&welcome);
    return agent;
}

static inline void
s_agent_destroy (s_agent_t **agent_p)
{
    zsock_destroy (&(*agent_p)->sock);
    free (*agent_p);
    *agent_p = NULL;
}

/*  The agent answers task_id with status (and data.error if error). */
static inline void
s_answer (s_env_t *env, s_agent_t *agent, uint64_t task_id, const char *status,
          const char *error)
{
    hl_msg_t *result = hl_msg_new (HL_MSG_RESULT);
    hl_msg_set_task_id (result, task_id);
    hl_msg_set_status (result, status);
    hl_msg_set_duration_us (result, 1234);
    hl_value_t *data = hl_value_new_map ();
    if (error)
        hl_value_set_str (data, "error", error);
    hl_msg_set_data (result, &data);
    s_send (agent, result);
    s_serve (env);
}

static inline hl_peer_t *
s_peer (s_env_t *env, const char *name)
{
    return hl_registry_find (hl_dispatch_registry (env->dispatch), name,
                             strlen (name));
}

#endif
