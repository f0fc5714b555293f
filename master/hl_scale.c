/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_scale - placement by counts. Nodes are few (tens), roles six: the
    loops are plain.
*/
#include <string.h>

#include "hl_scale.h"

static bool
s_word_ok (const char *s, size_t len)
{
    if (len == 0 || len > 63)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
              || c == '.' || c == '-'))
            return false;
    }
    return true;
}

int
hl_scale_label_ok (const char *label)
{
    const char *eq = label ? strchr (label, '=') : NULL;
    if (!eq)
        return -1;
    return s_word_ok (label, (size_t)(eq - label))
                   && s_word_ok (eq + 1, strlen (eq + 1))
               ? 0
               : -1;
}

bool
hl_scale_fits (const hl_scale_want_t *want, const hl_scale_node_t *node)
{
    if (*want->host && (!node->host || strcmp (want->host, node->host) != 0))
        return false;
    if (*want->label) {
        const char *eq = strchr (want->label, '=');
        if (!eq)
            return false;
        char key[HL_SCALE_LABEL];
        size_t klen = (size_t)(eq - want->label);
        memcpy (key, want->label, klen);
        key[klen] = 0;
        const char *v = hl_value_get_str (node->labels, key, NULL);
        if (!v || strcmp (v, eq + 1) != 0)
            return false;
    }
    return true;
}

static int
s_used (const hl_scale_node_t *node)
{
    int used = 0;
    for (int r = 0; r < HL_ROLE_COUNT; r++)
        used += node->have[r];
    return used;
}

void
hl_scale_place (const hl_scale_want_t want[HL_ROLE_COUNT],
                hl_scale_node_t *nodes, size_t n, int shortfall[HL_ROLE_COUNT])
{
    //  Nodes that do not fit a role run none of it
    for (size_t i = 0; i < n; i++)
        for (int r = 0; r < HL_ROLE_COUNT; r++)
            if (want[r].set && !hl_scale_fits (&want[r], &nodes[i]))
                nodes[i].have[r] = 0;
    //  A node over its capacity (it was lowered) sheds managed roles
    for (size_t i = 0; i < n; i++)
        while (s_used (&nodes[i]) > nodes[i].capacity) {
            int big = -1;
            for (int r = 0; r < HL_ROLE_COUNT; r++)
                if (want[r].set && nodes[i].have[r] > 0
                    && (big < 0 || nodes[i].have[r] > nodes[i].have[big]))
                    big = r;
            if (big < 0)
                break; /* what is over is not ours to stop */
            nodes[i].have[big]--;
        }
    for (int r = 0; r < HL_ROLE_COUNT; r++) {
        if (shortfall)
            shortfall[r] = 0;
        if (!want[r].set)
            continue;
        int total = 0;
        for (size_t i = 0; i < n; i++)
            total += nodes[i].have[r];
        //  The surplus goes from the nodes that run the most of it
        for (; total > want[r].count; total--) {
            size_t most = 0;
            for (size_t i = 1; i < n; i++)
                if (nodes[i].have[r] > nodes[most].have[r])
                    most = i;
            nodes[most].have[r]--;
        }
        //  What is missing goes where there is the most room
        for (; total < want[r].count; total++) {
            int best = -1, best_room = 0;
            for (size_t i = 0; i < n; i++) {
                int room = nodes[i].capacity - s_used (&nodes[i]);
                if (room <= 0 || !hl_scale_fits (&want[r], &nodes[i]))
                    continue;
                if (best < 0 || room > best_room
                    || (room == best_room
                        && nodes[i].have[r] < nodes[best].have[r])) {
                    best = (int)i;
                    best_room = room;
                }
            }
            if (best < 0)
                break;
            nodes[best].have[r]++;
        }
        if (shortfall)
            shortfall[r] = want[r].count - total;
    }
}
