/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_agent_priv - what the agent's two files share: the agent's and a
    task's state, the runtime's bounds, and the calls between hl_agent.c
    (create and destroy, the link's callbacks, the loop, signals, the
    actor, counters) and hl_agent_tasks.c (the task runtime). Not for
    other modules.
*/
#ifndef HL_AGENT_PRIV_H
#define HL_AGENT_PRIV_H

#include <czmq.h>

#include "hl_agent.h"
#include "hl_journal.h"
#include "hl_link.h"
#include "hl_queue.h"
#include "hl_results.h"
#include "hl_role.h"
#include "../bus/hl_notify.h"
#include "../proto/hl_msg.h"

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

struct _hl_agent_t {
    const hl_config_t *config;         //  borrowed
    const hl_role_t *role;             //  the plug-in
    void *role_state;                  //  its state
    hl_role_id_t role_id;              //  athena-ux...
    char name[HL_MAX_NAME + 1];        //  envelope src
    char host[128];                    //  hostnames are at most 64 on Linux
    char node[HL_MAX_NAME + 1];        //  the node that started it, or ""
    char endpoint[HL_CONFIG_ENDPOINT]; //  the master's tasks socket
    hl_value_t *actions;               //  hello's actions, an array
    uint32_t capacity;                 //  tasks running at once, 1..1024
    zloop_t *loop;                     //  the one reactor; roles add to it
    hl_link_t *link;                   //  to the master
    hl_notify_t *notify;               //  systemd's, while hl_agent_run
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

/*  A task message from the master (taken): answered at once from a kept
    result, a refusal or a fast echo, added to the running task it
    repeats, or queued and started while there is capacity. */
void hl_agent_on_task (hl_agent_t *self, hl_msg_t **msg_p);

/*  A cancel message from the master: the task it names ends cancelled,
    through its role's cancel hook if it runs. */
void hl_agent_on_cancel (hl_agent_t *self, const hl_msg_t *msg);

/*  Cancel and answer every task, queued first so that nothing new
    starts, with why as their error; then stop (bye). */
void hl_agent_abort_all (hl_agent_t *self, const char *why);

/*  Free a task taken off the queue; its echo timer must be stopped. */
void hl_agent_task_destroy (hl_agent_task_t **task_p);

/*  A delayed echo that ends early stops its timer, which owns the
    timer's argument; nothing for another task. */
void hl_agent_echo_stop (hl_agent_t *self, hl_agent_task_t *task);

#endif
