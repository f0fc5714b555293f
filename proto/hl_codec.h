/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_codec - the bounded msgpack reader that runs before msgpack-c ever
    sees peer bytes. msgpack-c allocates for a declared count before it
    reads the items, so every count, length and depth is checked here
    against the limits and against the bytes that remain.
*/
#ifndef HL_CODEC_H
#define HL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "hl_limits.h"

/*  Check that data holds exactly one msgpack map within limits (NULL:
    defaults): sizes, counts against remaining bytes, depth, string
    lengths, UTF-8 of str items, no trailing bytes. Returns 0 or a negative
    hl_err_t (HL_ERR_MALFORMED, _TOO_BIG, _ROOT, _STRING, _ITEMS, _DEPTH,
    _UTF8, _TRAILING). */
int hl_codec_scan (const uint8_t *data, size_t size, const hl_limits_t *limits);

/*  Cheap signature check for forwarders: the envelope is a map whose first
    entry is "v" = HL_PROTO_VERSION and whose second is "t" = a string. On
    success copies the type name into type (NUL-terminated, truncated to
    typesize - 1) and returns 0; else HL_ERR_ROOT, HL_ERR_VERSION or
    HL_ERR_MALFORMED. Reads at most the first few dozen bytes. */
int hl_codec_peek (const uint8_t *data, size_t size, char *type,
                   size_t typesize);

/*  1 if len bytes at data are strict UTF-8 (no overlongs, surrogates,
    code points above U+10FFFF, nor NUL), else 0. */
int hl_codec_utf8_ok (const void *data, size_t len);

#endif
