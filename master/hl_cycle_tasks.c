/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_cycle_tasks - the run engine's tasks: each submitted with a ticket
    (what it is for, which action, which phase), written to the store
    first and, for a change, sent only once it is on disk; cancelled with
    its phase; and its end recorded on the run (an analysis, a change
    applied or perhaps applied, a verdict, an undo), the phase moving on
    when the last one ends. Part of hl_cycle (hl_cycle_priv.h).
*/
#include <czmq.h>
#include <string.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_cycle_priv.h"
#include "hl_decide.h"
#include "hl_ledger.h"

typedef struct {
    hl_cycle_t *engine; /* NULL once the engine is gone */
    void *handle;       /* in the engine's ticket list */
    uint64_t run_id;
    uint64_t task_id;
    hl_cycle_what_t what;
    hl_task_kind_t kind;
    int act; /* index, or -1 */
    hl_role_id_t role;
    bool abandoned; /* its phase was left: the end is ignored */
} s_ticket_t;

static void s_task_done (void *arg, const hl_task_end_t *end);

bool
hl_cycle_submit (hl_cycle_t *self, hl_run_t *run, hl_cycle_what_t what, int act,
                 hl_role_id_t role, hl_task_kind_t kind, const char *action,
                 uint32_t deadline_ms, uint64_t id, hl_value_t **args_p)
{
    if (!id)
        id = hl_dispatch_reserve (self->deps.dispatch);
    s_ticket_t *ticket = (s_ticket_t *)hl_alloc (sizeof (s_ticket_t));
    ticket->engine = self;
    ticket->run_id = run->id;
    ticket->what = what;
    ticket->kind = kind;
    ticket->act = act;
    ticket->role = role;
    ticket->task_id = id;
    /*  Emergency rounds and every rollback (a safety action) go first;
        a recovery's tasks wait as long as it waits for its agents. */
    bool first = run->emergency || what == HL_CYCLE_ROLLBACK;
    hl_task_spec_t spec
        = { kind,  (int)role,   action, first ? 1 : 2,
            first, deadline_ms, id,     run->recovery ? S_RECOVER_WAIT_MS : 0 };
    hl_ledger_task (self->deps.store, run, act, id, kind, role, "queued",
                    false);
    if (self->deps.store
        && (what == HL_CYCLE_APPLY || what == HL_CYCLE_ROLLBACK)
        && hl_store_commit (self->deps.store, S_COMMIT_MS))
        hl_log_warning ("store: %s of %s sent before it is on disk",
                        hl_kind_name (kind), action ? action : "?");
    ticket->handle = zlistx_add_end (self->tickets, ticket);
    if (!hl_dispatch_submit (self->deps.dispatch, &spec, args_p, s_task_done,
                             ticket)) {
        zlistx_delete (self->tickets, ticket->handle);
        free (ticket);
        hl_run_degrade (run, "%s: %s task could not be queued",
                        hl_role_name (role), hl_kind_name (kind));
        hl_ledger_task (self->deps.store, run, act, id, kind, role, "failed",
                        true);
        return false;
    }
    run->pending++;
    if (run->emergency && !run->em.first_task_us) {
        run->em.first_task_us = hl_msg_now_us ();
        hl_emergency_first_task (self->emergency, run, run->em.first_task_us);
    }
    return true;
}

/*  Leave run's phase early: abandon its open tickets, then cancel their
    tasks. Ends told from within the cancel find their ticket abandoned.
    A change whose apply or rollback is abandoned ends in the judge's log
    now: its end will never be told, and a change the log holds open
    keeps every later window unsettled. */
void
hl_cycle_abandon (hl_cycle_t *self, hl_run_t *run)
{
    size_t n = 0, cap = zlistx_size (self->tickets);
    uint64_t *ids = (uint64_t *)hl_calloc (cap, sizeof (uint64_t));
    int64_t now = hl_msg_now_us ();
    for (s_ticket_t *t = (s_ticket_t *)zlistx_first (self->tickets); t;
         t = (s_ticket_t *)zlistx_next (self->tickets))
        if (t->run_id == run->id && !t->abandoned) {
            t->abandoned = true;
            ids[n++] = t->task_id;
            if (t->what == HL_CYCLE_APPLY)
                hl_judge_changed (self->judge, run->acts[t->act].change, now);
            else if (t->what == HL_CYCLE_ROLLBACK)
                hl_judge_changed (self->judge, run->acts[t->act].undo, now);
        }
    for (size_t i = 0; i < n; i++)
        hl_dispatch_cancel (self->deps.dispatch, ids[i]);
    free (ids);
    run->pending = 0;
}

/*  {status, agent, data} of a task's end, for the report. */
static hl_value_t *
s_end_summary (const hl_task_end_t *end)
{
    hl_value_t *summary = hl_value_new_map ();
    hl_value_set_str (summary, "status", hl_status_name (end->status));
    hl_value_set_str (summary, "agent", end->agent);
    if (end->data) {
        hl_value_t *copy = hl_value_dup (end->data);
        hl_value_set (summary, "data", &copy);
    }
    return summary;
}

/*  A change's task that did not succeed may still have changed things:
    it timed out or was cut short (its agent lost, the phase over), or its
    agent says it cannot know (restarted while it ran). Only a command
    that failed, or a task refused before it ran, changed nothing. */
static bool
s_maybe_applied (const hl_task_end_t *end)
{
    bool unknown = false;
    hl_value_bool (hl_value_get (end->data, "unknown"), &unknown);
    return unknown || end->status == HL_STATUS_TIMEOUT
           || end->status == HL_STATUS_CANCELLED;
}

/*  Record what the end of ticket's task means for run. */
static void
s_record_end (hl_cycle_t *self, hl_run_t *run, const s_ticket_t *ticket,
              const hl_task_end_t *end)
{
    bool ok = end->status == HL_STATUS_OK;
    const char *status = hl_status_name (end->status);
    const char *why = hl_value_get_str (end->data, "error", status);
    const char *role = hl_role_name (ticket->role);
    hl_act_t *act = ticket->act >= 0 ? &run->acts[ticket->act] : NULL;
    int64_t now = hl_msg_now_us ();
    switch (ticket->what) {
        case HL_CYCLE_ANALYZE:
            if (!run->analysis)
                run->analysis = hl_value_new_map ();
            if (ok) {
                hl_value_t *copy = end->data ? hl_value_dup (end->data)
                                             : hl_value_new_nil ();
                hl_value_set (run->analysis, role, &copy);
            } else
                hl_run_degrade (run, "%s: analysis %s: %s", role, status, why);
            break;
        case HL_CYCLE_APPLY: /* the change under test */
            hl_judge_changed (self->judge, act->change, now);
            act->apply = s_end_summary (end);
            act->applied = ok;
            if (!ok && s_maybe_applied (end)) {
                /*  It may have changed things: never trusted, undone */
                act->applied = true;
                act->interrupted = true;
                act->verdict = HL_VERDICT_INCONCLUSIVE;
                hl_run_degrade (run, "%s: %s %s %s, its outcome unknown: %s",
                                role, act->reverse ? "rollback" : "apply",
                                act->action->name, status, why);
                break;
            }
            hl_ledger_change (self->deps.store, run, (size_t)ticket->act,
                              ok ? HL_CHANGE_APPLIED : HL_CHANGE_FAILED);
            if (!ok) {
                hl_run_degrade (run, "%s: %s %s %s: %s", role,
                                act->reverse ? "rollback" : "apply",
                                act->action->name, status, why);
                act->outcome = HL_OUTCOME_FAILED;
                hl_planner_busy (self->deps.planner, act->action->name, false);
            } else if (act->reverse)
                hl_planner_effect (self->deps.planner, act->action->name,
                                   false);
            break;
        case HL_CYCLE_VERIFY:
            if (act->too_early)
                break; /* not a measurement: the change is not verified */
            if (ok && end->data) {
                act->verify = hl_value_dup (end->data);
                int v = hl_verdict_parse (
                    hl_value_get_str (end->data, "verdict", NULL));
                act->verdict = v > HL_VERDICT_NONE ? (hl_verdict_t)v
                                                   : HL_VERDICT_INCONCLUSIVE;
            } else {
                hl_run_degrade (run, "%s: verify %s %s: %s", role,
                                act->action->name, status, why);
                act->verdict = HL_VERDICT_INCONCLUSIVE;
            }
            break;
        case HL_CYCLE_ROLLBACK: /* its undo */
            hl_judge_changed (self->judge, act->undo, now);
            act->rollback = s_end_summary (end);
            act->outcome = !ok            ? HL_OUTCOME_FAILED
                           : act->reverse ? HL_OUTCOME_KEPT
                                          : HL_OUTCOME_ROLLED_BACK;
            if (!ok)
                hl_run_degrade (run, "%s: %s %s %s: %s", role,
                                act->reverse ? "re-apply" : "rollback",
                                act->action->name, status, why);
            else if (act->reverse)
                hl_planner_effect (self->deps.planner, act->action->name, true);
            hl_planner_busy (self->deps.planner, act->action->name, false);
            break;
    }
}

/*  A task of a run ended. */
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
    hl_run_t *run = hl_cycle_find (self, ticket->run_id);
    /*  A verify answered too soon did not complete its task: refused */
    bool refused = run && !ticket->abandoned && ticket->what == HL_CYCLE_VERIFY
                   && end->status == HL_STATUS_OK
                   && hl_decide_refuse_early (run, &run->acts[ticket->act],
                                              end->agent, hl_msg_now_us ());
    if (run)
        hl_ledger_task (self->deps.store, run, ticket->act, ticket->task_id,
                        ticket->kind, ticket->role,
                        refused ? "refused" : hl_status_name (end->status),
                        true);
    if (ticket->abandoned || !run) {
        free (ticket); /* a phase already left */
        return;
    }
    s_record_end (self, run, ticket, end);
    free (ticket);
    if (--run->pending == 0)
        hl_cycle_next_phase (self, run);
}

void
hl_cycle_disown (hl_cycle_t *self)
{
    for (s_ticket_t *t = (s_ticket_t *)zlistx_first (self->tickets); t;
         t = (s_ticket_t *)zlistx_next (self->tickets))
        t->engine = NULL;
    zlistx_destroy (&self->tickets);
}
