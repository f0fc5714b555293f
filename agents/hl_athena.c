/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_athena - the Athena role (design §6): kind "verify" waits for a
    change to settle, collects each metric's kpi.<name> seconds from
    bus-out itself, and judges them against the baseline the master sent
    (docs/task-kinds.md). One SUB socket per role instance carries the
    subscriptions of every task in progress, counted by name. Each second
    of a metric counts once: the master publishes a second once, when it
    closes it, so another message for that second is a repeat.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hl_role.h"
#include "../bus/hl_bus.h"
#include "../bus/hl_log.h"
#include "../bus/hl_sock.h"
#include "../bus/hl_stats.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"
#include "../proto/hl_msg.h"

#define S_METRICS_MAX 32   //  metrics per task
#define S_POINTS_MAX 86400 //  baseline or collected points per metric
#define S_SECONDS_MAX 3600 //  settle_s and window_s
#define S_BATCH 64         //  messages read per wake-up
//  The master publishes a second once it has closed, 250 ms after it
//  ends, on its next tick: the window's last second shows up that late
#define S_GRACE_MS 2000

typedef enum { S_MEAN, S_P50, S_P95, S_MIN, S_MAX } s_stat_t;

static const char *const s_stat_names[]
    = { "mean", "p50", "p95", "min", "max", NULL };

typedef struct {
    char name[HL_MAX_METRIC + 1];
    bool better_lower;
    bool guard; //  judged for harm only (design §5a)
    s_stat_t stat;
    double *baseline; //  finite values, baseline_n of them
    size_t baseline_n;
    double *after; //  collected so far
    size_t after_n, after_max;
    uint8_t *seen;       //  a bit per second of the window, once it opens
    uint64_t duplicates; //  messages for a second already counted
} s_metric_t;

typedef struct _s_verify_t s_verify_t;
struct _s_verify_t {
    uint64_t task_id;
    char action[HL_MAX_NAME + 1];
    double alpha, min_effect;
    size_t min_n; //  points each side below which: inconclusive
    size_t settle_ms, window_ms;
    int64_t from_us, to_us; //  the window, wall clock; 0 while settling
    int timer_id;           //  settle, then window end
    s_metric_t *metrics;
    size_t metrics_n;
    s_verify_t *next; //  in the role's list
};

typedef struct {
    char name[HL_MAX_METRIC + 1];
    size_t refs; //  metrics of tasks in progress with this name
} s_sub_t;

typedef struct {
    hl_agent_t *agent;  //  borrowed, outlives the role
    zloop_t *loop;      //  the agent's
    zsock_t *sub;       //  to bus-out, made on the first task
    hl_limits_t limits; //  for every message read
    s_verify_t *tasks;  //  in progress
    s_sub_t *subs;      //  subscriptions held
    size_t subs_n, subs_max;
    uint64_t bad;        //  messages dropped as invalid
    uint64_t duplicates; //  repeated seconds ignored, all tasks
} s_athena_t;

//  ---------------------------------------------------------------------
//  Subscriptions, one per name however many tasks want it

static void
s_topic (const char *name, char *topic, size_t size)
{
    snprintf (topic, size, "kpi.%s", name);
}

static void
s_subscribe (s_athena_t *self, const char *name)
{
    for (size_t i = 0; i < self->subs_n; i++)
        if (streq (self->subs[i].name, name)) {
            self->subs[i].refs++;
            return;
        }
    if (self->subs_n == self->subs_max) {
        self->subs_max = self->subs_max ? self->subs_max * 2 : 16;
        self->subs = (s_sub_t *)hl_realloc (
            self->subs, self->subs_max * sizeof *self->subs);
    }
    s_sub_t *sub = &self->subs[self->subs_n++];
    snprintf (sub->name, sizeof sub->name, "%s", name);
    sub->refs = 1;
    char topic[HL_MAX_TOPIC + 1];
    s_topic (name, topic, sizeof topic);
    zsock_set_subscribe (self->sub, topic);
}

static void
s_unsubscribe (s_athena_t *self, const char *name)
{
    for (size_t i = 0; i < self->subs_n; i++)
        if (streq (self->subs[i].name, name)) {
            if (--self->subs[i].refs > 0)
                return;
            char topic[HL_MAX_TOPIC + 1];
            s_topic (name, topic, sizeof topic);
            zsock_set_unsubscribe (self->sub, topic);
            self->subs[i] = self->subs[--self->subs_n];
            return;
        }
}

//  ---------------------------------------------------------------------
//  Tasks in progress

static void
s_verify_destroy (s_verify_t **self_p)
{
    s_verify_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->metrics_n; i++) {
        free (self->metrics[i].baseline);
        free (self->metrics[i].after);
        free (self->metrics[i].seen);
    }
    free (self->metrics);
    free (self);
    *self_p = NULL;
}

//  Take a task out of the role: its timer, subscriptions and list entry
static void
s_detach (s_athena_t *self, s_verify_t *verify)
{
    if (verify->timer_id)
        zloop_timer_end (self->loop, verify->timer_id);
    verify->timer_id = 0;
    for (size_t i = 0; i < verify->metrics_n; i++)
        s_unsubscribe (self, verify->metrics[i].name);
    for (s_verify_t **p = &self->tasks; *p; p = &(*p)->next)
        if (*p == verify) {
            *p = verify->next;
            break;
        }
}

static s_verify_t *
s_find_id (s_athena_t *self, uint64_t task_id)
{
    for (s_verify_t *v = self->tasks; v; v = v->next)
        if (v->task_id == task_id)
            return v;
    return NULL;
}

//  Timer ids are not reused, and a timer ended in this pass may still
//  fire once: look the task up rather than trust a pointer
static s_verify_t *
s_find_timer (s_athena_t *self, int timer_id)
{
    for (s_verify_t *v = self->tasks; v; v = v->next)
        if (v->timer_id == timer_id)
            return v;
    return NULL;
}

static void
s_set_number (hl_value_t *map, const char *key, double value)
{
    if (isfinite (value))
        hl_value_set_double (map, key, value);
    else {
        hl_value_t *nil = hl_value_new_nil ();
        hl_value_set (map, key, &nil);
    }
}

static hl_value_t *
s_judge (const s_verify_t *verify, hl_verdict_t *overall)
{
    bool any[HL_VERDICT_REGRESSED + 1] = { false };
    hl_value_t *list = hl_value_new_array ();
    for (size_t i = 0; i < verify->metrics_n; i++) {
        const s_metric_t *m = &verify->metrics[i];
        hl_stats_verdict_t v;
        hl_stats_verdict (m->baseline, m->baseline_n, m->after, m->after_n,
                          m->better_lower, verify->alpha, verify->min_effect,
                          verify->min_n, &v);
        //  A guard is judged for harm only
        if (!m->guard || v.verdict == HL_VERDICT_REGRESSED)
            any[v.verdict] = true;
        //  An empty side has no shift or test to speak of
        bool both = m->baseline_n > 0 && m->after_n > 0;
        hl_value_t *out = hl_value_new_map ();
        hl_value_set_str (out, "name", m->name);
        hl_value_set_str (out, "verdict", hl_verdict_name (v.verdict));
        if (m->guard)
            hl_value_set_bool (out, "guard", true);
        s_set_number (out, "p_value", both ? v.p_value : NAN);
        s_set_number (out, "shift", both ? v.shift : NAN);
        s_set_number (out, "ci_low", both ? v.ci_low : NAN);
        s_set_number (out, "ci_high", both ? v.ci_high : NAN);
        s_set_number (out, "effect", both ? v.relative : NAN);
        hl_value_set_int (out, "n_before", (int64_t)m->baseline_n);
        hl_value_set_int (out, "n_after", (int64_t)m->after_n);
        hl_value_set_int (out, "duplicates", (int64_t)m->duplicates);
        s_set_number (out, "median_before",
                      hl_stats_median (m->baseline, m->baseline_n));
        s_set_number (out, "median_after",
                      hl_stats_median (m->after, m->after_n));
        hl_value_append (list, &out);
    }
    *overall = any[HL_VERDICT_REGRESSED]      ? HL_VERDICT_REGRESSED
               : any[HL_VERDICT_IMPROVED]     ? HL_VERDICT_IMPROVED
               : any[HL_VERDICT_INCONCLUSIVE] ? HL_VERDICT_INCONCLUSIVE
                                              : HL_VERDICT_UNCHANGED;
    return list;
}

static int
s_on_window_end (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    s_athena_t *self = (s_athena_t *)arg;
    s_verify_t *verify = s_find_timer (self, timer_id);
    if (!verify)
        return 0;
    verify->timer_id = 0;
    for (size_t i = 0; i < verify->metrics_n; i++)
        if (verify->metrics[i].duplicates)
            hl_log_notice ("%s: verify %llu: %llu repeated seconds of %s "
                           "ignored (%llu since start)",
                           hl_agent_name (self->agent),
                           (unsigned long long)verify->task_id,
                           (unsigned long long)verify->metrics[i].duplicates,
                           verify->metrics[i].name,
                           (unsigned long long)self->duplicates);
    hl_verdict_t overall;
    hl_value_t *metrics = s_judge (verify, &overall);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "action", verify->action);
    hl_value_set_str (data, "verdict", hl_verdict_name (overall));
    hl_value_set (data, "metrics", &metrics);
    //  Out of the role first: completing starts the next queued task
    uint64_t task_id = verify->task_id;
    s_detach (self, verify);
    s_verify_destroy (&verify);
    hl_agent_complete (self->agent, task_id, HL_STATUS_OK, &data);
    return 0;
}

//  The second a kpi time falls in (times in a window are positive)
static int64_t
s_second (int64_t ts_us)
{
    return ts_us / 1000000;
}

//  Settled: the window opens now and closes window_s later, plus grace
static void
s_collect (s_athena_t *self, s_verify_t *verify)
{
    verify->from_us = hl_msg_now_us ();
    verify->to_us = verify->from_us + (int64_t)verify->window_ms * 1000;
    //  A bit per second the window touches: window_s <= S_SECONDS_MAX
    size_t seconds
        = (size_t)(s_second (verify->to_us - 1) - s_second (verify->from_us))
          + 1;
    for (size_t i = 0; i < verify->metrics_n; i++)
        verify->metrics[i].seen = (uint8_t *)hl_calloc ((seconds + 7) / 8, 1);
    verify->timer_id = zloop_timer (self->loop, verify->window_ms + S_GRACE_MS,
                                    1, s_on_window_end, self);
}

static int
s_on_settled (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    s_athena_t *self = (s_athena_t *)arg;
    s_verify_t *verify = s_find_timer (self, timer_id);
    if (verify)
        s_collect (self, verify);
    return 0;
}

//  ---------------------------------------------------------------------
//  The bus

static bool
s_stat_of (const hl_msg_t *msg, s_stat_t stat, double *value)
{
    switch (stat) {
        case S_MEAN:
            *value = hl_msg_mean (msg);
            break;
        case S_P50:
            *value = hl_msg_p50 (msg);
            break;
        case S_P95:
            *value = hl_msg_p95 (msg);
            break;
        case S_MIN:
            *value = hl_msg_min (msg);
            break;
        case S_MAX:
            *value = hl_msg_max (msg);
            break;
    }
    return isfinite (*value);
}

//  Whether m has counted second (of the window starting at from_us)
//  already; marks it counted. The first message of a second wins: a
//  later one can neither add a point nor replace one, so that whoever
//  sends last cannot decide, and no point waits to be confirmed.
static bool
s_repeated (s_metric_t *m, int64_t from_us, int64_t ts_us)
{
    size_t bit = (size_t)(s_second (ts_us) - s_second (from_us));
    uint8_t mask = (uint8_t)(1u << (bit % 8));
    if (m->seen[bit / 8] & mask)
        return true;
    m->seen[bit / 8] |= mask;
    return false;
}

//  Give one kpi second to every task collecting that metric now
static void
s_on_kpi (s_athena_t *self, const hl_msg_t *msg)
{
    const char *name = hl_msg_name (msg);
    int64_t ts = hl_msg_sample_ts (msg);
    for (s_verify_t *v = self->tasks; v; v = v->next) {
        if (!v->from_us || ts < v->from_us || ts >= v->to_us)
            continue;
        for (size_t i = 0; i < v->metrics_n; i++) {
            s_metric_t *m = &v->metrics[i];
            double value;
            //  A subscription is a prefix: kpi.a also brings kpi.ab
            if (!streq (m->name, name))
                continue;
            if (s_repeated (m, v->from_us, ts)) {
                m->duplicates++;
                self->duplicates++;
                continue;
            }
            if (!s_stat_of (msg, m->stat, &value))
                continue;
            if (m->after_n == m->after_max) {
                if (m->after_max == S_POINTS_MAX)
                    continue;
                m->after_max = m->after_max ? m->after_max * 2 : 64;
                if (m->after_max > S_POINTS_MAX)
                    m->after_max = S_POINTS_MAX;
                m->after = (double *)hl_realloc (
                    m->after, m->after_max * sizeof *m->after);
            }
            m->after[m->after_n++] = value;
        }
    }
}

static int
s_on_sub (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    s_athena_t *self = (s_athena_t *)arg;
    //  hl_bus_recv blocks: read only what ZeroMQ says is there
    for (int i = 0; i < S_BATCH; i++) {
        if (i > 0 && !(zsock_events (reader) & ZMQ_POLLIN))
            break;
        hl_msg_t *msg = NULL;
        int rc = hl_bus_recv (reader, &self->limits, &msg, NULL);
        if (rc == HL_ERR_IO)
            break;
        if (rc == 0 && hl_msg_type (msg) != HL_MSG_KPI)
            rc = HL_ERR_TOPIC;
        if (rc != 0) {
            self->bad++;
            hl_log_debug ("%s: bad bus message dropped (%llu so far): %s",
                          hl_agent_name (self->agent),
                          (unsigned long long)self->bad, hl_strerror (rc));
        } else
            s_on_kpi (self, msg);
        hl_msg_destroy (&msg);
    }
    return 0;
}

static int
s_open (s_athena_t *self)
{
    if (self->sub)
        return 0;
    const hl_config_t *config = hl_agent_config (self->agent);
    const char *bus_out = hl_config_connect (config)->bus_out;
    hl_sock_opts_t opts;
    hl_sock_opts_from_config (hl_config_limits (config), &opts);
    //  hl_sock_subscriber without prefixes takes everything; start with
    //  none and subscribe per task instead
    self->sub = hl_sock_connect (ZMQ_SUB, bus_out, &opts, NULL);
    if (!self->sub)
        return -1;
    if (zloop_reader (self->loop, self->sub, s_on_sub, self) != 0) {
        zsock_destroy (&self->sub);
        return -1;
    }
    hl_log_info ("%s: collecting kpi from %s", hl_agent_name (self->agent),
                 bus_out);
    return 0;
}

//  ---------------------------------------------------------------------
//  Arguments

static int
s_number (const hl_value_t *value, double *out)
{
    return value && hl_value_double (value, out) == 0 && isfinite (*out) ? 0
                                                                         : -1;
}

//  A number in [min, max]; fallback when absent, or required if NAN
static int
s_get_number (const hl_value_t *args, const char *key, double min, double max,
              double fallback, double *out, char *why, size_t size)
{
    const hl_value_t *value = hl_value_get (args, key);
    *out = fallback;
    if (!value && !isnan (fallback))
        return 0;
    if (s_number (value, out) != 0 || *out < min || *out > max) {
        snprintf (why, size, "%s must be a number in %g..%g", key, min, max);
        return -1;
    }
    return 0;
}

static int
s_check_metric (const hl_value_t *item, size_t i, s_metric_t *m, char *why,
                size_t size)
{
    if (hl_value_type (item) != HL_VALUE_MAP) {
        snprintf (why, size, "metrics[%zu] must be a map", i);
        return -1;
    }
    size_t len = 0;
    const char *name = hl_value_str (hl_value_get (item, "name"), &len);
    //  The name ends up in a topic: "kpi." and the name must fit
    if (!name || len == 0 || len > HL_MAX_METRIC) {
        snprintf (why, size,
                  "metrics[%zu].name must be a string of 1..%d bytes", i,
                  HL_MAX_METRIC);
        return -1;
    }
    memcpy (m->name, name, len + 1);
    const char *better = hl_value_str (hl_value_get (item, "better"), NULL);
    if (!better || (!streq (better, "lower") && !streq (better, "higher"))) {
        snprintf (why, size, "metrics[%zu].better must be lower or higher", i);
        return -1;
    }
    m->better_lower = streq (better, "lower");
    const hl_value_t *guard = hl_value_get (item, "guard");
    if (guard && hl_value_bool (guard, &m->guard)) {
        snprintf (why, size, "metrics[%zu].guard must be a bool", i);
        return -1;
    }
    const hl_value_t *stat = hl_value_get (item, "stat");
    const char *stat_name = stat ? hl_value_str (stat, NULL) : "mean";
    int found = -1;
    for (int s = 0; stat_name && s_stat_names[s]; s++)
        if (streq (s_stat_names[s], stat_name))
            found = s;
    if (found < 0) {
        snprintf (why, size,
                  "metrics[%zu].stat must be one of mean, p50, p95, min, max",
                  i);
        return -1;
    }
    m->stat = (s_stat_t)found;
    const hl_value_t *baseline = hl_value_get (item, "baseline");
    size_t n = hl_value_size (baseline);
    if (!baseline || hl_value_type (baseline) != HL_VALUE_ARRAY
        || n > S_POINTS_MAX) {
        snprintf (why, size,
                  "metrics[%zu].baseline must be an array of at "
                  "most %d numbers",
                  i, S_POINTS_MAX);
        return -1;
    }
    m->baseline = (double *)hl_calloc (n, sizeof *m->baseline);
    for (size_t k = 0; k < n; k++)
        if (s_number (hl_value_at (baseline, k), &m->baseline[k]) != 0) {
            snprintf (why, size,
                      "metrics[%zu].baseline[%zu] must be a finite number", i,
                      k);
            return -1;
        }
    m->baseline_n = n;
    return 0;
}

//  A verify task from args, or NULL with the reason in why
static s_verify_t *
s_verify_new (const hl_value_t *args, uint64_t task_id, char *why, size_t size)
{
    s_verify_t *self = NULL;
    if (!args || hl_value_type (args) != HL_VALUE_MAP) {
        snprintf (why, size, "args must be a map");
        goto fail;
    }
    self = (s_verify_t *)hl_alloc (sizeof *self);
    self->task_id = task_id;
    size_t len = 0;
    const char *action = hl_value_str (hl_value_get (args, "action"), &len);
    if (!action || len == 0 || len > HL_MAX_NAME) {
        snprintf (why, size, "action must be a string of 1..%d bytes",
                  HL_MAX_NAME);
        goto fail;
    }
    memcpy (self->action, action, len + 1);
    double settle_s, window_s, min_n;
    if (s_get_number (args, "settle_s", 0, S_SECONDS_MAX, NAN, &settle_s, why,
                      size)
        || s_get_number (args, "window_s", 1, S_SECONDS_MAX, NAN, &window_s,
                         why, size)
        //  hl_stats_verdict's own ranges
        || s_get_number (args, "alpha", 1e-9, 0.5, HL_STATS_ALPHA, &self->alpha,
                         why, size)
        || s_get_number (args, "min_effect", 0, 1e9, HL_STATS_MIN_EFFECT,
                         &self->min_effect, why, size)
        || s_get_number (args, "min_n", 3, 86400, HL_STATS_MIN_N, &min_n, why,
                         size))
        goto fail;
    self->min_n = (size_t)min_n;
    self->settle_ms = (size_t)llround (settle_s * 1000);
    self->window_ms = (size_t)llround (window_s * 1000);

    const hl_value_t *list = hl_value_get (args, "metrics");
    size_t n = hl_value_size (list);
    if (!list || hl_value_type (list) != HL_VALUE_ARRAY || n == 0
        || n > S_METRICS_MAX) {
        snprintf (why, size, "metrics must be an array of 1..%d maps",
                  S_METRICS_MAX);
        goto fail;
    }
    self->metrics = (s_metric_t *)hl_calloc (n, sizeof *self->metrics);
    for (size_t i = 0; i < n; i++) {
        //  Counted first, so that a failure frees what it allocated
        self->metrics_n = i + 1;
        if (s_check_metric (hl_value_at (list, i), i, &self->metrics[i], why,
                            size))
            goto fail;
        for (size_t k = 0; k < i; k++)
            if (streq (self->metrics[k].name, self->metrics[i].name)) {
                snprintf (why, size, "metrics[%zu].name repeats metrics[%zu]",
                          i, k);
                goto fail;
            }
    }
    return self;
fail:
    s_verify_destroy (&self);
    return NULL;
}

//  ---------------------------------------------------------------------
//  The role

static int
s_new (hl_agent_t *agent, void **state_p)
{
    s_athena_t *self = (s_athena_t *)hl_alloc (sizeof *self);
    self->agent = agent;
    self->loop = hl_agent_loop (agent);
    self->limits = hl_config_limits (hl_agent_config (agent))->decode;
    hl_limits_lower (&self->limits);
    *state_p = self;
    return 0;
}

static void
s_destroy (void **state_p)
{
    s_athena_t *self = (s_athena_t *)*state_p;
    if (!self)
        return;
    while (self->tasks) {
        s_verify_t *verify = self->tasks;
        s_detach (self, verify);
        s_verify_destroy (&verify);
    }
    if (self->sub) {
        zloop_reader_end (self->loop, self->sub);
        zsock_destroy (&self->sub);
    }
    free (self->subs);
    free (self);
    *state_p = NULL;
}

static int
s_start (void *state, hl_agent_task_t *task)
{
    s_athena_t *self = (s_athena_t *)state;
    uint64_t task_id = hl_agent_task_id (task);
    hl_value_t *data = NULL;
    char why[160];
    s_verify_t *verify
        = s_verify_new (hl_agent_task_args (task), task_id, why, sizeof why);
    if (!verify) {
        data = hl_value_new_map ();
        hl_value_set_str (data, "error", why);
        hl_agent_complete (self->agent, task_id, HL_STATUS_REJECTED, &data);
        return 0;
    }
    if (s_open (self) != 0) {
        s_verify_destroy (&verify);
        data = hl_value_new_map ();
        hl_value_set_str (data, "error", "cannot subscribe to bus-out");
        hl_agent_complete (self->agent, task_id, HL_STATUS_FAILED, &data);
        return 0;
    }
    //  Subscribed from the start, so that the first second after settle
    //  is not lost to the subscription's trip to the proxy
    for (size_t i = 0; i < verify->metrics_n; i++)
        s_subscribe (self, verify->metrics[i].name);
    verify->next = self->tasks;
    self->tasks = verify;
    if (verify->settle_ms == 0)
        s_collect (self, verify);
    else
        verify->timer_id = zloop_timer (self->loop, verify->settle_ms, 1,
                                        s_on_settled, self);
    return 0;
}

static void
s_cancel (void *state, hl_agent_task_t *task)
{
    s_athena_t *self = (s_athena_t *)state;
    s_verify_t *verify = s_find_id (self, hl_agent_task_id (task));
    if (verify) {
        s_detach (self, verify);
        s_verify_destroy (&verify);
    }
}

const hl_role_t hl_athena_role = {
    .name = "athena",
    .kinds = HL_ROLE_KIND (HL_KIND_VERIFY),
    .new = s_new,
    .destroy = s_destroy,
    .start = s_start,
    .cancel = s_cancel,
};
