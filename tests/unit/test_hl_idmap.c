/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_idmap - put, find, replace and remove; growth past half full;
    and a long random run of puts and removes on keys that crowd a few
    probe runs (wrapping the table's end) checked against a plain array.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agents/hl_idmap.h"
#include "../../bus/hl_rand.h"

static void
test_basics (void **state)
{
    (void)state;
    hl_idmap_t *map = hl_idmap_new (0);
    int a = 1, b = 2;
    assert_null (hl_idmap_find (map, 7));
    assert_null (hl_idmap_find (map, 0));
    hl_idmap_put (map, 7, &a);
    assert_ptr_equal (hl_idmap_find (map, 7), &a);
    assert_int_equal (hl_idmap_size (map), 1);
    hl_idmap_put (map, 7, &b);
    assert_ptr_equal (hl_idmap_find (map, 7), &b);
    assert_int_equal (hl_idmap_size (map), 1);
    hl_idmap_remove (map, 8);
    hl_idmap_remove (map, 0);
    assert_int_equal (hl_idmap_size (map), 1);
    hl_idmap_remove (map, 7);
    assert_null (hl_idmap_find (map, 7));
    assert_int_equal (hl_idmap_size (map), 0);
    hl_idmap_destroy (&map);
    assert_null (map);
    hl_idmap_destroy (&map);
    hl_idmap_destroy (NULL);
}

static void
test_growth (void **state)
{
    (void)state;
    //  Sequential ids, as the master sends them, well past 8 slots
    hl_idmap_t *map = hl_idmap_new (8);
    static int values[10000];
    for (uint64_t k = 1; k <= 10000; k++)
        hl_idmap_put (map, k, &values[k - 1]);
    assert_int_equal (hl_idmap_size (map), 10000);
    for (uint64_t k = 1; k <= 10000; k++)
        assert_ptr_equal (hl_idmap_find (map, k), &values[k - 1]);
    assert_null (hl_idmap_find (map, 10001));
    for (uint64_t k = 1; k <= 10000; k += 2)
        hl_idmap_remove (map, k);
    assert_int_equal (hl_idmap_size (map), 5000);
    for (uint64_t k = 1; k <= 10000; k++)
        if (k % 2)
            assert_null (hl_idmap_find (map, k));
        else
            assert_ptr_equal (hl_idmap_find (map, k), &values[k - 1]);
    hl_idmap_destroy (&map);
}

#define KEYS 40

static void
test_random (void **state)
{
    (void)state;
    //  40 keys never more than 31 at once in a map that starts at 64
    //  slots: runs collide, wrap and are cut by removes
    hl_idmap_t *map = hl_idmap_new (64);
    static int values[KEYS + 1];
    bool held[KEYS + 1] = { false };
    size_t count = 0;
    hl_rand_t rand;
    hl_rand_seed (&rand, 42);
    for (int step = 0; step < 200000; step++) {
        uint64_t key = 1 + hl_rand_next (&rand) % KEYS;
        if (held[key] || count >= 31) {
            hl_idmap_remove (map, key);
            count -= held[key];
            held[key] = false;
        } else {
            hl_idmap_put (map, key, &values[key]);
            held[key] = true;
            count++;
        }
        assert_int_equal (hl_idmap_size (map), count);
        if (step % 97 == 0)
            for (uint64_t k = 1; k <= KEYS; k++)
                assert_ptr_equal (hl_idmap_find (map, k),
                                  held[k] ? &values[k] : NULL);
    }
    hl_idmap_destroy (&map);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_basics),
        cmocka_unit_test (test_growth),
        cmocka_unit_test (test_random),
    };
    return cmocka_run_group_tests_name ("hl_idmap", tests, NULL, NULL);
}
