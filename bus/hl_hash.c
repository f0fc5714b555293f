/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_hash - FNV-1a and splitmix64's finaliser.
*/
#include "hl_hash.h"

#define S_FNV_OFFSET 14695981039346656037ULL
#define S_FNV_PRIME 1099511628211ULL

uint64_t
hl_hash_bytes (const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    uint64_t h = S_FNV_OFFSET;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * S_FNV_PRIME;
    return h;
}

uint64_t
hl_hash_str (const char *s)
{
    uint64_t h = S_FNV_OFFSET;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * S_FNV_PRIME;
    return h;
}

uint64_t
hl_hash_u64 (uint64_t key)
{
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebULL;
    key ^= key >> 31;
    return key;
}
