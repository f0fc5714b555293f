/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_link - the handshake and liveness of an agent's connection. One
    one-shot timer, re-armed for the next thing due: the hello retry
    while saying hello, the next heartbeat or the master's expiry once
    welcomed.
*/
#include <string.h>

#include "hl_link.h"
#include "../bus/hl_bus.h"
#include "../bus/hl_heart.h"
#include "../bus/hl_log.h"
#include "../bus/hl_rand.h"
#include "../bus/hl_sock.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"

#define S_BATCH 64 //  messages read per wake-up

typedef enum {
    S_IDLE,  //  not started
    S_HELLO, //  hello sent, waiting for welcome
    S_READY  //  welcomed, master alive
} s_state_t;

struct _hl_link_t {
    zloop_t *loop;                     //  the owner's
    hl_link_opts_t opts;               //  the callbacks and their arg
    char endpoint[HL_CONFIG_ENDPOINT]; //  the master's tasks socket
    char name[HL_MAX_NAME + 1];        //  envelope src
    hl_sock_opts_t sock_opts;          //  from the config's limits
    hl_limits_t limits;                //  applied to every message read
    int backoff;                       //  the next hello retry's wait, ms
    zsock_t *dealer;                   //  to the master, NULL if none
    s_state_t state;                   //  where the handshake is
    bool stopped;                      //  bye sent: no hellos, no beats
    int64_t hello_at;                  //  monotonic ms of the next hello
    hl_heart_t *heart;                 //  while S_READY
    char session[HL_MAX_NAME + 1];     //  the master's, "" before any
    int timer_id;                      //  the pending tick, 0: none
    int64_t wake_at;                   //  when it fires
    hl_rand_t rand;                    //  for jitter
    hl_link_stats_t stats;
};

static int64_t
s_now (void)
{
    return hl_heart_clock ();
}

hl_link_t *
hl_link_new (zloop_t *loop, const hl_link_opts_t *opts)
{
    if (!loop || !opts || !opts->endpoint || !*opts->endpoint || !opts->name
        || strlen (opts->endpoint) >= HL_CONFIG_ENDPOINT
        || strlen (opts->name) > HL_MAX_NAME || !opts->limits
        || opts->backoff_min_ms <= 0
        || opts->backoff_max_ms < opts->backoff_min_ms || !opts->on_message
        || !opts->hello || !opts->inflight)
        return NULL;
    //  A bad endpoint fails now, not at every reconnect; by its shape,
    //  as a connect to try it would reach the master (a handshake begun
    //  and dropped, which a CURVE master counts as failed)
    if (!hl_sock_endpoint_ok (opts->endpoint))
        return NULL;
    hl_link_t *self = (hl_link_t *)hl_alloc (sizeof *self);
    self->loop = loop;
    self->opts = *opts;
    snprintf (self->endpoint, sizeof self->endpoint, "%s", opts->endpoint);
    snprintf (self->name, sizeof self->name, "%s", opts->name);
    self->opts.endpoint = self->endpoint;
    self->opts.name = self->name;
    self->opts.limits = NULL; //  borrowed only here
    hl_sock_opts_from_config (opts->limits, &self->sock_opts);
    self->limits = opts->limits->decode;
    hl_limits_lower (&self->limits);
    self->backoff = opts->backoff_min_ms;
    hl_rand_seed (&self->rand, 0); //  from the clock and the pid
    return self;
}

static void
s_close (hl_link_t *self)
{
    if (!self->dealer)
        return;
    zloop_reader_end (self->loop, self->dealer);
    zsock_destroy (&self->dealer);
}

void
hl_link_destroy (hl_link_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_link_t *self = *self_p;
    if (self->timer_id)
        zloop_timer_end (self->loop, self->timer_id);
    s_close (self);
    hl_heart_destroy (&self->heart);
    free (self);
    *self_p = NULL;
}

int
hl_link_send (hl_link_t *self, hl_msg_t **msg_p)
{
    assert (self);
    if (!self->dealer) {
        hl_msg_destroy (msg_p);
        self->stats.send_failed++;
        return -1;
    }
    hl_msg_set_src (*msg_p, self->name);
    int rc = hl_bus_send (self->dealer, msg_p);
    if (rc == 0) {
        self->stats.sent++;
        return 0;
    }
    self->stats.send_failed++;
    hl_log_debug ("%s: send failed: %s", self->endpoint, hl_strerror (rc));
    return -1;
}

//  ---------------------------------------------------------------------
//  Timing

static int s_on_tick (zloop_t *loop, int timer_id, void *arg);

static void
s_schedule (hl_link_t *self)
{
    if (self->stopped || self->state == S_IDLE)
        return;
    int64_t now = s_now ();
    int64_t at = INT64_MAX;
    if (self->state == S_HELLO)
        at = self->hello_at;
    else if (self->heart)
        at = now + hl_heart_next (self->heart, now);
    if (at == INT64_MAX)
        return;
    //  A pending tick no later than that recomputes anyway
    if (self->timer_id && self->wake_at <= at)
        return;
    if (self->timer_id)
        zloop_timer_end (self->loop, self->timer_id);
    int64_t delay = at - now < 1 ? 1 : at - now;
    self->timer_id
        = zloop_timer (self->loop, (size_t)delay, 1, s_on_tick, self);
    self->wake_at = now + delay;
}

//  ---------------------------------------------------------------------
//  The handshake

static int s_on_dealer (zloop_t *loop, zsock_t *reader, void *arg);

static void
s_open (hl_link_t *self)
{
    s_close (self);
    //  A new socket each time: hellos queued for a dead master go with
    //  the old one
    self->dealer
        = hl_sock_connect (ZMQ_DEALER, self->endpoint, &self->sock_opts, NULL);
    if (!self->dealer)
        return;
    self->stats.connects++;
    zloop_reader (self->loop, self->dealer, s_on_dealer, self);
    zloop_reader_set_tolerant (self->loop, self->dealer);
    hl_log_info ("%s: connecting (socket %llu)", self->endpoint,
                 (unsigned long long)self->stats.connects);
}

//  backoff +-25%
static int
s_jitter (hl_link_t *self, int ms)
{
    double f = 0.75 + 0.5 * hl_rand_uniform (&self->rand);
    return (int)(ms * f);
}

static void
s_hello (hl_link_t *self, bool new_socket)
{
    if (new_socket || !self->dealer)
        s_open (self);
    hl_msg_t *msg = self->opts.hello (self->opts.arg);
    if (hl_link_send (self, &msg) == 0)
        self->stats.hellos++;
    self->state = S_HELLO;
    self->stats.ready = false;
    hl_heart_destroy (&self->heart);
    int wait = s_jitter (self, self->backoff);
    self->hello_at = s_now () + wait;
    int max = self->opts.backoff_max_ms;
    self->backoff = self->backoff * 2 > max ? max : self->backoff * 2;
    hl_log_info ("%s: hello sent as %s, retry in %d ms", self->endpoint,
                 self->name, wait);
    s_schedule (self);
}

static void
s_heartbeat (hl_link_t *self, int64_t now)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (msg, self->opts.inflight (self->opts.arg));
    if (self->opts.beat) {
        hl_value_t *data = self->opts.beat (self->opts.arg);
        if (data)
            hl_msg_set_data (msg, &data);
    }
    hl_link_send (self, &msg);
    hl_heart_sent (self->heart, now);
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    hl_link_t *self = (hl_link_t *)arg;
    if (timer_id == self->timer_id)
        self->timer_id = 0; //  one-shot: zloop deletes it
    if (self->stopped)
        return 0;
    int64_t now = s_now ();
    if (self->state == S_HELLO && now >= self->hello_at)
        s_hello (self, true);
    else if (self->state == S_READY && self->heart) {
        if (hl_heart_expired (self->heart, now)) {
            hl_log_notice ("%s: master silent for %lld ms: reconnecting",
                           self->endpoint,
                           (long long)hl_heart_silence (self->heart, now));
            s_hello (self, true);
        } else if (hl_heart_due (self->heart, now))
            s_heartbeat (self, now);
    }
    s_schedule (self);
    return 0;
}

static void
s_on_welcome (hl_link_t *self, const hl_msg_t *msg)
{
    int64_t now = s_now ();
    const char *session = hl_msg_session (msg);
    char shown[64];
    hl_log_escape (shown, sizeof shown, session, strlen (session));
    if (*self->session && !streq (self->session, session))
        hl_log_notice ("%s: master restarted (session %s)", self->endpoint,
                       shown);
    snprintf (self->session, sizeof self->session, "%s", session);
    hl_heart_destroy (&self->heart);
    self->heart = hl_heart_new (hl_msg_heartbeat_ms (msg),
                                (int)hl_msg_liveness (msg), now);
    if (!self->heart) {
        //  The codec checked the ranges; this is only belt and braces
        hl_log_warning ("%s: welcome with a bad heartbeat ignored",
                        self->endpoint);
        return;
    }
    bool was_ready = self->state == S_READY;
    self->state = S_READY;
    self->stats.ready = true;
    self->stats.welcomes++;
    self->backoff = self->opts.backoff_min_ms;
    if (!was_ready)
        hl_log_info ("%s: welcome, session %s, heartbeat %u ms x %u",
                     self->endpoint, shown, hl_msg_heartbeat_ms (msg),
                     hl_msg_liveness (msg));
    s_schedule (self);
}

static void
s_on_error (hl_link_t *self, const hl_msg_t *msg)
{
    char text[256];
    const char *t = hl_msg_text (msg);
    hl_log_escape (text, sizeof text, t, strlen (t));
    if (hl_msg_code (msg) == HL_ERR_PEER) {
        //  Already saying hello: every result would bring one of these.
        //  Stopped: we said bye, and a hello would take it back.
        if (self->state == S_HELLO || self->stopped)
            return;
        hl_log_info ("%s: master does not know us (%s): hello again",
                     self->endpoint, text);
        s_hello (self, false);
        return;
    }
    hl_log_warning ("%s: master error %s (%lld): %s", self->endpoint,
                    hl_errname ((int)hl_msg_code (msg)),
                    (long long)hl_msg_code (msg), text);
}

static void
s_on_message (hl_link_t *self, hl_msg_t **msg_p)
{
    hl_msg_t *msg = *msg_p;
    hl_msg_type_t type = hl_msg_type (msg);
    if (type != HL_MSG_TASK && type != HL_MSG_HEARTBEAT && type != HL_MSG_CANCEL
        && type != HL_MSG_WELCOME && type != HL_MSG_ERROR) {
        self->stats.dropped++;
        hl_log_warning ("%s: unexpected %s from the master dropped",
                        self->endpoint, hl_msg_type_name (type));
        hl_msg_destroy (msg_p);
        return;
    }
    //  Any valid message from the master is a sign of life
    self->stats.received++;
    if (self->heart)
        hl_heart_heard (self->heart, s_now ());
    if (type == HL_MSG_TASK || type == HL_MSG_CANCEL) {
        self->opts.on_message (self->opts.arg, msg_p);
        hl_msg_destroy (msg_p);
        return;
    }
    if (type == HL_MSG_HEARTBEAT) {
        if (self->opts.on_beat && hl_msg_data (msg))
            self->opts.on_beat (self->opts.arg, hl_msg_data (msg));
        //  The master lengthens the period as its swarm grows, so that
        //  its share of beats stays bounded: take the new one
        uint32_t period = hl_msg_heartbeat_ms (msg);
        if (period && self->heart
            && period != (uint32_t)hl_heart_interval (self->heart)
            && hl_heart_set_interval (self->heart, period) == 0) {
            hl_log_info ("%s: heartbeat now every %u ms", self->endpoint,
                         period);
            s_schedule (self);
        }
        //  Answered in the master's wake when ours is half due: the
        //  master beats a little early, so a swarm's beats follow its
        //  own instead of each waking it at a phase of its own
        if (self->state == S_READY && self->heart
            && hl_heart_answer (self->heart, s_now ())) {
            s_heartbeat (self, s_now ());
            s_schedule (self);
        }
    } else if (type == HL_MSG_WELCOME)
        s_on_welcome (self, msg);
    else
        s_on_error (self, msg);
    hl_msg_destroy (msg_p);
}

static int
s_on_dealer (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    hl_link_t *self = (hl_link_t *)arg;
    //  A batch per wake-up saves a poll per message; hl_bus_recv never
    //  waits, so read until there is nothing (HL_ERR_IO)
    for (int i = 0; i < S_BATCH && reader == self->dealer; i++) {
        hl_msg_t *msg = NULL;
        int rc = hl_bus_recv (reader, &self->limits, &msg, NULL);
        if (rc == HL_ERR_IO)
            break;
        if (rc != 0) {
            self->stats.dropped++;
            hl_log_warning ("%s: bad message from the master dropped: %s",
                            self->endpoint, hl_strerror (rc));
            continue;
        }
        s_on_message (self, &msg);
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Control

int
hl_link_start (hl_link_t *self)
{
    assert (self);
    if (self->state != S_IDLE)
        return -1;
    s_hello (self, true);
    return self->dealer ? 0 : -1;
}

void
hl_link_stop (hl_link_t *self)
{
    assert (self);
    self->stopped = true;
    if (self->timer_id)
        zloop_timer_end (self->loop, self->timer_id);
    self->timer_id = 0;
}

void
hl_link_close (hl_link_t *self, int linger_ms)
{
    assert (self);
    if (self->dealer)
        zsock_set_linger (self->dealer, linger_ms);
    s_close (self);
}

void
hl_link_stats (const hl_link_t *self, hl_link_stats_t *stats)
{
    assert (self && stats);
    *stats = self->stats;
}
