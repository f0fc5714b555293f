/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_prometheus - a real Prometheus (Debian's /usr/bin/prometheus)
    scrapes the master's /metrics on loopback, with a bearer token, every
    second, into a scratch folder; the test asks Prometheus's own query
    API for helios_health_score until it has a value, and checks that the
    scrape is healthy. Prometheus listens on a free loopback port and is
    stopped by the test.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <czmq.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../../master/hl_client.h"
#include "harness.h"

#define S_TOKEN "prometheus-token-0123456789"

static const char *s_metrics
    = "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; better = \"lower\";\n"
      "    unit = \"ms\"; stat = \"p95\"; target = 100.0; critical = 500.0; "
      "} );\n";

/*  A loopback port nobody listens on now. */
static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (fd, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t len = sizeof addr;
    assert_int_equal (getsockname (fd, (struct sockaddr *)&addr, &len), 0);
    close (fd);
    return ntohs (addr.sin_port);
}

static void
s_push (const ht_master_t *m, double value)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "name", "latency");
    hl_value_set_double (args, "value", value);
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "metric.push", &args);
    assert_true (reply && hl_msg_ok (reply));
    hl_msg_destroy (&reply);
}

static void
test_prometheus_scrapes (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (
        &m, "http = \"127.0.0.1:0\"; http_token = \"" S_TOKEN "\";",
        s_metrics));
    /*  latency p95 180 ms: score 80 */
    for (int i = 0; i < 4; i++)
        s_push (&m, 150 + 10 * i);

    char yml[400], data[400], web[64];
    snprintf (yml, sizeof yml, "%s/prometheus.yml", m.dir);
    snprintf (data, sizeof data, "%s/tsdb", m.dir);
    snprintf (web, sizeof web, "127.0.0.1:%d", s_free_port ());
    FILE *f = fopen (yml, "w");
    assert_non_null (f);
    fprintf (f,
             "global:\n"
             "  scrape_interval: 1s\n"
             "  evaluation_interval: 1s\n"
             "scrape_configs:\n"
             "  - job_name: helios\n"
             "    scrape_timeout: 1s\n"
             "    authorization:\n"
             "      credentials: %s\n"
             "    static_configs:\n"
             "      - targets: ['%s']\n",
             S_TOKEN, m.http);
    fclose (f);
    char config_arg[450], data_arg[450], web_arg[100];
    snprintf (config_arg, sizeof config_arg, "--config.file=%s", yml);
    snprintf (data_arg, sizeof data_arg, "--storage.tsdb.path=%s", data);
    snprintf (web_arg, sizeof web_arg, "--web.listen-address=%s", web);
    const char *argv[] = { "/usr/bin/prometheus", config_arg, data_arg, web_arg,
                           "--log.level=warn",    NULL };
    int64_t t0 = zclock_mono ();
    ht_proc_t *prom = ht_start (argv);
    assert_non_null (prom);

    /*  Prometheus's own query API, until the series has a value. */
    static char body[1 << 20];
    double score = -1;
    int64_t deadline = zclock_mono () + 45000;
    while (score < 0 && zclock_mono () < deadline) {
        if (ht_http_get (web, "/api/v1/query?query=helios_health_score", NULL,
                         body, sizeof body)
            == 200) {
            json_t *j = json_loads (body, 0, NULL);
            json_t *result
                = json_object_get (json_object_get (j, "data"), "result");
            if (json_array_size (result) == 1) {
                json_t *value
                    = json_object_get (json_array_get (result, 0), "value");
                score = atof (json_string_value (json_array_get (value, 1)));
            }
            json_decref (j);
        }
        if (score < 0)
            zclock_sleep (250); /* the next scrape */
    }
    printf ("prometheus: helios_health_score = %g after %.1f s\n", score,
            (zclock_mono () - t0) / 1000.0);
    assert_true (score >= 0 && score <= 100);
    assert_true (score > 79 && score < 81); /* p95 180 of 100..500 */

    /*  The target is up and its scrape was clean. */
    assert_int_equal (
        ht_http_get (web, "/api/v1/targets", NULL, body, sizeof body), 200);
    json_t *j = json_loads (body, 0, NULL);
    json_t *active
        = json_object_get (json_object_get (j, "data"), "activeTargets");
    assert_int_equal (json_array_size (active), 1);
    json_t *target = json_array_get (active, 0);
    assert_string_equal (json_string_value (json_object_get (target, "health")),
                         "up");
    assert_string_equal (
        json_string_value (json_object_get (target, "lastError")), "");
    json_decref (j);
    assert_int_equal (ht_http_get (web,
                                   "/api/v1/query?query=helios_kpi_seconds",
                                   NULL, body, sizeof body),
                      200);
    assert_non_null (strstr (body, "\"metric\":\"latency\""));

    assert_int_equal (ht_stop (&prom, 10000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_prometheus_scrapes, ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
