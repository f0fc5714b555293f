/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_hub - the HTTP server's view of the bus: an actor that subscribes
    to the master's events (health, cycle.*, agent.*, alert.*; task.*
    while somebody listens), renders each once as a server-sent event and
    fans it out to the /api/events streams over an inproc XPUB, numbered,
    so that a stream that fell behind sees a gap. It also keeps the last
    minutes of health for /api/history, and calls a tick function on its
    thread four times a second.
*/
#ifndef HL_HUB_H
#define HL_HUB_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "../bus/hl_config.h"

typedef struct _hl_hub_t hl_hub_t;

/*  Called on the hub's thread every HL_HUB_TICK_MS. */
typedef void (hl_hub_tick_fn) (void *arg);

#define HL_HUB_TICK_MS 250
#define HL_HUB_HISTORY 600     /* health points kept: ten minutes */
#define HL_HUB_EVENT_MAX 65536 /* bytes of one rendered event */
#define HL_HUB_CLIENT_HWM 128  /* events queued for one stream, each side */

/*  Start the hub on bus_out (a SUB connects there; config borrowed, for
    the metrics the history keeps). tick may be NULL. NULL with the
    reason in err if the actor cannot start. */
hl_hub_t *hl_hub_new (const hl_config_t *config, const char *bus_out,
                      hl_hub_tick_fn *tick, void *arg, char *err,
                      size_t errsize);

/*  Stop the actor; accepts NULL, nulls *self_p. Every stream's socket
    must be gone first. */
void hl_hub_destroy (hl_hub_t **self_p);

/*  A new stream: a SUB on the hub's events, owned by the caller (one
    thread at a time). NULL if it cannot connect. */
zsock_t *hl_hub_subscribe (hl_hub_t *self);

/*  The next event of a stream within timeout_ms: 1 with *seq and the
    event's text (a whole "id: ...\nevent: ...\ndata: ...\n\n" block) in
    *text_p (caller frees) and its length in *len, 0 when none came. */
int hl_hub_next (zsock_t *stream, int timeout_ms, uint64_t *seq, char **text_p,
                 size_t *len);

/*  The health history as JSON (caller frees): {"ts": [ms...], "score":
    [...], "categories": {name: [...]}, "metrics": {name: {"value":
    [...], "score": [...]}}}, oldest first, null where there was none;
    NULL if the hub does not answer within timeout_ms. Any thread. */
char *hl_hub_history (hl_hub_t *self, int timeout_ms);

/*  Counters, readable from any thread. */
typedef struct {
    uint64_t events;    /* rendered and sent to the streams */
    uint64_t truncated; /* of which cut to a stub: over HL_HUB_EVENT_MAX */
    uint64_t rejected;  /* bus messages that did not decode */
    bool tasks;         /* task.* subscribed: a stream is open */
} hl_hub_stats_t;
void hl_hub_stats (hl_hub_t *self, hl_hub_stats_t *stats);

#endif
