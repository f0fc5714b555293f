/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_autoscale - the autoscaler's decisions (design §9): per autoscaled
    role, from the wait of its queued tasks sampled on the master's
    clock, whether to grow the role's desired count, shrink it, or say
    that it would but may not (cooldown, at max, unplaced). Pure: time
    is an argument, so tests run it in virtual time; the master feeds
    the samples and carries the decisions out as helios-ctl scale does.
*/
#ifndef HL_AUTOSCALE_H
#define HL_AUTOSCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_value.h"

typedef struct _hl_autoscale_t hl_autoscale_t;

typedef enum {
    HL_AUTOSCALE_NONE,  /* nothing to do or tell */
    HL_AUTOSCALE_UP,    /* grow by step, to max at most */
    HL_AUTOSCALE_DOWN,  /* shrink by step, to min at least */
    HL_AUTOSCALE_CLAMP, /* the count was outside min..max: brought in */
    HL_AUTOSCALE_HELD   /* would move, may not yet: reason says why */
} hl_autoscale_verb_t;

/*  One decision about one role. */
typedef struct {
    int role;                 /* hl_role_id_t */
    hl_autoscale_verb_t verb; /* never NONE when told */
    int from;                 /* the desired count it started from */
    int to;                   /* the one it wants (HELD: == from) */
    int64_t wait_ms;          /* the wait judged (see the .c) */
    int target_ms;            /* the role's target_wait_ms */
    char reason[192];         /* for the audit log and the bus */
} hl_autoscale_decision_t;

/*  An autoscaler for groups (n of them, each role once; copied). */
hl_autoscale_t *hl_autoscale_new (const hl_config_autoscale_t *groups,
                                  size_t n);

/*  Destroy; accepts NULL, nulls *self_p. */
void hl_autoscale_destroy (hl_autoscale_t **self_p);

/*  Whether role is autoscaled. */
bool hl_autoscale_manages (const hl_autoscale_t *self, int role);

/*  One sample of role at now_ms (a clock that never goes back): its
    queued tasks' wait_ms, its desired count (-1: none set) and how many
    of those no node has room for. Returns the verb and fills *out when
    there is something to do or tell (HELD at most once a window), or
    HL_AUTOSCALE_NONE. The caller applies UP, DOWN and CLAMP (out->to). */
hl_autoscale_verb_t hl_autoscale_step (hl_autoscale_t *self, int role,
                                       int64_t now_ms, int64_t wait_ms,
                                       int desired, int unplaced,
                                       hl_autoscale_decision_t *out);

/*  "up", "down", "clamp", "held" or "none". */
const char *hl_autoscale_verb_name (hl_autoscale_verb_t verb);

/*  The status of each autoscaled role at now_ms, a map by role name:
    min, max, step, target_wait_ms, desired, wait_ms (the last sample),
    over_s / under_s (how long the wait has been over or under target),
    and last: {decision, from, to, reason, ago_s} or absent. Caller owns. */
hl_value_t *hl_autoscale_status (const hl_autoscale_t *self, int64_t now_ms);

#endif
