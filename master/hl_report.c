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
    v = s_dup_or (run->candidates, hl_value_new_array);
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

/*  "| " then each cell of a row of numbers, then " |\n". */
static void
s_md_cells (zchunk_t *out, const hl_value_t *row, const char *const *keys,
            const int *decimals, const bool *signs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_md (out, i ? " | " : "");
        s_md_number (out, hl_value_get (row, keys[i]), decimals[i], signs[i], 1,
                     "");
    }
    s_md (out, " |\n");
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

static void
s_md_plan (zchunk_t *out, const hl_value_t *plan)
{
    static const char *const keys[]
        = { "trend_per_hour", "at_horizon", "score_at_horizon", "breach_in_s" };
    static const int decimals[] = { 2, 2, 0, 0 };
    static const bool signs[] = { true, false, false, false };
    const hl_value_t *scs = hl_value_get (plan, "scenarios");
    s_md (out, "## Forecast to %" PRId64 " s from now\n\n",
          hl_value_get_int (plan, "horizon_s", 0));
    for (size_t i = 0; i < hl_value_size (scs); i++) {
        const hl_value_t *sc = hl_value_val_at (scs, i);
        s_md (out, "### Scenario %s: health ", hl_value_key_at (scs, i));
        s_md_number (out, hl_value_get (sc, "health_at_horizon"), 1, false, 1,
                     "");
        s_md (out, "\n\n| metric | trend/h | at horizon | score | "
                   "breach in s |\n|---|---|---|---|---|\n");
        const hl_value_t *ms = hl_value_get (sc, "metrics");
        for (size_t j = 0; j < hl_value_size (ms); j++) {
            const hl_value_t *m = hl_value_at (ms, j);
            s_md (out, "| %s | ", hl_value_get_str (m, "name", "?"));
            s_md_cells (out, m, keys, decimals, signs, 4);
        }
        s_md (out, "\n");
    }
    const hl_value_t *road = hl_value_get (plan, "roadmap");
    s_md (out, "## Roadmap\n\n| # | action | swarm | p | expected "
               "health |\n|---|---|---|---|---|\n");
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
        s_md (out, "| %s | %s | %s | %s | ", hl_value_get_str (a, "name", "?"),
              hl_value_get_str (a, "swarm", "?"),
              hl_value_get_str (a, "verdict", "?"),
              hl_value_get_str (a, "outcome", "?"));
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
    if (!plan && strcmp (hl_value_get_str (r, "kind", ""), "analysis") != 0)
        s_md_actions (out, hl_value_get (r, "actions"));
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

int
hl_report_save (const char *dir, const hl_value_t *report)
{
    const char *kind = hl_value_get_str (report, "kind", "run");
    int64_t id = hl_value_get_int (report, "id", 0);
    char path[4096];
    int rc = 0;
    json_t *json = hl_value_to_json (report);
    char *text = json_dumps (json, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    json_decref (json);
    snprintf (path, sizeof path, "%s/%s-%" PRId64 ".json", dir, kind, id);
    if (!text || s_write_file (path, text))
        rc = -1;
    free (text);
    char *md = hl_report_markdown (report);
    snprintf (path, sizeof path, "%s/%s-%" PRId64 ".md", dir, kind, id);
    if (s_write_file (path, md))
        rc = -1;
    free (md);
    return rc;
}
