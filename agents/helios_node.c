/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios-node - the per-machine supervisor of design §9: arguments,
    configuration, create, run, destroy.
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
#include "hl_node.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

static void
s_usage (FILE *out)
{
    fprintf (
        out,
        "usage: helios-node [-c CONFIG] [--master ENDPOINT] [--name NAME]\n"
        "                   [--agent PATH] [--key FILE] [-v]...\n"
        "  -c, --config FILE  configuration, its node section (default:\n"
        "                     $HELIOS_CONFIG, else deploy/helios.cfg)\n"
        "  -m, --master EP    the master's tasks endpoint\n"
        "                     (default: the config's connect.tasks)\n"
        "  -n, --name NAME    the node's name (default: node.name, else\n"
        "                     the host's name)\n"
        "      --agent PATH   the helios-agent to run (default:\n"
        "                     $HELIOS_BIN/helios-agent, else the one\n"
        "                     beside helios-node, else PATH's)\n"
        "      --key FILE     the CURVE secret key of the node and its\n"
        "                     agents (default: security.secret_key)\n"
        "  -v, --verbose      more logging (-v info, -vv debug)\n"
        "  -h, --help         this help\n"
        "      --version      print the version\n"
        "It runs the agents the master orders (helios-ctl scale) and\n"
        "restarts those that die. SIGTERM or SIGINT drains them and\n"
        "exits; a second one kills them.\n");
}

static int
s_bad (const char *what, const char *arg, const char *why)
{
    fprintf (stderr, "helios-node: %s '%s'%s%s (try --help)\n", what, arg,
             *why && *why != ':' ? " " : "", why);
    return 2;
}

static bool
s_name_ok (const char *s)
{
    size_t len = strlen (s);
    if (len == 0 || len >= HL_CONFIG_LABEL)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'
              || *s == '.' || *s == '-'))
            return false;
    return true;
}

int
main (int argc, char *argv[])
{
    const char *path = NULL;
    hl_node_opts_t opts = { 0 };
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        bool takes_value = streq (a, "-c") || streq (a, "--config")
                           || streq (a, "-m") || streq (a, "--master")
                           || streq (a, "-n") || streq (a, "--name")
                           || streq (a, "--agent") || streq (a, "--key");
        if (takes_value && !has_value)
            return s_bad ("option", a, "needs a value");
        if (streq (a, "-c") || streq (a, "--config"))
            path = argv[++i];
        else if (streq (a, "-m") || streq (a, "--master"))
            opts.endpoint = argv[++i];
        else if (streq (a, "-n") || streq (a, "--name"))
            opts.name = argv[++i];
        else if (streq (a, "--agent"))
            opts.agent_bin = argv[++i];
        else if (streq (a, "--key"))
            opts.key = argv[++i];
        else if (streq (a, "-v") || streq (a, "--verbose"))
            verbose++;
        else if (streq (a, "-vv"))
            verbose += 2;
        else if (streq (a, "-h") || streq (a, "--help")) {
            s_usage (stdout);
            return 0;
        } else if (streq (a, "--version")) {
            printf ("helios-node %s\n", HL_VERSION);
            return 0;
        } else
            return s_bad (
                a[0] == '-' ? "unknown option" : "unexpected argument", a, "");
    }
    if (opts.name && !s_name_ok (opts.name))
        return s_bad ("--name wants 1..63 bytes of [a-z0-9_.-], not", opts.name,
                      "");
    if (opts.endpoint && !hl_sock_endpoint_ok (opts.endpoint))
        return s_bad ("bad endpoint", opts.endpoint,
                      ": want " HL_SOCK_ENDPOINT_FORMS);
    if (opts.agent_bin
        && (!*opts.agent_bin || strlen (opts.agent_bin) >= HL_CONFIG_PATH))
        return s_bad ("--agent wants a path, not", opts.agent_bin, "");
    if (opts.key && (!*opts.key || strlen (opts.key) >= HL_CONFIG_PATH))
        return s_bad ("--key wants a file, not", opts.key, "");
    if (!path)
        path = hl_config_default_path ();

    char err[512];
    hl_config_t *config = path ? hl_config_load (path, err, sizeof err)
                               : hl_config_new_default ();
    if (!config) {
        fprintf (stderr, "helios-node: %s\n", err);
        return 1;
    }
    int level = hl_log_level_from_name (hl_config_master (config)->log_level);
    if (level < 0)
        level = HL_LOG_NOTICE;
    level += verbose;
    hl_log_init ("node", level > HL_LOG_DEBUG ? HL_LOG_DEBUG : level, false);

    hl_curve_t *curve = NULL;
    if (hl_curve_load (hl_config_security (config), opts.key, HL_CURVE_CLIENT,
                       &curve, err, sizeof err)) {
        fprintf (stderr, "helios-node: %s\n", err);
        hl_config_destroy (&config);
        return 1;
    }
    hl_curve_use (curve);
    hl_node_t *node = hl_node_new (config, &opts, err, sizeof err);
    if (!node) {
        fprintf (stderr, "helios-node: %s\n", err);
        hl_curve_destroy (&curve);
        hl_config_destroy (&config);
        return 1;
    }
    int rc = hl_node_run (node);
    hl_node_destroy (&node);
    hl_curve_destroy (&curve);
    hl_config_destroy (&config);
    return rc ? 1 : 0;
}
