/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_value - a small tree of typed values for the free-form parts of a
    message (task args, result data, tags, event details). Maps have string
    keys and keep insertion order. A value owns its children.
*/
#ifndef HL_VALUE_H
#define HL_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

typedef struct _hl_value_t hl_value_t;

typedef enum {
    HL_VALUE_NIL,
    HL_VALUE_BOOL,
    HL_VALUE_INT,  /* signed 64-bit */
    HL_VALUE_UINT, /* unsigned 64-bit above INT64_MAX */
    HL_VALUE_DOUBLE,
    HL_VALUE_STR, /* UTF-8, NUL-terminated, may hold no NUL itself */
    HL_VALUE_BIN,
    HL_VALUE_ARRAY,
    HL_VALUE_MAP
} hl_value_type_t;

/*  Constructors; the caller owns the result. hl_value_new_uint stores
    values up to INT64_MAX as HL_VALUE_INT. */
hl_value_t *hl_value_new_nil (void);
hl_value_t *hl_value_new_bool (bool b);
hl_value_t *hl_value_new_int (int64_t i);
hl_value_t *hl_value_new_uint (uint64_t u);
hl_value_t *hl_value_new_double (double d);
hl_value_t *hl_value_new_str (const char *s);
hl_value_t *hl_value_new_strn (const char *s, size_t len);
hl_value_t *hl_value_new_bin (const void *data, size_t len);
hl_value_t *hl_value_new_array (void);
hl_value_t *hl_value_new_map (void);

/*  Destroy a value and its children; accepts NULL, nulls *self_p. */
void hl_value_destroy (hl_value_t **self_p);

/*  Deep copy; the caller owns the result. */
hl_value_t *hl_value_dup (const hl_value_t *self);

/*  True when both trees hold the same types and values (maps in order). */
bool hl_value_eq (const hl_value_t *a, const hl_value_t *b);

hl_value_type_t hl_value_type (const hl_value_t *self);

/*  Scalar getters return 0 and fill *out, or -1 when the value is not of a
    compatible type: int accepts INT and UINT <= INT64_MAX; uint accepts
    INT >= 0 and UINT; double accepts INT, UINT and DOUBLE. */
int hl_value_bool (const hl_value_t *self, bool *out);
int hl_value_int (const hl_value_t *self, int64_t *out);
int hl_value_uint (const hl_value_t *self, uint64_t *out);
int hl_value_double (const hl_value_t *self, double *out);

/*  String or bin contents (borrowed), NULL for other types; *len_p, if
    given, gets the length in bytes. */
const char *hl_value_str (const hl_value_t *self, size_t *len_p);
const void *hl_value_bin (const hl_value_t *self, size_t *len_p);

/*  Entries of an array or map; 0 for other types. */
size_t hl_value_size (const hl_value_t *self);

/*  Array item i, or NULL past the end or for a non-array (borrowed). */
const hl_value_t *hl_value_at (const hl_value_t *self, size_t i);

/*  Map entry i's key and value, or NULL (borrowed). */
const char *hl_value_key_at (const hl_value_t *self, size_t i);
const hl_value_t *hl_value_val_at (const hl_value_t *self, size_t i);

/*  Map lookup by key, or NULL (borrowed). */
const hl_value_t *hl_value_get (const hl_value_t *self, const char *key);

/*  Convenience lookups: the value of key as a string, number or bool, or
    the fallback when absent or of another type. */
const char *hl_value_get_str (const hl_value_t *self, const char *key,
                              const char *fallback);
double hl_value_get_double (const hl_value_t *self, const char *key,
                            double fallback);
int64_t hl_value_get_int (const hl_value_t *self, const char *key,
                          int64_t fallback);

/*  Append *item_p to an array; takes ownership and nulls *item_p. Returns
    -1 (and destroys the item) if self is not an array. */
int hl_value_append (hl_value_t *self, hl_value_t **item_p);

/*  Set key to *val_p in a map, replacing an existing entry; takes
    ownership and nulls *val_p. Returns -1 (and destroys the value) if self
    is not a map. */
int hl_value_set (hl_value_t *self, const char *key, hl_value_t **val_p);

/*  Append key (len bytes, cut at a NUL) = *val_p to a map without looking
    for an existing entry: the decoder keeps a peer's map as sent, in O(1).
    Takes ownership and nulls *val_p; -1 (value destroyed) if not a map. */
int hl_value_map_append (hl_value_t *self, const char *key, size_t len,
                         hl_value_t **val_p);

/*  Shorthands for hl_value_set with a fresh scalar. */
int hl_value_set_str (hl_value_t *self, const char *key, const char *s);
int hl_value_set_int (hl_value_t *self, const char *key, int64_t i);
int hl_value_set_double (hl_value_t *self, const char *key, double d);
int hl_value_set_bool (hl_value_t *self, const char *key, bool b);

/*  Render as JSON (new reference). Bin renders as a lowercase hex string;
    doubles that are not finite render as null. */
json_t *hl_value_to_json (const hl_value_t *self);

/*  Build from JSON; integers become INT, reals DOUBLE. Returns NULL for
    NULL input. The caller owns the result. */
hl_value_t *hl_value_from_json (const json_t *json);

#endif
