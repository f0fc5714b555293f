/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_statsd - StatsD datagrams over UDP to the real helios-master:
    timers, gauges, counters, a mapped name with its unit converted,
    malformed lines, an unknown name, a value out of range and an
    oversize datagram, each counted in status by reason; the samples
    reach the tracker, kpi.<name> on the bus and health. A taken port
    stops the master at start with the reason.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <czmq.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../../proto/hl_msg.h"
#include "harness.h"

static const char *s_sections
    = "health = { window = 60; };\n"
      "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; unit = \"ms\";\n"
      "    better = \"lower\"; stat = \"p95\"; target = 100.0;\n"
      "    critical = 500.0; key = true; },\n"
      "  { name = \"hits\"; category = \"backend\"; unit = \"%\";\n"
      "    better = \"higher\"; stat = \"mean\"; target = 90.0;\n"
      "    critical = 50.0; },\n"
      "  { name = \"throughput\"; category = \"backend\"; unit = \"msg/s\";\n"
      "    better = \"higher\"; stat = \"mean\"; target = 100.0;\n"
      "    critical = 10.0; } );\n"
      "statsd = { max_packet = 1432;\n"
      "  mapping = (\n"
      "    { match = \"shop.*.request_time\"; tags = [ \"env:prod\" ];\n"
      "      metric = \"latency\"; unit = \"s\"; },\n"
      "    { match = \"cache.hit_ratio\"; metric = \"hits\";\n"
      "      unit = \"ratio\"; },\n"
      "    { match = \"chat.messages\"; metric = \"throughput\"; } ); };\n";

/*  A scratch folder and a config whose StatsD listener is statsd. */
static void
s_config (ht_master_t *m, const char *statsd)
{
    memset (m, 0, sizeof *m);
    ht_tmpdir (m->dir, sizeof m->dir);
    snprintf (m->config, sizeof m->config, "%s/helios.cfg", m->dir);
    FILE *f = fopen (m->config, "w");
    assert_non_null (f);
    fprintf (f,
             "master = { tasks = \"tcp://127.0.0.1:*\";\n"
             "  control = \"tcp://127.0.0.1:*\";\n"
             "  bus_in = \"tcp://127.0.0.1:*\";\n"
             "  bus_out = \"tcp://127.0.0.1:*\";\n"
             "  http = \"\"; statsd = \"%s\";\n"
             "  state_dir = \"%s/state\"; };\n%s",
             statsd, m->dir, s_sections);
    fclose (f);
}

/*  Start a master on it. */
static bool
s_master (ht_master_t *m, const char *statsd)
{
    s_config (m, statsd);
    return ht_master_launch (m);
}

static hl_msg_t *
s_status (const ht_master_t *m)
{
    hl_msg_t *status = (hl_msg_t *)ht_request (m, "status", NULL);
    assert_non_null (status);
    return status;
}

/*  The master's StatsD port, from status. */
static int
s_port (const ht_master_t *m)
{
    hl_msg_t *status = s_status (m);
    const char *ep = hl_value_get_str (
        hl_value_get (hl_msg_data (status), "endpoints"), "statsd", "");
    const char *colon = strrchr (ep, ':');
    assert_non_null (colon);
    assert_int_equal (strncmp (ep, "127.0.0.1:", 10), 0);
    int port = atoi (colon + 1);
    hl_msg_destroy (&status);
    assert_true (port > 0);
    return port;
}

static void
s_send (int fd, const char *text)
{
    assert_int_equal (send (fd, text, strlen (text), 0),
                      (ssize_t)strlen (text));
}

/*  status.statsd, once its lines reach want (or the deadline passes). */
static hl_msg_t *
s_wait_lines (const ht_master_t *m, int64_t want)
{
    int64_t deadline = zclock_mono () + 5000;
    while (true) {
        hl_msg_t *status = s_status (m);
        const hl_value_t *sd = hl_value_get (hl_msg_data (status), "statsd");
        if (hl_value_get_int (sd, "lines", 0) >= want
            || zclock_mono () >= deadline)
            return status;
        hl_msg_destroy (&status);
        zclock_sleep (20); /* a short step between polls */
    }
}

static void
test_statsd_in (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (s_master (&m, "127.0.0.1:0"));
    /*  A spy on kpi.; its subscription is in once health comes. */
    const char *argv[] = { ht_bin ("helios-spy"),
                           "-e",
                           m.bus_out,
                           "--topic",
                           "kpi.",
                           "--topic",
                           "health",
                           "--timeout",
                           "30",
                           NULL };
    ht_proc_t *spy = ht_start (argv);
    char line[65536];
    assert_true (ht_read_line (spy, line, sizeof line, 5000));

    int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = { .sin_family = AF_INET };
    to.sin_port = htons ((uint16_t)s_port (&m));
    to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *)&to, sizeof to), 0);

    /*  Datagram 1: several lines, DogStatsD packed values, a mapped name
        in seconds with its tag, Etsy segments. 7 lines, 8 samples. */
    s_send (fd, "latency:150|ms\n"
                "latency:160:170|ms|#host:a\n"
                "shop.cart.request_time:0.180|h|#env:prod,az:1\n"
                "cache.hit_ratio:0.7|g\n"
                "hits:70|g\n"
                "hits:+0|g|@0.5\n"
                "chat.messages:5|c|@0.5:3|c\n");
    /*  Datagram 2: refusals, each by its reason. 9 lines. */
    s_send (fd, "latency:fast|ms\n"              /* value */
                "latency:1|zz\n"                 /* type */
                "latency\n"                      /* format */
                "latency:1|ms|@2\n"              /* rate */
                "latency:1|ms|#\n"               /* tags */
                "users:alice|s\n"                /* unsupported */
                "shop.cart.request_time:0.2|h\n" /* unknown: no tag */
                "latency:-3|ms\n"                /* out of range */
                "hits:250|g\n");                 /* out of range */
    /*  Datagram 3: over the 1432-byte cap, dropped whole. */
    char big[1500];
    memset (big, 'a', sizeof big);
    memcpy (big, "latency:1|ms\n", 13);
    assert_int_equal (send (fd, big, sizeof big, 0), (ssize_t)sizeof big);

    hl_msg_t *status = s_wait_lines (&m, 16);
    const hl_value_t *sd = hl_value_get (hl_msg_data (status), "statsd");
    assert_non_null (sd);
    assert_int_equal (hl_value_get_int (sd, "packets", -1), 3);
    assert_int_equal (hl_value_get_int (sd, "oversize", -1), 1);
    assert_int_equal (hl_value_get_int (sd, "lines", -1), 16);
    assert_int_equal (hl_value_get_int (sd, "malformed", -1), 5);
    const hl_value_t *by = hl_value_get (sd, "malformed_by");
    assert_int_equal (hl_value_get_int (by, "value", -1), 1);
    assert_int_equal (hl_value_get_int (by, "type", -1), 1);
    assert_int_equal (hl_value_get_int (by, "format", -1), 1);
    assert_int_equal (hl_value_get_int (by, "rate", -1), 1);
    assert_int_equal (hl_value_get_int (by, "tags", -1), 1);
    assert_int_equal (hl_value_get_int (sd, "unsupported", -1), 1);
    assert_int_equal (hl_value_get_int (sd, "unknown", -1), 1);
    assert_int_equal (hl_value_get_int (hl_value_get (sd, "unknown_names"),
                                        "shop.cart.request_time", -1),
                      1);
    assert_int_equal (hl_value_get_int (sd, "out_of_range", -1), 2);
    /*  latency 150, 160, 170, 180 (the mapped 0.180 s); hits 70 twice
        and 70 (0.7 as %); throughput comes a second later */
    assert_int_equal (hl_value_get_int (sd, "samples", -1), 7);
    assert_int_equal (hl_value_get_int (sd, "kernel_dropped", -1), 0);
    const hl_value_t *kpi = hl_value_get (hl_msg_data (status), "kpi");
    assert_int_equal (hl_value_get_int (kpi, "accepted", -1), 7);
    hl_msg_destroy (&status);

    /*  kpi.latency with the four samples; kpi.throughput with the
        counter's rate: 5 at 50% and 3 make 13 per second. */
    bool latency_seen = false, throughput_seen = false, health_seen = false;
    int64_t deadline = zclock_mono () + 10000;
    while ((!latency_seen || !throughput_seen || !health_seen)
           && zclock_mono () < deadline) {
        if (!ht_read_line (spy, line, sizeof line, 1000))
            continue;
        json_t *j = json_loads (line, 0, NULL);
        assert_non_null (j);
        const char *topic = json_string_value (json_object_get (j, "topic"));
        json_t *body = json_object_get (j, "body");
        if (streq (topic, "kpi.latency")) {
            assert_int_equal (
                json_integer_value (json_object_get (body, "count")), 4);
            assert_true (json_number_value (json_object_get (body, "min"))
                         == 150.0);
            assert_true (
                fabs (json_number_value (json_object_get (body, "max")) - 180.0)
                < 1e-9);
            latency_seen = true;
        }
        if (streq (topic, "kpi.throughput")
            && json_number_value (json_object_get (body, "max")) > 0) {
            assert_true (json_number_value (json_object_get (body, "max"))
                         == 13.0);
            throughput_seen = true;
        }
        if (streq (topic, "health") && latency_seen) {
            /*  latency p95 180 -> 80, hits 70 -> 50, throughput 13 or
                0 (a second without increments) -> low: degraded. */
            json_t *metrics
                = json_object_get (json_object_get (body, "data"), "metrics");
            json_t *lat = json_object_get (metrics, "latency");
            if (json_integer_value (json_object_get (lat, "count")) == 4) {
                assert_true (
                    fabs (json_number_value (json_object_get (lat, "score"))
                          - 80.0)
                    < 1.5);
                health_seen = true;
            }
        }
        json_decref (j);
    }
    assert_true (latency_seen);
    assert_true (throughput_seen);
    assert_true (health_seen);

    close (fd);
    assert_int_equal (ht_stop (&spy, 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  Someone holds the port: the master says so and exits 1 at once. */
static void
test_statsd_port_taken (void **state)
{
    (void)state;
    int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (fd, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t len = sizeof addr;
    assert_int_equal (getsockname (fd, (struct sockaddr *)&addr, &len), 0);
    char listen[64];
    snprintf (listen, sizeof listen, "127.0.0.1:%d",
              (int)ntohs (addr.sin_port));
    ht_master_t m;
    s_config (&m, listen);
    const char *argv[] = { ht_bin ("helios-master"), "-c", m.config, NULL };
    static char out[4096], err[4096];
    int64_t start = zclock_mono ();
    assert_int_equal (
        ht_run_group (argv, 5000, out, sizeof out, err, sizeof err), 1);
    assert_true (zclock_mono () - start < 3000);
    if (!strstr (err, "cannot bind statsd socket to 127.0.0.1:")
        || !strstr (err, "Address already in use"))
        fail_msg ("stderr does not say why: %s", err);
    close (fd);
    ht_rmdir (m.dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_statsd_in, ht_teardown),
        cmocka_unit_test_teardown (test_statsd_port_taken, ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
