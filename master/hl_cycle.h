/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_cycle - the optimisation cycle: COLLECT, ANALYZE (both Prometheus
    swarms in parallel), PRIORITIZE, APPLY (Hephaestus), SETTLE and VERIFY
    (Athena), KEEP or ROLLBACK, REPORT. Every step is a task or a timer on
    the master's reactor, so nothing blocks; a role that is missing or
    silent makes the cycle degrade and say so in its report, never hang.
    Each run leaves state_dir/reports/<kind>-<id>.json and .md.
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

typedef struct _hl_cycle_t hl_cycle_t;

/*  Publish a bus event (takes *msg_p), and whether a topic is wanted. */
typedef void (hl_cycle_publish_fn) (void *arg, hl_msg_t **msg_p);
typedef bool (hl_cycle_wants_fn) (void *arg, const char *topic);

/*  Told once when a run ends, with its report (borrowed for the call). */
typedef void (hl_cycle_done_fn) (void *arg, const hl_value_t *report);

/*  What the engine works with; all borrowed, all outliving it. */
typedef struct {
    const hl_config_t *config;
    hl_kpi_t *kpi;
    hl_dispatch_t *dispatch;
    hl_learning_t *learning;
    hl_planner_t *planner;
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

/*  Destroy; runs still open end as cancelled (their done is told). */
void hl_cycle_destroy (hl_cycle_t **self_p);

/*  Start a run now: "optimization" (a cycle), "emergency" (the
    protocol, params threshold and max_issues, at once), "analysis"
    (focus_areas) or "strategic_planning" (horizon, scenarios; computed
    at once, no agent needed). params (may be NULL) is
    taken. Returns the run's id, or 0 with the reason in error (a cycle is
    already running, unknown kind). done (may be NULL) is told at the
    end. */
uint64_t hl_cycle_run (hl_cycle_t *self, const char *kind,
                       hl_value_t **params_p, hl_cycle_done_fn *done,
                       void *done_arg, char *error, size_t errsize);

/*  Health was computed: the emergency protocol starts the moment the
    score falls below emergency.threshold (normal work held, an unverified
    cycle rolled back, emergency actions for the top max_issues critical
    bottlenecks, alert and notify), takes another round while it stays
    below, and ends once it is back above. Call it on every computation. */
void hl_cycle_health (hl_cycle_t *self, const hl_health_t *health);

/*  Every second: start the scheduled cycle when cycle.duration has
    passed and none is running, unless paused. */
void hl_cycle_tick (hl_cycle_t *self, int64_t now_us);

/*  Hold scheduled cycles (on-demand runs still start), or release. */
void hl_cycle_pause (hl_cycle_t *self, bool paused);

/*  The runs kept in memory, newest first: id, kind, phase, started,
    finished, health_before, health_after, actions, degraded (caller
    owns). */
hl_value_t *hl_cycle_list (hl_cycle_t *self);

/*  The report of run id (0: the last finished), or NULL (borrowed). */
const hl_value_t *hl_cycle_report (hl_cycle_t *self, uint64_t id);

/*  Counters and the current phase, for status (caller owns). */
hl_value_t *hl_cycle_status (hl_cycle_t *self);

/*  Render a report as Markdown; the caller frees the string. */
char *hl_cycle_markdown (const hl_value_t *report);

#endif
