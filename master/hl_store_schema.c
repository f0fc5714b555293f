/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_store_schema - the store's database file: its schema, one migration
    per version, and the checks at open (what the file is, WAL, the
    version, retention), made on a connection of the opener's own before
    the reader and the writer open it; and the small SQLite helpers the
    store's files share. A file of hl_store; it shares hl_store_priv.h.
*/
#include <czmq.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <string.h>

#include "../bus/hl_log.h"
#include "hl_store_priv.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

#define S_APP_ID 0x48454c53 /* PRAGMA application_id: "HELS" */

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
      "CREATE INDEX changes_open ON changes (id) WHERE " HL_STORE_NOT_FINAL ";"
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

//  Learning's "improvement" was the first verify metric's effect, which
//  could disagree with the verdict; it is measured again from here (as
//  hl_learning does with a file before its version 3), counts kept
static const char s_schema_2[]
    = "UPDATE learning SET entry = json_set (entry, '$.improvement', "
      "json ('null'), '$.measured', 0);";

//  The desired agent counts of helios-ctl scale (design §7, §9)
static const char s_schema_3[] = "CREATE TABLE IF NOT EXISTS desired ("
                                 "  role TEXT PRIMARY KEY,"
                                 "  count INTEGER NOT NULL,"
                                 "  host TEXT NOT NULL,"
                                 "  label TEXT NOT NULL,"
                                 "  updated_us INTEGER NOT NULL);";

typedef struct {
    int version; /* user_version once applied */
    const char *sql;
} s_migration_t;

static const s_migration_t s_migrations[]
    = { { 1, s_schema_1 }, { 2, s_schema_2 }, { 3, s_schema_3 } };

//  --------------------------------------------------------------------
//  SQLite helpers

int64_t
hl_store_now_us (void)
{
    return zclock_time () * 1000;
}

void
hl_store_bind_u64 (sqlite3_stmt *st, int i, uint64_t u)
{
    sqlite3_bind_int64 (st, i, (sqlite3_int64)u);
}

//  One statement without results; 0 or -1 with the reason in err
int
hl_store_exec (sqlite3 *db, const char *sql, char *err, size_t errsize)
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
int
hl_store_query_int (sqlite3 *db, const char *sql, int64_t *out, char *err,
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
    int64_t cut_us = hl_store_now_us () - days * HL_STORE_DAY_US;
    char sql[200];
    snprintf (sql, sizeof sql,
              "DELETE FROM rollups WHERE minute < %" PRId64 ";"
              "DELETE FROM audit WHERE ts_us < %" PRId64 ";",
              cut_us / HL_STORE_MINUTE_US, cut_us);
    return hl_store_exec (db, sql, err, errsize);
}

//  Check what the file is, set WAL, migrate and apply retention, on a
//  connection of the opener's own: the actor starts on a database ready
int
hl_store_prepare (const hl_store_opts_t *opts, char *err, size_t errsize)
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
    sqlite3_busy_timeout (db, HL_STORE_BUSY_MS);
    //  The first read of the file: a file that is not a database (or
    //  is damaged) fails here, before anything is written to it
    int64_t version, app_id, tables;
    if ((rc = hl_store_query_int (db, "PRAGMA user_version", &version, why,
                                  sizeof why))
        || (rc = hl_store_query_int (db, "PRAGMA application_id", &app_id, why,
                                     sizeof why))
        || (rc = hl_store_query_int (db, "SELECT count(*) FROM sqlite_master",
                                     &tables, why, sizeof why))) {
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
                  m->version, hl_store_now_us (), HL_VERSION, S_APP_ID,
                  m->version);
        //  BEGIN IMMEDIATE: one opener migrates, another then sees it done
        if (hl_store_exec (db, "BEGIN IMMEDIATE", why, sizeof why)
            || hl_store_query_int (db, "PRAGMA user_version", &version, why,
                                   sizeof why)) {
            snprintf (err, errsize, "%s: cannot migrate: %s", path, why);
            goto fail;
        }
        if (m->version > version
            && (hl_store_exec (db, m->sql, why, sizeof why)
                || hl_store_exec (db, sql, why, sizeof why))) {
            hl_store_exec (db, "ROLLBACK", ignored, sizeof ignored);
            snprintf (err, errsize, "%s: cannot migrate to version %d: %s",
                      path, m->version, why);
            goto fail;
        }
        if (hl_store_exec (db, "COMMIT", why, sizeof why)) {
            hl_store_exec (db, "ROLLBACK", ignored, sizeof ignored);
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
