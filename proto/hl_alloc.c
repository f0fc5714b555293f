/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_alloc - malloc, calloc, realloc and string copies that abort on
    failure.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hl_alloc.h"

static void
s_out_of_memory (size_t size)
{
    fprintf (stderr, "helios: out of memory (%zu bytes)\n", size);
    abort ();
}

void *
hl_alloc (size_t size)
{
    void *p = calloc (1, size ? size : 1);
    if (!p)
        s_out_of_memory (size);
    return p;
}

void *
hl_malloc (size_t size)
{
    void *p = malloc (size ? size : 1);
    if (!p)
        s_out_of_memory (size);
    return p;
}

void *
hl_calloc (size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        s_out_of_memory (SIZE_MAX);
    void *p = calloc (count ? count : 1, size ? size : 1);
    if (!p)
        s_out_of_memory (count * size);
    return p;
}

void *
hl_realloc (void *p, size_t size)
{
    void *q = realloc (p, size ? size : 1);
    if (!q)
        s_out_of_memory (size);
    return q;
}

char *
hl_strdup (const char *s)
{
    if (!s)
        s = "";
    return hl_strndup (s, strlen (s));
}

char *
hl_strndup (const char *s, size_t len)
{
    if (len == SIZE_MAX)
        s_out_of_memory (len);
    char *copy = (char *)malloc (len + 1);
    if (!copy)
        s_out_of_memory (len + 1);
    memcpy (copy, s, len);
    copy[len] = '\0';
    return copy;
}
