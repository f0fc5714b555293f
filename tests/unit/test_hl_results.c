/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_results - kept results are found by task id with their
    status, duration and data; an echo's data is its task's args; the
    oldest goes first when the store is full, at the limit and past it.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agents/hl_results.h"

static void
test_put_find (void **state)
{
    (void)state;
    hl_results_t *results = hl_results_new (8);
    hl_result_t result;
    assert_int_equal (hl_results_find (results, 1, &result), -1);

    hl_value_t *data = hl_value_new_map ();
    hl_value_set_int (data, "exit_code", 3);
    hl_results_put (results, 1, HL_STATUS_FAILED, 1234, &data, NULL);
    assert_null (data);
    hl_results_put (results, 2, HL_STATUS_REJECTED, 0, NULL, NULL);

    hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "say", "hi");
    hl_msg_set_args (task, &args);
    hl_results_put (results, 3, HL_STATUS_OK, 0, NULL, &task);
    assert_null (task);
    assert_int_equal (hl_results_size (results), 3);

    assert_int_equal (hl_results_find (results, 1, &result), 0);
    assert_int_equal (result.task_id, 1);
    assert_int_equal (result.status, HL_STATUS_FAILED);
    assert_int_equal (result.duration_us, 1234);
    assert_int_equal (hl_value_get_int (result.data, "exit_code", 0), 3);
    assert_int_equal (hl_results_find (results, 2, &result), 0);
    assert_int_equal (result.status, HL_STATUS_REJECTED);
    assert_null (result.data);
    assert_int_equal (hl_results_find (results, 3, &result), 0);
    assert_int_equal (result.status, HL_STATUS_OK);
    assert_string_equal (hl_value_get_str (result.data, "say", ""), "hi");
    assert_int_equal (hl_results_find (results, 4, &result), -1);
    hl_results_destroy (&results);
    assert_null (results);
    hl_results_destroy (&results);
    hl_results_destroy (NULL);
}

static void
test_eviction (void **state)
{
    (void)state;
    //  At the limit every result is there; one more evicts the oldest
    hl_results_t *results = hl_results_new (4096);
    hl_result_t result;
    for (uint64_t id = 1; id <= 4096; id++) {
        hl_value_t *data = hl_value_new_int ((int64_t)id);
        hl_results_put (results, id, HL_STATUS_OK, id, &data, NULL);
    }
    assert_int_equal (hl_results_size (results), 4096);
    for (uint64_t id = 1; id <= 4096; id++) {
        assert_int_equal (hl_results_find (results, id, &result), 0);
        assert_int_equal (result.duration_us, id);
    }
    hl_results_put (results, 5000, HL_STATUS_TIMEOUT, 0, NULL, NULL);
    assert_int_equal (hl_results_size (results), 4096);
    assert_int_equal (hl_results_find (results, 1, &result), -1);
    assert_int_equal (hl_results_find (results, 2, &result), 0);
    assert_int_equal (hl_results_find (results, 5000, &result), 0);
    assert_int_equal (result.status, HL_STATUS_TIMEOUT);
    //  Around the ring again: only the last 4096 stay
    for (uint64_t id = 6000; id < 6000 + 5000; id++)
        hl_results_put (results, id, HL_STATUS_OK, 0, NULL, NULL);
    assert_int_equal (hl_results_size (results), 4096);
    assert_int_equal (hl_results_find (results, 5000, &result), -1);
    assert_int_equal (hl_results_find (results, 6000 + 903, &result), -1);
    assert_int_equal (hl_results_find (results, 6000 + 904, &result), 0);
    assert_int_equal (hl_results_find (results, 6000 + 4999, &result), 0);
    hl_results_destroy (&results);

    //  A store of one
    results = hl_results_new (0);
    hl_results_put (results, 9, HL_STATUS_OK, 0, NULL, NULL);
    hl_results_put (results, 10, HL_STATUS_OK, 0, NULL, NULL);
    assert_int_equal (hl_results_find (results, 9, &result), -1);
    assert_int_equal (hl_results_find (results, 10, &result), 0);
    hl_results_destroy (&results);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_put_find),
        cmocka_unit_test (test_eviction),
    };
    return cmocka_run_group_tests_name ("hl_results", tests, NULL, NULL);
}
