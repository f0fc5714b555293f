/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_bus - moving hl_msg_t over ZeroMQ sockets: the frame layout of each
    socket type (ROUTER: [routing id][envelope]; DEALER: [envelope];
    PUB/XPUB/SUB: [topic][envelope]), frame count and size checks before
    decoding, and ownership on every path.
*/
#ifndef HL_BUS_H
#define HL_BUS_H

#include <czmq.h>

#include "../proto/hl_msg.h"

/*  Encode and send *msg_p on sock, framed for the socket's type (ROUTER
    uses the message's routing id). Destroys the message and nulls *msg_p
    on every path. Returns 0, or a negative hl_err_t: HL_ERR_ARGS (no
    routing id for a ROUTER, no topic for a publisher), an encode error, or
    HL_ERR_IO when ZeroMQ refuses the message (peer gone, HWM). Never
    blocks: a full pipe is HL_ERR_IO. */
int hl_bus_send (zsock_t *sock, hl_msg_t **msg_p);

/*  hl_bus_send that waits up to timeout_ms for room when the queue is
    full (a publisher keeping pace with the bus instead of counting and
    retrying); the message is encoded once. HL_ERR_IO if there is still
    no room. The caller's loop is blocked meanwhile: not for reactors. */
int hl_bus_send_wait (zsock_t *sock, hl_msg_t **msg_p, int timeout_ms);

/*  A count of bytes handed to libzmq and not yet let go of by it: a
    message leaves it once libzmq has written it to the kernel, or has
    dropped it (peer gone, send refused). libzmq lets go on its own
    threads, so the count is atomic; the tally lives until its owner has
    destroyed it and no message counted in it is left. */
typedef struct _hl_bus_tally_t hl_bus_tally_t;

hl_bus_tally_t *hl_bus_tally_new (void);

/*  Drop the owner's hold; nulls *self_p. */
void hl_bus_tally_destroy (hl_bus_tally_t **self_p);

/*  Bytes counted now. */
size_t hl_bus_tally_bytes (const hl_bus_tally_t *self);

/*  hl_bus_send that counts the encoded message in each tally given (up
    to two, NULL skipped) until libzmq lets go of it. *size_p (may be
    NULL) gets the bytes counted. */
int hl_bus_send_tally (zsock_t *sock, hl_msg_t **msg_p, hl_bus_tally_t *a,
                       hl_bus_tally_t *b, size_t *size_p);

/*  Receive one whole ZeroMQ message from sock, without waiting for one
    (HL_ERR_IO and no peer frame when none is there: drain until then),
    and decode it with limits
    (NULL: defaults). On success returns 0 and *msg_p gets the message (a
    ROUTER's routing id attached; a bus topic checked against the type).
    On failure the ZeroMQ message is consumed, *msg_p is NULL and a
    negative hl_err_t comes back (HL_ERR_FRAMES, a decode error,
    HL_ERR_TOPIC, HL_ERR_IO if nothing could be read). If peer_p is given
    and sock is a ROUTER, *peer_p gets the routing id frame even on a
    decode failure, so the caller can answer; the caller destroys it. */
int hl_bus_recv (zsock_t *sock, const hl_limits_t *limits, hl_msg_t **msg_p,
                 zframe_t **peer_p);

/*  hl_bus_recv that, when a ROUTER's message fails, also puts the
    peer's address (ZeroMQ's "Peer-Address", "" if none) into addr. */
int hl_bus_recv_from (zsock_t *sock, const hl_limits_t *limits,
                      hl_msg_t **msg_p, zframe_t **peer_p, char *addr,
                      size_t addrsize);

/*  Send size bytes of data, an envelope encoded before, to peer rid of
    ROUTER sock; the data is copied. Never blocks. 0, HL_ERR_ARGS, or
    HL_ERR_IO when ZeroMQ refuses it (peer gone, HWM). */
int hl_bus_send_bytes (zsock_t *sock, const void *rid, size_t rid_len,
                       const void *data, size_t size);

/*  hl_bus_send_bytes counted in each tally given (up to two, NULL
    skipped) until libzmq lets go of it, as hl_bus_send_tally. */
int hl_bus_send_bytes_tally (zsock_t *sock, const void *rid, size_t rid_len,
                             const void *data, size_t size, hl_bus_tally_t *a,
                             hl_bus_tally_t *b);

/*  The next message from this process's proxy intake (hl_proxy_intake).
    The proxy scanned every message it passes with the limits it was
    started with, so the scan is not repeated here.
    Reads one [topic][envelope] pair of a batch; returns as hl_bus_recv. */
int hl_bus_recv_intake (zsock_t *sock, hl_msg_t **msg_p);

#endif
