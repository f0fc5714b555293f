/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    test_load - a real helios-master, its store on, under 200,000 metric
    samples a second (batches of 100 on bus-in, paced) for
    $HT_LOAD_SECONDS (10 by default; make test-long runs 300). What must
    hold:
    - the master's RSS stays flat: after a warm-up (a fifth of the run,
      at least 5 s), never more than 10% over what it was then;
    - the store keeps up: writable, its backlog drained at every look;
    - nothing is dropped without being counted: every sample sent is
      accepted by the tracker or counted as refused, or its message is
      counted dropped (by the proxy, the intake or the metric input);
    - the master answers status throughout.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>

#include "../../bus/hl_bus.h"
#include "../../bus/hl_sock.h"
#include "../../proto/hl_msg.h"
#include "harness.h"

#define S_RATE 200000 /* samples a second */
#define S_BATCH 100   /* samples a message */
#define S_LOOK_MS 5000

/*  The twelve KPIs of deploy/helios.cfg, each value within its range */
static const char *s_names[]
    = { "chat_response_time",   "ui_interaction_lag", "message_render_time",
        "prompt_feed_refresh",  "api_response_time",  "redis_cache_hit",
        "websocket_throughput", "report_generation",  "user_retention_24h",
        "messages_per_session", "session_duration",   "optimization_roi" };
#define S_NAMES (sizeof s_names / sizeof s_names[0])

/*  The master's resident set, in KiB (0 if it cannot be read). */
static long
s_rss_kb (pid_t pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen (path, "r");
    long kb = 0;
    while (f && fgets (line, sizeof line, f))
        if (sscanf (line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose (f);
    return kb;
}

static hl_msg_t *
s_status (const ht_master_t *m)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    assert_non_null (reply);
    return reply;
}

static int64_t
s_get (const hl_msg_t *status, const char *group, const char *key)
{
    return hl_value_get_int (hl_value_get (hl_msg_data (status), group), key,
                             0);
}

/*  What the master has done with the samples: accepted, refused (each
    reason), or the samples of messages it counted dropped. */
static int64_t
s_accounted (const hl_msg_t *status)
{
    const hl_value_t *kpi = hl_value_get (hl_msg_data (status), "kpi");
    int64_t n = hl_value_get_int (kpi, "accepted", 0);
    const hl_value_t *rejected = hl_value_get (kpi, "rejected");
    for (size_t i = 0; i < hl_value_size (rejected); i++) {
        int64_t k = 0;
        hl_value_int (hl_value_val_at (rejected, i), &k);
        n += k;
    }
    int64_t dropped = s_get (status, "bus", "dropped")
                      + s_get (status, "bus", "intake_dropped")
                      + s_get (status, "metrics", "rejected");
    return n + dropped * S_BATCH;
}

static void
test_load (void **state)
{
    (void)state;
    const char *env = getenv ("HT_LOAD_SECONDS");
    int seconds = env ? atoi (env) : 10;
    assert_true (seconds >= 5 && seconds <= 3600);
    char *playbook = ht_playbook ();
    char extra[65536];
    snprintf (extra, sizeof extra, "cycle = { duration = 3600; };\n%s",
              playbook);
    free (playbook);
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, extra));
    zsock_t *pub = hl_sock_publisher (m.bus_in, NULL);
    assert_int_equal (hl_sock_publisher_wait (pub, 5000), 0);

    int64_t start = zclock_mono (), end = start + seconds * 1000;
    int64_t warm = start + (seconds / 5 > 5 ? seconds / 5 : 5) * 1000;
    int64_t next_look = start + S_LOOK_MS;
    int64_t sent = 0, failed = 0;
    long rss_warm = 0, rss_max = 0;
    while (zclock_mono () < end) {
        int64_t now = zclock_mono ();
        int64_t due = (now - start) * S_RATE / 1000;
        while (sent + S_BATCH <= due) {
            hl_msg_t *msg = hl_msg_new (HL_MSG_METRICS);
            hl_msg_set_src (msg, "test-load");
            int64_t ts = hl_msg_now_us ();
            for (int i = 0; i < S_BATCH; i++)
                hl_msg_add_sample (msg, s_names[(sent + i) % S_NAMES],
                                   (double)((sent + i) % 50), ts, NULL);
            if (hl_bus_send_wait (pub, &msg, 1000))
                failed++;
            hl_msg_destroy (&msg);
            sent += S_BATCH;
        }
        if (now >= next_look) {
            next_look += S_LOOK_MS;
            long rss = s_rss_kb (m.proc->pid);
            if (now >= warm && !rss_warm)
                rss_warm = rss;
            if (rss_warm && rss > rss_max)
                rss_max = rss;
            hl_msg_t *status = s_status (&m);
            const hl_value_t *store
                = hl_value_get (hl_msg_data (status), "store");
            bool writable = false;
            hl_value_bool (hl_value_get (store, "writable"), &writable);
            assert_true (writable);
            assert_true (hl_value_get_int (store, "backlog", -1) < 1000);
            print_message ("%3ds: %" PRId64 " samples sent, rss %ld KiB, "
                           "accepted %" PRId64 "\n",
                           (int)((now - start) / 1000), sent, rss,
                           s_get (status, "kpi", "accepted"));
            hl_msg_destroy (&status);
        }
        zclock_sleep (1); /* the pace: what is due each millisecond */
    }
    assert_int_equal (failed, 0);

    //  Everything sent is accounted for, once the pipeline is drained
    int64_t accounted = 0, accepted = 0, deadline = zclock_mono () + 10000;
    while (zclock_mono () < deadline) {
        hl_msg_t *status = s_status (&m);
        accounted = s_accounted (status);
        accepted = s_get (status, "kpi", "accepted");
        hl_msg_destroy (&status);
        if (accounted >= sent)
            break;
        zclock_sleep (100); /* a short step between looks */
    }
    print_message ("sent %" PRId64 ", accepted %" PRId64 ", accounted "
                   "%" PRId64 "; rss %ld KiB after warm-up, %ld KiB at "
                   "most\n",
                   sent, accepted, accounted, rss_warm, rss_max);
    assert_int_equal (accounted, sent);
    //  Every name is known and every value in range: whatever was not
    //  accepted was dropped under load, and counted; most was accepted
    assert_true (accepted >= sent - sent / 100);
    assert_true (rss_warm > 0);
    assert_true (rss_max <= rss_warm + rss_warm / 10);
    zsock_destroy (&pub);
    assert_int_equal (ht_master_stop (&m), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_load, ht_teardown),
    };
    return cmocka_run_group_tests_name ("load", tests, NULL, NULL);
}
