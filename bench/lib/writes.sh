# SPDX-License-Identifier: GPL-3.0-or-later
# bench/lib/writes.sh: the write-side stacks for parts 2, 3 and 5, sourced by
# bench/run.sh (uses its variables: out, BENCH_DATA, MODULE_SO, SYNCD,
# BUILD_DIR, SERVER_CPU, CLIENT_CPU; and lib/common.sh).
#
# mecdns stack: a private dbus-daemon, dbuslat (signal listener, on the client
# core), knotd + mod-mecdns and mecdns-syncd (both on the server core) over a
# copy of the data set's database. PowerDNS: pdns_server with its HTTP API on
# a copy of the data set's gsqlite3 file (packet cache on, the default).

PEERS="$BUILD_DIR/peers"
STACK_PIDS=()
STACK_DIRS=()

# stack_mecdns N WORKDIR: sets DNS_PORT HTTP_PORT BUS; PIDs in STACK_PIDS.
stack_mecdns() {
	local n=$1 w=$2 data="$BENCH_DATA/$1" pid i
	rm -rf "$w"; mkdir -p "$w"
	STACK_DIRS+=("$w")
	cp "$data"/mecdns.db* "$w/"
	BUS="unix:path=$w/bus"
	taskset -c "$SERVER_CPU" dbus-daemon --session --address="$BUS" --nofork --nopidfile >"$w/dbus.log" 2>&1 &
	pid=$!; STACK_PIDS+=("$pid"); EXTRA_PIDS+=("$pid")
	for _ in $(seq 50); do [ -S "$w/bus" ] && break; sleep 0.1; done
	taskset -c "$CLIENT_CPU" "$PEERS/dbuslat" "$BUS" >"$w/signals.txt" 2>"$w/dbuslat.log" &
	pid=$!; STACK_PIDS+=("$pid"); EXTRA_PIDS+=("$pid")
	DNS_PORT=$(free_port)
	HTTP_PORT=$(free_port)
	knot_conf "$w" "$DNS_PORT" "$data/zone-apex.zone" "$MODULE_SO" "$w/mecdns.db"
	taskset -c "$SERVER_CPU" "$KNOTD" -c "$w/knot.conf" >"$w/knotd.log" 2>&1 &
	SRV_PID=$!; STACK_PIDS+=("$SRV_PID"); EXTRA_PIDS+=("$SRV_PID")
	# syncd's default limits stay on but the per-client connection limit
	# (32): mecload opens one keep-alive connection per concurrent writer,
	# up to 64 from this one address (part 3). The rate limit is off by
	# default.
	# mec.example. is a zone knotd serves: the operator opens it to rules
	# (syncd refuses names in served zones otherwise, docs/api.md).
	taskset -c "$SERVER_CPU" "$SYNCD" --listen "127.0.0.1:$HTTP_PORT" --database "$w/mecdns.db" \
		--dbus "$BUS" --knot-socket "$w/knot.sock" --knot-dbus none --allow-zone mec.example. \
		--max-connections-per-client 0 ${SYNCD_EXTRA:-} \
		>"$w/syncd.log" 2>&1 &
	pid=$!; STACK_PIDS+=("$pid"); EXTRA_PIDS+=("$pid")
	i=$((n - 1))
	wait_answer "$DNS_PORT" "app$i.mec.example." "NOERROR 10.$((i / 65536 % 256)).$((i / 256 % 256)).$((i % 256))" 300 || {
		log "mecdns stack: knotd did not answer (see $w/knotd.log)"; return 1; }
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	log "mecdns stack: syncd did not come up (see $w/syncd.log)"
	return 1
}

# stack_pdns N WORKDIR: sets DNS_PORT API_PORT API_KEY.
stack_pdns() {
	local n=$1 w=$2 data="$BENCH_DATA/$1" i
	rm -rf "$w"; mkdir -p "$w"
	STACK_DIRS+=("$w")
	cp "$data/pdns.sqlite" "$w/pdns.sqlite"
	DNS_PORT=$(free_port)
	API_PORT=$(free_port)
	API_KEY=bench-$RANDOM$RANDOM
	pdns_conf "$w" "$DNS_PORT" "$w/pdns.sqlite" on "$API_PORT" "$API_KEY"
	taskset -c "$SERVER_CPU" "$PDNS" --config-dir="$w" >"$w/pdns.log" 2>&1 &
	SRV_PID=$!; STACK_PIDS+=("$SRV_PID"); EXTRA_PIDS+=("$SRV_PID")
	i=$((n - 1))
	wait_answer "$DNS_PORT" "app$i.mec.example." "NOERROR 10.$((i / 65536 % 256)).$((i / 256 % 256)).$((i % 256))" 120 || {
		log "pdns stack: no answer (see $w/pdns.log)"; return 1; }
}

stack_stop() {
	local i
	# reverse order: syncd before knotd before the bus
	for ((i = ${#STACK_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${STACK_PIDS[$i]}"; done
	STACK_PIDS=()
	SRV_PID=
	# work copies of databases are not results
	for d in "${STACK_DIRS[@]}"; do
		rm -rf "$d"/mecdns.db "$d"/mecdns.db-* "$d"/pdns.sqlite "$d"/pdns.sqlite-* "$d/knot-db"
	done
	STACK_DIRS=()
}

# kv KEY LINE: the value of KEY=VALUE in a mecload output line.
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }
