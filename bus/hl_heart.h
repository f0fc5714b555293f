/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_heart - heartbeat and liveness bookkeeping for one peer, as in the
    Paranoid Pirate pattern: when we owe the peer a beat, and when the
    peer has been silent for liveness intervals. Pure arithmetic on a
    millisecond clock the caller supplies, so it is testable.
*/
#ifndef HL_HEART_H
#define HL_HEART_H

#include <stdbool.h>
#include <stdint.h>

typedef struct _hl_heart_t hl_heart_t;

/*  interval_ms > 0, liveness >= 1; NULL otherwise. now_ms starts both
    clocks (the peer counts as just heard from). */
hl_heart_t *hl_heart_new (int64_t interval_ms, int liveness, int64_t now_ms);
void hl_heart_destroy (hl_heart_t **self_p);

/*  A new beat period, the liveness kept (the master lengthens it as a
    swarm grows). Returns 0, or -1 if interval_ms is out of range. */
int hl_heart_set_interval (hl_heart_t *self, int64_t interval_ms);

/*  The beat period now. */
int64_t hl_heart_interval (const hl_heart_t *self);

/*  The peer sent us something at now_ms. */
void hl_heart_heard (hl_heart_t *self, int64_t now_ms);

/*  We sent the peer something at now_ms (any message counts as a beat). */
void hl_heart_sent (hl_heart_t *self, int64_t now_ms);

/*  True once interval_ms has passed since we last sent. */
bool hl_heart_due (const hl_heart_t *self, int64_t now_ms);

/*  True once half of interval_ms has passed since we last sent: the
    peer's heartbeat is then worth answering at once, so that a swarm's
    beats reach the master together, in the wake of its own, instead of
    one wakeup each. */
bool hl_heart_answer (const hl_heart_t *self, int64_t now_ms);

/*  True once interval_ms * liveness has passed since we last heard. */
bool hl_heart_expired (const hl_heart_t *self, int64_t now_ms);

/*  Milliseconds until the next of due or expired (0 if already). */
int64_t hl_heart_next (const hl_heart_t *self, int64_t now_ms);

/*  Milliseconds since we last heard from the peer. */
int64_t hl_heart_silence (const hl_heart_t *self, int64_t now_ms);

/*  Monotonic clock in milliseconds. */
int64_t hl_heart_clock (void);

#endif
