/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_outbox - the control socket's replies that clients have not read
    yet, counted in bytes per client and in all (hl_bus tallies), so that
    a client that never reads cannot grow the master: past its budget, or
    past the total, it is sent nothing more until it reads.
*/
#ifndef HL_OUTBOX_H
#define HL_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>

#include "../proto/hl_msg.h"

typedef struct _hl_outbox_t hl_outbox_t;

/*  Figures for status. */
typedef struct {
    size_t bytes;     /* unread, all clients */
    size_t clients;   /* clients with replies unread */
    uint64_t sent;    /* replies sent */
    uint64_t refused; /* requests or replies a full budget dropped */
    uint64_t too_big; /* replies answered too_big instead */
} hl_outbox_stats_t;

/*  An outbox for sock (a ROUTER, borrowed) with a budget of per_client
    unread bytes for each client and total for all of them. */
hl_outbox_t *hl_outbox_new (zsock_t *sock, size_t per_client, size_t total);
void hl_outbox_destroy (hl_outbox_t **self_p);

/*  Whether the client of routing id rid may be sent a reply now: its
    unread bytes are under its budget, and everyone's under the total.
    false counts a refusal, and sets *first_p (may be NULL) when it is the
    first since the client last had nothing unread: log it once. */
bool hl_outbox_room (hl_outbox_t *self, const uint8_t *rid, size_t rid_len,
                     bool *first_p);

/*  Send *reply_p (its routing id set) counting its bytes against its
    client and the total; as hl_bus_send. */
int hl_outbox_send (hl_outbox_t *self, hl_msg_t **reply_p);

/*  Send size bytes of a reply encoded before to the client of routing id
    rid, counted as hl_outbox_send counts; as hl_bus_send_bytes. */
int hl_outbox_send_bytes (hl_outbox_t *self, const uint8_t *rid, size_t rid_len,
                          const uint8_t *data, size_t size);

/*  Count a reply answered too_big instead of its data. */
void hl_outbox_too_big (hl_outbox_t *self);

/*  Forget the clients with nothing unread (call it now and then). */
void hl_outbox_sweep (hl_outbox_t *self);

hl_outbox_stats_t hl_outbox_stats (hl_outbox_t *self);

#endif
