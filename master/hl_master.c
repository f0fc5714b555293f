/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_master - the orchestrator's reactor: the tasks socket, the bus
    proxy and the master's publisher, the control socket (its operations
    are in hl_master_ops.c), the tracker, health and the store, all driven
    by one zloop on one thread. Every rejected input is counted by reason
    and shown by the "status" operation.
*/
#include "hl_master_priv.h"

/*  Messages handled per wake-up: a poll per message would cost more than
    the message. hl_bus_recv blocks, so read only what ZeroMQ says is
    there. */
#define S_BATCH 256
#define S_INTAKE_HWM_X 10    /* the metric intake's queue, x rcvhwm */
#define S_HEALTH_GAP_US 2000 /* between two recomputes for new samples */

/*  StatsD per wake-up, at most: datagrams, and about this many bytes. */
#define S_STATSD_BATCH 256
#define S_STATSD_BYTES 262144

#define S_STORE_FLUSH_MS 5 /* records wait this long for their batch */
#define S_REPLY_SPACE 4096 /* a reply this small is encoded on the stack */

static void
s_count_reject (hl_master_input_t *input, int err)
{
    input->rejected++;
    if (err < 0 && -err < HL_ERR_COUNT)
        input->rejected_by[-err]++;
}

/*  One reply, with a page's next and more when they are set. Encoded
    once: the idempotency table keeps the bytes, and repeats of the
    request held while it ran get them too. A client that leaves its
    replies unread is sent nothing more (hl_outbox), and a reply past the
    message limit is answered too_big instead. */
static void
s_reply (hl_master_t *self, const uint8_t *rid, size_t rid_len, uint64_t re,
         bool ok, hl_value_t **data_p, const char *error, uint64_t next,
         uint64_t more)
{
    bool first;
    if (!hl_outbox_room (self->outbox, rid, rid_len, &first)) {
        if (first)
            hl_log_warning ("control: a client leaves its replies unread "
                            "(limits.reply_unread_bytes, _total): dropped "
                            "until it reads");
        hl_value_destroy (data_p);
        return;
    }
    hl_msg_t *reply = hl_msg_new (HL_MSG_REPLY);
    hl_msg_set_re (reply, re);
    hl_msg_set_src (reply, self->src);
    //  A reply past the limit would never arrive: say so instead
    size_t size = data_p && *data_p ? hl_msg_value_size (*data_p) : 0;
    char text[256];
    if (ok && size > self->limits.max_msg_size - HL_PAGE_OVERHEAD) {
        snprintf (text, sizeof text,
                  "too_big: the reply's data takes %zu bytes, more than a "
                  "%zu-byte message can carry",
                  size, self->limits.max_msg_size);
        hl_log_warning ("control: reply to request %" PRIu64 " refused: %s", re,
                        text);
        hl_outbox_too_big (self->outbox);
        hl_value_destroy (data_p);
        ok = false;
        error = text;
        next = more = 0;
    }
    hl_msg_set_ok (reply, ok);
    if (ok && data_p && *data_p)
        hl_msg_set_data (reply, data_p);
    if (!ok)
        hl_msg_set_error (reply, error);
    if (next)
        hl_msg_set_next (reply, next);
    if (more)
        hl_msg_set_more (reply, more);
    uint8_t space[S_REPLY_SPACE];
    uint8_t *bytes = NULL;
    size = 0;
    int rc = hl_msg_encode_buf (reply, space, sizeof space, &bytes, &size);
    hl_msg_destroy (&reply);
    if (rc) {
        hl_log_warning ("control: reply not encoded: %s", hl_strerror (rc));
        return;
    }
    size_t held = hl_idem_answer (self->idem, rid, rid_len, re, bytes, size,
                                  zclock_mono ());
    for (size_t i = 0; i <= held; i++) {
        rc = hl_outbox_send_bytes (self->outbox, rid, rid_len, bytes, size);
        if (rc)
            hl_log_info ("control: reply not sent: %s", hl_strerror (rc));
    }
    if (bytes != space)
        free (bytes);
}

/*  Reply on the control socket. Takes *data_p. A reply that cannot be
    sent (the client has gone) is only logged: the request was served. */
void
hl_master_reply (hl_master_t *self, const uint8_t *rid, size_t rid_len,
                 uint64_t re, bool ok, hl_value_t **data_p, const char *error)
{
    s_reply (self, rid, rid_len, re, ok, data_p, error, 0, 0);
}

int
hl_master_publish (hl_master_t *self, hl_msg_t **msg_p)
{
    hl_msg_set_src (*msg_p, self->src);
    hl_webhook_offer (self->webhook, *msg_p);
    int rc = hl_bus_send (self->pub, msg_p);
    if (rc) {
        self->publish_failed++;
        hl_log_warning ("bus: publish failed: %s", hl_strerror (rc));
    } else
        self->published++;
    return rc;
}

static bool s_control_one (hl_master_t *self, zsock_t *sock);

static int
s_control_readable (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    for (int i = 0; i < S_BATCH; i++)
        if (!s_control_one ((hl_master_t *)arg, sock))
            break;
    return 0;
}

/*  A protocol error by peer: counted against it, and true when that
    bans it (logged here, once): it gets no answer. */
static bool
s_control_offence (hl_master_t *self, const zframe_t *peer, const char *addr,
                   int err)
{
    const uint8_t *rid = zframe_data ((zframe_t *)peer);
    size_t len = zframe_size ((zframe_t *)peer);
    if (!hl_offender_error (self->control_bans, rid, len, zclock_mono ()))
        return false;
    hl_offender_log (self->control_bans, "control", rid, len, addr, err);
    return true;
}

/*  Run request's op, its arguments checked first; reply unless the op
    will later. A refusal is counted by its reason. */
static void
s_control_request (hl_master_t *self, const hl_msg_t *msg)
{
    size_t rid_len;
    const uint8_t *rid = hl_msg_routing_id (msg, &rid_len);
    const char *op = hl_msg_op (msg);
    char error[1024] = ""; /* a reply's error is at most this long */
    hl_value_t *data = NULL;
    hl_master_op_fn *fn = hl_master_op (op);
    self->page_next = self->page_more = 0;
    int rc = hl_args_check (op, hl_msg_args (msg), error, sizeof error);
    if (rc == 0 && !fn) {
        rc = HL_ERR_UNSUPPORTED; /* a table without its op: a bug */
        snprintf (error, sizeof error, "unknown op [%s]", hl_errname (rc));
    }
    if (rc == 0)
        rc = fn (self, msg, &data, error, sizeof error);
    if (rc < 0) {
        self->refused++;
        if (-rc < HL_ERR_COUNT)
            self->refused_by[-rc]++;
        if (!*error)
            snprintf (error, sizeof error, "%s", hl_strerror (rc));
    }
    if (rc <= 0) /* > 0: the op replies later */
        s_reply (self, rid, rid_len, hl_msg_id (msg), rc == 0, &data, error,
                 rc == 0 ? self->page_next : 0, rc == 0 ? self->page_more : 0);
    hl_value_destroy (&data);
}

/*  Handle one control message; false when there was none. A banned
    peer's message is dropped unread; a request seen before gets its
    first answer again, or waits for it. */
static bool
s_control_one (hl_master_t *self, zsock_t *sock)
{
    hl_msg_t *msg = NULL;
    zframe_t *peer = NULL;
    char addr[64];
    int rc = hl_bus_recv_from (sock, &self->limits, &msg, &peer, addr,
                               sizeof addr);
    if (rc == HL_ERR_IO && !peer)
        return false; /* nothing was there */
    self->control_in.received++;
    int64_t now = zclock_mono ();
    if (peer
        && hl_offender_banned (self->control_bans, zframe_data (peer),
                               zframe_size (peer), now))
        goto done;
    char error[1024] = ""; /* a reply's error is at most this long */
    if (rc == 0 && hl_msg_type (msg) != HL_MSG_REQUEST) {
        rc = HL_ERR_UNSUPPORTED;
        snprintf (error, sizeof error,
                  "control accepts only request, "
                  "not %s",
                  hl_msg_type_name (hl_msg_type (msg)));
    }
    if (rc) {
        s_count_reject (&self->control_in, rc);
        if (!*error)
            snprintf (error, sizeof error, "%s: %s", hl_errname (rc),
                      hl_strerror (rc));
        hl_log_debug ("control: request rejected: %s", error);
        if (peer && !s_control_offence (self, peer, addr, rc))
            hl_master_reply (self, zframe_data (peer), zframe_size (peer),
                             msg ? hl_msg_id (msg) : 0, false, NULL, error);
        goto done;
    }
    /*  An op that only reads is answered afresh: running it again
        changes nothing, and its answers (status) are the big ones. */
    size_t rid_len;
    const uint8_t *rid = hl_msg_routing_id (msg, &rid_len);
    //  A client that leaves its replies unread is not served: the work
    //  would only grow what it does not read
    if (!hl_outbox_room (self->outbox, rid, rid_len, NULL)) {
        s_count_reject (&self->control_in, HL_ERR_FULL);
        goto done;
    }
    const uint8_t *answer = NULL;
    size_t size = 0;
    hl_idem_state_t seen = HL_IDEM_NEW;
    if (hl_args_changes (hl_msg_op (msg)))
        seen = hl_idem_begin (self->idem, rid, rid_len, hl_msg_id (msg), now,
                              &answer, &size);
    if (seen == HL_IDEM_ANSWERED) {
        rc = hl_outbox_send_bytes (self->outbox, rid, rid_len, answer, size);
        if (rc)
            hl_log_info ("control: reply not sent: %s", hl_strerror (rc));
    } else if (seen == HL_IDEM_NEW)
        s_control_request (self, msg);
done:
    hl_msg_destroy (&msg);
    zframe_destroy (&peer);
    return true;
}

static int
s_tasks_readable (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    (void)sock;
    for (int i = 0; i < S_BATCH; i++)
        if (!hl_dispatch_readable (((hl_master_t *)arg)->dispatch))
            break;
    return 0;
}

static void s_drain_pub (hl_master_t *self);

/*  Every 10 ms: dispatch's clock work (its scan of the peers goes a slice
    a tick). Ten times a heartbeat, as before the tick grew faster: the
    two sockets that are rarely active and so stay out of the poll set
    (zmq_poll pays a system call per socket per wake-up), the proxy's
    subscription mirror and the publisher's own subscription frames. */
static int
s_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    hl_master_t *self = (hl_master_t *)arg;
    int64_t now = zclock_mono ();
    int every = hl_config_master (self->config)->heartbeat_ms / 10;
    if (now - self->quiet_ms >= (every < 100 ? every : 100)) {
        self->quiet_ms = now;
        hl_proxy_subscriptions_update (self->proxy);
        s_drain_pub (self);
    }
    hl_dispatch_tick (self->dispatch, now);
    return 0;
}

static void
s_dispatch_event (void *arg, hl_msg_t **event_p)
{
    hl_master_publish ((hl_master_t *)arg, event_p);
}

/*  Health now, and the emergency check that goes with it. */
static void
s_health (hl_master_t *self, int64_t now_us)
{
    hl_health_destroy (&self->health);
    self->health = hl_health_compute (self->config, self->kpi, now_us);
    self->health_us = now_us;
    self->crossings = hl_kpi_counters (self->kpi)->crossings;
    if (self->health && self->cycle)
        hl_cycle_health (self->cycle, self->health);
}

static int
s_health_due (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    hl_master_t *self = (hl_master_t *)arg;
    self->health_timer = -1;
    s_health (self, hl_msg_now_us ());
    return 0;
}

/*  New samples: the one that takes health under the threshold must start
    the emergency at once, not at the next second. Recompute now if a
    metric has just gone past its critical level, or the last recompute is
    S_HEALTH_GAP_US old; else when the gap ends (a timer has ms
    granularity), so that a flood of samples stays cheap and a lone
    sample still counts. */
static void
s_health_soon (hl_master_t *self, int64_t now_us)
{
    int64_t wait_us = self->health_us + S_HEALTH_GAP_US - now_us;
    if (wait_us <= 0
        || hl_kpi_counters (self->kpi)->crossings != self->crossings)
        s_health (self, now_us);
    else if (self->health_timer < 0)
        self->health_timer
            = zloop_timer (self->loop, (size_t)((wait_us + 999) / 1000), 1,
                           s_health_due, self);
}

/*  One sample into the tracker; refusals are counted there by reason. */
static void
s_sample (hl_master_t *self, const char *name, double value, int64_t ts,
          int64_t now_us)
{
    int rc = hl_kpi_add (self->kpi, name, value, ts, now_us);
    if (rc && hl_log_level () >= HL_LOG_DEBUG) {
        char esc[64];
        hl_log_escape (esc, sizeof esc, name, strlen (name));
        hl_log_debug ("metrics: sample of %s refused: %s", esc,
                      hl_strerror (rc));
    }
}

static int
s_intake_readable (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    hl_master_t *self = (hl_master_t *)arg;
    int64_t now_us = hl_msg_now_us ();
    int i = 0;
    for (; i < S_BATCH; i++) {
        hl_msg_t *msg = NULL;
        int rc = hl_bus_recv_intake (sock, &msg);
        if (rc == HL_ERR_IO)
            break;
        self->metrics_in.received++;
        if (rc) {
            s_count_reject (&self->metrics_in, rc);
            continue;
        }
        if (hl_msg_type (msg) == HL_MSG_METRIC)
            s_sample (self, hl_msg_name (msg), hl_msg_value (msg),
                      hl_msg_sample_ts (msg), now_us);
        else if (hl_msg_type (msg) == HL_MSG_METRICS)
            for (size_t j = 0; j < hl_msg_samples_size (msg); j++) {
                const hl_sample_t *sample = hl_msg_sample (msg, j);
                s_sample (self, sample->name, sample->value, sample->ts,
                          now_us);
            }
        hl_msg_destroy (&msg);
    }
    if (i > 0)
        s_health_soon (self, now_us);
    return 0;
}

/*  StatsD: each sample into the tracker, as a bus sample goes. */
static int
s_statsd_sample (void *arg, size_t index, const char *name, double value,
                 int64_t ts_us)
{
    (void)name;
    hl_master_t *self = (hl_master_t *)arg;
    return hl_kpi_add_at (self->kpi, index, value, ts_us, self->statsd_now_us);
}

static void
s_statsd_datagram (void *arg, const char *data, size_t len, bool truncated)
{
    hl_master_t *self = (hl_master_t *)arg;
    if (truncated)
        hl_statsd_oversize (self->statsd);
    else
        hl_statsd_packet (self->statsd, data, len, self->statsd_now_us,
                          s_statsd_sample, self);
}

/*  Datagrams waiting, up to a bound per wakeup in datagrams and bytes, so
    that big datagrams full of lines do not hold the other sockets for
    long (poll is level-triggered: the rest wakes it again); then health,
    as after a bus batch. */
static int
s_statsd_readable (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    (void)item;
    hl_master_t *self = (hl_master_t *)arg;
    self->statsd_now_us = hl_msg_now_us ();
    uint64_t bytes = hl_statsd_counters (self->statsd)->bytes;
    int read = 0;
    while (read < S_STATSD_BATCH) {
        int n = hl_udp_recv (self->statsd_udp, HL_UDP_BATCH, s_statsd_datagram,
                             self);
        if (n > 0)
            read += n;
        if (n < HL_UDP_BATCH
            || hl_statsd_counters (self->statsd)->bytes - bytes
                   >= S_STATSD_BYTES)
            break;
    }
    if (read > 0)
        s_health_soon (self, self->statsd_now_us);
    return 0;
}

/*  kpi.<name>: one closed second of one metric. */
static void
s_publish_kpi (const char *name, const hl_kpi_stats_t *stats, void *arg)
{
    hl_master_t *self = (hl_master_t *)arg;
    char topic[HL_MAX_TOPIC + 1];
    snprintf (topic, sizeof topic, "kpi.%s", name);
    if (!hl_proxy_wanted (self->proxy, topic))
        return;
    hl_msg_t *msg = hl_msg_new (HL_MSG_KPI);
    hl_msg_set_name (msg, name);
    hl_msg_set_sample_ts (msg, stats->second * 1000000);
    hl_msg_set_count (msg, stats->count);
    hl_msg_set_mean (msg, stats->mean);
    hl_msg_set_p50 (msg, stats->p50);
    hl_msg_set_p95 (msg, stats->p95);
    hl_msg_set_min (msg, stats->min);
    hl_msg_set_max (msg, stats->max);
    hl_master_publish (self, &msg);
}

//  --------------------------------------------------------------------
//  The store

/*  Open store.file when the store is on: before the engine, which reads
    back what the master's last life left. 0, or -1 with err. */
static int
s_store_open (hl_master_t *self, char *err, size_t errsize)
{
    const hl_config_store_t *sc = hl_config_store (self->config);
    if (!sc->enabled)
        return 0;
    const char *dir = hl_config_master (self->config)->state_dir;
    if (zsys_dir_create ("%s", dir)) {
        snprintf (err, errsize, "cannot create %s", dir);
        return -1;
    }
    hl_store_opts_t opts
        = { sc->file, sc->retention_days, (size_t)sc->backlog_mb << 20 };
    char why[512];
    self->store = hl_store_open (&opts, why, sizeof why);
    if (!self->store) {
        snprintf (err, errsize, "store: %s", why);
        return -1;
    }
    const hl_store_recovery_t *rec = hl_store_recovered (self->store);
    hl_dispatch_first_id (self->dispatch, rec->max_task_id + 1);
    hl_log_info ("store: %s open (runs up to %" PRIu64 ", tasks up to %" PRIu64
                 ")",
                 sc->file, rec->max_run_id, rec->max_task_id);
    return 0;
}

static int
s_store_readable (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    (void)sock;
    hl_store_handle (((hl_master_t *)arg)->store);
    return 0;
}

/*  Records go to the store in batches: whatever a few milliseconds of
    work queued. */
static int
s_store_flush (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    hl_store_flush (((hl_master_t *)arg)->store);
    return 0;
}

/*  alert.<severity> about the store on the bus (and so to webhooks). */
static void
s_store_alert (hl_master_t *self, const char *severity, const char *text,
               const hl_store_stats_t *stats)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_ALERT);
    hl_msg_set_severity (msg, severity);
    hl_msg_set_text (msg, text);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "alert", "store");
    hl_value_set_str (data, "status", stats->writable ? "resolved" : "firing");
    hl_value_set_str (data, "error", stats->error);
    hl_value_set_int (data, "backlog", (int64_t)stats->backlog);
    hl_value_set_int (data, "dropped", (int64_t)stats->dropped);
    hl_msg_set_data (msg, &data);
    hl_master_publish (self, &msg);
    hl_msg_destroy (&msg);
}

/*  Every second: an alert when the store stops writing (the master goes
    on from memory) and when it has caught up; each finished minute's
    rollup of every metric. */
static void
s_store_second (hl_master_t *self, int64_t now_us)
{
    if (!self->store)
        return;
    hl_store_stats_t stats;
    hl_store_stats (self->store, &stats);
    if (!stats.writable && !self->store_failing) {
        self->store_failing = true;
        hl_log_warning ("store: cannot write (%s): going on from memory",
                        stats.error);
        s_store_alert (self, "critical",
                       "store cannot write: Helios goes on from memory and "
                       "catches up when it can",
                       &stats);
    } else if (stats.writable && self->store_failing && !stats.backlog) {
        self->store_failing = false;
        hl_log_notice ("store: writing again, caught up");
        s_store_alert (self, "info", "store writing again, caught up", &stats);
    }
    /*  A minute is rolled up once its last second has been flushed. */
    int64_t minute = (now_us / 1000000 - 5) / 60 - 1;
    if (!self->rollup_minute)
        self->rollup_minute = minute;
    for (; self->rollup_minute < minute; self->rollup_minute++) {
        int64_t m = self->rollup_minute + 1;
        for (size_t i = 0; i < hl_config_metrics_size (self->config); i++) {
            const char *name = hl_config_metric (self->config, i)->name;
            hl_kpi_stats_t st;
            if (hl_kpi_window (self->kpi, name, m * 60000000,
                               (m + 1) * 60000000, &st)
                || !st.count)
                continue;
            hl_store_rollup_t row
                = { name,   m,      st.count, st.mean * (double)st.count,
                    st.min, st.max, st.last,  st.p95 };
            hl_store_rollup (self->store, &row);
        }
    }
}

/*  Every second: publish the seconds that closed, then health. */
static int
s_second (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    hl_master_t *self = (hl_master_t *)arg;
    int64_t now_us = hl_msg_now_us ();
    hl_outbox_sweep (self->outbox);
    if (self->statsd) {
        //  Counters' seconds before the tracker closes them
        self->statsd_now_us = now_us;
        hl_statsd_flush (self->statsd, now_us, s_statsd_sample, self);
    }
    hl_kpi_flush (self->kpi, now_us, s_publish_kpi, self);
    s_health (self, now_us);
    double now_score = self->health ? hl_health_score (self->health) : NAN;
    if (isfinite (now_score)) {
        self->scored_s++;
        self->available_s
            += now_score >= hl_config_emergency (self->config)->threshold;
    }
    hl_cycle_tick (self->cycle, now_us);
    hl_watch_tick (self->watch, now_us);
    s_store_second (self, now_us);
    hl_master_scale_second (self);
    if (self->health && hl_proxy_wanted (self->proxy, "health")) {
        hl_msg_t *msg = hl_msg_new (HL_MSG_HEALTH);
        double score = hl_health_score (self->health);
        hl_msg_set_score (msg, isfinite (score) ? score : 0);
        hl_msg_set_state (
            msg, hl_health_overall_name (hl_health_state (self->health)));
        hl_value_t *data = hl_health_to_value (self->health);
        hl_msg_set_data (msg, &data);
        hl_master_publish (self, &msg);
    }
    return 0;
}

static void
s_cycle_publish (void *arg, hl_msg_t **msg_p)
{
    hl_master_publish ((hl_master_t *)arg, msg_p);
}

static bool
s_wants (void *arg, const char *topic)
{
    hl_master_t *self = (hl_master_t *)arg;
    return hl_proxy_wanted (self->proxy, topic)
           || hl_webhook_wants (self->webhook, topic);
}

/*  The publisher's XPUB hears the proxy's subscriptions; they only need
    draining. */
static void
s_drain_pub (hl_master_t *self)
{
    void *handle = zsock_resolve (self->pub);
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    while (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) >= 0)
        ;
    zmq_msg_close (&frame);
}

/*  HTTP, off this thread: its handlers reach the control socket on an
    inproc endpoint of its own, and the bus on the proxy's. */
static int
s_bind_http (hl_master_t *self, char *err, size_t errsize)
{
    const hl_config_master_t *mc = hl_config_master (self->config);
    if (!mc->http[0])
        return 0;
    char inproc[64];
    snprintf (inproc, sizeof inproc, "inproc://helios-control-%p",
              (void *)self);
    if (zsock_bind (self->control, "%s", inproc)) {
        snprintf (err, errsize, "cannot bind control socket to %s", inproc);
        return -1;
    }
    self->http = hl_http_new (self->config, inproc,
                              hl_proxy_inproc_out (self->proxy), err, errsize);
    if (!self->http)
        return -1;
    size_t len = strlen (self->ready);
    snprintf (self->ready + len, sizeof self->ready - len, " http=%s",
              hl_http_endpoint (self->http));
    return 0;
}

/*  CURVE (design §7, docs/security.md): the server's keys and the ZAP
    handler, before any socket binds; a bind beyond loopback without it
    is a warning, or a refusal under master.require_curve. */
static int
s_secure (hl_master_t *self, char *err, size_t errsize)
{
    const hl_config_master_t *mc = hl_config_master (self->config);
    const hl_config_security_t *sc = hl_config_security (self->config);
    if (hl_curve_load (sc, NULL, HL_CURVE_SERVER, &self->curve, err, errsize))
        return -1;
    if (self->curve) {
        self->zap = hl_zap_new (sc->allow_dir, err, errsize);
        if (!self->zap)
            return -1;
        hl_curve_use (self->curve);
        return 0;
    }
    const char *names[] = { "tasks", "control", "bus_in", "bus_out" };
    const char *binds[] = { mc->tasks, mc->control, mc->bus_in, mc->bus_out };
    for (size_t i = 0; i < 4; i++) {
        if (!hl_curve_beyond_loopback (binds[i]))
            continue;
        if (mc->require_curve) {
            snprintf (err, errsize,
                      "master.%s %s is beyond loopback without CURVE, and "
                      "master.require_curve is set (see docs/security.md)",
                      names[i], binds[i]);
            return -1;
        }
        hl_log_warning ("master.%s %s is beyond loopback without CURVE: "
                        "anyone who reaches it is let in (docs/security.md)",
                        names[i], binds[i]);
    }
    return 0;
}

/*  The proxy, the control and tasks sockets, the master's publisher and
    the tracker's intake. 0, or -1 with the reason in err. */
static int
s_bind (hl_master_t *self, char *err, size_t errsize)
{
    const hl_config_master_t *mc = hl_config_master (self->config);
    if (s_secure (self, err, errsize))
        return -1;
    hl_sock_opts_t opts;
    hl_sock_opts_from_config (hl_config_limits (self->config), &opts);

    self->proxy = hl_proxy_new (mc->bus_in, mc->bus_out, &opts, &self->limits,
                                err, errsize);
    if (!self->proxy)
        return -1;
    self->control = hl_sock_bind (ZMQ_ROUTER, mc->control, &opts,
                                  self->control_ep, sizeof self->control_ep);
    if (!self->control) {
        snprintf (err, errsize, "cannot bind control socket to %s",
                  mc->control);
        return -1;
    }
    const hl_config_limits_t *lc = hl_config_limits (self->config);
    self->outbox = hl_outbox_new (self->control, (size_t)lc->unread_bytes,
                                  (size_t)lc->unread_total);
    self->tasks = hl_sock_bind (ZMQ_ROUTER, mc->tasks, &opts, self->tasks_ep,
                                sizeof self->tasks_ep);
    if (!self->tasks) {
        snprintf (err, errsize, "cannot bind tasks socket to %s", mc->tasks);
        return -1;
    }
    self->pub = hl_sock_publisher (hl_proxy_inproc_in (self->proxy), &opts);
    if (!self->pub || hl_sock_publisher_wait (self->pub, 2000)) {
        snprintf (err, errsize, "cannot connect to the bus proxy");
        return -1;
    }
    snprintf (self->ready, sizeof self->ready,
              "READY %s control=%s bus_in=%s bus_out=%s", self->tasks_ep,
              self->control_ep, hl_proxy_bus_in (self->proxy),
              hl_proxy_bus_out (self->proxy));

    /*  metric.* and metrics, straight from the proxy in batches. The
        tracker's intake rides out a few scheduler slices of a busy
        machine: a deeper queue than a network peer gets, still bounded. */
    int intake_hwm = opts.rcvhwm;
    if (intake_hwm > 0 && intake_hwm <= INT_MAX / S_INTAKE_HWM_X)
        intake_hwm *= S_INTAKE_HWM_X;
    self->intake = hl_proxy_intake (self->proxy, "metric", intake_hwm);
    if (!self->intake) {
        snprintf (err, errsize, "cannot open the bus proxy's intake");
        return -1;
    }
    if (*mc->statsd) {
        const hl_config_statsd_t *sc = hl_config_statsd (self->config);
        char why[256];
        self->statsd_udp = hl_udp_bind (mc->statsd, (size_t)sc->max_packet,
                                        sc->rcvbuf, why, sizeof why);
        if (!self->statsd_udp) {
            snprintf (err, errsize, "cannot bind statsd socket to %s: %s",
                      mc->statsd, why);
            return -1;
        }
        if (!hl_udp_loopback (self->statsd_udp))
            hl_log_warning ("statsd: listening on %s beyond loopback: anyone "
                            "who reaches it can send samples",
                            hl_udp_endpoint (self->statsd_udp));
    }
    return s_bind_http (self, err, errsize);
}

/*  The guard section's tables: control answers by request, and the
    offenders of the control and tasks sockets. */
static void
s_guard_new (hl_master_t *self)
{
    const hl_config_guard_t *gc = hl_config_guard (self->config);
    hl_idem_opts_t idem
        = { gc->idem_window_s * 1000, (size_t)gc->idem_entries,
            (size_t)gc->idem_bytes, (size_t)gc->idem_client_entries,
            (size_t)gc->idem_client_bytes };
    self->idem = hl_idem_new (&idem);
    hl_offender_opts_t bans
        = { gc->offender_errors, gc->offender_window_s * 1000,
            gc->offender_ban_s * 1000, (size_t)gc->offender_peers };
    self->control_bans = hl_offender_new (&bans);
    self->tasks_bans = hl_offender_new (&bans);
    //  The config's bounds make every option valid
    assert (self->idem && self->control_bans && self->tasks_bans);
    hl_dispatch_set_offenders (self->dispatch, self->tasks_bans);
}

/*  systemd's status line for the master (hl_notify). */
static void
s_notify_status (void *arg, char *buf, size_t size)
{
    hl_master_t *self = (hl_master_t *)arg;
    size_t agents = hl_registry_size (hl_dispatch_registry (self->dispatch));
    snprintf (buf, size, "serving %s: %zu agent%s", self->tasks_ep, agents,
              agents == 1 ? "" : "s");
}

hl_master_t *
hl_master_new (const hl_config_t *config, char *err, size_t errsize)
{
    assert (config);
    hl_master_t *self = (hl_master_t *)hl_alloc (sizeof (hl_master_t));
    self->health_timer = -1;
    self->config = config;
    self->started_ms = zclock_mono ();
    const hl_config_master_t *mc = hl_config_master (config);
    const hl_config_limits_t *lc = hl_config_limits (config);
    self->limits = lc->decode;
    hl_limits_lower (&self->limits);

    char host[64] = "localhost";
    gethostname (host, sizeof host - 1);
    snprintf (self->src, sizeof self->src, "master@%s:%d", host,
              (int)getpid ());

    if (s_bind (self, err, errsize))
        goto fail;
    self->kpi = hl_kpi_new (config);
    self->webhook = hl_webhook_new (config, self->src);
    self->dispatch = hl_dispatch_new (self->tasks, config, self->src,
                                      s_dispatch_event, s_wants, self);
    s_guard_new (self);
    self->loop = zloop_new ();
    if (s_store_open (self, err, errsize))
        goto fail;
    if (self->store) {
        zloop_reader (self->loop, (zsock_t *)hl_store_sock (self->store),
                      s_store_readable, self);
        zloop_timer (self->loop, S_STORE_FLUSH_MS, 0, s_store_flush, self);
    }
    /*  Heartbeats, expiry, deadlines and retries: every 10 ms (or ten
        times a heartbeat, if that is more often), so that the peers'
        scan, a slice a tick, sends a big swarm's beats in a trickle. */
    int tick = mc->heartbeat_ms / 10;
    zloop_timer (self->loop,
                 tick < 1    ? 1
                 : tick > 10 ? 10
                             : tick,
                 0, s_tick, self);
    zloop_reader (self->loop, self->control, s_control_readable, self);
    zloop_reader (self->loop, self->tasks, s_tasks_readable, self);
    zloop_reader (self->loop, self->intake, s_intake_readable, self);
    zloop_timer (self->loop, 1000, 0, s_second, self);
    if (self->statsd_udp) {
        self->statsd = hl_statsd_new (config);
        zmq_pollitem_t item
            = { NULL, hl_udp_fd (self->statsd_udp), ZMQ_POLLIN, 0 };
        zloop_poller (self->loop, &item, s_statsd_readable, self);
        hl_log_notice ("statsd: listening on udp %s",
                       hl_udp_endpoint (self->statsd_udp));
    }

    hl_master_scale_start (self);
    self->learning = hl_learning_new (config, hl_config_cycle (config)->seed);
    self->planner = hl_planner_new (config);
    hl_cycle_deps_t deps
        = { config,        self->kpi,   self->dispatch, self->learning,
            self->planner, self->store, self->loop,     s_cycle_publish,
            s_wants,       self,        self->src };
    self->cycle = hl_cycle_new (&deps, err, errsize);
    if (!self->cycle)
        goto fail;
    if (self->store)
        hl_store_recovered_done (self->store);
    hl_watch_deps_t watch
        = { config, self->kpi, self->cycle, s_cycle_publish, s_wants, self };
    self->watch = hl_watch_new (&watch, hl_msg_now_us ());
    self->notify = hl_notify_new (self->loop, s_notify_status, self);
    /*  A status asked for before the first second says which metrics
        have no data yet, rather than nothing at all. */
    s_health (self, hl_msg_now_us ());
    return self;
fail:
    hl_master_destroy (&self);
    return NULL;
}

void
hl_master_destroy (hl_master_t **self_p)
{
    assert (self_p);
    hl_master_t *self = *self_p;
    if (!self)
        return;
    /*  The engine first (it ends its timers on the loop and disowns its
        tasks), then the loop, then the dispatcher (which tells the
        disowned tasks' ends). */
    hl_http_destroy (&self->http); /* its threads use the sockets below */
    hl_cycle_destroy (&self->cycle);
    hl_watch_destroy (&self->watch);   /* after: a run's end may tell it */
    hl_notify_destroy (&self->notify); /* its timers are on the loop */
    zloop_destroy (&self->loop);
    hl_dispatch_destroy (&self->dispatch);
    hl_master_scale_stop (self); /* after: the dispatcher tells it */
    hl_offender_destroy (&self->tasks_bans);
    hl_offender_destroy (&self->control_bans);
    hl_idem_destroy (&self->idem);
    hl_store_destroy (&self->store); /* what the engine wrote last, too */
    hl_webhook_destroy (&self->webhook);
    hl_planner_destroy (&self->planner);
    hl_learning_destroy (&self->learning);
    hl_health_destroy (&self->health);
    hl_kpi_destroy (&self->kpi);
    hl_statsd_destroy (&self->statsd);
    hl_udp_destroy (&self->statsd_udp);
    zsock_destroy (&self->pub);
    zsock_destroy (&self->tasks);
    hl_outbox_destroy (&self->outbox);
    zsock_destroy (&self->control);
    hl_proxy_destroy (&self->proxy);
    hl_zap_destroy (&self->zap); /* after the sockets it watches */
    hl_curve_destroy (&self->curve);
    free (self);
    *self_p = NULL;
}

const char *
hl_master_ready_line (const hl_master_t *self)
{
    return self->ready;
}

int
hl_master_run (hl_master_t *self)
{
    /*  Ready for systemd when ready on stdout: bound, store open, the
        ready line printed by main just before this. */
    hl_notify_ready (self->notify);
    /*  zloop returns -1 when interrupted by SIGINT/SIGTERM (czmq's
        handler sets zsys_interrupted): that is a clean stop. */
    zloop_start (self->loop);
    hl_notify_stopping (self->notify);
    return 0;
}
