/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    swarm - many agents played by one thread; see swarm.h.
*/
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <unistd.h>

#include "swarm.h"
#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_err.h"
#include "../../proto/hl_msg.h"

#define S_POLL_MS 10      /* the loop's longest wait */
#define S_CONNECT_STEP 64 /* hellos sent between two drains */

struct _ht_swarm_t {
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
    zmq_pollitem_t *items;
    int64_t *next_us; /* each agent's next heartbeat; 0: not welcomed */
    long opened;
};

bool
ht_swarm_limits (long n)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)(4 * n + 1024);
    if (getrlimit (RLIMIT_NOFILE, &rl))
        return false;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        if (setrlimit (RLIMIT_NOFILE, &rl))
            return false;
    }
    zsys_set_max_sockets ((size_t)n + 256);
    return rl.rlim_cur >= want;
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
s_beat (ht_swarm_t *self, long i, int64_t now)
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
s_hello (ht_swarm_t *self, long i)
{
    char src[64];
    snprintf (src, sizeof src, "swarm-%ld@localhost", i);
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
s_read (ht_swarm_t *self, long i, int64_t now)
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
        } else if (type == HL_MSG_HEARTBEAT && self->next_us[i]
                   && self->next_us[i] - now <= (int64_t)hb_ms * 500)
            s_beat (self, i, now); //  the master's, half an interval on
        else if (type == HL_MSG_ERROR && hl_msg_code (msg) == HL_ERR_PEER) {
            //  Expired: say hello again, as hl_link does
            atomic_fetch_add (&self->unknown, 1);
            s_hello (self, i);
        }
        hl_msg_destroy (&msg);
    }
}

static void *
s_run (void *arg)
{
    ht_swarm_t *self = (ht_swarm_t *)arg;
    while (!atomic_load (&self->stop)) {
        //  Open and greet a few more, then serve everyone so far
        for (int k = 0; k < S_CONNECT_STEP && self->opened < self->n; k++) {
            long i = self->opened;
            self->socks[i]
                = hl_sock_connect (ZMQ_DEALER, self->tasks, NULL, NULL);
            if (!self->socks[i]) {
                atomic_store (&self->failed, true);
                return NULL;
            }
            self->items[i] = (zmq_pollitem_t){ zsock_resolve (self->socks[i]),
                                               0, ZMQ_POLLIN, 0 };
            s_hello (self, i);
            self->opened++;
        }
        if (zmq_poll (self->items, (int)self->opened, S_POLL_MS) < 0)
            break;
        int64_t now = zclock_usecs ();
        for (long i = 0; i < self->opened; i++) {
            if (self->items[i].revents & ZMQ_POLLIN)
                s_read (self, i, now);
            if (self->next_us[i] && self->next_us[i] <= now)
                s_beat (self, i, now);
        }
    }
    return NULL;
}

ht_swarm_t *
ht_swarm_start (const char *tasks, long n, const char *const *roles,
                size_t roles_n)
{
    if (n < 1 || !roles_n || strlen (tasks) >= 256)
        return NULL;
    ht_swarm_t *self = (ht_swarm_t *)calloc (1, sizeof *self);
    snprintf (self->tasks, sizeof self->tasks, "%s", tasks);
    self->roles = roles;
    self->roles_n = roles_n;
    self->n = n;
    atomic_init (&self->heartbeat_ms, 1000);
    self->socks = (zsock_t **)calloc ((size_t)n, sizeof (zsock_t *));
    self->items = (zmq_pollitem_t *)calloc ((size_t)n, sizeof *self->items);
    self->next_us = (int64_t *)calloc ((size_t)n, sizeof (int64_t));
    if (pthread_create (&self->thread, NULL, s_run, self)) {
        ht_swarm_stop (&self);
        return NULL;
    }
    self->started = true;
    return self;
}

bool
ht_swarm_wait_welcomed (ht_swarm_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (atomic_load (&self->welcomed) < self->n) {
        if (atomic_load (&self->failed) || zclock_mono () >= deadline)
            return false;
        zclock_sleep (20);
    }
    return true;
}

void
ht_swarm_stats (ht_swarm_t *self, ht_swarm_stats_t *stats)
{
    stats->agents = self->n;
    stats->welcomed = atomic_load (&self->welcomed);
    stats->sent = atomic_load (&self->sent);
    stats->received = atomic_load (&self->received);
    stats->refused = atomic_load (&self->refused);
    stats->unknown = atomic_load (&self->unknown);
    stats->heartbeat_ms = atomic_load (&self->heartbeat_ms);
}

void
ht_swarm_stop (ht_swarm_t **self_p)
{
    ht_swarm_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    atomic_store (&self->stop, true);
    if (self->started)
        pthread_join (self->thread, NULL);
    for (long i = 0; i < self->opened; i++)
        zsock_destroy (&self->socks[i]);
    free (self->socks);
    free (self->items);
    free (self->next_us);
    free (self);
    *self_p = NULL;
}
