#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# The packaging, as a packager and systemd see it: "make install
# PREFIX=/usr DESTDIR=tmp" lays out the expected tree (man pages
# without groff warnings); a changed
# /etc/helios/helios.cfg survives install and uninstall; uninstall leaves
# no file of ours; and "systemd-analyze verify" passes every unit with the
# paths make install gave it (helios-agent@ as ROLE and ROLE.NAME, whose
# split is run too). Exits 0, 1 with what failed, or 77 when
# systemd-analyze cannot verify here (not installed, or no manager can
# start in this container). test_systemd runs it in make test.
# Usage: tests/check-systemd.sh [BIN_DIR] (default $HELIOS_BIN, else bin)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-${HELIOS_BIN:-$root/bin}}" && pwd) || exit 1
# The build folder the binaries came from: bin/ is build/'s, a
# sanitizer's build-*/bin is its own
case $bin in
    "$root/bin") build=build ;;
    *) build=$(dirname "$bin") ;;
esac
tmp=$(mktemp -d /tmp/helios-check-systemd.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
bad=0
fail() { echo "check-systemd: $*"; bad=1; }

# A make of its own: not the flags, jobs or level of one that runs this
mk() {
    MAKEFLAGS= MAKELEVEL= make -C "$root" --no-print-directory -s \
        BUILD="$build" BIN="$bin" PREFIX=/usr DESTDIR="$dest" "$@" \
        >"$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; return 1; }
}

# ---- make install ------------------------------------------------------
mk install || { echo "check-systemd: make install failed"; exit 1; }
want() { # mode path...
    mode=$1; shift
    for f in "$@"; do
        if [ ! -f "$dest$f" ]; then
            fail "make install: no $f"
        elif [ "$(stat -c %a "$dest$f")" != "$mode" ]; then
            fail "make install: $f is mode $(stat -c %a "$dest$f"), not $mode"
        fi
    done
}
want 755 /usr/bin/helios-master /usr/bin/helios-agent /usr/bin/helios-ctl \
    /usr/bin/helios-spy
want 644 /usr/lib/systemd/system/helios-master.service \
    /usr/lib/systemd/system/helios-node.service \
    /usr/lib/systemd/system/helios-agent@.service \
    /usr/lib/sysusers.d/helios.conf /etc/helios/helios.cfg \
    /usr/share/helios/helios.cfg /usr/share/doc/helios/README.md \
    /usr/share/doc/helios/deploy.md /usr/share/doc/helios/security.md
for m in "$root"/docs/man/*.1; do
    want 644 "/usr/share/man/man1/$(basename "$m")"
    # groff's warnings are a page's faults (when it is here to say)
    if command -v groff >/dev/null 2>&1; then
        out=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$m" 2>&1)
        [ -z "$out" ] || fail "$(basename "$m"): $out"
    fi
done
grep -q '^ *state_dir = "/var/lib/helios";' "$dest/etc/helios/helios.cfg" ||
    fail "/etc/helios/helios.cfg: state_dir is not /var/lib/helios"
grep -q '^u helios ' "$dest/usr/lib/sysusers.d/helios.conf" ||
    fail "sysusers.d/helios.conf: no helios user"

# A config the user changed is kept, by install and by uninstall
echo '# changed' >>"$dest/etc/helios/helios.cfg"
mk install || fail "make install over an install failed"
tail -1 "$dest/etc/helios/helios.cfg" | grep -q '^# changed' ||
    fail "make install overwrote a changed /etc/helios/helios.cfg"
[ -f "$dest/etc/helios/helios.cfg.new" ] ||
    fail "make install: no helios.cfg.new beside a changed helios.cfg"

# ---- systemd-analyze verify ----------------------------------------------
# The units as installed, their programs pointed into DESTDIR, each alone
# (verify stops at the first unit it cannot load); helios-agent@ as two
# instances. helios-node may not be built yet: a stand-in then, so that
# its unit is checked all the same.
verify_units() {
    vdir=$tmp/verify
    mkdir -p "$vdir"
    for u in helios-master.service helios-node.service \
        helios-agent@.service; do
        sed "s|/usr/bin/|$dest/usr/bin/|g" \
            "$dest/usr/lib/systemd/system/$u" >"$vdir/$u"
    done
    cp "$vdir/helios-agent@.service" "$vdir/helios-agent@athena-api.service"
    cp "$vdir/helios-agent@.service" \
        "$vdir/helios-agent@hephaestus-backend.web1.service"
    if [ ! -x "$dest/usr/bin/helios-node" ]; then
        echo "check-systemd: helios-node is not built: its unit is" \
            "verified against a stand-in"
        printf '#!/bin/sh\n' >"$dest/usr/bin/helios-node"
        chmod 0755 "$dest/usr/bin/helios-node"
        standin=1
    fi
    for u in helios-master.service helios-node.service \
        helios-agent@athena-api.service \
        helios-agent@hephaestus-backend.web1.service; do
        # A libseccomp older than systemd's syscall lists is no fault of ours
        out=$(cd "$vdir" && systemd-analyze verify --man=no "$u" 2>&1 |
            grep -v 'Failed to parse system call, ignoring')
        [ -z "$out" ] || fail "systemd-analyze verify $u: $out"
    done
}

# Whether verify can run here at all: a unit with nothing to fault
can_verify() {
    command -v systemd-analyze >/dev/null 2>&1 || {
        why="systemd-analyze is not installed (deploy/install-deps.sh test)"
        return 1
    }
    mkdir -p "$tmp/probe"
    printf '[Service]\nExecStart=/bin/true\n' >"$tmp/probe/probe.service"
    out=$(cd "$tmp/probe" && systemd-analyze verify --man=no \
        probe.service 2>&1) || {
        why="systemd-analyze verify cannot run here: $out"
        return 1
    }
}

verified=0
standin=0
if can_verify; then
    verify_units
    verified=1
else
    echo "check-systemd: SKIPPED the unit checks: $why"
fi

# ---- helios-agent@'s instance split --------------------------------------
# Its ExecStart as systemd would run it (%% and $$ unescaped, %i put in),
# with a stand-in helios-agent that prints its arguments
line=$(sed -n 's/^ExecStart=//p' \
    "$dest/usr/lib/systemd/system/helios-agent@.service")
printf '#!/bin/sh\nfor a; do printf "[%%s]" "$a"; done\necho\n' \
    >"$tmp/agent-args"
chmod 0755 "$tmp/agent-args"
split() { # instance, args expected
    cmd=$(printf '%s\n' "$line" |
        sed -e "s|/usr/bin/helios-agent|$tmp/agent-args|" \
            -e 's/%i/'"$1"'/g' -e 's/%%/%/g' -e 's/\$\$/$/g')
    got=$(eval "HELIOS_AGENT_ARGS='--capacity 2' $cmd")
    [ "$got" = "$2" ] || fail "helios-agent@$1: ran with $got, want $2"
}
split athena-api \
    '[-c][/etc/helios/helios.cfg][--role][athena-api][--capacity][2]'
split hephaestus-backend.web1 \
    '[-c][/etc/helios/helios.cfg][--role][hephaestus-backend][--name][web1][--capacity][2]'
split hephaestus-backend.web1.eu \
    '[-c][/etc/helios/helios.cfg][--role][hephaestus-backend][--name][web1.eu][--capacity][2]'

# ---- make uninstall --------------------------------------------------------
[ $standin -eq 1 ] && rm -f "$dest/usr/bin/helios-node"
mk uninstall || fail "make uninstall failed"
left=$(cd "$dest" && find . -type f | sort)
[ "$left" = "./etc/helios/helios.cfg" ] ||
    fail "make uninstall left other than the changed config: $left"
rm -f "$dest/etc/helios/helios.cfg"
mk install && mk uninstall || fail "make install, uninstall failed"
left=$(cd "$dest" && find . -type f | sort)
[ -z "$left" ] || fail "make uninstall left: $left"

[ $bad -eq 0 ] || exit 1
if [ $verified -eq 0 ]; then
    echo "check-systemd: install ok, units not verified"
    exit 77
fi
echo "check-systemd: install, uninstall and units ok"
