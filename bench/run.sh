#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# mecdns benchmarks (issue 6): one command runs every compared system one after
# another on the same data and writes bench/results/<timestamp>/.
#
#   bench/run.sh [--quick] [--sizes "1000 100000 1000000"] [--parts "1 4 3 2 5 6"]
#                [--publish] [--no-callgrind]
#
#   --quick         sizes 1k and 100k, short runs (about 3 minutes)
#   --sizes LIST    rule counts to run (default 1000 100000 1000000)
#   --parts LIST    parts to run (default: all; 6 is issue 13's client-subnet scopes)
#   --publish       copy the report and charts to docs/benchmarks.md and
#                   docs/benchmarks-*.png
#   --no-callgrind  skip the callgrind instructions-per-query runs
#
# Environment: BUILD_DIR (out-of-tree build, default /tmp/build-bench),
# BENCH_DATA (generated data sets, cached, default /tmp/mecdns-bench-data),
# SERVER_CPU / CLIENT_CPU (default 0 / 1), RUN_SECONDS, PACED_QPS.
# Needs root for installing packages (bench/lib/deps.sh); everything listens
# on 127.0.0.1 only, on free ports, and is stopped by PID.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib/common.sh"

quick=0
sizes=
parts="1 4 3 2 5 6"
publish=0
callgrind=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--sizes) sizes=$2; shift ;;
	--parts) parts=$2; shift ;;
	--publish) publish=1 ;;
	--no-callgrind) callgrind=0 ;;
	-h | --help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
if [ "$quick" = 1 ]; then
	sizes=${sizes:-"1000 100000"}
	RUN_SECONDS=${RUN_SECONDS:-4}
	PACED_SECONDS=${PACED_SECONDS:-3}
	CG_QUERIES=${CG_QUERIES:-5000}
else
	sizes=${sizes:-"1000 100000 1000000"}
	RUN_SECONDS=${RUN_SECONDS:-8}
	PACED_SECONDS=${PACED_SECONDS:-5}
	CG_QUERIES=${CG_QUERIES:-10000}
fi
PACED_QPS=${PACED_QPS:-20000}
REPS=${REPS:-3}                   # interleaved rounds of mecdns vs static
OTHER_REPS=${OTHER_REPS:-1}       # rounds of the other systems
TCP_SIZE=${TCP_SIZE:-100000}      # the one TCP run per system, at this size
CG_MAX_SIZE=${CG_MAX_SIZE:-100000} # callgrind only up to this size (valgrind is ~50x slower)
BUILD_DIR=${BUILD_DIR:-/tmp/build-bench}
BENCH_DATA=${BENCH_DATA:-/tmp/mecdns-bench-data}
SYSTEMS=${SYSTEMS:-"mecdns static pdns pdns-nc mapdns"}

stamp=$(date +%Y%m%d-%H%M%S)
out="$here/results/$stamp"
mkdir -p "$out"
exec > >(tee "$out/run.log") 2>&1
log "results in $out"

# Stop whatever this run started, by PID, on any exit.
SRV_PID=
EXTRA_PIDS=()
cleanup() {
	[ -n "${SRV_PID:-}" ] && stop_pid "$SRV_PID"
	for p in "${EXTRA_PIDS[@]}"; do stop_pid "$p"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools, build ------------------------------------------------------------
"$here/lib/deps.sh"
log "building mod-mecdns and mecdns-db out of tree in $BUILD_DIR"
# After scripts/test.sh the checkout is configured in place: then the build
# uses a copy of its sources in $BUILD_DIR/src (scripts/source-tree.sh).
srctop=$("$top/scripts/source-tree.sh" "$BUILD_DIR") || { log "no source tree to build from"; exit 1; }
(
	cd "$BUILD_DIR"
	if [ ! -f Makefile ] || [ "$srctop/configure" -nt Makefile ]; then
		"$srctop/configure" >configure.out 2>&1
	fi
	targets="module/mecdns.la tools/mecdns-db"
	case " $parts " in *" 2 "* | *" 3 "* | *" 5 "* | *" 6 "*) targets="$targets syncd/mecdns-syncd" ;; esac
	make -j2 $targets >make.out 2>&1
) || { log "build failed, see $BUILD_DIR/make.out"; tail -20 "$BUILD_DIR/make.out"; exit 1; }
MODULE_SO="$BUILD_DIR/module/.libs/mecdns.so"
DBTOOL="$BUILD_DIR/tools/mecdns-db"
SYNCD="$BUILD_DIR/syncd/mecdns-syncd"
"$here/peers/build.sh" "$BUILD_DIR/peers" || { log "building mapdns failed"; exit 1; }
MAPDNS="$BUILD_DIR/peers/mapdns"
PEERS="$BUILD_DIR/peers"
export MODULE_SO DBTOOL MAPDNS PEERS

# --- machine -------------------------------------------------------------------
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(uname -srm)"
	echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
	echo "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "load before run: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "knotd: $($KNOTD -V 2>&1 | head -1)"
	echo "pdns: $(dpkg-query -W -f='${Version}' pdns-server)"
	echo "dnsperf: $(dpkg-query -W -f='${Version}' dnsperf)"
	echo "go: $(go version | cut -d' ' -f3), miekg/dns $(dpkg-query -W -f='${Version}' golang-github-miekg-dns-dev)"
	echo "git: $(git -C "$top" rev-parse --short HEAD 2>/dev/null)$(git -C "$top" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "sizes: $sizes; run ${RUN_SECONDS}s max-rate UDP, ${PACED_SECONDS}s paced at $PACED_QPS qps, TCP at $TCP_SIZE"
} >"$out/machine.txt"
cat "$out/machine.txt"

# results.tsv: size system mode round completed lost qps avg_ms sd_ms noerror% nxdomain% cpu_s util%
printf 'size\tsystem\tmode\tround\tcompleted\tlost\tqps\tavg_ms\tsd_ms\tnoerror\tnxdomain\tcpu_s\tutil\n' >"$out/results.tsv"
# memory.tsv: size system ready_ms load_ms rss_idle_kb hwm_kb
printf 'size\tsystem\tready_ms\tload_ms\trss_idle_kb\thwm_kb\n' >"$out/memory.tsv"
# callgrind.tsv: size system queries instructions
printf 'size\tsystem\tqueries\tinstructions\n' >"$out/callgrind.tsv"

want_part() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }

# run_group SIZE DATADIR REPS SYSTEM...: starts the systems (all up at once,
# idle ones cost nothing), then REPS rounds of max-rate UDP runs interleaved
# system by system, REPS rounds of paced runs, one TCP run each at TCP_SIZE,
# then stops them. Interleaving makes a drift of the machine's other load hit
# every system alike; the report takes the median round.
declare -A GPID GPORT GREADY GIDLE GLOAD
run_group() {
	local n=$1 data=$2 reps=$3 sys rep w up=()
	shift 3
	for sys in "$@"; do
		w="$out/$n/$sys"
		if ! start_server "$sys" "$data" "$w"; then
			printf '%s\t%s\tudp\t1\t0\t0\t0\t0\t0\t0\t0\t0\t0\n' "$n" "$sys" >>"$out/results.tsv"
			continue
		fi
		GPID[$sys]=$SRV_PID; GPORT[$sys]=$SRV_PORT; GREADY[$sys]=$SRV_READY_MS
		EXTRA_PIDS+=("$SRV_PID"); SRV_PID=
		log "$sys ($n rules): pid ${GPID[$sys]} port ${GPORT[$sys]}, answering after ${GREADY[$sys]} ms, RSS $(rss_kb "${GPID[$sys]}") KiB"
		if ! check_answers "${GPORT[$sys]}" >"$w/answers.txt"; then
			log "$sys: WRONG answers:"; cat "$w/answers.txt"
		fi
		GLOAD[$sys]=-
		if [ "$sys" = mecdns ]; then
			GLOAD[$sys]=$(sed -n "s/.*loaded generation .* (full load), .*, \([0-9]*\) ms.*/\1/p" "$w/server.log" | head -1)
		fi
		GIDLE[$sys]=$(rss_kb "${GPID[$sys]}")
		up+=("$sys")
	done
	for sys in "${up[@]}"; do
		# warm-up (caches, page faults), not recorded
		taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "${GPORT[$sys]}" -d "$data/queries.txt" -l 1 -c 8 -q 64 >/dev/null 2>&1 || true
	done
	for mode in udp paced; do
		for rep in $(seq "$reps"); do
			for sys in "${up[@]}"; do
				w="$out/$n/$sys"
				SRV_PID=${GPID[$sys]}
				if [ "$mode" = udp ]; then
					run_dnsperf "$w/udp-max-$rep.txt" "${GPORT[$sys]}" "$data/queries.txt" "$RUN_SECONDS" udp
					printf '%s\t%s\tudp\t%s\t%s\n' "$n" "$sys" "$rep" "$(parse_dnsperf "$w/udp-max-$rep.txt" | tr ' ' '\t')" >>"$out/results.tsv"
					log "$sys ($n) udp round $rep: $(parse_dnsperf "$w/udp-max-$rep.txt" | awk '{ v = ($8 > 0) ? $1 / $8 : 0; printf "%s qps, %.0f queries per CPU-s, server CPU %s%%, lost %s", $3, v, $9, $2 }')"
				else
					run_dnsperf "$w/udp-paced-$rep.txt" "${GPORT[$sys]}" "$data/queries.txt" "$PACED_SECONDS" udp "$PACED_QPS"
					printf '%s\t%s\tpaced\t%s\t%s\n' "$n" "$sys" "$rep" "$(parse_dnsperf "$w/udp-paced-$rep.txt" | tr ' ' '\t')" >>"$out/results.tsv"
				fi
			done
		done
	done
	if [ "$n" = "$TCP_SIZE" ]; then
		for sys in "${up[@]}"; do
			SRV_PID=${GPID[$sys]}
			run_dnsperf "$out/$n/$sys/tcp-max.txt" "${GPORT[$sys]}" "$data/queries.txt" "$PACED_SECONDS" tcp
			printf '%s\t%s\ttcp\t1\t%s\n' "$n" "$sys" "$(parse_dnsperf "$out/$n/$sys/tcp-max.txt" | tr ' ' '\t')" >>"$out/results.tsv"
		done
	fi
	for sys in "${up[@]}"; do
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$sys" "${GREADY[$sys]}" "${GLOAD[$sys]:--}" "${GIDLE[$sys]}" "$(hwm_kb "${GPID[$sys]}")" >>"$out/memory.tsv"
		stop_pid "${GPID[$sys]}"
		# work copies of databases are not results
		rm -rf "$out/$n/$sys/pdns.sqlite" "$out/$n/$sys"/pdns.sqlite-* "$out/$n/$sys/knot-db"
	done
	SRV_PID=
}

# callgrind_run SIZE SYSTEM DATADIR: knotd under callgrind, instrumentation
# switched on after start-up, CG_QUERIES sequential queries (dnsperf -c 1 -q 1
# -n 1 over the first CG_QUERIES lines of the same query file).
callgrind_run() {
	local n=$1 sys=$2 data=$3 w="$out/$1/callgrind-$2" port zone so= db= ir
	mkdir -p "$w"
	port=$(free_port)
	case $sys in
	mecdns) zone="$data/zone-apex.zone"; so=$MODULE_SO; db="$data/mecdns.db" ;;
	static) zone="$data/zone-full.zone" ;;
	esac
	knot_conf "$w" "$port" "$zone" "$so" "$db"
	head -n "$CG_QUERIES" "$data/queries.txt" >"$w/queries.txt"
	taskset -c "$SERVER_CPU" valgrind --tool=callgrind --instr-atstart=no \
		--callgrind-out-file="$w/callgrind.out" "$KNOTD" -c "$w/knot.conf" >"$w/server.log" 2>&1 &
	SRV_PID=$!
	local i=$((n - 1))
	if ! wait_answer "$port" "app$i.mec.example." \
		"NOERROR 10.$((i / 65536 % 256)).$((i / 256 % 256)).$((i % 256))" 600; then
		log "callgrind $sys ($n): server did not answer"; stop_pid "$SRV_PID"; SRV_PID=; return 0
	fi
	callgrind_control -i on "$SRV_PID" >/dev/null 2>&1
	taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$port" -d "$w/queries.txt" -n 1 -c 1 -q 1 -t 5 >"$w/dnsperf.txt" 2>&1 || true
	callgrind_control -i off "$SRV_PID" >/dev/null 2>&1
	callgrind_control -d "$SRV_PID" >/dev/null 2>&1
	stop_pid "$SRV_PID"
	SRV_PID=
	ir=$(awk '/^totals:/ { print $2; exit }' "$w/callgrind.out.1" 2>/dev/null || echo 0)
	local done_q
	done_q=$(awk '/Queries completed:/ { print $3 }' "$w/dnsperf.txt")
	printf '%s\t%s\t%s\t%s\n' "$n" "$sys" "${done_q:-0}" "${ir:-0}" >>"$out/callgrind.tsv"
	callgrind_annotate "$w/callgrind.out.1" >"$w/annotate.txt" 2>/dev/null || true
	rm -f "$w/callgrind.out"
	rm -rf "$w/knot-db"
	log "callgrind $sys ($n): $(awk -v i="${ir:-0}" -v q="${done_q:-0}" 'BEGIN { printf "%.0f instructions per query", (q > 0) ? i / q : 0 }')"
}

# --- parts 1 and 4: queries, memory, load time --------------------------------
if want_part 1 || want_part 4; then
	for n in $sizes; do
		data="$BENCH_DATA/$n"
		log "data set $n rules in $data"
		t0=$(date +%s%N)
		"$here/lib/gendata.sh" "$n" "$data" "$DBTOOL"
		log "data set ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
		# mod-mecdns and its ceiling side by side, REPS interleaved rounds;
		# the others one by one, OTHER_REPS rounds each
		pair=() rest=()
		for sys in $SYSTEMS; do
			case $sys in mecdns | static) pair+=("$sys") ;; *) rest+=("$sys") ;; esac
		done
		[ ${#pair[@]} -gt 0 ] && run_group "$n" "$data" "$REPS" "${pair[@]}"
		for sys in "${rest[@]}"; do run_group "$n" "$data" "$OTHER_REPS" "$sys"; done
		if [ "$callgrind" = 1 ] && [ "$n" -le "$CG_MAX_SIZE" ]; then
			for sys in mecdns static; do callgrind_run "$n" "$sys" "$data"; done
		fi
	done
	# Memory baselines: knotd with the apex zone only, with and without the
	# module (empty database), for the per-record figure.
	if want_part 4; then
		data="$BENCH_DATA/0"
		mkdir -p "$data"
		if [ ! -s "$data/mecdns.db" ]; then
			"$DBTOOL" -d "$data/mecdns.db" init >/dev/null
		fi
		cp "$BENCH_DATA/$(echo "$sizes" | awk '{ print $1 }')/zone-apex.zone" "$data/"
		for sys in mecdns static; do
			w="$out/0/$sys"; mkdir -p "$w"; port=$(free_port)
			if [ "$sys" = mecdns ]; then
				knot_conf "$w" "$port" "$data/zone-apex.zone" "$MODULE_SO" "$data/mecdns.db"
			else
				knot_conf "$w" "$port" "$data/zone-apex.zone"
			fi
			taskset -c "$SERVER_CPU" "$KNOTD" -c "$w/knot.conf" >"$w/server.log" 2>&1 &
			SRV_PID=$!
			wait_answer "$port" miss0.mec.example. "NXDOMAIN -" 60 || true
			sleep 0.5
			printf '0\t%s\t-\t-\t%s\t%s\n' "$sys" "$(rss_kb "$SRV_PID")" "$(hwm_kb "$SRV_PID")" >>"$out/memory.tsv"
			stop_pid "$SRV_PID"; SRV_PID=
			rm -rf "$w/knot-db"
		done
	fi
fi

# part 5 (D-Bus) is measured inside part 2's load
if want_part 3; then . "$here/lib/part3.sh"; fi
if want_part 2 || want_part 5; then . "$here/lib/part2.sh"; fi
if want_part 6; then . "$here/lib/part6.sh"; fi

# --- report ------------------------------------------------------------------
echo "load after run: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
"$here/lib/report.sh" "$out"
log "report: $out/report.md"
if [ "$publish" = 1 ]; then
	"$here/lib/report.sh" "$out" --publish "$top/docs"
	log "published to docs/benchmarks.md"
fi
