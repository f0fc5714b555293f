/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_config_priv - what the files of the hl_config module share and
    nobody else sees: the loaders of the sections of metrics in and
    alerts out (statsd, webhooks, alerts, summary), which live in
    hl_config_io.c, and the loaders of the metrics and actions lists,
    which live in hl_config_catalog.c, beside the core loaders of
    hl_config.c.
*/
#ifndef HL_CONFIG_PRIV_H
#define HL_CONFIG_PRIV_H

#include <libconfig.h>

#include "hl_config.h"
#include "hl_setting.h"

/*  The design's defaults of the four sections. */
void hl_config_io_defaults (hl_config_statsd_t *statsd,
                            hl_config_webhooks_t *webhooks,
                            hl_config_alerts_t *alerts,
                            hl_config_summary_t *summary);

/*  Each loads its section when present; 0, or -1 with the reason written
    through ctx. statsd needs the metrics loaded first (its mapping names
    them). */
int hl_config_load_statsd (hl_setting_ctx_t *ctx, const config_t *cfg,
                           const hl_config_t *config, hl_config_statsd_t *out);
int hl_config_load_webhooks (hl_setting_ctx_t *ctx, const config_t *cfg,
                             hl_config_webhooks_t *out);
int hl_config_load_alerts (hl_setting_ctx_t *ctx, const config_t *cfg,
                           hl_config_alerts_t *out);
int hl_config_load_summary (hl_setting_ctx_t *ctx, const config_t *cfg,
                            hl_config_summary_t *out);

/*  Free what the loaders allocated (the mapping, the urls). */
void hl_config_io_free (hl_config_statsd_t *statsd,
                        hl_config_webhooks_t *webhooks);

/*  The metrics list into *metrics (allocated for every element) and
    *metrics_n (those loaded, names unique); 0, or -1 with the reason
    written through ctx. Free with hl_config_catalog_free either way. */
int hl_config_load_metrics (hl_setting_ctx_t *ctx, const config_t *cfg,
                            hl_config_metric_t **metrics, size_t *metrics_n);

/*  The actions list likewise, after the metrics: config's metrics are
    what an action improves and guards. *actions_n counts an action
    before it loads, so that a half-loaded one is freed too. */
int hl_config_load_actions (hl_setting_ctx_t *ctx, const config_t *cfg,
                            const hl_config_t *config,
                            hl_config_action_t **actions, size_t *actions_n);

/*  The guard section's defaults, and its loader (hl_config_guard.c). */
void hl_config_guard_defaults (hl_config_guard_t *guard);
int hl_config_load_guard (hl_setting_ctx_t *ctx, const config_t *cfg,
                          hl_config_guard_t *out);

/*  The node section's defaults, and its loader (hl_config_node.c). */
void hl_config_node_defaults (hl_config_node_t *node);
int hl_config_load_node (hl_setting_ctx_t *ctx, const config_t *cfg,
                         hl_config_node_t *out);

/*  The autoscale list (hl_config_autoscale.c) into out (room for a
    group per role), *out_n those loaded; 0, or -1 with the reason
    written through ctx. */
int hl_config_load_autoscale (hl_setting_ctx_t *ctx, const config_t *cfg,
                              hl_config_autoscale_t *out, size_t *out_n);

/*  Free what those two loaders allocated. */
void hl_config_catalog_free (hl_config_metric_t *metrics,
                             hl_config_action_t *actions, size_t actions_n);

#endif
