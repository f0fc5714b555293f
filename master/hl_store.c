/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_store - the master's SQLite store. The owner queues copies of
    records into a batch and hands it to the store actor as one pointer
    message; the actor owns the write connection and the records it has
    not committed (in order), writes whatever waits in one transaction of
    prepared statements, and answers syncs and sends its figures back on
    the pipe. Reads go through a read-only connection of the owner's
    thread; WAL lets them run beside the writer.

    This file is the owner's side: open, the records and the batch, the
    queue API, syncs and commit, recovery and the reads. The writer actor
    is hl_store_actor.c, the schema and its migrations hl_store_schema.c;
    they share hl_store_priv.h.
*/
#include <czmq.h>
#include <sqlite3.h>
#include <string.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_report.h"
#include "hl_store_priv.h"

static const char *s_state_names[HL_CHANGE_STATE_COUNT]
    = { "applying",     "applied",     "verifying", "kept",
        "rolling_back", "rolled_back", "failed" };

const char *
hl_change_state_name (hl_change_state_t state)
{
    return (unsigned)state < HL_CHANGE_STATE_COUNT ? s_state_names[state]
                                                   : NULL;
}

int
hl_change_state_parse (const char *name)
{
    for (int i = 0; name && i < HL_CHANGE_STATE_COUNT; i++)
        if (streq (name, s_state_names[i]))
            return i;
    return -1;
}

bool
hl_change_state_final (hl_change_state_t state)
{
    return state == HL_CHANGE_KEPT || state == HL_CHANGE_ROLLED_BACK
           || state == HL_CHANGE_FAILED;
}

//  --------------------------------------------------------------------
//  Records and the batch

static hl_store_rec_t *
s_rec_new (hl_store_rec_kind_t kind)
{
    hl_store_rec_t *rec = (hl_store_rec_t *)hl_alloc (sizeof *rec);
    rec->kind = kind;
    rec->bytes = sizeof *rec;
    return rec;
}

//  Free what a record holds and mark it dead; its shell stays
void
hl_store_rec_kill (hl_store_rec_t *rec)
{
    for (int i = 0; i < HL_STORE_STRS; i++) {
        free (rec->strs[i]);
        rec->strs[i] = NULL;
    }
    rec->kind = HL_STORE_REC_DEAD;
    rec->bytes = 0;
}

void
hl_store_rec_destroy (hl_store_rec_t **rec_p)
{
    if (*rec_p) {
        hl_store_rec_kill (*rec_p);
        free (*rec_p);
        *rec_p = NULL;
    }
}

//  A free-text field: at most HL_STORE_TEXT bytes, cut before a UTF-8
//  continuation byte so that the text stays valid
static const char *
s_text (hl_store_rec_t *rec, int slot, const char *s)
{
    if (!s)
        return NULL;
    size_t len = strnlen (s, HL_STORE_TEXT + 1);
    if (len > HL_STORE_TEXT) {
        len = HL_STORE_TEXT;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    rec->strs[slot] = hl_strndup (s, len);
    rec->bytes += len + 1;
    return rec->strs[slot];
}

//  A text the table needs: "" for none
static const char *
s_name (hl_store_rec_t *rec, int slot, const char *s)
{
    return s_text (rec, slot, s ? s : "");
}

//  A JSON field: whole, since a cut one would not parse
static const char *
s_json (hl_store_rec_t *rec, int slot, const char *s, const char *what)
{
    if (!s)
        return NULL;
    size_t len = strnlen (s, HL_STORE_JSON + 1);
    if (len > HL_STORE_JSON) {
        hl_log_warning ("store: %s over %d bytes, not kept", what,
                        HL_STORE_JSON);
        return NULL;
    }
    rec->strs[slot] = hl_strndup (s, len);
    rec->bytes += len + 1;
    return rec->strs[slot];
}

static void
s_batch_add (hl_store_batch_t *batch, hl_store_rec_t *rec)
{
    if (batch->n == batch->cap) {
        batch->cap = batch->cap ? batch->cap * 2 : HL_STORE_BATCH;
        batch->recs = (hl_store_rec_t **)hl_realloc (
            batch->recs, batch->cap * sizeof (hl_store_rec_t *));
    }
    batch->recs[batch->n++] = rec;
}

void
hl_store_batch_destroy (hl_store_batch_t **batch_p)
{
    hl_store_batch_t *batch = *batch_p;
    if (!batch)
        return;
    for (size_t i = 0; i < batch->n; i++)
        hl_store_rec_destroy (&batch->recs[i]);
    free (batch->recs);
    free (batch);
    *batch_p = NULL;
}

//  --------------------------------------------------------------------
//  The owner's side

typedef struct {
    uint64_t id;
    hl_store_sync_fn *fn;
    void *arg;
} s_sync_t;

//  Read statements, prepared on first use
typedef enum {
    S_RQ_AUDIT,
    S_RQ_AUDIT_ACTION,
    S_RQ_RUNS,
    S_RQ_REPORT,
    S_RQ_ROLLUPS,
    S_RQ_DESIRED,
    S_RQ_COUNT
} s_rq_t;

static const char *s_read_sql[S_RQ_COUNT] = {
    [S_RQ_AUDIT] = "SELECT ts_us, run_id AS run, action, event, who, why"
                   " FROM audit WHERE ts_us >= ?1"
                   " ORDER BY ts_us DESC, id DESC LIMIT ?2",
    [S_RQ_AUDIT_ACTION] = "SELECT ts_us, run_id AS run, action, event, who, why"
                          " FROM audit WHERE action = ?3 AND ts_us >= ?1"
                          " ORDER BY ts_us DESC, id DESC LIMIT ?2",
    [S_RQ_RUNS] = "SELECT summary_json, id, kind, phase, requested_by,"
                  " started_us, finished_us FROM runs"
                  " WHERE finished_us <> 0 ORDER BY id DESC LIMIT ?1",
    [S_RQ_REPORT] = "SELECT json_path, md_path FROM reports WHERE run_id = ?1",
    [S_RQ_ROLLUPS]
    = "SELECT minute, count, sum, min, max, last, p95 FROM rollups"
      " WHERE metric = ?1 AND minute BETWEEN ?2 AND ?3 ORDER BY minute"
      " LIMIT ?4",
    [S_RQ_DESIRED]
    = "SELECT role, count, host, label FROM desired ORDER BY role",
};

struct _hl_store_t {
    zactor_t *actor;
    char *path;
    sqlite3 *reader; /* read-only, this thread's */
    sqlite3_stmt *rq[S_RQ_COUNT];
    hl_store_batch_t *batch; /* queued, not yet handed over */
    s_sync_t *syncs;         /* not yet told, by id */
    size_t syncs_n, syncs_cap;
    uint64_t sync_id;       /* the last given */
    hl_store_stats_t stats; /* as the actor last said */
    hl_store_recovery_t recovery;
    bool recovered; /* recovery holds what open read */
};

//  A row's columns into map, by name: integers, reals (NULL as nil),
//  text
static void
s_row_into (sqlite3_stmt *st, int from, hl_value_t *map)
{
    int n = sqlite3_column_count (st);
    for (int i = from; i < n; i++) {
        const char *name = sqlite3_column_name (st, i);
        hl_value_t *v = NULL;
        switch (sqlite3_column_type (st, i)) {
            case SQLITE_INTEGER:
                v = hl_value_new_int (sqlite3_column_int64 (st, i));
                break;
            case SQLITE_FLOAT:
                v = hl_value_new_double (sqlite3_column_double (st, i));
                break;
            case SQLITE_TEXT:
                v = hl_value_new_strn (
                    (const char *)sqlite3_column_text (st, i),
                    (size_t)sqlite3_column_bytes (st, i));
                break;
            default:
                v = hl_value_new_nil ();
        }
        hl_value_set (map, name, &v);
    }
}

//  Every row of a query as maps, in order; NULL (err set) on a failure
static hl_value_t *
s_rows (sqlite3 *db, const char *sql, char *err, size_t errsize)
{
    sqlite3_stmt *st = NULL;
    hl_value_t *rows = hl_value_new_array ();
    int rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        hl_value_t *row = hl_value_new_map ();
        s_row_into (st, 0, row);
        hl_value_append (rows, &row);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) {
        snprintf (err, errsize, "%s", sqlite3_errmsg (db));
        hl_value_destroy (&rows);
    }
    sqlite3_finalize (st);
    return rows;
}

//  A 0/1 column as the bool it is
static void
s_fix_bool (hl_value_t *rows, const char *key)
{
    for (size_t i = 0; i < hl_value_size (rows); i++) {
        hl_value_t *row = (hl_value_t *)hl_value_at (rows, i);
        hl_value_set_bool (row, key, hl_value_get_int (row, key, 0) != 0);
    }
}

static hl_value_t *
s_learning_read (sqlite3 *db, char *err, size_t errsize)
{
    sqlite3_stmt *st = NULL;
    hl_value_t *map = hl_value_new_map ();
    int rc = sqlite3_prepare_v2 (
        db, "SELECT action, entry FROM learning ORDER BY pos", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text (st, 1);
        json_t *json = text ? json_loads (text, JSON_DECODE_ANY, NULL) : NULL;
        hl_value_t *entry
            = json ? hl_value_from_json (json) : hl_value_new_nil ();
        json_decref (json);
        hl_value_set (map, (const char *)sqlite3_column_text (st, 0), &entry);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) {
        snprintf (err, errsize, "%s", sqlite3_errmsg (db));
        hl_value_destroy (&map);
    }
    sqlite3_finalize (st);
    if (map && hl_value_size (map) == 0)
        hl_value_destroy (&map);
    return map;
}

static void
s_recovery_free (hl_store_recovery_t *r)
{
    hl_value_destroy (&r->changes);
    hl_value_destroy (&r->tasks);
    hl_value_destroy (&r->learning);
    hl_value_destroy (&r->runs);
    hl_value_destroy (&r->in_effect);
}

//  Recovery reads whatever is open: bounded, as every read is, and a
//  bound reached is said
#define S_XSTR(x) #x
#define S_STR(x) S_XSTR (x)
#define S_LIMIT_SQL " LIMIT " S_STR (HL_STORE_QUERY_MAX)

static int
s_recover (hl_store_t *self, char *err, size_t errsize)
{
    hl_store_recovery_t *r = &self->recovery;
    char why[256] = "";
    int64_t max_run, max_task;
    if (hl_store_query_int (self->reader,
                            "SELECT coalesce (max (id), 0) FROM runs", &max_run,
                            why, sizeof why)
        || hl_store_query_int (self->reader,
                               "SELECT coalesce (max (id), 0) FROM tasks",
                               &max_task, why, sizeof why))
        goto fail;
    r->max_run_id = (uint64_t)max_run;
    r->max_task_id = (uint64_t)max_task;
    r->changes = s_rows (self->reader,
                         "SELECT id, run_id, action, reverse, state,"
                         " apply_task, verify_task, rollback_task, started_us,"
                         " window_end_us, verdict, params_json, verify_json,"
                         " updated_us FROM changes WHERE " HL_STORE_NOT_FINAL
                         " ORDER BY id" S_LIMIT_SQL,
                         why, sizeof why);
    if (!r->changes)
        goto fail;
    s_fix_bool (r->changes, "reverse");
    r->tasks = s_rows (self->reader,
                       "SELECT id, run_id, change_id, kind, role, action,"
                       " status, created_us, ended_us FROM tasks"
                       " WHERE ended_us = 0 ORDER BY id" S_LIMIT_SQL,
                       why, sizeof why);
    r->runs = r->tasks
                  ? s_rows (self->reader,
                            "SELECT id, kind, phase, requested_by,"
                            " started_us, finished_us, score_before,"
                            " score_after, summary_json FROM runs"
                            " WHERE finished_us = 0 ORDER BY id" S_LIMIT_SQL,
                            why, sizeof why)
                  : NULL;
    if (!r->runs)
        goto fail;
    why[0] = 0;
    r->learning = s_learning_read (self->reader, why, sizeof why);
    if (why[0])
        goto fail;
    /*  An action is in effect when the last of its changes to settle was
        kept. */
    r->in_effect = s_rows (
        self->reader,
        "SELECT action FROM changes c WHERE state = 'kept' AND updated_us ="
        " (SELECT max (updated_us) FROM changes d WHERE d.action = c.action"
        " AND d.state IN ('kept', 'rolled_back'))"
        " ORDER BY action" S_LIMIT_SQL,
        why, sizeof why);
    if (!r->in_effect)
        goto fail;
    if (hl_value_size (r->changes) == HL_STORE_QUERY_MAX
        || hl_value_size (r->tasks) == HL_STORE_QUERY_MAX
        || hl_value_size (r->runs) == HL_STORE_QUERY_MAX)
        hl_log_warning ("store: %s: recovery read only the first %d open "
                        "changes, tasks or runs",
                        self->path, HL_STORE_QUERY_MAX);
    self->recovered = true;
    return 0;

fail:
    snprintf (err, errsize, "%s: cannot read: %s", self->path, why);
    s_recovery_free (r);
    return -1;
}

hl_store_t *
hl_store_open (const hl_store_opts_t *opts, char *err, size_t errsize)
{
    char scratch[256];
    if (!err || !errsize) {
        err = scratch;
        errsize = sizeof scratch;
    }
    err[0] = 0;
    if (!opts || !opts->path || !*opts->path || opts->retention_days < 1
        || opts->backlog_bytes == 0) {
        snprintf (err, errsize, "store: bad options");
        return NULL;
    }
    if (hl_store_prepare (opts, err, errsize))
        return NULL;
    hl_store_t *self = (hl_store_t *)hl_alloc (sizeof *self);
    self->path = hl_strdup (opts->path);
    self->stats.writable = true;
    int rc = sqlite3_open_v2 (opts->path, &self->reader,
                              SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf (err, errsize, "%s: cannot open for reading: %s", opts->path,
                  self->reader ? sqlite3_errmsg (self->reader)
                               : sqlite3_errstr (rc));
        goto fail;
    }
    sqlite3_busy_timeout (self->reader, HL_STORE_BUSY_MS);
    //  Before the actor: nothing is written while recovery reads
    if (s_recover (self, err, errsize))
        goto fail;

    hl_store_start_t start
        = { opts->path, opts->retention_days, opts->backlog_bytes };
    self->actor = zactor_new (hl_store_actor, &start);
    char *command = NULL;
    uint64_t upto;
    int ok;
    byte *data = NULL;
    size_t size = 0;
    if (zsock_recv (self->actor, "s8ib", &command, &upto, &ok, &data, &size)
            == 0
        && size == sizeof self->stats)
        memcpy (&self->stats, data, size);
    bool ready = command && streq (command, "READY");
    free (command);
    free (data);
    if (!ready) {
        snprintf (err, errsize, "%s", self->stats.error);
        goto fail;
    }
    //  Queueing never waits: a batch the pipe cannot take stays queued
    zsock_set_sndtimeo (zactor_sock (self->actor), 0);
    return self;

fail:
    hl_store_destroy (&self);
    return NULL;
}

//  Hand the queued batch to the actor, if the pipe takes it now
static void
s_flush (hl_store_t *self)
{
    if (self->batch && self->batch->n
        && zsock_send (self->actor, "sp", "BATCH", self->batch) == 0)
        self->batch = NULL; /* the actor's now */
}

void
hl_store_destroy (hl_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_store_t *self = *self_p;
    if (self->actor) {
        zsock_set_sndtimeo (zactor_sock (self->actor), -1);
        s_flush (self);
        //  The actor writes what it holds, for 5 s at most, then ends
        zactor_destroy (&self->actor);
    }
    hl_store_batch_destroy (&self->batch);
    free (self->syncs);
    for (int i = 0; i < S_RQ_COUNT; i++)
        sqlite3_finalize (self->rq[i]);
    sqlite3_close (self->reader);
    s_recovery_free (&self->recovery);
    free (self->path);
    free (self);
    *self_p = NULL;
}

void *
hl_store_sock (hl_store_t *self)
{
    assert (self);
    return zactor_sock (self->actor);
}

static void
s_tell (hl_store_t *self, uint64_t upto, int rc)
{
    size_t told = 0;
    while (told < self->syncs_n && self->syncs[told].id <= upto)
        told++;
    if (!told)
        return;
    //  Off the list before the calls: a callback may sync again
    s_sync_t *due = (s_sync_t *)hl_alloc (told * sizeof *due);
    memcpy (due, self->syncs, told * sizeof *due);
    memmove (self->syncs, self->syncs + told,
             (self->syncs_n - told) * sizeof *due);
    self->syncs_n -= told;
    for (size_t i = 0; i < told; i++)
        due[i].fn (due[i].arg, rc);
    free (due);
}

void
hl_store_handle (hl_store_t *self)
{
    assert (self);
    zsock_t *sock = zactor_sock (self->actor);
    while (zsock_events (sock) & ZMQ_POLLIN) {
        char *command = NULL;
        uint64_t upto = 0;
        int rc = 0;
        byte *data = NULL;
        size_t size = 0;
        if (zsock_recv (sock, "s8ib", &command, &upto, &rc, &data, &size))
            break;
        if (data && size == sizeof self->stats)
            memcpy (&self->stats, data, size);
        free (data);
        if (command && streq (command, "SYNC"))
            s_tell (self, upto, rc);
        free (command);
    }
}

static void
s_queue (hl_store_t *self, hl_store_rec_t *rec)
{
    if (!self->batch)
        self->batch = (hl_store_batch_t *)hl_alloc (sizeof (hl_store_batch_t));
    s_batch_add (self->batch, rec);
    if (self->batch->n >= HL_STORE_BATCH)
        s_flush (self);
}

void
hl_store_run (hl_store_t *self, const hl_store_run_t *run)
{
    assert (self && run);
    hl_store_rec_t *rec = s_rec_new (HL_STORE_REC_RUN);
    hl_store_run_t *r = &rec->u.run;
    *r = *run;
    r->kind = s_name (rec, 0, run->kind);
    r->phase = s_name (rec, 1, run->phase);
    r->requested_by = s_name (rec, 2, run->requested_by);
    r->summary_json = s_json (rec, 3, run->summary_json, "a run's summary");
    s_queue (self, rec);
}

void
hl_store_change (hl_store_t *self, const hl_store_change_t *change)
{
    assert (self && change);
    assert (hl_change_state_name (change->state));
    hl_store_rec_t *rec = s_rec_new (HL_STORE_REC_CHANGE);
    hl_store_change_t *c = &rec->u.change;
    *c = *change;
    c->action = s_name (rec, 0, change->action);
    c->verdict = s_text (rec, 1, change->verdict);
    c->params_json = s_json (rec, 2, change->params_json, "a change's params");
    c->verify_json
        = s_json (rec, 3, change->verify_json, "a change's verify args");
    s_queue (self, rec);
}

void
hl_store_task (hl_store_t *self, const hl_store_task_t *task)
{
    assert (self && task);
    hl_store_rec_t *rec = s_rec_new (HL_STORE_REC_TASK);
    hl_store_task_t *t = &rec->u.task;
    *t = *task;
    t->kind = s_name (rec, 0, task->kind);
    t->role = s_name (rec, 1, task->role);
    t->action = s_text (rec, 2, task->action);
    t->status = s_name (rec, 3, task->status);
    s_queue (self, rec);
}

void
hl_store_audit (hl_store_t *self, const hl_store_audit_t *audit)
{
    assert (self && audit);
    hl_store_rec_t *rec = s_rec_new (HL_STORE_REC_AUDIT);
    hl_store_audit_t *a = &rec->u.audit;
    *a = *audit;
    a->action = s_text (rec, 0, audit->action);
    a->event = s_name (rec, 1, audit->event);
    a->who = s_text (rec, 2, audit->who);
    a->why = s_text (rec, 3, audit->why);
    s_queue (self, rec);
}

void
hl_store_rollup (hl_store_t *self, const hl_store_rollup_t *rollup)
{
    assert (self && rollup);
    hl_store_rec_t *rec = s_rec_new (HL_STORE_REC_ROLLUP);
    rec->u.rollup = *rollup;
    rec->u.rollup.metric = s_name (rec, 0, rollup->metric);
    s_queue (self, rec);
}

void
hl_store_learning (hl_store_t *self, const hl_value_t *learning)
{
    assert (self);
    if (!learning || hl_value_type (learning) != HL_VALUE_MAP) {
        hl_log_warning ("store: learning that is not a map refused");
        return;
    }
    json_t *json = hl_value_to_json (learning);
    char *text = json ? json_dumps (json, JSON_COMPACT) : NULL;
    json_decref (json);
    if (!text) {
        hl_log_warning ("store: learning that JSON cannot hold refused");
        return;
    }
    hl_store_rec_t *rec = s_rec_new (HL_STORE_REC_LEARNING);
    //  The whole state, however big: a part would lose actions
    rec->strs[0] = text;
    rec->bytes += strlen (text) + 1;
    rec->u.learning = text;
    s_queue (self, rec);
}

void
hl_store_report (hl_store_t *self, uint64_t run_id, const char *kind,
                 const char *json_path, const char *md_path)
{
    assert (self);
    hl_store_rec_t *rec = s_rec_new (HL_STORE_REC_REPORT);
    rec->u.report.run_id = run_id;
    rec->u.report.kind = s_name (rec, 0, kind);
    rec->u.report.json_path = s_text (rec, 1, json_path);
    rec->u.report.md_path = s_text (rec, 2, md_path);
    s_queue (self, rec);
}

void
hl_store_desired (hl_store_t *self, const char *role, int64_t count,
                  const char *host, const char *label)
{
    assert (self && role);
    hl_store_rec_t *rec = s_rec_new (HL_STORE_REC_DESIRED);
    rec->u.desired.role = s_name (rec, 0, role);
    rec->u.desired.count = count;
    rec->u.desired.host = s_name (rec, 1, host);
    rec->u.desired.label = s_name (rec, 2, label);
    s_queue (self, rec);
}

void
hl_store_flush (hl_store_t *self)
{
    assert (self);
    s_flush (self);
}

void
hl_store_sync (hl_store_t *self, hl_store_sync_fn *fn, void *arg)
{
    assert (self && fn);
    if (self->syncs_n == self->syncs_cap) {
        self->syncs_cap = self->syncs_cap ? self->syncs_cap * 2 : 16;
        self->syncs = (s_sync_t *)hl_realloc (
            self->syncs, self->syncs_cap * sizeof (s_sync_t));
    }
    hl_store_rec_t *rec = s_rec_new (HL_STORE_REC_SYNC);
    rec->u.sync = ++self->sync_id;
    self->syncs[self->syncs_n++] = (s_sync_t){ self->sync_id, fn, arg };
    s_queue (self, rec);
    s_flush (self);
}

static void
s_committed (void *arg, int rc)
{
    *(int *)arg = rc;
}

static void
s_forgotten (void *arg, int rc)
{
    (void)arg, (void)rc;
}

int
hl_store_commit (hl_store_t *self, int timeout_ms)
{
    assert (self);
    int rc = 1; /* not told yet */
    hl_store_sync (self, s_committed, &rc);
    uint64_t id = self->sync_id;
    int64_t deadline = zclock_mono () + timeout_ms;
    zmq_pollitem_t item
        = { zsock_resolve (zactor_sock (self->actor)), 0, ZMQ_POLLIN, 0 };
    while (rc == 1) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        if (self->batch)
            s_flush (self); /* the pipe was full: try again */
        if (zmq_poll (&item, 1, (long)(left < 10 ? left : 10)) < 0
            && errno != EINTR)
            break;
        hl_store_handle (self);
    }
    if (rc != 1)
        return rc;
    //  Too slow: told later, to nobody
    for (size_t i = 0; i < self->syncs_n; i++)
        if (self->syncs[i].id == id)
            self->syncs[i].fn = s_forgotten;
    return -1;
}

const hl_store_recovery_t *
hl_store_recovered (hl_store_t *self)
{
    assert (self);
    return self->recovered ? &self->recovery : NULL;
}

void
hl_store_recovered_done (hl_store_t *self)
{
    assert (self);
    s_recovery_free (&self->recovery);
    memset (&self->recovery, 0, sizeof self->recovery);
    self->recovered = false;
}

//  --------------------------------------------------------------------
//  Reads

static sqlite3_stmt *
s_read_stmt (hl_store_t *self, s_rq_t which)
{
    if (!self->rq[which]
        && sqlite3_prepare_v3 (self->reader, s_read_sql[which], -1,
                               SQLITE_PREPARE_PERSISTENT, &self->rq[which],
                               NULL)
               != SQLITE_OK) {
        hl_log_warning ("store: %s: %s", self->path,
                        sqlite3_errmsg (self->reader));
        return NULL;
    }
    return self->rq[which];
}

static sqlite3_int64
s_limit (size_t limit)
{
    return (sqlite3_int64)(limit < HL_STORE_QUERY_MAX ? limit
                                                      : HL_STORE_QUERY_MAX);
}

hl_value_t *
hl_store_audit_query (hl_store_t *self, int64_t since_us, const char *action,
                      size_t limit, char *err, size_t errsize)
{
    assert (self);
    char scratch[256];
    if (!err || !errsize) {
        err = scratch;
        errsize = sizeof scratch;
    }
    sqlite3_stmt *st
        = s_read_stmt (self, action ? S_RQ_AUDIT_ACTION : S_RQ_AUDIT);
    if (!st) {
        snprintf (err, errsize, "%s", sqlite3_errmsg (self->reader));
        return NULL;
    }
    sqlite3_bind_int64 (st, 1, since_us);
    sqlite3_bind_int64 (st, 2, s_limit (limit));
    if (action)
        sqlite3_bind_text (st, 3, action, -1, SQLITE_STATIC);
    //  The newest come first: collected, then turned oldest first
    hl_value_t *newest = hl_value_new_array ();
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        hl_value_t *row = hl_value_new_map ();
        char ts[40];
        hl_report_time (sqlite3_column_int64 (st, 0), ts, sizeof ts);
        hl_value_set_str (row, "ts", ts);
        s_row_into (st, 0, row);
        hl_value_append (newest, &row);
    }
    if (rc != SQLITE_DONE)
        snprintf (err, errsize, "%s", sqlite3_errmsg (self->reader));
    sqlite3_reset (st);
    if (rc != SQLITE_DONE) {
        hl_value_destroy (&newest);
        return NULL;
    }
    hl_value_t *rows = hl_value_new_array ();
    for (size_t i = hl_value_size (newest); i-- > 0;) {
        hl_value_t *row = hl_value_dup (hl_value_at (newest, i));
        hl_value_append (rows, &row);
    }
    hl_value_destroy (&newest);
    return rows;
}

hl_value_t *
hl_store_runs (hl_store_t *self, size_t limit)
{
    assert (self);
    sqlite3_stmt *st = s_read_stmt (self, S_RQ_RUNS);
    if (!st)
        return NULL;
    sqlite3_bind_int64 (st, 1, s_limit (limit));
    hl_value_t *runs = hl_value_new_array ();
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text (st, 0);
        json_t *json = text ? json_loads (text, 0, NULL) : NULL;
        hl_value_t *run = json ? hl_value_from_json (json) : NULL;
        json_decref (json);
        if (!run) {
            run = hl_value_new_map ();
            s_row_into (st, 1, run);
        }
        hl_value_append (runs, &run);
    }
    if (rc != SQLITE_DONE) {
        hl_log_warning ("store: %s: runs: %s", self->path,
                        sqlite3_errmsg (self->reader));
        hl_value_destroy (&runs);
    }
    sqlite3_reset (st);
    return runs;
}

int
hl_store_report_paths (hl_store_t *self, uint64_t run_id, char *json_path,
                       char *md_path, size_t size)
{
    assert (self && json_path && md_path && size);
    sqlite3_stmt *st = s_read_stmt (self, S_RQ_REPORT);
    if (!st)
        return -1;
    hl_store_bind_u64 (st, 1, run_id);
    int rc = -1;
    if (sqlite3_step (st) == SQLITE_ROW) {
        const char *j = (const char *)sqlite3_column_text (st, 0);
        const char *m = (const char *)sqlite3_column_text (st, 1);
        int nj = snprintf (json_path, size, "%s", j ? j : "");
        int nm = snprintf (md_path, size, "%s", m ? m : "");
        rc = nj >= 0 && nm >= 0 && (size_t)nj < size && (size_t)nm < size ? 0
                                                                          : -1;
    }
    sqlite3_reset (st);
    return rc;
}

hl_value_t *
hl_store_rollups (hl_store_t *self, const char *metric, int64_t from_min,
                  int64_t to_min)
{
    assert (self && metric);
    sqlite3_stmt *st = s_read_stmt (self, S_RQ_ROLLUPS);
    if (!st)
        return NULL;
    sqlite3_bind_text (st, 1, metric, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, from_min);
    sqlite3_bind_int64 (st, 3, to_min);
    sqlite3_bind_int64 (st, 4, HL_STORE_QUERY_MAX);
    hl_value_t *rows = hl_value_new_array ();
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        hl_value_t *row = hl_value_new_map ();
        s_row_into (st, 0, row);
        hl_value_append (rows, &row);
    }
    if (rc != SQLITE_DONE) {
        hl_log_warning ("store: %s: rollups: %s", self->path,
                        sqlite3_errmsg (self->reader));
        hl_value_destroy (&rows);
    }
    sqlite3_reset (st);
    return rows;
}

void
hl_store_stats (const hl_store_t *self, hl_store_stats_t *stats)
{
    assert (self && stats);
    *stats = self->stats;
}

hl_value_t *
hl_store_desired_read (hl_store_t *self)
{
    assert (self);
    sqlite3_stmt *st = s_read_stmt (self, S_RQ_DESIRED);
    if (!st)
        return NULL;
    hl_value_t *rows = hl_value_new_array ();
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        hl_value_t *row = hl_value_new_map ();
        s_row_into (st, 0, row);
        hl_value_append (rows, &row);
    }
    if (rc != SQLITE_DONE) {
        hl_log_warning ("store: %s: desired: %s", self->path,
                        sqlite3_errmsg (self->reader));
        hl_value_destroy (&rows);
    }
    sqlite3_reset (st);
    return rows;
}
