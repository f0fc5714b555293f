/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    Unit tests of hl_sock: options applied, bind endpoints resolved,
    routing ids, subscriptions, and the publisher's wait for the proxy.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../bus/hl_sock.h"
#include "../../proto/hl_err.h"

#define ANY "tcp://127.0.0.1:*"

static void
test_opts (void **state)
{
    (void)state;
    hl_sock_opts_t opts;
    hl_sock_opts_default (&opts);
    assert_int_equal (opts.max_msg_size, HL_MSG_MAX_SIZE);
    assert_int_equal (opts.sndhwm, HL_HWM_DEFAULT);
    assert_int_equal (opts.rcvhwm, HL_HWM_DEFAULT);
    assert_int_equal (opts.linger_ms, 0);

    hl_config_limits_t limits;
    memset (&limits, 0, sizeof limits);
    hl_limits_default (&limits.decode);
    limits.decode.max_msg_size = 4096;
    limits.sndhwm = 7;
    limits.rcvhwm = 9;
    limits.linger_ms = 100;
    hl_sock_opts_from_config (&limits, &opts);
    assert_int_equal (opts.max_msg_size, 4096);
    assert_int_equal (opts.sndhwm, 7);
    assert_int_equal (opts.rcvhwm, 9);
    assert_int_equal (opts.linger_ms, 100);
    //  Never raised past the ceiling
    limits.decode.max_msg_size = HL_MSG_MAX_SIZE + 1;
    hl_sock_opts_from_config (&limits, &opts);
    assert_int_equal (opts.max_msg_size, HL_MSG_MAX_SIZE);
}

static void
test_bind_applies_options (void **state)
{
    (void)state;
    hl_sock_opts_t opts
        = { .max_msg_size = 5000, .sndhwm = 11, .rcvhwm = 13, .linger_ms = 17 };
    char bound[256];
    zsock_t *sock = hl_sock_bind (ZMQ_ROUTER, ANY, &opts, bound, sizeof bound);
    assert_non_null (sock);
    assert_int_equal (zsock_maxmsgsize (sock), 5000 * HL_MSG_WALL_FACTOR);
    assert_int_equal (zsock_sndhwm (sock), 11);
    assert_int_equal (zsock_rcvhwm (sock), 13);
    assert_int_equal (zsock_linger (sock), 17);
    zsock_destroy (&sock);

    //  Defaults
    sock = hl_sock_connect (ZMQ_DEALER, "tcp://127.0.0.1:1", NULL, NULL);
    assert_non_null (sock);
    assert_int_equal (zsock_maxmsgsize (sock),
                      HL_MSG_MAX_SIZE * HL_MSG_WALL_FACTOR);
    assert_int_equal (zsock_sndhwm (sock), HL_HWM_DEFAULT);
    assert_int_equal (zsock_rcvhwm (sock), HL_HWM_DEFAULT);
    assert_int_equal (zsock_linger (sock), 0);
    zsock_destroy (&sock);
}

static void
test_bind_resolves (void **state)
{
    (void)state;
    char bound[256];
    zsock_t *sock = hl_sock_bind (ZMQ_ROUTER, ANY, NULL, bound, sizeof bound);
    assert_non_null (sock);
    assert_string_equal (strstr (bound, "tcp://127.0.0.1:"), bound);
    assert_null (strchr (bound, '*'));
    int port = atoi (bound + strlen ("tcp://127.0.0.1:"));
    assert_true (port > 0 && port < 65536);
    zsock_destroy (&sock);

    //  A wildcard host is shown as one a client can reach
    sock = hl_sock_bind (ZMQ_ROUTER, "tcp://*:*", NULL, bound, sizeof bound);
    assert_non_null (sock);
    assert_string_equal (strstr (bound, "tcp://127.0.0.1:"), bound);
    zsock_destroy (&sock);

    sock = hl_sock_bind (ZMQ_PULL, "inproc://hl-sock-test", NULL, bound,
                         sizeof bound);
    assert_non_null (sock);
    assert_string_equal (bound, "inproc://hl-sock-test");
    zsock_destroy (&sock);

    //  Failures: NULL and an empty bound
    sock = hl_sock_bind (ZMQ_ROUTER, "nonsense://x", NULL, bound, sizeof bound);
    assert_null (sock);
    assert_string_equal (bound, "");
    assert_null (hl_sock_bind (ZMQ_ROUTER, "", NULL, NULL, 0));
    assert_null (hl_sock_bind (ZMQ_ROUTER, NULL, NULL, NULL, 0));
    //  No room for the answer
    char tiny[8];
    assert_null (hl_sock_bind (ZMQ_ROUTER, ANY, NULL, tiny, sizeof tiny));
    //  Port in use
    zsock_t *first = hl_sock_bind (ZMQ_ROUTER, ANY, NULL, bound, sizeof bound);
    assert_non_null (first);
    assert_null (hl_sock_bind (ZMQ_ROUTER, bound, NULL, NULL, 0));
    zsock_destroy (&first);
}

static void
test_identity (void **state)
{
    (void)state;
    char bound[256];
    zsock_t *router = hl_sock_bind (ZMQ_ROUTER, ANY, NULL, bound, sizeof bound);
    assert_non_null (router);
    zsock_t *dealer = hl_sock_connect (ZMQ_DEALER, bound, NULL, "agent-7");
    assert_non_null (dealer);
    assert_int_equal (zstr_send (dealer, "hi"), 0);
    zsock_set_rcvtimeo (router, 5000);
    zmsg_t *msg = zmsg_recv (router);
    assert_non_null (msg);
    char *id = zmsg_popstr (msg);
    assert_string_equal (id, "agent-7");
    zstr_free (&id);
    zmsg_destroy (&msg);
    zsock_destroy (&dealer);

    char longid[HL_MAX_ROUTING_ID + 2];
    memset (longid, 'x', sizeof longid);
    longid[HL_MAX_ROUTING_ID] = 0;
    dealer = hl_sock_connect (ZMQ_DEALER, bound, NULL, longid);
    assert_non_null (dealer);
    zsock_destroy (&dealer);
    longid[HL_MAX_ROUTING_ID] = 'x';
    longid[HL_MAX_ROUTING_ID + 1] = 0;
    assert_null (hl_sock_connect (ZMQ_DEALER, bound, NULL, longid));
    assert_null (hl_sock_connect (ZMQ_DEALER, bound, NULL, ""));
    assert_null (hl_sock_connect (ZMQ_DEALER, "nonsense", NULL, NULL));
    zsock_destroy (&router);
}

static void
test_publisher_wait (void **state)
{
    (void)state;
    char bound[256];
    //  Nobody there: a timeout, quickly
    zsock_t *pub = hl_sock_publisher ("tcp://127.0.0.1:1", NULL);
    assert_non_null (pub);
    int64_t start = zclock_mono ();
    assert_int_equal (hl_sock_publisher_wait (pub, 100), HL_ERR_TIMEOUT);
    assert_true (zclock_mono () - start < 2000);
    assert_int_equal (hl_sock_publisher_wait (pub, 0), HL_ERR_TIMEOUT);
    zsock_destroy (&pub);

    //  A proxy-like XSUB that subscribes to everything. libzmq 4.3.4 only
    //  wakes a connecting XPUB for a subscription sent while connected,
    //  so, like hl_proxy, it repeats its subscription until answered.
    zsock_t *xsub = hl_sock_bind (ZMQ_XSUB, ANY, NULL, bound, sizeof bound);
    assert_non_null (xsub);
    pub = hl_sock_publisher (bound, NULL);
    assert_non_null (pub);
    int64_t deadline = zclock_mono () + 5000;
    int rc = HL_ERR_TIMEOUT;
    while (rc != 0 && zclock_mono () < deadline) {
        uint8_t all = 1;
        assert_int_equal (zmq_send (zsock_resolve (xsub), &all, 1, 0), 1);
        rc = hl_sock_publisher_wait (pub, 50);
    }
    assert_int_equal (rc, 0);
    //  Once it returns, nothing sent is lost to the slow joiner
    assert_int_equal (zstr_sendx (pub, "metric.x", "payload", NULL), 0);
    zsock_set_rcvtimeo (xsub, 5000);
    char *topic = NULL, *payload = NULL;
    assert_int_equal (zstr_recvx (xsub, &topic, &payload, NULL), 2);
    assert_string_equal (topic, "metric.x");
    assert_string_equal (payload, "payload");
    zstr_free (&topic);
    zstr_free (&payload);
    zsock_destroy (&pub);
    zsock_destroy (&xsub);
}

static void
test_subscriber (void **state)
{
    (void)state;
    char bound[256];
    zsock_t *xpub = hl_sock_bind (ZMQ_XPUB, ANY, NULL, bound, sizeof bound);
    assert_non_null (xpub);
    zsock_set_rcvtimeo (xpub, 5000);
    const char *prefixes[] = { "kpi.", "health" };
    zsock_t *sub = hl_sock_subscriber (bound, prefixes, 2, NULL);
    assert_non_null (sub);
    assert_int_equal (zsock_maxmsgsize (sub),
                      HL_MSG_MAX_SIZE * HL_MSG_WALL_FACTOR);
    char *s1 = zstr_recv (xpub);
    char *s2 = zstr_recv (xpub);
    assert_non_null (s1);
    assert_non_null (s2);
    //  Subscriptions arrive in order: "\1kpi." then "\1health"
    assert_string_equal (s1, "\001kpi.");
    assert_string_equal (s2, "\001health");
    zstr_free (&s1);
    zstr_free (&s2);
    zsock_destroy (&sub);

    //  The old subscriber's unsubscriptions may come first
    sub = hl_sock_subscriber (bound, NULL, 0, NULL);
    assert_non_null (sub);
    bool everything = false;
    while (!everything) {
        zframe_t *frame = zframe_recv (xpub);
        assert_non_null (frame);
        everything = zframe_size (frame) == 1 && zframe_data (frame)[0] == 1;
        if (!everything)
            assert_int_equal (zframe_data (frame)[0], 0);
        zframe_destroy (&frame);
    }
    zsock_destroy (&sub);
    zsock_destroy (&xpub);
    assert_null (hl_sock_subscriber ("nonsense", NULL, 0, NULL));
}

/*  The shapes a connect takes, and typos it must not. */
static void
test_endpoint_ok (void **state)
{
    (void)state;
    assert_true (hl_sock_endpoint_ok ("tcp://127.0.0.1:7702"));
    assert_true (hl_sock_endpoint_ok ("tcp://example.com:1"));
    assert_true (hl_sock_endpoint_ok ("tcp://[::1]:65535"));
    assert_true (hl_sock_endpoint_ok ("ipc:///tmp/x"));
    assert_true (hl_sock_endpoint_ok ("inproc://bus"));
    assert_false (hl_sock_endpoint_ok (NULL));
    assert_false (hl_sock_endpoint_ok (""));
    assert_false (hl_sock_endpoint_ok ("nonsense"));
    assert_false (hl_sock_endpoint_ok ("127.0.0.1:7702"));
    assert_false (hl_sock_endpoint_ok ("tcp://"));
    assert_false (hl_sock_endpoint_ok ("tcp://host"));
    assert_false (hl_sock_endpoint_ok ("tcp://:7702"));
    assert_false (hl_sock_endpoint_ok ("tcp://host:"));
    assert_false (hl_sock_endpoint_ok ("tcp://host:0"));
    assert_false (hl_sock_endpoint_ok ("tcp://host:65536"));
    assert_false (hl_sock_endpoint_ok ("tcp://host:123456"));
    assert_false (hl_sock_endpoint_ok ("tcp://host:*"));
    assert_false (hl_sock_endpoint_ok ("tcp://host:77a"));
    assert_false (hl_sock_endpoint_ok ("ipc://"));
    assert_false (hl_sock_endpoint_ok ("inproc://"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_opts),
        cmocka_unit_test (test_endpoint_ok),
        cmocka_unit_test (test_bind_applies_options),
        cmocka_unit_test (test_bind_resolves),
        cmocka_unit_test (test_identity),
        cmocka_unit_test (test_publisher_wait),
        cmocka_unit_test (test_subscriber),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
