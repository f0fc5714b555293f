/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    bench_statsd - StatsD lines per second ingested without loss by the
    real helios-master (each line read, mapped and added to the KPI
    tracker), against a raw UDP receive loop that does nothing with the
    lines (a process draining its socket with recvmmsg and counting
    datagrams), measured in the same run with the same sender, the same
    datagrams and the same receive buffer. The sender is paced: each step
    sends at a fixed rate for a while, then counts what arrived (the
    master's own status for Helios); the rate climbs by half until a step
    loses a line or the sender cannot go faster. Prints each receiver's
    highest lossless rate and their ratio (design §10: >= 0.5), then runs
    the master at half the raw rate and below and reports any loss.

    Usage: bench_statsd [-v] [--step-seconds S] [--rounds R]
                        (binaries from $HELIOS_BIN; -v: the master's log)
*/
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "../../proto/hl_msg.h"
#include "../integration/harness.h"

#define S_RCVBUF (4 * 1024 * 1024) /* both receivers ask for this */
#define S_DATAGRAMS 16             /* distinct datagrams cycled */
#define S_START_RATE 50000.0       /* lines/s of the first step */
#define S_MAX_RATE 50e6            /* lines/s: no step beyond */
#define S_DRAIN_MS 2000            /* for the last lines to be read */
#define S_SEND_BATCH 64            /* datagrams per sendmmsg */

static int s_lines_per_datagram = 25;
static double s_step_s = 0.5;
static bool s_verbose;

static char s_data[S_DATAGRAMS][1500];
static size_t s_data_len[S_DATAGRAMS];

static int64_t
s_mono_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*  Datagrams of lines for four metrics, values within their ranges, as a
    client library packs them (a few hundred bytes, under one MTU). */
static void
s_make_data (void)
{
    for (int d = 0; d < S_DATAGRAMS; d++) {
        size_t n = 0;
        for (int l = 0; l < s_lines_per_datagram; l++) {
            int v = 100 + (d * 31 + l * 17) % 300;
            char *at = s_data[d] + n;
            size_t room = sizeof s_data[d] - n;
            int w;
            switch ((d * 7 + l) % 4) {
                case 0:
                    w = snprintf (at, room, "api.latency:%d.%d|ms\n", v,
                                  v % 10);
                    break;
                case 1:
                    w = snprintf (at, room, "cache.hit_ratio:0.%02d|g\n",
                                  50 + v % 50);
                    break;
                case 2:
                    w = snprintf (at, room, "queue.depth:%d|h\n", v);
                    break;
                default:
                    w = snprintf (at, room, "render_time:%d|d|#page:home\n", v);
                    break;
            }
            n += (size_t)w;
        }
        s_data_len[d] = n;
    }
}

//  ---- the sender ---------------------------------------------------------

static int
s_sender (int port)
{
    int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = { .sin_family = AF_INET };
    to.sin_port = htons ((uint16_t)port);
    to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (fd < 0 || connect (fd, (struct sockaddr *)&to, sizeof to) != 0) {
        perror ("bench_statsd: sender");
        exit (1);
    }
    int sndbuf = S_RCVBUF;
    setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    return fd;
}

/*  Send at rate lines/s for s_step_s seconds, in bursts every 200 us.
    Returns the datagrams sent; *achieved gets the rate reached. */
static uint64_t
s_send_paced (int fd, double rate, double *achieved)
{
    struct mmsghdr msgs[S_SEND_BATCH];
    struct iovec iovs[S_SEND_BATCH];
    double per_us = rate / s_lines_per_datagram / 1e6;
    int64_t start = s_mono_us ();
    int64_t end = start + (int64_t)(s_step_s * 1e6);
    uint64_t sent = 0;
    int next = 0;
    while (true) {
        int64_t now = s_mono_us ();
        if (now >= end)
            break;
        uint64_t due = (uint64_t)((double)(now - start) * per_us);
        while (sent < due) {
            uint64_t want = due - sent;
            if (want > S_SEND_BATCH)
                want = S_SEND_BATCH;
            for (uint64_t i = 0; i < want; i++) {
                iovs[i].iov_base = s_data[next];
                iovs[i].iov_len = s_data_len[next];
                next = (next + 1) % S_DATAGRAMS;
                memset (&msgs[i], 0, sizeof msgs[i]);
                msgs[i].msg_hdr.msg_iov = &iovs[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            int n = sendmmsg (fd, msgs, (unsigned)want, 0);
            if (n <= 0) {
                if (n < 0 && errno != EINTR && errno != ENOBUFS
                    && errno != EAGAIN && errno != ECONNREFUSED) {
                    perror ("bench_statsd: sendmmsg");
                    exit (1);
                }
                break;
            }
            sent += (uint64_t)n;
        }
        struct timespec ts = { 0, 200000 };
        nanosleep (&ts, NULL);
    }
    double took = (double)(s_mono_us () - start) / 1e6;
    *achieved = (double)sent * s_lines_per_datagram / took;
    return sent;
}

//  ---- the raw receiver -------------------------------------------------

/*  A child draining a UDP socket and counting datagrams; it answers
    each byte on ctl with the count so far (8 bytes). */
static void
s_raw_loop (int udp, int ctl)
{
    enum { BATCH = 64, SIZE = 1500 };
    static char bufs[BATCH][SIZE];
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    uint64_t count = 0;
    while (true) {
        struct pollfd pfd[2] = { { udp, POLLIN, 0 }, { ctl, POLLIN, 0 } };
        if (poll (pfd, 2, -1) < 0 && errno != EINTR)
            _exit (1);
        if (pfd[0].revents & POLLIN) {
            while (true) {
                for (int i = 0; i < BATCH; i++) {
                    iovs[i].iov_base = bufs[i];
                    iovs[i].iov_len = SIZE;
                    memset (&msgs[i], 0, sizeof msgs[i]);
                    msgs[i].msg_hdr.msg_iov = &iovs[i];
                    msgs[i].msg_hdr.msg_iovlen = 1;
                }
                int n = recvmmsg (udp, msgs, BATCH, MSG_DONTWAIT, NULL);
                if (n <= 0)
                    break;
                count += (uint64_t)n;
            }
        }
        if (pfd[1].revents) {
            char c;
            if (read (ctl, &c, 1) != 1)
                _exit (0);
            if (write (ctl, &count, sizeof count) != sizeof count)
                _exit (1);
        }
    }
}

typedef struct {
    pid_t pid;
    int ctl;
    int port;
} s_raw_t;

static void
s_raw_start (s_raw_t *raw)
{
    int udp = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    int rcvbuf = S_RCVBUF;
    setsockopt (udp, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    socklen_t len = sizeof addr;
    int sv[2];
    if (bind (udp, (struct sockaddr *)&addr, sizeof addr) != 0
        || getsockname (udp, (struct sockaddr *)&addr, &len) != 0
        || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        perror ("bench_statsd: raw receiver");
        exit (1);
    }
    raw->port = ntohs (addr.sin_port);
    raw->pid = fork ();
    if (raw->pid == 0) {
        close (sv[0]);
        s_raw_loop (udp, sv[1]);
    }
    close (udp);
    close (sv[1]);
    raw->ctl = sv[0];
}

static uint64_t
s_raw_count (const s_raw_t *raw)
{
    uint64_t count = 0;
    if (write (raw->ctl, "?", 1) != 1
        || read (raw->ctl, &count, sizeof count) != sizeof count) {
        fprintf (stderr, "bench_statsd: raw receiver gone\n");
        exit (1);
    }
    return count;
}

static void
s_raw_stop (s_raw_t *raw)
{
    close (raw->ctl);
    waitpid (raw->pid, NULL, 0);
}

//  ---- the master ---------------------------------------------------------

static const char *s_master_sections
    = "metrics = (\n"
      "  { name = \"api_latency\"; category = \"backend\"; unit = \"ms\";\n"
      "    better = \"lower\"; stat = \"p95\"; target = 500; critical = 2000; "
      "},\n"
      "  { name = \"hit_ratio\"; category = \"backend\"; unit = \"%\";\n"
      "    better = \"higher\"; target = 40; critical = 10; },\n"
      "  { name = \"queue_depth\"; category = \"backend\"; unit = \"count\";\n"
      "    better = \"lower\"; target = 500; critical = 5000; },\n"
      "  { name = \"render_time\"; category = \"frontend\"; unit = \"ms\";\n"
      "    better = \"lower\"; stat = \"p95\"; target = 500; critical = 2000; "
      "} );\n"
      "statsd = { rcvbuf = 4194304; mapping = (\n"
      "  { match = \"api.latency\"; metric = \"api_latency\"; },\n"
      "  { match = \"cache.hit_ratio\"; metric = \"hit_ratio\"; unit = "
      "\"ratio\"; },\n"
      "  { match = \"queue.depth\"; metric = \"queue_depth\"; },\n"
      "  { match = \"render_time\"; tags = [ \"page:home\" ];\n"
      "    metric = \"render_time\"; } ); };\n";

static bool
s_master_start (ht_master_t *m)
{
    memset (m, 0, sizeof *m);
    ht_tmpdir (m->dir, sizeof m->dir);
    snprintf (m->config, sizeof m->config, "%s/helios.cfg", m->dir);
    FILE *f = fopen (m->config, "w");
    if (!f)
        return false;
    fprintf (
        f,
        "master = { tasks = \"tcp://127.0.0.1:*\";\n"
        "  control = \"tcp://127.0.0.1:*\";\n"
        "  bus_in = \"tcp://127.0.0.1:*\"; bus_out = \"tcp://127.0.0.1:*\";\n"
        "  http = \"\"; statsd = \"127.0.0.1:0\";\n"
        "  state_dir = \"%s/state\"; log_level = \"%s\"; };\n"
        "cycle = { duration = 86400; };\n"
        "alerts = { trend_interval = 0; };\n"
        "summary = { every = \"off\"; };\n%s",
        m->dir, s_verbose ? "notice" : "error", s_master_sections);
    fclose (f);
    return ht_master_launch (m);
}

/*  status.statsd's figure key, or -1 without an answer. */
static int64_t
s_master_figure (const ht_master_t *m, const char *key)
{
    hl_msg_t *status = (hl_msg_t *)ht_request (m, "status", NULL);
    if (!status)
        return -1;
    int64_t v = hl_value_get_int (hl_value_get (hl_msg_data (status), "statsd"),
                                  key, -1);
    hl_msg_destroy (&status);
    return v;
}

static int
s_master_port (const ht_master_t *m)
{
    hl_msg_t *status = (hl_msg_t *)ht_request (m, "status", NULL);
    if (!status)
        return -1;
    const char *ep = hl_value_get_str (
        hl_value_get (hl_msg_data (status), "endpoints"), "statsd", "");
    const char *colon = strrchr (ep, ':');
    int port = colon ? atoi (colon + 1) : -1;
    hl_msg_destroy (&status);
    return port;
}

//  ---- steps ------------------------------------------------------------

typedef uint64_t (s_count_fn) (const void *receiver);

static uint64_t
s_count_raw (const void *receiver)
{
    return s_raw_count ((const s_raw_t *)receiver)
           * (uint64_t)s_lines_per_datagram;
}

static uint64_t
s_count_master (const void *receiver)
{
    int64_t lines = s_master_figure ((const ht_master_t *)receiver, "samples");
    return lines < 0 ? 0 : (uint64_t)lines;
}

typedef struct {
    double rate;     /* asked for */
    double achieved; /* sent at */
    uint64_t sent;   /* lines */
    uint64_t got;    /* lines the receiver counted */
} s_step_t;

/*  One paced step: send, then wait until the receiver has them all or
    stops making progress. */
static s_step_t
s_step (int fd, double rate, s_count_fn *count, const void *receiver)
{
    s_step_t step = { rate, 0, 0, 0 };
    uint64_t before = count (receiver);
    step.sent = s_send_paced (fd, rate, &step.achieved)
                * (uint64_t)s_lines_per_datagram;
    int64_t deadline = s_mono_us () + S_DRAIN_MS * 1000;
    uint64_t last = 0;
    int64_t last_change = s_mono_us ();
    while (true) {
        step.got = count (receiver) - before;
        if (step.got >= step.sent || s_mono_us () >= deadline)
            break;
        if (step.got != last) {
            last = step.got;
            last_change = s_mono_us ();
        } else if (s_mono_us () - last_change > 300000)
            break;
        zclock_sleep (20); /* a short step between looks */
    }
    if (s_verbose)
        fprintf (stderr,
                 "  %.0f lines/s (sent at %.0f): %" PRIu64 " of %" PRIu64 "\n",
                 rate, step.achieved, step.got, step.sent);
    return step;
}

/*  One receiver being climbed. */
typedef struct {
    const char *name;
    s_count_fn *count;
    const void *receiver;
    int fd;            /* the sender to it */
    double best;       /* highest lossless rate sent at, this round */
    double bad;        /* lowest rate that lost, or 0 */
    bool sender_bound; /* the sender could not go faster */
    int short_steps;   /* steps in a row that fell short of the rate */
} s_rx_t;

/*  One step for rx at rate: the best or the bad rate moves. */
static void
s_try (s_rx_t *rx, double rate)
{
    s_step_t step = s_step (rx->fd, rate, rx->count, rx->receiver);
    if (step.got < step.sent) {
        if (!rx->bad || rate < rx->bad)
            rx->bad = rate;
        return;
    }
    if (step.achieved > rx->best)
        rx->best = step.achieved;
    //  Twice in a row short of the rate asked: the sender's limit (once
    //  may be the machine's other work)
    rx->short_steps = step.achieved < 0.9 * rate ? rx->short_steps + 1 : 0;
    if (rx->short_steps >= 2)
        rx->sender_bound = true;
}

/*  Both receivers up the same ladder, a step each in turn so that the
    machine's other work falls on both alike: rates grow by half until a
    step loses (or the sender falls short), then three halvings of the
    gap between the last good rate and the first bad one. */
static void
s_climb (s_rx_t *rx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rx[i].best = rx[i].bad = 0;
        rx[i].sender_bound = false;
        rx[i].short_steps = 0;
    }
    for (double rate = S_START_RATE; rate <= S_MAX_RATE; rate *= 1.5) {
        bool climbing = false;
        for (size_t i = 0; i < n; i++)
            if (!rx[i].bad && !rx[i].sender_bound) {
                s_try (&rx[i], rate);
                climbing = true;
            }
        if (!climbing)
            break;
    }
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < n; i++)
            if (rx[i].bad && !rx[i].sender_bound) {
                double lo = rx[i].best > 0 ? rx[i].best : S_START_RATE / 2;
                if (rx[i].bad > lo * 1.02)
                    s_try (&rx[i], (lo + rx[i].bad) / 2);
            }
}

int
main (int argc, char *argv[])
{
    int rounds = 2;
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "-v"))
            s_verbose = true;
        else if (streq (argv[i], "--step-seconds") && i + 1 < argc)
            s_step_s = atof (argv[++i]);
        else if (streq (argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi (argv[++i]);
        else {
            fprintf (stderr, "usage: bench_statsd [-v] [--step-seconds S] "
                             "[--rounds R]\n");
            return 2;
        }
    }
    if (s_step_s <= 0 || rounds < 1 || rounds > 9) {
        fprintf (stderr, "bench_statsd: step > 0, rounds 1..9\n");
        return 2;
    }
    if (!s_verbose)
        setenv ("HT_QUIET", "1", 1);

    //  The raw loop is forked before any ZeroMQ context exists
    s_raw_t raw;
    s_raw_start (&raw);
    ht_master_t m;
    if (!s_master_start (&m)) {
        fprintf (stderr, "bench_statsd: the master did not start\n");
        s_raw_stop (&raw);
        return 1;
    }
    int port = s_master_port (&m);
    if (port <= 0) {
        fprintf (stderr, "bench_statsd: no statsd endpoint in status\n");
        ht_master_stop (&m);
        s_raw_stop (&raw);
        return 1;
    }
    s_rx_t rx[2] = { { "raw UDP loop", s_count_raw, &raw, s_sender (raw.port),
                       0, 0, false, 0 },
                     { "helios-master", s_count_master, &m, s_sender (port), 0,
                       0, false, 0 } };
    printf ("bench_statsd: StatsD lines/s without loss, paced steps of %.1f "
            "s, best of %d rounds; raw: a process draining a UDP socket "
            "with recvmmsg, doing nothing with the lines\n",
            s_step_s, rounds);
    printf ("  %-16s %14s %14s %7s   %s\n", "lines/datagram", "raw lines/s",
            "master lines/s", "ratio", "master at 0.5 x raw");
    static const int workloads[] = { 1, 25 };
    for (size_t w = 0; w < sizeof workloads / sizeof workloads[0]; w++) {
        s_lines_per_datagram = workloads[w];
        s_make_data ();
        double best[2] = { 0, 0 };
        bool bound[2] = { false, false };
        for (int r = 0; r < rounds; r++) {
            s_climb (rx, 2);
            for (int i = 0; i < 2; i++) {
                if (rx[i].best > best[i])
                    best[i] = rx[i].best;
                bound[i] |= rx[i].sender_bound;
            }
        }
        //  The target's check: at half the raw rate, nothing lost
        s_step_t half = s_step (rx[1].fd, best[0] * 0.5, s_count_master, &m);
        char check[96];
        snprintf (check, sizeof check, "%" PRIu64 " of %" PRIu64 " lost",
                  half.sent > half.got ? half.sent - half.got : 0, half.sent);
        printf ("  %-16d %14.0f %14.0f %7.2f   %s%s\n", workloads[w], best[0],
                best[1], best[0] > 0 ? best[1] / best[0] : 0, check,
                bound[0] ? "  (raw: the sender's limit)" : "");
    }
    printf ("  target: ratio >= 0.50, nothing lost at 0.5 x raw (design "
            "§10)\n");
    printf ("  master: %" PRId64 " lines, %" PRId64 " malformed, %" PRId64
            " unknown, %" PRId64 " dropped by the kernel\n",
            s_master_figure (&m, "lines"), s_master_figure (&m, "malformed"),
            s_master_figure (&m, "unknown"),
            s_master_figure (&m, "kernel_dropped"));
    close (rx[0].fd);
    close (rx[1].fd);
    s_raw_stop (&raw);
    int rc = ht_master_stop (&m);
    if (rc != 0)
        fprintf (stderr, "bench_statsd: the master exited %d\n", rc);
    return rc == 0 ? 0 : 1;
}
