/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_statsd - every StatsD line type, sample rates, DogStatsD tags
    and timestamps, several values on a line, many lines in a datagram,
    each malformed case counted by its named reason (each limit at the
    limit and one past it), the mapping with its globs, tags and unit
    conversion, metric ranges, and counters' per-second rates.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../master/hl_statsd.h"

//  --------------------------------------------------------------------
//  A config and a sink

static const char *s_config_text
    = "metrics = (\n"
      "  { name = \"latency\"; category = \"backend\"; unit = \"ms\";\n"
      "    better = \"lower\"; target = 100; critical = 500; },\n"
      "  { name = \"latency_s\"; category = \"backend\"; unit = \"s\";\n"
      "    better = \"lower\"; target = 0.1; critical = 0.5; },\n"
      "  { name = \"hits\"; category = \"backend\"; unit = \"%\";\n"
      "    better = \"higher\"; target = 90; critical = 50; },\n"
      "  { name = \"throughput\"; category = \"backend\"; unit = \"msg/s\";\n"
      "    better = \"higher\"; target = 100; critical = 10; },\n"
      "  { name = \"temp\"; category = \"backend\"; unit = \"C\";\n"
      "    better = \"lower\"; target = 10; critical = 90;\n"
      "    min = -50; max = 150; } );\n"
      "statsd = { mapping = (\n"
      "  { match = \"app.*.duration\"; tags = [ \"env:prod\" ];\n"
      "    metric = \"latency_s\"; unit = \"ms\"; },\n"
      "  { match = \"app.*.duration\"; metric = \"latency\"; },\n"
      "  { match = \"cache.ratio\"; metric = \"hits\"; unit = \"ratio\"; },\n"
      "  { match = \"msgs\"; metric = \"throughput\"; },\n"
      "  { match = \"web*.temp\"; metric = \"temp\"; scale = 2.0; } ); };\n";

static hl_config_t *s_config;

#define S_MAX_SAMPLES 256
typedef struct {
    char name[64];
    double value;
    int64_t ts;
} sample_t;
static sample_t s_samples[S_MAX_SAMPLES];
static size_t s_nsamples;
static int s_refuse; /* the sink's answer */

static int
s_sink (void *arg, size_t index, const char *name, double value, int64_t ts_us)
{
    (void)arg;
    assert_string_equal (hl_config_metric (s_config, index)->name, name);
    if (s_nsamples < S_MAX_SAMPLES) {
        snprintf (s_samples[s_nsamples].name, 64, "%s", name);
        s_samples[s_nsamples].value = value;
        s_samples[s_nsamples++].ts = ts_us;
    }
    return s_refuse;
}

static int
s_setup (void **state)
{
    (void)state;
    char path[] = "/tmp/hl_statsd_test.XXXXXX";
    int fd = mkstemp (path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen (fd, "w");
    fputs (s_config_text, f);
    fclose (f);
    char err[256];
    s_config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!s_config)
        fprintf (stderr, "%s\n", err);
    return s_config ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    hl_config_destroy (&s_config);
    return 0;
}

#define NOW 1700000000000000LL /* us */

/*  A fresh reader, the sink emptied. */
static hl_statsd_t *
s_new (void)
{
    s_nsamples = 0;
    s_refuse = 0;
    hl_statsd_t *self = hl_statsd_new (s_config);
    assert_non_null (self);
    return self;
}

static size_t
s_feed (hl_statsd_t *self, const char *text, int64_t now)
{
    return hl_statsd_packet (self, text, strlen (text), now, s_sink, NULL);
}

static hl_statsd_reason_t
s_parse (const char *text, hl_statsd_line_t *line)
{
    return hl_statsd_parse (text, strlen (text), line);
}

//  --------------------------------------------------------------------
//  Reading lines

static void
test_types (void **state)
{
    (void)state;
    hl_statsd_line_t line;
    static const struct {
        const char *text;
        hl_statsd_type_t type;
        double value;
        bool delta;
    } cases[] = {
        { "a:1|c", HL_STATSD_COUNTER, 1, false },
        { "a:-2|c", HL_STATSD_COUNTER, -2, false },
        { "a:42.5|g", HL_STATSD_GAUGE, 42.5, false },
        { "a:+3|g", HL_STATSD_GAUGE, 3, true },
        { "a:-3|g", HL_STATSD_GAUGE, -3, true },
        { "a:320|ms", HL_STATSD_TIMER, 320, false },
        { "a:1.5e2|h", HL_STATSD_HISTOGRAM, 150, false },
        { "a:.5|d", HL_STATSD_DISTRIBUTION, 0.5, false },
        { "a:7.|ms", HL_STATSD_TIMER, 7, false },
        { "a:-1E-3|ms", HL_STATSD_TIMER, -0.001, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (s_parse (cases[i].text, &line) != HL_STATSD_OK)
            fail_msg ("%s refused", cases[i].text);
        assert_int_equal (line.nvalues, 1);
        assert_int_equal (line.name_len, 1);
        assert_int_equal (line.values[0].type, cases[i].type);
        assert_true (line.values[0].value == cases[i].value);
        assert_int_equal (line.values[0].delta, cases[i].delta);
        assert_true (line.values[0].rate == 1);
        assert_int_equal (line.ntags, 0);
        assert_int_equal (line.ts_s, 0);
    }
    //  A set, an event and a service check: well formed, no KPI
    assert_int_equal (s_parse ("users:alice|s", &line), HL_STATSD_UNSUPPORTED);
    assert_int_equal (s_parse ("_e{5,4}:title|text|#a", &line),
                      HL_STATSD_UNSUPPORTED);
    assert_int_equal (s_parse ("_sc|db.up|0|#env:prod", &line),
                      HL_STATSD_UNSUPPORTED);
}

/*  Numbers read as strtod reads them, bit for bit, short or long. */
static void
test_numbers_exact (void **state)
{
    (void)state;
    hl_statsd_line_t line;
    unsigned seed = 42;
    for (int i = 0; i < 20000; i++) {
        char number[64], text[96];
        int digits = 1 + (int)(rand_r (&seed) % 20);
        int point = (int)(rand_r (&seed) % (unsigned)(digits + 1));
        int n = 0;
        if (rand_r (&seed) % 4 == 0)
            number[n++] = '-';
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0)
                number[n++] = '.';
            number[n++] = (char)('0' + rand_r (&seed) % 10);
        }
        if (i % 7 == 0)
            n += snprintf (number + n, sizeof number - (size_t)n, "e%d",
                           (int)(rand_r (&seed) % 40) - 20);
        number[n] = 0;
        snprintf (text, sizeof text, "a:%s|ms", number);
        assert_int_equal (s_parse (text, &line), HL_STATSD_OK);
        double want = strtod (number, NULL);
        if (memcmp (&line.values[0].value, &want, sizeof want) != 0)
            fail_msg ("%s: %.17g, strtod %.17g", number, line.values[0].value,
                      want);
    }
}

static void
test_rates_tags_timestamps (void **state)
{
    (void)state;
    hl_statsd_line_t line;
    assert_int_equal (s_parse ("page.views:3|c|@0.1|#env:prod,canary,"
                               "region:eu-west-1|T1700000123|c:abc123",
                               &line),
                      HL_STATSD_OK);
    assert_true (line.values[0].rate == 0.1);
    assert_int_equal (line.ntags, 3);
    assert_int_equal (line.tags[0].len, 8);
    assert_memory_equal (line.tags[0].text, "env:prod", 8);
    assert_memory_equal (line.tags[2].text, "region:eu-west-1", 16);
    assert_int_equal (line.ts_s, 1700000123);
    assert_int_equal (s_parse ("a:1|ms|@1", &line), HL_STATSD_OK);
    assert_int_equal (s_parse ("a:1|ms|@0", &line), HL_STATSD_RATE);
    assert_int_equal (s_parse ("a:1|ms|@1.5", &line), HL_STATSD_RATE);
    assert_int_equal (s_parse ("a:1|ms|@-0.5", &line), HL_STATSD_RATE);
    assert_int_equal (s_parse ("a:1|ms|@", &line), HL_STATSD_RATE);
    assert_int_equal (s_parse ("a:1|ms|@x", &line), HL_STATSD_RATE);
    assert_int_equal (s_parse ("a:1|ms|#", &line), HL_STATSD_TAGS);
    assert_int_equal (s_parse ("a:1|ms|#a,,b", &line), HL_STATSD_TAGS);
    assert_int_equal (s_parse ("a:1|ms|#a b", &line), HL_STATSD_TAGS);
    assert_int_equal (s_parse ("a:1|ms|T0", &line), HL_STATSD_TIMESTAMP);
    assert_int_equal (s_parse ("a:1|ms|T", &line), HL_STATSD_TIMESTAMP);
    assert_int_equal (s_parse ("a:1|ms|T12x", &line), HL_STATSD_TIMESTAMP);
    assert_int_equal (s_parse ("a:1|ms|T99999999999", &line), HL_STATSD_OK);
    assert_int_equal (s_parse ("a:1|ms|T100000000000", &line),
                      HL_STATSD_TIMESTAMP);

    //  Tags: HL_STATSD_MAX_TAGS at the limit and past it; a tag of
    //  HL_STATSD_MAX_TAG bytes and one more
    char text[8192];
    int n = snprintf (text, sizeof text, "a:1|ms|#");
    for (int i = 0; i < HL_STATSD_MAX_TAGS; i++)
        n += snprintf (text + n, sizeof text - (size_t)n, "%st%d", i ? "," : "",
                       i);
    assert_int_equal (s_parse (text, &line), HL_STATSD_OK);
    assert_int_equal (line.ntags, HL_STATSD_MAX_TAGS);
    snprintf (text + n, sizeof text - (size_t)n, ",one_more");
    assert_int_equal (s_parse (text, &line), HL_STATSD_TAGS);
    n = snprintf (text, sizeof text, "a:1|ms|#");
    memset (text + n, 'k', HL_STATSD_MAX_TAG);
    text[n + HL_STATSD_MAX_TAG] = 0;
    assert_int_equal (s_parse (text, &line), HL_STATSD_OK);
    text[n + HL_STATSD_MAX_TAG] = 'k';
    text[n + HL_STATSD_MAX_TAG + 1] = 0;
    assert_int_equal (s_parse (text, &line), HL_STATSD_TAGS);
}

static void
test_multi_values (void **state)
{
    (void)state;
    hl_statsd_line_t line;
    //  DogStatsD: values packed before one type
    assert_int_equal (s_parse ("a:1:2:3|ms|@0.5|#x:y", &line), HL_STATSD_OK);
    assert_int_equal (line.nvalues, 3);
    for (int i = 0; i < 3; i++) {
        assert_true (line.values[i].value == i + 1);
        assert_int_equal (line.values[i].type, HL_STATSD_TIMER);
        assert_true (line.values[i].rate == 0.5);
    }
    assert_int_equal (line.ntags, 1);
    //  Etsy: a type (and rate) per value
    assert_int_equal (s_parse ("a:1|c|@0.5:2|ms:+4|g", &line), HL_STATSD_OK);
    assert_int_equal (line.nvalues, 3);
    assert_int_equal (line.values[0].type, HL_STATSD_COUNTER);
    assert_true (line.values[0].rate == 0.5);
    assert_int_equal (line.values[1].type, HL_STATSD_TIMER);
    assert_true (line.values[1].rate == 1);
    assert_int_equal (line.values[2].type, HL_STATSD_GAUGE);
    assert_true (line.values[2].delta);
    //  A set among them makes the line one for a set
    assert_int_equal (s_parse ("a:1|c:bob|s", &line), HL_STATSD_UNSUPPORTED);
    //  HL_STATSD_MAX_VALUES at the limit and past it
    char text[1024];
    int n = snprintf (text, sizeof text, "a:");
    for (int i = 0; i < HL_STATSD_MAX_VALUES; i++)
        n += snprintf (text + n, sizeof text - (size_t)n, "%s%d", i ? ":" : "",
                       i);
    snprintf (text + n, sizeof text - (size_t)n, "|ms");
    assert_int_equal (s_parse (text, &line), HL_STATSD_OK);
    assert_int_equal (line.nvalues, HL_STATSD_MAX_VALUES);
    snprintf (text + n, sizeof text - (size_t)n, ":9|ms");
    assert_int_equal (s_parse (text, &line), HL_STATSD_VALUES);
}

static void
test_malformed (void **state)
{
    (void)state;
    hl_statsd_line_t line;
    static const struct {
        const char *text;
        hl_statsd_reason_t reason;
    } cases[] = {
        { "no_colon", HL_STATSD_FORMAT },
        { "a:1|c|", HL_STATSD_FORMAT },
        { "a:1|c|!x", HL_STATSD_FORMAT },
        { "a:1|c||#x", HL_STATSD_FORMAT },
        { ":1|c", HL_STATSD_NAME },
        { "a b:1|c", HL_STATSD_NAME },
        { "a#b:1|c", HL_STATSD_NAME },
        { "a\x01:1|c", HL_STATSD_NAME },
        { "caf\xc3\xa9:1|c", HL_STATSD_NAME },
        { "a:|c", HL_STATSD_VALUE },
        { "a:abc|c", HL_STATSD_VALUE },
        { "a:1e|ms", HL_STATSD_VALUE },
        { "a:inf|ms", HL_STATSD_VALUE },
        { "a:nan|g", HL_STATSD_VALUE },
        { "a:0x10|ms", HL_STATSD_VALUE },
        { "a: 1|ms", HL_STATSD_VALUE },
        { "a:1e999|ms", HL_STATSD_VALUE },
        { "a:.|ms", HL_STATSD_VALUE },
        { "a:1|ms:", HL_STATSD_VALUE },
        { "a:1::2|ms", HL_STATSD_VALUE },
        { "a:1", HL_STATSD_TYPE },
        { "a:1:2", HL_STATSD_TYPE },
        { "a:1|", HL_STATSD_TYPE },
        { "a:1|x", HL_STATSD_TYPE },
        { "a:1|mss", HL_STATSD_TYPE },
        { "a:1|C", HL_STATSD_TYPE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hl_statsd_reason_t rc = s_parse (cases[i].text, &line);
        if (rc != cases[i].reason)
            fail_msg ("\"%s\": %s, want %s", cases[i].text,
                      hl_statsd_reason_name (rc),
                      hl_statsd_reason_name (cases[i].reason));
    }
    //  The name at HL_STATSD_MAX_NAME bytes, and one more; a number at
    //  HL_STATSD_MAX_NUMBER bytes, and one more
    char text[512];
    memset (text, 'n', HL_STATSD_MAX_NAME);
    snprintf (text + HL_STATSD_MAX_NAME, 16, ":1|c");
    assert_int_equal (s_parse (text, &line), HL_STATSD_OK);
    memset (text, 'n', HL_STATSD_MAX_NAME + 1);
    snprintf (text + HL_STATSD_MAX_NAME + 1, 16, ":1|c");
    assert_int_equal (s_parse (text, &line), HL_STATSD_NAME);
    snprintf (text, sizeof text, "a:");
    memset (text + 2, '1', HL_STATSD_MAX_NUMBER);
    snprintf (text + 2 + HL_STATSD_MAX_NUMBER, 16, "|ms");
    assert_int_equal (s_parse (text, &line), HL_STATSD_OK);
    memset (text + 2, '1', HL_STATSD_MAX_NUMBER + 1);
    snprintf (text + 2 + HL_STATSD_MAX_NUMBER + 1, 16, "|ms");
    assert_int_equal (s_parse (text, &line), HL_STATSD_VALUE);
    assert_string_equal (hl_statsd_reason_name (HL_STATSD_VALUES),
                         "too_many_values");
    assert_string_equal (hl_statsd_reason_name (99), "?");
}

//  --------------------------------------------------------------------
//  Datagrams, mapping, samples

static void
test_packet_lines (void **state)
{
    (void)state;
    hl_statsd_t *self = s_new ();
    //  Many lines, CRLF, empty lines, a bad one among good ones
    const char *packet = "latency:120|ms\n"
                         "latency:130|ms\r\n"
                         "\n"
                         "latency:oops|ms\n"
                         "latency:140|h\n"
                         "latency:150|d";
    assert_int_equal (s_feed (self, packet, NOW), 5);
    const hl_statsd_counters_t *n = hl_statsd_counters (self);
    assert_int_equal (n->packets, 1);
    assert_int_equal (n->bytes, strlen (packet));
    assert_int_equal (n->lines, 5);
    assert_int_equal (n->malformed, 1);
    assert_int_equal (n->malformed_by[HL_STATSD_VALUE], 1);
    assert_int_equal (n->samples, 4);
    assert_int_equal (s_nsamples, 4);
    assert_string_equal (s_samples[0].name, "latency");
    assert_true (s_samples[0].value == 120);
    assert_true (s_samples[3].value == 150);
    assert_int_equal (s_samples[0].ts, NOW);
    //  A timestamp is the sample's time
    assert_int_equal (s_feed (self, "latency:99|ms|T1700000010\n", NOW), 1);
    assert_int_equal (s_samples[4].ts, 1700000010000000LL);
    //  Oversize: counted as a packet and as oversize, nothing read
    hl_statsd_oversize (self);
    assert_int_equal (n->packets, 3);
    assert_int_equal (n->oversize, 1);
    //  The sink refusing (too old, too new) is counted
    s_refuse = -1;
    s_feed (self, "latency:1|ms", NOW);
    assert_int_equal (n->refused, 1);
    assert_int_equal (n->samples, 5);

    hl_value_t *status = hl_statsd_status (self);
    assert_int_equal (hl_value_get_int (status, "lines", 0), 7);
    assert_int_equal (hl_value_get_int (status, "oversize", 0), 1);
    assert_int_equal (
        hl_value_get_int (hl_value_get (status, "malformed_by"), "value", 0),
        1);
    hl_value_destroy (&status);
    hl_statsd_destroy (&self);
    hl_statsd_destroy (&self);
}

static void
test_mapping (void **state)
{
    (void)state;
    hl_statsd_t *self = s_new ();
    //  The tagged mapping converts ms into the metric's seconds
    s_feed (self, "app.checkout.duration:250|ms|#env:prod,team:pay", NOW);
    //  The same name without the tag falls to the next mapping
    s_feed (self, "app.checkout.duration:250|ms|#env:dev", NOW);
    //  "*" matches one part only
    s_feed (self, "app.checkout.v2.duration:250|ms", NOW);
    //  ratio into %
    s_feed (self, "cache.ratio:0.93|g", NOW);
    //  A metric's own name needs no mapping; scale; glob inside a part
    s_feed (self, "hits:95|g\nwebfront.temp:21|g", NOW);
    const hl_statsd_counters_t *n = hl_statsd_counters (self);
    assert_int_equal (s_nsamples, 5);
    assert_string_equal (s_samples[0].name, "latency_s");
    assert_true (fabs (s_samples[0].value - 0.25) < 1e-12);
    assert_string_equal (s_samples[1].name, "latency");
    assert_true (s_samples[1].value == 250);
    assert_string_equal (s_samples[2].name, "hits");
    assert_true (fabs (s_samples[2].value - 93) < 1e-9);
    assert_string_equal (s_samples[3].name, "hits");
    assert_string_equal (s_samples[4].name, "temp");
    assert_true (s_samples[4].value == 42);
    assert_int_equal (n->unknown, 1);

    //  Unknown names are remembered with their counts, the least recently
    //  seen going when the table is full
    s_feed (self, "app.checkout.v2.duration:1|ms", NOW);
    char name[64];
    for (int i = 0; i < HL_STATSD_UNKNOWN_NAMES; i++) {
        snprintf (name, sizeof name, "other.%d:1|c", i);
        s_feed (self, name, NOW);
    }
    assert_int_equal (n->unknown, 2 + HL_STATSD_UNKNOWN_NAMES);
    hl_value_t *status = hl_statsd_status (self);
    const hl_value_t *names = hl_value_get (status, "unknown_names");
    assert_int_equal (hl_value_size (names), HL_STATSD_UNKNOWN_NAMES);
    assert_int_equal (hl_value_get_int (names, "other.0", 0), 1);
    assert_null (hl_value_get (names, "app.checkout.v2.duration"));
    assert_int_equal (hl_value_get_int (status, "mappings", 0), 5);
    hl_value_destroy (&status);
    hl_statsd_destroy (&self);
}

static void
test_ranges_and_gauges (void **state)
{
    (void)state;
    hl_statsd_t *self = s_new ();
    const hl_statsd_counters_t *n = hl_statsd_counters (self);
    //  A negative latency and a hit rate over 100% are refused
    s_feed (self, "latency:-5|ms\nhits:101|g\ncache.ratio:1.5|g", NOW);
    assert_int_equal (n->out_of_range, 3);
    assert_int_equal (s_nsamples, 0);
    //  Gauge deltas from the last value; one out of range does not move
    //  it; the first delta starts from 0
    s_feed (self, "temp:+10|g", NOW);
    s_feed (self, "temp:20|g\ntemp:+5|g\ntemp:-30|g\ntemp:+500|g\ntemp:+1|g",
            NOW);
    assert_int_equal (n->out_of_range, 4);
    assert_int_equal (s_nsamples, 5);
    assert_true (s_samples[0].value == 10);
    assert_true (s_samples[1].value == 20);
    assert_true (s_samples[2].value == 25);
    assert_true (s_samples[3].value == -5);
    assert_true (s_samples[4].value == -4);
    //  Packed gauge deltas apply in order
    s_feed (self, "temp:+1:+1:+1|g", NOW);
    assert_true (s_samples[7].value == -1);
    hl_statsd_destroy (&self);
}

static void
test_counters (void **state)
{
    (void)state;
    hl_statsd_t *self = s_new ();
    const hl_statsd_counters_t *n = hl_statsd_counters (self);
    int64_t t0 = NOW; /* a whole second */
    //  Second 0: 3 + 2 sampled at 10% (= 20) + 5 = 28 per second
    s_feed (self, "msgs:3|c", t0);
    s_feed (self, "msgs:2|c|@0.1\nmsgs:5|c", t0 + 400000);
    assert_int_equal (s_nsamples, 0); /* given when the second is over */
    assert_int_equal (n->values, 3);
    hl_statsd_flush (self, t0 + 900000, s_sink, NULL);
    assert_int_equal (s_nsamples, 0);
    hl_statsd_flush (self, t0 + 1100000, s_sink, NULL);
    assert_int_equal (s_nsamples, 1);
    assert_string_equal (s_samples[0].name, "throughput");
    assert_true (s_samples[0].value == 28);
    assert_int_equal (s_samples[0].ts, t0 + 500000);
    //  Second 1 had none: 0, given at the next flush; a flush that was
    //  late by a second gives both seconds
    hl_statsd_flush (self, t0 + 3100000, s_sink, NULL);
    assert_int_equal (s_nsamples, 3);
    assert_true (s_samples[1].value == 0 && s_samples[2].value == 0);
    assert_int_equal (s_samples[1].ts, t0 + 1500000);
    assert_int_equal (s_samples[2].ts, t0 + 2500000);
    //  An increment in a later second gives the previous seconds at once
    s_feed (self, "msgs:4|c", t0 + 4200000);
    assert_int_equal (s_nsamples, 4);
    assert_int_equal (s_samples[3].ts, t0 + 3500000);
    hl_statsd_flush (self, t0 + 5000000, s_sink, NULL);
    assert_int_equal (s_nsamples, 5);
    assert_true (s_samples[4].value == 4);
    //  Idle: no zeros once HL_STATSD_COUNTER_IDLE seconds have passed
    size_t before = s_nsamples;
    hl_statsd_flush (self, t0 + (5 + HL_STATSD_COUNTER_IDLE + 10) * 1000000LL,
                     s_sink, NULL);
    assert_int_equal (s_nsamples, before);
    //  A negative rate is out of throughput's range
    s_feed (self, "msgs:-1|c", t0 + 400000000);
    hl_statsd_flush (self, t0 + 401000000, s_sink, NULL);
    assert_int_equal (n->out_of_range, 1);
    hl_statsd_destroy (&self);
}

/*  Random datagrams of the characters that matter: never a crash or
    an overrun (the sanitizer builds watch), every line accounted for. */
static void
test_random_input (void **state)
{
    (void)state;
    hl_statsd_t *self = s_new ();
    static const char alphabet[] = "latency:hits|#@T,.+-eE0123456789msgcdh\n\r_"
                                   "\x01\xff ";
    unsigned seed = 7;
    char packet[512];
    uint64_t lines = 0;
    for (int i = 0; i < 200000; i++) {
        size_t len = rand_r (&seed) % sizeof packet;
        for (size_t k = 0; k < len; k++)
            packet[k] = alphabet[rand_r (&seed) % (sizeof alphabet - 1)];
        lines += hl_statsd_packet (self, packet, len, NOW, s_sink, NULL);
        s_nsamples = 0;
    }
    const hl_statsd_counters_t *n = hl_statsd_counters (self);
    assert_int_equal (n->lines, lines);
    uint64_t by = 0;
    for (int r = 0; r < HL_STATSD_REASONS; r++)
        by += n->malformed_by[r];
    assert_int_equal (by, n->malformed);
    /*  Each line is malformed, unsupported, unknown, or mapped (and then
        all its values counted) */
    assert_true (n->malformed + n->unsupported + n->unknown <= n->lines);
    assert_true (n->malformed > 0);
    hl_statsd_flush (self, NOW + 1000000, s_sink, NULL);
    hl_statsd_destroy (&self);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_types),
        cmocka_unit_test (test_numbers_exact),
        cmocka_unit_test (test_rates_tags_timestamps),
        cmocka_unit_test (test_multi_values),
        cmocka_unit_test (test_malformed),
        cmocka_unit_test (test_packet_lines),
        cmocka_unit_test (test_mapping),
        cmocka_unit_test (test_ranges_and_gauges),
        cmocka_unit_test (test_counters),
        cmocka_unit_test (test_random_input),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
