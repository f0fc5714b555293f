#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# "make test" must end with its summary line: nothing may run after
# tests/run.sh. Asks make for its plan on an empty build folder, where it
# has every object to make; objects make counts as intermediate files it
# would delete after the run, and an "rm" would come last.
# Usage: tests/check-make.sh DEPS_MK (make lint passes $(DEPS_MK))
set -eu
deps=${1:-build/deps.mk}
tmp=$(mktemp -d /tmp/helios-check-make.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp "$deps" "$tmp/deps.mk" # the pkg-config answers, so none is sought
# A make of its own: not the flags, jobs or level of one that runs this
plan=$(MAKEFLAGS= MAKELEVEL= make --no-print-directory -n BUILD="$tmp" \
    BIN="$tmp/bin" test)
last=$(printf '%s\n' "$plan" | tail -1)
case $last in
    tests/run.sh\ *) echo "make test ends with its summary" ;;
    *)
        echo "check-make: make test runs something after its summary:" >&2
        echo "  $last" | cut -c1-200 >&2
        exit 1
        ;;
esac
