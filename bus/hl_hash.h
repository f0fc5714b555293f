/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_hash - the one small hash for in-memory tables: FNV-1a over bytes
    and strings, and splitmix64's finaliser for integer keys (task ids
    are sequential; the finaliser spreads them). Not for untrusted keys
    where collisions could be forced at scale: tables keyed by peer input
    are bounded in size.
*/
#ifndef HL_HASH_H
#define HL_HASH_H

#include <stddef.h>
#include <stdint.h>

/*  FNV-1a of data[0..len). */
uint64_t hl_hash_bytes (const void *data, size_t len);

/*  FNV-1a of a NUL-terminated string. */
uint64_t hl_hash_str (const char *s);

/*  A 64-bit integer, mixed. */
uint64_t hl_hash_u64 (uint64_t key);

#endif
