/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_hephaestus - the Hephaestus role (design §6, docs/task-kinds.md):
    checks an apply or rollback task against the actions of its own config
    and swarm, runs the command through hl_spawn (/bin/sh -c in a process
    group of its own, killed at the action's timeout), steps it from the
    agent's loop without ever blocking it, and answers with the exit
    status and the last 4 KiB of output.
*/
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hl_role.h"
#include "../bus/hl_log.h"
#include "../bus/hl_spawn.h"
#include "../proto/hl_alloc.h"

#define HL_HEPH_TICK_MS 10    //  stepping the children while there are any
#define HL_HEPH_RAN_MAX 16384 //  task ids remembered as run
#define HL_HEPH_STR_MAX 255   //  bytes of a str param

extern char **environ;

//  One command started, from spawn until it is reaped. A cancelled one
//  stays here, forgotten by its task, until the group is dead and reaped.
typedef struct _s_child_t s_child_t;
struct _s_child_t {
    uint64_t task_id;               //  0: cancelled, only to be reaped
    char action[HL_MAX_METRIC + 1]; //  for the result and logs
    hl_spawn_t *spawn;              //  the command
    int fd;                         //  its output as polled, -1: not polled
    s_child_t *next;
};

//  A param's value as the command gets it
typedef struct {
    bool set;
    char text[HL_HEPH_STR_MAX + 1];
} s_param_t;

typedef struct {
    hl_agent_t *agent;                //  borrowed, outlives the role
    const hl_config_t *config;        //  borrowed, the agent's
    hl_swarm_t swarm;                 //  the agent's
    char config_path[HL_CONFIG_PATH]; //  absolute if it could be, or ""
    s_child_t *children;              //  running or waiting to be reaped
    int timer_id;                     //  the tick while children, or 0
    uint64_t *ran;                    //  ring of task ids ever spawned
    size_t ran_next;                  //  the slot written next
} s_hephaestus_t;

//  ---------------------------------------------------------------------
//  Checking a task

//  Copy a peer's string for an error message: capped, printable only
static void
s_safe (const char *in, char *out, size_t size)
{
    size_t i = 0;
    for (; in && in[i] && i + 1 < size && i < 64; i++) {
        unsigned char c = (unsigned char)in[i];
        out[i] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
    }
    out[i] = '\0';
}

static bool
s_regex_ok (const char *pattern, const char *text)
{
    char anchored[sizeof ((hl_config_param_t *)0)->pattern + 8];
    snprintf (anchored, sizeof anchored, "^(%s)$",
              *pattern ? pattern : "[A-Za-z0-9_.,:/=-]*");
    regex_t re;
    //  The config loader compiled it already; this cannot fail but for
    //  memory, which refuses the value
    if (regcomp (&re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec (&re, text, 0, NULL, 0) == 0;
    regfree (&re);
    return ok;
}

//  Shortest text that reads back as the same double
static void
s_format_double (double d, char *out, size_t size)
{
    snprintf (out, size, "%.15g", d);
    if (strtod (out, NULL) != d)
        snprintf (out, size, "%.17g", d);
}

//  An int param's value, rendered for the environment. 0, or -1 with
//  the reason in err.
static int
s_param_int (const hl_config_param_t *p, const hl_value_t *value,
             s_param_t *out, char *err, size_t errsize)
{
    hl_value_type_t type = hl_value_type (value);
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0;
    bool whole = true;
    if (type == HL_VALUE_INT)
        hl_value_int (value, &i);
    else if (type == HL_VALUE_UINT)
        hl_value_uint (value, &u);
    else if (type == HL_VALUE_DOUBLE) {
        //  A real that is a whole number will do: numbers may arrive as
        //  reals
        hl_value_double (value, &d);
        whole = isfinite (d) && d == trunc (d) && d >= -9.2e18 && d <= 9.2e18;
        i = (int64_t)d;
    } else
        whole = false;
    if (!whole) {
        snprintf (err, errsize, "param %s: expected an integer", p->name);
        return -1;
    }
    double n = type == HL_VALUE_UINT ? (double)u : (double)i;
    if (n < p->min || n > p->max) {
        snprintf (err, errsize,
                  "param %s: %.17g is out of range [%.17g, %.17g]", p->name, n,
                  p->min, p->max);
        return -1;
    }
    if (type == HL_VALUE_UINT)
        snprintf (out->text, sizeof out->text, "%llu", (unsigned long long)u);
    else
        snprintf (out->text, sizeof out->text, "%lld", (long long)i);
    return 0;
}

//  A float param's value, the same way
static int
s_param_float (const hl_config_param_t *p, const hl_value_t *value,
               s_param_t *out, char *err, size_t errsize)
{
    double d = 0;
    if (hl_value_type (value) == HL_VALUE_STR
        || hl_value_double (value, &d) != 0) {
        snprintf (err, errsize, "param %s: expected a number", p->name);
        return -1;
    }
    if (!isfinite (d)) {
        snprintf (err, errsize, "param %s: not a finite number", p->name);
        return -1;
    }
    if (d < p->min || d > p->max) {
        snprintf (err, errsize,
                  "param %s: %.17g is out of range [%.17g, %.17g]", p->name, d,
                  p->min, p->max);
        return -1;
    }
    s_format_double (d, out->text, sizeof out->text);
    return 0;
}

//  A str param's value, the same way
static int
s_param_str (const hl_config_param_t *p, const hl_value_t *value,
             s_param_t *out, char *err, size_t errsize)
{
    size_t len = 0;
    const char *s = hl_value_str (value, &len);
    if (!s) {
        snprintf (err, errsize, "param %s: expected a string", p->name);
        return -1;
    }
    if (len > HL_HEPH_STR_MAX) {
        snprintf (err, errsize, "param %s: longer than %d bytes", p->name,
                  HL_HEPH_STR_MAX);
        return -1;
    }
    if (!s_regex_ok (p->pattern, s)) {
        snprintf (err, errsize, "param %s: does not match the pattern",
                  p->name);
        return -1;
    }
    memcpy (out->text, s, len + 1);
    return 0;
}

//  Check one value against its declaration and render it for the
//  environment. 0, or -1 with the reason in err.
static int
s_param_value (const hl_config_param_t *p, const hl_value_t *value,
               s_param_t *out, char *err, size_t errsize)
{
    int rc;
    if (p->type == HL_PARAM_INT)
        rc = s_param_int (p, value, out, err, errsize);
    else if (p->type == HL_PARAM_FLOAT)
        rc = s_param_float (p, value, out, err, errsize);
    else
        rc = s_param_str (p, value, out, err, errsize);
    out->set = rc == 0;
    return rc;
}

//  Check params (a map, or NULL) against the action's declarations, fill
//  in defaults; values[i] is for action->params[i]. 0, or -1 and err.
static int
s_check_params (const hl_config_action_t *action, const hl_value_t *params,
                s_param_t *values, char *err, size_t errsize)
{
    if (params && hl_value_type (params) != HL_VALUE_NIL
        && hl_value_type (params) != HL_VALUE_MAP) {
        snprintf (err, errsize, "params must be a map");
        return -1;
    }
    size_t n = params ? hl_value_size (params) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = hl_value_key_at (params, i);
        size_t j = 0;
        while (j < action->params_n && !streq (action->params[j].name, key))
            j++;
        char safe[72];
        s_safe (key, safe, sizeof safe);
        if (j == action->params_n) {
            snprintf (err, errsize, "unknown param \"%s\"", safe);
            return -1;
        }
        //  The decoder keeps a peer's map as sent, repeats included
        if (values[j].set) {
            snprintf (err, errsize, "param %s given twice", safe);
            return -1;
        }
        if (s_param_value (&action->params[j], hl_value_val_at (params, i),
                           &values[j], err, errsize))
            return -1;
    }
    for (size_t j = 0; j < action->params_n; j++) {
        const hl_config_param_t *p = &action->params[j];
        if (values[j].set)
            continue;
        if (p->required) {
            snprintf (err, errsize, "missing required param %s", p->name);
            return -1;
        }
        //  The loader checked defaults against the declaration already
        if (p->fallback[0]) {
            snprintf (values[j].text, sizeof values[j].text, "%s", p->fallback);
            values[j].set = true;
        }
    }
    return 0;
}

//  The command of action for kind, apply or rollback (NULL or "": none)
static const char *
s_command (const hl_config_action_t *action, hl_task_kind_t kind)
{
    return kind == HL_KIND_APPLY ? action->apply : action->rollback;
}

//  The action this task names, if this agent may run it. NULL and err.
static const hl_config_action_t *
s_check_action (s_hephaestus_t *self, const hl_value_t *args,
                hl_task_kind_t kind, char *err, size_t errsize)
{
    if (!args || hl_value_type (args) != HL_VALUE_MAP) {
        snprintf (err, errsize, "args must be a map with an action");
        return NULL;
    }
    const char *name = hl_value_str (hl_value_get (args, "action"), NULL);
    if (!name || !*name) {
        snprintf (err, errsize, "action: expected a non-empty string");
        return NULL;
    }
    char safe[72];
    s_safe (name, safe, sizeof safe);
    const hl_config_action_t *action
        = hl_config_action_find (self->config, name);
    if (!action || action->swarm != self->swarm) {
        snprintf (err, errsize, "action \"%s\" is not one of the %s swarm's",
                  safe, hl_swarm_name (self->swarm));
        return NULL;
    }
    const char *command = s_command (action, kind);
    if (!command || !*command) {
        snprintf (err, errsize, "action \"%s\" has no %s command", safe,
                  hl_kind_name (kind));
        return NULL;
    }
    return action;
}

static bool
s_ran (const s_hephaestus_t *self, uint64_t task_id)
{
    for (size_t i = 0; i < HL_HEPH_RAN_MAX; i++)
        if (self->ran[i] == task_id)
            return true;
    return false;
}

//  ---------------------------------------------------------------------
//  Children

static void
s_unwatch (s_hephaestus_t *self, s_child_t *child)
{
    if (child->fd < 0)
        return;
    zmq_pollitem_t item = { NULL, child->fd, ZMQ_POLLIN, 0 };
    zloop_poller_end (hl_agent_loop (self->agent), &item);
    child->fd = -1;
}

//  The shell exited: answer its task with what it wrote
static void
s_complete (s_hephaestus_t *self, s_child_t *child)
{
    uint64_t task_id = child->task_id;
    child->task_id = 0;
    const hl_spawn_t *spawn = child->spawn;
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "action", child->action);
    int exit_code = hl_spawn_exit_code (spawn);
    int signum = hl_spawn_signal (spawn);
    hl_value_t *value
        = exit_code >= 0 ? hl_value_new_int (exit_code) : hl_value_new_nil ();
    hl_value_set (data, "exit_code", &value);
    value = signum ? hl_value_new_int (signum) : hl_value_new_nil ();
    hl_value_set (data, "signal", &value);
    bool timed_out = hl_spawn_timed_out (spawn);
    hl_value_set_bool (data, "timed_out", timed_out);
    int64_t duration = hl_spawn_duration_ms (spawn);
    hl_value_set_int (data, "duration_ms", duration);
    char output[HL_SPAWN_TAIL + 1];
    size_t len = hl_spawn_output (spawn, output, sizeof output);
    value = hl_value_new_strn (output, len);
    hl_value_set (data, "output", &value);
    hl_task_status_t status = timed_out        ? HL_STATUS_TIMEOUT
                              : exit_code == 0 ? HL_STATUS_OK
                                               : HL_STATUS_FAILED;
    hl_log_info ("task %llu: %s ended: exit %d, signal %d%s, %lld ms",
                 (unsigned long long)task_id, child->action, exit_code, signum,
                 timed_out ? ", timed out" : "", (long long)duration);
    //  Last: completing may start the next task, which adds a child
    hl_agent_complete (self->agent, task_id, status, &data);
}

//  Step a child: stop polling its output once that ended, answer its task
//  once the shell exited. Returns where the child is.
static hl_spawn_state_t
s_step (s_hephaestus_t *self, s_child_t *child)
{
    hl_spawn_state_t state = hl_spawn_step (child->spawn);
    if (hl_spawn_fd (child->spawn) < 0)
        s_unwatch (self, child);
    if (state != HL_SPAWN_RUNNING && child->task_id)
        s_complete (self, child);
    return state;
}

static s_child_t *
s_child_by_fd (s_hephaestus_t *self, int fd)
{
    for (s_child_t *c = self->children; c; c = c->next)
        if (c->fd == fd)
            return c;
    return NULL;
}

static void
s_child_remove (s_hephaestus_t *self, s_child_t *child)
{
    s_child_t **at = &self->children;
    while (*at != child)
        at = &(*at)->next;
    *at = child->next;
    s_unwatch (self, child);
    hl_spawn_destroy (&child->spawn);
    free (child);
}

//  Output to read. Found by fd, not by pointer: zloop may still call a
//  poller ended earlier in the same pass, whose child may be gone and
//  whose fd number a new child may already hold.
static int
s_on_output (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    s_hephaestus_t *self = (s_hephaestus_t *)arg;
    s_child_t *child = s_child_by_fd (self, item->fd);
    if (child)
        s_step (self, child);
    return 0;
}

//  While children exist: notice exits, enforce timeouts, escalate to
//  SIGKILL, reap (hl_spawn_step does all that)
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    s_hephaestus_t *self = (s_hephaestus_t *)arg;
    s_child_t *next = NULL;
    //  Completing starts queued tasks, whose children go to the head of
    //  the list: next stays valid
    for (s_child_t *child = self->children; child; child = next) {
        next = child->next;
        if (s_step (self, child) == HL_SPAWN_REAPED)
            s_child_remove (self, child);
    }
    if (!self->children) {
        zloop_timer_end (loop, timer_id);
        if (timer_id == self->timer_id)
            self->timer_id = 0;
    }
    return 0;
}

//  A formatted string of our own
static char *s_format (const char *format, ...)
    __attribute__ ((format (printf, 1, 2)));

static char *
s_format (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int len = vsnprintf (NULL, 0, format, args);
    va_end (args);
    assert (len >= 0);
    char *text = (char *)hl_alloc ((size_t)len + 1);
    va_start (args, format);
    vsnprintf (text, (size_t)len + 1, format, args);
    va_end (args);
    return text;
}

//  The command's environment: ours without the names we set, then those
static char **
s_environment (s_hephaestus_t *self, const hl_config_action_t *action,
               const s_param_t *values, uint64_t task_id)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = (char **)hl_calloc (n + action->params_n + 4, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp (environ[i], "HELIOS_PARAM_", 13) != 0
            && strncmp (environ[i], "HELIOS_ACTION=", 14) != 0
            && strncmp (environ[i], "HELIOS_TASK_ID=", 15) != 0
            && strncmp (environ[i], "HELIOS_CONFIG=", 14) != 0)
            env[k++] = hl_strdup (environ[i]);
    for (size_t j = 0; j < action->params_n; j++) {
        if (!values[j].set)
            continue;
        char name[sizeof action->params[j].name];
        size_t len = strlen (action->params[j].name);
        for (size_t c = 0; c <= len; c++)
            name[c] = (char)toupper ((unsigned char)action->params[j].name[c]);
        env[k++] = s_format ("HELIOS_PARAM_%s=%s", name, values[j].text);
    }
    env[k++] = s_format ("HELIOS_ACTION=%s", action->name);
    env[k++] = s_format ("HELIOS_TASK_ID=%llu", (unsigned long long)task_id);
    if (self->config_path[0])
        env[k++] = s_format ("HELIOS_CONFIG=%s", self->config_path);
    return env;
}

static void
s_environment_free (char ***env_p)
{
    for (char **e = *env_p; e && *e; e++)
        free (*e);
    free (*env_p);
    *env_p = NULL;
}

//  Start command for task, its output polled on the agent's loop.
//  Returns the child, or NULL with the reason in err.
static s_child_t *
s_spawn (s_hephaestus_t *self, const hl_config_action_t *action,
         const char *command, const s_param_t *values, uint64_t task_id,
         char *err, size_t errsize)
{
    char **env = s_environment (self, action, values, task_id);
    char name[HL_MAX_METRIC + 32];
    snprintf (name, sizeof name, "task %llu: %s", (unsigned long long)task_id,
              action->name);
    hl_spawn_opts_t opts = { .command = command,
                             .env = env,
                             .timeout_ms = (int64_t)action->timeout * 1000,
                             .name = name };
    hl_spawn_t *spawn = hl_spawn_new (&opts, NULL, err, errsize);
    s_environment_free (&env);
    if (!spawn)
        return NULL;
    s_child_t *child = (s_child_t *)hl_alloc (sizeof *child);
    child->spawn = spawn;
    child->task_id = task_id;
    snprintf (child->action, sizeof child->action, "%s", action->name);
    child->fd = hl_spawn_fd (spawn);
    zloop_t *loop = hl_agent_loop (self->agent);
    zmq_pollitem_t item = { NULL, child->fd, ZMQ_POLLIN, 0 };
    if (zloop_poller (loop, &item, s_on_output, self) != 0)
        abort (); //  only fails for memory
    //  Errors on a pipe (POLLHUP comes as an error) are ours to read
    zloop_poller_set_tolerant (loop, &item);
    child->next = self->children;
    self->children = child;
    if (!self->timer_id)
        self->timer_id
            = zloop_timer (loop, HL_HEPH_TICK_MS, 0, s_on_tick, self);
    return child;
}

//  ---------------------------------------------------------------------
//  The role's hooks

static int
s_new (hl_agent_t *agent, void **state_p)
{
    s_hephaestus_t *self = (s_hephaestus_t *)hl_alloc (sizeof *self);
    self->agent = agent;
    self->config = hl_agent_config (agent);
    self->swarm = hl_agent_swarm (agent);
    self->ran = (uint64_t *)hl_calloc (HL_HEPH_RAN_MAX, sizeof *self->ran);
    //  Absolute, in case a command changes directory
    const char *path = hl_config_path (self->config);
    char *real = *path ? realpath (path, NULL) : NULL;
    snprintf (self->config_path, sizeof self->config_path, "%s",
              real ? real : path);
    free (real);
    *state_p = self;
    return 0;
}

//  Kill every group still there, give the shells the grace period
//  together, then SIGKILL and reap (hl_spawn_destroy); bounded, as
//  shutdown must end
static void
s_destroy (void **state_p)
{
    s_hephaestus_t *self = (s_hephaestus_t *)*state_p;
    if (!self)
        return;
    if (self->timer_id)
        zloop_timer_end (hl_agent_loop (self->agent), self->timer_id);
    for (s_child_t *c = self->children; c; c = c->next) {
        s_unwatch (self, c);
        hl_spawn_kill (c->spawn);
    }
    int64_t until = zclock_mono () + HL_SPAWN_GRACE_MS;
    for (s_child_t *c = self->children; c; c = c->next) {
        int64_t left = until - zclock_mono ();
        hl_spawn_wait (c->spawn, left > 0 ? left : 0);
    }
    while (self->children)
        s_child_remove (self, self->children);
    free (self->ran);
    free (self);
    *state_p = NULL;
}

//  Only actions this instance could run: its swarm's, with a command
static void
s_hello (void *state, hl_value_t *actions)
{
    s_hephaestus_t *self = (s_hephaestus_t *)state;
    size_t n = hl_config_actions_size (self->config);
    for (size_t i = 0; i < n; i++) {
        const hl_config_action_t *action = hl_config_action (self->config, i);
        if (action->swarm == self->swarm && action->apply && *action->apply) {
            hl_value_t *name = hl_value_new_str (action->name);
            hl_value_append (actions, &name);
        }
    }
}

static int
s_start (void *state, hl_agent_task_t *task)
{
    s_hephaestus_t *self = (s_hephaestus_t *)state;
    uint64_t task_id = hl_agent_task_id (task);
    const hl_value_t *args = hl_agent_task_args (task);
    hl_task_kind_t kind = hl_agent_task_kind (task);
    const hl_config_action_t *action = NULL;
    s_param_t *values = NULL;
    s_child_t *child = NULL;
    hl_task_status_t status = HL_STATUS_REJECTED;
    bool unknown = false;
    char err[256] = "";
    //  The runtime answers repeats from its results (and a named agent's
    //  journal), but keeps only the last 4096: a change once made is
    //  never made again for the id while this process lives
    if (s_ran (self, task_id)) {
        snprintf (err, sizeof err,
                  "task %llu already ran; its result is no longer kept",
                  (unsigned long long)task_id);
        goto fail;
    }
    action = s_check_action (self, args, kind, err, sizeof err);
    if (!action)
        goto fail;
    values = (s_param_t *)hl_calloc (action->params_n + 1, sizeof *values);
    if (s_check_params (action, hl_value_get (args, "params"), values, err,
                        sizeof err))
        goto fail;
    child = s_spawn (self, action, s_command (action, kind), values, task_id,
                     err, sizeof err);
    if (!child) {
        status = HL_STATUS_FAILED;
        goto fail;
    }
    self->ran[self->ran_next] = task_id;
    self->ran_next = (self->ran_next + 1) % HL_HEPH_RAN_MAX;
    //  A group the journal does not know would outlive a kill -9 of this
    //  agent unseen: it does not run on
    if (hl_agent_task_group (self->agent, task_id, hl_spawn_pid (child->spawn))
        != 0) {
        child->task_id = 0;
        s_unwatch (self, child);
        hl_spawn_kill (child->spawn);
        snprintf (err, sizeof err,
                  "journal: cannot record the command's process group: "
                  "killed it");
        status = HL_STATUS_FAILED;
        unknown = true; //  it ran, if only for a moment
        goto fail;
    }
    hl_log_info ("task %llu: %s %s started as process %d",
                 (unsigned long long)task_id, hl_kind_name (kind), action->name,
                 hl_spawn_pid (child->spawn));
    free (values);
    return 0;
fail:
    free (values);
    hl_log_notice ("task %llu: %s refused: %s", (unsigned long long)task_id,
                   hl_kind_name (kind), err);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "error", err);
    if (unknown)
        hl_value_set_bool (data, "unknown", true);
    hl_agent_complete (self->agent, task_id, status, &data);
    return 0;
}

//  Kill the group and forget the task; the tick reaps the rest
static void
s_cancel (void *state, hl_agent_task_t *task)
{
    s_hephaestus_t *self = (s_hephaestus_t *)state;
    uint64_t task_id = hl_agent_task_id (task);
    for (s_child_t *c = self->children; c; c = c->next)
        if (c->task_id == task_id) {
            hl_log_info ("task %llu: %s cancelled: killing group %d",
                         (unsigned long long)task_id, c->action,
                         hl_spawn_pid (c->spawn));
            c->task_id = 0;
            s_unwatch (self, c);
            //  Even if the shell just exited: what it left in the group
            //  goes too
            hl_spawn_kill (c->spawn);
            break;
        }
}

const hl_role_t hl_hephaestus_role = {
    .name = "hephaestus",
    .kinds = HL_ROLE_KIND (HL_KIND_APPLY) | HL_ROLE_KIND (HL_KIND_ROLLBACK),
    .durable = true,
    .new = s_new,
    .destroy = s_destroy,
    .hello = s_hello,
    .start = s_start,
    .cancel = s_cancel,
};
