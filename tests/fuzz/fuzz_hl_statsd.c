/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    fuzz_hl_statsd - libFuzzer harness for StatsD in: any datagram is
    read line by line, every line accounted for (malformed by a named
    reason, unsupported, unknown, or mapped), every sample handed on
    finite and within its metric's range, and nothing read past the
    datagram's end (the sanitizers watch).
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../master/hl_statsd.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static hl_config_t *s_config;
static hl_statsd_t *s_statsd;

static const char *s_text
    = "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; unit = \"ms\";\n"
      "    better = \"lower\"; target = 100; critical = 500; },\n"
      "  { name = \"hits\"; category = \"backend\"; unit = \"%\";\n"
      "    better = \"higher\"; target = 90; critical = 50; } );\n"
      "statsd = { mapping = (\n"
      "  { match = \"app.*.t\"; tags = [ \"env:prod\" ]; metric = "
      "\"latency\";\n"
      "    unit = \"s\"; },\n"
      "  { match = \"c*.r\"; metric = \"hits\"; unit = \"ratio\"; } ); };\n";

static int
s_sink (void *arg, size_t index, const char *name, double value, int64_t ts_us)
{
    (void)arg;
    (void)ts_us;
    const hl_config_metric_t *m = hl_config_metric (s_config, index);
    if (!m || strcmp (m->name, name) != 0 || !isfinite (value) || value < m->min
        || value > m->max)
        abort ();
    return 0;
}

static void
s_init (void)
{
    char path[] = "/tmp/fuzz_hl_statsd.XXXXXX";
    int fd = mkstemp (path);
    if (fd < 0)
        abort ();
    if (write (fd, s_text, strlen (s_text)) != (ssize_t)strlen (s_text))
        abort ();
    close (fd);
    char err[256];
    s_config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!s_config) {
        fprintf (stderr, "%s\n", err);
        abort ();
    }
    s_statsd = hl_statsd_new (s_config);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_statsd)
        s_init ();
    //  A copy of exactly size bytes: an overread is the sanitizer's
    char *copy = (char *)malloc (size ? size : 1);
    memcpy (copy, data, size);
    hl_statsd_counters_t before = *hl_statsd_counters (s_statsd);
    size_t lines = hl_statsd_packet (s_statsd, copy, size, 1700000000000000LL,
                                     s_sink, NULL);
    const hl_statsd_counters_t *n = hl_statsd_counters (s_statsd);
    if (n->lines - before.lines != lines)
        abort ();
    uint64_t by = 0;
    for (int r = 0; r < HL_STATSD_REASONS; r++)
        by += n->malformed_by[r] - before.malformed_by[r];
    if (by != n->malformed - before.malformed)
        abort ();
    if ((n->malformed - before.malformed)
            + (n->unsupported - before.unsupported)
            + (n->unknown - before.unknown)
        > lines)
        abort ();
    hl_statsd_flush (s_statsd, 1700000001000000LL, s_sink, NULL);
    free (copy);
    return 0;
}
