/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios-spy - bus inspection (design §8): arguments, config, then
    hl_spy does the work. Exit 0 on success, 1 on a failed operation, 2 on
    bad usage; errors are one line on stderr.
*/
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hl_config.h"
#include "hl_log.h"
#include "hl_sock.h"
#include "hl_curve.h"
#include "hl_spy.h"
#include "../proto/hl_alloc.h"

#define HL_SPY_DEFAULT_CONFIG "deploy/helios.cfg"

static const char *s_usage
    = "usage: helios-spy [-c CONFIG] [-e ENDPOINT] [--topic PREFIX]...\n"
      "                  [--count N] [--timeout S] [--record FILE] [-v]\n"
      "       helios-spy [-c CONFIG] [-e ENDPOINT] --replay FILE [--speed X]\n"
      "\n"
      "Watch the bus and print each message as one JSON line, or replay a\n"
      "recording onto it.\n"
      "\n"
      "  -c, --config FILE   config (default: $HELIOS_CONFIG, else\n"
      "                      " HL_SPY_DEFAULT_CONFIG " if readable, else "
      "built-in)\n"
      "  -e, --endpoint EP   bus-out to watch, or bus-in for --replay\n"
      "      --topic PREFIX  only topics starting with PREFIX (repeatable)\n"
      "      --count N       exit after N messages\n"
      "      --timeout S     exit after S seconds (1 if --count not reached)\n"
      "      --record FILE   also record every message into FILE\n"
      "      --replay FILE   publish a recording instead of watching\n"
      "      --speed X       replay pace; 2 is twice as fast, 0 no waiting\n"
      "      --key FILE      CURVE secret key (default: the config's\n"
      "                      security.secret_key)\n"
      "  -v, --verbose       log more\n"
      "  -h, --help          this text\n"
      "      --version       print the version\n";

enum {
    OPT_TOPIC = 256,
    OPT_COUNT,
    OPT_TIMEOUT,
    OPT_RECORD,
    OPT_REPLAY,
    OPT_SPEED,
    OPT_KEY,
    OPT_VERSION
};

static void s_usage_error (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

static void
s_usage_error (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "helios-spy: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, " (try --help)\n");
    va_end (ap);
}

static bool
s_parse_count (const char *text, uint64_t *value)
{
    char *end = NULL;
    errno = 0;
    if (!text || !*text || *text == '-' || *text == '+')
        return false;
    unsigned long long v = strtoull (text, &end, 10);
    if (errno || *end || v == 0)
        return false;
    *value = v;
    return true;
}

static bool
s_parse_real (const char *text, double *value)
{
    char *end = NULL;
    errno = 0;
    if (!text || !*text)
        return false;
    double v = strtod (text, &end);
    if (errno || *end || !isfinite (v) || v < 0)
        return false;
    *value = v;
    return true;
}

int
main (int argc, char *argv[])
{
    static const struct option options[]
        = { { "config", required_argument, NULL, 'c' },
            { "endpoint", required_argument, NULL, 'e' },
            { "topic", required_argument, NULL, OPT_TOPIC },
            { "count", required_argument, NULL, OPT_COUNT },
            { "timeout", required_argument, NULL, OPT_TIMEOUT },
            { "record", required_argument, NULL, OPT_RECORD },
            { "replay", required_argument, NULL, OPT_REPLAY },
            { "speed", required_argument, NULL, OPT_SPEED },
            { "key", required_argument, NULL, OPT_KEY },
            { "verbose", no_argument, NULL, 'v' },
            { "help", no_argument, NULL, 'h' },
            { "version", no_argument, NULL, OPT_VERSION },
            { NULL, 0, NULL, 0 } };
    hl_spy_args_t args;
    hl_spy_args_default (&args);
    const char *config_path = NULL;
    const char *key = NULL;
    hl_curve_t *curve = NULL;
    bool verbose = false;
    bool speed_given = false;
    //  Every --topic is a separate argv word, so argc bounds them
    const char **topics
        = (const char **)hl_calloc ((size_t)argc, sizeof (char *));
    hl_config_t *config = NULL;
    hl_spy_t *spy = NULL;
    char err[1024] = "";
    int status = 2;

    opterr = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, ":c:e:vh", options, NULL)) != -1) {
        switch (opt) {
            case 'c':
                config_path = optarg;
                break;
            case 'e':
                args.endpoint = optarg;
                if (!hl_sock_endpoint_ok (optarg)) {
                    s_usage_error ("bad endpoint '%s': want %s", optarg,
                                   HL_SOCK_ENDPOINT_FORMS);
                    goto done;
                }
                break;
            case OPT_TOPIC:
                topics[args.topics_n++] = optarg;
                break;
            case OPT_COUNT:
                if (!s_parse_count (optarg, &args.count)) {
                    s_usage_error ("--count: not a positive number: %s",
                                   optarg);
                    goto done;
                }
                break;
            case OPT_TIMEOUT:
                if (!s_parse_real (optarg, &args.timeout)
                    || args.timeout == 0) {
                    s_usage_error ("--timeout: not a positive number: %s",
                                   optarg);
                    goto done;
                }
                break;
            case OPT_RECORD:
                args.record = optarg;
                break;
            case OPT_KEY:
                key = optarg;
                break;
            case OPT_REPLAY:
                args.replay = optarg;
                break;
            case OPT_SPEED:
                if (!s_parse_real (optarg, &args.speed)) {
                    s_usage_error ("--speed: not a number >= 0: %s", optarg);
                    goto done;
                }
                speed_given = true;
                break;
            case 'v':
                verbose = true;
                break;
            case 'h':
                fputs (s_usage, stdout);
                status = 0;
                goto done;
            case OPT_VERSION:
                printf ("helios-spy %s\n", HL_VERSION);
                status = 0;
                goto done;
            case ':':
                //  optind has moved past the option that lacks its value
                s_usage_error ("option '%s' needs a value", argv[optind - 1]);
                goto done;
            default:
                if (optopt > 0 && optopt < 256)
                    s_usage_error ("unknown option '-%c'", optopt);
                else
                    s_usage_error ("unknown option '%s'", argv[optind - 1]);
                goto done;
        }
    }
    if (optind < argc) {
        s_usage_error ("unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (args.replay
        && (args.record || args.topics_n || args.count || args.timeout)) {
        s_usage_error ("%s",
                       "--replay takes only -c, -e, --key, --speed and -v");
        goto done;
    }
    if (speed_given && !args.replay) {
        s_usage_error ("%s", "--speed needs --replay");
        goto done;
    }
    args.topics = topics;

    status = 1;
    hl_log_init ("helios-spy", verbose ? HL_LOG_DEBUG : HL_LOG_WARNING, false);
    if (!config_path) {
        const char *env = getenv ("HELIOS_CONFIG");
        if (env && *env)
            config_path = env;
        else if (access (HL_SPY_DEFAULT_CONFIG, R_OK) == 0)
            config_path = HL_SPY_DEFAULT_CONFIG;
    }
    config = config_path ? hl_config_load (config_path, err, sizeof err)
                         : hl_config_new_default ();
    if (!config) {
        fprintf (stderr, "helios-spy: %s\n",
                 *err ? err : "cannot load the configuration");
        goto done;
    }
    if (hl_curve_load (hl_config_security (config), key, HL_CURVE_CLIENT,
                       &curve, err, sizeof err)) {
        fprintf (stderr, "helios-spy: %s\n", err);
        goto done;
    }
    hl_curve_use (curve);
    if (!args.endpoint)
        args.endpoint = args.replay ? hl_config_connect (config)->bus_in
                                    : hl_config_connect (config)->bus_out;
    hl_sock_opts_from_config (hl_config_limits (config), &args.opts);
    args.limits = hl_config_limits (config)->decode;

    spy = hl_spy_new (&args, err, sizeof err);
    if (!spy) {
        fprintf (stderr, "helios-spy: %s\n", err);
        status = 2;
        goto done;
    }
    //  SIGINT and SIGTERM set zsys_interrupted; the spy ends cleanly
    zsys_catch_interrupts ();
    status = hl_spy_run (spy, err, sizeof err);
    if (status != 0)
        fprintf (stderr, "helios-spy: %s\n", err);
done:
    hl_spy_destroy (&spy);
    hl_curve_destroy (&curve);
    hl_config_destroy (&config);
    free (topics);
    return status;
}
