/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_notify - sd_notify through hl_notify against a real unix
    datagram socket standing in for systemd's: READY, STATUS, STOPPING,
    watchdog pings on the loop, no-ops without $NOTIFY_SOCKET, and the
    environment's bad values (watchdog period, pid, socket path).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../bus/hl_notify.h"

typedef struct {
    char dir[64];
    char path[96];
    int fd;
} systemd_t;

static int
s_setup (void **state)
{
    systemd_t *sd = calloc (1, sizeof *sd);
    snprintf (sd->dir, sizeof sd->dir, "/tmp/hl-notify.XXXXXX");
    assert_non_null (mkdtemp (sd->dir));
    snprintf (sd->path, sizeof sd->path, "%s/notify", sd->dir);
    sd->fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true (sd->fd >= 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf (sa.sun_path, sizeof sa.sun_path, "%s", sd->path);
    assert_int_equal (bind (sd->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    setenv ("NOTIFY_SOCKET", sd->path, 1);
    unsetenv ("WATCHDOG_USEC");
    unsetenv ("WATCHDOG_PID");
    *state = sd;
    return 0;
}

static int
s_teardown (void **state)
{
    systemd_t *sd = (systemd_t *)*state;
    close (sd->fd);
    unlink (sd->path);
    rmdir (sd->dir);
    free (sd);
    unsetenv ("NOTIFY_SOCKET");
    unsetenv ("WATCHDOG_USEC");
    unsetenv ("WATCHDOG_PID");
    return 0;
}

//  The next datagram within timeout_ms, NUL-terminated; false if none
static bool
s_recv (systemd_t *sd, char *buf, size_t size, int timeout_ms)
{
    struct pollfd p = { sd->fd, POLLIN, 0 };
    if (poll (&p, 1, timeout_ms) != 1)
        return false;
    ssize_t n = recv (sd->fd, buf, size - 1, 0);
    if (n < 0)
        return false;
    buf[n] = '\0';
    return true;
}

static void
s_status (void *arg, char *buf, size_t size)
{
    snprintf (buf, size, "%s", (const char *)arg);
}

static void
test_ready_status_stopping (void **state)
{
    systemd_t *sd = (systemd_t *)*state;
    zloop_t *loop = zloop_new ();
    hl_notify_t *notify = hl_notify_new (loop, s_status, "serving: 0 agents");
    assert_true (hl_notify_active (notify));
    assert_int_equal (hl_notify_watchdog_ms (notify), 0);

    char got[512];
    assert_int_equal (hl_notify_ready (notify), 0);
    assert_true (s_recv (sd, got, sizeof got, 2000));
    assert_string_equal (got, "READY=1\nSTATUS=serving: 0 agents");
    //  Once only
    assert_int_equal (hl_notify_ready (notify), 0);
    //  A status unchanged is not sent again
    assert_int_equal (hl_notify_status (notify, "serving: 0 agents"), 0);
    assert_int_equal (hl_notify_status (notify, "serving: 3 agents"), 0);
    assert_true (s_recv (sd, got, sizeof got, 2000));
    assert_string_equal (got, "STATUS=serving: 3 agents");

    assert_int_equal (hl_notify_stopping (notify), 0);
    assert_true (s_recv (sd, got, sizeof got, 2000));
    assert_string_equal (got, "STOPPING=1\nSTATUS=stopping");
    assert_int_equal (hl_notify_stopping (notify), 0);
    assert_false (s_recv (sd, got, sizeof got, 0));

    hl_notify_stats_t stats;
    hl_notify_stats (notify, &stats);
    assert_int_equal (stats.sent, 3);
    assert_int_equal (stats.failed, 0);
    assert_int_equal (stats.statuses, 3);
    assert_int_equal (stats.pings, 0);
    hl_notify_destroy (&notify);
    assert_null (notify);
    hl_notify_destroy (&notify);
    zloop_destroy (&loop);
}

//  A status is one assignment: a newline in it must not smuggle in
//  another, and it is cut, between UTF-8 characters, at the maximum
static void
test_status_cleaned (void **state)
{
    systemd_t *sd = (systemd_t *)*state;
    zloop_t *loop = zloop_new ();
    hl_notify_t *notify = hl_notify_new (loop, NULL, NULL);
    char got[512];
    assert_int_equal (hl_notify_ready (notify), 0);
    assert_true (s_recv (sd, got, sizeof got, 2000));
    assert_string_equal (got, "READY=1\nSTATUS=");

    assert_int_equal (hl_notify_status (notify, "up\nREADY=1\x7f\t"), 0);
    assert_true (s_recv (sd, got, sizeof got, 2000));
    assert_string_equal (got, "STATUS=up?READY=1??");

    char text[HL_NOTIFY_STATUS_MAX + 40];
    memset (text, 'a', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    assert_int_equal (hl_notify_status (notify, text), 0);
    assert_true (s_recv (sd, got, sizeof got, 2000));
    assert_int_equal (strlen (got), strlen ("STATUS=") + HL_NOTIFY_STATUS_MAX);

    //  "é" (two bytes) across the cut is left out whole
    memset (text, 'b', sizeof text - 1);
    memcpy (text + HL_NOTIFY_STATUS_MAX - 1, "\xc3\xa9", 2);
    assert_int_equal (hl_notify_status (notify, text), 0);
    assert_true (s_recv (sd, got, sizeof got, 2000));
    assert_int_equal (strlen (got),
                      strlen ("STATUS=") + HL_NOTIFY_STATUS_MAX - 1);
    assert_int_equal (got[strlen (got) - 1], 'b');
    hl_notify_destroy (&notify);
    zloop_destroy (&loop);
}

typedef struct {
    systemd_t *sd;
    int pings;
    char other[512]; // the first datagram that was not a ping
} watch_t;

static int
s_readable (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    (void)item;
    watch_t *w = (watch_t *)arg;
    char got[512];
    while (s_recv (w->sd, got, sizeof got, 0)) {
        if (streq (got, "WATCHDOG=1"))
            w->pings++;
        else if (!w->other[0])
            snprintf (w->other, sizeof w->other, "%s", got);
    }
    return w->pings >= 3 ? -1 : 0;
}

static int
s_deadline (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

static void
test_watchdog_pings (void **state)
{
    systemd_t *sd = (systemd_t *)*state;
    char pid[32];
    snprintf (pid, sizeof pid, "%d", (int)getpid ());
    setenv ("WATCHDOG_USEC", "40000", 1);
    setenv ("WATCHDOG_PID", pid, 1);
    zloop_t *loop = zloop_new ();
    hl_notify_t *notify = hl_notify_new (loop, s_status, "steady");
    assert_int_equal (hl_notify_watchdog_ms (notify), 20);
    assert_int_equal (hl_notify_ready (notify), 0);
    char got[512];
    assert_true (s_recv (sd, got, sizeof got, 2000));
    assert_string_equal (got, "READY=1\nSTATUS=steady");

    watch_t w = { sd, 0, "" };
    zmq_pollitem_t item = { NULL, sd->fd, ZMQ_POLLIN, 0 };
    zloop_poller (loop, &item, s_readable, &w);
    zloop_timer (loop, 10000, 1, s_deadline, NULL);
    zloop_start (loop);
    assert_true (w.pings >= 3);
    //  The status did not change, so none was sent again
    assert_string_equal (w.other, "");
    hl_notify_stats_t stats;
    hl_notify_stats (notify, &stats);
    assert_true (stats.pings >= 3);
    hl_notify_destroy (&notify);
    zloop_destroy (&loop);
}

//  $WATCHDOG_USEC and $WATCHDOG_PID: garbage, someone else's pid, zero
//  are no watchdog; periods out of bounds are brought into them
static void
test_watchdog_env (void **state)
{
    (void)state;
    char pid[32];
    snprintf (pid, sizeof pid, "%d", (int)getpid ());
    zloop_t *loop = zloop_new ();
    struct {
        const char *usec, *pid;
        int64_t ms;
    } cases[] = {
        { "abc", pid, 0 },
        { "-5", pid, 0 },
        { "0", pid, 0 },
        { "", pid, 0 },
        { "99999999999999999999999", pid, 0 },
        { "40000", "1", 0 }, // another process's watchdog
        { "40000", "x", 0 }, // a pid that is no number
        { "1", pid, HL_NOTIFY_WATCHDOG_MIN_MS },
        { "19999", pid, HL_NOTIFY_WATCHDOG_MIN_MS },
        { "20000", pid, 10 },
        { "30000000", pid, 15000 },
        { "36000000000000", pid, HL_NOTIFY_WATCHDOG_MAX_MS },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv ("WATCHDOG_USEC", cases[i].usec, 1);
        setenv ("WATCHDOG_PID", cases[i].pid, 1);
        hl_notify_t *notify = hl_notify_new (loop, NULL, NULL);
        if (hl_notify_watchdog_ms (notify) != cases[i].ms)
            fail_msg ("WATCHDOG_USEC=%s WATCHDOG_PID=%s: %lld ms, want %lld",
                      cases[i].usec, cases[i].pid,
                      (long long)hl_notify_watchdog_ms (notify),
                      (long long)cases[i].ms);
        hl_notify_destroy (&notify);
    }
    zloop_destroy (&loop);
}

//  Not run by systemd: nothing is sent, nothing fails
static void
test_no_socket (void **state)
{
    systemd_t *sd = (systemd_t *)*state;
    unsetenv ("NOTIFY_SOCKET");
    char pid[32];
    snprintf (pid, sizeof pid, "%d", (int)getpid ());
    setenv ("WATCHDOG_USEC", "40000", 1);
    setenv ("WATCHDOG_PID", pid, 1);
    zloop_t *loop = zloop_new ();
    hl_notify_t *notify = hl_notify_new (loop, s_status, "x");
    assert_false (hl_notify_active (notify));
    assert_int_equal (hl_notify_watchdog_ms (notify), 0);
    assert_int_equal (hl_notify_ready (notify), 0);
    assert_int_equal (hl_notify_status (notify, "y"), 0);
    assert_int_equal (hl_notify_stopping (notify), 0);
    hl_notify_stats_t stats;
    hl_notify_stats (notify, &stats);
    assert_int_equal (stats.sent + stats.failed, 0);
    char got[64];
    assert_false (s_recv (sd, got, sizeof got, 0));
    hl_notify_destroy (&notify);
    zloop_destroy (&loop);
}

//  The environment of a process systemd runs, inherited by its child (an
//  agent a node started): $WATCHDOG_PID names the parent, so the socket
//  is not the child's to speak on
static void
test_inherited (void **state)
{
    systemd_t *sd = (systemd_t *)*state;
    char pid[32];
    snprintf (pid, sizeof pid, "%d", (int)getppid ());
    setenv ("WATCHDOG_USEC", "40000", 1);
    setenv ("WATCHDOG_PID", pid, 1);
    zloop_t *loop = zloop_new ();
    hl_notify_t *notify = hl_notify_new (loop, s_status, "x");
    assert_false (hl_notify_active (notify));
    assert_int_equal (hl_notify_watchdog_ms (notify), 0);
    assert_int_equal (hl_notify_ready (notify), 0);
    assert_int_equal (hl_notify_stopping (notify), 0);
    char got[64];
    assert_false (s_recv (sd, got, sizeof got, 0));
    hl_notify_destroy (&notify);

    //  A pid that is no number is no one's: the socket is ours, the
    //  watchdog refused
    setenv ("WATCHDOG_PID", "12x", 1);
    notify = hl_notify_new (loop, s_status, "x");
    assert_true (hl_notify_active (notify));
    assert_int_equal (hl_notify_watchdog_ms (notify), 0);
    hl_notify_destroy (&notify);
    zloop_destroy (&loop);
}

//  A socket that is not there, or a path no socket can have: each send
//  fails, is counted, and the caller carries on
static void
test_bad_socket (void **state)
{
    (void)state;
    zloop_t *loop = zloop_new ();
    char longpath[300];
    memset (longpath, 'p', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    const char *paths[]
        = { "/nonexistent/hl-notify", "relative/path", longpath };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        setenv ("NOTIFY_SOCKET", paths[i], 1);
        hl_notify_t *notify = hl_notify_new (loop, NULL, NULL);
        assert_true (hl_notify_active (notify));
        assert_int_equal (hl_notify_ready (notify), -1);
        assert_int_equal (hl_notify_status (notify, "z"), -1);
        assert_int_equal (hl_notify_stopping (notify), -1);
        hl_notify_stats_t stats;
        hl_notify_stats (notify, &stats);
        assert_int_equal (stats.failed, 3);
        assert_int_equal (stats.sent, 0);
        hl_notify_destroy (&notify);
    }
    zloop_destroy (&loop);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_ready_status_stopping, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_status_cleaned, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_watchdog_pings, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_watchdog_env, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_no_socket, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_inherited, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_socket, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name ("hl_notify", tests, NULL, NULL);
}
