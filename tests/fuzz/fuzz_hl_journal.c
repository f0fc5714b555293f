/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    fuzz_hl_journal - libFuzzer harness for a Hephaestus agent's journal,
    a file anyone with the folder can write: any bytes as the file (or,
    when the input starts with 'F', the rest as messages of two-byte
    lengths, framed with their right checksums so that the decoder and
    the record rules are reached) open without a crash and within the
    bounds; and whatever the journal leaves behind, written once more,
    opens again with nothing refused and nothing set aside. Group records
    are read, but no process is killed: hl_orphan is replaced here by a
    stub that finds every group gone (a fuzzed pgid must never reach
    killpg).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../agents/hl_journal.h"
#include "../../agents/hl_orphan.h"
#include "../../bus/hl_hash.h"
#include "../../bus/hl_log.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  The stub: every group is gone, none is killed
size_t
hl_orphan_kill (hl_orphan_group_t *groups, size_t n, int64_t wait_ms)
{
    (void)wait_ms;
    for (size_t i = 0; i < n; i++) {
        if (groups[i].pgid <= 1 || groups[i].pgid >= HL_ORPHAN_PID_MAX)
            abort (); //  the journal let a number never a group's through
        groups[i].fate = HL_ORPHAN_GONE;
    }
    return 0;
}

const char *
hl_orphan_fate_name (hl_orphan_fate_t fate)
{
    (void)fate;
    return "gone";
}

#define S_NAME "f"
#define S_KEEP 4

static char s_dir[] = "/tmp/fuzz_hl_journal.XXXXXX";
static char s_path[64], s_bad[64];
static const hl_journal_opts_t s_opts
    = { .keep = S_KEEP, .open_max = 2, .record_max = 512 };

//  The folder goes with the run
static void
s_cleanup (void)
{
    char tmp[80];
    snprintf (tmp, sizeof tmp, "%s.tmp", s_path);
    unlink (tmp);
    unlink (s_bad);
    unlink (s_path);
    rmdir (s_dir);
}

static void
s_init (void)
{
    if (!mkdtemp (s_dir))
        abort ();
    snprintf (s_path, sizeof s_path, "%s/" S_NAME ".journal", s_dir);
    snprintf (s_bad, sizeof s_bad, "%s.bad", s_path);
    atexit (s_cleanup);
    //  Refusals are the point; their lines are not
    hl_log_init ("fuzz", HL_LOG_ERROR, false);
}

//  The file the input stands for
static void
s_write (const uint8_t *data, size_t size)
{
    FILE *file = fopen (s_path, "wb");
    if (!file)
        abort ();
    if (size && data[0] == 'F') {
        fwrite ("HLJR\x02\0\0\0", 1, 8, file);
        size_t at = 1;
        while (at + 2 <= size) {
            size_t len = (size_t)data[at] | (size_t)data[at + 1] << 8;
            at += 2;
            if (len > size - at)
                len = size - at;
            uint8_t frame[12];
            uint64_t sum = hl_hash_bytes (data + at, len);
            for (int i = 0; i < 4; i++)
                frame[i] = (uint8_t)(len >> (8 * i));
            for (int i = 0; i < 8; i++)
                frame[4 + i] = (uint8_t)(sum >> (8 * i));
            fwrite (frame, 1, sizeof frame, file);
            fwrite (data + at, 1, len, file);
            at += len;
        }
    } else if (size)
        fwrite (data, 1, size, file);
    if (fclose (file) != 0)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!*s_path)
        s_init ();
    unlink (s_bad);
    s_write (data, size);

    hl_results_t *results = hl_results_new (S_KEEP);
    char err[256];
    hl_journal_t *journal
        = hl_journal_open (s_dir, S_NAME, &s_opts, results, err, sizeof err);
    if (!journal || hl_results_size (results) > S_KEEP)
        abort ();
    //  Every result kept reads back as one
    const uint64_t id = 0xfeedfacecafeULL;
    hl_msg_t *kept = hl_journal_result (journal, id);
    bool known = kept != NULL;
    hl_msg_destroy (&kept);
    if (!known) {
        hl_msg_t *task = hl_msg_new (HL_MSG_TASK);
        hl_msg_set_task_id (task, id);
        hl_msg_set_kind (task, "apply");
        hl_msg_set_priority (task, 1);
        hl_msg_set_attempt (task, 1);
        if (hl_journal_started (journal, task) != 0
            || hl_journal_ended (journal, id, HL_STATUS_OK, 1, NULL) != 0)
            abort ();
        hl_msg_destroy (&task);
        kept = hl_journal_result (journal, id);
        if (!kept || strcmp (hl_msg_status (kept), "ok") != 0)
            abort ();
        hl_msg_destroy (&kept);
    }
    hl_journal_destroy (&journal);
    hl_results_destroy (&results);

    results = hl_results_new (S_KEEP);
    journal
        = hl_journal_open (s_dir, S_NAME, &s_opts, results, err, sizeof err);
    if (!journal)
        abort ();
    hl_journal_stats_t stats;
    hl_journal_stats (journal, &stats);
    for (int i = 0; i < HL_JOURNAL_REASONS; i++)
        if (stats.refused[i])
            abort ();
    kept = hl_journal_result (journal, id);
    if (stats.set_aside || stats.unknown || (!known && !kept))
        abort ();
    hl_msg_destroy (&kept);
    hl_journal_destroy (&journal);
    hl_results_destroy (&results);
    return 0;
}
