/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_outbox - unread replies counted in bytes: a ROUTER sends to
    DEALERs over inproc (a message stays counted until the DEALER has
    read and dropped it); a client that does not read is refused past
    its budget (counted, logged once), others until the total is
    reached; reading gives the room back; sweep forgets the drained.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../bus/hl_bus.h"
#include "../../master/hl_outbox.h"

#define S_PAD 10000 /* bytes of each reply's data */

typedef struct {
    zsock_t *router;
    zsock_t *a, *b; /* clients "A" and "B" */
} s_world_t;

static void
s_world (s_world_t *w)
{
    //  A name of its own: libzmq unbinds a closed socket's later
    static int worlds = 0;
    char ep[64];
    snprintf (ep, sizeof ep, "inproc://outbox-%d", ++worlds);
    w->router = zsock_new_router (ep);
    assert_non_null (w->router);
    zsock_set_router_mandatory (w->router, 1);
    w->a = zsock_new (ZMQ_DEALER);
    w->b = zsock_new (ZMQ_DEALER);
    zsock_set_identity (w->a, "A");
    zsock_set_identity (w->b, "B");
    assert_int_equal (zsock_connect (w->a, "%s", ep), 0);
    assert_int_equal (zsock_connect (w->b, "%s", ep), 0);
}

static void
s_world_end (s_world_t *w)
{
    zsock_destroy (&w->a);
    zsock_destroy (&w->b);
    zsock_destroy (&w->router);
}

/*  A reply of about S_PAD bytes to client id, if there is room. */
static bool
s_reply (hl_outbox_t *outbox, const char *id, bool *first_p)
{
    if (!hl_outbox_room (outbox, (const uint8_t *)id, strlen (id), first_p))
        return false;
    hl_msg_t *reply = hl_msg_new (HL_MSG_REPLY);
    hl_msg_set_ok (reply, true);
    char *pad = (char *)malloc (S_PAD + 1);
    memset (pad, 'r', S_PAD);
    pad[S_PAD] = 0;
    hl_value_t *data = hl_value_new_str (pad);
    free (pad);
    hl_msg_set_data (reply, &data);
    hl_msg_set_routing_id (reply, id, strlen (id));
    assert_int_equal (hl_outbox_send (outbox, &reply), 0);
    assert_null (reply);
    return true;
}

/*  Read and drop everything waiting at dealer; how many. */
static int
s_drain (zsock_t *dealer)
{
    int n = 0;
    zmsg_t *msg;
    while (zsock_events (dealer) & ZMQ_POLLIN) {
        msg = zmsg_recv (dealer);
        zmsg_destroy (&msg);
        n++;
    }
    return n;
}

static void
test_budgets (void **state)
{
    (void)state;
    s_world_t w;
    s_world (&w);
    //  Each client 50 kB, 80 kB in all
    hl_outbox_t *outbox = hl_outbox_new (w.router, 50000, 80000);
    bool first = false;
    int sent = 0;
    while (s_reply (outbox, "A", &first))
        sent++;
    //  Under 50 kB before each: five of 10 kB go, the sixth is refused
    assert_int_equal (sent, 5);
    assert_true (first); /* the first refusal, to log */
    hl_outbox_stats_t st = hl_outbox_stats (outbox);
    assert_true (st.bytes >= 50000 && st.bytes < 60000);
    assert_int_equal (st.clients, 1);
    assert_int_equal (st.sent, 5);
    assert_int_equal (st.refused, 1);
    assert_false (s_reply (outbox, "A", &first));
    assert_false (first); /* logged once */

    //  B has room of its own until the total: three more go
    sent = 0;
    while (s_reply (outbox, "B", NULL))
        sent++;
    assert_int_equal (sent, 3);
    st = hl_outbox_stats (outbox);
    assert_true (st.bytes >= 80000 && st.bytes < 90000);
    assert_int_equal (st.clients, 2);

    //  A reads: its bytes leave the count, and it has room again
    assert_int_equal (s_drain (w.a), 5);
    st = hl_outbox_stats (outbox);
    assert_true (st.bytes >= 30000 && st.bytes < 40000);
    assert_int_equal (st.clients, 1);
    assert_true (s_reply (outbox, "A", NULL));
    assert_int_equal (s_drain (w.a), 1);
    assert_int_equal (s_drain (w.b), 3);
    assert_int_equal (hl_outbox_stats (outbox).bytes, 0);

    //  Drained clients are forgotten by the sweep; a refusal is logged
    //  again after it
    hl_outbox_sweep (outbox);
    assert_int_equal (hl_outbox_stats (outbox).clients, 0);
    hl_outbox_too_big (outbox);
    assert_int_equal (hl_outbox_stats (outbox).too_big, 1);
    hl_outbox_destroy (&outbox);
    s_world_end (&w);
}

static void
test_gone_and_after (void **state)
{
    (void)state;
    s_world_t w;
    s_world (&w);
    hl_outbox_t *outbox = hl_outbox_new (w.router, 0, 0); /* defaults */
    assert_true (s_reply (outbox, "A", NULL));
    //  To a client that is not there: refused by libzmq, nothing kept
    hl_msg_t *reply = hl_msg_new (HL_MSG_REPLY);
    hl_msg_set_ok (reply, true);
    hl_msg_set_routing_id (reply, "nobody", 6);
    assert_int_equal (hl_outbox_send (outbox, &reply), HL_ERR_IO);
    hl_outbox_stats_t st = hl_outbox_stats (outbox);
    assert_true (st.bytes > S_PAD && st.bytes < 2 * S_PAD);
    //  The outbox may go before the messages it counted
    hl_outbox_destroy (&outbox);
    assert_int_equal (s_drain (w.a), 1);
    s_world_end (&w);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_budgets),
        cmocka_unit_test (test_gone_and_after),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
