/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_planner - per action (config order) whether it is in flight and
    when it was last applied. A ranking scores every action, filters,
    sorts by gain and then picks greedily: each pick is the best
    remaining candidate of a swarm with the fewest picks so far, so the
    swarms alternate while both have work and a conflict with an earlier
    pick removes a candidate before it can be taken.
*/
#include <assert.h>
#include <czmq.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/hl_alloc.h"
#include "hl_planner.h"

#define S_MIN_COST 0.01 /* a free action must not get an infinite gain */

typedef struct {
    bool busy;          /* in flight */
    bool in_effect;     /* applied and kept */
    bool applied;       /* applied_us is set */
    int64_t applied_us; /* last apply, cooldown starts here */
} s_state_t;

struct _hl_planner_t {
    const hl_config_t *config; /* borrowed */
    const hl_judge_t *judge;   /* borrowed, may be NULL */
    s_state_t *states;         /* config order */
    size_t states_n;
    hl_planner_stats_t stats;
};

//  One action during a ranking
typedef struct {
    hl_candidate_t cand;
    size_t index; /* config order, the last tie-break */
    bool open;    /* eligible and not yet picked or excluded */
    bool picked;
} s_rank_t;

static s_state_t *
s_state (const hl_planner_t *self, const char *action)
{
    if (!action)
        return NULL;
    for (size_t i = 0; i < self->states_n; i++)
        if (streq (hl_config_action (self->config, i)->name, action))
            return &self->states[i];
    return NULL;
}

hl_planner_t *
hl_planner_new (const hl_config_t *config)
{
    if (!config)
        return NULL;
    hl_planner_t *self = (hl_planner_t *)hl_alloc (sizeof (hl_planner_t));
    self->config = config;
    self->states_n = hl_config_actions_size (config);
    self->states = (s_state_t *)hl_calloc (self->states_n, sizeof (s_state_t));
    return self;
}

void
hl_planner_destroy (hl_planner_t **self_p)
{
    assert (self_p);
    hl_planner_t *self = *self_p;
    if (!self)
        return;
    free (self->states);
    free (self);
    *self_p = NULL;
}

static bool s_conflict (const hl_config_action_t *a,
                        const hl_config_action_t *b);

void
hl_planner_busy (hl_planner_t *self, const char *action, bool busy)
{
    assert (self);
    s_state_t *state = s_state (self, action);
    if (!state)
        return;
    if (busy && !state->busy) {
        //  Measured, not assumed: a caller that starts an action the
        //  ranking would have held back shows up here.
        self->stats.started++;
        const hl_config_action_t *a
            = hl_config_action (self->config, (size_t)(state - self->states));
        for (size_t j = 0; j < self->states_n; j++)
            if (self->states[j].busy
                && s_conflict (a, hl_config_action (self->config, j))) {
                self->stats.conflicts++;
                break;
            }
    }
    state->busy = busy;
}

void
hl_planner_set_judge (hl_planner_t *self, const hl_judge_t *judge)
{
    assert (self);
    self->judge = judge;
}

hl_planner_stats_t
hl_planner_stats (const hl_planner_t *self)
{
    assert (self);
    return self->stats;
}

void
hl_planner_effect (hl_planner_t *self, const char *action, bool in_effect)
{
    assert (self);
    s_state_t *state = s_state (self, action);
    if (state)
        state->in_effect = in_effect;
}

void
hl_planner_applied (hl_planner_t *self, const char *action, int64_t now_us)
{
    assert (self);
    s_state_t *state = s_state (self, action);
    if (state) {
        state->applied = true;
        state->applied_us = now_us;
    }
}

static bool
s_cooling (const hl_planner_t *self, const s_state_t *state, int64_t now_us)
{
    if (!state->applied)
        return false;
    int64_t cooldown_us
        = (int64_t)hl_config_cycle (self->config)->cooldown * 1000000;
    //  A clock stepped back before the apply still counts as cooling
    return now_us - state->applied_us < cooldown_us;
}

bool
hl_planner_cooling (const hl_planner_t *self, const char *action,
                    int64_t now_us)
{
    assert (self);
    const s_state_t *state = s_state (self, action);
    return state && s_cooling (self, state, now_us);
}

bool
hl_planner_in_effect (const hl_planner_t *self, const char *action)
{
    assert (self);
    const s_state_t *state = s_state (self, action);
    return state && state->in_effect;
}

bool
hl_planner_in_flight (const hl_planner_t *self, const char *action)
{
    assert (self);
    const s_state_t *state = s_state (self, action);
    return state && state->busy;
}

static bool
s_share (char *const *a, size_t a_n, char *const *b, size_t b_n)
{
    for (size_t i = 0; i < a_n; i++)
        for (size_t j = 0; j < b_n; j++)
            if (streq (a[i], b[j]))
                return true;
    return false;
}

//  Two optimisations conflict when they touch a common resource or aim
//  at a common metric: running both would make either verdict unsound
static bool
s_conflict (const hl_config_action_t *a, const hl_config_action_t *b)
{
    return s_share (a->resources, a->resources_n, b->resources, b->resources_n)
           || s_share (a->improves, a->improves_n, b->improves, b->improves_n);
}

/*  Whether learning has seen action applied and judged. */
static bool
s_tried (hl_learning_t *learning, const char *action)
{
    return learning
           && (hl_learning_trials (learning, action)
               || hl_learning_successes (learning, action)
               || hl_learning_failures (learning, action));
}

//  Urgency, impact, cost, p, expected and gain of one action. Only an
//  action with a bottleneck draws from learning, so the draws (and with
//  them a seeded run) do not depend on actions nothing asks for. The
//  effect on each bottleneck metric is learned: a draw from its
//  posterior (the mean in an emergency, or for an action never tried,
//  which is explored on its prior), so what was measured outweighs what
//  was claimed.
static void
s_score (s_rank_t *r, const hl_health_t *health, hl_learning_t *learning,
         bool emergency)
{
    const hl_config_action_t *action = r->cand.action;
    hl_severity_t worst = HL_SEVERITY_NONE;
    double impact = 0;
    for (size_t j = 0; j < action->improves_n; j++) {
        const hl_health_metric_t *m
            = hl_health_metric_find (health, action->improves[j]);
        if (!m || m->severity == HL_SEVERITY_NONE)
            continue;
        if (emergency && m->severity != HL_SEVERITY_CRITICAL)
            continue;
        impact += m->impact;
        if (m->severity > worst)
            worst = m->severity;
    }
    r->cand.impact = impact;
    r->cand.cost = action->cost > S_MIN_COST ? action->cost : S_MIN_COST;
    r->cand.expected = action->expected;
    r->cand.explore
        = !emergency && learning && !s_tried (learning, action->name);
    if (worst == HL_SEVERITY_NONE) {
        r->cand.urgency = 0;
        r->cand.p = learning ? hl_learning_p (learning, action->name) : 0.5;
        r->cand.gain = 0;
        return;
    }
    //  critical (4) -> 1 .. low (1) -> 4; the boost is 5 - urgency
    r->cand.urgency = 5 - (int)worst;
    /*  A cycle explores (a Thompson draw); an emergency exploits what is
        known (the posterior mean): it is no time to try long shots. An
        action never tried has only its prior, so it is ranked on the
        prior's mean: untried actions go in the order of what they claim,
        not of a coin toss. */
    bool exploit = emergency || r->cand.explore;
    r->cand.p = !learning ? 0.5
                : exploit ? hl_learning_p (learning, action->name)
                          : hl_learning_sample (learning, action->name);
    double weighted = 0;
    for (size_t j = 0; j < action->improves_n; j++) {
        const hl_health_metric_t *m
            = hl_health_metric_find (health, action->improves[j]);
        if (!m || m->severity == HL_SEVERITY_NONE
            || (emergency && m->severity != HL_SEVERITY_CRITICAL))
            continue;
        double effect
            = learning ? hl_learning_effect_sample (
                  learning, action->name, action->improves[j], exploit)
                       : action->expected;
        weighted += m->impact * (isfinite (effect) ? effect : 0);
    }
    r->cand.expected = impact > 0 ? weighted / impact : action->expected;
    r->cand.gain
        = r->cand.p * weighted / r->cand.cost * (double)(5 - r->cand.urgency);
}

//  Open actions never tried first (exploration), then gain descending
//  (NAN last), then more urgent, then config order
static int
s_cmp_rank (const void *a, const void *b)
{
    const s_rank_t *x = (const s_rank_t *)a;
    const s_rank_t *y = (const s_rank_t *)b;
    bool ex = x->open && x->cand.explore, ey = y->open && y->cand.explore;
    if (ex != ey)
        return ex ? -1 : 1;
    double gx = isnan (x->cand.gain) ? -INFINITY : x->cand.gain;
    double gy = isnan (y->cand.gain) ? -INFINITY : y->cand.gain;
    if (gx != gy)
        return gx > gy ? -1 : 1;
    int ux = x->cand.urgency ? x->cand.urgency : 5;
    int uy = y->cand.urgency ? y->cand.urgency : 5;
    if (ux != uy)
        return ux < uy ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

//  Close every open candidate that conflicts with a pick; returns how many
static uint64_t
s_close_conflicts (s_rank_t *ranks, size_t n)
{
    uint64_t closed = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ranks[i].open)
            continue;
        for (size_t j = 0; j < n; j++)
            if (ranks[j].picked
                && s_conflict (ranks[i].cand.action, ranks[j].cand.action)) {
                ranks[i].open = false;
                ranks[i].cand.reason = HL_PLANNER_CONFLICT;
                closed++;
                break;
            }
    }
    return closed;
}

static size_t
s_swarm_picks (const s_rank_t *ranks, size_t n, hl_swarm_t swarm)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (ranks[i].picked && ranks[i].cand.action->swarm == swarm)
            count++;
    return count;
}

//  The next pick: the best open candidate among the swarms with the
//  fewest picks that still have an open candidate; -1 when none is open
static ssize_t
s_next_pick (const s_rank_t *ranks, size_t n)
{
    size_t fewest = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        if (ranks[i].open) {
            size_t count
                = s_swarm_picks (ranks, n, ranks[i].cand.action->swarm);
            if (count < fewest)
                fewest = count;
        }
    for (size_t i = 0; i < n; i++)
        if (ranks[i].open
            && s_swarm_picks (ranks, n, ranks[i].cand.action->swarm) == fewest)
            return (ssize_t)i;
    return -1;
}

static hl_value_t *
s_explain (const s_rank_t *ranks, size_t n)
{
    hl_value_t *list = hl_value_new_array ();
    for (size_t i = 0; i < n; i++) {
        const hl_candidate_t *c = &ranks[i].cand;
        hl_value_t *item = hl_value_new_map ();
        hl_value_set_str (item, "action", c->action->name);
        hl_value_set_str (item, "swarm", hl_swarm_name (c->action->swarm));
        if (c->urgency)
            hl_value_set_int (item, "urgency", c->urgency);
        else {
            hl_value_t *nil = hl_value_new_nil ();
            hl_value_set (item, "urgency", &nil);
        }
        hl_value_set_double (item, "impact", c->impact);
        hl_value_set_double (item, "cost", c->cost);
        hl_value_set_double (item, "p", c->p);
        hl_value_set_double (item, "expected", c->expected);
        hl_value_set_double (item, "gain", c->gain);
        hl_value_set_bool (item, "explore", c->explore);
        hl_value_set_bool (item, "picked", ranks[i].picked);
        hl_value_set_str (item, "reason", c->reason);
        if (c->until_us)
            hl_value_set_int (item, "until", c->until_us);
        hl_value_append (list, &item);
    }
    return list;
}

/*  Why r cannot be picked now, or NULL: what is in flight or in effect,
    what learning rules out, then what time rules out (cooldown, unsettled
    changes, an unclean baseline), then conflicts with what is in flight.
    Sets r->cand.until_us for a wait that ends. */
static const char *
s_exclude (hl_planner_t *self, s_rank_t *r, hl_learning_t *learning,
           int64_t now_us, bool emergency)
{
    const s_state_t *state = &self->states[r->index];
    const hl_config_action_t *action = r->cand.action;
    if (state->busy)
        return HL_PLANNER_IN_FLIGHT;
    if (state->in_effect)
        return HL_PLANNER_IN_EFFECT;
    int64_t until
        = learning ? hl_learning_quarantined (learning, action->name, now_us)
                   : 0;
    if (until) {
        r->cand.until_us = until;
        return HL_PLANNER_QUARANTINED;
    }
    if (emergency && learning
        && hl_learning_failures (learning, action->name)
               > hl_learning_successes (learning, action->name))
        return HL_PLANNER_KNOWN_BAD;
    if (r->cand.urgency == 0)
        return HL_PLANNER_NO_BOTTLENECK;
    //  A confounded action is retried alone whatever its draw: it is owed
    //  a verdict of its own
    if (!r->cand.explore && !(r->cand.gain > 0)
        && !(learning && !emergency
             && hl_learning_solo (learning, action->name)))
        return HL_PLANNER_HARMFUL;
    //  A solo retry finishes a judgement the cooldown need not wait for
    bool solo
        = learning && !emergency && hl_learning_solo (learning, action->name);
    if (!emergency && !solo && s_cooling (self, state, now_us))
        return HL_PLANNER_COOLING;
    if (!emergency && self->judge) {
        int64_t settled = hl_judge_settled (self->judge, now_us);
        if (settled > now_us) {
            r->cand.until_us = settled;
            return HL_PLANNER_SETTLING;
        }
        int64_t window
            = (int64_t)hl_config_cycle (self->config)->verify_window * 1000000;
        if (settled > now_us - window) {
            r->cand.until_us = settled + window;
            return HL_PLANNER_UNCLEAN;
        }
    }
    for (size_t j = 0; j < self->states_n; j++)
        if (self->states[j].busy
            && s_conflict (action, hl_config_action (self->config, j)))
            return HL_PLANNER_CONFLICT;
    return NULL;
}

/*  A confounded action is retried alone before anything else: when one
    is open, the best of them is the only candidate left open, and only
    once nothing is in flight. Returns true if the picks are limited to
    one. */
static bool
s_solo_turn (hl_planner_t *self, s_rank_t *ranks, size_t n,
             hl_learning_t *learning)
{
    ssize_t solo = -1;
    for (size_t i = 0; i < n && solo < 0; i++)
        if (ranks[i].open
            && hl_learning_solo (learning, ranks[i].cand.action->name))
            solo = (ssize_t)i;
    if (solo < 0)
        return false;
    bool busy = false;
    for (size_t j = 0; j < self->states_n; j++)
        busy |= self->states[j].busy;
    for (size_t i = 0; i < n; i++)
        if (ranks[i].open && (busy || (ssize_t)i != solo)) {
            ranks[i].open = false;
            ranks[i].cand.reason = (ssize_t)i == solo ? HL_PLANNER_SOLO_WAIT
                                                      : HL_PLANNER_SOLO_TURN;
        }
    return true;
}

size_t
hl_planner_rank (hl_planner_t *self, const hl_health_t *health,
                 hl_learning_t *learning, int64_t now_us, size_t max,
                 bool emergency, hl_candidate_t *out, size_t out_size,
                 hl_value_t **explain)
{
    assert (self);
    assert (health);
    assert (out || out_size == 0);
    size_t n = self->states_n;
    s_rank_t *ranks = (s_rank_t *)hl_calloc (n, sizeof (s_rank_t));

    //  Score in config order, so a seeded learning draws in a fixed order
    for (size_t i = 0; i < n; i++) {
        s_rank_t *r = &ranks[i];
        r->index = i;
        r->cand.action = hl_config_action (self->config, i);
        s_score (r, health, learning, emergency);
        r->cand.reason = s_exclude (self, r, learning, now_us, emergency);
        r->open = r->cand.reason == NULL;
        if (r->cand.reason && streq (r->cand.reason, HL_PLANNER_CONFLICT))
            self->stats.held_back++;
    }
    qsort (ranks, n, sizeof (s_rank_t), s_cmp_rank);

    size_t limit = max < out_size ? max : out_size;
    if (!emergency && learning && s_solo_turn (self, ranks, n, learning)
        && limit > 1)
        limit = 1;
    size_t picks = 0;
    while (picks < limit) {
        self->stats.held_back += s_close_conflicts (ranks, n);
        ssize_t next = s_next_pick (ranks, n);
        if (next < 0)
            break;
        s_rank_t *r = &ranks[next];
        r->open = false;
        r->picked = true;
        r->cand.reason = HL_PLANNER_PICKED;
        out[picks++] = r->cand;
    }
    //  What is still open lost only to the limit, unless it conflicts
    //  with the last pick
    self->stats.held_back += s_close_conflicts (ranks, n);
    for (size_t i = 0; i < n; i++)
        if (ranks[i].open) {
            ranks[i].open = false;
            ranks[i].cand.reason = HL_PLANNER_OVER_MAX;
        }
    if (explain)
        *explain = s_explain (ranks, n);
    free (ranks);
    return picks;
}
