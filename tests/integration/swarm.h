/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    swarm - many agents played by one thread of a test or benchmark: a
    DEALER each over tcp to the master's tasks socket, a hello (the roles
    given, in turn), then heartbeats as hl_agent sends them: every
    heartbeat_ms, phases spread over the interval as real agents drift
    apart, and in answer to the master's own once half an interval has
    passed. Agents beat from their welcome on, while the rest of the
    swarm is still saying hello, so a slow registration expires nobody.
    The swarm takes no tasks: give its agents roles the work is not sent
    to. The caller raises the descriptor limit (ht_swarm_limits) before
    czmq starts.
*/
#ifndef HT_SWARM_H
#define HT_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _ht_swarm_t ht_swarm_t;

typedef struct {
    long agents;       /* sockets opened */
    long welcomed;     /* agents welcomed at least once */
    uint64_t sent;     /* heartbeats sent */
    uint64_t received; /* messages from the master */
    uint64_t refused;  /* sends that failed */
    uint64_t unknown;  /* "who are you" answers: an agent expired */
    int heartbeat_ms;  /* as the welcome said */
} ht_swarm_stats_t;

/*  Raise this process's descriptor limit and czmq's socket limit for a
    swarm of n agents (two descriptors each here, one in a master started
    afterwards, which inherits the limit). Call before czmq starts. Returns
    false if the hard limit is too low. */
bool ht_swarm_limits (long n);

/*  Start n agents named "swarm-I@localhost" against the tasks endpoint,
    their roles taken in turn from roles[0..roles_n). NULL on failure. */
ht_swarm_t *ht_swarm_start (const char *tasks, long n, const char *const *roles,
                            size_t roles_n);

/*  Wait until every agent has been welcomed; false at the deadline. */
bool ht_swarm_wait_welcomed (ht_swarm_t *self, int timeout_ms);

/*  The counters so far. */
void ht_swarm_stats (ht_swarm_t *self, ht_swarm_stats_t *stats);

/*  Stop the thread and close every socket; accepts NULL. */
void ht_swarm_stop (ht_swarm_t **self_p);

/*  CPU seconds process pid has used so far (utime + stime), or -1. */
double ht_cpu_seconds (int pid);

#endif
