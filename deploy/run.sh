#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# make run: start helios-master on deploy/helios.cfg and a helios-spy that
# shows the bus, in the foreground. Ctrl-C (or SIGTERM) stops them all.
# Usage: deploy/run.sh BIN_DIR [CONFIG]
set -u
bin=${1:-bin}
cfg=${2:-${HELIOS_CONFIG:-deploy/helios.cfg}}
pids=()

stop() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    wait 2>/dev/null
    echo "helios: stopped"
}
trap stop INT TERM EXIT

fifo=$(mktemp -u /tmp/helios-run.XXXXXX)
mkfifo "$fifo"
exec 3<>"$fifo"   # kept open: the master's stdout never sees a closed pipe
rm -f "$fifo"
"$bin/helios-master" -c "$cfg" >&3 &
pids+=($!)
if ! read -r -t 10 -u 3 ready; then
    echo "helios: the master did not come up (see above)" >&2
    exit 1
fi
echo "helios: master up: $ready"
echo "helios: watching the bus; in another terminal try:"
echo "  $bin/helios-ctl -c $cfg metric push api_response_time 123"
echo "  $bin/helios-ctl -c $cfg status"
"$bin/helios-spy" -c "$cfg" &
pids+=($!)
wait -n "${pids[@]}"
