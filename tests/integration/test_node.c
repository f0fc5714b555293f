/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_node - helios-node and scaling (design §9), real processes on
    127.0.0.1: a master and two nodes (capacity 3 and 2, zone=a and
    zone=b), and for the crash loop a third whose agents are given a
    config they refuse.

    - `helios-ctl scale prometheus-frontend=3 athena-api=1` places four
      agents within the nodes' capacity, spread over both; they register,
      each saying which node started it;
    - kill -9 of an agent: its node starts it again, under its name;
    - an agent that exits at once (a bad config) is restarted until the
      intensity limit, then given up on, and alert.warning says so;
    - scaling down drains the surplus (each says bye: left, not
      expired) and never touches the agents that stay;
    - the desired counts survive a master restart: the nodes say what
      they run, keep running it, and get it back as their order.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <signal.h>

#include "../../proto/hl_msg.h"
#include "harness.h"

#define S_MASTER "heartbeat_ms = 250; liveness = 4;"
#define S_NODE                                                                 \
    "restart_backoff_min_ms = 100; restart_backoff_max_ms = 400;\n"            \
    "  max_restarts = 3; restart_window_s = 30; stop_grace_ms = 5000;"

static char s_out[65536];

/*  A node config: the master's file and a node section. */
static void
s_node_config (const ht_master_t *m, const char *name, const char *section,
               char *path, size_t size)
{
    snprintf (path, size, "%s/%s.cfg", m->dir, name);
    FILE *in = fopen (m->config, "r");
    FILE *out = fopen (path, "w");
    assert_non_null (in);
    assert_non_null (out);
    char buf[4096];
    size_t n;
    while ((n = fread (buf, 1, sizeof buf, in)) > 0)
        assert_int_equal (fwrite (buf, 1, n, out), n);
    fprintf (out, "node = { %s %s };\n", section, S_NODE);
    fclose (in);
    fclose (out);
}

static ht_proc_t *
s_node_start (const ht_master_t *m, const char *name, const char *section)
{
    char path[512];
    s_node_config (m, name, section, path, sizeof path);
    const char *argv[] = { ht_bin ("helios-node"),
                           "-c",
                           path,
                           "--name",
                           name,
                           "--master",
                           m->tasks,
                           NULL };
    return ht_start (argv);
}

/*  The reply's data of op (no args), or NULL; *reply_p to destroy. */
static const hl_value_t *
s_ask (const ht_master_t *m, const char *op, hl_msg_t **reply_p)
{
    *reply_p = (hl_msg_t *)ht_request (m, op, NULL);
    return *reply_p && hl_msg_ok (*reply_p) ? hl_msg_data (*reply_p) : NULL;
}

/*  Registered agents of role (NULL: any agent role) started by a node. */
static int
s_agents (const ht_master_t *m, const char *role)
{
    hl_msg_t *reply;
    const hl_value_t *list = s_ask (m, "agents", &reply);
    int n = 0;
    for (size_t i = 0; i < hl_value_size (list); i++) {
        const hl_value_t *a = hl_value_at (list, i);
        const char *r = hl_value_get_str (a, "role", "");
        if (*hl_value_get_str (a, "node", "") && (!role || streq (r, role)))
            n++;
    }
    hl_msg_destroy (&reply);
    return n;
}

/*  The registered agent's pid by name, or 0. */
static int64_t
s_agent_pid (const ht_master_t *m, const char *name)
{
    hl_msg_t *reply;
    const hl_value_t *list = s_ask (m, "agents", &reply);
    int64_t pid = 0;
    for (size_t i = 0; i < hl_value_size (list); i++) {
        const hl_value_t *a = hl_value_at (list, i);
        if (streq (hl_value_get_str (a, "name", ""), name))
            pid = hl_value_get_int (a, "pid", 0);
    }
    hl_msg_destroy (&reply);
    return pid;
}

/*  The node named name in a nodes reply's data, or NULL. */
static const hl_value_t *
s_node (const hl_value_t *data, const char *name)
{
    const hl_value_t *nodes = hl_value_get (data, "nodes");
    for (size_t i = 0; i < hl_value_size (nodes); i++)
        if (streq (hl_value_get_str (hl_value_at (nodes, i), "name", ""), name))
            return hl_value_at (nodes, i);
    return NULL;
}

/*  An agent of node's report by name, as a field, or fallback. */
static int64_t
s_report_int (const ht_master_t *m, const char *node, const char *agent,
              const char *field)
{
    hl_msg_t *reply;
    const hl_value_t *n = s_node (s_ask (m, "nodes", &reply), node);
    const hl_value_t *agents = hl_value_get (n, "agents");
    int64_t v = -1;
    for (size_t i = 0; i < hl_value_size (agents); i++)
        if (streq (hl_value_get_str (hl_value_at (agents, i), "name", ""),
                   agent))
            v = hl_value_get_int (hl_value_at (agents, i), field, -1);
    hl_msg_destroy (&reply);
    return v;
}

static int
s_nodes (const ht_master_t *m)
{
    hl_msg_t *reply;
    int n = (int)hl_value_size (
        hl_value_get (s_ask (m, "nodes", &reply), "nodes"));
    hl_msg_destroy (&reply);
    return n;
}

static int64_t
s_status_int (const ht_master_t *m, const char *section, const char *key)
{
    hl_msg_t *reply;
    int64_t v = hl_value_get_int (
        hl_value_get (s_ask (m, "status", &reply), section), key, -1);
    hl_msg_destroy (&reply);
    return v;
}

/*  Wait for s_agents (m, role) == n, 20 s at most. */
static bool
s_until_agents (const ht_master_t *m, const char *role, int n)
{
    int64_t deadline = zclock_mono () + 20000;
    while (s_agents (m, role) != n)
        if (zclock_mono () > deadline)
            return false;
        else
            zclock_sleep (50); /* a short step between looks */
    return true;
}

static void
test_node (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, S_MASTER, NULL));
    ht_proc_t *a
        = s_node_start (&m, "na", "capacity = 3; labels = \"zone=a\";");
    ht_proc_t *b
        = s_node_start (&m, "nb", "capacity = 2; labels = \"zone=b\";");
    int64_t deadline = zclock_mono () + 10000;
    while (s_nodes (&m) < 2 && zclock_mono () < deadline)
        zclock_sleep (50);
    assert_int_equal (s_nodes (&m), 2);

    //  Scale: four agents within 3 + 2, spread, each under its node
    int64_t t0 = zclock_mono ();
    assert_int_equal (ht_ctl (&m, s_out, sizeof s_out, "scale",
                              "prometheus-frontend=3", "athena-api=1", NULL),
                      0);
    assert_non_null (strstr (s_out, "prometheus-frontend=3"));
    assert_true (s_until_agents (&m, "prometheus-frontend", 3));
    assert_true (s_until_agents (&m, "athena-api", 1));
    print_message ("node: scale to 4 agents: registered in %lld ms\n",
                   (long long)(zclock_mono () - t0));
    hl_msg_t *reply;
    const hl_value_t *data = s_ask (&m, "nodes", &reply);
    size_t na = hl_value_size (hl_value_get (s_node (data, "na"), "order"));
    size_t nb = hl_value_size (hl_value_get (s_node (data, "nb"), "order"));
    assert_true (na >= 1 && nb >= 1); /* both have a share */
    hl_msg_destroy (&reply);
    assert_int_equal (ht_ctl (&m, s_out, sizeof s_out, "agents", NULL), 0);
    assert_non_null (strstr (s_out, "NODE"));

    //  kill -9: the node starts it again under its name
    const char *victim = "prometheus-frontend@na.1";
    int64_t pid = s_agent_pid (&m, victim);
    assert_true (pid > 0);
    kill ((pid_t)pid, SIGKILL);
    t0 = zclock_mono ();
    deadline = zclock_mono () + 20000;
    while ((s_agent_pid (&m, victim) == pid || !s_agent_pid (&m, victim))
           && zclock_mono () < deadline)
        zclock_sleep (50);
    assert_true (s_agent_pid (&m, victim) > 0);
    assert_true (s_agent_pid (&m, victim) != pid);
    print_message ("node: kill -9: restarted and registered in %lld ms\n",
                   (long long)(zclock_mono () - t0));
    deadline = zclock_mono () + 5000;
    while (s_report_int (&m, "na", victim, "restarts") != 1
           && zclock_mono () < deadline)
        zclock_sleep (50); /* the node's next beat tells it */
    assert_int_equal (s_report_int (&m, "na", victim, "restarts"), 1);

    //  A crash loop: given up on within the limit, and alerted
    int64_t subscribers = s_status_int (&m, "bus", "subscribers");
    const char *spy_argv[]
        = { ht_bin ("helios-spy"), "-e", m.bus_out, "--topic", "alert.",
            "--timeout",           "30", NULL };
    ht_proc_t *spy = ht_start (spy_argv);
    deadline = zclock_mono () + 5000;
    while (s_status_int (&m, "bus", "subscribers") <= subscribers
           && zclock_mono () < deadline)
        zclock_sleep (20);
    char bad[512];
    snprintf (bad, sizeof bad, "%s/bad.cfg", m.dir);
    FILE *f = fopen (bad, "w");
    assert_non_null (f);
    fprintf (f, "this is { not a config\n");
    fclose (f);
    char section[1024];
    snprintf (section, sizeof section,
              "capacity = 1; labels = \"bad=yes\"; agent_config = \"%s\";",
              bad);
    ht_proc_t *c = s_node_start (&m, "nc", section);
    deadline = zclock_mono () + 10000;
    while (s_nodes (&m) < 3 && zclock_mono () < deadline)
        zclock_sleep (50);
    assert_int_equal (ht_ctl (&m, s_out, sizeof s_out, "scale", "athena-ux=1",
                              "--label", "bad=yes", NULL),
                      0);
    t0 = zclock_mono ();
    char line[65536];
    bool alerted = false;
    deadline = zclock_mono () + 20000;
    while (!alerted && zclock_mono () < deadline)
        alerted = ht_read_line (spy, line, sizeof line, 1000)
                  && strstr (line, "alert.warning")
                  && strstr (line, "gave up on athena-ux@nc.1");
    assert_true (alerted);
    print_message ("node: crash loop: given up on and alerted in %lld ms\n",
                   (long long)(zclock_mono () - t0));
    assert_int_equal (s_report_int (&m, "nc", "athena-ux@nc.1", "restarts"), 3);
    assert_int_equal (ht_ctl (&m, s_out, sizeof s_out, "nodes", NULL), 0);
    assert_non_null (strstr (s_out, "failed"));
    ht_stop (&spy, 2000);

    //  Scale down: two drained (bye: left), the one that stays untouched
    int64_t left = s_status_int (&m, "tasks", "agents_left");
    int64_t api_pid = 0;
    {
        const hl_value_t *list = s_ask (&m, "agents", &reply);
        for (size_t i = 0; i < hl_value_size (list); i++)
            if (streq (hl_value_get_str (hl_value_at (list, i), "role", ""),
                       "athena-api"))
                api_pid = hl_value_get_int (hl_value_at (list, i), "pid", 0);
        hl_msg_destroy (&reply);
    }
    assert_true (api_pid > 0);
    int64_t pids[3];
    int npids = 0;
    {
        const hl_value_t *list = s_ask (&m, "agents", &reply);
        for (size_t i = 0; i < hl_value_size (list) && npids < 3; i++)
            if (streq (hl_value_get_str (hl_value_at (list, i), "role", ""),
                       "prometheus-frontend"))
                pids[npids++]
                    = hl_value_get_int (hl_value_at (list, i), "pid", 0);
        hl_msg_destroy (&reply);
    }
    assert_int_equal (npids, 3);
    t0 = zclock_mono ();
    assert_int_equal (ht_ctl (&m, s_out, sizeof s_out, "scale",
                              "prometheus-frontend=1", NULL),
                      0);
    assert_true (s_until_agents (&m, "prometheus-frontend", 1));
    deadline = zclock_mono () + 10000;
    while (s_status_int (&m, "tasks", "agents_left") < left + 2
           && zclock_mono () < deadline)
        zclock_sleep (50);
    assert_true (s_status_int (&m, "tasks", "agents_left") >= left + 2);
    print_message ("node: scale down by 2: drained in %lld ms\n",
                   (long long)(zclock_mono () - t0));
    int64_t kept = 0;
    {
        const hl_value_t *list = s_ask (&m, "agents", &reply);
        for (size_t i = 0; i < hl_value_size (list); i++) {
            const hl_value_t *ag = hl_value_at (list, i);
            if (streq (hl_value_get_str (ag, "role", ""),
                       "prometheus-frontend"))
                kept = hl_value_get_int (ag, "pid", 0);
            if (streq (hl_value_get_str (ag, "role", ""), "athena-api"))
                assert_int_equal (hl_value_get_int (ag, "pid", 0), api_pid);
        }
        hl_msg_destroy (&reply);
    }
    assert_true (kept == pids[0] || kept == pids[1] || kept == pids[2]);

    //  The master restarts: the desired counts come back from the store,
    //  the nodes keep their agents and get them as their order again
    assert_int_equal (ht_stop (&m.proc, 5000), 0);
    ht_master_pin (&m);
    assert_true (ht_master_launch (&m));
    t0 = zclock_mono ();
    deadline = zclock_mono () + 15000;
    bool back = false;
    while (!back && zclock_mono () < deadline) {
        data = s_ask (&m, "nodes", &reply);
        const hl_value_t *order = hl_value_get (s_node (data, "na"), "order");
        const hl_value_t *desired = hl_value_get (data, "desired");
        back = s_nodes (&m) == 3 && hl_value_size (desired) == 3
               && hl_value_size (order) > 0;
        hl_msg_destroy (&reply);
        if (!back)
            zclock_sleep (50);
    }
    assert_true (back);
    print_message ("node: master restarted: nodes back with their orders in "
                   "%lld ms\n",
                   (long long)(zclock_mono () - t0));
    data = s_ask (&m, "nodes", &reply);
    assert_int_equal (
        hl_value_get_int (hl_value_get (hl_value_get (data, "desired"),
                                        "prometheus-frontend"),
                          "count", -1),
        1);
    hl_msg_destroy (&reply);
    assert_true (s_until_agents (&m, "prometheus-frontend", 1));
    assert_true (s_until_agents (&m, "athena-api", 1));
    assert_int_equal (s_agent_pid (&m, "prometheus-frontend@na.1")
                          + s_agent_pid (&m, "prometheus-frontend@nb.1")
                          + s_agent_pid (&m, "prometheus-frontend@na.2")
                          + s_agent_pid (&m, "prometheus-frontend@na.3"),
                      kept);
    assert_int_equal (ht_ctl (&m, s_out, sizeof s_out, "audit", NULL), 0);
    assert_non_null (strstr (s_out, "scaled"));
    assert_non_null (strstr (s_out, "placed"));
    assert_non_null (strstr (s_out, "gave_up"));

    //  Nodes drain their agents and exit 0
    assert_int_equal (ht_stop (&a, 10000), 0);
    assert_int_equal (ht_stop (&b, 10000), 0);
    assert_int_equal (ht_stop (&c, 10000), 0);
    assert_int_equal (s_agents (&m, NULL), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_node, ht_teardown),
    };
    return cmocka_run_group_tests_name ("node", tests, NULL, NULL);
}
