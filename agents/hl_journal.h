/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_journal - what a durable agent remembers of its tasks across its
    own restarts: an append-only file with a record written before a task
    starts, one of the process group its command runs in, and one when it
    ends. Restarted under the same name, the agent first kills what is
    left of the groups of tasks it was running (hl_orphan), then answers
    a task id it saw before with the result it had, or, for one it was
    running, with a failed result saying the outcome is unknown; it never
    runs either again. Owns the file, its lock and the index of the
    records kept; loads the kept results into an hl_results store.
*/
#ifndef HL_JOURNAL_H
#define HL_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl_results.h"
#include "../proto/hl_msg.h"
#include "../proto/hl_names.h"
#include "../proto/hl_value.h"

/*  The file, on disk (little-endian):
      header  "HLJR", u32 version (2; 1 is read too, and rewritten)
      record  u32 length (1..record_max), u64 FNV-1a of the payload,
              the payload: a message, msgpack through proto's codec (a
              task message when a task starts: its id, kind, priority,
              attempt and the action alone as args; a result message
              when it ends), or, since version 2, a group record: 'G',
              u64 task id, u32 pgid, u64 the leader's start time (clock
              ticks after boot, 0: unknown), 21 bytes, after the task's
              start. A message is a map, so never starts with 'G'.
    A record is written whole by one write(2), so a crash leaves at most
    the last one cut short: ignored, never a failure. Version 1 files
    hold no group records. */

#define HL_JOURNAL_KEEP 4096 /* results kept, as the agent keeps */
#define HL_JOURNAL_OPEN_MAX                                                    \
    1024                            /* tasks started and not ended: the        \
                                       most an agent runs at once */
#define HL_JOURNAL_RECORD_MAX 16384 /* bytes of one record's message */
#define HL_JOURNAL_RECORD_MIN 256   /* the least record_max may be */

/*  The error of a task found started and never ended. */
#define HL_JOURNAL_UNKNOWN "outcome unknown: agent restarted while running"

/*  Why a file, or a record of it, was refused at open. */
typedef enum {
    HL_JOURNAL_SHORT,     /* "short_header": cut short within its header */
    HL_JOURNAL_MAGIC,     /* "magic": not a journal */
    HL_JOURNAL_VERSION,   /* "version": a journal of another version */
    HL_JOURNAL_TOO_BIG,   /* "too_big": over hl_journal_file_max */
    HL_JOURNAL_TORN,      /* "torn": the last record cut short */
    HL_JOURNAL_LENGTH,    /* "length": a record's length 0 or over max */
    HL_JOURNAL_CHECKSUM,  /* "checksum": bytes unlike their checksum */
    HL_JOURNAL_DECODE,    /* "decode": not a valid message */
    HL_JOURNAL_RECORD,    /* "record": a message not a task or result */
    HL_JOURNAL_DUPLICATE, /* "duplicate": a task started or ended twice */
    HL_JOURNAL_OPEN_FULL, /* "open_full": more tasks running than can */
    HL_JOURNAL_IO,        /* "io": the file could not be read */
    HL_JOURNAL_GROUP      /* "group": a group record of the wrong size,
                             a pgid out of range, or for no open task */
} hl_journal_reason_t;
#define HL_JOURNAL_REASONS 13

typedef struct {
    size_t keep;       /* results kept; 0: HL_JOURNAL_KEEP */
    size_t open_max;   /* 0: HL_JOURNAL_OPEN_MAX */
    size_t record_max; /* 0: HL_JOURNAL_RECORD_MAX; clamped into
                          HL_JOURNAL_RECORD_MIN..HL_JOURNAL_RECORD_MAX */
} hl_journal_opts_t;

typedef struct {
    uint64_t loaded;         /* records used at open */
    uint64_t unknown;        /* tasks found started, never ended */
    uint64_t written;        /* records written */
    uint64_t write_failed;   /* records that could not be written */
    uint64_t oversize;       /* results kept without their too big data */
    uint64_t compactions;    /* rewrites with the kept records only */
    uint64_t set_aside;      /* bad files renamed <file>.bad */
    uint64_t groups_killed;  /* groups of open tasks killed at open */
    uint64_t orphans_killed; /* their processes */
    uint64_t groups_left;    /* groups not killed: reused, refused, /proc
                                unreadable, or members outlived the kill */
    uint64_t refused[HL_JOURNAL_REASONS]; /* at open, by reason */
} hl_journal_stats_t;

typedef struct _hl_journal_t hl_journal_t;

/*  Open (or create) dir/<name>.journal (hl_journal_file_name), creating
    dir, and lock it for this process. Kept results go into results
    (empty, holding at least keep) oldest first; a task started and never
    ended has what is left of its group killed (hl_orphan_kill: blocks up
    to HL_ORPHAN_WAIT_MS), then gets a failed result {"error":
    HL_JOURNAL_UNKNOWN, "unknown": true, "action"}, written to the
    journal too. A bad file or record is
    refused with a named reason, counted and logged; a file that cannot
    be read whole is renamed <file>.bad, what came before the fault kept.
    Returns NULL with the reason in err only when the file cannot be made
    or another process holds it (an agent of the same name). */
hl_journal_t *hl_journal_open (const char *dir, const char *name,
                               const hl_journal_opts_t *opts,
                               hl_results_t *results, char *err,
                               size_t errsize);

/*  Close; accepts NULL and nulls *self_p. */
void hl_journal_destroy (hl_journal_t **self_p);

/*  Record that task (a task message, borrowed) is starting, before it
    does. Returns 0, or -1 if that could not be recorded: the task must
    not run (the disk is full, or as many tasks as open_max are open). */
int hl_journal_started (hl_journal_t *self, const hl_msg_t *task);

/*  Record that open task task_id runs its command in process group pgid
    (2..HL_ORPHAN_PID_MAX - 1), whose leader started at start (clock
    ticks after boot, 0: unknown), so that a restart kills what is left
    of it. Once per task. Returns 0, or -1 if it could not be recorded:
    the command must not run on (the disk is full, the task not open). */
int hl_journal_group (hl_journal_t *self, uint64_t task_id, int pgid,
                      uint64_t start);

/*  Record how task_id ended (data borrowed, NULL: nil). A result whose
    record would pass record_max is kept with {"error", "action"} for
    data. Returns 0, or -1 if it could not be written (after a restart
    the task is then of unknown outcome). */
int hl_journal_ended (hl_journal_t *self, uint64_t task_id,
                      hl_task_status_t status, uint64_t duration_us,
                      const hl_value_t *data);

/*  The kept result of task_id as a result message the caller owns, or
    NULL if the journal keeps none. One it keeps but cannot read back
    comes as failed with "unknown": true. */
hl_msg_t *hl_journal_result (hl_journal_t *self, uint64_t task_id);

/*  The file's path. */
const char *hl_journal_path (const hl_journal_t *self);

void hl_journal_stats (const hl_journal_t *self, hl_journal_stats_t *stats);

/*  A reason's short name, as in the comments above ("?" if none). */
const char *hl_journal_reason_name (hl_journal_reason_t reason);

/*  The file name of name's journal into out: bytes outside
    [A-Za-z0-9_.@:+-] (and a leading '.') as %XX, a long name cut and
    told apart by its hash, then ".journal"; at most 212 bytes. Returns
    0, or -1 for an empty name or when out is too small. */
int hl_journal_file_name (const char *name, char *out, size_t size);

/*  The largest file a journal with opts may be (twice the most records
    it holds before compacting, each the largest); a bigger one is not
    ours and is refused. */
uint64_t hl_journal_file_max (const hl_journal_opts_t *opts);

#endif
