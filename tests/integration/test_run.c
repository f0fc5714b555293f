/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_run - deploy/run.sh, the launcher behind make run: with a port
    its config names already taken, it says why and exits non-zero at
    once instead of waiting and exiting 0; on a free config it starts
    the master and an agent of each role, says how often a cycle runs
    (the number) and what to type next (one command a line), and SIGTERM
    stops them all with exit 0, leaving no process behind.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
s_bin_dir (void)
{
    const char *dir = getenv ("HELIOS_BIN");
    return dir ? dir : "bin";
}

static void
test_run_port_taken (void **state)
{
    (void)state;
    /*  Someone else listens on the port the config gives the tasks
        socket. */
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal (listen (fd, 1), 0);
    socklen_t len = sizeof addr;
    assert_int_equal (getsockname (fd, (struct sockaddr *)&addr, &len), 0);
    char tasks[64];
    snprintf (tasks, sizeof tasks, "tcp://127.0.0.1:%d",
              (int)ntohs (addr.sin_port));

    char dir[256], config[320];
    ht_tmpdir (dir, sizeof dir);
    ht_write_config (dir, tasks, NULL, NULL, config, sizeof config);
    const char *argv[] = { "deploy/run.sh", "-b",        s_bin_dir (), "-c",
                           config,          "--no-demo", NULL };
    static char out[65536], err[65536];
    int64_t start = s_now_ms ();
    int rc = ht_run_group (argv, 10000, out, sizeof out, err, sizeof err);
    int64_t took = s_now_ms () - start;
    if (getenv ("HT_VERBOSE"))
        fprintf (stderr, "run.sh: %d after %d ms\n%s%s", rc, (int)took, out,
                 err);
    /*  It ended by itself, failing, and soon: not after its 15 s wait
        for a READY line that cannot come. */
    assert_true (rc > 0);
    assert_true (took < 5000);
    /*  The reason, from the master, and what run.sh made of it. */
    if (!strstr (err, "cannot bind tasks socket")
        || !strstr (err, "helios-master could not start"))
        fail_msg ("run.sh's stderr does not say why:\n%s", err);
    close (fd);
    ht_rmdir (dir);
}

static void
test_run_starts_and_stops (void **state)
{
    (void)state;
    ht_master_t m;
    memset (&m, 0, sizeof m);
    ht_tmpdir (m.dir, sizeof m.dir);
    ht_write_config (m.dir, NULL, NULL, NULL, m.config, sizeof m.config);
    const char *argv[] = { "deploy/run.sh", "-b",        s_bin_dir (), "-c",
                           m.config,        "--no-demo", NULL };
    ht_proc_t *run = ht_start_group (argv, -1);
    assert_non_null (run);
    /*  "helios: master up: READY <tasks> control=... bus_in=... bus_out=..."
        then "helios: started 6 agents (1 per role)". */
    char line[1024];
    bool up = false, started = false;
    int64_t deadline = s_now_ms () + 20000;
    while (!started && s_now_ms () < deadline
           && ht_read_line (run, line, sizeof line,
                            (int)(deadline - s_now_ms ()))) {
        if (sscanf (line,
                    "helios: master up: READY %255s control=%255s "
                    "bus_in=%255s bus_out=%255s",
                    m.tasks, m.control, m.bus_in, m.bus_out)
            == 4)
            up = true;
        started |= strstr (line, "helios: started 6 agents") != NULL;
    }
    assert_true (up);
    assert_true (started);
    /*  What to do next: how often a cycle runs, as a number (the
        default's: the config sets none), then one command a line. */
    const char *want[]
        = { "helios: a cycle runs every 300 s (cycle.duration); in another "
            "terminal:",
            "status",
            "agents",
            "cycles",
            "report last",
            "run optimization --wait" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_true (ht_read_line (run, line, sizeof line, 10000));
        if (i == 0)
            assert_string_equal (line, want[i]);
        else {
            char tail[512];
            snprintf (tail, sizeof tail, " -c %s %s", m.config, want[i]);
            size_t n = strlen (line), t = strlen (tail);
            if (n < t || strcmp (line + n - t, tail) || !strstr (line, "ctl"))
                fail_msg ("hint line \"%s\", want one ending \"%s\"", line,
                          tail);
        }
    }
    assert_int_equal (ht_wait_agents (&m, 6, 10000), 6);

    /*  SIGTERM to run.sh alone: it stops the rest and exits 0, and its
        whole process group is gone (ht_stop waits for it). */
    assert_int_equal (ht_stop (&run, 20000), 0);
    ht_rmdir (m.dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_run_port_taken, ht_teardown),
        cmocka_unit_test_teardown (test_run_starts_and_stops, ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
