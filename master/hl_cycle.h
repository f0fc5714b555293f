/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_cycle - the run engine. Every run starts through hl_cycle_run and
    one table of run kinds, {kind, parse its params, start it}:
    optimization (a cycle), analysis (a cycle that stops after ANALYZE),
    strategic_planning (hl_forecast, at once) and emergency (hl_emergency,
    whose rounds are cycles with the emergency flag). A cycle is COLLECT,
    ANALYZE (both Prometheus swarms in parallel), PRIORITIZE, APPLY
    (Hephaestus), SETTLE and VERIFY (Athena), DECIDE (keep or roll back),
    REPORT (hl_report). Every step is a task or a timer on the master's
    reactor, so nothing blocks; a role that is missing or silent makes the
    run degrade and say so in its report, never hang.

    To add a run kind: a parse and a start function and a row in s_kinds
    (hl_cycle.c).
*/
#ifndef HL_CYCLE_H
#define HL_CYCLE_H

#include <czmq.h>

#include "../bus/hl_config.h"
#include "hl_dispatch.h"
#include "hl_health.h"
#include "hl_kpi.h"
#include "hl_learning.h"
#include "hl_planner.h"
#include "hl_run.h"
#include "hl_store.h"

typedef struct _hl_cycle_t hl_cycle_t;

/*  Publish a bus event (takes *msg_p), and whether a topic is wanted. */
typedef void (hl_cycle_publish_fn) (void *arg, hl_msg_t **msg_p);
typedef bool (hl_cycle_wants_fn) (void *arg, const char *topic);

/*  Told once when a run ends, with its report (borrowed for the call). */
typedef hl_run_done_fn hl_cycle_done_fn;

/*  What the engine works with; all borrowed, all outliving it. */
typedef struct {
    const hl_config_t *config;
    hl_kpi_t *kpi;
    hl_dispatch_t *dispatch;
    hl_learning_t *learning;
    hl_planner_t *planner;
    hl_store_t *store; /* runs, changes, tasks, audit; NULL: off */
    zloop_t *loop;
    hl_cycle_publish_fn *publish;
    hl_cycle_wants_fn *wants;
    void *arg;       /* for publish and wants */
    const char *src; /* the master's name, for reports */
} hl_cycle_deps_t;

/*  Create the engine; reports go to state_dir/reports (made if missing).
    NULL, with the reason in err, if that folder cannot be made. */
hl_cycle_t *hl_cycle_new (const hl_cycle_deps_t *deps, char *err,
                          size_t errsize);

/*  Destroy; runs still open end at once, degraded "master shut down"
    (their done is told). */
void hl_cycle_destroy (hl_cycle_t **self_p);

/*  Start a run of kind now: "optimization", "analysis" (params:
    focus_areas, depth), "strategic_planning" (horizon, scenarios;
    computed at once, no agent needed) or "emergency" (threshold,
    max_issues). params may be NULL or point to NULL (the defaults); *params_p
    is taken either way. who asked goes in the run and the audit log
    ("schedule", "watch", a client's name; NULL: "master"). Returns the run's
   id, or 0 with the reason in error (unknown kind, an unknown or bad param, a
   cycle or an emergency already running, an optimization or analysis while
   paused). done (may be NULL) is told once at the end, which may come before
   this returns (a plan, an emergency round with nothing to do). */
uint64_t hl_cycle_run (hl_cycle_t *self, const char *kind,
                       hl_value_t **params_p, const char *who,
                       hl_cycle_done_fn *done, void *done_arg, char *error,
                       size_t errsize);

/*  The run kinds hl_cycle_run takes: the name of kind i, or NULL past
    the last. */
const char *hl_cycle_kind (size_t i);

/*  The parameters kind takes, NULL-terminated (an empty list for none),
    or NULL for an unknown kind. Static: clients check their arguments
    with it before asking; hl_cycle_run refuses any other name. */
const char *const *hl_cycle_kind_params (const char *kind);

/*  0 if kind is a run kind and params (a map, may be NULL) names only
    parameters it takes; else -1 with the reason in error ("run: unknown
    parameter 'foo' for optimization (it takes none)"). Their values are
    checked by hl_cycle_run. */
int hl_cycle_check_params (const char *kind, const hl_value_t *params,
                           char *error, size_t errsize);

/*  Health was computed: the emergency protocol's step (hl_emergency) is
    carried out at once: normal work held, the unverified cycle stopped
    and rolled back, a round of emergency actions, alert and notify; and
    released when it is over. Call it on every computation. */
void hl_cycle_health (hl_cycle_t *self, const hl_health_t *health);

/*  Every second: start the scheduled cycle when cycle.duration has
    passed and none is running, unless paused or held; reap notify
    commands. */
void hl_cycle_tick (hl_cycle_t *self, int64_t now_us);

/*  Hold scheduled cycles and normal dispatch, or release. While paused,
    an optimization or an analysis is refused (its tasks would wait);
    a plan and an emergency (whose tasks still go) start. */
void hl_cycle_pause (hl_cycle_t *self, bool paused);

/*  The runs kept in memory, newest first (hl_report_summary each; caller
    owns). */
hl_value_t *hl_cycle_list (hl_cycle_t *self);

/*  The report of run id (0: the last finished), or NULL (borrowed). */
const hl_value_t *hl_cycle_report (hl_cycle_t *self, uint64_t id);

/*  What is known of every action, for `actions` (caller owns): per
    action hl_learning_to_value's entry, plus "in_effect", "in_flight",
    "cooling" and "quarantined_until" (ISO 8601, or null). */
hl_value_t *hl_cycle_actions (hl_cycle_t *self);

/*  Lift action's quarantine and save learning. Returns 0, or -1 with the
    reason in error (unknown action, or not quarantined). */
int hl_cycle_release (hl_cycle_t *self, const char *action, char *error,
                      size_t errsize);

/*  Counters, the current phase and the emergency's state, for status
    (caller owns). */
hl_value_t *hl_cycle_status (hl_cycle_t *self);

#endif
