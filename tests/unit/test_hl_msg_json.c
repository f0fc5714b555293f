/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_msg_json - every message type rendered as JSON with its
    envelope, topic and exactly its body keys; bin as hex, NaN as null,
    a task without an event as no bus message.
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

//  Every type: the envelope, the topic of bus types, exactly its body keys
static void
test_json_every_type (void **state)
{
    (void)state;
    static const char *keys[HL_MSG_TYPE_END] = {
        [HL_MSG_HELLO] = "role capacity host pid version actions",
        [HL_MSG_WELCOME] = "heartbeat_ms liveness session",
        [HL_MSG_HEARTBEAT] = "inflight",
        [HL_MSG_TASK] = "task_id kind priority attempt emergency "
                        "deadline_ms args event data",
        [HL_MSG_PROGRESS] = "task_id pct note",
        [HL_MSG_RESULT] = "task_id status duration_us data",
        [HL_MSG_CANCEL] = "task_id",
        [HL_MSG_BYE] = "reason",
        [HL_MSG_ERROR] = "code text",
        [HL_MSG_REQUEST] = "op args",
        [HL_MSG_REPLY] = "ok data error",
        [HL_MSG_METRIC] = "name value ts tags",
        [HL_MSG_METRICS] = "samples",
        [HL_MSG_KPI] = "name ts count mean p50 p95 min max",
        [HL_MSG_HEALTH] = "score state data",
        [HL_MSG_CYCLE] = "cycle_id event data",
        [HL_MSG_AGENT] = "name role event data",
        [HL_MSG_ALERT] = "severity text data",
    };
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        hl_msg_t *m = s_full ((hl_msg_type_t)t);
        json_t *json = hl_msg_to_json (m);
        assert_non_null (json);
        assert_string_equal (json_string_value (json_object_get (json, "type")),
                             hl_msg_type_name ((hl_msg_type_t)t));
        assert_int_equal (json_integer_value (json_object_get (json, "id")),
                          hl_msg_id (m));
        assert_int_equal (json_integer_value (json_object_get (json, "re")),
                          99);
        assert_int_equal (json_integer_value (json_object_get (json, "ts")),
                          hl_msg_ts (m));
        assert_string_equal (json_string_value (json_object_get (json, "src")),
                             "hephaestus-backend@web2:4242");
        bool bus = t >= HL_MSG_METRIC || t == HL_MSG_TASK;
        json_t *topic = json_object_get (json, "topic");
        if (bus) {
            char buf[HL_MAX_TOPIC + 1];
            hl_msg_topic (m, buf, sizeof buf);
            assert_string_equal (json_string_value (topic), buf);
        } else
            assert_null (topic);
        json_t *body = json_object_get (json, "body");
        char list[256];
        strcpy (list, keys[t]);
        size_t n = 0;
        for (char *k = strtok (list, " "); k; k = strtok (NULL, " "), n++)
            assert_non_null (json_object_get (body, k));
        assert_int_equal (json_object_size (body), n);
        json_decref (json);
        char *text = hl_msg_to_json_str (m);
        assert_null (strchr (text, '\n'));
        free (text);
        hl_msg_destroy (&m);
    }
}

//  Specific renderings: bin as hex, NaN as null, task without event
static void
test_json_renderings (void **state)
{
    (void)state;
    hl_msg_t *m = hl_msg_new (HL_MSG_METRIC);
    hl_msg_set_id (m, 1);
    hl_msg_set_ts (m, 2);
    hl_msg_set_name (m, "cpu");
    hl_msg_set_value (m, NAN);
    hl_msg_set_sample_ts (m, 3);
    char *text = hl_msg_to_json_str (m);
    assert_string_equal (text, "{\"topic\":\"metric.cpu\",\"type\":\"metric\","
                               "\"id\":1,\"re\":0,\"src\":\"\",\"ts\":2,"
                               "\"body\":{\"name\":\"cpu\",\"value\":null,"
                               "\"ts\":3}}");
    free (text);
    hl_msg_destroy (&m);
    m = hl_msg_new (HL_MSG_RESULT);
    hl_value_t *v = hl_value_new_bin ("\x0f\xa0", 2);
    hl_msg_set_data (m, &v);
    json_t *json = hl_msg_to_json (m);
    json_t *body = json_object_get (json, "body");
    assert_string_equal (json_string_value (json_object_get (body, "data")),
                         "0fa0");
    assert_null (json_object_get (json, "topic"));
    json_decref (json);
    hl_msg_destroy (&m);
    m = hl_msg_new (HL_MSG_TASK);
    json = hl_msg_to_json (m);
    assert_null (json_object_get (json, "topic"));
    json_decref (json);
    hl_msg_destroy (&m);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_json_every_type),
        cmocka_unit_test (test_json_renderings),
    };
    return cmocka_run_group_tests_name ("hl_msg_json", tests, NULL, NULL);
}
