/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_dashboard - the dashboard in Debian's headless Chromium against a
    running demo swarm (a master with HTTP on an ephemeral loopback port,
    helios-demo and one agent of each of the six roles, after a cycle):
    tests/browser/dashboard.mjs (playwright-core) waits for live data,
    checks the health number, the 12 KPIs, the agents and the run, and
    saves a screenshot (build/dashboard.png). It also measures the time
    from a sample pushed with helios-ctl to the page showing it, on a
    master of its own with one metric.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <sys/stat.h>

#include "../../master/hl_client.h"
#include "harness.h"

static const char *s_roles[]
    = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
        "hephaestus-backend",  "athena-ux",          "athena-api" };

#define S_CYCLE                                                                \
    "cycle = { duration = 3600; max_concurrent = 4; cooldown = 60; "           \
    "settle = 2; verify_window = 8; seed = 7; };\n"

static void
test_dashboard (void **state)
{
    (void)state;
    ht_master_t m;
    memset (&m, 0, sizeof m);
    char *playbook = ht_playbook ();
    assert_non_null (playbook);
    char extra[65536];
    snprintf (extra, sizeof extra, "%s%s", S_CYCLE, playbook);
    ht_tmpdir (m.dir, sizeof m.dir);
    ht_write_config (m.dir, NULL, "http = \"127.0.0.1:0\";", extra, m.config,
                     sizeof m.config);
    assert_true (ht_master_launch (&m));
    assert_true (*m.http);

    /*  The demo and the agents connect to what the master bound. */
    char config[400];
    snprintf (config, sizeof config, "%s/clients.cfg", m.dir);
    FILE *f = fopen (config, "w");
    assert_non_null (f);
    fprintf (f,
             "master = { state_dir = \"%s/state\"; http = \"\"; };\n"
             "connect = { tasks = \"%s\"; control = \"%s\"; "
             "bus_in = \"%s\"; bus_out = \"%s\"; };\n"
             "demo = { control = \"ipc://%s/demo.sock\"; rate = 20; "
             "seed = 7; };\n%s",
             m.dir, m.tasks, m.control, m.bus_in, m.bus_out, m.dir, extra);
    fclose (f);
    free (playbook);
    char path[4096];
    snprintf (path, sizeof path, "%s:%s",
              getenv ("HELIOS_BIN") ? getenv ("HELIOS_BIN") : "bin",
              getenv ("PATH") ? getenv ("PATH") : "/usr/bin:/bin");
    setenv ("PATH", path, 1);
    const char *demo_argv[]
        = { ht_bin ("helios-demo"), "-c", config, "run", NULL };
    ht_proc_t *demo = ht_start (demo_argv);
    char line[1024];
    assert_true (ht_read_line (demo, line, sizeof line, 10000));
    ht_proc_t *agents[6];
    for (int i = 0; i < 6; i++) {
        const char *argv[] = {
            ht_bin ("helios-agent"), "-c", config, "--role", s_roles[i], NULL
        };
        agents[i] = ht_start (argv);
    }
    assert_int_equal (ht_wait_agents (&m, 6, 10000), 6);

    /*  A verify window of data, then a cycle: the page shows a run. */
    int64_t deadline = zclock_mono () + 30000;
    bool ready = false;
    while (!ready && zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (&m, "status", NULL);
        const hl_value_t *data = hl_msg_data (status);
        ready = hl_value_size (
                    hl_value_get (hl_value_get (data, "health"), "metrics"))
                    == 12
                && hl_value_get_double (data, "uptime_s", 0) > 10;
        hl_msg_destroy (&status);
        if (!ready)
            zclock_sleep (200); /* a short step between polls */
    }
    assert_true (ready);
    hl_msg_t *reply = (hl_msg_t *)ht_request (&m, "run", NULL);
    assert_true (reply && hl_msg_ok (reply));
    hl_msg_destroy (&reply);

    /*  A master of one metric, whose page shows exactly the last sample:
        the probe of sample-to-dashboard time. */
    ht_master_t probe;
    assert_true (ht_master_start (
        &probe, "http = \"127.0.0.1:0\";",
        "metrics = ( { name = \"probe\"; category = \"backend\";\n"
        "  unit = \"count\"; better = \"lower\"; stat = \"last\";\n"
        "  target = 5000.0; critical = 9000.0; } );\n"));
    char url[300], probe_url[300], shot[400], out[65536];
    snprintf (url, sizeof url, "http://%s/", m.http);
    snprintf (probe_url, sizeof probe_url, "http://%s/", probe.http);
    snprintf (shot, sizeof shot, "%s/dashboard.png", m.dir);
    const char *argv[] = { "/usr/bin/env",
                           "node",
                           "tests/browser/dashboard.mjs",
                           "--url",
                           url,
                           "--out",
                           shot,
                           "--probe-url",
                           probe_url,
                           "--ctl",
                           ht_bin ("helios-ctl"),
                           "--probe-control",
                           probe.control,
                           "--probe-metric",
                           "probe",
                           NULL };
    int64_t t0 = zclock_mono ();
    int rc = ht_run (argv, 150000, out, sizeof out);
    printf ("dashboard.mjs (%.1f s): %s", (zclock_mono () - t0) / 1000.0, out);
    assert_int_equal (rc, 0);
    json_t *result = json_loads (out, 0, NULL);
    assert_non_null (result);
    assert_true (json_is_true (json_object_get (result, "ok")));
    assert_int_equal (json_integer_value (json_object_get (result, "kpis")),
                      12);
    assert_int_equal (json_array_size (json_object_get (result, "agents")), 6);
    double health = json_number_value (json_object_get (result, "health"));
    assert_true (health >= 0 && health <= 100);
    /*  Health goes out once a second: a sample shows within that and
        the start of helios-ctl (slow under the sanitizers). */
    json_t *lat = json_object_get (result, "sample_to_dashboard_ms");
    assert_int_equal (json_array_size (lat), 10);
    size_t i;
    json_t *v;
    json_array_foreach (lat, i, v) {
        assert_true (json_number_value (v) < 3000);
    }
    json_decref (result);
    /*  The screenshot, kept where make test leaves its output. */
    struct stat st;
    assert_int_equal (stat (shot, &st), 0);
    assert_true (st.st_size > 10000);
    if (stat ("build", &st) == 0) {
        char cmd[600];
        snprintf (cmd, sizeof cmd, "cp '%s' build/dashboard.png", shot);
        const char *cp[] = { "/bin/sh", "-c", cmd, NULL };
        assert_int_equal (ht_run (cp, 10000, NULL, 0), 0);
    }

    assert_int_equal (ht_master_stop (&probe), 0);
    for (int a = 0; a < 6; a++)
        assert_int_equal (ht_stop (&agents[a], 10000), 0);
    assert_int_equal (ht_stop (&demo, 5000), 0);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_dashboard, ht_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
