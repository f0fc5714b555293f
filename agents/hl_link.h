/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_link - an agent's link to the master's tasks socket, the client
    side of the Paranoid Pirate pattern: the DEALER, hello until welcome
    with jittered exponential backoff, heartbeats both ways, and a fresh
    socket and hello when the master goes silent or no longer knows us.
    Runs on its owner's zloop with a timer of its own; task and cancel
    messages go to the owner.
*/
#ifndef HL_LINK_H
#define HL_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <czmq.h>

#include "../bus/hl_config.h"
#include "../proto/hl_msg.h"

typedef struct _hl_link_t hl_link_t;

typedef struct {
    const char *endpoint;             /* the master's tasks socket */
    const char *name;                 /* our envelope src */
    const hl_config_limits_t *limits; /* socket options, decode limits */
    int backoff_min_ms;               /* first hello retry, > 0 */
    int backoff_max_ms;               /* longest retry, >= min */
    /*  A task or cancel message from the master; takes *msg_p. */
    void (*on_message) (void *arg, hl_msg_t **msg_p);
    /*  A new hello message, each time one is sent. */
    hl_msg_t *(*hello) (void *arg);
    /*  The tasks running now, for heartbeats. */
    uint32_t (*inflight) (void *arg);
    /*  Optional (helios-node): a map for each heartbeat's data, new, or
        NULL for none; and the data of a heartbeat from the master. */
    hl_value_t *(*beat) (void *arg);
    void (*on_beat) (void *arg, const hl_value_t *data);
    void *arg; /* given to the callbacks */
} hl_link_opts_t;

/*  Counters, for the agent's stats. */
typedef struct {
    uint64_t received;    /* valid messages from the master */
    uint64_t dropped;     /* invalid or unexpected messages dropped */
    uint64_t sent;        /* messages sent */
    uint64_t send_failed; /* messages ZeroMQ refused (HWM, no peer) */
    uint64_t hellos;      /* hellos sent */
    uint64_t connects;    /* DEALER sockets created */
    uint64_t welcomes;    /* welcomes received */
    bool ready;           /* welcomed and not presumed dead */
} hl_link_stats_t;

/*  A link on loop (borrowed; it must outlive the link); nothing is sent
    or connected before start. Returns NULL for bad options or an
    endpoint ZeroMQ cannot connect to. */
hl_link_t *hl_link_new (zloop_t *loop, const hl_link_opts_t *opts);

/*  Destroy: the timer, the reader, the socket; accepts NULL and nulls
 *self_p. */
void hl_link_destroy (hl_link_t **self_p);

/*  Connect and say hello. Returns 0, or -1 if no socket could be made. */
int hl_link_start (hl_link_t *self);

/*  Send msg (taken and nulled) to the master with our name as src.
    Returns 0, or -1 if ZeroMQ refused it or there is no socket. */
int hl_link_send (hl_link_t *self, hl_msg_t **msg_p);

/*  No more hellos or heartbeats of our own (after bye); what comes from
    the master is still read. */
void hl_link_stop (hl_link_t *self);

/*  Close the socket, giving what is queued linger_ms to leave. */
void hl_link_close (hl_link_t *self, int linger_ms);

void hl_link_stats (const hl_link_t *self, hl_link_stats_t *stats);

#endif
