/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_forecast - strategic planning (design §5, task type
    strategic_planning): per metric a Theil-Sen trend over the last hour
    the tracker holds, its value and score at a horizon, a projected
    breach of its critical level, per scenario the health those scores
    make (combined by hl_health_combine, the live rule), and a roadmap of
    the actions the planner ranks now with the health each is expected
    to add. Pure functions over the tracker: nothing is changed, no agent
    is asked.
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

/*  One metric's forecast. */
typedef struct {
    size_t points;      /* seconds of history with a value */
    bool ok;            /* enough points for a trend */
    double slope;       /* per second */
    double at_horizon;  /* the trend's value at the horizon, grown */
    double score;       /* its score (0..100) */
    double breach_in_s; /* seconds to the critical level, or NAN if not
                           within the horizon */
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
    {health_at_horizon, metrics: [{name, points, forecast: "nodata" |
    trend_per_hour, at_horizon, score_at_horizon, breach_in_s}]}},
    roadmap: [{rank, action, swarm, urgency, p_success, gain,
    health_gain, expected_health}]}. learning may be NULL. */
hl_value_t *hl_forecast_plan (const hl_forecast_spec_t *spec,
                              const hl_config_t *config, const hl_kpi_t *kpi,
                              hl_planner_t *planner, hl_learning_t *learning,
                              int64_t now_us);

#endif
