/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_journal_load - a journal's file read at open, a record at a time,
    every one of them checked: framing, checksum, message or group
    record, the rules between them (started once, ended once, a group for
    an open task). A fault in the framing ends the reading and sets the
    file aside; a bad record whose framing holds is skipped alone. Then
    what the open tasks' commands left running is killed (hl_orphan) and
    those tasks are answered, outcome unknown.
*/
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hl_journal_priv.h"
#include "hl_orphan.h"
#include "../bus/hl_hash.h"
#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"

#define S_LOG_MAX 8 //  refusals logged one by one at open

//  Count and log a refusal (the first few one by one)
static void
s_refuse (hl_journal_t *self, hl_journal_reason_t reason, uint64_t offset,
          const char *detail)
{
    self->stats.refused[reason]++;
    self->skipped = true;
    if (self->logged++ < S_LOG_MAX)
        hl_log_warning ("journal %s: at byte %llu: %s refused%s%s", self->path,
                        (unsigned long long)offset,
                        hl_journal_reason_name (reason), *detail ? ": " : "",
                        detail);
}

//  A task message read at offset: the task is open
static void
s_load_started (hl_journal_t *self, const hl_msg_t *msg,
                const hl_journal_entry_t *entry)
{
    uint64_t task_id = entry->task_id;
    char detail[64];
    snprintf (detail, sizeof detail, "task %llu", (unsigned long long)task_id);
    if (hl_idmap_find (self->ended, task_id)
        || hl_journal_open_find (self, task_id)) {
        s_refuse (self, HL_JOURNAL_DUPLICATE, entry->offset, detail);
        return;
    }
    if (self->open_n >= self->open_max) {
        s_refuse (self, HL_JOURNAL_OPEN_FULL, entry->offset, detail);
        return;
    }
    hl_journal_task_t *slot = &self->open[self->open_n++];
    memset (slot, 0, sizeof *slot);
    slot->entry = *entry;
    hl_journal_copy_action (
        slot->action, hl_value_get_str (hl_msg_args (msg), "action", NULL));
    self->stats.loaded++;
}

//  A result message read: the task ended so
static void
s_load_ended (hl_journal_t *self, const hl_msg_t *msg,
              const hl_journal_entry_t *entry, hl_results_t *results)
{
    uint64_t task_id = entry->task_id;
    int status = hl_status_parse (hl_msg_status (msg));
    if (hl_idmap_find (self->ended, task_id) || status < 0) {
        char detail[64];
        snprintf (detail, sizeof detail, "task %llu",
                  (unsigned long long)task_id);
        s_refuse (self, status < 0 ? HL_JOURNAL_RECORD : HL_JOURNAL_DUPLICATE,
                  entry->offset, detail);
        return;
    }
    hl_journal_open_remove (self, task_id);
    hl_journal_ring_put (self, entry);
    hl_result_t found;
    if (hl_results_find (results, task_id, &found) != 0) {
        const hl_value_t *data = hl_msg_data (msg);
        hl_value_t *copy = data ? hl_value_dup (data) : NULL;
        hl_results_put (results, task_id, (hl_task_status_t)status,
                        hl_msg_duration_us (msg), &copy, NULL);
    }
    self->stats.loaded++;
}

//  A group record read: the open task's command ran in that group
static void
s_load_group (hl_journal_t *self, const uint8_t *data, uint32_t len,
              uint64_t offset)
{
    bool sized = len == HL_JOURNAL_GROUP_SIZE;
    uint64_t task_id = sized ? s_get64 (data + 1) : 0;
    uint32_t pgid = sized ? s_get32 (data + 9) : 0;
    hl_journal_task_t *open
        = task_id ? hl_journal_open_find (self, task_id) : NULL;
    char detail[64];
    snprintf (detail, sizeof detail, "task %llu", (unsigned long long)task_id);
    if (open && open->pgid)
        s_refuse (self, HL_JOURNAL_DUPLICATE, offset, detail);
    else if (!open || pgid <= 1 || pgid >= HL_ORPHAN_PID_MAX)
        s_refuse (self, HL_JOURNAL_GROUP, offset, detail);
    else {
        open->group
            = (hl_journal_entry_t){ task_id, offset, HL_JOURNAL_FRAME + len };
        open->pgid = (int)pgid;
        open->start = s_get64 (data + 13);
        self->stats.loaded++;
    }
}

//  One record at offset (left bytes to the end of the file). Returns
//  the next offset, or 0 at a fault after which nothing can be read
//  (*reason says which).
static uint64_t
s_load_record (hl_journal_t *self, uint64_t offset, uint64_t left,
               hl_results_t *results, hl_journal_reason_t *reason)
{
    if (left < HL_JOURNAL_FRAME) {
        *reason = HL_JOURNAL_TORN;
        return 0;
    }
    if (s_read_at (self->fd, self->frame, HL_JOURNAL_FRAME, offset)
        != HL_JOURNAL_FRAME) {
        *reason = HL_JOURNAL_IO;
        return 0;
    }
    uint32_t len = s_get32 (self->frame);
    uint64_t sum = s_get64 (self->frame + 4);
    if (len == 0 || len > self->record_max) {
        *reason = HL_JOURNAL_LENGTH;
        return 0;
    }
    //  Only the last record can be cut short by a crash; a length
    //  running past the end is taken as that
    if (left < (uint64_t)HL_JOURNAL_FRAME + len) {
        *reason = HL_JOURNAL_TORN;
        return 0;
    }
    uint8_t *data = self->frame + HL_JOURNAL_FRAME;
    if (s_read_at (self->fd, data, len, offset + HL_JOURNAL_FRAME)
        != (ssize_t)len) {
        *reason = HL_JOURNAL_IO;
        return 0;
    }
    if (hl_hash_bytes (data, len) != sum) {
        *reason = HL_JOURNAL_CHECKSUM;
        return 0;
    }
    uint64_t next = offset + HL_JOURNAL_FRAME + len;
    self->records++;
    if (data[0] == HL_JOURNAL_GROUP_TAG) {
        s_load_group (self, data, len, offset);
        return next;
    }
    //  From here on the framing holds: a bad message is skipped alone
    hl_msg_t *msg = NULL;
    int rc = hl_msg_decode (data, len, &self->limits, &msg);
    if (rc != 0) {
        s_refuse (self, HL_JOURNAL_DECODE, offset, hl_errname (rc));
        return next;
    }
    hl_journal_entry_t entry
        = { hl_msg_task_id (msg), offset, (uint32_t)(HL_JOURNAL_FRAME + len) };
    hl_msg_type_t type = hl_msg_type (msg);
    if (type != HL_MSG_TASK && type != HL_MSG_RESULT)
        s_refuse (self, HL_JOURNAL_RECORD, offset, hl_msg_type_name (type));
    else if (!entry.task_id) //  the codec refuses it; never an index key
        s_refuse (self, HL_JOURNAL_RECORD, offset, "task 0");
    else if (type == HL_MSG_TASK)
        s_load_started (self, msg, &entry);
    else
        s_load_ended (self, msg, &entry, results);
    hl_msg_destroy (&msg);
    return next;
}

//  The whole file is refused: set it aside, start empty
static void
s_refuse_file (hl_journal_t *self, hl_journal_reason_t reason,
               const char *aside)
{
    self->stats.refused[reason]++;
    self->records = 0;
    self->ring_n = self->ring_next = self->open_n = 0;
    hl_idmap_destroy (&self->ended);
    self->ended = hl_idmap_new (self->keep * 2);
    if (hl_journal_compact (self, aside) == 0) {
        self->stats.set_aside++;
        hl_log_warning ("journal %s: refused (%s): renamed it %s, starting "
                        "empty",
                        self->path, hl_journal_reason_name (reason), aside);
    } else
        self->broken = true;
}

//  Read the file into the index and results. Faults never fail: the
//  worst is an empty journal and the file set aside.
void
hl_journal_load (hl_journal_t *self, hl_results_t *results)
{
    char aside[PATH_MAX + 8];
    snprintf (aside, sizeof aside, "%s.bad", self->path);
    struct stat st;
    if (fstat (self->fd, &st) != 0) {
        s_refuse_file (self, HL_JOURNAL_IO, aside);
        return;
    }
    uint64_t size = (uint64_t)st.st_size;
    uint8_t header[HL_JOURNAL_HEADER];
    if (size == 0) {
        //  New: write the header
        memcpy (header, HL_JOURNAL_FILE_MAGIC, 4);
        s_put32 (header + 4, HL_JOURNAL_FILE_VERSION);
        if (s_write_at (self->fd, header, sizeof header, 0) != 0) {
            hl_log_error ("journal %s: cannot write: %s", self->path,
                          strerror (errno));
            self->broken = true;
        }
        self->size = HL_JOURNAL_HEADER;
        return;
    }
    hl_journal_opts_t opts = { self->keep, self->open_max, self->record_max };
    if (size > hl_journal_file_max (&opts)) {
        s_refuse_file (self, HL_JOURNAL_TOO_BIG, aside);
        return;
    }
    if (size < HL_JOURNAL_HEADER) {
        s_refuse_file (self, HL_JOURNAL_SHORT, aside);
        return;
    }
    if (s_read_at (self->fd, header, HL_JOURNAL_HEADER, 0)
        != HL_JOURNAL_HEADER) {
        s_refuse_file (self, HL_JOURNAL_IO, aside);
        return;
    }
    if (memcmp (header, HL_JOURNAL_FILE_MAGIC, 4) != 0) {
        s_refuse_file (self, HL_JOURNAL_MAGIC, aside);
        return;
    }
    uint32_t version = s_get32 (header + 4);
    if (version != HL_JOURNAL_FILE_VERSION && version != 1) {
        s_refuse_file (self, HL_JOURNAL_VERSION, aside);
        return;
    }
    self->old = version == 1;
    uint64_t offset = HL_JOURNAL_HEADER;
    hl_journal_reason_t reason = HL_JOURNAL_TORN;
    while (offset < size) {
        uint64_t next
            = s_load_record (self, offset, size - offset, results, &reason);
        if (!next)
            break;
        offset = next;
    }
    self->size = offset;
    if (offset < size && reason == HL_JOURNAL_TORN) {
        //  A crash while writing: what is whole stands
        self->stats.refused[reason]++;
        hl_log_warning ("journal %s: torn tail of %llu bytes ignored",
                        self->path, (unsigned long long)(size - offset));
        if (ftruncate (self->fd, (off_t)offset) != 0)
            hl_journal_compact (self, NULL);
    } else if (offset < size) {
        //  Nothing after the fault can be trusted to start where it
        //  seems to: keep what came before, set the file aside
        self->stats.refused[reason]++;
        if (hl_journal_compact (self, aside) == 0) {
            self->stats.set_aside++;
            hl_log_warning ("journal %s: refused (%s) at byte %llu: kept what "
                            "came before, renamed the file %s",
                            self->path, hl_journal_reason_name (reason),
                            (unsigned long long)offset, aside);
        } else
            self->broken = true;
    }
}

//  What the open tasks' commands left running, killed before any of them
//  is answered: a command that outlived its agent could otherwise finish
//  a change after the master undid it
static void
s_kill_orphans (hl_journal_t *self)
{
    hl_orphan_group_t *groups
        = (hl_orphan_group_t *)hl_calloc (self->open_n + 1, sizeof *groups);
    size_t n = 0;
    for (size_t i = 0; i < self->open_n; i++)
        if (self->open[i].pgid) {
            groups[n].pgid = self->open[i].pgid;
            groups[n++].start = self->open[i].start;
        }
    hl_orphan_kill (groups, n, HL_ORPHAN_WAIT_MS);
    for (size_t i = 0, k = 0; k < n; i++) {
        const hl_journal_task_t *open = &self->open[i];
        if (!open->pgid)
            continue;
        const hl_orphan_group_t *g = &groups[k++];
        unsigned long long id = open->entry.task_id;
        if (g->fate == HL_ORPHAN_KILLED) {
            self->stats.groups_killed++;
            self->stats.orphans_killed += g->members;
            hl_log_notice ("journal %s: task %llu %s: killed its process "
                           "group %d, left running: %zu processes",
                           self->path, id, open->action, g->pgid, g->members);
        } else if (g->fate == HL_ORPHAN_GONE)
            hl_log_info ("journal %s: task %llu %s: its process group %d is "
                         "gone",
                         self->path, id, open->action, g->pgid);
        else {
            self->stats.groups_left++;
            hl_log_warning ("journal %s: task %llu %s: process group %d not "
                            "killed (%s; leader started at %llu, recorded "
                            "%llu)",
                            self->path, id, open->action, g->pgid,
                            hl_orphan_fate_name (g->fate),
                            (unsigned long long)g->leader_start,
                            (unsigned long long)g->start);
        }
    }
    free (groups);
}

//  The tasks found started and never ended: what they left running
//  killed, then answered failed, unknown, and recorded so, so that
//  another restart says the same
void
hl_journal_resolve (hl_journal_t *self, hl_results_t *results)
{
    if (self->open_n)
        s_kill_orphans (self);
    while (self->open_n) {
        const hl_journal_task_t *first = &self->open[0];
        uint64_t task_id = first->entry.task_id;
        hl_value_t *data
            = hl_journal_unknown_data (HL_JOURNAL_UNKNOWN, first->action);
        hl_log_warning ("journal %s: task %llu%s%s was running when the "
                        "agent stopped: it will be answered failed, outcome "
                        "unknown",
                        self->path, (unsigned long long)task_id,
                        *first->action ? " " : "", first->action);
        if (hl_journal_ended (self, task_id, HL_STATUS_FAILED, 0, data) != 0)
            hl_journal_open_remove (self, task_id); //  still answered, this run
        hl_result_t found;
        if (hl_results_find (results, task_id, &found) != 0)
            hl_results_put (results, task_id, HL_STATUS_FAILED, 0, &data, NULL);
        hl_value_destroy (&data);
        self->stats.unknown++;
    }
}
