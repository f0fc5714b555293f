/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    fault - the fault suite's shared steps: a toy world with fast
    liveness, cycles followed through timed status replies, agents as
    the master lists them, and the end-of-case checks. See fault.h.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <signal.h>
#include <sys/wait.h>

#include "../../proto/hl_msg.h"
#include "fault.h"

static int64_t s_slowest; /* ms, the slowest status reply */

void
ft_filter (void)
{
    if (getenv ("FT_ONLY"))
        cmocka_set_test_filter (getenv ("FT_ONLY"));
}

void
ft_world_start (toy_world_t *w, const toy_opts_t *opts,
                const char *const *actions, bool data)
{
    toy_opts_t o = { 0 };
    if (opts)
        o = *opts;
    o.master_extra = FT_MASTER_EXTRA;
    toy_world_start_opts (w, &o, FT_CYCLE, actions);
    if (data)
        toy_wait_data (w);
    ft_slowest_reset ();
}

hl_msg_t *
ft_status (const ht_master_t *m)
{
    int64_t start = zclock_mono ();
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "status", NULL);
    int64_t took = zclock_mono () - start;
    if (took > s_slowest)
        s_slowest = took;
    if (!reply)
        fail_msg ("the master did not answer status within 5 s");
    return reply;
}

int64_t
ft_slowest_ms (void)
{
    return s_slowest;
}

void
ft_slowest_reset (void)
{
    s_slowest = 0;
}

void
ft_check_status (void)
{
    if (getenv ("HT_VERBOSE"))
        fprintf (stderr, "fault: slowest status reply %d ms\n", (int)s_slowest);
    if (s_slowest > FT_STATUS_MAX_MS)
        fail_msg ("a status reply took %d ms (at most %d)", (int)s_slowest,
                  FT_STATUS_MAX_MS);
}

int64_t
ft_stat (const ht_master_t *m, const char *group, const char *key)
{
    hl_msg_t *reply = ft_status (m);
    int64_t v
        = hl_value_get_int (hl_value_get (hl_msg_data (reply), group), key, -1);
    hl_msg_destroy (&reply);
    return v;
}

void
ft_phase (const ht_master_t *m, char *phase, size_t size)
{
    hl_msg_t *reply = ft_status (m);
    snprintf (phase, size, "%s",
              hl_value_get_str (hl_value_get (hl_msg_data (reply), "cycle"),
                                "phase", "?"));
    hl_msg_destroy (&reply);
}

uint64_t
ft_cycle_start (const ht_master_t *m)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind", "optimization");
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "run", &args);
    assert_non_null (reply);
    int64_t id = hl_value_get_int (hl_msg_data (reply), "id", 0);
    hl_msg_destroy (&reply);
    assert_true (id > 0);
    return (uint64_t)id;
}

/*  Whether word is one of the space-separated words of list. */
static bool
s_one_of (const char *word, const char *list)
{
    size_t len = strlen (word);
    for (const char *at = strstr (list, word); at; at = strstr (at + 1, word))
        if ((at == list || at[-1] == ' ') && (at[len] == ' ' || !at[len]))
            return true;
    return false;
}

void
ft_wait_phase (const ht_master_t *m, const char *phases, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    char phase[32] = "";
    while (zclock_mono () < deadline) {
        ft_phase (m, phase, sizeof phase);
        if (s_one_of (phase, phases))
            return;
        zclock_sleep (20); /* a short step between polls */
    }
    fail_msg ("the cycle never reached %s within %d ms (last: %s)", phases,
              timeout_ms, phase);
}

json_t *
ft_cycle_wait (const ht_master_t *m, uint64_t id, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        hl_msg_t *reply = ft_status (m);
        const hl_value_t *cycle = hl_value_get (hl_msg_data (reply), "cycle");
        bool running = hl_value_get_int (cycle, "current", 0) == (int64_t)id;
        hl_msg_destroy (&reply);
        if (!running)
            break;
        if (zclock_mono () >= deadline)
            fail_msg ("cycle %d still running after %d ms", (int)id,
                      timeout_ms);
        zclock_sleep (50); /* a short step between polls */
    }
    static char out[1 << 20];
    char ids[24];
    snprintf (ids, sizeof ids, "%d", (int)id);
    assert_int_equal (
        ht_ctl (m, out, sizeof out, "report", ids, "--format", "json", NULL),
        0);
    json_t *report = json_loads (out, 0, NULL);
    assert_non_null (report);
    return report;
}

int
ft_inflight (const ht_master_t *m, pid_t pid)
{
    hl_msg_t *reply = (hl_msg_t *)ht_request (m, "agents", NULL);
    assert_non_null (reply);
    const hl_value_t *list = hl_msg_data (reply);
    int inflight = -1;
    for (size_t i = 0; i < hl_value_size (list); i++) {
        const hl_value_t *a = hl_value_at (list, i);
        if (hl_value_get_int (a, "pid", 0) == pid)
            inflight = (int)hl_value_get_int (a, "inflight", 0);
    }
    hl_msg_destroy (&reply);
    return inflight;
}

void
ft_wait_holding (const ht_master_t *m, pid_t pid, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (ft_inflight (m, pid) >= 1)
            return;
        zclock_sleep (20); /* a short step between polls */
    }
    fail_msg ("agent %d never held a task within %d ms", (int)pid, timeout_ms);
}

void
ft_wait_gone (const ht_master_t *m, pid_t pid, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (ft_inflight (m, pid) < 0)
            return;
        ft_stat (m, "tasks", "agents"); /* the master answers meanwhile */
        zclock_sleep (20);              /* a short step between polls */
    }
    fail_msg ("agent %d still registered after %d ms", (int)pid, timeout_ms);
}

void
ft_wait_registered (const ht_master_t *m, const char *name, pid_t pid,
                    int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        hl_msg_t *reply = (hl_msg_t *)ht_request (m, "agents", NULL);
        assert_non_null (reply);
        const hl_value_t *list = hl_msg_data (reply);
        bool found = false;
        for (size_t i = 0; i < hl_value_size (list); i++) {
            const hl_value_t *a = hl_value_at (list, i);
            found |= hl_value_get_int (a, "pid", 0) == pid
                     && streq (hl_value_get_str (a, "name", ""), name);
        }
        hl_msg_destroy (&reply);
        if (found)
            return;
        ft_stat (m, "tasks", "agents"); /* the master answers meanwhile */
        zclock_sleep (20);              /* a short step between polls */
    }
    fail_msg ("%s (pid %d) not registered within %d ms", name, (int)pid,
              timeout_ms);
}

void
ft_wait_log (const toy_world_t *w, const char *action, const char *what,
             int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (toy_count (w, action, what) > 0)
            return;
        ft_stat (&w->m, "tasks", "agents"); /* the master answers meanwhile */
        zclock_sleep (20);                  /* a short step between polls */
    }
    fail_msg ("no %s of %s within %d ms", what, action, timeout_ms);
}

void
ft_kill (toy_world_t *w, int i)
{
    assert_non_null (w->agents[i]);
    kill (w->agents[i]->pid, SIGKILL);
    assert_int_equal (ht_wait (w->agents[i], 5000), 128 + SIGKILL);
    ht_stop (&w->agents[i], 1000); /* reaped: frees it */
}

void
ft_check_changes (const toy_world_t *w, json_t *report)
{
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (report, "actions"), i, a) {
        const char *name = toy_field (a, "name");
        const char *outcome = toy_field (a, "outcome");
        bool kept = streq (outcome, "kept");
        int applies = toy_count (w, name, "apply");
        int rollbacks = toy_count (w, name, "rollback");
        if (applies > 1)
            fail_msg ("%s applied %d times", name, applies);
        if (streq (outcome, "failed")) {
            //  Neither kept nor undone: the report says why
            if (!ft_degraded (report, name))
                fail_msg ("%s failed and the report does not say why", name);
            if (rollbacks > 1)
                fail_msg ("%s rolled back %d times", name, rollbacks);
            continue;
        }
        if (!kept && !streq (outcome, "rolled_back"))
            fail_msg ("%s ended %s", name, outcome);
        if (toy_knob (w, name) != kept)
            fail_msg ("%s is %s but its knob is %s", name, outcome,
                      toy_knob (w, name) ? "set" : "not set");
        assert_int_equal (applies, 1);
        assert_int_equal (rollbacks, kept ? 0 : 1);
    }
}

bool
ft_degraded (json_t *report, const char *text)
{
    size_t i;
    json_t *d;
    json_array_foreach (json_object_get (report, "degraded"), i, d) {
        if (strstr (json_string_value (d) ? json_string_value (d) : "", text))
            return true;
    }
    return false;
}
