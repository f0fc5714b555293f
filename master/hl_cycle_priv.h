/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_cycle_priv - what the run engine's files share: the engine's
    state, and the calls between hl_cycle.c (the API, the run kinds, the
    emergency's orders), hl_cycle_phases.c (the phases of a cycle, its
    decisions and its end), hl_cycle_tasks.c (its tasks: submitted,
    cancelled, their ends recorded) and hl_cycle_recover.c (a restarted
    master's recovery run). Not for other modules.
*/
#ifndef HL_CYCLE_PRIV_H
#define HL_CYCLE_PRIV_H

#include "hl_cycle.h"
#include "hl_emergency.h"
#include "hl_judge.h"

#define S_KEEP_RUNS 50           /* finished runs kept in memory */
#define S_ANALYZE_MS 20000       /* analysis phase deadline */
#define S_SLACK_MS 15000         /* on top of a task's own expected time */
#define S_RECHECKS 16            /* kept changes awaiting a recheck */
#define S_COMMIT_MS 1000         /* a change waits this long for the disk */
#define S_RECOVER_WAIT_MS 600000 /* a recovery waits for agents to return */
#define S_RECHECK_WAIT "waiting for a clean window to recheck it"

struct _hl_cycle_t {
    hl_cycle_deps_t deps;
    char reports[HL_CONFIG_PATH + 16];
    hl_run_t *current;  /* the cycle or analysis in progress, or NULL */
    hl_run_t *round;    /* the emergency round in progress, or NULL */
    zlistx_t *history;  /* finished runs, newest first */
    hl_value_t *past;   /* summaries of earlier lives' runs (store) */
    hl_value_t *loaded; /* the last report read back from its file */
    uint64_t next_id;
    int64_t next_at_us; /* when the scheduled cycle is due */
    bool paused;        /* by the user */
    bool closing;       /* no new work: shutting down */
    zlistx_t *tickets;  /* tasks submitted and not ended: disowned at
                           destroy, as the dispatcher tells their end
                           later */
    hl_emergency_t *emergency;
    hl_judge_t *judge; /* the log of changes, the verdict rules */
    char rechecks[S_RECHECKS][HL_MAX_NAME + 1]; /* emergency changes kept
                                                   unproven, to verify
                                                   once it is over */
    size_t nrechecks;
    char learning_path[HL_CONFIG_PATH + 16];
    uint64_t learning_saved; /* hl_learning_outcomes at the last save */
    uint64_t started, finished, degraded_runs, kept, rolled_back, failed;
    uint64_t verdicts[HL_VERDICT_COUNT]; /* of finished runs' actions */
    uint64_t verify_too_early;      /* verify results refused as too soon */
    uint64_t verify_implausible;    /* verify metrics whose verdict and
                                       effect disagreed */
    uint64_t parallel, parallel_ok; /* actions of runs with several, and
                                       of those the ones that ran through */
};

/*  What a task of a run is for. */
typedef enum {
    HL_CYCLE_ANALYZE,
    HL_CYCLE_APPLY,
    HL_CYCLE_VERIFY,
    HL_CYCLE_ROLLBACK
} hl_cycle_what_t;

/*  The run with that id still in progress, or NULL. */
hl_run_t *hl_cycle_find (hl_cycle_t *self, uint64_t id);

//  hl_cycle_tasks.c

/*  Submit a task for the run's current phase, as id (reserved with
    hl_dispatch_reserve, or 0 for a fresh one); false (and degraded) if
    it could not be queued. Takes *args_p. The task is written to the
    store first; a change (an apply or a rollback) is sent only once the
    store has it on disk, so that a restarted master knows of every
    change that may have been made. */
bool hl_cycle_submit (hl_cycle_t *self, hl_run_t *run, hl_cycle_what_t what,
                      int act, hl_role_id_t role, hl_task_kind_t kind,
                      const char *action, uint32_t deadline_ms, uint64_t id,
                      hl_value_t **args_p);

/*  Publish cycle.<event> about run, if anybody listens. */
void hl_cycle_event (hl_cycle_t *self, hl_run_t *run, const char *event);

/*  Normal dispatch waits while the user paused it or an emergency
    holds it. */
void hl_cycle_hold (hl_cycle_t *self);

/*  Leave run's phase early: its open tickets are abandoned, then their
    tasks cancelled. */
void hl_cycle_abandon (hl_cycle_t *self, hl_run_t *run);

/*  DECIDE: judge, learn, keep or undo each act of run. */
void hl_cycle_decide (hl_cycle_t *self, hl_run_t *run);

/*  Save learning, when something was learned since the last save. */
void hl_cycle_save_learning (hl_cycle_t *self);

/*  REPORT: the run is finished, reported, told and kept in history. */
void hl_cycle_finish (hl_cycle_t *self, hl_run_t *run);

/*  The current phase of run is over: on to the next. */
void hl_cycle_next_phase (hl_cycle_t *self, hl_run_t *run);

/*  A registered run begins its phases (hl_cycle.c). */
void hl_cycle_start (hl_cycle_t *self, hl_run_t *run);

/*  What the store says the master's last life left open: interrupted
    runs, open tasks, changes to verify or roll back (a recovery run).
    Called once, by hl_cycle_new. */
void hl_cycle_recover (hl_cycle_t *self, const hl_store_recovery_t *rec);

/*  At destroy: the tasks still open are disowned (the dispatcher tells
    their end later, to nobody) and the ticket list freed. */
void hl_cycle_disown (hl_cycle_t *self);

#endif
