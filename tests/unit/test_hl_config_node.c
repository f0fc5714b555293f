/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_config_node - the sections of design §9 (hl_config_node,
    hl_config_autoscale): node's defaults, a whole section and its
    labels, autoscale's groups, and one case per kind of bad input, each
    refused with the exact "file:line:" and a reason that says why.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config_env.h"

//  node: the defaults of design §9, a whole section, and its labels
static void
test_node (void **state)
{
    (void)state;
    char path[512], err[512];
    s_write ("node.cfg", "master = { };\n", path, sizeof path);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fail_msg ("%s", err);
    const hl_config_node_t *n = hl_config_node (config);
    assert_string_equal (n->name, "");
    assert_int_equal (n->capacity, 8);
    assert_int_equal (n->labels_n, 0);
    assert_int_equal (n->restart_backoff_min_ms, 1000);
    assert_int_equal (n->restart_backoff_max_ms, 60000);
    assert_int_equal (n->max_restarts, 5);
    assert_int_equal (n->restart_window_s, 60);
    assert_int_equal (n->stop_grace_ms, 35000);
    hl_config_destroy (&config);
    s_write (
        "node.cfg",
        "node = { name = \"web-1\"; capacity = 1024;\n"
        "  labels = \" zone=eu1  disk=ssd \"; agent_config = \"a.cfg\";\n"
        "  restart_backoff_min_ms = 10; restart_backoff_max_ms = 10;\n"
        "  max_restarts = 0; restart_window_s = 1; stop_grace_ms = 0; };\n",
        path, sizeof path);
    config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fail_msg ("%s", err);
    n = hl_config_node (config);
    assert_string_equal (n->name, "web-1");
    assert_int_equal (n->capacity, 1024);
    assert_int_equal (n->labels_n, 2);
    assert_string_equal (n->labels[0].key, "zone");
    assert_string_equal (n->labels[0].value, "eu1");
    assert_string_equal (n->labels[1].key, "disk");
    assert_string_equal (n->labels[1].value, "ssd");
    assert_string_equal (n->agent_config, "a.cfg");
    assert_int_equal (n->max_restarts, 0);
    hl_config_destroy (&config);

    //  Labels: at the limits and one past them
    hl_config_label_t labels[HL_CONFIG_LABELS];
    int labels_n;
    char why[128], text[2048], word[HL_CONFIG_LABEL + 1];
    memset (word, 'k', sizeof word);
    word[HL_CONFIG_LABEL - 1] = 0;
    snprintf (text, sizeof text, "%s=v", word);
    assert_int_equal (
        hl_config_labels_parse (text, labels, &labels_n, why, sizeof why), 0);
    word[HL_CONFIG_LABEL - 1] = 'k';
    word[HL_CONFIG_LABEL] = 0;
    snprintf (text, sizeof text, "%s=v", word);
    assert_int_equal (
        hl_config_labels_parse (text, labels, &labels_n, why, sizeof why), -1);
    text[0] = 0;
    for (int i = 0; i < HL_CONFIG_LABELS; i++)
        snprintf (text + strlen (text), sizeof text - strlen (text), "k%d=v ",
                  i);
    assert_int_equal (
        hl_config_labels_parse (text, labels, &labels_n, why, sizeof why), 0);
    assert_int_equal (labels_n, HL_CONFIG_LABELS);
    strcat (text, "one=more");
    assert_int_equal (
        hl_config_labels_parse (text, labels, &labels_n, why, sizeof why), -1);
    assert_non_null (strstr (why, "more than 16 labels"));
    const char *bad[]
        = { "zone", "=v", "k=", "Zone=a", "k=v k=w", "k=v=w", "k=\x01", NULL };
    for (int i = 0; bad[i]; i++)
        assert_int_equal (
            hl_config_labels_parse (bad[i], labels, &labels_n, why, sizeof why),
            -1);
}

//  autoscale: the defaults (the HPA's 300 s stabilisation), a whole
//  group, several roles, none by default
static void
test_autoscale (void **state)
{
    (void)state;
    char path[512], err[512];
    s_write ("as.cfg", "master = { };\n", path, sizeof path);
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fail_msg ("%s", err);
    assert_int_equal (hl_config_autoscale_size (config), 0);
    assert_null (hl_config_autoscale (config, 0));
    hl_config_destroy (&config);
    s_write ("as.cfg",
             "autoscale = ( { role = \"athena-api\"; max = 3; },\n"
             "  { role = \"prometheus-frontend\"; min = 0; max = 100000;\n"
             "    step = 2; target_wait_ms = 250; window_s = 5;\n"
             "    up_cooldown_s = 0; down_cooldown_s = 0;\n"
             "    stabilisation_s = 0; } );\n",
             path, sizeof path);
    config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!config)
        fail_msg ("%s", err);
    assert_int_equal (hl_config_autoscale_size (config), 2);
    const hl_config_autoscale_t *a = hl_config_autoscale (config, 0);
    assert_int_equal (a->role, HL_ROLE_ATHENA_API);
    assert_int_equal (a->min, 1);
    assert_int_equal (a->max, 3);
    assert_int_equal (a->step, 1);
    assert_int_equal (a->target_wait_ms, 1000);
    assert_int_equal (a->window_s, 30);
    assert_int_equal (a->up_cooldown_s, 30);
    assert_int_equal (a->down_cooldown_s, 60);
    assert_int_equal (a->stabilisation_s, 300);
    a = hl_config_autoscale (config, 1);
    assert_int_equal (a->role, HL_ROLE_PROMETHEUS_FRONTEND);
    assert_int_equal (a->min, 0);
    assert_int_equal (a->max, HL_CONFIG_AUTOSCALE_MAX);
    assert_int_equal (a->step, 2);
    assert_int_equal (a->target_wait_ms, 250);
    assert_int_equal (a->window_s, 5);
    assert_int_equal (a->stabilisation_s, 0);
    hl_config_destroy (&config);
}

#define S_AS(body) "autoscale = (\n  { role = \"athena-ux\"; " body " } );\n"
static const bad_case_t s_as_no_role
    = { "autoscale = (\n  { max = 3; } );\n", 2, "role" };
static const bad_case_t s_as_no_max = { S_AS ("min = 1;"), 2, "max" };
static const bad_case_t s_as_role
    = { "autoscale = (\n  { role = \"node\"; max = 3; } );\n", 2,
        "bad value \"node\"" };
static const bad_case_t s_as_twice
    = { "autoscale = ( { role = \"athena-ux\"; max = 3; },\n"
        "  { role = \"athena-ux\"; max = 4; } );\n",
        2, "autoscaled twice" };
static const bad_case_t s_as_min_over_max
    = { S_AS ("min = 4; max = 3;"), 2, "at least min (4)" };
static const bad_case_t s_as_max_zero
    = { S_AS ("min = 0; max = 0;"), 2, "out of range 1..100000" };
static const bad_case_t s_as_max_high
    = { S_AS ("max = 100001;"), 2, "out of range 1..100000" };
static const bad_case_t s_as_min_negative
    = { S_AS ("min = -1; max = 3;"), 2, "out of range 0..100000" };
static const bad_case_t s_as_step
    = { S_AS ("max = 3; step = 0;"), 2, "out of range 1..1000" };
static const bad_case_t s_as_target
    = { S_AS ("max = 3; target_wait_ms = 0;"), 2, "out of range" };
static const bad_case_t s_as_window
    = { S_AS ("max = 3; window_s = 3601;"), 2, "out of range 1..3600" };
static const bad_case_t s_as_cooldown
    = { S_AS ("max = 3; up_cooldown_s = -1;"), 2, "out of range 0..86400" };
static const bad_case_t s_as_stabilisation
    = { S_AS ("max = 3; stabilisation_s = 86401;"), 2,
        "out of range 0..86400" };
static const bad_case_t s_as_float
    = { S_AS ("max = 3.0;"), 2, "expected an integer" };
static const bad_case_t s_as_unknown_key
    = { S_AS ("max = 3; replicas = 2;"), 2, "unknown key" };
static const bad_case_t s_as_not_list
    = { "autoscale = { role = \"athena-ux\"; max = 3; };\n", 1,
        "expected a list" };
static const bad_case_t s_as_not_group
    = { "autoscale = ( 3 );\n", 1, "expected a group" };

static const bad_case_t s_node_capacity
    = { "node = {\n  capacity = 0;\n};\n", 2, "out of range" };
static const bad_case_t s_node_capacity_high
    = { "node = {\n  capacity = 1025;\n};\n", 2, "out of range" };
static const bad_case_t s_node_labels
    = { "node = {\n  labels = \"zone\";\n};\n", 2, "want key=value" };
static const bad_case_t s_node_labels_twice
    = { "node = {\n  labels = \"a=1 a=2\";\n};\n", 2, "given twice" };
static const bad_case_t s_node_name
    = { "node = {\n  name = \"Web 1\";\n};\n", 2, "[a-z0-9_.-]" };
static const bad_case_t s_node_backoff
    = { "node = { restart_backoff_min_ms = 5000;\n"
        "  restart_backoff_max_ms = 1000; };\n",
        2, "at least restart_backoff_min_ms" };
static const bad_case_t s_node_restarts
    = { "node = {\n  max_restarts = 65;\n};\n", 2, "out of range" };
static const bad_case_t s_node_window
    = { "node = {\n  restart_window_s = 0;\n};\n", 2, "out of range" };
static const bad_case_t s_node_float
    = { "node = {\n  capacity = 2.0;\n};\n", 2, "" };
static const bad_case_t s_node_unknown_key
    = { "node = {\n  replicas = 2;\n};\n", 2, "replicas" };

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_node),
        BAD (_node_capacity),
        BAD (_node_capacity_high),
        BAD (_node_labels),
        BAD (_node_labels_twice),
        BAD (_node_name),
        BAD (_node_backoff),
        BAD (_node_restarts),
        BAD (_node_window),
        BAD (_node_float),
        BAD (_node_unknown_key),
        cmocka_unit_test (test_autoscale),
        BAD (_as_no_role),
        BAD (_as_no_max),
        BAD (_as_role),
        BAD (_as_twice),
        BAD (_as_min_over_max),
        BAD (_as_max_zero),
        BAD (_as_max_high),
        BAD (_as_min_negative),
        BAD (_as_step),
        BAD (_as_target),
        BAD (_as_window),
        BAD (_as_cooldown),
        BAD (_as_stabilisation),
        BAD (_as_float),
        BAD (_as_unknown_key),
        BAD (_as_not_list),
        BAD (_as_not_group),
    };
    return cmocka_run_group_tests_name ("hl_config_node", tests, s_setup,
                                        s_teardown);
}
