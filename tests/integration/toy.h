/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    toy - a toy service of the tests' own, whose knobs are files and whose
    true effects are known, run by a real helios-master and six real
    agents: three metrics (lat and ux key), published TOY_RATE times a
    second with TOY_NOISE relative noise, each level the base times the
    factor of every knob file present (good 0.6 x lat, harm 1.6 x lat,
    guarded, sidefx, ux_fix, lat_fix, lat_bad, incident 8 x lat). An
    action named like a knob touches its file on apply and removes it on
    rollback, each logging a line to log_<name> first.

    The toy runs as the test binary itself ("self toy DIR BUS_IN"): a
    test's main calls toy_main first.
*/
#ifndef TOY_H
#define TOY_H

#include <jansson.h>
#include <stdbool.h>

#include "../../proto/hl_msg.h"
#include "harness.h"

#define TOY_RATE 20    /* samples per second per metric */
#define TOY_NOISE 0.05 /* relative standard deviation */
#define TOY_WINDOW 10  /* verify_window, seconds: min_n 8 with room */

/*  Where the world's processes run; all NULL: on loopback, as usual.
    With a host, the master binds tasks and the bus on that address, and
    control on an ipc:// path in the folder, which the test reaches from
    any network namespace. */
typedef struct {
    const char *master_extra;         /* inside the master section */
    const char *host;                 /* the master's address, or NULL */
    const char *const *master_prefix; /* the master runs under this */
    const char *const *peer_prefix;   /* the toy and the agents, this */
} toy_opts_t;

typedef struct {
    ht_master_t m;
    char clients[400]; /* the agents' config */
    ht_proc_t *toy;
    ht_proc_t *agents[6]; /* one per role, in toy_role order */
    char *extra;          /* the config past the master section */
    toy_opts_t opts;
} toy_world_t;

/*  The toy's own run when argv asks for it (its exit code), else -1
    after finding this binary for toy_world_start. */
int toy_main (int argc, char *argv[]);

/*  Start the world with cycle settings and the playbook actions[] (each
    "name swarm target expected cost [apply_s [rollback_s]]", NULL-ended:
    how long an apply and a rollback take). */
void toy_world_start (toy_world_t *w, const char *cycle,
                      const char *const *actions);

/*  toy_world_start with opts (NULL: the defaults). */
void toy_world_start_opts (toy_world_t *w, const toy_opts_t *opts,
                           const char *cycle, const char *const *actions);

/*  toy_world_start in two steps, for a test that prepares the folder
    (a small disk under state/) before anything starts. */
void toy_world_prepare (toy_world_t *w, const char *cycle,
                        const char *const *actions);
void toy_world_prepare_opts (toy_world_t *w, const toy_opts_t *opts,
                             const char *cycle, const char *const *actions);
void toy_world_launch (toy_world_t *w);

/*  The role of agents[i], and the name it registers with ("toy-ROLE":
    its Hephaestus agents keep journals, in the folder's agents/). */
const char *toy_role (int i);
const char *toy_agent_name (int i);

/*  Start agents[i] (again: it must be stopped or reaped first). */
void toy_agent_start (toy_world_t *w, int i);

/*  Stop every process, expecting clean exits. */
void toy_world_stop (toy_world_t *w);

/*  Wait until every metric has a window of data behind it. */
void toy_wait_data (toy_world_t *w);

/*  One cycle, run and waited for: its report (caller decrefs). */
json_t *toy_cycle (toy_world_t *w);

/*  Cycles back to back until pred is true of a report; returns how many
    ran. */
typedef bool (toy_pred_fn) (json_t *report, void *arg);
int toy_cycles_until (toy_world_t *w, toy_pred_fn *pred, void *arg);

/*  The action of report named name, or NULL. */
json_t *toy_act (json_t *report, const char *name);

/*  A reply's data (asserting there was a reply). */
const hl_value_t *toy_data (hl_msg_t *reply);

bool toy_bool (const hl_value_t *map, const char *key);

/*  A string field of a JSON object, or "". */
const char *toy_field (json_t *object, const char *key);

/*  Lines of log_<action> that start with what ("apply", "rollback"). */
int toy_count (const toy_world_t *w, const char *action, const char *what);

/*  Whether knob_<action> is there (the change is in effect). */
bool toy_knob (const toy_world_t *w, const char *action);

/*  helios-ctl A [B [C]] --json into a JSON value (asserting exit 0);
    the caller decrefs. */
json_t *toy_ctl_json (toy_world_t *w, const char *a, const char *b,
                      const char *c);

/*  The audit log has a record of event for action whose why contains
    text (may be NULL). */
bool toy_audited (toy_world_t *w, const char *event, const char *action,
                  const char *text);

/*  The newest run of kind in a `cycles` list, or NULL (borrowed). */
json_t *toy_run_of (json_t *list, const char *kind);

/*  Stop the master with sig (SIGKILL, or SIGTERM expecting exit 0) and
    start it again on the same endpoints; its agents come back by
    themselves. */
void toy_restart (toy_world_t *w, int sig);

/*  Wait up to timeout_ms for cond (w) to hold. */
typedef bool (toy_cond_fn) (toy_world_t *w);
bool toy_until (toy_world_t *w, toy_cond_fn *cond, int timeout_ms);

/*  Conditions for toy_until: the recovery run has finished; the cycle
    in progress has sent its verify (its settle began). */
bool toy_recovered (toy_world_t *w);
bool toy_settling (toy_world_t *w);

#endif
