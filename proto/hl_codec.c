/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_codec - a bounded, non-allocating walk over raw msgpack bytes. It
    owns the rules that must hold before msgpack-c may unpack peer data:
    sizes, declared counts against the bytes left, depth, string lengths
    and UTF-8, one root map and nothing after it.
*/
#include <string.h>

#include "hl_codec.h"
#include "hl_err.h"

//  Big-endian reads; the caller has checked the bytes are there.
static uint32_t
s_be (const uint8_t *p, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

//  How many leading bytes of p[0..len) are ASCII other than NUL. Most
//  strings are all ASCII: eight bytes at a time while none has its high
//  bit set and none is NUL, then byte by byte; inline, as the scan calls
//  it for every key.
static inline size_t
s_ascii_prefix (const uint8_t *p, size_t len)
{
    size_t i = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t w;
        memcpy (&w, p + i, 8);
        const uint64_t lo = 0x0101010101010101ULL;
        const uint64_t hi = 0x8080808080808080ULL;
        if ((w & hi) || ((w - lo) & ~w & hi))
            break;
    }
    while (i < len && p[i] >= 0x01 && p[i] < 0x80)
        i++;
    return i;
}

//  Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. A NUL
//  is refused too, since strings are copied into C strings.
int
hl_codec_utf8_ok (const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    const uint8_t *end = p + len;
    while (p < end) {
        p += s_ascii_prefix (p, (size_t)(end - p));
        if (p == end)
            break;
        uint8_t c = *p;
        size_t n;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else
            return 0; //  NUL, stray continuation, 0xc0/0xc1, 0xf5..
        if (n > (size_t)(end - p - 1))
            return 0;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}

//  What the scan needs to know of a tag byte: the kind of item, how many
//  length or count bytes follow it (hdr), how many fixed payload bytes
//  (need), and for the fix* forms the mask that takes the count out of
//  the tag itself. One table look-up per item instead of a switch: the
//  scan runs on every message the proxy forwards.
enum { K_BAD, K_SCALAR, K_STR, K_BIN, K_ARR, K_MAP };

typedef struct {
    uint8_t kind;
    uint8_t hdr;
    uint8_t need;
    uint8_t mask;
} s_tag_t;

#define S_T(k, h, n, m)                                                        \
    {                                                                          \
        K_##k, h, n, m                                                         \
    }
#define S_X2(...) S_T (__VA_ARGS__), S_T (__VA_ARGS__)
#define S_X4(...) S_X2 (__VA_ARGS__), S_X2 (__VA_ARGS__)
#define S_X8(...) S_X4 (__VA_ARGS__), S_X4 (__VA_ARGS__)
#define S_X16(...) S_X8 (__VA_ARGS__), S_X8 (__VA_ARGS__)
#define S_X32(...) S_X16 (__VA_ARGS__), S_X16 (__VA_ARGS__)
#define S_X128(...)                                                            \
    S_X32 (__VA_ARGS__), S_X32 (__VA_ARGS__), S_X32 (__VA_ARGS__),             \
        S_X32 (__VA_ARGS__)

static const s_tag_t s_tags[] = {
    S_X128 (SCALAR, 0, 0, 0), /* 0x00-0x7f positive fixint */
    S_X16 (MAP, 0, 0, 0x0f),  /* 0x80-0x8f fixmap */
    S_X16 (ARR, 0, 0, 0x0f),  /* 0x90-0x9f fixarray */
    S_X32 (STR, 0, 0, 0x1f),  /* 0xa0-0xbf fixstr */
    S_T (SCALAR, 0, 0, 0),    /* 0xc0 nil */
    S_T (BAD, 0, 0, 0),       /* 0xc1 never used */
    S_X2 (SCALAR, 0, 0, 0),   /* 0xc2-0xc3 false, true */
    S_T (BIN, 1, 0, 0),       /* 0xc4 bin 8 */
    S_T (BIN, 2, 0, 0),       /* 0xc5 bin 16 */
    S_T (BIN, 4, 0, 0),       /* 0xc6 bin 32 */
    S_T (BIN, 1, 1, 0),       /* 0xc7 ext 8: + type byte */
    S_T (BIN, 2, 1, 0),       /* 0xc8 ext 16 */
    S_T (BIN, 4, 1, 0),       /* 0xc9 ext 32 */
    S_T (SCALAR, 0, 4, 0),    /* 0xca float 32 */
    S_T (SCALAR, 0, 8, 0),    /* 0xcb float 64 */
    S_T (SCALAR, 0, 1, 0),    /* 0xcc uint 8 */
    S_T (SCALAR, 0, 2, 0),    /* 0xcd uint 16 */
    S_T (SCALAR, 0, 4, 0),    /* 0xce uint 32 */
    S_T (SCALAR, 0, 8, 0),    /* 0xcf uint 64 */
    S_T (SCALAR, 0, 1, 0),    /* 0xd0 int 8 */
    S_T (SCALAR, 0, 2, 0),    /* 0xd1 int 16 */
    S_T (SCALAR, 0, 4, 0),    /* 0xd2 int 32 */
    S_T (SCALAR, 0, 8, 0),    /* 0xd3 int 64 */
    S_T (SCALAR, 0, 2, 0),    /* 0xd4 fixext 1 */
    S_T (SCALAR, 0, 3, 0),    /* 0xd5 fixext 2 */
    S_T (SCALAR, 0, 5, 0),    /* 0xd6 fixext 4 */
    S_T (SCALAR, 0, 9, 0),    /* 0xd7 fixext 8 */
    S_T (SCALAR, 0, 17, 0),   /* 0xd8 fixext 16 */
    S_T (STR, 1, 0, 0),       /* 0xd9 str 8 */
    S_T (STR, 2, 0, 0),       /* 0xda str 16 */
    S_T (STR, 4, 0, 0),       /* 0xdb str 32 */
    S_T (ARR, 2, 0, 0),       /* 0xdc array 16 */
    S_T (ARR, 4, 0, 0),       /* 0xdd array 32 */
    S_T (MAP, 2, 0, 0),       /* 0xde map 16 */
    S_T (MAP, 4, 0, 0),       /* 0xdf map 32 */
    S_X32 (SCALAR, 0, 0, 0),  /* 0xe0-0xff negative fixint */
};
_Static_assert(sizeof s_tags / sizeof s_tags[0] == 256, "one per byte");

int
hl_codec_scan (const uint8_t *data, size_t size, const hl_limits_t *limits)
{
    hl_limits_t lim;
    if (limits) {
        lim = *limits;
        hl_limits_lower (&lim);
    } else
        hl_limits_default (&lim);

    if (!data || size == 0)
        return HL_ERR_MALFORMED;
    if (size > lim.max_msg_size)
        return HL_ERR_TOO_BIG;
    if (s_tags[data[0]].kind != K_MAP)
        return HL_ERR_ROOT;

    const uint8_t *cur = data;
    const uint8_t *end = data + size;
    size_t left[HL_MAX_DEPTH]; //  items still due per open container
    size_t depth = 0;          //  open containers; root is depth 1

    do {
        if (cur >= end)
            return HL_ERR_MALFORMED;
        uint8_t b = *cur++;
        s_tag_t tag = s_tags[b];
        if (tag.kind == K_SCALAR) {
            if (tag.need > (size_t)(end - cur))
                return HL_ERR_MALFORMED;
            cur += tag.need;
        } else {
            if (tag.kind == K_BAD)
                return HL_ERR_MALFORMED;
            size_t count = b & tag.mask;
            size_t need = tag.need;
            if (tag.hdr) {
                if (tag.hdr > (size_t)(end - cur))
                    return HL_ERR_MALFORMED;
                count = s_be (cur, tag.hdr);
                cur += tag.hdr;
            }
            if (tag.kind <= K_BIN) {
                //  Limit first, so an absurd length reads as what it is
                if (count > lim.max_str)
                    return HL_ERR_STRING;
                need += count;
                if (need > (size_t)(end - cur))
                    return HL_ERR_MALFORMED;
                //  Keys and most values are ASCII: the full check only
                //  from the first other byte
                if (tag.kind == K_STR) {
                    size_t i = s_ascii_prefix (cur, count);
                    if (i < count && !hl_codec_utf8_ok (cur + i, count - i))
                        return HL_ERR_UTF8;
                }
                cur += need;
            } else {
                if (depth + 1 > lim.max_depth)
                    return HL_ERR_DEPTH;
                if (count > lim.max_items)
                    return HL_ERR_ITEMS;
                //  Each item takes at least one byte: a count the bytes
                //  left cannot hold is a lie msgpack-c would allocate for
                size_t room = (size_t)(end - cur);
                if (tag.kind == K_MAP ? count > room / 2 : count > room)
                    return HL_ERR_MALFORMED;
                if (count > 0) {
                    left[depth++] = tag.kind == K_MAP ? count * 2 : count;
                    continue;
                }
            }
        }
        //  One item done: close every container it completes.
        while (depth > 0 && --left[depth - 1] == 0)
            depth--;
    } while (depth > 0);

    return cur == end ? 0 : HL_ERR_TRAILING;
}

//  Read a str header at *cur; fills *len and moves past the header.
static int
s_peek_str (const uint8_t **cur, const uint8_t *end, size_t *len)
{
    if (*cur >= end)
        return HL_ERR_MALFORMED;
    uint8_t b = **cur;
    size_t hdr;
    if (b >= 0xa0 && b <= 0xbf) {
        *len = b & 0x1f;
        (*cur)++;
        return 0;
    }
    if (b == 0xd9)
        hdr = 1;
    else if (b == 0xda)
        hdr = 2;
    else if (b == 0xdb)
        hdr = 4;
    else
        return HL_ERR_ROOT;
    if (hdr + 1 > (size_t)(end - *cur))
        return HL_ERR_MALFORMED;
    *len = s_be (*cur + 1, hdr);
    *cur += hdr + 1;
    return 0;
}

//  Check that a str key equal to name is at *cur, and move past it.
static int
s_peek_key (const uint8_t **cur, const uint8_t *end, const char *name)
{
    size_t len;
    int rc = s_peek_str (cur, end, &len);
    if (rc)
        return rc;
    if (len > (size_t)(end - *cur))
        return HL_ERR_MALFORMED;
    if (len != strlen (name) || memcmp (*cur, name, len) != 0)
        return HL_ERR_ROOT;
    *cur += len;
    return 0;
}

int
hl_codec_peek (const uint8_t *data, size_t size, char *type, size_t typesize)
{
    if (!data || size == 0)
        return HL_ERR_MALFORMED;
    const uint8_t *cur = data;
    const uint8_t *end = data + size;
    uint8_t b = *cur++;
    size_t count;
    if (b >= 0x80 && b <= 0x8f)
        count = b & 0x0f;
    else if (b == 0xde || b == 0xdf) {
        size_t hdr = b == 0xde ? 2 : 4;
        if (hdr > (size_t)(end - cur))
            return HL_ERR_MALFORMED;
        count = s_be (cur, hdr);
        cur += hdr;
    } else
        return HL_ERR_ROOT;
    if (count < 2)
        return HL_ERR_ROOT;

    int rc = s_peek_key (&cur, end, "v");
    if (rc)
        return rc;
    if (cur >= end)
        return HL_ERR_MALFORMED;
    b = *cur++;
    uint64_t version;
    if (b <= 0x7f)
        version = b;
    else if (b >= 0xcc && b <= 0xcf) {
        size_t n = (size_t)1 << (b - 0xcc);
        if (n > (size_t)(end - cur))
            return HL_ERR_MALFORMED;
        version = 0;
        for (size_t i = 0; i < n; i++)
            version = (version << 8) | cur[i];
        cur += n;
    } else if (b >= 0xd0 && b <= 0xd3) {
        //  A signed encoding of a small number is still that number.
        size_t n = (size_t)1 << (b - 0xd0);
        if (n > (size_t)(end - cur))
            return HL_ERR_MALFORMED;
        version = (cur[0] & 0x80) ? UINT64_MAX : 0;
        for (size_t i = 0; i < n; i++)
            version = (version << 8) | cur[i];
        cur += n;
    } else if (b >= 0xe0)
        return HL_ERR_VERSION; //  a negative fixint
    else
        return HL_ERR_ROOT;
    if (version != HL_PROTO_VERSION)
        return HL_ERR_VERSION;

    rc = s_peek_key (&cur, end, "t");
    if (rc)
        return rc;
    size_t len;
    rc = s_peek_str (&cur, end, &len);
    if (rc)
        return rc;
    if (len > (size_t)(end - cur))
        return HL_ERR_MALFORMED;
    if (type && typesize > 0) {
        size_t n = len < typesize - 1 ? len : typesize - 1;
        memcpy (type, cur, n);
        type[n] = '\0';
    }
    return 0;
}
