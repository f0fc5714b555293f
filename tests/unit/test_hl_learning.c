/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_learning - the per-action posterior on a hand-made config:
    exact posterior means and running improvements, the moments of 20,000
    Thompson draws against Beta(a, b)'s, seeded reproducibility and the
    very draws a seed gives, and the JSON file's round trip, refusals and
    atomic replace.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../master/hl_learning.h"
#include "../../proto/hl_err.h"

static char s_dir[] = "/tmp/hl_learning_test.XXXXXX";
static hl_config_t *s_config;

static const char s_cfg[]
    = "metrics = (\n"
      "  { name = \"lat\"; category = \"frontend\"; better = \"lower\";\n"
      "    target = 100.0; critical = 500.0; },\n"
      "  { name = \"api\"; category = \"backend\"; better = \"lower\";\n"
      "    target = 200.0; critical = 1000.0; }\n"
      ");\n"
      "actions = (\n"
      "  { name = \"cache\"; swarm = \"backend\"; improves = [ \"api\" ]; },\n"
      "  { name = \"lazy\"; swarm = \"frontend\"; improves = [ \"lat\" ]; }\n"
      ");\n";

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/learning.cfg", s_dir);
    FILE *file = fopen (path, "w");
    if (!file)
        return -1;
    fputs (s_cfg, file);
    fclose (file);
    s_config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!s_config)
        fprintf (stderr, "%s\n", err);
    return s_config ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    hl_config_destroy (&s_config);
    return rmdir (s_dir);
}

static void
s_near (double got, double want, double tolerance)
{
    if (!(fabs (got - want) <= tolerance))
        fail_msg ("got %.12g, want %.12g (+- %g)", got, want, tolerance);
}

static void
s_path (char *buf, size_t size, const char *name)
{
    snprintf (buf, size, "%s/%s", s_dir, name);
}

static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

//  Entries in s_dir other than . and ..
static int
s_dir_entries (void)
{
    DIR *dir = opendir (s_dir);
    assert_non_null (dir);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)))
        if (strcmp (entry->d_name, ".") && strcmp (entry->d_name, ".."))
            count++;
    closedir (dir);
    return count;
}

static void
test_posterior (void **state)
{
    (void)state;
    assert_null (hl_learning_new (NULL, 1));
    hl_learning_t *learning = hl_learning_new (s_config, 1);
    assert_non_null (learning);

    //  Nothing learned: Beta(1, 1), mean 1/2, no improvement
    assert_int_equal (hl_learning_outcomes (learning), 0);
    s_near (hl_learning_p (learning, "cache"), 0.5, 1e-12);
    assert_true (isnan (hl_learning_improvement (learning, "cache")));

    assert_int_equal (hl_learning_record (learning, "cache", true, 0.2), 0);
    assert_int_equal (hl_learning_record (learning, "cache", true, 0.4), 0);
    assert_int_equal (hl_learning_record (learning, "cache", false, -0.3), 0);
    assert_int_equal (hl_learning_record (learning, "cache", true, NAN), 0);
    //  (3 + 1) / (3 + 1 + 2); the NAN outcome counts but is not measured
    s_near (hl_learning_p (learning, "cache"), 4.0 / 6, 1e-12);
    s_near (hl_learning_improvement (learning, "cache"), 0.1, 1e-12);
    assert_int_equal (hl_learning_successes (learning, "cache"), 3);
    assert_int_equal (hl_learning_failures (learning, "cache"), 1);

    //  Outcomes with no measured improvement move only the counts
    assert_int_equal (hl_learning_record (learning, "lazy", false, NAN), 0);
    assert_int_equal (hl_learning_record (learning, "lazy", false, INFINITY),
                      0);
    s_near (hl_learning_p (learning, "lazy"), 1.0 / 4, 1e-12);
    assert_true (isnan (hl_learning_improvement (learning, "lazy")));
    assert_int_equal (hl_learning_outcomes (learning), 6);

    //  Unknown actions
    assert_int_equal (hl_learning_record (learning, "nope", true, 0.1), -1);
    assert_int_equal (hl_learning_record (learning, NULL, true, 0.1), -1);
    assert_int_equal (hl_learning_outcomes (learning), 6);
    s_near (hl_learning_p (learning, "nope"), 0.5, 1e-12);
    s_near (hl_learning_sample (learning, "nope"), 0.5, 1e-12);
    assert_true (isnan (hl_learning_improvement (learning, "nope")));
    assert_int_equal (hl_learning_successes (learning, "nope"), 0);

    //  The value tree
    hl_value_t *value = hl_learning_to_value (learning);
    assert_int_equal (hl_value_size (value), 2);
    assert_string_equal (hl_value_key_at (value, 0), "cache");
    const hl_value_t *cache = hl_value_get (value, "cache");
    assert_int_equal (hl_value_get_int (cache, "successes", -1), 3);
    assert_int_equal (hl_value_get_int (cache, "failures", -1), 1);
    assert_int_equal (hl_value_get_int (cache, "n", -1), 4);
    assert_int_equal (hl_value_get_int (cache, "measured", -1), 3);
    s_near (hl_value_get_double (cache, "p", -1), 4.0 / 6, 1e-12);
    s_near (hl_value_get_double (cache, "improvement", -1), 0.1, 1e-12);
    const hl_value_t *lazy = hl_value_get (value, "lazy");
    assert_int_equal (hl_value_type (hl_value_get (lazy, "improvement")),
                      HL_VALUE_NIL);
    hl_value_destroy (&value);

    hl_learning_destroy (&learning);
    assert_null (learning);
    hl_learning_destroy (&learning);
}

//  Draws from Beta(a, b) after a - 1 successes and b - 1 failures have
//  Beta's mean a / (a + b) and variance ab / ((a + b)^2 (a + b + 1)).
//  Tolerances are about six standard errors of 20,000 draws.
static void
test_moments (void **state)
{
    (void)state;
    static const int shapes[][2]
        = { { 1, 1 }, { 3, 5 }, { 21, 11 }, { 2, 40 }, { 300, 100 } };
    const int draws = 20000;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        int a = shapes[k][0], b = shapes[k][1];
        hl_learning_t *learning = hl_learning_new (s_config, 42 + k);
        for (int i = 1; i < a; i++)
            hl_learning_record (learning, "cache", true, NAN);
        for (int i = 1; i < b; i++)
            hl_learning_record (learning, "cache", false, NAN);
        double sum = 0, sum2 = 0;
        for (int i = 0; i < draws; i++) {
            double x = hl_learning_sample (learning, "cache");
            assert_true (x > 0 && x < 1);
            sum += x;
            sum2 += x * x;
        }
        double mean = sum / draws;
        double var = (sum2 - draws * mean * mean) / (draws - 1);
        double want_mean = (double)a / (a + b);
        double want_var
            = (double)a * b / ((double)(a + b) * (a + b) * (a + b + 1));
        s_near (mean, want_mean, 6 * sqrt (want_var / draws));
        //  The variance of a sample variance is about 2 var^2 / n for
        //  these near-normal shapes; 6 of those, and uniform's fatter 0.8
        s_near (var, want_var, 6 * sqrt (2.0 / draws) * want_var);
        hl_learning_destroy (&learning);
    }
}

static void
test_seed (void **state)
{
    (void)state;
    hl_learning_t *one = hl_learning_new (s_config, 7);
    hl_learning_t *two = hl_learning_new (s_config, 7);
    hl_learning_t *other = hl_learning_new (s_config, 8);
    hl_learning_t *clock = hl_learning_new (s_config, 0);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        double x = hl_learning_sample (one, "cache");
        assert_true (x == hl_learning_sample (two, "cache"));
        if (x != hl_learning_sample (other, "cache"))
            differ++;
        double y = hl_learning_sample (clock, "lazy");
        assert_true (y > 0 && y < 1);
    }
    assert_int_equal (differ, 100);
    hl_learning_destroy (&one);
    hl_learning_destroy (&two);
    hl_learning_destroy (&other);
    hl_learning_destroy (&clock);
}

/*  The draws a seed gives, as learning's own generator gave them before
    it moved to bus/hl_rand: a replayed run must replay its plans. */
static void
test_draws_pinned (void **state)
{
    (void)state;
    static const double want[][2] = {
        { 0.53913929404682448, 0.43235085324603834 },
        { 0.89041701831855979, 0.42650370608617211 },
        { 0.58274714118377191, 0.018194720952175981 },
        { 0.33004376244636924, 0.04940355976413803 },
    };
    hl_learning_t *learning = hl_learning_new (s_config, 42);
    assert_int_equal (hl_learning_record (learning, "cache", true, 0.2), 0);
    assert_int_equal (hl_learning_record (learning, "cache", true, 0.3), 0);
    assert_int_equal (hl_learning_record (learning, "cache", false, NAN), 0);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        s_near (hl_learning_sample (learning, "cache"), want[i][0], 1e-12);
        s_near (hl_learning_sample (learning, "lazy"), want[i][1], 1e-12);
    }
    hl_learning_destroy (&learning);
}

static void
test_round_trip (void **state)
{
    (void)state;
    char path[256];
    s_path (path, sizeof path, "learning.json");
    hl_learning_t *learning = hl_learning_new (s_config, 1);
    hl_learning_record (learning, "cache", true, 0.25);
    hl_learning_record (learning, "cache", true, 1.0 / 3);
    hl_learning_record (learning, "cache", false, NAN);
    hl_learning_record (learning, "lazy", false, NAN);
    assert_int_equal (hl_learning_save (learning, path), 0);
    //  Saved again over the old file: the temp file is renamed away
    assert_int_equal (hl_learning_save (learning, path), 0);
    assert_int_equal (s_dir_entries (), 1);

    hl_learning_t *restored = hl_learning_new (s_config, 2);
    assert_int_equal (hl_learning_load (restored, path), 0);
    hl_value_t *want = hl_learning_to_value (learning);
    hl_value_t *got = hl_learning_to_value (restored);
    assert_true (hl_value_eq (want, got));
    hl_value_destroy (&got);
    //  The running mean goes on from where it was saved
    hl_learning_record (learning, "cache", true, 0.5);
    hl_learning_record (restored, "cache", true, 0.5);
    s_near (hl_learning_improvement (restored, "cache"),
            hl_learning_improvement (learning, "cache"), 1e-15);
    hl_value_destroy (&want);

    //  A missing file is nothing learned yet, and changes nothing
    char missing[256];
    s_path (missing, sizeof missing, "missing.json");
    want = hl_learning_to_value (restored);
    assert_int_equal (hl_learning_load (restored, missing), 0);
    got = hl_learning_to_value (restored);
    assert_true (hl_value_eq (want, got));
    hl_value_destroy (&got);
    hl_value_destroy (&want);

    //  A folder that does not exist cannot be saved into
    char nowhere[256];
    s_path (nowhere, sizeof nowhere, "no/such/learning.json");
    assert_int_equal (hl_learning_save (learning, nowhere), HL_ERR_IO);
    assert_int_equal (s_dir_entries (), 1);

    unlink (path);
    hl_learning_destroy (&learning);
    hl_learning_destroy (&restored);
}

//  Entries for actions no longer configured are skipped; the others load
static void
test_unknown_entries (void **state)
{
    (void)state;
    char path[256];
    s_path (path, sizeof path, "old.json");
    s_write (path, "{\"version\": 3, \"actions\": {\n"
                   "  \"gone\": {\"successes\": 9, \"failures\": 9},\n"
                   "  \"lazy\": {\"successes\": 2, \"failures\": 1,\n"
                   "            \"improvement\": 0.5, \"measured\": 2}}}\n");
    hl_learning_t *learning = hl_learning_new (s_config, 1);
    assert_int_equal (hl_learning_load (learning, path), 0);
    s_near (hl_learning_p (learning, "lazy"), 3.0 / 5, 1e-12);
    s_near (hl_learning_improvement (learning, "lazy"), 0.5, 1e-12);
    s_near (hl_learning_p (learning, "cache"), 0.5, 1e-12);
    hl_learning_record (learning, "lazy", true, 0.2);
    s_near (hl_learning_improvement (learning, "lazy"), 0.4, 1e-12);
    unlink (path);
    hl_learning_destroy (&learning);
}

static void
test_corrupt (void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "not json",
        "{\"version\": 1, \"actions\": {\"cache\": {\"successes\": 1,",
        "[]",
        "{\"actions\": {}}",
        "{\"version\": 4, \"actions\": {}}", /* from a newer Helios */
        "{\"version\": 2, \"actions\": {\"cache\": {\"successes\": 1, "
        "\"failures\": 0, \"quarantine\": {\"until\": -5, \"repeats\": 1}}}}",
        "{\"version\": 2, \"actions\": {\"cache\": {\"successes\": 1, "
        "\"failures\": 0, \"effects\": {\"api\": {\"n\": 2, \"m2\": 0.1}}}}}",
        "{\"version\": 2, \"actions\": {\"cache\": {\"successes\": 1, "
        "\"failures\": 0, \"effects\": {\"api\": {\"n\": 1, "
        "\"measured_mean\": 0.1, \"m2\": -1}}}}}",
        "{\"version\": 2, \"actions\": {\"cache\": {\"successes\": 1, "
        "\"failures\": 0, \"solo\": 1}}}",
        "{\"version\": 1, \"actions\": []}",
        "{\"version\": 1, \"actions\": {\"cache\": 3}}",
        "{\"version\": 1, \"actions\": {\"cache\": {\"failures\": 1}}}",
        "{\"version\": 1, \"actions\": {\"cache\": {\"successes\": -1, "
        "\"failures\": 0}}}",
        "{\"version\": 1, \"actions\": {\"cache\": {\"successes\": \"1\", "
        "\"failures\": 0}}}",
        "{\"version\": 1, \"actions\": {\"cache\": {\"successes\": 1.5, "
        "\"failures\": 0}}}",
        "{\"version\": 1, \"actions\": {\"cache\": {\"successes\": 1, "
        "\"failures\": 0, \"improvement\": \"x\"}}}",
        "{\"version\": 1, \"actions\": {\"cache\": {\"successes\": 1, "
        "\"failures\": 0, \"improvement\": 0.1, \"measured\": -2}}}",
        //  A good entry before a bad one must not be applied either
        "{\"version\": 1, \"actions\": {"
        "\"cache\": {\"successes\": 50, \"failures\": 0},"
        "\"lazy\": {\"successes\": 1}}}",
        //  Duplicate keys
        "{\"version\": 1, \"actions\": {"
        "\"cache\": {\"successes\": 5, \"failures\": 0},"
        "\"cache\": {\"successes\": 6, \"failures\": 0}}}",
    };
    char path[256];
    s_path (path, sizeof path, "bad.json");
    hl_learning_t *learning = hl_learning_new (s_config, 1);
    hl_learning_record (learning, "cache", true, 0.3);
    hl_learning_record (learning, "lazy", false, NAN);
    hl_value_t *before = hl_learning_to_value (learning);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_write (path, bad[i]);
        int rc = hl_learning_load (learning, path);
        if (rc != HL_ERR_MALFORMED)
            fail_msg ("case %zu: got %d, want HL_ERR_MALFORMED", i, rc);
        hl_value_t *after = hl_learning_to_value (learning);
        assert_true (hl_value_eq (before, after));
        hl_value_destroy (&after);
    }
    //  A folder in the file's place cannot be read
    unlink (path);
    s_path (path, sizeof path, "folder");
    assert_int_equal (mkdir (path, 0700), 0);
    assert_int_equal (hl_learning_load (learning, path), HL_ERR_IO);
    rmdir (path);
    hl_value_destroy (&before);
    hl_learning_destroy (&learning);
}

/*  The effect posterior: the config's expected (0.1 by default) worth
    prior_weight (3) observations, moved by every measurement. */
static void
test_effect (void **state)
{
    (void)state;
    hl_learning_t *learning = hl_learning_new (s_config, 7);
    double mean, sd;
    uint64_t n;
    assert_int_equal (
        hl_learning_effect_posterior (learning, "cache", "api", &mean, &sd, &n),
        0);
    s_near (mean, 0.1, 1e-12);
    assert_int_equal (n, 0);
    //  spread 0.1 per observation, three of them: sd of the mean 0.1/sqrt 3
    s_near (sd, 0.1 / sqrt (3), 1e-12);
    //  a target it does not have, an unknown action
    assert_int_equal (hl_learning_effect_posterior (learning, "cache", "lat",
                                                    NULL, NULL, NULL),
                      -1);
    assert_int_equal (hl_learning_effect (learning, "nope", "api", 0.1), -1);
    assert_true (isnan (hl_learning_effect_sample (learning, "x", "api", 0)));

    //  Measured harmful three times: the mean crosses below zero
    for (int i = 0; i < 3; i++)
        assert_int_equal (hl_learning_effect (learning, "cache", "api", -0.6),
                          0);
    assert_int_equal (hl_learning_effect (learning, "cache", "api", NAN), 0);
    hl_learning_effect_posterior (learning, "cache", "api", &mean, &sd, &n);
    assert_int_equal (n, 3);
    s_near (mean, (3 * 0.1 + 3 * -0.6) / 6, 1e-12);
    //  pooled: prior 3 x 0.01, no spread measured, disagreement
    //  3 x 3 / 6 x 0.7^2 = 0.735, over 6: var 0.1275, sd of mean sqrt/6
    s_near (sd, sqrt ((0.03 + 0.735) / 6 / 6), 1e-12);
    //  exploit is the mean; draws scatter around it
    s_near (hl_learning_effect_sample (learning, "cache", "api", true), mean,
            0);
    double sum = 0;
    for (int i = 0; i < 20000; i++)
        sum += hl_learning_effect_sample (learning, "cache", "api", false);
    s_near (sum / 20000, mean, 0.005);
    hl_learning_destroy (&learning);
}

static void
test_quarantine_solo_trials (void **state)
{
    (void)state;
    hl_learning_t *learning = hl_learning_new (s_config, 7);
    int64_t t0 = 1700000000LL * 1000000;
    int64_t day = 86400LL * 1000000;
    assert_int_equal (hl_learning_quarantined (learning, "cache", t0), 0);
    assert_int_equal (hl_learning_quarantine (learning, "cache", t0), t0 + day);
    assert_int_equal (hl_learning_quarantined (learning, "cache", t0 + 1),
                      t0 + day);
    assert_int_equal (hl_learning_quarantined (learning, "cache", t0 + day), 0);
    //  each repeat doubles
    assert_int_equal (hl_learning_quarantine (learning, "cache", t0 + day),
                      t0 + 3 * day);
    assert_int_equal (hl_learning_release (learning, "cache"), 0);
    assert_int_equal (hl_learning_quarantined (learning, "cache", t0 + day), 0);
    assert_int_equal (hl_learning_quarantine (learning, "cache", t0),
                      t0 + 4 * day);
    assert_int_equal (hl_learning_quarantine (learning, "nope", t0), 0);
    assert_int_equal (hl_learning_release (learning, "nope"), -1);

    assert_false (hl_learning_solo (learning, "lazy"));
    hl_learning_set_solo (learning, "lazy", true);
    assert_true (hl_learning_solo (learning, "lazy"));
    assert_int_equal (hl_learning_trials (learning, "lazy"), 0);
    hl_learning_tried (learning, "lazy");
    hl_learning_tried (learning, "lazy");
    assert_int_equal (hl_learning_trials (learning, "lazy"), 2);

    //  All of it survives a save and a load
    char path[256];
    s_path (path, sizeof path, "learning2.json");
    hl_learning_effect (learning, "cache", "api", 0.25);
    hl_learning_effect (learning, "cache", "api", 0.35);
    assert_int_equal (hl_learning_save (learning, path), 0);
    hl_learning_t *restored = hl_learning_new (s_config, 9);
    assert_int_equal (hl_learning_load (restored, path), 0);
    hl_value_t *want = hl_learning_to_value (learning);
    hl_value_t *got = hl_learning_to_value (restored);
    assert_true (hl_value_eq (want, got));
    hl_value_destroy (&want);
    hl_value_destroy (&got);
    assert_int_equal (hl_learning_quarantined (restored, "cache", t0),
                      t0 + 4 * day);
    assert_true (hl_learning_solo (restored, "lazy"));
    unlink (path);

    //  A version 1 file (before effects and quarantine) still loads
    s_write (path, "{\"version\": 1, \"actions\": {\"cache\": "
                   "{\"successes\": 2, \"failures\": 1, "
                   "\"improvement\": 0.2, \"measured\": 3}}}");
    hl_learning_t *old = hl_learning_new (s_config, 9);
    assert_int_equal (hl_learning_load (old, path), 0);
    assert_int_equal (hl_learning_successes (old, "cache"), 2);
    assert_int_equal (hl_learning_quarantined (old, "cache", t0), 0);
    //  ... without its improvement: measured by the old rule (the first
    //  metric alone), which could disagree with the verdicts
    assert_true (isnan (hl_learning_improvement (old, "cache")));
    unlink (path);
    //  So does a version 2 file
    s_write (path, "{\"version\": 2, \"actions\": {\"cache\": "
                   "{\"successes\": 1, \"failures\": 0, "
                   "\"improvement\": -0.99, \"measured\": 1}}}");
    assert_int_equal (hl_learning_load (old, path), 0);
    assert_int_equal (hl_learning_successes (old, "cache"), 1);
    assert_true (isnan (hl_learning_improvement (old, "cache")));
    unlink (path);
    hl_learning_destroy (&old);
    hl_learning_destroy (&restored);
    hl_learning_destroy (&learning);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_posterior),
        cmocka_unit_test (test_moments),
        cmocka_unit_test (test_seed),
        cmocka_unit_test (test_draws_pinned),
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_unknown_entries),
        cmocka_unit_test (test_corrupt),
        cmocka_unit_test (test_effect),
        cmocka_unit_test (test_quarantine_solo_trials),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
