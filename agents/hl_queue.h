/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_queue - the agent's local tasks by id: those waiting, in lanes
    started in order (lane 0 first, first in first out within a lane),
    and those running, in the order they started. Items are borrowed
    pointers; the queue only orders and finds them.
*/
#ifndef HL_QUEUE_H
#define HL_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_QUEUE_LANES_MAX 64

typedef struct _hl_queue_t hl_queue_t;

/*  An empty queue of lanes lanes, 1..HL_QUEUE_LANES_MAX. */
hl_queue_t *hl_queue_new (int lanes);

/*  Destroy; accepts NULL and nulls *self_p. The items still in it are
    not the queue's to free: take them out first. */
void hl_queue_destroy (hl_queue_t **self_p);

/*  Queue item (never NULL) under id (never 0, not in the queue) at the
    end of lane. */
void hl_queue_push (hl_queue_t *self, uint64_t id, int lane, void *item);

/*  The item of id, waiting or running, or NULL. */
void *hl_queue_find (const hl_queue_t *self, uint64_t id);

/*  True if id is running. */
bool hl_queue_started (const hl_queue_t *self, uint64_t id);

/*  Move the next waiting item (the first of the first lane not empty)
    to the end of the running ones and return it; NULL if none waits. */
void *hl_queue_start (hl_queue_t *self);

/*  Take id out, waiting or running. Returns its item, or NULL. */
void *hl_queue_remove (hl_queue_t *self, uint64_t id);

/*  The item hl_queue_start would start, or NULL. */
void *hl_queue_first_waiting (const hl_queue_t *self);

/*  The running items in the order they started: the first, and the one
    after id (NULL at the end, or if id is not running). */
void *hl_queue_first_running (const hl_queue_t *self);
void *hl_queue_next_running (const hl_queue_t *self, uint64_t id);

/*  How many wait, how many run. */
size_t hl_queue_waiting (const hl_queue_t *self);
size_t hl_queue_running (const hl_queue_t *self);

#endif
