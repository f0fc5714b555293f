/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_planner - which actions to run now (design §5, "Bottlenecks and
    priorities"): from a health snapshot and what has been learned, rank
    the actions that improve a bottleneck, leave out those cooling down,
    in flight or in conflict with one, and pick at most max of them,
    balanced across the two swarms. It owns the in-flight and cooldown
    bookkeeping; the config and learning are borrowed.
*/
#ifndef HL_PLANNER_H
#define HL_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_value.h"
#include "hl_health.h"
#include "hl_judge.h"
#include "hl_learning.h"

typedef struct {
    const hl_config_action_t *action; /* borrowed from the config */
    int urgency;        /* 1 (critical) .. 4 (low): from the worst severity
                           among the bottleneck metrics it improves */
    double impact;      /* sum over those metrics of weight x gap */
    double cost;        /* the action's cost (min 0.01) */
    double p;           /* success probability: hl_learning_sample */
    double expected;    /* the relative improvement it is expected to
                           bring to its bottleneck metrics: learned (a
                           draw of each metric's effect posterior, or its
                           mean in an emergency), impact-weighted */
    double gain;        /* p x sum(impact x effect) / cost x
                           (5 - urgency): the ranking key */
    bool explore;       /* never tried yet: tried first (design §5a) */
    int64_t until_us;   /* quarantined or waiting until then, or 0 */
    const char *reason; /* static text: why chosen or why excluded */
} hl_candidate_t;

/*  Static reasons found in hl_candidate_t.reason and in explain. */
#define HL_PLANNER_PICKED "picked"
#define HL_PLANNER_NO_BOTTLENECK "no bottleneck"
#define HL_PLANNER_IN_FLIGHT "in flight"
#define HL_PLANNER_IN_EFFECT "in effect"
#define HL_PLANNER_KNOWN_BAD "failed more than it succeeded"
#define HL_PLANNER_COOLING "cooling"
#define HL_PLANNER_CONFLICT "conflict"
#define HL_PLANNER_OVER_MAX "over max_concurrent"
#define HL_PLANNER_QUARANTINED "quarantined"
#define HL_PLANNER_HARMFUL "expected to make things worse"
#define HL_PLANNER_UNCLEAN "waiting for a clean baseline"
#define HL_PLANNER_SETTLING "waiting for earlier changes to settle"
#define HL_PLANNER_SOLO_WAIT "to be retried alone, once nothing else runs"
#define HL_PLANNER_SOLO_TURN "a confounded action is retried alone first"

typedef struct _hl_planner_t hl_planner_t;

/*  Since the planner began: actions marked in flight, those of them that
    touched a resource or target metric of one already in flight (the
    seed's optimisation conflicts: 0 unless a caller bypasses the
    ranking), and candidates the ranking held back for such a conflict. */
typedef struct {
    uint64_t started;
    uint64_t conflicts;
    uint64_t held_back;
} hl_planner_stats_t;

/*  A planner for config's actions, none in flight or applied; config must
    outlive it. NULL if config is NULL. The caller owns the result. */
hl_planner_t *hl_planner_new (const hl_config_t *config);

void hl_planner_destroy (hl_planner_t **self_p);

/*  Mark an action in flight (its resources and target metrics are taken)
    or no longer in flight. Unknown actions are ignored. */
void hl_planner_busy (hl_planner_t *self, const char *action, bool busy);

/*  Mark an action in effect (applied and kept: applying it again would
    change nothing, and its verification would find nothing) or no longer
    in effect (rolled back). Unknown actions are ignored. */
void hl_planner_effect (hl_planner_t *self, const char *action, bool in_effect);

/*  Note when an action was last applied; its cooldown (cycle.cooldown
    seconds) starts then. Unknown actions are ignored. */
void hl_planner_applied (hl_planner_t *self, const char *action,
                         int64_t now_us);

/*  True while action is within cooldown of its last apply. */
bool hl_planner_cooling (const hl_planner_t *self, const char *action,
                         int64_t now_us);

/*  Consult judge (may be NULL) for clean windows: a normal cycle starts
    no change until earlier ones have settled, nor until a whole baseline
    (cycle.verify_window seconds before now) is clean of them. judge must
    outlive the planner. */
void hl_planner_set_judge (hl_planner_t *self, const hl_judge_t *judge);

/*  The counters above. */
hl_planner_stats_t hl_planner_stats (const hl_planner_t *self);

/*  True while action is marked in effect. */
bool hl_planner_in_effect (const hl_planner_t *self, const char *action);

/*  True while action is marked in flight. */
bool hl_planner_in_flight (const hl_planner_t *self, const char *action);

/*  Rank candidates for health at now_us: actions that improve at least one
    bottleneck metric, are off cooldown, are not in flight and touch no
    resource or target metric of an action in flight, nor of one already
    picked in this call; ranked by gain; at most max picked, balanced
    across the swarms (the next pick is the best of a swarm with the
    fewest picks so far, while several have any). Fills out[0..n) with
    the picks in pick order and returns n (n <= max, n <= out_size).
    learning may be NULL (p = 0.5, effects the config's expected). If
    explain is not NULL it gets (caller owns) an array of every action,
    ranked, each {"action", "swarm", "urgency" (null without bottleneck),
    "impact", "cost", "p", "expected", "gain", "explore", "picked",
    "reason", ["until" (us)]}.
    Learning decides: a quarantined action is never a candidate; a tried
    one whose learned gain is not positive is left out (expected to make
    things worse); one never tried is explored first, ahead of the gain
    order; one marked solo runs alone, before anything else.
    emergency: only critical metrics count as bottlenecks, cooldown and
    the judge's windows are ignored, the effect is the posterior mean,
    nothing is explored, and actions that failed more than they worked are
    left out. */
size_t hl_planner_rank (hl_planner_t *self, const hl_health_t *health,
                        hl_learning_t *learning, int64_t now_us, size_t max,
                        bool emergency, hl_candidate_t *out, size_t out_size,
                        hl_value_t **explain);

#endif
