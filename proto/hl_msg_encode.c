/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_msg_encode - hl_msg to msgpack: the envelope, then the body by
    hl_field's table. Part of hl_msg (see hl_msg_priv.h). The writer
    fills the caller's space while it fits, so that a sender allocates
    nothing per message, and never grows past HL_MSG_MAX_SIZE.
*/
#include <msgpack.h>

#include "hl_codec.h"
#include "hl_msg_priv.h"

typedef struct {
    uint8_t *data;
    size_t size;
    size_t cap;      //  never above HL_MSG_MAX_SIZE; size once over
    uint8_t *caller; //  the caller's buffer, not ours to free
    bool over;       //  past HL_MSG_MAX_SIZE: fail at the end
} s_buf_t;

//  The rare path of s_buf_write: grow, or refuse past HL_MSG_MAX_SIZE.
//  Once over, cap is pinned to size so that every later write comes here.
static __attribute__ ((noinline)) int
s_buf_grow_write (s_buf_t *self, const char *buf, size_t len)
{
    if (self->over || len > HL_MSG_MAX_SIZE - self->size) {
        self->over = true;
        self->cap = self->size;
        return -1;
    }
    size_t cap = self->cap * 2;
    while (cap < self->size + len)
        cap *= 2;
    if (cap > HL_MSG_MAX_SIZE)
        cap = HL_MSG_MAX_SIZE;
    if (self->data == self->caller) {
        uint8_t *grown = (uint8_t *)hl_malloc (cap);
        memcpy (grown, self->data, self->size);
        self->data = grown;
    } else
        self->data = (uint8_t *)hl_realloc (self->data, cap);
    self->cap = cap;
    memcpy (self->data + self->size, buf, len);
    self->size += len;
    return 0;
}

//  msgpack-c calls this for every tag, number and string: one compare on
//  the way in, and a byte loop rather than a call into memcpy for the few
//  bytes most writes carry. Aligned to 64 bytes so that its speed does not
//  depend on where the linker puts it: at some offsets an encode measured
//  15% slower.
static __attribute__ ((aligned (64))) int
s_buf_write (void *data, const char *buf, size_t len)
{
    s_buf_t *self = (s_buf_t *)data;
    if (len > self->cap - self->size)
        return s_buf_grow_write (self, buf, len);
    uint8_t *to = self->data + self->size;
    self->size += len;
    if (len <= 16)
        for (size_t i = 0; i < len; i++)
            to[i] = (uint8_t)buf[i];
    else
        memcpy (to, buf, len);
    return 0;
}

static void
s_pack_str (msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, s, len);
}

#define s_pack_lit(pk, lit) s_pack_str (pk, lit, sizeof (lit) - 1)

//  A string or bin a local caller put in a value is held to the rules a
//  decoder applies, so that nothing is sent that a peer must refuse.
static int
s_check_bytes (const char *s, size_t len, bool text)
{
    if (len > HL_MAX_STR)
        return HL_ERR_STRING;
    return text && !hl_codec_utf8_ok (s, len) ? HL_ERR_UTF8 : 0;
}

//  depth counts the containers around v; deeper than any decoder accepts
//  is refused here so that a runaway tree cannot exhaust the stack.
static int
s_pack_value (msgpack_packer *pk, const hl_value_t *v, size_t depth)
{
    size_t i, len;
    const char *s;
    int rc;
    switch (hl_value_type (v)) {
        case HL_VALUE_NIL:
            return msgpack_pack_nil (pk), 0;
        case HL_VALUE_BOOL: {
            bool b = false;
            hl_value_bool (v, &b);
            return (b ? msgpack_pack_true (pk) : msgpack_pack_false (pk)), 0;
        }
        case HL_VALUE_INT: {
            int64_t n = 0;
            hl_value_int (v, &n);
            return msgpack_pack_int64 (pk, n), 0;
        }
        case HL_VALUE_UINT: {
            uint64_t n = 0;
            hl_value_uint (v, &n);
            return msgpack_pack_uint64 (pk, n), 0;
        }
        case HL_VALUE_DOUBLE: {
            double d = 0;
            hl_value_double (v, &d);
            return msgpack_pack_double (pk, d), 0;
        }
        case HL_VALUE_STR:
            s = hl_value_str (v, &len);
            if ((rc = s_check_bytes (s, len, true)))
                return rc;
            s_pack_str (pk, s, len);
            return 0;
        case HL_VALUE_BIN:
            s = (const char *)hl_value_bin (v, &len);
            if ((rc = s_check_bytes (s, len, false)))
                return rc;
            msgpack_pack_bin (pk, len);
            msgpack_pack_bin_body (pk, s, len);
            return 0;
        case HL_VALUE_ARRAY:
            if (depth >= HL_MAX_DEPTH)
                return HL_ERR_DEPTH;
            if (hl_value_size (v) > HL_MAX_ITEMS)
                return HL_ERR_ITEMS;
            msgpack_pack_array (pk, hl_value_size (v));
            for (i = 0; i < hl_value_size (v); i++) {
                rc = s_pack_value (pk, hl_value_at (v, i), depth + 1);
                if (rc)
                    return rc;
            }
            return 0;
        case HL_VALUE_MAP:
            if (depth >= HL_MAX_DEPTH)
                return HL_ERR_DEPTH;
            if (hl_value_size (v) > HL_MAX_ITEMS)
                return HL_ERR_ITEMS;
            msgpack_pack_map (pk, hl_value_size (v));
            for (i = 0; i < hl_value_size (v); i++) {
                s = hl_value_key_at (v, i);
                if ((rc = s_check_bytes (s, strlen (s), true)))
                    return rc;
                s_pack_str (pk, s, strlen (s));
                rc = s_pack_value (pk, hl_value_val_at (v, i), depth + 1);
                if (rc)
                    return rc;
            }
            return 0;
    }
    return HL_ERR_MISTYPED;
}

//  A writer that only counts, for hl_msg_value_size
static int
s_count_write (void *data, const char *buf, size_t len)
{
    (void)buf;
    *(size_t *)data += len;
    return 0;
}

size_t
hl_msg_value_size (const hl_value_t *v)
{
    size_t size = 0;
    msgpack_packer pk;
    msgpack_packer_init (&pk, &size, s_count_write);
    s_pack_value (&pk, v, 0);
    return size;
}

static int
s_pack_samples (msgpack_packer *pk, const hl_msg_t *self)
{
    msgpack_pack_array (pk, self->nsamples);
    for (size_t i = 0; i < self->nsamples; i++) {
        const hl_sample_t *sample = &self->samples[i];
        msgpack_pack_map (pk, sample->tags ? 4 : 3);
        s_pack_lit (pk, "name");
        s_pack_str (pk, sample->name, strlen (sample->name));
        s_pack_lit (pk, "value");
        msgpack_pack_double (pk, sample->value);
        s_pack_lit (pk, "ts");
        msgpack_pack_int64 (pk, sample->ts);
        if (sample->tags) {
            s_pack_lit (pk, "tags");
            int rc = s_pack_value (pk, sample->tags, 4);
            if (rc)
                return rc;
        }
    }
    return 0;
}

//  v then t first: the envelope's signature (hl_codec_peek)
static void
s_pack_envelope (msgpack_packer *pk, const hl_msg_t *self)
{
    bool has_src = self->src && *self->src;
    size_t len;
    const char *type = hl_msg_type_strn (self->type, &len);
    msgpack_pack_map (pk, 5 + (self->re != 0) + has_src);
    s_pack_lit (pk, "v");
    msgpack_pack_uint8 (pk, HL_PROTO_VERSION);
    s_pack_lit (pk, "t");
    s_pack_str (pk, type, len);
    s_pack_lit (pk, "id");
    msgpack_pack_uint64 (pk, self->id);
    if (self->re) {
        s_pack_lit (pk, "re");
        msgpack_pack_uint64 (pk, self->re);
    }
    if (has_src) {
        s_pack_lit (pk, "src");
        s_pack_str (pk, self->src, strlen (self->src));
    }
    s_pack_lit (pk, "ts");
    msgpack_pack_int64 (pk, self->ts);
}

//  The value of one set field
static int
s_pack_field (msgpack_packer *pk, const hl_msg_t *self,
              const hl_field_spec_t *spec)
{
    const hl_field_num_t *num = hl_msg_num_slot (self, spec->field);
    switch (spec->kind) {
        case HL_FIELD_KIND_STR:
            s_pack_str (pk, self->str[spec->field],
                        strlen (self->str[spec->field]));
            return 0;
        case HL_FIELD_KIND_U32:
        case HL_FIELD_KIND_U64:
            return msgpack_pack_uint64 (pk, num->u), 0;
        case HL_FIELD_KIND_I64:
            return msgpack_pack_int64 (pk, num->i), 0;
        case HL_FIELD_KIND_DBL:
            return msgpack_pack_double (pk, num->d), 0;
        case HL_FIELD_KIND_BOOL:
            return (num->b ? msgpack_pack_true (pk) : msgpack_pack_false (pk)),
                   0;
        case HL_FIELD_KIND_SAMPLES:
            return s_pack_samples (pk, self);
        default:
            return s_pack_value (pk, *hl_msg_val_slot (self, spec->field), 2);
    }
}

static int
s_pack_body (msgpack_packer *pk, const hl_msg_t *self)
{
    size_t nspecs;
    const hl_field_spec_t *specs = hl_field_specs (self->type, &nspecs);
    size_t count = 0;
    for (size_t i = 0; i < nspecs; i++)
        count += hl_msg_is_set (self, &specs[i]);
    s_pack_lit (pk, "body");
    msgpack_pack_map (pk, count);
    for (size_t i = 0; i < nspecs; i++) {
        const hl_field_spec_t *spec = &specs[i];
        if (!hl_msg_is_set (self, spec))
            continue;
        s_pack_str (pk, spec->key, spec->keylen);
        int rc = s_pack_field (pk, self, spec);
        if (rc)
            return rc;
    }
    return 0;
}

int
hl_msg_encode (const hl_msg_t *self, uint8_t **data_p, size_t *size_p)
{
    return hl_msg_encode_buf (self, NULL, 0, data_p, size_p);
}

int
hl_msg_encode_buf (const hl_msg_t *self, uint8_t *space, size_t space_size,
                   uint8_t **data_p, size_t *size_p)
{
    if (!self || !data_p || !size_p)
        return HL_ERR_ARGS;
    *data_p = NULL;
    *size_p = 0;
    int rc = hl_msg_validate (self, true);
    if (rc)
        return rc;
    if (self->src && strlen (self->src) > HL_MAX_NAME)
        return HL_ERR_STRING;
    if (self->src && !hl_codec_utf8_ok (self->src, strlen (self->src)))
        return HL_ERR_UTF8;

    if (space && space_size > HL_MSG_MAX_SIZE)
        space_size = HL_MSG_MAX_SIZE;
    s_buf_t buf = { space, 0, space_size, space, false };
    if (!space || space_size < 16) {
        buf.data = (uint8_t *)hl_malloc (256);
        buf.cap = 256;
        buf.caller = NULL;
    }
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, s_buf_write);
    s_pack_envelope (&pk, self);
    rc = s_pack_body (&pk, self);
    if (rc == 0 && (buf.over || buf.size > HL_MSG_MAX_SIZE))
        rc = HL_ERR_TOO_BIG;
    if (rc)
        goto fail;
    *data_p = buf.data;
    *size_p = buf.size;
    return 0;
fail:
    if (buf.data != buf.caller)
        free (buf.data);
    return rc;
}
