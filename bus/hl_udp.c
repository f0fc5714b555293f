/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_udp - a UDP listener read with recvmmsg into buffers allocated once
    at bind: HL_UDP_BATCH of max_packet bytes each. A datagram longer
    than its buffer comes back with MSG_TRUNC and is reported as
    truncated, never in part.
*/
#include "hl_udp.h"
#include "../proto/hl_alloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct _hl_udp_t {
    int fd;
    size_t max_packet;
    char *buffers;        /* HL_UDP_BATCH * max_packet bytes */
    struct mmsghdr *msgs; /* HL_UDP_BATCH */
    struct iovec *iovs;   /* HL_UDP_BATCH */
    char *controls;       /* HL_UDP_BATCH * S_CONTROL bytes */
    char endpoint[64];    /* "127.0.0.1:8125" */
    bool loopback;
    int rcvbuf;
    uint64_t dropped; /* the kernel's count, SO_RXQ_OVFL */
};

/*  Room for one SO_RXQ_OVFL message (a uint32_t), aligned. */
#define S_CONTROL CMSG_SPACE (sizeof (uint32_t))

/*  host and port of "host:port", "[v6]:port" or "*:port". */
static int
s_split (const char *listen, char *host, size_t host_size, char *port,
         size_t port_size)
{
    const char *colon = strrchr (listen, ':');
    if (!colon || colon == listen || !colon[1])
        return -1;
    const char *h = listen;
    size_t len = (size_t)(colon - listen);
    if (*h == '[') {
        if (len < 3 || h[len - 1] != ']')
            return -1;
        h++;
        len -= 2;
    }
    if (len >= host_size || strlen (colon + 1) >= port_size)
        return -1;
    long number = 0;
    for (const char *c = colon + 1; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        number = number * 10 + (*c - '0');
        if (number > 65535)
            return -1;
    }
    memcpy (host, h, len);
    host[len] = 0;
    snprintf (port, port_size, "%s", colon + 1);
    return 0;
}

static void
s_describe (hl_udp_t *self)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname (self->fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        inet_ntop (AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf (self->endpoint, sizeof self->endpoint, "%s:%u", ip,
                  (unsigned)ntohs (in->sin_port));
        self->loopback = (ntohl (in->sin_addr.s_addr) >> 24) == 127;
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        inet_ntop (AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf (self->endpoint, sizeof self->endpoint, "[%s]:%u", ip,
                  (unsigned)ntohs (in6->sin6_port));
        self->loopback = IN6_IS_ADDR_LOOPBACK (&in6->sin6_addr);
    }
}

hl_udp_t *
hl_udp_bind (const char *listen, size_t max_packet, int rcvbuf, char *err,
             size_t errsize)
{
    char host[256], port[16];
    if (!listen || s_split (listen, host, sizeof host, port, sizeof port)) {
        snprintf (err, errsize, "bad address \"%.64s\": want host:port",
                  listen ? listen : "");
        return NULL;
    }
    if (max_packet < 1 || max_packet > HL_UDP_MAX_PACKET) {
        snprintf (err, errsize, "packet cap %zu out of range 1..%d", max_packet,
                  HL_UDP_MAX_PACKET);
        return NULL;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_DGRAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    const char *node = host;
    if (strcmp (host, "*") == 0 || strcmp (host, "0.0.0.0") == 0) {
        node = "0.0.0.0";
        hints.ai_family = AF_INET;
    }
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo (node, port, &hints, &ai);
    if (rc != 0) {
        snprintf (err, errsize, "%s: %s", listen, gai_strerror (rc));
        return NULL;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket (a->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                     0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (bind (fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        saved = errno;
        close (fd);
        fd = -1;
    }
    freeaddrinfo (ai);
    if (fd < 0) {
        snprintf (err, errsize, "%s: %s", listen, strerror (saved));
        return NULL;
    }
    //  Best effort: the kernel caps the buffer (net.core.rmem_max), and
    //  a kernel without drop counts still receives
    if (rcvbuf > 0)
        setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int one = 1;
    setsockopt (fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);

    hl_udp_t *self = (hl_udp_t *)hl_alloc (sizeof *self);
    self->fd = fd;
    self->max_packet = max_packet;
    self->buffers = (char *)hl_calloc (HL_UDP_BATCH, max_packet);
    self->msgs
        = (struct mmsghdr *)hl_calloc (HL_UDP_BATCH, sizeof (struct mmsghdr));
    self->iovs
        = (struct iovec *)hl_calloc (HL_UDP_BATCH, sizeof (struct iovec));
    self->controls = (char *)hl_calloc (HL_UDP_BATCH, S_CONTROL);
    socklen_t len = sizeof self->rcvbuf;
    getsockopt (fd, SOL_SOCKET, SO_RCVBUF, &self->rcvbuf, &len);
    s_describe (self);
    return self;
}

void
hl_udp_destroy (hl_udp_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_udp_t *self = *self_p;
    close (self->fd);
    free (self->buffers);
    free (self->msgs);
    free (self->iovs);
    free (self->controls);
    free (self);
    *self_p = NULL;
}

int
hl_udp_fd (const hl_udp_t *self)
{
    return self->fd;
}

const char *
hl_udp_endpoint (const hl_udp_t *self)
{
    return self->endpoint;
}

bool
hl_udp_loopback (const hl_udp_t *self)
{
    return self->loopback;
}

int
hl_udp_rcvbuf (const hl_udp_t *self)
{
    return self->rcvbuf;
}

uint64_t
hl_udp_dropped (const hl_udp_t *self)
{
    return self->dropped;
}

/*  The drop count a datagram carries, if it does. */
static void
s_drops (hl_udp_t *self, struct msghdr *hdr)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR (hdr); c; c = CMSG_NXTHDR (hdr, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL
            && c->cmsg_len >= CMSG_LEN (sizeof (uint32_t))) {
            uint32_t drops;
            memcpy (&drops, CMSG_DATA (c), sizeof drops);
            //  A 32-bit count that only grows: keep its wraps
            uint32_t low = (uint32_t)self->dropped;
            self->dropped += (uint32_t)(drops - low);
        }
}

int
hl_udp_recv (hl_udp_t *self, size_t max, hl_udp_fn *fn, void *arg)
{
    int total = 0;
    while ((size_t)total < max) {
        size_t want = max - (size_t)total;
        if (want > HL_UDP_BATCH)
            want = HL_UDP_BATCH;
        for (size_t i = 0; i < want; i++) {
            self->iovs[i].iov_base = self->buffers + i * self->max_packet;
            self->iovs[i].iov_len = self->max_packet;
            struct msghdr *hdr = &self->msgs[i].msg_hdr;
            memset (hdr, 0, sizeof *hdr);
            hdr->msg_iov = &self->iovs[i];
            hdr->msg_iovlen = 1;
            hdr->msg_control = self->controls + i * S_CONTROL;
            hdr->msg_controllen = S_CONTROL;
        }
        int n = recvmmsg (self->fd, self->msgs, (unsigned)want, MSG_DONTWAIT,
                          NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return total;
            //  ICMP errors and the like: what came so far still counts
            return total ? total : -1;
        }
        for (int i = 0; i < n; i++) {
            struct msghdr *hdr = &self->msgs[i].msg_hdr;
            s_drops (self, hdr);
            if (hdr->msg_flags & MSG_TRUNC)
                fn (arg, NULL, 0, true);
            else
                fn (arg, (const char *)self->iovs[i].iov_base,
                    self->msgs[i].msg_len, false);
        }
        total += n;
        if ((size_t)n < want)
            return total; /* drained */
    }
    return total;
}
