/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_value - constructors, getters and their conversions, map set
    and replace, dup and eq, and JSON in both directions.
*/
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../proto/hl_value.h"

static void
test_scalars (void **state)
{
    (void)state;
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    hl_value_t *v = hl_value_new_nil ();
    assert_int_equal (hl_value_type (v), HL_VALUE_NIL);
    assert_int_equal (hl_value_bool (v, &b), -1);
    hl_value_destroy (&v);
    assert_null (v);
    hl_value_destroy (&v);
    hl_value_destroy (NULL);

    v = hl_value_new_bool (true);
    assert_int_equal (hl_value_bool (v, &b), 0);
    assert_true (b);
    assert_int_equal (hl_value_int (v, &i), -1);
    hl_value_destroy (&v);

    v = hl_value_new_int (-7);
    assert_int_equal (hl_value_int (v, &i), 0);
    assert_int_equal (i, -7);
    assert_int_equal (hl_value_uint (v, &u), -1);
    assert_int_equal (hl_value_double (v, &d), 0);
    assert_true (d == -7.0);
    hl_value_destroy (&v);

    //  Small unsigned values are stored as INT.
    v = hl_value_new_uint (5);
    assert_int_equal (hl_value_type (v), HL_VALUE_INT);
    assert_int_equal (hl_value_uint (v, &u), 0);
    assert_int_equal (u, 5);
    hl_value_destroy (&v);
    v = hl_value_new_uint ((uint64_t)INT64_MAX + 1);
    assert_int_equal (hl_value_type (v), HL_VALUE_UINT);
    assert_int_equal (hl_value_int (v, &i), -1);
    assert_int_equal (hl_value_uint (v, &u), 0);
    assert_true (u == (uint64_t)INT64_MAX + 1);
    assert_int_equal (hl_value_double (v, &d), 0);
    hl_value_destroy (&v);

    v = hl_value_new_double (2.5);
    assert_int_equal (hl_value_double (v, &d), 0);
    assert_true (d == 2.5);
    assert_int_equal (hl_value_int (v, &i), -1);
    assert_null (hl_value_str (v, NULL));
    hl_value_destroy (&v);
}

static void
test_strings (void **state)
{
    (void)state;
    size_t len;
    hl_value_t *v = hl_value_new_str ("hello");
    assert_string_equal (hl_value_str (v, &len), "hello");
    assert_int_equal (len, 5);
    assert_null (hl_value_bin (v, NULL));
    hl_value_destroy (&v);
    //  strn copies len bytes and stops at a NUL.
    v = hl_value_new_strn ("abcdef", 3);
    assert_string_equal (hl_value_str (v, &len), "abc");
    assert_int_equal (len, 3);
    hl_value_destroy (&v);
    v = hl_value_new_strn ("ab\0cd", 5);
    assert_int_equal (strlen (hl_value_str (v, &len)), 2);
    assert_int_equal (len, 2);
    hl_value_destroy (&v);
    v = hl_value_new_bin ("\x00\x01\xff", 3);
    const uint8_t *bin = hl_value_bin (v, &len);
    assert_int_equal (len, 3);
    assert_int_equal (bin[2], 0xff);
    assert_null (hl_value_str (v, NULL));
    hl_value_destroy (&v);
}

static void
test_containers (void **state)
{
    (void)state;
    hl_value_t *arr = hl_value_new_array ();
    for (int i = 0; i < 100; i++) {
        hl_value_t *item = hl_value_new_int (i);
        assert_int_equal (hl_value_append (arr, &item), 0);
        assert_null (item);
    }
    assert_int_equal (hl_value_size (arr), 100);
    int64_t i;
    assert_int_equal (hl_value_int (hl_value_at (arr, 99), &i), 0);
    assert_int_equal (i, 99);
    assert_null (hl_value_at (arr, 100));
    assert_null (hl_value_key_at (arr, 0));
    //  set on an array fails and still takes the value
    hl_value_t *item = hl_value_new_int (1);
    assert_int_equal (hl_value_set (arr, "k", &item), -1);
    assert_null (item);

    hl_value_t *map = hl_value_new_map ();
    assert_int_equal (hl_value_set_str (map, "b", "x"), 0);
    assert_int_equal (hl_value_set_int (map, "a", 1), 0);
    assert_int_equal (hl_value_set_double (map, "c", 1.5), 0);
    assert_int_equal (hl_value_set_bool (map, "d", true), 0);
    assert_int_equal (hl_value_size (map), 4);
    //  insertion order kept; replace keeps the position
    assert_string_equal (hl_value_key_at (map, 0), "b");
    assert_int_equal (hl_value_set_int (map, "b", 9), 0);
    assert_int_equal (hl_value_size (map), 4);
    assert_string_equal (hl_value_key_at (map, 0), "b");
    assert_int_equal (hl_value_get_int (map, "b", 0), 9);
    assert_int_equal (hl_value_get_int (map, "zz", -1), -1);
    assert_true (hl_value_get_double (map, "c", 0) == 1.5);
    assert_true (hl_value_get_double (map, "a", 0) == 1.0);
    assert_string_equal (hl_value_get_str (map, "nope", "fb"), "fb");
    assert_string_equal (hl_value_get_str (map, "a", "fb"), "fb");
    assert_null (hl_value_get (map, "zz"));
    assert_null (hl_value_at (map, 0));
    assert_non_null (hl_value_val_at (map, 3));
    assert_null (hl_value_val_at (map, 4));
    item = hl_value_new_nil ();
    assert_int_equal (hl_value_append (map, &item), -1);
    assert_null (item);
    //  map_append keeps duplicates; get finds the first
    item = hl_value_new_int (7);
    assert_int_equal (hl_value_map_append (map, "a", 1, &item), 0);
    assert_int_equal (hl_value_size (map), 5);
    assert_int_equal (hl_value_get_int (map, "a", 0), 1);

    assert_int_equal (hl_value_set (map, "arr", &arr), 0);
    assert_int_equal (hl_value_size (hl_value_get (map, "arr")), 100);
    hl_value_destroy (&map);
}

static void
test_dup_eq (void **state)
{
    (void)state;
    hl_value_t *map = hl_value_new_map ();
    hl_value_set_str (map, "s", "x");
    hl_value_set_double (map, "nan", NAN);
    hl_value_t *v = hl_value_new_bin ("ab", 2);
    hl_value_set (map, "bin", &v);
    v = hl_value_new_array ();
    hl_value_t *item = hl_value_new_uint (UINT64_MAX);
    hl_value_append (v, &item);
    hl_value_set (map, "arr", &v);
    hl_value_t *copy = hl_value_dup (map);
    assert_true (hl_value_eq (map, copy));
    assert_true (hl_value_eq (NULL, NULL));
    assert_false (hl_value_eq (map, NULL));
    assert_null (hl_value_dup (NULL));
    hl_value_set_str (copy, "s", "y");
    assert_false (hl_value_eq (map, copy));
    hl_value_destroy (&copy);
    //  order matters
    hl_value_t *a = hl_value_new_map ();
    hl_value_t *b = hl_value_new_map ();
    hl_value_set_int (a, "x", 1);
    hl_value_set_int (a, "y", 2);
    hl_value_set_int (b, "y", 2);
    hl_value_set_int (b, "x", 1);
    assert_false (hl_value_eq (a, b));
    hl_value_destroy (&a);
    hl_value_destroy (&b);
    //  INT 1 and DOUBLE 1 differ
    a = hl_value_new_int (1);
    b = hl_value_new_double (1);
    assert_false (hl_value_eq (a, b));
    hl_value_destroy (&a);
    hl_value_destroy (&b);
    hl_value_destroy (&map);
}

static void
test_json (void **state)
{
    (void)state;
    hl_value_t *map = hl_value_new_map ();
    hl_value_set_str (map, "s", "é");
    hl_value_set_int (map, "i", -3);
    hl_value_set_double (map, "d", 0.5);
    hl_value_set_double (map, "inf", INFINITY);
    hl_value_set_bool (map, "b", false);
    hl_value_t *v = hl_value_new_bin ("\x01\xab", 2);
    hl_value_set (map, "bin", &v);
    v = hl_value_new_nil ();
    hl_value_set (map, "nil", &v);
    v = hl_value_new_array ();
    hl_value_t *item = hl_value_new_int (1);
    hl_value_append (v, &item);
    hl_value_set (map, "arr", &v);
    json_t *json = hl_value_to_json (map);
    char *text = json_dumps (json, JSON_COMPACT);
    assert_string_equal (text, "{\"s\":\"é\",\"i\":-3,\"d\":0.5,"
                               "\"inf\":null,\"b\":false,\"bin\":\"01ab\","
                               "\"nil\":null,\"arr\":[1]}");
    free (text);
    //  back: bin stays a string, inf a nil
    hl_value_t *back = hl_value_from_json (json);
    json_decref (json);
    assert_int_equal (hl_value_type (back), HL_VALUE_MAP);
    assert_string_equal (hl_value_get_str (back, "s", ""), "é");
    assert_int_equal (hl_value_get_int (back, "i", 0), -3);
    assert_true (hl_value_get_double (back, "d", 0) == 0.5);
    assert_int_equal (hl_value_type (hl_value_get (back, "inf")), HL_VALUE_NIL);
    assert_int_equal (hl_value_type (hl_value_get (back, "b")), HL_VALUE_BOOL);
    assert_string_equal (hl_value_get_str (back, "bin", ""), "01ab");
    assert_int_equal (hl_value_size (hl_value_get (back, "arr")), 1);
    hl_value_destroy (&back);
    hl_value_destroy (&map);
    assert_null (hl_value_from_json (NULL));

    //  a big unsigned renders as a real
    v = hl_value_new_uint (UINT64_MAX);
    json = hl_value_to_json (v);
    assert_true (json_is_real (json));
    json_decref (json);
    hl_value_destroy (&v);
    json = json_loads ("[true, 1.25, \"x\", {\"k\": [null]}]", 0, NULL);
    v = hl_value_from_json (json);
    json_t *again = hl_value_to_json (v);
    assert_true (json_equal (json, again));
    json_decref (json);
    json_decref (again);
    hl_value_destroy (&v);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_scalars),    cmocka_unit_test (test_strings),
        cmocka_unit_test (test_containers), cmocka_unit_test (test_dup_eq),
        cmocka_unit_test (test_json),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
