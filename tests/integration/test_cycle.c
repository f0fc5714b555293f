/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_cycle - optimisation cycles with the real master, the six roles
    and helios-demo on deploy/helios.cfg's metrics and playbook. One
    swarm, started once, runs cycles in the group's setup; a case per
    feature then reads what they did: whole reports, the improved action
    kept, the harmful one rolled back (its rollback ran, the knob is
    back), reports on disk, health risen, an analysis, a strategic plan,
    cycles and report, the seed's KPIs; then, with the improvements in
    effect, an outage no knob absorbs still starts an emergency, whose
    report ends with the health it ended with. Cases that need a swarm of their
    own: a cycle without verifiers says it is degraded and rolls its
    changes back instead of hanging; an incident starts the emergency
    protocol, which brings health back.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <math.h>
#include <sys/stat.h>

#include "../../proto/hl_msg.h"
#include "harness.h"

static const char *s_roles[]
    = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
        "hephaestus-backend",  "athena-ux",          "athena-api" };

typedef struct {
    ht_master_t m;
    char config[400];     /* for the demo and the agents */
    char notify_dir[256]; /* where the notify command writes */
    ht_proc_t *demo;
    ht_proc_t *agents[6];
    int nagents;
} s_world_t;

/*  deploy/helios.cfg without its master, connect and demo sections, so
    that a test can put its own endpoints in front of the playbook. */
static char *
s_playbook (void)
{
    FILE *f = fopen ("deploy/helios.cfg", "r"); /* tests run at the top */
    assert_non_null (f);
    zchunk_t *out = zchunk_new (NULL, 16384);
    char line[1024];
    bool skip = false;
    while (fgets (line, sizeof line, f)) {
        if (!strncmp (line, "master = {", 10)
            || !strncmp (line, "connect = {", 11)
            || !strncmp (line, "demo = {", 8) || !strncmp (line, "cycle = {", 9)
            || !strncmp (line, "health = {", 10)
            || !strncmp (line, "emergency = {", 13))
            skip = true;
        if (!skip)
            zchunk_extend (out, line, strlen (line));
        if (skip && !strncmp (line, "};", 2))
            skip = false;
    }
    fclose (f);
    zchunk_extend (out, "", 1);
    char *text = strdup ((char *)zchunk_data (out));
    zchunk_destroy (&out);
    return text;
}

/*  Cycles on demand only (no scheduled cycle gets in the way), with the
    demo's short settle and verify windows. */
#define S_CYCLE                                                                \
    "cycle = { duration = 3600; max_concurrent = 4; "                          \
    "cooldown = 60; settle = 3; verify_window = 10; "                          \
    "seed = 42; };\n"                                                          \
    "health = { target = 85; window = 5; };\n"

/*  learning (may be NULL): the learning file the master starts with, as a
    Helios that has run before has one. */
static void
s_world_start (s_world_t *w, bool verifiers, const char *learning)
{
    memset (w, 0, sizeof *w);
    char *playbook = s_playbook ();
    /*  notify appends each event to a file of the test's. */
    ht_tmpdir (w->notify_dir, sizeof w->notify_dir);
    char extra[65536];
    snprintf (extra, sizeof extra,
              "%semergency = { threshold = 50; max_issues = 3; "
              "notify = \"cat >> %s/notify.json\"; };\n%s",
              S_CYCLE, w->notify_dir, playbook);
    ht_tmpdir (w->m.dir, sizeof w->m.dir);
    if (learning) {
        char path[400];
        snprintf (path, sizeof path, "%s/state", w->m.dir);
        assert_int_equal (mkdir (path, 0700), 0);
        strcat (path, "/learning.json");
        FILE *lf = fopen (path, "w");
        assert_non_null (lf);
        fputs (learning, lf);
        fclose (lf);
    }
    ht_write_config (w->m.dir, NULL, NULL, extra, w->m.config,
                     sizeof w->m.config);
    assert_true (ht_master_launch (&w->m));

    /*  The demo and the agents connect to what the master bound. */
    snprintf (w->config, sizeof w->config, "%s/clients.cfg", w->m.dir);
    FILE *f = fopen (w->config, "w");
    assert_non_null (f);
    fprintf (f,
             "master = { state_dir = \"%s/state\"; };\n"
             "connect = { tasks = \"%s\"; control = \"%s\"; "
             "bus_in = \"%s\"; bus_out = \"%s\"; };\n"
             "demo = { control = \"ipc://%s/demo.sock\"; rate = 20; "
             "seed = 7; };\n%s%s",
             w->m.dir, w->m.tasks, w->m.control, w->m.bus_in, w->m.bus_out,
             w->m.dir, S_CYCLE, playbook);
    fclose (f);
    free (playbook);

    /*  Hephaestus runs "helios-demo set ...": the binaries must be on the
        PATH its commands see. */
    char path[4096];
    snprintf (path, sizeof path, "%s:%s",
              getenv ("HELIOS_BIN") ? getenv ("HELIOS_BIN") : "bin",
              getenv ("PATH") ? getenv ("PATH") : "/usr/bin:/bin");
    setenv ("PATH", path, 1);

    const char *demo_argv[]
        = { ht_bin ("helios-demo"), "-c", w->config, "run", NULL };
    w->demo = ht_start (demo_argv);
    char line[1024];
    assert_true (ht_read_line (w->demo, line, sizeof line, 10000));
    assert_non_null (strstr (line, "READY"));
    for (int i = 0; i < 6; i++) {
        if (!verifiers && !strncmp (s_roles[i], "athena", 6))
            continue;
        const char *argv[] = {
            ht_bin ("helios-agent"), "-c", w->config, "--role", s_roles[i], NULL
        };
        w->agents[w->nagents++] = ht_start (argv);
    }
    assert_int_equal (ht_wait_agents (&w->m, w->nagents, 5000), w->nagents);

    /*  Every metric has data, and a verify window's worth of seconds of
        it, so the first cycle has a whole baseline. */
    int64_t deadline = zclock_mono () + 30000;
    bool ready = false;
    while (!ready && zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (&w->m, "status", NULL);
        const hl_value_t *data = hl_msg_data (status);
        const hl_value_t *health = hl_value_get (data, "health");
        ready = hl_value_size (hl_value_get (health, "nodata")) == 0
                && hl_value_size (hl_value_get (health, "metrics")) == 12
                && hl_value_get_double (data, "uptime_s", 0) > 12.5;
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
    assert_int_equal (ht_stop (&w->demo, 5000), 0);
    assert_int_equal (ht_master_stop (&w->m), 0);
    ht_rmdir (w->notify_dir);
}

/*  run optimization --wait --json: the report. */
static json_t *
s_cycle (s_world_t *w)
{
    static char out[1 << 20];
    assert_int_equal (ht_ctl (&w->m, out, sizeof out, "-t", "120000", "run",
                              "optimization", "--wait", "--json", NULL),
                      0);
    json_t *report = json_loads (out, 0, NULL);
    assert_non_null (report);
    /*  The fields every cycle report has. */
    const char *keys[]
        = { "id",           "kind",     "started", "finished", "health_before",
            "health_after", "degraded", "actions" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_non_null (json_object_get (report, keys[i]));
    assert_string_equal (json_string_value (json_object_get (report, "kind")),
                         "optimization");
    return report;
}

static json_t *
s_action (json_t *report, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (report, "actions"), i, a) {
        if (streq (json_string_value (json_object_get (a, "name")), name))
            return a;
    }
    return NULL;
}

//  --------------------------------------------------------------------
//  One swarm that has run cycles, shared by the cases that look at what
//  the cycles did; each case reads the world, none depends on another.

#define S_MAX_CYCLES 200
#define S_CYCLES_MS 240000 /* for the shared cycles to do their work */

static s_world_t s_shared;
static json_t *s_reports[S_MAX_CYCLES]; /* what each cycle reported */
static int s_reports_n;
static double s_first_before; /* health before the first cycle */

/*  Start the swarm and run cycles back to back until one action has been
    kept, the gc tuning judged regressed (alone, after a confounded first
    try beside others, perhaps) and rolled back, and health has clearly
    risen. Earlier runs tried every other action: the gc tuning, never
    tried, is explored first, and verification must find it harmful.
    Cycles with nothing to do are not kept. */
static int
s_shared_start (void **state)
{
    (void)state;
    /*  Learning from earlier runs: every action was tried and worked
        once, but the gc tuning was never tried: it is explored first. */
    static const char *tried[]
        = { "enable_response_cache", "tune_db_pool",
            "enable_ws_compression", "shard_report_workers",
            "lazy_load_messages",    "virtualize_message_list",
            "prefetch_prompt_feed",  "debounce_ui_events" };
    char learning[2048] = "{\"version\": 1, \"actions\": {";
    for (size_t i = 0; i < sizeof tried / sizeof *tried; i++) {
        size_t used = strlen (learning);
        snprintf (learning + used, sizeof learning - used,
                  "%s\"%s\": {\"successes\": 1, \"failures\": 0}",
                  i ? ", " : "", tried[i]);
    }
    strcat (learning, "}}");
    s_world_start (&s_shared, true, learning);
    bool kept = false, gc_rolled_back = false;
    double last_after = NAN;
    s_first_before = NAN;
    int64_t deadline = zclock_mono () + S_CYCLES_MS;
    int idle = 0; /* cycles in a row with nothing to do */
    while (s_reports_n < S_MAX_CYCLES && zclock_mono () < deadline && idle < 10
           && !(kept && gc_rolled_back && last_after > s_first_before + 5)) {
        json_t *report = s_cycle (&s_shared);
        if (s_reports_n
            && json_array_size (json_object_get (report, "actions")) == 0) {
            json_decref (report);
            idle++;
            zclock_sleep (250); /* a short step before the next cycle */
            continue;
        }
        idle = 0;
        s_reports[s_reports_n++] = report;
        if (s_reports_n == 1)
            s_first_before
                = json_number_value (json_object_get (report, "health_before"));
        last_after
            = json_number_value (json_object_get (report, "health_after"));
        if (getenv ("HT_VERBOSE")) {
            char *text = json_dumps (json_object_get (report, "actions"),
                                     JSON_COMPACT);
            fprintf (
                stderr, "cycle %d: %.1f -> %.1f %s\n", s_reports_n,
                json_number_value (json_object_get (report, "health_before")),
                last_after, text);
            free (text);
        }
        size_t i;
        json_t *a;
        json_array_foreach (json_object_get (report, "actions"), i, a) {
            kept |= streq (json_string_value (json_object_get (a, "outcome")),
                           "kept");
        }
        json_t *gc = s_action (report, "aggressive_gc_tuning");
        gc_rolled_back
            |= gc
               && streq (json_string_value (json_object_get (gc, "verdict")),
                         "regressed");
    }
    return 0;
}

static int
s_shared_stop (void **state)
{
    (void)state;
    for (int c = 0; c < s_reports_n; c++)
        json_decref (s_reports[c]);
    s_reports_n = 0;
    s_world_stop (&s_shared);
    return ht_teardown (state);
}

/*  Every cycle's report is whole and clean: no degradation, and for each
    action its swarm, p-value, effect and metrics before and after. */
static void
test_cycle_reports (void **state)
{
    (void)state;
    assert_true (s_reports_n >= 1);
    for (int c = 0; c < s_reports_n; c++) {
        assert_int_equal (
            json_array_size (json_object_get (s_reports[c], "degraded")), 0);
        size_t i;
        json_t *a;
        json_array_foreach (json_object_get (s_reports[c], "actions"), i, a) {
            assert_non_null (json_object_get (a, "swarm"));
            assert_non_null (json_object_get (a, "p_value"));
            assert_non_null (json_object_get (a, "effect"));
            json_t *metric = json_array_get (json_object_get (a, "metrics"), 0);
            assert_non_null (json_object_get (metric, "before"));
            assert_non_null (json_object_get (metric, "after"));
        }
    }
}

/*  What improved is kept (a recheck's improved: undoing it made things
    worse, so it was re-applied); everything else is rolled back; and
    some action did improve. */
static void
test_cycle_keeps_improved (void **state)
{
    (void)state;
    bool kept_improved = false;
    for (int c = 0; c < s_reports_n; c++) {
        size_t i;
        json_t *a;
        json_array_foreach (json_object_get (s_reports[c], "actions"), i, a) {
            const char *verdict
                = json_string_value (json_object_get (a, "verdict"));
            const char *outcome
                = json_string_value (json_object_get (a, "outcome"));
            if (streq (verdict, "improved")) {
                assert_string_equal (outcome, "kept");
                kept_improved = true;
            } else
                assert_string_equal (outcome, "rolled_back");
        }
    }
    assert_true (kept_improved);
}

/*  The harmful gc tuning, believed in, is found regressed and rolled
    back (beside other changes it may first be confounded: rolled back
    too, and retried alone): its rollback ran and succeeded, and the
    demo's knob is back. */
static void
test_cycle_rolls_back_regressed (void **state)
{
    (void)state;
    bool rolled_back = false;
    for (int c = 0; c < s_reports_n; c++) {
        json_t *gc = s_action (s_reports[c], "aggressive_gc_tuning");
        if (!gc)
            continue;
        const char *verdict
            = json_string_value (json_object_get (gc, "verdict"));
        if (streq (verdict, "confounded")) {
            assert_string_equal (
                json_string_value (json_object_get (gc, "outcome")),
                "rolled_back");
            continue;
        }
        assert_string_equal (verdict, "regressed");
        assert_string_equal (
            json_string_value (json_object_get (gc, "outcome")), "rolled_back");
        json_t *rb = json_object_get (gc, "rollback");
        assert_string_equal (json_string_value (json_object_get (rb, "status")),
                             "ok");
        rolled_back = true;
    }
    assert_true (rolled_back);

    char out[4096];
    const char *get[]
        = { ht_bin ("helios-demo"), "-c", s_shared.config, "get", NULL };
    assert_int_equal (ht_run (get, 5000, out, sizeof out), 0);
    json_t *knobs = json_loads (out, 0, NULL);
    assert_non_null (knobs);
    json_t *gc = json_object_get (json_object_get (knobs, "knobs"), "gc_mode");
    if (!gc)
        gc = json_object_get (knobs, "gc_mode");
    assert_string_equal (json_string_value (gc), "normal");
    json_decref (knobs);
}

/*  Each cycle's report is on disk, as JSON and as markdown. */
static void
test_cycle_reports_on_disk (void **state)
{
    (void)state;
    for (int c = 0; c < s_reports_n; c++) {
        char path[512];
        snprintf (
            path, sizeof path, "%s/state/reports/optimization-%d.json",
            s_shared.m.dir,
            (int)json_integer_value (json_object_get (s_reports[c], "id")));
        assert_int_equal (access (path, R_OK), 0);
        path[strlen (path) - 4] = 0;
        strcat (path, "md");
        assert_int_equal (access (path, R_OK), 0);
    }
}

/*  Health rises: once the health window has left the regression that
    was rolled back behind, the score is above where it started. */
static void
test_cycle_health_rises (void **state)
{
    (void)state;
    assert_true (isfinite (s_first_before));
    double score = 0;
    int64_t deadline = zclock_mono () + 20000;
    while (zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (&s_shared.m, "status", NULL);
        score = hl_value_get_double (
            hl_value_get (hl_msg_data (status), "health"), "score", 0);
        hl_msg_destroy (&status);
        if (score > s_first_before + 5)
            break;
        zclock_sleep (200); /* a short step between polls */
    }
    assert_true (score > s_first_before + 5);
}

/*  An analysis: a report with the backend's analysis and no action; a
    focus area that does not exist is refused. */
static void
test_analysis (void **state)
{
    (void)state;
    static char big[1 << 20];
    assert_int_equal (ht_ctl (&s_shared.m, big, sizeof big, "-t", "60000",
                              "run", "analysis", "--param",
                              "focus_areas=backend", "--wait", "--json", NULL),
                      0);
    json_t *analysis = json_loads (big, 0, NULL);
    assert_non_null (analysis);
    assert_string_equal (json_string_value (json_object_get (analysis, "kind")),
                         "analysis");
    assert_int_equal (json_array_size (json_object_get (analysis, "actions")),
                      0);
    json_t *pb = json_object_get (json_object_get (analysis, "analysis"),
                                  "prometheus-backend");
    assert_non_null (pb);
    assert_null (json_object_get (json_object_get (analysis, "analysis"),
                                  "prometheus-frontend"));
    json_t *first = json_array_get (json_object_get (pb, "metrics"), 0);
    assert_non_null (json_object_get (first, "trend_per_hour"));
    assert_non_null (json_object_get (first, "severity"));
    char path[512];
    snprintf (path, sizeof path, "%s/state/reports/analysis-%d.md",
              s_shared.m.dir,
              (int)json_integer_value (json_object_get (analysis, "id")));
    assert_int_equal (access (path, R_OK), 0);
    json_decref (analysis);
    assert_int_equal (ht_ctl (&s_shared.m, big, sizeof big, "run", "analysis",
                              "--param", "focus_areas=marketing", NULL),
                      1);
    /*  As text, --wait prints what the analysis found */
    assert_int_equal (ht_ctl (&s_shared.m, big, sizeof big, "-t", "60000",
                              "run", "analysis", "--param",
                              "focus_areas=backend", "--wait", NULL),
                      0);
    assert_non_null (strstr (big, "## Analysis"));
    assert_non_null (strstr (big, "| api_response_time | "));
    assert_null (strstr (big, "chat_response_time"));
}

/*  run strategic_planning --wait --json with horizon and scenarios:
    the report (caller owns). */
static json_t *
s_plan (const char *horizon)
{
    static char big[1 << 20];
    char param[64];
    snprintf (param, sizeof param, "horizon=%s", horizon);
    assert_int_equal (ht_ctl (&s_shared.m, big, sizeof big, "run",
                              "strategic_planning", "--param", param, "--param",
                              "scenarios=baseline,growth:20", "--wait",
                              "--json", NULL),
                      0);
    json_t *report = json_loads (big, 0, NULL);
    assert_non_null (report);
    return report;
}

/*  A strategic plan: forecasts per scenario and a roadmap; a horizon or
    a scenario it does not know is refused. The swarm has run for a
    minute or two: a day is beyond what that history supports, so every
    metric says short_history (with its history and reach) and neither
    scenario has a health, each saying why; a horizon within the reach
    gives every metric a value within its range, and growth makes the
    horizon no better than the baseline. Each breach says what would
    help it, or that nothing does, and the page has a section for it. */
static void
test_strategic_plan (void **state)
{
    (void)state;
    static char big[1 << 20];
    json_t *plan = s_plan ("24_hours");
    json_t *scs = json_object_get (json_object_get (plan, "plan"), "scenarios");
    double reach = INFINITY;
    const char *names[] = { "baseline", "growth:20" };
    for (size_t i = 0; i < 2; i++) {
        json_t *sc = json_object_get (scs, names[i]);
        assert_true (json_is_null (json_object_get (sc, "health_at_horizon")));
        assert_non_null (strstr (
            json_string_value (json_object_get (sc, "health_note")), "86400"));
        json_t *ms = json_object_get (sc, "metrics");
        assert_int_equal (json_array_size (ms), 12);
        size_t j;
        json_t *m;
        json_array_foreach (ms, j, m) {
            assert_string_equal (
                json_string_value (json_object_get (m, "forecast")),
                "short_history");
            assert_null (json_object_get (m, "at_horizon"));
            double history
                = json_number_value (json_object_get (m, "history_s"));
            double r = json_number_value (json_object_get (m, "reach_s"));
            assert_true (history > 0 && r > 0 && r <= 4 * history);
            reach = r < reach ? r : reach;
        }
        /*  each breach lists what would help it, or says nothing does */
        json_t *bs = json_object_get (sc, "breaches");
        assert_true (json_is_array (bs));
        json_array_foreach (bs, j, m) {
            assert_true (json_array_size (json_object_get (m, "actions")) > 0
                         || json_is_string (json_object_get (m, "note")));
        }
    }
    assert_true (json_is_array (
        json_object_get (json_object_get (plan, "plan"), "roadmap")));
    json_decref (plan);

    //  Within every metric's reach (history only grows meanwhile)
    char horizon[32];
    snprintf (horizon, sizeof horizon, "%d", (int)reach);
    plan = s_plan (horizon);
    scs = json_object_get (json_object_get (plan, "plan"), "scenarios");
    json_t *base = json_object_get (scs, "baseline");
    json_t *grow = json_object_get (scs, "growth:20");
    json_t *ms = json_object_get (base, "metrics");
    assert_int_equal (json_array_size (ms), 12);
    size_t j;
    json_t *m;
    json_array_foreach (ms, j, m) {
        assert_non_null (json_object_get (m, "at_horizon"));
        /*  within its range: 0.. for times, counts and rates (all but
            optimization_roi, a ratio, unbounded), 0..100 for "%" */
        double v = json_number_value (json_object_get (m, "at_horizon"));
        const char *name = json_string_value (json_object_get (m, "name"));
        assert_true (v >= 0 || !strcmp (name, "optimization_roi"));
        if (!strcmp (name, "redis_cache_hit")
            || !strcmp (name, "user_retention_24h"))
            assert_true (v <= 100);
    }
    assert_true (json_is_number (json_object_get (base, "health_at_horizon")));
    assert_true (json_is_number (json_object_get (grow, "health_at_horizon")));
    /*  growth makes the horizon no better than the baseline */
    assert_true (
        json_number_value (json_object_get (grow, "health_at_horizon"))
        <= json_number_value (json_object_get (base, "health_at_horizon")));
    assert_true (json_is_array (
        json_object_get (json_object_get (plan, "plan"), "roadmap")));
    json_decref (plan);
    assert_int_equal (ht_ctl (&s_shared.m, big, sizeof big, "report", "last",
                              "--format", "md", NULL),
                      0);
    assert_non_null (strstr (big, "## Roadmap"));
    assert_non_null (strstr (big, "### What would help each forecast breach"));
    /*  As text, --wait prints the plan */
    assert_int_equal (ht_ctl (&s_shared.m, big, sizeof big, "run",
                              "strategic_planning", "--param",
                              "horizon=24_hours", "--wait", NULL),
                      0);
    assert_non_null (strstr (big, "### Scenario baseline"));
    assert_non_null (strstr (big, "## Roadmap"));
    assert_int_equal (ht_ctl (&s_shared.m, big, sizeof big, "run",
                              "strategic_planning", "--param", "horizon=soon",
                              NULL),
                      1);
    assert_int_equal (ht_ctl (&s_shared.m, big, sizeof big, "run",
                              "strategic_planning", "--param", "scenarios=doom",
                              NULL),
                      1);
}

/*  cycles and report agree with what ran: the first run is the first
    optimisation, the last report is the last run's, and a report that
    does not exist is refused. */
static void
test_cycles_and_report (void **state)
{
    (void)state;
    static char out[1 << 20];
    assert_int_equal (ht_ctl (&s_shared.m, out, sizeof out, "cycles", NULL), 0);
    assert_non_null (strstr (out, "optimization"));
    assert_int_equal (ht_ctl (&s_shared.m, out, sizeof out, "report", "1",
                              "--format", "md", NULL),
                      0);
    assert_non_null (strstr (out, "# Helios optimization 1"));

    assert_int_equal (
        ht_ctl (&s_shared.m, out, sizeof out, "report", "last", "--json", NULL),
        0);
    json_t *last = json_loads (out, 0, NULL);
    assert_non_null (last);
    char heading[128], id[32];
    snprintf (id, sizeof id, "%d",
              (int)json_integer_value (json_object_get (last, "id")));
    snprintf (heading, sizeof heading, "# Helios %s %s",
              json_string_value (json_object_get (last, "kind")), id);
    json_decref (last);
    assert_int_equal (ht_ctl (&s_shared.m, out, sizeof out, "report", "last",
                              "--format", "md", NULL),
                      0);
    assert_non_null (strstr (out, heading));
    assert_int_equal (
        ht_ctl (&s_shared.m, out, sizeof out, "report", "999", NULL), 1);
}

/*  The seed's KPIs and orchestration figures, from what the cycles ran:
    actions kept and rolled back, side by side, none failed. */
static void
test_seed_kpis (void **state)
{
    (void)state;
    static char big[1 << 20];
    assert_int_equal (
        ht_ctl (&s_shared.m, big, sizeof big, "status", "--json", NULL), 0);
    json_t *status = json_loads (big, 0, NULL);
    assert_non_null (status);
    json_t *kpis = json_object_get (status, "kpis");
    double health
        = json_number_value (json_object_get (kpis, "overall_health_score"));
    assert_true (health > 0 && health <= 100);
    double rate = json_number_value (
        json_object_get (kpis, "optimization_success_rate"));
    assert_true (rate > 0 && rate < 1);
    double avail
        = json_number_value (json_object_get (kpis, "system_availability"));
    assert_true (avail > 0 && avail <= 1);
    assert_true (json_number_value (json_object_get (
                     kpis, "concurrent_optimization_efficiency"))
                 == 1.0);
    json_t *orch = json_object_get (status, "orchestration");
    json_t *lat = json_object_get (orch, "latency_ms");
    assert_true (json_integer_value (json_object_get (lat, "samples")) > 4);
    double p50 = json_number_value (json_object_get (lat, "p50"));
    double p99 = json_number_value (json_object_get (lat, "p99"));
    assert_true (p50 >= 0 && p50 <= p99
                 && p99 <= json_number_value (json_object_get (lat, "max")));
    double overhead = json_number_value (json_object_get (orch, "overhead"));
    assert_true (overhead > 0 && overhead < 1);
    assert_true (
        json_number_value (json_object_get (orch, "cycle_completion_rate"))
        > 0);
    json_t *conflicts = json_object_get (orch, "conflicts");
    assert_true (json_integer_value (json_object_get (conflicts, "actions"))
                 >= 2);
    assert_int_equal (
        json_integer_value (json_object_get (conflicts, "occurred")), 0);
    assert_non_null (json_object_get (orch, "evenness"));
    json_decref (status);
}

/*  status over the control API: health's score (NAN if none), and the
    emergency's count and whether it is active. */
static double
s_health_now (s_world_t *w, int64_t *count, bool *active)
{
    hl_msg_t *status = (hl_msg_t *)ht_request (&w->m, "status", NULL);
    assert_non_null (status);
    const hl_value_t *data = hl_msg_data (status);
    const hl_value_t *em
        = hl_value_get (hl_value_get (data, "cycle"), "emergency");
    double score
        = hl_value_get_double (hl_value_get (data, "health"), "score", NAN);
    if (count)
        *count = hl_value_get_int (em, "count", 0);
    if (active) {
        *active = false;
        hl_value_bool (hl_value_get (em, "active"), active);
    }
    hl_msg_destroy (&status);
    return score;
}

/*  helios-demo -c config ARGS... (NULL-terminated); exits 0. */
static void
s_demo (s_world_t *w, ...)
{
    const char *argv[16] = { ht_bin ("helios-demo"), "-c", w->config };
    int argc = 3;
    va_list ap;
    va_start (ap, w);
    const char *arg;
    while (argc < 15 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    va_end (ap);
    argv[argc] = NULL;
    char out[4096];
    assert_int_equal (ht_run (argv, 5000, out, sizeof out), 0);
}

/*  The newest emergency run in cycles --json: its id, or 0; done says
    whether it has finished. */
static int64_t
s_last_emergency (s_world_t *w, bool *done)
{
    static char out[1 << 16];
    assert_int_equal (ht_ctl (&w->m, out, sizeof out, "cycles", "--json", NULL),
                      0);
    json_t *list = json_loads (out, 0, NULL);
    assert_non_null (list);
    int64_t id = 0;
    size_t i;
    json_t *c;
    json_array_foreach (list, i, c) {
        if (streq (json_string_value (json_object_get (c, "kind")),
                   "emergency")) {
            id = json_integer_value (json_object_get (c, "id"));
            *done = streq (json_string_value (json_object_get (c, "phase")),
                           "done");
            break;
        }
    }
    json_decref (list);
    return id;
}

/*  The README's tour: after the cycles have kept their improvements, and
    with every helpful knob on besides, helios-demo's db_outage still
    takes health under 50 (no knob absorbs an outage) and the emergency
    starts; it stays under through a whole emergency round; once the
    incident is cleared the emergency ends, and its report's health
    after is the health it ended with, not the round's. */
static void
test_outage_after_improvements (void **state)
{
    (void)state;
    s_world_t *w = &s_shared;
    bool kept = false;
    for (int c = 0; c < s_reports_n; c++) {
        size_t i;
        json_t *a;
        json_array_foreach (json_object_get (s_reports[c], "actions"), i, a) {
            kept |= streq (json_string_value (json_object_get (a, "outcome")),
                           "kept");
        }
    }
    assert_true (kept);
    s_demo (w, "set", "cache=on", "db_pool=32", "ws_compression=on",
            "report_workers=4", "lazy_load=on", "virtual_list=on",
            "prefetch=on", "debounce=100", "gc_mode=normal", NULL);
    /*  The tuned service is healthy: well above the threshold */
    double score = NAN;
    int64_t deadline = zclock_mono () + 20000;
    while (!(score > 75) && zclock_mono () < deadline) {
        score = s_health_now (w, NULL, NULL);
        if (!(score > 75))
            zclock_sleep (200); /* a short step between polls */
    }
    assert_true (score > 75);
    int64_t count0, count;
    bool active;
    s_health_now (w, &count0, &active);
    assert_false (active);
    bool done = false;
    int64_t before_id = s_last_emergency (w, &done);

    s_demo (w, "incident", "db_outage", NULL);
    deadline = zclock_mono () + 15000;
    do {
        score = s_health_now (w, &count, &active);
        if (count == count0)
            zclock_sleep (50); /* a short step between polls */
    } while (count == count0 && zclock_mono () < deadline);
    assert_int_equal (count, count0 + 1);
    assert_true (active);
    assert_true (score < 50);

    /*  A whole round of the emergency's remedies leaves it under 50. */
    int64_t round = 0;
    deadline = zclock_mono () + 30000;
    while (zclock_mono () < deadline) {
        round = s_last_emergency (w, &done);
        if (round > before_id && done)
            break;
        zclock_sleep (200); /* a short step between polls */
    }
    assert_true (round > before_id && done);
    score = s_health_now (w, NULL, &active);
    assert_true (active);
    assert_true (score < 50);

    /*  Cleared, the emergency ends above the threshold. */
    s_demo (w, "incident", "clear", NULL);
    deadline = zclock_mono () + 60000;
    do {
        score = s_health_now (w, NULL, &active);
        if (active)
            zclock_sleep (200); /* a short step between polls */
    } while (active && zclock_mono () < deadline);
    assert_false (active);

    /*  Its report: the last round's, brought up to the end. */
    static char out[1 << 20];
    round = s_last_emergency (w, &done);
    char id[32];
    snprintf (id, sizeof id, "%" PRId64, round);
    assert_int_equal (
        ht_ctl (&w->m, out, sizeof out, "report", id, "--json", NULL), 0);
    json_t *report = json_loads (out, 0, NULL);
    assert_non_null (report);
    json_t *em = json_object_get (report, "emergency");
    assert_true (json_is_true (json_object_get (em, "resolved")));
    assert_true (json_is_string (json_object_get (em, "ended")));
    double before
        = json_number_value (json_object_get (report, "health_before"));
    double after = json_number_value (json_object_get (report, "health_after"));
    assert_true (before < 50);
    assert_true (after >= 50);
    json_decref (report);
    assert_int_equal (ht_ctl (&w->m, out, sizeof out, "report", id, NULL), 0);
    assert_non_null (strstr (out, "resolved "));
    /*  status counts it */
    assert_int_equal (ht_ctl (&w->m, out, sizeof out, "status", NULL), 0);
    assert_non_null (strstr (out, "\nemergency  over: 1 so far, the last "
                                  "detected 20"));
}

/*  status as text shows what the README lists, with true figures:
    health and its categories, each KPI against its target, the agents
    by role, the last runs, learning, and the counters. */
static void
test_status_text (void **state)
{
    (void)state;
    static char out[1 << 16];
    assert_int_equal (ht_ctl (&s_shared.m, out, sizeof out, "status", NULL), 0);
    const char *want[] = {
        "\nhealth     ",
        " frontend ",
        " backend ",
        " business ",
        "\n  KPI ",
        " TARGET ",
        "\nagents     6: prometheus-frontend 1, prometheus-backend 1, "
        "hephaestus-frontend 1,\n           hephaestus-backend 1, "
        "athena-ux 1, athena-api 1\n",
        "\ncycles     ",
        "\nemergency  none so far\n",
        "\nlast runs\n",
        "\nlearning\n",
        "\n  aggressive_gc_tuning ",
        "\ncounters\n",
        "\n  samples    accepted ",
        " overhead ",
        "(tasks-socket messages that are not a task or its result)",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr (out, want[i]))
            fail_msg ("status lacks \"%s\":\n%s", want[i], out);
    /*  api_response_time against its target (200) and critical (1000) */
    const char *api = strstr (out, "\n  api_response_time ");
    assert_non_null (api);
    char row[256];
    snprintf (row, sizeof row, "%.*s", (int)strcspn (api + 1, "\n"), api + 1);
    assert_non_null (strstr (row, " p95 "));
    assert_non_null (strstr (row, " 200.0 "));
    assert_non_null (strstr (row, " 1000.0 "));
    /*  runs have finished: a figure, and the runs listed */
    assert_null (strstr (out, "nan"));
    assert_non_null (strstr (out, " optimization "));
    assert_null (strstr (out, "cycles done -"));
}

//  --------------------------------------------------------------------
//  Cases that need a swarm of their own

static void
test_cycle_without_verifiers_degrades (void **state)
{
    (void)state;
    s_world_t w;
    s_world_start (&w, false, NULL);
    json_t *report = s_cycle (&w);
    json_t *degraded = json_object_get (report, "degraded");
    assert_true (json_array_size (degraded) >= 1);
    bool named = false;
    size_t i;
    json_t *d;
    json_array_foreach (degraded, i, d) {
        named |= strstr (json_string_value (d), "athena") != NULL;
    }
    assert_true (named);
    /*  Unverified changes do not stay. */
    json_t *a;
    json_array_foreach (json_object_get (report, "actions"), i, a) {
        assert_string_equal (json_string_value (json_object_get (a, "verdict")),
                             "inconclusive");
        assert_string_equal (json_string_value (json_object_get (a, "outcome")),
                             "rolled_back");
    }
    json_decref (report);
    s_world_stop (&w);
}

/*  An incident that takes health under 50 starts the emergency protocol
    at once (its first task within a second of the crossing), the notify
    command gets the event as JSON, and emergency actions bring health
    back above the threshold. */
static void
test_incident_emergency (void **state)
{
    (void)state;
    s_world_t w;
    /*  What earlier cycles taught: the cache and the pool work, the gc
        tuning does not. (Without it, a first round, which acts before
        any baseline exists, may try the harmful action blind.) */
    s_world_start (&w, true,
                   "{\"version\": 1, \"actions\": {"
                   "\"enable_response_cache\": {\"successes\": 2, "
                   "\"failures\": 0, \"improvement\": 0.4, "
                   "\"measured\": 2},"
                   "\"tune_db_pool\": {\"successes\": 2, "
                   "\"failures\": 0, \"improvement\": 0.5, "
                   "\"measured\": 2},"
                   "\"aggressive_gc_tuning\": {\"successes\": 0, "
                   "\"failures\": 2, \"improvement\": -0.3, "
                   "\"measured\": 2}}}");
    char out[4096];
    const char *incident[]
        = { ht_bin ("helios-demo"), "-c", w.config, "incident",
            "db_slowdown",          NULL };
    assert_int_equal (ht_run (incident, 5000, out, sizeof out), 0);
    int64_t incident_ms = zclock_mono ();

    /*  The emergency starts ... */
    bool started = false;
    int64_t deadline = zclock_mono () + 15000;
    while (!started && zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (&w.m, "status", NULL);
        const hl_value_t *em = hl_value_get (
            hl_value_get (hl_msg_data (status), "cycle"), "emergency");
        started = hl_value_get_int (em, "count", 0) >= 1;
        if (started) {
            /*  ... and sends its first task within a second of the
                crossing that started it. */
            double ms = hl_value_get_double (em, "last_response_ms", 1e9);
            assert_true (ms >= 0 && ms < 1000);
        }
        hl_msg_destroy (&status);
        if (!started)
            zclock_sleep (20); /* a short step between polls */
    }
    assert_true (started);
    assert_true (zclock_mono () - incident_ms < 15000);

    /*  Health recovers: the emergency ends, above the threshold. */
    bool resolved = false;
    double score = 0;
    deadline = zclock_mono () + 90000;
    while (!resolved && zclock_mono () < deadline) {
        hl_msg_t *status = (hl_msg_t *)ht_request (&w.m, "status", NULL);
        const hl_value_t *data = hl_msg_data (status);
        const hl_value_t *em
            = hl_value_get (hl_value_get (data, "cycle"), "emergency");
        score = hl_value_get_double (hl_value_get (data, "health"), "score", 0);
        bool active = true;
        hl_value_bool (hl_value_get (em, "active"), &active);
        resolved = !active;
        hl_msg_destroy (&status);
        if (!resolved)
            zclock_sleep (200); /* a short step between polls */
    }
    assert_true (resolved);
    assert_true (score >= 50);

    /*  The emergency left a report with its actions kept, and the notify
        command heard it start and end. */
    assert_int_equal (ht_ctl (&w.m, out, sizeof out, "cycles", "--json", NULL),
                      0);
    json_t *list = json_loads (out, 0, NULL);
    assert_non_null (list);
    int emergencies = 0, kept = 0;
    size_t i;
    json_t *c;
    json_array_foreach (list, i, c) {
        if (streq (json_string_value (json_object_get (c, "kind")),
                   "emergency")) {
            emergencies++;
            kept += (int)json_integer_value (json_object_get (c, "kept"));
        }
    }
    json_decref (list);
    assert_true (emergencies >= 1);
    assert_true (kept >= 1);
    char path[400];
    snprintf (path, sizeof path, "%s/notify.json", w.notify_dir);
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char text[4096] = "";
    size_t n = fread (text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose (f);
    assert_non_null (strstr (text, "\"event\":\"emergency.started\""));
    assert_non_null (strstr (text, "\"event\":\"emergency.resolved\""));
    s_world_stop (&w);
}

int
main (void)
{
    /*  No per-case teardown here: ht_teardown would stop the shared
        swarm; the group's teardown stops it and checks for leftovers. */
    const struct CMUnitTest shared[] = {
        cmocka_unit_test (test_cycle_reports),
        cmocka_unit_test (test_cycle_keeps_improved),
        cmocka_unit_test (test_cycle_rolls_back_regressed),
        cmocka_unit_test (test_cycle_reports_on_disk),
        cmocka_unit_test (test_cycle_health_rises),
        cmocka_unit_test (test_analysis),
        cmocka_unit_test (test_strategic_plan),
        cmocka_unit_test (test_cycles_and_report),
        cmocka_unit_test (test_seed_kpis),
        cmocka_unit_test (test_status_text),
        /*  Last: it changes the world the others read. */
        cmocka_unit_test (test_outage_after_improvements),
    };
    const struct CMUnitTest own[] = {
        cmocka_unit_test_teardown (test_cycle_without_verifiers_degrades,
                                   ht_teardown),
        cmocka_unit_test_teardown (test_incident_emergency, ht_teardown),
    };
    int failed = cmocka_run_group_tests_name (
        "one swarm that ran cycles", shared, s_shared_start, s_shared_stop);
    return failed
           + cmocka_run_group_tests_name ("a swarm each", own, NULL, NULL);
}
