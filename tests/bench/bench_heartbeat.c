/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    bench_heartbeat - design §10: 1,000 connected agents heartbeating cost
    the master under 5% of a core. A real helios-master; this process
    plays the agents, one DEALER each over tcp: hello (the six roles in
    turn), then heartbeats as hl_agent sends them: every heartbeat_ms,
    phases spread over the interval as real agents drift apart, and in
    answer to the master's own once half an interval has passed
    (hl_heart_answer). It reads everything the master sends. The
    master's CPU (utime + stime of its process) is
    taken over a window with no agent connected, then over the same
    window with all of them live; at the end its status must still count
    every agent and none expired.

    Usage: bench_heartbeat [-v] [--agents N] [--seconds S]
                           (binaries from $HELIOS_BIN; -v: the master's log)
*/
#include <czmq.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"
#include "../integration/harness.h"

#define S_ROLES 6
#define S_AGENTS_MAX 5000
#define S_TARGET 0.05    /* of one core, design §10 */
#define S_SETTLE_MS 2000 /* after the last welcome, before measuring */
#define S_POLL_MS 10     /* the agents' loop step */
#define S_REGISTER_MS 60000

static const char *s_roles[S_ROLES]
    = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
        "hephaestus-backend",  "athena-ux",          "athena-api" };

//  No cycle runs during the bench: the agents only heartbeat
static const char *s_extra = "cycle = { duration = 3600; };\n";

/*  CPU seconds the process has used so far, or -1. */
static double
s_cpu_s (pid_t pid)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    char buf[1024];
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf[n] = 0;
    //  Fields after the command, which may hold spaces: from the last ')'
    const char *p = strrchr (buf, ')');
    unsigned long utime = 0, stime = 0;
    if (!p
        || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                   &utime, &stime)
               != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf (_SC_CLK_TCK);
}

typedef struct {
    zsock_t **socks;
    zmq_pollitem_t *items;
    int64_t *next_us; /* each agent's next heartbeat */
    long n;
    int heartbeat_ms;
    uint64_t sent, received, failed;
} s_swarm_t;

static void
s_beat (s_swarm_t *swarm, long i, int64_t now)
{
    hl_msg_t *hb = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (hb, 0);
    if (hl_bus_send (swarm->socks[i], &hb) == 0)
        swarm->sent++;
    else
        swarm->failed++;
    swarm->next_us[i] = now + (int64_t)swarm->heartbeat_ms * 1000;
}

/*  Read whatever the master sent; counts welcomes into *welcomed, and
    answers the master's heartbeats as hl_agent does once running. */
static void
s_drain (s_swarm_t *swarm, long *welcomed)
{
    if (zmq_poll (swarm->items, (int)swarm->n, S_POLL_MS) <= 0)
        return;
    int64_t now = zclock_usecs ();
    int64_t half = (int64_t)swarm->heartbeat_ms * 500;
    for (long i = 0; i < swarm->n; i++) {
        if (!(swarm->items[i].revents & ZMQ_POLLIN))
            continue;
        hl_msg_t *msg = NULL;
        while (hl_bus_recv (swarm->socks[i], NULL, &msg, NULL) != HL_ERR_IO) {
            swarm->received++;
            hl_msg_type_t type = msg ? hl_msg_type (msg) : HL_MSG_TYPE_END;
            if (type == HL_MSG_WELCOME && welcomed) {
                (*welcomed)++;
                int hb = (int)hl_msg_heartbeat_ms (msg);
                if (hb > 0)
                    swarm->heartbeat_ms = hb;
            } else if (type == HL_MSG_HEARTBEAT && !welcomed
                       && swarm->next_us[i] - now
                              <= (int64_t)swarm->heartbeat_ms * 1000 - half)
                s_beat (swarm, i, now);
            hl_msg_destroy (&msg);
        }
    }
}

static bool
s_register (s_swarm_t *swarm, const char *tasks)
{
    for (long i = 0; i < swarm->n; i++) {
        swarm->socks[i] = hl_sock_connect (ZMQ_DEALER, tasks, NULL, NULL);
        if (!swarm->socks[i]) {
            fprintf (stderr, "bench_heartbeat: socket %ld: %s\n", i,
                     zmq_strerror (zmq_errno ()));
            return false;
        }
        swarm->items[i] = (zmq_pollitem_t){ zsock_resolve (swarm->socks[i]), 0,
                                            ZMQ_POLLIN, 0 };
        char src[64];
        snprintf (src, sizeof src, "bench-agent-%ld@localhost", i);
        hl_msg_t *hello = hl_msg_new (HL_MSG_HELLO);
        hl_msg_set_src (hello, src);
        hl_msg_set_role (hello, s_roles[i % S_ROLES]);
        hl_msg_set_capacity (hello, 1);
        hl_msg_set_host (hello, "localhost");
        hl_msg_set_pid (hello, getpid ());
        hl_msg_set_version (hello, "0");
        if (hl_bus_send (swarm->socks[i], &hello))
            return false;
    }
    long welcomed = 0;
    int64_t deadline = zclock_mono () + S_REGISTER_MS;
    while (welcomed < swarm->n && zclock_mono () < deadline)
        s_drain (swarm, &welcomed);
    return welcomed == swarm->n;
}

/*  Heartbeat for ms milliseconds: each agent when it is due. */
static void
s_run (s_swarm_t *swarm, int64_t ms)
{
    int64_t end = zclock_mono () + ms;
    while (zclock_mono () < end) {
        int64_t now = zclock_usecs ();
        for (long i = 0; i < swarm->n; i++)
            if (swarm->next_us[i] <= now)
                s_beat (swarm, i, now);
        s_drain (swarm, NULL);
    }
}

/*  The master's status: live agents and agents expired so far. */
static bool
s_agents (const ht_master_t *m, int64_t *live, int64_t *expired)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    if (!reply || !hl_msg_ok (reply)) {
        hl_msg_destroy (&reply);
        return false;
    }
    const hl_value_t *tasks = hl_value_get (hl_msg_data (reply), "tasks");
    *live = hl_value_get_int (tasks, "agents", -1);
    *expired = hl_value_get_int (tasks, "agents_expired", -1);
    hl_msg_destroy (&reply);
    return true;
}

int
main (int argc, char *argv[])
{
    long agents = 1000;
    long seconds = 10;
    bool verbose = false;
    for (int i = 1; i < argc; i++)
        if (streq (argv[i], "-v"))
            verbose = true;
        else if (streq (argv[i], "--agents") && i + 1 < argc)
            agents = atol (argv[++i]);
        else if (streq (argv[i], "--seconds") && i + 1 < argc)
            seconds = atol (argv[++i]);
        else {
            fprintf (stderr, "bench_heartbeat: unknown argument %s\n", argv[i]);
            return 2;
        }
    if (agents < 1 || agents > S_AGENTS_MAX || seconds < 1 || seconds > 600) {
        fprintf (stderr, "bench_heartbeat: --agents 1..%d, --seconds 1..600\n",
                 S_AGENTS_MAX);
        return 2;
    }
    //  A socket per agent: two descriptors each here, one in the master
    //  (which inherits the limit)
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0
        && rl.rlim_cur < (rlim_t)(4 * agents + 1024)) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)(4 * agents + 1024)
                          ? rl.rlim_max
                          : (rlim_t)(4 * agents + 1024);
        setrlimit (RLIMIT_NOFILE, &rl);
    }
    zsys_set_max_sockets ((size_t)agents + 64);
    zsys_init ();
    if (!verbose)
        setenv ("HT_QUIET", "1", 1);

    ht_master_t m;
    if (!ht_master_start (&m, NULL, s_extra)) {
        fprintf (stderr, "bench_heartbeat: the master did not start\n");
        return 1;
    }
    pid_t pid = m.proc->pid;
    int rc = 1;
    s_swarm_t swarm = { 0 };
    swarm.n = agents;
    swarm.heartbeat_ms = 1000;
    swarm.socks = (zsock_t **)calloc ((size_t)agents, sizeof (zsock_t *));
    swarm.items
        = (zmq_pollitem_t *)calloc ((size_t)agents, sizeof (zmq_pollitem_t));
    swarm.next_us = (int64_t *)calloc ((size_t)agents, sizeof (int64_t));

    //  The idle master first, over the same window
    zclock_sleep (S_SETTLE_MS);
    double c0 = s_cpu_s (pid);
    int64_t t0 = zclock_usecs ();
    zclock_sleep ((int)seconds * 1000);
    double idle = (s_cpu_s (pid) - c0) / ((double)(zclock_usecs () - t0) / 1e6);

    if (!s_register (&swarm, m.tasks)) {
        fprintf (stderr, "bench_heartbeat: not every agent was welcomed\n");
        goto done;
    }
    //  Phases spread over one interval from now
    int64_t now = zclock_usecs ();
    for (long i = 0; i < agents; i++)
        swarm.next_us[i]
            = now + (int64_t)swarm.heartbeat_ms * 1000 * i / agents;
    s_run (&swarm, S_SETTLE_MS);
    uint64_t sent0 = swarm.sent, received0 = swarm.received;
    c0 = s_cpu_s (pid);
    t0 = zclock_usecs ();
    s_run (&swarm, seconds * 1000);
    double wall = (double)(zclock_usecs () - t0) / 1e6;
    double busy = (s_cpu_s (pid) - c0) / wall;
    int64_t live = -1, expired = -1;
    bool seen = s_agents (&m, &live, &expired);

    printf ("heartbeats: %ld agents, heartbeat %d ms, %ld s window\n", agents,
            swarm.heartbeat_ms, seconds);
    printf ("  idle master                 %5.2f%% of a core\n", idle * 100);
    printf ("  master with %5ld agents     %5.2f%% of a core  (agents sent "
            "%.0f/s, received %.0f/s, %" PRIu64 " sends refused)\n",
            agents, busy * 100, (double)(swarm.sent - sent0) / wall,
            (double)(swarm.received - received0) / wall, swarm.failed);
    printf ("  master's status: %" PRId64 " live agents, %" PRId64 " expired\n",
            live, expired);
    bool ok = seen && live == agents && expired == 0;
    printf ("  %s %.2f%% of a core (target < %.0f%%)%s\n",
            busy < S_TARGET && ok ? "PASS" : "MISS", busy * 100, S_TARGET * 100,
            ok ? "" : "; agents lost");
    rc = ok ? 0 : 1;
done:
    for (long i = 0; i < agents; i++)
        zsock_destroy (&swarm.socks[i]);
    free (swarm.socks);
    free (swarm.items);
    free (swarm.next_us);
    ht_master_stop (&m);
    return rc;
}
