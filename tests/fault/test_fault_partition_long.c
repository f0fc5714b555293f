/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_fault_partition_long - the full network partition (make
    test-long): the master in one network namespace, the toy and its
    agents in another, the link cut for 10 s on the agents' side while
    a cycle's apply runs and echo tasks and a bench are in flight, then
    restored. What must hold is ft_partition's (fault.h): every task
    ends once, ok; the agents come back by themselves; the apply in
    flight ran once and the cycle's change ended kept or rolled back as
    its knob file says; status never stalls. Skipped, saying why, where
    namespaces cannot be made.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fault.h"

static void
test_partition_full (void **state)
{
    (void)state;
    ft_partition (true);
}

int
main (int argc, char *argv[])
{
    int rc = toy_main (argc, argv);
    if (rc >= 0)
        return rc;
    ft_filter ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_partition_full, ft_partition_teardown),
    };
    return cmocka_run_group_tests_name ("fault_partition_long", tests, NULL,
                                        NULL);
}
