/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_decide - what a verified change means: its verdict, from Athena's
    per-metric verdicts and the judge's log, and what learning takes from
    it. Shared by the cycle engine and bench_loop, so the benchmark
    measures the decisions the master makes.
*/
#include <czmq.h>
#include <math.h>

#include "../bus/hl_log.h"
#include "hl_decide.h"
#include "hl_report.h"

/*  improved <-> regressed; the rest as they are. */
static hl_verdict_t
s_turn (hl_verdict_t v)
{
    return v == HL_VERDICT_IMPROVED    ? HL_VERDICT_REGRESSED
           : v == HL_VERDICT_REGRESSED ? HL_VERDICT_IMPROVED
                                       : v;
}

/*  What one metric of act's verify says about the change under test. */
typedef struct {
    const char *name;
    bool guard;           /* the master's word, not Athena's */
    hl_verdict_t verdict; /* turned round for a recheck */
    double better;        /* relative effect, better = positive; NAN */
    bool implausible;     /* its verdict and its effect disagree */
} s_measure_t;

/*  The metric of act's verify m, read against what the master asked for
    (act->baseline: the metric's direction and whether it is a guard).
    -1 for a metric it did not ask for, which is ignored. A recheck
    measured the undo: what the undo made better, the change had made
    worse, and the other way round. */
static int
s_measure (const hl_act_t *act, const hl_value_t *m, s_measure_t *out)
{
    const char *name = hl_value_get_str (m, "name", NULL);
    const hl_value_t *asked = NULL;
    for (size_t i = 0; name && i < hl_value_size (act->baseline); i++) {
        const hl_value_t *b = hl_value_at (act->baseline, i);
        if (streq (hl_value_get_str (b, "name", ""), name))
            asked = b;
    }
    if (!asked)
        return -1;
    out->name = name;
    out->guard = false;
    hl_value_bool (hl_value_get (asked, "guard"), &out->guard);
    int parsed = hl_verdict_parse (hl_value_get_str (m, "verdict", NULL));
    out->verdict = parsed > 0 ? (hl_verdict_t)parsed : HL_VERDICT_INCONCLUSIVE;
    double effect = hl_value_get_double (m, "effect", NAN);
    bool lower = streq (hl_value_get_str (asked, "better", "lower"), "lower");
    out->better = lower ? -effect : effect;
    if (act->reverse) {
        out->verdict = s_turn (out->verdict);
        out->better = -out->better;
    }
    //  An improvement is a change for the better, a regression one for
    //  the worse: a verdict its own effect contradicts is no measurement
    out->implausible
        = (out->verdict == HL_VERDICT_IMPROVED && !(out->better > 0))
          || (out->verdict == HL_VERDICT_REGRESSED && !(out->better < 0));
    if (out->implausible)
        out->verdict = HL_VERDICT_INCONCLUSIVE;
    return 0;
}

bool
hl_decide_too_early (const hl_act_t *act, int64_t now)
{
    return act->window_end_us > 0 && now < act->window_end_us;
}

bool
hl_decide_refuse_early (hl_run_t *run, hl_act_t *act, const char *agent,
                        int64_t now)
{
    if (!hl_decide_too_early (act, now))
        return false;
    act->too_early = true;
    act->verdict = HL_VERDICT_INCONCLUSIVE;
    hl_run_degrade (run,
                    "%s: verify refused: %s answered %.1f s before its "
                    "window ended, too soon to be a measurement",
                    act->action->name, agent && *agent ? agent : "?",
                    (double)(act->window_end_us - now) / 1e6);
    return true;
}

void
hl_decide_verdict (const hl_judge_t *judge, hl_act_t *act, int64_t now)
{
    hl_verdict_t v = act->verdict ? act->verdict : HL_VERDICT_INCONCLUSIVE;
    const hl_value_t *list = hl_value_get (act->verify, "metrics");
    if (act->verify) {
        hl_judge_metric_t ms[HL_RUN_MAX_ACTS];
        size_t n = 0;
        for (size_t i = 0; i < hl_value_size (list) && n < HL_RUN_MAX_ACTS;
             i++) {
            s_measure_t m;
            if (s_measure (act, hl_value_at (list, i), &m))
                continue;
            if (m.implausible) {
                act->implausible++;
                hl_log_warning ("%s: verify of %s: a verdict its effect "
                                "contradicts, taken as inconclusive",
                                act->action->name, m.name);
            }
            //  A guard that moved while another change aimed at it is
            //  that change's to answer for first; a wrong keep is caught
            //  by the recheck that confirms a first improvement
            if (m.guard && m.verdict == HL_VERDICT_REGRESSED
                && hl_judge_aimed (judge, m.name, act->action, act->start_us,
                                   now))
                m.verdict = HL_VERDICT_NONE;
            ms[n++] = (hl_judge_metric_t){ m.name, m.guard, m.verdict };
        }
        const char *culprit = NULL;
        v = hl_judge_metrics (ms, n, &culprit);
        if (culprit)
            snprintf (act->culprit, sizeof act->culprit, "%s", culprit);
    } else if (act->reverse)
        v = s_turn (v);
    bool touched = hl_judge_touched (judge, act->action, act->change,
                                     act->start_us, now);
    bool concurrent
        = hl_judge_concurrent (judge, act->action, act->start_us, now);
    act->verdict = hl_judge_attribute (v, touched, concurrent);
}

double
hl_decide_improvement (const hl_act_t *act)
{
    const hl_value_t *list = hl_value_get (act->verify, "metrics");
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < hl_value_size (list); i++) {
        s_measure_t m;
        if (s_measure (act, hl_value_at (list, i), &m) || !isfinite (m.better))
            continue;
        bool counts = act->verdict == HL_VERDICT_IMPROVED
                          ? !m.guard && m.verdict == HL_VERDICT_IMPROVED
                      : act->verdict == HL_VERDICT_REGRESSED
                          ? m.verdict == HL_VERDICT_REGRESSED
                          : !m.guard;
        if (counts) {
            sum += m.better;
            n++;
        }
    }
    return n ? sum / (double)n : NAN;
}

/*  What act teaches: a trial; a confounded one is to be retried alone
    and counts no further; otherwise every measured effect on a target,
    the outcome of a conclusive verdict, and a quarantine for a
    regression. */
void
hl_decide_learn (hl_learning_t *learning, const hl_config_t *config,
                 const hl_act_t *act, int64_t now)
{
    (void)config;
    const char *name = act->action->name;
    //  Cut short, or its verify refused: nothing was measured
    if (act->interrupted || act->too_early)
        return;
    hl_learning_tried (learning, name);
    bool confounded = act->verdict == HL_VERDICT_CONFOUNDED;
    hl_learning_set_solo (learning, name, confounded);
    const hl_value_t *list = hl_value_get (act->verify, "metrics");
    for (size_t i = 0; i < hl_value_size (list); i++) {
        s_measure_t m;
        if (s_measure (act, hl_value_at (list, i), &m) == 0 && !m.guard)
            hl_learning_effect (learning, name, m.name, m.better);
    }
    //  Every measured effect teaches, whatever the verdict; a confounded
    //  verdict counts neither for nor against the action
    if (confounded)
        return;
    if (act->verdict != HL_VERDICT_INCONCLUSIVE)
        hl_learning_record (learning, name, act->verdict == HL_VERDICT_IMPROVED,
                            hl_decide_improvement (act));
    if (act->verdict == HL_VERDICT_REGRESSED) {
        int64_t until = hl_learning_quarantine (learning, name, now);
        char when[40];
        hl_report_time (until, when, sizeof when);
        hl_log_notice ("%s regressed%s%s: quarantined until %s", name,
                       *act->culprit ? " on " : "", act->culprit, when);
    }
}
