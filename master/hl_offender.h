/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_offender - persistent offenders on a ROUTER socket (design §7): a
    peer, by routing id, whose errors pass a threshold within a window is
    banned for a while: its messages are dropped unseen, only counted.
    ZeroMQ cannot close one peer of a ROUTER, so silence is the
    disconnect. The table of peers is bounded.
*/
#ifndef HL_OFFENDER_H
#define HL_OFFENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _hl_offender_t hl_offender_t;

typedef struct {
    int errors;    /* this many errors within window_ms bans; 0: off */
    int window_ms; /* the window errors are counted in */
    int ban_ms;    /* how long a ban lasts */
    size_t peers;  /* peers tracked at most */
} hl_offender_opts_t;

typedef struct {
    uint64_t tracked;   /* peers in the table now */
    uint64_t banned;    /* of which banned now */
    uint64_t bans;      /* bans so far */
    uint64_t dropped;   /* messages of banned peers dropped */
    uint64_t untracked; /* errors of peers the full table could not take */
} hl_offender_stats_t;

/*  A table with opts' thresholds and bound; NULL for bad options. */
hl_offender_t *hl_offender_new (const hl_offender_opts_t *opts);

void hl_offender_destroy (hl_offender_t **self_p);

/*  Whether peer rid is banned at now_ms. True counts one message dropped:
    call it once per message received, before anything else. */
bool hl_offender_banned (hl_offender_t *self, const uint8_t *rid,
                         size_t rid_len, int64_t now_ms);

/*  One error by peer rid at now_ms. True when this error bans it: the
    caller logs the ban, once. */
bool hl_offender_error (hl_offender_t *self, const uint8_t *rid, size_t rid_len,
                        int64_t now_ms);

/*  Log the ban of peer rid on socket ("control", "tasks") once, with
    its address (may be "" or NULL) and the error that ended it. */
void hl_offender_log (const hl_offender_t *self, const char *socket,
                      const uint8_t *rid, size_t rid_len, const char *addr,
                      int err);

/*  The table's figures at now_ms. */
void hl_offender_stats (hl_offender_t *self, int64_t now_ms,
                        hl_offender_stats_t *stats);

#endif
