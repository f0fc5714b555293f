/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_fault_agents - the short agent faults (make test), one per
    family: Prometheus killed holding an analysis and restarted with its
    name, Hephaestus hung mid-apply past the liveness window, Athena
    killed mid-verify and restarted with its name. What each must hold
    is ft_agent_fault's (fault.h): the cycle finishes, not degraded (the
    lost task is retried and answered); the change is kept, its knob
    file set, its apply run once; the agent is registered again; status
    never stalls. test_fault_agents_long has every combination.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fault.h"

/*  The analysis is retried on the restarted agent. */
static void
test_analyze_killed_restarted (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_ANALYZE, FT_KILL_RESTART);
}

/*  The hung Hephaestus comes back and answers the apply's retry from
    its results: the command ran once. */
static void
test_apply_stopped (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_APPLY, FT_STOP);
}

/*  The verify is retried on the restarted Athena and judged. */
static void
test_verify_killed_restarted (void **state)
{
    (void)state;
    ft_agent_fault (FT_IN_VERIFY, FT_KILL_RESTART);
}

int
main (int argc, char *argv[])
{
    int rc = toy_main (argc, argv);
    if (rc >= 0)
        return rc;
    ft_filter ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_analyze_killed_restarted, ht_teardown),
        cmocka_unit_test_teardown (test_apply_stopped, ht_teardown),
        cmocka_unit_test_teardown (test_verify_killed_restarted, ht_teardown),
    };
    return cmocka_run_group_tests_name ("fault_agents", tests, NULL, NULL);
}
