/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_hl_emergency - the protocol's decisions with explicit clocks:
    start below the threshold, rounds spaced by the gap and never two at
    once, giving up after the last round, ending only after the score has
    stayed above, a score that vanishes, requests refused with reasons;
    and its announcements: the alert on the bus and the notify command,
    which gets the event as JSON on its standard input.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <fcntl.h>
#include <math.h>

#include "../../master/hl_emergency.h"

#define SEC 1000000LL
#define T0 (1700000000LL * SEC)

static char s_dir[] = "/tmp/hl_emergency_test.XXXXXX";
static char s_notified[256];
static hl_config_t *s_config;
static int s_leak = -1; /* an fd the command must not inherit */

static int
s_setup (void **state)
{
    (void)state;
    if (!mkdtemp (s_dir))
        return -1;
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/em.cfg", s_dir);
    snprintf (s_notified, sizeof s_notified, "%s/notified", s_dir);
    //  A descriptor the master holds must not leak into the command
    s_leak = open ("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
    FILE *file = fopen (path, "w");
    if (!file || s_leak < 3)
        return -1;
    fprintf (file,
             "emergency = { threshold = 50; max_issues = 2;\n"
             "  notify = \"cat >> %s; echo >> %s; "
             "if [ -e /proc/$$/fd/%d ]; then echo leaked >> %s; fi\"; };\n"
             "metrics = ( { name = \"lat\"; category = \"backend\";\n"
             "  better = \"lower\"; target = 100.0; critical = 500.0; } );\n",
             s_notified, s_notified, s_leak, s_notified);
    fclose (file);
    s_config = hl_config_load (path, err, sizeof err);
    unlink (path);
    if (!s_config)
        fprintf (stderr, "%s\n", err);
    return s_config ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    hl_config_destroy (&s_config);
    unlink (s_notified);
    close (s_leak);
    return rmdir (s_dir);
}

typedef struct {
    int alerts;
    char severity[16];
    char text[128];
} s_bus_t;

static void
s_publish (void *arg, hl_msg_t **msg_p)
{
    s_bus_t *bus = (s_bus_t *)arg;
    bus->alerts++;
    snprintf (bus->severity, sizeof bus->severity, "%s",
              hl_msg_severity (*msg_p));
    snprintf (bus->text, sizeof bus->text, "%s", hl_msg_text (*msg_p));
    hl_msg_destroy (msg_p);
}

static hl_emergency_t *
s_new (s_bus_t *bus)
{
    hl_emergency_deps_t deps = { s_config, s_publish, NULL, bus, "master@t" };
    return hl_emergency_new (&deps);
}

/*  Run a round as the engine would: start it and end it at end_us. */
static void
s_round (hl_emergency_t *em, int64_t end_us, int round)
{
    hl_run_t *run = hl_run_new ((uint64_t)round, "emergency", end_us);
    hl_emergency_round (em, run);
    assert_true (run->emergency);
    assert_int_equal (run->em.round, round);
    assert_int_equal (run->em.max_issues, 2);
    hl_emergency_round_ended (em, run, end_us);
    hl_run_destroy (&run);
}

static void
test_protocol (void **state)
{
    (void)state;
    s_bus_t bus = { 0 };
    hl_emergency_t *em = s_new (&bus);
    //  At rest: above the threshold, or no score at all, is nothing
    assert_int_equal (hl_emergency_health (em, 80, T0, false),
                      HL_EMERGENCY_NONE);
    assert_int_equal (hl_emergency_health (em, NAN, T0, false),
                      HL_EMERGENCY_NONE);
    assert_int_equal (hl_emergency_health (em, 50, T0, false),
                      HL_EMERGENCY_NONE);
    assert_false (hl_emergency_active (em));

    //  Below: it starts, and holds normal work
    assert_int_equal (hl_emergency_health (em, 49.9, T0, false),
                      HL_EMERGENCY_STARTED);
    assert_true (hl_emergency_active (em));
    assert_true (hl_emergency_holding (em));
    hl_run_t *run = hl_run_new (1, "emergency", T0);
    hl_emergency_round (em, run);
    assert_int_equal (run->em.detected_us, T0);
    assert_int_equal (run->em.baseline_us, T0);
    assert_true (run->em.threshold == 50);
    //  never a second round while one runs
    assert_int_equal (hl_emergency_health (em, 30, T0 + 10 * SEC, true),
                      HL_EMERGENCY_NONE);
    hl_emergency_first_task (em, run, T0 + 300);
    hl_emergency_round_ended (em, run, T0 + 8 * SEC);
    hl_run_destroy (&run);
    //  the next round waits for the gap after the last one ended
    assert_int_equal (hl_emergency_health (em, 30, T0 + 12 * SEC, false),
                      HL_EMERGENCY_NONE);
    assert_int_equal (hl_emergency_health (em, 30, T0 + 13 * SEC, false),
                      HL_EMERGENCY_ROUND);
    //  its baseline starts where the last round ended
    run = hl_run_new (2, "emergency", T0 + 13 * SEC);
    hl_emergency_round (em, run);
    assert_int_equal (run->em.baseline_us, T0 + 8 * SEC);
    hl_emergency_round_ended (em, run, T0 + 20 * SEC);
    hl_run_destroy (&run);
    s_round (em, T0 + 30 * SEC, 3);
    s_round (em, T0 + 40 * SEC, 4);
    //  four rounds spent: give up, release the hold, stay active
    assert_int_equal (hl_emergency_health (em, 30, T0 + 50 * SEC, false),
                      HL_EMERGENCY_UNRESOLVED);
    assert_true (hl_emergency_active (em));
    assert_false (hl_emergency_holding (em));
    assert_int_equal (hl_emergency_health (em, 30, T0 + 60 * SEC, false),
                      HL_EMERGENCY_NONE);

    //  Above must last: a dip restarts the clock
    assert_int_equal (hl_emergency_health (em, 60, T0 + 70 * SEC, false),
                      HL_EMERGENCY_NONE);
    assert_int_equal (hl_emergency_health (em, 40, T0 + 72 * SEC, false),
                      HL_EMERGENCY_NONE);
    assert_int_equal (hl_emergency_health (em, 60, T0 + 73 * SEC, false),
                      HL_EMERGENCY_NONE);
    assert_int_equal (
        hl_emergency_health (em, 60, T0 + 75 * SEC + 999999, false),
        HL_EMERGENCY_NONE);
    assert_int_equal (hl_emergency_health (em, 60, T0 + 76 * SEC, false),
                      HL_EMERGENCY_RESOLVED);
    assert_false (hl_emergency_active (em));
    assert_false (hl_emergency_holding (em));

    hl_value_t *status = hl_emergency_status (em);
    assert_int_equal (hl_value_get_int (status, "count", 0), 1);
    assert_int_equal (hl_value_get_int (status, "rounds", 0), 4);
    assert_true (
        fabs (hl_value_get_double (status, "last_response_ms", 0) - 0.3)
        < 1e-9);
    hl_value_destroy (&status);
    hl_emergency_destroy (&em);
    assert_null (em);
    assert_int_equal (bus.alerts, 0); /* deciding is not announcing */
}

/*  Metrics that fall silent during an emergency count as not above: the
    rounds go on, then it gives up, instead of holding normal work
    forever. */
static void
test_vanished_score (void **state)
{
    (void)state;
    hl_emergency_t *em = s_new (NULL);
    assert_int_equal (hl_emergency_health (em, 10, T0, false),
                      HL_EMERGENCY_STARTED);
    s_round (em, T0 + SEC, 1);
    int64_t t = T0 + SEC;
    for (int round = 2; round <= HL_EMERGENCY_ROUNDS; round++) {
        t += HL_EMERGENCY_GAP_US;
        assert_int_equal (hl_emergency_health (em, NAN, t, false),
                          HL_EMERGENCY_ROUND);
        s_round (em, t, round);
    }
    assert_int_equal (
        hl_emergency_health (em, NAN, t + HL_EMERGENCY_GAP_US, false),
        HL_EMERGENCY_UNRESOLVED);
    assert_false (hl_emergency_holding (em));
    hl_emergency_destroy (&em);
}

static void
test_request (void **state)
{
    (void)state;
    hl_emergency_t *em = s_new (NULL);
    char err[160] = "";
    //  No score: nothing could ever end it
    assert_int_equal (
        hl_emergency_request (em, NAN, 50, 3, T0, err, sizeof err), -1);
    assert_non_null (strstr (err, "no metric has data"));
    assert_false (hl_emergency_active (em));
    assert_int_equal (
        hl_emergency_request (em, 80, 101, 3, T0, err, sizeof err), -1);
    assert_int_equal (hl_emergency_request (em, 80, 50, 0, T0, err, sizeof err),
                      -1);
    //  A requested one starts whatever the score, at its own threshold
    assert_int_equal (hl_emergency_request (em, 80, 90, 1, T0, err, sizeof err),
                      0);
    assert_true (hl_emergency_active (em));
    hl_run_t *run = hl_run_new (1, "emergency", T0);
    hl_emergency_round (em, run);
    assert_true (run->em.threshold == 90);
    assert_int_equal (run->em.max_issues, 1);
    hl_run_destroy (&run);
    assert_int_equal (hl_emergency_request (em, 80, 50, 3, T0, err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "in progress"));
    //  80 is below its 90: it goes on
    assert_int_equal (hl_emergency_health (em, 80, T0 + 10 * SEC, false),
                      HL_EMERGENCY_ROUND);
    hl_emergency_destroy (&em);
}

static void
test_announce (void **state)
{
    (void)state;
    s_bus_t bus = { 0 };
    hl_emergency_t *em = s_new (&bus);
    assert_int_equal (hl_emergency_health (em, 20, T0, false),
                      HL_EMERGENCY_STARTED);
    hl_emergency_announce (em, HL_EMERGENCY_STARTED, 20);
    assert_int_equal (bus.alerts, 1);
    assert_string_equal (bus.severity, "critical");
    assert_non_null (strstr (bus.text, "below 50.0"));
    hl_emergency_announce (em, HL_EMERGENCY_RESOLVED, 70);
    assert_int_equal (bus.alerts, 2);
    assert_string_equal (bus.severity, "info");
    hl_emergency_announce (em, HL_EMERGENCY_NONE, 70); /* nothing to say */
    assert_int_equal (bus.alerts, 2);

    //  The notify command got both events, one JSON line each. The two
    //  commands run side by side, so either may write first: wait for
    //  both
    int64_t deadline = zclock_mono () + 10000;
    char text[4096] = "";
    while (zclock_mono () < deadline) {
        FILE *f = fopen (s_notified, "r");
        size_t n = f ? fread (text, 1, sizeof text - 1, f) : 0;
        if (f)
            fclose (f);
        text[n] = 0;
        //  Two commands, each on its own schedule: wait for both
        if (strstr (text, "emergency.resolved")
            && strstr (text, "emergency.started"))
            break;
        hl_emergency_reap (em);
        zclock_sleep (10); /* polling the file a command writes */
    }
    assert_non_null (strstr (text, "\"event\":\"emergency.started\""));
    assert_non_null (strstr (text, "\"event\":\"emergency.resolved\""));
    assert_non_null (strstr (text, "\"master\":\"master@t\""));
    //  ... and none of the master's descriptors
    assert_null (strstr (text, "leaked"));
    hl_emergency_destroy (&em);
}

/*  A score is shown with the digits that put it on its side of the
    threshold: 49.974 crossed 50, so it never reads "50.0 < 50.0". */
static void
test_score_text (void **state)
{
    (void)state;
    char text[32];
    hl_emergency_score_text (49.974, 50, text, sizeof text);
    assert_string_equal (text, "49.97");
    hl_emergency_score_text (49.9996, 50, text, sizeof text);
    assert_string_equal (text, "49.9996");
    hl_emergency_score_text (42.04, 50, text, sizeof text);
    assert_string_equal (text, "42.0");
    hl_emergency_score_text (50, 50, text, sizeof text);
    assert_string_equal (text, "50.0");
    hl_emergency_score_text (50.02, 50, text, sizeof text);
    assert_string_equal (text, "50.0");
    hl_emergency_score_text (NAN, 50, text, sizeof text);
    assert_string_equal (text, "-");

    //  ... in the alert too
    s_bus_t bus = { 0 };
    hl_emergency_t *em = s_new (&bus);
    assert_int_equal (hl_emergency_health (em, 49.974, T0, false),
                      HL_EMERGENCY_STARTED);
    hl_emergency_announce (em, HL_EMERGENCY_STARTED, 49.974);
    assert_string_equal (bus.text, "emergency: health 49.97 below 50.0");
    hl_value_t *status = hl_emergency_status (em);
    assert_string_equal (hl_value_get_str (status, "detected_utc", ""),
                         "2023-11-14T22:13:20.000Z");
    hl_value_destroy (&status);
    hl_emergency_destroy (&em);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_protocol),
        cmocka_unit_test (test_vanished_score),
        cmocka_unit_test (test_request),
        cmocka_unit_test (test_announce),
        cmocka_unit_test (test_score_text),
    };
    return cmocka_run_group_tests_name ("hl_emergency", tests, s_setup,
                                        s_teardown);
}
