/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_config_io - the sections of metrics in and alerts out
    (hl_config_io): statsd, webhooks, alerts and summary, their defaults,
    whole sections read back, and one case per kind of bad input, each
    refused with the exact "file:line:" and a reason that says why.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "config_env.h"

#define METRIC_MS                                                              \
    "metrics = ( { name = \"lat\"; category = \"backend\"; unit = \"ms\";\n"   \
    "  better = \"lower\"; target = 1; critical = 2; } );\n"

static const bad_case_t s_statsd_packet
    = { "statsd = {\n  max_packet = 65508;\n};\n", 2,
        "out of range 512..65507" };
static const bad_case_t s_statsd_unknown_key
    = { "statsd = {\n  mapping = ();\n  maping = ();\n};\n", 3,
        "statsd.maping: unknown key" };
static const bad_case_t s_statsd_no_metric
    = { METRIC_MS "statsd = { mapping = (\n  { match = \"a.b\";\n"
                  "    metric = \"latency\"; } ); };\n",
        5, "statsd.mapping[0].metric: unknown metric \"latency\"" };
static const bad_case_t s_statsd_no_match
    = { METRIC_MS "statsd = { mapping = (\n  { metric = \"lat\"; } ); };\n", 4,
        "missing required setting \"match\"" };
static const bad_case_t s_statsd_bad_match
    = { METRIC_MS "statsd = { mapping = (\n  { match = \"a|b\";\n"
                  "    metric = \"lat\"; } ); };\n",
        4, "bad StatsD name \"a|b\"" };
static const bad_case_t s_statsd_bad_tag
    = { METRIC_MS "statsd = { mapping = ( { match = \"a\"; metric = \"lat\";\n"
                  "  tags = [ \"ok\",\n   \"a,b\" ]; } ); };\n",
        5, "bad tag \"a,b\"" };
static const bad_case_t s_statsd_many_tags
    = { METRIC_MS "statsd = { mapping = ( { match = \"a\"; metric = \"lat\";\n"
                  "  tags = [ \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", "
                  "\"8\", \"9\" ]; } ); };\n",
        4, "9 tags, at most 8" };
static const bad_case_t s_statsd_bad_unit
    = { METRIC_MS "statsd = { mapping = ( { match = \"a\"; metric = \"lat\";\n"
                  "  unit = \"%\"; } ); };\n",
        4, "cannot convert \"%\" into \"ms\"" };
static const bad_case_t s_statsd_unit_and_scale
    = { METRIC_MS "statsd = { mapping = ( { match = \"a\"; metric = \"lat\";\n"
                  "  unit = \"s\";\n  scale = 2.0; } ); };\n",
        5, "give unit or scale, not both" };
static const bad_case_t s_statsd_zero_scale
    = { METRIC_MS "statsd = { mapping = ( { match = \"a\"; metric = \"lat\";\n"
                  "  scale = 0.0; } ); };\n",
        4, "must not be 0" };
static const bad_case_t s_webhooks_bad_url
    = { "webhooks = {\n  urls = [ \"http://ok\",\n  \"ftp://x/y\" ];\n};\n", 3,
        "bad url \"ftp://x/y\"" };
static const bad_case_t s_webhooks_no_host
    = { "webhooks = {\n  urls = [ \"https:///path\" ];\n};\n", 2,
        "must be http:// or https:// with a host" };
static const bad_case_t s_webhooks_group_by
    = { "webhooks = {\n  group_by = [ \"alertname\",\n \"metric\" ];\n};\n", 3,
        "must be one of alertname, subject or severity" };
static const bad_case_t s_webhooks_retries
    = { "webhooks = {\n  retries = 11;\n};\n", 2, "out of range 0..10" };
static const bad_case_t s_webhooks_interval
    = { "webhooks = {\n  group_interval = 0;\n};\n", 2, "out of range" };
static const bad_case_t s_webhooks_many_urls
    = { "webhooks = {\n  urls = [ \"http://a\", \"http://a\", \"http://a\",\n"
        "  \"http://a\", \"http://a\", \"http://a\", \"http://a\",\n"
        "  \"http://a\", \"http://a\" ];\n};\n",
        2, "9 urls, at most 8" };
static const bad_case_t s_alerts_z
    = { "alerts = {\n  anomaly_z = 100;\n};\n", 2, "out of range" };
static const bad_case_t s_alerts_interval
    = { "alerts = {\n  trend_interval = -1;\n};\n", 2, "out of range" };
static const bad_case_t s_alerts_proactive
    = { "alerts = {\n  proactive = \"yes\";\n};\n", 2, "expected a boolean" };
static const bad_case_t s_summary_every
    = { "summary = {\n  every = \"fortnightly\";\n};\n", 2,
        "bad period \"fortnightly\"" };
static const bad_case_t s_summary_horizon_off
    = { "summary = {\n  horizon = \"off\";\n};\n", 2, "bad period \"off\"" };
static const bad_case_t s_summary_long
    = { "summary = {\n  every = \"367_days\";\n};\n", 2, "to 366 days" };
static const bad_case_t s_summary_short_horizon
    = { "summary = {\n  horizon = 59;\n};\n", 2, "out of range" };

static void
test_io_defaults (void **state)
{
    (void)state;
    hl_config_t *config = hl_config_new_default ();
    const hl_config_statsd_t *sd = hl_config_statsd (config);
    assert_int_equal (sd->max_packet, 8192);
    assert_int_equal (sd->mapping_n, 0);
    const hl_config_webhooks_t *wh = hl_config_webhooks (config);
    assert_int_equal (wh->urls_n, 0);
    assert_int_equal (wh->group_wait_ms, 30000);
    assert_int_equal (wh->group_interval_ms, 300000);
    assert_int_equal (wh->repeat_interval_ms, 4 * 3600 * 1000);
    assert_int_equal (wh->retries, 3);
    assert_false (wh->every_run);
    assert_false (wh->group_by_subject);
    const hl_config_alerts_t *al = hl_config_alerts (config);
    assert_int_equal (al->trend_interval, 300);
    assert_int_equal (al->horizon, 1800);
    assert_true (al->anomaly_z == 3.5);
    assert_false (al->proactive);
    const hl_config_summary_t *su = hl_config_summary (config);
    assert_int_equal (su->every_s, 7 * 86400);
    assert_int_equal (su->horizon_s, 7 * 86400);
    hl_config_destroy (&config);
}

static const char *s_io_file
    = "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; unit = \"s\";\n"
      "    better = \"lower\"; target = 0.2; critical = 1.0; },\n"
      "  { name = \"hits\"; category = \"backend\"; unit = \"%\";\n"
      "    better = \"higher\"; target = 90; critical = 50; } );\n"
      "statsd = { max_packet = 1432; rcvbuf = 65536;\n"
      "  mapping = (\n"
      "    { match = \"app.*.latency\"; tags = [ \"env:prod\", \"canary\" ];\n"
      "      metric = \"latency\"; unit = \"ms\"; },\n"
      "    { match = \"app.hit_ratio\"; metric = \"hits\"; unit = \"ratio\"; "
      "},\n"
      "    { match = \"app.hits_pm\"; metric = \"hits\"; scale = 0.5; } ); };\n"
      "webhooks = { urls = [ \"http://127.0.0.1:9/hook\",\n"
      "    \"https://hooks.example.com/services/T/B/X\" ];\n"
      "  group_by = [ \"alertname\", \"subject\" ];\n"
      "  group_wait = 0.5; group_interval = 2; repeat_interval = 60;\n"
      "  timeout = 1.5; retries = 2; backoff = 0.25; max_queue = 10;\n"
      "  every_run = true; };\n"
      "alerts = { trend_interval = 10; horizon = 600; anomaly_z = 4.5;\n"
      "  proactive = true; };\n"
      "summary = { every = \"90_minutes\"; horizon = \"2_days\"; };\n";

static void
test_io_sections (void **state)
{
    (void)state;
    char path[512], err[512];
    s_write ("io.cfg", s_io_file, path, sizeof path);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    if (!config)
        fail_msg ("%s", err);
    const hl_config_statsd_t *sd = hl_config_statsd (config);
    assert_int_equal (sd->max_packet, 1432);
    assert_int_equal (sd->rcvbuf, 65536);
    assert_int_equal (sd->mapping_n, 3);
    assert_string_equal (sd->mapping[0].match, "app.*.latency");
    assert_int_equal (sd->mapping[0].tags_n, 2);
    assert_string_equal (sd->mapping[0].tags[1], "canary");
    assert_string_equal (sd->mapping[0].metric, "latency");
    assert_true (fabs (sd->mapping[0].scale - 0.001) < 1e-15);
    assert_true (fabs (sd->mapping[1].scale - 100) < 1e-12);
    assert_true (sd->mapping[2].scale == 0.5);

    const hl_config_webhooks_t *wh = hl_config_webhooks (config);
    assert_int_equal (wh->urls_n, 2);
    assert_string_equal (wh->urls[0], "http://127.0.0.1:9/hook");
    assert_true (wh->group_by_subject);
    assert_false (wh->group_by_severity);
    assert_int_equal (wh->group_wait_ms, 500);
    assert_int_equal (wh->group_interval_ms, 2000);
    assert_int_equal (wh->repeat_interval_ms, 60000);
    assert_int_equal (wh->timeout_ms, 1500);
    assert_int_equal (wh->retries, 2);
    assert_int_equal (wh->backoff_ms, 250);
    assert_int_equal (wh->max_queue, 10);
    assert_true (wh->every_run);

    const hl_config_alerts_t *al = hl_config_alerts (config);
    assert_int_equal (al->trend_interval, 10);
    assert_int_equal (al->horizon, 600);
    assert_true (al->anomaly_z == 4.5);
    assert_true (al->proactive);
    assert_int_equal (hl_config_summary (config)->every_s, 5400);
    assert_int_equal (hl_config_summary (config)->horizon_s, 2 * 86400);
    hl_config_destroy (&config);

    //  Named periods, and off
    s_write ("io2.cfg", "summary = { every = \"off\"; horizon = 3600; };\n",
             path, sizeof path);
    config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    assert_non_null (config);
    assert_int_equal (hl_config_summary (config)->every_s, 0);
    assert_int_equal (hl_config_summary (config)->horizon_s, 3600);
    hl_config_destroy (&config);
    s_write ("io3.cfg", "summary = { every = \"daily\"; };\n", path,
             sizeof path);
    config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    assert_non_null (config);
    assert_int_equal (hl_config_summary (config)->every_s, 86400);
    hl_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_io_defaults),
        cmocka_unit_test (test_io_sections),
        BAD (_statsd_packet),
        BAD (_statsd_unknown_key),
        BAD (_statsd_no_metric),
        BAD (_statsd_no_match),
        BAD (_statsd_bad_match),
        BAD (_statsd_bad_tag),
        BAD (_statsd_many_tags),
        BAD (_statsd_bad_unit),
        BAD (_statsd_unit_and_scale),
        BAD (_statsd_zero_scale),
        BAD (_webhooks_bad_url),
        BAD (_webhooks_no_host),
        BAD (_webhooks_group_by),
        BAD (_webhooks_retries),
        BAD (_webhooks_interval),
        BAD (_webhooks_many_urls),
        BAD (_alerts_z),
        BAD (_alerts_interval),
        BAD (_alerts_proactive),
        BAD (_summary_every),
        BAD (_summary_horizon_off),
        BAD (_summary_long),
        BAD (_summary_short_horizon),
    };
    return cmocka_run_group_tests_name ("hl_config_io", tests, s_setup,
                                        s_teardown);
}
