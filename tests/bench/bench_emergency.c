/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    bench_emergency - the time from the metric sample that takes health
    under the emergency threshold to the first emergency task the master
    sends (design §10: under 10 ms). Each trial starts a real helios-master
    on a one-metric config, registers one peer per role on its tasks
    socket, feeds a healthy sample every millisecond until the master
    reports health above the threshold, then publishes the critical
    sample. The healthy stream before it means the master has just
    recomputed health when the critical sample lands, the case a rate
    limit would delay.

    Two figures per trial, both from the sample's own timestamp: "sent",
    when the master handed the first emergency task to ZeroMQ (its status
    says when; same host, same clock), which is §10's figure; and
    "received", when a peer read it, which adds the trip through both
    processes' I/O threads.

    Usage: bench_emergency [-v] [--trials N] (binaries from $HELIOS_BIN;
                                              -v: the master's log)
*/
#include <czmq.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"
#include "../integration/harness.h"

#define S_ROLES 6
#define S_TARGET_US 10000 /* design §10 */

static const char *s_roles[S_ROLES]
    = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
        "hephaestus-backend",  "athena-ux",          "athena-api" };

/*  One key metric: a single sample over critical takes health to 0. */
static const char *s_extra
    = "emergency = { threshold = 50; max_issues = 1; "
      "notify = \"cat > /dev/null\"; };\n"
      "health = { target = 85; window = 5; };\n"
      "cycle = { duration = 3600; };\n"
      "metrics = ( { name = \"queue_depth\"; category = \"backend\";\n"
      "    unit = \"jobs\"; better = \"lower\"; stat = \"last\";\n"
      "    target = 100.0; critical = 1000.0; weight = 1.0; key = true; } );\n"
      "actions = ( { name = \"add_workers\"; swarm = \"backend\";\n"
      "    improves = [ \"queue_depth\" ]; resources = [ \"workers\" ];\n"
      "    apply = \"true\"; rollback = \"true\"; timeout = 5;\n"
      "    cost = 1.0; expected = 0.5; } );\n";

static int
s_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/*  Publish one sample stamped now; returns the stamp. */
static int64_t
s_send_sample (zsock_t *pub, double value)
{
    int64_t now = hl_msg_now_us ();
    hl_msg_t *m = hl_msg_new (HL_MSG_METRIC);
    hl_msg_set_src (m, "bench-emergency");
    hl_msg_set_name (m, "queue_depth");
    hl_msg_set_value (m, value);
    hl_msg_set_sample_ts (m, now);
    hl_bus_send (pub, &m);
    return now;
}

/*  The master's health score, or -1 if it has none yet. */
static double
s_health (const ht_master_t *m)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    if (!reply)
        return -1;
    double score = hl_value_get_double (
        hl_value_get (hl_msg_data (reply), "health"), "score", -1);
    hl_msg_destroy (&reply);
    return score;
}

/*  Peers: hello, then wait for every welcome. */
static bool
s_register (const ht_master_t *m, zsock_t *peers[S_ROLES], zpoller_t **poller)
{
    *poller = zpoller_new (NULL);
    for (int r = 0; r < S_ROLES; r++) {
        peers[r] = hl_sock_connect (ZMQ_DEALER, m->tasks, NULL, NULL);
        if (!peers[r])
            return false;
        zpoller_add (*poller, peers[r]);
        hl_msg_t *hello = hl_msg_new (HL_MSG_HELLO);
        hl_msg_set_src (hello, "bench-peer");
        hl_msg_set_role (hello, s_roles[r]);
        hl_msg_set_capacity (hello, 4);
        hl_msg_set_host (hello, "localhost");
        hl_msg_set_pid (hello, getpid ());
        hl_msg_set_version (hello, "0");
        if (streq (s_roles[r], "hephaestus-backend")) {
            hl_value_t *actions = hl_value_new_array ();
            hl_value_t *name = hl_value_new_str ("add_workers");
            hl_value_append (actions, &name);
            hl_msg_set_actions (hello, &actions);
        }
        if (hl_bus_send (peers[r], &hello))
            return false;
    }
    int welcomed = 0;
    int64_t deadline = zclock_mono () + 5000;
    while (welcomed < S_ROLES && zclock_mono () < deadline) {
        zsock_t *which = (zsock_t *)zpoller_wait (*poller, 100);
        hl_msg_t *msg = NULL;
        if (which && hl_bus_recv (which, NULL, &msg, NULL) == 0
            && hl_msg_type (msg) == HL_MSG_WELCOME)
            welcomed++;
        hl_msg_destroy (&msg);
    }
    return welcomed == S_ROLES;
}

/*  When the master sent its last emergency's first task (its status), or
    -1 if it says none. */
static int64_t
s_first_task_us (const ht_master_t *m)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    if (!reply)
        return -1;
    const hl_value_t *em = hl_value_get (
        hl_value_get (hl_msg_data (reply), "cycle"), "emergency");
    int64_t us = hl_value_get_int (em, "first_task", -1);
    hl_msg_destroy (&reply);
    return us;
}

/*  One trial: the microseconds from the critical sample to the first
    emergency task sent (*sent_us) and received (*recv_us). false if the
    trial saw no emergency task. */
static bool
s_trial (int64_t *sent_us, int64_t *recv_us)
{
    ht_master_t m;
    if (!ht_master_start (&m, NULL, s_extra))
        return false;
    bool seen = false;
    zsock_t *peers[S_ROLES] = { NULL };
    zpoller_t *poller = NULL;
    zsock_t *pub = hl_sock_publisher (m.bus_in, NULL);
    if (!pub || hl_sock_publisher_wait (pub, 5000)
        || !s_register (&m, peers, &poller))
        goto done;

    /*  Healthy first, and seen to be. */
    int64_t deadline = zclock_mono () + 10000;
    bool healthy = false;
    while (!healthy && zclock_mono () < deadline) {
        for (int i = 0; i < 20; i++) {
            s_send_sample (pub, 50);
            zclock_sleep (1);
        }
        healthy = s_health (&m) >= 85;
    }
    if (!healthy)
        goto done;
    for (int i = 0; i < 20; i++) {
        s_send_sample (pub, 50);
        zclock_sleep (1);
    }
    int64_t stamp = s_send_sample (pub, 5000);
    deadline = zclock_mono () + 5000;
    while (!seen && zclock_mono () < deadline) {
        zsock_t *which = (zsock_t *)zpoller_wait (poller, 100);
        hl_msg_t *msg = NULL;
        if (which && hl_bus_recv (which, NULL, &msg, NULL) == 0
            && hl_msg_type (msg) == HL_MSG_TASK && hl_msg_emergency (msg)) {
            *recv_us = hl_msg_now_us () - stamp;
            seen = true;
        }
        hl_msg_destroy (&msg);
    }
    int64_t first = seen ? s_first_task_us (&m) : -1;
    seen = first >= stamp;
    *sent_us = first - stamp;
done:
    zpoller_destroy (&poller);
    for (int r = 0; r < S_ROLES; r++)
        zsock_destroy (&peers[r]);
    zsock_destroy (&pub);
    ht_master_stop (&m);
    return seen;
}

static void
s_print (const char *label, int64_t *us, long n)
{
    qsort (us, (size_t)n, sizeof (int64_t), s_cmp);
    printf ("  %-9s min %6.2f ms  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms\n",
            label, us[0] / 1000.0, us[n / 2] / 1000.0,
            us[(n * 99) / 100] / 1000.0, us[n - 1] / 1000.0);
}

int
main (int argc, char *argv[])
{
    long trials = 100;
    bool verbose = false;
    for (int i = 1; i < argc; i++)
        if (streq (argv[i], "-v"))
            verbose = true;
        else if (streq (argv[i], "--trials") && i + 1 < argc)
            trials = atol (argv[++i]);
        else {
            fprintf (stderr, "bench_emergency: unknown argument %s\n", argv[i]);
            return 2;
        }
    if (trials < 1 || trials > 1000) {
        fprintf (stderr, "bench_emergency: --trials 1..1000\n");
        return 2;
    }
    zsys_init ();
    if (!verbose)
        setenv ("HT_QUIET", "1", 1);
    int64_t *sent = (int64_t *)calloc ((size_t)trials, sizeof (int64_t));
    int64_t *recv = (int64_t *)calloc ((size_t)trials, sizeof (int64_t));
    long done = 0, failed = 0;
    for (long t = 0; t < trials; t++) {
        if (s_trial (&sent[done], &recv[done]))
            done++;
        else
            failed++;
    }
    printf ("emergency response: %ld trials, critical sample -> first "
            "emergency task (failed %ld)\n",
            trials, failed);
    if (done == 0) {
        printf ("  no trial saw an emergency task\n");
        free (sent);
        free (recv);
        return 1;
    }
    s_print ("sent", sent, done);
    s_print ("received", recv, done);
    int64_t max = sent[done - 1];
    printf ("  %s max sent %.2f ms (target < %d ms)\n",
            max < S_TARGET_US ? "PASS" : "MISS", max / 1000.0,
            S_TARGET_US / 1000);
    free (sent);
    free (recv);
    return failed ? 1 : 0;
}
