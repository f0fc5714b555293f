/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_scale - where agents run (design §9): the desired count of each
    role (helios-ctl scale), with an optional host or label the nodes
    must have, placed over the live nodes within each one's capacity.
    Placement starts from what each node runs, so an agent that can stay
    is never moved: only the surplus goes and only the missing is added,
    spread to the nodes with the most room. Pure: the master feeds it
    nodes and sends the orders.
*/
#ifndef HL_SCALE_H
#define HL_SCALE_H

#include <stdbool.h>
#include <stddef.h>

#include "../proto/hl_limits.h"
#include "../proto/hl_names.h"
#include "../proto/hl_value.h"

#define HL_SCALE_MAX 100000 /* the most agents a role may be scaled to */
#define HL_SCALE_LABEL 128  /* bytes of a "key=value" label, NUL incl. */

/*  One role's wish. */
typedef struct {
    bool set;                   /* false: the role is not managed */
    int count;                  /* 0..HL_SCALE_MAX */
    char host[HL_MAX_NAME + 1]; /* only nodes on this host; "" any */
    char label[HL_SCALE_LABEL]; /* only nodes with this "k=v"; "" any */
} hl_scale_want_t;

/*  One live node as placement sees it. */
typedef struct {
    const char *name;
    const char *host;
    int capacity;             /* agents it may run */
    const hl_value_t *labels; /* map of strings, or NULL */
    int have[HL_ROLE_COUNT];  /* in: what it runs (or was last told);
                                 out: what it is to run */
} hl_scale_node_t;

/*  Whether node may run the role wanted (host, label). */
bool hl_scale_fits (const hl_scale_want_t *want, const hl_scale_node_t *node);

/*  Place every managed role over nodes (n of them), changing have[] as
    little as it can: a node that does not fit a role's host or label
    runs none of it; a node over its capacity sheds its largest managed
    roles; then each role sheds its surplus from the nodes that run the
    most of it, and gets what it lacks on the fitting nodes with the most
    room (ties by fewest of the role, then by order). Roles not set are
    left alone. shortfall[r] (may be NULL) gets what could not be placed. */
void hl_scale_place (const hl_scale_want_t want[HL_ROLE_COUNT],
                     hl_scale_node_t *nodes, size_t n,
                     int shortfall[HL_ROLE_COUNT]);

/*  Check a label argument: "key=value", each 1..63 bytes of [a-z0-9_.-];
    0, or -1. */
int hl_scale_label_ok (const char *label);

#endif
