/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_cycle_custom - the optimisation cycle against a target that is
    not helios-demo: a toy key-value cache run by this test, with metrics,
    categories and a playbook of its own whose knobs are files. With the
    real master and six roles, a cycle keeps the changes that helped,
    catches and rolls back the harmful one (its knob file is gone), and
    health rises: nothing in Helios is tuned to the demo.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"
#include "harness.h"

#define S_RATE 20         /* samples per second per metric */
#define S_NOISE 0.10      /* relative standard deviation */
#define S_VERIFY_WINDOW 8 /* seconds, as in S_CYCLE */
#define S_BASE_CACHE 128  /* entries when knob_cache_size is missing */

static const char *s_roles[]
    = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
        "hephaestus-backend",  "athena-ux",          "athena-api" };

static char s_self[4096]; /* this binary: the toy runs as "self toy" */

//  --------------------------------------------------------------------
//  The toy target: a key-value cache simulator. Each tick it reads its
//  knob files and publishes one batch of four noisy samples on bus-in.
//  A bigger cache lowers latency and raises the hit ratio, compression
//  raises throughput, and debug logging is harmful: slower, fewer
//  operations, more errors (the log writes stall requests into timeouts).

static volatile sig_atomic_t s_toy_stop;

static void
s_toy_on_term (int sig)
{
    (void)sig;
    s_toy_stop = 1;
}

/*  xorshift64*: the toy's own seeded generator, so runs are alike. */
static uint64_t
s_rand (uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

/*  value times (1 + S_NOISE z), z standard normal (Box-Muller) cut at 3
    so that no sample turns negative. */
static double
s_noisy (uint64_t *state, double value)
{
    double u1 = ((double)(s_rand (state) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (double)(s_rand (state) >> 11) / 9007199254740992.0;
    double z = sqrt (-2.0 * log (u1)) * cos (2.0 * M_PI * u2);
    if (z > 3.0)
        z = 3.0;
    if (z < -3.0)
        z = -3.0;
    return value * (1.0 + S_NOISE * z);
}

/*  The first word of dir/knob_<name> into text; false if there is none. */
static bool
s_knob (const char *dir, const char *name, char *text, size_t size)
{
    char path[512];
    snprintf (path, sizeof path, "%s/knob_%s", dir, name);
    FILE *f = fopen (path, "r");
    if (!f)
        return false;
    bool ok = fgets (text, (int)size, f) != NULL;
    fclose (f);
    if (ok)
        text[strcspn (text, " \t\r\n")] = 0;
    return ok;
}

typedef struct {
    double latency;    /* ms, mean of kv_get_latency */
    double hit;        /* % */
    double throughput; /* ops/s */
    double errors;     /* % of requests failed */
} s_kv_t;

static void
s_kv_model (const char *dir, s_kv_t *kv)
{
    char text[32];
    long size = S_BASE_CACHE;
    if (s_knob (dir, "cache_size", text, sizeof text)) {
        char *end;
        long value = strtol (text, &end, 10);
        if (end != text && value >= 1 && value <= 1L << 20)
            size = value;
    }
    bool compression
        = s_knob (dir, "compression", text, sizeof text) && streq (text, "on");
    bool debug = s_knob (dir, "debug_logging", text, sizeof text)
                 && streq (text, "on");
    double ratio = (double)size / S_BASE_CACHE;
    kv->latency = 20.0 / sqrt (ratio);   /* 1024 entries: 7.1 ms */
    kv->hit = 70.0 + 5.0 * log2 (ratio); /* 1024 entries: 85 % */
    if (kv->hit > 97.0)
        kv->hit = 97.0;
    if (kv->hit < 5.0)
        kv->hit = 5.0;
    kv->throughput = compression ? 9000.0 : 5000.0;
    kv->errors = 2.0;
    if (debug) {
        kv->latency *= 1.5;
        kv->throughput *= 0.7;
        kv->errors *= 1.5;
    }
}

/*  The toy's main: publish until SIGTERM, then exit 0. Prints READY once
    the master's proxy has subscribed, so the test never sleeps blind. */
static int
s_toy_run (const char *dir, const char *bus_in, uint64_t seed)
{
    /*  czmq's own handler would only set zsys_interrupted: take SIGTERM
        after zsys_init so that it stays ours. */
    zsys_init ();
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_toy_on_term;
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);

    zsock_t *pub = hl_sock_publisher (bus_in, NULL);
    if (!pub)
        return 1;
    /*  The master may not be there yet: keep trying until it is. */
    while (!s_toy_stop && hl_sock_publisher_wait (pub, 200) != 0)
        ;
    if (!s_toy_stop) {
        printf ("READY\n");
        fflush (stdout);
    }
    char src[64];
    snprintf (src, sizeof src, "kvtoy@localhost:%d", (int)getpid ());
    static const char *names[] = { "kv_get_latency", "kv_hit_ratio",
                                   "kv_throughput", "kv_error_rate" };
    int64_t next = zclock_mono ();
    while (!s_toy_stop) {
        s_kv_t kv;
        s_kv_model (dir, &kv);
        double values[] = { kv.latency, kv.hit, kv.throughput, kv.errors };
        hl_msg_t *batch = hl_msg_new (HL_MSG_METRICS);
        hl_msg_set_src (batch, src);
        int64_t now = hl_msg_now_us ();
        for (size_t i = 0; i < 4; i++) {
            double v = s_noisy (&seed, values[i]);
            if (i == 1 && v > 100.0)
                v = 100.0; /* a ratio stays a ratio */
            hl_msg_add_sample (batch, names[i], v, now, NULL);
        }
        hl_bus_send (pub, &batch); /* lossy, as any publisher */
        /*  Later subscriptions queue on the XPUB: read them off. */
        hl_sock_publisher_wait (pub, 0);
        next += 1000 / S_RATE;
        int64_t wait = next - zclock_mono ();
        if (wait > 0)
            zclock_sleep ((int)wait);
        else if (wait < -1000)
            next = zclock_mono (); /* after a stall, no burst */
    }
    zsock_destroy (&pub);
    return 0;
}

//  --------------------------------------------------------------------
//  The world: master, toy, six agents

typedef struct {
    ht_master_t m;
    char clients[400]; /* the agents' config */
    ht_proc_t *toy;
    ht_proc_t *agents[6];
    int nagents;
} s_world_t;

/*  Cycles on demand only, short windows; the emergency threshold is
    below the default because the harmful action alone would take the
    toy near 50 for the moment before the other changes land. */
#define S_CYCLE                                                                \
    "cycle = { duration = 3600; max_concurrent = 4; "                          \
    "cooldown = 60; settle = 2; verify_window = 8; };\n"                       \
    "health = { target = 85; window = 5; };\n"                                 \
    "emergency = { threshold = 40; max_issues = 3; };\n"

/*  Baseline scores: latency p95 ~23 ms -> 67, hit 70 % -> 67, 5000
    ops/s -> 60, errors 2 % -> 80: health ~68, degraded, no emergency. */
#define S_METRICS                                                              \
    "metrics = (\n"                                                            \
    "  { name = \"kv_get_latency\"; category = \"backend\"; unit = \"ms\";\n"  \
    "    better = \"lower\"; stat = \"p95\"; target = 10.0;\n"                 \
    "    critical = 50.0; weight = 1.0; key = true; },\n"                      \
    "  { name = \"kv_hit_ratio\"; category = \"backend\"; unit = \"%\";\n"     \
    "    better = \"higher\"; stat = \"mean\"; target = 90.0;\n"               \
    "    critical = 30.0; weight = 1.0; },\n"                                  \
    "  { name = \"kv_throughput\"; category = \"business\";\n"                 \
    "    unit = \"ops/s\"; better = \"higher\"; stat = \"mean\";\n"            \
    "    target = 8000.0; critical = 500.0; weight = 1.0; },\n"                \
    "  { name = \"kv_error_rate\"; category = \"business\"; unit = \"%\";\n"   \
    "    better = \"lower\"; stat = \"mean\"; target = 1.0;\n"                 \
    "    critical = 6.0; weight = 1.0; }\n"                                    \
    ");\n"

/*  The playbook, its knob files in dir. verbose_diagnostics claims to
    help the error rate and in fact raises it. */
static void
s_playbook (const char *dir, char *out, size_t size)
{
    snprintf (out, size,
              "actions = (\n"
              "  { name = \"grow_cache\"; swarm = \"backend\";\n"
              "    improves = [ \"kv_get_latency\", \"kv_hit_ratio\" ];\n"
              "    resources = [ \"kv.cache\" ];\n"
              "    apply = \"echo $HELIOS_PARAM_SIZE > %s/knob_cache_size\";\n"
              "    rollback = \"rm -f %s/knob_cache_size\";\n"
              "    timeout = 10; cost = 1.0; expected = 0.3;\n"
              "    params = ( { name = \"size\"; type = \"int\"; min = 64;\n"
              "                 max = 4096; default = 1024; } ); },\n"
              "  { name = \"enable_compression\"; swarm = \"backend\";\n"
              "    improves = [ \"kv_throughput\" ];\n"
              "    resources = [ \"kv.codec\" ];\n"
              "    apply = \"echo on > %s/knob_compression\";\n"
              "    rollback = \"rm -f %s/knob_compression\";\n"
              "    timeout = 10; cost = 1.0; expected = 0.3; },\n"
              "  { name = \"verbose_diagnostics\"; swarm = \"backend\";\n"
              "    improves = [ \"kv_error_rate\" ];\n"
              "    resources = [ \"kv.logging\" ];\n"
              "    apply = \"echo on > %s/knob_debug_logging\";\n"
              "    rollback = \"rm -f %s/knob_debug_logging\";\n"
              "    timeout = 10; cost = 0.5; expected = 0.2; }\n"
              ");\n",
              dir, dir, dir, dir, dir, dir);
}

static hl_msg_t *
s_status (s_world_t *w)
{
    hl_msg_t *status = (hl_msg_t *)ht_request (&w->m, "status", NULL);
    assert_non_null (status);
    return status;
}

static void
s_world_start (s_world_t *w)
{
    memset (w, 0, sizeof *w);
    /*  ht_master_start's steps, with the folder known before the config
        is written: the playbook's commands name it. */
    ht_tmpdir (w->m.dir, sizeof w->m.dir);
    char playbook[4096];
    s_playbook (w->m.dir, playbook, sizeof playbook);
    char extra[8192];
    snprintf (extra, sizeof extra, "%s%s%s", S_CYCLE, S_METRICS, playbook);
    ht_write_config (w->m.dir, NULL, NULL, extra, w->m.config,
                     sizeof w->m.config);
    assert_true (ht_master_launch (&w->m));

    /*  The agents connect to what the master bound, and Hephaestus reads
        its commands from this copy of the playbook. */
    snprintf (w->clients, sizeof w->clients, "%s/clients.cfg", w->m.dir);
    FILE *f = fopen (w->clients, "w");
    assert_non_null (f);
    fprintf (f,
             "master = { state_dir = \"%s/state\"; };\n"
             "connect = { tasks = \"%s\"; control = \"%s\"; "
             "bus_in = \"%s\"; bus_out = \"%s\"; };\n%s",
             w->m.dir, w->m.tasks, w->m.control, w->m.bus_in, w->m.bus_out,
             extra);
    fclose (f);

    /*  The toy: this binary again, so its czmq starts fresh. */
    const char *toy_argv[]
        = { s_self, "toy", w->m.dir, w->m.bus_in, "42", NULL };
    w->toy = ht_start (toy_argv);
    assert_non_null (w->toy);
    char line[256];
    assert_true (ht_read_line (w->toy, line, sizeof line, 10000));
    assert_string_equal (line, "READY");
    int64_t toy_up = zclock_mono ();

    for (int i = 0; i < 6; i++) {
        const char *argv[] = { ht_bin ("helios-agent"),
                               "-c",
                               w->clients,
                               "--role",
                               s_roles[i],
                               NULL };
        w->agents[w->nagents++] = ht_start (argv);
    }
    assert_int_equal (ht_wait_agents (&w->m, 6, 5000), 6);

    /*  Every metric has data, for longer than a verify window, so that
        the first cycle has a whole baseline. */
    int64_t deadline = zclock_mono () + 30000;
    bool ready = false;
    while (!ready && zclock_mono () < deadline) {
        hl_msg_t *status = s_status (w);
        const hl_value_t *data = hl_msg_data (status);
        const hl_value_t *health = hl_value_get (data, "health");
        ready = hl_value_size (hl_value_get (health, "nodata")) == 0
                && hl_value_size (hl_value_get (health, "metrics")) == 4
                && hl_value_get_double (data, "uptime_s", 0)
                       > S_VERIFY_WINDOW + 2.5
                && zclock_mono () - toy_up > (S_VERIFY_WINDOW + 2) * 1000;
        hl_msg_destroy (&status);
        if (!ready)
            zclock_sleep (100); /* a short step between polls */
    }
    assert_true (ready);
}

static void
s_world_stop (s_world_t *w)
{
    for (int i = 0; i < w->nagents; i++)
        assert_int_equal (ht_stop (&w->agents[i], 10000), 0);
    assert_int_equal (ht_stop (&w->toy, 5000), 0);
    assert_int_equal (ht_master_stop (&w->m), 0);
}

//  --------------------------------------------------------------------
//  Reports

static const char *
s_str (json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    assert_non_null (text);
    return text;
}

/*  run optimization --wait --json: the report, its fields checked. */
static json_t *
s_cycle (s_world_t *w)
{
    static char out[1 << 20];
    assert_int_equal (ht_ctl (&w->m, out, sizeof out, "-t", "120000", "run",
                              "optimization", "--wait", "--json", NULL),
                      0);
    json_t *report = json_loads (out, 0, NULL);
    assert_non_null (report);
    const char *keys[]
        = { "id",           "kind",     "started", "finished", "health_before",
            "health_after", "degraded", "actions" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_non_null (json_object_get (report, keys[i]));
    assert_string_equal (s_str (report, "kind"), "optimization");
    assert_true (json_is_number (json_object_get (report, "health_before")));
    assert_true (json_is_number (json_object_get (report, "health_after")));
    /*  ISO 8601 times in UTC sort as text */
    assert_true (strcmp (s_str (report, "finished"), s_str (report, "started"))
                 >= 0);
    assert_int_equal (json_array_size (json_object_get (report, "degraded")),
                      0);
    if (getenv ("HT_VERBOSE")) {
        char *text
            = json_dumps (json_object_get (report, "actions"), JSON_COMPACT);
        fprintf (stderr, "cycle %d: %.1f -> %.1f %s\n",
                 (int)json_integer_value (json_object_get (report, "id")),
                 json_number_value (json_object_get (report, "health_before")),
                 json_number_value (json_object_get (report, "health_after")),
                 text);
        free (text);
    }
    return report;
}

static bool
s_knob_exists (s_world_t *w, const char *name)
{
    char path[512];
    snprintf (path, sizeof path, "%s/knob_%s", w->m.dir, name);
    return access (path, F_OK) == 0;
}

/*  Checks one action of a report; says whether it was kept. */
static bool
s_check_action (s_world_t *w, json_t *a)
{
    const char *name = s_str (a, "name");
    const char *verdict = s_str (a, "verdict");
    const char *outcome = s_str (a, "outcome");
    assert_string_equal (s_str (a, "swarm"), "backend");
    assert_true (json_is_number (json_object_get (a, "p_value")));
    assert_true (json_is_number (json_object_get (a, "effect")));
    json_t *metric = json_array_get (json_object_get (a, "metrics"), 0);
    assert_non_null (metric);
    assert_true (json_is_number (json_object_get (metric, "before")));
    assert_true (json_is_number (json_object_get (metric, "after")));
    double before = json_number_value (json_object_get (metric, "before"));
    double after = json_number_value (json_object_get (metric, "after"));
    /*  A recheck measured the undo of a kept change: its metrics move the
        other way, and an improved change is re-applied */
    if (json_is_true (json_object_get (a, "recheck"))) {
        double swap = before;
        before = after;
        after = swap;
    }

    if (streq (verdict, "improved"))
        assert_string_equal (outcome, "kept");
    else
        assert_string_equal (outcome, "rolled_back");

    if (streq (name, "verbose_diagnostics") && streq (verdict, "confounded")) {
        /*  Run beside the others, its regression could be theirs: rolled
            back, to be retried alone. */
        assert_false (s_knob_exists (w, "debug_logging"));
    } else if (streq (name, "verbose_diagnostics")) {
        /*  Caught alone: its error rate went up, and its rollback ran. */
        assert_string_equal (verdict, "regressed");
        assert_string_equal (s_str (metric, "name"), "kv_error_rate");
        assert_true (after > before);
        assert_string_equal (s_str (json_object_get (a, "rollback"), "status"),
                             "ok");
        assert_false (s_knob_exists (w, "debug_logging"));
    } else if (streq (name, "grow_cache")) {
        assert_string_equal (verdict, "improved");
        assert_string_equal (s_str (metric, "name"), "kv_get_latency");
        assert_true (after < before);
        /*  the param's default reached the command */
        char size[32];
        assert_true (s_knob (w->m.dir, "cache_size", size, sizeof size));
        assert_string_equal (size, "1024");
    } else if (streq (name, "enable_compression")) {
        assert_string_equal (verdict, "improved");
        assert_true (after > before);
        assert_true (s_knob_exists (w, "compression"));
    } else
        fail_msg ("an action not in the playbook: %s", name);
    return streq (outcome, "kept");
}

static void
test_custom_cycles_keep_and_roll_back (void **state)
{
    (void)state;
    s_world_t w;
    s_world_start (&w);
    bool kept = false, harmful_rolled_back = false;
    double first_before = NAN;
    /*  Cycles back to back: one that finds earlier changes still settling
        picks nothing and ends at once */
    int64_t deadline = zclock_mono () + 150000;
    for (int c = 0; !(kept && harmful_rolled_back); c++) {
        assert_true (zclock_mono () < deadline);
        json_t *report = s_cycle (&w);
        if (c == 0) {
            first_before
                = json_number_value (json_object_get (report, "health_before"));
            /*  degraded but not an emergency, as the config is meant */
            assert_true (first_before > 50 && first_before < 85);
        }
        if (json_array_size (json_object_get (report, "actions")) == 0)
            zclock_sleep (250); /* a short step before the next cycle */
        size_t i;
        json_t *a;
        json_array_foreach (json_object_get (report, "actions"), i, a) {
            kept |= s_check_action (&w, a);
            harmful_rolled_back
                |= streq (s_str (a, "name"), "verbose_diagnostics")
                   && streq (s_str (a, "verdict"), "regressed");
        }
        /*  the report is on disk too */
        char path[512];
        snprintf (path, sizeof path, "%s/state/reports/optimization-%d.json",
                  w.m.dir,
                  (int)json_integer_value (json_object_get (report, "id")));
        assert_int_equal (access (path, R_OK), 0);
        json_decref (report);
    }
    assert_true (kept);
    assert_true (harmful_rolled_back);

    /*  Health rises: once the health window has the kept changes alone,
        the score is well above where the first cycle started. */
    double score = 0;
    deadline = zclock_mono () + 20000;
    while (zclock_mono () < deadline) {
        hl_msg_t *status = s_status (&w);
        score = hl_value_get_double (
            hl_value_get (hl_msg_data (status), "health"), "score", 0);
        hl_msg_destroy (&status);
        if (score > first_before + 15)
            break;
        zclock_sleep (200); /* a short step between polls */
    }
    assert_true (score > first_before + 15);
    assert_false (s_knob_exists (&w, "debug_logging"));
    s_world_stop (&w);
}

int
main (int argc, char *argv[])
{
    if (argc == 5 && streq (argv[1], "toy")) {
        uint64_t seed = strtoull (argv[4], NULL, 10);
        return s_toy_run (argv[2], argv[3], seed ? seed : 1);
    }
    ssize_t len = readlink ("/proc/self/exe", s_self, sizeof s_self - 1);
    if (len <= 0) {
        fprintf (stderr, "test_cycle_custom: cannot find its own binary\n");
        return 1;
    }
    s_self[len] = 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_custom_cycles_keep_and_roll_back,
                                   ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
