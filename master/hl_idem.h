/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_idem - idempotent control requests: the answers the master gave,
    by client (routing id) and request id, kept for a window, so that a
    request sent again gets the first answer and never runs twice. A
    repeat of a request still running is held and answered with it.
    Bounded in entries and bytes, per client and over all clients.
*/
#ifndef HL_IDEM_H
#define HL_IDEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _hl_idem_t hl_idem_t;

typedef struct {
    int window_ms;         /* an answer is kept this long; 0: off */
    size_t entries;        /* requests remembered, over all clients */
    size_t bytes;          /* their answers and bookkeeping */
    size_t client_entries; /* the same for one client */
    size_t client_bytes;
} hl_idem_opts_t;

typedef enum {
    HL_IDEM_NEW,      /* a first sighting: run it, then hl_idem_answer */
    HL_IDEM_ANSWERED, /* answered before: send the answer again */
    HL_IDEM_RUNNING   /* the first is running: its answer covers this */
} hl_idem_state_t;

typedef struct {
    uint64_t entries;  /* remembered now */
    uint64_t bytes;    /* their cost now */
    uint64_t clients;  /* clients with an entry now */
    uint64_t replayed; /* repeats answered with the first answer */
    uint64_t held;     /* repeats held while their first ran */
    uint64_t dropped;  /* repeats past the hold limit: not answered */
    uint64_t evicted;  /* entries dropped early to keep the bounds */
    uint64_t expired;  /* entries whose window ended */
    uint64_t unkept;   /* answers too big to keep */
} hl_idem_stats_t;

/*  A table with opts' bounds; NULL for bad options. */
hl_idem_t *hl_idem_new (const hl_idem_opts_t *opts);

void hl_idem_destroy (hl_idem_t **self_p);

/*  Request id from the client rid arrives at now_ms. HL_IDEM_NEW: noted
    as running. HL_IDEM_ANSWERED: *answer_p and *size_p are the bytes of
    the first answer (borrowed until the next call). HL_IDEM_RUNNING:
    the repeat is held (hl_idem_answer counts it) or dropped past a
    limit. Expired entries go first. */
hl_idem_state_t hl_idem_begin (hl_idem_t *self, const uint8_t *rid,
                               size_t rid_len, uint64_t id, int64_t now_ms,
                               const uint8_t **answer_p, size_t *size_p);

/*  The answer to request id of rid (size bytes, copied if kept). Returns
    how many held repeats it must be sent for, besides the first. A
    request hl_idem_begin did not note (or since evicted) returns 0. */
size_t hl_idem_answer (hl_idem_t *self, const uint8_t *rid, size_t rid_len,
                       uint64_t id, const uint8_t *answer, size_t size,
                       int64_t now_ms);

/*  The table's figures. */
void hl_idem_stats (const hl_idem_t *self, hl_idem_stats_t *stats);

#endif
