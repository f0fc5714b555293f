/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_cycle_recover - what a restarted master does with what its last
    life left open in the store (design §7), before anything else:

    - a run it never finished ends as interrupted, saying in which phase;
    - a task still open ends cancelled: the run that wanted it is gone,
      and a change it was part of is reconciled below;
    - every change not settled goes to one recovery run. A change left
      verifying whose verify window was complete is verified again, as
      the same task (an Athena agent that ran it answers from the
      results it keeps), then kept or rolled back as a cycle decides.
      Every other one (applying: its apply's outcome unknown; applied or
      verifying before its window was complete; rolling back) is rolled
      back, never re-applied blind. Its tasks wait for agents to return.

    A file of hl_cycle; it shares hl_cycle_priv.h.
*/
#include <czmq.h>
#include <math.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_cycle_priv.h"
#include "hl_ledger.h"
#include "hl_report.h"

/*  A run of an earlier life that never finished: ended now, as
    interrupted, in the store and the audit log. Its summary is the one
    every run has (hl_report_summary), its phase "interrupted". */
static void
s_interrupted (hl_cycle_t *self, const hl_value_t *r, int64_t now)
{
    const char *phase = hl_value_get_str (r, "phase", "?");
    hl_run_t *run = hl_run_new ((uint64_t)hl_value_get_int (r, "id", 0),
                                hl_value_get_str (r, "kind", "run"),
                                hl_value_get_int (r, "started_us", 0));
    snprintf (run->who, sizeof run->who, "recovery");
    run->finished_us = now;
    run->score_before = hl_value_get_double (r, "score_before", NAN);
    char why[256];
    snprintf (why, sizeof why,
              "%s %" PRIu64 " was cut short in its %s phase: the master "
              "stopped; its changes are reconciled by the recovery",
              run->kind, run->id, phase);
    hl_value_t *reason = hl_value_new_str (why);
    hl_value_append (run->degraded, &reason);
    hl_value_t *s = hl_report_summary (run);
    hl_value_set_str (s, "phase", "interrupted");
    char *summary = hl_ledger_json (s);
    hl_store_run_t row = { run->id,
                           run->kind,
                           "done",
                           hl_value_get_str (r, "requested_by", "master"),
                           run->started_us,
                           now,
                           run->score_before,
                           NAN,
                           summary };
    hl_store_run (self->deps.store, &row);
    free (summary);
    hl_value_append (self->past, &s);
    hl_ledger_audit (self->deps.store, run, NULL, "interrupted", "%s", why);
    hl_log_notice ("recovery: %s", why);
    hl_run_destroy (&run);
}

/*  A task of an earlier life still open: ended as cancelled. */
static void
s_task_closed (hl_cycle_t *self, const hl_value_t *t, int64_t now)
{
    hl_store_task_t row = {
        (uint64_t)hl_value_get_int (t, "id", 0),
        (uint64_t)hl_value_get_int (t, "run_id", 0),
        (uint64_t)hl_value_get_int (t, "change_id", 0),
        hl_value_get_str (t, "kind", "?"),
        hl_value_get_str (t, "role", "?"),
        hl_value_get_str (t, "action", NULL),
        hl_status_name (HL_STATUS_CANCELLED),
        hl_value_get_int (t, "created_us", 0),
        now,
    };
    hl_store_task (self->deps.store, &row);
}

/*  Change c into the recovery run: verify again or roll back. */
static void
s_take_change (hl_cycle_t *self, hl_run_t *run, const hl_value_t *c,
               int64_t now)
{
    uint64_t id = (uint64_t)hl_value_get_int (c, "id", 0);
    const char *name = hl_value_get_str (c, "action", "?");
    const char *state = hl_value_get_str (c, "state", "?");
    const hl_config_action_t *action
        = hl_config_action_find (self->deps.config, name);
    char why[512];
    if (!action) {
        snprintf (why, sizeof why,
                  "change %" PRIu64 " (%s) cannot be reconciled: the action "
                  "is no longer configured; check it by hand",
                  id, state);
        hl_ledger_audit (self->deps.store, run, name, "recovered", "%s", why);
        hl_log_warning ("recovery: %s: %s", name, why);
        return;
    }
    hl_candidate_t cand = { .action = action,
                            .cost = action->cost,
                            .expected = action->expected,
                            .reason = "recovery" };
    hl_act_t *act = hl_run_add_act (run, &cand);
    if (!act) {
        hl_log_warning ("recovery: too many open changes; %s waits for "
                        "the next restart",
                        name);
        return;
    }
    act->record = id;
    act->applied = true;
    act->start_us = hl_value_get_int (c, "started_us", 0);
    act->apply_task = (uint64_t)hl_value_get_int (c, "apply_task", 0);
    act->verify_task = (uint64_t)hl_value_get_int (c, "verify_task", 0);
    act->window_end_us = hl_value_get_int (c, "window_end_us", 0);
    const char *verify = hl_value_get_str (c, "verify_json", NULL);
    bool complete = hl_change_state_parse (state) == HL_CHANGE_VERIFYING
                    && act->window_end_us && act->window_end_us <= now
                    && act->verify_task && verify;
    if (complete) {
        act->verify_json = hl_strdup (verify);
        char when[40];
        hl_report_time (act->window_end_us, when, sizeof when);
        snprintf (why, sizeof why,
                  "change %" PRIu64 " was verifying, its window complete at "
                  "%s: verified again (task %" PRIu64 "), then kept or "
                  "rolled back",
                  id, when, act->verify_task);
    } else if (hl_change_state_parse (state) == HL_CHANGE_APPLYING)
        snprintf (why, sizeof why,
                  "change %" PRIu64 " was applying, its outcome unknown: "
                  "rolled back, never re-applied blind",
                  id);
    else if (hl_change_state_parse (state) == HL_CHANGE_ROLLING_BACK)
        snprintf (why, sizeof why,
                  "change %" PRIu64 " was rolling back: rolled back again "
                  "(a rollback may run twice; an apply never)",
                  id);
    else
        snprintf (why, sizeof why,
                  "change %" PRIu64 " was %s, never verified: rolled back, "
                  "never re-applied blind",
                  id, state);
    hl_ledger_audit (self->deps.store, run, name, "recovered", "%s", why);
    hl_log_notice ("recovery: %s: %s", name, why);
    hl_planner_busy (self->deps.planner, name, true);
}

void
hl_cycle_recover (hl_cycle_t *self, const hl_store_recovery_t *rec)
{
    if (!self->deps.store || !rec)
        return;
    int64_t now = hl_msg_now_us ();
    /*  The interrupted runs are the newest of the past ones. */
    hl_value_t *past = self->past;
    self->past = hl_value_new_array ();
    for (size_t i = hl_value_size (rec->runs); i-- > 0;)
        s_interrupted (self, hl_value_at (rec->runs, i), now);
    for (size_t i = 0; i < hl_value_size (past); i++) {
        hl_value_t *copy = hl_value_dup (hl_value_at (past, i));
        hl_value_append (self->past, &copy);
    }
    hl_value_destroy (&past);
    for (size_t i = 0; i < hl_value_size (rec->tasks); i++)
        s_task_closed (self, hl_value_at (rec->tasks, i), now);
    if (!hl_value_size (rec->changes))
        return;
    hl_run_t *run = hl_run_new (self->next_id++, "recovery", now);
    snprintf (run->who, sizeof run->who, "recovery");
    run->recovery = true;
    for (size_t i = 0; i < hl_value_size (rec->changes); i++)
        s_take_change (self, run, hl_value_at (rec->changes, i), now);
    if (!run->nacts) {
        hl_run_destroy (&run);
        return;
    }
    hl_log_notice ("recovery %" PRIu64 ": %zu change(s) left open by the "
                   "last run of the master",
                   run->id, run->nacts);
    self->current = run;
    hl_cycle_start (self, run);
}
