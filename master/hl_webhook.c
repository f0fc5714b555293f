/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_webhook - the notification actor. libcurl is used through its
    multi interface: the actor's one loop waits in curl_multi_poll on
    libcurl's sockets and on the pipe's descriptor at once, so events,
    status requests and transfers all move without a blocking call.
    Pipe commands: "EVENT" + one JSON event, "STATS" (answered with one
    JSON frame), "$TERM".
*/
#include <curl/curl.h>
#include <czmq.h>
#include <math.h>

#include "../bus/hl_log.h"
#include "../bus/hl_rand.h"
#include "../proto/hl_alloc.h"
#include "hl_alerts.h"
#include "hl_webhook.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

#define S_EVENT_MAX 16384   /* bytes of one event on the pipe */
#define S_EVENTS_PER_MSG 16 /* events one bus message may make */
#define S_STATS_WAIT_MS 500 /* for the actor's answer to STATS */
#define S_IDLE_MS 1000      /* the loop's longest sleep */

struct _hl_webhook_t {
    zactor_t *actor;
    const hl_config_t *config;
    uint64_t offered;       /* events sent to the actor */
    uint64_t offer_dropped; /* the pipe was full */
};

//  --------------------------------------------------------------------
//  The actor

typedef struct {
    char *payload;
    size_t url;     /* index in the config's urls */
    int attempts;   /* made so far */
    int64_t due_ms; /* the next attempt, monotonic */
    CURL *easy;     /* while under way */
    struct curl_slist *headers;
    char error[CURL_ERROR_SIZE];
} s_delivery_t;

typedef struct {
    zsock_t *pipe;
    const hl_config_webhooks_t *wh;
    hl_alerts_t *alerts;
    CURLM *multi;
    zlistx_t *queue; /* s_delivery_t, oldest first: waiting and under way */
    size_t inflight;
    hl_rand_t rand; /* retry jitter */
    bool terminated;
    uint64_t deliveries, attempts, delivered, retries, failed, dropped;
} s_actor_t;

typedef struct {
    const hl_config_webhooks_t *wh;
    const char *src;
} s_start_t;

/*  A url's scheme and host only: webhook urls often carry a secret
    (Slack's do), which logs must not. */
static void
s_url_host (const char *url, char *out, size_t size)
{
    const char *host = strstr (url, "://");
    host = host ? host + 3 : url;
    size_t len = strcspn (host, "/?#");
    snprintf (out, size, "%.*s%.*s", (int)(host - url), url,
              (int)(len < 128 ? len : 128), host);
}

static void
s_delivery_free (s_delivery_t **d_p)
{
    s_delivery_t *d = *d_p;
    if (!d)
        return;
    free (d->payload);
    curl_slist_free_all (d->headers);
    free (d);
    *d_p = NULL;
}

/*  A message from hl_alerts: one delivery per url, within the bound. */
static void
s_enqueue (void *arg, char *payload)
{
    s_actor_t *self = (s_actor_t *)arg;
    int64_t now = zclock_mono ();
    for (size_t u = 0; u < self->wh->urls_n; u++) {
        if (zlistx_size (self->queue) >= (size_t)self->wh->max_queue) {
            //  Full: the oldest that waits goes (one under way stays)
            s_delivery_t *old = (s_delivery_t *)zlistx_first (self->queue);
            while (old && old->easy)
                old = (s_delivery_t *)zlistx_next (self->queue);
            self->dropped++;
            if (!old) {
                hl_log_warning ("webhook: queue full, a message dropped");
                continue;
            }
            zlistx_delete (self->queue, zlistx_cursor (self->queue));
            s_delivery_free (&old);
            hl_log_warning ("webhook: queue full (%d), the oldest delivery "
                            "dropped",
                            self->wh->max_queue);
        }
        s_delivery_t *d = (s_delivery_t *)hl_alloc (sizeof *d);
        d->payload = hl_strdup (payload);
        d->url = u;
        d->due_ms = now;
        zlistx_add_end (self->queue, d);
        self->deliveries++;
    }
    free (payload);
}

static size_t
s_discard (char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

static void
s_start (s_actor_t *self, s_delivery_t *d)
{
    CURL *e = curl_easy_init ();
    if (!e) {
        d->due_ms = zclock_mono () + 1000;
        return;
    }
    const char *url = self->wh->urls[d->url];
    if (!d->headers) {
        d->headers = curl_slist_append (NULL, "Content-Type: application/json");
        d->headers = curl_slist_append (d->headers, "Expect:");
    }
    curl_easy_setopt (e, CURLOPT_URL, url);
    curl_easy_setopt (e, CURLOPT_POST, 1L);
    curl_easy_setopt (e, CURLOPT_POSTFIELDS, d->payload);
    curl_easy_setopt (e, CURLOPT_POSTFIELDSIZE, (long)strlen (d->payload));
    curl_easy_setopt (e, CURLOPT_HTTPHEADER, d->headers);
    curl_easy_setopt (e, CURLOPT_USERAGENT, "helios/" HL_VERSION);
    curl_easy_setopt (e, CURLOPT_TIMEOUT_MS, (long)self->wh->timeout_ms);
    long connect = self->wh->timeout_ms < 5000 ? self->wh->timeout_ms : 5000;
    curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT_MS, connect);
    //  Threads: no signals; only http(s), no redirects to elsewhere
    curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt (e, CURLOPT_PROTOCOLS,
                      (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt (e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt (e, CURLOPT_ERRORBUFFER, d->error);
    curl_easy_setopt (e, CURLOPT_PRIVATE, d);
    d->error[0] = 0;
    if (curl_multi_add_handle (self->multi, e) != CURLM_OK) {
        curl_easy_cleanup (e);
        d->due_ms = zclock_mono () + 1000;
        return;
    }
    d->easy = e;
    d->attempts++;
    self->attempts++;
    self->inflight++;
}

/*  Start what is due, oldest first, up to HL_WEBHOOK_INFLIGHT. */
static void
s_start_due (s_actor_t *self, int64_t now)
{
    for (s_delivery_t *d = (s_delivery_t *)zlistx_first (self->queue);
         d && self->inflight < HL_WEBHOOK_INFLIGHT;
         d = (s_delivery_t *)zlistx_next (self->queue))
        if (!d->easy && d->due_ms <= now)
            s_start (self, d);
}

/*  The delay before attempt n + 1: backoff doubling, 75..125%, capped. */
static int64_t
s_backoff (s_actor_t *self, int attempts)
{
    double ms = self->wh->backoff_ms * pow (2, attempts - 1);
    ms *= 0.75 + 0.5 * hl_rand_uniform (&self->rand);
    return ms > HL_WEBHOOK_BACKOFF_MAX_MS ? HL_WEBHOOK_BACKOFF_MAX_MS
                                          : (int64_t)ms;
}

static void
s_done (s_actor_t *self, CURL *e, CURLcode result)
{
    s_delivery_t *d = NULL;
    curl_easy_getinfo (e, CURLINFO_PRIVATE, (char **)&d);
    long code = 0;
    curl_easy_getinfo (e, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle (self->multi, e);
    curl_easy_cleanup (e);
    self->inflight--;
    if (!d)
        return;
    d->easy = NULL;
    void *handle = zlistx_find (self->queue, d);
    if (result == CURLE_OK && code >= 200 && code < 300) {
        self->delivered++;
        zlistx_delete (self->queue, handle);
        s_delivery_free (&d);
        return;
    }
    char host[160];
    s_url_host (self->wh->urls[d->url], host, sizeof host);
    char why[CURL_ERROR_SIZE + 32];
    if (result != CURLE_OK)
        snprintf (why, sizeof why, "%s",
                  *d->error ? d->error : curl_easy_strerror (result));
    else
        snprintf (why, sizeof why, "HTTP %ld", code);
    //  The receiver's trouble may pass; a request it refuses will not
    bool again
        = result != CURLE_OK || code >= 500 || code == 429 || code == 408;
    if (again && d->attempts <= self->wh->retries) {
        d->due_ms = zclock_mono () + s_backoff (self, d->attempts);
        self->retries++;
        hl_log_info ("webhook: %s: %s; retry %d of %d", host, why, d->attempts,
                     self->wh->retries);
        return;
    }
    self->failed++;
    hl_log_warning ("webhook: %s: %s; given up after %d attempt(s)", host, why,
                    d->attempts);
    zlistx_delete (self->queue, handle);
    s_delivery_free (&d);
}

static void
s_reap (s_actor_t *self)
{
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read (self->multi, &left)))
        if (m->msg == CURLMSG_DONE)
            s_done (self, m->easy_handle, m->data.result);
}

static void
s_stats (s_actor_t *self)
{
    const hl_alerts_counters_t *n = hl_alerts_counters (self->alerts);
    json_t *j = json_object ();
    json_object_set_new (j, "events", json_integer ((json_int_t)n->events));
    json_object_set_new (j, "events_bad", json_integer ((json_int_t)n->bad));
    json_object_set_new (j, "events_dropped",
                         json_integer ((json_int_t)n->dropped));
    json_object_set_new (j, "notifications",
                         json_integer ((json_int_t)n->notifications));
    json_object_set_new (
        j, "groups",
        json_integer ((json_int_t)hl_alerts_groups (self->alerts)));
    json_object_set_new (j, "queued",
                         json_integer ((json_int_t)zlistx_size (self->queue)));
    json_object_set_new (j, "inflight",
                         json_integer ((json_int_t)self->inflight));
    json_object_set_new (j, "deliveries",
                         json_integer ((json_int_t)self->deliveries));
    json_object_set_new (j, "attempts",
                         json_integer ((json_int_t)self->attempts));
    json_object_set_new (j, "delivered",
                         json_integer ((json_int_t)self->delivered));
    json_object_set_new (j, "retries",
                         json_integer ((json_int_t)self->retries));
    json_object_set_new (j, "failed", json_integer ((json_int_t)self->failed));
    json_object_set_new (j, "dropped",
                         json_integer ((json_int_t)self->dropped));
    char *text = json_dumps (j, JSON_COMPACT);
    json_decref (j);
    zstr_send (self->pipe, text ? text : "{}");
    free (text);
}

/*  Every command waiting on the pipe. */
static void
s_commands (s_actor_t *self)
{
    while (!self->terminated && (zsock_events (self->pipe) & ZMQ_POLLIN)) {
        zmsg_t *msg = zmsg_recv (self->pipe);
        if (!msg)
            break;
        char *command = zmsg_popstr (msg);
        if (!command)
            ;
        else if (streq (command, "$TERM"))
            self->terminated = true;
        else if (streq (command, "STATS"))
            s_stats (self);
        else if (streq (command, "EVENT")) {
            zframe_t *frame = zmsg_first (msg);
            json_t *event = frame
                                ? json_loadb ((const char *)zframe_data (frame),
                                              zframe_size (frame), 0, NULL)
                                : NULL;
            if (!event || hl_alerts_add (self->alerts, event, zclock_mono ()))
                hl_log_debug ("webhook: an event refused");
            json_decref (event);
        }
        free (command);
        zmsg_destroy (&msg);
    }
}

/*  How long the loop may sleep: libcurl's own timeout, the next group
    due, the next delivery due. */
static int
s_wait_ms (s_actor_t *self, int64_t now)
{
    int64_t wait = S_IDLE_MS;
    long curl_ms = -1;
    curl_multi_timeout (self->multi, &curl_ms);
    if (curl_ms >= 0 && curl_ms < wait)
        wait = curl_ms;
    int64_t next = hl_alerts_next (self->alerts);
    if (next >= 0 && next - now < wait)
        wait = next - now;
    if (self->inflight < HL_WEBHOOK_INFLIGHT)
        for (s_delivery_t *d = (s_delivery_t *)zlistx_first (self->queue); d;
             d = (s_delivery_t *)zlistx_next (self->queue))
            if (!d->easy && d->due_ms - now < wait)
                wait = d->due_ms - now;
    return wait < 0 ? 0 : (int)wait;
}

static void
s_actor (zsock_t *pipe, void *arg)
{
    const s_start_t *start = (const s_start_t *)arg;
    s_actor_t self_s = { .pipe = pipe, .wh = start->wh };
    s_actor_t *self = &self_s;
    self->alerts = hl_alerts_new (start->wh, start->src);
    self->multi = curl_multi_init ();
    self->queue = zlistx_new ();
    hl_rand_seed (&self->rand, (uint64_t)zclock_time () ^ (uint64_t)getpid ());
    zsock_signal (pipe, 0);
    struct curl_waitfd wait_fd = { zsock_fd (pipe), CURL_WAIT_POLLIN, 0 };
    while (!self->terminated) {
        s_commands (self);
        if (self->terminated)
            break;
        int64_t now = zclock_mono ();
        hl_alerts_tick (self->alerts, now, s_enqueue, self);
        s_start_due (self, now);
        int running = 0;
        curl_multi_perform (self->multi, &running);
        s_reap (self);
        s_start_due (self, zclock_mono ());
        //  ZMQ_FD only signals a change: sleep only once the pipe is
        //  known empty
        if (zsock_events (pipe) & ZMQ_POLLIN)
            continue;
        int wait = s_wait_ms (self, zclock_mono ());
        wait_fd.revents = 0;
        if (curl_multi_poll (self->multi, &wait_fd, 1, wait, NULL) != CURLM_OK)
            zclock_sleep (10); /* never spin on a broken poll */
    }
    size_t left = zlistx_size (self->queue);
    if (left)
        hl_log_notice ("webhook: %zu deliveries abandoned at shutdown", left);
    s_delivery_t *d = (s_delivery_t *)zlistx_first (self->queue);
    while (d) {
        if (d->easy) {
            curl_multi_remove_handle (self->multi, d->easy);
            curl_easy_cleanup (d->easy);
        }
        s_delivery_free (&d);
        d = (s_delivery_t *)zlistx_next (self->queue);
    }
    zlistx_destroy (&self->queue);
    curl_multi_cleanup (self->multi);
    hl_alerts_destroy (&self->alerts);
}

//  --------------------------------------------------------------------
//  The master's side

hl_webhook_t *
hl_webhook_new (const hl_config_t *config, const char *src)
{
    const hl_config_webhooks_t *wh = hl_config_webhooks (config);
    if (!wh->urls_n)
        return NULL;
    //  Reference-counted by libcurl; before any thread uses it
    curl_global_init (CURL_GLOBAL_DEFAULT);
    hl_webhook_t *self = (hl_webhook_t *)hl_alloc (sizeof *self);
    self->config = config;
    s_start_t start = { wh, src };
    self->actor = zactor_new (s_actor, &start);
    //  Offering never waits: a full pipe drops (and counts)
    zsock_set_sndtimeo (zactor_sock (self->actor), 0);
    hl_log_notice ("webhook: %zu url(s); group_wait %.1f s, group_interval "
                   "%.1f s, repeat_interval %.0f s",
                   wh->urls_n, wh->group_wait_ms / 1000.0,
                   wh->group_interval_ms / 1000.0,
                   wh->repeat_interval_ms / 1000.0);
    return self;
}

void
hl_webhook_destroy (hl_webhook_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_webhook_t *self = *self_p;
    zactor_destroy (&self->actor);
    curl_global_cleanup ();
    free (self);
    *self_p = NULL;
}

bool
hl_webhook_wants (const hl_webhook_t *self, const char *topic)
{
    return self && hl_alerts_topic (topic);
}

void
hl_webhook_offer (hl_webhook_t *self, const hl_msg_t *msg)
{
    if (!self)
        return;
    json_t *events[S_EVENTS_PER_MSG];
    size_t n
        = hl_alerts_from_msg (msg, hl_config_webhooks (self->config)->every_run,
                              events, S_EVENTS_PER_MSG);
    for (size_t i = 0; i < n; i++) {
        char *text = json_dumps (events[i], JSON_COMPACT);
        if (text && strlen (text) > S_EVENT_MAX) {
            //  Too big for the pipe with its details: send it without
            free (text);
            json_object_del (events[i], "data");
            text = json_dumps (events[i], JSON_COMPACT);
        }
        json_decref (events[i]);
        zmsg_t *m = zmsg_new ();
        zmsg_addstr (m, "EVENT");
        zmsg_addstr (m, text ? text : "{}");
        free (text);
        if (zmsg_send (&m, zactor_sock (self->actor)) == 0)
            self->offered++;
        else {
            zmsg_destroy (&m);
            self->offer_dropped++;
        }
    }
}

hl_value_t *
hl_webhook_status (hl_webhook_t *self)
{
    hl_value_t *v = hl_value_new_map ();
    hl_value_set_int (v, "urls",
                      (int64_t)hl_config_webhooks (self->config)->urls_n);
    hl_value_set_int (v, "offered", (int64_t)self->offered);
    hl_value_set_int (v, "offer_dropped", (int64_t)self->offer_dropped);
    zsock_t *sock = zactor_sock (self->actor);
    //  A late answer to an earlier request must not pass for this one
    while (zsock_events (sock) & ZMQ_POLLIN) {
        char *stale = zstr_recv (sock);
        free (stale);
    }
    if (zstr_send (sock, "STATS") != 0)
        return v;
    zpoller_t *poller = zpoller_new (sock, NULL);
    char *text
        = zpoller_wait (poller, S_STATS_WAIT_MS) ? zstr_recv (sock) : NULL;
    zpoller_destroy (&poller);
    json_t *j = text ? json_loads (text, 0, NULL) : NULL;
    free (text);
    const char *key;
    json_t *value;
    json_object_foreach (j, key, value) {
        if (json_is_integer (value))
            hl_value_set_int (v, key, json_integer_value (value));
    }
    json_decref (j);
    return v;
}
