/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_taskq - the dispatcher's tasks from submission to their one end,
    without the socket: the table by id, a queue per role in eight lanes,
    deadlines, retries with backoff and jitter, the pin of a task that
    changes things to the agent it went to, the bounds on what waits
    (count, bytes, time to live) and the task figures. hl_dispatch owns
    one and does the wire through hl_taskq_io_t. Runs on the reactor.
*/
#ifndef HL_TASKQ_H
#define HL_TASKQ_H

#include <czmq.h>

#include "../bus/hl_config.h"
#include "../proto/hl_names.h"
#include "hl_registry.h"

#define HL_TASKQ_ATTEMPTS 3        /* tries per task */
#define HL_TASKQ_DEADLINE_MS 30000 /* per attempt, when none is given */
#define HL_TASKQ_ANY HL_REGISTRY_ANY

typedef struct _hl_taskq_t hl_taskq_t;

/*  What to run. args is taken by the submit. */
typedef struct {
    hl_task_kind_t kind;
    int role;             /* hl_role_id_t, or HL_TASKQ_ANY */
    const char *action;   /* a peer must advertise it; NULL: no need (a
                             kind that changes things needs one) */
    uint32_t priority;    /* 1 (urgent) .. 4 */
    bool emergency;       /* ahead of every non-emergency task */
    uint32_t deadline_ms; /* per attempt; 0: HL_TASKQ_DEADLINE_MS */
    uint64_t id;          /* from hl_taskq_reserve, or 0: a fresh one */
    uint32_t ttl_ms;      /* longest wait unsent, each time it waits;
                             0: limits.queue_ttl_ms */
} hl_task_spec_t;

/*  How a task ended, for its submitter. */
typedef struct {
    uint64_t task_id;
    hl_task_status_t status;
    const hl_value_t *data; /* the agent's data, or NULL (borrowed) */
    uint32_t attempts;      /* dispatches made */
    const char *agent;      /* name of the agent that answered, or "" */
    uint64_t duration_us;   /* agent-reported run time */
    int64_t latency_us;     /* submit to end, master clock */
} hl_task_end_t;

/*  Called exactly once per submitted task, from the reactor thread. */
typedef void (hl_task_done_fn) (void *arg, const hl_task_end_t *end);

/*  The wire, for the queue: send takes *msg_p and returns 0, or -1 when
    the peer is unreachable; lost is then told to expire that peer (it
    calls hl_taskq_lost). wants says whether anybody listens to an event
    topic; event takes *event_p; first_wait (may be NULL) hears each
    task's wait from submission to its first send. All get arg. */
typedef struct {
    int (*send) (void *arg, hl_peer_t *peer, hl_msg_t **msg_p);
    void (*lost) (void *arg, hl_peer_t *peer);
    bool (*wants) (void *arg, const char *topic);
    void (*event) (void *arg, hl_msg_t **event_p);
    void (*first_wait) (void *arg, int64_t wait_us);
    void *arg;
} hl_taskq_io_t;

/*  Tasks for the peers of registry (borrowed), with config's limits
    (queue_bytes, queue_ttl_ms), through io (copied). */
hl_taskq_t *hl_taskq_new (hl_registry_t *registry, const hl_config_t *config,
                          const hl_taskq_io_t *io);

/*  Destroy; open tasks end as cancelled, told to their submitters only.
    Nulls *self_p. */
void hl_taskq_destroy (hl_taskq_t **self_p);

/*  The time of the calls that follow (zclock_mono's clock, never back). */
void hl_taskq_set_now (hl_taskq_t *self, int64_t now_ms);

/*  A task id for a task about to be submitted; ids go on from id at
    least after hl_taskq_first_id. */
uint64_t hl_taskq_reserve (hl_taskq_t *self);
void hl_taskq_first_id (hl_taskq_t *self, uint64_t id);

/*  Queue a task; takes *args_p (may be NULL). Returns its id, or 0 when
    refused (then done is not called, and hl_taskq_refusal says why). */
uint64_t hl_taskq_submit (hl_taskq_t *self, const hl_task_spec_t *spec,
                          hl_value_t **args_p, hl_task_done_fn *done,
                          void *done_arg);

/*  How long, in ms at the last now, the oldest task queued unsent for
    role (HL_TASKQ_ANY: the any queue) has waited; 0 if none waits. A
    retry waits from its new queueing; its backoff is no wait. */
int64_t hl_taskq_role_wait (const hl_taskq_t *self, int role);

/*  Why the last submit returned 0: a name first ("invalid", "no_action",
    "queue_full", "queue_bytes", "bad_id"), then the detail. */
const char *hl_taskq_refusal (const hl_taskq_t *self);

/*  Cancel an open task (a running one is told to stop and ends when it
    answers or its deadline passes). 0, or HL_ERR_ARGS if none. */
int hl_taskq_cancel (hl_taskq_t *self, uint64_t task_id);

/*  Hold normal lanes (emergency ones still go), or resume. */
void hl_taskq_pause (hl_taskq_t *self, bool paused);

/*  Hand queued tasks to peers with free capacity. */
void hl_taskq_pump (hl_taskq_t *self);

/*  A peer is going: its running tasks are retried (left: it said bye,
    and the attempt it held is not spent). The caller removes it. */
void hl_taskq_lost (hl_taskq_t *self, hl_peer_t *peer, bool left);

/*  A result from peer. Returns 0 when taken (or counted as late), or
    HL_ERR_ARGS with text filled in: refuse it (no such task sent to that
    peer, unknown status). */
int hl_taskq_result (hl_taskq_t *self, hl_peer_t *peer, const hl_msg_t *result,
                     char *text, size_t size);

/*  Deadlines, backoffs, time to live and forgetting at now_ms, then a
    pump. */
void hl_taskq_tick (hl_taskq_t *self, int64_t now_ms);

/*  The task figures into the map stats: counts by state, the counters,
    bytes held, refusals by name, the retries held for their agent. */
void hl_taskq_stats (hl_taskq_t *self, hl_value_t *stats);

/*  Tasks sent so far (attempts), and paused or not. */
uint64_t hl_taskq_dispatched (const hl_taskq_t *self);
bool hl_taskq_paused (const hl_taskq_t *self);

#endif
