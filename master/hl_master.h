/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_master - the orchestrator's reactor. One zloop thread owns all
    state: the control socket, the tasks socket, the bus proxy and the
    master's own bus publisher. Other threads talk to it only by message.
*/
#ifndef HL_MASTER_H
#define HL_MASTER_H

#include <stddef.h>

#include "../bus/hl_config.h"

typedef struct _hl_master_t hl_master_t;

/*  Bind every socket of config (borrowed; it must outlive the master).
    Returns NULL with a one-line reason in err if a bind fails. */
hl_master_t *hl_master_new (const hl_config_t *config, char *err,
                            size_t errsize);

/*  Stop and close everything; accepts NULL, nulls *self_p. */
void hl_master_destroy (hl_master_t **self_p);

/*  The line printed once everything is bound:
    "READY <tasks> control=<ep> bus_in=<ep> bus_out=<ep>", and
    " http=<host:port>" when HTTP is on, with ephemeral ports resolved.
    Borrowed. */
const char *hl_master_ready_line (const hl_master_t *self);

/*  Run the reactor until SIGINT/SIGTERM. Returns 0 on a clean stop.
    Under systemd, says READY=1 as it starts, keeps STATUS= current and
    pings the watchdog, and says STOPPING=1 as it returns (hl_notify). */
int hl_master_run (hl_master_t *self);

#endif
