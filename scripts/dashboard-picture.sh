#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# scripts/dashboard-picture.sh [OUT.png]: the picture of the Grafana
# dashboard (docs/grafana/mecdns.json) in docs/dashboard.png, from a real run.
#
# Grafana is not packaged in Debian, so the picture is drawn by
# scripts/dashboard_render.py: it reads the dashboard's panels (their
# titles, PromQL queries, kinds and grid positions), asks a real Prometheus
# (Debian's prometheus) for each query over the run, and plots the answers
# with gnuplot in the dashboard's layout. The run: a private dbus-daemon,
# knotd with the built mod-mecdns, mecdns-syncd with the knot socket, all on
# loopback ports of their own; for LOAD_SECONDS (default 150) a load of rule
# writes from three app instances and DNS queries (answered, NODATA,
# passed), scraped by Prometheus every second; the timeseries start after the
# first minute, once their [1m] rate windows are full. Needs a built tree.
#
# --check (CI): a 20 s run into a temporary picture; fails naming every
# panel whose query the real Prometheus answers with no data.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
check=0
if [ "${1:-}" = "--check" ]; then
	check=1
	shift
fi
out=${1:-$top/docs/dashboard.png}
seconds=${LOAD_SECONDS:-150}
[ $check = 1 ] && seconds=${LOAD_SECONDS:-20}
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
MECDNS_EXTRA_PACKAGES="prometheus gnuplot-nox" "$top/scripts/deps.sh"
[ -x "$top/syncd/mecdns-syncd" ] && [ -f "$top/module/.libs/mecdns.so" ] ||
	{ echo "dashboard-picture: build the tree first (make)" >&2; exit 1; }

run=$(mktemp -d /tmp/mecdns-dashboard.XXXXXX)
pids=()
cleanup() {
	for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
	sleep 0.5
	for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
	[ "${KEEP:-0}" = 1 ] && echo "dashboard-picture: kept $run" || rm -rf "$run"
}
trap cleanup EXIT
[ $check = 1 ] && out="$run/dashboard.png"
free_port() {
	"$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
dns_port=$(free_port)
http_port=$(free_port)
prom_port=$(free_port)

db="$run/mecdns.db"
"$top/tools/mecdns-db" -d "$db" init >/dev/null
bus="unix:path=$run/bus"
dbus-daemon --session --address="$bus" --nofork --nopidfile >"$run/dbus.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$run/bus" ] && break; sleep 0.1; done
cat >"$run/knot.conf" <<EOF
server:
    rundir: "$run"
    listen: 127.0.0.1@$dns_port
    edns-client-subnet: on
control:
    listen: "$run/knot.sock"
database:
    storage: "$run/knot-db"
log:
  - target: stderr
    any: warning
module:
  - id: mod-mecdns
    file: "$top/module/.libs/mecdns.so"
mod-mecdns:
  - id: default
    database: "$db"
    refresh-interval: 100
template:
  - id: default
    global-module: mod-mecdns/default
EOF
/usr/sbin/knotd -c "$run/knot.conf" >"$run/knotd.log" 2>&1 &
pids+=($!)
"$top/syncd/mecdns-syncd" --listen "127.0.0.1:$http_port" --database "$db" --dbus "$bus" \
	--knot-socket "$run/knot.sock" --knot-dbus none --log-level warning >"$run/syncd.log" 2>&1 &
pids+=($!)
cat >"$run/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mecdns
    static_configs:
      - targets: ['127.0.0.1:$http_port']
        labels: {instance: 'mec-host-1'}
EOF
prometheus --config.file="$run/prometheus.yml" --storage.tsdb.path="$run/prom" \
	--web.listen-address="127.0.0.1:$prom_port" >"$run/prometheus.log" 2>&1 &
pids+=($!)
ctl() { "$top/tools/mecdnsctl" -q -u "http://127.0.0.1:$http_port" "$@"; }
for _ in $(seq 100); do ctl status >/dev/null 2>&1 && break; sleep 0.1; done
ctl status >/dev/null || { tail "$run"/*.log >&2; echo "dashboard-picture: stack not ready" >&2; exit 1; }

# The load: app instances adding, moving and switching rules at their own
# pace; devices asking for them (answers), for other types (NODATA) and for
# names mod-mecdns leaves to knotd (passed).
start=$(date +%s)
"$py" "$top/scripts/dashboard_render.py" load --http "127.0.0.1:$http_port" \
	--dns "127.0.0.1:$dns_port" --seconds "$seconds" >"$run/load.log" 2>&1 ||
	{ tail -n 20 "$run/load.log" >&2; exit 1; }
end=$(date +%s)
sleep 3 # the last scrapes
"$py" "$top/scripts/dashboard_render.py" render --prometheus "127.0.0.1:$prom_port" \
	--dashboard "$top/docs/grafana/mecdns.json" --start "$start" --end "$end" \
	--instance mec-host-1 --out "$out" --work "$run" $([ $check = 1 ] && echo --require-data)
echo "dashboard-picture: $out ($seconds s of load, $(cat "$run/load.log" | tail -n 1))"
