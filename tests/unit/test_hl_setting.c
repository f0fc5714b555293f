/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_setting - the typed libconfig readers: every failure as
    "file:line: path: reason", absent members leaving the default alone,
    each reader at its limits and one past, enums listing their choices,
    endpoints and listeners, string lists, and sections.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../bus/hl_setting.h"

//  One parsed text and the context its errors go to
typedef struct {
    config_t cfg;
    char err[256];
    hl_setting_ctx_t ctx;
} fixture_t;

static fixture_t *
s_parse (const char *text)
{
    fixture_t *self = (fixture_t *)calloc (1, sizeof *self);
    assert_non_null (self);
    config_init (&self->cfg);
    if (config_read_string (&self->cfg, text) != CONFIG_TRUE)
        fail_msg ("line %d: %s", config_error_line (&self->cfg),
                  config_error_text (&self->cfg));
    self->ctx.path = "test.cfg";
    self->ctx.err = self->err;
    self->ctx.errsize = sizeof self->err;
    return self;
}

static void
s_destroy (fixture_t **self_p)
{
    config_destroy (&(*self_p)->cfg);
    free (*self_p);
    *self_p = NULL;
}

static const config_setting_t *
s_lookup (fixture_t *self, const char *path)
{
    const config_setting_t *setting = config_lookup (&self->cfg, path);
    assert_non_null (setting);
    return setting;
}

//  The last error is exactly want
static void
s_err_is (fixture_t *self, const char *want)
{
    if (strcmp (self->err, want) != 0)
        fail_msg ("got \"%s\", want \"%s\"", self->err, want);
}

static void
test_fail (void **state)
{
    (void)state;
    fixture_t *f = s_parse ("a = {\n  b = ( { c = 1; }, { c = 2; } );\n};\n");
    const config_setting_t *c = s_lookup (f, "a.b.[1].c");
    assert_int_equal (hl_setting_fail (&f->ctx, c, "bad %d", 7), -1);
    s_err_is (f, "test.cfg:2: a.b[1].c: bad 7");
    assert_int_equal (hl_setting_fail (&f->ctx, NULL, "no file"), -1);
    s_err_is (f, "test.cfg:0: no file");
    assert_int_equal (hl_setting_wrong_type (&f->ctx, c, "a string"), -1);
    s_err_is (f, "test.cfg:2: a.b[1].c: wrong type: expected a string, got an "
                 "integer");
    assert_int_equal (
        hl_setting_wrong_type (&f->ctx, s_lookup (f, "a.b"), "a group"), -1);
    s_err_is (f, "test.cfg:2: a.b: wrong type: expected a group, got a list");
    //  A small buffer is cut, never overrun; no buffer at all is fine
    char small[12];
    hl_setting_ctx_t ctx = { "test.cfg", small, sizeof small };
    assert_int_equal (hl_setting_fail (&ctx, c, "long reason"), -1);
    assert_string_equal (small, "test.cfg:2:");
    ctx.err = NULL;
    assert_int_equal (hl_setting_fail (&ctx, c, "x"), -1);
    s_destroy (&f);
}

static void
test_keys (void **state)
{
    (void)state;
    static const char *keys[] = { "one", "two", NULL };
    fixture_t *f = s_parse ("g = { one = 1; x_mine = 2; };\n"
                            "h = { one = 1;\n  three = 3; };\n");
    assert_true (hl_setting_known ("two", keys));
    assert_true (hl_setting_known ("x_anything", keys));
    assert_false (hl_setting_known ("three", keys));
    assert_false (hl_setting_known ("x", keys));
    assert_int_equal (hl_setting_check_keys (&f->ctx, s_lookup (f, "g"), keys),
                      0);
    assert_int_equal (hl_setting_check_keys (&f->ctx, s_lookup (f, "h"), keys),
                      -1);
    s_err_is (f, "test.cfg:3: h.three: unknown key \"three\"");
    assert_int_equal (hl_setting_require (&f->ctx, s_lookup (f, "g"), "one"),
                      0);
    assert_int_equal (hl_setting_require (&f->ctx, s_lookup (f, "g"), "two"),
                      -1);
    s_err_is (f, "test.cfg:1: g: missing required setting \"two\"");
    s_destroy (&f);
}

static void
test_numbers (void **state)
{
    (void)state;
    fixture_t *f = s_parse ("g = { lo = 1; hi = 10; over = 11; f = 2.5;\n"
                            "  big = 9000000000L; s = \"1\"; b = true; };\n");
    const config_setting_t *g = s_lookup (f, "g");
    int n = -1;
    assert_int_equal (hl_setting_read_int (&f->ctx, g, "lo", 1, 10, &n), 0);
    assert_int_equal (n, 1);
    assert_int_equal (hl_setting_read_int (&f->ctx, g, "hi", 1, 10, &n), 0);
    assert_int_equal (n, 10);
    assert_int_equal (hl_setting_read_int (&f->ctx, g, "over", 1, 10, &n), -1);
    s_err_is (f, "test.cfg:1: g.over: 11 out of range 1..10");
    assert_int_equal (n, 10);
    //  Floats are refused, not truncated; absent leaves the default
    assert_int_equal (hl_setting_read_int (&f->ctx, g, "f", 0, 10, &n), -1);
    s_err_is (f, "test.cfg:1: g.f: wrong type: expected an integer, got a "
                 "float");
    assert_int_equal (hl_setting_read_int (&f->ctx, g, "none", 0, 10, &n), 0);
    assert_int_equal (n, 10);
    int64_t big = 0;
    assert_int_equal (
        hl_setting_int64 (&f->ctx, s_lookup (f, "g.big"), 0, INT64_MAX, &big),
        0);
    assert_true (big == 9000000000LL);

    //  Numbers: integers and floats alike
    double d = -1;
    assert_int_equal (hl_setting_read_double (&f->ctx, g, "f", 0, 2.5, &d), 0);
    assert_true (d == 2.5);
    assert_int_equal (hl_setting_read_double (&f->ctx, g, "hi", 0, 100, &d), 0);
    assert_true (d == 10);
    assert_int_equal (hl_setting_read_double (&f->ctx, g, "f", 0, 2.4, &d), -1);
    s_err_is (f, "test.cfg:1: g.f: 2.5 out of range 0..2.4");
    assert_int_equal (hl_setting_read_double (&f->ctx, g, "s", 0, 2, &d), -1);
    s_err_is (f, "test.cfg:2: g.s: wrong type: expected a number, got a "
                 "string");
    assert_int_equal (hl_setting_read_double (&f->ctx, g, "none", 0, 2, &d), 0);
    assert_true (d == 10);

    bool b = false;
    assert_int_equal (hl_setting_read_bool (&f->ctx, g, "b", &b), 0);
    assert_true (b);
    assert_int_equal (hl_setting_read_bool (&f->ctx, g, "lo", &b), -1);
    s_err_is (f, "test.cfg:1: g.lo: wrong type: expected a boolean (true or "
                 "false), got an integer");
    s_destroy (&f);
}

static void
test_strings (void **state)
{
    (void)state;
    fixture_t *f = s_parse ("g = { s = \"abcd\"; n = 4; mode = \"fast\";\n"
                            "  name = \"api.time:p99-x\"; bad = \"a b\";\n"
                            "  list = [ \"a\", \"bb\" ]; long = ( \"ccc\" );"
                            "  num = [ 1 ]; };\n");
    const config_setting_t *g = s_lookup (f, "g");
    char out[5] = "";
    assert_int_equal (hl_setting_read_string (&f->ctx, g, "s", out, 5), 0);
    assert_string_equal (out, "abcd");
    assert_int_equal (hl_setting_read_string (&f->ctx, g, "s", out, 4), -1);
    s_err_is (f, "test.cfg:1: g.s: too long (4 bytes, at most 3)");
    assert_int_equal (hl_setting_read_string (&f->ctx, g, "n", out, 5), -1);
    assert_null (hl_setting_string (&f->ctx, s_lookup (f, "g.n"), 5));

    static const char *modes[] = { "slow", "normal", "fast", NULL };
    int index = -1;
    assert_int_equal (hl_setting_read_enum (&f->ctx, g, "mode", modes, &index),
                      0);
    assert_int_equal (index, 2);
    assert_int_equal (hl_setting_read_enum (&f->ctx, g, "s", modes, &index),
                      -1);
    s_err_is (f, "test.cfg:1: g.s: bad value \"abcd\": must be one of slow, "
                 "normal or fast");
    assert_int_equal (index, 2);

    char name[16];
    assert_int_equal (hl_setting_read_name (&f->ctx, g, name, sizeof name), 0);
    assert_string_equal (name, "api.time:p99-x");
    fixture_t *bad = s_parse ("g = { name = \"a b\"; };\nh = { x = 1; };\n");
    assert_int_equal (hl_setting_read_name (&bad->ctx, s_lookup (bad, "g"),
                                            name, sizeof name),
                      -1);
    s_err_is (bad, "test.cfg:1: g.name: bad name \"a b\": use 1 or more of "
                   "[A-Za-z0-9_.:-]");
    assert_int_equal (hl_setting_read_name (&bad->ctx, s_lookup (bad, "h"),
                                            name, sizeof name),
                      -1);
    s_err_is (bad, "test.cfg:2: h: missing required setting \"name\"");
    s_destroy (&bad);

    //  String lists: arrays or lists, each shorter than size
    char **list = NULL;
    size_t n = 0;
    assert_int_equal (
        hl_setting_read_strings (&f->ctx, g, "list", 3, &list, &n), 0);
    assert_int_equal (n, 2);
    assert_string_equal (list[1], "bb");
    for (size_t i = 0; i < n; i++)
        free (list[i]);
    free (list);
    list = NULL;
    n = 0;
    assert_int_equal (
        hl_setting_read_strings (&f->ctx, g, "long", 3, &list, &n), -1);
    s_err_is (f, "test.cfg:3: g.long[0]: too long (3 bytes, at most 2)");
    assert_int_equal (n, 0);
    free (list);
    list = NULL;
    assert_int_equal (hl_setting_read_strings (&f->ctx, g, "s", 3, &list, &n),
                      -1);
    s_err_is (f, "test.cfg:1: g.s: wrong type: expected an array of strings "
                 "[ ... ], got a string");
    assert_null (list);
    assert_int_equal (
        hl_setting_read_strings (&f->ctx, g, "none", 3, &list, &n), 0);
    assert_null (list);
    s_destroy (&f);
}

static void
test_endpoints (void **state)
{
    (void)state;
    fixture_t *f = s_parse (
        "g = { tcp = \"tcp://*:7701\"; ipc = \"ipc:///tmp/x\";\n"
        "  inproc = \"inproc://a\"; bare = \"tcp://\"; http = \"http://x\";\n"
        "  listen = \"127.0.0.1:65535\"; off = \"\"; port = \"h:65536\";\n"
        "  nohost = \":80\"; noport = \"h:\"; };\n");
    const config_setting_t *g = s_lookup (f, "g");
    char out[32];
    const char *good[] = { "tcp", "ipc", "inproc" };
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (
            hl_setting_read_endpoint (&f->ctx, g, good[i], out, sizeof out), 0);
    assert_string_equal (out, "inproc://a");
    assert_int_equal (
        hl_setting_read_endpoint (&f->ctx, g, "bare", out, sizeof out), -1);
    s_err_is (f, "test.cfg:2: g.bare: bad endpoint \"tcp://\": must start "
                 "with tcp://, ipc:// or inproc://");
    assert_int_equal (
        hl_setting_read_endpoint (&f->ctx, g, "http", out, sizeof out), -1);
    assert_int_equal (hl_setting_read_endpoint (&f->ctx, g, "tcp", out, 12),
                      -1);
    s_err_is (f, "test.cfg:1: g.tcp: too long (12 bytes, at most 11)");

    assert_int_equal (
        hl_setting_read_listen (&f->ctx, g, "listen", out, sizeof out), 0);
    assert_string_equal (out, "127.0.0.1:65535");
    assert_int_equal (
        hl_setting_read_listen (&f->ctx, g, "off", out, sizeof out), 0);
    assert_string_equal (out, "");
    const char *bad[] = { "port", "nohost", "noport" };
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (
            hl_setting_read_listen (&f->ctx, g, bad[i], out, sizeof out), -1);
    s_err_is (f, "test.cfg:4: g.noport: bad endpoint \"h:\": must be "
                 "host:port or \"\"");
    s_destroy (&f);
}

static void
test_sections (void **state)
{
    (void)state;
    static const char *keys[] = { "a", NULL };
    fixture_t *f = s_parse ("list = ( { a = 1; } );\nempty = [];\n"
                            "array = [ 1 ];\ngroup = { a = 1; };\n"
                            "scalar = 3;\nodd = { b = 2; };\n");
    assert_true (hl_setting_is_list (s_lookup (f, "list")));
    assert_true (hl_setting_is_list (s_lookup (f, "empty")));
    assert_false (hl_setting_is_list (s_lookup (f, "array")));
    assert_false (hl_setting_is_list (s_lookup (f, "group")));

    int rc = 99;
    assert_ptr_equal (hl_setting_section (&f->ctx, &f->cfg, "group", keys, &rc),
                      s_lookup (f, "group"));
    assert_int_equal (rc, 0);
    assert_null (hl_setting_section (&f->ctx, &f->cfg, "absent", keys, &rc));
    assert_int_equal (rc, 0);
    assert_null (hl_setting_section (&f->ctx, &f->cfg, "scalar", keys, &rc));
    assert_int_equal (rc, -1);
    s_err_is (f, "test.cfg:5: scalar: wrong type: expected a group { ... }, "
                 "got an integer");
    assert_null (hl_setting_section (&f->ctx, &f->cfg, "odd", keys, &rc));
    assert_int_equal (rc, -1);
    s_err_is (f, "test.cfg:6: odd.b: unknown key \"b\"");
    s_destroy (&f);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fail),      cmocka_unit_test (test_keys),
        cmocka_unit_test (test_numbers),   cmocka_unit_test (test_strings),
        cmocka_unit_test (test_endpoints), cmocka_unit_test (test_sections),
    };
    return cmocka_run_group_tests_name ("hl_setting", tests, NULL, NULL);
}
