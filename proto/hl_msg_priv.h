/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_msg_priv - the inside of hl_msg_t, private to the files of the
    hl_msg module: hl_msg.c (the object, its fields, topics, validation),
    hl_msg_encode.c, hl_msg_decode.c and hl_msg_json.c. They share the
    struct rather than going through the public getters because encoding
    and decoding are the bus's hot path: each walks hl_field's table over
    the slots directly, with no call per field. Nothing outside proto/
    includes this header.
*/
#ifndef HL_MSG_PRIV_H
#define HL_MSG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hl_alloc.h"
#include "hl_field.h"
#include "hl_msg.h"

#define HL_MSG_ARENA 128 /* bytes of short strings held in the message */

struct _hl_msg_t {
    hl_msg_type_t type;
    uint64_t id;
    uint64_t re;
    char *src;                         //  NULL means ""
    int64_t ts;                        //  envelope time, µs
    uint64_t set;                      //  HL_FIELD_BIT (field) per field set
    char *str[HL_FIELD_STRS];          //  string fields, NULL until set
    hl_field_num_t num[HL_FIELD_NUMS]; //  scalar fields
    hl_value_t *val[HL_FIELD_VALS];    //  value fields
    hl_sample_t *samples;              //  METRICS batch
    size_t nsamples;
    size_t samples_cap;
    size_t routing_id_len;
    size_t arena_used;
    //  Not zeroed at creation (written before read): the routing id, and
    //  short strings, which live here rather than in their own allocation
    //  so that a metric's src and name cost no malloc on the hot path.
    uint8_t routing_id[HL_MAX_ROUTING_ID];
    char arena[HL_MSG_ARENA];
};

/*  A message of a valid type with every field unset, id 0 and ts 0. */
hl_msg_t *hl_msg_alloc (hl_msg_type_t type);

/*  The type whose wire name is name[0..len), or HL_ERR_TYPE. */
int hl_msg_type_from_strn (const char *name, size_t len);

/*  A valid type's wire name, and its length in *len_p. */
const char *hl_msg_type_strn (hl_msg_type_t type, size_t *len_p);

/*  Check every field of self against its type's specs, and a failed
    reply's error. deep: the message was built locally, so also check what
    hl_codec_scan and the decoder prove of received ones (UTF-8, value
    shapes). Returns 0 or a negative hl_err_t. */
int hl_msg_validate (const hl_msg_t *self, bool deep);

/*  Drop every METRICS sample. */
void hl_msg_clear_samples (hl_msg_t *self);

//  The scalar or value slot of a field; NULL for a field of another class,
//  so that no out-of-range index is ever formed. Static inline: the codec
//  calls these for every field.
static inline hl_field_num_t *
hl_msg_num_slot (const hl_msg_t *self, int field)
{
    if (field < HL_FIELD_STR_END || field >= HL_FIELD_NUM_END)
        return NULL;
    return (hl_field_num_t *)&self->num[field - HL_FIELD_STR_END];
}

static inline hl_value_t **
hl_msg_val_slot (const hl_msg_t *self, int field)
{
    if (field < HL_FIELD_NUM_END || field >= HL_FIELD_VAL_END)
        return NULL;
    return (hl_value_t **)&self->val[field - HL_FIELD_NUM_END];
}

/*  Whether the field of spec is set: samples count, others their bit. */
static inline bool
hl_msg_is_set (const hl_msg_t *self, const hl_field_spec_t *spec)
{
    if (spec->kind == HL_FIELD_KIND_SAMPLES)
        return self->nsamples > 0;
    return (self->set & HL_FIELD_BIT (spec->field)) != 0;
}

//  A copy of s[0..len) owned by self: in its arena while there is room
static inline char *
hl_msg_strndup (hl_msg_t *self, const char *s, size_t len)
{
    if (len + 1 > HL_MSG_ARENA - self->arena_used)
        return hl_strndup (s, len);
    char *copy = self->arena + self->arena_used;
    self->arena_used += len + 1;
    memcpy (copy, s, len);
    copy[len] = '\0';
    return copy;
}

//  Free a string from hl_msg_strndup (a replaced one's arena bytes stay
//  used: the arena only grows, and is small)
static inline void
hl_msg_strfree (hl_msg_t *self, char *s)
{
    if (s && (s < self->arena || s >= self->arena + HL_MSG_ARENA))
        free (s);
}

#endif
