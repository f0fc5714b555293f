/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_store - the master's durable state (design §7): one SQLite database
    in WAL mode under state_dir. It holds the runs, the state of every
    change, the tasks of runs (written before they are sent), learning and
    quarantines, the report index, per-minute metric rollups, the desired
    agent counts (helios-ctl scale) and the audit log of every decision.

    Writes never wait: the owner (the reactor) queues records into a batch
    that goes to the store actor as one message on its pipe, every
    HL_STORE_BATCH records or when hl_store_flush is called (the reactor
    does so every few milliseconds). The actor writes each batch, and
    whatever else is waiting, in one transaction. hl_store_sync asks to be
    told once everything queued before it is on disk: the engine sends an
    apply or a rollback only then, so a restarted master knows about every
    change that may have been made.

    When the disk is full (or any write fails), the actor keeps the records
    it could not write in memory, in order (bounded by bytes: the oldest
    rollups and audit records go first past the bound, counted), retries
    every second and catches up once space returns; hl_store_stats says
    so, and the master raises an alert. Syncs are told with an error while
    the store cannot write, so orchestration goes on from memory.

    Reads (hl_store_open's recovery state, audit, runs) are synchronous on
    a read connection of the owner's thread: WAL lets them run beside the
    writer. Each is bounded by a limit and served by an index.

    The schema carries a version (PRAGMA user_version) and a migration per
    version; a database written by a newer Helios is refused with a
    message saying so.
*/
#ifndef HL_STORE_H
#define HL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/hl_value.h"

#define HL_STORE_VERSION 3          /* the schema this code writes */
#define HL_STORE_BATCH 256          /* records queued before a batch goes */
#define HL_STORE_TEXT 4096          /* bytes kept of a free-text field */
#define HL_STORE_JSON (1024 * 1024) /* bytes of a JSON field kept whole */
#define HL_STORE_QUERY_MAX 16384    /* rows a read returns at most */

typedef struct _hl_store_t hl_store_t;

/*  The states of a change (design §7). A change is applying from the
    moment its apply is written until the apply's result; applied when it
    succeeded; verifying once its verify task is sent; then kept,
    rolled_back or failed (the apply failed and nothing was changed). */
typedef enum {
    HL_CHANGE_APPLYING,
    HL_CHANGE_APPLIED,
    HL_CHANGE_VERIFYING,
    HL_CHANGE_KEPT,
    HL_CHANGE_ROLLING_BACK, /* its rollback is sent */
    HL_CHANGE_ROLLED_BACK,
    HL_CHANGE_FAILED,
    HL_CHANGE_STATE_COUNT
} hl_change_state_t;

/*  The state's name ("applying"... "failed"), or NULL for no state. */
const char *hl_change_state_name (hl_change_state_t state);
/*  The state named name, or -1. */
int hl_change_state_parse (const char *name);
/*  kept, rolled_back and failed: nothing more will happen to it. */
bool hl_change_state_final (hl_change_state_t state);

typedef struct {
    const char *path;     /* the database file */
    int retention_days;   /* rollups and audit kept, 30 */
    size_t backlog_bytes; /* held in memory while writes fail, 64 MiB */
} hl_store_opts_t;

/*  A run, written when it starts and again when it ends. */
typedef struct {
    uint64_t id;
    const char *kind;         /* "optimization"... */
    const char *phase;        /* "collect"... "done" */
    const char *requested_by; /* "schedule", "ctl", "http", "watch",
                                 "emergency", "recovery" */
    int64_t started_us;
    int64_t finished_us; /* 0 while under way */
    double score_before; /* NAN: none */
    double score_after;
    const char *summary_json; /* hl_report_summary as JSON, or NULL */
} hl_store_run_t;

/*  A change: one action applied (or, for a recheck, rolled back) by a
    run. Its id is the run's id * 1000 + the action's index in the run,
    so it is known before anything is sent. */
typedef struct {
    uint64_t id;
    uint64_t run_id;
    const char *action;
    bool reverse; /* a recheck: the change is the rollback */
    hl_change_state_t state;
    uint64_t apply_task; /* 0 until known */
    uint64_t verify_task;
    uint64_t rollback_task;
    int64_t started_us;      /* the apply was written */
    int64_t window_end_us;   /* settle + window past the apply's result, or
                                0 before it */
    const char *verdict;     /* hl_verdict_name, or NULL */
    const char *params_json; /* the apply's params, or NULL */
    const char *verify_json; /* the verify task's args, to resend it */
    int64_t updated_us;
} hl_store_change_t;

/*  A task of a run: written before it is sent, again when it ends. */
typedef struct {
    uint64_t id;
    uint64_t run_id;
    uint64_t change_id; /* 0: not a change's */
    const char *kind;   /* hl_kind_name */
    const char *role;   /* hl_role_name */
    const char *action; /* or NULL */
    const char *status; /* "queued", then hl_task_status_name */
    int64_t created_us;
    int64_t ended_us; /* 0 while open */
} hl_store_task_t;

/*  One decision, for `helios-ctl audit`. */
typedef struct {
    int64_t ts_us;
    uint64_t run_id;    /* 0: none */
    const char *action; /* or NULL */
    const char *event;  /* "requested", "chosen", "skipped", "kept",
                           "rolled_back", "quarantined", "released",
                           "recovered"... */
    const char *who;    /* who asked ("schedule", "ctl", "http"...) */
    const char *why;    /* one line */
} hl_store_audit_t;

/*  One metric's minute. */
typedef struct {
    const char *metric;
    int64_t minute; /* unix seconds / 60 */
    uint64_t count;
    double sum, min, max, last, p95;
} hl_store_rollup_t;

/*  What a restarted master reads back (hl_store_recovered). */
typedef struct {
    uint64_t max_run_id;
    uint64_t max_task_id;
    hl_value_t *changes;   /* array of maps: every change not final, each
                              with the hl_store_change_t fields by name
                              (state by name, reverse a bool, NULL text
                              nil), by id */
    hl_value_t *tasks;     /* array of maps: every task still open, as
                              changes are, by id */
    hl_value_t *learning;  /* map action -> its entry as saved, or NULL
                              if none (or an empty map) was */
    hl_value_t *runs;      /* array of maps: runs never finished (a NAN
                              score nil), by id */
    hl_value_t *in_effect; /* array of maps {action}: the actions whose
                              last settled change was kept */
} hl_store_recovery_t;

typedef struct {
    bool writable;         /* the last write succeeded */
    uint64_t written;      /* records committed */
    uint64_t transactions; /* batches committed */
    uint64_t failures;     /* transactions that failed (disk full...) */
    uint64_t backlog;      /* records waiting to be written */
    uint64_t backlog_bytes;
    uint64_t dropped; /* records given up past backlog_bytes */
    char error[256];  /* the last failure, "" when writable */
} hl_store_stats_t;

/*  Open (or create) the database, migrate it to HL_STORE_VERSION, delete
    what is past retention, read the recovery state, start the actor. Its
    folder must exist. NULL, with the reason in err, if it cannot be
    opened, is not a Helios database, or was written by a newer Helios
    ("helios.db has schema version 3; this Helios knows up to 1: upgrade
    Helios"). */
hl_store_t *hl_store_open (const hl_store_opts_t *opts, char *err,
                           size_t errsize);

/*  Write everything queued (waiting up to 5 s for the disk), stop the
    actor, close. Syncs not told by then never are. Accepts NULL; nulls
    *self_p. */
void hl_store_destroy (hl_store_t **self_p);

/*  The actor's pipe, for the owner's zloop: when it is readable, call
    hl_store_handle, which tells syncs and takes stats. */
void *hl_store_sock (hl_store_t *self);
void hl_store_handle (hl_store_t *self);

/*  Queue a record (copied: text cut at HL_STORE_TEXT on a UTF-8
    boundary; a JSON field is kept whole, or left out, with a warning,
    past HL_STORE_JSON). Never waits. Written again with the same key, a
    record replaces the row, except that a NULL JSON field keeps the one
    stored (a change's params need not be sent with each new state). */
void hl_store_run (hl_store_t *self, const hl_store_run_t *run);
void hl_store_change (hl_store_t *self, const hl_store_change_t *change);
void hl_store_task (hl_store_t *self, const hl_store_task_t *task);
void hl_store_audit (hl_store_t *self, const hl_store_audit_t *audit);
void hl_store_rollup (hl_store_t *self, const hl_store_rollup_t *rollup);
/*  Learning: the whole state as hl_learning_to_value gives it (a map;
    anything else is refused with a warning). It replaces what is stored. */
void hl_store_learning (hl_store_t *self, const hl_value_t *learning);
/*  A report's files, by run. */
void hl_store_report (hl_store_t *self, uint64_t run_id, const char *kind,
                      const char *json_path, const char *md_path);

/*  The desired count of role's agents (helios-ctl scale), on host or
    nodes labelled label ("k=v") when not NULL or "": replaces the role's
    row. */
void hl_store_desired (hl_store_t *self, const char *role, int64_t count,
                       const char *host, const char *label);

/*  Every role's desired count, by role: array of maps {role, count,
    host, label} ("" for none); NULL on a read failure. */
hl_value_t *hl_store_desired_read (hl_store_t *self);

/*  Send the batch queued so far to the actor. A batch the pipe cannot
    take at once (the actor far behind) stays queued, in order, for the
    next record, flush or sync. */
void hl_store_flush (hl_store_t *self);

/*  Flush, and call fn (arg, rc) from hl_store_handle once everything
    queued before is committed (rc 0) or could not be (rc -1: the store
    cannot write; the records wait in memory). */
typedef void (hl_store_sync_fn) (void *arg, int rc);
void hl_store_sync (hl_store_t *self, hl_store_sync_fn *fn, void *arg);

/*  What the last open read back (NULL once done); the store keeps
    ownership, and frees it with hl_store_recovered_done. */
/*  hl_store_sync, waited for: 0 once everything queued so far is
    committed, -1 if the store cannot write or timeout_ms passed first
    (syncs and stats that arrive meanwhile are handled). For the one
    write the reactor waits for: a change's record before its task. */
int hl_store_commit (hl_store_t *self, int timeout_ms);

const hl_store_recovery_t *hl_store_recovered (hl_store_t *self);
void hl_store_recovered_done (hl_store_t *self);

/*  The audit log, oldest first, since since_us (0: all), of action (NULL:
    all), at most limit records (the newest of them; limit is capped at
    HL_STORE_QUERY_MAX). Array of maps {ts (ISO 8601), ts_us, run,
    action, event, who, why}; NULL with err on a read failure. */
hl_value_t *hl_store_audit_query (hl_store_t *self, int64_t since_us,
                                  const char *action, size_t limit, char *err,
                                  size_t errsize);

/*  The summaries of the last limit finished runs (capped as above),
    newest first: each the summary_json written, or for a run without
    one a map {id, kind, phase, requested_by, started_us, finished_us};
    NULL on a read failure. */
hl_value_t *hl_store_runs (hl_store_t *self, size_t limit);
/*  The report files of run id ("" for one not written): 0, or -1 for a
    run without a report, a read failure or a path longer than size. */
int hl_store_report_paths (hl_store_t *self, uint64_t run_id, char *json_path,
                           char *md_path, size_t size);

/*  Rollups of metric from from_min to to_min (inclusive), oldest first
    (the first HL_STORE_QUERY_MAX): array of maps {minute, count, sum,
    min, max, last, p95}, a NAN nil; NULL on a read failure. */
hl_value_t *hl_store_rollups (hl_store_t *self, const char *metric,
                              int64_t from_min, int64_t to_min);

/*  The actor's figures as of its last report (after a transaction, at
    most five a second; at once when writable changes; with each sync). */
void hl_store_stats (const hl_store_t *self, hl_store_stats_t *stats);

#endif
