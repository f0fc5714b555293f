/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_emergency - the protocol's state machine, its alerts and its
    notify command. Decisions are a pure function of the scores and the
    clock it is given, so its unit test drives it with explicit times.
*/
#include <czmq.h>
#include <math.h>

#include "../bus/hl_log.h"
#include "../bus/hl_spawn.h"
#include "../proto/hl_alloc.h"
#include "hl_emergency.h"
#include "hl_report.h"

#define S_NOTIFY_TIMEOUT_MS 60000 /* a notify command may run this long */
#define S_NOTIFY_GRACE_MS 1000    /* at shutdown, for those still running */

struct _hl_emergency_t {
    hl_emergency_deps_t deps;
    bool active;
    bool unresolved;            /* rounds spent, hold released */
    double threshold;           /* of the emergency in progress */
    int max_issues;             /* ditto */
    int rounds;                 /* rounds started in this one */
    int64_t detected_us;        /* when health crossed */
    int64_t next_round_us;      /* earliest next round */
    int64_t above_us;           /* back above since, or 0 */
    int64_t last_round_us;      /* when the last round ended */
    uint64_t count;             /* started since the master began */
    int64_t last_response_us;   /* detection to first task, last */
    int64_t last_first_task_us; /* when that first task was sent */
    zlistx_t *children;         /* notify commands running (hl_spawn_t) */
};

static void
s_child_free (void **item_p)
{
    hl_spawn_destroy ((hl_spawn_t **)item_p);
}

hl_emergency_t *
hl_emergency_new (const hl_emergency_deps_t *deps)
{
    hl_emergency_t *self = (hl_emergency_t *)hl_alloc (sizeof *self);
    self->deps = *deps;
    self->children = zlistx_new ();
    zlistx_set_destructor (self->children, s_child_free);
    return self;
}

void
hl_emergency_destroy (hl_emergency_t **self_p)
{
    hl_emergency_t *self = *self_p;
    if (!self)
        return;
    /*  A notify still running gets a moment to finish, then is stopped:
        shutting down must not wait on it. */
    int64_t deadline = zclock_mono () + S_NOTIFY_GRACE_MS;
    for (hl_spawn_t *child = (hl_spawn_t *)zlistx_first (self->children); child;
         child = (hl_spawn_t *)zlistx_next (self->children)) {
        int64_t left = deadline - zclock_mono ();
        hl_spawn_wait (child, left > 0 ? left : 0);
    }
    zlistx_destroy (&self->children);
    free (self);
    *self_p = NULL;
}

void
hl_emergency_score_text (double score, double threshold, char *buf, size_t size)
{
    if (!isfinite (score)) {
        snprintf (buf, size, "-");
        return;
    }
    for (int decimals = 1; decimals <= 6; decimals++) {
        snprintf (buf, size, "%.*f", decimals, score);
        if ((strtod (buf, NULL) < threshold) == (score < threshold))
            return;
    }
}

static void
s_start (hl_emergency_t *self, double score, double threshold, int max_issues,
         int64_t now_us, const char *why)
{
    self->active = true;
    self->unresolved = false;
    self->threshold = threshold;
    self->max_issues = max_issues;
    self->rounds = 0;
    self->above_us = 0;
    self->detected_us = now_us;
    self->next_round_us = now_us;
    self->last_round_us = 0;
    self->count++;
    char text[32];
    hl_emergency_score_text (score, threshold, text, sizeof text);
    hl_log_warning ("emergency: health %s < %.1f (%s)", text, threshold, why);
}

hl_emergency_step_t
hl_emergency_health (hl_emergency_t *self, double score, int64_t now_us,
                     bool round_running)
{
    if (!self->active) {
        const hl_config_emergency_t *ec
            = hl_config_emergency (self->deps.config);
        if (!isfinite (score) || score >= ec->threshold)
            return HL_EMERGENCY_NONE;
        s_start (self, score, ec->threshold, ec->max_issues, now_us, "health");
        return HL_EMERGENCY_STARTED;
    }
    if (isfinite (score) && score >= self->threshold) {
        if (!self->above_us)
            self->above_us = now_us;
        if (now_us - self->above_us < HL_EMERGENCY_CLEAR_US)
            return HL_EMERGENCY_NONE;
        self->active = false;
        char text[32];
        hl_emergency_score_text (score, self->threshold, text, sizeof text);
        hl_log_notice ("emergency resolved: health %s >= %.1f after %d "
                       "round(s)",
                       text, self->threshold, self->rounds);
        return HL_EMERGENCY_RESOLVED;
    }
    //  Below, or no score at all (the metrics went silent): the same as
    //  far as ending goes, so an emergency never waits forever for a
    //  score that does not come
    self->above_us = 0;
    if (round_running || self->unresolved)
        return HL_EMERGENCY_NONE;
    if (self->rounds < HL_EMERGENCY_ROUNDS)
        return now_us >= self->next_round_us ? HL_EMERGENCY_ROUND
                                             : HL_EMERGENCY_NONE;
    self->unresolved = true;
    char text[32];
    hl_emergency_score_text (score, self->threshold, text, sizeof text);
    hl_log_warning ("emergency unresolved after %d rounds: health %s; "
                    "normal cycles resume",
                    self->rounds, text);
    return HL_EMERGENCY_UNRESOLVED;
}

int
hl_emergency_request (hl_emergency_t *self, double score, double threshold,
                      int max_issues, int64_t now_us, char *error,
                      size_t errsize)
{
    if (!(threshold >= 0 && threshold <= 100) || max_issues < 1
        || max_issues > 100) {
        snprintf (error, errsize,
                  "run: emergency wants threshold 0..100 and max_issues "
                  "1..100");
        return -1;
    }
    if (self->active) {
        snprintf (error, errsize, "run: an emergency is in progress");
        return -1;
    }
    if (!isfinite (score)) {
        snprintf (error, errsize,
                  "run: no metric has data, so health has no score and an "
                  "emergency could never be seen to end");
        return -1;
    }
    s_start (self, score, threshold, max_issues, now_us, "requested");
    return 0;
}

void
hl_emergency_round (hl_emergency_t *self, hl_run_t *run)
{
    self->rounds++;
    run->emergency = true;
    run->em.threshold = self->threshold;
    run->em.max_issues = self->max_issues;
    run->em.round = self->rounds;
    run->em.detected_us = self->detected_us;
    //  What came before the emergency is no baseline: only the state
    //  since the previous round ended (since detection, for the first)
    run->em.baseline_us = self->last_round_us > self->detected_us
                              ? self->last_round_us
                              : self->detected_us;
    hl_log_notice ("emergency %" PRIu64 ": round %d", run->id, self->rounds);
}

void
hl_emergency_round_ended (hl_emergency_t *self, const hl_run_t *run,
                          int64_t now_us)
{
    (void)run;
    self->next_round_us = now_us + HL_EMERGENCY_GAP_US;
    self->last_round_us = now_us;
}

void
hl_emergency_first_task (hl_emergency_t *self, const hl_run_t *run,
                         int64_t sent_us)
{
    self->last_response_us = sent_us - run->em.detected_us;
    self->last_first_task_us = sent_us;
}

bool
hl_emergency_active (const hl_emergency_t *self)
{
    return self->active;
}

bool
hl_emergency_holding (const hl_emergency_t *self)
{
    return self->active && !self->unresolved;
}

//  --------------------------------------------------------------------
//  Telling the world

/*  alert.<severity> on the bus. */
static void
s_alert (hl_emergency_t *self, const char *severity, const char *text,
         hl_value_t **data_p)
{
    char topic[64];
    snprintf (topic, sizeof topic, "alert.%s", severity);
    if (!self->deps.publish
        || (self->deps.wants && !self->deps.wants (self->deps.arg, topic))) {
        hl_value_destroy (data_p);
        return;
    }
    hl_msg_t *msg = hl_msg_new (HL_MSG_ALERT);
    hl_msg_set_severity (msg, severity);
    hl_msg_set_text (msg, text);
    hl_msg_set_data (msg, data_p);
    self->deps.publish (self->deps.arg, &msg);
    hl_msg_destroy (&msg);
}

/*  Run the configured notify command with the event as JSON on its
    standard input, through hl_spawn (its own group, none of our
    descriptors, default signals); never waits for it: stepped and
    reaped by hl_emergency_reap. */
static void
s_notify (hl_emergency_t *self, const hl_value_t *event)
{
    const char *command = hl_config_emergency (self->deps.config)->notify;
    if (!*command)
        return;
    json_t *json = hl_value_to_json (event);
    char *text = json_dumps (json, JSON_COMPACT);
    json_decref (json);
    if (!text)
        return;
    hl_spawn_opts_t opts = { .command = command,
                             .input = text,
                             .input_size = strlen (text),
                             .timeout_ms = S_NOTIFY_TIMEOUT_MS,
                             .name = "notify" };
    char err[256];
    hl_spawn_t *child = hl_spawn_new (&opts, NULL, err, sizeof err);
    free (text);
    if (child)
        zlistx_add_end (self->children, child);
    else
        hl_log_warning ("emergency: cannot start notify: %s", err);
}

void
hl_emergency_announce (hl_emergency_t *self, hl_emergency_step_t step,
                       double score)
{
    const char *event, *severity;
    char text[128], shown[32];
    hl_emergency_score_text (score, self->threshold, shown, sizeof shown);
    switch (step) {
        case HL_EMERGENCY_STARTED:
            event = "emergency.started";
            severity = "critical";
            snprintf (text, sizeof text, "emergency: health %s below %.1f",
                      shown, self->threshold);
            break;
        case HL_EMERGENCY_UNRESOLVED:
            event = "emergency.unresolved";
            severity = "critical";
            snprintf (text, sizeof text,
                      "emergency unresolved: normal cycles resume");
            break;
        case HL_EMERGENCY_RESOLVED:
            event = "emergency.resolved";
            severity = "info";
            snprintf (text, sizeof text, "emergency resolved: health %s",
                      shown);
            break;
        default:
            return;
    }
    hl_value_t *e = hl_value_new_map ();
    hl_value_set_str (e, "event", event);
    hl_value_set_str (e, "master", self->deps.src ? self->deps.src : "");
    int64_t now = hl_msg_now_us ();
    char iso[40];
    hl_value_set_int (e, "time", now);
    hl_report_time (now, iso, sizeof iso);
    hl_value_set_str (e, "time_utc", iso);
    hl_value_set_double (e, "health", isfinite (score) ? score : 0);
    hl_value_set_double (e, "threshold", self->threshold);
    hl_value_set_int (e, "detected", self->detected_us);
    hl_report_time (self->detected_us, iso, sizeof iso);
    hl_value_set_str (e, "detected_utc", iso);
    hl_value_set_int (e, "rounds", self->rounds);
    s_notify (self, e);
    s_alert (self, severity, text, &e);
}

void
hl_emergency_reap (hl_emergency_t *self)
{
    hl_spawn_t *child = (hl_spawn_t *)zlistx_first (self->children);
    while (child) {
        if (hl_spawn_step (child) == HL_SPAWN_REAPED) {
            if (hl_spawn_exit_code (child) != 0)
                hl_log_warning ("emergency: notify ended with %d%s",
                                hl_spawn_exit_code (child),
                                hl_spawn_timed_out (child) ? " (timed out)"
                                                           : "");
            zlistx_delete (self->children, zlistx_cursor (self->children));
            child = (hl_spawn_t *)zlistx_first (self->children);
        } else
            child = (hl_spawn_t *)zlistx_next (self->children);
    }
}

hl_value_t *
hl_emergency_status (const hl_emergency_t *self)
{
    hl_value_t *em = hl_value_new_map ();
    hl_value_set_bool (em, "active", self->active);
    hl_value_set_int (em, "count", (int64_t)self->count);
    hl_value_set_int (em, "rounds", self->rounds);
    hl_value_set_int (em, "detected", self->detected_us);
    char iso[40];
    hl_report_time (self->detected_us, iso, sizeof iso);
    hl_value_t *v
        = self->detected_us ? hl_value_new_str (iso) : hl_value_new_nil ();
    hl_value_set (em, "detected_utc", &v);
    v = self->last_response_us
            ? hl_value_new_double ((double)self->last_response_us / 1000.0)
            : hl_value_new_nil ();
    hl_value_set (em, "last_response_ms", &v);
    v = self->last_first_task_us ? hl_value_new_int (self->last_first_task_us)
                                 : hl_value_new_nil ();
    hl_value_set (em, "first_task", &v);
    return em;
}
