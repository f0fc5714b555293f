/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_systemd - Helios as systemd runs it. The real helios-master and
    helios-agent, each given a unix datagram socket as $NOTIFY_SOCKET,
    say READY=1 (with a STATUS= line), ping the watchdog when
    $WATCHDOG_USEC asks, keep the status current and say STOPPING=1 on
    SIGTERM. And tests/check-systemd.sh: make install into a scratch
    DESTDIR, make uninstall, and systemd-analyze verify on the units.
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
#include <czmq.h>

#include "harness.h"

typedef struct {
    char dir[256];
    char path[sizeof ((struct sockaddr_un *)0)->sun_path];
    int fd;
} systemd_t;

//  A folder and a datagram socket in it, standing in for systemd's
static void
s_systemd_open (systemd_t *sd)
{
    ht_tmpdir (sd->dir, sizeof sd->dir);
    size_t len = strlen (sd->dir);
    assert_true (len + sizeof "/notify" <= sizeof sd->path);
    memcpy (sd->path, sd->dir, len);
    memcpy (sd->path + len, "/notify", sizeof "/notify");
    sd->fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true (sd->fd >= 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy (sa.sun_path, sd->path, sizeof sa.sun_path);
    assert_int_equal (bind (sd->fd, (struct sockaddr *)&sa, sizeof sa), 0);
}

static void
s_systemd_close (systemd_t *sd)
{
    close (sd->fd);
    ht_rmdir (sd->dir);
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

//  Datagrams until one holds want, within timeout_ms; got gets that one
static bool
s_until (systemd_t *sd, const char *want, char *got, size_t size,
         int timeout_ms)
{
    int64_t until = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = until - zclock_mono ();
        if (left < 0 || !s_recv (sd, got, size, (int)left))
            return false;
        if (strstr (got, want))
            return true;
    }
}

static void
test_master_ready_watchdog_stopping (void **state)
{
    (void)state;
    systemd_t sd;
    s_systemd_open (&sd);
    //  Pings every 100 ms; systemd sets these for the main process only
    setenv ("NOTIFY_SOCKET", sd.path, 1);
    setenv ("WATCHDOG_USEC", "200000", 1);
    ht_master_t m;
    bool started = ht_master_start (&m, NULL, NULL);
    unsetenv ("NOTIFY_SOCKET");
    unsetenv ("WATCHDOG_USEC");
    assert_true (started);

    //  READY comes first, with the status line: the master printed its
    //  READY line, so it is bound and its store is open
    char got[512];
    assert_true (s_recv (&sd, got, sizeof got, 10000));
    const char *first = "READY=1\nSTATUS=serving ";
    if (strncmp (got, first, strlen (first)) != 0)
        fail_msg ("first notification: '%s'", got);
    assert_non_null (strstr (got, m.tasks));
    assert_non_null (strstr (got, ": 0 agents"));
    assert_true (s_until (&sd, "WATCHDOG=1", got, sizeof got, 10000));
    assert_true (s_until (&sd, "WATCHDOG=1", got, sizeof got, 10000));

    assert_int_equal (ht_master_stop (&m), 0);
    assert_true (s_until (&sd, "STOPPING=1", got, sizeof got, 5000));
    assert_string_equal (got, "STOPPING=1\nSTATUS=stopping");
    s_systemd_close (&sd);
}

//  The agent is READY once its loop runs, whether or not the master
//  answers; its status then says when the master welcomed it, and the
//  master's counts it
static void
test_agent_ready_status_stopping (void **state)
{
    (void)state;
    systemd_t master_sd, agent_sd;
    s_systemd_open (&master_sd);
    s_systemd_open (&agent_sd);
    setenv ("NOTIFY_SOCKET", master_sd.path, 1);
    ht_master_t m;
    bool started = ht_master_start (&m, NULL, NULL);
    setenv ("NOTIFY_SOCKET", agent_sd.path, 1);
    ht_proc_t *agent = started ? ht_agent_start (&m, "athena-api", NULL) : NULL;
    unsetenv ("NOTIFY_SOCKET");
    assert_true (started);

    char got[512];
    assert_true (s_recv (&agent_sd, got, sizeof got, 10000));
    if (strncmp (got, "READY=1\nSTATUS=", strlen ("READY=1\nSTATUS=")) != 0)
        fail_msg ("the agent's first notification: '%s'", got);
    //  Once welcomed (at once, or at the next second's status)
    if (!strstr (got, "STATUS=serving, 0 running, 0 queued"))
        assert_true (s_until (&agent_sd, "STATUS=serving, 0 running", got,
                              sizeof got, 10000));
    assert_true (s_until (&master_sd, ": 1 agent", got, sizeof got, 10000));

    assert_int_equal (ht_stop (&agent, 10000), 0);
    assert_true (s_until (&agent_sd, "STOPPING=1", got, sizeof got, 5000));
    assert_int_equal (ht_master_stop (&m), 0);
    assert_true (s_until (&master_sd, "STOPPING=1", got, sizeof got, 5000));
    s_systemd_close (&agent_sd);
    s_systemd_close (&master_sd);
}

//  An agent whose master is not there is READY all the same, and says
//  it is connecting
static void
test_agent_ready_without_master (void **state)
{
    (void)state;
    systemd_t sd;
    s_systemd_open (&sd);
    char dir[256], config[320];
    ht_tmpdir (dir, sizeof dir);
    ht_write_config (dir, "tcp://127.0.0.1:1", NULL, NULL, config,
                     sizeof config);
    setenv ("NOTIFY_SOCKET", sd.path, 1);
    const char *argv[] = {
        ht_bin ("helios-agent"), "-c", config, "--role", "athena-ux", NULL
    };
    ht_proc_t *agent = ht_start (argv);
    unsetenv ("NOTIFY_SOCKET");
    char got[512];
    assert_true (s_recv (&sd, got, sizeof got, 10000));
    assert_string_equal (
        got, "READY=1\nSTATUS=connecting, master tcp://127.0.0.1:1 not "
             "answering");
    assert_int_equal (ht_stop (&agent, 10000), 0);
    assert_true (s_until (&sd, "STOPPING=1", got, sizeof got, 5000));
    ht_rmdir (dir);
    s_systemd_close (&sd);
}

//  An agent a node started inherits the node's environment: $WATCHDOG_PID
//  names the node (here, the test), so the agent says nothing on the
//  node's socket, not once it runs (the master has it), nor stopping
static void
test_agent_inherited_environment (void **state)
{
    (void)state;
    systemd_t sd;
    s_systemd_open (&sd);
    ht_master_t m;
    bool started = ht_master_start (&m, NULL, NULL);
    char pid[32];
    snprintf (pid, sizeof pid, "%d", (int)getpid ());
    setenv ("NOTIFY_SOCKET", sd.path, 1);
    setenv ("WATCHDOG_USEC", "200000", 1);
    setenv ("WATCHDOG_PID", pid, 1);
    ht_proc_t *agent = started ? ht_agent_start (&m, "athena-ux", NULL) : NULL;
    unsetenv ("NOTIFY_SOCKET");
    unsetenv ("WATCHDOG_USEC");
    unsetenv ("WATCHDOG_PID");
    assert_true (started);
    assert_int_equal (ht_wait_agents (&m, 1, 10000), 1);
    assert_int_equal (ht_stop (&agent, 10000), 0);
    char got[512];
    if (s_recv (&sd, got, sizeof got, 0))
        fail_msg ("an agent with a parent's environment said '%s'", got);
    assert_int_equal (ht_master_stop (&m), 0);
    s_systemd_close (&sd);
}

//  A node is READY once its loop runs and tells its state; the agents it
//  starts get an environment without the node's socket, so nothing of
//  theirs reaches it; STOPPING=1 when it drains
static void
test_node_ready_agents_quiet (void **state)
{
    (void)state;
    systemd_t sd;
    s_systemd_open (&sd);
    ht_master_t m;
    assert_true (
        ht_master_start (&m, "heartbeat_ms = 250; liveness = 4;", NULL));
    char config[400];
    snprintf (config, sizeof config, "%s/node.cfg", m.dir);
    FILE *in = fopen (m.config, "r");
    FILE *out = fopen (config, "w");
    assert_non_null (in);
    assert_non_null (out);
    char buf[4096];
    size_t n;
    while ((n = fread (buf, 1, sizeof buf, in)) > 0)
        assert_int_equal (fwrite (buf, 1, n, out), n);
    fprintf (out, "node = { name = \"n1\"; capacity = 2; };\n");
    fclose (in);
    fclose (out);
    setenv ("NOTIFY_SOCKET", sd.path, 1);
    const char *argv[]
        = { ht_bin ("helios-node"), "-c", config, "--master", m.tasks, NULL };
    ht_proc_t *node = ht_start (argv);
    unsetenv ("NOTIFY_SOCKET");
    char got[512];
    assert_true (s_until (&sd, "READY=1", got, sizeof got, 10000));
    assert_non_null (strstr (got, "STATUS="));
    static char ctl[65536];
    assert_int_equal (
        ht_ctl (&m, ctl, sizeof ctl, "scale", "athena-ux=1", NULL), 0);
    assert_true (ht_wait_agents (&m, 2, 10000) >= 2); /* the node, one */
    assert_int_equal (ht_stop (&node, 20000), 0);
    //  Only the node spoke: its STOPPING, and never an agent's READY
    //  or status (theirs read "connecting" or "serving")
    bool stopping = false;
    while (s_recv (&sd, got, sizeof got, 200)) {
        assert_null (strstr (got, "serving"));
        assert_null (strstr (got, "connecting"));
        stopping |= strstr (got, "STOPPING=1") != NULL;
    }
    assert_true (stopping);
    assert_int_equal (ht_master_stop (&m), 0);
    s_systemd_close (&sd);
}

//  tests/check-systemd.sh; 77 means systemd-analyze cannot run here
static void
test_install_and_units (void **state)
{
    (void)state;
    const char *argv[]
        = { "/bin/sh", "-c", "tests/check-systemd.sh \"$0\" 2>&1",
            getenv ("HELIOS_BIN") ? getenv ("HELIOS_BIN") : "bin", NULL };
    static char out[65536];
    int rc = ht_run (argv, 120000, out, sizeof out);
    printf ("%s", out);
    if (rc == 77)
        skip ();
    assert_int_equal (rc, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_master_ready_watchdog_stopping,
                                   ht_teardown),
        cmocka_unit_test_teardown (test_agent_ready_status_stopping,
                                   ht_teardown),
        cmocka_unit_test_teardown (test_agent_ready_without_master,
                                   ht_teardown),
        cmocka_unit_test_teardown (test_agent_inherited_environment,
                                   ht_teardown),
        cmocka_unit_test_teardown (test_node_ready_agents_quiet, ht_teardown),
        cmocka_unit_test_teardown (test_install_and_units, ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
