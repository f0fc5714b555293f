/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_args - the arguments of every control operation, as one table, and
    the check every request passes before its operation runs: a missing,
    mistyped, out-of-range or unknown argument is refused with a named
    error, never defaulted or wrapped (design §7).
*/
#ifndef HL_ARGS_H
#define HL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/hl_value.h"

#define HL_ARGS_AUDIT_MAX 1000 /* audit records in one reply */

typedef enum {
    HL_ARG_STR,  /* a string of min..max bytes, parse() >= 0 if given */
    HL_ARG_INT,  /* an integer in min..max: never a float, never wrapped */
    HL_ARG_NUM,  /* a finite number, integer or float */
    HL_ARG_BOOL, /* true or false */
    HL_ARG_MAP   /* a map */
} hl_arg_type_t;

typedef struct {
    const char *key;
    hl_arg_type_t type;
    bool required;
    int64_t min, max;            /* INT: range; STR: length in bytes */
    int (*parse) (const char *); /* STR: < 0 refuses the string */
    const char *what;            /* STR with parse: what it accepts */
} hl_arg_spec_t;

/*  Check args (a map or NULL: none) of a request for op against op's
    table. Returns 0, or a negative hl_err_t with error set to "op: why
    [errname]": HL_ERR_UNSUPPORTED (no such op), HL_ERR_MISTYPED (args or
    an argument of the wrong type), HL_ERR_MISSING, HL_ERR_RANGE (a
    number, a string's length or name out of bounds), HL_ERR_ARGS (an
    argument op does not take). */
int hl_args_check (const char *op, const hl_value_t *args, char *error,
                   size_t errsize);

/*  The table of op (borrowed) and its size in *count_p, or NULL for an
    op that does not exist. */
const hl_arg_spec_t *hl_args_specs (const char *op, size_t *count_p);

/*  Whether op changes something (a run, a task, a pause...), so that a
    repeat of its request must not run it again; false for the ops that
    only read, and for unknown ones. */
bool hl_args_changes (const char *op);

/*  The name of operation i, or NULL past the last: every op has a table. */
const char *hl_args_op_at (size_t i);

#endif
