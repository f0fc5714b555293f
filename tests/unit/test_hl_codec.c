/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_codec - round trips of every message type, and hostile input:
    hand-forged msgpack bytes that must each fail with one exact error,
    every limit at the limit and one past it, and hl_codec_peek.
*/
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../proto/hl_codec.h"
#include "../../proto/hl_msg.h"

//  --------------------------------------------------------------------
//  A tiny msgpack writer to forge inputs byte by byte

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} bld_t;

static void
b_raw (bld_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->data = realloc (b->data, b->cap);
        assert_non_null (b->data);
    }
    memcpy (b->data + b->len, p, n);
    b->len += n;
}

static void
b_byte (bld_t *b, uint8_t c)
{
    b_raw (b, &c, 1);
}

static void
b_be (bld_t *b, uint64_t v, size_t n)
{
    while (n--)
        b_byte (b, (uint8_t)(v >> (8 * n)));
}

static void
b_head (bld_t *b, uint8_t fix, size_t fixmax, uint8_t tag16, uint64_t n)
{
    if (n <= fixmax)
        b_byte (b, (uint8_t)(fix | n));
    else if (n <= 0xffff) {
        b_byte (b, tag16);
        b_be (b, n, 2);
    } else {
        b_byte (b, tag16 + 1);
        b_be (b, n, 4);
    }
}

static void
b_map (bld_t *b, uint64_t n)
{
    b_head (b, 0x80, 15, 0xde, n);
}

static void
b_arr (bld_t *b, uint64_t n)
{
    b_head (b, 0x90, 15, 0xdc, n);
}

static void
b_strn (bld_t *b, const char *s, size_t n)
{
    if (n <= 31)
        b_byte (b, (uint8_t)(0xa0 | n));
    else if (n <= 0xff) {
        b_byte (b, 0xd9);
        b_be (b, n, 1);
    } else if (n <= 0xffff) {
        b_byte (b, 0xda);
        b_be (b, n, 2);
    } else {
        b_byte (b, 0xdb);
        b_be (b, n, 4);
    }
    b_raw (b, s, n);
}

static void
b_str (bld_t *b, const char *s)
{
    b_strn (b, s, strlen (s));
}

//  A string of n copies of c.
static void
b_fill (bld_t *b, char c, size_t n)
{
    char *s = malloc (n + 1);
    memset (s, c, n);
    b_strn (b, s, n);
    free (s);
}

static void
b_uint (bld_t *b, uint64_t u)
{
    if (u < 128)
        b_byte (b, (uint8_t)u);
    else {
        b_byte (b, 0xcf);
        b_be (b, u, 8);
    }
}

static void
b_int (bld_t *b, int64_t i)
{
    if (i >= 0)
        b_uint (b, (uint64_t)i);
    else if (i >= -32)
        b_byte (b, (uint8_t)i);
    else {
        b_byte (b, 0xd3);
        b_be (b, (uint64_t)i, 8);
    }
}

static void
b_f64 (bld_t *b, double d)
{
    uint64_t u;
    memcpy (&u, &d, 8);
    b_byte (b, 0xcb);
    b_be (b, u, 8);
}

static void
b_kv_str (bld_t *b, const char *k, const char *v)
{
    b_str (b, k);
    b_str (b, v);
}

static void
b_kv_int (bld_t *b, const char *k, int64_t v)
{
    b_str (b, k);
    b_int (b, v);
}

//  Envelope {v:1, t:type, id:7, ts:1000, body:{nbody entries follow}}.
static void
b_env (bld_t *b, const char *type, size_t nbody)
{
    b_map (b, 5);
    b_kv_int (b, "v", 1);
    b_kv_str (b, "t", type);
    b_kv_int (b, "id", 7);
    b_kv_int (b, "ts", 1000);
    b_str (b, "body");
    b_map (b, nbody);
}

//  A valid task body minus nothing: task_id, kind, priority, attempt.
static void
b_task (bld_t *b, int64_t priority)
{
    b_env (b, "task", 4);
    b_kv_int (b, "task_id", 1);
    b_kv_str (b, "kind", "echo");
    b_kv_int (b, "priority", priority);
    b_kv_int (b, "attempt", 1);
}

static int
s_decode_lim (bld_t *b, const hl_limits_t *limits)
{
    hl_msg_t *msg = NULL;
    int rc = hl_msg_decode (b->data, b->len, limits, &msg);
    if (rc == 0)
        assert_non_null (msg);
    else
        assert_null (msg);
    hl_msg_destroy (&msg);
    free (b->data);
    memset (b, 0, sizeof *b);
    return rc;
}

static int
s_decode (bld_t *b)
{
    return s_decode_lim (b, NULL);
}

#define EXPECT(err, b) assert_int_equal (s_decode (b), err)

//  --------------------------------------------------------------------
//  Messages with every field set

#include "msg_fixtures.h"

static void
s_roundtrip (hl_msg_t *m)
{
    uint8_t *data;
    size_t size;
    assert_int_equal (hl_msg_encode (m, &data, &size), 0);
    hl_msg_t *back = NULL;
    assert_int_equal (hl_msg_decode (data, size, NULL, &back), 0);
    assert_true (hl_msg_eq (m, back));
    char type[32];
    assert_int_equal (hl_codec_peek (data, size, type, sizeof type), 0);
    assert_string_equal (type, hl_msg_type_name (hl_msg_type (m)));
    hl_msg_destroy (&back);
    free (data);
}

static void
test_roundtrip_every_type (void **state)
{
    (void)state;
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        hl_msg_t *m = s_full ((hl_msg_type_t)t);
        s_roundtrip (m);
        hl_msg_destroy (&m);
    }
}

static void
test_roundtrip_fields (void **state)
{
    (void)state;
    //  Spot checks through the getters, beyond hl_msg_eq.
    hl_msg_t *m = s_full (HL_MSG_TASK);
    uint8_t *data;
    size_t size;
    assert_int_equal (hl_msg_encode (m, &data, &size), 0);
    hl_msg_t *b = NULL;
    assert_int_equal (hl_msg_decode (data, size, NULL, &b), 0);
    assert_int_equal (hl_msg_type (b), HL_MSG_TASK);
    assert_int_equal (hl_msg_id (b), hl_msg_id (m));
    assert_int_equal (hl_msg_re (b), 99);
    assert_int_equal (hl_msg_ts (b), hl_msg_ts (m));
    assert_string_equal (hl_msg_src (b), "hephaestus-backend@web2:4242");
    assert_int_equal (hl_msg_task_id (b), 12345678901ULL);
    assert_string_equal (hl_msg_kind (b), "apply");
    assert_int_equal (hl_msg_priority (b), 1);
    assert_int_equal (hl_msg_attempt (b), 2);
    assert_true (hl_msg_emergency (b));
    assert_int_equal (hl_msg_deadline_ms (b), 5000);
    assert_string_equal (hl_msg_event (b), "queued");
    assert_true (hl_value_eq (hl_msg_args (b), hl_msg_args (m)));
    uint64_t u = 0;
    assert_int_equal (hl_value_uint (hl_value_get (hl_msg_args (b), "big"), &u),
                      0);
    assert_true (u == UINT64_MAX);
    assert_int_equal (hl_value_get_int (hl_msg_args (b), "neg", 0), -5);
    hl_msg_destroy (&b);
    hl_msg_destroy (&m);
    free (data);

    //  Minimal messages: optional fields absent stay absent.
    m = hl_msg_new (HL_MSG_REPLY);
    hl_msg_set_ok (m, true);
    s_roundtrip (m);
    hl_msg_destroy (&m);
    m = hl_msg_new (HL_MSG_TASK);
    hl_msg_set_task_id (m, 1);
    hl_msg_set_kind (m, "echo");
    hl_msg_set_priority (m, 4);
    hl_msg_set_attempt (m, 100);
    s_roundtrip (m);
    hl_msg_destroy (&m);

    //  NaN and infinities pass through proto.
    m = hl_msg_new (HL_MSG_METRIC);
    hl_msg_set_name (m, "x");
    hl_msg_set_value (m, NAN);
    hl_msg_set_sample_ts (m, 0);
    s_roundtrip (m);
    hl_msg_set_value (m, -INFINITY);
    s_roundtrip (m);
    hl_msg_destroy (&m);
}

//  Every prefix of a valid message is malformed, for every type.
static void
test_truncated (void **state)
{
    (void)state;
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        hl_msg_t *m = s_full ((hl_msg_type_t)t);
        uint8_t *data;
        size_t size;
        assert_int_equal (hl_msg_encode (m, &data, &size), 0);
        for (size_t n = 0; n < size; n++) {
            hl_msg_t *back = NULL;
            //  A copy of exactly n bytes, so ASan sees any over-read.
            uint8_t *cut = malloc (n ? n : 1);
            memcpy (cut, data, n);
            assert_int_equal (hl_msg_decode (cut, n, NULL, &back),
                              HL_ERR_MALFORMED);
            assert_null (back);
            free (cut);
        }
        free (data);
        hl_msg_destroy (&m);
    }
}

static void
test_root (void **state)
{
    (void)state;
    bld_t b = { 0 };
    assert_int_equal (hl_msg_decode (NULL, 0, NULL, &(hl_msg_t *){ NULL }),
                      HL_ERR_MALFORMED);
    b_arr (&b, 1);
    b_int (&b, 1);
    EXPECT (HL_ERR_ROOT, &b);
    b_int (&b, 1);
    EXPECT (HL_ERR_ROOT, &b);
    b_byte (&b, 0xc0); //  nil
    EXPECT (HL_ERR_ROOT, &b);
    b_str (&b, "v");
    EXPECT (HL_ERR_ROOT, &b);
    b_map (&b, 0);
    EXPECT (HL_ERR_ROOT, &b);
    //  t first, then v
    b_map (&b, 2);
    b_kv_str (&b, "t", "task");
    b_kv_int (&b, "v", 1);
    EXPECT (HL_ERR_ROOT, &b);
    //  only v
    b_map (&b, 1);
    b_kv_int (&b, "v", 1);
    EXPECT (HL_ERR_ROOT, &b);
    //  v, then something else than t
    b_map (&b, 2);
    b_kv_int (&b, "v", 1);
    b_kv_int (&b, "id", 1);
    EXPECT (HL_ERR_ROOT, &b);
    //  t is not a string
    b_map (&b, 2);
    b_kv_int (&b, "v", 1);
    b_kv_int (&b, "t", 1);
    EXPECT (HL_ERR_ROOT, &b);
    //  v is a string
    b_map (&b, 2);
    b_kv_str (&b, "v", "1");
    b_kv_str (&b, "t", "task");
    EXPECT (HL_ERR_ROOT, &b);
    //  a first key that is not a string
    b_map (&b, 2);
    b_int (&b, 1);
    b_int (&b, 1);
    b_kv_str (&b, "t", "task");
    EXPECT (HL_ERR_ROOT, &b);
    //  a second t later on
    b_map (&b, 6);
    b_kv_int (&b, "v", 1);
    b_kv_str (&b, "t", "cancel");
    b_kv_int (&b, "id", 7);
    b_kv_int (&b, "ts", 1000);
    b_str (&b, "body");
    b_map (&b, 1);
    b_kv_int (&b, "task_id", 1);
    b_kv_str (&b, "t", "task");
    EXPECT (HL_ERR_ROOT, &b);
}

static void
test_version_and_type (void **state)
{
    (void)state;
    bld_t b = { 0 };
    int64_t bad[] = { 0, 2, 200, -1 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b_map (&b, 5);
        b_kv_int (&b, "v", bad[i]);
        b_kv_str (&b, "t", "cancel");
        b_kv_int (&b, "id", 7);
        b_kv_int (&b, "ts", 1000);
        b_str (&b, "body");
        b_map (&b, 1);
        b_kv_int (&b, "task_id", 1);
        EXPECT (HL_ERR_VERSION, &b);
    }
    b_env (&b, "bogus", 0);
    EXPECT (HL_ERR_TYPE, &b);
    b_env (&b, "", 0);
    EXPECT (HL_ERR_TYPE, &b);
    b_env (&b, "TASK", 0);
    EXPECT (HL_ERR_TYPE, &b);
}

static void
test_envelope_fields (void **state)
{
    (void)state;
    bld_t b = { 0 };
    const char *keys[] = { "id", "ts", "body" };
    for (int skip = 0; skip < 3; skip++) {
        b_map (&b, 4);
        b_kv_int (&b, "v", 1);
        b_kv_str (&b, "t", "bye");
        for (int k = 0; k < 3; k++) {
            if (k == skip)
                continue;
            b_str (&b, keys[k]);
            if (k == 2) {
                b_map (&b, 1);
                b_kv_str (&b, "reason", "x");
            } else
                b_int (&b, 1);
        }
        EXPECT (HL_ERR_MISSING, &b);
    }
    //  mistyped and negative id, body not a map, src too long
    b_map (&b, 5);
    b_kv_int (&b, "v", 1);
    b_kv_str (&b, "t", "bye");
    b_kv_str (&b, "id", "7");
    b_kv_int (&b, "ts", 1);
    b_str (&b, "body");
    b_map (&b, 0);
    EXPECT (HL_ERR_MISTYPED, &b);
    b_map (&b, 5);
    b_kv_int (&b, "v", 1);
    b_kv_str (&b, "t", "bye");
    b_kv_int (&b, "id", -7);
    b_kv_int (&b, "ts", 1);
    b_str (&b, "body");
    b_map (&b, 0);
    EXPECT (HL_ERR_RANGE, &b);
    b_map (&b, 5);
    b_kv_int (&b, "v", 1);
    b_kv_str (&b, "t", "bye");
    b_kv_int (&b, "id", 7);
    b_kv_int (&b, "ts", 1);
    b_kv_int (&b, "body", 1);
    EXPECT (HL_ERR_MISTYPED, &b);
    for (size_t len = HL_MAX_NAME; len <= HL_MAX_NAME + 1; len++) {
        b_map (&b, 7);
        b_kv_int (&b, "v", 1);
        b_kv_str (&b, "t", "bye");
        b_kv_int (&b, "id", 7);
        b_kv_int (&b, "ts", -1);
        b_str (&b, "src");
        b_fill (&b, 's', len);
        b_kv_int (&b, "future", 3); //  unknown: ignored
        b_str (&b, "body");
        b_map (&b, 2);
        b_kv_str (&b, "reason", "x");
        b_kv_str (&b, "later", "y"); //  unknown: ignored
        EXPECT (len == HL_MAX_NAME ? 0 : HL_ERR_STRING, &b);
    }
}

static void
test_body_fields (void **state)
{
    (void)state;
    bld_t b = { 0 };
    //  task: priority 0..5 at and around its range
    b_task (&b, 0);
    EXPECT (HL_ERR_RANGE, &b);
    b_task (&b, 1);
    EXPECT (0, &b);
    b_task (&b, 4);
    EXPECT (0, &b);
    b_task (&b, 5);
    EXPECT (HL_ERR_RANGE, &b);
    b_task (&b, -1);
    EXPECT (HL_ERR_RANGE, &b);
    //  task: missing kind, mistyped priority, unknown kind, task_id 0
    b_env (&b, "task", 3);
    b_kv_int (&b, "task_id", 1);
    b_kv_int (&b, "priority", 1);
    b_kv_int (&b, "attempt", 1);
    EXPECT (HL_ERR_MISSING, &b);
    b_env (&b, "task", 4);
    b_kv_int (&b, "task_id", 1);
    b_kv_str (&b, "kind", "echo");
    b_kv_str (&b, "priority", "1");
    b_kv_int (&b, "attempt", 1);
    EXPECT (HL_ERR_MISTYPED, &b);
    b_env (&b, "task", 4);
    b_kv_int (&b, "task_id", 1);
    b_kv_str (&b, "kind", "destroy");
    b_kv_int (&b, "priority", 1);
    b_kv_int (&b, "attempt", 1);
    EXPECT (HL_ERR_RANGE, &b);
    b_env (&b, "task", 4);
    b_kv_int (&b, "task_id", 0);
    b_kv_str (&b, "kind", "echo");
    b_kv_int (&b, "priority", 1);
    b_kv_int (&b, "attempt", 1);
    EXPECT (HL_ERR_RANGE, &b);
    //  task: emergency not a bool, event outside its charset
    b_env (&b, "task", 5);
    b_kv_int (&b, "task_id", 1);
    b_kv_str (&b, "kind", "echo");
    b_kv_int (&b, "priority", 1);
    b_kv_int (&b, "attempt", 1);
    b_kv_int (&b, "emergency", 1);
    EXPECT (HL_ERR_MISTYPED, &b);
    b_env (&b, "task", 5);
    b_kv_int (&b, "task_id", 1);
    b_kv_str (&b, "kind", "echo");
    b_kv_int (&b, "priority", 1);
    b_kv_int (&b, "attempt", 1);
    b_kv_str (&b, "event", "Queued");
    EXPECT (HL_ERR_RANGE, &b);

    //  progress: pct 100 and 101
    for (int pct = 100; pct <= 101; pct++) {
        b_env (&b, "progress", 2);
        b_kv_int (&b, "task_id", 1);
        b_kv_int (&b, "pct", pct);
        EXPECT (pct == 100 ? 0 : HL_ERR_RANGE, &b);
    }
    //  hello: capacity 0, 1025, 2^32
    int64_t caps[] = { 0, 1025, 4294967296LL };
    for (size_t i = 0; i < 3; i++) {
        b_env (&b, "hello", 5);
        b_kv_str (&b, "role", "r");
        b_kv_int (&b, "capacity", caps[i]);
        b_kv_str (&b, "host", "h");
        b_kv_int (&b, "pid", 1);
        b_kv_str (&b, "version", "1");
        EXPECT (HL_ERR_RANGE, &b);
    }
    //  welcome: heartbeat_ms 9
    b_env (&b, "welcome", 3);
    b_kv_int (&b, "heartbeat_ms", 9);
    b_kv_int (&b, "liveness", 3);
    b_kv_str (&b, "session", "s");
    EXPECT (HL_ERR_RANGE, &b);
    //  result: duration_us INT64_MAX, and one more, which an int64 of
    //  microseconds would read as negative
    for (int over = 0; over <= 1; over++) {
        b_env (&b, "result", 3);
        b_kv_int (&b, "task_id", 1);
        b_kv_str (&b, "status", "ok");
        b_str (&b, "duration_us");
        b_uint (&b, (uint64_t)INT64_MAX + (uint64_t)over);
        EXPECT (over ? HL_ERR_RANGE : 0, &b);
    }
    //  heartbeat: inflight 2^32 wraps nothing
    b_env (&b, "heartbeat", 1);
    b_kv_int (&b, "inflight", 4294967296LL);
    EXPECT (HL_ERR_RANGE, &b);
    //  heartbeat: inflight -1
    b_env (&b, "heartbeat", 1);
    b_kv_int (&b, "inflight", -1);
    EXPECT (HL_ERR_RANGE, &b);
    //  reply: ok false without error, with error, ok mistyped
    b_env (&b, "reply", 1);
    b_str (&b, "ok");
    b_byte (&b, 0xc2);
    EXPECT (HL_ERR_MISSING, &b);
    b_env (&b, "reply", 2);
    b_str (&b, "ok");
    b_byte (&b, 0xc2);
    b_kv_str (&b, "error", "why");
    EXPECT (0, &b);
    b_env (&b, "reply", 1);
    b_kv_int (&b, "ok", 1);
    EXPECT (HL_ERR_MISTYPED, &b);
    //  metric: value as int and float32 accepted, as string refused
    b_env (&b, "metric", 3);
    b_kv_str (&b, "name", "cpu");
    b_kv_int (&b, "value", -3);
    b_kv_int (&b, "ts", 1);
    EXPECT (0, &b);
    b_env (&b, "metric", 3);
    b_kv_str (&b, "name", "cpu");
    b_str (&b, "value");
    b_raw (&b, "\xca\x3f\x80\x00\x00", 5); //  1.0f
    b_kv_int (&b, "ts", 1);
    EXPECT (0, &b);
    b_env (&b, "metric", 3);
    b_kv_str (&b, "name", "cpu");
    b_kv_str (&b, "value", "1");
    b_kv_int (&b, "ts", 1);
    EXPECT (HL_ERR_MISTYPED, &b);
    const char *bad_names[] = { "", "a b", "a/b", "é" };
    for (size_t i = 0; i < 4; i++) {
        b_env (&b, "metric", 3);
        b_kv_str (&b, "name", bad_names[i]);
        b_str (&b, "value");
        b_f64 (&b, 1);
        b_kv_int (&b, "ts", 1);
        EXPECT (HL_ERR_RANGE, &b);
    }
    //  metric tags must map strings to strings
    b_env (&b, "metric", 4);
    b_kv_str (&b, "name", "cpu");
    b_kv_int (&b, "value", 1);
    b_kv_int (&b, "ts", 1);
    b_str (&b, "tags");
    b_map (&b, 1);
    b_kv_int (&b, "host", 1);
    EXPECT (HL_ERR_MISTYPED, &b);
    //  health: score 100 and 100.5
    for (int i = 0; i < 2; i++) {
        b_env (&b, "health", 2);
        b_str (&b, "score");
        b_f64 (&b, i ? 100.5 : 100);
        b_kv_str (&b, "state", "ok");
        EXPECT (i ? HL_ERR_RANGE : 0, &b);
    }
    //  health: data must be a map
    b_env (&b, "health", 3);
    b_kv_int (&b, "score", 1);
    b_kv_str (&b, "state", "ok");
    b_str (&b, "data");
    b_arr (&b, 0);
    EXPECT (HL_ERR_MISTYPED, &b);
    //  error: code as float
    b_env (&b, "error", 2);
    b_str (&b, "code");
    b_f64 (&b, 1);
    b_kv_str (&b, "text", "t");
    EXPECT (HL_ERR_MISTYPED, &b);
    //  body key not a string
    b_env (&b, "bye", 2);
    b_kv_str (&b, "reason", "x");
    b_int (&b, 1);
    b_int (&b, 1);
    EXPECT (HL_ERR_MISTYPED, &b);
}

static void
test_metrics_batch (void **state)
{
    (void)state;
    bld_t b = { 0 };
    b_env (&b, "metrics", 1);
    b_str (&b, "samples");
    b_arr (&b, 0);
    EXPECT (HL_ERR_RANGE, &b);
    b_env (&b, "metrics", 1);
    b_str (&b, "samples");
    b_arr (&b, 1);
    b_int (&b, 1);
    EXPECT (HL_ERR_MISTYPED, &b);
    b_env (&b, "metrics", 1);
    b_str (&b, "samples");
    b_arr (&b, 1);
    b_map (&b, 2);
    b_kv_str (&b, "name", "cpu");
    b_kv_int (&b, "value", 1);
    EXPECT (HL_ERR_MISSING, &b);
    b_env (&b, "metrics", 1);
    b_str (&b, "samples");
    b_arr (&b, 2);
    for (int i = 0; i < 2; i++) {
        b_map (&b, 4);
        b_kv_str (&b, "name", "cpu");
        b_kv_int (&b, "value", 1);
        b_kv_int (&b, "ts", 1);
        b_str (&b, "tags");
        b_map (&b, 1);
        if (i)
            b_kv_int (&b, "k", 1);
        else
            b_kv_str (&b, "k", "v");
    }
    EXPECT (HL_ERR_MISTYPED, &b);
    b_env (&b, "metrics", 1);
    b_str (&b, "samples");
    b_arr (&b, 1);
    b_map (&b, 3);
    b_str (&b, "name");
    b_fill (&b, 'm', HL_MAX_METRIC + 1);
    b_kv_int (&b, "value", 1);
    b_kv_int (&b, "ts", 1);
    EXPECT (HL_ERR_STRING, &b);
}

static void
test_free_form_keys (void **state)
{
    (void)state;
    bld_t b = { 0 };
    b_env (&b, "request", 2);
    b_kv_str (&b, "op", "x");
    b_str (&b, "args");
    b_map (&b, 1);
    b_int (&b, 1);
    b_int (&b, 2);
    EXPECT (HL_ERR_MISTYPED, &b);
    //  nested inside data
    b_env (&b, "result", 4);
    b_kv_int (&b, "task_id", 1);
    b_kv_str (&b, "status", "ok");
    b_kv_int (&b, "duration_us", 1);
    b_str (&b, "data");
    b_arr (&b, 1);
    b_map (&b, 1);
    b_byte (&b, 0xc0);
    b_int (&b, 2);
    EXPECT (HL_ERR_MISTYPED, &b);
    //  args must be a map
    b_env (&b, "request", 2);
    b_kv_str (&b, "op", "x");
    b_str (&b, "args");
    b_arr (&b, 0);
    EXPECT (HL_ERR_MISTYPED, &b);
    //  ext values have no place in a tree
    b_env (&b, "request", 2);
    b_kv_str (&b, "op", "x");
    b_str (&b, "args");
    b_map (&b, 1);
    b_str (&b, "e");
    b_raw (&b, "\xd4\x01\x02", 3);
    EXPECT (HL_ERR_MISTYPED, &b);
}

//  Data of result = the bytes in raw, n of them.
static void
b_result_data (bld_t *b, const void *raw, size_t n)
{
    b_env (b, "result", 4);
    b_kv_int (b, "task_id", 1);
    b_kv_str (b, "status", "ok");
    b_kv_int (b, "duration_us", 1);
    b_str (b, "data");
    b_raw (b, raw, n);
}

static void
test_huge_declared (void **state)
{
    (void)state;
    bld_t b = { 0 };
    b_result_data (&b, "\xdd\xff\xff\xff\xff\x01", 6);
    EXPECT (HL_ERR_ITEMS, &b);
    b_result_data (&b, "\xdf\xff\xff\xff\xff\x01\x01", 7);
    EXPECT (HL_ERR_ITEMS, &b);
    //  within max_items, but the bytes behind cannot hold them
    b_result_data (&b, "\xdc\x01\x00\x01\x02\x03", 6);
    EXPECT (HL_ERR_MALFORMED, &b);
    b_result_data (&b, "\xde\x00\x03\xa1\x61\x01\xa1", 7);
    EXPECT (HL_ERR_MALFORMED, &b);
    b_result_data (&b, "\xdb\xff\xff\xff\xff\x61", 6);
    EXPECT (HL_ERR_STRING, &b);
    b_result_data (&b, "\xc6\xff\xff\xff\xff\x61", 6);
    EXPECT (HL_ERR_STRING, &b);
    b_result_data (&b, "\xc9\xff\xff\xff\xff\x01", 6);
    EXPECT (HL_ERR_STRING, &b);
    b_result_data (&b, "\xd9\x64\x61\x62", 4);
    EXPECT (HL_ERR_MALFORMED, &b);
    b_result_data (&b, "\xc1", 1);
    EXPECT (HL_ERR_MALFORMED, &b);
    //  root map count larger than the bytes
    b_raw (&b, "\xde\x00\x10\x01", 4);
    EXPECT (HL_ERR_MALFORMED, &b);
}

static void
test_trailing (void **state)
{
    (void)state;
    bld_t b = { 0 };
    b_task (&b, 1);
    b_byte (&b, 0x00);
    EXPECT (HL_ERR_TRAILING, &b);
    b_task (&b, 1);
    b_task (&b, 1);
    EXPECT (HL_ERR_TRAILING, &b);
}

static void
test_utf8 (void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len;
        int err;
    } cases[] = {
        { "\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e", 9, 0 }, //  é € 𝄞
        { "\xf4\x8f\xbf\xbf", 4, 0 },                     //  U+10FFFF
        { "\xc0\x80", 2, HL_ERR_UTF8 },                   //  overlong NUL
        { "\xc1\xbf", 2, HL_ERR_UTF8 },                   //  overlong
        { "\xe0\x80\x80", 3, HL_ERR_UTF8 },               //  overlong 3
        { "\xf0\x80\x80\x80", 4, HL_ERR_UTF8 },           //  overlong 4
        { "\xed\xa0\x80", 3, HL_ERR_UTF8 },               //  surrogate
        { "\xf4\x90\x80\x80", 4, HL_ERR_UTF8 },           //  > U+10FFFF
        { "\xf8\x88\x80\x80\x80", 5, HL_ERR_UTF8 },       //  5-byte form
        { "a\x80", 2, HL_ERR_UTF8 },                      //  stray cont.
        { "\xe2\x82", 2, HL_ERR_UTF8 },                   //  cut short
        { "\xe2\x28\xa1", 3, HL_ERR_UTF8 },               //  bad cont.
        { "a\0b", 3, HL_ERR_UTF8 },                       //  NUL
        { "\xff", 1, HL_ERR_UTF8 },
    };
    bld_t b = { 0 };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        b_env (&b, "bye", 1);
        b_str (&b, "reason");
        b_strn (&b, cases[i].s, cases[i].len);
        EXPECT (cases[i].err, &b);
        //  In a key too.
        b_env (&b, "bye", 2);
        b_kv_str (&b, "reason", "x");
        b_strn (&b, cases[i].s, cases[i].len);
        b_int (&b, 1);
        EXPECT (cases[i].err, &b);
    }
}

//  The eight-bytes-at-a-time ASCII path must still see one bad byte at
//  any offset, and hand valid multi-byte characters to the slow path.
static void
test_utf8_long (void **state)
{
    (void)state;
    char s[40];
    for (size_t len = 1; len < sizeof s; len++) {
        memset (s, 'a', sizeof s);
        assert_int_equal (hl_codec_utf8_ok (s, len), 1);
        for (size_t at = 0; at < len; at++) {
            s[at] = '\0';
            assert_int_equal (hl_codec_utf8_ok (s, len), 0);
            s[at] = (char)0x80;
            assert_int_equal (hl_codec_utf8_ok (s, len), 0);
            s[at] = (char)0x7f;
            assert_int_equal (hl_codec_utf8_ok (s, len), 1);
            s[at] = 'a';
        }
        if (len >= 2) {
            s[len - 2] = (char)0xc3; //  é at the end
            s[len - 1] = (char)0xa9;
            assert_int_equal (hl_codec_utf8_ok (s, len), 1);
            assert_int_equal (hl_codec_utf8_ok (s, len - 1), 0);
        }
    }
}

//  A result whose data nests levels arrays; the innermost holds 1.
static void
b_nested (bld_t *b, size_t levels)
{
    b_env (b, "result", 4);
    b_kv_int (b, "task_id", 1);
    b_kv_str (b, "status", "ok");
    b_kv_int (b, "duration_us", 1);
    b_str (b, "data");
    for (size_t i = 0; i < levels; i++)
        b_arr (b, 1);
    b_int (b, 1);
}

static void
test_limit_depth (void **state)
{
    (void)state;
    bld_t b = { 0 };
    //  root 1, body 2, so data adds up to HL_MAX_DEPTH - 2 levels.
    b_nested (&b, HL_MAX_DEPTH - 2);
    EXPECT (0, &b);
    b_nested (&b, HL_MAX_DEPTH - 1);
    EXPECT (HL_ERR_DEPTH, &b);
    b_nested (&b, 1000);
    EXPECT (HL_ERR_DEPTH, &b);
    hl_limits_t lim = { 0, 0, 0, 4 };
    b_nested (&b, 2);
    assert_int_equal (s_decode_lim (&b, &lim), 0);
    b_nested (&b, 3);
    assert_int_equal (s_decode_lim (&b, &lim), HL_ERR_DEPTH);
}

static void
b_items (bld_t *b, size_t n, bool map)
{
    b_env (b, "result", 4);
    b_kv_int (b, "task_id", 1);
    b_kv_str (b, "status", "ok");
    b_kv_int (b, "duration_us", 1);
    b_str (b, "data");
    if (map) {
        b_map (b, n);
        for (size_t i = 0; i < n; i++) {
            b_str (b, "k");
            b_byte (b, 0xc0);
        }
    } else {
        b_arr (b, n);
        for (size_t i = 0; i < n; i++)
            b_byte (b, 0xc0);
    }
}

static void
test_limit_items (void **state)
{
    (void)state;
    bld_t b = { 0 };
    for (int map = 0; map < 2; map++) {
        b_items (&b, HL_MAX_ITEMS, map);
        EXPECT (0, &b);
        b_items (&b, HL_MAX_ITEMS + 1, map);
        EXPECT (HL_ERR_ITEMS, &b);
    }
    hl_limits_t lim = { 0, 0, 10, 0 };
    b_items (&b, 10, false);
    assert_int_equal (s_decode_lim (&b, &lim), 0);
    b_items (&b, 11, false);
    assert_int_equal (s_decode_lim (&b, &lim), HL_ERR_ITEMS);
    //  A limit above the ceiling is lowered to it.
    hl_limits_t high = { SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX };
    b_items (&b, HL_MAX_ITEMS + 1, false);
    assert_int_equal (s_decode_lim (&b, &high), HL_ERR_ITEMS);
}

static void
b_note (bld_t *b, size_t len)
{
    b_env (b, "progress", 3);
    b_kv_int (b, "task_id", 1);
    b_kv_int (b, "pct", 1);
    b_str (b, "note");
    b_fill (b, 'n', len);
}

static void
test_limit_str (void **state)
{
    (void)state;
    bld_t b = { 0 };
    b_note (&b, HL_MAX_STR);
    EXPECT (0, &b);
    b_note (&b, HL_MAX_STR + 1);
    EXPECT (HL_ERR_STRING, &b);
    hl_limits_t lim = { 0, 10, 0, 0 };
    b_note (&b, 10);
    assert_int_equal (s_decode_lim (&b, &lim), 0);
    b_note (&b, 11);
    assert_int_equal (s_decode_lim (&b, &lim), HL_ERR_STRING);
    //  bin counts as a string for the limit
    b_env (&b, "request", 2);
    b_kv_str (&b, "op", "x");
    b_str (&b, "args");
    b_map (&b, 1);
    b_str (&b, "b");
    b_byte (&b, 0xc4);
    b_byte (&b, 11);
    b_raw (&b, "0123456789a", 11);
    assert_int_equal (s_decode_lim (&b, &lim), HL_ERR_STRING);
    //  Long texts: bye reason 1024 / 1025.
    for (size_t len = 1024; len <= 1025; len++) {
        b_env (&b, "bye", 1);
        b_str (&b, "reason");
        b_fill (&b, 'r', len);
        EXPECT (len == 1024 ? 0 : HL_ERR_STRING, &b);
    }
}

static void
test_limit_names (void **state)
{
    (void)state;
    bld_t b = { 0 };
    for (size_t len = HL_MAX_NAME; len <= HL_MAX_NAME + 1; len++) {
        b_env (&b, "request", 1);
        b_str (&b, "op");
        b_fill (&b, 'o', len);
        EXPECT (len == HL_MAX_NAME ? 0 : HL_ERR_STRING, &b);
        b_env (&b, "cycle", 2);
        b_kv_int (&b, "cycle_id", 1);
        b_str (&b, "event");
        b_fill (&b, 'e', len);
        EXPECT (len == HL_MAX_NAME ? 0 : HL_ERR_STRING, &b);
    }
    for (size_t len = HL_MAX_METRIC; len <= HL_MAX_METRIC + 1; len++) {
        b_env (&b, "metric", 3);
        b_str (&b, "name");
        b_fill (&b, 'm', len);
        b_kv_int (&b, "value", 1);
        b_kv_int (&b, "ts", 1);
        EXPECT (len == HL_MAX_METRIC ? 0 : HL_ERR_STRING, &b);
        b_env (&b, "hello", 6);
        b_kv_str (&b, "role", "r");
        b_kv_int (&b, "capacity", 1);
        b_kv_str (&b, "host", "h");
        b_kv_int (&b, "pid", 1);
        b_kv_str (&b, "version", "1");
        b_str (&b, "actions");
        b_arr (&b, 1);
        b_fill (&b, 'a', len);
        EXPECT (len == HL_MAX_METRIC ? 0 : HL_ERR_STRING, &b);
    }
}

//  A result message of exactly size bytes: its data is an array of
//  strings, the last of them stretched to fit. The last bytes of the
//  encoding are that string's body, after a 3-byte str16 header.
static uint8_t *
s_sized (size_t size, size_t *last_len)
{
    hl_msg_t *m = hl_msg_new (HL_MSG_RESULT);
    hl_msg_set_task_id (m, 1);
    hl_msg_set_status (m, "ok");
    hl_msg_set_duration_us (m, 1);
    size_t chunk = 60000;
    size_t n = size / chunk + 1;
    char *s = malloc (chunk + 1);
    memset (s, 'd', chunk);
    s[chunk] = '\0';
    hl_value_t *arr = hl_value_new_array ();
    for (size_t i = 0; i + 1 < n; i++) {
        hl_value_t *v = hl_value_new_str (s);
        hl_value_append (arr, &v);
    }
    hl_value_t *v = hl_value_new_str (s + chunk - 1000);
    hl_value_append (arr, &v);
    hl_msg_set_data (m, &arr);
    uint8_t *data;
    size_t got;
    assert_int_equal (hl_msg_encode (m, &data, &got), 0);
    free (data);
    size_t last = 1000 + size - got;
    assert_true (last >= 256 && last <= 0xffff);
    //  Rebuild with the exact last length.
    arr = hl_value_new_array ();
    for (size_t i = 0; i + 1 < n; i++) {
        v = hl_value_new_str (s);
        hl_value_append (arr, &v);
    }
    v = hl_value_new_str (s + chunk - last);
    hl_value_append (arr, &v);
    hl_msg_set_data (m, &arr);
    int rc = hl_msg_encode (m, &data, &got);
    assert_int_equal (rc, 0);
    assert_int_equal (got, size);
    free (s);
    hl_msg_destroy (&m);
    *last_len = last;
    return data;
}

//  The same message with the last string one byte longer.
static uint8_t *
s_plus_one (const uint8_t *data, size_t size, size_t last)
{
    uint8_t *more = malloc (size + 1);
    memcpy (more, data, size);
    more[size] = 'd';
    uint8_t *hdr = more + size - last - 3;
    assert_int_equal (hdr[0], 0xda);
    hdr[1] = (uint8_t)((last + 1) >> 8);
    hdr[2] = (uint8_t)(last + 1);
    return more;
}

static void
test_limit_size (void **state)
{
    (void)state;
    size_t sizes[] = { HL_MSG_MAX_SIZE, 100000 };
    for (size_t i = 0; i < 2; i++) {
        size_t size = sizes[i];
        hl_limits_t lim = { size, 0, 0, 0 };
        size_t last;
        uint8_t *data = s_sized (size, &last);
        hl_msg_t *m = NULL;
        assert_int_equal (hl_msg_decode (data, size, &lim, &m), 0);
        hl_msg_destroy (&m);
        uint8_t *more = s_plus_one (data, size, last);
        //  The same bytes are fine under a larger limit...
        hl_limits_t big = { size + 1, 0, 0, 0 };
        if (size < HL_MSG_MAX_SIZE) {
            assert_int_equal (hl_msg_decode (more, size + 1, &big, &m), 0);
            hl_msg_destroy (&m);
        }
        //  ...and too big one byte past this one.
        assert_int_equal (hl_msg_decode (more, size + 1, &lim, &m),
                          HL_ERR_TOO_BIG);
        assert_null (m);
        assert_int_equal (hl_codec_scan (more, size + 1, &lim), HL_ERR_TOO_BIG);
        free (more);
        free (data);
    }
    //  The encoder refuses to build a message past the ceiling.
    size_t last;
    uint8_t *data = s_sized (HL_MSG_MAX_SIZE, &last);
    free (data);
    hl_msg_t *m = hl_msg_new (HL_MSG_RESULT);
    hl_msg_set_task_id (m, 1);
    hl_msg_set_status (m, "ok");
    hl_msg_set_duration_us (m, 1);
    hl_value_t *arr = hl_value_new_array ();
    char *s = malloc (60001);
    memset (s, 'd', 60000);
    s[60000] = '\0';
    for (int i = 0; i < 18; i++) {
        hl_value_t *v = hl_value_new_str (s);
        hl_value_append (arr, &v);
    }
    free (s);
    hl_msg_set_data (m, &arr);
    size_t size;
    assert_int_equal (hl_msg_encode (m, &data, &size), HL_ERR_TOO_BIG);
    assert_null (data);
    hl_msg_destroy (&m);
}

static void
test_scan (void **state)
{
    (void)state;
    bld_t b = { 0 };
    b_task (&b, 1);
    assert_int_equal (hl_codec_scan (b.data, b.len, NULL), 0);
    assert_int_equal (hl_codec_scan (b.data, 0, NULL), HL_ERR_MALFORMED);
    assert_int_equal (hl_codec_scan (NULL, 5, NULL), HL_ERR_MALFORMED);
    free (b.data);
    //  scan checks shape only: an empty map is fine for it
    assert_int_equal (hl_codec_scan ((const uint8_t *)"\x80", 1, NULL), 0);
    assert_int_equal (hl_codec_scan ((const uint8_t *)"\x90", 1, NULL),
                      HL_ERR_ROOT);
    assert_int_equal (hl_codec_scan ((const uint8_t *)"\x81\x01", 2, NULL),
                      HL_ERR_MALFORMED);
    assert_int_equal (
        hl_codec_scan ((const uint8_t *)"\x81\x01\x02\x03", 4, NULL),
        HL_ERR_TRAILING);
    //  every scalar form, with its payload, inside a map
    static const uint8_t scalars[]
        = { 0xde, 0,    16,   0xc0, 0xc2, 0xc3, 0x7f, 0xe0, 0xcc, 1,    0xcd,
            1,    2,    0xce, 1,    2,    3,    4,    0xd0, 1,    0xd1, 1,
            2,    0xd2, 1,    2,    3,    4,    0xca, 1,    2,    3,    4,
            0xcb, 1,    2,    3,    4,    5,    6,    7,    8,    0xcf, 1,
            2,    3,    4,    5,    6,    7,    8,    0xd3, 1,    2,    3,
            4,    5,    6,    7,    8,    0xd4, 1,    1,    0xd5, 1,    1,
            2,    0xd6, 1,    1,    2,    3,    4,    0xd7, 1,    1,    2,
            3,    4,    5,    6,    7,    8,    0xd8, 1,    1,    2,    3,
            4,    5,    6,    7,    8,    9,    10,   11,   12,   13,   14,
            15,   16,   0xc7, 1,    1,    9,    0xc8, 0,    1,    1,    9,
            0xc4, 1,    9,    0xc5, 0,    1,    9,    0xa0, 0xd9, 1,    'a',
            0xda, 0,    1,    'a',  0x90, 0x80, 0xdc, 0,    0,    0xde, 0,
            0,    0xdd, 0,    0,    0,    0 };
    assert_int_equal (hl_codec_scan (scalars, sizeof scalars, NULL), 0);
}

static void
test_peek (void **state)
{
    (void)state;
    char type[16];
    hl_msg_t *m = s_full (HL_MSG_HEARTBEAT);
    uint8_t *data;
    size_t size;
    assert_int_equal (hl_msg_encode (m, &data, &size), 0);
    assert_int_equal (hl_codec_peek (data, size, type, sizeof type), 0);
    assert_string_equal (type, "heartbeat");
    //  a short buffer truncates the name
    assert_int_equal (hl_codec_peek (data, size, type, 5), 0);
    assert_string_equal (type, "hear");
    //  peek needs only the head
    assert_int_equal (hl_codec_peek (data, 16, type, sizeof type), 0);
    //  every shorter head is malformed
    for (size_t n = 0; n < 16; n++)
        assert_int_equal (hl_codec_peek (data, n, type, sizeof type),
                          HL_ERR_MALFORMED);
    free (data);
    hl_msg_destroy (&m);

    static const struct {
        const char *bytes;
        size_t len;
        int err;
    } cases[] = {
        { "\x82\xa1v\x01\xa1t\xa4task", 11, 0 },
        { "\xde\x00\x02\xa1v\xcc\x01\xa1t\xd9\x01x", 13, 0 },
        { "\x82\xa1v\xd0\x01\xa1t\xa1x", 9, 0 },
        { "\x82\xa1v\x02\xa1t\xa4task", 11, HL_ERR_VERSION },
        { "\x82\xa1v\xff\xa1t\xa4task", 11, HL_ERR_VERSION },
        { "\x82\xa1v\xcd\x00\x02\xa1t\xa1x", 11, HL_ERR_VERSION },
        { "\x82\xa1t\xa4task\xa1v\x01", 11, HL_ERR_ROOT },
        { "\x82\xa1v\xa1\x31\xa1t\xa1x", 9, HL_ERR_ROOT },
        { "\x82\xa1v\x01\xa1t\x01", 7, HL_ERR_ROOT },
        { "\x82\xa1v\x01\xa2tt\xa1x", 9, HL_ERR_ROOT },
        { "\x81\xa1v\x01", 4, HL_ERR_ROOT },
        { "\x92\x01\x02", 3, HL_ERR_ROOT },
        { "\x01", 1, HL_ERR_ROOT },
        { "\x82\x01\x01\xa1t\xa1x", 7, HL_ERR_ROOT },
        { "\x82\xa1v\x01\xa1t\xa4tas", 10, HL_ERR_MALFORMED },
        { "\xdf\x00\x00", 3, HL_ERR_MALFORMED },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal (hl_codec_peek ((const uint8_t *)cases[i].bytes,
                                         cases[i].len, type, sizeof type),
                          cases[i].err);
    assert_int_equal (
        hl_codec_peek ((const uint8_t *)cases[0].bytes, cases[0].len, NULL, 0),
        0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_roundtrip_every_type),
        cmocka_unit_test (test_roundtrip_fields),
        cmocka_unit_test (test_truncated),
        cmocka_unit_test (test_root),
        cmocka_unit_test (test_version_and_type),
        cmocka_unit_test (test_envelope_fields),
        cmocka_unit_test (test_body_fields),
        cmocka_unit_test (test_metrics_batch),
        cmocka_unit_test (test_free_form_keys),
        cmocka_unit_test (test_huge_declared),
        cmocka_unit_test (test_trailing),
        cmocka_unit_test (test_utf8),
        cmocka_unit_test (test_utf8_long),
        cmocka_unit_test (test_limit_depth),
        cmocka_unit_test (test_limit_items),
        cmocka_unit_test (test_limit_str),
        cmocka_unit_test (test_limit_names),
        cmocka_unit_test (test_limit_size),
        cmocka_unit_test (test_scan),
        cmocka_unit_test (test_peek),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
