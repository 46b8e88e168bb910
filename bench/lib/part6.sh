# SPDX-License-Identifier: GPL-3.0-or-later
# Part 6 (issue 13): client-subnet scopes. Sourced by bench/run.sh.
# SCOPE_NAMES (1000) names x SCOPE_SITES (10) sites = 10k scoped rules over
# 10k distinct /24 prefixes plus one unscoped rule per name
# (lib/genscoped.sh); every query carries an ECS option (lib/../peers/ecsload,
# a different device per query). One knotd each, `edns-client-subnet: on`,
# one UDP worker, pinned to SERVER_CPU; ecsload on CLIENT_CPU:
#   mecdns-scoped  mod-mecdns (global module), apex-only zone
#   static         the zone with the central answers only (cannot scope: the
#                  ceiling of this process model)
#   geoip          Knot's mod-geoip, subnet mode, the same 10k views from
#                  geoip.conf, on the zone with the central answers
# Before measuring, mecdns-scoped and geoip must give every one of the first
# SCOPE_CHECK (5000) queries its expected answer (answers.txt). Then REPS
# interleaved max-rate rounds of SCOPE_SECONDS; q/CPU-s from the server's
# schedstat. Memory: knotd RSS after start, against knotd with the apex zone
# and an empty database: bytes per rule = delta / rules.
# Propagation of a scope change: the full mecdns stack (lib/writes.sh) at
# SCOPE_PROP_SIZE (100000, else the run's largest size) rules, `mecload prop
# -scope`: SCOPE_PROP_SAMPLES rules, each created for one client /32
# (untimed, until answered there), then moved to another by an Mm5 PUT of
# clientSubnets while a poller asks with ECS from the new one; PROP_BG (500)
# background rule writes per second all along.
# Output: $out/part6/{scopes.tsv,memory.tsv,answers.txt,prop.txt}, $out/part6.md.
s6names=${SCOPE_NAMES:-1000}
s6sites=${SCOPE_SITES:-10}
s6secs=${SCOPE_SECONDS:-$([ "$quick" = 1 ] && echo 4 || echo 8)}
s6check=${SCOPE_CHECK:-5000}
s6data="$BENCH_DATA/scoped-$s6names-$s6sites"
w6="$out/part6"
mkdir -p "$w6"
log "part 6: client-subnet scopes, $s6names names x $s6sites sites"
"$here/lib/genscoped.sh" "$s6names" "$s6sites" "$s6data" "$DBTOOL"

# scoped_conf DIR PORT SYSTEM: knot.conf of one part-6 system (lib/common.sh).
scoped_conf() {
	local dir=$1 port=$2 sys=$3
	case $sys in
	empty) KNOT_ECS=on knot_conf "$dir" "$port" "$s6data/zone-apex.zone" "$MODULE_SO" "$BENCH_DATA/0/mecdns.db" ;;
	mecdns-scoped) KNOT_ECS=on knot_conf "$dir" "$port" "$s6data/zone-apex.zone" "$MODULE_SO" "$s6data/mecdns.db" ;;
	static) KNOT_ECS=on knot_conf "$dir" "$port" "$s6data/zone-central.zone" ;;
	geoip) KNOT_ECS=on KNOT_GEOIP_CONF="$s6data/geoip.conf" knot_conf "$dir" "$port" "$s6data/zone-central.zone" ;;
	esac
}

mkdir -p "$BENCH_DATA/0"
[ -s "$BENCH_DATA/0/mecdns.db" ] || "$DBTOOL" -d "$BENCH_DATA/0/mecdns.db" init >/dev/null
printf 'system\tround\tsent\tcompleted\tlost\tqps\tcpu_s\tq_per_cpu_s\tmismatches\n' >"$w6/scopes.tsv"
printf 'system\trules\trss_kb\n' >"$w6/memory.tsv"
: >"$w6/answers.txt"
declare -A S6PID S6PORT
s6up=()
for sys in empty mecdns-scoped static geoip; do
	w="$w6/$sys"
	rm -rf "$w"; mkdir -p "$w"
	port=$(free_port)
	scoped_conf "$w" "$port" "$sys"
	taskset -c "$SERVER_CPU" "$KNOTD" -c "$w/knot.conf" >"$w/server.log" 2>&1 &
	SRV_PID=$!
	EXTRA_PIDS+=("$SRV_PID")
	SRV_LOG="$w/server.log"
	if [ "$sys" = empty ]; then
		want="NXDOMAIN -"; qname=svc0.mec.example.
	else
		want="NOERROR 10.200.0.0"; qname=svc0.mec.example.
	fi
	if ! wait_answer "$port" "$qname" "$want" 120; then
		log "part 6: $sys did not answer $qname (see $w/server.log)"
		stop_pid "$SRV_PID"; SRV_PID=
		continue
	fi
	SRV_LOG=
	sleep 0.5
	rules=$([ "$sys" = empty ] && echo 0 || echo $((s6names * (s6sites + 1))))
	printf '%s\t%s\t%s\n' "$sys" "$rules" "$(rss_kb "$SRV_PID")" >>"$w6/memory.tsv"
	if [ "$sys" = empty ]; then
		stop_pid "$SRV_PID"; SRV_PID=
		continue
	fi
	if [ "$sys" != static ]; then
		res=$("$PEERS/ecsload" -c -p "$port" -f "$s6data/queries.txt" -n "$s6check" 2>&1 | tail -1) || true
		echo "$sys: $res" >>"$w6/answers.txt"
		case $res in *" lost 0 "*" mismatches 0") ;; *) log "part 6: $sys answers differ: $res" ;; esac
	fi
	S6PID[$sys]=$SRV_PID
	S6PORT[$sys]=$port
	s6up+=("$sys")
	SRV_PID=
done
for round in $(seq "$REPS"); do
	for sys in "${s6up[@]}"; do
		pid=${S6PID[$sys]}
		n0=$(cpu_ns "$pid")
		res=$(taskset -c "$CLIENT_CPU" "$PEERS/ecsload" -p "${S6PORT[$sys]}" -f "$s6data/queries.txt" -l "$s6secs" -q "${ECS_Q:-64}" 2>&1 | tail -1) || true
		n1=$(cpu_ns "$pid")
		awk -v sys="$sys" -v r="$round" -v ns=$((n1 - n0)) '{
			for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)
			cpu = ns / 1e9
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%.4f\t%.0f\t%s\n", sys, r, v["sent"], v["completed"], v["lost"], v["qps"], cpu, (cpu > 0 ? v["completed"] / cpu : 0), v["mismatches"]
		}' <<<"$res" >>"$w6/scopes.tsv"
		log "part 6: $sys round $round: $res"
	done
done
for sys in "${s6up[@]}"; do stop_pid "${S6PID[$sys]}"; rm -rf "$w6/$sys/knot-db"; done

# part6.md: median round by q/CPU-s per system, the ratios, memory.
awk -F'\t' -v names="$s6names" -v sites="$s6sites" -v secs="$s6secs" '
FILENAME ~ /memory.tsv$/ { if (FNR > 1) { rss[$1] = $3; rules[$1] = $2 } next }
FNR == 1 { next }
{ n[$1]++; q[$1, n[$1]] = $8; qps[$1, n[$1]] = $6; mm[$1, n[$1]] = $9; lost[$1, n[$1]] = $5 }
END {
	for (s in n) {
		# median by q/CPU-s (insertion sort of the rounds)
		for (i = 1; i <= n[s]; i++) idx[i] = i
		for (i = 2; i <= n[s]; i++) for (j = i; j > 1 && q[s, idx[j]] < q[s, idx[j - 1]]; j--) { t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t }
		m = idx[int((n[s] + 1) / 2)]
		med[s] = q[s, m]; medqps[s] = qps[s, m]; medmm[s] = mm[s, m]; medlost[s] = lost[s, m]
	}
	print "## Client-subnet scopes (issue 13)"
	print ""
	printf "%d names x %d sites: %d scoped rules over %d distinct /24 prefixes, plus one unscoped rule per name; every query carries ECS (a different device per query, 9 in 10 inside a site). One knotd UDP worker each, `edns-client-subnet: on`; %d s max-rate rounds, median round by q/CPU-s.\n", names, sites, names * sites, names * sites, secs
	print ""
	print "| system | q/CPU-s | ratio to static | qps | lost | answers differing (of the measured run) | knotd RSS (KiB) |"
	print "|---|---|---|---|---|---|---|"
	split("mecdns-scoped static geoip", order, " ")
	label["mecdns-scoped"] = "mecdns, scoped rules"; label["static"] = "static zone (central answers only, no scopes)"; label["geoip"] = "Knot mod-geoip, subnet mode"
	for (k = 1; k <= 3; k++) { s = order[k]; if (!(s in med)) continue
		ratio = (med["static"] > 0) ? sprintf("%.3f", med[s] / med["static"]) : "-"
		printf "| %s | %.0f | %s | %.0f | %s | %s | %s |\n", label[s], med[s], ratio, medqps[s], medlost[s], (s == "static" ? "n/a" : medmm[s]), rss[s] }
	print ""
	if (("mecdns-scoped" in med) && ("geoip" in med))
		printf "mecdns against mod-geoip: %.2f x its queries per CPU-second.\n\n", med["mecdns-scoped"] / med["geoip"]
	if (("mecdns-scoped" in rss) && ("empty" in rss) && rules["mecdns-scoped"] > 0)
		printf "Memory: %.0f bytes per rule (knotd RSS with the %d rules minus knotd with the module and an empty database, %s KiB, over the rules).\n", (rss["mecdns-scoped"] - rss["empty"]) * 1024 / rules["mecdns-scoped"], rules["mecdns-scoped"], rss["empty"]
}' "$w6/memory.tsv" "$w6/scopes.tsv" >"$out/part6.md"
. "$here/lib/writes.sh"
s6pn=${SCOPE_PROP_SIZE:-100000}
case " $sizes " in *" $s6pn "*) ;; *) s6pn=$(echo "$sizes" | awk '{ print $NF }') ;; esac
s6ps=${SCOPE_PROP_SAMPLES:-$([ "$quick" = 1 ] && echo 100 || echo 300)}
s6bg=${PROP_BG:-500}
log "part 6: propagation of a scope change at $s6pn rules, $s6bg background writes/s"
if "$here/lib/gendata.sh" "$s6pn" "$BENCH_DATA/$s6pn" "$DBTOOL" && KNOT_ECS=on stack_mecdns "$s6pn" "$w6/prop"; then
	taskset -c "$CLIENT_CPU" "$PEERS/mecload" prop -scope -target mecdns -url "http://127.0.0.1:$HTTP_PORT" \
		-dns "127.0.0.1:$DNS_PORT" -n "$s6ps" -bg "$s6bg" -bgc 8 -tag scope- -maxd "${PROP_MAXD:-40}s" \
		>"$w6/prop.txt" 2>&1 || true
	log "part 6: scope change: $(tail -1 "$w6/prop.txt")"
	tail -1 "$w6/prop.txt" | tr ' ' '\n' | awk -F= -v n="$s6pn" -v bg="$s6bg" '
		{ v[$1] = $2 }
		END {
			printf "Propagation of a scope change (a rule moved from one client subnet to another by an Mm5 PUT of `clientSubnets`, polled with ECS from the new one) at %d rules under %d background writes/s: request → first answer in the new subnet p50 %s ms, p99 %s ms, max %s ms (%s samples, %s missing); after the 2xx p50 %s ms, p99 %s ms.\n", n, bg, v["e2e_p50_ms"], v["e2e_p99_ms"], v["e2e_max_ms"], v["samples"], v["missing"], v["after2xx_p50_ms"], v["after2xx_p99_ms"]
		}' >>"$out/part6.md"
fi
stack_stop
cat "$out/part6.md"
