/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_usage - every program a user runs answers a mistake on its
    command line the same way: one line on stderr, "<program>: unknown
    option '--x' (try --help)" (or "option '-c' needs a value", or
    "unexpected argument 'x'"), exit 2; a bad endpoint is one line too,
    not a socket's log line and then the program's. --help prints real
    help on stdout and exits 0, the launcher's included.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char s_out[65536], s_err[65536];

/*  Run program (a path) with ARGS... (NULL-terminated); stdout into
    s_out, stderr into s_err; the exit status. */
static int
s_run (const char *program, ...)
{
    const char *argv[16] = { program };
    int argc = 1;
    va_list ap;
    va_start (ap, program);
    const char *arg;
    while (argc < 15 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    va_end (ap);
    argv[argc] = NULL;
    return ht_run_group (argv, 10000, s_out, sizeof s_out, s_err, sizeof s_err);
}

/*  stderr is exactly "<name>: <what> (try --help)\n". */
static void
s_err_is (const char *name, const char *what)
{
    char want[1024];
    snprintf (want, sizeof want, "%s: %s (try --help)\n", name, what);
    if (strcmp (s_err, want))
        fail_msg ("stderr is \"%s\", want \"%s\"", s_err, want);
}

/*  The programs, by the name they give themselves; -c takes a value in
    each of them. */
static const struct {
    const char *name;
    const char *path; /* NULL: $HELIOS_BIN/name */
} s_programs[] = {
    { "helios-master", NULL }, { "helios-agent", NULL },
    { "helios-ctl", NULL },    { "helios-spy", NULL },
    { "helios-demo", NULL },   { "run.sh", "deploy/run.sh" },
    { "helios-node", NULL },
};

static const char *
s_path (size_t i)
{
    return s_programs[i].path ? s_programs[i].path
                              : ht_bin (s_programs[i].name);
}

static void
test_bad_flags_one_wording (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_programs / sizeof s_programs[0]; i++) {
        const char *name = s_programs[i].name;
        assert_int_equal (s_run (s_path (i), "--frobnicate", NULL), 2);
        s_err_is (name, "unknown option '--frobnicate'");
        assert_string_equal (s_out, "");
        assert_int_equal (s_run (s_path (i), "-c", NULL), 2);
        s_err_is (name, "option '-c' needs a value");
    }
    /*  After a command, the command says it */
    const char *ctl = ht_bin ("helios-ctl");
    const char *ep = "tcp://127.0.0.1:9";
    assert_int_equal (
        s_run (ctl, "-e", ep, "run", "optimization", "--frob", NULL), 2);
    s_err_is ("helios-ctl", "run: unknown option '--frob'");
    assert_int_equal (s_run (ctl, "-e", ep, "run", "analysis", "--param", NULL),
                      2);
    s_err_is ("helios-ctl", "run: option '--param' needs a value");
    assert_int_equal (s_run (ctl, "-e", ep, "status", "now", NULL), 2);
    s_err_is ("helios-ctl", "status: unexpected argument 'now'");
    assert_int_equal (s_run (ctl, "-e", ep, "cycles", "--long", NULL), 2);
    s_err_is ("helios-ctl", "cycles: unknown option '--long'");
    assert_int_equal (s_run (ctl, "-e", ep, "report", "--format", NULL), 2);
    s_err_is ("helios-ctl", "report: option '--format' needs a value");
    assert_int_equal (
        s_run (ctl, "-e", ep, "bench", "echo", "--tasks", "x", NULL), 2);
    s_err_is ("helios-ctl",
              "bench echo: --tasks wants a number 0..100000000, not 'x'");
    assert_int_equal (
        s_run (ctl, "-e", ep, "audit", "--since", "yesterday", NULL), 2);
    s_err_is ("helios-ctl", "audit: --since wants 30m, 2h, 7d, unix seconds "
                            "or 2026-12-06T05:00:00Z, not 'yesterday'");
    assert_int_equal (s_run (ctl, "-e", ep, "audit", "--action", NULL), 2);
    s_err_is ("helios-ctl", "audit: option '--action' needs a value");
    assert_int_equal (s_run (ctl, "-e", ep, "audit", "--who", "me", NULL), 2);
    s_err_is ("helios-ctl", "audit: unknown option '--who'");
    const char *agent = ht_bin ("helios-agent");
    assert_int_equal (
        s_run (agent, "--role", "hephaestus-backend", "--state-dir", NULL), 2);
    s_err_is ("helios-agent", "option '--state-dir' needs a value");
    assert_int_equal (
        s_run (agent, "--role", "hephaestus-backend", "--state-dir", "", NULL),
        2);
    s_err_is ("helios-agent", "--state-dir wants a folder, not ''");
    assert_int_equal (
        s_run (ctl, "-e", ep, "scale", "prometheus-frontend", NULL), 2);
    s_err_is ("helios-ctl", "scale: unexpected argument 'prometheus-frontend'");
    assert_int_equal (s_run (ctl, "-e", ep, "scale", "nobody=1", NULL), 2);
    s_err_is ("helios-ctl", "scale: unknown role 'nobody'");
    assert_int_equal (s_run (ctl, "-e", ep, "scale", "athena-ux=-1", NULL), 2);
    s_err_is ("helios-ctl", "scale: athena-ux wants a count 0..100000, not "
                            "'-1'");
    assert_int_equal (s_run (ctl, "-e", ep, "scale", "athena-ux=1", "--host",
                             "h", "--label", "a=b", NULL),
                      2);
    s_err_is ("helios-ctl", "scale: --host or --label, not both");
    assert_int_equal (s_run (ctl, "-e", ep, "scale", "--label", NULL), 2);
    s_err_is ("helios-ctl", "scale: option '--label' needs a value");
    assert_int_equal (s_run (ctl, "-e", ep, "nodes", "all", NULL), 2);
    s_err_is ("helios-ctl", "nodes: unexpected argument 'all'");
    const char *node = ht_bin ("helios-node");
    assert_int_equal (s_run (node, "--name", "Web 1", NULL), 2);
    s_err_is ("helios-node",
              "--name wants 1..63 bytes of [a-z0-9_.-], not 'Web 1'");
    assert_int_equal (s_run (node, "--master", "nonsense", NULL), 2);
    s_err_is ("helios-node", "bad endpoint 'nonsense': want tcp://HOST:PORT, "
                             "ipc://PATH or inproc://NAME");
    assert_int_equal (s_run (node, "extra", NULL), 2);
    s_err_is ("helios-node", "unexpected argument 'extra'");
    assert_int_equal (s_run (ht_bin ("helios-master"), "extra", NULL), 2);
    s_err_is ("helios-master", "unexpected argument 'extra'");
    assert_int_equal (s_run (ht_bin ("helios-spy"), "extra", NULL), 2);
    s_err_is ("helios-spy", "unexpected argument 'extra'");
    assert_int_equal (s_run (ht_bin ("helios-demo"), "get", "--all", NULL), 2);
    s_err_is ("helios-demo", "get: unknown option '--all'");
    assert_int_equal (s_run ("deploy/run.sh", "extra", NULL), 2);
    s_err_is ("run.sh", "unexpected argument 'extra'");
}

/*  A bad endpoint: one line that says what an endpoint looks like. */
static void
test_bad_endpoint_one_line (void **state)
{
    (void)state;
    const char *what = "bad endpoint 'nonsense': want tcp://HOST:PORT, "
                       "ipc://PATH or inproc://NAME";
    assert_int_equal (
        s_run (ht_bin ("helios-ctl"), "-e", "nonsense", "status", NULL), 2);
    s_err_is ("helios-ctl", what);
    assert_int_equal (
        s_run (ht_bin ("helios-spy"), "-e", "nonsense", "--count", "1", NULL),
        2);
    s_err_is ("helios-spy", what);
    assert_int_equal (s_run (ht_bin ("helios-agent"), "--role", "athena-ux",
                             "--master", "nonsense", NULL),
                      2);
    s_err_is ("helios-agent", what);
}

/*  --help is help: on stdout, exit 0, for the launcher too (it used to
    print its own source lines). */
static void
test_help (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_programs / sizeof s_programs[0]; i++) {
        assert_int_equal (s_run (s_path (i), "--help", NULL), 0);
        if (strncmp (s_out, "usage: ", 7))
            fail_msg ("%s --help: %s", s_programs[i].name, s_out);
        assert_string_equal (s_err, "");
    }
    assert_int_equal (s_run ("deploy/run.sh", "--help", NULL), 0);
    assert_null (strstr (s_out, "set -u"));
    assert_null (strstr (s_out, "bin="));
    assert_non_null (strstr (s_out, "--no-demo"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_bad_flags_one_wording, ht_teardown),
        cmocka_unit_test_teardown (test_bad_endpoint_one_line, ht_teardown),
        cmocka_unit_test_teardown (test_help, ht_teardown),
    };
    return cmocka_run_group_tests_name ("usage", tests, NULL, NULL);
}
