/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_dispatch - tasks from submission to their one recorded end.

    A task is QUEUED in its role's lane (emergency first, then priority 1
    to 4, then arrival), RUNNING on one peer with a deadline, DELAYED while
    it backs off before a retry, or DONE. It ends exactly once: the first
    result from any peer it was sent to wins; later answers from earlier
    attempts are counted as late and never applied. DONE tasks are kept a
    while so late answers are recognised rather than called unknown.
*/
#include <czmq.h>
#include <math.h>
#include <string.h>

#include "../bus/hl_bus.h"
#include "../bus/hl_hash.h"
#include "../bus/hl_log.h"
#include "../bus/hl_rand.h"
#include "../proto/hl_alloc.h"
#include "hl_dispatch.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

#define S_LANES 8                    /* (emergency, normal) x priority 1..4 */
#define S_QUEUES (HL_ROLE_COUNT + 1) /* a queue per agent role, then "any" */
#define S_DONE_KEEP 100000           /* DONE tasks remembered */
#define S_DONE_KEEP_MS 120000        /* ...for at most this long */
#define S_BACKOFF_MS 100             /* first retry waits about this long */

typedef enum { S_QUEUED, S_DELAYED, S_RUNNING, S_DONE } s_state_t;

_Static_assert(HL_DISPATCH_ANY == HL_REGISTRY_ANY,
               "the dispatcher's and the registry's any are the same");

typedef struct {
    uint64_t id;
    hl_task_kind_t kind;
    char action[HL_MAX_METRIC + 1]; /* "" when any peer will do */
    int queue;                      /* index into queues */
    uint32_t priority;
    uint32_t deadline_ms;
    uint32_t attempt; /* dispatches so far */
    bool emergency;
    bool cancelling; /* cancel sent; end as cancelled */
    hl_value_t *args;
    s_state_t state;
    hl_peer_t *peer;                          /* RUNNING: where it is */
    uint64_t tried[HL_DISPATCH_ATTEMPTS + 1]; /* routing id hashes */
    size_t tried_n;
    int64_t due_ms;  /* RUNNING: deadline; DELAYED: wake */
    int64_t done_ms; /* DONE: when */
    int64_t submitted_us;
    void *handle; /* in the lane or list it is in */
    hl_task_done_fn *done;
    void *done_arg;
} s_task_t;

typedef struct {
    zlistx_t *lanes[S_LANES];
} s_queue_t;

typedef struct {
    uint64_t received, rejected;
    uint64_t rejected_by[HL_ERR_COUNT];
    uint64_t submitted, dispatched, completed, failed, retried, cancelled;
    uint64_t late_results, unknown_results, expired, joined, left;
    uint64_t sent;       /* messages sent on the tasks socket */
    uint64_t results_in; /* of those received, results */
} s_counters_t;

/*  The last S_LATENCIES first-attempt waits, submit to send: the
    coordination latency of the seed's success metrics. */
#define S_LATENCIES 1024

/*  The same waits, all of them, as a histogram for /metrics: the upper
    bounds of its buckets in microseconds (Prometheus' "le"), and +Inf. */
static const int64_t s_latency_le_us[]
    = { 100,   250,    500,    1000,   2500,    5000,    10000,   25000,
        50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000 };
#define S_LATENCY_BUCKETS (sizeof s_latency_le_us / sizeof s_latency_le_us[0])

struct _hl_dispatch_t {
    zsock_t *sock; /* tasks ROUTER, borrowed */
    hl_limits_t limits;
    char src[HL_MAX_NAME + 1];
    char session[33]; /* this master run's identity */
    uint32_t heartbeat_ms;
    uint32_t liveness;
    hl_registry_t *registry;
    bool full_warned; /* a full registry was logged as a warning */
    zhashx_t *tasks;  /* &id -> s_task_t, owns them */
    s_queue_t queues[S_QUEUES];
    zlistx_t *running;  /* RUNNING tasks, for deadlines */
    zlistx_t *delayed;  /* DELAYED tasks */
    zlistx_t *finished; /* DONE tasks, oldest first */
    uint64_t next_id;
    bool paused;
    int64_t now_ms;
    hl_rand_t rng; /* jitter and the session */
    hl_dispatch_event_fn *event_fn;
    hl_dispatch_wants_fn *wants_fn;
    void *event_arg;
    s_counters_t n;
    int64_t latency_us[S_LATENCIES];              /* a ring */
    size_t latency_n;                             /* written so far */
    uint64_t latency_hist[S_LATENCY_BUCKETS + 1]; /* per bucket, +Inf last */
    int64_t latency_sum_us;                       /* of every wait */
};

//  --------------------------------------------------------------------
//  Small helpers

/*  One first-attempt wait, into the ring and the histogram. */
static void
s_latency_add (hl_dispatch_t *self, int64_t wait_us)
{
    if (wait_us < 0)
        wait_us = 0; /* the wall clock stepped back */
    self->latency_us[self->latency_n++ % S_LATENCIES] = wait_us;
    size_t b = 0;
    while (b < S_LATENCY_BUCKETS && wait_us > s_latency_le_us[b])
        b++;
    self->latency_hist[b]++;
    self->latency_sum_us += wait_us;
}

/*  Queue q serves this role: the agent roles in hl_role_id_t order, then
    HL_DISPATCH_ANY. */
static int
s_queue_role (int q)
{
    return q < HL_ROLE_COUNT ? q : HL_DISPATCH_ANY;
}

static const char *
s_queue_name (int q)
{
    return hl_registry_role_name (s_queue_role (q));
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

/*  The queue of role, or -1 if role is neither an agent role nor
    HL_DISPATCH_ANY. */
static int
s_queue_index (int role)
{
    if (role == HL_DISPATCH_ANY)
        return HL_ROLE_COUNT;
    return role >= 0 && role < HL_ROLE_COUNT ? role : -1;
}

static zlistx_t *
s_lane (hl_dispatch_t *self, const s_task_t *task)
{
    int lane = (task->emergency ? 0 : 4) + (int)task->priority - 1;
    return self->queues[task->queue].lanes[lane];
}

/*  Messages and submissions read the monotonic clock, but never take the
    dispatcher's time back from where the last tick put it: a tick may be
    given a later time than the clock shows (tests drive time that way). */
static void
s_clock (hl_dispatch_t *self)
{
    int64_t now = zclock_mono ();
    if (now > self->now_ms)
        self->now_ms = now;
}

static void
s_event (hl_dispatch_t *self, hl_msg_t **event_p)
{
    hl_msg_set_src (*event_p, self->src);
    if (self->event_fn)
        self->event_fn (self->event_arg, event_p);
    hl_msg_destroy (event_p);
}

/*  Whether an event with this topic would reach anybody. */
static bool
s_wanted (hl_dispatch_t *self, const char *type, const char *event)
{
    if (!self->event_fn)
        return false;
    if (!self->wants_fn)
        return true;
    char topic[64];
    snprintf (topic, sizeof topic, "%s.%s", type, event);
    return self->wants_fn (self->event_arg, topic);
}

static void
s_task_event (hl_dispatch_t *self, const s_task_t *task, const char *event,
              const char *agent, const char *detail)
{
    if (!s_wanted (self, "task", event))
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
    s_event (self, &msg);
}

static void
s_agent_event (hl_dispatch_t *self, const hl_peer_t *peer, const char *event)
{
    if (!s_wanted (self, "agent", event))
        return;
    hl_msg_t *msg = hl_msg_new (HL_MSG_AGENT);
    hl_msg_set_name (msg, peer->name);
    hl_msg_set_role (msg, hl_registry_role_name (peer->role));
    hl_msg_set_event (msg, event);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "host", peer->host);
    hl_value_set_int (data, "pid", peer->pid);
    hl_value_set_int (data, "capacity", peer->capacity);
    hl_msg_set_data (msg, &data);
    s_event (self, &msg);
}

/*  Send msg to a peer by routing id; takes *msg_p. */
static int
s_send_to (hl_dispatch_t *self, const uint8_t *rid, size_t rid_len,
           hl_msg_t **msg_p)
{
    hl_msg_set_src (*msg_p, self->src);
    hl_msg_set_routing_id (*msg_p, rid, rid_len);
    self->n.sent++;
    return hl_bus_send (self->sock, msg_p);
}

/*  Count a refused message and tell its sender why. */
static void
s_reject (hl_dispatch_t *self, const uint8_t *rid, size_t rid_len, uint64_t re,
          int err, const char *text)
{
    self->n.rejected++;
    if (err < 0 && -err < HL_ERR_COUNT)
        self->n.rejected_by[-err]++;
    if (!rid || !rid_len)
        return;
    hl_msg_t *reply = hl_msg_new (HL_MSG_ERROR);
    hl_msg_set_re (reply, re);
    hl_msg_set_code (reply, err);
    hl_msg_set_text (reply, text);
    s_send_to (self, rid, rid_len, &reply);
}

//  --------------------------------------------------------------------
//  Task life cycle

static void
s_unlink (hl_dispatch_t *self, s_task_t *task)
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

static void
s_enqueue (hl_dispatch_t *self, s_task_t *task, bool front)
{
    task->state = S_QUEUED;
    task->peer = NULL;
    zlistx_t *lane = s_lane (self, task);
    task->handle
        = front ? zlistx_add_start (lane, task) : zlistx_add_end (lane, task);
}

/*  The task's one end: tell the submitter, publish, keep it DONE a while
    so that late answers are recognised. */
static void
s_finish (hl_dispatch_t *self, s_task_t *task, hl_task_status_t status,
          const hl_value_t *data, const hl_peer_t *by, uint64_t duration_us)
{
    s_unlink (self, task);
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
}

/*  The task's current attempt is lost (agent gone, deadline passed):
    back off and try again, or end it if the attempts are spent. */
static void
s_retry (hl_dispatch_t *self, s_task_t *task, const char *why)
{
    s_unlink (self, task);
    if (task->peer && task->peer->inflight)
        task->peer->inflight--;
    task->peer = NULL;
    if (task->cancelling) {
        s_finish (self, task, HL_STATUS_CANCELLED, NULL, NULL, 0);
        return;
    }
    if (task->attempt >= HL_DISPATCH_ATTEMPTS) {
        hl_value_t *data = hl_value_new_map ();
        hl_value_set_str (data, "error", why);
        s_finish (self, task, HL_STATUS_TIMEOUT, data, NULL, 0);
        hl_value_destroy (&data);
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
    self->n.retried++;
    s_task_event (self, task, "retried", "", why);
}

/*  Hand a task to a peer. On a send failure the peer is unreachable: the
    task goes back to the front of its lane and -1 comes back. */
static int
s_send_task (hl_dispatch_t *self, s_task_t *task, hl_peer_t *peer)
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
    if (s_send_to (self, peer->rid, peer->rid_len, &msg)) {
        s_enqueue (self, task, true);
        return -1;
    }
    if (task->attempt == 0)
        s_latency_add (self, hl_msg_now_us () - task->submitted_us);
    task->attempt++;
    task->state = S_RUNNING;
    task->peer = peer;
    task->due_ms = self->now_ms + task->deadline_ms;
    task->handle = zlistx_add_end (self->running, task);
    if (task->tried_n < HL_DISPATCH_ATTEMPTS + 1)
        task->tried[task->tried_n++] = hl_hash_bytes (peer->rid, peer->rid_len);
    peer->inflight++;
    peer->beat_ms = self->now_ms; /* any message is a beat */
    self->n.dispatched++;
    s_task_event (self, task, "dispatched", peer->name, NULL);
    return 0;
}

static void s_expire (hl_dispatch_t *self, hl_peer_t *peer, const char *event);

/*  Give queued tasks to peers with free capacity, emergency lanes first.
    A task that needs a particular action does not hold up the others. */
static void
s_pump (hl_dispatch_t *self)
{
    for (int lane = 0; lane < S_LANES; lane++) {
        if (self->paused && lane >= 4)
            break;
        for (int q = 0; q < S_QUEUES; q++) {
            zlistx_t *list = self->queues[q].lanes[lane];
            s_task_t *task = (s_task_t *)zlistx_first (list);
            while (task) {
                s_task_t *next = (s_task_t *)zlistx_next (list);
                hl_peer_t *peer
                    = hl_registry_pick (self->registry, s_queue_role (q),
                                        *task->action ? task->action : NULL);
                if (!peer) {
                    if (!*task->action)
                        break; /* nobody of this role is free */
                    task = next;
                    continue;
                }
                zlistx_delete (list, task->handle);
                task->handle = NULL;
                if (s_send_task (self, task, peer)) {
                    s_expire (self, peer, "expired");
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

/*  A peer is gone (silent, unreachable or said bye): its tasks are
    retried elsewhere, then it is forgotten. */
static void
s_expire (hl_dispatch_t *self, hl_peer_t *peer, const char *event)
{
    s_task_t *task = (s_task_t *)zlistx_first (self->running);
    while (task) {
        s_task_t *next = (s_task_t *)zlistx_next (self->running);
        if (task->peer == peer) {
            /*  A peer that left cleanly did not fail the attempt. */
            if (streq (event, "left") && task->attempt)
                task->attempt--;
            s_retry (self, task,
                     streq (event, "left") ? "agent left" : "agent expired");
            /*  s_retry edits the running list; restart the walk. */
            next = (s_task_t *)zlistx_first (self->running);
        }
        task = next;
    }
    if (streq (event, "expired"))
        self->n.expired++;
    else
        self->n.left++;
    hl_log_notice ("tasks: %s %s (%s)", peer->name, event,
                   hl_registry_role_name (peer->role));
    s_agent_event (self, peer, event);
    hl_registry_remove (self->registry, peer);
}

//  --------------------------------------------------------------------
//  Messages from peers

static void
s_on_hello (hl_dispatch_t *self, hl_msg_t *msg)
{
    size_t rid_len;
    const uint8_t *rid = hl_msg_routing_id (msg, &rid_len);
    if (!hl_registry_role_valid (hl_msg_role (msg))) {
        char text[HL_MAX_NAME + 64], esc[64];
        const char *role = hl_msg_role (msg);
        hl_log_escape (esc, sizeof esc, role, strlen (role));
        snprintf (text, sizeof text, "unknown role '%s'", esc);
        hl_log_info ("tasks: hello from %s rejected: %s", hl_msg_src (msg),
                     text);
        s_reject (self, rid, rid_len, hl_msg_id (msg), HL_ERR_ARGS, text);
        return;
    }
    /*  Bounded by bytes as well as count: the hello's actions, and the
        registry in all. */
    char why[192];
    int rc = hl_registry_check (self->registry, msg, why, sizeof why);
    if (rc) {
        char src[64];
        hl_log_escape (src, sizeof src, hl_msg_src (msg),
                       strlen (hl_msg_src (msg)));
        //  A full registry wants the operator, once until it has room;
        //  an oversized hello is the peer's fault: counted, and info
        if (rc == HL_ERR_FULL && !self->full_warned)
            hl_log_warning ("tasks: hello from %s refused: %s: %s", src,
                            hl_errname (rc), why);
        else
            hl_log_info ("tasks: hello from %s refused: %s: %s", src,
                         hl_errname (rc), why);
        self->full_warned |= rc == HL_ERR_FULL;
        s_reject (self, rid, rid_len, hl_msg_id (msg), rc, why);
        return;
    }
    self->full_warned = false;
    /*  A peer saying hello again has restarted its session: what it had
        is lost with it. */
    hl_peer_t *old = hl_registry_find (self->registry, rid, rid_len);
    if (old)
        s_expire (self, old, "left");
    hl_peer_t *peer = hl_registry_add (self->registry, msg, self->now_ms);
    assert (peer); /* its role was checked above */
    self->n.joined++;
    hl_msg_t *welcome = hl_msg_new (HL_MSG_WELCOME);
    hl_msg_set_re (welcome, hl_msg_id (msg));
    hl_msg_set_heartbeat_ms (welcome, self->heartbeat_ms);
    hl_msg_set_liveness (welcome, self->liveness);
    hl_msg_set_session (welcome, self->session);
    s_send_to (self, rid, rid_len, &welcome);
    hl_log_info ("tasks: %s joined as %s (capacity %u)", peer->name,
                 hl_registry_role_name (peer->role), peer->capacity);
    s_agent_event (self, peer, "joined");
    s_pump (self);
}

static void
s_on_result (hl_dispatch_t *self, hl_peer_t *peer, hl_msg_t *msg)
{
    uint64_t id = hl_msg_task_id (msg);
    s_task_t *task = (s_task_t *)zhashx_lookup (self->tasks, &id);
    uint64_t mine = hl_hash_bytes (peer->rid, peer->rid_len);
    bool tried = false;
    for (size_t i = 0; task && i < task->tried_n; i++)
        tried |= task->tried[i] == mine;
    if (!task || !tried) {
        char text[96];
        snprintf (text, sizeof text, "no task %" PRIu64 " was sent to you", id);
        self->n.unknown_results++;
        s_reject (self, peer->rid, peer->rid_len, hl_msg_id (msg), HL_ERR_ARGS,
                  text);
        return;
    }
    if (task->state != S_RUNNING && task->state != S_DELAYED) {
        /*  An earlier attempt answering after the task has ended. */
        self->n.late_results++;
        if (task->state == S_QUEUED && task->tried_n) {
            /*  Requeued after a lost attempt, yet that attempt finished:
                the answer counts, once. */
        } else
            return;
    }
    /*  The decoder admits only the statuses hl_names knows; should the
        two ever disagree, the answer is refused, not guessed at. */
    int status = hl_status_parse (hl_msg_status (msg));
    if (status < 0) {
        s_reject (self, peer->rid, peer->rid_len, hl_msg_id (msg), HL_ERR_ARGS,
                  "unknown status");
        return;
    }
    const hl_value_t *data = hl_msg_data (msg);
    if (status == HL_STATUS_REJECTED && task->peer == peer) {
        /*  A draining agent refuses new work; that is not the task's
            failure: send it elsewhere without spending an attempt. */
        const char *why = hl_value_get_str (data, "error", "");
        if (streq (why, "draining")) {
            peer->draining = true;
            s_unlink (self, task);
            if (peer->inflight)
                peer->inflight--;
            task->attempt--;
            s_enqueue (self, task, true);
            s_pump (self);
            return;
        }
    }
    /*  The first answer from any attempt is the task's result. If another
        peer holds the current attempt, it is told to stop. */
    if (task->state == S_RUNNING && task->peer && task->peer != peer) {
        hl_msg_t *cancel = hl_msg_new (HL_MSG_CANCEL);
        hl_msg_set_task_id (cancel, task->id);
        s_send_to (self, task->peer->rid, task->peer->rid_len, &cancel);
    }
    peer->done++;
    if (status != HL_STATUS_OK)
        peer->failed++;
    s_finish (self, task, (hl_task_status_t)status, data, peer,
              hl_msg_duration_us (msg));
    s_pump (self);
}

bool
hl_dispatch_readable (hl_dispatch_t *self)
{
    hl_msg_t *msg = NULL;
    zframe_t *frame = NULL;
    int rc = hl_bus_recv (self->sock, &self->limits, &msg, &frame);
    if (rc == HL_ERR_IO && !frame)
        return false;
    s_clock (self);
    self->n.received++;
    if (rc) {
        char text[128];
        snprintf (text, sizeof text, "%s: %s", hl_errname (rc),
                  hl_strerror (rc));
        s_reject (self, frame ? zframe_data (frame) : NULL,
                  frame ? zframe_size (frame) : 0, 0, rc, text);
        zframe_destroy (&frame);
        return true;
    }
    zframe_destroy (&frame);
    size_t rid_len;
    const uint8_t *rid = hl_msg_routing_id (msg, &rid_len);
    hl_msg_type_t type = hl_msg_type (msg);
    if (type == HL_MSG_RESULT)
        self->n.results_in++;
    if (type == HL_MSG_HELLO) {
        s_on_hello (self, msg);
        hl_msg_destroy (&msg);
        return true;
    }
    hl_peer_t *peer = hl_registry_find (self->registry, rid, rid_len);
    if (!peer) {
        s_reject (self, rid, rid_len, hl_msg_id (msg), HL_ERR_PEER,
                  "unknown peer: say hello");
        hl_msg_destroy (&msg);
        return true;
    }
    peer->heard_ms = self->now_ms;
    peer->heard_us = hl_msg_now_us ();
    switch (type) {
        case HL_MSG_HEARTBEAT:
            peer->reported = hl_msg_inflight (msg);
            break;
        case HL_MSG_RESULT:
            s_on_result (self, peer, msg);
            break;
        case HL_MSG_PROGRESS:
            break;
        case HL_MSG_BYE:
            s_expire (self, peer, "left");
            s_pump (self);
            break;
        default: {
            char text[96];
            snprintf (text, sizeof text,
                      "%s is not taken on the tasks "
                      "socket",
                      hl_msg_type_name (type));
            s_reject (self, rid, rid_len, hl_msg_id (msg), HL_ERR_UNSUPPORTED,
                      text);
        }
    }
    hl_msg_destroy (&msg);
    return true;
}

//  --------------------------------------------------------------------
//  Time

void
hl_dispatch_tick (hl_dispatch_t *self, int64_t now_ms)
{
    self->now_ms = now_ms;
    int64_t silence = (int64_t)self->heartbeat_ms * self->liveness;
    int64_t beat_every = (int64_t)self->heartbeat_ms * 9 / 10;

    /*  Peers: expire the silent, beat the quiet. */
    for (size_t i = 0; i < hl_registry_size (self->registry);) {
        hl_peer_t *peer = hl_registry_at (self->registry, i);
        if (now_ms - peer->heard_ms > silence) {
            s_expire (self, peer, "expired");
            continue; /* the array was swap-removed at i */
        }
        //  A tenth early (ticks come ten times an interval): the beat
        //  reaches an agent before its own comes due, and agents answer
        //  it, so their beats arrive together (hl_heart_answer)
        if (now_ms - peer->beat_ms >= beat_every) {
            hl_msg_t *beat = hl_msg_new (HL_MSG_HEARTBEAT);
            hl_msg_set_inflight (beat, peer->inflight);
            s_send_to (self, peer->rid, peer->rid_len, &beat);
            peer->beat_ms = now_ms;
        }
        i++;
    }
    /*  Deadlines of running attempts. */
    s_task_t *task = (s_task_t *)zlistx_first (self->running);
    while (task) {
        s_task_t *next = (s_task_t *)zlistx_next (self->running);
        if (now_ms >= task->due_ms) {
            if (task->peer) {
                hl_msg_t *cancel = hl_msg_new (HL_MSG_CANCEL);
                hl_msg_set_task_id (cancel, task->id);
                s_send_to (self, task->peer->rid, task->peer->rid_len, &cancel);
            }
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
    /*  Forget old DONE tasks. */
    while ((task = (s_task_t *)zlistx_first (self->finished))) {
        if (zlistx_size (self->finished) <= S_DONE_KEEP
            && now_ms - task->done_ms < S_DONE_KEEP_MS)
            break;
        s_unlink (self, task);
        zhashx_delete (self->tasks, &task->id);
    }
    s_pump (self);
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

hl_dispatch_t *
hl_dispatch_new (zsock_t *tasks, const hl_config_t *config, const char *src,
                 hl_dispatch_event_fn *event_fn, hl_dispatch_wants_fn *wants_fn,
                 void *event_arg)
{
    assert (tasks && config);
    hl_dispatch_t *self = (hl_dispatch_t *)hl_alloc (sizeof (hl_dispatch_t));
    self->sock = tasks;
    self->limits = hl_config_limits (config)->decode;
    hl_limits_lower (&self->limits);
    snprintf (self->src, sizeof self->src, "%s", src);
    self->heartbeat_ms = (uint32_t)hl_config_master (config)->heartbeat_ms;
    self->liveness = (uint32_t)hl_config_master (config)->liveness;
    hl_rand_seed (&self->rng, 0); /* from the clock and the pid */
    uint64_t hi = hl_rand_next (&self->rng), lo = hl_rand_next (&self->rng);
    snprintf (self->session, sizeof self->session, "%016" PRIx64 "%016" PRIx64,
              hi, lo);
    self->registry = hl_registry_new ();
    const hl_config_limits_t *lc = hl_config_limits (config);
    hl_registry_limits_t rl
        = { (size_t)lc->hello_actions, (size_t)lc->hello_bytes,
            (size_t)lc->registry_peers, (size_t)lc->registry_bytes };
    hl_registry_set_limits (self->registry, &rl);
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
    /*  Agents answer a task id they saw before from the result they kept,
        across their own restarts too (agents/hl_journal), so no two runs
        of the master may share an id. Ids start at the wall clock in
        microseconds: a later run starts past every id an earlier one
        used unless that one sent more than a task per microsecond it
        ran. Below 2^53 until the year 2255, so exact in JSON. */
    int64_t now_us = hl_msg_now_us ();
    self->next_id = now_us > 0 ? (uint64_t)now_us : 1;
    self->now_ms = zclock_mono ();
    self->event_fn = event_fn;
    self->wants_fn = wants_fn;
    self->event_arg = event_arg;
    return self;
}

void
hl_dispatch_destroy (hl_dispatch_t **self_p)
{
    assert (self_p);
    hl_dispatch_t *self = *self_p;
    if (!self)
        return;
    /*  Submitters hear of every task's end, even at shutdown. */
    self->event_fn = NULL;
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
    hl_registry_destroy (&self->registry);
    free (self);
    *self_p = NULL;
}

uint64_t
hl_dispatch_reserve (hl_dispatch_t *self)
{
    return self->next_id++;
}

void
hl_dispatch_first_id (hl_dispatch_t *self, uint64_t id)
{
    if (id > self->next_id)
        self->next_id = id;
}

uint64_t
hl_dispatch_submit (hl_dispatch_t *self, const hl_task_spec_t *spec,
                    hl_value_t **args_p, hl_task_done_fn *done, void *done_arg)
{
    int queue = s_queue_index (spec->role);
    if (queue < 0 || (int)spec->kind < 0 || (int)spec->kind >= HL_KIND_COUNT
        || spec->priority < 1 || spec->priority > 4
        || (spec->action && strlen (spec->action) > HL_MAX_METRIC)) {
        hl_value_destroy (args_p);
        return 0;
    }
    s_task_t probe = { .queue = queue,
                       .emergency = spec->emergency,
                       .priority = spec->priority };
    if (zlistx_size (s_lane (self, &probe)) >= HL_QUEUE_MAX) {
        hl_value_destroy (args_p);
        return 0;
    }
    if (spec->id
        && (spec->id >= self->next_id
            || zhashx_lookup (self->tasks, &spec->id))) {
        hl_value_destroy (args_p); /* not reserved, or taken */
        return 0;
    }
    s_task_t *task = (s_task_t *)hl_alloc (sizeof (s_task_t));
    task->id = spec->id ? spec->id : self->next_id++;
    task->kind = spec->kind;
    snprintf (task->action, sizeof task->action, "%s",
              spec->action ? spec->action : "");
    task->queue = queue;
    task->priority = spec->priority;
    task->emergency = spec->emergency;
    task->deadline_ms
        = spec->deadline_ms ? spec->deadline_ms : HL_DISPATCH_DEADLINE_MS;
    if (args_p) {
        task->args = *args_p;
        *args_p = NULL;
    }
    task->submitted_us = hl_msg_now_us ();
    task->done = done;
    task->done_arg = done_arg;
    zhashx_insert (self->tasks, &task->id, task);
    self->n.submitted++;
    s_clock (self);
    s_enqueue (self, task, false);
    s_pump (self);
    return task->id;
}

int
hl_dispatch_cancel (hl_dispatch_t *self, uint64_t task_id)
{
    s_task_t *task = (s_task_t *)zhashx_lookup (self->tasks, &task_id);
    if (!task || task->state == S_DONE)
        return HL_ERR_ARGS;
    if (task->state == S_RUNNING) {
        task->cancelling = true;
        hl_msg_t *cancel = hl_msg_new (HL_MSG_CANCEL);
        hl_msg_set_task_id (cancel, task->id);
        s_send_to (self, task->peer->rid, task->peer->rid_len, &cancel);
    } else
        s_finish (self, task, HL_STATUS_CANCELLED, NULL, NULL, 0);
    return 0;
}

void
hl_dispatch_pause (hl_dispatch_t *self, bool paused)
{
    self->paused = paused;
    if (!paused)
        s_pump (self);
}

hl_registry_t *
hl_dispatch_registry (hl_dispatch_t *self)
{
    return self->registry;
}

hl_value_t *
hl_dispatch_agents (hl_dispatch_t *self)
{
    int64_t now = zclock_mono ();
    hl_value_t *list = hl_value_new_array ();
    for (size_t i = 0; i < hl_registry_size (self->registry); i++) {
        const hl_peer_t *p = hl_registry_at (self->registry, i);
        hl_value_t *a = hl_peer_to_value (p, now);
        hl_value_append (list, &a);
    }
    return list;
}

hl_value_t *
hl_dispatch_stats (hl_dispatch_t *self)
{
    hl_value_t *s = hl_value_new_map ();
    hl_value_set_int (s, "received", (int64_t)self->n.received);
    hl_value_set_int (s, "rejected", (int64_t)self->n.rejected);
    hl_value_t *by = hl_value_new_map ();
    for (int i = 1; i < HL_ERR_COUNT; i++)
        if (self->n.rejected_by[i])
            hl_value_set_int (by, hl_errname (-i),
                              (int64_t)self->n.rejected_by[i]);
    hl_value_set (s, "rejected_by", &by);
    size_t queued = 0;
    for (int q = 0; q < S_QUEUES; q++)
        for (int l = 0; l < S_LANES; l++)
            queued += zlistx_size (self->queues[q].lanes[l]);
    hl_value_set_int (s, "agents", (int64_t)hl_registry_size (self->registry));
    hl_value_set_int (s, "registry_bytes",
                      (int64_t)hl_registry_bytes (self->registry));
    hl_value_set_int (s, "queued", (int64_t)queued);
    hl_value_set_int (s, "delayed", (int64_t)zlistx_size (self->delayed));
    hl_value_set_int (s, "running", (int64_t)zlistx_size (self->running));
    hl_value_set_int (s, "submitted", (int64_t)self->n.submitted);
    hl_value_set_int (s, "dispatched", (int64_t)self->n.dispatched);
    hl_value_set_int (s, "completed", (int64_t)self->n.completed);
    hl_value_set_int (s, "failed", (int64_t)self->n.failed);
    hl_value_set_int (s, "cancelled", (int64_t)self->n.cancelled);
    hl_value_set_int (s, "retried", (int64_t)self->n.retried);
    hl_value_set_int (s, "late_results", (int64_t)self->n.late_results);
    hl_value_set_int (s, "unknown_results", (int64_t)self->n.unknown_results);
    hl_value_set_int (s, "agents_joined", (int64_t)self->n.joined);
    hl_value_set_int (s, "agents_left", (int64_t)self->n.left);
    hl_value_set_int (s, "agents_expired", (int64_t)self->n.expired);
    hl_value_set_bool (s, "paused", self->paused);
    return s;
}

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

hl_value_t *
hl_dispatch_coordination (hl_dispatch_t *self)
{
    hl_value_t *c = hl_value_new_map ();
    size_t n = self->latency_n < S_LATENCIES ? self->latency_n : S_LATENCIES;
    hl_value_t *lat = hl_value_new_map ();
    hl_value_set_int (lat, "samples", (int64_t)n);
    if (n) {
        int64_t sorted[S_LATENCIES];
        memcpy (sorted, self->latency_us, n * sizeof (int64_t));
        qsort (sorted, n, sizeof (int64_t), s_cmp_i64);
        //  nearest rank
        hl_value_set_double (lat, "p50", (double)sorted[(n - 1) / 2] / 1000.0);
        hl_value_set_double (lat, "p99",
                             (double)sorted[(n * 99 + 99) / 100 - 1] / 1000.0);
        hl_value_set_double (lat, "max", (double)sorted[n - 1] / 1000.0);
    }
    hl_value_set (c, "latency_ms", &lat);

    //  The histogram of every first wait, cumulative as Prometheus has it
    hl_value_t *hist = hl_value_new_map ();
    hl_value_t *le = hl_value_new_array ();
    hl_value_t *counts = hl_value_new_array ();
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= S_LATENCY_BUCKETS; b++) {
        cumulative += self->latency_hist[b];
        hl_value_t *v = hl_value_new_uint (cumulative);
        hl_value_append (counts, &v);
        if (b < S_LATENCY_BUCKETS) {
            v = hl_value_new_double ((double)s_latency_le_us[b] / 1e6);
            hl_value_append (le, &v);
        }
    }
    hl_value_set (hist, "le_s", &le);
    hl_value_set (hist, "counts", &counts);
    hl_value_set_int (hist, "count", (int64_t)cumulative);
    hl_value_set_double (hist, "sum_s", (double)self->latency_sum_us / 1e6);
    hl_value_set (c, "latency_histogram", &hist);

    //  Overhead: the share of tasks-socket messages that are not a task
    //  or its result (hello, welcome, heartbeats, cancels, errors...).
    uint64_t all = self->n.sent + self->n.received;
    uint64_t work = self->n.dispatched + self->n.results_in;
    hl_value_set_int (c, "messages", (int64_t)all);
    hl_value_set_int (c, "task_messages", (int64_t)work);
    hl_value_t *overhead
        = all ? hl_value_new_double ((double)(all - work) / (double)all)
              : hl_value_new_nil ();
    hl_value_set (c, "overhead", &overhead);

    //  Evenness per role: Jain's index of the tasks each live agent has
    //  done, (sum x)^2 / (n sum x^2): 1 is even, 1/n all on one. Roles
    //  with fewer than two agents or no work yet have none.
    hl_value_t *by = hl_value_new_map ();
    double worst = NAN;
    for (int q = 0; q < S_QUEUES - 1; q++) {
        double sum = 0, sum2 = 0;
        size_t agents = 0;
        for (size_t i = 0; i < hl_registry_size (self->registry); i++) {
            const hl_peer_t *peer = hl_registry_at (self->registry, i);
            if (peer->role != s_queue_role (q))
                continue;
            agents++;
            sum += (double)peer->done;
            sum2 += (double)peer->done * (double)peer->done;
        }
        if (agents < 2 || sum2 == 0)
            continue;
        double index = sum * sum / ((double)agents * sum2);
        hl_value_set_double (by, s_queue_name (q), index);
        if (!(index >= worst))
            worst = index;
    }
    hl_value_t *even = hl_value_new_map ();
    hl_value_t *w
        = isfinite (worst) ? hl_value_new_double (worst) : hl_value_new_nil ();
    hl_value_set (even, "worst", &w);
    hl_value_set (even, "by_role", &by);
    hl_value_set (c, "evenness", &even);
    return c;
}
