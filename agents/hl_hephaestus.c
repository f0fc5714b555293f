/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_hephaestus - the Hephaestus role (design §6): runs the playbook's
    apply and rollback commands from its own config for the frontend or
    backend swarm. It advertises in hello the actions of its swarm that
    have an apply command. Running them is not implemented yet: every
    task is rejected as such.
*/
#include <stdio.h>
#include <stdlib.h>

#include "hl_role.h"

typedef struct {
    hl_agent_t *agent;         //  borrowed, outlives the role
    const hl_config_t *config; //  borrowed, the agent's
    const char *swarm;         //  "frontend" or "backend", borrowed
} s_hephaestus_t;

static const char *const s_kinds[] = { "apply", "rollback", NULL };

static int
s_new (hl_agent_t *agent, void **state_p)
{
    s_hephaestus_t *self = (s_hephaestus_t *)calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->agent = agent;
    self->config = hl_agent_config (agent);
    self->swarm = hl_agent_swarm (agent);
    *state_p = self;
    return 0;
}

static void
s_destroy (void **state_p)
{
    free (*state_p);
    *state_p = NULL;
}

//  Only actions this instance could run: its swarm's, with a command
static void
s_hello (void *state, hl_value_t *actions)
{
    s_hephaestus_t *self = (s_hephaestus_t *)state;
    size_t n = hl_config_actions_size (self->config);
    for (size_t i = 0; i < n; i++) {
        const hl_config_action_t *action = hl_config_action (self->config, i);
        if (streq (action->swarm, self->swarm) && action->apply
            && *action->apply) {
            hl_value_t *name = hl_value_new_str (action->name);
            hl_value_append (actions, &name);
        }
    }
}

static int
s_start (void *state, hl_agent_task_t *task)
{
    s_hephaestus_t *self = (s_hephaestus_t *)state;
    //  Say so rather than pretend a change was made
    char text[128];
    snprintf (text, sizeof text, "%s is not implemented yet",
              hl_agent_task_kind (task));
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "error", text);
    hl_agent_complete (self->agent, hl_agent_task_id (task), HL_AGENT_REJECTED,
                       &data);
    return 0;
}

const hl_role_t hl_hephaestus_role = {
    .name = "hephaestus",
    .kinds = s_kinds,
    .new = s_new,
    .destroy = s_destroy,
    .hello = s_hello,
    .start = s_start,
};
