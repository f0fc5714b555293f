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

#define S_RATE 20    /* samples per second per metric */
#define S_NOISE 0.05 /* relative standard deviation */
#define S_WINDOW 10  /* verify_window, seconds: min_n 8 with room */
#define S_CYCLE_MS 60000

static char s_self[4096]; /* this binary: the toy runs as "self toy" */

//  --------------------------------------------------------------------
//  The toy: three metrics, and what each knob file truly does to them

static const char *s_names[] = { "lat", "err", "ux" };
static const double s_base[] = { 20.0, 2.0, 80.0 };

static const struct {
    const char *knob;
    double factor[3]; /* lat, err, ux */
} s_effects[] = {
    { "good", { 0.6, 1, 1 } },      { "harm", { 1.6, 1, 1 } },
    { "guarded", { 1.5, 0.5, 1 } }, { "sidefx", { 0.7, 1, 1.6 } },
    { "ux_fix", { 1, 1, 0.7 } },    { "lat_fix", { 0.12, 1, 1 } },
    { "lat_bad", { 1.3, 1, 1 } },   { "incident", { 8, 1, 1 } },
};

static volatile sig_atomic_t s_toy_stop;

static void
s_toy_on_term (int sig)
{
    (void)sig;
    s_toy_stop = 1;
}

static bool
s_knob (const char *dir, const char *name)
{
    char path[512];
    snprintf (path, sizeof path, "%s/knob_%s", dir, name);
    return access (path, F_OK) == 0;
}

static int
s_toy_run (const char *dir, const char *bus_in)
{
    zsys_init ();
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_toy_on_term;
    sigaction (SIGTERM, &sa, NULL);
    zsock_t *pub = hl_sock_publisher (bus_in, NULL);
    if (!pub)
        return 1;
    while (!s_toy_stop && hl_sock_publisher_wait (pub, 200) != 0)
        ;
    if (!s_toy_stop) {
        printf ("READY\n");
        fflush (stdout);
    }
    hl_rand_t rand;
    hl_rand_seed (&rand, 7);
    int64_t next = zclock_mono ();
    while (!s_toy_stop) {
        double level[3] = { s_base[0], s_base[1], s_base[2] };
        for (size_t k = 0; k < sizeof s_effects / sizeof *s_effects; k++)
            if (s_knob (dir, s_effects[k].knob))
                for (int m = 0; m < 3; m++)
                    level[m] *= s_effects[k].factor[m];
        hl_msg_t *batch = hl_msg_new (HL_MSG_METRICS);
        int64_t now = hl_msg_now_us ();
        for (int m = 0; m < 3; m++) {
            double z = hl_rand_normal (&rand);
            z = z > 3 ? 3 : z < -3 ? -3 : z;
            hl_msg_add_sample (batch, s_names[m], level[m] * (1 + S_NOISE * z),
                               now, NULL);
        }
        hl_bus_send (pub, &batch);
        hl_sock_publisher_wait (pub, 0);
        next += 1000 / S_RATE;
        int64_t wait = next - zclock_mono ();
        if (wait > 0)
            zclock_sleep ((int)wait);
        else if (wait < -1000)
            next = zclock_mono ();
    }
    zsock_destroy (&pub);
    return 0;
}

//  --------------------------------------------------------------------
//  The world: master, toy, six agents, a playbook of the case's choosing

typedef struct {
    ht_master_t m;
    char clients[400];
    ht_proc_t *toy;
    ht_proc_t *agents[6];
} s_world_t;

/*  lat is key: at critical it takes health under the emergency line. */
#define S_METRICS                                                              \
    "metrics = (\n"                                                            \
    "  { name = \"lat\"; category = \"backend\"; unit = \"ms\";\n"             \
    "    better = \"lower\"; stat = \"mean\"; target = 10.0;\n"                \
    "    critical = 50.0; key = true; },\n"                                    \
    "  { name = \"err\"; category = \"business\"; unit = \"%%\";\n"            \
    "    better = \"lower\"; stat = \"mean\"; target = 1.0;\n"                 \
    "    critical = 6.0; },\n"                                                 \
    "  { name = \"ux\"; category = \"frontend\"; unit = \"ms\";\n"             \
    "    better = \"lower\"; stat = \"mean\"; target = 50.0;\n"                \
    "    critical = 300.0; key = true; } );\n"

/*  One action: name, swarm, its target, what it claims. */
static void
s_action (char *out, size_t size, const char *dir, const char *name,
          const char *swarm, const char *target, double expected, double cost)
{
    size_t used = strlen (out);
    snprintf (out + used, size - used,
              "%s  { name = \"%s\"; swarm = \"%s\"; improves = [\"%s\"];\n"
              "    apply = \"touch %s/knob_%s\"; rollback = \"rm -f "
              "%s/knob_%s\";\n"
              "    timeout = 10; expected = %g; cost = %g; }",
              used > 12 ? ",\n" : "", name, swarm, target, dir, name, dir, name,
              expected, cost);
}

/*  Start the world with cycle settings and the playbook actions[] (each
    "name swarm target expected cost"). */
static void
s_world_start (s_world_t *w, const char *cycle, const char *const *actions)
{
    memset (w, 0, sizeof *w);
    ht_tmpdir (w->m.dir, sizeof w->m.dir);
    char playbook[8192] = "actions = (\n";
    for (size_t i = 0; actions[i]; i++) {
        char name[32], swarm[16], target[16];
        double expected, cost;
        assert_int_equal (sscanf (actions[i], "%31s %15s %15s %lf %lf", name,
                                  swarm, target, &expected, &cost),
                          5);
        s_action (playbook, sizeof playbook, w->m.dir, name, swarm, target,
                  expected, cost);
    }
    strcat (playbook, " );\n");
    char metrics[2048];
    snprintf (metrics, sizeof metrics, S_METRICS);
    char extra[16384];
    snprintf (extra, sizeof extra,
              "health = { target = 85; window = 4; };\n%s%s%s", cycle, metrics,
              playbook);
    ht_write_config (w->m.dir, NULL, NULL, extra, w->m.config,
                     sizeof w->m.config);
    assert_true (ht_master_launch (&w->m));
    snprintf (w->clients, sizeof w->clients, "%s/clients.cfg", w->m.dir);
    FILE *f = fopen (w->clients, "w");
    assert_non_null (f);
    fprintf (f,
             "master = { state_dir = \"%s/state\"; };\n"
             "connect = { tasks = \"%s\"; control = \"%s\"; "
             "bus_in = \"%s\"; bus_out = \"%s\"; };\n%s",
             w->m.dir, w->m.tasks, w->m.control, w->m.bus_in, w->m.bus_out,
             extra);
    fclose (f);
    const char *toy_argv[] = { s_self, "toy", w->m.dir, w->m.bus_in, NULL };
    w->toy = ht_start (toy_argv);
    assert_non_null (w->toy);
    char line[256];
    assert_true (ht_read_line (w->toy, line, sizeof line, 10000));
    assert_string_equal (line, "READY");
    static const char *roles[]
        = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
            "hephaestus-backend",  "athena-ux",          "athena-api" };
    for (int i = 0; i < 6; i++) {
        const char *argv[] = {
            ht_bin ("helios-agent"), "-c", w->clients, "--role", roles[i], NULL
        };
        w->agents[i] = ht_start (argv);
    }
    assert_int_equal (ht_wait_agents (&w->m, 6, 5000), 6);
}

static void
s_world_stop (s_world_t *w)
{
    for (int i = 0; i < 6; i++)
        assert_int_equal (ht_stop (&w->agents[i], 10000), 0);
    assert_int_equal (ht_stop (&w->toy, 5000), 0);
    assert_int_equal (ht_master_stop (&w->m), 0);
}

static const hl_value_t *
s_data (hl_msg_t *reply)
{
    assert_non_null (reply);
    return hl_msg_data (reply);
}

/*  Wait until every metric has a window of data behind it. */
static void
s_wait_data (s_world_t *w)
{
    int64_t deadline = zclock_mono () + 30000;
    while (zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (&w->m, "status", NULL);
        const hl_value_t *d = s_data (status);
        bool ready = hl_value_size (
                         hl_value_get (hl_value_get (d, "health"), "nodata"))
                         == 0
                     && hl_value_get_double (d, "uptime_s", 0) > S_WINDOW + 3;
        hl_msg_destroy (&status);
        if (ready)
            return;
        zclock_sleep (200); /* a short step between polls */
    }
    fail_msg ("no data within 30 s");
}

/*  One cycle, run and waited for: its report (caller decrefs). */
static json_t *
s_cycle (s_world_t *w)
{
    static char out[1 << 20];
    assert_int_equal (ht_ctl (&w->m, out, sizeof out, "-t", "60000", "run",
                              "optimization", "--wait", "--json", NULL),
                      0);
    json_t *report = json_loads (out, 0, NULL);
    assert_non_null (report);
    if (getenv ("HT_VERBOSE")) {
        size_t i;
        json_t *a;
        json_array_foreach (json_object_get (report, "actions"), i, a) {
            fprintf (stderr, "cycle %d: %s %s %s\n",
                     (int)json_integer_value (json_object_get (report, "id")),
                     json_string_value (json_object_get (a, "name")),
                     json_string_value (json_object_get (a, "verdict")),
                     json_string_value (json_object_get (a, "outcome")));
        }
    }
    return report;
}

/*  The action of report named name, or NULL. */
static json_t *
s_act (json_t *report, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (report, "actions"), i, a) {
        if (streq (json_string_value (json_object_get (a, "name")), name))
            return a;
    }
    return NULL;
}

static bool
s_bool (const hl_value_t *map, const char *key)
{
    bool b = false;
    hl_value_bool (hl_value_get (map, key), &b);
    return b;
}

static const char *
s_field (json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text ? text : "";
}

/*  Cycles back to back until pred is true of a report (its actions'
    verdicts seen so far); each empty cycle (earlier changes settling,
    windows not clean yet) is followed by a short step. Returns the
    number of cycles run. */
typedef bool (s_pred_fn) (json_t *report, void *arg);

static int
s_cycles_until (s_world_t *w, s_pred_fn *pred, void *arg)
{
    int64_t deadline = zclock_mono () + 150000;
    for (int c = 1;; c++) {
        assert_true (zclock_mono () < deadline);
        json_t *report = s_cycle (w);
        bool done = pred (report, arg);
        if (json_array_size (json_object_get (report, "actions")) == 0)
            zclock_sleep (250); /* a short step before the next cycle */
        json_decref (report);
        if (done)
            return c;
    }
}

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
    json_t *harm = s_act (report, "harm"), *good = s_act (report, "good");
    if (harm) {
        t->harm_applied++;
        if (streq (s_field (harm, "verdict"), "regressed")) {
            t->harm_regressed++;
            assert_string_equal (s_field (harm, "outcome"), "rolled_back");
        }
    }
    if (good && streq (s_field (good, "outcome"), "kept")) {
        assert_string_equal (s_field (good, "verdict"), "improved");
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
    s_world_t w;
    const char *actions[]
        = { "harm backend lat 0.6 1", "good backend lat 0.3 1", NULL };
    s_world_start (&w, S_BACK_TO_BACK, actions);
    s_wait_data (&w);
    s_tally_t t = { 0 };
    s_cycles_until (&w, s_tally, &t);
    assert_int_equal (t.harm_applied, 1);
    assert_int_equal (t.harm_regressed, 1);
    assert_int_equal (t.good_kept, 1);
    assert_true (t.good_waited);
    for (int c = 0; c < 3; c++) {
        json_t *report = s_cycle (&w);
        assert_null (s_act (report, "harm"));
        size_t i;
        json_t *cand;
        json_array_foreach (json_object_get (report, "candidates"), i, cand) {
            if (streq (s_field (cand, "action"), "harm")) {
                assert_string_equal (s_field (cand, "reason"), "quarantined");
                assert_true (strlen (s_field (cand, "until")) > 10);
            }
        }
        json_decref (report);
    }
    //  What learning shows: harm tried once, measured harmful, quarantined
    hl_msg_t *reply = (hl_msg_t *)ht_request (&w.m, "actions", NULL);
    const hl_value_t *harm = hl_value_get (s_data (reply), "harm");
    assert_int_equal (hl_value_get_int (harm, "trials", 0), 1);
    assert_int_equal (hl_value_get_int (harm, "failures", 0), 1);
    assert_non_null (hl_value_get_str (harm, "quarantined_until", NULL));
    const hl_value_t *effect
        = hl_value_get (hl_value_get (harm, "effects"), "lat");
    assert_true (hl_value_get_double (effect, "measured_mean", 0) < -0.3);
    assert_true (hl_value_get_double (effect, "mean", 1) < 0.6);
    const hl_value_t *good = hl_value_get (s_data (reply), "good");
    assert_true (s_bool (good, "in_effect"));
    hl_msg_destroy (&reply);
    //  Released by hand, it may be proposed again
    char out[4096];
    assert_int_equal (
        ht_ctl (&w.m, out, sizeof out, "action", "release", "harm", NULL), 0);
    assert_int_equal (
        ht_ctl (&w.m, out, sizeof out, "action", "release", "harm", NULL),
        1); /* no longer quarantined */
    s_world_stop (&w);
}

/*  guarded halves the error rate, its target, and makes lat (a key
    metric, so a guard by default) half again as slow: regressed on lat,
    rolled back, though its target improved. */
static void
test_guard (void **state)
{
    (void)state;
    s_world_t w;
    const char *actions[] = { "guarded backend err 0.3 1", NULL };
    s_world_start (&w, S_BACK_TO_BACK, actions);
    s_wait_data (&w);
    json_t *report = s_cycle (&w);
    json_t *a = s_act (report, "guarded");
    assert_non_null (a);
    assert_string_equal (s_field (a, "verdict"), "regressed");
    assert_string_equal (s_field (a, "regressed_on"), "lat");
    assert_string_equal (s_field (a, "outcome"), "rolled_back");
    size_t i;
    json_t *m;
    bool target_improved = false, guard_regressed = false;
    json_array_foreach (json_object_get (a, "metrics"), i, m) {
        if (streq (s_field (m, "name"), "err"))
            target_improved = streq (s_field (m, "verdict"), "improved");
        if (streq (s_field (m, "name"), "lat"))
            guard_regressed = streq (s_field (m, "verdict"), "regressed");
    }
    assert_true (target_improved);
    assert_true (guard_regressed);
    assert_false (s_knob (w.m.dir, "guarded"));
    json_decref (report);
    s_world_stop (&w);
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
    json_t *ux = s_act (report, "ux_fix"), *sfx = s_act (report, "sidefx");
    if (ux && sfx) {
        p->together++;
        p->confounded += streq (s_field (ux, "verdict"), "confounded");
        p->confounded += streq (s_field (sfx, "verdict"), "confounded");
        //  the innocent change is never judged regressed beside the other
        assert_string_not_equal (s_field (ux, "verdict"), "regressed");
    } else if (ux)
        snprintf (p->ux_fix, sizeof p->ux_fix, "%s", s_field (ux, "verdict"));
    else if (sfx)
        snprintf (p->sidefx, sizeof p->sidefx, "%s", s_field (sfx, "verdict"));
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
    s_world_t w;
    const char *actions[]
        = { "sidefx backend lat 0.3 1", "ux_fix frontend ux 0.3 1", NULL };
    s_world_start (&w,
                   "cycle = { duration = 3600; max_concurrent = 2; "
                   "cooldown = 0;\n settle = 2; verify_window = 10;\n};\n",
                   actions);
    s_wait_data (&w);
    s_pair_t p = { 0 };
    s_cycles_until (&w, s_pair, &p);
    assert_int_equal (p.together, 1);
    assert_true (p.confounded >= 1);
    assert_string_equal (p.ux_fix, "improved");
    assert_string_equal (p.sidefx, "regressed");
    hl_msg_t *reply = (hl_msg_t *)ht_request (&w.m, "actions", NULL);
    const hl_value_t *ux = hl_value_get (s_data (reply), "ux_fix");
    assert_null (hl_value_get_str (ux, "quarantined_until", NULL));
    assert_true (s_bool (ux, "in_effect"));
    assert_int_equal (hl_value_get_int (ux, "failures", -1), 0);
    assert_non_null (hl_value_get_str (hl_value_get (s_data (reply), "sidefx"),
                                       "quarantined_until", NULL));
    hl_msg_destroy (&reply);
    s_world_stop (&w);
}

/*  Until the emergency is over: status's emergency inactive after one. */
static void
s_wait_emergency_over (s_world_t *w, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    bool seen = false;
    while (zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (&w->m, "status", NULL);
        const hl_value_t *em = hl_value_get (
            hl_value_get (s_data (status), "cycle"), "emergency");
        bool active = s_bool (em, "active");
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
    json_t *a = s_act (report, "lat_bad");
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
    s_world_t w;
    const char *actions[]
        = { "lat_bad backend lat 0.9 1", "lat_fix backend lat 0.5 1", NULL };
    s_world_start (&w,
                   "cycle = { duration = 3600; max_concurrent = 2; "
                   "cooldown = 0;\n settle = 2; verify_window = 10;\n};\n"
                   "emergency = { threshold = 50; max_issues = 2; };\n",
                   actions);
    s_wait_data (&w);
    char path[512];
    snprintf (path, sizeof path, "%s/knob_incident", w.m.dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fclose (f);
    s_wait_emergency_over (&w, 60000);
    json_t *a = NULL;
    s_cycles_until (&w, s_rechecked, &a);
    assert_string_equal (s_field (a, "verdict"), "regressed");
    assert_string_equal (s_field (a, "outcome"), "rolled_back");
    json_decref (a);
    assert_false (s_knob (w.m.dir, "lat_bad"));
    assert_true (s_knob (w.m.dir, "lat_fix"));
    hl_msg_t *reply = (hl_msg_t *)ht_request (&w.m, "actions", NULL);
    assert_non_null (hl_value_get_str (hl_value_get (s_data (reply), "lat_bad"),
                                       "quarantined_until", NULL));
    hl_msg_destroy (&reply);
    unlink (path);
    s_world_stop (&w);
}

int
main (int argc, char *argv[])
{
    if (argc == 4 && streq (argv[1], "toy"))
        return s_toy_run (argv[2], argv[3]);
    ssize_t len = readlink ("/proc/self/exe", s_self, sizeof s_self - 1);
    if (len <= 0) {
        fprintf (stderr, "test_judgement: cannot find its own binary\n");
        return 1;
    }
    s_self[len] = 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_harm_once_good_kept, ht_teardown),
        cmocka_unit_test_teardown (test_guard, ht_teardown),
        cmocka_unit_test_teardown (test_side_effect, ht_teardown),
        cmocka_unit_test_teardown (test_emergency_recheck, ht_teardown),
    };
    return cmocka_run_group_tests_name ("judgement", tests, NULL, NULL);
}
