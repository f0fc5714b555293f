/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    Unit tests of hl_proxy: forwarding over tcp and inproc, garbage counted
    by reason and never forwarded, the master's types refused from bus-in
    and taken from the owner's inproc publisher, drops counted at a full
    subscriber, subscriptions counted, bind failures reported.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_proxy.h"
#include "../../proto/hl_codec.h"
#include "msg_fixtures.h"
#include "recv_wait.h"

#define ANY "tcp://127.0.0.1:*"
#define WAIT_MS 5000

static hl_msg_t *
s_metric (const char *name, double value)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
    assert_non_null (msg);
    hl_msg_set_src (msg, "test");
    hl_msg_set_name (msg, name);
    hl_msg_set_value (msg, value);
    hl_msg_set_sample_ts (msg, 1);
    return msg;
}

//  Poll the proxy's counters until pred holds, with a deadline
static void
s_wait_stats (hl_proxy_t *proxy, hl_proxy_stats_t *stats,
              bool (*pred) (const hl_proxy_stats_t *, uint64_t), uint64_t arg)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (true) {
        assert_int_equal (hl_proxy_stats (proxy, stats), 0);
        if (pred (stats, arg))
            return;
        assert_true (zclock_mono () < deadline);
        zmq_poll (NULL, 0, 5);
    }
}

static bool
s_has_subscribers (const hl_proxy_stats_t *s, uint64_t n)
{
    return s->subscribers >= n;
}

static bool
s_has_received (const hl_proxy_stats_t *s, uint64_t n)
{
    return s->received >= n;
}

static bool
s_settled (const hl_proxy_stats_t *s, uint64_t n)
{
    return s->received == n && s->forwarded + s->dropped + s->rejected == n;
}

static zsock_t *
s_ready_publisher (const char *endpoint, const hl_sock_opts_t *opts)
{
    zsock_t *pub = hl_sock_publisher (endpoint, opts);
    assert_non_null (pub);
    assert_int_equal (hl_sock_publisher_wait (pub, WAIT_MS), 0);
    return pub;
}

static void
test_forward (void **state)
{
    (void)state;
    char err[256];
    hl_proxy_t *proxy = hl_proxy_new (ANY, ANY, NULL, NULL, err, sizeof err);
    assert_non_null (proxy);
    assert_non_null (strstr (hl_proxy_bus_in (proxy), "tcp://127.0.0.1:"));
    assert_non_null (strstr (hl_proxy_bus_out (proxy), "tcp://127.0.0.1:"));
    assert_non_null (strstr (hl_proxy_inproc_in (proxy), "inproc://"));
    assert_non_null (strstr (hl_proxy_inproc_out (proxy), "inproc://"));

    const char *prefix[] = { "metric." };
    zsock_t *sub
        = hl_sock_subscriber (hl_proxy_bus_out (proxy), prefix, 1, NULL);
    zsock_t *sub_in
        = hl_sock_subscriber (hl_proxy_inproc_out (proxy), NULL, 0, NULL);
    zsock_set_rcvtimeo (sub, WAIT_MS);
    zsock_set_rcvtimeo (sub_in, WAIT_MS);
    hl_proxy_stats_t stats;
    s_wait_stats (proxy, &stats, s_has_subscribers, 2);

    zsock_t *pub = s_ready_publisher (hl_proxy_bus_in (proxy), NULL);
    zsock_t *pub_in = s_ready_publisher (hl_proxy_inproc_in (proxy), NULL);
    hl_msg_t *msg = s_metric ("a", 1);
    assert_int_equal (hl_bus_send (pub, &msg), 0);
    msg = s_metric ("b", 2);
    assert_int_equal (hl_bus_send (pub_in, &msg), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal (recv_wait (sub, NULL, &msg, NULL), 0);
        assert_int_equal (hl_msg_type (msg), HL_MSG_METRIC);
        hl_msg_destroy (&msg);
        assert_int_equal (recv_wait (sub_in, NULL, &msg, NULL), 0);
        hl_msg_destroy (&msg);
    }
    s_wait_stats (proxy, &stats, s_settled, 2);
    assert_int_equal (stats.forwarded, 2);
    assert_int_equal (stats.rejected, 0);
    assert_true (stats.bytes > 0);

    zsock_destroy (&pub);
    zsock_destroy (&pub_in);
    zsock_destroy (&sub);
    zsock_destroy (&sub_in);
    hl_proxy_destroy (&proxy);
    assert_null (proxy);
    hl_proxy_destroy (&proxy);
}

static void
s_send_raw (void *h, const void *topic, size_t topic_len, const void *env,
            size_t env_len)
{
    if (topic)
        assert_int_equal (zmq_send (h, topic, topic_len, ZMQ_SNDMORE),
                          (int)topic_len);
    assert_int_equal (zmq_send (h, env, env_len, 0), (int)env_len);
}

static void
test_garbage (void **state)
{
    (void)state;
    char err[256];
    hl_proxy_t *proxy = hl_proxy_new (ANY, ANY, NULL, NULL, err, sizeof err);
    assert_non_null (proxy);
    zsock_t *sub = hl_sock_subscriber (hl_proxy_bus_out (proxy), NULL, 0, NULL);
    zsock_set_rcvtimeo (sub, WAIT_MS);
    hl_proxy_stats_t stats;
    s_wait_stats (proxy, &stats, s_has_subscribers, 1);
    zsock_t *pub = s_ready_publisher (hl_proxy_bus_in (proxy), NULL);
    void *h = zsock_resolve (pub);

    hl_msg_t *msg = s_metric ("x", 1);
    uint8_t *env;
    size_t env_len;
    assert_int_equal (hl_msg_encode (msg, &env, &env_len), 0);
    hl_msg_destroy (&msg);
    uint64_t want[HL_ERR_COUNT] = { 0 };
    char type[64];

    //  Random bytes: whatever the peek says
    uint8_t noise[64];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (uint8_t)(i * 37 + 11);
    int noise_rc = hl_codec_peek (noise, sizeof noise, type, sizeof type);
    assert_true (noise_rc < 0);
    s_send_raw (h, "metric.x", 8, noise, sizeof noise);
    want[-noise_rc]++;
    //  One frame, three frames
    s_send_raw (h, NULL, 0, env, env_len);
    want[-HL_ERR_FRAMES]++;
    assert_int_equal (zmq_send (h, "metric.x", 8, ZMQ_SNDMORE), 8);
    assert_int_equal (zmq_send (h, env, env_len, ZMQ_SNDMORE), (int)env_len);
    assert_int_equal (zmq_send (h, "more", 4, 0), 4);
    want[-HL_ERR_FRAMES]++;
    //  Bad topics: empty, a space, a control byte, too long
    s_send_raw (h, "", 0, env, env_len);
    s_send_raw (h, "metric.a b", 10, env, env_len);
    s_send_raw (h, "metric.\x01", 8, env, env_len);
    char longtopic[HL_MAX_TOPIC + 1];
    memcpy (longtopic, "metric.", 7);
    memset (longtopic + 7, 'x', sizeof longtopic - 7);
    s_send_raw (h, longtopic, sizeof longtopic, env, env_len);
    want[-HL_ERR_TOPIC] += 4;
    //  Topic and type disagree, also on a shared prefix
    s_send_raw (h, "health", 6, env, env_len);
    s_send_raw (h, "metrics.x", 9, env, env_len);
    s_send_raw (h, "metri.x", 7, env, env_len);
    want[-HL_ERR_TOPIC] += 3;
    //  Truncated msgpack
    int trunc_rc = hl_codec_peek (env, 3, type, sizeof type);
    assert_true (trunc_rc < 0);
    s_send_raw (h, "metric.x", 8, env, 3);
    want[-trunc_rc]++;
    //  A map, but not a Helios envelope: {"a": 1}
    const uint8_t foreign[] = { 0x81, 0xa1, 'a', 0x01 };
    int foreign_rc = hl_codec_peek (foreign, sizeof foreign, type, sizeof type);
    assert_true (foreign_rc < 0);
    s_send_raw (h, "metric.x", 8, foreign, sizeof foreign);
    want[-foreign_rc]++;
    uint64_t bad = 0;
    for (int i = 0; i < HL_ERR_COUNT; i++)
        bad += want[i];

    //  At the limit: a topic of HL_MAX_TOPIC bytes whose first word is the
    //  type is forwarded (full topic checks are the subscribers' job)
    s_send_raw (h, longtopic, HL_MAX_TOPIC, env, env_len);
    //  And a valid message after all that
    msg = s_metric ("after", 5);
    assert_int_equal (hl_bus_send (pub, &msg), 0);

    s_wait_stats (proxy, &stats, s_settled, bad + 2);
    assert_int_equal (stats.rejected, bad);
    assert_int_equal (stats.forwarded, 2);
    for (int i = 1; i < HL_ERR_COUNT; i++)
        assert_int_equal (stats.rejected_by[i], want[i]);

    //  Only the two valid ones came out, in order
    zmq_msg_t topic;
    zmq_msg_init (&topic);
    assert_true (zmq_msg_recv (&topic, zsock_resolve (sub), 0) >= 0);
    assert_int_equal (zmq_msg_size (&topic), HL_MAX_TOPIC);
    zmq_msg_close (&topic);
    zframe_t *rest = zframe_recv (sub);
    zframe_destroy (&rest);
    assert_int_equal (recv_wait (sub, NULL, &msg, NULL), 0);
    assert_string_equal (hl_msg_name (msg), "after");
    hl_msg_destroy (&msg);
    free (env);
    zsock_destroy (&pub);
    zsock_destroy (&sub);
    hl_proxy_destroy (&proxy);
}

static void
test_dropped (void **state)
{
    (void)state;
    char err[256];
    hl_sock_opts_t opts;
    hl_sock_opts_default (&opts);
    opts.sndhwm = 10;
    hl_proxy_t *proxy = hl_proxy_new (ANY, ANY, &opts, NULL, err, sizeof err);
    assert_non_null (proxy);
    //  A subscriber that never reads, with a small queue
    hl_sock_opts_t small;
    hl_sock_opts_default (&small);
    small.rcvhwm = 10;
    zsock_t *sub
        = hl_sock_subscriber (hl_proxy_inproc_out (proxy), NULL, 0, &small);
    hl_proxy_stats_t stats;
    s_wait_stats (proxy, &stats, s_has_subscribers, 1);
    zsock_t *pub = s_ready_publisher (hl_proxy_inproc_in (proxy), NULL);
    const uint64_t n = 1000;
    for (uint64_t i = 0; i < n; i++) {
        hl_msg_t *msg = s_metric ("load", (double)i);
        assert_int_equal (hl_bus_send (pub, &msg), 0);
    }
    s_wait_stats (proxy, &stats, s_settled, n);
    assert_true (stats.dropped > 0);
    assert_true (stats.forwarded < n);
    assert_int_equal (stats.rejected, 0);
    zsock_destroy (&pub);
    zsock_destroy (&sub);
    s_wait_stats (proxy, &stats, s_has_received, n);
    hl_proxy_destroy (&proxy);
}

//  The proxy scans with the limits it was given, so its intake can skip
//  the owner's own scan.
static void
test_limits_and_intake (void **state)
{
    (void)state;
    char err[256];
    hl_limits_t limits;
    hl_limits_default (&limits);
    limits.max_str = 16;
    hl_proxy_t *proxy = hl_proxy_new (ANY, ANY, NULL, &limits, err, sizeof err);
    assert_non_null (proxy);
    zsock_t *intake = hl_proxy_intake (proxy, "metric", 0);
    assert_non_null (intake);
    zsock_t *pub = s_ready_publisher (hl_proxy_inproc_in (proxy), NULL);
    hl_msg_t *msg = s_metric ("cpu", 1);
    hl_msg_set_src (msg, "a-source-name-over-sixteen-bytes");
    assert_int_equal (hl_bus_send (pub, &msg), 0);
    msg = s_metric ("cpu", 2);
    assert_int_equal (hl_bus_send (pub, &msg), 0);
    hl_proxy_stats_t stats;
    s_wait_stats (proxy, &stats, s_settled, 2);
    assert_int_equal (stats.rejected, 1);
    assert_int_equal (stats.rejected_by[-HL_ERR_STRING], 1);

    zpoller_t *poller = zpoller_new (intake, NULL);
    assert_non_null (zpoller_wait (poller, WAIT_MS));
    zpoller_destroy (&poller);
    assert_int_equal (hl_bus_recv_intake (intake, &msg), 0);
    assert_int_equal (hl_msg_value (msg), 2);
    hl_msg_destroy (&msg);
    //  Nothing else came through
    assert_int_equal (hl_bus_recv_intake (intake, &msg), HL_ERR_IO);
    assert_int_equal (hl_bus_recv_intake (NULL, &msg), HL_ERR_ARGS);
    zsock_destroy (&pub);
    hl_proxy_destroy (&proxy);
}

static bool
s_readable (zsock_t *sock)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    bool ready = zpoller_wait (poller, WAIT_MS) != NULL;
    zpoller_destroy (&poller);
    return ready;
}

static bool
s_intake_settled (const hl_proxy_stats_t *s, uint64_t n)
{
    return s->intake + s->intake_dropped == n;
}

//  The intake gets what a SUB on the prefix gets, in order, in batches,
//  and bus-out subscribers still get everything.
static void
test_intake (void **state)
{
    (void)state;
    char err[256];
    hl_proxy_t *proxy = hl_proxy_new (ANY, ANY, NULL, NULL, err, sizeof err);
    assert_non_null (proxy);
    assert_null (hl_proxy_intake (proxy, NULL, 0));
    assert_null (hl_proxy_intake (proxy, "metric", -1));
    zsock_t *intake = hl_proxy_intake (proxy, "metric", 0);
    assert_non_null (intake);
    assert_null (hl_proxy_intake (proxy, "metric", 0)); /* one only */
    zsock_t *sub = hl_sock_subscriber (hl_proxy_bus_out (proxy), NULL, 0, NULL);
    hl_proxy_stats_t stats;
    s_wait_stats (proxy, &stats, s_has_subscribers, 1);
    zsock_t *pub = s_ready_publisher (hl_proxy_bus_in (proxy), NULL);
    zsock_t *owner = s_ready_publisher (hl_proxy_inproc_in (proxy), NULL);

    //  Metrics in one go (the proxy batches what it reads in one wakeup),
    //  with messages of other types in between that the intake skips
    //  (the owner's: bus-in may not carry them)
    const int n = 1000;
    int others = 0;
    for (int i = 0; i < n; i++) {
        hl_msg_t *msg = s_metric (i % 2 ? "cpu" : "mem", i);
        assert_int_equal (hl_bus_send (pub, &msg), 0);
        if (i % 100 == 0) {
            msg = hl_msg_new (HL_MSG_HEALTH);
            hl_msg_set_score (msg, 90);
            hl_msg_set_state (msg, "ok");
            assert_int_equal (hl_bus_send (owner, &msg), 0);
            others++;
        }
    }
    s_wait_stats (proxy, &stats, s_settled, (uint64_t)(n + others));
    assert_int_equal (stats.intake, n);
    assert_int_equal (stats.intake_dropped, 0);
    assert_int_equal (stats.forwarded, n + others);

    for (int i = 0; i < n; i++) {
        hl_msg_t *msg = NULL;
        assert_true (s_readable (intake));
        assert_int_equal (hl_bus_recv_intake (intake, &msg), 0);
        assert_int_equal (hl_msg_type (msg), HL_MSG_METRIC);
        assert_int_equal (hl_msg_value (msg), i);
        assert_string_equal (hl_msg_name (msg), i % 2 ? "cpu" : "mem");
        hl_msg_destroy (&msg);
    }
    hl_msg_t *msg = NULL;
    assert_int_equal (hl_bus_recv_intake (intake, &msg), HL_ERR_IO);
    //  bus-out had all of them
    for (int i = 0; i < n + others; i++) {
        assert_int_equal (recv_wait (sub, NULL, &msg, NULL), 0);
        hl_msg_destroy (&msg);
    }
    zsock_destroy (&pub);
    zsock_destroy (&owner);
    zsock_destroy (&sub);
    hl_proxy_destroy (&proxy);
}

//  Only the owner speaks as the owner: from bus-in every type but metric
//  and metrics is refused and counted as authority, whatever its topic;
//  the same types from the owner's inproc publisher pass.
static void
test_authority (void **state)
{
    (void)state;
    char err[256];
    hl_proxy_t *proxy = hl_proxy_new (ANY, ANY, NULL, NULL, err, sizeof err);
    assert_non_null (proxy);
    zsock_t *sub = hl_sock_subscriber (hl_proxy_bus_out (proxy), NULL, 0, NULL);
    zsock_set_rcvtimeo (sub, WAIT_MS);
    hl_proxy_stats_t stats;
    s_wait_stats (proxy, &stats, s_has_subscribers, 1);
    zsock_t *foreign = s_ready_publisher (hl_proxy_bus_in (proxy), NULL);
    zsock_t *owner = s_ready_publisher (hl_proxy_inproc_in (proxy), NULL);

    //  Every type, the tasks and control ones included, from a stranger:
    //  twice each, so that the log says it once per type
    uint64_t refused = 0;
    for (int round = 0; round < 2; round++)
        for (int t = HL_MSG_HELLO; t < HL_MSG_TYPE_END; t++) {
            hl_msg_t *msg = s_full ((hl_msg_type_t)t);
            if (hl_msg_type_public ((hl_msg_type_t)t)) {
                hl_msg_destroy (&msg);
                continue;
            }
            assert_int_equal (hl_bus_send (foreign, &msg), 0);
            refused++;
        }
    //  Then what a stranger may send, and the owner's own kpi
    hl_msg_t *msg = s_full (HL_MSG_METRIC);
    assert_int_equal (hl_bus_send (foreign, &msg), 0);
    msg = s_full (HL_MSG_METRICS);
    assert_int_equal (hl_bus_send (foreign, &msg), 0);
    s_wait_stats (proxy, &stats, s_settled, refused + 2);
    msg = s_full (HL_MSG_KPI);
    assert_int_equal (hl_bus_send (owner, &msg), 0);
    s_wait_stats (proxy, &stats, s_settled, refused + 3);
    assert_int_equal (stats.rejected, refused);
    assert_int_equal (stats.rejected_by[-HL_ERR_AUTHORITY], refused);
    assert_int_equal (stats.forwarded, 3);
    assert_string_equal (hl_errname (HL_ERR_AUTHORITY), "authority");

    //  Exactly those three came out, in order
    hl_msg_type_t want[] = { HL_MSG_METRIC, HL_MSG_METRICS, HL_MSG_KPI };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal (recv_wait (sub, NULL, &msg, NULL), 0);
        assert_int_equal (hl_msg_type (msg), want[i]);
        hl_msg_destroy (&msg);
    }
    zsock_set_rcvtimeo (sub, 100);
    zmsg_t *none = zmsg_recv (sub);
    assert_null (none);
    zsock_destroy (&foreign);
    zsock_destroy (&owner);
    zsock_destroy (&sub);
    hl_proxy_destroy (&proxy);
}

//  An owner that does not read: past the intake's HWM messages are
//  dropped and counted, and every message counted as passed is there.
static void
test_intake_full (void **state)
{
    (void)state;
    char err[256];
    hl_proxy_t *proxy = hl_proxy_new (ANY, ANY, NULL, NULL, err, sizeof err);
    assert_non_null (proxy);
    zsock_t *intake = hl_proxy_intake (proxy, "metric", 100);
    assert_non_null (intake);
    hl_sock_opts_t opts;
    hl_sock_opts_default (&opts);
    opts.sndhwm = 0; /* the publisher never drops: only the intake does */
    zsock_t *pub = s_ready_publisher (hl_proxy_inproc_in (proxy), &opts);
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        hl_msg_t *msg = s_metric ("cpu", i);
        assert_int_equal (hl_bus_send (pub, &msg), 0);
    }
    hl_proxy_stats_t stats;
    s_wait_stats (proxy, &stats, s_intake_settled, (uint64_t)n);
    assert_true (stats.intake_dropped > 0);
    assert_true (stats.intake > 0);
    //  The queue is bounded: no more than a few batches of 64
    assert_true (stats.intake <= 4 * 64);
    uint64_t got = 0;
    hl_msg_t *msg = NULL;
    while (hl_bus_recv_intake (intake, &msg) == 0) {
        hl_msg_destroy (&msg);
        got++;
    }
    assert_int_equal (got, stats.intake);
    zsock_destroy (&pub);
    hl_proxy_destroy (&proxy);
}

//  Wait until the owner's mirror says topic is (or is not) wanted
static bool
s_wait_wanted (hl_proxy_t *proxy, const char *topic, bool want)
{
    zpoller_t *poller = zpoller_new (hl_proxy_subscriptions (proxy), NULL);
    int64_t deadline = zclock_mono () + 5000;
    bool now = hl_proxy_wanted (proxy, topic);
    while (now != want && zclock_mono () < deadline) {
        if (zpoller_wait (poller, 100))
            hl_proxy_subscriptions_update (proxy);
        now = hl_proxy_wanted (proxy, topic);
    }
    zpoller_destroy (&poller);
    return now == want;
}

static void
test_wanted (void **state)
{
    (void)state;
    char err[256];
    hl_proxy_t *proxy = hl_proxy_new (ANY, ANY, NULL, NULL, err, sizeof err);
    assert_non_null (proxy);
    assert_false (hl_proxy_wanted (proxy, "task.completed"));

    const char *prefixes[] = { "task." };
    zsock_t *sub
        = hl_sock_subscriber (hl_proxy_bus_out (proxy), prefixes, 1, NULL);
    assert_true (s_wait_wanted (proxy, "task.completed", true));
    assert_false (hl_proxy_wanted (proxy, "agent.joined"));
    assert_false (hl_proxy_wanted (proxy, "task"));
    //  A second subscriber to everything, then both go
    zsock_t *all = hl_sock_subscriber (hl_proxy_bus_out (proxy), NULL, 0, NULL);
    assert_true (s_wait_wanted (proxy, "agent.joined", true));
    zsock_destroy (&all);
    assert_true (s_wait_wanted (proxy, "agent.joined", false));
    assert_true (hl_proxy_wanted (proxy, "task.completed"));
    zsock_destroy (&sub);
    assert_true (s_wait_wanted (proxy, "task.completed", false));
    hl_proxy_destroy (&proxy);
}

static void
test_bind_failure (void **state)
{
    (void)state;
    char err[256] = "";
    assert_null (
        hl_proxy_new ("nonsense://x", ANY, NULL, NULL, err, sizeof err));
    assert_non_null (strstr (err, "nonsense://x"));
    hl_proxy_t *first = hl_proxy_new (ANY, ANY, NULL, NULL, err, sizeof err);
    assert_non_null (first);
    err[0] = 0;
    assert_null (hl_proxy_new (ANY, hl_proxy_bus_out (first), NULL, NULL, err,
                               sizeof err));
    assert_non_null (strstr (err, hl_proxy_bus_out (first)));
    assert_null (hl_proxy_new (NULL, ANY, NULL, NULL, err, sizeof err));
    hl_proxy_destroy (&first);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_forward),
        cmocka_unit_test (test_garbage),
        cmocka_unit_test (test_authority),
        cmocka_unit_test (test_dropped),
        cmocka_unit_test (test_limits_and_intake),
        cmocka_unit_test (test_intake),
        cmocka_unit_test (test_intake_full),
        cmocka_unit_test (test_wanted),
        cmocka_unit_test (test_bind_failure),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
