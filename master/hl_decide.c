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

/*  Act's verdict: from Athena's metrics (guards for harm only), turned
    round for a recheck (undoing a good change makes things worse), then
    heard against the judge's log: confounded if another change touched
    its targets or resources during its window, or ran beside it while
    it regressed. */
/*  improved <-> regressed; the rest as they are. */
static hl_verdict_t
s_turn (hl_verdict_t v)
{
    return v == HL_VERDICT_IMPROVED    ? HL_VERDICT_REGRESSED
           : v == HL_VERDICT_REGRESSED ? HL_VERDICT_IMPROVED
                                       : v;
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
            const hl_value_t *m = hl_value_at (list, i);
            bool guard = false;
            hl_value_bool (hl_value_get (m, "guard"), &guard);
            int parsed
                = hl_verdict_parse (hl_value_get_str (m, "verdict", NULL));
            hl_verdict_t verdict
                = parsed > 0 ? (hl_verdict_t)parsed : HL_VERDICT_INCONCLUSIVE;
            //  A recheck measured the undo: what the undo made better,
            //  the change had made worse, and the other way round
            if (act->reverse)
                verdict = s_turn (verdict);
            //  A guard that moved while another change aimed at it is
            //  that change's to answer for first; a wrong keep is caught
            //  by the recheck that confirms a first improvement
            const char *name = hl_value_get_str (m, "name", "?");
            if (guard && verdict == HL_VERDICT_REGRESSED
                && hl_judge_aimed (judge, name, act->action, act->start_us,
                                   now))
                verdict = HL_VERDICT_NONE;
            ms[n++] = (hl_judge_metric_t){ name, guard, verdict };
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

/*  What act teaches: a trial; a confounded one is to be retried alone
    and counts no further; otherwise every measured effect on a target,
    the outcome of a conclusive verdict, and a quarantine for a
    regression. */
void
hl_decide_learn (hl_learning_t *learning, const hl_config_t *config,
                 const hl_act_t *act, int64_t now)
{
    const char *name = act->action->name;
    if (act->interrupted)
        return;
    hl_learning_tried (learning, name);
    bool confounded = act->verdict == HL_VERDICT_CONFOUNDED;
    hl_learning_set_solo (learning, name, confounded);
    double sign = act->reverse ? -1 : 1;
    const hl_value_t *list = hl_value_get (act->verify, "metrics");
    for (size_t i = 0; i < hl_value_size (list); i++) {
        const hl_value_t *m = hl_value_at (list, i);
        const char *metric = hl_value_get_str (m, "name", NULL);
        const hl_config_metric_t *cm = hl_config_metric_find (config, metric);
        double effect = hl_value_get_double (m, "effect", NAN);
        if (!cm || !isfinite (effect))
            continue;
        double better = cm->better == HL_BETTER_LOWER ? -effect : effect;
        hl_learning_effect (learning, name, metric, sign * better);
    }
    //  Every measured effect teaches, whatever the verdict; a confounded
    //  verdict counts neither for nor against the action
    if (confounded)
        return;
    if (act->verdict != HL_VERDICT_INCONCLUSIVE)
        hl_learning_record (learning, name, act->verdict == HL_VERDICT_IMPROVED,
                            sign * hl_act_improvement (act));
    if (act->verdict == HL_VERDICT_REGRESSED) {
        int64_t until = hl_learning_quarantine (learning, name, now);
        char when[40];
        hl_report_time (until, when, sizeof when);
        hl_log_notice ("%s regressed%s%s: quarantined until %s", name,
                       *act->culprit ? " on " : "", act->culprit, when);
    }
}
