#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# Layers point down: proto <- bus <- master, agents. Fail on an include
# that points up or sideways.
set -u
bad=0
check() { # folder, forbidden include pattern
    hits=$(grep -nE "#include +\"(\.\./)?($2)/" "$1"/*.[ch] 2>/dev/null)
    if [ -n "$hits" ]; then echo "layer violation in $1/:"; echo "$hits"; bad=1; fi
}
check proto 'bus|master|agents'
check bus 'master|agents'
check master 'agents'
check agents 'master'
grep -nE 'zsock|zmq_|czmq' proto/*.[ch] >/dev/null 2>&1 && {
    echo "proto/ must not touch sockets"; bad=1; }
[ $bad -eq 0 ] && echo "layers ok"
exit $bad
