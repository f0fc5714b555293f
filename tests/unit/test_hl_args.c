/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_args - every control operation's arguments, table-driven: a
    good request passes; a mistyped, missing, out-of-range, unknown or
    doubled argument is refused with its named error, never defaulted
    or wrapped (the hostile probe's run {kind: 7}, report {id: 2^64-1},
    {id: "last"}, {id: 1.5}, task.cancel {task_id: 2^64-1} and priority
    2^32+3 among them); and every op in the table has its operation.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "../../master/hl_args.h"
#include "../../master/hl_master_priv.h"
#include "../../proto/hl_err.h"

typedef struct {
    const char *op;
    const char *json; /* the args, NULL: none */
    int rc;
} s_case_t;

#define S_LONG_NAME                                                            \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"         \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const s_case_t s_cases[] = {
    //  Ops without arguments take none
    { "status", NULL, 0 },
    { "status", "{}", 0 },
    { "status", "{\"verbose\": true}", HL_ERR_ARGS },
    { "cycles", "{\"x\": 1}", HL_ERR_ARGS },
    { "actions", "{}", 0 },
    { "agents", "{\"all\": 1}", HL_ERR_ARGS },
    { "pause", "{}", 0 },
    { "resume", "{\"now\": true}", HL_ERR_ARGS },
    { "status", "[]", HL_ERR_MISTYPED },
    { "no.such.op", "{}", HL_ERR_UNSUPPORTED },
    //  Lists in pages: a cursor and a count
    { "agents", "{\"from\": 12, \"limit\": 3}", 0 },
    { "cycles", "{\"from\": 1765000000000000}", 0 },
    { "agents", "{\"from\": 0}", HL_ERR_RANGE },
    { "agents", "{\"from\": \"last\"}", HL_ERR_MISTYPED },
    { "cycles", "{\"limit\": 0}", HL_ERR_RANGE },
    { "cycles", "{\"limit\": 16385}", HL_ERR_RANGE },
    { "agents", "{\"limit\": 2.0}", HL_ERR_MISTYPED },
    //  run
    { "run", "{}", 0 },
    { "run", "{\"kind\": \"optimization\", \"wait\": true, \"params\": {}}",
      0 },
    { "run", "{\"kind\": 7}", HL_ERR_MISTYPED },
    { "run", "{\"kind\": null}", HL_ERR_MISTYPED },
    { "run", "{\"kind\": \"\"}", HL_ERR_RANGE },
    { "run", "{\"wait\": 1}", HL_ERR_MISTYPED },
    { "run", "{\"params\": []}", HL_ERR_MISTYPED },
    { "run", "{\"kind\": \"analysis\", \"param\": {}}", HL_ERR_ARGS },
    //  report
    { "report", "{}", 0 },
    { "report", "{\"id\": 3, \"format\": \"md\"}", 0 },
    { "report", "{\"id\": \"last\"}", HL_ERR_MISTYPED },
    { "report", "{\"id\": 1.5}", HL_ERR_MISTYPED },
    { "report", "{\"id\": 2.0}", HL_ERR_MISTYPED },
    { "report", "{\"id\": -1}", HL_ERR_RANGE },
    { "report", "{\"format\": \"xml\"}", HL_ERR_RANGE },
    { "report", "{\"format\": 1}", HL_ERR_MISTYPED },
    //  task.cancel
    { "task.cancel", "{\"task_id\": 5}", 0 },
    { "task.cancel", "{}", HL_ERR_MISSING },
    { "task.cancel", "{\"task_id\": 0}", HL_ERR_RANGE },
    { "task.cancel", "{\"task_id\": \"5\"}", HL_ERR_MISTYPED },
    { "task.cancel", "{\"task_id\": 5.0}", HL_ERR_MISTYPED },
    { "task.cancel", "{\"task_id\": 5, \"force\": true}", HL_ERR_ARGS },
    //  task.run
    { "task.run", "{}", 0 },
    { "task.run",
      "{\"kind\": \"apply\", \"role\": \"hephaestus-backend\", \"action\": "
      "\"a\", \"priority\": 4, \"emergency\": true, \"deadline_ms\": "
      "86400000, \"wait\": false, \"args\": {\"x\": 1}}",
      0 },
    { "task.run", "{\"role\": \"any\"}", 0 },
    { "task.run", "{\"priority\": 4294967299}", HL_ERR_RANGE },
    { "task.run", "{\"priority\": 0}", HL_ERR_RANGE },
    { "task.run", "{\"priority\": 5}", HL_ERR_RANGE },
    { "task.run", "{\"priority\": \"1\"}", HL_ERR_MISTYPED },
    { "task.run", "{\"priority\": 1.0}", HL_ERR_MISTYPED },
    { "task.run", "{\"kind\": \"bogus\"}", HL_ERR_RANGE },
    { "task.run", "{\"kind\": 1}", HL_ERR_MISTYPED },
    { "task.run", "{\"role\": \"nobody\"}", HL_ERR_RANGE },
    { "task.run", "{\"emergency\": \"yes\"}", HL_ERR_MISTYPED },
    { "task.run", "{\"deadline_ms\": 86400001}", HL_ERR_RANGE },
    { "task.run", "{\"deadline_ms\": -1}", HL_ERR_RANGE },
    { "task.run", "{\"wait\": 0}", HL_ERR_MISTYPED },
    { "task.run", "{\"args\": \"x\"}", HL_ERR_MISTYPED },
    { "task.run", "{\"action\": \"\"}", HL_ERR_RANGE },
    { "task.run", "{\"action\": \"" S_LONG_NAME "\"}", HL_ERR_RANGE },
    { "task.run", "{\"prio\": 1}", HL_ERR_ARGS },
    //  metric.push
    { "metric.push", "{\"name\": \"x\", \"value\": 1}", 0 },
    { "metric.push", "{\"name\": \"x\", \"value\": 1.5}", 0 },
    { "metric.push", "{}", HL_ERR_MISSING },
    { "metric.push", "{\"name\": \"x\"}", HL_ERR_MISSING },
    { "metric.push", "{\"value\": 1}", HL_ERR_MISSING },
    { "metric.push", "{\"name\": \"x\", \"value\": \"1\"}", HL_ERR_MISTYPED },
    { "metric.push", "{\"name\": 1, \"value\": 1}", HL_ERR_MISTYPED },
    { "metric.push", "{\"name\": \"x\", \"value\": 1, \"ts\": 1}",
      HL_ERR_ARGS },
    //  action.release
    { "action.release", "{\"name\": \"a\"}", 0 },
    { "action.release", "{}", HL_ERR_MISSING },
    { "action.release", "{\"name\": 3}", HL_ERR_MISTYPED },
    { "action.release", "{\"name\": \"\"}", HL_ERR_RANGE },
    //  audit
    { "audit", "{\"since\": 0, \"limit\": 1000, \"action\": \"a\"}", 0 },
    { "audit", "{\"since\": -1}", HL_ERR_RANGE },
    { "audit", "{\"since\": 1.0}", HL_ERR_MISTYPED },
    { "audit", "{\"limit\": 0}", HL_ERR_RANGE },
    { "audit", "{\"limit\": 1001}", HL_ERR_RANGE },
    { "audit", "{\"action\": 1}", HL_ERR_MISTYPED },
    { "audit", "{\"until\": 1}", HL_ERR_ARGS },
    //  scale (the roles' names and counts are the op's to check)
    { "scale", "{\"roles\": {\"athena-api\": 2}}", 0 },
    { "scale", "{\"roles\": {}, \"label\": \"zone=a\"}", 0 },
    { "scale", "{\"roles\": {}, \"host\": \"web1\"}", 0 },
    { "scale", "{}", HL_ERR_MISSING },
    { "scale", "{\"roles\": [1]}", HL_ERR_MISTYPED },
    { "scale", "{\"roles\": {}, \"host\": \"\"}", HL_ERR_RANGE },
    { "scale", "{\"roles\": {}, \"host\": 1}", HL_ERR_MISTYPED },
    { "scale", "{\"roles\": {}, \"label\": \"" S_LONG_NAME "\"}",
      HL_ERR_RANGE },
    { "scale", "{\"roles\": {}, \"zone\": \"a\"}", HL_ERR_ARGS },
    //  nodes
    { "nodes", "{}", 0 },
    { "nodes", "{\"all\": true}", HL_ERR_ARGS },
};

static hl_value_t *
s_args (const char *text)
{
    if (!text)
        return NULL;
    json_error_t why;
    json_t *json = json_loads (text, 0, &why);
    assert_non_null (json);
    hl_value_t *args = hl_value_from_json (json);
    json_decref (json);
    return args;
}

/*  rc from op's check of args, with an error that names the op (when
    known) and the error. */
static int
s_check (const char *op, const hl_value_t *args)
{
    char error[1024] = "";
    int rc = hl_args_check (op, args, error, sizeof error);
    if (rc) {
        char tag[32];
        snprintf (tag, sizeof tag, "[%s]", hl_errname (rc));
        if (!strstr (error, tag))
            fail_msg ("%s: '%s' lacks %s", op, error, tag);
        if (rc != HL_ERR_UNSUPPORTED)
            assert_int_equal (strncmp (error, op, strlen (op)), 0);
    }
    return rc;
}

static void
test_table (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        hl_value_t *args = s_args (s_cases[i].json);
        int rc = s_check (s_cases[i].op, args);
        if (rc != s_cases[i].rc)
            fail_msg ("%s %s: %s, not %s", s_cases[i].op,
                      s_cases[i].json ? s_cases[i].json : "(none)",
                      hl_errname (rc), hl_errname (s_cases[i].rc));
        hl_value_destroy (&args);
    }
}

/*  What JSON cannot say: integers past INT64_MAX, doubled keys, a
    non-finite number. */
static void
test_beyond_json (void **state)
{
    (void)state;
    const char *keys[][2]
        = { { "report", "id" },         { "task.cancel", "task_id" },
            { "task.run", "priority" }, { "task.run", "deadline_ms" },
            { "audit", "since" },       { "audit", "limit" } };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        hl_value_t *args = hl_value_new_map ();
        hl_value_t *v = hl_value_new_uint (UINT64_MAX);
        hl_value_set (args, keys[i][1], &v);
        char error[256];
        assert_int_equal (hl_args_check (keys[i][0], args, error, sizeof error),
                          HL_ERR_RANGE);
        //  The number as sent, not as a wrapped one
        assert_non_null (strstr (error, "18446744073709551615"));
        hl_value_destroy (&args);
    }
    hl_value_t *args = hl_value_new_map ();
    hl_value_t *v = hl_value_new_int (1);
    hl_value_map_append (args, "task_id", 7, &v);
    v = hl_value_new_int (2);
    hl_value_map_append (args, "task_id", 7, &v);
    assert_int_equal (s_check ("task.cancel", args), HL_ERR_ARGS);
    hl_value_destroy (&args);

    args = hl_value_new_map ();
    hl_value_set_str (args, "name", "x");
    hl_value_set_double (args, "value", INFINITY);
    assert_int_equal (s_check ("metric.push", args), HL_ERR_RANGE);
    hl_value_set_double (args, "value", NAN);
    assert_int_equal (s_check ("metric.push", args), HL_ERR_RANGE);
    hl_value_destroy (&args);
}

/*  Limits at the limit and one past it. */
static void
test_limits (void **state)
{
    (void)state;
    char name[HL_MAX_NAME + 2];
    memset (name, 'a', sizeof name);
    name[HL_MAX_NAME] = 0;
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "name", name);
    assert_int_equal (s_check ("action.release", args), 0);
    name[HL_MAX_NAME] = 'a';
    name[HL_MAX_NAME + 1] = 0;
    hl_value_set_str (args, "name", name);
    assert_int_equal (s_check ("action.release", args), HL_ERR_RANGE);
    hl_value_destroy (&args);

    args = hl_value_new_map ();
    hl_value_set_int (args, "since", INT64_MAX);
    assert_int_equal (s_check ("audit", args), 0);
    hl_value_destroy (&args);
}

/*  Each op in the table is served, and each has a table. */
static void
test_every_op (void **state)
{
    (void)state;
    size_t n = 0;
    for (const char *op; (op = hl_args_op_at (n)); n++) {
        assert_non_null (hl_master_op (op));
        size_t count;
        assert_non_null (hl_args_specs (op, &count));
    }
    assert_int_equal (n, 15);
    //  What changes something runs once per request id
    const char *changes[]
        = { "run",   "task.run", "task.cancel",    "metric.push",
            "pause", "resume",   "action.release", "scale" };
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++)
        assert_true (hl_args_changes (changes[i]));
    assert_false (hl_args_changes ("status"));
    assert_false (hl_args_changes ("report"));
    assert_false (hl_args_changes ("nodes"));
    assert_false (hl_args_changes ("nope"));
    size_t count;
    assert_null (hl_args_specs ("nope", &count));
    assert_null (hl_args_op_at (n));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_table),
        cmocka_unit_test (test_beyond_json),
        cmocka_unit_test (test_limits),
        cmocka_unit_test (test_every_op),
    };
    return cmocka_run_group_tests_name ("hl_args", tests, NULL, NULL);
}
