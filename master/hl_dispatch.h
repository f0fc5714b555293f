/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_dispatch - the tasks socket: hello/welcome, heartbeats both ways,
    expiry of silent peers, and the wire of the tasks of hl_taskq (the
    queues, deadlines, retries, pins, bounds and results recorded
    exactly once), which it owns. Runs inside the master's reactor;
    never blocks. Kinds, roles and statuses are the proto/hl_names
    enums; their names appear only on the wire and in events.
*/
#ifndef HL_DISPATCH_H
#define HL_DISPATCH_H

#include <czmq.h>

#include "../bus/hl_config.h"
#include "../proto/hl_names.h"
#include "hl_offender.h"
#include "hl_registry.h"
#include "hl_taskq.h"

#define HL_DISPATCH_ATTEMPTS HL_TASKQ_ATTEMPTS       /* tries per task */
#define HL_DISPATCH_DEADLINE_MS HL_TASKQ_DEADLINE_MS /* per attempt */
#define HL_DISPATCH_ANY HL_TASKQ_ANY /* the "any" queue: every agent role */

typedef struct _hl_dispatch_t hl_dispatch_t;

/*  Called with each bus event (agent.*, task.*); takes *event_p. */
typedef void (hl_dispatch_event_fn) (void *arg, hl_msg_t **event_p);

/*  Whether anybody listens to topic: events nobody wants are not built. */
typedef bool (hl_dispatch_wants_fn) (void *arg, const char *topic);

/*  Serve tasks (a bound ROUTER, borrowed) with config's heartbeat and
    limits; src names the master in envelopes. event_fn and wants_fn (may
    be NULL: every event is built) get event_arg. */
hl_dispatch_t *hl_dispatch_new (zsock_t *tasks, const hl_config_t *config,
                                const char *src, hl_dispatch_event_fn *event_fn,
                                hl_dispatch_wants_fn *wants_fn,
                                void *event_arg);

/*  Called when a node joins ("joined"), reports its agents in a beat
    ("report") or goes ("left", "expired": called before it is
    forgotten). */
typedef void (hl_dispatch_node_fn) (void *arg, hl_peer_t *node,
                                    const char *event);

/*  Tell fn (with arg) about nodes; NULL: nobody listens. */
void hl_dispatch_set_node_fn (hl_dispatch_t *self, hl_dispatch_node_fn *fn,
                              void *arg);

/*  Order a node to run order (a map role -> count; copied): kept on the
    peer, sent at once and with every beat after, so that a lost one is
    made good and a node that reconnects hears it again. */
void hl_dispatch_order (hl_dispatch_t *self, hl_peer_t *node,
                        const hl_value_t *order);

/*  Destroy; tasks still open end as cancelled first. Nulls *self_p. */
void hl_dispatch_destroy (hl_dispatch_t **self_p);

/*  Read and handle one message from the tasks socket, without waiting.
    Returns false when there was none. */
bool hl_dispatch_readable (hl_dispatch_t *self);

/*  Heartbeats, expiry, deadlines and retries due at now_ms (zclock_mono's
    clock, or later: messages and submissions never set the dispatcher's
    time back from the last tick's); call at least every 100 ms. */
void hl_dispatch_tick (hl_dispatch_t *self, int64_t now_ms);

/*  A task id for a task about to be submitted, so that its record is
    written before it is sent. */
uint64_t hl_dispatch_reserve (hl_dispatch_t *self);

/*  Offenders on the tasks socket (borrowed; NULL: none): a banned
    peer's messages are dropped unread, and every refusal of a message
    counts against its sender. */
void hl_dispatch_set_offenders (hl_dispatch_t *self, hl_offender_t *offenders);

/*  Task ids go on from id at least: a restarted master never gives a
    new task the id of one an agent may still remember. */
void hl_dispatch_first_id (hl_dispatch_t *self, uint64_t id);

/*  Queue a task; takes *args_p (may be NULL). Returns its id, or 0 when
    refused: the spec invalid (kind or role out of range, priority not
    1..4, action too long), a kind that changes things without an action,
    its lane full (HL_QUEUE_MAX), open tasks holding limits.queue_bytes,
    an id not reserved; then done is not called. A task of a kind that
    changes things goes, once sent, only to the agent (by name) it went
    to; a task waiting unsent past its ttl ends timed out. */
uint64_t hl_dispatch_submit (hl_dispatch_t *self, const hl_task_spec_t *spec,
                             hl_value_t **args_p, hl_task_done_fn *done,
                             void *done_arg);

/*  Why the last hl_dispatch_submit returned 0: "<name>: <detail>", the
    names of hl_taskq_refusal. Borrowed, until the next submit. */
const char *hl_dispatch_refusal (hl_dispatch_t *self);

/*  Cancel a task: a queued one ends at once, a running one is told to
    stop and ends when its agent answers or its deadline passes. Returns
    0, or HL_ERR_ARGS if no such open task. */
int hl_dispatch_cancel (hl_dispatch_t *self, uint64_t task_id);

/*  Stop handing out normal tasks (emergency ones still go), or resume. */
void hl_dispatch_pause (hl_dispatch_t *self, bool paused);

/*  The registry (borrowed). */
hl_registry_t *hl_dispatch_registry (hl_dispatch_t *self);

/*  How long the oldest task queued unsent for role has waited, in ms;
    0 if none waits (hl_taskq_role_wait): the autoscaler's figure. */
int64_t hl_dispatch_role_wait (hl_dispatch_t *self, int role);

/*  A list of the peers, for "agents" (caller owns). */
hl_value_t *hl_dispatch_agents (hl_dispatch_t *self);

/*  Counters for "status" (caller owns). */
hl_value_t *hl_dispatch_stats (hl_dispatch_t *self);

/*  The seed's coordination figures (caller owns): {"latency_ms": {p50,
    p99, max (null before any task), samples} of the last 1024 tasks'
    first wait from submit to send; "latency_histogram": {"le_s": bucket
    upper bounds in seconds, "counts": cumulative counts per bucket and
    +Inf last, "count", "sum_s"} of every first wait; "messages",
   "task_messages" and "overhead" (share of tasks-socket messages that are not a
   task or its result, null before any); "evenness": {"worst", "by_role"}:
   Jain's index of tasks done across a role's live agents}. */
hl_value_t *hl_dispatch_coordination (hl_dispatch_t *self);

#endif
