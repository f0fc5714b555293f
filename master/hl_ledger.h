/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_ledger - what the run engine tells the store (design §7): each run
    when it starts and when it ends, each change through its states, each
    task of a run before it is sent and when it ends, and a line in the
    audit log for every decision: a run asked for and by whom, an action
    chosen or left out and why, kept, rolled back, quarantined, released,
    reconciled after a restart. Translation only, on the reactor thread
    (hl_store queues and writes elsewhere); a NULL store records nothing,
    so the engine calls these whether the store is on or off.
*/
#ifndef HL_LEDGER_H
#define HL_LEDGER_H

#include <stdarg.h>

#include "hl_run.h"
#include "hl_store.h"

/*  The change id of act i of run: run id * 1000 + i, known before
    anything is sent; a recovery's act carries on the change it took
    over. */
uint64_t hl_ledger_change_id (const hl_run_t *run, size_t i);

/*  value as compact JSON (free it), or NULL. */
char *hl_ledger_json (const hl_value_t *value);

/*  The run row: at start, and at the end with its summary. */
void hl_ledger_run (hl_store_t *store, const hl_run_t *run);

/*  Act i's change row in state. */
void hl_ledger_change (hl_store_t *store, const hl_run_t *run, size_t i,
                       hl_change_state_t state);

/*  A task of run (act i, or -1) before it is sent (status "queued"), or
    when it ended (status its hl_status_name, ended true). */
void hl_ledger_task (hl_store_t *store, const hl_run_t *run, int act,
                     uint64_t task_id, hl_task_kind_t kind, hl_role_id_t role,
                     const char *status, bool ended);

/*  The planner's picks and exclusions of run, one audit line each. */
void hl_ledger_plan (hl_store_t *store, const hl_run_t *run);

/*  Act i was decided (kept, undone): its audit line with the verdict. */
void hl_ledger_decided (hl_store_t *store, const hl_run_t *run, size_t i);

/*  One audit line. run may be NULL, action NULL. */
void hl_ledger_audit (hl_store_t *store, const hl_run_t *run,
                      const char *action, const char *event, const char *fmt,
                      ...) __attribute__ ((format (printf, 5, 6)));

#endif
