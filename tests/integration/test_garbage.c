/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_garbage - bad input at a real helios-master: garbage, truncated
    msgpack, wrong frames and oversize frames on the control socket and on
    the bus. Every bad message is answered or dropped, counted by reason
    in "status", and the master keeps serving.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../master/hl_client.h"
#include "harness.h"

/*  The master's status data (caller destroys the reply). */
static hl_msg_t *
s_status (const ht_master_t *m)
{
    hl_client_t *client = hl_client_new (m->control, "test");
    assert_non_null (client);
    hl_msg_t *reply = NULL;
    assert_int_equal (hl_client_request (client, "status", NULL, 5000, &reply),
                      0);
    assert_true (hl_msg_ok (reply));
    hl_client_destroy (&client);
    if (getenv ("HT_VERBOSE")) {
        char *text = hl_msg_to_json_str (reply);
        fprintf (stderr, "status: %s\n", text);
        free (text);
    }
    return reply;
}

static int64_t
s_counter (const hl_msg_t *status, const char *group, const char *key)
{
    const hl_value_t *g = hl_value_get (hl_msg_data (status), group);
    return hl_value_get_int (g, key, -1);
}

static int64_t
s_rejected_by (const hl_msg_t *status, const char *group, const char *why)
{
    const hl_value_t *g = hl_value_get (hl_msg_data (status), group);
    return hl_value_get_int (hl_value_get (g, "rejected_by"), why, 0);
}

/*  Wait until status group.key reaches want, or the deadline passes. */
static int64_t
s_wait_counter (const ht_master_t *m, const char *group, const char *key,
                int64_t want)
{
    int64_t deadline = zclock_mono () + 5000;
    int64_t value = -1;
    zpoller_t *idle = zpoller_new (NULL);
    while (zclock_mono () < deadline) {
        hl_msg_t *status = s_status (m);
        value = s_counter (status, group, key);
        hl_msg_destroy (&status);
        if (value >= want)
            break;
        zpoller_wait (idle, 20); /* a short step between polls */
    }
    zpoller_destroy (&idle);
    return value;
}

static zframe_t *
s_encoded_request (const char *op)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_REQUEST);
    hl_msg_set_op (msg, op);
    uint8_t *data;
    size_t size;
    assert_int_equal (hl_msg_encode (msg, &data, &size), 0);
    zframe_t *frame = zframe_new (data, size);
    free (data);
    hl_msg_destroy (&msg);
    return frame;
}

/*  Send frames (a NULL-terminated list of zframe_t*) as one message. */
static void
s_send_frames (zsock_t *sock, ...)
{
    zmsg_t *msg = zmsg_new ();
    va_list ap;
    va_start (ap, sock);
    zframe_t *frame;
    while ((frame = va_arg (ap, zframe_t *)))
        zmsg_append (msg, &frame);
    va_end (ap);
    assert_int_equal (zmsg_send (&msg, sock), 0);
}

/*  Read one reply on dealer; it must be a refusal. */
static void
s_expect_refusal (zsock_t *dealer)
{
    zpoller_t *poller = zpoller_new (dealer, NULL);
    assert_non_null (zpoller_wait (poller, 5000));
    zpoller_destroy (&poller);
    hl_msg_t *reply = NULL;
    assert_int_equal (hl_bus_recv (dealer, NULL, &reply, NULL), 0);
    assert_int_equal (hl_msg_type (reply), HL_MSG_REPLY);
    assert_false (hl_msg_ok (reply));
    assert_true (strlen (hl_msg_error (reply)) > 0);
    hl_msg_destroy (&reply);
}

static void
test_control_garbage (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, NULL));
    zsock_t *dealer = hl_sock_connect (ZMQ_DEALER, m.control, NULL, NULL);
    assert_non_null (dealer);

    /*  1. bytes that are not an envelope at all */
    s_send_frames (dealer, zframe_new ("\xc1garbage", 8), NULL);
    s_expect_refusal (dealer);
    /*  2. a valid request cut short */
    zframe_t *whole = s_encoded_request ("status");
    s_send_frames (dealer,
                   zframe_new (zframe_data (whole), zframe_size (whole) - 3),
                   NULL);
    zframe_destroy (&whole);
    s_expect_refusal (dealer);
    /*  3. msgpack, but an array, not an envelope */
    s_send_frames (dealer, zframe_new ("\x93\x01\x02\x03", 4), NULL);
    s_expect_refusal (dealer);
    /*  4. a frame over the message limit, under the socket's wall */
    zframe_t *big = zframe_new (NULL, HL_MSG_MAX_SIZE + 1);
    memset (zframe_data (big), 0x42, zframe_size (big));
    s_send_frames (dealer, big, NULL);
    s_expect_refusal (dealer);
    /*  5. a valid message of a type control does not take */
    hl_msg_t *hello = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (hello, 0);
    assert_int_equal (hl_bus_send (dealer, &hello), 0);
    s_expect_refusal (dealer);
    /*  6. two frames where one is expected */
    s_send_frames (dealer, s_encoded_request ("status"), zframe_new ("x", 1),
                   NULL);
    s_expect_refusal (dealer);
    /*  7. an operation nobody serves */
    s_send_frames (dealer, s_encoded_request ("no.such.op"), NULL);
    s_expect_refusal (dealer);

    hl_msg_t *status = s_status (&m);
    assert_int_equal (s_counter (status, "control", "rejected"), 6);
    assert_int_equal (s_rejected_by (status, "control", "malformed"), 1);
    assert_int_equal (s_rejected_by (status, "control", "root"), 2);
    assert_int_equal (s_rejected_by (status, "control", "too_big"), 1);
    assert_int_equal (s_rejected_by (status, "control", "unsupported"), 1);
    assert_int_equal (s_rejected_by (status, "control", "frames"), 1);
    assert_true (hl_value_get_int (hl_msg_data (status), "decode_errors", 0)
                 >= 6);
    hl_msg_destroy (&status);

    /*  8. far over the wall: libzmq drops the connection, the master
        lives on and a new client is served. */
    zframe_t *huge = zframe_new (NULL, 3 * HL_MSG_MAX_SIZE);
    memset (zframe_data (huge), 0x42, zframe_size (huge));
    s_send_frames (dealer, huge, NULL);
    zsock_destroy (&dealer);
    static char out[1 << 16]; /* status --json is some kilobytes */
    assert_int_equal (ht_ctl (&m, out, sizeof out, "status", NULL), 0);
    assert_non_null (strstr (out, "helios-master"));
    assert_int_equal (ht_ctl (&m, out, sizeof out, "status", "--json", NULL),
                      0);
    json_t *json = json_loads (out, 0, NULL);
    assert_non_null (json);
    assert_non_null (json_object_get (json, "version"));
    assert_true (json_number_value (json_object_get (json, "uptime_s")) >= 0);
    json_decref (json);
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_bus_garbage (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, NULL));
    zsock_t *pub = hl_sock_publisher (m.bus_in, NULL);
    assert_non_null (pub);
    assert_int_equal (hl_sock_publisher_wait (pub, 5000), 0);

    hl_msg_t *metric = hl_msg_new (HL_MSG_METRIC);
    hl_msg_set_name (metric, "api_response_time");
    hl_msg_set_value (metric, 12.5);
    hl_msg_set_sample_ts (metric, hl_msg_now_us ());
    uint8_t *env;
    size_t env_size;
    assert_int_equal (hl_msg_encode (metric, &env, &env_size), 0);
    hl_msg_destroy (&metric);
    const char *topic = "metric.api_response_time";

    /*  1. one frame */
    s_send_frames (pub, zframe_new (topic, strlen (topic)), NULL);
    /*  2. three frames */
    s_send_frames (pub, zframe_new (topic, strlen (topic)),
                   zframe_new (env, env_size), zframe_new ("x", 1), NULL);
    /*  3. not msgpack */
    s_send_frames (pub, zframe_new (topic, strlen (topic)),
                   zframe_new ("\xc1\xc1\xc1", 3), NULL);
    /*  4. truncated envelope */
    s_send_frames (pub, zframe_new (topic, strlen (topic)),
                   zframe_new (env, env_size - 4), NULL);
    /*  5. a topic with a space */
    s_send_frames (pub, zframe_new ("metric.a b", 10),
                   zframe_new (env, env_size), NULL);
    /*  6. a topic that is not the envelope's type */
    s_send_frames (pub, zframe_new ("health", 6), zframe_new (env, env_size),
                   NULL);
    /*  7. an envelope over the limit */
    zframe_t *big = zframe_new (NULL, HL_MSG_MAX_SIZE + 1);
    memset (zframe_data (big), 0x42, zframe_size (big));
    s_send_frames (pub, zframe_new (topic, strlen (topic)), big, NULL);
    /*  8. and a good one, which must still get through */
    s_send_frames (pub, zframe_new (topic, strlen (topic)),
                   zframe_new (env, env_size), NULL);
    free (env);

    assert_int_equal (s_wait_counter (&m, "bus", "received", 8), 8);
    hl_msg_t *status = s_status (&m);
    assert_int_equal (s_counter (status, "bus", "rejected"), 7);
    assert_int_equal (s_rejected_by (status, "bus", "frames"), 2);
    assert_int_equal (s_rejected_by (status, "bus", "topic"), 2);
    assert_int_equal (s_rejected_by (status, "bus", "too_big"), 1);
    assert_int_equal (s_rejected_by (status, "bus", "malformed"), 1);
    assert_int_equal (s_rejected_by (status, "bus", "root"), 1);
    assert_int_equal (s_counter (status, "bus", "forwarded"), 1);
    hl_msg_destroy (&status);
    zsock_destroy (&pub);
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_ctl_errors (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, NULL));
    char out[4096];
    /*  bad usage: exit 2 */
    assert_int_equal (ht_ctl (&m, out, sizeof out, "frobnicate", NULL), 2);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "metric", "push", "x", NULL),
                      2);
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "metric", "push", "x", "nan", NULL), 2);
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "metric", "push", "x", "12abc", NULL), 2);
    /*  refused by the master: exit 1 */
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "metric", "push", "bad name!", "1", NULL),
        1);
    /*  nobody there: exit 1 after the deadline */
    const char *argv[] = { ht_bin ("helios-ctl"),
                           "-e",
                           "tcp://127.0.0.1:9",
                           "-t",
                           "300",
                           "status",
                           NULL };
    assert_int_equal (ht_run (argv, 5000, out, sizeof out), 1);
    /*  a bad config: exit 1 */
    const char *cfg[]
        = { ht_bin ("helios-ctl"), "-c", "/nonexistent.cfg", "status", NULL };
    assert_int_equal (ht_run (cfg, 5000, out, sizeof out), 1);
    /*  and the master served all along */
    assert_int_equal (ht_ctl (&m, out, sizeof out, "status", NULL), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_master_bad_start (void **state)
{
    (void)state;
    char dir[256], path[320], out[1024];
    ht_tmpdir (dir, sizeof dir);
    /*  a config with an error: exit 1, no READY */
    ht_write_config (dir, NULL, NULL, "cycle = { duration = -5; };", path,
                     sizeof path);
    const char *argv[] = { ht_bin ("helios-master"), "-c", path, NULL };
    assert_int_equal (ht_run (argv, 5000, out, sizeof out), 1);
    assert_null (strstr (out, "READY"));
    const char *usage[] = { ht_bin ("helios-master"), "--frobnicate", NULL };
    assert_int_equal (ht_run (usage, 5000, out, sizeof out), 2);
    ht_rmdir (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_control_garbage, ht_teardown),
        cmocka_unit_test_teardown (test_bus_garbage, ht_teardown),
        cmocka_unit_test_teardown (test_ctl_errors, ht_teardown),
        cmocka_unit_test_teardown (test_master_bad_start, ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
