/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_restart - the restart times of one slot in a ring, and the
    exponent of its backoff.
*/
#include <czmq.h>

#include "../bus/hl_rand.h"
#include "../proto/hl_alloc.h"
#include "hl_restart.h"

struct _hl_restart_t {
    hl_restart_opts_t opts;
    int64_t ring[HL_RESTART_RING]; /* restart times, oldest overwritten */
    int ring_n;                    /* how many are in it */
    int ring_at;                   /* where the next goes */
    int doublings;                 /* of the backoff since min */
    hl_rand_t rand;
};

hl_restart_t *
hl_restart_new (const hl_restart_opts_t *opts)
{
    if (!opts || opts->backoff_min_ms <= 0
        || opts->backoff_max_ms < opts->backoff_min_ms || opts->window_s <= 0
        || opts->max_restarts < 0 || opts->max_restarts > HL_RESTART_RING)
        return NULL;
    hl_restart_t *self = (hl_restart_t *)hl_alloc (sizeof *self);
    self->opts = *opts;
    hl_rand_seed (&self->rand, opts->seed);
    return self;
}

void
hl_restart_destroy (hl_restart_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

int
hl_restart_recent (const hl_restart_t *self, int64_t now_ms)
{
    int64_t since = now_ms - (int64_t)self->opts.window_s * 1000;
    int n = 0;
    for (int i = 0; i < self->ring_n; i++)
        if (self->ring[i] > since)
            n++;
    return n;
}

void
hl_restart_reset (hl_restart_t *self)
{
    self->ring_n = self->ring_at = self->doublings = 0;
}

int64_t
hl_restart_exited (hl_restart_t *self, int64_t started_ms, int64_t now_ms)
{
    //  A long life was no crash loop: the next death starts from min
    if (now_ms - started_ms >= (int64_t)self->opts.window_s * 1000)
        self->doublings = 0;
    if (self->opts.max_restarts
        && hl_restart_recent (self, now_ms) >= self->opts.max_restarts)
        return -1;
    self->ring[self->ring_at] = now_ms;
    self->ring_at = (self->ring_at + 1) % HL_RESTART_RING;
    if (self->ring_n < HL_RESTART_RING)
        self->ring_n++;
    int64_t delay = self->opts.backoff_min_ms;
    for (int i = 0; i < self->doublings && delay < self->opts.backoff_max_ms;
         i++)
        delay *= 2;
    if (delay > self->opts.backoff_max_ms)
        delay = self->opts.backoff_max_ms;
    else
        self->doublings++;
    //  +-25%, so that agents that died together do not come back together
    double jitter = 0.75 + 0.5 * hl_rand_uniform (&self->rand);
    delay = (int64_t)((double)delay * jitter);
    return delay > 0 ? delay : 1;
}
