/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    helios_ctl_bench - helios-ctl bench echo: echo tasks through the
    master, C in flight until N have ended, every payload checked on its
    way back; throughput and latency percentiles, lost, failed,
    duplicated and corrupt counted. Part of helios-ctl (helios_ctl_priv.h).
*/
#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/hl_alloc.h"
#include "../proto/hl_limits.h"
#include "helios_ctl_priv.h"
#include "hl_client.h"

#define S_EXIT_FAILED 1

static int
s_cmp_int64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/*  bench echo: keep C echo tasks in flight through the master until N
    have ended; every reply must carry the payload back unchanged. */
/*  One echo benchmark: what was asked, and what came back. */
typedef struct {
    long tasks, concurrency, payload;
    long delay_ms; /* each echo holds its agent's slot this long */
    const char *role;
    uint8_t *bytes;   /* the payload every task carries */
    int64_t *latency; /* of each completed task, us */
    long submitted, completed, failed, duplicates, outstanding, corrupt;
    double elapsed; /* seconds */
} s_bench_t;

/*  bench echo's flags into bench; 0, or the usage error's exit code. */
static int
s_bench_args (s_bench_t *bench, int argc, char **argv)
{
    if (argc < 1 || !streq (argv[0], "echo"))
        return hl_ctl_usage_error ("bench: expected 'echo'");
    bench->tasks = 1000;
    bench->concurrency = 64;
    bench->payload = 64;
    bench->role = "any";
    for (int i = 1; i < argc; i++) {
        long *target = streq (argv[i], "--tasks")         ? &bench->tasks
                       : streq (argv[i], "--concurrency") ? &bench->concurrency
                       : streq (argv[i], "--payload")     ? &bench->payload
                       : streq (argv[i], "--delay-ms")    ? &bench->delay_ms
                                                          : NULL;
        bool role = streq (argv[i], "--role");
        if (!target && !role)
            return hl_ctl_bad_word ("bench echo", argv[i]);
        if (i + 1 >= argc)
            return hl_ctl_no_value ("bench echo", argv[i]);
        if (role) {
            bench->role = argv[++i];
            continue;
        }
        char *end;
        *target = strtol (argv[++i], &end, 10);
        if (!*argv[i] || *end || *target < 0 || *target > 100000000)
            return hl_ctl_usage_error ("bench echo: %s wants a number "
                                       "0..100000000, not '%s'",
                                       argv[i - 1], argv[i]);
    }
    if (bench->tasks < 1 || bench->concurrency < 1
        || bench->payload > HL_MAX_STR / 2 || bench->delay_ms > 600000)
        return hl_ctl_usage_error ("bench echo: need --tasks >= 1, "
                                   "--concurrency >= 1, --payload <= %d, "
                                   "--delay-ms <= 600000",
                                   HL_MAX_STR / 2);
    return 0;
}

/*  Send one echo task; its envelope id, or 0. */
static uint64_t
s_bench_send (hl_client_t *client, const s_bench_t *bench)
{
    hl_value_t *args = hl_value_new_map ();
    hl_value_set_str (args, "kind", "echo");
    hl_value_set_str (args, "role", bench->role);
    hl_value_t *targs = hl_value_new_map ();
    hl_value_t *bin = hl_value_new_bin (bench->bytes, (size_t)bench->payload);
    hl_value_set (targs, "payload", &bin);
    if (bench->delay_ms > 0)
        hl_value_set_int (targs, "delay_ms", bench->delay_ms);
    hl_value_set (args, "args", &targs);
    return hl_client_send (client, "task.run", &args);
}

/*  Count one reply sent at sent_at: completed, failed or corrupt. */
static void
s_bench_reply (s_bench_t *bench, const hl_msg_t *reply, int64_t sent_at)
{
    const hl_value_t *d = hl_msg_data (reply);
    const char *status = hl_value_get_str (d, "status", "");
    size_t back_len = 0;
    const void *back = hl_value_bin (
        hl_value_get (hl_value_get (d, "data"), "payload"), &back_len);
    if (!hl_msg_ok (reply) || !streq (status, "ok"))
        bench->failed++;
    else if (back_len != (size_t)bench->payload
             || (bench->payload && memcmp (back, bench->bytes, back_len)))
        bench->corrupt++, bench->failed++;
    else
        bench->latency[bench->completed++] = zclock_usecs () - sent_at;
}

/*  Keep concurrency tasks in flight until all are answered or replies
    stop for the timeout. Returns 0, or S_EXIT_FAILED if a send failed. */
static int
s_bench_run (s_bench_t *bench, hl_client_t *client, int timeout_ms)
{
    /*  Outstanding requests: envelope id -> send time. A reply whose re
        is not outstanding is a duplicate (or a stray). */
    zhashx_t *outstanding = zhashx_new ();
    int64_t start = zclock_usecs ();
    int64_t last_progress = zclock_mono ();
    int rc = 0;
    char key[24];
    while (bench->completed + bench->failed < bench->tasks) {
        while (bench->outstanding < bench->concurrency
               && bench->submitted < bench->tasks) {
            uint64_t id = s_bench_send (client, bench);
            if (!id) {
                fprintf (stderr, "helios-ctl: bench: cannot send\n");
                rc = S_EXIT_FAILED;
                goto done;
            }
            snprintf (key, sizeof key, "%" PRIu64, id);
            zhashx_insert (outstanding, key, (void *)(intptr_t)zclock_usecs ());
            bench->submitted++;
            bench->outstanding++;
        }
        hl_msg_t *reply = NULL;
        if (hl_client_recv (client, 1000, &reply)) {
            if (zclock_mono () - last_progress > timeout_ms)
                break; /* the rest are lost */
            continue;
        }
        last_progress = zclock_mono ();
        snprintf (key, sizeof key, "%" PRIu64, hl_msg_re (reply));
        int64_t sent_at = (int64_t)(intptr_t)zhashx_lookup (outstanding, key);
        if (!sent_at)
            bench->duplicates++;
        else {
            zhashx_delete (outstanding, key);
            bench->outstanding--;
            s_bench_reply (bench, reply, sent_at);
        }
        hl_msg_destroy (&reply);
    }
done:
    bench->elapsed = (double)(zclock_usecs () - start) / 1e6;
    zhashx_destroy (&outstanding);
    return rc;
}

static void
s_bench_print (s_bench_t *bench, bool json)
{
    long completed = bench->completed;
    qsort (bench->latency, (size_t)completed, sizeof (int64_t), s_cmp_int64);
    int64_t p50 = completed ? bench->latency[completed / 2] : 0;
    int64_t p99 = completed ? bench->latency[(completed * 99) / 100] : 0;
    long lost = bench->tasks - completed - bench->failed;
    double rate = completed / bench->elapsed;
    if (json)
        printf ("{\"tasks\": %ld, \"concurrency\": %ld, \"payload\": %ld, "
                "\"completed\": %ld, \"failed\": %ld, \"corrupt\": %ld, "
                "\"duplicates\": %ld, \"lost\": %ld, \"elapsed_s\": %.3f, "
                "\"tasks_per_s\": %.1f, \"p50_us\": %" PRId64
                ", \"p99_us\": %" PRId64 "}\n",
                bench->tasks, bench->concurrency, bench->payload, completed,
                bench->failed, bench->corrupt, bench->duplicates, lost,
                bench->elapsed, rate, p50, p99);
    else
        printf ("echo: %ld tasks, concurrency %ld, payload %ld B\n"
                "completed %ld  failed %ld  duplicates %ld  lost %ld\n"
                "%.1f tasks/s  p50 %" PRId64 " us  p99 %" PRId64 " us\n",
                bench->tasks, bench->concurrency, bench->payload, completed,
                bench->failed, bench->duplicates, lost, rate, p50, p99);
}

int
hl_ctl_cmd_bench (const hl_ctl_opts_t *opts, int argc, char **argv)
{
    s_bench_t bench;
    memset (&bench, 0, sizeof bench);
    int rc = s_bench_args (&bench, argc, argv);
    if (rc)
        return rc;
    char src[HL_MAX_NAME + 1];
    snprintf (src, sizeof src, "ctl-bench@%d", (int)getpid ());
    hl_client_t *client = hl_client_new (opts->endpoint, src);
    if (!client) {
        fprintf (stderr, "helios-ctl: bench: cannot connect to '%s'\n",
                 opts->endpoint);
        return S_EXIT_FAILED;
    }
    bench.bytes = (uint8_t *)hl_alloc ((size_t)bench.payload + 1);
    for (long i = 0; i < bench.payload; i++)
        bench.bytes[i] = (uint8_t)('a' + i % 26);
    bench.latency
        = (int64_t *)hl_calloc ((size_t)bench.tasks, sizeof (int64_t));
    rc = s_bench_run (&bench, client, opts->timeout_ms);
    s_bench_print (&bench, opts->json);
    long lost = bench.tasks - bench.completed - bench.failed;
    if (!rc && (bench.failed || lost || bench.duplicates))
        rc = S_EXIT_FAILED;
    free (bench.bytes);
    free (bench.latency);
    hl_client_destroy (&client);
    return rc;
}

/*  keygen NAME [--dir DIR]: no master, no config. */
