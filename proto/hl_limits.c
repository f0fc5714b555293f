/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_limits - the compiled-in ceilings and their clamping.
*/
#include "hl_limits.h"

void
hl_limits_default (hl_limits_t *limits)
{
    limits->max_msg_size = HL_MSG_MAX_SIZE;
    limits->max_str = HL_MAX_STR;
    limits->max_items = HL_MAX_ITEMS;
    limits->max_depth = HL_MAX_DEPTH;
}

static size_t
s_clamp (size_t value, size_t ceiling)
{
    return value == 0 || value > ceiling ? ceiling : value;
}

void
hl_limits_lower (hl_limits_t *limits)
{
    limits->max_msg_size = s_clamp (limits->max_msg_size, HL_MSG_MAX_SIZE);
    limits->max_str = s_clamp (limits->max_str, HL_MAX_STR);
    limits->max_items = s_clamp (limits->max_items, HL_MAX_ITEMS);
    limits->max_depth = s_clamp (limits->max_depth, HL_MAX_DEPTH);
}
