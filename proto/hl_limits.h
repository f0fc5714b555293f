/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_limits - every bound Helios puts on untrusted input, in one place.
    Configuration may lower these (hl_limits_t) but never raise them.
*/
#ifndef HL_LIMITS_H
#define HL_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#define HL_PROTO_VERSION 1 /* envelope key "v" */

#define HL_MSG_MAX_SIZE (1024 * 1024) /* one encoded envelope, bytes */
#define HL_MSG_WALL_FACTOR                                                     \
    2                         /* ZMQ_MAXMSGSIZE = this x the limit:            \
                                 frames up to the wall are read and            \
                                 counted as too big; above it libzmq           \
                                 drops the peer unread */
#define HL_MAX_FRAMES 2       /* bus: topic + envelope; tasks: id + env */
#define HL_MAX_TOPIC 255      /* bus topic frame, bytes */
#define HL_MAX_NAME 255       /* type, src, role, host, op, event... */
#define HL_MAX_METRIC 127     /* metric name, bytes */
#define HL_MAX_STR 65536      /* any other string or bin, bytes */
#define HL_MAX_ITEMS 16384    /* entries of one array or map */
#define HL_MAX_DEPTH 16       /* nesting of arrays and maps; root is 1 */
#define HL_MAX_ROUTING_ID 255 /* ZeroMQ routing id, bytes */

#define HL_QUEUE_MAX 100000               /* tasks queued per role */
#define HL_QUEUE_BYTES (64 * 1024 * 1024) /* what open tasks hold, bytes */
#define HL_QUEUE_TTL_MS 300000 /* a task waits unsent this long (default) */

/*  What peers may make the master hold, in bytes as well as in count:
    the ceilings of the limits section, and its defaults. A real agent
    advertises its playbook's actions (tens, of a few dozen bytes each);
    a master of 10,000 agents holds about 20 MB of them. */
#define HL_HELLO_ACTIONS 1024        /* actions one hello names */
#define HL_HELLO_ACTIONS_BYTES 65536 /* their names' bytes */
#define HL_REGISTRY_PEERS 65536      /* agents and nodes at once */
#define HL_REGISTRY_BYTES (64 << 20) /* what they take, bytes */
#define HL_REPLY_UNREAD_BYTES                                                  \
    (8 << 20)                            /* control replies one client         \
                                            has not read yet */
#define HL_REPLY_UNREAD_TOTAL (64 << 20) /* ... all clients together */
#define HL_BUDGET_CEILING                                                      \
    (1 << 30)                /* the most any byte budget                       \
                                above may be set to */
#define HL_HWM_DEFAULT 10000 /* socket high-water mark, messages */

/*  HTTP (master.http): the ceilings, which are also the defaults. */
#define HL_HTTP_CONNECTIONS 64   /* open connections at once */
#define HL_HTTP_SSE_CLIENTS 16   /* of which /api/events streams */
#define HL_HTTP_HEADERS 48       /* header fields of one request */
#define HL_HTTP_HEAD_BYTES 8192  /* request line and headers, bytes */
#define HL_HTTP_BODY_BYTES 4096  /* a request body (POST /api/runs) */
#define HL_HTTP_TIMEOUT_MS 10000 /* a request, head in to reply out */

/*  The effective limits of one decoder or socket. hl_limits_default()
    gives the compiled-in values; hl_limits_lower() clamps a configured
    set so that no field exceeds its compiled-in ceiling. */
typedef struct {
    size_t max_msg_size; /* <= HL_MSG_MAX_SIZE */
    size_t max_str;      /* <= HL_MAX_STR */
    size_t max_items;    /* <= HL_MAX_ITEMS */
    size_t max_depth;    /* <= HL_MAX_DEPTH */
} hl_limits_t;

/*  Fill *limits with the compiled-in ceilings. */
void hl_limits_default (hl_limits_t *limits);

/*  Clamp every field of *limits to its ceiling; a zero field takes the
    ceiling. */
void hl_limits_lower (hl_limits_t *limits);

#endif
