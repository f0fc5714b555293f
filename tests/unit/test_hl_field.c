/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_field - the field table's invariants (keys, kinds and field
    classes agree; every field is carried by some type), lookups, and each
    check at its limit and one past it: string length, emptiness,
    charsets, UTF-8, the kind and status names of hl_names, integer ranges,
    percentages, value shapes and METRICS samples.
*/
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../proto/hl_field.h"
#include "../../proto/hl_names.h"

//  The class of field ids a kind is stored in
static bool
s_kind_fits (const hl_field_spec_t *spec)
{
    switch (spec->kind) {
        case HL_FIELD_KIND_STR:
            return spec->field < HL_FIELD_STR_END && spec->maxlen > 0;
        case HL_FIELD_KIND_U32:
        case HL_FIELD_KIND_U64:
        case HL_FIELD_KIND_I64:
        case HL_FIELD_KIND_DBL:
        case HL_FIELD_KIND_BOOL:
            return spec->field >= HL_FIELD_STR_END
                   && spec->field < HL_FIELD_NUM_END;
        case HL_FIELD_KIND_SAMPLES:
            return spec->field == HL_FIELD_SAMPLES;
        default:
            return spec->field >= HL_FIELD_NUM_END
                   && spec->field < HL_FIELD_VAL_END;
    }
}

static void
test_table (void **state)
{
    (void)state;
    uint64_t used = 0;
    for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
        size_t count = 0;
        const hl_field_spec_t *specs
            = hl_field_specs ((hl_msg_type_t)t, &count);
        assert_non_null (specs);
        assert_true (count > 0);
        uint64_t seen = 0;
        for (size_t i = 0; i < count; i++) {
            const hl_field_spec_t *spec = &specs[i];
            assert_int_equal (spec->keylen, strlen (spec->key));
            assert_true (spec->field < HL_FIELD_END);
            if (!s_kind_fits (spec))
                fail_msg ("%s.%s: kind %d in field %d",
                          hl_msg_type_name ((hl_msg_type_t)t), spec->key,
                          spec->kind, spec->field);
            //  One field and one key once per type
            assert_false (seen & HL_FIELD_BIT (spec->field));
            seen |= HL_FIELD_BIT (spec->field);
            for (size_t j = 0; j < i; j++)
                assert_string_not_equal (specs[j].key, spec->key);
            assert_ptr_equal (
                hl_field_spec ((hl_msg_type_t)t, (hl_field_t)spec->field),
                spec);
        }
        used |= seen;
    }
    //  Every field some type carries, and no type carries what it lacks
    for (int f = 0; f < HL_FIELD_END; f++)
        assert_true (used & HL_FIELD_BIT (f));
    assert_null (hl_field_spec (HL_MSG_BYE, HL_FIELD_TASK_ID));
    assert_non_null (hl_field_spec (HL_MSG_CANCEL, HL_FIELD_TASK_ID));

    size_t count = 99;
    assert_null (hl_field_specs ((hl_msg_type_t)0, &count));
    assert_int_equal (count, 0);
    assert_null (hl_field_specs (HL_MSG_TYPE_END, NULL));
    assert_null (hl_field_spec (HL_MSG_TYPE_END, HL_FIELD_ROLE));
}

static void
test_check_str (void **state)
{
    (void)state;
    //  A host: any UTF-8 up to HL_MAX_NAME bytes
    const hl_field_spec_t *host = hl_field_spec (HL_MSG_HELLO, HL_FIELD_HOST);
    char text[HL_MAX_STR + 2];
    memset (text, 'h', sizeof text);
    text[HL_MAX_NAME] = '\0';
    assert_int_equal (hl_field_check_str (host, text, true), 0);
    text[HL_MAX_NAME] = 'h';
    text[HL_MAX_NAME + 1] = '\0';
    assert_int_equal (hl_field_check_str (host, text, true), HL_ERR_STRING);
    assert_int_equal (hl_field_check_str (host, "", true), 0);
    assert_int_equal (hl_field_check_str (host, "é€", true), 0);
    //  UTF-8 is checked only when deep (decoded strings passed the scan)
    assert_int_equal (hl_field_check_str (host, "\xc0\x80", true), HL_ERR_UTF8);
    assert_int_equal (hl_field_check_str (host, "\xc0\x80", false), 0);
    //  A progress note: up to HL_MAX_STR
    const hl_field_spec_t *note
        = hl_field_spec (HL_MSG_PROGRESS, HL_FIELD_NOTE);
    memset (text, 'h', sizeof text);
    text[HL_MAX_STR] = '\0';
    assert_int_equal (hl_field_check_str (note, text, true), 0);
    text[HL_MAX_STR] = 'h';
    text[HL_MAX_STR + 1] = '\0';
    assert_int_equal (hl_field_check_str (note, text, true), HL_ERR_STRING);

    //  A metric name: non-empty, [A-Za-z0-9_.:-], up to HL_MAX_METRIC
    const hl_field_spec_t *metric
        = hl_field_spec (HL_MSG_METRIC, HL_FIELD_NAME);
    assert_int_equal (hl_field_check_str (metric, "api.Time:p99-x_1", true), 0);
    assert_int_equal (hl_field_check_str (metric, "", true), HL_ERR_RANGE);
    assert_int_equal (hl_field_check_str (metric, "a b", true), HL_ERR_RANGE);
    assert_int_equal (hl_field_check_str (metric, "a/b", false), HL_ERR_RANGE);
    memset (text, 'm', sizeof text);
    text[HL_MAX_METRIC] = '\0';
    assert_int_equal (hl_field_check_str (metric, text, true), 0);
    text[HL_MAX_METRIC] = 'm';
    text[HL_MAX_METRIC + 1] = '\0';
    assert_int_equal (hl_field_check_str (metric, text, true), HL_ERR_STRING);

    //  An event: non-empty, [a-z0-9_-] only
    const hl_field_spec_t *event = hl_field_spec (HL_MSG_CYCLE, HL_FIELD_EVENT);
    assert_int_equal (hl_field_check_str (event, "started-2_x", true), 0);
    assert_int_equal (hl_field_check_str (event, "Started", true),
                      HL_ERR_RANGE);
    assert_int_equal (hl_field_check_str (event, "a.b", true), HL_ERR_RANGE);
    assert_int_equal (hl_field_check_str (event, "", true), HL_ERR_RANGE);
}

//  kind and status accept exactly hl_names' strings
static void
test_check_names (void **state)
{
    (void)state;
    const hl_field_spec_t *kind = hl_field_spec (HL_MSG_TASK, HL_FIELD_KIND);
    for (int i = 0; i < HL_KIND_COUNT; i++)
        assert_int_equal (
            hl_field_check_str (kind, hl_kind_name ((hl_task_kind_t)i), true),
            0);
    assert_int_equal (hl_field_check_str (kind, "explode", true), HL_ERR_RANGE);
    assert_int_equal (hl_field_check_str (kind, "Echo", false), HL_ERR_RANGE);
    assert_int_equal (hl_field_check_str (kind, "", false), HL_ERR_RANGE);

    const hl_field_spec_t *status
        = hl_field_spec (HL_MSG_RESULT, HL_FIELD_STATUS);
    for (int i = 0; i < HL_STATUS_COUNT; i++)
        assert_int_equal (
            hl_field_check_str (status, hl_status_name ((hl_task_status_t)i),
                                true),
            0);
    assert_int_equal (hl_field_check_str (status, "done", true), HL_ERR_RANGE);
    //  Other strings are not held to a list
    const hl_field_spec_t *role = hl_field_spec (HL_MSG_HELLO, HL_FIELD_ROLE);
    assert_int_equal (hl_field_check_str (role, "anything", true), 0);
}

static void
test_check_num (void **state)
{
    (void)state;
    hl_field_num_t num;
    //  priority 1..4
    const hl_field_spec_t *priority
        = hl_field_spec (HL_MSG_TASK, HL_FIELD_PRIORITY);
    num.u = 1;
    assert_int_equal (hl_field_check_num (priority, &num), 0);
    num.u = 4;
    assert_int_equal (hl_field_check_num (priority, &num), 0);
    num.u = 0;
    assert_int_equal (hl_field_check_num (priority, &num), HL_ERR_RANGE);
    num.u = 5;
    assert_int_equal (hl_field_check_num (priority, &num), HL_ERR_RANGE);
    //  task_id 1.. with no upper bound
    const hl_field_spec_t *task_id
        = hl_field_spec (HL_MSG_CANCEL, HL_FIELD_TASK_ID);
    num.u = UINT64_MAX;
    assert_int_equal (hl_field_check_num (task_id, &num), 0);
    num.u = 0;
    assert_int_equal (hl_field_check_num (task_id, &num), HL_ERR_RANGE);
    //  a health score is a percentage; NaN is not one
    const hl_field_spec_t *score
        = hl_field_spec (HL_MSG_HEALTH, HL_FIELD_SCORE);
    double good[] = { 0, 50.5, 100 };
    double bad[] = { -0.001, 100.001, NAN, INFINITY };
    for (size_t i = 0; i < 3; i++) {
        num.d = good[i];
        assert_int_equal (hl_field_check_num (score, &num), 0);
    }
    for (size_t i = 0; i < 4; i++) {
        num.d = bad[i];
        assert_int_equal (hl_field_check_num (score, &num), HL_ERR_RANGE);
    }
    //  a metric's value may be anything
    num.d = -1e300;
    assert_int_equal (hl_field_check_num (
                          hl_field_spec (HL_MSG_METRIC, HL_FIELD_VALUE), &num),
                      0);
}

static void
test_check_value (void **state)
{
    (void)state;
    hl_value_t *map = hl_value_new_map ();
    hl_value_t *array = hl_value_new_array ();
    //  args: a map
    const hl_field_spec_t *args = hl_field_spec (HL_MSG_TASK, HL_FIELD_ARGS);
    assert_int_equal (hl_field_check_value (args, map), 0);
    assert_int_equal (hl_field_check_value (args, array), HL_ERR_MISTYPED);
    //  data of a result: anything
    const hl_field_spec_t *data = hl_field_spec (HL_MSG_RESULT, HL_FIELD_DATA);
    assert_int_equal (hl_field_check_value (data, array), 0);
    //  tags: a map of strings
    const hl_field_spec_t *tags = hl_field_spec (HL_MSG_METRIC, HL_FIELD_TAGS);
    hl_value_set_str (map, "host", "web2");
    assert_int_equal (hl_field_check_value (tags, map), 0);
    hl_value_set_int (map, "port", 80);
    assert_int_equal (hl_field_check_value (tags, map), HL_ERR_MISTYPED);
    assert_int_equal (hl_field_check_value (tags, array), HL_ERR_MISTYPED);
    //  actions: an array of strings of at most HL_MAX_METRIC bytes
    const hl_field_spec_t *actions
        = hl_field_spec (HL_MSG_HELLO, HL_FIELD_ACTIONS);
    char name[HL_MAX_METRIC + 2];
    memset (name, 'a', sizeof name);
    name[HL_MAX_METRIC] = '\0';
    hl_value_t *item = hl_value_new_str (name);
    hl_value_append (array, &item);
    assert_int_equal (hl_field_check_value (actions, array), 0);
    name[HL_MAX_METRIC] = 'a';
    name[HL_MAX_METRIC + 1] = '\0';
    item = hl_value_new_str (name);
    hl_value_append (array, &item);
    assert_int_equal (hl_field_check_value (actions, array), HL_ERR_STRING);
    hl_value_destroy (&array);
    array = hl_value_new_array ();
    item = hl_value_new_int (1);
    hl_value_append (array, &item);
    assert_int_equal (hl_field_check_value (actions, array), HL_ERR_MISTYPED);
    assert_int_equal (hl_field_check_value (actions, map), HL_ERR_MISTYPED);
    hl_value_destroy (&array);
    hl_value_destroy (&map);
}

static void
test_check_samples (void **state)
{
    (void)state;
    hl_sample_t samples[3];
    memset (samples, 0, sizeof samples);
    strcpy (samples[0].name, "cpu");
    strcpy (samples[1].name, "api.response_time:p99");
    strcpy (samples[2].name, "mem");
    assert_int_equal (hl_field_check_samples (samples, 3, true), 0);
    assert_int_equal (hl_field_check_samples (samples, 0, true), 0);
    //  The first bad sample's error
    strcpy (samples[1].name, "bad name");
    assert_int_equal (hl_field_check_samples (samples, 3, false), HL_ERR_RANGE);
    assert_int_equal (hl_field_check_samples (samples, 1, false), 0);
    strcpy (samples[1].name, "");
    assert_int_equal (hl_field_check_samples (samples, 3, false), HL_ERR_RANGE);
    strcpy (samples[1].name, "ok");
    //  Tags must map strings; checked only when deep
    samples[2].tags = hl_value_new_map ();
    hl_value_set_int (samples[2].tags, "n", 1);
    assert_int_equal (hl_field_check_samples (samples, 3, true),
                      HL_ERR_MISTYPED);
    assert_int_equal (hl_field_check_samples (samples, 3, false), 0);
    hl_value_destroy (&samples[2].tags);
    samples[2].tags = hl_value_new_map ();
    hl_value_set_str (samples[2].tags, "host", "web2");
    assert_int_equal (hl_field_check_samples (samples, 3, true), 0);
    hl_value_destroy (&samples[2].tags);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_table),
        cmocka_unit_test (test_check_str),
        cmocka_unit_test (test_check_names),
        cmocka_unit_test (test_check_num),
        cmocka_unit_test (test_check_value),
        cmocka_unit_test (test_check_samples),
    };
    return cmocka_run_group_tests_name ("hl_field", tests, NULL, NULL);
}
