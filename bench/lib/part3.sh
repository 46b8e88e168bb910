# SPDX-License-Identifier: GPL-3.0-or-later
# Part 3: REST write throughput (sourced by bench/run.sh; see lib/writes.sh).
# mecdns-syncd: Mm5 single-rule POSTs at concurrency WRITE_CONC (1 16 64), rules per second
# through the bulk rrecord PUT (batches of BULK_BATCH); PowerDNS API PATCH
# (one rrset REPLACE each) at concurrency 1 and 16. All writes durable: syncd
# answers 2xx after a synchronous=FULL commit; PowerDNS gsqlite3 with its
# default pragmas. Data set: PART3_SIZE rules already in each database.
. "$here/lib/writes.sh"
p3n=${PART3_SIZE:-100000}
case " $sizes " in *" $p3n "*) ;; *) p3n=$(echo "$sizes" | awk '{ print $NF }') ;; esac
p3d=${WRITE_SECONDS:-$([ "$quick" = 1 ] && echo 4 || echo 10)}
p3bulk=${BULK_RULES:-$([ "$quick" = 1 ] && echo 20000 || echo 100000)}
p3batch=${BULK_BATCH:-1000}
p3conc=${WRITE_CONC:-1 16 64}
w3="$out/part3"
mkdir -p "$w3"
log "part 3: REST write throughput at $p3n rules"
if "$here/lib/gendata.sh" "$p3n" "$BENCH_DATA/$p3n" "$DBTOOL" && stack_mecdns "$p3n" "$w3/mecdns"; then
	for c in $p3conc; do
		taskset -c "$CLIENT_CPU" "$PEERS/mecload" post -url "http://127.0.0.1:$HTTP_PORT" -c "$c" -d "${p3d}s" -tag "c$c-" >"$w3/mm5-post-c$c.txt" 2>&1 || true
		log "mm5 POST c=$c: $(cat "$w3/mm5-post-c$c.txt")"
	done
	taskset -c "$CLIENT_CPU" "$PEERS/mecload" bulk -url "http://127.0.0.1:$HTTP_PORT" -n "$p3bulk" -batch "$p3batch" -tag bulk >"$w3/rrecord-bulk.txt" 2>&1 || true
	log "rrecord bulk PUT: $(cat "$w3/rrecord-bulk.txt")"
	# the module must have loaded the last bulk rule
	i=$((p3bulk - 1))
	t0=$(date +%s%N)
	wait_answer "$DNS_PORT" "bulk$i.bulk.mec.example." "NOERROR 10.$((100 + ((i >> 16) & 127))).$(((i >> 8) & 255)).$((i & 255))" 60 \
		&& echo "last bulk rule answered $(( ($(date +%s%N) - t0) / 1000000 )) ms after the last PUT's reply" >"$w3/bulk-visible.txt" \
		|| echo "last bulk rule not answered within 60 s" >"$w3/bulk-visible.txt"
fi
stack_stop
if stack_pdns "$p3n" "$w3/pdns"; then
	for c in 1 16; do
		taskset -c "$CLIENT_CPU" "$PEERS/mecload" patch -url "http://127.0.0.1:$API_PORT" -key "$API_KEY" -c "$c" -d "${p3d}s" -tag "c$c-" >"$w3/pdns-patch-c$c.txt" 2>&1 || true
		log "pdns PATCH c=$c: $(cat "$w3/pdns-patch-c$c.txt")"
	done
fi
stack_stop
{
	echo "### REST write throughput (part 3)"
	echo
	echo "$p3n rules already stored; ${p3d} s per run; mecload (Go net/http, keep-alive) on the client core, the"
	echo "servers on the other. Every 2xx is a committed (durable) write. Latency = request to reply."
	echo
	echo "| write | concurrency | writes/s (2xx) | rules/s | p50 ms | p99 ms | non-2xx |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for c in $p3conc; do
		l=$(cat "$w3/mm5-post-c$c.txt" 2>/dev/null | tail -1)
		[ -n "$l" ] && echo "| mecdns-syncd Mm5 POST (one rule) | $c | $(kv rate "$l") | $(kv rate "$l") | $(kv p50_ms "$l") | $(kv p99_ms "$l") | $(kv non2xx "$l") |"
	done
	l=$(tail -1 "$w3/rrecord-bulk.txt" 2>/dev/null)
	[ -n "$l" ] && echo "| mecdns-syncd rrecord bulk PUT ($p3batch rrsets each, $p3bulk in all) | 1 | $(awk -v r="$(kv rate "$l")" -v b="$p3batch" 'BEGIN { printf "%.1f", r / b }') | $(kv rate "$l") | $(kv put_p50_ms "$l") | - | $(kv failed_puts "$l") |"
	for c in 1 16; do
		l=$(tail -1 "$w3/pdns-patch-c$c.txt" 2>/dev/null)
		[ -n "$l" ] && echo "| PowerDNS API PATCH (one rrset) | $c | $(kv rate "$l") | $(kv rate "$l") | $(kv p50_ms "$l") | $(kv p99_ms "$l") | $(kv non2xx "$l") $(kv codes "$l") |"
	done
	echo
	[ -f "$w3/bulk-visible.txt" ] && { echo "Bulk: $(cat "$w3/bulk-visible.txt")."; echo; }
	echo "PowerDNS's gsqlite3 backend has no busy timeout: concurrent PATCHes fail with HTTP 500"
	echo "(\"database is locked\") instead of queueing; the table counts them as non-2xx."
} >"$out/part3.md"
true
