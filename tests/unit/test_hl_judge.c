/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_judge - the change log and the verdict rules with explicit
    clocks: when a window over an action's metrics is clean again (its
    own rollback and a neighbour's change count, a stranger's does not),
    which changes touch or run beside a window, the verdict of targets
    and guards, and confounding.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../master/hl_judge.h"

#define SEC 1000000LL
#define T0 (1700000000LL * SEC)

static char s_dir[] = "/tmp/hl_judge_test.XXXXXX";
static hl_config_t *s_config;

//  a and b share the metric lat; c shares a's resource; d is a stranger
static const char s_cfg[]
    = "cycle = { settle = 10; };\n"
      "metrics = (\n"
      "  { name = \"lat\"; category = \"backend\"; better = \"lower\";\n"
      "    target = 100.0; critical = 500.0; key = true; },\n"
      "  { name = \"err\"; category = \"backend\"; better = \"lower\";\n"
      "    target = 1.0; critical = 5.0; },\n"
      "  { name = \"ux\"; category = \"frontend\"; better = \"lower\";\n"
      "    target = 1.0; critical = 5.0; } );\n"
      "actions = (\n"
      "  { name = \"a\"; swarm = \"backend\"; improves = [\"lat\"];\n"
      "    resources = [\"db\"]; },\n"
      "  { name = \"b\"; swarm = \"backend\"; improves = [\"lat\", \"err\"]; "
      "},\n"
      "  { name = \"c\"; swarm = \"backend\"; improves = [\"err\"];\n"
      "    resources = [\"db\"]; },\n"
      "  { name = \"d\"; swarm = \"frontend\"; improves = [\"ux\"]; } );\n";

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/judge.cfg", s_dir);
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

static const hl_config_action_t *
s_action (const char *name)
{
    return hl_config_action_find (s_config, name);
}

static void
test_settled (void **state)
{
    (void)state;
    hl_judge_t *judge = hl_judge_new (s_config);
    const hl_config_action_t *a = s_action ("a"), *b = s_action ("b");
    assert_true (hl_judge_settled (judge, T0) == INT64_MIN);

    //  b's apply runs from T0 to T0 + 2 s, and settles 10 s more; while
    //  it runs it is unsettled until at least now + settle
    uint64_t id = hl_judge_change (judge, b, false, T0);
    assert_true (id > 0);
    assert_true (hl_judge_settled (judge, T0 + SEC) == T0 + 11 * SEC);
    hl_judge_changed (judge, id, T0 + 2 * SEC);
    assert_true (hl_judge_settled (judge, T0 + 3 * SEC) == T0 + 12 * SEC);
    //  a's rollback later: the latest settle counts
    id = hl_judge_change (judge, a, true, T0 + 20 * SEC);
    hl_judge_changed (judge, id, T0 + 21 * SEC);
    assert_true (hl_judge_settled (judge, T0 + 22 * SEC) == T0 + 31 * SEC);
    //  an unknown id changes nothing
    hl_judge_changed (judge, 999, T0 + 40 * SEC);
    assert_true (hl_judge_settled (judge, T0 + 22 * SEC) == T0 + 31 * SEC);
    hl_judge_destroy (&judge);
    assert_null (judge);
}

static void
test_touched_and_concurrent (void **state)
{
    (void)state;
    hl_judge_t *judge = hl_judge_new (s_config);
    const hl_config_action_t *a = s_action ("a"), *b = s_action ("b"),
                             *d = s_action ("d");
    uint64_t ia = hl_judge_change (judge, a, false, T0);
    hl_judge_changed (judge, ia, T0 + SEC);
    uint64_t id = hl_judge_change (judge, d, false, T0);
    hl_judge_changed (judge, id, T0 + SEC);
    //  a's window T0 .. T0 + 30 s: d ran beside it, touching nothing of a
    assert_false (hl_judge_touched (judge, a, ia, T0, T0 + 30 * SEC));
    assert_true (hl_judge_concurrent (judge, a, T0, T0 + 30 * SEC));
    //  its own change is not another
    assert_false (hl_judge_concurrent (judge, d, T0 + 12 * SEC, T0 + 30 * SEC));
    //  b changes lat at T0 + 20 s: a's after-window is touched
    uint64_t ib = hl_judge_change (judge, b, false, T0 + 20 * SEC);
    hl_judge_changed (judge, ib, T0 + 21 * SEC);
    assert_true (hl_judge_touched (judge, a, ia, T0, T0 + 30 * SEC));
    //  ... but not a window that closed before it began
    assert_false (hl_judge_touched (judge, a, ia, T0, T0 + 19 * SEC));
    //  nor one that opens after it settled
    assert_false (
        hl_judge_touched (judge, a, ia, T0 + 32 * SEC, T0 + 40 * SEC));
    hl_judge_destroy (&judge);
}

static void
test_verdicts (void **state)
{
    (void)state;
    const char *culprit = "x";
    hl_judge_metric_t m[3] = { { "lat", false, HL_VERDICT_IMPROVED },
                               { "err", false, HL_VERDICT_UNCHANGED },
                               { "ux", true, HL_VERDICT_UNCHANGED } };
    assert_int_equal (hl_judge_metrics (m, 3, &culprit), HL_VERDICT_IMPROVED);
    assert_null (culprit);
    //  a guard's regression undoes a target's improvement, and is named
    m[2].verdict = HL_VERDICT_REGRESSED;
    assert_int_equal (hl_judge_metrics (m, 3, &culprit), HL_VERDICT_REGRESSED);
    assert_string_equal (culprit, "ux");
    //  a guard's improvement is no improvement of the change
    m[0].verdict = HL_VERDICT_UNCHANGED;
    m[2].verdict = HL_VERDICT_IMPROVED;
    assert_int_equal (hl_judge_metrics (m, 3, NULL), HL_VERDICT_UNCHANGED);
    //  an inconclusive target, or no target judged at all
    m[1].verdict = HL_VERDICT_INCONCLUSIVE;
    assert_int_equal (hl_judge_metrics (m, 3, NULL), HL_VERDICT_INCONCLUSIVE);
    assert_int_equal (hl_judge_metrics (&m[2], 1, NULL),
                      HL_VERDICT_INCONCLUSIVE);
    assert_int_equal (hl_judge_metrics (NULL, 0, NULL),
                      HL_VERDICT_INCONCLUSIVE);

    //  Attribution
    assert_int_equal (hl_judge_attribute (HL_VERDICT_REGRESSED, false, false),
                      HL_VERDICT_REGRESSED);
    assert_int_equal (hl_judge_attribute (HL_VERDICT_REGRESSED, false, true),
                      HL_VERDICT_CONFOUNDED);
    assert_int_equal (hl_judge_attribute (HL_VERDICT_IMPROVED, false, true),
                      HL_VERDICT_IMPROVED);
    assert_int_equal (hl_judge_attribute (HL_VERDICT_IMPROVED, true, false),
                      HL_VERDICT_CONFOUNDED);
    assert_int_equal (hl_judge_attribute (HL_VERDICT_NONE, true, true),
                      HL_VERDICT_NONE);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_settled),
        cmocka_unit_test (test_touched_and_concurrent),
        cmocka_unit_test (test_verdicts),
    };
    return cmocka_run_group_tests_name ("hl_judge", tests, s_setup, s_teardown);
}
