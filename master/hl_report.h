/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_report - what a run leaves behind: the report value (the JSON a
    client gets from `report` and `run --wait`, and the cycle.finished
    event carries), its Markdown rendering, the two files under
    state_dir/reports, and the one-line summary `cycles` lists. Times are
    ISO 8601 in UTC. A new report section goes here: in hl_report_new for
    the value, in hl_report_markdown for the page.
*/
#ifndef HL_REPORT_H
#define HL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/hl_value.h"
#include "hl_run.h"

/*  Format us (microseconds since the epoch) as ISO 8601 UTC with
    milliseconds, "2026-12-06T01:21:14.123Z", into buf. */
void hl_report_time (int64_t us, char *buf, size_t size);

/*  A health score with one decimal into buf, or "-" when there is none
    (NAN: no metric had data). */
void hl_report_score (double score, char *buf, size_t size);

/*  The report of a finished run (caller owns): {id, kind, master,
    started, finished, health_before, health_after, degraded,
    [emergency], actions, health_detail_before, health_detail_after,
    analysis, candidates, learning, [plan]}. src names the master;
    learning (may be NULL) is copied in. */
hl_value_t *hl_report_new (const hl_run_t *run, const char *src,
                           const hl_value_t *learning);

/*  One line for lists (caller owns): {id, kind, phase, started, finished
    (null while running), health_before, health_after, actions, kept,
    rolled_back, failed, degraded}. */
hl_value_t *hl_report_summary (const hl_run_t *run);

/*  Log the one line a person can follow when a run is done (or, for an
    emergency's last round, when the emergency ended): health before and
    after, what was kept, what was undone and why. */
void hl_report_log (const hl_run_t *run);

/*  Render a report value as Markdown; the caller frees the string. */
char *hl_report_markdown (const hl_value_t *report);

/*  Write <kind>-<id>.json and .md into dir, each through a temporary
    file and a rename, so a reader never sees half a report. Returns 0,
    or -1 (logged) if either could not be written. */
int hl_report_save (const char *dir, const hl_value_t *report);

/*  The two files hl_report_save writes for report, into json_path and
    md_path (each size bytes). */
void hl_report_paths (const char *dir, const hl_value_t *report,
                      char *json_path, char *md_path, size_t size);

/*  A report read back from its JSON file, or NULL (logged) when it is
    missing, over HL_REPORT_FILE_MAX or not a report. */
#define HL_REPORT_FILE_MAX (16 * 1024 * 1024)
hl_value_t *hl_report_load (const char *path);

#endif
