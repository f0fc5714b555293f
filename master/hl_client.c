/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_client - request/reply over a DEALER with a deadline. A reply is
    matched to its request by the envelope's re field, so a late answer to
    an earlier, timed-out request is never taken for the current one.
    Request ids start at a random point per client: the master answers a
    repeated (routing id, request id) with its first answer, and two
    clients that ever shared a routing id must not share ids too.
*/
#include <czmq.h>

#include "../bus/hl_bus.h"
#include "../bus/hl_rand.h"
#include "../bus/hl_sock.h"
#include "../proto/hl_alloc.h"
#include "hl_client.h"

struct _hl_client_t {
    zsock_t *dealer;
    char src[HL_MAX_NAME + 1];
    uint64_t next_id; /* the next request's id */
};

hl_client_t *
hl_client_new (const char *endpoint, const char *src)
{
    zsock_t *dealer = hl_sock_connect (ZMQ_DEALER, endpoint, NULL, NULL);
    if (!dealer)
        return NULL;
    hl_client_t *self = (hl_client_t *)hl_alloc (sizeof (hl_client_t));
    self->dealer = dealer;
    snprintf (self->src, sizeof self->src, "%s", src ? src : "client");
    //  The clock, the pid and this object's address: two clients of one
    //  process made in the same microsecond still differ
    hl_rand_t rng;
    hl_rand_seed (&rng, ((uint64_t)zclock_usecs () ^ ((uint64_t)getpid () << 40)
                         ^ (uint64_t)(uintptr_t)self)
                            | 1);
    //  Below 2^62: ids never wrap, and 0 (no id) never comes
    self->next_id = (hl_rand_next (&rng) >> 2) + 1;
    return self;
}

void
hl_client_destroy (hl_client_t **self_p)
{
    assert (self_p);
    hl_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->dealer);
    free (self);
    *self_p = NULL;
}

uint64_t
hl_client_send (hl_client_t *self, const char *op, hl_value_t **args_p)
{
    hl_msg_t *request = hl_msg_new (HL_MSG_REQUEST);
    uint64_t id = self->next_id++;
    hl_msg_set_id (request, id);
    hl_msg_set_src (request, self->src);
    hl_msg_set_op (request, op);
    if (args_p && *args_p)
        hl_msg_set_args (request, args_p);
    /*  A DEALER with no connection yet queues the message, so a send
        failure means the request itself is unacceptable, or the HWM. */
    return hl_bus_send (self->dealer, &request) ? 0 : id;
}

int
hl_client_recv (hl_client_t *self, int timeout_ms, hl_msg_t **reply_p)
{
    *reply_p = NULL;
    /*  A reply already queued needs no poll (a system call per reply
        when a client keeps many requests in flight). */
    int rc = hl_bus_recv (self->dealer, NULL, reply_p, NULL);
    if (rc != HL_ERR_IO)
        return rc;
    zmq_pollitem_t item = { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms > 0 ? timeout_ms : 0) <= 0)
        return HL_ERR_TIMEOUT;
    return hl_bus_recv (self->dealer, NULL, reply_p, NULL);
}

int
hl_client_request (hl_client_t *self, const char *op, hl_value_t **args_p,
                   int timeout_ms, hl_msg_t **reply_p)
{
    *reply_p = NULL;
    uint64_t id = hl_client_send (self, op, args_p);
    if (!id)
        return HL_ERR_IO;
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return HL_ERR_TIMEOUT;
        hl_msg_t *msg = NULL;
        int rc = hl_client_recv (self, (int)left, &msg);
        if (rc)
            return rc;
        if (hl_msg_type (msg) == HL_MSG_REPLY && hl_msg_re (msg) == id) {
            *reply_p = msg;
            return 0;
        }
        hl_msg_destroy (&msg); /* an answer to an earlier request */
    }
}
