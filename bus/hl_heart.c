/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_heart - heartbeat bookkeeping for one peer: the time we last sent
    and last heard, and the arithmetic on them. Owns no socket and no
    clock; the caller passes now_ms from hl_heart_clock() or a test.
*/
#include "hl_heart.h"
#include "../proto/hl_alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <time.h>

struct _hl_heart_t {
    int64_t interval_ms; // beat period, > 0
    int liveness;        // silent intervals before expiry, >= 1
    int64_t timeout_ms;  // interval_ms * liveness, no overflow
    int64_t last_sent;   // when we last sent the peer anything
    int64_t last_heard;  // when the peer last sent us anything
};

hl_heart_t *
hl_heart_new (int64_t interval_ms, int liveness, int64_t now_ms)
{
    //  The product must fit, or expiry arithmetic would wrap
    if (interval_ms <= 0 || liveness < 1
        || interval_ms > INT64_MAX / 2 / liveness)
        return NULL;
    hl_heart_t *self = hl_alloc (sizeof *self);
    self->interval_ms = interval_ms;
    self->liveness = liveness;
    self->timeout_ms = interval_ms * liveness;
    self->last_sent = now_ms;
    self->last_heard = now_ms;
    return self;
}

int
hl_heart_set_interval (hl_heart_t *self, int64_t interval_ms)
{
    if (interval_ms <= 0 || interval_ms > INT64_MAX / 2 / self->liveness)
        return -1;
    self->interval_ms = interval_ms;
    self->timeout_ms = interval_ms * self->liveness;
    return 0;
}

int64_t
hl_heart_interval (const hl_heart_t *self)
{
    return self->interval_ms;
}

void
hl_heart_destroy (hl_heart_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

void
hl_heart_heard (hl_heart_t *self, int64_t now_ms)
{
    assert (self);
    self->last_heard = now_ms;
}

void
hl_heart_sent (hl_heart_t *self, int64_t now_ms)
{
    assert (self);
    self->last_sent = now_ms;
}

//  Time left until since + span, 0 if already reached. A clock that went
//  backwards (now before since) only makes the wait longer, never wraps.
static int64_t
s_left (int64_t since, int64_t span, int64_t now_ms)
{
    int64_t elapsed = now_ms - since;
    if (elapsed < 0)
        elapsed = 0;
    return elapsed >= span ? 0 : span - elapsed;
}

bool
hl_heart_due (const hl_heart_t *self, int64_t now_ms)
{
    assert (self);
    return s_left (self->last_sent, self->interval_ms, now_ms) == 0;
}

bool
hl_heart_answer (const hl_heart_t *self, int64_t now_ms)
{
    assert (self);
    return s_left (self->last_sent, self->interval_ms / 2, now_ms) == 0;
}

bool
hl_heart_expired (const hl_heart_t *self, int64_t now_ms)
{
    assert (self);
    return s_left (self->last_heard, self->timeout_ms, now_ms) == 0;
}

int64_t
hl_heart_next (const hl_heart_t *self, int64_t now_ms)
{
    assert (self);
    int64_t beat = s_left (self->last_sent, self->interval_ms, now_ms);
    int64_t expiry = s_left (self->last_heard, self->timeout_ms, now_ms);
    return beat < expiry ? beat : expiry;
}

int64_t
hl_heart_silence (const hl_heart_t *self, int64_t now_ms)
{
    assert (self);
    int64_t silence = now_ms - self->last_heard;
    return silence > 0 ? silence : 0;
}

int64_t
hl_heart_clock (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
