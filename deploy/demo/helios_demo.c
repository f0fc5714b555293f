/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios-demo - the simulated chat service Helios optimises by default
    (design §1): "run" is the service; set, get and incident are one-shot
    clients of its control socket. Arguments and config here; the work is
    in demo_service and demo_model. Exit 0 ok, 1 failed, 2 bad usage.
*/
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../bus/hl_config.h"
#include "../../bus/hl_curve.h"
#include "../../bus/hl_log.h"
#include "../../bus/hl_sock.h"
#include "demo_service.h"

//  How long a client command waits for the running demo
#define S_CLIENT_TIMEOUT_MS 2000

static const char *s_usage
    = "usage: helios-demo [-c CONFIG] [--key FILE] [-v] run [--rate N] "
      "[--seed S]\n"
      "       helios-demo [-c CONFIG] set KNOB=VALUE [KNOB=VALUE...]\n"
      "       helios-demo [-c CONFIG] get\n"
      "       helios-demo [-c CONFIG] incident NAME|clear\n"
      "\n"
      "A simulated chat service: run publishes the 12 seed KPIs on the\n"
      "Helios bus and prints \"READY <control endpoint>\" once bound; the\n"
      "other commands turn its knobs or start an incident.\n"
      "\n"
      "  -c, --config FILE  config (default: $HELIOS_CONFIG, else\n"
      "                     deploy/helios.cfg, /etc/helios/helios.cfg...)\n"
      "      --key FILE     CURVE secret key for the bus (default: the\n"
      "                     config's security.secret_key); the demo's own\n"
      "                     control socket is plain, keep it on loopback\n"
      "  -v, --verbose      log more\n"
      "  -h, --help         this text\n"
      "      --version      print the version\n"
      "  --rate N           samples per second per metric, 1..1000\n"
      "  --seed S           noise and drift seed, 0 = from the clock\n"
      "\n"
      "knobs: cache, ws_compression, lazy_load, virtual_list, prefetch\n"
      "       (on|off), db_pool (1..512), report_workers (1..64),\n"
      "       debounce (0..1000 ms), gc_mode (normal|aggressive)\n"
      "incidents: db_outage (the database is down: health under 50\n"
      "           whatever the knobs, until clear), db_slowdown (the\n"
      "           database is slower: the cache and a bigger pool answer\n"
      "           it), cache_outage, ws_storm; clear ends one\n";

enum { OPT_VERSION = 256, OPT_KEY };

static void s_usage_error (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

static void
s_usage_error (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "helios-demo: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, " (try --help)\n");
    va_end (ap);
}

static bool
s_parse_u64 (const char *text, uint64_t max, uint64_t *out)
{
    if (!text || *text < '0' || *text > '9')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull (text, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

//  run's own options: --rate N, --seed S (also --rate=N)
static int
s_run_options (int argc, char **argv, int *rate, uint64_t *seed,
               bool *seed_given)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        bool is_rate = strncmp (arg, "--rate", 6) == 0;
        bool is_seed = strncmp (arg, "--seed", 6) == 0;
        if ((is_rate || is_seed) && arg[6] == '=')
            value = arg + 7;
        else if ((is_rate || is_seed) && arg[6] == '\0') {
            if (i + 1 >= argc) {
                s_usage_error ("run: option '%s' needs a value", arg);
                return -1;
            }
            value = argv[++i];
        } else {
            s_usage_error (
                "run: %s '%s'",
                arg[0] == '-' ? "unknown option" : "unexpected argument", arg);
            return -1;
        }
        uint64_t number;
        if (is_rate) {
            if (!s_parse_u64 (value, 1000, &number) || number < 1) {
                s_usage_error ("--rate: not a number 1..1000: %s", value);
                return -1;
            }
            *rate = (int)number;
        } else {
            if (!s_parse_u64 (value, UINT64_MAX, &number)) {
                s_usage_error ("--seed: not a number >= 0: %s", value);
                return -1;
            }
            *seed = number;
            *seed_given = true;
        }
    }
    return 0;
}

static int
s_run (const hl_config_t *config, int rate, uint64_t seed)
{
    const hl_config_demo_t *demo = hl_config_demo (config);
    demo_service_args_t args = { .control = demo->control,
                                 .bus_in = hl_config_connect (config)->bus_in,
                                 .rate = rate ? rate : demo->rate,
                                 .seed = seed };
    hl_sock_opts_from_config (hl_config_limits (config), &args.opts);
    args.limits = hl_config_limits (config)->decode;
    char err[512] = "";
    demo_service_t *service = demo_service_new (&args, err, sizeof err);
    if (!service) {
        fprintf (stderr, "helios-demo: %s\n", err);
        return 1;
    }
    printf ("READY %s\n", demo_service_endpoint (service));
    fflush (stdout);
    int rc = demo_service_run (service);
    demo_service_destroy (&service);
    return rc == 0 ? 0 : 1;
}

//  One request to the running demo; prints the state it answers with
static int
s_client (const hl_config_t *config, const char *op, hl_value_t **args_p)
{
    char endpoint[HL_CONFIG_ENDPOINT], err[512] = "";
    int status = 1;
    hl_msg_t *reply = NULL;
    //  A wildcard bind such as tcp://*:7790 is reached on loopback
    if (hl_config_connect_endpoint (hl_config_demo (config)->control, endpoint,
                                    sizeof endpoint)) {
        fprintf (stderr, "helios-demo: control endpoint too long\n");
        hl_value_destroy (args_p);
        return 1;
    }
    hl_sock_opts_t opts;
    hl_sock_opts_from_config (hl_config_limits (config), &opts);
    if (demo_service_request (endpoint, &opts, op, args_p, S_CLIENT_TIMEOUT_MS,
                              &reply, err, sizeof err)) {
        fprintf (stderr, "helios-demo: %s\n", err);
        goto done;
    }
    if (!hl_msg_ok (reply)) {
        fprintf (stderr, "helios-demo: %s refused: %s\n", op,
                 hl_msg_error (reply));
        goto done;
    }
    json_t *json = hl_value_to_json (hl_msg_data (reply));
    char *text
        = json ? json_dumps (json, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text)
        printf ("%s\n", text);
    free (text);
    json_decref (json);
    status = 0;
done:
    hl_msg_destroy (&reply);
    return status;
}

//  KNOB=VALUE words into a map; -1 on a word without "=" or a name
static int
s_set_args (int argc, char **argv, hl_value_t **args_p)
{
    hl_value_t *args = hl_value_new_map ();
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr (argv[i], '=');
        if (!eq || eq == argv[i]) {
            s_usage_error ("set: expected KNOB=VALUE, got %s", argv[i]);
            hl_value_destroy (&args);
            return -1;
        }
        char knob[64];
        size_t len = (size_t)(eq - argv[i]);
        snprintf (knob, sizeof knob, "%.*s", (int)(len < 63 ? len : 63),
                  argv[i]);
        hl_value_set_str (args, knob, eq + 1);
    }
    *args_p = args;
    return 0;
}

int
main (int argc, char *argv[])
{
    static const struct option options[]
        = { { "config", required_argument, NULL, 'c' },
            { "verbose", no_argument, NULL, 'v' },
            { "help", no_argument, NULL, 'h' },
            { "version", no_argument, NULL, OPT_VERSION },
            { "key", required_argument, NULL, OPT_KEY },
            { NULL, 0, NULL, 0 } };
    const char *config_path = NULL;
    const char *key = NULL;
    hl_curve_t *curve = NULL;
    bool verbose = false;
    hl_config_t *config = NULL;
    hl_value_t *args = NULL;
    char err[1024] = "";
    int status = 2;

    opterr = 0;
    int opt;
    //  "+": options end at the command, whose own options come after it
    while ((opt = getopt_long (argc, argv, "+:c:vh", options, NULL)) != -1) {
        switch (opt) {
            case 'c':
                config_path = optarg;
                break;
            case 'v':
                verbose = true;
                break;
            case OPT_KEY:
                key = optarg;
                break;
            case 'h':
                fputs (s_usage, stdout);
                status = 0;
                goto done;
            case OPT_VERSION:
                printf ("helios-demo %s\n", HL_VERSION);
                status = 0;
                goto done;
            case ':':
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
    if (optind >= argc) {
        s_usage_error ("%s", "no command (run, set, get or incident)");
        goto done;
    }
    const char *command = argv[optind];
    int rest_n = argc - optind - 1;
    char **rest = argv + optind + 1;
    int rate = 0;
    uint64_t seed = 0;
    bool seed_given = false;
    if (strcmp (command, "run") == 0) {
        if (s_run_options (rest_n, rest, &rate, &seed, &seed_given))
            goto done;
    } else if (strcmp (command, "set") == 0) {
        if (rest_n < 1) {
            s_usage_error ("%s", "set needs KNOB=VALUE");
            goto done;
        }
        if (s_set_args (rest_n, rest, &args))
            goto done;
    } else if (strcmp (command, "get") == 0) {
        if (rest_n != 0) {
            s_usage_error ("get: %s '%s'",
                           rest[0][0] == '-' ? "unknown option"
                                             : "unexpected argument",
                           rest[0]);
            goto done;
        }
    } else if (strcmp (command, "incident") == 0) {
        if (rest_n != 1) {
            s_usage_error ("%s", "incident needs one NAME or clear");
            goto done;
        }
        args = hl_value_new_map ();
        hl_value_set_str (args, "name", rest[0]);
    } else {
        s_usage_error ("unknown command %s", command);
        goto done;
    }

    status = 1;
    if (!config_path)
        config_path = hl_config_default_path ();
    config = config_path ? hl_config_load (config_path, err, sizeof err)
                         : hl_config_new_default ();
    if (!config) {
        fprintf (stderr, "helios-demo: %s\n",
                 *err ? err : "cannot load the configuration");
        goto done;
    }
    bool is_run = strcmp (command, "run") == 0;
    int level = hl_log_level_from_name (hl_config_master (config)->log_level);
    hl_log_init ("helios-demo",
                 verbose      ? HL_LOG_DEBUG
                 : !is_run    ? HL_LOG_WARNING
                 : level >= 0 ? (hl_log_level_t)level
                              : HL_LOG_NOTICE,
                 false);
    //  The bus is the master's and takes CURVE; the demo's own control
    //  socket does not (s_client)
    if (is_run
        && hl_curve_load (hl_config_security (config), key, HL_CURVE_CLIENT,
                          &curve, err, sizeof err)) {
        fprintf (stderr, "helios-demo: %s\n", err);
        goto done;
    }
    hl_curve_use (curve);
    if (is_run) {
        //  A seed from the command line wins, then the config's
        if (!seed_given)
            seed = hl_config_demo (config)->seed;
        status = s_run (config, rate, seed);
    } else
        status = s_client (config, command, &args);
done:
    hl_value_destroy (&args);
    hl_curve_destroy (&curve);
    hl_config_destroy (&config);
    return status;
}
