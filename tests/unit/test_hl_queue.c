/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_queue - lanes start in order and first in first out within
    one; started items run in start order; removal from a lane or from
    the running ones, by id; counts; destroy with items still in.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agents/hl_queue.h"

static int s_items[16];

static void
test_lanes (void **state)
{
    (void)state;
    hl_queue_t *queue = hl_queue_new (8);
    assert_null (hl_queue_start (queue));
    assert_null (hl_queue_first_waiting (queue));
    //  ids 1..6 into lanes 7, 3, 3, 0, 7, 0
    const int lanes[] = { 7, 3, 3, 0, 7, 0 };
    for (uint64_t id = 1; id <= 6; id++)
        hl_queue_push (queue, id, lanes[id - 1], &s_items[id]);
    assert_int_equal (hl_queue_waiting (queue), 6);
    assert_int_equal (hl_queue_running (queue), 0);
    assert_ptr_equal (hl_queue_find (queue, 5), &s_items[5]);
    assert_null (hl_queue_find (queue, 9));
    assert_false (hl_queue_started (queue, 5));
    assert_ptr_equal (hl_queue_first_waiting (queue), &s_items[4]);
    //  Lane 0 first, then 3, then 7; arrival order within each
    const int order[] = { 4, 6, 2, 3, 1, 5 };
    for (int i = 0; i < 6; i++) {
        assert_ptr_equal (hl_queue_start (queue), &s_items[order[i]]);
        assert_true (hl_queue_started (queue, (uint64_t)order[i]));
    }
    assert_null (hl_queue_start (queue));
    assert_int_equal (hl_queue_waiting (queue), 0);
    assert_int_equal (hl_queue_running (queue), 6);
    //  Running, in start order
    int *item = hl_queue_first_running (queue);
    for (int i = 0; i < 6; i++) {
        assert_ptr_equal (item, &s_items[order[i]]);
        item = hl_queue_next_running (queue, (uint64_t)order[i]);
    }
    assert_null (item);
    assert_null (hl_queue_next_running (queue, 99));
    hl_queue_destroy (&queue);
    assert_null (queue);
    hl_queue_destroy (&queue);
    hl_queue_destroy (NULL);
}

static void
test_remove (void **state)
{
    (void)state;
    hl_queue_t *queue = hl_queue_new (2);
    for (uint64_t id = 1; id <= 8; id++)
        hl_queue_push (queue, id, (int)(id % 2), &s_items[id]);
    //  Waiting: lane 0 holds 2 4 6 8, lane 1 holds 1 3 5 7
    assert_ptr_equal (hl_queue_start (queue), &s_items[2]);
    assert_ptr_equal (hl_queue_start (queue), &s_items[4]);
    assert_ptr_equal (hl_queue_start (queue), &s_items[6]);
    //  From the middle of the running ones and of a lane
    assert_ptr_equal (hl_queue_remove (queue, 4), &s_items[4]);
    assert_ptr_equal (hl_queue_next_running (queue, 2), &s_items[6]);
    assert_null (hl_queue_next_running (queue, 4));
    assert_false (hl_queue_started (queue, 4));
    assert_ptr_equal (hl_queue_remove (queue, 3), &s_items[3]);
    assert_null (hl_queue_remove (queue, 3));
    assert_null (hl_queue_find (queue, 3));
    assert_int_equal (hl_queue_waiting (queue), 4);
    assert_int_equal (hl_queue_running (queue), 2);
    //  The ends of a lane and of the running list
    assert_ptr_equal (hl_queue_remove (queue, 8), &s_items[8]);
    assert_ptr_equal (hl_queue_remove (queue, 2), &s_items[2]);
    assert_ptr_equal (hl_queue_first_running (queue), &s_items[6]);
    assert_ptr_equal (hl_queue_first_waiting (queue), &s_items[1]);
    assert_ptr_equal (hl_queue_start (queue), &s_items[1]);
    assert_ptr_equal (hl_queue_start (queue), &s_items[5]);
    assert_ptr_equal (hl_queue_start (queue), &s_items[7]);
    assert_null (hl_queue_start (queue));
    assert_ptr_equal (hl_queue_next_running (queue, 6), &s_items[1]);
    //  An id can come back once it is out
    hl_queue_push (queue, 4, 1, &s_items[4]);
    assert_ptr_equal (hl_queue_find (queue, 4), &s_items[4]);
    assert_int_equal (hl_queue_waiting (queue), 1);
    assert_int_equal (hl_queue_running (queue), 4);
    //  Destroyed with items in: theirs to free, not the queue's
    hl_queue_destroy (&queue);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_lanes),
        cmocka_unit_test (test_remove),
    };
    return cmocka_run_group_tests_name ("hl_queue", tests, NULL, NULL);
}
