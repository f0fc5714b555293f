/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_results - a ring of kept results with an index by task id. Every
    used slot of the ring is in the index under its task id, and nothing
    else is.
*/
#include <assert.h>
#include <stdlib.h>

#include "hl_results.h"
#include "hl_idmap.h"
#include "../proto/hl_alloc.h"

//  One kept result
typedef struct {
    uint64_t task_id; //  0: free
    uint64_t duration_us;
    hl_task_status_t status;
    hl_value_t *data; //  the result's data, or NULL
    hl_msg_t *task;   //  echo: the task, whose args are the data
} s_slot_t;

struct _hl_results_t {
    s_slot_t *ring;    //  max slots
    size_t max;        //  results kept at most
    size_t next;       //  the slot written next
    hl_idmap_t *index; //  task id -> s_slot_t
};

hl_results_t *
hl_results_new (size_t max)
{
    hl_results_t *self = (hl_results_t *)hl_alloc (sizeof *self);
    self->max = max ? max : 1;
    self->ring = (s_slot_t *)hl_calloc (self->max, sizeof *self->ring);
    //  Sized for max keys from the start: it never grows
    self->index = hl_idmap_new (self->max * 2);
    return self;
}

static void
s_slot_clear (s_slot_t *slot)
{
    slot->task_id = 0;
    hl_value_destroy (&slot->data);
    hl_msg_destroy (&slot->task);
}

void
hl_results_destroy (hl_results_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_results_t *self = *self_p;
    for (size_t i = 0; i < self->max; i++)
        s_slot_clear (&self->ring[i]);
    free (self->ring);
    hl_idmap_destroy (&self->index);
    free (self);
    *self_p = NULL;
}

void
hl_results_put (hl_results_t *self, uint64_t task_id, hl_task_status_t status,
                uint64_t duration_us, hl_value_t **data_p, hl_msg_t **task_p)
{
    assert (self && task_id);
    assert (!hl_idmap_find (self->index, task_id));
    s_slot_t *slot = &self->ring[self->next];
    self->next = (self->next + 1) % self->max;
    if (slot->task_id) {
        hl_idmap_remove (self->index, slot->task_id);
        s_slot_clear (slot);
    }
    slot->task_id = task_id;
    slot->status = status;
    slot->duration_us = duration_us;
    if (data_p) {
        slot->data = *data_p;
        *data_p = NULL;
    }
    if (task_p) {
        slot->task = *task_p;
        *task_p = NULL;
    }
    hl_idmap_put (self->index, task_id, slot);
}

int
hl_results_find (const hl_results_t *self, uint64_t task_id,
                 hl_result_t *result)
{
    assert (self && result);
    const s_slot_t *slot
        = (const s_slot_t *)hl_idmap_find (self->index, task_id);
    if (!slot)
        return -1;
    result->task_id = slot->task_id;
    result->duration_us = slot->duration_us;
    result->status = slot->status;
    result->data = slot->task ? hl_msg_args (slot->task) : slot->data;
    return 0;
}

size_t
hl_results_size (const hl_results_t *self)
{
    assert (self);
    return hl_idmap_size (self->index);
}
