/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_udp - the UDP listener on loopback: an ephemeral port and its
    endpoint, datagrams at the size cap and one byte over it, the bound
    per read, bad addresses and a taken port refused with the reason,
    and the kernel's drops counted when the buffer overflows.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../bus/hl_udp.h"

typedef struct {
    size_t count, truncated, bytes;
    char last[256];
} got_t;

static void
s_got (void *arg, const char *data, size_t len, bool truncated)
{
    got_t *got = (got_t *)arg;
    got->count++;
    if (truncated) {
        assert_null (data);
        assert_int_equal (len, 0);
        got->truncated++;
        return;
    }
    got->bytes += len;
    size_t copy = len < sizeof got->last - 1 ? len : sizeof got->last - 1;
    memcpy (got->last, data, copy);
    got->last[copy] = 0;
}

/*  A sender connected to the listener's port. */
static int
s_sender (const hl_udp_t *udp)
{
    const char *ep = hl_udp_endpoint (udp);
    const char *colon = strrchr (ep, ':');
    assert_non_null (colon);
    struct sockaddr_in to = { .sin_family = AF_INET };
    to.sin_port = htons ((uint16_t)atoi (colon + 1));
    to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    assert_int_equal (connect (fd, (struct sockaddr *)&to, sizeof to), 0);
    return fd;
}

/*  Wait until the listener has something, at most a second. */
static void
s_wait (const hl_udp_t *udp)
{
    struct pollfd pfd = { hl_udp_fd (udp), POLLIN, 0 };
    assert_int_equal (poll (&pfd, 1, 1000), 1);
}

static void
test_cap_and_batches (void **state)
{
    (void)state;
    char err[256];
    hl_udp_t *udp = hl_udp_bind ("127.0.0.1:0", 1000, 1 << 20, err, sizeof err);
    if (!udp)
        fail_msg ("%s", err);
    assert_true (hl_udp_loopback (udp));
    assert_int_equal (strncmp (hl_udp_endpoint (udp), "127.0.0.1:", 10), 0);
    assert_true (atoi (hl_udp_endpoint (udp) + 10) > 0);
    assert_true (hl_udp_rcvbuf (udp) >= 65536); /* rmem_max may cap it */
    got_t got = { 0 };
    assert_int_equal (hl_udp_recv (udp, 10, s_got, &got), 0);

    int fd = s_sender (udp);
    static char big[2000];
    memset (big, 'x', sizeof big);
    //  At the cap, then one byte over it
    assert_int_equal (send (fd, big, 1000, 0), 1000);
    assert_int_equal (send (fd, big, 1001, 0), 1001);
    assert_int_equal (send (fd, "hello", 5, 0), 5);
    s_wait (udp);
    int n = 0;
    while (n < 3) {
        s_wait (udp);
        n += hl_udp_recv (udp, 10, s_got, &got);
    }
    assert_int_equal (got.count, 3);
    assert_int_equal (got.truncated, 1);
    assert_int_equal (got.bytes, 1005);
    assert_string_equal (got.last, "hello");

    //  No more than asked for per call, the rest left for the next
    for (int i = 0; i < 3 * HL_UDP_BATCH; i++)
        assert_int_equal (send (fd, "m:1|c", 5, 0), 5);
    memset (&got, 0, sizeof got);
    s_wait (udp);
    /*  All sent on loopback are queued by now (send returned). */
    assert_int_equal (hl_udp_recv (udp, HL_UDP_BATCH + 5, s_got, &got),
                      HL_UDP_BATCH + 5);
    assert_int_equal (hl_udp_recv (udp, 1000, s_got, &got),
                      2 * HL_UDP_BATCH - 5);
    assert_int_equal (got.count, 3 * HL_UDP_BATCH);
    assert_int_equal (hl_udp_dropped (udp), 0);
    close (fd);
    hl_udp_destroy (&udp);
    hl_udp_destroy (&udp);
}

static void
test_drops_counted (void **state)
{
    (void)state;
    char err[256];
    hl_udp_t *udp = hl_udp_bind ("127.0.0.1:0", 1500, 1, err, sizeof err);
    assert_non_null (udp);
    int fd = s_sender (udp);
    static char data[1400];
    memset (data, 'y', sizeof data);
    /*  The smallest buffer the kernel allows holds a few of these. */
    for (int i = 0; i < 2000; i++)
        send (fd, data, sizeof data, 0);
    got_t got = { 0 };
    s_wait (udp);
    while (hl_udp_recv (udp, 1000, s_got, &got) > 0)
        ;
    assert_true (got.count > 0 && got.count < 2000);
    /*  The count comes with datagrams read after the drops: one more. */
    send (fd, data, 10, 0);
    s_wait (udp);
    hl_udp_recv (udp, 10, s_got, &got);
    assert_int_equal (hl_udp_dropped (udp), 2000 - (got.count - 1));
    close (fd);
    hl_udp_destroy (&udp);
}

static void
test_refused (void **state)
{
    (void)state;
    char err[256];
    static const char *bad[]
        = { "8125", ":8125", "127.0.0.1:", "[::1:8125", "[]:1", NULL };
    for (int i = 0; bad[i]; i++) {
        err[0] = 0;
        assert_null (hl_udp_bind (bad[i], 100, 0, err, sizeof err));
        assert_non_null (strstr (err, "bad address"));
    }
    assert_null (hl_udp_bind ("127.0.0.1:0", 0, 0, err, sizeof err));
    assert_non_null (strstr (err, "out of range"));
    assert_null (
        hl_udp_bind ("127.0.0.1:0", HL_UDP_MAX_PACKET + 1, 0, err, sizeof err));
    assert_null (
        hl_udp_bind ("no.such.host.invalid:1", 100, 0, err, sizeof err));
    assert_non_null (strstr (err, "no.such.host.invalid:1: "));
    assert_null (hl_udp_bind ("127.0.0.1:99999", 100, 0, err, sizeof err));
    assert_non_null (strstr (err, "bad address"));
    assert_null (hl_udp_bind ("127.0.0.1:http", 100, 0, err, sizeof err));

    //  A port already taken: the reason says so
    hl_udp_t *first = hl_udp_bind ("127.0.0.1:0", 100, 0, err, sizeof err);
    assert_non_null (first);
    hl_udp_t *second
        = hl_udp_bind (hl_udp_endpoint (first), 100, 0, err, sizeof err);
    assert_null (second);
    assert_non_null (strstr (err, "Address already in use"));
    hl_udp_destroy (&first);

    //  IPv6 loopback, where the kernel has it
    hl_udp_t *v6 = hl_udp_bind ("[::1]:0", 100, 0, err, sizeof err);
    if (v6) {
        assert_true (hl_udp_loopback (v6));
        assert_int_equal (strncmp (hl_udp_endpoint (v6), "[::1]:", 6), 0);
        hl_udp_destroy (&v6);
    }
    hl_udp_t *any = hl_udp_bind ("*:0", 100, 0, err, sizeof err);
    assert_non_null (any);
    assert_false (hl_udp_loopback (any));
    assert_int_equal (strncmp (hl_udp_endpoint (any), "0.0.0.0:", 8), 0);
    hl_udp_destroy (&any);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cap_and_batches),
        cmocka_unit_test (test_drops_counted),
        cmocka_unit_test (test_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
