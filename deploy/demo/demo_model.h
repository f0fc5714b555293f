/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    demo_model - the simulated chat service behind helios-demo: nine knobs,
    four incidents, and a generator of the 12 seed KPIs with log-normal
    noise and slow drift, deterministic from a seed. Pure: no sockets and
    no clock; the caller advances its time. The table is in demo_model.c.
*/
#ifndef DEMO_MODEL_H
#define DEMO_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "../../proto/hl_value.h"

#define DEMO_METRICS 12 /* the seed's KPIs, in the order of the table */
#define DEMO_KNOBS 9

typedef struct _demo_model_t demo_model_t;

/*  A model with every knob at its baseline, no incident, time 0. The same
    seed gives the same samples (hl_rand's; 0 takes one from the clock).
    The caller owns it. */
demo_model_t *demo_model_new (uint64_t seed);

void demo_model_destroy (demo_model_t **self_p);

/*  Metric i's name, or NULL past the end; the index of a name, or -1. */
const char *demo_model_metric_name (size_t i);
int demo_model_metric_index (const char *name);

/*  Knob i's name, or NULL past the end. */
const char *demo_model_knob_name (size_t i);

/*  Would knob=value be accepted? Returns 0, or -1 with the reason in err
    ("unknown knob ...", "bad value ... for cache: must be on or off"). */
int demo_model_check (const char *knob, const char *value, char *err,
                      size_t errsize);

/*  Set knob to value (as text: "on", "32", "aggressive"). Returns 0, or -1
    with the reason in err and the model unchanged. */
int demo_model_set (demo_model_t *self, const char *knob, const char *value,
                    char *err, size_t errsize);

/*  Start incident name (db_outage, db_slowdown, cache_outage, ws_storm),
    replacing any other, or end it with "clear". Returns 0, or -1 with the
    reason. db_outage takes health under 50 whatever the knobs; the
    others are partly answered by the playbook (see demo_model.c). */
int demo_model_incident (demo_model_t *self, const char *name, char *err,
                         size_t errsize);

/*  The active incident's name, or "none". Borrowed. */
const char *demo_model_incident_name (const demo_model_t *self);

/*  The knobs and the incident as one map: switches as "on"/"off",
    numbers as integers, gc_mode and incident as strings. Caller owns. */
hl_value_t *demo_model_state (const demo_model_t *self);

/*  Noise-free level of each metric now: the median a sample is drawn
    around before drift. Business metrics give their smoothed level. */
void demo_model_levels (const demo_model_t *self, double out[DEMO_METRICS]);

/*  Move the model's time on by dt seconds (>= 0): drift, and business
    metrics following the technical ones. */
void demo_model_advance (demo_model_t *self, double dt);

/*  Seconds of model time since new. */
double demo_model_time (const demo_model_t *self);

/*  One noisy sample of every metric at the model's time. */
void demo_model_sample (demo_model_t *self, double out[DEMO_METRICS]);

#endif
