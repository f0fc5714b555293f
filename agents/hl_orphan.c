/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_orphan - killing what a killed agent's commands left behind. Every
    decision comes from one pass over /proc, whose lines are read as the
    kernel's but checked anyway: a line that does not parse is a process
    skipped, a /proc that cannot be listed leaves every group alone.
*/
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hl_orphan.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"

#define S_STAT_MAX 1024 //  bytes of a stat line read: field 22 comes early
#define S_POLL_MS 10    //  between passes while waiting for the end

static const char *s_fates[HL_ORPHAN_FATES]
    = { "gone", "killed", "survived", "reused", "refused", "no_proc" };

const char *
hl_orphan_fate_name (hl_orphan_fate_t fate)
{
    return (int)fate >= 0 && fate < HL_ORPHAN_FATES ? s_fates[fate] : "?";
}

//  ---------------------------------------------------------------------
//  Reading /proc

//  A decimal number at text[*at] (len bytes in all), at most 20 digits
//  and no overflow; *at moves past it. 0, or -1.
static int
s_number (const char *text, size_t len, size_t *at, uint64_t *value)
{
    uint64_t v = 0;
    size_t start = *at, i = *at;
    while (i < len && text[i] >= '0' && text[i] <= '9' && i - start < 20) {
        uint64_t digit = (uint64_t)(text[i] - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return -1;
        v = v * 10 + digit;
        i++;
    }
    if (i == start || (i < len && text[i] >= '0' && text[i] <= '9'))
        return -1;
    *at = i;
    *value = v;
    return 0;
}

int
hl_orphan_parse_stat (const char *text, size_t len, hl_orphan_stat_t *stat)
{
    if (!text || !stat)
        return HL_ERR_MALFORMED;
    memset (stat, 0, sizeof *stat);
    size_t at = 0;
    uint64_t pid = 0;
    if (s_number (text, len, &at, &pid) != 0 || pid == 0
        || pid >= HL_ORPHAN_PID_MAX || at + 2 > len || text[at] != ' '
        || text[at + 1] != '(')
        return HL_ERR_MALFORMED;
    //  The name may hold ')' itself: the last one ends it
    size_t end = len;
    while (end > at + 2 && text[end - 1] != ')')
        end--;
    if (end <= at + 2)
        return HL_ERR_MALFORMED;
    at = end;
    char state = at + 2 <= len && text[at] == ' ' ? text[at + 1] : 0;
    if (!((state >= 'A' && state <= 'Z') || (state >= 'a' && state <= 'z')))
        return HL_ERR_MALFORMED;
    at += 2;
    uint64_t pgrp = 0, start = 0;
    //  Fields 4 to 22, some of them signed (tpgid, priority, nice)
    for (int field = 4; field <= 22; field++) {
        if (at >= len || text[at] != ' ')
            return HL_ERR_MALFORMED;
        at++;
        bool negative = at < len && text[at] == '-';
        if (negative)
            at++;
        uint64_t value = 0;
        if (s_number (text, len, &at, &value) != 0
            || (negative && (field == 5 || field == 22)))
            return HL_ERR_MALFORMED;
        if (field == 5)
            pgrp = value;
        else if (field == 22)
            start = value;
    }
    //  Kernel threads are in group 0
    if (pgrp >= HL_ORPHAN_PID_MAX)
        return HL_ERR_MALFORMED;
    stat->pid = (int)pid;
    stat->state = state;
    stat->pgrp = (int)pgrp;
    stat->start = start;
    return 0;
}

//  The stat of process pid. 0, or -1 if it is gone or makes no sense.
static int
s_read_stat (int pid, hl_orphan_stat_t *stat)
{
    char path[32], text[S_STAT_MAX];
    snprintf (path, sizeof path, "/proc/%d/stat", pid);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n;
    do
        n = read (fd, text, sizeof text);
    while (n < 0 && errno == EINTR);
    close (fd);
    if (n <= 0 || hl_orphan_parse_stat (text, (size_t)n, stat) != 0
        || stat->pid != pid)
        return -1;
    return 0;
}

int
hl_orphan_start_time (int pid, uint64_t *start)
{
    hl_orphan_stat_t stat;
    if (pid <= 0 || !start || s_read_stat (pid, &stat) != 0)
        return -1;
    *start = stat.start;
    return 0;
}

static bool
s_dead (char state)
{
    return state == 'Z' || state == 'X' || state == 'x';
}

//  What one pass over /proc saw of a group
typedef struct {
    bool leader;           //  a process pid == pgid exists
    uint64_t leader_start; //  its start time
    size_t members;        //  processes in the group, zombies aside
} s_seen_t;

//  One pass over /proc for groups[0..n). 0, or -1 if /proc cannot be
//  listed. A process that ends meanwhile, or whose line is bad, is
//  skipped.
static int
s_scan (const hl_orphan_group_t *groups, size_t n, s_seen_t *seen)
{
    memset (seen, 0, n * sizeof *seen);
    DIR *proc = opendir ("/proc");
    if (!proc)
        return -1;
    struct dirent *entry;
    while ((entry = readdir (proc))) {
        size_t at = 0;
        uint64_t pid = 0;
        hl_orphan_stat_t stat;
        if (s_number (entry->d_name, strlen (entry->d_name), &at, &pid) != 0
            || entry->d_name[at] || pid == 0 || pid >= HL_ORPHAN_PID_MAX
            || s_read_stat ((int)pid, &stat) != 0)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (stat.pid == groups[i].pgid) {
                seen[i].leader = true;
                seen[i].leader_start = stat.start;
            }
            if (stat.pgrp == groups[i].pgid && !s_dead (stat.state))
                seen[i].members++;
        }
    }
    closedir (proc);
    return 0;
}

int
hl_orphan_members (int pgid)
{
    hl_orphan_group_t group = { .pgid = pgid };
    s_seen_t seen;
    return s_scan (&group, 1, &seen) == 0 ? (int)seen.members : -1;
}

//  ---------------------------------------------------------------------
//  Killing

//  Numbers never to kill, whatever a file says: no group, init's, the
//  agent's own
static bool
s_forbidden (int pgid)
{
    return pgid <= 1 || pgid >= HL_ORPHAN_PID_MAX || pgid == (int)getpid ()
           || pgid == (int)getpgrp ();
}

//  Decide and kill one group from the first pass
static void
s_kill_one (hl_orphan_group_t *group, const s_seen_t *seen)
{
    group->members = seen->members;
    group->leader_start = seen->leader ? seen->leader_start : 0;
    //  A leader must be the one recorded: a number is reused once its
    //  group is gone. With no leader, members prove the group lives on
    //  (Linux hands out no number a live group holds)
    if (seen->leader && (!group->start || seen->leader_start != group->start))
        group->fate = HL_ORPHAN_REUSED;
    else if (!seen->members)
        group->fate = HL_ORPHAN_GONE;
    else if (killpg (group->pgid, SIGKILL) == 0)
        group->fate = HL_ORPHAN_KILLED;
    else
        group->fate = errno == ESRCH ? HL_ORPHAN_GONE : HL_ORPHAN_SURVIVED;
}

size_t
hl_orphan_kill (hl_orphan_group_t *groups, size_t n, int64_t wait_ms)
{
    if (!groups || !n)
        return 0;
    s_seen_t *seen = (s_seen_t *)hl_calloc (n, sizeof *seen);
    bool listed = s_scan (groups, n, seen) == 0;
    size_t killed = 0;
    for (size_t i = 0; i < n; i++) {
        groups[i].members = 0;
        groups[i].leader_start = 0;
        if (s_forbidden (groups[i].pgid))
            groups[i].fate = HL_ORPHAN_REFUSED;
        else if (!listed)
            groups[i].fate = HL_ORPHAN_NO_PROC;
        else
            s_kill_one (&groups[i], &seen[i]);
        killed += groups[i].fate == HL_ORPHAN_KILLED;
    }
    //  Wait for all together: a kill takes effect at once but a process
    //  in the kernel (an NFS write, a D state) dies when it returns
    int64_t until = zclock_mono () + (wait_ms > 0 ? wait_ms : 0);
    size_t left = killed;
    while (left && zclock_mono () < until) {
        zclock_sleep (S_POLL_MS);
        if (s_scan (groups, n, seen) != 0)
            break;
        left = 0;
        for (size_t i = 0; i < n; i++)
            if (groups[i].fate == HL_ORPHAN_KILLED && seen[i].members) {
                //  Live members: the number is still this group's. A
                //  child forked as the kill came gets it now.
                killpg (groups[i].pgid, SIGKILL);
                left++;
            }
    }
    if (left && s_scan (groups, n, seen) == 0)
        for (size_t i = 0; i < n; i++)
            if (groups[i].fate == HL_ORPHAN_KILLED && seen[i].members) {
                groups[i].fate = HL_ORPHAN_SURVIVED;
                killed--;
            }
    free (seen);
    return killed;
}
