/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_names - one name table per shared enum, and the role arithmetic.
    Each table is indexed by its enum, so its order is the enum's.
*/
#include <string.h>

#include "hl_names.h"

static const char *const s_swarms[HL_SWARM_COUNT] = { "frontend", "backend" };

static const char *const s_families[HL_FAMILY_COUNT]
    = { "prometheus", "hephaestus", "athena" };

static const char *const s_roles[HL_ROLE_COUNT]
    = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
        "hephaestus-backend",  "athena-ux",          "athena-api" };

static const char *const s_kinds[HL_KIND_COUNT]
    = { "analyze", "apply", "rollback", "verify", "echo" };

static const char *const s_statuses[HL_STATUS_COUNT]
    = { "ok", "failed", "rejected", "timeout", "cancelled" };

static const char *const s_verdicts[HL_VERDICT_COUNT]
    = { "none",     "inconclusive", "unchanged",
        "improved", "regressed",    "confounded" };

static const char *const s_outcomes[HL_OUTCOME_COUNT]
    = { "none", "kept", "rolled_back", "failed" };

static const char *const s_categories[HL_CATEGORY_COUNT]
    = { "frontend", "backend", "business" };

static const char *const s_severities[HL_SEVERITY_COUNT]
    = { "none", "low", "medium", "high", "critical" };

static const char *
s_name (const char *const *table, int count, int value)
{
    return value >= 0 && value < count ? table[value] : "?";
}

static int
s_parse (const char *const *table, int count, const char *text)
{
    if (!text)
        return -1;
    for (int i = 0; i < count; i++)
        if (strcmp (table[i], text) == 0)
            return i;
    return -1;
}

#define S_PAIR(kind, type, table, count)                                       \
    const char *hl_##kind##_name (type value)                                  \
    {                                                                          \
        return s_name (table, count, (int)value);                              \
    }                                                                          \
    int hl_##kind##_parse (const char *text)                                   \
    {                                                                          \
        return s_parse (table, count, text);                                   \
    }

S_PAIR (swarm, hl_swarm_t, s_swarms, HL_SWARM_COUNT)
S_PAIR (family, hl_family_t, s_families, HL_FAMILY_COUNT)
S_PAIR (role, hl_role_id_t, s_roles, HL_ROLE_COUNT)
S_PAIR (kind, hl_task_kind_t, s_kinds, HL_KIND_COUNT)
S_PAIR (status, hl_task_status_t, s_statuses, HL_STATUS_COUNT)
S_PAIR (verdict, hl_verdict_t, s_verdicts, HL_VERDICT_COUNT)
S_PAIR (outcome, hl_outcome_t, s_outcomes, HL_OUTCOME_COUNT)
S_PAIR (category, hl_category_t, s_categories, HL_CATEGORY_COUNT)
S_PAIR (severity, hl_severity_t, s_severities, HL_SEVERITY_COUNT)

/*  Roles are laid out family-major, swarm-minor: family * 2 + swarm. */
hl_role_id_t
hl_role_of (hl_family_t family, hl_swarm_t swarm)
{
    return (hl_role_id_t)((int)family * HL_SWARM_COUNT + (int)swarm);
}

hl_swarm_t
hl_role_swarm (hl_role_id_t role)
{
    return (hl_swarm_t)((int)role % HL_SWARM_COUNT);
}

hl_family_t
hl_role_family (hl_role_id_t role)
{
    return (hl_family_t)((int)role / HL_SWARM_COUNT);
}

bool
hl_kind_changes (hl_task_kind_t kind)
{
    return kind == HL_KIND_APPLY || kind == HL_KIND_ROLLBACK;
}

hl_swarm_t
hl_category_swarm (hl_category_t category)
{
    return category == HL_CATEGORY_FRONTEND ? HL_SWARM_FRONTEND
                                            : HL_SWARM_BACKEND;
}
