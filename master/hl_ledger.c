/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_ledger - the run engine's records in the store. See hl_ledger.h.
*/
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/hl_names.h"
#include "../proto/hl_msg.h"
#include "hl_decide.h"
#include "hl_ledger.h"
#include "hl_report.h"

uint64_t
hl_ledger_change_id (const hl_run_t *run, size_t i)
{
    return i < run->nacts && run->acts[i].record ? run->acts[i].record
                                                 : run->id * 1000 + i;
}

char *
hl_ledger_json (const hl_value_t *value)
{
    if (!value)
        return NULL;
    json_t *json = hl_value_to_json (value);
    char *text
        = json ? json_dumps (json, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (json);
    return text;
}

void
hl_ledger_run (hl_store_t *store, const hl_run_t *run)
{
    if (!store)
        return;
    char *summary = NULL;
    if (run->phase == HL_PHASE_DONE) {
        hl_value_t *value = hl_report_summary (run);
        summary = hl_ledger_json (value);
        hl_value_destroy (&value);
    }
    hl_store_run_t row
        = { run->id,           run->kind,        hl_phase_name (run->phase),
            run->who,          run->started_us,  run->finished_us,
            run->score_before, run->score_after, summary };
    hl_store_run (store, &row);
    free (summary);
}

void
hl_ledger_change (hl_store_t *store, const hl_run_t *run, size_t i,
                  hl_change_state_t state)
{
    if (!store || i >= run->nacts)
        return;
    const hl_act_t *act = &run->acts[i];
    uint64_t id = hl_ledger_change_id (run, i);
    hl_store_change_t row = {
        id,
        id / 1000, /* the run that made the change */
        act->action->name,
        act->reverse,
        state,
        act->apply_task,
        act->verify_task,
        act->undo_task,
        act->start_us,
        act->window_end_us,
        act->verdict != HL_VERDICT_NONE ? hl_verdict_name (act->verdict) : NULL,
        NULL,
        act->verify_json,
        hl_msg_now_us (),
    };
    hl_store_change (store, &row);
}

void
hl_ledger_task (hl_store_t *store, const hl_run_t *run, int act,
                uint64_t task_id, hl_task_kind_t kind, hl_role_id_t role,
                const char *status, bool ended)
{
    if (!store)
        return;
    bool has = act >= 0 && (size_t)act < run->nacts;
    int64_t now = hl_msg_now_us ();
    hl_store_task_t row = { task_id,
                            run->id,
                            has ? hl_ledger_change_id (run, (size_t)act) : 0,
                            hl_kind_name (kind),
                            hl_role_name (role),
                            has ? run->acts[act].action->name : NULL,
                            status,
                            now,
                            ended ? now : 0 };
    hl_store_task (store, &row);
}

static void
s_audit (hl_store_t *store, const hl_run_t *run, const char *action,
         const char *event, const char *why)
{
    hl_store_audit_t row = { hl_msg_now_us (),
                             run ? run->id : 0,
                             action,
                             event,
                             run && *run->who ? run->who : "master",
                             why };
    hl_store_audit (store, &row);
}

void
hl_ledger_audit (hl_store_t *store, const hl_run_t *run, const char *action,
                 const char *event, const char *fmt, ...)
{
    if (!store)
        return;
    char why[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (why, sizeof why, fmt, ap);
    va_end (ap);
    s_audit (store, run, action, event, why);
}

void
hl_ledger_plan (hl_store_t *store, const hl_run_t *run)
{
    if (!store)
        return;
    const hl_value_t *list = run->candidates;
    for (size_t i = 0; i < hl_value_size (list); i++) {
        const hl_value_t *c = hl_value_at (list, i);
        const char *action = hl_value_get_str (c, "action", "?");
        const hl_value_t *v = hl_value_get (c, "picked");
        bool picked = false;
        if (v)
            hl_value_bool (v, &picked);
        const char *reason = hl_value_get_str (c, "reason", "");
        char why[512];
        snprintf (why, sizeof why,
                  "%s: gain %.3g (p %.2f, expected %+.1f%%, impact %.3g, "
                  "cost %.3g)%s",
                  reason, hl_value_get_double (c, "gain", NAN),
                  hl_value_get_double (c, "p", NAN),
                  100 * hl_value_get_double (c, "expected", NAN),
                  hl_value_get_double (c, "impact", NAN),
                  hl_value_get_double (c, "cost", NAN),
                  run->emergency ? ", emergency" : "");
        s_audit (store, run, action, picked ? "chosen" : "skipped", why);
    }
}

void
hl_ledger_decided (hl_store_t *store, const hl_run_t *run, size_t i)
{
    if (!store || i >= run->nacts)
        return;
    const hl_act_t *act = &run->acts[i];
    double effect = hl_decide_improvement (act);
    char measured[48] = "no measurement";
    if (isfinite (effect))
        snprintf (measured, sizeof measured, "%+.1f%% measured", 100 * effect);
    const char *event = act->outcome == HL_OUTCOME_KEPT     ? "kept"
                        : act->outcome == HL_OUTCOME_FAILED ? "failed"
                                                            : "rolled_back";
    hl_ledger_audit (
        store, run, act->action->name, event, "%s%s%s, %s%s",
        act->verdict != HL_VERDICT_NONE ? hl_verdict_name (act->verdict)
                                        : "not verified",
        *act->culprit ? " on " : "", act->culprit, measured,
        act->reverse ? " (a recheck: measured by undoing it)" : "");
}
