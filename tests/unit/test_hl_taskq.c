/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_taskq - the task queue through the real dispatcher
    (dispatch_env.h): a change whose attempt is lost goes again only to
    the agent it went to, by name, on a new connection too, or ends timed
    out when that agent never comes back; a read-only task's retry goes to
    a sibling; a first send refused by a draining agent is unpinned; the
    bounds of what waits: a kind that needs an action, the bytes open
    tasks hold, the time to live of a wait unsent; a role's wait (the
    autoscaler's figure). Nothing sleeps.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dispatch_env.h"

static const char *const s_tune[] = { "tune", NULL };

/*  A figure of the "pinned" map of the dispatcher's status. */
static int64_t
s_pinned (s_env_t *env, const char *key)
{
    hl_value_t *stats = hl_dispatch_stats (env->dispatch);
    int64_t value = hl_value_get_int (hl_value_get (stats, "pinned"), key, -1);
    hl_value_destroy (&stats);
    return value;
}

/*  A count of the refusals named name. */
static int64_t
s_refused (s_env_t *env, const char *name)
{
    hl_value_t *stats = hl_dispatch_stats (env->dispatch);
    int64_t value
        = hl_value_get_int (hl_value_get (stats, "refused_by"), name, 0);
    hl_value_destroy (&stats);
    return value;
}

/*  An agent named name on a connection of its own (routing id rid), as
    an agent restarted under its name has. */
static s_agent_t *
s_agent_again (s_env_t *env, const char *name, const char *rid,
               const char *role, const char *const *actions)
{
    s_agent_t *agent = (s_agent_t *)calloc (1, sizeof (s_agent_t));
    snprintf (agent->name, sizeof agent->name, "%s", name);
    agent->sock = hl_sock_connect (ZMQ_DEALER, env->endpoint, NULL, rid);
    assert_non_null (agent->sock);
    s_send (agent, s_hello_msg (role, 1, actions));
    s_serve (env);
    hl_msg_t *welcome = s_recv (agent, HL_MSG_WELCOME);
    hl_msg_destroy (&welcome);
    return agent;
}

/*  The agent beats, and the dispatcher hears it. */
static void
s_beat (s_env_t *env, s_agent_t *agent)
{
    hl_msg_t *beat = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (beat, 0);
    s_send (agent, beat);
    s_serve (env);
}

/*  Expire every agent but keep: it beats half way through the silence
    that expires the others. */
static void
s_expire_all_but (s_env_t *env, s_agent_t *keep)
{
    s_advance (env, (int64_t)S_HEARTBEAT * S_LIVENESS / 2);
    s_beat (env, keep);
    s_advance (env, (int64_t)S_HEARTBEAT * S_LIVENESS / 2 + 1);
    assert_non_null (s_peer (env, keep->name));
}

/*  An apply of tune for hephaestus-backend with a long deadline. */
static uint64_t
s_apply (s_env_t *env)
{
    uint64_t id = s_submit_full (env, HL_KIND_APPLY, HL_ROLE_HEPHAESTUS_BACKEND,
                                 "tune", 2, false, 600000);
    assert_true (id > 0);
    return id;
}

//  --------------------------------------------------------------------
//  Pins

/*  A lost apply waits for its agent, never goes to the idle sibling, and
    goes to that agent again once it is back on a new connection. */
static void
test_pinned_to_its_agent (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "hephaestus-backend", 1, s_tune);
    uint64_t id = s_apply (env);
    uint32_t attempt;
    assert_int_equal (s_task (a, &attempt, NULL), id);
    assert_int_equal (attempt, 1);
    s_agent_t *b = s_agent (env, "b", "hephaestus-backend", 4, s_tune);

    /*  a goes silent past the liveness window: its attempt is lost. */
    s_expire_all_but (env, b);
    assert_null (s_peer (env, "a"));
    assert_int_equal (s_stat (env, "retried"), 1);
    assert_int_equal (s_pinned (env, "held"), 1);
    s_advance (env, 400); /* the backoff is over: it is queued */
    assert_int_equal (s_stat (env, "queued"), 1);
    assert_int_equal (s_stat (env, "dispatched"), 1);
    assert_int_equal (s_peer (env, "b")->inflight, 0);
    hl_value_t *stats = hl_dispatch_stats (env->dispatch);
    const hl_value_t *held = hl_value_at (
        hl_value_get (hl_value_get (stats, "pinned"), "tasks"), 0);
    assert_int_equal (hl_value_get_int (held, "task_id", 0), id);
    assert_string_equal (hl_value_get_str (held, "agent", ""), "a");
    assert_string_equal (hl_value_get_str (held, "kind", ""), "apply");
    hl_value_destroy (&stats);

    /*  It holds up nothing: a read-only task goes to b at once. */
    uint64_t echo = s_submit_full (
        env, HL_KIND_ECHO, HL_ROLE_HEPHAESTUS_BACKEND, NULL, 2, false, 1000);
    assert_int_equal (s_task (b, NULL, NULL), echo);
    s_answer (env, b, echo, "ok", NULL);

    /*  a is back under its name: the retry goes to it, and only to it. */
    s_agent_t *again
        = s_agent_again (env, "a", "a-2", "hephaestus-backend", s_tune);
    assert_int_equal (s_task (again, &attempt, NULL), id);
    assert_int_equal (attempt, 2);
    assert_int_equal (s_pinned (env, "held"), 0);
    assert_int_equal (s_pinned (env, "released"), 1);
    /*  Its journal answers: killed while running, the outcome unknown. */
    s_answer (env, again, id, "failed", "outcome unknown");
    const s_end_t *end = s_end (env, id);
    assert_non_null (end);
    assert_int_equal (end->status, HL_STATUS_FAILED);
    assert_string_equal (end->agent, "a");
    assert_int_equal (end->attempts, 2);
    assert_int_equal (s_stat (env, "dispatched"), 3); /* 2 + the echo */
    assert_int_equal (s_peer (env, "b")->done, 1);    /* the echo only */
    s_agent_destroy (&a);
    s_agent_destroy (&b);
    s_agent_destroy (&again);
}

/*  An attempt past its deadline, its agent still there, goes to that
    agent again (its journal or its kept results answer) and not to an
    idle sibling; a rollback is pinned like an apply. */
static void
test_pinned_deadline (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "hephaestus-backend", 1, s_tune);
    uint64_t id
        = s_submit_full (env, HL_KIND_ROLLBACK, HL_ROLE_HEPHAESTUS_BACKEND,
                         "tune", 2, false, 1000);
    assert_int_equal (s_task (a, NULL, NULL), id);
    s_agent_t *b = s_agent (env, "b", "hephaestus-backend", 4, s_tune);
    s_advance (env, 1001);
    s_cancelled (a, id);
    s_advance (env, 400);
    uint32_t attempt;
    assert_int_equal (s_task (a, &attempt, NULL), id);
    assert_int_equal (attempt, 2);
    assert_int_equal (s_peer (env, "b")->inflight, 0);
    s_answer (env, a, id, "ok", NULL);
    assert_int_equal (s_end (env, id)->status, HL_STATUS_OK);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
}

/*  An agent that never comes back: the held retry ends timed out at its
    time to live, and the sibling never had it. */
static int
s_setup_ttl (void **state)
{
    return s_setup_with (state, "queue_ttl_ms = 5000;");
}

static void
test_pinned_never_back (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "hephaestus-backend", 1, s_tune);
    uint64_t id = s_apply (env);
    assert_int_equal (s_task (a, NULL, NULL), id);
    s_agent_t *b = s_agent (env, "b", "hephaestus-backend", 4, s_tune);
    s_expire_all_but (env, b);
    assert_int_equal (s_pinned (env, "held"), 1);
    s_advance (env, 2500); /* half way: still held */
    assert_null (s_end (env, id));
    assert_int_equal (s_stat (env, "queued"), 1);
    s_advance (env, 2600);
    const s_end_t *end = s_end (env, id);
    assert_non_null (end);
    assert_int_equal (end->calls, 1);
    assert_int_equal (end->status, HL_STATUS_TIMEOUT);
    assert_string_equal (end->error,
                         "its agent a did not come back within 5000 ms");
    assert_int_equal (s_pinned (env, "held"), 0);
    assert_int_equal (s_pinned (env, "given_up"), 1);
    assert_int_equal (s_stat (env, "ttl_expired"), 1);
    assert_int_equal (s_stat (env, "dispatched"), 1);
    assert_int_equal (s_peer (env, "b")->done, 0);
    assert_int_equal (s_events (env, "task.failed", ""), 1);
    /*  Its agent coming back later gets nothing. */
    s_agent_t *again
        = s_agent_again (env, "a", "a-2", "hephaestus-backend", s_tune);
    assert_int_equal (s_stat (env, "dispatched"), 1);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
    s_agent_destroy (&again);
}

/*  Read-only kinds keep their retries free: a lost echo or analysis goes
    to a sibling of the role. */
static void
test_read_only_to_sibling (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "hephaestus-backend", 2, s_tune);
    s_agent_t *p = s_agent (env, "p", "prometheus-backend", 2, NULL);
    uint64_t echo = s_submit_full (
        env, HL_KIND_ECHO, HL_ROLE_HEPHAESTUS_BACKEND, NULL, 2, false, 600000);
    uint64_t analysis
        = s_submit_full (env, HL_KIND_ANALYZE, HL_ROLE_PROMETHEUS_BACKEND, NULL,
                         2, false, 600000);
    assert_int_equal (s_task (a, NULL, NULL), echo);
    assert_int_equal (s_task (p, NULL, NULL), analysis);
    s_agent_t *b = s_agent (env, "b", "hephaestus-backend", 2, s_tune);
    s_agent_t *q = s_agent (env, "q", "prometheus-backend", 2, NULL);
    /*  a and p go silent; b and q beat. */
    s_advance (env, (int64_t)S_HEARTBEAT * S_LIVENESS / 2);
    s_beat (env, b);
    s_beat (env, q);
    s_advance (env, (int64_t)S_HEARTBEAT * S_LIVENESS / 2 + 1);
    assert_null (s_peer (env, "a"));
    assert_null (s_peer (env, "p"));
    assert_int_equal (s_pinned (env, "held"), 0);
    s_advance (env, 400);
    uint32_t attempt;
    assert_int_equal (s_task (b, &attempt, NULL), echo);
    assert_int_equal (attempt, 2);
    assert_int_equal (s_task (q, &attempt, NULL), analysis);
    assert_int_equal (attempt, 2);
    s_answer (env, b, echo, "ok", NULL);
    s_answer (env, q, analysis, "ok", NULL);
    assert_string_equal (s_end (env, echo)->agent, "b");
    assert_string_equal (s_end (env, analysis)->agent, "q");
    assert_int_equal (s_pinned (env, "held_total"), 0);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
    s_agent_destroy (&p);
    s_agent_destroy (&q);
}

/*  A draining agent refuses a change before it runs it: refused on its
    first send, it ran nowhere, and may go to a sibling. */
static void
test_draining_first_send_unpinned (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "hephaestus-backend", 1, s_tune);
    uint64_t id = s_apply (env);
    assert_int_equal (s_task (a, NULL, NULL), id);
    s_agent_t *b = s_agent (env, "b", "hephaestus-backend", 1, s_tune);
    s_answer (env, a, id, "rejected", "draining");
    uint32_t attempt;
    assert_int_equal (s_task (b, &attempt, NULL), id);
    assert_int_equal (attempt, 1);
    s_answer (env, b, id, "ok", NULL);
    assert_string_equal (s_end (env, id)->agent, "b");
    assert_int_equal (s_pinned (env, "held_total"), 0);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
}

//  --------------------------------------------------------------------
//  Bounds

/*  A kind that changes things names its action, or is refused. */
static void
test_no_action (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    assert_int_equal (s_submit_full (env, HL_KIND_APPLY,
                                     HL_ROLE_HEPHAESTUS_BACKEND, NULL, 3, false,
                                     0),
                      0);
    assert_non_null (strstr (hl_dispatch_refusal (env->dispatch),
                             "no_action: apply needs an action"));
    assert_int_equal (
        s_submit_full (env, HL_KIND_ROLLBACK, HL_DISPATCH_ANY, "", 3, false, 0),
        0);
    assert_int_equal (s_refused (env, "no_action"), 2);
    assert_int_equal (s_stat (env, "submitted"), 0);
    assert_int_equal (env->ends_n, 0);
    /*  With one, and for read-only kinds without: queued. */
    assert_true (s_submit_full (env, HL_KIND_APPLY, HL_ROLE_HEPHAESTUS_BACKEND,
                                "tune", 3, false, 0)
                 > 0);
    assert_true (s_submit_full (env, HL_KIND_VERIFY, HL_ROLE_ATHENA_API, NULL,
                                3, false, 0)
                 > 0);
    assert_int_equal (s_stat (env, "queued"), 2);
    /*  Other refusals have their names too. */
    assert_int_equal (
        s_submit_full (env, HL_KIND_ECHO, HL_DISPATCH_ANY, NULL, 9, false, 0),
        0);
    assert_non_null (strstr (hl_dispatch_refusal (env->dispatch), "invalid: "));
    assert_int_equal (s_refused (env, "invalid"), 1);
}

static int
s_setup_bytes (void **state)
{
    return s_setup_with (state, "queue_bytes = 1048576;");
}

/*  A task of about 60 KB for athena-api, which has no agent. */
static uint64_t
s_submit_big (s_env_t *env)
{
    hl_task_spec_t spec
        = { HL_KIND_ECHO, HL_ROLE_ATHENA_API, NULL, 3, false, 1000, 0, 0 };
    hl_value_t *args = hl_value_new_map ();
    char *blob = (char *)malloc (60000);
    memset (blob, 'x', 59999);
    blob[59999] = 0;
    hl_value_set_str (args, "blob", blob);
    free (blob);
    uint64_t id = hl_dispatch_submit (env->dispatch, &spec, &args, s_done, env);
    assert_null (args);
    return id;
}

/*  Open tasks hold at most limits.queue_bytes; what would pass it is
    refused by name, and a task's end frees its share. */
static void
test_queue_bytes (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    int64_t limit = s_stat (env, "bytes_limit");
    assert_int_equal (limit, 1048576);
    size_t taken = 0;
    uint64_t first = 0, id;
    while ((id = s_submit_big (env))) {
        first = first ? first : id;
        taken++;
        assert_true (taken < 100);
    }
    /*  Sixty-thousand-byte tasks: about 17 fit. */
    assert_true (taken >= 15 && taken <= 17);
    assert_non_null (
        strstr (hl_dispatch_refusal (env->dispatch), "queue_bytes: "));
    assert_int_equal (s_refused (env, "queue_bytes"), 1);
    /*  Small ones fill what is left, up to the byte. */
    int64_t before = s_stat (env, "bytes");
    assert_true (s_submit (env, HL_ROLE_ATHENA_API) > 0);
    int64_t small = s_stat (env, "bytes") - before;
    assert_true (small > 0);
    while (s_stat (env, "bytes") + small <= limit)
        assert_true (s_submit (env, HL_ROLE_ATHENA_API) > 0);
    assert_int_equal (s_submit_full (env, HL_KIND_ECHO, HL_ROLE_ATHENA_API,
                                     NULL, 3, false, 1000),
                      0);
    assert_true (s_stat (env, "bytes") <= limit);
    assert_int_equal (env->ends_n, 0);
    /*  An end frees its bytes: a big one fits again. */
    assert_int_equal (hl_dispatch_cancel (env->dispatch, first), 0);
    assert_true (s_submit_big (env) > 0);
}

/*  A task waiting unsent past its time to live ends timed out; its own
    shorter one ends it sooner; a task sent in time runs to its deadline. */
static void
test_ttl (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    assert_int_equal (s_stat (env, "ttl_ms"), 5000);
    uint64_t waits = s_submit (env, HL_ROLE_ATHENA_UX);
    hl_task_spec_t spec
        = { HL_KIND_ECHO, HL_ROLE_ATHENA_UX, NULL, 3, false, 1000, 0, 500 };
    uint64_t brief
        = hl_dispatch_submit (env->dispatch, &spec, NULL, s_done, env);
    assert_true (brief > 0);
    s_agent_t *a = s_agent (env, "a", "athena-api", 1, NULL);
    uint64_t sent = s_submit_full (env, HL_KIND_VERIFY, HL_ROLE_ATHENA_API,
                                   NULL, 3, false, 10000);
    assert_int_equal (s_task (a, NULL, NULL), sent);

    /*  Half way (what time really passes comes on top): both wait. */
    s_advance (env, 250);
    assert_null (s_end (env, brief));
    s_advance (env, 300);
    assert_non_null (s_end (env, brief));
    assert_string_equal (s_end (env, brief)->error,
                         "expired: waited 500 ms unsent");
    assert_null (s_end (env, waits));
    s_advance (env, 4500);
    const s_end_t *end = s_end (env, waits);
    assert_non_null (end);
    assert_int_equal (end->calls, 1);
    assert_int_equal (end->status, HL_STATUS_TIMEOUT);
    assert_int_equal (end->attempts, 0);
    assert_string_equal (end->error, "expired: waited 5000 ms unsent");
    assert_int_equal (s_stat (env, "ttl_expired"), 2);
    assert_int_equal (s_stat (env, "queued"), 0);
    assert_int_equal (s_events (env, "task.failed", ""), 2);
    /*  Sent in time: its deadline, not the time to live, governs it. */
    assert_null (s_end (env, sent));
    s_answer (env, a, sent, "ok", NULL);
    assert_int_equal (s_end (env, sent)->status, HL_STATUS_OK);
    assert_int_equal (s_stat (env, "bytes"), 0);
    s_agent_destroy (&a);
}

/*  A role's wait is its oldest queued task's, over every lane; no task
    waits 0; a sent task waits no more; other roles' queues do not count;
    a pause leaves the normal lanes out (they wait for the operator). */
static void
test_role_wait (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    assert_int_equal (hl_dispatch_role_wait (env->dispatch, HL_ROLE_ATHENA_API),
                      0);
    assert_int_equal (hl_dispatch_role_wait (env->dispatch, -7), 0);
    uint64_t first = s_submit (env, HL_ROLE_ATHENA_API);
    s_advance (env, 300);
    s_submit_full (env, HL_KIND_ECHO, HL_ROLE_ATHENA_API, NULL, 1, false,
                   1000); /* a lane ahead, but younger */
    s_submit (env, HL_ROLE_ATHENA_UX);
    s_advance (env, 200);
    int64_t wait = hl_dispatch_role_wait (env->dispatch, HL_ROLE_ATHENA_API);
    assert_true (wait >= 500);
    int64_t ux = hl_dispatch_role_wait (env->dispatch, HL_ROLE_ATHENA_UX);
    assert_true (ux >= 200 && wait - ux >= 300);

    //  Paused: the normal lanes are the operator's, not the agents'
    hl_dispatch_pause (env->dispatch, true);
    assert_int_equal (hl_dispatch_role_wait (env->dispatch, HL_ROLE_ATHENA_API),
                      0);
    hl_dispatch_pause (env->dispatch, false);

    //  An agent takes the urgent one first: the first still waits
    s_agent_t *a = s_agent (env, "a", "athena-api", 1, NULL);
    uint64_t sent = s_task (a, NULL, NULL);
    assert_true (sent != first);
    assert_true (hl_dispatch_role_wait (env->dispatch, HL_ROLE_ATHENA_API)
                 >= 500);
    s_answer (env, a, sent, "ok", NULL);
    assert_int_equal (s_task (a, NULL, NULL), first);
    assert_int_equal (hl_dispatch_role_wait (env->dispatch, HL_ROLE_ATHENA_API),
                      0);
    s_answer (env, a, first, "ok", NULL);
    s_agent_destroy (&a);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_pinned_to_its_agent, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_pinned_deadline, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_pinned_never_back, s_setup_ttl,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_read_only_to_sibling, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_draining_first_send_unpinned,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_action, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_queue_bytes, s_setup_bytes,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_ttl, s_setup_ttl, s_teardown),
        cmocka_unit_test_setup_teardown (test_role_wait, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
