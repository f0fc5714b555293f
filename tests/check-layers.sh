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
# Socket code, not the word: a comment may name czmq.
sockets='#include *[<"](czmq|zmq)\.h[>"]|\<(zsock|zmq|zframe|zmsg|zpoller|zloop)_'
hits=$(grep -nE "$sockets" proto/*.[ch] 2>/dev/null)
if [ -n "$hits" ]; then
    echo "proto/ must not touch sockets:"; echo "$hits"; bad=1
fi
[ $bad -eq 0 ] && echo "layers ok"
exit $bad
