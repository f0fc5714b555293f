/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_page - one page of a list a control reply carries: items taken in
    order while they fit the bytes of a message and a count, and a
    cursor that asks for the rest. The reply says next (the cursor of
    the first item left out) and more (how many were left out).
*/
#ifndef HL_PAGE_H
#define HL_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/hl_value.h"

/*  What a reply's envelope and fields take around its data at most (the
    longest src, re, ok, next and more, the array's header). */
#define HL_PAGE_OVERHEAD 512

typedef struct _hl_page_t hl_page_t;

/*  A page for a message of max_msg_size bytes holding at most limit
    items (0: HL_MAX_ITEMS). */
hl_page_t *hl_page_new (size_t max_msg_size, size_t limit);
void hl_page_destroy (hl_page_t **self_p);

/*  Offer the next item, whose cursor (>= 1) asks for the list from it
    on. Takes *item_p. true if it is on the page; false once an item has
    not fitted: it and every later one are counted as left out. */
bool hl_page_add (hl_page_t *self, hl_value_t **item_p, uint64_t cursor);

/*  Count n more items left out without building them (after add said
    false). */
void hl_page_skip (hl_page_t *self, size_t n);

/*  The items on the page, an array; the caller owns it. Once only. */
hl_value_t *hl_page_items (hl_page_t *self);

/*  The cursor of the first item left out, 0 if none was. */
uint64_t hl_page_next (const hl_page_t *self);

/*  Items left out. */
uint64_t hl_page_more (const hl_page_t *self);

/*  Items on the page, and their bytes. */
size_t hl_page_size (const hl_page_t *self);
size_t hl_page_bytes (const hl_page_t *self);

#endif
