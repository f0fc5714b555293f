/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_config_catalog - the lists of what Helios watches and what it may
    do: metrics (category, direction, statistic, target and critical
    level, range) and actions (swarm, the metrics they improve, guards,
    commands, params with their types, ranges, patterns and defaults).
    Part of the hl_config module; it shares hl_config_priv.h.
*/
#include "hl_config_priv.h"
#include "../proto/hl_alloc.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A key an element accepts; keys starting with "x_" are always accepted
static const char *s_metric_keys[]
    = { "name",     "category", "unit", "better", "stat", "target",
        "critical", "weight",   "key",  "min",    "max",  NULL };
static const char *s_action_keys[]
    = { "name",    "swarm", "improves", "resources", "apply",  "rollback",
        "timeout", "cost",  "expected", "params",    "guards", NULL };
static const char *s_param_keys[]
    = { "name", "type", "min", "max", "pattern", "required", "default", NULL };

static const char *s_betters[] = { "lower", "higher", NULL };
static const char *s_stats[]
    = { "mean", "p50", "p95", "min", "max", "last", NULL };
static const char *s_param_types[] = { "int", "float", "str", NULL };

// --------------------------------------------------------------------
// Metrics

/*  A metric's possible values when the config does not say: a percentage
    is 0..100; times, counts, rates and anything where lower is better
    cannot go below 0; the rest is unbounded. */
static void
s_default_range (hl_config_metric_t *m, bool lower_better)
{
    static const char *non_negative[]
        = { "ms",   "s",     "us",    "ns",    "min", "h", "msg/s",
            "msgs", "req/s", "count", "bytes", "B",   "%", NULL };
    bool bounded = lower_better;
    for (int i = 0; non_negative[i] && !bounded; i++)
        bounded = strcmp (m->unit, non_negative[i]) == 0;
    m->min = bounded ? 0 : -DBL_MAX;
    m->max = strcmp (m->unit, "%") == 0 ? 100 : DBL_MAX;
}

static int
s_load_metric (hl_setting_ctx_t *ctx, const config_setting_t *g,
               hl_config_metric_t *m)
{
    if (config_setting_type (g) != CONFIG_TYPE_GROUP)
        return hl_setting_wrong_type (ctx, g, "a group { ... }");
    //  Category and direction have no safe default: a metric scored the
    //  wrong way round is worse than a refused file
    if (hl_setting_check_keys (ctx, g, s_metric_keys)
        || hl_setting_read_name (ctx, g, m->name, sizeof m->name)
        || hl_setting_require (ctx, g, "category")
        || hl_setting_require (ctx, g, "better")
        || hl_setting_require (ctx, g, "target")
        || hl_setting_require (ctx, g, "critical"))
        return -1;
    int category = 0, better = 0, stat = 0;
    const char *categories[HL_CATEGORY_COUNT + 1] = { NULL };
    for (int i = 0; i < HL_CATEGORY_COUNT; i++)
        categories[i] = hl_category_name ((hl_category_t)i);
    m->weight = 1.0;
    m->key = false;
    if (hl_setting_read_enum (ctx, g, "category", categories, &category)
        || hl_setting_read_string (ctx, g, "unit", m->unit, sizeof m->unit)
        || hl_setting_read_enum (ctx, g, "better", s_betters, &better)
        || hl_setting_read_enum (ctx, g, "stat", s_stats, &stat)
        || hl_setting_read_double (ctx, g, "target", -DBL_MAX, DBL_MAX,
                                   &m->target)
        || hl_setting_read_double (ctx, g, "critical", -DBL_MAX, DBL_MAX,
                                   &m->critical)
        || hl_setting_read_double (ctx, g, "weight", DBL_MIN, 1e6, &m->weight)
        || hl_setting_read_bool (ctx, g, "key", &m->key))
        return -1;
    s_default_range (m, better == 0);
    if (hl_setting_read_double (ctx, g, "min", -DBL_MAX, DBL_MAX, &m->min)
        || hl_setting_read_double (ctx, g, "max", -DBL_MAX, DBL_MAX, &m->max))
        return -1;
    m->category = (hl_category_t)category;
    snprintf (m->stat, sizeof m->stat, "%s", s_stats[stat]);
    m->better = better == 0 ? HL_BETTER_LOWER : HL_BETTER_HIGHER;
    if (m->better == HL_BETTER_LOWER && !(m->target < m->critical))
        return hl_setting_fail (ctx, config_setting_get_member (g, "critical"),
                                "better = \"lower\" needs target < critical "
                                "(%g >= %g)",
                                m->target, m->critical);
    if (m->better == HL_BETTER_HIGHER && !(m->target > m->critical))
        return hl_setting_fail (ctx, config_setting_get_member (g, "critical"),
                                "better = \"higher\" needs target > critical "
                                "(%g <= %g)",
                                m->target, m->critical);
    if (!(m->min < m->max))
        return hl_setting_fail (ctx, g, "needs min < max (%g >= %g)", m->min,
                                m->max);
    double lo = m->target < m->critical ? m->target : m->critical;
    double hi = m->target < m->critical ? m->critical : m->target;
    if (lo < m->min || hi > m->max)
        return hl_setting_fail (ctx, g,
                                "target and critical must lie within its "
                                "range [%g, %g]",
                                m->min, m->max);
    return 0;
}

int
hl_config_load_metrics (hl_setting_ctx_t *ctx, const config_t *cfg,
                        hl_config_metric_t **metrics, size_t *metrics_n)
{
    const config_setting_t *list = config_lookup (cfg, "metrics");
    if (!list)
        return 0;
    if (!hl_setting_is_list (list))
        return hl_setting_wrong_type (ctx, list, "a list ( { ... }, ... )");
    int count = config_setting_length (list);
    *metrics = hl_calloc ((size_t)count, sizeof **metrics);
    for (int i = 0; i < count; i++) {
        const config_setting_t *g = config_setting_get_elem (list, i);
        hl_config_metric_t *m = &(*metrics)[i];
        if (s_load_metric (ctx, g, m))
            return -1;
        for (size_t j = 0; j < *metrics_n; j++)
            if (strcmp ((*metrics)[j].name, m->name) == 0)
                return hl_setting_fail (ctx,
                                        config_setting_get_member (g, "name"),
                                        "duplicate metric \"%s\"", m->name);
        (*metrics_n)++;
    }
    return 0;
}

// --------------------------------------------------------------------
// Actions

//  Compile the pattern as the agent will use it, anchored at both ends
static int
s_check_pattern (hl_setting_ctx_t *ctx, const config_setting_t *setting,
                 const char *pattern)
{
    char anchored[sizeof ((hl_config_param_t *)0)->pattern + 8];
    snprintf (anchored, sizeof anchored, "^(%s)$", pattern);
    regex_t re;
    int rc = regcomp (&re, anchored, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char reason[128];
        regerror (rc, &re, reason, sizeof reason);
        return hl_setting_fail (ctx, setting, "bad regex \"%s\": %s", pattern,
                                reason);
    }
    regfree (&re);
    return 0;
}

//  Does text (a default value) satisfy the parameter's declaration?
static bool
s_value_ok (const hl_config_param_t *p, const char *text)
{
    char *end = NULL;
    errno = 0;
    if (p->type == HL_PARAM_INT) {
        long long value = strtoll (text, &end, 10);
        return *text && !*end && errno == 0 && (double)value >= p->min
               && (double)value <= p->max;
    }
    if (p->type == HL_PARAM_FLOAT) {
        double value = strtod (text, &end);
        return *text && !*end && errno == 0 && isfinite (value)
               && value >= p->min && value <= p->max;
    }
    char anchored[sizeof p->pattern + 8];
    snprintf (anchored, sizeof anchored, "^(%s)$",
              p->pattern[0] ? p->pattern : "[A-Za-z0-9_.,:/=-]*");
    regex_t re;
    if (regcomp (&re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec (&re, text, 0, NULL, 0) == 0;
    regfree (&re);
    return ok;
}

//  [a-z][a-z0-9_]*: it is upper-cased into HELIOS_PARAM_<NAME>
static bool
s_param_name_ok (const char *name)
{
    if (!(*name >= 'a' && *name <= 'z'))
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
              || *c == '_'))
            return false;
    return true;
}

//  The param's default, as text: a string as it is, a number printed
static int
s_load_param_default (hl_setting_ctx_t *ctx, const config_setting_t *g,
                      hl_config_param_t *p)
{
    const config_setting_t *fallback = config_setting_get_member (g, "default");
    if (!fallback)
        return 0;
    int ftype = config_setting_type (fallback);
    if (ftype == CONFIG_TYPE_STRING) {
        const char *text
            = hl_setting_string (ctx, fallback, sizeof p->fallback);
        if (!text)
            return -1;
        memcpy (p->fallback, text, strlen (text) + 1);
    } else if (ftype == CONFIG_TYPE_INT || ftype == CONFIG_TYPE_INT64)
        snprintf (p->fallback, sizeof p->fallback, "%lld",
                  config_setting_get_int64 (fallback));
    else if (ftype == CONFIG_TYPE_FLOAT)
        snprintf (p->fallback, sizeof p->fallback, "%.17g",
                  config_setting_get_float (fallback));
    else
        return hl_setting_wrong_type (ctx, fallback, "a string or a number");
    //  A default the agent would itself reject is a typo
    if (!s_value_ok (p, p->fallback))
        return hl_setting_fail (ctx, fallback,
                                "default \"%s\" does not fit the param's type, "
                                "range or pattern",
                                p->fallback);
    return 0;
}

static int
s_load_param (hl_setting_ctx_t *ctx, const config_setting_t *g,
              hl_config_param_t *p)
{
    if (config_setting_type (g) != CONFIG_TYPE_GROUP)
        return hl_setting_wrong_type (ctx, g, "a group { ... }");
    if (hl_setting_check_keys (ctx, g, s_param_keys)
        || hl_setting_require (ctx, g, "name")
        || hl_setting_require (ctx, g, "type"))
        return -1;
    const config_setting_t *name = config_setting_get_member (g, "name");
    const char *value = hl_setting_string (ctx, name, sizeof p->name);
    if (!value)
        return -1;
    if (!s_param_name_ok (value))
        return hl_setting_fail (
            ctx, name, "bad name \"%s\": must match [a-z][a-z0-9_]*", value);
    memcpy (p->name, value, strlen (value) + 1);

    int type = 0;
    p->min = -DBL_MAX;
    p->max = DBL_MAX;
    if (hl_setting_read_enum (ctx, g, "type", s_param_types, &type))
        return -1;
    p->type = (hl_param_type_t)type;
    const config_setting_t *min = config_setting_get_member (g, "min");
    const config_setting_t *max = config_setting_get_member (g, "max");
    const config_setting_t *pattern = config_setting_get_member (g, "pattern");
    if (p->type == HL_PARAM_STR && (min || max))
        return hl_setting_fail (
            ctx, min ? min : max,
            "min and max apply to int and float params only");
    if (p->type != HL_PARAM_STR && pattern)
        return hl_setting_fail (ctx, pattern,
                                "pattern applies to str params only");
    if (p->type == HL_PARAM_INT) {
        int64_t lo = INT64_MIN, hi = INT64_MAX;
        if ((min && hl_setting_int64 (ctx, min, INT64_MIN, INT64_MAX, &lo))
            || (max && hl_setting_int64 (ctx, max, INT64_MIN, INT64_MAX, &hi)))
            return -1;
        p->min = min ? (double)lo : -DBL_MAX;
        p->max = max ? (double)hi : DBL_MAX;
    } else if (p->type == HL_PARAM_FLOAT) {
        if ((min && hl_setting_number (ctx, min, -DBL_MAX, DBL_MAX, &p->min))
            || (max
                && hl_setting_number (ctx, max, -DBL_MAX, DBL_MAX, &p->max)))
            return -1;
    }
    if (p->min > p->max)
        return hl_setting_fail (ctx, max, "max %g is below min %g", p->max,
                                p->min);
    if (hl_setting_read_string (ctx, g, "pattern", p->pattern,
                                sizeof p->pattern)
        || (pattern && s_check_pattern (ctx, pattern, p->pattern))
        || hl_setting_read_bool (ctx, g, "required", &p->required))
        return -1;

    return s_load_param_default (ctx, g, p);
}

static int
s_load_params (hl_setting_ctx_t *ctx, const config_setting_t *g,
               hl_config_action_t *a)
{
    const config_setting_t *list = config_setting_get_member (g, "params");
    if (!list)
        return 0;
    if (!hl_setting_is_list (list))
        return hl_setting_wrong_type (ctx, list, "a list ( { ... }, ... )");
    int count = config_setting_length (list);
    a->params = hl_calloc ((size_t)count, sizeof *a->params);
    for (int i = 0; i < count; i++) {
        const config_setting_t *pg = config_setting_get_elem (list, i);
        hl_config_param_t *p = &a->params[i];
        if (s_load_param (ctx, pg, p))
            return -1;
        for (size_t j = 0; j < a->params_n; j++)
            if (strcmp (a->params[j].name, p->name) == 0)
                return hl_setting_fail (ctx,
                                        config_setting_get_member (pg, "name"),
                                        "duplicate param \"%s\"", p->name);
        a->params_n++;
    }
    return 0;
}

/*  Explicit guards: configured metrics, none twice, none a target. */
static int
s_check_guards (hl_setting_ctx_t *ctx, const config_setting_t *guards,
                const hl_config_t *config, const hl_config_action_t *a)
{
    for (size_t i = 0; i < a->guards_n; i++) {
        const config_setting_t *elem = config_setting_get_elem (guards, (int)i);
        if (!hl_config_metric_find (config, a->guards[i]))
            return hl_setting_fail (ctx, elem, "unknown metric \"%s\"",
                                    a->guards[i]);
        for (size_t j = 0; j < a->improves_n; j++)
            if (strcmp (a->guards[i], a->improves[j]) == 0)
                return hl_setting_fail (ctx, elem,
                                        "metric \"%s\" is a target already",
                                        a->guards[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp (a->guards[i], a->guards[j]) == 0)
                return hl_setting_fail (ctx, elem, "metric \"%s\" listed twice",
                                        a->guards[i]);
    }
    return 0;
}

/*  The metrics an action must not make worse: its guards, or by default
    the key metrics it does not itself target. */
static int
s_load_guards (hl_setting_ctx_t *ctx, const config_setting_t *g,
               const hl_config_t *config, hl_config_action_t *a)
{
    const config_setting_t *guards = config_setting_get_member (g, "guards");
    if (guards)
        return hl_setting_read_strings (ctx, g, "guards",
                                        sizeof ((hl_config_metric_t *)0)->name,
                                        &a->guards, &a->guards_n)
               || s_check_guards (ctx, guards, config, a);
    size_t metrics_n = hl_config_metrics_size (config);
    a->guards = hl_calloc (metrics_n, sizeof (char *));
    for (size_t i = 0; i < metrics_n; i++) {
        const hl_config_metric_t *m = hl_config_metric (config, i);
        bool target = false;
        for (size_t j = 0; j < a->improves_n; j++)
            target |= strcmp (a->improves[j], m->name) == 0;
        if (m->key && !target)
            a->guards[a->guards_n++] = hl_strdup (m->name);
    }
    return 0;
}

static int
s_load_action (hl_setting_ctx_t *ctx, const config_setting_t *g,
               const hl_config_t *config, hl_config_action_t *a)
{
    if (config_setting_type (g) != CONFIG_TYPE_GROUP)
        return hl_setting_wrong_type (ctx, g, "a group { ... }");
    int swarm = 0;
    const char *swarms[HL_SWARM_COUNT + 1] = { NULL };
    for (int i = 0; i < HL_SWARM_COUNT; i++)
        swarms[i] = hl_swarm_name ((hl_swarm_t)i);
    a->timeout = 30;
    a->cost = 1.0;
    a->expected = 0.1;
    if (hl_setting_check_keys (ctx, g, s_action_keys)
        || hl_setting_read_name (ctx, g, a->name, sizeof a->name)
        || hl_setting_require (ctx, g, "swarm")
        || hl_setting_require (ctx, g, "improves")
        || hl_setting_read_enum (ctx, g, "swarm", swarms, &swarm)
        || hl_setting_read_strings (ctx, g, "improves",
                                    sizeof ((hl_config_metric_t *)0)->name,
                                    &a->improves, &a->improves_n)
        || hl_setting_read_strings (ctx, g, "resources", HL_CONFIG_PATH,
                                    &a->resources, &a->resources_n))
        return -1;
    a->swarm = (hl_swarm_t)swarm;

    const config_setting_t *improves
        = config_setting_get_member (g, "improves");
    if (a->improves_n == 0)
        return hl_setting_fail (ctx, improves, "must name at least one metric");
    for (size_t i = 0; i < a->improves_n; i++) {
        const config_setting_t *elem
            = config_setting_get_elem (improves, (int)i);
        if (!hl_config_metric_find (config, a->improves[i]))
            return hl_setting_fail (ctx, elem, "unknown metric \"%s\"",
                                    a->improves[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp (a->improves[i], a->improves[j]) == 0)
                return hl_setting_fail (ctx, elem, "metric \"%s\" listed twice",
                                        a->improves[i]);
    }

    if (s_load_guards (ctx, g, config, a))
        return -1;

    char command[HL_CONFIG_PATH] = "";
    if (hl_setting_read_string (ctx, g, "apply", command, sizeof command))
        return -1;
    a->apply = hl_strdup (command);
    command[0] = '\0';
    if (hl_setting_read_string (ctx, g, "rollback", command, sizeof command))
        return -1;
    a->rollback = hl_strdup (command);

    if (hl_setting_read_int (ctx, g, "timeout", 1, 3600, &a->timeout)
        || hl_setting_read_double (ctx, g, "cost", 0, 1e9, &a->cost)
        || hl_setting_read_double (ctx, g, "expected", 0, 1e6, &a->expected)
        || s_load_params (ctx, g, a))
        return -1;
    return 0;
}

int
hl_config_load_actions (hl_setting_ctx_t *ctx, const config_t *cfg,
                        const hl_config_t *config, hl_config_action_t **actions,
                        size_t *actions_n)
{
    const config_setting_t *list = config_lookup (cfg, "actions");
    if (!list)
        return 0;
    if (!hl_setting_is_list (list))
        return hl_setting_wrong_type (ctx, list, "a list ( { ... }, ... )");
    int count = config_setting_length (list);
    *actions = hl_calloc ((size_t)count, sizeof **actions);
    for (int i = 0; i < count; i++) {
        const config_setting_t *g = config_setting_get_elem (list, i);
        hl_config_action_t *a = &(*actions)[i];
        //  Counted first so that destroy frees a half-loaded action
        (*actions_n)++;
        if (s_load_action (ctx, g, config, a))
            return -1;
        for (size_t j = 0; j + 1 < *actions_n; j++)
            if (strcmp ((*actions)[j].name, a->name) == 0)
                return hl_setting_fail (ctx,
                                        config_setting_get_member (g, "name"),
                                        "duplicate action \"%s\"", a->name);
    }
    return 0;
}

void
hl_config_catalog_free (hl_config_metric_t *metrics,
                        hl_config_action_t *actions, size_t actions_n)
{
    for (size_t i = 0; i < actions_n; i++) {
        hl_config_action_t *a = &actions[i];
        for (size_t j = 0; j < a->improves_n; j++)
            free (a->improves[j]);
        free (a->improves);
        for (size_t j = 0; j < a->resources_n; j++)
            free (a->resources[j]);
        free (a->resources);
        for (size_t j = 0; j < a->guards_n; j++)
            free (a->guards[j]);
        free (a->guards);
        free (a->apply);
        free (a->rollback);
        free (a->params);
    }
    free (actions);
    free (metrics);
}
