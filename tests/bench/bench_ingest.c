/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    bench_ingest - metric ingestion through the bus into the master's KPI
    tracker, against a raw baseline of the same shape measured in the same
    run. Raw: a libzmq XPUB publisher -> XSUB/XPUB zmq_proxy -> SUB, each
    in its own process on tcp 127.0.0.1, sending 2-frame messages as large
    as one Helios metric message. Helios: a real helios-master with twelve
    metrics, a publisher process sending `metric` messages (then `metrics`
    batches) to bus-in as fast as it can; the master's status says how many
    samples its tracker accepted. Prints both, their ratio and every loss
    with where it happened; if a flood loses, a paced run follows.

    The single-sample flood and the raw run alternate --rounds times
    (3) and their medians are compared.

    Usage: bench_ingest [-v] [--messages N] [--rounds R] [--batch B]...
                        (binaries from $HELIOS_BIN; -v: their logs)
*/
#include <czmq.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"
#include "../integration/harness.h"

#define S_METRICS 12
#define S_BATCHES_MAX 8
#define S_START_MS 15000      /* for a child to connect and say START */
#define S_STALL_MS 2000       /* Helios: no progress for this long ends a run */
#define S_RAW_STALL_MS 1000   /* raw: a silent stream for this long ends it */
#define S_RUN_MS 180000       /* any single run, whatever happens */
#define S_POLL_MS 10          /* between two status requests */
#define S_TARGET " (>= 0.50)" /* design §10, single samples */
#define S_BATCH_NOTE " (x raw)" /* §10: several times raw msgs/s */
#define S_ROUNDS_MAX 9
#define S_PROBE_S 1.5 /* length of one pacing probe, seconds */

/*  The seed's twelve input KPIs (design §4), all configured alike so that
    every sample is accepted and health stays out of emergency. */
static const char *s_names[S_METRICS]
    = { "chat_response_time",   "ui_interaction_lag", "message_render_time",
        "prompt_feed_refresh",  "api_response_time",  "redis_cache_hit",
        "websocket_throughput", "report_generation",  "user_retention_24h",
        "messages_per_session", "session_duration",   "optimization_roi" };

static char s_self[PATH_MAX]; /* this binary, re-executed for children */

static int64_t
s_mono_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

//  ---- children -------------------------------------------------------------
//  Each runs in a process of its own, re-executed from this binary so that
//  it starts with no ZeroMQ context inherited. They talk to the parent in
//  lines on stdout: READY/START first, DONE last, FAIL on an error.

static void
s_line (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vprintf (fmt, ap);
    va_end (ap);
    fflush (stdout);
}

static void
s_set_int (void *sock, int option, int value)
{
    zmq_setsockopt (sock, option, &value, sizeof value);
}

static void
s_raw_limits (void *sock)
{
    //  The same limits as the Helios sockets, so only the code differs
    s_set_int (sock, ZMQ_SNDHWM, HL_HWM_DEFAULT);
    s_set_int (sock, ZMQ_RCVHWM, HL_HWM_DEFAULT);
    s_set_int (sock, ZMQ_LINGER, 0);
    int64_t max = HL_MSG_MAX_SIZE;
    zmq_setsockopt (sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
}

/*  The raw proxy: zmq_proxy between an XSUB and an XPUB, until SIGTERM.
    XPUB_NODROP makes zmq_proxy's sends wait for a full subscriber, so
    the raw path pushes back to the publisher instead of dropping. */
static int
s_child_proxy (void)
{
    void *ctx = zmq_ctx_new ();
    void *xsub = zmq_socket (ctx, ZMQ_XSUB);
    void *xpub = zmq_socket (ctx, ZMQ_XPUB);
    s_raw_limits (xsub);
    s_raw_limits (xpub);
    s_set_int (xpub, ZMQ_XPUB_NODROP, 1);
    char in[HT_EP], out[HT_EP];
    size_t in_len = sizeof in, out_len = sizeof out;
    if (zmq_bind (xsub, "tcp://127.0.0.1:*")
        || zmq_bind (xpub, "tcp://127.0.0.1:*")
        || zmq_getsockopt (xsub, ZMQ_LAST_ENDPOINT, in, &in_len)
        || zmq_getsockopt (xpub, ZMQ_LAST_ENDPOINT, out, &out_len)) {
        s_line ("FAIL proxy bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    s_line ("READY %s %s\n", in, out);
    zmq_proxy (xsub, xpub, NULL);
    return 0;
}

/*  Wait for the first subscription on an XPUB, so nothing is lost to the
    slow-joiner race (as hl_sock_publisher_wait does for Helios). */
static bool
s_raw_wait_subscribed (void *xpub, int timeout_ms)
{
    int64_t deadline = s_mono_us () + (int64_t)timeout_ms * 1000;
    while (s_mono_us () < deadline) {
        zmq_pollitem_t item = { xpub, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        uint8_t buf[256];
        int n = zmq_recv (xpub, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n >= 1 && buf[0] == 1)
            return true;
    }
    return false;
}

/*  The raw publisher: n messages [topic][size bytes] as fast as it can.
    An XPUB as hl_sock_publisher makes, but with XPUB_NODROP and blocking
    sends, so that it waits at its HWM instead of dropping: the baseline
    is then what the path carries, not how fast a flood can be thrown
    away. */
static int
s_child_raw_pub (const char *endpoint, long n, size_t size, const char *topic)
{
    void *ctx = zmq_ctx_new ();
    void *pub = zmq_socket (ctx, ZMQ_XPUB);
    s_raw_limits (pub);
    s_set_int (pub, ZMQ_XPUB_NODROP, 1);
    if (zmq_connect (pub, endpoint) || !s_raw_wait_subscribed (pub, 10000)) {
        s_line ("FAIL raw publisher: no subscription from %s\n", endpoint);
        return 1;
    }
    uint8_t *payload = (uint8_t *)malloc (size);
    memset (payload, 0xa5, size);
    size_t topic_len = strlen (topic);
    long sent = 0;
    s_line ("START %" PRId64 "\n", s_mono_us ());
    for (long i = 0; i < n; i++) {
        memcpy (payload, &i, size < sizeof i ? size : sizeof i);
        if (zmq_send (pub, topic, topic_len, ZMQ_SNDMORE) < 0
            || zmq_send (pub, payload, size, 0) < 0)
            break;
        sent++;
    }
    s_line ("DONE %ld %" PRId64 "\n", sent, s_mono_us ());
    //  Let what is queued reach the proxy before the context goes
    s_set_int (pub, ZMQ_LINGER, 10000);
    zmq_close (pub);
    zmq_ctx_term (ctx);
    free (payload);
    return 0;
}

/*  One bus message carrying count samples from sample number first:
    `metric` when batch is 1, else a `metrics` batch. Names cycle over the
    configured metrics; values stay under target; ts is now. */
static hl_msg_t *
s_build (long first, long count, long batch)
{
    int64_t now = hl_msg_now_us ();
    if (batch == 1) {
        hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
        hl_msg_set_src (msg, "bench-ingest");
        hl_msg_set_name (msg, s_names[first % S_METRICS]);
        hl_msg_set_value (msg, (double)(first % 90));
        hl_msg_set_sample_ts (msg, now);
        return msg;
    }
    hl_msg_t *msg = hl_msg_new (HL_MSG_METRICS);
    hl_msg_set_src (msg, "bench-ingest");
    for (long i = first; i < first + count; i++)
        hl_msg_add_sample (msg, s_names[i % S_METRICS], (double)(i % 90), now,
                           NULL);
    return msg;
}

/*  The Helios publisher: samples in messages of batch samples to bus-in
    through hl_sock_publisher, flat out (rate 0) or paced at rate samples
    per second. A full queue makes it wait for room, as the raw publisher
    does (hl_bus_send_wait); a send refused even so (HL_ERR_IO after a
    second) is counted and retried, ten times at most. */
static int
s_child_pub (const char *endpoint, long samples, long batch, double rate)
{
    hl_sock_opts_t opts;
    hl_sock_opts_default (&opts);
    opts.linger_ms = 10000; /* what is queued at exit still goes out */
    zsock_t *pub = hl_sock_publisher (endpoint, &opts);
    if (!pub || hl_sock_publisher_wait (pub, 10000) != 0) {
        s_line ("FAIL publisher: no subscription from %s\n", endpoint);
        zsock_destroy (&pub);
        return 1;
    }
    long msgs = (samples + batch - 1) / batch, sent = 0, retries = 0;
    long failed = 0;
    int64_t t0 = s_mono_us ();
    s_line ("START %" PRId64 "\n", t0);
    for (long i = 0; i < msgs; i++) {
        long first = i * batch;
        long count = samples - first < batch ? samples - first : batch;
        //  Pacing: never ahead of rate; a short step when ahead
        while (rate > 0
               && (double)first > rate * (double)(s_mono_us () - t0) / 1e6)
            poll (NULL, 0, 1);
        for (int tries = 1;; tries++) {
            hl_msg_t *msg = s_build (first, count, batch);
            int rc = hl_bus_send_wait (pub, &msg, 1000);
            if (rc == 0) {
                sent++;
                break;
            }
            if (rc != HL_ERR_IO || tries == 10) {
                failed++; /* not retried: cannot encode, or stuck */
                break;
            }
            retries++;
        }
    }
    s_line ("DONE %ld %ld %ld %" PRId64 "\n", sent, retries, failed,
            s_mono_us ());
    zsock_destroy (&pub);
    return 0;
}

static int
s_child (int argc, char *argv[])
{
    if (argc == 3 && streq (argv[2], "proxy"))
        return s_child_proxy ();
    if (argc == 7 && streq (argv[2], "raw-pub"))
        return s_child_raw_pub (argv[3], atol (argv[4]), (size_t)atol (argv[5]),
                                argv[6]);
    if (argc == 7 && streq (argv[2], "pub"))
        return s_child_pub (argv[3], atol (argv[4]), atol (argv[5]),
                            atof (argv[6]));
    s_line ("FAIL bad child arguments\n");
    return 2;
}

//  ---- parent: helpers ------------------------------------------------------

/*  Start a child of this binary with mode and its arguments. */
static ht_proc_t *
s_spawn (const char *mode, const char *a1, const char *a2, const char *a3,
         const char *a4)
{
    const char *argv[] = { s_self, "--child", mode, a1, a2, a3, a4, NULL };
    return ht_start (argv);
}

/*  Read a line starting with word within timeout_ms; false on FAIL,
    on silence or on exit. */
static bool
s_expect (ht_proc_t *proc, const char *word, char *line, size_t size,
          int timeout_ms)
{
    if (!ht_read_line (proc, line, size, timeout_ms))
        return false;
    if (strncmp (line, word, strlen (word)) != 0) {
        fprintf (stderr, "bench_ingest: child said: %s\n", line);
        return false;
    }
    return true;
}

/*  Let a child that has said DONE exit by itself, else stop it. */
static void
s_reap (ht_proc_t **proc_p)
{
    if (*proc_p && ht_wait (*proc_p, 15000) == -2)
        fprintf (stderr, "bench_ingest: a publisher did not exit\n");
    ht_stop (proc_p, 2000);
}

//  ---- raw baseline ---------------------------------------------------------

typedef struct {
    double per_s;
    long sent;
    long received;
} s_raw_t;

static bool
s_raw_run (long n, size_t size, const char *topic, s_raw_t *r)
{
    memset (r, 0, sizeof *r);
    char line[1024], in[HT_EP], out[HT_EP];
    ht_proc_t *pub = NULL;
    ht_proc_t *proxy = s_spawn ("proxy", NULL, NULL, NULL, NULL);
    void *ctx = zmq_ctx_new ();
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    bool ok = false;
    if (!proxy || !s_expect (proxy, "READY", line, sizeof line, S_START_MS)
        || sscanf (line, "READY %255s %255s", in, out) != 2)
        goto done;
    s_raw_limits (sub);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect (sub, out))
        goto done;
    char count[32], bytes[32];
    snprintf (count, sizeof count, "%ld", n);
    snprintf (bytes, sizeof bytes, "%zu", size);
    pub = s_spawn ("raw-pub", in, count, bytes, topic);
    if (!pub || !s_expect (pub, "START", line, sizeof line, S_START_MS))
        goto done;
    int64_t t0 = 0, t_last = 0;
    sscanf (line, "START %" SCNd64, &t0);

    //  Count whole messages until all are in or the stream goes silent
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    long received = 0;
    int wait_ms = S_START_MS;
    while (received < n) {
        zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, wait_ms) <= 0)
            break;
        while (received < n && zmq_msg_recv (&frame, sub, ZMQ_DONTWAIT) >= 0)
            if (!zmq_msg_more (&frame))
                received++;
        t_last = s_mono_us ();
        wait_ms = S_RAW_STALL_MS;
    }
    zmq_msg_close (&frame);
    if (s_expect (pub, "DONE", line, sizeof line, S_START_MS))
        sscanf (line, "DONE %ld", &r->sent);
    r->received = received;
    r->per_s = t_last > t0 ? (double)received * 1e6 / (double)(t_last - t0) : 0;
    ok = received > 0;
done:
    if (!ok)
        fprintf (stderr, "bench_ingest: the raw baseline did not run\n");
    zmq_close (sub);
    zmq_ctx_term (ctx);
    if (pub)
        s_reap (&pub);
    if (proxy)
        ht_stop (&proxy, 2000);
    return ok;
}

//  ---- Helios ---------------------------------------------------------------

typedef struct {
    int64_t accepted;      /* kpi: samples in the tracker */
    int64_t refused;       /* kpi: samples refused, all reasons */
    int64_t bus_received;  /* proxy: messages read from bus-in */
    int64_t bus_dropped;   /* proxy: dropped at the master's intake */
    int64_t bus_rejected;  /* proxy: invalid, not forwarded */
    int64_t published;     /* the master's own publications */
    int64_t decode_errors; /* master: metric messages it refused */
} s_status_t;

static bool
s_status (const ht_master_t *m, s_status_t *st)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    if (!reply || !hl_msg_ok (reply)) {
        hl_msg_destroy (&reply);
        return false;
    }
    const hl_value_t *data = hl_msg_data (reply);
    const hl_value_t *kpi = hl_value_get (data, "kpi");
    const hl_value_t *refused = hl_value_get (kpi, "rejected");
    const hl_value_t *bus = hl_value_get (data, "bus");
    const hl_value_t *metrics = hl_value_get (data, "metrics");
    st->accepted = hl_value_get_int (kpi, "accepted", 0);
    st->refused = hl_value_get_int (refused, "unknown", 0)
                  + hl_value_get_int (refused, "not_finite", 0)
                  + hl_value_get_int (refused, "out_of_range", 0)
                  + hl_value_get_int (refused, "too_old", 0)
                  + hl_value_get_int (refused, "too_new", 0);
    st->bus_received = hl_value_get_int (bus, "received", 0);
    st->bus_dropped = hl_value_get_int (bus, "intake_dropped", 0);
    st->bus_rejected = hl_value_get_int (bus, "rejected", 0);
    st->published = hl_value_get_int (bus, "published", 0);
    st->decode_errors = hl_value_get_int (metrics, "rejected", 0);
    hl_msg_destroy (&reply);
    return true;
}

typedef struct {
    double per_s;     /* samples accepted per second */
    long sent;        /* messages the publisher sent */
    long retries;     /* sends refused and retried */
    long failed;      /* sends given up */
    s_status_t delta; /* status counters over the run */
} s_run_t;

/*  One Helios run: samples in batches of batch at rate (0: flat out).
    Timed from the first send to the status poll that first saw the last
    accepted sample (S_POLL_MS resolution). */
static bool
s_helios_run (const ht_master_t *m, long samples, long batch, double rate,
              s_run_t *r)
{
    memset (r, 0, sizeof *r);
    s_status_t before, now;
    if (!s_status (m, &before)) {
        fprintf (stderr, "bench_ingest: helios-master does not answer\n");
        return false;
    }
    char count[32], size[32], pace[32], line[1024];
    snprintf (count, sizeof count, "%ld", samples);
    snprintf (size, sizeof size, "%ld", batch);
    snprintf (pace, sizeof pace, "%.0f", rate);
    ht_proc_t *pub = s_spawn ("pub", m->bus_in, count, size, pace);
    if (!pub || !s_expect (pub, "START", line, sizeof line, S_START_MS)) {
        fprintf (stderr, "bench_ingest: the publisher did not start\n");
        ht_stop (&pub, 2000);
        return false;
    }
    int64_t t0 = 0;
    sscanf (line, "START %" SCNd64, &t0);
    now = before;
    bool done = false, alive = true;
    int64_t seen = 0, t_last = t0, changed = s_mono_us ();
    int64_t deadline = changed + (int64_t)S_RUN_MS * 1000;
    while (s_mono_us () < deadline && !zsys_interrupted) {
        //  The wait step between two polls reads the publisher's DONE
        if (!done && ht_read_line (pub, line, sizeof line, S_POLL_MS)) {
            done = true;
            sscanf (line, "DONE %ld %ld %ld", &r->sent, &r->retries,
                    &r->failed);
        } else if (done)
            poll (NULL, 0, S_POLL_MS);
        if (!s_status (m, &now)) {
            //  No answer: give up at once if the master has gone
            int status = ht_wait (m->proc, 0);
            if (status != -2) {
                fprintf (stderr,
                         "bench_ingest: helios-master exited (%d) "
                         "during a run\n",
                         status);
                alive = false;
                break;
            }
            continue;
        }
        int64_t total
            = now.accepted - before.accepted + now.refused - before.refused;
        if (total > seen) {
            seen = total;
            t_last = changed = s_mono_us ();
        }
        if (total >= samples)
            break;
        //  Stalled: only once every message is out of the publisher
        if (done && s_mono_us () - changed >= (int64_t)S_STALL_MS * 1000)
            break;
    }
    if (!done && s_expect (pub, "DONE", line, sizeof line, S_START_MS))
        sscanf (line, "DONE %ld %ld %ld", &r->sent, &r->retries, &r->failed);
    s_reap (&pub);
    r->delta.accepted = now.accepted - before.accepted;
    r->delta.refused = now.refused - before.refused;
    r->delta.bus_received = now.bus_received - before.bus_received;
    r->delta.bus_dropped = now.bus_dropped - before.bus_dropped;
    r->delta.bus_rejected = now.bus_rejected - before.bus_rejected;
    r->delta.published = now.published - before.published;
    r->delta.decode_errors = now.decode_errors - before.decode_errors;
    r->per_s = t_last > t0
                   ? (double)r->delta.accepted * 1e6 / (double)(t_last - t0)
                   : 0;
    return alive && !zsys_interrupted;
}

static long
s_lost (const s_run_t *r, long samples)
{
    return samples - (long)(r->delta.accepted + r->delta.refused);
}

/*  Where the losses happened, in messages unless said otherwise. The
    publisher's share is what it sent that the proxy never read (its
    XPUB refuses rather than drops past the HWM, so this is what a lost
    connection or the end of the run took). */
static void
s_print_losses (const s_run_t *r, long samples)
{
    long lost = s_lost (r, samples);
    long at_pub = r->sent - (long)(r->delta.bus_received - r->delta.published);
    printf ("      lost %ld samples: publisher HWM ~%ld msgs, proxy->master "
            "HWM %" PRId64 " msgs, proxy rejected %" PRId64 ", decode "
            "errors %" PRId64 ", kpi refused %" PRId64 " samples%s\n",
            lost < 0 ? 0 : lost, at_pub < 0 ? 0 : at_pub, r->delta.bus_dropped,
            r->delta.bus_rejected, r->delta.decode_errors, r->delta.refused,
            r->failed ? " (sends given up)" : "");
    if (r->retries || r->failed)
        printf ("      publisher: %ld sends refused and retried, %ld given "
                "up\n",
                r->retries, r->failed);
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/*  The median of v[0..n), n >= 1; sorts v. */
static double
s_median (double *v, int n)
{
    qsort (v, (size_t)n, sizeof (double), s_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
s_print_run (const char *label, const s_run_t *r, long samples,
             double raw_per_s, const char *target)
{
    printf ("  %-28s %10.0f samples/s  ratio %5.2f%s  accepted %" PRId64
            "/%ld\n",
            label, r->per_s, r->per_s / raw_per_s, target, r->delta.accepted,
            samples);
    if (s_lost (r, samples) != 0 || r->retries || r->failed)
        s_print_losses (r, samples);
    fflush (stdout);
}

/*  A flood lost samples: find a rate just below saturation with short
    probes, starting a little above what the flood achieved, then run the
    full count paced at it. */
static bool
s_paced (const ht_master_t *m, long samples, long batch, double flood,
         double raw_per_s, const char *target)
{
    static const double factors[] = { 1.3, 1.15, 1.0, 0.85, 0.7, 0.55, 0.4 };
    double rate = 0;
    for (size_t i = 0; i < sizeof factors / sizeof factors[0]; i++) {
        double probe_rate = flood * factors[i];
        long probe = (long)(probe_rate * S_PROBE_S);
        if (probe < batch * 64)
            probe = batch * 64;
        s_run_t r;
        if (!s_helios_run (m, probe, batch, probe_rate, &r))
            return false;
        printf ("      probe at %9.0f/s: %9.0f samples/s, lost %ld of %ld\n",
                probe_rate, r.per_s, s_lost (&r, probe), probe);
        fflush (stdout);
        if (s_lost (&r, probe) == 0) {
            rate = probe_rate;
            break;
        }
    }
    if (rate == 0) {
        printf ("      no loss-free rate found down to 0.4x the flood\n");
        return true;
    }
    s_run_t r;
    if (!s_helios_run (m, samples, batch, rate, &r))
        return false;
    char label[64];
    snprintf (label, sizeof label, "  paced at %.0f/s", rate);
    s_print_run (label, &r, samples, raw_per_s, target);
    return true;
}

/*  The master's config: twelve metrics, all better lower, target 100. */
static void
s_config (char *buf, size_t size)
{
    size_t len = (size_t)snprintf (buf, size, "metrics = (\n");
    for (int i = 0; i < S_METRICS && len < size; i++)
        len += (size_t)snprintf (buf + len, size - len,
                                 "  { name = \"%s\"; category = \"%s\";"
                                 " better = \"lower\"; stat = \"p95\";"
                                 " target = 100.0; critical = 1000.0; }%s\n",
                                 s_names[i],
                                 i < 4   ? "frontend"
                                 : i < 8 ? "backend"
                                         : "business",
                                 i + 1 < S_METRICS ? "," : "");
    if (len < size)
        snprintf (buf + len, size - len, ");\n");
}

int
main (int argc, char *argv[])
{
    if (argc >= 2 && streq (argv[1], "--child"))
        return s_child (argc, argv);
    long messages = 2000000;
    long batches[S_BATCHES_MAX] = { 64, 512 };
    int batches_n = 2;
    bool batch_given = false, verbose = false;
    int rounds = 3;
    for (int i = 1; i < argc; i += 2) {
        long v = i + 1 < argc ? atol (argv[i + 1]) : 0;
        if (streq (argv[i], "-v")) {
            verbose = true; /* children's logs on stderr */
            i--;
        } else if (streq (argv[i], "--messages") && v > 0)
            messages = v;
        else if (streq (argv[i], "--rounds") && v >= 1 && v <= S_ROUNDS_MAX)
            rounds = (int)v;
        else if (streq (argv[i], "--batch") && v >= 2 && v <= HL_MAX_ITEMS) {
            if (!batch_given)
                batches_n = 0;
            batch_given = true;
            if (batches_n < S_BATCHES_MAX)
                batches[batches_n++] = v;
        } else {
            fprintf (stderr,
                     "usage: bench_ingest [-v] [--messages N] [--rounds "
                     "1..%d] [--batch 2..%d]...\n",
                     S_ROUNDS_MAX, HL_MAX_ITEMS);
            return 2;
        }
    }
    ssize_t len = readlink ("/proc/self/exe", s_self, sizeof s_self - 1);
    if (len <= 0) {
        fprintf (stderr, "bench_ingest: cannot find its own binary\n");
        return 1;
    }
    s_self[len] = 0;
    zsys_init ();
    if (!verbose)
        setenv ("HT_QUIET", "1", 1);

    //  The raw message is as large as the Helios one
    hl_msg_t *model = s_build (4, 1, 1);
    char topic[HL_MAX_TOPIC + 1];
    uint8_t *data = NULL;
    size_t size = 0;
    hl_msg_topic (model, topic, sizeof topic);
    int rc = hl_msg_encode (model, &data, &size);
    hl_msg_destroy (&model);
    free (data);
    if (rc != 0) {
        fprintf (stderr, "bench_ingest: cannot encode a metric\n");
        return 1;
    }
    printf ("metric ingestion: %ld messages (samples), %d metrics, "
            "[%s][%zu-byte envelope], HWM %d\n",
            messages, S_METRICS, topic, size, HL_HWM_DEFAULT);
    fflush (stdout);

    /*  The single-sample flood alternates with the raw run, rounds
        times, and the medians are compared: one run of each let a slow
        spell of the machine land on one side only. */
    char config[4096];
    s_config (config, sizeof config);
    ht_master_t m, m0;
    if (!ht_master_start (&m, NULL, config)) {
        fprintf (stderr, "bench_ingest: helios-master did not start\n");
        return 1;
    }
    /*  The same master without its store, for what the store costs */
    char config0[4200];
    snprintf (config0, sizeof config0, "%sstore = { enabled = false; };\n",
              config);
    if (!ht_master_start (&m0, NULL, config0)) {
        fprintf (stderr, "bench_ingest: helios-master did not start\n");
        ht_master_stop (&m);
        return 1;
    }
    bool ok = true;
    double raw_per_s[S_ROUNDS_MAX] = { 0 }, hel_per_s[S_ROUNDS_MAX] = { 0 };
    double off_per_s[S_ROUNDS_MAX] = { 0 };
    s_run_t r;
    bool lost = false;
    for (int k = 0; ok && k < rounds; k++) {
        s_raw_t raw;
        if (!s_raw_run (messages, size, topic, &raw)) {
            ht_master_stop (&m);
            ht_master_stop (&m0);
            return 1;
        }
        raw_per_s[k] = raw.per_s;
        printf ("  %-28s %10.0f msgs/s     received %ld/%ld, lost %ld "
                "(publisher and proxy wait at HWM)\n",
                "raw XPUB->zmq_proxy->SUB", raw.per_s, raw.received, messages,
                messages - raw.received);
        fflush (stdout);
        if (!s_helios_run (&m, messages, 1, 0, &r)) {
            ok = false;
            break;
        }
        hel_per_s[k] = r.per_s;
        s_print_run ("helios metric, flood", &r, messages, raw.per_s, S_TARGET);
        lost = lost || s_lost (&r, messages) != 0;
        if (!s_helios_run (&m0, messages, 1, 0, &r)) {
            ok = false;
            break;
        }
        off_per_s[k] = r.per_s;
        s_print_run ("helios metric, no store", &r, messages, raw.per_s,
                     S_TARGET);
    }
    double raw_med = ok ? s_median (raw_per_s, rounds) : 0;
    if (ok) {
        double hel_med = s_median (hel_per_s, rounds);
        printf ("  medians of %d: raw %.0f msgs/s, helios %.0f samples/s, "
                "ratio %.2f%s\n",
                rounds, raw_med, hel_med, hel_med / raw_med, S_TARGET);
        double off_med = s_median (off_per_s, rounds);
        printf ("  store: with / without %.2f (%.0f / %.0f samples/s; "
                "target >= 0.95)\n",
                hel_med / off_med, hel_med, off_med);
        fflush (stdout);
        if (lost)
            ok = s_paced (&m, messages, 1, hel_med, raw_med, S_TARGET);
    }
    for (int i = 0; ok && i < batches_n; i++) {
        char label[64];
        snprintf (label, sizeof label, "helios metrics B=%ld, flood",
                  batches[i]);
        if (!s_helios_run (&m, messages, batches[i], 0, &r)) {
            ok = false;
            break;
        }
        s_print_run (label, &r, messages, raw_med, S_BATCH_NOTE);
        fflush (stdout);
        if (s_lost (&r, messages) != 0)
            ok = s_paced (&m, messages, batches[i], r.per_s, raw_med,
                          S_BATCH_NOTE);
    }
    int master_rc = ht_master_stop (&m);
    ht_master_stop (&m0);
    if (master_rc != 0)
        printf ("  helios-master exited with %d\n", master_rc);
    if (!ok) {
        printf ("  helios: a run failed (see stderr)\n");
        return 1;
    }
    return 0;
}
