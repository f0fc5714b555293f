/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_health - health scoring and bottlenecks (design §5), computed from
    the KPI tracker and the config: per metric a 0-100 score on its stat
    over health.window, weighted category and overall scores, the key
    metric cap, and the metrics under target ranked worst first. A result
    is a snapshot; it reads the tracker only while being computed.
*/
#ifndef HL_HEALTH_H
#define HL_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_names.h"
#include "../proto/hl_value.h"
#include "hl_kpi.h"

typedef enum {
    HL_HEALTH_OK,       /* score 100: at or better than target */
    HL_HEALTH_DEGRADED, /* 0 < score < 100 */
    HL_HEALTH_CRITICAL, /* score 0: at or beyond critical */
    HL_HEALTH_NODATA    /* no samples in the window; not scored */
} hl_health_state_t;

/*  Bottleneck severity from the score: critical below 25 (which includes
    at or beyond critical, score 0), high below 50, medium below 75, low
    below 100; none at 100. Quarters of the scale, so a metric moves one
    step per quarter of the target-critical distance it loses. */
#define HL_HEALTH_CRITICAL_BELOW 25.0
#define HL_HEALTH_HIGH_BELOW 50.0
#define HL_HEALTH_MEDIUM_BELOW 75.0

/*  hl_severity_t is one of the shared names (proto/hl_names.h). */

/*  Overall state: nodata when no metric has samples, emergency below
    emergency.threshold, degraded below health.target, else ok. */
typedef enum {
    HL_OVERALL_OK,
    HL_OVERALL_DEGRADED,
    HL_OVERALL_EMERGENCY,
    HL_OVERALL_NODATA
} hl_overall_t;

typedef struct {
    const hl_config_metric_t *config; /* borrowed from the config */
    uint64_t count;                   /* samples in the window */
    double value;                     /* its stat over the window, or NAN */
    double score;                     /* 0..100, NAN when nodata */
    hl_health_state_t state;
    hl_severity_t severity; /* NONE unless under target */
    double gap;             /* relative distance past target, |value - target| /
                               |target| (or / |critical - target| when target
                               is 0); 0 at or better than target */
    double impact;          /* business impact: weight x gap */
} hl_health_metric_t;

typedef struct _hl_health_t hl_health_t;

/*  Score metric's value: 100 at or better than target, 0 at or worse than
    critical, linear between, direction from metric->better. NAN for a
    NAN value. */
double hl_health_score_value (const hl_config_metric_t *metric, double value);

/*  The one rule that combines metric scores into the overall score, for
    live health and for forecasts alike: scores[i] is the score of the
    config's metric i, NAN for nodata (left out). The weighted mean, capped
    one point under emergency.threshold when a key metric is at 0
    (*capped_p, which may be NULL, tells). NAN when no metric has data. */
double hl_health_combine (const hl_config_t *config, const double *scores,
                          bool *capped_p);

/*  Severity of a score under target, by the thresholds above. */
hl_severity_t hl_health_severity (double score);

/*  Compute health from kpi at now_us over the last health.window seconds
    (whole seconds, the current one included). config must be the one
    kpi tracks and must outlive the result. The caller owns the result. */
hl_health_t *hl_health_compute (const hl_config_t *config, const hl_kpi_t *kpi,
                                int64_t now_us);

void hl_health_destroy (hl_health_t **self_p);

/*  The overall score (0..100, NAN when nodata) and state. */
double hl_health_score (const hl_health_t *self);
hl_overall_t hl_health_state (const hl_health_t *self);

/*  True when a key metric at 0 capped the overall score. */
bool hl_health_capped (const hl_health_t *self);

/*  Weighted score of a category, NAN when none of its metrics has data
    or the category is out of range. */
double hl_health_category (const hl_health_t *self, hl_category_t category);

/*  Every metric in config order; i past the end gives NULL (borrowed). */
size_t hl_health_metrics_size (const hl_health_t *self);
const hl_health_metric_t *hl_health_metric (const hl_health_t *self, size_t i);

/*  The metric of that name, or NULL (borrowed). */
const hl_health_metric_t *hl_health_metric_find (const hl_health_t *self,
                                                 const char *name);

/*  Metrics under target, worst first: lowest score, then highest impact,
    then name (borrowed). */
size_t hl_health_bottlenecks_size (const hl_health_t *self);
const hl_health_metric_t *hl_health_bottleneck (const hl_health_t *self,
                                                size_t i);

/*  Metrics without samples in the window, config order (borrowed). */
size_t hl_health_nodata_size (const hl_health_t *self);
const hl_health_metric_t *hl_health_nodata (const hl_health_t *self, size_t i);

/*  Names for JSON: "ok", "degraded", "critical", "nodata"; "ok",
    "degraded", "emergency", "nodata". Never NULL. */
const char *hl_health_state_name (hl_health_state_t state);
const char *hl_health_overall_name (hl_overall_t state);

/*  The result shaped for the health bus message and status (caller owns):
    {"score", "state", "capped", "window",
     "categories": {"frontend": score, ...},
     "metrics": {name: {"value", "stat", "score", "state", "count",
                        "target", "critical", "unit", "category"}},
     "nodata": [name, ...],
     "bottlenecks": [{"metric", "category", "severity", "score", "value",
                      "target", "gap", "impact"}, ...]}.
    A score or value without data is null. */
hl_value_t *hl_health_to_value (const hl_health_t *self);

#endif
