/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    harness - what every integration test needs: a scratch folder, a
    config with ephemeral endpoints, real Helios processes started by
    fork/exec and stopped with SIGTERM (SIGKILL after a deadline), and
    command runs with captured output. Binaries come from $HELIOS_BIN.
*/
#ifndef HT_HARNESS_H
#define HT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HT_EP 256

typedef struct {
    pid_t pid;
    int out_fd;      /* the child's stdout, non-blocking */
    char buf[65536]; /* unread stdout bytes */
    size_t buf_len;
    bool eof;
    pid_t pgid; /* the process group it leads (ht_start_group), or 0 */
} ht_proc_t;

typedef struct {
    char dir[256];    /* scratch folder */
    char config[320]; /* its helios.cfg */
    ht_proc_t *proc;
    char tasks[HT_EP], control[HT_EP], bus_in[HT_EP], bus_out[HT_EP];
    char http[HT_EP]; /* "127.0.0.1:port" when master.http is on, else "" */
} ht_master_t;

/*  A fresh folder under /tmp, or abort. */
void ht_tmpdir (char *dir, size_t size);

/*  Remove a folder and everything in it. */
void ht_rmdir (const char *dir);

/*  cmocka teardown: kill every process the test started and remove every
    folder it made; returns -1 (failing the test) if any was left. */
int ht_teardown (void **state);

/*  Path of a Helios binary: $HELIOS_BIN/name. */
const char *ht_bin (const char *name);

/*  Start argv[0] (a path) with argv; stdout piped to the test. */
ht_proc_t *ht_start (const char *const argv[]);

/*  ht_start under prefix (NULL-ended; NULL: none), a launcher that execs
    the rest in its own place, as "ip netns exec NS" does: the pid is
    argv's, so signals reach it directly. */
ht_proc_t *ht_start_in (const char *const prefix[], const char *const argv[]);

/*  ht_start for a program that starts programs of its own (a launcher
    script): the child leads a new process group, and err_fd (if >= 0,
    not taken) becomes its stderr. ht_stop then sends SIGTERM to the
    child alone, waits for the whole group to end, and SIGKILLs the
    group if it does not; teardown kills the group. */
ht_proc_t *ht_start_group (const char *const argv[], int err_fd);

/*  Whether any process of the group proc leads (or led) is still there. */
bool ht_group_alive (const ht_proc_t *proc);

/*  Read one stdout line (without the newline) within timeout_ms. */
bool ht_read_line (ht_proc_t *proc, char *line, size_t size, int timeout_ms);

/*  SIGTERM, wait up to timeout_ms, then SIGKILL; reap and free. Returns
    the exit status, 128+signal if killed by a signal, -1 if SIGKILLed
    (for a group: if any of it had to be). */
int ht_stop (ht_proc_t **proc_p, int timeout_ms);

/*  Wait up to timeout_ms for the process to exit by itself; returns its
    status as ht_stop, or -2 if it is still running. */
int ht_wait (ht_proc_t *proc, int timeout_ms);

/*  Run argv to completion within timeout_ms, stdout into out (NUL-
    terminated). Returns the exit status, or -1 if it had to be killed. */
int ht_run (const char *const argv[], int timeout_ms, char *out,
            size_t outsize);

/*  ht_run for a launcher: argv leads a process group of its own, which
    must have ended with it (else it is killed: -1); stderr goes into err
    (NUL-terminated; may be NULL) as well as stdout into out. */
int ht_run_group (const char *const argv[], int timeout_ms, char *out,
                  size_t outsize, char *err, size_t errsize);

/*  Write dir/helios.cfg: ephemeral loopback endpoints (or tasks, if not
    NULL), state_dir in dir, master_extra inside the master section and
    extra appended verbatim (either may be NULL). HTTP is off unless
    master_extra sets http itself. */
void ht_write_config (const char *dir, const char *tasks,
                      const char *master_extra, const char *extra, char *path,
                      size_t size);

/*  Make a scratch folder and config, start helios-master on it and wait
    for its READY line (endpoints parsed). Returns false on failure. */
bool ht_master_start (ht_master_t *m, const char *master_extra,
                      const char *extra);

/*  Start helios-master on m->config (already written) and wait for its
    READY line; for restarts. */
bool ht_master_launch (ht_master_t *m);

/*  ht_master_launch under prefix (ht_start_in). */
bool ht_master_launch_in (ht_master_t *m, const char *const prefix[]);

/*  Rewrite m->config so that its master binds the endpoints the running
    one got: a restarted master is found where its peers left it. */
void ht_master_pin (ht_master_t *m);

/*  Start a helios-agent of role connected to the master's tasks
    endpoint, with extra arguments (NULL-terminated). */
ht_proc_t *ht_agent_start (const ht_master_t *m, const char *role, ...);

/*  One control request in-process (hl_client); the reply, or NULL on a
    timeout. Takes *args_p. The caller destroys the reply (hl_msg_t *). */
void *ht_request (const ht_master_t *m, const char *op, void *args_p);

/*  Poll "agents" until at least n are registered or timeout_ms passes;
    returns the count last seen. */
int ht_wait_agents (const ht_master_t *m, int n, int timeout_ms);

/*  Stop the master (expecting exit 0) and remove the folder. Returns the
    master's exit status. */
int ht_master_stop (ht_master_t *m);

/*  deploy/helios.cfg without its master, connect, agent, demo, cycle,
    health and emergency sections: the 12 KPIs and the playbook, for a test to
    put its own endpoints and timing in front of. Caller frees. */
char *ht_playbook (void);

/*  One HTTP exchange with host:port on loopback: send request (raw bytes,
    len of them), read until the server closes or timeout_ms passes.
    Returns the status code (0 if the reply had none: the server closed
    without answering), or -1 if it could not connect or timed out;
    response gets what came, NUL-terminated (may be NULL). */
int ht_http_raw (const char *hostport, const char *request, size_t len,
                 char *response, size_t size, int timeout_ms);

/*  GET path with extra header lines (may be NULL, each ending "\r\n"),
    as HTTP/1.1 with Connection: close; body gets the reply's body. */
int ht_http_get (const char *hostport, const char *path, const char *headers,
                 char *body, size_t size);

/*  A connected TCP socket to host:port, or -1. */
int ht_tcp_connect (const char *hostport);

/*  Run helios-ctl -e control ARGS... --json-free; out gets stdout. */
int ht_ctl (const ht_master_t *m, char *out, size_t outsize, ...);

#endif
