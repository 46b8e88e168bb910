# SPDX-License-Identifier: GPL-3.0-or-later
# bench/lib/common.sh: starting, probing and stopping the compared servers.
# Sourced by bench/run.sh. Every server is started in the background pinned
# to SERVER_CPU (taskset), on 127.0.0.1 and a free port, with its PID kept in
# a variable and stopped by that PID only.

SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
KNOTD=${KNOTD:-/usr/sbin/knotd}
PDNS=${PDNS:-/usr/sbin/pdns_server}
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# free_port: a port free for both UDP and TCP on loopback.
free_port() {
	local p used
	used=$(ss -Hlnut 2>/dev/null | awk '{ n = split($5, a, ":"); print a[n] }' | sort -u)
	while :; do
		p=$((20000 + RANDOM % 30000))
		grep -qx "$p" <<<"$used" || { echo "$p"; return; }
	done
}

# cpu_ticks PID: utime + stime of the whole process (all threads), in ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# cpu_ns PID: on-CPU time of all its threads in ns (/proc/PID/task/*/schedstat,
# first field; nanosecond resolution, user + system). Threads that end during
# a run would drop out, but every measured server keeps its threads.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
# rss_kb PID / hwm_kb PID: resident set size now / peak, in KiB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# stop_pid PID: TERM, wait up to 10 s, then KILL; only that PID.
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	wait "$pid" 2>/dev/null || true
}

# dig_answer PORT NAME [TYPE]: "RCODE first-answer-rdata" (rdata "-" when none).
dig_answer() {
	local out rc ans
	out=$(kdig +time=1 +retry=0 +noall +header +answer -p "$1" @127.0.0.1 "$2" "${3:-A}" 2>/dev/null) || { echo "TIMEOUT -"; return; }
	rc=$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$out" | head -1)
	ans=$(awk '!/^;;/ && NF >= 5 { print $NF; exit }' <<<"$out")
	echo "${rc:-NONE} ${ans:--}"
}

# wait_answer PORT NAME EXPECTED TIMEOUT_S: polls until NAME answers EXPECTED.
wait_answer() {
	local port=$1 name=$2 want=$3 limit=$4 t0
	t0=$(date +%s%N)
	# first until the UDP port is bound (cheap), so no probe waits for a timeout
	while ! ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; do
		[ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge "$limit" ] && return 1
		[ -n "${SRV_PID:-}" ] && ! kill -0 "$SRV_PID" 2>/dev/null && return 1
		sleep 0.02
	done
	while :; do
		[ "$(dig_answer "$port" "$name")" = "$want" ] && return 0
		[ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge "$limit" ] && return 1
		[ -n "${SRV_PID:-}" ] && ! kill -0 "$SRV_PID" 2>/dev/null && return 1
		# mod-mecdns refusing the database (schema version): no use waiting
		[ -n "${SRV_LOG:-}" ] && grep -q "error: module .*schema version" "$SRV_LOG" 2>/dev/null && return 1
		sleep 0.05
	done
}

# knot_conf DIR PORT ZONEFILE [MODULE_SO DB]: writes DIR/knot.conf.
# One UDP and one TCP worker: every server gets exactly one core.
# KNOT_ECS=on adds `edns-client-subnet: on`; KNOT_GEOIP_CONF=FILE puts Knot's
# mod-geoip (subnet mode, views from FILE) on the zone (part 6).
knot_conf() {
	local dir=$1 port=$2 zone=$3 so=${4:-} db=${5:-}
	mkdir -p "$dir/knot-db"
	{
		cat <<EOF
server:
    rundir: "$dir"
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
    edns-client-subnet: ${KNOT_ECS:-off}

control:
    listen: "$dir/knot.sock"

database:
    storage: "$dir/knot-db"

log:
  - target: stderr
    any: info
EOF
		if [ -n "${KNOT_GEOIP_CONF:-}" ]; then
			cat <<EOF

mod-geoip:
  - id: bench
    config-file: "$KNOT_GEOIP_CONF"
    ttl: 60
    mode: subnet
EOF
		fi
		cat <<EOF

zone:
  - domain: mec.example.
    file: "$zone"
    zonefile-sync: -1
    journal-content: none
EOF
		if [ -n "${KNOT_GEOIP_CONF:-}" ]; then echo "    module: mod-geoip/bench"; fi
		if [ -n "$so" ]; then
			cat <<EOF

module:
  - id: mod-mecdns
    file: "$so"

mod-mecdns:
  - id: bench
    database: "$db"
    default-ttl: 60
    refresh-interval: 1000

template:
  - id: default
    global-module: mod-mecdns/bench
EOF
		fi
	} >"$dir/knot.conf"
}

# pdns_conf DIR PORT SQLITE CACHE(on|off) [API_PORT API_KEY]: writes DIR/pdns.conf.
# One receiver and one distributor thread (one core). "off" sets cache-ttl=0
# (no packet cache); the backend query cache keeps its defaults in both.
pdns_conf() {
	local dir=$1 port=$2 db=$3 cache=$4 api_port=${5:-} api_key=${6:-}
	mkdir -p "$dir"
	{
		cat <<EOF
launch=gsqlite3
gsqlite3-database=$db
local-address=127.0.0.1
local-port=$port
socket-dir=$dir
daemon=no
guardian=no
disable-syslog=yes
loglevel=4
receiver-threads=1
distributor-threads=1
reuseport=no
zone-cache-refresh-interval=0
EOF
		if [ "$cache" = off ]; then
			echo "cache-ttl=0"
		else
			echo "cache-ttl=20"
		fi
		if [ -n "$api_port" ]; then
			cat <<EOF
api=yes
api-key=$api_key
webserver=yes
webserver-address=127.0.0.1
webserver-port=$api_port
webserver-allow-from=127.0.0.0/8
EOF
		else
			echo "webserver=no"
		fi
	} >"$dir/pdns.conf"
}

# start_server SYSTEM DATADIR WORKDIR: starts one system, sets SRV_PID and
# SRV_PORT, waits until it answers the last rule. SYSTEM is one of
#   mecdns  knotd + mod-mecdns (global module) + apex-only zone
#   static  knotd with the full zone file
#   pdns    PowerDNS gsqlite3, packet cache on      pdns-nc  ... off
#   mapdns  the Go map server
# Returns non-zero when it did not come up (log in WORKDIR).
# Sets SRV_READY_MS: milliseconds from exec to the last rule answering.
start_server() {
	local sys=$1 data=$2 work=$3 n last want t0
	n=$(wc -l <"$data/records.txt")
	last="app$((n - 1)).mec.example."
	want="NOERROR $(awk -v i=$((n - 1)) 'BEGIN { printf "10.%d.%d.%d", int(i / 65536) % 256, int(i / 256) % 256, i % 256 }')"
	rm -rf "$work"
	mkdir -p "$work"
	SRV_PORT=$(free_port)
	SRV_PID=
	t0=$(date +%s%N)
	case $sys in
	mecdns)
		knot_conf "$work" "$SRV_PORT" "$data/zone-apex.zone" "$MODULE_SO" "$data/mecdns.db"
		taskset -c "$SERVER_CPU" "$KNOTD" -c "$work/knot.conf" >"$work/server.log" 2>&1 &
		;;
	static)
		knot_conf "$work" "$SRV_PORT" "$data/zone-full.zone"
		taskset -c "$SERVER_CPU" "$KNOTD" -c "$work/knot.conf" >"$work/server.log" 2>&1 &
		;;
	pdns | pdns-nc)
		cp "$data/pdns.sqlite" "$work/pdns.sqlite"
		pdns_conf "$work" "$SRV_PORT" "$work/pdns.sqlite" "$([ "$sys" = pdns ] && echo on || echo off)"
		taskset -c "$SERVER_CPU" "$PDNS" --config-dir="$work" >"$work/server.log" 2>&1 &
		;;
	mapdns)
		taskset -c "$SERVER_CPU" "$MAPDNS" -listen "127.0.0.1:$SRV_PORT" -zone mec.example. \
			-records "$data/records.txt" >"$work/server.log" 2>&1 &
		;;
	*) echo "unknown system $sys" >&2; return 2 ;;
	esac
	SRV_PID=$!
	echo "$SRV_PID" >"$work/server.pid"
	SRV_LOG="$work/server.log"
	if ! wait_answer "$SRV_PORT" "$last" "$want" "${START_TIMEOUT:-300}"; then
		SRV_LOG=
		log "$sys: no correct answer for $last (see $work/server.log)"; tail -3 "$work/server.log" >&2
		stop_pid "$SRV_PID"
		SRV_PID=
		return 1
	fi
	SRV_READY_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
	SRV_LOG=
	return 0
}

# check_answers PORT: the answers every system must give; prints failures.
check_answers() {
	local port=$1 bad=0 got
	got=$(dig_answer "$port" app1.mec.example.)
	[ "$got" = "NOERROR 10.0.0.1" ] || { echo "app1.mec.example. A: $got (want NOERROR 10.0.0.1)"; bad=1; }
	got=$(dig_answer "$port" APP1.Mec.Example.)
	[ "$got" = "NOERROR 10.0.0.1" ] || { echo "APP1.Mec.Example. A: $got (want NOERROR 10.0.0.1)"; bad=1; }
	got=$(dig_answer "$port" miss1.mec.example.)
	[ "${got%% *}" = NXDOMAIN ] || { echo "miss1.mec.example. A: $got (want NXDOMAIN)"; bad=1; }
	got=$(dig_answer "$port" app1.mec.example. AAAA)
	[ "$got" = "NOERROR -" ] || { echo "app1.mec.example. AAAA: $got (want NOERROR, no answer)"; bad=1; }
	return $bad
}

# run_dnsperf OUTFILE PORT QUERYFILE SECONDS MODE [MAXQPS]: dnsperf pinned to
# CLIENT_CPU; records the server's CPU ticks and RSS around the run in
# OUTFILE.meta. MODE udp|tcp.
run_dnsperf() {
	local out=$1 port=$2 qf=$3 secs=$4 mode=$5 maxq=${6:-} c0 c1 n0 n1 t0 t1 args=()
	args=(-s 127.0.0.1 -p "$port" -d "$qf" -l "$secs" -m "$mode" -T 1 -t 2)
	if [ "$mode" = tcp ]; then args+=(-c 16 -q 64); else args+=(-c 8 -q "${DNSPERF_Q:-64}"); fi
	[ -n "$maxq" ] && args+=(-Q "$maxq")
	c0=$(cpu_ticks "$SRV_PID")
	n0=$(cpu_ns "$SRV_PID")
	t0=$(date +%s%N)
	taskset -c "$CLIENT_CPU" dnsperf "${args[@]}" >"$out" 2>&1 || true
	t1=$(date +%s%N)
	c1=$(cpu_ticks "$SRV_PID")
	n1=$(cpu_ns "$SRV_PID")
	{
		echo "cpu_ns $((n1 - n0))"
		echo "args ${args[*]}"
		echo "cpu_ticks $((c1 - c0))"
		echo "clk_tck $CLK_TCK"
		echo "wall_ns $((t1 - t0))"
		echo "rss_kb $(rss_kb "$SRV_PID")"
		echo "hwm_kb $(hwm_kb "$SRV_PID")"
	} >"$out.meta"
}

# parse_dnsperf OUTFILE: "completed lost qps avg_ms sd_ms noerror% nxdomain% cpu_s util%"
parse_dnsperf() {
	awk '
	FILENAME ~ /\.meta$/ { m[$1] = $2; next }
	/Queries completed:/ { comp = $3 }
	/Queries lost:/ { lost = $3 }
	/Queries per second:/ { qps = $4 }
	/Connection Statistics/ { conn = 1 }
	!conn && /Average Latency \(s\):/ { avg = $4 * 1000 }
	!conn && /Latency StdDev \(s\):/ { sd = $4 * 1000 }
	/Response codes:/ { for (i = 3; i <= NF; i++) { if ($i == "NOERROR") ne = $(i + 2); if ($i == "NXDOMAIN") nx = $(i + 2) } }
	END {
		gsub(/[(),%]/, "", ne); gsub(/[(),%]/, "", nx)
		# schedstat nanoseconds of the live threads; utime+stime ticks (which also
		# count threads that ended during the run, as PowerDNS TCP threads do)
		# when those are clearly larger
		ns = m["cpu_ns"] / 1e9; tk = m["cpu_ticks"] / m["clk_tck"]
		cpu = (ns > 0 && tk <= ns * 1.05 + 0.03) ? ns : tk
		wall = m["wall_ns"] / 1e9
		if (ne == "") ne = 0
		if (nx == "") nx = 0
		util = (wall > 0) ? 100 * cpu / wall : 0
		printf "%s %s %.0f %.3f %.3f %s %s %.4f %.1f\n", comp + 0, lost + 0, qps, avg, sd, ne, nx, cpu, util
	}' "$1" "$1.meta"
}
