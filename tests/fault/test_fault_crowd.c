/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_fault_crowd - the short crowd (make test): 1,000 agents
    connected and heartbeating beside a real echo agent; what must hold
    is ft_crowd's (fault.h).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fault.h"
#include "../integration/swarm.h"

#define S_AGENTS 1000

static void
test_crowd (void **state)
{
    (void)state;
    ft_crowd (S_AGENTS, 3);
}

int
main (int argc, char *argv[])
{
    int rc = ht_swarm_main (argc, argv);
    if (rc >= 0)
        return rc; /* one of the crowd's processes */
    ft_crowd_limits (S_AGENTS);
    rc = toy_main (argc, argv);
    if (rc >= 0)
        return rc;
    ft_filter ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_crowd, ht_teardown),
    };
    return cmocka_run_group_tests_name ("fault_crowd", tests, NULL, NULL);
}
