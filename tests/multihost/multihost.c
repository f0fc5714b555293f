/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    multihost - the three hosts of the multi-host test: namespaces and
    their links, CURVE keys, configs, the master, the nodes and the demo,
    and helios-ctl runs on the master host. See multihost.h.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "multihost.h"

#define streq(a, b) (strcmp ((a), (b)) == 0)

/*  The namespaces made, for teardown after a failed assertion. */
static char s_made[MH_HOSTS][32];

static const char *s_host_names[MH_HOSTS] = { "m", "f", "b" };
static const char *s_host_ips[MH_HOSTS]
    = { MH_MASTER_IP, MH_FRONT_IP, MH_BACK_IP };

int64_t
mh_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*  A short step between two looks at a condition. */
static void
s_step (int ms)
{
    poll (NULL, 0, ms);
}

/*  ip, wherever this system keeps it; NULL if nowhere. */
static const char *
s_ip (void)
{
    static const char *paths[]
        = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        if (access (paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

/*  Run ip with the arguments (NULL-ended); its exit status. */
static int
s_run_ip (const char *first, ...)
{
    const char *argv[24] = { s_ip (), first };
    int argc = 2;
    va_list ap;
    va_start (ap, first);
    const char *arg;
    while (argc < 23 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    va_end (ap);
    argv[argc] = NULL;
    char out[1024];
    return ht_run (argv, 10000, out, sizeof out);
}

/*  Delete the namespaces an earlier run left when it was killed: named
    hlm<pid>m, f and b, with that pid gone. */
static void
s_sweep (void)
{
    const char *argv[] = { s_ip (), "netns", "list", NULL };
    char list[8192];
    if (ht_run (argv, 10000, list, sizeof list) != 0)
        return;
    for (char *line = strtok (list, "\n"); line; line = strtok (NULL, "\n")) {
        char name[32];
        int pid;
        if (sscanf (line, "%31s", name) != 1
            || sscanf (name, "hlm%d", &pid) != 1 || pid <= 0)
            continue;
        if (kill (pid, 0) == 0 || errno != ESRCH)
            continue; /* its run is still going */
        s_run_ip ("netns", "del", name, NULL);
    }
}

static void
s_net_destroy (void)
{
    //  Each veth pair goes with either end's namespace, the bridge with
    //  the master's
    for (int h = 0; h < MH_HOSTS; h++)
        if (*s_made[h]) {
            s_run_ip ("netns", "del", s_made[h], NULL);
            *s_made[h] = 0;
        }
}

/*  The three hosts: a bridge br0 on the master's (10.78.0.1), and a veth
    pair from it to each agent host's eth0. False (nothing left) if they
    cannot be made. */
static bool
s_net_make (mh_world_t *w)
{
    s_sweep ();
    for (int h = 0; h < MH_HOSTS; h++) {
        snprintf (w->ns[h], sizeof w->ns[h], "hlm%d%s", (int)getpid (),
                  s_host_names[h]);
        if (s_run_ip ("netns", "add", w->ns[h], NULL)) {
            s_net_destroy ();
            return false;
        }
        snprintf (s_made[h], sizeof s_made[h], "%s", w->ns[h]);
        w->in[h][0] = s_ip ();
        w->in[h][1] = "netns";
        w->in[h][2] = "exec";
        w->in[h][3] = w->ns[h];
        w->in[h][4] = NULL;
    }
    const char *m = w->ns[MH_MASTER];
    bool ok
        = s_run_ip ("-n", m, "link", "add", "br0", "type", "bridge", NULL) == 0
          && s_run_ip ("-n", m, "addr", "add", MH_MASTER_IP "/24", "dev", "br0",
                       NULL)
                 == 0
          && s_run_ip ("-n", m, "link", "set", "lo", "up", NULL) == 0
          && s_run_ip ("-n", m, "link", "set", "br0", "up", NULL) == 0;
    for (int h = MH_FRONT; ok && h <= MH_BACK; h++) {
        char port[16], addr[32];
        snprintf (port, sizeof port, "to-%s", s_host_names[h]);
        snprintf (addr, sizeof addr, "%s/24", s_host_ips[h]);
        ok = s_run_ip ("-n", m, "link", "add", port, "type", "veth", "peer",
                       "name", "eth0", "netns", w->ns[h], NULL)
                 == 0
             && s_run_ip ("-n", m, "link", "set", port, "master", "br0", NULL)
                    == 0
             && s_run_ip ("-n", m, "link", "set", port, "up", NULL) == 0
             && s_run_ip ("-n", w->ns[h], "addr", "add", addr, "dev", "eth0",
                          NULL)
                    == 0
             && s_run_ip ("-n", w->ns[h], "link", "set", "lo", "up", NULL) == 0
             && s_run_ip ("-n", w->ns[h], "link", "set", "eth0", "up", NULL)
                    == 0;
    }
    //  A container may let namespaces be made but not entered (exec
    //  remounts /sys): that is a skip too, not a failure
    const char *argv[]
        = { s_ip (), "netns", "exec", w->ns[MH_BACK], "/bin/true", NULL };
    char out[256];
    ok = ok && ht_run (argv, 10000, out, sizeof out) == 0;
    if (!ok)
        s_net_destroy ();
    return ok;
}

void
mh_link (const mh_world_t *w, int host, bool up)
{
    assert_int_equal (s_run_ip ("-n", w->ns[host], "link", "set", "eth0",
                                up ? "up" : "down", NULL),
                      0);
}

int
mh_teardown (void **state)
{
    int rc = ht_teardown (state); /* the processes first, then their nets */
    s_net_destroy ();
    return rc;
}

//  --------------------------------------------------------------------
//  Keys and configs

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    assert_int_equal (fputs (text, f) >= 0, 1);
    assert_int_equal (fclose (f), 0);
}

static void
s_copy (const char *from, const char *to)
{
    FILE *in = fopen (from, "r"), *out = fopen (to, "w");
    assert_non_null (in);
    assert_non_null (out);
    char buf[4096];
    size_t n;
    while ((n = fread (buf, 1, sizeof buf, in)) > 0)
        assert_int_equal (fwrite (buf, 1, n, out), n);
    fclose (in);
    fclose (out);
}

/*  A key pair by helios-ctl keygen; its public half into the allow-list
    unless it is the master's own. */
static void
s_keygen (const mh_world_t *w, const char *name)
{
    const char *argv[]
        = { ht_bin ("helios-ctl"), "keygen", name, "--dir", w->keys, NULL };
    char out[1024];
    assert_int_equal (ht_run (argv, 10000, out, sizeof out), 0);
    if (streq (name, "master"))
        return;
    char from[400], to[400];
    snprintf (from, sizeof from, "%s/%s.key", w->keys, name);
    snprintf (to, sizeof to, "%s/allowed/%s.key", w->keys, name);
    s_copy (from, to);
}

/*  A client's security section: the master's public key and its own. */
static void
s_security (const mh_world_t *w, const char *name, char *out, size_t size)
{
    snprintf (out, size,
              "security = { enabled = true;\n"
              "  server_public_key = \"%s/master.key\";\n"
              "  secret_key = \"%s/%s.key_secret\"; };\n",
              w->keys, w->keys, name);
}

/*  deploy/helios.cfg's metrics, actions and the rest, without the
    sections each config here writes itself. */
static char *
s_playbook (void)
{
    char *text = ht_playbook ();
    assert_non_null (text);
    char *at = strstr (text, "\nsecurity = {");
    if (at) {
        char *end = strstr (at, "\n};");
        assert_non_null (end);
        memmove (at + 1, end + 4, strlen (end + 4) + 1);
    }
    return text;
}

/*  Cycles on demand only, with the demo's short settle and verify
    windows; emergencies only for a real outage. */
#define S_CYCLE                                                                \
    "cycle = { duration = 3600; max_concurrent = 4; cooldown = 60;\n"          \
    "  settle = 3; verify_window = 10; seed = 42; };\n"                        \
    "health = { target = 85; window = 5; };\n"                                 \
    "emergency = { threshold = 20; max_issues = 3; notify = \"\"; };\n"

static void
s_write_master (mh_world_t *w)
{
    char sec[2048];
    snprintf (sec, sizeof sec,
              "security = { enabled = true;\n"
              "  server_public_key = \"%s/master.key\";\n"
              "  secret_key = \"%s/master.key_secret\";\n"
              "  allow_dir = \"%s/allowed\"; };\n",
              w->keys, w->keys, w->keys);
    size_t size = strlen (w->playbook) + 4096;
    char *text = malloc (size);
    assert_non_null (text);
    snprintf (text, size,
              "master = { tasks = \"tcp://" MH_MASTER_IP ":*\";\n"
              "  control = \"tcp://" MH_MASTER_IP ":*\";\n"
              "  bus_in = \"tcp://" MH_MASTER_IP ":*\";\n"
              "  bus_out = \"tcp://" MH_MASTER_IP ":*\";\n"
              "  http = \"\"; statsd = \"\"; state_dir = \"%s/state\";\n"
              "  require_curve = true; " MH_MASTER_EXTRA " };\n%s%s%s%s",
              w->m.dir, sec, S_CYCLE, MH_AUTOSCALE, w->playbook);
    snprintf (w->m.config, sizeof w->m.config, "%s/master.cfg", w->m.dir);
    s_write (w->m.config, text);
    free (text);
}

/*  Where a client on another host finds the master. */
static void
s_connect (const mh_world_t *w, char *out, size_t size)
{
    snprintf (out, size,
              "connect = { tasks = \"%s\"; control = \"%s\";\n"
              "  bus_in = \"%s\"; bus_out = \"%s\"; };\n",
              w->m.tasks, w->m.control, w->m.bus_in, w->m.bus_out);
}

/*  Each agent host's agents' config, the ctl's and the demo's, once the
    master has said where it listens. */
static void
s_write_clients (mh_world_t *w)
{
    char conn[2048], sec[2048];
    s_connect (w, conn, sizeof conn);
    size_t size = strlen (w->playbook) + 8192;
    char *text = malloc (size);
    assert_non_null (text);
    s_security (w, "agents", sec, sizeof sec);
    for (int h = MH_FRONT; h <= MH_BACK; h++) {
        snprintf (w->agents_cfg[h - 1], sizeof w->agents_cfg[h - 1],
                  "%s/agents-%s.cfg", w->m.dir, s_host_names[h]);
        snprintf (text, size,
                  "%s%sagent = { state_dir = \"%s/agents-%s\"; };\n"
                  "demo = { control = \"" MH_DEMO_CONTROL "\"; rate = 20;"
                  " seed = 7; };\n%s%s",
                  conn, sec, w->m.dir, s_host_names[h], S_CYCLE, w->playbook);
        s_write (w->agents_cfg[h - 1], text);
    }
    free (text);

    char buf[4096];
    s_security (w, "ctl", sec, sizeof sec);
    snprintf (w->ctl_cfg, sizeof w->ctl_cfg, "%s/ctl.cfg", w->m.dir);
    snprintf (buf, sizeof buf, "%s%s", conn, sec);
    s_write (w->ctl_cfg, buf);
}

ht_proc_t *
mh_node_start (mh_world_t *w, int host, const char *name, const char *section,
               const char *agent_config)
{
    char conn[2048], sec[2048], text[8192], path[400];
    s_connect (w, conn, sizeof conn);
    char key[64];
    snprintf (key, sizeof key, "node-%s", s_host_names[host]);
    s_security (w, key, sec, sizeof sec);
    snprintf (text, sizeof text,
              "%s%snode = { %s agent_config = \"%s\";\n  " MH_NODE_EXTRA
              " };\n",
              conn, sec, section,
              agent_config ? agent_config : w->agents_cfg[host - 1]);
    snprintf (path, sizeof path, "%s/node-%s.cfg", w->m.dir, name);
    s_write (path, text);
    const char *argv[]
        = { ht_bin ("helios-node"), "-c", path, "--name", name, NULL };
    ht_proc_t *node = ht_start_in (w->in[host], argv);
    assert_non_null (node);
    return node;
}

//  --------------------------------------------------------------------
//  helios-ctl on the master host

static int
s_ctl_v (const mh_world_t *w, char *out, size_t size, va_list ap)
{
    const char *argv[40];
    int argc = 0;
    for (int i = 0; w->in[MH_MASTER][i]; i++)
        argv[argc++] = w->in[MH_MASTER][i];
    argv[argc++] = ht_bin ("helios-ctl");
    argv[argc++] = "-c";
    argv[argc++] = w->ctl_cfg;
    const char *arg;
    while (argc < 39 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    argv[argc] = NULL;
    return ht_run (argv, 180000, out, size);
}

int
mh_ctl (const mh_world_t *w, char *out, size_t size, ...)
{
    va_list ap;
    va_start (ap, size);
    int rc = s_ctl_v (w, out, size, ap);
    va_end (ap);
    return rc;
}

json_t *
mh_ctl_json (const mh_world_t *w, ...)
{
    static char out[1 << 20];
    va_list ap;
    va_start (ap, w);
    int rc = s_ctl_v (w, out, sizeof out, ap);
    va_end (ap);
    if (rc != 0)
        fail_msg ("helios-ctl exited %d: %.200s", rc, out);
    json_error_t jerr;
    json_t *json = json_loads (out, 0, &jerr);
    if (!json)
        fail_msg ("helios-ctl printed no JSON: %.200s", out);
    return json;
}

/*  A string field of a JSON object, "" if none. */
static const char *
s_str (json_t *obj, const char *key)
{
    const char *s = json_string_value (json_object_get (obj, key));
    return s ? s : "";
}

int64_t
mh_agent_int (json_t *agents, const char *name, const char *field)
{
    size_t i;
    json_t *a;
    json_array_foreach (agents, i, a) {
        if (streq (s_str (a, "name"), name))
            return json_integer_value (json_object_get (a, field));
    }
    return -1;
}

int
mh_agents_on (json_t *agents, const char *node)
{
    int n = 0;
    size_t i;
    json_t *a;
    json_array_foreach (agents, i, a) {
        const char *on = json_string_value (json_object_get (a, "node"));
        if (on && *on && (!node || streq (on, node)))
            n++;
    }
    return n;
}

bool
mh_has_node (const mh_world_t *w, const char *name)
{
    json_t *data = mh_ctl_json (w, "nodes", "--json", NULL);
    bool found = false;
    size_t i;
    json_t *n;
    json_array_foreach (json_object_get (data, "nodes"), i, n) {
        if (streq (s_str (n, "name"), name))
            found = true;
    }
    json_decref (data);
    return found;
}

//  --------------------------------------------------------------------
//  The world

void
mh_start (mh_world_t *w, bool demo)
{
    memset (w, 0, sizeof *w);
    if (geteuid () != 0 || !s_ip ()) {
        print_message ("multihost: network namespaces need root and ip "
                       "(iproute2): skipped\n");
        skip ();
    }
    if (!s_net_make (w)) {
        print_message ("multihost: ip netns cannot make or enter namespaces "
                       "here (or a bridge in one): skipped\n");
        skip ();
    }
    ht_tmpdir (w->m.dir, sizeof w->m.dir);
    snprintf (w->keys, sizeof w->keys, "%s/keys", w->m.dir);
    assert_int_equal (mkdir (w->keys, 0700), 0);
    char allowed[400];
    snprintf (allowed, sizeof allowed, "%s/allowed", w->keys);
    assert_int_equal (mkdir (allowed, 0700), 0);
    const char *names[]
        = { "master", "node-f", "node-b", "agents", "ctl", "demo" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        s_keygen (w, names[i]);
    w->playbook = s_playbook ();

    s_write_master (w);
    assert_true (ht_master_launch_in (&w->m, w->in[MH_MASTER]));
    assert_non_null (strstr (w->m.control, MH_MASTER_IP));
    s_write_clients (w);

    //  Hephaestus runs "helios-demo set ...": the binaries must be on the
    //  PATH its commands see, on either host
    char path[4096];
    snprintf (path, sizeof path, "%s:%s",
              getenv ("HELIOS_BIN") ? getenv ("HELIOS_BIN") : "bin",
              getenv ("PATH") ? getenv ("PATH") : "/usr/bin:/bin");
    setenv ("PATH", path, 1);

    w->nodes[0] = mh_node_start (
        w, MH_FRONT, "front", "capacity = 4; labels = \"zone=front\";", NULL);
    w->nodes[1] = mh_node_start (w, MH_BACK, "back",
                                 "capacity = 4; labels = \"zone=back\";", NULL);
    int64_t deadline = mh_now () + 20000;
    while (!(mh_has_node (w, "front") && mh_has_node (w, "back"))) {
        if (mh_now () > deadline)
            fail_msg ("the nodes never registered across hosts");
        s_step (100);
    }

    if (demo) {
        char sec[2048], text[8192], cfg[400];
        s_security (w, "demo", sec, sizeof sec);
        snprintf (text, sizeof text,
                  "connect = { bus_in = \"%s\"; };\n%s"
                  "demo = { control = \"" MH_DEMO_CONTROL "\"; rate = 20;"
                  " seed = 7; };\n",
                  w->m.bus_in, sec);
        snprintf (cfg, sizeof cfg, "%s/demo.cfg", w->m.dir);
        s_write (cfg, text);
        const char *argv[] = { ht_bin ("helios-demo"), "-c", cfg, "run", NULL };
        w->demo = ht_start_in (w->in[MH_BACK], argv);
        char line[1024];
        assert_true (ht_read_line (w->demo, line, sizeof line, 10000));
        assert_non_null (strstr (line, "READY"));
    }
}

void
mh_stop (mh_world_t *w)
{
    for (size_t i = 0; i < sizeof w->nodes / sizeof *w->nodes; i++)
        if (w->nodes[i])
            assert_int_equal (ht_stop (&w->nodes[i], 15000), 0);
    if (w->demo)
        assert_int_equal (ht_stop (&w->demo, 5000), 0);
    assert_int_equal (ht_master_stop (&w->m), 0);
    free (w->playbook);
    w->playbook = NULL;
    s_net_destroy ();
}

//  --------------------------------------------------------------------
//  What the cases do

static const char *s_front_roles[]
    = { "prometheus-frontend", "hephaestus-frontend", "athena-ux" };
static const char *s_back_roles[]
    = { "prometheus-backend", "hephaestus-backend", "athena-api" };

/*  Whether each of roles runs as ROLE@node.1, started by node. */
static bool
s_placed (json_t *agents, const char *const *roles, const char *node)
{
    for (int i = 0; i < 3; i++) {
        char name[128];
        snprintf (name, sizeof name, "%s@%s.1", roles[i], node);
        if (mh_agent_int (agents, name, "pid") <= 0)
            return false;
    }
    return mh_agents_on (agents, node) == 3;
}

int64_t
mh_scale_six (const mh_world_t *w)
{
    char out[4096];
    int64_t t0 = mh_now ();
    assert_int_equal (mh_ctl (w, out, sizeof out, "scale",
                              "prometheus-frontend=1", "hephaestus-frontend=1",
                              "athena-ux=1", "--label", "zone=front", NULL),
                      0);
    assert_int_equal (mh_ctl (w, out, sizeof out, "scale",
                              "prometheus-backend=1", "hephaestus-backend=1",
                              "athena-api=1", "--label", "zone=back", NULL),
                      0);
    int64_t deadline = mh_now () + 30000;
    while (true) {
        json_t *agents = mh_ctl_json (w, "agents", "--json", NULL);
        bool done = s_placed (agents, s_front_roles, "front")
                    && s_placed (agents, s_back_roles, "back");
        json_decref (agents);
        if (done)
            break;
        if (mh_now () > deadline)
            fail_msg ("the six roles were never placed and registered");
        s_step (100);
    }
    return mh_now () - t0;
}

int64_t
mh_kill_restart (const mh_world_t *w, const char *name)
{
    json_t *agents = mh_ctl_json (w, "agents", "--json", NULL);
    int64_t pid = mh_agent_int (agents, name, "pid");
    json_decref (agents);
    assert_true (pid > 0);
    assert_int_equal (kill ((pid_t)pid, SIGKILL), 0);
    int64_t t0 = mh_now ();
    int64_t deadline = t0 + 30000;
    while (true) {
        agents = mh_ctl_json (w, "agents", "--json", NULL);
        int64_t now_pid = mh_agent_int (agents, name, "pid");
        json_decref (agents);
        if (now_pid > 0 && now_pid != pid)
            break;
        if (mh_now () > deadline)
            fail_msg ("%s was never restarted after kill -9", name);
        s_step (50);
    }
    return mh_now () - t0;
}

void
mh_echo (const mh_world_t *w, const char *role, int n)
{
    char tasks[16];
    snprintf (tasks, sizeof tasks, "%d", n);
    json_t *r
        = mh_ctl_json (w, "-t", "30000", "bench", "echo", "--tasks", tasks,
                       "--concurrency", "2", "--role", role, "--json", NULL);
    assert_int_equal (json_integer_value (json_object_get (r, "completed")), n);
    assert_int_equal (json_integer_value (json_object_get (r, "failed")), 0);
    assert_int_equal (json_integer_value (json_object_get (r, "duplicates")),
                      0);
    assert_int_equal (json_integer_value (json_object_get (r, "lost")), 0);
    json_decref (r);
}
