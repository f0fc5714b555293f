/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_udp - a UDP listening socket for datagrams from untrusted senders
    (StatsD): bound to "host:port", non-blocking, close-on-exec, with a
    receive buffer of its own; read in batches (recvmmsg) up to a bound
    per call, each datagram over the size cap flagged as truncated, never
    delivered in part; the kernel's drops for a full buffer counted
    (SO_RXQ_OVFL). The owner polls hl_udp_fd in its own loop.
*/
#ifndef HL_UDP_H
#define HL_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_UDP_MAX_PACKET 65507 /* the largest UDP payload over IPv4 */
#define HL_UDP_BATCH 64         /* datagrams per recvmmsg */

typedef struct _hl_udp_t hl_udp_t;

/*  One datagram: len bytes at data (borrowed for the call), or, when
    truncated, a datagram over the cap of which nothing is given (data
    NULL, len 0). */
typedef void (hl_udp_fn) (void *arg, const char *data, size_t len,
                          bool truncated);

/*  Bind listen ("host:port"; host a name, an IPv4 or [IPv6] address, or
    "*" for every address; port 0 for an ephemeral one). Datagrams of up
    to max_packet bytes (1..HL_UDP_MAX_PACKET) are delivered; rcvbuf asks
    the kernel for that receive buffer (it may give less). Returns NULL,
    with the reason in err, on a bad address or a failed bind. */
hl_udp_t *hl_udp_bind (const char *listen, size_t max_packet, int rcvbuf,
                       char *err, size_t errsize);

/*  Close; accepts NULL, nulls *self_p. */
void hl_udp_destroy (hl_udp_t **self_p);

/*  The socket, to poll for reading. */
int hl_udp_fd (const hl_udp_t *self);

/*  The address bound, ephemeral port resolved: "127.0.0.1:8125",
    "[::1]:8125". Borrowed. */
const char *hl_udp_endpoint (const hl_udp_t *self);

/*  Whether the address bound is a loopback one. */
bool hl_udp_loopback (const hl_udp_t *self);

/*  The receive buffer the kernel gave, bytes. */
int hl_udp_rcvbuf (const hl_udp_t *self);

/*  Read what is waiting, up to max datagrams, without blocking; fn is
    called for each. Returns the number read (0: none waiting), or -1 on
    a socket error other than "nothing there". */
int hl_udp_recv (hl_udp_t *self, size_t max, hl_udp_fn *fn, void *arg);

/*  Datagrams the kernel dropped because the receive buffer was full,
    as last reported with a datagram read. */
uint64_t hl_udp_dropped (const hl_udp_t *self);

#endif
