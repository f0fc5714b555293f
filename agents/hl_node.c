/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_node - the slots of one machine. A slot is a place for one agent of
    a role, named "<role>@<node>.<k>" (k the lowest free for the role), so
    that a restarted agent comes back under its name and a durable role
    finds its journal. The master's order (role -> count) is reconciled
    slot by slot: surplus slots go (failed ones first, then those waiting
    to restart, then the newest running, drained), missing ones are made;
    the others are never touched. Children are reaped from a 100 ms tick.
*/
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bus/hl_heart.h"
#include "../bus/hl_log.h"
#include "../bus/hl_notify.h"
#include "../bus/hl_sigwatch.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_names.h"
#include "hl_link.h"
#include "hl_node.h"
#include "hl_restart.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

#define S_TICK_MS 100    /* reaping, restarts and kills are looked at */
#define S_LINGER_MS 2000 /* for bye to leave */

extern char **environ;

typedef enum {
    S_RUNNING,  /* its process runs */
    S_BACKOFF,  /* exited; started again at restart_at */
    S_STOPPING, /* sent SIGTERM to go; SIGKILL at kill_at */
    S_FAILED    /* given up on: the intensity limit was reached */
} s_state_t;

static const char *s_state_names[]
    = { "running", "backoff", "stopping", "failed" };

typedef struct {
    hl_role_id_t role;
    int k;                      /* its number among the role's slots */
    char name[HL_MAX_NAME + 1]; /* "<role>@<node>.<k>" */
    pid_t pid;                  /* 0 when no process */
    s_state_t state;
    uint32_t restarts;     /* exits it was started again after */
    int64_t started_ms;    /* its process, monotonic */
    int64_t restart_at;    /* S_BACKOFF: when */
    int64_t kill_at;       /* S_STOPPING: SIGKILL then */
    char last_exit[32];    /* "exit 1", "signal 9", "" before any */
    hl_restart_t *restart; /* the backoff and the intensity limit */
} s_slot_t;

struct _hl_node_t {
    const hl_config_t *config; /* borrowed */
    hl_config_node_t cfg;      /* the node section */
    char name[HL_MAX_NAME + 1];
    char endpoint[HL_CONFIG_ENDPOINT];
    char host[128];
    char agent_bin[HL_CONFIG_PATH];
    bool bin_on_path;                  /* posix_spawnp, not a path */
    char agent_config[HL_CONFIG_PATH]; /* "" for the agents' default */
    char key[HL_CONFIG_PATH];          /* passed on, "" for none */
    zloop_t *loop;
    hl_link_t *link;
    s_slot_t **slots; /* capacity of them at most */
    size_t slots_n;
    hl_value_t *order; /* the last order taken, or NULL */
    bool draining;     /* signalled: every slot goes, then bye */
    bool finished;
    hl_notify_t *notify; /* systemd's, while running */
    hl_node_stats_t stats;
};

static int64_t
s_now (void)
{
    return hl_heart_clock ();
}

//  --------------------------------------------------------------------
//  Processes

/*  The agents' environment: the node's, without systemd's notification
    variables, which are the node's own (an agent reporting READY or
    watchdog pings on them would speak for the node). */
static char **
s_child_env (void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = (char **)hl_calloc (n + 1, sizeof (char *));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp (environ[i], "NOTIFY_SOCKET=", 14)
            && strncmp (environ[i], "WATCHDOG_USEC=", 14)
            && strncmp (environ[i], "WATCHDOG_PID=", 13))
            env[k++] = environ[i];
    return env;
}

//  argv of one agent: the binary, its config, role, name, node, master
static pid_t
s_spawn (hl_node_t *self, s_slot_t *slot)
{
    char *argv[16];
    int n = 0;
    argv[n++] = self->agent_bin;
    if (*self->agent_config) {
        argv[n++] = "-c";
        argv[n++] = self->agent_config;
    }
    argv[n++] = "--role";
    argv[n++] = (char *)hl_role_name (slot->role);
    argv[n++] = "--name";
    argv[n++] = slot->name;
    argv[n++] = "--node";
    argv[n++] = self->name;
    argv[n++] = "--master";
    argv[n++] = self->endpoint;
    if (*self->key) {
        argv[n++] = "--key";
        argv[n++] = self->key;
    }
    argv[n] = NULL;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init (&actions);
    posix_spawnattr_init (&attr);
    //  stdout and stderr are the node's (its journal under systemd); no
    //  socket of the node's leaks; its own group, so that a Ctrl-C meant
    //  for the node reaches the agents only as the node's drain
    int rc = posix_spawn_file_actions_addopen (&actions, 0, "/dev/null",
                                               O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np (&actions, 3);
    sigset_t none, all;
    sigemptyset (&none);
    memset (&all, 0xff, sizeof all); /* see hl_spawn: glibc's own two */
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
    pid_t pid = 0;
    char **env = s_child_env ();
    if (rc == 0)
        rc = self->bin_on_path ? posix_spawnp (&pid, self->agent_bin, &actions,
                                               &attr, argv, env)
                               : posix_spawn (&pid, self->agent_bin, &actions,
                                              &attr, argv, env);
    free (env);
    posix_spawn_file_actions_destroy (&actions);
    posix_spawnattr_destroy (&attr);
    if (rc != 0) {
        self->stats.spawn_failed++;
        hl_log_error ("%s: cannot start %s: %s", slot->name, self->agent_bin,
                      strerror (rc));
        return -1;
    }
    return pid;
}

/*  Start slot's process now; a spawn that fails counts as an exit. */
static void s_exited (hl_node_t *self, s_slot_t *slot, const char *how);

static void
s_start (hl_node_t *self, s_slot_t *slot)
{
    slot->started_ms = s_now ();
    pid_t pid = s_spawn (self, slot);
    if (pid < 0) {
        slot->pid = 0;
        s_exited (self, slot, "spawn failed");
        return;
    }
    slot->pid = pid;
    slot->state = S_RUNNING;
    self->stats.started++;
    hl_log_info ("%s: started, pid %d", slot->name, (int)pid);
}

static void
s_slot_free (s_slot_t **slot_p)
{
    if (*slot_p) {
        hl_restart_destroy (&(*slot_p)->restart);
        free (*slot_p);
        *slot_p = NULL;
    }
}

/*  Forget slot i (its process is gone). */
static void
s_slot_remove (hl_node_t *self, size_t i)
{
    s_slot_free (&self->slots[i]);
    memmove (&self->slots[i], &self->slots[i + 1],
             (self->slots_n - i - 1) * sizeof self->slots[0]);
    self->slots_n--;
}

/*  A slot's process ended (or could not start): what happens next. */
static void
s_exited (hl_node_t *self, s_slot_t *slot, const char *how)
{
    int64_t now = s_now ();
    snprintf (slot->last_exit, sizeof slot->last_exit, "%s", how);
    slot->pid = 0;
    int64_t delay = hl_restart_exited (slot->restart, slot->started_ms, now);
    if (delay < 0) {
        slot->state = S_FAILED;
        hl_log_error ("%s: %s; %d restarts in %d s: giving up on it",
                      slot->name, how, self->cfg.max_restarts,
                      self->cfg.restart_window_s);
        return;
    }
    slot->state = S_BACKOFF;
    slot->restart_at = now + delay;
    hl_log_warning ("%s: %s after %lld ms: restart in %lld ms", slot->name, how,
                    (long long)(now - slot->started_ms), (long long)delay);
}

/*  Drain slot: SIGTERM (the agent finishes its tasks and says bye), and
    SIGKILL once the grace has passed. */
static void
s_stop (hl_node_t *self, s_slot_t *slot)
{
    if (slot->state == S_STOPPING)
        return;
    slot->state = S_STOPPING;
    slot->kill_at = s_now () + self->cfg.stop_grace_ms;
    if (slot->pid > 0)
        kill (slot->pid, SIGTERM);
    hl_log_info ("%s: draining (pid %d)", slot->name, (int)slot->pid);
}

static s_slot_t *
s_by_pid (hl_node_t *self, pid_t pid, size_t *index)
{
    for (size_t i = 0; i < self->slots_n; i++)
        if (self->slots[i]->pid == pid) {
            *index = i;
            return self->slots[i];
        }
    return NULL;
}

/*  Every child that ended since the last look. */
static void
s_reap (hl_node_t *self)
{
    int status;
    pid_t pid;
    while ((pid = waitpid (-1, &status, WNOHANG)) > 0) {
        size_t i;
        s_slot_t *slot = s_by_pid (self, pid, &i);
        if (!slot)
            continue;
        char how[32];
        if (WIFEXITED (status))
            snprintf (how, sizeof how, "exit %d", WEXITSTATUS (status));
        else
            snprintf (how, sizeof how, "signal %d",
                      WIFSIGNALED (status) ? WTERMSIG (status) : 0);
        if (slot->state == S_STOPPING) {
            hl_log_info ("%s: stopped (%s)", slot->name, how);
            s_slot_remove (self, i);
            continue;
        }
        s_exited (self, slot, how);
    }
}

//  --------------------------------------------------------------------
//  Orders

/*  Slots of role that stay (not stopping). */
static size_t
s_count (const hl_node_t *self, int role)
{
    size_t n = 0;
    for (size_t i = 0; i < self->slots_n; i++)
        if ((int)self->slots[i]->role == role
            && self->slots[i]->state != S_STOPPING)
            n++;
    return n;
}

/*  The surplus slot of role to let go first: failed, then waiting to
    restart, then the newest running (the highest k). */
static s_slot_t *
s_surplus (hl_node_t *self, int role)
{
    s_slot_t *best = NULL;
    for (size_t i = 0; i < self->slots_n; i++) {
        s_slot_t *s = self->slots[i];
        if ((int)s->role != role || s->state == S_STOPPING)
            continue;
        int rank = s->state == S_FAILED ? 2 : s->state == S_BACKOFF ? 1 : 0;
        int best_rank = !best                      ? -1
                        : best->state == S_FAILED  ? 2
                        : best->state == S_BACKOFF ? 1
                                                   : 0;
        if (rank > best_rank || (rank == best_rank && s->k > best->k))
            best = s;
    }
    return best;
}

/*  The lowest k no slot of role has, stopping ones included (their
    process may still hold the name's journal). */
static int
s_free_k (const hl_node_t *self, int role)
{
    for (int k = 1;; k++) {
        bool used = false;
        for (size_t i = 0; i < self->slots_n && !used; i++)
            used = (int)self->slots[i]->role == role && self->slots[i]->k == k;
        if (!used)
            return k;
    }
}

static void
s_add (hl_node_t *self, int role)
{
    s_slot_t *slot = (s_slot_t *)hl_alloc (sizeof *slot);
    slot->role = (hl_role_id_t)role;
    slot->k = s_free_k (self, role);
    //  Role names are short, node names under HL_CONFIG_LABEL: it fits
    snprintf (slot->name, sizeof slot->name, "%.32s@%.63s.%d",
              hl_role_name (role), self->name, slot->k);
    hl_restart_opts_t ro
        = { self->cfg.restart_backoff_min_ms, self->cfg.restart_backoff_max_ms,
            self->cfg.max_restarts, self->cfg.restart_window_s, 0 };
    slot->restart = hl_restart_new (&ro);
    assert (slot->restart); /* the config's ranges are its */
    self->slots = (s_slot_t **)hl_realloc (
        self->slots, (self->slots_n + 1) * sizeof self->slots[0]);
    self->slots[self->slots_n++] = slot;
    s_start (self, slot);
}

/*  Make the slots what the order says, touching only what must change. */
static void
s_reconcile (hl_node_t *self)
{
    if (!self->order || self->draining)
        return;
    for (int role = 0; role < HL_ROLE_COUNT; role++) {
        int64_t want = hl_value_get_int (self->order, hl_role_name (role), 0);
        size_t have = s_count (self, role);
        for (; have > (size_t)want; have--) {
            s_slot_t *slot = s_surplus (self, role);
            if (slot->state == S_RUNNING)
                s_stop (self, slot);
            else {
                size_t i = 0;
                while (self->slots[i] != slot)
                    i++;
                hl_log_info ("%s: let go (%s)", slot->name,
                             s_state_names[slot->state]);
                s_slot_remove (self, i);
            }
        }
        for (; have < (size_t)want; have++)
            s_add (self, role);
    }
}

int
hl_node_order (hl_node_t *self, const hl_value_t *order, char *why,
               size_t whysize)
{
    int64_t total = 0;
    if (hl_value_type (order) != HL_VALUE_MAP) {
        snprintf (why, whysize, "the order is not a map");
        goto fail;
    }
    for (size_t i = 0; i < hl_value_size (order); i++) {
        const char *role = hl_value_key_at (order, i);
        int64_t n;
        if (hl_role_parse (role) < 0) {
            char esc[64];
            hl_log_escape (esc, sizeof esc, role, strlen (role));
            snprintf (why, whysize, "unknown role '%s'", esc);
            goto fail;
        }
        if (hl_value_int (hl_value_val_at (order, i), &n) || n < 0
            || n > self->cfg.capacity) {
            snprintf (why, whysize, "%s: want an integer in 0..%d", role,
                      self->cfg.capacity);
            goto fail;
        }
        total += n;
    }
    if (total > self->cfg.capacity) {
        snprintf (why, whysize, "%lld agents, over capacity %d",
                  (long long)total, self->cfg.capacity);
        goto fail;
    }
    if (!self->order || !hl_value_eq (self->order, order))
        hl_log_notice ("order from the master: %zu roles, %lld agents",
                       hl_value_size (order), (long long)total);
    hl_value_destroy (&self->order);
    self->order = hl_value_dup (order);
    self->stats.orders++;
    s_reconcile (self);
    return 0;
fail:
    self->stats.orders_bad++;
    return -1;
}

//  --------------------------------------------------------------------
//  Reports

hl_value_t *
hl_node_report (hl_node_t *self)
{
    int64_t now = s_now ();
    hl_value_t *agents = hl_value_new_array ();
    int64_t failed = 0;
    for (size_t i = 0; i < self->slots_n; i++) {
        const s_slot_t *s = self->slots[i];
        hl_value_t *a = hl_value_new_map ();
        hl_value_set_str (a, "name", s->name);
        hl_value_set_str (a, "role", hl_role_name (s->role));
        hl_value_set_int (a, "pid", s->pid);
        hl_value_set_str (a, "state", s_state_names[s->state]);
        hl_value_set_int (a, "restarts", s->restarts);
        hl_value_set_int (a, "uptime_ms", s->pid ? now - s->started_ms : 0);
        hl_value_set_str (a, "last_exit", s->last_exit);
        hl_value_append (agents, &a);
        failed += s->state == S_FAILED;
    }
    hl_value_t *report = hl_value_new_map ();
    hl_value_set (report, "agents", &agents);
    hl_value_set_int (report, "failed", failed);
    return report;
}

/*  The slots per role that stay: a hello tells a master (perhaps a
    restarted one) what this node already runs. */
static hl_value_t *
s_running (hl_node_t *self)
{
    hl_value_t *running = hl_value_new_map ();
    for (int role = 0; role < HL_ROLE_COUNT; role++) {
        size_t n = s_count (self, role);
        if (n)
            hl_value_set_int (running, hl_role_name (role), (int64_t)n);
    }
    return running;
}

//  --------------------------------------------------------------------
//  The link's callbacks

static void
s_on_message (void *arg, hl_msg_t **msg_p)
{
    (void)arg;
    //  A node runs no tasks; the dispatcher never sends it one
    hl_log_warning ("%s from the master ignored: a node runs no tasks",
                    hl_msg_type_name (hl_msg_type (*msg_p)));
    hl_msg_destroy (msg_p);
}

static hl_msg_t *
s_hello (void *arg)
{
    hl_node_t *self = (hl_node_t *)arg;
    hl_msg_t *msg = hl_msg_new (HL_MSG_HELLO);
    hl_msg_set_role (msg, "node");
    hl_msg_set_capacity (msg, (uint32_t)self->cfg.capacity);
    hl_msg_set_host (msg, self->host);
    hl_msg_set_pid (msg, (uint32_t)getpid ());
    hl_msg_set_version (msg, HL_VERSION);
    hl_value_t *data = hl_value_new_map ();
    hl_value_t *labels = hl_value_new_map ();
    for (int i = 0; i < self->cfg.labels_n; i++)
        hl_value_set_str (labels, self->cfg.labels[i].key,
                          self->cfg.labels[i].value);
    hl_value_set (data, "labels", &labels);
    hl_value_t *running = s_running (self);
    hl_value_set (data, "running", &running);
    hl_msg_set_data (msg, &data);
    return msg;
}

static uint32_t
s_inflight (void *arg)
{
    (void)arg;
    return 0;
}

static hl_value_t *
s_beat (void *arg)
{
    return hl_node_report ((hl_node_t *)arg);
}

static void
s_on_beat (void *arg, const hl_value_t *data)
{
    hl_node_t *self = (hl_node_t *)arg;
    const hl_value_t *order = hl_value_get (data, "order");
    if (!order)
        return;
    char why[160];
    if (hl_node_order (self, order, why, sizeof why))
        hl_log_warning ("order from the master refused: %s", why);
}

//  --------------------------------------------------------------------
//  The loop

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    hl_node_t *self = (hl_node_t *)arg;
    s_reap (self);
    int64_t now = s_now ();
    for (size_t i = 0; i < self->slots_n; i++) {
        s_slot_t *s = self->slots[i];
        if (s->state == S_BACKOFF && now >= s->restart_at) {
            s->restarts++;
            self->stats.restarts++;
            s_start (self, s);
        } else if (s->state == S_STOPPING && now >= s->kill_at && s->pid > 0) {
            hl_log_warning ("%s: still running %d ms after SIGTERM: SIGKILL",
                            s->name, self->cfg.stop_grace_ms);
            kill (s->pid, SIGKILL);
            s->kill_at = INT64_MAX;
        }
    }
    if (self->draining && self->slots_n == 0 && !self->finished) {
        self->finished = true;
        hl_msg_t *bye = hl_msg_new (HL_MSG_BYE);
        hl_msg_set_reason (bye, "node stopped");
        hl_link_send (self->link, &bye);
        hl_link_stop (self->link);
        return -1; /* ends the loop */
    }
    return 0;
}

/*  SIGTERM or SIGINT: drain every agent, then bye; a second one: kill
    them now. */
static void
s_on_signal (void *arg, int signum)
{
    hl_node_t *self = (hl_node_t *)arg;
    if (!self->draining) {
        hl_notify_stopping (self->notify);
        hl_log_notice ("signal %d received: draining %zu agents", signum,
                       self->slots_n);
        self->draining = true;
        for (size_t k = 0; k < self->slots_n;) {
            s_slot_t *s = self->slots[k];
            if (s->pid > 0) {
                s_stop (self, s);
                k++;
            } else
                s_slot_remove (self, k);
        }
    } else {
        hl_log_notice ("signal %d again: killing the agents", signum);
        for (size_t k = 0; k < self->slots_n; k++)
            self->slots[k]->kill_at = 0;
    }
}

/*  systemd's status line for the node (hl_notify). */
static void
s_notify_status (void *arg, char *buf, size_t size)
{
    hl_node_t *self = (hl_node_t *)arg;
    size_t running = 0, failed = 0;
    for (size_t i = 0; i < self->slots_n; i++) {
        running += self->slots[i]->state == S_RUNNING;
        failed += self->slots[i]->state == S_FAILED;
    }
    hl_link_stats_t link;
    hl_link_stats (self->link, &link);
    snprintf (buf, size, "%s%zu of %d agents running, %zu given up; master %s",
              self->draining ? "draining: " : "", running, self->cfg.capacity,
              failed, link.ready ? "answering" : "not answering");
}

int
hl_node_run (hl_node_t *self)
{
    assert (self);
    hl_sigwatch_t *signals = hl_sigwatch_new (self->loop, s_on_signal, self);
    if (!signals)
        return -1;
    int timer = zloop_timer (self->loop, S_TICK_MS, 0, s_on_tick, self);

    hl_log_notice ("node %s starting: capacity %d, master %s, agents %s",
                   self->name, self->cfg.capacity, self->endpoint,
                   self->agent_bin);
    int rc = hl_link_start (self->link);
    //  Ready once its loop runs, as an agent is: a node keeps its agents
    //  whether or not the master answers (deploy/systemd)
    self->notify = hl_notify_new (self->loop, s_notify_status, self);
    if (rc == 0)
        hl_notify_ready (self->notify);
    while (rc == 0) {
        zloop_start (self->loop);
        if (self->finished)
            break;
        if (zmq_errno () != EINTR) {
            hl_log_error ("reactor stopped: %s", zmq_strerror (zmq_errno ()));
            rc = -1;
        }
    }
    hl_notify_stopping (self->notify);
    hl_notify_destroy (&self->notify);
    hl_link_close (self->link, S_LINGER_MS);
    zloop_timer_end (self->loop, timer);
    hl_sigwatch_destroy (&signals);
    return rc;
}

//  --------------------------------------------------------------------
//  Create and destroy

/*  Which helios-agent to run: opts', $HELIOS_BIN's, the one beside this
    program, or PATH's. */
static void
s_find_agent (hl_node_t *self, const char *given)
{
    const char *dir = getenv ("HELIOS_BIN");
    if (given)
        snprintf (self->agent_bin, sizeof self->agent_bin, "%s", given);
    else if (dir && *dir)
        snprintf (self->agent_bin, sizeof self->agent_bin, "%s/helios-agent",
                  dir);
    else {
        char exe[HL_CONFIG_PATH];
        ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
        char *slash = n > 0 ? (exe[n] = 0, strrchr (exe, '/')) : NULL;
        if (slash) {
            *slash = 0;
            snprintf (self->agent_bin, sizeof self->agent_bin,
                      "%.1000s/helios-agent", exe);
        }
        if (!slash || access (self->agent_bin, X_OK) != 0) {
            snprintf (self->agent_bin, sizeof self->agent_bin, "helios-agent");
            self->bin_on_path = true;
        }
    }
}

/*  The host's name as a node name: [a-z0-9_.-], others as '-'. */
static void
s_default_name (char *out, size_t size)
{
    char host[HL_CONFIG_LABEL];
    if (gethostname (host, sizeof host - 1) != 0 || !*host)
        snprintf (host, sizeof host, "node");
    host[sizeof host - 1] = 0;
    size_t n = 0;
    for (const char *p = host; *p && n + 1 < size; p++, n++) {
        char c = (char)tolower ((unsigned char)*p);
        out[n] = (isalnum ((unsigned char)c) || c == '_' || c == '.') ? c : '-';
    }
    out[n] = 0;
}

hl_node_t *
hl_node_new (const hl_config_t *config, const hl_node_opts_t *opts, char *err,
             size_t errsize)
{
    assert (config && opts);
    hl_node_t *self = (hl_node_t *)hl_alloc (sizeof *self);
    self->config = config;
    self->cfg = *hl_config_node (config);
    if (opts->name)
        snprintf (self->name, sizeof self->name, "%s", opts->name);
    else if (*self->cfg.name)
        snprintf (self->name, sizeof self->name, "%s", self->cfg.name);
    else
        s_default_name (self->name, sizeof self->name);
    if (strlen (self->name) >= HL_CONFIG_LABEL) {
        snprintf (err, errsize, "node name past %d bytes", HL_CONFIG_LABEL - 1);
        goto fail;
    }
    const char *ep
        = opts->endpoint ? opts->endpoint : hl_config_connect (config)->tasks;
    snprintf (self->endpoint, sizeof self->endpoint, "%s", ep);
    if (gethostname (self->host, sizeof self->host - 1) != 0 || !*self->host)
        snprintf (self->host, sizeof self->host, "localhost");
    s_find_agent (self, opts->agent_bin);
    const char *ac = *self->cfg.agent_config ? self->cfg.agent_config
                                             : hl_config_path (config);
    snprintf (self->agent_config, sizeof self->agent_config, "%s", ac);
    if (opts->key)
        snprintf (self->key, sizeof self->key, "%s", opts->key);
    self->loop = zloop_new ();
    hl_link_opts_t lo = { .endpoint = self->endpoint,
                          .name = self->name,
                          .limits = hl_config_limits (config),
                          .backoff_min_ms = 1000,
                          .backoff_max_ms = 32000,
                          .on_message = s_on_message,
                          .hello = s_hello,
                          .inflight = s_inflight,
                          .beat = s_beat,
                          .on_beat = s_on_beat,
                          .arg = self };
    self->link = hl_link_new (self->loop, &lo);
    if (!self->link) {
        snprintf (err, errsize, "cannot connect to %s", self->endpoint);
        goto fail;
    }
    return self;
fail:
    hl_node_destroy (&self);
    return NULL;
}

void
hl_node_destroy (hl_node_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_node_t *self = *self_p;
    //  Nothing a node started outlives it unsupervised
    for (size_t i = 0; i < self->slots_n; i++) {
        if (self->slots[i]->pid > 0) {
            kill (self->slots[i]->pid, SIGKILL);
            waitpid (self->slots[i]->pid, NULL, 0);
        }
        s_slot_free (&self->slots[i]);
    }
    free (self->slots);
    hl_value_destroy (&self->order);
    hl_link_destroy (&self->link);
    zloop_destroy (&self->loop);
    free (self);
    *self_p = NULL;
}

void
hl_node_stats (const hl_node_t *self, hl_node_stats_t *stats)
{
    *stats = self->stats;
    stats->slots = self->slots_n;
    stats->running = stats->failed = 0;
    for (size_t i = 0; i < self->slots_n; i++) {
        stats->running += self->slots[i]->state == S_RUNNING;
        stats->failed += self->slots[i]->state == S_FAILED;
    }
}

const char *
hl_node_name (const hl_node_t *self)
{
    return self->name;
}
