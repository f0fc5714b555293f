/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_report - the report value of a run, its Markdown page and its
    files. The value is built only from the run record (and the learning
    snapshot the engine passes), so a report says what the run saw.
*/
#include <czmq.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_report.h"

void
hl_report_time (int64_t us, char *buf, size_t size)
{
    time_t secs = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    int ms = (int)((us - (int64_t)secs * 1000000) / 1000);
    struct tm tm;
    if (!gmtime_r (&secs, &tm)) {
        snprintf (buf, size, "?");
        return;
    }
    char day[32];
    strftime (day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf, size, "%s.%03dZ", day, ms);
}

void
hl_report_score (double score, char *buf, size_t size)
{
    if (isfinite (score))
        snprintf (buf, size, "%.1f", score);
    else
        snprintf (buf, size, "-");
}

/*  An ISO time, or null for 0 (not yet). */
static hl_value_t *
s_time (int64_t us)
{
    if (!us)
        return hl_value_new_nil ();
    char text[40];
    hl_report_time (us, text, sizeof text);
    return hl_value_new_str (text);
}

static hl_value_t *
s_number (double d)
{
    return isfinite (d) ? hl_value_new_double (d) : hl_value_new_nil ();
}

/*  A copy of src's key, or null. */
static hl_value_t *
s_copy (const hl_value_t *src, const char *key)
{
    const hl_value_t *v = hl_value_get (src, key);
    return v ? hl_value_dup (v) : hl_value_new_nil ();
}

/*  Athena's per-metric figures under the report's names. */
static hl_value_t *
s_act_metrics (const hl_value_t *metrics)
{
    static const char *keys[][2]
        = { { "before", "median_before" }, { "after", "median_after" },
            { "shift", "shift" },          { "ci_low", "ci_low" },
            { "ci_high", "ci_high" },      { "p_value", "p_value" },
            { "effect", "effect" },        { "n_before", "n_before" },
            { "n_after", "n_after" },      { "verdict", "verdict" } };
    hl_value_t *list = hl_value_new_array ();
    for (size_t i = 0; i < hl_value_size (metrics); i++) {
        const hl_value_t *m = hl_value_at (metrics, i);
        hl_value_t *item = hl_value_new_map ();
        hl_value_set_str (item, "name", hl_value_get_str (m, "name", "?"));
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            hl_value_t *copy = s_copy (m, keys[k][1]);
            hl_value_set (item, keys[k][0], &copy);
        }
        hl_value_append (list, &item);
    }
    return list;
}

static hl_value_t *
s_act (const hl_act_t *act)
{
    hl_value_t *a = hl_value_new_map ();
    hl_value_set_str (a, "name", act->action->name);
    hl_value_set_str (a, "swarm", hl_swarm_name (act->action->swarm));
    hl_value_set_str (a, "verdict", hl_verdict_name (act->verdict));
    hl_value_set_str (
        a, "outcome",
        hl_outcome_name (act->outcome ? act->outcome : HL_OUTCOME_FAILED));
    if (*act->culprit)
        hl_value_set_str (a, "regressed_on", act->culprit);
    if (act->reverse)
        hl_value_set_bool (a, "recheck", true);
    hl_value_set_int (a, "urgency", act->cand.urgency);
    hl_value_set_double (a, "impact", act->cand.impact);
    hl_value_set_double (a, "cost", act->cand.cost);
    hl_value_set_double (a, "p_success", act->cand.p);
    hl_value_set_double (a, "gain", act->cand.gain);
    const hl_value_t *metrics = hl_value_get (act->verify, "metrics");
    const hl_value_t *first = hl_value_at (metrics, 0);
    hl_value_t *v = s_copy (first, "p_value");
    hl_value_set (a, "p_value", &v);
    v = s_copy (first, "effect");
    hl_value_set (a, "effect", &v);
    v = s_act_metrics (metrics);
    hl_value_set (a, "metrics", &v);
    if (act->apply) {
        v = hl_value_dup (act->apply);
        hl_value_set (a, "apply", &v);
    }
    if (act->rollback) {
        v = hl_value_dup (act->rollback);
        hl_value_set (a, "rollback", &v);
    }
    return a;
}

static hl_value_t *
s_emergency (const hl_run_emergency_t *em, int64_t finished_us)
{
    hl_value_t *e = hl_value_new_map ();
    hl_value_set_double (e, "threshold", em->threshold);
    hl_value_set_int (e, "max_issues", em->max_issues);
    hl_value_set_int (e, "round", em->round);
    hl_value_t *v = s_time (em->detected_us);
    hl_value_set (e, "detected", &v);
    v = s_time (em->first_task_us);
    hl_value_set (e, "first_task", &v);
    v = em->first_task_us ? hl_value_new_double (
            (double)(em->first_task_us - em->detected_us) / 1000.0)
                          : hl_value_new_nil ();
    hl_value_set (e, "response_ms", &v);
    hl_value_set_bool (e, "resolved", em->resolved);
    //  When the emergency ended: after its last round, or (a round that
    //  outlived it) by the time the round finished; null while it lasts
    v = s_time (em->ended_us ? em->ended_us : em->resolved ? finished_us : 0);
    hl_value_set (e, "ended", &v);
    return e;
}

/*  A copy of v, or an empty value made by fallback. */
static hl_value_t *
s_dup_or (const hl_value_t *v, hl_value_t *(*fallback) (void))
{
    return v ? hl_value_dup (v) : fallback ();
}

/*  The planner's explanation, its "until" times as ISO 8601. */
static hl_value_t *
s_candidates (const hl_value_t *explain)
{
    hl_value_t *list = explain ? hl_value_dup (explain) : hl_value_new_array ();
    for (size_t i = 0; i < hl_value_size (list); i++) {
        hl_value_t *c = (hl_value_t *)hl_value_at (list, i);
        int64_t until = hl_value_get_int (c, "until", 0);
        if (until) {
            hl_value_t *v = s_time (until);
            hl_value_set (c, "until", &v);
        }
    }
    return list;
}

hl_value_t *
hl_report_new (const hl_run_t *run, const char *src, const hl_value_t *learning)
{
    hl_value_t *r = hl_value_new_map ();
    hl_value_set_int (r, "id", (int64_t)run->id);
    hl_value_set_str (r, "kind", run->kind);
    hl_value_set_str (r, "master", src ? src : "");
    hl_value_t *v = s_time (run->started_us);
    hl_value_set (r, "started", &v);
    v = s_time (run->finished_us);
    hl_value_set (r, "finished", &v);
    v = s_number (run->score_before);
    hl_value_set (r, "health_before", &v);
    v = s_number (run->score_after);
    hl_value_set (r, "health_after", &v);
    v = hl_value_dup (run->degraded);
    hl_value_set (r, "degraded", &v);
    hl_value_set_double (r, "waited_s", (double)run->waited_us / 1e6);
    if (run->emergency) {
        v = s_emergency (&run->em, run->finished_us);
        hl_value_set (r, "emergency", &v);
    }
    hl_value_t *actions = hl_value_new_array ();
    for (size_t i = 0; i < run->nacts; i++) {
        v = s_act (&run->acts[i]);
        hl_value_append (actions, &v);
    }
    hl_value_set (r, "actions", &actions);
    v = s_dup_or (run->health_before, hl_value_new_map);
    hl_value_set (r, "health_detail_before", &v);
    v = s_dup_or (run->health_after, hl_value_new_map);
    hl_value_set (r, "health_detail_after", &v);
    v = s_dup_or (run->analysis, hl_value_new_map);
    hl_value_set (r, "analysis", &v);
    v = s_candidates (run->candidates);
    hl_value_set (r, "candidates", &v);
    v = s_dup_or (learning, hl_value_new_map);
    hl_value_set (r, "learning", &v);
    if (run->plan) {
        v = hl_value_dup (run->plan);
        hl_value_set (r, "plan", &v);
    }
    return r;
}

hl_value_t *
hl_report_summary (const hl_run_t *run)
{
    hl_value_t *s = hl_value_new_map ();
    hl_value_set_int (s, "id", (int64_t)run->id);
    hl_value_set_str (s, "kind", run->kind);
    hl_value_set_str (s, "phase", hl_phase_name (run->phase));
    hl_value_t *v = s_time (run->started_us);
    hl_value_set (s, "started", &v);
    v = s_time (run->finished_us);
    hl_value_set (s, "finished", &v);
    v = s_number (run->score_before);
    hl_value_set (s, "health_before", &v);
    v = s_number (run->score_after);
    hl_value_set (s, "health_after", &v);
    hl_value_set_int (s, "actions", (int64_t)run->nacts);
    hl_value_set_int (s, "kept", (int64_t)hl_run_count (run, HL_OUTCOME_KEPT));
    hl_value_set_int (s, "rolled_back",
                      (int64_t)hl_run_count (run, HL_OUTCOME_ROLLED_BACK));
    hl_value_set_int (s, "failed",
                      (int64_t)hl_run_count (run, HL_OUTCOME_FAILED));
    hl_value_set_int (s, "degraded", (int64_t)hl_value_size (run->degraded));
    return s;
}

/*  One line a person can follow: what was kept, what was undone. */
void
hl_report_log (const hl_run_t *run)
{
    char kept[512] = "", undone[512] = "";
    for (size_t i = 0; i < run->nacts; i++) {
        const hl_act_t *act = &run->acts[i];
        bool k = act->outcome == HL_OUTCOME_KEPT;
        char *list = k ? kept : undone;
        size_t used = strlen (list);
        const char *why = act->verdict ? hl_verdict_name (act->verdict)
                                       : hl_outcome_name (act->outcome);
        snprintf (list + used, 512 - used, "%s%s%s%s%s", used ? ", " : "",
                  act->action->name, k ? "" : " (", k ? "" : why, k ? "" : ")");
    }
    char before[16], after[16];
    hl_report_score (run->score_before, before, sizeof before);
    hl_report_score (run->score_after, after, sizeof after);
    hl_log_notice ("%s %" PRIu64 " %s: health %s -> %s; kept: %s; "
                   "rolled back or failed: %s%s",
                   run->kind, run->id, run->em.ended_us ? "resolved" : "done",
                   before, after, *kept ? kept : "none",
                   *undone ? undone : "none",
                   hl_value_size (run->degraded) ? "; degraded" : "");
}

//  --------------------------------------------------------------------
//  Markdown

static void s_md (zchunk_t *out, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_md (zchunk_t *out, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    if (n > 0)
        zchunk_extend (out, text,
                       (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

/*  A number with decimals, times scale, with a sign if signed, then
    suffix; "-" when missing or not finite. */
static void
s_md_number (zchunk_t *out, const hl_value_t *v, int decimals, bool sign,
             double scale, const char *suffix)
{
    double d;
    if (v && !hl_value_double (v, &d) && isfinite (d))
        s_md (out, sign ? "%+.*f%s" : "%.*f%s", decimals, d * scale, suffix);
    else
        s_md (out, "-");
}

static void
s_md_analysis (zchunk_t *out, const hl_value_t *analysis)
{
    static const char *const keys[]
        = { "trend_per_hour", "breach_in_s", "anomaly_z" };
    static const int decimals[] = { 2, 0, 1 };
    static const bool signs[] = { true, false, true };
    s_md (out, "## Analysis\n\n| metric | severity | trend/h | breach "
               "in s | anomaly z | recommended |\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < hl_value_size (analysis); i++) {
        const hl_value_t *ms
            = hl_value_get (hl_value_val_at (analysis, i), "metrics");
        for (size_t j = 0; j < hl_value_size (ms); j++) {
            const hl_value_t *m = hl_value_at (ms, j);
            s_md (out, "| %s | %s | ", hl_value_get_str (m, "name", "?"),
                  hl_value_get_str (m, "severity", "?"));
            for (size_t k = 0; k < 3; k++) {
                s_md_number (out, hl_value_get (m, keys[k]), decimals[k],
                             signs[k], 1, "");
                s_md (out, " | ");
            }
            const hl_value_t *recs = hl_value_get (m, "recommendations");
            for (size_t k = 0; k < hl_value_size (recs); k++)
                s_md (out, "%s%s", k ? ", " : "",
                      hl_value_str (hl_value_at (recs, k), NULL));
            s_md (out, " |\n");
        }
    }
    s_md (out, "\n");
}

/*  A plan's metric row: what the forecast says at the horizon, or why
    it says nothing there. */
static void
s_md_plan_metric (zchunk_t *out, const hl_value_t *m)
{
    const char *forecast = hl_value_get_str (m, "forecast", "trend");
    s_md (out, "| %s | ", hl_value_get_str (m, "name", "?"));
    s_md_number (out, hl_value_get (m, "trend_per_hour"), 2, true, 1, "");
    s_md (out, " | ");
    if (streq (forecast, "nodata"))
        s_md (out, "no data | - | -");
    else if (streq (forecast, "short_history"))
        s_md (out, "short history (%.0f s, reaches %.0f s) | - | -",
              hl_value_get_double (m, "history_s", 0),
              hl_value_get_double (m, "reach_s", 0));
    else {
        s_md_number (out, hl_value_get (m, "at_horizon"), 2, false, 1, "");
        s_md (out, " | ");
        s_md_number (out, hl_value_get (m, "low"), 2, false, 1, "");
        s_md (out, " .. ");
        s_md_number (out, hl_value_get (m, "high"), 2, false, 1, "");
        s_md (out, " | ");
        s_md_number (out, hl_value_get (m, "score_at_horizon"), 0, false, 1,
                     "");
    }
    s_md (out, " | ");
    s_md_number (out, hl_value_get (m, "breach_in_s"), 0, false, 1, "");
    s_md (out, " |\n");
}

static void
s_md_plan_scenario (zchunk_t *out, const char *name, const hl_value_t *sc)
{
    s_md (out, "### Scenario %s: health ", name);
    s_md_number (out, hl_value_get (sc, "health_at_horizon"), 1, false, 1, "");
    const hl_value_t *ms = hl_value_get (sc, "metrics");
    int64_t scored = hl_value_get_int (sc, "scored", -1);
    if (scored >= 0 && (size_t)scored < hl_value_size (ms))
        s_md (out,
              " (from %" PRId64 " of %zu metrics; %" PRId64
              " short history, %" PRId64 " no data)",
              scored, hl_value_size (ms),
              hl_value_get_int (sc, "short_history", 0),
              hl_value_get_int (sc, "nodata", 0));
    s_md (out, "\n\n");
    const char *note = hl_value_get_str (sc, "health_note", NULL);
    if (note)
        s_md (out, "No health at the horizon: %s.\n\n", note);
    s_md (out, "| metric | trend/h | at horizon | 95%% range | score | "
               "breach in s |\n|---|---|---|---|---|---|\n");
    for (size_t j = 0; j < hl_value_size (ms); j++)
        s_md_plan_metric (out, hl_value_at (ms, j));
    s_md (out, "\n");
}

/*  Each scenario's breaches, with what would help them. */
static void
s_md_plan_breaches (zchunk_t *out, const hl_value_t *scs)
{
    s_md (out, "\n### What would help each forecast breach\n\n");
    size_t shown = 0;
    for (size_t i = 0; i < hl_value_size (scs); i++) {
        const hl_value_t *bs
            = hl_value_get (hl_value_val_at (scs, i), "breaches");
        for (size_t j = 0; j < hl_value_size (bs); j++, shown++) {
            const hl_value_t *b = hl_value_at (bs, j);
            double in = hl_value_get_double (b, "breach_in_s", 0);
            s_md (out, "- %s: %s critical ", hl_value_key_at (scs, i),
                  hl_value_get_str (b, "metric", "?"));
            if (in > 0)
                s_md (out, "in %.0f s: ", in);
            else
                s_md (out, "now: ");
            const hl_value_t *as = hl_value_get (b, "actions");
            for (size_t k = 0; k < hl_value_size (as); k++) {
                const hl_value_t *a = hl_value_at (as, k);
                s_md (out, "%s%s (", k ? ", " : "",
                      hl_value_get_str (a, "action", "?"));
                if (hl_value_get_int (a, "rank", 0))
                    s_md (out, "roadmap step %" PRId64 ", ",
                          hl_value_get_int (a, "rank", 0));
                else
                    s_md (out, "%s, ", hl_value_get_str (a, "status", "?"));
                s_md (out, "learned p %.2f, expected %.0f%%)",
                      hl_value_get_double (a, "p_success", NAN),
                      100 * hl_value_get_double (a, "expected", NAN));
            }
            const char *note = hl_value_get_str (b, "note", NULL);
            if (note)
                s_md (out, "%s", note);
            const hl_value_t *ro = hl_value_get (b, "ruled_out");
            for (size_t k = 0; k < hl_value_size (ro); k++) {
                const hl_value_t *a = hl_value_at (ro, k);
                s_md (out, "%s%s (%s)", k ? ", " : "; ruled out: ",
                      hl_value_get_str (a, "action", "?"),
                      hl_value_get_str (a, "reason", "?"));
            }
            s_md (out, "\n");
        }
    }
    if (!shown)
        s_md (out, "None: no metric is forecast to reach its critical "
                   "level within the horizon, as far as its history "
                   "reaches.\n");
}

static void
s_md_plan (zchunk_t *out, const hl_value_t *plan)
{
    const hl_value_t *scs = hl_value_get (plan, "scenarios");
    s_md (out, "## Forecast to %" PRId64 " s from now\n\n",
          hl_value_get_int (plan, "horizon_s", 0));
    for (size_t i = 0; i < hl_value_size (scs); i++)
        s_md_plan_scenario (out, hl_value_key_at (scs, i),
                            hl_value_val_at (scs, i));
    const hl_value_t *road = hl_value_get (plan, "roadmap");
    s_md (out, "## Roadmap\n\n");
    if (!hl_value_size (road))
        s_md (out, "No action is a candidate now.\n");
    else
        s_md (out, "| # | action | swarm | p | expected health "
                   "|\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < hl_value_size (road); i++) {
        const hl_value_t *st = hl_value_at (road, i);
        s_md (out, "| %zu | %s | %s | ", i + 1,
              hl_value_get_str (st, "action", "?"),
              hl_value_get_str (st, "swarm", "?"));
        s_md_number (out, hl_value_get (st, "p_success"), 2, false, 1, "");
        s_md (out, " | ");
        s_md_number (out, hl_value_get (st, "expected_health"), 1, false, 1,
                     "");
        s_md (out, " |\n");
    }
    s_md_plan_breaches (out, scs);
}

/*  Why each action was picked or not. */
static void
s_md_candidates (zchunk_t *out, const hl_value_t *candidates)
{
    if (!hl_value_size (candidates))
        return;
    s_md (out, "\n### Candidates\n\n| action | picked | gain | why |\n"
               "|---|---|---|---|\n");
    for (size_t i = 0; i < hl_value_size (candidates); i++) {
        const hl_value_t *c = hl_value_at (candidates, i);
        bool picked = false;
        hl_value_bool (hl_value_get (c, "picked"), &picked);
        s_md (out, "| %s | %s | ", hl_value_get_str (c, "action", "?"),
              picked ? "yes" : "no");
        s_md_number (out, hl_value_get (c, "gain"), 3, false, 1, "");
        const char *until = hl_value_get_str (c, "until", NULL);
        bool explore = false;
        hl_value_bool (hl_value_get (c, "explore"), &explore);
        s_md (out, " | %s%s%s%s |\n", hl_value_get_str (c, "reason", "?"),
              until ? " until " : "", until ? until : "",
              explore && picked ? " (never tried: explored)" : "");
    }
}

static void
s_md_actions (zchunk_t *out, const hl_value_t *actions)
{
    s_md (out, "## Actions\n\n");
    if (!hl_value_size (actions)) {
        s_md (out, "None: no action was a candidate.\n");
        return;
    }
    s_md (out, "| action | swarm | verdict | outcome | p-value | effect "
               "|\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < hl_value_size (actions); i++) {
        const hl_value_t *a = hl_value_at (actions, i);
        const char *on = hl_value_get_str (a, "regressed_on", NULL);
        s_md (out, "| %s%s | %s | %s%s%s | %s | ",
              hl_value_get_str (a, "name", "?"),
              hl_value_get (a, "recheck") ? " (recheck)" : "",
              hl_value_get_str (a, "swarm", "?"),
              hl_value_get_str (a, "verdict", "?"), on ? " on " : "",
              on ? on : "", hl_value_get_str (a, "outcome", "?"));
        s_md_number (out, hl_value_get (a, "p_value"), 4, false, 1, "");
        s_md (out, " | ");
        s_md_number (out, hl_value_get (a, "effect"), 1, true, 100, "%");
        s_md (out, " |\n");
    }
    static const char *const keys[] = { "before", "after", "shift" };
    static const int decimals[] = { 2, 2, 2 };
    static const bool signs[] = { false, false, true };
    s_md (out, "\n### Metrics\n\n| action | metric | before | after | "
               "shift | verdict |\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < hl_value_size (actions); i++) {
        const hl_value_t *a = hl_value_at (actions, i);
        const hl_value_t *ms = hl_value_get (a, "metrics");
        for (size_t j = 0; j < hl_value_size (ms); j++) {
            const hl_value_t *m = hl_value_at (ms, j);
            s_md (out, "| %s | %s | ", hl_value_get_str (a, "name", "?"),
                  hl_value_get_str (m, "name", "?"));
            for (size_t k = 0; k < 3; k++) {
                s_md_number (out, hl_value_get (m, keys[k]), decimals[k],
                             signs[k], 1, "");
                s_md (out, " | ");
            }
            s_md (out, "%s |\n", hl_value_get_str (m, "verdict", "-"));
        }
    }
}

/*  "- emergency round 1 (threshold 50.0): first task 0.4 ms after
    detection (or: no remedy to send); resolved 2026-...Z, health after
    is the health then". */
static void
s_md_emergency (zchunk_t *out, const hl_value_t *em)
{
    s_md (out, "- emergency round %" PRId64 " (threshold ",
          hl_value_get_int (em, "round", 0));
    s_md_number (out, hl_value_get (em, "threshold"), 1, false, 1, "");
    const hl_value_t *ms = hl_value_get (em, "response_ms");
    if (ms && hl_value_type (ms) != HL_VALUE_NIL) {
        s_md (out, "): first task ");
        s_md_number (out, ms, 1, false, 1, " ms");
        s_md (out, " after detection; ");
    } else
        s_md (out, "): no remedy to send; ");
    const char *ended = hl_value_get_str (em, "ended", NULL);
    if (ended)
        s_md (out, "resolved %s, health after is the health then\n", ended);
    else
        s_md (out, "still in progress when this round finished\n");
}

char *
hl_report_markdown (const hl_value_t *r)
{
    zchunk_t *out = zchunk_new (NULL, 4096);
    s_md (out, "# Helios %s %" PRId64 "\n\n",
          hl_value_get_str (r, "kind", "run"), hl_value_get_int (r, "id", 0));
    s_md (out, "- health: ");
    s_md_number (out, hl_value_get (r, "health_before"), 1, false, 1, "");
    s_md (out, " before, ");
    s_md_number (out, hl_value_get (r, "health_after"), 1, false, 1, "");
    s_md (out, " after\n");
    s_md (out, "- started %s, finished %s (UTC)\n",
          hl_value_get_str (r, "started", "-"),
          hl_value_get_str (r, "finished", "-"));
    double waited = hl_value_get_double (r, "waited_s", 0);
    if (waited > 0)
        s_md (out,
              "- waited %.1f s for earlier changes to settle and a "
              "clean baseline\n",
              waited);
    const hl_value_t *em = hl_value_get (r, "emergency");
    if (em)
        s_md_emergency (out, em);
    s_md (out, "\n");
    const hl_value_t *degraded = hl_value_get (r, "degraded");
    if (hl_value_size (degraded)) {
        s_md (out, "## Degraded\n\n");
        for (size_t i = 0; i < hl_value_size (degraded); i++)
            s_md (out, "- %s\n",
                  hl_value_str (hl_value_at (degraded, i), NULL));
        s_md (out, "\n");
    }
    const hl_value_t *analysis = hl_value_get (r, "analysis");
    if (hl_value_size (analysis))
        s_md_analysis (out, analysis);
    const hl_value_t *plan = hl_value_get (r, "plan");
    if (plan)
        s_md_plan (out, plan);
    //  An analysis and a plan change nothing: no actions section
    if (!plan && strcmp (hl_value_get_str (r, "kind", ""), "analysis") != 0) {
        s_md_actions (out, hl_value_get (r, "actions"));
        s_md_candidates (out, hl_value_get (r, "candidates"));
    }
    char *text
        = hl_strndup ((const char *)zchunk_data (out), zchunk_size (out));
    zchunk_destroy (&out);
    return text;
}

//  --------------------------------------------------------------------
//  Files

static int
s_write_file (const char *path, const char *text)
{
    char tmp[4096];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    if (!f) {
        hl_log_warning ("report: cannot write %s: %s", tmp, strerror (errno));
        return -1;
    }
    bool ok = fputs (text, f) >= 0;
    ok = fclose (f) == 0 && ok;
    if (!ok || rename (tmp, path)) {
        hl_log_warning ("report: cannot write %s: %s", path, strerror (errno));
        remove (tmp);
        return -1;
    }
    return 0;
}

void
hl_report_paths (const char *dir, const hl_value_t *report, char *json_path,
                 char *md_path, size_t size)
{
    const char *kind = hl_value_get_str (report, "kind", "run");
    int64_t id = hl_value_get_int (report, "id", 0);
    snprintf (json_path, size, "%s/%s-%" PRId64 ".json", dir, kind, id);
    snprintf (md_path, size, "%s/%s-%" PRId64 ".md", dir, kind, id);
}

int
hl_report_save (const char *dir, const hl_value_t *report)
{
    char json_path[4096], md_path[4096];
    hl_report_paths (dir, report, json_path, md_path, sizeof json_path);
    int rc = 0;
    json_t *json = hl_value_to_json (report);
    char *text = json_dumps (json, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    json_decref (json);
    if (!text || s_write_file (json_path, text))
        rc = -1;
    free (text);
    char *md = hl_report_markdown (report);
    if (s_write_file (md_path, md))
        rc = -1;
    free (md);
    return rc;
}

hl_value_t *
hl_report_load (const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f) {
        hl_log_warning ("report: cannot read %s: %s", path, strerror (errno));
        return NULL;
    }
    json_error_t error;
    /*  A bounded read: jansson reads the stream itself, so the size is
        checked first. */
    hl_value_t *report = NULL;
    if (fseek (f, 0, SEEK_END) == 0 && ftell (f) >= 0
        && ftell (f) <= HL_REPORT_FILE_MAX && fseek (f, 0, SEEK_SET) == 0) {
        json_t *json = json_loadf (f, JSON_REJECT_DUPLICATES, &error);
        if (json_is_object (json))
            report = hl_value_from_json (json);
        json_decref (json);
    }
    fclose (f);
    if (!report || !hl_value_get (report, "id"))
        hl_log_warning ("report: %s is not a report", path);
    if (report && !hl_value_get (report, "id"))
        hl_value_destroy (&report);
    return report;
}
