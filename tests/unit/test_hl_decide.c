/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_decide - what a verified change means, with explicit clocks:
    a verify answered before its window ended is refused and teaches
    nothing; a metric's verdict its own effect contradicts, or a metric
    not asked for, does not count; the improvement learned beside a
    verdict agrees with it in sign, whatever each metric's direction,
    for a change and for a recheck.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bus/hl_log.h"
#include "../../master/hl_decide.h"

#define SEC 1000000LL
#define T0 (1700000000LL * SEC)

static char s_dir[] = "/tmp/hl_decide_test.XXXXXX";
static hl_config_t *s_config;

//  cache improves lat (lower is better) and hits (higher is better)
static const char s_cfg[]
    = "metrics = (\n"
      "  { name = \"lat\"; category = \"backend\"; better = \"lower\";\n"
      "    target = 100.0; critical = 500.0; key = true; },\n"
      "  { name = \"hits\"; category = \"backend\"; better = \"higher\";\n"
      "    target = 0.9; critical = 0.1; },\n"
      "  { name = \"err\"; category = \"backend\"; better = \"lower\";\n"
      "    target = 1.0; critical = 5.0; key = true; } );\n"
      "actions = (\n"
      "  { name = \"cache\"; swarm = \"backend\";\n"
      "    improves = [\"lat\", \"hits\"]; guards = [\"err\"]; } );\n";

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/decide.cfg", s_dir);
    FILE *file = fopen (path, "w");
    if (!file)
        return -1;
    fputs (s_cfg, file);
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

//  What the master asks Athena about: targets then the guard
static hl_value_t *
s_asked (void)
{
    hl_value_t *list = hl_value_new_array ();
    const char *names[] = { "lat", "hits", "err" };
    const char *better[] = { "lower", "higher", "lower" };
    for (int i = 0; i < 3; i++) {
        hl_value_t *m = hl_value_new_map ();
        hl_value_set_str (m, "name", names[i]);
        hl_value_set_str (m, "better", better[i]);
        if (i == 2)
            hl_value_set_bool (m, "guard", true);
        hl_value_append (list, &m);
    }
    return list;
}

//  Athena's answer for one metric
static void
s_add (hl_value_t *metrics, const char *name, const char *verdict,
       double effect)
{
    hl_value_t *m = hl_value_new_map ();
    hl_value_set_str (m, "name", name);
    hl_value_set_str (m, "verdict", verdict);
    hl_value_set_double (m, "effect", effect);
    hl_value_append (metrics, &m);
}

static hl_act_t *
s_act (hl_run_t *run, hl_value_t **metrics_p)
{
    hl_candidate_t cand = { 0 };
    cand.action = hl_config_action_find (s_config, "cache");
    hl_act_t *act = hl_run_add_act (run, &cand);
    act->baseline = s_asked ();
    act->start_us = T0;
    act->applied = true;
    if (metrics_p) {
        act->verify = hl_value_new_map ();
        hl_value_set_str (act->verify, "verdict", "improved");
        hl_value_set (act->verify, "metrics", metrics_p);
    }
    return act;
}

static void
test_too_early (void **state)
{
    (void)state;
    hl_run_t *run = hl_run_new (1, "optimization", T0);
    hl_act_t *act = s_act (run, NULL);
    //  No window known (a recovery's change of an older life): in time
    assert_false (hl_decide_too_early (act, T0));
    act->window_end_us = T0 + 70 * SEC; /* settle 10 + window 60 */
    assert_true (hl_decide_too_early (act, T0 + 69 * SEC));
    assert_false (hl_decide_too_early (act, T0 + 70 * SEC));
    assert_false (
        hl_decide_refuse_early (run, act, "athena-api@x:1", T0 + 72 * SEC));
    assert_false (act->too_early);
    assert_int_equal (hl_value_size (run->degraded), 0);

    //  An answer 60 s early is refused: inconclusive, said why, and
    //  nothing learned, not even a trial
    assert_true (
        hl_decide_refuse_early (run, act, "athena-api@x:1", T0 + 10 * SEC));
    assert_true (act->too_early);
    assert_int_equal (act->verdict, HL_VERDICT_INCONCLUSIVE);
    assert_int_equal (hl_value_size (run->degraded), 1);
    const char *why = hl_value_str (hl_value_at (run->degraded, 0), NULL);
    assert_non_null (strstr (why, "verify refused: athena-api@x:1 answered "
                                  "60.0 s before its window ended"));
    hl_learning_t *learning = hl_learning_new (s_config, 1);
    hl_decide_learn (learning, s_config, act, T0 + 10 * SEC);
    assert_int_equal (hl_learning_trials (learning, "cache"), 0);
    assert_int_equal (hl_learning_outcomes (learning), 0);
    hl_learning_destroy (&learning);
    hl_run_destroy (&run);
}

//  Two targets, one improved and one worse but not significantly so:
//  improved, and the improvement learned is the improved target's, not
//  the first metric's (which said -0.99 beside "improved")
static void
test_improvement_agrees (void **state)
{
    (void)state;
    hl_judge_t *judge = hl_judge_new (s_config);
    hl_learning_t *learning = hl_learning_new (s_config, 1);
    hl_run_t *run = hl_run_new (1, "optimization", T0);
    hl_value_t *metrics = hl_value_new_array ();
    s_add (metrics, "lat", "unchanged", 0.99); /* lower is better: worse */
    s_add (metrics, "hits", "improved", 0.2);  /* higher is better */
    s_add (metrics, "err", "unchanged", 0.01);
    hl_act_t *act = s_act (run, &metrics);
    hl_decide_verdict (judge, act, T0 + 80 * SEC);
    assert_int_equal (act->verdict, HL_VERDICT_IMPROVED);
    assert_int_equal (act->implausible, 0);
    assert_float_equal (hl_decide_improvement (act), 0.2, 1e-12);
    hl_decide_learn (learning, s_config, act, T0 + 80 * SEC);
    assert_int_equal (hl_learning_successes (learning, "cache"), 1);
    assert_float_equal (hl_learning_improvement (learning, "cache"), 0.2,
                        1e-12);
    //  Each target's effect is learned better = positive
    double mean;
    uint64_t n;
    assert_int_equal (hl_learning_effect_posterior (learning, "cache", "lat",
                                                    &mean, NULL, &n),
                      0);
    assert_int_equal (n, 1);
    assert_true (mean < 0);
    hl_run_destroy (&run);

    //  Regressed on the guard: negative, the guard's
    run = hl_run_new (2, "optimization", T0);
    metrics = hl_value_new_array ();
    s_add (metrics, "lat", "improved", -0.3);
    s_add (metrics, "hits", "unchanged", 0);
    s_add (metrics, "err", "regressed", 0.5);
    act = s_act (run, &metrics);
    hl_decide_verdict (judge, act, T0 + 80 * SEC);
    assert_int_equal (act->verdict, HL_VERDICT_REGRESSED);
    assert_string_equal (act->culprit, "err");
    assert_float_equal (hl_decide_improvement (act), -0.5, 1e-12);
    hl_run_destroy (&run);

    //  A recheck measured the undo: the undo made lat worse, so the
    //  change had made it better, by as much
    run = hl_run_new (3, "recheck", T0);
    metrics = hl_value_new_array ();
    s_add (metrics, "lat", "regressed", 0.25);
    s_add (metrics, "hits", "unchanged", 0);
    act = s_act (run, &metrics);
    act->reverse = true;
    hl_decide_verdict (judge, act, T0 + 80 * SEC);
    assert_int_equal (act->verdict, HL_VERDICT_IMPROVED);
    assert_float_equal (hl_decide_improvement (act), 0.25, 1e-12);
    hl_run_destroy (&run);
    hl_learning_destroy (&learning);
    hl_judge_destroy (&judge);
}

//  A verdict the metric's own effect contradicts is no measurement, and a
//  metric the master did not ask about does not count
static void
test_implausible (void **state)
{
    (void)state;
    hl_log_init ("test", HL_LOG_ERROR, false);
    hl_judge_t *judge = hl_judge_new (s_config);
    hl_run_t *run = hl_run_new (1, "optimization", T0);
    hl_value_t *metrics = hl_value_new_array ();
    s_add (metrics, "lat", "improved", 0.99);  /* lower is better: worse */
    s_add (metrics, "hits", "regressed", 0.5); /* higher is better: better */
    s_add (metrics, "stranger", "improved", -0.5);
    hl_act_t *act = s_act (run, &metrics);
    hl_decide_verdict (judge, act, T0 + 80 * SEC);
    assert_int_equal (act->verdict, HL_VERDICT_INCONCLUSIVE);
    assert_int_equal (act->implausible, 2);
    hl_run_destroy (&run);

    //  An improvement with no effect to show is no improvement either
    run = hl_run_new (2, "optimization", T0);
    metrics = hl_value_new_array ();
    hl_value_t *m = hl_value_new_map ();
    hl_value_set_str (m, "name", "lat");
    hl_value_set_str (m, "verdict", "improved");
    hl_value_append (metrics, &m);
    act = s_act (run, &metrics);
    hl_decide_verdict (judge, act, T0 + 80 * SEC);
    assert_int_equal (act->verdict, HL_VERDICT_INCONCLUSIVE);
    assert_int_equal (act->implausible, 1);
    assert_true (isnan (hl_decide_improvement (act)));
    hl_run_destroy (&run);
    hl_judge_destroy (&judge);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_too_early),
        cmocka_unit_test (test_improvement_agrees),
        cmocka_unit_test (test_implausible),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
