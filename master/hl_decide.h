/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_decide - what a verified change means (design §5a): its verdict,
    and what learning takes from it. The cycle engine calls both at
    DECIDE; bench_loop calls them on simulated changes, so the benchmark
    measures the very rules the master uses.
*/
#ifndef HL_DECIDE_H
#define HL_DECIDE_H

#include <stdint.h>

#include "../bus/hl_config.h"
#include "hl_judge.h"
#include "hl_learning.h"
#include "hl_run.h"

/*  Whether a verify result arriving at now comes too soon to be a
    measurement: before act->window_end_us, settle plus window past the
    moment the verify was sent (a recovery's window ended before the
    restart, so a kept result is in time). Such a result is refused. */
bool hl_decide_too_early (const hl_act_t *act, int64_t now);

/*  If a verify result for act from agent, arriving at now, is too early:
    refuse it (act->too_early, its verdict inconclusive, run degraded
    with the reason) and return true. The change then counts as not
    verified: it is undone whatever the config keeps of the unproven,
    and nothing is learned from it. */
bool hl_decide_refuse_early (hl_run_t *run, hl_act_t *act, const char *agent,
                             int64_t now);

/*  Set act->verdict: from act->verify's metrics, each read against what
    the master asked for in act->baseline (its direction; whether it is a
    guard, judged for harm only; a metric not asked for is ignored; one
    whose verdict its own effect contradicts is inconclusive and counted
    in act->implausible); act->culprit names a metric it regressed on;
    or what was set before when nothing was verified (none:
    inconclusive); turned round for a recheck (undoing a good change
    makes things worse); then heard against judge's log: confounded if
    another change touched its targets or resources between
    act->start_us and now, or ran beside it while it regressed. */
void hl_decide_verdict (const hl_judge_t *judge, hl_act_t *act, int64_t now);

/*  The measured relative improvement of act's change, better = positive
    whatever each metric's direction, turned round for a recheck: the
    mean effect of the metrics that made its verdict (improved: the
    targets that improved, so it is positive; regressed: the metrics that
    regressed, so it is negative; otherwise the targets). NAN when none
    was measured. What learning records and the audit shows. */
double hl_decide_improvement (const hl_act_t *act);

/*  Teach learning act's verdict: a trial (unless act was interrupted or
    its verify refused, which teach nothing); each measured effect on a target
   updates its effect posterior, whatever the verdict; a confounded change is
   marked to be retried alone and counts neither way; otherwise a conclusive
    verdict updates the success posterior, and a regression quarantines
    the action. */
void hl_decide_learn (hl_learning_t *learning, const hl_config_t *config,
                      const hl_act_t *act, int64_t now);

#endif
