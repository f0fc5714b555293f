/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_cycle - the run engine: the table of run kinds (each with its
    params, how to parse them and how to start), the one way a run is
    made, the emergency protocol's orders carried out, the API. The
    phases of a cycle are in hl_cycle_phases.c; the state both files
    share in hl_cycle_priv.h.
*/
#include <czmq.h>
#include <math.h>
#include <string.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_cycle_priv.h"
#include "hl_ledger.h"
#include "hl_forecast.h"
#include "hl_report.h"

/*  A run's parameters, parsed before the run is made. */
typedef struct {
    double threshold;                 /* emergency */
    int max_issues;                   /* emergency */
    const hl_config_action_t *action; /* recheck */
    bool focus[HL_CATEGORY_COUNT];    /* analysis */
    hl_forecast_spec_t plan;          /* strategic_planning */
} s_params_t;

static void
s_run_free (void **item_p)
{
    hl_run_destroy ((hl_run_t **)item_p);
}

//  --------------------------------------------------------------------
//  The emergency protocol's orders

/*  A cycle with changes not yet verified is stopped, and what it changed
    is rolled back: an emergency must not stack on top of unproven
    changes. */
static void
s_interrupt (hl_cycle_t *self, hl_run_t *run)
{
    if (!run || run->phase >= HL_PHASE_DECIDE)
        return;
    hl_run_degrade (run, "interrupted by an emergency");
    hl_cycle_abandon (self, run);
    if (run->phase < HL_PHASE_APPLY) {
        hl_cycle_finish (self, run);
        return;
    }
    for (size_t i = 0; i < run->nacts; i++) {
        hl_act_t *act = &run->acts[i];
        if (act->outcome)
            continue; /* never applied */
        /*  An apply still running may have changed things: undo it too.
            Nothing is learned from a change cut short. */
        act->applied = true;
        act->interrupted = true;
        if (act->verdict == HL_VERDICT_NONE)
            act->verdict = HL_VERDICT_INCONCLUSIVE;
    }
    hl_cycle_decide (self, run);
}

static hl_run_t *s_run_create (hl_cycle_t *self, const char *kind,
                               const char *who, hl_cycle_done_fn *done,
                               void *done_arg);

/*  Start a round of the emergency in progress as run (made with
    s_run_create), or a new one. */
static void
s_round (hl_cycle_t *self, hl_run_t *run)
{
    if (!run)
        run = s_run_create (self, "emergency", "emergency", NULL, NULL);
    hl_emergency_round (self->emergency, run);
    self->round = run;
    hl_cycle_start (self, run);
}

/*  The emergency is over. A round ends long before its emergency does,
    so the last round's report, the emergency's, is brought up to its
    end: health after is the health now, and it says it was resolved.
    A round still running reports after this, and so says it itself. */
static void
s_emergency_ended (hl_cycle_t *self, const hl_health_t *health)
{
    if (self->round)
        return;
    hl_run_t *run = (hl_run_t *)zlistx_first (self->history);
    while (run && !run->emergency)
        run = (hl_run_t *)zlistx_next (self->history);
    if (!run || run->em.ended_us)
        return;
    run->em.ended_us = hl_msg_now_us ();
    run->em.resolved = true;
    run->score_after = hl_health_score (health);
    hl_value_destroy (&run->health_after);
    run->health_after = hl_health_to_value (health);
    hl_value_t *learning = hl_learning_to_value (self->deps.learning);
    hl_value_destroy (&run->report);
    run->report = hl_report_new (run, self->deps.src, learning);
    hl_value_destroy (&learning);
    hl_report_save (self->reports, run->report);
    hl_report_log (run);
}

void
hl_cycle_health (hl_cycle_t *self, const hl_health_t *health)
{
    if (self->closing)
        return;
    double score = hl_health_score (health);
    hl_emergency_step_t step = hl_emergency_health (
        self->emergency, score, hl_msg_now_us (), self->round != NULL);
    switch (step) {
        case HL_EMERGENCY_STARTED:
            /*  Respond first: the first emergency tasks leave before the
                notify command is spawned. */
            hl_cycle_hold (self);
            s_interrupt (self, self->current);
            s_round (self, NULL);
            hl_emergency_announce (self->emergency, step, score);
            break;
        case HL_EMERGENCY_ROUND:
            s_round (self, NULL);
            break;
        case HL_EMERGENCY_UNRESOLVED:
        case HL_EMERGENCY_RESOLVED:
            hl_cycle_hold (self);
            if (step == HL_EMERGENCY_RESOLVED)
                s_emergency_ended (self, health);
            hl_emergency_announce (self->emergency, step, score);
            break;
        case HL_EMERGENCY_NONE:
            break;
    }
}

//  --------------------------------------------------------------------
//  Run kinds: parse the params, then start

/*  The parameters each kind takes (NULL-terminated): a name not listed is
    a mistake to refuse, never to ignore. */
static const char *s_optimization_params[] = { NULL };
static const char *s_analysis_params[] = { "focus_areas", "depth", NULL };
static const char *s_plan_params[] = { "horizon", "scenarios", NULL };
static const char *s_emergency_params[] = { "threshold", "max_issues", NULL };
static const char *s_recheck_params[] = { "action", NULL };

/*  0 if every key of params is one of names; else -1 and "run: unknown
    parameter 'foo' for kind (it takes a, b)" in error. */
static int
s_params_known (const hl_value_t *params, const char *kind,
                const char *const *names, char *error, size_t errsize)
{
    for (size_t i = 0; i < hl_value_size (params); i++) {
        const char *key = hl_value_key_at (params, i);
        size_t n = 0;
        while (names[n] && !(key && streq (key, names[n])))
            n++;
        if (names[n])
            continue;
        int used = snprintf (error, errsize,
                             "run: unknown parameter '%.32s' for %s (it takes ",
                             key ? key : "", kind);
        for (n = 0; names[n] && used > 0 && (size_t)used < errsize; n++)
            used += snprintf (error + used, errsize - (size_t)used, "%s%s",
                              n ? ", " : "", names[n]);
        if (used > 0 && (size_t)used < errsize)
            snprintf (error + used, errsize - (size_t)used, "%s)",
                      n ? "" : "none");
        return -1;
    }
    return 0;
}

static int
s_parse_optimization (hl_cycle_t *self, const hl_value_t *params,
                      s_params_t *out, char *error, size_t errsize)
{
    (void)self, (void)out;
    return s_params_known (params, "optimization", s_optimization_params, error,
                           errsize);
}

/*  focus_areas: a list of categories, or a string of them separated by
    commas; depth is accepted and recorded in the report's params. */
static int
s_parse_analysis (hl_cycle_t *self, const hl_value_t *params, s_params_t *out,
                  char *error, size_t errsize)
{
    (void)self;
    if (s_params_known (params, "analysis", s_analysis_params, error, errsize))
        return -1;
    const hl_value_t *areas = hl_value_get (params, "focus_areas");
    char text[128] = "";
    if (hl_value_str (areas, NULL))
        snprintf (text, sizeof text, "%s", hl_value_str (areas, NULL));
    for (size_t i = 0; i < hl_value_size (areas); i++) {
        const char *a = hl_value_str (hl_value_at (areas, i), NULL);
        size_t used = strlen (text);
        snprintf (text + used, sizeof text - used, "%s%s", used ? "," : "",
                  a ? a : "?");
    }
    char *save = NULL;
    for (char *tok = strtok_r (text, ",", &save); tok;
         tok = strtok_r (NULL, ",", &save)) {
        int c = hl_category_parse (tok);
        if (c < 0) {
            snprintf (error, errsize,
                      "run: focus area '%.32s' is not frontend, backend or "
                      "business",
                      tok);
            return -1;
        }
        out->focus[c] = true;
    }
    return 0;
}

static int
s_parse_plan (hl_cycle_t *self, const hl_value_t *params, s_params_t *out,
              char *error, size_t errsize)
{
    (void)self;
    if (s_params_known (params, "strategic_planning", s_plan_params, error,
                        errsize))
        return -1;
    return hl_forecast_parse (params, &out->plan, error, errsize);
}

static int
s_parse_emergency (hl_cycle_t *self, const hl_value_t *params, s_params_t *out,
                   char *error, size_t errsize)
{
    if (s_params_known (params, "emergency", s_emergency_params, error,
                        errsize))
        return -1;
    const hl_config_emergency_t *ec = hl_config_emergency (self->deps.config);
    double threshold = hl_value_get_double (params, "threshold", ec->threshold);
    int64_t max_issues
        = hl_value_get_int (params, "max_issues", ec->max_issues);
    if (!(threshold >= 0 && threshold <= 100) || max_issues < 1
        || max_issues > 100) {
        snprintf (error, errsize,
                  "run: emergency wants threshold 0..100 and max_issues "
                  "1..100");
        return -1;
    }
    out->threshold = threshold;
    out->max_issues = (int)max_issues;
    return 0;
}

/*  A cycle or an analysis: one at a time. */
static int
s_start_cycle (hl_cycle_t *self, hl_run_t *run, const s_params_t *params,
               char *error, size_t errsize)
{
    if (self->current) {
        snprintf (error, errsize, "run: %s %" PRIu64 " is still running (%s)",
                  self->current->kind, self->current->id,
                  hl_phase_name (self->current->phase));
        return -1;
    }
    /*  Paused, its tasks would wait for resume until their deadlines
        cancel them: a broken run. Refuse it and say what to do. */
    if (self->paused) {
        snprintf (error, errsize,
                  "run: paused: %s needs dispatch; resume first "
                  "(helios-ctl resume)",
                  run->kind);
        return -1;
    }
    run->analysis_only = streq (run->kind, "analysis");
    memcpy (run->focus, params->focus, sizeof run->focus);
    self->current = run;
    int64_t duration = hl_config_cycle (self->deps.config)->duration;
    self->next_at_us = run->started_us + duration * 1000000;
    hl_cycle_start (self, run);
    return 0;
}

/*  recheck: action, a change in effect. */
static int
s_parse_recheck (hl_cycle_t *self, const hl_value_t *params, s_params_t *out,
                 char *error, size_t errsize)
{
    if (s_params_known (params, "recheck", s_recheck_params, error, errsize))
        return -1;
    const char *name = hl_value_get_str (params, "action", NULL);
    out->action = name ? hl_config_action_find (self->deps.config, name) : NULL;
    if (!out->action) {
        snprintf (error, errsize,
                  "run: recheck wants action=NAME, a "
                  "configured action");
        return -1;
    }
    if (!hl_planner_in_effect (self->deps.planner, name)) {
        snprintf (error, errsize,
                  "run: %.64s is not in effect: nothing to recheck", name);
        return -1;
    }
    return 0;
}

/*  A recheck verifies a change in effect by undoing it with the normal
    windows: it stays undone unless undoing it made things worse. */
static int
s_start_recheck (hl_cycle_t *self, hl_run_t *run, const s_params_t *params,
                 char *error, size_t errsize)
{
    hl_candidate_t cand = { .action = params->action,
                            .cost = params->action->cost,
                            .expected = params->action->expected,
                            .reason = "recheck" };
    hl_act_t *act = hl_run_add_act (run, &cand);
    act->reverse = true;
    run->recheck = true;
    if (s_start_cycle (self, run, params, error, errsize)) {
        run->nacts = 0;
        return -1;
    }
    return 0;
}

/*  A plan is computed here and now: no agent, no phase. */
static int
s_start_plan (hl_cycle_t *self, hl_run_t *run, const s_params_t *params,
              char *error, size_t errsize)
{
    (void)error, (void)errsize;
    run->plan = hl_forecast_plan (&params->plan, self->deps.config,
                                  self->deps.kpi, self->deps.planner,
                                  self->deps.learning, run->started_us);
    run->phase = HL_PHASE_DECIDE;
    self->started++;
    hl_cycle_event (self, run, "started");
    hl_cycle_finish (self, run);
    return 0;
}

static int
s_start_emergency (hl_cycle_t *self, hl_run_t *run, const s_params_t *params,
                   char *error, size_t errsize)
{
    int64_t now = hl_msg_now_us ();
    hl_health_t *health
        = hl_health_compute (self->deps.config, self->deps.kpi, now);
    double score = hl_health_score (health);
    hl_health_destroy (&health);
    if (hl_emergency_request (self->emergency, score, params->threshold,
                              params->max_issues, now, error, errsize))
        return -1;
    hl_cycle_hold (self);
    s_interrupt (self, self->current);
    s_round (self, run);
    hl_emergency_announce (self->emergency, HL_EMERGENCY_STARTED, score);
    return 0;
}

typedef int (s_parse_fn) (hl_cycle_t *self, const hl_value_t *params,
                          s_params_t *out, char *error, size_t errsize);
/*  Take run (registering it and starting it, or finishing it at once)
    and return 0; or refuse it with -1 and the reason, leaving it to the
    caller. */
typedef int (s_start_fn) (hl_cycle_t *self, hl_run_t *run,
                          const s_params_t *params, char *error,
                          size_t errsize);

static const struct {
    const char *kind;
    const char *const *params; /* what parse takes, for clients */
    s_parse_fn *parse;
    s_start_fn *start;
} s_kinds[] = {
    { "optimization", s_optimization_params, s_parse_optimization,
      s_start_cycle },
    { "analysis", s_analysis_params, s_parse_analysis, s_start_cycle },
    { "strategic_planning", s_plan_params, s_parse_plan, s_start_plan },
    { "emergency", s_emergency_params, s_parse_emergency, s_start_emergency },
    { "recheck", s_recheck_params, s_parse_recheck, s_start_recheck },
};

const char *
hl_cycle_kind (size_t i)
{
    return i < sizeof s_kinds / sizeof s_kinds[0] ? s_kinds[i].kind : NULL;
}

const char *const *
hl_cycle_kind_params (const char *kind)
{
    for (size_t k = 0; kind && k < sizeof s_kinds / sizeof s_kinds[0]; k++)
        if (streq (kind, s_kinds[k].kind))
            return s_kinds[k].params;
    return NULL;
}

int
hl_cycle_check_params (const char *kind, const hl_value_t *params, char *error,
                       size_t errsize)
{
    const char *const *names = hl_cycle_kind_params (kind);
    if (!names) {
        snprintf (error, errsize,
                  "run: unknown kind '%.32s' (optimization, analysis, "
                  "strategic_planning, emergency or recheck)",
                  kind ? kind : "");
        return -1;
    }
    return s_params_known (params, kind, names, error, errsize);
}

/*  The one way a run is made: a fresh id, its done set before anything
    can finish it. */
static hl_run_t *
s_run_create (hl_cycle_t *self, const char *kind, const char *who,
              hl_cycle_done_fn *done, void *done_arg)
{
    hl_run_t *run = hl_run_new (self->next_id++, kind, hl_msg_now_us ());
    snprintf (run->who, sizeof run->who, "%s", who ? who : "master");
    run->done = done;
    run->done_arg = done_arg;
    return run;
}

void
hl_cycle_start (hl_cycle_t *self, hl_run_t *run)
{
    self->started++;
    hl_ledger_run (self->deps.store, run);
    hl_ledger_audit (self->deps.store, run, NULL, "requested",
                     "%s %" PRIu64 " asked for by %s", run->kind, run->id,
                     run->who);
    if (!run->emergency)
        hl_log_notice ("%s %" PRIu64 " started", run->kind, run->id);
    hl_cycle_event (self, run, "started");
    hl_cycle_next_phase (self, run);
}

uint64_t
hl_cycle_run (hl_cycle_t *self, const char *kind, hl_value_t **params_p,
              const char *who, hl_cycle_done_fn *done, void *done_arg,
              char *error, size_t errsize)
{
    hl_value_t *params = params_p ? *params_p : NULL;
    if (params_p)
        *params_p = NULL;
    size_t k = 0, nkinds = sizeof s_kinds / sizeof s_kinds[0];
    while (k < nkinds && !(kind && streq (kind, s_kinds[k].kind)))
        k++;
    s_params_t parsed;
    memset (&parsed, 0, sizeof parsed);
    int rc = -1;
    if (k == nkinds)
        snprintf (error, errsize,
                  "run: unknown kind '%.32s' (optimization, analysis, "
                  "strategic_planning, emergency or recheck)",
                  kind ? kind : "");
    else if (self->closing)
        snprintf (error, errsize, "run: the master is shutting down");
    else
        rc = s_kinds[k].parse (self, params, &parsed, error, errsize);
    hl_value_destroy (&params);
    if (rc)
        return 0;
    hl_run_t *run = s_run_create (self, s_kinds[k].kind, who, done, done_arg);
    uint64_t id = run->id;
    if (s_kinds[k].start (self, run, &parsed, error, errsize)) {
        hl_run_destroy (&run);
        self->next_id--; /* never seen: the id is free again */
        return 0;
    }
    return id;
}

//  --------------------------------------------------------------------
//  API

hl_cycle_t *
hl_cycle_new (const hl_cycle_deps_t *deps, char *err, size_t errsize)
{
    const char *state_dir = hl_config_master (deps->config)->state_dir;
    char reports[HL_CONFIG_PATH + 16];
    snprintf (reports, sizeof reports, "%s/reports", state_dir);
    if (zsys_dir_create ("%s", reports) != 0) {
        snprintf (err, errsize, "cannot create %s", reports);
        return NULL;
    }
    hl_cycle_t *self = (hl_cycle_t *)hl_alloc (sizeof (hl_cycle_t));
    self->deps = *deps;
    snprintf (self->reports, sizeof self->reports, "%s", reports);
    self->history = zlistx_new ();
    zlistx_set_destructor (self->history, s_run_free);
    self->tickets = zlistx_new ();
    hl_emergency_deps_t em
        = { deps->config, deps->publish, deps->wants, deps->arg, deps->src };
    self->emergency = hl_emergency_new (&em);
    self->judge = hl_judge_new (deps->config);
    hl_planner_set_judge (deps->planner, self->judge);
    snprintf (self->learning_path, sizeof self->learning_path,
              "%s/learning.json", state_dir);
    self->next_id = 1;
    const hl_store_recovery_t *rec
        = deps->store ? hl_store_recovered (deps->store) : NULL;
    if (rec && rec->learning) {
        int rc = hl_learning_restore (deps->learning, rec->learning);
        if (rc)
            hl_log_warning ("learning: the store's not loaded: %s",
                            hl_strerror (rc));
    } else {
        /*  The file came first; with the store on it is read once, and
            saved to the store from then on. */
        int rc = hl_learning_load (deps->learning, self->learning_path);
        if (rc)
            hl_log_warning ("learning: %s not loaded: %s", self->learning_path,
                            hl_strerror (rc));
        else if (deps->store) {
            hl_value_t *value = hl_learning_to_value (deps->learning);
            hl_store_learning (deps->store, value);
            hl_value_destroy (&value);
        }
    }
    if (rec)
        self->next_id = rec->max_run_id + 1;
    /*  What earlier lives kept is in effect still. */
    for (size_t i = 0; rec && i < hl_value_size (rec->in_effect); i++) {
        const char *name
            = hl_value_get_str (hl_value_at (rec->in_effect, i), "action", "");
        if (hl_config_action_find (deps->config, name))
            hl_planner_effect (deps->planner, name, true);
    }
    if (deps->store)
        self->past = hl_store_runs (deps->store, S_KEEP_RUNS);
    self->next_at_us
        = hl_msg_now_us ()
          + (int64_t)hl_config_cycle (deps->config)->duration * 1000000;
    hl_cycle_recover (self, rec);
    return self;
}

void
hl_cycle_destroy (hl_cycle_t **self_p)
{
    assert (self_p);
    hl_cycle_t *self = *self_p;
    if (!self)
        return;
    self->closing = true;
    hl_run_t *open[] = { self->current, self->round };
    for (int i = 0; i < 2; i++)
        if (open[i]) {
            hl_run_degrade (open[i], "master shut down");
            hl_cycle_finish (self, open[i]);
        }
    hl_emergency_destroy (&self->emergency);
    hl_planner_set_judge (self->deps.planner, NULL);
    hl_judge_destroy (&self->judge);
    hl_cycle_disown (self);
    zlistx_destroy (&self->history);
    hl_value_destroy (&self->past);
    hl_value_destroy (&self->loaded);
    free (self);
    *self_p = NULL;
}

void
hl_cycle_tick (hl_cycle_t *self, int64_t now_us)
{
    hl_emergency_reap (self->emergency);
    if (self->paused || self->current || hl_emergency_holding (self->emergency)
        || now_us < self->next_at_us)
        return;
    char error[128];
    hl_cycle_run (self, "optimization", NULL, "schedule", NULL, NULL, error,
                  sizeof error);
}

void
hl_cycle_pause (hl_cycle_t *self, bool paused)
{
    self->paused = paused;
    hl_cycle_hold (self);
}

hl_value_t *
hl_cycle_list (hl_cycle_t *self)
{
    hl_value_t *list = hl_value_new_array ();
    hl_run_t *open[] = { self->round, self->current };
    for (int i = 0; i < 2; i++)
        if (open[i]) {
            hl_value_t *s = hl_report_summary (open[i]);
            hl_value_append (list, &s);
        }
    for (hl_run_t *run = (hl_run_t *)zlistx_first (self->history); run;
         run = (hl_run_t *)zlistx_next (self->history)) {
        hl_value_t *s = hl_report_summary (run);
        hl_value_append (list, &s);
    }
    /*  Then those of the master's earlier lives, from the store. */
    for (size_t i = 0;
         i < hl_value_size (self->past) && hl_value_size (list) < S_KEEP_RUNS;
         i++) {
        hl_value_t *s = hl_value_dup (hl_value_at (self->past, i));
        hl_value_append (list, &s);
    }
    return list;
}

const hl_value_t *
hl_cycle_report (hl_cycle_t *self, uint64_t id)
{
    for (hl_run_t *run = (hl_run_t *)zlistx_first (self->history); run;
         run = (hl_run_t *)zlistx_next (self->history))
        if (id == 0 || run->id == id)
            return run->report;
    /*  A run of an earlier life: its report file, through the store. */
    if (!self->deps.store)
        return NULL;
    if (id == 0 && hl_value_size (self->past))
        id = (uint64_t)hl_value_get_int (hl_value_at (self->past, 0), "id", 0);
    char json_path[HL_CONFIG_PATH + 64], md_path[HL_CONFIG_PATH + 64];
    if (!id
        || hl_store_report_paths (self->deps.store, id, json_path, md_path,
                                  sizeof json_path))
        return NULL;
    hl_value_destroy (&self->loaded);
    self->loaded = hl_report_load (json_path);
    return self->loaded;
}

hl_value_t *
hl_cycle_actions (hl_cycle_t *self)
{
    hl_value_t *all = hl_learning_to_value (self->deps.learning);
    int64_t now = hl_msg_now_us ();
    for (size_t i = 0; i < hl_value_size (all); i++) {
        const char *name = hl_value_key_at (all, i);
        hl_value_t *entry = (hl_value_t *)hl_value_val_at (all, i);
        hl_planner_t *planner = self->deps.planner;
        hl_value_set_bool (entry, "in_effect",
                           hl_planner_in_effect (planner, name));
        hl_value_set_bool (entry, "in_flight",
                           hl_planner_in_flight (planner, name));
        hl_value_set_bool (entry, "cooling",
                           hl_planner_cooling (planner, name, now));
        int64_t until
            = hl_learning_quarantined (self->deps.learning, name, now);
        hl_value_t *v = hl_value_new_nil ();
        if (until) {
            char when[40];
            hl_report_time (until, when, sizeof when);
            hl_value_destroy (&v);
            v = hl_value_new_str (when);
        }
        hl_value_set (entry, "quarantined_until", &v);
    }
    return all;
}

int
hl_cycle_release (hl_cycle_t *self, const char *action, char *error,
                  size_t errsize)
{
    if (!action || !hl_config_action_find (self->deps.config, action)) {
        snprintf (error, errsize, "action.release: no action '%.64s'",
                  action ? action : "");
        return -1;
    }
    if (!hl_learning_quarantined (self->deps.learning, action,
                                  hl_msg_now_us ())) {
        snprintf (error, errsize, "action.release: %.64s is not quarantined",
                  action);
        return -1;
    }
    hl_learning_release (self->deps.learning, action);
    hl_log_notice ("%s released from quarantine", action);
    hl_cycle_save_learning (self);
    return 0;
}

/*  a / b, or null when b is 0 (nothing to measure yet). */
static hl_value_t *
s_ratio (uint64_t a, uint64_t b)
{
    return b ? hl_value_new_double ((double)a / (double)b)
             : hl_value_new_nil ();
}

hl_value_t *
hl_cycle_status (hl_cycle_t *self)
{
    hl_value_t *s = hl_value_new_map ();
    hl_value_set_str (s, "phase",
                      self->current ? hl_phase_name (self->current->phase)
                                    : "idle");
    hl_value_set_int (s, "current",
                      self->current ? (int64_t)self->current->id : 0);
    hl_value_set_bool (s, "paused", self->paused);
    hl_value_set_int (s, "started", (int64_t)self->started);
    hl_value_set_int (s, "finished", (int64_t)self->finished);
    hl_value_set_int (s, "degraded", (int64_t)self->degraded_runs);
    hl_value_set_int (s, "kept", (int64_t)self->kept);
    hl_value_set_int (s, "rolled_back", (int64_t)self->rolled_back);
    hl_value_set_int (s, "failed", (int64_t)self->failed);
    hl_value_t *verdicts = hl_value_new_map ();
    for (int i = HL_VERDICT_NONE + 1; i < HL_VERDICT_COUNT; i++)
        hl_value_set_int (verdicts, hl_verdict_name ((hl_verdict_t)i),
                          (int64_t)self->verdicts[i]);
    hl_value_set (s, "verdicts", &verdicts);
    hl_value_set_int (s, "verify_too_early", (int64_t)self->verify_too_early);
    hl_value_set_int (s, "verify_implausible",
                      (int64_t)self->verify_implausible);
    /*  the seed's optimization_success_rate: kept of those verified */
    hl_value_t *v = s_ratio (self->kept, self->kept + self->rolled_back);
    hl_value_set (s, "optimization_success_rate", &v);
    /*  the seed's concurrent_optimization_efficiency: of the actions run
        side by side with others, the share that applied, verified and
        were kept or rolled back cleanly (none failed) */
    v = s_ratio (self->parallel_ok, self->parallel);
    hl_value_set (s, "concurrent_optimization_efficiency", &v);
    hl_value_set_double (
        s, "cycle_completion_rate",
        self->started ? (double)self->finished / (double)self->started : 1.0);
    hl_value_set_int (s, "next_in_s",
                      (self->next_at_us - hl_msg_now_us ()) / 1000000);
    v = hl_emergency_status (self->emergency);
    hl_value_set (s, "emergency", &v);
    return s;
}
