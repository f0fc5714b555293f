/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_alerts - which bus messages make webhook events, and
    Alertmanager's grouping over explicit clocks: group_wait gathers, a
    flapping alert sends the grouped number of messages, repeat_interval
    repeats, events are told once, an alert resolved before anyone heard
    of it is never told, the Slack-compatible payload, and the bounds on
    groups, alerts and malformed events.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <string.h>
#include <unistd.h>

#include "../../master/hl_alerts.h"
#include "../../master/hl_report.h"
#include "../../master/hl_run.h"

//  --------------------------------------------------------------------
//  Events from messages

static hl_msg_t *
s_alert_msg (const char *severity, const char *text, hl_value_t *data)
{
    hl_msg_t *msg = hl_msg_new (HL_MSG_ALERT);
    hl_msg_set_severity (msg, severity);
    hl_msg_set_text (msg, text);
    if (data)
        hl_msg_set_data (msg, &data);
    return msg;
}

static json_t *
s_one (const hl_msg_t *msg, bool every_run)
{
    json_t *events[4] = { NULL };
    size_t n = hl_alerts_from_msg (msg, every_run, events, 4);
    assert_int_equal (n, 1);
    return events[0];
}

static const char *
s_str (const json_t *e, const char *key)
{
    return json_string_value (json_object_get (e, key));
}

static void
test_from_messages (void **state)
{
    (void)state;
    //  The emergency protocol's alerts
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "event", "emergency.started");
    hl_value_set_double (data, "health", 42);
    hl_msg_t *msg = s_alert_msg ("critical", "emergency: health 42.0", data);
    json_t *e = s_one (msg, false);
    assert_string_equal (s_str (e, "alertname"), "emergency");
    assert_string_equal (s_str (e, "status"), "firing");
    assert_string_equal (s_str (e, "severity"), "critical");
    assert_string_equal (s_str (e, "text"), "emergency: health 42.0");
    assert_true (json_integer_value (json_object_get (e, "time")) > 0);
    assert_true (json_real_value (
                     json_object_get (json_object_get (e, "data"), "health"))
                 == 42);
    json_decref (e);
    hl_msg_destroy (&msg);
    data = hl_value_new_map ();
    hl_value_set_str (data, "event", "emergency.resolved");
    msg = s_alert_msg ("info", "emergency resolved", data);
    e = s_one (msg, false);
    assert_string_equal (s_str (e, "alertname"), "emergency");
    assert_string_equal (s_str (e, "status"), "resolved");
    json_decref (e);
    hl_msg_destroy (&msg);
    //  An alert that names itself (the early warnings)
    data = hl_value_new_map ();
    hl_value_set_str (data, "event", "forecast.breach");
    hl_value_set_str (data, "alertname", "forecast_breach");
    hl_value_set_str (data, "subject", "latency");
    hl_value_set_str (data, "status", "firing");
    msg = s_alert_msg ("warning", "latency will cross 500 in 600 s", data);
    e = s_one (msg, false);
    assert_string_equal (s_str (e, "alertname"), "forecast_breach");
    assert_string_equal (s_str (e, "subject"), "latency");
    json_decref (e);
    hl_msg_destroy (&msg);

    //  A finished run: a regressed and rolled back action, a kept one
    hl_value_t *report = hl_value_new_map ();
    hl_value_set_str (report, "kind", "optimization");
    hl_value_set_int (report, "id", 7);
    hl_value_set_double (report, "health_before", 60);
    hl_value_set_double (report, "health_after", 70);
    hl_value_t *actions = hl_value_new_array ();
    const char *acts[][3] = { { "gc", "regressed", "rolled_back" },
                              { "cache", "improved", "kept" },
                              { "pool", "unchanged", "rolled_back" } };
    for (int i = 0; i < 3; i++) {
        hl_value_t *a = hl_value_new_map ();
        hl_value_set_str (a, "name", acts[i][0]);
        hl_value_set_str (a, "verdict", acts[i][1]);
        hl_value_set_str (a, "outcome", acts[i][2]);
        hl_value_set_double (a, "p_value", 0.01);
        hl_value_append (actions, &a);
    }
    hl_value_set (report, "actions", &actions);
    data = hl_value_new_map ();
    hl_value_set (data, "report", &report);
    msg = hl_msg_new (HL_MSG_CYCLE);
    hl_msg_set_cycle_id (msg, 7);
    hl_msg_set_event (msg, "finished");
    hl_msg_set_data (msg, &data);
    json_t *events[4] = { NULL };
    assert_int_equal (hl_alerts_from_msg (msg, false, events, 4), 1);
    assert_string_equal (s_str (events[0], "alertname"), "action_regressed");
    assert_string_equal (s_str (events[0], "subject"), "gc");
    assert_string_equal (s_str (events[0], "status"), "event");
    assert_non_null (strstr (s_str (events[0], "text"), "rolled back"));
    json_decref (events[0]);
    assert_int_equal (hl_alerts_from_msg (msg, true, events, 4), 2);
    assert_string_equal (s_str (events[1], "alertname"), "run_finished");
    assert_string_equal (s_str (events[1], "subject"), "optimization 7");
    assert_non_null (strstr (s_str (events[1], "text"), "60.0 -> 70.0"));
    json_decref (events[0]);
    json_decref (events[1]);
    //  ... but never more than asked for
    assert_int_equal (hl_alerts_from_msg (msg, true, events, 1), 1);
    json_decref (events[0]);
    hl_msg_destroy (&msg);

    //  An agent lost; one that left or joined is no alert
    msg = hl_msg_new (HL_MSG_AGENT);
    hl_msg_set_name (msg, "athena-api@web1:42");
    hl_msg_set_role (msg, "athena-api");
    hl_msg_set_event (msg, "expired");
    e = s_one (msg, false);
    assert_string_equal (s_str (e, "alertname"), "agent_lost");
    assert_string_equal (s_str (e, "subject"), "athena-api@web1:42");
    json_decref (e);
    hl_msg_set_event (msg, "left");
    assert_int_equal (hl_alerts_from_msg (msg, true, events, 4), 0);
    hl_msg_destroy (&msg);
    msg = hl_msg_new (HL_MSG_HEALTH);
    assert_int_equal (hl_alerts_from_msg (msg, true, events, 4), 0);
    hl_msg_destroy (&msg);

    assert_true (hl_alerts_topic ("alert.critical"));
    assert_true (hl_alerts_topic ("cycle.finished"));
    assert_true (hl_alerts_topic ("agent.expired"));
    assert_false (hl_alerts_topic ("cycle.started"));
    assert_false (hl_alerts_topic ("agent.joined"));
    assert_false (hl_alerts_topic ("kpi.latency"));
}

/*  A report as the cycle engine makes it (hl_report_new over a run), in
    its cycle.finished event: the action that regressed and was rolled
    back is found by the keys the report really has. */
static void
test_from_real_report (void **state)
{
    (void)state;
    char path[] = "/tmp/hl_alerts_test.XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    const char *text = "metrics = ( { name = \"lat\"; category = \"backend\";\n"
                       "  better = \"lower\"; target = 1; critical = 2; } );\n"
                       "actions = ( { name = \"gc\"; swarm = \"backend\";\n"
                       "  improves = [ \"lat\" ]; },\n"
                       "  { name = \"cache\"; swarm = \"backend\";\n"
                       "  improves = [ \"lat\" ]; } );\n";
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t)strlen (text));
    close (fd);
    char err[256];
    hl_config_t *config = hl_config_load (path, err, sizeof err);
    unlink (path);
    assert_non_null (config);
    hl_run_t *run = hl_run_new (4, "optimization", hl_msg_now_us ());
    hl_candidate_t cand;
    memset (&cand, 0, sizeof cand);
    cand.action = hl_config_action_find (config, "gc");
    hl_act_t *act = hl_run_add_act (run, &cand);
    act->verdict = HL_VERDICT_REGRESSED;
    act->outcome = HL_OUTCOME_ROLLED_BACK;
    cand.action = hl_config_action_find (config, "cache");
    act = hl_run_add_act (run, &cand);
    act->verdict = HL_VERDICT_IMPROVED;
    act->outcome = HL_OUTCOME_KEPT;
    run->finished_us = hl_msg_now_us ();
    hl_value_t *report = hl_report_new (run, "m", NULL);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set (data, "report", &report);
    hl_msg_t *msg = hl_msg_new (HL_MSG_CYCLE);
    hl_msg_set_cycle_id (msg, 4);
    hl_msg_set_event (msg, "finished");
    hl_msg_set_data (msg, &data);
    json_t *events[4] = { NULL };
    assert_int_equal (hl_alerts_from_msg (msg, true, events, 4), 2);
    assert_string_equal (s_str (events[0], "alertname"), "action_regressed");
    assert_string_equal (s_str (events[0], "subject"), "gc");
    assert_non_null (strstr (s_str (events[0], "text"), "optimization 4"));
    assert_string_equal (s_str (events[1], "subject"), "optimization 4");
    assert_non_null (strstr (s_str (events[1], "text"),
                             "health n/a -> n/a; 1 kept, 1 rolled"));
    json_decref (events[0]);
    json_decref (events[1]);
    hl_msg_destroy (&msg);
    hl_run_destroy (&run);
    hl_config_destroy (&config);
}

//  --------------------------------------------------------------------
//  Grouping

#define S_MAX_SENT 64
static char *s_sent[S_MAX_SENT];
static size_t s_nsent;

static void
s_send (void *arg, char *payload)
{
    (void)arg;
    assert_true (s_nsent < S_MAX_SENT);
    s_sent[s_nsent++] = payload;
}

static void
s_reset (void)
{
    for (size_t i = 0; i < s_nsent; i++)
        free (s_sent[i]);
    s_nsent = 0;
}

static hl_config_webhooks_t
s_config (int wait, int interval, int repeat)
{
    hl_config_webhooks_t c;
    memset (&c, 0, sizeof c);
    c.group_wait_ms = wait;
    c.group_interval_ms = interval;
    c.repeat_interval_ms = repeat;
    return c;
}

static void
s_add (hl_alerts_t *alerts, const char *name, const char *subject,
       const char *status, int64_t now)
{
    json_t *e = json_object ();
    json_object_set_new (e, "alertname", json_string (name));
    json_object_set_new (e, "subject", json_string (subject));
    json_object_set_new (e, "severity", json_string ("critical"));
    json_object_set_new (e, "status", json_string (status));
    json_object_set_new (e, "text", json_string ("something happened"));
    json_object_set_new (e, "time", json_integer (1700000000000000LL));
    assert_int_equal (hl_alerts_add (alerts, e, now), 0);
    json_decref (e);
}

/*  Tick every 100 ms from from to to, with fn's events in between. */
typedef void (s_script_fn) (hl_alerts_t *alerts, int64_t now);

static void
s_run (hl_alerts_t *alerts, int64_t from, int64_t to, s_script_fn *script)
{
    for (int64_t now = from; now <= to; now += 100) {
        if (script)
            script (alerts, now);
        hl_alerts_tick (alerts, now, s_send, NULL);
    }
}

static json_t *
s_parse (size_t i)
{
    json_t *j = json_loads (s_sent[i], 0, NULL);
    assert_non_null (j);
    return j;
}

static void
test_group_wait_gathers (void **state)
{
    (void)state;
    hl_config_webhooks_t c = s_config (1000, 10000, 3600000);
    hl_alerts_t *alerts = hl_alerts_new (&c, "master@h:1");
    s_add (alerts, "emergency", "", "firing", 0);
    s_add (alerts, "agent_lost", "a1", "event", 300);
    s_add (alerts, "agent_lost", "a2", "event", 600);
    assert_int_equal (hl_alerts_groups (alerts), 2);
    assert_int_equal (hl_alerts_next (alerts), 1000);
    assert_int_equal (hl_alerts_tick (alerts, 999, s_send, NULL), 0);
    assert_int_equal (hl_alerts_tick (alerts, 1000, s_send, NULL), 1);
    assert_int_equal (hl_alerts_tick (alerts, 1299, s_send, NULL), 0);
    assert_int_equal (hl_alerts_tick (alerts, 1300, s_send, NULL), 1);
    assert_int_equal (s_nsent, 2);
    json_t *p = s_parse (0);
    assert_string_equal (s_str (p, "status"), "firing");
    assert_int_equal (strncmp (s_str (p, "text"), "[FIRING:1] emergency", 20),
                      0);
    assert_non_null (strstr (s_str (p, "text"), "master@h:1"));
    assert_string_equal (s_str (p, "group_key"), "alertname=emergency");
    assert_string_equal (s_str (p, "master"), "master@h:1");
    json_t *list = json_object_get (p, "alerts");
    assert_int_equal (json_array_size (list), 1);
    assert_string_equal (s_str (json_array_get (list, 0), "time"),
                         "2023-11-14T22:13:20.000Z");
    json_decref (p);
    //  Both events in one message; told once, their group gone
    p = s_parse (1);
    assert_int_equal (json_array_size (json_object_get (p, "alerts")), 2);
    assert_int_equal (strncmp (s_str (p, "text"), "[EVENTS] agent_lost", 19),
                      0);
    json_decref (p);
    assert_int_equal (hl_alerts_groups (alerts), 1);
    s_run (alerts, 1400, 60000, NULL);
    assert_int_equal (s_nsent, 2); /* nothing new, repeat not due */
    assert_int_equal (hl_alerts_counters (alerts)->notifications, 2);
    s_reset ();
    hl_alerts_destroy (&alerts);
    hl_alerts_destroy (&alerts);
}

/*  Fires every 3 s and resolves 2 s later, for a minute: 40 events. A
    message says FIRING at the group's wait, then the next that can
    speak is group_interval later, when it happens to be resolved; then
    the group is gone and the next firing waits group_wait again. */
static void
s_flap (hl_alerts_t *alerts, int64_t now)
{
    if (now % 3000 == 0)
        s_add (alerts, "emergency", "", "firing", now);
    else if (now % 3000 == 2000)
        s_add (alerts, "emergency", "", "resolved", now);
}

static void
test_flapping_is_grouped (void **state)
{
    (void)state;
    hl_config_webhooks_t c = s_config (1000, 10000, 3600000);
    hl_alerts_t *alerts = hl_alerts_new (&c, "m");
    s_run (alerts, 0, 59900, s_flap);
    assert_int_equal (hl_alerts_counters (alerts)->events, 40);
    //  FIRING at 1, 13, 25, 37, 49 s; RESOLVED at 11, 23, 35, 47, 59 s
    assert_int_equal (s_nsent, 10);
    for (size_t i = 0; i < s_nsent; i++) {
        json_t *p = s_parse (i);
        assert_string_equal (s_str (p, "status"),
                             i % 2 ? "resolved" : "firing");
        if (i % 2)
            assert_int_equal (
                strncmp (s_str (p, "text"), "[RESOLVED] emergency", 20), 0);
        json_decref (p);
    }
    s_reset ();
    hl_alerts_destroy (&alerts);

    //  Without grouping (every interval 0.1 s) the same flapping would
    //  send a message per change: the grouping is what saves them
    c = s_config (0, 100, 3600000);
    alerts = hl_alerts_new (&c, "m");
    s_run (alerts, 0, 59900, s_flap);
    assert_int_equal (s_nsent, 40);
    s_reset ();
    hl_alerts_destroy (&alerts);
}

static void
test_repeat_interval (void **state)
{
    (void)state;
    hl_config_webhooks_t c = s_config (1000, 10000, 30000);
    hl_alerts_t *alerts = hl_alerts_new (&c, "m");
    s_add (alerts, "forecast_breach", "latency", "firing", 0);
    //  Updates of an alert that still fires are no news
    for (int64_t t = 5000; t < 65000; t += 5000)
        s_add (alerts, "forecast_breach", "latency", "firing", t);
    s_run (alerts, 0, 65000, NULL);
    //  At 1 s, then repeated at 31 s and 61 s
    assert_int_equal (s_nsent, 3);
    s_reset ();
    //  Resolved: told once more, then the group goes
    s_add (alerts, "forecast_breach", "latency", "resolved", 65100);
    s_run (alerts, 65100, 80000, NULL);
    assert_int_equal (s_nsent, 1);
    json_t *p = s_parse (0);
    assert_string_equal (s_str (p, "status"), "resolved");
    assert_string_equal (
        s_str (json_array_get (json_object_get (p, "alerts"), 0), "status"),
        "resolved");
    json_decref (p);
    assert_int_equal (hl_alerts_groups (alerts), 0);
    assert_int_equal (hl_alerts_next (alerts), -1);
    s_reset ();
    hl_alerts_destroy (&alerts);
}

static void
test_untold_and_grouping (void **state)
{
    (void)state;
    hl_config_webhooks_t c = s_config (1000, 10000, 3600000);
    c.group_by_subject = true;
    hl_alerts_t *alerts = hl_alerts_new (&c, "m");
    //  Fired and resolved within the wait: nobody hears of it
    s_add (alerts, "anomaly", "latency", "firing", 0);
    s_add (alerts, "anomaly", "latency", "resolved", 500);
    //  A resolution of something never fired: ignored
    s_add (alerts, "anomaly", "hits", "resolved", 500);
    //  By subject: two groups, two messages
    s_add (alerts, "forecast_breach", "latency", "firing", 0);
    s_add (alerts, "forecast_breach", "hits", "firing", 0);
    assert_int_equal (hl_alerts_groups (alerts), 3);
    s_run (alerts, 0, 2000, NULL);
    assert_int_equal (s_nsent, 2);
    json_t *p = s_parse (0);
    assert_string_equal (s_str (p, "group_key"),
                         "alertname=forecast_breach,subject=latency");
    assert_string_equal (s_str (json_object_get (p, "group"), "subject"),
                         "latency");
    json_decref (p);
    assert_int_equal (hl_alerts_groups (alerts), 2);
    s_reset ();
    hl_alerts_destroy (&alerts);
}

static void
test_bounds (void **state)
{
    (void)state;
    hl_config_webhooks_t c = s_config (0, 1000, 3600000);
    hl_alerts_t *alerts = hl_alerts_new (&c, "m");
    char name[32];
    for (int i = 0; i < HL_ALERTS_GROUPS; i++) {
        snprintf (name, sizeof name, "a%d", i);
        s_add (alerts, name, "", "firing", 0);
    }
    json_t *e = json_pack ("{s:s, s:s, s:s, s:s}", "alertname", "one_more",
                           "severity", "info", "status", "firing", "text", "x");
    assert_int_equal (hl_alerts_add (alerts, e, 0), -1);
    json_decref (e);
    assert_int_equal (hl_alerts_counters (alerts)->dropped, 1);
    hl_alerts_destroy (&alerts);

    //  Alerts of one group, and what one message lists
    alerts = hl_alerts_new (&c, "m");
    for (int i = 0; i < HL_ALERTS_PER_GROUP; i++) {
        snprintf (name, sizeof name, "s%d", i);
        s_add (alerts, "anomaly", name, "firing", 0);
    }
    e = json_pack ("{s:s, s:s, s:s, s:s, s:s}", "alertname", "anomaly",
                   "subject", "more", "severity", "info", "status", "firing",
                   "text", "x");
    assert_int_equal (hl_alerts_add (alerts, e, 0), -1);
    json_decref (e);
    assert_int_equal (hl_alerts_tick (alerts, 0, s_send, NULL), 1);
    json_t *p = s_parse (0);
    assert_int_equal (json_array_size (json_object_get (p, "alerts")),
                      HL_ALERTS_LISTED);
    assert_int_equal (json_integer_value (json_object_get (p, "truncated")),
                      HL_ALERTS_PER_GROUP - HL_ALERTS_LISTED);
    assert_non_null (strstr (s_str (p, "text"), "and 32 more"));
    assert_true (strlen (s_str (p, "text")) <= HL_ALERTS_TEXT);
    assert_int_equal (strncmp (s_str (p, "text"), "[FIRING:64] anomaly", 19),
                      0);
    json_decref (p);
    s_reset ();

    //  Malformed events, each refused and counted
    const char *bad[] = {
        "{}",
        "{\"alertname\":\"\",\"severity\":\"info\",\"status\":\"firing\","
        "\"text\":\"x\"}",
        "{\"alertname\":\"a\",\"severity\":\"info\",\"status\":\"maybe\","
        "\"text\":\"x\"}",
        "{\"alertname\":\"a\",\"severity\":\"info\",\"status\":\"firing\"}",
        "{\"alertname\":\"a\",\"severity\":\"info\",\"status\":\"firing\","
        "\"text\":\"x\",\"data\":[1]}",
        "{\"alertname\":5,\"severity\":\"info\",\"status\":\"firing\","
        "\"text\":\"x\"}",
        "{\"alertname\":\"a\",\"severity\":\"much too severe to say\","
        "\"status\":\"firing\",\"text\":\"x\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = json_loads (bad[i], 0, NULL);
        assert_non_null (e);
        assert_int_equal (hl_alerts_add (alerts, e, 0), -1);
        json_decref (e);
    }
    assert_int_equal (hl_alerts_counters (alerts)->bad, 7);
    hl_alerts_destroy (&alerts);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_from_messages),
        cmocka_unit_test (test_from_real_report),
        cmocka_unit_test (test_group_wait_gathers),
        cmocka_unit_test (test_flapping_is_grouped),
        cmocka_unit_test (test_repeat_interval),
        cmocka_unit_test (test_untold_and_grouping),
        cmocka_unit_test (test_bounds),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
