/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_sigwatch - SIGTERM and SIGINT as zloop events; see hl_sigwatch.h.
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hl_log.h"
#include "hl_sigwatch.h"
#include "../proto/hl_alloc.h"

struct _hl_sigwatch_t {
    zloop_t *loop;
    zmq_pollitem_t item;
    hl_sigwatch_fn *fn;
    void *arg;
};

//  The handler's end of the pipe: a handler gets no argument of ours
static int s_pipe[2] = { -1, -1 };

static void
s_handler (int signum)
{
    int saved = errno;
    char c = (char)signum;
    if (write (s_pipe[1], &c, 1) < 0) {
        //  A full pipe already holds a wake-up
    }
    errno = saved;
}

static int
s_readable (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    hl_sigwatch_t *self = (hl_sigwatch_t *)arg;
    char buf[16];
    ssize_t n;
    while ((n = read (item->fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            self->fn (self->arg, buf[i]);
    return 0;
}

static void
s_handle (void (*handler) (int))
{
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset (&action.sa_mask);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
}

hl_sigwatch_t *
hl_sigwatch_new (zloop_t *loop, hl_sigwatch_fn *fn, void *arg)
{
    if (!loop || !fn || s_pipe[0] >= 0)
        return NULL;
    zsys_init ();
    zsys_handler_set (NULL);
    if (pipe2 (s_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        hl_log_error ("cannot create the signal pipe: %s", strerror (errno));
        s_pipe[0] = s_pipe[1] = -1;
        return NULL;
    }
    hl_sigwatch_t *self = (hl_sigwatch_t *)hl_alloc (sizeof *self);
    self->loop = loop;
    self->fn = fn;
    self->arg = arg;
    self->item = (zmq_pollitem_t){ NULL, s_pipe[0], ZMQ_POLLIN, 0 };
    zloop_poller (loop, &self->item, s_readable, self);
    s_handle (s_handler);
    /*  A signal that came while czmq's handler was in place only set
        zsys_interrupted: pass it on, or a SIGTERM sent the moment a
        process starts (a node draining a child it just forked) is lost. */
    if (zsys_interrupted) {
        zsys_interrupted = 0;
        s_handler (SIGTERM);
    }
    return self;
}

void
hl_sigwatch_destroy (hl_sigwatch_t **self_p)
{
    hl_sigwatch_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    s_handle (SIG_DFL);
    zloop_poller_end (self->loop, &self->item);
    close (s_pipe[0]);
    close (s_pipe[1]);
    s_pipe[0] = s_pipe[1] = -1;
    free (self);
    *self_p = NULL;
}
