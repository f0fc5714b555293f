/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    bench_echo - echo round trips through Helios against a raw czmq
    baseline of the same shape, measured in the same run: a client keeps
    C requests in flight through a ROUTER/ROUTER broker to N DEALER echo
    workers, each in its own process, with the same payload. Helios runs
    the real helios-master, N helios-agents and helios-ctl bench echo.
    Throughput is taken with C in flight, latency with one (see main).
    Prints both and their ratios; exits 1 if Helios lost or duplicated.
    The same swarm with CURVE on every socket (docs/security.md) runs in
    the same rounds: CURVE's cost on dispatch is its ratio to the swarm
    without it.

    Usage: bench_echo [--tasks N] [--concurrency C] [--payload B]
                      [--agents N] [--rounds R]  (binaries from $HELIOS_BIN)
*/
#include <czmq.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../bus/hl_curve.h"
#include "../integration/harness.h"

typedef struct {
    double per_s;
    double p50_us;
    double p99_us;
} s_figures_t;

static const char *s_roles[]
    = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
        "hephaestus-backend",  "athena-ux",          "athena-api" };

//  ---- raw baseline -----------------------------------------------------

/*  The broker: requests from the client go to workers in turn; replies
    go back to the client. Frames move untouched. */
static void
s_raw_broker (const char *front_ep, const char *back_ep, int workers)
{
    zsock_t *front = zsock_new_router (front_ep);
    zsock_t *back = zsock_new_router (back_ep);
    zsock_set_rcvhwm (front, 100000);
    zsock_set_sndhwm (back, 100000);
    zframe_t *ids[1024];
    int known = 0, next = 0;
    /*  Workers announce themselves first. */
    while (known < workers) {
        zmsg_t *msg = zmsg_recv (back);
        if (!msg)
            _exit (1);
        ids[known++] = zmsg_pop (msg);
        zmsg_destroy (&msg);
    }
    zpoller_t *poller = zpoller_new (front, back, NULL);
    while (!zsys_interrupted) {
        void *which = zpoller_wait (poller, -1);
        if (!which)
            break;
        zmsg_t *msg = zmsg_recv (which);
        if (!msg)
            break;
        if (which == front) {
            /*  [client][payload] -> [worker][client][payload] */
            zmsg_pushmem (msg, zframe_data (ids[next]),
                          zframe_size (ids[next]));
            next = (next + 1) % known;
            zmsg_send (&msg, back);
        } else {
            zframe_t *worker = zmsg_pop (msg);
            zframe_destroy (&worker);
            zmsg_send (&msg, front);
        }
    }
    _exit (0);
}

static void
s_raw_worker (const char *back_ep)
{
    zsock_t *dealer = zsock_new_dealer (back_ep);
    zstr_send (dealer, "READY");
    while (!zsys_interrupted) {
        zmsg_t *msg = zmsg_recv (dealer);
        if (!msg)
            break;
        zmsg_send (&msg, dealer); /* [client][payload] back */
    }
    _exit (0);
}

static int
s_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static s_figures_t
s_raw_run (long tasks, long concurrency, long payload, int workers)
{
    char front_ep[64], back_ep[64];
    int port = 20000 + (int)(getpid () % 20000);
    snprintf (front_ep, sizeof front_ep, "tcp://127.0.0.1:%d", port);
    snprintf (back_ep, sizeof back_ep, "tcp://127.0.0.1:%d", port + 1);
    pid_t pids[1025];
    int n = 0;
    if ((pids[n++] = fork ()) == 0)
        s_raw_broker (front_ep, back_ep, workers);
    for (int i = 0; i < workers; i++)
        if ((pids[n++] = fork ()) == 0)
            s_raw_worker (back_ep);

    zsock_t *client = zsock_new_dealer (front_ep);
    zsock_set_sndhwm (client, 100000);
    byte *body = (byte *)malloc ((size_t)payload + 8);
    memset (body, 'x', (size_t)payload + 8);
    int64_t *sent = (int64_t *)calloc ((size_t)tasks, sizeof (int64_t));
    int64_t *lat = (int64_t *)calloc ((size_t)tasks, sizeof (int64_t));
    long submitted = 0, done = 0;
    int64_t start = zclock_usecs ();
    while (done < tasks) {
        while (submitted - done < concurrency && submitted < tasks) {
            memcpy (body, &submitted, sizeof submitted);
            sent[submitted] = zclock_usecs ();
            zsock_send (client, "b", body, (size_t)payload + 8);
            submitted++;
        }
        zframe_t *reply = zframe_recv (client);
        if (!reply)
            break;
        long seq;
        memcpy (&seq, zframe_data (reply), sizeof seq);
        lat[done++] = zclock_usecs () - sent[seq];
        zframe_destroy (&reply);
    }
    double elapsed = (double)(zclock_usecs () - start) / 1e6;
    qsort (lat, (size_t)done, sizeof (int64_t), s_cmp);
    s_figures_t f = { done / elapsed, (double)lat[done / 2],
                      (double)lat[done * 99 / 100] };
    zsock_destroy (&client);
    for (int i = 0; i < n; i++)
        kill (pids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        waitpid (pids[i], NULL, 0);
    free (body);
    free (sent);
    free (lat);
    return f;
}

//  ---- Helios ---------------------------------------------------------------

typedef struct {
    ht_master_t m;
    ht_proc_t *procs[1024];
    int n;
    const char *key; /* CURVE: the agents' and ctl's secret key, or NULL */
} s_helios_t;

/*  A master (its config extra may be NULL) and agents agents, with
    capacity enough for concurrency; key (may be NULL) is the clients'
    CURVE key. */
static bool
s_helios_start (s_helios_t *h, const char *extra, long concurrency, int agents,
                const char *key)
{
    memset (h, 0, sizeof *h);
    h->key = key;
    if (!ht_master_start (&h->m, NULL, extra))
        return false;
    /*  Enough capacity that the agents' slots, not the path, would be
        what limits: the raw workers have no limit at all. */
    char capacity[32];
    snprintf (capacity, sizeof capacity, "%ld",
              concurrency / agents + 1 > 1024 ? 1024
                                              : concurrency / agents + 1);
    for (int i = 0; i < agents; i++)
        h->procs[h->n++]
            = key ? ht_agent_start (&h->m, s_roles[i % 6], "--capacity",
                                    capacity, "--key", key, NULL)
                  : ht_agent_start (&h->m, s_roles[i % 6], "--capacity",
                                    capacity, NULL);
    return ht_wait_agents (&h->m, agents, 10000) == agents;
}

static void
s_helios_stop (s_helios_t *h)
{
    for (int i = 0; i < h->n; i++)
        ht_stop (&h->procs[i], 5000);
    ht_master_stop (&h->m);
}

/*  helios-ctl bench echo; false if it failed, lost or duplicated. */
static bool
s_helios_run (s_helios_t *h, long tasks, long concurrency, long payload,
              s_figures_t *f)
{
    char out[1 << 16];
    char t[32], c[32], p[32];
    snprintf (t, sizeof t, "%ld", tasks);
    snprintf (c, sizeof c, "%ld", concurrency);
    snprintf (p, sizeof p, "%ld", payload);
    int rc = h->key
                 ? ht_ctl (&h->m, out, sizeof out, "-c", h->m.config, "--key",
                           h->key, "-t", "30000", "bench", "echo", "--tasks", t,
                           "--concurrency", c, "--payload", p, "--json", NULL)
                 : ht_ctl (&h->m, out, sizeof out, "-t", "30000", "bench",
                           "echo", "--tasks", t, "--concurrency", c,
                           "--payload", p, "--json", NULL);
    json_t *json = json_loads (out, 0, NULL);
    bool ok = rc == 0 && json;
    if (json) {
        f->per_s = json_number_value (json_object_get (json, "tasks_per_s"));
        f->p50_us
            = (double)json_integer_value (json_object_get (json, "p50_us"));
        f->p99_us
            = (double)json_integer_value (json_object_get (json, "p99_us"));
        long lost = (long)json_integer_value (json_object_get (json, "lost"));
        long dups
            = (long)json_integer_value (json_object_get (json, "duplicates"));
        if (lost || dups) {
            printf ("  helios: lost %ld, duplicated %ld\n", lost, dups);
            ok = false;
        }
        json_decref (json);
    }
    return ok;
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef enum { S_PER_S, S_P50 } s_field_t;

/*  The median of a field over n (1..16) runs. */
static double
s_median (const s_figures_t *runs, int n, s_field_t field)
{
    double v[16] = { 0 };
    for (int i = 0; i < n && i < 16; i++)
        v[i] = field == S_PER_S ? runs[i].per_s : runs[i].p50_us;
    qsort (v, (size_t)n, sizeof (double), s_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
s_print (const char *label, const s_figures_t *f)
{
    printf ("  %-24s %8.0f /s  p50 %7.0f us  p99 %7.0f us\n", label, f->per_s,
            f->p50_us, f->p99_us);
}

/*  Throughput with C in flight; latency, as ZeroMQ's own perf tools take
    it, with one in flight: under a closed loop of C requests the loaded
    p50 is C / throughput (Little's law), a throughput figure again. The
    two systems alternate, rounds times, and the medians are compared, so
    that a slow spell of the machine does not land on one side only. */
int
main (int argc, char *argv[])
{
    long tasks = 50000, concurrency = 64, payload = 64, agents = 12;
    long rounds = 3, lat_tasks = 5000;
    for (int i = 1; i < argc; i += 2) {
        long *slot = streq (argv[i], "--tasks")         ? &tasks
                     : streq (argv[i], "--concurrency") ? &concurrency
                     : streq (argv[i], "--payload")     ? &payload
                     : streq (argv[i], "--agents")      ? &agents
                     : streq (argv[i], "--rounds")      ? &rounds
                                                        : NULL;
        if (!slot || i + 1 == argc) {
            fprintf (stderr, "bench_echo: %s %s\n", argv[i],
                     slot ? "needs a value" : "is not an option");
            return 2;
        }
        *slot = atol (argv[i + 1]);
    }
    if (agents < 1 || agents > 1000 || rounds < 1 || rounds > 16 || tasks < 1
        || concurrency < 1) {
        fprintf (stderr, "bench_echo: --agents 1..1000, --rounds 1..16, "
                         "--tasks and --concurrency >= 1\n");
        return 2;
    }
    zsys_init ();
    setenv ("HT_QUIET", "1", 1);
    printf ("echo round trips: %ld-byte payload, %ld agents, %ld rounds; "
            "throughput: %ld tasks, %ld in flight; latency: %ld tasks, 1 in "
            "flight\n",
            payload, agents, rounds, tasks, concurrency, lat_tasks);
    /*  h0 is the same swarm on a master without its store: what the
        store costs dispatch; hc the same swarm with CURVE on every
        socket, its keys in a folder of their own. */
    static s_helios_t h, h0, hc;
    char keys[256], extra[2048], err[512];
    ht_tmpdir (keys, sizeof keys);
    static char key[320], allow[300];
    snprintf (key, sizeof key, "%s/client.key_secret", keys);
    snprintf (allow, sizeof allow, "%s/allow", keys);
    char moved[640];
    snprintf (moved, sizeof moved, "%s/client.key_secret", allow);
    mkdir (allow, 0700);
    if (hl_curve_keygen (keys, "master", err, sizeof err)
        || hl_curve_keygen (allow, "client", err, sizeof err)
        || rename (moved, key) != 0) {
        printf ("  helios: keygen: %s\n", err);
        return 1;
    }
    snprintf (extra, sizeof extra,
              "security = { enabled = true; secret_key = "
              "\"%s/master.key_secret\";\n  server_public_key = "
              "\"%s/master.key\"; allow_dir = \"%s\"; };\n",
              keys, keys, allow);
    /*  This process asks hc's master whether its agents are up */
    hl_config_security_t sec = { .enabled = true };
    snprintf (sec.secret_key, sizeof sec.secret_key, "%s", key);
    snprintf (sec.server_public_key, sizeof sec.server_public_key,
              "%s/master.key", keys);
    hl_curve_t *curve = NULL;
    if (hl_curve_load (&sec, NULL, HL_CURVE_CLIENT, &curve, err, sizeof err)) {
        printf ("  helios: %s\n", err);
        return 1;
    }
    bool up = s_helios_start (&h, NULL, concurrency, (int)agents, NULL)
              && s_helios_start (&h0, "store = { enabled = false; };\n",
                                 concurrency, (int)agents, NULL);
    hl_curve_use (curve);
    up = up && s_helios_start (&hc, extra, concurrency, (int)agents, key);
    hl_curve_use (NULL);
    if (!up) {
        printf ("  helios: the swarm did not come up\n");
        s_helios_stop (&h);
        s_helios_stop (&h0);
        s_helios_stop (&hc);
        hl_curve_destroy (&curve);
        ht_rmdir (keys);
        return 1;
    }
    s_figures_t raw_thr[16], hel_thr[16], raw_lat[16], hel_lat[16];
    s_figures_t off_thr[16], cur_thr[16], cur_lat[16];
    bool ok = true;
    for (int r = 0; r < rounds && ok; r++) {
        raw_thr[r] = s_raw_run (tasks, concurrency, payload, (int)agents);
        ok = s_helios_run (&h, tasks, concurrency, payload, &hel_thr[r]);
        ok = ok && s_helios_run (&h0, tasks, concurrency, payload, &off_thr[r]);
        ok = ok && s_helios_run (&hc, tasks, concurrency, payload, &cur_thr[r]);
        raw_lat[r] = s_raw_run (lat_tasks, 1, payload, (int)agents);
        ok = ok && s_helios_run (&h, lat_tasks, 1, payload, &hel_lat[r]);
        ok = ok && s_helios_run (&hc, lat_tasks, 1, payload, &cur_lat[r]);
        if (!ok)
            break;
        printf (" round %d\n", r + 1);
        s_print ("raw, loaded", &raw_thr[r]);
        s_print ("helios, loaded", &hel_thr[r]);
        s_print ("helios, no store, loaded", &off_thr[r]);
        s_print ("helios, curve, loaded", &cur_thr[r]);
        s_print ("raw, 1 in flight", &raw_lat[r]);
        s_print ("helios, 1 in flight", &hel_lat[r]);
        s_print ("helios, curve, 1 in fl.", &cur_lat[r]);
    }
    s_helios_stop (&h);
    s_helios_stop (&h0);
    s_helios_stop (&hc);
    hl_curve_destroy (&curve);
    ht_rmdir (keys);
    if (!ok) {
        printf ("  helios: the run failed\n");
        return 1;
    }
    int n = (int)rounds;
    double thr
        = s_median (hel_thr, n, S_PER_S) / s_median (raw_thr, n, S_PER_S);
    double lat = s_median (hel_lat, n, S_P50) / s_median (raw_lat, n, S_P50);
    double loaded = s_median (hel_thr, n, S_P50) / s_median (raw_thr, n, S_P50);
    printf (" medians: helios / raw (lost 0, duplicated 0)\n");
    printf ("  throughput %.2f (target >= 0.50)   p50, 1 in flight %.2fx "
            "(target <= 1.50x)\n",
            thr, lat);
    printf ("  p50 with %ld in flight %.2fx (follows throughput: Little's "
            "law)\n",
            concurrency, loaded);
    printf ("  store: throughput with / without %.2f (target >= 0.90)\n",
            s_median (hel_thr, n, S_PER_S) / s_median (off_thr, n, S_PER_S));
    printf ("  curve: throughput with / without %.2f   p50, 1 in flight, "
            "with / without %.2fx\n",
            s_median (cur_thr, n, S_PER_S) / s_median (hel_thr, n, S_PER_S),
            s_median (cur_lat, n, S_P50) / s_median (hel_lat, n, S_P50));
    return 0;
}
