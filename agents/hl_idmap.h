/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_idmap - a map from a task id (a non-zero 64-bit key) to a borrowed
    pointer: open addressing with linear probing, at most half full,
    removal without tombstones. The agent finds its live tasks and its
    kept results by task id with it.
*/
#ifndef HL_IDMAP_H
#define HL_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct _hl_idmap_t hl_idmap_t;

/*  An empty map with room for about slots / 2 keys before it grows
    (slots is rounded up to a power of two, at least 8). */
hl_idmap_t *hl_idmap_new (size_t slots);

/*  Destroy; accepts NULL and nulls *self_p. The values are not the
    map's. */
void hl_idmap_destroy (hl_idmap_t **self_p);

/*  The value of key, or NULL if absent. */
void *hl_idmap_find (const hl_idmap_t *self, uint64_t key);

/*  Set key (never 0) to value (never NULL), replacing any value it had;
    grows the map as needed. */
void hl_idmap_put (hl_idmap_t *self, uint64_t key, void *value);

/*  Remove key if present. */
void hl_idmap_remove (hl_idmap_t *self, uint64_t key);

/*  Keys held. */
size_t hl_idmap_size (const hl_idmap_t *self);

#endif
