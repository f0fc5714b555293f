/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_learning - what Helios learns about each configured action (design
    §5, §5a): verified successes and failures as a Beta(s + 1, f + 1)
    posterior; per target metric a posterior of its relative effect, whose
    prior is the config's `expected` counting as cycle.prior_weight
    observations and which every measured effect updates; Thompson draws
    of both from a seeded generator of its own, so runs are reproducible;
    the quarantine of actions judged regressed (cycle.quarantine, doubling
    on each repeat); which actions must be retried alone after a
    confounded verdict; how often each was tried. The state persists as a
    small JSON file.
*/
#ifndef HL_LEARNING_H
#define HL_LEARNING_H

#include <stdbool.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_value.h"

typedef struct _hl_learning_t hl_learning_t;

/*  Track every action of config, which must outlive the result; seed 0
    means from the clock, else fixed (tests and reproducible runs). NULL
    if config is NULL. The caller owns the result. */
hl_learning_t *hl_learning_new (const hl_config_t *config, uint64_t seed);

void hl_learning_destroy (hl_learning_t **self_p);

/*  One outcome: success (a verified improvement) or not; improvement is
    the measured relative improvement (positive = better, e.g. 0.25;
    hl_decide_improvement: the metrics that made the verdict, so that an
    improved verdict brings a positive one and a regressed one a
    negative one), NAN (or any non-finite value) when unknown, then only
    the counts move. Its running mean over outcomes may still differ in
    sign from the latest verdict: it is the mean of every outcome's.
    Returns 0, or -1 for an unknown action. */
int hl_learning_record (hl_learning_t *self, const char *action, bool success,
                        double improvement);

/*  One measured relative improvement of action on one of its target
    metrics (positive = better), whatever the verdict: it updates that
    metric's effect posterior. Non-finite values are ignored. Returns 0,
    or -1 for an unknown action or a metric it does not target. */
int hl_learning_effect (hl_learning_t *self, const char *action,
                        const char *metric, double improvement);

/*  The effect posterior on metric: a normal model whose prior mean is the
    action's `expected` worth cycle.prior_weight observations, updated by
    every measured effect. *mean, *sd (of the mean) and *n (measured),
    any of which may be NULL. Returns 0, or -1 (unknown action or
    metric). */
int hl_learning_effect_posterior (const hl_learning_t *self, const char *action,
                                  const char *metric, double *mean, double *sd,
                                  uint64_t *n);

/*  A Thompson draw of the effect on metric from its posterior (the
    posterior mean when exploit is true); NAN for an unknown pair. */
double hl_learning_effect_sample (hl_learning_t *self, const char *action,
                                  const char *metric, bool exploit);

/*  Quarantine action from now_us for cycle.quarantine seconds, doubled
    for each quarantine before; returns the time it ends (0 for an
    unknown action, or when cycle.quarantine is 0). */
int64_t hl_learning_quarantine (hl_learning_t *self, const char *action,
                                int64_t now_us);

/*  When action's quarantine ends, if it is still quarantined at now_us;
    0 otherwise. */
int64_t hl_learning_quarantined (const hl_learning_t *self, const char *action,
                                 int64_t now_us);

/*  Lift action's quarantine (its repeat count stays, so a next one is
    longer). Returns 0, or -1 for an unknown action. */
int hl_learning_release (hl_learning_t *self, const char *action);

/*  Whether action must next run alone (a verdict could not tell it from
    another change), and set or clear that. */
bool hl_learning_solo (const hl_learning_t *self, const char *action);
void hl_learning_set_solo (hl_learning_t *self, const char *action, bool solo);

/*  Count one judged application of action, whatever its verdict (a
    confounded or inconclusive one too); how many there were. */
void hl_learning_tried (hl_learning_t *self, const char *action);
uint64_t hl_learning_trials (const hl_learning_t *self, const char *action);

/*  A Thompson draw from Beta(successes + 1, failures + 1), from the
    seeded generator; exactly 0.5 for an unknown action (no draw made). */
double hl_learning_sample (hl_learning_t *self, const char *action);

/*  Posterior mean (s + 1) / (s + f + 2) (0.5 for an unknown action), and
    the running mean of measured improvement (NAN when none or unknown). */
double hl_learning_p (const hl_learning_t *self, const char *action);
double hl_learning_improvement (const hl_learning_t *self, const char *action);

/*  Outcome counts of action; 0 for an unknown action. */
uint64_t hl_learning_successes (const hl_learning_t *self, const char *action);
uint64_t hl_learning_failures (const hl_learning_t *self, const char *action);

/*  {action: {"successes", "failures", "p", "improvement" (null if none),
    "n" (outcomes, s + f), "measured" (improvements behind the mean),
    "trials", "solo", "quarantine": {"until" (us, 0 if none), "repeats"},
    "effects": {metric: {"prior", "prior_weight", "measured_mean" (null
    if none), "n", "mean", "sd"}}}} in config order, for status, reports
    and `helios-ctl actions`. The caller owns the result. */
hl_value_t *hl_learning_to_value (const hl_learning_t *self);

/*  Outcomes recorded since creation: a saver that remembers this skips
    writing (and syncing) what has not moved. */
uint64_t hl_learning_outcomes (const hl_learning_t *self);

/*  Persist to path atomically (a temp file in the same folder, fsync,
    rename). Returns 0, or HL_ERR_IO. */
int hl_learning_save (const hl_learning_t *self, const char *path);

/*  Restore from path, replacing the state of every action the file
    names. A missing file is 0 (nothing learned yet); a corrupt one is
    HL_ERR_MALFORMED (HL_ERR_TOO_BIG over 1 MiB, HL_ERR_IO when it cannot
    be read) with nothing changed. Entries for actions no longer
    configured are ignored. A file before version 3 loads without its
    "improvement" means (measured by another rule), counts and effects
    kept. */
int hl_learning_load (hl_learning_t *self, const char *path);

/*  Restore from actions, a value as hl_learning_to_value gives it (what
    the store keeps): 0, or HL_ERR_MALFORMED with nothing changed. */
int hl_learning_restore (hl_learning_t *self, const hl_value_t *actions);

#endif
