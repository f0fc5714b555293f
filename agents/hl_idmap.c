/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_idmap - open addressing from task id to pointer. Invariants: the
    slots are a power of two, at most half of them hold a key, and every
    key sits in the probe run that starts at its home slot.
*/
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#include "hl_idmap.h"
#include "../bus/hl_hash.h"
#include "../proto/hl_alloc.h"

typedef struct {
    uint64_t key; //  0: empty
    void *value;
} s_slot_t;

struct _hl_idmap_t {
    s_slot_t *slots;
    size_t mask; //  slots - 1, slots a power of two
    size_t size; //  keys held, at most half the slots
};

//  Master task ids are sequential: mixed, they spread over the slots
static size_t
s_home (const hl_idmap_t *self, uint64_t key)
{
    return (size_t)hl_hash_u64 (key) & self->mask;
}

static void
s_init (hl_idmap_t *self, size_t slots)
{
    self->slots = (s_slot_t *)hl_calloc (slots, sizeof *self->slots);
    self->mask = slots - 1;
    self->size = 0;
}

hl_idmap_t *
hl_idmap_new (size_t slots)
{
    size_t n = 8;
    while (n < slots)
        n *= 2;
    hl_idmap_t *self = (hl_idmap_t *)hl_alloc (sizeof *self);
    s_init (self, n);
    return self;
}

void
hl_idmap_destroy (hl_idmap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->slots);
    free (*self_p);
    *self_p = NULL;
}

void *
hl_idmap_find (const hl_idmap_t *self, uint64_t key)
{
    assert (self);
    for (size_t i = s_home (self, key);; i = (i + 1) & self->mask) {
        if (self->slots[i].key == key && key)
            return self->slots[i].value;
        if (self->slots[i].key == 0)
            return NULL;
    }
}

static void
s_grow (hl_idmap_t *self)
{
    hl_idmap_t bigger;
    s_init (&bigger, (self->mask + 1) * 2);
    for (size_t i = 0; i <= self->mask; i++)
        if (self->slots[i].key)
            hl_idmap_put (&bigger, self->slots[i].key, self->slots[i].value);
    free (self->slots);
    *self = bigger;
}

void
hl_idmap_put (hl_idmap_t *self, uint64_t key, void *value)
{
    assert (self && key && value);
    if ((self->size + 1) * 2 > self->mask + 1)
        s_grow (self);
    size_t i = s_home (self, key);
    while (self->slots[i].key && self->slots[i].key != key)
        i = (i + 1) & self->mask;
    if (self->slots[i].key == 0)
        self->size++;
    self->slots[i].key = key;
    self->slots[i].value = value;
}

void
hl_idmap_remove (hl_idmap_t *self, uint64_t key)
{
    assert (self);
    if (!key)
        return;
    size_t i = s_home (self, key);
    while (self->slots[i].key != key) {
        if (self->slots[i].key == 0)
            return;
        i = (i + 1) & self->mask;
    }
    //  Shift later entries of the probe run back, so that no tombstones
    //  are needed: an entry moves if its home is not in (i, j]
    size_t j = i;
    while (true) {
        j = (j + 1) & self->mask;
        if (self->slots[j].key == 0)
            break;
        size_t home = s_home (self, self->slots[j].key);
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            self->slots[i] = self->slots[j];
            i = j;
        }
    }
    self->slots[i].key = 0;
    self->slots[i].value = NULL;
    self->size--;
}

size_t
hl_idmap_size (const hl_idmap_t *self)
{
    assert (self);
    return self->size;
}
