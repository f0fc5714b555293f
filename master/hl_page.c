/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_page - each item is measured as the encoder will write it
    (hl_msg_value_size), so that a page never passes the message limit
    whatever its items hold.
*/
#include <assert.h>
#include <stdlib.h>

#include "../proto/hl_alloc.h"
#include "../proto/hl_limits.h"
#include "../proto/hl_msg.h"
#include "hl_page.h"

struct _hl_page_t {
    hl_value_t *items; /* array, owned until taken */
    size_t budget;     /* bytes the items may take */
    size_t limit;      /* items at most */
    size_t used;       /* bytes taken */
    uint64_t next;     /* cursor of the first left out */
    uint64_t more;     /* left out */
};

hl_page_t *
hl_page_new (size_t max_msg_size, size_t limit)
{
    hl_page_t *self = (hl_page_t *)hl_alloc (sizeof (hl_page_t));
    self->items = hl_value_new_array ();
    if (max_msg_size == 0 || max_msg_size > HL_MSG_MAX_SIZE)
        max_msg_size = HL_MSG_MAX_SIZE;
    self->budget
        = max_msg_size > HL_PAGE_OVERHEAD ? max_msg_size - HL_PAGE_OVERHEAD : 0;
    self->limit = limit && limit < HL_MAX_ITEMS ? limit : HL_MAX_ITEMS;
    return self;
}

void
hl_page_destroy (hl_page_t **self_p)
{
    assert (self_p);
    hl_page_t *self = *self_p;
    if (!self)
        return;
    hl_value_destroy (&self->items);
    free (self);
    *self_p = NULL;
}

bool
hl_page_add (hl_page_t *self, hl_value_t **item_p, uint64_t cursor)
{
    assert (item_p && *item_p && cursor);
    if (!self->more) {
        size_t size = hl_msg_value_size (*item_p);
        if (hl_value_size (self->items) < self->limit
            && size <= self->budget - self->used) {
            self->used += size;
            hl_value_append (self->items, item_p);
            return true;
        }
        self->next = cursor;
    }
    self->more++;
    hl_value_destroy (item_p);
    return false;
}

void
hl_page_skip (hl_page_t *self, size_t n)
{
    self->more += n;
}

hl_value_t *
hl_page_items (hl_page_t *self)
{
    hl_value_t *items = self->items;
    self->items = NULL;
    return items;
}

uint64_t
hl_page_next (const hl_page_t *self)
{
    return self->next;
}

uint64_t
hl_page_more (const hl_page_t *self)
{
    return self->more;
}

size_t
hl_page_size (const hl_page_t *self)
{
    return self->items ? hl_value_size (self->items) : 0;
}

size_t
hl_page_bytes (const hl_page_t *self)
{
    return self->used;
}
