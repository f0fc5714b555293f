/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_alerts - what the webhooks tell, decided as Alertmanager decides
    it: the events worth telling from the master's bus messages (an
    emergency started, unresolved or resolved; an action that regressed
    and was rolled back; an agent lost; the early warnings; the
    scheduled summary; optionally every run), alerts grouped by name
    (and optionally subject and severity), a new group's first message
    after group_wait, then at most one per group_interval and only when
    something changed, a group still firing told again after
    repeat_interval. Pure: explicit clocks, no socket, no thread; the
    webhook actor (hl_webhook) owns one and delivers what it returns.
*/
#ifndef HL_ALERTS_H
#define HL_ALERTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_msg.h"

/*  Past HL_ALERTS_GROUPS groups, or HL_ALERTS_PER_GROUP alerts in one, a
    new one is dropped and counted. */
#define HL_ALERTS_GROUPS 256
#define HL_ALERTS_PER_GROUP 64
#define HL_ALERTS_LISTED 32 /* alerts listed in one message */
#define HL_ALERTS_TEXT 3000 /* bytes of a message's text, at most */

/*  The events of one bus message the master published (see the .c for
    which), each a JSON object {alertname, subject, severity, status:
    "firing" | "resolved" | "event", text, time (us), data}, appended
    to events (at most max; the caller owns them). every_run: a
    finished run is an event too. Returns the number made. */
size_t hl_alerts_from_msg (const hl_msg_t *msg, bool every_run, json_t **events,
                           size_t max);

/*  Whether a message of topic may make an event (so that the master
    builds it even when no bus subscriber wants it). */
bool hl_alerts_topic (const char *topic);

typedef struct _hl_alerts_t hl_alerts_t;

/*  Counters since hl_alerts_new. */
typedef struct {
    uint64_t events;        /* taken */
    uint64_t bad;           /* refused: not an event as above */
    uint64_t dropped;       /* taken, no room (groups or alerts full) */
    uint64_t notifications; /* messages made */
} hl_alerts_counters_t;

/*  Group with config's timing (borrowed: must outlive it); src names the
    master in messages (copied). */
hl_alerts_t *hl_alerts_new (const hl_config_webhooks_t *config,
                            const char *src);

void hl_alerts_destroy (hl_alerts_t **self_p);

/*  Take event (borrowed) at now_ms, a monotonic clock. Returns 0, or -1
    if it is not a well-formed event (counted bad) or has no room
    (counted dropped). */
int hl_alerts_add (hl_alerts_t *self, const json_t *event, int64_t now_ms);

/*  A message to send: its JSON payload, which the callee takes. */
typedef void (hl_alerts_send_fn) (void *arg, char *payload);

/*  Every group due at now_ms that has something to tell (a new or
    changed alert, an untold event, or a firing group whose repeat is
    due) gives one message: {text, status, group_key, group, master,
    alerts: [{alertname, subject, severity, status, text, time, data}],
    truncated}. Resolved alerts and events leave their group once told;
    an empty group goes. Returns the messages made. */
size_t hl_alerts_tick (hl_alerts_t *self, int64_t now_ms, hl_alerts_send_fn *fn,
                       void *arg);

/*  When hl_alerts_tick next has something due (a monotonic ms), or -1. */
int64_t hl_alerts_next (const hl_alerts_t *self);

/*  Groups held now. */
size_t hl_alerts_groups (const hl_alerts_t *self);

const hl_alerts_counters_t *hl_alerts_counters (const hl_alerts_t *self);

#endif
