/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_http_api - the HTTP server's answers that ask someone else: the
    master, through a DEALER of the request's own on the control socket
    (bounded by control_ms), and the hub, for event streams. Each runs on
    its connection's thread, which may block, a slice at a time.
*/
#include <czmq.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <string.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_client.h"
#include "hl_http_priv.h"
#include "hl_promtext.h"

/*  One event stream, owned by its response. */
typedef struct {
    hl_http_t *http;
    zsock_t *sub;
    char *pending; /* text not yet handed to libmicrohttpd */
    size_t pending_len, pending_off;
    uint64_t last_seq;
    bool started;
    int64_t last_write_ms;
} s_stream_t;

static int64_t
s_now_ms (void)
{
    return zclock_mono ();
}

//  --------------------------------------------------------------------
//  The master, through the control socket

/*  Ask the master op with *args_p (taken); the reply (caller destroys)
    or NULL if none came in time or the server is stopping. */
static hl_msg_t *
s_ask (hl_http_t *self, const char *op, hl_value_t **args_p)
{
    hl_client_t *client = hl_client_new (self->control, "http");
    if (!client) {
        hl_value_destroy (args_p);
        return NULL;
    }
    uint64_t id = hl_client_send (client, op, args_p);
    hl_msg_t *reply = NULL;
    int64_t deadline = s_now_ms () + self->control_ms;
    while (id && !reply && !atomic_load (&self->stopping)
           && s_now_ms () < deadline) {
        hl_msg_t *msg = NULL;
        int rc = hl_client_recv (client, HL_HTTP_SLICE_MS, &msg);
        if (rc == 0 && hl_msg_type (msg) == HL_MSG_REPLY
            && hl_msg_re (msg) == id)
            reply = msg;
        else
            hl_msg_destroy (&msg);
    }
    hl_client_destroy (&client);
    return reply;
}

/*  s_ask for a list the master answers in pages (agents, cycles): the
    pages that follow the first, asked for by the cursor each reply
    gives (its next), are put after it, so that a list past one message
    is whole; one that does not come in time ends it short. */
static hl_msg_t *
s_ask_all (hl_http_t *self, const char *op, hl_value_t **args_p)
{
    hl_msg_t *reply = s_ask (self, op, args_p);
    if (!reply || !hl_msg_ok (reply) || !hl_msg_next (reply))
        return reply;
    const hl_value_t *data = hl_msg_data (reply);
    hl_value_t *all = data ? hl_value_dup (data) : hl_value_new_array ();
    uint64_t next = hl_msg_next (reply), last = 0;
    while (next && next != last && !atomic_load (&self->stopping)) {
        hl_value_t *args = hl_value_new_map ();
        hl_value_t *from = hl_value_new_uint (next);
        hl_value_set (args, "from", &from);
        hl_msg_t *page = s_ask (self, op, &args);
        if (!page || !hl_msg_ok (page)) {
            hl_msg_destroy (&page);
            break;
        }
        const hl_value_t *items = hl_msg_data (page);
        for (size_t i = 0; i < hl_value_size (items); i++) {
            hl_value_t *item = hl_value_dup (hl_value_at (items, i));
            hl_value_append (all, &item);
        }
        last = next;
        next = hl_msg_next (page);
        hl_msg_destroy (&page);
    }
    hl_msg_set_data (reply, &all);
    hl_msg_set_next (reply, next);
    return reply;
}

/*  Ask, and answer with the reply's data as JSON, or the refusal. */
enum MHD_Result
hl_http_api (hl_http_t *self, struct MHD_Connection *conn, const char *op,
             hl_value_t *args, unsigned refused_code)
{
    bool paged = streq (op, "agents") || streq (op, "cycles");
    hl_msg_t *reply
        = paged ? s_ask_all (self, op, &args) : s_ask (self, op, &args);
    if (!reply)
        return hl_http_refuse (self, conn, 504, R_UNAVAILABLE,
                               "the master did not answer %s within %d ms", op,
                               self->control_ms);
    enum MHD_Result rc;
    if (hl_msg_ok (reply)) {
        const hl_value_t *data = hl_msg_data (reply);
        rc = hl_http_json (self, conn, 200,
                           data ? hl_value_to_json (data) : json_object ());
    } else
        rc = hl_http_refuse (self, conn, refused_code, R_REFUSED, "%s",
                             hl_msg_error (reply) ? hl_msg_error (reply) : op);
    hl_msg_destroy (&reply);
    return rc;
}

/*  /api/metrics: each configured KPI, its levels and where it stands. */
enum MHD_Result
hl_http_api_metrics (hl_http_t *self, struct MHD_Connection *conn)
{
    hl_msg_t *reply = s_ask (self, "status", NULL);
    if (!reply || !hl_msg_ok (reply)) {
        hl_msg_destroy (&reply);
        return hl_http_refuse (self, conn, 504, R_UNAVAILABLE,
                               "the master did not answer status within %d ms",
                               self->control_ms);
    }
    const hl_value_t *health = hl_value_get (hl_msg_data (reply), "health");
    const hl_value_t *now = hl_value_get (health, "metrics");
    json_t *list = json_array ();
    for (size_t i = 0; i < hl_config_metrics_size (self->config); i++) {
        const hl_config_metric_t *m = hl_config_metric (self->config, i);
        json_t *one = json_pack (
            "{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:b}", "name", m->name,
            "category", hl_category_name (m->category), "unit", m->unit,
            "better", m->better == HL_BETTER_LOWER ? "lower" : "higher", "stat",
            m->stat, "target", m->target, "critical", m->critical, "weight",
            m->weight, "key", m->key);
        const hl_value_t *cur = hl_value_get (now, m->name);
        static const char *keys[] = { "value", "score", "state", "count" };
        for (size_t k = 0; k < 4; k++) {
            const hl_value_t *v = hl_value_get (cur, keys[k]);
            json_object_set_new (one, keys[k],
                                 v ? hl_value_to_json (v) : json_null ());
        }
        json_array_append_new (list, one);
    }
    json_t *root = json_object ();
    json_t *h = json_pack ("{s:f, s:f, s:i}", "target",
                           hl_config_health (self->config)->target, "threshold",
                           hl_config_emergency (self->config)->threshold,
                           "window", hl_config_health (self->config)->window);
    static const char *keys[] = { "score", "state", "categories", "capped" };
    for (size_t k = 0; k < 4; k++) {
        const hl_value_t *v = hl_value_get (health, keys[k]);
        json_object_set_new (h, keys[k],
                             v ? hl_value_to_json (v) : json_null ());
    }
    json_object_set_new (root, "health", h);
    json_object_set_new (root, "metrics", list);
    hl_msg_destroy (&reply);
    return hl_http_json (self, conn, 200, root);
}

/*  /api/actions: the master's "actions" operation where it has one,
    else the learning section of status, with no quarantine known. */
enum MHD_Result
hl_http_api_actions (hl_http_t *self, struct MHD_Connection *conn)
{
    hl_msg_t *reply = s_ask (self, "actions", NULL);
    if (reply && hl_msg_ok (reply)) {
        json_t *json = json_pack ("{s:s, s:o}", "source", "actions", "actions",
                                  hl_value_to_json (hl_msg_data (reply)));
        hl_msg_destroy (&reply);
        return hl_http_json (self, conn, 200, json);
    }
    hl_msg_destroy (&reply);
    reply = s_ask (self, "status", NULL);
    if (!reply || !hl_msg_ok (reply)) {
        hl_msg_destroy (&reply);
        return hl_http_refuse (self, conn, 504, R_UNAVAILABLE,
                               "the master did not answer within %d ms",
                               self->control_ms);
    }
    const hl_value_t *learning = hl_value_get (hl_msg_data (reply), "learning");
    json_t *json
        = json_pack ("{s:s, s:o}", "source", "status", "actions",
                     learning ? hl_value_to_json (learning) : json_object ());
    hl_msg_destroy (&reply);
    return hl_http_json (self, conn, 200, json);
}

enum MHD_Result
hl_http_metrics (hl_http_t *self, struct MHD_Connection *conn)
{
    hl_msg_t *status = s_ask (self, "status", NULL);
    hl_msg_t *agents = status ? s_ask_all (self, "agents", NULL) : NULL;
    if (!status || !hl_msg_ok (status)) {
        hl_msg_destroy (&status);
        hl_msg_destroy (&agents);
        return hl_http_refuse (self, conn, 504, R_UNAVAILABLE,
                               "the master did not answer status within %d ms",
                               self->control_ms);
    }
    char *text = hl_promtext (
        self->config, hl_msg_data (status),
        agents && hl_msg_ok (agents) ? hl_msg_data (agents) : NULL);
    hl_msg_destroy (&status);
    hl_msg_destroy (&agents);
    return hl_http_send (self, conn, 200,
                         "text/plain; version=0.0.4; charset=utf-8", text,
                         strlen (text), true);
}

enum MHD_Result
hl_http_history (hl_http_t *self, struct MHD_Connection *conn)
{
    char *text = hl_hub_history (self->hub, self->control_ms);
    if (!text)
        return hl_http_refuse (self, conn, 504, R_UNAVAILABLE,
                               "the event hub did not answer within %d ms",
                               self->control_ms);
    return hl_http_send (self, conn, 200, "application/json", text,
                         strlen (text), true);
}

/*  POST /api/runs {"kind": "optimization", "params": {...}}: start a run
    as helios-ctl run does, without waiting for it. */
enum MHD_Result
hl_http_run (hl_http_t *self, struct MHD_Connection *conn,
             const hl_http_req_t *req)
{
    json_error_t jerr;
    json_t *body = req->body_len ? json_loadb (req->body, req->body_len,
                                               JSON_REJECT_DUPLICATES, &jerr)
                                 : json_object ();
    if (!body || !json_is_object (body)) {
        json_decref (body);
        return hl_http_refuse (self, conn, 400, R_BAD_BODY,
                               "the body must be a JSON object");
    }
    json_t *kind = json_object_get (body, "kind");
    json_t *params = json_object_get (body, "params");
    const char *key;
    json_t *value;
    bool extra = false;
    json_object_foreach (body, key, value) {
        extra |= strcmp (key, "kind") && strcmp (key, "params");
    }
    if (extra || (kind && !json_is_string (kind))
        || (params && !json_is_object (params))) {
        json_decref (body);
        return hl_http_refuse (
            self, conn, 400, R_BAD_BODY,
            "expected {\"kind\": string, \"params\": object}");
    }
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind",
                      kind ? json_string_value (kind) : "optimization");
    hl_value_set_bool (args, "wait", false);
    if (params) {
        hl_value_t *p = hl_value_from_json (params);
        if (!p) {
            json_decref (body);
            hl_value_destroy (&args);
            return hl_http_refuse (self, conn, 400, R_BAD_BODY, "bad params");
        }
        hl_value_set (args, "params", &p);
    }
    json_decref (body);
    hl_msg_t *reply = s_ask (self, "run", &args);
    if (!reply)
        return hl_http_refuse (self, conn, 504, R_UNAVAILABLE,
                               "the master did not answer run within %d ms",
                               self->control_ms);
    enum MHD_Result rc;
    if (hl_msg_ok (reply))
        rc = hl_http_json (self, conn, 202,
                           hl_value_to_json (hl_msg_data (reply)));
    else
        rc = hl_http_refuse (self, conn, 400, R_REFUSED, "%s",
                             hl_msg_error (reply) ? hl_msg_error (reply)
                                                  : "run");
    hl_msg_destroy (&reply);
    return rc;
}

//  --------------------------------------------------------------------
//  Event streams

static ssize_t
s_stream_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    s_stream_t *st = (s_stream_t *)cls;
    hl_http_t *self = st->http;
    /*  Thread per connection: this may block, a slice at a time. */
    while (st->pending_off == st->pending_len) {
        free (st->pending);
        st->pending = NULL;
        st->pending_len = st->pending_off = 0;
        if (atomic_load (&self->stopping))
            return MHD_CONTENT_READER_END_OF_STREAM;
        uint64_t seq;
        char *text;
        size_t len;
        if (hl_hub_next (st->sub, HL_HTTP_SLICE_MS * 2, &seq, &text, &len)) {
            if (st->started && seq != st->last_seq + 1) {
                /*  The hub dropped events for us: this reader is too
                    slow. It reconnects and starts again from a fresh
                    snapshot. */
                free (text);
                atomic_fetch_add (&self->sse_dropped, 1);
                hl_log_info ("http: event stream dropped: %" PRIu64
                             " events behind",
                             seq - st->last_seq - 1);
                return MHD_CONTENT_READER_END_WITH_ERROR;
            }
            st->started = true;
            st->last_seq = seq;
            st->pending = text;
            st->pending_len = len;
        } else if (s_now_ms () - st->last_write_ms >= self->keepalive_ms) {
            st->pending = strdup (": keep-alive\n\n");
            st->pending_len = strlen (st->pending);
        }
    }
    size_t n = st->pending_len - st->pending_off;
    if (n > max)
        n = max;
    memcpy (buf, st->pending + st->pending_off, n);
    st->pending_off += n;
    st->last_write_ms = s_now_ms ();
    return (ssize_t)n;
}

static void
s_stream_free (void *cls)
{
    s_stream_t *st = (s_stream_t *)cls;
    atomic_fetch_sub (&st->http->sse_clients, 1);
    zsock_destroy (&st->sub);
    free (st->pending);
    free (st);
}

/*  GET /api/events: a snapshot of status, then every event. */
enum MHD_Result
hl_http_events (hl_http_t *self, struct MHD_Connection *conn,
                hl_http_req_t *req)
{
    int open = atomic_fetch_add (&self->sse_clients, 1);
    if (open >= self->limits.http_sse_clients) {
        atomic_fetch_sub (&self->sse_clients, 1);
        return hl_http_refuse (self, conn, 503, R_STREAMS,
                               "%d event streams are open, the limit", open);
    }
    s_stream_t *st = (s_stream_t *)hl_alloc (sizeof (s_stream_t));
    st->http = self;
    /*  Subscribed before the snapshot, so that nothing falls between. */
    st->sub = hl_hub_subscribe (self->hub);
    hl_msg_t *status = st->sub ? s_ask (self, "status", NULL) : NULL;
    if (!status || !hl_msg_ok (status)) {
        hl_msg_destroy (&status);
        s_stream_free (st);
        return hl_http_refuse (self, conn, 504, R_UNAVAILABLE,
                               "the master did not answer status within %d ms",
                               self->control_ms);
    }
    json_t *json = hl_value_to_json (hl_msg_data (status));
    char *data = json_dumps (json, JSON_COMPACT | JSON_REAL_PRECISION (12));
    json_decref (json);
    hl_msg_destroy (&status);
    size_t size = strlen (data) + 64;
    st->pending = (char *)hl_alloc (size);
    st->pending_len = (size_t)snprintf (
        st->pending, size, "retry: 2000\n\nevent: status\ndata: %s\n\n", data);
    free (data);
    st->last_write_ms = s_now_ms ();
    struct MHD_Response *response = MHD_create_response_from_callback (
        MHD_SIZE_UNKNOWN, 16 * 1024, s_stream_read, st, s_stream_free);
    if (!response) {
        s_stream_free (st);
        return MHD_NO;
    }
    MHD_add_response_header (response, "Content-Type", "text/event-stream");
    MHD_add_response_header (response, "Cache-Control", "no-store");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    req->streaming = true;
    hl_http_arm (self, conn, false); /* a stream lives as long as it keeps up */
    enum MHD_Result rc = MHD_queue_response (conn, 200, response);
    MHD_destroy_response (response);
    hl_http_count (self, 200);
    return rc;
}
