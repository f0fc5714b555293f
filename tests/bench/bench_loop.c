/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    bench_loop - Helios's judgement over hundreds of back-to-back cycles
    (design §5a). The real planner, learning, judge and decision rules
    (hl_planner, hl_learning, hl_judge, hl_decide), the real tracker and
    briefs (hl_kpi, hl_brief) and Athena's verdict (hl_stats_verdict),
    against a simulated service whose true effects are known: good,
    harmful, placebo, two that conflict, a costly one that is best, one
    whose side effect worsens another's metric; 10% noise, a slow drift,
    virtual time, no sockets. Reports over 200 cycles and 20 seeds how
    often each harmful action was applied inside its quarantine, how many
    cycles the best action took to be kept, whether a placebo stayed, how
    often a good action was quarantined for another's side effect, and
    the regret against an oracle that knows the true effects. Prints
    PASS or FAIL per target; exits 1 if one fails.

    Usage: bench_loop [--cycles N] [--seeds N]
*/
#include <czmq.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../bus/hl_log.h"
#include "../../bus/hl_rand.h"
#include "../../bus/hl_stats.h"
#include "../../master/hl_brief.h"
#include "../../master/hl_decide.h"
#include "../../master/hl_health.h"
#include "../../master/hl_kpi.h"

#define SEC 1000000LL
#define S_METRICS 4
#define S_NOISE 0.10      /* per-second values, relative sd */
#define S_DRIFT 0.05      /* per hour, on every metric */
#define S_SETTLE 2        /* seconds, as configured below */
#define S_WINDOW 10       /* verify_window, seconds */
#define S_QUARANTINE 1800 /* seconds: periods come round within a run */
#define S_MAX_PICKS 4

static const char *s_metric[S_METRICS] = { "m1", "m2", "m3", "m4" };
static const double s_base[S_METRICS] = { 200, 300, 350, 200 };

typedef enum { K_GOOD, K_HARM, K_PLACEBO, K_SIDE } s_kind_t;

/*  An action: what the config claims, and what it truly does. */
static const struct {
    const char *name, *swarm, *improves, *resources;
    double expected, cost;
    double truth[S_METRICS]; /* factor on each metric while in effect */
    s_kind_t kind;
} s_actions[] = {
    { "good_a", "backend", "m1", "", 0.2, 1, { 0.6, 1, 1, 1 }, K_GOOD },
    { "good_b", "frontend", "m2", "", 0.2, 1, { 1, 0.7, 1, 1 }, K_GOOD },
    { "harm_a", "backend", "m1", "", 0.5, 1, { 1.5, 1, 1, 1 }, K_HARM },
    { "harm_b", "frontend", "m3", "", 0.4, 1, { 1, 1, 1.3, 1 }, K_HARM },
    { "placebo", "frontend", "m2", "", 0.3, 0.5, { 1, 1, 1, 1 }, K_PLACEBO },
    { "conf_a", "backend", "m3", "db", 0.2, 1, { 1, 1, 0.75, 1 }, K_GOOD },
    { "conf_b", "backend", "m3", "db", 0.25, 1, { 1, 1, 0.8, 1 }, K_GOOD },
    { "costly_best", "backend", "m4", "", 0.1, 5, { 1, 1, 1, 0.45 }, K_GOOD },
    { "sidefx", "frontend", "m2", "", 0.2, 1, { 1.4, 0.85, 1, 1 }, K_SIDE },
};
#define S_ACTIONS (sizeof s_actions / sizeof s_actions[0])
#define S_BEST 7 /* costly_best */

//  --------------------------------------------------------------------
//  The simulated service

typedef struct {
    hl_config_t *config;
    hl_kpi_t *kpi;
    hl_planner_t *planner;
    hl_learning_t *learning;
    hl_judge_t *judge;
    hl_rand_t noise;
    int64_t t;                            /* virtual now, us */
    int64_t t0;                           /* when the run began */
    bool effect[S_ACTIONS];               /* in effect in the service */
    char rechecks[16][HL_MAX_METRIC + 1]; /* kept changes awaiting a recheck */
    size_t nrechecks;
    //  what this run measured
    int applied_quarantined[S_ACTIONS]; /* applied while quarantined */
    int applied[S_ACTIONS];
    int quarantines[S_ACTIONS];
    int busy_cycles;     /* cycles that changed something */
    int best_kept_at;    /* busy cycle the best was first kept, or 0 */
    int undone_placebos; /* placebo keeps a recheck undid */
    double regret_sum;   /* health points below the oracle, summed */
    double regret_late;  /* ... over the last fifth of the cycles */
    int cycles;
} s_sim_t;

static double
s_level (const s_sim_t *sim, int m, const bool *effect)
{
    double hours = (double)(sim->t - sim->t0) / (3600.0 * SEC);
    double level = s_base[m] * (1 + S_DRIFT * hours);
    for (size_t a = 0; a < S_ACTIONS; a++)
        if (effect[a])
            level *= s_actions[a].truth[m];
    return level;
}

/*  The true health of a set of changes in effect, noise-free. */
static double
s_true_health (const s_sim_t *sim, const bool *effect)
{
    double scores[S_METRICS];
    for (int m = 0; m < S_METRICS; m++)
        scores[m] = hl_health_score_value (hl_config_metric (sim->config, m),
                                           s_level (sim, m, effect));
    return hl_health_combine (sim->config, scores, NULL);
}

/*  The best health any set of changes could give now. */
static double
s_oracle (const s_sim_t *sim)
{
    double best = -1;
    for (unsigned set = 0; set < 1u << S_ACTIONS; set++) {
        bool effect[S_ACTIONS];
        for (size_t a = 0; a < S_ACTIONS; a++)
            effect[a] = set >> a & 1;
        double h = s_true_health (sim, effect);
        if (h > best)
            best = h;
    }
    return best;
}

/*  One virtual second of samples (10 per metric per second). */
static void
s_second (s_sim_t *sim)
{
    for (int m = 0; m < S_METRICS; m++) {
        double level = s_level (sim, m, sim->effect);
        for (int k = 0; k < 10; k++) {
            double z = hl_rand_normal (&sim->noise);
            hl_kpi_add (sim->kpi, s_metric[m], level * (1 + S_NOISE * z),
                        sim->t + k * 100000, sim->t + 999999);
        }
    }
    sim->t += SEC;
}

static size_t
s_index (const char *name)
{
    for (size_t a = 0; a < S_ACTIONS; a++)
        if (streq (s_actions[a].name, name))
            return a;
    return 0;
}

//  --------------------------------------------------------------------
//  Athena, in miniature: each metric of the brief judged on its window

static hl_value_t *
s_verify (s_sim_t *sim, const hl_config_action_t *action,
          const hl_value_t *baseline, int64_t from, int64_t to)
{
    hl_value_t *after
        = hl_brief_metrics (sim->config, sim->kpi, action, from, to);
    hl_value_t *list = hl_value_new_array ();
    for (size_t i = 0; i < hl_value_size (baseline); i++) {
        const hl_value_t *b = hl_value_at (baseline, i);
        const hl_value_t *a = hl_value_at (after, i);
        const hl_value_t *bv = hl_value_get (b, "baseline");
        const hl_value_t *av = hl_value_get (a, "baseline");
        double x[64], y[64];
        size_t n1 = 0, n2 = 0;
        for (size_t k = 0; k < hl_value_size (bv) && n1 < 64; k++)
            hl_value_double (hl_value_at (bv, k), &x[n1++]);
        for (size_t k = 0; k < hl_value_size (av) && n2 < 64; k++)
            hl_value_double (hl_value_at (av, k), &y[n2++]);
        hl_stats_verdict_t v;
        hl_stats_verdict (
            x, n1, y, n2, streq (hl_value_get_str (b, "better", ""), "lower"),
            HL_STATS_ALPHA, HL_STATS_MIN_EFFECT, HL_STATS_MIN_N, &v);
        hl_value_t *out = hl_value_new_map ();
        hl_value_set_str (out, "name", hl_value_get_str (b, "name", "?"));
        hl_value_set_str (out, "verdict", hl_verdict_name (v.verdict));
        hl_value_set_double (out, "effect", v.relative);
        bool guard = false;
        if (!hl_value_bool (hl_value_get (b, "guard"), &guard) && guard)
            hl_value_set_bool (out, "guard", true);
        hl_value_append (list, &out);
    }
    hl_value_destroy (&after);
    hl_value_t *verify = hl_value_new_map ();
    hl_value_set (verify, "metrics", &list);
    return verify;
}

//  --------------------------------------------------------------------
//  One cycle, as hl_cycle runs it, in virtual time

/*  The pending recheck, if its window is clean; else NULL (waiting). */
static const hl_config_action_t *
s_recheck_due (s_sim_t *sim, bool *waiting)
{
    *waiting = false;
    while (sim->nrechecks) {
        const hl_config_action_t *action
            = hl_config_action_find (sim->config, sim->rechecks[0]);
        memmove (sim->rechecks[0], sim->rechecks[1],
                 (sim->nrechecks - 1) * sizeof sim->rechecks[0]);
        sim->nrechecks--;
        if (!hl_planner_in_effect (sim->planner, action->name))
            continue;
        int64_t window = S_WINDOW * SEC;
        if (hl_judge_settled (sim->judge, sim->t) > sim->t - window) {
            //  back to the head of the queue: waiting
            memmove (sim->rechecks[1], sim->rechecks[0],
                     sim->nrechecks * sizeof sim->rechecks[0]);
            snprintf (sim->rechecks[0], sizeof sim->rechecks[0], "%s",
                      action->name);
            sim->nrechecks++;
            *waiting = true;
            return NULL;
        }
        return action;
    }
    return NULL;
}

static void
s_recheck_later (s_sim_t *sim, const char *name)
{
    for (size_t i = 0; i < sim->nrechecks; i++)
        if (streq (sim->rechecks[i], name))
            return;
    if (sim->nrechecks < 16)
        snprintf (sim->rechecks[sim->nrechecks++], sizeof sim->rechecks[0],
                  "%s", name);
}

static void
s_cycle (s_sim_t *sim)
{
    hl_run_t *run
        = hl_run_new ((uint64_t)sim->cycles + 1, "optimization", sim->t);
    bool waiting;
    const hl_config_action_t *recheck = s_recheck_due (sim, &waiting);
    if (recheck) {
        hl_candidate_t cand = { .action = recheck, .reason = "recheck" };
        hl_act_t *act = hl_run_add_act (run, &cand);
        act->reverse = true;
    } else if (!waiting) {
        hl_health_t *health = hl_health_compute (sim->config, sim->kpi, sim->t);
        hl_candidate_t picks[S_MAX_PICKS];
        size_t n
            = hl_planner_rank (sim->planner, health, sim->learning, sim->t,
                               S_MAX_PICKS, false, picks, S_MAX_PICKS, NULL);
        hl_health_destroy (&health);
        for (size_t i = 0; i < n; i++)
            hl_run_add_act (run, &picks[i]);
    }
    sim->cycles++;
    if (run->nacts == 0) {
        s_second (sim); /* an empty cycle: a moment passes */
        hl_run_destroy (&run);
        return;
    }
    sim->busy_cycles++;
    //  APPLY: baselines, then the changes, which take a second
    int64_t start = sim->t;
    for (size_t i = 0; i < run->nacts; i++) {
        hl_act_t *act = &run->acts[i];
        size_t a = s_index (act->action->name);
        act->baseline = hl_brief_metrics (sim->config, sim->kpi, act->action,
                                          start - S_WINDOW * SEC, start);
        if (!act->reverse) {
            sim->applied[a]++;
            if (hl_learning_quarantined (sim->learning, act->action->name,
                                         start))
                sim->applied_quarantined[a]++;
        }
        hl_planner_busy (sim->planner, act->action->name, true);
        hl_planner_applied (sim->planner, act->action->name, start);
        act->start_us = start;
        act->change
            = hl_judge_change (sim->judge, act->action, act->reverse, start);
        sim->effect[a] = !act->reverse;
        act->applied = true;
    }
    s_second (sim);
    for (size_t i = 0; i < run->nacts; i++)
        hl_judge_changed (sim->judge, run->acts[i].change, sim->t);
    //  SETTLE, VERIFY
    for (int s = 0; s < S_SETTLE; s++)
        s_second (sim);
    int64_t from = sim->t;
    for (int s = 0; s < S_WINDOW; s++)
        s_second (sim);
    //  DECIDE
    for (size_t i = 0; i < run->nacts; i++) {
        hl_act_t *act = &run->acts[i];
        size_t a = s_index (act->action->name);
        act->verify = s_verify (sim, act->action, act->baseline, from, sim->t);
        hl_decide_verdict (sim->judge, act, sim->t);
        bool was = hl_learning_quarantined (sim->learning, act->action->name,
                                            sim->t);
        hl_decide_learn (sim->learning, sim->config, act, sim->t);
        if (!was
            && hl_learning_quarantined (sim->learning, act->action->name,
                                        sim->t))
            sim->quarantines[a]++;
        if (getenv ("BENCH_LOOP_TRACE"))
            printf ("    t=%lld cycle %d: %s%s %s (touched %d, beside %d, "
                    "on %s)\n",
                    (long long)((sim->t - sim->t0) / SEC), sim->cycles,
                    act->action->name, act->reverse ? " (recheck)" : "",
                    hl_verdict_name (act->verdict),
                    hl_judge_touched (sim->judge, act->action, act->change,
                                      act->start_us, sim->t),
                    hl_judge_concurrent (sim->judge, act->action, act->start_us,
                                         sim->t),
                    act->culprit);
        if (getenv ("BENCH_LOOP_TRACE")) {
            const hl_value_t *ms = hl_value_get (act->verify, "metrics");
            for (size_t k = 0; k < hl_value_size (ms); k++)
                printf ("        %s %s %+.2f\n",
                        hl_value_get_str (hl_value_at (ms, k), "name", "?"),
                        hl_value_get_str (hl_value_at (ms, k), "verdict", "?"),
                        hl_value_get_double (hl_value_at (ms, k), "effect", 0));
        }
        bool improved = act->verdict == HL_VERDICT_IMPROVED;
        bool keep = act->reverse ? improved : improved;
        hl_planner_busy (sim->planner, act->action->name, false);
        if (act->reverse && !keep && s_actions[a].kind == K_PLACEBO)
            sim->undone_placebos++;
        if (keep) {
            hl_planner_effect (sim->planner, act->action->name, true);
            sim->effect[a] = true;
            if (!act->reverse
                && hl_learning_successes (sim->learning, act->action->name) < 2)
                s_recheck_later (sim, act->action->name);
            if (a == S_BEST && !sim->best_kept_at)
                sim->best_kept_at = sim->busy_cycles;
        } else {
            hl_planner_effect (sim->planner, act->action->name, false);
            sim->effect[a] = false;
        }
        //  the undo (a rollback, or a recheck's re-apply) is a change too
        if (keep == act->reverse)
            act->undo = hl_judge_change (sim->judge, act->action, !act->reverse,
                                         sim->t);
    }
    s_second (sim);
    for (size_t i = 0; i < run->nacts; i++)
        if (run->acts[i].undo)
            hl_judge_changed (sim->judge, run->acts[i].undo, sim->t);
    hl_run_destroy (&run);
}

//  --------------------------------------------------------------------
//  A run: one seed, cycles back to back

static hl_config_t *
s_config (const char *dir, uint64_t seed)
{
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/loop.cfg", dir);
    FILE *f = fopen (path, "w");
    if (!f)
        return NULL;
    fprintf (f,
             "cycle = { max_concurrent = %d; cooldown = 0; settle = %d;\n"
             "  verify_window = %d; quarantine = %d; seed = %llu; };\n"
             "emergency = { threshold = 0; };\n"
             "health = { window = %d; };\n"
             "metrics = (\n"
             "  { name = \"m1\"; category = \"backend\"; better = \"lower\";\n"
             "    target = 100.0; critical = 500.0; key = true; },\n"
             "  { name = \"m2\"; category = \"frontend\"; better = \"lower\";\n"
             "    target = 100.0; critical = 500.0; },\n"
             "  { name = \"m3\"; category = \"backend\"; better = \"lower\";\n"
             "    target = 100.0; critical = 500.0; },\n"
             "  { name = \"m4\"; category = \"business\"; better = \"lower\";\n"
             "    target = 100.0; critical = 400.0; key = true; } );\n"
             "actions = (\n",
             S_MAX_PICKS, S_SETTLE, S_WINDOW, S_QUARANTINE,
             (unsigned long long)seed, S_WINDOW);
    for (size_t a = 0; a < S_ACTIONS; a++)
        fprintf (f,
                 "  { name = \"%s\"; swarm = \"%s\"; improves = [\"%s\"];\n"
                 "    resources = [%s%s%s]; expected = %g; cost = %g; }%s\n",
                 s_actions[a].name, s_actions[a].swarm, s_actions[a].improves,
                 *s_actions[a].resources ? "\"" : "", s_actions[a].resources,
                 *s_actions[a].resources ? "\"" : "", s_actions[a].expected,
                 s_actions[a].cost, a + 1 < S_ACTIONS ? "," : " );");
    fclose (f);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fprintf (stderr, "bench_loop: %s\n", err);
    return config;
}

static int
s_run (const char *dir, uint64_t seed, int cycles, s_sim_t *sim)
{
    memset (sim, 0, sizeof *sim);
    sim->config = s_config (dir, seed);
    if (!sim->config)
        return -1;
    sim->kpi = hl_kpi_new (sim->config);
    sim->planner = hl_planner_new (sim->config);
    sim->learning = hl_learning_new (sim->config, seed);
    sim->judge = hl_judge_new (sim->config);
    hl_planner_set_judge (sim->planner, sim->judge);
    hl_rand_seed (&sim->noise, seed * 7919 + 1);
    sim->t = sim->t0 = 1700000000LL * SEC;
    for (int s = 0; s < S_WINDOW + 2; s++)
        s_second (sim);
    while (sim->cycles < cycles) {
        s_cycle (sim);
        double regret = s_oracle (sim) - s_true_health (sim, sim->effect);
        sim->regret_sum += regret;
        if (sim->cycles > cycles - cycles / 5)
            sim->regret_late += regret;
    }
    hl_judge_destroy (&sim->judge);
    hl_learning_destroy (&sim->learning);
    hl_planner_destroy (&sim->planner);
    hl_kpi_destroy (&sim->kpi);
    hl_config_destroy (&sim->config);
    return 0;
}

int
main (int argc, char *argv[])
{
    int cycles = 200, seeds = 20;
    for (int i = 1; i < argc; i++) {
        int *target = streq (argv[i], "--cycles")  ? &cycles
                      : streq (argv[i], "--seeds") ? &seeds
                                                   : NULL;
        char *end = NULL;
        long v = target && i + 1 < argc ? strtol (argv[++i], &end, 10) : 0;
        if (!target || !end || *end || v < 1 || v > 100000) {
            fprintf (stderr, "usage: bench_loop [--cycles N] [--seeds N]\n");
            return 2;
        }
        *target = (int)v;
    }
    hl_log_set_level (HL_LOG_ERROR);
    char dir[] = "/tmp/bench_loop.XXXXXX";
    if (!mkdtemp (dir)) {
        perror ("bench_loop: mkdtemp");
        return 1;
    }
    int harm_in_quarantine = 0, harm_applied = 0, harm_quarantined = 0;
    int good_quarantined = 0, placebo_standing = 0, placebo_undone = 0;
    int best_late = 0, best_worst = 0, best_never = 0;
    double regret = 0, regret_late = 0;
    clock_t c0 = clock ();
    printf ("bench_loop: %d cycles back to back, %d seeds\n", cycles, seeds);
    printf ("  %4s %6s %6s %6s %8s %7s %7s\n", "seed", "harm", "in_q", "good_q",
            "best_at", "placebo", "regret");
    for (int seed = 1; seed <= seeds; seed++) {
        s_sim_t sim;
        if (s_run (dir, (uint64_t)seed, cycles, &sim))
            return 1;
        int harm = 0, in_q = 0, good_q = 0;
        for (size_t a = 0; a < S_ACTIONS; a++) {
            if (s_actions[a].kind == K_HARM) {
                harm += sim.applied[a];
                in_q += sim.applied_quarantined[a];
                harm_quarantined += sim.quarantines[a] > 0;
            }
            if (s_actions[a].kind == K_GOOD)
                good_q += sim.quarantines[a];
        }
        bool placebo = sim.effect[4];
        harm_applied += harm;
        harm_in_quarantine += in_q;
        good_quarantined += good_q;
        placebo_standing += placebo;
        placebo_undone += sim.undone_placebos;
        if (!sim.best_kept_at)
            best_never++;
        else if (sim.best_kept_at > 3)
            best_late++;
        if (sim.best_kept_at > best_worst)
            best_worst = sim.best_kept_at;
        regret += sim.regret_sum / cycles;
        regret_late += sim.regret_late / (cycles / 5);
        printf ("  %4d %6d %6d %6d %8d %7s %7.2f\n", seed, harm, in_q, good_q,
                sim.best_kept_at, placebo ? "stays" : "-",
                sim.regret_sum / cycles);
    }
    rmdir (dir);
    printf ("  %.2f s of CPU\n", (double)(clock () - c0) / CLOCKS_PER_SEC);
    int failed = 0;
    bool ok = harm_in_quarantine == 0;
    printf ("%s harmful actions applied inside a quarantine period: %d (target "
            "0: once per period, the application that earns it); %d "
            "applications, %d of %d harmful actions quarantined\n",
            ok ? "PASS" : "FAIL", harm_in_quarantine, harm_applied,
            harm_quarantined, 2 * seeds);
    failed += !ok;
    ok = best_late == 0 && best_never == 0;
    printf ("%s the best (costly) action kept within 3 busy cycles: %d late, "
            "%d never (worst: cycle %d)\n",
            ok ? "PASS" : "FAIL", best_late, best_never, best_worst);
    failed += !ok;
    ok = placebo_standing == 0;
    printf ("%s a placebo kept and standing at the end: %d of %d runs (target "
            "0); %d false keeps caught by their recheck\n",
            ok ? "PASS" : "FAIL", placebo_standing, seeds, placebo_undone);
    failed += !ok;
    ok = good_quarantined == 0;
    printf ("%s good actions quarantined for another's side effect: %d "
            "(target 0)\n",
            ok ? "PASS" : "FAIL", good_quarantined);
    failed += !ok;
    printf ("info regret against an oracle of the true effects: %.2f health "
            "points per cycle on average, %.2f over the last fifth\n",
            regret / seeds, regret_late / seeds);
    printf ("\nbench_loop: %s\n", failed ? "FAIL" : "PASS");
    return failed ? 1 : 0;
}
