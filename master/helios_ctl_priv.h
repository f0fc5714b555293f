/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios_ctl_priv - what the two files of helios-ctl share: its options,
    the request and its one line of failure, the usage errors, the JSON
    and figure printers, and the commands of helios_ctl_runs.c (the runs
    and what Helios decided) that main in helios_ctl.c calls. Not for
    other modules: the program is not part of libhlmaster.
*/
#ifndef HELIOS_CTL_PRIV_H
#define HELIOS_CTL_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "../proto/hl_msg.h"
#include "../proto/hl_value.h"

typedef struct {
    const char *endpoint; /* control endpoint */
    int timeout_ms;
    bool timeout_set; /* -t given */
    bool json;
} hl_ctl_opts_t;

/*  One line "helios-ctl: TEXT (try --help)" on stderr; returns the usage
    exit code (2). */
int hl_ctl_usage_error (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

/*  A word cmd (NULL: the command line itself) does not take: an option
    if it starts with '-', else an argument. The one wording of a bad flag
    in every Helios program. */
int hl_ctl_bad_word (const char *cmd, const char *word);

/*  An option given last, without its value. */
int hl_ctl_no_value (const char *cmd, const char *option);

/*  Send op and take the reply. On failure prints one line, named by what
    the user typed (label: "metric push" for op "metric.push"), and
    returns the exit code; 0 with *reply_p on success. Takes args. */
int hl_ctl_call (const hl_ctl_opts_t *opts, const char *op, const char *label,
                 hl_value_t **args_p, hl_msg_t **reply_p);

/*  hl_ctl_call for an op that answers a list in pages (agents, cycles):
    follows each reply's next cursor (args "from") until the list is
    whole; *reply_p's data is then the whole list. */
int hl_ctl_call_all (const hl_ctl_opts_t *opts, const char *op,
                     const char *label, hl_msg_t **reply_p);

/*  data (NULL: {}) as one indented JSON document on stdout. */
void hl_ctl_print_json (const hl_value_t *data);

/*  A number with decimals into buf, times scale, then unit; "-" when v
    is missing, null or not finite (nothing measured yet). Returns buf. */
const char *hl_ctl_figure (char *buf, size_t size, const hl_value_t *v,
                           int decimals, double scale, const char *unit);

/*  The commands of helios_ctl_runs.c: each takes its words (after the
    command's name) and returns the exit code. run may lengthen the
    timeout (--wait). */
int hl_ctl_cmd_run (hl_ctl_opts_t *opts, int argc, char **argv);
int hl_ctl_cmd_cycles (const hl_ctl_opts_t *opts);
int hl_ctl_cmd_report (const hl_ctl_opts_t *opts, int argc, char **argv);
int hl_ctl_cmd_actions (const hl_ctl_opts_t *opts);
int hl_ctl_cmd_action (const hl_ctl_opts_t *opts, int argc, char **argv);
int hl_ctl_cmd_audit (const hl_ctl_opts_t *opts, int argc, char **argv);

/*  helios_ctl_bench.c: bench echo. */
int hl_ctl_cmd_bench (const hl_ctl_opts_t *opts, int argc, char **argv);

/*  The commands of helios_ctl_nodes.c: scaling over helios-nodes. */
int hl_ctl_cmd_scale (const hl_ctl_opts_t *opts, int argc, char **argv);
int hl_ctl_cmd_nodes (const hl_ctl_opts_t *opts);

/*  status's lines on the autoscaled roles (status's data), if any. */
void hl_ctl_print_autoscale (const hl_value_t *status);

#endif
