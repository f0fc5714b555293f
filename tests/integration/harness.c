/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    harness - real processes for integration tests: fork/exec, READY
    lines read with deadlines, SIGTERM then SIGKILL, scratch folders.
*/
#include "harness.h"

#include "../../master/hl_client.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*  Everything a test started or made, so that teardown can clean up
    after a failed assertion and fail a test that left anything behind. */
#define S_TRACK 64
static ht_proc_t *s_procs[S_TRACK];
static char s_dirs[S_TRACK][256];

static void
s_track_proc (ht_proc_t *proc, bool add)
{
    for (int i = 0; i < S_TRACK; i++)
        if (add ? !s_procs[i] : s_procs[i] == proc) {
            s_procs[i] = add ? proc : NULL;
            return;
        }
}

static void
s_track_dir (const char *dir, bool add)
{
    for (int i = 0; i < S_TRACK; i++)
        if (add ? !*s_dirs[i] : strcmp (s_dirs[i], dir) == 0) {
            if (add)
                snprintf (s_dirs[i], sizeof s_dirs[i], "%s", dir);
            else
                *s_dirs[i] = 0;
            return;
        }
}

static void s_drain (ht_proc_t *proc);

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
ht_tmpdir (char *dir, size_t size)
{
    snprintf (dir, size, "/tmp/helios-test-XXXXXX");
    if (!mkdtemp (dir)) {
        perror ("mkdtemp");
        abort ();
    }
    s_track_dir (dir, true);
}

static int
s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove (path);
}

void
ht_rmdir (const char *dir)
{
    nftw (dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    s_track_dir (dir, false);
}

int
ht_teardown (void **state)
{
    (void)state;
    int left = 0;
    for (int i = 0; i < S_TRACK; i++)
        if (s_procs[i]) {
            if (s_procs[i]->pid)
                fprintf (stderr, "harness: pid %d left running\n",
                         (int)s_procs[i]->pid);
            if (s_procs[i]->pgid)
                kill (-s_procs[i]->pgid, SIGKILL);
            else if (s_procs[i]->pid)
                kill (s_procs[i]->pid, SIGKILL);
            ht_proc_t *proc = s_procs[i];
            ht_stop (&proc, 1000);
            left++;
        }
    for (int i = 0; i < S_TRACK; i++)
        if (*s_dirs[i]) {
            char dir[256];
            memcpy (dir, s_dirs[i], sizeof dir);
            fprintf (stderr, "harness: %s left behind\n", dir);
            ht_rmdir (dir);
            left++;
        }
    return left ? -1 : 0;
}

const char *
ht_bin (const char *name)
{
    static char paths[8][512];
    static int next;
    const char *dir = getenv ("HELIOS_BIN");
    char *path = paths[next++ % 8];
    snprintf (path, 512, "%s/%s", dir ? dir : "bin", name);
    return path;
}

/*  fork/exec argv with stdout on a pipe to us; group: in a new process
    group it leads; err_fd >= 0: as its stderr. */
static ht_proc_t *
s_spawn (const char *const argv[], bool group, int err_fd)
{
    int fds[2];
    if (pipe (fds))
        return NULL;
    pid_t pid = fork ();
    if (pid < 0)
        return NULL;
    if (pid == 0) {
        if (group)
            setpgid (0, 0);
        dup2 (fds[1], STDOUT_FILENO);
        if (err_fd >= 0)
            dup2 (err_fd, STDERR_FILENO);
        /*  HT_QUIET: children's logs are not part of the output */
        else if (getenv ("HT_QUIET")) {
            int null = open ("/dev/null", O_WRONLY);
            if (null >= 0)
                dup2 (null, STDERR_FILENO);
        }
        close (fds[0]);
        close (fds[1]);
        execv (argv[0], (char *const *)argv);
        fprintf (stderr, "exec %s: %s\n", argv[0], strerror (errno));
        _exit (127);
    }
    /*  The child sets its group too; whichever runs first, the group
        exists before either goes on. */
    if (group)
        setpgid (pid, pid);
    close (fds[1]);
    fcntl (fds[0], F_SETFL, O_NONBLOCK);
    fcntl (fds[0], F_SETFD, FD_CLOEXEC);
    ht_proc_t *proc = (ht_proc_t *)calloc (1, sizeof (ht_proc_t));
    proc->pid = pid;
    proc->pgid = group ? pid : 0;
    proc->out_fd = fds[0];
    s_track_proc (proc, true);
    return proc;
}

ht_proc_t *
ht_start (const char *const argv[])
{
    return s_spawn (argv, false, -1);
}

ht_proc_t *
ht_start_in (const char *const prefix[], const char *const argv[])
{
    const char *full[64];
    size_t n = 0;
    for (size_t i = 0; prefix && prefix[i] && n < 32; i++)
        full[n++] = prefix[i];
    for (size_t i = 0; argv[i] && n < 63; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    return s_spawn (full, false, -1);
}

ht_proc_t *
ht_start_group (const char *const argv[], int err_fd)
{
    return s_spawn (argv, true, err_fd);
}

bool
ht_group_alive (const ht_proc_t *proc)
{
    return proc->pgid && kill (-proc->pgid, 0) == 0;
}

/*  Wait until deadline for the group proc leads to be gone; SIGKILL it
    if it is not. Returns false if it had to be killed. */
static bool
s_group_end (ht_proc_t *proc, int64_t deadline)
{
    while (ht_group_alive (proc)) {
        if (s_now_ms () >= deadline) {
            kill (-proc->pgid, SIGKILL);
            if (proc->pid) {
                waitpid (proc->pid, NULL, 0);
                proc->pid = 0;
            }
            return false;
        }
        s_drain (proc);
        poll (NULL, 0, 5); /* a short step between looks */
    }
    return true;
}

bool
ht_read_line (ht_proc_t *proc, char *line, size_t size, int timeout_ms)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    while (true) {
        char *nl = memchr (proc->buf, '\n', proc->buf_len);
        if (nl) {
            size_t len = (size_t)(nl - proc->buf);
            size_t copy = len < size - 1 ? len : size - 1;
            memcpy (line, proc->buf, copy);
            line[copy] = 0;
            proc->buf_len -= len + 1;
            memmove (proc->buf, nl + 1, proc->buf_len);
            return true;
        }
        if (proc->eof || proc->buf_len == sizeof proc->buf)
            return false;
        int64_t left = deadline - s_now_ms ();
        if (left <= 0)
            return false;
        struct pollfd pfd = { proc->out_fd, POLLIN, 0 };
        if (poll (&pfd, 1, (int)left) <= 0)
            continue;
        ssize_t n = read (proc->out_fd, proc->buf + proc->buf_len,
                          sizeof proc->buf - proc->buf_len);
        if (n > 0)
            proc->buf_len += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            proc->eof = true;
    }
}

static int
s_status (int status)
{
    if (WIFEXITED (status))
        return WEXITSTATUS (status);
    if (WIFSIGNALED (status))
        return 128 + WTERMSIG (status);
    return -1;
}

/*  Read what the child wrote so far without blocking; once the buffer
    is full, further output is discarded so the child never blocks. */
static void
s_drain (ht_proc_t *proc)
{
    while (!proc->eof) {
        char sink[4096];
        bool room = proc->buf_len < sizeof proc->buf;
        ssize_t n = room ? read (proc->out_fd, proc->buf + proc->buf_len,
                                 sizeof proc->buf - proc->buf_len)
                         : read (proc->out_fd, sink, sizeof sink);
        if (n > 0 && room)
            proc->buf_len += (size_t)n;
        else if (n == 0)
            proc->eof = true;
        else if (n < 0)
            break;
    }
}

int
ht_wait (ht_proc_t *proc, int timeout_ms)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    while (true) {
        s_drain (proc);
        int status;
        pid_t r = waitpid (proc->pid, &status, WNOHANG);
        if (r == proc->pid) {
            proc->pid = 0;
            s_drain (proc);
            return s_status (status);
        }
        if (r < 0)
            return -1;
        if (s_now_ms () >= deadline)
            return -2;
        /*  Wake on output or after a short step to re-check the child. */
        struct pollfd pfd = { proc->out_fd, POLLIN, 0 };
        poll (&pfd, proc->eof ? 0 : 1, 5);
    }
}

int
ht_stop (ht_proc_t **proc_p, int timeout_ms)
{
    ht_proc_t *proc = *proc_p;
    if (!proc)
        return -1;
    int64_t deadline = s_now_ms () + timeout_ms;
    int rc = proc->pid ? -2 : 0;
    if (proc->pid) {
        kill (proc->pid, SIGTERM);
        rc = ht_wait (proc, timeout_ms);
        if (rc == -2) {
            kill (proc->pgid ? -proc->pgid : proc->pid, SIGKILL);
            waitpid (proc->pid, NULL, 0);
            rc = -1;
        }
    }
    /*  A launcher's programs end before it, or are made to. */
    if (proc->pgid && !s_group_end (proc, deadline))
        rc = -1;
    close (proc->out_fd);
    s_track_proc (proc, false);
    free (proc);
    *proc_p = NULL;
    return rc;
}

/*  Wait for a started proc as ht_run does, then collect and free it. */
static int
s_run (ht_proc_t *proc, int timeout_ms, char *out, size_t outsize)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    int rc = ht_wait (proc, timeout_ms);
    if (rc == -2) {
        kill (proc->pgid ? -proc->pgid : proc->pid, SIGKILL);
        waitpid (proc->pid, NULL, 0);
        proc->pid = 0;
        rc = -1;
    }
    if (proc->pgid && !s_group_end (proc, deadline))
        rc = -1;
    if (out && outsize) {
        size_t copy = proc->buf_len < outsize - 1 ? proc->buf_len : outsize - 1;
        memcpy (out, proc->buf, copy);
        out[copy] = 0;
    }
    close (proc->out_fd);
    s_track_proc (proc, false);
    free (proc);
    return rc;
}

int
ht_run (const char *const argv[], int timeout_ms, char *out, size_t outsize)
{
    ht_proc_t *proc = ht_start (argv);
    return proc ? s_run (proc, timeout_ms, out, outsize) : -1;
}

int
ht_run_group (const char *const argv[], int timeout_ms, char *out,
              size_t outsize, char *err, size_t errsize)
{
    /*  stderr into an unlinked file: it never fills up, whatever the
        child writes while we wait. */
    FILE *errf = err && errsize ? tmpfile () : NULL;
    if (err && errsize && !errf)
        return -1;
    ht_proc_t *proc = ht_start_group (argv, errf ? fileno (errf) : -1);
    int rc = proc ? s_run (proc, timeout_ms, out, outsize) : -1;
    if (errf) {
        rewind (errf);
        size_t n = fread (err, 1, errsize - 1, errf);
        err[n] = 0;
        fclose (errf);
    }
    return rc;
}

void
ht_write_config (const char *dir, const char *tasks, const char *master_extra,
                 const char *extra, char *path, size_t size)
{
    snprintf (path, size, "%s/helios.cfg", dir);
    FILE *f = fopen (path, "w");
    if (!f) {
        perror (path);
        abort ();
    }
    fprintf (f,
             "master = { tasks = \"%s\";\n"
             "  control = \"tcp://127.0.0.1:*\";\n"
             "  bus_in = \"tcp://127.0.0.1:*\";\n"
             "  bus_out = \"tcp://127.0.0.1:*\";\n"
             "  %s statsd = \"\";\n"
             "  state_dir = \"%s/state\"; %s };\n%s\n",
             tasks ? tasks : "tcp://127.0.0.1:*",
             master_extra && strstr (master_extra, "http =") ? ""
                                                             : "http = \"\";",
             dir, master_extra ? master_extra : "", extra ? extra : "");
    fclose (f);
}

/*  "READY tcp://... control=tcp://... bus_in=... bus_out=..." */
static bool
s_parse_ready (ht_master_t *m, const char *line)
{
    m->http[0] = 0;
    const char *http = strstr (line, " http=");
    if (http)
        sscanf (http, " http=%255s", m->http);
    return sscanf (line,
                   "READY %255s control=%255s bus_in=%255s "
                   "bus_out=%255s",
                   m->tasks, m->control, m->bus_in, m->bus_out)
           == 4;
}

bool
ht_master_launch (ht_master_t *m)
{
    return ht_master_launch_in (m, NULL);
}

bool
ht_master_launch_in (ht_master_t *m, const char *const prefix[])
{
    const char *argv[] = { ht_bin ("helios-master"), "-c", m->config, NULL };
    m->proc = ht_start_in (prefix, argv);
    if (!m->proc)
        return false;
    char line[1024];
    if (!ht_read_line (m->proc, line, sizeof line, 10000)
        || !s_parse_ready (m, line)) {
        fprintf (stderr, "harness: no READY line from helios-master\n");
        ht_stop (&m->proc, 2000);
        return false;
    }
    return true;
}

void
ht_master_pin (ht_master_t *m)
{
    FILE *f = fopen (m->config, "r");
    assert (f);
    static char text[1 << 16], out[1 << 16];
    size_t len = fread (text, 1, sizeof text - 1, f);
    fclose (f);
    text[len] = 0;
    const char *keys[]
        = { "tasks = \"", "control = \"", "bus_in = \"", "bus_out = \"" };
    const char *values[] = { m->tasks, m->control, m->bus_in, m->bus_out };
    for (int k = 0; k < 4; k++) {
        //  The master section comes first: its key is the first one
        char *at = strstr (text, keys[k]);
        assert (at);
        at += strlen (keys[k]);
        char *end = strchr (at, '"');
        assert (end);
        snprintf (out, sizeof out, "%.*s%s%s", (int)(at - text), text,
                  values[k], end);
        snprintf (text, sizeof text, "%s", out);
    }
    f = fopen (m->config, "w");
    assert (f);
    fputs (text, f);
    fclose (f);
}

bool
ht_master_start (ht_master_t *m, const char *master_extra, const char *extra)
{
    memset (m, 0, sizeof *m);
    ht_tmpdir (m->dir, sizeof m->dir);
    ht_write_config (m->dir, NULL, master_extra, extra, m->config,
                     sizeof m->config);
    return ht_master_launch (m);
}

ht_proc_t *
ht_agent_start (const ht_master_t *m, const char *role, ...)
{
    const char *argv[32] = { ht_bin ("helios-agent"),
                             "-c",
                             m->config,
                             "--master",
                             m->tasks,
                             "--role",
                             role };
    int argc = 7;
    va_list ap;
    va_start (ap, role);
    const char *arg;
    while (argc < 31 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    va_end (ap);
    argv[argc] = NULL;
    return ht_start (argv);
}

void *
ht_request (const ht_master_t *m, const char *op, void *args_p)
{
    hl_client_t *client = hl_client_new (m->control, "test");
    if (!client)
        return NULL;
    hl_msg_t *reply = NULL;
    hl_client_request (client, op, (hl_value_t **)args_p, 5000, &reply);
    hl_client_destroy (&client);
    return reply;
}

int
ht_wait_agents (const ht_master_t *m, int n, int timeout_ms)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    int seen = -1;
    while (true) {
        hl_msg_t *reply = (hl_msg_t *)ht_request (m, "agents", NULL);
        if (reply)
            seen = (int)(hl_value_size (hl_msg_data (reply))
                         + hl_msg_more (reply)); /* a page, and the rest */
        hl_msg_destroy (&reply);
        if (seen >= n || s_now_ms () >= deadline)
            return seen;
        poll (NULL, 0, 20); /* a short step between polls */
    }
}

int
ht_master_stop (ht_master_t *m)
{
    int rc = ht_stop (&m->proc, 5000);
    if (*m->dir)
        ht_rmdir (m->dir);
    *m->dir = 0;
    return rc;
}

int
ht_ctl (const ht_master_t *m, char *out, size_t outsize, ...)
{
    const char *argv[32] = { ht_bin ("helios-ctl"), "-e", m->control };
    int argc = 3;
    va_list ap;
    va_start (ap, outsize);
    const char *arg;
    while (argc < 31 && (arg = va_arg (ap, const char *)))
        argv[argc++] = arg;
    va_end (ap);
    argv[argc] = NULL;
    /*  An upper bound only: the ctl keeps its own deadline (-t). */
    return ht_run (argv, 180000, out, outsize);
}

char *
ht_playbook (void)
{
    FILE *f = fopen ("deploy/helios.cfg", "r"); /* tests run at the top */
    if (!f)
        return NULL;
    size_t cap = 65536, len = 0;
    char *text = malloc (cap);
    char line[1024];
    bool skip = false;
    static const char *sections[]
        = { "master = {", "connect = {", "agent = {",    "demo = {",
            "cycle = {",  "health = {",  "emergency = {" };
    while (text && fgets (line, sizeof line, f)) {
        for (size_t i = 0; i < sizeof sections / sizeof *sections; i++)
            if (!strncmp (line, sections[i], strlen (sections[i])))
                skip = true;
        size_t n = strlen (line);
        if (!skip && len + n + 1 < cap) {
            memcpy (text + len, line, n);
            len += n;
        }
        if (skip && !strncmp (line, "};", 2))
            skip = false;
    }
    fclose (f);
    if (text)
        text[len] = 0;
    return text;
}

int
ht_tcp_connect (const char *hostport)
{
    char host[64];
    int port;
    if (sscanf (hostport, "%63[^:]:%d", host, &port) != 2)
        return -1;
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_port = htons ((uint16_t)port);
    if (inet_pton (AF_INET, host, &addr.sin_addr) != 1)
        return -1;
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect (fd, (struct sockaddr *)&addr, sizeof addr)) {
        close (fd);
        return -1;
    }
    return fd;
}

int
ht_http_raw (const char *hostport, const char *request, size_t len,
             char *response, size_t size, int timeout_ms)
{
    int fd = ht_tcp_connect (hostport);
    if (fd < 0)
        return -1;
    int64_t deadline = s_now_ms () + timeout_ms;
    size_t sent = 0;
    while (sent < len) {
        ssize_t n = send (fd, request + sent, len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may answer, and close, before the end */
        sent += (size_t)n;
    }
    char local[256];
    if (!response || size == 0) {
        response = local;
        size = sizeof local;
    }
    size_t got = 0;
    bool timed_out = true;
    while (s_now_ms () < deadline) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (poll (&pfd, 1, (int)(deadline - s_now_ms ())) <= 0)
            break;
        char buf[4096];
        ssize_t n = recv (fd, buf, sizeof buf, 0);
        if (n <= 0) {
            timed_out = false;
            break;
        }
        size_t keep = (size_t)n < size - 1 - got ? (size_t)n : size - 1 - got;
        memcpy (response + got, buf, keep);
        got += keep;
    }
    response[got] = 0;
    close (fd);
    if (timed_out)
        return -1;
    int code = 0;
    if (sscanf (response, "HTTP/1.%*d %d", &code) != 1)
        code = 0;
    return code;
}

int
ht_http_get (const char *hostport, const char *path, const char *headers,
             char *body, size_t size)
{
    char request[8192];
    int n = snprintf (request, sizeof request,
                      "GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close"
                      "\r\n\r\n",
                      path, hostport, headers ? headers : "");
    size_t cap = 4 << 20;
    char *response = malloc (cap);
    if (!response)
        return -1;
    int code = ht_http_raw (hostport, request, (size_t)n, response, cap, 10000);
    if (body && size) {
        const char *start = strstr (response, "\r\n\r\n");
        snprintf (body, size, "%s", start ? start + 4 : "");
    }
    free (response);
    return code;
}
