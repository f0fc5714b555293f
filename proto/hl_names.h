/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_names - the names every layer shares, once: the agent roles and
    which role serves which swarm, task kinds and statuses, verdicts,
    outcomes, metric categories and severities. Inside Helios they are
    enums; their strings appear only at the edges (the wire, JSON, config),
    through the one table each kind has here.

    Every kind has the same pair: hl_<kind>_name (value) gives its string
    ("?" when out of range, never NULL), and hl_<kind>_parse (text) gives
    the value, or -1 for NULL or an unknown string.
*/
#ifndef HL_NAMES_H
#define HL_NAMES_H

#include <stdbool.h>

/*  The two swarms an action and a role belong to. */
typedef enum { HL_SWARM_FRONTEND, HL_SWARM_BACKEND } hl_swarm_t;
#define HL_SWARM_COUNT 2

/*  The three role families: analyse, implement, verify. */
typedef enum {
    HL_FAMILY_PROMETHEUS,
    HL_FAMILY_HEPHAESTUS,
    HL_FAMILY_ATHENA
} hl_family_t;
#define HL_FAMILY_COUNT 3

/*  The six agent roles: a family in a swarm's flavour. */
typedef enum {
    HL_ROLE_PROMETHEUS_FRONTEND, /* "prometheus-frontend" */
    HL_ROLE_PROMETHEUS_BACKEND,  /* "prometheus-backend" */
    HL_ROLE_HEPHAESTUS_FRONTEND, /* "hephaestus-frontend" */
    HL_ROLE_HEPHAESTUS_BACKEND,  /* "hephaestus-backend" */
    HL_ROLE_ATHENA_UX,           /* "athena-ux": verifies the frontend */
    HL_ROLE_ATHENA_API           /* "athena-api": backend and business */
} hl_role_id_t;
#define HL_ROLE_COUNT 6

/*  Task kinds (design §3). */
typedef enum {
    HL_KIND_ANALYZE,
    HL_KIND_APPLY,
    HL_KIND_ROLLBACK,
    HL_KIND_VERIFY,
    HL_KIND_ECHO
} hl_task_kind_t;
#define HL_KIND_COUNT 5

/*  How a task ended (design §3). */
typedef enum {
    HL_STATUS_OK,
    HL_STATUS_FAILED,
    HL_STATUS_REJECTED,
    HL_STATUS_TIMEOUT,
    HL_STATUS_CANCELLED
} hl_task_status_t;
#define HL_STATUS_COUNT 5

/*  Athena's judgement of one change. NONE: not judged (yet). */
typedef enum {
    HL_VERDICT_NONE,
    HL_VERDICT_INCONCLUSIVE, /* fewer than min_n points on a side */
    HL_VERDICT_UNCHANGED,    /* no significant shift of at least min_effect */
    HL_VERDICT_IMPROVED,     /* significant, interval on the better side */
    HL_VERDICT_REGRESSED,    /* the same on the worse side */
    HL_VERDICT_CONFOUNDED    /* another change moved what it was judged
                                on: it cannot be told apart */
} hl_verdict_t;
#define HL_VERDICT_COUNT 6

/*  What became of a change. NONE: still under way. */
typedef enum {
    HL_OUTCOME_NONE,
    HL_OUTCOME_KEPT,
    HL_OUTCOME_ROLLED_BACK,
    HL_OUTCOME_FAILED
} hl_outcome_t;
#define HL_OUTCOME_COUNT 4

/*  Metric categories (design §4). */
typedef enum {
    HL_CATEGORY_FRONTEND,
    HL_CATEGORY_BACKEND,
    HL_CATEGORY_BUSINESS
} hl_category_t;
#define HL_CATEGORY_COUNT 3

/*  Bottleneck severity, from a metric's score (none: at target). */
typedef enum {
    HL_SEVERITY_NONE,
    HL_SEVERITY_LOW,
    HL_SEVERITY_MEDIUM,
    HL_SEVERITY_HIGH,
    HL_SEVERITY_CRITICAL
} hl_severity_t;
#define HL_SEVERITY_COUNT 5

const char *hl_swarm_name (hl_swarm_t swarm);
int hl_swarm_parse (const char *text);

const char *hl_family_name (hl_family_t family);
int hl_family_parse (const char *text);

const char *hl_role_name (hl_role_id_t role);
int hl_role_parse (const char *text);

/*  The role of family that serves swarm: athena + frontend is athena-ux. */
hl_role_id_t hl_role_of (hl_family_t family, hl_swarm_t swarm);

/*  The swarm a role serves, and its family. */
hl_swarm_t hl_role_swarm (hl_role_id_t role);
hl_family_t hl_role_family (hl_role_id_t role);

/*  The swarm whose roles look after a metric category: frontend for
    frontend, backend for backend and business. */
hl_swarm_t hl_category_swarm (hl_category_t category);

const char *hl_kind_name (hl_task_kind_t kind);
int hl_kind_parse (const char *text);

/*  True for the kinds that change the system (apply, rollback): they
    name an action, the agent journals them, and a lost one is retried
    only on the agent it went to, never run blind on another. */
bool hl_kind_changes (hl_task_kind_t kind);

const char *hl_status_name (hl_task_status_t status);
int hl_status_parse (const char *text);

const char *hl_verdict_name (hl_verdict_t verdict);
int hl_verdict_parse (const char *text);

const char *hl_outcome_name (hl_outcome_t outcome);
int hl_outcome_parse (const char *text);

const char *hl_category_name (hl_category_t category);
int hl_category_parse (const char *text);

const char *hl_severity_name (hl_severity_t severity);
int hl_severity_parse (const char *text);

#endif
