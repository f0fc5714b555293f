/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_watch - the trend evaluation and the summary schedule. The
    forecast is hl_forecast_metric's (the same one a strategic plan
    shows), the anomaly score hl_stats' robust z, as Prometheus agents
    compute it for a cycle's analysis; this module only decides when to
    look and what to say.
*/
#include <czmq.h>
#include <math.h>

#include "../bus/hl_log.h"
#include "../bus/hl_stats.h"
#include "../proto/hl_alloc.h"
#include "hl_forecast.h"
#include "hl_watch.h"

#define S_HISTORY_S 3600 /* the trailing hour an interval is compared to */
#define S_COARSE 120     /* points of the quick trend that screens metrics */
//  A quick breach within S_MARGIN horizons earns the full forecast; one
//  tick's evaluation takes S_BUDGET_US of the reactor at most, unless one
//  metric alone takes more
#define S_MARGIN 2
#define S_BUDGET_US 2000

/*  What was last said of one metric. */
typedef struct {
    bool forecast; /* a breach is being warned of */
    bool anomaly;  /* an anomaly is raised */
} s_state_t;

struct _hl_watch_t {
    hl_watch_deps_t deps;
    s_state_t *state; /* one per configured metric */
    size_t nmetrics;
    size_t cursor;           /* the evaluation under way: next metric, or
                                nmetrics when none is */
    int64_t eval_us;         /* its time */
    const char *breach;      /* its first metric with a breach, or NULL */
    int64_t next_eval_us;    /* 0: off */
    int64_t next_summary_us; /* 0: off */
    uint64_t evaluations, warnings, anomalies, proactive, summaries;
};

//  --------------------------------------------------------------------
//  One metric

typedef struct {
    double *x, *y;
    size_t n, cap;
    const char *stat;
} s_series_t;

static void
s_collect (const char *name, const hl_kpi_stats_t *stats, void *arg)
{
    (void)name;
    s_series_t *s = (s_series_t *)arg;
    double v;
    if (s->n < s->cap && !hl_kpi_stat (stats, s->stat, &v) && isfinite (v)) {
        s->x[s->n] = (double)stats->second;
        s->y[s->n++] = v;
    }
}

/*  Whether a trend of S_COARSE evenly spaced points of the hour reaches
    the critical level within S_MARGIN horizons. A full forecast costs
    tens of milliseconds of the reactor per metric (Theil-Sen over up to
    2,000 points); this costs well under one, and most metrics, most of
    the time, go nowhere near their critical level. */
static bool
s_may_breach (const hl_config_metric_t *m, const s_series_t *s, int64_t now_us,
              int64_t horizon_s)
{
    if (s->n < HL_WATCH_MIN_POINTS)
        return false;
    double x[S_COARSE], y[S_COARSE];
    size_t n = 0;
    for (size_t i = 0; i < S_COARSE && i < s->n; i++) {
        size_t k = s->n <= S_COARSE ? i : i * (s->n - 1) / (S_COARSE - 1);
        x[n] = s->x[k];
        y[n++] = s->y[k];
    }
    hl_stats_trend_t trend;
    double at, now_s = (double)now_us / 1e6;
    return hl_stats_theil_sen (x, y, n, &trend) == 0
           && hl_stats_forecast (&trend, m->critical, now_s, &at)
           && at - now_s <= (double)(S_MARGIN * horizon_s);
}

hl_watch_finding_t
hl_watch_metric (const hl_config_metric_t *m, const hl_kpi_t *kpi,
                 int64_t now_us, int64_t interval_s, int64_t horizon_s,
                 double anomaly_z)
{
    hl_watch_finding_t f
        = { 0, NAN, NAN, NAN, NAN, NAN, NAN, false, false, false, false };
    size_t cap = S_HISTORY_S + 2;
    s_series_t s
        = { (double *)hl_calloc (cap, sizeof (double)),
            (double *)hl_calloc (cap, sizeof (double)), 0, cap, m->stat };

    //  The anomaly: the metric's statistic over the last interval (as
    //  health reads it) against the same statistic of each second of
    //  the hour before
    int64_t from = now_us - interval_s * 1000000;
    hl_kpi_stats_t st;
    if (hl_kpi_window_for (kpi, m->name, m->stat, from, now_us, &st) != 0
        || hl_kpi_stat (&st, m->stat, &f.value) != 0)
        f.value = NAN;
    hl_kpi_series (kpi, m->name, now_us - S_HISTORY_S * 1000000LL, from,
                   s_collect, &s);
    if (s.n >= HL_WATCH_MIN_POINTS && isfinite (f.value)) {
        f.median = hl_stats_median (s.y, s.n);
        f.z = hl_stats_robust_z (f.value, s.y, s.n);
        f.anomaly = isfinite (f.z) && fabs (f.z) > anomaly_z;
        f.worse = m->better == HL_BETTER_LOWER ? f.z > 0 : f.z < 0;
    }

    //  The forecast: the trend of the last hour to the horizon, as a
    //  strategic plan makes it (on the statistic a plan's trend uses)
    s.n = 0;
    s.stat = streq (m->stat, "last") ? "mean" : m->stat;
    hl_kpi_series (kpi, m->name, now_us - S_HISTORY_S * 1000000LL, now_us + 1,
                   s_collect, &s);
    f.points = s.n;
    if (s_may_breach (m, &s, now_us, horizon_s)) {
        f.forecast = true;
        hl_forecast_metric_t fc
            = hl_forecast_metric (m, kpi, now_us, horizon_s, 0);
        //  A trend too short for the horizon still says whether it
        //  breaches within its reach
        bool ok = fc.state != HL_FORECAST_NODATA && isfinite (fc.slope);
        if (ok) {
            f.slope = fc.slope;
            f.at_horizon = fc.at_horizon;
            f.breach_in_s = fc.breach_in_s;
        }
        f.breach = ok && fc.points >= HL_WATCH_MIN_POINTS
                   && isfinite (fc.breach_in_s);
    }
    free (s.x);
    free (s.y);
    return f;
}

//  --------------------------------------------------------------------
//  Telling

static void
s_alert (hl_watch_t *self, const char *severity, const char *text,
         hl_value_t **data_p)
{
    char topic[64];
    snprintf (topic, sizeof topic, "alert.%s", severity);
    if (!self->deps.publish
        || (self->deps.wants && !self->deps.wants (self->deps.arg, topic))) {
        hl_value_destroy (data_p);
        return;
    }
    hl_msg_t *msg = hl_msg_new (HL_MSG_ALERT);
    hl_msg_set_severity (msg, severity);
    hl_msg_set_text (msg, text);
    hl_msg_set_data (msg, data_p);
    self->deps.publish (self->deps.arg, &msg);
    hl_msg_destroy (&msg);
}

/*  The data every watch alert carries: what it is, for the webhooks. */
static hl_value_t *
s_data (const char *event, const char *alertname, const char *metric,
        const char *status)
{
    hl_value_t *d = hl_value_new_map ();
    hl_value_set_str (d, "event", event);
    hl_value_set_str (d, "alertname", alertname);
    hl_value_set_str (d, "subject", metric);
    hl_value_set_str (d, "status", status);
    return d;
}

static void
s_set_number (hl_value_t *map, const char *key, double v)
{
    hl_value_t *x
        = isfinite (v) ? hl_value_new_double (v) : hl_value_new_nil ();
    hl_value_set (map, key, &x);
}

/*  "45 s", "12 min", "3.5 h" */
static void
s_duration (double s, char *out, size_t size)
{
    if (s < 120)
        snprintf (out, size, "%.0f s", s);
    else if (s < 7200)
        snprintf (out, size, "%.0f min", s / 60);
    else
        snprintf (out, size, "%.1f h", s / 3600);
}

static void
s_tell_forecast (hl_watch_t *self, const hl_config_metric_t *m,
                 const hl_watch_finding_t *f, s_state_t *state)
{
    const hl_config_alerts_t *ac = hl_config_alerts (self->deps.config);
    char text[512];
    if (f->breach) {
        char in[32];
        s_duration (f->breach_in_s, in, sizeof in);
        snprintf (text, sizeof text,
                  "%s is forecast to reach its critical level %g%s in %s "
                  "(trend %+.4g %s/h; %.4g%s at the %d min horizon)",
                  m->name, m->critical, m->unit, in, f->slope * 3600, m->unit,
                  f->at_horizon, m->unit, ac->horizon / 60);
        hl_value_t *d
            = s_data ("forecast.breach", "forecast_breach", m->name, "firing");
        s_set_number (d, "breach_in_s", f->breach_in_s);
        s_set_number (d, "trend_per_hour", f->slope * 3600);
        s_set_number (d, "at_horizon", f->at_horizon);
        hl_value_set_double (d, "critical", m->critical);
        hl_value_set_int (d, "horizon_s", ac->horizon);
        if (!state->forecast)
            hl_log_warning ("watch: %s", text);
        s_alert (self, "warning", text, &d);
        state->forecast = true;
        self->warnings++;
    } else if (state->forecast) {
        snprintf (text, sizeof text,
                  "%s is no longer forecast to reach its critical level within "
                  "%d min",
                  m->name, ac->horizon / 60);
        hl_value_t *d = s_data ("forecast.cleared", "forecast_breach", m->name,
                                "resolved");
        hl_log_notice ("watch: %s", text);
        s_alert (self, "info", text, &d);
        state->forecast = false;
    }
}

static void
s_tell_anomaly (hl_watch_t *self, const hl_config_metric_t *m,
                const hl_watch_finding_t *f, s_state_t *state)
{
    const hl_config_alerts_t *ac = hl_config_alerts (self->deps.config);
    char text[512];
    if (f->anomaly) {
        snprintf (text, sizeof text,
                  "%s: its %s over the last %d s, %.4g%s, is %+.1f robust z "
                  "from the hour before (median %.4g%s)",
                  m->name, m->stat, ac->trend_interval, f->value, m->unit, f->z,
                  f->median, m->unit);
        hl_value_t *d = s_data ("anomaly", "anomaly", m->name, "firing");
        hl_value_set_double (d, "z", f->z);
        hl_value_set_double (d, "value", f->value);
        hl_value_set_double (d, "median", f->median);
        hl_value_set_bool (d, "worse", f->worse);
        if (!state->anomaly)
            hl_log_warning ("watch: %s", text);
        s_alert (self, f->worse ? "warning" : "info", text, &d);
        state->anomaly = true;
        self->anomalies++;
    } else if (state->anomaly) {
        snprintf (text, sizeof text, "%s: back within %.1f robust z", m->name,
                  ac->anomaly_z);
        hl_value_t *d
            = s_data ("anomaly.cleared", "anomaly", m->name, "resolved");
        hl_log_notice ("watch: %s", text);
        s_alert (self, "info", text, &d);
        state->anomaly = false;
    }
}

/*  Evaluate metrics from the cursor on, until (when limited) one has
    needed a full forecast or S_BUDGET_US have passed, or all are done;
    then the proactive cycle. Returns the alerts raised. */
static size_t
s_evaluate_some (hl_watch_t *self, bool limit)
{
    const hl_config_t *config = self->deps.config;
    const hl_config_alerts_t *ac = hl_config_alerts (config);
    int64_t interval = ac->trend_interval > 0 ? ac->trend_interval : 300;
    size_t raised = 0;
    int64_t started = zclock_usecs ();
    while (self->cursor < self->nmetrics) {
        size_t i = self->cursor++;
        const hl_config_metric_t *m = hl_config_metric (config, i);
        hl_watch_finding_t f
            = hl_watch_metric (m, self->deps.kpi, self->eval_us, interval,
                               ac->horizon, ac->anomaly_z);
        s_tell_forecast (self, m, &f, &self->state[i]);
        s_tell_anomaly (self, m, &f, &self->state[i]);
        raised += f.breach + f.anomaly;
        if (f.breach && !self->breach)
            self->breach = m->name;
        if (limit && (f.forecast || zclock_usecs () - started >= S_BUDGET_US))
            break; /* the rest at the next tick */
    }
    if (self->cursor < self->nmetrics)
        return raised;
    //  Proactive: act before health falls (refused while a cycle or an
    //  emergency runs, which is fine: something is already at work)
    if (self->breach && ac->proactive && self->deps.cycle) {
        char error[256];
        uint64_t id = hl_cycle_run (self->deps.cycle, "optimization", NULL,
                                    "watch", NULL, NULL, error, sizeof error);
        if (id) {
            self->proactive++;
            hl_log_notice ("watch: forecast breach of %s: optimization %" PRIu64
                           " started early",
                           self->breach, id);
        } else
            hl_log_info ("watch: forecast breach of %s: no early cycle: %s",
                         self->breach, error);
    }
    self->breach = NULL;
    return raised;
}

static void
s_evaluation_start (hl_watch_t *self, int64_t now_us)
{
    self->evaluations++;
    self->cursor = 0;
    self->eval_us = now_us;
    self->breach = NULL;
}

size_t
hl_watch_evaluate (hl_watch_t *self, int64_t now_us)
{
    s_evaluation_start (self, now_us);
    return s_evaluate_some (self, false);
}

//  --------------------------------------------------------------------
//  The summary

static const char *
s_period (int64_t every_s)
{
    return every_s == 7 * 86400 ? "Weekly"
           : every_s == 86400   ? "Daily"
           : every_s == 3600    ? "Hourly"
                                : "Scheduled";
}

/*  The plan is done (at once: a plan needs no agent): its summary as
    alert.info, which the webhooks send. */
static void
s_summary_done (void *arg, const hl_value_t *report)
{
    hl_watch_t *self = (hl_watch_t *)arg;
    self->summaries++;
    const hl_config_summary_t *sc = hl_config_summary (self->deps.config);
    const hl_value_t *plan = hl_value_get (report, "plan");
    const hl_value_t *baseline
        = hl_value_get (hl_value_get (plan, "scenarios"), "baseline");
    int64_t id = hl_value_get_int (report, "id", 0);
    double now = hl_value_get_double (report, "health_after", NAN);
    double ahead = hl_value_get_double (baseline, "health_at_horizon", NAN);
    char text[1024];
    char ahead_text[96];
    if (isfinite (ahead))
        snprintf (ahead_text, sizeof ahead_text, "%.1f forecast %g days ahead",
                  ahead, (double)sc->horizon_s / 86400);
    else
        snprintf (ahead_text, sizeof ahead_text,
                  "no forecast %g days ahead yet (too little history)",
                  (double)sc->horizon_s / 86400);
    char now_text[32] = "no score";
    if (isfinite (now))
        snprintf (now_text, sizeof now_text, "%.1f", now);
    int n = snprintf (text, sizeof text, "%s summary: health %s now, %s",
                      s_period (sc->every_s), now_text, ahead_text);
    hl_value_t *d = s_data ("summary", "summary", "", "event");
    hl_value_set_int (d, "report", id);
    hl_value_set_int (d, "horizon_s", sc->horizon_s);
    s_set_number (d, "health_now", now);
    s_set_number (d, "health_at_horizon", ahead);
    hl_value_t *breaches = hl_value_new_array ();
    const hl_value_t *metrics = hl_value_get (baseline, "metrics");
    for (size_t i = 0; i < hl_value_size (metrics); i++) {
        const hl_value_t *m = hl_value_at (metrics, i);
        double in = hl_value_get_double (m, "breach_in_s", NAN);
        if (!isfinite (in))
            continue;
        const char *name = hl_value_get_str (m, "name", "?");
        hl_value_t *b = hl_value_new_map ();
        hl_value_set_str (b, "metric", name);
        hl_value_set_double (b, "in_s", in);
        hl_value_append (breaches, &b);
        if (n > 0 && (size_t)n < sizeof text)
            n += snprintf (text + n, sizeof text - (size_t)n,
                           "%s %s reaches critical in %.1f days",
                           hl_value_size (breaches) == 1 ? ";" : ",", name,
                           in / 86400);
    }
    hl_value_set (d, "breaches", &breaches);
    hl_value_t *steps = hl_value_new_array ();
    const hl_value_t *roadmap = hl_value_get (plan, "roadmap");
    for (size_t i = 0; i < hl_value_size (roadmap) && i < 3; i++) {
        const hl_value_t *r = hl_value_at (roadmap, i);
        const char *action = hl_value_get_str (r, "action", "?");
        double gain = hl_value_get_double (r, "health_gain", NAN);
        hl_value_t *step = hl_value_new_map ();
        hl_value_set_str (step, "action", action);
        s_set_number (step, "health_gain", gain);
        hl_value_append (steps, &step);
        if (n > 0 && (size_t)n < sizeof text)
            n += snprintf (text + n, sizeof text - (size_t)n, "%s %s (%+.1f)",
                           i == 0 ? "; next: " : ",", action, gain);
    }
    hl_value_set (d, "roadmap", &steps);
    if (n > 0 && (size_t)n < sizeof text)
        snprintf (text + n, sizeof text - (size_t)n,
                  "; report strategic_planning-%" PRId64, id);
    hl_log_notice ("watch: %s", text);
    s_alert (self, "info", text, &d);
}

static void
s_summary (hl_watch_t *self)
{
    if (!self->deps.cycle)
        return;
    hl_value_t *params = hl_value_new_map ();
    hl_value_set_int (params, "horizon",
                      hl_config_summary (self->deps.config)->horizon_s);
    char error[256];
    if (!hl_cycle_run (self->deps.cycle, "strategic_planning", &params,
                       "summary", s_summary_done, self, error, sizeof error))
        hl_log_warning ("watch: no summary: %s", error);
}

//  --------------------------------------------------------------------
//  API

hl_watch_t *
hl_watch_new (const hl_watch_deps_t *deps, int64_t now_us)
{
    assert (deps && deps->config && deps->kpi);
    hl_watch_t *self = (hl_watch_t *)hl_alloc (sizeof *self);
    self->deps = *deps;
    self->nmetrics = hl_config_metrics_size (deps->config);
    self->state
        = (s_state_t *)hl_calloc (self->nmetrics + 1, sizeof (s_state_t));
    self->cursor = self->nmetrics;
    const hl_config_alerts_t *ac = hl_config_alerts (deps->config);
    const hl_config_summary_t *sc = hl_config_summary (deps->config);
    if (ac->trend_interval > 0)
        self->next_eval_us = now_us + ac->trend_interval * 1000000LL;
    if (sc->every_s > 0)
        self->next_summary_us = now_us + sc->every_s * 1000000;
    return self;
}

void
hl_watch_destroy (hl_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_watch_t *self = *self_p;
    free (self->state);
    free (self);
    *self_p = NULL;
}

void
hl_watch_tick (hl_watch_t *self, int64_t now_us)
{
    //  One full forecast a tick at most (each costs the reactor tens of
    //  milliseconds), and a few milliseconds of the rest: an evaluation
    //  of many metrics is spread over several seconds
    if (self->cursor < self->nmetrics)
        s_evaluate_some (self, true);
    else if (self->next_eval_us && now_us >= self->next_eval_us) {
        self->next_eval_us
            = now_us
              + hl_config_alerts (self->deps.config)->trend_interval
                    * 1000000LL;
        s_evaluation_start (self, now_us);
        s_evaluate_some (self, true);
    }
    if (self->next_summary_us && now_us >= self->next_summary_us) {
        self->next_summary_us
            = now_us + hl_config_summary (self->deps.config)->every_s * 1000000;
        s_summary (self);
    }
}

static hl_value_t *
s_when (int64_t us)
{
    return us ? hl_value_new_int (us / 1000000) : hl_value_new_nil ();
}

hl_value_t *
hl_watch_status (const hl_watch_t *self)
{
    hl_value_t *v = hl_value_new_map ();
    hl_value_set_int (v, "evaluations", (int64_t)self->evaluations);
    hl_value_set_int (v, "warnings", (int64_t)self->warnings);
    hl_value_set_int (v, "anomalies", (int64_t)self->anomalies);
    hl_value_set_int (v, "proactive_cycles", (int64_t)self->proactive);
    hl_value_set_int (v, "summaries", (int64_t)self->summaries);
    hl_value_t *firing = hl_value_new_array ();
    for (size_t i = 0; i < self->nmetrics; i++) {
        char name[HL_MAX_METRIC + 32];
        const char *metric = hl_config_metric (self->deps.config, i)->name;
        if (self->state[i].forecast) {
            snprintf (name, sizeof name, "forecast_breach:%s", metric);
            hl_value_t *s = hl_value_new_str (name);
            hl_value_append (firing, &s);
        }
        if (self->state[i].anomaly) {
            snprintf (name, sizeof name, "anomaly:%s", metric);
            hl_value_t *s = hl_value_new_str (name);
            hl_value_append (firing, &s);
        }
    }
    hl_value_set (v, "firing", &firing);
    hl_value_t *t = s_when (self->next_eval_us);
    hl_value_set (v, "next_evaluation", &t);
    t = s_when (self->next_summary_us);
    hl_value_set (v, "next_summary", &t);
    return v;
}
