/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_store - the master's SQLite store. The owner queues copies of
    records into a batch and hands it to the store actor as one pointer
    message; the actor owns the write connection and the records it has
    not committed (in order), writes whatever waits in one transaction of
    prepared statements, and answers syncs and sends its figures back on
    the pipe. Reads go through a read-only connection of the owner's
    thread; WAL lets them run beside the writer.
*/
#include <czmq.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_report.h"
#include "hl_store.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

#define S_APP_ID 0x48454c53    /* PRAGMA application_id: "HELS" */
#define S_BUSY_MS 5000         /* a lock held by another connection */
#define S_RETRY_MS 1000        /* between writes while they fail */
#define S_STATS_MS 200         /* between two reports of the figures */
#define S_RETENTION_MS 3600000 /* between two retention passes */
#define S_CHUNK 4096           /* records in one transaction at most */
#define S_FINISH_MS 5000       /* destroy waits this long for the disk */
#define S_WAL_LIMIT (32 << 20) /* bytes a checkpointed WAL keeps */
#define S_STRS 4               /* strings a record owns at most */
#define S_MINUTE_US INT64_C (60000000)
#define S_DAY_US INT64_C (86400000000)

static const char *s_state_names[HL_CHANGE_STATE_COUNT]
    = { "applying",     "applied",     "verifying", "kept",
        "rolling_back", "rolled_back", "failed" };

//  Text of the non-final states' test: the query must repeat the partial
//  index's condition for the planner to use it
#define S_NOT_FINAL "state NOT IN ('kept', 'rolled_back', 'failed')"

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
//  Schema: one migration per version, applied in order in one
//  transaction each; user_version says which have been

static const char s_schema_1[]
    = "CREATE TABLE migrations ("
      "  version INTEGER PRIMARY KEY,"
      "  applied_us INTEGER NOT NULL,"
      "  helios TEXT NOT NULL);"
      "CREATE TABLE runs ("
      "  id INTEGER PRIMARY KEY,"
      "  kind TEXT NOT NULL,"
      "  phase TEXT NOT NULL,"
      "  requested_by TEXT NOT NULL,"
      "  started_us INTEGER NOT NULL,"
      "  finished_us INTEGER NOT NULL,"
      "  score_before REAL,"
      "  score_after REAL,"
      "  summary_json TEXT);"
      //  Recovery reads the unfinished, `runs` the finished, newest first
      "CREATE INDEX runs_open ON runs (id) WHERE finished_us = 0;"
      "CREATE INDEX runs_done ON runs (id) WHERE finished_us <> 0;"
      "CREATE TABLE changes ("
      "  id INTEGER PRIMARY KEY,"
      "  run_id INTEGER NOT NULL,"
      "  action TEXT NOT NULL,"
      "  reverse INTEGER NOT NULL,"
      "  state TEXT NOT NULL,"
      "  apply_task INTEGER NOT NULL,"
      "  verify_task INTEGER NOT NULL,"
      "  rollback_task INTEGER NOT NULL,"
      "  started_us INTEGER NOT NULL,"
      "  window_end_us INTEGER NOT NULL,"
      "  verdict TEXT,"
      "  params_json TEXT,"
      "  verify_json TEXT,"
      "  updated_us INTEGER NOT NULL);"
      "CREATE INDEX changes_open ON changes (id) WHERE " S_NOT_FINAL ";"
      "CREATE TABLE tasks ("
      "  id INTEGER PRIMARY KEY,"
      "  run_id INTEGER NOT NULL,"
      "  change_id INTEGER NOT NULL,"
      "  kind TEXT NOT NULL,"
      "  role TEXT NOT NULL,"
      "  action TEXT,"
      "  status TEXT NOT NULL,"
      "  created_us INTEGER NOT NULL,"
      "  ended_us INTEGER NOT NULL);"
      "CREATE INDEX tasks_open ON tasks (id) WHERE ended_us = 0;"
      "CREATE TABLE audit ("
      "  id INTEGER PRIMARY KEY,"
      "  ts_us INTEGER NOT NULL,"
      "  run_id INTEGER NOT NULL,"
      "  action TEXT,"
      "  event TEXT NOT NULL,"
      "  who TEXT,"
      "  why TEXT);"
      //  The query by time (and retention), and by action and time
      "CREATE INDEX audit_ts ON audit (ts_us);"
      "CREATE INDEX audit_action_ts ON audit (action, ts_us);"
      "CREATE TABLE rollups ("
      "  metric TEXT NOT NULL,"
      "  minute INTEGER NOT NULL,"
      "  count INTEGER NOT NULL,"
      "  sum REAL, min REAL, max REAL, last REAL, p95 REAL,"
      "  PRIMARY KEY (metric, minute)) WITHOUT ROWID;"
      "CREATE INDEX rollups_minute ON rollups (minute);"
      //  One row per action, in the order of the map written; gen tells
      //  the rows of the last write from those of actions gone since
      "CREATE TABLE learning ("
      "  action TEXT PRIMARY KEY,"
      "  pos INTEGER NOT NULL,"
      "  entry TEXT NOT NULL,"
      "  gen INTEGER NOT NULL,"
      "  updated_us INTEGER NOT NULL);"
      "CREATE TABLE reports ("
      "  run_id INTEGER PRIMARY KEY,"
      "  kind TEXT NOT NULL,"
      "  json_path TEXT,"
      "  md_path TEXT);";

typedef struct {
    int version; /* user_version once applied */
    const char *sql;
} s_migration_t;

static const s_migration_t s_migrations[] = { { 1, s_schema_1 } };

//  --------------------------------------------------------------------
//  Records

typedef enum {
    S_RUN,
    S_CHANGE,
    S_TASK,
    S_AUDIT,
    S_ROLLUP,
    S_LEARNING,
    S_REPORT,
    S_SYNC, /* a marker: answer once what comes before is committed */
    S_DEAD  /* dropped or superseded; skipped */
} s_kind_t;

typedef struct {
    s_kind_t kind;
    size_t bytes;       /* counted against the backlog bound */
    char *strs[S_STRS]; /* owned; the fields below point into them */
    union {
        hl_store_run_t run;
        hl_store_change_t change;
        hl_store_task_t task;
        hl_store_audit_t audit;
        hl_store_rollup_t rollup;
        const char *learning; /* the map as JSON */
        struct {
            uint64_t run_id;
            const char *kind, *json_path, *md_path;
        } report;
        uint64_t sync; /* the sync's id */
    } u;
} s_rec_t;

static s_rec_t *
s_rec_new (s_kind_t kind)
{
    s_rec_t *rec = (s_rec_t *)hl_alloc (sizeof *rec);
    rec->kind = kind;
    rec->bytes = sizeof *rec;
    return rec;
}

//  Free what a record holds and mark it dead; its shell stays
static void
s_rec_kill (s_rec_t *rec)
{
    for (int i = 0; i < S_STRS; i++) {
        free (rec->strs[i]);
        rec->strs[i] = NULL;
    }
    rec->kind = S_DEAD;
    rec->bytes = 0;
}

static void
s_rec_destroy (s_rec_t **rec_p)
{
    if (*rec_p) {
        s_rec_kill (*rec_p);
        free (*rec_p);
        *rec_p = NULL;
    }
}

//  A free-text field: at most HL_STORE_TEXT bytes, cut before a UTF-8
//  continuation byte so that the text stays valid
static const char *
s_text (s_rec_t *rec, int slot, const char *s)
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
s_name (s_rec_t *rec, int slot, const char *s)
{
    return s_text (rec, slot, s ? s : "");
}

//  A JSON field: whole, since a cut one would not parse
static const char *
s_json (s_rec_t *rec, int slot, const char *s, const char *what)
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

//  A batch: the records the owner queued, handed over as one message
typedef struct {
    s_rec_t **recs;
    size_t n, cap;
} s_batch_t;

static void
s_batch_add (s_batch_t *batch, s_rec_t *rec)
{
    if (batch->n == batch->cap) {
        batch->cap = batch->cap ? batch->cap * 2 : HL_STORE_BATCH;
        batch->recs = (s_rec_t **)hl_realloc (batch->recs,
                                              batch->cap * sizeof (s_rec_t *));
    }
    batch->recs[batch->n++] = rec;
}

static void
s_batch_destroy (s_batch_t **batch_p)
{
    s_batch_t *batch = *batch_p;
    if (!batch)
        return;
    for (size_t i = 0; i < batch->n; i++)
        s_rec_destroy (&batch->recs[i]);
    free (batch->recs);
    free (batch);
    *batch_p = NULL;
}

//  --------------------------------------------------------------------
//  SQLite helpers

static int64_t
s_now_us (void)
{
    return zclock_time () * 1000;
}

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

static void
s_bind_u64 (sqlite3_stmt *st, int i, uint64_t u)
{
    sqlite3_bind_int64 (st, i, (sqlite3_int64)u);
}

//  One statement without results; 0 or -1 with the reason in err
static int
s_exec (sqlite3 *db, const char *sql, char *err, size_t errsize)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf (err, errsize, "%s", msg ? msg : sqlite3_errmsg (db));
    sqlite3_free (msg);
    return -1;
}

//  One integer from a query of one row; 0, or SQLite's error code with
//  the reason in err
static int
s_query_int (sqlite3 *db, const char *sql, int64_t *out, char *err,
             size_t errsize)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step (st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64 (st, 0);
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        snprintf (err, errsize, "%s", sqlite3_errmsg (db));
    sqlite3_finalize (st);
    return rc == SQLITE_OK ? 0 : rc & 0xff;
}

static int
s_retention (sqlite3 *db, int days, char *err, size_t errsize)
{
    int64_t cut_us = s_now_us () - days * S_DAY_US;
    char sql[200];
    snprintf (sql, sizeof sql,
              "DELETE FROM rollups WHERE minute < %" PRId64 ";"
              "DELETE FROM audit WHERE ts_us < %" PRId64 ";",
              cut_us / S_MINUTE_US, cut_us);
    return s_exec (db, sql, err, errsize);
}

//  Check what the file is, set WAL, migrate and apply retention, on a
//  connection of the opener's own: the actor starts on a database ready
static int
s_prepare (const hl_store_opts_t *opts, char *err, size_t errsize)
{
    const char *path = opts->path;
    char why[256] = "", ignored[8];
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2 (
        path, &db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf (err, errsize, "%s: cannot open: %s", path,
                  db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
        goto fail;
    }
    sqlite3_busy_timeout (db, S_BUSY_MS);
    //  The first read of the file: a file that is not a database (or
    //  is damaged) fails here, before anything is written to it
    int64_t version, app_id, tables;
    if ((rc
         = s_query_int (db, "PRAGMA user_version", &version, why, sizeof why))
        || (rc = s_query_int (db, "PRAGMA application_id", &app_id, why,
                              sizeof why))
        || (rc = s_query_int (db, "SELECT count(*) FROM sqlite_master", &tables,
                              why, sizeof why))) {
        snprintf (err, errsize,
                  rc == SQLITE_NOTADB ? "%s: not a Helios database: %s"
                                      : "%s: cannot read: %s",
                  path, why);
        goto fail;
    }
    if ((app_id != 0 && app_id != S_APP_ID) || (version == 0 && tables > 0)) {
        snprintf (err, errsize,
                  "%s: not a Helios database: a SQLite database of something "
                  "else",
                  path);
        goto fail;
    }
    if (version > HL_STORE_VERSION) {
        snprintf (err, errsize,
                  "%s has schema version %" PRId64
                  "; this Helios knows up to %d: upgrade Helios",
                  path, version, HL_STORE_VERSION);
        goto fail;
    }
    //  WAL is a property of the file: set once, every connection uses it
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2 (db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    const char *mode = st && sqlite3_step (st) == SQLITE_ROW
                           ? (const char *)sqlite3_column_text (st, 0)
                           : NULL;
    bool wal = mode && strcasecmp (mode, "wal") == 0;
    snprintf (why, sizeof why, "%s", mode ? mode : sqlite3_errmsg (db));
    sqlite3_finalize (st);
    if (!wal) {
        snprintf (err, errsize, "%s: cannot use WAL (journal mode: %s)", path,
                  why);
        goto fail;
    }
    for (size_t i = 0; i < sizeof s_migrations / sizeof s_migrations[0]; i++) {
        const s_migration_t *m = &s_migrations[i];
        if (m->version <= version)
            continue;
        char sql[256];
        snprintf (sql, sizeof sql,
                  "INSERT INTO migrations VALUES (%d, %" PRId64 ", '%s');"
                  "PRAGMA application_id = %d; PRAGMA user_version = %d;",
                  m->version, s_now_us (), HL_VERSION, S_APP_ID, m->version);
        //  BEGIN IMMEDIATE: one opener migrates, another then sees it done
        if (s_exec (db, "BEGIN IMMEDIATE", why, sizeof why)
            || s_query_int (db, "PRAGMA user_version", &version, why,
                            sizeof why)) {
            snprintf (err, errsize, "%s: cannot migrate: %s", path, why);
            goto fail;
        }
        if (m->version > version
            && (s_exec (db, m->sql, why, sizeof why)
                || s_exec (db, sql, why, sizeof why))) {
            s_exec (db, "ROLLBACK", ignored, sizeof ignored);
            snprintf (err, errsize, "%s: cannot migrate to version %d: %s",
                      path, m->version, why);
            goto fail;
        }
        if (s_exec (db, "COMMIT", why, sizeof why)) {
            s_exec (db, "ROLLBACK", ignored, sizeof ignored);
            snprintf (err, errsize, "%s: cannot migrate: %s", path, why);
            goto fail;
        }
        if (m->version > version)
            hl_log_notice ("store: %s: schema version %d", path, m->version);
        version = m->version;
    }
    //  A full disk may refuse the deletion: it is tried again within the
    //  hour, and nothing else depends on it
    if (s_retention (db, opts->retention_days, why, sizeof why))
        hl_log_warning ("store: %s: retention: %s", path, why);
    sqlite3_close (db);
    return 0;

fail:
    sqlite3_close (db);
    return -1;
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
    s_rec_t **pend;
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

typedef struct {
    const char *path;
    int retention_days;
    size_t backlog_bytes;
} s_start_t;

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
s_droppable (const s_rec_t *rec)
{
    return rec->kind == S_ROLLUP || rec->kind == S_AUDIT;
}

static void
s_drop (s_actor_t *self, s_rec_t *rec)
{
    self->live--;
    self->bytes -= rec->bytes;
    s_rec_kill (rec);
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
s_append (s_actor_t *self, s_rec_t *rec)
{
    if (rec->kind == S_SYNC && !self->stats.writable) {
        //  Told at once: its records only wait in memory
        s_reply (self, rec->u.sync, -1);
        s_rec_destroy (&rec);
        return;
    }
    if (self->tail == self->cap) {
        if (self->head > 0) {
            //  Slide down rather than grow
            size_t n = self->tail - self->head;
            memmove (self->pend, self->pend + self->head,
                     n * sizeof (s_rec_t *));
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
            self->pend = (s_rec_t **)hl_realloc (
                self->pend, self->cap * sizeof (s_rec_t *));
        }
    }
    if (rec->kind == S_LEARNING) {
        //  The whole state each time: an unwritten one is superseded
        if (self->learning_at >= self->head && self->learning_at < self->tail
            && self->pend[self->learning_at]->kind == S_LEARNING)
            s_drop (self, self->pend[self->learning_at]);
        self->learning_at = self->tail;
    }
    if (rec->kind != S_SYNC) {
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
    int64_t now = s_now_us ();
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
        s_bind_u64 (st, 4, gen);
        sqlite3_bind_int64 (st, 5, now);
        rc = s_step (st);
        free (json);
        if (rc != SQLITE_OK)
            break;
    }
    json_decref (map);
    if (rc == SQLITE_OK) {
        s_bind_u64 (self->st[S_ST_LEARNING_PRUNE], 1, gen);
        rc = s_step (self->st[S_ST_LEARNING_PRUNE]);
    }
    return rc;
}

static int
s_write_rec (s_actor_t *self, const s_rec_t *rec)
{
    sqlite3_stmt *st;
    switch (rec->kind) {
        case S_RUN: {
            const hl_store_run_t *r = &rec->u.run;
            st = self->st[S_ST_RUN];
            s_bind_u64 (st, 1, r->id);
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
        case S_CHANGE: {
            const hl_store_change_t *c = &rec->u.change;
            st = self->st[S_ST_CHANGE];
            s_bind_u64 (st, 1, c->id);
            s_bind_u64 (st, 2, c->run_id);
            s_bind_text (st, 3, c->action);
            sqlite3_bind_int (st, 4, c->reverse);
            s_bind_text (st, 5, hl_change_state_name (c->state));
            s_bind_u64 (st, 6, c->apply_task);
            s_bind_u64 (st, 7, c->verify_task);
            s_bind_u64 (st, 8, c->rollback_task);
            sqlite3_bind_int64 (st, 9, c->started_us);
            sqlite3_bind_int64 (st, 10, c->window_end_us);
            s_bind_text (st, 11, c->verdict);
            s_bind_text (st, 12, c->params_json);
            s_bind_text (st, 13, c->verify_json);
            sqlite3_bind_int64 (st, 14, c->updated_us);
            return s_step (st);
        }
        case S_TASK: {
            const hl_store_task_t *t = &rec->u.task;
            st = self->st[S_ST_TASK];
            s_bind_u64 (st, 1, t->id);
            s_bind_u64 (st, 2, t->run_id);
            s_bind_u64 (st, 3, t->change_id);
            s_bind_text (st, 4, t->kind);
            s_bind_text (st, 5, t->role);
            s_bind_text (st, 6, t->action);
            s_bind_text (st, 7, t->status);
            sqlite3_bind_int64 (st, 8, t->created_us);
            sqlite3_bind_int64 (st, 9, t->ended_us);
            return s_step (st);
        }
        case S_AUDIT: {
            const hl_store_audit_t *a = &rec->u.audit;
            st = self->st[S_ST_AUDIT];
            sqlite3_bind_int64 (st, 1, a->ts_us);
            s_bind_u64 (st, 2, a->run_id);
            s_bind_text (st, 3, a->action);
            s_bind_text (st, 4, a->event);
            s_bind_text (st, 5, a->who);
            s_bind_text (st, 6, a->why);
            return s_step (st);
        }
        case S_ROLLUP: {
            const hl_store_rollup_t *r = &rec->u.rollup;
            st = self->st[S_ST_ROLLUP];
            s_bind_text (st, 1, r->metric);
            sqlite3_bind_int64 (st, 2, r->minute);
            s_bind_u64 (st, 3, r->count);
            s_bind_double (st, 4, r->sum);
            s_bind_double (st, 5, r->min);
            s_bind_double (st, 6, r->max);
            s_bind_double (st, 7, r->last);
            s_bind_double (st, 8, r->p95);
            return s_step (st);
        }
        case S_LEARNING:
            return s_write_learning (self, rec->u.learning);
        case S_REPORT:
            st = self->st[S_ST_REPORT];
            s_bind_u64 (st, 1, rec->u.report.run_id);
            s_bind_text (st, 2, rec->u.report.kind);
            s_bind_text (st, 3, rec->u.report.json_path);
            s_bind_text (st, 4, rec->u.report.md_path);
            return s_step (st);
        case S_SYNC:
        case S_DEAD:
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
        s_rec_t *rec = self->pend[i];
        if (rec->kind == S_SYNC || rec->kind == S_DEAD)
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
        if (self->pend[i]->kind == S_SYNC) {
            upto = self->pend[i]->u.sync;
            s_rec_kill (self->pend[i]);
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
            if (self->pend[i]->kind == S_SYNC)
                upto = self->pend[i]->u.sync;
            else if (self->pend[i]->kind != S_DEAD)
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
            if (self->pend[i]->kind != S_SYNC && self->pend[i]->kind != S_DEAD)
                s_drop (self, self->pend[i]);
            s_rec_destroy (&self->pend[i]);
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
    int64_t cut_us = s_now_us () - self->retention_days * S_DAY_US;
    sqlite3_bind_int64 (self->st[S_ST_RETAIN_ROLLUPS], 1, cut_us / S_MINUTE_US);
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
            s_batch_t *batch = (s_batch_t *)ptr;
            for (size_t i = 0; i < batch->n; i++) {
                s_append (self, batch->recs[i]);
                batch->recs[i] = NULL;
            }
            s_batch_destroy (&batch);
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
    sqlite3_busy_timeout (self->db, S_BUSY_MS);
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
    if (s_exec (self->db, sql, err, sizeof err)
        || s_query_int (self->db,
                        "SELECT coalesce (max (gen), 0) FROM learning", &gen,
                        err, sizeof err)) {
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

static void
s_actor (zsock_t *pipe, void *arg)
{
    const s_start_t *start = (const s_start_t *)arg;
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
        s_rec_destroy (&self->pend[i]);
    free (self->pend);
    free (self->replies);
    for (int i = 0; i < S_ST_COUNT; i++)
        sqlite3_finalize (self->st[i]);
    sqlite3_close (self->db);
    free (self->path);
    //  The exit signal must not meet a full pipe and be lost
    zsock_set_sndtimeo (pipe, -1);
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
};

struct _hl_store_t {
    zactor_t *actor;
    char *path;
    sqlite3 *reader; /* read-only, this thread's */
    sqlite3_stmt *rq[S_RQ_COUNT];
    s_batch_t *batch; /* queued, not yet handed over */
    s_sync_t *syncs;  /* not yet told, by id */
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
    if (s_query_int (self->reader, "SELECT coalesce (max (id), 0) FROM runs",
                     &max_run, why, sizeof why)
        || s_query_int (self->reader,
                        "SELECT coalesce (max (id), 0) FROM tasks", &max_task,
                        why, sizeof why))
        goto fail;
    r->max_run_id = (uint64_t)max_run;
    r->max_task_id = (uint64_t)max_task;
    r->changes = s_rows (self->reader,
                         "SELECT id, run_id, action, reverse, state,"
                         " apply_task, verify_task, rollback_task, started_us,"
                         " window_end_us, verdict, params_json, verify_json,"
                         " updated_us FROM changes WHERE " S_NOT_FINAL
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
    if (s_prepare (opts, err, errsize))
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
    sqlite3_busy_timeout (self->reader, S_BUSY_MS);
    //  Before the actor: nothing is written while recovery reads
    if (s_recover (self, err, errsize))
        goto fail;

    s_start_t start = { opts->path, opts->retention_days, opts->backlog_bytes };
    self->actor = zactor_new (s_actor, &start);
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
    s_batch_destroy (&self->batch);
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
s_queue (hl_store_t *self, s_rec_t *rec)
{
    if (!self->batch)
        self->batch = (s_batch_t *)hl_alloc (sizeof (s_batch_t));
    s_batch_add (self->batch, rec);
    if (self->batch->n >= HL_STORE_BATCH)
        s_flush (self);
}

void
hl_store_run (hl_store_t *self, const hl_store_run_t *run)
{
    assert (self && run);
    s_rec_t *rec = s_rec_new (S_RUN);
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
    s_rec_t *rec = s_rec_new (S_CHANGE);
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
    s_rec_t *rec = s_rec_new (S_TASK);
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
    s_rec_t *rec = s_rec_new (S_AUDIT);
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
    s_rec_t *rec = s_rec_new (S_ROLLUP);
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
    s_rec_t *rec = s_rec_new (S_LEARNING);
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
    s_rec_t *rec = s_rec_new (S_REPORT);
    rec->u.report.run_id = run_id;
    rec->u.report.kind = s_name (rec, 0, kind);
    rec->u.report.json_path = s_text (rec, 1, json_path);
    rec->u.report.md_path = s_text (rec, 2, md_path);
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
    s_rec_t *rec = s_rec_new (S_SYNC);
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
    s_bind_u64 (st, 1, run_id);
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
