/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_http - the real master's HTTP server on an ephemeral loopback
    port: the JSON API and the embedded dashboard's files; /metrics, which
    `promtool check metrics` (Debian's prometheus package) must pass
    without a word; the token (POST /api/runs, wrong tokens, no token
    configured, a Host that is not loopback); bad requests of every kind,
    each refused with its code and counted by reason; clients that
    dribble, stall or stop reading, which are cut or dropped and counted
    while the master answers as before; a master stopped with streams
    and slow clients open exits 0.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <poll.h>
#include <sys/socket.h>

#include "../../master/hl_client.h"
#include "harness.h"

#define S_TOKEN "test-token-0123456789abcdef"

static const char *s_metrics
    = "health = { window = 60; };\n"
      "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; better = \"lower\";\n"
      "    unit = \"ms\"; stat = \"p95\"; target = 100.0; critical = 500.0; "
      "},\n"
      "  { name = \"hits\"; category = \"backend\"; better = \"higher\";\n"
      "    unit = \"%\"; stat = \"mean\"; target = 90.0; critical = 50.0; } "
      ");\n"
      "limits = { http_connections = 6; http_sse_clients = 2;\n"
      "  http_timeout_ms = 1500; http_headers = 20; http_head_bytes = 4096;\n"
      "  http_body_bytes = 512; };\n";

static char s_body[1 << 20];
static char s_raw[1 << 20];

static void
s_start (ht_master_t *m, bool token)
{
    assert_true (ht_master_start (
        m,
        token ? "http = \"127.0.0.1:0\"; http_token = \"" S_TOKEN "\";"
              : "http = \"127.0.0.1:0\";",
        s_metrics));
    assert_non_null (strstr (m->http, "127.0.0.1:"));
}

static void
s_push (const ht_master_t *m, const char *name, double value)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "name", name);
    hl_value_set_double (args, "value", value);
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "metric.push", &args);
    assert_non_null (reply);
    assert_true (hl_msg_ok (reply));
    hl_msg_destroy (&reply);
}

/*  Samples for both metrics, and a health that has a score. */
static void
s_feed (const ht_master_t *m)
{
    for (int i = 0; i < 5; i++) {
        s_push (m, "latency", 120 + i);
        s_push (m, "hits", 85);
    }
    int64_t deadline = zclock_mono () + 5000;
    while (zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (m, "status", NULL);
        const hl_value_t *health
            = hl_value_get (hl_msg_data (status), "health");
        bool scored = hl_value_get (health, "score") != NULL;
        hl_msg_destroy (&status);
        if (scored)
            return;
        zclock_sleep (50); /* a short step between polls */
    }
    fail_msg ("health never had a score");
}

/*  status.http.<group>.<key> as an integer, -1 if absent. */
static int64_t
s_http_stat (const ht_master_t *m, const char *group, const char *key)
{
    hl_msg_t *status = (hl_msg_t *)ht_request (m, "status", NULL);
    assert_non_null (status);
    const hl_value_t *http = hl_value_get (hl_msg_data (status), "http");
    if (group)
        http = hl_value_get (http, group);
    int64_t n = hl_value_get_int (http, key, -1);
    hl_msg_destroy (&status);
    return n;
}

/*  A control request answers within ms: the reactor is not stalled. */
static void
s_master_answers (const ht_master_t *m, int ms)
{
    int64_t t0 = zclock_mono ();
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "agents", NULL);
    assert_non_null (reply);
    hl_msg_destroy (&reply);
    assert_true (zclock_mono () - t0 < ms);
}

static int
s_send (const ht_master_t *m, const char *request)
{
    return ht_http_raw (m->http, request, strlen (request), s_raw, sizeof s_raw,
                        5000);
}

static void
test_api (void **state)
{
    (void)state;
    ht_master_t m;
    s_start (&m, false);
    /*  The dashboard and its charting package come from the master. */
    assert_int_equal (s_send (&m, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Connection: close\r\n\r\n"),
                      200);
    assert_non_null (strstr (s_raw, "Content-Type: text/html"));
    assert_non_null (strstr (s_raw, "Content-Security-Policy: default-src "
                                    "'none'"));
    assert_non_null (strstr (s_raw, "<script src=\"/uplot.js\">"));
    assert_int_equal (
        ht_http_get (m.http, "/uplot.js", NULL, s_body, sizeof s_body), 200);
    assert_non_null (strstr (s_body, "uPlot"));
    assert_int_equal (ht_http_get (m.http, "/app.css", NULL, NULL, 0), 200);
    assert_int_equal (ht_http_get (m.http, "/app.js", NULL, NULL, 0), 200);
    assert_int_equal (s_send (&m, "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Connection: close\r\n\r\n"),
                      200);
    assert_null (strstr (s_raw, "<html"));

    s_feed (&m);
    assert_int_equal (
        ht_http_get (m.http, "/api/status", NULL, s_body, sizeof s_body), 200);
    json_t *j = json_loads (s_body, 0, NULL);
    assert_non_null (j);
    assert_string_equal (json_string_value (json_object_get (
                             json_object_get (j, "endpoints"), "http")),
                         m.http);
    assert_non_null (json_object_get (j, "http"));
    json_decref (j);

    assert_int_equal (
        ht_http_get (m.http, "/api/metrics", NULL, s_body, sizeof s_body), 200);
    j = json_loads (s_body, 0, NULL);
    json_t *metrics = json_object_get (j, "metrics");
    assert_int_equal (json_array_size (metrics), 2);
    json_t *lat = json_array_get (metrics, 0);
    assert_string_equal (json_string_value (json_object_get (lat, "name")),
                         "latency");
    assert_true (json_real_value (json_object_get (lat, "target")) == 100.0);
    assert_true (json_real_value (json_object_get (lat, "critical")) == 500.0);
    assert_true (json_is_number (json_object_get (lat, "value")));
    assert_true (json_real_value (json_object_get (
                     json_object_get (j, "health"), "threshold"))
                 == 50.0);
    json_decref (j);

    const char *arrays[] = { "/api/agents", "/api/cycles" };
    for (int i = 0; i < 2; i++) {
        assert_int_equal (
            ht_http_get (m.http, arrays[i], NULL, s_body, sizeof s_body), 200);
        j = json_loads (s_body, 0, NULL);
        assert_true (json_is_array (j));
        json_decref (j);
    }
    assert_int_equal (
        ht_http_get (m.http, "/api/actions", NULL, s_body, sizeof s_body), 200);
    j = json_loads (s_body, 0, NULL);
    assert_non_null (json_object_get (j, "actions"));
    json_decref (j);

    /*  History: the health the hub heard, one point a second. */
    int64_t deadline = zclock_mono () + 5000;
    size_t points = 0;
    while (points == 0 && zclock_mono () < deadline) {
        assert_int_equal (
            ht_http_get (m.http, "/api/history", NULL, s_body, sizeof s_body),
            200);
        j = json_loads (s_body, 0, NULL);
        points = json_array_size (json_object_get (j, "ts"));
        assert_non_null (json_object_get (
            json_object_get (json_object_get (j, "metrics"), "latency"),
            "value"));
        json_decref (j);
        if (!points)
            zclock_sleep (200); /* the next second's health */
    }
    assert_true (points > 0);

    /*  No run yet: its report is not found. */
    assert_int_equal (
        ht_http_get (m.http, "/api/cycles/7", NULL, s_body, sizeof s_body),
        404);
    assert_non_null (strstr (s_body, "\"reason\":\"refused\""));
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_metrics_promtool (void **state)
{
    (void)state;
    ht_master_t m;
    s_start (&m, false);
    s_feed (&m);
    /*  A task, so that the dispatch histogram has a count. */
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_bool (args, "wait", false);
    hl_msg_t *reply = (hl_msg_t *)ht_request (&m, "task.run", &args);
    assert_true (reply && hl_msg_ok (reply));
    hl_msg_destroy (&reply);

    assert_int_equal (
        ht_http_get (m.http, "/metrics", NULL, s_body, sizeof s_body), 200);
    const char *want[] = {
        "# TYPE helios_health_score gauge\nhelios_health_score ",
        "helios_kpi_seconds{metric=\"latency\",stat=\"p95\"} 0.12",
        "helios_kpi_target_seconds{metric=\"latency\",stat=\"p95\"} 0.1\n",
        "helios_kpi_ratio{metric=\"hits\",stat=\"mean\"} 0.85\n",
        "helios_metric_score{metric=\"hits\"}",
        "# TYPE helios_dispatch_latency_seconds histogram",
        "helios_dispatch_latency_seconds_bucket{le=\"+Inf\"} 0",
        "helios_tasks_submitted_total 1\n",
        "helios_verdicts_total{verdict=\"regressed\"} 0\n",
        "helios_bus_received_total ",
        "helios_bus_intake_dropped_total 0\n",
        "# TYPE helios_http_responses_total counter\n",
        "helios_build_info{version=\"",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr (s_body, want[i]))
            fail_msg ("/metrics lacks \"%s\"", want[i]);
    /*  Every family the Grafana dashboard queries is served. */
    json_t *grafana = json_load_file ("deploy/grafana/helios.json", 0, NULL);
    assert_non_null (grafana);
    size_t i, k;
    json_t *panel, *target;
    int families = 0;
    json_array_foreach (json_object_get (grafana, "panels"), i, panel) {
        json_array_foreach (json_object_get (panel, "targets"), k, target) {
            const char *expr
                = json_string_value (json_object_get (target, "expr"));
            for (const char *at = strstr (expr, "helios_"); at;
                 at = strstr (at + 1, "helios_")) {
                char name[128], family[140];
                size_t n = strspn (at, "abcdefghijklmnopqrstuvwxyz_");
                assert_true (n < sizeof name);
                memcpy (name, at, n);
                name[n] = 0;
                snprintf (family, sizeof family, "# TYPE %s ", name);
                char *bucket = strstr (family, "_bucket ");
                if (bucket)
                    strcpy (bucket, " ");
                /*  figures that have no value before the first runs */
                bool later = strstr (name, "optimization_success")
                             || strstr (name, "concurrent_optimization")
                             || strstr (name, "evenness")
                             || strstr (name, "availability")
                             || strstr (name, "overhead")
                             || strstr (name, "cycle_completion")
                             || !strcmp (name, "helios_kpi") /* no plain unit */
                             || !strcmp (name, "helios_kpi_target");
                if (!later && !strstr (s_body, family))
                    fail_msg ("Grafana queries %s, /metrics lacks it", name);
                families++;
                at += n - 1;
            }
        }
    }
    assert_true (families > 20);
    json_decref (grafana);

    char path[400], cmd[600], out[65536];
    snprintf (path, sizeof path, "%s/metrics.txt", m.dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (s_body, f);
    fclose (f);
    /*  promtool prints each problem and exits non-zero: nothing, 0. */
    snprintf (cmd, sizeof cmd, "promtool check metrics < '%s' 2>&1", path);
    const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    int rc = ht_run (argv, 30000, out, sizeof out);
    if (rc != 0 || *out)
        fail_msg ("promtool check metrics: exit %d: %s", rc, out);
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_tokens (void **state)
{
    (void)state;
    ht_master_t m;
    s_start (&m, true);
    const char *body = "{\"kind\":\"analysis\"}";
    char req[2048];
    /*  A run needs the token. */
    snprintf (req, sizeof req,
              "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Content-Type: application/json\r\nContent-Length: %zu\r\n"
              "Connection: close\r\n\r\n%s",
              strlen (body), body);
    assert_int_equal (s_send (&m, req), 401);
    assert_non_null (strstr (s_raw, "WWW-Authenticate: Bearer"));
    snprintf (req, sizeof req,
              "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Authorization: Bearer wrong-token-0123456789\r\n"
              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
              strlen (body), body);
    assert_int_equal (s_send (&m, req), 401);
    snprintf (req, sizeof req,
              "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Authorization: Bearer " S_TOKEN "\r\n"
              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
              strlen (body), body);
    assert_int_equal (s_send (&m, req), 202);
    assert_non_null (strstr (s_raw, "\"kind\":\"analysis\""));
    /*  Bodies: not JSON, an unknown key, a kind the master refuses, too
        big by its length or by what comes. */
    const char *bad[] = { "not json", "{\"kind\":\"analysis\",\"x\":1}",
                          "{\"kind\":\"teleport\"}", "[1,2]" };
    for (size_t i = 0; i < 4; i++) {
        snprintf (req, sizeof req,
                  "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Authorization: Bearer " S_TOKEN "\r\n"
                  "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                  strlen (bad[i]), bad[i]);
        assert_int_equal (s_send (&m, req), 400);
    }
    snprintf (req, sizeof req,
              "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Authorization: Bearer " S_TOKEN "\r\n"
              "Content-Length: 100000\r\nConnection: close\r\n\r\n{");
    assert_int_equal (s_send (&m, req), 413);
    /*  Chunked, no length: 600 bytes of body, the limit being 512. */
    char chunk[700];
    memset (chunk, ' ', 600);
    chunk[600] = 0;
    snprintf (req, sizeof req,
              "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Authorization: Bearer " S_TOKEN "\r\n"
              "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
              "258\r\n%s\r\n0\r\n\r\n",
              chunk);
    assert_int_equal (s_send (&m, req), 413);
    /*  Reading: the token is optional on loopback, but a wrong one is
        refused; a Host that is not loopback needs the token. */
    assert_int_equal (
        ht_http_get (m.http, "/api/status",
                     "Authorization: Bearer nope-nope-nope-no\r\n", NULL, 0),
        401);
    assert_int_equal (ht_http_get (m.http, "/api/status",
                                   "Authorization: Bearer " S_TOKEN "\r\n",
                                   NULL, 0),
                      200);
    assert_int_equal (s_send (&m, "GET /api/status HTTP/1.1\r\n"
                                  "Host: helios.evil.example\r\n"
                                  "Connection: close\r\n\r\n"),
                      421);
    assert_int_equal (s_send (&m, "GET /api/status HTTP/1.1\r\n"
                                  "Host: helios.example\r\n"
                                  "Authorization: Bearer " S_TOKEN "\r\n"
                                  "Connection: close\r\n\r\n"),
                      200);
    assert_true (s_http_stat (&m, "rejected_by", "unauthorized") >= 3);
    assert_true (s_http_stat (&m, "rejected_by", "bad_body") >= 2);
    assert_true (s_http_stat (&m, "rejected_by", "refused") >= 1);
    assert_true (s_http_stat (&m, "rejected_by", "body_too_big") >= 2);
    assert_int_equal (s_http_stat (&m, "rejected_by", "host"), 1);
    assert_int_equal (s_http_stat (&m, "responses", "202"), 1);
    assert_int_equal (ht_master_stop (&m), 0);

    /*  No token configured: runs are forbidden over HTTP. */
    s_start (&m, false);
    snprintf (req, sizeof req,
              "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
              strlen (body), body);
    assert_int_equal (s_send (&m, req), 403);
    assert_non_null (strstr (s_raw, "master.http_token"));
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_bad_requests (void **state)
{
    (void)state;
    ht_master_t m;
    s_start (&m, false);
    assert_int_equal (ht_http_get (m.http, "/nope", NULL, NULL, 0), 404);
    assert_int_equal (ht_http_get (m.http, "/api/cycles/abc", NULL, NULL, 0),
                      404);
    assert_int_equal (ht_http_get (m.http, "/api/cycles/0", NULL, NULL, 0),
                      404);
    assert_int_equal (ht_http_get (m.http, "/../etc/passwd", NULL, NULL, 0),
                      404);
    assert_int_equal (ht_http_get (m.http, "/api/runs", NULL, NULL, 0), 405);
    assert_int_equal (s_send (&m, "DELETE /api/status HTTP/1.1\r\nHost: "
                                  "127.0.0.1\r\nConnection: close\r\n\r\n"),
                      405);
    /*  21 header fields, the limit being 20 */
    char headers[4096] = "";
    for (int i = 0; i < 19; i++)
        snprintf (headers + strlen (headers), sizeof headers - strlen (headers),
                  "X-H%d: %d\r\n", i, i);
    assert_int_equal (ht_http_get (m.http, "/api/status", headers, NULL, 0),
                      431);
    /*  at the limit: 20 with Host and Connection */
    headers[0] = 0;
    for (int i = 0; i < 18; i++)
        snprintf (headers + strlen (headers), sizeof headers - strlen (headers),
                  "X-H%d: %d\r\n", i, i);
    assert_int_equal (ht_http_get (m.http, "/api/agents", headers, NULL, 0),
                      200);
    /*  a head over 4096 bytes, still inside the server's memory */
    char big[6000];
    memset (big, 'a', 5000);
    big[5000] = 0;
    char line[6100];
    snprintf (line, sizeof line, "X-Big: %s\r\n", big);
    assert_int_equal (ht_http_get (m.http, "/api/agents", line, NULL, 0), 431);
    /*  a target over 1024 bytes */
    char url[2100] = "/api/";
    memset (url + 5, 'x', 2000);
    url[2005] = 0;
    assert_int_equal (ht_http_get (m.http, url, NULL, NULL, 0), 414);
    /*  far past the server's memory: refused or cut, never served */
    static char huge[200000];
    memset (huge, 'b', sizeof huge - 1);
    snprintf (huge, 16, "X-Huge: ");
    huge[8] = 'b';
    huge[sizeof huge - 1] = 0;
    char *req = malloc (sizeof huge + 100);
    snprintf (req, sizeof huge + 100,
              "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n\r\n", huge);
    int code = s_send (&m, req);
    free (req);
    assert_true (code == 0 || (code >= 400 && code < 500));
    /*  not HTTP at all */
    code = ht_http_raw (m.http, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n",
                        13, s_raw, sizeof s_raw, 5000);
    assert_true (code == 0 || code == 400);
    code = s_send (&m, "GET\r\n\r\n");
    assert_true (code == 0 || code == 400);

    s_master_answers (&m, 1000);
    assert_int_equal (
        ht_http_get (m.http, "/api/status", NULL, s_body, sizeof s_body), 200);
    assert_true (s_http_stat (&m, "rejected_by", "not_found") >= 4);
    assert_true (s_http_stat (&m, "rejected_by", "method") >= 2);
    assert_int_equal (s_http_stat (&m, "rejected_by", "headers"), 1);
    assert_int_equal (s_http_stat (&m, "rejected_by", "head_too_big"), 1);
    assert_int_equal (s_http_stat (&m, "rejected_by", "url_too_long"), 1);
    assert_true (s_http_stat (&m, "responses", "404") >= 4);
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  Clients that never finish their request: each is cut at the time
    limit (1.5 s here), the master answers meanwhile, and the server
    serves again afterwards. */
static void
test_slow_clients (void **state)
{
    (void)state;
    ht_master_t m;
    s_start (&m, false);
    int fds[6];
    int64_t t0 = zclock_mono ();
    for (int i = 0; i < 6; i++) {
        fds[i] = ht_tcp_connect (m.http);
        assert_true (fds[i] >= 0);
        if (i % 2 == 0) /* half dribble, half say nothing */
            assert_true (send (fds[i], "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL)
                         == 16);
    }
    int open = 6;
    while (open && zclock_mono () - t0 < 6000) {
        for (int i = 0; i < 6; i++) {
            if (fds[i] < 0)
                continue;
            if (i % 2 == 0)
                send (fds[i], "X", 1, MSG_NOSIGNAL); /* may fail once cut */
            struct pollfd pfd = { fds[i], POLLIN, 0 };
            char buf[256];
            if (poll (&pfd, 1, 0) == 1
                && recv (fds[i], buf, sizeof buf, 0) <= 0) {
                close (fds[i]);
                fds[i] = -1;
                open--;
            }
        }
        s_master_answers (&m, 1000);
        zclock_sleep (200); /* one byte per client per step */
    }
    assert_int_equal (open, 0);
    int64_t took = zclock_mono () - t0;
    assert_true (took >= 1400 && took < 4000);
    /*  The dribblers are never idle: only the deadline cuts them. The
        silent ones may meet libmicrohttpd's idle timeout first. */
    assert_true (s_http_stat (&m, NULL, "cut") >= 3);
    assert_int_equal (ht_http_get (m.http, "/api/status", NULL, NULL, 0), 200);
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  Read from an event stream until text appears or ms pass. */
static bool
s_stream_until (int fd, const char *text, int ms, char *buf, size_t size)
{
    size_t got = 0;
    int64_t deadline = zclock_mono () + ms;
    buf[0] = 0;
    while (zclock_mono () < deadline) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (poll (&pfd, 1, 100) != 1)
            continue;
        ssize_t n = recv (fd, buf + got, size - 1 - got, 0);
        if (n <= 0)
            return false;
        got += (size_t)n;
        buf[got] = 0;
        if (strstr (buf, text))
            return true;
        if (got > size / 2) { /* keep the tail */
            memmove (buf, buf + got - 1024, 1024);
            got = 1024;
            buf[got] = 0;
        }
    }
    return false;
}

static int
s_stream_open (const ht_master_t *m)
{
    int fd = ht_tcp_connect (m->http);
    assert_true (fd >= 0);
    const char *req = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    assert_true (send (fd, req, strlen (req), MSG_NOSIGNAL)
                 == (ssize_t)strlen (req));
    return fd;
}

static void
test_events (void **state)
{
    (void)state;
    ht_master_t m;
    s_start (&m, false);
    s_feed (&m);
    /*  A stream: the snapshot first, then health every second. */
    int a = s_stream_open (&m);
    assert_true (s_stream_until (a, "event: status\ndata: {", 3000, s_raw,
                                 sizeof s_raw));
    assert_non_null (strstr (s_raw, "Content-Type: text/event-stream"));
    assert_true (s_stream_until (a, "event: health\ndata: {", 3000, s_raw,
                                 sizeof s_raw));
    /*  Two streams at most here: a third is refused. */
    int b = s_stream_open (&m);
    assert_true (
        s_stream_until (b, "event: status", 3000, s_raw, sizeof s_raw));
    assert_int_equal (ht_http_get (m.http, "/api/events", NULL, NULL, 0), 503);
    assert_int_equal (s_http_stat (&m, "rejected_by", "streams"), 1);

    /*  b stops reading, with small buffers, while task events flood the
        streams: it is dropped and counted; a keeps reading and is not;
        the master serves every request meanwhile. */
    int small = 4096;
    setsockopt (b, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    ht_proc_t *agent = ht_agent_start (&m, "prometheus-backend", NULL);
    assert_int_equal (ht_wait_agents (&m, 1, 5000), 1);
    int64_t deadline = zclock_mono () + 20000;
    while (s_http_stat (&m, NULL, "sse_dropped") < 1
           && zclock_mono () < deadline) {
        for (int i = 0; i < 20; i++) {
            hl_value_t *args = hl_value_new_map ();
            hl_value_set_bool (args, "wait", false);
            hl_value_t *targs = hl_value_new_map ();
            char pad[512];
            memset (pad, 'p', sizeof pad - 1);
            pad[sizeof pad - 1] = 0;
            hl_value_set_str (targs, "pad", pad);
            hl_value_set (args, "args", &targs);
            hl_msg_t *reply = (hl_msg_t *)ht_request (&m, "task.run", &args);
            assert_true (reply && hl_msg_ok (reply));
            hl_msg_destroy (&reply);
        }
        /*  a keeps up */
        char buf[65536];
        struct pollfd pfd = { a, POLLIN, 0 };
        while (poll (&pfd, 1, 0) == 1 && recv (a, buf, sizeof buf, 0) > 0)
            ;
    }
    assert_true (s_http_stat (&m, NULL, "sse_dropped") >= 1);
    s_master_answers (&m, 1000);
    assert_true (s_stream_until (a, "event: health\ndata: {", 3000, s_raw,
                                 sizeof s_raw));
    close (b);
    assert_int_equal (ht_stop (&agent, 10000), 0);

    /*  Stopping with a stream and a half-sent request open: exit 0. */
    int slow = ht_tcp_connect (m.http);
    assert_true (send (slow, "GET /", 5, MSG_NOSIGNAL) == 5);
    int64_t t0 = zclock_mono ();
    assert_int_equal (ht_master_stop (&m), 0);
    assert_true (zclock_mono () - t0 < 5000);
    close (a);
    close (slow);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_api, ht_teardown),
        cmocka_unit_test_teardown (test_metrics_promtool, ht_teardown),
        cmocka_unit_test_teardown (test_tokens, ht_teardown),
        cmocka_unit_test_teardown (test_bad_requests, ht_teardown),
        cmocka_unit_test_teardown (test_slow_clients, ht_teardown),
        cmocka_unit_test_teardown (test_events, ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
