/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_http - libmicrohttpd in thread-per-connection mode: each connection
    has its own thread, which may block, for a bounded time, on its own
    ZeroMQ sockets (a DEALER per request to the control socket, a SUB per
    event stream on hl_hub). No lock is shared with the reactor or between
    connections; the only shared state is atomic: counters, and the
    table of connection deadlines.

    Time limits. libmicrohttpd times out idle connections only, so a
    client that dribbles its headers a byte at a time would hold a
    thread. Each connection therefore has a slot with a deadline: its
    request head, and then its whole reply, must be done within
    limits.http_timeout_ms (an event stream is exempt once it starts),
    and the next request of a kept-alive connection must arrive within
    it too. The hub's thread looks at the deadlines four times a second
    and cuts a late connection by shutting down a duplicate of its
    socket, which wakes its thread with an end of file. The duplicate is
    the slot's: whichever side takes it from the slot (the cut, or the
    connection's end) closes it, so it is closed once and never reused
    under the other's feet.
*/
#include <arpa/inet.h>
#include <czmq.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_client.h"
#include "hl_http.h"
#include "hl_http_assets.h"
#include "hl_hub.h"
#include "hl_promtext.h"

//  --------------------------------------------------------------------
//  Counters

/*  Why a request was refused: each is counted under its name. */
typedef enum {
    R_METHOD,       /* 405 */
    R_NOT_FOUND,    /* 404 */
    R_UNAUTHORIZED, /* 401: no token, or a wrong one */
    R_FORBIDDEN,    /* 403: runs need a configured token */
    R_HOST,         /* 421: a Host that is not loopback, without token */
    R_HEADERS,      /* 431: too many header fields */
    R_HEAD,         /* 431: request line and headers too big */
    R_URL,          /* 414 */
    R_BODY,         /* 413 */
    R_BAD_BODY,     /* 400: not the JSON expected */
    R_REFUSED,      /* 400/404: the master refused the request */
    R_STREAMS,      /* 503: too many event streams */
    R_UNAVAILABLE,  /* 504: the master did not answer in time */
    R_COUNT
} s_reason_t;

static const char *s_reason_names[R_COUNT]
    = { "method",  "not_found",    "unauthorized", "forbidden",    "host",
        "headers", "head_too_big", "url_too_long", "body_too_big", "bad_body",
        "refused", "streams",      "unavailable" };

static const unsigned s_codes[]
    = { 200, 202, 400, 401, 403, 404, 405, 413, 414, 421, 431, 500, 503, 504 };
#define S_CODES (sizeof s_codes / sizeof s_codes[0])

#define S_URL_MAX 1024       /* bytes of a request target */
#define S_STACK (512 * 1024) /* each connection thread's stack */
#define S_SLICE_MS 100       /* waits re-check the stop flag this often */
#define S_KEEPALIVE_MS 5000  /* an idle stream says so this often */
#define S_CONTROL_MS 5000    /* the longest a control request may take */
#define S_SNDBUF (64 * 1024) /* kernel send buffer of a connection */

/*  A connection's deadline, shared by its thread and the hub's. */
typedef struct {
    atomic_int used;         /* claimed by a connection */
    atomic_int fd;           /* our duplicate of its socket, or -1 */
    atomic_int_fast64_t due; /* monotonic ms, 0: none */
} s_slot_t;

struct _hl_http_t {
    const hl_config_t *config; /* borrowed */
    hl_config_limits_t limits;
    char control[HL_CONFIG_ENDPOINT];
    char token[HL_CONFIG_TOKEN];
    size_t token_len;
    bool loopback; /* bound to loopback: token optional */
    char endpoint[HL_CONFIG_ENDPOINT];
    struct MHD_Daemon *daemon;
    hl_hub_t *hub;
    s_slot_t *slots;
    size_t slots_n;
    int control_ms; /* deadline of one control request */
    int keepalive_ms;
    atomic_bool stopping;
    atomic_uint_fast64_t responses[S_CODES + 1]; /* by s_codes, other last */
    atomic_uint_fast64_t rejected[R_COUNT];
    atomic_uint_fast64_t cut, sse_dropped;
    atomic_int connections, sse_clients;
};

/*  One request's state, from its first call to its completion. */
typedef struct {
    bool post;
    char *body; /* POST: what came so far, NUL-terminated */
    size_t body_len;
    bool too_big;
    bool streaming; /* an event stream was started */
} s_req_t;

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

static void
s_count_response (hl_http_t *self, unsigned code)
{
    size_t i = 0;
    while (i < S_CODES && s_codes[i] != code)
        i++;
    atomic_fetch_add (&self->responses[i], 1);
}

//  --------------------------------------------------------------------
//  Responses

static enum MHD_Result
s_send (hl_http_t *self, struct MHD_Connection *conn, unsigned code,
        const char *type, char *body, size_t len, bool must_free)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!response) {
        if (must_free)
            free (body);
        return MHD_NO;
    }
    MHD_add_response_header (response, "Content-Type", type);
    MHD_add_response_header (response, "Cache-Control", "no-store");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    if (code == 401)
        MHD_add_response_header (response, "WWW-Authenticate",
                                 "Bearer realm=\"helios\"");
    if (code == 405)
        MHD_add_response_header (response, "Allow", "GET, HEAD, POST");
    if (strncmp (type, "text/html", 9) == 0)
        MHD_add_response_header (
            response, "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    enum MHD_Result rc = MHD_queue_response (conn, code, response);
    MHD_destroy_response (response);
    s_count_response (self, code);
    return rc;
}

static enum MHD_Result
s_json (hl_http_t *self, struct MHD_Connection *conn, unsigned code,
        json_t *json)
{
    char *text = json_dumps (json, JSON_COMPACT | JSON_REAL_PRECISION (12));
    json_decref (json);
    if (!text)
        return MHD_NO;
    return s_send (self, conn, code, "application/json", text, strlen (text),
                   true);
}

/*  Refuse with code, counted under reason, and say why in the body:
    {"error": "...", "reason": "name"}. */
__attribute__ ((format (printf, 5, 6))) static enum MHD_Result
s_refuse (hl_http_t *self, struct MHD_Connection *conn, unsigned code,
          s_reason_t reason, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    atomic_fetch_add (&self->rejected[reason], 1);
    const union MHD_ConnectionInfo *ci
        = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char peer[INET6_ADDRSTRLEN] = "?";
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop (AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                       peer, sizeof peer);
        else if (sa->sa_family == AF_INET6)
            inet_ntop (AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                       peer, sizeof peer);
    }
    hl_log_info ("http %s: %u %s: %s", peer, code, s_reason_names[reason],
                 text);
    return s_json (self, conn, code,
                   json_pack ("{s:s, s:s}", "error", text, "reason",
                              s_reason_names[reason]));
}

//  --------------------------------------------------------------------
//  Deadlines

static int64_t
s_now_ms (void)
{
    return zclock_mono ();
}

static s_slot_t *
s_slot_of (struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci
        = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? (s_slot_t *)ci->socket_context : NULL;
}

static void
s_arm (hl_http_t *self, struct MHD_Connection *conn, bool on)
{
    s_slot_t *slot = s_slot_of (conn);
    if (slot)
        atomic_store (&slot->due,
                      on ? s_now_ms () + self->limits.http_timeout_ms : 0);
}

static void
s_connection (void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode code)
{
    hl_http_t *self = (hl_http_t *)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add (&self->connections, 1);
        const union MHD_ConnectionInfo *ci
            = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        for (size_t i = 0; ci && i < self->slots_n; i++) {
            int unused = 0;
            if (!atomic_compare_exchange_strong (&self->slots[i].used, &unused,
                                                 1))
                continue;
            s_slot_t *slot = &self->slots[i];
            /*  The kernel's share of a slow reader's backlog is bounded
                too, so that it falls behind, and is dropped, soon. */
            int sndbuf = S_SNDBUF;
            setsockopt (ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
                        sizeof sndbuf);
            atomic_store (&slot->fd, dup (ci->connect_fd));
            atomic_store (&slot->due,
                          s_now_ms () + self->limits.http_timeout_ms);
            *socket_context = slot;
            break;
        }
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub (&self->connections, 1);
        s_slot_t *slot = (s_slot_t *)*socket_context;
        if (slot) {
            int fd = atomic_exchange (&slot->fd, -1);
            if (fd >= 0)
                close (fd);
            atomic_store (&slot->due, 0);
            atomic_store (&slot->used, 0);
            *socket_context = NULL;
        }
    }
}

/*  On the hub's thread: cut the connections past their deadline. */
static void
s_watchdog (void *arg)
{
    hl_http_t *self = (hl_http_t *)arg;
    int64_t now = s_now_ms ();
    for (size_t i = 0; i < self->slots_n; i++) {
        s_slot_t *slot = &self->slots[i];
        int64_t due = atomic_load (&slot->due);
        if (!atomic_load (&slot->used) || !due || now < due)
            continue;
        int fd = atomic_exchange (&slot->fd, -1);
        if (fd < 0)
            continue;
        shutdown (fd, SHUT_RDWR);
        close (fd);
        atomic_fetch_add (&self->cut, 1);
        hl_log_info ("http: a connection cut at the %d ms limit",
                     self->limits.http_timeout_ms);
    }
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
        int rc = hl_client_recv (client, S_SLICE_MS, &msg);
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
static enum MHD_Result
s_api (hl_http_t *self, struct MHD_Connection *conn, const char *op,
       hl_value_t *args, unsigned refused_code)
{
    bool paged = streq (op, "agents") || streq (op, "cycles");
    hl_msg_t *reply
        = paged ? s_ask_all (self, op, &args) : s_ask (self, op, &args);
    if (!reply)
        return s_refuse (self, conn, 504, R_UNAVAILABLE,
                         "the master did not answer %s within %d ms", op,
                         self->control_ms);
    enum MHD_Result rc;
    if (hl_msg_ok (reply)) {
        const hl_value_t *data = hl_msg_data (reply);
        rc = s_json (self, conn, 200,
                     data ? hl_value_to_json (data) : json_object ());
    } else
        rc = s_refuse (self, conn, refused_code, R_REFUSED, "%s",
                       hl_msg_error (reply) ? hl_msg_error (reply) : op);
    hl_msg_destroy (&reply);
    return rc;
}

/*  /api/metrics: each configured KPI, its levels and where it stands. */
static enum MHD_Result
s_api_metrics (hl_http_t *self, struct MHD_Connection *conn)
{
    hl_msg_t *reply = s_ask (self, "status", NULL);
    if (!reply || !hl_msg_ok (reply)) {
        hl_msg_destroy (&reply);
        return s_refuse (self, conn, 504, R_UNAVAILABLE,
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
    return s_json (self, conn, 200, root);
}

/*  /api/actions: the master's "actions" operation where it has one,
    else the learning section of status, with no quarantine known. */
static enum MHD_Result
s_api_actions (hl_http_t *self, struct MHD_Connection *conn)
{
    hl_msg_t *reply = s_ask (self, "actions", NULL);
    if (reply && hl_msg_ok (reply)) {
        json_t *json = json_pack ("{s:s, s:o}", "source", "actions", "actions",
                                  hl_value_to_json (hl_msg_data (reply)));
        hl_msg_destroy (&reply);
        return s_json (self, conn, 200, json);
    }
    hl_msg_destroy (&reply);
    reply = s_ask (self, "status", NULL);
    if (!reply || !hl_msg_ok (reply)) {
        hl_msg_destroy (&reply);
        return s_refuse (self, conn, 504, R_UNAVAILABLE,
                         "the master did not answer within %d ms",
                         self->control_ms);
    }
    const hl_value_t *learning = hl_value_get (hl_msg_data (reply), "learning");
    json_t *json
        = json_pack ("{s:s, s:o}", "source", "status", "actions",
                     learning ? hl_value_to_json (learning) : json_object ());
    hl_msg_destroy (&reply);
    return s_json (self, conn, 200, json);
}

static enum MHD_Result
s_metrics (hl_http_t *self, struct MHD_Connection *conn)
{
    hl_msg_t *status = s_ask (self, "status", NULL);
    hl_msg_t *agents = status ? s_ask_all (self, "agents", NULL) : NULL;
    if (!status || !hl_msg_ok (status)) {
        hl_msg_destroy (&status);
        hl_msg_destroy (&agents);
        return s_refuse (self, conn, 504, R_UNAVAILABLE,
                         "the master did not answer status within %d ms",
                         self->control_ms);
    }
    char *text = hl_promtext (
        self->config, hl_msg_data (status),
        agents && hl_msg_ok (agents) ? hl_msg_data (agents) : NULL);
    hl_msg_destroy (&status);
    hl_msg_destroy (&agents);
    return s_send (self, conn, 200, "text/plain; version=0.0.4; charset=utf-8",
                   text, strlen (text), true);
}

static enum MHD_Result
s_history (hl_http_t *self, struct MHD_Connection *conn)
{
    char *text = hl_hub_history (self->hub, self->control_ms);
    if (!text)
        return s_refuse (self, conn, 504, R_UNAVAILABLE,
                         "the event hub did not answer within %d ms",
                         self->control_ms);
    return s_send (self, conn, 200, "application/json", text, strlen (text),
                   true);
}

/*  POST /api/runs {"kind": "optimization", "params": {...}}: start a run
    as helios-ctl run does, without waiting for it. */
static enum MHD_Result
s_run (hl_http_t *self, struct MHD_Connection *conn, const s_req_t *req)
{
    json_error_t jerr;
    json_t *body = req->body_len ? json_loadb (req->body, req->body_len,
                                               JSON_REJECT_DUPLICATES, &jerr)
                                 : json_object ();
    if (!body || !json_is_object (body)) {
        json_decref (body);
        return s_refuse (self, conn, 400, R_BAD_BODY,
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
        return s_refuse (self, conn, 400, R_BAD_BODY,
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
            return s_refuse (self, conn, 400, R_BAD_BODY, "bad params");
        }
        hl_value_set (args, "params", &p);
    }
    json_decref (body);
    hl_msg_t *reply = s_ask (self, "run", &args);
    if (!reply)
        return s_refuse (self, conn, 504, R_UNAVAILABLE,
                         "the master did not answer run within %d ms",
                         self->control_ms);
    enum MHD_Result rc;
    if (hl_msg_ok (reply))
        rc = s_json (self, conn, 202, hl_value_to_json (hl_msg_data (reply)));
    else
        rc = s_refuse (self, conn, 400, R_REFUSED, "%s",
                       hl_msg_error (reply) ? hl_msg_error (reply) : "run");
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
        if (hl_hub_next (st->sub, S_SLICE_MS * 2, &seq, &text, &len)) {
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
static enum MHD_Result
s_events (hl_http_t *self, struct MHD_Connection *conn, s_req_t *req)
{
    int open = atomic_fetch_add (&self->sse_clients, 1);
    if (open >= self->limits.http_sse_clients) {
        atomic_fetch_sub (&self->sse_clients, 1);
        return s_refuse (self, conn, 503, R_STREAMS,
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
        return s_refuse (self, conn, 504, R_UNAVAILABLE,
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
    s_arm (self, conn, false); /* a stream lives as long as it keeps up */
    enum MHD_Result rc = MHD_queue_response (conn, 200, response);
    MHD_destroy_response (response);
    s_count_response (self, 200);
    return rc;
}

//  --------------------------------------------------------------------
//  Requests

typedef struct {
    int count;
    size_t bytes;
    const char *authorization;
    const char *host;
} s_head_t;

static enum MHD_Result
s_header (void *cls, enum MHD_ValueKind kind, const char *key,
          const char *value)
{
    (void)kind;
    s_head_t *head = (s_head_t *)cls;
    head->count++;
    head->bytes += strlen (key) + (value ? strlen (value) : 0) + 4;
    if (strcasecmp (key, "Authorization") == 0)
        head->authorization = value;
    else if (strcasecmp (key, "Host") == 0)
        head->host = value;
    return MHD_YES;
}

/*  Compare in time independent of where they differ. */
static bool
s_token_eq (const char *a, size_t a_len, const char *b, size_t b_len)
{
    unsigned char diff = a_len != b_len;
    for (size_t i = 0; i < b_len; i++)
        diff |= (unsigned char)(a[i < a_len ? i : 0] ^ b[i]);
    return diff == 0 && a_len;
}

/*  A Host a browser on this machine sends: loopback, any port. */
static bool
s_host_loopback (const char *host)
{
    char buf[300];
    snprintf (buf, sizeof buf, "%s%s", host,
              strrchr (host, ':') && host[strlen (host) - 1] != ']' ? ""
                                                                    : ":0");
    return hl_config_listen_loopback (buf);
}

typedef enum {
    P_NONE,
    P_ASSET,
    P_STATUS,
    P_METRICS_API,
    P_AGENTS,
    P_CYCLES,
    P_CYCLE,
    P_ACTIONS,
    P_HISTORY,
    P_EVENTS,
    P_RUNS,
    P_METRICS
} s_path_t;

static const struct {
    const char *url;
    s_path_t path;
} s_paths[] = {
    { "/api/status", P_STATUS },   { "/api/metrics", P_METRICS_API },
    { "/api/agents", P_AGENTS },   { "/api/cycles", P_CYCLES },
    { "/api/actions", P_ACTIONS }, { "/api/history", P_HISTORY },
    { "/api/events", P_EVENTS },   { "/api/runs", P_RUNS },
    { "/metrics", P_METRICS },
};

static const hl_http_asset_t *
s_asset (const char *url)
{
    if (strcmp (url, "/") == 0)
        url = "/index.html";
    for (const hl_http_asset_t *a = hl_http_assets; a->path; a++)
        if (strcmp (a->path, url) == 0)
            return a;
    return NULL;
}

/*  The path of url, and a cycle's id for /api/cycles/<id>. */
static s_path_t
s_route (const char *url, int64_t *id)
{
    for (size_t i = 0; i < sizeof s_paths / sizeof s_paths[0]; i++)
        if (strcmp (url, s_paths[i].url) == 0)
            return s_paths[i].path;
    const char *prefix = "/api/cycles/";
    size_t plen = strlen (prefix);
    if (strncmp (url, prefix, plen) == 0) {
        const char *digits = url + plen;
        size_t n = strlen (digits);
        if (n >= 1 && n <= 18 && strspn (digits, "0123456789") == n
            && digits[0] != '0') {
            *id = strtoll (digits, NULL, 10);
            return P_CYCLE;
        }
        return P_NONE;
    }
    return s_asset (url) ? P_ASSET : P_NONE;
}

/*  The checks every request passes before any work: size, method, path,
    token, host. MHD_YES with *done false to go on. */
static enum MHD_Result
s_admit (hl_http_t *self, struct MHD_Connection *conn, const char *url,
         const char *method, s_path_t *path, int64_t *id, bool *done)
{
    *done = true;
    s_head_t head = { 0, strlen (url) + strlen (method) + 12, NULL, NULL };
    MHD_get_connection_values (conn, MHD_HEADER_KIND, s_header, &head);
    if (head.count > self->limits.http_headers)
        return s_refuse (self, conn, 431, R_HEADERS,
                         "%d header fields, at most %d", head.count,
                         self->limits.http_headers);
    if (head.bytes > (size_t)self->limits.http_head_bytes)
        return s_refuse (self, conn, 431, R_HEAD,
                         "request head of %zu bytes, at most %d", head.bytes,
                         self->limits.http_head_bytes);
    if (strlen (url) > S_URL_MAX)
        return s_refuse (self, conn, 414, R_URL,
                         "target of %zu bytes, at most %d", strlen (url),
                         S_URL_MAX);
    bool get = strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;
    bool post = strcmp (method, "POST") == 0;
    *path = s_route (url, id);
    if (*path == P_NONE)
        return s_refuse (self, conn, 404, R_NOT_FOUND, "no such path");
    if ((*path == P_RUNS && !post) || (*path != P_RUNS && !get))
        return s_refuse (self, conn, 405, R_METHOD, "%.16s is not allowed here",
                         method);

    /*  "Authorization: Bearer <token>" */
    bool presented = false, valid = false;
    if (head.authorization) {
        presented = true;
        const char *scheme = "Bearer ";
        if (strncasecmp (head.authorization, scheme, 7) == 0) {
            const char *t = head.authorization + 7;
            valid = self->token_len
                    && s_token_eq (t, strlen (t), self->token, self->token_len);
        }
    }
    if (presented && !valid)
        return s_refuse (self, conn, 401, R_UNAUTHORIZED, "wrong token");
    if (*path == P_RUNS && !self->token_len)
        return s_refuse (self, conn, 403, R_FORBIDDEN,
                         "runs over HTTP need master.http_token");
    bool needs = *path == P_RUNS || (*path != P_ASSET && !self->loopback);
    if (needs && !valid)
        return s_refuse (
            self, conn, 401, R_UNAUTHORIZED,
            "this needs Authorization: Bearer <master.http_token>");
    /*  Without a token only a page of this machine may read: a page
        elsewhere that resolved its own name to 127.0.0.1 sends that name
        as Host. */
    if (!valid && head.host && !s_host_loopback (head.host))
        return s_refuse (self, conn, 421, R_HOST,
                         "Host is not a loopback name");
    *done = false;
    return MHD_YES;
}

static enum MHD_Result
s_handle (hl_http_t *self, struct MHD_Connection *conn, s_path_t path,
          int64_t id, const char *url, s_req_t *req)
{
    hl_value_t *args = NULL;
    switch (path) {
        case P_ASSET: {
            const hl_http_asset_t *a = s_asset (url);
            return s_send (self, conn, 200, a->type, (char *)a->data, a->size,
                           false);
        }
        case P_STATUS:
            return s_api (self, conn, "status", NULL, 400);
        case P_METRICS_API:
            return s_api_metrics (self, conn);
        case P_AGENTS:
            return s_api (self, conn, "agents", NULL, 400);
        case P_CYCLES:
            return s_api (self, conn, "cycles", NULL, 400);
        case P_CYCLE:
            args = hl_value_new_map ();
            hl_value_set_int (args, "id", id);
            hl_value_set_str (args, "format", "json");
            return s_api (self, conn, "report", args, 404);
        case P_ACTIONS:
            return s_api_actions (self, conn);
        case P_HISTORY:
            return s_history (self, conn);
        case P_EVENTS:
            return s_events (self, conn, req);
        case P_RUNS:
            return s_run (self, conn, req);
        case P_METRICS:
            return s_metrics (self, conn);
        case P_NONE:
            break;
    }
    return s_refuse (self, conn, 404, R_NOT_FOUND, "no such path");
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *conn, const char *url,
          const char *method, const char *version, const char *upload,
          size_t *upload_size, void **con_cls)
{
    (void)version;
    hl_http_t *self = (hl_http_t *)cls;
    s_req_t *req = (s_req_t *)*con_cls;
    s_path_t path;
    int64_t id = 0;
    bool done;
    if (!req) {
        req = (s_req_t *)hl_alloc (sizeof (s_req_t));
        *con_cls = req;
        s_arm (self, conn, true); /* head in: now the reply, in time */
        enum MHD_Result rc
            = s_admit (self, conn, url, method, &path, &id, &done);
        if (done)
            return rc;
        if (path != P_RUNS)
            return s_handle (self, conn, path, id, url, req);
        req->post = true;
        /*  Refuse a body announced too big before reading any of it. */
        const char *length = MHD_lookup_connection_value (conn, MHD_HEADER_KIND,
                                                          "Content-Length");
        if (length
            && strtoull (length, NULL, 10)
                   > (unsigned long long)self->limits.http_body_bytes)
            return s_refuse (self, conn, 413, R_BODY,
                             "a body of %.20s bytes, at most %d", length,
                             self->limits.http_body_bytes);
        return MHD_YES; /* the body comes in the next calls */
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (req->too_big
            || req->body_len + n > (size_t)self->limits.http_body_bytes) {
            req->too_big = true;
            return MHD_YES;
        }
        req->body = (char *)realloc (req->body, req->body_len + n + 1);
        if (!req->body)
            abort (); /* as hl_alloc */
        memcpy (req->body + req->body_len, upload, n);
        req->body_len += n;
        req->body[req->body_len] = 0;
        return MHD_YES;
    }
    if (req->too_big)
        return s_refuse (self, conn, 413, R_BODY, "a body over %d bytes",
                         self->limits.http_body_bytes);
    return s_run (self, conn, req);
}

static void
s_completed (void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    hl_http_t *self = (hl_http_t *)cls;
    s_req_t *req = (s_req_t *)*con_cls;
    if (req && req->streaming
        && toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED) {
        /*  A stream whose reader stopped reading. */
        atomic_fetch_add (&self->sse_dropped, 1);
        hl_log_info ("http: event stream dropped: the client stopped reading");
    }
    if (req) {
        free (req->body);
        free (req);
    }
    *con_cls = NULL;
    s_arm (self, conn, true); /* the next request's head, in time */
}

static void
s_mhd_log (void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[256];
    vsnprintf (line, sizeof line, fmt, ap);
    size_t len = strlen (line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = 0;
    char esc[256];
    hl_log_escape (esc, sizeof esc, line, len);
    hl_log_info ("http: %s", esc);
}

//  --------------------------------------------------------------------
//  Life cycle

/*  "host:port" into an address to bind: a host of "*" is every IPv4
    address, "[v6]" an IPv6 one; names are resolved. */
static int
s_address (const char *listen, struct sockaddr_storage *addr, char *err,
           size_t errsize)
{
    const char *colon = strrchr (listen, ':');
    char host[256];
    size_t len = colon ? (size_t)(colon - listen) : 0;
    if (!colon || len >= sizeof host) {
        snprintf (err, errsize, "http: bad address \"%s\"", listen);
        return -1;
    }
    memcpy (host, listen, len);
    host[len] = 0;
    if (strcmp (host, "*") == 0)
        snprintf (host, sizeof host, "0.0.0.0");
    else if (host[0] == '[' && len > 2 && host[len - 1] == ']') {
        memmove (host, host + 1, len - 2);
        host[len - 2] = 0;
    }
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    int rc = getaddrinfo (host, colon + 1, &hints, &res);
    if (rc || !res) {
        snprintf (err, errsize, "http: cannot resolve \"%s\": %s", listen,
                  gai_strerror (rc));
        return -1;
    }
    memcpy (addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo (res);
    return 0;
}

hl_http_t *
hl_http_new (const hl_config_t *config, const char *control,
             const char *bus_out, char *err, size_t errsize)
{
    assert (config && control && bus_out);
    const hl_config_master_t *mc = hl_config_master (config);
    hl_http_t *self = (hl_http_t *)hl_alloc (sizeof (hl_http_t));
    self->config = config;
    self->limits = *hl_config_limits (config);
    snprintf (self->control, sizeof self->control, "%s", control);
    snprintf (self->token, sizeof self->token, "%s", mc->http_token);
    self->token_len = strlen (self->token);
    self->loopback = hl_config_listen_loopback (mc->http);
    self->control_ms = self->limits.http_timeout_ms / 2 < S_CONTROL_MS
                           ? self->limits.http_timeout_ms / 2
                           : S_CONTROL_MS;
    self->keepalive_ms = self->limits.http_timeout_ms / 2 < S_KEEPALIVE_MS
                             ? self->limits.http_timeout_ms / 2
                             : S_KEEPALIVE_MS;
    atomic_init (&self->stopping, false);
    for (size_t i = 0; i <= S_CODES; i++)
        atomic_init (&self->responses[i], 0);
    for (size_t i = 0; i < R_COUNT; i++)
        atomic_init (&self->rejected[i], 0);
    atomic_init (&self->cut, 0);
    atomic_init (&self->sse_dropped, 0);
    atomic_init (&self->connections, 0);
    atomic_init (&self->sse_clients, 0);
    /*  libmicrohttpd refuses connections past its limit before telling
        us; the spare slots cover the moments a closed one's slot is not
        yet free. */
    self->slots_n = (size_t)self->limits.http_connections * 2;
    self->slots = hl_alloc (self->slots_n * sizeof (s_slot_t));
    for (size_t i = 0; i < self->slots_n; i++) {
        atomic_init (&self->slots[i].used, 0);
        atomic_init (&self->slots[i].fd, -1);
        atomic_init (&self->slots[i].due, 0);
    }
    if (!self->loopback && !self->token_len) {
        snprintf (err, errsize,
                  "http: %s is beyond loopback: set master.http_token",
                  mc->http);
        goto fail;
    }
    struct sockaddr_storage addr;
    if (s_address (mc->http, &addr, err, errsize))
        goto fail;
    self->hub = hl_hub_new (config, bus_out, s_watchdog, self, err, errsize);
    if (!self->hub)
        goto fail;
    unsigned timeout_s = (unsigned)(self->limits.http_timeout_ms + 999) / 1000;
    self->daemon = MHD_start_daemon (
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD
            | MHD_USE_POLL | MHD_USE_ERROR_LOG
            | (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
        0, NULL, NULL, s_access, self, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)self->limits.http_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)self->limits.http_head_bytes * 2 + 16384,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
        MHD_OPTION_NOTIFY_CONNECTION, s_connection, self,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)S_STACK,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self, MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (err, errsize, "http: cannot listen on %s", mc->http);
        goto fail;
    }
    const union MHD_DaemonInfo *di
        = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = di ? di->port : 0;
    char host[INET6_ADDRSTRLEN] = "";
    if (addr.ss_family == AF_INET6) {
        inet_ntop (AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr, host,
                   sizeof host);
        snprintf (self->endpoint, sizeof self->endpoint, "[%s]:%u", host, port);
    } else {
        inet_ntop (AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, host,
                   sizeof host);
        snprintf (self->endpoint, sizeof self->endpoint, "%s:%u", host, port);
    }
    hl_log_notice ("http: listening on http://%s/ (%s)", self->endpoint,
                   self->token_len ? "token set" : "no token: loopback only");
    return self;
fail:
    hl_http_destroy (&self);
    return NULL;
}

void
hl_http_destroy (hl_http_t **self_p)
{
    assert (self_p);
    hl_http_t *self = *self_p;
    if (!self)
        return;
    /*  Requests and streams see the flag within a slice and end; then
        the daemon joins their threads, and their sockets are closed
        before the hub's. */
    atomic_store (&self->stopping, true);
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    hl_hub_destroy (&self->hub);
    for (size_t i = 0; i < self->slots_n; i++) {
        int fd = atomic_exchange (&self->slots[i].fd, -1);
        if (fd >= 0)
            close (fd);
    }
    free (self->slots);
    free (self);
    *self_p = NULL;
}

const char *
hl_http_endpoint (const hl_http_t *self)
{
    return self->endpoint;
}

hl_value_t *
hl_http_stats (hl_http_t *self)
{
    hl_value_t *map = hl_value_new_map ();
    hl_value_set_str (map, "endpoint", self->endpoint);
    hl_value_t *codes = hl_value_new_map ();
    for (size_t i = 0; i <= S_CODES; i++) {
        uint64_t n = atomic_load (&self->responses[i]);
        if (!n)
            continue;
        char code[8];
        snprintf (code, sizeof code, "%u", i < S_CODES ? s_codes[i] : 0);
        hl_value_set_int (codes, i < S_CODES ? code : "other", (int64_t)n);
    }
    hl_value_set (map, "responses", &codes);
    hl_value_t *by = hl_value_new_map ();
    for (size_t i = 0; i < R_COUNT; i++) {
        uint64_t n = atomic_load (&self->rejected[i]);
        if (n)
            hl_value_set_int (by, s_reason_names[i], (int64_t)n);
    }
    hl_value_set (map, "rejected_by", &by);
    hl_value_set_int (map, "cut", (int64_t)atomic_load (&self->cut));
    hl_value_set_int (map, "connections", atomic_load (&self->connections));
    hl_value_set_int (map, "sse_clients", atomic_load (&self->sse_clients));
    hl_value_set_int (map, "sse_dropped",
                      (int64_t)atomic_load (&self->sse_dropped));
    hl_hub_stats_t hub;
    hl_hub_stats (self->hub, &hub);
    hl_value_set_int (map, "events", (int64_t)hub.events);
    hl_value_set_int (map, "events_truncated", (int64_t)hub.truncated);
    return map;
}
