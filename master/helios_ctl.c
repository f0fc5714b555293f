/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios-ctl - the command line of the control API: parse a command,
    send it as one request, print the reply as text or as one JSON
    document. Exit 0 on success, 1 when the operation fails, 2 on bad
    usage.
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
#include "../bus/hl_log.h"
#include "hl_client.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

#define S_EXIT_FAILED 1
#define S_EXIT_USAGE 2

typedef struct {
    const char *endpoint;   /* control endpoint */
    int timeout_ms;
    bool json;
} s_opts_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: helios-ctl [-c CONFIG] [-e ENDPOINT] [-t MS] COMMAND\n"
             "commands:\n"
             "  status [--json]            the master's state and counters\n"
             "  metric push NAME VALUE     publish one metric sample\n"
             "options:\n"
             "  -c, --config FILE   configuration (default: $HELIOS_CONFIG,\n"
             "                      else deploy/helios.cfg if present)\n"
             "  -e, --endpoint EP   control endpoint (default: from config)\n"
             "  -t, --timeout MS    reply deadline (default 5000)\n"
             "  -h, --help, --version\n");
}

static int s_usage_error (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

static int
s_usage_error (const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    fprintf (stderr, "helios-ctl: %s (try --help)\n", text);
    return S_EXIT_USAGE;
}

/*  Send op and take the reply; prints the failure and returns an exit
    code when there is no successful reply. */
static int
s_call (const s_opts_t *opts, const char *op, hl_value_t **args_p,
        hl_msg_t **reply_p)
{
    char src[HL_MAX_NAME + 1];
    snprintf (src, sizeof src, "ctl@%d", (int) getpid ());
    hl_client_t *client = hl_client_new (opts->endpoint, src);
    if (!client) {
        hl_value_destroy (args_p);
        fprintf (stderr, "helios-ctl: bad endpoint '%s'\n", opts->endpoint);
        return S_EXIT_USAGE;
    }
    int rc = hl_client_request (client, op, args_p, opts->timeout_ms,
                                reply_p);
    hl_client_destroy (&client);
    hl_value_destroy (args_p);
    if (rc == HL_ERR_TIMEOUT) {
        fprintf (stderr, "helios-ctl: no reply from %s within %d ms\n",
                 opts->endpoint, opts->timeout_ms);
        return S_EXIT_FAILED;
    }
    if (rc) {
        fprintf (stderr, "helios-ctl: %s\n", hl_strerror (rc));
        return S_EXIT_FAILED;
    }
    if (!hl_msg_ok (*reply_p)) {
        fprintf (stderr, "helios-ctl: %s: %s\n", op,
                 hl_msg_error (*reply_p));
        hl_msg_destroy (reply_p);
        return S_EXIT_FAILED;
    }
    return 0;
}

static void
s_print_json (const hl_value_t *data)
{
    json_t *json = data ? hl_value_to_json (data) : json_object ();
    char *text = json_dumps (json, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    printf ("%s\n", text ? text : "{}");
    free (text);
    json_decref (json);
}

/*  "received 10  rejected 2 (malformed 1, topic 1)" */
static void
s_print_counters (const char *label, const hl_value_t *v,
                  const char **keys)
{
    printf ("%-9s", label);
    for (; *keys; keys++)
        printf (" %s %" PRId64, *keys, hl_value_get_int (v, *keys, 0));
    const hl_value_t *by = hl_value_get (v, "rejected_by");
    for (size_t i = 0; i < hl_value_size (by); i++) {
        int64_t n = 0;
        hl_value_int (hl_value_val_at (by, i), &n);
        printf ("%s%s %" PRId64, i ? ", " : " (", hl_value_key_at (by, i),
                n);
    }
    printf ("%s\n", hl_value_size (by) ? ")" : "");
}

static int
s_cmd_status (const s_opts_t *opts)
{
    hl_msg_t *reply = NULL;
    int rc = s_call (opts, "status", NULL, &reply);
    if (rc)
        return rc;
    const hl_value_t *d = hl_msg_data (reply);
    if (opts->json)
        s_print_json (d);
    else {
        printf ("helios-master %s (%s), up %.1f s\n",
                hl_value_get_str (d, "version", "?"),
                hl_value_get_str (d, "src", "?"),
                hl_value_get_double (d, "uptime_s", 0));
        const hl_value_t *eps = hl_value_get (d, "endpoints");
        printf ("endpoints tasks %s  control %s  bus_in %s  bus_out %s\n",
                hl_value_get_str (eps, "tasks", "?"),
                hl_value_get_str (eps, "control", "?"),
                hl_value_get_str (eps, "bus_in", "?"),
                hl_value_get_str (eps, "bus_out", "?"));
        const char *bus_keys[] = {"received", "forwarded", "dropped",
                                  "subscribers", "published", "rejected",
                                  NULL};
        s_print_counters ("bus", hl_value_get (d, "bus"), bus_keys);
        const char *in_keys[] = {"received", "rejected", NULL};
        s_print_counters ("control", hl_value_get (d, "control"), in_keys);
        s_print_counters ("tasks", hl_value_get (d, "tasks"), in_keys);
        printf ("decode errors %" PRId64 "\n",
                hl_value_get_int (d, "decode_errors", 0));
    }
    hl_msg_destroy (&reply);
    return 0;
}

static int
s_cmd_metric (const s_opts_t *opts, int argc, char **argv)
{
    if (argc < 1 || !streq (argv[0], "push"))
        return s_usage_error ("metric: expected 'push NAME VALUE'");
    if (argc != 3)
        return s_usage_error ("metric push: expected NAME VALUE");
    char *end;
    errno = 0;
    double value = strtod (argv[2], &end);
    if (errno || end == argv[2] || *end || !isfinite (value))
        return s_usage_error ("metric push: '%s' is not a finite number",
                              argv[2]);
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "name", argv[1]);
    hl_value_set_double (args, "value", value);
    hl_msg_t *reply = NULL;
    int rc = s_call (opts, "metric.push", &args, &reply);
    if (rc)
        return rc;
    if (opts->json)
        s_print_json (hl_msg_data (reply));
    else
        printf ("published %s = %g\n",
                hl_value_get_str (hl_msg_data (reply), "topic", argv[1]),
                value);
    hl_msg_destroy (&reply);
    return 0;
}

int
main (int argc, char *argv[])
{
    s_opts_t opts = {NULL, 5000, false};
    const char *path = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if ((streq (a, "-c") || streq (a, "--config")) && has_value)
            path = argv[++i];
        else if ((streq (a, "-e") || streq (a, "--endpoint")) && has_value)
            opts.endpoint = argv[++i];
        else if ((streq (a, "-t") || streq (a, "--timeout")) && has_value) {
            char *end;
            long ms = strtol (argv[++i], &end, 10);
            if (*end || ms <= 0 || ms > 3600000)
                return s_usage_error ("bad timeout '%s'", argv[i]);
            opts.timeout_ms = (int) ms;
        }
        else if (streq (a, "--json"))
            opts.json = true;
        else if (streq (a, "-h") || streq (a, "--help")) {
            s_usage (stdout);
            return 0;
        }
        else if (streq (a, "--version")) {
            printf ("helios-ctl %s\n", HL_VERSION);
            return 0;
        }
        else
            return s_usage_error ("bad option '%s'", a);
    }
    if (i >= argc)
        return s_usage_error ("no command");
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
    hl_config_t *config = NULL;
    if (!opts.endpoint) {
        char err[512];
        if (!path)
            path = hl_config_default_path ();
        config = path ? hl_config_load (path, err, sizeof err)
                      : hl_config_new_default ();
        if (!config) {
            fprintf (stderr, "helios-ctl: %s\n", err);
            return S_EXIT_FAILED;
        }
        opts.endpoint = hl_config_connect (config)->control;
    }

    int rc;
    if (streq (cmd, "status"))
        rc = cargc ? s_usage_error ("status: unexpected '%s'", cargv[0])
                   : s_cmd_status (&opts);
    else if (streq (cmd, "metric"))
        rc = s_cmd_metric (&opts, cargc, cargv);
    else
        rc = s_usage_error ("unknown command '%s'", cmd);
    hl_config_destroy (&config);
    return rc;
}
