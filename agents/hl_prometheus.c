/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_prometheus - the Prometheus role (design §6): analyses metric
    series (trends, anomalies, forecasts, recommendations) for the
    frontend or backend swarm. It runs kind "analyze"; the analysis itself
    is not implemented yet and every task is rejected as such.
*/
#include <stdio.h>
#include <stdlib.h>

#include "hl_role.h"

typedef struct {
    hl_agent_t *agent; //  borrowed, outlives the role
} s_prometheus_t;

static const char *const s_kinds[] = { "analyze", NULL };

static int
s_new (hl_agent_t *agent, void **state_p)
{
    s_prometheus_t *self = (s_prometheus_t *)calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->agent = agent;
    *state_p = self;
    return 0;
}

static void
s_destroy (void **state_p)
{
    free (*state_p);
    *state_p = NULL;
}

static int
s_start (void *state, hl_agent_task_t *task)
{
    s_prometheus_t *self = (s_prometheus_t *)state;
    //  Say so rather than fake an analysis
    char text[128];
    snprintf (text, sizeof text, "%s is not implemented yet",
              hl_agent_task_kind (task));
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "error", text);
    hl_agent_complete (self->agent, hl_agent_task_id (task), HL_AGENT_REJECTED,
                       &data);
    return 0;
}

const hl_role_t hl_prometheus_role = {
    .name = "prometheus",
    .kinds = s_kinds,
    .new = s_new,
    .destroy = s_destroy,
    .start = s_start,
};
