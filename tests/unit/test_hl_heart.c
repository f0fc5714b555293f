/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_heart - heartbeat arithmetic at and around every boundary,
    with explicit clock values; and the monotonic clock itself.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../bus/hl_heart.h"

static void
test_bad_arguments (void **state)
{
    (void)state;
    assert_null (hl_heart_new (0, 3, 0));
    assert_null (hl_heart_new (-1, 3, 0));
    assert_null (hl_heart_new (1000, 0, 0));
    assert_null (hl_heart_new (1000, -2, 0));
    //  interval * liveness would overflow
    assert_null (hl_heart_new (INT64_MAX / 2, 3, 0));

    hl_heart_t *heart = hl_heart_new (1, 1, 0);
    assert_non_null (heart);
    hl_heart_destroy (&heart);
    assert_null (heart);
    hl_heart_destroy (&heart);
    hl_heart_destroy (NULL);
}

static void
test_due (void **state)
{
    (void)state;
    hl_heart_t *heart = hl_heart_new (1000, 3, 5000);
    assert_false (hl_heart_due (heart, 5000));
    assert_false (hl_heart_due (heart, 5999));
    assert_true (hl_heart_due (heart, 6000));
    assert_true (hl_heart_due (heart, 6001));

    //  Any message sent counts as a beat and restarts the interval
    hl_heart_sent (heart, 6500);
    assert_false (hl_heart_due (heart, 6500));
    assert_false (hl_heart_due (heart, 7499));
    assert_true (hl_heart_due (heart, 7500));

    //  A clock behind the last send is never due
    assert_false (hl_heart_due (heart, 100));

    //  The peer's beat is answered once half an interval has passed
    assert_false (hl_heart_answer (heart, 6999));
    assert_true (hl_heart_answer (heart, 7000));
    hl_heart_sent (heart, 7000);
    assert_false (hl_heart_answer (heart, 7499));
    assert_true (hl_heart_answer (heart, 7500));
    assert_false (hl_heart_answer (heart, 100));
    hl_heart_destroy (&heart);
}

static void
test_expired (void **state)
{
    (void)state;
    hl_heart_t *heart = hl_heart_new (1000, 3, 5000);
    assert_false (hl_heart_expired (heart, 5000));
    assert_false (hl_heart_expired (heart, 7999));
    assert_true (hl_heart_expired (heart, 8000));
    assert_true (hl_heart_expired (heart, 9000));

    //  Hearing from the peer revives it, however late
    hl_heart_heard (heart, 9000);
    assert_false (hl_heart_expired (heart, 9000));
    assert_false (hl_heart_expired (heart, 11999));
    assert_true (hl_heart_expired (heart, 12000));
    //  Sending does not count as hearing
    hl_heart_sent (heart, 11999);
    assert_true (hl_heart_expired (heart, 12000));
    hl_heart_destroy (&heart);

    //  With liveness 1 a single missed interval expires the peer
    heart = hl_heart_new (250, 1, 0);
    assert_false (hl_heart_expired (heart, 249));
    assert_true (hl_heart_expired (heart, 250));
    hl_heart_destroy (&heart);
}

static void
test_next (void **state)
{
    (void)state;
    hl_heart_t *heart = hl_heart_new (1000, 3, 5000);
    assert_int_equal (hl_heart_next (heart, 5000), 1000);
    assert_int_equal (hl_heart_next (heart, 5999), 1);
    assert_int_equal (hl_heart_next (heart, 6000), 0);
    assert_int_equal (hl_heart_next (heart, 6400), 0);

    //  Beat sent: next is the sooner of the next beat and the expiry
    hl_heart_sent (heart, 6000);
    assert_int_equal (hl_heart_next (heart, 6000), 1000);
    hl_heart_sent (heart, 7500);
    assert_int_equal (hl_heart_next (heart, 7500), 500); // expiry 8000
    assert_int_equal (hl_heart_next (heart, 7999), 1);
    assert_int_equal (hl_heart_next (heart, 8000), 0);
    assert_int_equal (hl_heart_next (heart, 20000), 0);

    hl_heart_heard (heart, 8000);
    assert_int_equal (hl_heart_next (heart, 8000), 500); // beat 8500
    hl_heart_sent (heart, 8500);
    assert_int_equal (hl_heart_next (heart, 8500), 1000);

    //  A clock behind both marks waits the full spans, never negative
    assert_int_equal (hl_heart_next (heart, 0), 1000);
    hl_heart_destroy (&heart);
}

static void
test_silence (void **state)
{
    (void)state;
    hl_heart_t *heart = hl_heart_new (1000, 3, 5000);
    assert_int_equal (hl_heart_silence (heart, 5000), 0);
    assert_int_equal (hl_heart_silence (heart, 5001), 1);
    assert_int_equal (hl_heart_silence (heart, 8000), 3000);
    hl_heart_sent (heart, 8000);
    assert_int_equal (hl_heart_silence (heart, 8000), 3000);
    hl_heart_heard (heart, 8000);
    assert_int_equal (hl_heart_silence (heart, 8000), 0);
    assert_int_equal (hl_heart_silence (heart, 7000), 0);
    hl_heart_destroy (&heart);

    //  Negative clocks are just numbers
    heart = hl_heart_new (10, 2, -100);
    assert_int_equal (hl_heart_silence (heart, -81), 19);
    assert_false (hl_heart_expired (heart, -81));
    assert_true (hl_heart_expired (heart, -80));
    hl_heart_destroy (&heart);
}

static void
test_set_interval (void **state)
{
    (void)state;
    hl_heart_t *heart = hl_heart_new (100, 3, 0);
    assert_int_equal (hl_heart_interval (heart), 100);
    assert_int_equal (hl_heart_set_interval (heart, 0), -1);
    assert_int_equal (hl_heart_set_interval (heart, INT64_MAX / 2), -1);
    assert_int_equal (hl_heart_interval (heart), 100);
    assert_int_equal (hl_heart_set_interval (heart, 1000), 0);
    assert_int_equal (hl_heart_interval (heart), 1000);
    //  Due and expired on the new period, the liveness kept
    assert_false (hl_heart_due (heart, 999));
    assert_true (hl_heart_due (heart, 1000));
    assert_false (hl_heart_expired (heart, 2999));
    assert_true (hl_heart_expired (heart, 3000));
    hl_heart_destroy (&heart);
}

static void
test_clock (void **state)
{
    (void)state;
    int64_t before = hl_heart_clock ();
    int64_t after = hl_heart_clock ();
    assert_true (before >= 0);
    assert_true (after >= before);
    assert_true (after - before < 1000);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bad_arguments), cmocka_unit_test (test_due),
        cmocka_unit_test (test_expired),       cmocka_unit_test (test_next),
        cmocka_unit_test (test_silence),       cmocka_unit_test (test_clock),
        cmocka_unit_test (test_set_interval),
    };
    return cmocka_run_group_tests_name ("hl_heart", tests, NULL, NULL);
}
