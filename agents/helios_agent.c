/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios-agent - one agent instance of a role (design §6, §8):
    arguments, configuration, create, run, destroy.
*/
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bus/hl_config.h"
#include "../bus/hl_curve.h"
#include "../bus/hl_log.h"
#include "../bus/hl_sock.h"
#include "hl_agent.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

static void
s_usage (FILE *out)
{
    fprintf (
        out,
        "usage: helios-agent [-c CONFIG] --role ROLE [--master ENDPOINT]\n"
        "                    [--name NAME] [--capacity N]\n"
        "                    [--state-dir DIR] [--node NODE] [--key FILE]\n"
        "                    [-v]...\n"
        "  -c, --config FILE    configuration (default: $HELIOS_CONFIG,\n"
        "                       else deploy/helios.cfg if present)\n"
        "  -r, --role ROLE      prometheus-frontend, prometheus-backend,\n"
        "                       hephaestus-frontend, hephaestus-backend,\n"
        "                       athena-ux or athena-api\n"
        "  -m, --master EP      the master's tasks endpoint\n"
        "                       (default: the config's connect.tasks)\n"
        "  -n, --name NAME      name on the wire (default "
        "ROLE@HOST:PID)\n"
        "      --capacity N     concurrent tasks, 1..1024\n"
        "      --state-dir DIR  where a Hephaestus agent given --name\n"
        "                       keeps its journal (NAME.journal), so\n"
        "                       that restarted with that name it never\n"
        "                       runs a task twice (default: the\n"
        "                       config's agent.state_dir)\n"
        "      --node NODE      the helios-node that started it, told\n"
        "                       to the master (set by helios-node)\n"
        "      --key FILE       this agent's CURVE secret key\n"
        "                       (NAME.key_secret from helios-ctl keygen;\n"
        "                       default: the config's "
        "security.secret_key)\n"
        "  -v, --verbose        more logging (-v info, -vv debug)\n"
        "  -h, --help           this help\n"
        "      --version        print the version\n"
        "SIGTERM or SIGINT drains running tasks, a second one stops at "
        "once.\n");
}

/*  "helios-agent: what 'arg' why (try --help)": a usage error, exit 2. */
static int
s_bad (const char *what, const char *arg, const char *why)
{
    fprintf (stderr, "helios-agent: %s '%s'%s%s (try --help)\n", what, arg,
             *why && *why != ':' ? " " : "", why);
    return 2;
}

int
main (int argc, char *argv[])
{
    const char *path = NULL;
    const char *key = NULL;
    hl_agent_opts_t opts = { 0 };
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        bool takes_value
            = streq (a, "-c") || streq (a, "--config") || streq (a, "-r")
              || streq (a, "--role") || streq (a, "-m") || streq (a, "--master")
              || streq (a, "-n") || streq (a, "--name")
              || streq (a, "--capacity") || streq (a, "--state-dir")
              || streq (a, "--key") || streq (a, "--node");
        if (takes_value && !has_value)
            return s_bad ("option", a, "needs a value");
        if ((streq (a, "-c") || streq (a, "--config")) && has_value)
            path = argv[++i];
        else if ((streq (a, "-r") || streq (a, "--role")) && has_value)
            opts.role = argv[++i];
        else if ((streq (a, "-m") || streq (a, "--master")) && has_value)
            opts.endpoint = argv[++i];
        else if ((streq (a, "-n") || streq (a, "--name")) && has_value)
            opts.name = argv[++i];
        else if (streq (a, "--state-dir") && has_value)
            opts.state_dir = argv[++i];
        else if (streq (a, "--key") && has_value)
            key = argv[++i];
        else if (streq (a, "--node") && has_value)
            opts.node = argv[++i];
        else if (streq (a, "--capacity") && has_value) {
            const char *text = argv[++i];
            char *end = NULL;
            long n = strtol (text, &end, 10);
            if (!*text || *end || n < 1 || n > 1024)
                return s_bad ("--capacity wants 1..1024, not", text, "");
            opts.capacity = (int)n;
        } else if (streq (a, "-v") || streq (a, "--verbose"))
            verbose++;
        else if (streq (a, "-vv"))
            verbose += 2;
        else if (streq (a, "-h") || streq (a, "--help")) {
            s_usage (stdout);
            return 0;
        } else if (streq (a, "--version")) {
            printf ("helios-agent %s\n", HL_VERSION);
            return 0;
        } else
            return s_bad (
                a[0] == '-' ? "unknown option" : "unexpected argument", a, "");
    }
    if (!opts.role) {
        fprintf (stderr, "helios-agent: --role is required (try --help)\n");
        return 2;
    }
    if (hl_role_parse (opts.role) < 0)
        return s_bad ("unknown role", opts.role, "");
    if (opts.name && (!*opts.name || strlen (opts.name) > HL_MAX_NAME))
        return s_bad ("--name wants 1..255 bytes, not", opts.name, "");
    if (opts.node && (!*opts.node || strlen (opts.node) > HL_MAX_NAME))
        return s_bad ("--node wants 1..255 bytes, not", opts.node, "");
    if (opts.state_dir
        && (!*opts.state_dir || strlen (opts.state_dir) >= HL_CONFIG_PATH))
        return s_bad ("--state-dir wants a folder, not", opts.state_dir, "");
    if (opts.endpoint && !hl_sock_endpoint_ok (opts.endpoint))
        return s_bad ("bad endpoint", opts.endpoint,
                      ": want " HL_SOCK_ENDPOINT_FORMS);
    if (!path)
        path = hl_config_default_path ();

    char err[512];
    hl_config_t *config = path ? hl_config_load (path, err, sizeof err)
                               : hl_config_new_default ();
    if (!config) {
        fprintf (stderr, "helios-agent: %s\n", err);
        return 1;
    }
    int level = hl_log_level_from_name (hl_config_master (config)->log_level);
    if (level < 0)
        level = HL_LOG_NOTICE;
    level += verbose;
    char ident[HL_MAX_NAME + 1];
    if (opts.name)
        snprintf (ident, sizeof ident, "%s", opts.name);
    else
        snprintf (ident, sizeof ident, "agent-%d", (int)getpid ());
    hl_log_init (ident, level > HL_LOG_DEBUG ? HL_LOG_DEBUG : level, false);

    hl_curve_t *curve = NULL;
    if (hl_curve_load (hl_config_security (config), key, HL_CURVE_CLIENT,
                       &curve, err, sizeof err)) {
        fprintf (stderr, "helios-agent: %s\n", err);
        hl_config_destroy (&config);
        return 1;
    }
    hl_curve_use (curve);
    hl_agent_t *agent = hl_agent_new (config, &opts, err, sizeof err);
    if (!agent) {
        fprintf (stderr, "helios-agent: %s\n", err);
        hl_curve_destroy (&curve);
        hl_config_destroy (&config);
        return 1;
    }
    int rc = hl_agent_run (agent);
    hl_agent_destroy (&agent);
    hl_curve_destroy (&curve);
    hl_config_destroy (&config);
    return rc ? 1 : 0;
}
