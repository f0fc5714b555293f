/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_scale - placement: spread within capacity, labels and hosts,
    nothing moved that can stay, the surplus from the nodes that run the
    most, a shortfall when no node has room, roles not managed left
    alone, a node whose capacity fell shedding only managed roles.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../master/hl_scale.h"

static hl_scale_node_t
s_node (const char *name, int capacity, hl_value_t *labels)
{
    hl_scale_node_t n;
    memset (&n, 0, sizeof n);
    n.name = name;
    n.host = name;
    n.capacity = capacity;
    n.labels = labels;
    return n;
}

static void
s_want (hl_scale_want_t want[HL_ROLE_COUNT], hl_role_id_t role, int count,
        const char *label)
{
    want[role].set = true;
    want[role].count = count;
    snprintf (want[role].label, sizeof want[role].label, "%s",
              label ? label : "");
}

static void
test_spread (void **state)
{
    (void)state;
    hl_scale_want_t want[HL_ROLE_COUNT];
    memset (want, 0, sizeof want);
    s_want (want, HL_ROLE_PROMETHEUS_FRONTEND, 3, NULL);
    s_want (want, HL_ROLE_ATHENA_API, 1, NULL);
    hl_scale_node_t nodes[2] = { s_node ("a", 3, NULL), s_node ("b", 2, NULL) };
    int shortfall[HL_ROLE_COUNT];
    hl_scale_place (want, nodes, 2, shortfall);
    int pf = HL_ROLE_PROMETHEUS_FRONTEND, aa = HL_ROLE_ATHENA_API;
    assert_int_equal (nodes[0].have[pf] + nodes[1].have[pf], 3);
    assert_int_equal (nodes[0].have[aa] + nodes[1].have[aa], 1);
    //  Spread: neither node has all three
    assert_true (nodes[0].have[pf] >= 1 && nodes[1].have[pf] >= 1);
    for (int i = 0; i < 2; i++) {
        int used = 0;
        for (int r = 0; r < HL_ROLE_COUNT; r++)
            used += nodes[i].have[r];
        assert_true (used <= nodes[i].capacity);
    }
    assert_int_equal (shortfall[pf], 0);
    //  More than fits: a shortfall, every node full
    s_want (want, HL_ROLE_PROMETHEUS_FRONTEND, 10, NULL);
    hl_scale_place (want, nodes, 2, shortfall);
    assert_int_equal (shortfall[pf], 10 - 4);
    assert_int_equal (nodes[0].have[pf] + nodes[1].have[pf], 4);
    //  No nodes at all
    hl_scale_place (want, nodes, 0, shortfall);
    assert_int_equal (shortfall[pf], 10);
}

static void
test_no_moves (void **state)
{
    (void)state;
    hl_scale_want_t want[HL_ROLE_COUNT];
    memset (want, 0, sizeof want);
    int pf = HL_ROLE_PROMETHEUS_FRONTEND, hb = HL_ROLE_HEPHAESTUS_BACKEND;
    s_want (want, pf, 4, NULL);
    hl_scale_node_t nodes[3] = { s_node ("a", 8, NULL), s_node ("b", 8, NULL),
                                 s_node ("c", 8, NULL) };
    nodes[0].have[pf] = 3; /* unbalanced, but running: stays */
    nodes[1].have[pf] = 1;
    nodes[2].have[hb] = 2; /* not managed: left alone */
    hl_scale_place (want, nodes, 3, NULL);
    assert_int_equal (nodes[0].have[pf], 3);
    assert_int_equal (nodes[1].have[pf], 1);
    assert_int_equal (nodes[2].have[pf], 0);
    assert_int_equal (nodes[2].have[hb], 2);
    //  Up by two: to the nodes with the most room, the others untouched
    s_want (want, pf, 6, NULL);
    hl_scale_place (want, nodes, 3, NULL);
    assert_int_equal (nodes[0].have[pf], 3);
    assert_int_equal (nodes[1].have[pf], 2);
    assert_int_equal (nodes[2].have[pf], 1);
    //  Down to three: from the node that runs the most, then the others
    s_want (want, pf, 3, NULL);
    hl_scale_place (want, nodes, 3, NULL);
    assert_int_equal (nodes[0].have[pf] + nodes[1].have[pf] + nodes[2].have[pf],
                      3);
    assert_true (nodes[0].have[pf] <= 2);
    assert_int_equal (nodes[2].have[hb], 2);
    //  A node leaves: its share goes to the others
    s_want (want, pf, 3, NULL);
    int before = nodes[1].have[pf] + nodes[2].have[pf];
    hl_scale_place (want, nodes + 1, 2, NULL);
    assert_int_equal (nodes[1].have[pf] + nodes[2].have[pf], 3);
    assert_true (nodes[1].have[pf] + nodes[2].have[pf] >= before);
}

static void
test_labels_and_hosts (void **state)
{
    (void)state;
    hl_value_t *eu = hl_value_new_map (), *us = hl_value_new_map ();
    hl_value_set_str (eu, "zone", "eu1");
    hl_value_set_str (us, "zone", "us1");
    hl_scale_want_t want[HL_ROLE_COUNT];
    memset (want, 0, sizeof want);
    int aa = HL_ROLE_ATHENA_API;
    s_want (want, aa, 3, "zone=eu1");
    hl_scale_node_t nodes[3]
        = { s_node ("a", 4, us), s_node ("b", 4, eu), s_node ("c", 4, NULL) };
    nodes[0].have[aa] = 2; /* now on a node the label leaves out */
    int shortfall[HL_ROLE_COUNT];
    hl_scale_place (want, nodes, 3, shortfall);
    assert_int_equal (nodes[0].have[aa], 0);
    assert_int_equal (nodes[1].have[aa], 3);
    assert_int_equal (nodes[2].have[aa], 0);
    //  A host
    want[aa].label[0] = 0;
    snprintf (want[aa].host, sizeof want[aa].host, "c");
    hl_scale_place (want, nodes, 3, shortfall);
    assert_int_equal (nodes[1].have[aa], 0);
    assert_int_equal (nodes[2].have[aa], 3);
    //  A label no node has
    want[aa].host[0] = 0;
    s_want (want, aa, 1, "zone=ap1");
    hl_scale_place (want, nodes, 3, shortfall);
    assert_int_equal (shortfall[aa], 1);
    assert_int_equal (hl_scale_label_ok ("zone=eu1"), 0);
    assert_int_equal (hl_scale_label_ok ("zone"), -1);
    assert_int_equal (hl_scale_label_ok ("=eu1"), -1);
    assert_int_equal (hl_scale_label_ok ("zone="), -1);
    assert_int_equal (hl_scale_label_ok ("Zone=eu1"), -1);
    assert_int_equal (hl_scale_label_ok (NULL), -1);
    hl_value_destroy (&eu);
    hl_value_destroy (&us);
}

static void
test_capacity_fell (void **state)
{
    (void)state;
    hl_scale_want_t want[HL_ROLE_COUNT];
    memset (want, 0, sizeof want);
    int pf = HL_ROLE_PROMETHEUS_FRONTEND, hb = HL_ROLE_HEPHAESTUS_BACKEND;
    s_want (want, pf, 4, NULL);
    hl_scale_node_t nodes[2] = { s_node ("a", 2, NULL), s_node ("b", 4, NULL) };
    nodes[0].have[pf] = 4; /* its capacity was 4 */
    nodes[0].have[hb] = 1; /* not ours */
    int shortfall[HL_ROLE_COUNT];
    hl_scale_place (want, nodes, 2, shortfall);
    assert_int_equal (nodes[0].have[pf], 1);
    assert_int_equal (nodes[0].have[hb], 1);
    assert_int_equal (nodes[1].have[pf], 3);
    assert_int_equal (shortfall[pf], 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_spread),
        cmocka_unit_test (test_no_moves),
        cmocka_unit_test (test_labels_and_hosts),
        cmocka_unit_test (test_capacity_fell),
    };
    return cmocka_run_group_tests_name ("hl_scale", tests, NULL, NULL);
}
