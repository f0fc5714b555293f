/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_agent - the agent runtime: one zloop owns the link to the master
    (hl_link: handshake, heartbeats, reconnects), the local queue in
    front of the role's capacity (hl_queue), the echo kind, the kept
    results for repeated task ids (hl_results, and a durable role's
    hl_journal), cancel, deadlines and the drain on SIGTERM.
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hl_agent.h"
#include "hl_journal.h"
#include "hl_link.h"
#include "hl_queue.h"
#include "hl_results.h"
#include "hl_role.h"
#include "../bus/hl_heart.h"
#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_msg.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

#define HL_AGENT_DONE_MAX 4096  //  results kept for repeated task ids
#define HL_AGENT_DRAIN_MS 30000 //  longest a drain waits for tasks
#define HL_AGENT_REPEATS_MAX 16 //  repeats of a live task answered
#define HL_AGENT_LANES 8        //  queue: emergency x priority 1..4
#define HL_AGENT_LINGER_MS 1000 //  for bye and last results to leave

struct _hl_agent_task_t {
    hl_msg_t *msg; //  the task as received
    uint64_t task_id;
    hl_task_kind_t kind;
    uint64_t *repeats; //  envelope ids of repeats, answered too
    size_t repeats_n;
    int64_t deadline;   //  monotonic ms, 0: none
    int64_t started_us; //  monotonic, for duration_us
    void *state;        //  the role's
    int echo_timer;     //  a delayed echo's timer, or 0
    bool journaled;     //  its start is in the journal
};

//  The plug-in of each role family
static const hl_role_t *const s_plugins[HL_FAMILY_COUNT]
    = { &hl_prometheus_role, &hl_hephaestus_role, &hl_athena_role };

struct _hl_agent_t {
    const hl_config_t *config;         //  borrowed
    const hl_role_t *role;             //  the plug-in
    void *role_state;                  //  its state
    hl_role_id_t role_id;              //  athena-ux...
    char name[HL_MAX_NAME + 1];        //  envelope src
    char host[128];                    //  hostnames are at most 64 on Linux
    char endpoint[HL_CONFIG_ENDPOINT]; //  the master's tasks socket
    hl_value_t *actions;               //  hello's actions, an array
    uint32_t capacity;                 //  tasks running at once, 1..1024
    zloop_t *loop;                     //  the one reactor; roles add to it
    hl_link_t *link;                   //  to the master
    int timer_id;                      //  the pending tick, 0: none
    int64_t wake_at;                   //  when it fires
    hl_queue_t *tasks;                 //  queued and running, by task id
    hl_results_t *results;             //  the last HL_AGENT_DONE_MAX
    hl_journal_t *journal;             //  a durable role's, or NULL
    bool pumping;                      //  s_pump is on the stack
    bool aborting;                     //  cancelling everything: start none
    bool draining;                     //  refusing new tasks
    int64_t drain_until;               //  monotonic ms
    bool finished;                     //  bye sent, the loop is to exit
    bool terminated;                   //  $TERM from the actor's pipe
    bool started;                      //  s_start ran
    hl_agent_stats_t stats;            //  the runtime's counters
};

static void
s_task_destroy (hl_agent_task_t **task_p)
{
    hl_agent_task_t *task = *task_p;
    if (!task)
        return;
    assert (!task->echo_timer);
    hl_msg_destroy (&task->msg);
    free (task->repeats);
    free (task);
    *task_p = NULL;
}

//  ---------------------------------------------------------------------
//  Sending

static int64_t
s_now (void)
{
    return hl_heart_clock ();
}

static int
s_send (hl_agent_t *self, hl_msg_t **msg_p)
{
    return hl_link_send (self->link, msg_p);
}

static hl_value_t *
s_error_value (const char *text)
{
    hl_value_t *map = hl_value_new_map ();
    hl_value_set_str (map, "error", text);
    return map;
}

static void
s_count_result (hl_agent_t *self, hl_task_status_t status)
{
    self->stats.results++;
    if (status == HL_STATUS_REJECTED)
        self->stats.rejected++;
    else if (status == HL_STATUS_CANCELLED)
        self->stats.cancelled++;
    else if (status == HL_STATUS_TIMEOUT)
        self->stats.timeouts++;
}

//  Send one result; takes *data_p (NULL: nil)
static void
s_send_result (hl_agent_t *self, uint64_t re, uint64_t task_id,
               hl_task_status_t status, uint64_t duration_us,
               hl_value_t **data_p)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_RESULT);
    hl_msg_set_re (msg, re);
    hl_msg_set_task_id (msg, task_id);
    hl_msg_set_status (msg, hl_status_name (status));
    hl_msg_set_duration_us (msg, duration_us);
    hl_value_t *data = data_p && *data_p ? *data_p : hl_value_new_nil ();
    if (data_p)
        *data_p = NULL;
    hl_msg_set_data (msg, &data);
    s_count_result (self, status);
    s_send (self, &msg);
}

//  Answer a task message from a kept result
static void
s_answer (hl_agent_t *self, const hl_result_t *done, uint64_t re)
{
    hl_value_t *copy = done->data ? hl_value_dup (done->data) : NULL;
    s_send_result (self, re, done->task_id, done->status, done->duration_us,
                   &copy);
}

//  Keep a result and answer the task message re with it; takes *data_p
//  and *task_p (either may be NULL)
static void
s_keep_and_answer (hl_agent_t *self, uint64_t task_id, hl_task_status_t status,
                   uint64_t duration_us, hl_value_t **data_p, hl_msg_t **task_p,
                   uint64_t re)
{
    hl_results_put (self->results, task_id, status, duration_us, data_p,
                    task_p);
    hl_result_t done;
    hl_results_find (self->results, task_id, &done);
    s_answer (self, &done, re);
}

//  Answer without keeping the result: refusals that depend on the moment
//  (draining, queue full) must not stick to the task id.
static void
s_refuse (hl_agent_t *self, uint64_t re, uint64_t task_id, const char *why)
{
    hl_value_t *data = s_error_value (why);
    s_send_result (self, re, task_id, HL_STATUS_REJECTED, 0, &data);
}

//  ---------------------------------------------------------------------
//  Lifecycle of tasks

static void s_pump (hl_agent_t *self);
static void s_stop (hl_agent_t *self, const char *reason);

//  The task of task_id, queued or running, or NULL
static hl_agent_task_t *
s_find (hl_agent_t *self, uint64_t task_id)
{
    return (hl_agent_task_t *)hl_queue_find (self->tasks, task_id);
}

static bool
s_running (hl_agent_t *self, uint64_t task_id)
{
    return hl_queue_started (self->tasks, task_id);
}

static void
s_check_drained (hl_agent_t *self)
{
    if (self->draining && !self->finished && !hl_queue_waiting (self->tasks)
        && !hl_queue_running (self->tasks))
        s_stop (self, "shutdown");
}

//  The end of every queued or running task: answer each message that
//  asked for it, keep the result, start what now fits. Takes *data_p.
static void
s_finish (hl_agent_t *self, hl_agent_task_t *task, hl_task_status_t status,
          hl_value_t **data_p)
{
    uint64_t duration
        = task->started_us ? (uint64_t)(zclock_usecs () - task->started_us) : 0;
    hl_queue_remove (self->tasks, task->task_id);
    hl_results_put (self->results, task->task_id, status, duration, data_p,
                    NULL);
    hl_result_t done;
    hl_results_find (self->results, task->task_id, &done);
    //  On disk before the master hears it: an answer is never one a
    //  restart could take back
    if (task->journaled)
        hl_journal_ended (self->journal, task->task_id, status, duration,
                          done.data);
    s_answer (self, &done, hl_msg_id (task->msg));
    for (size_t i = 0; i < task->repeats_n; i++)
        s_answer (self, &done, task->repeats[i]);
    s_task_destroy (&task);
    s_pump (self);
    s_check_drained (self);
}

//  Refuse a task taken from the queue but not started, without keeping
//  the answer: why is of the moment
static void
s_refuse_task (hl_agent_t *self, hl_agent_task_t *task, const char *why)
{
    hl_queue_remove (self->tasks, task->task_id);
    s_refuse (self, hl_msg_id (task->msg), task->task_id, why);
    for (size_t i = 0; i < task->repeats_n; i++)
        s_refuse (self, task->repeats[i], task->task_id, why);
    s_task_destroy (&task);
    s_check_drained (self);
}

static void s_echo_stop (hl_agent_t *self, hl_agent_task_t *task);

//  Stop a running task through the role's cancel hook, then answer it
static void
s_cancel_running (hl_agent_t *self, hl_agent_task_t *task,
                  hl_task_status_t status, hl_value_t **data_p)
{
    uint64_t task_id = task->task_id;
    if (task->echo_timer)
        s_echo_stop (self, task);
    else if (self->role->cancel)
        self->role->cancel (self->role_state, task);
    //  The hook may have completed it itself
    task = s_find (self, task_id);
    if (task)
        s_finish (self, task, status, data_p);
    else
        hl_value_destroy (data_p);
}

static void s_schedule (hl_agent_t *self);

//  An echo with args.delay_ms > 0 holds a slot of capacity for that long
//  before it answers: tests and benchmarks use it for tasks in flight.
#define S_ECHO_DELAY_MAX 600000

typedef struct {
    hl_agent_t *agent;
    uint64_t task_id;
} s_echo_t;

static int
s_on_echo (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_echo_t *echo = (s_echo_t *)arg;
    hl_agent_t *self = echo->agent;
    hl_agent_task_t *task = s_find (self, echo->task_id);
    free (echo);
    if (task) {
        task->echo_timer = 0;
        const hl_value_t *args = hl_msg_args (task->msg);
        hl_value_t *data = args ? hl_value_dup (args) : NULL;
        s_finish (self, task, HL_STATUS_OK, &data);
    }
    return 0;
}

static void
s_echo_later (hl_agent_t *self, hl_agent_task_t *task)
{
    int64_t delay = hl_value_get_int (hl_msg_args (task->msg), "delay_ms", 1);
    if (delay > S_ECHO_DELAY_MAX)
        delay = S_ECHO_DELAY_MAX;
    s_echo_t *echo = (s_echo_t *)hl_alloc (sizeof *echo);
    echo->agent = self;
    echo->task_id = task->task_id;
    task->state = echo;
    task->echo_timer
        = zloop_timer (self->loop, (size_t)delay, 1, s_on_echo, echo);
}

//  A delayed echo that ends early (cancel, deadline, shutdown) stops its
//  timer, which owns the timer's argument.
static void
s_echo_stop (hl_agent_t *self, hl_agent_task_t *task)
{
    if (!task->echo_timer)
        return;
    zloop_timer_end (self->loop, task->echo_timer);
    free (task->state);
    task->state = NULL;
    task->echo_timer = 0;
}

//  Start queued tasks while there is capacity. Roles may complete a task
//  from within start, which calls back here: the flag keeps that from
//  recursing once per queued task.
static void
s_pump (hl_agent_t *self)
{
    if (self->pumping || self->aborting)
        return;
    self->pumping = true;
    bool deadlines = false;
    while (hl_queue_running (self->tasks) < self->capacity) {
        hl_agent_task_t *task = (hl_agent_task_t *)hl_queue_start (self->tasks);
        if (!task)
            break;
        if (task->deadline && s_now () >= task->deadline) {
            hl_value_t *data = s_error_value ("deadline passed in queue");
            s_finish (self, task, HL_STATUS_TIMEOUT, &data);
            continue;
        }
        //  Written before it starts: killed while it runs, the agent
        //  answers it as of unknown outcome and never runs it again
        if (self->journal && task->kind != HL_KIND_ECHO) {
            if (hl_journal_started (self->journal, task->msg) != 0) {
                s_refuse_task (self, task,
                               "journal: cannot record the task before it "
                               "runs");
                continue;
            }
            task->journaled = true;
        }
        uint32_t inflight = (uint32_t)hl_queue_running (self->tasks);
        if (inflight > self->stats.max_inflight)
            self->stats.max_inflight = inflight;
        task->started_us = zclock_usecs ();
        self->stats.started++;
        uint64_t task_id = task->task_id;
        deadlines |= task->deadline != 0;
        if (task->kind == HL_KIND_ECHO) {
            s_echo_later (self, task);
            continue;
        }
        if (self->role->start (self->role_state, task) != 0) {
            task = s_find (self, task_id);
            if (task) {
                hl_value_t *data = s_error_value ("role could not start");
                s_finish (self, task, HL_STATUS_FAILED, &data);
            }
        }
    }
    self->pumping = false;
    if (deadlines)
        s_schedule (self);
}

static bool
s_serves (const hl_role_t *role, int kind)
{
    return kind >= 0 && kind < HL_KIND_COUNT
           && (role->kinds & HL_ROLE_KIND (kind));
}

//  Queue the task *msg_p (taken) in its lane: emergency first, then by
//  priority
static void
s_enqueue (hl_agent_t *self, hl_msg_t **msg_p, hl_task_kind_t kind)
{
    hl_msg_t *msg = *msg_p;
    *msg_p = NULL;
    hl_agent_task_t *task = (hl_agent_task_t *)hl_alloc (sizeof *task);
    task->msg = msg;
    task->task_id = hl_msg_task_id (msg);
    task->kind = kind;
    uint32_t deadline_ms = hl_msg_deadline_ms (msg);
    //  A deadline counts from when this agent got the task
    task->deadline = deadline_ms ? s_now () + deadline_ms : 0;
    uint32_t priority = hl_msg_priority (msg);
    if (priority < 1 || priority > 4)
        priority = 4;
    int lane = (hl_msg_emergency (msg) ? 0 : 4) + (int)priority - 1;
    hl_queue_push (self->tasks, task->task_id, lane, task);
}

static void
s_on_task (hl_agent_t *self, hl_msg_t **msg_p)
{
    hl_msg_t *msg = *msg_p;
    *msg_p = NULL;
    self->stats.tasks++;
    uint64_t task_id = hl_msg_task_id (msg);
    uint64_t re = hl_msg_id (msg);

    //  A repeated id never runs twice: answer from the kept result, or
    //  answer this message too when the running one ends
    hl_result_t done;
    if (hl_results_find (self->results, task_id, &done) == 0) {
        self->stats.duplicates++;
        s_answer (self, &done, re);
        hl_msg_destroy (&msg);
        return;
    }
    hl_agent_task_t *task = s_find (self, task_id);
    if (task) {
        self->stats.duplicates++;
        if (task->repeats_n < HL_AGENT_REPEATS_MAX) {
            uint64_t *repeats = (uint64_t *)hl_realloc (
                task->repeats, (task->repeats_n + 1) * sizeof *repeats);
            repeats[task->repeats_n++] = re;
            task->repeats = repeats;
        }
        hl_msg_destroy (&msg);
        return;
    }
    //  The journal keeps its own last results: echoes may have pushed a
    //  change's result out of the store above
    hl_msg_t *kept
        = self->journal ? hl_journal_result (self->journal, task_id) : NULL;
    if (kept) {
        self->stats.duplicates++;
        hl_value_t *data
            = hl_msg_data (kept) ? hl_value_dup (hl_msg_data (kept)) : NULL;
        int status = hl_status_parse (hl_msg_status (kept));
        s_send_result (self, re, task_id,
                       status < 0 ? HL_STATUS_FAILED : (hl_task_status_t)status,
                       hl_msg_duration_us (kept), &data);
        hl_msg_destroy (&kept);
        hl_msg_destroy (&msg);
        return;
    }
    if (self->draining) {
        s_refuse (self, re, task_id, "draining");
        hl_msg_destroy (&msg);
        return;
    }
    //  The codec let only known kinds through; parsed once, here
    int kind = hl_kind_parse (hl_msg_kind (msg));
    bool echo = kind == HL_KIND_ECHO;
    if (echo && hl_value_get_int (hl_msg_args (msg), "delay_ms", 0) <= 0) {
        //  The hot path: the kept task message itself holds the data
        self->stats.started++;
        s_keep_and_answer (self, task_id, HL_STATUS_OK, 0, NULL, &msg, re);
        return;
    }
    if (!echo && !s_serves (self->role, kind)) {
        char text[128];
        snprintf (text, sizeof text, "role %s does not run kind %s",
                  hl_role_name (self->role_id), hl_msg_kind (msg));
        hl_value_t *data = s_error_value (text);
        s_keep_and_answer (self, task_id, HL_STATUS_REJECTED, 0, &data, NULL,
                           re);
        hl_msg_destroy (&msg);
        return;
    }
    if (hl_queue_waiting (self->tasks) >= HL_QUEUE_MAX) {
        s_refuse (self, re, task_id, "queue full");
        hl_msg_destroy (&msg);
        return;
    }
    s_enqueue (self, &msg, (hl_task_kind_t)kind);
    s_pump (self);
}

static void
s_on_cancel (hl_agent_t *self, const hl_msg_t *msg)
{
    uint64_t task_id = hl_msg_task_id (msg);
    hl_agent_task_t *task = s_find (self, task_id);
    if (!task) {
        //  Already answered, or never seen: nothing to stop
        hl_log_debug ("cancel of task %llu: not queued or running",
                      (unsigned long long)task_id);
        return;
    }
    if (!s_running (self, task_id))
        s_finish (self, task, HL_STATUS_CANCELLED, NULL);
    else
        s_cancel_running (self, task, HL_STATUS_CANCELLED, NULL);
}

//  Cancel and answer everything, queued first so that nothing new starts
static void
s_abort_all (hl_agent_t *self, const char *why)
{
    self->aborting = true;
    self->draining = true;
    hl_agent_task_t *task;
    while ((task = hl_queue_first_waiting (self->tasks))) {
        hl_value_t *data = s_error_value (why);
        s_finish (self, task, HL_STATUS_CANCELLED, &data);
    }
    while ((task = hl_queue_first_running (self->tasks))) {
        hl_value_t *data = s_error_value (why);
        s_cancel_running (self, task, HL_STATUS_CANCELLED, &data);
    }
    self->aborting = false;
    s_stop (self, "shutdown");
}

//  Running tasks past their deadline time out; restart the scan after
//  each, as hooks may change the list
static void
s_expire_tasks (hl_agent_t *self, int64_t now)
{
    bool again = true;
    while (again) {
        again = false;
        for (hl_agent_task_t *t = hl_queue_first_running (self->tasks); t;
             t = hl_queue_next_running (self->tasks, t->task_id))
            if (t->deadline && now >= t->deadline) {
                hl_value_t *data = s_error_value ("deadline passed");
                s_cancel_running (self, t, HL_STATUS_TIMEOUT, &data);
                again = true;
                break;
            }
    }
}

//  ---------------------------------------------------------------------
//  The link's callbacks

static void
s_on_master (void *arg, hl_msg_t **msg_p)
{
    hl_agent_t *self = (hl_agent_t *)arg;
    if (hl_msg_type (*msg_p) == HL_MSG_TASK)
        s_on_task (self, msg_p);
    else {
        s_on_cancel (self, *msg_p);
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
    return msg;
}

static uint32_t
s_inflight (void *arg)
{
    hl_agent_t *self = (hl_agent_t *)arg;
    return (uint32_t)hl_queue_running (self->tasks);
}

//  ---------------------------------------------------------------------
//  Timing: one one-shot timer, re-armed for the next thing due

static int
s_on_exit (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

static int s_on_tick (zloop_t *loop, int timer_id, void *arg);

static void
s_schedule (hl_agent_t *self)
{
    if (self->finished || !self->started)
        return;
    int64_t now = s_now ();
    int64_t at = INT64_MAX;
    for (hl_agent_task_t *t = hl_queue_first_running (self->tasks); t;
         t = hl_queue_next_running (self->tasks, t->task_id))
        if (t->deadline && t->deadline < at)
            at = t->deadline;
    if (self->draining && self->drain_until < at)
        at = self->drain_until;
    if (at == INT64_MAX)
        return;
    //  A pending tick no later than that recomputes anyway
    if (self->timer_id && self->wake_at <= at)
        return;
    if (self->timer_id)
        zloop_timer_end (self->loop, self->timer_id);
    int64_t delay = at - now < 1 ? 1 : at - now;
    self->timer_id
        = zloop_timer (self->loop, (size_t)delay, 1, s_on_tick, self);
    self->wake_at = now + delay;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    hl_agent_t *self = (hl_agent_t *)arg;
    if (timer_id == self->timer_id)
        self->timer_id = 0; //  one-shot: zloop deletes it
    int64_t now = s_now ();
    s_expire_tasks (self, now);
    if (self->draining && !self->finished && now >= self->drain_until) {
        hl_log_warning ("drain took %d ms: cancelling %u running, %u "
                        "queued",
                        HL_AGENT_DRAIN_MS,
                        (unsigned)hl_queue_running (self->tasks),
                        (unsigned)hl_queue_waiting (self->tasks));
        s_abort_all (self, "agent shut down");
    }
    s_schedule (self);
    return 0;
}

static void
s_stop (hl_agent_t *self, const char *reason)
{
    if (self->finished)
        return;
    self->draining = true;
    self->stats.draining = true;
    hl_msg_t *bye = hl_msg_new (HL_MSG_BYE);
    hl_msg_set_reason (bye, reason);
    s_send (self, &bye);
    hl_link_stop (self->link);
    self->finished = true;
    if (self->timer_id)
        zloop_timer_end (self->loop, self->timer_id);
    self->timer_id = 0;
    //  Whoever's handler we are in, the loop ends at its next pass
    zloop_timer (self->loop, 1, 1, s_on_exit, self);
    hl_agent_stats_t stats;
    hl_agent_stats (self, &stats);
    hl_log_notice ("stopped (%s): %llu tasks, %llu results, %llu "
                   "rejected, %llu dropped messages",
                   reason, (unsigned long long)stats.tasks,
                   (unsigned long long)stats.results,
                   (unsigned long long)stats.rejected,
                   (unsigned long long)stats.dropped);
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
    return self->journal ? 0 : -1;
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
        s_task_destroy (&task);
    }
    while (self->tasks && (task = hl_queue_first_running (self->tasks))) {
        hl_queue_remove (self->tasks, task->task_id);
        s_echo_stop (self, task);
        s_task_destroy (&task);
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

static int s_sigpipe[2] = { -1, -1 };

static void
s_signal_handler (int signum)
{
    int saved = errno;
    char c = (char)signum;
    if (write (s_sigpipe[1], &c, 1) < 0) {
        //  A full pipe already holds a wake-up
    }
    errno = saved;
}

static int
s_on_signal (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    hl_agent_t *self = (hl_agent_t *)arg;
    char buf[16];
    ssize_t n;
    while ((n = read (item->fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n && !self->finished; i++) {
            if (!self->draining) {
                hl_log_notice ("signal %d received", buf[i]);
                hl_agent_drain (self);
            } else {
                hl_log_notice ("signal %d again: stopping now", buf[i]);
                s_abort_all (self, "agent shut down");
            }
        }
    return 0;
}

int
hl_agent_run (hl_agent_t *self)
{
    assert (self);
    //  czmq's handler would only end the loop, not drain; ours writes to
    //  a pipe the loop reads
    zsys_init ();
    zsys_handler_set (NULL);
    if (pipe2 (s_sigpipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        hl_log_error ("cannot create the signal pipe: %s", strerror (errno));
        return -1;
    }
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_signal_handler;
    sigemptyset (&action.sa_mask);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
    zmq_pollitem_t item = { NULL, s_sigpipe[0], ZMQ_POLLIN, 0 };
    zloop_poller (self->loop, &item, s_on_signal, self);

    int rc = s_start (self) == 0 ? s_loop (self) : -1;

    zloop_poller_end (self->loop, &item);
    action.sa_handler = SIG_DFL;
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
    close (s_sigpipe[0]);
    close (s_sigpipe[1]);
    s_sigpipe[0] = s_sigpipe[1] = -1;
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
        s_abort_all (self, "agent shut down");
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

void
hl_agent_drain (hl_agent_t *self)
{
    assert (self);
    if (self->draining)
        return;
    self->draining = true;
    self->stats.draining = true;
    self->drain_until = s_now () + HL_AGENT_DRAIN_MS;
    hl_log_notice ("draining: %u running, %u queued",
                   (unsigned)hl_queue_running (self->tasks),
                   (unsigned)hl_queue_waiting (self->tasks));
    s_check_drained (self);
    s_schedule (self);
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

int
hl_agent_complete (hl_agent_t *self, uint64_t task_id, hl_task_status_t status,
                   hl_value_t **data_p)
{
    assert (self);
    assert (status >= 0 && status < HL_STATUS_COUNT);
    hl_agent_task_t *task = s_find (self, task_id);
    if (!task || !s_running (self, task_id)) {
        hl_value_destroy (data_p);
        return -1;
    }
    s_finish (self, task, status, data_p);
    return 0;
}

int
hl_agent_progress (hl_agent_t *self, uint64_t task_id, uint32_t pct,
                   const char *note)
{
    assert (self);
    const hl_agent_task_t *task = s_find (self, task_id);
    if (!task || !s_running (self, task_id))
        return -1;
    hl_msg_t *msg = hl_msg_new (HL_MSG_PROGRESS);
    hl_msg_set_re (msg, hl_msg_id (task->msg));
    hl_msg_set_task_id (msg, task_id);
    hl_msg_set_pct (msg, pct > 100 ? 100 : pct);
    if (note)
        hl_msg_set_note (msg, note);
    return s_send (self, &msg);
}

uint64_t
hl_agent_task_id (const hl_agent_task_t *task)
{
    assert (task);
    return task->task_id;
}

hl_task_kind_t
hl_agent_task_kind (const hl_agent_task_t *task)
{
    assert (task);
    return task->kind;
}

const hl_value_t *
hl_agent_task_args (const hl_agent_task_t *task)
{
    assert (task);
    return hl_msg_args (task->msg);
}

uint32_t
hl_agent_task_priority (const hl_agent_task_t *task)
{
    assert (task);
    return hl_msg_priority (task->msg);
}

bool
hl_agent_task_emergency (const hl_agent_task_t *task)
{
    assert (task);
    return hl_msg_emergency (task->msg);
}

uint32_t
hl_agent_task_deadline_ms (const hl_agent_task_t *task)
{
    assert (task);
    return hl_msg_deadline_ms (task->msg);
}

uint32_t
hl_agent_task_attempt (const hl_agent_task_t *task)
{
    assert (task);
    return hl_msg_attempt (task->msg);
}

void *
hl_agent_task_state (const hl_agent_task_t *task)
{
    assert (task);
    return task->state;
}

void
hl_agent_task_set_state (hl_agent_task_t *task, void *state)
{
    assert (task);
    task->state = state;
}
