/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    demo_service - the zloop of helios-demo. A timer publishes batches at
    the configured rate, catching up from the clock rather than counting
    on timer precision; a reader answers every control message, garbage
    included, and never lets a peer's bytes reach an assert.
*/
#include "demo_service.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_log.h"
#include "../../proto/hl_alloc.h"
#include "../../proto/hl_err.h"
#include "demo_model.h"

//  Control messages handled per wake-up, so that a flood cannot starve
//  the publishing timer
#define S_CONTROL_BATCH 64

struct _demo_service_t {
    demo_model_t *model;
    zloop_t *loop;
    zsock_t *control;                  /* ROUTER, bound */
    zsock_t *publisher;                /* XPUB to bus-in */
    char endpoint[HL_CONFIG_ENDPOINT]; /* control as bound */
    char bus_in[HL_CONFIG_ENDPOINT];
    char src[HL_MAX_NAME + 1]; /* "helios-demo@host:pid" */
    hl_limits_t limits;
    int rate;
    int64_t start_ms;   /* zclock_mono at run */
    uint64_t ticks;     /* batches due so far, sent or skipped */
    bool bus_up;        /* the proxy's subscription has been seen */
    uint64_t published; /* batches handed to the publisher */
    uint64_t dropped;   /* batches the publisher refused */
    uint64_t requests;  /* well-formed requests answered */
    uint64_t rejected;  /* garbage and bad requests answered */
};

static void
s_err (char *err, size_t errsize, const char *text)
{
    if (err && errsize)
        snprintf (err, errsize, "%s", text);
}

demo_service_t *
demo_service_new (const demo_service_args_t *args, char *err, size_t errsize)
{
    demo_service_t *self = NULL;
    char why[HL_CONFIG_ENDPOINT + 64];
    if (!args || !args->control || !*args->control || !args->bus_in
        || !*args->bus_in || args->rate < 1 || args->rate > 1000) {
        s_err (err, errsize, "bad arguments (endpoints, rate 1..1000)");
        goto fail;
    }
    self = (demo_service_t *)hl_alloc (sizeof (demo_service_t));
    self->rate = args->rate;
    self->limits = args->limits;
    snprintf (self->bus_in, sizeof self->bus_in, "%s", args->bus_in);
    char host[128] = "localhost";
    gethostname (host, sizeof host - 1);
    snprintf (self->src, sizeof self->src, "helios-demo@%s:%d", host,
              (int)getpid ());

    uint64_t seed = args->seed;
    if (seed == 0)
        seed = (uint64_t)zclock_time () ^ ((uint64_t)getpid () << 32);
    self->model = demo_model_new (seed);
    hl_log_info ("model seed %" PRIu64, seed);

    self->control = hl_sock_bind (ZMQ_ROUTER, args->control, &args->opts,
                                  self->endpoint, sizeof self->endpoint);
    if (!self->control) {
        snprintf (why, sizeof why, "cannot bind the control socket %s",
                  args->control);
        s_err (err, errsize, why);
        goto fail;
    }
    self->publisher = hl_sock_publisher (args->bus_in, &args->opts);
    if (!self->publisher) {
        snprintf (why, sizeof why, "bad bus endpoint %s", args->bus_in);
        s_err (err, errsize, why);
        goto fail;
    }
    return self;
fail:
    demo_service_destroy (&self);
    return NULL;
}

void
demo_service_destroy (demo_service_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    demo_service_t *self = *self_p;
    zloop_destroy (&self->loop);
    zsock_destroy (&self->publisher);
    zsock_destroy (&self->control);
    demo_model_destroy (&self->model);
    free (self);
    *self_p = NULL;
}

const char *
demo_service_endpoint (const demo_service_t *self)
{
    assert (self);
    return self->endpoint;
}

// --------------------------------------------------------------------
// Publishing

static void
s_publish (demo_service_t *self)
{
    double values[DEMO_METRICS];
    demo_model_sample (self->model, values);
    hl_msg_t *batch = hl_msg_new (HL_MSG_METRICS);
    hl_msg_set_src (batch, self->src);
    int64_t now = hl_msg_now_us ();
    for (size_t i = 0; i < DEMO_METRICS; i++)
        hl_msg_add_sample (batch, demo_model_metric_name (i), values[i], now,
                           NULL);
    //  Before the proxy subscribes the XPUB drops it: nobody to tell
    if (hl_bus_send (self->publisher, &batch) == 0)
        self->published++;
    else
        self->dropped++;
}

static int
s_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    demo_service_t *self = (demo_service_t *)arg;
    int64_t elapsed = zclock_mono () - self->start_ms;
    uint64_t due
        = (uint64_t)(elapsed > 0 ? elapsed : 0) * (uint64_t)self->rate / 1000;
    //  After a stall (a stopped process, a slow machine) skip ahead rather
    //  than flood the bus: at most one second of batches at once
    if (due > self->ticks + (uint64_t)self->rate) {
        uint64_t skip = due - self->ticks - (uint64_t)self->rate;
        demo_model_advance (self->model, (double)skip / self->rate);
        self->ticks += skip;
    }
    for (; self->ticks < due; self->ticks++) {
        demo_model_advance (self->model, 1.0 / self->rate);
        s_publish (self);
    }
    return 0;
}

//  The proxy's subscription arrives on the XPUB when the bus (re)connects
static int
s_bus_readable (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    demo_service_t *self = (demo_service_t *)arg;
    //  Each new subscriber downstream also shows up here: say it once
    if (hl_sock_publisher_wait (sock, 0) == 0) {
        if (!self->bus_up)
            hl_log_notice ("bus %s: connected", self->bus_in);
        else
            hl_log_debug ("bus %s: subscription", self->bus_in);
        self->bus_up = true;
    }
    return 0;
}

// --------------------------------------------------------------------
// Control

//  Reply to routing id rid. Takes *data_p (may be NULL).
static void
s_reply (demo_service_t *self, const void *rid, size_t rid_len, uint64_t re,
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
    hl_value_destroy (data_p);
    if (hl_msg_set_routing_id (reply, rid, rid_len) != 0) {
        hl_msg_destroy (&reply);
        return;
    }
    int rc = hl_bus_send (self->control, &reply);
    if (rc)
        hl_log_info ("control: reply not sent: %s", hl_strerror (rc));
}

//  A knob value from the wire as text: strings as they are, integers in
//  decimal; anything else is refused
static bool
s_value_text (const hl_value_t *value, char *buf, size_t size)
{
    int64_t number;
    size_t len;
    const char *text = hl_value_str (value, &len);
    if (text) {
        if (len >= size || strlen (text) != len)
            return false;
        memcpy (buf, text, len + 1);
        return true;
    }
    if (hl_value_type (value) == HL_VALUE_INT
        && hl_value_int (value, &number) == 0 && number >= 0
        && number <= 1000000) {
        snprintf (buf, size, "%" PRId64, number);
        return true;
    }
    return false;
}

//  set {knob: value, ...}: all checked before any is applied, so a
//  refused request changes nothing
static int
s_op_set (demo_service_t *self, const hl_value_t *args, char *error,
          size_t size)
{
    size_t n = hl_value_size (args);
    if (hl_value_type (args) != HL_VALUE_MAP || n == 0 || n > 64) {
        snprintf (error, size, "set needs a map of 1..64 knob = value");
        return -1;
    }
    char value[64];
    for (size_t i = 0; i < n; i++) {
        const char *knob = hl_value_key_at (args, i);
        if (!s_value_text (hl_value_val_at (args, i), value, sizeof value)) {
            char shown[40];
            hl_log_escape (shown, sizeof shown, knob, strlen (knob));
            snprintf (error, size,
                      "bad value for %s: must be a string or "
                      "an integer",
                      shown);
            return -1;
        }
        if (demo_model_check (knob, value, error, size))
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *knob = hl_value_key_at (args, i);
        s_value_text (hl_value_val_at (args, i), value, sizeof value);
        demo_model_set (self->model, knob, value, error, size);
        //  Both are validated by now: safe to log
        hl_log_notice ("knob %s=%s", knob, value);
    }
    return 0;
}

static int
s_op_incident (demo_service_t *self, const hl_value_t *args, char *error,
               size_t size)
{
    const char *name = hl_value_get_str (args, "name", NULL);
    if (!name) {
        snprintf (error, size, "incident needs args {name: NAME|clear}");
        return -1;
    }
    if (demo_model_incident (self->model, name, error, size))
        return -1;
    hl_log_notice ("incident %s", demo_model_incident_name (self->model));
    return 0;
}

static void
s_control_one (demo_service_t *self)
{
    hl_msg_t *msg = NULL;
    zframe_t *peer = NULL;
    int rc = hl_bus_recv (self->control, &self->limits, &msg, &peer);
    if (rc == HL_ERR_IO && !peer)
        return; //  nothing was there
    char error[256] = "";
    if (rc == 0 && hl_msg_type (msg) != HL_MSG_REQUEST) {
        rc = HL_ERR_UNSUPPORTED;
        snprintf (error, sizeof error, "only request is accepted, not %s",
                  hl_msg_type_name (hl_msg_type (msg)));
    }
    if (rc) {
        self->rejected++;
        if (!*error)
            snprintf (error, sizeof error, "%s: %s", hl_errname (rc),
                      hl_strerror (rc));
        hl_log_info ("control: message rejected: %s", error);
        if (peer)
            s_reply (self, zframe_data (peer), zframe_size (peer),
                     msg ? hl_msg_id (msg) : 0, false, NULL, error);
        goto done;
    }
    const char *op = hl_msg_op (msg);
    const hl_value_t *args = hl_msg_args (msg);
    if (strcmp (op, "get") == 0)
        rc = 0;
    else if (strcmp (op, "set") == 0)
        rc = s_op_set (self, args, error, sizeof error);
    else if (strcmp (op, "incident") == 0)
        rc = s_op_incident (self, args, error, sizeof error);
    else {
        char shown[40];
        hl_log_escape (shown, sizeof shown, op, strlen (op));
        snprintf (error, sizeof error,
                  "unknown op \"%s\" (set, get or incident)", shown);
        rc = -1;
    }
    if (rc == 0)
        self->requests++;
    else {
        self->rejected++;
        hl_log_info ("control: %s refused: %s", op[0] ? "request" : "?", error);
    }
    hl_value_t *data = rc == 0 ? demo_model_state (self->model) : NULL;
    size_t rid_len;
    const uint8_t *rid = hl_msg_routing_id (msg, &rid_len);
    s_reply (self, rid, rid_len, hl_msg_id (msg), rc == 0, &data, error);
done:
    hl_msg_destroy (&msg);
    zframe_destroy (&peer);
}

static int
s_control_readable (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    for (int i = 0; i < S_CONTROL_BATCH; i++) {
        if (i > 0 && !(zsock_events (sock) & ZMQ_POLLIN))
            break;
        s_control_one ((demo_service_t *)arg);
    }
    return 0;
}

int
demo_service_run (demo_service_t *self)
{
    assert (self);
    self->loop = zloop_new ();
    int interval = 1000 / self->rate;
    zloop_timer (self->loop, (size_t)(interval < 1 ? 1 : interval), 0, s_tick,
                 self);
    zloop_reader (self->loop, self->control, s_control_readable, self);
    zloop_reader (self->loop, self->publisher, s_bus_readable, self);
    self->start_ms = zclock_mono ();
    hl_log_notice ("control %s, publishing %d batches/s to %s", self->endpoint,
                   self->rate, self->bus_in);
    //  zloop returns when SIGINT/SIGTERM sets zsys_interrupted: a clean stop
    zloop_start (self->loop);
    hl_log_notice ("stopped: %" PRIu64 " batches published, %" PRIu64
                   " dropped, %" PRIu64 " requests, %" PRIu64 " rejected",
                   self->published, self->dropped, self->requests,
                   self->rejected);
    return 0;
}

// --------------------------------------------------------------------
// Client

int
demo_service_request (const char *endpoint, const hl_sock_opts_t *opts,
                      const char *op, hl_value_t **args_p, int timeout_ms,
                      hl_msg_t **reply_p, char *err, size_t errsize)
{
    char why[HL_CONFIG_ENDPOINT + 96];
    int rc = -1;
    hl_msg_t *request = hl_msg_new (HL_MSG_REQUEST);
    *reply_p = NULL;
    zsock_t *dealer = hl_sock_connect (ZMQ_DEALER, endpoint, opts, NULL);
    if (!dealer) {
        snprintf (why, sizeof why, "bad control endpoint %s", endpoint);
        s_err (err, errsize, why);
        goto fail;
    }
    char host[128] = "localhost";
    gethostname (host, sizeof host - 1);
    char src[HL_MAX_NAME + 1];
    snprintf (src, sizeof src, "helios-demo-client@%s:%d", host,
              (int)getpid ());
    uint64_t id = hl_msg_id (request);
    hl_msg_set_src (request, src);
    hl_msg_set_op (request, op);
    if (args_p && *args_p)
        hl_msg_set_args (request, args_p);
    //  A DEALER not yet connected queues the request
    if (hl_bus_send (dealer, &request) != 0) {
        s_err (err, errsize, "cannot send the request");
        goto fail;
    }
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        zmq_pollitem_t item = { zsock_resolve (dealer), 0, ZMQ_POLLIN, 0 };
        if (left <= 0 || zmq_poll (&item, 1, (long)left) <= 0) {
            snprintf (why, sizeof why,
                      "no answer from %s within %d ms (is \"helios-demo "
                      "run\" running?)",
                      endpoint, timeout_ms);
            s_err (err, errsize, why);
            goto fail;
        }
        hl_msg_t *msg = NULL;
        if (hl_bus_recv (dealer, NULL, &msg, NULL) == 0
            && hl_msg_type (msg) == HL_MSG_REPLY && hl_msg_re (msg) == id) {
            *reply_p = msg;
            break;
        }
        hl_msg_destroy (&msg); //  not ours: keep waiting
    }
    rc = 0;
fail:
    if (args_p)
        hl_value_destroy (args_p);
    hl_msg_destroy (&request);
    zsock_destroy (&dealer);
    return rc;
}
