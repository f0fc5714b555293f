/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_offender - the peers of one ROUTER socket that erred lately, by
    routing id: errors counted in a window that starts with the first,
    and a ban once they pass the threshold. A full table first forgets
    the peers whose window and ban have ended (at most every
    S_SWEEP_MS, as that costs a pass over the table); a peer it still
    has no room for is not tracked, and only counted.
*/
#include <czmq.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"
#include "../proto/hl_limits.h"
#include "hl_offender.h"

#define S_SWEEP_MS 100
#define S_KEY (2 * HL_MAX_ROUTING_ID + 1)

typedef struct {
    int errors;        /* in the current window */
    int64_t since_ms;  /* when the window started */
    int64_t banned_ms; /* until when it is banned; 0: not */
} s_peer_t;

static void
s_peer_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

struct _hl_offender_t {
    hl_offender_opts_t opts;
    zhashx_t *peers;  /* hex routing id -> s_peer_t */
    size_t banned;    /* peers whose ban has not been seen to end */
    int64_t swept_ms; /* the last sweep */
    hl_offender_stats_t n;
};

hl_offender_t *
hl_offender_new (const hl_offender_opts_t *opts)
{
    if (!opts || opts->errors < 0 || opts->window_ms < 1 || opts->ban_ms < 1
        || !opts->peers)
        return NULL;
    hl_offender_t *self = (hl_offender_t *)hl_alloc (sizeof (hl_offender_t));
    self->opts = *opts;
    self->peers = zhashx_new ();
    zhashx_set_destructor (self->peers, s_peer_free);
    self->swept_ms = INT64_MIN / 2; /* long ago, without overflow */
    return self;
}

void
hl_offender_destroy (hl_offender_t **self_p)
{
    assert (self_p);
    hl_offender_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->peers);
    free (self);
    *self_p = NULL;
}

/*  A ban that has ended is lifted: the peer starts again from nothing. */
static bool
s_lift (hl_offender_t *self, s_peer_t *peer, int64_t now_ms)
{
    if (!peer->banned_ms || peer->banned_ms > now_ms)
        return false;
    peer->banned_ms = 0;
    peer->errors = 0;
    self->banned--;
    return true;
}

bool
hl_offender_banned (hl_offender_t *self, const uint8_t *rid, size_t rid_len,
                    int64_t now_ms)
{
    //  Nobody banned, the usual case: no lookup at all
    if (!self->banned || !rid || !rid_len || rid_len > HL_MAX_ROUTING_ID)
        return false;
    char key[S_KEY];
    hl_log_hex (key, sizeof key, rid, rid_len);
    s_peer_t *peer = (s_peer_t *)zhashx_lookup (self->peers, key);
    if (!peer || !peer->banned_ms || s_lift (self, peer, now_ms))
        return false;
    self->n.dropped++;
    return true;
}

/*  Forget peers with neither a live window nor a ban. */
static void
s_sweep (hl_offender_t *self, int64_t now_ms)
{
    self->swept_ms = now_ms;
    zlistx_t *keys = zhashx_keys (self->peers);
    for (char *key = (char *)zlistx_first (keys); key;
         key = (char *)zlistx_next (keys)) {
        s_peer_t *peer = (s_peer_t *)zhashx_lookup (self->peers, key);
        s_lift (self, peer, now_ms);
        if (!peer->banned_ms && now_ms - peer->since_ms >= self->opts.window_ms)
            zhashx_delete (self->peers, key);
    }
    zlistx_destroy (&keys);
}

bool
hl_offender_error (hl_offender_t *self, const uint8_t *rid, size_t rid_len,
                   int64_t now_ms)
{
    if (!self->opts.errors || !rid || !rid_len || rid_len > HL_MAX_ROUTING_ID)
        return false;
    char key[S_KEY];
    hl_log_hex (key, sizeof key, rid, rid_len);
    s_peer_t *peer = (s_peer_t *)zhashx_lookup (self->peers, key);
    if (!peer) {
        if (zhashx_size (self->peers) >= self->opts.peers
            && now_ms - self->swept_ms >= S_SWEEP_MS)
            s_sweep (self, now_ms);
        if (zhashx_size (self->peers) >= self->opts.peers) {
            self->n.untracked++;
            return false;
        }
        peer = (s_peer_t *)hl_alloc (sizeof (s_peer_t));
        peer->since_ms = now_ms;
        zhashx_insert (self->peers, key, peer);
    }
    s_lift (self, peer, now_ms);
    if (peer->banned_ms)
        return false; /* its messages are not read: nothing to count */
    if (now_ms - peer->since_ms >= self->opts.window_ms) {
        peer->since_ms = now_ms;
        peer->errors = 0;
    }
    if (++peer->errors < self->opts.errors)
        return false;
    peer->banned_ms = now_ms + self->opts.ban_ms;
    self->banned++;
    self->n.bans++;
    return true;
}

void
hl_offender_log (const hl_offender_t *self, const char *socket,
                 const uint8_t *rid, size_t rid_len, const char *addr, int err)
{
    char hex[2 * 32 + 1], esc[80];
    //  A routing id is up to 255 bytes: its first 32 name it well enough
    hl_log_hex (hex, sizeof hex, rid, rid_len < 32 ? rid_len : 32);
    hl_log_escape (esc, sizeof esc, addr ? addr : "", addr ? strlen (addr) : 0);
    hl_log_warning ("%s: peer %s%s%s dropped for %d s: %d errors within %d s "
                    "(last: %s); its messages are ignored unread",
                    socket, hex, *esc ? " at " : "", esc,
                    self->opts.ban_ms / 1000, self->opts.errors,
                    self->opts.window_ms / 1000, hl_errname (err));
}

void
hl_offender_stats (hl_offender_t *self, int64_t now_ms,
                   hl_offender_stats_t *stats)
{
    *stats = self->n;
    stats->tracked = zhashx_size (self->peers);
    stats->banned = 0;
    if (!self->banned)
        return;
    for (s_peer_t *peer = (s_peer_t *)zhashx_first (self->peers); peer;
         peer = (s_peer_t *)zhashx_next (self->peers))
        if (peer->banned_ms > now_ms)
            stats->banned++;
}
