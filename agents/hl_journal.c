/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_journal - the file of a durable agent's task records. In memory: a
    ring of the last keep ended tasks (where each one's record is) with
    an index by task id, and the tasks started and not ended yet, in
    start order, each with its group record if any. Those records are
    all the file must keep; compaction rewrites it with them alone.

    No fsync on appends: what the journal is for is the agent killed
    (kill -9, a crash, the OOM killer), and the kernel's page cache
    outlives the process, so a write(2) that returned is in the file.
    A machine that loses power may lose the last records, which leaves a
    torn tail the next open ignores. Compaction alone syncs (see there).
*/
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hl_journal_priv.h"
#include "hl_orphan.h"
#include "../bus/hl_hash.h"
#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"
#include "../proto/hl_limits.h"

#define S_NAME_CUT 180 //  bytes of a long escaped name kept

static const char *s_reasons[HL_JOURNAL_REASONS]
    = { "short_header", "magic",    "version", "too_big", "torn",
        "length",       "checksum", "decode",  "record",  "duplicate",
        "open_full",    "io",       "group" };

const char *
hl_journal_reason_name (hl_journal_reason_t reason)
{
    return (int)reason >= 0 && reason < HL_JOURNAL_REASONS ? s_reasons[reason]
                                                           : "?";
}

//  ---------------------------------------------------------------------
//  Names and bounds

int
hl_journal_file_name (const char *name, char *out, size_t size)
{
    if (!name || !*name || !out || size == 0)
        return -1;
    static const char hex[] = "0123456789abcdef";
    char escaped[3 * HL_MAX_NAME + 1];
    size_t n = 0;
    for (size_t i = 0; name[i] && n + 3 < sizeof escaped; i++) {
        unsigned char c = (unsigned char)name[i];
        //  A leading dot would hide the file, or make it "." or ".."
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                     || (c >= '0' && c <= '9') || strchr ("_-@:+", c)
                     || (c == '.' && i > 0);
        if (plain && c)
            escaped[n++] = (char)c;
        else {
            escaped[n++] = '%';
            escaped[n++] = hex[c >> 4];
            escaped[n++] = hex[c & 15];
        }
    }
    escaped[n] = '\0';
    int len;
    if (n > S_NAME_CUT + 20) {
        //  Cut between escapes, and keep names that share a start apart
        size_t cut = S_NAME_CUT;
        if (escaped[cut - 1] == '%')
            cut -= 1;
        else if (escaped[cut - 2] == '%')
            cut -= 2;
        len = snprintf (out, size, "%.*s-%016llx.journal", (int)cut, escaped,
                        (unsigned long long)hl_hash_str (name));
    } else
        len = snprintf (out, size, "%s.journal", escaped);
    if (len < 0 || (size_t)len >= size) {
        *out = '\0';
        return -1;
    }
    return 0;
}

//  opts with the defaults and clamps applied
static hl_journal_opts_t
s_opts (const hl_journal_opts_t *opts)
{
    hl_journal_opts_t o = { 0 };
    if (opts)
        o = *opts;
    if (!o.keep)
        o.keep = HL_JOURNAL_KEEP;
    if (!o.open_max)
        o.open_max = HL_JOURNAL_OPEN_MAX;
    if (!o.record_max || o.record_max > HL_JOURNAL_RECORD_MAX)
        o.record_max = HL_JOURNAL_RECORD_MAX;
    if (o.record_max < HL_JOURNAL_RECORD_MIN)
        o.record_max = HL_JOURNAL_RECORD_MIN;
    return o;
}

//  Compaction keeps a file under 2 x keep + open records: twice that is
//  room for a compaction that failed, and no more
uint64_t
hl_journal_file_max (const hl_journal_opts_t *opts)
{
    hl_journal_opts_t o = s_opts (opts);
    return HL_JOURNAL_HEADER
           + 2 * (2 * (uint64_t)o.keep + o.open_max)
                 * (HL_JOURNAL_FRAME + (uint64_t)o.record_max);
}

//  ---------------------------------------------------------------------
//  The index

//  The i-th oldest kept end
hl_journal_entry_t *
hl_journal_ring_at (hl_journal_t *self, size_t i)
{
    size_t start = self->ring_n == self->keep ? self->ring_next : 0;
    return &self->ring[(start + i) % self->keep];
}

//  Keep an end, forgetting the oldest when full
void
hl_journal_ring_put (hl_journal_t *self, const hl_journal_entry_t *entry)
{
    hl_journal_entry_t *slot = &self->ring[self->ring_next];
    if (slot->task_id && hl_idmap_find (self->ended, slot->task_id) == slot)
        hl_idmap_remove (self->ended, slot->task_id);
    *slot = *entry;
    hl_idmap_put (self->ended, entry->task_id, slot);
    self->ring_next = (self->ring_next + 1) % self->keep;
    if (self->ring_n < self->keep)
        self->ring_n++;
}

hl_journal_task_t *
hl_journal_open_find (hl_journal_t *self, uint64_t task_id)
{
    for (size_t i = 0; i < self->open_n; i++)
        if (self->open[i].entry.task_id == task_id)
            return &self->open[i];
    return NULL;
}

//  Forget an open task, keeping the rest in start order
void
hl_journal_open_remove (hl_journal_t *self, uint64_t task_id)
{
    const hl_journal_task_t *found = hl_journal_open_find (self, task_id);
    if (!found)
        return;
    size_t i = (size_t)(found - self->open);
    memmove (&self->open[i], &self->open[i + 1],
             (self->open_n - i - 1) * sizeof *self->open);
    self->open_n--;
}

//  ---------------------------------------------------------------------
//  Writing

//  Put msg's encoding in self->frame with its length and checksum: the
//  frame's size, or HL_ERR_TOO_BIG past record_max, or another hl_err_t
static int
s_frame (hl_journal_t *self, const hl_msg_t *msg, size_t *size_p)
{
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = hl_msg_encode (msg, &data, &size);
    if (rc == 0 && size > self->record_max)
        rc = HL_ERR_TOO_BIG;
    if (rc == 0) {
        s_put32 (self->frame, (uint32_t)size);
        s_put64 (self->frame + 4, hl_hash_bytes (data, size));
        memcpy (self->frame + HL_JOURNAL_FRAME, data, size);
        *size_p = HL_JOURNAL_FRAME + size;
    }
    free (data);
    return rc;
}

//  Append self->frame (size bytes) whole; entry gets where it went.
//  A failed write is undone, or, if even that fails, no more are tried:
//  a later record after a partial one would be unreadable.
static int
s_append (hl_journal_t *self, size_t size, uint64_t task_id,
          hl_journal_entry_t *entry)
{
    if (self->broken || self->fd < 0) {
        self->stats.write_failed++;
        return -1;
    }
    if (s_write_at (self->fd, self->frame, size, self->size) != 0) {
        int saved = errno;
        self->stats.write_failed++;
        if (ftruncate (self->fd, (off_t)self->size) != 0) {
            self->broken = true;
            hl_log_error ("journal %s: write failed (%s) and cannot be "
                          "undone: recording nothing more",
                          self->path, strerror (saved));
        } else
            hl_log_error ("journal %s: write failed: %s", self->path,
                          strerror (saved));
        return -1;
    }
    entry->task_id = task_id;
    entry->offset = self->size;
    entry->size = (uint32_t)size;
    self->size += size;
    self->records++;
    self->stats.written++;
    return 0;
}

//  Compact once the file holds more than twice what it must keep (the
//  open tasks' records, a group's too, kept whole); after a failure, not
//  at every record but once another keep have come
static void
s_maybe_compact (hl_journal_t *self)
{
    size_t open = self->open_n;
    for (size_t i = 0; i < self->open_n; i++)
        open += self->open[i].group.task_id != 0;
    if (self->records > 2 * self->keep + open && self->records >= self->retry_at
        && hl_journal_compact (self, NULL) != 0)
        self->retry_at = self->records + self->keep;
}

//  Copy an action's name into out (HL_MAX_METRIC + 1 bytes), cut at a
//  character if longer, so that it stays UTF-8
void
hl_journal_copy_action (char *out, const char *name)
{
    size_t len = name ? strnlen (name, HL_MAX_METRIC) : 0;
    while (len > 0 && name[len] && ((unsigned char)name[len] & 0xc0) == 0x80)
        len--;
    memcpy (out, name ? name : "", len);
    out[len] = '\0';
}

//  The data of an unknown outcome
hl_value_t *
hl_journal_unknown_data (const char *why, const char *action)
{
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "error", why);
    hl_value_set_bool (data, "unknown", true);
    if (action && *action)
        hl_value_set_str (data, "action", action);
    return data;
}

//  The result message of an end
static hl_msg_t *
s_result_msg (uint64_t task_id, hl_task_status_t status, uint64_t duration_us,
              const hl_value_t *data)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_RESULT);
    hl_msg_set_id (msg, 0); //  a record's size depends on its content alone
    hl_msg_set_task_id (msg, task_id);
    hl_msg_set_status (msg, hl_status_name (status));
    hl_msg_set_duration_us (msg, duration_us);
    hl_value_t *copy = data ? hl_value_dup (data) : hl_value_new_nil ();
    hl_msg_set_data (msg, &copy);
    return msg;
}

int
hl_journal_started (hl_journal_t *self, const hl_msg_t *task)
{
    assert (self && task);
    uint64_t task_id = hl_msg_task_id (task);
    if (self->open_n >= self->open_max) {
        hl_log_error ("journal %s: %zu tasks open already: task %llu not "
                      "recorded",
                      self->path, self->open_n, (unsigned long long)task_id);
        self->stats.write_failed++;
        return -1;
    }
    //  What a restart needs: the id, and the action for its answer
    hl_msg_t *msg = hl_msg_new (HL_MSG_TASK);
    hl_msg_set_id (msg, 0);
    hl_msg_set_task_id (msg, task_id);
    hl_msg_set_kind (msg, hl_msg_kind (task));
    hl_msg_set_priority (msg, hl_msg_priority (task));
    hl_msg_set_attempt (msg, hl_msg_attempt (task));
    char action[HL_MAX_METRIC + 1];
    hl_journal_copy_action (
        action, hl_value_get_str (hl_msg_args (task), "action", NULL));
    hl_value_t *args = hl_value_new_map ();
    if (*action)
        hl_value_set_str (args, "action", action);
    hl_msg_set_args (msg, &args);
    size_t size = 0;
    int rc = s_frame (self, msg, &size);
    hl_msg_destroy (&msg);
    hl_journal_entry_t entry;
    if (rc != 0 || s_append (self, size, task_id, &entry) != 0) {
        if (rc != 0)
            hl_log_error ("journal %s: task %llu not recorded: %s", self->path,
                          (unsigned long long)task_id, hl_strerror (rc));
        return -1;
    }
    //  A slot an ended task left: no group of its
    hl_journal_task_t *slot = &self->open[self->open_n++];
    memset (slot, 0, sizeof *slot);
    slot->entry = entry;
    memcpy (slot->action, action, sizeof slot->action);
    s_maybe_compact (self);
    return 0;
}

//  A group record's payload, HL_JOURNAL_GROUP_SIZE bytes
static void
s_group_encode (uint8_t *p, uint64_t task_id, int pgid, uint64_t start)
{
    p[0] = HL_JOURNAL_GROUP_TAG;
    s_put64 (p + 1, task_id);
    s_put32 (p + 9, (uint32_t)pgid);
    s_put64 (p + 13, start);
}

int
hl_journal_group (hl_journal_t *self, uint64_t task_id, int pgid,
                  uint64_t start)
{
    assert (self);
    hl_journal_task_t *open = hl_journal_open_find (self, task_id);
    if (!open || open->pgid || pgid <= 1 || pgid >= HL_ORPHAN_PID_MAX) {
        hl_log_error ("journal %s: group %d of task %llu not recorded: %s",
                      self->path, pgid, (unsigned long long)task_id,
                      !open ? "task not open" : "bad group");
        self->stats.write_failed++;
        return -1;
    }
    uint8_t *payload = self->frame + HL_JOURNAL_FRAME;
    s_group_encode (payload, task_id, pgid, start);
    s_put32 (self->frame, HL_JOURNAL_GROUP_SIZE);
    s_put64 (self->frame + 4, hl_hash_bytes (payload, HL_JOURNAL_GROUP_SIZE));
    if (s_append (self, HL_JOURNAL_FRAME + HL_JOURNAL_GROUP_SIZE, task_id,
                  &open->group)
        != 0)
        return -1;
    open->pgid = pgid;
    open->start = start;
    s_maybe_compact (self);
    return 0;
}

int
hl_journal_ended (hl_journal_t *self, uint64_t task_id, hl_task_status_t status,
                  uint64_t duration_us, const hl_value_t *data)
{
    assert (self && task_id);
    hl_msg_t *msg = s_result_msg (task_id, status, duration_us, data);
    size_t size = 0;
    int rc = s_frame (self, msg, &size);
    hl_msg_destroy (&msg);
    if (rc == HL_ERR_TOO_BIG) {
        //  Kept smaller rather than not at all: how it ended still holds
        char why[96];
        snprintf (why, sizeof why, "result data over the journal's %zu bytes",
                  self->record_max);
        hl_value_t *small = hl_value_new_map ();
        hl_value_set_str (small, "error", why);
        const char *action = hl_value_get_str (data, "action", NULL);
        if (action && strlen (action) <= HL_MAX_METRIC)
            hl_value_set_str (small, "action", action);
        msg = s_result_msg (task_id, status, duration_us, small);
        hl_value_destroy (&small);
        rc = s_frame (self, msg, &size);
        hl_msg_destroy (&msg);
        self->stats.oversize++;
        hl_log_warning ("journal %s: task %llu: %s", self->path,
                        (unsigned long long)task_id, why);
    }
    hl_journal_entry_t entry;
    if (rc != 0 || s_append (self, size, task_id, &entry) != 0) {
        if (rc != 0)
            hl_log_error ("journal %s: end of task %llu not recorded: %s",
                          self->path, (unsigned long long)task_id,
                          hl_strerror (rc));
        return -1;
    }
    hl_journal_open_remove (self, task_id);
    hl_journal_ring_put (self, &entry);
    s_maybe_compact (self);
    return 0;
}

//  ---------------------------------------------------------------------
//  Compaction

//  Copy the record entry points to from self->fd to fd at *at; 0, or -1
//  if it can no longer be read back as it was written (dropped)
static int
s_copy (hl_journal_t *self, hl_journal_entry_t *entry, int fd, uint64_t *at,
        bool *write_failed)
{
    if (entry->size < HL_JOURNAL_FRAME
        || entry->size > HL_JOURNAL_FRAME + self->record_max
        || s_read_at (self->fd, self->frame, entry->size, entry->offset)
               != (ssize_t)entry->size
        || s_get32 (self->frame) != entry->size - HL_JOURNAL_FRAME
        || s_get64 (self->frame + 4)
               != hl_hash_bytes (self->frame + HL_JOURNAL_FRAME,
                                 entry->size - HL_JOURNAL_FRAME)) {
        hl_log_error ("journal %s: record of task %llu changed on disk: "
                      "dropped",
                      self->path, (unsigned long long)entry->task_id);
        return -1;
    }
    if (s_write_at (fd, self->frame, entry->size, *at) != 0) {
        *write_failed = true;
        return -1;
    }
    entry->offset = *at;
    *at += entry->size;
    return 0;
}

//  Rewrite the file with the kept records only: a temporary file,
//  synced, renamed over the journal. The one fsync of the journal: a
//  machine crash soon after a rename could otherwise leave the journal
//  without the blocks of its records, losing all of them instead of a
//  tail. With aside, the old file is kept as that name first. Returns 0,
//  or -1 with the journal as it was.
int
hl_journal_compact (hl_journal_t *self, const char *aside)
{
    char tmp[PATH_MAX + 8];
    snprintf (tmp, sizeof tmp, "%s.tmp", self->path);
    hl_journal_entry_t *ring
        = (hl_journal_entry_t *)hl_calloc (self->keep, sizeof *ring);
    hl_journal_task_t *opened
        = (hl_journal_task_t *)hl_calloc (self->open_max, sizeof *opened);
    size_t ring_n = 0, open_n = 0;
    bool failed = false;
    int fd = open (tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    uint8_t header[HL_JOURNAL_HEADER];
    memcpy (header, HL_JOURNAL_FILE_MAGIC, 4);
    s_put32 (header + 4, HL_JOURNAL_FILE_VERSION);
    uint64_t at = HL_JOURNAL_HEADER;
    if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) != 0
        || s_write_at (fd, header, sizeof header, 0) != 0)
        failed = true;
    for (size_t i = 0; !failed && i < self->ring_n; i++) {
        hl_journal_entry_t entry = *hl_journal_ring_at (self, i);
        if (s_copy (self, &entry, fd, &at, &failed) == 0)
            ring[ring_n++] = entry;
    }
    size_t groups = 0;
    for (size_t i = 0; !failed && i < self->open_n; i++) {
        hl_journal_task_t entry = self->open[i];
        if (s_copy (self, &entry.entry, fd, &at, &failed) != 0)
            continue;
        //  A group record that cannot be copied is lost alone
        if (entry.group.task_id
            && s_copy (self, &entry.group, fd, &at, &failed) != 0) {
            memset (&entry.group, 0, sizeof entry.group);
            entry.pgid = 0;
        }
        groups += entry.group.task_id != 0;
        opened[open_n++] = entry;
    }
    if (!failed && fsync (fd) != 0)
        failed = true;
    if (!failed && aside) {
        //  A link keeps the journal's name in place throughout; a file
        //  system without links gets a moment without it
        unlink (aside);
        if (link (self->path, aside) != 0 && rename (self->path, aside) != 0)
            failed = true;
    }
    if (!failed && rename (tmp, self->path) != 0)
        failed = true;
    if (failed) {
        hl_log_error ("journal %s: cannot rewrite it: %s", self->path,
                      strerror (errno));
        if (fd >= 0)
            close (fd);
        unlink (tmp);
        free (ring);
        free (opened);
        return -1;
    }
    //  The old file goes with its lock: this process holds the new one's
    close (self->fd);
    self->fd = fd;
    self->size = at;
    self->records = ring_n + open_n + groups;
    self->broken = false;
    free (self->ring);
    self->ring = ring;
    self->ring_n = ring_n;
    self->ring_next = ring_n % self->keep;
    hl_idmap_destroy (&self->ended);
    self->ended = hl_idmap_new (self->keep * 2);
    for (size_t i = 0; i < ring_n; i++)
        hl_idmap_put (self->ended, ring[i].task_id, &ring[i]);
    free (self->open);
    self->open = opened;
    self->open_n = open_n;
    self->stats.compactions++;
    hl_log_info ("journal %s: compacted to %zu records, %llu bytes", self->path,
                 self->records, (unsigned long long)self->size);
    return 0;
}

//  ---------------------------------------------------------------------
//  Open and close

//  Open and lock path; the fd, or -1 with the reason in err. The file
//  locked must still be the one at path: another process may have
//  renamed a new one over it meanwhile (a compaction).
static int
s_open_locked (const char *path, char *err, size_t errsize)
{
    for (int tries = 0; tries < 3; tries++) {
        //  Non-blocking: a FIFO put there must not hang the start
        int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0600);
        if (fd < 0) {
            snprintf (err, errsize, "cannot open %s: %s", path,
                      strerror (errno));
            return -1;
        }
        struct stat held, named;
        if (fstat (fd, &held) != 0 || !S_ISREG (held.st_mode)) {
            close (fd);
            snprintf (err, errsize, "%s is not a file", path);
            return -1;
        }
        if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
            int saved = errno;
            close (fd);
            if (saved == EWOULDBLOCK)
                snprintf (err, errsize,
                          "%s is in use: an agent of the same name runs", path);
            else
                snprintf (err, errsize, "cannot lock %s: %s", path,
                          strerror (saved));
            return -1;
        }
        if (stat (path, &named) == 0 && held.st_ino == named.st_ino
            && held.st_dev == named.st_dev)
            return fd;
        close (fd);
    }
    snprintf (err, errsize, "%s keeps changing: an agent of the same name runs",
              path);
    return -1;
}

hl_journal_t *
hl_journal_open (const char *dir, const char *name,
                 const hl_journal_opts_t *opts, hl_results_t *results,
                 char *err, size_t errsize)
{
    char dummy[8];
    if (!err || errsize == 0) {
        err = dummy;
        errsize = sizeof dummy;
    }
    *err = '\0';
    hl_journal_opts_t o = s_opts (opts);
    char file[256];
    if (!dir || !*dir || !results
        || hl_journal_file_name (name, file, sizeof file) != 0) {
        snprintf (err, errsize, "journal: no folder or no name");
        return NULL;
    }
    hl_journal_t *self = (hl_journal_t *)hl_alloc (sizeof *self);
    self->fd = -1;
    if ((size_t)snprintf (self->path, sizeof self->path, "%s/%s", dir, file)
        >= sizeof self->path - 8) {
        snprintf (err, errsize, "journal: folder name too long");
        goto fail;
    }
    if (zsys_dir_create ("%s", dir) != 0) {
        snprintf (err, errsize, "cannot create %s: %s", dir, strerror (errno));
        goto fail;
    }
    self->fd = s_open_locked (self->path, err, errsize);
    if (self->fd < 0)
        goto fail;
    //  A compaction's file left by a crash; the lock makes it ours
    char tmp[PATH_MAX + 8];
    snprintf (tmp, sizeof tmp, "%s.tmp", self->path);
    unlink (tmp);
    self->keep = o.keep;
    self->open_max = o.open_max;
    self->record_max = o.record_max;
    hl_limits_default (&self->limits);
    self->limits.max_msg_size = self->record_max;
    self->ring
        = (hl_journal_entry_t *)hl_calloc (self->keep, sizeof *self->ring);
    self->ended = hl_idmap_new (self->keep * 2);
    self->open
        = (hl_journal_task_t *)hl_calloc (self->open_max, sizeof *self->open);
    self->frame = (uint8_t *)hl_alloc (HL_JOURNAL_FRAME + self->record_max);
    hl_journal_load (self, results);
    hl_journal_resolve (self, results);
    //  Records refused stay refused: rewritten without them, the file
    //  opens cleanly next time; one of version 1 gets the new header
    if (self->skipped || self->old)
        hl_journal_compact (self, NULL);
    else
        s_maybe_compact (self);
    size_t refused = 0;
    for (int i = 0; i < HL_JOURNAL_REASONS; i++)
        refused += self->stats.refused[i];
    hl_log_notice ("journal %s: %zu results kept, %llu of unknown outcome, "
                   "%llu process groups killed, %zu refusals",
                   self->path, self->ring_n,
                   (unsigned long long)self->stats.unknown,
                   (unsigned long long)self->stats.groups_killed, refused);
    return self;
fail:
    hl_journal_destroy (&self);
    return NULL;
}

void
hl_journal_destroy (hl_journal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_journal_t *self = *self_p;
    if (self->fd >= 0)
        close (self->fd);
    free (self->ring);
    hl_idmap_destroy (&self->ended);
    free (self->open);
    free (self->frame);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  Reading back

hl_msg_t *
hl_journal_result (hl_journal_t *self, uint64_t task_id)
{
    assert (self);
    const hl_journal_entry_t *entry
        = (const hl_journal_entry_t *)hl_idmap_find (self->ended, task_id);
    if (!entry)
        return NULL;
    hl_msg_t *msg = NULL;
    uint32_t len = entry->size - HL_JOURNAL_FRAME;
    if (entry->size > HL_JOURNAL_FRAME && len <= self->record_max
        && s_read_at (self->fd, self->frame, entry->size, entry->offset)
               == (ssize_t)entry->size
        && s_get32 (self->frame) == len
        && s_get64 (self->frame + 4)
               == hl_hash_bytes (self->frame + HL_JOURNAL_FRAME, len)
        && hl_msg_decode (self->frame + HL_JOURNAL_FRAME, len, &self->limits,
                          &msg)
               == 0
        && hl_msg_type (msg) == HL_MSG_RESULT
        && hl_msg_task_id (msg) == task_id)
        return msg;
    hl_msg_destroy (&msg);
    hl_log_error ("journal %s: the result of task %llu cannot be read back",
                  self->path, (unsigned long long)task_id);
    //  Kept, so it ran: never run it again
    hl_value_t *data = hl_journal_unknown_data (
        "outcome unknown: its record cannot be read", NULL);
    msg = s_result_msg (task_id, HL_STATUS_FAILED, 0, data);
    hl_value_destroy (&data);
    return msg;
}

const char *
hl_journal_path (const hl_journal_t *self)
{
    assert (self);
    return self->path;
}

void
hl_journal_stats (const hl_journal_t *self, hl_journal_stats_t *stats)
{
    assert (self && stats);
    *stats = self->stats;
}
