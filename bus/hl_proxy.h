/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_proxy - the bus: an actor owning the XSUB (bus-in) and XPUB
    (bus-out) sockets, forwarding every valid message and counting what it
    forwards, rejects and drops. It subscribes to everything upstream, so
    publishers always forward, and it checks each message cheaply (two
    frames, topic syntax, envelope signature, topic matching the type);
    full decoding is the subscribers' job. Only the owner speaks as the
    owner: from bus-in it takes the types any publisher may send (metric,
    metrics, see hl_msg_type_public) and refuses the rest as
    HL_ERR_AUTHORITY; the master's own types come in on inproc_in only.
*/
#ifndef HL_PROXY_H
#define HL_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "../proto/hl_err.h"
#include "../proto/hl_limits.h"
#include "hl_sock.h"

typedef struct {
    uint64_t received;  /* messages read from bus-in */
    uint64_t forwarded; /* messages sent on bus-out */
    uint64_t bytes;     /* envelope bytes forwarded */
    uint64_t dropped;   /* valid, dropped at a subscriber's HWM */
    uint64_t rejected;  /* invalid, not forwarded */
    uint64_t rejected_by[HL_ERR_COUNT]; /* rejected, indexed by -hl_err_t;
                                           authority: a master's type from
                                           bus-in */
    uint64_t subscribers;               /* subscriptions now open on bus-out */
    uint64_t intake;         /* messages passed to the owner's intake */
    uint64_t intake_dropped; /* valid, dropped at the intake's HWM */
} hl_proxy_stats_t;

typedef struct _hl_proxy_t hl_proxy_t;

/*  Start the proxy bound to bus_in and bus_out (and to inproc endpoints for
    the owning process). Every message it forwards has passed
    hl_codec_scan with limits (NULL: the defaults), so the owner's intake
    decodes with the same limits without a second scan.
    Returns NULL, with the reason in err, if a bind fails. */
hl_proxy_t *hl_proxy_new (const char *bus_in, const char *bus_out,
                          const hl_sock_opts_t *opts, const hl_limits_t *limits,
                          char *err, size_t errsize);

/*  Stop the actor and close its sockets; accepts NULL, nulls *self_p. */
void hl_proxy_destroy (hl_proxy_t **self_p);

/*  The endpoints actually bound (ephemeral ports resolved), and the
    inproc endpoints a publisher or subscriber in this process connects
    to. inproc_in is the owner's: what arrives there is trusted to be the
    master's, so only the master's own publisher may connect to it.
    Borrowed. */
const char *hl_proxy_bus_in (const hl_proxy_t *self);
const char *hl_proxy_bus_out (const hl_proxy_t *self);
const char *hl_proxy_inproc_in (const hl_proxy_t *self);
const char *hl_proxy_inproc_out (const hl_proxy_t *self);

/*  Copy the current counters into *stats. Returns 0, or -1 if the actor
    does not answer within a second. */
int hl_proxy_stats (hl_proxy_t *self, hl_proxy_stats_t *stats);

/*  The owner's intake: a PAIR socket on which the proxy passes every
    valid message whose topic starts with prefix, as a SUB subscribed to
    prefix on bus-out would get it, but in batches (one multipart message
    of [topic][envelope] pairs per wakeup of the proxy, up to 64 pairs),
    so that the owner pays for one hand-over per batch, not per message.
    Read it with hl_bus_recv_intake. hwm bounds the messages queued (0:
    unbounded); past it a message is dropped and counted in
    intake_dropped. One intake per proxy: returns NULL if one is open, or
    on a bad prefix. Borrowed: destroyed with the proxy. */
zsock_t *hl_proxy_intake (hl_proxy_t *self, const char *prefix, int hwm);

/*  Subscriptions, as seen from the owning thread: a PAIR socket on which
    the actor reports every subscribe and unsubscribe on bus-out (read it
    with hl_proxy_subscriptions_update when it is readable), and whether
    some subscriber wants topic. Publishers in this process use it to
    build only the messages somebody listens to, as a ZeroMQ PUB filters
    at the source; a new subscriber sees what is published after its
    subscription arrived, as with any PUB/SUB. */
zsock_t *hl_proxy_subscriptions (hl_proxy_t *self);
void hl_proxy_subscriptions_update (hl_proxy_t *self);
bool hl_proxy_wanted (hl_proxy_t *self, const char *topic);

#endif
