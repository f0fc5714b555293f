/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    toy - a toy service for the integration tests that judge Helios's
    decisions and its recovery: three metrics whose true levels follow
    knob files, real helios-master and six real agents, actions that
    touch and remove those files. See toy.h.
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
#include "../../bus/hl_rand.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"
#include "toy.h"

static char s_self[4096]; /* this binary: the toy runs as "self toy" */

//  --------------------------------------------------------------------
//  The toy: three metrics, and what each knob file truly does to them

static const char *s_names[] = { "lat", "err", "ux" };
static const double s_base[] = { 20.0, 2.0, 80.0 };

static const struct {
    const char *knob;
    double factor[3]; /* lat, err, ux */
} s_effects[] = {
    { "good", { 0.6, 1, 1 } },      { "harm", { 1.6, 1, 1 } },
    { "guarded", { 1.5, 0.5, 1 } }, { "sidefx", { 0.7, 1, 1.6 } },
    { "ux_fix", { 1, 1, 0.7 } },    { "lat_fix", { 0.12, 1, 1 } },
    { "lat_bad", { 1.3, 1, 1 } },   { "incident", { 8, 1, 1 } },
};

static volatile sig_atomic_t s_toy_stop;

static void
s_toy_on_term (int sig)
{
    (void)sig;
    s_toy_stop = 1;
}

static bool
s_knob (const char *dir, const char *name)
{
    char path[512];
    snprintf (path, sizeof path, "%s/knob_%s", dir, name);
    return access (path, F_OK) == 0;
}

static int
s_toy_run (const char *dir, const char *bus_in)
{
    zsys_init ();
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_toy_on_term;
    sigaction (SIGTERM, &sa, NULL);
    zsock_t *pub = hl_sock_publisher (bus_in, NULL);
    if (!pub)
        return 1;
    while (!s_toy_stop && hl_sock_publisher_wait (pub, 200) != 0)
        ;
    if (!s_toy_stop) {
        printf ("READY\n");
        fflush (stdout);
    }
    hl_rand_t rand;
    hl_rand_seed (&rand, 7);
    int64_t next = zclock_mono ();
    while (!s_toy_stop) {
        double level[3] = { s_base[0], s_base[1], s_base[2] };
        for (size_t k = 0; k < sizeof s_effects / sizeof *s_effects; k++)
            if (s_knob (dir, s_effects[k].knob))
                for (int m = 0; m < 3; m++)
                    level[m] *= s_effects[k].factor[m];
        hl_msg_t *batch = hl_msg_new (HL_MSG_METRICS);
        int64_t now = hl_msg_now_us ();
        for (int m = 0; m < 3; m++) {
            double z = hl_rand_normal (&rand);
            z = z > 3 ? 3 : z < -3 ? -3 : z;
            hl_msg_add_sample (batch, s_names[m],
                               level[m] * (1 + TOY_NOISE * z), now, NULL);
        }
        hl_bus_send (pub, &batch);
        hl_sock_publisher_wait (pub, 0);
        next += 1000 / TOY_RATE;
        int64_t wait = next - zclock_mono ();
        if (wait > 0)
            zclock_sleep ((int)wait);
        else if (wait < -1000)
            next = zclock_mono ();
    }
    zsock_destroy (&pub);
    return 0;
}

//  --------------------------------------------------------------------
//  The world: master, toy, six agents, a playbook of the case's choosing

/*  lat is key: at critical it takes health under the emergency line. */
#define S_METRICS                                                              \
    "metrics = (\n"                                                            \
    "  { name = \"lat\"; category = \"backend\"; unit = \"ms\";\n"             \
    "    better = \"lower\"; stat = \"mean\"; target = 10.0;\n"                \
    "    critical = 50.0; key = true; },\n"                                    \
    "  { name = \"err\"; category = \"business\"; unit = \"%%\";\n"            \
    "    better = \"lower\"; stat = \"mean\"; target = 1.0;\n"                 \
    "    critical = 6.0; },\n"                                                 \
    "  { name = \"ux\"; category = \"frontend\"; unit = \"ms\";\n"             \
    "    better = \"lower\"; stat = \"mean\"; target = 50.0;\n"                \
    "    critical = 300.0; key = true; } );\n"

/*  One action: name, swarm, its target, what it claims, and how long its
    apply and its rollback take. Each logs a line to log_<name> first, so
    a test counts how often each ran; the knob changes at the end. */
static void
s_action (char *out, size_t size, const char *dir, const char *name,
          const char *swarm, const char *target, double expected, double cost,
          int delay, int undo_delay)
{
    size_t used = strlen (out);
    snprintf (out + used, size - used,
              "%s  { name = \"%s\"; swarm = \"%s\"; improves = [\"%s\"];\n"
              "    apply = \"echo apply >> %s/log_%s; sleep %d; touch "
              "%s/knob_%s\";\n"
              "    rollback = \"echo rollback >> %s/log_%s; sleep %d; rm -f "
              "%s/knob_%s\";\n"
              "    timeout = %d; expected = %g; cost = %g; }",
              used > 12 ? ",\n" : "", name, swarm, target, dir, name, delay,
              dir, name, dir, name, undo_delay, dir, name,
              10 + delay + undo_delay, expected, cost);
}

static const char *s_roles[]
    = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
        "hephaestus-backend",  "athena-ux",          "athena-api" };

const char *
toy_role (int i)
{
    assert_true (i >= 0 && i < 6);
    return s_roles[i];
}

const char *
toy_agent_name (int i)
{
    static char names[6][40];
    snprintf (names[i], sizeof names[i], "toy-%s", toy_role (i));
    return names[i];
}

void
toy_agent_start (toy_world_t *w, int i)
{
    assert_null (w->agents[i]);
    const char *argv[] = { ht_bin ("helios-agent"),
                           "-c",
                           w->clients,
                           "--role",
                           toy_role (i),
                           "--name",
                           toy_agent_name (i),
                           NULL };
    w->agents[i] = ht_start_in (w->opts.peer_prefix, argv);
    assert_non_null (w->agents[i]);
}

/*  Write the world's config: cycle settings and the playbook actions[]
    (each "name swarm target expected cost [apply_s [rollback_s]]"). */
void
toy_world_prepare_opts (toy_world_t *w, const toy_opts_t *opts,
                        const char *cycle, const char *const *actions)
{
    memset (w, 0, sizeof *w);
    if (opts)
        w->opts = *opts;
    ht_tmpdir (w->m.dir, sizeof w->m.dir);
    char playbook[8192] = "actions = (\n";
    for (size_t i = 0; actions[i]; i++) {
        char name[32], swarm[16], target[16];
        double expected, cost;
        int delay = 0, undo_delay = 0;
        assert_true (sscanf (actions[i], "%31s %15s %15s %lf %lf %d %d", name,
                             swarm, target, &expected, &cost, &delay,
                             &undo_delay)
                     >= 5);
        s_action (playbook, sizeof playbook, w->m.dir, name, swarm, target,
                  expected, cost, delay, undo_delay);
    }
    strcat (playbook, " );\n");
    char metrics[2048];
    snprintf (metrics, sizeof metrics, S_METRICS);
    w->extra = (char *)malloc (16384);
    assert_non_null (w->extra);
    snprintf (w->extra, 16384, "health = { target = 85; window = 4; };\n%s%s%s",
              cycle, metrics, playbook);
    ht_write_config (w->m.dir, NULL, w->opts.master_extra, w->extra,
                     w->m.config, sizeof w->m.config);
    if (w->opts.host) {
        //  Written into the config as a restart's endpoints would be
        snprintf (w->m.tasks, sizeof w->m.tasks, "tcp://%s:*", w->opts.host);
        snprintf (w->m.control, sizeof w->m.control, "ipc://%.200s/control",
                  w->m.dir);
        snprintf (w->m.bus_in, sizeof w->m.bus_in, "tcp://%s:*", w->opts.host);
        snprintf (w->m.bus_out, sizeof w->m.bus_out, "tcp://%s:*",
                  w->opts.host);
        ht_master_pin (&w->m);
    }
}

void
toy_world_prepare (toy_world_t *w, const char *cycle,
                   const char *const *actions)
{
    toy_world_prepare_opts (w, NULL, cycle, actions);
}

void
toy_world_launch (toy_world_t *w)
{
    assert_true (ht_master_launch_in (&w->m, w->opts.master_prefix));
    snprintf (w->clients, sizeof w->clients, "%s/clients.cfg", w->m.dir);
    FILE *f = fopen (w->clients, "w");
    assert_non_null (f);
    fprintf (f,
             "master = { state_dir = \"%s/state\"; };\n"
             "agent = { state_dir = \"%s/agents\"; };\n"
             "connect = { tasks = \"%s\"; control = \"%s\"; "
             "bus_in = \"%s\"; bus_out = \"%s\"; };\n%s",
             w->m.dir, w->m.dir, w->m.tasks, w->m.control, w->m.bus_in,
             w->m.bus_out, w->extra);
    fclose (f);
    const char *toy_argv[] = { s_self, "toy", w->m.dir, w->m.bus_in, NULL };
    w->toy = ht_start_in (w->opts.peer_prefix, toy_argv);
    assert_non_null (w->toy);
    char line[256];
    assert_true (ht_read_line (w->toy, line, sizeof line, 10000));
    assert_string_equal (line, "READY");
    for (int i = 0; i < 6; i++)
        toy_agent_start (w, i);
    assert_int_equal (ht_wait_agents (&w->m, 6, 5000), 6);
}

void
toy_world_start (toy_world_t *w, const char *cycle, const char *const *actions)
{
    toy_world_start_opts (w, NULL, cycle, actions);
}

void
toy_world_start_opts (toy_world_t *w, const toy_opts_t *opts, const char *cycle,
                      const char *const *actions)
{
    toy_world_prepare_opts (w, opts, cycle, actions);
    toy_world_launch (w);
}

void
toy_world_stop (toy_world_t *w)
{
    //  An agent drains first: a verify a killed master left running
    //  finishes its window
    for (int i = 0; i < 6; i++)
        assert_int_equal (ht_stop (&w->agents[i], 20000), 0);
    assert_int_equal (ht_stop (&w->toy, 5000), 0);
    assert_int_equal (ht_master_stop (&w->m), 0);
    free (w->extra);
    w->extra = NULL;
}

const hl_value_t *
toy_data (hl_msg_t *reply)
{
    assert_non_null (reply);
    return hl_msg_data (reply);
}

/*  Wait until every metric has a window of data behind it. */
void
toy_wait_data (toy_world_t *w)
{
    int64_t deadline = zclock_mono () + 30000;
    while (zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (&w->m, "status", NULL);
        const hl_value_t *d = toy_data (status);
        bool ready = hl_value_size (
                         hl_value_get (hl_value_get (d, "health"), "nodata"))
                         == 0
                     && hl_value_get_double (d, "uptime_s", 0) > TOY_WINDOW + 3;
        hl_msg_destroy (&status);
        if (ready)
            return;
        zclock_sleep (200); /* a short step between polls */
    }
    fail_msg ("no data within 30 s");
}

/*  One cycle, run and waited for: its report (caller decrefs). */
json_t *
toy_cycle (toy_world_t *w)
{
    static char out[1 << 20];
    assert_int_equal (ht_ctl (&w->m, out, sizeof out, "-t", "60000", "run",
                              "optimization", "--wait", "--json", NULL),
                      0);
    json_t *report = json_loads (out, 0, NULL);
    assert_non_null (report);
    if (getenv ("HT_VERBOSE")) {
        size_t i;
        json_t *a;
        json_array_foreach (json_object_get (report, "actions"), i, a) {
            fprintf (stderr, "cycle %d: %s %s %s\n",
                     (int)json_integer_value (json_object_get (report, "id")),
                     json_string_value (json_object_get (a, "name")),
                     json_string_value (json_object_get (a, "verdict")),
                     json_string_value (json_object_get (a, "outcome")));
        }
    }
    return report;
}

/*  The action of report named name, or NULL. */
json_t *
toy_act (json_t *report, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (report, "actions"), i, a) {
        if (streq (json_string_value (json_object_get (a, "name")), name))
            return a;
    }
    return NULL;
}

bool
toy_bool (const hl_value_t *map, const char *key)
{
    bool b = false;
    hl_value_bool (hl_value_get (map, key), &b);
    return b;
}

const char *
toy_field (json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text ? text : "";
}

/*  Cycles back to back until pred is true of a report (its actions'
    verdicts seen so far); each empty cycle (earlier changes settling,
    windows not clean yet) is followed by a short step. Returns the
    number of cycles run. */

int
toy_cycles_until (toy_world_t *w, toy_pred_fn *pred, void *arg)
{
    int64_t deadline = zclock_mono () + 150000;
    for (int c = 1;; c++) {
        assert_true (zclock_mono () < deadline);
        json_t *report = toy_cycle (w);
        bool done = pred (report, arg);
        if (json_array_size (json_object_get (report, "actions")) == 0)
            zclock_sleep (250); /* a short step before the next cycle */
        json_decref (report);
        if (done)
            return c;
    }
}

int
toy_main (int argc, char *argv[])
{
    if (argc == 4 && streq (argv[1], "toy"))
        return s_toy_run (argv[2], argv[3]);
    ssize_t len = readlink ("/proc/self/exe", s_self, sizeof s_self - 1);
    if (len <= 0) {
        fprintf (stderr, "%s: cannot find its own binary\n", argv[0]);
        return 1;
    }
    s_self[len] = 0;
    return -1;
}

int
toy_count (const toy_world_t *w, const char *action, const char *what)
{
    char path[512], line[64];
    snprintf (path, sizeof path, "%s/log_%s", w->m.dir, action);
    FILE *f = fopen (path, "r");
    int n = 0;
    while (f && fgets (line, sizeof line, f))
        n += strncmp (line, what, strlen (what)) == 0;
    if (f)
        fclose (f);
    return n;
}

bool
toy_knob (const toy_world_t *w, const char *action)
{
    return s_knob (w->m.dir, action);
}

static char s_out[1 << 20]; /* helios-ctl's output */

/*  helios-ctl ARGS --json into a JSON value (asserting exit 0). */
json_t *
toy_ctl_json (toy_world_t *w, const char *a, const char *b, const char *c)
{
    int rc = c   ? ht_ctl (&w->m, s_out, sizeof s_out, a, b, c, "--json", NULL)
             : b ? ht_ctl (&w->m, s_out, sizeof s_out, a, b, "--json", NULL)
                 : ht_ctl (&w->m, s_out, sizeof s_out, a, "--json", NULL);
    assert_int_equal (rc, 0);
    json_t *json = json_loads (s_out, 0, NULL);
    assert_non_null (json);
    return json;
}

/*  The audit log has a record of event for action whose why contains
    text (may be NULL). */
bool
toy_audited (toy_world_t *w, const char *event, const char *action,
             const char *text)
{
    json_t *records = toy_ctl_json (w, "audit", "--action", action);
    bool found = false;
    size_t i;
    json_t *r;
    json_array_foreach (records, i, r) {
        if (streq (toy_field (r, "event"), event)
            && (!text || strstr (toy_field (r, "why"), text)))
            found = true;
    }
    json_decref (records);
    return found;
}

/*  The run of kind in `cycles`, newest first; NULL if none. Borrowed
    from list. */
json_t *
toy_run_of (json_t *list, const char *kind)
{
    size_t i;
    json_t *r;
    json_array_foreach (list, i, r) {
        if (streq (toy_field (r, "kind"), kind))
            return r;
    }
    return NULL;
}

/*  Kill the master with sig and start it again on the same endpoints;
    its agents find it by themselves. */
void
toy_restart (toy_world_t *w, int sig)
{
    if (sig == SIGKILL) {
        kill (w->m.proc->pid, SIGKILL);
        ht_stop (&w->m.proc, 5000);
    } else
        assert_int_equal (ht_stop (&w->m.proc, 10000), 0);
    ht_master_pin (&w->m);
    assert_true (ht_master_launch_in (&w->m, w->opts.master_prefix));
    assert_int_equal (ht_wait_agents (&w->m, 6, 15000), 6);
}

bool
toy_until (toy_world_t *w, toy_cond_fn *cond, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (cond (w))
            return true;
        zclock_sleep (100); /* a short step between polls */
    }
    return cond (w);
}

bool
toy_recovered (toy_world_t *w)
{
    json_t *list = toy_ctl_json (w, "cycles", NULL, NULL);
    json_t *r = toy_run_of (list, "recovery");
    bool done = r && streq (toy_field (r, "phase"), "done");
    json_decref (list);
    return done;
}

bool
toy_settling (toy_world_t *w)
{
    json_t *status = toy_ctl_json (w, "status", NULL, NULL);
    const char *phase = json_string_value (
        json_object_get (json_object_get (status, "cycle"), "phase"));
    bool yes = phase && (streq (phase, "settle") || streq (phase, "verify"));
    json_decref (status);
    return yes;
}
