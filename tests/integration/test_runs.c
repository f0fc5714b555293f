/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_runs - what helios-ctl run says for each run kind against the real
    master, where the engine once answered wrongly: an emergency whose
    first round has nothing to do (it used to print "run: unsupported
    request" and exit 1, though it ran), an emergency asked for before any
    metric has data (it used to start and never end), and bad kinds and
    params refused with their reason.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>

#include "harness.h"

static const char *s_metrics
    = "metrics = (\n"
      "  { name = \"lat\"; category = \"backend\"; better = \"lower\";\n"
      "    stat = \"mean\"; target = 100.0; critical = 500.0; key = true; } "
      ");\n"
      "actions = (\n"
      "  { name = \"cache\"; swarm = \"backend\"; improves = [\"lat\"]; } );\n";

/*  helios-ctl status --json, parsed (caller decrefs). */
static json_t *
s_status (const ht_master_t *m)
{
    static char out[65536];
    assert_int_equal (ht_ctl (m, out, sizeof out, "status", "--json", NULL), 0);
    json_t *status = json_loads (out, 0, NULL);
    assert_non_null (status);
    return status;
}

static bool
s_emergency_active (const ht_master_t *m)
{
    json_t *status = s_status (m);
    json_t *em
        = json_object_get (json_object_get (status, "cycle"), "emergency");
    assert_non_null (em);
    bool active = json_is_true (json_object_get (em, "active"));
    json_decref (status);
    return active;
}

static void
test_emergency_with_nothing_to_do (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char out[65536];
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "metric", "push", "lat", "80", NULL), 0);
    //  Health 100, nothing critical: the round picks nothing and ends at
    //  once; the request still gets its run
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "emergency",
                              "--param", "threshold=90", NULL),
                      0);
    assert_non_null (strstr (out, "started emergency 1"));
    //  ... and so does one that waits for its report
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "report", "1", "--format", "json", NULL),
        0);
    json_t *report = json_loads (out, 0, NULL);
    assert_non_null (report);
    assert_string_equal (json_string_value (json_object_get (report, "kind")),
                         "emergency");
    assert_int_equal (json_array_size (json_object_get (report, "actions")), 0);
    json_decref (report);
    assert_true (s_emergency_active (&m));
    //  A second one while it lasts is refused, with the reason
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "emergency", NULL),
                      1);
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_emergency_without_data (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char out[4096];
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "emergency", NULL),
                      1);
    assert_false (s_emergency_active (&m));
    //  Once there is a score, it can be asked for
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "metric", "push", "lat", "80", NULL), 0);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "emergency",
                              "--param", "threshold=90", "--wait", NULL),
                      0);
    assert_true (s_emergency_active (&m));
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_refusals (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char out[4096];
    //  helios-ctl knows the kinds: a usage error
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "nap", NULL), 2);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "analysis", "--param",
                              "focus_areas=kitchen", NULL),
                      1);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "strategic_planning",
                              "--param", "horizon=soon", NULL),
                      1);
    //  None of them used up a run id
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "run", "strategic_planning", NULL), 0);
    assert_non_null (strstr (out, "started strategic_planning 1"));
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_emergency_with_nothing_to_do,
                                   ht_teardown),
        cmocka_unit_test_teardown (test_emergency_without_data, ht_teardown),
        cmocka_unit_test_teardown (test_refusals, ht_teardown),
    };
    return cmocka_run_group_tests_name ("runs", tests, NULL, NULL);
}
