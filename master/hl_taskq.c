/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_taskq - tasks from submission to their one recorded end.

    A task is QUEUED in its role's lane (emergency first, then priority 1
    to 4, then arrival), RUNNING on one peer with a deadline, DELAYED while
    it backs off before a retry, or DONE. It ends exactly once: the first
    result from any peer it was sent to wins; later answers from earlier
    attempts are counted as late and never applied. DONE tasks are kept a
    while so late answers are recognised rather than called unknown.

    A task of a kind that changes things is pinned, once sent, to the
    name of the agent it went to: that agent's journal answers it again
    without running it twice, where another agent would run it blind. A
    lost attempt's retry is held for that name until its time to live.
*/
#include <czmq.h>
#include <stdarg.h>
#include <string.h>

#include "../bus/hl_hash.h"
#include "../bus/hl_log.h"
#include "../bus/hl_rand.h"
#include "../proto/hl_alloc.h"
#include "hl_taskq.h"

#define S_LANES 8                    /* (emergency, normal) x priority 1..4 */
#define S_QUEUES (HL_ROLE_COUNT + 1) /* a queue per agent role, then "any" */
#define S_DONE_KEEP 100000           /* DONE tasks remembered */
#define S_DONE_KEEP_MS 120000        /* ...for at most this long */
#define S_BACKOFF_MS 100             /* first retry waits about this long */
#define S_VALUE_NODE 48              /* a value's node as allocated, bytes */
#define S_HELD_LISTED 16             /* held retries listed in the stats */

typedef enum { S_QUEUED, S_DELAYED, S_RUNNING, S_DONE } s_state_t;

typedef struct {
    uint64_t id;
    hl_task_kind_t kind;
    char action[HL_MAX_METRIC + 1]; /* "" when any peer will do */
    char pin[HL_MAX_NAME + 1];      /* "" or the agent a change went to */
    int queue;                      /* index into queues */
    uint32_t priority;
    uint32_t deadline_ms;
    uint32_t ttl_ms;  /* longest wait unsent, each time */
    uint32_t attempt; /* dispatches so far */
    bool emergency;
    bool cancelling; /* cancel sent; end as cancelled */
    bool held;       /* a lost attempt's retry, waiting for pin */
    hl_value_t *args;
    size_t bytes; /* counted in the queue's bytes while open */
    s_state_t state;
    hl_peer_t *peer;                       /* RUNNING: where it is */
    uint64_t tried[HL_TASKQ_ATTEMPTS + 1]; /* routing id hashes */
    size_t tried_n;
    int64_t due_ms;     /* RUNNING: deadline; DELAYED: wake */
    int64_t expires_ms; /* QUEUED, DELAYED: its wait ends it here */
    int64_t held_ms;    /* held: since */
    int64_t done_ms;    /* DONE: when */
    int64_t queued_ms;  /* QUEUED: since (kept when put back in front) */
    int64_t submitted_us;
    void *handle;  /* in the lane or list it is in */
    void *waiting; /* in the waiting list, while unsent */
    hl_task_done_fn *done;
    void *done_arg;
} s_task_t;

typedef struct {
    uint64_t submitted, dispatched, completed, failed, retried, cancelled;
    uint64_t late_results, unknown_results, ttl_expired;
    uint64_t held, released, given_up; /* pinned retries */
    uint64_t refused, refused_by[5];   /* by s_refusals */
} s_counters_t;

/*  Why a submission is refused, by name (hl_taskq_refusal). */
enum { S_INVALID, S_NO_ACTION, S_QUEUE_FULL, S_QUEUE_BYTES, S_BAD_ID };
static const char *s_refusals[]
    = { "invalid", "no_action", "queue_full", "queue_bytes", "bad_id" };

typedef struct {
    zlistx_t *lanes[S_LANES];
} s_queue_t;

struct _hl_taskq_t {
    hl_registry_t *registry; /* borrowed */
    hl_taskq_io_t io;
    size_t max_bytes; /* limits.queue_bytes */
    uint32_t ttl_ms;  /* limits.queue_ttl_ms */
    zhashx_t *tasks;  /* &id -> s_task_t, owns them */
    s_queue_t queues[S_QUEUES];
    zlistx_t *running;  /* RUNNING tasks, for deadlines */
    zlistx_t *delayed;  /* DELAYED tasks */
    zlistx_t *finished; /* DONE tasks, oldest first */
    zlistx_t *waiting;  /* QUEUED and DELAYED, soonest to expire first */
    size_t bytes;       /* what open tasks hold */
    size_t held_n;      /* retries held for their agent now */
    uint64_t next_id;
    bool paused;
    int64_t now_ms;
    hl_rand_t rng; /* jitter */
    char refusal[192];
    s_counters_t n;
};

//  --------------------------------------------------------------------
//  Small helpers

/*  Queue q serves this role: the agent roles in hl_role_id_t order, then
    HL_TASKQ_ANY. */
static int
s_queue_role (int q)
{
    return q < HL_ROLE_COUNT ? q : HL_TASKQ_ANY;
}

static const char *
s_queue_name (int q)
{
    return hl_registry_role_name (s_queue_role (q));
}

/*  The queue of role, or -1 if role is neither an agent role nor
    HL_TASKQ_ANY. */
static int
s_queue_index (int role)
{
    if (role == HL_TASKQ_ANY)
        return HL_ROLE_COUNT;
    return role >= 0 && role < HL_ROLE_COUNT ? role : -1;
}

static size_t
s_id_hash (const void *key)
{
    return (size_t)hl_hash_u64 (*(const uint64_t *)key);
}

static int
s_id_cmp (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*  The waiting list's order: soonest expiry first. */
static int
s_expiry_cmp (const void *a, const void *b)
{
    int64_t x = ((const s_task_t *)a)->expires_ms;
    int64_t y = ((const s_task_t *)b)->expires_ms;
    return x < y ? -1 : x > y;
}

static zlistx_t *
s_lane (hl_taskq_t *self, const s_task_t *task)
{
    int lane = (task->emergency ? 0 : 4) + (int)task->priority - 1;
    return self->queues[task->queue].lanes[lane];
}

/*  What a value holds in memory, near enough: its nodes, their strings
    and keys, the arrays of pointers. Bounded in depth by the decoder. */
static size_t
s_value_bytes (const hl_value_t *v)
{
    if (!v)
        return 0;
    size_t n = S_VALUE_NODE, len = 0;
    switch (hl_value_type (v)) {
        case HL_VALUE_STR:
            hl_value_str (v, &len);
            return n + len + 1;
        case HL_VALUE_BIN:
            hl_value_bin (v, &len);
            return n + len + 1;
        case HL_VALUE_ARRAY:
            for (size_t i = 0; i < hl_value_size (v); i++)
                n += sizeof (void *) + s_value_bytes (hl_value_at (v, i));
            return n;
        case HL_VALUE_MAP:
            for (size_t i = 0; i < hl_value_size (v); i++)
                n += 2 * sizeof (void *) + strlen (hl_value_key_at (v, i)) + 1
                     + s_value_bytes (hl_value_val_at (v, i));
            return n;
        default:
            return n;
    }
}

static void
s_task_event (hl_taskq_t *self, const s_task_t *task, const char *event,
              const char *agent, const char *detail)
{
    char topic[64];
    snprintf (topic, sizeof topic, "task.%s", event);
    if (!self->io.event
        || (self->io.wants && !self->io.wants (self->io.arg, topic)))
        return;
    hl_msg_t *msg = hl_msg_new (HL_MSG_TASK);
    hl_msg_set_task_id (msg, task->id);
    hl_msg_set_kind (msg, hl_kind_name (task->kind));
    hl_msg_set_priority (msg, task->priority);
    hl_msg_set_attempt (msg, task->attempt ? task->attempt : 1);
    hl_msg_set_emergency (msg, task->emergency);
    hl_msg_set_event (msg, event);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "role", s_queue_name (task->queue));
    if (agent && *agent)
        hl_value_set_str (data, "agent", agent);
    if (detail && *detail)
        hl_value_set_str (data, "detail", detail);
    hl_msg_set_data (msg, &data);
    self->io.event (self->io.arg, &msg);
    hl_msg_destroy (&msg);
}

/*  Tell the peer running task to stop it. */
static void
s_send_cancel (hl_taskq_t *self, s_task_t *task)
{
    hl_msg_t *cancel = hl_msg_new (HL_MSG_CANCEL);
    hl_msg_set_task_id (cancel, task->id);
    self->io.send (self->io.arg, task->peer, &cancel);
}

//  --------------------------------------------------------------------
//  Task life cycle

static void
s_unlink (hl_taskq_t *self, s_task_t *task)
{
    if (!task->handle)
        return;
    if (task->state == S_QUEUED)
        zlistx_delete (s_lane (self, task), task->handle);
    else if (task->state == S_RUNNING)
        zlistx_delete (self->running, task->handle);
    else if (task->state == S_DELAYED)
        zlistx_delete (self->delayed, task->handle);
    else
        zlistx_delete (self->finished, task->handle);
    task->handle = NULL;
}

/*  The task starts a wait unsent: it may last its time to live. Mostly
    the latest to expire, so the sorted insert looks from the end. */
static void
s_wait_start (hl_taskq_t *self, s_task_t *task)
{
    if (task->waiting)
        zlistx_delete (self->waiting, task->waiting);
    task->expires_ms = self->now_ms + task->ttl_ms;
    task->waiting = zlistx_insert (self->waiting, task, false);
}

static void
s_wait_end (hl_taskq_t *self, s_task_t *task)
{
    if (task->waiting)
        zlistx_delete (self->waiting, task->waiting);
    task->waiting = NULL;
}

static void
s_enqueue (hl_taskq_t *self, s_task_t *task, bool front)
{
    task->state = S_QUEUED;
    task->peer = NULL;
    if (!front)
        task->queued_ms = self->now_ms;
    zlistx_t *lane = s_lane (self, task);
    task->handle
        = front ? zlistx_add_start (lane, task) : zlistx_add_end (lane, task);
}

/*  A held retry is held no longer: sent to its agent (released) or
    ended without it (given up). Said once, at notice. */
static void
s_unhold (hl_taskq_t *self, s_task_t *task, bool released, const char *why)
{
    if (!task->held)
        return;
    task->held = false;
    self->held_n--;
    if (released)
        self->n.released++;
    else
        self->n.given_up++;
    hl_log_notice (
        "tasks: task %" PRIu64 " (%s %s) %s after %" PRId64 " ms: %s", task->id,
        hl_kind_name (task->kind), task->action,
        released ? "released" : "given up", self->now_ms - task->held_ms, why);
}

/*  The task's one end: tell the submitter, publish, keep it DONE a while
    so that late answers are recognised. */
static void
s_finish (hl_taskq_t *self, s_task_t *task, hl_task_status_t status,
          const hl_value_t *data, const hl_peer_t *by, uint64_t duration_us)
{
    s_unlink (self, task);
    s_wait_end (self, task);
    s_unhold (self, task, by != NULL,
              by ? "an attempt answered" : hl_status_name (status));
    if (task->peer && task->peer->inflight)
        task->peer->inflight--;
    task->peer = NULL;
    task->state = S_DONE;
    task->done_ms = self->now_ms;
    task->handle = zlistx_add_end (self->finished, task);
    bool ok = status == HL_STATUS_OK;
    if (ok)
        self->n.completed++;
    else if (status == HL_STATUS_CANCELLED)
        self->n.cancelled++;
    else
        self->n.failed++;

    if (task->done) {
        hl_task_end_t end = { task->id,
                              status,
                              data,
                              task->attempt,
                              by ? by->name : "",
                              duration_us,
                              hl_msg_now_us () - task->submitted_us };
        task->done (task->done_arg, &end);
    }
    s_task_event (self, task, ok ? "completed" : "failed", by ? by->name : "",
                  ok ? NULL : hl_status_name (status));
    hl_value_destroy (&task->args);
    self->bytes -= task->bytes;
    task->bytes = 0;
}

/*  End task timed out, with why as its data's error. */
static void
s_time_out (hl_taskq_t *self, s_task_t *task, const char *why)
{
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "error", why);
    s_finish (self, task, HL_STATUS_TIMEOUT, data, NULL, 0);
    hl_value_destroy (&data);
}

/*  The task's current attempt is lost (agent gone, deadline passed):
    back off and try again, or end it if the attempts are spent. */
static void
s_retry (hl_taskq_t *self, s_task_t *task, const char *why)
{
    s_unlink (self, task);
    if (task->peer && task->peer->inflight)
        task->peer->inflight--;
    task->peer = NULL;
    if (task->cancelling) {
        s_finish (self, task, HL_STATUS_CANCELLED, NULL, NULL, 0);
        return;
    }
    if (task->attempt >= HL_TASKQ_ATTEMPTS) {
        s_time_out (self, task, why);
        return;
    }
    /*  Exponential backoff with jitter, so that the retries of many tasks
        lost together do not land together. An attempt handed back by an
        agent that left cleanly was not spent (attempt may be 0 here): it
        waits the first step. */
    uint32_t spent = task->attempt ? task->attempt : 1;
    double base = S_BACKOFF_MS * (double)(1u << (spent - 1));
    int64_t wait = (int64_t)(base * (0.5 + hl_rand_uniform (&self->rng)));
    task->state = S_DELAYED;
    task->due_ms = self->now_ms + wait;
    task->handle = zlistx_add_end (self->delayed, task);
    s_wait_start (self, task);
    self->n.retried++;
    if (*task->pin && !task->held) {
        /*  Its agent may have made the change: only that agent, back
            under its name, may be asked again (its journal answers). */
        task->held = true;
        task->held_ms = self->now_ms;
        self->held_n++;
        self->n.held++;
        hl_log_notice ("tasks: task %" PRIu64 " (%s %s) held for %s (%s): "
                       "it goes to no other agent, for %" PRIu32 " ms at most",
                       task->id, hl_kind_name (task->kind), task->action,
                       task->pin, why, task->ttl_ms);
    }
    s_task_event (self, task, "retried", "", why);
}

/*  Hand a task to a peer. On a send failure the peer is unreachable: the
    task goes back to the front of its lane and -1 comes back. */
static int
s_send_task (hl_taskq_t *self, s_task_t *task, hl_peer_t *peer)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_TASK);
    hl_msg_set_task_id (msg, task->id);
    hl_msg_set_kind (msg, hl_kind_name (task->kind));
    hl_msg_set_priority (msg, task->priority);
    hl_msg_set_emergency (msg, task->emergency);
    hl_msg_set_deadline_ms (msg, task->deadline_ms);
    hl_msg_set_attempt (msg, task->attempt + 1);
    if (task->args) {
        hl_value_t *args = hl_value_dup (task->args);
        hl_msg_set_args (msg, &args);
    }
    if (self->io.send (self->io.arg, peer, &msg)) {
        s_enqueue (self, task, true);
        return -1;
    }
    if (task->attempt == 0 && self->io.first_wait)
        self->io.first_wait (self->io.arg,
                             hl_msg_now_us () - task->submitted_us);
    task->attempt++;
    task->state = S_RUNNING;
    task->peer = peer;
    task->due_ms = self->now_ms + task->deadline_ms;
    task->handle = zlistx_add_end (self->running, task);
    s_wait_end (self, task);
    if (task->tried_n < HL_TASKQ_ATTEMPTS + 1)
        task->tried[task->tried_n++] = hl_hash_bytes (peer->rid, peer->rid_len);
    if (hl_kind_changes (task->kind) && !*task->pin)
        snprintf (task->pin, sizeof task->pin, "%s", peer->name);
    s_unhold (self, task, true, "its agent is back");
    peer->inflight++;
    peer->beat_ms = self->now_ms; /* any message is a beat */
    self->n.dispatched++;
    s_task_event (self, task, "dispatched", peer->name, NULL);
    return 0;
}

/*  Whether peer serves role (HL_TASKQ_ANY: any agent role). */
static bool
s_serves (const hl_peer_t *peer, int role)
{
    return role == HL_TASKQ_ANY ? peer->role >= 0 && peer->role < HL_ROLE_COUNT
                                : peer->role == role;
}

/*  The peer for a pinned task: its agent, by name, if registered again
    and free to take it; NULL otherwise. Never another. */
static hl_peer_t *
s_pick_pinned (hl_taskq_t *self, const s_task_t *task, int role)
{
    for (size_t i = 0; i < hl_registry_size (self->registry); i++) {
        hl_peer_t *p = hl_registry_at (self->registry, i);
        if (streq (p->name, task->pin) && !p->draining
            && p->inflight < p->capacity && s_serves (p, role)
            && (!*task->action || hl_peer_can (p, task->action)))
            return p;
    }
    return NULL;
}

/*  Give queued tasks to peers with free capacity, emergency lanes first.
    A task that needs a particular action or agent does not hold up the
    others. */
void
hl_taskq_pump (hl_taskq_t *self)
{
    for (int lane = 0; lane < S_LANES; lane++) {
        if (self->paused && lane >= 4)
            break;
        for (int q = 0; q < S_QUEUES; q++) {
            zlistx_t *list = self->queues[q].lanes[lane];
            s_task_t *task = (s_task_t *)zlistx_first (list);
            while (task) {
                s_task_t *next = (s_task_t *)zlistx_next (list);
                int role = s_queue_role (q);
                hl_peer_t *peer = *task->pin
                                      ? s_pick_pinned (self, task, role)
                                      : hl_registry_pick (
                                          self->registry, role,
                                          *task->action ? task->action : NULL);
                if (!peer) {
                    if (!*task->action && !*task->pin)
                        break; /* nobody of this role is free */
                    task = next;
                    continue;
                }
                zlistx_delete (list, task->handle);
                task->handle = NULL;
                if (s_send_task (self, task, peer)) {
                    self->io.lost (self->io.arg, peer);
                    /*  The list changed under us: start it over. */
                    task = (s_task_t *)zlistx_first (list);
                    continue;
                }
                task = (s_task_t *)zlistx_first (list) == next
                           ? next
                           : (s_task_t *)zlistx_first (list);
                if (task && task != next) {
                    /*  Keep position: walk to next from the start. */
                    while (task && task != next)
                        task = (s_task_t *)zlistx_next (list);
                }
            }
        }
    }
}

void
hl_taskq_lost (hl_taskq_t *self, hl_peer_t *peer, bool left)
{
    s_task_t *task = (s_task_t *)zlistx_first (self->running);
    while (task) {
        s_task_t *next = (s_task_t *)zlistx_next (self->running);
        if (task->peer == peer) {
            /*  A peer that left cleanly did not fail the attempt. */
            if (left && task->attempt)
                task->attempt--;
            s_retry (self, task, left ? "agent left" : "agent expired");
            /*  s_retry edits the running list; restart the walk. */
            next = (s_task_t *)zlistx_first (self->running);
        }
        task = next;
    }
}

int
hl_taskq_result (hl_taskq_t *self, hl_peer_t *peer, const hl_msg_t *msg,
                 char *text, size_t size)
{
    uint64_t id = hl_msg_task_id (msg);
    s_task_t *task = (s_task_t *)zhashx_lookup (self->tasks, &id);
    uint64_t mine = hl_hash_bytes (peer->rid, peer->rid_len);
    bool tried = false;
    for (size_t i = 0; task && i < task->tried_n; i++)
        tried |= task->tried[i] == mine;
    if (!task || !tried) {
        snprintf (text, size, "no task %" PRIu64 " was sent to you", id);
        self->n.unknown_results++;
        return HL_ERR_ARGS;
    }
    if (task->state != S_RUNNING && task->state != S_DELAYED) {
        /*  An earlier attempt answering after the task has ended. */
        self->n.late_results++;
        if (task->state == S_QUEUED && task->tried_n) {
            /*  Requeued after a lost attempt, yet that attempt finished:
                the answer counts, once. */
        } else
            return 0;
    }
    /*  The decoder admits only the statuses hl_names knows; should the
        two ever disagree, the answer is refused, not guessed at. */
    int status = hl_status_parse (hl_msg_status (msg));
    if (status < 0) {
        snprintf (text, size, "unknown status");
        return HL_ERR_ARGS;
    }
    const hl_value_t *data = hl_msg_data (msg);
    if (status == HL_STATUS_REJECTED && task->peer == peer
        && streq (hl_value_get_str (data, "error", ""), "draining")) {
        /*  A draining agent refuses new work before it runs it; that is
            not the task's failure: send it elsewhere without spending an
            attempt. A change refused on its first send ran nowhere, so
            its pin goes; a retry's stays (its agent may have run it). */
        peer->draining = true;
        s_unlink (self, task);
        if (peer->inflight)
            peer->inflight--;
        task->attempt--;
        if (task->attempt == 0)
            *task->pin = 0;
        s_enqueue (self, task, true);
        s_wait_start (self, task);
        hl_taskq_pump (self);
        return 0;
    }
    /*  The first answer from any attempt is the task's result. If another
        peer holds the current attempt, it is told to stop. */
    if (task->state == S_RUNNING && task->peer && task->peer != peer)
        s_send_cancel (self, task);
    peer->done++;
    if (status != HL_STATUS_OK)
        peer->failed++;
    s_finish (self, task, (hl_task_status_t)status, data, peer,
              hl_msg_duration_us (msg));
    hl_taskq_pump (self);
    return 0;
}

void
hl_taskq_tick (hl_taskq_t *self, int64_t now_ms)
{
    self->now_ms = now_ms;
    /*  Deadlines of running attempts. */
    s_task_t *task = (s_task_t *)zlistx_first (self->running);
    while (task) {
        s_task_t *next = (s_task_t *)zlistx_next (self->running);
        if (now_ms >= task->due_ms) {
            if (task->peer)
                s_send_cancel (self, task);
            s_retry (self, task, "deadline passed");
            next = (s_task_t *)zlistx_first (self->running);
        }
        task = next;
    }
    /*  Backed-off tasks whose wait is over. */
    task = (s_task_t *)zlistx_first (self->delayed);
    while (task) {
        s_task_t *next = (s_task_t *)zlistx_next (self->delayed);
        if (now_ms >= task->due_ms) {
            s_unlink (self, task);
            s_enqueue (self, task, false);
        }
        task = next;
    }
    /*  Tasks that waited unsent past their time to live: nobody took
        them (or a held retry's agent never came back). */
    while ((task = (s_task_t *)zlistx_first (self->waiting))
           && now_ms >= task->expires_ms) {
        char why[HL_MAX_NAME + 96];
        if (task->held)
            snprintf (why, sizeof why,
                      "its agent %s did not come back within %" PRIu32 " ms",
                      task->pin, task->ttl_ms);
        else
            snprintf (why, sizeof why, "expired: waited %" PRIu32 " ms unsent",
                      task->ttl_ms);
        self->n.ttl_expired++;
        s_unhold (self, task, false, why);
        s_time_out (self, task, why);
    }
    /*  Forget old DONE tasks. */
    while ((task = (s_task_t *)zlistx_first (self->finished))) {
        if (zlistx_size (self->finished) <= S_DONE_KEEP
            && now_ms - task->done_ms < S_DONE_KEEP_MS)
            break;
        s_unlink (self, task);
        zhashx_delete (self->tasks, &task->id);
    }
    hl_taskq_pump (self);
}

//  --------------------------------------------------------------------
//  API

static void
s_task_free (void **item_p)
{
    s_task_t *task = (s_task_t *)*item_p;
    hl_value_destroy (&task->args);
    free (task);
    *item_p = NULL;
}

hl_taskq_t *
hl_taskq_new (hl_registry_t *registry, const hl_config_t *config,
              const hl_taskq_io_t *io)
{
    assert (registry && config && io && io->send && io->lost);
    hl_taskq_t *self = (hl_taskq_t *)hl_alloc (sizeof (hl_taskq_t));
    self->registry = registry;
    self->io = *io;
    self->max_bytes = hl_config_limits (config)->queue_bytes;
    self->ttl_ms = (uint32_t)hl_config_limits (config)->queue_ttl_ms;
    hl_rand_seed (&self->rng, 0); /* from the clock and the pid */
    self->tasks = zhashx_new ();
    zhashx_set_key_hasher (self->tasks, s_id_hash);
    zhashx_set_key_comparator (self->tasks, s_id_cmp);
    zhashx_set_key_duplicator (self->tasks, NULL);
    zhashx_set_key_destructor (self->tasks, NULL);
    zhashx_set_destructor (self->tasks, s_task_free);
    for (int q = 0; q < S_QUEUES; q++) {
        for (int l = 0; l < S_LANES; l++)
            self->queues[q].lanes[l] = zlistx_new ();
    }
    self->running = zlistx_new ();
    self->delayed = zlistx_new ();
    self->finished = zlistx_new ();
    self->waiting = zlistx_new ();
    zlistx_set_comparator (self->waiting, s_expiry_cmp);
    /*  Agents answer a task id they saw before from the result they kept,
        across their own restarts too (agents/hl_journal), so no two runs
        of the master may share an id. Ids start at the wall clock in
        microseconds: a later run starts past every id an earlier one
        used unless that one sent more than a task per microsecond it
        ran. Below 2^53 until the year 2255, so exact in JSON. */
    int64_t now_us = hl_msg_now_us ();
    self->next_id = now_us > 0 ? (uint64_t)now_us : 1;
    self->now_ms = zclock_mono ();
    return self;
}

void
hl_taskq_destroy (hl_taskq_t **self_p)
{
    assert (self_p);
    hl_taskq_t *self = *self_p;
    if (!self)
        return;
    /*  Submitters hear of every task's end, even at shutdown. */
    for (void *t = zhashx_first (self->tasks); t;
         t = zhashx_next (self->tasks)) {
        s_task_t *task = (s_task_t *)t;
        if (task->state != S_DONE && task->done) {
            hl_task_end_t end = { task->id,
                                  HL_STATUS_CANCELLED,
                                  NULL,
                                  task->attempt,
                                  "",
                                  0,
                                  hl_msg_now_us () - task->submitted_us };
            task->done (task->done_arg, &end);
        }
    }
    zhashx_destroy (&self->tasks);
    for (int q = 0; q < S_QUEUES; q++)
        for (int l = 0; l < S_LANES; l++)
            zlistx_destroy (&self->queues[q].lanes[l]);
    zlistx_destroy (&self->running);
    zlistx_destroy (&self->delayed);
    zlistx_destroy (&self->finished);
    zlistx_destroy (&self->waiting);
    free (self);
    *self_p = NULL;
}

void
hl_taskq_set_now (hl_taskq_t *self, int64_t now_ms)
{
    self->now_ms = now_ms;
}

uint64_t
hl_taskq_reserve (hl_taskq_t *self)
{
    return self->next_id++;
}

void
hl_taskq_first_id (hl_taskq_t *self, uint64_t id)
{
    if (id > self->next_id)
        self->next_id = id;
}

/*  Refuse a submission: count it under its name, say why. Returns 0. */
static uint64_t s_refuse (hl_taskq_t *self, hl_value_t **args_p, int why,
                          const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static uint64_t
s_refuse (hl_taskq_t *self, hl_value_t **args_p, int why, const char *format,
          ...)
{
    hl_value_destroy (args_p);
    self->n.refused++;
    self->n.refused_by[why]++;
    int used = snprintf (self->refusal, sizeof self->refusal,
                         "%s: ", s_refusals[why]);
    va_list ap;
    va_start (ap, format);
    vsnprintf (self->refusal + used, sizeof self->refusal - (size_t)used,
               format, ap);
    va_end (ap);
    return 0;
}

uint64_t
hl_taskq_submit (hl_taskq_t *self, const hl_task_spec_t *spec,
                 hl_value_t **args_p, hl_task_done_fn *done, void *done_arg)
{
    int queue = s_queue_index (spec->role);
    if (queue < 0 || (int)spec->kind < 0 || (int)spec->kind >= HL_KIND_COUNT
        || spec->priority < 1 || spec->priority > 4
        || (spec->action && strlen (spec->action) > HL_MAX_METRIC))
        return s_refuse (self, args_p, S_INVALID,
                         "kind, role, priority or action out of range");
    if (hl_kind_changes (spec->kind) && !(spec->action && *spec->action))
        return s_refuse (self, args_p, S_NO_ACTION, "%s needs an action",
                         hl_kind_name (spec->kind));
    s_task_t probe = { .queue = queue,
                       .emergency = spec->emergency,
                       .priority = spec->priority };
    if (zlistx_size (s_lane (self, &probe)) >= HL_QUEUE_MAX)
        return s_refuse (self, args_p, S_QUEUE_FULL,
                         "%d tasks wait in this lane of %s", HL_QUEUE_MAX,
                         s_queue_name (queue));
    size_t bytes = sizeof (s_task_t) + s_value_bytes (args_p ? *args_p : NULL);
    if (bytes > self->max_bytes - self->bytes)
        return s_refuse (self, args_p, S_QUEUE_BYTES,
                         "open tasks hold %zu bytes, this one %zu, the limit "
                         "is %zu (limits.queue_bytes)",
                         self->bytes, bytes, self->max_bytes);
    if (spec->id
        && (spec->id >= self->next_id
            || zhashx_lookup (self->tasks, &spec->id)))
        return s_refuse (self, args_p, S_BAD_ID,
                         "task id %" PRIu64 " not reserved, or taken",
                         spec->id);
    s_task_t *task = (s_task_t *)hl_alloc (sizeof (s_task_t));
    task->id = spec->id ? spec->id : self->next_id++;
    task->kind = spec->kind;
    snprintf (task->action, sizeof task->action, "%s",
              spec->action ? spec->action : "");
    task->queue = queue;
    task->priority = spec->priority;
    task->emergency = spec->emergency;
    task->deadline_ms
        = spec->deadline_ms ? spec->deadline_ms : HL_TASKQ_DEADLINE_MS;
    /*  As the submitter says: the master's own runs know how long they
        wait (a recovery waits for its agents); clients cannot say. */
    task->ttl_ms = spec->ttl_ms ? spec->ttl_ms : self->ttl_ms;
    if (args_p) {
        task->args = *args_p;
        *args_p = NULL;
    }
    task->bytes = bytes;
    self->bytes += bytes;
    task->submitted_us = hl_msg_now_us ();
    task->done = done;
    task->done_arg = done_arg;
    zhashx_insert (self->tasks, &task->id, task);
    self->n.submitted++;
    s_enqueue (self, task, false);
    s_wait_start (self, task);
    hl_taskq_pump (self);
    return task->id;
}

int64_t
hl_taskq_role_wait (const hl_taskq_t *self, int role)
{
    int q = s_queue_index (role);
    if (q < 0)
        return 0;
    int64_t oldest = self->now_ms;
    /*  Each lane is in arrival order (a task put back in front kept its
        older time), so its head is its oldest. While paused, the normal
        lanes wait for the operator, not for agents: not counted. */
    for (int lane = 0; lane < (self->paused ? 4 : S_LANES); lane++) {
        s_task_t *head = (s_task_t *)zlistx_head (self->queues[q].lanes[lane]);
        if (head && head->queued_ms < oldest)
            oldest = head->queued_ms;
    }
    return self->now_ms - oldest;
}

const char *
hl_taskq_refusal (const hl_taskq_t *self)
{
    return self->refusal;
}

int
hl_taskq_cancel (hl_taskq_t *self, uint64_t task_id)
{
    s_task_t *task = (s_task_t *)zhashx_lookup (self->tasks, &task_id);
    if (!task || task->state == S_DONE)
        return HL_ERR_ARGS;
    if (task->state == S_RUNNING) {
        task->cancelling = true;
        s_send_cancel (self, task);
    } else
        s_finish (self, task, HL_STATUS_CANCELLED, NULL, NULL, 0);
    return 0;
}

void
hl_taskq_pause (hl_taskq_t *self, bool paused)
{
    self->paused = paused;
    if (!paused)
        hl_taskq_pump (self);
}

bool
hl_taskq_paused (const hl_taskq_t *self)
{
    return self->paused;
}

uint64_t
hl_taskq_dispatched (const hl_taskq_t *self)
{
    return self->n.dispatched;
}

/*  The retries held for their agent, the longest held first (up to
    S_HELD_LISTED): id, kind, action, agent, held_ms. */
static hl_value_t *
s_held_list (hl_taskq_t *self)
{
    hl_value_t *list = hl_value_new_array ();
    for (s_task_t *t
         = self->held_n ? (s_task_t *)zlistx_first (self->waiting) : NULL;
         t && hl_value_size (list) < S_HELD_LISTED;
         t = (s_task_t *)zlistx_next (self->waiting)) {
        if (!t->held)
            continue;
        hl_value_t *h = hl_value_new_map ();
        hl_value_set_int (h, "task_id", (int64_t)t->id);
        hl_value_set_str (h, "kind", hl_kind_name (t->kind));
        hl_value_set_str (h, "action", t->action);
        hl_value_set_str (h, "agent", t->pin);
        hl_value_set_int (h, "held_ms", self->now_ms - t->held_ms);
        hl_value_set_int (h, "expires_in_ms", t->expires_ms - self->now_ms);
        hl_value_append (list, &h);
    }
    return list;
}

void
hl_taskq_stats (hl_taskq_t *self, hl_value_t *s)
{
    size_t queued = 0;
    for (int q = 0; q < S_QUEUES; q++)
        for (int l = 0; l < S_LANES; l++)
            queued += zlistx_size (self->queues[q].lanes[l]);
    hl_value_set_int (s, "queued", (int64_t)queued);
    hl_value_set_int (s, "delayed", (int64_t)zlistx_size (self->delayed));
    hl_value_set_int (s, "running", (int64_t)zlistx_size (self->running));
    hl_value_set_int (s, "bytes", (int64_t)self->bytes);
    hl_value_set_int (s, "bytes_limit", (int64_t)self->max_bytes);
    hl_value_set_int (s, "ttl_ms", self->ttl_ms);
    hl_value_set_int (s, "submitted", (int64_t)self->n.submitted);
    hl_value_set_int (s, "dispatched", (int64_t)self->n.dispatched);
    hl_value_set_int (s, "completed", (int64_t)self->n.completed);
    hl_value_set_int (s, "failed", (int64_t)self->n.failed);
    hl_value_set_int (s, "cancelled", (int64_t)self->n.cancelled);
    hl_value_set_int (s, "retried", (int64_t)self->n.retried);
    hl_value_set_int (s, "ttl_expired", (int64_t)self->n.ttl_expired);
    hl_value_set_int (s, "late_results", (int64_t)self->n.late_results);
    hl_value_set_int (s, "unknown_results", (int64_t)self->n.unknown_results);
    hl_value_set_int (s, "refused", (int64_t)self->n.refused);
    hl_value_t *by = hl_value_new_map ();
    for (size_t i = 0; i < sizeof s_refusals / sizeof s_refusals[0]; i++)
        if (self->n.refused_by[i])
            hl_value_set_int (by, s_refusals[i],
                              (int64_t)self->n.refused_by[i]);
    hl_value_set (s, "refused_by", &by);
    /*  Retries of changes waiting for the agent they went to. */
    hl_value_t *pinned = hl_value_new_map ();
    hl_value_set_int (pinned, "held", (int64_t)self->held_n);
    hl_value_set_int (pinned, "held_total", (int64_t)self->n.held);
    hl_value_set_int (pinned, "released", (int64_t)self->n.released);
    hl_value_set_int (pinned, "given_up", (int64_t)self->n.given_up);
    hl_value_t *list = s_held_list (self);
    hl_value_set (pinned, "tasks", &list);
    hl_value_set (s, "pinned", &pinned);
    hl_value_set_bool (s, "paused", self->paused);
}
