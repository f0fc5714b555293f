/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_autoscale - the rules, per role, on each sample of its wait:

    - out of min..max (or no count set and min > 0): brought in at once,
      as the Kubernetes HPA does with a replica count it did not choose;
    - over target at every sample for window_s: grow by step, unless at
      max, the last growth is not placed yet (no node has room: more
      would not help), or the last growth was less than up_cooldown_s
      ago;
    - at or under target (an empty queue waits 0) at every sample for
      stabilisation_s: shrink by step, unless at min or the last shrink
      was less than down_cooldown_s ago. One step, then the cooldown: a
      role comes down gently, while it went up at the window's pace.

    "Every sample" makes a wait that crosses the target back and forth
    faster than the windows move nothing: each crossing starts the
    other side's run again. The wait a decision names is the run's
    lowest (up: it waited at least this all along) or highest (down:
    at most this all along).
*/
#include <stdio.h>
#include <string.h>

#include "../proto/hl_alloc.h"
#include "../proto/hl_names.h"
#include "hl_autoscale.h"

typedef struct {
    hl_config_autoscale_t cfg;
    bool on;             /* autoscaled */
    bool sampled;        /* a sample came */
    int desired;         /* the last sample's count (none set: 0) */
    int64_t wait_ms;     /* the last sample's wait */
    int64_t over_since;  /* over target since, or -1 */
    int64_t over_low;    /* the lowest wait since */
    int64_t under_since; /* at or under target since, or -1 */
    int64_t under_high;  /* the highest wait since */
    int64_t up_ms;       /* the last growth, or -1 */
    int64_t down_ms;     /* the last shrink, or -1 */
    int64_t held_ms;     /* the last HELD told, or -1 */
    bool has_last;
    int64_t last_ms; /* when the last decision was told */
    hl_autoscale_decision_t last;
} s_role_t;

struct _hl_autoscale_t {
    s_role_t roles[HL_ROLE_COUNT];
};

hl_autoscale_t *
hl_autoscale_new (const hl_config_autoscale_t *groups, size_t n)
{
    hl_autoscale_t *self = (hl_autoscale_t *)hl_alloc (sizeof *self);
    for (size_t i = 0; i < n; i++) {
        int r = groups[i].role;
        if (r < 0 || r >= HL_ROLE_COUNT || self->roles[r].on)
            continue; /* hl_config lets neither through */
        s_role_t *s = &self->roles[r];
        s->cfg = groups[i];
        s->on = true;
        s->over_since = s->under_since = -1;
        s->up_ms = s->down_ms = s->held_ms = -1;
    }
    return self;
}

void
hl_autoscale_destroy (hl_autoscale_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

bool
hl_autoscale_manages (const hl_autoscale_t *self, int role)
{
    return role >= 0 && role < HL_ROLE_COUNT && self->roles[role].on;
}

const char *
hl_autoscale_verb_name (hl_autoscale_verb_t verb)
{
    static const char *names[] = { "none", "up", "down", "clamp", "held" };
    return (unsigned)verb < 5 ? names[verb] : "none";
}

/*  A HELD is told at most once a window: a role held at max for an hour
    says so, but not every second. */
static hl_autoscale_verb_t
s_held (s_role_t *s, int64_t now_ms, hl_autoscale_decision_t *out,
        const char *why)
{
    if (s->held_ms >= 0 && now_ms - s->held_ms < s->cfg.window_s * 1000LL)
        return HL_AUTOSCALE_NONE;
    s->held_ms = now_ms;
    out->verb = HL_AUTOSCALE_HELD;
    size_t len = strlen (out->reason);
    snprintf (out->reason + len, sizeof out->reason - len, "; held: %s", why);
    return HL_AUTOSCALE_HELD;
}

static void
s_tell (s_role_t *s, int64_t now_ms, const hl_autoscale_decision_t *out)
{
    s->has_last = true;
    s->last_ms = now_ms;
    s->last = *out;
}

/*  The rules (file header); out is filled as far as they go. */
static hl_autoscale_verb_t
s_decide (s_role_t *s, int64_t now_ms, int desired, int unplaced,
          hl_autoscale_decision_t *out)
{
    const hl_config_autoscale_t *c = &s->cfg;
    int cur = out->from;
    if ((desired < 0 && c->min > 0) || cur < c->min || cur > c->max) {
        out->verb = HL_AUTOSCALE_CLAMP;
        out->to = cur < c->min ? c->min : cur > c->max ? c->max : cur;
        snprintf (out->reason, sizeof out->reason,
                  desired < 0 ? "no count set: starts at min %d"
                              : "count %d outside %d..%d",
                  desired < 0 ? c->min : cur, c->min, c->max);
        return HL_AUTOSCALE_CLAMP;
    }
    if (s->over_since >= 0 && now_ms - s->over_since >= c->window_s * 1000LL) {
        out->wait_ms = s->over_low;
        snprintf (out->reason, sizeof out->reason,
                  "queued tasks waited over %lld ms (target %d ms) for "
                  "%lld s",
                  (long long)s->over_low, c->target_wait_ms,
                  (long long)((now_ms - s->over_since) / 1000));
        char why[96];
        if (cur >= c->max) {
            snprintf (why, sizeof why, "at max %d", c->max);
            return s_held (s, now_ms, out, why);
        }
        if (unplaced > 0) {
            snprintf (why, sizeof why, "%d agents have no node with room",
                      unplaced);
            return s_held (s, now_ms, out, why);
        }
        if (s->up_ms >= 0 && now_ms - s->up_ms < c->up_cooldown_s * 1000LL) {
            snprintf (why, sizeof why, "up cooldown, %lld s left",
                      (long long)((c->up_cooldown_s * 1000LL - now_ms + s->up_ms
                                   + 999)
                                  / 1000));
            return s_held (s, now_ms, out, why);
        }
        out->verb = HL_AUTOSCALE_UP;
        out->to = cur + c->step > c->max ? c->max : cur + c->step;
        s->up_ms = now_ms;
        return HL_AUTOSCALE_UP;
    }
    if (s->under_since >= 0 && cur > c->min
        && now_ms - s->under_since >= c->stabilisation_s * 1000LL) {
        out->wait_ms = s->under_high;
        snprintf (out->reason, sizeof out->reason,
                  "queued tasks waited at most %lld ms (target %d ms) for "
                  "%lld s",
                  (long long)s->under_high, c->target_wait_ms,
                  (long long)((now_ms - s->under_since) / 1000));
        if (s->down_ms >= 0
            && now_ms - s->down_ms < c->down_cooldown_s * 1000LL) {
            char why[64];
            snprintf (why, sizeof why, "down cooldown, %lld s left",
                      (long long)((c->down_cooldown_s * 1000LL - now_ms
                                   + s->down_ms + 999)
                                  / 1000));
            return s_held (s, now_ms, out, why);
        }
        out->verb = HL_AUTOSCALE_DOWN;
        out->to = cur - c->step < c->min ? c->min : cur - c->step;
        s->down_ms = now_ms;
        return HL_AUTOSCALE_DOWN;
    }
    return HL_AUTOSCALE_NONE;
}

hl_autoscale_verb_t
hl_autoscale_step (hl_autoscale_t *self, int role, int64_t now_ms,
                   int64_t wait_ms, int desired, int unplaced,
                   hl_autoscale_decision_t *out)
{
    memset (out, 0, sizeof *out);
    if (!hl_autoscale_manages (self, role))
        return HL_AUTOSCALE_NONE;
    s_role_t *s = &self->roles[role];
    if (wait_ms < 0)
        wait_ms = 0;
    s->sampled = true;
    s->wait_ms = wait_ms;
    s->desired = desired < 0 ? 0 : desired;
    if (wait_ms > s->cfg.target_wait_ms) {
        s->under_since = -1;
        if (s->over_since < 0) {
            s->over_since = now_ms;
            s->over_low = wait_ms;
        } else if (wait_ms < s->over_low)
            s->over_low = wait_ms;
    } else {
        s->over_since = -1;
        if (s->under_since < 0) {
            s->under_since = now_ms;
            s->under_high = wait_ms;
        } else if (wait_ms > s->under_high)
            s->under_high = wait_ms;
    }
    out->role = role;
    out->from = out->to = s->desired;
    out->wait_ms = wait_ms;
    out->target_ms = s->cfg.target_wait_ms;
    hl_autoscale_verb_t verb = s_decide (s, now_ms, desired, unplaced, out);
    if (verb != HL_AUTOSCALE_NONE)
        s_tell (s, now_ms, out);
    s->desired = out->to; /* as the caller applies it */
    return verb;
}

hl_value_t *
hl_autoscale_status (const hl_autoscale_t *self, int64_t now_ms)
{
    hl_value_t *map = hl_value_new_map ();
    for (int r = 0; r < HL_ROLE_COUNT; r++) {
        const s_role_t *s = &self->roles[r];
        if (!s->on)
            continue;
        hl_value_t *v = hl_value_new_map ();
        hl_value_set_int (v, "min", s->cfg.min);
        hl_value_set_int (v, "max", s->cfg.max);
        hl_value_set_int (v, "step", s->cfg.step);
        hl_value_set_int (v, "target_wait_ms", s->cfg.target_wait_ms);
        hl_value_set_int (v, "window_s", s->cfg.window_s);
        hl_value_set_int (v, "stabilisation_s", s->cfg.stabilisation_s);
        if (s->sampled) {
            hl_value_set_int (v, "desired", s->desired);
            hl_value_set_int (v, "wait_ms", s->wait_ms);
            if (s->over_since >= 0)
                hl_value_set_int (v, "over_s", (now_ms - s->over_since) / 1000);
            if (s->under_since >= 0)
                hl_value_set_int (v, "under_s",
                                  (now_ms - s->under_since) / 1000);
        }
        if (s->has_last) {
            hl_value_t *l = hl_value_new_map ();
            hl_value_set_str (l, "decision",
                              hl_autoscale_verb_name (s->last.verb));
            hl_value_set_int (l, "from", s->last.from);
            hl_value_set_int (l, "to", s->last.to);
            hl_value_set_int (l, "wait_ms", s->last.wait_ms);
            hl_value_set_str (l, "reason", s->last.reason);
            hl_value_set_int (l, "ago_s", (now_ms - s->last_ms) / 1000);
            hl_value_set (v, "last", &l);
        }
        hl_value_set (map, hl_role_name ((hl_role_id_t)r), &v);
    }
    return map;
}
