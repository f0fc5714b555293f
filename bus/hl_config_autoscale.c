/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_config_autoscale - the autoscale list: per agent role, the range
    its desired count moves in and the queue wait that moves it, with
    the windows and cooldowns of the decisions (design §9). Part of the
    hl_config module.
*/
#include <stdio.h>
#include <string.h>

#include "hl_config_priv.h"

static const char *s_keys[] = { "role",
                                "min",
                                "max",
                                "step",
                                "target_wait_ms",
                                "window_s",
                                "up_cooldown_s",
                                "down_cooldown_s",
                                "stabilisation_s",
                                NULL };

static void
s_defaults (hl_config_autoscale_t *a)
{
    memset (a, 0, sizeof *a);
    a->min = 1;
    a->step = 1;
    a->target_wait_ms = 1000;
    a->window_s = 30;
    a->up_cooldown_s = 30;
    a->down_cooldown_s = 60;
    a->stabilisation_s = 300; /* as the Kubernetes HPA's scale-down */
}

static int
s_load_one (hl_setting_ctx_t *ctx, const config_setting_t *g,
            hl_config_autoscale_t *a)
{
    if (!config_setting_is_group (g))
        return hl_setting_wrong_type (ctx, g, "a group { role = ...; ... }");
    if (hl_setting_check_keys (ctx, g, s_keys)
        || hl_setting_require (ctx, g, "role")
        || hl_setting_require (ctx, g, "max"))
        return -1;
    s_defaults (a);
    const char *roles[HL_ROLE_COUNT + 1];
    for (int r = 0; r < HL_ROLE_COUNT; r++)
        roles[r] = hl_role_name ((hl_role_id_t)r);
    roles[HL_ROLE_COUNT] = NULL;
    if (hl_setting_read_enum (ctx, g, "role", roles, &a->role)
        || hl_setting_read_int (ctx, g, "min", 0, HL_CONFIG_AUTOSCALE_MAX,
                                &a->min)
        || hl_setting_read_int (ctx, g, "max", 1, HL_CONFIG_AUTOSCALE_MAX,
                                &a->max)
        || hl_setting_read_int (ctx, g, "step", 1, 1000, &a->step)
        || hl_setting_read_int (ctx, g, "target_wait_ms", 1, 3600000,
                                &a->target_wait_ms)
        || hl_setting_read_int (ctx, g, "window_s", 1, 3600, &a->window_s)
        || hl_setting_read_int (ctx, g, "up_cooldown_s", 0, 86400,
                                &a->up_cooldown_s)
        || hl_setting_read_int (ctx, g, "down_cooldown_s", 0, 86400,
                                &a->down_cooldown_s)
        || hl_setting_read_int (ctx, g, "stabilisation_s", 0, 86400,
                                &a->stabilisation_s))
        return -1;
    if (a->max < a->min)
        return hl_setting_fail (ctx, config_setting_get_member (g, "max"),
                                "must be at least min (%d)", a->min);
    return 0;
}

int
hl_config_load_autoscale (hl_setting_ctx_t *ctx, const config_t *cfg,
                          hl_config_autoscale_t *out, size_t *out_n)
{
    const config_setting_t *list = config_lookup (cfg, "autoscale");
    if (!list)
        return 0;
    if (!hl_setting_is_list (list))
        return hl_setting_wrong_type (ctx, list, "a list ( { ... }, ... )");
    int count = config_setting_length (list);
    //  A role has one autoscaler: more groups than roles is a repeat
    for (int i = 0; i < count; i++) {
        const config_setting_t *g = config_setting_get_elem (list, i);
        hl_config_autoscale_t a;
        if (s_load_one (ctx, g, &a))
            return -1;
        for (size_t j = 0; j < *out_n; j++)
            if (out[j].role == a.role)
                return hl_setting_fail (ctx,
                                        config_setting_get_member (g, "role"),
                                        "role \"%s\" autoscaled twice",
                                        hl_role_name ((hl_role_id_t)a.role));
        out[(*out_n)++] = a;
    }
    return 0;
}
