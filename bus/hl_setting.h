/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_setting - typed readers of libconfig settings for hl_config's
    section loaders. Every failure is written as "file:line: setting.path:
    reason" into the caller's buffer and returned as -1, so that a bad
    file fails with one line that says where and why.

    The hl_setting_read_* functions read a member of a group by name and
    leave *out alone when it is absent: the caller presets the default,
    and checks required members with hl_setting_require first. Strings
    returned are libconfig's, borrowed until config_destroy().
*/
#ifndef HL_SETTING_H
#define HL_SETTING_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Where one file's errors go. */
typedef struct {
    const char *path; /* file name for messages */
    char *err;        /* caller's buffer, may be NULL */
    size_t errsize;
} hl_setting_ctx_t;

/*  Write "file:line: setting.path: reason" and return -1. The line is the
    setting's own: for a missing setting, pass its parent; NULL for none. */
int hl_setting_fail (hl_setting_ctx_t *ctx, const config_setting_t *setting,
                     const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/*  Fail with "wrong type: expected <expected>, got <what it is>". */
int hl_setting_wrong_type (hl_setting_ctx_t *ctx,
                           const config_setting_t *setting,
                           const char *expected);

/*  True if name is in keys (NULL-terminated) or starts with "x_", the
    prefix a file may use for its own extensions. */
bool hl_setting_known (const char *name, const char **keys);

/*  0 if every member of group is known (hl_setting_known), else fail
    naming the first unknown key. */
int hl_setting_check_keys (hl_setting_ctx_t *ctx, const config_setting_t *group,
                           const char **keys);

/*  0 if group has a member name, else fail on group. */
int hl_setting_require (hl_setting_ctx_t *ctx, const config_setting_t *group,
                        const char *name);

/*  An integer setting in min..max into *out; floats are refused, not
    truncated. */
int hl_setting_int64 (hl_setting_ctx_t *ctx, const config_setting_t *setting,
                      int64_t min, int64_t max, int64_t *out);

/*  A number in min..max (an integer or a float: libconfig keeps 2 and 2.0
    apart) into *out; not finite fails. */
int hl_setting_number (hl_setting_ctx_t *ctx, const config_setting_t *setting,
                       double min, double max, double *out);

/*  A string setting shorter than size bytes; NULL (having failed) if it is
    not a string or too long. Borrowed from libconfig. */
const char *hl_setting_string (hl_setting_ctx_t *ctx,
                               const config_setting_t *setting, size_t size);

/*  Members of group by name, as the setting readers above. */
int hl_setting_read_int (hl_setting_ctx_t *ctx, const config_setting_t *group,
                         const char *name, int min, int max, int *out);
int hl_setting_read_double (hl_setting_ctx_t *ctx,
                            const config_setting_t *group, const char *name,
                            double min, double max, double *out);
int hl_setting_read_bool (hl_setting_ctx_t *ctx, const config_setting_t *group,
                          const char *name, bool *out);

/*  A string member copied into out (size bytes, NUL included). */
int hl_setting_read_string (hl_setting_ctx_t *ctx,
                            const config_setting_t *group, const char *name,
                            char *out, size_t size);

/*  A string member that must be one of list (NULL-terminated); *index gets
    its position. A bad value fails listing the choices. */
int hl_setting_read_enum (hl_setting_ctx_t *ctx, const config_setting_t *group,
                          const char *name, const char **list, int *index);

/*  The required member "name", in the metric charset [A-Za-z0-9_.:-],
    copied into out (size bytes). */
int hl_setting_read_name (hl_setting_ctx_t *ctx, const config_setting_t *group,
                          char *out, size_t size);

/*  A ZeroMQ endpoint member (tcp://, ipc:// or inproc://) copied into out
    (size bytes). */
int hl_setting_read_endpoint (hl_setting_ctx_t *ctx,
                              const config_setting_t *group, const char *name,
                              char *out, size_t size);

/*  A listener member, "host:port" or "" for off, copied into out. */
int hl_setting_read_listen (hl_setting_ctx_t *ctx,
                            const config_setting_t *group, const char *name,
                            char *out, size_t size);

/*  An array or list member of strings, each shorter than size bytes,
    copied: *out gets a new array the caller frees with its strings, and
    *out_n counts those copied so far, even on failure. */
int hl_setting_read_strings (hl_setting_ctx_t *ctx,
                             const config_setting_t *group, const char *name,
                             size_t size, char ***out, size_t *out_n);

/*  True for a list of groups, or an empty array ("[]"), which means the
    same. */
bool hl_setting_is_list (const config_setting_t *setting);

/*  The top-level section name: a group whose members are all known keys.
    Returns it, or NULL if it is absent (*rc 0) or bad (*rc -1, failed). */
const config_setting_t *hl_setting_section (hl_setting_ctx_t *ctx,
                                            const config_t *cfg,
                                            const char *name, const char **keys,
                                            int *rc);

#endif
