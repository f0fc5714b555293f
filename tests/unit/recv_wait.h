/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    recv_wait - hl_bus_recv never waits; unit tests that expect a message
    wait for it (5 s at most) first. Header-only: each test is one binary.
*/
#ifndef HL_TEST_RECV_WAIT_H
#define HL_TEST_RECV_WAIT_H

#include <czmq.h>

#include "../../bus/hl_bus.h"

static inline int
recv_wait (zsock_t *sock, const hl_limits_t *limits, hl_msg_t **msg_p,
           zframe_t **peer_p)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    zpoller_wait (poller, 5000);
    zpoller_destroy (&poller);
    return hl_bus_recv (sock, limits, msg_p, peer_p);
}

#endif
