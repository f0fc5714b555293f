/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios-master - arguments, configuration, create, run, destroy.
*/
#include <czmq.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "../bus/hl_config.h"
#include "../bus/hl_log.h"
#include "hl_master.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: helios-master [-c CONFIG] [-v]...\n"
             "  -c, --config FILE  configuration (default: $HELIOS_CONFIG,\n"
             "                     else deploy/helios.cfg if present)\n"
             "  -v, --verbose      more logging (-v info, -vv debug)\n"
             "  -h, --help         this help\n"
             "      --version      print the version\n"
             "Prints \"READY <tasks endpoint> ...\" on stdout once bound.\n");
}

/*  Every agent is a connection, a descriptor: a soft limit of 1024, still
    common, would stop a swarm short of design §10's thousand agents. The
    hard limit is ours to take. */
static void
s_raise_nofile (void)
{
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit (RLIMIT_NOFILE, &rl) == 0)
            hl_log_info ("open files: limit raised from %llu to %llu",
                         (unsigned long long)was,
                         (unsigned long long)rl.rlim_cur);
    }
}

int
main (int argc, char *argv[])
{
    const char *path = NULL;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((streq (a, "-c") || streq (a, "--config")) && i + 1 >= argc) {
            fprintf (stderr,
                     "helios-master: option '%s' needs a value "
                     "(try --help)\n",
                     a);
            return 2;
        } else if (streq (a, "-c") || streq (a, "--config"))
            path = argv[++i];
        else if (streq (a, "-v") || streq (a, "--verbose"))
            verbose++;
        else if (streq (a, "-vv"))
            verbose += 2;
        else if (streq (a, "-h") || streq (a, "--help")) {
            s_usage (stdout);
            return 0;
        } else if (streq (a, "--version")) {
            printf ("helios-master %s\n", HL_VERSION);
            return 0;
        } else {
            fprintf (stderr, "helios-master: %s '%s' (try --help)\n",
                     a[0] == '-' ? "unknown option" : "unexpected argument", a);
            return 2;
        }
    }
    if (!path)
        path = hl_config_default_path ();

    char err[512];
    hl_config_t *config = path ? hl_config_load (path, err, sizeof err)
                               : hl_config_new_default ();
    if (!config) {
        fprintf (stderr, "helios-master: %s\n", err);
        return 1;
    }
    int level = hl_log_level_from_name (hl_config_master (config)->log_level);
    if (level < 0)
        level = HL_LOG_NOTICE;
    level += verbose;
    hl_log_init ("master", level > HL_LOG_DEBUG ? HL_LOG_DEBUG : level, false);
    s_raise_nofile ();

    hl_master_t *master = hl_master_new (config, err, sizeof err);
    if (!master) {
        fprintf (stderr, "helios-master: %s\n", err);
        hl_config_destroy (&config);
        return 1;
    }
    printf ("%s\n", hl_master_ready_line (master));
    fflush (stdout);
    hl_log_notice ("helios-master %s up, config %s", HL_VERSION,
                   path ? path : "(defaults)");
    int rc = hl_master_run (master);
    hl_log_notice ("helios-master stopping");
    hl_master_destroy (&master);
    hl_config_destroy (&config);
    return rc ? 1 : 0;
}
