/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_results - the agent's store of recent results, so that a task id
    seen again is answered with the result it had instead of running
    twice: a ring of the last max results, the oldest evicted first, and
    an index by task id.
*/
#ifndef HL_RESULTS_H
#define HL_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/hl_msg.h"
#include "../proto/hl_names.h"
#include "../proto/hl_value.h"

typedef struct _hl_results_t hl_results_t;

/*  A kept result, as hl_results_find shows it. */
typedef struct {
    uint64_t task_id;
    uint64_t duration_us;
    hl_task_status_t status;
    const hl_value_t *data; /* borrowed until evicted; NULL: nil */
} hl_result_t;

/*  An empty store of the last max (at least 1) results. */
hl_results_t *hl_results_new (size_t max);

/*  Destroy with everything kept; accepts NULL and nulls *self_p. */
void hl_results_destroy (hl_results_t **self_p);

/*  Keep the result of task_id (not kept yet), evicting the oldest when
    full. Its data is *data_p, or, when task_p is given, the args of the
    task message *task_p (an echo keeps its task whole and so saves a
    copy). Takes *data_p and *task_p (either may be NULL) and nulls them. */
void hl_results_put (hl_results_t *self, uint64_t task_id,
                     hl_task_status_t status, uint64_t duration_us,
                     hl_value_t **data_p, hl_msg_t **task_p);

/*  Fill *result with the kept result of task_id and return 0, or return
    -1 if it is not kept. */
int hl_results_find (const hl_results_t *self, uint64_t task_id,
                     hl_result_t *result);

/*  Results kept. */
size_t hl_results_size (const hl_results_t *self);

#endif
