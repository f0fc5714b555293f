/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    mkcorpus - writes the fuzz seed corpus: valid encodings of every
    message type, minimal and with their optional fields.
    Usage: mkcorpus DIR
*/
#include <stdio.h>
#include <stdlib.h>

#include "../../proto/hl_msg.h"

static hl_value_t *
s_tree (int variant)
{
    hl_value_t *map = hl_value_new_map ();
    hl_value_set_str (map, "target", "web2");
    if (variant > 1) {
        hl_value_set_int (map, "n", -42);
        hl_value_set_double (map, "f", 0.5);
        hl_value_set_bool (map, "b", true);
        hl_value_t *v = hl_value_new_bin ("\x01\xfe", 2);
        hl_value_set (map, "bin", &v);
        hl_value_t *arr = hl_value_new_array ();
        v = hl_value_new_nil ();
        hl_value_append (arr, &v);
        v = hl_value_new_uint (UINT64_MAX);
        hl_value_append (arr, &v);
        hl_value_t *inner = hl_value_new_map ();
        hl_value_set_str (inner, "x", "\xc3\xa9");
        hl_value_append (arr, &inner);
        hl_value_set (map, "list", &arr);
    }
    return map;
}

static void
s_fill (hl_msg_t *m, int variant)
{
    hl_value_t *v;
    bool opt = variant > 0;
    if (opt) {
        hl_msg_set_src (m, "agent-7@web2:4123");
        hl_msg_set_re (m, 41);
    }
    switch (hl_msg_type (m)) {
        case HL_MSG_HELLO:
            hl_msg_set_role (m, "backend");
            hl_msg_set_capacity (m, 4);
            hl_msg_set_host (m, "web2");
            hl_msg_set_pid (m, 4123);
            hl_msg_set_version (m, "0.1.0");
            if (opt) {
                v = hl_value_new_array ();
                hl_value_t *s = hl_value_new_str ("restart");
                hl_value_append (v, &s);
                hl_msg_set_actions (m, &v);
            }
            break;
        case HL_MSG_WELCOME:
            hl_msg_set_heartbeat_ms (m, 1000);
            hl_msg_set_liveness (m, 3);
            hl_msg_set_session (m, "s-1");
            break;
        case HL_MSG_HEARTBEAT:
            hl_msg_set_inflight (m, (uint32_t)variant);
            break;
        case HL_MSG_TASK:
            hl_msg_set_task_id (m, 17);
            hl_msg_set_kind (m, variant ? "rollback" : "echo");
            hl_msg_set_priority (m, 2);
            hl_msg_set_attempt (m, 1);
            if (opt) {
                hl_msg_set_emergency (m, true);
                hl_msg_set_deadline_ms (m, 3000);
                v = s_tree (variant);
                hl_msg_set_args (m, &v);
                hl_msg_set_event (m, "dispatched");
                v = hl_value_new_str ("d");
                hl_msg_set_data (m, &v);
            }
            break;
        case HL_MSG_PROGRESS:
            hl_msg_set_task_id (m, 17);
            hl_msg_set_pct (m, 40);
            if (opt)
                hl_msg_set_note (m, "copying");
            break;
        case HL_MSG_RESULT:
            hl_msg_set_task_id (m, 17);
            hl_msg_set_status (m, variant ? "failed" : "ok");
            hl_msg_set_duration_us (m, 1234);
            if (opt) {
                v = s_tree (variant);
                hl_msg_set_data (m, &v);
            }
            break;
        case HL_MSG_CANCEL:
            hl_msg_set_task_id (m, 17);
            break;
        case HL_MSG_BYE:
            hl_msg_set_reason (m, "shutdown");
            break;
        case HL_MSG_ERROR:
            hl_msg_set_code (m, -6);
            hl_msg_set_text (m, "required field missing");
            break;
        case HL_MSG_REQUEST:
            hl_msg_set_op (m, "status");
            if (opt) {
                v = s_tree (variant);
                hl_msg_set_args (m, &v);
            }
            break;
        case HL_MSG_REPLY:
            hl_msg_set_ok (m, !opt);
            if (opt) {
                hl_msg_set_error (m, "busy");
                v = s_tree (variant);
                hl_msg_set_data (m, &v);
            }
            break;
        case HL_MSG_METRIC:
            hl_msg_set_name (m, "api_response_time");
            hl_msg_set_value (m, 12.5);
            hl_msg_set_sample_ts (m, 1700000000000000);
            if (opt) {
                v = hl_value_new_map ();
                hl_value_set_str (v, "host", "web2");
                hl_msg_set_tags (m, &v);
            }
            break;
        case HL_MSG_METRICS:
            hl_msg_add_sample (m, "cpu", 0.5, 1, NULL);
            if (opt) {
                v = hl_value_new_map ();
                hl_value_set_str (v, "core", "0");
                hl_msg_add_sample (m, "mem.used", 1e9, 2, &v);
            }
            break;
        case HL_MSG_KPI:
            hl_msg_set_name (m, "api_response_time");
            hl_msg_set_sample_ts (m, 1700000000000000);
            hl_msg_set_count (m, 100);
            hl_msg_set_mean (m, 10);
            hl_msg_set_p50 (m, 9);
            hl_msg_set_p95 (m, 30);
            hl_msg_set_min (m, 1);
            hl_msg_set_max (m, 50);
            break;
        case HL_MSG_HEALTH:
            hl_msg_set_score (m, 92.5);
            hl_msg_set_state (m, "healthy");
            if (opt) {
                v = s_tree (variant);
                hl_msg_set_data (m, &v);
            }
            break;
        case HL_MSG_CYCLE:
            hl_msg_set_cycle_id (m, 9);
            hl_msg_set_event (m, "started");
            if (opt) {
                v = s_tree (variant);
                hl_msg_set_data (m, &v);
            }
            break;
        case HL_MSG_AGENT:
            hl_msg_set_name (m, "agent-7");
            hl_msg_set_role (m, "backend");
            hl_msg_set_event (m, "joined");
            if (opt) {
                v = s_tree (variant);
                hl_msg_set_data (m, &v);
            }
            break;
        case HL_MSG_ALERT:
            hl_msg_set_severity (m, "warning");
            hl_msg_set_text (m, "p95 above target");
            if (opt) {
                v = s_tree (variant);
                hl_msg_set_data (m, &v);
            }
            break;
        default:
            break;
    }
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: mkcorpus DIR\n");
        return 1;
    }
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        for (int variant = 0; variant < 3; variant++) {
            hl_msg_t *m = hl_msg_new ((hl_msg_type_t)t);
            hl_msg_set_id (m, (uint64_t)(t * 10 + variant));
            hl_msg_set_ts (m, 1700000000000000 + variant);
            s_fill (m, variant);
            uint8_t *data;
            size_t size;
            int rc = hl_msg_encode (m, &data, &size);
            if (rc) {
                fprintf (stderr, "mkcorpus: %s: %s\n",
                         hl_msg_type_name ((hl_msg_type_t)t), hl_strerror (rc));
                return 1;
            }
            char path[512];
            snprintf (path, sizeof path, "%s/%s-%d.msgpack", argv[1],
                      hl_msg_type_name ((hl_msg_type_t)t), variant);
            FILE *f = fopen (path, "wb");
            if (!f || fwrite (data, 1, size, f) != size) {
                fprintf (stderr, "mkcorpus: cannot write %s\n", path);
                return 1;
            }
            fclose (f);
            free (data);
            hl_msg_destroy (&m);
        }
    }
    return 0;
}
