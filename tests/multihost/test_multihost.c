/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_multihost - the short form of the multi-host test (design §9),
    in make test: three network namespaces for a master host, a frontend
    host and a backend host, CURVE on (keys by helios-ctl keygen, the
    master bound on its host's address under require_curve), a helios-
    node on each agent host. What must hold:

    - `helios-ctl scale` places the three frontend roles on the frontend
      host and the three backend ones on the backend host (by label), and
      all six register across the links;
    - kill -9 of an agent: its node starts it again under its name;
    - echo tasks reach the agents of each host and are answered once.

    make test-multihost adds the cycle, the crash loop and the partition
    (test_multihost_long). Skipped where namespaces cannot be made.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "multihost.h"

static void
test_multihost (void **state)
{
    (void)state;
    mh_world_t w;
    mh_start (&w, false);

    int64_t placed = mh_scale_six (&w);
    print_message ("multihost: scale: six roles placed on two hosts and "
                   "registered in %lld ms\n",
                   (long long)placed);
    int64_t restarted = mh_kill_restart (&w, "prometheus-backend@back.1");
    print_message ("multihost: kill -9: restarted by its node and "
                   "registered again in %lld ms\n",
                   (long long)restarted);
    mh_echo (&w, "prometheus-frontend", 5);
    mh_echo (&w, "prometheus-backend", 5);
    mh_stop (&w);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_multihost, mh_teardown),
    };
    return cmocka_run_group_tests_name ("multihost", tests, NULL, NULL);
}
