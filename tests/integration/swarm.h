/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    swarm - many agents played by child processes of a test or benchmark
    (the binary itself, run again: its main calls ht_swarm_main first),
    at most 6,000 each, as a process may hold 20,000 descriptors: a
    DEALER each over tcp to the master's tasks socket, a hello (the roles
    given, in turn), then heartbeats as hl_agent sends them: every
    heartbeat_ms, phases spread over the interval as real agents drift
    apart, and in answer to the master's own once half an interval has
    passed. Agents beat from their welcome on, while the rest of the
    swarm is still saying hello, so a slow registration expires nobody.
    The swarm takes no tasks: give its agents roles the work is not sent
    to. The master the swarm joins needs a descriptor per agent: raise
    the limit (ht_swarm_limits) before starting it.
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

/*  Raise this process's descriptor limit for a master of n agents
    started afterwards, which inherits it. Returns false if the hard
    limit is too low. */
bool ht_swarm_limits (long n);

/*  Keep the swarm's children to the last CPU and this process (and the
    processes it starts afterwards: the master, its agents) to the
    others, so that the crowd, which stands for machines of its own, does
    not compete with the master for CPU. false on a single CPU. */
bool ht_swarm_pin (void);

/*  Call first in main: runs a swarm child and returns its exit code
    when argv says this process is one, else returns -1. */
int ht_swarm_main (int argc, char *argv[]);

/*  Start n agents named "swarm-I@localhost" against the tasks endpoint,
    their roles taken in turn from roles[0..roles_n). NULL on failure. */
ht_swarm_t *ht_swarm_start (const char *tasks, long n, const char *const *roles,
                            size_t roles_n);

/*  Wait until every agent has been welcomed; false at the deadline or
    if a child ended. */
bool ht_swarm_wait_welcomed (ht_swarm_t *self, int timeout_ms);

/*  The counters so far (as the children last said, every 100 ms). */
void ht_swarm_stats (ht_swarm_t *self, ht_swarm_stats_t *stats);

/*  Stop the children; accepts NULL. */
void ht_swarm_stop (ht_swarm_t **self_p);

/*  CPU seconds process pid has used so far (utime + stime), or -1. */
double ht_cpu_seconds (int pid);

#endif
