/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_http_assets - the dashboard's files, embedded in the master at
    build time (deploy/dashboard/embed.sh writes the table from the page,
    its script and style, and uPlot as npm installed it), so that nothing
    is read from disk or fetched at run time.
*/
#ifndef HL_HTTP_ASSETS_H
#define HL_HTTP_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path; /* "/index.html" */
    const char *type; /* its Content-Type */
    const unsigned char *data;
    size_t size;
} hl_http_asset_t;

/*  The files, ended by an entry whose path is NULL. */
extern const hl_http_asset_t hl_http_assets[];

#endif
