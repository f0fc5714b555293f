/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_proxy - the bus actor. Its thread owns the XSUB (bus-in) and XPUB
    (bus-out) sockets and the counters; the caller talks to it only over
    the actor pipe ("STATS", "INTAKE", "$TERM"). Messages move between the
    sockets as zmq_msg_t, never copied; what goes to the owner's intake and
    bus-out both shares the same content (zmq_msg_copy counts a
    reference). The owner's own publisher has an XSUB of its own, on the
    inproc endpoint only: what arrives there is the master's, and only
    there may the master's types come in.
*/
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "hl_proxy.h"
#include "hl_log.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_codec.h"
#include "../proto/hl_limits.h"
#include "../proto/hl_msg.h"

//  Messages forwarded per wakeup before the pipe is looked at again
#define HL_PROXY_BATCH 512
#define HL_PROXY_ENDPOINT 256
//  Period of the upstream subscribe-all refresh (see s_resubscribe)
#define HL_PROXY_RESUBSCRIBE_MS 100
//  Messages per intake batch (one multipart message of topic/envelope
//  pairs): the owner's queue holds hwm / this many batches
#define HL_PROXY_INTAKE_BATCH 64
//  A refusal of the master's types is logged once per publisher and type
//  per interval, with the count since; the slots bound the memory
#define HL_PROXY_REFUSED_MS 60000
#define HL_PROXY_REFUSED_SLOTS 64

struct _hl_proxy_t {
    zactor_t *actor;                /* the forwarding thread */
    char bus_in[HL_PROXY_ENDPOINT]; /* bound, resolved */
    char bus_out[HL_PROXY_ENDPOINT];
    char inproc_in[HL_PROXY_ENDPOINT]; /* same sockets, this process */
    char inproc_out[HL_PROXY_ENDPOINT];
    char inproc_subs[HL_PROXY_ENDPOINT];
    char inproc_intake[HL_PROXY_ENDPOINT];
    zsock_t *subs;    /* PAIR: the actor's copy of every
                         subscribe/unsubscribe on bus-out */
    zsock_t *intake;  /* PAIR: the owner's intake, once opened */
    zhashx_t *wanted; /* prefix -> subscriptions (intptr) */
};

//  What the actor is started with; it lives on the caller's stack until
//  the actor has signalled and answered, so the actor may read it.
typedef struct {
    const char *bus_in;
    const char *bus_out;
    const char *inproc_in;
    const char *inproc_out;
    const char *inproc_subs;
    const char *inproc_intake;
    hl_sock_opts_t opts;
    hl_limits_t limits;
} s_start_t;

//  One publisher and type whose refusals are being logged
typedef struct {
    char key[HL_PROXY_ENDPOINT]; /* "peer type"; "" if free */
    int64_t logged_ms;           /* when last logged */
    uint64_t since;              /* refused since, not logged */
} s_refused_t;

//  The actor's own state
typedef struct {
    zsock_t *pipe;
    zsock_t *xsub;    /* bus-in: any publisher */
    zsock_t *trusted; /* inproc: the owner's publisher */
    zsock_t *xpub;
    zsock_t *subs; /* PAIR to the owner: subscription changes */
    void *xsub_h;  /* raw handles, hot path */
    void *trusted_h;
    void *xpub_h;
    size_t max_msg_size;
    hl_limits_t limits; /* for the structural scan */
    hl_proxy_stats_t stats;
    const char *inproc_intake;
    zsock_t *intake; /* PAIR to the owner, once it asks (INTAKE) */
    void *intake_h;
    char intake_prefix[HL_MAX_TOPIC + 1];
    size_t intake_prefix_len;
    //  The intake's last message is held back until the next one, or the
    //  end of the wakeup, says whether the batch goes on (ZMQ_SNDMORE)
    zmq_msg_t held[2];
    bool holding;
    size_t batch_len; /* messages of the open batch sent so far */
    s_refused_t refused[HL_PROXY_REFUSED_SLOTS];
    int64_t quiet_ms; /* slots full: last said so */
} s_actor_t;

static void
s_reject (s_actor_t *self, int err, zmq_msg_t *topic)
{
    self->stats.rejected++;
    self->stats.rejected_by[-err]++;
    if (hl_log_level () >= HL_LOG_DEBUG) {
        char text[64] = "";
        if (topic)
            hl_log_escape (text, sizeof text, zmq_msg_data (topic),
                           zmq_msg_size (topic));
        hl_log_debug ("bus: message rejected: %s (topic \"%s\")",
                      hl_strerror (err), text);
    }
}

//  A slot for key: its own, else a free or stale one; NULL if every slot
//  holds another publisher logged within the interval
static s_refused_t *
s_refused_slot (s_actor_t *self, const char *key, int64_t now)
{
    s_refused_t *spare = NULL;
    for (size_t i = 0; i < HL_PROXY_REFUSED_SLOTS; i++) {
        s_refused_t *slot = &self->refused[i];
        if (streq (slot->key, key))
            return slot;
        if (!spare
            && (!slot->key[0] || now - slot->logged_ms >= HL_PROXY_REFUSED_MS))
            spare = slot;
    }
    if (spare) {
        if (spare->key[0] && spare->since)
            hl_log_warning ("bus: %s: %" PRIu64 " more refused: %s", spare->key,
                            spare->since, hl_strerror (HL_ERR_AUTHORITY));
        snprintf (spare->key, sizeof spare->key, "%s", key);
        spare->logged_ms = 0;
        spare->since = 0;
    }
    return spare;
}

//  A master's type from another publisher: logged once per publisher
//  (its address; the owner's CURVE key when there is one) and type per
//  interval, never once per message
static void
s_refused_log (s_actor_t *self, zmq_msg_t *topic, const char *type)
{
    const char *peer = zmq_msg_gets (topic, "User-Id");
    if (!peer || !*peer)
        peer = zmq_msg_gets (topic, "Peer-Address");
    char who[64];
    hl_log_escape (who, sizeof who, peer ? peer : "?",
                   peer ? strlen (peer) : 1);
    char key[HL_PROXY_ENDPOINT];
    snprintf (key, sizeof key, "%s %s", who, type);
    int64_t now = zclock_mono ();
    s_refused_t *slot = s_refused_slot (self, key, now);
    if (!slot) {
        if (now - self->quiet_ms >= HL_PROXY_REFUSED_MS) {
            self->quiet_ms = now;
            hl_log_warning ("bus: more publishers send the master's types "
                            "than are logged; see rejected_by.authority");
        }
        return;
    }
    if (slot->logged_ms && now - slot->logged_ms < HL_PROXY_REFUSED_MS) {
        slot->since++;
        return;
    }
    if (slot->since)
        hl_log_warning ("bus: publisher %s: %s refused: %s (and %" PRIu64
                        " more since last said)",
                        who, type, hl_strerror (HL_ERR_AUTHORITY), slot->since);
    else
        hl_log_warning ("bus: publisher %s: %s refused: %s (said once a "
                        "minute at most)",
                        who, type, hl_strerror (HL_ERR_AUTHORITY));
    slot->logged_ms = now;
    slot->since = 0;
}

//  Topic: 1..HL_MAX_TOPIC bytes of printable ASCII without spaces, whose
//  first word (up to '.') is the envelope's type. From bus-in (trusted
//  false) only the types any publisher may send.
static int
s_check (s_actor_t *self, zmq_msg_t *topic, zmq_msg_t *env, bool trusted)
{
    size_t topic_len = zmq_msg_size (topic);
    const uint8_t *t = (const uint8_t *)zmq_msg_data (topic);
    if (topic_len == 0 || topic_len > HL_MAX_TOPIC)
        return HL_ERR_TOPIC;
    size_t word = topic_len;
    for (size_t i = 0; i < topic_len; i++) {
        if (t[i] <= ' ' || t[i] > '~')
            return HL_ERR_TOPIC;
        if (t[i] == '.' && word == topic_len)
            word = i;
    }
    size_t env_len = zmq_msg_size (env);
    if (env_len > self->max_msg_size)
        return HL_ERR_TOO_BIG;
    char type[HL_MAX_NAME + 1];
    int rc = hl_codec_peek ((const uint8_t *)zmq_msg_data (env), env_len, type,
                            sizeof type);
    if (rc != 0)
        return rc;
    if (strlen (type) != word || memcmp (type, t, word) != 0)
        return HL_ERR_TOPIC;
    int known = hl_msg_type_from_name (type);
    if (!trusted && known > 0 && !hl_msg_type_public ((hl_msg_type_t)known)) {
        s_refused_log (self, topic, type);
        return HL_ERR_AUTHORITY;
    }
    //  The structural scan costs one pass over the bytes and allocates
    //  nothing; it keeps truncated or hostile msgpack off the bus, so
    //  that subscribers only ever see well-formed envelopes
    return hl_codec_scan ((const uint8_t *)zmq_msg_data (env), env_len,
                          &self->limits);
}

//  Send the held intake message; more says whether the batch goes on.
//  Only a batch's first frame can meet a full queue (libzmq counts whole
//  messages against the HWM): then the message is dropped and counted.
static void
s_intake_send_held (s_actor_t *self, bool more)
{
    self->holding = false;
    if (zmq_msg_send (&self->held[0], self->intake_h,
                      ZMQ_SNDMORE | ZMQ_DONTWAIT)
            < 0
        || zmq_msg_send (&self->held[1], self->intake_h,
                         (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT)
               < 0) {
        zmq_msg_close (&self->held[0]);
        zmq_msg_close (&self->held[1]);
        self->stats.intake_dropped++;
        return;
    }
    self->stats.intake++;
    self->batch_len = more ? self->batch_len + 1 : 0;
}

//  Queue one message for the intake: the one held before goes out as part
//  of the batch, this one is held: shared when it goes to bus-out too,
//  else taken from the frames.
static void
s_intake_hold (s_actor_t *self, zmq_msg_t *topic, zmq_msg_t *env, bool share)
{
    if (self->holding)
        s_intake_send_held (self, self->batch_len + 2 <= HL_PROXY_INTAKE_BATCH);
    zmq_msg_init (&self->held[0]);
    zmq_msg_init (&self->held[1]);
    if (share) {
        zmq_msg_copy (&self->held[0], topic);
        zmq_msg_copy (&self->held[1], env);
    } else {
        zmq_msg_move (&self->held[0], topic);
        zmq_msg_move (&self->held[1], env);
    }
    self->holding = true;
}

//  End of a wakeup: the held message closes the batch.
static void
s_intake_flush (s_actor_t *self)
{
    if (self->holding)
        s_intake_send_held (self, false);
}

//  Read and forward one message from an XSUB: bus-in, or the owner's
//  (trusted). Returns false when there was nothing to read.
static bool
s_forward_one (s_actor_t *self, void *xsub_h, bool trusted)
{
    zmq_msg_t frames[2];
    zmq_msg_t spill;
    int count = 0;
    bool more = true;
    while (more) {
        zmq_msg_t *frame = count < 2 ? &frames[count] : &spill;
        zmq_msg_init (frame);
        //  Only the first frame can be missing; the rest come with it
        if (zmq_msg_recv (frame, xsub_h, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (frame);
            if (count == 0)
                return false;
            break;
        }
        more = zmq_msg_more (frame);
        if (frame == &spill)
            zmq_msg_close (&spill);
        count++;
    }
    self->stats.received++;
    int kept = count < 2 ? count : 2;
    int rc = count == 2 ? s_check (self, &frames[0], &frames[1], trusted)
                        : HL_ERR_FRAMES;
    if (rc != 0) {
        s_reject (self, rc, count >= 1 ? &frames[0] : NULL);
        goto done;
    }
    size_t env_len = zmq_msg_size (&frames[1]);
    //  Nobody subscribed on bus-out: nothing to send. The count may run
    //  high (a subscriber that leaves need not unsubscribe), never low.
    bool bus_out = self->stats.subscribers > 0;
    if (self->intake_h && zmq_msg_size (&frames[0]) >= self->intake_prefix_len
        && memcmp (zmq_msg_data (&frames[0]), self->intake_prefix,
                   self->intake_prefix_len)
               == 0)
        s_intake_hold (self, &frames[0], &frames[1], bus_out);
    //  With XPUB_NODROP a full subscriber refuses the first frame; after
    //  that libzmq takes the whole message.
    if (bus_out
        && (zmq_msg_send (&frames[0], self->xpub_h, ZMQ_SNDMORE | ZMQ_DONTWAIT)
                < 0
            || zmq_msg_send (&frames[1], self->xpub_h, ZMQ_DONTWAIT) < 0)) {
        self->stats.dropped++;
        goto done;
    }
    self->stats.forwarded++;
    self->stats.bytes += env_len;
done:
    //  A sent message is left empty; closing it is harmless
    for (int i = 0; i < kept; i++)
        zmq_msg_close (&frames[i]);
    return true;
}

//  Subscriptions from bus-out go upstream unchanged, so publishers see
//  them; every subscribe and unsubscribe is counted (XPUB_VERBOSER).
static void
s_subscriptions (s_actor_t *self)
{
    for (int n = 0; n < HL_PROXY_BATCH; n++) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, self->xpub_h, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&frame);
            return;
        }
        if (zmq_msg_size (&frame) >= 1) {
            uint8_t kind = ((uint8_t *)zmq_msg_data (&frame))[0];
            if (kind == 1)
                self->stats.subscribers++;
            else if (kind == 0 && self->stats.subscribers > 0)
                self->stats.subscribers--;
            //  The owner mirrors the subscriptions, so that it builds only
            //  the events somebody listens to (hl_proxy_wanted)
            if (kind <= 1)
                zmq_send (zsock_resolve (self->subs), zmq_msg_data (&frame),
                          zmq_msg_size (&frame), ZMQ_DONTWAIT);
        }
        zmq_msg_t copy;
        zmq_msg_init (&copy);
        zmq_msg_copy (&copy, &frame);
        if (zmq_msg_send (&copy, self->trusted_h, ZMQ_DONTWAIT) < 0)
            zmq_msg_close (&copy);
        if (zmq_msg_send (&frame, self->xsub_h, ZMQ_DONTWAIT) < 0)
            zmq_msg_close (&frame);
    }
}

//  libzmq 4.3.4 sends an XSUB's cached subscriptions to a publisher that
//  connects later, but a connecting XPUB does not see them until it sends
//  something (seen on tcp and inproc), so hl_sock_publisher_wait would
//  never return. A subscription sent while the pipe is up does wake it:
//  so the proxy re-sends subscribe-all now and then. The unsubscribe that
//  follows only drops the XSUB's reference count back to one (XSUB counts
//  subscriptions and forwards an unsubscribe only at zero), and a
//  publisher already subscribed ignores the duplicate.
static void
s_resubscribe (s_actor_t *self)
{
    uint8_t subscribe = 1;
    uint8_t unsubscribe = 0;
    zmq_send (self->xsub_h, &subscribe, 1, ZMQ_DONTWAIT);
    zmq_send (self->xsub_h, &unsubscribe, 1, ZMQ_DONTWAIT);
    zmq_send (self->trusted_h, &subscribe, 1, ZMQ_DONTWAIT);
    zmq_send (self->trusted_h, &unsubscribe, 1, ZMQ_DONTWAIT);
}

//  INTAKE prefix hwm: connect to the owner's intake, which has bound it
//  already; what the owner asks for is checked there.
static void
s_intake_open (s_actor_t *self)
{
    char *prefix = zstr_recv (self->pipe);
    char *hwm = zstr_recv (self->pipe);
    if (!self->intake && prefix && hwm
        && strlen (prefix) < sizeof self->intake_prefix) {
        self->intake = zsock_new (ZMQ_PAIR);
        zsock_set_sndhwm (self->intake, atoi (hwm));
        if (zsock_connect (self->intake, "%s", self->inproc_intake) == 0) {
            self->intake_h = zsock_resolve (self->intake);
            strcpy (self->intake_prefix, prefix);
            self->intake_prefix_len = strlen (prefix);
        } else {
            hl_log_error ("bus: cannot connect the intake");
            zsock_destroy (&self->intake);
        }
    }
    zstr_free (&prefix);
    zstr_free (&hwm);
}

//  Returns false on $TERM.
static bool
s_command (s_actor_t *self)
{
    char *command = zstr_recv (self->pipe);
    if (!command)
        return false; //  interrupted
    bool running = true;
    if (streq (command, "$TERM"))
        running = false;
    else if (streq (command, "STATS"))
        zmq_send (zsock_resolve (self->pipe), &self->stats, sizeof self->stats,
                  ZMQ_DONTWAIT);
    else if (streq (command, "INTAKE"))
        s_intake_open (self);
    else
        hl_log_warning ("bus: unknown proxy command \"%.32s\"", command);
    zstr_free (&command);
    return running;
}

//  Bind endpoint, and inproc too unless NULL. On failure reason gets
//  "endpoint: why".
static int
s_bind_both (zsock_t **sock_p, int type, const char *endpoint,
             const char *inproc, const hl_sock_opts_t *opts, char *bound,
             size_t boundsize, char *reason, size_t reasonsize)
{
    *sock_p = hl_sock_bind (type, endpoint, opts, bound, boundsize);
    if (!*sock_p) {
        snprintf (reason, reasonsize, "%s: cannot bind: %s", endpoint,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    if (inproc && zsock_bind (*sock_p, "%s", inproc) < 0) {
        snprintf (reason, reasonsize, "%s: cannot bind: %s", inproc,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

//  Serve the pipe, forward bus-in to bus-out and pass subscriptions up,
//  until $TERM or a fatal poll error
static void
s_loop (s_actor_t *self)
{
    zmq_pollitem_t items[] = {
        { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 },
        { self->xsub_h, 0, ZMQ_POLLIN, 0 },
        { self->xpub_h, 0, ZMQ_POLLIN, 0 },
        { self->trusted_h, 0, ZMQ_POLLIN, 0 },
    };
    int64_t resubscribe_at = zclock_mono () + HL_PROXY_RESUBSCRIBE_MS;
    while (true) {
        int64_t wait = resubscribe_at - zclock_mono ();
        if (wait <= 0) {
            s_resubscribe (self);
            resubscribe_at = zclock_mono () + HL_PROXY_RESUBSCRIBE_MS;
            wait = HL_PROXY_RESUBSCRIBE_MS;
        }
        if (zmq_poll (items, 4, (long)wait) < 0) {
            if (zmq_errno () == EINTR)
                continue;
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            if (!s_command (self))
                break;
        if (items[2].revents & ZMQ_POLLIN)
            s_subscriptions (self);
        //  Both inputs share a wakeup's batch, so neither starves
        bool any = false;
        for (int i = 1; i <= 3; i += 2) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            for (int n = 0; n < HL_PROXY_BATCH; n++)
                if (!s_forward_one (self, items[i].socket, i == 3))
                    break;
            any = true;
        }
        if (any)
            s_intake_flush (self);
    }
}

static void
s_actor (zsock_t *pipe, void *args)
{
    s_start_t *start = (s_start_t *)args;
    s_actor_t self_s = { .pipe = pipe, .inproc_intake = start->inproc_intake };
    s_actor_t *self = &self_s;
    char bus_in[HL_PROXY_ENDPOINT];
    char bus_out[HL_PROXY_ENDPOINT];
    zsock_signal (pipe, 0);

    char reason[2 * HL_PROXY_ENDPOINT];
    //  The owner's XSUB never leaves the process: no CURVE (nor one of
    //  its handshake monitors) on it
    hl_sock_opts_t inproc_opts = start->opts;
    inproc_opts.curve = NULL;
    if (s_bind_both (&self->xsub, ZMQ_XSUB, start->bus_in, NULL, &start->opts,
                     bus_in, sizeof bus_in, reason, sizeof reason)
            != 0
        || s_bind_both (&self->trusted, ZMQ_XSUB, start->inproc_in, NULL,
                        &inproc_opts, NULL, 0, reason, sizeof reason)
               != 0
        || s_bind_both (&self->xpub, ZMQ_XPUB, start->bus_out,
                        start->inproc_out, &start->opts, bus_out,
                        sizeof bus_out, reason, sizeof reason)
               != 0) {
        zstr_sendx (pipe, "ERROR", reason, NULL);
        goto fail;
    }
    self->subs = zsock_new (ZMQ_PAIR);
    zsock_set_sndhwm (self->subs, 0); /* rare, and never to be lost */
    if (zsock_connect (self->subs, "%s", start->inproc_subs) != 0) {
        zstr_sendx (pipe, "ERROR", "bus: subscription pipe", NULL);
        goto fail;
    }
    self->xsub_h = zsock_resolve (self->xsub);
    self->trusted_h = zsock_resolve (self->trusted);
    self->xpub_h = zsock_resolve (self->xpub);
    self->max_msg_size = start->opts.max_msg_size;
    if (self->max_msg_size == 0 || self->max_msg_size > HL_MSG_MAX_SIZE)
        self->max_msg_size = HL_MSG_MAX_SIZE;
    self->limits = start->limits;
    if (self->limits.max_msg_size > self->max_msg_size)
        self->limits.max_msg_size = self->max_msg_size;
    //  A full subscriber makes send fail, so drops are counted, not silent
    zsock_set_xpub_nodrop (self->xpub, 1);
    zsock_set_xpub_verboser (self->xpub, 1);
    //  Subscribe to everything upstream: publishers always send
    uint8_t all = 1;
    zmq_send (self->xsub_h, &all, 1, 0);
    zmq_send (self->trusted_h, &all, 1, 0);
    zstr_sendx (pipe, "OK", bus_in, bus_out, NULL);

    s_loop (self);
fail:
    if (self->holding) {
        zmq_msg_close (&self->held[0]);
        zmq_msg_close (&self->held[1]);
    }
    zsock_destroy (&self->intake);
    zsock_destroy (&self->subs);
    zsock_destroy (&self->xsub);
    zsock_destroy (&self->trusted);
    zsock_destroy (&self->xpub);
}

//  A serial makes the inproc names unique in the process: an address
//  could be reused while libzmq still holds the old name (sockets close
//  asynchronously)
static void
s_name_inprocs (hl_proxy_t *self)
{
    static atomic_uint_fast64_t serial;
    uint64_t n = atomic_fetch_add (&serial, 1);
    snprintf (self->inproc_in, sizeof self->inproc_in,
              "inproc://hl-bus-in-%" PRIu64, n);
    snprintf (self->inproc_out, sizeof self->inproc_out,
              "inproc://hl-bus-out-%" PRIu64, n);
    snprintf (self->inproc_subs, sizeof self->inproc_subs,
              "inproc://hl-bus-subs-%" PRIu64, n);
    snprintf (self->inproc_intake, sizeof self->inproc_intake,
              "inproc://hl-bus-intake-%" PRIu64, n);
}

hl_proxy_t *
hl_proxy_new (const char *bus_in, const char *bus_out,
              const hl_sock_opts_t *opts, const hl_limits_t *limits, char *err,
              size_t errsize)
{
    char *status = NULL;
    char *first = NULL;
    char *second = NULL;
    hl_proxy_t *self = NULL;
    if (err && errsize)
        err[0] = '\0';
    if (!bus_in || !bus_out) {
        if (err)
            snprintf (err, errsize, "bus: no endpoint");
        goto fail;
    }
    self = (hl_proxy_t *)hl_alloc (sizeof (hl_proxy_t));
    s_name_inprocs (self);
    self->subs = zsock_new (ZMQ_PAIR);
    zsock_set_rcvhwm (self->subs, 0);
    if (zsock_bind (self->subs, "%s", self->inproc_subs) != 0) {
        if (err)
            snprintf (err, errsize, "bus: cannot bind %s", self->inproc_subs);
        goto fail;
    }
    self->wanted = zhashx_new ();
    s_start_t start = { bus_in,
                        bus_out,
                        self->inproc_in,
                        self->inproc_out,
                        self->inproc_subs,
                        self->inproc_intake,
                        { 0 },
                        { 0 } };
    if (opts)
        start.opts = *opts;
    else
        hl_sock_opts_default (&start.opts);
    if (limits) {
        start.limits = *limits;
        hl_limits_lower (&start.limits);
    } else
        hl_limits_default (&start.limits);
    self->actor = zactor_new (s_actor, &start);
    if (!self->actor) {
        if (err)
            snprintf (err, errsize, "bus: cannot start the proxy thread");
        goto fail;
    }
    //  The actor answers at once: its first act is to bind
    if (zstr_recvx (self->actor, &status, &first, &second, NULL) < 2) {
        if (err)
            snprintf (err, errsize, "bus: proxy did not start");
        goto fail;
    }
    if (!streq (status, "OK") || !second) {
        if (err)
            snprintf (err, errsize, "%s", first);
        goto fail;
    }
    snprintf (self->bus_in, sizeof self->bus_in, "%s", first);
    snprintf (self->bus_out, sizeof self->bus_out, "%s", second);
    zstr_free (&status);
    zstr_free (&first);
    zstr_free (&second);
    return self;
fail:
    zstr_free (&status);
    zstr_free (&first);
    zstr_free (&second);
    hl_proxy_destroy (&self);
    return NULL;
}

void
hl_proxy_destroy (hl_proxy_t **self_p)
{
    assert (self_p);
    hl_proxy_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    zsock_destroy (&self->subs);
    zsock_destroy (&self->intake);
    zhashx_destroy (&self->wanted);
    free (self);
    *self_p = NULL;
}

zsock_t *
hl_proxy_intake (hl_proxy_t *self, const char *prefix, int hwm)
{
    assert (self);
    if (self->intake || !prefix || strlen (prefix) > HL_MAX_TOPIC || hwm < 0)
        return NULL;
    //  The queue counts batches, hwm messages at most; an inproc pipe
    //  holds both ends' HWM, so each end gets half. 0 is unbounded.
    int batches = (int)(((int64_t)hwm + HL_PROXY_INTAKE_BATCH - 1)
                        / HL_PROXY_INTAKE_BATCH);
    int rcv = (batches + 1) / 2;
    int snd = batches == 1 ? 1 : batches - rcv; /* not 0: unbounded */
    self->intake = zsock_new (ZMQ_PAIR);
    zsock_set_rcvhwm (self->intake, rcv);
    if (zsock_bind (self->intake, "%s", self->inproc_intake) != 0) {
        zsock_destroy (&self->intake);
        return NULL;
    }
    char hwm_s[16];
    snprintf (hwm_s, sizeof hwm_s, "%d", snd);
    if (zstr_sendx (self->actor, "INTAKE", prefix, hwm_s, NULL) != 0) {
        zsock_destroy (&self->intake);
        return NULL;
    }
    return self->intake;
}

zsock_t *
hl_proxy_subscriptions (hl_proxy_t *self)
{
    assert (self);
    return self->subs;
}

void
hl_proxy_subscriptions_update (hl_proxy_t *self)
{
    assert (self);
    void *pair = zsock_resolve (self->subs);
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    while (zmq_msg_recv (&frame, pair, ZMQ_DONTWAIT) >= 0) {
        size_t size = zmq_msg_size (&frame);
        const char *data = (const char *)zmq_msg_data (&frame);
        if (size >= 1 && size <= HL_MAX_TOPIC + 1) {
            char prefix[HL_MAX_TOPIC + 1];
            memcpy (prefix, data + 1, size - 1);
            prefix[size - 1] = 0;
            intptr_t n = (intptr_t)zhashx_lookup (self->wanted, prefix);
            n += data[0] == 1 ? 1 : -1;
            if (n > 0)
                zhashx_update (self->wanted, prefix, (void *)n);
            else
                zhashx_delete (self->wanted, prefix);
        }
    }
    zmq_msg_close (&frame);
}

bool
hl_proxy_wanted (hl_proxy_t *self, const char *topic)
{
    assert (self);
    for (void *n = zhashx_first (self->wanted); n;
         n = zhashx_next (self->wanted)) {
        const char *prefix = (const char *)zhashx_cursor (self->wanted);
        if (strncmp (topic, prefix, strlen (prefix)) == 0)
            return true;
    }
    return false;
}

const char *
hl_proxy_bus_in (const hl_proxy_t *self)
{
    assert (self);
    return self->bus_in;
}

const char *
hl_proxy_bus_out (const hl_proxy_t *self)
{
    assert (self);
    return self->bus_out;
}

const char *
hl_proxy_inproc_in (const hl_proxy_t *self)
{
    assert (self);
    return self->inproc_in;
}

const char *
hl_proxy_inproc_out (const hl_proxy_t *self)
{
    assert (self);
    return self->inproc_out;
}

int
hl_proxy_stats (hl_proxy_t *self, hl_proxy_stats_t *stats)
{
    assert (self);
    assert (stats);
    void *pipe = zsock_resolve (self->actor);
    //  A late answer to a call that timed out must not pass for this one
    zmq_msg_t stale;
    zmq_msg_init (&stale);
    while (zmq_msg_recv (&stale, pipe, ZMQ_DONTWAIT) >= 0)
        ;
    zmq_msg_close (&stale);
    if (zstr_send (self->actor, "STATS") != 0)
        return -1;
    zmq_pollitem_t item = { pipe, 0, ZMQ_POLLIN, 0 };
    int64_t deadline = zclock_mono () + 1000;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return -1;
        int rc = zmq_poll (&item, 1, (long)left);
        if (rc < 0 && zmq_errno () != EINTR)
            return -1;
        if (rc > 0)
            break;
    }
    zmq_msg_t reply;
    zmq_msg_init (&reply);
    int rc = -1;
    if (zmq_msg_recv (&reply, pipe, ZMQ_DONTWAIT) >= 0
        && zmq_msg_size (&reply) == sizeof *stats) {
        memcpy (stats, zmq_msg_data (&reply), sizeof *stats);
        rc = 0;
    }
    zmq_msg_close (&reply);
    return rc;
}
