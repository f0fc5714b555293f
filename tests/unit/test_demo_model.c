/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_demo_model - helios-demo's model with fixed seeds: baseline levels
    and noise as documented, each knob moving its metrics the documented
    way, aggressive GC hurting, incidents and their clearing (db_outage
    past api_response_time's critical level in every knob state), business
    metrics following slowly, and invalid knob values refused.
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

#include "../../bus/hl_config.h"
#include "../../deploy/demo/demo_model.h"

#define S_SEED 42
#define S_SAMPLES 4000

//  Index of a metric, failing the test if the model does not know it
static int
s_index (const char *name)
{
    int i = demo_model_metric_index (name);
    if (i < 0)
        fail_msg ("no metric %s", name);
    return i;
}

static double
s_level (const demo_model_t *model, const char *name)
{
    double levels[DEMO_METRICS];
    demo_model_levels (model, levels);
    return levels[s_index (name)];
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

//  Quantile q of n samples of one metric at the model's current time
static double
s_quantile (demo_model_t *model, const char *name, size_t n, double q)
{
    int index = s_index (name);
    double *values = (double *)calloc (n, sizeof (double));
    assert_non_null (values);
    double sample[DEMO_METRICS];
    for (size_t i = 0; i < n; i++) {
        demo_model_sample (model, sample);
        values[i] = sample[index];
    }
    qsort (values, n, sizeof (double), s_cmp);
    double result = values[(size_t)(q * (double)(n - 1))];
    free (values);
    return result;
}

static void
s_set (demo_model_t *model, const char *knob, const char *value)
{
    char err[256];
    if (demo_model_set (model, knob, value, err, sizeof err))
        fail_msg ("set %s=%s: %s", knob, value, err);
}

static void
s_near (double got, double want, double tolerance, const char *what)
{
    if (fabs (got - want) > tolerance * fabs (want))
        fail_msg ("%s: got %g, want %g within %.0f%%", what, got, want,
                  tolerance * 100);
}

// --------------------------------------------------------------------

static void
test_names (void **state)
{
    (void)state;
    static const char *kpis[DEMO_METRICS]
        = { "chat_response_time",   "ui_interaction_lag", "message_render_time",
            "prompt_feed_refresh",  "api_response_time",  "redis_cache_hit",
            "websocket_throughput", "report_generation",  "user_retention_24h",
            "messages_per_session", "session_duration",   "optimization_roi" };
    for (size_t i = 0; i < DEMO_METRICS; i++) {
        assert_string_equal (demo_model_metric_name (i), kpis[i]);
        assert_int_equal (demo_model_metric_index (kpis[i]), (int)i);
    }
    assert_null (demo_model_metric_name (DEMO_METRICS));
    assert_int_equal (demo_model_metric_index ("nope"), -1);
    assert_int_equal (demo_model_metric_index (NULL), -1);
    assert_string_equal (demo_model_knob_name (0), "cache");
    assert_null (demo_model_knob_name (DEMO_KNOBS));
}

//  Medians at the documented bases (drift is within 4%), p95 about 1.18
//  x the median for the 10% metrics
static void
test_baseline (void **state)
{
    (void)state;
    static const struct {
        const char *name;
        double base;
        bool noisy; /* 10% noise rather than 3% */
    } bases[] = {
        { "chat_response_time", 1100, true },
        { "ui_interaction_lag", 190, true },
        { "message_render_time", 160, true },
        { "prompt_feed_refresh", 1900, true },
        { "api_response_time", 420, true },
        { "redis_cache_hit", 62, false },
        { "websocket_throughput", 1150, true },
        { "report_generation", 8, true },
        { "user_retention_24h", 40, false },
        { "messages_per_session", 14, false },
        { "session_duration", 420, false },
        { "optimization_roi", 1.3, false },
    };
    demo_model_t *model = demo_model_new (S_SEED);
    assert_string_equal (demo_model_incident_name (model), "none");
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        s_near (s_level (model, bases[i].name), bases[i].base, 1e-9,
                bases[i].name);
        double median = s_quantile (model, bases[i].name, S_SAMPLES, 0.5);
        s_near (median, bases[i].base, 0.06, bases[i].name);
        double p95 = s_quantile (model, bases[i].name, S_SAMPLES, 0.95);
        double spread = p95 / median;
        if (bases[i].noisy)
            assert_true (spread > 1.12 && spread < 1.25);
        else
            assert_true (spread > 1.02 && spread < 1.08);
    }
    demo_model_destroy (&model);
    assert_null (model);
    demo_model_destroy (&model);
    demo_model_destroy (NULL);
}

//  The same seed gives the same samples; another seed does not
static void
test_deterministic (void **state)
{
    (void)state;
    demo_model_t *a = demo_model_new (7), *b = demo_model_new (7);
    demo_model_t *c = demo_model_new (8);
    double sa[DEMO_METRICS], sb[DEMO_METRICS], sc[DEMO_METRICS];
    bool differs = false;
    for (int i = 0; i < 100; i++) {
        demo_model_advance (a, 0.1);
        demo_model_advance (b, 0.1);
        demo_model_advance (c, 0.1);
        demo_model_sample (a, sa);
        demo_model_sample (b, sb);
        demo_model_sample (c, sc);
        assert_memory_equal (sa, sb, sizeof sa);
        differs = differs || memcmp (sa, sc, sizeof sa) != 0;
        for (int j = 0; j < DEMO_METRICS; j++)
            assert_true (sa[j] > 0 && isfinite (sa[j]));
    }
    assert_true (differs);
    assert_true (fabs (demo_model_time (a) - 10.0) < 1e-9);
    demo_model_destroy (&a);
    demo_model_destroy (&b);
    demo_model_destroy (&c);
}

//  Drift: a few percent over minutes, never more than 4%
static void
test_drift (void **state)
{
    (void)state;
    demo_model_t *model = demo_model_new (S_SEED);
    double lo = INFINITY, hi = 0;
    for (int minute = 0; minute < 20; minute++) {
        double median = s_quantile (model, "api_response_time", S_SAMPLES, 0.5);
        lo = median < lo ? median : lo;
        hi = median > hi ? median : hi;
        demo_model_advance (model, 30);
    }
    assert_true (hi / lo > 1.01);
    assert_true (hi / lo < 1.12);
    demo_model_destroy (&model);
}

//  One knob change and the factor it applies to a metric's level
typedef struct {
    const char *knob, *value, *metric;
    double factor;
} knob_case_t;

static void
test_knobs (void **state)
{
    (void)state;
    static const knob_case_t cases[] = {
        { "cache", "on", "api_response_time", 0.55 },
        { "cache", "on", "chat_response_time", 0.85 },
        { "cache", "on", "redis_cache_hit", 92.0 / 62 },
        { "db_pool", "32", "api_response_time", 0.43528 },
        { "db_pool", "64", "api_response_time", 0.43528 }, /* flat */
        { "db_pool", "4", "api_response_time", 1.51572 },  /* worse */
        { "db_pool", "32", "report_generation", 0.8875 },
        { "ws_compression", "on", "websocket_throughput", 1.4 },
        { "ws_compression", "on", "chat_response_time", 0.92 },
        { "report_workers", "4", "report_generation", 0.32988 },
        { "report_workers", "16", "report_generation", 0.18946 }, /* 8 */
        { "lazy_load", "on", "message_render_time", 0.7 },
        { "lazy_load", "on", "prompt_feed_refresh", 0.9 },
        { "virtual_list", "on", "message_render_time", 0.6 },
        { "virtual_list", "on", "ui_interaction_lag", 0.8 },
        { "prefetch", "on", "prompt_feed_refresh", 0.6 },
        { "debounce", "50", "ui_interaction_lag", 0.825 },
        { "debounce", "100", "ui_interaction_lag", 0.65 },
        { "debounce", "500", "ui_interaction_lag", 1.65 },
        { "gc_mode", "aggressive", "ui_interaction_lag", 1.5 },
        { "gc_mode", "aggressive", "chat_response_time", 1.4 },
        { "gc_mode", "aggressive", "api_response_time", 1.3 },
        { "gc_mode", "normal", "api_response_time", 1.0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        demo_model_t *model = demo_model_new (S_SEED);
        double before = s_level (model, cases[i].metric);
        s_set (model, cases[i].knob, cases[i].value);
        double after = s_level (model, cases[i].metric);
        char what[128];
        snprintf (what, sizeof what, "%s=%s on %s", cases[i].knob,
                  cases[i].value, cases[i].metric);
        s_near (after / before, cases[i].factor, 1e-4, what);
        //  The other technical metrics a knob does not name stay put
        demo_model_destroy (&model);
    }
    //  A knob leaves metrics it does not touch alone
    demo_model_t *model = demo_model_new (S_SEED);
    double before = s_level (model, "websocket_throughput");
    s_set (model, "cache", "on");
    s_set (model, "lazy_load", "on");
    assert_true (s_level (model, "websocket_throughput") == before);
    demo_model_destroy (&model);
}

//  Debounce helps up to ~100 ms and hurts beyond
static void
test_debounce_curve (void **state)
{
    (void)state;
    demo_model_t *model = demo_model_new (S_SEED);
    char value[16];
    double best = INFINITY;
    int best_ms = -1;
    for (int ms = 0; ms <= 1000; ms += 10) {
        snprintf (value, sizeof value, "%d", ms);
        s_set (model, "debounce", value);
        double lag = s_level (model, "ui_interaction_lag");
        if (lag < best) {
            best = lag;
            best_ms = ms;
        }
    }
    assert_int_equal (best_ms, 100);
    demo_model_destroy (&model);
}

//  Aggressive GC is the playbook's trap: worse now, and business follows
static void
test_gc_harmful (void **state)
{
    (void)state;
    demo_model_t *normal = demo_model_new (S_SEED);
    demo_model_t *aggressive = demo_model_new (S_SEED);
    s_set (aggressive, "gc_mode", "aggressive");
    demo_model_advance (normal, 300);
    demo_model_advance (aggressive, 300);
    double a[DEMO_METRICS], n[DEMO_METRICS];
    demo_model_levels (normal, n);
    demo_model_levels (aggressive, a);
    for (int i = 0; i < DEMO_METRICS; i++) {
        const char *name = demo_model_metric_name ((size_t)i);
        bool business = i >= demo_model_metric_index ("user_retention_24h");
        if (strcmp (name, "api_response_time") == 0
            || strcmp (name, "chat_response_time") == 0
            || strcmp (name, "ui_interaction_lag") == 0)
            assert_true (a[i] > n[i] * 1.25);
        else if (business)
            assert_true (a[i] < n[i] * 0.95);
        else
            assert_true (a[i] == n[i]);
    }
    //  The p95 Helios would see is worse too
    double p95_n = s_quantile (normal, "api_response_time", S_SAMPLES, 0.95);
    double p95_a
        = s_quantile (aggressive, "api_response_time", S_SAMPLES, 0.95);
    assert_true (p95_a > p95_n * 1.2);
    demo_model_destroy (&normal);
    demo_model_destroy (&aggressive);
}

//  Business metrics follow the technical ones, over seconds (tau 5 s)
static void
test_business_follows (void **state)
{
    (void)state;
    demo_model_t *model = demo_model_new (S_SEED);
    double start = s_level (model, "user_retention_24h");
    s_set (model, "cache", "on");
    s_set (model, "prefetch", "on");
    //  Nothing moves without time passing
    assert_true (s_level (model, "user_retention_24h") == start);
    demo_model_advance (model, 1);
    double one = s_level (model, "user_retention_24h");
    demo_model_advance (model, 299);
    double settled = s_level (model, "user_retention_24h");
    assert_true (settled > start * 1.15);
    //  After 1 s it has gone a fifth of the way (1 - e^-0.2)
    assert_true (one > start + 0.15 * (settled - start)
                 && one - start < 0.25 * (settled - start));
    assert_true (settled <= 100);
    double roi = s_level (model, "optimization_roi");
    assert_true (roi > 1.3);

    //  And back down when the knobs are undone
    s_set (model, "cache", "off");
    s_set (model, "prefetch", "off");
    demo_model_advance (model, 300);
    s_near (s_level (model, "user_retention_24h"), start, 0.001,
            "retention after undo");
    demo_model_destroy (&model);
}

static void
test_db_slowdown (void **state)
{
    (void)state;
    demo_model_t *model = demo_model_new (S_SEED);
    double api = s_level (model, "api_response_time");
    double report = s_level (model, "report_generation");
    char err[256];
    assert_int_equal (
        demo_model_incident (model, "db_slowdown", err, sizeof err), 0);
    assert_string_equal (demo_model_incident_name (model), "db_slowdown");
    s_near (s_level (model, "api_response_time") / api, 6.5, 1e-9, "api x6.5");
    s_near (s_level (model, "report_generation") / report, 4, 1e-9,
            "report x4");
    //  api p95 far beyond its critical 1000 ms: an emergency
    double p95 = s_quantile (model, "api_response_time", S_SAMPLES, 0.95);
    assert_true (p95 > 2500);

    //  cache and a larger pool relieve it, partly
    s_set (model, "cache", "on");
    s_near (s_level (model, "api_response_time") / api, 6.5 * 0.55, 1e-9,
            "api x6.5 x0.55");
    s_set (model, "db_pool", "32");
    double relieved = s_level (model, "api_response_time");
    assert_true (relieved < api * 6.5 * 0.55 && relieved > api);
    //  ... to below critical (1000 ms) at p95: the emergency can end
    assert_true (s_quantile (model, "api_response_time", S_SAMPLES, 0.95)
                 < 900);

    //  clear restores the levels exactly
    assert_int_equal (demo_model_incident (model, "clear", err, sizeof err), 0);
    assert_string_equal (demo_model_incident_name (model), "none");
    s_set (model, "cache", "off");
    s_set (model, "db_pool", "8");
    s_near (s_level (model, "api_response_time"), api, 1e-12, "api clear");
    s_near (s_level (model, "report_generation"), report, 1e-12,
            "report clear");
    demo_model_destroy (&model);
}

/*  api_response_time as deploy/helios.cfg declares it: the critical level
    the demo's incidents are measured against, and that it is a key
    metric (at 0 it caps health under the emergency threshold). */
static double
s_api_critical (void)
{
    char err[512];
    hl_config_t *config = hl_config_load ("deploy/helios.cfg", err, sizeof err);
    if (!config)
        fail_msg ("deploy/helios.cfg: %s", err);
    const hl_config_metric_t *api = NULL;
    for (size_t i = 0; i < hl_config_metrics_size (config); i++)
        if (!strcmp (hl_config_metric (config, i)->name, "api_response_time"))
            api = hl_config_metric (config, i);
    assert_non_null (api);
    assert_true (api->key);
    double critical = api->critical;
    hl_config_destroy (&config);
    return critical;
}

/*  Every knob at one of its telling values: each switch and gc_mode both
    ways, pools, workers and debounces at their ends and the playbook's
    values. Calls fn for each of the 2^7 x 4 x 3 x 3 states. */
static void
s_each_knob_state (demo_model_t *model, void (*fn) (demo_model_t *, void *),
                   void *arg)
{
    static const char *switches[] = { "cache", "ws_compression", "lazy_load",
                                      "virtual_list", "prefetch" };
    static const char *pools[] = { "1", "8", "32", "512" };
    static const char *workers[] = { "1", "4", "64" };
    static const char *debounces[] = { "0", "100", "1000" };
    for (int bits = 0; bits < 1 << 6; bits++) {
        for (int i = 0; i < 5; i++)
            s_set (model, switches[i], bits & (1 << i) ? "on" : "off");
        s_set (model, "gc_mode", bits & (1 << 5) ? "aggressive" : "normal");
        for (int p = 0; p < 4; p++)
            for (int w = 0; w < 3; w++)
                for (int d = 0; d < 3; d++) {
                    s_set (model, "db_pool", pools[p]);
                    s_set (model, "report_workers", workers[w]);
                    s_set (model, "debounce", debounces[d]);
                    fn (model, arg);
                }
    }
}

static void
s_check_outage (demo_model_t *model, void *arg)
{
    double critical = *(double *)arg;
    //  The level is the median: a p95, or any window's, is higher still;
    //  even a sample 3 sd low (x0.74) is past critical
    double api = s_level (model, "api_response_time");
    if (!(api * 0.74 > critical))
        fail_msg ("db_outage: api_response_time level %g, critical %g", api,
                  critical);
}

/*  db_outage takes api_response_time (a key metric) past its critical
    level whatever the knobs: health is capped under 50 however well the
    cycles have tuned the service, until the incident is cleared. */
static void
test_db_outage (void **state)
{
    (void)state;
    double critical = s_api_critical ();
    demo_model_t *model = demo_model_new (S_SEED);
    double api = s_level (model, "api_response_time");
    char err[256];
    assert_int_equal (demo_model_incident (model, "db_outage", err, sizeof err),
                      0);
    assert_string_equal (demo_model_incident_name (model), "db_outage");
    s_each_knob_state (model, s_check_outage, &critical);

    //  The state the playbook's kept actions leave (every helpful knob
    //  on): samples too, p5 included, stay past critical
    s_set (model, "cache", "on");
    s_set (model, "db_pool", "32");
    s_set (model, "ws_compression", "on");
    s_set (model, "report_workers", "4");
    s_set (model, "lazy_load", "on");
    s_set (model, "virtual_list", "on");
    s_set (model, "prefetch", "on");
    s_set (model, "debounce", "100");
    s_set (model, "gc_mode", "normal");
    assert_true (s_quantile (model, "api_response_time", S_SAMPLES, 0.05)
                 > critical);
    assert_true (s_level (model, "report_generation") > 60);

    //  clear gives the tuned service back
    assert_int_equal (demo_model_incident (model, "clear", err, sizeof err), 0);
    assert_true (s_quantile (model, "api_response_time", S_SAMPLES, 0.95)
                 < critical / 4);
    assert_true (s_level (model, "api_response_time") < api);
    demo_model_destroy (&model);
}

/*  db_slowdown is the incident the playbook can answer: past critical
    from the baseline knobs (an emergency whose remedies are the cache
    and the pool), under it once they are on. */
static void
test_db_slowdown_answered (void **state)
{
    (void)state;
    double critical = s_api_critical ();
    demo_model_t *model = demo_model_new (S_SEED);
    char err[256];
    assert_int_equal (
        demo_model_incident (model, "db_slowdown", err, sizeof err), 0);
    assert_true (s_quantile (model, "api_response_time", S_SAMPLES, 0.95)
                 > critical);
    s_set (model, "cache", "on");
    s_set (model, "db_pool", "32");
    assert_true (s_quantile (model, "api_response_time", S_SAMPLES, 0.95)
                 < critical);
    demo_model_destroy (&model);
}

static void
test_other_incidents (void **state)
{
    (void)state;
    char err[256];
    demo_model_t *model = demo_model_new (S_SEED);
    double api = s_level (model, "api_response_time");
    double ws = s_level (model, "websocket_throughput");
    s_set (model, "cache", "on");
    assert_int_equal (
        demo_model_incident (model, "cache_outage", err, sizeof err), 0);
    //  The cache is down: cache=on cannot help
    s_near (s_level (model, "redis_cache_hit"), 5, 1e-9, "hit in outage");
    s_near (s_level (model, "api_response_time") / api, 2.5, 1e-9,
            "api in outage");
    //  A new incident replaces the old one
    assert_int_equal (demo_model_incident (model, "ws_storm", err, sizeof err),
                      0);
    assert_string_equal (demo_model_incident_name (model), "ws_storm");
    s_near (s_level (model, "websocket_throughput") / ws, 0.3, 1e-9,
            "ws storm");
    s_near (s_level (model, "redis_cache_hit"), 92, 1e-9, "hit after");
    s_set (model, "ws_compression", "on");
    s_near (s_level (model, "websocket_throughput") / ws, 0.42, 1e-9,
            "ws storm compressed");

    assert_int_equal (demo_model_incident (model, "meteor", err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "unknown incident \"meteor\""));
    assert_int_equal (demo_model_incident (model, NULL, err, sizeof err), -1);
    assert_int_equal (demo_model_incident (model, "", NULL, 0), -1);
    assert_string_equal (demo_model_incident_name (model), "ws_storm");
    demo_model_destroy (&model);
}

static void
test_invalid_values (void **state)
{
    (void)state;
    static const struct {
        const char *knob, *value, *reason;
    } bad[] = {
        { "bogus", "1", "unknown knob \"bogus\"" },
        { "", "1", "unknown knob" },
        { "cache", "maybe",
          "bad value \"maybe\" for cache: must be on or off" },
        { "cache", "ON", "must be on or off" },
        { "cache", "", "must be on or off" },
        { "db_pool", "0", "must be an integer 1..512" },
        { "db_pool", "513", "must be an integer 1..512" },
        { "db_pool", "-1", "1..512" },
        { "db_pool", "+8", "1..512" },
        { "db_pool", " 8", "1..512" },
        { "db_pool", "8.0", "1..512" },
        { "db_pool", "99999999999999999999", "1..512" },
        { "report_workers", "65", "must be an integer 1..64" },
        { "report_workers", "0", "1..64" },
        { "debounce", "1001", "must be an integer 0..1000" },
        { "debounce", "1e2", "0..1000" },
        { "gc_mode", "fast", "must be normal or aggressive" },
        { "ws_compression", "1", "must be on or off" },
        { "lazy_load", "true", "must be on or off" },
        { "virtual_list", "yes", "must be on or off" },
        { "prefetch", "of", "must be on or off" },
    };
    demo_model_t *model = demo_model_new (S_SEED);
    hl_value_t *before = demo_model_state (model);
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal (
            demo_model_check (bad[i].knob, bad[i].value, err, sizeof err), -1);
        assert_int_equal (
            demo_model_set (model, bad[i].knob, bad[i].value, err, sizeof err),
            -1);
        if (!strstr (err, bad[i].reason))
            fail_msg ("%s=%s: got \"%s\", want \"%s\"", bad[i].knob,
                      bad[i].value, err, bad[i].reason);
    }
    assert_int_equal (demo_model_check (NULL, "on", err, sizeof err), -1);
    assert_int_equal (demo_model_check ("cache", NULL, err, sizeof err), -1);
    assert_int_equal (demo_model_set (model, "cache", "x", NULL, 0), -1);
    //  Nothing changed
    hl_value_t *after = demo_model_state (model);
    assert_true (hl_value_eq (before, after));
    hl_value_destroy (&before);
    hl_value_destroy (&after);

    //  Every bound is accepted
    s_set (model, "db_pool", "1");
    s_set (model, "db_pool", "512");
    s_set (model, "report_workers", "64");
    s_set (model, "debounce", "0");
    s_set (model, "debounce", "1000");
    demo_model_destroy (&model);
}

static void
test_state (void **state)
{
    (void)state;
    demo_model_t *model = demo_model_new (S_SEED);
    s_set (model, "cache", "on");
    s_set (model, "db_pool", "32");
    s_set (model, "gc_mode", "aggressive");
    char err[256];
    assert_int_equal (
        demo_model_incident (model, "db_slowdown", err, sizeof err), 0);
    hl_value_t *map = demo_model_state (model);
    assert_int_equal (hl_value_size (map), DEMO_KNOBS + 1);
    assert_string_equal (hl_value_get_str (map, "cache", ""), "on");
    assert_string_equal (hl_value_get_str (map, "ws_compression", ""), "off");
    assert_int_equal (hl_value_get_int (map, "db_pool", 0), 32);
    assert_int_equal (hl_value_get_int (map, "report_workers", 0), 1);
    assert_int_equal (hl_value_get_int (map, "debounce", -1), 0);
    assert_string_equal (hl_value_get_str (map, "gc_mode", ""), "aggressive");
    assert_string_equal (hl_value_get_str (map, "incident", ""), "db_slowdown");
    hl_value_destroy (&map);
    demo_model_destroy (&model);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_names),
        cmocka_unit_test (test_baseline),
        cmocka_unit_test (test_deterministic),
        cmocka_unit_test (test_drift),
        cmocka_unit_test (test_knobs),
        cmocka_unit_test (test_debounce_curve),
        cmocka_unit_test (test_gc_harmful),
        cmocka_unit_test (test_business_follows),
        cmocka_unit_test (test_db_slowdown),
        cmocka_unit_test (test_db_outage),
        cmocka_unit_test (test_db_slowdown_answered),
        cmocka_unit_test (test_other_incidents),
        cmocka_unit_test (test_invalid_values),
        cmocka_unit_test (test_state),
    };
    return cmocka_run_group_tests_name ("demo_model", tests, NULL, NULL);
}
