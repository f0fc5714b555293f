/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_log - one line per event on stderr or syslog: level letter, time
    with milliseconds, ident, message. Lines below the level are never
    formatted.
*/
#ifndef HL_LOG_H
#define HL_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    HL_LOG_ERROR,
    HL_LOG_WARNING,
    HL_LOG_NOTICE,
    HL_LOG_INFO,
    HL_LOG_DEBUG
} hl_log_level_t;

/*  Set the ident (copied, e.g. "master" or "agent-7"), the level, and
    whether lines go to syslog instead of stderr. May be called again. */
void hl_log_init (const char *ident, hl_log_level_t level, bool use_syslog);

void hl_log_set_level (hl_log_level_t level);
hl_log_level_t hl_log_level (void);

/*  The level named "error", "warning", "notice", "info" or "debug", or -1. */
int hl_log_level_from_name (const char *name);

/*  A level's name, as hl_log_level_from_name takes it; "?" if invalid. */
const char *hl_log_level_name (hl_log_level_t level);

/*  Write one line at level, whatever the configured level. */
void hl_log_write (hl_log_level_t level, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#define HL_LOG_AT(lvl, ...)                                                    \
    do {                                                                       \
        if ((lvl) <= hl_log_level ())                                          \
            hl_log_write ((lvl), __VA_ARGS__);                                 \
    } while (0)
#define hl_log_error(...) HL_LOG_AT (HL_LOG_ERROR, __VA_ARGS__)
#define hl_log_warning(...) HL_LOG_AT (HL_LOG_WARNING, __VA_ARGS__)
#define hl_log_notice(...) HL_LOG_AT (HL_LOG_NOTICE, __VA_ARGS__)
#define hl_log_info(...) HL_LOG_AT (HL_LOG_INFO, __VA_ARGS__)
#define hl_log_debug(...) HL_LOG_AT (HL_LOG_DEBUG, __VA_ARGS__)

/*  Copy at most len bytes of untrusted src into dst as printable ASCII
    (others as \xNN), NUL-terminated, truncated with "..." to fit dstsize.
    Returns dst, for use in log arguments. */
char *hl_log_escape (char *dst, size_t dstsize, const void *src, size_t len);

/*  Lowercase hex of at most max bytes of data into dst (NUL-terminated,
    truncated to fit). Returns dst. */
char *hl_log_hex (char *dst, size_t dstsize, const void *data, size_t len);

#endif
