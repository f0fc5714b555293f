/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_spawn - one child shell: posix_spawn with its own process group, a
    clean descriptor table and default signals; its stdin fed from a copy
    of the input, its merged output in a ring of the last bytes; exit
    noticed without reaping so that its group id stays reserved for a
    SIGKILL still due; reaped afterwards, by a thread if it comes to that.
*/
#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hl_spawn.h"
#include "hl_log.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"

#define S_WAIT_TICK_MS 10 //  hl_spawn_wait's longest sleep between steps

extern char **environ;

struct _hl_spawn_t {
    char name[64];          //  for logs
    pid_t pid;              //  the shell, also the group id
    hl_spawn_state_t state; //  as of the last step
    int out_fd;             //  output's read end; -1 only if none
    bool out_ended;         //  end of file, or drained at the exit
    int in_fd;              //  stdin's write end, -1: closed or none
    uint8_t *input;         //  our copy, NULL once written or dropped
    size_t input_size;      //  its bytes
    size_t input_done;      //  of which written
    int exit_code;          //  -1 when killed by a signal
    int signal;             //  0 unless killed by a signal
    bool timed_out;         //  the timeout fired
    int64_t started;        //  monotonic ms
    int64_t ended;          //  monotonic ms of the exit
    int64_t timeout_at;     //  monotonic ms, 0: none
    int64_t grace_ms;       //  SIGTERM to SIGKILL
    int64_t kill_at;        //  SIGKILL due; 0: no SIGTERM sent
    bool killed;            //  SIGKILL sent to the group
    char *ring;             //  the last output, circular
    size_t tail_size;       //  the ring's size
    uint64_t written;       //  output bytes ever read
};

static int64_t
s_now (void)
{
    return zclock_mono ();
}

//  Report a failure: its code in *code_p, "what: why" in err
static int
s_fail (int code, int *code_p, char *err, size_t errsize, const char *what,
        const char *why)
{
    if (code_p)
        *code_p = code;
    if (err && errsize)
        snprintf (err, errsize, "%s%s%s", what, why ? ": " : "",
                  why ? why : "");
    return code;
}

//  ---------------------------------------------------------------------
//  Starting

//  Everything the child gets: stdin (input pipe or /dev/null), stdout and
//  stderr into out, nothing else; its own group; default signals, none
//  blocked (ignored dispositions and the mask would outlive exec)
static int
s_spawn (hl_spawn_t *self, const char *command, char *const *env, int in,
         int out)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init (&actions);
    if (rc != 0)
        return rc;
    rc = posix_spawnattr_init (&attr);
    if (rc != 0) {
        posix_spawn_file_actions_destroy (&actions);
        return rc;
    }
    if (in >= 0)
        rc = posix_spawn_file_actions_adddup2 (&actions, in, 0);
    else
        rc = posix_spawn_file_actions_addopen (&actions, 0, "/dev/null",
                                               O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2 (&actions, out, 1);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2 (&actions, out, 2);
    //  The caller's sockets and pipes are none of the command's business
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np (&actions, 3);
    sigset_t none, all;
    sigemptyset (&none);
    //  Not sigfillset: glibc's leaves out its two internal signals (32,
    //  33), which posix_spawn then sets to SIG_IGN in the child, and
    //  ignored stays ignored across exec. Every bit set puts them back
    //  to default too.
    memset (&all, 0xff, sizeof all);
    if (rc == 0)
        rc = posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP
                                                  | POSIX_SPAWN_SETSIGMASK
                                                  | POSIX_SPAWN_SETSIGDEF);
    if (rc == 0)
        rc = posix_spawnattr_setpgroup (&attr, 0);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask (&attr, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault (&attr, &all);
    char *argv[] = { "sh", "-c", (char *)command, NULL };
    if (rc == 0)
        rc = posix_spawn (&self->pid, "/bin/sh", &actions, &attr, argv,
                          env ? env : environ);
    posix_spawn_file_actions_destroy (&actions);
    posix_spawnattr_destroy (&attr);
    return rc;
}

//  A pipe whose ends close on exec; our end (0: read, 1: write) does not
//  block
static int
s_pipe (int fds[2], int ours)
{
    if (pipe2 (fds, O_CLOEXEC) != 0)
        return -1;
    if (fcntl (fds[ours], F_SETFL, O_NONBLOCK) != 0) {
        close (fds[0]);
        close (fds[1]);
        fds[0] = fds[1] = -1;
        return -1;
    }
    return 0;
}

static void s_feed (hl_spawn_t *self);

static int
s_check_opts (const hl_spawn_opts_t *opts, int *code, char *err, size_t errsize)
{
    if (!opts || !opts->command)
        return s_fail (HL_ERR_ARGS, code, err, errsize, "no command", NULL);
    if (opts->input_size > HL_SPAWN_INPUT_MAX)
        return s_fail (HL_ERR_TOO_BIG, code, err, errsize, "input over 1 MiB",
                       NULL);
    if ((opts->input_size && !opts->input) || opts->timeout_ms < 0
        || opts->grace_ms < 0 || opts->tail_size > HL_SPAWN_TAIL_MAX)
        return s_fail (HL_ERR_ARGS, code, err, errsize, "bad options", NULL);
    return 0;
}

hl_spawn_t *
hl_spawn_new (const hl_spawn_opts_t *opts, int *code, char *err, size_t errsize)
{
    if (s_check_opts (opts, code, err, errsize) != 0)
        return NULL;
    hl_spawn_t *self = NULL;
    int out[2] = { -1, -1 }, in[2] = { -1, -1 };
    if (s_pipe (out, 0) != 0 || (opts->input && s_pipe (in, 1) != 0)) {
        s_fail (HL_ERR_IO, code, err, errsize, "cannot make a pipe",
                strerror (errno));
        goto fail;
    }
    self = (hl_spawn_t *)hl_alloc (sizeof *self);
    snprintf (self->name, sizeof self->name, "%s",
              opts->name ? opts->name : "sh");
    int rc = s_spawn (self, opts->command, opts->env, in[0], out[1]);
    if (rc != 0) {
        s_fail (HL_ERR_IO, code, err, errsize, "cannot run /bin/sh",
                strerror (rc));
        goto fail;
    }
    close (out[1]);
    if (in[0] >= 0)
        close (in[0]);
    self->out_fd = out[0];
    self->in_fd = in[1];
    self->state = HL_SPAWN_RUNNING;
    self->exit_code = -1;
    self->started = s_now ();
    self->timeout_at = opts->timeout_ms ? self->started + opts->timeout_ms : 0;
    self->grace_ms = opts->grace_ms ? opts->grace_ms : HL_SPAWN_GRACE_MS;
    self->tail_size = opts->tail_size ? opts->tail_size : HL_SPAWN_TAIL;
    self->ring = (char *)hl_alloc (self->tail_size);
    if (opts->input) {
        self->input = (uint8_t *)hl_alloc (opts->input_size);
        memcpy (self->input, opts->input, opts->input_size);
        self->input_size = opts->input_size;
        s_feed (self);
    }
    if (code)
        *code = 0;
    return self;
fail:
    free (self);
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close (out[i]);
        if (in[i] >= 0)
            close (in[i]);
    }
    return NULL;
}

//  ---------------------------------------------------------------------
//  Input

//  write() that cannot kill us with SIGPIPE when the child stopped
//  reading: the signal is blocked in this thread for the call, and the
//  one it raised (thread-directed) is taken back before unblocking
static ssize_t
s_write_quiet (int fd, const void *data, size_t len)
{
    sigset_t pipe_set, old, pending;
    sigemptyset (&pipe_set);
    sigaddset (&pipe_set, SIGPIPE);
    sigemptyset (&pending);
    sigpending (&pending);
    bool was_pending = sigismember (&pending, SIGPIPE);
    pthread_sigmask (SIG_BLOCK, &pipe_set, &old);
    ssize_t n;
    do
        n = write (fd, data, len);
    while (n < 0 && errno == EINTR);
    int saved = errno;
    if (n < 0 && saved == EPIPE && !was_pending) {
        struct timespec zero = { 0, 0 };
        sigtimedwait (&pipe_set, NULL, &zero);
    }
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    errno = saved;
    return n;
}

static void
s_input_close (hl_spawn_t *self)
{
    if (self->in_fd >= 0)
        close (self->in_fd);
    self->in_fd = -1;
    free (self->input);
    self->input = NULL;
}

//  Write what the pipe takes now; close it once all is written (the
//  child's end of file) or the child stopped reading
static void
s_feed (hl_spawn_t *self)
{
    while (self->in_fd >= 0 && self->input_done < self->input_size) {
        ssize_t n = s_write_quiet (self->in_fd, self->input + self->input_done,
                                   self->input_size - self->input_done);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            hl_log_debug ("%s: input dropped after %zu bytes: %s", self->name,
                          self->input_done, strerror (errno));
            break;
        }
        self->input_done += (size_t)n;
    }
    s_input_close (self);
}

//  ---------------------------------------------------------------------
//  Output

static void
s_ring_put (hl_spawn_t *self, const char *data, size_t len)
{
    size_t size = self->tail_size;
    if (len > size) {
        self->written += len - size;
        data += len - size;
        len = size;
    }
    while (len > 0) {
        size_t at = (size_t)(self->written % size);
        size_t chunk = size - at < len ? size - at : len;
        memcpy (self->ring + at, data, chunk);
        self->written += chunk;
        data += chunk;
        len -= chunk;
    }
}

//  Read what is there, at most max bytes; the output ends at end of file
//  or on an error
static void
s_read (hl_spawn_t *self, size_t max)
{
    char buf[4096];
    size_t total = 0;
    while (!self->out_ended && total < max) {
        ssize_t n = read (self->out_fd, buf, sizeof buf);
        if (n > 0) {
            s_ring_put (self, buf, (size_t)n);
            total += (size_t)n;
        } else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && errno == EAGAIN)
            return;
        else
            self->out_ended = true;
    }
}

//  Length of the valid UTF-8 sequence at s (n bytes left), or 0
static size_t
s_utf8_seq (const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; //  the second byte's range
    if (c >= 0x01 && c <= 0x7f)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; //  overlong
        else if (c == 0xed)
            hi = 0x9f; //  surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90; //  overlong
        else if (c == 0xf4)
            hi = 0x8f; //  above U+10FFFF
    } else
        return 0; //  NUL, a stray continuation, 0xc0, 0xc1, 0xf5..
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

//  Make buf[0..len) valid UTF-8 in place: a sequence cut at the start
//  (if cut) is dropped, any other invalid byte becomes '?'. New length.
static size_t
s_utf8_clean (unsigned char *buf, size_t len, bool cut)
{
    size_t in = 0, out = 0;
    if (cut)
        while (in < len && in < 3 && (buf[in] & 0xc0) == 0x80)
            in++;
    while (in < len) {
        size_t seq = s_utf8_seq (buf + in, len - in);
        if (seq == 0) {
            buf[out++] = '?';
            in++;
        } else {
            memmove (buf + out, buf + in, seq);
            out += seq;
            in += seq;
        }
    }
    return out;
}

size_t
hl_spawn_output (const hl_spawn_t *self, char *buf, size_t size)
{
    assert (self && buf);
    if (size == 0)
        return 0;
    uint64_t kept
        = self->written < self->tail_size ? self->written : self->tail_size;
    size_t len = kept < size - 1 ? (size_t)kept : size - 1;
    //  The last len bytes, from the ring's position of the first of them
    uint64_t from = self->written - len;
    size_t at = (size_t)(from % self->tail_size);
    size_t first = self->tail_size - at < len ? self->tail_size - at : len;
    memcpy (buf, self->ring + at, first);
    memcpy (buf + first, self->ring, len - first);
    len = s_utf8_clean ((unsigned char *)buf, len, from > 0);
    buf[len] = '\0';
    return len;
}

uint64_t
hl_spawn_output_size (const hl_spawn_t *self)
{
    assert (self);
    return self->written;
}

//  ---------------------------------------------------------------------
//  The child

//  Signal the whole group. Safe while the shell is unreaped: its pid,
//  hence the group id, cannot be reused until then.
static void
s_kill_group (hl_spawn_t *self, int signum)
{
    if (kill (-self->pid, signum) != 0 && errno != ESRCH)
        hl_log_warning ("%s: kill of process group %d: %s", self->name,
                        (int)self->pid, strerror (errno));
}

//  SIGTERM now, SIGKILL after the grace period
static void
s_kill_start (hl_spawn_t *self)
{
    if (self->kill_at || self->state == HL_SPAWN_REAPED)
        return;
    s_kill_group (self, SIGTERM);
    self->kill_at = s_now () + self->grace_ms;
}

//  Has the shell exited? Looks without reaping (WNOWAIT), so that the
//  group id stays reserved for a SIGKILL still due. Once it has, what it
//  wrote before is drained and the input dropped.
static void
s_check_exit (hl_spawn_t *self)
{
    if (self->state != HL_SPAWN_RUNNING)
        return;
    siginfo_t info;
    memset (&info, 0, sizeof info);
    int rc;
    do
        rc = waitid (P_PID, (id_t)self->pid, &info,
                     WEXITED | WNOHANG | WNOWAIT);
    while (rc != 0 && errno == EINTR);
    if (rc == 0 && info.si_pid == 0)
        return;
    self->state = HL_SPAWN_EXITED;
    self->ended = s_now ();
    if (rc != 0)
        //  Someone else reaped it (ECHILD): the status is lost
        hl_log_warning ("%s: process %d: %s", self->name, (int)self->pid,
                        strerror (errno));
    else if (info.si_code == CLD_EXITED)
        self->exit_code = info.si_status;
    else
        self->signal = info.si_status;
    //  A background process still holding the output is not waited for
    s_read (self, HL_SPAWN_DRAIN_MAX);
    self->out_ended = true;
    s_input_close (self);
}

//  Reap once the shell exited and no SIGKILL is still due
static void
s_reap (hl_spawn_t *self)
{
    if (self->state != HL_SPAWN_EXITED || (self->kill_at && !self->killed))
        return;
    int status;
    pid_t rc;
    do
        rc = waitpid (self->pid, &status, WNOHANG);
    while (rc < 0 && errno == EINTR);
    if (rc == self->pid || (rc < 0 && errno == ECHILD))
        self->state = HL_SPAWN_REAPED;
}

hl_spawn_state_t
hl_spawn_step (hl_spawn_t *self)
{
    assert (self);
    if (self->state == HL_SPAWN_REAPED)
        return self->state;
    if (self->in_fd >= 0)
        s_feed (self);
    s_read (self, HL_SPAWN_READ_MAX);
    s_check_exit (self);
    int64_t now = s_now ();
    if (self->state == HL_SPAWN_RUNNING && self->timeout_at && !self->kill_at
        && now >= self->timeout_at) {
        hl_log_notice ("%s: timed out: killing process group %d", self->name,
                       (int)self->pid);
        self->timed_out = true;
        s_kill_start (self);
    }
    if (self->kill_at && !self->killed && now >= self->kill_at) {
        s_kill_group (self, SIGKILL);
        self->killed = true;
    }
    s_reap (self);
    return self->state;
}

hl_spawn_state_t
hl_spawn_state (const hl_spawn_t *self)
{
    assert (self);
    return self->state;
}

void
hl_spawn_kill (hl_spawn_t *self)
{
    assert (self);
    s_kill_start (self);
}

int
hl_spawn_wait (hl_spawn_t *self, int64_t timeout_ms)
{
    assert (self);
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : s_now () + timeout_ms;
    while (hl_spawn_step (self) == HL_SPAWN_RUNNING) {
        int64_t left = deadline - s_now ();
        if (left <= 0)
            return HL_ERR_TIMEOUT;
        //  The exit itself cannot be polled for: wake up every tick
        struct pollfd fds[2];
        nfds_t n = 0;
        if (!self->out_ended)
            fds[n++] = (struct pollfd){ self->out_fd, POLLIN, 0 };
        if (self->in_fd >= 0)
            fds[n++] = (struct pollfd){ self->in_fd, POLLOUT, 0 };
        poll (fds, n, left < S_WAIT_TICK_MS ? (int)left : S_WAIT_TICK_MS);
    }
    return 0;
}

//  The last resort for a child that outlived SIGKILL by a second: a
//  thread of its own waits for it, however long that takes
static void *
s_reaper (void *arg)
{
    pid_t pid = (pid_t)(intptr_t)arg;
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void
s_reap_later (hl_spawn_t *self)
{
    pthread_attr_t attr;
    pthread_t thread;
    int rc = pthread_attr_init (&attr);
    if (rc == 0)
        rc = pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
    if (rc == 0)
        rc = pthread_create (&thread, &attr, s_reaper,
                             (void *)(intptr_t)self->pid);
    pthread_attr_destroy (&attr);
    hl_log_warning ("%s: process %d outlived SIGKILL: %s", self->name,
                    (int)self->pid,
                    rc == 0 ? "a thread will reap it" : "left unreaped");
}

void
hl_spawn_destroy (hl_spawn_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_spawn_t *self = *self_p;
    s_check_exit (self);
    if (self->state == HL_SPAWN_RUNNING
        || (self->state == HL_SPAWN_EXITED && self->kill_at && !self->killed)) {
        s_kill_group (self, SIGKILL);
        self->killed = true;
    }
    int64_t until = s_now () + HL_SPAWN_REAP_MS;
    while (self->state != HL_SPAWN_REAPED) {
        s_check_exit (self);
        s_reap (self);
        if (self->state == HL_SPAWN_REAPED)
            break;
        if (s_now () >= until) {
            s_reap_later (self);
            break;
        }
        zclock_sleep (1);
    }
    s_input_close (self);
    if (self->out_fd >= 0)
        close (self->out_fd);
    free (self->ring);
    free (self);
    *self_p = NULL;
}

int
hl_spawn_fd (const hl_spawn_t *self)
{
    assert (self);
    return self->out_ended ? -1 : self->out_fd;
}

int
hl_spawn_pid (const hl_spawn_t *self)
{
    assert (self);
    return (int)self->pid;
}

int
hl_spawn_exit_code (const hl_spawn_t *self)
{
    assert (self);
    return self->exit_code;
}

int
hl_spawn_signal (const hl_spawn_t *self)
{
    assert (self);
    return self->signal;
}

bool
hl_spawn_timed_out (const hl_spawn_t *self)
{
    assert (self);
    return self->timed_out;
}

int64_t
hl_spawn_duration_ms (const hl_spawn_t *self)
{
    assert (self);
    return (self->state == HL_SPAWN_RUNNING ? s_now () : self->ended)
           - self->started;
}
