/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_store - the master's SQLite store in a temporary folder: every
    record kind written, read back and recovered after a reopen; upserts;
    what recovery holds; syncs told in order; batching; a newer schema
    and a file that is no database refused; the audit query's filters;
    retention; records queued at destroy written; and, on a small tmpfs
    filled to the last byte (root only), writes held in memory while the
    disk is full, the bound on them, and the catch-up once space returns.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "../../master/hl_store.h"

static char s_dir[] = "/tmp/hl_store_test.XXXXXX";
static char s_mnt[300]; /* a tmpfs mounted here while a test runs */

#define S_WAIT_MS 10000 /* the longest any condition is waited for */

//  Times within retention: now, whole seconds, set at setup
static int64_t s_now_us;
static int64_t s_now_min;

//  --------------------------------------------------------------------
//  Helpers

static void
s_path (const char *name, char *path, size_t size)
{
    snprintf (path, size, "%s/%s", s_dir, name);
}

static hl_store_t *
s_open_at (const char *path, int retention_days, size_t backlog_bytes)
{
    hl_store_opts_t opts = { path, retention_days, backlog_bytes };
    char err[512];
    hl_store_t *store = hl_store_open (&opts, err, sizeof err);
    if (!store)
        fail_msg ("open %s: %s", path, err);
    return store;
}

static hl_store_t *
s_open (const char *name)
{
    char path[512];
    s_path (name, path, sizeof path);
    return s_open_at (path, 30, 64 << 20);
}

//  Read what the actor sends for up to ms, or until cond holds
typedef bool (s_cond_fn) (hl_store_t *store, void *arg);

static bool
s_wait (hl_store_t *store, s_cond_fn *cond, void *arg, int ms)
{
    int64_t deadline = zclock_mono () + ms;
    zpoller_t *poller = zpoller_new (hl_store_sock (store), NULL);
    bool met = cond (store, arg);
    while (!met && zclock_mono () < deadline) {
        zpoller_wait (poller, 50);
        hl_store_handle (store);
        met = cond (store, arg);
    }
    zpoller_destroy (&poller);
    return met;
}

typedef struct {
    int calls;
    int rc;
    int order[8]; /* the tags of the syncs told, in order */
    int told;
} s_told_t;

typedef struct {
    s_told_t *told;
    int tag;
    hl_store_t *store;
    size_t audit_seen; /* audit rows readable when told */
} s_sync_arg_t;

static void
s_on_sync (void *arg, int rc)
{
    s_sync_arg_t *a = (s_sync_arg_t *)arg;
    a->told->calls++;
    a->told->rc = rc;
    if (a->told->told < 8)
        a->told->order[a->told->told++] = a->tag;
    if (a->store) {
        hl_value_t *rows
            = hl_store_audit_query (a->store, 0, NULL, 100000, NULL, 0);
        a->audit_seen = hl_value_size (rows);
        hl_value_destroy (&rows);
    }
}

static bool
s_called (hl_store_t *store, void *arg)
{
    (void)store;
    return ((s_told_t *)arg)->calls > 0;
}

static bool
s_all_three (hl_store_t *store, void *arg)
{
    (void)store;
    return ((s_told_t *)arg)->calls >= 3;
}

//  Sync and wait to be told; the rc
static int
s_sync (hl_store_t *store)
{
    s_told_t told = { 0 };
    s_sync_arg_t arg = { &told, 0, NULL, 0 };
    hl_store_sync (store, s_on_sync, &arg);
    if (!s_wait (store, s_called, &told, S_WAIT_MS))
        fail_msg ("sync never told");
    assert_int_equal (told.calls, 1);
    return told.rc;
}

static hl_store_stats_t
s_stats (hl_store_t *store)
{
    hl_store_stats_t stats;
    hl_store_stats (store, &stats);
    return stats;
}

static size_t
s_audit_count (hl_store_t *store)
{
    hl_value_t *rows = hl_store_audit_query (store, 0, NULL, 100000, NULL, 0);
    assert_non_null (rows);
    size_t n = hl_value_size (rows);
    hl_value_destroy (&rows);
    return n;
}

static hl_store_change_t
s_change (uint64_t id, hl_change_state_t state)
{
    return (hl_store_change_t){ .id = id,
                                .run_id = id / 1000,
                                .action = "enable_cache",
                                .state = state,
                                .apply_task = id + 1,
                                .started_us = 1000,
                                .updated_us = 2000 };
}

static hl_store_task_t
s_task (uint64_t id, int64_t ended_us)
{
    return (hl_store_task_t){ .id = id,
                              .run_id = 7,
                              .change_id = 7001,
                              .kind = "apply",
                              .role = "hephaestus",
                              .action = "enable_cache",
                              .status = ended_us ? "done" : "queued",
                              .created_us = 5000,
                              .ended_us = ended_us };
}

static hl_value_t *
s_learning (const char *first, const char *second)
{
    hl_value_t *map = hl_value_new_map ();
    const char *names[] = { first, second };
    for (int i = 0; i < 2; i++) {
        if (!names[i])
            continue;
        hl_value_t *entry = hl_value_new_map ();
        hl_value_set_int (entry, "successes", 3 + i);
        hl_value_set_int (entry, "failures", 1);
        hl_value_set_double (entry, "p", 0.625);
        hl_value_t *nil = hl_value_new_nil ();
        hl_value_set (entry, "improvement", &nil);
        hl_value_set_bool (entry, "solo", i == 1);
        hl_value_t *q = hl_value_new_map ();
        hl_value_set_int (q, "until", 1796533262123000);
        hl_value_set (entry, "quarantine", &q);
        hl_value_set (map, names[i], &entry);
    }
    return map;
}

static int
s_setup (void **state)
{
    (void)state;
    s_now_us = zclock_time () / 1000 * 1000000;
    s_now_min = s_now_us / 60000000;
    return mkdtemp (s_dir) ? 0 : -1;
}

static void
s_rmdir (const char *dir)
{
    DIR *d = opendir (dir);
    struct dirent *e;
    while (d && (e = readdir (d))) {
        char path[600];
        snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink (path);
    }
    if (d)
        closedir (d);
    rmdir (dir);
}

static int
s_teardown (void **state)
{
    (void)state;
    s_rmdir (s_dir);
    return 0;
}

//  --------------------------------------------------------------------

static void
test_state_names (void **state)
{
    (void)state;
    const char *names[] = { "applying",     "applied",     "verifying", "kept",
                            "rolling_back", "rolled_back", "failed" };
    for (int i = 0; i < HL_CHANGE_STATE_COUNT; i++) {
        assert_string_equal (hl_change_state_name ((hl_change_state_t)i),
                             names[i]);
        assert_int_equal (hl_change_state_parse (names[i]), i);
    }
    assert_null (hl_change_state_name (HL_CHANGE_STATE_COUNT));
    assert_int_equal (hl_change_state_parse ("kep"), -1);
    assert_int_equal (hl_change_state_parse (NULL), -1);
    assert_true (hl_change_state_final (HL_CHANGE_KEPT));
    assert_true (hl_change_state_final (HL_CHANGE_ROLLED_BACK));
    assert_true (hl_change_state_final (HL_CHANGE_FAILED));
    assert_false (hl_change_state_final (HL_CHANGE_APPLYING));
    assert_false (hl_change_state_final (HL_CHANGE_APPLIED));
    assert_false (hl_change_state_final (HL_CHANGE_VERIFYING));
    assert_false (hl_change_state_final (HL_CHANGE_ROLLING_BACK));
}

//  Every kind written, read live, then read again and recovered after
//  a reopen
static void
s_check_reads (hl_store_t *store)
{
    hl_value_t *runs = hl_store_runs (store, 10);
    assert_non_null (runs);
    assert_int_equal (hl_value_size (runs), 1);
    assert_string_equal (hl_value_get_str (hl_value_at (runs, 0), "id", ""),
                         "run-7");
    assert_int_equal (hl_value_get_int (hl_value_at (runs, 0), "actions", 0),
                      2);
    hl_value_destroy (&runs);

    char json[256], md[256];
    assert_int_equal (hl_store_report_paths (store, 7, json, md, sizeof json),
                      0);
    assert_string_equal (json, "reports/7.json");
    assert_string_equal (md, "reports/7.md");
    assert_int_equal (hl_store_report_paths (store, 8, json, md, sizeof json),
                      -1);
    assert_int_equal (hl_store_report_paths (store, 7, json, md, 10), -1);

    hl_value_t *rollups
        = hl_store_rollups (store, "lat", s_now_min - 1, s_now_min);
    assert_non_null (rollups);
    assert_int_equal (hl_value_size (rollups), 2);
    const hl_value_t *r = hl_value_at (rollups, 0);
    assert_int_equal (hl_value_get_int (r, "minute", 0), s_now_min - 1);
    assert_int_equal (hl_value_get_int (r, "count", 0), 60);
    assert_true (hl_value_get_double (r, "sum", 0) == 600.5);
    assert_true (hl_value_get_double (r, "min", 0) == 1.25);
    assert_true (hl_value_get_double (r, "max", 0) == 30);
    assert_true (hl_value_get_double (r, "last", 0) == 9);
    assert_true (hl_value_get_double (r, "p95", 0) == 28.5);
    assert_int_equal (
        hl_value_type (hl_value_get (hl_value_at (rollups, 1), "p95")),
        HL_VALUE_NIL);
    hl_value_destroy (&rollups);

    hl_value_t *audit = hl_store_audit_query (store, 0, NULL, 10, NULL, 0);
    assert_non_null (audit);
    assert_int_equal (hl_value_size (audit), 1);
    const hl_value_t *a = hl_value_at (audit, 0);
    //  ISO 8601, UTC, milliseconds
    char iso[40], day[32];
    time_t secs = (time_t)(s_now_us / 1000000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    strftime (day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (iso, sizeof iso, "%s.123Z", day);
    assert_string_equal (hl_value_get_str (a, "ts", ""), iso);
    assert_int_equal (hl_value_get_int (a, "ts_us", 0), s_now_us + 123456);
    assert_int_equal (hl_value_get_int (a, "run", 0), 7);
    assert_string_equal (hl_value_get_str (a, "action", ""), "enable_cache");
    assert_string_equal (hl_value_get_str (a, "event", ""), "chosen");
    assert_string_equal (hl_value_get_str (a, "who", ""), "schedule");
    assert_string_equal (hl_value_get_str (a, "why", ""), "best p");
    hl_value_destroy (&audit);
}

static void
test_round_trip (void **state)
{
    (void)state;
    hl_store_t *store = s_open ("trip.db");
    const hl_store_recovery_t *rec = hl_store_recovered (store);
    assert_non_null (rec);
    assert_int_equal (rec->max_run_id, 0);
    assert_int_equal (hl_value_size (rec->changes), 0);
    assert_null (rec->learning);

    hl_store_run_t done
        = { .id = 7,
            .kind = "optimization",
            .phase = "done",
            .requested_by = "ctl",
            .started_us = 100,
            .finished_us = 200,
            .score_before = 61.5,
            .score_after = 70.25,
            .summary_json = "{\"id\":\"run-7\",\"actions\":2}" };
    hl_store_run (store, &done);
    hl_store_run_t open = { .id = 9,
                            .kind = "emergency",
                            .phase = "collect",
                            .requested_by = "emergency",
                            .started_us = 300,
                            .score_before = NAN,
                            .score_after = NAN };
    hl_store_run (store, &open);
    hl_store_change_t c = s_change (9001, HL_CHANGE_VERIFYING);
    c.reverse = true;
    c.verify_task = 12;
    c.window_end_us = 9999;
    c.params_json = "{\"size\":64}";
    c.verify_json = "{\"metrics\":[\"lat\"]}";
    hl_store_change (store, &c);
    hl_store_task_t t = s_task (12, 0);
    hl_store_task (store, &t);
    t = s_task (11, 6000);
    hl_store_task (store, &t);
    hl_store_audit_t au = { .ts_us = s_now_us + 123456,
                            .run_id = 7,
                            .action = "enable_cache",
                            .event = "chosen",
                            .who = "schedule",
                            .why = "best p" };
    hl_store_audit (store, &au);
    hl_store_rollup_t ru
        = { "lat", s_now_min - 1, 60, 600.5, 1.25, 30, 9, 28.5 };
    hl_store_rollup (store, &ru);
    ru = (hl_store_rollup_t){ "lat", s_now_min, 1, 2, 2, 2, 2, NAN };
    hl_store_rollup (store, &ru);
    ru = (hl_store_rollup_t){ "other", s_now_min, 1, 2, 2, 2, 2, 2 };
    hl_store_rollup (store, &ru);
    hl_value_t *learning = s_learning ("zeta", "alpha");
    hl_store_learning (store, learning);
    hl_store_report (store, 7, "optimization", "reports/7.json",
                     "reports/7.md");
    assert_int_equal (s_sync (store), 0);
    s_check_reads (store);
    hl_store_stats_t stats = s_stats (store);
    assert_true (stats.writable);
    assert_int_equal (stats.written, 11);
    assert_int_equal (stats.backlog, 0);
    assert_int_equal (stats.failures, 0);
    assert_string_equal (stats.error, "");
    hl_store_destroy (&store);
    assert_null (store);
    hl_store_destroy (&store);

    store = s_open ("trip.db");
    s_check_reads (store);
    rec = hl_store_recovered (store);
    assert_non_null (rec);
    assert_int_equal (rec->max_run_id, 9);
    assert_int_equal (rec->max_task_id, 12);
    assert_int_equal (hl_value_size (rec->runs), 1);
    const hl_value_t *r = hl_value_at (rec->runs, 0);
    assert_int_equal (hl_value_get_int (r, "id", 0), 9);
    assert_string_equal (hl_value_get_str (r, "kind", ""), "emergency");
    assert_string_equal (hl_value_get_str (r, "phase", ""), "collect");
    assert_string_equal (hl_value_get_str (r, "requested_by", ""), "emergency");
    assert_int_equal (hl_value_get_int (r, "started_us", 0), 300);
    assert_int_equal (hl_value_get_int (r, "finished_us", -1), 0);
    assert_int_equal (hl_value_type (hl_value_get (r, "score_before")),
                      HL_VALUE_NIL);
    assert_int_equal (hl_value_size (rec->changes), 1);
    r = hl_value_at (rec->changes, 0);
    assert_int_equal (hl_value_get_int (r, "id", 0), 9001);
    assert_int_equal (hl_value_get_int (r, "run_id", 0), 9);
    assert_string_equal (hl_value_get_str (r, "action", ""), "enable_cache");
    bool reverse = false;
    assert_int_equal (hl_value_bool (hl_value_get (r, "reverse"), &reverse), 0);
    assert_true (reverse);
    assert_string_equal (hl_value_get_str (r, "state", ""), "verifying");
    assert_int_equal (hl_value_get_int (r, "apply_task", 0), 9002);
    assert_int_equal (hl_value_get_int (r, "verify_task", 0), 12);
    assert_int_equal (hl_value_get_int (r, "rollback_task", -1), 0);
    assert_int_equal (hl_value_get_int (r, "started_us", 0), 1000);
    assert_int_equal (hl_value_get_int (r, "window_end_us", 0), 9999);
    assert_int_equal (hl_value_type (hl_value_get (r, "verdict")),
                      HL_VALUE_NIL);
    assert_string_equal (hl_value_get_str (r, "params_json", ""),
                         "{\"size\":64}");
    assert_string_equal (hl_value_get_str (r, "verify_json", ""),
                         "{\"metrics\":[\"lat\"]}");
    assert_int_equal (hl_value_get_int (r, "updated_us", 0), 2000);
    assert_int_equal (hl_value_size (rec->tasks), 1);
    r = hl_value_at (rec->tasks, 0);
    assert_int_equal (hl_value_get_int (r, "id", 0), 12);
    assert_int_equal (hl_value_get_int (r, "run_id", 0), 7);
    assert_int_equal (hl_value_get_int (r, "change_id", 0), 7001);
    assert_string_equal (hl_value_get_str (r, "kind", ""), "apply");
    assert_string_equal (hl_value_get_str (r, "role", ""), "hephaestus");
    assert_string_equal (hl_value_get_str (r, "action", ""), "enable_cache");
    assert_string_equal (hl_value_get_str (r, "status", ""), "queued");
    assert_int_equal (hl_value_get_int (r, "created_us", 0), 5000);
    assert_non_null (rec->learning);
    assert_true (hl_value_eq (rec->learning, learning));
    hl_store_recovered_done (store);
    assert_null (hl_store_recovered (store));
    hl_store_recovered_done (store);
    hl_value_destroy (&learning);
    hl_store_destroy (&store);
}

//  Written again, a record replaces its row; a NULL JSON field keeps
//  the one stored; learning is replaced whole
static void
test_upsert (void **state)
{
    (void)state;
    hl_store_t *store = s_open ("upsert.db");
    hl_store_change_t c = s_change (3001, HL_CHANGE_APPLYING);
    c.params_json = "{\"size\":64}";
    hl_store_change (store, &c);
    c = s_change (3001, HL_CHANGE_VERIFYING);
    c.verify_task = 44;
    c.verify_json = "{\"window\":60}";
    hl_store_change (store, &c);
    hl_store_change_t gone = s_change (3002, HL_CHANGE_APPLYING);
    hl_store_change (store, &gone);
    gone.state = HL_CHANGE_ROLLED_BACK;
    gone.verdict = "regressed";
    hl_store_change (store, &gone);
    hl_store_task_t t = s_task (50, 0);
    hl_store_task (store, &t);
    t = s_task (50, 9000);
    hl_store_task (store, &t);
    hl_store_run_t run = { .id = 3,
                           .kind = "optimization",
                           .phase = "collect",
                           .requested_by = "schedule",
                           .started_us = 10,
                           .score_before = 50,
                           .score_after = NAN };
    hl_store_run (store, &run);
    run.phase = "done";
    run.finished_us = 20;
    run.summary_json = "{\"id\":3}";
    hl_store_run (store, &run);
    hl_store_rollup_t ru = { "lat", 5, 1, 1, 1, 1, 1, 1 };
    hl_store_rollup (store, &ru);
    ru = (hl_store_rollup_t){ "lat", 5, 2, 8, 3, 5, 5, 5 };
    hl_store_rollup (store, &ru);
    hl_store_report (store, 3, "optimization", "a.json", "a.md");
    hl_store_report (store, 3, "optimization", "b.json", "b.md");
    hl_value_t *learning = s_learning ("a", "b");
    hl_store_learning (store, learning);
    hl_value_destroy (&learning);
    learning = s_learning ("b", NULL);
    hl_store_learning (store, learning);
    assert_int_equal (s_sync (store), 0);
    //  The first learning went with the second in one batch; this one
    //  alone
    hl_value_destroy (&learning);
    learning = s_learning ("c", "b");
    hl_store_learning (store, learning);
    assert_int_equal (s_sync (store), 0);

    hl_value_t *runs = hl_store_runs (store, 5);
    assert_int_equal (hl_value_size (runs), 1);
    assert_int_equal (hl_value_get_int (hl_value_at (runs, 0), "id", 0), 3);
    hl_value_destroy (&runs);
    hl_value_t *rollups = hl_store_rollups (store, "lat", 0, 10);
    assert_int_equal (hl_value_size (rollups), 1);
    assert_int_equal (hl_value_get_int (hl_value_at (rollups, 0), "count", 0),
                      2);
    assert_true (hl_value_get_double (hl_value_at (rollups, 0), "sum", 0) == 8);
    hl_value_destroy (&rollups);
    char json[64], md[64];
    assert_int_equal (hl_store_report_paths (store, 3, json, md, sizeof json),
                      0);
    assert_string_equal (json, "b.json");
    assert_string_equal (md, "b.md");
    hl_store_destroy (&store);

    store = s_open ("upsert.db");
    const hl_store_recovery_t *rec = hl_store_recovered (store);
    assert_int_equal (hl_value_size (rec->changes), 1);
    const hl_value_t *r = hl_value_at (rec->changes, 0);
    assert_int_equal (hl_value_get_int (r, "id", 0), 3001);
    assert_string_equal (hl_value_get_str (r, "state", ""), "verifying");
    assert_int_equal (hl_value_get_int (r, "verify_task", 0), 44);
    assert_string_equal (hl_value_get_str (r, "params_json", ""),
                         "{\"size\":64}");
    assert_string_equal (hl_value_get_str (r, "verify_json", ""),
                         "{\"window\":60}");
    assert_int_equal (hl_value_size (rec->tasks), 0);
    assert_int_equal (hl_value_size (rec->runs), 0);
    assert_int_equal (rec->max_task_id, 50);
    //  The last write, in its order: "a" is gone
    assert_true (hl_value_eq (rec->learning, learning));
    assert_string_equal (hl_value_key_at (rec->learning, 0), "c");
    hl_value_destroy (&learning);
    hl_store_destroy (&store);
}

//  Recovery: the changes not final, the tasks open, the runs
//  unfinished, the highest ids
static void
test_recovery (void **state)
{
    (void)state;
    hl_store_t *store = s_open ("recover.db");
    for (int i = 0; i < HL_CHANGE_STATE_COUNT; i++) {
        hl_store_change_t c = s_change (
            4000 + (uint64_t)(HL_CHANGE_STATE_COUNT - i), (hl_change_state_t)i);
        hl_store_change (store, &c);
    }
    for (uint64_t id = 1; id <= 6; id++) {
        hl_store_task_t t = s_task (id * 10, id % 2 ? 0 : 100);
        hl_store_task (store, &t);
    }
    for (uint64_t id = 1; id <= 4; id++) {
        hl_store_run_t run = { .id = id * 2,
                               .kind = "optimization",
                               .phase = id == 3 ? "collect" : "done",
                               .requested_by = "schedule",
                               .finished_us = id == 3 ? 0 : 50,
                               .score_before = NAN,
                               .score_after = NAN };
        hl_store_run (store, &run);
    }
    hl_store_destroy (&store);

    store = s_open ("recover.db");
    const hl_store_recovery_t *rec = hl_store_recovered (store);
    assert_int_equal (rec->max_run_id, 8);
    assert_int_equal (rec->max_task_id, 60);
    //  applying, applied, verifying and rolling_back, by id
    const char *want[] = { "rolling_back", "verifying", "applied", "applying" };
    assert_int_equal (hl_value_size (rec->changes), 4);
    int64_t last = 0;
    for (size_t i = 0; i < 4; i++) {
        const hl_value_t *c = hl_value_at (rec->changes, i);
        assert_string_equal (hl_value_get_str (c, "state", ""), want[i]);
        assert_true (hl_value_get_int (c, "id", 0) > last);
        last = hl_value_get_int (c, "id", 0);
    }
    assert_int_equal (hl_value_size (rec->tasks), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (
            hl_value_get_int (hl_value_at (rec->tasks, i), "id", 0),
            10 + 20 * (int64_t)i);
    assert_int_equal (hl_value_size (rec->runs), 1);
    assert_int_equal (hl_value_get_int (hl_value_at (rec->runs, 0), "id", 0),
                      6);
    hl_value_t *runs = hl_store_runs (store, 2);
    assert_int_equal (hl_value_size (runs), 2);
    //  Newest first; no summary: the run's own fields
    assert_int_equal (hl_value_get_int (hl_value_at (runs, 0), "id", 0), 8);
    assert_int_equal (hl_value_get_int (hl_value_at (runs, 1), "id", 0), 4);
    assert_string_equal (hl_value_get_str (hl_value_at (runs, 1), "phase", ""),
                         "done");
    hl_value_destroy (&runs);
    hl_store_destroy (&store);
}

//  Syncs are told in order, each once what came before it is readable
static void
test_sync_order (void **state)
{
    (void)state;
    hl_store_t *store = s_open ("sync.db");
    s_told_t told = { 0 };
    s_sync_arg_t args[3];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 5 * (i + 1); j++) {
            hl_store_audit_t a
                = { .ts_us = 1000 + j, .event = "requested", .who = "ctl" };
            hl_store_audit (store, &a);
        }
        args[i] = (s_sync_arg_t){ &told, i + 1, store, 0 };
        hl_store_sync (store, s_on_sync, &args[i]);
    }
    assert_true (s_wait (store, s_all_three, &told, S_WAIT_MS));
    assert_int_equal (told.calls, 3);
    assert_int_equal (told.rc, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (told.order[i], i + 1);
        assert_true (args[i].audit_seen >= (size_t)(5 * (i + 1) * (i + 2) / 2));
    }
    hl_store_destroy (&store);
}

//  Many records: few transactions
static void
test_batching (void **state)
{
    (void)state;
    hl_store_t *store = s_open ("batch.db");
    const int n = 5000;
    for (int i = 0; i < n; i++) {
        hl_store_rollup_t r
            = { "lat", i, 1, (double)i, (double)i, (double)i, (double)i, NAN };
        hl_store_rollup (store, &r);
    }
    assert_int_equal (s_sync (store), 0);
    hl_store_stats_t stats = s_stats (store);
    assert_int_equal (stats.written, n);
    //  One transaction per batch of HL_STORE_BATCH at most, fewer when
    //  several wait
    assert_true (stats.transactions <= n / HL_STORE_BATCH + 1);
    assert_true (stats.transactions >= 1);
    hl_value_t *rows = hl_store_rollups (store, "lat", 0, n);
    assert_int_equal (hl_value_size (rows), n);
    hl_value_destroy (&rows);
    hl_store_destroy (&store);
}

//  The audit query: since, action, and limit giving the newest, oldest
//  first
static void
test_audit_query (void **state)
{
    (void)state;
    hl_store_t *store = s_open ("audit.db");
    for (int i = 0; i < 20; i++) {
        char why[32];
        snprintf (why, sizeof why, "step %d", i);
        hl_store_audit_t a = { .ts_us = 1000000 * (int64_t)(i + 1),
                               .run_id = (uint64_t)i,
                               .action = i % 2 ? "b" : "a",
                               .event = "chosen",
                               .who = "schedule",
                               .why = why };
        hl_store_audit (store, &a);
    }
    hl_store_audit_t none = { .ts_us = 500, .event = "recovered" };
    hl_store_audit (store, &none);
    assert_int_equal (s_sync (store), 0);

    char err[128];
    hl_value_t *rows
        = hl_store_audit_query (store, 0, NULL, 100, err, sizeof err);
    assert_int_equal (hl_value_size (rows), 21);
    assert_string_equal (hl_value_get_str (hl_value_at (rows, 0), "event", ""),
                         "recovered");
    assert_int_equal (
        hl_value_type (hl_value_get (hl_value_at (rows, 0), "action")),
        HL_VALUE_NIL);
    assert_string_equal (hl_value_get_str (hl_value_at (rows, 0), "ts", ""),
                         "1970-01-01T00:00:00.000Z");
    hl_value_destroy (&rows);

    //  The newest 3 of all, oldest first
    rows = hl_store_audit_query (store, 0, NULL, 3, err, sizeof err);
    assert_int_equal (hl_value_size (rows), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (hl_value_get_int (hl_value_at (rows, i), "run", 0),
                          17 + (int64_t)i);
    hl_value_destroy (&rows);

    //  Of "a" since 10 s: 10, 12 ... 18 (ts 11..19 s), the newest 4
    rows = hl_store_audit_query (store, 10000000, "a", 4, err, sizeof err);
    assert_int_equal (hl_value_size (rows), 4);
    for (size_t i = 0; i < 4; i++) {
        const hl_value_t *r = hl_value_at (rows, i);
        assert_string_equal (hl_value_get_str (r, "action", ""), "a");
        assert_int_equal (hl_value_get_int (r, "run", 0), 12 + 2 * (int64_t)i);
    }
    assert_string_equal (hl_value_get_str (hl_value_at (rows, 3), "why", ""),
                         "step 18");
    assert_string_equal (hl_value_get_str (hl_value_at (rows, 3), "ts", ""),
                         "1970-01-01T00:00:19.000Z");
    hl_value_destroy (&rows);
    rows = hl_store_audit_query (store, 10000000, "a", 100, err, sizeof err);
    assert_int_equal (hl_value_size (rows), 5);
    hl_value_destroy (&rows);
    rows = hl_store_audit_query (store, 0, "zzz", 100, err, sizeof err);
    assert_int_equal (hl_value_size (rows), 0);
    hl_value_destroy (&rows);
    rows = hl_store_audit_query (store, 0, NULL, 0, err, sizeof err);
    assert_int_equal (hl_value_size (rows), 0);
    hl_value_destroy (&rows);

    //  Free text is cut at HL_STORE_TEXT, on a character's boundary
    char *long_why = (char *)malloc (HL_STORE_TEXT + 10);
    memset (long_why, 'x', HL_STORE_TEXT + 9);
    memcpy (long_why + HL_STORE_TEXT - 1, "\xc3\xa9", 2); /* é across */
    long_why[HL_STORE_TEXT + 9] = 0;
    hl_store_audit_t a
        = { .ts_us = 99000000, .event = "long", .why = long_why };
    hl_store_audit (store, &a);
    free (long_why);
    assert_int_equal (s_sync (store), 0);
    rows = hl_store_audit_query (store, 99000000, NULL, 1, err, sizeof err);
    assert_int_equal (hl_value_size (rows), 1);
    size_t len = 0;
    hl_value_str (hl_value_get (hl_value_at (rows, 0), "why"), &len);
    assert_int_equal (len, HL_STORE_TEXT - 1);
    hl_value_destroy (&rows);
    hl_store_destroy (&store);
}

//  A database of a newer Helios, a file that is no database, and one of
//  something else are refused with the reason, and left as they were
static void
test_refused (void **state)
{
    (void)state;
    char path[512], err[512];
    s_path ("newer.db", path, sizeof path);
    hl_store_t *store = s_open ("newer.db");
    hl_store_destroy (&store);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (
        sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close (db);
    hl_store_opts_t opts = { path, 30, 1 << 20 };
    assert_null (hl_store_open (&opts, err, sizeof err));
    char want[600];
    snprintf (want, sizeof want,
              "%s has schema version 99; this Helios knows up to %d: upgrade "
              "Helios",
              path, HL_STORE_VERSION);
    assert_string_equal (err, want);

    s_path ("garbage.db", path, sizeof path);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    for (int i = 0; i < 200; i++)
        fputs ("this is not a database, only text\n", file);
    fclose (file);
    struct stat before, after;
    assert_int_equal (stat (path, &before), 0);
    opts.path = path;
    assert_null (hl_store_open (&opts, err, sizeof err));
    if (!strstr (err, "garbage.db: not a Helios database: file is not a "
                      "database"))
        fail_msg ("got \"%s\"", err);
    assert_int_equal (stat (path, &after), 0);
    assert_int_equal (before.st_size, after.st_size);

    s_path ("other.db", path, sizeof path);
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "CREATE TABLE t (x)", NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (db);
    assert_null (hl_store_open (&opts, err, sizeof err));
    if (!strstr (err, "other.db: not a Helios database: a SQLite database "
                      "of something else"))
        fail_msg ("got \"%s\"", err);

    s_path ("no/such/folder.db", path, sizeof path);
    assert_null (hl_store_open (&opts, err, sizeof err));
    if (!strstr (err, "folder.db: cannot open: "))
        fail_msg ("got \"%s\"", err);
    opts.retention_days = 0;
    assert_null (hl_store_open (&opts, err, sizeof err));
    assert_string_equal (err, "store: bad options");
    assert_null (hl_store_open (NULL, NULL, 0));
}

//  A version 1 database: learning's improvement means (measured by the
//  first verify metric alone, which could disagree with the verdict)
//  are dropped by migration 2, the counts kept
static void
test_migrate_learning (void **state)
{
    (void)state;
    char path[512];
    s_path ("v1.db", path, sizeof path);
    hl_store_t *store = s_open ("v1.db");
    hl_store_destroy (&store);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (
        sqlite3_exec (db,
                      "DELETE FROM migrations WHERE version >= 2;"
                      "INSERT INTO learning VALUES ('cache', 0, "
                      "'{\"successes\":1,\"failures\":0,"
                      "\"improvement\":-0.99,\"measured\":1}', 1, 0);"
                      "PRAGMA user_version = 1",
                      NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close (db);
    store = s_open ("v1.db");
    const hl_store_recovery_t *rec = hl_store_recovered (store);
    assert_non_null (rec);
    const hl_value_t *cache = hl_value_get (rec->learning, "cache");
    assert_non_null (cache);
    assert_int_equal (hl_value_get_int (cache, "successes", -1), 1);
    assert_int_equal (hl_value_type (hl_value_get (cache, "improvement")),
                      HL_VALUE_NIL);
    assert_int_equal (hl_value_get_int (cache, "measured", -1), 0);
    hl_store_recovered_done (store);
    hl_store_destroy (&store);
}

//  Rollups and audit past retention_days go at open
static void
test_retention (void **state)
{
    (void)state;
    hl_store_t *store = s_open ("retain.db");
    int64_t now_us = zclock_time () * 1000;
    int64_t day_us = 86400LL * 1000000;
    int64_t ts[] = { now_us - 40 * day_us, now_us - 29 * day_us, now_us };
    for (int i = 0; i < 3; i++) {
        hl_store_audit_t a = { .ts_us = ts[i], .event = "chosen" };
        hl_store_audit (store, &a);
        hl_store_rollup_t r = { "lat", ts[i] / 60000000, 1, 1, 1, 1, 1, 1 };
        hl_store_rollup (store, &r);
    }
    hl_store_destroy (&store);
    store = s_open ("retain.db");
    hl_value_t *rows = hl_store_audit_query (store, 0, NULL, 10, NULL, 0);
    assert_int_equal (hl_value_size (rows), 2);
    assert_int_equal (hl_value_get_int (hl_value_at (rows, 0), "ts_us", 0),
                      ts[1]);
    hl_value_destroy (&rows);
    rows = hl_store_rollups (store, "lat", 0, INT64_MAX);
    assert_int_equal (hl_value_size (rows), 2);
    hl_value_destroy (&rows);
    hl_store_destroy (&store);

    char path[512];
    s_path ("retain.db", path, sizeof path);
    store = s_open_at (path, 1, 1 << 20);
    assert_int_equal (s_audit_count (store), 1);
    hl_store_destroy (&store);
}

//  Records queued and never flushed are written at destroy
static void
test_destroy_pending (void **state)
{
    (void)state;
    hl_store_t *store = s_open ("pending.db");
    hl_store_destroy (&store); /* nothing queued */
    store = s_open ("pending.db");
    for (int i = 0; i < 10; i++) {
        hl_store_audit_t a = { .ts_us = s_now_us + i, .event = "requested" };
        hl_store_audit (store, &a);
    }
    hl_store_change_t c = s_change (1001, HL_CHANGE_APPLYING);
    hl_store_change (store, &c);
    s_told_t told = { 0 };
    s_sync_arg_t arg = { &told, 1, NULL, 0 };
    hl_store_sync (store, s_on_sync, &arg); /* never told: destroyed */
    hl_store_destroy (&store);
    assert_int_equal (told.calls, 0);
    store = s_open ("pending.db");
    assert_int_equal (s_audit_count (store), 10);
    assert_int_equal (hl_value_size (hl_store_recovered (store)->changes), 1);
    hl_store_destroy (&store);
}

//  --------------------------------------------------------------------
//  A full disk: a tmpfs of 1 MiB, filled

static int
s_mount (void)
{
    snprintf (s_mnt, sizeof s_mnt, "%s/tmpfs", s_dir);
    if (mkdir (s_mnt, 0700))
        return -1;
    if (mount ("tmpfs", s_mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")) {
        print_message ("skipped: cannot mount a tmpfs (%s); needs root\n",
                       strerror (errno));
        rmdir (s_mnt);
        s_mnt[0] = 0;
        return -1;
    }
    return 0;
}

static int
s_unmount (void **state)
{
    (void)state;
    if (s_mnt[0]) {
        if (umount (s_mnt))
            umount2 (s_mnt, MNT_DETACH);
        rmdir (s_mnt);
        s_mnt[0] = 0;
    }
    return 0;
}

//  Write a file until the disk says it is full
static void
s_fill (const char *path)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true (fd >= 0);
    static char block[4096];
    memset (block, 'f', sizeof block);
    for (;;) {
        ssize_t n = write (fd, block, sizeof block);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            assert_int_equal (errno, ENOSPC);
            break;
        }
    }
    close (fd);
}

static bool
s_not_writable (hl_store_t *store, void *arg)
{
    (void)arg;
    return !s_stats (store).writable;
}

static bool
s_caught_up (hl_store_t *store, void *arg)
{
    (void)arg;
    hl_store_stats_t stats = s_stats (store);
    return stats.writable && stats.backlog == 0;
}

#define S_FULL_AUDITS 40
#define S_FULL_WHY 4000

//  Queue what recovery needs, rollups, then big audit records
static void
s_queue_world (hl_store_t *store, int audits)
{
    hl_store_run_t run = { .id = 21,
                           .kind = "optimization",
                           .phase = "apply",
                           .requested_by = "schedule",
                           .score_before = NAN,
                           .score_after = NAN };
    hl_store_run (store, &run);
    for (uint64_t i = 1; i <= 3; i++) {
        hl_store_change_t c = s_change (21000 + i, HL_CHANGE_APPLYING);
        hl_store_change (store, &c);
        hl_store_task_t t = s_task (100 + i, 0);
        hl_store_task (store, &t);
    }
    for (int i = 0; i < 10; i++) {
        hl_store_rollup_t r = { "lat", s_now_min - i, 1, 1, 1, 1, 1, 1 };
        hl_store_rollup (store, &r);
    }
    static char why[S_FULL_WHY + 1];
    memset (why, 'w', S_FULL_WHY);
    for (int i = 0; i < audits; i++) {
        hl_store_audit_t a
            = { .ts_us = s_now_us + i, .event = "chosen", .why = why };
        hl_store_audit (store, &a);
    }
}

static void
s_check_world (const char *path, size_t audits, size_t rollups)
{
    hl_store_t *store = s_open_at (path, 30, 64 << 20);
    const hl_store_recovery_t *rec = hl_store_recovered (store);
    assert_int_equal (hl_value_size (rec->runs), 2);
    assert_int_equal (hl_value_size (rec->changes), 3);
    assert_int_equal (hl_value_size (rec->tasks), 3);
    assert_int_equal (rec->max_task_id, 103);
    assert_int_equal (s_audit_count (store), audits);
    hl_value_t *rows = hl_store_rollups (store, "lat", 0, INT64_MAX);
    assert_int_equal (hl_value_size (rows), rollups);
    hl_value_destroy (&rows);
    hl_store_destroy (&store);
}

static void
test_full_disk (void **state)
{
    (void)state;
    if (s_mount ())
        skip ();
    char path[512], filler[512];
    snprintf (path, sizeof path, "%s/helios.db", s_mnt);
    snprintf (filler, sizeof filler, "%s/filler", s_mnt);
    hl_store_t *store = s_open_at (path, 30, 64 << 20);
    hl_store_run_t first = { .id = 20,
                             .kind = "optimization",
                             .phase = "collect",
                             .requested_by = "schedule",
                             .score_before = NAN,
                             .score_after = NAN };
    hl_store_run (store, &first);
    assert_int_equal (s_sync (store), 0);

    s_fill (filler);
    s_queue_world (store, S_FULL_AUDITS);
    //  The sync is told that the records only wait in memory
    assert_int_equal (s_sync (store), -1);
    assert_true (s_wait (store, s_not_writable, NULL, S_WAIT_MS));
    hl_store_stats_t stats = s_stats (store);
    assert_false (stats.writable);
    assert_true (stats.failures >= 1);
    assert_true (stats.backlog > 0);
    assert_true (stats.backlog_bytes > S_FULL_AUDITS * S_FULL_WHY);
    assert_int_equal (stats.dropped, 0);
    if (!strstr (stats.error, "full"))
        fail_msg ("error \"%s\"", stats.error);
    //  While it cannot write, syncs are told at once
    assert_int_equal (s_sync (store), -1);

    assert_int_equal (unlink (filler), 0);
    if (!s_wait (store, s_caught_up, NULL, S_WAIT_MS))
        fail_msg ("never caught up: %s", s_stats (store).error);
    stats = s_stats (store);
    assert_string_equal (stats.error, "");
    assert_int_equal (stats.written, 1 + 1 + 3 + 3 + 10 + S_FULL_AUDITS);
    assert_int_equal (s_sync (store), 0);
    hl_store_destroy (&store);
    s_check_world (path, S_FULL_AUDITS, 10);
}

//  Past the bound, the oldest rollups and audit records go first; runs,
//  changes and tasks stay whatever their size
static void
test_full_disk_bound (void **state)
{
    (void)state;
    if (s_mount ())
        skip ();
    char path[512], filler[512];
    snprintf (path, sizeof path, "%s/helios.db", s_mnt);
    snprintf (filler, sizeof filler, "%s/filler", s_mnt);
    hl_store_t *store = s_open_at (path, 30, 40 * 1024);
    hl_store_run_t first = { .id = 20,
                             .kind = "optimization",
                             .phase = "collect",
                             .requested_by = "schedule",
                             .score_before = NAN,
                             .score_after = NAN };
    hl_store_run (store, &first);
    assert_int_equal (s_sync (store), 0);
    s_fill (filler);
    s_queue_world (store, S_FULL_AUDITS);
    assert_int_equal (s_sync (store), -1);
    hl_store_stats_t stats = s_stats (store);
    assert_true (stats.backlog_bytes <= 40 * 1024);
    //  The rollups, older, went first, then the oldest audit records
    assert_true (stats.dropped > 10);
    uint64_t dropped = stats.dropped;
    assert_int_equal (unlink (filler), 0);
    if (!s_wait (store, s_caught_up, NULL, S_WAIT_MS))
        fail_msg ("never caught up: %s", s_stats (store).error);
    stats = s_stats (store);
    assert_int_equal (stats.written + stats.dropped,
                      1 + 1 + 3 + 3 + 10 + S_FULL_AUDITS);
    hl_value_t *rows = hl_store_audit_query (store, 0, NULL, 1, NULL, 0);
    assert_int_equal (hl_value_get_int (hl_value_at (rows, 0), "ts_us", 0),
                      s_now_us + S_FULL_AUDITS - 1);
    hl_value_destroy (&rows);
    hl_store_destroy (&store);
    s_check_world (path, S_FULL_AUDITS + 10 - (size_t)dropped, 0);

    //  Runs, changes and tasks alone past the bound: kept all the same
    store = s_open_at (path, 30, 1);
    s_fill (filler);
    hl_store_change_t c = s_change (22001, HL_CHANGE_APPLYING);
    hl_store_change (store, &c);
    hl_store_task_t t = s_task (200, 0);
    hl_store_task (store, &t);
    hl_store_audit_t a = { .ts_us = s_now_us, .event = "x" };
    hl_store_audit (store, &a);
    assert_int_equal (s_sync (store), -1);
    stats = s_stats (store);
    assert_int_equal (stats.backlog, 2);
    assert_true (stats.backlog_bytes > 1);
    assert_int_equal (unlink (filler), 0);
    assert_true (s_wait (store, s_caught_up, NULL, S_WAIT_MS));
    hl_store_destroy (&store);
    store = s_open_at (path, 30, 1 << 20);
    assert_int_equal (hl_value_size (hl_store_recovered (store)->changes), 4);
    assert_int_equal (hl_store_recovered (store)->max_task_id, 200);
    hl_store_destroy (&store);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_state_names),
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_upsert),
        cmocka_unit_test (test_recovery),
        cmocka_unit_test (test_sync_order),
        cmocka_unit_test (test_batching),
        cmocka_unit_test (test_audit_query),
        cmocka_unit_test (test_refused),
        cmocka_unit_test (test_migrate_learning),
        cmocka_unit_test (test_retention),
        cmocka_unit_test (test_destroy_pending),
        cmocka_unit_test_teardown (test_full_disk, s_unmount),
        cmocka_unit_test_teardown (test_full_disk_bound, s_unmount),
    };
    return cmocka_run_group_tests_name ("hl_store", tests, s_setup, s_teardown);
}
