/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios_ctl_nodes - helios-ctl's commands about helios-nodes: scale
    (the desired agents of roles) and nodes (what each node runs), and
    status's lines on the autoscaled roles.
*/
#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/hl_names.h"
#include "helios_ctl_priv.h"

int
hl_ctl_cmd_scale (const hl_ctl_opts_t *opts, int argc, char **argv)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_t *roles = hl_value_new_map ();
    int rc = 0;
    for (int i = 0; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (streq (a, "--host") || streq (a, "--label")) {
            if (i + 1 >= argc)
                rc = hl_ctl_no_value ("scale", a);
            else if (hl_value_get (args, a + 2))
                rc = hl_ctl_usage_error ("scale: %s given twice", a);
            else
                hl_value_set_str (args, a + 2, argv[++i]);
            continue;
        }
        const char *eq = strchr (a, '=');
        if (a[0] == '-' || !eq) {
            rc = hl_ctl_bad_word ("scale", a);
            continue;
        }
        char role[64];
        size_t len = (size_t)(eq - a);
        char *end = NULL;
        long n = strtol (eq + 1, &end, 10);
        if (len >= sizeof role) {
            rc = hl_ctl_usage_error ("scale: unknown role in '%s'", a);
            continue;
        }
        memcpy (role, a, len);
        role[len] = 0;
        if (hl_role_parse (role) < 0)
            rc = hl_ctl_usage_error ("scale: unknown role '%s'", role);
        else if (!eq[1] || *end || n < 0 || n > 100000)
            rc = hl_ctl_usage_error ("scale: %s wants a count 0..100000, not "
                                     "'%s'",
                                     role, eq + 1);
        else if (hl_value_get (roles, role))
            rc = hl_ctl_usage_error ("scale: %s given twice", role);
        else
            hl_value_set_int (roles, role, n);
    }
    if (!rc && !hl_value_size (roles))
        rc = hl_ctl_usage_error ("scale: want ROLE=N");
    if (!rc && hl_value_get (args, "host") && hl_value_get (args, "label"))
        rc = hl_ctl_usage_error ("scale: --host or --label, not both");
    if (rc) {
        hl_value_destroy (&roles);
        hl_value_destroy (&args);
        return rc;
    }
    hl_value_set (args, "roles", &roles);
    hl_msg_t *reply = NULL;
    rc = hl_ctl_call (opts, "scale", "scale", &args, &reply);
    if (rc)
        return rc;
    const hl_value_t *desired = hl_value_get (hl_msg_data (reply), "desired");
    if (opts->json)
        hl_ctl_print_json (hl_msg_data (reply));
    else
        for (size_t i = 0; i < hl_value_size (desired); i++) {
            const hl_value_t *d = hl_value_val_at (desired, i);
            const char *host = hl_value_get_str (d, "host", "");
            const char *label = hl_value_get_str (d, "label", "");
            int64_t unplaced = hl_value_get_int (d, "unplaced", 0);
            printf ("%s=%" PRId64 "%s%s%s%s", hl_value_key_at (desired, i),
                    hl_value_get_int (d, "count", 0), *host ? " on " : "", host,
                    *label ? " labelled " : "", label);
            if (unplaced)
                printf (" (%" PRId64 " with no node that has room)", unplaced);
            printf ("\n");
        }
    hl_msg_destroy (&reply);
    return 0;
}

int
hl_ctl_cmd_nodes (const hl_ctl_opts_t *opts)
{
    hl_msg_t *reply = NULL;
    int rc = hl_ctl_call (opts, "nodes", "nodes", NULL, &reply);
    if (rc)
        return rc;
    const hl_value_t *nodes = hl_value_get (hl_msg_data (reply), "nodes");
    if (opts->json) {
        hl_ctl_print_json (hl_msg_data (reply));
        hl_msg_destroy (&reply);
        return 0;
    }
    for (size_t i = 0; i < hl_value_size (nodes); i++) {
        const hl_value_t *n = hl_value_at (nodes, i);
        const hl_value_t *labels = hl_value_get (n, "labels");
        const hl_value_t *agents = hl_value_get (n, "agents");
        char text[512] = "";
        size_t len = 0;
        for (size_t k = 0; k < hl_value_size (labels) && len < sizeof text; k++)
            len += (size_t)snprintf (
                text + len, sizeof text - len, "%s%s=%s", k ? " " : "",
                hl_value_key_at (labels, k),
                hl_value_str (hl_value_val_at (labels, k), NULL)
                    ? hl_value_str (hl_value_val_at (labels, k), NULL)
                    : "?");
        printf ("%s on %s: %zu/%" PRId64 " agents, %" PRId64
                " given up; labels: %s\n",
                hl_value_get_str (n, "name", "?"),
                hl_value_get_str (n, "host", "?"), hl_value_size (agents),
                hl_value_get_int (n, "capacity", 0),
                hl_value_get_int (n, "failed", 0), *text ? text : "-");
        for (size_t k = 0; k < hl_value_size (agents); k++) {
            const hl_value_t *a = hl_value_at (agents, k);
            const char *last = hl_value_get_str (a, "last_exit", "");
            printf ("  %-40s %-9s pid %-7" PRId64 " up %6" PRId64
                    " s  restarts %-3" PRId64 " last %s\n",
                    hl_value_get_str (a, "name", "?"),
                    hl_value_get_str (a, "state", "?"),
                    hl_value_get_int (a, "pid", 0),
                    hl_value_get_int (a, "uptime_ms", 0) / 1000,
                    hl_value_get_int (a, "restarts", 0), *last ? last : "-");
        }
    }
    printf ("%zu nodes\n", hl_value_size (nodes));
    hl_msg_destroy (&reply);
    return 0;
}

void
hl_ctl_print_autoscale (const hl_value_t *status)
{
    const hl_value_t *as = hl_value_get (status, "autoscale");
    if (!hl_value_size (as))
        return;
    printf ("autoscale  %-20s %7s %4s %4s %9s %9s  %s\n", "ROLE", "DESIRED",
            "MIN", "MAX", "WAIT", "TARGET", "LAST DECISION");
    for (size_t i = 0; i < hl_value_size (as); i++) {
        const hl_value_t *r = hl_value_val_at (as, i);
        const hl_value_t *last = hl_value_get (r, "last");
        char desired[16], wait[24], target[24], decision[320];
        if (hl_value_get (r, "desired"))
            snprintf (desired, sizeof desired, "%" PRId64,
                      hl_value_get_int (r, "desired", 0));
        else
            snprintf (desired, sizeof desired, "-");
        if (hl_value_get (r, "wait_ms"))
            snprintf (wait, sizeof wait, "%" PRId64 " ms",
                      hl_value_get_int (r, "wait_ms", 0));
        else
            snprintf (wait, sizeof wait, "-");
        snprintf (target, sizeof target, "%" PRId64 " ms",
                  hl_value_get_int (r, "target_wait_ms", 0));
        if (last)
            snprintf (decision, sizeof decision,
                      "%s %" PRId64 " -> %" PRId64 " %" PRId64
                      " s ago (%.200s)",
                      hl_value_get_str (last, "decision", "?"),
                      hl_value_get_int (last, "from", 0),
                      hl_value_get_int (last, "to", 0),
                      hl_value_get_int (last, "ago_s", 0),
                      hl_value_get_str (last, "reason", ""));
        else
            snprintf (decision, sizeof decision, "none yet");
        printf ("           %-20s %7s %4" PRId64 " %4" PRId64 " %9s %9s  %s\n",
                hl_value_key_at (as, i), desired,
                hl_value_get_int (r, "min", 0), hl_value_get_int (r, "max", 0),
                wait, target, decision);
    }
}
