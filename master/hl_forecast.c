/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_forecast - trends to a horizon, scenarios and the roadmap. Every
    health figure here goes through hl_health_combine, so a plan and the
    live score never disagree on how metric scores make health.
*/
#include <czmq.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../bus/hl_stats.h"
#include "../proto/hl_alloc.h"
#include "hl_forecast.h"
#include "hl_health.h"

#define S_MAX_PICKS 64 /* roadmap steps */

//  --------------------------------------------------------------------
//  Parameters

int64_t
hl_forecast_horizon (const char *text)
{
    if (!text)
        return 0;
    char *end;
    double n = strtod (text, &end);
    if (end == text || !(n > 0))
        return 0;
    double unit = streq (end, "") || streq (end, "_seconds") ? 1
                  : streq (end, "_minutes")                  ? 60
                  : streq (end, "_hours")                    ? 3600
                  : streq (end, "_days")                     ? 86400
                                                             : 0;
    double seconds = n * unit;
    return seconds >= 1 && seconds <= HL_FORECAST_MAX_S ? (int64_t)seconds : 0;
}

/*  A list of strings, or one string, joined by commas into text. */
static void
s_join (const hl_value_t *v, char *text, size_t size)
{
    if (hl_value_str (v, NULL)) {
        snprintf (text, size, "%s", hl_value_str (v, NULL));
        return;
    }
    text[0] = 0;
    for (size_t i = 0; i < hl_value_size (v); i++) {
        const char *t = hl_value_str (hl_value_at (v, i), NULL);
        size_t used = strlen (text);
        snprintf (text + used, size - used, "%s%s", used ? "," : "",
                  t ? t : "?");
    }
}

static int
s_scenario (const char *tok, hl_scenario_t *out)
{
    if (strlen (tok) >= sizeof out->name)
        return -1;
    snprintf (out->name, sizeof out->name, "%s", tok);
    out->growth = 0;
    if (streq (tok, "baseline"))
        return 0;
    if (strncmp (tok, "growth:", 7) != 0)
        return -1;
    char *end = NULL;
    double pct = strtod (tok + 7, &end);
    if (end == tok + 7 || *end || !(pct > -100) || !isfinite (pct))
        return -1;
    out->growth = pct / 100.0;
    return 0;
}

int
hl_forecast_parse (const hl_value_t *params, hl_forecast_spec_t *spec,
                   char *error, size_t errsize)
{
    memset (spec, 0, sizeof *spec);
    const hl_value_t *hv = hl_value_get (params, "horizon");
    double seconds;
    if (hv && !hl_value_double (hv, &seconds))
        spec->horizon_s = seconds >= 1 && seconds <= HL_FORECAST_MAX_S
                              ? (int64_t)seconds
                              : 0;
    else
        spec->horizon_s = hl_forecast_horizon (
            hl_value_get_str (params, "horizon", "7_days"));
    if (!spec->horizon_s) {
        snprintf (error, errsize,
                  "run: horizon wants e.g. 7_days, 24_hours or seconds "
                  "(366 days at most)");
        return -1;
    }
    char text[160] = "baseline";
    const hl_value_t *sv = hl_value_get (params, "scenarios");
    if (hl_value_str (sv, NULL) || hl_value_size (sv))
        s_join (sv, text, sizeof text);
    char *save = NULL;
    for (char *tok = strtok_r (text, ",", &save); tok;
         tok = strtok_r (NULL, ",", &save)) {
        if (spec->nscenarios == HL_FORECAST_SCENARIOS
            || s_scenario (tok, &spec->scenarios[spec->nscenarios])) {
            snprintf (error, errsize,
                      "run: scenario '%.32s' is not baseline or "
                      "growth:<pct> (%d at most)",
                      tok, HL_FORECAST_SCENARIOS);
            return -1;
        }
        spec->nscenarios++;
    }
    if (!spec->nscenarios) {
        snprintf (error, errsize, "run: scenarios must name at least one");
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------
//  One metric

/*  Collects one metric's per-second statistic as (t, value) pairs. */
typedef struct {
    double *x, *y;
    size_t n, cap;
    const char *stat;
} s_points_t;

static void
s_points_add (const char *name, const hl_kpi_stats_t *stats, void *arg)
{
    (void)name;
    s_points_t *p = (s_points_t *)arg;
    double v;
    if (p->n == p->cap || hl_kpi_stat (stats, p->stat, &v) || !isfinite (v))
        return;
    p->x[p->n] = (double)stats->second;
    p->y[p->n++] = v;
}

hl_forecast_metric_t
hl_forecast_metric (const hl_config_metric_t *m, const hl_kpi_t *kpi,
                    int64_t now_us, int64_t horizon_s, double growth)
{
    hl_forecast_metric_t out = { 0, false, NAN, NAN, NAN, NAN };
    size_t cap = HL_FORECAST_HISTORY_S + 2;
    s_points_t pts = { (double *)hl_calloc (cap, sizeof (double)),
                       (double *)hl_calloc (cap, sizeof (double)), 0, cap,
                       streq (m->stat, "last") ? "mean" : m->stat };
    hl_kpi_series (kpi, m->name, now_us - HL_FORECAST_HISTORY_S * 1000000LL,
                   now_us + 1, s_points_add, &pts);
    out.points = pts.n;
    hl_stats_trend_t trend;
    if (pts.n >= 2 && !hl_stats_theil_sen (pts.x, pts.y, pts.n, &trend)) {
        double now_s = (double)now_us / 1e6;
        //  growth makes the metric worse in its own direction
        double worse
            = m->better == HL_BETTER_LOWER ? 1 + growth : 1 / (1 + growth);
        out.ok = true;
        out.slope = trend.slope; /* the trend as measured */
        trend.intercept *= worse;
        trend.slope *= worse;
        out.at_horizon
            = trend.intercept + trend.slope * (now_s + (double)horizon_s);
        double score = hl_health_score_value (m, out.at_horizon);
        out.score = isfinite (score) ? score : 0;
        double at = 0;
        if (hl_stats_forecast (&trend, m->critical, now_s, &at)
            && at - now_s <= (double)horizon_s)
            out.breach_in_s = at - now_s;
    }
    free (pts.x);
    free (pts.y);
    return out;
}

//  --------------------------------------------------------------------
//  Scenarios and the roadmap

static hl_value_t *
s_number (double d)
{
    return isfinite (d) ? hl_value_new_double (d) : hl_value_new_nil ();
}

static hl_value_t *
s_scenario_value (const hl_scenario_t *sc, const hl_config_t *config,
                  const hl_kpi_t *kpi, int64_t now_us, int64_t horizon_s)
{
    size_t n = hl_config_metrics_size (config);
    double *scores = (double *)hl_calloc (n, sizeof (double));
    hl_value_t *metrics = hl_value_new_array ();
    for (size_t i = 0; i < n; i++) {
        const hl_config_metric_t *m = hl_config_metric (config, i);
        hl_forecast_metric_t f
            = hl_forecast_metric (m, kpi, now_us, horizon_s, sc->growth);
        scores[i] = f.ok ? f.score : NAN;
        hl_value_t *item = hl_value_new_map ();
        hl_value_set_str (item, "name", m->name);
        hl_value_set_int (item, "points", (int64_t)f.points);
        if (!f.ok)
            hl_value_set_str (item, "forecast", "nodata");
        else {
            hl_value_set_double (item, "trend_per_hour", f.slope * 3600);
            hl_value_set_double (item, "at_horizon", f.at_horizon);
            hl_value_set_double (item, "score_at_horizon", f.score);
            hl_value_t *b = s_number (f.breach_in_s);
            hl_value_set (item, "breach_in_s", &b);
        }
        hl_value_append (metrics, &item);
    }
    hl_value_t *scenario = hl_value_new_map ();
    hl_value_t *h = s_number (hl_health_combine (config, scores, NULL));
    hl_value_set (scenario, "health_at_horizon", &h);
    hl_value_set (scenario, "metrics", &metrics);
    free (scores);
    return scenario;
}

/*  The roadmap: every candidate by gain. Each step moves its metrics by
    the action's expected improvement (on top of the steps before it),
    and adds the health that makes, through the live rule, times its
    learned success probability. */
static hl_value_t *
s_roadmap (const hl_config_t *config, const hl_kpi_t *kpi,
           hl_planner_t *planner, hl_learning_t *learning, int64_t now_us)
{
    hl_health_t *health = hl_health_compute (config, kpi, now_us);
    hl_candidate_t picks[S_MAX_PICKS];
    size_t n = hl_planner_rank (planner, health, learning, now_us, S_MAX_PICKS,
                                false, picks, S_MAX_PICKS, NULL);
    size_t nm = hl_config_metrics_size (config);
    double *values = (double *)hl_calloc (nm, sizeof (double));
    double *scores = (double *)hl_calloc (nm, sizeof (double));
    for (size_t i = 0; i < nm; i++) {
        const hl_health_metric_t *hm = hl_health_metric (health, i);
        values[i] = hm->value;
        scores[i] = hm->score;
    }
    double before = hl_health_combine (config, scores, NULL);
    double expected = before;
    hl_value_t *roadmap = hl_value_new_array ();
    for (size_t i = 0; i < n; i++) {
        const hl_config_action_t *a = picks[i].action;
        for (size_t k = 0; k < a->improves_n; k++) {
            for (size_t j = 0; j < nm; j++) {
                const hl_config_metric_t *m = hl_config_metric (config, j);
                if (!streq (m->name, a->improves[k]) || !isfinite (values[j]))
                    continue;
                values[j] *= m->better == HL_BETTER_LOWER ? 1 - a->expected
                                                          : 1 + a->expected;
                scores[j] = hl_health_score_value (m, values[j]);
            }
        }
        double after = hl_health_combine (config, scores, NULL);
        double gain = isfinite (after) && isfinite (before)
                          ? (after - before) * picks[i].p
                          : 0;
        before = after;
        if (isfinite (expected))
            expected += gain;
        hl_value_t *step = hl_value_new_map ();
        hl_value_set_int (step, "rank", (int64_t)i + 1);
        hl_value_set_str (step, "action", a->name);
        hl_value_set_str (step, "swarm", hl_swarm_name (a->swarm));
        hl_value_set_int (step, "urgency", picks[i].urgency);
        hl_value_set_double (step, "p_success", picks[i].p);
        hl_value_set_double (step, "gain", picks[i].gain);
        hl_value_set_double (step, "health_gain", gain);
        hl_value_t *eh = s_number (expected > 100 ? 100 : expected);
        hl_value_set (step, "expected_health", &eh);
        hl_value_append (roadmap, &step);
    }
    free (values);
    free (scores);
    hl_health_destroy (&health);
    return roadmap;
}

hl_value_t *
hl_forecast_plan (const hl_forecast_spec_t *spec, const hl_config_t *config,
                  const hl_kpi_t *kpi, hl_planner_t *planner,
                  hl_learning_t *learning, int64_t now_us)
{
    hl_value_t *plan = hl_value_new_map ();
    hl_value_set_int (plan, "horizon_s", spec->horizon_s);
    hl_value_t *list = hl_value_new_map ();
    for (size_t i = 0; i < spec->nscenarios; i++) {
        hl_value_t *sc = s_scenario_value (&spec->scenarios[i], config, kpi,
                                           now_us, spec->horizon_s);
        hl_value_set (list, spec->scenarios[i].name, &sc);
    }
    hl_value_set (plan, "scenarios", &list);
    hl_value_t *roadmap = s_roadmap (config, kpi, planner, learning, now_us);
    hl_value_set (plan, "roadmap", &roadmap);
    return plan;
}
