/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    demo_model - knobs, incidents and the KPI generator of helios-demo.
    Tuned against deploy/helios.cfg so that the baseline scores about 64
    (degraded, no emergency), the playbook's actions help, one hurts, and
    db_outage drives a key metric to 0 (an emergency) whatever the knobs.

    metric                base   noise  knob and incident factors
    chat_response_time    1100ms  10%   cache=on x0.85, ws_compression=on
                                        x0.92, gc_mode=aggressive x1.4
    ui_interaction_lag     190ms  10%   virtual_list=on x0.8, debounce=d
                                        x(1-0.0035d) up to 100 (x0.65),
                                        then x(0.65+0.0025(d-100)); gc x1.5
    message_render_time    160ms  10%   lazy_load=on x0.7, virtual_list=on
                                        x0.6
    prompt_feed_refresh   1900ms  10%   lazy_load=on x0.9, prefetch=on x0.6
    api_response_time      420ms  10%   cache=on x0.55, db_pool=N
                                        x(8/min(N,32))^0.6, gc x1.3;
                                        db_slowdown x6.5, cache_outage x2.5;
                                        db_outage: 4000 ms, whatever the
                                        knobs (calls wait for a timeout)
    redis_cache_hit          62%   3%   cache=on: 92%; cache_outage: 5%
    websocket_throughput  1150/s  10%   ws_compression=on x1.4; ws_storm
                                        x0.3
    report_generation        8s   10%   report_workers=N / min(N,8)^0.8,
                                        db_pool=N x(0.85+0.15*8/min(N,32));
                                        db_slowdown x4; db_outage: 120 s
    user_retention_24h       40%   3%   business: base x exp(0.7 d), d the
    messages_per_session     14    3%   weighted mean log-improvement of
    session_duration        420s   3%   its drivers against baseline,
    optimization_roi         1.3   3%   d in -1.5..1, smoothed (tau 5 s)

    Business drivers: retention <- feed .4, chat .3, api .3; messages per
    session <- chat .4, ui .4, render .2; session duration <- render .4,
    chat .3, ui .3; roi <- all eight technical metrics alike. While the
    cache is out, cache=on has no effect. Levels are medians: with 10%
    noise a p95 is about 1.18 x the level. Drift: each metric x(1 + a
    sin(2 pi t / P + phi)), a 2-4%, P 3-10 min, phi from the seed.

    Health by deploy/helios.cfg (p95 ~ 1.18 level): baseline ~64; cache=on
    ~79, db_pool=32 ~72, virtual_list ~69, prefetch ~68, lazy_load ~67,
    debounce=100 ~67, ws_compression ~65, gc aggressive ~52 (worse); all
    helpful knobs ~94.

    Incidents. db_outage: the database is down, every API call waits for
    its timeout; no knob absorbs it, so api_response_time (a key metric)
    stays far past critical and health under 50 (capped) until "clear":
    the emergency the README's tour shows. db_slowdown: the database is
    6.5 times slower, which the playbook can answer: from the baseline
    knobs ~47 (an emergency, api at 0, capped), ~62 once the emergency
    has turned the cache on and grown the pool; with those already on,
    health only dips (api p95 ~ 900 ms, under critical). cache_outage:
    the cache is down (~49 from the baseline, cache=on cannot help it);
    ws_storm: websocket throughput falls to 30% (~58).
*/
#include "demo_model.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bus/hl_rand.h"
#include "../../proto/hl_alloc.h"

enum {
    S_CHAT,
    S_UI,
    S_RENDER,
    S_FEED,
    S_API,
    S_CACHE_HIT,
    S_WS,
    S_REPORT,
    S_RETENTION,
    S_MESSAGES,
    S_DURATION,
    S_ROI
};
#define S_TECHNICAL 8 /* metrics before S_RETENTION */
#define S_BUSINESS (DEMO_METRICS - S_TECHNICAL)

typedef struct {
    const char *name;
    double base;  /* level with every knob at baseline, no incident */
    double noise; /* sd of the log-normal noise */
    bool higher;  /* higher is better */
    double max;   /* values are clamped to 0..max */
} s_metric_t;

static const s_metric_t s_metrics[DEMO_METRICS] = {
    { "chat_response_time", 1100, 0.10, false, 1e9 },
    { "ui_interaction_lag", 190, 0.10, false, 1e9 },
    { "message_render_time", 160, 0.10, false, 1e9 },
    { "prompt_feed_refresh", 1900, 0.10, false, 1e9 },
    { "api_response_time", 420, 0.10, false, 1e9 },
    { "redis_cache_hit", 62, 0.03, true, 100 },
    { "websocket_throughput", 1150, 0.10, true, 1e9 },
    { "report_generation", 8, 0.10, false, 1e9 },
    //  Business figures are aggregates over many users: less noisy
    { "user_retention_24h", 40, 0.03, true, 100 },
    { "messages_per_session", 14, 0.03, true, 1e9 },
    { "session_duration", 420, 0.03, true, 1e9 },
    { "optimization_roi", 1.3, 0.03, true, 1e9 },
};

//  How much each technical metric drives each business metric
static const double s_drivers[S_BUSINESS][S_TECHNICAL] = {
    { 0.3, 0, 0, 0.4, 0.3, 0, 0, 0 }, /* retention */
    { 0.4, 0.4, 0.2, 0, 0, 0, 0, 0 }, /* messages per session */
    { 0.3, 0.3, 0.4, 0, 0, 0, 0, 0 }, /* session duration */
    { 1, 1, 1, 1, 1, 1, 1, 1 },       /* roi */
};
#define S_ELASTICITY 0.7
#define S_DRIVE_MIN -1.5
#define S_DRIVE_MAX 1.0
/*  Seconds business metrics take to follow. Short enough that a demo
    cycle's settle and verify window (5 s and 10 s) see them arrive: a
    slower metric needs a longer cycle.settle, or its verdicts are taken
    mid-way. */
#define S_TAU 5.0

// --------------------------------------------------------------------
// Knobs

typedef enum { S_SWITCH, S_INT, S_GC } s_kind_t;

enum {
    K_CACHE,
    K_DB_POOL,
    K_WS_COMPRESSION,
    K_REPORT_WORKERS,
    K_LAZY_LOAD,
    K_VIRTUAL_LIST,
    K_PREFETCH,
    K_DEBOUNCE,
    K_GC_MODE
};

typedef struct {
    const char *name;
    s_kind_t kind;
    int min, max; /* S_INT: inclusive range */
    int baseline; /* switches 0 = off, gc 0 = normal */
} s_knob_t;

static const s_knob_t s_knobs[DEMO_KNOBS] = {
    { "cache", S_SWITCH, 0, 1, 0 },
    { "db_pool", S_INT, 1, 512, 8 },
    { "ws_compression", S_SWITCH, 0, 1, 0 },
    { "report_workers", S_INT, 1, 64, 1 },
    { "lazy_load", S_SWITCH, 0, 1, 0 },
    { "virtual_list", S_SWITCH, 0, 1, 0 },
    { "prefetch", S_SWITCH, 0, 1, 0 },
    { "debounce", S_INT, 0, 1000, 0 },
    { "gc_mode", S_GC, 0, 1, 0 },
};

typedef enum {
    S_NONE,
    S_DB_SLOWDOWN,
    S_CACHE_OUTAGE,
    S_WS_STORM,
    S_DB_OUTAGE,
    S_INCIDENTS
} s_incident_t;

/*  db_slowdown's factor on api_response_time: far past critical alone,
    and below it (p95 ~770 ms) with the cache on and a pool of 32, so that
    the emergency's remedies end it clearly rather than at the line. */
#define S_SLOWDOWN_API 6.5

/*  db_outage's levels, whatever the knobs: API calls wait for their 4 s
    timeout, reports for their retries. 4 x api_response_time's critical
    level, so that no knob and no noise brings its p95 under it. */
#define S_OUTAGE_API 4000.0
#define S_OUTAGE_REPORT 120.0

static const char *s_incidents[S_INCIDENTS]
    = { "none", "db_slowdown", "cache_outage", "ws_storm", "db_outage" };

struct _demo_model_t {
    int knobs[DEMO_KNOBS];       /* current values, see s_knobs */
    s_incident_t incident;       /* active incident */
    double time;                 /* seconds since new */
    double business[S_BUSINESS]; /* smoothed business levels */
    double drift_amp[DEMO_METRICS];
    double drift_period[DEMO_METRICS]; /* seconds */
    double drift_phase[DEMO_METRICS];  /* radians */
    hl_rand_t rng;                     /* drift parameters and noise */
};

// --------------------------------------------------------------------
// Levels

static double
s_debounce_factor (int ms)
{
    //  Coalescing events helps up to ~100 ms; beyond, input feels late
    if (ms <= 100)
        return 1.0 - 0.0035 * ms;
    return 0.65 + 0.0025 * (ms - 100);
}

//  Noise-free technical levels from the knobs and the incident
static void
s_technical (const demo_model_t *self, double out[S_TECHNICAL])
{
    const int *k = self->knobs;
    bool outage = self->incident == S_CACHE_OUTAGE;
    bool cache = k[K_CACHE] && !outage;
    bool gc = k[K_GC_MODE] != 0;
    double pool = k[K_DB_POOL] < 32 ? k[K_DB_POOL] : 32;
    for (int i = 0; i < S_TECHNICAL; i++)
        out[i] = s_metrics[i].base;

    out[S_CHAT] *= (cache ? 0.85 : 1) * (k[K_WS_COMPRESSION] ? 0.92 : 1)
                   * (gc ? 1.4 : 1);
    out[S_UI] *= (k[K_VIRTUAL_LIST] ? 0.8 : 1)
                 * s_debounce_factor (k[K_DEBOUNCE]) * (gc ? 1.5 : 1);
    out[S_RENDER] *= (k[K_LAZY_LOAD] ? 0.7 : 1) * (k[K_VIRTUAL_LIST] ? 0.6 : 1);
    out[S_FEED] *= (k[K_LAZY_LOAD] ? 0.9 : 1) * (k[K_PREFETCH] ? 0.6 : 1);
    out[S_API] *= (cache ? 0.55 : 1) * pow (8.0 / pool, 0.6) * (gc ? 1.3 : 1)
                  * (self->incident == S_DB_SLOWDOWN ? S_SLOWDOWN_API : 1)
                  * (outage ? 2.5 : 1);
    out[S_CACHE_HIT] = outage ? 5 : cache ? 92 : s_metrics[S_CACHE_HIT].base;
    out[S_WS] *= (k[K_WS_COMPRESSION] ? 1.4 : 1)
                 * (self->incident == S_WS_STORM ? 0.3 : 1);
    int workers = k[K_REPORT_WORKERS] < 8 ? k[K_REPORT_WORKERS] : 8;
    out[S_REPORT] *= (0.85 + 0.15 * 8.0 / pool) / pow (workers, 0.8)
                     * (self->incident == S_DB_SLOWDOWN ? 4 : 1);
    //  An outage: no cache, pool or worker count shortens a timeout
    if (self->incident == S_DB_OUTAGE) {
        out[S_API] = S_OUTAGE_API;
        out[S_REPORT] = S_OUTAGE_REPORT;
    }
}

//  Where each business metric is heading, from the technical levels
static void
s_business_targets (const double tech[S_TECHNICAL], double out[S_BUSINESS])
{
    for (int b = 0; b < S_BUSINESS; b++) {
        double sum = 0, weight = 0;
        for (int i = 0; i < S_TECHNICAL; i++) {
            double ratio = tech[i] / s_metrics[i].base;
            double gain = log (s_metrics[i].higher ? ratio : 1 / ratio);
            sum += s_drivers[b][i] * gain;
            weight += s_drivers[b][i];
        }
        double drive = S_ELASTICITY * sum / weight;
        drive = drive < S_DRIVE_MIN   ? S_DRIVE_MIN
                : drive > S_DRIVE_MAX ? S_DRIVE_MAX
                                      : drive;
        const s_metric_t *m = &s_metrics[S_TECHNICAL + b];
        double level = m->base * exp (drive);
        out[b] = level > m->max ? m->max : level;
    }
}

// --------------------------------------------------------------------

demo_model_t *
demo_model_new (uint64_t seed)
{
    demo_model_t *self = (demo_model_t *)hl_alloc (sizeof *self);
    for (int i = 0; i < DEMO_KNOBS; i++)
        self->knobs[i] = s_knobs[i].baseline;
    hl_rand_seed (&self->rng, seed);
    for (int i = 0; i < DEMO_METRICS; i++) {
        self->drift_amp[i] = 0.02 + 0.02 * hl_rand_uniform (&self->rng);
        self->drift_period[i] = 180 + 420 * hl_rand_uniform (&self->rng);
        self->drift_phase[i] = 2 * M_PI * hl_rand_uniform (&self->rng);
    }
    for (int b = 0; b < S_BUSINESS; b++)
        self->business[b] = s_metrics[S_TECHNICAL + b].base;
    return self;
}

void
demo_model_destroy (demo_model_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

const char *
demo_model_metric_name (size_t i)
{
    return i < DEMO_METRICS ? s_metrics[i].name : NULL;
}

int
demo_model_metric_index (const char *name)
{
    for (int i = 0; name && i < DEMO_METRICS; i++)
        if (strcmp (name, s_metrics[i].name) == 0)
            return i;
    return -1;
}

const char *
demo_model_knob_name (size_t i)
{
    return i < DEMO_KNOBS ? s_knobs[i].name : NULL;
}

static int
s_knob_index (const char *name)
{
    for (int i = 0; name && i < DEMO_KNOBS; i++)
        if (strcmp (name, s_knobs[i].name) == 0)
            return i;
    return -1;
}

static void s_err (char *err, size_t errsize, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_err (char *err, size_t errsize, const char *fmt, ...)
{
    if (!err || errsize == 0)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, errsize, fmt, args);
    va_end (args);
}

//  Plain decimal digits only: no sign, space or exponent sneaks through
static bool
s_parse_int (const char *text, int *out)
{
    long value = 0;
    size_t len = strlen (text);
    if (len == 0 || len > 6)
        return false;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        value = value * 10 + (*c - '0');
    }
    *out = (int)value;
    return true;
}

//  Parse value for knob i; 0 and *out, or -1 with the reason
static int
s_parse (int i, const char *value, int *out, char *err, size_t errsize)
{
    const s_knob_t *knob = &s_knobs[i];
    //  Values come from peers: show them capped
    char shown[40];
    snprintf (shown, sizeof shown, "%s", value);
    if (knob->kind == S_SWITCH) {
        if (strcmp (value, "on") == 0 || strcmp (value, "off") == 0) {
            *out = strcmp (value, "on") == 0;
            return 0;
        }
        s_err (err, errsize, "bad value \"%s\" for %s: must be on or off",
               shown, knob->name);
        return -1;
    }
    if (knob->kind == S_GC) {
        if (strcmp (value, "normal") == 0
            || strcmp (value, "aggressive") == 0) {
            *out = strcmp (value, "aggressive") == 0;
            return 0;
        }
        s_err (err, errsize,
               "bad value \"%s\" for %s: must be normal or aggressive", shown,
               knob->name);
        return -1;
    }
    int number;
    if (s_parse_int (value, &number) && number >= knob->min
        && number <= knob->max) {
        *out = number;
        return 0;
    }
    s_err (err, errsize, "bad value \"%s\" for %s: must be an integer %d..%d",
           shown, knob->name, knob->min, knob->max);
    return -1;
}

int
demo_model_check (const char *knob, const char *value, char *err,
                  size_t errsize)
{
    int i = s_knob_index (knob);
    if (i < 0) {
        char shown[40];
        snprintf (shown, sizeof shown, "%s", knob ? knob : "");
        s_err (err, errsize,
               "unknown knob \"%s\" (cache, db_pool, ws_compression, "
               "report_workers, lazy_load, virtual_list, prefetch, "
               "debounce, gc_mode)",
               shown);
        return -1;
    }
    int parsed;
    if (!value) {
        s_err (err, errsize, "no value for %s", knob);
        return -1;
    }
    return s_parse (i, value, &parsed, err, errsize);
}

int
demo_model_set (demo_model_t *self, const char *knob, const char *value,
                char *err, size_t errsize)
{
    assert (self);
    if (demo_model_check (knob, value, err, errsize))
        return -1;
    int i = s_knob_index (knob);
    return s_parse (i, value, &self->knobs[i], err, errsize);
}

int
demo_model_incident (demo_model_t *self, const char *name, char *err,
                     size_t errsize)
{
    assert (self);
    if (name && strcmp (name, "clear") == 0) {
        self->incident = S_NONE;
        return 0;
    }
    for (int i = S_NONE + 1; name && i < S_INCIDENTS; i++)
        if (strcmp (name, s_incidents[i]) == 0) {
            self->incident = (s_incident_t)i;
            return 0;
        }
    char shown[40];
    snprintf (shown, sizeof shown, "%s", name ? name : "");
    s_err (err, errsize,
           "unknown incident \"%s\" (db_outage, db_slowdown, "
           "cache_outage, ws_storm or clear)",
           shown);
    return -1;
}

const char *
demo_model_incident_name (const demo_model_t *self)
{
    assert (self);
    return s_incidents[self->incident];
}

hl_value_t *
demo_model_state (const demo_model_t *self)
{
    assert (self);
    hl_value_t *map = hl_value_new_map ();
    for (int i = 0; i < DEMO_KNOBS; i++) {
        const s_knob_t *knob = &s_knobs[i];
        int v = self->knobs[i];
        if (knob->kind == S_SWITCH)
            hl_value_set_str (map, knob->name, v ? "on" : "off");
        else if (knob->kind == S_GC)
            hl_value_set_str (map, knob->name, v ? "aggressive" : "normal");
        else
            hl_value_set_int (map, knob->name, v);
    }
    hl_value_set_str (map, "incident", s_incidents[self->incident]);
    return map;
}

void
demo_model_levels (const demo_model_t *self, double out[DEMO_METRICS])
{
    assert (self);
    s_technical (self, out);
    for (int b = 0; b < S_BUSINESS; b++)
        out[S_TECHNICAL + b] = self->business[b];
}

void
demo_model_advance (demo_model_t *self, double dt)
{
    assert (self);
    if (!(dt > 0))
        return;
    self->time += dt;
    double tech[S_TECHNICAL], target[S_BUSINESS];
    s_technical (self, tech);
    s_business_targets (tech, target);
    //  Exponential smoothing, exact for any step: large steps converge
    double keep = exp (-dt / S_TAU);
    for (int b = 0; b < S_BUSINESS; b++)
        self->business[b] = target[b] + (self->business[b] - target[b]) * keep;
}

double
demo_model_time (const demo_model_t *self)
{
    assert (self);
    return self->time;
}

void
demo_model_sample (demo_model_t *self, double out[DEMO_METRICS])
{
    assert (self);
    double level[DEMO_METRICS];
    demo_model_levels (self, level);
    for (int i = 0; i < DEMO_METRICS; i++) {
        const s_metric_t *m = &s_metrics[i];
        double drift
            = 1
              + self->drift_amp[i]
                    * sin (2 * M_PI * self->time / self->drift_period[i]
                           + self->drift_phase[i]);
        double value
            = level[i] * drift * exp (m->noise * hl_rand_normal (&self->rng));
        out[i] = value < 0 ? 0 : value > m->max ? m->max : value;
    }
}
