/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    partition - the network partition case: two network namespaces
    joined by a veth pair, the master in one and the toy world's agents
    in the other, the link cut while an apply runs and tasks are in
    flight. The namespaces are this process's (named after its pid);
    teardown deletes them, and a later run deletes those a killed run
    left. See fault.h.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <errno.h>
#include <signal.h>

#include "../../master/hl_client.h"
#include "fault.h"

#define S_ECHOS 8         /* slow echo tasks before, and as many during */
#define S_ECHO_DELAY 1500 /* ms each holds its agent's slot */
#define S_BENCH_TASKS "20000"
#define S_HOST_A "10.77.0.1" /* the master's side */

static char s_ns_a[32], s_ns_b[32]; /* "" until made */

/*  ip, wherever this system keeps it; NULL if nowhere. */
static const char *
s_ip (void)
{
    static const char *paths[]
        = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        if (access (paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

/*  Run ip with the arguments (NULL-ended); its exit status. out (may be
    NULL) gets its output. */
static int
s_run_ip (char *out, size_t size, ...)
{
    const char *argv[16] = { s_ip () };
    int argc = 1;
    va_list ap;
    va_start (ap, size);
    const char *arg;
    while (argc < 15 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    va_end (ap);
    argv[argc] = NULL;
    char local[256];
    return ht_run (argv, 10000, out ? out : local, out ? size : sizeof local);
}

/*  Delete the namespaces an earlier run of this suite left when it was
    killed: named hlf<pid>a and hlf<pid>b, with that pid gone. */
static void
s_sweep (void)
{
    char list[8192];
    if (s_run_ip (list, sizeof list, "netns", "list", NULL) != 0)
        return;
    for (char *line = strtok (list, "\n"); line; line = strtok (NULL, "\n")) {
        char name[32];
        int pid;
        if (sscanf (line, "%31s", name) != 1
            || sscanf (name, "hlf%d", &pid) != 1 || pid <= 0)
            continue;
        if (kill (pid, 0) == 0 || errno != ESRCH)
            continue; /* its run is still going */
        s_run_ip (NULL, 0, "netns", "del", name, NULL);
    }
}

static void
s_net_destroy (void)
{
    //  The veth pair goes with either end's namespace
    if (*s_ns_a)
        s_run_ip (NULL, 0, "netns", "del", s_ns_a, NULL);
    if (*s_ns_b)
        s_run_ip (NULL, 0, "netns", "del", s_ns_b, NULL);
    *s_ns_a = *s_ns_b = 0;
}

/*  The two namespaces and their link, up; false (nothing left) if they
    cannot be made. */
static bool
s_net_make (void)
{
    s_sweep ();
    snprintf (s_ns_a, sizeof s_ns_a, "hlf%da", (int)getpid ());
    snprintf (s_ns_b, sizeof s_ns_b, "hlf%db", (int)getpid ());
    if (s_run_ip (NULL, 0, "netns", "add", s_ns_a, NULL)) {
        *s_ns_a = *s_ns_b = 0;
        return false;
    }
    bool ok
        = s_run_ip (NULL, 0, "netns", "add", s_ns_b, NULL) == 0
          && s_run_ip (NULL, 0, "-n", s_ns_a, "link", "add", "veth-a", "type",
                       "veth", "peer", "name", "veth-b", "netns", s_ns_b, NULL)
                 == 0
          && s_run_ip (NULL, 0, "-n", s_ns_a, "addr", "add", S_HOST_A "/24",
                       "dev", "veth-a", NULL)
                 == 0
          && s_run_ip (NULL, 0, "-n", s_ns_b, "addr", "add", "10.77.0.2/24",
                       "dev", "veth-b", NULL)
                 == 0;
    //  Loopback too: a process reaches its own namespace's address on it
    const char *up[][2] = { { s_ns_a, "lo" },
                            { s_ns_b, "lo" },
                            { s_ns_a, "veth-a" },
                            { s_ns_b, "veth-b" } };
    for (size_t i = 0; ok && i < 4; i++)
        ok = s_run_ip (NULL, 0, "-n", up[i][0], "link", "set", up[i][1], "up",
                       NULL)
             == 0;
    //  A container may let namespaces be made but not entered (exec
    //  remounts /sys): that is a skip too, not a failure
    ok = ok
         && s_run_ip (NULL, 0, "netns", "exec", s_ns_b, "/bin/true", NULL) == 0;
    if (!ok)
        s_net_destroy ();
    return ok;
}

/*  Cut or restore the link on the agents' side. */
static void
s_link (bool up)
{
    assert_int_equal (s_run_ip (NULL, 0, "-n", s_ns_b, "link", "set", "veth-b",
                                up ? "up" : "down", NULL),
                      0);
}

int
ft_partition_teardown (void **state)
{
    int rc = ht_teardown (state); /* the processes first, then their nets */
    s_net_destroy ();
    return rc;
}

/*  n slow echo tasks through client, their request ids into ids. */
static void
s_send_echoes (hl_client_t *client, uint64_t *ids, int n, int first)
{
    for (int i = 0; i < n; i++) {
        hl_value_t *args = hl_value_new_map ();
        hl_value_set_str (args, "kind", "echo");
        hl_value_set_str (args, "role", "any");
        hl_value_t *targs = hl_value_new_map ();
        hl_value_set_int (targs, "delay_ms", S_ECHO_DELAY);
        hl_value_set_int (targs, "n", first + i);
        hl_value_set (args, "args", &targs);
        ids[i] = hl_client_send (client, "task.run", &args);
        assert_true (ids[i] > 0);
    }
}

/*  The apply of action as a task of its own; its request id. */
static uint64_t
s_send_apply (hl_client_t *client, const char *action)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind", "apply");
    hl_value_set_str (args, "role", "hephaestus-backend");
    hl_value_set_str (args, "action", action);
    hl_value_t *targs = hl_value_new_map ();
    hl_value_set_str (targs, "action", action);
    hl_value_set (args, "args", &targs);
    uint64_t id = hl_client_send (client, "task.run", &args);
    assert_true (id > 0);
    return id;
}

/*  Every request of ids answered once, ok, and nothing more; the one
    at retried (if >= 0) after more than one attempt. */
static void
s_collect (hl_client_t *client, const uint64_t *ids, int n, int retried)
{
    bool seen[64] = { false };
    assert_true (n <= 64);
    for (int got = 0; got < n; got++) {
        hl_msg_t *reply = NULL;
        if (hl_client_recv (client, 60000, &reply))
            fail_msg ("%d of %d tasks never answered", n - got, n);
        int which = -1;
        for (int i = 0; i < n; i++)
            if (ids[i] == hl_msg_re (reply))
                which = i;
        if (which < 0) {
            fail_msg ("a reply to no task of ours");
            return;
        }
        if (seen[which])
            fail_msg ("task %d answered twice", which);
        seen[which] = true;
        const hl_value_t *d = hl_msg_data (reply);
        if (!streq (hl_value_get_str (d, "status", ""), "ok"))
            fail_msg ("task %d ended %s", which,
                      hl_value_get_str (d, "status", "?"));
        if (which == retried)
            assert_true (hl_value_get_int (d, "attempts", 0) >= 2);
        hl_msg_destroy (&reply);
    }
    hl_msg_t *extra = NULL;
    assert_int_equal (hl_client_recv (client, 300, &extra), HL_ERR_TIMEOUT);
}

/*  Wait until the master lists n agents, timing status meanwhile. */
static void
s_wait_agents (const ht_master_t *m, int n, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (ft_stat (m, "tasks", "agents") == n)
            return;
        zclock_sleep (20); /* a short step between polls */
    }
    fail_msg ("the master never listed %d agents within %d ms", n, timeout_ms);
}

void
ft_partition (bool full)
{
    if (geteuid () != 0 || !s_ip ()) {
        print_message ("fault: network namespaces need root and ip "
                       "(iproute2): partition case skipped\n");
        skip ();
    }
    if (!s_net_make ()) {
        print_message ("fault: ip netns cannot make or enter namespaces "
                       "here: partition case skipped\n");
        skip ();
    }
    const char *in_a[] = { s_ip (), "netns", "exec", s_ns_a, NULL };
    const char *in_b[] = { s_ip (), "netns", "exec", s_ns_b, NULL };
    toy_opts_t opts
        = { .host = S_HOST_A, .master_prefix = in_a, .peer_prefix = in_b };
    //  The apply outlasts the link's cut in the short case, and is
    //  caught running by it in the full one
    const char *actions[]
        = { full ? "good backend lat 0.3 1 6" : "good backend lat 0.3 1 3",
            NULL };
    toy_world_t w;
    ft_world_start (&w, &opts, actions, full);

    hl_client_t *client = hl_client_new (w.m.control, "fault");
    assert_non_null (client);
    uint64_t ids[2 * S_ECHOS + 1];
    uint64_t cycle = 0;
    int n = 0;
    if (full) {
        cycle = ft_cycle_start (&w.m);
        ft_wait_phase (&w.m, "apply", 20000);
    } else
        ids[n++] = s_send_apply (client, "good");
    ft_wait_log (&w, "good", "apply", 10000);
    s_send_echoes (client, ids + n, S_ECHOS, 0);
    n += S_ECHOS;
    const char *bench_argv[] = { ht_bin ("helios-ctl"),
                                 "-e",
                                 w.m.control,
                                 "-t",
                                 "60000",
                                 "bench",
                                 "echo",
                                 "--tasks",
                                 S_BENCH_TASKS,
                                 "--concurrency",
                                 "8",
                                 "--json",
                                 NULL };
    ht_proc_t *bench = ht_start (bench_argv);
    int64_t before = ft_stat (&w.m, "tasks", "completed");
    while (ft_stat (&w.m, "tasks", "completed") < before + 100)
        zclock_sleep (10); /* until the bench's tasks flow */

    int64_t down_at = zclock_mono ();
    s_link (false);
    s_send_echoes (client, ids + n, S_ECHOS, S_ECHOS);
    n += S_ECHOS;
    //  Every agent expires, its tasks held for a retry; the master keeps
    //  answering status all along
    s_wait_agents (&w.m, 0, 10000);
    int64_t hold
        = full ? 10000 : zclock_mono () - down_at + FT_HEARTBEAT_MS * 4;
    while (zclock_mono () - down_at < hold) {
        ft_stat (&w.m, "tasks", "agents");
        zclock_sleep (50); /* the partition lasts; status is timed */
    }
    s_link (true);
    int64_t up_at = zclock_mono ();
    //  The agents come back by themselves
    s_wait_agents (&w.m, 6, 60000);
    if (getenv ("HT_VERBOSE"))
        fprintf (stderr, "partition: down %d ms, all back in %d ms\n",
                 (int)(up_at - down_at), (int)(zclock_mono () - up_at));

    //  The short case's apply was lost with its agent's expiry, and
    //  answered on its retry, by the same agent: run once all the same
    s_collect (client, ids, n, full ? -1 : 0);
    hl_client_destroy (&client);
    assert_int_equal (ht_wait (bench, 120000), 0);
    char line[1024];
    assert_true (ht_read_line (bench, line, sizeof line, 1000));
    ht_stop (&bench, 1000);
    json_t *r = json_loads (line, 0, NULL);
    assert_non_null (r);
    assert_int_equal (json_integer_value (json_object_get (r, "completed")),
                      atoi (S_BENCH_TASKS));
    assert_int_equal (json_integer_value (json_object_get (r, "failed")), 0);
    assert_int_equal (json_integer_value (json_object_get (r, "duplicates")),
                      0);
    assert_int_equal (json_integer_value (json_object_get (r, "lost")), 0);
    json_decref (r);

    if (full) {
        json_t *report = ft_cycle_wait (&w.m, cycle, 90000);
        assert_non_null (toy_act (report, "good"));
        ft_check_changes (&w, report);
        json_decref (report);
    } else {
        assert_true (toy_knob (&w, "good"));
        assert_int_equal (toy_count (&w, "good", "apply"), 1);
    }
    //  The master's counters agree: every task ended, some after a retry
    hl_msg_t *reply = ft_status (&w.m);
    const hl_value_t *t = hl_value_get (hl_msg_data (reply), "tasks");
    assert_int_equal (hl_value_get_int (t, "queued", -1), 0);
    assert_int_equal (hl_value_get_int (t, "delayed", -1), 0);
    assert_int_equal (hl_value_get_int (t, "running", -1), 0);
    assert_int_equal (hl_value_get_int (t, "submitted", -1),
                      hl_value_get_int (t, "completed", 0)
                          + hl_value_get_int (t, "failed", 0)
                          + hl_value_get_int (t, "cancelled", 0));
    assert_true (hl_value_get_int (t, "agents_expired", 0) >= 6);
    assert_true (hl_value_get_int (t, "retried", 0) >= 1);
    hl_msg_destroy (&reply);
    ft_check_status ();
    toy_world_stop (&w);
}
