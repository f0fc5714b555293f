/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    swarm - many agents played by one thread; see swarm.h.
*/
#include <sched.h>
#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "swarm.h"
#include "harness.h"
#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_err.h"
#include "../../proto/hl_msg.h"

#define S_POLL_MS 10      /* the loop's longest wait */
#define S_CONNECT_STEP 64 /* hellos sent between two drains */

typedef struct {
    char tasks[256];
    const char *const *roles;
    size_t roles_n;
    long n;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    atomic_long welcomed;
    atomic_ullong sent, received, refused, unknown;
    atomic_int heartbeat_ms;
    atomic_bool failed; /* a socket could not be made */
    //  The thread's own
    zsock_t **socks;
    int64_t *next_us; /* each agent's next heartbeat; 0: not welcomed */
    long opened;
    long first; /* the first agent's number */
} s_crowd_t;

/*  Raise the descriptor limit towards want, as far as the hard limit
    lets (root may lack the right to raise that); what it is now. */
static rlim_t
s_raise (rlim_t want)
{
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl))
        return 0;
    if (rl.rlim_cur < want) {
        struct rlimit more = { want, rl.rlim_max < want ? want : rl.rlim_max };
        if (setrlimit (RLIMIT_NOFILE, &more)) {
            rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
            setrlimit (RLIMIT_NOFILE, &rl);
        }
        getrlimit (RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

bool
ht_swarm_limits (long n)
{
    //  The master: a descriptor an agent, and its own
    return s_raise ((rlim_t)(2 * n + 1024)) >= (rlim_t)(n + 512);
}

double
ht_cpu_seconds (int pid)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    char buf[1024];
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf[n] = 0;
    //  Fields after the command, which may hold spaces: from the last ')'
    const char *p = strrchr (buf, ')');
    unsigned long utime = 0, stime = 0;
    if (!p
        || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                   &utime, &stime)
               != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf (_SC_CLK_TCK);
}

static void
s_beat (s_crowd_t *self, long i, int64_t now)
{
    hl_msg_t *hb = hl_msg_new (HL_MSG_HEARTBEAT);
    hl_msg_set_inflight (hb, 0);
    if (hl_bus_send (self->socks[i], &hb) == 0)
        atomic_fetch_add (&self->sent, 1);
    else
        atomic_fetch_add (&self->refused, 1);
    self->next_us[i] = now + (int64_t)atomic_load (&self->heartbeat_ms) * 1000;
}

static void
s_hello (s_crowd_t *self, long i)
{
    char src[64];
    snprintf (src, sizeof src, "swarm-%ld@localhost", self->first + i);
    hl_msg_t *hello = hl_msg_new (HL_MSG_HELLO);
    hl_msg_set_src (hello, src);
    hl_msg_set_role (hello, self->roles[(size_t)i % self->roles_n]);
    hl_msg_set_capacity (hello, 1);
    hl_msg_set_host (hello, "localhost");
    hl_msg_set_pid (hello, getpid ());
    hl_msg_set_version (hello, "0");
    if (hl_bus_send (self->socks[i], &hello))
        atomic_fetch_add (&self->refused, 1);
}

/*  Read whatever the master sent to agent i. */
static void
s_read (s_crowd_t *self, long i, int64_t now)
{
    int hb_ms = atomic_load (&self->heartbeat_ms);
    hl_msg_t *msg = NULL;
    while (hl_bus_recv (self->socks[i], NULL, &msg, NULL) != HL_ERR_IO) {
        atomic_fetch_add (&self->received, 1);
        hl_msg_type_t type = msg ? hl_msg_type (msg) : HL_MSG_TYPE_END;
        if (type == HL_MSG_WELCOME) {
            if (!self->next_us[i]) {
                atomic_fetch_add (&self->welcomed, 1);
                int hb = (int)hl_msg_heartbeat_ms (msg);
                if (hb > 0)
                    atomic_store (&self->heartbeat_ms, hb_ms = hb);
                //  Phases spread over one interval, as agents drift apart
                self->next_us[i]
                    = now + (int64_t)hb_ms * 1000 * (i % 97) / 97 + 1;
            }
        } else if (type == HL_MSG_HEARTBEAT && self->next_us[i]) {
            //  The master's period, when it changes it
            int period = (int)hl_msg_heartbeat_ms (msg);
            if (period > 0 && period != hb_ms)
                atomic_store (&self->heartbeat_ms, hb_ms = period);
            //  Answered at once when half an interval has passed
            if (self->next_us[i] - now <= (int64_t)hb_ms * 500)
                s_beat (self, i, now);
        } else if (type == HL_MSG_ERROR && hl_msg_code (msg) == HL_ERR_PEER) {
            //  Expired: say hello again, as hl_link does
            atomic_fetch_add (&self->unknown, 1);
            s_hello (self, i);
        }
        hl_msg_destroy (&msg);
    }
}

/*  Read agent i's socket dry. Its ZMQ_FD is edge-triggered and a send
    may swallow the edge, so this runs after each edge and each send. */
static void
s_drain (s_crowd_t *self, long i, int64_t now)
{
    int events = 0;
    size_t len = sizeof events;
    while (zmq_getsockopt (zsock_resolve (self->socks[i]), ZMQ_EVENTS, &events,
                           &len)
               == 0
           && (events & ZMQ_POLLIN))
        s_read (self, i, now);
}

static void *
s_run (void *arg)
{
    s_crowd_t *self = (s_crowd_t *)arg;
    //  epoll over each socket's ZMQ_FD: the work is what is ready, not
    //  the thousands of sockets zmq_poll would walk each time
    int ep = epoll_create1 (EPOLL_CLOEXEC);
    if (ep < 0) {
        atomic_store (&self->failed, true);
        return NULL;
    }
    int64_t scan_at = 0;
    struct epoll_event ready[256];
    while (!atomic_load (&self->stop)) {
        //  Open and greet a few more, then serve everyone so far
        for (int k = 0; k < S_CONNECT_STEP && self->opened < self->n; k++) {
            long i = self->opened;
            self->socks[i]
                = hl_sock_connect (ZMQ_DEALER, self->tasks, NULL, NULL);
            int fd = -1;
            size_t len = sizeof fd;
            struct epoll_event ev
                = { .events = EPOLLIN | EPOLLET, .data.u64 = (uint64_t)i };
            if (!self->socks[i]
                || zmq_getsockopt (zsock_resolve (self->socks[i]), ZMQ_FD, &fd,
                                   &len)
                || epoll_ctl (ep, EPOLL_CTL_ADD, fd, &ev)) {
                atomic_store (&self->failed, true);
                break;
            }
            s_hello (self, i);
            self->opened++;
            s_drain (self, i, zclock_usecs ());
        }
        if (atomic_load (&self->failed))
            break;
        int n = epoll_wait (ep, ready, 256,
                            self->opened < self->n ? 0 : S_POLL_MS);
        int64_t now = zclock_usecs ();
        for (int k = 0; k < n; k++)
            s_drain (self, (long)ready[k].data.u64, now);
        //  Beats of their own, for agents the master has not beaten
        if (now >= scan_at) {
            scan_at = now + S_POLL_MS * 1000;
            for (long i = 0; i < self->opened; i++)
                if (self->next_us[i] && self->next_us[i] <= now) {
                    s_beat (self, i, now);
                    s_drain (self, i, now);
                }
        }
    }
    close (ep);
    return NULL;
}

//  ---------------------------------------------------------------------
//  One process's crowd, on a thread of its own

static s_crowd_t *
s_crowd_new (const char *tasks, long first, long n, const char *const *roles,
             size_t roles_n)
{
    s_crowd_t *self = (s_crowd_t *)calloc (1, sizeof *self);
    snprintf (self->tasks, sizeof self->tasks, "%s", tasks);
    self->roles = roles;
    self->roles_n = roles_n;
    self->first = first;
    self->n = n;
    atomic_init (&self->heartbeat_ms, 1000);
    self->socks = (zsock_t **)calloc ((size_t)n, sizeof (zsock_t *));
    self->next_us = (int64_t *)calloc ((size_t)n, sizeof (int64_t));
    if (pthread_create (&self->thread, NULL, s_run, self)) {
        free (self);
        return NULL;
    }
    self->started = true;
    return self;
}

static void
s_crowd_destroy (s_crowd_t **self_p)
{
    s_crowd_t *self = *self_p;
    if (!self)
        return;
    atomic_store (&self->stop, true);
    if (self->started)
        pthread_join (self->thread, NULL);
    for (long i = 0; i < self->opened; i++)
        zsock_destroy (&self->socks[i]);
    free (self->socks);
    free (self->next_us);
    free (self);
    *self_p = NULL;
}

static volatile sig_atomic_t s_child_stop;

static void
s_child_signal (int sig)
{
    (void)sig;
    s_child_stop = 1;
}

/*  A child: "swarm-child TASKS FIRST N ROLE,ROLE..." (its argv[1..5]).
    Prints its counters a line every 100 ms until SIGTERM. */
static int
s_child_main (char *argv[])
{
    const char *tasks = argv[2];
    long first = atol (argv[3]), n = atol (argv[4]);
    static char roles_buf[512];
    static const char *roles[16];
    size_t roles_n = 0;
    snprintf (roles_buf, sizeof roles_buf, "%s", argv[5]);
    for (char *save = NULL, *r = strtok_r (roles_buf, ",", &save);
         r && roles_n < 16; r = strtok_r (NULL, ",", &save))
        roles[roles_n++] = r;
    //  Two descriptors a socket here: its connection and its mailbox
    if (n < 1 || !roles_n
        || s_raise ((rlim_t)(2 * n + 512)) < (rlim_t)(2 * n + 256))
        return 2;
    zsys_set_max_sockets ((size_t)n + 256);
    //  The crowd stands for machines of their own: kept to its own CPU
    //  (ht_swarm_pin), it does not take the master's
    const char *cpu = getenv ("HT_SWARM_CPU");
    if (cpu) {
        cpu_set_t set;
        CPU_ZERO (&set);
        CPU_SET (atoi (cpu), &set);
        sched_setaffinity (0, sizeof set, &set);
    }
    signal (SIGTERM, s_child_signal);
    signal (SIGINT, s_child_signal);
    zsys_init ();
    zsys_set_logstream (NULL);
    s_crowd_t *crowd = s_crowd_new (tasks, first, n, roles, roles_n);
    if (!crowd)
        return 1;
    while (!s_child_stop && !atomic_load (&crowd->failed)) {
        printf ("%ld %llu %llu %llu %llu %d\n", atomic_load (&crowd->welcomed),
                (unsigned long long)atomic_load (&crowd->sent),
                (unsigned long long)atomic_load (&crowd->received),
                (unsigned long long)atomic_load (&crowd->refused),
                (unsigned long long)atomic_load (&crowd->unknown),
                atomic_load (&crowd->heartbeat_ms));
        fflush (stdout);
        zclock_sleep (100);
    }
    bool failed = atomic_load (&crowd->failed);
    s_crowd_destroy (&crowd);
    return failed ? 1 : 0;
}

//  ---------------------------------------------------------------------
//  The swarm: crowds in child processes

#define S_CHILD_MAX 6000 /* agents a child plays: two descriptors each */
#define S_CHILDREN 16

struct _ht_swarm_t {
    long n;
    size_t children_n;
    ht_proc_t *children[S_CHILDREN];
    ht_swarm_stats_t last[S_CHILDREN]; /* each child's last line */
};

static char s_self[1024]; /* this binary, for the children */

bool
ht_swarm_pin (void)
{
    long cpus = sysconf (_SC_NPROCESSORS_ONLN);
    if (cpus < 2)
        return false;
    //  The crowd on the last CPU, this process (and what it starts
    //  from now on: the master, its agents) on the others
    cpu_set_t set;
    CPU_ZERO (&set);
    for (long c = 0; c < cpus - 1; c++)
        CPU_SET ((int)c, &set);
    if (sched_setaffinity (0, sizeof set, &set))
        return false;
    char last[24];
    snprintf (last, sizeof last, "%ld", cpus - 1);
    setenv ("HT_SWARM_CPU", last, 1);
    return true;
}

int
ht_swarm_main (int argc, char *argv[])
{
    if (argc == 6 && streq (argv[1], "swarm-child"))
        return s_child_main (argv);
    ssize_t len = readlink ("/proc/self/exe", s_self, sizeof s_self - 1);
    s_self[len > 0 ? len : 0] = 0;
    return -1;
}

ht_swarm_t *
ht_swarm_start (const char *tasks, long n, const char *const *roles,
                size_t roles_n)
{
    char roles_csv[512] = "";
    for (size_t i = 0; i < roles_n; i++)
        snprintf (roles_csv + strlen (roles_csv),
                  sizeof roles_csv - strlen (roles_csv), "%s%s", i ? "," : "",
                  roles[i]);
    size_t children = (size_t)((n + S_CHILD_MAX - 1) / S_CHILD_MAX);
    if (n < 1 || !roles_n || !*s_self || children > S_CHILDREN)
        return NULL;
    ht_swarm_t *self = (ht_swarm_t *)calloc (1, sizeof *self);
    self->n = n;
    for (size_t c = 0; c < children; c++) {
        long first = (long)c * n / (long)children;
        long count = (long)(c + 1) * n / (long)children - first;
        char first_s[24], count_s[24];
        snprintf (first_s, sizeof first_s, "%ld", first);
        snprintf (count_s, sizeof count_s, "%ld", count);
        const char *argv[] = { s_self,  "swarm-child", tasks, first_s,
                               count_s, roles_csv,     NULL };
        self->children[c] = ht_start (argv);
        if (!self->children[c]) {
            ht_swarm_stop (&self);
            return NULL;
        }
        self->children_n++;
    }
    return self;
}

/*  Take in what the children said since: each one's last line. */
static void
s_gather (ht_swarm_t *self)
{
    for (size_t c = 0; c < self->children_n; c++) {
        char line[256];
        while (ht_read_line (self->children[c], line, sizeof line, 1)) {
            ht_swarm_stats_t *st = &self->last[c];
            unsigned long long sent, received, refused, unknown;
            if (sscanf (line, "%ld %llu %llu %llu %llu %d", &st->welcomed,
                        &sent, &received, &refused, &unknown, &st->heartbeat_ms)
                == 6) {
                st->sent = sent;
                st->received = received;
                st->refused = refused;
                st->unknown = unknown;
            }
        }
    }
}

bool
ht_swarm_wait_welcomed (ht_swarm_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    ht_swarm_stats_t st;
    while (ht_swarm_stats (self, &st), st.welcomed < self->n) {
        for (size_t c = 0; c < self->children_n; c++)
            if (ht_wait (self->children[c], 0) != -2)
                return false; /* a child ended */
        if (zclock_mono () >= deadline)
            return false;
        zclock_sleep (50);
    }
    return true;
}

void
ht_swarm_stats (ht_swarm_t *self, ht_swarm_stats_t *stats)
{
    s_gather (self);
    memset (stats, 0, sizeof *stats);
    stats->agents = self->n;
    for (size_t c = 0; c < self->children_n; c++) {
        const ht_swarm_stats_t *st = &self->last[c];
        stats->welcomed += st->welcomed;
        stats->sent += st->sent;
        stats->received += st->received;
        stats->refused += st->refused;
        stats->unknown += st->unknown;
        if (st->heartbeat_ms > stats->heartbeat_ms)
            stats->heartbeat_ms = st->heartbeat_ms;
    }
}

void
ht_swarm_stop (ht_swarm_t **self_p)
{
    ht_swarm_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (size_t c = 0; c < self->children_n; c++)
        ht_stop (&self->children[c], 10000);
    free (self);
    *self_p = NULL;
}
