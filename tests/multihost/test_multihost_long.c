/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_multihost_long - the multi-host test (design §9, make
    test-multihost): three network namespaces for a master host, a
    frontend host and a backend host, CURVE on, a helios-node on each
    agent host and helios-demo on the backend one. What must hold, in
    order, on one world:

    - scale places the frontend roles on the frontend host and the
      backend roles on the backend host; all six register;
    - kill -9 of an agent: its node starts it again under its name;
    - echo tasks reach each host's agents, each answered once;
    - a whole optimisation cycle runs across the hosts: an analysis, at
      least one action applied (the frontend's Hephaestus turns the
      demo's knobs over the network), verified, and kept or rolled back;
      nothing degraded;
    - cutting the backend host's link expires its agents and moves their
      echo tasks to the frontend host's instance of the role; healing it
      brings the same agents (names and pids) back, and every task was
      answered once (none lost, none twice);
    - a node whose agents refuse their config crash-loops, gives up
      within its intensity limit (3 restarts) and the master raises
      alert.warning, read on the bus with CURVE keys.

    The timings are printed. Skipped where namespaces cannot be made.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multihost.h"

#define streq(a, b) (strcmp ((a), (b)) == 0)

/*  Echo tasks across the partition: enough to flow until after the
    link is healed, at the rates a small machine runs them. */
#define S_BENCH_TASKS 60000

static void
s_step (int ms)
{
    poll (NULL, 0, ms); /* a short step between looks */
}

static const char *
s_str (json_t *obj, const char *key)
{
    const char *s = json_string_value (json_object_get (obj, key));
    return s ? s : "";
}

/*  An int of a group of status ("tasks", "completed"). */
static int64_t
s_stat (const mh_world_t *w, const char *group, const char *key)
{
    json_t *status = mh_ctl_json (w, "status", "--json", NULL);
    json_t *v = json_object_get (json_object_get (status, group), key);
    int64_t n = v ? json_integer_value (v) : -1;
    json_decref (status);
    return n;
}

/*  Every registered agent's name once: no instance twice. */
static void
s_check_unique (json_t *agents)
{
    size_t i, j;
    json_t *a, *b;
    json_array_foreach (agents, i, a) {
        json_array_foreach (agents, j, b) {
            if (j > i && streq (s_str (a, "name"), s_str (b, "name")))
                fail_msg ("%s registered twice", s_str (a, "name"));
        }
    }
}

//  --------------------------------------------------------------------
//  The cycle

/*  Wait until every metric has a verify window of data behind it. */
static void
s_wait_data (const mh_world_t *w)
{
    int64_t deadline = mh_now () + 20000;
    while (true) {
        json_t *status = mh_ctl_json (w, "status", "--json", NULL);
        json_t *health = json_object_get (status, "health");
        bool ready
            = json_array_size (json_object_get (health, "nodata")) == 0
              && json_object_size (json_object_get (health, "metrics")) == 12
              && json_number_value (json_object_get (status, "uptime_s"))
                     > 12.5;
        if (!ready && mh_now () > deadline) {
            char *text = json_dumps (health, 0);
            fail_msg ("the demo's metrics never reached the master: %.2000s",
                      text);
            free (text);
        }
        json_decref (status);
        if (ready)
            return;
        s_step (250);
    }
}

/*  A cycle across hosts: analysis, apply, verify, decide. The report
    of the first one that acted (three tries: a cycle may find nothing
    worth doing). */
static void
s_cycle (const mh_world_t *w)
{
    s_wait_data (w);
    for (int attempt = 0; attempt < 3; attempt++) {
        int64_t t0 = mh_now ();
        json_t *r = mh_ctl_json (w, "-t", "180000", "run", "optimization",
                                 "--wait", "--json", NULL);
        int64_t took = mh_now () - t0;
        assert_string_equal (s_str (r, "kind"), "optimization");
        //  No task lost, nothing degraded
        json_t *degraded = json_object_get (r, "degraded");
        if (json_array_size (degraded)) {
            char *text = json_dumps (degraded, 0);
            fail_msg ("the cycle is degraded: %s", text);
            free (text);
        }
        assert_true (json_object_size (json_object_get (r, "analysis")) > 0);
        json_t *actions = json_object_get (r, "actions");
        if (!json_array_size (actions)) {
            json_decref (r);
            continue;
        }
        size_t i;
        json_t *a;
        int swarms[2] = { 0, 0 };
        json_array_foreach (actions, i, a) {
            const char *outcome = s_str (a, "outcome");
            //  Applied, verified (a verdict), decided (kept or undone)
            assert_non_null (json_object_get (a, "apply"));
            assert_true (*s_str (a, "verdict"));
            if (!streq (outcome, "kept") && !streq (outcome, "rolled_back"))
                fail_msg ("%s ended %s", s_str (a, "name"), outcome);
            if (streq (outcome, "rolled_back"))
                assert_non_null (json_object_get (a, "rollback"));
            swarms[streq (s_str (a, "swarm"), "frontend")]++;
        }
        print_message ("multihost: cycle across hosts: %zu actions "
                       "(%d backend, %d frontend) analysed, applied, "
                       "verified and decided in %lld ms\n",
                       json_array_size (actions), swarms[0], swarms[1],
                       (long long)took);
        json_decref (r);
        return;
    }
    fail_msg ("three cycles and not one action");
}

//  --------------------------------------------------------------------
//  The partition

typedef struct {
    char name[128];
    int64_t pid;
} s_agent_t;

/*  The agents started by node (4 at most) into list; how many. */
static int
s_agents_of (const mh_world_t *w, const char *node, s_agent_t *list)
{
    json_t *agents = mh_ctl_json (w, "agents", "--json", NULL);
    int n = 0;
    size_t i;
    json_t *a;
    json_array_foreach (agents, i, a) {
        if (streq (s_str (a, "node"), node) && n < 4) {
            snprintf (list[n].name, sizeof list[n].name, "%s",
                      s_str (a, "name"));
            list[n++].pid = json_integer_value (json_object_get (a, "pid"));
        }
    }
    json_decref (agents);
    return n;
}

/*  Wait until status tasks.completed passes target. */
static void
s_wait_completed (const mh_world_t *w, int64_t target, int timeout_ms)
{
    int64_t deadline = mh_now () + timeout_ms;
    while (s_stat (w, "tasks", "completed") < target) {
        if (mh_now () > deadline)
            fail_msg ("tasks stopped completing (wanted %lld)",
                      (long long)target);
        s_step (50);
    }
}

static void
s_partition (const mh_world_t *w)
{
    char out[4096];
    //  athena-api on both hosts: one more, where there is room
    assert_int_equal (
        mh_ctl (w, out, sizeof out, "scale", "athena-api=2", NULL), 0);
    int64_t deadline = mh_now () + 30000;
    while (true) {
        json_t *agents = mh_ctl_json (w, "agents", "--json", NULL);
        bool both = mh_agent_int (agents, "athena-api@back.1", "pid") > 0
                    && mh_agent_int (agents, "athena-api@front.1", "pid") > 0;
        json_decref (agents);
        if (both)
            break;
        if (mh_now () > deadline)
            fail_msg ("athena-api never ran on both hosts");
        s_step (100);
    }
    s_agent_t back[4];
    int nback = s_agents_of (w, "back", back);
    assert_int_equal (nback, 3);
    int64_t expired = s_stat (w, "tasks", "agents_expired");
    int64_t retried = s_stat (w, "tasks", "retried");

    //  Echo tasks for the role flow to both hosts' instances
    const char *argv[] = { ht_bin ("helios-ctl"),
                           "-c",
                           NULL, /* the ctl's config */
                           "-t",
                           "60000",
                           "bench",
                           "echo",
                           "--tasks",
                           NULL, /* S_BENCH_TASKS */
                           "--concurrency",
                           "8",
                           "--role",
                           "athena-api",
                           "--json",
                           NULL };
    char tasks[16];
    snprintf (tasks, sizeof tasks, "%d", S_BENCH_TASKS);
    argv[2] = w->ctl_cfg;
    argv[8] = tasks;
    int64_t before = s_stat (w, "tasks", "completed");
    ht_proc_t *bench = ht_start_in (w->in[MH_MASTER], argv);
    assert_non_null (bench);
    s_wait_completed (w, before + 200, 30000);

    //  The backend host's link down: its agents and node expire
    int64_t down_at = mh_now ();
    mh_link (w, MH_BACK, false);
    deadline = mh_now () + 20000;
    while (true) {
        json_t *agents = mh_ctl_json (w, "agents", "--json", NULL);
        int left = mh_agents_on (agents, "back");
        json_decref (agents);
        if (left == 0)
            break;
        if (mh_now () > deadline)
            fail_msg ("the backend host's agents never expired");
        s_step (50);
    }
    int64_t expiry = mh_now () - down_at;
    //  Their tasks go on at the frontend host's athena-api
    s_wait_completed (w, s_stat (w, "tasks", "completed") + 200, 30000);
    assert_false (mh_has_node (w, "back"));

    //  The link back: the same agents return by themselves
    int64_t up_at = mh_now ();
    mh_link (w, MH_BACK, true);
    deadline = mh_now () + 60000;
    while (true) {
        json_t *agents = mh_ctl_json (w, "agents", "--json", NULL);
        int home = 0;
        for (int i = 0; i < nback; i++)
            home += mh_agent_int (agents, back[i].name, "pid") == back[i].pid;
        json_decref (agents);
        if (home == nback && mh_has_node (w, "back"))
            break;
        if (mh_now () > deadline)
            fail_msg ("the backend host's agents never came back");
        s_step (50);
    }
    int64_t back_in = mh_now () - up_at;
    bool spanned = ht_wait (bench, 0) == -2;
    print_message ("multihost: partition: the backend host's agents expired "
                   "%lld ms after its link went down, and were back (same "
                   "names and pids) %lld ms after it came up%s\n",
                   (long long)expiry, (long long)back_in,
                   spanned ? "" : " (the echo run had ended by then)");

    //  Every echo answered once: none lost, none twice
    assert_int_equal (ht_wait (bench, 180000), 0);
    char line[1024];
    assert_true (ht_read_line (bench, line, sizeof line, 1000));
    ht_stop (&bench, 1000);
    json_t *r = json_loads (line, 0, NULL);
    assert_non_null (r);
    assert_int_equal (json_integer_value (json_object_get (r, "completed")),
                      S_BENCH_TASKS);
    assert_int_equal (json_integer_value (json_object_get (r, "failed")), 0);
    assert_int_equal (json_integer_value (json_object_get (r, "duplicates")),
                      0);
    assert_int_equal (json_integer_value (json_object_get (r, "lost")), 0);
    json_decref (r);

    //  The master agrees: its three backend agents expired once, some
    //  tasks were retried elsewhere, nothing is left open
    json_t *status = mh_ctl_json (w, "status", "--json", NULL);
    json_t *t = json_object_get (status, "tasks");
    assert_true (json_integer_value (json_object_get (t, "agents_expired"))
                 >= expired + 3);
    assert_true (json_integer_value (json_object_get (t, "retried")) > retried);
    assert_int_equal (json_integer_value (json_object_get (t, "queued")), 0);
    assert_int_equal (json_integer_value (json_object_get (t, "running")), 0);
    json_decref (status);
    json_t *agents = mh_ctl_json (w, "agents", "--json", NULL);
    s_check_unique (agents);
    assert_int_equal (mh_agents_on (agents, NULL), 7);
    json_decref (agents);
}

//  --------------------------------------------------------------------
//  The crash loop

static void
s_crash_loop (mh_world_t *w)
{
    //  Subscribed to alerts on the master host, with the ctl's key
    int64_t subscribers = s_stat (w, "bus", "subscribers");
    const char *argv[] = { w->in[MH_MASTER][0],
                           w->in[MH_MASTER][1],
                           w->in[MH_MASTER][2],
                           w->in[MH_MASTER][3],
                           ht_bin ("helios-spy"),
                           "-c",
                           w->ctl_cfg,
                           "--topic",
                           "alert.",
                           "--timeout",
                           "60",
                           NULL };
    ht_proc_t *spy = ht_start (argv);
    assert_non_null (spy);
    int64_t deadline = mh_now () + 10000;
    while (s_stat (w, "bus", "subscribers") <= subscribers) {
        if (mh_now () > deadline)
            fail_msg ("helios-spy never subscribed");
        s_step (50);
    }

    //  A second node on the frontend host, whose agents get a config
    //  they refuse
    char bad[400];
    snprintf (bad, sizeof bad, "%s/bad.cfg", w->m.dir);
    FILE *f = fopen (bad, "w");
    assert_non_null (f);
    fprintf (f, "this is { not a config\n");
    fclose (f);
    w->nodes[2] = mh_node_start (w, MH_FRONT, "front-bad",
                                 "capacity = 1; labels = \"bad=yes\";", bad);
    deadline = mh_now () + 20000;
    while (!mh_has_node (w, "front-bad")) {
        if (mh_now () > deadline)
            fail_msg ("the node front-bad never registered");
        s_step (100);
    }
    //  The others are full: the third athena-api lands on front-bad
    char out[4096];
    int64_t t0 = mh_now ();
    assert_int_equal (
        mh_ctl (w, out, sizeof out, "scale", "athena-api=3", NULL), 0);
    char line[65536];
    bool alerted = false;
    deadline = mh_now () + 30000;
    while (!alerted && mh_now () < deadline)
        alerted = ht_read_line (spy, line, sizeof line, 1000)
                  && strstr (line, "alert.warning")
                  && strstr (line, "gave up on athena-api@front-bad.1");
    assert_true (alerted);
    print_message ("multihost: crash loop: the node gave up after its 3 "
                   "restarts and the alert was on the bus %lld ms after "
                   "the scale\n",
                   (long long)(mh_now () - t0));
    ht_stop (&spy, 2000);

    //  The node says so: the slot failed after 3 restarts
    json_t *data = mh_ctl_json (w, "nodes", "--json", NULL);
    size_t i;
    json_t *n;
    bool seen = false;
    json_array_foreach (json_object_get (data, "nodes"), i, n) {
        if (!streq (s_str (n, "name"), "front-bad"))
            continue;
        seen = true;
        assert_int_equal (json_integer_value (json_object_get (n, "failed")),
                          1);
        json_t *a = json_array_get (json_object_get (n, "agents"), 0);
        assert_string_equal (s_str (a, "name"), "athena-api@front-bad.1");
        assert_int_equal (json_integer_value (json_object_get (a, "restarts")),
                          3);
    }
    assert_true (seen);
    json_decref (data);
}

/*  The autoscaler across hosts: slow echo tasks queue for
    MH_AUTOSCALE_ROLE past its target wait, the role grows to its max
    (an agent started by a node), every task is answered once, and after
    the stabilisation window it shrinks back to its min. */
static int64_t
s_desired (const mh_world_t *w)
{
    json_t *status = mh_ctl_json (w, "status", "--json", NULL);
    json_t *v = json_object_get (
        json_object_get (json_object_get (status, "autoscale"),
                         MH_AUTOSCALE_ROLE),
        "desired");
    int64_t n = json_is_integer (v) ? json_integer_value (v) : -1;
    json_decref (status);
    return n;
}

/*  Agents of role registered now. */
static int
s_role_agents (const mh_world_t *w, const char *role)
{
    json_t *agents = mh_ctl_json (w, "agents", "--json", NULL);
    int n = 0;
    size_t i;
    json_t *a;
    json_array_foreach (agents, i, a) {
        n += streq (s_str (a, "role"), role);
    }
    json_decref (agents);
    return n;
}

static void
s_wait_scaled (const mh_world_t *w, int64_t want, int timeout_ms)
{
    int64_t deadline = mh_now () + timeout_ms;
    while (s_desired (w) != want
           || s_role_agents (w, MH_AUTOSCALE_ROLE) != want) {
        if (mh_now () > deadline)
            fail_msg ("%s never ran %lld agents (desired %lld)",
                      MH_AUTOSCALE_ROLE, (long long)want,
                      (long long)s_desired (w));
        s_step (100);
    }
}

static void
s_autoscale (const mh_world_t *w)
{
    s_wait_scaled (w, 1, 20000);
    const char *argv[] = { ht_bin ("helios-ctl"),
                           "-c",
                           w->ctl_cfg,
                           "-t",
                           "120000",
                           "bench",
                           "echo",
                           "--tasks",
                           "24",
                           "--concurrency",
                           "24",
                           "--delay-ms",
                           "1000",
                           "--role",
                           MH_AUTOSCALE_ROLE,
                           "--json",
                           NULL };
    int64_t start = mh_now ();
    ht_proc_t *bench = ht_start_in (w->in[MH_MASTER], argv);
    assert_non_null (bench);
    s_wait_scaled (w, 2, 30000);
    int64_t grown = mh_now () - start;
    //  Every task answered once
    char line[4096];
    assert_true (ht_read_line (bench, line, sizeof line, 120000));
    assert_int_equal (ht_wait (bench, 10000), 0);
    ht_stop (&bench, 1000);
    json_t *r = json_loads (line, 0, NULL);
    assert_non_null (r);
    assert_int_equal (json_integer_value (json_object_get (r, "completed")),
                      24);
    assert_int_equal (json_integer_value (json_object_get (r, "duplicates")),
                      0);
    assert_int_equal (json_integer_value (json_object_get (r, "lost")), 0);
    json_decref (r);
    int64_t drained = mh_now ();
    s_wait_scaled (w, 1, 30000);
    print_message ("multihost: autoscale: %s grown to 2 agents %lld ms after "
                   "slow echoes queued; back to 1 %lld ms after they were "
                   "all answered\n",
                   MH_AUTOSCALE_ROLE, (long long)grown,
                   (long long)(mh_now () - drained));
}

static void
test_multihost_long (void **state)
{
    (void)state;
    mh_world_t w;
    mh_start (&w, true);

    int64_t placed = mh_scale_six (&w);
    print_message ("multihost: scale: six roles placed on two hosts and "
                   "registered in %lld ms\n",
                   (long long)placed);
    int64_t restarted = mh_kill_restart (&w, "prometheus-frontend@front.1");
    print_message ("multihost: kill -9: restarted by its node and "
                   "registered again in %lld ms\n",
                   (long long)restarted);
    mh_echo (&w, "prometheus-frontend", 5);
    mh_echo (&w, "prometheus-backend", 5);

    s_cycle (&w);
    s_autoscale (&w);
    s_partition (&w);
    s_crash_loop (&w);
    mh_stop (&w);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_multihost_long, mh_teardown),
    };
    return cmocka_run_group_tests_name ("multihost_long", tests, NULL, NULL);
}
