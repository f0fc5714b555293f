/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_dispatch - the real dispatcher on an inproc ROUTER, driven by
    fake agents (DEALERs speaking the wire protocol through hl_bus) and by
    an explicit clock handed to hl_dispatch_tick: hello and welcome, bad
    hellos, heartbeats and expiry, the least-loaded pick, the actions a
    task needs, lanes and emergencies, pause, deadlines and retries, one
    result per task, results from strangers, cancel, draining agents and
    the queue cap. Every wait has a deadline; nothing sleeps.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dispatch_env.h"

//  --------------------------------------------------------------------
//  Tests

static void
test_hello_welcome (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent_connect (env, "a");
    const char *const actions[] = { "tune_db_pool", NULL };
    hl_msg_t *hello = s_hello_msg ("athena-ux", 2, actions);
    hl_msg_set_id (hello, 77);
    s_send (a, hello);
    s_serve (env);
    hl_msg_t *welcome = s_recv (a, HL_MSG_WELCOME);
    assert_int_equal (hl_msg_re (welcome), 77);
    assert_int_equal (hl_msg_heartbeat_ms (welcome), S_HEARTBEAT);
    assert_int_equal (hl_msg_liveness (welcome), S_LIVENESS);
    const char *session = hl_msg_session (welcome);
    assert_int_equal (strlen (session), 32);
    assert_int_equal (strspn (session, "0123456789abcdef"), 32);
    char first[33];
    snprintf (first, sizeof first, "%s", session);
    hl_msg_destroy (&welcome);

    /*  Registered under its routing id, with what it said. */
    hl_peer_t *peer = s_peer (env, "a");
    assert_non_null (peer);
    assert_int_equal (peer->role, HL_ROLE_ATHENA_UX);
    assert_int_equal (peer->capacity, 2);
    assert_true (hl_peer_can (peer, "tune_db_pool"));
    assert_int_equal (s_events (env, "agent.joined", "a"), 1);
    hl_value_t *agents = hl_dispatch_agents (env->dispatch);
    assert_int_equal (hl_value_size (agents), 1);
    assert_string_equal (hl_value_get_str (hl_value_at (agents, 0), "role", ""),
                         "athena-ux");
    hl_value_destroy (&agents);

    /*  A second agent hears the same session. */
    s_agent_t *b = s_agent_connect (env, "b");
    s_send (b, s_hello_msg ("node", 1, NULL));
    s_serve (env);
    welcome = s_recv (b, HL_MSG_WELCOME);
    assert_string_equal (hl_msg_session (welcome), first);
    hl_msg_destroy (&welcome);
    assert_int_equal (s_peer (env, "b")->role, HL_REGISTRY_NODE);

    /*  Hello again from a: its old self has left, what it ran is lost
        with it and retried without spending an attempt. */
    uint64_t id = s_submit (env, HL_ROLE_ATHENA_UX);
    uint32_t attempt;
    assert_int_equal (s_task (a, &attempt, NULL), id);
    assert_int_equal (attempt, 1);
    s_send (a, s_hello_msg ("athena-ux", 2, NULL));
    s_serve (env);
    welcome = s_recv (a, HL_MSG_WELCOME);
    hl_msg_destroy (&welcome);
    assert_int_equal (s_events (env, "agent.left", "a"), 1);
    assert_int_equal (s_events (env, "agent.joined", "a"), 2);
    assert_int_equal (hl_registry_size (hl_dispatch_registry (env->dispatch)),
                      2);
    assert_false (hl_peer_can (s_peer (env, "a"), "tune_db_pool"));
    s_advance (env, 300); /* past the retry's backoff */
    assert_int_equal (s_task (a, &attempt, NULL), id);
    assert_int_equal (attempt, 1);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
}

static void
test_bad_hello (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *x = s_agent_connect (env, "x");
    /*  A role the master does not know, and "any", which is a queue. */
    s_send (x, s_hello_msg ("zeus", 1, NULL));
    s_serve (env);
    s_error (x, HL_ERR_ARGS, "unknown role 'zeus'");
    s_send (x, s_hello_msg ("any", 1, NULL));
    s_serve (env);
    s_error (x, HL_ERR_ARGS, "unknown role 'any'");
    /*  Bytes that are no message at all. */
    zstr_send (x->sock, "hello, master");
    s_serve (env);
    hl_msg_t *error = s_recv (x, HL_MSG_ERROR);
    assert_true (hl_msg_code (error) < 0);
    hl_msg_destroy (&error);
    /*  Anything but hello from a stranger: say hello first. */
    hl_msg_t *beat = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (beat, 0);
    s_send (x, beat);
    s_serve (env);
    s_error (x, HL_ERR_PEER, "say hello");

    assert_int_equal (hl_registry_size (hl_dispatch_registry (env->dispatch)),
                      0);
    assert_int_equal (s_stat (env, "rejected"), 4);
    assert_int_equal (s_stat (env, "agents_joined"), 0);
    assert_int_equal (s_events (env, "agent.joined", "x"), 0);
    s_agent_destroy (&x);
}

static void
test_heartbeat_and_expiry (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "prometheus-frontend", 1, NULL);
    s_agent_t *b = s_agent (env, "b", "prometheus-frontend", 1, NULL);
    /*  A deadline beyond anything this test waits for. */
    uint64_t id
        = s_submit_full (env, HL_KIND_ANALYZE, HL_ROLE_PROMETHEUS_FRONTEND,
                         NULL, 3, false, 2 * S_HEARTBEAT * S_LIVENESS);
    uint32_t attempt;
    assert_int_equal (s_task (a, &attempt, NULL), id);

    /*  An agent's beat says how much it runs. */
    hl_msg_t *beat = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (beat, 1);
    s_send (a, beat);
    s_serve (env);
    assert_int_equal (s_peer (env, "a")->reported, 1);

    /*  Quiet for most of an interval: the master beats, with the load it
        sees on each, a tenth of an interval early. */
    s_advance (env, S_HEARTBEAT * 9 / 10);
    beat = s_recv (a, HL_MSG_HEARTBEAT);
    assert_int_equal (hl_msg_inflight (beat), 1);
    hl_msg_destroy (&beat);
    beat = s_recv (b, HL_MSG_HEARTBEAT);
    assert_int_equal (hl_msg_inflight (beat), 0);
    hl_msg_destroy (&beat);

    /*  b answers; a stays silent. At liveness intervals a has expired
        and its task goes to b; b, heard since, is alive. */
    beat = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (beat, 0);
    s_send (b, beat);
    s_serve (env);
    s_advance (env, S_HEARTBEAT * S_LIVENESS - S_HEARTBEAT * 9 / 10 + 1);
    assert_null (s_peer (env, "a"));
    assert_non_null (s_peer (env, "b"));
    assert_int_equal (s_events (env, "agent.expired", "a"), 1);
    assert_int_equal (s_stat (env, "agents_expired"), 1);
    assert_int_equal (s_stat (env, "retried"), 1);
    s_advance (env, 300); /* past the retry's backoff */
    assert_int_equal (s_task (b, &attempt, NULL), id);
    assert_int_equal (attempt, 2);

    /*  The expired agent is a stranger now. */
    beat = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (beat, 0);
    s_send (a, beat);
    s_serve (env);
    s_error (a, HL_ERR_PEER, "say hello");

    /*  bye: b leaves; its task is retried without spending an attempt. */
    hl_msg_t *bye = hl_msg_new (HL_MSG_BYE);
    hl_msg_set_reason (bye, "shutdown");
    s_send (b, bye);
    s_serve (env);
    assert_null (s_peer (env, "b"));
    assert_int_equal (s_events (env, "agent.left", "b"), 1);
    s_agent_t *c = s_agent (env, "c", "prometheus-frontend", 1, NULL);
    s_advance (env, 1000);
    assert_int_equal (s_task (c, &attempt, NULL), id);
    assert_int_equal (attempt, 2);
    s_answer (env, c, id, "ok", NULL);
    assert_int_equal (s_end (env, id)->status, HL_STATUS_OK);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
    s_agent_destroy (&c);
}

/*  Past master.heartbeat_rate beats a second, the period lengthens with
    the swarm (in steps of a quarter): a later agent is welcomed with it,
    an earlier one told in its next beat, and expiry waits liveness of
    the period each was told. */
static void
test_heartbeat_period (void **state)
{
    (void)state;
    void *st = NULL;
    assert_int_equal (s_setup_full (&st,
                                    "heartbeat_ms = 1000; liveness = 3; "
                                    "heartbeat_rate = 1;",
                                    NULL),
                      0);
    s_env_t *env = (s_env_t *)st;
    s_agent_t *a = s_agent (env, "a", "prometheus-frontend", 1, NULL);
    assert_int_equal (s_peer (env, "a")->period_ms, 1000);
    //  One agent at 1 beat a second: 1,112 ms wanted, 1,250 taken
    s_advance (env, 10);
    assert_int_equal (s_stat (env, "heartbeat_ms"), 1250);
    assert_int_equal (s_stat (env, "heartbeat_periods"), 1);
    //  A's next beat tells it
    s_advance (env, 900);
    hl_msg_t *beat = s_recv (a, HL_MSG_HEARTBEAT);
    assert_int_equal (hl_msg_heartbeat_ms (beat), 1250);
    hl_msg_destroy (&beat);
    assert_int_equal (s_peer (env, "a")->period_ms, 1250);
    //  A second agent is welcomed with the period of the moment; the
    //  swarm of two then wants 2,223 ms: 2,440 (1,250, 1,562, 1,952, 2,440)
    s_agent_t *b = s_agent_connect (env, "b");
    s_send (b, s_hello_msg ("prometheus-frontend", 1, NULL));
    s_serve (env);
    hl_msg_t *welcome = s_recv (b, HL_MSG_WELCOME);
    assert_int_equal (hl_msg_heartbeat_ms (welcome), 1250);
    hl_msg_destroy (&welcome);
    s_advance (env, 10);
    assert_int_equal (s_stat (env, "heartbeat_ms"), 2440);
    //  A's next beat, at 0.9 of its 1,250 ms, tells it the new period
    s_advance (env, 2040 - 920);
    beat = s_recv (a, HL_MSG_HEARTBEAT);
    assert_int_equal (hl_msg_heartbeat_ms (beat), 2440);
    hl_msg_destroy (&beat);
    //  A, silent since its hello, lives three of its 2,440 ms periods,
    //  not three of the configured 1,000 or of 1,250
    s_advance (env, 3800 - 2040);
    assert_non_null (s_peer (env, "a"));
    s_advance (env, 7250 - 3800);
    assert_non_null (s_peer (env, "a"));
    s_advance (env, 7400 - 7250);
    assert_null (s_peer (env, "a"));
    assert_non_null (s_peer (env, "b"));
    assert_int_equal (s_events (env, "agent.expired", "a"), 1);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
    s_teardown (&st);
}

static void
test_least_loaded (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "prometheus-backend", 2, NULL);
    s_agent_t *b = s_agent (env, "b", "prometheus-backend", 4, NULL);
    /*  Loads inflight/capacity; ties to the one that waited longest. */
    s_agent_t *want[] = { a, b, b, a, b, b };
    uint64_t ids[6];
    for (int i = 0; i < 6; i++) {
        ids[i] = s_submit (env, HL_ROLE_PROMETHEUS_BACKEND);
        assert_int_equal (s_task (want[i], NULL, NULL), ids[i]);
    }
    /*  Both full: the next one waits for a free slot. */
    uint64_t last = s_submit (env, HL_ROLE_PROMETHEUS_BACKEND);
    assert_int_equal (s_stat (env, "queued"), 1);
    assert_int_equal (s_peer (env, "a")->inflight, 2);
    assert_int_equal (s_peer (env, "b")->inflight, 4);
    s_answer (env, a, ids[0], "ok", NULL);
    assert_int_equal (s_task (a, NULL, NULL), last);
    assert_int_equal (s_stat (env, "queued"), 0);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
}

/*  Every first wait lands in one bucket of the latency histogram, whose
    counts are cumulative and end with +Inf; a retry is not a second
    wait. */
static void
test_latency_histogram (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    hl_value_t *c = hl_dispatch_coordination (env->dispatch);
    const hl_value_t *h = hl_value_get (c, "latency_histogram");
    assert_non_null (h);
    const hl_value_t *le = hl_value_get (h, "le_s");
    const hl_value_t *counts = hl_value_get (h, "counts");
    assert_int_equal (hl_value_size (counts), hl_value_size (le) + 1);
    assert_int_equal (hl_value_get_int (h, "count", -1), 0);
    double prev = 0;
    for (size_t i = 0; i < hl_value_size (le); i++) {
        double bound;
        assert_int_equal (hl_value_double (hl_value_at (le, i), &bound), 0);
        assert_true (bound > prev);
        prev = bound;
    }
    assert_true (prev >= 10.0); /* the last finite bound */
    hl_value_destroy (&c);

    s_agent_t *a = s_agent (env, "a", "prometheus-backend", 4, NULL);
    uint64_t ids[3];
    for (int i = 0; i < 3; i++) {
        ids[i] = s_submit (env, HL_ROLE_PROMETHEUS_BACKEND);
        assert_int_equal (s_task (a, NULL, NULL), ids[i]);
    }
    c = hl_dispatch_coordination (env->dispatch);
    h = hl_value_get (c, "latency_histogram");
    counts = hl_value_get (h, "counts");
    assert_int_equal (hl_value_get_int (h, "count", -1), 3);
    uint64_t last = 0, prev_count = 0;
    for (size_t i = 0; i < hl_value_size (counts); i++) {
        assert_int_equal (hl_value_uint (hl_value_at (counts, i), &last), 0);
        assert_true (last >= prev_count);
        prev_count = last;
    }
    assert_int_equal (last, 3); /* +Inf holds every wait */
    double sum = hl_value_get_double (h, "sum_s", -1);
    assert_true (sum >= 0 && sum < 3 * 10.0);
    hl_value_destroy (&c);
    for (int i = 0; i < 3; i++)
        s_answer (env, a, ids[i], "ok", NULL);
    s_agent_destroy (&a);
}

static void
test_actions_required (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    const char *const pool[] = { "tune_db_pool", NULL };
    const char *const gc[] = { "tune_gc", NULL };
    s_agent_t *a = s_agent (env, "a", "hephaestus-backend", 4, pool);
    s_agent_t *b = s_agent (env, "b", "hephaestus-backend", 4, NULL);
    hl_registry_t *registry = hl_dispatch_registry (env->dispatch);
    assert_true (
        hl_registry_has (registry, HL_ROLE_HEPHAESTUS_BACKEND, "tune_db_pool"));
    assert_false (
        hl_registry_has (registry, HL_ROLE_HEPHAESTUS_BACKEND, "tune_gc"));
    assert_true (hl_registry_has (registry, HL_DISPATCH_ANY, NULL));

    /*  b is less loaded after this, yet the next apply of tune_db_pool
        can only go to a. */
    uint64_t first
        = s_submit_full (env, HL_KIND_APPLY, HL_ROLE_HEPHAESTUS_BACKEND,
                         "tune_db_pool", 2, false, 1000);
    assert_int_equal (s_task (a, NULL, NULL), first);
    uint64_t second
        = s_submit_full (env, HL_KIND_APPLY, HL_ROLE_HEPHAESTUS_BACKEND,
                         "tune_db_pool", 2, false, 1000);
    assert_int_equal (s_task (a, NULL, NULL), second);

    /*  Nobody advertises tune_gc: it waits, and does not hold up the
        task behind it in the same lane. */
    uint64_t gc_id
        = s_submit_full (env, HL_KIND_ROLLBACK, HL_ROLE_HEPHAESTUS_BACKEND,
                         "tune_gc", 2, false, 1000);
    uint64_t plain = s_submit_full (
        env, HL_KIND_ANALYZE, HL_ROLE_HEPHAESTUS_BACKEND, NULL, 2, false, 1000);
    assert_int_equal (s_task (b, NULL, NULL), plain);
    assert_int_equal (s_stat (env, "queued"), 1);

    /*  An agent that can run it arrives: it goes at once. */
    s_agent_t *c = s_agent (env, "c", "hephaestus-backend", 1, gc);
    assert_int_equal (s_task (c, NULL, NULL), gc_id);
    assert_int_equal (s_stat (env, "queued"), 0);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
    s_agent_destroy (&c);
}

static void
test_lanes (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "athena-api", 1, NULL);
    uint64_t busy = s_submit (env, HL_ROLE_ATHENA_API);
    assert_int_equal (s_task (a, NULL, NULL), busy);

    /*  Queued behind a busy agent in this order ... */
    uint64_t n4 = s_submit_full (env, HL_KIND_VERIFY, HL_ROLE_ATHENA_API, NULL,
                                 4, false, 1000);
    uint64_t n1 = s_submit_full (env, HL_KIND_VERIFY, HL_ROLE_ATHENA_API, NULL,
                                 1, false, 1000);
    uint64_t e2 = s_submit_full (env, HL_KIND_VERIFY, HL_ROLE_ATHENA_API, NULL,
                                 2, true, 1000);
    uint64_t n1b = s_submit_full (env, HL_KIND_VERIFY, HL_ROLE_ATHENA_API, NULL,
                                  1, false, 1000);
    uint64_t e1 = s_submit_full (env, HL_KIND_VERIFY, HL_ROLE_ATHENA_API, NULL,
                                 1, true, 1000);
    assert_int_equal (s_stat (env, "queued"), 5);

    /*  ... they run emergencies first, then by priority, then arrival. */
    uint64_t order[] = { e1, e2, n1, n1b, n4 };
    bool emergency[] = { true, true, false, false, false };
    uint64_t running = busy;
    for (size_t i = 0; i < 5; i++) {
        s_answer (env, a, running, "ok", NULL);
        bool flag;
        running = s_task (a, NULL, &flag);
        assert_int_equal (running, order[i]);
        assert_int_equal (flag, emergency[i]);
    }
    s_answer (env, a, running, "ok", NULL);
    assert_int_equal (s_stat (env, "completed"), 6);
    s_agent_destroy (&a);
}

static void
test_pause (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "athena-ux", 4, NULL);
    hl_dispatch_pause (env->dispatch, true);
    /*  Normal lanes hold, whatever their priority ... */
    uint64_t normal = s_submit (env, HL_ROLE_ATHENA_UX);
    uint64_t urgent = s_submit_full (env, HL_KIND_VERIFY, HL_ROLE_ATHENA_UX,
                                     NULL, 1, false, 1000);
    assert_int_equal (s_stat (env, "queued"), 2);
    assert_int_equal (s_stat (env, "dispatched"), 0);
    s_advance (env, 1000); /* ticks do not release them either */
    assert_int_equal (s_stat (env, "dispatched"), 0);
    /*  ... emergencies still go. */
    uint64_t emergency = s_submit_full (env, HL_KIND_VERIFY, HL_ROLE_ATHENA_UX,
                                        NULL, 3, true, 1000);
    bool flag;
    assert_int_equal (s_task (a, NULL, &flag), emergency);
    assert_true (flag);
    hl_value_t *stats = hl_dispatch_stats (env->dispatch);
    bool paused = false;
    assert_int_equal (hl_value_bool (hl_value_get (stats, "paused"), &paused),
                      0);
    assert_true (paused);
    hl_value_destroy (&stats);

    /*  Resumed: the held tasks go, by priority. */
    hl_dispatch_pause (env->dispatch, false);
    assert_int_equal (s_task (a, NULL, NULL), urgent);
    assert_int_equal (s_task (a, NULL, NULL), normal);
    assert_int_equal (s_stat (env, "queued"), 0);
    s_agent_destroy (&a);
}

static void
test_deadline_retry_timeout (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *agents[3] = { s_agent (env, "a", "athena-ux", 1, NULL),
                             s_agent (env, "b", "athena-ux", 1, NULL),
                             s_agent (env, "c", "athena-ux", 1, NULL) };
    uint64_t id = s_submit (env, HL_ROLE_ATHENA_UX); /* 1 s per attempt */
    /*  Each attempt goes to another agent; each passed deadline cancels
        it there and, after a backoff (at most 150 then 300 ms), retries. */
    for (int i = 0; i < 3; i++) {
        uint32_t attempt;
        assert_int_equal (s_task (agents[i], &attempt, NULL), id);
        assert_int_equal (attempt, i + 1);
        /*  Half way (what time really passes, under a sanitizer or a
            loaded machine, comes on top): still running. */
        s_advance (env, 500);
        assert_null (s_end (env, id));
        assert_int_equal (s_stat (env, "retried"), i);
        s_advance (env, 600);
        s_cancelled (agents[i], id);
        if (i < 2) {
            assert_int_equal (s_stat (env, "retried"), i + 1);
            assert_int_equal (s_stat (env, "delayed"), 1);
            s_advance (env, 400);
        }
    }
    /*  Three attempts spent: the task ends, timed out, once. */
    const s_end_t *end = s_end (env, id);
    assert_non_null (end);
    assert_int_equal (end->calls, 1);
    assert_int_equal (end->status, HL_STATUS_TIMEOUT);
    assert_int_equal (end->attempts, HL_DISPATCH_ATTEMPTS);
    assert_string_equal (end->error, "deadline passed");
    assert_string_equal (end->agent, "");
    assert_int_equal (s_stat (env, "retried"), 2);
    assert_int_equal (s_stat (env, "failed"), 1);
    assert_int_equal (s_stat (env, "running"), 0);
    assert_int_equal (s_events (env, "task.retried", ""), 2);
    assert_int_equal (s_events (env, "task.failed", ""), 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal (s_peer (env, agents[i]->name)->inflight, 0);

    /*  A result from an attempt that ran out is late: counted, not used. */
    s_answer (env, agents[0], id, "ok", NULL);
    assert_int_equal (s_stat (env, "late_results"), 1);
    assert_int_equal (s_end (env, id)->calls, 1);
    assert_int_equal (s_end (env, id)->status, HL_STATUS_TIMEOUT);
    for (int i = 0; i < 3; i++)
        s_agent_destroy (&agents[i]);
}

static void
test_result_once (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "prometheus-frontend", 2, NULL);
    s_agent_t *b = s_agent (env, "b", "prometheus-frontend", 2, NULL);

    /*  A duplicate answer is counted and ignored. */
    uint64_t id = s_submit (env, HL_ROLE_PROMETHEUS_FRONTEND);
    assert_int_equal (s_task (a, NULL, NULL), id);
    s_answer (env, a, id, "ok", NULL);
    s_answer (env, a, id, "failed", "changed my mind");
    const s_end_t *end = s_end (env, id);
    assert_int_equal (end->calls, 1);
    assert_int_equal (end->status, HL_STATUS_OK);
    assert_string_equal (end->agent, "a");
    assert_int_equal (end->attempts, 1);
    assert_int_equal (s_stat (env, "late_results"), 1);
    assert_int_equal (s_stat (env, "completed"), 1);
    assert_int_equal (s_events (env, "task.completed", "a"), 1);
    assert_int_equal (s_peer (env, "a")->done, 1);

    /*  An attempt that ran out of time still answers first: that is the
        result, and the attempt running elsewhere is cancelled. */
    id = s_submit (env, HL_ROLE_PROMETHEUS_FRONTEND);
    assert_int_equal (s_task (b, NULL, NULL), id);
    s_advance (env, 1000);
    s_cancelled (b, id);
    s_advance (env, 400);
    uint32_t attempt;
    assert_int_equal (s_task (a, &attempt, NULL), id);
    assert_int_equal (attempt, 2);
    s_answer (env, b, id, "ok", NULL);
    end = s_end (env, id);
    assert_non_null (end);
    assert_int_equal (end->status, HL_STATUS_OK);
    assert_string_equal (end->agent, "b");
    assert_int_equal (end->attempts, 2);
    s_cancelled (a, id);
    /*  The cancelled attempt's own answer is late. */
    s_answer (env, a, id, "cancelled", NULL);
    assert_int_equal (s_end (env, id)->calls, 1);
    assert_int_equal (s_stat (env, "late_results"), 2);
    assert_int_equal (s_stat (env, "completed"), 2);
    assert_int_equal (s_peer (env, "a")->inflight, 0);
    assert_int_equal (s_peer (env, "b")->inflight, 0);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
}

static void
test_result_from_stranger (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "hephaestus-frontend", 1, NULL);
    s_agent_t *c = s_agent (env, "c", "hephaestus-frontend", 1, NULL);
    uint64_t id = s_submit (env, HL_ROLE_HEPHAESTUS_FRONTEND);
    assert_int_equal (s_task (a, NULL, NULL), id);

    /*  c never got it: its answer is refused and changes nothing. */
    s_answer (env, c, id, "ok", NULL);
    char text[64];
    snprintf (text, sizeof text, "no task %" PRIu64 " was sent to you", id);
    s_error (c, HL_ERR_ARGS, text);
    assert_null (s_end (env, id));
    assert_int_equal (s_stat (env, "unknown_results"), 1);
    assert_int_equal (s_stat (env, "running"), 1);
    /*  Nor is a task that never existed anyone's. */
    s_answer (env, a, 999999, "ok", NULL);
    s_error (a, HL_ERR_ARGS, "no task 999999");
    assert_int_equal (s_stat (env, "unknown_results"), 2);

    /*  The agent it went to answers: that is the result. */
    s_answer (env, a, id, "failed", "exit 3");
    const s_end_t *end = s_end (env, id);
    assert_non_null (end);
    assert_int_equal (end->status, HL_STATUS_FAILED);
    assert_string_equal (end->error, "exit 3");
    assert_string_equal (end->agent, "a");
    assert_int_equal (s_peer (env, "a")->failed, 1);
    assert_int_equal (s_events (env, "task.failed", "a"), 1);
    s_agent_destroy (&a);
    s_agent_destroy (&c);
}

static void
test_cancel (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    /*  Queued (nobody of the role): ends at once. */
    uint64_t queued = s_submit (env, HL_ROLE_ATHENA_API);
    assert_int_equal (s_stat (env, "queued"), 1);
    assert_int_equal (hl_dispatch_cancel (env->dispatch, queued), 0);
    const s_end_t *end = s_end (env, queued);
    assert_non_null (end);
    assert_int_equal (end->status, HL_STATUS_CANCELLED);
    assert_int_equal (end->attempts, 0);
    assert_int_equal (s_stat (env, "queued"), 0);
    /*  Ended, or never there: nothing to cancel. */
    assert_int_equal (hl_dispatch_cancel (env->dispatch, queued), HL_ERR_ARGS);
    assert_int_equal (hl_dispatch_cancel (env->dispatch, 424242), HL_ERR_ARGS);

    /*  Running: the agent is told, and the task ends when it answers. */
    s_agent_t *a = s_agent (env, "a", "athena-api", 2, NULL);
    uint64_t running = s_submit (env, HL_ROLE_ATHENA_API);
    assert_int_equal (s_task (a, NULL, NULL), running);
    assert_int_equal (hl_dispatch_cancel (env->dispatch, running), 0);
    s_cancelled (a, running);
    assert_null (s_end (env, running));
    s_answer (env, a, running, "cancelled", NULL);
    end = s_end (env, running);
    assert_non_null (end);
    assert_int_equal (end->status, HL_STATUS_CANCELLED);
    assert_int_equal (end->calls, 1);

    /*  ... or, if it never answers, when the deadline passes: cancelled,
        not retried. */
    uint64_t silent = s_submit (env, HL_ROLE_ATHENA_API);
    assert_int_equal (s_task (a, NULL, NULL), silent);
    assert_int_equal (hl_dispatch_cancel (env->dispatch, silent), 0);
    s_cancelled (a, silent);
    s_advance (env, 1000);
    end = s_end (env, silent);
    assert_non_null (end);
    assert_int_equal (end->status, HL_STATUS_CANCELLED);
    assert_int_equal (s_stat (env, "retried"), 0);
    assert_int_equal (s_stat (env, "cancelled"), 3);
    assert_int_equal (s_peer (env, "a")->inflight, 0);
    s_agent_destroy (&a);
}

static void
test_draining (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_agent_t *a = s_agent (env, "a", "prometheus-backend", 4, NULL);
    s_agent_t *b = s_agent (env, "b", "prometheus-backend", 4, NULL);
    uint64_t id = s_submit (env, HL_ROLE_PROMETHEUS_BACKEND);
    assert_int_equal (s_task (a, NULL, NULL), id);

    /*  a is draining: the task goes to b, still on its first attempt. */
    s_answer (env, a, id, "rejected", "draining");
    uint32_t attempt;
    assert_int_equal (s_task (b, &attempt, NULL), id);
    assert_int_equal (attempt, 1);
    assert_true (s_peer (env, "a")->draining);
    assert_int_equal (s_peer (env, "a")->inflight, 0);
    assert_null (s_end (env, id));
    assert_int_equal (s_stat (env, "retried"), 0);

    /*  ... and a gets nothing new, however idle. */
    uint64_t next = s_submit (env, HL_ROLE_PROMETHEUS_BACKEND);
    assert_int_equal (s_task (b, NULL, NULL), next);
    s_answer (env, b, id, "ok", NULL);
    const s_end_t *end = s_end (env, id);
    assert_int_equal (end->status, HL_STATUS_OK);
    assert_int_equal (end->attempts, 1);
    assert_string_equal (end->agent, "b");

    /*  A rejection for any other reason is the task's end. */
    s_answer (env, b, next, "rejected", "unsupported kind");
    end = s_end (env, next);
    assert_int_equal (end->status, HL_STATUS_REJECTED);
    s_agent_destroy (&a);
    s_agent_destroy (&b);
}

static void
test_submit_refusals (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    /*  Specs out of range: no id, no end. */
    assert_int_equal (s_submit_full (env, (hl_task_kind_t)HL_KIND_COUNT,
                                     HL_ROLE_ATHENA_UX, NULL, 3, false, 0),
                      0);
    assert_int_equal (
        s_submit_full (env, HL_KIND_ECHO, HL_ROLE_COUNT, NULL, 3, false, 0), 0);
    assert_int_equal (s_submit_full (env, HL_KIND_ECHO, -2, NULL, 3, false, 0),
                      0);
    assert_int_equal (
        s_submit_full (env, HL_KIND_ECHO, HL_DISPATCH_ANY, NULL, 0, false, 0),
        0);
    assert_int_equal (
        s_submit_full (env, HL_KIND_ECHO, HL_DISPATCH_ANY, NULL, 5, false, 0),
        0);
    char action[HL_MAX_METRIC + 2];
    memset (action, 'x', sizeof action - 1);
    action[sizeof action - 1] = 0;
    assert_int_equal (s_submit_full (env, HL_KIND_APPLY,
                                     HL_ROLE_HEPHAESTUS_BACKEND, action, 3,
                                     false, 0),
                      0);
    action[HL_MAX_METRIC] = 0; /* at the limit: fine */
    assert_true (s_submit_full (env, HL_KIND_APPLY, HL_ROLE_HEPHAESTUS_BACKEND,
                                action, 3, false, 0)
                 > 0);
    assert_int_equal (s_stat (env, "submitted"), 1);
    assert_int_equal (env->ends_n, 0);

    /*  The any queue: every agent role, never a node. */
    s_agent_t *n = s_agent (env, "n", "node", 4, NULL);
    s_agent_t *u = s_agent (env, "u", "athena-ux", 4, NULL);
    uint64_t id = s_submit (env, HL_DISPATCH_ANY);
    assert_int_equal (s_task (u, NULL, NULL), id);
    s_agent_destroy (&n);
    s_agent_destroy (&u);
}

static void
test_queue_cap (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    /*  Nobody of the role: everything queues, up to the cap. */
    hl_task_spec_t spec = {
        HL_KIND_ANALYZE, HL_ROLE_PROMETHEUS_FRONTEND, NULL, 4, false, 0, 0, 0
    };
    for (int i = 0; i < HL_QUEUE_MAX; i++)
        assert_true (hl_dispatch_submit (env->dispatch, &spec, NULL, NULL, NULL)
                     > 0);
    assert_int_equal (s_stat (env, "queued"), HL_QUEUE_MAX);
    hl_value_t *args = hl_value_new_map ();
    assert_int_equal (
        hl_dispatch_submit (env->dispatch, &spec, &args, s_done, env), 0);
    assert_null (args);
    assert_int_equal (env->ends_n, 0);
    /*  Another role's queue is not this one's. */
    spec.role = HL_ROLE_PROMETHEUS_BACKEND;
    assert_true (hl_dispatch_submit (env->dispatch, &spec, NULL, NULL, NULL)
                 > 0);
    assert_int_equal (s_stat (env, "queued"), HL_QUEUE_MAX + 1);
}

/*  Ids reserved ahead are the ones their tasks get; an id never reserved,
    or one in use, is refused; ids go on from where a restart says. */
static void
test_reserved_ids (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    uint64_t a = hl_dispatch_reserve (env->dispatch);
    uint64_t b = hl_dispatch_reserve (env->dispatch);
    assert_int_equal (b, a + 1);
    hl_task_spec_t spec = {
        HL_KIND_ECHO, HL_ROLE_PROMETHEUS_FRONTEND, NULL, 3, false, 1000, b, 0
    };
    hl_value_t *args = hl_value_new_map ();
    assert_int_equal (
        hl_dispatch_submit (env->dispatch, &spec, &args, s_done, env), b);
    assert_null (args);
    //  In use
    args = hl_value_new_map ();
    assert_int_equal (
        hl_dispatch_submit (env->dispatch, &spec, &args, s_done, env), 0);
    assert_null (args);
    //  Never reserved
    spec.id = b + 100;
    args = hl_value_new_map ();
    assert_int_equal (
        hl_dispatch_submit (env->dispatch, &spec, &args, s_done, env), 0);
    //  A fresh id comes after the reserved ones, and after the first a
    //  restart gives; never back
    uint64_t c = s_submit (env, HL_ROLE_PROMETHEUS_FRONTEND);
    assert_true (c > b);
    hl_dispatch_first_id (env->dispatch, c + 1000);
    assert_int_equal (s_submit (env, HL_ROLE_PROMETHEUS_FRONTEND), c + 1000);
    hl_dispatch_first_id (env->dispatch, 10);
    assert_int_equal (hl_dispatch_reserve (env->dispatch), c + 1001);
}

/*  What the node hook heard: "event name" each. */
static char s_node_events[8][64];
static int s_node_events_n;

static void
s_on_node (void *arg, hl_peer_t *node, const char *event)
{
    (void)arg;
    if (s_node_events_n < 8)
        snprintf (s_node_events[s_node_events_n++], 64, "%.16s %.40s", event,
                  node->name);
}

/*  A node: its hello's labels kept, its beats' reports kept and told,
    a bad report refused by name (not an array, more agents than its
    capacity) and the old one kept; the order rides its beats; its end
    told before it is forgotten. An agent's hello names its node. */
static void
test_node (void **state)
{
    s_env_t *env = *state;
    s_node_events_n = 0;
    hl_dispatch_set_node_fn (env->dispatch, s_on_node, NULL);
    s_agent_t *node = s_agent_connect (env, "n1");
    hl_msg_t *hello = s_hello_msg ("node", 2, NULL);
    hl_value_t *data = hl_value_new_map (), *labels = hl_value_new_map ();
    hl_value_set_str (labels, "zone", "eu1");
    hl_value_set (data, "labels", &labels);
    hl_msg_set_data (hello, &data);
    s_send (node, hello);
    s_serve (env);
    hl_msg_t *welcome = s_recv (node, HL_MSG_WELCOME);
    hl_msg_destroy (&welcome);
    assert_string_equal (s_node_events[0], "joined n1");
    hl_peer_t *peer = s_peer (env, "n1");
    assert_string_equal (
        hl_value_get_str (hl_value_get (peer->info, "labels"), "zone", ""),
        "eu1");

    //  A report at the capacity is kept; past it, or not a list, refused
    for (int n = 2; n <= 4; n++) {
        hl_msg_t *beat = hl_msg_new (HL_MSG_HEARTBEAT);
        hl_msg_set_inflight (beat, 0);
        data = hl_value_new_map ();
        hl_value_t *agents = hl_value_new_array ();
        for (int i = 0; i < n && n < 4; i++) {
            hl_value_t *a = hl_value_new_map ();
            hl_value_set_str (a, "name", "x");
            hl_value_append (agents, &a);
        }
        if (n == 4) {
            hl_value_destroy (&agents);
            agents = hl_value_new_str ("all of them");
        }
        hl_value_set (data, "agents", &agents);
        hl_msg_set_data (beat, &data);
        s_send (node, beat);
        s_serve (env);
        if (n > 2)
            s_error (node, HL_ERR_ARGS, "at most its capacity");
    }
    peer = s_peer (env, "n1");
    assert_int_equal (hl_value_size (hl_value_get (peer->report, "agents")), 2);
    assert_string_equal (s_node_events[1], "report n1");
    assert_int_equal (s_node_events_n, 2);

    //  The order goes at once and with each beat after
    hl_value_t *order = hl_value_new_map ();
    hl_value_set_int (order, "athena-ux", 2);
    hl_dispatch_order (env->dispatch, peer, order);
    for (int i = 0; i < 2; i++) {
        hl_msg_t *beat = s_recv (node, HL_MSG_HEARTBEAT);
        assert_true (
            hl_value_eq (hl_value_get (hl_msg_data (beat), "order"), order));
        hl_msg_destroy (&beat);
        s_advance (env, S_HEARTBEAT);
    }
    hl_value_destroy (&order);

    //  An agent's hello names its node
    s_agent_t *agent = s_agent_connect (env, "a1");
    hello = s_hello_msg ("athena-ux", 1, NULL);
    data = hl_value_new_map ();
    hl_value_set_str (data, "node", "n1");
    hl_msg_set_data (hello, &data);
    s_send (agent, hello);
    s_serve (env);
    welcome = s_recv (agent, HL_MSG_WELCOME);
    hl_msg_destroy (&welcome);
    assert_string_equal (s_peer (env, "a1")->node, "n1");

    hl_msg_t *bye = hl_msg_new (HL_MSG_BYE);
    hl_msg_set_reason (bye, "done");
    s_send (node, bye);
    s_serve (env);
    assert_string_equal (s_node_events[s_node_events_n - 1], "left n1");
    s_agent_destroy (&agent);
    s_agent_destroy (&node);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_reserved_ids, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_hello_welcome, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_hello, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_heartbeat_and_expiry, s_setup,
                                         s_teardown),
        cmocka_unit_test (test_heartbeat_period),
        cmocka_unit_test_setup_teardown (test_least_loaded, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_latency_histogram, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_actions_required, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_lanes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pause, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_deadline_retry_timeout, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_result_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_result_from_stranger, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cancel, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_draining, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_submit_refusals, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_queue_cap, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_node, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
