/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    demo_service - helios-demo's running service: one zloop that publishes
    a metrics batch of the model's 12 KPIs at the configured rate on the
    bus and answers set/get/incident requests on its control ROUTER; and
    the one-shot client those requests come from.
*/
#ifndef DEMO_SERVICE_H
#define DEMO_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"

typedef struct {
    const char *control; /* ROUTER bind endpoint */
    const char *bus_in;  /* where the publisher connects */
    int rate;            /* batches per second, 1..1000 */
    uint64_t seed;       /* model seed, 0 = from the clock */
    hl_sock_opts_t opts; /* socket limits */
    hl_limits_t limits;  /* decode limits for requests */
} demo_service_args_t;

typedef struct _demo_service_t demo_service_t;

/*  Bind the control socket and connect the publisher; the bus need not be
    up yet (the publisher reconnects until it is). Returns NULL with the
    reason in err on bad arguments or a failed bind. Strings in args are
    copied. The caller owns the result. */
demo_service_t *demo_service_new (const demo_service_args_t *args, char *err,
                                  size_t errsize);

void demo_service_destroy (demo_service_t **self_p);

/*  The control endpoint actually bound (an ephemeral port resolved).
    Borrowed. */
const char *demo_service_endpoint (const demo_service_t *self);

/*  Run until SIGINT or SIGTERM. Returns 0. */
int demo_service_run (demo_service_t *self);

/*  One control request: op with *args_p (may be NULL; taken and nulled)
    sent over a fresh DEALER to endpoint, then wait up to timeout_ms for
    its reply. Returns 0 with *reply_p (caller owns; check hl_msg_ok), or
    -1 with the reason in err. opts may be NULL. */
int demo_service_request (const char *endpoint, const hl_sock_opts_t *opts,
                          const char *op, hl_value_t **args_p, int timeout_ms,
                          hl_msg_t **reply_p, char *err, size_t errsize);

#endif
