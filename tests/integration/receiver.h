/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    receiver - a small HTTP receiver for the webhook tests, on plain
    sockets: one thread accepting on 127.0.0.1 (an ephemeral port), one
    request per connection read within 2 s (headers, then
    Content-Length bytes), each counted with its time and (the first
    HT_RECEIVER_KEEP) its body, and answered with a fixed status. The
    test starts and stops it; nothing outlives the test (keep it static
    and stop it in the teardown too, in case an assertion ends the test
    early). Include it after cmocka.h.
*/
#ifndef HT_RECEIVER_H
#define HT_RECEIVER_H

#include <czmq.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#define HT_RECEIVER_KEEP 16 /* bodies kept */

typedef struct {
    int fd; /* listening */
    int port;
    int status; /* answered to every request */
    pthread_t thread;
    pthread_mutex_t lock;
    bool stop;
    int count;                      /* requests read whole */
    int64_t at_ms[64];              /* when each came */
    char *bodies[HT_RECEIVER_KEEP]; /* the first ones */
    char content_type[64];          /* of the last */
    bool running;                   /* started and not stopped */
} ht_receiver_t;

static inline bool
ht_receiver_stopping (ht_receiver_t *r)
{
    pthread_mutex_lock (&r->lock);
    bool stop = r->stop;
    pthread_mutex_unlock (&r->lock);
    return stop;
}

/*  Read one request from fd within 2 s: headers, then Content-Length
    bytes of body. */
static inline void
ht_receiver_serve_one (ht_receiver_t *r, int fd)
{
    static char buf[65536];
    size_t len = 0;
    int64_t deadline = zclock_mono () + 2000;
    char *body = NULL;
    size_t want = 0;
    while (zclock_mono () < deadline && len < sizeof buf - 1) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (poll (&pfd, 1, 50) <= 0)
            continue;
        ssize_t n = read (fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = 0;
        char *end = strstr (buf, "\r\n\r\n");
        if (!end)
            continue;
        body = end + 4;
        const char *cl = strcasestr (buf, "\r\nContent-Length:");
        want = cl ? (size_t)atol (cl + 17) : 0;
        if ((size_t)(buf + len - body) >= want)
            break;
    }
    if (!body || (size_t)(buf + len - body) < want)
        return;
    body[want] = 0;
    pthread_mutex_lock (&r->lock);
    if (r->count < 64)
        r->at_ms[r->count] = zclock_mono ();
    if (r->count < HT_RECEIVER_KEEP)
        r->bodies[r->count] = strdup (body);
    const char *ct = strcasestr (buf, "\r\nContent-Type:");
    if (ct)
        sscanf (ct + 15, " %63[^\r]", r->content_type);
    r->count++;
    int status = r->status;
    pthread_mutex_unlock (&r->lock);
    char reply[128];
    int n = snprintf (reply, sizeof reply,
                      "HTTP/1.1 %d X\r\nContent-Length: 2\r\n"
                      "Connection: close\r\n\r\nok",
                      status);
    if (write (fd, reply, (size_t)n) != n)
        return;
}

static inline void *
ht_receiver_serve (void *arg)
{
    ht_receiver_t *r = (ht_receiver_t *)arg;
    while (!ht_receiver_stopping (r)) {
        struct pollfd pfd = { r->fd, POLLIN, 0 };
        if (poll (&pfd, 1, 50) <= 0)
            continue;
        int fd = accept (r->fd, NULL, NULL);
        if (fd < 0)
            continue;
        ht_receiver_serve_one (r, fd);
        close (fd);
    }
    return NULL;
}

/*  A listening socket on an ephemeral loopback port. */
static inline int
ht_listen (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal (listen (fd, 16), 0);
    socklen_t len = sizeof addr;
    assert_int_equal (getsockname (fd, (struct sockaddr *)&addr, &len), 0);
    *port = ntohs (addr.sin_port);
    return fd;
}

static inline void
ht_receiver_start (ht_receiver_t *r, int status)
{
    memset (r, 0, sizeof *r);
    r->status = status;
    r->fd = ht_listen (&r->port);
    pthread_mutex_init (&r->lock, NULL);
    assert_int_equal (pthread_create (&r->thread, NULL, ht_receiver_serve, r),
                      0);
    r->running = true;
}

/*  Stop it, if it runs (a teardown may call it after the test did). */
static inline void
ht_receiver_stop (ht_receiver_t *r)
{
    if (!r->running)
        return;
    r->running = false;
    pthread_mutex_lock (&r->lock);
    r->stop = true;
    pthread_mutex_unlock (&r->lock);
    pthread_join (r->thread, NULL);
    close (r->fd);
    for (int i = 0; i < HT_RECEIVER_KEEP; i++)
        free (r->bodies[i]);
    pthread_mutex_destroy (&r->lock);
}

static inline int
ht_receiver_count (ht_receiver_t *r)
{
    pthread_mutex_lock (&r->lock);
    int n = r->count;
    pthread_mutex_unlock (&r->lock);
    return n;
}

/*  Wait until the receiver has n requests, or timeout_ms. */
static inline int
ht_receiver_wait (ht_receiver_t *r, int n, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (ht_receiver_count (r) < n && zclock_mono () < deadline)
        zclock_sleep (20); /* a short step between looks */
    return ht_receiver_count (r);
}

#endif
