/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_hub - the event hub of the HTTP server. One actor thread owns a SUB
    on the bus, an XPUB the streams subscribe to, a ROUTER that answers
    history requests, and the health ring; other threads see only its
    sockets and its atomic counters. An event is rendered once, whatever
    the number of streams, and goes out as one frame: an 8-byte sequence
    number (big-endian) and the text of the server-sent event. The XPUB
    drops what a full stream's queue cannot take, so a slow stream never
    holds the hub up; the stream finds out from the gap in the numbers.
*/
#include <czmq.h>
#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "../bus/hl_bus.h"
#include "../bus/hl_log.h"
#include "../bus/hl_sock.h"
#include "../proto/hl_alloc.h"
#include "hl_hub.h"

/*  One second of health, as the history keeps it. */
typedef struct {
    int64_t ts_ms;
    double score;                         /* NAN: no score */
    double categories[HL_CATEGORY_COUNT]; /* NAN: no data */
} s_point_t;

struct _hl_hub_t {
    const hl_config_t *config; /* borrowed */
    char bus_out[HL_CONFIG_ENDPOINT];
    char events_ep[64];  /* inproc XPUB the streams subscribe to */
    char history_ep[64]; /* inproc ROUTER for history requests */
    hl_hub_tick_fn *tick;
    void *tick_arg;
    zactor_t *actor;
    /*  The actor's own, touched only on its thread */
    s_point_t *points; /* HL_HUB_HISTORY, a ring */
    double *values;    /* HL_HUB_HISTORY x metrics: the stat's value */
    double *scores;    /* HL_HUB_HISTORY x metrics: the score */
    size_t metrics_n;  /* configured metrics */
    size_t points_n;   /* written so far */
    uint64_t seq;      /* of the last event sent */
    int start_rc;      /* set by the actor before its first signal */
    /*  Read by any thread */
    atomic_uint_fast64_t events, truncated, rejected;
    atomic_bool tasks;
};

static const char *s_prefixes[] = { "health", "cycle.", "agent.", "alert." };
#define S_PREFIXES (sizeof s_prefixes / sizeof s_prefixes[0])

//  --------------------------------------------------------------------
//  The actor's side

static double
s_number (const hl_value_t *v)
{
    double d;
    return v && hl_value_double (v, &d) == 0 && isfinite (d) ? d : NAN;
}

/*  A health message into the ring. */
static void
s_remember (hl_hub_t *self, const hl_msg_t *msg)
{
    const hl_value_t *data = hl_msg_data (msg);
    size_t slot = self->points_n++ % HL_HUB_HISTORY;
    s_point_t *p = &self->points[slot];
    p->ts_ms = hl_msg_ts (msg) / 1000;
    p->score = s_number (hl_value_get (data, "score"));
    const hl_value_t *cats = hl_value_get (data, "categories");
    for (int c = 0; c < HL_CATEGORY_COUNT; c++)
        p->categories[c] = s_number (
            hl_value_get (cats, hl_category_name ((hl_category_t)c)));
    const hl_value_t *metrics = hl_value_get (data, "metrics");
    for (size_t m = 0; m < self->metrics_n; m++) {
        const hl_config_metric_t *cm = hl_config_metric (self->config, m);
        const hl_value_t *one = hl_value_get (metrics, cm->name);
        self->values[slot * self->metrics_n + m]
            = s_number (hl_value_get (one, "value"));
        self->scores[slot * self->metrics_n + m]
            = s_number (hl_value_get (one, "score"));
    }
}

static json_t *
s_json_number (double d)
{
    return isfinite (d) ? json_real (d) : json_null ();
}

/*  The ring as columns, oldest first. */
static char *
s_history_json (hl_hub_t *self)
{
    size_t n
        = self->points_n < HL_HUB_HISTORY ? self->points_n : HL_HUB_HISTORY;
    size_t first = self->points_n - n;
    json_t *root = json_object ();
    json_t *ts = json_array (), *score = json_array ();
    json_t *cats = json_object (), *metrics = json_object ();
    json_t *cat_cols[HL_CATEGORY_COUNT];
    for (int c = 0; c < HL_CATEGORY_COUNT; c++) {
        cat_cols[c] = json_array ();
        json_object_set_new (cats, hl_category_name ((hl_category_t)c),
                             cat_cols[c]);
    }
    json_t **vals = hl_alloc ((self->metrics_n + 1) * sizeof (json_t *));
    json_t **scs = hl_alloc ((self->metrics_n + 1) * sizeof (json_t *));
    for (size_t m = 0; m < self->metrics_n; m++) {
        json_t *one = json_object ();
        vals[m] = json_array ();
        scs[m] = json_array ();
        json_object_set_new (one, "value", vals[m]);
        json_object_set_new (one, "score", scs[m]);
        json_object_set_new (metrics, hl_config_metric (self->config, m)->name,
                             one);
    }
    for (size_t i = first; i < self->points_n; i++) {
        size_t slot = i % HL_HUB_HISTORY;
        const s_point_t *p = &self->points[slot];
        json_array_append_new (ts, json_integer (p->ts_ms));
        json_array_append_new (score, s_json_number (p->score));
        for (int c = 0; c < HL_CATEGORY_COUNT; c++)
            json_array_append_new (cat_cols[c],
                                   s_json_number (p->categories[c]));
        for (size_t m = 0; m < self->metrics_n; m++) {
            size_t at = slot * self->metrics_n + m;
            json_array_append_new (vals[m], s_json_number (self->values[at]));
            json_array_append_new (scs[m], s_json_number (self->scores[at]));
        }
    }
    free (vals);
    free (scs);
    json_object_set_new (root, "ts", ts);
    json_object_set_new (root, "score", score);
    json_object_set_new (root, "categories", cats);
    json_object_set_new (root, "metrics", metrics);
    char *text = json_dumps (root, JSON_COMPACT | JSON_REAL_PRECISION (10));
    json_decref (root);
    return text;
}

/*  One bus message out to the streams, as "id/event/data". */
static void
s_fan_out (hl_hub_t *self, zsock_t *xpub, const hl_msg_t *msg)
{
    char topic[HL_MAX_TOPIC + 1];
    if (hl_msg_topic (msg, topic, sizeof topic) <= 0)
        return;
    char *data = hl_msg_to_json_str (msg);
    if (!data)
        return;
    uint64_t seq = self->seq + 1;
    char head[HL_MAX_TOPIC + 64];
    int head_len = snprintf (head, sizeof head,
                             "id: %" PRIu64 "\nevent: %s\ndata: ", seq, topic);
    size_t data_len = strlen (data);
    if ((size_t)head_len + data_len + 2 > HL_HUB_EVENT_MAX) {
        /*  Too big for a stream's budget: say what it was, and the page
            fetches the rest (a report, say) from the API. */
        free (data);
        json_t *stub
            = json_pack ("{s:s, s:s, s:I, s:b}", "topic", topic, "type",
                         hl_msg_type_name (hl_msg_type (msg)), "ts",
                         (json_int_t)hl_msg_ts (msg), "truncated", 1);
        data = json_dumps (stub, JSON_COMPACT);
        json_decref (stub);
        data_len = strlen (data);
        atomic_fetch_add (&self->truncated, 1);
    }
    size_t len = 8 + (size_t)head_len + data_len + 2;
    zmq_msg_t frame;
    zmq_msg_init_size (&frame, len);
    uint8_t *out = (uint8_t *)zmq_msg_data (&frame);
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(seq >> (56 - 8 * i));
    memcpy (out + 8, head, (size_t)head_len);
    memcpy (out + 8 + head_len, data, data_len);
    memcpy (out + 8 + head_len + data_len, "\n\n", 2);
    free (data);
    /*  The XPUB drops for a full stream and never blocks. */
    if (zmq_msg_send (&frame, zsock_resolve (xpub), ZMQ_DONTWAIT) < 0)
        zmq_msg_close (&frame);
    self->seq = seq;
    atomic_fetch_add (&self->events, 1);
}

static void
s_bus_readable (hl_hub_t *self, zsock_t *sub, zsock_t *xpub,
                const hl_limits_t *limits)
{
    for (int i = 0; i < 256; i++) {
        hl_msg_t *msg = NULL;
        int rc = hl_bus_recv (sub, limits, &msg, NULL);
        if (rc == HL_ERR_IO)
            return;
        if (rc) {
            atomic_fetch_add (&self->rejected, 1);
            continue;
        }
        if (hl_msg_type (msg) == HL_MSG_HEALTH)
            s_remember (self, msg);
        s_fan_out (self, xpub, msg);
        hl_msg_destroy (&msg);
    }
}

/*  The streams' subscriptions, as the XPUB reports them: the first one
    in, and the last one out (ZeroMQ folds the rest). task.* is a flood
    under load, so it is asked of the master only while a stream is
    open. */
static void
s_streams_changed (hl_hub_t *self, zsock_t *xpub, zsock_t *sub)
{
    zframe_t *frame;
    while ((frame = zframe_recv_nowait (xpub))) {
        if (zframe_size (frame) >= 1) {
            bool on = zframe_data (frame)[0] == 1;
            if (on != atomic_load (&self->tasks)) {
                /*  Said before it is asked, so whoever sees the
                    subscription on the bus also sees it in the stats */
                atomic_store (&self->tasks, on);
                if (on)
                    zsock_set_subscribe (sub, "task.");
                else
                    zsock_set_unsubscribe (sub, "task.");
            }
        }
        zframe_destroy (&frame);
    }
}

static void
s_history_request (hl_hub_t *self, zsock_t *router)
{
    zmsg_t *msg = zmsg_recv_nowait (router);
    if (!msg)
        return;
    zframe_t *rid = zmsg_pop (msg);
    zmsg_destroy (&msg);
    if (!rid)
        return;
    char *text = s_history_json (self);
    zmsg_t *reply = zmsg_new ();
    zmsg_append (reply, &rid);
    zmsg_addmem (reply, text ? text : "{}", text ? strlen (text) : 2);
    free (text);
    zmsg_send (&reply, router); /* a requester gone: dropped */
    zmsg_destroy (&reply);
}

static void
s_actor (zsock_t *pipe, void *arg)
{
    hl_hub_t *self = (hl_hub_t *)arg;
    hl_sock_opts_t opts;
    hl_sock_opts_from_config (hl_config_limits (self->config), &opts);
    hl_limits_t limits = hl_config_limits (self->config)->decode;
    hl_limits_lower (&limits);
    zsock_t *sub
        = hl_sock_subscriber (self->bus_out, s_prefixes, S_PREFIXES, &opts);
    zsock_t *xpub = zsock_new (ZMQ_XPUB);
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (xpub) {
        zsock_set_sndhwm (xpub, HL_HUB_CLIENT_HWM);
        zsock_set_linger (xpub, 0);
    }
    if (!sub || !xpub || !router || zsock_bind (xpub, "%s", self->events_ep)
        || zsock_bind (router, "%s", self->history_ep)) {
        self->start_rc = -1;
        zsock_signal (pipe, 0);
        goto done;
    }
    zsock_set_linger (router, 0);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, sub, xpub, router, NULL);
    int64_t next_tick = zclock_mono () + HL_HUB_TICK_MS;
    while (true) {
        int64_t wait = next_tick - zclock_mono ();
        zsock_t *which
            = (zsock_t *)zpoller_wait (poller, wait > 0 ? (int)wait : 0);
        if (which == pipe) {
            zmsg_t *cmd = zmsg_recv (pipe);
            char *word = cmd ? zmsg_popstr (cmd) : NULL;
            bool term = !word || streq (word, "$TERM");
            free (word);
            zmsg_destroy (&cmd);
            if (term)
                break;
        } else if (which == sub)
            s_bus_readable (self, sub, xpub, &limits);
        else if (which == xpub)
            s_streams_changed (self, xpub, sub);
        else if (which == router)
            s_history_request (self, router);
        else if (zpoller_terminated (poller))
            break;
        if (zclock_mono () >= next_tick) {
            next_tick = zclock_mono () + HL_HUB_TICK_MS;
            if (self->tick)
                self->tick (self->tick_arg);
        }
    }
    zpoller_destroy (&poller);
done:
    zsock_destroy (&router);
    zsock_destroy (&xpub);
    zsock_destroy (&sub);
}

//  --------------------------------------------------------------------
//  Everyone else's side

hl_hub_t *
hl_hub_new (const hl_config_t *config, const char *bus_out,
            hl_hub_tick_fn *tick, void *arg, char *err, size_t errsize)
{
    assert (config && bus_out);
    hl_hub_t *self = (hl_hub_t *)hl_alloc (sizeof (hl_hub_t));
    self->config = config;
    snprintf (self->bus_out, sizeof self->bus_out, "%s", bus_out);
    snprintf (self->events_ep, sizeof self->events_ep,
              "inproc://helios-hub-events-%p", (void *)self);
    snprintf (self->history_ep, sizeof self->history_ep,
              "inproc://helios-hub-history-%p", (void *)self);
    self->tick = tick;
    self->tick_arg = arg;
    self->metrics_n = hl_config_metrics_size (config);
    self->points = hl_alloc (HL_HUB_HISTORY * sizeof (s_point_t));
    size_t cells = HL_HUB_HISTORY * (self->metrics_n ? self->metrics_n : 1);
    self->values = hl_alloc (cells * sizeof (double));
    self->scores = hl_alloc (cells * sizeof (double));
    atomic_init (&self->events, 0);
    atomic_init (&self->truncated, 0);
    atomic_init (&self->rejected, 0);
    atomic_init (&self->tasks, false);
    self->actor = zactor_new (s_actor, self);
    /*  zactor_new returns after the actor's first signal, which follows
        start_rc */
    if (!self->actor || self->start_rc) {
        snprintf (err, errsize, "http: cannot start the event hub on %s",
                  bus_out);
        hl_hub_destroy (&self);
        return NULL;
    }
    return self;
}

void
hl_hub_destroy (hl_hub_t **self_p)
{
    assert (self_p);
    hl_hub_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    free (self->points);
    free (self->values);
    free (self->scores);
    free (self);
    *self_p = NULL;
}

zsock_t *
hl_hub_subscribe (hl_hub_t *self)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    if (!sub)
        return NULL;
    zsock_set_rcvhwm (sub, HL_HUB_CLIENT_HWM);
    zsock_set_linger (sub, 0);
    zsock_set_subscribe (sub, "");
    if (zsock_connect (sub, "%s", self->events_ep)) {
        zsock_destroy (&sub);
        return NULL;
    }
    return sub;
}

int
hl_hub_next (zsock_t *stream, int timeout_ms, uint64_t *seq, char **text_p,
             size_t *len)
{
    *text_p = NULL;
    void *handle = zsock_resolve (stream);
    zmq_pollitem_t item = { handle, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return 0;
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) < 0
        || zmq_msg_size (&frame) < 8) {
        zmq_msg_close (&frame);
        return 0;
    }
    const uint8_t *in = (const uint8_t *)zmq_msg_data (&frame);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n = n << 8 | in[i];
    *seq = n;
    *len = zmq_msg_size (&frame) - 8;
    *text_p = (char *)hl_alloc (*len + 1);
    memcpy (*text_p, in + 8, *len);
    (*text_p)[*len] = 0;
    zmq_msg_close (&frame);
    return 1;
}

char *
hl_hub_history (hl_hub_t *self, int timeout_ms)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    zsock_set_linger (dealer, 0);
    char *text = NULL;
    if (zsock_connect (dealer, "%s", self->history_ep) == 0
        && zstr_send (dealer, "history") == 0) {
        zmq_pollitem_t item = { zsock_resolve (dealer), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, timeout_ms) > 0) {
            zframe_t *frame = zframe_recv (dealer);
            if (frame) {
                text = (char *)hl_alloc (zframe_size (frame) + 1);
                memcpy (text, zframe_data (frame), zframe_size (frame));
                text[zframe_size (frame)] = 0;
            }
            zframe_destroy (&frame);
        }
    }
    zsock_destroy (&dealer);
    return text;
}

void
hl_hub_stats (hl_hub_t *self, hl_hub_stats_t *stats)
{
    stats->events = atomic_load (&self->events);
    stats->truncated = atomic_load (&self->truncated);
    stats->rejected = atomic_load (&self->rejected);
    stats->tasks = atomic_load (&self->tasks);
}
