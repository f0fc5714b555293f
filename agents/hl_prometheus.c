/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_prometheus - the Prometheus role (design §6): kind "analyze" takes
    metric series from the master and answers, per metric, its level,
    Theil-Sen trend, forecasts to critical and target, a robust anomaly
    score, a severity and the configured actions that improve it
    (docs/task-kinds.md). The work is bounded and done within start.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hl_role.h"
#include "../proto/hl_alloc.h"
#include "../bus/hl_stats.h"

#define S_METRICS_MAX 64       //  metrics per task
#define S_POINTS_MAX 86400     //  points per series: a day of seconds
#define S_HORIZON_MAX 31536000 //  a year, in seconds
#define S_INTERVAL_MAX 86400   //  the anomaly's last interval, seconds
#define S_ANOMALY_Z 3.5        //  |z| that raises severity (Iglewicz)

typedef struct {
    hl_agent_t *agent; //  borrowed, outlives the role
} s_prometheus_t;

//  One metric's arguments, checked; series borrowed from the task
typedef struct {
    const char *name;
    bool better_lower;
    double target;
    double critical;
    const hl_value_t *series; //  array of [ts_us, value]
} s_metric_t;

static int
s_new (hl_agent_t *agent, void **state_p)
{
    s_prometheus_t *self = (s_prometheus_t *)hl_alloc (sizeof *self);
    self->agent = agent;
    *state_p = self;
    return 0;
}

static void
s_destroy (void **state_p)
{
    free (*state_p);
    *state_p = NULL;
}

//  ---------------------------------------------------------------------
//  Arguments

static int
s_number (const hl_value_t *value, double *out)
{
    return value && hl_value_double (value, out) == 0 && isfinite (*out) ? 0
                                                                         : -1;
}

//  An optional number in [min, max], fallback when absent
static int
s_optional (const hl_value_t *args, const char *key, double min, double max,
            double fallback, double *out, char *why, size_t size)
{
    const hl_value_t *value = hl_value_get (args, key);
    *out = fallback;
    if (!value)
        return 0;
    if (s_number (value, out) != 0 || *out < min || *out > max) {
        snprintf (why, size, "%s must be a number in %g..%g", key, min, max);
        return -1;
    }
    return 0;
}

//  Each point is a pair of finite numbers, oldest first
static int
s_check_series (const hl_value_t *series, size_t m, char *why, size_t size)
{
    if (!series || hl_value_type (series) != HL_VALUE_ARRAY) {
        snprintf (why, size, "metrics[%zu].series must be an array", m);
        return -1;
    }
    size_t n = hl_value_size (series);
    if (n == 0 || n > S_POINTS_MAX) {
        snprintf (why, size, "metrics[%zu].series must hold 1..%d points", m,
                  S_POINTS_MAX);
        return -1;
    }
    double previous = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const hl_value_t *point = hl_value_at (series, i);
        double ts, value;
        if (hl_value_type (point) != HL_VALUE_ARRAY
            || hl_value_size (point) != 2
            || s_number (hl_value_at (point, 0), &ts) != 0
            || s_number (hl_value_at (point, 1), &value) != 0) {
            snprintf (why, size,
                      "metrics[%zu].series[%zu] must be a pair of finite "
                      "numbers",
                      m, i);
            return -1;
        }
        if (ts < previous) {
            snprintf (why, size,
                      "metrics[%zu].series[%zu] is older than the point "
                      "before it",
                      m, i);
            return -1;
        }
        previous = ts;
    }
    return 0;
}

static int
s_check_metric (const hl_value_t *item, size_t m, s_metric_t *metric, char *why,
                size_t size)
{
    if (hl_value_type (item) != HL_VALUE_MAP) {
        snprintf (why, size, "metrics[%zu] must be a map", m);
        return -1;
    }
    size_t len = 0;
    metric->name = hl_value_str (hl_value_get (item, "name"), &len);
    if (!metric->name || len == 0 || len > HL_MAX_METRIC) {
        snprintf (why, size,
                  "metrics[%zu].name must be a string of 1..%d bytes", m,
                  HL_MAX_METRIC);
        return -1;
    }
    const char *better = hl_value_str (hl_value_get (item, "better"), NULL);
    if (!better || (!streq (better, "lower") && !streq (better, "higher"))) {
        snprintf (why, size, "metrics[%zu].better must be lower or higher", m);
        return -1;
    }
    metric->better_lower = streq (better, "lower");
    if (s_number (hl_value_get (item, "target"), &metric->target) != 0
        || s_number (hl_value_get (item, "critical"), &metric->critical) != 0) {
        snprintf (why, size,
                  "metrics[%zu].target and critical must be finite numbers", m);
        return -1;
    }
    //  As the config loader: the score needs a span on the right side
    if (metric->better_lower ? !(metric->target < metric->critical)
                             : !(metric->target > metric->critical)) {
        snprintf (why, size, "metrics[%zu].target must be better than critical",
                  m);
        return -1;
    }
    const hl_value_t *unit = hl_value_get (item, "unit");
    if (unit && hl_value_type (unit) != HL_VALUE_STR) {
        snprintf (why, size, "metrics[%zu].unit must be a string", m);
        return -1;
    }
    metric->series = hl_value_get (item, "series");
    return s_check_series (metric->series, m, why, size);
}

//  ---------------------------------------------------------------------
//  Analysis

static void
s_set_number (hl_value_t *map, const char *key, double value)
{
    if (isfinite (value))
        hl_value_set_double (map, key, value);
    else {
        hl_value_t *nil = hl_value_new_nil ();
        hl_value_set (map, key, &nil);
    }
}

//  Health's score of a value: 100 at or better than target, 0 at or
//  beyond critical, linear between
static double
s_score (const s_metric_t *metric, double value)
{
    double worse = metric->better_lower ? value - metric->target
                                        : metric->target - value;
    double span = fabs (metric->critical - metric->target);
    if (worse <= 0)
        return 100;
    if (worse >= span)
        return 0;
    return 100 * (1 - worse / span);
}

static hl_severity_t
s_severity (double score)
{
    //  Quarters of the scale, as the master's health (hl_health.h)
    if (score >= 100)
        return HL_SEVERITY_NONE;
    if (score >= 75)
        return HL_SEVERITY_LOW;
    if (score >= 50)
        return HL_SEVERITY_MEDIUM;
    if (score >= 25)
        return HL_SEVERITY_HIGH;
    return HL_SEVERITY_CRITICAL;
}

//  Seconds from now (x = 0) until the trend line reaches threshold: 0
//  when its level now is there or past it (above it if past_is_above),
//  NaN when it never gets there
static double
s_time_to (const hl_stats_trend_t *trend, bool have_trend, double level,
           double threshold, bool past_is_above)
{
    if (past_is_above ? level >= threshold : level <= threshold)
        return 0;
    double at;
    if (have_trend && hl_stats_forecast (trend, threshold, 0, &at) == 1)
        return at;
    return NAN;
}

typedef struct {
    const hl_config_action_t *action;
    size_t index; //  config order, to break ties the same way every time
} s_rank_t;

static int
s_rank_cmp (const void *a, const void *b)
{
    const s_rank_t *x = (const s_rank_t *)a;
    const s_rank_t *y = (const s_rank_t *)b;
    if (x->action->expected != y->action->expected)
        return x->action->expected > y->action->expected ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static hl_value_t *
s_recommend (s_prometheus_t *self, const char *name)
{
    hl_value_t *names = hl_value_new_array ();
    const hl_config_t *config = hl_agent_config (self->agent);
    size_t actions_n = hl_config_actions_size (config);
    if (actions_n == 0)
        return names;
    s_rank_t *ranks = (s_rank_t *)hl_calloc (actions_n, sizeof *ranks);
    size_t ranks_n = 0;
    for (size_t i = 0; i < actions_n; i++) {
        const hl_config_action_t *action = hl_config_action (config, i);
        for (size_t j = 0; j < action->improves_n; j++)
            if (streq (action->improves[j], name)) {
                ranks[ranks_n].action = action;
                ranks[ranks_n++].index = i;
                break;
            }
    }
    qsort (ranks, ranks_n, sizeof *ranks, s_rank_cmp);
    for (size_t i = 0; i < ranks_n; i++) {
        hl_value_t *item = hl_value_new_str (ranks[i].action->name);
        hl_value_append (names, &item);
    }
    free (ranks);
    return names;
}

static hl_value_t *
s_analyze (s_prometheus_t *self, const s_metric_t *metric, double horizon_s,
           double interval_s)
{
    size_t n = hl_value_size (metric->series);
    double *x = (double *)hl_calloc (n, sizeof *x);
    double *y = (double *)hl_calloc (n, sizeof *y);
    //  Seconds relative to the last point: now is 0, and no digits are
    //  lost to epoch microseconds
    double last_ts;
    hl_value_double (hl_value_at (hl_value_at (metric->series, n - 1), 0),
                     &last_ts);
    for (size_t i = 0; i < n; i++) {
        const hl_value_t *point = hl_value_at (metric->series, i);
        double ts;
        hl_value_double (hl_value_at (point, 0), &ts);
        hl_value_double (hl_value_at (point, 1), &y[i]);
        x[i] = (ts - last_ts) / 1e6;
    }
    double last = y[n - 1];
    hl_stats_summary_t summary;
    hl_stats_describe (y, n, &summary);

    hl_stats_trend_t trend;
    bool have_trend = hl_stats_theil_sen (x, y, n, &trend) == 0;
    //  Without a trend the line is the last value, going nowhere
    double level = have_trend ? trend.intercept : last;
    bool lower = metric->better_lower;
    double breach_in
        = s_time_to (&trend, have_trend, level, metric->critical, lower);
    double target_in
        = s_time_to (&trend, have_trend, level, metric->target, !lower);

    //  The last interval's median against the points before it
    size_t recent = 0;
    while (recent < n && x[n - 1 - recent] > -interval_s)
        recent++;
    size_t trailing = n - recent;
    double z = NAN;
    if (trailing >= HL_STATS_MIN_N)
        z = hl_stats_robust_z (hl_stats_median (y + trailing, recent), y,
                               trailing);

    hl_severity_t severity = s_severity (s_score (metric, last));
    bool breach_soon = isfinite (breach_in) && breach_in <= horizon_s;
    if ((fabs (z) >= S_ANOMALY_Z || breach_soon)
        && severity < HL_SEVERITY_CRITICAL)
        severity++;

    hl_value_t *out = hl_value_new_map ();
    hl_value_set_str (out, "name", metric->name);
    hl_value_set_int (out, "n", (int64_t)n);
    s_set_number (out, "mean", summary.mean);
    s_set_number (out, "p95", summary.p95);
    s_set_number (out, "last", last);
    s_set_number (out, "trend_per_hour", have_trend ? trend.slope * 3600 : NAN);
    hl_value_set_str (out, "trend_method", "theil-sen");
    s_set_number (out, "breach_in_s", breach_in);
    s_set_number (out, "target_in_s", target_in);
    s_set_number (out, "anomaly_z", z);
    //  On the wire, no severity reads "ok" (docs/task-kinds.md)
    hl_value_set_str (
        out, "severity",
        severity == HL_SEVERITY_NONE ? "ok" : hl_severity_name (severity));
    hl_value_t *names = severity == HL_SEVERITY_NONE
                            ? hl_value_new_array ()
                            : s_recommend (self, metric->name);
    hl_value_set (out, "recommendations", &names);
    free (x);
    free (y);
    return out;
}

//  ---------------------------------------------------------------------
//  The kind

static int
s_start (void *state, hl_agent_task_t *task)
{
    s_prometheus_t *self = (s_prometheus_t *)state;
    uint64_t task_id = hl_agent_task_id (task);
    const hl_value_t *args = hl_agent_task_args (task);
    s_metric_t *metrics = NULL;
    hl_value_t *data = NULL;
    char why[160];

    if (!args || hl_value_type (args) != HL_VALUE_MAP) {
        snprintf (why, sizeof why, "args must be a map");
        goto fail;
    }
    const hl_value_t *list = hl_value_get (args, "metrics");
    size_t metrics_n = hl_value_size (list);
    if (!list || hl_value_type (list) != HL_VALUE_ARRAY || metrics_n == 0
        || metrics_n > S_METRICS_MAX) {
        snprintf (why, sizeof why, "metrics must be an array of 1..%d maps",
                  S_METRICS_MAX);
        goto fail;
    }
    double horizon_s, interval_s;
    if (s_optional (args, "horizon_s", 0, S_HORIZON_MAX, 3600, &horizon_s, why,
                    sizeof why)
        || s_optional (args, "interval_s", 1, S_INTERVAL_MAX, 60, &interval_s,
                       why, sizeof why))
        goto fail;
    //  Check everything before computing anything
    metrics = (s_metric_t *)hl_calloc (metrics_n, sizeof *metrics);
    for (size_t i = 0; i < metrics_n; i++)
        if (s_check_metric (hl_value_at (list, i), i, &metrics[i], why,
                            sizeof why))
            goto fail;

    hl_value_t *results = hl_value_new_array ();
    for (size_t i = 0; i < metrics_n; i++) {
        hl_value_t *result
            = s_analyze (self, &metrics[i], horizon_s, interval_s);
        hl_value_append (results, &result);
    }
    free (metrics);
    data = hl_value_new_map ();
    hl_value_set (data, "metrics", &results);
    hl_agent_complete (self->agent, task_id, HL_STATUS_OK, &data);
    return 0;
fail:
    free (metrics);
    data = hl_value_new_map ();
    hl_value_set_str (data, "error", why);
    hl_agent_complete (self->agent, task_id, HL_STATUS_REJECTED, &data);
    return 0;
}

const hl_role_t hl_prometheus_role = {
    .name = "prometheus",
    .kinds = HL_ROLE_KIND (HL_KIND_ANALYZE),
    .new = s_new,
    .destroy = s_destroy,
    .start = s_start,
};
