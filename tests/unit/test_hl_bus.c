/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    Unit tests of hl_bus: framing per socket type over real sockets,
    ownership on failure, and receives that consume whole bad messages.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_err.h"
#include "recv_wait.h"

#define ANY "tcp://127.0.0.1:*"
#define WAIT_MS 5000

typedef struct {
    zsock_t *router;
    zsock_t *dealer;
} pair_t;

static int
setup_pair (void **state)
{
    pair_t *p = calloc (1, sizeof *p);
    char bound[256];
    p->router = hl_sock_bind (ZMQ_ROUTER, ANY, NULL, bound, sizeof bound);
    assert_non_null (p->router);
    p->dealer = hl_sock_connect (ZMQ_DEALER, bound, NULL, "agent-1");
    assert_non_null (p->dealer);
    zsock_set_rcvtimeo (p->router, WAIT_MS);
    zsock_set_rcvtimeo (p->dealer, WAIT_MS);
    *state = p;
    return 0;
}

static int
teardown_pair (void **state)
{
    pair_t *p = *state;
    zsock_destroy (&p->dealer);
    zsock_destroy (&p->router);
    free (p);
    return 0;
}

static hl_msg_t *
s_heartbeat (uint32_t inflight)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_HEARTBEAT);
    assert_non_null (msg);
    hl_msg_set_src (msg, "test@host:1");
    hl_msg_set_inflight (msg, inflight);
    return msg;
}

static void
test_dealer_router_round_trip (void **state)
{
    pair_t *p = *state;
    hl_msg_t *msg = s_heartbeat (3);
    assert_int_equal (hl_bus_send (p->dealer, &msg), 0);
    assert_null (msg);

    zframe_t *peer = NULL;
    assert_int_equal (recv_wait (p->router, NULL, &msg, &peer), 0);
    assert_non_null (msg);
    assert_int_equal (hl_msg_type (msg), HL_MSG_HEARTBEAT);
    assert_int_equal (hl_msg_inflight (msg), 3);
    size_t len;
    const uint8_t *id = hl_msg_routing_id (msg, &len);
    assert_int_equal (len, 7);
    assert_memory_equal (id, "agent-1", 7);
    assert_non_null (peer);
    assert_true (zframe_streq (peer, "agent-1"));
    zframe_destroy (&peer);

    //  Answer on the same message: its routing id goes back
    hl_msg_set_inflight (msg, 4);
    assert_int_equal (hl_bus_send (p->router, &msg), 0);
    assert_null (msg);
    assert_int_equal (recv_wait (p->dealer, NULL, &msg, NULL), 0);
    assert_int_equal (hl_msg_inflight (msg), 4);
    hl_msg_destroy (&msg);
}

/*  An envelope encoded once, sent as bytes to a peer: what a kept answer
    is sent again as. A failed message's peer address comes with it. */
static void
test_send_bytes_recv_from (void **state)
{
    pair_t *p = *state;
    //  The ROUTER routes only to peers it has heard (mandatory routing)
    hl_msg_t *msg = s_heartbeat (0);
    assert_int_equal (hl_bus_send (p->dealer, &msg), 0);
    assert_int_equal (recv_wait (p->router, NULL, &msg, NULL), 0);
    hl_msg_destroy (&msg);
    msg = s_heartbeat (5);
    uint8_t *data;
    size_t size;
    assert_int_equal (hl_msg_encode (msg, &data, &size), 0);
    hl_msg_destroy (&msg);
    assert_int_equal (hl_bus_send_bytes (p->router, "agent-1", 7, data, size),
                      0);
    assert_int_equal (hl_bus_send_bytes (p->router, "agent-1", 7, data, size),
                      0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal (recv_wait (p->dealer, NULL, &msg, NULL), 0);
        assert_int_equal (hl_msg_inflight (msg), 5);
        hl_msg_destroy (&msg);
    }
    //  Not a ROUTER, no peer, no bytes
    assert_int_equal (hl_bus_send_bytes (p->dealer, "agent-1", 7, data, size),
                      HL_ERR_ARGS);
    assert_int_equal (hl_bus_send_bytes (p->router, "", 0, data, size),
                      HL_ERR_ARGS);
    assert_int_equal (hl_bus_send_bytes (p->router, "agent-1", 7, data, 0),
                      HL_ERR_ARGS);
    free (data);

    char addr[64] = "x";
    zframe_t *peer = NULL;
    assert_int_equal (zstr_send (p->dealer, "\xc1"), 0);
    zpoller_t *poller = zpoller_new (p->router, NULL);
    zpoller_wait (poller, WAIT_MS);
    zpoller_destroy (&poller);
    assert_int_equal (
        hl_bus_recv_from (p->router, NULL, &msg, &peer, addr, sizeof addr),
        HL_ERR_ROOT);
    assert_string_equal (addr, "127.0.0.1");
    zframe_destroy (&peer);
    //  A good message leaves it empty: only failures pay for it
    msg = s_heartbeat (1);
    assert_int_equal (hl_bus_send (p->dealer, &msg), 0);
    poller = zpoller_new (p->router, NULL);
    zpoller_wait (poller, WAIT_MS);
    zpoller_destroy (&poller);
    assert_int_equal (
        hl_bus_recv_from (p->router, NULL, &msg, &peer, addr, sizeof addr), 0);
    assert_string_equal (addr, "");
    hl_msg_destroy (&msg);
    zframe_destroy (&peer);
}

static void
test_send_failures (void **state)
{
    pair_t *p = *state;
    //  A ROUTER needs a routing id
    hl_msg_t *msg = s_heartbeat (0);
    assert_int_equal (hl_bus_send (p->router, &msg), HL_ERR_ARGS);
    assert_null (msg);
    //  An unknown peer is an error (ROUTER_MANDATORY), not a silent drop
    msg = s_heartbeat (0);
    assert_int_equal (hl_msg_set_routing_id (msg, "nobody", 6), 0);
    assert_int_equal (hl_bus_send (p->router, &msg), HL_ERR_IO);
    assert_null (msg);
    //  Not a sending socket
    zsock_t *sub = zsock_new (ZMQ_SUB);
    msg = s_heartbeat (0);
    assert_int_equal (hl_bus_send (sub, &msg), HL_ERR_ARGS);
    assert_null (msg);
    zsock_destroy (&sub);
    //  A publisher needs a topic: a metric without its name has none
    zsock_t *pub = zsock_new (ZMQ_PUB);
    msg = hl_msg_new (HL_MSG_METRIC);
    assert_int_equal (hl_bus_send (pub, &msg), HL_ERR_ARGS);
    assert_null (msg);
    zsock_destroy (&pub);
    //  NULL message
    msg = NULL;
    assert_int_equal (hl_bus_send (p->dealer, &msg), HL_ERR_ARGS);
}

static void
test_recv_bad_frames (void **state)
{
    pair_t *p = *state;
    hl_msg_t *msg = NULL;
    zframe_t *peer = NULL;

    //  Two frames from a DEALER: [id][a][b] at the ROUTER
    assert_int_equal (zstr_sendx (p->dealer, "a", "b", NULL), 0);
    assert_int_equal (recv_wait (p->router, NULL, &msg, &peer), HL_ERR_FRAMES);
    assert_null (msg);
    assert_non_null (peer);
    assert_true (zframe_streq (peer, "agent-1"));
    zframe_destroy (&peer);

    //  Many frames: all consumed, the next message is intact
    assert_int_equal (
        zstr_sendx (p->dealer, "1", "2", "3", "4", "5", "6", NULL), 0);
    assert_int_equal (recv_wait (p->router, NULL, &msg, &peer), HL_ERR_FRAMES);
    zframe_destroy (&peer);
    //  Garbage envelope: a decode error, the peer still known
    assert_int_equal (zstr_send (p->dealer, "\xc1garbage"), 0);
    int rc = recv_wait (p->router, NULL, &msg, &peer);
    assert_true (rc < 0 && rc != HL_ERR_FRAMES && rc != HL_ERR_IO);
    assert_non_null (peer);
    zframe_destroy (&peer);
    //  Over the configured size
    hl_limits_t limits;
    hl_limits_default (&limits);
    limits.max_msg_size = 16;
    char big[18];
    memset (big, 'x', 17);
    big[17] = 0;
    assert_int_equal (zstr_send (p->dealer, big), 0);
    assert_int_equal (recv_wait (p->router, &limits, &msg, NULL),
                      HL_ERR_TOO_BIG);

    msg = s_heartbeat (9);
    assert_int_equal (hl_bus_send (p->dealer, &msg), 0);
    assert_int_equal (recv_wait (p->router, NULL, &msg, NULL), 0);
    assert_int_equal (hl_msg_inflight (msg), 9);
    hl_msg_destroy (&msg);

    //  A DEALER expects one frame
    assert_int_equal (zstr_sendx (p->router, "agent-1", "x", "y", NULL), 0);
    assert_int_equal (recv_wait (p->dealer, NULL, &msg, &peer), HL_ERR_FRAMES);
    assert_null (peer);

    //  Nothing to read: no waiting, an answer at once
    assert_int_equal (hl_bus_recv (p->router, NULL, &msg, &peer), HL_ERR_IO);
    assert_null (msg);
    assert_null (peer);
}

static void
test_pub_sub (void **state)
{
    (void)state;
    char bound[256];
    //  A bound XSUB plays the proxy for the publisher
    zsock_t *sub = hl_sock_bind (ZMQ_XSUB, ANY, NULL, bound, sizeof bound);
    assert_non_null (sub);
    zsock_set_rcvtimeo (sub, WAIT_MS);
    zsock_t *pub = hl_sock_publisher (bound, NULL);
    assert_non_null (pub);
    int64_t deadline = zclock_mono () + WAIT_MS;
    int rc = HL_ERR_TIMEOUT;
    while (rc != 0 && zclock_mono () < deadline) {
        uint8_t all = 1;
        zmq_send (zsock_resolve (sub), &all, 1, 0);
        rc = hl_sock_publisher_wait (pub, 50);
    }
    assert_int_equal (rc, 0);

    hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
    hl_msg_set_src (msg, "test");
    hl_msg_set_name (msg, "api_response_time");
    hl_msg_set_value (msg, 12.5);
    hl_msg_set_sample_ts (msg, 1);
    assert_int_equal (hl_bus_send (pub, &msg), 0);
    assert_int_equal (recv_wait (sub, NULL, &msg, NULL), 0);
    assert_int_equal (hl_msg_type (msg), HL_MSG_METRIC);
    assert_string_equal (hl_msg_name (msg), "api_response_time");

    //  The same envelope under another topic is refused
    uint8_t *data;
    size_t size;
    assert_int_equal (hl_msg_encode (msg, &data, &size), 0);
    hl_msg_destroy (&msg);
    void *h = zsock_resolve (pub);
    assert_int_equal (zmq_send (h, "health", 6, ZMQ_SNDMORE), 6);
    assert_int_equal (zmq_send (h, data, size, 0), (int)size);
    assert_int_equal (recv_wait (sub, NULL, &msg, NULL), HL_ERR_TOPIC);
    //  An empty topic and a single frame
    assert_int_equal (zmq_send (h, "", 0, ZMQ_SNDMORE), 0);
    assert_int_equal (zmq_send (h, data, size, 0), (int)size);
    assert_int_equal (recv_wait (sub, NULL, &msg, NULL), HL_ERR_TOPIC);
    assert_int_equal (zmq_send (h, data, size, 0), (int)size);
    assert_int_equal (recv_wait (sub, NULL, &msg, NULL), HL_ERR_FRAMES);
    free (data);
    zsock_destroy (&pub);
    zsock_destroy (&sub);
}

static hl_msg_t *
s_metric (double value)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
    assert_non_null (msg);
    hl_msg_set_name (msg, "cpu");
    hl_msg_set_value (msg, value);
    hl_msg_set_sample_ts (msg, 1);
    return msg;
}

//  Plays a proxy that reads nothing until told to: binds an XSUB with a
//  small queue, subscribes (again and again until "GO", the inproc
//  slow-joiner), then drains everything once it gets "DRAIN".
static void
s_stalled_proxy (zsock_t *pipe, void *args)
{
    (void)args;
    zsock_t *xsub = zsock_new (ZMQ_XSUB);
    zsock_set_rcvhwm (xsub, 10);
    assert_int_equal (zsock_bind (xsub, "inproc://hl-bus-stalled"), 0);
    zsock_signal (pipe, 0);
    char *command = NULL;
    while (!command) {
        uint8_t all = 1;
        zmq_send (zsock_resolve (xsub), &all, 1, ZMQ_DONTWAIT);
        zpoller_t *poller = zpoller_new (pipe, NULL);
        if (zpoller_wait (poller, 20))
            command = zstr_recv (pipe);
        zpoller_destroy (&poller);
    }
    bool drain = false;
    while (command && !streq (command, "$TERM")) {
        drain = drain || streq (command, "DRAIN");
        zstr_free (&command);
        zpoller_t *poller = zpoller_new (pipe, NULL);
        while (!zpoller_wait (poller, drain ? 1 : 100)) {
            zmsg_t *msg;
            while (drain && (msg = zmsg_recv_nowait (xsub)))
                zmsg_destroy (&msg);
        }
        zpoller_destroy (&poller);
        command = zstr_recv (pipe);
    }
    zstr_free (&command);
    zsock_destroy (&xsub);
}

//  A full queue refuses hl_bus_send at once; hl_bus_send_wait waits for
//  room, and gives up if none comes.
static void
test_send_wait (void **state)
{
    (void)state;
    zactor_t *proxy = zactor_new (s_stalled_proxy, NULL);
    hl_sock_opts_t opts;
    hl_sock_opts_default (&opts);
    opts.sndhwm = 10;
    zsock_t *pub = hl_sock_publisher ("inproc://hl-bus-stalled", &opts);
    assert_non_null (pub);
    assert_int_equal (hl_sock_publisher_wait (pub, WAIT_MS), 0);
    zstr_send (proxy, "GO");
    int rc = 0;
    for (int i = 0; i < 10000 && rc == 0; i++) {
        hl_msg_t *metric = s_metric (i);
        rc = hl_bus_send (pub, &metric);
        assert_null (metric);
    }
    assert_int_equal (rc, HL_ERR_IO); /* full: refused at once */
    hl_msg_t *metric = s_metric (1);
    assert_int_equal (hl_bus_send_wait (pub, &metric, 20), HL_ERR_IO);
    assert_null (metric);
    //  Room comes: the waiting send goes through
    zstr_send (proxy, "DRAIN");
    metric = s_metric (2);
    assert_int_equal (hl_bus_send_wait (pub, &metric, WAIT_MS), 0);
    //  The socket's own timeout is left as it was
    assert_int_equal (zsock_sndtimeo (pub), -1);
    metric = NULL;
    assert_int_equal (hl_bus_send_wait (pub, &metric, 10), HL_ERR_ARGS);
    zsock_destroy (&pub);
    zactor_destroy (&proxy);
}

//  The intake reader takes one [topic][envelope] pair at a time and
//  refuses a broken one with a named error, leaving the rest readable.
static void
test_recv_intake_bad (void **state)
{
    (void)state;
    zsock_t *in = zsock_new (ZMQ_PAIR);
    assert_int_equal (zsock_bind (in, "inproc://hl-bus-intake-test"), 0);
    zsock_t *out = zsock_new (ZMQ_PAIR);
    assert_int_equal (zsock_connect (out, "inproc://hl-bus-intake-test"), 0);
    void *h = zsock_resolve (out);
    hl_msg_t *metric = s_metric (7);
    uint8_t *env;
    size_t size;
    assert_int_equal (hl_msg_encode (metric, &env, &size), 0);
    hl_msg_destroy (&metric);

    zmq_send (h, "metric.cpu", 10, 0); /* a topic with no envelope */
    zmq_send (h, "", 0, ZMQ_SNDMORE);  /* an empty topic */
    zmq_send (h, env, size, 0);
    zmq_send (h, "health", 6, ZMQ_SNDMORE); /* the wrong topic */
    zmq_send (h, env, size, 0);
    zmq_send (h, "metric.cpu", 10, ZMQ_SNDMORE); /* not msgpack */
    zmq_send (h, "\xc1", 1, 0);
    zmq_send (h, "metric.cpu", 10, ZMQ_SNDMORE); /* then a good one */
    zmq_send (h, env, size, 0);

    hl_msg_t *msg = NULL;
    zpoller_t *poller = zpoller_new (in, NULL);
    assert_non_null (zpoller_wait (poller, WAIT_MS));
    zpoller_destroy (&poller);
    assert_int_equal (hl_bus_recv_intake (in, &msg), HL_ERR_FRAMES);
    assert_int_equal (hl_bus_recv_intake (in, &msg), HL_ERR_TOPIC);
    assert_int_equal (hl_bus_recv_intake (in, &msg), HL_ERR_TOPIC);
    assert_int_equal (hl_bus_recv_intake (in, &msg), HL_ERR_MALFORMED);
    assert_null (msg);
    assert_int_equal (hl_bus_recv_intake (in, &msg), 0);
    assert_int_equal (hl_msg_value (msg), 7);
    hl_msg_destroy (&msg);
    assert_int_equal (hl_bus_recv_intake (in, &msg), HL_ERR_IO);
    free (env);
    zsock_destroy (&out);
    zsock_destroy (&in);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_dealer_router_round_trip,
                                         setup_pair, teardown_pair),
        cmocka_unit_test_setup_teardown (test_send_bytes_recv_from, setup_pair,
                                         teardown_pair),
        cmocka_unit_test_setup_teardown (test_send_failures, setup_pair,
                                         teardown_pair),
        cmocka_unit_test_setup_teardown (test_recv_bad_frames, setup_pair,
                                         teardown_pair),
        cmocka_unit_test (test_pub_sub),
        cmocka_unit_test (test_send_wait),
        cmocka_unit_test (test_recv_intake_bad),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
