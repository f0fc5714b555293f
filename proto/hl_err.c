/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_err - names and explanations of the error codes.
*/
#include "hl_err.h"

static const struct {
    const char *name;
    const char *text;
} s_errors[HL_ERR_COUNT] = {
    { "ok", "success" },
    { "malformed", "malformed or truncated msgpack" },
    { "too_big", "message too big" },
    { "version", "unsupported protocol version" },
    { "root", "envelope is not a map starting with v and t" },
    { "type", "unknown message type" },
    { "missing", "required field missing" },
    { "mistyped", "field has the wrong type" },
    { "range", "field value out of range" },
    { "string", "string too long" },
    { "items", "too many items" },
    { "depth", "nesting too deep" },
    { "utf8", "invalid UTF-8 in string" },
    { "trailing", "trailing bytes after message" },
    { "frames", "wrong number of frames" },
    { "topic", "invalid topic or topic does not match type" },
    { "config", "bad configuration" },
    { "io", "input/output failure" },
    { "args", "bad arguments" },
    { "timeout", "timed out" },
    { "peer", "unknown or unwelcome peer" },
    { "unsupported", "unsupported request" },
    { "full", "a bounded store is full" },
    { "authority", "a type only the master may send" },
};

const char *
hl_strerror (int err)
{
    if (err > 0 || -err >= HL_ERR_COUNT)
        return "unknown error";
    return s_errors[-err].text;
}

const char *
hl_errname (int err)
{
    if (err > 0 || -err >= HL_ERR_COUNT)
        return "unknown";
    return s_errors[-err].name;
}
