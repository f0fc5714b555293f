/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_judge - a ring of the last HL_JUDGE_LOG changes, scanned whole: a
    few hundred entries at most, asked a handful of times per cycle.
*/
#include <czmq.h>

#include "../proto/hl_alloc.h"
#include "hl_judge.h"

typedef struct {
    uint64_t id;                      /* 0: an empty slot */
    const hl_config_action_t *action; /* borrowed from the config */
    bool rollback;
    int64_t start_us;
    int64_t end_us; /* 0 while its task runs */
} s_change_t;

struct _hl_judge_t {
    const hl_config_t *config;
    s_change_t log[HL_JUDGE_LOG];
    size_t next; /* ring slot the next change takes */
    uint64_t next_id;
};

hl_judge_t *
hl_judge_new (const hl_config_t *config)
{
    if (!config)
        return NULL;
    hl_judge_t *self = (hl_judge_t *)hl_alloc (sizeof (hl_judge_t));
    self->config = config;
    self->next_id = 1;
    return self;
}

void
hl_judge_destroy (hl_judge_t **self_p)
{
    if (!*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

uint64_t
hl_judge_change (hl_judge_t *self, const hl_config_action_t *action,
                 bool rollback, int64_t start_us)
{
    s_change_t *c = &self->log[self->next];
    self->next = (self->next + 1) % HL_JUDGE_LOG;
    c->id = self->next_id++;
    c->action = action;
    c->rollback = rollback;
    c->start_us = start_us;
    c->end_us = 0;
    return c->id;
}

void
hl_judge_changed (hl_judge_t *self, uint64_t id, int64_t end_us)
{
    for (size_t i = 0; i < HL_JUDGE_LOG; i++)
        if (self->log[i].id == id) {
            self->log[i].end_us = end_us > self->log[i].start_us
                                      ? end_us
                                      : self->log[i].start_us;
            return;
        }
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

/*  Whether a change of b could move what a is judged on: a common target
    metric or resource. */
static bool
s_touches (const hl_config_action_t *a, const hl_config_action_t *b)
{
    return a == b
           || s_share (a->improves, a->improves_n, b->improves, b->improves_n)
           || s_share (a->resources, a->resources_n, b->resources,
                       b->resources_n);
}

/*  When c stops being unsettled: its end plus settle; a change still
    running is unsettled until at least now. */
static int64_t
s_settled_at (const hl_judge_t *self, const s_change_t *c, int64_t now_us)
{
    int64_t settle = (int64_t)hl_config_cycle (self->config)->settle * 1000000;
    int64_t end = c->end_us ? c->end_us : now_us;
    return end + settle;
}

int64_t
hl_judge_settled (const hl_judge_t *self, int64_t now_us)
{
    int64_t at = INT64_MIN;
    for (size_t i = 0; i < HL_JUDGE_LOG; i++)
        if (self->log[i].id) {
            int64_t settled = s_settled_at (self, &self->log[i], now_us);
            if (settled > at)
                at = settled;
        }
    return at;
}

/*  Whether c was unsettled at some time within (from_us, to_us): a change
    that settled by from_us, or starts at to_us (the undo of a change
    decided beside this one), is not within. */
static bool
s_overlaps (const hl_judge_t *self, const s_change_t *c, int64_t from_us,
            int64_t to_us)
{
    return c->start_us < to_us && s_settled_at (self, c, to_us) > from_us;
}

bool
hl_judge_touched (const hl_judge_t *self, const hl_config_action_t *action,
                  uint64_t except, int64_t from_us, int64_t to_us)
{
    for (size_t i = 0; i < HL_JUDGE_LOG; i++) {
        const s_change_t *c = &self->log[i];
        if (c->id && c->id != except && s_touches (action, c->action)
            && s_overlaps (self, c, from_us, to_us))
            return true;
    }
    return false;
}

bool
hl_judge_concurrent (const hl_judge_t *self, const hl_config_action_t *except,
                     int64_t from_us, int64_t to_us)
{
    for (size_t i = 0; i < HL_JUDGE_LOG; i++) {
        const s_change_t *c = &self->log[i];
        if (c->id && c->action != except
            && s_overlaps (self, c, from_us, to_us))
            return true;
    }
    return false;
}

bool
hl_judge_aimed (const hl_judge_t *self, const char *metric,
                const hl_config_action_t *except, int64_t from_us,
                int64_t to_us)
{
    for (size_t i = 0; i < HL_JUDGE_LOG; i++) {
        const s_change_t *c = &self->log[i];
        if (!c->id || c->action == except
            || !s_overlaps (self, c, from_us, to_us))
            continue;
        for (size_t j = 0; j < c->action->improves_n; j++)
            if (streq (c->action->improves[j], metric))
                return true;
    }
    return false;
}

hl_verdict_t
hl_judge_metrics (const hl_judge_metric_t *metrics, size_t n,
                  const char **culprit)
{
    bool improved = false, inconclusive = false, judged = false;
    for (size_t i = 0; i < n; i++) {
        const hl_judge_metric_t *m = &metrics[i];
        if (m->verdict == HL_VERDICT_REGRESSED) {
            if (culprit)
                *culprit = m->name;
            return HL_VERDICT_REGRESSED;
        }
        if (m->guard)
            continue;
        judged |= m->verdict != HL_VERDICT_NONE;
        improved |= m->verdict == HL_VERDICT_IMPROVED;
        inconclusive |= m->verdict == HL_VERDICT_INCONCLUSIVE
                        || m->verdict == HL_VERDICT_NONE;
    }
    if (culprit)
        *culprit = NULL;
    if (improved)
        return HL_VERDICT_IMPROVED;
    if (inconclusive || !judged)
        return HL_VERDICT_INCONCLUSIVE;
    return HL_VERDICT_UNCHANGED;
}

hl_verdict_t
hl_judge_attribute (hl_verdict_t verdict, bool touched, bool concurrent)
{
    if (verdict == HL_VERDICT_NONE || verdict == HL_VERDICT_CONFOUNDED)
        return verdict;
    if (touched)
        return HL_VERDICT_CONFOUNDED;
    if (verdict == HL_VERDICT_REGRESSED && concurrent)
        return HL_VERDICT_CONFOUNDED;
    return verdict;
}
