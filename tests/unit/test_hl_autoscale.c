/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_autoscale - the autoscaler's rules in virtual time, a sample
    a second: it grows after the window and not before, one step, then
    waits its up cooldown; it shrinks only after the stabilisation
    window, a step per down cooldown, never below min nor above max; a
    count outside min..max is brought in; a wait that crosses the target
    back and forth moves nothing; a growth no node has room for holds
    the next; a held decision is told once a window; the status.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../master/hl_autoscale.h"

#define S_ROLE HL_ROLE_ATHENA_API

/*  min 1, max 3, target 500 ms, window 10 s, up cooldown 30 s, down
    cooldown 60 s, stabilisation 300 s. */
static hl_config_autoscale_t
s_group (void)
{
    hl_config_autoscale_t g = { S_ROLE, 1, 3, 1, 500, 10, 30, 60, 300 };
    return g;
}

/*  The scaler and the count it manages, as the master would apply. */
typedef struct {
    hl_autoscale_t *scaler;
    int desired;
    int ups, downs, helds, clamps;
    int64_t last_up_s, last_down_s; /* when, or -1 */
    hl_autoscale_decision_t last;
} s_env_t;

static void
s_env (s_env_t *env, const hl_config_autoscale_t *g, int desired)
{
    memset (env, 0, sizeof *env);
    env->scaler = hl_autoscale_new (g, 1);
    env->desired = desired;
    env->last_up_s = env->last_down_s = -1;
}

/*  One sample at second t with wait_ms; the decision applied. */
static hl_autoscale_verb_t
s_sample (s_env_t *env, int64_t t, int64_t wait_ms, int unplaced)
{
    hl_autoscale_decision_t d;
    hl_autoscale_verb_t verb = hl_autoscale_step (
        env->scaler, S_ROLE, t * 1000, wait_ms, env->desired, unplaced, &d);
    if (verb == HL_AUTOSCALE_NONE)
        return verb;
    assert_int_equal (d.verb, verb);
    assert_int_equal (d.role, S_ROLE);
    assert_int_equal (d.from, env->desired < 0 ? 0 : env->desired);
    assert_int_equal (d.target_ms, 500);
    assert_true (strlen (d.reason) > 0);
    env->last = d;
    switch (verb) {
        case HL_AUTOSCALE_UP:
            env->ups++;
            env->last_up_s = t;
            break;
        case HL_AUTOSCALE_DOWN:
            env->downs++;
            env->last_down_s = t;
            break;
        case HL_AUTOSCALE_HELD:
            assert_int_equal (d.to, d.from);
            env->helds++;
            break;
        default:
            env->clamps++;
    }
    env->desired = d.to;
    return verb;
}

/*  Samples from second t0 to t1 (inclusive) of one wait. */
static void
s_run (s_env_t *env, int64_t t0, int64_t t1, int64_t wait_ms)
{
    for (int64_t t = t0; t <= t1; t++)
        s_sample (env, t, wait_ms, 0);
}

static void
test_grows_after_window (void **state)
{
    (void)state;
    hl_config_autoscale_t g = s_group ();
    s_env_t env;
    s_env (&env, &g, 1);
    s_run (&env, 0, 9, 800); /* over target, not yet for the window */
    assert_int_equal (env.ups, 0);
    assert_int_equal (env.desired, 1);
    assert_int_equal (s_sample (&env, 10, 700, 0), HL_AUTOSCALE_UP);
    assert_int_equal (env.desired, 2);
    assert_int_equal (env.last.wait_ms, 700); /* the lowest of the run */
    assert_non_null (strstr (env.last.reason, "over 700 ms"));
    assert_non_null (strstr (env.last.reason, "target 500 ms"));

    //  Still over: held by the up cooldown, told once a window
    s_run (&env, 11, 39, 900);
    assert_int_equal (env.ups, 1);
    assert_int_equal (env.helds, 3); /* at 11, 21, 31 */
    assert_non_null (strstr (env.last.reason, "up cooldown"));
    assert_int_equal (s_sample (&env, 40, 900, 0), HL_AUTOSCALE_UP);
    assert_int_equal (env.desired, 3);

    //  At max: held, never past it
    s_run (&env, 41, 200, 5000);
    assert_int_equal (env.desired, 3);
    assert_int_equal (env.ups, 2);
    assert_non_null (strstr (env.last.reason, "at max 3"));
    assert_true (env.helds <= 3 + 160 / 10 + 1);
    hl_autoscale_destroy (&env.scaler);
    assert_null (env.scaler);
}

static void
test_step_and_max (void **state)
{
    (void)state;
    hl_config_autoscale_t g = s_group ();
    g.step = 4;
    g.max = 6;
    g.up_cooldown_s = 0;
    s_env_t env;
    s_env (&env, &g, 1);
    s_run (&env, 0, 10, 1000);
    assert_int_equal (env.desired, 5);
    s_run (&env, 11, 11, 1000);
    assert_int_equal (env.desired, 6); /* step, but not past max */
    hl_autoscale_destroy (&env.scaler);
}

static void
test_stabilises_before_shrinking (void **state)
{
    (void)state;
    hl_config_autoscale_t g = s_group ();
    s_env_t env;
    s_env (&env, &g, 3);
    s_run (&env, 0, 299, 0); /* an empty queue waits 0 */
    assert_int_equal (env.downs, 0);
    assert_int_equal (env.desired, 3);
    assert_int_equal (s_sample (&env, 300, 100, 0), HL_AUTOSCALE_DOWN);
    assert_int_equal (env.desired, 2);
    assert_int_equal (env.last.wait_ms, 100); /* the highest of the run */
    assert_non_null (strstr (env.last.reason, "at most 100 ms"));

    //  One step a down cooldown, never below min
    s_run (&env, 301, 359, 0);
    assert_int_equal (env.desired, 2);
    assert_true (env.helds >= 1);
    assert_non_null (strstr (env.last.reason, "down cooldown"));
    assert_int_equal (s_sample (&env, 360, 0, 0), HL_AUTOSCALE_DOWN);
    assert_int_equal (env.desired, 1);
    int helds = env.helds;
    s_run (&env, 361, 2000, 0);
    assert_int_equal (env.desired, 1);
    assert_int_equal (env.downs, 2);
    assert_int_equal (env.helds, helds); /* at min: nothing is wanted */
    hl_autoscale_destroy (&env.scaler);
}

/*  A single sample over target starts the stabilisation again. */
static void
test_one_peak_restarts_stabilisation (void **state)
{
    (void)state;
    hl_config_autoscale_t g = s_group ();
    s_env_t env;
    s_env (&env, &g, 2);
    s_run (&env, 0, 298, 0);
    s_run (&env, 299, 299, 600);
    s_run (&env, 300, 598, 0);
    assert_int_equal (env.desired, 2);
    assert_int_equal (env.ups + env.downs, 0);
    s_run (&env, 599, 600, 0);
    assert_int_equal (env.desired, 1);
    assert_int_equal (env.last_down_s, 600);
    hl_autoscale_destroy (&env.scaler);
}

static void
test_clamps (void **state)
{
    (void)state;
    hl_config_autoscale_t g = s_group ();
    s_env_t env;
    s_env (&env, &g, -1); /* no count set: min */
    assert_int_equal (s_sample (&env, 0, 0, 0), HL_AUTOSCALE_CLAMP);
    assert_int_equal (env.desired, 1);
    assert_non_null (strstr (env.last.reason, "no count set"));
    env.desired = 0; /* an operator's scale below min */
    assert_int_equal (s_sample (&env, 1, 0, 0), HL_AUTOSCALE_CLAMP);
    assert_int_equal (env.desired, 1);
    env.desired = 9; /* and above max */
    assert_int_equal (s_sample (&env, 2, 0, 0), HL_AUTOSCALE_CLAMP);
    assert_int_equal (env.desired, 3);
    assert_non_null (strstr (env.last.reason, "outside 1..3"));
    assert_int_equal (s_sample (&env, 3, 0, 0), HL_AUTOSCALE_NONE);
    hl_autoscale_destroy (&env.scaler);

    //  min 0: no count set is fine as it is
    g.min = 0;
    s_env (&env, &g, -1);
    assert_int_equal (s_sample (&env, 0, 0, 0), HL_AUTOSCALE_NONE);
    hl_autoscale_destroy (&env.scaler);
}

/*  Over and under target by turns, each shorter than the windows: the
    count never moves. */
static void
test_flapping_wait_holds_count (void **state)
{
    (void)state;
    hl_config_autoscale_t g = s_group ();
    g.stabilisation_s = 20;
    g.up_cooldown_s = g.down_cooldown_s = 0;
    s_env_t env;
    s_env (&env, &g, 2);
    for (int64_t t = 0; t < 1000; t++)
        s_sample (&env, t, (t / 5) % 2 ? 2000 : 0, 0);
    assert_int_equal (env.desired, 2);
    assert_int_equal (env.ups + env.downs + env.helds, 0);
    //  Once it stays over, it grows after the window
    s_run (&env, 1000, 1010, 2000);
    assert_int_equal (env.desired, 3);
    hl_autoscale_destroy (&env.scaler);
}

/*  A growth no node has room for holds the next one. */
static void
test_unplaced_holds (void **state)
{
    (void)state;
    hl_config_autoscale_t g = s_group ();
    s_env_t env;
    s_env (&env, &g, 1);
    for (int64_t t = 0; t <= 10; t++)
        s_sample (&env, t, 900, 1);
    assert_int_equal (env.desired, 1);
    assert_int_equal (env.helds, 1);
    assert_non_null (strstr (env.last.reason, "1 agents have no node"));
    hl_autoscale_destroy (&env.scaler);
}

static void
test_roles_and_status (void **state)
{
    (void)state;
    hl_config_autoscale_t g[2] = { s_group (), s_group () };
    g[1].role = HL_ROLE_PROMETHEUS_FRONTEND;
    g[1].max = 5;
    hl_autoscale_t *a = hl_autoscale_new (g, 2);
    assert_true (hl_autoscale_manages (a, S_ROLE));
    assert_true (hl_autoscale_manages (a, HL_ROLE_PROMETHEUS_FRONTEND));
    assert_false (hl_autoscale_manages (a, HL_ROLE_ATHENA_UX));
    assert_false (hl_autoscale_manages (a, -1));
    assert_false (hl_autoscale_manages (a, HL_ROLE_COUNT));
    hl_autoscale_decision_t d;
    assert_int_equal (
        hl_autoscale_step (a, HL_ROLE_ATHENA_UX, 0, 9000, 1, 0, &d),
        HL_AUTOSCALE_NONE);
    assert_int_equal (hl_autoscale_step (a, S_ROLE, 0, 9000, 5, 0, &d),
                      HL_AUTOSCALE_CLAMP);
    assert_int_equal (hl_autoscale_step (a, S_ROLE, 4000, 9000, 3, 0, &d),
                      HL_AUTOSCALE_NONE);
    hl_value_t *st = hl_autoscale_status (a, 7000);
    assert_int_equal (hl_value_size (st), 2);
    const hl_value_t *api = hl_value_get (st, "athena-api");
    assert_int_equal (hl_value_get_int (api, "min", -1), 1);
    assert_int_equal (hl_value_get_int (api, "max", -1), 3);
    assert_int_equal (hl_value_get_int (api, "target_wait_ms", -1), 500);
    assert_int_equal (hl_value_get_int (api, "desired", -1), 3);
    assert_int_equal (hl_value_get_int (api, "wait_ms", -1), 9000);
    assert_int_equal (hl_value_get_int (api, "over_s", -1), 7);
    const hl_value_t *last = hl_value_get (api, "last");
    assert_string_equal (hl_value_get_str (last, "decision", ""), "clamp");
    assert_int_equal (hl_value_get_int (last, "from", -1), 5);
    assert_int_equal (hl_value_get_int (last, "to", -1), 3);
    assert_int_equal (hl_value_get_int (last, "ago_s", -1), 7);
    const hl_value_t *pf = hl_value_get (st, "prometheus-frontend");
    assert_int_equal (hl_value_get_int (pf, "max", -1), 5);
    assert_null (hl_value_get (pf, "desired")); /* never sampled */
    assert_null (hl_value_get (pf, "last"));
    hl_value_destroy (&st);
    assert_string_equal (hl_autoscale_verb_name (HL_AUTOSCALE_HELD), "held");
    assert_string_equal (hl_autoscale_verb_name ((hl_autoscale_verb_t)99),
                         "none");
    hl_autoscale_destroy (&a);
    hl_autoscale_destroy (&a); /* NULL is fine */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_grows_after_window),
        cmocka_unit_test (test_step_and_max),
        cmocka_unit_test (test_stabilises_before_shrinking),
        cmocka_unit_test (test_one_peak_restarts_stabilisation),
        cmocka_unit_test (test_clamps),
        cmocka_unit_test (test_flapping_wait_holds_count),
        cmocka_unit_test (test_unplaced_holds),
        cmocka_unit_test (test_roles_and_status),
    };
    return cmocka_run_group_tests_name ("hl_autoscale", tests, NULL, NULL);
}
