/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    msg_fixtures - a message of every type with every field set, shared by
    the proto unit tests (header-only: each test is one binary).
*/
#ifndef HL_TEST_MSG_FIXTURES_H
#define HL_TEST_MSG_FIXTURES_H

#include "../../proto/hl_msg.h"

static hl_value_t *
s_tags (void)
{
    hl_value_t *tags = hl_value_new_map ();
    hl_value_set_str (tags, "host", "web2");
    hl_value_set_str (tags, "zone", "é€𝄞");
    return tags;
}

static hl_value_t *
s_tree (void)
{
    hl_value_t *map = hl_value_new_map ();
    hl_value_set_int (map, "neg", -5);
    hl_value_set_double (map, "pi", 3.25);
    hl_value_set_bool (map, "yes", true);
    hl_value_t *v = hl_value_new_uint (UINT64_MAX);
    hl_value_set (map, "big", &v);
    v = hl_value_new_bin ("\x00\xff", 2);
    hl_value_set (map, "bin", &v);
    v = hl_value_new_nil ();
    hl_value_set (map, "nil", &v);
    hl_value_t *arr = hl_value_new_array ();
    v = hl_value_new_str ("x");
    hl_value_append (arr, &v);
    hl_value_set (map, "arr", &arr);
    return map;
}

static hl_msg_t *
s_full (hl_msg_type_t type)
{
    hl_msg_t *m = hl_msg_new (type);
    hl_value_t *v;
    hl_msg_set_src (m, "hephaestus-backend@web2:4242");
    hl_msg_set_re (m, 99);
    switch (type) {
        case HL_MSG_HELLO:
            hl_msg_set_role (m, "backend");
            hl_msg_set_capacity (m, 8);
            hl_msg_set_host (m, "web2");
            hl_msg_set_pid (m, 4242);
            hl_msg_set_version (m, "1.0.0");
            v = hl_value_new_array ();
            for (int i = 0; i < 3; i++) {
                hl_value_t *s = hl_value_new_str ("restart");
                hl_value_append (v, &s);
            }
            hl_msg_set_actions (m, &v);
            break;
        case HL_MSG_WELCOME:
            hl_msg_set_heartbeat_ms (m, 1000);
            hl_msg_set_liveness (m, 3);
            hl_msg_set_session (m, "s-1");
            break;
        case HL_MSG_HEARTBEAT:
            hl_msg_set_inflight (m, 2);
            break;
        case HL_MSG_TASK:
            hl_msg_set_task_id (m, 12345678901ULL);
            hl_msg_set_kind (m, "apply");
            hl_msg_set_priority (m, 1);
            hl_msg_set_attempt (m, 2);
            hl_msg_set_emergency (m, true);
            hl_msg_set_deadline_ms (m, 5000);
            v = s_tree ();
            hl_msg_set_args (m, &v);
            hl_msg_set_event (m, "queued");
            v = hl_value_new_str ("any");
            hl_msg_set_data (m, &v);
            break;
        case HL_MSG_PROGRESS:
            hl_msg_set_task_id (m, 5);
            hl_msg_set_pct (m, 50);
            hl_msg_set_note (m, "half way");
            break;
        case HL_MSG_RESULT:
            hl_msg_set_task_id (m, 5);
            hl_msg_set_status (m, "failed");
            hl_msg_set_duration_us (m, (uint64_t)INT64_MAX);
            v = s_tree ();
            hl_msg_set_data (m, &v);
            break;
        case HL_MSG_CANCEL:
            hl_msg_set_task_id (m, 5);
            break;
        case HL_MSG_BYE:
            hl_msg_set_reason (m, "shutdown");
            break;
        case HL_MSG_ERROR:
            hl_msg_set_code (m, INT64_MIN);
            hl_msg_set_text (m, "bad");
            break;
        case HL_MSG_REQUEST:
            hl_msg_set_op (m, "status");
            v = s_tree ();
            hl_msg_set_args (m, &v);
            break;
        case HL_MSG_REPLY:
            hl_msg_set_ok (m, false);
            hl_msg_set_error (m, "nope");
            v = hl_value_new_array ();
            hl_msg_set_data (m, &v);
            break;
        case HL_MSG_METRIC:
            hl_msg_set_name (m, "api.response_time:p99-A");
            hl_msg_set_value (m, -0.5);
            hl_msg_set_sample_ts (m, -1);
            v = s_tags ();
            hl_msg_set_tags (m, &v);
            break;
        case HL_MSG_METRICS:
            v = s_tags ();
            assert_int_equal (hl_msg_add_sample (m, "cpu", 0.25, 10, &v), 0);
            assert_int_equal (hl_msg_add_sample (m, "mem", 1e300, 11, NULL), 0);
            break;
        case HL_MSG_KPI:
            hl_msg_set_name (m, "cpu");
            hl_msg_set_sample_ts (m, 1700000000000000);
            hl_msg_set_count (m, 10);
            hl_msg_set_mean (m, 1.5);
            hl_msg_set_p50 (m, 1);
            hl_msg_set_p95 (m, 2);
            hl_msg_set_min (m, 0);
            hl_msg_set_max (m, 3);
            break;
        case HL_MSG_HEALTH:
            hl_msg_set_score (m, 87.5);
            hl_msg_set_state (m, "degraded");
            v = s_tree ();
            hl_msg_set_data (m, &v);
            break;
        case HL_MSG_CYCLE:
            hl_msg_set_cycle_id (m, 3);
            hl_msg_set_event (m, "started");
            v = s_tree ();
            hl_msg_set_data (m, &v);
            break;
        case HL_MSG_AGENT:
            hl_msg_set_name (m, "agent-7");
            hl_msg_set_role (m, "backend");
            hl_msg_set_event (m, "joined");
            v = hl_value_new_map ();
            hl_msg_set_data (m, &v);
            break;
        case HL_MSG_ALERT:
            hl_msg_set_severity (m, "critical");
            hl_msg_set_text (m, "latency high");
            v = s_tree ();
            hl_msg_set_data (m, &v);
            break;
        default:
            break;
    }
    return m;
}

#endif
