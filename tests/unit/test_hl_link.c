/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_link - the link on a zloop this test runs in short slices,
    against a ROUTER it binds as the master: hello until welcome with
    backoff, heartbeats with the owner's inflight count, tasks and
    cancels handed over, unexpected messages dropped, a fresh socket when
    the master is silent, hello again when it forgets us, stop. Every
    wait has a deadline.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../agents/hl_link.h"
#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_err.h"
#include "fake_master.h"

#define WAIT_MS 3000 //  the longest any condition may take

typedef struct {
    zsock_t *router;
    char endpoint[256];
    hl_config_t *config;
    zloop_t *loop;
    hl_link_t *link;
    uint8_t peer[256]; //  the link's routing id, as last seen
    size_t peer_len;
    int hellos_built;   //  hello callback calls
    int handed;         //  messages given to on_message
    hl_msg_type_t last; //  the type of the last one
} s_env_t;

static void
s_on_message (void *arg, hl_msg_t **msg_p)
{
    s_env_t *env = (s_env_t *)arg;
    env->handed++;
    env->last = hl_msg_type (*msg_p);
    hl_msg_destroy (msg_p);
}

static hl_msg_t *
s_hello (void *arg)
{
    s_env_t *env = (s_env_t *)arg;
    env->hellos_built++;
    hl_msg_t *hello = hl_msg_new (HL_MSG_HELLO);
    hl_msg_set_role (hello, "athena-ux");
    hl_msg_set_capacity (hello, 2);
    hl_msg_set_host (hello, "here");
    hl_msg_set_pid (hello, 1);
    hl_msg_set_version (hello, "0.0.0");
    return hello;
}

static uint32_t
s_inflight (void *arg)
{
    (void)arg;
    return 3;
}

static hl_link_opts_t
s_opts (s_env_t *env)
{
    hl_link_opts_t opts = { .endpoint = env->endpoint,
                            .name = "linked",
                            .limits = hl_config_limits (env->config),
                            .backoff_min_ms = 50,
                            .backoff_max_ms = 100,
                            .on_message = s_on_message,
                            .hello = s_hello,
                            .inflight = s_inflight,
                            .arg = env };
    return opts;
}

static void
s_env_start (s_env_t *env)
{
    memset (env, 0, sizeof *env);
    env->router = hl_sock_bind (ZMQ_ROUTER, "tcp://127.0.0.1:*", NULL,
                                env->endpoint, sizeof env->endpoint);
    assert_non_null (env->router);
    env->config = hl_config_new_default ();
    env->loop = zloop_new ();
    hl_link_opts_t opts = s_opts (env);
    env->link = hl_link_new (env->loop, &opts);
    assert_non_null (env->link);
    assert_int_equal (hl_link_start (env->link), 0);
    assert_int_equal (hl_link_start (env->link), -1);
}

static void
s_env_stop (s_env_t *env)
{
    hl_link_close (env->link, 0);
    hl_link_destroy (&env->link);
    assert_null (env->link);
    zloop_destroy (&env->loop);
    hl_config_destroy (&env->config);
    zsock_destroy (&env->router);
}

static int
s_end_slice (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

//  Run the link's loop for about ms
static void
s_run (s_env_t *env, int ms)
{
    zloop_timer (env->loop, (size_t)ms, 1, s_end_slice, NULL);
    zloop_start (env->loop);
}

//  The next message of type (0: any) within ms, running the loop
//  meanwhile; NULL if none came
static hl_msg_t *
s_recv_within (s_env_t *env, hl_msg_type_t type, int ms)
{
    int64_t deadline = zclock_mono () + ms;
    while (zclock_mono () < deadline) {
        hl_msg_t *msg = fake_master_recv (env->router, env->peer,
                                          &env->peer_len, type, 1, false, NULL);
        if (msg)
            return msg;
        s_run (env, 5);
    }
    return NULL;
}

static hl_msg_t *
s_recv (s_env_t *env, hl_msg_type_t type)
{
    hl_msg_t *msg = s_recv_within (env, type, WAIT_MS);
    assert_non_null (msg);
    return msg;
}

static void
s_send (s_env_t *env, hl_msg_t *msg)
{
    fake_master_send (env->router, env->peer, env->peer_len, msg);
}

static void
s_welcome (s_env_t *env, uint32_t heartbeat_ms, uint32_t liveness)
{
    hl_msg_t *welcome = hl_msg_new (HL_MSG_WELCOME);
    hl_msg_set_heartbeat_ms (welcome, heartbeat_ms);
    hl_msg_set_liveness (welcome, liveness);
    hl_msg_set_session (welcome, "session-1");
    s_send (env, welcome);
}

static hl_link_stats_t
s_stats (s_env_t *env)
{
    hl_link_stats_t stats;
    hl_link_stats (env->link, &stats);
    return stats;
}

//  Run the loop until the link says it is ready
static void
s_wait_ready (s_env_t *env)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (!s_stats (env).ready) {
        if (zclock_mono () > deadline)
            fail_msg ("never welcomed");
        s_run (env, 5);
    }
}

//  ---------------------------------------------------------------------

static void
test_bad_options (void **state)
{
    (void)state;
    s_env_t env;
    memset (&env, 0, sizeof env);
    snprintf (env.endpoint, sizeof env.endpoint, "tcp://127.0.0.1:5555");
    env.config = hl_config_new_default ();
    zloop_t *loop = zloop_new ();
    hl_link_opts_t opts = s_opts (&env);
    hl_link_t *link = hl_link_new (loop, &opts);
    assert_non_null (link);
    hl_link_destroy (&link);
    hl_link_destroy (&link);
    assert_null (hl_link_new (NULL, &opts));
    assert_null (hl_link_new (loop, NULL));
    opts.endpoint = "nonsense://x";
    assert_null (hl_link_new (loop, &opts));
    opts = s_opts (&env);
    opts.backoff_min_ms = 0;
    assert_null (hl_link_new (loop, &opts));
    opts = s_opts (&env);
    opts.backoff_max_ms = 10;
    assert_null (hl_link_new (loop, &opts));
    opts = s_opts (&env);
    opts.hello = NULL;
    assert_null (hl_link_new (loop, &opts));
    zloop_destroy (&loop);
    hl_config_destroy (&env.config);
}

static void
test_backoff (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    //  Unanswered: hello again after 50 ms, then 100 ms (+-25%), each on
    //  a socket of its own
    int64_t start = zclock_mono ();
    for (int i = 0; i < 4; i++) {
        hl_msg_t *hello = s_recv (&env, HL_MSG_HELLO);
        assert_string_equal (hl_msg_src (hello), "linked");
        assert_string_equal (hl_msg_role (hello), "athena-ux");
        hl_msg_destroy (&hello);
    }
    int64_t took = zclock_mono () - start;
    assert_true (took >= 37 + 75 + 75);
    assert_true (took < 1000);
    hl_link_stats_t stats = s_stats (&env);
    assert_true (stats.hellos >= 4);
    assert_int_equal (stats.connects, stats.hellos);
    assert_int_equal (env.hellos_built, (int)stats.hellos);
    assert_false (stats.ready);
    s_env_stop (&env);
}

static void
test_heartbeats (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    hl_msg_t *hello = s_recv (&env, HL_MSG_HELLO);
    hl_msg_destroy (&hello);
    s_welcome (&env, 50, 20);
    s_wait_ready (&env);
    hl_link_stats_t stats = s_stats (&env);
    assert_int_equal (stats.welcomes, 1);
    assert_int_equal (stats.received, 1);
    //  One every 50 ms, with the owner's inflight count
    int64_t start = zclock_mono ();
    for (int i = 0; i < 5; i++) {
        hl_msg_t *beat = s_recv (&env, HL_MSG_HEARTBEAT);
        assert_int_equal (hl_msg_inflight (beat), 3);
        hl_msg_destroy (&beat);
    }
    int64_t took = zclock_mono () - start;
    assert_true (took >= 150 && took < 1000);
    //  No hello while welcomed
    assert_int_equal (s_stats (&env).hellos, 1);

    //  Stopped: no more beats of its own, but sends still go
    hl_link_stop (env.link);
    assert_null (s_recv_within (&env, HL_MSG_HEARTBEAT, 200));
    hl_msg_t *bye = hl_msg_new (HL_MSG_BYE);
    hl_msg_set_reason (bye, "shutdown");
    assert_int_equal (hl_link_send (env.link, &bye), 0);
    assert_null (bye);
    bye = s_recv (&env, HL_MSG_BYE);
    assert_string_equal (hl_msg_src (bye), "linked");
    hl_msg_destroy (&bye);
    //  A master that forgot us gets no hello after our bye
    hl_msg_t *error = hl_msg_new (HL_MSG_ERROR);
    hl_msg_set_code (error, HL_ERR_PEER);
    hl_msg_set_text (error, "who?");
    s_send (&env, error);
    assert_null (s_recv_within (&env, HL_MSG_HELLO, 200));
    s_env_stop (&env);
}

/*  The master lengthens the period in a heartbeat of its own: the agent
    beats at the new one, and keeps its liveness. */
static void
test_period_changed (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    hl_msg_t *hello = s_recv (&env, HL_MSG_HELLO);
    hl_msg_destroy (&hello);
    s_welcome (&env, 50, 20);
    s_wait_ready (&env);
    hl_msg_t *beat = s_recv (&env, HL_MSG_HEARTBEAT);
    hl_msg_destroy (&beat);
    beat = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (beat, 0);
    hl_msg_set_heartbeat_ms (beat, 400);
    s_send (&env, beat);
    //  Whatever was due at the old period may still come; then none for
    //  most of the new one
    s_run (&env, 60);
    while ((beat = s_recv_within (&env, HL_MSG_HEARTBEAT, 1)))
        hl_msg_destroy (&beat);
    assert_null (s_recv_within (&env, HL_MSG_HEARTBEAT, 250));
    beat = s_recv (&env, HL_MSG_HEARTBEAT);
    hl_msg_destroy (&beat);
    //  A heartbeat without a period changes nothing
    beat = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (beat, 0);
    s_send (&env, beat);
    assert_null (s_recv_within (&env, HL_MSG_HEARTBEAT, 250));
    assert_int_equal (s_stats (&env).hellos, 1);
    s_env_stop (&env);
}

static void
test_messages (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    hl_msg_t *hello = s_recv (&env, HL_MSG_HELLO);
    hl_msg_destroy (&hello);
    s_welcome (&env, 1000, 20);
    s_wait_ready (&env);
    //  Task and cancel go to the owner; a heartbeat and a result do not
    hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
    hl_msg_set_task_id (task, 7);
    hl_msg_set_kind (task, "echo");
    hl_msg_set_priority (task, 1);
    hl_msg_set_attempt (task, 1);
    s_send (&env, task);
    hl_msg_t *cancel = hl_msg_new (HL_MSG_CANCEL);
    hl_msg_set_task_id (cancel, 7);
    s_send (&env, cancel);
    hl_msg_t *beat = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (beat, 0);
    s_send (&env, beat);
    hl_msg_t *result = hl_msg_new (HL_MSG_RESULT);
    hl_msg_set_task_id (result, 7);
    hl_msg_set_status (result, "ok");
    hl_msg_set_duration_us (result, 1);
    s_send (&env, result);
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (s_stats (&env).received + s_stats (&env).dropped < 5
           && zclock_mono () < deadline)
        s_run (&env, 5);
    hl_link_stats_t stats = s_stats (&env);
    assert_int_equal (stats.received, 4); //  welcome, task, cancel, beat
    assert_int_equal (stats.dropped, 1);
    assert_int_equal (env.handed, 2);
    assert_int_equal (env.last, HL_MSG_CANCEL);

    //  Forgotten by the master: hello again at once, same socket
    hl_msg_t *error = hl_msg_new (HL_MSG_ERROR);
    hl_msg_set_code (error, HL_ERR_PEER);
    hl_msg_set_text (error, "who?");
    s_send (&env, error);
    hello = s_recv (&env, HL_MSG_HELLO);
    hl_msg_destroy (&hello);
    stats = s_stats (&env);
    assert_int_equal (stats.hellos, 2);
    assert_int_equal (stats.connects, 1);
    assert_false (stats.ready);
    s_env_stop (&env);
}

static void
test_silence (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    hl_msg_t *hello = s_recv (&env, HL_MSG_HELLO);
    hl_msg_destroy (&hello);
    size_t first_len = env.peer_len;
    uint8_t first[256];
    memcpy (first, env.peer, first_len);
    //  50 ms x 3: silent for 150 ms, the master is presumed dead
    s_welcome (&env, 50, 3);
    s_wait_ready (&env);
    int64_t start = zclock_mono ();
    hello = s_recv (&env, HL_MSG_HELLO);
    int64_t took = zclock_mono () - start;
    assert_true (took >= 100 && took < 1000);
    hl_msg_destroy (&hello);
    hl_link_stats_t stats = s_stats (&env);
    assert_int_equal (stats.connects, 2);
    assert_false (stats.ready);
    //  From a new socket: a new routing id
    assert_false (env.peer_len == first_len
                  && memcmp (env.peer, first, first_len) == 0);
    s_welcome (&env, 50, 3);
    s_wait_ready (&env);
    assert_int_equal (s_stats (&env).welcomes, 2);
    s_env_stop (&env);
}

int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bad_options),
        cmocka_unit_test (test_backoff),
        cmocka_unit_test (test_heartbeats),
        cmocka_unit_test (test_period_changed),
        cmocka_unit_test (test_messages),
        cmocka_unit_test (test_silence),
    };
    return cmocka_run_group_tests_name ("hl_link", tests, NULL, NULL);
}
