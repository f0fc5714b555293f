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

/*  Set act->verdict: from act->verify's metrics (guards judged for harm
    only; act->culprit names a metric it regressed on), or what was set
    before when nothing was verified (none: inconclusive); turned round
    for a recheck (undoing a good change makes things worse); then heard
    against judge's log: confounded if another change touched its
    targets or resources between act->start_us and now, or ran beside it
    while it regressed. */
void hl_decide_verdict (const hl_judge_t *judge, hl_act_t *act, int64_t now);

/*  Teach learning act's verdict: a trial (unless act was interrupted,
    which teaches nothing); each measured effect on a target updates its
    effect posterior, whatever the verdict; a confounded change is marked
    to be retried alone and counts neither way; otherwise a conclusive
    verdict updates the success posterior, and a regression quarantines
    the action. */
void hl_decide_learn (hl_learning_t *learning, const hl_config_t *config,
                      const hl_act_t *act, int64_t now);

#endif
