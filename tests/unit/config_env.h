/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    config_env - what the hl_config tests share: a mkdtemp() folder for
    the files they load (removed at the end: every test removes its own
    file), and the bad-input case, a file with the line its error must
    name and a word its reason must contain. Header-only: each test is
    one binary (test_hl_config, _io, _guard, _node).
*/
#ifndef HL_TEST_CONFIG_ENV_H
#define HL_TEST_CONFIG_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bus/hl_config.h"

static char s_dir[] = "/tmp/hl_config_test.XXXXXX";

//  Write text into the test folder as name; path gets the file's path
static inline void
s_write (const char *name, const char *text, char *path, size_t size)
{
    snprintf (path, size, "%s/%s", s_dir, name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    assert_int_equal (fputs (text, file) >= 0, 1);
    assert_int_equal (fclose (file), 0);
}

static inline int
s_setup (void **state)
{
    (void)state;
    return mkdtemp (s_dir) ? 0 : -1;
}

static inline int
s_teardown (void **state)
{
    (void)state;
    //  Every test removes its own file; rmdir fails on leftovers
    return rmdir (s_dir);
}

//  Bad input: each case is a file, the line the error must name, and a
//  word the reason must contain
typedef struct {
    const char *text;
    int line;
    const char *reason;
} bad_case_t;

static inline void
test_bad (void **state)
{
    const bad_case_t *bad = *state;
    char path[512], err[512], prefix[600];
    s_write ("bad.cfg", bad->text, path, sizeof path);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    assert_int_equal (unlink (path), 0);
    assert_null (config);
    snprintf (prefix, sizeof prefix, "%s:%d: ", path, bad->line);
    if (strncmp (err, prefix, strlen (prefix)) != 0
        || !strstr (err, bad->reason))
        fail_msg ("got \"%s\", want \"%s...%s...\"", err, prefix, bad->reason);
}

#define BAD(name)                                                              \
    {                                                                          \
        "bad" #name, test_bad, NULL, NULL, (void *)&s##name                    \
    }

#endif
