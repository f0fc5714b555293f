/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_orphan - killing what a dead agent's commands left: stat lines
    good and bad (names with spaces and parentheses, cut short, not
    numbers, out of range); real process groups killed whole, with their
    leader and without it (reaped); a group whose leader's start time
    differs, a group gone and the numbers never ours, all left alone.
    Every wait has a deadline.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../agents/hl_orphan.h"
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

//  Wait until group pgid has at least n members (not zombies)
static int
s_wait_members (int pgid, int n)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    int members;
    while ((members = hl_orphan_members (pgid)) < n) {
        if (zclock_mono () > deadline)
            fail_msg ("group %d has %d members, not %d", pgid, members, n);
        zclock_sleep (5);
    }
    return members;
}

static int
s_parse (const char *text, hl_orphan_stat_t *stat)
{
    return hl_orphan_parse_stat (text, strlen (text), stat);
}

//  ---------------------------------------------------------------------

static void
test_parse_stat (void **state)
{
    (void)state;
    hl_orphan_stat_t st;
    const char *line = "4242 (sh) S 1 4242 4242 0 -1 4194560 98 0 0 0 0 0 0 "
                       "0 20 0 1 0 987654 2555904 193 18446744073709551615 "
                       "1 1 0 0 0 0 0 0 65536 0 0 0 17 1 0 0\n";
    assert_int_equal (s_parse (line, &st), 0);
    assert_int_equal (st.pid, 4242);
    assert_int_equal (st.state, 'S');
    assert_int_equal (st.pgrp, 4242);
    assert_int_equal (st.start, 987654);
    //  A name may hold spaces and parentheses: the last ')' ends it
    assert_int_equal (s_parse ("7 (a) b (c)) Z 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 "
                               "20 -5 1 0 12",
                               &st),
                      0);
    assert_int_equal (st.state, 'Z');
    assert_int_equal (st.pgrp, 9);
    assert_int_equal (st.start, 12);
    //  Kernel threads are in group 0
    assert_int_equal (s_parse ("2 (kthreadd) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 "
                               "0 20 0 1 0 3",
                               &st),
                      0);
    assert_int_equal (st.pgrp, 0);
    //  Bad lines, each refused by name
    const char *bad[] = {
        "",
        "(sh) S 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",   //  no pid
        "0 (sh) S 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", //  pid 0
        "4194304 (sh) S 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
        "12 sh S 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",   //  no '('
        "12 (sh S 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",  //  no ')'
        "12 (sh) 1 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", //  state
        "12 (sh) S 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",   //  cut short
        "12 (sh) S 1 2",
        "12 (sh) S 1 x 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",  //  not a number
        "12 (sh) S 1 -2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", //  negative
        "12 (sh) S 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5",
        "12 (sh) S 1 4194304 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
        "12 (sh) S 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
        "184467440737095516160", //  past 64 bits
        "12 (sh) S 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
        "99999999999999999999", //  20 digits, over UINT64_MAX
        "12 (sh) S  1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", //  two spaces
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (s_parse (bad[i], &st) != HL_ERR_MALFORMED)
            fail_msg ("accepted: \"%s\"", bad[i]);
    assert_int_equal (hl_orphan_parse_stat (NULL, 0, &st), HL_ERR_MALFORMED);
    //  Not NUL-terminated: the length rules
    char cut[] = "12 (sh) S 1 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5";
    assert_int_equal (hl_orphan_parse_stat (cut, strlen (cut) - 4, &st),
                      HL_ERR_MALFORMED);
    assert_string_equal (hl_orphan_fate_name (HL_ORPHAN_REUSED), "reused");
    assert_string_equal (hl_orphan_fate_name (HL_ORPHAN_FATES), "?");
}

static void
test_start_time (void **state)
{
    (void)state;
    uint64_t start = 0;
    assert_int_equal (hl_orphan_start_time ((int)getpid (), &start), 0);
    assert_true (start > 0);
    assert_int_equal (hl_orphan_start_time (0, &start), -1);
    assert_int_equal (hl_orphan_start_time (-1, &start), -1);
    assert_int_equal (hl_orphan_start_time (HL_ORPHAN_PID_MAX, &start), -1);
}

//  A shell and its background child in their own group, recorded as it
//  is: killed, every member gone
static void
test_kill_group (void **state)
{
    (void)state;
    hl_spawn_t *child = s_run ("sleep 30 & sleep 30");
    int pgid = hl_spawn_pid (child);
    s_wait_members (pgid, 2);
    hl_orphan_group_t group = { .pgid = pgid };
    assert_int_equal (hl_orphan_start_time (pgid, &group.start), 0);
    assert_int_equal (hl_orphan_kill (&group, 1, HL_ORPHAN_WAIT_MS), 1);
    assert_int_equal (group.fate, HL_ORPHAN_KILLED);
    assert_in_range (group.members, 2, 3); //  sh may fork the last sleep
    assert_int_equal (hl_orphan_members (pgid), 0);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    assert_int_equal (hl_spawn_signal (child), SIGKILL);
    hl_spawn_destroy (&child);
    //  Nothing left: gone, nothing done
    assert_int_equal (hl_orphan_kill (&group, 1, HL_ORPHAN_WAIT_MS), 0);
    assert_int_equal (group.fate, HL_ORPHAN_GONE);
}

//  The leader exited and was reaped; its child lives on in the group,
//  which no later process can take the number of: still ours
static void
test_kill_leaderless (void **state)
{
    (void)state;
    hl_spawn_t *child = s_run ("sleep 30 & echo started");
    int pgid = hl_spawn_pid (child);
    uint64_t start = 0;
    assert_int_equal (hl_orphan_start_time (pgid, &start), 0);
    assert_int_equal (hl_spawn_wait (child, WAIT_MS), 0);
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (hl_spawn_step (child) != HL_SPAWN_REAPED) {
        if (zclock_mono () > deadline)
            fail_msg ("shell %d not reaped", pgid);
        zclock_sleep (5);
    }
    assert_int_equal (hl_orphan_start_time (pgid, &start), -1);
    assert_int_equal (s_wait_members (pgid, 1), 1);
    hl_orphan_group_t group = { .pgid = pgid, .start = 12345 };
    assert_int_equal (hl_orphan_kill (&group, 1, HL_ORPHAN_WAIT_MS), 1);
    assert_int_equal (group.fate, HL_ORPHAN_KILLED);
    assert_int_equal (group.members, 1);
    assert_int_equal (group.leader_start, 0);
    assert_int_equal (hl_orphan_members (pgid), 0);
    hl_spawn_destroy (&child);
}

//  A leader of another start time is another process of the same
//  number: left alone, as is one whose start time was never known
static void
test_reused_left_alone (void **state)
{
    (void)state;
    hl_spawn_t *child = s_run ("sleep 30 & sleep 30");
    int pgid = hl_spawn_pid (child);
    int members = s_wait_members (pgid, 2);
    uint64_t start = 0;
    assert_int_equal (hl_orphan_start_time (pgid, &start), 0);
    hl_orphan_group_t groups[2] = { { .pgid = pgid, .start = start + 1 },
                                    { .pgid = pgid, .start = 0 } };
    assert_int_equal (hl_orphan_kill (groups, 2, HL_ORPHAN_WAIT_MS), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal (groups[i].fate, HL_ORPHAN_REUSED);
        assert_int_equal (groups[i].leader_start, start);
    }
    assert_true (hl_orphan_members (pgid) >= members);
    hl_spawn_destroy (&child); //  kills its group
}

//  Numbers that are never a command's group
static void
test_refused (void **state)
{
    (void)state;
    hl_orphan_group_t groups[] = { { .pgid = 0 },
                                   { .pgid = 1 },
                                   { .pgid = -5 },
                                   { .pgid = HL_ORPHAN_PID_MAX },
                                   { .pgid = (int)getpid () },
                                   { .pgid = (int)getpgrp () } };
    size_t n = sizeof groups / sizeof groups[0];
    assert_int_equal (hl_orphan_kill (groups, n, HL_ORPHAN_WAIT_MS), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal (groups[i].fate, HL_ORPHAN_REFUSED);
    assert_int_equal (hl_orphan_kill (NULL, 3, 0), 0);
    assert_int_equal (hl_orphan_kill (groups, 0, 0), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parse_stat),
        cmocka_unit_test (test_start_time),
        cmocka_unit_test (test_kill_group),
        cmocka_unit_test (test_kill_leaderless),
        cmocka_unit_test (test_reused_left_alone),
        cmocka_unit_test (test_refused),
    };
    return cmocka_run_group_tests_name ("hl_orphan", tests, NULL, NULL);
}
