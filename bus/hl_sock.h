/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_sock - every Helios socket is made here, so that message size
    limits, high-water marks, linger and identities are set the same way
    everywhere.
*/
#ifndef HL_SOCK_H
#define HL_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <czmq.h>

#include "hl_config.h"
#include "hl_curve.h"

typedef struct {
    size_t max_msg_size; /* ZMQ_MAXMSGSIZE on receiving sockets */
    int sndhwm;
    int rcvhwm;
    int linger_ms;
    const hl_curve_t *curve; /* keys (borrowed): a server's binds and a
                                client's connects handshake with CURVE;
                                NULL: none */
} hl_sock_opts_t;

/*  The compiled-in defaults: HL_MSG_MAX_SIZE, HL_HWM_DEFAULT, linger 0,
    and the process's keys (hl_curve_use). */
void hl_sock_opts_default (hl_sock_opts_t *opts);

/*  Options from a config's limits section. */
void hl_sock_opts_from_config (const hl_config_limits_t *limits,
                               hl_sock_opts_t *opts);

/*  A socket of ZMQ type (ZMQ_ROUTER, ZMQ_XPUB...) bound to endpoint, with
    opts (NULL: defaults). If bound is not NULL it gets the endpoint
    actually bound (an ephemeral "tcp://127.0.0.1:*" resolved to its port,
    a wildcard host shown as 127.0.0.1). Returns NULL and logs the reason
    if the bind fails. The caller owns the socket. */
zsock_t *hl_sock_bind (int type, const char *endpoint,
                       const hl_sock_opts_t *opts, char *bound,
                       size_t boundsize);

/*  Whether endpoint has the shape a connect needs: tcp://HOST:PORT (PORT
    1..65535), ipc://PATH or inproc://NAME. Lets a program refuse a bad
    -e or --master with one line of its own before any socket logs. */
bool hl_sock_endpoint_ok (const char *endpoint);

/*  What hl_sock_endpoint_ok wants, for those lines. */
#define HL_SOCK_ENDPOINT_FORMS "tcp://HOST:PORT, ipc://PATH or inproc://NAME"

/*  A socket of ZMQ type connected to endpoint; identity (may be NULL) sets
    the routing id. Returns NULL and logs the reason on a bad endpoint. */
zsock_t *hl_sock_connect (int type, const char *endpoint,
                          const hl_sock_opts_t *opts, const char *identity);

/*  A publisher for the bus: an XPUB connected to bus-in, so that it can
    see the proxy's subscription and know it is connected. Past sndhwm a
    send is refused (hl_bus_send: HL_ERR_IO), never dropped unseen. */
zsock_t *hl_sock_publisher (const char *bus_in, const hl_sock_opts_t *opts);

/*  Wait up to timeout_ms for a publisher from hl_sock_publisher to receive
    the proxy's subscription, so the first messages are not lost to the
    slow-joiner race. Returns 0 or HL_ERR_TIMEOUT. */
int hl_sock_publisher_wait (zsock_t *publisher, int timeout_ms);

/*  A subscriber connected to bus-out with one subscription per prefix
    (none given: everything). */
zsock_t *hl_sock_subscriber (const char *bus_out, const char **prefixes,
                             size_t prefixes_n, const hl_sock_opts_t *opts);

#endif
