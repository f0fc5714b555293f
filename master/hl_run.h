/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_run - one run of the master: an optimisation cycle, an analysis, a
    strategic plan or an emergency round. A plain record with open fields,
    because three modules share it on the reactor thread: the cycle engine
    (hl_cycle) creates it and drives it through its phases, the emergency
    protocol (hl_emergency) decides when rounds of it start, and hl_report
    turns it into a report. Nothing else holds one.
*/
#ifndef HL_RUN_H
#define HL_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_names.h"
#include "../proto/hl_value.h"
#include "hl_planner.h"

#define HL_RUN_MAX_ACTS 64 /* actions one run may apply */

/*  The phases of a cycle (design §5); an emergency round skips ANALYZE,
    an analysis stops after it, a plan has none. */
typedef enum {
    HL_PHASE_COLLECT,
    HL_PHASE_ANALYZE,
    HL_PHASE_PRIORITIZE,
    HL_PHASE_APPLY,
    HL_PHASE_SETTLE,
    HL_PHASE_VERIFY,
    HL_PHASE_DECIDE,
    HL_PHASE_REPORT,
    HL_PHASE_DONE
} hl_phase_t;

/*  Told once when a run ends, with its report (borrowed for the call). */
typedef void (hl_run_done_fn) (void *arg, const hl_value_t *report);

/*  One action of a run, from its pick to its outcome. */
typedef struct {
    const hl_config_action_t *action; /* borrowed from the config */
    hl_candidate_t cand;              /* its figures when picked */
    hl_value_t *baseline;             /* verify's metrics, built at apply */
    hl_value_t *apply;                /* {status, agent, data} of the apply */
    hl_value_t *verify;               /* Athena's data */
    hl_value_t *rollback;             /* {status, agent, data} */
    hl_verdict_t verdict;             /* NONE until judged */
    hl_outcome_t outcome;             /* NONE while under way */
    bool applied;                     /* the apply succeeded (or may have) */
    bool reverse;     /* a recheck: the change under test is the action's
                         rollback, and undoing it re-applies */
    bool interrupted; /* stopped by an emergency: nothing to learn */
    uint64_t change;  /* the change under test in the judge's log */
    uint64_t undo;    /* its undo (rollback, or a recheck's re-apply) */
    int64_t start_us; /* when the change under test was sent */
    /*  Its record in the store (hl_ledger). */
    uint64_t apply_task;   /* the change under test's task, or 0 */
    uint64_t verify_task;  /* or 0 */
    uint64_t undo_task;    /* or 0 */
    int64_t window_end_us; /* its verify window ends, or 0 */
    char *verify_json;     /* the verify task's args, to resend it */
    uint64_t record;       /* the change row it carries on (a recovery's
                              act, of a run of an earlier life), or 0 */
    char culprit[HL_MAX_METRIC + 1]; /* the metric it regressed on */
    uint32_t implausible;            /* verify metrics whose verdict and effect
                                        disagreed (hl_decide_verdict) */
    bool too_early;                  /* its verify answered before its window
                                        ended: refused */
} hl_act_t;

/*  The emergency round's figures, for its report. */
typedef struct {
    double threshold;
    int max_issues;
    int round;             /* 1 for the first round of an emergency */
    int64_t detected_us;   /* health crossed the threshold */
    int64_t baseline_us;   /* what came before this is no baseline */
    int64_t first_task_us; /* the round's first task sent, or 0 */
    bool resolved;         /* the emergency was over when it ended */
    int64_t ended_us;      /* the emergency ended after this, its last
                              round, had: when (its report was then
                              brought up to date), or 0 */
} hl_run_emergency_t;

typedef struct {
    uint64_t id;
    char kind[24]; /* optimization|analysis|strategic_planning|
                      emergency|recheck|recovery */
    char who[48];  /* who asked: "schedule", "ctl@host:pid", "http"... */
    hl_phase_t phase;
    bool emergency;     /* an emergency round */
    bool analysis_only; /* an analysis: no action */
    bool recheck;       /* a recheck of a kept change: no planner */
    bool recovery;      /* a restarted master reconciling changes left open:
                           verify those whose window is complete, roll back
                           the rest (hl_cycle_recover) */
    bool focus[HL_CATEGORY_COUNT]; /* analysis: categories; none = all */
    int64_t started_us;
    int64_t finished_us;
    double score_before; /* NAN until known, or when nodata */
    double score_after;
    hl_value_t *health_before; /* hl_health_to_value at COLLECT */
    hl_value_t *health_after;  /* ... at REPORT */
    hl_value_t *degraded;      /* array of reasons */
    hl_value_t *analysis;      /* role -> analyze data */
    hl_value_t *candidates;    /* the planner's explanation */
    hl_value_t *plan;          /* strategic planning's result */
    hl_act_t acts[HL_RUN_MAX_ACTS];
    size_t nacts;
    hl_run_emergency_t em;
    hl_value_t *report; /* once finished */
    hl_run_done_fn *done;
    void *done_arg;
    /*  The engine's bookkeeping of the phase in progress. */
    uint32_t seq;      /* phase sequence: a task end of another is stale */
    int pending;       /* tasks of the phase still open */
    int phase_timer;   /* zloop timer id, or 0 */
    int label_timer;   /* settle -> verify label, or 0 */
    bool waiting;      /* the phase timer ends a wait for clean windows */
    int64_t waited_us; /* spent waiting for clean windows */
} hl_run_t;

/*  A run of kind, started now_us, in COLLECT, with no action. kind is
    copied (truncated to 23 bytes). The caller owns it. */
hl_run_t *hl_run_new (uint64_t id, const char *kind, int64_t now_us);

/*  Destroy run and everything it holds; nulls *run_p. */
void hl_run_destroy (hl_run_t **run_p);

/*  Note why the run is degraded (logged, and kept for the report). */
void hl_run_degrade (hl_run_t *run, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/*  Append an action picked with cand; NULL when the run is full. */
hl_act_t *hl_run_add_act (hl_run_t *run, const hl_candidate_t *cand);

/*  The number of actions with outcome. */
size_t hl_run_count (const hl_run_t *run, hl_outcome_t outcome);

/*  The name of a phase: "collect", "analyze"... */
const char *hl_phase_name (hl_phase_t phase);

#endif
