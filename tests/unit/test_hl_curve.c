/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    Unit tests of hl_curve and hl_zap: keygen, key files good and bad
    (missing, open mode, public for secret, binary, a mismatched pair,
    oversize), the process's keys from the config, and a CURVE server
    with its ZAP handler in this process: allowed, refused once per key,
    no CURVE, a wrong server key, the allow-list read again.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "../../bus/hl_curve.h"
#include "../../bus/hl_log.h"
#include "../../bus/hl_sock.h"
#include "../../bus/hl_zap.h"

static char s_dir[128];

static int
s_setup (void **state)
{
    (void)state;
    snprintf (s_dir, sizeof s_dir, "/tmp/hl-curve-XXXXXX");
    assert_non_null (mkdtemp (s_dir));
    return 0;
}

static int
s_teardown (void **state)
{
    (void)state;
    char cmd[256];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    assert_int_equal (system (cmd), 0);
    return 0;
}

static void
s_path (char *out, size_t size, const char *name)
{
    snprintf (out, size, "%s/%s", s_dir, name);
}

static void
s_write (const char *name, const char *text, mode_t mode)
{
    char path[256];
    s_path (path, sizeof path, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
    assert_int_equal (chmod (path, mode), 0);
}

static void
test_keygen (void **state)
{
    (void)state;
    char err[512], path[256], pub[HL_CURVE_KEY_TXT], pub2[HL_CURVE_KEY_TXT],
        sec[HL_CURVE_KEY_TXT];
    assert_int_equal (hl_curve_keygen (s_dir, "agent-1", err, sizeof err), 0);
    struct stat st;
    s_path (path, sizeof path, "agent-1.key_secret");
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (hl_curve_read_secret (path, pub, sec, err, sizeof err),
                      0);
    s_path (path, sizeof path, "agent-1.key");
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0644);
    assert_int_equal (hl_curve_read_public (path, pub2, err, sizeof err), 0);
    assert_string_equal (pub, pub2);
    //  czmq reads what we write
    zcert_t *cert = zcert_load (path);
    assert_non_null (cert);
    assert_string_equal (zcert_public_txt (cert), pub);
    zcert_destroy (&cert);

    //  Never over an existing pair, nor half of one
    assert_int_equal (hl_curve_keygen (s_dir, "agent-1", err, sizeof err), -1);
    assert_non_null (strstr (err, "exists"));
    s_write ("half.key_secret", "x", 0600);
    assert_int_equal (hl_curve_keygen (s_dir, "half", err, sizeof err), -1);
    assert_non_null (strstr (err, "half.key_secret: exists"));
    s_path (path, sizeof path, "half.key");
    assert_int_not_equal (access (path, F_OK), 0);

    const char *bad[] = { "", ".hidden", "../up", "a/b", "sp ace", NULL };
    for (int i = 0; bad[i]; i++) {
        assert_int_equal (hl_curve_keygen (s_dir, bad[i], err, sizeof err), -1);
        assert_non_null (strstr (err, "bad key name"));
    }
    char longname[HL_CURVE_NAME_MAX + 2];
    memset (longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal (hl_curve_keygen (s_dir, longname, err, sizeof err), -1);
    longname[HL_CURVE_NAME_MAX] = 0;
    assert_int_equal (hl_curve_keygen (s_dir, longname, err, sizeof err), 0);
    assert_int_equal (
        hl_curve_keygen ("/nonexistent/dir", "x", err, sizeof err), -1);
    assert_non_null (strstr (err, "/nonexistent/dir/x.key_secret"));
}

static void
test_bad_files (void **state)
{
    (void)state;
    char err[512], path[256], pub[HL_CURVE_KEY_TXT], sec[HL_CURVE_KEY_TXT];
    assert_int_equal (hl_curve_keygen (s_dir, "good", err, sizeof err), 0);

    s_path (path, sizeof path, "missing.key_secret");
    assert_int_equal (hl_curve_read_secret (path, pub, sec, err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "No such file"));

    //  A secret anyone else may read
    s_path (path, sizeof path, "good.key_secret");
    assert_int_equal (chmod (path, 0640), 0);
    assert_int_equal (hl_curve_read_secret (path, pub, sec, err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "mode 0640"));
    assert_int_equal (chmod (path, 0400), 0);
    assert_int_equal (hl_curve_read_secret (path, pub, sec, err, sizeof err),
                      0);

    //  The public file where the secret is wanted
    s_path (path, sizeof path, "good.key");
    assert_int_equal (chmod (path, 0600), 0);
    assert_int_equal (hl_curve_read_secret (path, pub, sec, err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "no curve secret-key"));

    s_write ("binary", "curve\n\0\1\2", 0600);
    s_path (path, sizeof path, "binary");
    assert_int_equal (hl_curve_read_public (path, pub, err, sizeof err), -1);

    s_write ("garbage", "this is not a certificate\n", 0600);
    s_path (path, sizeof path, "garbage");
    assert_int_equal (hl_curve_read_public (path, pub, err, sizeof err), -1);
    assert_non_null (strstr (err, "no curve public-key"));

    s_write ("short", "curve\n    public-key = \"abc\"\n", 0600);
    s_path (path, sizeof path, "short");
    assert_int_equal (hl_curve_read_public (path, pub, err, sizeof err), -1);
    assert_non_null (strstr (err, "Z85"));

    //  40 characters, but not Z85 (a quote is not in the alphabet)
    s_write (
        "notz85",
        "curve\n    public-key = "
        "'\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\""
        "\"\"\"\"\"\"\"'\n",
        0600);
    s_path (path, sizeof path, "notz85");
    assert_int_equal (hl_curve_read_public (path, pub, err, sizeof err), -1);

    //  A pair that is no pair: another key's public half
    char a_pub[HL_CURVE_KEY_TXT], a_sec[HL_CURVE_KEY_TXT];
    char b_pub[HL_CURVE_KEY_TXT], b_sec[HL_CURVE_KEY_TXT];
    zmq_curve_keypair (a_pub, a_sec);
    zmq_curve_keypair (b_pub, b_sec);
    char text[512];
    snprintf (text, sizeof text,
              "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
              a_pub, b_sec);
    s_write ("mixed.key_secret", text, 0600);
    s_path (path, sizeof path, "mixed.key_secret");
    assert_int_equal (hl_curve_read_secret (path, pub, sec, err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "not the pair"));

    //  Oversize: refused before it is read
    char *big = malloc (HL_CURVE_FILE_MAX + 10);
    memset (big, '#', HL_CURVE_FILE_MAX + 9);
    big[HL_CURVE_FILE_MAX + 9] = 0;
    s_write ("big", big, 0600);
    free (big);
    s_path (path, sizeof path, "big");
    assert_int_equal (hl_curve_read_public (path, pub, err, sizeof err), -1);
    assert_non_null (strstr (err, "too big"));

    //  A folder is no key file, and a FIFO is refused without blocking
    assert_int_equal (hl_curve_read_public (s_dir, pub, err, sizeof err), -1);
    s_path (path, sizeof path, "fifo");
    assert_int_equal (mkfifo (path, 0600), 0);
    assert_int_equal (hl_curve_read_public (path, pub, err, sizeof err), -1);
    assert_non_null (strstr (err, "not a regular file"));
    //  A link is followed (mounted secrets are links); the mode is the
    //  file's own
    char link[256];
    s_path (path, sizeof path, "good.key_secret");
    s_path (link, sizeof link, "link.key_secret");
    assert_int_equal (symlink (path, link), 0);
    assert_int_equal (hl_curve_read_secret (link, pub, sec, err, sizeof err),
                      0);
}

static void
test_load (void **state)
{
    (void)state;
    char err[512];
    hl_config_security_t sec;
    memset (&sec, 0, sizeof sec);
    hl_curve_t *curve = NULL;
    //  Off: no keys, no error
    assert_int_equal (
        hl_curve_load (&sec, NULL, HL_CURVE_CLIENT, &curve, err, sizeof err),
        0);
    assert_null (curve);

    assert_int_equal (hl_curve_keygen (s_dir, "master", err, sizeof err), 0);
    assert_int_equal (hl_curve_keygen (s_dir, "client", err, sizeof err), 0);
    sec.enabled = true;
    s_path (sec.secret_key, sizeof sec.secret_key, "client.key_secret");
    //  A client needs the server's key
    assert_int_equal (
        hl_curve_load (&sec, NULL, HL_CURVE_CLIENT, &curve, err, sizeof err),
        -1);
    assert_non_null (strstr (err, "server_public_key"));
    s_path (sec.server_public_key, sizeof sec.server_public_key, "master.key");
    assert_int_equal (
        hl_curve_load (&sec, NULL, HL_CURVE_CLIENT, &curve, err, sizeof err),
        0);
    assert_non_null (curve);
    assert_int_equal (hl_curve_side (curve), HL_CURVE_CLIENT);
    hl_curve_destroy (&curve);

    //  A server whose public key file is not its own
    assert_int_equal (
        hl_curve_load (&sec, NULL, HL_CURVE_SERVER, &curve, err, sizeof err),
        -1);
    assert_non_null (strstr (err, "not the public half"));

    //  --key turns CURVE on and names the file in its error
    memset (&sec, 0, sizeof sec);
    s_path (sec.server_public_key, sizeof sec.server_public_key, "master.key");
    assert_int_equal (hl_curve_load (&sec, "/nonexistent.key_secret",
                                     HL_CURVE_CLIENT, &curve, err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "--key: /nonexistent.key_secret"));
    char key[256];
    s_path (key, sizeof key, "client.key_secret");
    assert_int_equal (
        hl_curve_load (&sec, key, HL_CURVE_CLIENT, &curve, err, sizeof err), 0);
    assert_non_null (curve);
    hl_curve_destroy (&curve);
}

static void
test_beyond_loopback (void **state)
{
    (void)state;
    assert_true (hl_curve_beyond_loopback ("tcp://*:7701"));
    assert_true (hl_curve_beyond_loopback ("tcp://0.0.0.0:7701"));
    assert_true (hl_curve_beyond_loopback ("tcp://10.0.0.5:7701"));
    assert_false (hl_curve_beyond_loopback ("tcp://127.0.0.1:7701"));
    assert_false (hl_curve_beyond_loopback ("tcp://127.1.2.3:*"));
    assert_false (hl_curve_beyond_loopback ("tcp://localhost:7701"));
    assert_false (hl_curve_beyond_loopback ("ipc:///tmp/helios"));
    assert_false (hl_curve_beyond_loopback ("inproc://x"));
}

static void
test_allow_dir (void **state)
{
    (void)state;
    char err[512], dir[256];
    s_path (dir, sizeof dir, "allow");
    assert_null (hl_zap_read_dir (dir, err, sizeof err));
    assert_non_null (strstr (err, "security.allow_dir"));
    assert_int_equal (mkdir (dir, 0755), 0);
    assert_int_equal (hl_curve_keygen (dir, "a", err, sizeof err), 0);
    //  The secret half is skipped, the public counted once
    zhashx_t *keys = hl_zap_read_dir (dir, err, sizeof err);
    assert_non_null (keys);
    assert_int_equal (zhashx_size (keys), 1);
    zhashx_destroy (&keys);
    s_write ("allow/bad.key", "not a key\n", 0644);
    assert_null (hl_zap_read_dir (dir, err, sizeof err));
    assert_non_null (strstr (err, "bad.key"));
}

//  Poll the ZAP counters until check holds, with a deadline
static bool
s_wait (hl_zap_t *zap, hl_zap_stats_t *s, bool (*check) (hl_zap_stats_t *))
{
    int64_t deadline = zclock_mono () + 5000;
    do {
        hl_zap_stats (zap, s);
        if (check (s))
            return true;
        zclock_sleep (10);
    } while (zclock_mono () < deadline);
    return false;
}

static bool
s_refused_thrice (hl_zap_stats_t *s)
{
    return s->refused >= 3;
}
//  Either side may see a mechanism mismatch first: the master counts
//  it as no_curve, or as a failed handshake when the peer hung up first
static bool
s_no_curve (hl_zap_stats_t *s)
{
    return s->no_curve + s->bad_handshake >= 1;
}
static bool
s_bad (hl_zap_stats_t *s)
{
    return s->bad_handshake >= 1 && s->no_curve + s->bad_handshake >= 2;
}
static bool
s_reloaded (hl_zap_stats_t *s)
{
    return s->reloads >= 1 && s->keys == 2;
}

//  A client's DEALER with its own keys, connected to ep
static zsock_t *
s_client (const char *ep, const char *secret_file, const char *server_file)
{
    hl_config_security_t sec;
    memset (&sec, 0, sizeof sec);
    sec.enabled = secret_file != NULL;
    if (secret_file)
        s_path (sec.secret_key, sizeof sec.secret_key, secret_file);
    s_path (sec.server_public_key, sizeof sec.server_public_key, server_file);
    hl_curve_t *curve = NULL;
    char err[512];
    assert_int_equal (
        hl_curve_load (&sec, NULL, HL_CURVE_CLIENT, &curve, err, sizeof err),
        0);
    hl_sock_opts_t opts;
    hl_sock_opts_default (&opts);
    opts.curve = curve;
    zsock_t *sock = hl_sock_connect (ZMQ_DEALER, ep, &opts, NULL);
    hl_curve_destroy (&curve); /* set on the socket already */
    assert_non_null (sock);
    zsock_set_rcvtimeo (sock, 100);
    return sock;
}

static void
test_server (void **state)
{
    (void)state;
    char err[512], dir[256];
    hl_log_init ("test", HL_LOG_ERROR, false);
    s_path (dir, sizeof dir, "allowed");
    assert_int_equal (mkdir (dir, 0755), 0);
    assert_int_equal (hl_curve_keygen (s_dir, "master", err, sizeof err), 0);
    assert_int_equal (hl_curve_keygen (s_dir, "other", err, sizeof err), 0);
    assert_int_equal (hl_curve_keygen (s_dir, "stranger", err, sizeof err), 0);
    assert_int_equal (hl_curve_keygen (dir, "agent", err, sizeof err), 0);
    //  The allowed secret goes beside the others: allow/ holds publics
    char from[300], to[300];
    snprintf (from, sizeof from, "%s/agent.key_secret", dir);
    s_path (to, sizeof to, "agent.key_secret");
    assert_int_equal (rename (from, to), 0);

    hl_config_security_t sec;
    memset (&sec, 0, sizeof sec);
    sec.enabled = true;
    s_path (sec.secret_key, sizeof sec.secret_key, "master.key_secret");
    hl_curve_t *server = NULL;
    assert_int_equal (
        hl_curve_load (&sec, NULL, HL_CURVE_SERVER, &server, err, sizeof err),
        0);
    hl_zap_t *zap = hl_zap_new (dir, err, sizeof err);
    assert_non_null (zap);
    //  A second handler in one process is an error that says so
    assert_null (hl_zap_new (dir, err, sizeof err));
    assert_non_null (strstr (err, "ZAP"));

    hl_sock_opts_t opts;
    hl_sock_opts_default (&opts);
    opts.curve = server;
    char ep[256];
    zsock_t *router
        = hl_sock_bind (ZMQ_ROUTER, "tcp://127.0.0.1:*", &opts, ep, sizeof ep);
    assert_non_null (router);
    zsock_set_rcvtimeo (router, 2000);

    //  Allowed: through, both ways
    zsock_t *ok = s_client (ep, "agent.key_secret", "master.key");
    zstr_send (ok, "hello");
    zmsg_t *msg = zmsg_recv (router);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 2);
    zmsg_destroy (&msg);

    //  Not in the allow-list: nothing through, however often it tries
    //  (libzmq gives up on a refused connection: each try is a socket);
    //  counted and logged once
    zsock_t *tries[3];
    for (int i = 0; i < 3; i++) {
        tries[i] = s_client (ep, "stranger.key_secret", "master.key");
        zstr_send (tries[i], "let me in");
    }
    hl_zap_stats_t s;
    assert_true (s_wait (zap, &s, s_refused_thrice));
    assert_int_equal (s.refused_keys, 1);
    zsock_destroy (&tries[1]);
    zsock_destroy (&tries[2]);
    zsock_t *stranger = tries[0];
    //  No CURVE at all
    zsock_t *plain = hl_sock_connect (ZMQ_DEALER, ep, NULL, NULL);
    zstr_send (plain, "plain");
    assert_true (s_wait (zap, &s, s_no_curve));
    //  CURVE, but the wrong server key: it cannot even say who it is
    zsock_t *wrong = s_client (ep, "agent.key_secret", "other.key");
    zstr_send (wrong, "wrong");
    assert_true (s_wait (zap, &s, s_bad));
    zsock_set_rcvtimeo (router, 300);
    msg = zmsg_recv (router);
    assert_null (msg);
    assert_int_equal (s.refused_keys, 1);
    assert_int_equal (s.allowed, 1);

    //  The folder read again: the stranger's key added lets it in, on
    //  its next connection
    snprintf (from, sizeof from, "%s/stranger.key", s_dir);
    snprintf (to, sizeof to, "%s/stranger.key", dir);
    assert_int_equal (rename (from, to), 0);
    assert_true (s_wait (zap, &s, s_reloaded));
    zsock_destroy (&stranger);
    stranger = s_client (ep, "stranger.key_secret", "master.key");
    zstr_send (stranger, "let me in");
    zsock_set_rcvtimeo (router, 5000);
    msg = zmsg_recv (router);
    assert_non_null (msg);
    char *text = zframe_strdup (zmsg_last (msg));
    assert_string_equal (text, "let me in");
    zstr_free (&text);
    zmsg_destroy (&msg);

    hl_value_t *status = hl_zap_status (zap);
    assert_int_equal (hl_value_get_int (status, "keys", 0), 2);
    assert_int_equal (hl_value_get_int (status, "refused_keys", 0), 1);
    hl_value_destroy (&status);
    status = hl_zap_status (NULL);
    bool on = true;
    assert_int_equal (hl_value_bool (hl_value_get (status, "curve"), &on), 0);
    assert_false (on);
    hl_value_destroy (&status);

    zsock_destroy (&ok);
    zsock_destroy (&stranger);
    zsock_destroy (&plain);
    zsock_destroy (&wrong);
    zsock_destroy (&router);
    hl_zap_destroy (&zap);
    hl_curve_destroy (&server);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_keygen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_files, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_load, s_setup, s_teardown),
        cmocka_unit_test (test_beyond_loopback),
        cmocka_unit_test_setup_teardown (test_allow_dir, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_server, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
