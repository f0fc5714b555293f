/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_offender - persistent offenders: errors below the threshold
    ban nobody, the one that reaches it bans (reported once), a banned
    peer's messages are dropped and counted, the ban ends on time, a
    window that ends starts the count again, other peers are untouched,
    the table stays within its bound, and 0 errors means never.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../master/hl_offender.h"

static const uint8_t s_bad[] = { 0, 1, 2, 3, 4 };
static const uint8_t s_good[] = { 0, 5, 6, 7, 8 };

static hl_offender_t *
s_new (int errors, size_t peers)
{
    hl_offender_opts_t opts = { errors, 10000, 60000, peers };
    hl_offender_t *self = hl_offender_new (&opts);
    assert_non_null (self);
    return self;
}

static void
test_ban (void **state)
{
    (void)state;
    hl_offender_t *self = s_new (100, 16);
    for (int i = 0; i < 99; i++) {
        assert_false (hl_offender_error (self, s_bad, 5, i));
        assert_false (hl_offender_banned (self, s_bad, 5, i));
    }
    assert_true (hl_offender_error (self, s_bad, 5, 100));
    assert_true (hl_offender_banned (self, s_bad, 5, 100));
    //  Reported once: errors while banned are not counted again
    assert_false (hl_offender_error (self, s_bad, 5, 101));
    assert_false (hl_offender_banned (self, s_good, 5, 101));
    assert_true (hl_offender_banned (self, s_bad, 5, 60099));
    hl_offender_stats_t st;
    hl_offender_stats (self, 60099, &st);
    assert_int_equal (st.bans, 1);
    assert_int_equal (st.banned, 1);
    assert_int_equal (st.dropped, 2);
    //  The ban ends, and the peer starts from nothing
    assert_false (hl_offender_banned (self, s_bad, 5, 60100));
    assert_false (hl_offender_error (self, s_bad, 5, 60101));
    hl_offender_stats (self, 60101, &st);
    assert_int_equal (st.banned, 0);
    hl_offender_destroy (&self);
    assert_null (self);
}

/*  Errors spread wider than the window never ban. */
static void
test_window (void **state)
{
    (void)state;
    hl_offender_t *self = s_new (3, 16);
    for (int64_t t = 0; t < 100000; t += 5000)
        assert_false (hl_offender_error (self, s_bad, 5, t));
    //  Three within the window do
    assert_false (hl_offender_error (self, s_bad, 5, 100001));
    assert_false (hl_offender_error (self, s_bad, 5, 100002));
    assert_true (hl_offender_error (self, s_bad, 5, 100003));
    hl_offender_destroy (&self);
}

/*  A full table forgets quiet peers; past that, newcomers are only
    counted, and a banned peer is never forgotten while banned. */
static void
test_bounded (void **state)
{
    (void)state;
    hl_offender_t *self = s_new (2, 2);
    hl_offender_error (self, s_bad, 5, 0);
    assert_true (hl_offender_error (self, s_bad, 5, 0));
    uint8_t rid[5] = { 0, 0, 0, 0, 1 };
    hl_offender_error (self, rid, 5, 0);
    rid[4] = 2;
    hl_offender_error (self, rid, 5, 0); /* the table is full */
    hl_offender_stats_t st;
    hl_offender_stats (self, 0, &st);
    assert_int_equal (st.tracked, 2);
    assert_int_equal (st.untracked, 1);
    //  After the window, the quiet peer goes, the banned one stays
    hl_offender_error (self, rid, 5, 20000);
    hl_offender_stats (self, 20000, &st);
    assert_int_equal (st.tracked, 2);
    assert_true (hl_offender_banned (self, s_bad, 5, 20000));
    hl_offender_destroy (&self);
}

static void
test_off (void **state)
{
    (void)state;
    hl_offender_t *self = s_new (0, 1);
    for (int i = 0; i < 1000; i++)
        assert_false (hl_offender_error (self, s_bad, 5, i));
    assert_false (hl_offender_banned (self, s_bad, 5, 1000));
    hl_offender_destroy (&self);
    hl_offender_opts_t bad = { 1, 0, 1, 1 };
    assert_null (hl_offender_new (&bad));
    assert_null (hl_offender_new (NULL));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ban),
        cmocka_unit_test (test_window),
        cmocka_unit_test (test_bounded),
        cmocka_unit_test (test_off),
    };
    return cmocka_run_group_tests_name ("hl_offender", tests, NULL, NULL);
}
