/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_spawn - real child shells: exit codes and signals, the output
    tail, stdin (small, large, unread), descriptors and signals the child
    must not inherit, its own process group, the timeout and kill that
    take the whole group, destroy of a running child, and no zombie left.
    Every wait has a deadline.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../bus/hl_spawn.h"
#include "../../proto/hl_err.h"

#define WAIT_MS 5000 //  the longest any condition may take

static hl_spawn_t *
s_run (const char *command)
{
    hl_spawn_opts_t opts = { .command = command };
    char err[128];
    hl_spawn_t *child = hl_spawn_new (&opts, NULL, err, sizeof err);
    if (!child)
        fail_msg ("%s: %s", command, err);
    return child;
}

//  Step until reaped, with a deadline
static void
s_reap (hl_spawn_t *child)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (hl_spawn_step (child) != HL_SPAWN_REAPED) {
        if (zclock_mono () > deadline)
            fail_msg ("process %d not reaped", hl_spawn_pid (child));
        zclock_sleep (5);
    }
}

//  Run command to its end; its output into buf
static hl_spawn_t *
s_run_all (const char *command, char *buf, size_t size)
{
    hl_spawn_t *child = s_run (command);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    s_reap (child);
    hl_spawn_output (child, buf, size);
    return child;
}

//  Gone, or a zombie whose reaper is not us
static bool
s_pid_gone (pid_t pid)
{
    if (kill (pid, 0) != 0 && errno == ESRCH)
        return true;
    char path[64], buf[256];
    snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return true;
    size_t n = fread (buf, 1, sizeof buf - 1, file);
    fclose (file);
    buf[n] = '\0';
    const char *paren = strrchr (buf, ')');
    return paren && (paren[2] == 'Z' || paren[2] == 'X');
}

static void
s_wait_gone (pid_t pid)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (!s_pid_gone (pid)) {
        if (zclock_mono () > deadline)
            fail_msg ("process %d still alive", (int)pid);
        zclock_sleep (5);
    }
}

//  Has the group a member that is not a zombie? Zombies orphaned by the
//  kill are their new parent's to reap, whenever it gets to it.
static bool
s_group_alive (pid_t pgid)
{
    DIR *proc = opendir ("/proc");
    assert_non_null (proc);
    bool alive = false;
    struct dirent *entry;
    while (!alive && (entry = readdir (proc))) {
        char path[300], buf[512];
        snprintf (path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *file = fopen (path, "r");
        if (!file)
            continue;
        size_t n = fread (buf, 1, sizeof buf - 1, file);
        fclose (file);
        buf[n] = '\0';
        //  pid (comm) state ppid pgrp ...
        char state = 0;
        int ppid = 0, pgrp = 0;
        const char *paren = strrchr (buf, ')');
        if (paren && sscanf (paren + 1, " %c %d %d", &state, &ppid, &pgrp) == 3)
            alive = pgrp == pgid && state != 'Z' && state != 'X';
    }
    closedir (proc);
    return alive;
}

static void
s_wait_group_gone (pid_t pgid)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (s_group_alive (pgid)) {
        if (zclock_mono () > deadline)
            fail_msg ("process group %d still has members", (int)pgid);
        zclock_sleep (5);
    }
}

//  ---------------------------------------------------------------------

static void
test_exit_codes (void **state)
{
    (void)state;
    const int codes[] = { 0, 1, 3, 255 };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char command[32], buf[16];
        snprintf (command, sizeof command, "exit %d", codes[i]);
        hl_spawn_t *child = s_run_all (command, buf, sizeof buf);
        assert_int_equal (hl_spawn_state (child), HL_SPAWN_REAPED);
        assert_int_equal (hl_spawn_exit_code (child), codes[i]);
        assert_int_equal (hl_spawn_signal (child), 0);
        assert_false (hl_spawn_timed_out (child));
        assert_string_equal (buf, "");
        assert_true (hl_spawn_duration_ms (child) >= 0);
        assert_true (hl_spawn_duration_ms (child) < WAIT_MS);
        hl_spawn_destroy (&child);
        assert_null (child);
    }
    //  Not found: the shell's 127
    char buf[256];
    hl_spawn_t *child = s_run_all ("/nonexistent/command", buf, sizeof buf);
    assert_int_equal (hl_spawn_exit_code (child), 127);
    assert_non_null (strstr (buf, "nonexistent"));
    hl_spawn_destroy (&child);
    hl_spawn_destroy (&child);
    hl_spawn_destroy (NULL);
}

static void
test_signal (void **state)
{
    (void)state;
    char buf[16];
    hl_spawn_t *child
        = s_run_all ("echo before; kill -USR1 $$; echo after", buf, sizeof buf);
    assert_int_equal (hl_spawn_exit_code (child), -1);
    assert_int_equal (hl_spawn_signal (child), SIGUSR1);
    assert_false (hl_spawn_timed_out (child));
    assert_string_equal (buf, "before\n");
    hl_spawn_destroy (&child);
}

static void
test_bad_options (void **state)
{
    (void)state;
    char err[128];
    int code = 0;
    assert_null (hl_spawn_new (NULL, &code, err, sizeof err));
    assert_int_equal (code, HL_ERR_ARGS);
    hl_spawn_opts_t opts = { 0 };
    assert_null (hl_spawn_new (&opts, &code, err, sizeof err));
    assert_int_equal (code, HL_ERR_ARGS);
    opts.command = "true";
    opts.timeout_ms = -1;
    assert_null (hl_spawn_new (&opts, &code, err, sizeof err));
    assert_int_equal (code, HL_ERR_ARGS);
    opts.timeout_ms = 0;
    opts.tail_size = HL_SPAWN_TAIL_MAX + 1;
    assert_null (hl_spawn_new (&opts, &code, NULL, 0));
    assert_int_equal (code, HL_ERR_ARGS);
    opts.tail_size = 0;
    opts.input_size = 1;
    assert_null (hl_spawn_new (&opts, &code, err, sizeof err));
    assert_int_equal (code, HL_ERR_ARGS);
}

static void
test_output_tail (void **state)
{
    (void)state;
    char buf[HL_SPAWN_TAIL + 1];
    //  10 KiB of lines on stdout, then a word on stderr: the last 4 KiB
    hl_spawn_t *child = s_run_all (
        "i=0; while [ $i -lt 1024 ]; do printf '%09d\\n' $i; i=$((i+1)); "
        "done; echo tail >&2",
        buf, sizeof buf);
    assert_int_equal (hl_spawn_output_size (child), 10240 + 5);
    assert_int_equal (strlen (buf), HL_SPAWN_TAIL);
    const char *end = "000001022\n000001023\ntail\n";
    assert_string_equal (buf + HL_SPAWN_TAIL - strlen (end), end);
    //  A smaller buffer gets the last bytes that fit
    char small[11];
    assert_int_equal (hl_spawn_output (child, small, sizeof small), 10);
    assert_string_equal (small, "1023\ntail\n");
    assert_int_equal (hl_spawn_output (child, small, 0), 0);
    hl_spawn_destroy (&child);

    //  3000 two-byte characters and a newline: the cut one is dropped
    child = s_run_all ("i=0; while [ $i -lt 3000 ]; do printf '\\303\\251'; "
                       "i=$((i+1)); done; echo",
                       buf, sizeof buf);
    assert_int_equal (strlen (buf), HL_SPAWN_TAIL - 1);
    for (size_t i = 0; i < HL_SPAWN_TAIL - 2; i += 2)
        assert_memory_equal (buf + i, "\xc3\xa9", 2);
    assert_int_equal (buf[HL_SPAWN_TAIL - 2], '\n');
    hl_spawn_destroy (&child);

    //  Invalid bytes, NUL and a sequence cut at the end become '?'
    child = s_run_all ("printf 'ok \\303\\251 bad \\377\\376 nul \\000 "
                       "end \\342\\202'",
                       buf, sizeof buf);
    assert_string_equal (buf, "ok \xc3\xa9 bad ?? nul ? end ??");
    hl_spawn_destroy (&child);

    //  A tail of its own size
    hl_spawn_opts_t opts
        = { .command = "echo 0123456789abcdef", .tail_size = 8 };
    child = hl_spawn_new (&opts, NULL, NULL, 0);
    assert_non_null (child);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    hl_spawn_output (child, buf, sizeof buf);
    assert_string_equal (buf, "9abcdef\n");
    hl_spawn_destroy (&child);
}

static hl_spawn_t *
s_run_input (const char *command, const void *input, size_t size)
{
    hl_spawn_opts_t opts
        = { .command = command, .input = input, .input_size = size };
    char err[128];
    hl_spawn_t *child = hl_spawn_new (&opts, NULL, err, sizeof err);
    if (!child)
        fail_msg ("%s: %s", command, err);
    return child;
}

static void
test_input (void **state)
{
    (void)state;
    char buf[256];
    hl_spawn_t *child = s_run_input ("cat", "{\"event\": 1}\n", 13);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    hl_spawn_output (child, buf, sizeof buf);
    assert_string_equal (buf, "{\"event\": 1}\n");
    assert_int_equal (hl_spawn_exit_code (child), 0);
    hl_spawn_destroy (&child);

    //  Empty input: end of file at once
    child = s_run_input ("wc -c", "", 0);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    hl_spawn_output (child, buf, sizeof buf);
    assert_int_equal (atoi (buf), 0);
    hl_spawn_destroy (&child);

    //  No input: /dev/null
    child = s_run_all ("cat; readlink /proc/self/fd/0", buf, sizeof buf);
    assert_string_equal (buf, "/dev/null\n");
    hl_spawn_destroy (&child);
}

static void
test_input_large (void **state)
{
    (void)state;
    //  At the limit: many pipe-fulls, fed by steps without blocking
    char *input = (char *)malloc (HL_SPAWN_INPUT_MAX + 1);
    assert_non_null (input);
    memset (input, 'x', HL_SPAWN_INPUT_MAX + 1);
    int64_t start = zclock_mono ();
    hl_spawn_t *child
        = s_run_input ("sleep 0.3; wc -c", input, HL_SPAWN_INPUT_MAX);
    assert_true (zclock_mono () - start < 250);
    assert_int_equal (hl_spawn_step (child), HL_SPAWN_RUNNING);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    char buf[64];
    hl_spawn_output (child, buf, sizeof buf);
    assert_int_equal (atoi (buf), HL_SPAWN_INPUT_MAX);
    hl_spawn_destroy (&child);

    //  Over the limit: refused, named
    hl_spawn_opts_t opts = { .command = "cat",
                             .input = input,
                             .input_size = HL_SPAWN_INPUT_MAX + 1 };
    int code = 0;
    char err[128];
    assert_null (hl_spawn_new (&opts, &code, err, sizeof err));
    assert_int_equal (code, HL_ERR_TOO_BIG);

    //  A child that never reads: no SIGPIPE for us, the rest dropped
    child = s_run_input ("exit 4", input, HL_SPAWN_INPUT_MAX);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    assert_int_equal (hl_spawn_exit_code (child), 4);
    hl_spawn_destroy (&child);
    child = s_run_input ("head -c 10 >/dev/null; sleep 0.2", input,
                         HL_SPAWN_INPUT_MAX);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    assert_int_equal (hl_spawn_exit_code (child), 0);
    hl_spawn_destroy (&child);
    free (input);
}

static void
test_environment (void **state)
{
    (void)state;
    char buf[64];
    setenv ("HL_SPAWN_TEST", "inherited", 1);
    hl_spawn_t *child = s_run_all ("echo $HL_SPAWN_TEST", buf, sizeof buf);
    assert_string_equal (buf, "inherited\n");
    hl_spawn_destroy (&child);
    char *env[] = { "HL_SPAWN_TEST=given", "OTHER=1", NULL };
    hl_spawn_opts_t opts
        = { .command = "echo $HL_SPAWN_TEST $OTHER", .env = env };
    child = hl_spawn_new (&opts, NULL, NULL, 0);
    assert_non_null (child);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    hl_spawn_output (child, buf, sizeof buf);
    assert_string_equal (buf, "given 1\n");
    hl_spawn_destroy (&child);
    unsetenv ("HL_SPAWN_TEST");
}

static void
test_descriptors_closed (void **state)
{
    (void)state;
    //  Inheritable on purpose: no O_CLOEXEC
    int file = open ("/dev/null", O_RDONLY);
    int fds[2];
    assert_true (file > 2);
    assert_int_equal (pipe (fds), 0);
    char command[256], buf[256];
    snprintf (command, sizeof command,
              "for fd in %d %d %d; do test -e /proc/self/fd/$fd "
              "&& echo open $fd; done; ls /proc/self/fd | wc -l",
              file, fds[0], fds[1]);
    hl_spawn_t *child = s_run_all (command, buf, sizeof buf);
    //  ls sees 0, 1, 2 and the directory it reads
    assert_string_equal (buf, "4\n");
    hl_spawn_destroy (&child);
    close (file);
    close (fds[0]);
    close (fds[1]);
}

static void
test_signals_default (void **state)
{
    (void)state;
    struct sigaction ignore, old_int, old_pipe;
    memset (&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset (&ignore.sa_mask);
    sigaction (SIGINT, &ignore, &old_int);
    sigaction (SIGPIPE, &ignore, &old_pipe);
    sigset_t block, old_mask;
    sigemptyset (&block);
    sigaddset (&block, SIGUSR2);
    sigaddset (&block, SIGHUP);
    pthread_sigmask (SIG_BLOCK, &block, &old_mask);

    char buf[256];
    hl_spawn_t *child = s_run_all ("grep -E '^Sig(Blk|Ign)' /proc/self/status",
                                   buf, sizeof buf);
    assert_string_equal (buf, "SigBlk:\t0000000000000000\n"
                              "SigIgn:\t0000000000000000\n");
    hl_spawn_destroy (&child);

    pthread_sigmask (SIG_SETMASK, &old_mask, NULL);
    sigaction (SIGINT, &old_int, NULL);
    sigaction (SIGPIPE, &old_pipe, NULL);
}

static void
test_process_group (void **state)
{
    (void)state;
    hl_spawn_t *child = s_run ("cut -d' ' -f5 /proc/$$/stat; sleep 0.2");
    pid_t pid = (pid_t)hl_spawn_pid (child);
    assert_true (pid > 0);
    assert_int_equal (getpgid (pid), pid);
    assert_int_not_equal (getpgid (pid), getpgrp ());
    assert_true (hl_spawn_fd (child) >= 0);
    //  A step never blocks
    int64_t start = zclock_mono ();
    assert_int_equal (hl_spawn_step (child), HL_SPAWN_RUNNING);
    assert_true (zclock_mono () - start < 100);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    assert_int_equal (hl_spawn_fd (child), -1);
    char buf[64];
    hl_spawn_output (child, buf, sizeof buf);
    assert_int_equal (atoi (buf), (int)pid);
    hl_spawn_destroy (&child);
}

//  The pid a command printed first
static pid_t
s_printed_pid (hl_spawn_t *child)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    char buf[64] = "";
    while (true) {
        hl_spawn_step (child);
        hl_spawn_output (child, buf, sizeof buf);
        if (strchr (buf, '\n'))
            return (pid_t)atoi (buf);
        if (zclock_mono () > deadline)
            fail_msg ("no pid printed");
        zclock_sleep (5);
    }
}

static void
test_timeout (void **state)
{
    (void)state;
    hl_spawn_opts_t opts = { .command = "sleep 30 & echo $!; sleep 30; wait",
                             .timeout_ms = 300,
                             .grace_ms = 500,
                             .name = "slow" };
    hl_spawn_t *child = hl_spawn_new (&opts, NULL, NULL, 0);
    assert_non_null (child);
    pid_t pgid = (pid_t)hl_spawn_pid (child);
    pid_t sleeper = s_printed_pid (child);
    assert_int_equal (getpgid (sleeper), pgid);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    assert_true (hl_spawn_timed_out (child));
    assert_int_equal (hl_spawn_signal (child), SIGTERM);
    assert_int_equal (hl_spawn_exit_code (child), -1);
    int64_t ms = hl_spawn_duration_ms (child);
    assert_true (ms >= 300 && ms < 2000);
    //  Unreaped until the group's SIGKILL is sent, then reaped
    assert_int_equal (hl_spawn_state (child), HL_SPAWN_EXITED);
    s_reap (child);
    s_wait_gone (sleeper);
    s_wait_group_gone (pgid);
    hl_spawn_destroy (&child);

    //  Deaf to SIGTERM, it and its grandchild: SIGKILL after the grace
    opts.command = "trap '' TERM; sleep 30 & echo $!; wait";
    child = hl_spawn_new (&opts, NULL, NULL, 0);
    assert_non_null (child);
    pgid = (pid_t)hl_spawn_pid (child);
    sleeper = s_printed_pid (child);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    assert_true (hl_spawn_timed_out (child));
    assert_int_equal (hl_spawn_signal (child), SIGKILL);
    ms = hl_spawn_duration_ms (child);
    assert_true (ms >= 800 && ms < 3000);
    s_reap (child);
    s_wait_gone (sleeper);
    s_wait_group_gone (pgid);
    hl_spawn_destroy (&child);
}

static void
test_kill (void **state)
{
    (void)state;
    hl_spawn_opts_t opts
        = { .command = "sleep 30 & echo $!; wait", .grace_ms = 300 };
    hl_spawn_t *child = hl_spawn_new (&opts, NULL, NULL, 0);
    assert_non_null (child);
    pid_t pgid = (pid_t)hl_spawn_pid (child);
    pid_t sleeper = s_printed_pid (child);
    assert_int_equal (hl_spawn_wait (child, 100), HL_ERR_TIMEOUT);
    hl_spawn_kill (child);
    hl_spawn_kill (child);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    assert_false (hl_spawn_timed_out (child));
    assert_int_equal (hl_spawn_signal (child), SIGTERM);
    s_wait_gone (sleeper);
    s_reap (child);
    s_wait_group_gone (pgid);
    hl_spawn_kill (child);
    hl_spawn_destroy (&child);
}

static void
test_destroy_running (void **state)
{
    (void)state;
    hl_spawn_t *child = s_run ("trap '' TERM; sleep 30 & echo $!; wait");
    pid_t pgid = (pid_t)hl_spawn_pid (child);
    pid_t sleeper = s_printed_pid (child);
    int64_t start = zclock_mono ();
    hl_spawn_destroy (&child);
    assert_null (child);
    assert_true (zclock_mono () - start < HL_SPAWN_REAP_MS);
    s_wait_gone (sleeper);
    s_wait_group_gone (pgid);

    //  One that exited by itself: what it left running is not killed
    child = s_run ("sleep 30 & echo $!");
    sleeper = s_printed_pid (child);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    assert_int_equal (hl_spawn_exit_code (child), 0);
    hl_spawn_destroy (&child);
    assert_false (s_pid_gone (sleeper));
    kill (sleeper, SIGKILL);
    s_wait_gone (sleeper);
}

//  Last: every child was reaped
static void
test_no_zombies (void **state)
{
    (void)state;
    int status;
    errno = 0;
    assert_int_equal (waitpid (-1, &status, WNOHANG), -1);
    assert_int_equal (errno, ECHILD);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_exit_codes),
        cmocka_unit_test (test_signal),
        cmocka_unit_test (test_bad_options),
        cmocka_unit_test (test_output_tail),
        cmocka_unit_test (test_input),
        cmocka_unit_test (test_input_large),
        cmocka_unit_test (test_environment),
        cmocka_unit_test (test_descriptors_closed),
        cmocka_unit_test (test_signals_default),
        cmocka_unit_test (test_process_group),
        cmocka_unit_test (test_timeout),
        cmocka_unit_test (test_kill),
        cmocka_unit_test (test_destroy_running),
        cmocka_unit_test (test_no_zombies),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
