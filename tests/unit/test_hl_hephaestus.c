/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_hephaestus - a hephaestus-backend agent in a zactor against a
    ROUTER this test binds as the master, with a config in a mkdtemp()
    folder whose actions run small real shell commands: params, exit
    codes, timeouts and cancels that kill the whole group, the output
    tail, repeated ids (the role's own memory, and a named agent's journal
    across echoes and a restart), a command's group left by a killed
    agent killed by the next, and a loop that stays free. Every wait
    has a deadline.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../agents/hl_agent.h"
#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"
#include "fake_master.h"

#define WAIT_MS 8000 //  the longest any condition may take

//  The playbook; %1$s is the test's folder. libconfig unescapes \\ once
//  and the shell's printf reads the octal escapes left.
#define CONFIG_TEXT                                                            \
    "metrics = ( { name = \"api\"; category = \"backend\"; "                   \
    "better = \"lower\"; target = 1.0; critical = 2.0; } );\n"                 \
    "actions = (\n"                                                            \
    "  { name = \"write\"; swarm = \"backend\"; improves = [ \"api\" ];\n"     \
    "    apply = \"echo applied $HELIOS_PARAM_SIZE $HELIOS_PARAM_RATIO "       \
    "$HELIOS_PARAM_MODE $HELIOS_PARAM_TAG. $HELIOS_ACTION "                    \
    "$HELIOS_TASK_ID $HELIOS_CONFIG >> %1$s/out\";\n"                          \
    "    rollback = \"echo rolled back >> %1$s/out\";\n"                       \
    "    params = (\n"                                                         \
    "      { name = \"size\"; type = \"int\"; min = 4; max = 256; "            \
    "default = 32; },\n"                                                       \
    "      { name = \"ratio\"; type = \"float\"; min = 0.0; max = 1.0; "       \
    "default = 0.5; },\n"                                                      \
    "      { name = \"mode\"; type = \"str\"; pattern = \"fast|slow\"; "       \
    "default = \"fast\"; },\n"                                                 \
    "      { name = \"tag\"; type = \"str\"; } ); },\n"                        \
    "  { name = \"need\"; swarm = \"backend\"; improves = [ \"api\" ];\n"      \
    "    apply = \"echo $HELIOS_PARAM_KEY >> %1$s/out\";\n"                    \
    "    params = ( { name = \"key\"; type = \"str\"; required = true; } );"   \
    " },\n"                                                                    \
    "  { name = \"fail\"; swarm = \"backend\"; improves = [ \"api\" ];\n"      \
    "    apply = \"echo failing; exit 3\"; },\n"                               \
    "  { name = \"hang\"; swarm = \"backend\"; improves = [ \"api\" ];\n"      \
    "    apply = \"sleep 30 & echo $! > %1$s/hang.tmp; "                       \
    "mv %1$s/hang.tmp %1$s/hang.pid; wait\"; timeout = 1; },\n"                \
    "  { name = \"stubborn\"; swarm = \"backend\"; improves = [ \"api\" ];\n"  \
    "    apply = \"trap '' TERM; sleep 30 & echo $! > %1$s/stub.tmp; "         \
    "mv %1$s/stub.tmp %1$s/stub.pid; wait\"; timeout = 1; },\n"                \
    "  { name = \"long\"; swarm = \"backend\"; improves = [ \"api\" ];\n"      \
    "    apply = \"sleep 30 & echo $! > %1$s/long.tmp; "                       \
    "mv %1$s/long.tmp %1$s/long.pid; wait\"; timeout = 60; },\n"               \
    "  { name = \"nap\"; swarm = \"backend\"; improves = [ \"api\" ];\n"       \
    "    apply = \"sleep 2\"; },\n"                                            \
    "  { name = \"big\"; swarm = \"backend\"; improves = [ \"api\" ];\n"       \
    "    apply = \"i=0; while [ $i -lt 1024 ]; do printf '%%09d\\\\n' $i; "    \
    "i=$((i+1)); done; echo tail >&2\"; },\n"                                  \
    "  { name = \"wide\"; swarm = \"backend\"; improves = [ \"api\" ];\n"      \
    "    apply = \"i=0; while [ $i -lt 3000 ]; do printf '\\\\303\\\\251'; "   \
    "i=$((i+1)); done; echo\"; },\n"                                           \
    "  { name = \"bad\"; swarm = \"backend\"; improves = [ \"api\" ];\n"       \
    "    apply = \"printf 'ok \\\\303\\\\251 bad \\\\377\\\\376 "              \
    "end \\\\342\\\\202'\"; },\n"                                              \
    "  { name = \"lazy\"; swarm = \"frontend\"; improves = [ \"api\" ];\n"     \
    "    apply = \"echo lazy >> %1$s/out\"; },\n"                              \
    "  { name = \"plan_only\"; swarm = \"backend\"; improves = [ \"api\" ]; }" \
    "\n);\n"

typedef struct {
    char dir[64];
    char path[128]; //  the config
    zsock_t *router;
    char endpoint[256];
    hl_config_t *config;
    hl_agent_t *agent;
    zactor_t *actor;
    uint8_t peer[256];
    size_t peer_len;
    hl_msg_t *hello;
    uint64_t next_task_id;
} s_env_t;

static void
s_file (const s_env_t *env, const char *name, char *path, size_t size)
{
    snprintf (path, size, "%s/%s", env->dir, name);
}

//  The file's contents (up to size - 1 bytes), or -1 if it is absent
static ssize_t
s_slurp (const s_env_t *env, const char *name, char *buf, size_t size)
{
    char path[256];
    s_file (env, name, path, sizeof path);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    size_t n = fread (buf, 1, size - 1, file);
    buf[n] = '\0';
    fclose (file);
    return (ssize_t)n;
}

static void
s_send (s_env_t *env, hl_msg_t *msg)
{
    fake_master_send (env->router, env->peer, env->peer_len, msg);
}

//  The next message of type within ms, or NULL; heartbeats are answered
static hl_msg_t *
s_recv_within (s_env_t *env, hl_msg_type_t type, int ms)
{
    return fake_master_recv (env->router, env->peer, &env->peer_len, type, ms,
                             true, NULL);
}

static hl_msg_t *
s_recv (s_env_t *env, hl_msg_type_t type)
{
    hl_msg_t *msg = s_recv_within (env, type, WAIT_MS);
    assert_non_null (msg);
    return msg;
}

//  An agent named name (NULL: the default, and no journal) with its
//  journal in the test's folder, welcomed
static void
s_agent_start (s_env_t *env, const char *name)
{
    hl_agent_opts_t opts = { .role = "hephaestus-backend",
                             .endpoint = env->endpoint,
                             .name = name,
                             .state_dir = env->dir,
                             .capacity = 4 };
    char err[256];
    env->agent = hl_agent_new (env->config, &opts, err, sizeof err);
    if (!env->agent)
        fail_msg ("%s", err);
    env->actor = zactor_new (hl_agent_actor, env->agent);
    assert_non_null (env->actor);
    //  A slow heartbeat: a test busy elsewhere must not look dead
    env->hello = s_recv (env, HL_MSG_HELLO);
    hl_msg_t *welcome = hl_msg_new (HL_MSG_WELCOME);
    hl_msg_set_re (welcome, hl_msg_id (env->hello));
    hl_msg_set_heartbeat_ms (welcome, 1000);
    hl_msg_set_liveness (welcome, 30);
    hl_msg_set_session (welcome, "session-1");
    s_send (env, welcome);
}

static void
s_agent_stop (s_env_t *env)
{
    zactor_destroy (&env->actor);
    hl_agent_destroy (&env->agent);
    hl_msg_destroy (&env->hello);
}

static void
s_env_start_named (s_env_t *env, const char *name)
{
    memset (env, 0, sizeof *env);
    snprintf (env->dir, sizeof env->dir, "/tmp/hl_heph_test.XXXXXX");
    assert_non_null (mkdtemp (env->dir));
    s_file (env, "helios.cfg", env->path, sizeof env->path);
    FILE *file = fopen (env->path, "w");
    assert_non_null (file);
    fprintf (file, CONFIG_TEXT, env->dir);
    assert_int_equal (fclose (file), 0);
    char err[256];
    env->config = hl_config_load (env->path, err, sizeof err);
    if (!env->config)
        fail_msg ("%s", err);
    env->router = hl_sock_bind (ZMQ_ROUTER, "tcp://127.0.0.1:*", NULL,
                                env->endpoint, sizeof env->endpoint);
    assert_non_null (env->router);
    s_agent_start (env, name);
    env->next_task_id = 100;
}

static void
s_env_start (s_env_t *env)
{
    s_env_start_named (env, "heph");
}

static void
s_env_stop (s_env_t *env)
{
    s_agent_stop (env);
    hl_config_destroy (&env->config);
    zsock_destroy (&env->router);
    const char *names[]
        = { "helios.cfg", "out",          "hang.pid", "stub.pid",
            "long.pid",   "heph.journal", NULL };
    for (int i = 0; names[i]; i++) {
        char path[256];
        s_file (env, names[i], path, sizeof path);
        unlink (path);
    }
    assert_int_equal (rmdir (env->dir), 0);
}

//  args {"action": action, "params": *params_p (may be NULL)}
static hl_value_t *
s_args (const char *action, hl_value_t **params_p)
{
    hl_value_t *args = hl_value_new_map ();
    if (action)
        hl_value_set_str (args, "action", action);
    if (params_p && *params_p)
        hl_value_set (args, "params", params_p);
    return args;
}

static void
s_task_full (s_env_t *env, uint64_t task_id, const char *kind,
             hl_value_t **args_p, uint32_t deadline_ms)
{
    hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
    hl_msg_set_task_id (task, task_id);
    hl_msg_set_kind (task, kind);
    hl_msg_set_priority (task, 2);
    hl_msg_set_attempt (task, 1);
    if (deadline_ms)
        hl_msg_set_deadline_ms (task, deadline_ms);
    if (args_p && *args_p)
        hl_msg_set_args (task, args_p);
    s_send (env, task);
}

//  Send a task; returns its task id
static uint64_t
s_task (s_env_t *env, const char *kind, const char *action, hl_value_t *params)
{
    uint64_t task_id = env->next_task_id++;
    hl_value_t *args = s_args (action, &params);
    s_task_full (env, task_id, kind, &args, 0);
    return task_id;
}

//  The result of task_id, skipping others
static hl_msg_t *
s_result (s_env_t *env, uint64_t task_id)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (zclock_mono () < deadline) {
        hl_msg_t *msg = s_recv_within (env, HL_MSG_RESULT,
                                       (int)(deadline - zclock_mono ()));
        if (msg && hl_msg_task_id (msg) == task_id)
            return msg;
        hl_msg_destroy (&msg);
    }
    fail_msg ("no result for task %llu", (unsigned long long)task_id);
    return NULL;
}

static const hl_value_t *
s_field (const hl_msg_t *result, const char *key)
{
    const hl_value_t *value = hl_value_get (hl_msg_data (result), key);
    assert_non_null (value);
    return value;
}

static const char *
s_output (const hl_msg_t *result)
{
    const char *output = hl_value_str (s_field (result, "output"), NULL);
    assert_non_null (output);
    return output;
}

//  The pid a command wrote to name, waiting for it
static pid_t
s_wait_pid (s_env_t *env, const char *name)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    char buf[64];
    while (zclock_mono () < deadline) {
        if (s_slurp (env, name, buf, sizeof buf) > 0)
            return (pid_t)atoi (buf);
        zclock_sleep (5);
    }
    fail_msg ("no %s", name);
    return 0;
}

//  Gone, or a zombie whose reaper is not us
static bool
s_pid_gone (pid_t pid)
{
    if (kill (pid, 0) != 0 && errno == ESRCH)
        return true;
    char path[64], buf[256];
    snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return true;
    size_t n = fread (buf, 1, sizeof buf - 1, file);
    fclose (file);
    buf[n] = '\0';
    const char *paren = strrchr (buf, ')');
    return paren && (paren[2] == 'Z' || paren[2] == 'X');
}

static void
s_wait_gone (pid_t pid)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (zclock_mono () < deadline) {
        if (s_pid_gone (pid))
            return;
        zclock_sleep (5);
    }
    fail_msg ("process %d still alive", (int)pid);
}

static void
s_assert_status (const hl_msg_t *result, const char *status)
{
    if (!streq (hl_msg_status (result), status))
        fail_msg ("status %s, not %s: %s", hl_msg_status (result), status,
                  hl_value_get_str (hl_msg_data (result), "error", ""));
}

//  ---------------------------------------------------------------------

static void
test_hello (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    //  The backend's actions with an apply command, in config order
    const hl_value_t *actions = hl_msg_actions (env.hello);
    const char *expect[] = { "write", "need", "fail", "hang", "stubborn",
                             "long",  "nap",  "big",  "wide", "bad" };
    assert_int_equal (hl_value_size (actions), 10);
    for (size_t i = 0; i < 10; i++)
        assert_string_equal (hl_value_str (hl_value_at (actions, i), NULL),
                             expect[i]);
    s_env_stop (&env);
}

static void
test_apply_ok (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    hl_value_t *params = hl_value_new_map ();
    hl_value_set_int (params, "size", 64);
    hl_value_set_double (params, "ratio", 0.25);
    hl_value_set_str (params, "mode", "slow");
    hl_value_set_str (params, "tag", "a/b:c=d");
    uint64_t id = s_task (&env, "apply", "write", params);
    hl_msg_t *result = s_result (&env, id);
    s_assert_status (result, "ok");
    assert_string_equal (hl_value_str (s_field (result, "action"), NULL),
                         "write");
    int64_t code = -1;
    assert_int_equal (hl_value_int (s_field (result, "exit_code"), &code), 0);
    assert_int_equal (code, 0);
    assert_int_equal (hl_value_type (s_field (result, "signal")), HL_VALUE_NIL);
    bool timed_out = true;
    assert_int_equal (hl_value_bool (s_field (result, "timed_out"), &timed_out),
                      0);
    assert_false (timed_out);
    int64_t ms = -1;
    assert_int_equal (hl_value_int (s_field (result, "duration_ms"), &ms), 0);
    assert_true (ms >= 0 && ms < WAIT_MS);
    assert_string_equal (s_output (result), "");
    hl_msg_destroy (&result);

    char expect[3 * PATH_MAX], real[PATH_MAX], buf[3 * PATH_MAX];
    assert_non_null (realpath (env.path, real));
    snprintf (expect, sizeof expect,
              "applied 64 0.25 slow a/b:c=d. write %llu %s\n",
              (unsigned long long)id, real);
    assert_true (s_slurp (&env, "out", buf, sizeof buf) > 0);
    assert_string_equal (buf, expect);

    //  Defaults, and a whole number sent as a real
    params = hl_value_new_map ();
    hl_value_set_double (params, "size", 100.0);
    id = s_task (&env, "apply", "write", params);
    result = s_result (&env, id);
    s_assert_status (result, "ok");
    hl_msg_destroy (&result);
    id = s_task (&env, "rollback", "write", NULL);
    result = s_result (&env, id);
    s_assert_status (result, "ok");
    hl_msg_destroy (&result);
    char more[PATH_MAX + 128];
    snprintf (more, sizeof more, "applied 100 0.5 fast . write %llu %s\n",
              (unsigned long long)(id - 1), real);
    strcat (expect, more);
    strcat (expect, "rolled back\n");
    assert_true (s_slurp (&env, "out", buf, sizeof buf) > 0);
    assert_string_equal (buf, expect);
    s_env_stop (&env);
}

static void
test_failed (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    uint64_t id = s_task (&env, "apply", "fail", NULL);
    hl_msg_t *result = s_result (&env, id);
    s_assert_status (result, "failed");
    int64_t code = -1;
    assert_int_equal (hl_value_int (s_field (result, "exit_code"), &code), 0);
    assert_int_equal (code, 3);
    assert_string_equal (s_output (result), "failing\n");
    hl_msg_destroy (&result);
    s_env_stop (&env);
}

//  One refusal: params built by the caller, the error must name what
static void
s_refused (s_env_t *env, const char *kind, const char *action,
           hl_value_t *params, const char *name)
{
    uint64_t id = s_task (env, kind, action, params);
    hl_msg_t *result = s_result (env, id);
    s_assert_status (result, "rejected");
    const char *error = hl_value_get_str (hl_msg_data (result), "error", "");
    if (!strstr (error, name))
        fail_msg ("error \"%s\" does not name %s", error, name);
    hl_msg_destroy (&result);
}

static hl_value_t *
s_one_int (const char *key, int64_t value)
{
    hl_value_t *params = hl_value_new_map ();
    hl_value_set_int (params, key, value);
    return params;
}

static hl_value_t *
s_one_double (const char *key, double value)
{
    hl_value_t *params = hl_value_new_map ();
    hl_value_set_double (params, key, value);
    return params;
}

static hl_value_t *
s_one_str (const char *key, const char *value)
{
    hl_value_t *params = hl_value_new_map ();
    hl_value_set_str (params, key, value);
    return params;
}

static int
s_count_lines (s_env_t *env)
{
    char buf[4096];
    if (s_slurp (env, "out", buf, sizeof buf) < 0)
        return 0;
    int lines = 0;
    for (char *c = buf; *c; c++)
        lines += *c == '\n';
    return lines;
}

static void
test_rejected (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    s_refused (&env, "apply", "write", s_one_int ("size", 257), "size");
    s_refused (&env, "apply", "write", s_one_int ("size", 3), "size");
    s_refused (&env, "apply", "write", s_one_str ("size", "64"), "size");
    s_refused (&env, "apply", "write", s_one_double ("size", 6.5), "size");
    s_refused (&env, "apply", "write", s_one_double ("ratio", 1.5), "ratio");
    s_refused (&env, "apply", "write", s_one_double ("ratio", NAN), "ratio");
    s_refused (&env, "apply", "write", s_one_str ("ratio", "0.5"), "ratio");
    s_refused (&env, "apply", "write", s_one_str ("mode", "fastest"), "mode");
    s_refused (&env, "apply", "write", s_one_int ("mode", 1), "mode");
    s_refused (&env, "apply", "write", s_one_str ("tag", "a b"), "tag");
    s_refused (&env, "apply", "write", s_one_str ("tag", "x;rm"), "tag");
    char long_tag[300];
    memset (long_tag, 'a', sizeof long_tag - 1);
    long_tag[256] = '\0';
    s_refused (&env, "apply", "write", s_one_str ("tag", long_tag), "tag");
    s_refused (&env, "apply", "write", s_one_int ("bogus", 1), "bogus");
    s_refused (&env, "apply", "need", NULL, "key");
    s_refused (&env, "apply", "nope", NULL, "nope");
    s_refused (&env, "apply", "lazy", NULL, "lazy");           //  frontend
    s_refused (&env, "apply", "plan_only", NULL, "plan_only"); //  no apply
    s_refused (&env, "rollback", "fail", NULL, "rollback");
    s_refused (&env, "apply", NULL, NULL, "action");
    hl_value_t *list = hl_value_new_array ();
    s_refused (&env, "apply", "write", list, "params");
    //  At the limits: 255 bytes and the range's ends pass
    long_tag[255] = '\0';
    hl_value_t *params = s_one_str ("tag", long_tag);
    hl_value_set_int (params, "size", 256);
    hl_value_set_double (params, "ratio", 0.0);
    uint64_t id = s_task (&env, "apply", "write", params);
    hl_msg_t *result = s_result (&env, id);
    s_assert_status (result, "ok");
    hl_msg_destroy (&result);
    //  Nothing refused ran: the one line is the last task's
    char buf[1024];
    assert_true (s_slurp (&env, "out", buf, sizeof buf) > 0);
    assert_non_null (strstr (buf, "applied 256 0 fast aaa"));
    assert_int_equal (s_count_lines (&env), 1);
    s_env_stop (&env);
}

static void
test_timeout (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    uint64_t id = s_task (&env, "apply", "hang", NULL);
    pid_t sleeper = s_wait_pid (&env, "hang.pid");
    hl_msg_t *result = s_result (&env, id);
    s_assert_status (result, "timeout");
    bool timed_out = false;
    assert_int_equal (hl_value_bool (s_field (result, "timed_out"), &timed_out),
                      0);
    assert_true (timed_out);
    assert_int_equal (hl_value_type (s_field (result, "exit_code")),
                      HL_VALUE_NIL);
    assert_int_equal (hl_value_get_int (hl_msg_data (result), "signal", 0),
                      SIGTERM);
    int64_t ms = hl_value_get_int (hl_msg_data (result), "duration_ms", 0);
    assert_true (ms >= 1000 && ms < 3000);
    hl_msg_destroy (&result);
    s_wait_gone (sleeper);

    //  One that ignores SIGTERM gets SIGKILL 2 s later
    id = s_task (&env, "apply", "stubborn", NULL);
    sleeper = s_wait_pid (&env, "stub.pid");
    result = s_result (&env, id);
    s_assert_status (result, "timeout");
    assert_int_equal (hl_value_get_int (hl_msg_data (result), "signal", 0),
                      SIGKILL);
    ms = hl_value_get_int (hl_msg_data (result), "duration_ms", 0);
    assert_true (ms >= 3000 && ms < 5000);
    hl_msg_destroy (&result);
    s_wait_gone (sleeper);
    s_env_stop (&env);
}

static void
test_cancel (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    uint64_t id = s_task (&env, "apply", "long", NULL);
    pid_t sleeper = s_wait_pid (&env, "long.pid");
    hl_msg_t *cancel = hl_msg_new (HL_MSG_CANCEL);
    hl_msg_set_task_id (cancel, id);
    s_send (&env, cancel);
    hl_msg_t *result = s_result (&env, id);
    s_assert_status (result, "cancelled");
    hl_msg_destroy (&result);
    s_wait_gone (sleeper);

    //  The task's deadline goes through the same hook
    char path[256];
    s_file (&env, "long.pid", path, sizeof path);
    assert_int_equal (unlink (path), 0);
    id = env.next_task_id++;
    hl_value_t *args = s_args ("long", NULL);
    s_task_full (&env, id, "apply", &args, 500);
    sleeper = s_wait_pid (&env, "long.pid");
    result = s_result (&env, id);
    s_assert_status (result, "timeout");
    hl_msg_destroy (&result);
    s_wait_gone (sleeper);

    //  Shutdown kills what still runs
    s_file (&env, "long.pid", path, sizeof path);
    assert_int_equal (unlink (path), 0);
    s_task (&env, "apply", "long", NULL);
    sleeper = s_wait_pid (&env, "long.pid");
    s_env_stop (&env);
    s_wait_gone (sleeper);
}

static void
test_output (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    //  10 KiB of lines on stdout, then a word on stderr: the last 4 KiB
    uint64_t id = s_task (&env, "apply", "big", NULL);
    hl_msg_t *result = s_result (&env, id);
    s_assert_status (result, "ok");
    const char *output = s_output (result);
    assert_int_equal (strlen (output), 4096);
    const char *end = "000001022\n000001023\ntail\n";
    assert_string_equal (output + 4096 - strlen (end), end);
    hl_msg_destroy (&result);

    //  3000 two-byte characters and a newline: the cut one is dropped
    id = s_task (&env, "apply", "wide", NULL);
    result = s_result (&env, id);
    s_assert_status (result, "ok");
    output = s_output (result);
    assert_int_equal (strlen (output), 4095);
    for (size_t i = 0; i < 4094; i += 2)
        assert_memory_equal (output + i, "\xc3\xa9", 2);
    assert_int_equal (output[4094], '\n');
    hl_msg_destroy (&result);

    //  Invalid bytes and a sequence cut at the end become '?'
    id = s_task (&env, "apply", "bad", NULL);
    result = s_result (&env, id);
    s_assert_status (result, "ok");
    assert_string_equal (s_output (result), "ok \xc3\xa9 bad ?? end ??");
    hl_msg_destroy (&result);
    s_env_stop (&env);
}

//  An agent without a name has no journal: the role remembers what ran
static void
test_repeated_id (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start_named (&env, NULL);
    uint64_t id = env.next_task_id++;
    hl_value_t *args = s_args ("write", NULL);
    s_task_full (&env, id, "apply", &args, 0);
    hl_msg_t *result = s_result (&env, id);
    s_assert_status (result, "ok");
    hl_msg_destroy (&result);
    args = s_args ("write", NULL);
    s_task_full (&env, id, "apply", &args, 0);
    result = s_result (&env, id);
    s_assert_status (result, "ok");
    hl_msg_destroy (&result);
    assert_int_equal (s_count_lines (&env), 1);

    //  After 4096 other results the runtime forgot it; the role did not
    for (int i = 0; i < 4096; i++)
        s_task_full (&env, 100000 + (uint64_t)i, "echo", NULL, 0);
    for (int i = 0; i < 4096; i++) {
        result = s_recv (&env, HL_MSG_RESULT);
        hl_msg_destroy (&result);
    }
    args = s_args ("write", NULL);
    s_task_full (&env, id, "apply", &args, 0);
    result = s_result (&env, id);
    s_assert_status (result, "rejected");
    assert_non_null (strstr (
        hl_value_get_str (hl_msg_data (result), "error", ""), "already ran"));
    hl_msg_destroy (&result);
    assert_int_equal (s_count_lines (&env), 1);
    s_env_stop (&env);
}

//  A named agent's journal answers a repeat once echoes have pushed it
//  out of the runtime's store, and after a restart under the same name
static void
test_journal (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    uint64_t id = env.next_task_id++;
    hl_value_t *args = s_args ("write", NULL);
    s_task_full (&env, id, "apply", &args, 0);
    hl_msg_t *first = s_result (&env, id);
    s_assert_status (first, "ok");
    assert_int_equal (s_count_lines (&env), 1);

    for (int i = 0; i < 4096; i++)
        s_task_full (&env, 100000 + (uint64_t)i, "echo", NULL, 0);
    for (int i = 0; i < 4096; i++) {
        hl_msg_t *result = s_recv (&env, HL_MSG_RESULT);
        hl_msg_destroy (&result);
    }
    args = s_args ("write", NULL);
    s_task_full (&env, id, "apply", &args, 0);
    hl_msg_t *result = s_result (&env, id);
    s_assert_status (result, "ok");
    assert_int_equal (hl_msg_duration_us (result), hl_msg_duration_us (first));
    assert_true (hl_value_eq (hl_msg_data (result), hl_msg_data (first)));
    hl_msg_destroy (&result);

    //  A new agent of the same name: the same answer, nothing run
    s_agent_stop (&env);
    s_agent_start (&env, "heph");
    args = s_args ("write", NULL);
    s_task_full (&env, id, "apply", &args, 0);
    result = s_result (&env, id);
    s_assert_status (result, "ok");
    assert_int_equal (hl_msg_duration_us (result), hl_msg_duration_us (first));
    assert_true (hl_value_eq (hl_msg_data (result), hl_msg_data (first)));
    hl_msg_destroy (&result);
    assert_int_equal (s_count_lines (&env), 1);
    //  A new id runs
    uint64_t next = s_task (&env, "apply", "write", NULL);
    result = s_result (&env, next);
    s_assert_status (result, "ok");
    hl_msg_destroy (&result);
    assert_int_equal (s_count_lines (&env), 2);

    //  Another agent may not take the name while this one has it
    hl_agent_opts_t opts = { .role = "hephaestus-backend",
                             .endpoint = env.endpoint,
                             .name = "heph",
                             .state_dir = env.dir };
    char err[256];
    assert_null (hl_agent_new (env.config, &opts, err, sizeof err));
    assert_non_null (strstr (err, "in use"));
    hl_msg_destroy (&first);
    s_env_stop (&env);
}

//  Copy file from to to
static void
s_copy (const char *from, const char *to)
{
    char buf[65536];
    FILE *in = fopen (from, "rb");
    assert_non_null (in);
    size_t n = fread (buf, 1, sizeof buf, in);
    fclose (in);
    FILE *out = fopen (to, "wb");
    assert_non_null (out);
    assert_int_equal (fwrite (buf, 1, n, out), n);
    assert_int_equal (fclose (out), 0);
}

//  A named agent journals its command's process group: the journal as
//  kill -9 would leave it (a copy taken while the command runs), opened
//  by another agent of the name, kills the group at once, before it
//  answers anything, and counts it; the command ends by SIGKILL
static void
test_orphan_killed (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    uint64_t id = s_task (&env, "apply", "long", NULL);
    pid_t sleeper = s_wait_pid (&env, "long.pid");
    char journal[256], snap[256], copy[300];
    s_file (&env, "heph.journal", journal, sizeof journal);
    s_file (&env, "snap", snap, sizeof snap);
    assert_int_equal (mkdir (snap, 0700), 0);
    snprintf (copy, sizeof copy, "%s/heph.journal", snap);
    s_copy (journal, copy);

    hl_agent_opts_t opts = { .role = "hephaestus-backend",
                             .endpoint = env.endpoint,
                             .name = "heph",
                             .state_dir = snap };
    char err[256];
    hl_agent_t *restarted = hl_agent_new (env.config, &opts, err, sizeof err);
    if (!restarted)
        fail_msg ("%s", err);
    hl_agent_stats_t stats;
    hl_agent_stats (restarted, &stats);
    assert_int_equal (stats.orphans, 1);
    assert_true (s_pid_gone (sleeper));
    hl_agent_destroy (&restarted);
    hl_msg_t *result = s_result (&env, id);
    s_assert_status (result, "failed");
    assert_int_equal (hl_value_get_int (hl_msg_data (result), "signal", 0),
                      SIGKILL);
    hl_msg_destroy (&result);
    assert_int_equal (unlink (copy), 0);
    assert_int_equal (rmdir (snap), 0);
    s_env_stop (&env);
}

static void
test_not_blocked (void **state)
{
    (void)state;
    s_env_t env;
    s_env_start (&env);
    int64_t start = zclock_mono ();
    uint64_t id = s_task (&env, "apply", "nap", NULL);
    //  Echoes come back at once while the command sleeps
    for (int i = 0; i < 10; i++) {
        uint64_t echo_id = env.next_task_id++;
        hl_value_t *args = hl_value_new_map ();
        hl_value_set_int (args, "n", i);
        s_task_full (&env, echo_id, "echo", &args, 0);
        int64_t sent = zclock_mono ();
        hl_msg_t *result = s_result (&env, echo_id);
        assert_true (zclock_mono () - sent < 500);
        assert_int_equal (hl_value_get_int (hl_msg_data (result), "n", -1), i);
        hl_msg_destroy (&result);
    }
    assert_true (zclock_mono () - start < 2000);
    hl_msg_t *result = s_result (&env, id);
    s_assert_status (result, "ok");
    assert_true (hl_value_get_int (hl_msg_data (result), "duration_ms", 0)
                 >= 2000);
    hl_msg_destroy (&result);
    s_env_stop (&env);
}

//  Last: every child was reaped
static void
test_no_zombies (void **state)
{
    (void)state;
    int status;
    errno = 0;
    assert_int_equal (waitpid (-1, &status, WNOHANG), -1);
    assert_int_equal (errno, ECHILD);
}

int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hello),
        cmocka_unit_test (test_apply_ok),
        cmocka_unit_test (test_failed),
        cmocka_unit_test (test_rejected),
        cmocka_unit_test (test_timeout),
        cmocka_unit_test (test_cancel),
        cmocka_unit_test (test_output),
        cmocka_unit_test (test_repeated_id),
        cmocka_unit_test (test_journal),
        cmocka_unit_test (test_not_blocked),
        cmocka_unit_test (test_no_zombies),
        cmocka_unit_test (test_orphan_killed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
