/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_agent - the agent runtime: one zloop owns the link to the master
    (hl_link: handshake, heartbeats, reconnects), the local queue in
    front of the role's capacity (hl_queue), the echo kind, the kept
    results for repeated task ids (hl_results, and a durable role's
    hl_journal), cancel, deadlines and the drain on SIGTERM.

    This file is the plumbing: create and destroy, the link and its
    callbacks, the loop, the signals, the actor, the counters and the
    getters. The task runtime is hl_agent_tasks.c; they share
    hl_agent_priv.h.
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hl_agent_priv.h"
#include "../bus/hl_log.h"
#include "../bus/hl_sigwatch.h"
#include "../proto/hl_alloc.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

//  The plug-in of each role family
static const hl_role_t *const s_plugins[HL_FAMILY_COUNT]
    = { &hl_prometheus_role, &hl_hephaestus_role, &hl_athena_role };

//  ---------------------------------------------------------------------
//  The link's callbacks

static void
s_on_master (void *arg, hl_msg_t **msg_p)
{
    hl_agent_t *self = (hl_agent_t *)arg;
    if (hl_msg_type (*msg_p) == HL_MSG_TASK)
        hl_agent_on_task (self, msg_p);
    else {
        hl_agent_on_cancel (self, *msg_p);
        hl_msg_destroy (msg_p);
    }
}

static hl_msg_t *
s_hello (void *arg)
{
    hl_agent_t *self = (hl_agent_t *)arg;
    hl_msg_t *msg = hl_msg_new (HL_MSG_HELLO);
    hl_msg_set_role (msg, hl_role_name (self->role_id));
    hl_msg_set_capacity (msg, self->capacity);
    hl_msg_set_host (msg, self->host);
    hl_msg_set_pid (msg, (uint32_t)getpid ());
    hl_msg_set_version (msg, HL_VERSION);
    hl_value_t *actions = hl_value_dup (self->actions);
    hl_msg_set_actions (msg, &actions);
    if (*self->node) {
        hl_value_t *data = hl_value_new_map ();
        hl_value_set_str (data, "node", self->node);
        hl_msg_set_data (msg, &data);
    }
    return msg;
}

static uint32_t
s_inflight (void *arg)
{
    hl_agent_t *self = (hl_agent_t *)arg;
    return (uint32_t)hl_queue_running (self->tasks);
}

//  ---------------------------------------------------------------------
//  Public API

//  Capacity, endpoint and name from opts and the config. 0, or -1 and
//  the reason in err.
static int
s_apply_opts (hl_agent_t *self, const hl_agent_opts_t *opts, char *err,
              size_t errsize)
{
    const hl_config_connect_t *connect = hl_config_connect (self->config);
    int capacity = opts->capacity ? opts->capacity : connect->capacity;
    if (capacity < 1 || capacity > 1024) {
        snprintf (err, errsize, "capacity %d is not in 1..1024", capacity);
        return -1;
    }
    self->capacity = (uint32_t)capacity;
    const char *endpoint = opts->endpoint ? opts->endpoint : connect->tasks;
    if (!*endpoint
        || (size_t)snprintf (self->endpoint, sizeof self->endpoint, "%s",
                             endpoint)
               >= sizeof self->endpoint) {
        snprintf (err, errsize, "bad master endpoint");
        return -1;
    }
    if (gethostname (self->host, sizeof self->host - 1) != 0 || !*self->host)
        snprintf (self->host, sizeof self->host, "localhost");
    if (opts->node)
        snprintf (self->node, sizeof self->node, "%s", opts->node);
    if (opts->name) {
        size_t len = strlen (opts->name);
        if (len == 0 || len > HL_MAX_NAME) {
            snprintf (err, errsize, "name must be 1..%d bytes", HL_MAX_NAME);
            return -1;
        }
        memcpy (self->name, opts->name, len + 1);
    } else
        snprintf (self->name, sizeof self->name, "%s@%s:%d",
                  hl_role_name (self->role_id), self->host, (int)getpid ());
    return 0;
}

//  A durable role's journal, which fills the results store. Only a
//  named agent has one: the default name holds the pid, which the next
//  run does not share. 0, or -1 and the reason in err.
static int
s_journal_open (hl_agent_t *self, const hl_agent_opts_t *opts, char *err,
                size_t errsize)
{
    if (!self->role->durable)
        return 0;
    if (!opts->name) {
        hl_log_notice ("no name given: a restart will forget the tasks this "
                       "agent ran (give --name to keep them)");
        return 0;
    }
    const char *dir = opts->state_dir
                          ? opts->state_dir
                          : hl_config_agent (self->config)->state_dir;
    self->journal
        = hl_journal_open (dir, self->name, NULL, self->results, err, errsize);
    if (!self->journal)
        return -1;
    hl_journal_stats_t stats;
    hl_journal_stats (self->journal, &stats);
    self->stats.orphans = stats.groups_killed;
    return 0;
}

//  The link to the master, with its backoff from opts. 0, or -1 if the
//  endpoint is one ZeroMQ cannot connect to.
static int
s_link_new (hl_agent_t *self, const hl_agent_opts_t *opts)
{
    int min = opts->backoff_min_ms > 0 ? opts->backoff_min_ms : 1000;
    int max = opts->backoff_max_ms > 0 ? opts->backoff_max_ms : 32000;
    hl_link_opts_t link = { .endpoint = self->endpoint,
                            .name = self->name,
                            .limits = hl_config_limits (self->config),
                            .backoff_min_ms = min,
                            .backoff_max_ms = max < min ? min : max,
                            .on_message = s_on_master,
                            .hello = s_hello,
                            .inflight = s_inflight,
                            .arg = self };
    self->link = hl_link_new (self->loop, &link);
    return self->link ? 0 : -1;
}

hl_agent_t *
hl_agent_new (const hl_config_t *config, const hl_agent_opts_t *opts, char *err,
              size_t errsize)
{
    char dummy[8];
    if (!err || errsize == 0) {
        err = dummy;
        errsize = sizeof dummy;
    }
    *err = '\0';
    hl_agent_t *self = NULL;
    int role = opts ? hl_role_parse (opts->role) : -1;
    if (!config || role < 0) {
        snprintf (err, errsize, "unknown role '%s'",
                  opts && opts->role ? opts->role : "");
        goto fail;
    }
    self = (hl_agent_t *)hl_alloc (sizeof *self);
    self->config = config;
    self->role_id = (hl_role_id_t)role;
    self->role = opts->plugin ? opts->plugin
                              : s_plugins[hl_role_family (self->role_id)];
    self->tasks = hl_queue_new (HL_AGENT_LANES);
    self->results = hl_results_new (HL_AGENT_DONE_MAX);
    self->loop = zloop_new ();
    //  The agent decides when to stop; czmq's interrupt flag does not
    zloop_set_nonstop (self->loop, true);
    if (s_apply_opts (self, opts, err, errsize) != 0
        || s_journal_open (self, opts, err, errsize) != 0)
        goto fail;
    //  A bad endpoint fails now, not at every reconnect
    if (s_link_new (self, opts) != 0) {
        snprintf (err, errsize, "cannot connect to '%s'", self->endpoint);
        goto fail;
    }
    if (!self->role->start
        || (self->role->new && self->role->new (self, &self->role_state))) {
        snprintf (err, errsize, "role %s could not start",
                  hl_role_name (self->role_id));
        goto fail;
    }
    self->actions = hl_value_new_array ();
    if (self->role->hello)
        self->role->hello (self->role_state, self->actions);
    return self;
fail:
    hl_agent_destroy (&self);
    return NULL;
}

void
hl_agent_destroy (hl_agent_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_agent_t *self = *self_p;
    //  The role first: it may still hold readers, timers and tasks
    if (self->role && self->role->destroy && self->role_state)
        self->role->destroy (&self->role_state);
    hl_agent_task_t *task;
    while (self->tasks && (task = hl_queue_first_waiting (self->tasks))) {
        hl_queue_remove (self->tasks, task->task_id);
        hl_agent_task_destroy (&task);
    }
    while (self->tasks && (task = hl_queue_first_running (self->tasks))) {
        hl_queue_remove (self->tasks, task->task_id);
        hl_agent_echo_stop (self, task);
        hl_agent_task_destroy (&task);
    }
    hl_queue_destroy (&self->tasks);
    hl_journal_destroy (&self->journal);
    hl_results_destroy (&self->results);
    hl_value_destroy (&self->actions);
    hl_link_destroy (&self->link);
    if (self->timer_id)
        zloop_timer_end (self->loop, self->timer_id);
    zloop_destroy (&self->loop);
    free (self);
    *self_p = NULL;
}

static int
s_start (hl_agent_t *self)
{
    if (self->started)
        return -1;
    self->started = true;
    hl_log_notice ("%s starting: capacity %u, master %s", self->name,
                   self->capacity, self->endpoint);
    return hl_link_start (self->link);
}

//  zloop_start also returns when a signal interrupts its poll: go round
//  again until the agent has finished
static int
s_loop (hl_agent_t *self)
{
    while (true) {
        int rc = zloop_start (self->loop);
        if (self->finished || self->terminated)
            break;
        if (rc == 0 && zmq_errno () == EINTR)
            continue;
        hl_log_error ("reactor stopped: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    //  Let bye and the last results leave before the socket closes
    hl_link_close (self->link, HL_AGENT_LINGER_MS);
    return 0;
}

/*  SIGTERM or SIGINT: drain; a second one: stop now. */
static void
s_on_signal (void *arg, int signum)
{
    hl_agent_t *self = (hl_agent_t *)arg;
    if (self->finished)
        return;
    if (!self->draining) {
        hl_log_notice ("signal %d received", signum);
        if (self->notify)
            hl_notify_stopping (self->notify);
        hl_agent_drain (self);
    } else {
        hl_log_notice ("signal %d again: stopping now", signum);
        hl_agent_abort_all (self, "agent shut down");
    }
}

/*  systemd's status line for the agent (hl_notify). */
static void
s_notify_status (void *arg, char *buf, size_t size)
{
    hl_agent_t *self = (hl_agent_t *)arg;
    hl_agent_stats_t stats;
    hl_agent_stats (self, &stats);
    if (stats.ready)
        snprintf (buf, size, "%s, %u running, %u queued",
                  self->draining ? "draining" : "serving", stats.inflight,
                  stats.queued);
    else
        snprintf (buf, size, "%s, master %s not answering",
                  self->draining ? "draining" : "connecting", self->endpoint);
}

int
hl_agent_run (hl_agent_t *self)
{
    assert (self);
    //  czmq's handler would only end the loop, not drain
    hl_sigwatch_t *signals = hl_sigwatch_new (self->loop, s_on_signal, self);
    if (!signals)
        return -1;
    //  An agent a node started drains when its node dies: a node started
    //  again would start it again, and two agents of one name must not run
    if (*self->node) {
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        if (getppid () == 1)
            raise (SIGTERM); /* the node died before prctl */
    }

    /*  READY=1 once the loop is about to run, not at the first welcome:
        a unit's start must not wait for the master, which may be away
        (the link retries); the status line says whether it answers. */
    self->notify = hl_notify_new (self->loop, s_notify_status, self);
    int rc = -1;
    if (s_start (self) == 0) {
        hl_notify_ready (self->notify);
        rc = s_loop (self);
    }
    hl_notify_stopping (self->notify);
    hl_notify_destroy (&self->notify);

    hl_sigwatch_destroy (&signals);
    return rc;
}

static int
s_on_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    (void)loop;
    hl_agent_t *self = (hl_agent_t *)arg;
    char *command = zstr_recv (pipe);
    if (!command)
        return 0;
    if (streq (command, "$TERM")) {
        self->terminated = true;
        hl_agent_abort_all (self, "agent shut down");
    } else if (streq (command, "DRAIN"))
        hl_agent_drain (self);
    else if (streq (command, "STATS")) {
        hl_agent_stats_t stats;
        hl_agent_stats (self, &stats);
        zsock_send (pipe, "b", &stats, sizeof stats);
    } else
        hl_log_warning ("agent actor: unknown command '%s'", command);
    zstr_free (&command);
    return 0;
}

void
hl_agent_actor (zsock_t *pipe, void *args)
{
    hl_agent_t *self = (hl_agent_t *)args;
    zloop_reader (self->loop, pipe, s_on_pipe, self);
    zsock_signal (pipe, 0);
    if (s_start (self) == 0)
        s_loop (self);
    zloop_reader_end (self->loop, pipe);
    hl_link_close (self->link, HL_AGENT_LINGER_MS);
    if (self->terminated)
        return;
    zstr_send (pipe, "STOPPED");
    while (true) {
        char *command = zstr_recv (pipe);
        if (!command)
            break;
        bool term = streq (command, "$TERM");
        if (streq (command, "STATS")) {
            hl_agent_stats_t stats;
            hl_agent_stats (self, &stats);
            zsock_send (pipe, "b", &stats, sizeof stats);
        }
        zstr_free (&command);
        if (term)
            break;
    }
}

int
hl_agent_actor_stats (zactor_t *actor, hl_agent_stats_t *stats)
{
    assert (actor && stats);
    if (zstr_send (actor, "STATS") != 0)
        return -1;
    zpoller_t *poller = zpoller_new (actor, NULL);
    void *ready = zpoller_wait (poller, 1000);
    zpoller_destroy (&poller);
    if (!ready)
        return -1;
    zmsg_t *msg = zmsg_recv (actor);
    zframe_t *frame = msg ? zmsg_first (msg) : NULL;
    int rc = -1;
    if (frame && zframe_size (frame) == sizeof *stats) {
        memcpy (stats, zframe_data (frame), sizeof *stats);
        rc = 0;
    }
    zmsg_destroy (&msg);
    return rc;
}

void
hl_agent_stats (const hl_agent_t *self, hl_agent_stats_t *stats)
{
    assert (self && stats);
    *stats = self->stats;
    hl_link_stats_t link;
    hl_link_stats (self->link, &link);
    stats->received = link.received;
    stats->dropped = link.dropped;
    stats->sent = link.sent;
    stats->send_failed = link.send_failed;
    stats->hellos = link.hellos;
    stats->connects = link.connects;
    stats->welcomes = link.welcomes;
    stats->ready = link.ready;
    stats->inflight = (uint32_t)hl_queue_running (self->tasks);
    stats->queued = (uint32_t)hl_queue_waiting (self->tasks);
}

zloop_t *
hl_agent_loop (hl_agent_t *self)
{
    assert (self);
    return self->loop;
}

const hl_config_t *
hl_agent_config (const hl_agent_t *self)
{
    assert (self);
    return self->config;
}

const char *
hl_agent_name (const hl_agent_t *self)
{
    assert (self);
    return self->name;
}

hl_role_id_t
hl_agent_role (const hl_agent_t *self)
{
    assert (self);
    return self->role_id;
}

hl_swarm_t
hl_agent_swarm (const hl_agent_t *self)
{
    assert (self);
    return hl_role_swarm (self->role_id);
}
