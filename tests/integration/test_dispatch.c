/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_dispatch - the real helios-master and helios-agents under faults:
    a full swarm registers and runs 10,000 echo tasks with nothing lost or
    duplicated; an agent killed or hung with tasks in flight has them
    finished once, on a sibling; a master killed and restarted gets its
    agents back; an agent started first joins when the master comes up;
    bad input on the tasks socket is answered, counted and survived.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <signal.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../master/hl_client.h"
#include "harness.h"

static const char *s_roles[]
    = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
        "hephaestus-backend",  "athena-ux",          "athena-api" };

/*  Fast liveness so that expiry tests take a second, not three. */
#define S_FAST "heartbeat_ms = 200; liveness = 3;"

static int64_t
s_stat (const ht_master_t *m, const char *group, const char *key)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    assert_non_null (reply);
    int64_t v
        = hl_value_get_int (hl_value_get (hl_msg_data (reply), group), key, -1);
    hl_msg_destroy (&reply);
    return v;
}

static void
test_swarm_registers_and_echoes (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, NULL));
    ht_proc_t *agents[12];
    for (int i = 0; i < 12; i++)
        agents[i] = ht_agent_start (&m, s_roles[i % 6], NULL);
    /*  All twelve listed within 3 s (design: a heartbeat or two). */
    assert_int_equal (ht_wait_agents (&m, 12, 3000), 12);

    char out[1 << 16];
    assert_int_equal (ht_ctl (&m, out, sizeof out, "agents", "--json", NULL),
                      0);
    json_t *list = json_loads (out, 0, NULL);
    assert_int_equal (json_array_size (list), 12);
    size_t i;
    json_t *a;
    json_array_foreach (list, i, a) {
        assert_non_null (json_string_value (json_object_get (a, "name")));
        assert_non_null (json_string_value (json_object_get (a, "role")));
        assert_true (json_integer_value (json_object_get (a, "capacity")) >= 1);
        assert_non_null (json_object_get (a, "last_heartbeat_us"));
    }
    json_decref (list);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "agents", NULL), 0);
    assert_non_null (strstr (out, "12 agents"));

    /*  10,000 echo tasks: none lost, none twice. */
    assert_int_equal (ht_ctl (&m, out, sizeof out, "bench", "echo", "--tasks",
                              "10000", "--concurrency", "64", "--json", NULL),
                      0);
    json_t *r = json_loads (out, 0, NULL);
    assert_non_null (r);
    assert_int_equal (json_integer_value (json_object_get (r, "completed")),
                      10000);
    assert_int_equal (json_integer_value (json_object_get (r, "failed")), 0);
    assert_int_equal (json_integer_value (json_object_get (r, "duplicates")),
                      0);
    assert_int_equal (json_integer_value (json_object_get (r, "lost")), 0);
    assert_true (json_number_value (json_object_get (r, "tasks_per_s")) > 0);
    assert_non_null (json_object_get (r, "p50_us"));
    assert_non_null (json_object_get (r, "p99_us"));
    json_decref (r);
    /*  ... and the master agrees: 10,000 completed, none retried. */
    assert_int_equal (s_stat (&m, "tasks", "completed"), 10000);
    assert_int_equal (s_stat (&m, "tasks", "retried"), 0);
    /*  ... spread evenly: Jain's index over each role's two agents. */
    hl_msg_t *reply = (hl_msg_t *)ht_request (&m, "status", NULL);
    assert_non_null (reply);
    const hl_value_t *even = hl_value_get (
        hl_value_get (hl_msg_data (reply), "orchestration"), "evenness");
    assert_int_equal (hl_value_size (hl_value_get (even, "by_role")), 6);
    double worst = hl_value_get_double (even, "worst", 0);
    assert_true (worst > 0.8 && worst <= 1.0);
    hl_msg_destroy (&reply);

    for (int j = 0; j < 12; j++)
        assert_int_equal (ht_stop (&agents[j], 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  Send n slow echo tasks to role, pipelined; returns their request ids
    in ids. */
static void
s_send_slow (hl_client_t *client, const char *role, int n, int delay_ms,
             uint64_t *ids)
{
    for (int i = 0; i < n; i++) {
        hl_value_t *args = hl_value_new_map ();
        hl_value_set_str (args, "kind", "echo");
        hl_value_set_str (args, "role", role);
        hl_value_t *targs = hl_value_new_map ();
        hl_value_set_int (targs, "delay_ms", delay_ms);
        hl_value_set_int (targs, "n", i);
        hl_value_set (args, "args", &targs);
        ids[i] = hl_client_send (client, "task.run", &args);
        assert_true (ids[i] > 0);
    }
}

/*  Wait until the agent named name has inflight tasks on the master. */
static void
s_wait_inflight (const ht_master_t *m, pid_t pid, int want)
{
    int64_t deadline = zclock_mono () + 5000;
    while (zclock_mono () < deadline) {
        hl_msg_t *reply = (hl_msg_t *)ht_request (m, "agents", NULL);
        const hl_value_t *list = hl_msg_data (reply);
        for (size_t i = 0; i < hl_value_size (list); i++) {
            const hl_value_t *a = hl_value_at (list, i);
            if (hl_value_get_int (a, "pid", 0) == pid
                && hl_value_get_int (a, "inflight", 0) >= want) {
                hl_msg_destroy (&reply);
                return;
            }
        }
        hl_msg_destroy (&reply);
        zclock_sleep (20); /* a short step between polls */
    }
    fail_msg ("agent %d never had %d tasks in flight", (int)pid, want);
}

/*  Collect the n replies: each exactly once, each ok. Returns how many
    needed a second attempt, all of which must have run on survivor. */
static int
s_collect (hl_client_t *client, int n, const uint64_t *ids,
           const char *survivor)
{
    bool seen[64] = { false };
    int retried = 0;
    for (int got = 0; got < n;) {
        hl_msg_t *reply = NULL;
        assert_int_equal (hl_client_recv (client, 15000, &reply), 0);
        int which = 0;
        bool known = false;
        for (int i = 0; i < n; i++)
            if (ids[i] == hl_msg_re (reply)) {
                which = i;
                known = true;
            }
        assert_true (known);
        assert_false (seen[which]); /* exactly once */
        seen[which] = true;
        got++;
        const hl_value_t *d = hl_msg_data (reply);
        assert_string_equal (hl_value_get_str (d, "status", ""), "ok");
        assert_int_equal (hl_value_get_int (hl_value_get (d, "data"), "n", -1),
                          which);
        if (hl_value_get_int (d, "attempts", 0) > 1) {
            retried++;
            assert_string_equal (hl_value_get_str (d, "agent", ""), survivor);
        }
        hl_msg_destroy (&reply);
    }
    /*  and nothing more arrives */
    hl_msg_t *extra = NULL;
    assert_int_equal (hl_client_recv (client, 300, &extra), HL_ERR_TIMEOUT);
    return retried;
}

/*  The name an agent registered with, from its pid. */
static void
s_agent_name (const ht_master_t *m, pid_t pid, char *name, size_t size)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "agents", NULL);
    const hl_value_t *list = hl_msg_data (reply);
    *name = 0;
    for (size_t i = 0; i < hl_value_size (list); i++) {
        const hl_value_t *a = hl_value_at (list, i);
        if (hl_value_get_int (a, "pid", 0) == pid)
            snprintf (name, size, "%s", hl_value_get_str (a, "name", ""));
    }
    hl_msg_destroy (&reply);
}

/*  Two athena-api agents take 4 slow tasks each; the victim is killed
    (SIGKILL) or hung (SIGSTOP). Its four tasks must finish once each, on
    the survivor. */
static void
s_lose_agent (int sig)
{
    ht_master_t m;
    assert_true (ht_master_start (&m, S_FAST, NULL));
    ht_proc_t *victim
        = ht_agent_start (&m, "athena-api", "--capacity", "4", NULL);
    ht_proc_t *survivor
        = ht_agent_start (&m, "athena-api", "--capacity", "4", NULL);
    assert_int_equal (ht_wait_agents (&m, 2, 5000), 2);
    char survivor_name[256];
    s_agent_name (&m, survivor->pid, survivor_name, sizeof survivor_name);

    hl_client_t *client = hl_client_new (m.control, "test");
    uint64_t ids[8];
    s_send_slow (client, "athena-api", 8, 1500, ids);
    s_wait_inflight (&m, victim->pid, 4);
    s_wait_inflight (&m, survivor->pid, 4);
    kill (victim->pid, sig);

    assert_int_equal (s_collect (client, 8, ids, survivor_name), 4);
    assert_int_equal (s_stat (&m, "tasks", "agents_expired"), 1);
    assert_int_equal (s_stat (&m, "tasks", "completed"), 8);
    hl_client_destroy (&client);

    if (sig == SIGSTOP) {
        /*  Woken up, the hung agent is a stranger to the master: it is
            told so, says hello again and is registered anew. */
        kill (victim->pid, SIGCONT);
        assert_int_equal (ht_wait_agents (&m, 2, 5000), 2);
        assert_int_equal (ht_stop (&victim, 5000), 0);
    } else
        ht_stop (&victim, 1000);
    assert_int_equal (ht_stop (&survivor, 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_agent_killed_with_tasks (void **state)
{
    (void)state;
    s_lose_agent (SIGKILL);
}

static void
test_agent_hung_with_tasks (void **state)
{
    (void)state;
    s_lose_agent (SIGSTOP);
}

static void
test_master_restart (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, NULL));
    ht_proc_t *agents[6];
    for (int i = 0; i < 6; i++)
        agents[i] = ht_agent_start (&m, s_roles[i], NULL);
    assert_int_equal (ht_wait_agents (&m, 6, 3000), 6);

    /*  The restarted master binds the same endpoints the first one got. */
    kill (m.proc->pid, SIGKILL);
    ht_stop (&m.proc, 2000);
    FILE *f = fopen (m.config, "w");
    assert_non_null (f);
    fprintf (f,
             "master = { tasks = \"%s\"; control = \"%s\";\n"
             "  bus_in = \"%s\"; bus_out = \"%s\"; http = \"\";\n"
             "  statsd = \"\"; state_dir = \"%s/state\"; };\n",
             m.tasks, m.control, m.bus_in, m.bus_out, m.dir);
    fclose (f);
    assert_true (ht_master_launch (&m));

    /*  Registered again within 3 s, and new tasks flow. */
    assert_int_equal (ht_wait_agents (&m, 6, 3000), 6);
    char out[4096];
    assert_int_equal (ht_ctl (&m, out, sizeof out, "bench", "echo", "--tasks",
                              "500", "--json", NULL),
                      0);
    json_t *r = json_loads (out, 0, NULL);
    assert_int_equal (json_integer_value (json_object_get (r, "completed")),
                      500);
    json_decref (r);
    for (int i = 0; i < 6; i++)
        assert_int_equal (ht_stop (&agents[i], 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_agent_before_master (void **state)
{
    (void)state;
    ht_master_t m;
    memset (&m, 0, sizeof m);
    ht_tmpdir (m.dir, sizeof m.dir);
    snprintf (m.tasks, sizeof m.tasks, "ipc://%.200s/tasks", m.dir);
    ht_write_config (m.dir, m.tasks, NULL, NULL, m.config, sizeof m.config);

    ht_proc_t *agent = ht_agent_start (&m, "prometheus-backend", NULL);
    /*  The agent waits for a master that is not there (and stays up). */
    assert_int_equal (ht_wait (agent, 500), -2);
    assert_true (ht_master_launch (&m));
    assert_int_equal (ht_wait_agents (&m, 1, 10000), 1);
    char out[4096];
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "bench", "echo", "--tasks", "100", NULL),
        0);
    assert_int_equal (ht_stop (&agent, 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  Read one message on dealer within 5 s; it must be an error with code. */
static void
s_expect_error (zsock_t *dealer, int code)
{
    zpoller_t *poller = zpoller_new (dealer, NULL);
    assert_non_null (zpoller_wait (poller, 5000));
    zpoller_destroy (&poller);
    hl_msg_t *msg = NULL;
    assert_int_equal (hl_bus_recv (dealer, NULL, &msg, NULL), 0);
    assert_int_equal (hl_msg_type (msg), HL_MSG_ERROR);
    assert_int_equal (hl_msg_code (msg), code);
    assert_true (strlen (hl_msg_text (msg)) > 0);
    hl_msg_destroy (&msg);
}

static hl_msg_t *
s_hello (const char *role)
{
    hl_msg_t *hello = hl_msg_new (HL_MSG_HELLO);
    hl_msg_set_src (hello, "test-peer");
    hl_msg_set_role (hello, role);
    hl_msg_set_capacity (hello, 1);
    hl_msg_set_host (hello, "localhost");
    hl_msg_set_pid (hello, 1);
    hl_msg_set_version (hello, "0");
    return hello;
}

static void
test_tasks_bad_input (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, NULL));
    zsock_t *dealer = hl_sock_connect (ZMQ_DEALER, m.tasks, NULL, NULL);

    /*  1. garbage */
    zstr_send (dealer, "\xc1 garbage");
    s_expect_error (dealer, HL_ERR_ROOT);
    /*  2. a heartbeat from a peer that never said hello */
    hl_msg_t *beat = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (beat, 0);
    assert_int_equal (hl_bus_send (dealer, &beat), 0);
    s_expect_error (dealer, HL_ERR_PEER);
    /*  3. a hello with a role nobody knows */
    hl_msg_t *hello = s_hello ("necromancer");
    assert_int_equal (hl_bus_send (dealer, &hello), 0);
    s_expect_error (dealer, HL_ERR_ARGS);
    assert_int_equal (ht_wait_agents (&m, 1, 200), 0);
    /*  4. a result for a task never sent, from a registered peer */
    hello = s_hello ("athena-api");
    assert_int_equal (hl_bus_send (dealer, &hello), 0);
    zpoller_t *poller = zpoller_new (dealer, NULL);
    assert_non_null (zpoller_wait (poller, 5000));
    zpoller_destroy (&poller);
    hl_msg_t *welcome = NULL;
    assert_int_equal (hl_bus_recv (dealer, NULL, &welcome, NULL), 0);
    assert_int_equal (hl_msg_type (welcome), HL_MSG_WELCOME);
    assert_true (hl_msg_heartbeat_ms (welcome) > 0);
    hl_msg_destroy (&welcome);
    hl_msg_t *result = hl_msg_new (HL_MSG_RESULT);
    hl_msg_set_task_id (result, 424242);
    hl_msg_set_status (result, "ok");
    hl_msg_set_duration_us (result, 1);
    assert_int_equal (hl_bus_send (dealer, &result), 0);
    s_expect_error (dealer, HL_ERR_ARGS);
    /*  5. a message type the tasks socket does not take */
    hl_msg_t *request = hl_msg_new (HL_MSG_REQUEST);
    hl_msg_set_op (request, "status");
    assert_int_equal (hl_bus_send (dealer, &request), 0);
    /*  (a heartbeat may come first: skip master heartbeats) */
    while (true) {
        poller = zpoller_new (dealer, NULL);
        assert_non_null (zpoller_wait (poller, 5000));
        zpoller_destroy (&poller);
        hl_msg_t *msg = NULL;
        assert_int_equal (hl_bus_recv (dealer, NULL, &msg, NULL), 0);
        hl_msg_type_t type = hl_msg_type (msg);
        if (type == HL_MSG_ERROR)
            assert_int_equal (hl_msg_code (msg), HL_ERR_UNSUPPORTED);
        hl_msg_destroy (&msg);
        if (type == HL_MSG_ERROR)
            break;
    }
    zsock_destroy (&dealer);

    assert_int_equal (s_stat (&m, "tasks", "rejected"), 5);
    hl_msg_t *reply = (hl_msg_t *)ht_request (&m, "status", NULL);
    const hl_value_t *by = hl_value_get (
        hl_value_get (hl_msg_data (reply), "tasks"), "rejected_by");
    assert_int_equal (hl_value_get_int (by, "root", 0), 1);
    assert_int_equal (hl_value_get_int (by, "peer", 0), 1);
    assert_int_equal (hl_value_get_int (by, "args", 0), 2);
    assert_int_equal (hl_value_get_int (by, "unsupported", 0), 1);
    hl_msg_destroy (&reply);

    /*  The master still serves: a real agent runs echo tasks. */
    ht_proc_t *agent = ht_agent_start (&m, "athena-ux", NULL);
    assert_true (ht_wait_agents (&m, 1, 5000) >= 1);
    char out[4096];
    assert_int_equal (ht_ctl (&m, out, sizeof out, "bench", "echo", "--tasks",
                              "100", "--role", "athena-ux", NULL),
                      0);
    assert_int_equal (ht_stop (&agent, 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  Task events are built only for topics somebody subscribes to: a spy
    on "task." sees them. */
static void
test_spy_sees_task_events (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, NULL));
    ht_proc_t *agent = ht_agent_start (&m, "athena-ux", NULL);
    assert_int_equal (ht_wait_agents (&m, 1, 5000), 1);
    const char *argv[]
        = { ht_bin ("helios-spy"), "-e", m.bus_out, "--topic", "task.",
            "--timeout",           "30", NULL };
    ht_proc_t *spy = ht_start (argv);
    /*  The subscription reaches the master asynchronously: run tasks
        until the spy shows one. */
    char line[8192], out[4096];
    bool seen = false;
    for (int i = 0; i < 50 && !seen; i++) {
        assert_int_equal (
            ht_ctl (&m, out, sizeof out, "bench", "echo", "--tasks", "1", NULL),
            0);
        seen = ht_read_line (spy, line, sizeof line, 200);
    }
    assert_true (seen);
    json_t *json = json_loads (line, 0, NULL);
    assert_non_null (json);
    const char *topic = json_string_value (json_object_get (json, "topic"));
    assert_true (streq (topic, "task.dispatched")
                 || streq (topic, "task.completed"));
    json_t *body = json_object_get (json, "body");
    assert_true (json_integer_value (json_object_get (body, "task_id")) > 0);
    assert_string_equal (json_string_value (json_object_get (body, "kind")),
                         "echo");
    json_decref (json);
    assert_int_equal (ht_stop (&spy, 5000), 0);
    assert_int_equal (ht_stop (&agent, 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_swarm_registers_and_echoes,
                                   ht_teardown),
        cmocka_unit_test_teardown (test_agent_killed_with_tasks, ht_teardown),
        cmocka_unit_test_teardown (test_agent_hung_with_tasks, ht_teardown),
        cmocka_unit_test_teardown (test_master_restart, ht_teardown),
        cmocka_unit_test_teardown (test_agent_before_master, ht_teardown),
        cmocka_unit_test_teardown (test_tasks_bad_input, ht_teardown),
        cmocka_unit_test_teardown (test_spy_sees_task_events, ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
