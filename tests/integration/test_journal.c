/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_journal - a real helios-agent of role hephaestus-backend with a
    stable --name, killed with SIGKILL and started again under that name:
    an apply it ran is answered from its journal with the same result and
    not run again; one it was running when killed is answered failed,
    outcome unknown, and not started again, its command's process group
    killed by the restarted agent. The first two cases play the
    master on a ROUTER of their own (the control API cannot send a task id
    twice); the third has a real helios-master retry the task on the
    restarted agent once the killed one expires.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../master/hl_client.h"
#include "../unit/fake_master.h"
#include "harness.h"

#define S_NAME "heph-1"
#define S_WAIT_MS 10000 /* the longest any condition may take */

/*  Two actions: one marks a file and ends, one marks a file and sleeps
    (its shell's pid first: the group the restarted agent must kill). */
#define S_PLAYBOOK                                                             \
    "metrics = ( { name = \"api\"; category = \"backend\";\n"                  \
    "  better = \"lower\"; target = 1.0; critical = 2.0; } );\n"               \
    "actions = (\n"                                                            \
    "  { name = \"mark\"; swarm = \"backend\"; improves = [ \"api\" ];\n"      \
    "    apply = \"echo ran $HELIOS_TASK_ID >> %1$s/applied\"; },\n"           \
    "  { name = \"slow\"; swarm = \"backend\"; improves = [ \"api\" ];\n"      \
    "    apply = \"echo $$ >> %1$s/slow; exec sleep 30\"; timeout = 60; }\n"   \
    ");\n"

/*  The test's master: a ROUTER the agent connects to */
typedef struct {
    ht_master_t m; /* dir, config; tasks is the ROUTER's endpoint */
    zsock_t *router;
    uint8_t peer[256]; /* the agent that spoke last */
    size_t peer_len;
    ht_proc_t *agent;
} s_env_t;

static void
s_path (const ht_master_t *m, const char *name, char *path, size_t size)
{
    snprintf (path, size, "%s/%s", m->dir, name);
}

/*  Lines in the test folder's file name (0 if there is none) */
static int
s_lines (const ht_master_t *m, const char *name)
{
    char path[320];
    s_path (m, name, path, sizeof path);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    int lines = 0, c;
    while ((c = fgetc (file)) != EOF)
        lines += c == '\n';
    fclose (file);
    return lines;
}

/*  Wait until name has n lines */
static void
s_wait_lines (const ht_master_t *m, const char *name, int n)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (s_lines (m, name) < n) {
        if (zclock_mono () >= deadline)
            fail_msg ("%s never had %d lines", name, n);
        zclock_sleep (5); /* a short step between looks */
    }
}

/*  The config, with the playbook, in a scratch folder */
static void
s_config (ht_master_t *m, const char *master_extra)
{
    memset (m, 0, sizeof *m);
    ht_tmpdir (m->dir, sizeof m->dir);
    char extra[2048];
    snprintf (extra, sizeof extra, S_PLAYBOOK, m->dir);
    ht_write_config (m->dir, NULL, master_extra, extra, m->config,
                     sizeof m->config);
}

/*  Does group have a member that is not a zombie? */
static bool
s_group_alive (pid_t group)
{
    DIR *proc = opendir ("/proc");
    assert_non_null (proc);
    bool alive = false;
    struct dirent *entry;
    while (!alive && (entry = readdir (proc))) {
        char path[300], buf[512];
        snprintf (path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *file = fopen (path, "r");
        if (!file)
            continue;
        size_t n = fread (buf, 1, sizeof buf - 1, file);
        fclose (file);
        buf[n] = '\0';
        /*  pid (comm) state ppid pgrp ... */
        char state = 0;
        int ppid = 0, pgrp = 0;
        const char *paren = strrchr (buf, ')');
        if (paren && sscanf (paren + 1, " %c %d %d", &state, &ppid, &pgrp) == 3)
            alive = pgrp == group && state != 'Z' && state != 'X';
    }
    closedir (proc);
    return alive;
}

/*  The group of the "slow" command its killed agent left sleeping was
    killed by the agent restarted under the same name, before it said
    hello: nothing of it is left but zombies for their new parent */
static void
s_slow_gone (const ht_master_t *m)
{
    char path[320], text[32] = "";
    s_path (m, "slow", path, sizeof path);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    assert_non_null (fgets (text, sizeof text, file));
    fclose (file);
    pid_t group = (pid_t)atoi (text);
    assert_true (group > 1);
    if (s_group_alive (group)) {
        kill (-group, SIGKILL); /* not left behind by a failed test */
        fail_msg ("the slow command's group %d lives on", (int)group);
    }
}

/*  SIGKILL, as an OOM killer or a crash would end it, and reap */
static void
s_kill9 (ht_proc_t **proc_p)
{
    kill ((*proc_p)->pid, SIGKILL);
    assert_int_equal (ht_wait (*proc_p, S_WAIT_MS), 128 + SIGKILL);
    assert_int_equal (ht_stop (proc_p, 0), 0);
}

//  ---------------------------------------------------------------------
//  The test as the master

static hl_msg_t *
s_recv (s_env_t *env, hl_msg_type_t type)
{
    hl_msg_t *msg = fake_master_recv (env->router, env->peer, &env->peer_len,
                                      type, S_WAIT_MS, true, NULL);
    if (!msg)
        fail_msg ("no %s from the agent", hl_msg_type_name (type));
    return msg;
}

/*  Start the agent and welcome it */
static void
s_agent_start (s_env_t *env)
{
    env->agent = ht_agent_start (&env->m, "hephaestus-backend", "--name",
                                 S_NAME, NULL);
    assert_non_null (env->agent);
    hl_msg_t *hello = s_recv (env, HL_MSG_HELLO);
    assert_string_equal (hl_msg_src (hello), S_NAME);
    hl_msg_t *welcome = hl_msg_new (HL_MSG_WELCOME);
    hl_msg_set_re (welcome, hl_msg_id (hello));
    hl_msg_set_heartbeat_ms (welcome, 1000);
    hl_msg_set_liveness (welcome, 30);
    hl_msg_set_session (welcome, "session-1");
    fake_master_send (env->router, env->peer, env->peer_len, welcome);
    hl_msg_destroy (&hello);
}

static void
s_env_start (s_env_t *env)
{
    memset (env, 0, sizeof *env);
    s_config (&env->m, NULL);
    env->router = hl_sock_bind (ZMQ_ROUTER, "tcp://127.0.0.1:*", NULL,
                                env->m.tasks, sizeof env->m.tasks);
    assert_non_null (env->router);
    s_agent_start (env);
}

static void
s_env_stop (s_env_t *env)
{
    /*  SIGTERM: it drains, says bye and exits 0 */
    assert_int_equal (ht_stop (&env->agent, 5000), 0);
    zsock_destroy (&env->router);
    ht_rmdir (env->m.dir);
}

/*  Send task task_id (apply action, attempt); its result */
static hl_msg_t *
s_apply (s_env_t *env, uint64_t task_id, const char *action, uint32_t attempt)
{
    hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
    hl_msg_set_task_id (task, task_id);
    hl_msg_set_kind (task, "apply");
    hl_msg_set_priority (task, 2);
    hl_msg_set_attempt (task, attempt);
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "action", action);
    hl_msg_set_args (task, &args);
    uint64_t re = hl_msg_id (task);
    fake_master_send (env->router, env->peer, env->peer_len, task);
    while (true) {
        hl_msg_t *result = s_recv (env, HL_MSG_RESULT);
        if (hl_msg_re (result) == re) {
            assert_int_equal (hl_msg_task_id (result), task_id);
            return result;
        }
        hl_msg_destroy (&result);
    }
}

/*  Send task task_id without waiting */
static void
s_apply_later (s_env_t *env, uint64_t task_id, const char *action)
{
    hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
    hl_msg_set_task_id (task, task_id);
    hl_msg_set_kind (task, "apply");
    hl_msg_set_priority (task, 2);
    hl_msg_set_attempt (task, 1);
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "action", action);
    hl_msg_set_args (task, &args);
    fake_master_send (env->router, env->peer, env->peer_len, task);
}

static void
s_assert_unknown (const hl_value_t *data, const char *action)
{
    assert_string_equal (hl_value_get_str (data, "error", ""),
                         "outcome unknown: agent restarted while running");
    bool unknown = false;
    assert_int_equal (hl_value_bool (hl_value_get (data, "unknown"), &unknown),
                      0);
    assert_true (unknown);
    assert_string_equal (hl_value_get_str (data, "action", ""), action);
}

/*  An apply that ran, asked again of the agent restarted after SIGKILL:
    the same answer, and the command ran once */
static void
test_ran_once (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    uint64_t id = 1700000000000001ULL; /* as the master numbers them */
    hl_msg_t *first = s_apply (&env, id, "mark", 1);
    assert_string_equal (hl_msg_status (first), "ok");
    assert_int_equal (hl_value_get_int (hl_msg_data (first), "exit_code", -1),
                      0);
    assert_int_equal (s_lines (&env.m, "applied"), 1);

    s_kill9 (&env.agent);
    char journal[320];
    s_path (&env.m, "state/agents/" S_NAME ".journal", journal, sizeof journal);
    assert_int_equal (access (journal, R_OK), 0);
    s_agent_start (&env);
    hl_msg_t *again = s_apply (&env, id, "mark", 2);
    assert_string_equal (hl_msg_status (again), "ok");
    assert_int_equal (hl_msg_duration_us (again), hl_msg_duration_us (first));
    assert_true (hl_value_eq (hl_msg_data (again), hl_msg_data (first)));
    hl_msg_destroy (&again);
    /*  A new id runs: the agent works, and the first still ran once */
    hl_msg_t *next = s_apply (&env, id + 1, "mark", 1);
    assert_string_equal (hl_msg_status (next), "ok");
    hl_msg_destroy (&next);
    assert_int_equal (s_lines (&env.m, "applied"), 2);
    char path[320], text[128] = "";
    s_path (&env.m, "applied", path, sizeof path);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    assert_non_null (fgets (text, sizeof text, file));
    fclose (file);
    assert_string_equal (text, "ran 1700000000000001\n");
    hl_msg_destroy (&first);
    s_env_stop (&env);
}

/*  An apply running when the agent was killed, asked again of the agent
    restarted: failed, outcome unknown, and not started again */
static void
test_killed_while_running (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    uint64_t id = 1700000000000101ULL;
    s_apply_later (&env, id, "slow");
    s_wait_lines (&env.m, "slow", 1);

    s_kill9 (&env.agent);
    s_agent_start (&env);
    s_slow_gone (&env.m);
    hl_msg_t *result = s_apply (&env, id, "slow", 2);
    assert_string_equal (hl_msg_status (result), "failed");
    s_assert_unknown (hl_msg_data (result), "slow");
    hl_msg_destroy (&result);
    /*  Once the agent has answered a task after it, nothing more
        started: the slow command ran once */
    result = s_apply (&env, id + 1, "mark", 1);
    assert_string_equal (hl_msg_status (result), "ok");
    hl_msg_destroy (&result);
    assert_int_equal (s_lines (&env.m, "slow"), 1);
    /*  And so after yet another restart */
    assert_int_equal (ht_stop (&env.agent, 5000), 0);
    s_agent_start (&env);
    result = s_apply (&env, id, "slow", 3);
    assert_string_equal (hl_msg_status (result), "failed");
    s_assert_unknown (hl_msg_data (result), "slow");
    hl_msg_destroy (&result);
    assert_int_equal (s_lines (&env.m, "slow"), 1);
    s_env_stop (&env);
}

//  ---------------------------------------------------------------------
//  A real master

/*  The master retries a task lost with its agent on the agent restarted
    under the same name: answered failed, outcome unknown, on the second
    attempt; the command started once */
static void
test_master_retries (void **state)
{
    (void)state;
    ht_master_t m;
    s_config (&m, "heartbeat_ms = 200; liveness = 3;");
    assert_true (ht_master_launch (&m));
    ht_proc_t *agent
        = ht_agent_start (&m, "hephaestus-backend", "--name", S_NAME, NULL);
    assert_int_equal (ht_wait_agents (&m, 1, S_WAIT_MS), 1);

    hl_client_t *client = hl_client_new (m.control, "test");
    assert_non_null (client);
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind", "apply");
    hl_value_set_str (args, "role", "hephaestus-backend");
    hl_value_set_str (args, "action", "slow");
    hl_value_t *targs = hl_value_new_map ();
    hl_value_set_str (targs, "action", "slow");
    hl_value_set (args, "args", &targs);
    assert_true (hl_client_send (client, "task.run", &args) > 0);
    s_wait_lines (&m, "slow", 1);

    s_kill9 (&agent);
    agent = ht_agent_start (&m, "hephaestus-backend", "--name", S_NAME, NULL);
    assert_non_null (agent);
    hl_msg_t *reply = NULL;
    assert_int_equal (hl_client_recv (client, 3 * S_WAIT_MS, &reply), 0);
    assert_true (hl_msg_ok (reply));
    const hl_value_t *end = hl_msg_data (reply);
    assert_string_equal (hl_value_get_str (end, "status", ""), "failed");
    assert_int_equal (hl_value_get_int (end, "attempts", 0), 2);
    assert_string_equal (hl_value_get_str (end, "agent", ""), S_NAME);
    s_assert_unknown (hl_value_get (end, "data"), "slow");
    hl_msg_destroy (&reply);
    hl_client_destroy (&client);
    assert_int_equal (s_lines (&m, "slow"), 1);

    s_slow_gone (&m);
    assert_int_equal (ht_stop (&agent, 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_ran_once, ht_teardown),
        cmocka_unit_test_teardown (test_killed_while_running, ht_teardown),
        cmocka_unit_test_teardown (test_master_retries, ht_teardown),
    };
    return cmocka_run_group_tests_name ("journal", tests, NULL, NULL);
}
