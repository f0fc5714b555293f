/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hostile_queue - a hostile client against a real helios-master:
    big echo tasks (about 780 KB each) sent through task.run to a role
    with no agent. The master takes them up to limits.queue_bytes and
    refuses the rest by name ("queue_bytes"); the queued ones end at their
    time to live, which frees their bytes for the next wave; its RSS stays
    bounded all along. An apply without an action is refused by name too.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <stdio.h>
#include <string.h>

#include "../../master/hl_client.h"
#include "../integration/harness.h"

#define S_BOUND (16 * 1024 * 1024) /* limits.queue_bytes here */
#define S_TTL_MS 2000              /* limits.queue_ttl_ms here */
#define S_TASKS 150                /* per wave: 117 MB of args */
#define S_STRINGS 13               /* strings of S_STRING bytes a task */
#define S_STRING 60000
#define S_WAIT_MS 10000

/*  The master's resident set, bytes (from /proc), or -1. */
static int64_t
s_rss (pid_t pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    int64_t kb = -1;
    while (fgets (line, sizeof line, file))
        if (sscanf (line, "VmRSS: %" SCNd64, &kb) == 1)
            break;
    fclose (file);
    return kb < 0 ? -1 : kb * 1024;
}

/*  A figure of status' tasks map. */
static int64_t
s_tasks_stat (const ht_master_t *m, const char *key)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    assert_non_null (reply);
    int64_t v = hl_value_get_int (hl_value_get (hl_msg_data (reply), "tasks"),
                                  key, -1);
    hl_msg_destroy (&reply);
    return v;
}

/*  One big echo for athena-api (no such agent here), not waited for.
    True if taken; else the refusal must name queue_bytes. */
static bool
s_send_big (hl_client_t *client, const char *blob)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind", "echo");
    hl_value_set_str (args, "role", "athena-api");
    hl_value_set_bool (args, "wait", false);
    hl_value_t *targs = hl_value_new_map ();
    hl_value_t *list = hl_value_new_array ();
    for (int i = 0; i < S_STRINGS; i++) {
        hl_value_t *s = hl_value_new_str (blob);
        hl_value_append (list, &s);
    }
    hl_value_set (targs, "blob", &list);
    hl_value_set (args, "args", &targs);
    hl_msg_t *reply = NULL;
    assert_int_equal (
        hl_client_request (client, "task.run", &args, S_WAIT_MS, &reply), 0);
    bool ok = hl_msg_ok (reply);
    if (!ok && !strstr (hl_msg_error (reply), "queue_bytes: "))
        fail_msg ("refused, but not by name: %s", hl_msg_error (reply));
    hl_msg_destroy (&reply);
    return ok;
}

/*  A wave of S_TASKS big tasks; how many were taken. */
static int
s_wave (hl_client_t *client, const char *blob)
{
    int taken = 0;
    for (int i = 0; i < S_TASKS; i++)
        taken += s_send_big (client, blob);
    return taken;
}

/*  Poll until the tasks' figure key reaches want, within S_WAIT_MS. */
static void
s_wait_stat (const ht_master_t *m, const char *key, int64_t want)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    int64_t v;
    while ((v = s_tasks_stat (m, key)) != want && zclock_mono () < deadline)
        zclock_sleep (50); /* a poll's pace, not a wait for time */
    assert_int_equal (v, want);
}

static void
test_big_tasks_bounded (void **state)
{
    (void)state;
    char limits[128];
    snprintf (limits, sizeof limits,
              "limits = { queue_bytes = %d; queue_ttl_ms = %d; };", S_BOUND,
              S_TTL_MS);
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, limits));
    hl_client_t *client = hl_client_new (m.control, "hostile");
    assert_non_null (client);
    char *blob = (char *)malloc (S_STRING + 1);
    memset (blob, 'x', S_STRING);
    blob[S_STRING] = 0;
    int64_t before = s_rss (m.proc->pid);
    assert_true (before > 0);

    /*  A first wave: what fits is taken, the rest refused by name. */
    int taken = s_wave (client, blob);
    assert_true (taken > 0 && taken < S_TASKS);
    int64_t bytes = s_tasks_stat (&m, "bytes");
    assert_true (bytes > 0 && bytes <= S_BOUND);
    /*  Each taken one waits, or has already waited out its time to
        live (a slow build, a sanitizer's, may take that long to send) */
    hl_msg_t *look = (hl_msg_t *)ht_request (&m, "status", NULL);
    assert_non_null (look);
    const hl_value_t *tasks = hl_value_get (hl_msg_data (look), "tasks");
    assert_int_equal (hl_value_get_int (tasks, "queued", -1)
                          + hl_value_get_int (tasks, "ttl_expired", -1),
                      taken);
    hl_msg_destroy (&look);
    int64_t first = s_rss (m.proc->pid);

    /*  They end at their time to live, and free their bytes: a second
        wave is taken as the first was. */
    s_wait_stat (&m, "ttl_expired", taken);
    assert_int_equal (s_tasks_stat (&m, "bytes"), 0);
    int again = s_wave (client, blob);
    assert_true (again > 0);
    int64_t second = s_rss (m.proc->pid);
    s_wait_stat (&m, "ttl_expired", taken + again);
    hl_value_t *status = NULL;
    hl_msg_t *reply = (hl_msg_t *)ht_request (&m, "status", NULL);
    assert_non_null (reply);
    status = hl_value_dup (hl_value_get (hl_msg_data (reply), "tasks"));
    hl_msg_destroy (&reply);
    int64_t refused = hl_value_get_int (hl_value_get (status, "refused_by"),
                                        "queue_bytes", 0);
    assert_int_equal (refused, 2 * S_TASKS - taken - again);
    hl_value_destroy (&status);

    /*  Each wave sent 117 MB; the master grew by about the bound. */
    print_message ("hostile_queue: %d + %d of %d taken, rss %" PRId64
                   " MB before, %" PRId64 " and %" PRId64 " MB after\n",
                   taken, again, 2 * S_TASKS, before >> 20, first >> 20,
                   second >> 20);
#if !defined(__SANITIZE_ADDRESS__)
    /*  (AddressSanitizer's quarantine keeps what is freed, up to 256 MB:
        there the byte counts above are the check, RSS is only shown) */
    int64_t grown = (first > second ? first : second) - before;
    assert_true (grown < 4 * (int64_t)S_BOUND);
#endif

    /*  A change without the action it changes: refused by name (by the
        control socket's argument check, before the queue sees it). */
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind", "apply");
    hl_value_set_str (args, "role", "hephaestus-backend");
    hl_value_set_bool (args, "wait", false);
    assert_int_equal (
        hl_client_request (client, "task.run", &args, S_WAIT_MS, &reply), 0);
    assert_false (hl_msg_ok (reply));
    print_message ("hostile_queue: %s\n", hl_msg_error (reply));
    assert_non_null (strstr (hl_msg_error (reply), "action"));
    assert_non_null (strstr (hl_msg_error (reply), "[missing]"));
    hl_msg_destroy (&reply);
    assert_int_equal (s_tasks_stat (&m, "queued"), 0);

    free (blob);
    hl_client_destroy (&client);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_big_tasks_bounded, ht_teardown),
    };
    return cmocka_run_group_tests_name ("hostile_queue", tests, NULL, NULL);
}
