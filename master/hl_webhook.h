/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_webhook - notifications: an actor that owns libcurl (its multi
    interface, so no transfer ever blocks) and an hl_alerts, fed the
    events of the master's bus messages over its pipe. It groups and
    repeat-limits them as Alertmanager does, POSTs each message as JSON
    (with a Slack-compatible "text") to every configured url, retries a
    failed delivery with exponential backoff, and bounds what waits
    (past webhooks.max_queue the oldest waiting delivery is dropped and
    counted). The master never waits for it: offering an event is a
    non-blocking send, dropped and counted when the pipe is full.
*/
#ifndef HL_WEBHOOK_H
#define HL_WEBHOOK_H

#include <stdbool.h>

#include "../bus/hl_config.h"
#include "../proto/hl_msg.h"
#include "../proto/hl_value.h"

#define HL_WEBHOOK_INFLIGHT 4            /* deliveries under way at once */
#define HL_WEBHOOK_BACKOFF_MAX_MS 300000 /* between two attempts, at most */

typedef struct _hl_webhook_t hl_webhook_t;

/*  Start the actor for config's webhooks (config must outlive it); src
    names the master in messages. NULL when no url is configured. */
hl_webhook_t *hl_webhook_new (const hl_config_t *config, const char *src);

/*  Stop the actor: deliveries still under way or waiting are abandoned
    (logged with their count). Accepts NULL, nulls *self_p. */
void hl_webhook_destroy (hl_webhook_t **self_p);

/*  Whether the master should build a message of topic for the webhooks
    (false when self is NULL). */
bool hl_webhook_wants (const hl_webhook_t *self, const char *topic);

/*  A message the master publishes (borrowed): its events, if any, go to
    the actor without waiting. */
void hl_webhook_offer (hl_webhook_t *self, const hl_msg_t *msg);

/*  For status (caller owns): {urls, offered, offer_dropped, events,
    events_bad, events_dropped, notifications, groups, queued, inflight,
    deliveries, attempts, delivered, retries, failed, dropped}; the
    actor's figures are missing if it does not answer within 500 ms. */
hl_value_t *hl_webhook_status (hl_webhook_t *self);

#endif
