/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_report - ISO 8601 times, the report value of a hand-made run
    (actions with their verdicts and outcomes, an emergency's section, a
    plan), the one-line summary, the Markdown page's sections, and the
    two files written whole into a folder (and refused without one).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <math.h>

#include "../../master/hl_report.h"

#define SEC 1000000LL

static char s_dir[] = "/tmp/hl_report_test.XXXXXX";
static hl_config_t *s_config;

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/report.cfg", s_dir);
    FILE *file = fopen (path, "w");
    if (!file)
        return -1;
    fputs (
        "metrics = ( { name = \"lat\"; category = \"backend\";\n"
        "  better = \"lower\"; target = 100.0; critical = 500.0; } );\n"
        "actions = (\n"
        "  { name = \"cache\"; swarm = \"backend\"; improves = [\"lat\"]; },\n"
        "  { name = \"gc\"; swarm = \"frontend\"; improves = [\"lat\"]; } );\n",
        file);
    fclose (file);
    s_config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!s_config)
        fprintf (stderr, "%s\n", err);
    return s_config ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    hl_config_destroy (&s_config);
    return rmdir (s_dir);
}

static void
test_time (void **state)
{
    (void)state;
    char text[40];
    hl_report_time (0, text, sizeof text);
    assert_string_equal (text, "1970-01-01T00:00:00.000Z");
    hl_report_time (1733448074123456LL, text, sizeof text);
    assert_string_equal (text, "2024-12-06T01:21:14.123Z");
    hl_report_time (-1000, text, sizeof text); /* a millisecond before */
    assert_string_equal (text, "1969-12-31T23:59:59.999Z");
}

/*  A finished cycle: cache improved and kept, gc regressed and rolled
    back. */
static hl_run_t *
s_cycle (void)
{
    hl_run_t *run = hl_run_new (7, "optimization", 1733448074000000LL);
    run->finished_us = run->started_us + 90 * SEC;
    run->score_before = 62.5;
    run->score_after = 71.0;
    hl_candidate_t cand = { .action = hl_config_action (s_config, 0),
                            .urgency = 2,
                            .impact = 1,
                            .cost = 1,
                            .p = 0.5,
                            .expected = 0.25,
                            .gain = 0.3,
                            .reason = "picked" };
    hl_act_t *act = hl_run_add_act (run, &cand);
    act->applied = true;
    act->verdict = HL_VERDICT_IMPROVED;
    act->outcome = HL_OUTCOME_KEPT;
    act->verify = hl_value_new_map ();
    hl_value_t *metrics = hl_value_new_array ();
    hl_value_t *m = hl_value_new_map ();
    hl_value_set_str (m, "name", "lat");
    hl_value_set_double (m, "median_before", 300);
    hl_value_set_double (m, "median_after", 200);
    hl_value_set_double (m, "shift", -100);
    hl_value_set_double (m, "p_value", 0.001);
    hl_value_set_double (m, "effect", -0.9);
    hl_value_set_str (m, "verdict", "improved");
    hl_value_append (metrics, &m);
    hl_value_set (act->verify, "metrics", &metrics);
    cand.action = hl_config_action (s_config, 1);
    act = hl_run_add_act (run, &cand);
    act->applied = true;
    act->verdict = HL_VERDICT_REGRESSED;
    act->outcome = HL_OUTCOME_ROLLED_BACK;
    hl_run_degrade (run, "athena-ux: slow");
    return run;
}

static void
test_value (void **state)
{
    (void)state;
    hl_run_t *run = s_cycle ();
    hl_value_t *r = hl_report_new (run, "master@t", NULL);
    assert_int_equal (hl_value_get_int (r, "id", 0), 7);
    assert_string_equal (hl_value_get_str (r, "kind", ""), "optimization");
    assert_string_equal (hl_value_get_str (r, "master", ""), "master@t");
    assert_string_equal (hl_value_get_str (r, "started", ""),
                         "2024-12-06T01:21:14.000Z");
    assert_string_equal (hl_value_get_str (r, "finished", ""),
                         "2024-12-06T01:22:44.000Z");
    assert_true (hl_value_get_double (r, "health_before", 0) == 62.5);
    assert_null (hl_value_get (r, "emergency"));
    assert_null (hl_value_get (r, "plan"));
    const hl_value_t *acts = hl_value_get (r, "actions");
    assert_int_equal (hl_value_size (acts), 2);
    const hl_value_t *a = hl_value_at (acts, 0);
    assert_string_equal (hl_value_get_str (a, "name", ""), "cache");
    assert_string_equal (hl_value_get_str (a, "swarm", ""), "backend");
    assert_string_equal (hl_value_get_str (a, "verdict", ""), "improved");
    assert_string_equal (hl_value_get_str (a, "outcome", ""), "kept");
    assert_true (hl_value_get_double (a, "p_value", 1) == 0.001);
    const hl_value_t *m = hl_value_at (hl_value_get (a, "metrics"), 0);
    assert_true (hl_value_get_double (m, "before", 0) == 300);
    assert_true (hl_value_get_double (m, "after", 0) == 200);
    assert_int_equal (hl_value_type (hl_value_get (m, "ci_low")), HL_VALUE_NIL);
    a = hl_value_at (acts, 1);
    assert_string_equal (hl_value_get_str (a, "outcome", ""), "rolled_back");
    assert_int_equal (hl_value_type (hl_value_get (a, "p_value")),
                      HL_VALUE_NIL);

    hl_value_t *s = hl_report_summary (run);
    assert_int_equal (hl_value_get_int (s, "actions", 0), 2);
    assert_int_equal (hl_value_get_int (s, "kept", 0), 1);
    assert_int_equal (hl_value_get_int (s, "rolled_back", 0), 1);
    assert_int_equal (hl_value_get_int (s, "failed", -1), 0);
    assert_int_equal (hl_value_get_int (s, "degraded", 0), 1);
    hl_value_destroy (&s);

    char *md = hl_report_markdown (r);
    assert_non_null (strstr (md, "# Helios optimization 7\n"));
    assert_non_null (strstr (md, "- health: 62.5 before, 71.0 after\n"));
    assert_non_null (strstr (md, "2024-12-06T01:21:14.000Z"));
    assert_non_null (strstr (md, "## Degraded\n\n- athena-ux: slow\n"));
    assert_non_null (strstr (md, "| cache | backend | improved | kept | "
                                 "0.0010 | -90.0% |"));
    assert_non_null (
        strstr (md, "| cache | lat | 300.00 | 200.00 | -100.00 | improved |"));
    assert_non_null (strstr (md, "| gc | frontend | regressed | rolled_back"));
    free (md);
    hl_value_destroy (&r);

    //  A run still going: no finish time, scores unknown
    hl_run_t *open = hl_run_new (8, "analysis", 1733448074000000LL);
    s = hl_report_summary (open);
    assert_int_equal (hl_value_type (hl_value_get (s, "finished")),
                      HL_VALUE_NIL);
    assert_int_equal (hl_value_type (hl_value_get (s, "health_before")),
                      HL_VALUE_NIL);
    hl_value_destroy (&s);
    //  An analysis changes nothing: no actions section, "-" for unknowns
    r = hl_report_new (open, "m", NULL);
    md = hl_report_markdown (r);
    assert_null (strstr (md, "## Actions"));
    assert_non_null (strstr (md, "- health: - before, - after\n"));
    free (md);
    hl_value_destroy (&r);
    hl_run_destroy (&open);
    hl_run_destroy (&run);
}

static void
test_emergency_and_plan (void **state)
{
    (void)state;
    hl_run_t *run = hl_run_new (3, "emergency", 1733448074000000LL);
    run->emergency = true;
    run->em.threshold = 50;
    run->em.max_issues = 3;
    run->em.round = 2;
    run->em.detected_us = run->started_us - 2 * SEC;
    run->em.first_task_us = run->em.detected_us + 250;
    hl_value_t *r = hl_report_new (run, "m", NULL);
    const hl_value_t *em = hl_value_get (r, "emergency");
    assert_non_null (em);
    assert_int_equal (hl_value_get_int (em, "round", 0), 2);
    assert_string_equal (hl_value_get_str (em, "detected", ""),
                         "2024-12-06T01:21:12.000Z");
    assert_true (fabs (hl_value_get_double (em, "response_ms", 0) - 0.25)
                 < 1e-12);
    assert_true (hl_value_type (hl_value_get (em, "ended")) == HL_VALUE_NIL);
    char *md = hl_report_markdown (r);
    assert_non_null (strstr (md, "None: no action was a candidate."));
    assert_non_null (strstr (md, "- emergency round 2 (threshold 50.0): "
                                 "first task 0.2 ms after detection; still "
                                 "in progress when this round finished\n"));
    free (md);
    hl_value_destroy (&r);
    //  The emergency ended after this round: its report says when, and
    //  health after is the health then
    run->em.resolved = true;
    run->em.ended_us = run->started_us + 30 * SEC;
    run->score_before = 49;
    run->score_after = 60.4;
    r = hl_report_new (run, "m", NULL);
    em = hl_value_get (r, "emergency");
    assert_string_equal (hl_value_get_str (em, "ended", ""),
                         "2024-12-06T01:21:44.000Z");
    md = hl_report_markdown (r);
    assert_non_null (strstr (md, "- health: 49.0 before, 60.4 after\n"));
    assert_non_null (strstr (md, "resolved 2024-12-06T01:21:44.000Z, health "
                                 "after is the health then\n"));
    free (md);
    hl_value_destroy (&r);
    //  A round with nothing to send says so
    run->em.first_task_us = 0;
    r = hl_report_new (run, "m", NULL);
    md = hl_report_markdown (r);
    assert_non_null (strstr (md, "(threshold 50.0): no remedy to send; "
                                 "resolved "));
    free (md);
    hl_value_destroy (&r);
    hl_run_destroy (&run);

    char score[16];
    hl_report_score (NAN, score, sizeof score);
    assert_string_equal (score, "-");
    hl_report_score (49.96, score, sizeof score);
    assert_string_equal (score, "50.0");

    run = hl_run_new (4, "strategic_planning", 1733448074000000LL);
    run->plan = hl_value_new_map ();
    hl_value_set_int (run->plan, "horizon_s", 3600);
    r = hl_report_new (run, "m", NULL);
    assert_non_null (hl_value_get (r, "plan"));
    md = hl_report_markdown (r);
    assert_non_null (strstr (md, "## Forecast to 3600 s from now"));
    assert_non_null (strstr (md, "## Roadmap"));
    assert_null (strstr (md, "## Actions"));
    free (md);
    hl_value_destroy (&r);
    hl_run_destroy (&run);
}

static void
test_save (void **state)
{
    (void)state;
    hl_run_t *run = s_cycle ();
    hl_value_t *r = hl_report_new (run, "m", NULL);
    assert_int_equal (hl_report_save (s_dir, r), 0);
    char path[300];
    snprintf (path, sizeof path, "%s/optimization-7.json", s_dir);
    json_error_t error;
    json_t *json = json_load_file (path, 0, &error);
    assert_non_null (json);
    assert_string_equal (json_string_value (json_object_get (json, "started")),
                         "2024-12-06T01:21:14.000Z");
    json_decref (json);
    unlink (path);
    snprintf (path, sizeof path, "%s/optimization-7.md", s_dir);
    assert_int_equal (access (path, R_OK), 0);
    unlink (path);
    snprintf (path, sizeof path, "%s/optimization-7.md.tmp", s_dir);
    assert_int_equal (access (path, F_OK), -1); /* no leftovers */
    //  A folder that is not there: refused, nothing crashes
    snprintf (path, sizeof path, "%s/missing", s_dir);
    assert_int_equal (hl_report_save (path, r), -1);
    hl_value_destroy (&r);
    hl_run_destroy (&run);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_time),
        cmocka_unit_test (test_value),
        cmocka_unit_test (test_emergency_and_plan),
        cmocka_unit_test (test_save),
    };
    return cmocka_run_group_tests_name ("hl_report", tests, s_setup,
                                        s_teardown);
}
