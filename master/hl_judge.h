/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_judge - what a measured change means (design §5a). It keeps the log
    of changes Helios makes (every apply and rollback, from the moment its
    task is sent until it ended plus cycle.settle), so that a baseline or
    an after-window that overlaps another change touching the same
    metrics or resources, or any change at all, is known for what it is. And it
   turns Athena's per-metric verdicts into the change's verdict: guards count
   for harm only, and a verdict that another change could have caused is
    `confounded`, never blamed on this one.
*/
#ifndef HL_JUDGE_H
#define HL_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_names.h"

#define HL_JUDGE_LOG 512 /* changes remembered; older ones are long settled */

typedef struct _hl_judge_t hl_judge_t;

/*  One metric as Athena judged it. */
typedef struct {
    const char *name;
    bool guard;           /* judged for harm only */
    hl_verdict_t verdict; /* Athena's, on this metric */
} hl_judge_metric_t;

/*  The log of config's changes; config must outlive it. */
hl_judge_t *hl_judge_new (const hl_config_t *config);

void hl_judge_destroy (hl_judge_t **self_p);

/*  A change of action starts at start_us: its apply, or its rollback.
    Returns its id (never 0). */
uint64_t hl_judge_change (hl_judge_t *self, const hl_config_action_t *action,
                          bool rollback, int64_t start_us);

/*  The change's task ended at end_us (whatever the result: a failed
    command may have changed things too). Unknown ids are ignored. */
void hl_judge_changed (hl_judge_t *self, uint64_t id, int64_t end_us);

/*  When every change logged will have settled, as of now_us (a change
    still running counts as ending now); INT64_MIN when none ever ran.
    A cycle starts new changes only once earlier ones have settled and a
    whole verify window has passed since: any change may move any metric
    (side effects are undeclared), so a baseline is clean only when no
    change at all overlaps it, and a verdict's concurrent changes are its
    own cycle's. */
int64_t hl_judge_settled (const hl_judge_t *self, int64_t now_us);

/*  Whether a change other than except touching action's targets or
    resources was unsettled at some time within (from_us, to_us): one
    settled by from_us, or starting at to_us, is not. */
bool hl_judge_touched (const hl_judge_t *self, const hl_config_action_t *action,
                       uint64_t except, int64_t from_us, int64_t to_us);

/*  Whether any change of another action than except's was unsettled at
    some time within (from_us, to_us): a side effect of it could be
    anywhere. */
bool hl_judge_concurrent (const hl_judge_t *self,
                          const hl_config_action_t *except, int64_t from_us,
                          int64_t to_us);

/*  Whether a change of another action than except's, one that aims at
    metric (lists it in its improves), was unsettled at some time within
    (from_us, to_us): a guard of except that moved then is explained by
    it first. */
bool hl_judge_aimed (const hl_judge_t *self, const char *metric,
                     const hl_config_action_t *except, int64_t from_us,
                     int64_t to_us);

/*  A change's verdict from its metrics: regressed if any target or guard
    regressed (*culprit, if given, names the first); else improved if a
    target improved; else inconclusive if a target was inconclusive or
    none was judged; else unchanged. */
hl_verdict_t hl_judge_metrics (const hl_judge_metric_t *metrics, size_t n,
                               const char **culprit);

/*  The verdict once the log is heard: confounded when another change
    touching the same targets or resources overlapped the change's
    window (touched), or when it regressed while any other change did
    (concurrent): either may have moved what was measured. */
hl_verdict_t hl_judge_attribute (hl_verdict_t verdict, bool touched,
                                 bool concurrent);

#endif
