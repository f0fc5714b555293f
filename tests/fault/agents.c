/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    agents - the agent fault cases: one cycle of the toy world, and the
    agent that holds the task of its phase (an analysis, an apply, a
    verify) killed or hung while it holds it. See fault.h.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <signal.h>

#include "fault.h"

/*  The action under test: it improves lat (kept), and its apply takes
    four seconds, long enough to be caught running. */
#define S_ACTION "good"
static const char *s_actions[] = { "good backend lat 0.3 1 4", NULL };

/*  The longest a cycle may take here: an analysis, an apply or a verify
    that waits out its phase's deadline (20 s, the action's timeout plus
    15 s, settle and window plus 15 s), and the rest of the cycle. */
#define S_CYCLE_MS 90000

static const int s_victim[] = { FT_PROM_BACK, FT_HEPH_BACK, FT_ATHENA_API };

/*  The phase's name in the report's degradations. */
static const char *s_phase[] = { "analyze", "apply", "verify" };

/*  Start a cycle and wait until the victim holds the phase's task. A
    verify is caught in SETTLE to be hung, in VERIFY (collecting its
    window) to be killed. */
static uint64_t
s_catch (toy_world_t *w, ft_when_t when, ft_fault_t fault)
{
    pid_t pid = w->agents[s_victim[when]]->pid;
    uint64_t id;
    if (when == FT_IN_ANALYZE) {
        //  An analysis takes milliseconds: the victim is hung first, so
        //  that the one it is sent stays in its hands
        kill (pid, SIGSTOP);
        id = ft_cycle_start (&w->m);
        ft_wait_phase (&w->m, "analyze", 10000);
    } else if (when == FT_IN_APPLY) {
        id = ft_cycle_start (&w->m);
        ft_wait_phase (&w->m, "apply", 10000);
        ft_wait_log (w, S_ACTION, "apply", 10000); /* its command runs */
    } else {
        id = ft_cycle_start (&w->m);
        ft_wait_phase (&w->m, fault == FT_STOP ? "settle" : "verify", 20000);
    }
    ft_wait_holding (&w->m, pid, 5000);
    return id;
}

/*  Did the agent's restart leave an apply of unknown outcome: killed
    while its command ran, the restarted Hephaestus kills what is left of
    the command's group, then answers the retry 'outcome unknown' from its
    journal, never running it again. */
static bool
s_unknown (ft_when_t when, ft_fault_t fault)
{
    return when == FT_IN_APPLY && fault == FT_KILL_RESTART;
}

/*  How the change must end: a task lost for good before its change is
    known (an apply) leaves it failed, with nobody to undo it; lost before
    its verdict (a verify), rolled back unproven; an apply of unknown
    outcome, rolled back by the master (its command killed, it cannot set
    the knob after the rollback); anything else answered, on a retry or
    by the agent come back, judged as usual: good is kept. */
static const char *
s_outcome (ft_when_t when, ft_fault_t fault)
{
    if (s_unknown (when, fault))
        return "rolled_back";
    if (fault != FT_KILL)
        return "kept";
    return when == FT_IN_APPLY    ? "failed"
           : when == FT_IN_VERIFY ? "rolled_back"
                                  : "kept";
}

void
ft_agent_fault (ft_when_t when, ft_fault_t fault)
{
    toy_world_t w;
    ft_world_start (&w, NULL, s_actions, true);
    int victim = s_victim[when];
    const char *name = toy_agent_name (victim);
    uint64_t id = s_catch (&w, when, fault);
    pid_t pid = w.agents[victim]->pid;
    if (fault == FT_STOP) {
        kill (pid, SIGSTOP);
        //  Hung past the liveness window: the master expires it
        ft_wait_gone (&w.m, pid, FT_SILENCE_MS * 5);
        kill (pid, SIGCONT);
        //  ... and it comes back by itself, the same process
        ft_wait_registered (&w.m, name, pid, 10000);
    } else {
        ft_kill (&w, victim);
        ft_wait_gone (&w.m, pid, FT_SILENCE_MS * 5);
        if (fault == FT_KILL_RESTART) {
            toy_agent_start (&w, victim);
            ft_wait_registered (&w.m, name, w.agents[victim]->pid, 10000);
        }
    }
    json_t *report = ft_cycle_wait (&w.m, id, S_CYCLE_MS);
    if (getenv ("HT_VERBOSE"))
        fprintf (stderr, "%s\n", json_dumps (report, JSON_COMPACT));
    //  A task lost for good is the cycle's to say, and so is an apply
    //  whose outcome the agent cannot know
    bool lost = fault == FT_KILL;
    assert_int_equal (ft_degraded (report, s_phase[when]),
                      lost || s_unknown (when, fault));
    if (s_unknown (when, fault))
        assert_true (ft_degraded (report, "its outcome unknown"));
    if (when == FT_IN_ANALYZE && !lost)
        assert_non_null (json_object_get (json_object_get (report, "analysis"),
                                          "prometheus-backend"));
    json_t *act = toy_act (report, S_ACTION);
    assert_non_null (act);
    assert_string_equal (toy_field (act, "outcome"), s_outcome (when, fault));
    ft_check_changes (&w, report);
    if (when == FT_IN_APPLY && lost) {
        //  The killed agent's command ran on and made the change; with
        //  no Hephaestus left to undo it, the report says so
        assert_true (ft_degraded (report, "could not roll back " S_ACTION));
        assert_true (toy_knob (&w, S_ACTION));
    }
    json_decref (report);
    if (fault == FT_KILL) {
        //  Restarted with its name, it is registered again
        toy_agent_start (&w, victim);
        ft_wait_registered (&w.m, name, w.agents[victim]->pid, 10000);
    }
    if (when == FT_IN_APPLY && lost) {
        //  The lost apply holds nothing up: the next cycle may change
        //  things again (it re-applies, and finds nothing changed)
        report = ft_cycle_wait (&w.m, ft_cycle_start (&w.m), S_CYCLE_MS);
        act = toy_act (report, S_ACTION);
        assert_non_null (act);
        bool kept = streq (toy_field (act, "outcome"), "kept");
        assert_true (kept || streq (toy_field (act, "outcome"), "rolled_back"));
        assert_int_equal (toy_knob (&w, S_ACTION), kept);
        json_decref (report);
    }
    assert_int_equal (ht_wait_agents (&w.m, 6, 5000), 6);
    ft_check_status ();
    toy_world_stop (&w);
}
