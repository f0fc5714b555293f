/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_watch - early warnings over a tracker fed an hour of
    synthetic samples: a metric on a steady ramp raises the warning
    before it breaches (and not while its breach is beyond the horizon);
    a spike raises the anomaly alert; a flat, noisy metric raises
    neither. Then what the watch publishes: alert.warning while it
    holds, one resolution when it ends, and the schedule.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bus/hl_rand.h"
#include "../../master/hl_watch.h"

#define SEC 1000000LL
#define NOW (1700000000LL * SEC)

static const char *s_text
    = "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; unit = \"ms\";\n"
      "    better = \"lower\"; stat = \"mean\"; target = 100;\n"
      "    critical = 500; },\n"
      "  { name = \"hits\"; category = \"backend\"; unit = \"%\";\n"
      "    better = \"higher\"; stat = \"mean\"; target = 90;\n"
      "    critical = 50; } );\n"
      "alerts = { trend_interval = 60; horizon = 1800; anomaly_z = 3.5; };\n"
      "summary = { every = \"off\"; };\n";

static hl_config_t *s_config;

static int
s_setup (void **state)
{
    (void)state;
    char path[] = "/tmp/hl_watch_test.XXXXXX";
    int fd = mkstemp (path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen (fd, "w");
    fputs (s_text, f);
    fclose (f);
    char err[256];
    s_config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!s_config)
        fprintf (stderr, "%s\n", err);
    return s_config ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    hl_config_destroy (&s_config);
    return 0;
}

/*  An hour before NOW of name, 5 samples a second: value(t) for t the
    seconds before NOW, plus noise uniform in +-noise. */
typedef double (s_curve_fn) (int64_t seconds_before_now);

static void
s_feed (hl_kpi_t *kpi, const char *name, s_curve_fn *curve, double noise)
{
    hl_rand_t rand;
    hl_rand_seed (&rand, 7);
    for (int64_t s = 3599; s >= 0; s--)
        for (int k = 0; k < 5; k++) {
            double v = curve (s) + noise * (2 * hl_rand_uniform (&rand) - 1);
            int64_t ts = NOW - (s + 1) * SEC + k * 200000;
            assert_int_equal (hl_kpi_add (kpi, name, v, ts, NOW), 0);
        }
}

static const hl_config_metric_t *
s_metric (const char *name)
{
    return hl_config_metric_find (s_config, name);
}

/*  100 ms an hour ago, 0.08 ms more each second: 388 now, 500 in 1400 s. */
static double
s_ramp (int64_t before)
{
    return 100 + 0.08 * (double)(3600 - before);
}

static double
s_flat_hits (int64_t before)
{
    return before < 60 ? 60 : 95; /* the last minute falls */
}

static double
s_flat_latency (int64_t before)
{
    (void)before;
    return 200;
}

static void
test_ramp_warns_before_it_breaches (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    s_feed (kpi, "latency", s_ramp, 5);
    hl_watch_finding_t f
        = hl_watch_metric (s_metric ("latency"), kpi, NOW, 60, 1800, 3.5);
    assert_true (f.forecast);
    assert_true (f.breach);
    assert_true (f.points >= 3600);
    /*  Not breached yet: the last minute is well under 500 */
    assert_true (f.value < 500 && f.value > 370);
    assert_true (fabs (f.breach_in_s - 1400) < 100);
    assert_true (fabs (f.slope - 0.08) < 0.005);
    assert_false (f.anomaly); /* a ramp's last minute is no outlier */

    /*  20 minutes earlier the breach was 2600 s away: beyond the horizon */
    f = hl_watch_metric (s_metric ("latency"), kpi, NOW - 1200 * SEC, 60, 1800,
                         3.5);
    assert_false (f.breach);
    assert_true (isnan (f.breach_in_s));
    hl_kpi_destroy (&kpi);
}

static void
test_spike_raises_anomaly (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    s_feed (kpi, "hits", s_flat_hits, 3);
    hl_watch_finding_t f
        = hl_watch_metric (s_metric ("hits"), kpi, NOW, 60, 1800, 3.5);
    assert_true (f.anomaly);
    assert_true (f.worse); /* hits fell: worse */
    assert_true (f.z < -3.5);
    assert_true (fabs (f.value - 60) < 1);
    assert_true (fabs (f.median - 95) < 1);
    assert_false (f.breach); /* 60 is not the critical 50, and no trend */
    hl_kpi_destroy (&kpi);
}

static void
test_flat_noise_raises_neither (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    s_feed (kpi, "latency", s_flat_latency, 50);
    for (int64_t back = 0; back < 3000; back += 300) {
        hl_watch_finding_t f = hl_watch_metric (
            s_metric ("latency"), kpi, NOW - back * SEC, 60, 1800, 3.5);
        assert_false (f.forecast); /* not even worth the full forecast */
        assert_false (f.breach);
        assert_false (f.anomaly);
        assert_true (fabs (f.z) < 2);
    }
    /*  Too little history: nothing said at all */
    hl_kpi_t *empty = hl_kpi_new (s_config);
    hl_watch_finding_t f
        = hl_watch_metric (s_metric ("latency"), empty, NOW, 60, 1800, 3.5);
    assert_false (f.breach || f.anomaly);
    assert_true (isnan (f.z) && isnan (f.value));
    assert_int_equal (f.points, 0);
    hl_kpi_destroy (&empty);
    hl_kpi_destroy (&kpi);
}

//  --------------------------------------------------------------------
//  What it publishes

#define S_MAX 16
static hl_msg_t *s_msgs[S_MAX];
static size_t s_nmsgs;

static void
s_publish (void *arg, hl_msg_t **msg_p)
{
    (void)arg;
    assert_true (s_nmsgs < S_MAX);
    s_msgs[s_nmsgs++] = *msg_p;
    *msg_p = NULL;
}

static void
s_clear (void)
{
    for (size_t i = 0; i < s_nmsgs; i++)
        hl_msg_destroy (&s_msgs[i]);
    s_nmsgs = 0;
}

static const char *
s_data_str (size_t i, const char *key)
{
    return hl_value_get_str (hl_msg_data (s_msgs[i]), key, "");
}

static void
test_alerts_published (void **state)
{
    (void)state;
    hl_kpi_t *kpi = hl_kpi_new (s_config);
    s_feed (kpi, "latency", s_ramp, 5);
    s_feed (kpi, "hits", s_flat_hits, 3);
    hl_watch_deps_t deps = { s_config, kpi, NULL, s_publish, NULL, NULL };
    hl_watch_t *watch = hl_watch_new (&deps, NOW - 60 * SEC);
    /*  Not due before its interval */
    hl_watch_tick (watch, NOW - SEC);
    assert_int_equal (s_nmsgs, 0);
    hl_watch_tick (watch, NOW);
    /*  latency needed the full forecast: the rest waits for the next
        second, so that the reactor is held for one at most */
    assert_int_equal (s_nmsgs, 1);
    hl_watch_tick (watch, NOW + SEC);
    assert_int_equal (s_nmsgs, 2);
    assert_int_equal (hl_msg_type (s_msgs[0]), HL_MSG_ALERT);
    assert_string_equal (hl_msg_severity (s_msgs[0]), "warning");
    assert_non_null (
        strstr (hl_msg_text (s_msgs[0]),
                "latency is forecast to reach its critical level"));
    assert_string_equal (s_data_str (0, "alertname"), "forecast_breach");
    assert_string_equal (s_data_str (0, "subject"), "latency");
    assert_string_equal (s_data_str (0, "status"), "firing");
    assert_true (hl_value_get_double (hl_msg_data (s_msgs[0]), "breach_in_s", 0)
                 > 1000);
    assert_string_equal (hl_msg_severity (s_msgs[1]), "warning");
    assert_string_equal (s_data_str (1, "alertname"), "anomaly");
    assert_string_equal (s_data_str (1, "subject"), "hits");
    s_clear ();
    /*  Still so at the next evaluation: told again (the webhooks group
        it); the status lists what fires */
    assert_int_equal (hl_watch_evaluate (watch, NOW), 2);
    s_clear ();
    hl_value_t *status = hl_watch_status (watch);
    assert_int_equal (hl_value_get_int (status, "evaluations", 0), 2);
    assert_int_equal (hl_value_get_int (status, "warnings", 0), 2);
    assert_int_equal (hl_value_get_int (status, "anomalies", 0), 2);
    assert_int_equal (hl_value_size (hl_value_get (status, "firing")), 2);
    assert_true (hl_value_get_int (status, "next_evaluation", 0) > 0);
    assert_null (hl_value_get_str (status, "next_summary", NULL));
    hl_value_destroy (&status);
    /*  Two hours on the data is gone: both resolved, once */
    assert_int_equal (hl_watch_evaluate (watch, NOW + 7200 * SEC), 0);
    assert_int_equal (s_nmsgs, 2);
    assert_string_equal (hl_msg_severity (s_msgs[0]), "info");
    assert_string_equal (s_data_str (0, "event"), "forecast.cleared");
    assert_string_equal (s_data_str (0, "status"), "resolved");
    assert_string_equal (s_data_str (1, "event"), "anomaly.cleared");
    s_clear ();
    assert_int_equal (hl_watch_evaluate (watch, NOW + 7300 * SEC), 0);
    assert_int_equal (s_nmsgs, 0);
    hl_watch_destroy (&watch);
    hl_watch_destroy (&watch);
    hl_kpi_destroy (&kpi);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ramp_warns_before_it_breaches),
        cmocka_unit_test (test_spike_raises_anomaly),
        cmocka_unit_test (test_flat_noise_raises_neither),
        cmocka_unit_test (test_alerts_published),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
