/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_node - helios-node's work (design §9): a link to the master as role
    "node" with its capacity and labels, and the helios-agent processes
    the master orders, one per slot: started, restarted after a crash
    with a capped backoff until the intensity limit gives up on the slot
    (hl_restart), drained when the order shrinks. Its agents keep running
    while the master is away; the order the master sends again when it
    is back is reconciled like any other.
*/
#ifndef HL_NODE_H
#define HL_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include "../bus/hl_config.h"
#include "../proto/hl_value.h"

typedef struct _hl_node_t hl_node_t;

typedef struct {
    const char *endpoint;  /* NULL: the config's connect.tasks */
    const char *name;      /* NULL: node.name, else the host's name */
    const char *agent_bin; /* NULL: $HELIOS_BIN/helios-agent, else the
                              helios-agent beside this program, else
                              helios-agent on PATH */
    const char *key;       /* --key given to helios-node, passed on to its
                              agents, or NULL */
} hl_node_opts_t;

/*  What the node did, for logs and tests. */
typedef struct {
    size_t slots;          /* agents it holds a place for */
    size_t running;        /* of which running */
    size_t failed;         /* given up on */
    uint64_t started;      /* processes started */
    uint64_t restarts;     /* of which restarts after an exit */
    uint64_t orders;       /* orders from the master taken */
    uint64_t orders_bad;   /* refused: a bad role, count or total */
    uint64_t spawn_failed; /* posix_spawn refused */
} hl_node_stats_t;

/*  A node on config (borrowed; it must outlive the node). NULL, with the
    reason in err, for bad options. */
hl_node_t *hl_node_new (const hl_config_t *config, const hl_node_opts_t *opts,
                        char *err, size_t errsize);

/*  Stop what still runs (SIGKILL) and free; accepts NULL, nulls *self_p. */
void hl_node_destroy (hl_node_t **self_p);

/*  Run until SIGTERM or SIGINT, which drain the agents (SIGTERM, then
    SIGKILL past node.stop_grace_ms; a second signal kills at once), say
    bye and return 0; -1 if the loop fails. */
int hl_node_run (hl_node_t *self);

/*  Take an order (a map of role name to count, what the master sends in
    a heartbeat's "order"): 0, or -1 if it names an unknown role, a
    count that is not an integer in 0..capacity, or more than capacity
    in all (then nothing changes). */
int hl_node_order (hl_node_t *self, const hl_value_t *order, char *why,
                   size_t whysize);

/*  The report sent in heartbeats (a new map): {"agents": [{name, role,
    pid, state, restarts, uptime_ms, last_exit}...], "failed": n}. */
hl_value_t *hl_node_report (hl_node_t *self);

void hl_node_stats (const hl_node_t *self, hl_node_stats_t *stats);

/*  The node's name (its envelope src). */
const char *hl_node_name (const hl_node_t *self);

#endif
