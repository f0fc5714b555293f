/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_registry - the master's table of live peers (agents and nodes),
    keyed by ZeroMQ routing id, with each one's role, capacity, load and
    liveness; picks the least-loaded instance of a role for a task. Roles
    are hl_role_id_t inside; their names only at the edges.
*/
#ifndef HL_REGISTRY_H
#define HL_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/hl_msg.h"
#include "../proto/hl_names.h"

#define HL_REGISTRY_ANY (-1)           /* any agent role (echo) */
#define HL_REGISTRY_NODE HL_ROLE_COUNT /* a helios-node, not an agent */

/*  One peer. The registry owns it; other modules read it and may change
    inflight, done, failed and draining. */
typedef struct {
    uint8_t rid[HL_MAX_ROUTING_ID]; /* routing id */
    size_t rid_len;
    char name[HL_MAX_NAME + 1]; /* its envelope src */
    int role;                   /* hl_role_id_t, or HL_REGISTRY_NODE */
    char host[HL_MAX_NAME + 1];
    char version[32];
    uint32_t pid;
    uint32_t capacity;          /* concurrent tasks it takes */
    uint32_t inflight;          /* tasks the master has on it */
    uint32_t reported;          /* inflight it last reported */
    uint64_t done;              /* results accepted from it */
    uint64_t failed;            /* of which not ok */
    bool draining;              /* takes no new tasks */
    int64_t joined_ms;          /* monotonic */
    int64_t heard_ms;           /* monotonic, last message */
    int64_t heard_us;           /* wall clock, last message */
    int64_t beat_ms;            /* monotonic, last beat we sent */
    uint32_t period_ms;         /* the beat period it was last told */
    uint32_t period_was;        /* the one before, while it may still use it */
    int64_t period_until;       /* monotonic: when period_was stops counting */
    uint64_t assigned_seq;      /* when it last got a task (ties) */
    hl_value_t *actions;        /* array of action names, or NULL */
    uint64_t joined_seq;        /* registration order, from 1: the agents
                                   list's cursor */
    size_t bytes;               /* what it takes, against registry_bytes */
    char node[HL_MAX_NAME + 1]; /* an agent: the node that started it,
                                   as its hello said, or "" */
    hl_value_t *info;           /* a node: its hello's data (labels,
                                   running), or NULL */
    hl_value_t *report;         /* a node: its last beat's data (its
                                   agents), or NULL */
    hl_value_t *order;          /* a node: the master's order (role ->
                                   count), sent with each beat, or NULL */
    size_t slot;                /* its index in the registry's array */
    size_t role_slot;           /* ... and in its role's */
} hl_peer_t;

/*  What the registry holds at most, and what one hello may carry; the
    limits section's (hl_config_limits_t). 0 takes the compiled-in
    default. */
typedef struct {
    size_t hello_actions;       /* actions one hello names */
    size_t hello_actions_bytes; /* their names' bytes in all */
    size_t peers;               /* peers registered at once */
    size_t bytes;               /* their records in all, bytes */
} hl_registry_limits_t;

/*  What the registry refused, by reason. */
typedef struct {
    uint64_t actions;       /* a hello past hello_actions */
    uint64_t actions_bytes; /* past hello_actions_bytes */
    uint64_t full;          /* the registry past peers or bytes */
} hl_registry_refused_t;

typedef struct _hl_registry_t hl_registry_t;

/*  An empty registry with the default limits (HL_HELLO_ACTIONS...). */
hl_registry_t *hl_registry_new (void);
void hl_registry_destroy (hl_registry_t **self_p);

/*  Set the limits (0 fields: the defaults); peers already in stay. */
void hl_registry_set_limits (hl_registry_t *self,
                             const hl_registry_limits_t *limits);

/*  Whether hello may register: 0; HL_ERR_ARGS for a role that is not
    valid; HL_ERR_ITEMS for more actions than hello_actions; HL_ERR_TOO_BIG
    for names past hello_actions_bytes; HL_ERR_FULL when the registry
    would pass its peers or bytes (the record a peer re-registering
    under the same routing id replaces is not counted). why gets one line
    for the peer and the log. Counts the refusals of limits. */
int hl_registry_check (hl_registry_t *self, const hl_msg_t *hello, char *why,
                       size_t whysize);

/*  The bytes the registry's peers take, as counted against its limit. */
size_t hl_registry_bytes (const hl_registry_t *self);

/*  What it refused since it was made. */
hl_registry_refused_t hl_registry_refused (const hl_registry_t *self);

/*  The peers whose joined_seq is at least from, in registration order,
    into a new array (the caller frees it) of *size_p of them. */
hl_peer_t **hl_registry_since (hl_registry_t *self, uint64_t from,
                               size_t *size_p);

/*  A peer as the agents list shows it (name, role, host...): a new map.
    now_ms is the monotonic clock its last heartbeat is measured from. */
hl_value_t *hl_peer_to_value (const hl_peer_t *peer, int64_t now_ms);

/*  True if a hello may name role: the six agent roles and "node" ("any"
    is no peer's role). */
bool hl_registry_role_valid (const char *role);

/*  The name of role: an agent role's, "node", or "any" for
    HL_REGISTRY_ANY; "?" for anything else. Never NULL. */
const char *hl_registry_role_name (int role);

/*  Register the sender of a valid hello (routing id attached), replacing
    a peer with the same routing id. Returns the peer (borrowed), or NULL
    if hl_registry_check refuses the hello. */
hl_peer_t *hl_registry_add (hl_registry_t *self, const hl_msg_t *hello,
                            int64_t now_ms);

/*  The peer with that routing id, or NULL. */
hl_peer_t *hl_registry_find (hl_registry_t *self, const void *rid,
                             size_t rid_len);

/*  Keep a node's report (a copy of data, a map), charged against the
    registry's bytes: 0, or HL_ERR_FULL (the old one is kept). */
int hl_registry_report (hl_registry_t *self, hl_peer_t *peer,
                        const hl_value_t *data);

/*  Keep the order sent to a node (a copy; NULL clears), charged. */
void hl_registry_order (hl_registry_t *self, hl_peer_t *peer,
                        const hl_value_t *order);

/*  The live node named name, or NULL. */
hl_peer_t *hl_registry_node (hl_registry_t *self, const char *name);

/*  Forget a peer; the pointer is invalid afterwards. */
void hl_registry_remove (hl_registry_t *self, hl_peer_t *peer);

size_t hl_registry_size (const hl_registry_t *self);

/*  Peers in registration order: index 0..size-1; the order changes when
    a peer is removed. */
hl_peer_t *hl_registry_at (hl_registry_t *self, size_t i);

/*  The live, non-draining peer of role (HL_REGISTRY_ANY: any agent role)
    with free capacity and the lowest load (inflight / capacity), which
    advertises action if action is not NULL; NULL if none. Ties go to the
    peer that has waited longest since its last task. */
hl_peer_t *hl_registry_pick (hl_registry_t *self, int role, const char *action);

/*  True if some registered peer of role (HL_REGISTRY_ANY, which is
    HL_DISPATCH_ANY: any agent role), busy or not, advertises action
    (NULL: needs no particular action). */
bool hl_registry_has (hl_registry_t *self, int role, const char *action);

/*  Whether peer advertises action. */
bool hl_peer_can (const hl_peer_t *peer, const char *action);

#endif
