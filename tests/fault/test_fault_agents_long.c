/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_fault_agents_long - every agent fault of the suite (make
    test-long): for each family's phase (Prometheus's analysis,
    Hephaestus's apply, Athena's verify), the agent holding the task
    killed (restarted after the cycle, or at once) or hung past the
    liveness window. What each must hold is ft_agent_fault's (fault.h):
    the cycle finishes, degraded exactly when a task was lost for good;
    the change ends kept or rolled back as its knob file says; no apply
    runs twice; the agent is registered again; status never stalls.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fault.h"

/*  The analysis is lost: ANALYZE waits out its deadline and says so. */
static void
test_analyze_killed (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_ANALYZE, FT_KILL);
}

/*  The analysis is retried on the restarted agent: nothing degraded. */
static void
test_analyze_killed_restarted (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_ANALYZE, FT_KILL_RESTART);
}

/*  The hung agent comes back and answers the analysis's retry. */
static void
test_analyze_stopped (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_ANALYZE, FT_STOP);
}

/*  The apply's command outlives its agent; the change must still end
    kept or rolled back, applied once. */
static void
test_apply_killed (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_APPLY, FT_KILL);
}

/*  A restarted Hephaestus must not run the apply a second time: it
    kills what the killed agent's command left running (its process
    group, from the journal), then answers the retry 'outcome unknown'
    and the master rolls the change back: applied once, rolled back
    once, the knob unset at the end. */
static void
test_apply_killed_restarted (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_APPLY, FT_KILL_RESTART);
}

/*  The hung Hephaestus answers the apply's retry from its results. */
static void
test_apply_stopped (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_APPLY, FT_STOP);
}

/*  The verify is lost: inconclusive, so the change is rolled back. */
static void
test_verify_killed (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_VERIFY, FT_KILL);
}

/*  The verify is retried on the restarted Athena and judged. */
static void
test_verify_killed_restarted (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_VERIFY, FT_KILL_RESTART);
}

/*  The hung Athena comes back and finishes the window it collected. */
static void
test_verify_stopped (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_VERIFY, FT_STOP);
}

int
main (int argc, char *argv[])
{
    int rc = toy_main (argc, argv);
    if (rc >= 0)
        return rc;
    ft_filter ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_analyze_killed, ht_teardown),
        cmocka_unit_test_teardown (test_analyze_killed_restarted, ht_teardown),
        cmocka_unit_test_teardown (test_analyze_stopped, ht_teardown),
        cmocka_unit_test_teardown (test_apply_killed, ht_teardown),
        cmocka_unit_test_teardown (test_apply_killed_restarted, ht_teardown),
        cmocka_unit_test_teardown (test_apply_stopped, ht_teardown),
        cmocka_unit_test_teardown (test_verify_killed, ht_teardown),
        cmocka_unit_test_teardown (test_verify_killed_restarted, ht_teardown),
        cmocka_unit_test_teardown (test_verify_stopped, ht_teardown),
    };
    return cmocka_run_group_tests_name ("fault_agents_long", tests, NULL, NULL);
}
