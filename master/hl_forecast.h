/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_forecast - strategic planning (design §5, strategic_planning): per
    metric a Theil-Sen trend to a horizon, kept within the metric's range
    and carried no farther than its history supports; per scenario the
    health that makes (hl_health_combine, the live rule) and what would
    help each projected breach; a roadmap of the planner's ranked actions.
    Pure functions over the tracker: nothing is changed, no agent asked.
*/
#ifndef HL_FORECAST_H
#define HL_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_value.h"
#include "hl_kpi.h"
#include "hl_learning.h"
#include "hl_planner.h"

#define HL_FORECAST_HISTORY_S 3600      /* seconds of history a trend uses */
#define HL_FORECAST_SCENARIOS 4         /* scenarios one plan may hold */
#define HL_FORECAST_MAX_S (366 * 86400) /* the longest horizon */

/*  How far a trend may be carried (a reach, rather than an interval
    that widens past all use). A trend rests on at least
    HL_FORECAST_MIN_POINTS seconds with a value spanning at least
    HL_FORECAST_MIN_SPAN_S seconds, first to last; it is carried at most
    HL_FORECAST_REACH times that span past its last point. A horizon
    beyond that gets no value: the metric is "short_history" (with its
    history and reach) and is left out of the scenario's health, as a
    metric without data is. A breach the trend reaches within both the
    horizon and the reach is still reported. With the tracker's hour,
    plans reach at most four hours. */
#define HL_FORECAST_REACH 4
#define HL_FORECAST_MIN_POINTS 10
#define HL_FORECAST_MIN_SPAN_S 30

/*  The range at the horizon holds a second's value with this normal
    quantile (95%), if the seconds scatter independently around the
    line: it says how noisy the metric is, not how wrong the trend can
    be. */
#define HL_FORECAST_Z 1.96

/*  "baseline", or "growth:<pct>": load grows by pct percent, which moves
    every metric that much the wrong way. */
typedef struct {
    char name[32];
    double growth; /* growth:10 is 0.10; baseline 0 */
} hl_scenario_t;

typedef struct {
    int64_t horizon_s;
    hl_scenario_t scenarios[HL_FORECAST_SCENARIOS];
    size_t nscenarios;
} hl_forecast_spec_t;

typedef enum {
    HL_FORECAST_NODATA, /* no second with a value */
    HL_FORECAST_SHORT,  /* history too short for a trend, or for the
                           horizon */
    HL_FORECAST_TREND   /* a value at the horizon */
} hl_forecast_state_t;

/*  One metric's forecast. Every value is the grown line's, clamped into
    the metric's [min, max]; since critical lies within that range, the
    clamped line crosses it when the line does. */
typedef struct {
    hl_forecast_state_t state;
    size_t points;      /* seconds of history with a value */
    double history_s;   /* first to last of them, 0 without points */
    double reach_s;     /* from now, how far the trend may be carried;
                           0 without a trend */
    double slope;       /* per second, as measured; NAN without a trend */
    double at_horizon;  /* TREND: the value at the horizon, else NAN */
    double low, high;   /* TREND: its range (HL_FORECAST_Z), else NAN */
    double score;       /* TREND: the score of at_horizon, else NAN */
    double breach_in_s; /* seconds until the line is at or past critical
                           (0: already), if within the horizon and the
                           reach; else NAN */
} hl_forecast_metric_t;

/*  Seconds in a horizon: "7_days", "24_hours", "90_minutes",
    "3600_seconds" or "3600". 0 for anything else, or beyond
    HL_FORECAST_MAX_S. */
int64_t hl_forecast_horizon (const char *text);

/*  The plan's parameters from a run's params (may be NULL): horizon
    (a number of seconds or a string for hl_forecast_horizon; default
    7_days) and scenarios (a list or a comma-separated string of
    baseline and growth:<pct>, pct > -100; default baseline). Returns 0,
    or -1 with the reason in error. */
int hl_forecast_parse (const hl_value_t *params, hl_forecast_spec_t *spec,
                       char *error, size_t errsize);

/*  Forecast metric at now_us + horizon_s in a scenario of growth. */
hl_forecast_metric_t hl_forecast_metric (const hl_config_metric_t *metric,
                                         const hl_kpi_t *kpi, int64_t now_us,
                                         int64_t horizon_s, double growth);

/*  The whole plan (caller owns): {horizon_s, scenarios: {name:
    {health_at_horizon (null when no metric could be forecast, with
    health_note saying why), scored, short_history, nodata (metric
    counts), metrics: [{name, points, forecast: "trend" | "short_history"
    | "nodata", history_s, reach_s, trend_per_hour, at_horizon, low, high,
    score_at_horizon, breach_in_s}] (the numbers the forecast has),
    breaches: [{metric, breach_in_s, actions: [{action, swarm, expected,
    p_success (learned mean), status, rank}], ruled_out: [{action,
    reason}], note}]}},
    roadmap: [{rank, action, swarm, urgency, p_success, gain, health_gain,
    expected_health}]}. A breach's actions are those whose improves names
    its metric, best p_success x expected / cost first, with the
    planner's reason as status (and rank when in the roadmap); one the
    planner skips for a reason that outlasts the moment (in effect, or
    any but no bottleneck, cooling, in flight, conflict and over
    max_concurrent) is ruled out instead; note says when none is left.
    learning may be NULL. */
hl_value_t *hl_forecast_plan (const hl_forecast_spec_t *spec,
                              const hl_config_t *config, const hl_kpi_t *kpi,
                              hl_planner_t *planner, hl_learning_t *learning,
                              int64_t now_us);

#endif
