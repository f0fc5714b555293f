/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_forecast - trends to a horizon, scenarios and the roadmap. Every
    health figure here goes through hl_health_combine, so a plan and the
    live score never disagree on how metric scores make health.
*/
#include <czmq.h>
#include <inttypes.h>
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
    double *x, *y; /* seconds from now (<= 0), the statistic */
    size_t n, cap;
    const char *stat; /* the statistic of each second */
    double now_s;     /* now, in seconds */
} s_points_t;

static void
s_points_add (const char *name, const hl_kpi_stats_t *stats, void *arg)
{
    (void)name;
    s_points_t *p = (s_points_t *)arg;
    double v;
    if (p->n == p->cap || hl_kpi_stat (stats, p->stat, &v) || !isfinite (v))
        return;
    p->x[p->n] = (double)stats->second - p->now_s;
    p->y[p->n++] = v;
}

/*  v kept within the values the metric can take. */
static double
s_clamp (const hl_config_metric_t *m, double v)
{
    return v < m->min ? m->min : v > m->max ? m->max : v;
}

/*  Robust scatter of the points around the line: 1.4826 MAD of the
    residuals, or 1.2533 times their mean absolute value when over half
    of them are equal (as hl_stats_robust_z falls back). */
static double
s_scatter (const s_points_t *p, const hl_stats_trend_t *t)
{
    double *res = (double *)hl_calloc (p->n, sizeof (double));
    double sum = 0;
    for (size_t i = 0; i < p->n; i++) {
        res[i] = p->y[i] - (t->intercept + t->slope * p->x[i]);
        sum += fabs (res[i]);
    }
    double s = hl_stats_mad_scaled (res, p->n);
    if (!(s > 0))
        s = 1.253314 * sum / (double)p->n;
    free (res);
    return s;
}

/*  The standard error of a second's value at x0 about a line fitted to
    p, scatter s: the level's noise, and the slope's error growing with
    the distance from the points' centre. */
static double
s_spread (const s_points_t *p, double s, double x0)
{
    double mean = hl_stats_mean (p->x, p->n);
    double sxx = 0;
    for (size_t i = 0; i < p->n; i++)
        sxx += (p->x[i] - mean) * (p->x[i] - mean);
    double d = x0 - mean;
    return s * sqrt (1 + 1 / (double)p->n + (sxx > 0 ? d * d / sxx : 0));
}

/*  The forecast from a metric's points, into out (points and state
    NODATA already set). */
static void
s_forecast (const hl_config_metric_t *m, const s_points_t *pts,
            int64_t horizon_s, double growth, hl_forecast_metric_t *out)
{
    if (pts->n == 0)
        return;
    out->state = HL_FORECAST_SHORT;
    double last = pts->x[pts->n - 1];
    out->history_s = last - pts->x[0];
    hl_stats_trend_t trend;
    if (pts->n < HL_FORECAST_MIN_POINTS
        || out->history_s < HL_FORECAST_MIN_SPAN_S
        || hl_stats_theil_sen (pts->x, pts->y, pts->n, &trend))
        return;
    out->slope = trend.slope; /* the trend as measured */
    //  Carried REACH times the span past the last point (x <= 0), counted
    //  from now
    double reach = HL_FORECAST_REACH * out->history_s + last;
    out->reach_s = reach > 0 ? reach : 0;

    //  Growth makes the metric worse in its own direction: the whole line
    //  scales, so levels and the slope grow alike
    double worse = m->better == HL_BETTER_LOWER ? 1 + growth : 1 / (1 + growth);
    hl_stats_trend_t grown = trend;
    grown.intercept *= worse; /* x is from now: the level now */
    grown.slope *= worse;

    //  The breach: already, or where the line meets critical. critical
    //  lies within [min, max], so clamping the line moves neither
    double h = (double)horizon_s;
    double limit = h < out->reach_s ? h : out->reach_s;
    double at = 0;
    if (hl_config_metric_critical (m, grown.intercept))
        out->breach_in_s = 0;
    else if (hl_stats_forecast (&grown, m->critical, 0, &at) && at <= limit)
        out->breach_in_s = at;

    if (h > out->reach_s)
        return; /* short history for this horizon */
    out->state = HL_FORECAST_TREND;
    double value = grown.intercept + grown.slope * h;
    double spread
        = HL_FORECAST_Z * worse * s_spread (pts, s_scatter (pts, &trend), h);
    out->at_horizon = s_clamp (m, value);
    out->low = s_clamp (m, value - spread);
    out->high = s_clamp (m, value + spread);
    double score = hl_health_score_value (m, out->at_horizon);
    out->score = isfinite (score) ? score : 0;
}

hl_forecast_metric_t
hl_forecast_metric (const hl_config_metric_t *m, const hl_kpi_t *kpi,
                    int64_t now_us, int64_t horizon_s, double growth)
{
    hl_forecast_metric_t out = { .state = HL_FORECAST_NODATA,
                                 .slope = NAN,
                                 .at_horizon = NAN,
                                 .low = NAN,
                                 .high = NAN,
                                 .score = NAN,
                                 .breach_in_s = NAN };
    size_t cap = HL_FORECAST_HISTORY_S + 2;
    //  x is seconds from now (<= 0): the fit keeps its digits, and the
    //  line's intercept is its level now
    s_points_t pts = { (double *)hl_calloc (cap, sizeof (double)),
                       (double *)hl_calloc (cap, sizeof (double)),
                       0,
                       cap,
                       streq (m->stat, "last") ? "mean" : m->stat,
                       (double)now_us / 1e6 };
    hl_kpi_series (kpi, m->name, now_us - HL_FORECAST_HISTORY_S * 1000000LL,
                   now_us + 1, s_points_add, &pts);
    out.points = pts.n;
    s_forecast (m, &pts, horizon_s, growth, &out);
    free (pts.x);
    free (pts.y);
    return out;
}

//  --------------------------------------------------------------------
//  Scenarios

static hl_value_t *
s_number (double d)
{
    return isfinite (d) ? hl_value_new_double (d) : hl_value_new_nil ();
}

static const char *
s_state_name (hl_forecast_state_t state)
{
    return state == HL_FORECAST_TREND   ? "trend"
           : state == HL_FORECAST_SHORT ? "short_history"
                                        : "nodata";
}

/*  What the planner says of each action now, by config index. */
typedef struct {
    const char *reason; /* the planner's, borrowed from its explanation */
    int64_t rank;       /* roadmap step, 0 when not in it */
} s_status_t;

/*  Reasons that pass: the plan looks past the metric's state now and past
    what is in flight or cooling. Any other (in effect: its effect is in
    the trend already; one that will not be proposed, such as a known
    harm) rules the action out of a breach's remedies. */
static bool
s_passing (const char *reason)
{
    static const char *const passing[] = { HL_PLANNER_PICKED,
                                           HL_PLANNER_NO_BOTTLENECK,
                                           HL_PLANNER_IN_FLIGHT,
                                           HL_PLANNER_COOLING,
                                           HL_PLANNER_CONFLICT,
                                           HL_PLANNER_OVER_MAX,
                                           NULL };
    for (size_t i = 0; reason && passing[i]; i++)
        if (streq (reason, passing[i]))
            return true;
    return false;
}

static bool
s_improves (const hl_config_action_t *a, const char *metric)
{
    for (size_t k = 0; k < a->improves_n; k++)
        if (streq (a->improves[k], metric))
            return true;
    return false;
}

/*  An action's worth for a breach: likely to work, by much, cheaply. */
static double
s_worth (const hl_config_action_t *a, hl_learning_t *learning)
{
    double p = learning ? hl_learning_p (learning, a->name) : 0.5;
    return p * a->expected / (a->cost > 0.01 ? a->cost : 0.01);
}

/*  A projected breach of m and what would help it. */
static hl_value_t *
s_breach (const hl_config_t *config, const hl_config_metric_t *m,
          double breach_in_s, const s_status_t *status, hl_learning_t *learning)
{
    size_t na = hl_config_actions_size (config);
    size_t *order = (size_t *)hl_calloc (na ? na : 1, sizeof (size_t));
    size_t n = 0, improving = 0;
    //  Insertion by worth, config order among equals
    for (size_t i = 0; i < na; i++) {
        const hl_config_action_t *a = hl_config_action (config, i);
        if (!s_improves (a, m->name))
            continue;
        improving++;
        size_t j = n++;
        double worth = s_worth (a, learning);
        for (; j > 0
               && s_worth (hl_config_action (config, order[j - 1]), learning)
                      < worth;
             j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    hl_value_t *actions = hl_value_new_array ();
    hl_value_t *ruled_out = hl_value_new_array ();
    for (size_t k = 0; k < n; k++) {
        const hl_config_action_t *a = hl_config_action (config, order[k]);
        const s_status_t *st = &status[order[k]];
        hl_value_t *item = hl_value_new_map ();
        hl_value_set_str (item, "action", a->name);
        if (!s_passing (st->reason)) {
            hl_value_set_str (item, "reason",
                              st->reason ? st->reason : "not ranked");
            hl_value_append (ruled_out, &item);
            continue;
        }
        hl_value_set_str (item, "swarm", hl_swarm_name (a->swarm));
        hl_value_set_double (item, "expected", a->expected);
        hl_value_set_double (item, "p_success",
                             learning ? hl_learning_p (learning, a->name)
                                      : 0.5);
        hl_value_set_str (item, "status", st->reason);
        if (st->rank)
            hl_value_set_int (item, "rank", st->rank);
        hl_value_append (actions, &item);
    }
    free (order);
    hl_value_t *breach = hl_value_new_map ();
    hl_value_set_str (breach, "metric", m->name);
    hl_value_set_double (breach, "breach_in_s", breach_in_s);
    if (!hl_value_size (actions)) {
        char note[HL_MAX_METRIC + 64];
        snprintf (note, sizeof note,
                  improving ? "every action that improves %s is ruled out"
                            : "no configured action improves %s",
                  m->name);
        hl_value_set_str (breach, "note", note);
    }
    hl_value_set (breach, "actions", &actions);
    hl_value_set (breach, "ruled_out", &ruled_out);
    return breach;
}

static hl_value_t *
s_metric_value (const hl_config_metric_t *m, const hl_forecast_metric_t *f)
{
    hl_value_t *item = hl_value_new_map ();
    hl_value_set_str (item, "name", m->name);
    hl_value_set_int (item, "points", (int64_t)f->points);
    hl_value_set_str (item, "forecast", s_state_name (f->state));
    if (f->state == HL_FORECAST_NODATA)
        return item;
    hl_value_set_double (item, "history_s", f->history_s);
    hl_value_set_double (item, "reach_s", f->reach_s);
    if (!isfinite (f->slope))
        return item; /* too little for a trend */
    hl_value_set_double (item, "trend_per_hour", f->slope * 3600);
    if (f->state == HL_FORECAST_TREND) {
        hl_value_set_double (item, "at_horizon", f->at_horizon);
        hl_value_set_double (item, "low", f->low);
        hl_value_set_double (item, "high", f->high);
        hl_value_set_double (item, "score_at_horizon", f->score);
    }
    hl_value_t *b = s_number (f->breach_in_s);
    hl_value_set (item, "breach_in_s", &b);
    return item;
}

/*  Why a scenario has no health at the horizon. */
static void
s_health_note (hl_value_t *scenario, const hl_forecast_metric_t *fs, size_t n,
               int64_t horizon_s)
{
    double reach = 0;
    size_t with_points = 0;
    for (size_t i = 0; i < n; i++) {
        with_points += fs[i].points > 0;
        if (fs[i].reach_s > reach)
            reach = fs[i].reach_s;
    }
    char note[200];
    if (reach > 0)
        snprintf (note, sizeof note,
                  "no metric has history for %" PRId64
                  " s: a trend is carried at most %d times the history "
                  "behind it, %.0f s at the farthest",
                  horizon_s, HL_FORECAST_REACH, reach);
    else if (with_points)
        snprintf (note, sizeof note,
                  "no metric has history for a trend: %d seconds with a "
                  "value over at least %d s",
                  HL_FORECAST_MIN_POINTS, HL_FORECAST_MIN_SPAN_S);
    else
        snprintf (note, sizeof note, "no metric has data");
    hl_value_set_str (scenario, "health_note", note);
}

static hl_value_t *
s_scenario_value (const hl_scenario_t *sc, const hl_config_t *config,
                  const hl_kpi_t *kpi, int64_t now_us, int64_t horizon_s,
                  const s_status_t *status, hl_learning_t *learning)
{
    size_t n = hl_config_metrics_size (config);
    double *scores = (double *)hl_calloc (n ? n : 1, sizeof (double));
    hl_forecast_metric_t *fs = (hl_forecast_metric_t *)hl_calloc (
        n ? n : 1, sizeof (hl_forecast_metric_t));
    hl_value_t *metrics = hl_value_new_array ();
    hl_value_t *breaches = hl_value_new_array ();
    int64_t counts[3] = { 0, 0, 0 }; /* by state */
    for (size_t i = 0; i < n; i++) {
        const hl_config_metric_t *m = hl_config_metric (config, i);
        fs[i] = hl_forecast_metric (m, kpi, now_us, horizon_s, sc->growth);
        counts[fs[i].state]++;
        //  Only a value at the horizon counts; short history is left out
        //  as nodata is, never scored as if it were known
        scores[i] = fs[i].state == HL_FORECAST_TREND ? fs[i].score : NAN;
        hl_value_t *item = s_metric_value (m, &fs[i]);
        hl_value_append (metrics, &item);
        if (isfinite (fs[i].breach_in_s)) {
            hl_value_t *b
                = s_breach (config, m, fs[i].breach_in_s, status, learning);
            hl_value_append (breaches, &b);
        }
    }
    hl_value_t *scenario = hl_value_new_map ();
    double health = hl_health_combine (config, scores, NULL);
    hl_value_t *h = s_number (health);
    hl_value_set (scenario, "health_at_horizon", &h);
    if (!isfinite (health))
        s_health_note (scenario, fs, n, horizon_s);
    hl_value_set_int (scenario, "scored", counts[HL_FORECAST_TREND]);
    hl_value_set_int (scenario, "short_history", counts[HL_FORECAST_SHORT]);
    hl_value_set_int (scenario, "nodata", counts[HL_FORECAST_NODATA]);
    hl_value_set (scenario, "metrics", &metrics);
    hl_value_set (scenario, "breaches", &breaches);
    free (fs);
    free (scores);
    return scenario;
}

//  --------------------------------------------------------------------
//  The roadmap

/*  The roadmap: the planner's picks by gain. Each step moves its metrics
    by the action's expected improvement (on top of the steps before it),
    and adds the health that makes, through the live rule, times its
    learned success probability. */
static hl_value_t *
s_roadmap (const hl_config_t *config, const hl_health_t *health,
           const hl_candidate_t *picks, size_t n)
{
    size_t nm = hl_config_metrics_size (config);
    double *values = (double *)hl_calloc (nm ? nm : 1, sizeof (double));
    double *scores = (double *)hl_calloc (nm ? nm : 1, sizeof (double));
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
        for (size_t j = 0; j < nm; j++) {
            const hl_config_metric_t *m = hl_config_metric (config, j);
            if (!s_improves (a, m->name) || !isfinite (values[j]))
                continue;
            values[j] *= m->better == HL_BETTER_LOWER ? 1 - a->expected
                                                      : 1 + a->expected;
            scores[j] = hl_health_score_value (m, values[j]);
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
    return roadmap;
}

hl_value_t *
hl_forecast_plan (const hl_forecast_spec_t *spec, const hl_config_t *config,
                  const hl_kpi_t *kpi, hl_planner_t *planner,
                  hl_learning_t *learning, int64_t now_us)
{
    //  One ranking serves the roadmap and every breach's remedies
    hl_health_t *health = hl_health_compute (config, kpi, now_us);
    hl_candidate_t picks[S_MAX_PICKS];
    hl_value_t *explain = NULL;
    size_t n = hl_planner_rank (planner, health, learning, now_us, S_MAX_PICKS,
                                false, picks, S_MAX_PICKS, &explain);
    size_t na = hl_config_actions_size (config);
    s_status_t *status
        = (s_status_t *)hl_calloc (na ? na : 1, sizeof (s_status_t));
    for (size_t i = 0; i < na; i++) {
        const char *name = hl_config_action (config, i)->name;
        for (size_t j = 0; j < hl_value_size (explain); j++) {
            const hl_value_t *e = hl_value_at (explain, j);
            if (streq (hl_value_get_str (e, "action", ""), name))
                status[i].reason = hl_value_get_str (e, "reason", NULL);
        }
        for (size_t j = 0; j < n; j++)
            if (picks[j].action == hl_config_action (config, i))
                status[i].rank = (int64_t)j + 1;
    }

    hl_value_t *plan = hl_value_new_map ();
    hl_value_set_int (plan, "horizon_s", spec->horizon_s);
    hl_value_t *list = hl_value_new_map ();
    for (size_t i = 0; i < spec->nscenarios; i++) {
        hl_value_t *sc
            = s_scenario_value (&spec->scenarios[i], config, kpi, now_us,
                                spec->horizon_s, status, learning);
        hl_value_set (list, spec->scenarios[i].name, &sc);
    }
    hl_value_set (plan, "scenarios", &list);
    hl_value_t *roadmap = s_roadmap (config, health, picks, n);
    hl_value_set (plan, "roadmap", &roadmap);
    free (status);
    hl_value_destroy (&explain);
    hl_health_destroy (&health);
    return plan;
}
