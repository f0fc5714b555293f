/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_setting - libconfig settings read into C types, each failure told
    as "file:line: setting.path: reason": the line is the setting's own,
    and a file pulled in by @include names itself.
*/
#include "hl_setting.h"
#include "../proto/hl_alloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

//  The setting's path as written in the file: "metrics[2].better"
static void
s_setting_path (const config_setting_t *setting, char *out, size_t size)
{
    const config_setting_t *parent = config_setting_parent (setting);
    if (!parent) {
        out[0] = '\0'; // the root has no name
        return;
    }
    s_setting_path (parent, out, size);
    size_t used = strlen (out);
    const char *name = config_setting_name (setting);
    if (name)
        snprintf (out + used, size - used, "%s%s", used ? "." : "", name);
    else
        snprintf (out + used, size - used, "[%d]",
                  config_setting_index (setting));
}

int
hl_setting_fail (hl_setting_ctx_t *ctx, const config_setting_t *setting,
                 const char *fmt, ...)
{
    if (!ctx->err || ctx->errsize == 0)
        return -1;
    const char *file = ctx->path;
    int line = 0;
    char where[256] = "";
    if (setting) {
        //  An @include'd file reports its own name
        if (config_setting_source_file (setting))
            file = config_setting_source_file (setting);
        line = config_setting_source_line (setting);
        s_setting_path (setting, where, sizeof where);
    }
    int n = snprintf (ctx->err, ctx->errsize, "%s:%d: %s%s", file, line, where,
                      where[0] ? ": " : "");
    if (n >= 0 && (size_t)n < ctx->errsize) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (ctx->err + n, ctx->errsize - (size_t)n, fmt, args);
        va_end (args);
    }
    return -1;
}

static const char *
s_type_name (const config_setting_t *setting)
{
    switch (config_setting_type (setting)) {
        case CONFIG_TYPE_GROUP:
            return "a group";
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
            return "an integer";
        case CONFIG_TYPE_FLOAT:
            return "a float";
        case CONFIG_TYPE_STRING:
            return "a string";
        case CONFIG_TYPE_BOOL:
            return "a boolean";
        case CONFIG_TYPE_ARRAY:
            return "an array";
        case CONFIG_TYPE_LIST:
            return "a list";
        default:
            return "nothing";
    }
}

int
hl_setting_wrong_type (hl_setting_ctx_t *ctx, const config_setting_t *setting,
                       const char *expected)
{
    return hl_setting_fail (ctx, setting, "wrong type: expected %s, got %s",
                            expected, s_type_name (setting));
}

static bool
s_in_list (const char *value, const char **list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp (value, list[i]) == 0)
            return true;
    return false;
}

bool
hl_setting_known (const char *name, const char **keys)
{
    return strncmp (name, "x_", 2) == 0 || s_in_list (name, keys);
}

int
hl_setting_check_keys (hl_setting_ctx_t *ctx, const config_setting_t *group,
                       const char **keys)
{
    int count = config_setting_length (group);
    for (int i = 0; i < count; i++) {
        const config_setting_t *member = config_setting_get_elem (group, i);
        const char *name = config_setting_name (member);
        if (name && !hl_setting_known (name, keys))
            return hl_setting_fail (ctx, member, "unknown key \"%s\"", name);
    }
    return 0;
}

int
hl_setting_require (hl_setting_ctx_t *ctx, const config_setting_t *group,
                    const char *name)
{
    if (!config_setting_get_member (group, name))
        return hl_setting_fail (ctx, group, "missing required setting \"%s\"",
                                name);
    return 0;
}

int
hl_setting_int64 (hl_setting_ctx_t *ctx, const config_setting_t *setting,
                  int64_t min, int64_t max, int64_t *out)
{
    int type = config_setting_type (setting);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return hl_setting_wrong_type (ctx, setting, "an integer");
    long long value = config_setting_get_int64 (setting);
    if (value < min || value > max)
        return hl_setting_fail (ctx, setting, "%lld out of range %lld..%lld",
                                value, (long long)min, (long long)max);
    *out = value;
    return 0;
}

int
hl_setting_read_int (hl_setting_ctx_t *ctx, const config_setting_t *group,
                     const char *name, int min, int max, int *out)
{
    const config_setting_t *setting = config_setting_get_member (group, name);
    if (!setting)
        return 0;
    int64_t value;
    if (hl_setting_int64 (ctx, setting, min, max, &value))
        return -1;
    *out = (int)value;
    return 0;
}

//  A number; libconfig keeps 2 and 2.0 apart, so accept both
int
hl_setting_number (hl_setting_ctx_t *ctx, const config_setting_t *setting,
                   double min, double max, double *out)
{
    int type = config_setting_type (setting);
    double value;
    if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
        value = (double)config_setting_get_int64 (setting);
    else if (type == CONFIG_TYPE_FLOAT)
        value = config_setting_get_float (setting);
    else
        return hl_setting_wrong_type (ctx, setting, "a number");
    if (!isfinite (value) || value < min || value > max)
        return hl_setting_fail (ctx, setting, "%g out of range %g..%g", value,
                                min, max);
    *out = value;
    return 0;
}

int
hl_setting_read_double (hl_setting_ctx_t *ctx, const config_setting_t *group,
                        const char *name, double min, double max, double *out)
{
    const config_setting_t *setting = config_setting_get_member (group, name);
    return setting ? hl_setting_number (ctx, setting, min, max, out) : 0;
}

int
hl_setting_read_bool (hl_setting_ctx_t *ctx, const config_setting_t *group,
                      const char *name, bool *out)
{
    const config_setting_t *setting = config_setting_get_member (group, name);
    if (!setting)
        return 0;
    if (config_setting_type (setting) != CONFIG_TYPE_BOOL)
        return hl_setting_wrong_type (ctx, setting,
                                      "a boolean (true or false)");
    *out = config_setting_get_bool (setting) != 0;
    return 0;
}

const char *
hl_setting_string (hl_setting_ctx_t *ctx, const config_setting_t *setting,
                   size_t size)
{
    if (config_setting_type (setting) != CONFIG_TYPE_STRING) {
        hl_setting_wrong_type (ctx, setting, "a string");
        return NULL;
    }
    const char *value = config_setting_get_string (setting);
    if (strlen (value) >= size) {
        hl_setting_fail (ctx, setting, "too long (%zu bytes, at most %zu)",
                         strlen (value), size - 1);
        return NULL;
    }
    return value;
}

int
hl_setting_read_string (hl_setting_ctx_t *ctx, const config_setting_t *group,
                        const char *name, char *out, size_t size)
{
    const config_setting_t *setting = config_setting_get_member (group, name);
    if (!setting)
        return 0;
    const char *value = hl_setting_string (ctx, setting, size);
    if (!value)
        return -1;
    memcpy (out, value, strlen (value) + 1);
    return 0;
}

static void
s_join (const char **list, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; list[i] && used < size; i++) {
        const char *sep = i == 0 ? "" : list[i + 1] ? ", " : " or ";
        int n = snprintf (out + used, size - used, "%s%s", sep, list[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int
hl_setting_read_enum (hl_setting_ctx_t *ctx, const config_setting_t *group,
                      const char *name, const char **list, int *index)
{
    const config_setting_t *setting = config_setting_get_member (group, name);
    if (!setting)
        return 0;
    const char *value = hl_setting_string (ctx, setting, 64);
    if (!value)
        return -1;
    for (int i = 0; list[i]; i++)
        if (strcmp (value, list[i]) == 0) {
            *index = i;
            return 0;
        }
    char choices[128];
    s_join (list, choices, sizeof choices);
    return hl_setting_fail (ctx, setting, "bad value \"%s\": must be one of %s",
                            value, choices);
}

bool
hl_setting_is_list (const config_setting_t *setting)
{
    int type = config_setting_type (setting);
    return type == CONFIG_TYPE_LIST
           || (type == CONFIG_TYPE_ARRAY
               && config_setting_length (setting) == 0);
}

static bool
s_name_ok (const char *name, const char *extra)
{
    if (!*name)
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
              || (*c >= '0' && *c <= '9') || *c == '_' || strchr (extra, *c)))
            return false;
    return true;
}

int
hl_setting_read_name (hl_setting_ctx_t *ctx, const config_setting_t *group,
                      char *out, size_t size)
{
    if (hl_setting_require (ctx, group, "name"))
        return -1;
    const config_setting_t *setting = config_setting_get_member (group, "name");
    const char *value = hl_setting_string (ctx, setting, size);
    if (!value)
        return -1;
    if (!s_name_ok (value, ".:-"))
        return hl_setting_fail (
            ctx, setting, "bad name \"%s\": use 1 or more of [A-Za-z0-9_.:-]",
            value);
    memcpy (out, value, strlen (value) + 1);
    return 0;
}

//  --------------------------------------------------------------------
//  Endpoints, sections, lists

static bool
s_zmq_endpoint_ok (const char *value)
{
    static const char *schemes[] = { "tcp://", "ipc://", "inproc://", NULL };
    for (size_t i = 0; schemes[i]; i++) {
        size_t n = strlen (schemes[i]);
        if (strncmp (value, schemes[i], n) == 0 && value[n] != '\0')
            return true;
    }
    return false;
}

//  "host:port" with a non-empty host and a port 0..65535
static bool
s_host_port_ok (const char *value)
{
    const char *colon = strrchr (value, ':');
    if (!colon || colon == value || colon[1] == '\0')
        return false;
    long port = 0;
    for (const char *c = colon + 1; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        port = port * 10 + (*c - '0');
        if (port > 65535)
            return false;
    }
    return true;
}

int
hl_setting_read_endpoint (hl_setting_ctx_t *ctx, const config_setting_t *group,
                          const char *name, char *out, size_t size)
{
    const config_setting_t *setting = config_setting_get_member (group, name);
    if (!setting)
        return 0;
    const char *value = hl_setting_string (ctx, setting, size);
    if (!value)
        return -1;
    if (!s_zmq_endpoint_ok (value))
        return hl_setting_fail (ctx, setting,
                                "bad endpoint \"%s\": must start with tcp://, "
                                "ipc:// or inproc://",
                                value);
    memcpy (out, value, strlen (value) + 1);
    return 0;
}

int
hl_setting_read_listen (hl_setting_ctx_t *ctx, const config_setting_t *group,
                        const char *name, char *out, size_t size)
{
    const config_setting_t *setting = config_setting_get_member (group, name);
    if (!setting)
        return 0;
    const char *value = hl_setting_string (ctx, setting, size);
    if (!value)
        return -1;
    if (*value && !s_host_port_ok (value))
        return hl_setting_fail (
            ctx, setting, "bad endpoint \"%s\": must be host:port or \"\"",
            value);
    memcpy (out, value, strlen (value) + 1);
    return 0;
}

const config_setting_t *
hl_setting_section (hl_setting_ctx_t *ctx, const config_t *cfg,
                    const char *name, const char **keys, int *rc)
{
    *rc = 0;
    const config_setting_t *group = config_lookup (cfg, name);
    if (!group)
        return NULL;
    if (config_setting_type (group) != CONFIG_TYPE_GROUP) {
        *rc = hl_setting_wrong_type (ctx, group, "a group { ... }");
        return NULL;
    }
    if (hl_setting_check_keys (ctx, group, keys)) {
        *rc = -1;
        return NULL;
    }
    return group;
}

int
hl_setting_read_strings (hl_setting_ctx_t *ctx, const config_setting_t *group,
                         const char *name, size_t size, char ***out,
                         size_t *out_n)
{
    const config_setting_t *list = config_setting_get_member (group, name);
    if (!list)
        return 0;
    int type = config_setting_type (list);
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
        return hl_setting_wrong_type (ctx, list, "an array of strings [ ... ]");
    int count = config_setting_length (list);
    *out = hl_calloc ((size_t)count, sizeof (char *));
    for (int i = 0; i < count; i++) {
        const char *value
            = hl_setting_string (ctx, config_setting_get_elem (list, i), size);
        if (!value)
            return -1;
        (*out)[i] = hl_strdup (value);
        (*out_n)++;
    }
    return 0;
}
