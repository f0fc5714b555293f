/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_log - level names and filtering, the line format (stderr is
    redirected to a temporary file), and the bounds of hl_log_escape and
    hl_log_hex: exact fit, truncation, NUL bytes, tiny and empty buffers.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bus/hl_log.h"

// --------------------------------------------------------------------
// Capturing stderr

static int s_saved_fd = -1;
static FILE *s_capture;

static void
s_capture_start (void)
{
    s_capture = tmpfile ();
    assert_non_null (s_capture);
    fflush (stderr);
    s_saved_fd = dup (STDERR_FILENO);
    assert_true (s_saved_fd >= 0);
    assert_true (dup2 (fileno (s_capture), STDERR_FILENO) >= 0);
}

//  Restore stderr and return what was written (caller frees)
static char *
s_capture_end (void)
{
    fflush (stderr);
    assert_true (dup2 (s_saved_fd, STDERR_FILENO) >= 0);
    close (s_saved_fd);
    s_saved_fd = -1;
    //  Writes went through the fd, so ask the kernel, not the FILE
    off_t size = lseek (fileno (s_capture), 0, SEEK_END);
    assert_true (size >= 0);
    char *text = calloc (1, (size_t)size + 1);
    assert_non_null (text);
    assert_int_equal (pread (fileno (s_capture), text, (size_t)size, 0), size);
    fclose (s_capture);
    s_capture = NULL;
    return text;
}

static int s_evaluated;

static int
s_side_effect (void)
{
    s_evaluated++;
    return 42;
}

static bool
s_matches (const char *text, const char *pattern)
{
    regex_t re;
    assert_int_equal (regcomp (&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec (&re, text, 0, NULL, 0) == 0;
    regfree (&re);
    return ok;
}

// --------------------------------------------------------------------

static void
test_level_names (void **state)
{
    (void)state;
    assert_int_equal (hl_log_level_from_name ("error"), HL_LOG_ERROR);
    assert_int_equal (hl_log_level_from_name ("warning"), HL_LOG_WARNING);
    assert_int_equal (hl_log_level_from_name ("notice"), HL_LOG_NOTICE);
    assert_int_equal (hl_log_level_from_name ("info"), HL_LOG_INFO);
    assert_int_equal (hl_log_level_from_name ("debug"), HL_LOG_DEBUG);
    assert_int_equal (hl_log_level_from_name ("Error"), -1);
    assert_int_equal (hl_log_level_from_name ("warn"), -1);
    assert_int_equal (hl_log_level_from_name ("debug2"), -1);
    assert_int_equal (hl_log_level_from_name (""), -1);
    assert_int_equal (hl_log_level_from_name (NULL), -1);
    //  name and from_name are each other's inverse
    for (int i = HL_LOG_ERROR; i <= HL_LOG_DEBUG; i++)
        assert_int_equal (
            hl_log_level_from_name (hl_log_level_name ((hl_log_level_t)i)), i);
    assert_string_equal (hl_log_level_name (HL_LOG_NOTICE), "notice");
    assert_string_equal (hl_log_level_name ((hl_log_level_t)-1), "?");
    assert_string_equal (hl_log_level_name ((hl_log_level_t)(HL_LOG_DEBUG + 1)),
                         "?");

    hl_log_set_level (HL_LOG_INFO);
    assert_int_equal (hl_log_level (), HL_LOG_INFO);
    hl_log_init ("x", HL_LOG_DEBUG, false);
    assert_int_equal (hl_log_level (), HL_LOG_DEBUG);
}

static void
test_filtering (void **state)
{
    (void)state;
    hl_log_init ("test-1", HL_LOG_NOTICE, false);
    s_evaluated = 0;
    s_capture_start ();
    hl_log_debug ("hidden debug %d", s_side_effect ());
    hl_log_info ("hidden info %d", s_side_effect ());
    hl_log_notice ("shown notice %d", s_side_effect ());
    hl_log_warning ("shown warning");
    hl_log_error ("shown error");
    //  hl_log_write ignores the level: the macros do the filtering
    hl_log_write (HL_LOG_DEBUG, "forced debug");
    char *text = s_capture_end ();

    //  Arguments below the level are not even evaluated
    assert_int_equal (s_evaluated, 1);
    assert_null (strstr (text, "hidden"));
    const char *stamp = "[0-9]{4}-[0-9]{2}-[0-9]{2} "
                        "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}";
    char pattern[512];
    snprintf (pattern, sizeof pattern,
              "^N %s test-1: shown notice 42\n"
              "W %s test-1: shown warning\n"
              "E %s test-1: shown error\n"
              "D %s test-1: forced debug\n$",
              stamp, stamp, stamp, stamp);
    if (!s_matches (text, pattern))
        fail_msg ("unexpected log output:\n%s", text);
    free (text);

    hl_log_set_level (HL_LOG_ERROR);
    s_capture_start ();
    hl_log_warning ("hidden");
    text = s_capture_end ();
    assert_string_equal (text, "");
    free (text);

    hl_log_set_level (HL_LOG_DEBUG);
    s_capture_start ();
    hl_log_debug ("debug %s", "on");
    text = s_capture_end ();
    assert_true (s_matches (text, "^D .* test-1: debug on\n$"));
    free (text);
}

static void
test_one_line (void **state)
{
    (void)state;
    hl_log_init ("t", HL_LOG_DEBUG, false);
    s_capture_start ();
    //  Control bytes in a message cannot split the line
    hl_log_info ("two\nlines\r\tand a bell \a");
    char *long_text = malloc (5000);
    assert_non_null (long_text);
    memset (long_text, 'x', 4999);
    long_text[4999] = '\0';
    hl_log_info ("%s", long_text);
    free (long_text);
    char *text = s_capture_end ();

    char *second = strchr (text, '\n');
    assert_non_null (second);
    second++;
    assert_true (s_matches (text, "^I .* t: two lines  and a bell  \n"));
    //  A long message is cut, marked, and still ends its line
    size_t len = strlen (second);
    assert_true (len > 1000 && len <= 2048);
    assert_memory_equal (second + len - 5, "x...\n", 5);
    assert_ptr_equal (strchr (second, '\n'), second + len - 1);
    free (text);
}

static void
test_escape (void **state)
{
    (void)state;
    char buf[64];

    //  Exact fit: 3 characters and the NUL
    assert_ptr_equal (hl_log_escape (buf, 4, "abc", 3), buf);
    assert_string_equal (buf, "abc");
    //  One more byte does not fit: cut, with "..."
    hl_log_escape (buf, 4, "abcd", 4);
    assert_string_equal (buf, "...");
    hl_log_escape (buf, 6, "abcdef", 6);
    assert_string_equal (buf, "ab...");
    //  len bounds the input, NUL bytes included
    hl_log_escape (buf, sizeof buf, "abcdef", 2);
    assert_string_equal (buf, "ab");
    hl_log_escape (buf, sizeof buf, "a\0b", 3);
    assert_string_equal (buf, "a\\x00b");
    hl_log_escape (buf, sizeof buf, "\\ \x7f\xff\n~", 6);
    assert_string_equal (buf, "\\x5c \\x7f\\xff\\x0a~");
    //  An escape sequence is never split: \x01 fits exactly, \x02 not
    hl_log_escape (buf, 5, "\x01", 1);
    assert_string_equal (buf, "\\x01");
    hl_log_escape (buf, 8, "\x01\x02", 2);
    assert_string_equal (buf, "\\x01...");
    hl_log_escape (buf, 7, "\x01\x02", 2);
    assert_string_equal (buf, "...");

    //  Tiny buffers: as much as fits, always terminated
    memset (buf, '#', sizeof buf);
    hl_log_escape (buf, 0, "abc", 3);
    assert_int_equal (buf[0], '#');
    hl_log_escape (buf, 1, "abc", 3);
    assert_string_equal (buf, "");
    hl_log_escape (buf, 2, "abc", 3);
    assert_string_equal (buf, ".");
    hl_log_escape (buf, 3, "abc", 3);
    assert_string_equal (buf, "..");
    assert_null (hl_log_escape (NULL, 0, "abc", 3));

    //  Empty and absent input
    hl_log_escape (buf, sizeof buf, "", 0);
    assert_string_equal (buf, "");
    hl_log_escape (buf, sizeof buf, NULL, 5);
    assert_string_equal (buf, "");
}

static void
test_hex (void **state)
{
    (void)state;
    char buf[64];
    const unsigned char data[] = { 0x00, 0xff, 0x10, 0xab };

    assert_ptr_equal (hl_log_hex (buf, 7, data, 3), buf);
    assert_string_equal (buf, "00ff10"); // exact fit
    hl_log_hex (buf, 6, data, 3);
    assert_string_equal (buf, "00...");
    hl_log_hex (buf, 8, data, 4);
    assert_string_equal (buf, "00ff...");
    hl_log_hex (buf, sizeof buf, data, 4);
    assert_string_equal (buf, "00ff10ab");
    hl_log_hex (buf, sizeof buf, data, 0);
    assert_string_equal (buf, "");

    memset (buf, '#', sizeof buf);
    hl_log_hex (buf, 0, data, 4);
    assert_int_equal (buf[0], '#');
    hl_log_hex (buf, 1, data, 4);
    assert_string_equal (buf, "");
    hl_log_hex (buf, 3, data, 1);
    assert_string_equal (buf, "00");
    hl_log_hex (buf, 3, data, 2);
    assert_string_equal (buf, "..");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_level_names), cmocka_unit_test (test_filtering),
        cmocka_unit_test (test_one_line),    cmocka_unit_test (test_escape),
        cmocka_unit_test (test_hex),
    };
    return cmocka_run_group_tests_name ("hl_log", tests, NULL, NULL);
}
