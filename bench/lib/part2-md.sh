#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Writes RESULTS/part2.md (parts 2 and 5) from RESULTS/part2/rows.txt and
# dbus-rows.txt:  bench/lib/part2-md.sh RESULTS BACKGROUND_RATE
set -euo pipefail
out=${1:?usage: part2-md.sh RESULTS BG}
p2bg=${2:-500}
w2="$out/part2"
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }
{
	echo "### Update propagation (part 2)"
	echo
	echo "One new rule at a time (mecdns: Mm5 POST; PowerDNS: API PATCH), polled over UDP back to back"
	echo "from the moment the request is sent, while background writers add other rules at $p2bg/s"
	echo "(achieved rate in the table). *e2e*: request sent → first answer with the new address;"
	echo "*after 2xx*: reply received → that answer (negative: DNS had it before the client had the reply)."
	echo "mod-mecdns with \`refresh-interval: 1000\` (the default) and the refresher's change notification."
	echo
	echo "| rules | system | samples | background writes/s | e2e p50 ms | e2e p99 ms | e2e max ms | after 2xx p50 | p99 | max | write p50 ms | retries |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	while read -r n sys rest; do
		if [ "$(kv samples "$rest")" = 0 ]; then
			echo "| $n | $sys | 0 (missing $(kv missing "$rest")): no write succeeded within the time limit | $(kv bg_rate "$rest") | - | - | - | - | - | - | - | $(kv retries "$rest") |"
			continue
		fi
		echo "| $n | $sys | $(kv samples "$rest") (missing $(kv missing "$rest")) | $(kv bg_rate "$rest") | $(kv e2e_p50_ms "$rest") | $(kv e2e_p99_ms "$rest") | $(kv e2e_max_ms "$rest") | $(kv after2xx_p50_ms "$rest") | $(kv after2xx_p99_ms "$rest") | $(kv after2xx_max_ms "$rest") | $(kv write_p50_ms "$rest") | $(kv retries "$rest") |"
	done <"$w2/rows.txt"
	echo
	echo "Targets: mecdns e2e p99 ≤ 5 ms, and below PowerDNS's median."
	echo
	echo "### D-Bus commit-to-signal latency (part 5)"
	echo
	echo "Every rule_changed signal received by a listener (libdbus, on the client core) on the private bus"
	echo "syncd signals on, during the part 2 load, matched to its write by dnsRuleId. *from request*: request"
	echo "sent → signal received; *from 2xx*: reply received → signal received (the commit lies between)."
	echo
	echo "| rules | writes (2xx) | signals matched | from request p50 ms | p99 | max | from 2xx p50 ms | p99 | max |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	while read -r n w k a50 a99 amax b50 b99 bmax; do
		echo "| $n | $w | $k | $a50 | $a99 | $amax | $b50 | $b99 | $bmax |"
	done <"$w2/dbus-rows.txt"
} >"$out/part2.md"
