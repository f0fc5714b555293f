/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_registry - the master's table of peers, fed hello messages
    with routing ids attached as hl_bus would: add, find and remove,
    roles by enum and by name, the least-loaded pick and its ties,
    capacity and draining, actions, and hl_registry_has; its bounds (a
    hello's actions by count and bytes, the registry by peers and bytes,
    each at the limit and one past it) and the list in join order.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../master/hl_registry.h"
#include "../../proto/hl_err.h"

/*  A hello from routing id rid (also its name) for role, with capacity
    and the actions named in a NULL-terminated list (may be NULL). */
static hl_msg_t *
s_hello (const char *rid, const char *role, uint32_t capacity,
         const char *const *actions)
{
    hl_msg_t *hello = hl_msg_new (HL_MSG_HELLO);
    hl_msg_set_src (hello, rid);
    hl_msg_set_role (hello, role);
    hl_msg_set_capacity (hello, capacity);
    hl_msg_set_host (hello, "host-1");
    hl_msg_set_pid (hello, 4242);
    hl_msg_set_version (hello, "9.9.9");
    if (actions) {
        hl_value_t *list = hl_value_new_array ();
        for (; *actions; actions++) {
            hl_value_t *name = hl_value_new_str (*actions);
            hl_value_append (list, &name);
        }
        hl_msg_set_actions (hello, &list);
    }
    assert_int_equal (hl_msg_set_routing_id (hello, rid, strlen (rid)), 0);
    return hello;
}

/*  Register rid; the peer, which must have been accepted. */
static hl_peer_t *
s_add (hl_registry_t *registry, const char *rid, const char *role,
       uint32_t capacity, const char *const *actions)
{
    hl_msg_t *hello = s_hello (rid, role, capacity, actions);
    hl_peer_t *peer = hl_registry_add (registry, hello, 1000);
    hl_msg_destroy (&hello);
    assert_non_null (peer);
    return peer;
}

static hl_peer_t *
s_find (hl_registry_t *registry, const char *rid)
{
    return hl_registry_find (registry, rid, strlen (rid));
}

static void
test_add_find_remove (void **state)
{
    (void)state;
    hl_registry_t *registry = hl_registry_new ();
    assert_int_equal (hl_registry_size (registry), 0);
    assert_null (hl_registry_at (registry, 0));
    const char *const actions[] = { "tune_db_pool", "enable_cache", NULL };
    hl_peer_t *a = s_add (registry, "a", "hephaestus-backend", 3, actions);
    hl_peer_t *b = s_add (registry, "b", "athena-ux", 1, NULL);

    /*  What the hello said, copied. */
    assert_string_equal (a->name, "a");
    assert_int_equal (a->role, HL_ROLE_HEPHAESTUS_BACKEND);
    assert_string_equal (a->host, "host-1");
    assert_string_equal (a->version, "9.9.9");
    assert_int_equal (a->pid, 4242);
    assert_int_equal (a->capacity, 3);
    assert_int_equal (a->inflight, 0);
    assert_int_equal (a->joined_ms, 1000);
    assert_int_equal (a->heard_ms, 1000);
    assert_true (hl_peer_can (a, "enable_cache"));
    assert_false (hl_peer_can (a, "enable"));
    assert_false (hl_peer_can (b, "enable_cache"));

    /*  Found by routing id, and only by the whole of it. */
    assert_int_equal (hl_registry_size (registry), 2);
    assert_ptr_equal (s_find (registry, "a"), a);
    assert_ptr_equal (s_find (registry, "b"), b);
    assert_null (s_find (registry, "ab"));
    assert_null (s_find (registry, "c"));
    assert_null (hl_registry_find (registry, "a", 0));
    uint8_t long_rid[HL_MAX_ROUTING_ID + 1] = { 'a' };
    assert_null (hl_registry_find (registry, long_rid, sizeof long_rid));
    assert_ptr_equal (hl_registry_at (registry, 0), a);
    assert_ptr_equal (hl_registry_at (registry, 1), b);
    assert_null (hl_registry_at (registry, 2));

    /*  A second hello from the same routing id replaces the peer. */
    hl_peer_t *again = s_add (registry, "a", "athena-api", 2, NULL);
    assert_int_equal (hl_registry_size (registry), 2);
    assert_ptr_equal (s_find (registry, "a"), again);
    assert_int_equal (again->role, HL_ROLE_ATHENA_API);
    assert_false (hl_peer_can (again, "enable_cache"));

    /*  Removed: gone from the lookup and the array. */
    hl_registry_remove (registry, again);
    assert_int_equal (hl_registry_size (registry), 1);
    assert_null (s_find (registry, "a"));
    assert_ptr_equal (hl_registry_at (registry, 0), b);
    hl_registry_remove (registry, b);
    assert_int_equal (hl_registry_size (registry), 0);
    assert_null (s_find (registry, "b"));

    /*  Many peers: the array grows, every one stays findable. */
    for (int i = 0; i < 100; i++) {
        char rid[16];
        snprintf (rid, sizeof rid, "peer-%d", i);
        s_add (registry, rid, "prometheus-frontend", 1, NULL);
    }
    assert_int_equal (hl_registry_size (registry), 100);
    for (int i = 0; i < 100; i++) {
        char rid[16];
        snprintf (rid, sizeof rid, "peer-%d", i);
        hl_peer_t *peer = s_find (registry, rid);
        assert_non_null (peer);
        assert_string_equal (peer->name, rid);
    }
    hl_registry_destroy (&registry);
    assert_null (registry);
    hl_registry_destroy (&registry); /* NULL is fine */
}

/*  Many peers of several roles, removed in a scrambled order: the
    registry's array and each role's stay whole (swap-removal by slot),
    and a pick of a role only ever finds that role. */
static void
test_many_removed (void **state)
{
    (void)state;
    static const char *roles[]
        = { "prometheus-frontend", "athena-api", "node", "hephaestus-backend" };
    hl_registry_t *registry = hl_registry_new ();
    char rid[32];
    for (int i = 0; i < 200; i++) {
        snprintf (rid, sizeof rid, "peer-%03d", i);
        assert_non_null (s_add (registry, rid, roles[i % 4], 1, NULL));
    }
    for (int k = 0; k < 200; k++) {
        int i = (k * 37) % 200; /* 37 is prime to 200: each once */
        snprintf (rid, sizeof rid, "peer-%03d", i);
        hl_peer_t *peer = s_find (registry, rid);
        assert_non_null (peer);
        hl_registry_remove (registry, peer);
        assert_null (s_find (registry, rid));
        assert_int_equal (hl_registry_size (registry), 199 - k);
        for (size_t j = 0; j < hl_registry_size (registry); j++)
            assert_int_equal (hl_registry_at (registry, j)->slot, j);
        hl_peer_t *pick = hl_registry_pick (registry, HL_ROLE_ATHENA_API, NULL);
        if (pick) {
            assert_int_equal (pick->role, HL_ROLE_ATHENA_API);
            pick->inflight = 0;
        }
        bool any = false;
        for (size_t j = 0; j < hl_registry_size (registry); j++)
            any |= hl_registry_at (registry, j)->role == HL_ROLE_ATHENA_API;
        assert_int_equal (pick != NULL, any);
        assert_int_equal (hl_registry_has (registry, HL_ROLE_ATHENA_API, NULL),
                          any);
    }
    hl_registry_destroy (&registry);
}

static void
test_roles (void **state)
{
    (void)state;
    for (int role = 0; role < HL_ROLE_COUNT; role++) {
        const char *name = hl_role_name ((hl_role_id_t)role);
        assert_true (hl_registry_role_valid (name));
        assert_string_equal (hl_registry_role_name (role), name);
    }
    assert_true (hl_registry_role_valid ("node"));
    assert_string_equal (hl_registry_role_name (HL_REGISTRY_NODE), "node");
    assert_string_equal (hl_registry_role_name (HL_REGISTRY_ANY), "any");
    assert_string_equal (hl_registry_role_name (HL_REGISTRY_NODE + 1), "?");
    assert_string_equal (hl_registry_role_name (-2), "?");
    /*  "any" is a queue, not a role a peer can have. */
    const char *bad[]
        = { "any", "", "Athena-ux", "athena", "athena-ux ", NULL };
    hl_registry_t *registry = hl_registry_new ();
    for (const char **name = bad; *name; name++) {
        assert_false (hl_registry_role_valid (*name));
        hl_msg_t *hello = s_hello ("x", *name, 1, NULL);
        assert_null (hl_registry_add (registry, hello, 0));
        hl_msg_destroy (&hello);
    }
    assert_false (hl_registry_role_valid (NULL));
    assert_int_equal (hl_registry_size (registry), 0);

    hl_peer_t *node = s_add (registry, "n", "node", 8, NULL);
    assert_int_equal (node->role, HL_REGISTRY_NODE);
    hl_registry_destroy (&registry);
}

static void
test_pick_least_loaded (void **state)
{
    (void)state;
    hl_registry_t *registry = hl_registry_new ();
    hl_peer_t *a = s_add (registry, "a", "prometheus-backend", 2, NULL);
    hl_peer_t *b = s_add (registry, "b", "prometheus-backend", 4, NULL);
    s_add (registry, "c", "prometheus-frontend", 4, NULL);

    /*  Loads compare as inflight / capacity: 1/2 > 1/4. */
    a->inflight = 1;
    b->inflight = 1;
    assert_ptr_equal (
        hl_registry_pick (registry, HL_ROLE_PROMETHEUS_BACKEND, NULL), b);
    b->inflight = 3; /* 3/4 > 1/2 */
    assert_ptr_equal (
        hl_registry_pick (registry, HL_ROLE_PROMETHEUS_BACKEND, NULL), a);

    /*  Full, draining: passed over; none left: NULL. */
    a->inflight = 2;
    assert_ptr_equal (
        hl_registry_pick (registry, HL_ROLE_PROMETHEUS_BACKEND, NULL), b);
    b->draining = true;
    assert_null (hl_registry_pick (registry, HL_ROLE_PROMETHEUS_BACKEND, NULL));
    b->draining = false;
    b->inflight = 4;
    assert_null (hl_registry_pick (registry, HL_ROLE_PROMETHEUS_BACKEND, NULL));

    /*  A role nobody has. */
    assert_null (hl_registry_pick (registry, HL_ROLE_ATHENA_UX, NULL));
    hl_registry_destroy (&registry);
}

static void
test_pick_ties (void **state)
{
    (void)state;
    hl_registry_t *registry = hl_registry_new ();
    hl_peer_t *a = s_add (registry, "a", "athena-api", 4, NULL);
    hl_peer_t *b = s_add (registry, "b", "athena-api", 4, NULL);
    hl_peer_t *c = s_add (registry, "c", "athena-api", 4, NULL);
    /*  Equal loads: the peer that has waited longest since its last task,
        so equal peers take turns (none picked yet: registration order). */
    hl_peer_t *want[] = { a, b, c, a, b, c, a };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_ptr_equal (hl_registry_pick (registry, HL_ROLE_ATHENA_API, NULL),
                          want[i]);
    /*  A lower load beats a longer wait: b was picked last of a and b. */
    a->inflight = 1;
    assert_ptr_equal (hl_registry_pick (registry, HL_ROLE_ATHENA_API, NULL), b);
    assert_ptr_equal (hl_registry_pick (registry, HL_ROLE_ATHENA_API, NULL), c);
    hl_registry_destroy (&registry);
}

static void
test_pick_any_and_actions (void **state)
{
    (void)state;
    hl_registry_t *registry = hl_registry_new ();
    const char *const pool[] = { "tune_db_pool", NULL };
    const char *const cache[] = { "enable_cache", NULL };
    hl_peer_t *node = s_add (registry, "n", "node", 100, NULL);
    hl_peer_t *h1 = s_add (registry, "h1", "hephaestus-backend", 1, pool);
    hl_peer_t *h2 = s_add (registry, "h2", "hephaestus-backend", 1, cache);

    /*  An action narrows the pick to the peers that advertise it. */
    assert_ptr_equal (
        hl_registry_pick (registry, HL_ROLE_HEPHAESTUS_BACKEND, "enable_cache"),
        h2);
    assert_ptr_equal (
        hl_registry_pick (registry, HL_ROLE_HEPHAESTUS_BACKEND, "tune_db_pool"),
        h1);
    assert_null (
        hl_registry_pick (registry, HL_ROLE_HEPHAESTUS_BACKEND, "restart"));
    /*  ... and the role still counts. */
    assert_null (hl_registry_pick (registry, HL_ROLE_HEPHAESTUS_FRONTEND,
                                   "enable_cache"));

    /*  Any agent role, never a node. */
    h1->inflight = 1;
    assert_ptr_equal (hl_registry_pick (registry, HL_REGISTRY_ANY, NULL), h2);
    h2->inflight = 1;
    assert_null (hl_registry_pick (registry, HL_REGISTRY_ANY, NULL));
    assert_ptr_equal (hl_registry_pick (registry, HL_REGISTRY_NODE, NULL),
                      node);
    hl_registry_destroy (&registry);
}

static void
test_has (void **state)
{
    (void)state;
    hl_registry_t *registry = hl_registry_new ();
    assert_false (hl_registry_has (registry, HL_REGISTRY_ANY, NULL));
    assert_false (hl_registry_has (registry, HL_ROLE_ATHENA_UX, NULL));

    const char *const pool[] = { "tune_db_pool", NULL };
    hl_peer_t *h = s_add (registry, "h", "hephaestus-backend", 1, pool);
    s_add (registry, "n", "node", 1, pool);
    assert_true (hl_registry_has (registry, HL_ROLE_HEPHAESTUS_BACKEND, NULL));
    assert_true (
        hl_registry_has (registry, HL_ROLE_HEPHAESTUS_BACKEND, "tune_db_pool"));
    assert_false (
        hl_registry_has (registry, HL_ROLE_HEPHAESTUS_BACKEND, "restart"));
    assert_false (hl_registry_has (registry, HL_ROLE_HEPHAESTUS_FRONTEND,
                                   "tune_db_pool"));
    assert_true (hl_registry_has (registry, HL_REGISTRY_ANY, "tune_db_pool"));
    assert_false (hl_registry_has (registry, HL_ROLE_ATHENA_UX, NULL));

    /*  Busy or draining, it is still there: has is about who exists,
        pick about who is free. */
    h->inflight = h->capacity;
    h->draining = true;
    assert_true (
        hl_registry_has (registry, HL_ROLE_HEPHAESTUS_BACKEND, "tune_db_pool"));
    assert_null (hl_registry_pick (registry, HL_ROLE_HEPHAESTUS_BACKEND, NULL));

    /*  A node is no agent. */
    hl_registry_remove (registry, h);
    assert_false (hl_registry_has (registry, HL_REGISTRY_ANY, NULL));
    assert_true (hl_registry_has (registry, HL_REGISTRY_NODE, "tune_db_pool"));
    hl_registry_destroy (&registry);
}

static void
test_capacity (void **state)
{
    (void)state;
    hl_registry_t *registry = hl_registry_new ();
    hl_peer_t *one = s_add (registry, "one", "athena-ux", 1, NULL);
    hl_peer_t *many = s_add (registry, "many", "athena-ux", 1024, NULL);
    assert_int_equal (many->capacity, 1024);
    /*  Fill both as a dispatcher would: inflight up on every pick. */
    int picked_one = 0, picked_many = 0;
    for (int i = 0; i < 1025; i++) {
        hl_peer_t *peer = hl_registry_pick (registry, HL_ROLE_ATHENA_UX, NULL);
        assert_non_null (peer);
        peer->inflight++;
        picked_one += peer == one;
        picked_many += peer == many;
    }
    assert_int_equal (picked_one, 1);
    assert_int_equal (picked_many, 1024);
    assert_null (hl_registry_pick (registry, HL_ROLE_ATHENA_UX, NULL));
    /*  A slot freed is a slot taken again. */
    one->inflight--;
    assert_ptr_equal (hl_registry_pick (registry, HL_ROLE_ATHENA_UX, NULL),
                      one);
    hl_registry_destroy (&registry);
}

/*  A hello of n actions, each len bytes (distinct). */
static hl_msg_t *
s_hello_n (const char *rid, size_t n, size_t len)
{
    hl_msg_t *hello = s_hello (rid, "hephaestus-backend", 1, NULL);
    hl_value_t *list = hl_value_new_array ();
    char name[256];
    for (size_t i = 0; i < n; i++) {
        snprintf (name, sizeof name, "%0*zu", (int)len, i);
        hl_value_t *v = hl_value_new_str (name);
        hl_value_append (list, &v);
    }
    hl_msg_set_actions (hello, &list);
    return hello;
}

static int
s_check (hl_registry_t *registry, hl_msg_t *hello)
{
    char why[192];
    return hl_registry_check (registry, hello, why, sizeof why);
}

static void
test_hello_caps (void **state)
{
    (void)state;
    hl_registry_t *registry = hl_registry_new ();
    hl_registry_limits_t limits = { 4, 40, 0, 0 };
    hl_registry_set_limits (registry, &limits);
    /*  Count: 4 actions at the cap, 5 past it. */
    hl_msg_t *hello = s_hello_n ("a", 4, 10);
    assert_int_equal (s_check (registry, hello), 0);
    assert_non_null (hl_registry_add (registry, hello, 0));
    hl_msg_destroy (&hello);
    hello = s_hello_n ("b", 5, 2);
    assert_int_equal (s_check (registry, hello), HL_ERR_ITEMS);
    assert_null (hl_registry_add (registry, hello, 0));
    hl_msg_destroy (&hello);
    /*  Bytes: 40 at the cap, 41 past it. */
    hello = s_hello_n ("c", 2, 20);
    assert_int_equal (s_check (registry, hello), 0);
    hl_msg_destroy (&hello);
    hello = s_hello_n ("c", 1, 41);
    char why[192];
    assert_int_equal (hl_registry_check (registry, hello, why, sizeof why),
                      HL_ERR_TOO_BIG);
    assert_non_null (strstr (why, "limits.hello_actions_bytes"));
    hl_msg_destroy (&hello);
    hl_registry_refused_t refused = hl_registry_refused (registry);
    assert_int_equal (refused.actions, 2); /* check, then add */
    assert_int_equal (refused.actions_bytes, 1);
    assert_int_equal (refused.full, 0);
    assert_int_equal (hl_registry_size (registry), 1);
    hl_registry_destroy (&registry);
}

static void
test_bounded_by_count_and_bytes (void **state)
{
    (void)state;
    hl_registry_t *registry = hl_registry_new ();
    /*  What one peer of 10 actions of 20 bytes is charged. */
    hl_msg_t *hello = s_hello_n ("probe", 10, 20);
    hl_peer_t *probe = hl_registry_add (registry, hello, 0);
    hl_msg_destroy (&hello);
    size_t charge = probe->bytes;
    assert_true (charge > sizeof (hl_peer_t) + 200);
    assert_int_equal (hl_registry_bytes (registry), charge);
    hl_registry_remove (registry, probe);
    assert_int_equal (hl_registry_bytes (registry), 0);

    /*  Bytes for exactly three such peers: the third fits, the fourth
        is refused full; peers are far from their count. */
    hl_registry_limits_t limits = { 0, 0, 100, 3 * charge };
    hl_registry_set_limits (registry, &limits);
    const char *rids[] = { "p0", "p1", "p2", "p3" };
    for (int i = 0; i < 3; i++) {
        hello = s_hello_n (rids[i], 10, 20);
        assert_non_null (hl_registry_add (registry, hello, 0));
        hl_msg_destroy (&hello);
    }
    assert_int_equal (hl_registry_bytes (registry), 3 * charge);
    hello = s_hello_n (rids[3], 10, 20);
    char why[192];
    assert_int_equal (hl_registry_check (registry, hello, why, sizeof why),
                      HL_ERR_FULL);
    assert_non_null (strstr (why, "limits.registry_bytes"));
    assert_null (hl_registry_add (registry, hello, 0));
    hl_msg_destroy (&hello);
    /*  A peer saying hello again gives its own record back first. */
    hello = s_hello_n (rids[1], 10, 20);
    assert_non_null (hl_registry_add (registry, hello, 0));
    hl_msg_destroy (&hello);
    assert_int_equal (hl_registry_size (registry), 3);
    assert_int_equal (hl_registry_bytes (registry), 3 * charge);
    /*  One leaves: the next fits. */
    hl_registry_remove (registry, s_find (registry, "p0"));
    hello = s_hello_n (rids[3], 10, 20);
    assert_non_null (hl_registry_add (registry, hello, 0));
    hl_msg_destroy (&hello);

    /*  Count: three peers at the cap, a fourth refused full. */
    limits = (hl_registry_limits_t){ 0, 0, 3, 0 };
    hl_registry_set_limits (registry, &limits);
    hello = s_hello_n ("p4", 0, 0);
    assert_int_equal (hl_registry_check (registry, hello, why, sizeof why),
                      HL_ERR_FULL);
    assert_non_null (strstr (why, "limits.registry_peers"));
    hl_msg_destroy (&hello);
    assert_int_equal (hl_registry_refused (registry).full, 3);
    hl_registry_destroy (&registry);
}

static void
test_since (void **state)
{
    (void)state;
    hl_registry_t *registry = hl_registry_new ();
    hl_peer_t *a = s_add (registry, "a", "athena-ux", 1, NULL);
    s_add (registry, "b", "athena-ux", 1, NULL);
    hl_peer_t *c = s_add (registry, "c", "athena-ux", 1, NULL);
    assert_true (a->joined_seq >= 1);
    uint64_t from_c = c->joined_seq;
    /*  a leaves (swap-removed: the array's order changes); d joins. */
    hl_registry_remove (registry, a);
    s_add (registry, "d", "athena-ux", 1, NULL);
    size_t n;
    hl_peer_t **list = hl_registry_since (registry, 0, &n);
    assert_int_equal (n, 3);
    assert_string_equal (list[0]->name, "b");
    assert_string_equal (list[1]->name, "c");
    assert_string_equal (list[2]->name, "d");
    free (list);
    list = hl_registry_since (registry, from_c, &n);
    assert_int_equal (n, 2);
    assert_string_equal (list[0]->name, "c");
    free (list);
    hl_value_t *v = hl_peer_to_value (s_find (registry, "d"), 0);
    assert_string_equal (hl_value_get_str (v, "name", ""), "d");
    assert_string_equal (hl_value_get_str (v, "role", ""), "athena-ux");
    hl_value_destroy (&v);
    hl_registry_destroy (&registry);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_add_find_remove),
        cmocka_unit_test (test_roles),
        cmocka_unit_test (test_many_removed),
        cmocka_unit_test (test_pick_least_loaded),
        cmocka_unit_test (test_pick_ties),
        cmocka_unit_test (test_pick_any_and_actions),
        cmocka_unit_test (test_has),
        cmocka_unit_test (test_capacity),
        cmocka_unit_test (test_hello_caps),
        cmocka_unit_test (test_bounded_by_count_and_bytes),
        cmocka_unit_test (test_since),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
