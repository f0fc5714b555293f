/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_msg_decode - decode_scanned, which trusts an earlier scan,
    and strings decoded into the message's inline room and, past it, the
    heap. Hostile input is in test_hl_codec.c, which drives hl_msg_decode
    with forged bytes.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../proto/hl_msg.h"

//  decode_scanned trusts an earlier scan, yet still fails cleanly on what
//  msgpack-c itself cannot read
static void
test_decode_scanned (void **state)
{
    (void)state;
    hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
    hl_msg_set_src (msg, "t");
    hl_msg_set_name (msg, "cpu");
    hl_msg_set_value (msg, 0.5);
    hl_msg_set_sample_ts (msg, 7);
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal (hl_msg_encode (msg, &data, &size), 0);
    hl_msg_destroy (&msg);
    assert_int_equal (hl_msg_decode_scanned (data, size, &msg), 0);
    assert_string_equal (hl_msg_name (msg), "cpu");
    assert_true (hl_msg_value (msg) == 0.5);
    hl_msg_destroy (&msg);
    for (size_t cut = 1; cut < size; cut++) {
        assert_int_equal (hl_msg_decode_scanned (data, cut, &msg),
                          HL_ERR_MALFORMED);
        assert_null (msg);
    }
    assert_int_equal (hl_msg_decode_scanned (NULL, 0, &msg), HL_ERR_MALFORMED);
    assert_int_equal (hl_msg_decode_scanned (data, size, NULL), HL_ERR_ARGS);
    free (data);
}

//  Short strings land in the message, long ones on the heap; both come
//  back whole, and a copy and the original free their own
static void
test_decode_strings (void **state)
{
    (void)state;
    char src[HL_MAX_NAME + 1], name[HL_MAX_METRIC + 1];
    memset (src, 's', HL_MAX_NAME);
    src[HL_MAX_NAME] = '\0';
    memset (name, 'n', HL_MAX_METRIC);
    name[HL_MAX_METRIC] = '\0';
    //  short and short, short and long, long and long
    const char *srcs[] = { "a", "a", src };
    const char *names[] = { "b", name, name };
    for (size_t i = 0; i < 3; i++) {
        hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
        hl_msg_set_src (msg, srcs[i]);
        hl_msg_set_name (msg, names[i]);
        hl_msg_set_value (msg, 1);
        hl_msg_set_sample_ts (msg, 2);
        uint8_t *data = NULL;
        size_t size = 0;
        assert_int_equal (hl_msg_encode (msg, &data, &size), 0);
        hl_msg_t *decoded = NULL;
        assert_int_equal (hl_msg_decode (data, size, NULL, &decoded), 0);
        free (data);
        assert_true (hl_msg_eq (msg, decoded));
        hl_msg_destroy (&msg);
        hl_msg_t *copy = hl_msg_dup (decoded);
        hl_msg_destroy (&decoded);
        assert_string_equal (hl_msg_src (copy), srcs[i]);
        assert_string_equal (hl_msg_name (copy), names[i]);
        hl_msg_destroy (&copy);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_decode_scanned),
        cmocka_unit_test (test_decode_strings),
    };
    return cmocka_run_group_tests_name ("hl_msg_decode", tests, NULL, NULL);
}
