/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_store_priv - what the store's three files share: the records the
    owner queues and the batch that hands them over, the start of the
    writer actor, and the SQLite helpers. hl_store.c is the owner's side,
    hl_store_actor.c the writer actor, hl_store_schema.c the schema, its
    migrations and the checks of the file at open. Not for other modules.
*/
#ifndef HL_STORE_PRIV_H
#define HL_STORE_PRIV_H

#include <czmq.h>
#include <sqlite3.h>

#include "hl_store.h"

#define HL_STORE_BUSY_MS 5000 /* a lock held by another connection */
#define HL_STORE_STRS 4       /* strings a record owns at most */
#define HL_STORE_MINUTE_US INT64_C (60000000)
#define HL_STORE_DAY_US INT64_C (86400000000)

//  Text of the non-final states' test: the query must repeat the partial
//  index's condition for the planner to use it
#define HL_STORE_NOT_FINAL "state NOT IN ('kept', 'rolled_back', 'failed')"

//  --------------------------------------------------------------------
//  Records

typedef enum {
    HL_STORE_REC_RUN,
    HL_STORE_REC_CHANGE,
    HL_STORE_REC_TASK,
    HL_STORE_REC_AUDIT,
    HL_STORE_REC_ROLLUP,
    HL_STORE_REC_LEARNING,
    HL_STORE_REC_REPORT,
    HL_STORE_REC_DESIRED,
    HL_STORE_REC_SYNC, /* a marker: answer once what comes before is
                          committed */
    HL_STORE_REC_DEAD  /* dropped or superseded; skipped */
} hl_store_rec_kind_t;

typedef struct {
    hl_store_rec_kind_t kind;
    size_t bytes;              /* counted against the backlog bound */
    char *strs[HL_STORE_STRS]; /* owned; the fields below point into them */
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
        struct {
            const char *role, *host, *label;
            int64_t count;
        } desired;
        uint64_t sync; /* the sync's id */
    } u;
} hl_store_rec_t;

/*  Free what a record holds and mark it dead; its shell stays. */
void hl_store_rec_kill (hl_store_rec_t *rec);

/*  Free a record and what it holds; NULL is fine. */
void hl_store_rec_destroy (hl_store_rec_t **rec_p);

/*  A batch: the records the owner queued, handed over as one message. */
typedef struct {
    hl_store_rec_t **recs;
    size_t n, cap;
} hl_store_batch_t;

/*  Free a batch and the records it still holds; NULL is fine. */
void hl_store_batch_destroy (hl_store_batch_t **batch_p);

//  --------------------------------------------------------------------
//  The writer actor (hl_store_actor.c)

/*  What the actor starts from: borrowed for its start only. */
typedef struct {
    const char *path;
    int retention_days;
    size_t backlog_bytes;
} hl_store_start_t;

/*  The actor: arg is an hl_store_start_t. It says "READY", or "FAILED"
    with the reason in its stats, as [command][upto][rc][stats]; then takes
    "BATCH" [pointer] (an hl_store_batch_t it then owns), answers syncs
    ("SYNC") and sends its figures ("STATS") the same way. */
void hl_store_actor (zsock_t *pipe, void *arg);

//  --------------------------------------------------------------------
//  The file and SQLite helpers (hl_store_schema.c)

/*  Check what the file is, set WAL, migrate and apply retention, on a
    connection of the opener's own; 0, or -1 with the reason in err. */
int hl_store_prepare (const hl_store_opts_t *opts, char *err, size_t errsize);

/*  The wall clock in microseconds. */
int64_t hl_store_now_us (void);

/*  Bind an unsigned id. */
void hl_store_bind_u64 (sqlite3_stmt *st, int i, uint64_t u);

/*  One statement without results; 0 or -1 with the reason in err. */
int hl_store_exec (sqlite3 *db, const char *sql, char *err, size_t errsize);

/*  One integer from a query of one row; 0, or SQLite's error code with
    the reason in err. */
int hl_store_query_int (sqlite3 *db, const char *sql, int64_t *out, char *err,
                        size_t errsize);

#endif
