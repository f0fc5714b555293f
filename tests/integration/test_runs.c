/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_runs - what helios-ctl run says for each run kind against the real
    master, where the engine once answered wrongly: an emergency whose
    first round has nothing to do (it used to print "run: unsupported
    request" and exit 1, though it ran), an emergency asked for before any
    metric has data (it used to start and never end), bad kinds and
    params refused with their reason (a parameter the kind does not take
    too: it used to be ignored), and a run refused while paused (it used
    to run with its tasks held until they were cancelled); status and
    cycles before there is anything to show.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>

#include "../../proto/hl_msg.h"
#include "harness.h"

static const char *s_metrics
    = "metrics = (\n"
      "  { name = \"lat\"; category = \"backend\"; better = \"lower\";\n"
      "    stat = \"mean\"; target = 100.0; critical = 500.0; key = true; } "
      ");\n"
      "actions = (\n"
      "  { name = \"cache\"; swarm = \"backend\"; improves = [\"lat\"]; } );\n";

/*  helios-ctl status --json, parsed (caller decrefs). */
static json_t *
s_status (const ht_master_t *m)
{
    static char out[65536];
    assert_int_equal (ht_ctl (m, out, sizeof out, "status", "--json", NULL), 0);
    json_t *status = json_loads (out, 0, NULL);
    assert_non_null (status);
    return status;
}

static bool
s_emergency_active (const ht_master_t *m)
{
    json_t *status = s_status (m);
    json_t *em
        = json_object_get (json_object_get (status, "cycle"), "emergency");
    assert_non_null (em);
    bool active = json_is_true (json_object_get (em, "active"));
    json_decref (status);
    return active;
}

static void
test_emergency_with_nothing_to_do (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char out[65536];
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "metric", "push", "lat", "80", NULL), 0);
    //  Health 100, nothing critical: the round picks nothing and ends at
    //  once; the request still gets its run
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "emergency",
                              "--param", "threshold=90", NULL),
                      0);
    assert_non_null (strstr (out, "started emergency 1"));
    //  ... and so does one that waits for its report
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "report", "1", "--format", "json", NULL),
        0);
    json_t *report = json_loads (out, 0, NULL);
    assert_non_null (report);
    assert_string_equal (json_string_value (json_object_get (report, "kind")),
                         "emergency");
    assert_int_equal (json_array_size (json_object_get (report, "actions")), 0);
    json_decref (report);
    assert_true (s_emergency_active (&m));
    //  A second one while it lasts is refused, with the reason
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "emergency", NULL),
                      1);
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_emergency_without_data (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char out[4096];
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "emergency", NULL),
                      1);
    assert_false (s_emergency_active (&m));
    //  Once there is a score, it can be asked for
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "metric", "push", "lat", "80", NULL), 0);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "emergency",
                              "--param", "threshold=90", "--wait", NULL),
                      0);
    assert_true (s_emergency_active (&m));
    assert_int_equal (ht_master_stop (&m), 0);
}

static void
test_refusals (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char out[4096];
    //  helios-ctl knows the kinds: a usage error
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "nap", NULL), 2);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "analysis", "--param",
                              "focus_areas=kitchen", NULL),
                      1);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "strategic_planning",
                              "--param", "horizon=soon", NULL),
                      1);
    //  None of them used up a run id
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "run", "strategic_planning", NULL), 0);
    assert_non_null (strstr (out, "started strategic_planning 1"));
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  helios-ctl -e control ARGS... (NULL-terminated): its exit status,
    stderr in err. */
static int
s_ctl_err (const ht_master_t *m, char *err, size_t errsize, ...)
{
    const char *argv[24] = { ht_bin ("helios-ctl"), "-e", m->control };
    int argc = 3;
    va_list ap;
    va_start (ap, errsize);
    const char *arg;
    while (argc < 23 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    va_end (ap);
    argv[argc] = NULL;
    static char out[65536];
    return ht_run_group (argv, 20000, out, sizeof out, err, errsize);
}

/*  err is exactly line and a newline. */
static void
s_err_is (const char *err, const char *line)
{
    char want[1024];
    snprintf (want, sizeof want, "%s\n", line);
    if (strcmp (err, want))
        fail_msg ("stderr is \"%s\", want \"%s\"", err, want);
}

/*  A parameter the kind does not take is refused, naming those it does:
    by helios-ctl as bad usage (exit 2), and by the master for any other
    client; no run is made. */
static void
test_unknown_params (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char err[4096];
    assert_int_equal (s_ctl_err (&m, err, sizeof err, "run", "optimization",
                                 "--param", "foo=bar", NULL),
                      2);
    s_err_is (err, "helios-ctl: run: unknown parameter 'foo' for "
                   "optimization (it takes none) (try --help)");
    assert_int_equal (s_ctl_err (&m, err, sizeof err, "run", "analysis",
                                 "--param", "focus=backend", "--wait", NULL),
                      2);
    s_err_is (err, "helios-ctl: run: unknown parameter 'focus' for analysis "
                   "(it takes focus_areas, depth) (try --help)");
    assert_int_equal (s_ctl_err (&m, err, sizeof err, "run", "emergency",
                                 "--param", "threshold=60", "--param", "max=3",
                                 NULL),
                      2);
    assert_non_null (strstr (err, "(it takes threshold, max_issues)"));

    /*  A refusal from the master is said once, as the command typed */
    assert_int_equal (s_ctl_err (&m, err, sizeof err, "run", "analysis",
                                 "--param", "focus_areas=kitchen", NULL),
                      1);
    s_err_is (err, "helios-ctl: run: focus area 'kitchen' is not frontend, "
                   "backend or business");
    assert_int_equal (s_ctl_err (&m, err, sizeof err, "report", "9999", NULL),
                      1);
    s_err_is (err, "helios-ctl: report: no report 9999");

    /*  The master, asked directly */
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind", "strategic_planning");
    hl_value_t *params = hl_value_new_map ();
    hl_value_set_str (params, "horizon", "7_days");
    hl_value_set_str (params, "scenario", "baseline");
    hl_value_set (args, "params", &params);
    hl_msg_t *reply = (hl_msg_t *)ht_request (&m, "run", &args);
    assert_non_null (reply);
    assert_false (hl_msg_ok (reply));
    assert_string_equal (hl_msg_error (reply),
                         "run: unknown parameter 'scenario' for "
                         "strategic_planning (it takes horizon, scenarios)");
    hl_msg_destroy (&reply);
    /*  nothing ran */
    char out[4096];
    assert_int_equal (ht_ctl (&m, out, sizeof out, "cycles", "--json", NULL),
                      0);
    assert_string_equal (out, "[]\n");
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  While paused, a run that needs dispatch is refused at once with what
    to do, instead of running with its tasks held until they are
    cancelled; a plan (no task) still runs, and after resume the cycle
    starts. */
static void
test_run_while_paused (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    char out[4096], err[4096];
    assert_int_equal (ht_ctl (&m, out, sizeof out, "pause", NULL), 0);
    static char status[65536];
    assert_int_equal (ht_ctl (&m, status, sizeof status, "status", NULL), 0);
    assert_non_null (strstr (status, "\ncycles     idle, PAUSED, next on "
                                     "resume (every 300 s)"));
    int64_t started = zclock_mono ();
    assert_int_equal (
        s_ctl_err (&m, err, sizeof err, "run", "optimization", "--wait", NULL),
        1);
    assert_true (zclock_mono () - started < 5000);
    s_err_is (err, "helios-ctl: run: paused: optimization needs dispatch; "
                   "resume first (helios-ctl resume)");
    assert_int_equal (
        s_ctl_err (&m, err, sizeof err, "run", "analysis", "--wait", NULL), 1);
    assert_non_null (strstr (err, "paused"));
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "run", "strategic_planning", NULL), 0);
    assert_non_null (strstr (out, "started strategic_planning 1"));
    assert_int_equal (ht_ctl (&m, out, sizeof out, "resume", NULL), 0);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "optimization", NULL),
                      0);
    assert_non_null (strstr (out, "started optimization 2"));
    assert_int_equal (ht_master_stop (&m), 0);
}

/*  Every row of a table has its column where the header has it: a
    left-aligned column (KIND) starts where its name starts, a right-
    aligned one (numbers) ends where its name ends. */
static void
s_aligned (const char *table, const char *name, bool left)
{
    const char *nl = strchr (table, '\n');
    assert_non_null (nl);
    const char *at = strstr (table, name);
    assert_true (at && at < nl);
    size_t col = (size_t)(at - table) + (left ? 0 : strlen (name) - 1);
    for (const char *row = nl + 1; *row; row = strchr (row, '\n') + 1) {
        size_t len = strcspn (row, "\n");
        bool ok = len > col && row[col] != ' '
                  && (left ? row[col - 1] == ' '
                           : col + 1 == len || row[col + 1] == ' ');
        if (!ok)
            fail_msg ("column %s not at %zu in \"%.*s\"", name, col, (int)len,
                      row);
        if (!row[len])
            break;
    }
}

/*  Before any run, status has nothing to show for runs: "-", never a
    100% of nothing; a run with no health before (a plan, before any
    sample) shows "-", never nan; and the cycles table keeps its columns
    for the longest kind. */
static void
test_figures_before_data (void **state)
{
    (void)state;
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_metrics));
    static char out[65536];
    assert_int_equal (ht_ctl (&m, out, sizeof out, "status", NULL), 0);
    assert_non_null (strstr (out, "cycles done - (0 of 0 runs finished)"));
    assert_non_null (strstr (out, "emergency  none so far\n"));
    assert_non_null (strstr (out, "last runs  none yet\n"));
    /*  each KPI against its target and critical level */
    const char *lat = strstr (out, "\n  lat ");
    if (!lat)
        fail_msg ("no KPI line for lat in:\n%s", out);
    char row[256];
    snprintf (row, sizeof row, "%.*s", (int)strcspn (lat + 1, "\n"), lat + 1);
    assert_non_null (strstr (row, " mean "));
    assert_non_null (strstr (row, " 100.0 "));
    assert_non_null (strstr (row, " 500.0 "));
    assert_non_null (strstr (row, " nodata"));
    assert_null (strstr (out, "nan"));
    if (strstr (out, "100.0%"))
        fail_msg ("a 100%% of nothing in:\n%s", out);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "status", "--json", NULL),
                      0);
    json_t *status = json_loads (out, 0, NULL);
    assert_true (json_is_null (json_object_get (
        json_object_get (status, "orchestration"), "cycle_completion_rate")));
    json_decref (status);

    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "strategic_planning",
                              "--wait", NULL),
                      0);
    assert_non_null (strstr (out, "- health: - before, - after"));
    assert_non_null (strstr (out, "## Roadmap"));
    assert_int_equal (
        ht_ctl (&m, out, sizeof out, "metric", "push", "lat", "80", NULL), 0);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "run", "optimization", NULL),
                      0);
    assert_int_equal (ht_ctl (&m, out, sizeof out, "cycles", NULL), 0);
    assert_non_null (strstr (out, "strategic_planning"));
    assert_non_null (strstr (out, "optimization"));
    assert_null (strstr (out, "nan"));
    s_aligned (out, "KIND", true);
    s_aligned (out, "PHASE", true);
    const char *numbers[] = { "ID",   "BEFORE",      "AFTER",  "ACTIONS",
                              "KEPT", "ROLLED_BACK", "FAILED", "DEGRADED" };
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
        s_aligned (out, numbers[i], false);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_emergency_with_nothing_to_do,
                                   ht_teardown),
        cmocka_unit_test_teardown (test_emergency_without_data, ht_teardown),
        cmocka_unit_test_teardown (test_refusals, ht_teardown),
        cmocka_unit_test_teardown (test_unknown_params, ht_teardown),
        cmocka_unit_test_teardown (test_run_while_paused, ht_teardown),
        cmocka_unit_test_teardown (test_figures_before_data, ht_teardown),
    };
    return cmocka_run_group_tests_name ("runs", tests, NULL, NULL);
}
