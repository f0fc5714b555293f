/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_dispatch - the tasks socket. Peers say hello and are welcomed into
    the registry, beat both ways, and expire when silent; their results
    go to the tasks (hl_taskq), which send through here. A peer that
    cannot be reached, leaves or expires hands its tasks back to the
    queue before it is forgotten.
*/
#include <czmq.h>
#include <math.h>
#include <string.h>

#include "../bus/hl_bus.h"
#include "../bus/hl_log.h"
#include "../bus/hl_rand.h"
#include "../proto/hl_alloc.h"
#include "hl_dispatch.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

_Static_assert(HL_DISPATCH_ANY == HL_REGISTRY_ANY,
               "the dispatcher's and the registry's any are the same");

/*  The last S_LATENCIES first-attempt waits, submit to send: the
    coordination latency of the seed's success metrics. */
#define S_LATENCIES 1024
#define S_SCAN_MS 100         /* each peer is looked at this often */
#define S_PERIOD_MAX 3600000u /* the longest beat period (the wire's) */

/*  The same waits, all of them, as a histogram for /metrics: the upper
    bounds of its buckets in microseconds (Prometheus' "le"), and +Inf. */
static const int64_t s_latency_le_us[]
    = { 100,   250,    500,    1000,   2500,    5000,    10000,   25000,
        50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000 };
#define S_LATENCY_BUCKETS (sizeof s_latency_le_us / sizeof s_latency_le_us[0])

typedef struct {
    uint64_t received, rejected;
    uint64_t rejected_by[HL_ERR_COUNT];
    uint64_t expired, joined, left;
    uint64_t sent;       /* messages sent on the tasks socket */
    uint64_t results_in; /* of those received, results */
} s_counters_t;

struct _hl_dispatch_t {
    zsock_t *sock; /* tasks ROUTER, borrowed */
    hl_limits_t limits;
    char src[HL_MAX_NAME + 1];
    char session[33];      /* this master run's identity */
    uint32_t heartbeat_ms; /* the configured period, the shortest */
    uint32_t liveness;
    uint32_t period_ms; /* the period now: longer with a big swarm */
    int heartbeat_rate; /* beats a second the swarm may send, 0: any */
    size_t cursor;      /* where the peers' scan goes on */
    int64_t scanned_ms; /* when it last went on */
    uint64_t periods;   /* times the period changed */
    hl_registry_t *registry;
    bool full_warned;  /* a full registry was logged as a warning */
    hl_taskq_t *taskq; /* the tasks, sending through here */
    int64_t now_ms;
    hl_dispatch_event_fn *event_fn;
    hl_dispatch_wants_fn *wants_fn;
    void *event_arg;
    s_counters_t n;
    int64_t latency_us[S_LATENCIES];              /* a ring */
    size_t latency_n;                             /* written so far */
    uint64_t latency_hist[S_LATENCY_BUCKETS + 1]; /* per bucket, +Inf last */
    int64_t latency_sum_us;                       /* of every wait */
    hl_offender_t *offenders;                     /* borrowed, or NULL */
    hl_dispatch_node_fn *node_fn;                 /* nodes' events */
    void *node_arg;
    char addr[64]; /* a failed message's peer address */
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

/*  Messages and submissions read the monotonic clock, but never take the
    dispatcher's time back from where the last tick put it: a tick may be
    given a later time than the clock shows (tests drive time that way). */
static void
s_clock (hl_dispatch_t *self)
{
    int64_t now = zclock_mono ();
    if (now > self->now_ms)
        self->now_ms = now;
    hl_taskq_set_now (self->taskq, self->now_ms);
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
s_wanted (hl_dispatch_t *self, const char *topic)
{
    if (!self->event_fn)
        return false;
    return !self->wants_fn || self->wants_fn (self->event_arg, topic);
}

static void
s_agent_event (hl_dispatch_t *self, const hl_peer_t *peer, const char *event)
{
    char topic[64];
    snprintf (topic, sizeof topic, "agent.%s", event);
    if (!s_wanted (self, topic))
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
    if (self->offenders
        && hl_offender_error (self->offenders, rid, rid_len, self->now_ms)) {
        hl_offender_log (self->offenders, "tasks", rid, rid_len, self->addr,
                         err);
        return; /* from now on it hears nothing */
    }
    hl_msg_t *reply = hl_msg_new (HL_MSG_ERROR);
    hl_msg_set_re (reply, re);
    hl_msg_set_code (reply, err);
    hl_msg_set_text (reply, text);
    s_send_to (self, rid, rid_len, &reply);
}

/*  A peer is gone (silent, unreachable or said bye): its tasks are
    retried, then it is forgotten. */
static void
s_expire (hl_dispatch_t *self, hl_peer_t *peer, const char *event)
{
    bool left = streq (event, "left");
    hl_taskq_lost (self->taskq, peer, left);
    if (left)
        self->n.left++;
    else
        self->n.expired++;
    hl_log_notice ("tasks: %s %s (%s)", peer->name, event,
                   hl_registry_role_name (peer->role));
    s_agent_event (self, peer, event);
    if (peer->role == HL_REGISTRY_NODE && self->node_fn)
        self->node_fn (self->node_arg, peer, event);
    hl_registry_remove (self->registry, peer);
}

//  --------------------------------------------------------------------
//  The wire of the task queue (hl_taskq_io_t)

static int
s_io_send (void *arg, hl_peer_t *peer, hl_msg_t **msg_p)
{
    hl_dispatch_t *self = (hl_dispatch_t *)arg;
    return s_send_to (self, peer->rid, peer->rid_len, msg_p);
}

static void
s_io_first_wait (void *arg, int64_t wait_us)
{
    s_latency_add ((hl_dispatch_t *)arg, wait_us);
}

static void
s_io_lost (void *arg, hl_peer_t *peer)
{
    s_expire ((hl_dispatch_t *)arg, peer, "expired");
}

static bool
s_io_wants (void *arg, const char *topic)
{
    return s_wanted ((hl_dispatch_t *)arg, topic);
}

static void
s_io_event (void *arg, hl_msg_t **event_p)
{
    s_event ((hl_dispatch_t *)arg, event_p);
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
    hl_msg_set_heartbeat_ms (welcome, self->period_ms);
    peer->period_ms = self->period_ms;
    hl_msg_set_liveness (welcome, self->liveness);
    hl_msg_set_session (welcome, self->session);
    s_send_to (self, rid, rid_len, &welcome);
    hl_log_info ("tasks: %s joined as %s (capacity %u)", peer->name,
                 hl_registry_role_name (peer->role), peer->capacity);
    s_agent_event (self, peer, "joined");
    if (peer->role == HL_REGISTRY_NODE && self->node_fn)
        self->node_fn (self->node_arg, peer, "joined");
    hl_taskq_pump (self->taskq);
}

/*  A node's beat carries its agents: kept for `nodes` and the alerts. */
static void
s_on_report (hl_dispatch_t *self, hl_peer_t *peer, const hl_msg_t *msg)
{
    const hl_value_t *data = hl_msg_data (msg);
    if (!data || peer->role != HL_REGISTRY_NODE)
        return;
    size_t rid_len;
    const uint8_t *rid = hl_msg_routing_id (msg, &rid_len);
    const hl_value_t *agents = hl_value_get (data, "agents");
    if (hl_value_type (agents) != HL_VALUE_ARRAY
        || hl_value_size (agents) > peer->capacity) {
        s_reject (self, rid, rid_len, hl_msg_id (msg), HL_ERR_ARGS,
                  "a node's report wants agents, at most its capacity");
        return;
    }
    if (hl_registry_report (self->registry, peer, data)) {
        s_reject (self, rid, rid_len, hl_msg_id (msg), HL_ERR_FULL,
                  "registry full: report not kept");
        return;
    }
    if (self->node_fn)
        self->node_fn (self->node_arg, peer, "report");
}

bool
hl_dispatch_readable (hl_dispatch_t *self)
{
    hl_msg_t *msg = NULL;
    zframe_t *frame = NULL;
    int rc = hl_bus_recv_from (self->sock, &self->limits, &msg, &frame,
                               self->addr, sizeof self->addr);
    if (rc == HL_ERR_IO && !frame)
        return false;
    s_clock (self);
    self->n.received++;
    if (frame && self->offenders
        && hl_offender_banned (self->offenders, zframe_data (frame),
                               zframe_size (frame), self->now_ms)) {
        hl_msg_destroy (&msg);
        zframe_destroy (&frame);
        return true;
    }
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
            s_on_report (self, peer, msg);
            break;
        case HL_MSG_RESULT: {
            char text[96];
            int err
                = hl_taskq_result (self->taskq, peer, msg, text, sizeof text);
            if (err)
                s_reject (self, rid, rid_len, hl_msg_id (msg), err, text);
            break;
        }
        case HL_MSG_PROGRESS:
            break;
        case HL_MSG_BYE:
            s_expire (self, peer, "left");
            hl_taskq_pump (self->taskq);
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

/*  The beat period for the swarm now. Past heartbeat_rate, beats would
    cost the master more than a bounded share of a core (each is a
    message both ways), so the period lengthens with the swarm, in steps
    of a quarter, and shortens again two steps late, so that a swarm at a
    threshold does not flap. */
static void
s_period_update (hl_dispatch_t *self)
{
    if (self->heartbeat_rate <= 0)
        return;
    //  Beats come at 0.9 of the period, both ways (hl_heart_answer)
    uint64_t n = hl_registry_size (self->registry);
    uint64_t want = (n * 10000 + 9 * (uint64_t)self->heartbeat_rate - 1)
                    / (9 * (uint64_t)self->heartbeat_rate);
    uint64_t period = self->heartbeat_ms;
    while (period < want && period < S_PERIOD_MAX)
        period = period * 5 / 4;
    if (period > S_PERIOD_MAX)
        period = S_PERIOD_MAX;
    bool longer = period > self->period_ms;
    bool shorter = period * 25 / 16 < self->period_ms;
    if (!longer && !shorter)
        return;
    hl_log_notice ("tasks: heartbeat period %u -> %" PRIu64 " ms for %" PRIu64
                   " agents (heartbeat_rate %d/s)",
                   self->period_ms, period, n, self->heartbeat_rate);
    self->period_ms = (uint32_t)period;
    self->periods++;
}

/*  The longest a peer may stay silent: liveness periods, of the longer of
    the period it was told and the one before while it may not have heard
    the new one yet. */
static int64_t
s_silence (const hl_dispatch_t *self, const hl_peer_t *peer, int64_t now_ms)
{
    uint32_t period = peer->period_ms;
    if (now_ms < peer->period_until && peer->period_was > period)
        period = peer->period_was;
    return (int64_t)period * self->liveness;
}

/*  Beat peer; the beat tells it the swarm's period if that changed. */
static void
s_beat (hl_dispatch_t *self, hl_peer_t *peer, int64_t now_ms)
{
    hl_msg_t *beat = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (beat, peer->inflight);
    if (peer->period_ms != self->period_ms) {
        hl_msg_set_heartbeat_ms (beat, self->period_ms);
        peer->period_was = peer->period_ms;
        peer->period_until = now_ms + s_silence (self, peer, now_ms);
        peer->period_ms = self->period_ms;
    }
    if (peer->order) {
        hl_value_t *data = hl_value_new_map ();
        hl_value_t *order = hl_value_dup (peer->order);
        hl_value_set (data, "order", &order);
        hl_msg_set_data (beat, &data);
    }
    s_send_to (self, peer->rid, peer->rid_len, &beat);
    peer->beat_ms = now_ms;
}

void
hl_dispatch_tick (hl_dispatch_t *self, int64_t now_ms)
{
    self->now_ms = now_ms;
    hl_taskq_set_now (self->taskq, now_ms);
    s_period_update (self);

    /*  Peers: expire the silent, beat the quiet. Each is looked at once
        every S_SCAN_MS, a slice of them a tick, so that a big swarm's
        beats leave in a steady trickle (and their answers come back so)
        rather than in one burst a tick, which would hold up the tasks
        behind it. */
    size_t n = hl_registry_size (self->registry);
    int64_t elapsed = now_ms - self->scanned_ms;
    size_t slice
        = elapsed >= S_SCAN_MS || elapsed < 0
              ? n
              : (size_t)(((int64_t)n * elapsed + S_SCAN_MS - 1) / S_SCAN_MS);
    if (slice)
        self->scanned_ms = now_ms;
    for (size_t k = 0; k < slice && hl_registry_size (self->registry); k++) {
        size_t i = self->cursor % hl_registry_size (self->registry);
        hl_peer_t *peer = hl_registry_at (self->registry, i);
        if (now_ms - peer->heard_ms > s_silence (self, peer, now_ms)) {
            s_expire (self, peer, "expired");
            continue; /* the array was swap-removed at i: look again */
        }
        //  A tenth early: the beat reaches an agent before its own comes
        //  due, and agents answer it (hl_heart_answer), so each agent's
        //  beat follows the master's and wakes it no more
        if (now_ms - peer->beat_ms >= (int64_t)peer->period_ms * 9 / 10)
            s_beat (self, peer, now_ms);
        self->cursor = i + 1;
    }
    /*  The tasks: deadlines, retries, time to live, then a pump. */
    hl_taskq_tick (self->taskq, now_ms);
}

//  --------------------------------------------------------------------
//  API

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
    self->period_ms = self->heartbeat_ms;
    self->heartbeat_rate = hl_config_master (config)->heartbeat_rate;
    hl_rand_t rng;
    hl_rand_seed (&rng, 0); /* from the clock and the pid */
    uint64_t hi = hl_rand_next (&rng), lo = hl_rand_next (&rng);
    snprintf (self->session, sizeof self->session, "%016" PRIx64 "%016" PRIx64,
              hi, lo);
    self->registry = hl_registry_new ();
    const hl_config_limits_t *lc = hl_config_limits (config);
    hl_registry_limits_t rl
        = { (size_t)lc->hello_actions, (size_t)lc->hello_bytes,
            (size_t)lc->registry_peers, (size_t)lc->registry_bytes };
    hl_registry_set_limits (self->registry, &rl);
    hl_taskq_io_t io = { s_io_send,  s_io_lost,       s_io_wants,
                         s_io_event, s_io_first_wait, self };
    self->taskq = hl_taskq_new (self->registry, config, &io);
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
    /*  Submitters hear of every task's end, even at shutdown; nobody
        else does. */
    self->event_fn = NULL;
    hl_taskq_destroy (&self->taskq);
    hl_registry_destroy (&self->registry);
    free (self);
    *self_p = NULL;
}

uint64_t
hl_dispatch_reserve (hl_dispatch_t *self)
{
    return hl_taskq_reserve (self->taskq);
}

void
hl_dispatch_set_offenders (hl_dispatch_t *self, hl_offender_t *offenders)
{
    self->offenders = offenders;
}

void
hl_dispatch_first_id (hl_dispatch_t *self, uint64_t id)
{
    hl_taskq_first_id (self->taskq, id);
}

uint64_t
hl_dispatch_submit (hl_dispatch_t *self, const hl_task_spec_t *spec,
                    hl_value_t **args_p, hl_task_done_fn *done, void *done_arg)
{
    s_clock (self);
    return hl_taskq_submit (self->taskq, spec, args_p, done, done_arg);
}

const char *
hl_dispatch_refusal (hl_dispatch_t *self)
{
    return hl_taskq_refusal (self->taskq);
}

int
hl_dispatch_cancel (hl_dispatch_t *self, uint64_t task_id)
{
    return hl_taskq_cancel (self->taskq, task_id);
}

void
hl_dispatch_pause (hl_dispatch_t *self, bool paused)
{
    hl_taskq_pause (self->taskq, paused);
}

void
hl_dispatch_set_node_fn (hl_dispatch_t *self, hl_dispatch_node_fn *fn,
                         void *arg)
{
    self->node_fn = fn;
    self->node_arg = arg;
}

void
hl_dispatch_order (hl_dispatch_t *self, hl_peer_t *node,
                   const hl_value_t *order)
{
    assert (node->role == HL_REGISTRY_NODE);
    hl_registry_order (self->registry, node, order);
    s_beat (self, node, self->now_ms);
}

hl_registry_t *
hl_dispatch_registry (hl_dispatch_t *self)
{
    return self->registry;
}

int64_t
hl_dispatch_role_wait (hl_dispatch_t *self, int role)
{
    return hl_taskq_role_wait (self->taskq, role);
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
    hl_value_set_int (s, "agents", (int64_t)hl_registry_size (self->registry));
    hl_value_set_int (s, "registry_bytes",
                      (int64_t)hl_registry_bytes (self->registry));
    hl_taskq_stats (self->taskq, s);
    hl_value_set_int (s, "agents_joined", (int64_t)self->n.joined);
    hl_value_set_int (s, "agents_left", (int64_t)self->n.left);
    hl_value_set_int (s, "agents_expired", (int64_t)self->n.expired);
    hl_value_set_int (s, "heartbeat_ms", self->period_ms);
    hl_value_set_int (s, "heartbeat_periods", (int64_t)self->periods);
    return s;
}

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/*  The first-wait figures into the map c: "latency_ms" and
    "latency_histogram". */
static void
s_latency (hl_dispatch_t *self, hl_value_t *c)
{
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
}

hl_value_t *
hl_dispatch_coordination (hl_dispatch_t *self)
{
    hl_value_t *c = hl_value_new_map ();
    s_latency (self, c);

    //  Overhead: the share of tasks-socket messages that are not a task
    //  or its result (hello, welcome, heartbeats, cancels, errors...).
    uint64_t all = self->n.sent + self->n.received;
    uint64_t work = hl_taskq_dispatched (self->taskq) + self->n.results_in;
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
    for (int role = 0; role < HL_ROLE_COUNT; role++) {
        double sum = 0, sum2 = 0;
        size_t agents = 0;
        for (size_t i = 0; i < hl_registry_size (self->registry); i++) {
            const hl_peer_t *peer = hl_registry_at (self->registry, i);
            if (peer->role != role)
                continue;
            agents++;
            sum += (double)peer->done;
            sum2 += (double)peer->done * (double)peer->done;
        }
        if (agents < 2 || sum2 == 0)
            continue;
        double index = sum * sum / ((double)agents * sum2);
        hl_value_set_double (by, hl_registry_role_name (role), index);
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
