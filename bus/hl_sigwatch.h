/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_sigwatch - SIGTERM and SIGINT as events of a process's zloop: the
    handler only writes the signal's number to a pipe (async-signal-safe),
    and the loop reads it and calls the owner, who may then drain, answer
    a second signal by stopping at once, or anything else a handler could
    not do. czmq's own handler, which would only end the loop, is turned
    off. One watch at a time in a process.
*/
#ifndef HL_SIGWATCH_H
#define HL_SIGWATCH_H

#include <czmq.h>

typedef struct _hl_sigwatch_t hl_sigwatch_t;

/*  Called on the loop's thread for each signal caught, in order. */
typedef void (hl_sigwatch_fn) (void *arg, int signum);

/*  Watch SIGTERM and SIGINT on loop, calling fn (arg) for each. NULL, and
    the reason logged, if the pipe cannot be made or a watch exists. */
hl_sigwatch_t *hl_sigwatch_new (zloop_t *loop, hl_sigwatch_fn *fn, void *arg);

/*  Stop watching: the default actions come back, the pipe is closed.
    Accepts NULL; nulls *self_p. */
void hl_sigwatch_destroy (hl_sigwatch_t **self_p);

#endif
