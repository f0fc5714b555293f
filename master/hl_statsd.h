/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_statsd - StatsD in: a strict reader of StatsD and DogStatsD lines
    (counters, gauges with +/- deltas, timers, histograms, distributions,
    sample rates, tags, timestamps, several values on a line, many lines
    in a datagram), the mapping from StatsD names and tags to configured
    metrics with unit conversion, and the state the types need (a gauge's
    last value, a counter's sum this second). It turns datagrams into KPI
    samples for a sink and counts everything it refuses, by reason. Pure:
    no socket, no clock of its own; owned by the master's reactor thread.
*/
#ifndef HL_STATSD_H
#define HL_STATSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_value.h"

#define HL_STATSD_MAX_NAME 255     /* bytes of a StatsD name */
#define HL_STATSD_MAX_VALUES 64    /* values on one line */
#define HL_STATSD_MAX_TAGS 32      /* tags on one line */
#define HL_STATSD_MAX_TAG 200      /* bytes of one tag */
#define HL_STATSD_MAX_NUMBER 63    /* bytes of one number */
#define HL_STATSD_COUNTER_IDLE 300 /* seconds an idle counter says 0 */
#define HL_STATSD_UNKNOWN_NAMES 16 /* unmapped names remembered */

/*  Why a line was refused. */
typedef enum {
    HL_STATSD_OK,
    HL_STATSD_FORMAT,     /* no "name:", or an empty field */
    HL_STATSD_NAME,       /* empty, too long, or a bad character */
    HL_STATSD_VALUE,      /* not a plain finite decimal number */
    HL_STATSD_TYPE,       /* missing, or not c, g, ms, h, d or s */
    HL_STATSD_RATE,       /* @rate not a number in (0, 1] */
    HL_STATSD_TAGS,       /* an empty or too long tag, too many, a bad
                             character */
    HL_STATSD_TIMESTAMP,  /* |T not a positive whole number of seconds */
    HL_STATSD_VALUES,     /* more than HL_STATSD_MAX_VALUES values */
    HL_STATSD_UNSUPPORTED /* well formed but no KPI: a set, an event or a
                             service check */
} hl_statsd_reason_t;
#define HL_STATSD_REASONS 10

typedef enum {
    HL_STATSD_COUNTER,      /* c */
    HL_STATSD_GAUGE,        /* g */
    HL_STATSD_TIMER,        /* ms */
    HL_STATSD_HISTOGRAM,    /* h */
    HL_STATSD_DISTRIBUTION, /* d */
    HL_STATSD_SET           /* s */
} hl_statsd_type_t;

typedef struct {
    double value;
    hl_statsd_type_t type;
    bool delta;  /* a gauge's "+n" or "-n": added to its last value */
    double rate; /* the sample rate, (0, 1]; 1 without "@" */
} hl_statsd_value_t;

/*  One line, read. Name and tags point into the line read. */
typedef struct {
    const char *name;
    size_t name_len;
    uint32_t name_hash; /* of the name, for the mapping's cache */
    hl_statsd_value_t values[HL_STATSD_MAX_VALUES];
    size_t nvalues;
    struct {
        const char *text;
        size_t len;
    } tags[HL_STATSD_MAX_TAGS];
    size_t ntags;
    int64_t ts_s; /* DogStatsD's "|T<seconds>", or 0 */
} hl_statsd_line_t;

/*  Counters since hl_statsd_new, for status. */
typedef struct {
    uint64_t packets;   /* datagrams, oversize ones included */
    uint64_t bytes;     /* of datagrams read */
    uint64_t oversize;  /* datagrams over max_packet, dropped whole */
    uint64_t lines;     /* non-empty lines */
    uint64_t malformed; /* lines refused */
    uint64_t malformed_by[HL_STATSD_REASONS]; /* by reason */
    uint64_t unsupported;  /* well formed, no KPI (sets, events) */
    uint64_t unknown;      /* lines whose name maps to no metric */
    uint64_t values;       /* values of lines that mapped */
    uint64_t samples;      /* samples the tracker took */
    uint64_t out_of_range; /* samples outside the metric's min..max */
    uint64_t refused;      /* samples the tracker refused (too old, too
                              new) */
} hl_statsd_counters_t;

/*  A KPI sample for the tracker: metric index (in the config's order)
    and name (borrowed). 0 if taken, else the tracker's reason (counted as
    refused). */
typedef int (hl_statsd_sample_fn) (void *arg, size_t index, const char *name,
                                   double value, int64_t ts_us);

typedef struct _hl_statsd_t hl_statsd_t;

/*  Read lines for the metrics and the mapping of config (which must
    outlive it). Returns NULL if config is NULL. */
hl_statsd_t *hl_statsd_new (const hl_config_t *config);

void hl_statsd_destroy (hl_statsd_t **self_p);

/*  Read one line of len bytes (no newline; not NUL-terminated) into
 *out. Returns HL_STATSD_OK, or why it is refused. Pure. */
hl_statsd_reason_t hl_statsd_parse (const char *line, size_t len,
                                    hl_statsd_line_t *out);

/*  The reason's short name, for counters: "format", "name", "value"... */
const char *hl_statsd_reason_name (hl_statsd_reason_t reason);

/*  One datagram of len bytes received at now_us: each line read, mapped
    and turned into samples for fn. Timers, histograms and distributions
    give a sample per value (a sample rate does not weigh it); a gauge a
    sample of its new value; a counter adds value / rate to its metric's
    sum for this second, given to fn as one sample per second (its rate
    per second) when the second is over (hl_statsd_flush). Samples
    outside their metric's min..max are refused. Returns the lines read. */
size_t hl_statsd_packet (hl_statsd_t *self, const char *data, size_t len,
                         int64_t now_us, hl_statsd_sample_fn *fn, void *arg);

/*  A datagram over max_packet bytes was dropped: count it. */
void hl_statsd_oversize (hl_statsd_t *self);

/*  Every second, before the tracker closes the second: each counter's
    sum for the seconds that ended, and 0 for seconds without an
    increment until HL_STATSD_COUNTER_IDLE seconds after its last. */
void hl_statsd_flush (hl_statsd_t *self, int64_t now_us,
                      hl_statsd_sample_fn *fn, void *arg);

/*  Counters since hl_statsd_new (borrowed). */
const hl_statsd_counters_t *hl_statsd_counters (const hl_statsd_t *self);

/*  For status (caller owns): {packets, bytes, oversize, lines, values,
    samples, malformed, malformed_by: {reason: n}, unsupported, unknown,
    unknown_names: {name: n}, out_of_range, refused, mappings}. */
hl_value_t *hl_statsd_status (const hl_statsd_t *self);

#endif
