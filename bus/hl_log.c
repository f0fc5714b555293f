/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_log - one line per event: "L YYYY-MM-DD HH:MM:SS.mmm ident: text"
    on stderr, or the text alone on syslog (which stamps its own time).
    Owns the process-wide ident, level and sink; escapes untrusted bytes
    for log arguments.
*/
#include "hl_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define HL_LOG_LINE 2048 /* one line on stderr, newline included */
#define HL_LOG_IDENT 64  /* ident bytes, NUL included */

static const struct {
    const char *name;
    char letter;
    int priority; /* syslog(3) priority */
} s_levels[] = {
    { "error", 'E', LOG_ERR },     { "warning", 'W', LOG_WARNING },
    { "notice", 'N', LOG_NOTICE }, { "info", 'I', LOG_INFO },
    { "debug", 'D', LOG_DEBUG },
};
#define HL_LOG_LEVELS (sizeof (s_levels) / sizeof (s_levels[0]))

//  The level is read by every macro on every thread, so it is atomic; the
//  ident and sink are set at start-up, before threads exist.
static atomic_int s_level = HL_LOG_NOTICE;
static char s_ident[HL_LOG_IDENT] = "helios";
static bool s_syslog = false;

void
hl_log_init (const char *ident, hl_log_level_t level, bool use_syslog)
{
    snprintf (s_ident, sizeof s_ident, "%s", ident ? ident : "helios");
    hl_log_set_level (level);
    if (s_syslog)
        closelog ();
    s_syslog = use_syslog;
    //  openlog keeps the pointer, so hand it our static copy
    if (s_syslog)
        openlog (s_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
hl_log_set_level (hl_log_level_t level)
{
    if ((int)level < HL_LOG_ERROR)
        level = HL_LOG_ERROR;
    if (level > HL_LOG_DEBUG)
        level = HL_LOG_DEBUG;
    atomic_store_explicit (&s_level, (int)level, memory_order_relaxed);
}

hl_log_level_t
hl_log_level (void)
{
    return (hl_log_level_t)atomic_load_explicit (&s_level,
                                                 memory_order_relaxed);
}

int
hl_log_level_from_name (const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < HL_LOG_LEVELS; i++)
        if (strcmp (name, s_levels[i].name) == 0)
            return (int)i;
    return -1;
}

const char *
hl_log_level_name (hl_log_level_t level)
{
    return (int)level >= 0 && (size_t)level < HL_LOG_LEVELS
               ? s_levels[level].name
               : "?";
}

//  Write all of buf with as few write(2) calls as the kernel allows: one
//  for any sane line, so lines from different threads do not interleave.
static void
s_write_all (const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t rc = write (STDERR_FILENO, buf, len);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return; // nowhere left to complain to
        buf += rc;
        len -= (size_t)rc;
    }
}

void
hl_log_write (hl_log_level_t level, const char *fmt, ...)
{
    if ((int)level < HL_LOG_ERROR || level > HL_LOG_DEBUG)
        level = HL_LOG_ERROR;
    int saved_errno = errno; // logging must not disturb the caller

    char line[HL_LOG_LINE];
    size_t head = 0;
    if (!s_syslog) {
        struct timespec ts;
        struct tm tm;
        clock_gettime (CLOCK_REALTIME, &ts);
        localtime_r (&ts.tv_sec, &tm);
        char stamp[32];
        if (strftime (stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm) == 0)
            stamp[0] = '\0';
        int n = snprintf (line, sizeof line,
                          "%c %s.%03ld %s: ", s_levels[level].letter, stamp,
                          ts.tv_nsec / 1000000L, s_ident);
        head = n > 0 && (size_t)n < sizeof line ? (size_t)n : 0;
    }
    //  Leave room for "...\n" so a truncated line still says so
    size_t room = sizeof line - head - 4;
    va_list args;
    va_start (args, fmt);
    int n = vsnprintf (line + head, room + 1, fmt, args);
    va_end (args);
    size_t body = n < 0 ? 0 : (size_t)n;
    bool truncated = body > room;
    if (truncated)
        body = room;

    //  One event is one line, whatever control bytes the text carries
    for (size_t i = head; i < head + body; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f)
            line[i] = ' ';
    }
    size_t len = head + body;
    if (truncated) {
        memcpy (line + len, "...", 3);
        len += 3;
    }
    if (s_syslog) {
        line[len] = '\0';
        syslog (s_levels[level].priority, "%s", line);
    } else {
        line[len++] = '\n';
        s_write_all (line, len);
    }
    errno = saved_errno;
}

//  Shared by escape and hex: emit units of output (each produced whole by
//  unit(), at most 4 bytes) until the input ends or dst is full; on
//  truncation end with as much of "..." as fits. dst is always
//  terminated when dstsize > 0.
typedef size_t (s_unit_fn) (unsigned char byte, char out[4]);

static char *
s_render (char *dst, size_t dstsize, const void *src, size_t len,
          s_unit_fn *unit)
{
    if (!dst || dstsize == 0)
        return dst;
    const unsigned char *bytes = src;
    if (!bytes)
        len = 0;

    //  One pass, bounded by dstsize: fill up to cap, remembering where the
    //  output last fitted with room for "..." in case the input outruns it
    size_t cap = dstsize - 1; // characters dst can hold
    size_t dots_at = 0;       // end of the last unit leaving room for ...
    size_t used = 0;
    size_t i = 0;
    char out[4];
    for (; i < len; i++) {
        size_t n = unit (bytes[i], out);
        if (used + n > cap)
            break;
        memcpy (dst + used, out, n);
        used += n;
        if (used + 3 <= cap)
            dots_at = used;
    }
    if (i < len) {
        used = dots_at;
        for (int dots = 0; dots < 3 && used < cap; dots++)
            dst[used++] = '.';
    }
    dst[used] = '\0';
    return dst;
}

static size_t
s_escape_unit (unsigned char c, char out[4])
{
    static const char digits[] = "0123456789abcdef";
    //  Backslash is escaped too, so "\x41" in the output always means a
    //  byte that was escaped
    if (c >= 0x20 && c < 0x7f && c != '\\') {
        out[0] = (char)c;
        return 1;
    }
    out[0] = '\\';
    out[1] = 'x';
    out[2] = digits[c >> 4];
    out[3] = digits[c & 0x0f];
    return 4;
}

static size_t
s_hex_unit (unsigned char c, char out[4])
{
    static const char digits[] = "0123456789abcdef";
    out[0] = digits[c >> 4];
    out[1] = digits[c & 0x0f];
    return 2;
}

char *
hl_log_escape (char *dst, size_t dstsize, const void *src, size_t len)
{
    return s_render (dst, dstsize, src, len, s_escape_unit);
}

char *
hl_log_hex (char *dst, size_t dstsize, const void *data, size_t len)
{
    return s_render (dst, dstsize, data, len, s_hex_unit);
}
