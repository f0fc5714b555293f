#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# The local launcher: a helios-master, N helios-agents of each of the six
# roles and the demo service helios-demo (unless --no-demo, when Helios
# watches your own service), all in the foreground; the master's log shows
# each cycle as it ends (health before and after, what was kept and what
# was rolled back). --spy adds a helios-spy on the bus. Ctrl-C or SIGTERM
# stops them all: agents first, so that they drain and say bye, and exits
# 0. A program that cannot start (the master's port is taken...) or a
# master that dies stops the rest too, and run.sh exits 1 after saying so.
#
# Usage: deploy/run.sh [-b BIN_DIR] [-c CONFIG] [-n AGENTS_PER_ROLE]
#                      [--no-demo] [--spy] [--topic PREFIX]...
set -u
bin=bin
cfg=${HELIOS_CONFIG:-deploy/helios.cfg}
config_from_env=${HELIOS_CONFIG:+1}
per_role=1
demo=1
spy=0
topics=()
roles=(prometheus-frontend prometheus-backend hephaestus-frontend
       hephaestus-backend athena-ux athena-api)

usage() {
    cat <<'EOF'
usage: deploy/run.sh [-b BIN_DIR] [-c CONFIG] [-n AGENTS_PER_ROLE]
                     [--no-demo] [--spy] [--topic PREFIX]...

Starts Helios in the foreground: a helios-master on CONFIG, N helios-agents
of each of the six roles, and helios-demo, the simulated chat service Helios
optimises (unless --no-demo: then Helios watches your own service). The
master's log shows each cycle as it ends. Ctrl-C stops them all and exits 0;
if a program cannot start, or the master dies, the rest are stopped and it
exits 1.

  -b BIN_DIR        the Helios binaries (default: bin)
  -c CONFIG         the configuration (default: $HELIOS_CONFIG, else
                    deploy/helios.cfg)
  -n N              agents per role (default 1)
  --no-demo         leave helios-demo out, to watch your own service
  --spy             add a helios-spy that prints the bus as JSON lines
  --topic PREFIX    what the spy prints (repeatable; implies --spy)
  -h, --help        this help
EOF
}
# One wording for a usage error, as every Helios program has it; exit 2.
usage_error() { echo "run.sh: $* (try --help)" >&2; exit 2; }
# Option $1 needs a value: $2 is how many words are left, itself included.
need() { [ "$2" -ge 2 ] || usage_error "option '$1' needs a value"; }
while [ $# -gt 0 ]; do
    case $1 in
        -b) need "$1" $#; bin=$2; shift 2 ;;
        -c) need "$1" $#; cfg=$2; shift 2 ;;
        -n) need "$1" $#; per_role=$2; shift 2 ;;
        --no-demo) demo=0; shift ;;
        --spy) spy=1; shift ;;
        --topic) need "$1" $#; spy=1; topics+=(--topic "$2"); shift 2 ;;
        -h|--help) usage; exit 0 ;;
        -?*) usage_error "unknown option '$1'" ;;
        *) usage_error "unexpected argument '$1'" ;;
    esac
done
case $per_role in
    ''|*[!0-9]*) usage_error "-n wants a number, not '$per_role'" ;;
esac
# The agents' commands (helios-demo set ...) find the binaries on the PATH
# and the configuration through HELIOS_CONFIG.
bin=$(cd "$bin" && pwd) || exit 1
cfg=$(cd "$(dirname "$cfg")" && pwd)/$(basename "$cfg")
export PATH="$bin:$PATH" HELIOS_CONFIG="$cfg"

pids=()
agent_pids=()
# Stop everything started, and exit with status $1: 0 when asked to stop,
# the script's own status when it ends by itself.
stop() {
    local rc=$1
    trap - INT TERM EXIT
    for pid in "${agent_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${agent_pids[@]}"; do wait "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    wait 2>/dev/null
    echo "helios: stopped"
    exit "$rc"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

# Start a program whose first stdout line is "READY ...", on a FIFO held
# open on file descriptor FD for as long as we run (so the program never
# writes into a closed pipe), and wait up to 15 s for that line. The FIFO
# never ends (we hold it open), so the wait looks five times a second
# whether the program is still there: one that fails at once (its reason
# is on stderr, above) is reported at once.
ready=
start_ready() {
    local fd=$1 fifo pid part= line= waited=0 rc
    shift
    fifo=$(mktemp -u /tmp/helios-run.XXXXXX)
    mkfifo "$fifo"
    eval "exec $fd<>\"\$fifo\""
    rm -f "$fifo"
    "$@" >&"$fd" &
    pid=$!
    pids+=("$pid")
    until IFS= read -r -t 0.2 -u "$fd" part; do
        line+=$part # a timed-out read keeps what it got of the line
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            rc=$?
            echo "helios: $1 could not start (exit status $rc)" >&2
            exit 1
        fi
        waited=$((waited + 1))
        if [ "$waited" -ge 75 ]; then
            echo "helios: $1 did not come up within 15 s (see above)" >&2
            exit 1
        fi
    done
    ready=$line$part
}

start_ready 3 "$bin/helios-master" -c "$cfg"
master_pid=${pids[0]}
echo "helios: master up: $ready"
case $ready in
    *" http="*) echo "helios: dashboard at http://${ready##* http=}/" ;;
esac
tasks=${ready#READY }
tasks=${tasks%% *}
control=${ready#*control=}
control=${control%% *}
if [ "$spy" = 1 ]; then
    "$bin/helios-spy" -c "$cfg" "${topics[@]}" &
    pids+=($!)
fi
if [ "$demo" = 1 ]; then
    start_ready 4 "$bin/helios-demo" -c "$cfg" run
    echo "helios: demo service up: $ready"
fi
# Stable names (ROLE-N): a Hephaestus agent keeps its journal under its
# name, so that, started again, it never runs a task a second time.
for role in "${roles[@]}"; do
    for ((i = 1; i <= per_role; i++)); do
        "$bin/helios-agent" -c "$cfg" --master "$tasks" --role "$role" \
            --name "$role-$i" &
        agent_pids+=($!)
    done
done
echo "helios: started ${#agent_pids[@]} agents ($per_role per role)"
# The master's own figure (the config's, or its default): what runs.
every=$("$bin/helios-ctl" -e "$control" -t 2000 status --json 2>/dev/null |
        sed -n 's/^ *"duration_s": \([0-9]*\).*/\1/p' | head -n 1)
# Commands as the user types them from here: bin/helios-ctl, and -c only
# when the config is not the one the programs find by themselves.
show=${bin#"$PWD"/}
opt=" -c $cfg"
[ "$cfg" = "$PWD/deploy/helios.cfg" ] && [ -z "$config_from_env" ] && opt=
echo "helios: a cycle runs every ${every:-?} s (cycle.duration); in another terminal:"
for cmd in status agents cycles "report last" "run optimization --wait"; do
    echo "  $show/helios-ctl$opt $cmd"
done
if [ "$demo" = 1 ]; then
    echo "  $show/helios-demo$opt incident db_outage    # then watch the emergency"
    echo "  $show/helios-demo$opt incident clear"
fi
# Until Ctrl-C, or until the master dies.
wait "$master_pid"
echo "helios: the master exited (status $?)" >&2
exit 1
