/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_run - the run record: creation, destruction, degradation notes and
    the small questions asked of it.
*/
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "hl_run.h"

static const char *const s_phase_names[]
    = { "collect", "analyze", "prioritize", "apply", "settle",
        "verify",  "decide",  "report",     "done" };

hl_run_t *
hl_run_new (uint64_t id, const char *kind, int64_t now_us)
{
    hl_run_t *run = (hl_run_t *)hl_alloc (sizeof (hl_run_t));
    run->id = id;
    snprintf (run->kind, sizeof run->kind, "%s", kind ? kind : "");
    run->phase = HL_PHASE_COLLECT;
    run->started_us = now_us;
    run->score_before = run->score_after = NAN;
    run->degraded = hl_value_new_array ();
    return run;
}

void
hl_run_destroy (hl_run_t **run_p)
{
    hl_run_t *run = *run_p;
    if (!run)
        return;
    for (size_t i = 0; i < run->nacts; i++) {
        hl_value_destroy (&run->acts[i].baseline);
        hl_value_destroy (&run->acts[i].apply);
        hl_value_destroy (&run->acts[i].verify);
        hl_value_destroy (&run->acts[i].rollback);
        free (run->acts[i].verify_json);
    }
    hl_value_destroy (&run->health_before);
    hl_value_destroy (&run->health_after);
    hl_value_destroy (&run->degraded);
    hl_value_destroy (&run->analysis);
    hl_value_destroy (&run->candidates);
    hl_value_destroy (&run->plan);
    hl_value_destroy (&run->report);
    free (run);
    *run_p = NULL;
}

void
hl_run_degrade (hl_run_t *run, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    hl_log_notice ("%s %" PRIu64 ": degraded: %s", run->kind, run->id, text);
    hl_value_t *v = hl_value_new_str (text);
    hl_value_append (run->degraded, &v);
}

hl_act_t *
hl_run_add_act (hl_run_t *run, const hl_candidate_t *cand)
{
    if (run->nacts == HL_RUN_MAX_ACTS)
        return NULL;
    hl_act_t *act = &run->acts[run->nacts++];
    memset (act, 0, sizeof *act);
    act->action = cand->action;
    act->cand = *cand;
    return act;
}

size_t
hl_run_count (const hl_run_t *run, hl_outcome_t outcome)
{
    size_t n = 0;
    for (size_t i = 0; i < run->nacts; i++)
        n += run->acts[i].outcome == outcome;
    return n;
}

const char *
hl_phase_name (hl_phase_t phase)
{
    return (int)phase >= 0 && phase <= HL_PHASE_DONE ? s_phase_names[phase]
                                                     : "?";
}
