/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_notify - sd_notify for Helios's programs: READY, STATUS, STOPPING
    and watchdog pings, driven by the owner's zloop. Owns its two timers
    and the last status sent; the socket is libsystemd's business.
*/
#include "hl_notify.h"
#include "hl_log.h"
#include "../proto/hl_alloc.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

struct _hl_notify_t {
    zloop_t *loop;                       // borrowed
    hl_notify_status_fn *status;         // the owner's status, or NULL
    void *arg;                           // given to status
    bool active;                         // $NOTIFY_SOCKET was set
    bool ready;                          // READY=1 was sent
    bool stopping;                       // STOPPING=1 was sent
    bool failing;                        // the last send failed (logged once)
    int status_timer;                    // 0: none
    int watchdog_timer;                  // 0: none
    int64_t watchdog_ms;                 // ping period, 0: no watchdog
    char last[HL_NOTIFY_STATUS_MAX + 1]; // the status systemd has
    hl_notify_stats_t stats;
};

//  One datagram. A failure is logged when it starts and when it ends,
//  not at every ping, so that a vanished systemd cannot flood the log.
static int
s_send (hl_notify_t *self, const char *state)
{
    int rc = sd_notify (0, state);
    if (rc > 0) {
        self->stats.sent++;
        if (self->failing)
            hl_log_notice ("systemd: notifications go through again");
        self->failing = false;
        return 0;
    }
    self->stats.failed++;
    if (!self->failing)
        hl_log_warning ("systemd: notification not sent: %s",
                        rc < 0 ? strerror (-rc) : "no $NOTIFY_SOCKET");
    self->failing = true;
    return -1;
}

//  text as one safe STATUS= value: a newline would start another
//  assignment, so control bytes become '?', and the cut falls between
//  UTF-8 characters (systemd ignores a status that is not UTF-8)
static void
s_clean (const char *text, char *out, size_t size)
{
    size_t n = strnlen (text, size - 1);
    if (n == size - 1 && ((unsigned char)text[n] & 0xC0) == 0x80)
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        out[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    }
    out[n] = '\0';
}

static void
s_current (hl_notify_t *self, char *buf, size_t size)
{
    buf[0] = '\0';
    if (self->status)
        self->status (self->arg, buf, size);
    buf[size - 1] = '\0';
}

static int
s_status_due (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    hl_notify_t *self = (hl_notify_t *)arg;
    if (self->ready && !self->stopping) {
        char text[HL_NOTIFY_STATUS_MAX * 2];
        s_current (self, text, sizeof text);
        hl_notify_status (self, text);
    }
    return 0;
}

static int
s_watchdog_due (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    hl_notify_t *self = (hl_notify_t *)arg;
    if (s_send (self, "WATCHDOG=1") == 0)
        self->stats.pings++;
    return 0;
}

//  $WATCHDOG_USEC and $WATCHDOG_PID come from the environment: checked
//  by libsystemd, and the period bounded here
static void
s_watchdog_start (hl_notify_t *self)
{
    uint64_t usec = 0;
    int rc = sd_watchdog_enabled (0, &usec);
    if (rc < 0) {
        hl_log_warning ("systemd: $WATCHDOG_USEC or $WATCHDOG_PID is not "
                        "valid (%s): no watchdog pings",
                        strerror (-rc));
        return;
    }
    if (rc == 0)
        return;
    //  Half the period, as sd_watchdog_enabled(3) advises
    uint64_t ms = usec / 2000;
    if (ms < HL_NOTIFY_WATCHDOG_MIN_MS)
        ms = HL_NOTIFY_WATCHDOG_MIN_MS;
    if (ms > HL_NOTIFY_WATCHDOG_MAX_MS)
        ms = HL_NOTIFY_WATCHDOG_MAX_MS;
    self->watchdog_ms = (int64_t)ms;
    self->watchdog_timer
        = zloop_timer (self->loop, (size_t)ms, 0, s_watchdog_due, self);
    if (self->watchdog_timer < 0) {
        self->watchdog_timer = 0;
        self->watchdog_ms = 0;
        hl_log_warning ("systemd: no watchdog timer: no watchdog pings");
        return;
    }
    hl_log_info ("systemd: watchdog pings every %" PRId64 " ms",
                 self->watchdog_ms);
}

//  systemd names the main process in $WATCHDOG_PID when it sets a
//  watchdog: another process's pid there means we inherited the
//  environment (an agent a node started), and the socket is not ours.
//  A pid that is no number is left to sd_watchdog_enabled to refuse.
static bool
s_inherited (void)
{
    const char *text = getenv ("WATCHDOG_PID");
    if (!text || !*text)
        return false;
    char *end = NULL;
    errno = 0;
    long long pid = strtoll (text, &end, 10);
    if (*end || errno || pid <= 0)
        return false;
    return pid != (long long)getpid ();
}

hl_notify_t *
hl_notify_new (zloop_t *loop, hl_notify_status_fn *status, void *arg)
{
    assert (loop);
    hl_notify_t *self = (hl_notify_t *)hl_alloc (sizeof *self);
    self->loop = loop;
    self->status = status;
    self->arg = arg;
    const char *socket = getenv ("NOTIFY_SOCKET");
    self->active = socket && *socket && !s_inherited ();
    if (!self->active)
        return self;
    s_watchdog_start (self);
    if (status) {
        self->status_timer
            = zloop_timer (loop, HL_NOTIFY_STATUS_MS, 0, s_status_due, self);
        if (self->status_timer < 0)
            self->status_timer = 0;
    }
    return self;
}

void
hl_notify_destroy (hl_notify_t **self_p)
{
    assert (self_p);
    hl_notify_t *self = *self_p;
    if (!self)
        return;
    if (self->status_timer)
        zloop_timer_end (self->loop, self->status_timer);
    if (self->watchdog_timer)
        zloop_timer_end (self->loop, self->watchdog_timer);
    free (self);
    *self_p = NULL;
}

int
hl_notify_ready (hl_notify_t *self)
{
    assert (self);
    if (!self->active || self->ready)
        return 0;
    self->ready = true;
    char text[HL_NOTIFY_STATUS_MAX * 2];
    s_current (self, text, sizeof text);
    s_clean (text, self->last, sizeof self->last);
    char state[sizeof self->last + 32];
    snprintf (state, sizeof state, "READY=1\nSTATUS=%s", self->last);
    if (s_send (self, state))
        return -1;
    self->stats.statuses++;
    return 0;
}

int
hl_notify_status (hl_notify_t *self, const char *text)
{
    assert (self && text);
    if (!self->active)
        return 0;
    char clean[sizeof self->last];
    s_clean (text, clean, sizeof clean);
    if (streq (clean, self->last))
        return 0;
    char state[sizeof clean + 8];
    snprintf (state, sizeof state, "STATUS=%s", clean);
    if (s_send (self, state))
        return -1;
    memcpy (self->last, clean, sizeof clean);
    self->stats.statuses++;
    return 0;
}

int
hl_notify_stopping (hl_notify_t *self)
{
    assert (self);
    if (!self->active || self->stopping)
        return 0;
    self->stopping = true;
    snprintf (self->last, sizeof self->last, "stopping");
    if (s_send (self, "STOPPING=1\nSTATUS=stopping"))
        return -1;
    self->stats.statuses++;
    return 0;
}

bool
hl_notify_active (const hl_notify_t *self)
{
    assert (self);
    return self->active;
}

int64_t
hl_notify_watchdog_ms (const hl_notify_t *self)
{
    assert (self);
    return self->watchdog_ms;
}

void
hl_notify_stats (const hl_notify_t *self, hl_notify_stats_t *stats)
{
    assert (self && stats);
    *stats = self->stats;
}
