/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_sock - socket set-up in one place: size limit on every receiving
    socket, explicit high-water marks and linger, routing ids, mandatory
    routing on ROUTERs, resolved bind endpoints, and the bus publisher's
    handshake with the proxy.
*/
#include <string.h>

#include "hl_sock.h"
#include "hl_log.h"
#include "../proto/hl_err.h"
#include "../proto/hl_limits.h"

void
hl_sock_opts_default (hl_sock_opts_t *opts)
{
    assert (opts);
    opts->max_msg_size = HL_MSG_MAX_SIZE;
    opts->sndhwm = HL_HWM_DEFAULT;
    opts->rcvhwm = HL_HWM_DEFAULT;
    opts->linger_ms = 0;
    opts->curve = hl_curve_process ();
}

void
hl_sock_opts_from_config (const hl_config_limits_t *limits,
                          hl_sock_opts_t *opts)
{
    assert (opts);
    hl_sock_opts_default (opts);
    if (!limits)
        return;
    //  Config may lower the size ceiling, never raise it
    if (limits->decode.max_msg_size > 0
        && limits->decode.max_msg_size < opts->max_msg_size)
        opts->max_msg_size = limits->decode.max_msg_size;
    if (limits->sndhwm >= 0)
        opts->sndhwm = limits->sndhwm;
    if (limits->rcvhwm >= 0)
        opts->rcvhwm = limits->rcvhwm;
    if (limits->linger_ms >= -1)
        opts->linger_ms = limits->linger_ms;
}

//  Every socket that reads peer bytes gets the size limit, so libzmq
//  drops an over-size peer before anything is allocated for it. A PUB
//  reads nothing but subscriptions; XPUB reads subscriptions too, and
//  they are capped as well.
static bool
s_receives (int type)
{
    return type != ZMQ_PUB;
}

static zsock_t *
s_new (int type, const hl_sock_opts_t *opts)
{
    zsock_t *sock = zsock_new (type);
    if (!sock)
        return NULL;
    zsock_set_sndhwm (sock, opts->sndhwm);
    zsock_set_rcvhwm (sock, opts->rcvhwm);
    zsock_set_linger (sock, opts->linger_ms);
    size_t max = opts->max_msg_size;
    if (max == 0 || max > HL_MSG_MAX_SIZE)
        max = HL_MSG_MAX_SIZE;
    //  The wall sits above the message limit, so that a frame somewhat
    //  over it is still read, counted as too big and answered by whoever
    //  reads it; past the wall libzmq drops the peer before allocating
    if (s_receives (type))
        zsock_set_maxmsgsize (sock, (int)(max * HL_MSG_WALL_FACTOR));
    //  An unknown peer is an error the sender sees, not a silent drop
    if (type == ZMQ_ROUTER)
        zsock_set_router_mandatory (sock, 1);
    return sock;
}

zsock_t *
hl_sock_bind (int type, const char *endpoint, const hl_sock_opts_t *opts,
              char *bound, size_t boundsize)
{
    char *last = NULL;
    zsock_t *sock = NULL;
    hl_sock_opts_t defaults;
    if (!opts) {
        hl_sock_opts_default (&defaults);
        opts = &defaults;
    }
    if (!endpoint || !*endpoint) {
        hl_log_error ("bind: no endpoint");
        goto fail;
    }
    sock = s_new (type, opts);
    if (!sock) {
        hl_log_error ("%s: cannot create socket", endpoint);
        goto fail;
    }
    //  CURVE is set before the bind: a handshake takes what is set then
    if (opts->curve && hl_curve_bind_setup (opts->curve, sock)) {
        hl_log_error ("%s: cannot set up CURVE", endpoint);
        goto fail;
    }
    if (zsock_bind (sock, "%s", endpoint) < 0) {
        hl_log_error ("%s: bind failed: %s", endpoint,
                      zmq_strerror (zmq_errno ()));
        goto fail;
    }
    if (bound && boundsize) {
        last = zsock_last_endpoint (sock);
        if (!last) {
            hl_log_error ("%s: bound endpoint unknown", endpoint);
            goto fail;
        }
        //  Clients connect to what we print: a wildcard host is no use
        if (hl_config_connect_endpoint (last, bound, boundsize) != 0) {
            hl_log_error ("%s: bound endpoint too long", endpoint);
            goto fail;
        }
        zstr_free (&last);
    }
    return sock;
fail:
    zstr_free (&last);
    zsock_destroy (&sock);
    if (bound && boundsize)
        bound[0] = '\0';
    return NULL;
}

bool
hl_sock_endpoint_ok (const char *endpoint)
{
    if (!endpoint)
        return false;
    if (!strncmp (endpoint, "ipc://", 6))
        return endpoint[6] != 0;
    if (!strncmp (endpoint, "inproc://", 9))
        return endpoint[9] != 0;
    if (strncmp (endpoint, "tcp://", 6))
        return false;
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    if (!colon || colon == host || !colon[1] || strlen (colon + 1) > 5)
        return false;
    long port = 0;
    for (const char *c = colon + 1; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        port = port * 10 + (*c - '0');
    }
    return port >= 1 && port <= 65535;
}

zsock_t *
hl_sock_connect (int type, const char *endpoint, const hl_sock_opts_t *opts,
                 const char *identity)
{
    zsock_t *sock = NULL;
    hl_sock_opts_t defaults;
    if (!opts) {
        hl_sock_opts_default (&defaults);
        opts = &defaults;
    }
    if (!endpoint || !*endpoint) {
        hl_log_error ("connect: no endpoint");
        goto fail;
    }
    sock = s_new (type, opts);
    if (!sock) {
        hl_log_error ("%s: cannot create socket", endpoint);
        goto fail;
    }
    if (opts->curve && hl_curve_connect_setup (opts->curve, sock, endpoint)) {
        hl_log_error ("%s: cannot set up CURVE", endpoint);
        goto fail;
    }
    if (identity) {
        //  libzmq reserves routing ids starting with a zero byte
        size_t len = strlen (identity);
        if (len == 0 || len > HL_MAX_ROUTING_ID) {
            hl_log_error ("%s: routing id must be 1..%d bytes", endpoint,
                          HL_MAX_ROUTING_ID);
            goto fail;
        }
        if (zmq_setsockopt (zsock_resolve (sock), ZMQ_ROUTING_ID, identity, len)
            != 0) {
            hl_log_error ("%s: cannot set routing id: %s", endpoint,
                          zmq_strerror (zmq_errno ()));
            goto fail;
        }
    }
    if (zsock_connect (sock, "%s", endpoint) != 0) {
        hl_log_error ("%s: connect failed: %s", endpoint,
                      zmq_strerror (zmq_errno ()));
        goto fail;
    }
    return sock;
fail:
    zsock_destroy (&sock);
    return NULL;
}

zsock_t *
hl_sock_publisher (const char *bus_in, const hl_sock_opts_t *opts)
{
    //  An XPUB rather than a PUB: it reads the proxy's subscribe-all, which
    //  tells hl_sock_publisher_wait the pipe is up. With XPUB_NODROP a
    //  full queue to the proxy refuses the send (hl_bus_send never waits:
    //  HL_ERR_IO) instead of dropping it unseen, so the caller knows and
    //  counts; a slow proxy still never stalls a publisher's loop.
    zsock_t *sock = hl_sock_connect (ZMQ_XPUB, bus_in, opts, NULL);
    if (sock)
        zsock_set_xpub_nodrop (sock, 1);
    return sock;
}

int
hl_sock_publisher_wait (zsock_t *publisher, int timeout_ms)
{
    assert (publisher);
    void *handle = zsock_resolve (publisher);
    int64_t deadline = zclock_mono () + (timeout_ms > 0 ? timeout_ms : 0);
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left < 0)
            left = 0;
        zmq_pollitem_t item = { handle, 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, (long)left);
        if (rc < 0 && zmq_errno () != EINTR)
            return HL_ERR_IO;
        if (rc > 0) {
            zmq_msg_t msg;
            zmq_msg_init (&msg);
            if (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) >= 0) {
                bool subscribed = zmq_msg_size (&msg) >= 1
                                  && ((uint8_t *)zmq_msg_data (&msg))[0] == 1;
                zmq_msg_close (&msg);
                if (subscribed)
                    return 0;
            } else
                zmq_msg_close (&msg);
            continue;
        }
        if (left == 0)
            return HL_ERR_TIMEOUT;
    }
}

zsock_t *
hl_sock_subscriber (const char *bus_out, const char **prefixes,
                    size_t prefixes_n, const hl_sock_opts_t *opts)
{
    zsock_t *sock = hl_sock_connect (ZMQ_SUB, bus_out, opts, NULL);
    if (!sock)
        return NULL;
    if (!prefixes || prefixes_n == 0)
        zsock_set_subscribe (sock, "");
    else
        for (size_t i = 0; i < prefixes_n; i++)
            zsock_set_subscribe (sock, prefixes[i] ? prefixes[i] : "");
    return sock;
}
