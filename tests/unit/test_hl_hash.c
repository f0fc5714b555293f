/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_hash - FNV-1a against its published values, and sequential
    integer keys spread evenly over a table's low bits.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../bus/hl_hash.h"

static void
test_hash (void **state)
{
    (void)state;
    //  FNV-1a's published values
    assert_true (hl_hash_str ("") == 0xcbf29ce484222325ULL);
    assert_true (hl_hash_str ("a") == 0xaf63dc4c8601ec8cULL);
    assert_true (hl_hash_bytes ("a", 1) == hl_hash_str ("a"));
    assert_true (hl_hash_bytes ("ab", 1) == hl_hash_str ("a"));
    //  sequential ids spread over the low bits
    int buckets[16] = { 0 };
    for (uint64_t id = 1; id <= 1600; id++)
        buckets[hl_hash_u64 (id) & 15]++;
    for (int i = 0; i < 16; i++)
        assert_true (buckets[i] > 60 && buckets[i] < 140);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hash),
    };
    return cmocka_run_group_tests_name ("hl_hash", tests, NULL, NULL);
}
