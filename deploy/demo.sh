#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# make demo: the whole story in a few minutes, then exit 0. A master, the
# six roles and helios-demo on a copy of deploy/helios.cfg whose sockets
# are ipc:// files in a scratch folder (so it never collides with a Helios
# you are running); an optimisation cycle; a database slowdown that takes
# health under 50 and the emergency that answers it; two more cycles;
# then every report, in Markdown. The reports (and the processes' log)
# stay in REPORT_DIR, var/helios/demo by default, replacing the previous
# demo's; the scratch folder goes. Exits 1 if any step fails.
set -u
usage() {
    cat <<'EOF'
usage: deploy/demo.sh [BIN_DIR [REPORT_DIR]]

Plays Helios's story unattended on the simulated chat service: a cycle,
a database slowdown and the emergency that answers it, two more cycles,
then every report. BIN_DIR holds the binaries (default: bin); the reports
and the processes' log stay in REPORT_DIR (default: var/helios/demo, the
previous demo's replaced). Exits 0, or 1 if a step fails.
EOF
}
case ${1:-} in
    -h|--help) usage; exit 0 ;;
    -?*) echo "demo.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac
[ $# -le 2 ] || { echo "demo.sh: unexpected argument '$3' (try --help)" >&2
                  exit 2; }
bin=$(cd "${1:-bin}" && pwd) || exit 1
keep=${2:-var/helios/demo}
mkdir -p "$keep" && keep=$(cd "$keep" && pwd) || exit 1
# Only what a demo leaves there: its reports, learning, journals and log
rm -rf "$keep/reports" "$keep/learning.json" "$keep/agents" \
    "$keep/processes.log"
dir=$(mktemp -d /tmp/helios-demo.XXXXXX)
cfg=$dir/helios.cfg
export PATH="$bin:$PATH" HELIOS_CONFIG="$cfg"
pids=()

stop() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$dir"
}
trap stop INT TERM EXIT
fail() { echo "demo: $*" >&2; exit 1; }

# The default configuration with local sockets, on-demand cycles and a
# short health window, so that changes show within seconds.
sed -e "s|tasks = \"tcp://\*:7701\"|tasks = \"ipc://$dir/tasks\"|" \
    -e "s|control = \"tcp://127.0.0.1:7702\"|control = \"ipc://$dir/control\"|" \
    -e "s|bus_in = \"tcp://\*:7703\"|bus_in = \"ipc://$dir/bus-in\"|" \
    -e "s|bus_out = \"tcp://\*:7704\"|bus_out = \"ipc://$dir/bus-out\"|" \
    -e "s|control = \"tcp://127.0.0.1:7790\"|control = \"ipc://$dir/demo\"|" \
    -e "s|http = \"127.0.0.1:7780\"|http = \"\"|" \
    -e "s|statsd = \"127.0.0.1:8125\"|statsd = \"\"|" \
    -e "s|state_dir = \"var/helios\"|state_dir = \"$keep\"|" \
    -e "s|duration = 20;|duration = 3600;|" \
    -e "s|window = 60;|window = 10;|" \
    -e "s|seed = 0;                         # Thompson|seed = 7;                         # Thompson|" \
    deploy/helios.cfg > "$cfg" || fail "cannot write $cfg"

log=$keep/processes.log
"$bin/helios-master" -c "$cfg" > "$dir/master.out" 2>> "$log" &
pids+=($!)
"$bin/helios-demo" -c "$cfg" run > "$dir/demo.out" 2>> "$log" &
pids+=($!)
for role in prometheus-frontend prometheus-backend hephaestus-frontend \
            hephaestus-backend athena-ux athena-api; do
    # Named, as run.sh names them: Hephaestus keeps its journal under it
    "$bin/helios-agent" -c "$cfg" --role "$role" --name "$role" 2>> "$log" &
    pids+=($!)
done

# Wait (up to a deadline) until the master has a verify window of data.
status() { helios-ctl -c "$cfg" -t 2000 status --json 2>/dev/null; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" \
          2>/dev/null; }
echo "demo: starting a master, six agents and the simulated chat service"
for _ in $(seq 1 60); do
    up=$(status | field "d['uptime_s'] > 12 and not d['health']['nodata']")
    [ "$up" = "True" ] && break
    sleep 0.5
done
[ "$up" = "True" ] || fail "the master never got data (see $log)"
echo "demo: health $(status | field "round(d['health']['score'], 1)")"

cycle() {
    echo "demo: optimisation cycle $1"
    helios-ctl -c "$cfg" -t 300000 run optimization --wait ||
        fail "cycle $1 failed"
}
# One cycle first: it can fix at most one cause of API latency (two
# actions on one metric never run together), so the slowdown still
# takes health under 50 after it.
cycle 1

echo "demo: injecting a database slowdown"
helios-demo -c "$cfg" incident db_slowdown > /dev/null || fail "no incident"
for _ in $(seq 1 150); do
    n=$(status | field "d['cycle']['emergency']['count']")
    [ "${n:-0}" -ge 1 ] && break
    sleep 0.2
done
[ "${n:-0}" -ge 1 ] || fail "no emergency started"
echo "demo: emergency started; first task $(status | \
      field "d['cycle']['emergency']['last_response_ms']") ms after detection"
for _ in $(seq 1 240); do
    active=$(status | field "d['cycle']['emergency']['active']")
    [ "$active" = "False" ] && break
    sleep 0.5
done
[ "$active" = "False" ] || fail "the emergency did not end"
# Its report (the last round's) ends with the health it ended with.
last=$(helios-ctl -c "$cfg" cycles --json | field \
       "[c for c in d if c['kind'] == 'emergency'][0]['id']")
echo "demo: emergency over: $(helios-ctl -c "$cfg" report "$last" --json | \
      field "'health %.1f -> %.1f' % (d['health_before'], d['health_after'])") \
(report emergency-$last)"
helios-demo -c "$cfg" incident clear > /dev/null || fail "cannot clear"
echo "demo: incident cleared"
cycle 2
cycle 3

echo
helios-ctl -c "$cfg" cycles
for id in $(helios-ctl -c "$cfg" cycles --json | \
            python3 -c "import json,sys; [print(c['id']) for c in reversed(json.load(sys.stdin))]"); do
    echo
    helios-ctl -c "$cfg" report "$id" --format md
done
echo
echo "demo: done; the reports are in ${keep#"$PWD"/}/reports/ (Markdown and JSON)"
