/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_alloc - zeroed blocks, zero sizes that are never NULL, string
    copies, and abort (not a NULL) when a request cannot be met.
*/
#include <setjmp.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../proto/hl_alloc.h"

static void
test_blocks (void **state)
{
    (void)state;
    unsigned char *p = (unsigned char *)hl_alloc (64);
    for (int i = 0; i < 64; i++)
        assert_int_equal (p[i], 0);
    p = (unsigned char *)hl_realloc (p, 4096);
    p[4095] = 7;
    free (p);
    void *z = hl_alloc (0);
    assert_non_null (z);
    free (z);
    uint32_t *a = (uint32_t *)hl_calloc (100, sizeof (uint32_t));
    for (int i = 0; i < 100; i++)
        assert_int_equal (a[i], 0);
    free (a);
    z = hl_calloc (0, 8);
    assert_non_null (z);
    free (z);
    z = hl_realloc (NULL, 0);
    assert_non_null (z);
    free (z);
    //  Not zeroed, but every byte is there to write
    p = (unsigned char *)hl_malloc (100);
    memset (p, 0xa5, 100);
    assert_int_equal (p[99], 0xa5);
    free (p);
    z = hl_malloc (0);
    assert_non_null (z);
    free (z);
}

static void
test_strings (void **state)
{
    (void)state;
    char *s = hl_strdup ("helios");
    assert_string_equal (s, "helios");
    free (s);
    s = hl_strdup (NULL);
    assert_string_equal (s, "");
    free (s);
    //  Not terminated in the input: stops at len
    const char raw[4] = { 'a', 'b', 'c', 'd' };
    s = hl_strndup (raw, 3);
    assert_string_equal (s, "abc");
    free (s);
    s = hl_strndup (raw, 0);
    assert_string_equal (s, "");
    free (s);
}

//  Run fn in a child; true if the child died instead of going on with
//  a NULL (SIGABRT from hl_alloc; a sanitizer's allocator may end the
//  process its own way first, which is as good)
static bool
s_dies (void (*fn) (void))
{
    pid_t pid = fork ();
    if (pid == 0) {
        int null = open ("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2 (null, STDERR_FILENO);
        fn ();
        _exit (0);
    }
    int status = 0;
    waitpid (pid, &status, 0);
    return !(WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

static void
s_overflow (void)
{
    free (hl_calloc (SIZE_MAX / 2, 4));
}

static void
s_huge (void)
{
    free (hl_alloc (SIZE_MAX - 64));
}

static void
s_huge_malloc (void)
{
    free (hl_malloc (SIZE_MAX - 64));
}

static void
test_out_of_memory_aborts (void **state)
{
    (void)state;
    assert_true (s_dies (s_overflow));
    assert_true (s_dies (s_huge));
    assert_true (s_dies (s_huge_malloc));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_blocks),
        cmocka_unit_test (test_strings),
        cmocka_unit_test (test_out_of_memory_aborts),
    };
    return cmocka_run_group_tests_name ("hl_alloc", tests, NULL, NULL);
}
