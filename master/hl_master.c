/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_master - the orchestrator's reactor: control requests, the tasks
    socket, the bus proxy and the master's publisher, all driven by one
    zloop on one thread. Every rejected input is counted by reason and
    shown by the "status" operation.
*/
#include <czmq.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "../bus/hl_bus.h"
#include "../bus/hl_log.h"
#include "../bus/hl_proxy.h"
#include "../bus/hl_sock.h"
#include "../bus/hl_udp.h"
#include "../proto/hl_alloc.h"
#include "hl_cycle.h"
#include "hl_report.h"
#include "hl_dispatch.h"
#include "hl_health.h"
#include "hl_http.h"
#include "hl_kpi.h"
#include "hl_learning.h"
#include "hl_master.h"
#include "hl_planner.h"
#include "hl_statsd.h"
#include "hl_watch.h"
#include "hl_webhook.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

/*  Counters of one input socket. */
typedef struct {
    uint64_t received;                  /* whole messages read */
    uint64_t rejected;                  /* of which invalid */
    uint64_t rejected_by[HL_ERR_COUNT]; /* indexed by -hl_err_t */
} s_input_t;

struct _hl_master_t {
    const hl_config_t *config; /* borrowed */
    hl_limits_t limits;        /* decode limits of every input */
    zloop_t *loop;
    zsock_t *control;        /* ROUTER: helios-ctl, HTTP handlers */
    zsock_t *tasks;          /* ROUTER: agents and nodes */
    hl_dispatch_t *dispatch; /* serves the tasks socket */
    zsock_t *pub;            /* XPUB to the proxy's inproc bus-in */
    zsock_t *intake;         /* the proxy's intake: metric samples
                                for the tracker (borrowed) */
    hl_kpi_t *kpi;           /* the KPI tracker */
    hl_health_t *health;     /* the last health computed */
    int64_t health_us;       /* when */
    int health_timer;        /* a recompute is due: its timer, or -1 */
    uint64_t crossings;      /* the tracker's at the last recompute */
    uint64_t scored_s;       /* seconds with a health score */
    uint64_t available_s;    /* of which at or above the threshold */
    hl_learning_t *learning; /* what each action has done so far */
    hl_planner_t *planner;   /* ranks candidate actions */
    hl_cycle_t *cycle;       /* the optimisation cycles */
    hl_proxy_t *proxy;
    hl_http_t *http;       /* master.http, or NULL when off */
    hl_udp_t *statsd_udp;  /* the StatsD listener, or NULL */
    hl_statsd_t *statsd;   /* its lines into samples */
    int64_t statsd_now_us; /* the time of the datagrams being read */
    hl_webhook_t *webhook; /* notifications, or NULL */
    hl_watch_t *watch;     /* early warnings and summaries */
    char tasks_ep[HL_CONFIG_ENDPOINT];
    char control_ep[HL_CONFIG_ENDPOINT];
    char src[HL_MAX_NAME + 1]; /* "master@host:pid" */
    char ready[5 * HL_CONFIG_ENDPOINT + 64];
    int64_t started_ms; /* monotonic */
    s_input_t control_in;
    s_input_t metrics_in;    /* metric messages from the bus */
    uint64_t published;      /* messages the master put on the bus */
    uint64_t publish_failed; /* refused by the publisher (HWM) */
};

/*  Messages handled per wake-up: a poll per message would cost more than
    the message. hl_bus_recv blocks, so read only what ZeroMQ says is
    there. */
#define S_BATCH 256
#define S_INTAKE_HWM_X 10    /* the metric intake's queue, x rcvhwm */
#define S_HEALTH_GAP_US 2000 /* between two recomputes for new samples */

/*  StatsD per wake-up, at most: datagrams, and about this many bytes. */
#define S_STATSD_BATCH 256
#define S_STATSD_BYTES 262144

/*  A control operation: 0 and *data_p to reply ok, a negative hl_err_t
    and error to refuse, or 1 when it will reply itself later. */
typedef int (s_op_fn) (hl_master_t *self, const hl_msg_t *request,
                       hl_value_t **data_p, char *error, size_t errsize);

static void
s_count_reject (s_input_t *input, int err)
{
    input->rejected++;
    if (err < 0 && -err < HL_ERR_COUNT)
        input->rejected_by[-err]++;
}

/*  Reply on the control socket. Takes *data_p. A reply that cannot be
    sent (the client has gone) is only logged: the request was served. */
static void
s_reply (hl_master_t *self, const uint8_t *rid, size_t rid_len, uint64_t re,
         bool ok, hl_value_t **data_p, const char *error)
{
    hl_msg_t *reply = hl_msg_new (HL_MSG_REPLY);
    hl_msg_set_re (reply, re);
    hl_msg_set_src (reply, self->src);
    hl_msg_set_ok (reply, ok);
    if (data_p && *data_p)
        hl_msg_set_data (reply, data_p);
    if (!ok)
        hl_msg_set_error (reply, error);
    hl_msg_set_routing_id (reply, rid, rid_len);
    int rc = hl_bus_send (self->control, &reply);
    if (rc)
        hl_log_info ("control: reply not sent: %s", hl_strerror (rc));
}

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
s_input_json (const s_input_t *input)
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
    hl_value_set (data, "control", &cv);
    hl_value_t *mv = s_input_json (&self->metrics_in);
    hl_value_set (data, "metrics", &mv);
    if (self->http) {
        hl_value_t *http = hl_http_stats (self->http);
        hl_value_set (data, "http", &http);
    }
    hl_value_t *kv = hl_kpi_status (self->kpi);
    hl_value_set (data, "kpi", &kv);
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

static int
s_publish (hl_master_t *self, hl_msg_t **msg_p)
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
    int rc = s_publish (self, &metric);
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
    return waiter;
}

static void
s_task_done (void *arg, const hl_task_end_t *end)
{
    s_waiter_t *waiter = (s_waiter_t *)arg;
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
    s_reply (waiter->master, waiter->rid, waiter->rid_len, waiter->re, true,
             &data, NULL);
    free (waiter);
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
    hl_task_spec_t spec
        = { .kind = (hl_task_kind_t)kind,
            .role = role,
            .action = hl_value_get_str (args, "action", NULL),
            .priority = (uint32_t)hl_value_get_int (args, "priority", 3),
            .emergency = false,
            .deadline_ms = 0 };
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
    s_waiter_t *waiter = wait ? s_waiter_new (self, request) : NULL;
    uint64_t id = hl_dispatch_submit (self->dispatch, &spec, &copy,
                                      wait ? s_task_done : NULL, waiter);
    if (!id) {
        free (waiter);
        snprintf (error, errsize,
                  "task.run: bad priority or action, or the queue is full");
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

static int
s_op_agents (hl_master_t *self, const hl_msg_t *request, hl_value_t **data_p,
             char *error, size_t errsize)
{
    (void)request;
    (void)error;
    (void)errsize;
    *data_p = hl_dispatch_agents (self->dispatch);
    return 0;
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
    s_reply (waiter->master, waiter->rid, waiter->rid_len, waiter->re, true,
             &data, NULL);
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
        = hl_cycle_run (self->cycle, kind, &copy, wait ? s_run_done : NULL,
                        waiter, error, errsize);
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
    (void)request;
    (void)error;
    (void)errsize;
    *data_p = hl_cycle_list (self->cycle);
    return 0;
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
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "released", name);
    *data_p = data;
    return 0;
}

static const struct {
    const char *op;
    s_op_fn *fn;
} s_ops[] = {
    { "actions", s_op_actions },
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
};

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

/*  Handle one control message; false when there was none. */
static bool
s_control_one (hl_master_t *self, zsock_t *sock)
{
    hl_msg_t *msg = NULL;
    zframe_t *peer = NULL;
    int rc = hl_bus_recv (sock, &self->limits, &msg, &peer);
    if (rc == HL_ERR_IO && !peer)
        return false; /* nothing was there */
    self->control_in.received++;
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
        hl_log_info ("control: request rejected: %s", error);
        if (peer)
            s_reply (self, zframe_data (peer), zframe_size (peer),
                     msg ? hl_msg_id (msg) : 0, false, NULL, error);
        goto done;
    }
    size_t rid_len;
    const uint8_t *rid = hl_msg_routing_id (msg, &rid_len);
    const char *op = hl_msg_op (msg);
    hl_value_t *data = NULL;
    rc = HL_ERR_UNSUPPORTED;
    snprintf (error, sizeof error, "unknown op");
    for (size_t i = 0; i < sizeof s_ops / sizeof s_ops[0]; i++)
        if (streq (op, s_ops[i].op)) {
            *error = 0;
            rc = s_ops[i].fn (self, msg, &data, error, sizeof error);
            break;
        }
    if (rc && !*error)
        snprintf (error, sizeof error, "%s", hl_strerror (rc));
    if (rc <= 0) /* > 0: the op replies later */
        s_reply (self, rid, rid_len, hl_msg_id (msg), rc == 0, &data, error);
    hl_value_destroy (&data);
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

/*  Ten times a heartbeat: dispatch's clock work, and the two sockets that
    are rarely active and so stay out of the poll set (zmq_poll pays a
    system call per socket per wake-up): the proxy's subscription mirror
    and the publisher's own subscription frames. */
static int
s_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    hl_master_t *self = (hl_master_t *)arg;
    hl_proxy_subscriptions_update (self->proxy);
    s_drain_pub (self);
    hl_dispatch_tick (self->dispatch, zclock_mono ());
    return 0;
}

static void
s_dispatch_event (void *arg, hl_msg_t **event_p)
{
    s_publish ((hl_master_t *)arg, event_p);
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
    s_publish (self, &msg);
}

/*  Every second: publish the seconds that closed, then health. */
static int
s_second (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    hl_master_t *self = (hl_master_t *)arg;
    int64_t now_us = hl_msg_now_us ();
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
    if (self->health && hl_proxy_wanted (self->proxy, "health")) {
        hl_msg_t *msg = hl_msg_new (HL_MSG_HEALTH);
        double score = hl_health_score (self->health);
        hl_msg_set_score (msg, isfinite (score) ? score : 0);
        hl_msg_set_state (
            msg, hl_health_overall_name (hl_health_state (self->health)));
        hl_value_t *data = hl_health_to_value (self->health);
        hl_msg_set_data (msg, &data);
        s_publish (self, &msg);
    }
    return 0;
}

static void
s_cycle_publish (void *arg, hl_msg_t **msg_p)
{
    s_publish ((hl_master_t *)arg, msg_p);
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

/*  The proxy, the control and tasks sockets, the master's publisher and
    the tracker's intake. 0, or -1 with the reason in err. */
static int
s_bind (hl_master_t *self, char *err, size_t errsize)
{
    const hl_config_master_t *mc = hl_config_master (self->config);
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
    self->loop = zloop_new ();
    /*  Heartbeats, expiry, deadlines and retries are checked ten times
        per heartbeat, and at least every 100 ms. */
    int tick = mc->heartbeat_ms / 10;
    zloop_timer (self->loop,
                 tick < 1     ? 1
                 : tick > 100 ? 100
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

    self->learning = hl_learning_new (config, hl_config_cycle (config)->seed);
    self->planner = hl_planner_new (config);
    hl_cycle_deps_t deps
        = { config,        self->kpi,  self->dispatch,  self->learning,
            self->planner, self->loop, s_cycle_publish, s_wants,
            self,          self->src };
    self->cycle = hl_cycle_new (&deps, err, errsize);
    if (!self->cycle)
        goto fail;
    hl_watch_deps_t watch
        = { config, self->kpi, self->cycle, s_cycle_publish, s_wants, self };
    self->watch = hl_watch_new (&watch, hl_msg_now_us ());
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
    hl_watch_destroy (&self->watch); /* after: a run's end may tell it */
    zloop_destroy (&self->loop);
    hl_dispatch_destroy (&self->dispatch);
    hl_webhook_destroy (&self->webhook);
    hl_planner_destroy (&self->planner);
    hl_learning_destroy (&self->learning);
    hl_health_destroy (&self->health);
    hl_kpi_destroy (&self->kpi);
    hl_statsd_destroy (&self->statsd);
    hl_udp_destroy (&self->statsd_udp);
    zsock_destroy (&self->pub);
    zsock_destroy (&self->tasks);
    zsock_destroy (&self->control);
    hl_proxy_destroy (&self->proxy);
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
    /*  zloop returns -1 when interrupted by SIGINT/SIGTERM (czmq's
        handler sets zsys_interrupted): that is a clean stop. */
    zloop_start (self->loop);
    return 0;
}
