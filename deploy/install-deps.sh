#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# Install the Debian packages Helios needs, and only those, if any is
# missing. Usage: install-deps.sh [build|fuzz|demo|lint|all]
# (default: build)
# Runs apt-get as root, through sudo otherwise; prints what it would run
# and fails if it can do neither.
set -eu

group=${1:-build}
build="gcc make pkg-config libczmq-dev libzmq3-dev libconfig-dev \
libjansson-dev libcmocka-dev libcurl4-openssl-dev"
# msgpack-c's development package was renamed after Debian 12
if apt-cache show libmsgpack-c-dev >/dev/null 2>&1; then
    build="$build libmsgpack-c-dev"
else
    build="$build libmsgpack-dev"
fi
fuzz="clang libclang-rt-dev"
demo="python3"     # deploy/demo.sh reads the master's JSON with it
lint="cppcheck clang-format"

case $group in
    build) want=$build ;;
    fuzz) want=$fuzz ;;
    demo) want=$demo ;;
    lint) want=$lint ;;
    all) want="$build $fuzz $demo $lint" ;;
    *) echo "install-deps.sh: unknown group '$group' (build|fuzz|demo|lint|all)" >&2
       exit 2 ;;
esac

missing=
for pkg in $want; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case $status in
        *" installed") ;;
        *) missing="$missing $pkg" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "install-deps.sh: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    sudo=
elif command -v sudo >/dev/null 2>&1; then
    sudo=sudo
else
    echo "install-deps.sh: not root and no sudo; run as root:" >&2
    echo "  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
