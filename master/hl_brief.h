/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_brief - what the master tells each task of a cycle, built from the
    config and the KPI tracker: the analyze brief of a swarm's metrics
    with their recent series, the verify brief of an action's metrics
    with their baseline, and the apply and rollback args. The shapes are
    docs/task-kinds.md's; a field added there is added here.
*/
#ifndef HL_BRIEF_H
#define HL_BRIEF_H

#include <stdbool.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_value.h"
#include "hl_kpi.h"

#define HL_BRIEF_SERIES_S 600 /* seconds of history an analyze gets */

/*  The analyze args for swarm (caller owns): {metrics: [{name, better,
    target, critical, unit, series: [[ts_us, value], ...]}]} over the
    metrics of the swarm's categories, limited to focus where focus has
    any category set (focus may be NULL), each with its configured
    statistic per second for the HL_BRIEF_SERIES_S seconds before now_us.
    NULL when no metric qualifies. */
hl_value_t *hl_brief_analyze (const hl_config_t *config, const hl_kpi_t *kpi,
                              hl_swarm_t swarm, const bool *focus,
                              int64_t now_us);

/*  What verify needs of action's metrics (caller owns): [{name, better,
    stat, baseline: [value, ...], [guard: true]}], its targets first, then
    its guards, the baseline being the statistic per second over
    [from_us, to_us). A metric scored on its last value is compared on
    means: the per-second kpi messages carry no "last". */
hl_value_t *hl_brief_metrics (const hl_config_t *config, const hl_kpi_t *kpi,
                              const hl_config_action_t *action, int64_t from_us,
                              int64_t to_us);

/*  The verify args (caller owns): {action, settle_s, window_s, [min_n],
    metrics (a copy of metrics)}. min_n 0 leaves Athena's default. */
hl_value_t *hl_brief_verify (const hl_config_action_t *action, int settle_s,
                             int window_s, int min_n,
                             const hl_value_t *metrics);

/*  The apply and rollback args (caller owns): {action, params: {}}. */
hl_value_t *hl_brief_action (const hl_config_action_t *action);

#endif
