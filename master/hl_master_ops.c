/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_master_ops - the control operations of the master's reactor
    (status, run, cycles, report, actions, audit, metric.push, agents,
    task.run, task.cancel, pause and resume), each from a request to its
    reply. A file of hl_master; they share hl_master_priv.h. Every
    request's arguments passed hl_args_check before its op runs: an op
    reads them without checking their types or ranges again.
*/
#include "hl_master_priv.h"

#define S_AUDIT_MAX HL_ARGS_AUDIT_MAX /* records in one reply: < 1 MiB */

/*  A copy of key from the map from, or nil. */
static hl_value_t *
s_copy (const hl_value_t *from, const char *key)
{
    const hl_value_t *v = hl_value_get (from, key);
    return v ? hl_value_dup (v) : hl_value_new_nil ();
}

/*  The seed's system-wide KPIs and orchestration figures (design §5), in
    one place for "status --json": "kpis" and "orchestration". */
static void
s_seed_figures (hl_master_t *self, hl_value_t *data, const hl_value_t *cycle)
{
    hl_value_t *k = hl_value_new_map ();
    double score = self->health ? hl_health_score (self->health) : NAN;
    hl_value_t *v
        = isfinite (score) ? hl_value_new_double (score) : hl_value_new_nil ();
    hl_value_set (k, "overall_health_score", &v);
    v = s_copy (cycle, "optimization_success_rate");
    hl_value_set (k, "optimization_success_rate", &v);
    /*  Availability: the share of scored seconds the service spent at or
        above the emergency threshold. */
    v = self->scored_s ? hl_value_new_double ((double)self->available_s
                                              / (double)self->scored_s)
                       : hl_value_new_nil ();
    hl_value_set (k, "system_availability", &v);
    v = s_copy (cycle, "concurrent_optimization_efficiency");
    hl_value_set (k, "concurrent_optimization_efficiency", &v);
    hl_value_set (data, "kpis", &k);

    hl_value_t *o = hl_dispatch_coordination (self->dispatch);
    v = s_copy (cycle, "cycle_completion_rate");
    hl_value_set (o, "cycle_completion_rate", &v);
    /*  Nothing to measure before the first run: null, not 100% */
    if (!hl_value_get_int (cycle, "started", 0)) {
        v = hl_value_new_nil ();
        hl_value_set (o, "cycle_completion_rate", &v);
    }
    v = s_copy (hl_value_get (cycle, "emergency"), "last_response_ms");
    hl_value_set (o, "emergency_response_ms", &v);
    hl_planner_stats_t ps = hl_planner_stats (self->planner);
    hl_value_t *c = hl_value_new_map ();
    hl_value_set_int (c, "actions", (int64_t)ps.started);
    hl_value_set_int (c, "occurred", (int64_t)ps.conflicts);
    hl_value_set_int (c, "held_back", (int64_t)ps.held_back);
    v = ps.started
            ? hl_value_new_double ((double)ps.conflicts / (double)ps.started)
            : hl_value_new_nil ();
    hl_value_set (c, "rate", &v);
    hl_value_set (o, "conflicts", &c);
    hl_value_set (data, "orchestration", &o);
}

/*  What the config makes of the cycle and the emergency, for a reader of
    status (the launcher's "every 20 s", the text status): added to the
    engine's own figures. */
static void
s_cycle_settings (hl_master_t *self, hl_value_t *cycle)
{
    const hl_config_cycle_t *cc = hl_config_cycle (self->config);
    hl_value_set_int (cycle, "duration_s", cc->duration);
    hl_value_set_int (cycle, "settle_s", cc->settle);
    hl_value_set_int (cycle, "verify_window_s", cc->verify_window);
    hl_value_set_double (cycle, "emergency_threshold",
                         hl_config_emergency (self->config)->threshold);
    if (!hl_value_get_int (cycle, "started", 0)) {
        hl_value_t *none = hl_value_new_nil ();
        hl_value_set (cycle, "cycle_completion_rate", &none);
    }
}

static hl_value_t *
s_input_json (const hl_master_input_t *input)
{
    hl_value_t *map = hl_value_new_map ();
    hl_value_set_int (map, "received", (int64_t)input->received);
    hl_value_set_int (map, "rejected", (int64_t)input->rejected);
    hl_value_t *by = hl_value_new_map ();
    for (int i = 1; i < HL_ERR_COUNT; i++)
        if (input->rejected_by[i])
            hl_value_set_int (by, hl_errname (-i),
                              (int64_t)input->rejected_by[i]);
    hl_value_set (map, "rejected_by", &by);
    return map;
}

/*  The store's figures, or {"enabled": false}. */
static hl_value_t *
s_store_status (hl_master_t *self)
{
    hl_value_t *v = hl_value_new_map ();
    hl_value_set_bool (v, "enabled", self->store != NULL);
    if (!self->store)
        return v;
    hl_store_stats_t st;
    hl_store_stats (self->store, &st);
    hl_value_set_str (v, "file", hl_config_store (self->config)->file);
    hl_value_set_bool (v, "writable", st.writable);
    hl_value_set_int (v, "written", (int64_t)st.written);
    hl_value_set_int (v, "transactions", (int64_t)st.transactions);
    hl_value_set_int (v, "failures", (int64_t)st.failures);
    hl_value_set_int (v, "backlog", (int64_t)st.backlog);
    hl_value_set_int (v, "backlog_bytes", (int64_t)st.backlog_bytes);
    hl_value_set_int (v, "dropped", (int64_t)st.dropped);
    hl_value_set_str (v, "error", st.error);
    return v;
}

/*  An offender table's figures. */
static hl_value_t *
s_offenders (hl_offender_t *bans)
{
    hl_offender_stats_t st;
    hl_offender_stats (bans, zclock_mono (), &st);
    hl_value_t *v = hl_value_new_map ();
    hl_value_set_int (v, "tracked", (int64_t)st.tracked);
    hl_value_set_int (v, "banned", (int64_t)st.banned);
    hl_value_set_int (v, "bans", (int64_t)st.bans);
    hl_value_set_int (v, "dropped", (int64_t)st.dropped);
    hl_value_set_int (v, "untracked", (int64_t)st.untracked);
    return v;
}

/*  What guards the control socket, into its status group: requests its
    ops refused (by reason), the idempotency table and the offenders. */
static void
s_guard_status (hl_master_t *self, hl_value_t *control)
{
    hl_value_set_int (control, "refused", (int64_t)self->refused);
    hl_value_t *by = hl_value_new_map ();
    for (int i = 1; i < HL_ERR_COUNT; i++)
        if (self->refused_by[i])
            hl_value_set_int (by, hl_errname (-i),
                              (int64_t)self->refused_by[i]);
    hl_value_set (control, "refused_by", &by);
    hl_idem_stats_t st;
    hl_idem_stats (self->idem, &st);
    hl_value_t *idem = hl_value_new_map ();
    hl_value_set_int (idem, "entries", (int64_t)st.entries);
    hl_value_set_int (idem, "bytes", (int64_t)st.bytes);
    hl_value_set_int (idem, "clients", (int64_t)st.clients);
    hl_value_set_int (idem, "replayed", (int64_t)st.replayed);
    hl_value_set_int (idem, "held", (int64_t)st.held);
    hl_value_set_int (idem, "dropped", (int64_t)st.dropped);
    hl_value_set_int (idem, "evicted", (int64_t)st.evicted);
    hl_value_set_int (idem, "expired", (int64_t)st.expired);
    hl_value_set_int (idem, "unkept", (int64_t)st.unkept);
    hl_value_set (control, "idempotency", &idem);
    hl_value_t *ov = s_offenders (self->control_bans);
    hl_value_set (control, "offenders", &ov);
}

static int
s_op_status (hl_master_t *self, const hl_msg_t *request, hl_value_t **data_p,
             char *error, size_t errsize)
{
    (void)request;
    hl_proxy_stats_t bus;
    if (hl_proxy_stats (self->proxy, &bus)) {
        snprintf (error, errsize, "bus proxy does not answer");
        return HL_ERR_TIMEOUT;
    }
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "version", HL_VERSION);
    hl_value_set_str (data, "src", self->src);
    hl_value_set_int (data, "pid", (int64_t)getpid ());
    hl_value_set_double (data, "uptime_s",
                         (double)(zclock_mono () - self->started_ms) / 1000.0);

    hl_value_t *eps = hl_value_new_map ();
    hl_value_set_str (eps, "tasks", self->tasks_ep);
    hl_value_set_str (eps, "control", self->control_ep);
    hl_value_set_str (eps, "bus_in", hl_proxy_bus_in (self->proxy));
    hl_value_set_str (eps, "bus_out", hl_proxy_bus_out (self->proxy));
    if (self->http)
        hl_value_set_str (eps, "http", hl_http_endpoint (self->http));
    if (self->statsd_udp)
        hl_value_set_str (eps, "statsd", hl_udp_endpoint (self->statsd_udp));
    hl_value_set (data, "endpoints", &eps);

    hl_value_t *bv = hl_value_new_map ();
    hl_value_set_int (bv, "received", (int64_t)bus.received);
    hl_value_set_int (bv, "forwarded", (int64_t)bus.forwarded);
    hl_value_set_int (bv, "bytes", (int64_t)bus.bytes);
    hl_value_set_int (bv, "dropped", (int64_t)bus.dropped);
    hl_value_set_int (bv, "rejected", (int64_t)bus.rejected);
    hl_value_set_int (bv, "subscribers", (int64_t)bus.subscribers);
    hl_value_set_int (bv, "intake", (int64_t)bus.intake);
    hl_value_set_int (bv, "intake_dropped", (int64_t)bus.intake_dropped);
    hl_value_t *by = hl_value_new_map ();
    for (int i = 1; i < HL_ERR_COUNT; i++)
        if (bus.rejected_by[i])
            hl_value_set_int (by, hl_errname (-i), (int64_t)bus.rejected_by[i]);
    hl_value_set (bv, "rejected_by", &by);
    hl_value_set_int (bv, "published", (int64_t)self->published);
    hl_value_set_int (bv, "publish_failed", (int64_t)self->publish_failed);
    hl_value_set (data, "bus", &bv);

    hl_value_t *cv = s_input_json (&self->control_in);
    s_guard_status (self, cv);
    hl_outbox_stats_t ob = hl_outbox_stats (self->outbox);
    hl_value_set_int (cv, "unread_bytes", (int64_t)ob.bytes);
    hl_value_set_int (cv, "unread_clients", (int64_t)ob.clients);
    hl_value_set_int (cv, "unread_refused", (int64_t)ob.refused);
    hl_value_set_int (cv, "replies_too_big", (int64_t)ob.too_big);
    hl_value_set (data, "control", &cv);
    hl_value_t *mv = s_input_json (&self->metrics_in);
    hl_value_set (data, "metrics", &mv);
    if (self->http) {
        hl_value_t *http = hl_http_stats (self->http);
        hl_value_set (data, "http", &http);
    }
    hl_value_t *kv = hl_kpi_status (self->kpi);
    hl_value_set (data, "kpi", &kv);
    hl_value_t *av = hl_master_autoscale_status (self);
    if (av)
        hl_value_set (data, "autoscale", &av);
    if (self->statsd_udp) {
        hl_value_t *sv = hl_statsd_status (self->statsd);
        hl_value_set_int (sv, "kernel_dropped",
                          (int64_t)hl_udp_dropped (self->statsd_udp));
        hl_value_set_int (sv, "rcvbuf", hl_udp_rcvbuf (self->statsd_udp));
        hl_value_set (data, "statsd", &sv);
    }
    if (self->webhook) {
        hl_value_t *wv = hl_webhook_status (self->webhook);
        hl_value_set (data, "webhooks", &wv);
    }
    hl_value_t *watch = hl_watch_status (self->watch);
    hl_value_set (data, "watch", &watch);
    hl_value_t *store = s_store_status (self);
    hl_value_set (data, "store", &store);
    hl_value_t *security = hl_zap_status (self->zap);
    hl_value_set (data, "security", &security);
    hl_value_t *hv = self->health ? hl_health_to_value (self->health)
                                  : hl_value_new_map ();
    hl_value_set (data, "health", &hv);
    hl_value_t *cyv = hl_cycle_status (self->cycle);
    s_cycle_settings (self, cyv);
    s_seed_figures (self, data, cyv);
    hl_value_set (data, "cycle", &cyv);
    hl_value_t *lv = hl_learning_to_value (self->learning);
    hl_value_set (data, "learning", &lv);
    hl_value_t *tv = hl_dispatch_stats (self->dispatch);
    hl_value_t *ov = s_offenders (self->tasks_bans);
    hl_value_set (tv, "offenders", &ov);
    int64_t tasks_rejected = hl_value_get_int (tv, "rejected", 0);
    hl_value_set (data, "tasks", &tv);
    hl_value_set_int (data, "decode_errors",
                      (int64_t)(bus.rejected + self->control_in.rejected
                                + self->metrics_in.rejected)
                          + tasks_rejected);
    *data_p = data;
    return 0;
}

/*  A metric name is what a topic may carry: [A-Za-z0-9_.:-]{1,127}. */
static bool
s_metric_name_ok (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > HL_MAX_METRIC)
        return false;
    return strspn (name, "abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")
           == len;
}

/*  "unknown metric 'x'; known: a, b, c" into error, as many names as fit
    (then how many there are in all). */
static void
s_unknown_metric (hl_master_t *self, const char *name, char *error,
                  size_t errsize)
{
    char esc[64];
    hl_log_escape (esc, sizeof esc, name, strlen (name));
    size_t n = hl_config_metrics_size (self->config);
    int used = snprintf (error, errsize, "metric.push: unknown metric '%s'; %s",
                         esc, n ? "known:" : "the config has no metrics");
    for (size_t i = 0; i < n && used > 0 && (size_t)used < errsize; i++) {
        const char *known = hl_config_metric (self->config, i)->name;
        //  Room for this name and for the tail that says how many
        if ((size_t)used + strlen (known) + 40 >= errsize) {
            snprintf (error + used, errsize - (size_t)used, " ... (%zu in all)",
                      n);
            return;
        }
        used += snprintf (error + used, errsize - (size_t)used, "%s %s",
                          i ? "," : "", known);
    }
}

/*  "0..100", "0..", "..10" or "any value": a metric's range. */
static void
s_range_text (const hl_config_metric_t *m, char *buf, size_t size)
{
    char lo[32] = "", hi[32] = "";
    if (m->min > -DBL_MAX)
        snprintf (lo, sizeof lo, "%g", m->min);
    if (m->max < DBL_MAX)
        snprintf (hi, sizeof hi, "%g", m->max);
    if (!*lo && !*hi)
        snprintf (buf, size, "any value");
    else
        snprintf (buf, size, "%s..%s", lo, hi);
}

static int
s_op_metric_push (hl_master_t *self, const hl_msg_t *request,
                  hl_value_t **data_p, char *error, size_t errsize)
{
    const hl_value_t *args = hl_msg_args (request);
    const char *name = hl_value_get_str (args, "name", NULL);
    const hl_value_t *value = hl_value_get (args, "value");
    double v;
    if (name && strlen (name) > HL_MAX_METRIC) {
        snprintf (error, errsize, "metric.push: name too long (%zu > %d)",
                  strlen (name), HL_MAX_METRIC);
        return HL_ERR_ARGS;
    }
    if (!name || !s_metric_name_ok (name)) {
        snprintf (error, errsize,
                  "metric.push: name must be 1-%d of "
                  "[A-Za-z0-9_.:-]",
                  HL_MAX_METRIC);
        return HL_ERR_ARGS;
    }
    if (!value || hl_value_double (value, &v) || !isfinite (v)) {
        snprintf (error, errsize,
                  "metric.push: value must be a finite "
                  "number");
        return HL_ERR_ARGS;
    }
    /*  The tracker would refuse these quietly, counting them; a person
        typing the sample wants to know at once. Other publishers' unknown
        names are still counted on the bus. */
    const hl_config_metric_t *declared
        = hl_config_metric_find (self->config, name);
    if (!declared) {
        s_unknown_metric (self, name, error, errsize);
        return HL_ERR_ARGS;
    }
    if (v < declared->min || v > declared->max) {
        char range[80];
        s_range_text (declared, range, sizeof range);
        snprintf (error, errsize,
                  "metric.push: %g is out of %s's range %s%s%s%s", v, name,
                  range, *declared->unit ? " (" : "", declared->unit,
                  *declared->unit ? ")" : "");
        return HL_ERR_RANGE;
    }
    hl_msg_t *metric = hl_msg_new (HL_MSG_METRIC);
    hl_msg_set_name (metric, name);
    hl_msg_set_value (metric, v);
    hl_msg_set_sample_ts (metric, hl_msg_now_us ());
    char topic[HL_MAX_TOPIC + 1];
    hl_msg_topic (metric, topic, sizeof topic);
    int rc = hl_master_publish (self, &metric);
    if (rc) {
        snprintf (error, errsize, "metric.push: %s", hl_strerror (rc));
        return rc;
    }
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "topic", topic);
    *data_p = data;
    return 0;
}

/*  A control request waiting for its task's end. */
typedef struct {
    hl_master_t *master;
    uint8_t rid[HL_MAX_ROUTING_ID];
    size_t rid_len;
    uint64_t re;
    bool reply;  /* the client waits for the end */
    bool stored; /* the task's row is in the store: end it there */
    hl_store_task_t row;
    char action[HL_MAX_NAME + 1];
} s_waiter_t;

/*  Who to answer, and to what, when a request's work ends later. */
static s_waiter_t *
s_waiter_new (hl_master_t *self, const hl_msg_t *request)
{
    s_waiter_t *waiter = (s_waiter_t *)hl_alloc (sizeof (s_waiter_t));
    size_t rid_len;
    const uint8_t *rid = hl_msg_routing_id (request, &rid_len);
    waiter->master = self;
    memcpy (waiter->rid, rid, rid_len);
    waiter->rid_len = rid_len;
    waiter->re = hl_msg_id (request);
    waiter->reply = true;
    return waiter;
}

static void
s_task_done (void *arg, const hl_task_end_t *end)
{
    s_waiter_t *waiter = (s_waiter_t *)arg;
    if (waiter->stored && waiter->master->store) {
        waiter->row.status = hl_status_name (end->status);
        waiter->row.ended_us = hl_msg_now_us ();
        hl_store_task (waiter->master->store, &waiter->row);
    }
    if (!waiter->reply) {
        free (waiter);
        return;
    }
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_int (data, "task_id", (int64_t)end->task_id);
    hl_value_set_str (data, "status", hl_status_name (end->status));
    hl_value_set_int (data, "attempts", end->attempts);
    hl_value_set_str (data, "agent", end->agent);
    hl_value_set_int (data, "duration_us", (int64_t)end->duration_us);
    hl_value_set_int (data, "latency_us", end->latency_us);
    if (end->data) {
        hl_value_t *copy = hl_value_dup (end->data);
        hl_value_set (data, "data", &copy);
    }
    hl_master_reply (waiter->master, waiter->rid, waiter->rid_len, waiter->re,
                     true, &data, NULL);
    free (waiter);
}

/*  A client's task into the store before it is sent, with its audit
    line; a change (apply, rollback) waits for the disk. Its id. */
static uint64_t
s_task_record (hl_master_t *self, const hl_msg_t *request,
               const hl_task_spec_t *spec, s_waiter_t *waiter)
{
    uint64_t id = hl_dispatch_reserve (self->dispatch);
    snprintf (waiter->action, sizeof waiter->action, "%s",
              spec->action ? spec->action : "");
    waiter->stored = true;
    waiter->row = (hl_store_task_t){ id,
                                     0,
                                     0,
                                     hl_kind_name (spec->kind),
                                     spec->role == HL_DISPATCH_ANY
                                         ? "any"
                                         : hl_role_name (spec->role),
                                     *waiter->action ? waiter->action : NULL,
                                     "queued",
                                     hl_msg_now_us (),
                                     0 };
    hl_store_task (self->store, &waiter->row);
    char who[HL_MAX_NAME + 1], why[512];
    hl_log_escape (who, sizeof who, hl_msg_src (request),
                   strlen (hl_msg_src (request)));
    snprintf (why, sizeof why, "task %" PRIu64 ": %s for %s%s%s", id,
              waiter->row.kind, waiter->row.role, *waiter->action ? ", " : "",
              waiter->action);
    hl_store_audit_t audit
        = { hl_msg_now_us (), 0, waiter->row.action, "requested", who, why };
    hl_store_audit (self->store, &audit);
    if (hl_kind_changes (spec->kind) && hl_store_commit (self->store, 1000))
        hl_log_warning ("store: task %" PRIu64 " sent before it is on disk",
                        id);
    return id;
}

static int
s_op_task_run (hl_master_t *self, const hl_msg_t *request, hl_value_t **data_p,
               char *error, size_t errsize)
{
    const hl_value_t *args = hl_msg_args (request);
    /*  Kind and role arrive as names; inside they are hl_names enums. */
    const char *kind_name = hl_value_get_str (args, "kind", "echo");
    const char *role_name = hl_value_get_str (args, "role", "any");
    char esc[64];
    int kind = hl_kind_parse (kind_name);
    if (kind < 0) {
        hl_log_escape (esc, sizeof esc, kind_name, strlen (kind_name));
        snprintf (error, errsize, "task.run: unknown kind '%s'", esc);
        return HL_ERR_ARGS;
    }
    int role = streq (role_name, "any") ? HL_DISPATCH_ANY
                                        : hl_role_parse (role_name);
    if (role < 0 && role != HL_DISPATCH_ANY) {
        hl_log_escape (esc, sizeof esc, role_name, strlen (role_name));
        snprintf (error, errsize, "task.run: unknown role '%s'", esc);
        return HL_ERR_ARGS;
    }
    /*  hl_args held priority to 1..4: the cast cannot wrap. */
    hl_task_spec_t spec
        = { .kind = (hl_task_kind_t)kind,
            .role = role,
            .action = hl_value_get_str (args, "action", NULL),
            .priority = (uint32_t)hl_value_get_int (args, "priority", 3),
            .emergency = false,
            .deadline_ms = 0 };
    /*  No agent takes an apply or a rollback without its action: such a
        task would wait in the queue for good. */
    if ((kind == HL_KIND_APPLY || kind == HL_KIND_ROLLBACK) && !spec.action) {
        snprintf (error, errsize, "task.run: kind %s needs an action [%s]",
                  hl_kind_name ((hl_task_kind_t)kind),
                  hl_errname (HL_ERR_MISSING));
        return HL_ERR_MISSING;
    }
    const hl_value_t *v = hl_value_get (args, "emergency");
    if (v && hl_value_bool (v, &spec.emergency)) {
        snprintf (error, errsize, "task.run: emergency must be a bool");
        return HL_ERR_ARGS;
    }
    int64_t deadline = hl_value_get_int (args, "deadline_ms", 0);
    if (deadline < 0 || deadline > 24 * 3600 * 1000) {
        snprintf (error, errsize, "task.run: deadline_ms out of range");
        return HL_ERR_ARGS;
    }
    spec.deadline_ms = (uint32_t)deadline;
    bool wait = true;
    v = hl_value_get (args, "wait");
    if (v && hl_value_bool (v, &wait)) {
        snprintf (error, errsize, "task.run: wait must be a bool");
        return HL_ERR_ARGS;
    }
    const hl_value_t *targs = hl_value_get (args, "args");
    if (targs && hl_value_type (targs) != HL_VALUE_MAP) {
        snprintf (error, errsize, "task.run: args must be a map");
        return HL_ERR_ARGS;
    }
    hl_value_t *copy = targs ? hl_value_dup (targs) : NULL;
    /*  A task of a client that is no echo (an apply, a rollback...) is
        written first, as a run's are: echoes are only counted, at the
        rates a benchmark sends them. */
    bool stored = self->store && spec.kind != HL_KIND_ECHO;
    s_waiter_t *waiter = wait || stored ? s_waiter_new (self, request) : NULL;
    if (waiter)
        waiter->reply = wait;
    if (stored)
        spec.id = s_task_record (self, request, &spec, waiter);
    uint64_t id = hl_dispatch_submit (self->dispatch, &spec, &copy,
                                      waiter ? s_task_done : NULL, waiter);
    if (!id) {
        if (stored) {
            waiter->row.status = "failed";
            waiter->row.ended_us = hl_msg_now_us ();
            hl_store_task (self->store, &waiter->row);
        }
        free (waiter);
        /*  Named first ("queue_bytes: ..."), so a client can tell a full
            queue from a bad request. */
        snprintf (error, errsize, "task.run: %s",
                  hl_dispatch_refusal (self->dispatch));
        return HL_ERR_ARGS;
    }
    if (wait)
        return 1; /* the reply comes when the task ends */
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_int (data, "task_id", (int64_t)id);
    *data_p = data;
    return 0;
}

static int
s_op_task_cancel (hl_master_t *self, const hl_msg_t *request,
                  hl_value_t **data_p, char *error, size_t errsize)
{
    (void)data_p;
    int64_t id = hl_value_get_int (hl_msg_args (request), "task_id", 0);
    if (id <= 0 || hl_dispatch_cancel (self->dispatch, (uint64_t)id)) {
        snprintf (error, errsize, "task.cancel: no open task %" PRId64, id);
        return HL_ERR_ARGS;
    }
    return 0;
}

/*  A list's paging arguments: from (a cursor a reply's next gave, 1..)
    and limit (items, 1..HL_MAX_ITEMS); either may be absent. */
static int
s_page_args (const hl_msg_t *request, const char *op, uint64_t *from_p,
             size_t *limit_p, char *error, size_t errsize)
{
    const hl_value_t *args = hl_msg_args (request);
    *from_p = 0;
    *limit_p = 0;
    const hl_value_t *v = hl_value_get (args, "from");
    if (v && (hl_value_uint (v, from_p) || *from_p == 0)) {
        snprintf (error, errsize,
                  "%s: from must be a cursor a reply's "
                  "next gave (an integer >= 1)",
                  op);
        return HL_ERR_ARGS;
    }
    uint64_t limit = 0;
    v = hl_value_get (args, "limit");
    if (v && (hl_value_uint (v, &limit) || limit < 1 || limit > HL_MAX_ITEMS)) {
        snprintf (error, errsize, "%s: limit must be 1..%d", op, HL_MAX_ITEMS);
        return HL_ERR_ARGS;
    }
    *limit_p = (size_t)limit;
    return 0;
}

/*  The page is the reply: its items, next and more; too_big when not
    even its first item fits a message. */
static int
s_page_reply (hl_master_t *self, hl_page_t **page_p, const char *op,
              hl_value_t **data_p, char *error, size_t errsize)
{
    hl_page_t *page = *page_p;
    int rc = 0;
    if (hl_page_size (page) == 0 && hl_page_more (page)) {
        snprintf (error, errsize,
                  "%s: too_big: an item is over the %zu-byte "
                  "message limit",
                  op, self->limits.max_msg_size);
        hl_log_warning ("control: %s", error);
        rc = HL_ERR_TOO_BIG;
    } else {
        *data_p = hl_page_items (page);
        self->page_next = hl_page_next (page);
        self->page_more = hl_page_more (page);
    }
    hl_page_destroy (page_p);
    return rc;
}

/*  The agents in the order they joined, one page: the cursor is a
    peer's joined_seq, so a page resumes where the last stopped however
    many came and went meanwhile. */
static int
s_op_agents (hl_master_t *self, const hl_msg_t *request, hl_value_t **data_p,
             char *error, size_t errsize)
{
    uint64_t from;
    size_t limit, n, i;
    if (s_page_args (request, "agents", &from, &limit, error, errsize))
        return HL_ERR_ARGS;
    hl_peer_t **peers
        = hl_registry_since (hl_dispatch_registry (self->dispatch), from, &n);
    hl_page_t *page = hl_page_new (self->limits.max_msg_size, limit);
    int64_t now = zclock_mono ();
    for (i = 0; i < n; i++) {
        hl_value_t *a = hl_peer_to_value (peers[i], now);
        if (!hl_page_add (page, &a, peers[i]->joined_seq)) {
            i++;
            break;
        }
    }
    hl_page_skip (page, n - i);
    free (peers);
    return s_page_reply (self, &page, "agents", data_p, error, errsize);
}

static int
s_op_pause (hl_master_t *self, const hl_msg_t *request, hl_value_t **data_p,
            char *error, size_t errsize)
{
    (void)data_p;
    (void)error;
    (void)errsize;
    bool paused = streq (hl_msg_op (request), "pause");
    /*  The engine decides dispatch's pause: the user's and an
        emergency's hold together. */
    hl_cycle_pause (self->cycle, paused);
    return 0;
}

static void
s_run_done (void *arg, const hl_value_t *report)
{
    s_waiter_t *waiter = (s_waiter_t *)arg;
    hl_value_t *data = hl_value_dup (report);
    hl_master_reply (waiter->master, waiter->rid, waiter->rid_len, waiter->re,
                     true, &data, NULL);
    free (waiter);
}

static int
s_op_run (hl_master_t *self, const hl_msg_t *request, hl_value_t **data_p,
          char *error, size_t errsize)
{
    const hl_value_t *args = hl_msg_args (request);
    const char *kind = hl_value_get_str (args, "kind", "optimization");
    bool wait = false;
    const hl_value_t *v = hl_value_get (args, "wait");
    if (v && hl_value_bool (v, &wait)) {
        snprintf (error, errsize, "run: wait must be a bool");
        return HL_ERR_ARGS;
    }
    const hl_value_t *params = hl_value_get (args, "params");
    if (params && hl_value_type (params) != HL_VALUE_MAP) {
        snprintf (error, errsize, "run: params must be a map");
        return HL_ERR_ARGS;
    }
    hl_value_t *copy = params ? hl_value_dup (params) : NULL;
    s_waiter_t *waiter = wait ? s_waiter_new (self, request) : NULL;
    uint64_t id
        = hl_cycle_run (self->cycle, kind, &copy, hl_msg_src (request),
                        wait ? s_run_done : NULL, waiter, error, errsize);
    if (!id) {
        free (waiter);
        return HL_ERR_UNSUPPORTED;
    }
    if (wait)
        return 1; /* the report is the reply */
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_int (data, "id", (int64_t)id);
    hl_value_set_str (data, "kind", kind);
    *data_p = data;
    return 0;
}

static int
s_op_cycles (hl_master_t *self, const hl_msg_t *request, hl_value_t **data_p,
             char *error, size_t errsize)
{
    uint64_t from;
    size_t limit, i;
    if (s_page_args (request, "cycles", &from, &limit, error, errsize))
        return HL_ERR_ARGS;
    /*  Newest first: the cursor is a run's id, and a page holds the runs
        of that id and older. */
    hl_value_t *all = hl_cycle_list (self->cycle);
    hl_page_t *page = hl_page_new (self->limits.max_msg_size, limit);
    size_t n = hl_value_size (all);
    for (i = 0; i < n; i++) {
        const hl_value_t *run = hl_value_at (all, i);
        int64_t id = hl_value_get_int (run, "id", 0);
        if (from && (id <= 0 || (uint64_t)id > from))
            continue;
        hl_value_t *copy = hl_value_dup (run);
        if (!hl_page_add (page, &copy, id > 0 ? (uint64_t)id : 1)) {
            i++;
            break;
        }
    }
    hl_page_skip (page, n - i);
    hl_value_destroy (&all);
    return s_page_reply (self, &page, "cycles", data_p, error, errsize);
}

static int
s_op_report (hl_master_t *self, const hl_msg_t *request, hl_value_t **data_p,
             char *error, size_t errsize)
{
    const hl_value_t *args = hl_msg_args (request);
    int64_t id = hl_value_get_int (args, "id", 0);
    const char *format = hl_value_get_str (args, "format", "json");
    if (id < 0 || (!streq (format, "json") && !streq (format, "md"))) {
        snprintf (error, errsize, "report: id >= 0, format json or md");
        return HL_ERR_ARGS;
    }
    const hl_value_t *report = hl_cycle_report (self->cycle, (uint64_t)id);
    if (!report) {
        if (id)
            snprintf (error, errsize, "report: no report %" PRId64, id);
        else
            snprintf (error, errsize, "report: no run has finished yet");
        return HL_ERR_ARGS;
    }
    if (streq (format, "md")) {
        char *md = hl_report_markdown (report);
        *data_p = hl_value_new_str (md);
        free (md);
    } else
        *data_p = hl_value_dup (report);
    return 0;
}

static int
s_op_actions (hl_master_t *self, const hl_msg_t *request, hl_value_t **data_p,
              char *error, size_t errsize)
{
    (void)request;
    (void)error;
    (void)errsize;
    *data_p = hl_cycle_actions (self->cycle);
    return 0;
}

static int
s_op_action_release (hl_master_t *self, const hl_msg_t *request,
                     hl_value_t **data_p, char *error, size_t errsize)
{
    const char *name = hl_value_get_str (hl_msg_args (request), "name", NULL);
    if (!name) {
        snprintf (error, errsize, "action.release: name must be a string");
        return HL_ERR_ARGS;
    }
    if (hl_cycle_release (self->cycle, name, error, errsize))
        return HL_ERR_ARGS;
    char who[HL_MAX_NAME + 1];
    hl_log_escape (who, sizeof who, hl_msg_src (request),
                   strlen (hl_msg_src (request)));
    hl_store_audit_t row
        = { hl_msg_now_us (), 0,   name,
            "released",       who, "released from quarantine by hand" };
    if (self->store)
        hl_store_audit (self->store, &row);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "released", name);
    *data_p = data;
    return 0;
}

/*  The audit log: {since (us, 0 = all), action, limit (1..S_AUDIT_MAX,
    S_AUDIT_MAX by default)} -> {records: [...], limit}. */
static int
s_op_audit (hl_master_t *self, const hl_msg_t *request, hl_value_t **data_p,
            char *error, size_t errsize)
{
    const hl_value_t *args = hl_msg_args (request);
    if (!self->store) {
        snprintf (error, errsize,
                  "audit: the store is off (store.enabled = false)");
        return HL_ERR_UNSUPPORTED;
    }
    int64_t since = 0, limit = S_AUDIT_MAX;
    const hl_value_t *v = hl_value_get (args, "since");
    if (v && (hl_value_int (v, &since) || since < 0)) {
        snprintf (error, errsize, "audit: since must be microseconds >= 0");
        return HL_ERR_ARGS;
    }
    v = hl_value_get (args, "limit");
    if (v && (hl_value_int (v, &limit) || limit < 1 || limit > S_AUDIT_MAX)) {
        snprintf (error, errsize, "audit: limit must be 1..%d", S_AUDIT_MAX);
        return HL_ERR_ARGS;
    }
    const char *action = NULL;
    v = hl_value_get (args, "action");
    if (v) {
        action = hl_value_get_str (args, "action", NULL);
        if (!action || !*action || strlen (action) > HL_MAX_NAME) {
            snprintf (error, errsize, "audit: action must be a name");
            return HL_ERR_ARGS;
        }
    }
    char why[256];
    hl_value_t *records = hl_store_audit_query (self->store, since, action,
                                                (size_t)limit, why, sizeof why);
    if (!records) {
        snprintf (error, errsize, "audit: %s", why);
        return HL_ERR_IO;
    }
    /*  Trimmed, not paged: the newest that fit a message; the reply's
        more counts the older ones left out (narrow with since, action or
        limit). */
    size_t n = hl_value_size (records), first = n, used = 0;
    size_t budget = self->limits.max_msg_size - HL_PAGE_OVERHEAD - 64;
    while (first > 0) {
        size_t size = hl_msg_value_size (hl_value_at (records, first - 1));
        if (size > budget - used)
            break;
        used += size;
        first--;
    }
    if (first > 0) {
        hl_value_t *kept = hl_value_new_array ();
        for (size_t i = first; i < n; i++) {
            hl_value_t *copy = hl_value_dup (hl_value_at (records, i));
            hl_value_append (kept, &copy);
        }
        hl_value_destroy (&records);
        records = kept;
        self->page_more = first;
    }
    hl_value_t *data = hl_value_new_map ();
    hl_value_set (data, "records", &records);
    hl_value_set_int (data, "limit", limit);
    hl_value_set_int (data, "left_out", (int64_t)first);
    *data_p = data;
    return 0;
}

static const struct {
    const char *op;
    hl_master_op_fn *fn;
} s_ops[] = {
    { "actions", s_op_actions },
    { "audit", s_op_audit },
    { "action.release", s_op_action_release },
    { "run", s_op_run },
    { "cycles", s_op_cycles },
    { "report", s_op_report },
    { "status", s_op_status },
    { "metric.push", s_op_metric_push },
    { "agents", s_op_agents },
    { "task.run", s_op_task_run },
    { "task.cancel", s_op_task_cancel },
    { "pause", s_op_pause },
    { "resume", s_op_pause },
    { "scale", hl_master_op_scale },
    { "nodes", hl_master_op_nodes },
};

hl_master_op_fn *
hl_master_op (const char *op)
{
    for (size_t i = 0; op && i < sizeof s_ops / sizeof s_ops[0]; i++)
        if (streq (op, s_ops[i].op))
            return s_ops[i].fn;
    return NULL;
}
