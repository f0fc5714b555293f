/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    fake_master - the master's side of the tasks socket for agent unit
    tests: a ROUTER the test binds, the routing id of the agent that last
    spoke, and heartbeats answered as a master would. Header-only: each
    test is one binary.
*/
#ifndef HL_TEST_FAKE_MASTER_H
#define HL_TEST_FAKE_MASTER_H

#include <czmq.h>
#include <string.h>

#include "../../bus/hl_bus.h"

/*  Send msg (taken) to the agent whose routing id is peer. */
static inline void
fake_master_send (zsock_t *router, const uint8_t *peer, size_t peer_len,
                  hl_msg_t *msg)
{
    assert_int_equal (hl_msg_set_routing_id (msg, peer, peer_len), 0);
    assert_int_equal (hl_bus_send (router, &msg), 0);
}

/*  The next message of type (0: any) within ms, or NULL. Every message
    read updates peer (the agent's routing id); heartbeats are counted in
    *beats (if given) and, if answer, answered. */
static inline hl_msg_t *
fake_master_recv (zsock_t *router, uint8_t *peer, size_t *peer_len,
                  hl_msg_type_t type, int ms, bool answer, int *beats)
{
    int64_t deadline = zclock_mono () + ms;
    zpoller_t *poller = zpoller_new (router, NULL);
    hl_msg_t *found = NULL;
    while (!found) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0 || !zpoller_wait (poller, (int)left))
            break;
        hl_msg_t *msg = NULL;
        if (hl_bus_recv (router, NULL, &msg, NULL) != 0)
            continue;
        size_t len = 0;
        const uint8_t *id = hl_msg_routing_id (msg, &len);
        memcpy (peer, id, len);
        *peer_len = len;
        if (hl_msg_type (msg) == HL_MSG_HEARTBEAT) {
            if (beats)
                (*beats)++;
            if (answer) {
                hl_msg_t *beat = hl_msg_new (HL_MSG_HEARTBEAT);
                hl_msg_set_inflight (beat, 0);
                fake_master_send (router, peer, *peer_len, beat);
            }
        }
        if (type == 0 || hl_msg_type (msg) == type)
            found = msg;
        else
            hl_msg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return found;
}

#endif
