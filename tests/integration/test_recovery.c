/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_recovery - kill -9 of the master in each phase of a cycle and
    during an emergency, with real processes on the toy service (toy.h),
    then a restart on the same endpoints. What must hold each time:
    - the agents come back by themselves;
    - the run that was cut short is in `cycles`, interrupted, saying in
      which phase;
    - no apply runs twice: each change's apply ran once;
    - every change ends settled: a change never verified is rolled back
      (its knob gone), never re-applied blind; a rollback under way is
      finished;
    - the audit log says what recovery did and why.
    And a SIGSTOP of the master past its agents' liveness, then SIGCONT:
    they come back by themselves and the cycle ends, settled.
    test_durable holds the short cases (a clean restart, a kill during
    an apply, a kill after a complete window, a full disk); these take
    minutes and run in make test-long.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <signal.h>

#include "harness.h"
#include "toy.h"

#define S_CYCLE                                                                \
    "cycle = { duration = 3600; max_concurrent = 1; cooldown = 0;\n"           \
    "          settle = 2; verify_window = 10; };\n"

static char s_out[65536];

static const char *s_action; /* the change the case watches */

/*  The cycle in progress is in phase (per status). */
static bool
s_in_phase (toy_world_t *w, const char *phase)
{
    json_t *status = toy_ctl_json (w, "status", NULL, NULL);
    const char *now = json_string_value (
        json_object_get (json_object_get (status, "cycle"), "phase"));
    bool yes = now && streq (now, phase);
    json_decref (status);
    return yes;
}

static bool
s_rollback_started (toy_world_t *w)
{
    return toy_count (w, s_action, "rollback") > 0;
}

static bool
s_apply_started (toy_world_t *w)
{
    return toy_count (w, s_action, "apply") > 0;
}

static bool
s_undone (toy_world_t *w)
{
    return toy_count (w, s_action, "rollback") > 0 && !toy_knob (w, s_action);
}

/*  The interrupted run of kind says it was, in the audit log too. */
static void
s_check_interrupted (toy_world_t *w, const char *kind, const char *phase)
{
    json_t *list = toy_ctl_json (w, "cycles", NULL, NULL);
    bool cut = false;
    size_t i;
    json_t *r;
    json_array_foreach (list, i, r) {
        cut |= streq (toy_field (r, "kind"), kind)
               && streq (toy_field (r, "phase"), "interrupted");
    }
    assert_true (cut);
    json_decref (list);
    json_t *all = toy_ctl_json (w, "audit", "--since", "1h");
    bool said = false;
    json_array_foreach (all, i, r) {
        said |= streq (toy_field (r, "event"), "interrupted")
                && strstr (toy_field (r, "why"), phase);
    }
    json_decref (all);
    assert_true (said);
}

/*  The Prometheus agents are stopped, so ANALYZE waits for them; the
    master dies there. No change was made: nothing to recover but the
    run. */
static void
test_kill_in_analyze (void **state)
{
    (void)state;
    s_action = "good";
    const char *actions[] = { "good backend lat 0.3 1", NULL };
    toy_world_t w;
    toy_world_start (&w, S_CYCLE, actions);
    toy_wait_data (&w);
    kill (w.agents[0]->pid, SIGSTOP);
    kill (w.agents[1]->pid, SIGSTOP);
    assert_int_equal (
        ht_ctl (&w.m, s_out, sizeof s_out, "run", "optimization", NULL), 0);
    int64_t deadline = zclock_mono () + 10000;
    while (!s_in_phase (&w, "analyze") && zclock_mono () < deadline)
        zclock_sleep (50); /* a short step between looks */
    kill (w.m.proc->pid, SIGKILL);
    ht_stop (&w.m.proc, 5000);
    kill (w.agents[0]->pid, SIGCONT);
    kill (w.agents[1]->pid, SIGCONT);
    ht_master_pin (&w.m);
    assert_true (ht_master_launch (&w.m));
    assert_int_equal (ht_wait_agents (&w.m, 6, 20000), 6);
    s_check_interrupted (&w, "optimization", "analyze");
    json_t *list = toy_ctl_json (&w, "cycles", NULL, NULL);
    assert_null (toy_run_of (list, "recovery"));
    json_decref (list);
    assert_int_equal (toy_count (&w, "good", "apply"), 0);
    //  And the next cycle runs as any would, once there is data again
    toy_wait_data (&w);
    json_t *report = toy_cycle (&w);
    assert_string_equal (toy_field (toy_act (report, "good"), "outcome"),
                         "kept");
    json_decref (report);
    assert_int_equal (toy_count (&w, "good", "apply"), 1);
    toy_world_stop (&w);
}

/*  Killed 3 s into the settle: the change is applied, its window not
    complete. Never verified, it is rolled back. */
static void
test_kill_in_settle (void **state)
{
    (void)state;
    s_action = "good";
    const char *actions[] = { "good backend lat 0.3 1", NULL };
    toy_world_t w;
    toy_world_start (&w, S_CYCLE, actions);
    toy_wait_data (&w);
    assert_int_equal (
        ht_ctl (&w.m, s_out, sizeof s_out, "run", "optimization", NULL), 0);
    assert_true (toy_until (&w, toy_settling, 20000));
    int64_t at = zclock_mono () + 3000;
    while (zclock_mono () < at)
        zclock_sleep (50); /* the clock is the condition */
    toy_restart (&w, SIGKILL);
    assert_true (toy_until (&w, s_undone, 30000));
    assert_true (toy_until (&w, toy_recovered, 30000));
    assert_int_equal (toy_count (&w, "good", "apply"), 1);
    s_check_interrupted (&w, "optimization", "settle");
    assert_true (toy_audited (&w, "recovered", "good", "never verified"));
    assert_true (toy_audited (&w, "rolled_back", "good", NULL));
    toy_world_stop (&w);
}

/*  A harmful change is judged regressed and its rollback (4 s) is under
    way when the master dies: the rollback is sent again (a rollback is
    idempotent) and the change ends rolled back. */
static void
test_kill_in_rollback (void **state)
{
    (void)state;
    s_action = "harm";
    const char *actions[] = { "harm backend lat 0.6 1 0 4", NULL };
    toy_world_t w;
    toy_world_start (&w, S_CYCLE, actions);
    toy_wait_data (&w);
    assert_int_equal (
        ht_ctl (&w.m, s_out, sizeof s_out, "run", "optimization", NULL), 0);
    assert_true (toy_until (&w, s_rollback_started, 40000));
    toy_restart (&w, SIGKILL);
    assert_true (toy_until (&w, s_undone, 30000));
    assert_true (toy_until (&w, toy_recovered, 30000));
    assert_int_equal (toy_count (&w, "harm", "apply"), 1);
    s_check_interrupted (&w, "optimization", "decide");
    assert_true (toy_audited (&w, "recovered", "harm", "rolling back"));
    toy_world_stop (&w);
}

static bool
s_emergency (toy_world_t *w)
{
    json_t *status = toy_ctl_json (w, "status", NULL, NULL);
    json_t *em
        = json_object_get (json_object_get (status, "cycle"), "emergency");
    bool active = json_is_true (json_object_get (em, "active"));
    json_decref (status);
    return active;
}

/*  An incident takes lat past critical: the emergency's round applies
    lat_fix (3 s) and the master dies in the middle. The restarted master
    rolls it back, unverified, before anything else; the emergency that
    follows (the incident is still there) decides anew. */
static void
test_kill_in_emergency (void **state)
{
    (void)state;
    s_action = "lat_fix";
    const char *actions[] = { "lat_fix backend lat 0.8 1 3", NULL };
    toy_world_t w;
    toy_world_start (&w, S_CYCLE, actions);
    toy_wait_data (&w);
    char path[400];
    snprintf (path, sizeof path, "%s/knob_incident", w.m.dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fclose (f);
    assert_true (toy_until (&w, s_emergency, 20000));
    assert_true (toy_until (&w, s_apply_started, 20000));
    toy_restart (&w, SIGKILL);
    assert_true (toy_until (&w, s_rollback_started, 30000));
    assert_true (toy_until (&w, toy_recovered, 30000));
    s_check_interrupted (&w, "emergency", "apply");
    assert_true (toy_audited (&w, "recovered", "lat_fix", "never re-applied"));
    json_t *list = toy_ctl_json (&w, "cycles", NULL, NULL);
    json_t *rec = toy_run_of (list, "recovery");
    assert_int_equal (json_integer_value (json_object_get (rec, "rolled_back")),
                      1);
    json_decref (list);
    assert_int_equal (unlink (path), 0);
    toy_world_stop (&w);
}

/*  SIGSTOP of the master during a cycle's settle, past its agents'
    liveness: they give it up and hello again until it answers; SIGCONT,
    and the cycle ends (its verify may have lost seconds of data: kept or
    rolled back, either way settled), the agents are back, nothing was
    applied twice, and no recovery was needed. */
static void
test_stop_master (void **state)
{
    (void)state;
    s_action = "good";
    const char *actions[] = { "good backend lat 0.3 1", NULL };
    toy_world_t w;
    toy_world_start (&w, S_CYCLE, actions);
    toy_wait_data (&w);
    assert_int_equal (
        ht_ctl (&w.m, s_out, sizeof s_out, "run", "optimization", NULL), 0);
    assert_true (toy_until (&w, toy_settling, 20000));
    kill (w.m.proc->pid, SIGSTOP);
    int64_t at = zclock_mono () + 5000; /* liveness is 3 s */
    while (zclock_mono () < at)
        zclock_sleep (50); /* the clock is the condition */
    kill (w.m.proc->pid, SIGCONT);
    assert_int_equal (ht_wait_agents (&w.m, 6, 15000), 6);
    json_t *list = NULL;
    int64_t deadline = zclock_mono () + 60000;
    const char *phase = "";
    while (zclock_mono () < deadline) {
        json_decref (list);
        list = toy_ctl_json (&w, "cycles", NULL, NULL);
        phase = toy_field (toy_run_of (list, "optimization"), "phase");
        if (streq (phase, "done"))
            break;
        zclock_sleep (200); /* a short step between looks */
    }
    assert_string_equal (phase, "done");
    json_t *run = toy_run_of (list, "optimization");
    int64_t kept = json_integer_value (json_object_get (run, "kept"));
    int64_t undone = json_integer_value (json_object_get (run, "rolled_back"));
    assert_int_equal (kept + undone, 1);
    assert_true (kept ? toy_knob (&w, "good") : !toy_knob (&w, "good"));
    assert_null (toy_run_of (list, "recovery"));
    json_decref (list);
    assert_int_equal (toy_count (&w, "good", "apply"), 1);
    toy_world_stop (&w);
}

int
main (int argc, char *argv[])
{
    int rc = toy_main (argc, argv);
    if (rc >= 0)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_kill_in_analyze, ht_teardown),
        cmocka_unit_test_teardown (test_kill_in_settle, ht_teardown),
        cmocka_unit_test_teardown (test_kill_in_rollback, ht_teardown),
        cmocka_unit_test_teardown (test_kill_in_emergency, ht_teardown),
        cmocka_unit_test_teardown (test_stop_master, ht_teardown),
    };
    return cmocka_run_group_tests_name ("recovery", tests, NULL, NULL);
}
