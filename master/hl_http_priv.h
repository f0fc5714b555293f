/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_http_priv - what the files of hl_http share: the server's state,
    a request's, the reasons a request is refused, and the helpers that
    answer. hl_http.c owns the daemon, connections, deadlines and
    routing; hl_http_api.c the answers that ask the master (through the
    control socket) or the hub (event streams).
*/
#ifndef HL_HTTP_PRIV_H
#define HL_HTTP_PRIV_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl_http.h"
#include "hl_hub.h"

#define HL_HTTP_SLICE_MS 100 /* waits re-check the stop flag this often */
#define HL_HTTP_CODES 14     /* status codes counted by name (s_codes) */

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
} hl_http_reason_t;

/*  A connection's deadline, shared by its thread and the hub's. */
typedef struct {
    atomic_int used;         /* claimed by a connection */
    atomic_int fd;           /* our duplicate of its socket, or -1 */
    atomic_int_fast64_t due; /* monotonic ms, 0: none */
} hl_http_slot_t;

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
    hl_http_slot_t *slots;
    size_t slots_n;
    int control_ms; /* deadline of one control request */
    int keepalive_ms;
    atomic_bool stopping;
    atomic_uint_fast64_t
        responses[HL_HTTP_CODES + 1]; /* by s_codes, other last */
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
} hl_http_req_t;

/*  Count a response of code. */
void hl_http_count (hl_http_t *self, unsigned code);

/*  Queue body (len bytes, freed after if must_free) as the response. */
enum MHD_Result hl_http_send (hl_http_t *self, struct MHD_Connection *conn,
                              unsigned code, const char *type, char *body,
                              size_t len, bool must_free);

/*  Queue json (taken) as the response. */
enum MHD_Result hl_http_json (hl_http_t *self, struct MHD_Connection *conn,
                              unsigned code, json_t *json);

/*  Refuse with code, counted under reason, and say why in the body:
    {"error": "...", "reason": "name"}. */
__attribute__ ((format (printf, 5, 6))) enum MHD_Result
hl_http_refuse (hl_http_t *self, struct MHD_Connection *conn, unsigned code,
                hl_http_reason_t reason, const char *fmt, ...);

/*  Arm the connection's deadline (limits.http_timeout_ms from now), or
    disarm it. */
void hl_http_arm (hl_http_t *self, struct MHD_Connection *conn, bool on);

//  hl_http_api.c: the answers

/*  Ask the master op with args (taken), and answer with the reply's data
    as JSON, or the refusal with refused_code. */
enum MHD_Result hl_http_api (hl_http_t *self, struct MHD_Connection *conn,
                             const char *op, hl_value_t *args,
                             unsigned refused_code);

/*  /api/metrics: each configured KPI, its levels and where it stands. */
enum MHD_Result hl_http_api_metrics (hl_http_t *self,
                                     struct MHD_Connection *conn);

/*  /api/actions: the master's actions, or status's learning. */
enum MHD_Result hl_http_api_actions (hl_http_t *self,
                                     struct MHD_Connection *conn);

/*  /metrics: the Prometheus text of status and agents. */
enum MHD_Result hl_http_metrics (hl_http_t *self, struct MHD_Connection *conn);

/*  /api/history: the hub's health history. */
enum MHD_Result hl_http_history (hl_http_t *self, struct MHD_Connection *conn);

/*  POST /api/runs: start a run as helios-ctl run does, without waiting. */
enum MHD_Result hl_http_run (hl_http_t *self, struct MHD_Connection *conn,
                             const hl_http_req_t *req);

/*  GET /api/events: a snapshot of status, then every event. */
enum MHD_Result hl_http_events (hl_http_t *self, struct MHD_Connection *conn,
                                hl_http_req_t *req);

#endif
