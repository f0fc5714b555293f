/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_store_actor - the store's writer: an actor on its own thread that
    owns the write connection and the records it has not committed (in
    order), writes whatever waits in one transaction of statements
    prepared once, keeps the records in memory while the disk refuses them
    (the oldest rollups and audit records dropped past the bound), deletes
    what retention ends, and answers syncs and sends its figures up the
    pipe. A file of hl_store; it shares hl_store_priv.h.
*/
#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_store_priv.h"

#define S_RETRY_MS 1000        /* between writes while they fail */
#define S_STATS_MS 200         /* between two reports of the figures */
#define S_RETENTION_MS 3600000 /* between two retention passes */
#define S_CHUNK 4096           /* records in one transaction at most */
#define S_FINISH_MS 5000       /* destroy waits this long for the disk */
#define S_WAL_LIMIT (32 << 20) /* bytes a checkpointed WAL keeps */

static void
s_bind_text (sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text (st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (st, i);
}

//  NAN means none: stored as NULL (SQLite would do so anyway)
static void
s_bind_double (sqlite3_stmt *st, int i, double d)
{
    if (isnan (d))
        sqlite3_bind_null (st, i);
    else
        sqlite3_bind_double (st, i, d);
}

//  --------------------------------------------------------------------
//  The actor

//  Write statements, prepared once
typedef enum {
    S_ST_BEGIN,
    S_ST_COMMIT,
    S_ST_ROLLBACK,
    S_ST_RUN,
    S_ST_CHANGE,
    S_ST_TASK,
    S_ST_AUDIT,
    S_ST_ROLLUP,
    S_ST_LEARNING,
    S_ST_LEARNING_PRUNE,
    S_ST_REPORT,
    S_ST_DESIRED,
    S_ST_RETAIN_ROLLUPS,
    S_ST_RETAIN_AUDIT,
    S_ST_COUNT
} s_st_t;

static const char *s_write_sql[S_ST_COUNT] = {
    [S_ST_BEGIN] = "BEGIN IMMEDIATE",
    [S_ST_COMMIT] = "COMMIT",
    [S_ST_ROLLBACK] = "ROLLBACK",
    [S_ST_RUN]
    = "INSERT INTO runs (id, kind, phase, requested_by, started_us,"
      " finished_us, score_before, score_after, summary_json)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
      " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind,"
      " phase = excluded.phase, requested_by = excluded.requested_by,"
      " started_us = excluded.started_us, finished_us = excluded.finished_us,"
      " score_before = excluded.score_before,"
      " score_after = excluded.score_after,"
      " summary_json = coalesce (excluded.summary_json, summary_json)",
    [S_ST_CHANGE]
    = "INSERT INTO changes (id, run_id, action, reverse, state, apply_task,"
      " verify_task, rollback_task, started_us, window_end_us, verdict,"
      " params_json, verify_json, updated_us)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
      " ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id,"
      " action = excluded.action, reverse = excluded.reverse,"
      " state = excluded.state, apply_task = excluded.apply_task,"
      " verify_task = excluded.verify_task,"
      " rollback_task = excluded.rollback_task,"
      " started_us = excluded.started_us,"
      " window_end_us = excluded.window_end_us, verdict = excluded.verdict,"
      " params_json = coalesce (excluded.params_json, params_json),"
      " verify_json = coalesce (excluded.verify_json, verify_json),"
      " updated_us = excluded.updated_us",
    [S_ST_TASK]
    = "INSERT INTO tasks (id, run_id, change_id, kind, role, action, status,"
      " created_us, ended_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
      " ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id,"
      " change_id = excluded.change_id, kind = excluded.kind,"
      " role = excluded.role, action = excluded.action,"
      " status = excluded.status, created_us = excluded.created_us,"
      " ended_us = excluded.ended_us",
    [S_ST_AUDIT] = "INSERT INTO audit (ts_us, run_id, action, event, who, why)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_ST_ROLLUP]
    = "INSERT INTO rollups (metric, minute, count, sum, min, max, last, p95)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
      " ON CONFLICT (metric, minute) DO UPDATE SET count = excluded.count,"
      " sum = excluded.sum, min = excluded.min, max = excluded.max,"
      " last = excluded.last, p95 = excluded.p95",
    [S_ST_LEARNING]
    = "INSERT INTO learning (action, pos, entry, gen, updated_us)"
      " VALUES (?1, ?2, ?3, ?4, ?5)"
      " ON CONFLICT (action) DO UPDATE SET pos = excluded.pos,"
      " entry = excluded.entry, gen = excluded.gen,"
      " updated_us = excluded.updated_us",
    [S_ST_LEARNING_PRUNE] = "DELETE FROM learning WHERE gen <> ?1",
    [S_ST_REPORT]
    = "INSERT INTO reports (run_id, kind, json_path, md_path)"
      " VALUES (?1, ?2, ?3, ?4)"
      " ON CONFLICT (run_id) DO UPDATE SET kind = excluded.kind,"
      " json_path = excluded.json_path, md_path = excluded.md_path",
    [S_ST_DESIRED]
    = "INSERT INTO desired (role, count, host, label, updated_us)"
      " VALUES (?1, ?2, ?3, ?4, ?5)"
      " ON CONFLICT (role) DO UPDATE SET count = excluded.count,"
      " host = excluded.host, label = excluded.label,"
      " updated_us = excluded.updated_us",
    [S_ST_RETAIN_ROLLUPS] = "DELETE FROM rollups WHERE minute < ?1",
    [S_ST_RETAIN_AUDIT] = "DELETE FROM audit WHERE ts_us < ?1",
};

typedef struct {
    uint64_t upto; /* every sync up to this id */
    int rc;
} s_reply_t;

typedef struct {
    zsock_t *pipe;
    char *path;
    int retention_days;
    size_t backlog_max;
    sqlite3 *db;
    sqlite3_stmt *st[S_ST_COUNT];
    //  Records received and not committed, oldest first: pend[head..tail)
    hl_store_rec_t **pend;
    size_t head, tail, cap;
    size_t drop_at;     /* before it, no rollup or audit left to drop */
    size_t learning_at; /* the last learning record appended, if still
                           there (its kind says) */
    size_t live;        /* records in pend that are not markers or dead */
    size_t bytes;       /* their bytes */
    uint64_t learning_gen;
    hl_store_stats_t stats;
    bool stats_dirty;
    int64_t stats_sent; /* ms, monotonic */
    int64_t retry_at;   /* while not writable */
    int64_t retention_at;
    bool bound_warned;  /* past the bound with nothing left to drop */
    bool drop_warned;   /* records dropped since writes failed */
    s_reply_t *replies; /* sync answers the pipe could not take yet */
    size_t replies_n, replies_cap;
    bool terminated;
} s_actor_t;

//  Figures and sync answers go back as [command][upto][rc][stats], one
//  shape for all: "READY" and "FAILED" (stats.error says why) at start,
//  "STATS", and "SYNC" (every sync up to upto is told rc)
static int
s_send_up (s_actor_t *self, const char *command, uint64_t upto, int rc)
{
    self->stats.backlog = self->live;
    self->stats.backlog_bytes = self->bytes;
    return zsock_send (self->pipe, "s8ib", command, upto, rc,
                       (byte *)&self->stats, sizeof self->stats);
}

static void
s_stats_send (s_actor_t *self, bool now)
{
    self->stats_dirty = true;
    if (!now && zclock_mono () - self->stats_sent < S_STATS_MS)
        return; /* the loop sends it when the interval is up */
    if (s_send_up (self, "STATS", 0, 0) == 0) {
        self->stats_dirty = false;
        self->stats_sent = zclock_mono ();
    }
}

//  Answers wait in order while the pipe is full (the owner not reading):
//  the actor never blocks on it
static void
s_replies_flush (s_actor_t *self)
{
    size_t sent = 0;
    while (sent < self->replies_n
           && s_send_up (self, "SYNC", self->replies[sent].upto,
                         self->replies[sent].rc)
                  == 0)
        sent++;
    if (sent) {
        //  Each answer carries the figures
        self->stats_dirty = false;
        self->stats_sent = zclock_mono ();
    }
    memmove (self->replies, self->replies + sent,
             (self->replies_n - sent) * sizeof (s_reply_t));
    self->replies_n -= sent;
}

static void
s_reply (s_actor_t *self, uint64_t upto, int rc)
{
    s_reply_t *last
        = self->replies_n ? &self->replies[self->replies_n - 1] : NULL;
    if (last && last->rc == rc)
        last->upto = upto;
    else {
        if (self->replies_n == self->replies_cap) {
            self->replies_cap = self->replies_cap ? self->replies_cap * 2 : 8;
            self->replies = (s_reply_t *)hl_realloc (
                self->replies, self->replies_cap * sizeof (s_reply_t));
        }
        self->replies[self->replies_n++] = (s_reply_t){ upto, rc };
    }
    s_replies_flush (self);
}

static bool
s_droppable (const hl_store_rec_t *rec)
{
    return rec->kind == HL_STORE_REC_ROLLUP || rec->kind == HL_STORE_REC_AUDIT;
}

static void
s_drop (s_actor_t *self, hl_store_rec_t *rec)
{
    self->live--;
    self->bytes -= rec->bytes;
    hl_store_rec_kill (rec);
}

//  Past the bound, the oldest rollups and audit records go; runs,
//  changes and tasks are what recovery needs, so they stay whatever
//  their size
static void
s_bound (s_actor_t *self)
{
    if (self->drop_at < self->head)
        self->drop_at = self->head;
    while (self->bytes > self->backlog_max) {
        while (self->drop_at < self->tail
               && !s_droppable (self->pend[self->drop_at]))
            self->drop_at++;
        if (self->drop_at == self->tail) {
            if (!self->bound_warned)
                hl_log_warning ("store: %s: %zu bytes of runs, changes and "
                                "tasks wait, past the bound of %zu; kept",
                                self->path, self->bytes, self->backlog_max);
            self->bound_warned = true;
            return;
        }
        if (!self->drop_warned)
            hl_log_warning ("store: %s: backlog past %zu bytes: the oldest "
                            "rollup and audit records are dropped",
                            self->path, self->backlog_max);
        self->drop_warned = true;
        s_drop (self, self->pend[self->drop_at++]);
        self->stats.dropped++;
    }
}

static void
s_append (s_actor_t *self, hl_store_rec_t *rec)
{
    if (rec->kind == HL_STORE_REC_SYNC && !self->stats.writable) {
        //  Told at once: its records only wait in memory
        s_reply (self, rec->u.sync, -1);
        hl_store_rec_destroy (&rec);
        return;
    }
    if (self->tail == self->cap) {
        if (self->head > 0) {
            //  Slide down rather than grow
            size_t n = self->tail - self->head;
            memmove (self->pend, self->pend + self->head,
                     n * sizeof (hl_store_rec_t *));
            self->drop_at
                -= self->drop_at > self->head ? self->head : self->drop_at;
            self->learning_at -= self->learning_at >= self->head
                                     ? self->head
                                     : self->learning_at;
            self->head = 0;
            self->tail = n;
        }
        if (self->tail == self->cap) {
            self->cap = self->cap ? self->cap * 2 : 1024;
            self->pend = (hl_store_rec_t **)hl_realloc (
                self->pend, self->cap * sizeof (hl_store_rec_t *));
        }
    }
    if (rec->kind == HL_STORE_REC_LEARNING) {
        //  The whole state each time: an unwritten one is superseded
        if (self->learning_at >= self->head && self->learning_at < self->tail
            && self->pend[self->learning_at]->kind == HL_STORE_REC_LEARNING)
            s_drop (self, self->pend[self->learning_at]);
        self->learning_at = self->tail;
    }
    if (rec->kind != HL_STORE_REC_SYNC) {
        self->live++;
        self->bytes += rec->bytes;
    }
    self->pend[self->tail++] = rec;
}

static int
s_step (sqlite3_stmt *st)
{
    int rc = sqlite3_step (st);
    sqlite3_reset (st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int
s_write_learning (s_actor_t *self, const char *text)
{
    json_t *map = json_loads (text, 0, NULL);
    if (!json_is_object (map)) {
        json_decref (map);
        return SQLITE_MISMATCH;
    }
    uint64_t gen = ++self->learning_gen;
    int64_t now = hl_store_now_us ();
    int64_t pos = 0;
    int rc = SQLITE_OK;
    sqlite3_stmt *st = self->st[S_ST_LEARNING];
    const char *action;
    json_t *entry;
    json_object_foreach (map, action, entry) {
        char *json = json_dumps (entry, JSON_COMPACT | JSON_ENCODE_ANY);
        sqlite3_bind_text (st, 1, action, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, pos++);
        sqlite3_bind_text (st, 3, json ? json : "null", -1, SQLITE_STATIC);
        hl_store_bind_u64 (st, 4, gen);
        sqlite3_bind_int64 (st, 5, now);
        rc = s_step (st);
        free (json);
        if (rc != SQLITE_OK)
            break;
    }
    json_decref (map);
    if (rc == SQLITE_OK) {
        hl_store_bind_u64 (self->st[S_ST_LEARNING_PRUNE], 1, gen);
        rc = s_step (self->st[S_ST_LEARNING_PRUNE]);
    }
    return rc;
}

static int
s_write_rec (s_actor_t *self, const hl_store_rec_t *rec)
{
    sqlite3_stmt *st;
    switch (rec->kind) {
        case HL_STORE_REC_RUN: {
            const hl_store_run_t *r = &rec->u.run;
            st = self->st[S_ST_RUN];
            hl_store_bind_u64 (st, 1, r->id);
            s_bind_text (st, 2, r->kind);
            s_bind_text (st, 3, r->phase);
            s_bind_text (st, 4, r->requested_by);
            sqlite3_bind_int64 (st, 5, r->started_us);
            sqlite3_bind_int64 (st, 6, r->finished_us);
            s_bind_double (st, 7, r->score_before);
            s_bind_double (st, 8, r->score_after);
            s_bind_text (st, 9, r->summary_json);
            return s_step (st);
        }
        case HL_STORE_REC_CHANGE: {
            const hl_store_change_t *c = &rec->u.change;
            st = self->st[S_ST_CHANGE];
            hl_store_bind_u64 (st, 1, c->id);
            hl_store_bind_u64 (st, 2, c->run_id);
            s_bind_text (st, 3, c->action);
            sqlite3_bind_int (st, 4, c->reverse);
            s_bind_text (st, 5, hl_change_state_name (c->state));
            hl_store_bind_u64 (st, 6, c->apply_task);
            hl_store_bind_u64 (st, 7, c->verify_task);
            hl_store_bind_u64 (st, 8, c->rollback_task);
            sqlite3_bind_int64 (st, 9, c->started_us);
            sqlite3_bind_int64 (st, 10, c->window_end_us);
            s_bind_text (st, 11, c->verdict);
            s_bind_text (st, 12, c->params_json);
            s_bind_text (st, 13, c->verify_json);
            sqlite3_bind_int64 (st, 14, c->updated_us);
            return s_step (st);
        }
        case HL_STORE_REC_TASK: {
            const hl_store_task_t *t = &rec->u.task;
            st = self->st[S_ST_TASK];
            hl_store_bind_u64 (st, 1, t->id);
            hl_store_bind_u64 (st, 2, t->run_id);
            hl_store_bind_u64 (st, 3, t->change_id);
            s_bind_text (st, 4, t->kind);
            s_bind_text (st, 5, t->role);
            s_bind_text (st, 6, t->action);
            s_bind_text (st, 7, t->status);
            sqlite3_bind_int64 (st, 8, t->created_us);
            sqlite3_bind_int64 (st, 9, t->ended_us);
            return s_step (st);
        }
        case HL_STORE_REC_AUDIT: {
            const hl_store_audit_t *a = &rec->u.audit;
            st = self->st[S_ST_AUDIT];
            sqlite3_bind_int64 (st, 1, a->ts_us);
            hl_store_bind_u64 (st, 2, a->run_id);
            s_bind_text (st, 3, a->action);
            s_bind_text (st, 4, a->event);
            s_bind_text (st, 5, a->who);
            s_bind_text (st, 6, a->why);
            return s_step (st);
        }
        case HL_STORE_REC_ROLLUP: {
            const hl_store_rollup_t *r = &rec->u.rollup;
            st = self->st[S_ST_ROLLUP];
            s_bind_text (st, 1, r->metric);
            sqlite3_bind_int64 (st, 2, r->minute);
            hl_store_bind_u64 (st, 3, r->count);
            s_bind_double (st, 4, r->sum);
            s_bind_double (st, 5, r->min);
            s_bind_double (st, 6, r->max);
            s_bind_double (st, 7, r->last);
            s_bind_double (st, 8, r->p95);
            return s_step (st);
        }
        case HL_STORE_REC_LEARNING:
            return s_write_learning (self, rec->u.learning);
        case HL_STORE_REC_REPORT:
            st = self->st[S_ST_REPORT];
            hl_store_bind_u64 (st, 1, rec->u.report.run_id);
            s_bind_text (st, 2, rec->u.report.kind);
            s_bind_text (st, 3, rec->u.report.json_path);
            s_bind_text (st, 4, rec->u.report.md_path);
            return s_step (st);
        case HL_STORE_REC_DESIRED:
            st = self->st[S_ST_DESIRED];
            s_bind_text (st, 1, rec->u.desired.role);
            sqlite3_bind_int64 (st, 2, rec->u.desired.count);
            s_bind_text (st, 3, rec->u.desired.host);
            s_bind_text (st, 4, rec->u.desired.label);
            sqlite3_bind_int64 (st, 5, hl_store_now_us ());
            return s_step (st);
        case HL_STORE_REC_SYNC:
        case HL_STORE_REC_DEAD:
            break;
    }
    return SQLITE_OK;
}

//  A record the database refuses for what it holds, not for the disk:
//  dropped alone, or it would hold up every record behind it forever
static bool
s_bad_record (int rc)
{
    rc &= 0xff;
    return rc == SQLITE_CONSTRAINT || rc == SQLITE_MISMATCH
           || rc == SQLITE_TOOBIG || rc == SQLITE_RANGE;
}

//  Undo what a failed transaction left, if SQLite has not done so
static void
s_rollback (s_actor_t *self)
{
    if (!sqlite3_get_autocommit (self->db))
        s_step (self->st[S_ST_ROLLBACK]);
}

//  Write pend[head..end) in one transaction: 0, or -1 with stats.error
static int
s_transaction (s_actor_t *self, size_t end, uint64_t *written)
{
    int rc = s_step (self->st[S_ST_BEGIN]);
    *written = 0;
    for (size_t i = self->head; rc == SQLITE_OK && i < end; i++) {
        hl_store_rec_t *rec = self->pend[i];
        if (rec->kind == HL_STORE_REC_SYNC || rec->kind == HL_STORE_REC_DEAD)
            continue;
        rc = s_write_rec (self, rec);
        if (s_bad_record (rc)) {
            hl_log_warning ("store: %s: a record refused: %s", self->path,
                            sqlite3_errmsg (self->db));
            s_drop (self, rec);
            self->stats.dropped++;
            rc = SQLITE_OK;
        } else if (rc == SQLITE_OK)
            (*written)++;
    }
    if (rc == SQLITE_OK)
        rc = s_step (self->st[S_ST_COMMIT]);
    if (rc == SQLITE_OK)
        return 0;
    snprintf (self->stats.error, sizeof self->stats.error, "%s",
              sqlite3_errmsg (self->db));
    s_rollback (self);
    return -1;
}

//  The records are kept for the next try, in order; syncs are told now
static void
s_failed (s_actor_t *self)
{
    bool was = self->stats.writable;
    self->stats.writable = false;
    self->stats.failures++;
    self->retry_at = zclock_mono () + S_RETRY_MS;
    uint64_t upto = 0;
    for (size_t i = self->head; i < self->tail; i++)
        if (self->pend[i]->kind == HL_STORE_REC_SYNC) {
            upto = self->pend[i]->u.sync;
            hl_store_rec_kill (self->pend[i]);
        }
    if (was)
        hl_log_error ("store: %s: cannot write: %s; %zu records wait in "
                      "memory, retrying every %d ms",
                      self->path, self->stats.error, self->live, S_RETRY_MS);
    else
        hl_log_debug ("store: %s: still cannot write: %s", self->path,
                      self->stats.error);
    s_bound (self);
    if (upto)
        s_reply (self, upto, -1);
    if (was)
        s_stats_send (self, true);
}

//  Everything pending, in transactions of S_CHUNK records at most
static void
s_write (s_actor_t *self)
{
    bool was = self->stats.writable;
    uint64_t before = self->stats.written;
    while (self->head < self->tail) {
        size_t end = self->head + S_CHUNK < self->tail ? self->head + S_CHUNK
                                                       : self->tail;
        uint64_t upto = 0;
        bool data = false;
        for (size_t i = self->head; i < end; i++) {
            if (self->pend[i]->kind == HL_STORE_REC_SYNC)
                upto = self->pend[i]->u.sync;
            else if (self->pend[i]->kind != HL_STORE_REC_DEAD)
                data = true;
        }
        uint64_t written = 0;
        if (data && s_transaction (self, end, &written)) {
            s_failed (self);
            return;
        }
        if (data) {
            self->stats.transactions++;
            self->stats.written += written;
        }
        for (size_t i = self->head; i < end; i++) {
            if (self->pend[i]->kind != HL_STORE_REC_SYNC
                && self->pend[i]->kind != HL_STORE_REC_DEAD)
                s_drop (self, self->pend[i]);
            hl_store_rec_destroy (&self->pend[i]);
        }
        self->head = end;
        if (data && !self->stats.writable) {
            self->stats.writable = true;
            self->stats.error[0] = 0;
            self->bound_warned = self->drop_warned = false;
            hl_log_notice (
                "store: %s: writing again; %" PRIu64
                " records from memory written, %" PRIu64 " dropped in all",
                self->path, self->stats.written - before, self->stats.dropped);
        }
        if (upto)
            s_reply (self, upto, 0);
    }
    self->head = self->tail = self->drop_at = self->learning_at = 0;
    s_stats_send (self, !was);
}

static void
s_retain (s_actor_t *self)
{
    self->retention_at = zclock_mono () + S_RETENTION_MS;
    int64_t cut_us
        = hl_store_now_us () - self->retention_days * HL_STORE_DAY_US;
    sqlite3_bind_int64 (self->st[S_ST_RETAIN_ROLLUPS], 1,
                        cut_us / HL_STORE_MINUTE_US);
    sqlite3_bind_int64 (self->st[S_ST_RETAIN_AUDIT], 1, cut_us);
    int rc = s_step (self->st[S_ST_BEGIN]);
    if (rc == SQLITE_OK)
        rc = s_step (self->st[S_ST_RETAIN_ROLLUPS]);
    if (rc == SQLITE_OK)
        rc = s_step (self->st[S_ST_RETAIN_AUDIT]);
    if (rc == SQLITE_OK)
        rc = s_step (self->st[S_ST_COMMIT]);
    if (rc != SQLITE_OK) {
        hl_log_warning ("store: %s: retention: %s", self->path,
                        sqlite3_errmsg (self->db));
        s_rollback (self);
    }
}

//  Every message waiting on the pipe, without blocking
static void
s_drain (s_actor_t *self)
{
    while (!self->terminated && (zsock_events (self->pipe) & ZMQ_POLLIN)) {
        char *command = NULL;
        void *ptr = NULL;
        if (zsock_recv (self->pipe, "sp", &command, &ptr) != 0)
            break;
        if (command && streq (command, "$TERM"))
            self->terminated = true;
        else if (command && streq (command, "BATCH") && ptr) {
            hl_store_batch_t *batch = (hl_store_batch_t *)ptr;
            for (size_t i = 0; i < batch->n; i++) {
                s_append (self, batch->recs[i]);
                batch->recs[i] = NULL;
            }
            hl_store_batch_destroy (&batch);
        }
        free (command);
    }
    if (!self->stats.writable)
        s_bound (self);
}

static int
s_open (s_actor_t *self)
{
    char *why = self->stats.error;
    size_t whysize = sizeof self->stats.error;
    int rc
        = sqlite3_open_v2 (self->path, &self->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf (why, whysize, "%s: cannot open: %s", self->path,
                  self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
        return -1;
    }
    sqlite3_busy_timeout (self->db, HL_STORE_BUSY_MS);
    //  synchronous = NORMAL: in WAL mode a commit survives the process
    //  being killed (kill -9 included: the WAL is in the kernel's hands),
    //  and the database is never corrupted; a power cut may lose the
    //  last transactions, which recovery treats as never sent
    char sql[128];
    snprintf (sql, sizeof sql,
              "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = %d",
              S_WAL_LIMIT);
    int64_t gen;
    char err[200];
    if (hl_store_exec (self->db, sql, err, sizeof err)
        || hl_store_query_int (self->db,
                               "SELECT coalesce (max (gen), 0) FROM learning",
                               &gen, err, sizeof err)) {
        snprintf (why, whysize, "%s: %s", self->path, err);
        return -1;
    }
    self->learning_gen = (uint64_t)gen;
    for (int i = 0; i < S_ST_COUNT; i++)
        if (sqlite3_prepare_v3 (self->db, s_write_sql[i], -1,
                                SQLITE_PREPARE_PERSISTENT, &self->st[i], NULL)
            != SQLITE_OK) {
            snprintf (why, whysize, "%s: %s", self->path,
                      sqlite3_errmsg (self->db));
            return -1;
        }
    return 0;
}

//  How long the loop may sleep
static long
s_wait_ms (s_actor_t *self, int64_t now)
{
    int64_t wait = self->retention_at - now;
    if (self->replies_n)
        wait = 10; /* the owner is behind on the pipe */
    if (self->stats_dirty && self->stats_sent + S_STATS_MS - now < wait)
        wait = self->stats_sent + S_STATS_MS - now;
    if (!self->stats.writable && self->live && self->retry_at - now < wait)
        wait = self->retry_at - now;
    return wait < 0 ? 0 : (long)wait;
}

//  After $TERM: what is left, while the disk takes it, for S_FINISH_MS
static void
s_finish (s_actor_t *self)
{
    int64_t deadline = zclock_mono () + S_FINISH_MS;
    if (self->head < self->tail)
        s_write (self);
    while (self->live && zclock_mono () < deadline) {
        int64_t wait = self->retry_at - zclock_mono ();
        int64_t left = deadline - zclock_mono ();
        if (wait > left)
            wait = left;
        if (wait > 0)
            zclock_sleep ((int)wait); /* nothing else can arrive */
        s_write (self);
    }
    if (self->live)
        hl_log_error ("store: %s: %zu records not written at shutdown: %s",
                      self->path, self->live, self->stats.error);
}

void
hl_store_actor (zsock_t *pipe, void *arg)
{
    const hl_store_start_t *start = (const hl_store_start_t *)arg;
    s_actor_t self_s = { .pipe = pipe,
                         .path = hl_strdup (start->path),
                         .retention_days = start->retention_days,
                         .backlog_max = start->backlog_bytes };
    s_actor_t *self = &self_s;
    self->stats.writable = true;
    zsock_signal (pipe, 0);
    if (s_open (self)) {
        //  The owner reads why, then destroys the actor
        s_send_up (self, "FAILED", 0, -1);
        while (!self->terminated) {
            char *command = NULL;
            if (zsock_recv (pipe, "s", &command) != 0)
                break;
            self->terminated = command && streq (command, "$TERM");
            free (command);
        }
    } else {
        s_send_up (self, "READY", 0, 0);
        //  Never wait on the owner: answers it cannot take yet wait here
        zsock_set_sndtimeo (pipe, 0);
        self->retention_at = zclock_mono () + S_RETENTION_MS;
        zmq_pollitem_t item = { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 };
        while (!self->terminated) {
            zmq_poll (&item, 1, s_wait_ms (self, zclock_mono ()));
            s_drain (self);
            int64_t now = zclock_mono ();
            if (self->head < self->tail
                && (self->stats.writable || now >= self->retry_at))
                s_write (self);
            //  Deleting needs room in the WAL too: not while the disk is
            //  full, and an hour later again
            if (now >= self->retention_at && self->stats.writable)
                s_retain (self);
            else if (now >= self->retention_at)
                self->retention_at = now + S_RETENTION_MS;
            if (self->replies_n)
                s_replies_flush (self);
            if (self->stats_dirty)
                s_stats_send (self, false);
        }
        s_finish (self);
    }
    for (size_t i = self->head; i < self->tail; i++)
        hl_store_rec_destroy (&self->pend[i]);
    free (self->pend);
    free (self->replies);
    for (int i = 0; i < S_ST_COUNT; i++)
        sqlite3_finalize (self->st[i]);
    sqlite3_close (self->db);
    free (self->path);
    //  The exit signal must not meet a full pipe and be lost
    zsock_set_sndtimeo (pipe, -1);
}
