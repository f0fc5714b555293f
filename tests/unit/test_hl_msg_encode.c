/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_msg_encode - encode refusing incomplete, out-of-range or
    ill-formed messages with the right error, and encode_buf using the
    caller's space while it fits, its own buffer beyond, and never more
    than HL_MSG_MAX_SIZE.
*/
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../proto/hl_msg.h"

#include "msg_fixtures.h"

static int
s_encode_rc (hl_msg_t *m)
{
    uint8_t *data = (uint8_t *)"x";
    size_t size = 1;
    int rc = hl_msg_encode (m, &data, &size);
    if (rc == 0)
        free (data);
    else
        assert_null (data);
    return rc;
}

static void
test_encode_errors (void **state)
{
    (void)state;
    //  every type fresh from new lacks a required field
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        hl_msg_t *m = hl_msg_new ((hl_msg_type_t)t);
        assert_int_equal (s_encode_rc (m), HL_ERR_MISSING);
        hl_msg_destroy (&m);
    }
    //  one unset string field
    hl_msg_t *m = s_full (HL_MSG_HELLO);
    hl_msg_set_host (m, NULL);
    assert_int_equal (s_encode_rc (m), HL_ERR_MISSING);
    hl_msg_set_host (m, "h");
    assert_int_equal (s_encode_rc (m), 0);
    hl_msg_set_capacity (m, 0);
    assert_int_equal (s_encode_rc (m), HL_ERR_RANGE);
    hl_msg_set_capacity (m, 1);
    char name[HL_MAX_NAME + 2];
    memset (name, 'h', sizeof name);
    name[HL_MAX_NAME + 1] = '\0';
    hl_msg_set_host (m, name);
    assert_int_equal (s_encode_rc (m), HL_ERR_STRING);
    name[HL_MAX_NAME] = '\0';
    hl_msg_set_host (m, name);
    assert_int_equal (s_encode_rc (m), 0);
    //  actions must be an array of short strings
    hl_value_t *v = hl_value_new_map ();
    hl_msg_set_actions (m, &v);
    assert_int_equal (s_encode_rc (m), HL_ERR_MISTYPED);
    hl_msg_destroy (&m);

    //  a failed reply without error; a kind outside the enum
    m = s_full (HL_MSG_REPLY);
    hl_msg_set_error (m, NULL);
    assert_int_equal (s_encode_rc (m), HL_ERR_MISSING);
    hl_msg_destroy (&m);
    m = s_full (HL_MSG_TASK);
    hl_msg_set_kind (m, "explode");
    assert_int_equal (s_encode_rc (m), HL_ERR_RANGE);
    hl_msg_set_kind (m, "echo");
    hl_msg_set_priority (m, 5);
    assert_int_equal (s_encode_rc (m), HL_ERR_RANGE);
    hl_msg_set_priority (m, 4);
    //  invalid UTF-8 and an over-deep tree set locally
    hl_msg_set_event (m, NULL);
    hl_msg_set_kind (m, "echo");
    v = hl_value_new_str ("\xc0\x80");
    hl_msg_set_data (m, &v);
    assert_int_equal (s_encode_rc (m), HL_ERR_UTF8);
    v = hl_value_new_int (1);
    for (int i = 0; i < 100; i++) {
        hl_value_t *arr = hl_value_new_array ();
        hl_value_append (arr, &v);
        v = arr;
    }
    hl_msg_set_data (m, &v);
    assert_int_equal (s_encode_rc (m), HL_ERR_DEPTH);
    hl_msg_destroy (&m);
    //  health data must be a map; tags map strings
    m = s_full (HL_MSG_HEALTH);
    v = hl_value_new_array ();
    hl_msg_set_data (m, &v);
    assert_int_equal (s_encode_rc (m), HL_ERR_MISTYPED);
    hl_msg_set_score (m, 101);
    hl_msg_set_data (m, NULL);
    assert_int_equal (s_encode_rc (m), HL_ERR_RANGE);
    hl_msg_set_score (m, NAN);
    assert_int_equal (s_encode_rc (m), HL_ERR_RANGE);
    hl_msg_destroy (&m);
    m = s_full (HL_MSG_METRIC);
    v = hl_value_new_map ();
    hl_value_set_int (v, "k", 1);
    hl_msg_set_tags (m, &v);
    assert_int_equal (s_encode_rc (m), HL_ERR_MISTYPED);
    hl_msg_set_tags (m, NULL);
    hl_msg_set_name (m, "bad name");
    assert_int_equal (s_encode_rc (m), HL_ERR_RANGE);
    hl_msg_destroy (&m);
    m = s_full (HL_MSG_METRICS);
    assert_int_equal (hl_msg_add_sample (m, "bad/name", 1, 1, NULL), 0);
    assert_int_equal (s_encode_rc (m), HL_ERR_RANGE);
    hl_msg_destroy (&m);
    assert_int_equal (hl_msg_encode (NULL, NULL, NULL), HL_ERR_ARGS);
}

//  encode_buf gives the same bytes as encode, in the caller's space when
//  they fit and in a buffer of its own (the caller frees) when not
static void
test_encode_buf (void **state)
{
    (void)state;
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        hl_msg_t *m = s_full ((hl_msg_type_t)t);
        uint8_t *want = NULL;
        size_t want_size = 0;
        assert_int_equal (hl_msg_encode (m, &want, &want_size), 0);
        //  Room to spare, exactly enough, one byte short, and too small to
        //  be worth starting in (under 16 bytes)
        size_t sizes[] = { want_size + 100, want_size, want_size - 1, 15 };
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            uint8_t *space = (uint8_t *)malloc (sizes[i]);
            uint8_t *data = NULL;
            size_t size = 0;
            assert_int_equal (
                hl_msg_encode_buf (m, space, sizes[i], &data, &size), 0);
            assert_int_equal (size, want_size);
            assert_memory_equal (data, want, size);
            if (sizes[i] >= want_size && sizes[i] >= 16)
                assert_ptr_equal (data, space);
            else {
                assert_ptr_not_equal (data, space);
                free (data);
            }
            free (space);
        }
        free (want);
        hl_msg_destroy (&m);
    }
}

//  A message over HL_MSG_MAX_SIZE is refused, whether it starts in the
//  caller's space or not, and nothing is left to free
static void
test_encode_too_big (void **state)
{
    (void)state;
    hl_msg_t *m = hl_msg_new (HL_MSG_RESULT);
    hl_msg_set_task_id (m, 1);
    hl_msg_set_status (m, "ok");
    hl_msg_set_duration_us (m, 1);
    //  20 strings of HL_MAX_STR bytes: each allowed, together too many
    hl_value_t *data = hl_value_new_array ();
    char *text = (char *)malloc (HL_MAX_STR + 1);
    memset (text, 'x', HL_MAX_STR);
    text[HL_MAX_STR] = '\0';
    for (int i = 0; i < 20; i++) {
        hl_value_t *s = hl_value_new_str (text);
        hl_value_append (data, &s);
    }
    free (text);
    hl_msg_set_data (m, &data);
    uint8_t *out = (uint8_t *)"x";
    size_t size = 1;
    assert_int_equal (hl_msg_encode (m, &out, &size), HL_ERR_TOO_BIG);
    assert_null (out);
    assert_int_equal (size, 0);
    uint8_t space[256];
    assert_int_equal (hl_msg_encode_buf (m, space, sizeof space, &out, &size),
                      HL_ERR_TOO_BIG);
    assert_null (out);
    hl_msg_destroy (&m);
}

/*  hl_msg_value_size is what the encoder writes for the value, and a
    reply carries a page's next and more through a round trip. */
static void
test_value_size_and_page (void **state)
{
    (void)state;
    hl_value_t *data = hl_value_new_array ();
    for (int i = 0; i < 40; i++) {
        hl_value_t *item = hl_value_new_map ();
        hl_value_set_int (item, "i", i * 100000);
        hl_value_set_double (item, "d", 0.5);
        hl_value_set_str (item, "s",
                          i % 2 ? "x" : "a longer string than 31 bytes");
        hl_value_set_bool (item, "b", true);
        hl_value_append (data, &item);
    }
    size_t size = hl_msg_value_size (data);
    hl_msg_t *reply = hl_msg_new (HL_MSG_REPLY);
    hl_msg_set_ok (reply, true);
    uint8_t *bytes = NULL;
    size_t empty = 0, full = 0;
    assert_int_equal (hl_msg_encode (reply, &bytes, &empty), 0);
    free (bytes);
    hl_msg_set_data (reply, &data);
    hl_msg_set_next (reply, 77);
    hl_msg_set_more (reply, 5);
    assert_int_equal (hl_msg_encode (reply, &bytes, &full), 0);
    /*  data's bytes, its key, and next and more with their keys */
    assert_int_equal (full - empty, size + 5 + (5 + 1) + (5 + 1));
    hl_msg_t *back = NULL;
    assert_int_equal (hl_msg_decode (bytes, full, NULL, &back), 0);
    free (bytes);
    assert_int_equal (hl_msg_next (back), 77);
    assert_int_equal (hl_msg_more (back), 5);
    assert_true (hl_msg_eq (reply, back));
    hl_msg_destroy (&back);
    hl_msg_destroy (&reply);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_encode_errors),
        cmocka_unit_test (test_encode_buf),
        cmocka_unit_test (test_encode_too_big),
        cmocka_unit_test (test_value_size_and_page),
    };
    return cmocka_run_group_tests_name ("hl_msg_encode", tests, NULL, NULL);
}
