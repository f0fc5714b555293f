/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    fault - what the fault suite's cases share: a toy world with fast
    liveness, cycles started and followed through the master's status
    (every reply timed, so a case can say the master never stalled), the
    agents as the master lists them, and the checks every case ends with:
    each change kept or rolled back as its knob file says, no apply run
    twice.
*/
#ifndef FT_FAULT_H
#define FT_FAULT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../integration/harness.h"
#include "../integration/toy.h"

/*  The master beats every 250 ms and expires a peer silent for 4 beats:
    faults take a second to be seen, not three. */
#define FT_HEARTBEAT_MS 250
#define FT_LIVENESS 4
#define FT_SILENCE_MS (FT_HEARTBEAT_MS * FT_LIVENESS)
#define FT_MASTER_EXTRA "heartbeat_ms = 250; liveness = 4;"

/*  One change at a time, verified on the toy's usual windows. */
#define FT_CYCLE                                                               \
    "cycle = { duration = 3600; max_concurrent = 1; cooldown = 0;\n"           \
    "          settle = 2; verify_window = 10; };\n"

/*  The longest the master may take to answer status while an agent is
    killed, hung or cut off: the reactor never waits on a peer. */
#define FT_STATUS_MAX_MS 1000

/*  The agents of the toy world, by index (toy_role). */
enum {
    FT_PROM_FRONT,
    FT_PROM_BACK,
    FT_HEPH_FRONT,
    FT_HEPH_BACK,
    FT_ATHENA_UX,
    FT_ATHENA_API
};

/*  FT_ONLY=pattern runs only the cases whose names match (cmocka's
    filter: * and ? wildcards). */
void ft_filter (void);

/*  Start a toy world with fast liveness (opts may add a host and
    prefixes; its master_extra is replaced), and if data, wait until its
    metrics have a verify window behind them. */
void ft_world_start (toy_world_t *w, const toy_opts_t *opts,
                     const char *const *actions, bool data);

/*  status, timed: the reply (caller destroys it); fails the test without
    one within 5 s. The slowest reply is kept for ft_slowest_ms. */
hl_msg_t *ft_status (const ht_master_t *m);

/*  The slowest status reply since ft_slowest_reset, in ms. */
int64_t ft_slowest_ms (void);
void ft_slowest_reset (void);

/*  Fail if a status reply took longer than FT_STATUS_MAX_MS (HT_VERBOSE
    prints the slowest). */
void ft_check_status (void);

/*  An int of a group of status ("tasks", "completed"), timed. */
int64_t ft_stat (const ht_master_t *m, const char *group, const char *key);

/*  The current cycle's phase ("idle" between cycles) into phase. */
void ft_phase (const ht_master_t *m, char *phase, size_t size);

/*  Start an optimization cycle without waiting; its id. */
uint64_t ft_cycle_start (const ht_master_t *m);

/*  Wait, polling status, until the cycle is in one of phases (a
    space-separated list: "settle verify"). */
void ft_wait_phase (const ht_master_t *m, const char *phases, int timeout_ms);

/*  Wait until the cycle id has finished; its report (caller decrefs).
    Status is polled throughout, so its replies are timed. */
json_t *ft_cycle_wait (const ht_master_t *m, uint64_t id, int timeout_ms);

/*  Tasks in flight on the agent of pid as the master sees it, or -1 if
    no agent of that pid is registered. */
int ft_inflight (const ht_master_t *m, pid_t pid);

/*  Wait until the agent of pid holds at least one task. */
void ft_wait_holding (const ht_master_t *m, pid_t pid, int timeout_ms);

/*  Wait until no agent of pid is registered (it expired). */
void ft_wait_gone (const ht_master_t *m, pid_t pid, int timeout_ms);

/*  Wait until an agent named name is registered with pid. */
void ft_wait_registered (const ht_master_t *m, const char *name, pid_t pid,
                         int timeout_ms);

/*  Wait until log_<action> holds a line starting with what. */
void ft_wait_log (const toy_world_t *w, const char *action, const char *what,
                  int timeout_ms);

/*  kill -9 agents[i] and reap it. */
void ft_kill (toy_world_t *w, int i);

/*  What every case ends with: no apply ran twice; each action of the
    report kept (its knob file there, its apply run once) or rolled back
    (the file gone, the rollback run once), or failed with the reason in
    the report's degradations, rolled back at most once. */
void ft_check_changes (const toy_world_t *w, json_t *report);

/*  Whether the report's degradations mention text. */
bool ft_degraded (json_t *report, const char *text);

//  --------------------------------------------------------------------
//  The agent cases (agents.c)

/*  The phase whose task the victim holds, and so the victim. */
typedef enum {
    FT_IN_ANALYZE, /* prometheus-backend, holding an analysis */
    FT_IN_APPLY,   /* hephaestus-backend, running an apply */
    FT_IN_VERIFY   /* athena-api, collecting a verify window */
} ft_when_t;

/*  What happens to it. */
typedef enum {
    FT_KILL,         /* kill -9, restarted with its name once the cycle
                        is over */
    FT_KILL_RESTART, /* kill -9, restarted with its name once expired */
    FT_STOP          /* SIGSTOP past the liveness window, then SIGCONT */
} ft_fault_t;

/*  One cycle of one action with the fault done to the agent that holds
    the phase's task. What must hold: the cycle finishes (saying it is
    degraded when a task could not end), the change ends kept or rolled
    back as its knob file says, its apply ran once, the victim (or its
    restart) is registered again, and the master answered status within
    FT_STATUS_MAX_MS throughout. */
void ft_agent_fault (ft_when_t when, ft_fault_t fault);

//  --------------------------------------------------------------------
//  The network partition (partition.c)

/*  The master in one network namespace, the toy and the agents in
    another, joined by a veth pair (10.77.0.1 and 10.77.0.2); the link
    taken down on the agents' side while an apply runs and tasks are in
    flight, then up. Short: down until the master has expired every
    agent, and a second more, the apply a task of its own; full: down
    10 s in the middle of a cycle's apply. What must hold: every task
    submitted before and during the partition ends once with ok (none
    dropped, none twice: the client's replies, a bench echo run across
    it, the master's counters); the agents come back by themselves; the
    apply in flight ran once; the master answered status throughout.
    Skipped with a message where network namespaces cannot be made. */
void ft_partition (bool full);

/*  cmocka teardown for the partition: ht_teardown, then the namespaces
    (and with them the link) are deleted, whatever happened. */
int ft_partition_teardown (void **state);

//  The crowd (crowd.c)

/*  Raise the descriptor and socket limits for a crowd of agents; call
    first thing in main, before czmq starts. */
void ft_crowd_limits (long agents);

/*  A real master with agents connected and heartbeating (played by this
    process) beside one real echo agent; seconds is each measuring
    window. What must hold: every agent welcomed, none expired, status
    answered throughout, every echo task answered once with the crowd
    as without it. Prints the master's CPU share and the echo p99 with
    and without the crowd. */
void ft_crowd (long agents, int seconds);

#endif
