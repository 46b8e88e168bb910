#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Turns one results directory into report.md and PNG charts (gnuplot).
#   bench/lib/report.sh RESULTS_DIR [--publish DOCS_DIR]
# --publish writes DOCS_DIR/benchmarks.md (report + bench/analysis.md) and
# copies the charts to DOCS_DIR/benchmarks-*.png.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
r=${1:?usage: report.sh RESULTS_DIR [--publish DOCS_DIR]}
docs=
[ "${2:-}" = --publish ] && docs=${3:?--publish needs DOCS_DIR}

label() {
	case $1 in
	mecdns) echo "knotd + mod-mecdns" ;;
	static) echo "knotd, static zone" ;;
	pdns) echo "PowerDNS gsqlite3, packet cache on" ;;
	pdns-nc) echo "PowerDNS gsqlite3, packet cache off" ;;
	mapdns) echo "Go miekg/dns map (seed design)" ;;
	*) echo "$1" ;;
	esac
}

# summary.tsv: per (size, system, mode) the median round by queries per
# CPU-second, in results.tsv's layout without the round column, plus the
# number of rounds and the lowest and highest q/CPU-s of the rounds.
awk -F'\t' -v OFS='\t' '
	NR == 1 { next }
	{ k = $1 OFS $2 OFS $3; if (!(k in cnt)) order[++nk] = k; i = ++cnt[k]
	  row[k, i] = $1 OFS $2 OFS $3 OFS $5 OFS $6 OFS $7 OFS $8 OFS $9 OFS $10 OFS $11 OFS $12 OFS $13
	  v[k, i] = ($12 > 0) ? $5 / $12 : 0 }
	END {
		print "size", "system", "mode", "completed", "lost", "qps", "avg_ms", "sd_ms", "noerror", "nxdomain", "cpu_s", "util", "rounds", "qpc_min", "qpc_max"
		for (j = 1; j <= nk; j++) {
			k = order[j]; m = cnt[k]
			for (a = 1; a <= m; a++) idx[a] = a
			for (a = 2; a <= m; a++) { t = idx[a]; for (b = a - 1; b >= 1 && v[k, idx[b]] > v[k, t]; b--) idx[b + 1] = idx[b]; idx[b + 1] = t }
			med = idx[int((m + 1) / 2)]
			print row[k, med], m, v[k, idx[1]], v[k, idx[m]]
		}
	}' "$r/results.tsv" >"$r/summary.tsv"

chart() {
	# chart: qps and queries per server CPU-second by rule count, one line per system
	command -v gnuplot >/dev/null || return 0
	local sys
	for sys in mecdns static pdns pdns-nc mapdns; do
		awk -F'\t' -v s="$sys" 'NR > 1 && $2 == s && $3 == "udp" && $11 > 0 {
			printf "%s %s %.0f\n", $1, $6, $4 / $11 }' "$r/summary.tsv" >"$r/plot-$sys.dat"
	done
	local plot1="" plot2="" sep=""
	for sys in mecdns static pdns pdns-nc mapdns; do
		[ -s "$r/plot-$sys.dat" ] || continue
		plot1="$plot1$sep'$r/plot-$sys.dat' using 1:(\$2/1000) with linespoints title '$(label "$sys")'"
		plot2="$plot2$sep'$r/plot-$sys.dat' using 1:(\$3/1000) with linespoints title '$(label "$sys")'"
		sep=", "
	done
	[ -n "$plot1" ] || return 0
	gnuplot <<EOF
set terminal pngcairo size 1200,600 font ",10" noenhanced
set output '$r/benchmarks-qps.png'
set multiplot layout 1,2 title "mecdns benchmarks, UDP, 90% hits / 10% misses ($(date -r "$r/summary.tsv" +%Y-%m-%d))"
set logscale x
set xrange [500:2000000]
set xlabel 'rules'
set format x "%.0s%c"
set grid
set key below maxrows 3 box
set yrange [0:*]
set title 'answered queries per second (dnsperf on the other core)'
set ylabel 'kqps'
plot $plot1
set title 'queries per server CPU-second (the ranking figure)'
set ylabel 'k queries / CPU-s'
plot $plot2
unset multiplot
EOF
}

{
	echo "## Run $(basename "$r")"
	echo
	echo '```'
	cat "$r/machine.txt"
	echo '```'
	echo
	echo "### Query throughput, UDP, 90% hits / 10% misses (part 1)"
	echo
	echo "Max-rate runs: dnsperf (\`-c 8 -q 64 -T 1\`) on one core, the server pinned to the other."
	echo "mod-mecdns and the static zone run side by side in interleaved rounds (both servers up, dnsperf"
	echo "alternating between them); each figure is the median round by q/CPU-s (lowest–highest in brackets)."
	echo "*q/CPU-s* = queries answered / server CPU-seconds (on-CPU time of all its threads, from"
	echo "/proc/PID/task/*/schedstat in ns, read around the run; /proc/PID/stat utime+stime ticks are kept"
	echo "in the raw .meta files); *vs static* = that figure / the static zone's at the same size."
	echo "*paced*: dnsperf \`-Q\` at a fixed rate every server sustains (same load for all: q/CPU-s at equal"
	echo "offered load, and the latency: dnsperf's average ± stddev)."
	echo
	echo "| rules | system | max qps | server CPU | q/CPU-s (max) | vs static | q/CPU-s (paced) | vs static | paced latency ms (avg ± sd) | lost | NOERROR/NXDOMAIN % |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	awk -F'\t' '
	FNR > 1 && $3 == "udp" { key = $1 SUBSEP $2; q[key] = $4; qps[key] = $6; cpu[key] = $11; util[key] = $12; lost[key] = $5; rc[key] = $9 "/" $10; order[++n] = key
		spread[key] = ($13 > 1) ? sprintf(" (%.0f–%.0f, %d rounds)", $14, $15, $13) : "" }
	FNR > 1 && $3 == "paced" { key = $1 SUBSEP $2; lat[key] = sprintf("%.3f ± %.3f", $7, $8); pq[key] = $4; pc[key] = $11; if ($5 > 0) plost[key] = $5 }
	function qpc(a, b) { return (b > 0) ? a / b : 0 }
	function rel(a, b) { return (a > 0 && b > 0) ? sprintf("%.3f", a / b) : "-" }
	END {
		for (i = 1; i <= n; i++) {
			o = order[i]
			split(o, k, SUBSEP)
			s = k[1] SUBSEP "static"
			qc = qpc(q[o], cpu[o]); qs = qpc(q[s], cpu[s])
			pqc = qpc(pq[o], pc[o]); pqs = qpc(pq[s], pc[s])
			l = lost[o]; if (o in plost) l = l " (paced " plost[o] ")"
			printf "| %s | %s | %.0f | %.0f%% | %.0f%s | %s | %.0f | %s | %s | %s | %s |\n", k[1], k[2], qps[o], util[o], qc, spread[o],
			       rel(qc, qs), pqc, rel(pqc, pqs), (o in lat) ? lat[o] : "-", l, rc[o]
		}
	}' "$r/summary.tsv"
	echo
	echo "### Ratios against the targets"
	echo
	echo "Ratios of queries per server CPU-second (max-rate runs; paced runs in brackets)."
	echo
	echo "| rules | mod-mecdns / static zone (target ≥ 0.95) | callgrind: static Ir/q ÷ mecdns Ir/q | mod-mecdns / PowerDNS cache on | / cache off | / Go map server |"
	echo "|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' '
	FILENAME ~ /summary/ && FNR > 1 && $3 == "udp" && $11 > 0 { qc[$1, $2] = $4 / $11; sizes[$1] = 1 }
	FILENAME ~ /summary/ && FNR > 1 && $3 == "paced" && $11 > 0 { pq[$1, $2] = $4 / $11 }
	FILENAME ~ /callgrind/ && FNR > 1 && $3 > 0 && $4 > 0 { ir[$1, $2] = $4 / $3 }
	function ratio(a, b) { return (b > 0 && a > 0) ? sprintf("%.2f", a / b) : "-" }
	END {
		for (s in sizes) list[++m] = s + 0
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (list[j] < list[i]) { t = list[i]; list[i] = list[j]; list[j] = t }
		for (i = 1; i <= m; i++) {
			s = list[i]; a = qc[s, "mecdns"]
			p = pq[s, "mecdns"]
			v = ratio(a, qc[s, "static"]); mark = (v != "-" && v + 0 >= 0.95) ? " ✓" : (v != "-" ? " ✗" : "")
			c = ((s, "mecdns") in ir && (s, "static") in ir) ? sprintf("%.3f (%.0f vs %.0f)", ir[s, "static"] / ir[s, "mecdns"], ir[s, "mecdns"], ir[s, "static"]) : "-"
			printf "| %s | %s%s (%s) | %s | %s (%s) | %s (%s) | %s (%s) |\n", s, v, mark, ratio(p, pq[s, "static"]), c,
			       ratio(a, qc[s, "pdns"]), ratio(p, pq[s, "pdns"]), ratio(a, qc[s, "pdns-nc"]), ratio(p, pq[s, "pdns-nc"]),
			       ratio(a, qc[s, "mapdns"]), ratio(p, pq[s, "mapdns"])
		}
	}' "$r/summary.tsv" "$r/callgrind.tsv"
	echo
	if awk -F'\t' 'NR > 1 && $3 == "tcp" { f = 1 } END { exit !f }' "$r/summary.tsv"; then
		echo "### TCP (one run per system)"
		echo
		echo "dnsperf \`-m tcp -c 16 -q 64\`."
		echo
		echo "| rules | system | qps | server CPU | q/CPU-s | avg latency ms |"
		echo "|---:|---|---:|---:|---:|---:|"
		awk -F'\t' 'NR > 1 && $3 == "tcp" { lab = $2
			v = ($11 > 0) ? $4 / $11 : 0; printf "| %s | %s | %.0f | %.0f%% | %.0f | %.3f |\n", $1, lab, $6, $12, v, $7 }' "$r/summary.tsv"
		echo
	fi
	if [ "$(wc -l <"$r/callgrind.tsv")" -gt 1 ]; then
		echo "### Instructions per query (callgrind)"
		echo
		echo "knotd under \`valgrind --tool=callgrind\`, instrumentation switched on after start-up, then"
		echo "sequential queries (\`dnsperf -c 1 -q 1 -n 1\`, first lines of the same query file); user-space"
		echo "instructions of the whole process divided by the queries. Repeatable whatever the machine load."
		echo
		echo "| rules | system | queries | instructions | per query |"
		echo "|---:|---|---:|---:|---:|"
		awk -F'\t' 'NR > 1 { lab = $2
			v = ($3 > 0) ? $4 / $3 : 0; printf "| %s | %s | %s | %s | %.0f |\n", $1, lab, $3, $4, v }' "$r/callgrind.tsv"
		echo
	fi
	if [ "$(wc -l <"$r/memory.tsv")" -gt 1 ]; then
		echo "### Memory and load time (part 4)"
		echo
		echo "*ready*: from exec to the first correct answer for the last rule (kdig polling, ±0.3 s on a"
		echo "loaded machine); *module load*: the module's own log line (full load of the database);"
		echo "*RSS idle*: after start; *peak*: VmHWM after the runs. *per record*: (RSS idle − RSS of the"
		echo "same knotd with an empty database / apex-only zone) ÷ rules."
		echo
		echo "| rules | system | ready ms | module load ms | RSS idle MiB | peak RSS MiB | bytes per record |"
		echo "|---:|---|---:|---:|---:|---:|---:|"
		awk -F'\t' '
		NR > 1 && $1 == 0 { base[$2] = $5; next }
		NR > 1 { row[++n] = $0 }
		END {
			for (i = 1; i <= n; i++) {
				split(row[i], f, "\t")
				b = (f[2] in base) ? base[f[2]] : ""
				per = (b != "" && f[1] > 0) ? sprintf("%.0f", (f[5] - b) * 1024 / f[1]) : "-"
				lab = f[2]
				printf "| %s | %s | %s | %s | %.1f | %.1f | %s |\n", f[1], lab, f[3], f[4], f[5] / 1024, f[6] / 1024, per
			}
			for (s in base) printf "| 0 | %s (baseline) | - | - | %.1f | - | - |\n", s, base[s] / 1024
		}' "$r/memory.tsv"
		echo
	fi
	for f in "$r"/part*.md; do
		if [ -e "$f" ]; then cat "$f"; echo; fi
	done
	true
} | sed -e 's/^| \([0-9]*\) | mecdns /| \1 | knotd + mod-mecdns /' \
        -e 's/^| \([0-9]*\) | static /| \1 | knotd, static zone /' \
        -e 's/^| \([0-9]*\) | pdns-nc /| \1 | PowerDNS gsqlite3, packet cache off /' \
        -e 's/^| \([0-9]*\) | pdns /| \1 | PowerDNS gsqlite3, packet cache on /' \
        -e 's/^| \([0-9]*\) | mapdns /| \1 | Go miekg\/dns map (seed design) /' >"$r/report.md"

# chart_writes: part 3's writes/s and p99 against concurrency, mecdns (Mm5
# POST) and PowerDNS (API PATCH), from the mecload result lines.
chart_writes() {
	command -v gnuplot >/dev/null || return 0
	[ -d "$r/part3" ] || return 0
	local f c sys
	for sys in mecdns pdns; do
		: >"$r/plot-writes-$sys.dat"
		for f in "$r"/part3/$([ "$sys" = mecdns ] && echo mm5-post || echo pdns-patch)-c*.txt; do
			[ -e "$f" ] || continue
			tail -1 "$f" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
				if (v["concurrency"] != "" && v["rate"] != "") print v["concurrency"], v["rate"], v["p99_ms"] }' \
				>>"$r/plot-writes-$sys.dat"
		done
		sort -n -o "$r/plot-writes-$sys.dat" "$r/plot-writes-$sys.dat"
	done
	[ -s "$r/plot-writes-mecdns.dat" ] || return 0
	local p1="'$r/plot-writes-mecdns.dat' using 1:2 with linespoints title 'mecdns-syncd Mm5 POST'"
	local p2="'$r/plot-writes-mecdns.dat' using 1:3 with linespoints title 'mecdns-syncd Mm5 POST'"
	if [ -s "$r/plot-writes-pdns.dat" ]; then
		p1="$p1, '$r/plot-writes-pdns.dat' using 1:2 with linespoints title 'PowerDNS API PATCH'"
		p2="$p2, '$r/plot-writes-pdns.dat' using 1:3 with linespoints title 'PowerDNS API PATCH'"
	fi
	gnuplot <<EOF
set terminal pngcairo size 1200,500 font ",10" noenhanced
set output '$r/benchmarks-writes.png'
set multiplot layout 1,2 title "durable one-record writes against concurrency ($(date -r "$r/part3" +%Y-%m-%d))"
set logscale xy
set xrange [0.8:100]
set xlabel 'concurrent writers'
set grid
set key below box
set title 'writes per second (2xx: committed)'
set ylabel 'writes/s'
plot $p1
set title 'p99 latency, request to reply'
set ylabel 'ms'
plot $p2
unset multiplot
EOF
}

# chart_memory: part 4's bytes per record against the rule count.
chart_memory() {
	command -v gnuplot >/dev/null || return 0
	[ -f "$r/memory.tsv" ] && [ "$(wc -l <"$r/memory.tsv")" -gt 1 ] || return 0
	local sys plot="" sep=""
	for sys in mecdns static mapdns; do
		awk -F'\t' -v s="$sys" 'NR > 1 && $1 == 0 && $2 == s { base = $5 }
			NR > 1 && $1 > 0 && $2 == s { n[++k] = $1; rss[k] = $5 }
			END { for (i = 1; i <= k; i++) if (base != "") printf "%s %.0f\n", n[i], (rss[i] - base) * 1024 / n[i] }' \
			"$r/memory.tsv" | sort -n >"$r/plot-memory-$sys.dat"
		[ -s "$r/plot-memory-$sys.dat" ] || continue
		plot="$plot$sep'$r/plot-memory-$sys.dat' using 1:2 with linespoints title '$(label "$sys")'"
		sep=", "
	done
	[ -n "$plot" ] || return 0
	plot="$plot, 100 with lines dashtype 2 title 'issue 14 target: 100 bytes'"
	gnuplot <<EOF
set terminal pngcairo size 800,500 font ",10" noenhanced
set output '$r/benchmarks-memory.png'
set title "resident memory per record against rule count ($(date -r "$r/memory.tsv" +%Y-%m-%d))"
set logscale x
set xrange [500:2000000]
set format x "%.0s%c"
set xlabel 'rules'
set ylabel 'bytes per record (RSS over the empty server)'
set yrange [0:*]
set grid
set key below box
plot $plot
EOF
}

chart || echo "report.sh: gnuplot chart failed" >&2
chart_writes || echo "report.sh: gnuplot writes chart failed" >&2
chart_memory || echo "report.sh: gnuplot memory chart failed" >&2

if [ -n "$docs" ]; then
	mkdir -p "$docs"
	for png in qps writes memory; do
		[ -f "$r/benchmarks-$png.png" ] && cp "$r/benchmarks-$png.png" "$docs/benchmarks-$png.png"
	done
	{
		if [ -f "$here/analysis.md" ]; then
			sed -n '1,/^<!-- results -->$/p' "$here/analysis.md"
		fi
		echo
		echo "![qps and queries per CPU-second by rule count](benchmarks-qps.png)"
		echo
		[ -f "$r/benchmarks-writes.png" ] &&
			{ echo "![durable writes per second and p99 against concurrency](benchmarks-writes.png)"; echo; }
		[ -f "$r/benchmarks-memory.png" ] &&
			{ echo "![memory per record against rule count](benchmarks-memory.png)"; echo; }
		cat "$r/report.md"
		if [ -f "$here/analysis.md" ]; then
			sed -n '/^<!-- results -->$/,$p' "$here/analysis.md" | sed 1d
		fi
	} >"$docs/benchmarks.md"
fi
