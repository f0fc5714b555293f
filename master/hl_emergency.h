/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_emergency - the emergency protocol (design §5): from the moment
    health falls below emergency.threshold until it has stayed above it
    for a while, in rounds of emergency actions. This module owns the
    protocol's state and its decisions, and tells the world (alert.* on
    the bus, the `notify` command with the event as JSON on its standard
    input). The cycle engine (hl_cycle) does what a decision asks: hold
    normal work, stop the cycle in progress, run a round.
*/
#ifndef HL_EMERGENCY_H
#define HL_EMERGENCY_H

#include <stdbool.h>
#include <stdint.h>

#include "../bus/hl_config.h"
#include "../proto/hl_msg.h"
#include "hl_run.h"

#define HL_EMERGENCY_ROUNDS 4       /* rounds before giving up */
#define HL_EMERGENCY_GAP_US 5000000 /* between rounds */
#define HL_EMERGENCY_CLEAR_US                                                  \
    3000000 /* above the threshold this long ends                              \
               it: a score hovering at the line                                \
               must not start and end an                                       \
               emergency every second */
#define HL_EMERGENCY_MIN_N                                                     \
    4                           /* points a side a round's verdict             \
                                   needs: its baseline is seconds              \
                                   long */
#define HL_EMERGENCY_SETTLE_S 2 /* a round's settle, at most */
#define HL_EMERGENCY_WINDOW_S 5 /* a round's verify window, at most */

typedef struct _hl_emergency_t hl_emergency_t;

/*  What the engine must do after a health computation. */
typedef enum {
    HL_EMERGENCY_NONE,       /* nothing */
    HL_EMERGENCY_STARTED,    /* it began: hold normal work, stop the
                                unverified cycle, run round 1, announce */
    HL_EMERGENCY_ROUND,      /* still below: run another round */
    HL_EMERGENCY_UNRESOLVED, /* rounds spent: release the hold, announce */
    HL_EMERGENCY_RESOLVED    /* back above for long enough: release,
                                announce */
} hl_emergency_step_t;

/*  Publish a bus event (takes *msg_p), and whether a topic is wanted. */
typedef void (hl_emergency_publish_fn) (void *arg, hl_msg_t **msg_p);
typedef bool (hl_emergency_wants_fn) (void *arg, const char *topic);

typedef struct {
    const hl_config_t *config;
    hl_emergency_publish_fn *publish; /* may be NULL: no alerts */
    hl_emergency_wants_fn *wants;     /* may be NULL: every alert built */
    void *arg;
    const char *src; /* the master's name, in events */
} hl_emergency_deps_t;

/*  A protocol at rest; deps are copied, what they point to borrowed. */
hl_emergency_t *hl_emergency_new (const hl_emergency_deps_t *deps);

/*  Destroy; notify commands still running get a second to finish, then
    their process groups are killed. */
void hl_emergency_destroy (hl_emergency_t **self_p);

/*  Health was computed (score NAN: no metric has data). round_running
    says whether a round is under way. Starts the protocol at the
    configured threshold when the score falls below it; while active, a
    score below (or none) asks for rounds every HL_EMERGENCY_GAP_US up to
    HL_EMERGENCY_ROUNDS, then gives up (UNRESOLVED); a score back above
    for HL_EMERGENCY_CLEAR_US ends it. */
hl_emergency_step_t hl_emergency_health (hl_emergency_t *self, double score,
                                         int64_t now_us, bool round_running);

/*  Start it on request (threshold 0..100, max_issues 1..100), whatever
    the score. -1, with the reason in error, when one is in progress or
    score is NAN (nothing could tell when it is over). */
int hl_emergency_request (hl_emergency_t *self, double score, double threshold,
                          int max_issues, int64_t now_us, char *error,
                          size_t errsize);

/*  A round starts as run: fills run->em (threshold, max_issues, round,
    detected, baseline) and counts it. */
void hl_emergency_round (hl_emergency_t *self, hl_run_t *run);

/*  The round run has ended at now_us: the next may start a gap later. */
void hl_emergency_round_ended (hl_emergency_t *self, const hl_run_t *run,
                               int64_t now_us);

/*  The first task of a round was sent at sent_us: the response time. */
void hl_emergency_first_task (hl_emergency_t *self, const hl_run_t *run,
                              int64_t sent_us);

/*  Tell the world about a STARTED, UNRESOLVED or RESOLVED step: alert on
    the bus and the notify command (never waited for). */
void hl_emergency_announce (hl_emergency_t *self, hl_emergency_step_t step,
                            double score);

/*  True from STARTED until RESOLVED. */
bool hl_emergency_active (const hl_emergency_t *self);

/*  True while normal work must wait: active, and rounds not spent. */
bool hl_emergency_holding (const hl_emergency_t *self);

/*  Feed, read and reap the notify commands; call every second. */
void hl_emergency_reap (hl_emergency_t *self);

/*  score as text, with as many decimals (1..6) as it takes to read on
    the same side of threshold as it is: 49.974 against 50 is "49.97",
    never "50.0"; "-" when there is no score (NAN). */
void hl_emergency_score_text (double score, double threshold, char *buf,
                              size_t size);

/*  For status (caller owns): {active, count, rounds, detected,
    detected_utc (ISO 8601, or null), last_response_ms, first_task}. */
hl_value_t *hl_emergency_status (const hl_emergency_t *self);

#endif
