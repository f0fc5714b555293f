/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_restart - when helios-node restarts one slot's crashed agent, as
    OTP supervisors and circusd do: a delay that doubles from min to max
    (with +-25% jitter) while the agent keeps dying young, and an
    intensity limit: more than max_restarts restarts within window_s
    and the node gives up on the slot (0: never). Pure arithmetic on the
    caller's clock, so that tests drive it without waiting.
*/
#ifndef HL_RESTART_H
#define HL_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#define HL_RESTART_RING 64 /* restarts remembered; max_restarts caps here */

typedef struct {
    int backoff_min_ms; /* first delay, > 0 */
    int backoff_max_ms; /* longest delay, >= min */
    int max_restarts;   /* in window_s, then give up; 0: never */
    int window_s;       /* > 0 */
    uint64_t seed;      /* jitter's; 0: from the clock */
} hl_restart_opts_t;

typedef struct _hl_restart_t hl_restart_t;

/*  NULL for bad options (min <= 0, max < min, window <= 0, max_restarts
    < 0 or past HL_RESTART_RING). */
hl_restart_t *hl_restart_new (const hl_restart_opts_t *opts);
void hl_restart_destroy (hl_restart_t **self_p);

/*  The agent started at started_ms died at now_ms: the delay in ms
    before it is started again, or -1 to give up (the restarts in the
    last window_s reached max_restarts). An agent that lived at least
    window_s starts the backoff again from min. A restart is counted
    when it is asked for here. */
int64_t hl_restart_exited (hl_restart_t *self, int64_t started_ms,
                           int64_t now_ms);

/*  Restarts counted in the window ending at now_ms. */
int hl_restart_recent (const hl_restart_t *self, int64_t now_ms);

/*  Start afresh: no restarts counted, the backoff at min. */
void hl_restart_reset (hl_restart_t *self);

#endif
