/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_value - a small owned tree of typed values. Maps are a flat array of
    (key, value) entries in insertion order: they stay small in practice
    and a flat array costs one allocation per growth step.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hl_alloc.h"
#include "hl_value.h"

typedef struct {
    char *key;       /* NUL-terminated, owned */
    hl_value_t *val; /* owned */
} s_entry_t;

struct _hl_value_t {
    hl_value_type_t type;
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double d;
        struct {
            char *data; /* owned; NUL-terminated for STR and BIN */
            size_t len; /* bytes, without the NUL */
        } s;
        struct {
            void *items; /* hl_value_t ** or s_entry_t *, owned */
            size_t size; /* entries in use */
            size_t cap;  /* entries allocated */
        } c;
    } u;
};

static hl_value_t *
s_new (hl_value_type_t type)
{
    hl_value_t *self = (hl_value_t *)hl_alloc (sizeof (hl_value_t));
    self->type = type;
    return self;
}

hl_value_t *
hl_value_new_nil (void)
{
    return s_new (HL_VALUE_NIL);
}

hl_value_t *
hl_value_new_bool (bool b)
{
    hl_value_t *self = s_new (HL_VALUE_BOOL);
    self->u.b = b;
    return self;
}

hl_value_t *
hl_value_new_int (int64_t i)
{
    hl_value_t *self = s_new (HL_VALUE_INT);
    self->u.i = i;
    return self;
}

hl_value_t *
hl_value_new_uint (uint64_t u)
{
    if (u <= INT64_MAX)
        return hl_value_new_int ((int64_t)u);
    hl_value_t *self = s_new (HL_VALUE_UINT);
    self->u.u = u;
    return self;
}

hl_value_t *
hl_value_new_double (double d)
{
    hl_value_t *self = s_new (HL_VALUE_DOUBLE);
    self->u.d = d;
    return self;
}

static hl_value_t *
s_new_bytes (hl_value_type_t type, const void *data, size_t len)
{
    hl_value_t *self = s_new (type);
    self->u.s.data = (char *)hl_alloc (len + 1); /* zeroed: the NUL */
    if (len)
        memcpy (self->u.s.data, data, len);
    self->u.s.len = len;
    return self;
}

hl_value_t *
hl_value_new_str (const char *s)
{
    if (!s)
        s = "";
    return s_new_bytes (HL_VALUE_STR, s, strlen (s));
}

hl_value_t *
hl_value_new_strn (const char *s, size_t len)
{
    if (!s)
        return hl_value_new_str ("");
    //  A STR never holds a NUL: cut at the first one.
    return s_new_bytes (HL_VALUE_STR, s, strnlen (s, len));
}

hl_value_t *
hl_value_new_bin (const void *data, size_t len)
{
    return s_new_bytes (HL_VALUE_BIN, data, data ? len : 0);
}

hl_value_t *
hl_value_new_array (void)
{
    return s_new (HL_VALUE_ARRAY);
}

hl_value_t *
hl_value_new_map (void)
{
    return s_new (HL_VALUE_MAP);
}

void
hl_value_destroy (hl_value_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_value_t *self = *self_p;
    size_t i;
    switch (self->type) {
        case HL_VALUE_STR:
        case HL_VALUE_BIN:
            free (self->u.s.data);
            break;
        case HL_VALUE_ARRAY:
            for (i = 0; i < self->u.c.size; i++)
                hl_value_destroy (&((hl_value_t **)self->u.c.items)[i]);
            free (self->u.c.items);
            break;
        case HL_VALUE_MAP:
            for (i = 0; i < self->u.c.size; i++) {
                s_entry_t *e = &((s_entry_t *)self->u.c.items)[i];
                free (e->key);
                hl_value_destroy (&e->val);
            }
            free (self->u.c.items);
            break;
        default:
            break;
    }
    free (self);
    *self_p = NULL;
}

//  Make room for one more entry of elem bytes in a container.
static void
s_grow (hl_value_t *self, size_t elem)
{
    if (self->u.c.size < self->u.c.cap)
        return;
    size_t cap = self->u.c.cap ? self->u.c.cap * 2 : 4;
    self->u.c.items = hl_realloc (self->u.c.items, cap * elem);
    self->u.c.cap = cap;
}

hl_value_t *
hl_value_dup (const hl_value_t *self)
{
    if (!self)
        return NULL;
    hl_value_t *copy;
    size_t i;
    switch (self->type) {
        case HL_VALUE_STR:
        case HL_VALUE_BIN:
            return s_new_bytes (self->type, self->u.s.data, self->u.s.len);
        case HL_VALUE_ARRAY:
            copy = hl_value_new_array ();
            for (i = 0; i < self->u.c.size; i++) {
                hl_value_t *item
                    = hl_value_dup (((hl_value_t **)self->u.c.items)[i]);
                hl_value_append (copy, &item);
            }
            return copy;
        case HL_VALUE_MAP:
            copy = hl_value_new_map ();
            for (i = 0; i < self->u.c.size; i++) {
                const s_entry_t *e = &((s_entry_t *)self->u.c.items)[i];
                hl_value_t *val = hl_value_dup (e->val);
                hl_value_map_append (copy, e->key, strlen (e->key), &val);
            }
            return copy;
        default:
            copy = s_new (self->type);
            copy->u = self->u;
            return copy;
    }
}

bool
hl_value_eq (const hl_value_t *a, const hl_value_t *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return false;
    size_t i;
    switch (a->type) {
        case HL_VALUE_NIL:
            return true;
        case HL_VALUE_BOOL:
            return a->u.b == b->u.b;
        case HL_VALUE_INT:
            return a->u.i == b->u.i;
        case HL_VALUE_UINT:
            return a->u.u == b->u.u;
        case HL_VALUE_DOUBLE:
            //  NaN equals NaN here so that a decoded tree equals its copy.
            return a->u.d == b->u.d || (isnan (a->u.d) && isnan (b->u.d));
        case HL_VALUE_STR:
        case HL_VALUE_BIN:
            return a->u.s.len == b->u.s.len
                   && memcmp (a->u.s.data, b->u.s.data, a->u.s.len) == 0;
        case HL_VALUE_ARRAY:
            if (a->u.c.size != b->u.c.size)
                return false;
            for (i = 0; i < a->u.c.size; i++)
                if (!hl_value_eq (((hl_value_t **)a->u.c.items)[i],
                                  ((hl_value_t **)b->u.c.items)[i]))
                    return false;
            return true;
        case HL_VALUE_MAP:
            if (a->u.c.size != b->u.c.size)
                return false;
            for (i = 0; i < a->u.c.size; i++) {
                const s_entry_t *ea = &((s_entry_t *)a->u.c.items)[i];
                const s_entry_t *eb = &((s_entry_t *)b->u.c.items)[i];
                if (strcmp (ea->key, eb->key) != 0
                    || !hl_value_eq (ea->val, eb->val))
                    return false;
            }
            return true;
    }
    return false;
}

hl_value_type_t
hl_value_type (const hl_value_t *self)
{
    return self ? self->type : HL_VALUE_NIL;
}

int
hl_value_bool (const hl_value_t *self, bool *out)
{
    if (!self || self->type != HL_VALUE_BOOL)
        return -1;
    *out = self->u.b;
    return 0;
}

int
hl_value_int (const hl_value_t *self, int64_t *out)
{
    //  UINT only ever holds values above INT64_MAX.
    if (!self || self->type != HL_VALUE_INT)
        return -1;
    *out = self->u.i;
    return 0;
}

int
hl_value_uint (const hl_value_t *self, uint64_t *out)
{
    if (self && self->type == HL_VALUE_INT && self->u.i >= 0) {
        *out = (uint64_t)self->u.i;
        return 0;
    }
    if (self && self->type == HL_VALUE_UINT) {
        *out = self->u.u;
        return 0;
    }
    return -1;
}

int
hl_value_double (const hl_value_t *self, double *out)
{
    if (!self)
        return -1;
    switch (self->type) {
        case HL_VALUE_INT:
            *out = (double)self->u.i;
            return 0;
        case HL_VALUE_UINT:
            *out = (double)self->u.u;
            return 0;
        case HL_VALUE_DOUBLE:
            *out = self->u.d;
            return 0;
        default:
            return -1;
    }
}

const char *
hl_value_str (const hl_value_t *self, size_t *len_p)
{
    if (!self || self->type != HL_VALUE_STR)
        return NULL;
    if (len_p)
        *len_p = self->u.s.len;
    return self->u.s.data;
}

const void *
hl_value_bin (const hl_value_t *self, size_t *len_p)
{
    if (!self || self->type != HL_VALUE_BIN)
        return NULL;
    if (len_p)
        *len_p = self->u.s.len;
    return self->u.s.data;
}

size_t
hl_value_size (const hl_value_t *self)
{
    if (!self || (self->type != HL_VALUE_ARRAY && self->type != HL_VALUE_MAP))
        return 0;
    return self->u.c.size;
}

const hl_value_t *
hl_value_at (const hl_value_t *self, size_t i)
{
    if (!self || self->type != HL_VALUE_ARRAY || i >= self->u.c.size)
        return NULL;
    return ((hl_value_t **)self->u.c.items)[i];
}

const char *
hl_value_key_at (const hl_value_t *self, size_t i)
{
    if (!self || self->type != HL_VALUE_MAP || i >= self->u.c.size)
        return NULL;
    return ((s_entry_t *)self->u.c.items)[i].key;
}

const hl_value_t *
hl_value_val_at (const hl_value_t *self, size_t i)
{
    if (!self || self->type != HL_VALUE_MAP || i >= self->u.c.size)
        return NULL;
    return ((s_entry_t *)self->u.c.items)[i].val;
}

static s_entry_t *
s_find (const hl_value_t *self, const char *key)
{
    if (!self || self->type != HL_VALUE_MAP || !key)
        return NULL;
    s_entry_t *entries = (s_entry_t *)self->u.c.items;
    for (size_t i = 0; i < self->u.c.size; i++)
        if (strcmp (entries[i].key, key) == 0)
            return &entries[i];
    return NULL;
}

const hl_value_t *
hl_value_get (const hl_value_t *self, const char *key)
{
    s_entry_t *e = s_find (self, key);
    return e ? e->val : NULL;
}

const char *
hl_value_get_str (const hl_value_t *self, const char *key, const char *fallback)
{
    const char *s = hl_value_str (hl_value_get (self, key), NULL);
    return s ? s : fallback;
}

double
hl_value_get_double (const hl_value_t *self, const char *key, double fallback)
{
    double d;
    return hl_value_double (hl_value_get (self, key), &d) == 0 ? d : fallback;
}

int64_t
hl_value_get_int (const hl_value_t *self, const char *key, int64_t fallback)
{
    int64_t i;
    return hl_value_int (hl_value_get (self, key), &i) == 0 ? i : fallback;
}

int
hl_value_append (hl_value_t *self, hl_value_t **item_p)
{
    hl_value_t *item = item_p ? *item_p : NULL;
    if (item_p)
        *item_p = NULL;
    if (!self || self->type != HL_VALUE_ARRAY || !item) {
        hl_value_destroy (&item);
        return -1;
    }
    s_grow (self, sizeof (hl_value_t *));
    ((hl_value_t **)self->u.c.items)[self->u.c.size++] = item;
    return 0;
}

int
hl_value_map_append (hl_value_t *self, const char *key, size_t len,
                     hl_value_t **val_p)
{
    hl_value_t *val = val_p ? *val_p : NULL;
    if (val_p)
        *val_p = NULL;
    if (!self || self->type != HL_VALUE_MAP || !key || !val) {
        hl_value_destroy (&val);
        return -1;
    }
    s_grow (self, sizeof (s_entry_t));
    s_entry_t *e = &((s_entry_t *)self->u.c.items)[self->u.c.size++];
    len = strnlen (key, len);
    e->key = hl_strndup (key, len);
    e->val = val;
    return 0;
}

int
hl_value_set (hl_value_t *self, const char *key, hl_value_t **val_p)
{
    s_entry_t *e = s_find (self, key);
    if (e && val_p && *val_p) {
        hl_value_destroy (&e->val);
        e->val = *val_p;
        *val_p = NULL;
        return 0;
    }
    return hl_value_map_append (self, key, key ? strlen (key) : 0, val_p);
}

int
hl_value_set_str (hl_value_t *self, const char *key, const char *s)
{
    hl_value_t *v = hl_value_new_str (s);
    return hl_value_set (self, key, &v);
}

int
hl_value_set_int (hl_value_t *self, const char *key, int64_t i)
{
    hl_value_t *v = hl_value_new_int (i);
    return hl_value_set (self, key, &v);
}

int
hl_value_set_double (hl_value_t *self, const char *key, double d)
{
    hl_value_t *v = hl_value_new_double (d);
    return hl_value_set (self, key, &v);
}

int
hl_value_set_bool (hl_value_t *self, const char *key, bool b)
{
    hl_value_t *v = hl_value_new_bool (b);
    return hl_value_set (self, key, &v);
}

json_t *
hl_value_to_json (const hl_value_t *self)
{
    static const char hex[] = "0123456789abcdef";
    json_t *json;
    size_t i;
    if (!self)
        return json_null ();
    switch (self->type) {
        case HL_VALUE_BOOL:
            return json_boolean (self->u.b);
        case HL_VALUE_INT:
            return json_integer ((json_int_t)self->u.i);
        case HL_VALUE_UINT:
            //  JSON integers stop at INT64_MAX in jansson.
            return json_real ((double)self->u.u);
        case HL_VALUE_DOUBLE:
            return isfinite (self->u.d) ? json_real (self->u.d) : json_null ();
        case HL_VALUE_STR:
            json = json_stringn (self->u.s.data, self->u.s.len);
            //  jansson refuses invalid UTF-8 that a local caller may set.
            return json ? json : json_null ();
        case HL_VALUE_BIN: {
            char *text = (char *)hl_alloc (self->u.s.len * 2 + 1);
            const uint8_t *bytes = (const uint8_t *)self->u.s.data;
            for (i = 0; i < self->u.s.len; i++) {
                text[2 * i] = hex[bytes[i] >> 4];
                text[2 * i + 1] = hex[bytes[i] & 15];
            }
            json = json_stringn (text, self->u.s.len * 2);
            free (text);
            return json;
        }
        case HL_VALUE_ARRAY:
            json = json_array ();
            for (i = 0; i < self->u.c.size; i++)
                json_array_append_new (
                    json,
                    hl_value_to_json (((hl_value_t **)self->u.c.items)[i]));
            return json;
        case HL_VALUE_MAP:
            json = json_object ();
            for (i = 0; i < self->u.c.size; i++) {
                const s_entry_t *e = &((s_entry_t *)self->u.c.items)[i];
                json_object_set_new (json, e->key, hl_value_to_json (e->val));
            }
            return json;
        default:
            return json_null ();
    }
}

hl_value_t *
hl_value_from_json (const json_t *json)
{
    hl_value_t *self;
    size_t i;
    const char *key;
    json_t *item;
    if (!json)
        return NULL;
    switch (json_typeof (json)) {
        case JSON_OBJECT:
            self = hl_value_new_map ();
            json_object_foreach ((json_t *)json, key, item) {
                hl_value_t *val = hl_value_from_json (item);
                hl_value_map_append (self, key, strlen (key), &val);
            }
            return self;
        case JSON_ARRAY:
            self = hl_value_new_array ();
            json_array_foreach (json, i, item) {
                hl_value_t *val = hl_value_from_json (item);
                hl_value_append (self, &val);
            }
            return self;
        case JSON_STRING:
            return hl_value_new_strn (json_string_value (json),
                                      json_string_length (json));
        case JSON_INTEGER:
            return hl_value_new_int ((int64_t)json_integer_value (json));
        case JSON_REAL:
            return hl_value_new_double (json_real_value (json));
        case JSON_TRUE:
            return hl_value_new_bool (true);
        case JSON_FALSE:
            return hl_value_new_bool (false);
        default:
            return hl_value_new_nil ();
    }
}
