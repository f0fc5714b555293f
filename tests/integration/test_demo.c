/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_demo - the real helios-demo against a real helios-master: its
    batches of 12 KPIs reach the bus, set/get/incident turn it through the
    control socket (refusals exit 1), garbage on that socket is answered
    without harm, and SIGTERM stops it with status 0.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "harness.h"

//  The end of s_cli's arguments: a pointer, as a variadic list needs
#define S_END ((const char *)NULL)

typedef struct {
    ht_master_t master;
    char config[400];  /* the demo's own config */
    char control[320]; /* its control endpoint */
    ht_proc_t *proc;
} demo_t;

//  Start a master, then helios-demo run on a config that points at the
//  master's bus-in and binds control on ipc:// in the master's folder
static void
s_demo_start (demo_t *demo)
{
    memset (demo, 0, sizeof *demo);
    assert_true (ht_master_start (&demo->master, NULL, NULL));
    snprintf (demo->config, sizeof demo->config, "%s/demo.cfg",
              demo->master.dir);
    snprintf (demo->control, sizeof demo->control, "ipc://%s/demo.sock",
              demo->master.dir);
    FILE *file = fopen (demo->config, "w");
    assert_non_null (file);
    fprintf (file,
             "connect = { bus_in = \"%s\"; };\n"
             "demo = { control = \"%s\"; rate = 50; seed = 7; };\n",
             demo->master.bus_in, demo->control);
    assert_int_equal (fclose (file), 0);

    const char *argv[]
        = { ht_bin ("helios-demo"), "-c", demo->config, "run", NULL };
    demo->proc = ht_start (argv);
    assert_non_null (demo->proc);
    char line[512], want[400];
    assert_true (ht_read_line (demo->proc, line, sizeof line, 10000));
    snprintf (want, sizeof want, "READY %s", demo->control);
    assert_string_equal (line, want);
}

static void
s_demo_stop (demo_t *demo)
{
    //  SIGTERM is a clean stop
    assert_int_equal (ht_stop (&demo->proc, 5000), 0);
    assert_int_equal (ht_master_stop (&demo->master), 0);
}

//  Run helios-demo -c config ARGS...; out gets stdout
static int
s_cli (const demo_t *demo, char *out, size_t outsize, ...)
{
    const char *argv[16] = { ht_bin ("helios-demo"), "-c", demo->config };
    int argc = 3;
    va_list ap;
    va_start (ap, outsize);
    const char *arg;
    while (argc < 15 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    va_end (ap);
    argv[argc] = NULL;
    return ht_run (argv, 10000, out, outsize);
}

static json_t *
s_json (const char *text)
{
    json_error_t jerr;
    json_t *json = json_loads (text, 0, &jerr);
    if (!json)
        fail_msg ("not JSON: %s", text);
    return json;
}

static const char *
s_get_str (json_t *object, const char *key)
{
    const char *value = json_string_value (json_object_get (object, key));
    return value ? value : "";
}

// --------------------------------------------------------------------

static void
test_demo_publishes_batches (void **state)
{
    (void)state;
    demo_t demo;
    s_demo_start (&demo);
    //  The demo publishes 50 batches/s: the spy sees one once subscribed
    const char *argv[] = { ht_bin ("helios-spy"),
                           "-e",
                           demo.master.bus_out,
                           "--topic",
                           "metrics",
                           "--count",
                           "1",
                           "--timeout",
                           "20",
                           NULL };
    ht_proc_t *spy = ht_start (argv);
    char line[16384];
    assert_true (ht_read_line (spy, line, sizeof line, 20000));
    json_t *json = s_json (line);
    assert_string_equal (s_get_str (json, "topic"), "metrics");
    assert_non_null (strstr (s_get_str (json, "src"), "helios-demo@"));
    json_t *samples
        = json_object_get (json_object_get (json, "body"), "samples");
    assert_int_equal (json_array_size (samples), 12);
    static const char *kpis[12]
        = { "chat_response_time",   "ui_interaction_lag", "message_render_time",
            "prompt_feed_refresh",  "api_response_time",  "redis_cache_hit",
            "websocket_throughput", "report_generation",  "user_retention_24h",
            "messages_per_session", "session_duration",   "optimization_roi" };
    for (size_t i = 0; i < 12; i++) {
        json_t *sample = json_array_get (samples, i);
        assert_string_equal (s_get_str (sample, "name"), kpis[i]);
        assert_true (json_number_value (json_object_get (sample, "value")) > 0);
        assert_true (json_integer_value (json_object_get (sample, "ts")) > 0);
    }
    json_decref (json);
    assert_int_equal (ht_wait (spy, 5000), 0);
    ht_stop (&spy, 1000);
    s_demo_stop (&demo);
}

static void
test_demo_control (void **state)
{
    (void)state;
    demo_t demo;
    s_demo_start (&demo);
    char out[4096];

    assert_int_equal (s_cli (&demo, out, sizeof out, "get", S_END), 0);
    json_t *json = s_json (out);
    assert_string_equal (s_get_str (json, "cache"), "off");
    assert_int_equal (json_integer_value (json_object_get (json, "db_pool")),
                      8);
    assert_string_equal (s_get_str (json, "gc_mode"), "normal");
    assert_string_equal (s_get_str (json, "incident"), "none");
    json_decref (json);

    assert_int_equal (
        s_cli (&demo, out, sizeof out, "set", "cache=on", "db_pool=32", S_END),
        0);
    assert_int_equal (s_cli (&demo, out, sizeof out, "get", S_END), 0);
    json = s_json (out);
    assert_string_equal (s_get_str (json, "cache"), "on");
    assert_int_equal (json_integer_value (json_object_get (json, "db_pool")),
                      32);
    json_decref (json);

    //  Refusals exit 1 and change nothing, even a partly good request
    assert_int_equal (s_cli (&demo, out, sizeof out, "set", "bogus=1", S_END),
                      1);
    assert_int_equal (
        s_cli (&demo, out, sizeof out, "set", "cache=maybe", S_END), 1);
    assert_int_equal (s_cli (&demo, out, sizeof out, "set", "db_pool=4",
                             "debounce=5000", S_END),
                      1);
    assert_int_equal (
        s_cli (&demo, out, sizeof out, "incident", "meteor", S_END), 1);

    assert_int_equal (
        s_cli (&demo, out, sizeof out, "incident", "db_slowdown", S_END), 0);
    //  HELIOS_CONFIG is the config when -c is not given, as agents use it
    setenv ("HELIOS_CONFIG", demo.config, 1);
    const char *argv[] = { ht_bin ("helios-demo"), "get", NULL };
    assert_int_equal (ht_run (argv, 10000, out, sizeof out), 0);
    unsetenv ("HELIOS_CONFIG");
    json = s_json (out);
    assert_string_equal (s_get_str (json, "incident"), "db_slowdown");
    assert_int_equal (json_integer_value (json_object_get (json, "db_pool")),
                      32);
    json_decref (json);

    assert_int_equal (
        s_cli (&demo, out, sizeof out, "incident", "clear", S_END), 0);
    json = s_json (out);
    assert_string_equal (s_get_str (json, "incident"), "none");
    json_decref (json);
    s_demo_stop (&demo);
}

//  Receive one reply on dealer within 5 s; it must be a refusal
static void
s_expect_refusal (zsock_t *dealer, const char *reason)
{
    zmq_pollitem_t item = { zsock_resolve (dealer), 0, ZMQ_POLLIN, 0 };
    assert_int_equal (zmq_poll (&item, 1, 5000), 1);
    hl_msg_t *reply = NULL;
    assert_int_equal (hl_bus_recv (dealer, NULL, &reply, NULL), 0);
    assert_int_equal (hl_msg_type (reply), HL_MSG_REPLY);
    assert_false (hl_msg_ok (reply));
    if (!strstr (hl_msg_error (reply), reason))
        fail_msg ("error \"%s\", want \"%s\"", hl_msg_error (reply), reason);
    hl_msg_destroy (&reply);
}

static void
test_demo_garbage (void **state)
{
    (void)state;
    demo_t demo;
    s_demo_start (&demo);
    zsock_t *dealer = hl_sock_connect (ZMQ_DEALER, demo.control, NULL, NULL);
    assert_non_null (dealer);

    //  Not msgpack
    assert_int_equal (zstr_send (dealer, "\x01\x02 garbage"), 0);
    s_expect_refusal (dealer, "root: envelope is not a map");
    //  Too many frames
    assert_int_equal (zstr_sendx (dealer, "a", "b", "c", NULL), 0);
    s_expect_refusal (dealer, "frames: wrong number of frames");
    //  A well-formed message that is not a request
    hl_msg_t *msg = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_src (msg, "test");
    hl_msg_set_inflight (msg, 0);
    assert_int_equal (hl_bus_send (dealer, &msg), 0);
    s_expect_refusal (dealer, "only request");
    //  Requests with an unknown op, or args of the wrong shape
    msg = hl_msg_new (HL_MSG_REQUEST);
    hl_msg_set_src (msg, "test");
    hl_msg_set_op (msg, "reboot");
    assert_int_equal (hl_bus_send (dealer, &msg), 0);
    s_expect_refusal (dealer, "unknown op \"reboot\"");
    msg = hl_msg_new (HL_MSG_REQUEST);
    hl_msg_set_src (msg, "test");
    hl_msg_set_op (msg, "set");
    assert_int_equal (hl_bus_send (dealer, &msg), 0);
    s_expect_refusal (dealer, "set needs a map");
    msg = hl_msg_new (HL_MSG_REQUEST);
    hl_msg_set_src (msg, "test");
    hl_msg_set_op (msg, "set");
    hl_value_t *args = hl_value_new_map ();
    hl_value_t *list = hl_value_new_array ();
    hl_value_set (args, "cache", &list);
    hl_msg_set_args (msg, &args);
    assert_int_equal (hl_bus_send (dealer, &msg), 0);
    s_expect_refusal (dealer, "must be a string or an integer");
    msg = hl_msg_new (HL_MSG_REQUEST);
    hl_msg_set_src (msg, "test");
    hl_msg_set_op (msg, "incident");
    assert_int_equal (hl_bus_send (dealer, &msg), 0);
    s_expect_refusal (dealer, "incident needs");
    zsock_destroy (&dealer);

    //  An integer value from a raw client is as good as its text
    dealer = hl_sock_connect (ZMQ_DEALER, demo.control, NULL, NULL);
    msg = hl_msg_new (HL_MSG_REQUEST);
    hl_msg_set_src (msg, "test");
    hl_msg_set_op (msg, "set");
    args = hl_value_new_map ();
    hl_value_set_int (args, "report_workers", 4);
    hl_msg_set_args (msg, &args);
    uint64_t id = hl_msg_id (msg);
    assert_int_equal (hl_bus_send (dealer, &msg), 0);
    zmq_pollitem_t item = { zsock_resolve (dealer), 0, ZMQ_POLLIN, 0 };
    assert_int_equal (zmq_poll (&item, 1, 5000), 1);
    hl_msg_t *reply = NULL;
    assert_int_equal (hl_bus_recv (dealer, NULL, &reply, NULL), 0);
    assert_true (hl_msg_ok (reply));
    assert_true (hl_msg_re (reply) == id);
    assert_int_equal (
        hl_value_get_int (hl_msg_data (reply), "report_workers", 0), 4);
    hl_msg_destroy (&reply);
    zsock_destroy (&dealer);

    //  The demo still serves
    char out[4096];
    assert_int_equal (s_cli (&demo, out, sizeof out, "get", S_END), 0);
    assert_non_null (strstr (out, "\"report_workers\":4"));
    s_demo_stop (&demo);
}

//  The demo waits for a bus that is not there yet, and clients fail
//  cleanly when no demo answers
static void
test_demo_without_bus (void **state)
{
    (void)state;
    char dir[256], config[400], out[4096];
    ht_tmpdir (dir, sizeof dir);
    snprintf (config, sizeof config, "%s/demo.cfg", dir);
    FILE *file = fopen (config, "w");
    assert_non_null (file);
    fprintf (file,
             "connect = { bus_in = \"ipc://%s/no-master.sock\"; };\n"
             "demo = { control = \"ipc://%s/demo.sock\"; rate = 1000; };\n",
             dir, dir);
    assert_int_equal (fclose (file), 0);

    const char *get[] = { ht_bin ("helios-demo"), "-c", config, "get", NULL };
    assert_int_equal (ht_run (get, 10000, out, sizeof out), 1);

    const char *run[] = {
        ht_bin ("helios-demo"), "-c", config, "run", "--rate", "100", NULL
    };
    ht_proc_t *proc = ht_start (run);
    char line[512];
    assert_true (ht_read_line (proc, line, sizeof line, 10000));
    assert_non_null (strstr (line, "READY ipc://"));
    assert_int_equal (ht_run (get, 10000, out, sizeof out), 0);
    //  Still running: no bus is no reason to exit
    assert_int_equal (ht_wait (proc, 300), -2);
    assert_int_equal (ht_stop (&proc, 5000), 0);
    ht_rmdir (dir);
}

static void
test_demo_usage (void **state)
{
    (void)state;
    char out[4096];
    const char *version[] = { ht_bin ("helios-demo"), "--version", NULL };
    assert_int_equal (ht_run (version, 5000, out, sizeof out), 0);
    assert_non_null (strstr (out, "helios-demo "));
    const char *help[] = { ht_bin ("helios-demo"), "--help", NULL };
    assert_int_equal (ht_run (help, 5000, out, sizeof out), 0);
    assert_non_null (strstr (out, "usage: helios-demo"));
    static const char *const bad[][6] = {
        { "--bogus", NULL },
        { NULL },
        { "frob", NULL },
        { "set", NULL },
        { "set", "cache", NULL },
        { "get", "extra", NULL },
        { "incident", NULL },
        { "run", "--rate", "0", NULL },
        { "run", "--rate", NULL },
        { "run", "--seed", "-1", NULL },
        { "-c", NULL },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[8] = { ht_bin ("helios-demo") };
        for (size_t j = 0; bad[i][j]; j++)
            argv[j + 1] = bad[i][j];
        if (ht_run (argv, 5000, out, sizeof out) != 2)
            fail_msg ("case %zu (%s) did not exit 2", i,
                      bad[i][0] ? bad[i][0] : "no args");
    }
    const char *missing[] = { ht_bin ("helios-demo"), "-c",
                              "/nonexistent/helios.cfg", "get", NULL };
    assert_int_equal (ht_run (missing, 5000, out, sizeof out), 1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_demo_publishes_batches, ht_teardown),
        cmocka_unit_test_teardown (test_demo_control, ht_teardown),
        cmocka_unit_test_teardown (test_demo_garbage, ht_teardown),
        cmocka_unit_test_teardown (test_demo_without_bus, ht_teardown),
        cmocka_unit_test_teardown (test_demo_usage, ht_teardown),
    };
    return cmocka_run_group_tests_name ("demo", tests, NULL, NULL);
}
