/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_autoscale - the autoscaler (design §9) with real processes on
    127.0.0.1: a master that autoscales athena-api between 1 and 3 on a
    300 ms target wait, with a 2 s window and cooldowns and a 4 s
    stabilisation window, and one helios-node of capacity 4.

    - with no count set the role starts at min: one agent, via the node;
    - a client queues slow echo tasks (delay_ms) for the role, more than
      one agent can take: the queue waits, the role grows to max, each
      agent registered via the node;
    - when the queue has drained and the stabilisation window passed, it
      shrinks back to min, a step at a time;
    - each decision is on the bus (agent.autoscaled), in the audit log
      and in status.
    The timings (to scale up, to scale down) are printed, not asserted.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>

#include "../../proto/hl_msg.h"
#include "harness.h"

#define S_MASTER "heartbeat_ms = 250; liveness = 4;"
#define S_AUTOSCALE                                                            \
    "autoscale = ( { role = \"athena-api\"; min = 1; max = 3;\n"               \
    "  target_wait_ms = 300; window_s = 2; up_cooldown_s = 2;\n"               \
    "  down_cooldown_s = 1; stabilisation_s = 4; } );\n"
#define S_TASKS 64      /* slow echoes queued: 16 s of work for one agent */
#define S_DELAY_MS 1000 /* each holds a slot of an agent's 4 this long */

static char s_out[65536];

static ht_proc_t *
s_node_start (const ht_master_t *m)
{
    char path[512];
    snprintf (path, sizeof path, "%s/node.cfg", m->dir);
    FILE *in = fopen (m->config, "r");
    FILE *out = fopen (path, "w");
    assert_non_null (in);
    assert_non_null (out);
    char buf[4096];
    size_t n;
    while ((n = fread (buf, 1, sizeof buf, in)) > 0)
        assert_int_equal (fwrite (buf, 1, n, out), n);
    fprintf (out, "node = { capacity = 4; stop_grace_ms = 5000; };\n");
    fclose (in);
    fclose (out);
    const char *argv[] = { ht_bin ("helios-node"),
                           "-c",
                           path,
                           "--name",
                           "n1",
                           "--master",
                           m->tasks,
                           NULL };
    return ht_start (argv);
}

/*  Registered athena-api agents started by a node. */
static int
s_agents (const ht_master_t *m)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "agents", NULL);
    const hl_value_t *list
        = reply && hl_msg_ok (reply) ? hl_msg_data (reply) : NULL;
    int n = 0;
    for (size_t i = 0; i < hl_value_size (list); i++) {
        const hl_value_t *a = hl_value_at (list, i);
        if (*hl_value_get_str (a, "node", "")
            && streq (hl_value_get_str (a, "role", ""), "athena-api"))
            n++;
    }
    hl_msg_destroy (&reply);
    return n;
}

/*  Wait for s_agents (m) == n, timeout_ms at most. */
static bool
s_until_agents (const ht_master_t *m, int n, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (s_agents (m) != n)
        if (zclock_mono () > deadline)
            return false;
        else
            zclock_sleep (50); /* a short step between looks */
    return true;
}

/*  A figure of status: section.key, or -1. */
static int64_t
s_status_int (const ht_master_t *m, const char *section, const char *key)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    int64_t v = -1;
    if (reply && hl_msg_ok (reply))
        v = hl_value_get_int (hl_value_get (hl_msg_data (reply), section), key,
                              -1);
    hl_msg_destroy (&reply);
    return v;
}

/*  status.autoscale.athena-api's field, or its last decision's. */
static int64_t
s_as_int (const ht_master_t *m, const char *key)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    const hl_value_t *r = hl_value_get (
        hl_value_get (hl_msg_data (reply), "autoscale"), "athena-api");
    int64_t v = hl_value_get_int (r, key, -1);
    hl_msg_destroy (&reply);
    return v;
}

/*  Queue one slow echo for athena-api without waiting for it. */
static void
s_queue_echo (const ht_master_t *m)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind", "echo");
    hl_value_set_str (args, "role", "athena-api");
    hl_value_set_bool (args, "wait", false);
    hl_value_t *targs = hl_value_new_map ();
    hl_value_set_int (targs, "delay_ms", S_DELAY_MS);
    hl_value_set (args, "args", &targs);
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "task.run", &args);
    assert_non_null (reply);
    assert_true (hl_msg_ok (reply));
    hl_msg_destroy (&reply);
}

/*  Read the spy until a line holds every word (NULL-terminated), or
    timeout_ms passes. */
static bool
s_spy_saw (ht_proc_t *spy, int timeout_ms, ...)
{
    char line[65536];
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (!ht_read_line (spy, line, sizeof line, 500))
            continue;
        bool all = true;
        va_list ap;
        va_start (ap, timeout_ms);
        for (const char *w = va_arg (ap, const char *); w && all;
             w = va_arg (ap, const char *))
            all = strstr (line, w) != NULL;
        va_end (ap);
        if (all)
            return true;
    }
    return false;
}

static void
test_autoscale (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, S_MASTER, S_AUTOSCALE));
    int64_t subscribers = s_status_int (&m, "bus", "subscribers");
    const char *spy_argv[]
        = { ht_bin ("helios-spy"), "-e",        m.bus_out, "--topic",
            "agent.autoscaled",    "--timeout", "60",      NULL };
    ht_proc_t *spy = ht_start (spy_argv);
    int64_t deadline = zclock_mono () + 5000;
    while (s_status_int (&m, "bus", "subscribers") <= subscribers
           && zclock_mono () < deadline)
        zclock_sleep (20);
    ht_proc_t *node = s_node_start (&m);

    //  No count set: the role starts at min, one agent via the node
    assert_true (s_until_agents (&m, 1, 20000));
    assert_int_equal (s_as_int (&m, "desired"), 1);

    //  A queue of slow echoes: it waits, the role grows to max
    int64_t t0 = zclock_mono ();
    for (int i = 0; i < S_TASKS; i++)
        s_queue_echo (&m);
    assert_true (s_spy_saw (spy, 20000, "\"up\"", NULL));
    assert_true (s_until_agents (&m, 2, 20000));
    int64_t t_two = zclock_mono () - t0;
    assert_true (s_until_agents (&m, 3, 20000));
    int64_t t_up = zclock_mono () - t0;
    assert_int_equal (s_as_int (&m, "max"), 3);
    print_message ("autoscale: %d slow echoes queued: 2 agents in %lld ms, "
                   "3 (max) in %lld ms\n",
                   S_TASKS, (long long)t_two, (long long)t_up);

    //  Status and ctl show it
    assert_int_equal (ht_ctl (&m, s_out, sizeof s_out, "status", NULL), 0);
    assert_non_null (strstr (s_out, "autoscale"));
    assert_non_null (strstr (s_out, "athena-api"));

    //  The queue drains; after the stabilisation window, back to min
    deadline = zclock_mono () + 30000;
    while ((s_status_int (&m, "tasks", "completed") < S_TASKS)
           && zclock_mono () < deadline)
        zclock_sleep (100);
    assert_true (s_status_int (&m, "tasks", "completed") >= S_TASKS);
    int64_t t1 = zclock_mono ();
    assert_true (s_spy_saw (spy, 20000, "\"down\"", NULL));
    assert_true (s_until_agents (&m, 2, 20000));
    int64_t t_two_down = zclock_mono () - t1;
    assert_true (s_until_agents (&m, 1, 20000));
    int64_t t_down = zclock_mono () - t1;
    print_message ("autoscale: queue drained: 2 agents in %lld ms, 1 (min) "
                   "in %lld ms (stabilisation 4 s, down cooldown 1 s)\n",
                   (long long)t_two_down, (long long)t_down);
    assert_int_equal (s_as_int (&m, "desired"), 1);
    hl_msg_t *reply = (hl_msg_t *)ht_request (&m, "status", NULL);
    const hl_value_t *last = hl_value_get (
        hl_value_get (hl_value_get (hl_msg_data (reply), "autoscale"),
                      "athena-api"),
        "last");
    assert_string_equal (hl_value_get_str (last, "decision", ""), "down");
    assert_int_equal (hl_value_get_int (last, "to", -1), 1);
    hl_msg_destroy (&reply);

    //  The audit log has every move, with the wait and the target
    assert_int_equal (ht_ctl (&m, s_out, sizeof s_out, "audit", "--action",
                              "athena-api", NULL),
                      0);
    assert_non_null (strstr (s_out, "autoscaled"));
    assert_non_null (strstr (s_out, "athena-api clamp 0 -> 1"));
    assert_non_null (strstr (s_out, "athena-api up 1 -> 2"));
    assert_non_null (strstr (s_out, "athena-api down 2 -> 1"));
    assert_non_null (strstr (s_out, "target 300 ms"));

    ht_stop (&spy, 2000);
    assert_int_equal (ht_stop (&node, 10000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_autoscale, ht_teardown),
    };
    return cmocka_run_group_tests_name ("autoscale", tests, NULL, NULL);
}
