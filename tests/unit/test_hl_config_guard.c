/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_config_guard - the sections that keep the master durable and
    secure: store, security and guard (hl_config_guard), their defaults,
    whole sections read back, and one case per kind of bad input, each
    refused with the exact "file:line:" and a reason that says why.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config_env.h"

// --------------------------------------------------------------------
// store

static void
test_security (void **state)
{
    (void)state;
    hl_config_t *config = hl_config_new_default ();
    assert_false (hl_config_security (config)->enabled);
    assert_false (hl_config_master (config)->require_curve);
    hl_config_destroy (&config);

    char path[512], err[512];
    s_write ("sec.cfg",
             "security = { enabled = true; secret_key = \"k/m.key_secret\";\n"
             "  server_public_key = \"k/m.key\"; allow_dir = \"k/ok\"; };\n"
             "master = { require_curve = true; };\n",
             path, sizeof path);
    config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    if (!config)
        fail_msg ("%s", err);
    const hl_config_security_t *sec = hl_config_security (config);
    assert_true (sec->enabled);
    assert_string_equal (sec->secret_key, "k/m.key_secret");
    assert_string_equal (sec->server_public_key, "k/m.key");
    assert_string_equal (sec->allow_dir, "k/ok");
    assert_true (hl_config_master (config)->require_curve);
    hl_config_destroy (&config);

    //  On without a key of its own; an unknown key; a mistyped one
    const char *bad[][2]
        = { { "security = { enabled = true; };\n", "security.secret_key" },
            { "security = { key = \"x\"; };\n", "key" },
            { "security = { enabled = \"yes\"; };\n", "enabled" },
            { "master = { require_curve = 1; };\n", "require_curve" } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_write ("sec2.cfg", bad[i][0], path, sizeof path);
        config = hl_config_load (path, err, sizeof err);
        assert_int_equal (unlink (path), 0);
        assert_null (config);
        assert_non_null (strstr (err, bad[i][1]));
        assert_non_null (strstr (err, "sec2.cfg:"));
    }
}

static void
test_store (void **state)
{
    (void)state;
    hl_config_t *config = hl_config_new_default ();
    const hl_config_store_t *st = hl_config_store (config);
    assert_true (st->enabled);
    assert_string_equal (st->path, "helios.db");
    assert_string_equal (st->file, "var/helios/helios.db");
    assert_int_equal (st->retention_days, 30);
    assert_int_equal (st->backlog_mb, 64);
    hl_config_destroy (&config);

    //  A relative path lies under state_dir, even one given before it
    char path[512], err[512];
    s_write ("store.cfg",
             "store = { enabled = false; path = \"db/h.db\";\n"
             "  retention_days = 3650; backlog_mb = 1; };\n"
             "master = { state_dir = \"/srv/helios\"; };\n",
             path, sizeof path);
    config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    if (!config)
        fail_msg ("%s", err);
    st = hl_config_store (config);
    assert_false (st->enabled);
    assert_string_equal (st->path, "db/h.db");
    assert_string_equal (st->file, "/srv/helios/db/h.db");
    assert_int_equal (st->retention_days, 3650);
    assert_int_equal (st->backlog_mb, 1);
    hl_config_destroy (&config);

    //  An absolute one stands alone; no store section: the defaults
    s_write ("store2.cfg", "store = { path = \"/var/lib/h.db\"; };\n", path,
             sizeof path);
    config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    assert_non_null (config);
    assert_string_equal (hl_config_store (config)->file, "/var/lib/h.db");
    hl_config_destroy (&config);
    s_write ("store3.cfg", "master = { state_dir = \"st\"; };\n", path,
             sizeof path);
    config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    assert_non_null (config);
    assert_string_equal (hl_config_store (config)->file, "st/helios.db");
    assert_int_equal (hl_config_store (config)->backlog_mb, 64);
    hl_config_destroy (&config);

    //  state_dir and path must fit together
    char text[1200], dir[1001];
    memset (dir, 'd', sizeof dir - 1);
    dir[sizeof dir - 1] = 0;
    snprintf (text, sizeof text,
              "master = { state_dir = \"%s\"; };\n"
              "store = {\n  path = \"%s\"; };\n",
              dir, "a-rather-long-name-for-a-database-file.db");
    s_write ("store4.cfg", text, path, sizeof path);
    assert_null (hl_config_load (path, err, sizeof err));
    assert_int_equal (unlink (path), 0);
    if (!strstr (err, ":3: store.path: too long under master.state_dir: 1042 "
                      "bytes, at most 1023"))
        fail_msg ("got \"%s\"", err);
}

static const bad_case_t s_store_enabled
    = { "store = {\n  enabled = 1;\n};\n", 2, "expected a boolean" };
static const bad_case_t s_store_path
    = { "store = {\n  path = \"\";\n};\n", 2, "store.path: must not be empty" };
static const bad_case_t s_store_retention
    = { "store = {\n  retention_days = 0;\n};\n", 2, "out of range 1..3650" };
static const bad_case_t s_store_retention_high
    = { "store = {\n  retention_days = 3651;\n};\n", 2,
        "out of range 1..3650" };
static const bad_case_t s_store_backlog
    = { "store = {\n  backlog_mb = 4097;\n};\n", 2, "out of range 1..4096" };
static const bad_case_t s_store_unknown_key
    = { "store = {\n  retention = 3;\n};\n", 2,
        "store.retention: unknown key" };

// guard

static void
test_guard (void **state)
{
    (void)state;
    hl_config_t *config = hl_config_new_default ();
    const hl_config_guard_t *g = hl_config_guard (config);
    assert_int_equal (g->idem_window_s, 60);
    assert_int_equal (g->idem_client_bytes, 4 << 20);
    assert_int_equal (g->offender_errors, 100);
    assert_int_equal (g->offender_window_s, 10);
    assert_int_equal (g->offender_ban_s, 60);
    hl_config_destroy (&config);

    char path[512], err[512];
    s_write ("guard.cfg",
             "guard = { idem_window_s = 0; offender_errors = 0;\n"
             "          offender_peers = 1; idem_bytes = 1048576; };\n",
             path, sizeof path);
    config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    if (!config)
        fail_msg ("%s", err);
    g = hl_config_guard (config);
    assert_int_equal (g->idem_window_s, 0);
    assert_int_equal (g->offender_errors, 0);
    assert_int_equal (g->offender_peers, 1);
    assert_int_equal (g->idem_bytes, 1048576);
    assert_int_equal (g->offender_ban_s, 60);
    hl_config_destroy (&config);
}

static const bad_case_t s_guard_window
    = { "guard = {\n  idem_window_s = 3601;\n};\n", 2, "out of range 0..3600" };
static const bad_case_t s_guard_bytes
    = { "guard = {\n  idem_client_bytes = 1048575;\n};\n", 2,
        "out of range 1048576.." };
static const bad_case_t s_guard_ban
    = { "guard = {\n  offender_ban_s = 0;\n};\n", 2, "out of range 1..86400" };
static const bad_case_t s_guard_unknown_key
    = { "guard = {\n  offenders = 3;\n};\n", 2,
        "guard.offenders: unknown key" };

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_store),
        cmocka_unit_test (test_security),
        cmocka_unit_test (test_guard),
        BAD (_store_enabled),
        BAD (_store_path),
        BAD (_store_retention),
        BAD (_store_retention_high),
        BAD (_store_backlog),
        BAD (_store_unknown_key),
        BAD (_guard_window),
        BAD (_guard_bytes),
        BAD (_guard_ban),
        BAD (_guard_unknown_key),
    };
    return cmocka_run_group_tests_name ("hl_config_guard", tests, s_setup,
                                        s_teardown);
}
