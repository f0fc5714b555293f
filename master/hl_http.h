/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_http - the master's HTTP server (libmicrohttpd, master.http): the
    JSON API, POST /api/runs with the token, /api/events (server-sent
    events), /metrics (Prometheus text 0.0.4) and the embedded dashboard
    at /. It runs on libmicrohttpd's threads, never the reactor's, and
    reaches the master only as helios-ctl does: requests on the control
    socket, each with a deadline, and the bus through hl_hub. Every
    request is bounded (connections, streams, header count and bytes,
    body bytes, time), checked, and refused with a named reason that is
    counted.
*/
#ifndef HL_HTTP_H
#define HL_HTTP_H

#include "../bus/hl_config.h"
#include "../proto/hl_value.h"

typedef struct _hl_http_t hl_http_t;

/*  Listen on config's master.http ("host:port", port 0 for an
    ephemeral one) with its limits and token; requests go to control and
    events come from bus_out (endpoints in this process: inproc). NULL
    with a one-line reason in err if it cannot start. config is borrowed
    and must outlive the server. */
hl_http_t *hl_http_new (const hl_config_t *config, const char *control,
                        const char *bus_out, char *err, size_t errsize);

/*  Stop accepting, end every request and stream, join the threads;
    accepts NULL, nulls *self_p. */
void hl_http_destroy (hl_http_t **self_p);

/*  Where it listens, the port resolved: "127.0.0.1:7780". Borrowed. */
const char *hl_http_endpoint (const hl_http_t *self);

/*  Its counters for status (caller owns): endpoint, "responses" by
    code, "rejected_by" reason, "cut", "connections", "sse_clients",
    "sse_dropped", "events". Safe from any thread. */
hl_value_t *hl_http_stats (hl_http_t *self);

#endif
