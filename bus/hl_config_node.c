/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_config_node - the node section: what helios-node tells the master
    it may run (capacity, labels) and how it restarts its agents (a
    doubling backoff, an intensity limit), design §9. Part of the
    hl_config module.
*/
#include <stdio.h>
#include <string.h>

#include "hl_config_priv.h"

static const char *s_node_keys[] = { "name",
                                     "capacity",
                                     "labels",
                                     "agent_config",
                                     "restart_backoff_min_ms",
                                     "restart_backoff_max_ms",
                                     "max_restarts",
                                     "restart_window_s",
                                     "stop_grace_ms",
                                     NULL };

void
hl_config_node_defaults (hl_config_node_t *node)
{
    memset (node, 0, sizeof *node);
    node->capacity = 8;
    node->restart_backoff_min_ms = 1000;
    node->restart_backoff_max_ms = 60000;
    node->max_restarts = 5;
    node->restart_window_s = 60;
    node->stop_grace_ms = 35000;
}

//  A label's part or a node's name: [a-z0-9_.-], as names on the wire
static bool
s_word_ok (const char *s, size_t len)
{
    if (len == 0 || len >= HL_CONFIG_LABEL)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
              || c == '.' || c == '-'))
            return false;
    }
    return true;
}

int
hl_config_labels_parse (const char *text, hl_config_label_t *out, int *out_n,
                        char *why, size_t whysize)
{
    *out_n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *end = strchr (p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen (p);
        const char *eq = memchr (p, '=', len);
        if (!eq) {
            snprintf (why, whysize, "label %d: want key=value", *out_n + 1);
            return -1;
        }
        size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
        if (!s_word_ok (p, klen) || !s_word_ok (eq + 1, vlen)) {
            snprintf (why, whysize,
                      "label %d: key and value want 1..%d bytes of "
                      "[a-z0-9_.-]",
                      *out_n + 1, HL_CONFIG_LABEL - 1);
            return -1;
        }
        if (*out_n == HL_CONFIG_LABELS) {
            snprintf (why, whysize, "more than %d labels", HL_CONFIG_LABELS);
            return -1;
        }
        hl_config_label_t *l = &out[*out_n];
        memcpy (l->key, p, klen);
        l->key[klen] = 0;
        memcpy (l->value, eq + 1, vlen);
        l->value[vlen] = 0;
        for (int i = 0; i < *out_n; i++)
            if (strcmp (out[i].key, l->key) == 0) {
                snprintf (why, whysize, "label \"%s\" given twice", l->key);
                return -1;
            }
        (*out_n)++;
        p += len;
    }
    return 0;
}

int
hl_config_load_node (hl_setting_ctx_t *ctx, const config_t *cfg,
                     hl_config_node_t *out)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "node", s_node_keys, &rc);
    if (!g)
        return rc;
    char labels[HL_CONFIG_LABELS * 2 * HL_CONFIG_LABEL];
    labels[0] = 0;
    if (hl_setting_read_string (ctx, g, "name", out->name, sizeof out->name)
        || hl_setting_read_int (ctx, g, "capacity", 1, 1024, &out->capacity)
        || hl_setting_read_string (ctx, g, "labels", labels, sizeof labels)
        || hl_setting_read_string (ctx, g, "agent_config", out->agent_config,
                                   sizeof out->agent_config)
        || hl_setting_read_int (ctx, g, "restart_backoff_min_ms", 10, 3600000,
                                &out->restart_backoff_min_ms)
        || hl_setting_read_int (ctx, g, "restart_backoff_max_ms", 10, 3600000,
                                &out->restart_backoff_max_ms)
        || hl_setting_read_int (ctx, g, "max_restarts", 0, 64,
                                &out->max_restarts)
        || hl_setting_read_int (ctx, g, "restart_window_s", 1, 86400,
                                &out->restart_window_s)
        || hl_setting_read_int (ctx, g, "stop_grace_ms", 0, 3600000,
                                &out->stop_grace_ms))
        return -1;
    if (config_setting_get_member (g, "name")
        && !s_word_ok (out->name, strlen (out->name)))
        return hl_setting_fail (ctx, config_setting_get_member (g, "name"),
                                "want 1..%d bytes of [a-z0-9_.-]",
                                HL_CONFIG_LABEL - 1);
    char why[128];
    if (hl_config_labels_parse (labels, out->labels, &out->labels_n, why,
                                sizeof why))
        return hl_setting_fail (ctx, config_setting_get_member (g, "labels"),
                                "%s", why);
    if (out->restart_backoff_max_ms < out->restart_backoff_min_ms)
        return hl_setting_fail (
            ctx, config_setting_get_member (g, "restart_backoff_max_ms"),
            "must be at least restart_backoff_min_ms (%d)",
            out->restart_backoff_min_ms);
    return 0;
}
