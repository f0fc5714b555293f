/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_msg - every message type built through its setters and read
    back, samples, dup, topics, and the strings a message holds inline.
    Encoding, decoding and JSON have their own tests (test_hl_msg_*.c).
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

static void
test_new_destroy (void **state)
{
    (void)state;
    assert_null (hl_msg_new ((hl_msg_type_t)0));
    assert_null (hl_msg_new (HL_MSG_TYPE_END));
    hl_msg_t *a = hl_msg_new (HL_MSG_BYE);
    hl_msg_t *b = hl_msg_new (HL_MSG_BYE);
    assert_true (hl_msg_id (a) >= 1);
    assert_true (hl_msg_id (b) > hl_msg_id (a));
    int64_t now = hl_msg_now_us ();
    assert_true (hl_msg_ts (a) <= now && hl_msg_ts (a) > now - 10000000);
    assert_string_equal (hl_msg_src (a), "");
    assert_int_equal (hl_msg_re (a), 0);
    hl_msg_destroy (&a);
    assert_null (a);
    hl_msg_destroy (&a);
    hl_msg_destroy (&b);
    hl_msg_destroy (NULL);
}

static void
test_type_names (void **state)
{
    (void)state;
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        const char *name = hl_msg_type_name ((hl_msg_type_t)t);
        assert_non_null (name);
        assert_int_equal (hl_msg_type_from_name (name), t);
    }
    assert_null (hl_msg_type_name (HL_MSG_TYPE_END));
    assert_string_equal (hl_msg_type_name (HL_MSG_KPI), "kpi");
    assert_int_equal (hl_msg_type_from_name ("nope"), HL_ERR_TYPE);
    assert_int_equal (hl_msg_type_from_name (NULL), HL_ERR_TYPE);
}

static void
test_accessors (void **state)
{
    (void)state;
    hl_msg_t *m = s_full (HL_MSG_TASK);
    hl_msg_set_id (m, 42);
    hl_msg_set_ts (m, -5);
    assert_int_equal (hl_msg_id (m), 42);
    assert_int_equal (hl_msg_ts (m), -5);
    assert_int_equal (hl_msg_re (m), 99);
    assert_string_equal (hl_msg_src (m), "hephaestus-backend@web2:4242");
    assert_int_equal (hl_msg_task_id (m), 12345678901ULL);
    assert_string_equal (hl_msg_kind (m), "apply");
    assert_int_equal (hl_msg_priority (m), 1);
    assert_int_equal (hl_msg_attempt (m), 2);
    assert_true (hl_msg_emergency (m));
    assert_int_equal (hl_msg_deadline_ms (m), 5000);
    assert_string_equal (hl_msg_event (m), "queued");
    assert_non_null (hl_msg_args (m));
    assert_string_equal (hl_value_str (hl_msg_data (m), NULL), "any");
    //  fields a task does not carry keep their zero value
    hl_msg_set_role (m, "r");
    hl_msg_set_score (m, 5);
    hl_value_t *v = hl_value_new_map ();
    hl_msg_set_tags (m, &v);
    assert_null (v);
    assert_string_equal (hl_msg_role (m), "");
    assert_true (hl_msg_score (m) == 0);
    assert_null (hl_msg_tags (m));
    assert_int_equal (hl_msg_add_sample (m, "x", 1, 1, NULL), HL_ERR_ARGS);
    //  clearing a value and a string
    hl_msg_set_args (m, NULL);
    assert_null (hl_msg_args (m));
    hl_msg_set_event (m, NULL);
    assert_string_equal (hl_msg_event (m), "");
    //  routing id
    size_t len = 9;
    hl_msg_routing_id (m, &len);
    assert_int_equal (len, 0);
    uint8_t rid[HL_MAX_ROUTING_ID + 1] = { 0, 1, 2 };
    assert_int_equal (hl_msg_set_routing_id (m, rid, HL_MAX_ROUTING_ID), 0);
    assert_int_equal (hl_msg_set_routing_id (m, rid, HL_MAX_ROUTING_ID + 1),
                      -1);
    assert_int_equal (hl_msg_set_routing_id (m, rid, 3), 0);
    const uint8_t *got = hl_msg_routing_id (m, &len);
    assert_int_equal (len, 3);
    assert_memory_equal (got, rid, 3);
    hl_msg_destroy (&m);

    //  every getter over every full message
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        m = s_full ((hl_msg_type_t)t);
        switch (t) {
            case HL_MSG_HELLO:
                assert_string_equal (hl_msg_role (m), "backend");
                assert_int_equal (hl_msg_capacity (m), 8);
                assert_string_equal (hl_msg_host (m), "web2");
                assert_int_equal (hl_msg_pid (m), 4242);
                assert_string_equal (hl_msg_version (m), "1.0.0");
                assert_int_equal (hl_value_size (hl_msg_actions (m)), 3);
                break;
            case HL_MSG_WELCOME:
                assert_int_equal (hl_msg_heartbeat_ms (m), 1000);
                assert_int_equal (hl_msg_liveness (m), 3);
                assert_string_equal (hl_msg_session (m), "s-1");
                break;
            case HL_MSG_HEARTBEAT:
                assert_int_equal (hl_msg_inflight (m), 2);
                break;
            case HL_MSG_PROGRESS:
                assert_int_equal (hl_msg_pct (m), 50);
                assert_string_equal (hl_msg_note (m), "half way");
                break;
            case HL_MSG_RESULT:
                assert_string_equal (hl_msg_status (m), "failed");
                assert_true (hl_msg_duration_us (m) == (uint64_t)INT64_MAX);
                break;
            case HL_MSG_BYE:
                assert_string_equal (hl_msg_reason (m), "shutdown");
                break;
            case HL_MSG_ERROR:
                assert_true (hl_msg_code (m) == INT64_MIN);
                assert_string_equal (hl_msg_text (m), "bad");
                break;
            case HL_MSG_REQUEST:
                assert_string_equal (hl_msg_op (m), "status");
                break;
            case HL_MSG_REPLY:
                assert_false (hl_msg_ok (m));
                assert_string_equal (hl_msg_error (m), "nope");
                break;
            case HL_MSG_METRIC:
                assert_string_equal (hl_msg_name (m),
                                     "api.response_time:p99-A");
                assert_true (hl_msg_value (m) == -0.5);
                assert_int_equal (hl_msg_sample_ts (m), -1);
                assert_int_equal (hl_value_size (hl_msg_tags (m)), 2);
                break;
            case HL_MSG_METRICS:
                assert_int_equal (hl_msg_samples_size (m), 2);
                assert_string_equal (hl_msg_sample (m, 0)->name, "cpu");
                assert_non_null (hl_msg_sample (m, 0)->tags);
                assert_true (hl_msg_sample (m, 1)->value == 1e300);
                assert_int_equal (hl_msg_sample (m, 1)->ts, 11);
                assert_null (hl_msg_sample (m, 2));
                break;
            case HL_MSG_KPI:
                assert_int_equal (hl_msg_count (m), 10);
                assert_true (hl_msg_mean (m) == 1.5);
                assert_true (hl_msg_p50 (m) == 1);
                assert_true (hl_msg_p95 (m) == 2);
                assert_true (hl_msg_min (m) == 0);
                assert_true (hl_msg_max (m) == 3);
                break;
            case HL_MSG_HEALTH:
                assert_true (hl_msg_score (m) == 87.5);
                assert_string_equal (hl_msg_state (m), "degraded");
                break;
            case HL_MSG_CYCLE:
                assert_int_equal (hl_msg_cycle_id (m), 3);
                break;
            case HL_MSG_ALERT:
                assert_string_equal (hl_msg_severity (m), "critical");
                break;
            default:
                break;
        }
        hl_msg_destroy (&m);
    }
}

static void
test_samples (void **state)
{
    (void)state;
    hl_msg_t *m = hl_msg_new (HL_MSG_METRICS);
    char name[HL_MAX_METRIC + 2];
    memset (name, 'n', sizeof name);
    name[HL_MAX_METRIC + 1] = '\0';
    hl_value_t *tags = hl_value_new_map ();
    assert_int_equal (hl_msg_add_sample (m, name, 1, 1, &tags), HL_ERR_ARGS);
    assert_null (tags);
    name[HL_MAX_METRIC] = '\0';
    assert_int_equal (hl_msg_add_sample (m, name, 1, 1, NULL), 0);
    for (size_t i = 1; i < HL_MAX_ITEMS; i++)
        assert_int_equal (hl_msg_add_sample (m, "x", 1, 1, NULL), 0);
    assert_int_equal (hl_msg_add_sample (m, "x", 1, 1, NULL), HL_ERR_ARGS);
    assert_int_equal (hl_msg_samples_size (m), HL_MAX_ITEMS);
    //  a full batch still encodes and decodes
    uint8_t *data;
    size_t size;
    assert_int_equal (hl_msg_encode (m, &data, &size), 0);
    hl_msg_t *back = NULL;
    assert_int_equal (hl_msg_decode (data, size, NULL, &back), 0);
    assert_true (hl_msg_eq (m, back));
    free (data);
    hl_msg_destroy (&back);
    hl_msg_destroy (&m);
}

static void
test_dup (void **state)
{
    (void)state;
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        hl_msg_t *m = s_full ((hl_msg_type_t)t);
        hl_msg_set_routing_id (m, "rid", 3);
        hl_msg_t *copy = hl_msg_dup (m);
        assert_true (hl_msg_eq (m, copy));
        size_t len;
        assert_memory_equal (hl_msg_routing_id (copy, &len), "rid", 3);
        assert_int_equal (len, 3);
        //  deep: the copy survives its original
        hl_msg_destroy (&m);
        char *json = hl_msg_to_json_str (copy);
        assert_non_null (json);
        free (json);
        hl_msg_t *other = s_full ((hl_msg_type_t)t);
        hl_msg_set_id (other, hl_msg_id (copy) + 1);
        assert_false (hl_msg_eq (copy, other));
        hl_msg_destroy (&other);
        hl_msg_destroy (&copy);
    }
    assert_null (hl_msg_dup (NULL));
}

static void
test_topics (void **state)
{
    (void)state;
    static const char *topics[HL_MSG_TYPE_END] = {
        [HL_MSG_HELLO] = "hello",
        [HL_MSG_WELCOME] = "welcome",
        [HL_MSG_HEARTBEAT] = "heartbeat",
        [HL_MSG_TASK] = "task.queued",
        [HL_MSG_PROGRESS] = "progress",
        [HL_MSG_RESULT] = "result",
        [HL_MSG_CANCEL] = "cancel",
        [HL_MSG_BYE] = "bye",
        [HL_MSG_ERROR] = "error",
        [HL_MSG_REQUEST] = "request",
        [HL_MSG_REPLY] = "reply",
        [HL_MSG_METRIC] = "metric.api.response_time:p99-A",
        [HL_MSG_METRICS] = "metrics",
        [HL_MSG_KPI] = "kpi.cpu",
        [HL_MSG_HEALTH] = "health",
        [HL_MSG_CYCLE] = "cycle.started",
        [HL_MSG_AGENT] = "agent.joined",
        [HL_MSG_ALERT] = "alert.critical",
    };
    char buf[HL_MAX_TOPIC + 1];
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        hl_msg_t *m = s_full ((hl_msg_type_t)t);
        int len = hl_msg_topic (m, buf, sizeof buf);
        assert_int_equal (len, strlen (topics[t]));
        assert_string_equal (buf, topics[t]);
        assert_int_equal (hl_msg_check_topic (m, topics[t], len), 0);
        assert_int_equal (hl_msg_check_topic (m, topics[t], len - 1),
                          HL_ERR_TOPIC);
        assert_int_equal (hl_msg_check_topic (m, "hello.x", 7), HL_ERR_TOPIC);
        //  one byte changed anywhere, or one more at the end
        char bad[HL_MAX_TOPIC + 2];
        for (int at = 0; at <= len; at++) {
            memcpy (bad, topics[t], (size_t)len + 1);
            bad[at] = at < len ? (char)(bad[at] ^ 0x20) : 'x';
            assert_int_equal (
                hl_msg_check_topic (m, bad, (size_t)len + (at == len)),
                HL_ERR_TOPIC);
        }
        //  too small a buffer
        assert_int_equal (hl_msg_topic (m, buf, (size_t)len), HL_ERR_TOPIC);
        hl_msg_destroy (&m);
    }
    //  task without event is plain "task"; metric without name fails
    hl_msg_t *m = hl_msg_new (HL_MSG_TASK);
    assert_int_equal (hl_msg_topic (m, buf, sizeof buf), 4);
    assert_string_equal (buf, "task");
    hl_msg_destroy (&m);
    m = hl_msg_new (HL_MSG_METRIC);
    assert_int_equal (hl_msg_topic (m, buf, sizeof buf), HL_ERR_TOPIC);
    assert_int_equal (hl_msg_check_topic (m, "metric", 6), HL_ERR_TOPIC);
    hl_msg_destroy (&m);
}

//  Strings replaced again and again outgrow the message's inline room and
//  move to the heap; a copy owns its strings once the original is gone
static void
test_string_room (void **state)
{
    (void)state;
    hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
    char text[80];
    for (int i = 0; i < 50; i++) {
        snprintf (text, sizeof text, "source-%d-%.*s", i, i,
                  "xxxxxxxxxxxxxxx"
                  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        hl_msg_set_src (msg, text);
        hl_msg_set_name (msg, text + 7);
        assert_string_equal (hl_msg_src (msg), text);
        assert_string_equal (hl_msg_name (msg), text + 7);
    }
    hl_msg_set_src (msg, "s");
    hl_msg_set_name (msg, "n");
    hl_msg_t *copy = hl_msg_dup (msg);
    hl_msg_destroy (&msg);
    assert_string_equal (hl_msg_src (copy), "s");
    assert_string_equal (hl_msg_name (copy), "n");
    hl_msg_set_src (copy, NULL);
    assert_string_equal (hl_msg_src (copy), "");
    hl_msg_destroy (&copy);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_destroy), cmocka_unit_test (test_type_names),
        cmocka_unit_test (test_accessors),   cmocka_unit_test (test_samples),
        cmocka_unit_test (test_dup),         cmocka_unit_test (test_topics),
        cmocka_unit_test (test_string_room),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
