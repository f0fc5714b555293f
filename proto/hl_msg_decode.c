/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_msg_decode - msgpack to hl_msg: hl_codec_scan first (unless the
    bytes passed it already), then msgpack-c unpacks into a per-thread
    zone, then the envelope and hl_field's table turn objects into typed
    fields, copying strings out, and validation ends it. Part of hl_msg
    (see hl_msg_priv.h).
*/
#include <pthread.h>

#include <msgpack.h>

#include "hl_codec.h"
#include "hl_msg_priv.h"

static bool
s_key_is (const msgpack_object *key, const char *name, size_t len)
{
    //  Keys are a few bytes: the first one sorts out most candidates
    return key->type == MSGPACK_OBJECT_STR && key->via.str.size == len
           && len > 0 && key->via.str.ptr[0] == name[0]
           && memcmp (key->via.str.ptr, name, len) == 0;
}

static int
s_obj_u64 (const msgpack_object *o, uint64_t *out)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        *out = o->via.u64;
        return 0;
    }
    return o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? HL_ERR_RANGE
                                                      : HL_ERR_MISTYPED;
}

static int
s_obj_i64 (const msgpack_object *o, int64_t *out)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > INT64_MAX)
            return HL_ERR_RANGE;
        *out = (int64_t)o->via.u64;
        return 0;
    }
    return HL_ERR_MISTYPED;
}

static int
s_obj_dbl (const msgpack_object *o, double *out)
{
    switch (o->type) {
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            *out = o->via.f64;
            return 0;
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            *out = (double)o->via.u64;
            return 0;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            *out = (double)o->via.i64;
            return 0;
        default:
            return HL_ERR_MISTYPED;
    }
}

static int
s_obj_value (const msgpack_object *o, hl_value_t **out)
{
    hl_value_t *v = NULL;
    int rc = 0;
    uint32_t i;
    switch (o->type) {
        case MSGPACK_OBJECT_NIL:
            v = hl_value_new_nil ();
            break;
        case MSGPACK_OBJECT_BOOLEAN:
            v = hl_value_new_bool (o->via.boolean);
            break;
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            v = hl_value_new_uint (o->via.u64);
            break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            v = hl_value_new_int (o->via.i64);
            break;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            v = hl_value_new_double (o->via.f64);
            break;
        case MSGPACK_OBJECT_STR:
            v = hl_value_new_strn (o->via.str.ptr, o->via.str.size);
            break;
        case MSGPACK_OBJECT_BIN:
            v = hl_value_new_bin (o->via.bin.ptr, o->via.bin.size);
            break;
        case MSGPACK_OBJECT_ARRAY:
            v = hl_value_new_array ();
            for (i = 0; i < o->via.array.size && rc == 0; i++) {
                hl_value_t *item = NULL;
                rc = s_obj_value (&o->via.array.ptr[i], &item);
                if (rc == 0)
                    hl_value_append (v, &item);
            }
            break;
        case MSGPACK_OBJECT_MAP:
            v = hl_value_new_map ();
            for (i = 0; i < o->via.map.size && rc == 0; i++) {
                const msgpack_object_kv *kv = &o->via.map.ptr[i];
                hl_value_t *item = NULL;
                if (kv->key.type != MSGPACK_OBJECT_STR)
                    rc = HL_ERR_MISTYPED;
                else
                    rc = s_obj_value (&kv->val, &item);
                if (rc == 0)
                    hl_value_map_append (v, kv->key.via.str.ptr,
                                         kv->key.via.str.size, &item);
            }
            break;
        default:
            rc = HL_ERR_MISTYPED; //  ext has no place in a value
            break;
    }
    if (rc)
        hl_value_destroy (&v);
    *out = v;
    return rc;
}

static int
s_obj_tags (const msgpack_object *o, hl_value_t **out)
{
    *out = NULL;
    if (o->type != MSGPACK_OBJECT_MAP)
        return HL_ERR_MISTYPED;
    for (uint32_t i = 0; i < o->via.map.size; i++)
        if (o->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR
            || o->via.map.ptr[i].val.type != MSGPACK_OBJECT_STR)
            return HL_ERR_MISTYPED;
    return s_obj_value (o, out);
}

static int
s_obj_sample (const msgpack_object *o, hl_sample_t *sample)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return HL_ERR_MISTYPED;
    int rc = 0;
    unsigned seen = 0;
    for (uint32_t i = 0; i < o->via.map.size && rc == 0; i++) {
        const msgpack_object *key = &o->via.map.ptr[i].key;
        const msgpack_object *val = &o->via.map.ptr[i].val;
        if (key->type != MSGPACK_OBJECT_STR)
            rc = HL_ERR_MISTYPED;
        else if (s_key_is (key, "name", 4)) {
            if (val->type != MSGPACK_OBJECT_STR)
                rc = HL_ERR_MISTYPED;
            else if (val->via.str.size > HL_MAX_METRIC)
                rc = HL_ERR_STRING;
            else {
                memcpy (sample->name, val->via.str.ptr, val->via.str.size);
                sample->name[val->via.str.size] = '\0';
                seen |= 1;
            }
        } else if (s_key_is (key, "value", 5)) {
            rc = s_obj_dbl (val, &sample->value);
            seen |= 2;
        } else if (s_key_is (key, "ts", 2)) {
            rc = s_obj_i64 (val, &sample->ts);
            seen |= 4;
        } else if (s_key_is (key, "tags", 4)) {
            hl_value_destroy (&sample->tags);
            rc = s_obj_tags (val, &sample->tags);
        }
    }
    if (rc == 0 && seen != 7)
        rc = HL_ERR_MISSING;
    return rc;
}

static int
s_obj_samples (hl_msg_t *self, const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return HL_ERR_MISTYPED;
    hl_msg_clear_samples (self);
    uint32_t n = o->via.array.size;
    //  n is bounded by the scan (max_items, bytes remaining).
    if (n)
        self->samples = (hl_sample_t *)hl_calloc (n, sizeof (hl_sample_t));
    self->samples_cap = n;
    for (uint32_t i = 0; i < n; i++) {
        //  Counted before filling, so a failure still frees its tags.
        self->nsamples++;
        int rc = s_obj_sample (&o->via.array.ptr[i], &self->samples[i]);
        if (rc)
            return rc;
    }
    self->set |= HL_FIELD_BIT (HL_FIELD_SAMPLES);
    return 0;
}

static int
s_obj_field (hl_msg_t *self, const hl_field_spec_t *spec,
             const msgpack_object *o)
{
    hl_field_num_t *num = hl_msg_num_slot (self, spec->field);
    hl_value_t **val = hl_msg_val_slot (self, spec->field);
    int rc = 0;
    switch (spec->kind) {
        case HL_FIELD_KIND_STR:
            if (o->type != MSGPACK_OBJECT_STR)
                return HL_ERR_MISTYPED;
            //  Length first: a name field never copies 64 KiB.
            if (o->via.str.size > spec->maxlen)
                return HL_ERR_STRING;
            hl_msg_strfree (self, self->str[spec->field]);
            self->str[spec->field]
                = hl_msg_strndup (self, o->via.str.ptr, o->via.str.size);
            break;
        case HL_FIELD_KIND_U32:
            rc = s_obj_u64 (o, &num->u);
            if (rc == 0 && num->u > UINT32_MAX)
                rc = HL_ERR_RANGE;
            break;
        case HL_FIELD_KIND_U64:
            rc = s_obj_u64 (o, &num->u);
            break;
        case HL_FIELD_KIND_I64:
            rc = s_obj_i64 (o, &num->i);
            break;
        case HL_FIELD_KIND_DBL:
            rc = s_obj_dbl (o, &num->d);
            break;
        case HL_FIELD_KIND_BOOL:
            if (o->type != MSGPACK_OBJECT_BOOLEAN)
                return HL_ERR_MISTYPED;
            num->b = o->via.boolean;
            break;
        case HL_FIELD_KIND_MAP:
            if (o->type != MSGPACK_OBJECT_MAP)
                return HL_ERR_MISTYPED;
            hl_value_destroy (val);
            rc = s_obj_value (o, val);
            break;
        case HL_FIELD_KIND_TAGS:
            hl_value_destroy (val);
            rc = s_obj_tags (o, val);
            break;
        case HL_FIELD_KIND_ACTIONS:
            if (o->type != MSGPACK_OBJECT_ARRAY)
                return HL_ERR_MISTYPED;
            for (uint32_t i = 0; i < o->via.array.size; i++) {
                const msgpack_object *item = &o->via.array.ptr[i];
                if (item->type != MSGPACK_OBJECT_STR)
                    return HL_ERR_MISTYPED;
                if (item->via.str.size > HL_MAX_METRIC)
                    return HL_ERR_STRING;
            }
            hl_value_destroy (val);
            rc = s_obj_value (o, val);
            break;
        case HL_FIELD_KIND_ANY:
            hl_value_destroy (val);
            rc = s_obj_value (o, val);
            break;
        case HL_FIELD_KIND_SAMPLES:
            return s_obj_samples (self, o);
    }
    if (rc == 0)
        self->set |= HL_FIELD_BIT (spec->field);
    return rc;
}

static int
s_obj_body (hl_msg_t *self, const msgpack_object *body)
{
    size_t nspecs;
    const hl_field_spec_t *specs = hl_field_specs (self->type, &nspecs);
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        const msgpack_object *key = &body->via.map.ptr[i].key;
        if (key->type != MSGPACK_OBJECT_STR)
            return HL_ERR_MISTYPED;
        //  Unknown keys are skipped: a newer peer may send more.
        for (size_t j = 0; j < nspecs; j++) {
            if (s_key_is (key, specs[j].key, specs[j].keylen)) {
                int rc
                    = s_obj_field (self, &specs[j], &body->via.map.ptr[i].val);
                if (rc)
                    return rc;
                break;
            }
        }
    }
    return 0;
}

//  The signature: "v" = HL_PROTO_VERSION, then "t" = a known type.
//  Returns the type, or a negative hl_err_t.
static int
s_obj_signature (const msgpack_object_kv *kv, uint32_t size)
{
    if (size < 2 || !s_key_is (&kv[0].key, "v", 1))
        return HL_ERR_ROOT;
    if (kv[0].val.type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (kv[0].val.via.u64 != HL_PROTO_VERSION)
            return HL_ERR_VERSION;
    } else if (kv[0].val.type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return HL_ERR_VERSION;
    else
        return HL_ERR_ROOT;
    if (!s_key_is (&kv[1].key, "t", 1) || kv[1].val.type != MSGPACK_OBJECT_STR)
        return HL_ERR_ROOT;
    return hl_msg_type_from_strn (kv[1].val.via.str.ptr,
                                  kv[1].val.via.str.size);
}

static int
s_obj_src (hl_msg_t *self, const msgpack_object *val)
{
    if (val->type != MSGPACK_OBJECT_STR)
        return HL_ERR_MISTYPED;
    if (val->via.str.size > HL_MAX_NAME)
        return HL_ERR_STRING;
    hl_msg_strfree (self, self->src);
    self->src = hl_msg_strndup (self, val->via.str.ptr, val->via.str.size);
    return 0;
}

//  The entries after the signature: id, re, ts and src into self, and
//  *body_p the body, which with id and ts is required.
static int
s_obj_head (hl_msg_t *self, const msgpack_object_kv *kv, uint32_t size,
            const msgpack_object **body_p)
{
    unsigned seen = 0;
    int rc = 0;
    for (uint32_t i = 2; i < size && rc == 0; i++) {
        const msgpack_object *key = &kv[i].key;
        const msgpack_object *val = &kv[i].val;
        if (key->type != MSGPACK_OBJECT_STR)
            rc = HL_ERR_MISTYPED;
        else if (s_key_is (key, "v", 1) || s_key_is (key, "t", 1))
            rc = HL_ERR_ROOT; //  a second v or t would fool forwarders
        else if (s_key_is (key, "id", 2)) {
            rc = s_obj_u64 (val, &self->id);
            seen |= 1;
        } else if (s_key_is (key, "re", 2))
            rc = s_obj_u64 (val, &self->re);
        else if (s_key_is (key, "ts", 2)) {
            rc = s_obj_i64 (val, &self->ts);
            seen |= 2;
        } else if (s_key_is (key, "src", 3))
            rc = s_obj_src (self, val);
        else if (s_key_is (key, "body", 4)) {
            if (val->type != MSGPACK_OBJECT_MAP)
                rc = HL_ERR_MISTYPED;
            *body_p = val;
        }
    }
    if (rc == 0 && (seen != 3 || !*body_p))
        rc = HL_ERR_MISSING;
    return rc;
}

static int
s_obj_envelope (const msgpack_object *root, hl_msg_t **msg_p)
{
    //  The scan guarantees a map root.
    const msgpack_object_kv *kv = root->via.map.ptr;
    uint32_t size = root->via.map.size;
    int type = s_obj_signature (kv, size);
    if (type < 0)
        return type;
    hl_msg_t *self = hl_msg_alloc ((hl_msg_type_t)type);
    const msgpack_object *body = NULL;
    int rc = s_obj_head (self, kv, size, &body);
    if (rc == 0)
        rc = s_obj_body (self, body);
    if (rc == 0)
        rc = hl_msg_validate (self, false);
    if (rc)
        goto fail;
    *msg_p = self;
    return 0;
fail:
    hl_msg_destroy (&self);
    return rc;
}

//  One unpacking zone per thread, cleared after each decode and kept for
//  the next: a zone per message cost a large malloc and free each time.
//  The thread-specific key frees it when its thread ends.
static pthread_key_t s_zone_key;
static pthread_once_t s_zone_once = PTHREAD_ONCE_INIT;

static void
s_zone_free (void *zone)
{
    msgpack_zone_free ((msgpack_zone *)zone);
}

static void
s_zone_key_new (void)
{
    if (pthread_key_create (&s_zone_key, s_zone_free))
        abort ();
}

static msgpack_zone *
s_zone (void)
{
    pthread_once (&s_zone_once, s_zone_key_new);
    msgpack_zone *zone = (msgpack_zone *)pthread_getspecific (s_zone_key);
    if (!zone) {
        zone = msgpack_zone_new (4096);
        if (!zone || pthread_setspecific (s_zone_key, zone))
            abort ();
    }
    return zone;
}

static int
s_decode_scanned (const uint8_t *data, size_t size, hl_msg_t **msg_p)
{
    int rc;
    //  The scan bounds every count by the bytes behind it, so the zone
    //  grows at most linearly with size.
    msgpack_zone *zone = s_zone ();
    msgpack_object root;
    size_t offset = 0;
    msgpack_unpack_return ret
        = msgpack_unpack ((const char *)data, size, &offset, zone, &root);
    if (ret == MSGPACK_UNPACK_SUCCESS && offset == size)
        rc = s_obj_envelope (&root, msg_p);
    else
        rc = ret == MSGPACK_UNPACK_NOMEM_ERROR ? HL_ERR_TOO_BIG
                                               : HL_ERR_MALFORMED;
    msgpack_zone_clear (zone);
    return rc;
}

int
hl_msg_decode (const uint8_t *data, size_t size, const hl_limits_t *limits,
               hl_msg_t **msg_p)
{
    if (!msg_p)
        return HL_ERR_ARGS;
    *msg_p = NULL;
    int rc = hl_codec_scan (data, size, limits);
    if (rc)
        return rc;
    return s_decode_scanned (data, size, msg_p);
}

int
hl_msg_decode_scanned (const uint8_t *data, size_t size, hl_msg_t **msg_p)
{
    if (!msg_p)
        return HL_ERR_ARGS;
    *msg_p = NULL;
    if (!data || size == 0)
        return HL_ERR_MALFORMED;
    return s_decode_scanned (data, size, msg_p);
}
