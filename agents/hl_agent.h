/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_agent - the runtime every helios-agent role shares: the DEALER to
    the master's tasks socket, hello/welcome with backoff, heartbeats and
    liveness (Paranoid Pirate), the local task queue and capacity, the
    echo kind, the store of recent results, cancel, and the drain on
    SIGTERM. A role (hl_role.h) plugs in the kinds it runs.
*/
#ifndef HL_AGENT_H
#define HL_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>

#include "../bus/hl_config.h"
#include "../proto/hl_names.h"
#include "../proto/hl_value.h"

/*  What the master can rely on (design §3, §5):
    - a result's re is the id of the task message it answers; a task id
      seen again while it runs gets one result per task message (up to
      16 repeats), and after it ran the kept result (last 4096 ids) with
      the same status, data and duration, without running again;
    - an agent of a durable role (Hephaestus) given a name keeps those
      results in a journal too (hl_journal): restarted under the same
      name it answers them again, and a task it was running when it
      stopped is answered failed, {"error": "outcome unknown: ...",
      "unknown": true}, never run again;
    - refusals of the moment ("draining", "queue full", a journal that
      cannot be written) are not kept;
    - deadline_ms counts from when the agent got the task: queued past it
      the task is answered timeout unrun, running past it the role's
      cancel hook runs and the answer is timeout;
    - a drain cut short (30 s, or a second signal) answers what is left
      cancelled with {"error": "agent shut down"}, then says bye. */

typedef struct _hl_agent_t hl_agent_t;
typedef struct _hl_agent_task_t hl_agent_task_t;
typedef struct _hl_role_t hl_role_t;

typedef struct {
    const char *role;        /* one of the six role names (hl_role_parse);
                                required */
    const char *endpoint;    /* NULL: the config's connect.tasks */
    const char *name;        /* NULL: "<role>@<host>:<pid>"; a durable
                                role's journal needs one */
    const char *state_dir;   /* NULL: the config's agent.state_dir; where
                                a durable role's journal goes */
    int capacity;            /* 0: the config's connect.capacity, 1..1024 */
    int backoff_min_ms;      /* 0: 1000, first hello retry */
    int backoff_max_ms;      /* 0: 32000 */
    const hl_role_t *plugin; /* NULL: the role's own; tests plug others */
    const char *node;        /* the helios-node that started it, or NULL:
                                told in its hello */
} hl_agent_opts_t;

/*  Counters, for logs, tests and benchmarks. */
typedef struct {
    uint64_t received;     /* valid messages from the master */
    uint64_t dropped;      /* invalid or unexpected messages dropped */
    uint64_t sent;         /* messages sent */
    uint64_t send_failed;  /* messages ZeroMQ refused (HWM, no peer) */
    uint64_t tasks;        /* task messages received */
    uint64_t started;      /* tasks run: echoes and role starts */
    uint64_t results;      /* result messages sent */
    uint64_t rejected;     /* rejected results sent */
    uint64_t cancelled;    /* cancelled results sent */
    uint64_t timeouts;     /* timeout results sent */
    uint64_t duplicates;   /* task messages whose id was known */
    uint64_t hellos;       /* hellos sent */
    uint64_t connects;     /* DEALER sockets created */
    uint64_t welcomes;     /* welcomes received */
    uint64_t orphans;      /* process groups left running by the last run
                              of this name, killed at start (journal) */
    uint32_t inflight;     /* tasks running now */
    uint32_t queued;       /* tasks waiting for capacity now */
    uint32_t max_inflight; /* the most tasks ever running at once */
    bool ready;            /* welcomed and not presumed dead */
    bool draining;         /* refusing new tasks, finishing the rest */
} hl_agent_stats_t;

/*  Create an agent of opts->role with config (borrowed: it must outlive
    the agent). Nothing is sent before run. Returns NULL and a one-line
    reason in err for bad options or when the role cannot start. */
hl_agent_t *hl_agent_new (const hl_config_t *config,
                          const hl_agent_opts_t *opts, char *err,
                          size_t errsize);

/*  Destroy; accepts NULL and nulls *self_p. */
void hl_agent_destroy (hl_agent_t **self_p);

/*  Run in this thread until SIGTERM/SIGINT: the first signal drains
    (running and queued tasks finish, at most 30 s), a second one stops at
    once; either way the master gets bye. Installs its own handlers in
    place of czmq's. Returns 0 on a clean stop, -1 on failure. */
int hl_agent_run (hl_agent_t *self);

/*  The same as a zactor (args: the hl_agent_t, owned by the actor's
    thread until zactor_destroy returns). Commands on the pipe: "DRAIN"
    starts a drain; "STATS" answers hl_agent_actor_stats; "$TERM" stops
    at once. When a drain ends the actor sends "STOPPED" and keeps
    answering STATS until $TERM. */
void hl_agent_actor (zsock_t *pipe, void *args);

/*  Ask an hl_agent_actor for its counters. Returns 0, or -1 if it did not
    answer within a second. */
int hl_agent_actor_stats (zactor_t *actor, hl_agent_stats_t *stats);

/*  Fill *stats with the counters; on the agent's thread only. */
void hl_agent_stats (const hl_agent_t *self, hl_agent_stats_t *stats);

/*  Begin a drain, as the first SIGTERM does; on the agent's thread. */
void hl_agent_drain (hl_agent_t *self);

/*  For roles. The agent's reactor, to register readers and timers on;
    handlers must never block. Borrowed. */
zloop_t *hl_agent_loop (hl_agent_t *self);
const hl_config_t *hl_agent_config (const hl_agent_t *self);
const char *hl_agent_name (const hl_agent_t *self);
hl_role_id_t hl_agent_role (const hl_agent_t *self);
hl_swarm_t hl_agent_swarm (const hl_agent_t *self); /* the role's swarm */

/*  Finish running task task_id with status and *data_p (taken, nulled;
    NULL or *data_p NULL sends nil). May be called from within the role's
    start hook. The result is sent, stored for repeats of the id, and the
    next queued task starts. Returns -1 (data destroyed) if task_id is not
    running, e.g. because it was cancelled or timed out meanwhile. */
int hl_agent_complete (hl_agent_t *self, uint64_t task_id,
                       hl_task_status_t status, hl_value_t **data_p);

/*  For a role that runs task_id's command in process group pgid (a
    group of its own, just started, its leader not yet reaped): an agent
    with a journal records it, so that restarted after kill -9 it kills
    what is left of the group before answering anything. Returns 0 (also
    when there is no journal), or -1 if it could not be recorded: the
    role must then kill the group and fail the task. */
int hl_agent_task_group (hl_agent_t *self, uint64_t task_id, int pgid);

/*  Send a progress report (pct 0..100, note may be NULL) for running task
    task_id. Returns 0, or -1 if it is not running or the send failed. */
int hl_agent_progress (hl_agent_t *self, uint64_t task_id, uint32_t pct,
                       const char *note);

/*  A task as its role sees it, borrowed from start until the task is
    completed, cancelled or timed out. */
uint64_t hl_agent_task_id (const hl_agent_task_t *task);
hl_task_kind_t hl_agent_task_kind (const hl_agent_task_t *task);
const hl_value_t *hl_agent_task_args (const hl_agent_task_t *task); /* or
                                                                       NULL */
uint32_t hl_agent_task_priority (const hl_agent_task_t *task);
bool hl_agent_task_emergency (const hl_agent_task_t *task);
uint32_t hl_agent_task_deadline_ms (const hl_agent_task_t *task); /* 0:
                                                                     none */
uint32_t hl_agent_task_attempt (const hl_agent_task_t *task);
/*  The role's own per-task pointer; the runtime never touches it. */
void *hl_agent_task_state (const hl_agent_task_t *task);
void hl_agent_task_set_state (hl_agent_task_t *task, void *state);

#endif
