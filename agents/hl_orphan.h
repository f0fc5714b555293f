/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_orphan - what a killed agent's commands left running: finds the
    process groups it recorded (hl_journal) in /proc, kills those still
    its own and waits, bounded, until they are gone. A group is still
    ours if its leader (pid == pgid) has the start time recorded, or if
    it has no leader but members: Linux never hands out a number that is
    still a live group's id. Owns nothing; blocking, for an agent's start.
*/
#ifndef HL_ORPHAN_H
#define HL_ORPHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_ORPHAN_PID_MAX 4194304 /* Linux's PID_MAX_LIMIT: pids are below */
#define HL_ORPHAN_WAIT_MS 2000    /* the longest a kill waits for the end */

/*  What became of a recorded group. */
typedef enum {
    HL_ORPHAN_GONE,     /* "gone": nothing of it left, nothing done */
    HL_ORPHAN_KILLED,   /* "killed": SIGKILL, and every member gone */
    HL_ORPHAN_SURVIVED, /* "survived": killed, members left after the wait */
    HL_ORPHAN_REUSED,   /* "reused": its leader is another process now (or
                           no start time was recorded): left alone */
    HL_ORPHAN_REFUSED,  /* "refused": a number never ours to kill (ours,
                           our group's, 0, 1, past the bound) */
    HL_ORPHAN_NO_PROC   /* "no_proc": /proc cannot be read: left alone */
} hl_orphan_fate_t;
#define HL_ORPHAN_FATES 6

/*  One group to check: the caller fills pgid and start, the kill the
    rest. */
typedef struct {
    int pgid;              /* the group, its leader's pid */
    uint64_t start;        /* the leader's start time, 0: unknown */
    hl_orphan_fate_t fate; /* what was done */
    size_t members;        /* processes found in it, zombies aside */
    uint64_t leader_start; /* the start time of the pid == pgid found
                              now, 0: none (for the log of a reuse) */
} hl_orphan_group_t;

/*  What /proc/PID/stat says of a process, as much as is used here. */
typedef struct {
    int pid;        /* field 1 */
    char state;     /* field 3: 'R', 'S', 'Z'... */
    int pgrp;       /* field 5 */
    uint64_t start; /* field 22: clock ticks after boot */
} hl_orphan_stat_t;

/*  Read the text of a /proc/PID/stat (len bytes, no NUL needed) into
    stat: the command name may hold anything, spaces and ')' too, so
    fields count from the last ')'. Returns 0, or HL_ERR_MALFORMED for
    text that is not such a line (cut short, not numbers, out of range). */
int hl_orphan_parse_stat (const char *text, size_t len, hl_orphan_stat_t *stat);

/*  The start time of process pid into *start. Returns 0, or -1 if there
    is no such process or its stat cannot be read or parsed. A child not
    yet reaped (hl_spawn reaps late) can always be read. */
int hl_orphan_start_time (int pid, uint64_t *start);

/*  Processes of group pgid that are not zombies, or -1 if /proc cannot
    be read. */
int hl_orphan_members (int pgid);

/*  Kill each of groups[0..n) still ours (SIGKILL to the group), then wait
    for all of them together, at most wait_ms, polling /proc, until no
    member is left; sets each one's fate and members. Zombies count as
    gone: reaping them is their new parent's business. Returns how many
    groups it killed. */
size_t hl_orphan_kill (hl_orphan_group_t *groups, size_t n, int64_t wait_ms);

/*  A fate's short name, as in the comments above ("?" if none). */
const char *hl_orphan_fate_name (hl_orphan_fate_t fate);

#endif
