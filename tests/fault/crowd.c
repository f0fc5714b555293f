/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    crowd - the fault suite's crowd case: a real helios-master with many
    agents connected and heartbeating (a swarm played by this process),
    and one real helios-agent answering echo tasks beside them. What must
    hold: every agent is welcomed and none expires, the master answers
    status throughout, and echo tasks are all answered, none lost or
    duplicated, with the crowd as without it. The master's CPU and the
    echo p99 with and without the crowd are printed; targets on them are
    make bench's (bench_heartbeat), not a test's.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>

#include "fault.h"
#include "../integration/swarm.h"

//  The echo agent's role; the crowd takes the other five
static const char *s_crowd_roles[]
    = { "prometheus-frontend", "prometheus-backend", "hephaestus-frontend",
        "hephaestus-backend", "athena-ux" };
#define S_ECHO_ROLE "athena-api"
#define S_ECHO_TASKS "1000"

//  No cycle runs: the agents only heartbeat, and echo tasks pass
static const char *s_extra = "cycle = { duration = 3600; };\n";

/*  One echo run of S_ECHO_TASKS, one in flight: its p99 in us. Fails the
    test if any task failed, was lost or came back twice. */
static int64_t
s_echo_p99 (const ht_master_t *m)
{
    char out[4096];
    int rc = ht_ctl (m, out, sizeof out, "--json", "bench", "echo", "--tasks",
                     S_ECHO_TASKS, "--concurrency", "1", "--role", S_ECHO_ROLE,
                     NULL);
    json_t *j = json_loads (out, 0, NULL);
    if (rc || !j)
        fail_msg ("bench echo failed (%d): %s", rc, out);
    assert_int_equal (json_integer_value (json_object_get (j, "completed")),
                      atoi (S_ECHO_TASKS));
    assert_int_equal (json_integer_value (json_object_get (j, "lost")), 0);
    assert_int_equal (json_integer_value (json_object_get (j, "duplicates")),
                      0);
    int64_t p99 = json_integer_value (json_object_get (j, "p99_us"));
    json_decref (j);
    return p99;
}

/*  Wait until the master counts n live agents (status, not the list of
    agents: with a crowd, that is a long reply). */
static void
s_wait_live (const ht_master_t *m, long n, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    int64_t live;
    while ((live = ft_stat (m, "tasks", "agents")) < n) {
        if (zclock_mono () >= deadline)
            fail_msg ("%" PRId64 " agents live, not %ld", live, n);
        zclock_sleep (50);
    }
}

/*  The master's CPU over seconds, as a share of one core. */
static double
s_cpu_share (pid_t pid, int seconds)
{
    double c0 = ht_cpu_seconds (pid);
    int64_t t0 = zclock_usecs ();
    zclock_sleep (seconds * 1000);
    double c1 = ht_cpu_seconds (pid);
    assert_true (c0 >= 0 && c1 >= 0);
    return (c1 - c0) / ((double)(zclock_usecs () - t0) / 1e6);
}

void
ft_crowd_limits (long agents)
{
    //  HT_PIN=1: the crowd on a CPU of its own, as it stands for
    //  machines of its own (on two cores this helped, or hurt, the p99)
    if (getenv ("HT_PIN"))
        ht_swarm_pin ();
    if (!ht_swarm_limits (agents))
        fprintf (stderr,
                 "crowd: cannot raise the descriptor limit for %ld "
                 "agents\n",
                 agents);
}

void
ft_crowd (long agents, int seconds)
{
    ht_master_t m;
    assert_true (ht_master_start (&m, NULL, s_extra));
    ht_proc_t *echo = ht_agent_start (&m, S_ECHO_ROLE, NULL);
    assert_non_null (echo);
    s_wait_live (&m, 1, 10000);
    pid_t pid = m.proc->pid;

    int64_t p99_alone = s_echo_p99 (&m);
    double idle = s_cpu_share (pid, seconds);

    ht_swarm_t *swarm
        = ht_swarm_start (m.tasks, agents, s_crowd_roles,
                          sizeof s_crowd_roles / sizeof s_crowd_roles[0]);
    assert_non_null (swarm);
    int64_t t0 = zclock_mono ();
    assert_true (ht_swarm_wait_welcomed (swarm, 180000));
    int64_t joined_ms = zclock_mono () - t0;
    s_wait_live (&m, agents + 1, 30000);
    double busy = s_cpu_share (pid, seconds);
    int64_t p99_crowd = s_echo_p99 (&m);

    //  Nobody expired, and the master still counts every one
    assert_int_equal (ft_stat (&m, "tasks", "agents"), agents + 1);
    assert_int_equal (ft_stat (&m, "tasks", "agents_expired"), 0);
    ht_swarm_stats_t st;
    ht_swarm_stats (swarm, &st);
    assert_int_equal (st.unknown, 0);
    assert_int_equal (st.refused, 0);
    ft_check_status ();
    printf ("crowd: %ld agents welcomed in %.1f s, heartbeat %d ms\n"
            "crowd: master %.2f%% of a core idle, %.2f%% with the crowd "
            "(%.0f heartbeats/s sent)\n"
            "crowd: echo p99 %" PRId64 " us alone, %" PRId64
            " us with the crowd (x%.2f)\n",
            agents, (double)joined_ms / 1000, st.heartbeat_ms, idle * 100,
            busy * 100, (double)agents * 1000 / st.heartbeat_ms, p99_alone,
            p99_crowd, p99_alone ? (double)p99_crowd / (double)p99_alone : 0);
    ht_swarm_stop (&swarm);
    assert_int_equal (ht_stop (&echo, 5000), 0);
    ht_master_stop (&m);
}
