/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_spawn - the one way Helios runs a command: /bin/sh -c COMMAND
    started with posix_spawn (the caller never forks) in a process group of
    its own, with no inherited descriptor above 2, default signal
    dispositions and an empty mask; optional bytes on its stdin; stdout
    and stderr merged into a pipe whose last bytes are kept; a timeout
    that kills the whole group. Nothing here blocks the caller's loop but
    hl_spawn_wait and, for a child still running, hl_spawn_destroy.

    Driving it: poll hl_spawn_fd (POLLIN) if you like and call
    hl_spawn_step when it is readable and from a timer (10 to 100 ms) until
    it says HL_SPAWN_REAPED, then destroy. The timer is what enforces the
    timeout, escalates to SIGKILL, feeds input beyond the first pipe-full
    and reaps. Fire and forget (a notify command) is: new, keep the
    object in a list, step the list from a timer, destroy what is reaped.
*/
#ifndef HL_SPAWN_H
#define HL_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_SPAWN_TAIL 4096         /* output bytes kept by default */
#define HL_SPAWN_TAIL_MAX 1048576  /* the most tail_size may ask for */
#define HL_SPAWN_INPUT_MAX 1048576 /* stdin bytes at most (HL_ERR_TOO_BIG) */
#define HL_SPAWN_GRACE_MS 2000     /* default from SIGTERM to SIGKILL */
#define HL_SPAWN_READ_MAX 65536    /* output bytes read per step */
#define HL_SPAWN_DRAIN_MAX 1048576 /* output read once the shell exited */
#define HL_SPAWN_REAP_MS 1000      /* destroy waits this long after SIGKILL */

typedef struct _hl_spawn_t hl_spawn_t;

typedef struct {
    const char *command; /* run as /bin/sh -c command; required */
    char *const *env;    /* "NAME=value"..., NULL-terminated; NULL: ours */
    const void *input;   /* bytes for its stdin, copied; NULL: /dev/null */
    size_t input_size;   /* at most HL_SPAWN_INPUT_MAX */
    int64_t timeout_ms;  /* 0: none; then SIGTERM to the group */
    int64_t grace_ms;    /* SIGTERM to SIGKILL; 0: HL_SPAWN_GRACE_MS */
    size_t tail_size;    /* output kept; 0: HL_SPAWN_TAIL */
    const char *name;    /* in log lines, copied; NULL: "sh" */
} hl_spawn_opts_t;

/*  Where a child is. EXITED: the shell ended and its result is final,
    but it is not reaped yet because a SIGKILL of its group is still due
    (timeout or kill). REAPED: nothing is left to do but destroy. */
typedef enum {
    HL_SPAWN_RUNNING,
    HL_SPAWN_EXITED,
    HL_SPAWN_REAPED
} hl_spawn_state_t;

/*  Start opts->command and write what of the input the pipe takes at
    once. Returns the child, or NULL with a one-line reason in err: bad
    options (HL_ERR_ARGS), input over HL_SPAWN_INPUT_MAX (HL_ERR_TOO_BIG),
    or the system refused a pipe or the spawn (HL_ERR_IO); *code, if
    given, gets the code (0 on success). */
hl_spawn_t *hl_spawn_new (const hl_spawn_opts_t *opts, int *code, char *err,
                          size_t errsize);

/*  Destroy; accepts NULL and nulls *self_p. A child not yet reaped whose
    shell still runs, or whose group kill is still due, gets SIGKILL to
    its whole group at once; a shell that exited by itself is not killed,
    nor what it left behind. Then it is reaped, waiting at most
    HL_SPAWN_REAP_MS; one that outlives even that (stuck in the kernel) is
    handed to a detached thread that reaps it whenever it dies. End any
    poller on hl_spawn_fd first. */
void hl_spawn_destroy (hl_spawn_t **self_p);

/*  The output pipe's read end, non-blocking, to poll for POLLIN; -1 once
    the output ended (end of file, or drained when the shell exited):
    stop polling then. The descriptor stays open until destroy, so that a
    poller still naming it never meets a reused number. */
int hl_spawn_fd (const hl_spawn_t *self);

/*  The work, never blocking: feed input, read output (at most
    HL_SPAWN_READ_MAX), notice the shell's exit and drain its output,
    start the timeout's kill, escalate to SIGKILL after the grace, reap.
    Returns the state it leaves the child in. */
hl_spawn_state_t hl_spawn_step (hl_spawn_t *self);

/*  The state as of the last step. */
hl_spawn_state_t hl_spawn_state (const hl_spawn_t *self);

/*  Stop it: SIGTERM to its group now, SIGKILL after the grace unless the
    group is gone by then (hl_spawn_step does that). For cancel; once
    only, and a no-op once reaped. Even a shell that already exited gets
    it, for what it left running in its group. */
void hl_spawn_kill (hl_spawn_t *self);

/*  Step until the shell has exited (its result is known), blocking in
    poll() meanwhile, for at most timeout_ms (-1: no limit). Returns 0, or
    HL_ERR_TIMEOUT if it still runs. For tests and short tools. */
int hl_spawn_wait (hl_spawn_t *self, int64_t timeout_ms);

/*  The shell's pid, which is also its process group id. */
int hl_spawn_pid (const hl_spawn_t *self);

/*  The result, once the state is EXITED or REAPED. exit_code: 0..255, or
    -1 if a signal killed it (or it still runs, or its status was lost);
    signal: the signal that killed it, or 0; timed_out: the timeout fired
    (whatever then ended it). */
int hl_spawn_exit_code (const hl_spawn_t *self);
int hl_spawn_signal (const hl_spawn_t *self);
bool hl_spawn_timed_out (const hl_spawn_t *self);

/*  Milliseconds from the start to the exit, or to now while it runs. */
int64_t hl_spawn_duration_ms (const hl_spawn_t *self);

/*  The last output kept, at most size - 1 bytes of it, as valid UTF-8
    and NUL-terminated in buf: a character cut by the start of what is
    kept is dropped, any other invalid byte or NUL becomes '?'. Returns
    its length. */
size_t hl_spawn_output (const hl_spawn_t *self, char *buf, size_t size);

/*  Output bytes the child ever wrote (that were read). */
uint64_t hl_spawn_output_size (const hl_spawn_t *self);

#endif
