/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_sigwatch - SIGTERM and SIGINT reach the owner through the
    loop, in order; one watch at a time; the default actions come back.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>

#include "../../bus/hl_sigwatch.h"

typedef struct {
    int got[8];
    int n;
} s_seen_t;

static void
s_caught (void *arg, int signum)
{
    s_seen_t *seen = (s_seen_t *)arg;
    if (seen->n < 8)
        seen->got[seen->n++] = signum;
}

static int
s_end (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

/*  Run the loop until seen holds n signals, or 2 s. */
static void
s_run_until (zloop_t *loop, s_seen_t *seen, int n)
{
    int64_t deadline = zclock_mono () + 2000;
    while (seen->n < n && zclock_mono () < deadline) {
        zloop_timer (loop, 10, 1, s_end, NULL);
        zloop_start (loop);
    }
}

static void
test_signals (void **state)
{
    (void)state;
    zloop_t *loop = zloop_new ();
    s_seen_t seen = { { 0 }, 0 };
    assert_null (hl_sigwatch_new (NULL, s_caught, &seen));
    assert_null (hl_sigwatch_new (loop, NULL, &seen));
    hl_sigwatch_t *watch = hl_sigwatch_new (loop, s_caught, &seen);
    assert_non_null (watch);
    //  One at a time: the handler has one pipe
    assert_null (hl_sigwatch_new (loop, s_caught, &seen));
    raise (SIGTERM);
    raise (SIGINT);
    s_run_until (loop, &seen, 2);
    assert_int_equal (seen.n, 2);
    assert_int_equal (seen.got[0], SIGTERM);
    assert_int_equal (seen.got[1], SIGINT);
    hl_sigwatch_destroy (&watch);
    assert_null (watch);
    hl_sigwatch_destroy (&watch);
    //  The default action is back, and a new watch may start
    struct sigaction now;
    sigaction (SIGTERM, NULL, &now);
    assert_true (now.sa_handler == SIG_DFL);
    watch = hl_sigwatch_new (loop, s_caught, &seen);
    assert_non_null (watch);
    raise (SIGTERM);
    s_run_until (loop, &seen, 3);
    assert_int_equal (seen.got[2], SIGTERM);
    hl_sigwatch_destroy (&watch);
    zloop_destroy (&loop);
}

/*  czmq's own handler, in place until the watch starts, only sets
    zsys_interrupted: that signal is not lost, and the flag is cleared so
    that zloop does not stop for it again. */
static void
test_signal_before_watch (void **state)
{
    (void)state;
    zloop_t *loop = zloop_new ();
    s_seen_t seen = { { 0 }, 0 };
    zsys_interrupted = 1;
    hl_sigwatch_t *watch = hl_sigwatch_new (loop, s_caught, &seen);
    assert_non_null (watch);
    assert_int_equal (zsys_interrupted, 0);
    s_run_until (loop, &seen, 1);
    assert_int_equal (seen.n, 1);
    assert_int_equal (seen.got[0], SIGTERM);
    hl_sigwatch_destroy (&watch);
    zloop_destroy (&loop);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_signal_before_watch),
        cmocka_unit_test (test_signals),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
