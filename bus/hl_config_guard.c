/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_config_guard - the guard section: how long and how much the master
    remembers of control answers (idempotent requests), and when it stops
    hearing a peer that keeps erring (offenders). Part of the hl_config
    module.
*/
#include "hl_config_priv.h"

static const char *s_guard_keys[]
    = { "idem_window_s",     "idem_entries",
        "idem_bytes",        "idem_client_entries",
        "idem_client_bytes", "offender_errors",
        "offender_window_s", "offender_ban_s",
        "offender_peers",    NULL };

void
hl_config_guard_defaults (hl_config_guard_t *guard)
{
    guard->idem_window_s = 60;
    guard->idem_entries = 16384;
    guard->idem_bytes = 32 << 20;
    guard->idem_client_entries = 1024;
    guard->idem_client_bytes = 4 << 20;
    guard->offender_errors = 100;
    guard->offender_window_s = 10;
    guard->offender_ban_s = 60;
    guard->offender_peers = 4096;
}

int
hl_config_load_guard (hl_setting_ctx_t *ctx, const config_t *cfg,
                      hl_config_guard_t *out)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "guard", s_guard_keys, &rc);
    if (!g)
        return rc;
    //  A client's bound holds at least one reply of the largest size
    if (hl_setting_read_int (ctx, g, "idem_window_s", 0, 3600,
                             &out->idem_window_s)
        || hl_setting_read_int (ctx, g, "idem_entries", 1, 1000000,
                                &out->idem_entries)
        || hl_setting_read_int (ctx, g, "idem_bytes", HL_MSG_MAX_SIZE, 1 << 30,
                                &out->idem_bytes)
        || hl_setting_read_int (ctx, g, "idem_client_entries", 1, 1000000,
                                &out->idem_client_entries)
        || hl_setting_read_int (ctx, g, "idem_client_bytes", HL_MSG_MAX_SIZE,
                                1 << 30, &out->idem_client_bytes)
        || hl_setting_read_int (ctx, g, "offender_errors", 0, 1000000,
                                &out->offender_errors)
        || hl_setting_read_int (ctx, g, "offender_window_s", 1, 3600,
                                &out->offender_window_s)
        || hl_setting_read_int (ctx, g, "offender_ban_s", 1, 86400,
                                &out->offender_ban_s)
        || hl_setting_read_int (ctx, g, "offender_peers", 1, 1000000,
                                &out->offender_peers))
        return -1;
    return 0;
}
