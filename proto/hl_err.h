/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_err - the error codes every Helios layer returns, and their text.
    Functions return 0 on success or a negative hl_err_t.
*/
#ifndef HL_ERR_H
#define HL_ERR_H

typedef enum {
    HL_OK = 0,
    HL_ERR_MALFORMED = -1,    /* not msgpack, or truncated */
    HL_ERR_TOO_BIG = -2,      /* message over the size limit */
    HL_ERR_VERSION = -3,      /* envelope version is not ours */
    HL_ERR_ROOT = -4,         /* envelope is not a map starting with v, t */
    HL_ERR_TYPE = -5,         /* unknown message type */
    HL_ERR_MISSING = -6,      /* a required field is absent */
    HL_ERR_MISTYPED = -7,     /* a field has the wrong msgpack type */
    HL_ERR_RANGE = -8,        /* a field's value is out of its range */
    HL_ERR_STRING = -9,       /* a string or bin is longer than allowed */
    HL_ERR_ITEMS = -10,       /* an array or map has too many entries */
    HL_ERR_DEPTH = -11,       /* nesting deeper than allowed */
    HL_ERR_UTF8 = -12,        /* a string is not valid UTF-8 */
    HL_ERR_TRAILING = -13,    /* bytes left after the envelope */
    HL_ERR_FRAMES = -14,      /* wrong number of frames */
    HL_ERR_TOPIC = -15,       /* bus topic invalid or not matching the type */
    HL_ERR_CONFIG = -16,      /* bad configuration */
    HL_ERR_IO = -17,          /* a file or socket operation failed */
    HL_ERR_ARGS = -18,        /* bad arguments from a caller or a peer */
    HL_ERR_TIMEOUT = -19,     /* a deadline passed */
    HL_ERR_PEER = -20,        /* unknown or unwelcome peer */
    HL_ERR_UNSUPPORTED = -21, /* a valid request we do not serve */
    HL_ERR_FULL = -22,        /* a store or budget bounded in bytes or
                                 count is full */
    HL_ERR_AUTHORITY = -23    /* a type only the master may send */
} hl_err_t;

#define HL_ERR_COUNT 24 /* number of codes, HL_OK included */

/*  Return a one-line English explanation of err; never NULL. */
const char *hl_strerror (int err);

/*  Return a short stable name for err, e.g. "malformed", for counters and
    JSON; never NULL. */
const char *hl_errname (int err);

#endif
