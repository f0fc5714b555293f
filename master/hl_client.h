/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_client - a control-API client: one DEALER to the master's control
    socket, request in, reply out, with a deadline. Used by helios-ctl and
    by tests.
*/
#ifndef HL_CLIENT_H
#define HL_CLIENT_H

#include "../proto/hl_msg.h"

typedef struct _hl_client_t hl_client_t;

/*  Connect to endpoint; src names this client in envelopes. NULL on a bad
    endpoint. */
hl_client_t *hl_client_new (const char *endpoint, const char *src);

void hl_client_destroy (hl_client_t **self_p);

/*  Send request op with *args_p (may be NULL; ownership taken, nulled) and
    wait up to timeout_ms for its reply. Returns 0 with *reply_p the reply
    (caller owns; check hl_msg_ok), or HL_ERR_TIMEOUT, HL_ERR_IO, or a
    decode error. Replies to other requests are discarded. */
int hl_client_request (hl_client_t *self, const char *op, hl_value_t **args_p,
                       int timeout_ms, hl_msg_t **reply_p);

/*  Pipelining: send a request without waiting. Takes *args_p. Returns
    the request's envelope id (replies carry it in re), or 0 if the
    request could not be queued. */
uint64_t hl_client_send (hl_client_t *self, const char *op,
                         hl_value_t **args_p);

/*  Wait up to timeout_ms for the next reply of any request. Returns 0
    with *reply_p (caller owns), or HL_ERR_TIMEOUT, or a decode error. */
int hl_client_recv (hl_client_t *self, int timeout_ms, hl_msg_t **reply_p);

#endif
