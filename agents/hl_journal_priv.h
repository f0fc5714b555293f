/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_journal_priv - what the journal's two files share: the file's
    layout, the journal's state, byte and file helpers, and the calls
    between hl_journal.c (writing, compaction, open and close, reading
    back) and hl_journal_load.c (reading the file at open, killing what
    its open tasks left running, answering them). Not for other modules.
*/
#ifndef HL_JOURNAL_PRIV_H
#define HL_JOURNAL_PRIV_H

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "hl_journal.h"
#include "hl_idmap.h"
#include "../proto/hl_limits.h"

#define HL_JOURNAL_FILE_MAGIC "HLJR"
#define HL_JOURNAL_FILE_VERSION 2 //  group records; version 1 is read too
#define HL_JOURNAL_HEADER 8       //  magic, version
#define HL_JOURNAL_FRAME 12       //  a record's length and checksum
//  A group record's first byte: a message is a map, never 'G'
#define HL_JOURNAL_GROUP_TAG 'G'
#define HL_JOURNAL_GROUP_SIZE 21 //  tag, task id, pgid, start

//  Where one kept record is
typedef struct {
    uint64_t task_id; //  never 0 while used
    uint64_t offset;  //  of its frame in the file
    uint32_t size;    //  frame and payload
} hl_journal_entry_t;

//  A task started and not ended yet
typedef struct {
    hl_journal_entry_t entry;
    char action[HL_MAX_METRIC + 1]; //  for an unknown outcome's data
    hl_journal_entry_t group;       //  its group record; task_id 0: none
    int pgid;                       //  the group, 0: none
    uint64_t start;                 //  its leader's start time
} hl_journal_task_t;

struct _hl_journal_t {
    char path[PATH_MAX];
    int fd;                   //  locked
    size_t keep;              //  ended tasks kept
    size_t open_max;          //  started tasks at most
    size_t record_max;        //  bytes of one message
    hl_limits_t limits;       //  for decoding a record
    uint64_t size;            //  end of the last whole record
    size_t records;           //  records in the file
    size_t retry_at;          //  after a failed compaction: records first
    hl_journal_entry_t *ring; //  keep slots, the oldest at ring_next when full
    size_t ring_next;         //  the slot written next
    size_t ring_n;            //  slots used
    hl_idmap_t *ended;        //  task id -> its slot in ring
    hl_journal_task_t *open;  //  open_max slots, in start order
    size_t open_n;            //  slots used
    uint8_t *frame;           //  one frame: HL_JOURNAL_FRAME + record_max bytes
    bool broken;              //  a failed write left the file unknown
    size_t logged;            //  refusals logged at open
    bool skipped;             //  records refused at open are in the file
    bool old;                 //  the file is of version 1
    hl_journal_stats_t stats;
};

//  ---------------------------------------------------------------------
//  Bytes

static inline void
s_put32 (uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
s_put64 (uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t
s_get32 (const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t
s_get64 (const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

//  Read n bytes at offset; the count read (short at the end of the
//  file), or -1
static inline ssize_t
s_read_at (int fd, void *buf, size_t n, uint64_t offset)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r
            = pread (fd, (uint8_t *)buf + got, n - got, (off_t)(offset + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

//  Write n bytes at offset, all of them or -1 (errno set)
static inline int
s_write_at (int fd, const void *buf, size_t n, uint64_t offset)
{
    size_t put = 0;
    while (put < n) {
        ssize_t w = pwrite (fd, (const uint8_t *)buf + put, n - put,
                            (off_t)(offset + put));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        put += (size_t)w;
    }
    return 0;
}

/*  The i-th oldest kept end; keep an end, forgetting the oldest when
    full. */
hl_journal_entry_t *hl_journal_ring_at (hl_journal_t *self, size_t i);
void hl_journal_ring_put (hl_journal_t *self, const hl_journal_entry_t *entry);

/*  The open task task_id, or NULL; forget it, keeping the rest in start
    order. */
hl_journal_task_t *hl_journal_open_find (hl_journal_t *self, uint64_t task_id);
void hl_journal_open_remove (hl_journal_t *self, uint64_t task_id);

/*  Copy an action's name into out (HL_MAX_METRIC + 1 bytes), cut at a
    character if longer. */
void hl_journal_copy_action (char *out, const char *name);

/*  The data of an unknown outcome, the caller's. */
hl_value_t *hl_journal_unknown_data (const char *why, const char *action);

/*  Rewrite the file with the kept records only; with aside, the old file
    kept as that name first. 0, or -1 with the journal as it was. */
int hl_journal_compact (hl_journal_t *self, const char *aside);

/*  Read the file into the index and results (hl_journal_load.c). Faults
    never fail: the worst is an empty journal and the file set aside. */
void hl_journal_load (hl_journal_t *self, hl_results_t *results);

/*  Kill what the open tasks' commands left running, then answer those
    tasks failed, unknown, and record that (hl_journal_load.c). */
void hl_journal_resolve (hl_journal_t *self, hl_results_t *results);

#endif
