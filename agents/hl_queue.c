/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_queue - one node per item, on exactly one list: its lane's while
    it waits, the running list once started; every node is in the index
    under its id, and nothing else is.
*/
#include <assert.h>
#include <stdlib.h>

#include "hl_queue.h"
#include "hl_idmap.h"
#include "../proto/hl_alloc.h"

typedef struct _s_node_t s_node_t;
struct _s_node_t {
    uint64_t id;
    void *item;
    int lane;              //  -1 while running
    s_node_t *prev, *next; //  on its list
};

typedef struct {
    s_node_t *head, *tail;
    size_t size;
} s_list_t;

struct _hl_queue_t {
    int lanes;         //  lanes in use
    s_list_t *waiting; //  one list per lane
    s_list_t running;  //  in the order they started
    hl_idmap_t *index; //  id -> s_node_t
};

static void
s_push (s_list_t *list, s_node_t *node)
{
    node->next = NULL;
    node->prev = list->tail;
    if (list->tail)
        list->tail->next = node;
    else
        list->head = node;
    list->tail = node;
    list->size++;
}

static void
s_unlink (s_list_t *list, s_node_t *node)
{
    if (node->prev)
        node->prev->next = node->next;
    else
        list->head = node->next;
    if (node->next)
        node->next->prev = node->prev;
    else
        list->tail = node->prev;
    node->prev = node->next = NULL;
    list->size--;
}

hl_queue_t *
hl_queue_new (int lanes)
{
    assert (lanes >= 1 && lanes <= HL_QUEUE_LANES_MAX);
    hl_queue_t *self = (hl_queue_t *)hl_alloc (sizeof *self);
    self->lanes = lanes;
    self->waiting = (s_list_t *)hl_calloc ((size_t)lanes, sizeof (s_list_t));
    self->index = hl_idmap_new (64);
    return self;
}

static void
s_free_list (s_list_t *list)
{
    while (list->head) {
        s_node_t *node = list->head;
        s_unlink (list, node);
        free (node);
    }
}

void
hl_queue_destroy (hl_queue_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_queue_t *self = *self_p;
    for (int lane = 0; lane < self->lanes; lane++)
        s_free_list (&self->waiting[lane]);
    s_free_list (&self->running);
    free (self->waiting);
    hl_idmap_destroy (&self->index);
    free (self);
    *self_p = NULL;
}

void
hl_queue_push (hl_queue_t *self, uint64_t id, int lane, void *item)
{
    assert (self && id && item);
    assert (lane >= 0 && lane < self->lanes);
    assert (!hl_idmap_find (self->index, id));
    s_node_t *node = (s_node_t *)hl_alloc (sizeof *node);
    node->id = id;
    node->item = item;
    node->lane = lane;
    s_push (&self->waiting[lane], node);
    hl_idmap_put (self->index, id, node);
}

void *
hl_queue_find (const hl_queue_t *self, uint64_t id)
{
    assert (self);
    const s_node_t *node = (const s_node_t *)hl_idmap_find (self->index, id);
    return node ? node->item : NULL;
}

bool
hl_queue_started (const hl_queue_t *self, uint64_t id)
{
    assert (self);
    const s_node_t *node = (const s_node_t *)hl_idmap_find (self->index, id);
    return node && node->lane < 0;
}

static s_node_t *
s_first_waiting (const hl_queue_t *self)
{
    for (int lane = 0; lane < self->lanes; lane++)
        if (self->waiting[lane].head)
            return self->waiting[lane].head;
    return NULL;
}

void *
hl_queue_start (hl_queue_t *self)
{
    assert (self);
    s_node_t *node = s_first_waiting (self);
    if (!node)
        return NULL;
    s_unlink (&self->waiting[node->lane], node);
    node->lane = -1;
    s_push (&self->running, node);
    return node->item;
}

void *
hl_queue_remove (hl_queue_t *self, uint64_t id)
{
    assert (self);
    s_node_t *node = (s_node_t *)hl_idmap_find (self->index, id);
    if (!node)
        return NULL;
    s_unlink (node->lane < 0 ? &self->running : &self->waiting[node->lane],
              node);
    hl_idmap_remove (self->index, id);
    void *item = node->item;
    free (node);
    return item;
}

void *
hl_queue_first_waiting (const hl_queue_t *self)
{
    assert (self);
    const s_node_t *node = s_first_waiting (self);
    return node ? node->item : NULL;
}

void *
hl_queue_first_running (const hl_queue_t *self)
{
    assert (self);
    return self->running.head ? self->running.head->item : NULL;
}

void *
hl_queue_next_running (const hl_queue_t *self, uint64_t id)
{
    assert (self);
    const s_node_t *node = (const s_node_t *)hl_idmap_find (self->index, id);
    if (!node || node->lane >= 0 || !node->next)
        return NULL;
    return node->next->item;
}

size_t
hl_queue_waiting (const hl_queue_t *self)
{
    assert (self);
    return hl_idmap_size (self->index) - self->running.size;
}

size_t
hl_queue_running (const hl_queue_t *self)
{
    assert (self);
    return self->running.size;
}
