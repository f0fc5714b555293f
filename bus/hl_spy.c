/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_spy - watch, record and replay the bus for helios-spy. It reads raw
    frames (not hl_bus_recv) so that a recording holds exactly what came
    over the wire and a bad message can still be shown as an error line.
*/
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "hl_spy.h"
#include "hl_log.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_codec.h"
#include "../proto/hl_err.h"
#include "../proto/hl_msg.h"

//  How long a wait may last before zsys_interrupted is looked at again
#define HL_SPY_SLICE_MS 100
//  Bytes of a bad envelope shown in hex
#define HL_SPY_HEX_BYTES 32
//  A replay publisher waits this long for the proxy's subscription
#define HL_SPY_READY_MS 2000
//  And lingers this long at the end so the last messages leave
#define HL_SPY_LINGER_MS 2000

struct _hl_spy_t {
    hl_spy_args_t args; /* what to do; strings borrowed */
};

void
hl_spy_args_default (hl_spy_args_t *args)
{
    assert (args);
    memset (args, 0, sizeof *args);
    args->speed = 1.0;
    hl_sock_opts_default (&args->opts);
    hl_limits_default (&args->limits);
}

hl_spy_t *
hl_spy_new (const hl_spy_args_t *args, char *err, size_t errsize)
{
    assert (args);
    const char *why = NULL;
    if (!args->endpoint || !*args->endpoint)
        why = "no endpoint";
    else if (!(args->speed >= 0) || !isfinite (args->speed))
        why = "speed must be a number >= 0";
    else if (args->timeout < 0 || !isfinite (args->timeout))
        why = "timeout must be a number >= 0";
    else if (args->replay && args->record)
        why = "cannot record and replay at once";
    if (why) {
        if (err && errsize)
            snprintf (err, errsize, "%s", why);
        return NULL;
    }
    hl_spy_t *self = (hl_spy_t *)hl_alloc (sizeof (hl_spy_t));
    self->args = *args;
    if (!self->args.out)
        self->args.out = stdout;
    if (!self->args.info)
        self->args.info = stderr;
    hl_limits_lower (&self->args.limits);
    return self;
}

void
hl_spy_destroy (hl_spy_t **self_p)
{
    assert (self_p);
    hl_spy_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

static int
s_print_error (FILE *out, int err, const void *topic, size_t topic_len,
               const void *env, size_t env_len)
{
    //  Everything from the wire is escaped and capped before it is shown
    char text[HL_MAX_TOPIC * 4 + 8];
    char hex[HL_SPY_HEX_BYTES * 2 + 8];
    hl_log_escape (text, sizeof text, topic ? topic : "",
                   topic ? topic_len : 0);
    hl_log_hex (hex, sizeof hex, env ? env : "",
                env_len < HL_SPY_HEX_BYTES ? env_len : HL_SPY_HEX_BYTES);
    json_t *line = json_object ();
    json_object_set_new (line, "error", json_string (hl_errname (err)));
    json_object_set_new (line, "reason", json_string (hl_strerror (err)));
    json_object_set_new (line, "topic", json_string (text));
    json_object_set_new (line, "size", json_integer ((json_int_t)env_len));
    json_object_set_new (line, "hex", json_string (hex));
    char *str = json_dumps (line, JSON_COMPACT);
    json_decref (line);
    if (str) {
        fprintf (out, "%s\n", str);
        free (str);
    }
    fflush (out);
    return err;
}

int
hl_spy_print (FILE *out, int frames, const void *topic, size_t topic_len,
              const void *env, size_t env_len, const hl_limits_t *limits)
{
    assert (out);
    if (frames != 2)
        return s_print_error (out, HL_ERR_FRAMES, topic, topic_len, env,
                              env_len);
    hl_msg_t *msg = NULL;
    int rc = hl_msg_decode ((const uint8_t *)env, env_len, limits, &msg);
    if (rc == 0)
        rc = hl_msg_check_topic (msg, topic, topic_len);
    char *str = rc == 0 ? hl_msg_to_json_str (msg) : NULL;
    hl_msg_destroy (&msg);
    if (rc == 0 && !str)
        rc = HL_ERR_IO;
    if (rc != 0)
        return s_print_error (out, rc, topic, topic_len, env, env_len);
    fprintf (out, "%s\n", str);
    fflush (out);
    free (str);
    return 0;
}

//  Wait for one message until deadline (zclock_mono ms, 0: none). Returns
//  1 if one is ready, 0 at the deadline or on an interrupt, -1 on error.
static int
s_wait_input (void *handle, int64_t deadline)
{
    while (!zsys_interrupted) {
        long slice = HL_SPY_SLICE_MS;
        if (deadline) {
            int64_t left = deadline - zclock_mono ();
            if (left <= 0)
                return 0;
            if (left < slice)
                slice = (long)left;
        }
        zmq_pollitem_t item = { handle, 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, slice);
        if (rc > 0)
            return 1;
        if (rc < 0 && zmq_errno () != EINTR)
            return -1;
    }
    return 0;
}

//  One message into frames: the first two kept, any more read and
//  dropped. Returns the number of frames read, 0 if none was waiting.
static int
s_recv_frames (void *handle, zmq_msg_t frames[2])
{
    int count = 0;
    bool more = true;
    while (more) {
        zmq_msg_t spill;
        zmq_msg_t *frame = count < 2 ? &frames[count] : &spill;
        if (frame == &spill)
            zmq_msg_init (&spill);
        if (zmq_msg_recv (frame, handle, ZMQ_DONTWAIT) < 0) {
            if (frame == &spill)
                zmq_msg_close (&spill);
            break;
        }
        more = zmq_msg_more (frame);
        if (frame == &spill)
            zmq_msg_close (&spill);
        count++;
    }
    return count;
}

static int
s_watch (hl_spy_t *self, char *err, size_t errsize)
{
    hl_spy_args_t *args = &self->args;
    hl_record_t *record = NULL;
    zsock_t *sub = NULL;
    zmq_msg_t frames[2];
    zmq_msg_init (&frames[0]);
    zmq_msg_init (&frames[1]);
    int status = 1;
    if (args->record) {
        record = hl_record_create (args->record, err, errsize);
        if (!record)
            goto fail;
    }
    sub = hl_sock_subscriber (args->endpoint, args->topics, args->topics_n,
                              &args->opts);
    if (!sub) {
        snprintf (err, errsize, "%s: cannot connect", args->endpoint);
        goto fail;
    }
    void *handle = zsock_resolve (sub);
    int64_t deadline = args->timeout > 0
                           ? zclock_mono () + (int64_t)(args->timeout * 1000)
                           : 0;
    uint64_t seen = 0;
    while (args->count == 0 || seen < args->count) {
        int ready = s_wait_input (handle, deadline);
        if (ready < 0) {
            snprintf (err, errsize, "%s: %s", args->endpoint,
                      zmq_strerror (zmq_errno ()));
            goto fail;
        }
        if (ready == 0) {
            //  Interrupted, or the timeout: only a missed --count fails
            if (!zsys_interrupted && args->count) {
                snprintf (err, errsize,
                          "timeout: %" PRIu64 " of %" PRIu64 " messages", seen,
                          args->count);
                goto fail;
            }
            break;
        }
        int count = s_recv_frames (handle, frames);
        if (count == 0)
            continue;
        int64_t now = hl_msg_now_us ();
        const void *topic = count >= 2 ? zmq_msg_data (&frames[0]) : NULL;
        size_t topic_len = count >= 2 ? zmq_msg_size (&frames[0]) : 0;
        zmq_msg_t *env = count >= 2 ? &frames[1] : &frames[0];
        seen++;
        //  The recording gets what the wire gave, bad messages included,
        //  as long as it has the bus's two frames
        if (record && count == 2) {
            int rc = hl_record_write (record, now, topic, topic_len,
                                      zmq_msg_data (env), zmq_msg_size (env));
            if (rc != 0) {
                snprintf (err, errsize, "%s: cannot record: %s", args->record,
                          hl_strerror (rc));
                goto fail;
            }
        }
        hl_spy_print (args->out, count, topic, topic_len, zmq_msg_data (env),
                      zmq_msg_size (env), &args->limits);
    }
    status = 0;
fail:
    zmq_msg_close (&frames[0]);
    zmq_msg_close (&frames[1]);
    zsock_destroy (&sub);
    hl_record_destroy (&record);
    return status;
}

//  Sleep until the zclock_mono time target (ms), in slices, so a signal
//  ends the wait. Returns false if interrupted.
static bool
s_sleep_until (int64_t target)
{
    while (!zsys_interrupted) {
        int64_t left = target - zclock_mono ();
        if (left <= 0)
            return true;
        zclock_sleep ((int)(left < HL_SPY_SLICE_MS ? left : HL_SPY_SLICE_MS));
    }
    return false;
}

//  Send one frame, waiting out a full pipe in slices (the publisher has
//  XPUB_NODROP and a send timeout). Returns 0, or -1 if interrupted or
//  the socket failed.
static int
s_send (void *handle, const void *data, size_t size, int flags)
{
    while (!zsys_interrupted) {
        if (zmq_send (handle, data, size, flags) >= 0)
            return 0;
        if (zmq_errno () != EAGAIN && zmq_errno () != EINTR)
            return -1;
    }
    return -1;
}

//  Whether env is of a type only the master may publish: the proxy would
//  refuse it from a replay, so a replay leaves it out and says so
static bool
s_masters (const uint8_t *env, size_t env_len)
{
    char type[HL_MAX_NAME + 1];
    if (hl_codec_peek (env, env_len, type, sizeof type) != 0)
        return false; /* the proxy names what is wrong with it */
    int known = hl_msg_type_from_name (type);
    return known > 0 && !hl_msg_type_public ((hl_msg_type_t)known);
}

int
hl_spy_replay (zsock_t *publisher, hl_record_t *record, double speed,
               uint64_t *sent_p, uint64_t *bytes_p, uint64_t *skipped_p)
{
    assert (publisher);
    assert (record);
    void *handle = zsock_resolve (publisher);
    uint64_t sent = 0;
    uint64_t bytes = 0;
    uint64_t skipped = 0;
    int64_t first_us = 0;
    int64_t start_ms = zclock_mono ();
    int rc = 0;
    while (!zsys_interrupted) {
        int64_t recv_us;
        const uint8_t *topic, *env;
        size_t topic_len, env_len;
        rc = hl_record_read (record, &recv_us, &topic, &topic_len, &env,
                             &env_len);
        if (rc <= 0)
            break;
        rc = 0;
        if (s_masters (env, env_len)) {
            skipped++;
            continue;
        }
        if (sent == 0)
            first_us = recv_us;
        //  Pace against the start, not the previous message, so the
        //  replay does not drift; a clock that went back means no wait
        if (speed > 0 && recv_us > first_us) {
            double gap_ms = (double)(recv_us - first_us) / 1000.0 / speed;
            if (gap_ms > 0 && !s_sleep_until (start_ms + (int64_t)gap_ms))
                break;
        }
        if (s_send (handle, topic, topic_len, ZMQ_SNDMORE) != 0
            || s_send (handle, env, env_len, 0) != 0)
            break;
        sent++;
        bytes += env_len;
    }
    if (sent_p)
        *sent_p = sent;
    if (bytes_p)
        *bytes_p = bytes;
    if (skipped_p)
        *skipped_p = skipped;
    return rc;
}

static int
s_replay (hl_spy_t *self, char *err, size_t errsize)
{
    hl_spy_args_t *args = &self->args;
    zsock_t *pub = NULL;
    int status = 1;
    hl_record_t *record = hl_record_open (args->replay, err, errsize);
    if (!record)
        goto fail;
    pub = hl_sock_publisher (args->endpoint, &args->opts);
    if (!pub) {
        snprintf (err, errsize, "%s: cannot connect", args->endpoint);
        goto fail;
    }
    //  A replay must not lose messages: wait at a full pipe instead of
    //  dropping, and linger at the end so the tail still leaves
    zsock_set_xpub_nodrop (pub, 1);
    zsock_set_sndtimeo (pub, HL_SPY_SLICE_MS);
    zsock_set_linger (pub, HL_SPY_LINGER_MS);
    if (hl_sock_publisher_wait (pub, HL_SPY_READY_MS) != 0) {
        if (!zsys_interrupted)
            snprintf (err, errsize, "%s: no bus answered within %d s",
                      args->endpoint, HL_SPY_READY_MS / 1000);
        else
            status = 0;
        goto fail;
    }
    uint64_t sent = 0;
    uint64_t bytes = 0;
    uint64_t skipped = 0;
    int64_t start = zclock_mono ();
    int rc = hl_spy_replay (pub, record, args->speed, &sent, &bytes, &skipped);
    fprintf (args->info,
             "helios-spy: replayed %" PRIu64 " messages (%" PRIu64
             " bytes) in %.3f s\n",
             sent, bytes, (double)(zclock_mono () - start) / 1000.0);
    if (skipped)
        fprintf (args->info,
                 "helios-spy: left out %" PRIu64
                 " messages only the master may publish (kpi, health, "
                 "cycle, task, agent, alert): it derives them again\n",
                 skipped);
    fflush (args->info);
    if (rc != 0) {
        snprintf (err, errsize,
                  "%s: bad recording after %" PRIu64 " messages: %s",
                  args->replay, sent, hl_strerror (rc));
        goto fail;
    }
    status = 0;
fail:
    zsock_destroy (&pub);
    hl_record_destroy (&record);
    return status;
}

int
hl_spy_run (hl_spy_t *self, char *err, size_t errsize)
{
    assert (self);
    char scratch[256];
    if (!err || !errsize) {
        err = scratch;
        errsize = sizeof scratch;
    }
    err[0] = '\0';
    return self->args.replay ? s_replay (self, err, errsize)
                             : s_watch (self, err, errsize);
}
