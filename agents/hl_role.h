/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_role - the plug-in interface of an agent role. The runtime
    (hl_agent) owns the connection, the queue and the result store; a role
    only says which task kinds it runs and runs them, finishing each now
    or later with hl_agent_complete(). One file per role kind implements
    it for both of its flavours (frontend/backend, ux/api).
*/
#ifndef HL_ROLE_H
#define HL_ROLE_H

#include "hl_agent.h"

/*  The bit of a task kind (hl_task_kind_t) in hl_role_t.kinds. */
#define HL_ROLE_KIND(kind) (1u << (kind))

/*  Rules for a role:
    - every hook runs on the agent's loop thread and must never block;
      slow work goes to child processes, readers or timers registered on
      hl_agent_loop(), and ends with hl_agent_complete(task id, ...);
    - a task pointer is valid from start until the role completes it or
      the runtime cancels it (cancel hook); keep the task id, not the
      pointer, in anything that may outlive it: hl_agent_complete() of an
      id no longer running is a harmless -1;
    - zloop_timer_end() takes effect at the end of the loop's pass, so a
      timer ended from within another timer may still fire once. */
struct _hl_role_t {
    const char *name; /* "prometheus", "hephaestus", "athena" */
    unsigned kinds;   /* task kinds run, HL_ROLE_KIND bits; echo is the
                         runtime's */
    bool durable;     /* its tasks change things: an agent given a name
                         journals them (hl_journal), so that restarted
                         under that name it never runs one twice */
    /*  Create the role's state for agent (hl_agent_config(),
        hl_agent_swarm() tell which flavour). 0, or -1 to refuse to
        start (logged by the role). */
    int (*new) (hl_agent_t *agent, void **state_p);
    /*  Destroy the state and anything still running; nulls *state_p. */
    void (*destroy) (void **state_p);
    /*  Optional: append to actions (an array) the names of the actions
        this instance can run, for hello. */
    void (*hello) (void *state, hl_value_t *actions);
    /*  Start task, whose kind is one of kinds. 0 once accepted: the role
        calls hl_agent_complete() now or later. -1: it could not start
        (the runtime answers failed). */
    int (*start) (void *state, hl_agent_task_t *task);
    /*  Optional: stop a running task at once (master's cancel, deadline,
        shutdown). The runtime answers the master itself afterwards and
        the task pointer dies when this returns. */
    void (*cancel) (void *state, hl_agent_task_t *task);
};

/*  The three role kinds. */
extern const hl_role_t hl_prometheus_role;
extern const hl_role_t hl_hephaestus_role;
extern const hl_role_t hl_athena_role;

#endif
