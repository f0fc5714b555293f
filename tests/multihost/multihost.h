/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    multihost - three machines played by three network namespaces (design
    §9): a master host, a frontend host and a backend host, joined by a
    bridge on the master's. CURVE is on, with keys helios-ctl keygen makes;
    a helios-node runs on each agent host, helios-demo (if asked) on the
    backend one; every look at the master is a helios-ctl run on the
    master host. The namespaces are this process's (named after its pid):
    teardown deletes them, and a later run deletes those a killed run left.
*/
#ifndef MH_MULTIHOST_H
#define MH_MULTIHOST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../integration/harness.h"

#define MH_MASTER_IP "10.78.0.1"
#define MH_FRONT_IP "10.78.0.2"
#define MH_BACK_IP "10.78.0.3"
/*  The demo's control socket, on the backend host: a namespace's ports
    are its own, so a fixed one is free */
#define MH_DEMO_CONTROL "tcp://" MH_BACK_IP ":7790"

/*  The master beats every 250 ms and expires a peer silent for 4 beats. */
#define MH_MASTER_EXTRA "heartbeat_ms = 250; liveness = 4;"

/*  Restarts fast enough for a test: 200 ms doubling to 1 s, give up
    after 3 in 30 s. */
#define MH_NODE_EXTRA                                                          \
    "restart_backoff_min_ms = 200; restart_backoff_max_ms = 1000;\n"           \
    "  max_restarts = 3; restart_window_s = 30; stop_grace_ms = 5000;"

/*  The master autoscales prometheus-backend between 1 and 2 on a 300 ms
    wait, with windows short enough for a test. */
#define MH_AUTOSCALE_ROLE "prometheus-backend"
#define MH_AUTOSCALE                                                           \
    "autoscale = ( { role = \"" MH_AUTOSCALE_ROLE "\"; min = 1; max = 2;\n"    \
    "  target_wait_ms = 300; window_s = 2; up_cooldown_s = 2;\n"               \
    "  down_cooldown_s = 1; stabilisation_s = 4; } );\n"

enum { MH_MASTER, MH_FRONT, MH_BACK, MH_HOSTS };

typedef struct {
    ht_master_t m;               /* dir, config, endpoints, the master */
    char ns[MH_HOSTS][32];       /* the hosts' namespaces */
    const char *in[MH_HOSTS][5]; /* "ip netns exec NS" of each */
    char keys[320];              /* key pairs; allowed/ the publics */
    char ctl_cfg[320];           /* helios-ctl's and helios-spy's */
    char agents_cfg[2][320];     /* the agents' of front and back */
    char *playbook;              /* metrics and actions */
    ht_proc_t *nodes[4];         /* front, back, and extra ones */
    ht_proc_t *demo;             /* on the backend host, or NULL */
} mh_world_t;

/*  Make the three hosts, keys and configs, and start the master and a
    node on each agent host (front: zone=front, back: zone=back, capacity
    4 each), and helios-demo on the backend host if demo; waits until
    both nodes are registered. Skips the test, with a message, where
    network namespaces cannot be made. */
void mh_start (mh_world_t *w, bool demo);

/*  Stop everything (nodes drain their agents; every exit must be 0) and
    delete the hosts. */
void mh_stop (mh_world_t *w);

/*  cmocka teardown: ht_teardown, then the namespaces are deleted,
    whatever happened. */
int mh_teardown (void **state);

/*  helios-ctl on the master host with the ctl's key, arguments NULL-
    ended; its exit status, stdout into out. */
int mh_ctl (const mh_world_t *w, char *out, size_t size, ...);

/*  helios-ctl ... (NULL-ended), its stdout parsed as JSON; fails the
    test if it exits non-zero or prints no JSON. Caller decrefs. */
json_t *mh_ctl_json (const mh_world_t *w, ...);

/*  Start a helios-node named name on host, with a node section's body
    (capacity, labels...; MH_NODE_EXTRA is added) and the agent config
    it passes (NULL: that host's). Returns the process. */
ht_proc_t *mh_node_start (mh_world_t *w, int host, const char *name,
                          const char *section, const char *agent_config);

/*  The registered agent named name's field (an int), or -1 if none. */
int64_t mh_agent_int (json_t *agents, const char *name, const char *field);

/*  Registered agents started by node (NULL: by any node). */
int mh_agents_on (json_t *agents, const char *node);

/*  Whether the master lists the node named name. */
bool mh_has_node (const mh_world_t *w, const char *name);

/*  Scale the six roles, the frontend ones on the frontend host and the
    backend ones on the backend host (by label), and wait until each is
    registered from its node; the time that took, ms. */
int64_t mh_scale_six (const mh_world_t *w);

/*  kill -9 the agent named name and wait until its node has started it
    again and it is registered under that name with a new pid; the time
    that took, ms. */
int64_t mh_kill_restart (const mh_world_t *w, const char *name);

/*  n echo tasks for role through the master (helios-ctl bench echo):
    every one answered once, ok. */
void mh_echo (const mh_world_t *w, const char *role, int n);

/*  Take host's link down or up (the veth end in its namespace). */
void mh_link (const mh_world_t *w, int host, bool up);

/*  Milliseconds on a monotonic clock. */
int64_t mh_now (void);

#endif
