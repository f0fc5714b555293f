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
    uint32_t capacity;     /* concurrent tasks it takes */
    uint32_t inflight;     /* tasks the master has on it */
    uint32_t reported;     /* inflight it last reported */
    uint64_t done;         /* results accepted from it */
    uint64_t failed;       /* of which not ok */
    bool draining;         /* takes no new tasks */
    int64_t joined_ms;     /* monotonic */
    int64_t heard_ms;      /* monotonic, last message */
    int64_t heard_us;      /* wall clock, last message */
    int64_t beat_ms;       /* monotonic, last beat we sent */
    uint32_t period_ms;    /* the beat period it was last told */
    uint32_t period_was;   /* the one before, while it may still use it */
    int64_t period_until;  /* monotonic: when period_was stops counting */
    uint64_t assigned_seq; /* when it last got a task (ties) */
    hl_value_t *actions;   /* array of action names, or NULL */
} hl_peer_t;

typedef struct _hl_registry_t hl_registry_t;

hl_registry_t *hl_registry_new (void);
void hl_registry_destroy (hl_registry_t **self_p);

/*  True if a hello may name role: the six agent roles and "node" ("any"
    is no peer's role). */
bool hl_registry_role_valid (const char *role);

/*  The name of role: an agent role's, "node", or "any" for
    HL_REGISTRY_ANY; "?" for anything else. Never NULL. */
const char *hl_registry_role_name (int role);

/*  Register the sender of a valid hello (routing id attached), replacing
    a peer with the same routing id. Returns the peer (borrowed), or NULL
    if the hello's role is not valid (hl_registry_role_valid). */
hl_peer_t *hl_registry_add (hl_registry_t *self, const hl_msg_t *hello,
                            int64_t now_ms);

/*  The peer with that routing id, or NULL. */
hl_peer_t *hl_registry_find (hl_registry_t *self, const void *rid,
                             size_t rid_len);

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
