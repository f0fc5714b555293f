/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_cycle - the run engine with its real collaborators (tracker,
    dispatcher on an inproc ROUTER, learning, planner, reactor) and no
    agent: the table of run kinds and its refusals, params that may be
    NULL, every kind run through to its report, an emergency round with
    nothing to do that still reports to its caller, and the emergency
    started from health.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <math.h>

#include "../../master/hl_cycle.h"

#define SEC 1000000LL

typedef struct {
    char dir[64];
    hl_config_t *config;
    hl_kpi_t *kpi;
    zsock_t *tasks;
    hl_dispatch_t *dispatch;
    hl_learning_t *learning;
    hl_planner_t *planner;
    zloop_t *loop;
    hl_cycle_t *cycle;
    int done;           /* runs told done */
    char last_kind[32]; /* of the last report told */
    uint64_t last_id;   /* ditto */
} s_world_t;

static void
s_done (void *arg, const hl_value_t *report)
{
    s_world_t *w = (s_world_t *)arg;
    w->done++;
    snprintf (w->last_kind, sizeof w->last_kind, "%s",
              hl_value_get_str (report, "kind", "?"));
    w->last_id = (uint64_t)hl_value_get_int (report, "id", 0);
}

static int
s_setup (void **state)
{
    s_world_t *w = (s_world_t *)calloc (1, sizeof *w);
    *state = w; /* the teardown frees what setup made, even on failure */
    snprintf (w->dir, sizeof w->dir, "/tmp/hl_cycle_test.XXXXXX");
    if (!mkdtemp (w->dir))
        return -1;
    char path[128], err[256];
    snprintf (path, sizeof path, "%s/cycle.cfg", w->dir);
    FILE *f = fopen (path, "w");
    if (!f)
        return -1;
    fprintf (f,
             "master = { state_dir = \"%s\"; };\n"
             "emergency = { threshold = 50; max_issues = 2; };\n"
             "metrics = (\n"
             "  { name = \"lat\"; category = \"backend\"; better = "
             "\"lower\";\n"
             "    stat = \"mean\"; target = 100.0; critical = 500.0;\n"
             "    key = true; } );\n"
             "actions = (\n"
             "  { name = \"cache\"; swarm = \"backend\"; improves = "
             "[\"lat\"]; } );\n",
             w->dir);
    fclose (f);
    w->config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!w->config) {
        fprintf (stderr, "%s\n", err);
        return -1;
    }
    w->kpi = hl_kpi_new (w->config);
    w->tasks = zsock_new_router ("inproc://test-cycle-tasks");
    w->dispatch = hl_dispatch_new (w->tasks, w->config, "master@test", NULL,
                                   NULL, NULL);
    w->learning = hl_learning_new (w->config, 1);
    w->planner = hl_planner_new (w->config);
    w->loop = zloop_new ();
    hl_cycle_deps_t deps
        = { w->config, w->kpi, w->dispatch, w->learning, w->planner,   NULL,
            w->loop,   NULL,   NULL,        NULL,        "master@test" };
    w->cycle = hl_cycle_new (&deps, err, sizeof err);
    return w->cycle ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_world_t *w = (s_world_t *)*state;
    hl_cycle_destroy (&w->cycle);
    zloop_destroy (&w->loop);
    hl_dispatch_destroy (&w->dispatch);
    hl_planner_destroy (&w->planner);
    hl_learning_destroy (&w->learning);
    zsock_destroy (&w->tasks);
    hl_kpi_destroy (&w->kpi);
    hl_config_destroy (&w->config);
    char command[160];
    snprintf (command, sizeof command, "rm -rf %s", w->dir);
    int rc = system (command);
    free (w);
    return rc;
}

/*  Samples of lat at value over the last 10 seconds. */
static void
s_lat (s_world_t *w, double value)
{
    int64_t now = hl_msg_now_us ();
    for (int i = 10; i >= 0; i--)
        assert_int_equal (hl_kpi_add (w->kpi, "lat", value, now - i * SEC, now),
                          0);
}

/*  The bool at key, or fallback. */
static bool
s_bool (const hl_value_t *map, const char *key, bool fallback)
{
    bool b;
    return hl_value_bool (hl_value_get (map, key), &b) ? fallback : b;
}

static bool
s_report_file (s_world_t *w, const char *kind, uint64_t id)
{
    char path[160];
    snprintf (path, sizeof path, "%s/reports/%s-%" PRIu64 ".json", w->dir, kind,
              id);
    return access (path, R_OK) == 0;
}

static void
test_kinds_refused (void **state)
{
    s_world_t *w = (s_world_t *)*state;
    char error[256] = "";
    assert_int_equal (hl_cycle_run (w->cycle, "tune", NULL, NULL, NULL, NULL,
                                    error, sizeof error),
                      0);
    assert_non_null (strstr (error, "unknown kind 'tune'"));
    assert_int_equal (hl_cycle_run (w->cycle, NULL, NULL, NULL, NULL, NULL,
                                    error, sizeof error),
                      0);
    //  bad params: refused with the reason, and the params still taken
    hl_value_t *p = hl_value_new_map ();
    hl_value_set_str (p, "focus_areas", "frontend,kitchen");
    assert_int_equal (hl_cycle_run (w->cycle, "analysis", &p, NULL, NULL, NULL,
                                    error, sizeof error),
                      0);
    assert_null (p);
    assert_non_null (strstr (error, "kitchen"));
    p = hl_value_new_map ();
    hl_value_set_str (p, "horizon", "eventually");
    assert_int_equal (hl_cycle_run (w->cycle, "strategic_planning", &p, NULL,
                                    NULL, NULL, error, sizeof error),
                      0);
    assert_non_null (strstr (error, "horizon"));
    p = hl_value_new_map ();
    hl_value_set_int (p, "max_issues", 0);
    assert_int_equal (hl_cycle_run (w->cycle, "emergency", &p, NULL, NULL, NULL,
                                    error, sizeof error),
                      0);
    assert_non_null (strstr (error, "max_issues"));
    assert_int_equal (w->done, 0);
    //  Refusals used no id: the next run is 1
    s_lat (w, 80);
    assert_int_equal (hl_cycle_run (w->cycle, "optimization", NULL, NULL,
                                    s_done, w, error, sizeof error),
                      1);
}

/*  params may be NULL, or point to NULL: every kind takes its defaults.
    With no agent, a cycle degrades through its phases to its report at
    once, and tells its caller. */
static void
test_null_params (void **state)
{
    s_world_t *w = (s_world_t *)*state;
    s_lat (w, 300); /* a bottleneck, not critical: no emergency */
    const char *kinds[] = { "optimization", "analysis", "strategic_planning" };
    char error[256];
    for (size_t i = 0; i < 3; i++) {
        hl_value_t *none = NULL;
        uint64_t id = hl_cycle_run (w->cycle, kinds[i], i == 1 ? &none : NULL,
                                    NULL, s_done, w, error, sizeof error);
        assert_true (id > 0);
        assert_int_equal (w->done, (int)i + 1);
        assert_int_equal (w->last_id, id);
        assert_string_equal (w->last_kind, kinds[i]);
        assert_true (s_report_file (w, kinds[i], id));
    }
    const hl_value_t *report = hl_cycle_report (w->cycle, 1);
    assert_non_null (report);
    //  no Hephaestus: the picked action failed, and the report says why
    const hl_value_t *act = hl_value_at (hl_value_get (report, "actions"), 0);
    assert_string_equal (hl_value_get_str (act, "outcome", ""), "failed");
    assert_true (hl_value_size (hl_value_get (report, "degraded")) > 0);
    hl_value_t *list = hl_cycle_list (w->cycle);
    assert_int_equal (hl_value_size (list), 3);
    hl_value_destroy (&list);
}

/*  The emergency asked for when nothing is critical: its first round
    finds no candidate and ends before the request returns. The request
    still gets its id and its report (it used to get 0: "unsupported"). */
static void
test_emergency_with_nothing_to_do (void **state)
{
    s_world_t *w = (s_world_t *)*state;
    s_lat (w, 80);
    char error[256] = "";
    hl_value_t *p = hl_value_new_map ();
    hl_value_set_double (p, "threshold", 90);
    uint64_t id = hl_cycle_run (w->cycle, "emergency", &p, NULL, s_done, w,
                                error, sizeof error);
    assert_int_equal (id, 1);
    assert_int_equal (w->done, 1);
    assert_string_equal (w->last_kind, "emergency");
    assert_true (s_report_file (w, "emergency", id));
    hl_value_t *status = hl_cycle_status (w->cycle);
    const hl_value_t *em = hl_value_get (status, "emergency");
    assert_true (s_bool (em, "active", false));
    assert_int_equal (hl_value_get_int (em, "count", 0), 1);
    hl_value_destroy (&status);
    //  one at a time
    assert_int_equal (hl_cycle_run (w->cycle, "emergency", NULL, NULL, NULL,
                                    NULL, error, sizeof error),
                      0);
    assert_non_null (strstr (error, "in progress"));
}

/*  No metric has data: health has no score, and an emergency would never
    be seen to end. It is refused with the reason. */
static void
test_emergency_without_data (void **state)
{
    s_world_t *w = (s_world_t *)*state;
    char error[256] = "";
    assert_int_equal (hl_cycle_run (w->cycle, "emergency", NULL, NULL, s_done,
                                    w, error, sizeof error),
                      0);
    assert_non_null (strstr (error, "no metric has data"));
    assert_int_equal (w->done, 0);
    hl_value_t *status = hl_cycle_status (w->cycle);
    assert_false (s_bool (hl_value_get (status, "emergency"), "active", true));
    hl_value_destroy (&status);
}

/*  Health below the threshold starts it at once: a round runs (and, with
    no agent, fails its action and reports), normal dispatch is held. */
static void
test_emergency_from_health (void **state)
{
    s_world_t *w = (s_world_t *)*state;
    s_lat (w, 900);
    hl_health_t *health
        = hl_health_compute (w->config, w->kpi, hl_msg_now_us ());
    assert_true (hl_health_score (health) < 50);
    hl_cycle_health (w->cycle, health);
    hl_health_destroy (&health);
    hl_value_t *status = hl_cycle_status (w->cycle);
    const hl_value_t *em = hl_value_get (status, "emergency");
    assert_true (s_bool (em, "active", false));
    assert_int_equal (hl_value_get_int (em, "rounds", 0), 1);
    assert_int_equal (hl_value_get_int (status, "finished", 0), 1);
    /*  Verdicts are counted by name; an action that never applied has
        none. */
    const hl_value_t *verdicts = hl_value_get (status, "verdicts");
    assert_int_equal (hl_value_size (verdicts), HL_VERDICT_COUNT - 1);
    const char *names[]
        = { "inconclusive", "unchanged", "improved", "regressed" };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal (hl_value_get_int (verdicts, names[i], -1), 0);
    hl_value_destroy (&status);
    const hl_value_t *report = hl_cycle_report (w->cycle, 0);
    assert_string_equal (hl_value_get_str (report, "kind", ""), "emergency");
    const hl_value_t *act = hl_value_at (hl_value_get (report, "actions"), 0);
    assert_string_equal (hl_value_get_str (act, "name", ""), "cache");
    //  While it holds, the schedule starts no cycle
    hl_cycle_tick (w->cycle, hl_msg_now_us () + 3600 * SEC);
    status = hl_cycle_status (w->cycle);
    assert_int_equal (hl_value_get_int (status, "started", 0), 1);
    hl_value_destroy (&status);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_kinds_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_null_params, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_emergency_with_nothing_to_do,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_emergency_without_data, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_emergency_from_health, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests_name ("hl_cycle", tests, NULL, NULL);
}
