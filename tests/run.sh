#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# Run cmocka test binaries, show their output, and end with one line
# "N passed, N failed" counting test cases over every suite (and every
# group of a suite: a binary may run several). A binary that dies before
# its summary, or fails without one saying so, counts as one failed case.
# Each suite's time follows its output ("-- test_x: 12 s").
# Usage: tests/run.sh BUILD_DIR BIN_DIR TEST...
set -u
build=$1; bindir=$2; shift 2
HELIOS_BIN=$(cd "$bindir" 2>/dev/null && pwd || echo "$bindir")
export HELIOS_BIN
export CMOCKA_MESSAGE_OUTPUT=stdout
passed=0; failed=0; broken=
for t in "$@"; do
    log="$build/tests/$(basename "$t").log"
    mkdir -p "$(dirname "$log")"
    start=$(date +%s)
    "$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    echo "-- $(basename "$t"): $(( $(date +%s) - start )) s"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" |
        awk '{ n += $1 } END { print n + 0 }')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" |
        awk '{ n += $1 } END { print n + 0 }')
    if [ -z "$(grep -E '^\[  (PASSED|FAILED)  \] [0-9]+ test' "$log")" ] \
        || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
        echo "** $(basename "$t") exited $rc without a complete summary"
        f=$((f + 1))
    fi
    [ "$f" -gt 0 ] && broken="$broken $(basename "$t")"
    passed=$((passed + p)); failed=$((failed + f))
done
[ -n "$broken" ] && echo "failing suites:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
