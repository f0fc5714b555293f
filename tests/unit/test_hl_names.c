/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_names - every shared name parses back to its value, unknown
    and out-of-range values are refused, and the role arithmetic maps
    each family and swarm to the one role that serves it.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../proto/hl_names.h"

//  Each table round-trips and refuses what is not in it
#define S_ROUND_TRIP(kind, type, count)                                        \
    do {                                                                       \
        for (int i = 0; i < (count); i++) {                                    \
            const char *name = hl_##kind##_name ((type)i);                     \
            assert_string_not_equal (name, "?");                               \
            assert_int_equal (hl_##kind##_parse (name), i);                    \
        }                                                                      \
        assert_string_equal (hl_##kind##_name ((type)(count)), "?");           \
        assert_string_equal (hl_##kind##_name ((type)-1), "?");                \
        assert_int_equal (hl_##kind##_parse (NULL), -1);                       \
        assert_int_equal (hl_##kind##_parse (""), -1);                         \
        assert_int_equal (hl_##kind##_parse ("no-such-name"), -1);             \
    } while (0)

static void
test_round_trips (void **state)
{
    (void)state;
    S_ROUND_TRIP (swarm, hl_swarm_t, HL_SWARM_COUNT);
    S_ROUND_TRIP (family, hl_family_t, HL_FAMILY_COUNT);
    S_ROUND_TRIP (role, hl_role_id_t, HL_ROLE_COUNT);
    S_ROUND_TRIP (kind, hl_task_kind_t, HL_KIND_COUNT);
    S_ROUND_TRIP (status, hl_task_status_t, HL_STATUS_COUNT);
    S_ROUND_TRIP (verdict, hl_verdict_t, HL_VERDICT_COUNT);
    S_ROUND_TRIP (outcome, hl_outcome_t, HL_OUTCOME_COUNT);
    S_ROUND_TRIP (category, hl_category_t, HL_CATEGORY_COUNT);
    S_ROUND_TRIP (severity, hl_severity_t, HL_SEVERITY_COUNT);
}

//  The strings are the wire's and the config's: they must not drift
static void
test_wire_names (void **state)
{
    (void)state;
    assert_string_equal (hl_role_name (HL_ROLE_PROMETHEUS_FRONTEND),
                         "prometheus-frontend");
    assert_string_equal (hl_role_name (HL_ROLE_HEPHAESTUS_BACKEND),
                         "hephaestus-backend");
    assert_string_equal (hl_role_name (HL_ROLE_ATHENA_UX), "athena-ux");
    assert_string_equal (hl_role_name (HL_ROLE_ATHENA_API), "athena-api");
    assert_string_equal (hl_kind_name (HL_KIND_ROLLBACK), "rollback");
    //  Only the kinds that change things are pinned to their agent
    assert_true (hl_kind_changes (HL_KIND_APPLY));
    assert_true (hl_kind_changes (HL_KIND_ROLLBACK));
    assert_false (hl_kind_changes (HL_KIND_ANALYZE));
    assert_false (hl_kind_changes (HL_KIND_VERIFY));
    assert_false (hl_kind_changes (HL_KIND_ECHO));
    assert_string_equal (hl_status_name (HL_STATUS_CANCELLED), "cancelled");
    assert_string_equal (hl_verdict_name (HL_VERDICT_INCONCLUSIVE),
                         "inconclusive");
    assert_string_equal (hl_outcome_name (HL_OUTCOME_ROLLED_BACK),
                         "rolled_back");
    assert_string_equal (hl_category_name (HL_CATEGORY_BUSINESS), "business");
    assert_string_equal (hl_severity_name (HL_SEVERITY_CRITICAL), "critical");
    //  Parsing is exact: no case folding, no prefixes
    assert_int_equal (hl_role_parse ("Athena-UX"), -1);
    assert_int_equal (hl_role_parse ("athena"), -1);
    assert_int_equal (hl_status_parse ("ok "), -1);
}

static void
test_roles (void **state)
{
    (void)state;
    assert_int_equal (hl_role_of (HL_FAMILY_ATHENA, HL_SWARM_FRONTEND),
                      HL_ROLE_ATHENA_UX);
    assert_int_equal (hl_role_of (HL_FAMILY_ATHENA, HL_SWARM_BACKEND),
                      HL_ROLE_ATHENA_API);
    assert_int_equal (hl_role_of (HL_FAMILY_HEPHAESTUS, HL_SWARM_BACKEND),
                      HL_ROLE_HEPHAESTUS_BACKEND);
    assert_int_equal (hl_role_of (HL_FAMILY_PROMETHEUS, HL_SWARM_FRONTEND),
                      HL_ROLE_PROMETHEUS_FRONTEND);
    //  Every role comes back from its own family and swarm
    for (int r = 0; r < HL_ROLE_COUNT; r++) {
        hl_role_id_t role = (hl_role_id_t)r;
        assert_int_equal (
            hl_role_of (hl_role_family (role), hl_role_swarm (role)), role);
        //  ... and its name starts with its family's
        const char *family = hl_family_name (hl_role_family (role));
        assert_memory_equal (hl_role_name (role), family, strlen (family));
    }
    assert_int_equal (hl_category_swarm (HL_CATEGORY_FRONTEND),
                      HL_SWARM_FRONTEND);
    assert_int_equal (hl_category_swarm (HL_CATEGORY_BACKEND),
                      HL_SWARM_BACKEND);
    assert_int_equal (hl_category_swarm (HL_CATEGORY_BUSINESS),
                      HL_SWARM_BACKEND);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_round_trips),
        cmocka_unit_test (test_wire_names),
        cmocka_unit_test (test_roles),
    };
    return cmocka_run_group_tests_name ("hl_names", tests, NULL, NULL);
}
