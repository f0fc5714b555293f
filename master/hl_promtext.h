/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_promtext - the master's figures in the Prometheus text exposition
    format 0.0.4, for GET /metrics: health and its parts, each KPI with
    its target and critical level in base units, counters of tasks, runs,
    verdicts, the bus, intake and HTTP, the dispatch latency histogram and
    the orchestration figures. A pure function of the control API's
    answers, so it is tested without a master.
*/
#ifndef HL_PROMTEXT_H
#define HL_PROMTEXT_H

#include "../bus/hl_config.h"
#include "../proto/hl_value.h"

/*  The exposition of status (the "status" operation's data) and agents
    (the "agents" operation's, may be NULL), with the configured metrics'
    units and levels from config (borrowed). A figure status lacks, or
    that has no value yet (null), is left out, never invented. Returns a
    string the caller frees. */
char *hl_promtext (const hl_config_t *config, const hl_value_t *status,
                   const hl_value_t *agents);

/*  A metric unit's factor to base units ("ms" 0.001, "%" 0.01, "min"
    60...), and the suffix of the family it goes in: "seconds", "ratio",
    or "" for a unit Prometheus has no base for (kept as it is). */
double hl_promtext_unit (const char *unit, const char **suffix);

#endif
