/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_hephaestus - the Hephaestus role (design §6, docs/task-kinds.md):
    checks an apply or rollback task against the actions of its own config
    and swarm, runs the command with /bin/sh -c in a process group of its
    own, reads its output and reaps it from the agent's loop without ever
    blocking it, kills the group at the action's timeout, and answers with
    the exit status and the last 4 KiB of output.
*/
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hl_role.h"
#include "../bus/hl_log.h"

#define HL_HEPH_OUTPUT 4096       //  bytes of output kept, the last ones
#define HL_HEPH_TICK_MS 10        //  reaping and timeout checks while busy
#define HL_HEPH_GRACE_MS 2000     //  from SIGTERM to SIGKILL
#define HL_HEPH_READ_MAX 65536    //  bytes read per wake-up, for fairness
#define HL_HEPH_DRAIN_MAX 1048576 //  bytes read after the exit, at most
#define HL_HEPH_RAN_MAX 16384     //  task ids remembered as run
#define HL_HEPH_STR_MAX 255       //  bytes of a str param
#define HL_HEPH_REAP_MS 1000      //  destroy waits this long after SIGKILL

extern char **environ;

//  One command started, from spawn until it is reaped. A cancelled one
//  stays here, forgotten by its task, until the group is dead and reaped.
typedef struct _s_child_t s_child_t;
struct _s_child_t {
    uint64_t task_id;               //  0: cancelled, only to be reaped
    char action[HL_MAX_METRIC + 1]; //  for the result and logs
    pid_t pid;                      //  the shell, also the group id
    int fd;                         //  output pipe's read end, -1: closed
    bool exited;                    //  the shell's exit was seen
    int exit_code;                  //  -1 when killed by a signal
    int signal;                     //  0 unless killed by a signal
    int64_t started;                //  monotonic ms
    int64_t ended;                  //  monotonic ms of the exit
    int64_t timeout_at;             //  monotonic ms
    int64_t kill_at;                //  SIGKILL due; 0: no SIGTERM sent
    bool killed;                    //  SIGKILL sent to the group
    bool timed_out;                 //  the action's timeout fired
    char ring[HL_HEPH_OUTPUT];      //  the last output, circular
    uint64_t written;               //  output bytes ever read
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
    const char *swarm;                //  "frontend" or "backend", borrowed
    char config_path[HL_CONFIG_PATH]; //  absolute if it could be, or ""
    s_child_t *children;              //  running or waiting to be reaped
    int timer_id;                     //  the tick while children, or 0
    uint64_t *ran;                    //  ring of task ids ever spawned
    size_t ran_next;                  //  the slot written next
} s_hephaestus_t;

static const char *const s_kinds[] = { "apply", "rollback", NULL };

static int64_t
s_now (void)
{
    return zclock_mono ();
}

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

//  Check one value against its declaration and render it for the
//  environment. 0, or -1 with the reason in err.
static int
s_param_value (const hl_config_param_t *p, const hl_value_t *value,
               s_param_t *out, char *err, size_t errsize)
{
    hl_value_type_t type = hl_value_type (value);
    if (p->type == HL_PARAM_INT) {
        int64_t i = 0;
        uint64_t u = 0;
        double d = 0;
        bool whole = true;
        if (type == HL_VALUE_INT)
            hl_value_int (value, &i);
        else if (type == HL_VALUE_UINT)
            hl_value_uint (value, &u);
        else if (type == HL_VALUE_DOUBLE) {
            //  A real that is a whole number will do: numbers may arrive
            //  as reals
            hl_value_double (value, &d);
            whole
                = isfinite (d) && d == trunc (d) && d >= -9.2e18 && d <= 9.2e18;
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
                      "param %s: %.17g is out of range [%.17g, %.17g]", p->name,
                      n, p->min, p->max);
            return -1;
        }
        if (type == HL_VALUE_UINT)
            snprintf (out->text, sizeof out->text, "%llu",
                      (unsigned long long)u);
        else
            snprintf (out->text, sizeof out->text, "%lld", (long long)i);
        out->set = true;
        return 0;
    }
    if (p->type == HL_PARAM_FLOAT) {
        double d = 0;
        if (type == HL_VALUE_STR || hl_value_double (value, &d) != 0) {
            snprintf (err, errsize, "param %s: expected a number", p->name);
            return -1;
        }
        if (!isfinite (d)) {
            snprintf (err, errsize, "param %s: not a finite number", p->name);
            return -1;
        }
        if (d < p->min || d > p->max) {
            snprintf (err, errsize,
                      "param %s: %.17g is out of range "
                      "[%.17g, %.17g]",
                      p->name, d, p->min, p->max);
            return -1;
        }
        s_format_double (d, out->text, sizeof out->text);
        out->set = true;
        return 0;
    }
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
    out->set = true;
    return 0;
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

//  The action this task names, if this agent may run it. NULL and err.
static const hl_config_action_t *
s_check_action (s_hephaestus_t *self, const hl_value_t *args, bool apply,
                char *err, size_t errsize)
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
    if (!action || !streq (hl_swarm_name (action->swarm), self->swarm)) {
        snprintf (err, errsize, "action \"%s\" is not one of the %s swarm's",
                  safe, self->swarm);
        return NULL;
    }
    const char *command = apply ? action->apply : action->rollback;
    if (!command || !*command) {
        snprintf (err, errsize, "action \"%s\" has no %s command", safe,
                  apply ? "apply" : "rollback");
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
//  Output

static void
s_ring_put (s_child_t *child, const char *data, size_t len)
{
    if (len > HL_HEPH_OUTPUT) {
        child->written += len - HL_HEPH_OUTPUT;
        data += len - HL_HEPH_OUTPUT;
        len = HL_HEPH_OUTPUT;
    }
    while (len > 0) {
        size_t at = (size_t)(child->written % HL_HEPH_OUTPUT);
        size_t chunk = HL_HEPH_OUTPUT - at < len ? HL_HEPH_OUTPUT - at : len;
        memcpy (child->ring + at, data, chunk);
        child->written += chunk;
        data += chunk;
        len -= chunk;
    }
}

//  Length of the valid UTF-8 sequence at s (n bytes left), or 0
static size_t
s_utf8_seq (const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; //  the second byte's range
    if (c >= 0x01 && c <= 0x7f)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; //  overlong
        else if (c == 0xed)
            hi = 0x9f; //  surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90; //  overlong
        else if (c == 0xf4)
            hi = 0x8f; //  above U+10FFFF
    } else
        return 0; //  NUL, a stray continuation, 0xc0, 0xc1, 0xf5..
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

//  The kept output as valid UTF-8: a sequence cut by the ring's start is
//  dropped, any other invalid byte (and NUL) becomes '?'.
static hl_value_t *
s_output (const s_child_t *child)
{
    unsigned char buf[HL_HEPH_OUTPUT];
    size_t len = 0;
    if (child->written <= HL_HEPH_OUTPUT) {
        len = (size_t)child->written;
        memcpy (buf, child->ring, len);
    } else {
        size_t at = (size_t)(child->written % HL_HEPH_OUTPUT);
        memcpy (buf, child->ring + at, HL_HEPH_OUTPUT - at);
        memcpy (buf + HL_HEPH_OUTPUT - at, child->ring, at);
        len = HL_HEPH_OUTPUT;
    }
    size_t in = 0, out = 0;
    if (child->written > HL_HEPH_OUTPUT)
        while (in < len && in < 3 && (buf[in] & 0xc0) == 0x80)
            in++;
    while (in < len) {
        size_t seq = s_utf8_seq (buf + in, len - in);
        if (seq == 0) {
            buf[out++] = '?';
            in++;
        } else {
            memmove (buf + out, buf + in, seq);
            out += seq;
            in += seq;
        }
    }
    return hl_value_new_strn ((const char *)buf, out);
}

//  Read what is there; true at end of file or on an error
static bool
s_read (s_child_t *child, size_t max)
{
    char buf[4096];
    size_t total = 0;
    while (total < max) {
        ssize_t n = read (child->fd, buf, sizeof buf);
        if (n > 0) {
            s_ring_put (child, buf, (size_t)n);
            total += (size_t)n;
        } else if (n < 0 && errno == EINTR)
            continue;
        else
            return n == 0 || errno != EAGAIN;
    }
    return false;
}

static void
s_close_output (s_hephaestus_t *self, s_child_t *child)
{
    if (child->fd < 0)
        return;
    zmq_pollitem_t item = { NULL, child->fd, ZMQ_POLLIN, 0 };
    zloop_poller_end (hl_agent_loop (self->agent), &item);
    close (child->fd);
    child->fd = -1;
}

//  ---------------------------------------------------------------------
//  Children

//  Signal the whole group. Safe while the shell is unreaped: its pid,
//  hence the group id, cannot be reused until then.
static void
s_kill_group (s_child_t *child, int signum)
{
    if (kill (-child->pid, signum) != 0 && errno != ESRCH)
        hl_log_warning ("kill of process group %d: %s", (int)child->pid,
                        strerror (errno));
}

//  SIGTERM now, SIGKILL after the grace period
static void
s_kill_start (s_child_t *child)
{
    if (child->kill_at)
        return;
    s_kill_group (child, SIGTERM);
    child->kill_at = s_now () + HL_HEPH_GRACE_MS;
}

//  Has the shell exited? Looks without reaping (WNOWAIT), so that the
//  group id stays reserved for a SIGKILL still due.
static bool
s_check_exit (s_child_t *child)
{
    if (child->exited)
        return true;
    siginfo_t info;
    memset (&info, 0, sizeof info);
    int rc;
    do
        rc = waitid (P_PID, (id_t)child->pid, &info,
                     WEXITED | WNOHANG | WNOWAIT);
    while (rc != 0 && errno == EINTR);
    if (rc == 0 && info.si_pid == 0)
        return false;
    child->exited = true;
    child->ended = s_now ();
    child->exit_code = -1;
    child->signal = 0;
    if (rc != 0)
        //  Someone else reaped it (ECHILD): the status is lost
        hl_log_warning ("process %d: %s", (int)child->pid, strerror (errno));
    else if (info.si_code == CLD_EXITED)
        child->exit_code = info.si_status;
    else
        child->signal = info.si_status;
    return true;
}

//  Reap once the shell exited and no SIGKILL is still due; true if gone
static bool
s_reap (s_child_t *child)
{
    if (!child->exited || (child->kill_at && !child->killed))
        return false;
    int status;
    pid_t rc;
    do
        rc = waitpid (child->pid, &status, WNOHANG);
    while (rc < 0 && errno == EINTR);
    return rc == child->pid || (rc < 0 && errno == ECHILD);
}

//  The shell exited: answer its task with what it wrote
static void
s_complete (s_hephaestus_t *self, s_child_t *child)
{
    if (child->fd >= 0) {
        //  What the shell wrote before exiting is in the pipe; a
        //  background process still holding it open is not waited for
        s_read (child, HL_HEPH_DRAIN_MAX);
        s_close_output (self, child);
    }
    uint64_t task_id = child->task_id;
    child->task_id = 0;
    if (!task_id)
        return;
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "action", child->action);
    hl_value_t *value = child->exit_code >= 0
                            ? hl_value_new_int (child->exit_code)
                            : hl_value_new_nil ();
    hl_value_set (data, "exit_code", &value);
    value = child->signal ? hl_value_new_int (child->signal)
                          : hl_value_new_nil ();
    hl_value_set (data, "signal", &value);
    hl_value_set_bool (data, "timed_out", child->timed_out);
    hl_value_set_int (data, "duration_ms", child->ended - child->started);
    value = s_output (child);
    hl_value_set (data, "output", &value);
    hl_agent_status_t status = child->timed_out        ? HL_AGENT_TIMEOUT
                               : child->exit_code == 0 ? HL_AGENT_OK
                                                       : HL_AGENT_FAILED;
    hl_log_info ("task %llu: %s ended: exit %d, signal %d%s, %lld ms",
                 (unsigned long long)task_id, child->action, child->exit_code,
                 child->signal, child->timed_out ? ", timed out" : "",
                 (long long)(child->ended - child->started));
    //  Last: completing may start the next task, which adds a child
    hl_agent_complete (self->agent, task_id, status, &data);
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
    s_close_output (self, child);
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
    if (!child)
        return 0;
    if (s_read (child, HL_HEPH_READ_MAX)) {
        s_close_output (self, child);
        //  Most commands close their output by exiting
        if (s_check_exit (child) && child->task_id)
            s_complete (self, child);
    }
    return 0;
}

//  While children exist: notice exits, enforce timeouts, escalate to
//  SIGKILL, reap
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    s_hephaestus_t *self = (s_hephaestus_t *)arg;
    int64_t now = s_now ();
    s_child_t *next = NULL;
    //  Completing starts queued tasks, whose children go to the head of
    //  the list: next stays valid
    for (s_child_t *child = self->children; child; child = next) {
        next = child->next;
        if (s_check_exit (child) && child->task_id)
            s_complete (self, child);
        if (!child->exited && child->task_id && !child->kill_at
            && now >= child->timeout_at) {
            hl_log_notice ("task %llu: %s timed out: killing group %d",
                           (unsigned long long)child->task_id, child->action,
                           (int)child->pid);
            child->timed_out = true;
            s_kill_start (child);
        }
        if (child->kill_at && !child->killed && now >= child->kill_at) {
            s_kill_group (child, SIGKILL);
            child->killed = true;
        }
        if (s_reap (child))
            s_child_remove (self, child);
    }
    if (!self->children) {
        zloop_timer_end (loop, timer_id);
        if (timer_id == self->timer_id)
            self->timer_id = 0;
    }
    return 0;
}

//  The command's environment: ours without the names we set, then those
static char **
s_environment (s_hephaestus_t *self, const hl_config_action_t *action,
               const s_param_t *values, uint64_t task_id)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = (char **)calloc (n + action->params_n + 4, sizeof *env);
    if (!env)
        abort ();
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp (environ[i], "HELIOS_PARAM_", 13) != 0
            && strncmp (environ[i], "HELIOS_ACTION=", 14) != 0
            && strncmp (environ[i], "HELIOS_TASK_ID=", 15) != 0
            && strncmp (environ[i], "HELIOS_CONFIG=", 14) != 0)
            env[k++] = strdup (environ[i]);
    for (size_t j = 0; j < action->params_n; j++) {
        if (!values[j].set)
            continue;
        char name[sizeof action->params[j].name];
        size_t len = strlen (action->params[j].name);
        for (size_t c = 0; c <= len; c++)
            name[c] = (char)toupper ((unsigned char)action->params[j].name[c]);
        env[k++] = zsys_sprintf ("HELIOS_PARAM_%s=%s", name, values[j].text);
    }
    env[k++] = zsys_sprintf ("HELIOS_ACTION=%s", action->name);
    env[k++]
        = zsys_sprintf ("HELIOS_TASK_ID=%llu", (unsigned long long)task_id);
    if (self->config_path[0])
        env[k++] = zsys_sprintf ("HELIOS_CONFIG=%s", self->config_path);
    for (size_t i = 0; i < k; i++)
        if (!env[i])
            abort ();
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

//  Start command for task in a group of its own, output into a pipe the
//  loop polls. Returns the child, or NULL with the reason in err.
static s_child_t *
s_spawn (s_hephaestus_t *self, const hl_config_action_t *action,
         const char *command, const s_param_t *values, uint64_t task_id,
         char *err, size_t errsize)
{
    int fds[2] = { -1, -1 };
    char **env = NULL;
    s_child_t *child = NULL;
    bool actions_ready = false, attr_ready = false;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    //  Only the read end is ours, and it must never block the loop
    if (pipe2 (fds, O_CLOEXEC) != 0
        || fcntl (fds[0], F_SETFL, O_NONBLOCK) != 0) {
        snprintf (err, errsize, "cannot make a pipe: %s", strerror (errno));
        goto fail;
    }
    int rc = posix_spawn_file_actions_init (&actions);
    actions_ready = rc == 0;
    if (rc == 0)
        rc = posix_spawn_file_actions_addopen (&actions, 0, "/dev/null",
                                               O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2 (&actions, fds[1], 1);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2 (&actions, fds[1], 2);
    //  The agent's sockets and pipes are none of the command's business
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np (&actions, 3);
    if (rc == 0) {
        rc = posix_spawnattr_init (&attr);
        attr_ready = rc == 0;
    }
    sigset_t none, all;
    sigemptyset (&none);
    sigfillset (&all);
    //  Its own group, so that one kill reaches all it started; default
    //  dispositions, as ignored signals would outlive exec
    if (rc == 0)
        rc = posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP
                                                  | POSIX_SPAWN_SETSIGMASK
                                                  | POSIX_SPAWN_SETSIGDEF);
    if (rc == 0)
        rc = posix_spawnattr_setpgroup (&attr, 0);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask (&attr, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault (&attr, &all);
    if (rc != 0) {
        snprintf (err, errsize, "cannot set up the command: %s", strerror (rc));
        goto fail;
    }
    env = s_environment (self, action, values, task_id);
    child = (s_child_t *)calloc (1, sizeof *child);
    if (!child)
        abort ();
    char *argv[] = { "sh", "-c", (char *)command, NULL };
    rc = posix_spawn (&child->pid, "/bin/sh", &actions, &attr, argv, env);
    if (rc != 0) {
        snprintf (err, errsize, "cannot run /bin/sh: %s", strerror (rc));
        goto fail;
    }
    close (fds[1]);
    fds[1] = -1;
    child->fd = fds[0];
    fds[0] = -1;
    child->task_id = task_id;
    snprintf (child->action, sizeof child->action, "%s", action->name);
    child->started = s_now ();
    child->timeout_at = child->started + (int64_t)action->timeout * 1000;
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
    posix_spawn_file_actions_destroy (&actions);
    posix_spawnattr_destroy (&attr);
    s_environment_free (&env);
    return child;
fail:
    if (actions_ready)
        posix_spawn_file_actions_destroy (&actions);
    if (attr_ready)
        posix_spawnattr_destroy (&attr);
    s_environment_free (&env);
    free (child);
    if (fds[0] >= 0)
        close (fds[0]);
    if (fds[1] >= 0)
        close (fds[1]);
    return NULL;
}

//  ---------------------------------------------------------------------
//  The role's hooks

static int
s_new (hl_agent_t *agent, void **state_p)
{
    s_hephaestus_t *self = (s_hephaestus_t *)calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->agent = agent;
    self->config = hl_agent_config (agent);
    self->swarm = hl_agent_swarm (agent);
    self->ran = (uint64_t *)calloc (HL_HEPH_RAN_MAX, sizeof *self->ran);
    if (!self->ran)
        abort ();
    //  Absolute, in case a command changes directory
    const char *path = hl_config_path (self->config);
    char *real = *path ? realpath (path, NULL) : NULL;
    snprintf (self->config_path, sizeof self->config_path, "%s",
              real ? real : path);
    free (real);
    *state_p = self;
    return 0;
}

//  Kill every group still there, give the shells the grace period, then
//  SIGKILL and reap; bounded, as shutdown must end
static void
s_destroy (void **state_p)
{
    s_hephaestus_t *self = (s_hephaestus_t *)*state_p;
    if (!self)
        return;
    if (self->timer_id)
        zloop_timer_end (hl_agent_loop (self->agent), self->timer_id);
    int64_t until = 0;
    for (s_child_t *c = self->children; c; c = c->next) {
        s_close_output (self, c);
        s_kill_start (c);
        if (c->kill_at > until)
            until = c->kill_at;
    }
    bool running = true;
    while (running && s_now () < until) {
        running = false;
        for (s_child_t *c = self->children; c; c = c->next)
            running |= !s_check_exit (c);
        if (running)
            zclock_sleep (HL_HEPH_TICK_MS);
    }
    for (s_child_t *c = self->children; c; c = c->next)
        if (!c->killed) {
            s_kill_group (c, SIGKILL);
            c->killed = true;
        }
    int64_t reap_until = s_now () + HL_HEPH_REAP_MS;
    while (self->children) {
        s_child_t *next = NULL;
        for (s_child_t *c = self->children; c; c = next) {
            next = c->next;
            if (s_check_exit (c) && s_reap (c))
                s_child_remove (self, c);
        }
        if (!self->children)
            break;
        if (s_now () >= reap_until) {
            hl_log_warning ("process %d would not die: left unreaped",
                            (int)self->children->pid);
            while (self->children)
                s_child_remove (self, self->children);
            break;
        }
        zclock_sleep (5);
    }
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
        if (streq (hl_swarm_name (action->swarm), self->swarm) && action->apply
            && *action->apply) {
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
    bool apply = streq (hl_agent_task_kind (task), "apply");
    const hl_config_action_t *action = NULL;
    s_param_t *values = NULL;
    s_child_t *child = NULL;
    hl_agent_status_t status = HL_AGENT_REJECTED;
    char err[256] = "";
    //  The runtime answers repeats from its results, but keeps only the
    //  last 4096: a change once made is never made again for the id
    if (s_ran (self, task_id)) {
        snprintf (err, sizeof err,
                  "task %llu already ran; its result is no longer kept",
                  (unsigned long long)task_id);
        goto fail;
    }
    action = s_check_action (self, args, apply, err, sizeof err);
    if (!action)
        goto fail;
    values = (s_param_t *)calloc (action->params_n + 1, sizeof *values);
    if (!values)
        abort ();
    if (s_check_params (action, hl_value_get (args, "params"), values, err,
                        sizeof err))
        goto fail;
    child = s_spawn (self, action, apply ? action->apply : action->rollback,
                     values, task_id, err, sizeof err);
    if (!child) {
        status = HL_AGENT_FAILED;
        goto fail;
    }
    self->ran[self->ran_next] = task_id;
    self->ran_next = (self->ran_next + 1) % HL_HEPH_RAN_MAX;
    hl_log_info ("task %llu: %s %s started as process %d",
                 (unsigned long long)task_id, hl_agent_task_kind (task),
                 action->name, (int)child->pid);
    free (values);
    return 0;
fail:
    free (values);
    hl_log_notice ("task %llu: %s refused: %s", (unsigned long long)task_id,
                   hl_agent_task_kind (task), err);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "error", err);
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
                         (unsigned long long)task_id, c->action, (int)c->pid);
            c->task_id = 0;
            s_close_output (self, c);
            //  Even if the shell just exited: what it left in the group
            //  goes too
            s_kill_start (c);
            break;
        }
}

const hl_role_t hl_hephaestus_role = {
    .name = "hephaestus",
    .kinds = s_kinds,
    .new = s_new,
    .destroy = s_destroy,
    .hello = s_hello,
    .start = s_start,
    .cancel = s_cancel,
};
