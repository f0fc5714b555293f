/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_registry - live peers in an array (for scans by role) and a hash by
    routing id (for the lookup every incoming message needs). Bounded by
    count and by bytes: each peer is charged its record and its actions.
*/
#include <czmq.h>
#include <string.h>

#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"
#include "../proto/hl_limits.h"
#include "hl_registry.h"

/*  What one advertised action costs beyond its name's bytes: its
    hl_value node, the string's allocation and its slot, rounded up. */
#define S_ACTION_BYTES 96

struct _hl_registry_t {
    hl_peer_t **peers; /* registration order, swap-removed */
    size_t size;
    size_t alloc;
    //  The same peers by role (nodes last), so that picking an agent of
    //  a role looks at that role's peers only, not at a whole swarm
    hl_peer_t **by_role[HL_REGISTRY_NODE + 1];
    size_t role_n[HL_REGISTRY_NODE + 1];
    size_t role_alloc[HL_REGISTRY_NODE + 1];
    zhashx_t *by_rid; /* hex routing id -> hl_peer_t (borrowed) */
    uint64_t seq;     /* hands out assigned_seq */
    uint64_t joined;  /* hands out joined_seq */
    size_t bytes;     /* the peers' charges, summed */
    hl_registry_limits_t limits;
    hl_registry_refused_t refused;
};

static bool
s_is_agent_role (int role)
{
    return role >= 0 && role < HL_ROLE_COUNT;
}

/*  An hl_role_id_t, HL_REGISTRY_NODE, or -1. */
static int
s_role_parse (const char *text)
{
    if (text && streq (text, "node"))
        return HL_REGISTRY_NODE;
    return hl_role_parse (text);
}

bool
hl_registry_role_valid (const char *role)
{
    return s_role_parse (role) >= 0;
}

const char *
hl_registry_role_name (int role)
{
    if (role == HL_REGISTRY_ANY)
        return "any";
    if (role == HL_REGISTRY_NODE)
        return "node";
    return hl_role_name ((hl_role_id_t)role);
}

static void
s_key (const void *rid, size_t len, char *key)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *b = (const uint8_t *)rid;
    for (size_t i = 0; i < len; i++) {
        key[2 * i] = hex[b[i] >> 4];
        key[2 * i + 1] = hex[b[i] & 15];
    }
    key[2 * len] = 0;
}

hl_registry_t *
hl_registry_new (void)
{
    hl_registry_t *self = (hl_registry_t *)hl_alloc (sizeof (hl_registry_t));
    self->by_rid = zhashx_new ();
    hl_registry_set_limits (self, NULL);
    return self;
}

void
hl_registry_set_limits (hl_registry_t *self, const hl_registry_limits_t *limits)
{
    hl_registry_limits_t l = { 0, 0, 0, 0 };
    if (limits)
        l = *limits;
    self->limits.hello_actions
        = l.hello_actions ? l.hello_actions : HL_HELLO_ACTIONS;
    self->limits.hello_actions_bytes = l.hello_actions_bytes
                                           ? l.hello_actions_bytes
                                           : HL_HELLO_ACTIONS_BYTES;
    self->limits.peers = l.peers ? l.peers : HL_REGISTRY_PEERS;
    self->limits.bytes = l.bytes ? l.bytes : HL_REGISTRY_BYTES;
}

/*  The bytes a hello's actions name, in all. */
static size_t
s_actions_bytes (const hl_value_t *actions)
{
    size_t bytes = 0;
    for (size_t i = 0; i < hl_value_size (actions); i++) {
        size_t len = 0;
        hl_value_str (hl_value_at (actions, i), &len);
        bytes += len;
    }
    return bytes;
}

/*  What a peer's value is charged: its bytes on the wire, which its
    nodes and strings take about as much as again. */
static size_t
s_value_charge (const hl_value_t *v)
{
    return v ? 2 * hl_msg_value_size (v) : 0;
}

/*  What a peer registered from hello is charged. */
static size_t
s_charge (const hl_value_t *actions, const hl_value_t *data)
{
    return sizeof (hl_peer_t) + s_actions_bytes (actions)
           + hl_value_size (actions) * S_ACTION_BYTES + s_value_charge (data);
}

int
hl_registry_check (hl_registry_t *self, const hl_msg_t *hello, char *why,
                   size_t whysize)
{
    if (s_role_parse (hl_msg_role (hello)) < 0) {
        snprintf (why, whysize, "unknown role");
        return HL_ERR_ARGS;
    }
    const hl_value_t *actions = hl_msg_actions (hello);
    size_t n = hl_value_size (actions);
    if (n > self->limits.hello_actions) {
        self->refused.actions++;
        snprintf (why, whysize,
                  "hello names %zu actions, over %zu "
                  "(limits.hello_actions)",
                  n, self->limits.hello_actions);
        return HL_ERR_ITEMS;
    }
    size_t bytes = s_actions_bytes (actions);
    if (bytes > self->limits.hello_actions_bytes) {
        self->refused.actions_bytes++;
        snprintf (why, whysize,
                  "hello's actions take %zu bytes, over %zu "
                  "(limits.hello_actions_bytes)",
                  bytes, self->limits.hello_actions_bytes);
        return HL_ERR_TOO_BIG;
    }
    //  A peer saying hello again gives its old record back first
    size_t rid_len;
    const uint8_t *rid = hl_msg_routing_id (hello, &rid_len);
    const hl_peer_t *old = hl_registry_find (self, rid, rid_len);
    size_t peers = self->size - (old != NULL);
    size_t held = self->bytes - (old ? old->bytes : 0);
    size_t charge = s_charge (actions, hl_msg_data (hello));
    if (peers + 1 > self->limits.peers) {
        self->refused.full++;
        snprintf (why, whysize,
                  "registry full: %zu peers (limits."
                  "registry_peers)",
                  peers);
        return HL_ERR_FULL;
    }
    if (held + charge > self->limits.bytes) {
        self->refused.full++;
        snprintf (why, whysize,
                  "registry full: %zu + %zu bytes over %zu "
                  "(limits.registry_bytes)",
                  held, charge, self->limits.bytes);
        return HL_ERR_FULL;
    }
    return 0;
}

size_t
hl_registry_bytes (const hl_registry_t *self)
{
    return self->bytes;
}

hl_registry_refused_t
hl_registry_refused (const hl_registry_t *self)
{
    return self->refused;
}

static void
s_peer_destroy (hl_peer_t **peer_p)
{
    hl_value_destroy (&(*peer_p)->actions);
    hl_value_destroy (&(*peer_p)->info);
    hl_value_destroy (&(*peer_p)->report);
    hl_value_destroy (&(*peer_p)->order);
    free (*peer_p);
    *peer_p = NULL;
}

void
hl_registry_destroy (hl_registry_t **self_p)
{
    assert (self_p);
    hl_registry_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->size; i++)
        s_peer_destroy (&self->peers[i]);
    free (self->peers);
    zhashx_destroy (&self->by_rid);
    for (int r = 0; r <= HL_REGISTRY_NODE; r++)
        free (self->by_role[r]);
    free (self);
    *self_p = NULL;
}

hl_peer_t *
hl_registry_find (hl_registry_t *self, const void *rid, size_t rid_len)
{
    if (rid_len == 0 || rid_len > HL_MAX_ROUTING_ID)
        return NULL;
    char key[2 * HL_MAX_ROUTING_ID + 1];
    s_key (rid, rid_len, key);
    return (hl_peer_t *)zhashx_lookup (self->by_rid, key);
}

hl_peer_t *
hl_registry_add (hl_registry_t *self, const hl_msg_t *hello, int64_t now_ms)
{
    size_t rid_len;
    const uint8_t *rid = hl_msg_routing_id (hello, &rid_len);
    assert (rid && rid_len > 0);
    char why[160];
    if (hl_registry_check (self, hello, why, sizeof why))
        return NULL;
    int role = s_role_parse (hl_msg_role (hello));
    hl_peer_t *old = hl_registry_find (self, rid, rid_len);
    if (old)
        hl_registry_remove (self, old);

    hl_peer_t *peer = (hl_peer_t *)hl_alloc (sizeof (hl_peer_t));
    memcpy (peer->rid, rid, rid_len);
    peer->rid_len = rid_len;
    snprintf (peer->name, sizeof peer->name, "%s", hl_msg_src (hello));
    peer->role = role;
    snprintf (peer->host, sizeof peer->host, "%s", hl_msg_host (hello));
    snprintf (peer->version, sizeof peer->version, "%s",
              hl_msg_version (hello));
    peer->pid = hl_msg_pid (hello);
    peer->capacity = hl_msg_capacity (hello);
    peer->joined_ms = peer->heard_ms = peer->beat_ms = now_ms;
    peer->heard_us = hl_msg_now_us ();
    if (hl_msg_actions (hello))
        peer->actions = hl_value_dup (hl_msg_actions (hello));
    const hl_value_t *data = hl_msg_data (hello);
    if (role == HL_REGISTRY_NODE && data)
        peer->info = hl_value_dup (data);
    else {
        size_t len = 0;
        const char *node = hl_value_str (hl_value_get (data, "node"), &len);
        if (node && len <= HL_MAX_NAME)
            snprintf (peer->node, sizeof peer->node, "%s", node);
    }
    peer->joined_seq = ++self->joined;
    peer->bytes = s_charge (peer->actions, peer->info);
    self->bytes += peer->bytes;

    if (self->size == self->alloc) {
        self->alloc = self->alloc ? 2 * self->alloc : 16;
        self->peers = (hl_peer_t **)hl_realloc (
            self->peers, self->alloc * sizeof (hl_peer_t *));
    }
    peer->slot = self->size;
    self->peers[self->size++] = peer;
    int r = peer->role;
    if (self->role_n[r] == self->role_alloc[r]) {
        self->role_alloc[r] = self->role_alloc[r] ? 2 * self->role_alloc[r] : 8;
        self->by_role[r] = (hl_peer_t **)hl_realloc (
            self->by_role[r], self->role_alloc[r] * sizeof (hl_peer_t *));
    }
    peer->role_slot = self->role_n[r];
    self->by_role[r][self->role_n[r]++] = peer;
    char key[2 * HL_MAX_ROUTING_ID + 1];
    s_key (rid, rid_len, key);
    zhashx_insert (self->by_rid, key, peer);
    return peer;
}

void
hl_registry_remove (hl_registry_t *self, hl_peer_t *peer)
{
    char key[2 * HL_MAX_ROUTING_ID + 1];
    s_key (peer->rid, peer->rid_len, key);
    zhashx_delete (self->by_rid, key);
    self->bytes -= peer->bytes;
    //  Swap-removed from both arrays, in O(1) by the slots it knows
    assert (peer->slot < self->size && self->peers[peer->slot] == peer);
    hl_peer_t *last = self->peers[--self->size];
    self->peers[peer->slot] = last;
    last->slot = peer->slot;
    int r = peer->role;
    assert (self->by_role[r][peer->role_slot] == peer);
    last = self->by_role[r][--self->role_n[r]];
    self->by_role[r][peer->role_slot] = last;
    last->role_slot = peer->role_slot;
    s_peer_destroy (&peer);
}

int
hl_registry_report (hl_registry_t *self, hl_peer_t *peer,
                    const hl_value_t *data)
{
    size_t was = s_value_charge (peer->report);
    size_t now = s_value_charge (data);
    if (self->bytes - was + now > self->limits.bytes) {
        self->refused.full++;
        return HL_ERR_FULL;
    }
    hl_value_destroy (&peer->report);
    peer->report = hl_value_dup (data);
    self->bytes = self->bytes - was + now;
    peer->bytes = peer->bytes - was + now;
    return 0;
}

void
hl_registry_order (hl_registry_t *self, hl_peer_t *peer,
                   const hl_value_t *order)
{
    size_t was = s_value_charge (peer->order);
    size_t now = s_value_charge (order);
    hl_value_destroy (&peer->order);
    peer->order = order ? hl_value_dup (order) : NULL;
    self->bytes = self->bytes - was + now;
    peer->bytes = peer->bytes - was + now;
}

hl_peer_t *
hl_registry_node (hl_registry_t *self, const char *name)
{
    for (size_t i = 0; i < self->size; i++)
        if (self->peers[i]->role == HL_REGISTRY_NODE
            && streq (self->peers[i]->name, name))
            return self->peers[i];
    return NULL;
}

size_t
hl_registry_size (const hl_registry_t *self)
{
    return self->size;
}

hl_peer_t *
hl_registry_at (hl_registry_t *self, size_t i)
{
    return i < self->size ? self->peers[i] : NULL;
}

bool
hl_peer_can (const hl_peer_t *peer, const char *action)
{
    for (size_t i = 0; i < hl_value_size (peer->actions); i++) {
        const char *name = hl_value_str (hl_value_at (peer->actions, i), NULL);
        if (name && streq (name, action))
            return true;
    }
    return false;
}

/*  The least-loaded live, non-draining peer of one role's array that
    can run action, against best so far. */
static hl_peer_t *
s_pick_in (hl_peer_t **peers, size_t n, const char *action, hl_peer_t *best)
{
    for (size_t i = 0; i < n; i++) {
        hl_peer_t *p = peers[i];
        if (p->draining || p->inflight >= p->capacity
            || (action && !hl_peer_can (p, action)))
            continue;
        if (best) {
            /*  Compare loads inflight/capacity without division. */
            uint64_t mine = (uint64_t)p->inflight * best->capacity;
            uint64_t theirs = (uint64_t)best->inflight * p->capacity;
            if (mine > theirs
                || (mine == theirs && p->assigned_seq >= best->assigned_seq))
                continue;
        }
        best = p;
    }
    return best;
}

hl_peer_t *
hl_registry_pick (hl_registry_t *self, int role, const char *action)
{
    hl_peer_t *best = NULL;
    if (role == HL_REGISTRY_ANY) {
        for (int r = 0; r < HL_ROLE_COUNT; r++)
            best = s_pick_in (self->by_role[r], self->role_n[r], action, best);
    } else if (role >= 0 && role <= HL_REGISTRY_NODE)
        best
            = s_pick_in (self->by_role[role], self->role_n[role], action, best);
    if (best)
        best->assigned_seq = ++self->seq;
    return best;
}

bool
hl_registry_has (hl_registry_t *self, int role, const char *action)
{
    for (int r = 0; r <= HL_REGISTRY_NODE; r++) {
        if (role == HL_REGISTRY_ANY ? !s_is_agent_role (r) : r != role)
            continue;
        for (size_t i = 0; i < self->role_n[r]; i++)
            if (!action || hl_peer_can (self->by_role[r][i], action))
                return true;
    }
    return false;
}

static int
s_joined_cmp (const void *a, const void *b)
{
    const hl_peer_t *x = *(const hl_peer_t *const *)a;
    const hl_peer_t *y = *(const hl_peer_t *const *)b;
    return x->joined_seq < y->joined_seq ? -1 : x->joined_seq > y->joined_seq;
}

hl_peer_t **
hl_registry_since (hl_registry_t *self, uint64_t from, size_t *size_p)
{
    hl_peer_t **list
        = (hl_peer_t **)hl_calloc (self->size + 1, sizeof (hl_peer_t *));
    size_t n = 0;
    for (size_t i = 0; i < self->size; i++)
        if (self->peers[i]->joined_seq >= from)
            list[n++] = self->peers[i];
    qsort (list, n, sizeof (hl_peer_t *), s_joined_cmp);
    *size_p = n;
    return list;
}

hl_value_t *
hl_peer_to_value (const hl_peer_t *p, int64_t now_ms)
{
    hl_value_t *a = hl_value_new_map ();
    hl_value_set_str (a, "name", p->name);
    hl_value_set_str (a, "role", hl_registry_role_name (p->role));
    hl_value_set_str (a, "host", p->host);
    hl_value_set_int (a, "pid", p->pid);
    hl_value_set_str (a, "version", p->version);
    hl_value_set_int (a, "inflight", p->inflight);
    hl_value_set_int (a, "capacity", p->capacity);
    hl_value_set_int (a, "last_heartbeat_us", p->heard_us);
    hl_value_set_int (a, "last_heartbeat_ms_ago", now_ms - p->heard_ms);
    hl_value_set_int (a, "heartbeat_ms", p->period_ms);
    hl_value_set_int (a, "tasks_done", (int64_t)p->done);
    hl_value_set_int (a, "tasks_failed", (int64_t)p->failed);
    hl_value_set_bool (a, "draining", p->draining);
    hl_value_set_str (a, "node", p->node);
    hl_value_t *actions
        = p->actions ? hl_value_dup (p->actions) : hl_value_new_array ();
    hl_value_set (a, "actions", &actions);
    return a;
}
