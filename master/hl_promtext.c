/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_promtext - the Prometheus text format 0.0.4 over the control API's
    answers. Names follow Prometheus' conventions: a helios_ prefix, base
    units (seconds, ratios, bytes), _total on counters and on nothing
    else, one HELP and TYPE per family with its samples together, label
    values escaped. `promtool check metrics` is run on the result in the
    tests.
*/
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/hl_alloc.h"
#include "hl_promtext.h"

typedef struct {
    FILE *out;
} s_writer_t;

/*  Label values may hold any text: escape \, " and newlines. */
static void
s_escaped (s_writer_t *w, const char *text)
{
    for (const char *c = text; *c; c++) {
        if (*c == '\\' || *c == '"')
            fprintf (w->out, "\\%c", *c);
        else if (*c == '\n')
            fputs ("\\n", w->out);
        else
            fputc (*c, w->out);
    }
}

static void
s_family (s_writer_t *w, const char *name, const char *type, const char *help)
{
    fprintf (w->out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_value (s_writer_t *w, double value)
{
    if (isnan (value))
        fputs (" NaN\n", w->out);
    else if (isinf (value))
        fputs (value > 0 ? " +Inf\n" : " -Inf\n", w->out);
    else if (value == floor (value) && fabs (value) < 1e15)
        fprintf (w->out, " %.0f\n", value);
    else
        fprintf (w->out, " %.10g\n", value);
}

/*  name{k1="v1",k2="v2"} value; labels are NULL-ended key, value pairs. */
static void
s_sample (s_writer_t *w, const char *name, double value, ...)
{
    fputs (name, w->out);
    va_list ap;
    va_start (ap, value);
    const char *key = va_arg (ap, const char *);
    if (key) {
        fputc ('{', w->out);
        for (bool first = true; key; key = va_arg (ap, const char *)) {
            const char *val = va_arg (ap, const char *);
            fprintf (w->out, "%s%s=\"", first ? "" : ",", key);
            s_escaped (w, val);
            fputc ('"', w->out);
            first = false;
        }
        fputc ('}', w->out);
    }
    va_end (ap);
    s_value (w, value);
}

/*  A number at key of map, or false if it is absent or null. */
static bool
s_num (const hl_value_t *map, const char *key, double *out)
{
    const hl_value_t *v = map ? hl_value_get (map, key) : NULL;
    return v && hl_value_double (v, out) == 0 && isfinite (*out);
}

/*  A one-sample family from map[key] times factor, if it is there. */
static void
s_one (s_writer_t *w, const hl_value_t *map, const char *key, double factor,
       const char *name, const char *type, const char *help)
{
    double v;
    if (!s_num (map, key, &v))
        return;
    s_family (w, name, type, help);
    s_sample (w, name, v * factor, NULL);
}

/*  A family labelled label=reason from a map of counts ("rejected_by"). */
static void
s_by (s_writer_t *w, const hl_value_t *map, const char *name, const char *label,
      const char *help)
{
    if (!map || hl_value_type (map) != HL_VALUE_MAP)
        return;
    s_family (w, name, "counter", help);
    for (size_t i = 0; i < hl_value_size (map); i++) {
        double v;
        if (hl_value_double (hl_value_val_at (map, i), &v) == 0)
            s_sample (w, name, v, label, hl_value_key_at (map, i), NULL);
    }
}

double
hl_promtext_unit (const char *unit, const char **suffix)
{
    static const struct {
        const char *unit;
        double factor;
        const char *suffix;
    } units[] = {
        { "s", 1, "seconds" },     { "ms", 1e-3, "seconds" },
        { "us", 1e-6, "seconds" }, { "ns", 1e-9, "seconds" },
        { "min", 60, "seconds" },  { "h", 3600, "seconds" },
        { "%", 0.01, "ratio" },    { "ratio", 1, "ratio" },
        { "bytes", 1, "bytes" },   { "B", 1, "bytes" },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (unit && strcmp (unit, units[i].unit) == 0) {
            *suffix = units[i].suffix;
            return units[i].factor;
        }
    *suffix = "";
    return 1;
}

//  --------------------------------------------------------------------
//  Sections

static void
s_health (s_writer_t *w, const hl_config_t *config, const hl_value_t *health)
{
    s_one (w, health, "score", 1, "helios_health_score", "gauge",
           "Overall health, 0-100 (absent while no metric has data).");
    s_family (w, "helios_health_target", "gauge",
              "The configured overall health target, 0-100.");
    s_sample (w, "helios_health_target", hl_config_health (config)->target,
              NULL);
    s_family (w, "helios_emergency_threshold", "gauge",
              "Health below this starts the emergency protocol.");
    s_sample (w, "helios_emergency_threshold",
              hl_config_emergency (config)->threshold, NULL);
    const hl_value_t *capped = hl_value_get (health, "capped");
    bool cap = false;
    if (capped && hl_value_bool (capped, &cap) == 0) {
        s_family (w, "helios_health_capped", "gauge",
                  "1 when a key metric at 0 caps the overall score.");
        s_sample (w, "helios_health_capped", cap, NULL);
    }
    const hl_value_t *cats = hl_value_get (health, "categories");
    if (cats && hl_value_size (cats)) {
        s_family (w, "helios_health_category_score", "gauge",
                  "Health of one category, 0-100.");
        for (size_t i = 0; i < hl_value_size (cats); i++) {
            double v;
            if (hl_value_double (hl_value_val_at (cats, i), &v) == 0
                && isfinite (v))
                s_sample (w, "helios_health_category_score", v, "category",
                          hl_value_key_at (cats, i), NULL);
        }
    }
    const hl_value_t *bottlenecks = hl_value_get (health, "bottlenecks");
    if (bottlenecks) {
        static const char *sev[] = { "critical", "high", "medium", "low" };
        s_family (w, "helios_bottlenecks", "gauge",
                  "Metrics under target now, by severity.");
        for (size_t s = 0; s < 4; s++) {
            int n = 0;
            for (size_t i = 0; i < hl_value_size (bottlenecks); i++)
                n += strcmp (hl_value_get_str (hl_value_at (bottlenecks, i),
                                               "severity", ""),
                             sev[s])
                     == 0;
            s_sample (w, "helios_bottlenecks", n, "severity", sev[s], NULL);
        }
    }
}

/*  Each configured KPI: score, value on its statistic, target and
    critical level, in base units, one family per unit kind. */
static void
s_kpis (s_writer_t *w, const hl_config_t *config, const hl_value_t *health)
{
    const hl_value_t *metrics = hl_value_get (health, "metrics");
    size_t n = hl_config_metrics_size (config);
    s_family (w, "helios_metric_score", "gauge",
              "Score of one KPI, 0-100 (absent without data).");
    for (size_t i = 0; i < n; i++) {
        const hl_config_metric_t *m = hl_config_metric (config, i);
        double v;
        if (s_num (hl_value_get (metrics, m->name), "score", &v))
            s_sample (w, "helios_metric_score", v, "metric", m->name, NULL);
    }
    s_family (w, "helios_metric_nodata", "gauge",
              "1 while a KPI has no samples in the health window.");
    for (size_t i = 0; i < n; i++) {
        const hl_config_metric_t *m = hl_config_metric (config, i);
        double v;
        bool has = s_num (hl_value_get (metrics, m->name), "value", &v);
        s_sample (w, "helios_metric_nodata", !has, "metric", m->name, NULL);
    }
    s_family (w, "helios_metric_samples", "gauge",
              "Samples of one KPI in the health window.");
    for (size_t i = 0; i < n; i++) {
        const hl_config_metric_t *m = hl_config_metric (config, i);
        double v;
        if (s_num (hl_value_get (metrics, m->name), "count", &v))
            s_sample (w, "helios_metric_samples", v, "metric", m->name, NULL);
    }
    static const char *kinds[] = { "seconds", "ratio", "" };
    static const char *what[][2]
        = { { "", "The KPI on its configured statistic over the window" },
            { "_target", "The KPI's target: a score of 100 at or better" },
            { "_critical", "The KPI's critical level: a score of 0" } };
    for (size_t k = 0; k < 3; k++)
        for (size_t f = 0; f < 3; f++) {
            char name[96], help[160];
            snprintf (name, sizeof name, "helios_kpi%s%s%s", what[f][0],
                      *kinds[k] ? "_" : "", kinds[k]);
            bool declared = false;
            for (size_t i = 0; i < n; i++) {
                const hl_config_metric_t *m = hl_config_metric (config, i);
                const char *suffix;
                double factor = hl_promtext_unit (m->unit, &suffix);
                if (strcmp (suffix, kinds[k]) != 0)
                    continue;
                double v;
                if (f == 0
                    && !s_num (hl_value_get (metrics, m->name), "value", &v))
                    continue;
                if (f == 1)
                    v = m->target;
                else if (f == 2)
                    v = m->critical;
                if (!declared) {
                    snprintf (help, sizeof help, "%s%s.", what[f][1],
                              *kinds[k] ? ", base units"
                                        : " (unit label: as configured)");
                    s_family (w, name, "gauge", help);
                    declared = true;
                }
                if (*kinds[k])
                    s_sample (w, name, v * factor, "metric", m->name, "stat",
                              m->stat, NULL);
                else
                    s_sample (w, name, v, "metric", m->name, "stat", m->stat,
                              "unit", m->unit, NULL);
            }
        }
}

static void
s_counters (s_writer_t *w, const hl_value_t *map, const char *const (*rows)[3],
            size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_one (w, map, rows[i][0], 1, rows[i][1], "counter", rows[i][2]);
}

static void
s_gauges (s_writer_t *w, const hl_value_t *map, const char *const (*rows)[3],
          size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_one (w, map, rows[i][0], 1, rows[i][1], "gauge", rows[i][2]);
}

#define S_ROWS(rows) rows, sizeof rows / sizeof rows[0]

static void
s_tasks (s_writer_t *w, const hl_value_t *tasks)
{
    static const char *const counters[][3] = {
        { "submitted", "helios_tasks_submitted_total", "Tasks submitted." },
        { "dispatched", "helios_tasks_dispatched_total",
          "Task attempts sent to an agent." },
        { "completed", "helios_tasks_completed_total",
          "Tasks ended with a result." },
        { "failed", "helios_tasks_failed_total", "Tasks that failed." },
        { "cancelled", "helios_tasks_cancelled_total", "Tasks cancelled." },
        { "retried", "helios_tasks_retried_total",
          "Task attempts retried on another agent." },
        { "late_results", "helios_task_late_results_total",
          "Results that came after their task had ended." },
        { "unknown_results", "helios_task_unknown_results_total",
          "Results for tasks the master does not know." },
        { "agents_joined", "helios_agents_joined_total", "Agents welcomed." },
        { "agents_left", "helios_agents_left_total", "Agents that said bye." },
        { "agents_expired", "helios_agents_expired_total",
          "Agents lost to missed heartbeats." },
        { "received", "helios_tasks_socket_messages_total",
          "Messages read on the tasks socket." },
    };
    static const char *const gauges[][3] = {
        { "queued", "helios_tasks_queued", "Tasks waiting for an agent." },
        { "delayed", "helios_tasks_delayed",
          "Tasks waiting out a retry backoff." },
        { "running", "helios_tasks_running", "Tasks at an agent now." },
        { "paused", "helios_dispatch_paused", "1 while dispatch is held." },
    };
    s_counters (w, tasks, S_ROWS (counters));
    s_gauges (w, tasks, S_ROWS (gauges));
    s_by (w, hl_value_get (tasks, "rejected_by"),
          "helios_tasks_socket_rejected_total", "reason",
          "Tasks-socket messages refused, by reason.");
}

/*  A socket's offender table (design §7): bans, dropped messages. */
static void
s_offenders (s_writer_t *w, const hl_value_t *offenders, const char *socket)
{
    char name[64], help[96];
    snprintf (name, sizeof name, "helios_%s_offender_bans_total", socket);
    snprintf (help, sizeof help, "Peers of the %s socket banned for errors.",
              socket);
    s_one (w, offenders, "bans", 1, name, "counter", help);
    snprintf (name, sizeof name, "helios_%s_offender_dropped_total", socket);
    snprintf (help, sizeof help, "Messages of banned %s peers dropped unread.",
              socket);
    s_one (w, offenders, "dropped", 1, name, "counter", help);
    snprintf (name, sizeof name, "helios_%s_offenders_banned", socket);
    snprintf (help, sizeof help, "Peers of the %s socket banned now.", socket);
    s_one (w, offenders, "banned", 1, name, "gauge", help);
}

static void
s_agents (s_writer_t *w, const hl_value_t *agents)
{
    if (!agents || hl_value_type (agents) != HL_VALUE_ARRAY)
        return;
    static const char *roles[]
        = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
            "hephaestus-backend",  "athena-ux",          "athena-api" };
    s_family (w, "helios_agents", "gauge", "Live agents, by role.");
    for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++) {
        int n = 0;
        for (size_t i = 0; i < hl_value_size (agents); i++)
            n += strcmp (hl_value_get_str (hl_value_at (agents, i), "role", ""),
                         roles[r])
                 == 0;
        s_sample (w, "helios_agents", n, "role", roles[r], NULL);
    }
    s_family (w, "helios_agent_inflight_tasks", "gauge",
              "Tasks running at one agent.");
    for (size_t i = 0; i < hl_value_size (agents); i++) {
        const hl_value_t *a = hl_value_at (agents, i);
        s_sample (w, "helios_agent_inflight_tasks",
                  hl_value_get_double (a, "inflight", 0), "agent",
                  hl_value_get_str (a, "name", ""), "role",
                  hl_value_get_str (a, "role", ""), NULL);
    }
}

static void
s_runs (s_writer_t *w, const hl_value_t *cycle)
{
    static const char *const counters[][3] = {
        { "started", "helios_runs_started_total",
          "Runs started (cycles, emergencies, analyses, plans)." },
        { "finished", "helios_runs_finished_total", "Runs finished." },
        { "degraded", "helios_runs_degraded_total",
          "Runs that finished with a degradation noted." },
    };
    s_counters (w, cycle, S_ROWS (counters));
    static const char *outcomes[] = { "kept", "rolled_back", "failed" };
    s_family (w, "helios_action_outcomes_total", "counter",
              "Actions of finished runs, by outcome.");
    for (size_t i = 0; i < 3; i++) {
        double v;
        if (s_num (cycle, outcomes[i], &v))
            s_sample (w, "helios_action_outcomes_total", v, "outcome",
                      outcomes[i], NULL);
    }
    s_family (w, "helios_rollbacks_total", "counter",
              "Changes rolled back after their verdict.");
    s_sample (w, "helios_rollbacks_total",
              hl_value_get_double (cycle, "rolled_back", 0), NULL);
    s_by (w, hl_value_get (cycle, "verdicts"), "helios_verdicts_total",
          "verdict", "Verdicts of finished runs' actions.");
    double next;
    if (s_num (cycle, "next_in_s", &next)) {
        s_family (w, "helios_cycle_next_seconds", "gauge",
                  "Seconds until the next scheduled cycle.");
        s_sample (w, "helios_cycle_next_seconds", next, NULL);
    }
    const hl_value_t *paused = hl_value_get (cycle, "paused");
    bool p;
    if (paused && hl_value_bool (paused, &p) == 0) {
        s_family (w, "helios_cycles_paused", "gauge",
                  "1 while the user has paused cycles.");
        s_sample (w, "helios_cycles_paused", p, NULL);
    }
    const hl_value_t *em = hl_value_get (cycle, "emergency");
    const hl_value_t *active = hl_value_get (em, "active");
    bool on;
    if (active && hl_value_bool (active, &on) == 0) {
        s_family (w, "helios_emergency_active", "gauge",
                  "1 while the emergency protocol runs.");
        s_sample (w, "helios_emergency_active", on, NULL);
    }
    s_one (w, em, "count", 1, "helios_emergencies_total", "counter",
           "Emergencies started.");
    s_one (w, em, "rounds", 1, "helios_emergency_rounds_total", "counter",
           "Emergency rounds run.");
}

static void
s_histogram (s_writer_t *w, const hl_value_t *hist)
{
    const hl_value_t *le = hl_value_get (hist, "le_s");
    const hl_value_t *counts = hl_value_get (hist, "counts");
    if (!le || !counts || hl_value_size (counts) != hl_value_size (le) + 1)
        return;
    const char *name = "helios_dispatch_latency_seconds";
    s_family (w, name, "histogram",
              "Wait of each task from submission to its first dispatch.");
    for (size_t i = 0; i < hl_value_size (counts); i++) {
        double c = 0, bound = INFINITY;
        hl_value_double (hl_value_at (counts, i), &c);
        if (i < hl_value_size (le))
            hl_value_double (hl_value_at (le, i), &bound);
        char label[32];
        if (isinf (bound))
            snprintf (label, sizeof label, "+Inf");
        else
            snprintf (label, sizeof label, "%g", bound);
        s_sample (w, "helios_dispatch_latency_seconds_bucket", c, "le", label,
                  NULL);
    }
    s_sample (w, "helios_dispatch_latency_seconds_sum",
              hl_value_get_double (hist, "sum_s", 0), NULL);
    s_sample (w, "helios_dispatch_latency_seconds_count",
              hl_value_get_double (hist, "count", 0), NULL);
}

/*  The seed's system-wide KPIs and orchestration figures. */
static void
s_seed (s_writer_t *w, const hl_value_t *status)
{
    const hl_value_t *kpis = hl_value_get (status, "kpis");
    const hl_value_t *orch = hl_value_get (status, "orchestration");
    s_one (w, kpis, "optimization_success_rate", 1,
           "helios_optimization_success_ratio", "gauge",
           "Actions kept of those judged.");
    s_one (w, kpis, "system_availability", 1,
           "helios_system_availability_ratio", "gauge",
           "Scored seconds at or above the emergency threshold.");
    s_one (w, kpis, "concurrent_optimization_efficiency", 1,
           "helios_concurrent_optimization_efficiency_ratio", "gauge",
           "Actions run beside others that did not fail.");
    s_one (w, orch, "cycle_completion_rate", 1, "helios_cycle_completion_ratio",
           "gauge", "Runs finished of runs started.");
    s_one (w, orch, "emergency_response_ms", 1e-3,
           "helios_emergency_response_seconds", "gauge",
           "The last emergency: health crossing to its first task sent.");
    s_one (w, orch, "overhead", 1, "helios_coordination_overhead_ratio",
           "gauge", "Tasks-socket messages that are not a task or result.");
    s_one (w, orch, "messages", 1, "helios_coordination_messages_total",
           "counter", "Messages sent and received on the tasks socket.");
    const hl_value_t *even = hl_value_get (orch, "evenness");
    const hl_value_t *by = hl_value_get (even, "by_role");
    if (by && hl_value_size (by)) {
        s_family (w, "helios_workload_evenness_ratio", "gauge",
                  "Jain's index of tasks done across a role's agents.");
        for (size_t i = 0; i < hl_value_size (by); i++) {
            double v;
            if (hl_value_double (hl_value_val_at (by, i), &v) == 0)
                s_sample (w, "helios_workload_evenness_ratio", v, "role",
                          hl_value_key_at (by, i), NULL);
        }
    }
    const hl_value_t *conflicts = hl_value_get (orch, "conflicts");
    s_one (w, conflicts, "occurred", 1, "helios_conflicts_total", "counter",
           "Actions started beside one sharing a resource or metric.");
    s_one (w, conflicts, "held_back", 1, "helios_conflicts_held_back_total",
           "counter", "Candidates the planner held back for a conflict.");
    s_histogram (w, hl_value_get (orch, "latency_histogram"));
}

static void
s_bus (s_writer_t *w, const hl_value_t *status)
{
    const hl_value_t *bus = hl_value_get (status, "bus");
    static const char *const counters[][3] = {
        { "received", "helios_bus_received_total",
          "Messages read from bus-in." },
        { "forwarded", "helios_bus_forwarded_total",
          "Messages sent on bus-out." },
        { "bytes", "helios_bus_forwarded_bytes_total",
          "Envelope bytes forwarded." },
        { "dropped", "helios_bus_dropped_total",
          "Valid messages dropped at a subscriber's high-water mark." },
        { "rejected", "helios_bus_rejected_total",
          "Invalid messages not forwarded." },
        { "intake", "helios_bus_intake_total",
          "Messages passed to the master's metric intake." },
        { "intake_dropped", "helios_bus_intake_dropped_total",
          "Valid messages dropped at the intake's high-water mark." },
        { "published", "helios_bus_published_total",
          "Messages the master put on the bus." },
        { "publish_failed", "helios_bus_publish_failed_total",
          "Messages the master's publisher refused." },
    };
    s_counters (w, bus, S_ROWS (counters));
    s_one (w, bus, "subscribers", 1, "helios_bus_subscriptions", "gauge",
           "Subscriptions open on bus-out.");
    s_by (w, hl_value_get (bus, "rejected_by"),
          "helios_bus_rejected_by_reason_total", "reason",
          "Invalid bus messages, by reason.");

    const hl_value_t *control = hl_value_get (status, "control");
    s_one (w, control, "received", 1, "helios_control_requests_total",
           "counter", "Requests read on the control socket.");
    s_by (w, hl_value_get (control, "rejected_by"),
          "helios_control_rejected_total", "reason",
          "Control requests refused before their operation, by reason.");
    s_by (w, hl_value_get (control, "refused_by"),
          "helios_control_refused_total", "reason",
          "Control requests their operation refused (arguments), by reason.");
    const hl_value_t *idem = hl_value_get (control, "idempotency");
    s_one (w, idem, "replayed", 1, "helios_control_replayed_total", "counter",
           "Repeated requests answered with their first answer.");
    s_one (w, idem, "held", 1, "helios_control_held_total", "counter",
           "Repeats of a running request answered when it ended.");
    s_one (w, idem, "bytes", 1, "helios_control_idempotency_bytes", "gauge",
           "Memory of the answers kept for repeated requests.");
    s_offenders (w, hl_value_get (control, "offenders"), "control");
    s_offenders (w, hl_value_get (hl_value_get (status, "tasks"), "offenders"),
                 "tasks");
    const hl_value_t *metrics = hl_value_get (status, "metrics");
    s_one (w, metrics, "received", 1, "helios_metric_messages_total", "counter",
           "Metric messages taken from the intake.");
    s_by (w, hl_value_get (metrics, "rejected_by"),
          "helios_metric_messages_rejected_total", "reason",
          "Metric messages that did not decode, by reason.");
    const hl_value_t *kpi = hl_value_get (status, "kpi");
    s_one (w, kpi, "accepted", 1, "helios_samples_accepted_total", "counter",
           "Samples the KPI tracker took.");
    s_by (w, hl_value_get (kpi, "rejected"), "helios_samples_rejected_total",
          "reason", "Samples the KPI tracker refused, by reason.");
    s_one (w, kpi, "crossings", 1, "helios_kpi_critical_crossings_total",
           "counter", "Samples that took a KPI past its critical level.");
    s_one (w, kpi, "bytes", 1, "helios_kpi_tracker_bytes", "gauge",
           "Memory of the KPI tracker.");
    s_one (w, status, "decode_errors", 1, "helios_decode_errors_total",
           "counter", "Messages refused on every input together.");
}

static void
s_http (s_writer_t *w, const hl_value_t *http)
{
    if (!http)
        return;
    s_by (w, hl_value_get (http, "responses"), "helios_http_responses_total",
          "code", "HTTP responses, by status code.");
    s_by (w, hl_value_get (http, "rejected_by"), "helios_http_rejected_total",
          "reason", "HTTP requests refused, by reason.");
    static const char *const counters[][3] = {
        { "cut", "helios_http_cut_total",
          "Connections cut at the time limit of a request." },
        { "sse_dropped", "helios_http_event_streams_dropped_total",
          "Event streams dropped for falling behind." },
        { "events", "helios_http_events_total",
          "Events rendered for the event streams." },
    };
    static const char *const gauges[][3] = {
        { "connections", "helios_http_connections",
          "HTTP connections open now." },
        { "sse_clients", "helios_http_event_streams",
          "Event streams open now." },
    };
    s_counters (w, http, S_ROWS (counters));
    s_gauges (w, http, S_ROWS (gauges));
}

//  CURVE's refusals (bus/hl_zap), when it is on
static void
s_security (s_writer_t *w, const hl_value_t *security)
{
    bool on = false;
    if (!security || hl_value_bool (hl_value_get (security, "curve"), &on)
        || !on)
        return;
    static const char *const counters[][3] = {
        { "allowed", "helios_curve_allowed_total",
          "CURVE handshakes let in by the allow-list." },
        { "refused", "helios_curve_refused_total",
          "CURVE handshakes refused: key not in the allow-list." },
        { "refused_keys", "helios_curve_refused_keys_total",
          "Distinct keys refused, each counted and logged once." },
        { "no_curve", "helios_curve_no_curve_total",
          "Handshakes without CURVE on a CURVE socket." },
        { "bad_handshake", "helios_curve_bad_handshake_total",
          "CURVE handshakes that failed (a wrong server key)." },
    };
    s_counters (w, security, S_ROWS (counters));
    s_one (w, security, "keys", 1, "helios_curve_allowed_keys", "gauge",
           "Public keys in the allow-list.");
}

char *
hl_promtext (const hl_config_t *config, const hl_value_t *status,
             const hl_value_t *agents)
{
    char *text = NULL;
    size_t size = 0;
    s_writer_t w = { open_memstream (&text, &size) };
    if (!w.out)
        abort (); /* as hl_alloc: out of memory */
    s_family (&w, "helios_build_info", "gauge",
              "1, labelled with the master's version.");
    s_sample (&w, "helios_build_info", 1, "version",
              hl_value_get_str (status, "version", "unknown"), NULL);
    s_one (&w, status, "uptime_s", 1, "helios_uptime_seconds", "gauge",
           "Seconds since the master started.");
    const hl_value_t *health = hl_value_get (status, "health");
    s_health (&w, config, health);
    s_kpis (&w, config, health);
    s_seed (&w, status);
    s_runs (&w, hl_value_get (status, "cycle"));
    s_tasks (&w, hl_value_get (status, "tasks"));
    s_agents (&w, agents);
    s_bus (&w, status);
    s_http (&w, hl_value_get (status, "http"));
    s_security (&w, hl_value_get (status, "security"));
    fclose (w.out);
    return text;
}
