/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_idem - the control answers kept by client and request id: a
    repeat gets the first answer; a repeat of a running request is held
    and counted into the answer's sends (up to a limit); the window ends
    an entry; entries and bytes are bounded per client and overall, the
    oldest answered going first; the same id from another client is
    another request; the table off passes everything through.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../master/hl_idem.h"

static const uint8_t s_a[] = { 0, 1, 2, 3, 4 };
static const uint8_t s_b[] = { 0, 9, 9, 9, 9 };

static hl_idem_t *
s_new (int window_ms, size_t entries, size_t bytes, size_t client_entries,
       size_t client_bytes)
{
    hl_idem_opts_t opts
        = { window_ms, entries, bytes, client_entries, client_bytes };
    hl_idem_t *self = hl_idem_new (&opts);
    assert_non_null (self);
    return self;
}

static hl_idem_state_t
s_begin (hl_idem_t *self, const uint8_t *rid, uint64_t id, int64_t now,
         const char **answer)
{
    const uint8_t *bytes;
    size_t size;
    hl_idem_state_t st = hl_idem_begin (self, rid, 5, id, now, &bytes, &size);
    *answer = (const char *)bytes;
    if (st == HL_IDEM_ANSWERED)
        assert_int_equal (size, strlen (*answer) + 1);
    return st;
}

static size_t
s_answer (hl_idem_t *self, const uint8_t *rid, uint64_t id, int64_t now,
          const char *text)
{
    return hl_idem_answer (self, rid, 5, id, (const uint8_t *)text,
                           strlen (text) + 1, now);
}

static void
test_repeat (void **state)
{
    (void)state;
    hl_idem_t *self = s_new (60000, 100, 1 << 20, 10, 1 << 20);
    const char *answer;
    assert_int_equal (s_begin (self, s_a, 7, 0, &answer), HL_IDEM_NEW);
    //  Running: repeats are held, then counted into the answer
    assert_int_equal (s_begin (self, s_a, 7, 1, &answer), HL_IDEM_RUNNING);
    assert_int_equal (s_begin (self, s_a, 7, 2, &answer), HL_IDEM_RUNNING);
    assert_int_equal (s_answer (self, s_a, 7, 3, "first"), 2);
    assert_int_equal (s_begin (self, s_a, 7, 4, &answer), HL_IDEM_ANSWERED);
    assert_string_equal (answer, "first");
    //  Another id, another client: other requests
    assert_int_equal (s_begin (self, s_a, 8, 5, &answer), HL_IDEM_NEW);
    assert_int_equal (s_begin (self, s_b, 7, 5, &answer), HL_IDEM_NEW);
    //  An answer to nothing noted, or given twice, sends once
    assert_int_equal (s_answer (self, s_a, 99, 6, "x"), 0);
    assert_int_equal (s_answer (self, s_a, 7, 6, "second"), 0);
    assert_int_equal (s_begin (self, s_a, 7, 7, &answer), HL_IDEM_ANSWERED);
    assert_string_equal (answer, "first");
    hl_idem_stats_t st;
    hl_idem_stats (self, &st);
    assert_int_equal (st.entries, 3);
    assert_int_equal (st.clients, 2);
    assert_int_equal (st.replayed, 2);
    assert_int_equal (st.held, 2);
    hl_idem_destroy (&self);
    assert_null (self);
}

/*  Held repeats are capped: the rest are dropped and counted. */
static void
test_held_limit (void **state)
{
    (void)state;
    hl_idem_t *self = s_new (60000, 100, 1 << 20, 10, 1 << 20);
    const char *answer;
    assert_int_equal (s_begin (self, s_a, 1, 0, &answer), HL_IDEM_NEW);
    for (int i = 0; i < 20; i++)
        assert_int_equal (s_begin (self, s_a, 1, 0, &answer), HL_IDEM_RUNNING);
    size_t held = s_answer (self, s_a, 1, 0, "a");
    assert_true (held > 0 && held < 20);
    hl_idem_stats_t st;
    hl_idem_stats (self, &st);
    assert_int_equal (st.held + st.dropped, 20);
    assert_int_equal (st.held, held);
    hl_idem_destroy (&self);
}

/*  An answer goes when its window ends; a running request never does. */
static void
test_window (void **state)
{
    (void)state;
    hl_idem_t *self = s_new (1000, 100, 1 << 20, 10, 1 << 20);
    const char *answer;
    assert_int_equal (s_begin (self, s_a, 1, 0, &answer), HL_IDEM_NEW);
    assert_int_equal (s_begin (self, s_a, 2, 0, &answer), HL_IDEM_NEW);
    s_answer (self, s_a, 1, 0, "one");
    assert_int_equal (s_begin (self, s_a, 1, 999, &answer), HL_IDEM_ANSWERED);
    assert_int_equal (s_begin (self, s_a, 1, 1000, &answer), HL_IDEM_NEW);
    assert_int_equal (s_begin (self, s_a, 2, 100000, &answer), HL_IDEM_RUNNING);
    hl_idem_stats_t st;
    hl_idem_stats (self, &st);
    assert_int_equal (st.expired, 1);
    hl_idem_destroy (&self);
}

/*  Per client: its oldest answered entry goes for a new one. Overall:
    the table's oldest answered. Bytes likewise; an answer bigger than a
    client's bound is not kept. */
static void
test_bounds (void **state)
{
    (void)state;
    hl_idem_t *self = s_new (60000, 4, 1 << 20, 2, 1 << 20);
    const char *answer;
    s_begin (self, s_a, 1, 0, &answer);
    s_begin (self, s_a, 2, 0, &answer);
    s_answer (self, s_a, 2, 0, "two");
    //  A third of a's: 2 (answered) goes, 1 (running) stays
    s_begin (self, s_a, 3, 0, &answer);
    assert_int_equal (s_begin (self, s_a, 1, 0, &answer), HL_IDEM_RUNNING);
    assert_int_equal (s_begin (self, s_a, 2, 0, &answer), HL_IDEM_NEW);
    hl_idem_stats_t st;
    hl_idem_stats (self, &st);
    assert_true (st.evicted >= 2);
    hl_idem_destroy (&self);

    //  Overall: four entries of four clients, a fifth evicts the oldest
    self = s_new (60000, 4, 1 << 20, 10, 1 << 20);
    uint8_t rid[5] = { 0, 0, 0, 0, 0 };
    for (uint8_t c = 1; c <= 5; c++) {
        rid[4] = c;
        assert_int_equal (hl_idem_begin (self, rid, 5, 1, 0,
                                         (const uint8_t **)&answer,
                                         &(size_t){ 0 }),
                          HL_IDEM_NEW);
        hl_idem_answer (self, rid, 5, 1, (const uint8_t *)"x", 2, 0);
    }
    hl_idem_stats (self, &st);
    assert_int_equal (st.entries, 4);
    assert_int_equal (st.clients, 4);
    rid[4] = 1;
    assert_int_equal (hl_idem_begin (self, rid, 5, 1, 0,
                                     (const uint8_t **)&answer, &(size_t){ 0 }),
                      HL_IDEM_NEW);
    hl_idem_destroy (&self);

    //  Bytes: 4 KiB per client holds one 3000-byte answer, not two
    self = s_new (60000, 100, 1 << 20, 100, 4096);
    static char big[3000];
    memset (big, 'b', sizeof big - 1);
    s_begin (self, s_a, 1, 0, &answer);
    s_answer (self, s_a, 1, 0, big);
    s_begin (self, s_a, 2, 0, &answer);
    s_answer (self, s_a, 2, 0, big);
    assert_int_equal (s_begin (self, s_a, 1, 0, &answer), HL_IDEM_NEW);
    hl_idem_stats (self, &st);
    assert_true (st.bytes <= 4096);
    //  Too big for any client: answered, not kept
    static char huge[5000];
    memset (huge, 'h', sizeof huge - 1);
    s_begin (self, s_b, 1, 0, &answer);
    assert_int_equal (s_answer (self, s_b, 1, 0, huge), 0);
    assert_int_equal (s_begin (self, s_b, 1, 0, &answer), HL_IDEM_NEW);
    hl_idem_stats (self, &st);
    assert_int_equal (st.unkept, 1);
    hl_idem_destroy (&self);
}

static void
test_off (void **state)
{
    (void)state;
    hl_idem_t *self = s_new (0, 1, 1, 1, 1);
    const char *answer;
    assert_int_equal (s_begin (self, s_a, 1, 0, &answer), HL_IDEM_NEW);
    assert_int_equal (s_begin (self, s_a, 1, 0, &answer), HL_IDEM_NEW);
    assert_int_equal (s_answer (self, s_a, 1, 0, "x"), 0);
    hl_idem_destroy (&self);
    hl_idem_opts_t bad = { 1000, 0, 1, 1, 1 };
    assert_null (hl_idem_new (&bad));
    assert_null (hl_idem_new (NULL));
    hl_idem_destroy (&self);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_repeat), cmocka_unit_test (test_held_limit),
        cmocka_unit_test (test_window), cmocka_unit_test (test_bounds),
        cmocka_unit_test (test_off),
    };
    return cmocka_run_group_tests_name ("hl_idem", tests, NULL, NULL);
}
