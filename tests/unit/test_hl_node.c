/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_node - helios-node's orders, without a master: a bad order
    (not a map, an unknown role, a count that is not an integer in
    0..capacity, more than capacity in all) is refused by name, counted,
    and changes nothing; a good one makes slots named role@node.k, and a
    smaller one drains only the surplus, the newest first.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <string.h>

#include "../../agents/hl_node.h"

static hl_value_t *
s_order (const char *role, int64_t n)
{
    hl_value_t *order = hl_value_new_map ();
    if (role)
        hl_value_set_int (order, role, n);
    return order;
}

static void
s_refused (hl_node_t *node, hl_value_t *order, const char *says)
{
    char why[160];
    hl_node_stats_t before, after;
    hl_node_stats (node, &before);
    assert_int_equal (hl_node_order (node, order, why, sizeof why), -1);
    if (!strstr (why, says))
        fail_msg ("'%s' does not say '%s'", why, says);
    hl_node_stats (node, &after);
    assert_int_equal (after.orders_bad, before.orders_bad + 1);
    assert_int_equal (after.slots, before.slots);
    assert_int_equal (after.started, before.started);
    hl_value_destroy (&order);
}

static const char *
s_agent_field (hl_node_t *node, size_t i, const char *field)
{
    static char text[64];
    hl_value_t *report = hl_node_report (node);
    const hl_value_t *a = hl_value_at (hl_value_get (report, "agents"), i);
    snprintf (text, sizeof text, "%s", hl_value_get_str (a, field, "-"));
    hl_value_destroy (&report);
    return text;
}

static void
test_orders (void **state)
{
    (void)state;
    hl_config_t *config = hl_config_new_default (); /* capacity 8 */
    hl_node_opts_t opts = { "tcp://127.0.0.1:9", "t", "/bin/false", NULL };
    char err[256];
    hl_node_t *node = hl_node_new (config, &opts, err, sizeof err);
    assert_non_null (node);
    assert_string_equal (hl_node_name (node), "t");

    hl_value_t *list = hl_value_new_array ();
    s_refused (node, list, "not a map");
    s_refused (node, s_order ("nobody", 1), "unknown role 'nobody'");
    s_refused (node, s_order ("athena-ux", -1), "0..8");
    s_refused (node, s_order ("athena-ux", 9), "0..8");
    hl_value_t *text = hl_value_new_map ();
    hl_value_set_str (text, "athena-ux", "2");
    s_refused (node, text, "want an integer");
    hl_value_t *big = s_order ("athena-ux", 5);
    hl_value_set_int (big, "athena-api", 4);
    s_refused (node, big, "9 agents, over capacity 8");

    //  At the capacity: taken
    char why[160];
    hl_value_t *order = s_order ("athena-ux", 8);
    assert_int_equal (hl_node_order (node, order, why, sizeof why), 0);
    hl_value_destroy (&order);
    hl_node_stats_t stats;
    hl_node_stats (node, &stats);
    assert_int_equal (stats.slots, 8);
    assert_int_equal (stats.started, 8);
    assert_string_equal (s_agent_field (node, 0, "name"), "athena-ux@t.1");
    assert_string_equal (s_agent_field (node, 7, "name"), "athena-ux@t.8");
    assert_string_equal (s_agent_field (node, 7, "state"), "running");

    //  Down to two: the six newest drain, the two oldest stay running
    order = s_order ("athena-ux", 2);
    assert_int_equal (hl_node_order (node, order, why, sizeof why), 0);
    hl_value_destroy (&order);
    assert_string_equal (s_agent_field (node, 0, "state"), "running");
    assert_string_equal (s_agent_field (node, 1, "state"), "running");
    for (size_t i = 2; i < 8; i++)
        assert_string_equal (s_agent_field (node, i, "state"), "stopping");
    //  The same order again changes nothing
    order = s_order ("athena-ux", 2);
    assert_int_equal (hl_node_order (node, order, why, sizeof why), 0);
    hl_value_destroy (&order);
    hl_node_stats (node, &stats);
    assert_int_equal (stats.started, 8);
    assert_int_equal (stats.orders, 3);
    assert_int_equal (stats.orders_bad, 6);

    hl_node_destroy (&node);
    assert_null (node);
    hl_node_destroy (&node);
    hl_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_orders),
    };
    return cmocka_run_group_tests_name ("hl_node", tests, NULL, NULL);
}
