/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_watch - early warnings and scheduled summaries (the seed's
    "Monitoring & Alerts"). Every alerts.trend_interval it looks at each
    metric: a forecast (hl_forecast_metric) that crosses the critical
    level within alerts.horizon raises alert.warning, and the robust z
    of the last interval against the hour before it past
    alerts.anomaly_z raises an anomaly alert; each is told again while
    it holds and cleared once when it ends. With alerts.proactive a
    forecast breach starts an optimisation cycle at once (hl_cycle_run).
    Every summary.every it runs a strategic plan (hl_cycle_run, so it
    is a report like any run) and publishes its summary as alert.info,
    which the webhooks send. Lives on the master's reactor thread.
*/
#ifndef HL_WATCH_H
#define HL_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_msg.h"
#include "hl_cycle.h"
#include "hl_kpi.h"

#define HL_WATCH_MIN_POINTS 30 /* seconds with data a warning needs */

/*  What the watch finds in one metric. */
typedef struct {
    size_t points;      /* seconds of the last hour with data */
    double breach_in_s; /* the forecast reaches the critical level this
                           many seconds from now (within the horizon),
                           or NAN */
    double at_horizon;  /* the forecast's value at the horizon, or NAN */
    double slope;       /* the trend, per second, or NAN */
    double value;       /* the metric's statistic over the last interval,
                           or NAN */
    double median;      /* of the seconds before it, or NAN */
    double z;           /* robust z of value against those seconds, NAN
                           with fewer than HL_WATCH_MIN_POINTS */
    bool forecast;      /* the full forecast was made: a quick trend of
                           the hour came within two horizons of the
                           critical level */
    bool breach;        /* a forecast breach to warn of */
    bool anomaly;       /* |z| > anomaly_z */
    bool worse;         /* the anomaly is on the metric's worse side */
} hl_watch_finding_t;

/*  Look at metric at now_us: the forecast to horizon_s (hl_forecast_metric,
    made only when a quick trend of 120 points of the hour could breach
    within two horizons) and the last interval_s against the hour
    before. Pure over the tracker. */
hl_watch_finding_t hl_watch_metric (const hl_config_metric_t *metric,
                                    const hl_kpi_t *kpi, int64_t now_us,
                                    int64_t interval_s, int64_t horizon_s,
                                    double anomaly_z);

typedef struct _hl_watch_t hl_watch_t;

/*  Publish a bus event (takes *msg_p), and whether a topic is wanted. */
typedef void (hl_watch_publish_fn) (void *arg, hl_msg_t **msg_p);
typedef bool (hl_watch_wants_fn) (void *arg, const char *topic);

typedef struct {
    const hl_config_t *config;
    const hl_kpi_t *kpi;
    hl_cycle_t *cycle; /* may be NULL: no proactive cycle, no summary */
    hl_watch_publish_fn *publish;
    hl_watch_wants_fn *wants; /* may be NULL: every alert built */
    void *arg;
} hl_watch_deps_t;

/*  A watch starting at now_us: its first evaluation a trend_interval
    later, its first summary a summary.every later. deps are copied,
    what they point to borrowed. */
hl_watch_t *hl_watch_new (const hl_watch_deps_t *deps, int64_t now_us);

void hl_watch_destroy (hl_watch_t **self_p);

/*  Every second: evaluate when due (spread over several seconds when
    several metrics need a full forecast: one a second), start the
    summary when due. */
void hl_watch_tick (hl_watch_t *self, int64_t now_us);

/*  Evaluate every metric now, at once, and publish what it finds;
    returns the number of alerts raised (warnings and anomalies). */
size_t hl_watch_evaluate (hl_watch_t *self, int64_t now_us);

/*  For status (caller owns): {evaluations, warnings, anomalies,
    proactive_cycles, summaries, firing: [names], next_evaluation,
    next_summary (unix seconds, or null when off)}. */
hl_value_t *hl_watch_status (const hl_watch_t *self);

#endif
