/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios-ctl - the command line of the control API: parse a command,
    send it as one request, print the reply as text or as one JSON
    document. Exit 0 on success, 1 when the operation fails, 2 on bad
    usage.

    This file holds main, the requests and the usage errors, and the
    commands about the swarm (status, agents, metric, pause and resume,
    bench); the runs and what Helios decided (run, cycles, report,
    actions, action, audit) are helios_ctl_runs.c. They share
    helios_ctl_priv.h; the program links libhlmaster, and is no part of
    it.
*/
#include <czmq.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bus/hl_config.h"
#include "../bus/hl_curve.h"
#include "../bus/hl_log.h"
#include "../bus/hl_sock.h"
#include "../proto/hl_alloc.h"
#include "helios_ctl_priv.h"
#include "hl_client.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

#define S_EXIT_FAILED 1
#define S_EXIT_USAGE 2

static void
s_usage (FILE *out)
{
    fprintf (
        out,
        "usage: helios-ctl [-c CONFIG] [-e ENDPOINT] [-t MS] COMMAND\n"
        "commands:\n"
        "  status [--json]            health (per category, each KPI\n"
        "                             against its target), agents by\n"
        "                             role, the last runs, learning,\n"
        "                             counters and the seed's figures\n"
        "                             (overhead: the share of tasks-\n"
        "                             socket messages that are not a\n"
        "                             task or its result: heartbeats,\n"
        "                             hellos); \"-\" until measured\n"
        "  agents [--json]            the registered agents\n"
        "  metric push NAME VALUE     publish one sample of a metric\n"
        "                             the config declares, within its\n"
        "                             range\n"
        "  pause | resume             hold or release normal dispatch\n"
        "                             and scheduled cycles (while\n"
        "                             paused, run optimization and\n"
        "                             analysis are refused)\n"
        "  run KIND [--param K=V]... [--wait] [--json]\n"
        "                             start a run: optimization (a "
        "cycle),\n"
        "                             emergency (threshold, "
        "max_issues),\n"
        "                             analysis (focus_areas=backend,"
        "...,\n"
        "                             depth),\n"
        "                             strategic_planning (horizon="
        "7_days,\n"
        "                             scenarios=baseline,growth:20),\n"
        "                             recheck (action=NAME: undo a kept\n"
        "                             change and keep it only if that\n"
        "                             made things worse);\n"
        "                             --wait prints the report: what\n"
        "                             an analysis found, the plan\n"
        "  cycles [--json]            the runs, newest first\n"
        "  actions [--json]           what was learned of each action:\n"
        "                             trials, success p, learned effect,\n"
        "                             quarantine\n"
        "  action release NAME        lift an action's quarantine\n"
        "  audit [--since T] [--action NAME]\n"
        "                             every decision: runs asked for and\n"
        "                             by whom, actions chosen or skipped\n"
        "                             and why, kept, rolled back,\n"
        "                             released; T is 30m, 2h, 7d, unix\n"
        "                             seconds or 2026-12-06T05:00:00Z\n"
        "  scale ROLE=N [ROLE=N]... [--host HOST | --label K=V]\n"
        "                             run N agents of ROLE over the\n"
        "                             helios-nodes (on HOST, or on nodes\n"
        "                             labelled K=V); kept across restarts\n"
        "  nodes                      the helios-nodes: capacity, labels,\n"
        "                             the agents each runs\n"
        "  report [ID|last] [--format md|json]\n"
        "                             a run's report\n"
        "  keygen NAME [--dir DIR]    a CURVE key pair: NAME.key and\n"
        "                             NAME.key_secret (0600) in DIR;\n"
        "                             never overwrites\n"
        "  bench echo --tasks N [--concurrency C] [--payload BYTES]\n"
        "                             [--role ROLE] [--delay-ms MS] [--json]\n"
        "                             echo tasks through master and "
        "agents\n"
        "                             (--delay-ms: each holds its\n"
        "                             agent's slot that long)\n"
        "options:\n"
        "  -c, --config FILE   configuration (default: $HELIOS_CONFIG,\n"
        "                      else deploy/helios.cfg if present)\n"
        "  -e, --endpoint EP   control endpoint (default: from config)\n"
        "  -t, --timeout MS    reply deadline (default 5000)\n"
        "      --key FILE      this client's CURVE secret key\n"
        "                      (default: security.secret_key)\n"
        "  -h, --help, --version\n");
}

int
hl_ctl_usage_error (const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    fprintf (stderr, "helios-ctl: %s (try --help)\n", text);
    return S_EXIT_USAGE;
}

/*  A word cmd (NULL: the command line itself) does not take: an option
    if it starts with '-', else an argument. The one wording of a bad flag
    in every Helios program. */
int
hl_ctl_bad_word (const char *cmd, const char *word)
{
    bool option = word[0] == '-' && word[1];
    return hl_ctl_usage_error (
        "%s%s%s '%s'", cmd ? cmd : "", cmd ? ": " : "",
        option ? "unknown option" : "unexpected argument", word);
}

/*  An option given last, without its value. */
int
hl_ctl_no_value (const char *cmd, const char *option)
{
    return hl_ctl_usage_error ("%s%soption '%s' needs a value", cmd ? cmd : "",
                               cmd ? ": " : "", option);
}

/*  Send op and take the reply. On failure prints one line, named by what
    the user typed (label: "metric push" for op "metric.push"), and
    returns the exit code; 0 with *reply_p on success. */
int
hl_ctl_call (const hl_ctl_opts_t *opts, const char *op, const char *label,
             hl_value_t **args_p, hl_msg_t **reply_p)
{
    char src[HL_MAX_NAME + 1];
    snprintf (src, sizeof src, "ctl@%d", (int)getpid ());
    hl_client_t *client = hl_client_new (opts->endpoint, src);
    if (!client) {
        hl_value_destroy (args_p);
        fprintf (stderr, "helios-ctl: %s: cannot connect to '%s'\n", label,
                 opts->endpoint);
        return S_EXIT_FAILED;
    }
    int rc = hl_client_request (client, op, args_p, opts->timeout_ms, reply_p);
    hl_client_destroy (&client);
    hl_value_destroy (args_p);
    if (rc == HL_ERR_TIMEOUT && zsys_interrupted) {
        fprintf (stderr, "helios-ctl: %s: interrupted\n", label);
        return S_EXIT_FAILED;
    }
    if (rc == HL_ERR_TIMEOUT) {
        fprintf (stderr, "helios-ctl: %s: no reply from %s within %d ms\n",
                 label, opts->endpoint, opts->timeout_ms);
        return S_EXIT_FAILED;
    }
    if (rc) {
        fprintf (stderr, "helios-ctl: %s: request failed: %s\n", label,
                 hl_strerror (rc));
        return S_EXIT_FAILED;
    }
    if (!hl_msg_ok (*reply_p)) {
        /*  The master names the op in its errors, for every client: say
            it once, as the command the user typed */
        const char *error = hl_msg_error (*reply_p);
        size_t len = strlen (op);
        if (!strncmp (error, op, len) && error[len] == ':')
            error += len + 1 + (error[len + 1] == ' ');
        fprintf (stderr, "helios-ctl: %s: %s\n", label, error);
        hl_msg_destroy (reply_p);
        return S_EXIT_FAILED;
    }
    return 0;
}

/*  Pages at most: a cursor that never ends is a bug, not a long list */
#define S_PAGES_MAX 100000

int
hl_ctl_call_all (const hl_ctl_opts_t *opts, const char *op, const char *label,
                 hl_msg_t **reply_p)
{
    hl_msg_t *first = NULL;
    int rc = hl_ctl_call (opts, op, label, NULL, &first);
    if (rc)
        return rc;
    const hl_value_t *data = hl_msg_data (first);
    hl_value_t *all = data ? hl_value_dup (data) : hl_value_new_array ();
    uint64_t next = hl_msg_next (first), last = 0;
    for (int pages = 1; next && next != last && pages < S_PAGES_MAX; pages++) {
        hl_value_t *args = hl_value_new_map ();
        hl_value_t *from = hl_value_new_uint (next);
        hl_value_set (args, "from", &from);
        hl_msg_t *page = NULL;
        rc = hl_ctl_call (opts, op, label, &args, &page);
        if (rc) {
            hl_value_destroy (&all);
            hl_msg_destroy (&first);
            return rc;
        }
        const hl_value_t *items = hl_msg_data (page);
        for (size_t i = 0; i < hl_value_size (items); i++) {
            hl_value_t *item = hl_value_dup (hl_value_at (items, i));
            hl_value_append (all, &item);
        }
        last = next;
        next = hl_msg_next (page);
        hl_msg_destroy (&page);
    }
    hl_msg_set_data (first, &all);
    hl_msg_set_next (first, 0);
    hl_msg_set_more (first, 0);
    *reply_p = first;
    return 0;
}

void
hl_ctl_print_json (const hl_value_t *data)
{
    json_t *json = data ? hl_value_to_json (data) : json_object ();
    char *text = json_dumps (json, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    printf ("%s\n", text ? text : "{}");
    free (text);
    json_decref (json);
}

/*  "   received 10 rejected 2 (malformed 1, topic 1)" */
static void
s_print_counters (const char *label, const hl_value_t *v, const char **keys)
{
    printf ("  %-10s", label);
    for (; *keys; keys++)
        printf (" %s %" PRId64, *keys, hl_value_get_int (v, *keys, 0));
    const hl_value_t *by = hl_value_get (v, "rejected_by");
    for (size_t i = 0; i < hl_value_size (by); i++) {
        int64_t n = 0;
        hl_value_int (hl_value_val_at (by, i), &n);
        printf ("%s%s %" PRId64, i ? ", " : " (", hl_value_key_at (by, i), n);
    }
    printf ("%s\n", hl_value_size (by) ? ")" : "");
}

/*  A number with decimals into buf, times scale, then unit; "-" when v
    is missing, null or not finite (nothing measured yet). */
const char *
hl_ctl_figure (char *buf, size_t size, const hl_value_t *v, int decimals,
               double scale, const char *unit)
{
    double d;
    if (v && !hl_value_double (v, &d) && isfinite (d))
        snprintf (buf, size, "%.*f%s", decimals, d * scale, unit);
    else
        snprintf (buf, size, "-");
    return buf;
}

/*  A metric's value, target or critical level, in few columns: 1353.1,
    0.52, 1200000. */
static const char *
s_value (char *buf, size_t size, const hl_value_t *v)
{
    double d;
    if (!v || hl_value_double (v, &d) || !isfinite (d))
        snprintf (buf, size, "-");
    else if (fabs (d) >= 100000)
        snprintf (buf, size, "%.0f", d);
    else if (fabs (d) >= 10)
        snprintf (buf, size, "%.1f", d);
    else
        snprintf (buf, size, "%.2f", d);
    return buf;
}

/*  Health: the score, its state, each category, then each KPI against
    its target and critical level. */
static void
s_print_health (const hl_value_t *d)
{
    const hl_value_t *h = hl_value_get (d, "health");
    const hl_value_t *cy = hl_value_get (d, "cycle");
    char a[32], b[32];
    printf ("health     %s %s (window %" PRId64 " s; emergency below %s)\n",
            hl_ctl_figure (a, sizeof a, hl_value_get (h, "score"), 1, 1, ""),
            hl_value_get_str (h, "state", "no data"),
            hl_value_get_int (h, "window", 0),
            hl_ctl_figure (b, sizeof b,
                           hl_value_get (cy, "emergency_threshold"), 0, 1, ""));
    const hl_value_t *cats = hl_value_get (h, "categories");
    printf ("          ");
    for (size_t i = 0; i < hl_value_size (cats); i++)
        printf (
            " %s %s", hl_value_key_at (cats, i),
            hl_ctl_figure (a, sizeof a, hl_value_val_at (cats, i), 1, 1, ""));
    printf ("\n");
    const hl_value_t *ms = hl_value_get (h, "metrics");
    if (!hl_value_size (ms))
        return;
    printf ("  %-20s %-5s %-4s %9s %9s %9s %5s  %s\n", "KPI", "UNIT", "STAT",
            "VALUE", "TARGET", "CRITICAL", "SCORE", "STATE");
    for (size_t i = 0; i < hl_value_size (ms); i++) {
        const hl_value_t *m = hl_value_val_at (ms, i);
        char value[32], target[32], critical[32];
        printf (
            "  %-20s %-5s %-4s %9s %9s %9s %5s  %s\n", hl_value_key_at (ms, i),
            hl_value_get_str (m, "unit", ""), hl_value_get_str (m, "stat", "?"),
            s_value (value, sizeof value, hl_value_get (m, "value")),
            s_value (target, sizeof target, hl_value_get (m, "target")),
            s_value (critical, sizeof critical, hl_value_get (m, "critical")),
            hl_ctl_figure (a, sizeof a, hl_value_get (m, "score"), 1, 1, ""),
            hl_value_get_str (m, "state", "?"));
    }
}

/*  Agents by role, from the agents op's list. */
static void
s_print_agents (const hl_value_t *list)
{
    static const char *roles[]
        = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
            "hephaestus-backend",  "athena-ux",          "athena-api" };
    printf ("agents     %zu", hl_value_size (list));
    for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++) {
        int64_t n = 0, busy = 0;
        for (size_t i = 0; i < hl_value_size (list); i++) {
            const hl_value_t *agent = hl_value_at (list, i);
            if (streq (hl_value_get_str (agent, "role", ""), roles[r])) {
                n++;
                busy += hl_value_get_int (agent, "inflight", 0);
            }
        }
        printf ("%s%s %" PRId64,
                r % 3 ? ", "
                : r   ? ",\n           "
                      : ": ",
                roles[r], n);
        if (busy)
            printf (" (%" PRId64 " task%s)", busy, busy == 1 ? "" : "s");
    }
    printf ("\n");
}

/*  "  7 optimization        done    62.6 ->  71.5  4 actions: 4 kept" */
static void
s_print_run_line (const char *indent, const hl_value_t *c)
{
    char before[32], after[32];
    printf ("%s%5" PRId64 " %-18s %-10s %5s -> %5s", indent,
            hl_value_get_int (c, "id", 0), hl_value_get_str (c, "kind", "?"),
            hl_value_get_str (c, "phase", "?"),
            hl_ctl_figure (before, sizeof before,
                           hl_value_get (c, "health_before"), 1, 1, ""),
            hl_ctl_figure (after, sizeof after,
                           hl_value_get (c, "health_after"), 1, 1, ""));
    int64_t n = hl_value_get_int (c, "actions", 0);
    if (n)
        printf ("  %" PRId64 " action%s: %" PRId64 " kept, %" PRId64
                " rolled back, %" PRId64 " failed",
                n, n == 1 ? "" : "s", hl_value_get_int (c, "kept", 0),
                hl_value_get_int (c, "rolled_back", 0),
                hl_value_get_int (c, "failed", 0));
    if (hl_value_get_int (c, "degraded", 0))
        printf ("  degraded");
    printf ("\n");
}

/*  The engine: phase, schedule, totals; the emergency; the last runs. */
static void
s_print_cycles (const hl_value_t *d, const hl_value_t *runs)
{
    const hl_value_t *cy = hl_value_get (d, "cycle");
    const hl_value_t *em = hl_value_get (cy, "emergency");
    bool paused = false, active = false;
    hl_value_bool (hl_value_get (cy, "paused"), &paused);
    hl_value_bool (hl_value_get (em, "active"), &active);
    /*  A cycle that is due but does not start waits for something */
    int64_t next = hl_value_get_int (cy, "next_in_s", 0);
    char when[64];
    if (paused)
        snprintf (when, sizeof when, "next on resume");
    else if (next <= 0 && active)
        snprintf (when, sizeof when, "next after the emergency");
    else
        snprintf (when, sizeof when, "next in %" PRId64 " s",
                  next > 0 ? next : 0);
    printf ("cycles     %s%s, %s (every %" PRId64 " s); runs %" PRId64
            " started, %" PRId64 " finished, %" PRId64 " degraded\n",
            hl_value_get_str (cy, "phase", "?"), paused ? ", PAUSED" : "", when,
            hl_value_get_int (cy, "duration_s", 0),
            hl_value_get_int (cy, "started", 0),
            hl_value_get_int (cy, "finished", 0),
            hl_value_get_int (cy, "degraded", 0));
    printf ("           actions %" PRId64 " kept, %" PRId64
            " rolled back, %" PRId64 " failed\n",
            hl_value_get_int (cy, "kept", 0),
            hl_value_get_int (cy, "rolled_back", 0),
            hl_value_get_int (cy, "failed", 0));
    int64_t count = hl_value_get_int (em, "count", 0);
    char ms[32];
    hl_ctl_figure (ms, sizeof ms, hl_value_get (em, "last_response_ms"), 1, 1,
                   " ms");
    if (!count)
        printf ("emergency  none so far\n");
    else
        printf ("emergency  %s: %" PRId64 " so far, the last detected %s, "
                "%" PRId64 " round(s); first remedy sent %s%s\n",
                active ? "IN PROGRESS" : "over", count,
                hl_value_get_str (em, "detected_utc", "?"),
                hl_value_get_int (em, "rounds", 0), streq (ms, "-") ? "-" : ms,
                streq (ms, "-") ? " (none was)" : " after detection");
    size_t n = hl_value_size (runs);
    printf ("last runs%s\n", n ? "" : "  none yet");
    for (size_t i = 0; i < n && i < 5; i++)
        s_print_run_line ("  ", hl_value_at (runs, i));
    if (n > 5)
        printf ("  ... %zu in all (helios-ctl cycles)\n", n);
}

/*  What each action has done so far (learning.json). */
static void
s_print_learning (const hl_value_t *d)
{
    const hl_value_t *l = hl_value_get (d, "learning");
    printf ("learning%s\n", hl_value_size (l) ? "" : "   no action");
    if (!hl_value_size (l))
        return;
    printf ("  %-28s %5s %8s %6s %8s\n", "ACTION", "TRIED", "IMPROVED", "P",
            "EFFECT");
    for (size_t i = 0; i < hl_value_size (l); i++) {
        const hl_value_t *a = hl_value_val_at (l, i);
        char p[32], effect[32];
        printf ("  %-28s %5" PRId64 " %8" PRId64 " %6s %8s\n",
                hl_value_key_at (l, i), hl_value_get_int (a, "n", 0),
                hl_value_get_int (a, "successes", 0),
                hl_ctl_figure (p, sizeof p, hl_value_get (a, "p"), 2, 1, ""),
                hl_ctl_figure (effect, sizeof effect,
                               hl_value_get (a, "improvement"), 0, 100, "%"));
    }
}

/*  The task queue: what it holds, what it refused by name, and the
    retries of changes held for the agent they went to. */
static void
s_print_queue (const hl_value_t *t)
{
    printf ("  %-10s queued %" PRId64 ", %" PRId64 " of %" PRId64
            " bytes, ttl_expired %" PRId64 ", refused %" PRId64,
            "queue", hl_value_get_int (t, "queued", 0),
            hl_value_get_int (t, "bytes", 0),
            hl_value_get_int (t, "bytes_limit", 0),
            hl_value_get_int (t, "ttl_expired", 0),
            hl_value_get_int (t, "refused", 0));
    const hl_value_t *by = hl_value_get (t, "refused_by");
    for (size_t i = 0; i < hl_value_size (by); i++) {
        int64_t n = 0;
        hl_value_int (hl_value_val_at (by, i), &n);
        printf ("%s%s %" PRId64, i ? ", " : " (", hl_value_key_at (by, i), n);
    }
    const hl_value_t *pinned = hl_value_get (t, "pinned");
    printf ("%s\n  %-10s held for their agent %" PRId64 ", released %" PRId64
            ", given up %" PRId64 "\n",
            hl_value_size (by) ? ")" : "", "",
            hl_value_get_int (pinned, "held", 0),
            hl_value_get_int (pinned, "released", 0),
            hl_value_get_int (pinned, "given_up", 0));
    const hl_value_t *held = hl_value_get (pinned, "tasks");
    for (size_t i = 0; i < hl_value_size (held); i++) {
        const hl_value_t *h = hl_value_at (held, i);
        printf ("  %-10s task %" PRId64 " %s %s waits for %s (%.1f s)\n", "",
                hl_value_get_int (h, "task_id", 0),
                hl_value_get_str (h, "kind", "?"),
                hl_value_get_str (h, "action", "?"),
                hl_value_get_str (h, "agent", "?"),
                (double)hl_value_get_int (h, "held_ms", 0) / 1000.0);
    }
}

/*  Inputs and what was refused of them, by reason. */
static void
s_print_inputs (const hl_value_t *d)
{
    printf ("counters\n");
    const char *bus_in[]
        = { "received", "forwarded", "dropped", "rejected", NULL };
    const char *bus_more[]
        = { "intake_dropped", "published", "subscribers", NULL };
    const hl_value_t *bus = hl_value_get (d, "bus");
    s_print_counters ("bus", bus, bus_in);
    printf ("  %-10s", "");
    for (size_t i = 0; bus_more[i]; i++)
        printf (" %s %" PRId64, bus_more[i],
                hl_value_get_int (bus, bus_more[i], 0));
    printf ("\n");
    const char *in_keys[] = { "received", "rejected", NULL };
    const char *control_keys[] = { "received", "rejected", "refused", NULL };
    s_print_counters ("control", hl_value_get (d, "control"), control_keys);
    s_print_counters ("tasks", hl_value_get (d, "tasks"), in_keys);
    s_print_queue (hl_value_get (d, "tasks"));
    const hl_value_t *kpi = hl_value_get (d, "kpi");
    const hl_value_t *refused = hl_value_get (kpi, "rejected");
    printf ("  %-10s accepted %" PRId64 " refused", "samples",
            hl_value_get_int (kpi, "accepted", 0));
    for (size_t i = 0; i < hl_value_size (refused); i++) {
        int64_t n = 0;
        hl_value_int (hl_value_val_at (refused, i), &n);
        printf ("%s %s %" PRId64, i ? "," : "", hl_value_key_at (refused, i),
                n);
    }
    printf ("\n  %-10s %" PRId64 "\n", "decode errors",
            hl_value_get_int (d, "decode_errors", 0));
}

/*  The seed's figures (docs/architecture.md says how each is measured);
    "-" until there is something to measure. */
static void
s_print_seed_figures (const hl_value_t *d)
{
    const hl_value_t *k = hl_value_get (d, "kpis");
    char a[32], b[32], c[32], e[32];
    printf (
        "seed KPIs  health %s  optimization success %s\n"
        "           availability %s  concurrent efficiency %s\n",
        hl_ctl_figure (a, sizeof a, hl_value_get (k, "overall_health_score"), 1,
                       1, ""),
        hl_ctl_figure (b, sizeof b,
                       hl_value_get (k, "optimization_success_rate"), 1, 100,
                       "%"),
        hl_ctl_figure (c, sizeof c, hl_value_get (k, "system_availability"), 1,
                       100, "%"),
        hl_ctl_figure (e, sizeof e,
                       hl_value_get (k, "concurrent_optimization_efficiency"),
                       1, 100, "%"));
    const hl_value_t *o = hl_value_get (d, "orchestration");
    const hl_value_t *lat = hl_value_get (o, "latency_ms");
    const hl_value_t *cy = hl_value_get (d, "cycle");
    printf (
        "orchestration  cycles done %s (%" PRId64 " of %" PRId64
        " runs finished)  emergency response %s\n",
        hl_ctl_figure (a, sizeof a, hl_value_get (o, "cycle_completion_rate"),
                       1, 100, "%"),
        hl_value_get_int (cy, "finished", 0),
        hl_value_get_int (cy, "started", 0),
        hl_ctl_figure (b, sizeof b, hl_value_get (o, "emergency_response_ms"),
                       1, 1, " ms"));
    printf ("               dispatch wait p50 %s p99 %s  evenness %s  "
            "conflicts %" PRId64 "\n",
            hl_ctl_figure (a, sizeof a, hl_value_get (lat, "p50"), 1, 1, " ms"),
            hl_ctl_figure (b, sizeof b, hl_value_get (lat, "p99"), 1, 1, " ms"),
            hl_ctl_figure (c, sizeof c,
                           hl_value_get (hl_value_get (o, "evenness"), "worst"),
                           2, 1, ""),
            hl_value_get_int (hl_value_get (o, "conflicts"), "occurred", 0));
    printf (
        "               overhead %s (tasks-socket messages that are not "
        "a task or its result)\n",
        hl_ctl_figure (a, sizeof a, hl_value_get (o, "overhead"), 1, 100, "%"));
}

/*  The list an op answers with (agents, cycles), or NULL: status is
    still worth printing without it. */
static hl_msg_t *
s_list (const hl_ctl_opts_t *opts, const char *op)
{
    hl_msg_t *reply = NULL;
    return hl_ctl_call_all (opts, op, "status", &reply) ? NULL : reply;
}

static int
s_cmd_status (const hl_ctl_opts_t *opts)
{
    hl_msg_t *reply = NULL;
    int rc = hl_ctl_call (opts, "status", "status", NULL, &reply);
    if (rc)
        return rc;
    const hl_value_t *d = hl_msg_data (reply);
    if (opts->json) {
        hl_ctl_print_json (d);
        hl_msg_destroy (&reply);
        return 0;
    }
    hl_msg_t *agents = s_list (opts, "agents");
    hl_msg_t *runs = s_list (opts, "cycles");
    printf ("helios-master %s (%s), up %.1f s\n",
            hl_value_get_str (d, "version", "?"),
            hl_value_get_str (d, "src", "?"),
            hl_value_get_double (d, "uptime_s", 0));
    s_print_health (d);
    if (agents)
        s_print_agents (hl_msg_data (agents));
    hl_ctl_print_autoscale (d);
    s_print_cycles (d, runs ? hl_msg_data (runs) : NULL);
    s_print_learning (d);
    s_print_inputs (d);
    s_print_seed_figures (d);
    const hl_value_t *eps = hl_value_get (d, "endpoints");
    printf ("endpoints  tasks %s  control %s\n           bus_in %s  bus_out "
            "%s\n",
            hl_value_get_str (eps, "tasks", "?"),
            hl_value_get_str (eps, "control", "?"),
            hl_value_get_str (eps, "bus_in", "?"),
            hl_value_get_str (eps, "bus_out", "?"));
    hl_msg_destroy (&runs);
    hl_msg_destroy (&agents);
    hl_msg_destroy (&reply);
    return 0;
}

static int
s_cmd_metric (const hl_ctl_opts_t *opts, int argc, char **argv)
{
    if (argc < 1 || !streq (argv[0], "push"))
        return hl_ctl_usage_error ("metric: expected 'push NAME VALUE'");
    if (argc != 3)
        return hl_ctl_usage_error ("metric push: expected NAME VALUE");
    if (strlen (argv[1]) > HL_MAX_METRIC)
        return hl_ctl_usage_error ("metric push: name too long (%zu > %d)",
                                   strlen (argv[1]), HL_MAX_METRIC);
    char *end;
    errno = 0;
    double value = strtod (argv[2], &end);
    if (errno || end == argv[2] || *end || !isfinite (value))
        return hl_ctl_usage_error ("metric push: '%s' is not a finite number",
                                   argv[2]);
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "name", argv[1]);
    hl_value_set_double (args, "value", value);
    hl_msg_t *reply = NULL;
    int rc = hl_ctl_call (opts, "metric.push", "metric push", &args, &reply);
    if (rc)
        return rc;
    if (opts->json)
        hl_ctl_print_json (hl_msg_data (reply));
    else
        printf ("published %s = %g\n",
                hl_value_get_str (hl_msg_data (reply), "topic", argv[1]),
                value);
    hl_msg_destroy (&reply);
    return 0;
}

static int
s_cmd_agents (const hl_ctl_opts_t *opts)
{
    hl_msg_t *reply = NULL;
    int rc = hl_ctl_call_all (opts, "agents", "agents", &reply);
    if (rc)
        return rc;
    const hl_value_t *list = hl_msg_data (reply);
    if (opts->json)
        hl_ctl_print_json (list);
    else {
        printf ("%-40s %-20s %-16s %-12s %7s %9s %10s %8s\n", "NAME", "ROLE",
                "HOST", "NODE", "PID", "INFLIGHT", "HEARTBEAT", "DONE");
        for (size_t i = 0; i < hl_value_size (list); i++) {
            const hl_value_t *a = hl_value_at (list, i);
            char load[32], beat[32];
            snprintf (load, sizeof load, "%" PRId64 "/%" PRId64,
                      hl_value_get_int (a, "inflight", 0),
                      hl_value_get_int (a, "capacity", 0));
            snprintf (beat, sizeof beat, "%" PRId64 " ms",
                      hl_value_get_int (a, "last_heartbeat_ms_ago", 0));
            const char *node = hl_value_get_str (a, "node", "");
            printf ("%-40s %-20s %-16s %-12s %7" PRId64 " %9s %10s %8" PRId64
                    "%s\n",
                    hl_value_get_str (a, "name", "?"),
                    hl_value_get_str (a, "role", "?"),
                    hl_value_get_str (a, "host", "?"), *node ? node : "-",
                    hl_value_get_int (a, "pid", 0), load, beat,
                    hl_value_get_int (a, "tasks_done", 0),
                    hl_value_get (a, "draining")
                            && hl_value_get_int (a, "draining", 0)
                        ? " draining"
                        : "");
        }
        printf ("%zu agents\n", hl_value_size (list));
    }
    hl_msg_destroy (&reply);
    return 0;
}

static int
s_cmd_pause (const hl_ctl_opts_t *opts, const char *op)
{
    hl_msg_t *reply = NULL;
    int rc = hl_ctl_call (opts, op, op, NULL, &reply);
    if (rc)
        return rc;
    if (opts->json)
        hl_ctl_print_json (hl_msg_data (reply));
    else
        printf ("%s\n", streq (op, "pause") ? "paused" : "resumed");
    hl_msg_destroy (&reply);
    return 0;
}

static int
s_cmd_keygen (int argc, char **argv)
{
    const char *name = NULL, *dir = ".";
    for (int i = 0; i < argc; i++) {
        if (streq (argv[i], "--dir")) {
            if (i + 1 >= argc)
                return hl_ctl_no_value ("keygen", argv[i]);
            dir = argv[++i];
        } else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else
            return hl_ctl_bad_word ("keygen", argv[i]);
    }
    if (!name)
        return hl_ctl_usage_error ("keygen: no NAME");
    char err[HL_CONFIG_PATH + 256];
    if (hl_curve_keygen (dir, name, err, sizeof err)) {
        fprintf (stderr, "helios-ctl: keygen: %s\n", err);
        return S_EXIT_FAILED;
    }
    printf ("%s/%s.key\n%s/%s.key_secret\n", dir, name, dir, name);
    return 0;
}

int
main (int argc, char *argv[])
{
    hl_ctl_opts_t opts = { NULL, 5000, false, false };
    const char *path = NULL;
    const char *key = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        bool takes_value = streq (a, "-c") || streq (a, "--config")
                           || streq (a, "-e") || streq (a, "--endpoint")
                           || streq (a, "-t") || streq (a, "--timeout")
                           || streq (a, "--key");
        if (takes_value && i + 1 >= argc)
            return hl_ctl_no_value (NULL, a);
        if (streq (a, "-c") || streq (a, "--config"))
            path = argv[++i];
        else if (streq (a, "--key"))
            key = argv[++i];
        else if (streq (a, "-e") || streq (a, "--endpoint")) {
            opts.endpoint = argv[++i];
            if (!hl_sock_endpoint_ok (opts.endpoint))
                return hl_ctl_usage_error ("bad endpoint '%s': want %s",
                                           opts.endpoint,
                                           HL_SOCK_ENDPOINT_FORMS);
        } else if (streq (a, "-t") || streq (a, "--timeout")) {
            char *end;
            long ms = strtol (argv[++i], &end, 10);
            if (!*argv[i] || *end || ms <= 0 || ms > 3600000)
                return hl_ctl_usage_error ("-t wants milliseconds 1..3600000, "
                                           "not '%s'",
                                           argv[i]);
            opts.timeout_ms = (int)ms;
            opts.timeout_set = true;
        } else if (streq (a, "--json"))
            opts.json = true;
        else if (streq (a, "-h") || streq (a, "--help")) {
            s_usage (stdout);
            return 0;
        } else if (streq (a, "--version")) {
            printf ("helios-ctl %s\n", HL_VERSION);
            return 0;
        } else
            return hl_ctl_bad_word (NULL, a);
    }
    if (i >= argc)
        return hl_ctl_usage_error ("no command");
    const char *cmd = argv[i++];
    /*  Options may also follow the command's words: take --json there. */
    int cargc = 0;
    char **cargv = argv + i;
    for (int j = i; j < argc; j++) {
        if (streq (argv[j], "--json"))
            opts.json = true;
        else
            cargv[cargc++] = argv[j];
    }

    hl_log_init ("ctl", HL_LOG_WARNING, false);
    if (streq (cmd, "keygen"))
        return s_cmd_keygen (cargc, cargv);
    hl_config_t *config = NULL;
    hl_curve_t *curve = NULL;
    //  -e alone needs no config; -c, or --key (its server's key is in
    //  the config), reads one
    if (!opts.endpoint || path || key) {
        char err[512];
        if (!path)
            path = hl_config_default_path ();
        config = path ? hl_config_load (path, err, sizeof err)
                      : hl_config_new_default ();
        if (!config) {
            fprintf (stderr, "helios-ctl: %s\n", err);
            return S_EXIT_FAILED;
        }
        if (!opts.endpoint)
            opts.endpoint = hl_config_connect (config)->control;
        if (hl_curve_load (hl_config_security (config), key, HL_CURVE_CLIENT,
                           &curve, err, sizeof err)) {
            fprintf (stderr, "helios-ctl: %s\n", err);
            hl_config_destroy (&config);
            return S_EXIT_FAILED;
        }
        hl_curve_use (curve);
    }

    int rc;
    if (streq (cmd, "status"))
        rc = cargc ? hl_ctl_bad_word (cmd, cargv[0]) : s_cmd_status (&opts);
    else if (streq (cmd, "metric"))
        rc = s_cmd_metric (&opts, cargc, cargv);
    else if (streq (cmd, "agents"))
        rc = cargc ? hl_ctl_bad_word (cmd, cargv[0]) : s_cmd_agents (&opts);
    else if (streq (cmd, "pause") || streq (cmd, "resume"))
        rc = cargc ? hl_ctl_bad_word (cmd, cargv[0]) : s_cmd_pause (&opts, cmd);
    else if (streq (cmd, "bench"))
        rc = hl_ctl_cmd_bench (&opts, cargc, cargv);
    else if (streq (cmd, "run"))
        rc = hl_ctl_cmd_run (&opts, cargc, cargv);
    else if (streq (cmd, "cycles"))
        rc = cargc ? hl_ctl_bad_word (cmd, cargv[0])
                   : hl_ctl_cmd_cycles (&opts);
    else if (streq (cmd, "report"))
        rc = hl_ctl_cmd_report (&opts, cargc, cargv);
    else if (streq (cmd, "actions"))
        rc = cargc ? hl_ctl_usage_error ("actions: unexpected '%s'", cargv[0])
                   : hl_ctl_cmd_actions (&opts);
    else if (streq (cmd, "action"))
        rc = hl_ctl_cmd_action (&opts, cargc, cargv);
    else if (streq (cmd, "audit"))
        rc = hl_ctl_cmd_audit (&opts, cargc, cargv);
    else if (streq (cmd, "scale"))
        rc = hl_ctl_cmd_scale (&opts, cargc, cargv);
    else if (streq (cmd, "nodes"))
        rc = cargc ? hl_ctl_bad_word (cmd, cargv[0]) : hl_ctl_cmd_nodes (&opts);
    else
        rc = hl_ctl_usage_error ("unknown command '%s'", cmd);
    hl_curve_destroy (&curve);
    hl_config_destroy (&config);
    return rc;
}
