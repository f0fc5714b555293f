/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_athena - the Athena role (design §6): verifies a change by
    measuring its metrics after it settles and comparing them with the
    baseline; athena-ux serves the frontend swarm, athena-api the backend.
    It runs kind "verify"; verification is not implemented yet and every
    task is rejected as such.
*/
#include <stdio.h>
#include <stdlib.h>

#include "hl_role.h"

typedef struct {
    hl_agent_t *agent; //  borrowed, outlives the role
} s_athena_t;

static const char *const s_kinds[] = { "verify", NULL };

static int
s_new (hl_agent_t *agent, void **state_p)
{
    s_athena_t *self = (s_athena_t *)calloc (1, sizeof *self);
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
    s_athena_t *self = (s_athena_t *)state;
    //  Say so rather than fake a verdict
    char text[128];
    snprintf (text, sizeof text, "%s is not implemented yet",
              hl_agent_task_kind (task));
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "error", text);
    hl_agent_complete (self->agent, hl_agent_task_id (task), HL_AGENT_REJECTED,
                       &data);
    return 0;
}

const hl_role_t hl_athena_role = {
    .name = "athena",
    .kinds = s_kinds,
    .new = s_new,
    .destroy = s_destroy,
    .start = s_start,
};
