/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_judgement - Helios's decisions across cycles (design §5a) against
    a toy service of this test's own, whose knobs are files and whose
    true effects are known: a harmful action is applied once, judged
    regressed, rolled back and not applied again while the good one is
    kept on a clean baseline; a guard's regression rolls back an action
    that improved its target; two changes run together, one with a side
    effect on the other's metric, are not blamed for each other but
    retried apart and judged on their own; an emergency's unproven
    change is rechecked afterwards and rolled back because it regressed.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_rand.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"
#include "harness.h"
#include "toy.h"

#define TOY_RATE 20    /* samples per second per metric */
#define TOY_NOISE 0.05 /* relative standard deviation */
#define TOY_WINDOW 10  /* verify_window, seconds: min_n 8 with room */

//  --------------------------------------------------------------------
//  The cases

#define S_BACK_TO_BACK                                                         \
    "cycle = { duration = 3600; max_concurrent = 1; cooldown = 0;\n"           \
    "          settle = 2; verify_window = 10; };\n"

typedef struct {
    int harm_applied, harm_regressed, good_kept;
    bool good_waited; /* was held back for a clean baseline */
} s_tally_t;

static bool
s_tally (json_t *report, void *arg)
{
    s_tally_t *t = (s_tally_t *)arg;
    json_t *harm = toy_act (report, "harm"), *good = toy_act (report, "good");
    if (harm) {
        t->harm_applied++;
        if (streq (toy_field (harm, "verdict"), "regressed")) {
            t->harm_regressed++;
            assert_string_equal (toy_field (harm, "outcome"), "rolled_back");
        }
    }
    if (good && streq (toy_field (good, "outcome"), "kept")) {
        assert_string_equal (toy_field (good, "verdict"), "improved");
        t->good_kept++;
    }
    //  the cycle that applied it waited for a baseline clean of harm's
    //  rollback
    if (good && json_number_value (json_object_get (report, "waited_s")) > 0)
        t->good_waited = true;
    return t->harm_regressed && t->good_kept;
}

/*  The harmful action claims more than the good one, so it is explored
    first, alone: judged regressed, rolled back, quarantined. The good
    one waits for a baseline clean of that rollback, then is kept. Three
    cycles more never apply the harmful one. */
static void
test_harm_once_good_kept (void **state)
{
    (void)state;
    toy_world_t w;
    const char *actions[]
        = { "harm backend lat 0.6 1", "good backend lat 0.3 1", NULL };
    toy_world_start (&w, S_BACK_TO_BACK, actions);
    toy_wait_data (&w);
    s_tally_t t = { 0 };
    toy_cycles_until (&w, s_tally, &t);
    assert_int_equal (t.harm_applied, 1);
    assert_int_equal (t.harm_regressed, 1);
    assert_int_equal (t.good_kept, 1);
    assert_true (t.good_waited);
    for (int c = 0; c < 3; c++) {
        json_t *report = toy_cycle (&w);
        assert_null (toy_act (report, "harm"));
        size_t i;
        json_t *cand;
        json_array_foreach (json_object_get (report, "candidates"), i, cand) {
            if (streq (toy_field (cand, "action"), "harm")) {
                assert_string_equal (toy_field (cand, "reason"), "quarantined");
                assert_true (strlen (toy_field (cand, "until")) > 10);
            }
        }
        json_decref (report);
    }
    //  What learning shows: harm tried once, measured harmful, quarantined
    hl_msg_t *reply = (hl_msg_t *)ht_request (&w.m, "actions", NULL);
    const hl_value_t *harm = hl_value_get (toy_data (reply), "harm");
    assert_int_equal (hl_value_get_int (harm, "trials", 0), 1);
    assert_int_equal (hl_value_get_int (harm, "failures", 0), 1);
    assert_non_null (hl_value_get_str (harm, "quarantined_until", NULL));
    const hl_value_t *effect
        = hl_value_get (hl_value_get (harm, "effects"), "lat");
    assert_true (hl_value_get_double (effect, "measured_mean", 0) < -0.3);
    assert_true (hl_value_get_double (effect, "mean", 1) < 0.6);
    const hl_value_t *good = hl_value_get (toy_data (reply), "good");
    assert_true (toy_bool (good, "in_effect"));
    hl_msg_destroy (&reply);
    //  Released by hand, it may be proposed again
    char out[4096];
    assert_int_equal (
        ht_ctl (&w.m, out, sizeof out, "action", "release", "harm", NULL), 0);
    assert_int_equal (
        ht_ctl (&w.m, out, sizeof out, "action", "release", "harm", NULL),
        1); /* no longer quarantined */
    toy_world_stop (&w);
}

/*  guarded halves the error rate, its target, and makes lat (a key
    metric, so a guard by default) half again as slow: regressed on lat,
    rolled back, though its target improved. */
static void
test_guard (void **state)
{
    (void)state;
    toy_world_t w;
    const char *actions[] = { "guarded backend err 0.3 1", NULL };
    toy_world_start (&w, S_BACK_TO_BACK, actions);
    toy_wait_data (&w);
    json_t *report = toy_cycle (&w);
    json_t *a = toy_act (report, "guarded");
    assert_non_null (a);
    assert_string_equal (toy_field (a, "verdict"), "regressed");
    assert_string_equal (toy_field (a, "regressed_on"), "lat");
    assert_string_equal (toy_field (a, "outcome"), "rolled_back");
    size_t i;
    json_t *m;
    bool target_improved = false, guard_regressed = false;
    json_array_foreach (json_object_get (a, "metrics"), i, m) {
        if (streq (toy_field (m, "name"), "err"))
            target_improved = streq (toy_field (m, "verdict"), "improved");
        if (streq (toy_field (m, "name"), "lat"))
            guard_regressed = streq (toy_field (m, "verdict"), "regressed");
    }
    assert_true (target_improved);
    assert_true (guard_regressed);
    assert_false (toy_knob (&w, "guarded"));
    json_decref (report);
    toy_world_stop (&w);
}

typedef struct {
    int together;           /* cycles with both applied */
    int confounded;         /* verdicts confounded */
    char ux_fix[16];        /* its last verdict alone */
    char sidefx[16];        /* ditto */
    int ux_fix_quarantined; /* never, it is innocent */
} s_pair_t;

static bool
s_pair (json_t *report, void *arg)
{
    s_pair_t *p = (s_pair_t *)arg;
    json_t *ux = toy_act (report, "ux_fix"), *sfx = toy_act (report, "sidefx");
    if (ux && sfx) {
        p->together++;
        p->confounded += streq (toy_field (ux, "verdict"), "confounded");
        p->confounded += streq (toy_field (sfx, "verdict"), "confounded");
        //  the innocent change is never judged regressed beside the other
        assert_string_not_equal (toy_field (ux, "verdict"), "regressed");
    } else if (ux)
        snprintf (p->ux_fix, sizeof p->ux_fix, "%s", toy_field (ux, "verdict"));
    else if (sfx)
        snprintf (p->sidefx, sizeof p->sidefx, "%s",
                  toy_field (sfx, "verdict"));
    return *p->ux_fix && *p->sidefx;
}

/*  sidefx speeds up lat but slows ux (a key metric: its guard); ux_fix
    speeds up ux. Run together, ux looks worse for ux_fix: it is not
    blamed (confounded, rolled back, retried alone). sidefx's harm showed
    only on the metric ux_fix aimed at, so it is kept at first; the
    recheck that confirms a first improvement catches it alone. Both end
    judged on their own: ux_fix kept, sidefx regressed on ux. */
static void
test_side_effect (void **state)
{
    (void)state;
    toy_world_t w;
    const char *actions[]
        = { "sidefx backend lat 0.3 1", "ux_fix frontend ux 0.3 1", NULL };
    toy_world_start (&w,
                     "cycle = { duration = 3600; max_concurrent = 2; "
                     "cooldown = 0;\n settle = 2; verify_window = 10;\n};\n",
                     actions);
    toy_wait_data (&w);
    s_pair_t p = { 0 };
    toy_cycles_until (&w, s_pair, &p);
    assert_int_equal (p.together, 1);
    assert_true (p.confounded >= 1);
    assert_string_equal (p.ux_fix, "improved");
    assert_string_equal (p.sidefx, "regressed");
    hl_msg_t *reply = (hl_msg_t *)ht_request (&w.m, "actions", NULL);
    const hl_value_t *ux = hl_value_get (toy_data (reply), "ux_fix");
    assert_null (hl_value_get_str (ux, "quarantined_until", NULL));
    assert_true (toy_bool (ux, "in_effect"));
    assert_int_equal (hl_value_get_int (ux, "failures", -1), 0);
    assert_non_null (hl_value_get_str (
        hl_value_get (toy_data (reply), "sidefx"), "quarantined_until", NULL));
    hl_msg_destroy (&reply);
    toy_world_stop (&w);
}

/*  Until the emergency is over: status's emergency inactive after one. */
static void
s_wait_emergency_over (toy_world_t *w, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    bool seen = false;
    while (zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (&w->m, "status", NULL);
        const hl_value_t *em = hl_value_get (
            hl_value_get (toy_data (status), "cycle"), "emergency");
        bool active = toy_bool (em, "active");
        int64_t count = hl_value_get_int (em, "count", 0);
        hl_msg_destroy (&status);
        seen |= count > 0;
        if (seen && !active)
            return;
        zclock_sleep (250); /* a short step between polls */
    }
    fail_msg ("no emergency came and went within %d ms", timeout_ms);
}

static bool
s_rechecked (json_t *report, void *arg)
{
    json_t **found = (json_t **)arg;
    json_t *a = toy_act (report, "lat_bad");
    if (a && json_is_true (json_object_get (a, "recheck"))) {
        *found = json_deep_copy (a);
        return true;
    }
    return false;
}

/*  An incident takes lat past critical: the emergency's first round has
    no baseline and keeps lat_bad (it claims most) unproven; lat_fix
    follows and ends the emergency. Once it is over, the next cycles
    recheck lat_bad with the normal windows: undoing it makes things
    better, so it stays rolled back and is quarantined. */
static void
test_emergency_recheck (void **state)
{
    (void)state;
    toy_world_t w;
    const char *actions[]
        = { "lat_bad backend lat 0.9 1", "lat_fix backend lat 0.5 1", NULL };
    toy_world_start (&w,
                     "cycle = { duration = 3600; max_concurrent = 2; "
                     "cooldown = 0;\n settle = 2; verify_window = 10;\n};\n"
                     "emergency = { threshold = 50; max_issues = 2; };\n",
                     actions);
    toy_wait_data (&w);
    char path[512];
    snprintf (path, sizeof path, "%s/knob_incident", w.m.dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fclose (f);
    s_wait_emergency_over (&w, 60000);
    json_t *a = NULL;
    toy_cycles_until (&w, s_rechecked, &a);
    assert_string_equal (toy_field (a, "verdict"), "regressed");
    assert_string_equal (toy_field (a, "outcome"), "rolled_back");
    json_decref (a);
    assert_false (toy_knob (&w, "lat_bad"));
    assert_true (toy_knob (&w, "lat_fix"));
    hl_msg_t *reply = (hl_msg_t *)ht_request (&w.m, "actions", NULL);
    assert_non_null (hl_value_get_str (
        hl_value_get (toy_data (reply), "lat_bad"), "quarantined_until", NULL));
    hl_msg_destroy (&reply);
    unlink (path);
    toy_world_stop (&w);
}

int
main (int argc, char *argv[])
{
    int rc = toy_main (argc, argv);
    if (rc >= 0)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_harm_once_good_kept, ht_teardown),
        cmocka_unit_test_teardown (test_guard, ht_teardown),
        cmocka_unit_test_teardown (test_side_effect, ht_teardown),
        cmocka_unit_test_teardown (test_emergency_recheck, ht_teardown),
    };
    return cmocka_run_group_tests_name ("judgement", tests, NULL, NULL);
}
