/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_msg_json - hl_msg rendered as JSON (jansson) for the spy, logs and
    the HTTP API: the envelope, the topic of bus types, and the body by
    hl_field's table. Part of hl_msg (see hl_msg_priv.h).
*/
#include <math.h>

#include "hl_msg_priv.h"

static json_t *
s_json_u64 (uint64_t u)
{
    return u <= INT64_MAX ? json_integer ((json_int_t)u)
                          : json_real ((double)u);
}

static json_t *
s_json_dbl (double d)
{
    return isfinite (d) ? json_real (d) : json_null ();
}

static json_t *
s_json_str (const char *s)
{
    json_t *json = json_string (s);
    return json ? json : json_null (); //  invalid UTF-8 set locally
}

static bool
s_is_bus (const hl_msg_t *self)
{
    switch (self->type) {
        case HL_MSG_METRIC:
        case HL_MSG_METRICS:
        case HL_MSG_KPI:
        case HL_MSG_HEALTH:
        case HL_MSG_CYCLE:
        case HL_MSG_AGENT:
        case HL_MSG_ALERT:
            return true;
        case HL_MSG_TASK:
            return (self->set & HL_FIELD_BIT (HL_FIELD_EVENT)) != 0;
        default:
            return false;
    }
}

static json_t *
s_json_samples (const hl_msg_t *self)
{
    json_t *array = json_array ();
    for (size_t i = 0; i < self->nsamples; i++) {
        const hl_sample_t *sample = &self->samples[i];
        json_t *obj = json_object ();
        json_object_set_new (obj, "name", s_json_str (sample->name));
        json_object_set_new (obj, "value", s_json_dbl (sample->value));
        json_object_set_new (obj, "ts", json_integer ((json_int_t)sample->ts));
        if (sample->tags)
            json_object_set_new (obj, "tags", hl_value_to_json (sample->tags));
        json_array_append_new (array, obj);
    }
    return array;
}

//  The value of one set field
static json_t *
s_json_field (const hl_msg_t *self, const hl_field_spec_t *spec)
{
    const hl_field_num_t *num = hl_msg_num_slot (self, spec->field);
    switch (spec->kind) {
        case HL_FIELD_KIND_STR:
            return s_json_str (self->str[spec->field]);
        case HL_FIELD_KIND_U32:
        case HL_FIELD_KIND_U64:
            return s_json_u64 (num->u);
        case HL_FIELD_KIND_I64:
            return json_integer ((json_int_t)num->i);
        case HL_FIELD_KIND_DBL:
            return s_json_dbl (num->d);
        case HL_FIELD_KIND_BOOL:
            return json_boolean (num->b);
        case HL_FIELD_KIND_SAMPLES:
            return s_json_samples (self);
        default:
            return hl_value_to_json (*hl_msg_val_slot (self, spec->field));
    }
}

json_t *
hl_msg_to_json (const hl_msg_t *self)
{
    if (!self)
        return NULL;
    json_t *json = json_object ();
    char topic[HL_MAX_TOPIC + 1];
    if (s_is_bus (self) && hl_msg_topic (self, topic, sizeof topic) >= 0)
        json_object_set_new (json, "topic", s_json_str (topic));
    json_object_set_new (json, "type",
                         json_string (hl_msg_type_name (self->type)));
    json_object_set_new (json, "id", s_json_u64 (self->id));
    json_object_set_new (json, "re", s_json_u64 (self->re));
    json_object_set_new (json, "src", s_json_str (hl_msg_src (self)));
    json_object_set_new (json, "ts", json_integer ((json_int_t)self->ts));

    json_t *body = json_object ();
    size_t count;
    const hl_field_spec_t *specs = hl_field_specs (self->type, &count);
    for (size_t i = 0; i < count; i++)
        if (hl_msg_is_set (self, &specs[i]))
            json_object_set_new (body, specs[i].key,
                                 s_json_field (self, &specs[i]));
    json_object_set_new (json, "body", body);
    return json;
}

char *
hl_msg_to_json_str (const hl_msg_t *self)
{
    json_t *json = hl_msg_to_json (self);
    if (!json)
        return NULL;
    char *text = json_dumps (json, JSON_COMPACT);
    json_decref (json);
    return text;
}
