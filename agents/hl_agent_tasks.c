/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_agent_tasks - the agent's task runtime: a task message from the
    master answered from the kept results (and a durable role's journal)
    or queued in its lane; started while there is capacity (journaled
    first for a durable role), echo among them; ended, answered, kept;
    cancel, deadlines, the drain and the stop (bye) on one re-armed timer;
    and the calls roles make on their tasks. A file of hl_agent; it shares
    hl_agent_priv.h.
*/
#include <stdlib.h>
#include <string.h>

#include "hl_agent_priv.h"
#include "hl_orphan.h"
#include "../bus/hl_heart.h"
#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"

void
hl_agent_task_destroy (hl_agent_task_t **task_p)
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
    hl_agent_task_destroy (&task);
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
    hl_agent_task_destroy (&task);
    s_check_drained (self);
}

//  Stop a running task through the role's cancel hook, then answer it
static void
s_cancel_running (hl_agent_t *self, hl_agent_task_t *task,
                  hl_task_status_t status, hl_value_t **data_p)
{
    uint64_t task_id = task->task_id;
    if (task->echo_timer)
        hl_agent_echo_stop (self, task);
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
void
hl_agent_echo_stop (hl_agent_t *self, hl_agent_task_t *task)
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

void
hl_agent_on_task (hl_agent_t *self, hl_msg_t **msg_p)
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

void
hl_agent_on_cancel (hl_agent_t *self, const hl_msg_t *msg)
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
void
hl_agent_abort_all (hl_agent_t *self, const char *why)
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
        hl_agent_abort_all (self, "agent shut down");
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

//  ---------------------------------------------------------------------
//  For roles

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

int
hl_agent_task_group (hl_agent_t *self, uint64_t task_id, int pgid)
{
    assert (self);
    const hl_agent_task_t *task = s_find (self, task_id);
    if (!task || !s_running (self, task_id))
        return -1;
    if (!task->journaled)
        return 0;
    //  Its start time tells the group from a later one of the same
    //  number; unknown, a restart still kills a group whose leader is gone
    uint64_t start = 0;
    if (hl_orphan_start_time (pgid, &start) != 0)
        hl_log_warning ("task %llu: no start time for process %d",
                        (unsigned long long)task_id, pgid);
    return hl_journal_group (self->journal, task_id, pgid, start);
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
