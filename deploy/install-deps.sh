#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# Install the Debian packages Helios needs, and only those, if any is
# missing. Usage: install-deps.sh [build|fuzz|demo|lint|test|all]
# (default: build). test: what the tests drive besides Helios (Debian's
# chromium for the dashboard, prometheus and promtool for /metrics, ip
# from iproute2 for the fault suite's network namespaces, systemd-analyze
# from systemd to verify the units).
# Runs apt-get as root, through sudo otherwise; prints what it would run
# and fails if it can do neither.
set -eu

group=${1:-build}
build="gcc make pkg-config libczmq-dev libzmq3-dev libconfig-dev \
libjansson-dev libcmocka-dev libmicrohttpd-dev libcurl4-openssl-dev \
libsqlite3-dev libsystemd-dev"
# npm installs the dashboard's charting package (uPlot) at build time; a
# machine may have Node.js from elsewhere, so ask for Debian's only if
# there is no npm at all
command -v npm >/dev/null 2>&1 || build="$build nodejs npm"
# msgpack-c's development package was renamed after Debian 12
if apt-cache show libmsgpack-c-dev >/dev/null 2>&1; then
    build="$build libmsgpack-c-dev"
else
    build="$build libmsgpack-dev"
fi
fuzz="clang libclang-rt-dev"
demo="python3"     # deploy/demo.sh reads the master's JSON with it (make
                   # demo, and test_demo_script in make test)
lint="cppcheck clang-format"
test="chromium prometheus iproute2 systemd"

case $group in
    build) want=$build ;;
    fuzz) want=$fuzz ;;
    demo) want=$demo ;;
    lint) want=$lint ;;
    test) want=$test ;;
    all) want="$build $fuzz $demo $lint $test" ;;
    *) echo "install-deps.sh: unknown group '$group' (build|fuzz|demo|lint|test|all)" >&2
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
