/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hostile_curve - a real helios-master with CURVE on (design §7,
    docs/security.md), its agents and helios-ctl holding allowed keys.
    What must hold: the allowed work end to end (echo tasks, status, the
    bus); a peer with no key, a key not in the allow-list, or the wrong
    server key gets nothing through on any of the four sockets, and is
    counted (a refused key once, and logged once, however often it
    tries); garbage and oversize frames from an allowed peer are
    harmless; and the start refuses what it must: a bind beyond loopback
    without CURVE under master.require_curve, a secret key others can
    read, a missing allow-list.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <sys/stat.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_curve.h"
#include "../../bus/hl_sock.h"
#include "../../master/hl_client.h"
#include "../../proto/hl_err.h"
#include "../integration/harness.h"

static struct {
    char keys[256]; /* key files; allow/ holds the allowed publics */
    char err[320];  /* the master's stderr */
    ht_master_t m;  /* CURVE on */
    ht_proc_t *agents[2];
    hl_curve_t *ctl; /* this process's keys: an allowed client */
    char stranger[HL_CURVE_KEY_TXT]; /* a key not allowed, Z85 */
} S;

static const char *
s_key (const char *file)
{
    static char paths[8][320];
    static int next;
    char *path = paths[next++ % 8];
    snprintf (path, 320, "%s/%s", S.keys, file);
    return path;
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

/*  The security section for keys in S.keys, secret_key being the
    master's own (agents and ctl take --key). */
static void
s_security (char *out, size_t size, const char *secret)
{
    snprintf (out, size,
              "security = { enabled = true; secret_key = \"%s\";\n"
              "  server_public_key = \"%s\"; allow_dir = \"%s\"; };\n",
              secret, s_key ("master.key"), s_key ("allow"));
}

/*  The master's status, as an allowed client. */
static hl_msg_t *
s_status (void)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (&S.m, "status", NULL);
    assert_non_null (reply);
    assert_true (hl_msg_ok (reply));
    return reply;
}

static int64_t
s_security_counter (const char *key)
{
    hl_msg_t *status = s_status ();
    const hl_value_t *sec = hl_value_get (hl_msg_data (status), "security");
    int64_t v = hl_value_get_int (sec, key, -1);
    hl_msg_destroy (&status);
    return v;
}

/*  Wait until the security counter key reaches want, with a deadline. */
static int64_t
s_wait_security (const char *key, int64_t want)
{
    int64_t deadline = zclock_mono () + 10000;
    int64_t v = -1;
    zpoller_t *idle = zpoller_new (NULL);
    while (zclock_mono () < deadline) {
        v = s_security_counter (key);
        if (v >= want)
            break;
        zpoller_wait (idle, 20); /* a short step between polls */
    }
    zpoller_destroy (&idle);
    return v;
}

/*  helios-ctl with the config and a key, or neither (key NULL: no
    CURVE at all); its exit status. */
static int
s_ctl (const char *key, char *out, size_t size, ...)
{
    const char *argv[32] = { ht_bin ("helios-ctl"), "-e", S.m.control };
    int argc = 3;
    if (key) {
        argv[argc++] = "-c";
        argv[argc++] = S.m.config;
        argv[argc++] = "--key";
        argv[argc++] = key;
    }
    va_list ap;
    va_start (ap, size);
    const char *arg;
    while (argc < 31 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    va_end (ap);
    argv[argc] = NULL;
    return ht_run (argv, 60000, out, size);
}

static int
s_group_setup (void **state)
{
    (void)state;
    memset (&S, 0, sizeof S);
    ht_tmpdir (S.keys, sizeof S.keys);
    char err[512];
    const char *names[] = { "master", "agent", "ctl", "stranger", "other" };
    for (int i = 0; i < 5; i++)
        if (hl_curve_keygen (S.keys, names[i], err, sizeof err)) {
            fprintf (stderr, "keygen: %s\n", err);
            return -1;
        }
    mkdir (s_key ("allow"), 0755);
    s_copy (s_key ("agent.key"), s_key ("allow/agent.key"));
    s_copy (s_key ("ctl.key"), s_key ("allow/ctl.key"));
    assert_int_equal (hl_curve_read_public (s_key ("stranger.key"), S.stranger,
                                            err, sizeof err),
                      0);

    char extra[2048];
    s_security (extra, sizeof extra, s_key ("master.key_secret"));
    ht_tmpdir (S.m.dir, sizeof S.m.dir);
    ht_write_config (S.m.dir, NULL, NULL, extra, S.m.config, sizeof S.m.config);
    //  The master's stderr into a file, to count its lines
    snprintf (S.err, sizeof S.err, "%s/master.err", S.keys);
    char script[400];
    snprintf (script, sizeof script, "exec \"$0\" \"$@\" 2>>'%s'", S.err);
    const char *prefix[] = { "/bin/sh", "-c", script, NULL };
    if (!ht_master_launch_in (&S.m, prefix))
        return -1;

    //  This process is an allowed client too (ht_request, publishers)
    hl_config_security_t sec;
    memset (&sec, 0, sizeof sec);
    sec.enabled = true;
    snprintf (sec.secret_key, sizeof sec.secret_key, "%s",
              s_key ("ctl.key_secret"));
    snprintf (sec.server_public_key, sizeof sec.server_public_key, "%s",
              s_key ("master.key"));
    if (hl_curve_load (&sec, NULL, HL_CURVE_CLIENT, &S.ctl, err, sizeof err)) {
        fprintf (stderr, "%s\n", err);
        return -1;
    }
    hl_curve_use (S.ctl);
    S.agents[0] = ht_agent_start (&S.m, "athena-api", "--key",
                                  s_key ("agent.key_secret"), NULL);
    S.agents[1] = ht_agent_start (&S.m, "prometheus-backend", "--key",
                                  s_key ("agent.key_secret"), NULL);
    return ht_wait_agents (&S.m, 2, 10000) == 2 ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    for (int i = 0; i < 2; i++)
        if (S.agents[i])
            assert_int_equal (ht_stop (&S.agents[i], 5000), 0);
    int rc = S.m.proc ? ht_master_stop (&S.m) : 0;
    hl_curve_use (NULL);
    hl_curve_destroy (&S.ctl);
    ht_rmdir (S.keys);
    return rc == 0 ? ht_teardown (state) : -1;
}

//  -------------------------------------------------------------------

static void
test_allowed_work (void **state)
{
    (void)state;
    static char out[1 << 16];
    //  Echo tasks through master and agents, from helios-ctl
    assert_int_equal (s_ctl (s_key ("ctl.key_secret"), out, sizeof out, "bench",
                             "echo", "--tasks", "300", "--json", NULL),
                      0);
    json_t *json = json_loads (out, 0, NULL);
    assert_non_null (json);
    assert_int_equal (json_integer_value (json_object_get (json, "completed")),
                      300);
    assert_int_equal (json_integer_value (json_object_get (json, "lost")), 0);
    json_decref (json);

    assert_int_equal (s_ctl (s_key ("ctl.key_secret"), out, sizeof out,
                             "status", "--json", NULL),
                      0);
    json = json_loads (out, 0, NULL);
    assert_non_null (json);
    json_t *sec = json_object_get (json, "security");
    assert_true (json_is_true (json_object_get (sec, "curve")));
    assert_int_equal (json_integer_value (json_object_get (sec, "keys")), 2);
    assert_true (json_integer_value (json_object_get (sec, "allowed")) >= 4);
    json_decref (json);

    //  The bus, both ways: the spy sees the master's health
    const char *spy[] = { ht_bin ("helios-spy"),
                          "-c",
                          S.m.config,
                          "-e",
                          S.m.bus_out,
                          "--key",
                          s_key ("agent.key_secret"),
                          "--topic",
                          "health",
                          "--count",
                          "1",
                          "--timeout",
                          "10",
                          NULL };
    assert_int_equal (ht_run (spy, 20000, out, sizeof out), 0);
    assert_non_null (strstr (out, "\"health\""));
    //  and a publisher is let in (the proxy's subscription reaches it)
    zsock_t *pub = hl_sock_publisher (S.m.bus_in, NULL);
    assert_non_null (pub);
    assert_int_equal (hl_sock_publisher_wait (pub, 5000), 0);
    zsock_destroy (&pub);
}

/*  A socket of type to endpoint with keys from secret (NULL: no CURVE)
    and server (the server key it expects). */
static zsock_t *
s_peer (int type, const char *endpoint, const char *secret, const char *server)
{
    hl_sock_opts_t opts;
    hl_sock_opts_default (&opts);
    hl_curve_t *curve = NULL;
    if (secret) {
        hl_config_security_t sec;
        memset (&sec, 0, sizeof sec);
        sec.enabled = true;
        snprintf (sec.secret_key, sizeof sec.secret_key, "%s", secret);
        snprintf (sec.server_public_key, sizeof sec.server_public_key, "%s",
                  server);
        char err[512];
        assert_int_equal (hl_curve_load (&sec, NULL, HL_CURVE_CLIENT, &curve,
                                         err, sizeof err),
                          0);
    }
    opts.curve = curve;
    zsock_t *sock = type == ZMQ_XPUB
                        ? hl_sock_publisher (endpoint, &opts)
                        : hl_sock_connect (type, endpoint, &opts, NULL);
    hl_curve_destroy (&curve);
    assert_non_null (sock);
    if (type == ZMQ_SUB)
        zsock_set_subscribe (sock, "");
    return sock;
}

static bool
s_readable (zsock_t *sock, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    bool ready = zpoller_wait (poller, timeout_ms) != NULL;
    zpoller_destroy (&poller);
    return ready;
}

/*  One hostile identity on all four sockets: nothing through. */
static void
s_hostile (const char *secret, const char *server)
{
    //  tasks: a hello is never welcomed
    zsock_t *tasks = s_peer (ZMQ_DEALER, S.m.tasks, secret, server);
    hl_msg_t *hello = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (hello, 0);
    hl_bus_send (tasks, &hello);
    //  control: a status request is never answered
    zsock_t *control = s_peer (ZMQ_DEALER, S.m.control, secret, server);
    hl_msg_t *request = hl_msg_new (HL_MSG_REQUEST);
    hl_msg_set_op (request, "status");
    hl_bus_send (control, &request);
    //  bus-in: the proxy's subscription never reaches a publisher
    zsock_t *pub = s_peer (ZMQ_XPUB, S.m.bus_in, secret, server);
    //  bus-out: the master's health (every second) never arrives
    zsock_t *sub = s_peer (ZMQ_SUB, S.m.bus_out, secret, server);
    assert_int_equal (hl_sock_publisher_wait (pub, 1500), HL_ERR_TIMEOUT);
    assert_false (s_readable (sub, 1));
    assert_false (s_readable (tasks, 1));
    assert_false (s_readable (control, 1));
    zsock_destroy (&tasks);
    zsock_destroy (&control);
    zsock_destroy (&pub);
    zsock_destroy (&sub);
}

static int
s_count_lines (const char *path, const char *needle)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    char line[2048];
    int n = 0;
    while (fgets (line, sizeof line, f))
        if (strstr (line, needle))
            n++;
    fclose (f);
    return n;
}

static void
test_refused (void **state)
{
    (void)state;
    int64_t refused = s_security_counter ("refused");
    int64_t no_curve = s_security_counter ("no_curve");
    int64_t bad = s_security_counter ("bad_handshake");
    assert_int_equal (s_security_counter ("refused_keys"), 0);

    //  A legitimate subscriber beside them, to know health flows
    zsock_t *watch = hl_sock_subscriber (S.m.bus_out, NULL, 0, NULL);
    assert_non_null (watch);

    s_hostile (NULL, NULL);                   /* no key */
    s_hostile (s_key ("stranger.key_secret"), /* not allowed */
               s_key ("master.key"));
    s_hostile (s_key ("agent.key_secret"), /* wrong server key */
               s_key ("other.key"));
    //  The stranger again and again: one key, however often it tries
    for (int i = 0; i < 3; i++)
        s_hostile (s_key ("stranger.key_secret"), s_key ("master.key"));
    assert_true (s_readable (watch, 5000));
    zsock_destroy (&watch);

    assert_true (s_wait_security ("refused", refused + 16) >= refused + 16);
    //  A failed handshake has no key to name: counted per attempt (a
    //  peer may retry), by what the master saw: a peer without CURVE,
    //  or a handshake that failed (a wrong server key; a peer without
    //  CURVE that saw the mismatch first and hung up); logged at most
    //  once per socket and reason
    int64_t failed = no_curve + bad;
    int64_t deadline = zclock_mono () + 10000;
    while (s_security_counter ("no_curve")
                   + s_security_counter ("bad_handshake")
               < failed + 4
           && zclock_mono () < deadline)
        zclock_sleep (20);
    assert_true (s_security_counter ("no_curve")
                     + s_security_counter ("bad_handshake")
                 >= failed + 4);
    assert_int_equal (s_security_counter ("refused_keys"), 1);
    assert_int_equal (s_count_lines (S.err, S.stranger), 1);
    int plain = s_count_lines (S.err, "a peer without CURVE");
    int broken = s_count_lines (S.err, "failed CURVE handshake");
    assert_true (plain <= 4 && broken >= 1 && broken <= 4);

    //  None of it reached the registry
    hl_msg_t *agents = (hl_msg_t *)ht_request (&S.m, "agents", NULL);
    assert_non_null (agents);
    assert_int_equal (hl_value_size (hl_msg_data (agents)), 2);
    hl_msg_destroy (&agents);

    //  /metrics-to-be: the counters are in status for anyone allowed
    static char out[1 << 16];
    assert_int_equal (
        s_ctl (s_key ("ctl.key_secret"), out, sizeof out, "status", NULL), 0);
    //  and helios-ctl with no key, or a key not allowed, gets no answer
    assert_int_equal (
        s_ctl (NULL, out, sizeof out, "-t", "300", "status", NULL), 1);
    assert_int_equal (s_ctl (s_key ("stranger.key_secret"), out, sizeof out,
                             "-t", "300", "status", NULL),
                      1);
}

static void
s_send_frames (zsock_t *sock, zframe_t *a, zframe_t *b)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &a);
    if (b)
        zmsg_append (msg, &b);
    assert_int_equal (zmsg_send (&msg, sock), 0);
}

static zframe_t *
s_filled (size_t size)
{
    zframe_t *frame = zframe_new (NULL, size);
    memset (zframe_data (frame), 0x42, size);
    return frame;
}

/*  An allowed peer sending garbage gets no further than one without
    CURVE would: refused, counted, and the master serves on. */
static void
test_garbage (void **state)
{
    (void)state;
    zsock_t *control = hl_sock_connect (ZMQ_DEALER, S.m.control, NULL, NULL);
    s_send_frames (control, zframe_new ("\xc1garbage", 8), NULL);
    assert_true (s_readable (control, 5000));
    hl_msg_t *reply = NULL;
    assert_int_equal (hl_bus_recv (control, NULL, &reply, NULL), 0);
    assert_false (hl_msg_ok (reply));
    hl_msg_destroy (&reply);
    s_send_frames (control, s_filled (HL_MSG_MAX_SIZE + 1), NULL);
    assert_true (s_readable (control, 5000));
    assert_int_equal (hl_bus_recv (control, NULL, &reply, NULL), 0);
    assert_false (hl_msg_ok (reply));
    hl_msg_destroy (&reply);
    //  Over the wall: libzmq drops the connection before allocating
    s_send_frames (control, s_filled (3 * HL_MSG_MAX_SIZE), NULL);
    zsock_destroy (&control);

    zsock_t *tasks = hl_sock_connect (ZMQ_DEALER, S.m.tasks, NULL, NULL);
    s_send_frames (tasks, zframe_new ("\x93\x01\x02\x03", 4), NULL);
    s_send_frames (tasks, zframe_new ("", 0), zframe_new ("x", 1));
    s_send_frames (tasks, s_filled (3 * HL_MSG_MAX_SIZE), NULL);
    zsock_destroy (&tasks);

    zsock_t *pub = hl_sock_publisher (S.m.bus_in, NULL);
    assert_int_equal (hl_sock_publisher_wait (pub, 5000), 0);
    s_send_frames (pub, zframe_new ("metric.x", 8), zframe_new ("\xc1\xc1", 2));
    s_send_frames (pub, zframe_new ("health", 6), NULL);
    s_send_frames (pub, zframe_new ("metric.x", 8),
                   s_filled (HL_MSG_MAX_SIZE + 1));

    //  The master serves on, its agents still there, the bus counted
    assert_int_equal (ht_wait_agents (&S.m, 2, 5000), 2);
    int64_t deadline = zclock_mono () + 10000;
    int64_t rejected = 0;
    zpoller_t *idle = zpoller_new (NULL);
    while (zclock_mono () < deadline) {
        hl_msg_t *status = s_status ();
        const hl_value_t *bus = hl_value_get (hl_msg_data (status), "bus");
        rejected = hl_value_get_int (bus, "rejected", 0);
        hl_msg_destroy (&status);
        if (rejected >= 3)
            break;
        zpoller_wait (idle, 20);
    }
    zpoller_destroy (&idle);
    zsock_destroy (&pub); /* linger 0: only once all was read */
    assert_true (rejected >= 3);
    static char out[1 << 16];
    assert_int_equal (s_ctl (s_key ("ctl.key_secret"), out, sizeof out, "bench",
                             "echo", "--tasks", "50", NULL),
                      0);
}

//  -------------------------------------------------------------------
//  Starts that must be refused: one line on stderr, exit 1

static void
s_refused_start (const char *tasks, const char *master_extra, const char *extra,
                 const char *expect)
{
    char dir[256], path[320], out[1024], err[4096];
    ht_tmpdir (dir, sizeof dir);
    ht_write_config (dir, tasks, master_extra, extra, path, sizeof path);
    const char *argv[] = { ht_bin ("helios-master"), "-c", path, NULL };
    assert_int_equal (
        ht_run_group (argv, 10000, out, sizeof out, err, sizeof err), 1);
    assert_null (strstr (out, "READY"));
    if (!strstr (err, expect))
        fail_msg ("wanted '%s' in: %s", expect, err);
    //  One line
    char *nl = strchr (err, '\n');
    assert_non_null (nl);
    assert_int_equal (nl[1], 0);
    ht_rmdir (dir);
}

static void
test_start_refusals (void **state)
{
    (void)state;
    char extra[2048];
    //  Beyond loopback without CURVE, under require_curve
    s_refused_start ("tcp://0.0.0.0:*", "require_curve = true;", NULL,
                     "master.require_curve is set");
    //  A secret others can read
    assert_int_equal (chmod (s_key ("other.key_secret"), 0644), 0);
    s_security (extra, sizeof extra, s_key ("other.key_secret"));
    s_refused_start (NULL, NULL, extra, "mode 0644");
    assert_int_equal (chmod (s_key ("other.key_secret"), 0600), 0);
    //  The master's public key file is not its own secret's pair
    s_refused_start (NULL, NULL, extra, "not the public half");
    //  No allow-list
    snprintf (extra, sizeof extra,
              "security = { enabled = true; secret_key = \"%s\";\n"
              "  allow_dir = \"%s\"; };\n",
              s_key ("master.key_secret"), s_key ("nowhere"));
    s_refused_start (NULL, NULL, extra, "security.allow_dir");
    //  A key file that is no key
    FILE *f = fopen (s_key ("junk.key_secret"), "w");
    assert_non_null (f);
    fputs ("\x01\x02 not a key", f);
    fclose (f);
    chmod (s_key ("junk.key_secret"), 0600);
    s_security (extra, sizeof extra, s_key ("junk.key_secret"));
    s_refused_start (NULL, NULL, extra, "junk.key_secret");

    //  A client is refused likewise: an agent with a missing key
    char out[1024], err[4096];
    const char *agent[] = { ht_bin ("helios-agent"),
                            "-c",
                            S.m.config,
                            "--role",
                            "athena-ux",
                            "--key",
                            s_key ("absent.key_secret"),
                            NULL };
    assert_int_equal (
        ht_run_group (agent, 10000, out, sizeof out, err, sizeof err), 1);
    assert_non_null (strstr (err, "--key"));
    assert_non_null (strstr (err, "absent.key_secret"));

    //  Beyond loopback without require_curve: it starts, and warns
    char dir[256], path[320], errfile[320], script[400];
    ht_tmpdir (dir, sizeof dir);
    ht_write_config (dir, "tcp://0.0.0.0:*", NULL, NULL, path, sizeof path);
    snprintf (errfile, sizeof errfile, "%s/err", dir);
    snprintf (script, sizeof script, "exec \"$0\" \"$@\" 2>>'%s'", errfile);
    const char *prefix[] = { "/bin/sh", "-c", script, NULL };
    const char *argv[] = { ht_bin ("helios-master"), "-c", path, NULL };
    ht_proc_t *master = ht_start_in (prefix, argv);
    char line[1024];
    assert_true (ht_read_line (master, line, sizeof line, 10000));
    assert_non_null (strstr (line, "READY"));
    assert_int_equal (ht_stop (&master, 5000), 0);
    assert_int_equal (s_count_lines (errfile, "beyond loopback without CURVE"),
                      1);
    ht_rmdir (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_allowed_work),
        cmocka_unit_test (test_refused),
        cmocka_unit_test (test_garbage),
        cmocka_unit_test (test_start_refusals),
    };
    return cmocka_run_group_tests_name ("hostile_curve", tests, s_group_setup,
                                        s_group_teardown);
}
