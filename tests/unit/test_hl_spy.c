/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    Unit tests of hl_spy in process: JSON lines for good and bad messages,
    and replay of a recording through a real proxy, corrupt tail included.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_proxy.h"
#include "../../bus/hl_spy.h"
#include "recv_wait.h"

#define ANY "tcp://127.0.0.1:*"
#define WAIT_MS 5000

static hl_msg_t *
s_metric (const char *name, double value)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_METRIC);
    assert_non_null (msg);
    hl_msg_set_src (msg, "test");
    hl_msg_set_name (msg, name);
    hl_msg_set_value (msg, value);
    hl_msg_set_sample_ts (msg, 1);
    return msg;
}

static json_t *
s_print (int frames, const char *topic, const void *env, size_t env_len,
         int *rc)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buf, &size);
    *rc = hl_spy_print (out, frames, topic, topic ? strlen (topic) : 0, env,
                        env_len, NULL);
    fclose (out);
    //  Exactly one line
    assert_non_null (buf);
    assert_true (size > 1 && buf[size - 1] == '\n');
    assert_null (memchr (buf, '\n', size - 1));
    json_t *json = json_loads (buf, 0, NULL);
    assert_non_null (json);
    free (buf);
    return json;
}

static void
test_print (void **state)
{
    (void)state;
    hl_msg_t *msg = s_metric ("api_response_time", 3);
    uint8_t *env;
    size_t env_len;
    assert_int_equal (hl_msg_encode (msg, &env, &env_len), 0);
    hl_msg_destroy (&msg);
    int rc;
    json_t *json = s_print (2, "metric.api_response_time", env, env_len, &rc);
    assert_int_equal (rc, 0);
    assert_string_equal (json_string_value (json_object_get (json, "type")),
                         "metric");
    assert_non_null (json_object_get (json, "body"));
    json_decref (json);

    json = s_print (2, "health", env, env_len, &rc);
    assert_int_equal (rc, HL_ERR_TOPIC);
    assert_string_equal (json_string_value (json_object_get (json, "error")),
                         "topic");
    assert_int_equal (json_integer_value (json_object_get (json, "size")),
                      env_len);
    json_decref (json);

    json = s_print (1, NULL, env, env_len, &rc);
    assert_int_equal (rc, HL_ERR_FRAMES);
    json_decref (json);

    //  Garbage with an unprintable topic: escaped, 32 bytes of hex
    uint8_t noise[100];
    memset (noise, 0xc1, sizeof noise);
    json = s_print (2, "\x01\"bad", noise, sizeof noise, &rc);
    assert_true (rc < 0);
    assert_int_equal (
        strlen (json_string_value (json_object_get (json, "hex"))), 64);
    assert_non_null (json_object_get (json, "reason"));
    json_decref (json);
    free (env);
}

static void
test_replay (void **state)
{
    (void)state;
    char dir[] = "/tmp/test_hl_spy.XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path[64];
    snprintf (path, sizeof path, "%s/rec", dir);
    char err[256];
    hl_record_t *rec = hl_record_create (path, err, sizeof err);
    assert_non_null (rec);
    for (int i = 0; i < 3; i++) {
        hl_msg_t *msg = s_metric ("m", i);
        uint8_t *env;
        size_t env_len;
        assert_int_equal (hl_msg_encode (msg, &env, &env_len), 0);
        hl_msg_destroy (&msg);
        //  1 ms apart: the replay keeps the gaps, quickly
        assert_int_equal (
            hl_record_write (rec, 1000 * i, "metric.m", 8, env, env_len), 0);
        free (env);
        //  A recording of bus-out holds the master's messages too: a
        //  replay leaves them out (the proxy would refuse them)
        hl_msg_t *kpi = hl_msg_new (HL_MSG_KPI);
        hl_msg_set_name (kpi, "m");
        hl_msg_set_sample_ts (kpi, 1700000000000000);
        hl_msg_set_count (kpi, 1);
        hl_msg_set_mean (kpi, 1);
        hl_msg_set_p50 (kpi, 1);
        hl_msg_set_p95 (kpi, 1);
        hl_msg_set_min (kpi, 1);
        hl_msg_set_max (kpi, 1);
        assert_int_equal (hl_msg_encode (kpi, &env, &env_len), 0);
        hl_msg_destroy (&kpi);
        assert_int_equal (
            hl_record_write (rec, 1000 * i + 1, "kpi.m", 5, env, env_len), 0);
        free (env);
    }
    hl_record_destroy (&rec);

    hl_proxy_t *proxy = hl_proxy_new (ANY, ANY, NULL, NULL, err, sizeof err);
    assert_non_null (proxy);
    zsock_t *sub = hl_sock_subscriber (hl_proxy_bus_out (proxy), NULL, 0, NULL);
    zsock_set_rcvtimeo (sub, WAIT_MS);
    hl_proxy_stats_t stats;
    int64_t deadline = zclock_mono () + WAIT_MS;
    do {
        assert_int_equal (hl_proxy_stats (proxy, &stats), 0);
        assert_true (zclock_mono () < deadline);
    } while (stats.subscribers < 1);

    char *info = NULL;
    size_t info_size = 0;
    FILE *info_f = open_memstream (&info, &info_size);
    hl_spy_args_t args;
    hl_spy_args_default (&args);
    args.endpoint = hl_proxy_bus_in (proxy);
    args.replay = path;
    args.info = info_f;
    hl_spy_t *spy = hl_spy_new (&args, err, sizeof err);
    assert_non_null (spy);
    assert_int_equal (hl_spy_run (spy, err, sizeof err), 0);
    hl_spy_destroy (&spy);
    assert_null (spy);
    fflush (info_f);
    assert_non_null (strstr (info, "replayed 3 messages"));
    assert_non_null (strstr (info, "left out 3 messages only the master"));
    for (int i = 0; i < 3; i++) {
        hl_msg_t *msg = NULL;
        assert_int_equal (recv_wait (sub, NULL, &msg, NULL), 0);
        assert_int_equal (hl_msg_type (msg), HL_MSG_METRIC);
        assert_true (hl_msg_value (msg) == i);
        hl_msg_destroy (&msg);
    }
    assert_int_equal (hl_proxy_stats (proxy, &stats), 0);
    assert_int_equal (stats.rejected, 0);

    //  A truncated tail: what could be read is sent, then a failure
    FILE *f = fopen (path, "ab");
    assert_non_null (f);
    fwrite ("\x01\x02\x03", 1, 3, f);
    fclose (f);
    args.speed = 0;
    spy = hl_spy_new (&args, err, sizeof err);
    assert_int_equal (hl_spy_run (spy, err, sizeof err), 1);
    assert_non_null (strstr (err, "bad recording after 3 messages"));
    hl_spy_destroy (&spy);
    for (int i = 0; i < 3; i++) {
        hl_msg_t *msg = NULL;
        assert_int_equal (recv_wait (sub, NULL, &msg, NULL), 0);
        hl_msg_destroy (&msg);
    }

    //  Nothing listening on bus-in: a clear failure
    hl_proxy_destroy (&proxy);
    args.endpoint = "tcp://127.0.0.1:1";
    spy = hl_spy_new (&args, err, sizeof err);
    assert_int_equal (hl_spy_run (spy, err, sizeof err), 1);
    assert_non_null (strstr (err, "no bus answered"));
    hl_spy_destroy (&spy);

    //  Inconsistent arguments
    args.speed = -1;
    assert_null (hl_spy_new (&args, err, sizeof err));
    args.speed = 1;
    args.endpoint = NULL;
    assert_null (hl_spy_new (&args, err, sizeof err));

    fclose (info_f);
    free (info);
    zsock_destroy (&sub);
    unlink (path);
    assert_int_equal (rmdir (dir), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_print),
        cmocka_unit_test (test_replay),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
