/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    bench_verdict - how often Athena's verdict (hl_stats_verdict with its
    default thresholds) is right, on synthetic before/after windows with
    known true effects: none, +-5%, +-15%, +-50% of the metric's level,
    normal noise with sd 10% of the level, 30 points a side (a 60 s verify
    window of per-second aggregates, half of them). Both directions.
    Prints the share of each verdict per effect, then the targets: a 15%+
    regression is never judged improved, and at least 95% of 15%+
    improvements are. Exits 1 if a target fails.

    Usage: bench_verdict [--windows N] [--points N] [--seed S]
*/
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../bus/hl_rand.h"
#include "../../bus/hl_stats.h"

#define S_LEVEL 100.0 //  the before level; any positive value will do
#define S_NOISE 0.10  //  noise sd as a share of each window's level
#define S_MAX_POINTS 100000
#define S_MAX_WINDOWS 10000000

static const double s_effects[] = { 0, -0.05, 0.05, -0.15, 0.15, -0.50, 0.50 };
#define S_EFFECTS (sizeof s_effects / sizeof s_effects[0])

//  Verdict counts per effect, indexed by hl_verdict_t
typedef struct {
    size_t counts[S_EFFECTS][HL_VERDICT_COUNT];
} s_table_t;

//  ---- deterministic noise ----------------------------------------------

static void
s_window (hl_rand_t *rng, double *out, size_t n, double level)
{
    for (size_t i = 0; i < n; i++)
        out[i] = level * (1 + S_NOISE * hl_rand_normal (rng));
}

//  ---- run ----------------------------------------------------------------

static void
s_run (s_table_t *table, bool better_lower, size_t windows, size_t points,
       uint64_t seed, double *before, double *after, double *seconds)
{
    memset (table, 0, sizeof *table);
    hl_rand_t rng;
    hl_rand_seed (&rng, seed ? seed : 1);
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    for (size_t e = 0; e < S_EFFECTS; e++)
        for (size_t w = 0; w < windows; w++) {
            s_window (&rng, before, points, S_LEVEL);
            s_window (&rng, after, points, S_LEVEL * (1 + s_effects[e]));
            hl_stats_verdict_t v;
            hl_stats_verdict (before, points, after, points, better_lower,
                              HL_STATS_ALPHA, HL_STATS_MIN_EFFECT,
                              HL_STATS_MIN_N, &v);
            table->counts[e][v.verdict]++;
        }
    clock_gettime (CLOCK_MONOTONIC, &t1);
    *seconds = (double)(t1.tv_sec - t0.tv_sec)
               + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static void
s_print (const s_table_t *table, bool better_lower, size_t windows)
{
    printf ("\n%s is better (%zu windows per effect)\n",
            better_lower ? "lower" : "higher", windows);
    printf ("  %-8s %10s %10s %10s %13s\n", "effect", "improved", "unchanged",
            "regressed", "inconclusive");
    for (size_t e = 0; e < S_EFFECTS; e++) {
        const size_t *c = table->counts[e];
        double d = (double)windows / 100;
        char label[16];
        if (s_effects[e] == 0)
            snprintf (label, sizeof label, "none");
        else
            snprintf (label, sizeof label, "%+.0f%%", 100 * s_effects[e]);
        printf ("  %-8s %9.1f%% %9.1f%% %9.1f%% %12.1f%%\n", label,
                (double)c[HL_VERDICT_IMPROVED] / d,
                (double)c[HL_VERDICT_UNCHANGED] / d,
                (double)c[HL_VERDICT_REGRESSED] / d,
                (double)c[HL_VERDICT_INCONCLUSIVE] / d);
    }
}

/*  The targets for one direction; prints a PASS or FAIL line for each
    and returns the number failed. */
static int
s_check (const s_table_t *table, bool better_lower, size_t windows)
{
    const char *dir = better_lower ? "lower" : "higher";
    size_t worse_improved = 0, better_total = 0, better_improved = 0;
    size_t none_wrong = 0;
    for (size_t e = 0; e < S_EFFECTS; e++) {
        double effect = better_lower ? -s_effects[e] : s_effects[e];
        const size_t *c = table->counts[e];
        if (effect <= -0.15)
            worse_improved += c[HL_VERDICT_IMPROVED];
        if (effect >= 0.15) {
            better_total += windows;
            better_improved += c[HL_VERDICT_IMPROVED];
        }
        if (s_effects[e] == 0)
            none_wrong = c[HL_VERDICT_IMPROVED] + c[HL_VERDICT_REGRESSED];
    }
    int failed = 0;
    bool ok = worse_improved == 0;
    printf ("%s %s-is-better: regressions of 15%%+ judged improved: %zu "
            "(target 0)\n",
            ok ? "PASS" : "FAIL", dir, worse_improved);
    failed += !ok;
    double share = 100.0 * (double)better_improved / (double)better_total;
    ok = share >= 95;
    printf ("%s %s-is-better: improvements of 15%%+ judged improved: "
            "%.1f%% (target >= 95%%)\n",
            ok ? "PASS" : "FAIL", dir, share);
    failed += !ok;
    //  Not a target: the false-alarm rate with no true change, for the
    //  record (bounded by alpha, less the min_effect gate)
    printf ("info %s-is-better: no change judged improved or regressed: "
            "%.1f%%\n",
            dir, 100.0 * (double)none_wrong / (double)windows);
    return failed;
}

static int
s_arg (const char *text, unsigned long long *value)
{
    char *end;
    errno = 0;
    *value = strtoull (text, &end, 10);
    return *text && !*end && *text != '-' && errno == 0 ? 0 : -1;
}

int
main (int argc, char *argv[])
{
    unsigned long long windows = 2000, points = 30, seed = 20260101;
    for (int i = 1; i < argc; i++) {
        unsigned long long *target = NULL;
        if (!strcmp (argv[i], "--windows"))
            target = &windows;
        else if (!strcmp (argv[i], "--points"))
            target = &points;
        else if (!strcmp (argv[i], "--seed"))
            target = &seed;
        if (!target || i + 1 == argc || s_arg (argv[++i], target)) {
            fprintf (stderr, "usage: bench_verdict [--windows N] "
                             "[--points N] [--seed S]\n");
            return 2;
        }
    }
    if (windows < 1 || windows > S_MAX_WINDOWS || points < 1
        || points > S_MAX_POINTS) {
        fprintf (stderr,
                 "bench_verdict: need 1 <= windows <= %d and "
                 "1 <= points <= %d\n",
                 S_MAX_WINDOWS, S_MAX_POINTS);
        return 2;
    }

    printf ("bench_verdict: %llu points a side, noise sd %.0f%% of level, "
            "alpha %.2f, min_effect %.2f, min_n %d, seed %llu\n",
            points, 100 * S_NOISE, HL_STATS_ALPHA, HL_STATS_MIN_EFFECT,
            HL_STATS_MIN_N, seed);
    double *before = calloc (points, sizeof *before);
    double *after = calloc (points, sizeof *after);
    if (!before || !after)
        abort ();
    int failed = 0;
    for (int lower = 1; lower >= 0; lower--) {
        s_table_t table;
        double seconds;
        s_run (&table, lower, windows, points, seed, before, after, &seconds);
        s_print (&table, lower, windows);
        printf ("  %.1f us per verdict\n",
                1e6 * seconds / (double)(windows * S_EFFECTS));
        failed += s_check (&table, lower, windows);
    }
    free (before);
    free (after);
    printf ("\nbench_verdict: %s\n", failed ? "FAIL" : "PASS");
    return failed ? 1 : 0;
}
