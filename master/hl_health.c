/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_health - one snapshot: an array of per-metric results in config
    order, plus index arrays for the bottlenecks (sorted) and the metrics
    without data. Weighted means skip nodata metrics, so a silent metric
    never counts as a pass; it is listed instead.
*/
#include <assert.h>
#include <czmq.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/hl_alloc.h"
#include "hl_health.h"

#define S_CATEGORIES HL_CATEGORY_COUNT

struct _hl_health_t {
    const hl_config_t *config; /* borrowed */
    int window;                /* seconds scored */
    double score;              /* overall, NAN when nodata */
    hl_overall_t state;
    bool capped;                     /* a key metric at 0 lowered score */
    double categories[S_CATEGORIES]; /* NAN when no data */
    hl_health_metric_t *metrics;     /* config order */
    size_t metrics_n;
    const hl_health_metric_t **bottlenecks; /* worst first */
    size_t bottlenecks_n;
    const hl_health_metric_t **nodata; /* config order */
    size_t nodata_n;
};

double
hl_health_score_value (const hl_config_metric_t *metric, double value)
{
    assert (metric);
    if (isnan (value))
        return NAN;
    //  The loader guarantees target < critical for lower, > for higher,
    //  so the division below never sees a zero span
    if (hl_config_metric_critical (metric, value))
        return 0;
    if (metric->better == HL_BETTER_LOWER)
        return value <= metric->target
                   ? 100
                   : 100 * (metric->critical - value)
                         / (metric->critical - metric->target);
    return value >= metric->target ? 100
                                   : 100 * (value - metric->critical)
                                         / (metric->target - metric->critical);
}

hl_severity_t
hl_health_severity (double score)
{
    if (isnan (score) || score >= 100)
        return HL_SEVERITY_NONE;
    if (score < HL_HEALTH_CRITICAL_BELOW)
        return HL_SEVERITY_CRITICAL;
    if (score < HL_HEALTH_HIGH_BELOW)
        return HL_SEVERITY_HIGH;
    if (score < HL_HEALTH_MEDIUM_BELOW)
        return HL_SEVERITY_MEDIUM;
    return HL_SEVERITY_LOW;
}

//  Relative distance past target, in units of |target|; a zero target
//  has no scale of its own, so the target-critical span stands in
static double
s_gap (const hl_config_metric_t *metric, double value)
{
    double past = metric->better == HL_BETTER_LOWER ? value - metric->target
                                                    : metric->target - value;
    if (!(past > 0))
        return 0;
    double scale = fabs (metric->target);
    if (scale == 0)
        scale = fabs (metric->critical - metric->target);
    return past / scale;
}

static void
s_score_metric (hl_health_metric_t *m, const hl_kpi_t *kpi, int64_t from,
                int64_t to)
{
    m->value = m->score = NAN;
    m->state = HL_HEALTH_NODATA;
    m->severity = HL_SEVERITY_NONE;
    hl_kpi_stats_t stats;
    int rc = hl_kpi_window_for (kpi, m->config->name, m->config->stat, from, to,
                                &stats);
    if (rc != 0 || hl_kpi_stat (&stats, m->config->stat, &m->value) != 0)
        return;
    m->count = stats.count;
    m->score = hl_health_score_value (m->config, m->value);
    m->state = m->score <= 0    ? HL_HEALTH_CRITICAL
               : m->score < 100 ? HL_HEALTH_DEGRADED
                                : HL_HEALTH_OK;
    m->severity = hl_health_severity (m->score);
    m->gap = s_gap (m->config, m->value);
    m->impact = m->config->weight * m->gap;
}

static int
s_cmp_bottleneck (const void *a, const void *b)
{
    const hl_health_metric_t *x = *(const hl_health_metric_t *const *)a;
    const hl_health_metric_t *y = *(const hl_health_metric_t *const *)b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    if (x->impact != y->impact)
        return x->impact > y->impact ? -1 : 1;
    return strcmp (x->config->name, y->config->name);
}

double
hl_health_combine (const hl_config_t *config, const double *scores,
                   bool *capped_p)
{
    double sum = 0, weight = 0;
    bool key_at_zero = false;
    for (size_t i = 0; i < hl_config_metrics_size (config); i++) {
        const hl_config_metric_t *m = hl_config_metric (config, i);
        if (!isfinite (scores[i]))
            continue; /* nodata: left out, never a pass */
        sum += m->weight * scores[i];
        weight += m->weight;
        if (m->key && scores[i] <= 0)
            key_at_zero = true;
    }
    if (capped_p)
        *capped_p = false;
    if (weight == 0)
        return NAN;
    double score = sum / weight;
    //  A key metric at 0 must trigger an emergency however well the rest
    //  does: cap strictly below the threshold. One point below keeps the
    //  figure round and stable, and min() keeps a lower score as it is.
    if (key_at_zero) {
        double cap = hl_config_emergency (config)->threshold - 1;
        if (cap < 0)
            cap = 0;
        if (score > cap) {
            score = cap;
            if (capped_p)
                *capped_p = true;
        }
    }
    return score;
}

hl_health_t *
hl_health_compute (const hl_config_t *config, const hl_kpi_t *kpi,
                   int64_t now_us)
{
    assert (config);
    assert (kpi);
    hl_health_t *self = (hl_health_t *)hl_alloc (sizeof (hl_health_t));
    self->config = config;
    self->window = hl_config_health (config)->window;
    self->metrics_n = hl_config_metrics_size (config);
    size_t n = self->metrics_n;
    self->metrics
        = (hl_health_metric_t *)hl_calloc (n, sizeof (hl_health_metric_t));
    self->bottlenecks = (const hl_health_metric_t **)hl_calloc (
        n, sizeof (hl_health_metric_t *));
    self->nodata = (const hl_health_metric_t **)hl_calloc (
        n, sizeof (hl_health_metric_t *));

    //  The last window seconds, whole, the current (partial) one included
    //  so that "last" sees the newest sample
    int64_t to = (now_us / 1000000 + (now_us % 1000000 >= 0 ? 1 : 0)) * 1000000;
    int64_t from = to - (int64_t)self->window * 1000000;

    double cat_sum[S_CATEGORIES] = { 0 }, cat_weight[S_CATEGORIES] = { 0 };
    double *scores = (double *)hl_calloc (n, sizeof (double));
    for (size_t i = 0; i < self->metrics_n; i++) {
        hl_health_metric_t *m = &self->metrics[i];
        m->config = hl_config_metric (config, i);
        s_score_metric (m, kpi, from, to);
        scores[i] = m->score;
        if (m->state == HL_HEALTH_NODATA) {
            self->nodata[self->nodata_n++] = m;
            continue;
        }
        cat_sum[m->config->category] += m->config->weight * m->score;
        cat_weight[m->config->category] += m->config->weight;
        if (m->score < 100)
            self->bottlenecks[self->bottlenecks_n++] = m;
    }
    for (int c = 0; c < S_CATEGORIES; c++)
        self->categories[c]
            = cat_weight[c] > 0 ? cat_sum[c] / cat_weight[c] : NAN;
    qsort (self->bottlenecks, self->bottlenecks_n, sizeof *self->bottlenecks,
           s_cmp_bottleneck);

    const hl_config_emergency_t *emergency = hl_config_emergency (config);
    self->score = hl_health_combine (config, scores, &self->capped);
    free (scores);
    if (!isfinite (self->score)) {
        self->state = HL_OVERALL_NODATA;
        return self;
    }
    if (self->score < emergency->threshold)
        self->state = HL_OVERALL_EMERGENCY;
    else if (self->score < hl_config_health (config)->target)
        self->state = HL_OVERALL_DEGRADED;
    else
        self->state = HL_OVERALL_OK;
    return self;
}

void
hl_health_destroy (hl_health_t **self_p)
{
    assert (self_p);
    hl_health_t *self = *self_p;
    if (!self)
        return;
    free (self->metrics);
    free (self->bottlenecks);
    free (self->nodata);
    free (self);
    *self_p = NULL;
}

double
hl_health_score (const hl_health_t *self)
{
    assert (self);
    return self->score;
}

hl_overall_t
hl_health_state (const hl_health_t *self)
{
    assert (self);
    return self->state;
}

bool
hl_health_capped (const hl_health_t *self)
{
    assert (self);
    return self->capped;
}

double
hl_health_category (const hl_health_t *self, hl_category_t category)
{
    assert (self);
    return (int)category >= 0 && category < S_CATEGORIES
               ? self->categories[category]
               : NAN;
}

size_t
hl_health_metrics_size (const hl_health_t *self)
{
    assert (self);
    return self->metrics_n;
}

const hl_health_metric_t *
hl_health_metric (const hl_health_t *self, size_t i)
{
    assert (self);
    return i < self->metrics_n ? &self->metrics[i] : NULL;
}

const hl_health_metric_t *
hl_health_metric_find (const hl_health_t *self, const char *name)
{
    assert (self);
    for (size_t i = 0; name && i < self->metrics_n; i++)
        if (streq (self->metrics[i].config->name, name))
            return &self->metrics[i];
    return NULL;
}

size_t
hl_health_bottlenecks_size (const hl_health_t *self)
{
    assert (self);
    return self->bottlenecks_n;
}

const hl_health_metric_t *
hl_health_bottleneck (const hl_health_t *self, size_t i)
{
    assert (self);
    return i < self->bottlenecks_n ? self->bottlenecks[i] : NULL;
}

size_t
hl_health_nodata_size (const hl_health_t *self)
{
    assert (self);
    return self->nodata_n;
}

const hl_health_metric_t *
hl_health_nodata (const hl_health_t *self, size_t i)
{
    assert (self);
    return i < self->nodata_n ? self->nodata[i] : NULL;
}

const char *
hl_health_state_name (hl_health_state_t state)
{
    switch (state) {
        case HL_HEALTH_OK:
            return "ok";
        case HL_HEALTH_DEGRADED:
            return "degraded";
        case HL_HEALTH_CRITICAL:
            return "critical";
        case HL_HEALTH_NODATA:
            return "nodata";
    }
    return "nodata";
}

const char *
hl_health_overall_name (hl_overall_t state)
{
    switch (state) {
        case HL_OVERALL_OK:
            return "ok";
        case HL_OVERALL_DEGRADED:
            return "degraded";
        case HL_OVERALL_EMERGENCY:
            return "emergency";
        case HL_OVERALL_NODATA:
            return "nodata";
    }
    return "nodata";
}

//  A number, or null when there is none
static hl_value_t *
s_number (double d)
{
    return isnan (d) ? hl_value_new_nil () : hl_value_new_double (d);
}

static void
s_set_number (hl_value_t *map, const char *key, double d)
{
    hl_value_t *value = s_number (d);
    hl_value_set (map, key, &value);
}

hl_value_t *
hl_health_to_value (const hl_health_t *self)
{
    assert (self);
    hl_value_t *root = hl_value_new_map ();
    s_set_number (root, "score", self->score);
    hl_value_set_str (root, "state", hl_health_overall_name (self->state));
    hl_value_set_bool (root, "capped", self->capped);
    hl_value_set_int (root, "window", self->window);

    hl_value_t *categories = hl_value_new_map ();
    for (int c = 0; c < S_CATEGORIES; c++)
        s_set_number (categories, hl_category_name ((hl_category_t)c),
                      self->categories[c]);
    hl_value_set (root, "categories", &categories);

    hl_value_t *metrics = hl_value_new_map ();
    for (size_t i = 0; i < self->metrics_n; i++) {
        const hl_health_metric_t *m = &self->metrics[i];
        hl_value_t *entry = hl_value_new_map ();
        s_set_number (entry, "value", m->value);
        hl_value_set_str (entry, "stat", m->config->stat);
        s_set_number (entry, "score", m->score);
        hl_value_set_str (entry, "state", hl_health_state_name (m->state));
        hl_value_set_int (entry, "count", (int64_t)m->count);
        hl_value_set_double (entry, "target", m->config->target);
        hl_value_set_double (entry, "critical", m->config->critical);
        hl_value_set_str (entry, "unit", m->config->unit);
        hl_value_set_str (entry, "category",
                          hl_category_name (m->config->category));
        //  Names are unique in a config: append keeps this O(n)
        hl_value_map_append (metrics, m->config->name, strlen (m->config->name),
                             &entry);
    }
    hl_value_set (root, "metrics", &metrics);

    hl_value_t *nodata = hl_value_new_array ();
    for (size_t i = 0; i < self->nodata_n; i++) {
        hl_value_t *name = hl_value_new_str (self->nodata[i]->config->name);
        hl_value_append (nodata, &name);
    }
    hl_value_set (root, "nodata", &nodata);

    hl_value_t *bottlenecks = hl_value_new_array ();
    for (size_t i = 0; i < self->bottlenecks_n; i++) {
        const hl_health_metric_t *m = self->bottlenecks[i];
        hl_value_t *entry = hl_value_new_map ();
        hl_value_set_str (entry, "metric", m->config->name);
        hl_value_set_str (entry, "category",
                          hl_category_name (m->config->category));
        hl_value_set_str (entry, "severity", hl_severity_name (m->severity));
        hl_value_set_double (entry, "score", m->score);
        hl_value_set_double (entry, "value", m->value);
        hl_value_set_double (entry, "target", m->config->target);
        hl_value_set_double (entry, "gap", m->gap);
        hl_value_set_double (entry, "impact", m->impact);
        hl_value_append (bottlenecks, &entry);
    }
    hl_value_set (root, "bottlenecks", &bottlenecks);
    return root;
}
