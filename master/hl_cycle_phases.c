/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_cycle_phases - the phases of a cycle, as a state machine driven by
    task ends and timers on the master's reactor: COLLECT and ANALYZE,
    PRIORITIZE (a recheck first, else the planner; a bounded wait for
    clean windows), APPLY, SETTLE and VERIFY, DECIDE, REPORT.

    Each phase submits its tasks (each with a ticket naming its run and
    purpose) and arms one deadline; a phase ends when its last task ends
    or its deadline passes, whichever is first. Leaving a phase early
    (deadline, emergency, shutdown) abandons its tickets first and then
    cancels their tasks, so an end that arrives afterwards, even from
    within the cancel, finds its ticket abandoned and is ignored: one
    rule, no phase numbers to juggle.
*/
#include <czmq.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_brief.h"
#include "hl_cycle_priv.h"
#include "hl_decide.h"
#include "hl_ledger.h"
#include "hl_report.h"

//  --------------------------------------------------------------------
//  Small helpers

void
hl_cycle_event (hl_cycle_t *self, hl_run_t *run, const char *event)
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
    hl_value_set_str (data, "phase", hl_phase_name (run->phase));
    if (run->report) {
        hl_value_t *copy = hl_value_dup (run->report);
        hl_value_set (data, "report", &copy);
    }
    hl_msg_set_data (msg, &data);
    self->deps.publish (self->deps.arg, &msg);
    hl_msg_destroy (&msg);
}

/*  True if a registered agent of role can run action (NULL: any). */
static bool
s_has_agent (hl_cycle_t *self, hl_role_id_t role, const char *action)
{
    return hl_registry_has (hl_dispatch_registry (self->deps.dispatch),
                            (int)role, action);
}

/*  The user's pause and the emergency's hold decide normal dispatch. */
void
hl_cycle_hold (hl_cycle_t *self)
{
    hl_dispatch_pause (self->deps.dispatch,
                       self->paused || hl_emergency_holding (self->emergency));
}

//  --------------------------------------------------------------------
//  Phase bookkeeping: tasks, deadlines

static int s_on_phase_timer (zloop_t *loop, int timer_id, void *arg);
static void s_prioritize_and_apply (hl_cycle_t *self, hl_run_t *run);

static void
s_arm (hl_cycle_t *self, hl_run_t *run, int64_t ms)
{
    if (run->phase_timer)
        zloop_timer_end (self->deps.loop, run->phase_timer);
    run->phase_timer = zloop_timer (self->deps.loop, (size_t)(ms < 1 ? 1 : ms),
                                    1, s_on_phase_timer, self);
}

hl_run_t *
hl_cycle_find (hl_cycle_t *self, uint64_t id)
{
    if (self->current && self->current->id == id)
        return self->current;
    if (self->round && self->round->id == id)
        return self->round;
    return NULL;
}

/*  Enter phase: the previous phase's deadline is off. */
static void
s_enter (hl_cycle_t *self, hl_run_t *run, hl_phase_t phase)
{
    if (run->phase_timer) {
        zloop_timer_end (self->deps.loop, run->phase_timer);
        run->phase_timer = 0;
    }
    run->phase = phase;
    run->pending = 0;
    hl_ledger_run (self->deps.store, run); /* a restart says where it was */
    hl_cycle_event (self, run, "phase");
}

/*  The phase's tasks are out: go on now if there are none, else arm its
    deadline. */
static void
s_wait (hl_cycle_t *self, hl_run_t *run, int64_t deadline_ms)
{
    if (run->pending == 0)
        hl_cycle_next_phase (self, run);
    else
        s_arm (self, run, deadline_ms);
}

/*  An apply that never answered (its agent lost, its deadline passed)
    may have made its change all the same, as one an emergency cuts
    short: it is undone unverified, and nothing is learned from it. (A
    recheck's rollback left unanswered stays failed: its undo would be
    a re-apply, blind.) */
static void
s_unanswered (hl_run_t *run)
{
    for (size_t i = 0; i < run->nacts; i++) {
        hl_act_t *act = &run->acts[i];
        if (act->outcome || act->applied || act->reverse)
            continue; /* answered, never sent, or a recheck's */
        hl_run_degrade (run, "%s: apply unanswered: to be undone unverified",
                        act->action->name);
        act->applied = true;
        act->interrupted = true;
        act->verdict = HL_VERDICT_INCONCLUSIVE;
    }
}

static int
s_on_phase_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    hl_cycle_t *self = (hl_cycle_t *)arg;
    hl_run_t *run = self->current && self->current->phase_timer == timer_id
                        ? self->current
                    : self->round && self->round->phase_timer == timer_id
                        ? self->round
                        : NULL;
    if (!run)
        return 0; /* ended, yet fired once more */
    run->phase_timer = 0;
    if (run->waiting) {
        //  A bounded wait for a clean window is over: prioritize again
        run->waiting = false;
        s_prioritize_and_apply (self, run);
        return 0;
    }
    hl_run_degrade (run, "%s: %d task(s) did not end in time",
                    hl_phase_name (run->phase), run->pending);
    hl_cycle_abandon (self, run);
    if (run->phase == HL_PHASE_APPLY)
        s_unanswered (run);
    hl_cycle_next_phase (self, run);
    return 0;
}

static int
s_on_label_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    hl_cycle_t *self = (hl_cycle_t *)arg;
    hl_run_t *runs[] = { self->current, self->round };
    for (int i = 0; i < 2; i++)
        if (runs[i] && runs[i]->label_timer == timer_id) {
            runs[i]->label_timer = 0;
            if (runs[i]->phase == HL_PHASE_SETTLE) {
                runs[i]->phase = HL_PHASE_VERIFY;
                hl_cycle_event (self, runs[i], "phase");
            }
        }
    return 0;
}

//  --------------------------------------------------------------------
//  Phases

static void
s_collect_and_analyze (hl_cycle_t *self, hl_run_t *run)
{
    int64_t now = hl_msg_now_us ();
    hl_health_t *health
        = hl_health_compute (self->deps.config, self->deps.kpi, now);
    run->score_before = hl_health_score (health);
    run->health_before = hl_health_to_value (health);
    hl_health_destroy (&health);

    s_enter (self, run, HL_PHASE_ANALYZE);
    /*  An emergency acts on health as it stands: no time for analysis; a
        recheck knows what it tests. */
    for (int s = 0; s < HL_SWARM_COUNT && !run->emergency && !run->recheck;
         s++) {
        hl_role_id_t role = hl_role_of (HL_FAMILY_PROMETHEUS, (hl_swarm_t)s);
        hl_value_t *args = hl_brief_analyze (self->deps.config, self->deps.kpi,
                                             (hl_swarm_t)s, run->focus, now);
        if (!args)
            continue;
        if (!s_has_agent (self, role, NULL)) {
            hl_run_degrade (run, "%s: no agent, analysis skipped",
                            hl_role_name (role));
            hl_value_destroy (&args);
            continue;
        }
        hl_cycle_submit (self, run, HL_CYCLE_ANALYZE, -1, role, HL_KIND_ANALYZE,
                         NULL, S_ANALYZE_MS, 0, &args);
    }
    s_wait (self, run, S_ANALYZE_MS + 1000);
}

/*  The verify window just before the change is its baseline; an
    emergency round's starts where the protocol says. */
static int64_t
s_baseline_from (hl_cycle_t *self, const hl_run_t *run, int64_t now)
{
    if (run->emergency)
        return run->em.baseline_us;
    return now
           - (int64_t)hl_config_cycle (self->deps.config)->verify_window
                 * 1000000;
}

/*  How many actions may start now: max_concurrent less what is still in
    flight from elsewhere; an emergency acts on at most max_issues,
    whatever else runs. */
static size_t
s_room (hl_cycle_t *self, const hl_run_t *run)
{
    if (run->emergency)
        return (size_t)run->em.max_issues < HL_RUN_MAX_ACTS
                   ? (size_t)run->em.max_issues
                   : HL_RUN_MAX_ACTS;
    size_t busy = 0;
    for (size_t i = 0; i < hl_config_actions_size (self->deps.config); i++)
        busy += hl_planner_in_flight (
            self->deps.planner, hl_config_action (self->deps.config, i)->name);
    size_t max = (size_t)hl_config_cycle (self->deps.config)->max_concurrent;
    max = max > busy ? max - busy : 0;
    return max < HL_RUN_MAX_ACTS ? max : HL_RUN_MAX_ACTS;
}

/*  Start act i's change under test: its apply, or for a recheck its
    rollback, logged with the judge. Returns the task's deadline in ms, or
    0 if it could not start (the act failed). */
static int64_t
s_change (hl_cycle_t *self, hl_run_t *run, size_t i, int64_t now)
{
    hl_act_t *act = &run->acts[i];
    const hl_config_action_t *action = act->action;
    hl_role_id_t role = hl_role_of (HL_FAMILY_HEPHAESTUS, action->swarm);
    if (!s_has_agent (self, role, action->name)) {
        hl_run_degrade (run, "%s: no agent can run %s", hl_role_name (role),
                        action->name);
        act->outcome = HL_OUTCOME_FAILED;
        return 0;
    }
    act->baseline = hl_brief_metrics (self->deps.config, self->deps.kpi, action,
                                      s_baseline_from (self, run, now), now);
    hl_planner_busy (self->deps.planner, action->name, true);
    hl_planner_applied (self->deps.planner, action->name, now);
    hl_value_t *args = hl_brief_action (action);
    int64_t ms = (int64_t)action->timeout * 1000 + S_SLACK_MS;
    hl_task_kind_t kind = act->reverse ? HL_KIND_ROLLBACK : HL_KIND_APPLY;
    act->apply_task = hl_dispatch_reserve (self->deps.dispatch);
    act->start_us = now;
    hl_ledger_change (self->deps.store, run, i, HL_CHANGE_APPLYING);
    if (!hl_cycle_submit (self, run, HL_CYCLE_APPLY, (int)i, role, kind,
                          action->name, (uint32_t)ms, act->apply_task, &args)) {
        act->outcome = HL_OUTCOME_FAILED;
        hl_planner_busy (self->deps.planner, action->name, false);
        hl_ledger_change (self->deps.store, run, i, HL_CHANGE_FAILED);
        return 0;
    }
    act->change = hl_judge_change (self->judge, action, act->reverse, now);
    return ms;
}

/*  A cycle confirms before it explores: while a kept change awaits its
    recheck, the cycle rechecks it (alone) once its window is clean, or
    waits, saying why. Returns true when the cycle is taken. */
static bool
s_recheck_due (hl_cycle_t *self, hl_run_t *run, int64_t now)
{
    while (self->nrechecks) {
        const hl_config_action_t *action
            = hl_config_action_find (self->deps.config, self->rechecks[0]);
        if (action && hl_planner_in_effect (self->deps.planner, action->name))
            break;
        memmove (self->rechecks[0], self->rechecks[1],
                 (self->nrechecks - 1) * sizeof self->rechecks[0]);
        self->nrechecks--; /* no longer in effect: nothing to recheck */
    }
    if (!self->nrechecks || run->emergency || run->recheck)
        return false;
    const hl_config_action_t *action
        = hl_config_action_find (self->deps.config, self->rechecks[0]);
    int64_t window
        = (int64_t)hl_config_cycle (self->deps.config)->verify_window * 1000000;
    int64_t settled = hl_judge_settled (self->judge, now);
    int64_t until = settled > now - window ? settled + window : 0;
    hl_candidate_t cand = { .action = action,
                            .cost = action->cost,
                            .expected = action->expected };
    if (until > now) {
        cand.until_us = until;
        cand.reason = S_RECHECK_WAIT;
    } else {
        cand.reason = "recheck";
        hl_act_t *act = hl_run_add_act (run, &cand);
        act->reverse = true;
        run->recheck = true;
        memmove (self->rechecks[0], self->rechecks[1],
                 (self->nrechecks - 1) * sizeof self->rechecks[0]);
        self->nrechecks--;
    }
    run->candidates = hl_value_new_array ();
    hl_value_t *item = hl_value_new_map ();
    hl_value_set_str (item, "action", action->name);
    hl_value_set_str (item, "swarm", hl_swarm_name (action->swarm));
    hl_value_set_bool (item, "picked", run->recheck);
    hl_value_set_str (item, "reason", cand.reason);
    if (cand.until_us)
        hl_value_set_int (item, "until", cand.until_us);
    hl_value_append (run->candidates, &item);
    return true;
}

/*  The earliest time a candidate held back only by time (earlier changes
    settling, a baseline or a recheck's window not clean yet) may start,
    or 0. */
static int64_t
s_window_due (const hl_value_t *candidates)
{
    int64_t due = 0;
    for (size_t i = 0; i < hl_value_size (candidates); i++) {
        const hl_value_t *c = hl_value_at (candidates, i);
        const char *why = hl_value_get_str (c, "reason", "");
        int64_t until = hl_value_get_int (c, "until", 0);
        bool timed = streq (why, HL_PLANNER_SETTLING)
                     || streq (why, HL_PLANNER_UNCLEAN)
                     || streq (why, S_RECHECK_WAIT);
        if (timed && until && (!due || until < due))
            due = until;
    }
    return due;
}

/*  Nothing to start only because windows are not clean yet: wait for
    them within the cycle, for a bound (settle + verify_window), so that
    cycles run back to back do the work instead of finishing empty.
    Returns true while waiting. */
static bool
s_wait_for_window (hl_cycle_t *self, hl_run_t *run, int64_t now)
{
    if (run->nacts || run->emergency)
        return false;
    const hl_config_cycle_t *cc = hl_config_cycle (self->deps.config);
    int64_t bound = (int64_t)(cc->settle + cc->verify_window + 5) * 1000000;
    int64_t due = s_window_due (run->candidates);
    if (!due || due - now > bound || run->waited_us > 2 * bound)
        return false;
    run->waited_us += due - now;
    run->waiting = true;
    s_arm (self, run, (due - now) / 1000 + 20);
    return true;
}

static void
s_prioritize_and_apply (hl_cycle_t *self, hl_run_t *run)
{
    s_enter (self, run, HL_PHASE_PRIORITIZE);
    int64_t now = hl_msg_now_us ();
    //  A recheck knows its act already; the rest ask the planner
    hl_value_destroy (&run->candidates);
    if (!s_recheck_due (self, run, now) && !run->recheck) {
        hl_health_t *health
            = hl_health_compute (self->deps.config, self->deps.kpi, now);
        hl_candidate_t picks[HL_RUN_MAX_ACTS];
        size_t n
            = hl_planner_rank (self->deps.planner, health, self->deps.learning,
                               now, s_room (self, run), run->emergency, picks,
                               HL_RUN_MAX_ACTS, &run->candidates);
        hl_health_destroy (&health);
        for (size_t i = 0; i < n; i++)
            hl_run_add_act (run, &picks[i]);
    }
    if (s_wait_for_window (self, run, now))
        return;
    hl_ledger_plan (self->deps.store, run);
    s_enter (self, run, HL_PHASE_APPLY);
    int64_t longest = 0;
    for (size_t i = 0; i < run->nacts; i++) {
        int64_t ms = s_change (self, run, i, now);
        if (ms > longest)
            longest = ms;
    }
    s_wait (self, run, longest + 1000);
}

/*  A recovery verifies again, as the same task with the same args, each
    change whose verify window was complete: the Athena agent that ran it
    answers from the results it keeps; another one verifies it afresh,
    the change still in place. Agents may not be back yet: the tasks
    wait for them, and the phase waits S_RECOVER_WAIT_MS. */
static void
s_recover_verify (hl_cycle_t *self, hl_run_t *run, int64_t ms)
{
    for (size_t i = 0; i < run->nacts; i++) {
        hl_act_t *act = &run->acts[i];
        if (!act->verify_json)
            continue;
        json_error_t error;
        json_t *json = json_loads (act->verify_json, 0, &error);
        hl_value_t *args = json ? hl_value_from_json (json) : NULL;
        json_decref (json);
        hl_role_id_t role = hl_role_of (HL_FAMILY_ATHENA, act->action->swarm);
        if (!args
            || !hl_cycle_submit (self, run, HL_CYCLE_VERIFY, (int)i, role,
                                 HL_KIND_VERIFY, NULL, (uint32_t)ms,
                                 act->verify_task, &args)) {
            hl_value_destroy (&args);
            hl_run_degrade (run, "%s: verify could not be sent again",
                            act->action->name);
        }
    }
    s_wait (self, run, S_RECOVER_WAIT_MS);
}

static void
s_verify (hl_cycle_t *self, hl_run_t *run)
{
    const hl_config_cycle_t *cc = hl_config_cycle (self->deps.config);
    s_enter (self, run, HL_PHASE_SETTLE);
    /*  An emergency cannot wait a whole verify window: short ones. */
    int settle = cc->settle, window = cc->verify_window;
    if (run->emergency && settle > HL_EMERGENCY_SETTLE_S)
        settle = HL_EMERGENCY_SETTLE_S;
    if (run->emergency && window > HL_EMERGENCY_WINDOW_S)
        window = HL_EMERGENCY_WINDOW_S;
    int64_t ms = (int64_t)(settle + window) * 1000 + S_SLACK_MS;
    if (run->recovery) {
        s_recover_verify (self, run, ms);
        return;
    }
    for (size_t i = 0; i < run->nacts; i++) {
        hl_act_t *act = &run->acts[i];
        if (!act->applied || act->interrupted)
            continue; /* nothing, or nothing known, to verify */
        hl_role_id_t role = hl_role_of (HL_FAMILY_ATHENA, act->action->swarm);
        if (!s_has_agent (self, role, NULL)) {
            hl_run_degrade (run, "%s: no agent, %s not verified",
                            hl_role_name (role), act->action->name);
            act->verdict = HL_VERDICT_INCONCLUSIVE;
            continue;
        }
        hl_value_t *args = hl_brief_verify (
            act->action, settle, window,
            run->emergency ? HL_EMERGENCY_MIN_N : 0, act->baseline);
        act->verify_task = hl_dispatch_reserve (self->deps.dispatch);
        act->window_end_us
            = hl_msg_now_us () + (int64_t)(settle + window) * 1000000;
        if (self->deps.store) {
            free (act->verify_json);
            act->verify_json = hl_ledger_json (args);
        }
        hl_ledger_change (self->deps.store, run, i, HL_CHANGE_VERIFYING);
        if (!hl_cycle_submit (self, run, HL_CYCLE_VERIFY, (int)i, role,
                              HL_KIND_VERIFY, NULL, (uint32_t)ms,
                              act->verify_task, &args))
            act->verdict = HL_VERDICT_INCONCLUSIVE;
    }
    s_wait (self, run, ms + 1000);
    if (run->pending == 0)
        return;
    if (run->label_timer)
        zloop_timer_end (self->deps.loop, run->label_timer);
    run->label_timer = zloop_timer (self->deps.loop,
                                    (size_t)(settle > 0 ? settle * 1000 : 1), 1,
                                    s_on_label_timer, self);
}

/*  Queue an emergency change kept without proof for a recheck once the
    emergency is over. */
static void
s_recheck_later (hl_cycle_t *self, const char *action)
{
    for (size_t i = 0; i < self->nrechecks; i++)
        if (streq (self->rechecks[i], action))
            return;
    if (self->nrechecks == S_RECHECKS) {
        hl_log_warning ("%s: too many changes await a recheck; this one "
                        "will not be rechecked",
                        action);
        return;
    }
    snprintf (self->rechecks[self->nrechecks++], HL_MAX_NAME + 1, "%s", action);
}

/*  Undo act's change under test: its rollback, or for a recheck the
    re-apply of a change shown good. Returns the deadline, or 0 (failed). */
static int64_t
s_undo (hl_cycle_t *self, hl_run_t *run, size_t i, int64_t now)
{
    hl_act_t *act = &run->acts[i];
    hl_role_id_t role = hl_role_of (HL_FAMILY_HEPHAESTUS, act->action->swarm);
    hl_task_kind_t kind = act->reverse ? HL_KIND_APPLY : HL_KIND_ROLLBACK;
    hl_value_t *args = hl_brief_action (act->action);
    int64_t ms = (int64_t)act->action->timeout * 1000 + S_SLACK_MS;
    bool can = run->recovery || s_has_agent (self, role, act->action->name);
    if (can) {
        act->undo_task = hl_dispatch_reserve (self->deps.dispatch);
        hl_ledger_change (self->deps.store, run, i, HL_CHANGE_ROLLING_BACK);
    }
    if (!can
        || !hl_cycle_submit (self, run, HL_CYCLE_ROLLBACK, (int)i, role, kind,
                             act->action->name, (uint32_t)ms, act->undo_task,
                             &args)) {
        hl_value_destroy (&args);
        hl_run_degrade (run, "%s: could not %s %s", hl_role_name (role),
                        act->reverse ? "re-apply" : "roll back",
                        act->action->name);
        act->outcome = HL_OUTCOME_FAILED;
        hl_planner_busy (self->deps.planner, act->action->name, false);
        return 0;
    }
    act->undo = hl_judge_change (self->judge, act->action, !act->reverse, now);
    return ms;
}

/*  A recovery keeps a change Athena found improved (or unproven, when
    the config keeps the unproven) and rolls back every other: one never
    verified is never trusted. Nothing is learned from a change whose
    story was cut by the restart. */
static int64_t
s_recover_decide (hl_cycle_t *self, hl_run_t *run, size_t i, bool keep_unproven,
                  int64_t now)
{
    hl_act_t *act = &run->acts[i];
    bool improved = act->verdict == HL_VERDICT_IMPROVED;
    bool unproven = act->verdict == HL_VERDICT_UNCHANGED
                    || act->verdict == HL_VERDICT_INCONCLUSIVE;
    if (act->verify && (improved || (unproven && keep_unproven))) {
        act->outcome = HL_OUTCOME_KEPT;
        hl_planner_busy (self->deps.planner, act->action->name, false);
        hl_planner_effect (self->deps.planner, act->action->name, true);
        return 0;
    }
    return s_undo (self, run, i, now);
}

/*  Judge act, learn from it, and keep it or undo it: improved stays;
    unchanged and inconclusive stay only when the config (or an
    emergency, which has no clean baseline to prove anything better)
    keeps the unproven, and an emergency's are rechecked once it is over;
    regressed and confounded are undone. A recheck's change is the
    rollback: it stays rolled back unless the change proved good, then it
    is re-applied. Returns the undo's deadline, or 0. */
static int64_t
s_decide_act (hl_cycle_t *self, hl_run_t *run, size_t i, bool keep_unproven)
{
    hl_act_t *act = &run->acts[i];
    int64_t now = hl_msg_now_us ();
    if (run->recovery)
        return s_recover_decide (self, run, i, keep_unproven, now);
    /*  A change whose story was cut (its apply's outcome unknown, or an
        emergency stopped it) may be half made, and one whose verify was
        refused is unmeasured: undone, whatever the config keeps of the
        unproven, and nothing learned. A verify that came in is still
        judged, for the report. */
    if ((act->interrupted || act->too_early) && !act->reverse) {
        if (act->verify)
            hl_decide_verdict (self->judge, act, now);
        return s_undo (self, run, i, now);
    }
    hl_decide_verdict (self->judge, act, now);
    hl_decide_learn (self->deps.learning, self->deps.config, act, now);
    bool improved = act->verdict == HL_VERDICT_IMPROVED;
    bool unproven = act->verdict == HL_VERDICT_UNCHANGED
                    || act->verdict == HL_VERDICT_INCONCLUSIVE;
    if (act->reverse && !improved) {
        act->outcome = HL_OUTCOME_ROLLED_BACK;
        hl_planner_busy (self->deps.planner, act->action->name, false);
        return 0;
    }
    if (!act->reverse && (improved || (unproven && keep_unproven))) {
        act->outcome = HL_OUTCOME_KEPT;
        hl_planner_busy (self->deps.planner, act->action->name, false);
        hl_planner_effect (self->deps.planner, act->action->name, true);
        /*  Believed only once seen twice: a first improvement is
            confirmed by a recheck, and so is what an emergency kept
            without proof. */
        if ((run->emergency && unproven)
            || (improved
                && hl_learning_successes (self->deps.learning,
                                          act->action->name)
                       < 2))
            s_recheck_later (self, act->action->name);
        return 0;
    }
    return s_undo (self, run, i, now);
}

void
hl_cycle_decide (hl_cycle_t *self, hl_run_t *run)
{
    s_enter (self, run, HL_PHASE_DECIDE);
    bool keep_unproven
        = run->emergency || hl_config_cycle (self->deps.config)->keep_unproven;
    int64_t longest = 0;
    for (size_t i = 0; i < run->nacts; i++) {
        if (!run->acts[i].applied)
            continue;
        int64_t ms = s_decide_act (self, run, i, keep_unproven);
        if (ms > longest)
            longest = ms;
    }
    s_wait (self, run, run->recovery ? S_RECOVER_WAIT_MS : longest + 1000);
}

/*  Saving syncs twice: only when something was learned, so that a run
    ended without a verdict (one an emergency interrupts, on the way to
    its first tasks) does not wait for the disk. */
void
hl_cycle_save_learning (hl_cycle_t *self)
{
    uint64_t outcomes = hl_learning_outcomes (self->deps.learning);
    if (outcomes == self->learning_saved)
        return;
    if (self->deps.store) {
        hl_value_t *value = hl_learning_to_value (self->deps.learning);
        hl_store_learning (self->deps.store, value);
        hl_value_destroy (&value);
        self->learning_saved = outcomes;
        return;
    }
    int rc = hl_learning_save (self->deps.learning, self->learning_path);
    if (rc)
        hl_log_warning ("learning: cannot save %s: %s", self->learning_path,
                        hl_strerror (rc));
    else
        self->learning_saved = outcomes;
}

/*  Count a finished run's outcomes into the engine's totals. */
static void
s_count (hl_cycle_t *self, const hl_run_t *run)
{
    for (size_t i = 0; i < run->nacts; i++) {
        hl_outcome_t outcome = run->acts[i].outcome;
        if ((int)run->acts[i].verdict < HL_VERDICT_COUNT)
            self->verdicts[run->acts[i].verdict]++;
        self->verify_too_early += run->acts[i].too_early;
        self->verify_implausible += run->acts[i].implausible;
        if (outcome == HL_OUTCOME_KEPT)
            self->kept++;
        else if (outcome == HL_OUTCOME_ROLLED_BACK)
            self->rolled_back++;
        else
            self->failed++;
        if (run->nacts >= 2) {
            self->parallel++;
            self->parallel_ok += outcome != HL_OUTCOME_FAILED;
        }
    }
    if (hl_value_size (run->degraded))
        self->degraded_runs++;
    self->finished++;
}

/*  What run ended with, into the store: each change's final state and
    its audit line, the run and its report's files. */
static void
s_ledger_end (hl_cycle_t *self, hl_run_t *run)
{
    hl_store_t *store = self->deps.store;
    if (!store)
        return;
    for (size_t i = 0; i < run->nacts; i++) {
        hl_outcome_t outcome = run->acts[i].outcome;
        /*  A recovery that could not settle a change leaves it open for
            the next one. */
        if (outcome == HL_OUTCOME_NONE
            || (run->recovery && outcome == HL_OUTCOME_FAILED))
            continue;
        hl_ledger_change (store, run, i,
                          outcome == HL_OUTCOME_KEPT ? HL_CHANGE_KEPT
                          : outcome == HL_OUTCOME_ROLLED_BACK
                              ? HL_CHANGE_ROLLED_BACK
                              : HL_CHANGE_FAILED);
        hl_ledger_decided (store, run, i);
    }
    hl_ledger_run (store, run);
    char json_path[HL_CONFIG_PATH + 64], md_path[HL_CONFIG_PATH + 64];
    hl_report_paths (self->reports, run->report, json_path, md_path,
                     sizeof json_path);
    hl_store_report (store, run->id, run->kind, json_path, md_path);
}

void
hl_cycle_finish (hl_cycle_t *self, hl_run_t *run)
{
    hl_cycle_abandon (self, run); /* nothing of this run is awaited any more */
    /*  ... so none of its actions is in flight, whichever task was lost */
    for (size_t i = 0; i < run->nacts; i++)
        hl_planner_busy (self->deps.planner, run->acts[i].action->name, false);
    s_enter (self, run, HL_PHASE_REPORT);
    run->finished_us = hl_msg_now_us ();
    hl_health_t *health = hl_health_compute (self->deps.config, self->deps.kpi,
                                             run->finished_us);
    run->score_after = hl_health_score (health);
    run->health_after = hl_health_to_value (health);
    hl_health_destroy (&health);
    if (run->emergency)
        run->em.resolved = !hl_emergency_active (self->emergency);
    hl_value_t *learning = hl_learning_to_value (self->deps.learning);
    run->report = hl_report_new (run, self->deps.src, learning);
    hl_value_destroy (&learning);
    hl_report_save (self->reports, run->report);
    hl_cycle_save_learning (self);
    s_count (self, run);
    run->phase = HL_PHASE_DONE;
    s_ledger_end (self, run);
    hl_report_log (run);
    hl_cycle_event (self, run, "finished");
    if (run->label_timer)
        zloop_timer_end (self->deps.loop, run->label_timer);
    run->label_timer = 0;
    if (self->current == run)
        self->current = NULL;
    if (self->round == run) {
        self->round = NULL;
        hl_emergency_round_ended (self->emergency, run, run->finished_us);
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
void
hl_cycle_next_phase (hl_cycle_t *self, hl_run_t *run)
{
    if (self->closing) {
        hl_cycle_finish (self, run);
        return;
    }
    switch (run->phase) {
        case HL_PHASE_COLLECT:
            if (run->recovery)
                s_verify (self, run);
            else
                s_collect_and_analyze (self, run);
            break;
        case HL_PHASE_ANALYZE:
            if (run->analysis_only)
                hl_cycle_finish (self, run);
            else
                s_prioritize_and_apply (self, run);
            break;
        case HL_PHASE_PRIORITIZE:
        case HL_PHASE_APPLY:
            s_verify (self, run);
            break;
        case HL_PHASE_SETTLE:
        case HL_PHASE_VERIFY:
            hl_cycle_decide (self, run);
            break;
        case HL_PHASE_DECIDE:
            hl_cycle_finish (self, run);
            break;
        default:
            break;
    }
}
