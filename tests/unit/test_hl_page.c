/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_page - one page of a list: items in order while they fit the
    message's bytes and the count asked for; the cursor of the first left
    out and how many were; a page whose every reply encodes within the
    limit; an item that fits no page.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../master/hl_page.h"
#include "../../proto/hl_limits.h"
#include "../../proto/hl_msg.h"

/*  An item of about len bytes encoded. */
static hl_value_t *
s_item (size_t i, size_t len)
{
    hl_value_t *item = hl_value_new_map ();
    hl_value_set_int (item, "i", (int64_t)i);
    char *pad = (char *)malloc (len + 1);
    memset (pad, 'p', len);
    pad[len] = 0;
    hl_value_set_str (item, "pad", pad);
    free (pad);
    return item;
}

/*  Offer n items of len bytes, cursors 1..n; how many went on the page. */
static size_t
s_fill (hl_page_t *page, size_t n, size_t len)
{
    size_t i;
    for (i = 0; i < n; i++) {
        hl_value_t *item = s_item (i, len);
        if (!hl_page_add (page, &item, i + 1)) {
            assert_null (item);
            i++;
            break;
        }
    }
    hl_page_skip (page, n - i);
    return hl_page_size (page);
}

/*  The page as a reply with the longest envelope: it must encode within
    max bytes. */
static void
s_assert_reply_fits (hl_page_t *page, size_t max)
{
    hl_msg_t *reply = hl_msg_new (HL_MSG_REPLY);
    char src[HL_MAX_NAME + 1];
    memset (src, 's', HL_MAX_NAME);
    src[HL_MAX_NAME] = 0;
    hl_msg_set_src (reply, src);
    hl_msg_set_re (reply, UINT64_MAX);
    hl_msg_set_ok (reply, true);
    hl_msg_set_next (reply, UINT64_MAX);
    hl_msg_set_more (reply, UINT64_MAX);
    hl_value_t *items = hl_page_items (page);
    size_t data = hl_msg_value_size (items);
    hl_msg_set_data (reply, &items);
    uint8_t *bytes = NULL;
    size_t size = 0;
    assert_int_equal (hl_msg_encode (reply, &bytes, &size), 0);
    assert_true (size <= max);
    assert_true (size - data <= HL_PAGE_OVERHEAD);
    free (bytes);
    hl_msg_destroy (&reply);
}

static void
test_bytes (void **state)
{
    (void)state;
    /*  100 items of about 1000 bytes into 16 kB messages: 15 fit. */
    hl_page_t *page = hl_page_new (16384, 0);
    size_t on = s_fill (page, 100, 1000);
    assert_true (on >= 14 && on <= 16);
    assert_int_equal (hl_page_next (page), on + 1);
    assert_int_equal (hl_page_more (page), 100 - on);
    assert_true (hl_page_bytes (page) <= 16384 - HL_PAGE_OVERHEAD);
    s_assert_reply_fits (page, 16384);
    hl_page_destroy (&page);

    /*  At the limit: items that fill the budget exactly all go on;
        one byte more leaves the last out. */
    hl_value_t *probe = s_item (0, 1000);
    size_t one = hl_msg_value_size (probe);
    hl_value_destroy (&probe);
    size_t max = 4 * one + HL_PAGE_OVERHEAD;
    page = hl_page_new (max, 0);
    assert_int_equal (s_fill (page, 4, 1000), 4);
    assert_int_equal (hl_page_next (page), 0);
    assert_int_equal (hl_page_more (page), 0);
    s_assert_reply_fits (page, max);
    hl_page_destroy (&page);
    page = hl_page_new (max - 1, 0);
    assert_int_equal (s_fill (page, 4, 1000), 3);
    assert_int_equal (hl_page_next (page), 4);
    assert_int_equal (hl_page_more (page), 1);
    hl_page_destroy (&page);
}

static void
test_limit_and_whole (void **state)
{
    (void)state;
    hl_page_t *page = hl_page_new (HL_MSG_MAX_SIZE, 5);
    assert_int_equal (s_fill (page, 12, 10), 5);
    assert_int_equal (hl_page_next (page), 6);
    assert_int_equal (hl_page_more (page), 7);
    hl_page_destroy (&page);
    /*  A list that fits says nothing more. */
    page = hl_page_new (0, 0); /* 0: the compiled-in limits */
    assert_int_equal (s_fill (page, 12, 10), 12);
    assert_int_equal (hl_page_next (page), 0);
    assert_int_equal (hl_page_more (page), 0);
    s_assert_reply_fits (page, HL_MSG_MAX_SIZE);
    hl_page_destroy (&page);
    /*  An empty list. */
    page = hl_page_new (0, 0);
    assert_int_equal (s_fill (page, 0, 10), 0);
    hl_value_t *items = hl_page_items (page);
    assert_int_equal (hl_value_size (items), 0);
    hl_value_destroy (&items);
    hl_page_destroy (&page);
}

static void
test_item_too_big (void **state)
{
    (void)state;
    /*  The first item fits no page: nothing on it, all left out (the op
        answers too_big rather than a cursor that never moves). */
    hl_page_t *page = hl_page_new (4096, 0);
    assert_int_equal (s_fill (page, 3, 5000), 0);
    assert_int_equal (hl_page_next (page), 1);
    assert_int_equal (hl_page_more (page), 3);
    hl_page_destroy (&page);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bytes),
        cmocka_unit_test (test_limit_and_whole),
        cmocka_unit_test (test_item_too_big),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
