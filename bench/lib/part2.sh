# SPDX-License-Identifier: GPL-3.0-or-later
# Parts 2 and 5: update propagation end to end, and D-Bus commit-to-signal
# latency under the same write load (sourced by bench/run.sh; lib/writes.sh).
#
# For each size in PROP_SIZES (default 100000 1000000, those of this run):
#   mecdns: mecload prop writes PROP_SAMPLES new rules (Mm5 POST), one at a
#   time, each while a UDP poller queries the new name back to back from the
#   moment the request is sent; background writers POST PROP_BG other new
#   rules per second all along. e2e = first correct answer - request sent;
#   after 2xx = first correct answer - reply received (negative: DNS was
#   ahead of the HTTP reply). dbuslat records every rule_changed signal;
#   part 5 joins them with the writes' send/reply times.
#   PowerDNS: the same with API PATCH (one rrset REPLACE) and its own
#   answers; background PATCHes from one writer (concurrent ones fail with
#   "database is locked"), failed foreground PATCHes retried (time counts
#   from the first attempt).
. "$here/lib/writes.sh"
p2sizes=${PROP_SIZES:-"100000 1000000"}
p2n=${PROP_SAMPLES:-$([ "$quick" = 1 ] && echo 100 || echo 300)}
p2bg=${PROP_BG:-500}
w2="$out/part2"
mkdir -p "$w2"
: >"$w2/rows.txt"
: >"$w2/dbus-rows.txt"
for n in $p2sizes; do
	case " $sizes " in *" $n "*) ;; *) continue ;; esac
	log "part 2: propagation at $n rules, $p2bg background changes/s"
	"$here/lib/gendata.sh" "$n" "$BENCH_DATA/$n" "$DBTOOL"
	if stack_mecdns "$n" "$w2/mecdns-$n"; then
		taskset -c "$CLIENT_CPU" "$PEERS/mecload" prop -target mecdns -url "http://127.0.0.1:$HTTP_PORT" \
			-dns "127.0.0.1:$DNS_PORT" -n "$p2n" -bg "$p2bg" -bgc 8 -tag "s$n-" -maxd "${PROP_MAXD:-40}s" \
			-log "$w2/mecdns-$n/writes.txt" >"$w2/mecdns-$n/prop.txt" 2>&1 || true
		log "mecdns $n: $(tail -1 "$w2/mecdns-$n/prop.txt")"
		sleep 1 # the last signals
		echo "$n mecdns $(tail -1 "$w2/mecdns-$n/prop.txt")" >>"$w2/rows.txt"
		# part 5: join writes (id send reply status) with signals (recv id gen)
		awk -v n="$n" '
			FILENAME ~ /writes/ { if ($4 >= 200 && $4 < 300) { send[$1] = $2; reply[$1] = $3 }; next }
			($2 in send) { a[++k] = ($1 - send[$2]) / 1e6; b[k] = ($1 - reply[$2]) / 1e6 }
			function sortv(v, m,   i, j, t) { for (i = 2; i <= m; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t } }
			function q(v, m, p,   i) { i = int(p * m + 0.5); if (i < 1) i = 1; if (i > m) i = m; return v[i] }
			END {
				w = 0; for (x in send) w++
				if (k == 0) { printf "%s %d 0 - - - - - -\n", n, w; exit }
				sortv(a, k); sortv(b, k)
				printf "%s %d %d %.3f %.3f %.3f %.3f %.3f %.3f\n", n, w, k, q(a, k, .5), q(a, k, .99), a[k], q(b, k, .5), q(b, k, .99), b[k]
			}' "$w2/mecdns-$n/writes.txt" "$w2/mecdns-$n/signals.txt" >>"$w2/dbus-rows.txt"
	fi
	stack_stop
	if stack_pdns "$n" "$w2/pdns-$n"; then
		taskset -c "$CLIENT_CPU" "$PEERS/mecload" prop -target pdns -url "http://127.0.0.1:$API_PORT" -key "$API_KEY" \
			-dns "127.0.0.1:$DNS_PORT" -n "$p2n" -bg "$p2bg" -bgc 1 -tag "s$n-" -maxd "${PROP_MAXD:-40}s" \
			>"$w2/pdns-$n/prop.txt" 2>&1 || true
		log "pdns $n: $(tail -1 "$w2/pdns-$n/prop.txt")"
		echo "$n pdns $(tail -1 "$w2/pdns-$n/prop.txt")" >>"$w2/rows.txt"
	fi
	stack_stop
done
"$here/lib/part2-md.sh" "$out" "$p2bg"

true
