/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_bus - hl_msg_t over ZeroMQ: framing per socket type, sends that
    never wait or wait a bounded time for room (small envelopes built on
    the stack and copied, large ones handed to libzmq), and
    receives that read the whole message, check frame count and sizes,
    then decode. This is the hot path of every process.
*/
#include <stdatomic.h>
#include <string.h>

#include "hl_bus.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"
#include "../proto/hl_limits.h"

//  Frames we keep from one message; any more are read and discarded
#define HL_BUS_FRAMES_MAX (HL_MAX_FRAMES + 1)

//  Envelopes up to this size are built on the stack and copied into the
//  frame rather than handed over: copying a few hundred bytes is cheaper
//  than an allocation freed by the I/O thread
#define S_COPY_MAX 4096

static void
s_free_buffer (void *data, void *hint)
{
    (void)hint;
    free (data);
}

struct _hl_bus_tally_t {
    atomic_size_t bytes; /* counted, not yet let go of */
    atomic_int holds;    /* the owner's, and one per message counted */
};

//  What a counted frame's free function needs: its tallies and size
typedef struct {
    hl_bus_tally_t *tally[2];
    size_t size;
} s_counted_t;

hl_bus_tally_t *
hl_bus_tally_new (void)
{
    hl_bus_tally_t *self = (hl_bus_tally_t *)hl_alloc (sizeof *self);
    atomic_init (&self->bytes, 0);
    atomic_init (&self->holds, 1);
    return self;
}

static void
s_tally_release (hl_bus_tally_t *self)
{
    if (atomic_fetch_sub (&self->holds, 1) == 1)
        free (self);
}

void
hl_bus_tally_destroy (hl_bus_tally_t **self_p)
{
    assert (self_p);
    if (*self_p)
        s_tally_release (*self_p);
    *self_p = NULL;
}

size_t
hl_bus_tally_bytes (const hl_bus_tally_t *self)
{
    return atomic_load (&((hl_bus_tally_t *)self)->bytes);
}

//  libzmq is done with a counted frame: on its I/O thread once written,
//  or on the sender's when the send fails
static void
s_free_counted (void *data, void *hint)
{
    s_counted_t *counted = (s_counted_t *)hint;
    for (int i = 0; i < 2; i++)
        if (counted->tally[i]) {
            atomic_fetch_sub (&counted->tally[i]->bytes, counted->size);
            s_tally_release (counted->tally[i]);
        }
    free (data);
    free (counted);
}

//  Send one frame, which the socket takes over. A full queue refuses it at
//  once, or after up to wait_ms (ZMQ_SNDTIMEO for this send only: libzmq
//  wakes a blocked sender when the queue drains; polling for POLLOUT does
//  not work on an XPUB, which always says it can send).
static int
s_send_frame (zsock_t *sock, zmq_msg_t *frame, int flags, int wait_ms)
{
    void *handle = zsock_resolve (sock);
    if (zmq_msg_send (frame, handle, flags | ZMQ_DONTWAIT) >= 0)
        return 0;
    if (wait_ms <= 0 || zmq_errno () != EAGAIN)
        return -1;
    int was = zsock_sndtimeo (sock);
    zsock_set_sndtimeo (sock, wait_ms);
    int rc = zmq_msg_send (frame, handle, flags);
    zsock_set_sndtimeo (sock, was);
    return rc < 0 ? -1 : 0;
}

static int
s_send (zsock_t *sock, hl_msg_t **msg_p, int wait_ms, hl_bus_tally_t **tally,
        size_t *size_p)
{
    assert (msg_p);
    hl_msg_t *msg = *msg_p;
    *msg_p = NULL;
    uint8_t space[S_COPY_MAX];
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = HL_ERR_ARGS;
    if (!sock || !msg)
        goto fail;
    int type = zsock_type (sock);

    //  The first frame: a routing id, a topic, or nothing
    char topic[HL_MAX_TOPIC + 1];
    const void *head = NULL;
    size_t head_len = 0;
    if (type == ZMQ_ROUTER) {
        head = hl_msg_routing_id (msg, &head_len);
        if (!head || head_len == 0)
            goto fail;
    } else if (type == ZMQ_PUB || type == ZMQ_XPUB) {
        int len = hl_msg_topic (msg, topic, sizeof topic);
        if (len <= 0)
            goto fail;
        head = topic;
        head_len = (size_t)len;
    } else if (type == ZMQ_SUB || type == ZMQ_XSUB || type == ZMQ_PULL)
        goto fail;

    rc = hl_msg_encode_buf (msg, space, sizeof space, &data, &size);
    if (rc != 0)
        goto fail;
    rc = HL_ERR_IO;
    zmq_msg_t frame;
    if (head) {
        zmq_msg_init_size (&frame, head_len);
        memcpy (zmq_msg_data (&frame), head, head_len);
        if (s_send_frame (sock, &frame, ZMQ_SNDMORE, wait_ms) != 0) {
            zmq_msg_close (&frame);
            goto fail;
        }
    }
    //  Once the first frame is taken libzmq takes the rest of the message
    //  (its HWM counts whole messages). What fitted in space is copied.
    if (tally) {
        //  Counted: the frame always owns its buffer, so that its free
        //  function tells when libzmq lets go
        if (data == space) {
            data = (uint8_t *)hl_malloc (size ? size : 1);
            memcpy (data, space, size);
        }
        s_counted_t *counted = (s_counted_t *)hl_alloc (sizeof *counted);
        counted->size = size;
        for (int i = 0; i < 2; i++)
            if ((counted->tally[i] = tally[i])) {
                atomic_fetch_add (&tally[i]->holds, 1);
                atomic_fetch_add (&tally[i]->bytes, size);
            }
        if (size_p)
            *size_p = size;
        if (zmq_msg_init_data (&frame, data, size, s_free_counted, counted)) {
            s_free_counted (NULL, counted);
            goto fail;
        }
        data = NULL; //  the frame owns it now
    } else if (data == space) {
        zmq_msg_init_size (&frame, size);
        memcpy (zmq_msg_data (&frame), space, size);
    } else if (zmq_msg_init_data (&frame, data, size, s_free_buffer, NULL) == 0)
        data = NULL; //  the frame owns it now
    else
        goto fail;
    if (s_send_frame (sock, &frame, 0, wait_ms) != 0) {
        zmq_msg_close (&frame);
        goto fail;
    }
    hl_msg_destroy (&msg);
    return 0;
fail:
    if (data != space)
        free (data);
    hl_msg_destroy (&msg);
    return rc;
}

int
hl_bus_send (zsock_t *sock, hl_msg_t **msg_p)
{
    return s_send (sock, msg_p, 0, NULL, NULL);
}

int
hl_bus_send_wait (zsock_t *sock, hl_msg_t **msg_p, int timeout_ms)
{
    return s_send (sock, msg_p, timeout_ms > 0 ? timeout_ms : 0, NULL, NULL);
}

int
hl_bus_send_tally (zsock_t *sock, hl_msg_t **msg_p, hl_bus_tally_t *a,
                   hl_bus_tally_t *b, size_t *size_p)
{
    hl_bus_tally_t *tally[2] = { a, b };
    if (size_p)
        *size_p = 0;
    return s_send (sock, msg_p, 0, tally, size_p);
}

//  Read every frame of the next message. Keeps the first HL_BUS_FRAMES_MAX
//  in frames[] and returns how many frames the message really had, or -1
//  if nothing could be read.
static int
s_recv_frames (void *handle, zmq_msg_t *frames, int *kept_p)
{
    int count = 0;
    int kept = 0;
    zmq_msg_t spill;
    bool more = true;
    while (more) {
        zmq_msg_t *frame = kept < HL_BUS_FRAMES_MAX ? &frames[kept] : &spill;
        zmq_msg_init (frame);
        //  Never wait for a message: callers poll first, or drain until
        //  there is none. The rest of a message is there with its first
        //  frame (ZeroMQ delivers messages whole).
        if (zmq_msg_recv (frame, handle, count ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (frame);
            if (count == 0) {
                *kept_p = 0;
                return -1;
            }
            break; //  cannot happen mid-message; treat as the end
        }
        more = zmq_msg_more (frame);
        count++;
        if (frame == &spill)
            zmq_msg_close (&spill);
        else
            kept++;
    }
    *kept_p = kept;
    return count;
}

int
hl_bus_send_bytes (zsock_t *sock, const void *rid, size_t rid_len,
                   const void *data, size_t size)
{
    return hl_bus_send_bytes_tally (sock, rid, rid_len, data, size, NULL, NULL);
}

int
hl_bus_send_bytes_tally (zsock_t *sock, const void *rid, size_t rid_len,
                         const void *data, size_t size, hl_bus_tally_t *a,
                         hl_bus_tally_t *b)
{
    if (!sock || zsock_type (sock) != ZMQ_ROUTER || !rid || !rid_len
        || rid_len > HL_MAX_ROUTING_ID || !data || !size)
        return HL_ERR_ARGS;
    zmq_msg_t frame;
    zmq_msg_init_size (&frame, rid_len);
    memcpy (zmq_msg_data (&frame), rid, rid_len);
    if (s_send_frame (sock, &frame, ZMQ_SNDMORE, 0) != 0) {
        zmq_msg_close (&frame);
        return HL_ERR_IO;
    }
    if (a || b) {
        //  Counted as s_send counts: the frame owns a copy, and its free
        //  function tells when libzmq lets go
        uint8_t *copy = (uint8_t *)hl_malloc (size);
        memcpy (copy, data, size);
        s_counted_t *counted = (s_counted_t *)hl_alloc (sizeof *counted);
        counted->size = size;
        counted->tally[0] = a;
        counted->tally[1] = b;
        for (int i = 0; i < 2; i++)
            if (counted->tally[i]) {
                atomic_fetch_add (&counted->tally[i]->holds, 1);
                atomic_fetch_add (&counted->tally[i]->bytes, size);
            }
        if (zmq_msg_init_data (&frame, copy, size, s_free_counted, counted)) {
            s_free_counted (copy, counted);
            return HL_ERR_IO;
        }
    } else {
        zmq_msg_init_size (&frame, size);
        memcpy (zmq_msg_data (&frame), data, size);
    }
    if (s_send_frame (sock, &frame, 0, 0) != 0) {
        zmq_msg_close (&frame);
        return HL_ERR_IO;
    }
    return 0;
}

/*  The address ZeroMQ knows the peer by, from a frame's metadata, into
    addr ("" when it has none: inproc, or an older libzmq). */
static void
s_peer_address (zmq_msg_t *frames, int kept, char *addr, size_t addrsize)
{
    if (!addr || !addrsize)
        return;
    addr[0] = '\0';
    for (int i = kept - 1; i >= 0; i--) {
        const char *v = zmq_msg_gets (&frames[i], "Peer-Address");
        if (v) {
            snprintf (addr, addrsize, "%s", v);
            return;
        }
    }
}

int
hl_bus_recv (zsock_t *sock, const hl_limits_t *limits, hl_msg_t **msg_p,
             zframe_t **peer_p)
{
    return hl_bus_recv_from (sock, limits, msg_p, peer_p, NULL, 0);
}

int
hl_bus_recv_from (zsock_t *sock, const hl_limits_t *limits, hl_msg_t **msg_p,
                  zframe_t **peer_p, char *addr, size_t addrsize)
{
    assert (msg_p);
    if (addr && addrsize)
        addr[0] = '\0';
    *msg_p = NULL;
    if (peer_p)
        *peer_p = NULL;
    if (!sock)
        return HL_ERR_ARGS;
    hl_limits_t defaults;
    if (!limits) {
        hl_limits_default (&defaults);
        limits = &defaults;
    }
    int type = zsock_type (sock);
    //  [routing id][envelope], [topic][envelope] or [envelope]
    bool router = type == ZMQ_ROUTER;
    bool topical = type == ZMQ_SUB || type == ZMQ_XSUB;
    int expect = router || topical ? 2 : 1;

    zmq_msg_t frames[HL_BUS_FRAMES_MAX];
    int kept = 0;
    int count = s_recv_frames (zsock_resolve (sock), frames, &kept);
    if (count < 0)
        return HL_ERR_IO;

    int rc = 0;
    hl_msg_t *msg = NULL;
    if (router && peer_p && kept >= 1)
        *peer_p
            = zframe_new (zmq_msg_data (&frames[0]), zmq_msg_size (&frames[0]));
    if (count != expect) {
        rc = HL_ERR_FRAMES;
        goto done;
    }
    zmq_msg_t *env = &frames[expect - 1];
    if (zmq_msg_size (env) > limits->max_msg_size) {
        rc = HL_ERR_TOO_BIG;
        goto done;
    }
    if (router && zmq_msg_size (&frames[0]) > HL_MAX_ROUTING_ID) {
        rc = HL_ERR_FRAMES;
        goto done;
    }
    if (topical
        && (zmq_msg_size (&frames[0]) == 0
            || zmq_msg_size (&frames[0]) > HL_MAX_TOPIC)) {
        rc = HL_ERR_TOPIC;
        goto done;
    }
    rc = hl_msg_decode ((const uint8_t *)zmq_msg_data (env), zmq_msg_size (env),
                        limits, &msg);
    if (rc != 0)
        goto done;
    if (topical) {
        rc = hl_msg_check_topic (msg, zmq_msg_data (&frames[0]),
                                 zmq_msg_size (&frames[0]));
        if (rc != 0)
            goto done;
    }
    if (router
        && hl_msg_set_routing_id (msg, zmq_msg_data (&frames[0]),
                                  zmq_msg_size (&frames[0]))
               != 0) {
        rc = HL_ERR_FRAMES;
        goto done;
    }
done:
    //  Only a failure needs it: the peer may be banned for it
    if (rc != 0 && router)
        s_peer_address (frames, kept, addr, addrsize);
    for (int i = 0; i < kept; i++)
        zmq_msg_close (&frames[i]);
    if (rc != 0) {
        hl_msg_destroy (&msg);
        return rc;
    }
    *msg_p = msg;
    return 0;
}

int
hl_bus_recv_intake (zsock_t *sock, hl_msg_t **msg_p)
{
    assert (msg_p);
    *msg_p = NULL;
    if (!sock)
        return HL_ERR_ARGS;
    void *handle = zsock_resolve (sock);
    //  One [topic][envelope] pair of a batch; the rest of the batch stays
    //  queued for the next call (a multipart message arrives whole, so
    //  its frames never need a wait)
    zmq_msg_t topic, env;
    zmq_msg_init (&topic);
    zmq_msg_init (&env);
    int rc = HL_ERR_IO;
    if (zmq_msg_recv (&topic, handle, ZMQ_DONTWAIT) < 0)
        goto done;
    rc = HL_ERR_FRAMES;
    if (!zmq_msg_more (&topic) || zmq_msg_recv (&env, handle, 0) < 0)
        goto done;
    if (zmq_msg_size (&topic) == 0 || zmq_msg_size (&topic) > HL_MAX_TOPIC) {
        rc = HL_ERR_TOPIC;
        goto done;
    }
    rc = hl_msg_decode_scanned ((const uint8_t *)zmq_msg_data (&env),
                                zmq_msg_size (&env), msg_p);
    if (rc == 0)
        rc = hl_msg_check_topic (*msg_p, zmq_msg_data (&topic),
                                 zmq_msg_size (&topic));
    if (rc != 0)
        hl_msg_destroy (msg_p);
done:
    zmq_msg_close (&topic);
    zmq_msg_close (&env);
    return rc;
}
