/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_demo_script - deploy/demo.sh, behind make demo, played whole: it
    exits 0 and leaves its reports where the user can read them (the
    folder it names at the end), with the processes' log; the emergency's
    report ends with the health the emergency ended with, above the
    threshold, as the script says.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static void
test_demo_keeps_its_reports (void **state)
{
    (void)state;
    char dir[256];
    ht_tmpdir (dir, sizeof dir);
    const char *bin = getenv ("HELIOS_BIN") ? getenv ("HELIOS_BIN") : "bin";
    const char *argv[] = { "deploy/demo.sh", bin, dir, NULL };
    static char out[1 << 20], err[1 << 16];
    int rc = ht_run_group (argv, 600000, out, sizeof out, err, sizeof err);
    if (rc != 0)
        fail_msg ("demo.sh exited %d:\n%s\n%s", rc, out, err);

    /*  It says where the reports are, and they are there */
    char said[512];
    snprintf (said, sizeof said, "demo: done; the reports are in %s/reports/",
              dir);
    assert_non_null (strstr (out, said));
    char path[512];
    snprintf (path, sizeof path, "%s/reports/optimization-1.md", dir);
    assert_int_equal (access (path, R_OK), 0);
    snprintf (path, sizeof path, "%s/processes.log", dir);
    assert_int_equal (access (path, R_OK), 0);

    /*  The emergency's report: its last round's, which says how it ended */
    const char *line = strstr (out, "demo: emergency over: health ");
    assert_non_null (line);
    int id = 0;
    double before = 0, after = 0;
    assert_int_equal (sscanf (line,
                              "demo: emergency over: health %lf -> %lf "
                              "(report emergency-%d)",
                              &before, &after, &id),
                      3);
    assert_true (before < 50);
    assert_true (after >= 50);
    snprintf (path, sizeof path, "%s/reports/emergency-%d.json", dir, id);
    json_error_t jerr;
    json_t *report = json_load_file (path, 0, &jerr);
    assert_non_null (report);
    assert_true (json_number_value (json_object_get (report, "health_after"))
                 >= 50);
    json_t *em = json_object_get (report, "emergency");
    assert_true (json_is_true (json_object_get (em, "resolved")));
    json_decref (report);

    ht_rmdir (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_demo_keeps_its_reports, ht_teardown),
    };
    return cmocka_run_group_tests_name ("demo script", tests, NULL, NULL);
}
