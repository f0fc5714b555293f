/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios_ctl_runs - the commands of helios-ctl about the runs and what
    Helios decided: run (start one, and with --wait print what it did),
    cycles, report, actions (what was learned of each), action release,
    audit. A file of the helios-ctl program; it shares helios_ctl_priv.h
    with helios_ctl.c.
*/
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helios_ctl_priv.h"
#include "hl_cycle.h"
#include "hl_report.h"

/*  A finished run as text: an analysis or a plan is its report (what it
    found); a cycle or an emergency round "optimization 3: health 62.1 ->
    70.3, 2 action(s)" and a line per action. */
static void
s_print_run (const hl_value_t *r)
{
    const char *kind = hl_value_get_str (r, "kind", "run");
    if (streq (kind, "analysis") || streq (kind, "strategic_planning")) {
        char *md = hl_report_markdown (r);
        printf ("%s", md);
        free (md);
        return;
    }
    char before[32], after[32];
    printf ("%s %" PRId64 ": health %s -> %s, %zu action(s)\n", kind,
            hl_value_get_int (r, "id", 0),
            hl_ctl_figure (before, sizeof before,
                           hl_value_get (r, "health_before"), 1, 1, ""),
            hl_ctl_figure (after, sizeof after,
                           hl_value_get (r, "health_after"), 1, 1, ""),
            hl_value_size (hl_value_get (r, "actions")));
    const hl_value_t *actions = hl_value_get (r, "actions");
    for (size_t i = 0; i < hl_value_size (actions); i++) {
        const hl_value_t *a = hl_value_at (actions, i);
        printf ("  %-28s %-9s %-13s %s\n", hl_value_get_str (a, "name", "?"),
                hl_value_get_str (a, "swarm", "?"),
                hl_value_get_str (a, "verdict", "?"),
                hl_value_get_str (a, "outcome", "?"));
    }
    const hl_value_t *degraded = hl_value_get (r, "degraded");
    for (size_t i = 0; i < hl_value_size (degraded); i++)
        printf ("  degraded: %s\n",
                hl_value_str (hl_value_at (degraded, i), NULL));
}

int
hl_ctl_cmd_run (hl_ctl_opts_t *opts, int argc, char **argv)
{
    if (argc < 1)
        return hl_ctl_usage_error ("run: expected a kind");
    char error[512];
    if (hl_cycle_check_params (argv[0], NULL, error, sizeof error))
        return hl_ctl_usage_error ("%s", error);
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind", argv[0]);
    hl_value_t *params = hl_value_new_map ();
    bool wait = false;
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "--wait"))
            wait = true;
        else if (streq (argv[i], "--param") && i + 1 >= argc) {
            hl_value_destroy (&params);
            hl_value_destroy (&args);
            return hl_ctl_no_value ("run", argv[i]);
        } else if (streq (argv[i], "--param")) {
            char *kv = argv[++i];
            char *eq = strchr (kv, '=');
            if (!eq || eq == kv || eq - kv > 63) {
                hl_value_destroy (&params);
                hl_value_destroy (&args);
                return hl_ctl_usage_error ("run: --param wants KEY=VALUE, not "
                                           "'%s'",
                                           kv);
            }
            char key[64];
            memcpy (key, kv, (size_t)(eq - kv));
            key[eq - kv] = 0;
            char *end;
            double number = strtod (eq + 1, &end);
            if (*end == 0 && end != eq + 1 && isfinite (number))
                hl_value_set_double (params, key, number);
            else
                hl_value_set_str (params, key, eq + 1);
        } else {
            hl_value_destroy (&params);
            hl_value_destroy (&args);
            return hl_ctl_bad_word ("run", argv[i]);
        }
    }
    /*  A parameter the kind does not take is a usage error here; the
        master refuses it too, for every client. */
    if (hl_cycle_check_params (argv[0], params, error, sizeof error)) {
        hl_value_destroy (&params);
        hl_value_destroy (&args);
        return hl_ctl_usage_error ("%s", error);
    }
    hl_value_set (args, "params", &params);
    hl_value_set_bool (args, "wait", wait);
    /*  A cycle takes its settle and verify windows: wait long enough. */
    if (wait && !opts->timeout_set)
        opts->timeout_ms = 3600 * 1000;
    hl_msg_t *reply = NULL;
    int rc = hl_ctl_call (opts, "run", "run", &args, &reply);
    if (rc)
        return rc;
    const hl_value_t *d = hl_msg_data (reply);
    if (opts->json)
        hl_ctl_print_json (d);
    else if (wait)
        s_print_run (d);
    else
        printf ("started %s %" PRId64 "\n", hl_value_get_str (d, "kind", "?"),
                hl_value_get_int (d, "id", 0));
    hl_msg_destroy (&reply);
    return 0;
}

/*  The bool at key, false if missing. */
static bool
s_bool (const hl_value_t *map, const char *key)
{
    bool b = false;
    hl_value_bool (hl_value_get (map, key), &b);
    return b;
}

/*  One line per action: what was learned and what holds it back. */
int
hl_ctl_cmd_actions (const hl_ctl_opts_t *opts)
{
    hl_msg_t *reply = NULL;
    int rc = hl_ctl_call (opts, "actions", "actions", NULL, &reply);
    if (rc)
        return rc;
    const hl_value_t *all = hl_msg_data (reply);
    if (opts->json) {
        hl_ctl_print_json (all);
        hl_msg_destroy (&reply);
        return 0;
    }
    printf ("%-28s %6s %5s %5s %9s %-22s %s\n", "ACTION", "TRIALS", "OK", "BAD",
            "P", "EFFECT (prior/meas/n)", "STATE");
    for (size_t i = 0; i < hl_value_size (all); i++) {
        const hl_value_t *a = hl_value_val_at (all, i);
        const hl_value_t *effects = hl_value_get (a, "effects");
        const hl_value_t *e = hl_value_val_at (effects, 0);
        char effect[64] = "-";
        if (e) {
            double meas = hl_value_get_double (e, "measured_mean", NAN);
            char m[16] = "-";
            if (isfinite (meas))
                snprintf (m, sizeof m, "%+.0f%%", meas * 100);
            snprintf (effect, sizeof effect,
                      "%+.0f%%/%s/%" PRId64 " -> %+.0f%%",
                      hl_value_get_double (e, "prior", 0) * 100, m,
                      hl_value_get_int (e, "n", 0),
                      hl_value_get_double (e, "mean", 0) * 100);
        }
        const char *until = hl_value_get_str (a, "quarantined_until", NULL);
        char state[96] = "";
        if (until)
            snprintf (state, sizeof state, "quarantined until %s", until);
        else
            snprintf (state, sizeof state, "%s%s%s%s",
                      s_bool (a, "in_effect") ? "in effect " : "",
                      s_bool (a, "in_flight") ? "in flight " : "",
                      s_bool (a, "cooling") ? "cooling " : "",
                      s_bool (a, "solo") ? "retry alone" : "");
        printf ("%-28s %6" PRId64 " %5" PRId64 " %5" PRId64 " %9.2f %-22s %s\n",
                hl_value_key_at (all, i), hl_value_get_int (a, "trials", 0),
                hl_value_get_int (a, "successes", 0),
                hl_value_get_int (a, "failures", 0),
                hl_value_get_double (a, "p", NAN), effect,
                *state ? state : "-");
    }
    hl_msg_destroy (&reply);
    return 0;
}

int
hl_ctl_cmd_action (const hl_ctl_opts_t *opts, int argc, char **argv)
{
    if (argc != 2 || !streq (argv[0], "release"))
        return hl_ctl_usage_error ("action: expected 'release NAME'");
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "name", argv[1]);
    hl_msg_t *reply = NULL;
    int rc
        = hl_ctl_call (opts, "action.release", "action release", &args, &reply);
    if (rc)
        return rc;
    if (opts->json)
        hl_ctl_print_json (hl_msg_data (reply));
    else
        printf ("released %s\n", argv[1]);
    hl_msg_destroy (&reply);
    return 0;
}

/*  --since T into microseconds since the epoch: a duration back from now
    (90s, 30m, 2h, 7d), unix seconds, or ISO 8601 UTC. -1 if it is none. */
static int64_t
s_since (const char *text)
{
    char *end;
    errno = 0;
    double n = strtod (text, &end);
    if (end != text && !errno && isfinite (n) && n >= 0) {
        int64_t now = hl_msg_now_us ();
        double unit = !*end              ? 0
                      : streq (end, "s") ? 1
                      : streq (end, "m") ? 60
                      : streq (end, "h") ? 3600
                      : streq (end, "d") ? 86400
                                         : -1;
        if (unit == 0 && n < 1e11)
            return (int64_t)(n * 1e6);
        if (unit > 0 && n * unit < 1e10)
            return now - (int64_t)(n * unit * 1e6);
    }
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    end = strptime (text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        end = strptime (text, "%Y-%m-%d", &tm);
    if (!end || (*end && !streq (end, "Z")))
        return -1;
    time_t t = timegm (&tm);
    return t < 0 ? -1 : (int64_t)t * 1000000;
}

int
hl_ctl_cmd_audit (const hl_ctl_opts_t *opts, int argc, char **argv)
{
    hl_value_t *args = hl_value_new_map ();
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!streq (a, "--since") && !streq (a, "--action")) {
            hl_value_destroy (&args);
            return hl_ctl_bad_word ("audit", a);
        }
        if (i + 1 >= argc) {
            hl_value_destroy (&args);
            return hl_ctl_no_value ("audit", a);
        }
        const char *v = argv[++i];
        if (streq (a, "--action"))
            hl_value_set_str (args, "action", v);
        else {
            int64_t since = s_since (v);
            if (since < 0) {
                hl_value_destroy (&args);
                return hl_ctl_usage_error ("audit: --since wants 30m, 2h, 7d, "
                                           "unix seconds or "
                                           "2026-12-06T05:00:00Z, not '%s'",
                                           v);
            }
            hl_value_set_int (args, "since", since);
        }
    }
    hl_msg_t *reply = NULL;
    int rc = hl_ctl_call (opts, "audit", "audit", &args, &reply);
    if (rc)
        return rc;
    const hl_value_t *records = hl_value_get (hl_msg_data (reply), "records");
    if (opts->json)
        hl_ctl_print_json (records);
    else {
        for (size_t i = 0; i < hl_value_size (records); i++) {
            const hl_value_t *r = hl_value_at (records, i);
            int64_t run = hl_value_get_int (r, "run", 0);
            char runs[32] = "-";
            if (run)
                snprintf (runs, sizeof runs, "%" PRId64, run);
            printf ("%s %6s %-12s %-26s %s (%s)\n",
                    hl_value_get_str (r, "ts", "?"), runs,
                    hl_value_get_str (r, "event", "?"),
                    hl_value_get_str (r, "action", "-"),
                    hl_value_get_str (r, "why", ""),
                    hl_value_get_str (r, "who", "?"));
        }
        int64_t limit = hl_value_get_int (hl_msg_data (reply), "limit", 0);
        if (hl_msg_more (reply))
            printf ("(%" PRIu64 " more, older, left out to fit one message; "
                    "narrow with --since or --action)\n",
                    hl_msg_more (reply));
        else if (limit && hl_value_size (records) == (size_t)limit)
            printf ("(the newest %" PRId64 "; narrow with --since or "
                    "--action)\n",
                    limit);
    }
    if (opts->json && hl_msg_more (reply))
        fprintf (stderr,
                 "helios-ctl: audit: %" PRIu64 " more, older, left out "
                 "to fit one message; narrow with --since or --action\n",
                 hl_msg_more (reply));
    hl_msg_destroy (&reply);
    return 0;
}

int
hl_ctl_cmd_cycles (const hl_ctl_opts_t *opts)
{
    hl_msg_t *reply = NULL;
    int rc = hl_ctl_call_all (opts, "cycles", "cycles", &reply);
    if (rc)
        return rc;
    const hl_value_t *list = hl_msg_data (reply);
    if (opts->json)
        hl_ctl_print_json (list);
    else {
        /*  KIND and PHASE fit the longest, strategic_planning and
            prioritize; a health that was never scored is "-" */
        printf ("%6s %-18s %-10s %7s %7s %7s %5s %11s %6s %8s\n", "ID", "KIND",
                "PHASE", "BEFORE", "AFTER", "ACTIONS", "KEPT", "ROLLED_BACK",
                "FAILED", "DEGRADED");
        for (size_t i = 0; i < hl_value_size (list); i++) {
            const hl_value_t *c = hl_value_at (list, i);
            char before[32], after[32];
            printf ("%6" PRId64 " %-18s %-10s %7s %7s %7" PRId64 " %5" PRId64
                    " %11" PRId64 " %6" PRId64 " %8" PRId64 "\n",
                    hl_value_get_int (c, "id", 0),
                    hl_value_get_str (c, "kind", "?"),
                    hl_value_get_str (c, "phase", "?"),
                    hl_ctl_figure (before, sizeof before,
                                   hl_value_get (c, "health_before"), 1, 1, ""),
                    hl_ctl_figure (after, sizeof after,
                                   hl_value_get (c, "health_after"), 1, 1, ""),
                    hl_value_get_int (c, "actions", 0),
                    hl_value_get_int (c, "kept", 0),
                    hl_value_get_int (c, "rolled_back", 0),
                    hl_value_get_int (c, "failed", 0),
                    hl_value_get_int (c, "degraded", 0));
        }
    }
    hl_msg_destroy (&reply);
    return 0;
}

int
hl_ctl_cmd_report (const hl_ctl_opts_t *opts, int argc, char **argv)
{
    int64_t id = 0;
    const char *format = "md";
    for (int i = 0; i < argc; i++) {
        if (streq (argv[i], "--format") && i + 1 >= argc)
            return hl_ctl_no_value ("report", argv[i]);
        else if (streq (argv[i], "--format")) {
            format = argv[++i];
            if (!streq (format, "md") && !streq (format, "json"))
                return hl_ctl_usage_error ("report: --format wants md or json, "
                                           "not '%s'",
                                           format);
        } else if (streq (argv[i], "last"))
            id = 0;
        else if (argv[i][0] == '-')
            return hl_ctl_bad_word ("report", argv[i]);
        else {
            //  strtoll saturates: a number past INT64_MAX is no run's
            char *end;
            errno = 0;
            id = strtoll (argv[i], &end, 10);
            if (*end || id <= 0 || errno == ERANGE)
                return hl_ctl_usage_error ("report: '%s' is not a run's number "
                                           "or last",
                                           argv[i]);
        }
    }
    if (opts->json)
        format = "json";
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_int (args, "id", id);
    hl_value_set_str (args, "format", format);
    hl_msg_t *reply = NULL;
    int rc = hl_ctl_call (opts, "report", "report", &args, &reply);
    if (rc)
        return rc;
    if (streq (format, "md"))
        printf ("%s", hl_value_str (hl_msg_data (reply), NULL));
    else
        hl_ctl_print_json (hl_msg_data (reply));
    hl_msg_destroy (&reply);
    return 0;
}
