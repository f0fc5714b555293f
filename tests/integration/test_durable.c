/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_durable - the master's store and its recovery (design §7), with
    real processes on the toy service (toy.h):

    - a master stopped and started again keeps its runs, reports,
      learning, the changes in effect and the audit log; new ids go on
      from the old ones; its agents come back by themselves;
    - a master killed (-9) while an apply runs comes back and rolls that
      change back, whose outcome it cannot know: the apply ran once,
      never again; the interrupted run and the recovery are in `cycles`;
    - a master killed (-9) after a change's verify window was complete
      comes back and verifies it again as the same task, answered from
      the Athena agent's kept result, and keeps it: no rollback;
    - a full disk under the store (a small tmpfs) does not stop
      orchestration: a cycle runs, alert.critical says the store cannot
      write, and once space returns the store catches up: after a restart
      that cycle is there.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "../../proto/hl_msg.h"
#include "harness.h"
#include "toy.h"

static char s_out[65536]; /* helios-ctl output */

#define S_CYCLE                                                                \
    "cycle = { duration = 3600; max_concurrent = 1; cooldown = 0;\n"           \
    "          settle = 2; verify_window = 10; };\n"

static bool
s_apply_started (toy_world_t *w)
{
    return toy_count (w, "good", "apply") > 0;
}

static bool
s_rolled_back (toy_world_t *w)
{
    return toy_count (w, "good", "rollback") > 0 && !toy_knob (w, "good");
}

static void
test_restart_keeps_history (void **state)
{
    (void)state;
    const char *actions[] = { "good backend lat 0.3 1", NULL };
    toy_world_t w;
    toy_world_start (&w, S_CYCLE, actions);
    toy_wait_data (&w);
    json_t *report = toy_cycle (&w);
    json_int_t first = json_integer_value (json_object_get (report, "id"));
    assert_string_equal (toy_field (toy_act (report, "good"), "outcome"),
                         "kept");
    json_decref (report);

    toy_restart (&w, SIGTERM);

    //  The run, its report, what was learned, the change in effect
    json_t *list = toy_ctl_json (&w, "cycles", NULL, NULL);
    json_t *old = toy_run_of (list, "optimization");
    assert_non_null (old);
    assert_int_equal (json_integer_value (json_object_get (old, "id")), first);
    assert_int_equal (json_integer_value (json_object_get (old, "kept")), 1);
    json_decref (list);
    char id[32];
    snprintf (id, sizeof id, "%lld", (long long)first);
    json_t *again = toy_ctl_json (&w, "report", id, NULL);
    assert_string_equal (toy_field (toy_act (again, "good"), "outcome"),
                         "kept");
    json_decref (again);
    json_t *learned = toy_ctl_json (&w, "actions", NULL, NULL);
    json_t *good = json_object_get (learned, "good");
    assert_int_equal (json_integer_value (json_object_get (good, "successes")),
                      1);
    assert_true (json_is_true (json_object_get (good, "in_effect")));
    json_decref (learned);

    //  Every decision, and who asked
    assert_true (toy_audited (&w, "chosen", "good", NULL));
    assert_true (toy_audited (&w, "kept", "good", "improved"));
    json_t *all = toy_ctl_json (&w, "audit", "--since", "1h");
    size_t i;
    json_t *r;
    bool asked = false;
    json_array_foreach (all, i, r) {
        asked |= streq (toy_field (r, "event"), "requested")
                 && strstr (toy_field (r, "who"), "ctl@");
    }
    assert_true (asked);
    json_decref (all);

    //  Bad audit requests are refused by name; the master serves on
    const char *bad[][2] = { { "since", "-1" },
                             { "limit", "0" },
                             { "limit", "100000" },
                             { "action", "" } };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        hl_value_t *args = hl_value_new_map ();
        if (streq (bad[k][0], "action"))
            hl_value_set_str (args, "action", bad[k][1]);
        else
            hl_value_set_int (args, bad[k][0], atoll (bad[k][1]));
        hl_msg_t *reply = (hl_msg_t *)ht_request (&w.m, "audit", &args);
        assert_non_null (reply);
        assert_false (hl_msg_ok (reply));
        assert_non_null (strstr (hl_msg_error (reply), bad[k][0]));
        hl_msg_destroy (&reply);
    }

    //  Ids go on; nothing to recover after a clean stop
    report = toy_cycle (&w);
    assert_true (json_integer_value (json_object_get (report, "id")) > first);
    json_decref (report);
    list = toy_ctl_json (&w, "cycles", NULL, NULL);
    assert_null (toy_run_of (list, "recovery"));
    json_decref (list);
    json_t *status = toy_ctl_json (&w, "status", NULL, NULL);
    json_t *store = json_object_get (status, "store");
    assert_true (json_is_true (json_object_get (store, "enabled")));
    assert_true (json_is_true (json_object_get (store, "writable")));
    json_decref (status);
    toy_world_stop (&w);
}

static void
test_kill_during_apply (void **state)
{
    (void)state;
    //  The apply takes 4 s: the master dies in the middle of it
    const char *actions[] = { "good backend lat 0.3 1 4", NULL };
    toy_world_t w;
    toy_world_start (&w, S_CYCLE, actions);
    toy_wait_data (&w);
    assert_int_equal (
        ht_ctl (&w.m, s_out, sizeof s_out, "run", "optimization", NULL), 0);
    assert_true (toy_until (&w, s_apply_started, 20000));
    toy_restart (&w, SIGKILL);

    //  Its outcome unknown to the new master, the change is rolled back
    assert_true (toy_until (&w, s_rolled_back, 30000));
    assert_true (toy_until (&w, toy_recovered, 30000));
    assert_int_equal (toy_count (&w, "good", "apply"), 1);
    json_t *list = toy_ctl_json (&w, "cycles", NULL, NULL);
    json_t *rec = toy_run_of (list, "recovery");
    assert_int_equal (json_integer_value (json_object_get (rec, "rolled_back")),
                      1);
    json_t *cut = toy_run_of (list, "optimization");
    assert_string_equal (toy_field (cut, "phase"), "interrupted");
    json_decref (list);
    assert_true (toy_audited (&w, "recovered", "good", "never re-applied"));
    assert_true (toy_audited (&w, "rolled_back", "good", NULL));
    toy_world_stop (&w);
}

static void
test_kill_after_window (void **state)
{
    (void)state;
    const char *actions[] = { "good backend lat 0.3 1", NULL };
    toy_world_t w;
    toy_world_start (&w, S_CYCLE, actions);
    toy_wait_data (&w);
    assert_int_equal (
        ht_ctl (&w.m, s_out, sizeof s_out, "run", "optimization", NULL), 0);
    assert_true (toy_until (&w, toy_settling, 20000));
    /*  The verify was sent when settle began: its window (settle 2 s,
        then 10 s) ends 12 s later, and Athena judges it 2 s after that
        (its grace for the last second to arrive). The master dies in
        between, with the window complete, and comes back once Athena
        has judged it, its result kept. */
    int64_t end = zclock_mono () + 12000;
    while (zclock_mono () < end + 800)
        zclock_sleep (50); /* the clock is the condition */
    kill (w.m.proc->pid, SIGKILL);
    ht_stop (&w.m.proc, 5000);
    while (zclock_mono () < end + 2600)
        zclock_sleep (50);
    ht_master_pin (&w.m);
    assert_true (ht_master_launch (&w.m));
    assert_int_equal (ht_wait_agents (&w.m, 6, 15000), 6);

    assert_true (toy_until (&w, toy_recovered, 40000));
    assert_true (toy_knob (&w, "good"));
    assert_int_equal (toy_count (&w, "good", "apply"), 1);
    assert_int_equal (toy_count (&w, "good", "rollback"), 0);
    json_t *list = toy_ctl_json (&w, "cycles", NULL, NULL);
    json_t *rec = toy_run_of (list, "recovery");
    assert_int_equal (json_integer_value (json_object_get (rec, "kept")), 1);
    json_decref (list);
    assert_true (toy_audited (&w, "recovered", "good", "verified again"));
    assert_true (toy_audited (&w, "kept", "good", "improved"));
    toy_world_stop (&w);
}

static char s_mnt[300]; /* the tmpfs under state/, while mounted */

static int
s_unmount (void **state)
{
    if (*s_mnt && umount (s_mnt))
        umount2 (s_mnt, MNT_DETACH);
    *s_mnt = 0;
    return ht_teardown (state);
}

/*  The value at path a.b of status --json, as a number (-1: none). */
static double
s_status_number (toy_world_t *w, const char *a, const char *b)
{
    json_t *status = toy_ctl_json (w, "status", NULL, NULL);
    json_t *v = json_object_get (json_object_get (status, a), b);
    double x = json_is_number (v)    ? json_number_value (v)
               : json_is_boolean (v) ? (double)json_is_true (v)
                                     : -1;
    json_decref (status);
    return x;
}

static bool
s_store_failing (toy_world_t *w)
{
    return s_status_number (w, "store", "writable") == 0
           && s_status_number (w, "store", "backlog") > 0;
}

static bool
s_store_caught_up (toy_world_t *w)
{
    return s_status_number (w, "store", "writable") == 1
           && s_status_number (w, "store", "backlog") == 0;
}

/*  Fill the folder's disk: a file grown until the disk says no. */
static void
s_fill (const char *dir)
{
    char path[400];
    snprintf (path, sizeof path, "%s/filler", dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    static char block[4096];
    while (fwrite (block, 1, sizeof block, f) == sizeof block
           && fflush (f) == 0)
        ;
    fclose (f);
}

static void
test_full_disk (void **state)
{
    (void)state;
    const char *actions[]
        = { "good backend lat 0.3 1", "ux_fix frontend ux 0.3 1", NULL };
    toy_world_t w;
    toy_world_prepare (&w, S_CYCLE, actions);
    snprintf (s_mnt, sizeof s_mnt, "%s/state", w.m.dir);
    assert_int_equal (mkdir (s_mnt, 0755), 0);
    if (mount ("tmpfs", s_mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m")) {
        *s_mnt = 0;
        print_message ("skipped: cannot mount a tmpfs (needs root)\n");
        free (w.extra);
        skip ();
    }
    toy_world_launch (&w);
    toy_wait_data (&w);
    json_t *report = toy_cycle (&w);
    json_decref (report);

    //  A spy on alert.*, in before the disk fills
    double subscribers = s_status_number (&w, "bus", "subscribers");
    const char *argv[]
        = { ht_bin ("helios-spy"), "-e", w.m.bus_out, "--topic", "alert.",
            "--timeout",           "60", NULL };
    ht_proc_t *spy = ht_start (argv);
    int64_t deadline = zclock_mono () + 5000;
    while (s_status_number (&w, "bus", "subscribers") <= subscribers
           && zclock_mono () < deadline)
        zclock_sleep (20); /* a short step between looks */

    s_fill (s_mnt);
    //  Orchestration goes on: a whole cycle, from memory
    report = toy_cycle (&w);
    json_int_t id = json_integer_value (json_object_get (report, "id"));
    json_decref (report);
    assert_true (toy_until (&w, s_store_failing, 10000));
    char line[65536];
    bool alerted = false;
    deadline = zclock_mono () + 10000;
    while (!alerted && zclock_mono () < deadline) {
        if (!ht_read_line (spy, line, sizeof line, 1000))
            continue;
        alerted = strstr (line, "alert.critical")
                  && strstr (line, "store cannot write");
    }
    assert_true (alerted);

    //  Space again: the store catches up, and says so
    char path[400];
    snprintf (path, sizeof path, "%s/filler", s_mnt);
    assert_int_equal (unlink (path), 0);
    assert_true (toy_until (&w, s_store_caught_up, 15000));
    bool told = false;
    deadline = zclock_mono () + 10000;
    while (!told && zclock_mono () < deadline) {
        if (!ht_read_line (spy, line, sizeof line, 1000))
            continue;
        told = strstr (line, "alert.info") && strstr (line, "caught up");
    }
    assert_true (told);
    ht_stop (&spy, 5000);

    //  What happened meanwhile is on disk
    toy_restart (&w, SIGTERM);
    json_t *list = toy_ctl_json (&w, "cycles", NULL, NULL);
    bool found = false;
    size_t i;
    json_t *r;
    json_array_foreach (list, i, r) {
        found |= json_integer_value (json_object_get (r, "id")) == id;
    }
    json_decref (list);
    assert_true (found);
    toy_world_stop (&w);
}

int
main (int argc, char *argv[])
{
    int rc = toy_main (argc, argv);
    if (rc >= 0)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_restart_keeps_history, ht_teardown),
        cmocka_unit_test_teardown (test_kill_during_apply, ht_teardown),
        cmocka_unit_test_teardown (test_kill_after_window, ht_teardown),
        cmocka_unit_test_teardown (test_full_disk, s_unmount),
    };
    return cmocka_run_group_tests_name ("durable", tests, NULL, NULL);
}
