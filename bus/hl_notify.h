/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_notify - tells systemd how a Helios process is doing, through
    sd_notify (the Type=notify units in deploy/systemd): READY=1 once it
    serves, a short STATUS= line kept current, STOPPING=1 on the way out,
    and WATCHDOG=1 pings from the owner's zloop when the unit sets
    WatchdogSec, so that a wedged loop gets the process restarted. Not run
    by systemd ($NOTIFY_SOCKET unset, or inherited from a process systemd
    runs: $WATCHDOG_PID names another), every call is a no-op.
*/
#ifndef HL_NOTIFY_H
#define HL_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>

#define HL_NOTIFY_STATUS_MAX 128     /* STATUS= bytes at most, cut beyond */
#define HL_NOTIFY_STATUS_MS 1000     /* how often the status is asked for */
#define HL_NOTIFY_WATCHDOG_MIN_MS 10 /* pings never come faster */
#define HL_NOTIFY_WATCHDOG_MAX_MS 3600000 /* nor slower */

typedef struct _hl_notify_t hl_notify_t;

/*  The owner's status of the moment, a NUL-terminated line into buf (size
    bytes); asked for every HL_NOTIFY_STATUS_MS and sent when it changed. */
typedef void (hl_notify_status_fn) (void *arg, char *buf, size_t size);

/*  Counters, for tests and logs. */
typedef struct {
    uint64_t sent;     /* datagrams systemd was sent */
    uint64_t failed;   /* datagrams sd_notify could not send */
    uint64_t pings;    /* WATCHDOG=1 among the sent */
    uint64_t statuses; /* STATUS= lines among the sent */
} hl_notify_stats_t;

/*  A notifier on loop (borrowed; it must outlive the notifier), with a
    status function (may be NULL) and its argument. When systemd runs us,
    it puts a status timer and, if $WATCHDOG_USEC asks for one, a
    watchdog timer at half that period on loop; a bad $WATCHDOG_USEC is
    logged and ignored. Never NULL. */
hl_notify_t *hl_notify_new (zloop_t *loop, hl_notify_status_fn *status,
                            void *arg);

/*  Ends the timers; accepts NULL and nulls *self_p. */
void hl_notify_destroy (hl_notify_t **self_p);

/*  READY=1 with the status line, once; later calls do nothing. Returns 0,
    or -1 if systemd could not be told (logged and counted). */
int hl_notify_ready (hl_notify_t *self);

/*  STATUS=text now (control bytes replaced, cut at HL_NOTIFY_STATUS_MAX),
    if it differs from the last one sent. Returns 0 or -1 as above. */
int hl_notify_status (hl_notify_t *self, const char *text);

/*  STOPPING=1 with a status of "stopping", once. Returns 0 or -1. */
int hl_notify_stopping (hl_notify_t *self);

/*  True when systemd listens: $NOTIFY_SOCKET was set at new, and
    $WATCHDOG_PID, if set, named this process. */
bool hl_notify_active (const hl_notify_t *self);

/*  The watchdog ping period in ms, or 0 when there is no watchdog. */
int64_t hl_notify_watchdog_ms (const hl_notify_t *self);

void hl_notify_stats (const hl_notify_t *self, hl_notify_stats_t *stats);

#endif
