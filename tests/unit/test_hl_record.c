/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    Unit tests of hl_record: round trip, and a reader that survives every
    truncation, over-long lengths, a bad magic and an empty recording.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../bus/hl_record.h"
#include "../../proto/hl_err.h"
#include "../../proto/hl_limits.h"

typedef struct {
    char dir[64];
    char path[128];
} fixture_t;

static int
setup (void **state)
{
    fixture_t *fx = calloc (1, sizeof *fx);
    strcpy (fx->dir, "/tmp/test_hl_record.XXXXXX");
    assert_non_null (mkdtemp (fx->dir));
    snprintf (fx->path, sizeof fx->path, "%s/rec", fx->dir);
    *state = fx;
    return 0;
}

static int
teardown (void **state)
{
    fixture_t *fx = *state;
    unlink (fx->path);
    assert_int_equal (rmdir (fx->dir), 0);
    free (fx);
    return 0;
}

static void
s_write_file (const char *path, const void *data, size_t size)
{
    FILE *f = fopen (path, "wb");
    assert_non_null (f);
    if (size)
        assert_int_equal (fwrite (data, 1, size, f), size);
    fclose (f);
}

static uint8_t *
s_read_file (const char *path, size_t *size)
{
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    fseek (f, 0, SEEK_END);
    long len = ftell (f);
    fseek (f, 0, SEEK_SET);
    uint8_t *data = malloc ((size_t)len + 1);
    assert_int_equal (fread (data, 1, (size_t)len, f), (size_t)len);
    fclose (f);
    *size = (size_t)len;
    return data;
}

static void
test_round_trip (void **state)
{
    fixture_t *fx = *state;
    char err[256];
    hl_record_t *rec = hl_record_create (fx->path, err, sizeof err);
    assert_non_null (rec);
    assert_int_equal (hl_record_write (rec, 1000, "metric.x", 8, "\x82\x01", 2),
                      0);
    assert_int_equal (hl_record_write (rec, -5, "", 0, "", 0), 0);
    uint8_t big[4096];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    assert_int_equal (
        hl_record_write (rec, INT64_MAX, "health", 6, big, sizeof big), 0);
    //  A writer cannot read
    int64_t us;
    const uint8_t *topic, *env;
    size_t topic_len, env_len;
    assert_int_equal (
        hl_record_read (rec, &us, &topic, &topic_len, &env, &env_len),
        HL_ERR_IO);
    hl_record_destroy (&rec);
    assert_null (rec);
    hl_record_destroy (&rec);

    rec = hl_record_open (fx->path, err, sizeof err);
    assert_non_null (rec);
    assert_int_equal (
        hl_record_read (rec, &us, &topic, &topic_len, &env, &env_len), 1);
    assert_int_equal (us, 1000);
    assert_int_equal (topic_len, 8);
    assert_memory_equal (topic, "metric.x", 8);
    assert_int_equal (env_len, 2);
    assert_memory_equal (env, "\x82\x01", 2);
    assert_int_equal (
        hl_record_read (rec, &us, &topic, &topic_len, &env, &env_len), 1);
    assert_int_equal (us, -5);
    assert_int_equal (topic_len, 0);
    assert_int_equal (env_len, 0);
    assert_int_equal (
        hl_record_read (rec, &us, &topic, &topic_len, &env, &env_len), 1);
    assert_int_equal (us, INT64_MAX);
    assert_int_equal (env_len, sizeof big);
    assert_memory_equal (env, big, sizeof big);
    assert_int_equal (
        hl_record_read (rec, &us, &topic, &topic_len, &env, &env_len), 0);
    assert_int_equal (
        hl_record_read (rec, &us, &topic, &topic_len, &env, &env_len), 0);
    hl_record_destroy (&rec);
}

static void
test_write_limits (void **state)
{
    fixture_t *fx = *state;
    char err[256];
    hl_record_t *rec = hl_record_create (fx->path, err, sizeof err);
    assert_non_null (rec);
    char topic[HL_MAX_TOPIC + 1];
    memset (topic, 'a', sizeof topic);
    assert_int_equal (hl_record_write (rec, 0, topic, HL_MAX_TOPIC, "", 0), 0);
    assert_int_equal (hl_record_write (rec, 0, topic, HL_MAX_TOPIC + 1, "", 0),
                      HL_ERR_TOO_BIG);
    uint8_t *env = calloc (1, HL_MSG_MAX_SIZE + 1);
    assert_int_equal (hl_record_write (rec, 0, "t", 1, env, HL_MSG_MAX_SIZE),
                      0);
    assert_int_equal (
        hl_record_write (rec, 0, "t", 1, env, HL_MSG_MAX_SIZE + 1),
        HL_ERR_TOO_BIG);
    hl_record_destroy (&rec);

    //  Both limits are readable at the limit
    rec = hl_record_open (fx->path, err, sizeof err);
    assert_non_null (rec);
    int64_t us;
    const uint8_t *t, *e;
    size_t tl, el;
    assert_int_equal (hl_record_read (rec, &us, &t, &tl, &e, &el), 1);
    assert_int_equal (tl, HL_MAX_TOPIC);
    assert_int_equal (hl_record_read (rec, &us, &t, &tl, &e, &el), 1);
    assert_int_equal (el, HL_MSG_MAX_SIZE);
    assert_int_equal (hl_record_read (rec, &us, &t, &tl, &e, &el), 0);
    hl_record_destroy (&rec);
    free (env);
}

static void
test_truncation (void **state)
{
    fixture_t *fx = *state;
    char err[256];
    hl_record_t *rec = hl_record_create (fx->path, err, sizeof err);
    assert_non_null (rec);
    assert_int_equal (hl_record_write (rec, 1, "metric.a", 8, "abc", 3), 0);
    assert_int_equal (hl_record_write (rec, 2, "kpi.b", 5, "defgh", 5), 0);
    hl_record_destroy (&rec);
    size_t size;
    uint8_t *data = s_read_file (fx->path, &size);
    size_t first_end = 8 + 12 + 8 + 4 + 3;
    assert_int_equal (size, first_end + 12 + 5 + 4 + 5);

    for (size_t cut = 0; cut < size; cut++) {
        s_write_file (fx->path, data, cut);
        rec = hl_record_open (fx->path, err, sizeof err);
        if (cut < 8) {
            //  Not even the magic: refused with a reason
            assert_null (rec);
            assert_non_null (strstr (err, "not a Helios recording"));
            continue;
        }
        assert_non_null (rec);
        int64_t us;
        const uint8_t *t, *e;
        size_t tl, el;
        int expect_first = cut == 8          ? 0
                           : cut < first_end ? HL_ERR_MALFORMED
                                             : 1;
        assert_int_equal (hl_record_read (rec, &us, &t, &tl, &e, &el),
                          expect_first);
        if (expect_first == 1) {
            int expect_second = cut == first_end ? 0 : HL_ERR_MALFORMED;
            assert_int_equal (hl_record_read (rec, &us, &t, &tl, &e, &el),
                              expect_second);
        }
        //  An error sticks; an end stays an end
        int again = hl_record_read (rec, &us, &t, &tl, &e, &el);
        assert_true (again == 0 || again == HL_ERR_MALFORMED);
        hl_record_destroy (&rec);
    }
    free (data);
}

static void
s_put_u32 (uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
test_oversize_lengths (void **state)
{
    fixture_t *fx = *state;
    char err[256];
    uint8_t file[64];
    memcpy (file, "HLREC01\n", 8);
    memset (file + 8, 0, 8);

    //  Topic length one past the limit, then a huge one
    uint32_t bad_topics[] = { HL_MAX_TOPIC + 1, UINT32_MAX };
    for (size_t i = 0; i < 2; i++) {
        s_put_u32 (file + 16, bad_topics[i]);
        s_write_file (fx->path, file, 20);
        hl_record_t *rec = hl_record_open (fx->path, err, sizeof err);
        assert_non_null (rec);
        int64_t us;
        const uint8_t *t, *e;
        size_t tl, el;
        assert_int_equal (hl_record_read (rec, &us, &t, &tl, &e, &el),
                          HL_ERR_TOO_BIG);
        assert_int_equal (hl_record_read (rec, &us, &t, &tl, &e, &el),
                          HL_ERR_TOO_BIG);
        hl_record_destroy (&rec);
    }
    //  Envelope length one past the limit, then a huge one: refused
    //  before anything is allocated or read
    uint32_t bad_envs[] = { HL_MSG_MAX_SIZE + 1, UINT32_MAX };
    for (size_t i = 0; i < 2; i++) {
        s_put_u32 (file + 16, 1);
        file[20] = 'x';
        s_put_u32 (file + 21, bad_envs[i]);
        s_write_file (fx->path, file, 25);
        hl_record_t *rec = hl_record_open (fx->path, err, sizeof err);
        assert_non_null (rec);
        int64_t us;
        const uint8_t *t, *e;
        size_t tl, el;
        assert_int_equal (hl_record_read (rec, &us, &t, &tl, &e, &el),
                          HL_ERR_TOO_BIG);
        hl_record_destroy (&rec);
    }
}

static void
test_bad_magic (void **state)
{
    fixture_t *fx = *state;
    char err[256] = "";
    s_write_file (fx->path, "HLREC02\n", 8);
    assert_null (hl_record_open (fx->path, err, sizeof err));
    assert_non_null (strstr (err, "bad magic"));
    s_write_file (fx->path, "", 0);
    assert_null (hl_record_open (fx->path, err, sizeof err));
    err[0] = 0;
    assert_null (hl_record_open ("/nonexistent/dir/rec", err, sizeof err));
    assert_true (strlen (err) > 0);
    assert_null (hl_record_create ("/nonexistent/dir/rec", err, sizeof err));
    assert_null (hl_record_open (NULL, err, sizeof err));
}

static void
test_empty_after_magic (void **state)
{
    fixture_t *fx = *state;
    char err[256];
    hl_record_t *rec = hl_record_create (fx->path, err, sizeof err);
    assert_non_null (rec);
    hl_record_destroy (&rec);
    rec = hl_record_open (fx->path, err, sizeof err);
    assert_non_null (rec);
    int64_t us;
    const uint8_t *t, *e;
    size_t tl, el;
    assert_int_equal (hl_record_read (rec, &us, &t, &tl, &e, &el), 0);
    hl_record_destroy (&rec);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown (test_write_limits, setup, teardown),
        cmocka_unit_test_setup_teardown (test_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown (test_oversize_lengths, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (test_bad_magic, setup, teardown),
        cmocka_unit_test_setup_teardown (test_empty_after_magic, setup,
                                         teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
