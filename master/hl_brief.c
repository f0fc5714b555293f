/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_brief - task args from the config and the tracker's per-second
    statistics.
*/
#include <czmq.h>
#include <math.h>

#include "hl_brief.h"

/*  [[ts_us, value], ...] (pairs) or [value, ...] of a statistic. */
typedef struct {
    hl_value_t *list;
    const char *stat;
    bool pairs;
} s_series_t;

static void
s_series_add (const char *name, const hl_kpi_stats_t *stats, void *arg)
{
    (void)name;
    s_series_t *series = (s_series_t *)arg;
    double v;
    if (hl_kpi_stat (stats, series->stat, &v) || !isfinite (v))
        return;
    hl_value_t *item;
    if (series->pairs) {
        item = hl_value_new_array ();
        hl_value_t *ts = hl_value_new_int (stats->second * 1000000);
        hl_value_t *val = hl_value_new_double (v);
        hl_value_append (item, &ts);
        hl_value_append (item, &val);
    } else
        item = hl_value_new_double (v);
    hl_value_append (series->list, &item);
}

static hl_value_t *
s_series (const hl_kpi_t *kpi, const char *name, const char *stat,
          int64_t from_us, int64_t to_us, bool pairs)
{
    s_series_t series = { hl_value_new_array (), stat, pairs };
    hl_kpi_series (kpi, name, from_us, to_us, s_series_add, &series);
    return series.list;
}

static const char *
s_better (const hl_config_metric_t *metric)
{
    return metric->better == HL_BETTER_LOWER ? "lower" : "higher";
}

hl_value_t *
hl_brief_analyze (const hl_config_t *config, const hl_kpi_t *kpi,
                  hl_swarm_t swarm, const bool *focus, int64_t now_us)
{
    bool any_focus = false;
    for (int c = 0; focus && c < HL_CATEGORY_COUNT; c++)
        any_focus |= focus[c];
    hl_value_t *metrics = hl_value_new_array ();
    for (size_t i = 0; i < hl_config_metrics_size (config); i++) {
        const hl_config_metric_t *m = hl_config_metric (config, i);
        if (hl_category_swarm (m->category) != swarm
            || (any_focus && !focus[m->category]))
            continue;
        hl_value_t *item = hl_value_new_map ();
        hl_value_set_str (item, "name", m->name);
        hl_value_set_str (item, "better", s_better (m));
        hl_value_set_double (item, "target", m->target);
        hl_value_set_double (item, "critical", m->critical);
        hl_value_set_str (item, "unit", m->unit);
        hl_value_t *series = s_series (kpi, m->name, m->stat,
                                       now_us - HL_BRIEF_SERIES_S * 1000000LL,
                                       now_us + 1, true);
        hl_value_set (item, "series", &series);
        hl_value_append (metrics, &item);
    }
    if (hl_value_size (metrics) == 0) {
        hl_value_destroy (&metrics);
        return NULL;
    }
    hl_value_t *args = hl_value_new_map ();
    hl_value_set (args, "metrics", &metrics);
    return args;
}

/*  {name, better, stat, baseline[, guard]} of one metric */
static hl_value_t *
s_metric (const hl_kpi_t *kpi, const hl_config_metric_t *metric, bool guard,
          int64_t from_us, int64_t to_us)
{
    const char *stat = streq (metric->stat, "last") ? "mean" : metric->stat;
    hl_value_t *item = hl_value_new_map ();
    hl_value_set_str (item, "name", metric->name);
    hl_value_set_str (item, "better", s_better (metric));
    hl_value_set_str (item, "stat", stat);
    hl_value_t *base
        = s_series (kpi, metric->name, stat, from_us, to_us, false);
    hl_value_set (item, "baseline", &base);
    if (guard)
        hl_value_set_bool (item, "guard", true);
    return item;
}

hl_value_t *
hl_brief_metrics (const hl_config_t *config, const hl_kpi_t *kpi,
                  const hl_config_action_t *action, int64_t from_us,
                  int64_t to_us)
{
    hl_value_t *list = hl_value_new_array ();
    for (size_t g = 0; g < 2; g++) {
        char *const *names = g ? action->guards : action->improves;
        size_t n = g ? action->guards_n : action->improves_n;
        for (size_t m = 0; m < n; m++) {
            const hl_config_metric_t *metric
                = hl_config_metric_find (config, names[m]);
            if (!metric)
                continue;
            hl_value_t *item = s_metric (kpi, metric, g, from_us, to_us);
            hl_value_append (list, &item);
        }
    }
    return list;
}

hl_value_t *
hl_brief_verify (const hl_config_action_t *action, int settle_s, int window_s,
                 int min_n, const hl_value_t *metrics)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "action", action->name);
    hl_value_set_int (args, "settle_s", settle_s);
    hl_value_set_int (args, "window_s", window_s);
    if (min_n > 0)
        hl_value_set_int (args, "min_n", min_n);
    hl_value_t *copy = metrics ? hl_value_dup (metrics) : hl_value_new_array ();
    hl_value_set (args, "metrics", &copy);
    return args;
}

hl_value_t *
hl_brief_action (const hl_config_action_t *action)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "action", action->name);
    hl_value_t *params = hl_value_new_map ();
    hl_value_set (args, "params", &params);
    return args;
}
