/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_spy - the work of helios-spy (design §8): watch bus-out and print
    each message as one JSON line, optionally recording the raw frames;
    or replay a recording onto bus-in with its original pacing. Bus input
    and recordings are untrusted: a bad message becomes an error line,
    never a crash.
*/
#ifndef HL_SPY_H
#define HL_SPY_H

#include <stdint.h>
#include <stdio.h>
#include <czmq.h>

#include "../proto/hl_limits.h"
#include "hl_record.h"
#include "hl_sock.h"

typedef struct {
    const char *endpoint; /* bus-out to watch, or bus-in to replay onto */
    const char **topics;  /* prefixes to watch; none: everything */
    size_t topics_n;
    uint64_t count;      /* stop after this many messages; 0: never */
    double timeout;      /* seconds before stopping; 0: never */
    const char *record;  /* file to record into while watching, or NULL */
    const char *replay;  /* file to replay, or NULL to watch */
    double speed;        /* replay pace factor; 0: as fast as possible */
    hl_sock_opts_t opts; /* socket options */
    hl_limits_t limits;  /* decode limits */
    FILE *out;           /* JSON lines; NULL: stdout */
    FILE *info;          /* replay summary; NULL: stderr */
} hl_spy_args_t;

typedef struct _hl_spy_t hl_spy_t;

/*  Fill args with defaults: no endpoint, no topics, no limits on count or
    time, speed 1, default socket options and decode limits. */
void hl_spy_args_default (hl_spy_args_t *args);

/*  A spy for args (copied; the strings must outlive the spy). Returns NULL
    with the reason in err if args are inconsistent (no endpoint, a
    negative speed). */
hl_spy_t *hl_spy_new (const hl_spy_args_t *args, char *err, size_t errsize);

/*  Destroy; accepts NULL, nulls *self_p. */
void hl_spy_destroy (hl_spy_t **self_p);

/*  Watch or replay until done, the timeout, or SIGINT/SIGTERM
    (zsys_interrupted). Returns the exit status: 0, or 1 with a one-line
    reason in err (cannot connect or open, a corrupt recording, --count
    not reached by --timeout). */
int hl_spy_run (hl_spy_t *self, char *err, size_t errsize);

/*  Print one received bus message as a JSON line on out and flush:
    the decoded message, or {"error","reason","topic","size","hex"} if
    frames is not 2 or it does not decode or its topic does not match.
    Returns 0 or the hl_err_t that was printed. */
int hl_spy_print (FILE *out, int frames, const void *topic, size_t topic_len,
                  const void *env, size_t env_len, const hl_limits_t *limits);

/*  Publish every message of record on publisher (a ready bus publisher)
    as its raw frames, keeping the recorded gaps divided by speed (0: no
    waiting), except those of types only the master may publish (kpi,
    health, cycle, task, agent, alert): the proxy refuses them from any
    other publisher, and the master derives them again from the replayed
    metrics. Stops early on zsys_interrupted. Returns 0, or the record's
    error after what could be read; *sent_p, *bytes_p and *skipped_p (may
    be NULL) count messages and envelope bytes sent, and messages left
    out. */
int hl_spy_replay (zsock_t *publisher, hl_record_t *record, double speed,
                   uint64_t *sent_p, uint64_t *bytes_p, uint64_t *skipped_p);

#endif
