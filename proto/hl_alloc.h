/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_alloc - the one allocator. Out of memory aborts (style §3), so no
    caller checks for NULL. Sizes a peer controls are capped before they
    get here. Everything returned is freed with free().
*/
#ifndef HL_ALLOC_H
#define HL_ALLOC_H

#include <stddef.h>

/*  size zeroed bytes (at least one, so 0 is never NULL). */
void *hl_alloc (size_t size);

/*  size bytes (at least one), not zeroed: for the hot paths that write
    every byte before they read it (a decoded message, an encode buffer). */
void *hl_malloc (size_t size);

/*  count * size zeroed bytes; aborts if the product overflows. */
void *hl_calloc (size_t count, size_t size);

/*  Resize p (which may be NULL) to size bytes (at least one); the bytes
    beyond the old size are not zeroed. */
void *hl_realloc (void *p, size_t size);

/*  A copy of s, "" for NULL. */
char *hl_strdup (const char *s);

/*  A NUL-terminated copy of s[0..len); s need not be terminated. */
char *hl_strndup (const char *s, size_t len);

#endif
