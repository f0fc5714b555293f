/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_msg - one Helios message: the envelope (v, t, id, re, src, ts, body)
    and the typed body fields of every message type of design §3, plus the
    transport's routing id. Encodes to and decodes from msgpack with strict
    validation, and renders to JSON.

    Body fields live in one flat set shared by all types, as in zproto;
    a getter of a field the type does not carry returns its zero value
    ("" for strings, NULL for values).
*/
#ifndef HL_MSG_H
#define HL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "hl_err.h"
#include "hl_limits.h"
#include "hl_value.h"

typedef struct _hl_msg_t hl_msg_t;

typedef enum {
    /* tasks socket */
    HL_MSG_HELLO = 1, /* role, capacity, host, pid, version, [actions],
                         [data] */
    HL_MSG_WELCOME,   /* heartbeat_ms, liveness, session */
    HL_MSG_HEARTBEAT, /* inflight, heartbeat_ms? (the master's new period),
                         [data] (a node's agents, the master's order) */
    HL_MSG_TASK,      /* task_id, kind, priority, attempt, [emergency,
                         deadline_ms, args]; on the bus also [event, data] */
    HL_MSG_PROGRESS,  /* task_id, pct, [note] */
    HL_MSG_RESULT,    /* task_id, status, duration_us, [data] */
    HL_MSG_CANCEL,    /* task_id */
    HL_MSG_BYE,       /* reason */
    HL_MSG_ERROR,     /* code, text */
    /* control socket */
    HL_MSG_REQUEST, /* op, [args] */
    HL_MSG_REPLY,   /* ok, [data], [error] (error required if !ok),
                       [next], [more] (a list in pages) */
    /* bus */
    HL_MSG_METRIC,  /* name, value, ts, [tags] */
    HL_MSG_METRICS, /* samples: 1..max_items of {name, value, ts, [tags]} */
    HL_MSG_KPI,     /* name, ts, count, mean, p50, p95, min, max */
    HL_MSG_HEALTH,  /* score 0..100, state, [data] */
    HL_MSG_CYCLE,   /* cycle_id, event, [data] */
    HL_MSG_AGENT,   /* name, role, event, [data] */
    HL_MSG_ALERT,   /* severity, text, [data] */
    HL_MSG_TYPE_END
} hl_msg_type_t;

/*  One sample of a METRICS batch. The message owns tags. */
typedef struct {
    char name[HL_MAX_METRIC + 1];
    double value;
    int64_t ts;       /* sample time, microseconds since the epoch */
    hl_value_t *tags; /* map of strings, or NULL */
} hl_sample_t;

/*  Create a message of the given type with a fresh process-unique id and
    ts set to now. Returns NULL for an invalid type. */
hl_msg_t *hl_msg_new (hl_msg_type_t type);

/*  Destroy; accepts NULL and nulls *self_p. */
void hl_msg_destroy (hl_msg_t **self_p);

/*  Deep copy, routing id included. The caller owns the result. */
hl_msg_t *hl_msg_dup (const hl_msg_t *self);

/*  True when both messages have the same type, envelope and set body
    fields (NaN equals NaN); the routing id is not compared. */
bool hl_msg_eq (const hl_msg_t *a, const hl_msg_t *b);

/*  Type name as on the wire ("hello", "metric"...), or NULL if invalid. */
const char *hl_msg_type_name (hl_msg_type_t type);

/*  The type with that wire name, or HL_ERR_TYPE. */
int hl_msg_type_from_name (const char *name);

/*  Whether any bus publisher may send this type: metric and metrics.
    Every other type on the bus (kpi, health, cycle, task, agent, alert)
    is the master's alone: the proxy refuses it from any other publisher
    (HL_ERR_AUTHORITY). */
bool hl_msg_type_public (hl_msg_type_t type);

/*  Wall clock, microseconds since the epoch. */
int64_t hl_msg_now_us (void);

/*  Encode to msgpack. On success *data_p gets a malloc'd buffer the caller
    frees, *size_p its size; returns 0 or a negative hl_err_t (a required
    field unset, a limit exceeded). */
int hl_msg_encode (const hl_msg_t *self, uint8_t **data_p, size_t *size_p);

/*  The bytes v takes in msgpack, as the encoder writes it (no limit is
    checked): what a sender measures before it builds a message. */
size_t hl_msg_value_size (const hl_value_t *v);

/*  As hl_msg_encode, but into space (space_size bytes) while it fits, so
    that a sender needs no allocation per message: on success *data_p is
    space, or a malloc'd buffer the caller frees when it is not space. */
int hl_msg_encode_buf (const hl_msg_t *self, uint8_t *space, size_t space_size,
                       uint8_t **data_p, size_t *size_p);

/*  Decode and validate one envelope. limits NULL means the defaults. On
    success returns 0 and *msg_p gets a new message; otherwise returns a
    negative hl_err_t and *msg_p is NULL. Nothing large is allocated before
    the bytes are scanned against the limits. */
int hl_msg_decode (const uint8_t *data, size_t size, const hl_limits_t *limits,
                   hl_msg_t **msg_p);

/*  hl_msg_decode for bytes that already passed hl_codec_scan with limits
    at least as strict, in this process (the proxy's output): the scan is
    not repeated. Never for bytes straight off a socket. */
int hl_msg_decode_scanned (const uint8_t *data, size_t size, hl_msg_t **msg_p);

/*  Write the message's bus topic (e.g. "metric.api_response_time",
    "cycle.started", "health"; the type name for types without a suffix)
    into buf, NUL-terminated. Returns its length, or HL_ERR_TOPIC if it does
    not fit or a field it needs is unset. */
int hl_msg_topic (const hl_msg_t *self, char *buf, size_t size);

/*  0 if topic (len bytes, not NUL-terminated) is this message's topic,
    else HL_ERR_TOPIC. */
int hl_msg_check_topic (const hl_msg_t *self, const void *topic, size_t len);

/*  JSON rendering (new reference): {"topic", "type", "id", "re", "src",
    "ts", "body"}; "topic" only for bus types. */
json_t *hl_msg_to_json (const hl_msg_t *self);

/*  The same as one compact line; the caller frees the string. */
char *hl_msg_to_json_str (const hl_msg_t *self);

/*  Envelope. */
hl_msg_type_t hl_msg_type (const hl_msg_t *self);
uint64_t hl_msg_id (const hl_msg_t *self);
void hl_msg_set_id (hl_msg_t *self, uint64_t id);
uint64_t hl_msg_re (const hl_msg_t *self);
void hl_msg_set_re (hl_msg_t *self, uint64_t re);
const char *hl_msg_src (const hl_msg_t *self);
void hl_msg_set_src (hl_msg_t *self, const char *src);
int64_t hl_msg_ts (const hl_msg_t *self);
void hl_msg_set_ts (hl_msg_t *self, int64_t ts);

/*  Transport: the ROUTER routing id this message came from or goes to.
    set returns -1 if len > HL_MAX_ROUTING_ID. */
const uint8_t *hl_msg_routing_id (const hl_msg_t *self, size_t *len_p);
int hl_msg_set_routing_id (hl_msg_t *self, const void *data, size_t len);

/*  String fields. Setters copy; getters return "" when unset. */
const char *hl_msg_role (const hl_msg_t *self);
void hl_msg_set_role (hl_msg_t *self, const char *s);
const char *hl_msg_host (const hl_msg_t *self);
void hl_msg_set_host (hl_msg_t *self, const char *s);
const char *hl_msg_version (const hl_msg_t *self);
void hl_msg_set_version (hl_msg_t *self, const char *s);
const char *hl_msg_session (const hl_msg_t *self);
void hl_msg_set_session (hl_msg_t *self, const char *s);
const char *hl_msg_kind (const hl_msg_t *self); /* analyze|apply|rollback|
                                                   verify|echo */
void hl_msg_set_kind (hl_msg_t *self, const char *s);
const char *hl_msg_note (const hl_msg_t *self);
void hl_msg_set_note (hl_msg_t *self, const char *s);
const char *hl_msg_status (const hl_msg_t *self); /* ok|failed|rejected|
                                                     timeout|cancelled */
void hl_msg_set_status (hl_msg_t *self, const char *s);
const char *hl_msg_reason (const hl_msg_t *self);
void hl_msg_set_reason (hl_msg_t *self, const char *s);
const char *hl_msg_text (const hl_msg_t *self);
void hl_msg_set_text (hl_msg_t *self, const char *s);
const char *hl_msg_op (const hl_msg_t *self);
void hl_msg_set_op (hl_msg_t *self, const char *s);
const char *hl_msg_error (const hl_msg_t *self);
void hl_msg_set_error (hl_msg_t *self, const char *s);
const char *hl_msg_name (const hl_msg_t *self);
void hl_msg_set_name (hl_msg_t *self, const char *s);
const char *hl_msg_state (const hl_msg_t *self);
void hl_msg_set_state (hl_msg_t *self, const char *s);
const char *hl_msg_event (const hl_msg_t *self);
void hl_msg_set_event (hl_msg_t *self, const char *s);
const char *hl_msg_severity (const hl_msg_t *self);
void hl_msg_set_severity (hl_msg_t *self, const char *s);

/*  Integer, real and bool fields. */
uint32_t hl_msg_capacity (const hl_msg_t *self);
void hl_msg_set_capacity (hl_msg_t *self, uint32_t v);
uint32_t hl_msg_pid (const hl_msg_t *self);
void hl_msg_set_pid (hl_msg_t *self, uint32_t v);
uint32_t hl_msg_heartbeat_ms (const hl_msg_t *self);
void hl_msg_set_heartbeat_ms (hl_msg_t *self, uint32_t v);
uint32_t hl_msg_liveness (const hl_msg_t *self);
void hl_msg_set_liveness (hl_msg_t *self, uint32_t v);
uint32_t hl_msg_inflight (const hl_msg_t *self);
void hl_msg_set_inflight (hl_msg_t *self, uint32_t v);
uint64_t hl_msg_task_id (const hl_msg_t *self);
void hl_msg_set_task_id (hl_msg_t *self, uint64_t v);
uint32_t hl_msg_priority (const hl_msg_t *self); /* 1 (urgent)..4 */
void hl_msg_set_priority (hl_msg_t *self, uint32_t v);
bool hl_msg_emergency (const hl_msg_t *self);
void hl_msg_set_emergency (hl_msg_t *self, bool v);
uint32_t hl_msg_deadline_ms (const hl_msg_t *self); /* 0: none */
void hl_msg_set_deadline_ms (hl_msg_t *self, uint32_t v);
uint32_t hl_msg_attempt (const hl_msg_t *self); /* 1.. */
void hl_msg_set_attempt (hl_msg_t *self, uint32_t v);
uint32_t hl_msg_pct (const hl_msg_t *self); /* 0..100 */
void hl_msg_set_pct (hl_msg_t *self, uint32_t v);
uint64_t hl_msg_duration_us (const hl_msg_t *self);
void hl_msg_set_duration_us (hl_msg_t *self, uint64_t v);
int64_t hl_msg_code (const hl_msg_t *self);
void hl_msg_set_code (hl_msg_t *self, int64_t v);
bool hl_msg_ok (const hl_msg_t *self);
void hl_msg_set_ok (hl_msg_t *self, bool v);
/*  A reply that holds part of a list: next, the cursor that asks for the
    rest (0: none), and more, how many items it left out. */
uint64_t hl_msg_next (const hl_msg_t *self);
void hl_msg_set_next (hl_msg_t *self, uint64_t v);
uint64_t hl_msg_more (const hl_msg_t *self);
void hl_msg_set_more (hl_msg_t *self, uint64_t v);
double hl_msg_value (const hl_msg_t *self);
void hl_msg_set_value (hl_msg_t *self, double v);
uint64_t hl_msg_cycle_id (const hl_msg_t *self);
void hl_msg_set_cycle_id (hl_msg_t *self, uint64_t v);
double hl_msg_score (const hl_msg_t *self);
void hl_msg_set_score (hl_msg_t *self, double v);
/*  KPI aggregate: count, mean, p50, p95, min, max; ts is the msg's
    body "ts" (the sample or bucket time), distinct from the envelope ts. */
int64_t hl_msg_sample_ts (const hl_msg_t *self);
void hl_msg_set_sample_ts (hl_msg_t *self, int64_t ts);
uint64_t hl_msg_count (const hl_msg_t *self);
void hl_msg_set_count (hl_msg_t *self, uint64_t v);
double hl_msg_mean (const hl_msg_t *self);
void hl_msg_set_mean (hl_msg_t *self, double v);
double hl_msg_p50 (const hl_msg_t *self);
void hl_msg_set_p50 (hl_msg_t *self, double v);
double hl_msg_p95 (const hl_msg_t *self);
void hl_msg_set_p95 (hl_msg_t *self, double v);
double hl_msg_min (const hl_msg_t *self);
void hl_msg_set_min (hl_msg_t *self, double v);
double hl_msg_max (const hl_msg_t *self);
void hl_msg_set_max (hl_msg_t *self, double v);

/*  Value fields (borrowed on get; set takes ownership and nulls *v_p;
    NULL clears). args and tags are maps; actions an array of strings;
    data any value. */
const hl_value_t *hl_msg_args (const hl_msg_t *self);
void hl_msg_set_args (hl_msg_t *self, hl_value_t **v_p);
const hl_value_t *hl_msg_data (const hl_msg_t *self);
void hl_msg_set_data (hl_msg_t *self, hl_value_t **v_p);
const hl_value_t *hl_msg_tags (const hl_msg_t *self);
void hl_msg_set_tags (hl_msg_t *self, hl_value_t **v_p);
const hl_value_t *hl_msg_actions (const hl_msg_t *self);
void hl_msg_set_actions (hl_msg_t *self, hl_value_t **v_p);

/*  METRICS batch samples. add copies name (HL_ERR_ARGS if longer than
    HL_MAX_METRIC or the batch is full) and takes tags (may be NULL). */
size_t hl_msg_samples_size (const hl_msg_t *self);
const hl_sample_t *hl_msg_sample (const hl_msg_t *self, size_t i);
int hl_msg_add_sample (hl_msg_t *self, const char *name, double value,
                       int64_t ts, hl_value_t **tags_p);

#endif
