/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_cycle - one optimisation cycle at a time, as a state machine driven
    by task ends and timers on the master's reactor.

    Each phase submits its tasks and arms one deadline timer; a phase ends
    when its last task ends or its deadline passes, whichever is first
    (tasks still open are cancelled and the cycle notes it as degraded).
    Task and timer callbacks carry the run's id and the phase's sequence
    number, so a late one for a phase already left is ignored.
*/
#include <czmq.h>
#include <math.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bus/hl_log.h"
#include "../bus/hl_stats.h"
#include "hl_cycle.h"

#define S_KEEP_RUNS 50     /* finished runs kept in memory */
#define S_MAX_ACTS 64      /* actions one cycle may apply */
#define S_SERIES_S 600     /* seconds of history sent to analyze */
#define S_ANALYZE_MS 20000 /* analysis phase deadline */
#define S_SLACK_MS 15000   /* on top of a task's own expected time */

typedef enum {
    P_COLLECT,
    P_ANALYZE,
    P_PRIORITIZE,
    P_APPLY,
    P_SETTLE,
    P_VERIFY,
    P_DECIDE,
    P_REPORT,
    P_DONE
} s_phase_t;

static const char *s_phase_names[]
    = { "collect", "analyze", "prioritize", "apply", "settle",
        "verify",  "decide",  "report",     "done" };

/*  What a task end is about. */
typedef enum { W_ANALYZE, W_APPLY, W_VERIFY, W_ROLLBACK } s_what_t;

typedef struct {
    const hl_config_action_t *action; /* borrowed from the config */
    hl_candidate_t cand;              /* its figures when picked */
    hl_value_t *baseline;             /* verify's metrics, built at apply */
    hl_value_t *apply;                /* {status, data} of the apply */
    hl_value_t *verify;               /* the verify data */
    hl_value_t *rollback;             /* {status, data} of the rollback */
    char verdict[16];                 /* "" until verified */
    char outcome[16];                 /* kept | rolled_back | failed */
    bool applied;
} s_act_t;

typedef struct {
    uint64_t id;
    char kind[24];
    bool emergency;     /* an emergency round */
    bool analysis_only; /* an analysis: no actions */
    char focus[3][16];  /* analysis: categories, or none */
    size_t nfocus;
    s_phase_t phase;
    int phase_timer;       /* zloop timer id, or 0 */
    int label_timer;       /* settle -> verify label, or 0 */
    int64_t detected_us;   /* emergency: health crossed */
    int64_t baseline_us;   /* emergency: baseline starts */
    int64_t first_task_us; /* emergency: first task sent */
    uint32_t seq;          /* phase sequence, for callbacks */
    int64_t started_us;
    int64_t finished_us;
    double score_before;
    double score_after;
    hl_value_t *health_before;
    hl_value_t *degraded;   /* array of reasons */
    hl_value_t *analysis;   /* role -> analyze data */
    hl_value_t *candidates; /* the planner's explanation */
    hl_value_t *plan;       /* strategic planning's result */
    s_act_t acts[S_MAX_ACTS];
    size_t nacts;
    uint64_t open[2 * S_MAX_ACTS + 2]; /* task ids of the phase, 0 = ended */
    size_t nopen;
    int pending;        /* tasks of the phase still open */
    hl_value_t *report; /* when finished */
    hl_cycle_done_fn *done;
    void *done_arg;
} s_run_t;

typedef struct {
    hl_cycle_t *engine; /* NULL once the engine is gone */
    void *handle;       /* in the engine's ticket list */
    uint64_t run_id;
    uint32_t seq;
    s_what_t what;
    int act; /* index, or -1 */
    char role[32];
} s_ticket_t;

struct _hl_cycle_t {
    hl_cycle_deps_t deps;
    char reports[HL_CONFIG_PATH + 16];
    s_run_t *current;   /* the cycle in progress, or NULL */
    s_run_t *emergency; /* the emergency round, or NULL */
    zlistx_t *history;  /* finished runs, newest first */
    uint64_t next_id;
    int64_t next_at_us; /* when the scheduled cycle is due */
    bool paused;
    bool closing;      /* no new work: shutting down */
    zlistx_t *tickets; /* tasks submitted and not ended:
                          disowned at destroy, as the
                          dispatcher tells their end later */
    char learning_path[HL_CONFIG_PATH + 16];
    uint64_t learning_saved; /* hl_learning_outcomes at the last save */
    uint64_t started, finished, degraded_runs, kept, rolled_back, failed;
    uint64_t parallel, parallel_ok; /* actions of runs with several, and
                                       of those the ones that ran through */
    /*  The emergency protocol: from health below the threshold until it
        is back above, in rounds of emergency actions. */
    bool em_active;
    double em_threshold; /* of the emergency in progress */
    int em_max_issues;
    int em_rounds;                 /* rounds started in this one */
    int64_t em_detected_us;        /* when health crossed */
    int64_t em_next_round_us;      /* earliest next round */
    int64_t em_above_us;           /* back above since, or 0 */
    int64_t em_last_round_us;      /* when the last round ended */
    bool em_held;                  /* we paused dispatch and cycles */
    uint64_t emergencies;          /* started since the master began */
    int64_t em_last_response_us;   /* detection to first task, last */
    int64_t em_last_first_task_us; /* when that first task was sent */
    zlistx_t *children;            /* notify commands to reap (pids) */
};

#define S_EM_ROUNDS 4 /* rounds before we stop trying */
#define S_EM_MIN_N                                                             \
    4                       /* points a side an emergency                      \
                               verdict needs: a round's                        \
                               baseline is seconds long */
#define S_EM_GAP_US 5000000 /* between rounds */
#define S_EM_CLEAR_US                                                          \
    3000000 /* above the threshold this long                                   \
               ends it: a score hovering at the                                \
               line must not start and end an                                  \
               emergency every second */

static void s_next_phase (hl_cycle_t *self, s_run_t *run);

//  --------------------------------------------------------------------
//  Small helpers

static void
s_run_destroy (s_run_t **run_p)
{
    s_run_t *run = *run_p;
    if (!run)
        return;
    for (size_t i = 0; i < run->nacts; i++) {
        hl_value_destroy (&run->acts[i].baseline);
        hl_value_destroy (&run->acts[i].apply);
        hl_value_destroy (&run->acts[i].verify);
        hl_value_destroy (&run->acts[i].rollback);
    }
    hl_value_destroy (&run->health_before);
    hl_value_destroy (&run->degraded);
    hl_value_destroy (&run->analysis);
    hl_value_destroy (&run->candidates);
    hl_value_destroy (&run->plan);
    hl_value_destroy (&run->report);
    free (run);
    *run_p = NULL;
}

static void
s_run_free (void **item_p)
{
    s_run_destroy ((s_run_t **)item_p);
}

static void s_degrade (s_run_t *run, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/*  Note why the run is degraded; it goes into the report. */
static void
s_degrade (s_run_t *run, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    hl_log_notice ("cycle %" PRIu64 ": degraded: %s", run->id, text);
    hl_value_t *v = hl_value_new_str (text);
    hl_value_append (run->degraded, &v);
}

static void
s_event (hl_cycle_t *self, s_run_t *run, const char *event)
{
    char topic[64];
    snprintf (topic, sizeof topic, "cycle.%s", event);
    if (!self->deps.publish
        || (self->deps.wants && !self->deps.wants (self->deps.arg, topic)))
        return;
    hl_msg_t *msg = hl_msg_new (HL_MSG_CYCLE);
    hl_msg_set_cycle_id (msg, run->id);
    hl_msg_set_event (msg, event);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "kind", run->kind);
    hl_value_set_str (data, "phase", s_phase_names[run->phase]);
    if (run->report) {
        hl_value_t *copy = hl_value_dup (run->report);
        hl_value_set (data, "report", &copy);
    }
    hl_msg_set_data (msg, &data);
    self->deps.publish (self->deps.arg, &msg);
    hl_msg_destroy (&msg);
}

/*  True if a registered peer of role advertises action (or any peer of
    role, when action is NULL). */
static bool
s_has_agent (hl_cycle_t *self, const char *role, const char *action)
{
    hl_registry_t *registry = hl_dispatch_registry (self->deps.dispatch);
    for (size_t i = 0; i < hl_registry_size (registry); i++) {
        const hl_peer_t *peer = hl_registry_at (registry, i);
        if (peer->role == hl_role_parse (role)
            && (!action || hl_peer_can (peer, action)))
            return true;
    }
    return false;
}

static const char *
s_verifier (const hl_config_action_t *action)
{
    return hl_role_name (hl_role_of (HL_FAMILY_ATHENA, action->swarm));
}

static void
s_hephaestus (const hl_config_action_t *action, char *role, size_t size)
{
    snprintf (role, size, "%s",
              hl_role_name (hl_role_of (HL_FAMILY_HEPHAESTUS, action->swarm)));
}

//  --------------------------------------------------------------------
//  Phase bookkeeping: tasks, deadlines

static void s_task_done (void *arg, const hl_task_end_t *end);

/*  Submit a task for the current phase; false (and degraded) if it could
    not be queued. */
static bool
s_submit (hl_cycle_t *self, s_run_t *run, s_what_t what, int act,
          const char *role, const char *kind, const char *action,
          uint32_t deadline_ms, hl_value_t **args_p)
{
    s_ticket_t *ticket = (s_ticket_t *)zmalloc (sizeof (s_ticket_t));
    ticket->engine = self;
    ticket->run_id = run->id;
    ticket->seq = run->seq;
    ticket->what = what;
    ticket->act = act;
    snprintf (ticket->role, sizeof ticket->role, "%s", role);
    /*  Emergency rounds and every rollback (a safety action) go first. */
    bool first = run->emergency || what == W_ROLLBACK;
    hl_task_spec_t spec = { (hl_task_kind_t)hl_kind_parse (kind),
                            hl_role_parse (role),
                            action,
                            first ? 1 : 2,
                            first,
                            deadline_ms };
    ticket->handle = zlistx_add_end (self->tickets, ticket);
    uint64_t id = hl_dispatch_submit (self->deps.dispatch, &spec, args_p,
                                      s_task_done, ticket);
    if (!id) {
        zlistx_delete (self->tickets, ticket->handle);
        free (ticket);
        s_degrade (run, "%s: %s task could not be queued", role, kind);
        return false;
    }
    if (run->nopen < sizeof run->open / sizeof run->open[0])
        run->open[run->nopen++] = id;
    run->pending++;
    if (run->emergency && !run->first_task_us) {
        run->first_task_us = hl_msg_now_us ();
        self->em_last_response_us = run->first_task_us - run->detected_us;
        self->em_last_first_task_us = run->first_task_us;
    }
    return true;
}

static int s_on_phase_timer (zloop_t *loop, int timer_id, void *arg);

static void
s_arm (hl_cycle_t *self, s_run_t *run, int64_t ms)
{
    if (run->phase_timer)
        zloop_timer_end (self->deps.loop, run->phase_timer);
    run->phase_timer = zloop_timer (self->deps.loop, (size_t)(ms < 1 ? 1 : ms),
                                    1, s_on_phase_timer, self);
}

/*  The run with that id still in progress, or NULL. */
static s_run_t *
s_find (hl_cycle_t *self, uint64_t id)
{
    if (self->current && self->current->id == id)
        return self->current;
    if (self->emergency && self->emergency->id == id)
        return self->emergency;
    return NULL;
}

/*  Leave the current phase: the deadline is off, late callbacks will see
    another sequence number. */
static void
s_enter (hl_cycle_t *self, s_run_t *run, s_phase_t phase)
{
    if (run->phase_timer) {
        zloop_timer_end (self->deps.loop, run->phase_timer);
        run->phase_timer = 0;
    }
    run->phase = phase;
    run->seq++;
    run->nopen = 0;
    run->pending = 0;
    s_event (self, run, "phase");
}

static int
s_on_phase_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    hl_cycle_t *self = (hl_cycle_t *)arg;
    s_run_t *run = self->current && self->current->phase_timer == timer_id
                       ? self->current
                   : self->emergency && self->emergency->phase_timer == timer_id
                       ? self->emergency
                       : NULL;
    if (!run)
        return 0; /* ended, yet fired once more */
    run->phase_timer = 0;
    s_degrade (run, "%s: %d task(s) did not end in time",
               s_phase_names[run->phase], run->pending);
    /*  Cancel what is still open; its end callbacks come with an old
        sequence number and are ignored. */
    uint32_t seq = run->seq;
    run->seq++;
    for (size_t i = 0; i < run->nopen; i++)
        if (run->open[i])
            hl_dispatch_cancel (self->deps.dispatch, run->open[i]);
    run->seq = seq;
    s_next_phase (self, run);
    return 0;
}

static int
s_on_label_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    hl_cycle_t *self = (hl_cycle_t *)arg;
    s_run_t *runs[] = { self->current, self->emergency };
    for (int i = 0; i < 2; i++)
        if (runs[i] && runs[i]->label_timer == timer_id) {
            runs[i]->label_timer = 0;
            if (runs[i]->phase == P_SETTLE) {
                runs[i]->phase = P_VERIFY;
                s_event (self, runs[i], "phase");
            }
        }
    return 0;
}

//  --------------------------------------------------------------------
//  Phases

/*  [[ts_us, value], ...] of metric's statistic per second. */
typedef struct {
    hl_value_t *list;
    const char *stat;
    bool pairs;
} s_series_t;

static void
s_series_add (const char *name, const hl_kpi_stats_t *stats, void *arg)
{
    (void)name;
    s_series_t *series = (s_series_t *)arg;
    double v;
    if (hl_kpi_stat (stats, series->stat, &v) || !isfinite (v))
        return;
    hl_value_t *item;
    if (series->pairs) {
        item = hl_value_new_array ();
        hl_value_t *ts = hl_value_new_int (stats->second * 1000000);
        hl_value_t *val = hl_value_new_double (v);
        hl_value_append (item, &ts);
        hl_value_append (item, &val);
    } else
        item = hl_value_new_double (v);
    hl_value_append (series->list, &item);
}

static hl_value_t *
s_series (hl_cycle_t *self, const hl_config_metric_t *metric, int64_t from_us,
          int64_t to_us, bool pairs)
{
    /*  The per-second kpi messages carry no "last": verify compares means
        for a metric scored on its last value. */
    const char *stat
        = streq (metric->stat, "last") && !pairs ? "mean" : metric->stat;
    s_series_t series = { hl_value_new_array (), stat, pairs };
    hl_kpi_series (self->deps.kpi, metric->name, from_us, to_us, s_series_add,
                   &series);
    return series.list;
}

static const char *
s_better (const hl_config_metric_t *metric)
{
    return metric->better == HL_BETTER_LOWER ? "lower" : "higher";
}

static void
s_collect_and_analyze (hl_cycle_t *self, s_run_t *run)
{
    int64_t now = hl_msg_now_us ();
    hl_health_t *health
        = hl_health_compute (self->deps.config, self->deps.kpi, now);
    run->score_before = hl_health_score (health);
    run->health_before = hl_health_to_value (health);
    hl_health_destroy (&health);

    s_enter (self, run, P_ANALYZE);
    const char *roles[] = { "prometheus-frontend", "prometheus-backend" };
    /*  An emergency acts on health as it stands: no time for analysis. */
    for (int r = 0; r < 2 && !run->emergency; r++) {
        hl_value_t *metrics = hl_value_new_array ();
        for (size_t i = 0; i < hl_config_metrics_size (self->deps.config);
             i++) {
            const hl_config_metric_t *m
                = hl_config_metric (self->deps.config, i);
            bool frontend = m->category == HL_CATEGORY_FRONTEND;
            if (frontend != (r == 0))
                continue;
            bool focused = run->nfocus == 0;
            for (size_t f = 0; f < run->nfocus; f++)
                focused
                    |= streq (hl_category_name (m->category), run->focus[f]);
            if (!focused)
                continue;
            hl_value_t *item = hl_value_new_map ();
            hl_value_set_str (item, "name", m->name);
            hl_value_set_str (item, "better", s_better (m));
            hl_value_set_double (item, "target", m->target);
            hl_value_set_double (item, "critical", m->critical);
            hl_value_set_str (item, "unit", m->unit);
            hl_value_t *series = s_series (
                self, m, now - S_SERIES_S * 1000000LL, now + 1, true);
            hl_value_set (item, "series", &series);
            hl_value_append (metrics, &item);
        }
        if (hl_value_size (metrics) == 0) {
            hl_value_destroy (&metrics);
            continue;
        }
        if (!s_has_agent (self, roles[r], NULL)) {
            s_degrade (run, "%s: no agent, analysis skipped", roles[r]);
            hl_value_destroy (&metrics);
            continue;
        }
        hl_value_t *args = hl_value_new_map ();
        hl_value_set (args, "metrics", &metrics);
        s_submit (self, run, W_ANALYZE, -1, roles[r], "analyze", NULL,
                  S_ANALYZE_MS, &args);
    }
    if (run->pending == 0)
        s_next_phase (self, run);
    else
        s_arm (self, run, S_ANALYZE_MS + 1000);
}

static void
s_prioritize_and_apply (hl_cycle_t *self, s_run_t *run)
{
    s_enter (self, run, P_PRIORITIZE);
    int64_t now = hl_msg_now_us ();
    const hl_config_cycle_t *cc = hl_config_cycle (self->deps.config);
    hl_health_t *health
        = hl_health_compute (self->deps.config, self->deps.kpi, now);
    hl_candidate_t picks[S_MAX_ACTS];
    /*  max_concurrent counts what is still in flight from elsewhere; an
        emergency acts on at most max_issues, whatever else runs. */
    size_t busy = 0;
    for (size_t i = 0; i < hl_config_actions_size (self->deps.config); i++)
        busy += hl_planner_in_flight (
            self->deps.planner, hl_config_action (self->deps.config, i)->name);
    size_t max = (size_t)cc->max_concurrent > busy
                     ? (size_t)cc->max_concurrent - busy
                     : 0;
    if (run->emergency)
        max = (size_t)self->em_max_issues;
    if (max > S_MAX_ACTS)
        max = S_MAX_ACTS;
    size_t n = hl_planner_rank (self->deps.planner, health, self->deps.learning,
                                now, max, run->emergency, picks, S_MAX_ACTS,
                                &run->candidates);
    hl_health_destroy (&health);

    s_enter (self, run, P_APPLY);
    int64_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        const hl_config_action_t *action = picks[i].action;
        s_act_t *act = &run->acts[run->nacts++];
        act->action = action;
        act->cand = picks[i];
        char role[32];
        s_hephaestus (action, role, sizeof role);
        if (!s_has_agent (self, role, action->name)) {
            s_degrade (run, "%s: no agent can run %s", role, action->name);
            snprintf (act->outcome, sizeof act->outcome, "failed");
            continue;
        }
        /*  The baseline is what the verify window looked like just before
            the change. */
        act->baseline = hl_value_new_array ();
        for (size_t m = 0; m < action->improves_n; m++) {
            const hl_config_metric_t *metric = hl_config_metric_find (
                self->deps.config, action->improves[m]);
            if (!metric)
                continue;
            hl_value_t *item = hl_value_new_map ();
            hl_value_set_str (item, "name", metric->name);
            hl_value_set_str (item, "better", s_better (metric));
            hl_value_set_str (item, "stat",
                              streq (metric->stat, "last") ? "mean"
                                                           : metric->stat);
            /*  In an emergency, what came before it is no baseline: only
                the state since the previous round ended counts (for the
                first round, since detection: often nothing, and then the
                verdict is inconclusive). */
            int64_t from = run->emergency
                               ? run->baseline_us
                               : now - (int64_t)cc->verify_window * 1000000;
            hl_value_t *base = s_series (self, metric, from, now, false);
            hl_value_set (item, "baseline", &base);
            hl_value_append (act->baseline, &item);
        }
        hl_planner_busy (self->deps.planner, action->name, true);
        hl_planner_applied (self->deps.planner, action->name, now);
        hl_value_t *args = hl_value_new_map ();
        hl_value_set_str (args, "action", action->name);
        hl_value_t *params = hl_value_new_map ();
        hl_value_set (args, "params", &params);
        int64_t ms = (int64_t)action->timeout * 1000 + S_SLACK_MS;
        if (ms > longest)
            longest = ms;
        if (!s_submit (self, run, W_APPLY, (int)i, role, "apply", action->name,
                       (uint32_t)ms, &args)) {
            snprintf (act->outcome, sizeof act->outcome, "failed");
            hl_planner_busy (self->deps.planner, action->name, false);
        }
    }
    if (run->pending == 0)
        s_next_phase (self, run);
    else
        s_arm (self, run, longest + 1000);
}

static void
s_verify (hl_cycle_t *self, s_run_t *run)
{
    const hl_config_cycle_t *cc = hl_config_cycle (self->deps.config);
    s_enter (self, run, P_SETTLE);
    /*  An emergency cannot wait a whole verify window: short ones. */
    int settle = run->emergency && cc->settle > 2 ? 2 : cc->settle;
    int window
        = run->emergency && cc->verify_window > 5 ? 5 : cc->verify_window;
    int64_t ms = (int64_t)(settle + window) * 1000 + S_SLACK_MS;
    for (size_t i = 0; i < run->nacts; i++) {
        s_act_t *act = &run->acts[i];
        if (!act->applied)
            continue;
        const char *role = s_verifier (act->action);
        if (!s_has_agent (self, role, NULL)) {
            s_degrade (run, "%s: no agent, %s not verified", role,
                       act->action->name);
            snprintf (act->verdict, sizeof act->verdict, "inconclusive");
            continue;
        }
        hl_value_t *args = hl_value_new_map ();
        hl_value_set_str (args, "action", act->action->name);
        hl_value_set_int (args, "settle_s", settle);
        hl_value_set_int (args, "window_s", window);
        if (run->emergency)
            hl_value_set_int (args, "min_n", S_EM_MIN_N);
        hl_value_t *metrics = hl_value_dup (act->baseline);
        hl_value_set (args, "metrics", &metrics);
        if (!s_submit (self, run, W_VERIFY, (int)i, role, "verify", NULL,
                       (uint32_t)ms, &args))
            snprintf (act->verdict, sizeof act->verdict, "inconclusive");
    }
    if (run->pending == 0) {
        s_next_phase (self, run);
        return;
    }
    s_arm (self, run, ms + 1000);
    if (run->label_timer)
        zloop_timer_end (self->deps.loop, run->label_timer);
    run->label_timer = zloop_timer (self->deps.loop,
                                    (size_t)(settle > 0 ? settle * 1000 : 1), 1,
                                    s_on_label_timer, self);
}

/*  The relative improvement of the action's first metric, positive when
    better; NAN when unknown. */
static double
s_improvement (const s_act_t *act)
{
    const hl_value_t *m
        = hl_value_at (hl_value_get (act->verify, "metrics"), 0);
    double effect = hl_value_get_double (m, "effect", NAN);
    const char *better
        = hl_value_get_str (hl_value_at (act->baseline, 0), "better", "lower");
    return streq (better, "lower") ? -effect : effect;
}

static void
s_decide (hl_cycle_t *self, s_run_t *run)
{
    s_enter (self, run, P_DECIDE);
    /*  An emergency change stays unless it is shown to make things worse:
        there is no clean baseline to prove it better. */
    bool keep_unproven
        = run->emergency || hl_config_cycle (self->deps.config)->keep_unproven;
    int64_t longest = 0;
    for (size_t i = 0; i < run->nacts; i++) {
        s_act_t *act = &run->acts[i];
        if (!act->applied)
            continue;
        if (!*act->verdict)
            snprintf (act->verdict, sizeof act->verdict, "inconclusive");
        bool improved = streq (act->verdict, "improved");
        if (!streq (act->verdict, "inconclusive"))
            hl_learning_record (self->deps.learning, act->action->name,
                                improved, s_improvement (act));
        bool unproven = streq (act->verdict, "unchanged")
                        || streq (act->verdict, "inconclusive");
        if (improved || (unproven && keep_unproven)) {
            snprintf (act->outcome, sizeof act->outcome, "kept");
            hl_planner_busy (self->deps.planner, act->action->name, false);
            hl_planner_effect (self->deps.planner, act->action->name, true);
            continue;
        }
        char role[32];
        s_hephaestus (act->action, role, sizeof role);
        hl_value_t *args = hl_value_new_map ();
        hl_value_set_str (args, "action", act->action->name);
        hl_value_t *params = hl_value_new_map ();
        hl_value_set (args, "params", &params);
        int64_t ms = (int64_t)act->action->timeout * 1000 + S_SLACK_MS;
        if (ms > longest)
            longest = ms;
        if (!s_has_agent (self, role, act->action->name)
            || !s_submit (self, run, W_ROLLBACK, (int)i, role, "rollback",
                          act->action->name, (uint32_t)ms, &args)) {
            hl_value_destroy (&args);
            s_degrade (run, "%s: could not roll back %s", role,
                       act->action->name);
            snprintf (act->outcome, sizeof act->outcome, "failed");
            hl_planner_busy (self->deps.planner, act->action->name, false);
        }
    }
    if (run->pending == 0)
        s_next_phase (self, run);
    else
        s_arm (self, run, longest + 1000);
}

static hl_value_t *
s_act_report (const s_act_t *act)
{
    hl_value_t *a = hl_value_new_map ();
    hl_value_set_str (a, "name", act->action->name);
    hl_value_set_str (a, "swarm", hl_swarm_name (act->action->swarm));
    hl_value_set_str (a, "verdict", *act->verdict ? act->verdict : "none");
    hl_value_set_str (a, "outcome", *act->outcome ? act->outcome : "failed");
    hl_value_set_int (a, "urgency", act->cand.urgency);
    hl_value_set_double (a, "impact", act->cand.impact);
    hl_value_set_double (a, "cost", act->cand.cost);
    hl_value_set_double (a, "p_success", act->cand.p);
    hl_value_set_double (a, "gain", act->cand.gain);
    const hl_value_t *metrics = hl_value_get (act->verify, "metrics");
    const hl_value_t *first = hl_value_at (metrics, 0);
    hl_value_t *v;
    v = hl_value_get (first, "p_value")
            ? hl_value_dup (hl_value_get (first, "p_value"))
            : hl_value_new_nil ();
    hl_value_set (a, "p_value", &v);
    v = hl_value_get (first, "effect")
            ? hl_value_dup (hl_value_get (first, "effect"))
            : hl_value_new_nil ();
    hl_value_set (a, "effect", &v);
    hl_value_t *list = hl_value_new_array ();
    for (size_t i = 0; i < hl_value_size (metrics); i++) {
        const hl_value_t *m = hl_value_at (metrics, i);
        hl_value_t *item = hl_value_new_map ();
        hl_value_set_str (item, "name", hl_value_get_str (m, "name", "?"));
        const char *keys[][2]
            = { { "before", "median_before" }, { "after", "median_after" },
                { "shift", "shift" },          { "ci_low", "ci_low" },
                { "ci_high", "ci_high" },      { "p_value", "p_value" },
                { "effect", "effect" },        { "n_before", "n_before" },
                { "n_after", "n_after" },      { "verdict", "verdict" } };
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const hl_value_t *src = hl_value_get (m, keys[k][1]);
            hl_value_t *copy = src ? hl_value_dup (src) : hl_value_new_nil ();
            hl_value_set (item, keys[k][0], &copy);
        }
        hl_value_append (list, &item);
    }
    hl_value_set (a, "metrics", &list);
    if (act->apply) {
        hl_value_t *copy = hl_value_dup (act->apply);
        hl_value_set (a, "apply", &copy);
    }
    if (act->rollback) {
        hl_value_t *copy = hl_value_dup (act->rollback);
        hl_value_set (a, "rollback", &copy);
    }
    return a;
}

static void
s_write_file (const char *path, const char *text)
{
    char tmp[HL_CONFIG_PATH + 64];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    if (!f || fputs (text, f) < 0 || fclose (f) != 0) {
        hl_log_warning ("report: cannot write %s", tmp);
        return;
    }
    if (rename (tmp, path))
        hl_log_warning ("report: cannot rename %s", tmp);
}

static void
s_report (hl_cycle_t *self, s_run_t *run)
{
    s_enter (self, run, P_REPORT);
    run->finished_us = hl_msg_now_us ();
    hl_health_t *health = hl_health_compute (self->deps.config, self->deps.kpi,
                                             run->finished_us);
    run->score_after = hl_health_score (health);
    hl_value_t *r = hl_value_new_map ();
    hl_value_set_int (r, "id", (int64_t)run->id);
    hl_value_set_str (r, "kind", run->kind);
    hl_value_set_str (r, "master", self->deps.src);
    hl_value_set_int (r, "started", run->started_us);
    hl_value_set_int (r, "finished", run->finished_us);
    hl_value_t *v = isfinite (run->score_before)
                        ? hl_value_new_double (run->score_before)
                        : hl_value_new_nil ();
    hl_value_set (r, "health_before", &v);
    v = isfinite (run->score_after) ? hl_value_new_double (run->score_after)
                                    : hl_value_new_nil ();
    hl_value_set (r, "health_after", &v);
    v = hl_value_dup (run->degraded);
    hl_value_set (r, "degraded", &v);
    if (run->emergency) {
        hl_value_t *em = hl_value_new_map ();
        hl_value_set_double (em, "threshold", self->em_threshold);
        hl_value_set_int (em, "max_issues", self->em_max_issues);
        hl_value_set_int (em, "round", self->em_rounds);
        hl_value_set_int (em, "detected", run->detected_us);
        hl_value_t *first = run->first_task_us
                                ? hl_value_new_int (run->first_task_us)
                                : hl_value_new_nil ();
        hl_value_set (em, "first_task", &first);
        hl_value_t *rt
            = run->first_task_us ? hl_value_new_double (
                  (double)(run->first_task_us - run->detected_us) / 1000.0)
                                 : hl_value_new_nil ();
        hl_value_set (em, "response_ms", &rt);
        hl_value_set_bool (em, "resolved", !self->em_active);
        hl_value_set (r, "emergency", &em);
    }
    hl_value_t *actions = hl_value_new_array ();
    for (size_t i = 0; i < run->nacts; i++) {
        s_act_t *act = &run->acts[i];
        if (streq (act->outcome, "kept"))
            self->kept++;
        else if (streq (act->outcome, "rolled_back"))
            self->rolled_back++;
        else
            self->failed++;
        if (run->nacts >= 2) {
            self->parallel++;
            self->parallel_ok += !streq (act->outcome, "failed");
        }
        v = s_act_report (act);
        hl_value_append (actions, &v);
    }
    hl_value_set (r, "actions", &actions);
    v = run->health_before ? hl_value_dup (run->health_before)
                           : hl_value_new_map ();
    hl_value_set (r, "health_detail_before", &v);
    v = hl_health_to_value (health);
    hl_value_set (r, "health_detail_after", &v);
    hl_health_destroy (&health);
    v = run->analysis ? hl_value_dup (run->analysis) : hl_value_new_map ();
    hl_value_set (r, "analysis", &v);
    v = run->candidates ? hl_value_dup (run->candidates)
                        : hl_value_new_array ();
    hl_value_set (r, "candidates", &v);
    v = hl_learning_to_value (self->deps.learning);
    hl_value_set (r, "learning", &v);
    if (run->plan) {
        v = hl_value_dup (run->plan);
        hl_value_set (r, "plan", &v);
    }
    run->report = r;

    /*  <kind>-<id>.json and .md under state_dir/reports */
    json_t *json = hl_value_to_json (r);
    char *text = json_dumps (json, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    json_decref (json);
    char path[HL_CONFIG_PATH + 64];
    snprintf (path, sizeof path, "%s/%s-%" PRIu64 ".json", self->reports,
              run->kind, run->id);
    if (text)
        s_write_file (path, text);
    free (text);
    char *md = hl_cycle_markdown (r);
    snprintf (path, sizeof path, "%s/%s-%" PRIu64 ".md", self->reports,
              run->kind, run->id);
    s_write_file (path, md);
    free (md);

    /*  Saving syncs twice: only when something was learned, so that a
        run ended without a verdict (one an emergency interrupts, on the
        way to its first tasks) does not wait for the disk. */
    uint64_t outcomes = hl_learning_outcomes (self->deps.learning);
    if (outcomes != self->learning_saved) {
        int saved = hl_learning_save (self->deps.learning, self->learning_path);
        if (saved)
            hl_log_warning ("learning: cannot save %s: %s", self->learning_path,
                            hl_strerror (saved));
        else
            self->learning_saved = outcomes;
    }
    if (hl_value_size (run->degraded))
        self->degraded_runs++;
    self->finished++;
    run->phase = P_DONE;
    /*  One line a person can follow: what was kept, what was undone. */
    char kept[512] = "", undone[512] = "";
    for (size_t i = 0; i < run->nacts; i++) {
        const s_act_t *act = &run->acts[i];
        bool k = streq (act->outcome, "kept");
        char *list = k ? kept : undone;
        size_t used = strlen (list);
        snprintf (list + used, 512 - used, "%s%s%s%s%s", used ? ", " : "",
                  act->action->name, k ? "" : " (",
                  k ? "" : (*act->verdict ? act->verdict : act->outcome),
                  k ? "" : ")");
    }
    hl_log_notice ("%s %" PRIu64 " done: health %.1f -> %.1f; kept: %s; "
                   "rolled back or failed: %s%s",
                   run->kind, run->id, run->score_before, run->score_after,
                   *kept ? kept : "none", *undone ? undone : "none",
                   hl_value_size (run->degraded) ? "; degraded" : "");
    s_event (self, run, "finished");
    if (run->label_timer)
        zloop_timer_end (self->deps.loop, run->label_timer);
    run->label_timer = 0;
    if (self->current == run)
        self->current = NULL;
    if (self->emergency == run) {
        self->emergency = NULL;
        self->em_next_round_us = run->finished_us + S_EM_GAP_US;
        self->em_last_round_us = run->finished_us;
    }
    if (run->done)
        run->done (run->done_arg, run->report);
    zlistx_add_start (self->history, run);
    while (zlistx_size (self->history) > S_KEEP_RUNS) {
        zlistx_last (self->history);
        zlistx_delete (self->history, zlistx_cursor (self->history));
    }
}

/*  The current phase is over: on to the next. */
static void
s_next_phase (hl_cycle_t *self, s_run_t *run)
{
    if (!run)
        return;
    if (self->closing) {
        s_report (self, run);
        return;
    }
    switch (run->phase) {
        case P_COLLECT:
            s_collect_and_analyze (self, run);
            break;
        case P_ANALYZE:
            if (run->analysis_only)
                s_report (self, run);
            else
                s_prioritize_and_apply (self, run);
            break;
        case P_PRIORITIZE:
        case P_APPLY:
            s_verify (self, run);
            break;
        case P_SETTLE:
        case P_VERIFY:
            s_decide (self, run);
            break;
        case P_DECIDE:
            s_report (self, run);
            break;
        default:
            break;
    }
}

/*  A task of the run ended. */
static void
s_task_done (void *arg, const hl_task_end_t *end)
{
    s_ticket_t *ticket = (s_ticket_t *)arg;
    hl_cycle_t *self = ticket->engine;
    if (!self) {
        free (ticket); /* the engine is gone */
        return;
    }
    zlistx_delete (self->tickets, ticket->handle);
    s_run_t *run = s_find (self, ticket->run_id);
    if (!run || run->seq != ticket->seq || self->closing) {
        free (ticket); /* a phase already left */
        return;
    }
    for (size_t i = 0; i < run->nopen; i++)
        if (run->open[i] == end->task_id)
            run->open[i] = 0;
    bool ok = end->status == HL_STATUS_OK;
    const char *why
        = hl_value_get_str (end->data, "error", hl_status_name (end->status));
    s_act_t *act = ticket->act >= 0 ? &run->acts[ticket->act] : NULL;
    hl_value_t *summary = hl_value_new_map ();
    hl_value_set_str (summary, "status", hl_status_name (end->status));
    hl_value_set_str (summary, "agent", end->agent);
    if (end->data) {
        hl_value_t *copy = hl_value_dup (end->data);
        hl_value_set (summary, "data", &copy);
    }
    switch (ticket->what) {
        case W_ANALYZE:
            if (!run->analysis)
                run->analysis = hl_value_new_map ();
            if (ok) {
                hl_value_t *copy = end->data ? hl_value_dup (end->data)
                                             : hl_value_new_nil ();
                hl_value_set (run->analysis, ticket->role, &copy);
            } else
                s_degrade (run, "%s: analysis %s: %s", ticket->role,
                           hl_status_name (end->status), why);
            hl_value_destroy (&summary);
            break;
        case W_APPLY:
            act->apply = summary;
            act->applied = ok;
            if (!ok) {
                s_degrade (run, "%s: apply %s %s: %s", ticket->role,
                           act->action->name, hl_status_name (end->status),
                           why);
                snprintf (act->outcome, sizeof act->outcome, "failed");
                hl_planner_busy (self->deps.planner, act->action->name, false);
            }
            break;
        case W_VERIFY:
            hl_value_destroy (&summary);
            if (ok && end->data) {
                act->verify = hl_value_dup (end->data);
                snprintf (
                    act->verdict, sizeof act->verdict, "%s",
                    hl_value_get_str (end->data, "verdict", "inconclusive"));
            } else {
                s_degrade (run, "%s: verify %s %s: %s", ticket->role,
                           act->action->name, hl_status_name (end->status),
                           why);
                snprintf (act->verdict, sizeof act->verdict, "inconclusive");
            }
            break;
        case W_ROLLBACK:
            act->rollback = summary;
            snprintf (act->outcome, sizeof act->outcome, "%s",
                      ok ? "rolled_back" : "failed");
            if (!ok)
                s_degrade (run, "%s: rollback %s %s: %s", ticket->role,
                           act->action->name, hl_status_name (end->status),
                           why);
            hl_planner_busy (self->deps.planner, act->action->name, false);
            break;
    }
    free (ticket);
    if (--run->pending == 0)
        s_next_phase (self, run);
}

//  --------------------------------------------------------------------
//  Strategic planning: forecasts to a horizon, and a roadmap

#define S_PLAN_HISTORY_S 3600 /* seconds of history a forecast uses */

/*  Collects one metric's per-second statistic as (t, value) pairs. */
typedef struct {
    double *x, *y;
    size_t n, cap;
    const char *stat;
} s_points_t;

static void
s_points_add (const char *name, const hl_kpi_stats_t *stats, void *arg)
{
    (void)name;
    s_points_t *p = (s_points_t *)arg;
    double v;
    if (p->n == p->cap || hl_kpi_stat (stats, p->stat, &v) || !isfinite (v))
        return;
    p->x[p->n] = (double)stats->second;
    p->y[p->n++] = v;
}

/*  "7_days", "24_hours", "90_minutes", "3600" (seconds); 0 if bad. */
static int64_t
s_horizon (const char *text)
{
    char *end;
    double n = strtod (text, &end);
    if (end == text || !(n > 0) || n > 366 * 86400)
        return 0;
    double unit = streq (end, "") || streq (end, "_seconds") ? 1
                  : streq (end, "_minutes")                  ? 60
                  : streq (end, "_hours")                    ? 3600
                  : streq (end, "_days")                     ? 86400
                                                             : 0;
    return (int64_t)(n * unit);
}

/*  Build the plan into run->report-to-be: per scenario, each metric's
    trend and forecast at the horizon, projected breach and score, and the
    health they make; then the roadmap: the actions the planner ranks now,
    each with the health it is expected to add. growth:<pct> scales every
    metric the wrong way by pct percent (load growing). */
static hl_value_t *
s_plan (hl_cycle_t *self, int64_t horizon_s, char (*scenarios)[32],
        size_t nscenarios)
{
    const hl_config_t *config = self->deps.config;
    int64_t now_us = hl_msg_now_us ();
    double now_s = (double)now_us / 1e6;
    hl_value_t *plan = hl_value_new_map ();
    hl_value_set_int (plan, "horizon_s", horizon_s);
    hl_value_t *list = hl_value_new_map ();
    size_t cap = S_PLAN_HISTORY_S + 2;
    s_points_t pts = { (double *)malloc (cap * sizeof (double)),
                       (double *)malloc (cap * sizeof (double)), 0, cap, NULL };
    for (size_t sc = 0; sc < nscenarios; sc++) {
        double growth = 0;
        if (!strncmp (scenarios[sc], "growth:", 7))
            growth = atof (scenarios[sc] + 7) / 100.0;
        hl_value_t *metrics = hl_value_new_array ();
        double sum = 0, weights = 0;
        for (size_t i = 0; i < hl_config_metrics_size (config); i++) {
            const hl_config_metric_t *m = hl_config_metric (config, i);
            pts.n = 0;
            pts.stat = streq (m->stat, "last") ? "mean" : m->stat;
            hl_kpi_series (self->deps.kpi, m->name,
                           now_us - S_PLAN_HISTORY_S * 1000000LL, now_us + 1,
                           s_points_add, &pts);
            hl_value_t *item = hl_value_new_map ();
            hl_value_set_str (item, "name", m->name);
            hl_value_set_int (item, "points", (int64_t)pts.n);
            hl_stats_trend_t trend;
            if (pts.n < 2 || hl_stats_theil_sen (pts.x, pts.y, pts.n, &trend)) {
                hl_value_set_str (item, "forecast", "nodata");
                hl_value_append (metrics, &item);
                continue;
            }
            double value
                = trend.intercept + trend.slope * (now_s + (double)horizon_s);
            /*  growth makes the metric worse in its own direction */
            value
                *= m->better == HL_BETTER_LOWER ? 1 + growth : 1 / (1 + growth);
            double score = hl_health_score_value (m, value);
            double at = 0;
            hl_stats_trend_t grown = trend;
            grown.intercept
                *= m->better == HL_BETTER_LOWER ? 1 + growth : 1 / (1 + growth);
            grown.slope
                *= m->better == HL_BETTER_LOWER ? 1 + growth : 1 / (1 + growth);
            bool breach = hl_stats_forecast (&grown, m->critical, now_s, &at)
                          && at - now_s <= (double)horizon_s;
            hl_value_set_double (item, "trend_per_hour", trend.slope * 3600);
            hl_value_set_double (item, "at_horizon", value);
            hl_value_set_double (item, "score_at_horizon",
                                 isfinite (score) ? score : 0);
            hl_value_t *b = breach ? hl_value_new_double (at - now_s)
                                   : hl_value_new_nil ();
            hl_value_set (item, "breach_in_s", &b);
            hl_value_append (metrics, &item);
            if (isfinite (score)) {
                sum += score * m->weight;
                weights += m->weight;
            }
        }
        hl_value_t *scenario = hl_value_new_map ();
        hl_value_t *h = weights > 0 ? hl_value_new_double (sum / weights)
                                    : hl_value_new_nil ();
        hl_value_set (scenario, "health_at_horizon", &h);
        hl_value_set (scenario, "metrics", &metrics);
        hl_value_set (list, scenarios[sc], &scenario);
    }
    free (pts.x);
    free (pts.y);
    hl_value_set (plan, "scenarios", &list);

    /*  The roadmap: every candidate by gain, each with the health its
        expected improvement would add (its metrics' scores moved by
        `expected`, weighted like the overall score). */
    hl_health_t *health = hl_health_compute (config, self->deps.kpi, now_us);
    hl_candidate_t picks[S_MAX_ACTS];
    size_t n
        = hl_planner_rank (self->deps.planner, health, self->deps.learning,
                           now_us, S_MAX_ACTS, false, picks, S_MAX_ACTS, NULL);
    double total_weight = 0;
    for (size_t i = 0; i < hl_config_metrics_size (config); i++)
        total_weight += hl_config_metric (config, i)->weight;
    double expected_health = hl_health_score (health);
    hl_value_t *roadmap = hl_value_new_array ();
    for (size_t i = 0; i < n; i++) {
        const hl_config_action_t *a = picks[i].action;
        double gain = 0;
        for (size_t k = 0; k < a->improves_n; k++) {
            const hl_health_metric_t *hm
                = hl_health_metric_find (health, a->improves[k]);
            if (!hm || !isfinite (hm->value))
                continue;
            const hl_config_metric_t *m = hm->config;
            double better = m->better == HL_BETTER_LOWER
                                ? hm->value * (1 - a->expected)
                                : hm->value * (1 + a->expected);
            double delta = hl_health_score_value (m, better) - hm->score;
            if (isfinite (delta) && total_weight > 0)
                gain += delta * m->weight / total_weight;
        }
        if (isfinite (expected_health))
            expected_health += gain * picks[i].p;
        hl_value_t *step = hl_value_new_map ();
        hl_value_set_int (step, "rank", (int64_t)i + 1);
        hl_value_set_str (step, "action", a->name);
        hl_value_set_str (step, "swarm", hl_swarm_name (a->swarm));
        hl_value_set_int (step, "urgency", picks[i].urgency);
        hl_value_set_double (step, "p_success", picks[i].p);
        hl_value_set_double (step, "gain", picks[i].gain);
        hl_value_set_double (step, "health_gain", gain * picks[i].p);
        hl_value_t *eh = isfinite (expected_health) ? hl_value_new_double (
                             expected_health > 100 ? 100 : expected_health)
                                                    : hl_value_new_nil ();
        hl_value_set (step, "expected_health", &eh);
        hl_value_append (roadmap, &step);
    }
    hl_health_destroy (&health);
    hl_value_set (plan, "roadmap", &roadmap);
    return plan;
}

//  --------------------------------------------------------------------
//  The emergency protocol

/*  alert.<severity> on the bus. */
static void
s_alert (hl_cycle_t *self, const char *severity, const char *text,
         hl_value_t **data_p)
{
    char topic[64];
    snprintf (topic, sizeof topic, "alert.%s", severity);
    if (!self->deps.publish
        || (self->deps.wants && !self->deps.wants (self->deps.arg, topic))) {
        hl_value_destroy (data_p);
        return;
    }
    hl_msg_t *msg = hl_msg_new (HL_MSG_ALERT);
    hl_msg_set_severity (msg, severity);
    hl_msg_set_text (msg, text);
    hl_msg_set_data (msg, data_p);
    self->deps.publish (self->deps.arg, &msg);
    hl_msg_destroy (&msg);
}

/*  Run the configured notify command with the event as JSON on its
    standard input; never waits for it (reaped by hl_cycle_tick). */
static void
s_notify (hl_cycle_t *self, const hl_value_t *event)
{
    const char *command = hl_config_emergency (self->deps.config)->notify;
    if (!*command)
        return;
    json_t *json = hl_value_to_json (event);
    char *text = json_dumps (json, JSON_COMPACT);
    json_decref (json);
    int fds[2];
    if (!text || pipe (fds)) {
        free (text);
        return;
    }
    pid_t pid = fork ();
    if (pid == 0) {
        dup2 (fds[0], STDIN_FILENO);
        close (fds[0]);
        close (fds[1]);
        setpgid (0, 0);
        execl ("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit (127);
    }
    close (fds[0]);
    if (pid > 0) {
        /*  The event is small: one write fits the pipe without blocking. */
        size_t len = strlen (text);
        if (write (fds[1], text, len) != (ssize_t)len)
            hl_log_warning ("emergency: notify got a short write");
        zlistx_add_end (self->children, (void *)(intptr_t)pid);
    } else
        hl_log_warning ("emergency: cannot start notify: %s", strerror (errno));
    close (fds[1]);
    free (text);
}

static hl_value_t *
s_em_event (hl_cycle_t *self, const char *event, double score)
{
    hl_value_t *e = hl_value_new_map ();
    hl_value_set_str (e, "event", event);
    hl_value_set_str (e, "master", self->deps.src);
    hl_value_set_int (e, "time", hl_msg_now_us ());
    hl_value_set_double (e, "health", isfinite (score) ? score : 0);
    hl_value_set_double (e, "threshold", self->em_threshold);
    hl_value_set_int (e, "detected", self->em_detected_us);
    hl_value_set_int (e, "rounds", self->em_rounds);
    return e;
}

/*  A normal cycle with changes not yet verified is stopped, and what it
    changed is rolled back: an emergency must not stack on top of
    unproven changes. */
static void
s_interrupt (hl_cycle_t *self, s_run_t *run)
{
    if (!run || run->phase >= P_DECIDE)
        return;
    s_degrade (run, "interrupted by an emergency");
    uint32_t seq = run->seq;
    run->seq++; /* cancelled tasks end with an old sequence: ignored */
    for (size_t i = 0; i < run->nopen; i++)
        if (run->open[i])
            hl_dispatch_cancel (self->deps.dispatch, run->open[i]);
    run->seq = seq;
    if (run->phase < P_APPLY) {
        s_report (self, run);
        return;
    }
    for (size_t i = 0; i < run->nacts; i++) {
        s_act_t *act = &run->acts[i];
        if (*act->outcome)
            continue; /* never applied */
        /*  An apply still running may have changed things: undo it too. */
        act->applied = true;
        if (!*act->verdict)
            snprintf (act->verdict, sizeof act->verdict, "inconclusive");
    }
    s_decide (self, run);
}

static void
s_emergency_round (hl_cycle_t *self)
{
    s_run_t *run = (s_run_t *)zmalloc (sizeof (s_run_t));
    run->id = self->next_id++;
    snprintf (run->kind, sizeof run->kind, "emergency");
    run->emergency = true;
    run->detected_us = self->em_detected_us;
    run->baseline_us = self->em_last_round_us > self->em_detected_us
                           ? self->em_last_round_us
                           : self->em_detected_us;
    run->started_us = hl_msg_now_us ();
    run->score_before = run->score_after = NAN;
    run->degraded = hl_value_new_array ();
    run->phase = P_COLLECT;
    self->emergency = run;
    self->em_rounds++;
    self->started++;
    hl_log_notice ("emergency %" PRIu64 ": round %d", run->id, self->em_rounds);
    s_event (self, run, "started");
    s_next_phase (self, run);
}

static void
s_emergency_start (hl_cycle_t *self, double score, double threshold,
                   int max_issues, const char *why)
{
    self->em_active = true;
    self->em_threshold = threshold;
    self->em_max_issues = max_issues;
    self->em_rounds = 0;
    self->em_above_us = 0;
    self->em_detected_us = hl_msg_now_us ();
    self->emergencies++;
    /*  Normal work waits; emergency tasks still go. */
    hl_dispatch_pause (self->deps.dispatch, true);
    self->em_held = true;
    hl_log_warning ("emergency: health %.1f < %.1f (%s)", score, threshold,
                    why);
    char text[128];
    snprintf (text, sizeof text, "emergency: health %.1f below %.1f", score,
              threshold);
    /*  Respond first: the first emergency tasks leave before the notify
        command is spawned. */
    s_interrupt (self, self->current);
    s_emergency_round (self);
    hl_value_t *event = s_em_event (self, "emergency.started", score);
    s_notify (self, event);
    s_alert (self, "critical", text, &event);
}

static void
s_emergency_end (hl_cycle_t *self, double score)
{
    self->em_active = false;
    if (self->em_held) {
        hl_dispatch_pause (self->deps.dispatch, self->paused);
        self->em_held = false;
    }
    hl_log_notice ("emergency resolved: health %.1f >= %.1f after %d "
                   "round(s)",
                   score, self->em_threshold, self->em_rounds);
    char text[128];
    snprintf (text, sizeof text, "emergency resolved: health %.1f", score);
    hl_value_t *event = s_em_event (self, "emergency.resolved", score);
    s_notify (self, event);
    s_alert (self, "info", text, &event);
}

void
hl_cycle_health (hl_cycle_t *self, const hl_health_t *health)
{
    double score = hl_health_score (health);
    if (!isfinite (score) || self->closing)
        return;
    if (!self->em_active) {
        const hl_config_emergency_t *ec
            = hl_config_emergency (self->deps.config);
        if (score < ec->threshold)
            s_emergency_start (self, score, ec->threshold, ec->max_issues,
                               "health");
        return;
    }
    int64_t now = hl_msg_now_us ();
    if (score >= self->em_threshold) {
        if (!self->em_above_us)
            self->em_above_us = now;
        if (now - self->em_above_us >= S_EM_CLEAR_US)
            s_emergency_end (self, score);
        return;
    }
    self->em_above_us = 0;
    if (self->emergency)
        return; /* a round is under way */
    if (self->em_rounds < S_EM_ROUNDS) {
        if (now >= self->em_next_round_us)
            s_emergency_round (self);
    } else if (self->em_held) {
        /*  Nothing more to try in an emergency: normal cycles go on
            looking for improvements, and people are told. */
        hl_dispatch_pause (self->deps.dispatch, self->paused);
        self->em_held = false;
        hl_log_warning ("emergency unresolved after %d rounds: health "
                        "%.1f; normal cycles resume",
                        self->em_rounds, score);
        hl_value_t *event = s_em_event (self, "emergency.unresolved", score);
        s_notify (self, event);
        s_alert (self, "critical",
                 "emergency unresolved: normal cycles "
                 "resume",
                 &event);
    }
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
    hl_cycle_t *self = (hl_cycle_t *)zmalloc (sizeof (hl_cycle_t));
    self->deps = *deps;
    snprintf (self->reports, sizeof self->reports, "%s", reports);
    self->history = zlistx_new ();
    zlistx_set_destructor (self->history, s_run_free);
    self->tickets = zlistx_new ();
    self->children = zlistx_new ();
    snprintf (self->learning_path, sizeof self->learning_path,
              "%s/learning.json", state_dir);
    int rc = hl_learning_load (deps->learning, self->learning_path);
    if (rc)
        hl_log_warning ("learning: %s not loaded: %s", self->learning_path,
                        hl_strerror (rc));
    self->next_id = 1;
    self->next_at_us
        = hl_msg_now_us ()
          + (int64_t)hl_config_cycle (deps->config)->duration * 1000000;
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
    if (self->current) {
        s_degrade (self->current, "master shut down");
        s_report (self, self->current);
    }
    if (self->emergency) {
        s_degrade (self->emergency, "master shut down");
        s_report (self, self->emergency);
    }
    /*  Notify commands still running are left to finish; reap what has. */
    for (void *p = zlistx_first (self->children); p;
         p = zlistx_next (self->children))
        waitpid ((pid_t)(intptr_t)p, NULL, WNOHANG);
    zlistx_destroy (&self->children);
    for (s_ticket_t *t = (s_ticket_t *)zlistx_first (self->tickets); t;
         t = (s_ticket_t *)zlistx_next (self->tickets))
        t->engine = NULL;
    zlistx_destroy (&self->tickets);
    zlistx_destroy (&self->history);
    free (self);
    *self_p = NULL;
}

uint64_t
hl_cycle_run (hl_cycle_t *self, const char *kind, hl_value_t **params_p,
              hl_cycle_done_fn *done, void *done_arg, char *error,
              size_t errsize)
{
    if (streq (kind, "emergency")) {
        const hl_config_emergency_t *ec
            = hl_config_emergency (self->deps.config);
        double threshold
            = hl_value_get_double (*params_p, "threshold", ec->threshold);
        int64_t max_issues
            = hl_value_get_int (*params_p, "max_issues", ec->max_issues);
        hl_value_destroy (params_p);
        if (!(threshold >= 0 && threshold <= 100) || max_issues < 1
            || max_issues > 100) {
            snprintf (error, errsize,
                      "run: emergency wants threshold "
                      "0..100 and max_issues 1..100");
            return 0;
        }
        if (self->em_active) {
            snprintf (error, errsize, "run: an emergency is in progress");
            return 0;
        }
        double score = NAN;
        hl_health_t *health = hl_health_compute (
            self->deps.config, self->deps.kpi, hl_msg_now_us ());
        score = hl_health_score (health);
        hl_health_destroy (&health);
        s_emergency_start (self, score, threshold, (int)max_issues,
                           "requested");
        s_run_t *run = self->emergency;
        if (!run)
            return 0;
        run->done = done;
        run->done_arg = done_arg;
        return run->id;
    }
    /*  analysis: focus_areas is a list of categories, or a string of
        them separated by commas; depth is accepted and recorded. */
    char focus[3][16];
    size_t nfocus = 0;
    if (streq (kind, "analysis")) {
        const hl_value_t *areas = hl_value_get (*params_p, "focus_areas");
        char text[128] = "";
        if (hl_value_str (areas, NULL))
            snprintf (text, sizeof text, "%s", hl_value_str (areas, NULL));
        for (size_t i = 0; i < hl_value_size (areas); i++) {
            const char *a = hl_value_str (hl_value_at (areas, i), NULL);
            size_t used = strlen (text);
            snprintf (text + used, sizeof text - used, "%s%s", used ? "," : "",
                      a ? a : "?");
        }
        for (char *tok = strtok (text, ","); tok; tok = strtok (NULL, ",")) {
            if (!streq (tok, "frontend") && !streq (tok, "backend")
                && !streq (tok, "business")) {
                snprintf (error, errsize,
                          "run: focus area '%.32s' is not "
                          "frontend, backend or business",
                          tok);
                hl_value_destroy (params_p);
                return 0;
            }
            if (nfocus < 3)
                snprintf (focus[nfocus++], sizeof focus[0], "%s", tok);
        }
    }
    /*  strategic_planning: horizon (default 7_days) and scenarios
        ("baseline", "growth:<pct>"; a list or a comma-separated string). */
    int64_t horizon_s = 0;
    char scenarios[4][32];
    size_t nscenarios = 0;
    if (streq (kind, "strategic_planning")) {
        double seconds;
        const hl_value_t *hv = hl_value_get (*params_p, "horizon");
        if (hv && !hl_value_double (hv, &seconds))
            horizon_s
                = seconds > 0 && seconds <= 366 * 86400 ? (int64_t)seconds : 0;
        else
            horizon_s
                = s_horizon (hl_value_get_str (*params_p, "horizon", "7_days"));
        const hl_value_t *sv = hl_value_get (*params_p, "scenarios");
        char text[160] = "baseline";
        if (hl_value_str (sv, NULL))
            snprintf (text, sizeof text, "%s", hl_value_str (sv, NULL));
        else if (hl_value_size (sv)) {
            text[0] = 0;
            for (size_t i = 0; i < hl_value_size (sv); i++) {
                const char *t = hl_value_str (hl_value_at (sv, i), NULL);
                size_t used = strlen (text);
                snprintf (text + used, sizeof text - used, "%s%s",
                          used ? "," : "", t ? t : "?");
            }
        }
        for (char *tok = strtok (text, ","); tok; tok = strtok (NULL, ",")) {
            char *end = NULL;
            bool ok = streq (tok, "baseline")
                      || (!strncmp (tok, "growth:", 7)
                          && strtod (tok + 7, &end) > -100 && end && *end == 0
                          && end != tok + 7);
            if (!ok || nscenarios == 4 || strlen (tok) >= 32) {
                snprintf (error, errsize,
                          "run: scenario '%.32s' is not "
                          "baseline or growth:<pct> (4 at most)",
                          tok);
                hl_value_destroy (params_p);
                return 0;
            }
            snprintf (scenarios[nscenarios++], sizeof scenarios[0], "%s", tok);
        }
        if (!horizon_s) {
            snprintf (error, errsize,
                      "run: horizon wants e.g. 7_days, "
                      "24_hours or seconds");
            hl_value_destroy (params_p);
            return 0;
        }
    }
    hl_value_destroy (params_p);
    if (!streq (kind, "optimization") && !streq (kind, "analysis")
        && !streq (kind, "strategic_planning")) {
        snprintf (error, errsize, "run: unknown kind '%s'", kind);
        return 0;
    }
    if (streq (kind, "strategic_planning")) {
        /*  Computed here and now: no agent, no phase. */
        s_run_t *run = (s_run_t *)zmalloc (sizeof (s_run_t));
        run->id = self->next_id++;
        snprintf (run->kind, sizeof run->kind, "%s", kind);
        run->started_us = hl_msg_now_us ();
        run->score_before = run->score_after = NAN;
        run->degraded = hl_value_new_array ();
        run->plan = s_plan (self, horizon_s, scenarios, nscenarios);
        run->done = done;
        run->done_arg = done_arg;
        run->phase = P_DECIDE;
        self->started++;
        s_report (self, run);
        return run->id;
    }
    if (self->current) {
        snprintf (error, errsize,
                  "run: cycle %" PRIu64 " is still running "
                  "(%s)",
                  self->current->id, s_phase_names[self->current->phase]);
        return 0;
    }
    s_run_t *run = (s_run_t *)zmalloc (sizeof (s_run_t));
    run->id = self->next_id++;
    snprintf (run->kind, sizeof run->kind, "%s", kind);
    run->started_us = hl_msg_now_us ();
    run->score_before = run->score_after = NAN;
    run->degraded = hl_value_new_array ();
    run->done = done;
    run->done_arg = done_arg;
    run->phase = P_COLLECT;
    run->analysis_only = streq (kind, "analysis");
    memcpy (run->focus, focus, sizeof focus);
    run->nfocus = nfocus;
    self->current = run;
    self->started++;
    int64_t duration = hl_config_cycle (self->deps.config)->duration;
    self->next_at_us = run->started_us + duration * 1000000;
    hl_log_notice ("%s %" PRIu64 " started", kind, run->id);
    s_event (self, run, "started");
    s_next_phase (self, run);
    return run->id;
}

void
hl_cycle_tick (hl_cycle_t *self, int64_t now_us)
{
    /*  Reap the notify commands that have finished. */
    bool again = true;
    while (again) {
        again = false;
        for (void *p = zlistx_first (self->children); p;
             p = zlistx_next (self->children))
            if (waitpid ((pid_t)(intptr_t)p, NULL, WNOHANG) != 0) {
                zlistx_delete (self->children, zlistx_cursor (self->children));
                again = true;
                break;
            }
    }
    if (self->paused || self->current || self->em_held
        || now_us < self->next_at_us)
        return;
    char error[128];
    hl_cycle_run (self, "optimization", NULL, NULL, NULL, error, sizeof error);
}

void
hl_cycle_pause (hl_cycle_t *self, bool paused)
{
    self->paused = paused;
}

static hl_value_t *
s_summary (const s_run_t *run)
{
    hl_value_t *s = hl_value_new_map ();
    hl_value_set_int (s, "id", (int64_t)run->id);
    hl_value_set_str (s, "kind", run->kind);
    hl_value_set_str (s, "phase", s_phase_names[run->phase]);
    hl_value_set_int (s, "started", run->started_us);
    hl_value_set_int (s, "finished", run->finished_us);
    hl_value_t *v = isfinite (run->score_before)
                        ? hl_value_new_double (run->score_before)
                        : hl_value_new_nil ();
    hl_value_set (s, "health_before", &v);
    v = isfinite (run->score_after) ? hl_value_new_double (run->score_after)
                                    : hl_value_new_nil ();
    hl_value_set (s, "health_after", &v);
    int kept = 0, rolled = 0, failed = 0;
    for (size_t i = 0; i < run->nacts; i++) {
        kept += streq (run->acts[i].outcome, "kept");
        rolled += streq (run->acts[i].outcome, "rolled_back");
        failed += streq (run->acts[i].outcome, "failed");
    }
    hl_value_set_int (s, "actions", (int64_t)run->nacts);
    hl_value_set_int (s, "kept", kept);
    hl_value_set_int (s, "rolled_back", rolled);
    hl_value_set_int (s, "failed", failed);
    hl_value_set_int (s, "degraded", (int64_t)hl_value_size (run->degraded));
    return s;
}

hl_value_t *
hl_cycle_list (hl_cycle_t *self)
{
    hl_value_t *list = hl_value_new_array ();
    s_run_t *open[] = { self->emergency, self->current };
    for (int i = 0; i < 2; i++)
        if (open[i]) {
            hl_value_t *s = s_summary (open[i]);
            hl_value_append (list, &s);
        }
    for (s_run_t *run = (s_run_t *)zlistx_first (self->history); run;
         run = (s_run_t *)zlistx_next (self->history)) {
        hl_value_t *s = s_summary (run);
        hl_value_append (list, &s);
    }
    return list;
}

const hl_value_t *
hl_cycle_report (hl_cycle_t *self, uint64_t id)
{
    for (s_run_t *run = (s_run_t *)zlistx_first (self->history); run;
         run = (s_run_t *)zlistx_next (self->history))
        if (id == 0 || run->id == id)
            return run->report;
    return NULL;
}

hl_value_t *
hl_cycle_status (hl_cycle_t *self)
{
    hl_value_t *s = hl_value_new_map ();
    hl_value_set_str (s, "phase",
                      self->current ? s_phase_names[self->current->phase]
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
    /*  the seed's optimization_success_rate: kept of those verified */
    uint64_t judged = self->kept + self->rolled_back;
    hl_value_t *rate
        = judged ? hl_value_new_double ((double)self->kept / (double)judged)
                 : hl_value_new_nil ();
    hl_value_set (s, "optimization_success_rate", &rate);
    /*  the seed's concurrent_optimization_efficiency: of the actions run
        side by side with others, the share that applied, verified and
        were kept or rolled back cleanly (none failed) */
    hl_value_t *eff = self->parallel ? hl_value_new_double (
                          (double)self->parallel_ok / (double)self->parallel)
                                     : hl_value_new_nil ();
    hl_value_set (s, "concurrent_optimization_efficiency", &eff);
    hl_value_set_double (
        s, "cycle_completion_rate",
        self->started ? (double)self->finished / (double)self->started : 1.0);
    hl_value_set_int (s, "next_in_s",
                      (self->next_at_us - hl_msg_now_us ()) / 1000000);
    hl_value_t *em = hl_value_new_map ();
    hl_value_set_bool (em, "active", self->em_active);
    hl_value_set_int (em, "count", (int64_t)self->emergencies);
    hl_value_set_int (em, "rounds", self->em_rounds);
    hl_value_set_int (em, "detected", self->em_detected_us);
    hl_value_t *rt
        = self->em_last_response_us
              ? hl_value_new_double ((double)self->em_last_response_us / 1000.0)
              : hl_value_new_nil ();
    hl_value_set (em, "last_response_ms", &rt);
    rt = self->em_last_first_task_us
             ? hl_value_new_int (self->em_last_first_task_us)
             : hl_value_new_nil ();
    hl_value_set (em, "first_task", &rt);
    hl_value_set (s, "emergency", &em);
    return s;
}

//  --------------------------------------------------------------------
//  Markdown

/*  A number with decimals, times scale, with a sign if signed, then
    suffix; "-" when missing or not finite. */
static void
s_md_number (zchunk_t *out, const hl_value_t *v, int decimals, bool sign,
             double scale, const char *suffix)
{
    double d;
    if (v && !hl_value_double (v, &d) && isfinite (d)) {
        char text[64];
        if (sign)
            snprintf (text, sizeof text, "%+.*f%s", decimals, d * scale,
                      suffix);
        else
            snprintf (text, sizeof text, "%.*f%s", decimals, d * scale, suffix);
        zchunk_extend (out, text, strlen (text));
    } else
        zchunk_extend (out, "-", 1);
}

static void s_md (zchunk_t *out, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_md (zchunk_t *out, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    if (n > 0)
        zchunk_extend (out, text,
                       (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

char *
hl_cycle_markdown (const hl_value_t *r)
{
    zchunk_t *out = zchunk_new (NULL, 4096);
    s_md (out, "# Helios %s %" PRId64 "\n\n",
          hl_value_get_str (r, "kind", "run"), hl_value_get_int (r, "id", 0));
    s_md (out, "- health: ");
    s_md_number (out, hl_value_get (r, "health_before"), 1, false, 1, "");
    s_md (out, " before, ");
    s_md_number (out, hl_value_get (r, "health_after"), 1, false, 1, "");
    s_md (out, " after\n");
    s_md (out,
          "- started %" PRId64 ", finished %" PRId64 " (us since the "
          "epoch)\n\n",
          hl_value_get_int (r, "started", 0),
          hl_value_get_int (r, "finished", 0));
    const hl_value_t *degraded = hl_value_get (r, "degraded");
    if (hl_value_size (degraded)) {
        s_md (out, "## Degraded\n\n");
        for (size_t i = 0; i < hl_value_size (degraded); i++)
            s_md (out, "- %s\n",
                  hl_value_str (hl_value_at (degraded, i), NULL));
        s_md (out, "\n");
    }
    const hl_value_t *analysis = hl_value_get (r, "analysis");
    if (hl_value_size (analysis)) {
        s_md (out,
              "## Analysis\n\n| metric | severity | trend/h | breach "
              "in s | anomaly z | recommended |\n|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < hl_value_size (analysis); i++) {
            const hl_value_t *ms
                = hl_value_get (hl_value_val_at (analysis, i), "metrics");
            for (size_t j = 0; j < hl_value_size (ms); j++) {
                const hl_value_t *m = hl_value_at (ms, j);
                s_md (out, "| %s | %s | ", hl_value_get_str (m, "name", "?"),
                      hl_value_get_str (m, "severity", "?"));
                s_md_number (out, hl_value_get (m, "trend_per_hour"), 2, true,
                             1, "");
                s_md (out, " | ");
                s_md_number (out, hl_value_get (m, "breach_in_s"), 0, false, 1,
                             "");
                s_md (out, " | ");
                s_md_number (out, hl_value_get (m, "anomaly_z"), 1, true, 1,
                             "");
                s_md (out, " | ");
                const hl_value_t *recs = hl_value_get (m, "recommendations");
                for (size_t k = 0; k < hl_value_size (recs); k++)
                    s_md (out, "%s%s", k ? ", " : "",
                          hl_value_str (hl_value_at (recs, k), NULL));
                s_md (out, " |\n");
            }
        }
        s_md (out, "\n");
    }
    const hl_value_t *plan = hl_value_get (r, "plan");
    if (plan) {
        const hl_value_t *scs = hl_value_get (plan, "scenarios");
        s_md (out, "## Forecast to %" PRId64 " s from now\n\n",
              hl_value_get_int (plan, "horizon_s", 0));
        for (size_t i = 0; i < hl_value_size (scs); i++) {
            const hl_value_t *sc = hl_value_val_at (scs, i);
            s_md (out, "### Scenario %s: health ", hl_value_key_at (scs, i));
            s_md_number (out, hl_value_get (sc, "health_at_horizon"), 1, false,
                         1, "");
            s_md (out, "\n\n| metric | trend/h | at horizon | score | "
                       "breach in s |\n|---|---|---|---|---|\n");
            const hl_value_t *ms = hl_value_get (sc, "metrics");
            for (size_t j = 0; j < hl_value_size (ms); j++) {
                const hl_value_t *m = hl_value_at (ms, j);
                s_md (out, "| %s | ", hl_value_get_str (m, "name", "?"));
                s_md_number (out, hl_value_get (m, "trend_per_hour"), 2, true,
                             1, "");
                s_md (out, " | ");
                s_md_number (out, hl_value_get (m, "at_horizon"), 2, false, 1,
                             "");
                s_md (out, " | ");
                s_md_number (out, hl_value_get (m, "score_at_horizon"), 0,
                             false, 1, "");
                s_md (out, " | ");
                s_md_number (out, hl_value_get (m, "breach_in_s"), 0, false, 1,
                             "");
                s_md (out, " |\n");
            }
            s_md (out, "\n");
        }
        const hl_value_t *road = hl_value_get (plan, "roadmap");
        s_md (out, "## Roadmap\n\n| # | action | swarm | p | expected "
                   "health |\n|---|---|---|---|---|\n");
        for (size_t i = 0; i < hl_value_size (road); i++) {
            const hl_value_t *st = hl_value_at (road, i);
            s_md (out, "| %zu | %s | %s | ", i + 1,
                  hl_value_get_str (st, "action", "?"),
                  hl_value_get_str (st, "swarm", "?"));
            s_md_number (out, hl_value_get (st, "p_success"), 2, false, 1, "");
            s_md (out, " | ");
            s_md_number (out, hl_value_get (st, "expected_health"), 1, false, 1,
                         "");
            s_md (out, " |\n");
        }
    }
    const hl_value_t *actions = hl_value_get (r, "actions");
    if (streq (hl_value_get_str (r, "kind", ""), "analysis") || plan) {
        size_t size = zchunk_size (out);
        char *text = (char *)malloc (size + 1);
        memcpy (text, zchunk_data (out), size);
        text[size] = 0;
        zchunk_destroy (&out);
        return text;
    }
    s_md (out, "## Actions\n\n");
    if (!hl_value_size (actions))
        s_md (out, "None: no action was a candidate.\n");
    else {
        s_md (out, "| action | swarm | verdict | outcome | p-value | effect "
                   "|\n|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < hl_value_size (actions); i++) {
            const hl_value_t *a = hl_value_at (actions, i);
            s_md (out, "| %s | %s | %s | %s | ",
                  hl_value_get_str (a, "name", "?"),
                  hl_value_get_str (a, "swarm", "?"),
                  hl_value_get_str (a, "verdict", "?"),
                  hl_value_get_str (a, "outcome", "?"));
            s_md_number (out, hl_value_get (a, "p_value"), 4, false, 1, "");
            s_md (out, " | ");
            s_md_number (out, hl_value_get (a, "effect"), 1, true, 100, "%");
            s_md (out, " |\n");
        }
        s_md (out, "\n### Metrics\n\n| action | metric | before | after | "
                   "shift | verdict |\n|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < hl_value_size (actions); i++) {
            const hl_value_t *a = hl_value_at (actions, i);
            const hl_value_t *ms = hl_value_get (a, "metrics");
            for (size_t j = 0; j < hl_value_size (ms); j++) {
                const hl_value_t *m = hl_value_at (ms, j);
                s_md (out, "| %s | %s | ", hl_value_get_str (a, "name", "?"),
                      hl_value_get_str (m, "name", "?"));
                s_md_number (out, hl_value_get (m, "before"), 2, false, 1, "");
                s_md (out, " | ");
                s_md_number (out, hl_value_get (m, "after"), 2, false, 1, "");
                s_md (out, " | ");
                s_md_number (out, hl_value_get (m, "shift"), 2, true, 1, "");
                s_md (out, " | %s |\n", hl_value_get_str (m, "verdict", "-"));
            }
        }
    }
    size_t size = zchunk_size (out);
    char *text = (char *)malloc (size + 1);
    memcpy (text, zchunk_data (out), size);
    text[size] = 0;
    zchunk_destroy (&out);
    return text;
}
