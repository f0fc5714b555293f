/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_restart - helios-node's restart arithmetic on an explicit
    clock: the delay doubles from min to max within +-25%, a long life
    starts it again from min, the intensity limit gives up at
    max_restarts within the window and not after the window has passed,
    0 never gives up; bad options are refused.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agents/hl_restart.h"

static hl_restart_t *
s_new (int min, int max, int restarts, int window_s)
{
    hl_restart_opts_t opts = { min, max, restarts, window_s, 42 };
    hl_restart_t *self = hl_restart_new (&opts);
    assert_non_null (self);
    return self;
}

static void
s_near (int64_t delay, int64_t base)
{
    if (delay < base * 3 / 4 || delay > base * 5 / 4)
        fail_msg ("delay %lld not within 25%% of %lld", (long long)delay,
                  (long long)base);
}

static void
test_backoff (void **state)
{
    (void)state;
    hl_restart_t *r = s_new (1000, 60000, 0, 60);
    int64_t now = 1000000, expect = 1000;
    //  Dying at once: 1, 2, 4 ... 32 s, then 60 s for ever
    for (int i = 0; i < 12; i++) {
        int64_t delay = hl_restart_exited (r, now, now + 10);
        s_near (delay, expect);
        now += 10 + delay;
        expect = expect * 2 > 60000 ? 60000 : expect * 2;
    }
    //  A life as long as the window: from min again
    int64_t delay = hl_restart_exited (r, now, now + 60000);
    s_near (delay, 1000);
    hl_restart_destroy (&r);
    assert_null (r);
    hl_restart_destroy (&r);
}

static void
test_intensity (void **state)
{
    (void)state;
    //  5 restarts in 60 s: the sixth death within the window gives up
    hl_restart_t *r = s_new (1000, 60000, 5, 60);
    int64_t now = 0;
    for (int i = 0; i < 5; i++) {
        int64_t delay = hl_restart_exited (r, now, now + 100);
        assert_true (delay > 0);
        now += 100 + delay;
    }
    assert_int_equal (hl_restart_recent (r, now), 5);
    assert_int_equal (hl_restart_exited (r, now, now + 100), -1);
    //  The same deaths spread past the window do not give up
    hl_restart_reset (r);
    now = 0;
    for (int i = 0; i < 20; i++) {
        assert_true (hl_restart_exited (r, now, now + 15000) > 0);
        now += 16000;
    }
    assert_true (hl_restart_recent (r, now) <= 5);
    hl_restart_destroy (&r);

    //  At the limit and one past it: 1 restart allowed
    r = s_new (10, 10, 1, 60);
    assert_true (hl_restart_exited (r, 0, 5) > 0);
    assert_int_equal (hl_restart_exited (r, 20, 25), -1);
    hl_restart_destroy (&r);
}

static void
test_never (void **state)
{
    (void)state;
    hl_restart_t *r = s_new (10, 100, 0, 1);
    for (int64_t now = 0; now < 100000; now += 50)
        assert_true (hl_restart_exited (r, now, now + 1) > 0);
    hl_restart_destroy (&r);
}

static void
test_bad_opts (void **state)
{
    (void)state;
    hl_restart_opts_t bad[] = {
        { 0, 10, 5, 60, 0 },   { 10, 5, 5, 60, 0 },
        { 10, 10, -1, 60, 0 }, { 10, 10, HL_RESTART_RING + 1, 60, 0 },
        { 10, 10, 5, 0, 0 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null (hl_restart_new (&bad[i]));
    assert_null (hl_restart_new (NULL));
    hl_restart_opts_t ok = { 10, 10, HL_RESTART_RING, 60, 0 };
    hl_restart_t *r = hl_restart_new (&ok);
    assert_non_null (r);
    hl_restart_destroy (&r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_backoff),
        cmocka_unit_test (test_intensity),
        cmocka_unit_test (test_never),
        cmocka_unit_test (test_bad_opts),
    };
    return cmocka_run_group_tests_name ("hl_restart", tests, NULL, NULL);
}
