/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_planner - ranking on hand-made configs loaded from a mkdtemp()
    folder, with health made from one "last" sample per metric: gain
    order and figures, urgency from severity, cooldown, conflicts by
    resource and by metric (in flight and within one pick), max, swarm
    balance, emergency mode, the explain list and learning's effect.
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

#include "../../master/hl_learning.h"
#include "../../master/hl_planner.h"

#define SEC 1000000LL
#define NOW (1700000100LL * SEC + 500000) //  mid-second

//  Values of a metric with target 100 and critical 500 (lower is better):
//  its score, severity and gap (value - 100) / 100
#define CRIT 450.0 //  12.5, critical, 3.5
#define HIGH 350.0 //  37.5, high, 2.5
#define MED 250.0  //  62.5, medium, 1.5
#define LOW 150.0  //  87.5, low, 0.5
#define OK 100.0   //  100, no bottleneck

//  Every metric has target 100 and critical 500, lower is better, on
//  its last sample: {name, category, weight}
typedef struct {
    const char *name, *category, *weight;
} s_metric_t;

//  One swarm, no conflicts: pure gain order
static const s_metric_t s_solo_metrics[]
    = { { "m1", "frontend", "1.0" }, { "m2", "frontend", "2.0" },
        { "m3", "frontend", "1.0" }, { "m4", "frontend", "1.0" },
        { "m5", "backend", "1.0" },  { NULL, NULL, NULL } };
static const char s_solo_actions[]
    = "actions = (\n"
      "  { name = \"x1\"; swarm = \"frontend\"; improves = [\"m1\"];\n"
      "    cost = 1.0; expected = 0.2; },\n"
      "  { name = \"x2\"; swarm = \"frontend\"; improves = [\"m2\"];\n"
      "    cost = 1.0; expected = 0.2; },\n"
      "  { name = \"x3\"; swarm = \"frontend\";\n"
      "    improves = [\"m3\", \"m4\"]; cost = 2.0; expected = 0.4; },\n"
      "  { name = \"x4\"; swarm = \"frontend\"; improves = [\"m5\"];\n"
      "    cost = 0.0; expected = 0.1; }\n"
      ");\n";

//  Two swarms. fa and fb share a resource, fb and fc a metric; the
//  backend actions are independent; bg's metric stays at target
static const s_metric_t s_duo_metrics[]
    = { { "f1", "frontend", "1.0" }, { "f2", "frontend", "1.0" },
        { "f3", "frontend", "1.0" }, { "b1", "backend", "1.0" },
        { "b2", "backend", "1.0" },  { "b3", "backend", "1.0" },
        { "g", "business", "1.0" },  { NULL, NULL, NULL } };
static const char s_duo_actions[]
    = "actions = (\n"
      "  { name = \"fa\"; swarm = \"frontend\"; improves = [\"f1\"];\n"
      "    resources = [\"ui.list\"]; expected = 0.2; },\n"
      "  { name = \"fb\"; swarm = \"frontend\"; improves = [\"f2\"];\n"
      "    resources = [\"ui.list\"]; expected = 0.2; },\n"
      "  { name = \"fc\"; swarm = \"frontend\";\n"
      "    improves = [\"f2\", \"f3\"];\n"
      "    resources = [\"ui.feed\"]; expected = 0.2; },\n"
      "  { name = \"ba\"; swarm = \"backend\"; improves = [\"b1\"];\n"
      "    resources = [\"db\"]; expected = 0.2; },\n"
      "  { name = \"bb\"; swarm = \"backend\"; improves = [\"b2\"];\n"
      "    resources = [\"cache\"]; expected = 0.2; },\n"
      "  { name = \"bc\"; swarm = \"backend\"; improves = [\"b3\"];\n"
      "    resources = [\"queue\"]; expected = 0.2; },\n"
      "  { name = \"bg\"; swarm = \"backend\"; improves = [\"g\"];\n"
      "    expected = 0.2; }\n"
      ");\n";

static char s_dir[] = "/tmp/hl_planner_test.XXXXXX";
static hl_config_t *s_solo;
static hl_config_t *s_duo;

static hl_config_t *
s_load (const s_metric_t *metrics, const char *actions)
{
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/planner.cfg", s_dir);
    FILE *file = fopen (path, "w");
    if (!file)
        return NULL;
    fputs ("cycle = { cooldown = 60; };\nmetrics = (\n", file);
    for (const s_metric_t *m = metrics; m->name; m++)
        fprintf (file,
                 "  { name = \"%s\"; category = \"%s\"; weight = %s;\n"
                 "    better = \"lower\"; stat = \"last\";\n"
                 "    target = 100.0; critical = 500.0; }%s\n",
                 m->name, m->category, m->weight, m[1].name ? "," : "");
    fputs (");\n", file);
    fputs (actions, file);
    fclose (file);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fprintf (stderr, "%s\n", err);
    return config;
}

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    s_solo = s_load (s_solo_metrics, s_solo_actions);
    s_duo = s_load (s_duo_metrics, s_duo_actions);
    return s_solo && s_duo ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    hl_config_destroy (&s_solo);
    hl_config_destroy (&s_duo);
    return rmdir (s_dir);
}

static void
s_near (double got, double want)
{
    if (!(fabs (got - want) <= 1e-9 * (fabs (want) + 1)))
        fail_msg ("got %.12g, want %.12g", got, want);
}

//  Health at NOW from one sample per metric, in config order; NAN
//  leaves a metric without data
static hl_health_t *
s_health (const hl_config_t *config, const double *values)
{
    hl_kpi_t *kpi = hl_kpi_new (config);
    for (size_t i = 0; i < hl_config_metrics_size (config); i++)
        if (!isnan (values[i]))
            assert_int_equal (hl_kpi_add (kpi,
                                          hl_config_metric (config, i)->name,
                                          values[i], NOW, NOW),
                              0);
    hl_health_t *health = hl_health_compute (config, kpi, NOW);
    hl_kpi_destroy (&kpi);
    return health;
}

//  The picks' names joined by spaces
static const char *
s_names (const hl_candidate_t *out, size_t n)
{
    static char buf[256];
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat (buf, " ");
        strcat (buf, out[i].action->name);
    }
    return buf;
}

//  The explain entry of action
static const hl_value_t *
s_explained (const hl_value_t *explain, const char *action)
{
    for (size_t i = 0; i < hl_value_size (explain); i++) {
        const hl_value_t *item = hl_value_at (explain, i);
        if (!strcmp (hl_value_get_str (item, "action", ""), action))
            return item;
    }
    fail_msg ("%s not explained", action);
    return NULL;
}

static const char *
s_reason (const hl_value_t *explain, const char *action)
{
    return hl_value_get_str (s_explained (explain, action), "reason", "");
}

static void
test_gain_order (void **state)
{
    (void)state;
    assert_null (hl_planner_new (NULL));
    hl_planner_t *planner = hl_planner_new (s_solo);
    assert_non_null (planner);
    double values[] = { CRIT, MED, HIGH, LOW, LOW };
    hl_health_t *health = s_health (s_solo, values);
    hl_candidate_t out[8];
    size_t n
        = hl_planner_rank (planner, health, NULL, NOW, 8, false, out, 8, NULL);
    //  Without learning p = 0.5; gain = p x impact x expected / cost x
    //  (5 - urgency)
    assert_int_equal (n, 4);
    assert_string_equal (s_names (out, n), "x4 x1 x3 x2");
    //  x4: m5 low (gap 0.5), cost 0 counted as 0.01
    assert_int_equal (out[0].urgency, 4);
    s_near (out[0].cost, 0.01);
    s_near (out[0].impact, 0.5);
    s_near (out[0].gain, 0.5 * 0.5 * 0.1 / 0.01 * 1);
    //  x1: m1 critical (gap 3.5)
    assert_int_equal (out[1].urgency, 1);
    s_near (out[1].impact, 3.5);
    s_near (out[1].gain, 0.5 * 3.5 * 0.2 / 1 * 4);
    //  x3: the worst of m3 (high) and m4 (low), impacts summed
    assert_int_equal (out[2].urgency, 2);
    s_near (out[2].impact, 2.5 + 0.5);
    s_near (out[2].cost, 2);
    s_near (out[2].expected, 0.4);
    s_near (out[2].gain, 0.5 * 3.0 * 0.4 / 2 * 3);
    //  x2: m2 medium, weight 2 doubles its gap
    assert_int_equal (out[3].urgency, 3);
    s_near (out[3].impact, 2 * 1.5);
    s_near (out[3].gain, 0.5 * 3.0 * 0.2 / 1 * 2);
    for (size_t i = 0; i < n; i++) {
        s_near (out[i].p, 0.5);
        assert_string_equal (out[i].reason, HL_PLANNER_PICKED);
    }
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
    assert_null (planner);
    hl_planner_destroy (&planner);
}

static void
test_urgency (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_solo);
    static const double levels[] = { CRIT, HIGH, MED, LOW };
    for (int i = 0; i < 4; i++) {
        double values[] = { levels[i], OK, OK, OK, OK };
        hl_health_t *health = s_health (s_solo, values);
        hl_candidate_t out[4];
        size_t n = hl_planner_rank (planner, health, NULL, NOW, 4, false, out,
                                    4, NULL);
        assert_int_equal (n, 1);
        assert_string_equal (out[0].action->name, "x1");
        assert_int_equal (out[0].urgency, i + 1);
        hl_health_destroy (&health);
    }
    //  No data is no bottleneck
    double values[] = { NAN, NAN, NAN, NAN, NAN };
    hl_health_t *health = s_health (s_solo, values);
    hl_candidate_t out[4];
    hl_value_t *explain = NULL;
    assert_int_equal (hl_planner_rank (planner, health, NULL, NOW, 4, false,
                                       out, 4, &explain),
                      0);
    assert_int_equal (hl_value_size (explain), 4);
    assert_string_equal (s_reason (explain, "x1"), HL_PLANNER_NO_BOTTLENECK);
    assert_int_equal (
        hl_value_type (hl_value_get (s_explained (explain, "x1"), "urgency")),
        HL_VALUE_NIL);
    hl_value_destroy (&explain);
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

static void
test_cooldown (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_solo);
    double values[] = { CRIT, MED, HIGH, LOW, LOW };
    hl_health_t *health = s_health (s_solo, values);
    hl_candidate_t out[8];
    hl_value_t *explain = NULL;

    assert_false (hl_planner_cooling (planner, "x4", NOW));
    hl_planner_applied (planner, "x4", NOW);
    hl_planner_applied (planner, "nope", NOW); //  ignored
    assert_true (hl_planner_cooling (planner, "x4", NOW));
    assert_false (hl_planner_cooling (planner, "x1", NOW));
    assert_false (hl_planner_cooling (planner, "nope", NOW));
    size_t n = hl_planner_rank (planner, health, NULL, NOW, 8, false, out, 8,
                                &explain);
    assert_string_equal (s_names (out, n), "x1 x3 x2");
    assert_string_equal (s_reason (explain, "x4"), HL_PLANNER_COOLING);
    hl_value_destroy (&explain);

    //  Still cooling a microsecond before cycle.cooldown, free at it
    int64_t end = NOW + 60 * SEC;
    assert_true (hl_planner_cooling (planner, "x4", end - 1));
    n = hl_planner_rank (planner, health, NULL, end - 1, 8, false, out, 8,
                         NULL);
    assert_string_equal (s_names (out, n), "x1 x3 x2");
    assert_false (hl_planner_cooling (planner, "x4", end));
    n = hl_planner_rank (planner, health, NULL, end, 8, false, out, 8, NULL);
    assert_string_equal (s_names (out, n), "x4 x1 x3 x2");

    //  A new apply restarts it
    hl_planner_applied (planner, "x4", end);
    assert_true (hl_planner_cooling (planner, "x4", end + 30 * SEC));

    //  An action in effect (kept) is not proposed again, cooled or not,
    //  and takes no resource from the others
    hl_planner_effect (planner, "x1", true);
    n = hl_planner_rank (planner, health, NULL, end + 60 * SEC, 8, false, out,
                         8, &explain);
    assert_string_equal (s_names (out, n), "x4 x3 x2");
    assert_string_equal (s_reason (explain, "x1"), HL_PLANNER_IN_EFFECT);
    hl_value_destroy (&explain);
    hl_planner_effect (planner, "x1", false);
    n = hl_planner_rank (planner, health, NULL, end + 60 * SEC, 8, false, out,
                         8, NULL);
    assert_string_equal (s_names (out, n), "x4 x1 x3 x2");
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

static void
test_max (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_solo);
    double values[] = { CRIT, MED, HIGH, LOW, LOW };
    hl_health_t *health = s_health (s_solo, values);
    hl_candidate_t out[8];
    hl_value_t *explain = NULL;
    size_t n = hl_planner_rank (planner, health, NULL, NOW, 2, false, out, 8,
                                &explain);
    assert_string_equal (s_names (out, n), "x4 x1");
    assert_string_equal (s_reason (explain, "x3"), HL_PLANNER_OVER_MAX);
    assert_string_equal (s_reason (explain, "x2"), HL_PLANNER_OVER_MAX);
    hl_value_destroy (&explain);

    //  out_size bounds it too, and max 0 picks nothing
    n = hl_planner_rank (planner, health, NULL, NOW, 4, false, out, 1, NULL);
    assert_string_equal (s_names (out, n), "x4");
    n = hl_planner_rank (planner, health, NULL, NOW, 0, false, out, 8,
                         &explain);
    assert_int_equal (n, 0);
    assert_string_equal (s_reason (explain, "x4"), HL_PLANNER_OVER_MAX);
    hl_value_destroy (&explain);
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

static void
test_emergency (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_solo);
    //  Critical m1 and m3; x3 also improves the low m4, which no longer
    //  counts towards its impact
    double values[] = { CRIT, HIGH, CRIT, LOW, MED };
    hl_health_t *health = s_health (s_solo, values);
    hl_planner_applied (planner, "x1", NOW);
    hl_candidate_t out[8];
    hl_value_t *explain = NULL;
    size_t n = hl_planner_rank (planner, health, NULL, NOW, 8, true, out, 8,
                                &explain);
    //  x1 cooling is ignored; x3 0.5 x 3.5 x 0.4 / 2 x 4 = 1.4 ties x1's
    //  1.4 (both urgency 1), config order decides
    assert_string_equal (s_names (out, n), "x1 x3");
    s_near (out[1].impact, 3.5);
    assert_int_equal (out[1].urgency, 1);
    assert_string_equal (s_reason (explain, "x2"), HL_PLANNER_NO_BOTTLENECK);
    assert_string_equal (s_reason (explain, "x4"), HL_PLANNER_NO_BOTTLENECK);
    hl_value_destroy (&explain);

    //  The same health outside an emergency: all count, x1 cools; x4's
    //  medium m5 at cost 0.01 now leads (15), then x3 (1.6), x2 (1.5)
    n = hl_planner_rank (planner, health, NULL, NOW, 8, false, out, 8, NULL);
    assert_string_equal (s_names (out, n), "x4 x3 x2");
    s_near (out[1].impact, 4.0);

    //  An emergency leaves out what failed more often than it worked, and
    //  takes the posterior mean, not a draw
    hl_learning_t *learning = hl_learning_new (s_solo, 1);
    hl_learning_record (learning, "x1", false, -0.2);
    n = hl_planner_rank (planner, health, learning, NOW, 8, true, out, 8,
                         &explain);
    assert_string_equal (s_names (out, n), "x3");
    assert_string_equal (s_reason (explain, "x1"), HL_PLANNER_KNOWN_BAD);
    s_near (out[0].p, 0.5);
    hl_value_destroy (&explain);
    hl_learning_destroy (&learning);
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

//  fa and fb share ui.list, fb and fc share f2: in flight, the taken
//  resource or metric shuts the other out
static void
test_conflict_in_flight (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_duo);
    double values[] = { CRIT, CRIT, OK, OK, OK, OK, OK };
    hl_health_t *health = s_health (s_duo, values);
    hl_candidate_t out[8];
    hl_value_t *explain = NULL;

    hl_planner_busy (planner, "fa", true);
    hl_planner_busy (planner, "nope", true); //  ignored
    assert_true (hl_planner_in_flight (planner, "fa"));
    assert_false (hl_planner_in_flight (planner, "fb"));
    size_t n = hl_planner_rank (planner, health, NULL, NOW, 8, false, out, 8,
                                &explain);
    assert_string_equal (s_names (out, n), "fc");
    assert_string_equal (s_reason (explain, "fa"), HL_PLANNER_IN_FLIGHT);
    assert_string_equal (s_reason (explain, "fb"), HL_PLANNER_CONFLICT);
    hl_value_destroy (&explain);

    //  By metric: fc in flight takes f2 from fb, fa is free again
    hl_planner_busy (planner, "fa", false);
    hl_planner_busy (planner, "fc", true);
    n = hl_planner_rank (planner, health, NULL, NOW, 8, false, out, 8,
                         &explain);
    assert_string_equal (s_names (out, n), "fa");
    assert_string_equal (s_reason (explain, "fb"), HL_PLANNER_CONFLICT);
    assert_string_equal (s_reason (explain, "fc"), HL_PLANNER_IN_FLIGHT);
    hl_value_destroy (&explain);

    //  Nothing in flight: fa, fb, fc tie at 1.4; fa first, fb conflicts
    //  with it, fc does not
    hl_planner_busy (planner, "fc", false);
    n = hl_planner_rank (planner, health, NULL, NOW, 8, false, out, 8,
                         &explain);
    assert_string_equal (s_names (out, n), "fa fc");
    assert_string_equal (s_reason (explain, "fb"), HL_PLANNER_CONFLICT);
    hl_value_destroy (&explain);

    //  Counted: fa then fc started, fb held back by each ranking. A caller
    //  that starts fb beside fa anyway makes a conflict; marking an action
    //  in flight twice starts it once.
    hl_planner_stats_t st = hl_planner_stats (planner);
    assert_int_equal (st.started, 2);
    assert_int_equal (st.held_back, 3);
    assert_int_equal (st.conflicts, 0);
    hl_planner_busy (planner, "fa", true);
    hl_planner_busy (planner, "fa", true);
    hl_planner_busy (planner, "fb", true);
    st = hl_planner_stats (planner);
    assert_int_equal (st.started, 4);
    assert_int_equal (st.conflicts, 1);
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

static void
test_conflict_in_pick (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_duo);
    hl_candidate_t out[8];
    hl_value_t *explain = NULL;

    //  By metric: fc (f2 + f3) outranks fb (f2) and takes f2
    double by_metric[] = { OK, CRIT, HIGH, OK, OK, OK, OK };
    hl_health_t *health = s_health (s_duo, by_metric);
    size_t n = hl_planner_rank (planner, health, NULL, NOW, 8, false, out, 8,
                                &explain);
    assert_string_equal (s_names (out, n), "fc");
    assert_string_equal (s_reason (explain, "fb"), HL_PLANNER_CONFLICT);
    assert_string_equal (s_reason (explain, "fa"), HL_PLANNER_NO_BOTTLENECK);
    hl_value_destroy (&explain);
    hl_health_destroy (&health);

    //  By resource: fa takes ui.list from fb, which would rank second
    double by_resource[] = { CRIT, HIGH, OK, OK, OK, OK, OK };
    health = s_health (s_duo, by_resource);
    n = hl_planner_rank (planner, health, NULL, NOW, 8, false, out, 8,
                         &explain);
    assert_string_equal (s_names (out, n), "fa fc");
    assert_string_equal (s_reason (explain, "fb"), HL_PLANNER_CONFLICT);
    hl_value_destroy (&explain);
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

//  Gains ba 1.4 > bb 0.75 > bc 0.3 > fa 0.05: the frontend still gets the
//  second slot
static void
test_balance (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_duo);
    double values[] = { LOW, OK, OK, CRIT, HIGH, MED, OK };
    hl_health_t *health = s_health (s_duo, values);
    hl_candidate_t out[8];
    size_t n
        = hl_planner_rank (planner, health, NULL, NOW, 3, false, out, 8, NULL);
    assert_string_equal (s_names (out, n), "ba fa bb");
    n = hl_planner_rank (planner, health, NULL, NOW, 2, false, out, 8, NULL);
    assert_string_equal (s_names (out, n), "ba fa");
    //  Once the frontend has nothing left, the rest by gain
    n = hl_planner_rank (planner, health, NULL, NOW, 8, false, out, 8, NULL);
    assert_string_equal (s_names (out, n), "ba fa bb bc");
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

//  Every reason at once, and the figures in the list
static void
test_explain (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_duo);
    double values[] = { CRIT, CRIT, OK, CRIT, HIGH, MED, OK };
    hl_health_t *health = s_health (s_duo, values);
    hl_planner_busy (planner, "fa", true);
    hl_planner_applied (planner, "bc", NOW - 10 * SEC);
    hl_candidate_t out[8];
    hl_value_t *explain = NULL;
    size_t n = hl_planner_rank (planner, health, NULL, NOW, 2, false, out, 8,
                                &explain);
    //  fc and ba tie at 1.4; config order puts fc first
    assert_string_equal (s_names (out, n), "fc ba");
    assert_int_equal (hl_value_size (explain), 7);
    assert_string_equal (s_reason (explain, "fa"), HL_PLANNER_IN_FLIGHT);
    assert_string_equal (s_reason (explain, "fb"), HL_PLANNER_CONFLICT);
    assert_string_equal (s_reason (explain, "fc"), HL_PLANNER_PICKED);
    assert_string_equal (s_reason (explain, "ba"), HL_PLANNER_PICKED);
    assert_string_equal (s_reason (explain, "bb"), HL_PLANNER_OVER_MAX);
    assert_string_equal (s_reason (explain, "bc"), HL_PLANNER_COOLING);
    assert_string_equal (s_reason (explain, "bg"), HL_PLANNER_NO_BOTTLENECK);

    //  Ranked by gain, bg (0) last; figures as in the candidates
    const hl_value_t *last = hl_value_at (explain, 6);
    assert_string_equal (hl_value_get_str (last, "action", ""), "bg");
    const hl_value_t *bb = s_explained (explain, "bb");
    assert_string_equal (hl_value_get_str (bb, "swarm", ""), "backend");
    assert_int_equal (hl_value_get_int (bb, "urgency", -1), 2);
    s_near (hl_value_get_double (bb, "impact", -1), 2.5);
    s_near (hl_value_get_double (bb, "cost", -1), 1);
    s_near (hl_value_get_double (bb, "p", -1), 0.5);
    s_near (hl_value_get_double (bb, "expected", -1), 0.2);
    s_near (hl_value_get_double (bb, "gain", -1), 0.5 * 2.5 * 0.2 * 3);
    bool picked = true;
    assert_int_equal (hl_value_bool (hl_value_get (bb, "picked"), &picked), 0);
    assert_false (picked);
    assert_int_equal (
        hl_value_bool (hl_value_get (s_explained (explain, "ba"), "picked"),
                       &picked),
        0);
    assert_true (picked);
    hl_value_destroy (&explain);
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

//  ba and bb look the same on paper; what was learned tells them apart
static void
test_learning (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_duo);
    double values[] = { OK, OK, OK, CRIT, CRIT, OK, OK };
    hl_health_t *health = s_health (s_duo, values);
    hl_candidate_t out[8];
    size_t n
        = hl_planner_rank (planner, health, NULL, NOW, 1, false, out, 8, NULL);
    assert_string_equal (s_names (out, n), "ba");

    hl_learning_t *learning = hl_learning_new (s_duo, 1);
    for (int i = 0; i < 30; i++) {
        hl_learning_record (learning, "ba", false, NAN);
        hl_learning_record (learning, "bb", true, 0.2);
    }
    hl_value_t *explain = NULL;
    int bb = 0;
    for (int round = 0; round < 100; round++) {
        n = hl_planner_rank (planner, health, learning, NOW, 1, false, out, 8,
                             &explain);
        assert_int_equal (n, 1);
        //  The effect is a draw from each one's posterior, still its
        //  prior: now and then bb's falls below 0 and ba may win
        if (strcmp (out[0].action->name, "bb") == 0) {
            bb++;
            assert_true (out[0].p > 0.8 && out[0].p < 1);
            s_near (out[0].gain, out[0].p * 3.5 * out[0].expected * 4);
            const hl_value_t *ba = s_explained (explain, "ba");
            const char *why = hl_value_get_str (ba, "reason", "");
            assert_true (strcmp (why, HL_PLANNER_OVER_MAX) == 0
                         || strcmp (why, HL_PLANNER_HARMFUL) == 0);
            assert_true (hl_value_get_double (ba, "p", -1) < 0.2);
        }
        hl_value_destroy (&explain);
    }
    assert_true (bb >= 90);

    //  The same seed replays the same draws
    hl_learning_t *again = hl_learning_new (s_duo, 1);
    hl_learning_t *first = hl_learning_new (s_duo, 1);
    hl_candidate_t one[8], two[8];
    hl_planner_rank (planner, health, first, NOW, 8, false, one, 8, NULL);
    hl_planner_rank (planner, health, again, NOW, 8, false, two, 8, NULL);
    assert_true (one[0].p == two[0].p && one[1].p == two[1].p);
    hl_learning_destroy (&again);
    hl_learning_destroy (&first);
    hl_learning_destroy (&learning);
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

/*  What was measured outweighs what was claimed: an action tried and
    measured harmful has a negative learned gain and is left out; one
    regressed is quarantined (cycles and emergencies alike) until
    released; one never tried is explored first, whatever its gain. */
static void
test_learned_effect_and_quarantine (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_duo);
    double values[] = { OK, OK, OK, CRIT, CRIT, CRIT, OK };
    hl_health_t *health = s_health (s_duo, values);
    hl_learning_t *learning = hl_learning_new (s_duo, 3);
    //  ba tried three times, measured -60% each time
    for (int i = 0; i < 3; i++) {
        hl_learning_tried (learning, "ba");
        hl_learning_record (learning, "ba", false, -0.6);
        hl_learning_effect (learning, "ba", "b1", -0.6);
    }
    //  bb tried and measured +20%, bc never tried
    hl_learning_tried (learning, "bb");
    hl_learning_record (learning, "bb", true, 0.2);
    hl_learning_effect (learning, "bb", "b2", 0.2);
    hl_candidate_t out[8];
    hl_value_t *explain = NULL;
    //  Thompson draws: ba (posterior mean -0.25) is mostly left out as
    //  harmful, bb (+0.2) mostly picked; bc, never tried, always first
    int ba_out = 0, bb_in = 0;
    for (int round = 0; round < 100; round++) {
        size_t n = hl_planner_rank (planner, health, learning, NOW, 8, false,
                                    out, 8, &explain);
        assert_string_equal (out[0].action->name, "bc");
        assert_true (out[0].explore);
        s_near (out[0].expected, 0.2); /* explored on its prior mean */
        for (size_t i = 1; i < n; i++) {
            assert_false (out[i].explore);
            bb_in += strcmp (out[i].action->name, "bb") == 0;
        }
        ba_out += strcmp (s_reason (explain, "ba"), HL_PLANNER_HARMFUL) == 0;
        hl_value_destroy (&explain);
    }
    assert_true (ba_out >= 85);
    assert_true (bb_in >= 95);
    //  Quarantine: out of cycles and emergencies, with its end
    int64_t until = hl_learning_quarantine (learning, "bb", NOW);
    assert_true (until > NOW);
    for (int emergency = 0; emergency < 2; emergency++) {
        size_t n = hl_planner_rank (planner, health, learning, NOW, 8,
                                    emergency, out, 8, &explain);
        for (size_t i = 0; i < n; i++)
            assert_string_not_equal (out[i].action->name, "bb");
        const hl_value_t *bb = s_explained (explain, "bb");
        assert_string_equal (hl_value_get_str (bb, "reason", ""),
                             HL_PLANNER_QUARANTINED);
        assert_int_equal (hl_value_get_int (bb, "until", 0), until);
        hl_value_destroy (&explain);
    }
    //  ... until it ends, or is released
    size_t n = hl_planner_rank (planner, health, learning, until, 8, false, out,
                                8, NULL);
    assert_string_equal (s_names (out, n), "bc bb");
    hl_learning_quarantine (learning, "bb", NOW);
    hl_learning_release (learning, "bb");
    n = hl_planner_rank (planner, health, learning, NOW, 8, false, out, 8,
                         NULL);
    assert_string_equal (s_names (out, n), "bc bb");
    hl_learning_destroy (&learning);
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

/*  Actions never tried have only their priors: they are explored in the
    order of what they claim, the same for every seed, not of a draw. */
static void
test_explore_in_claimed_order (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_solo);
    double values[] = { CRIT, MED, HIGH, LOW, LOW };
    hl_health_t *health = s_health (s_solo, values);
    hl_candidate_t out[8];
    for (uint64_t seed = 1; seed <= 50; seed++) {
        hl_learning_t *learning = hl_learning_new (s_solo, seed);
        size_t n = hl_planner_rank (planner, health, learning, NOW, 8, false,
                                    out, 8, NULL);
        assert_string_equal (s_names (out, n), "x4 x1 x3 x2");
        for (size_t i = 0; i < n; i++) {
            assert_true (out[i].explore);
            s_near (out[i].p, hl_learning_p (learning, out[i].action->name));
        }
        hl_learning_destroy (&learning);
    }
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

/*  A confounded action is retried alone, once nothing else runs. */
static void
test_solo (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_duo);
    double values[] = { CRIT, OK, OK, CRIT, CRIT, OK, OK };
    hl_health_t *health = s_health (s_duo, values);
    hl_learning_t *learning = hl_learning_new (s_duo, 3);
    hl_learning_tried (learning, "fa");
    hl_learning_tried (learning, "ba");
    hl_learning_tried (learning, "bb");
    hl_learning_set_solo (learning, "bb", true);
    hl_candidate_t out[8];
    hl_value_t *explain = NULL;
    size_t n = hl_planner_rank (planner, health, learning, NOW, 8, false, out,
                                8, &explain);
    assert_string_equal (s_names (out, n), "bb");
    assert_string_equal (s_reason (explain, "fa"), HL_PLANNER_SOLO_TURN);
    assert_string_equal (s_reason (explain, "ba"), HL_PLANNER_SOLO_TURN);
    hl_value_destroy (&explain);
    //  With something in flight, it waits, and so do the others
    hl_planner_busy (planner, "bc", true);
    n = hl_planner_rank (planner, health, learning, NOW, 8, false, out, 8,
                         &explain);
    assert_int_equal (n, 0);
    assert_string_equal (s_reason (explain, "bb"), HL_PLANNER_SOLO_WAIT);
    hl_value_destroy (&explain);
    hl_planner_busy (planner, "bc", false);
    //  An emergency does not wait for it
    n = hl_planner_rank (planner, health, learning, NOW, 8, true, out, 8, NULL);
    assert_true (n >= 2);
    hl_learning_destroy (&learning);
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

/*  With a judge, a cycle waits for earlier changes to settle, and for a
    whole baseline clean of them. */
static void
test_clean_windows (void **state)
{
    (void)state;
    hl_planner_t *planner = hl_planner_new (s_duo);
    hl_judge_t *judge = hl_judge_new (s_duo);
    hl_planner_set_judge (planner, judge);
    double values[] = { OK, OK, OK, CRIT, CRIT, OK, OK };
    hl_health_t *health = s_health (s_duo, values);
    hl_candidate_t out[8];
    hl_value_t *explain = NULL;
    //  ba rolled back at NOW - 40 s: settle 30 s (default) passed, but a
    //  60 s window is not clean of it until NOW + 50 s
    uint64_t id = hl_judge_change (judge, hl_config_action_find (s_duo, "ba"),
                                   true, NOW - 41 * SEC);
    hl_judge_changed (judge, id, NOW - 40 * SEC);
    size_t n = hl_planner_rank (planner, health, NULL, NOW, 8, false, out, 8,
                                &explain);
    assert_int_equal (n, 0);
    const hl_value_t *bb = s_explained (explain, "bb");
    assert_string_equal (hl_value_get_str (bb, "reason", ""),
                         HL_PLANNER_UNCLEAN);
    assert_int_equal (hl_value_get_int (bb, "until", 0), NOW + 50 * SEC);
    hl_value_destroy (&explain);
    n = hl_planner_rank (planner, health, NULL, NOW + 50 * SEC, 8, false, out,
                         8, NULL);
    assert_string_equal (s_names (out, n), "ba bb");
    //  A change still settling holds every candidate back
    id = hl_judge_change (judge, hl_config_action_find (s_duo, "fc"), false,
                          NOW + 60 * SEC);
    hl_judge_changed (judge, id, NOW + 61 * SEC);
    n = hl_planner_rank (planner, health, NULL, NOW + 70 * SEC, 8, false, out,
                         8, &explain);
    assert_int_equal (n, 0);
    assert_string_equal (s_reason (explain, "bb"), HL_PLANNER_SETTLING);
    hl_value_destroy (&explain);
    //  ... but not an emergency
    n = hl_planner_rank (planner, health, NULL, NOW + 70 * SEC, 8, true, out, 8,
                         NULL);
    assert_int_equal (n, 2);
    hl_judge_destroy (&judge);
    hl_health_destroy (&health);
    hl_planner_destroy (&planner);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_gain_order),
        cmocka_unit_test (test_urgency),
        cmocka_unit_test (test_cooldown),
        cmocka_unit_test (test_max),
        cmocka_unit_test (test_emergency),
        cmocka_unit_test (test_conflict_in_flight),
        cmocka_unit_test (test_conflict_in_pick),
        cmocka_unit_test (test_balance),
        cmocka_unit_test (test_explain),
        cmocka_unit_test (test_learning),
        cmocka_unit_test (test_learned_effect_and_quarantine),
        cmocka_unit_test (test_explore_in_claimed_order),
        cmocka_unit_test (test_solo),
        cmocka_unit_test (test_clean_windows),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
