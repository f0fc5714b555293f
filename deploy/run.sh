#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# The local launcher: a helios-master, N helios-agents of each of the six
# roles, and (unless --no-spy) a helios-spy showing the bus, all in the
# foreground. Ctrl-C or SIGTERM stops them all: agents first, so that
# they drain and say bye, then the master.
#
# Usage: deploy/run.sh [-b BIN_DIR] [-c CONFIG] [-n AGENTS_PER_ROLE]
#                      [--topic PREFIX]... [--no-spy]
set -u
bin=bin
cfg=${HELIOS_CONFIG:-deploy/helios.cfg}
per_role=1
spy=1
topics=()
roles=(prometheus-frontend prometheus-backend hephaestus-frontend
       hephaestus-backend athena-ux athena-api)

usage() { sed -n '3,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case $1 in
        -b) bin=${2:?}; shift 2 ;;
        -c) cfg=${2:?}; shift 2 ;;
        -n) per_role=${2:?}; shift 2 ;;
        --topic) topics+=(--topic "${2:?}"); shift 2 ;;
        --no-spy) spy=0; shift ;;
        -h|--help) usage 0 ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage 2 ;;
    esac
done
case $per_role in
    ''|*[!0-9]*) echo "run.sh: -n wants a number" >&2; exit 2 ;;
esac

master_pid=
agent_pids=()
spy_pid=
stop() {
    trap - INT TERM EXIT
    [ -n "$spy_pid" ] && kill -TERM "$spy_pid" 2>/dev/null
    for pid in "${agent_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${agent_pids[@]}"; do wait "$pid" 2>/dev/null; done
    [ -n "$master_pid" ] && kill -TERM "$master_pid" 2>/dev/null
    wait 2>/dev/null
    echo "helios: stopped"
    exit 0
}
trap stop INT TERM EXIT

fifo=$(mktemp -u /tmp/helios-run.XXXXXX)
mkfifo "$fifo"
exec 3<>"$fifo"   # kept open: the master's stdout never sees a closed pipe
rm -f "$fifo"
"$bin/helios-master" -c "$cfg" >&3 &
master_pid=$!
if ! read -r -t 10 -u 3 ready; then
    echo "helios: the master did not come up (see above)" >&2
    exit 1
fi
echo "helios: master up: $ready"
tasks=${ready#READY }
tasks=${tasks%% *}

# The spy first, so that it sees the agents join.
if [ "$spy" = 1 ]; then
    "$bin/helios-spy" -c "$cfg" "${topics[@]}" &
    spy_pid=$!
fi
for role in "${roles[@]}"; do
    for ((i = 1; i <= per_role; i++)); do
        "$bin/helios-agent" -c "$cfg" --master "$tasks" --role "$role" &
        agent_pids+=($!)
    done
done
echo "helios: started ${#agent_pids[@]} agents ($per_role per role)"
echo "helios: in another terminal try:"
echo "  $bin/helios-ctl -c $cfg agents"
echo "  $bin/helios-ctl -c $cfg bench echo --tasks 10000"
echo "  $bin/helios-ctl -c $cfg metric push api_response_time 123"
# Until Ctrl-C, or until the master dies.
wait "$master_pid"
echo "helios: the master exited" >&2
exit 1
