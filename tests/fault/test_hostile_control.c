/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hostile_control - a hostile client at a real helios-master's
    control and tasks sockets, over raw DEALERs: each mistyped or
    out-of-range argument the probe found is refused with its named
    error and counted, and starts nothing; the same request bytes sent
    twice start one run and get one answer twice; a peer that sends
    malformed frames past the threshold stops getting answers and is
    logged once, with its address, while a well-behaved peer is served
    all along.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../master/hl_client.h"
#include "../integration/harness.h"

#define S_ERRORS 100 /* the threshold the config sets: the default */
#define S_SENT 150   /* malformed frames the offender sends */

/*  A master whose stderr goes to dir/master.log, so the test can count
    what it logged. */
static void
s_master_start (ht_master_t *m, char *log, size_t logsize)
{
    memset (m, 0, sizeof *m);
    ht_tmpdir (m->dir, sizeof m->dir);
    ht_write_config (m->dir, NULL, NULL,
                     "guard = { offender_errors = 100; offender_window_s = 10;"
                     " offender_ban_s = 60; idem_window_s = 60; };",
                     m->config, sizeof m->config);
    snprintf (log, logsize, "%s/master.log", m->dir);
    const char *prefix[]
        = { "/bin/sh", "-c", "exec \"$@\" 2>>\"$0\"", log, NULL };
    assert_true (ht_master_launch_in (m, prefix));
}

static hl_msg_t *
s_status (const ht_master_t *m)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    assert_non_null (reply);
    assert_true (hl_msg_ok (reply));
    return reply;
}

/*  status group.sub.key (sub may be NULL), or -1. */
static int64_t
s_stat (const ht_master_t *m, const char *group, const char *sub,
        const char *key)
{
    hl_msg_t *status = s_status (m);
    const hl_value_t *g = hl_value_get (hl_msg_data (status), group);
    if (sub)
        g = hl_value_get (g, sub);
    int64_t v = hl_value_get_int (g, key, -1);
    hl_msg_destroy (&status);
    return v;
}

/*  Poll status until group.sub.key >= want or 10 s pass; the last value. */
static int64_t
s_wait_stat (const ht_master_t *m, const char *group, const char *sub,
             const char *key, int64_t want)
{
    int64_t deadline = zclock_mono () + 10000;
    int64_t v = -1;
    zpoller_t *idle = zpoller_new (NULL);
    while (zclock_mono () < deadline) {
        v = s_stat (m, group, sub, key);
        if (v >= want)
            break;
        zpoller_wait (idle, 20); /* a short step between polls */
    }
    zpoller_destroy (&idle);
    return v;
}

/*  The next message on sock within timeout_ms, or NULL. */
static hl_msg_t *
s_recv (zsock_t *sock, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    void *ready = zpoller_wait (poller, timeout_ms);
    zpoller_destroy (&poller);
    if (!ready)
        return NULL;
    hl_msg_t *msg = NULL;
    assert_int_equal (hl_bus_recv (sock, NULL, &msg, NULL), 0);
    return msg;
}

/*  A request of op with args (taken; may be NULL) and id, encoded. */
static zframe_t *
s_request (const char *op, hl_value_t *args, uint64_t id)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_REQUEST);
    hl_msg_set_id (msg, id);
    hl_msg_set_src (msg, "hostile");
    hl_msg_set_op (msg, op);
    if (args)
        hl_msg_set_args (msg, &args);
    uint8_t *data;
    size_t size;
    assert_int_equal (hl_msg_encode (msg, &data, &size), 0);
    zframe_t *frame = zframe_new (data, size);
    free (data);
    hl_msg_destroy (&msg);
    return frame;
}

static void
s_send (zsock_t *sock, const zframe_t *frame)
{
    zframe_t *copy = zframe_dup ((zframe_t *)frame);
    assert_int_equal (zframe_send (&copy, sock, 0), 0);
}

/*  The reply to request id on dealer within 5 s. */
static hl_msg_t *
s_reply (zsock_t *dealer, uint64_t id)
{
    hl_msg_t *reply = s_recv (dealer, 5000);
    assert_non_null (reply);
    assert_int_equal (hl_msg_type (reply), HL_MSG_REPLY);
    assert_true (hl_msg_re (reply) == id);
    return reply;
}

static hl_value_t *
s_args1 (const char *key, hl_value_t *v)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set (args, key, &v);
    return args;
}

/*  Each bad request of the probe, and a few more: its named error, and
    nothing started. */
static void
test_bad_arguments (void **state)
{
    (void)state;
    ht_master_t m;
    char log[512];
    s_master_start (&m, log, sizeof log);
    zsock_t *dealer = hl_sock_connect (ZMQ_DEALER, m.control, NULL, NULL);
    assert_non_null (dealer);
    hl_value_t *apply = hl_value_new_map ();
    hl_value_set_str (apply, "kind", "apply");
    hl_value_set_str (apply, "role", "hephaestus-backend");
    hl_value_set_bool (apply, "wait", false);
    struct {
        const char *op;
        hl_value_t *args;
        const char *tag;
    } cases[] = {
        { "run", s_args1 ("kind", hl_value_new_int (7)), "[mistyped]" },
        { "report", s_args1 ("id", hl_value_new_uint (UINT64_MAX)), "[range]" },
        { "report", s_args1 ("id", hl_value_new_str ("last")), "[mistyped]" },
        { "report", s_args1 ("id", hl_value_new_double (1.5)), "[mistyped]" },
        { "task.cancel", s_args1 ("task_id", hl_value_new_uint (UINT64_MAX)),
          "[range]" },
        { "task.run", s_args1 ("priority", hl_value_new_int (4294967299LL)),
          "[range]" },
        { "task.run", apply, "[missing]" },
        { "task.cancel", NULL, "[missing]" },
        { "status", s_args1 ("x", hl_value_new_int (1)), "[args]" },
        { "metric.push", s_args1 ("name", hl_value_new_str ("x")),
          "[missing]" },
    };
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        zframe_t *frame = s_request (cases[i].op, cases[i].args, 1000 + i);
        s_send (dealer, frame);
        zframe_destroy (&frame);
        hl_msg_t *reply = s_reply (dealer, 1000 + i);
        assert_false (hl_msg_ok (reply));
        if (!strstr (hl_msg_error (reply), cases[i].tag))
            fail_msg ("%s: '%s' lacks %s", cases[i].op, hl_msg_error (reply),
                      cases[i].tag);
        hl_msg_destroy (&reply);
    }
    //  Counted by reason; no run, no task
    assert_int_equal (s_stat (&m, "control", NULL, "refused"), (int64_t)n);
    assert_int_equal (s_stat (&m, "control", "refused_by", "mistyped"), 3);
    assert_int_equal (s_stat (&m, "control", "refused_by", "range"), 3);
    assert_int_equal (s_stat (&m, "control", "refused_by", "missing"), 3);
    assert_int_equal (s_stat (&m, "control", "refused_by", "args"), 1);
    assert_int_equal (s_stat (&m, "cycle", NULL, "started"), 0);
    assert_int_equal (s_stat (&m, "tasks", NULL, "submitted"), 0);
    //  A good request is still served
    zframe_t *frame = s_request ("status", NULL, 2000);
    s_send (dealer, frame);
    zframe_destroy (&frame);
    hl_msg_t *reply = s_reply (dealer, 2000);
    assert_true (hl_msg_ok (reply));
    hl_msg_destroy (&reply);
    zsock_destroy (&dealer);
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  The same request bytes twice (and a third time later): one run, the
    same answer each time. */
static void
test_repeated_request (void **state)
{
    (void)state;
    ht_master_t m;
    char log[512];
    s_master_start (&m, log, sizeof log);
    zsock_t *dealer = hl_sock_connect (ZMQ_DEALER, m.control, NULL, NULL);
    assert_non_null (dealer);
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind", "optimization");
    zframe_t *frame = s_request ("run", args, 77);
    s_send (dealer, frame);
    s_send (dealer, frame);
    hl_msg_t *first = s_reply (dealer, 77);
    assert_true (hl_msg_ok (first));
    int64_t id = hl_value_get_int (hl_msg_data (first), "id", 0);
    assert_true (id > 0);
    hl_msg_t *second = s_reply (dealer, 77);
    assert_true (hl_msg_eq (first, second));
    hl_msg_destroy (&second);
    s_send (dealer, frame);
    hl_msg_t *third = s_reply (dealer, 77);
    assert_true (hl_msg_eq (first, third));
    hl_msg_destroy (&third);
    hl_msg_destroy (&first);
    assert_int_equal (s_stat (&m, "cycle", NULL, "started"), 1);
    assert_int_equal (s_stat (&m, "control", "idempotency", "replayed"), 2);

    //  Another client's request 77 is its own, answered on its terms
    zsock_t *other = hl_sock_connect (ZMQ_DEALER, m.control, NULL, NULL);
    assert_non_null (other);
    hl_msg_t *status_req = NULL;
    zframe_t *status = s_request ("status", NULL, 77);
    s_send (other, status);
    zframe_destroy (&status);
    status_req = s_reply (other, 77);
    assert_true (hl_msg_ok (status_req));
    assert_non_null (hl_value_get (hl_msg_data (status_req), "version"));
    hl_msg_destroy (&status_req);
    zsock_destroy (&other);

    //  A waited run sent twice at once: one run, two equal reports
    args = hl_value_new_map ();
    hl_value_set_str (args, "kind", "optimization");
    hl_value_set_bool (args, "wait", true);
    zframe_t *waited = s_request ("run", args, 78);
    s_send (dealer, waited);
    s_send (dealer, waited);
    zframe_destroy (&waited);
    zframe_destroy (&frame);
    hl_msg_t *a = s_recv (dealer, 30000);
    hl_msg_t *b = s_recv (dealer, 30000);
    assert_non_null (a);
    assert_non_null (b);
    assert_true (hl_msg_re (a) == 78 && hl_msg_re (b) == 78);
    assert_true (hl_msg_eq (a, b));
    hl_msg_destroy (&a);
    hl_msg_destroy (&b);
    assert_int_equal (s_stat (&m, "cycle", NULL, "started"), 2);
    zsock_destroy (&dealer);
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  Lines of file that hold both needles. */
static int
s_count_lines (const char *path, const char *a, const char *b)
{
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char line[2048];
    int n = 0;
    while (fgets (line, sizeof line, f))
        n += strstr (line, a) && strstr (line, b);
    fclose (f);
    return n;
}

/*  Replies waiting on sock now, read and counted. */
static int
s_drain (zsock_t *sock)
{
    int n = 0;
    hl_msg_t *msg;
    while ((msg = s_recv (sock, 0))) {
        hl_msg_destroy (&msg);
        n++;
    }
    return n;
}

/*  The offender on one socket: S_SENT malformed frames, S_ERRORS - 1
    error replies, then nothing, not even to a good message; logged
    once. The good peer's exchange (good_check) runs meanwhile. */
static void
s_offend (const ht_master_t *m, const char *socket, const char *endpoint,
          const char *group, const char *log, zsock_t *good,
          void (*good_check) (const ht_master_t *, zsock_t *))
{
    zsock_t *bad = hl_sock_connect (ZMQ_DEALER, endpoint, NULL, NULL);
    assert_non_null (bad);
    for (int i = 0; i < S_SENT; i++) {
        zframe_t *junk = zframe_new ("\xc1junk", 5);
        assert_int_equal (zframe_send (&junk, bad, 0), 0);
        if (i == S_SENT / 2)
            good_check (m, good);
    }
    const char *sub = "offenders";
    assert_int_equal (s_wait_stat (m, group, sub, "dropped", S_SENT - S_ERRORS),
                      S_SENT - S_ERRORS);
    assert_int_equal (s_stat (m, group, sub, "bans"), 1);
    assert_int_equal (s_stat (m, group, sub, "banned"), 1);
    //  Every frame was read by now: the replies are all there
    assert_int_equal (s_drain (bad), S_ERRORS - 1);
    //  Even a good message goes unanswered
    good_check (m, good);
    zframe_t *frame = s_request ("status", NULL, 5);
    s_send (bad, frame);
    zframe_destroy (&frame);
    assert_int_equal (
        s_wait_stat (m, group, sub, "dropped", S_SENT - S_ERRORS + 1),
        S_SENT - S_ERRORS + 1);
    assert_int_equal (s_drain (bad), 0);
    good_check (m, good);
    zsock_destroy (&bad);
    char prefix[64];
    snprintf (prefix, sizeof prefix, "%s: peer ", socket);
    if (getenv ("HT_VERBOSE")) {
        char cmd[600];
        snprintf (cmd, sizeof cmd, "cat >&2 '%s'", log);
        assert_int_equal (system (cmd), 0);
    }
    assert_int_equal (s_count_lines (log, prefix, "dropped for 60 s"), 1);
    assert_int_equal (s_count_lines (log, prefix, "127.0.0.1"), 1);
}

static void
s_good_control (const ht_master_t *m, zsock_t *good)
{
    (void)m;
    static uint64_t id = 100;
    zframe_t *frame = s_request ("status", NULL, ++id);
    s_send (good, frame);
    zframe_destroy (&frame);
    hl_msg_t *reply = s_reply (good, id);
    assert_true (hl_msg_ok (reply));
    hl_msg_destroy (&reply);
}

/*  A hello on the tasks socket is welcomed. */
static void
s_good_tasks (const ht_master_t *m, zsock_t *good)
{
    (void)m;
    hl_msg_t *hello = hl_msg_new (HL_MSG_HELLO);
    hl_msg_set_src (hello, "good@test");
    hl_msg_set_role (hello, "athena-api");
    hl_msg_set_capacity (hello, 1);
    hl_msg_set_host (hello, "test");
    hl_msg_set_pid (hello, (uint32_t)getpid ());
    hl_msg_set_version (hello, "test");
    assert_int_equal (hl_bus_send (good, &hello), 0);
    //  Heartbeats of its last session may come first
    int64_t deadline = zclock_mono () + 5000;
    bool welcomed = false;
    while (!welcomed && zclock_mono () < deadline) {
        hl_msg_t *msg = s_recv (good, 1000);
        welcomed = msg && hl_msg_type (msg) == HL_MSG_WELCOME;
        hl_msg_destroy (&msg);
    }
    assert_true (welcomed);
}

static void
test_offender_control (void **state)
{
    (void)state;
    ht_master_t m;
    char log[512];
    s_master_start (&m, log, sizeof log);
    zsock_t *good = hl_sock_connect (ZMQ_DEALER, m.control, NULL, NULL);
    assert_non_null (good);
    s_offend (&m, "control", m.control, "control", log, good, s_good_control);
    zsock_destroy (&good);
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_offender_tasks (void **state)
{
    (void)state;
    ht_master_t m;
    char log[512];
    s_master_start (&m, log, sizeof log);
    zsock_t *good = hl_sock_connect (ZMQ_DEALER, m.tasks, NULL, NULL);
    assert_non_null (good);
    s_offend (&m, "tasks", m.tasks, "tasks", log, good, s_good_tasks);
    zsock_destroy (&good);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    if (getenv ("FT_ONLY"))
        cmocka_set_test_filter (getenv ("FT_ONLY"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_bad_arguments, ht_teardown),
        cmocka_unit_test_teardown (test_repeated_request, ht_teardown),
        cmocka_unit_test_teardown (test_offender_control, ht_teardown),
        cmocka_unit_test_teardown (test_offender_tasks, ht_teardown),
    };
    return cmocka_run_group_tests_name ("hostile_control", tests, NULL, NULL);
}
