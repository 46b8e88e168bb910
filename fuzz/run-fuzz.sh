#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run-fuzz.sh CORPUS_DIR BUILD_FUZZ_DIR TARGET...: runs each libFuzzer target
# for $FUZZ_SECONDS (default 10) over a temporary copy of
# CORPUS_DIR/<target>; crashes, leaks, timeouts and OOMs are written to
# BUILD_FUZZ_DIR/findings/<target>-<kind>-<hash>, the log to
# BUILD_FUZZ_DIR/<target>.log. Exits 1 if any target failed.
set -u
corpus=$1
dir=$2
shift 2
seconds=${FUZZ_SECONDS:-10}
mkdir -p "$dir/findings" || exit 1
failed=
for t in "$@"; do
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/mecdns-fuzz-$t.XXXXXX") || exit 1
	mkdir -p "$tmp/corpus"
	if [ -d "$corpus/$t" ]; then
		cp -R "$corpus/$t/." "$tmp/corpus/"
	fi
	log="$dir/$t.log"
	before=$(ls "$dir/findings" | grep -c "^$t-")
	if "$dir/$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/findings/$t-" \
		"$tmp/corpus" >"$log" 2>&1; then
		status=ok
	else
		status=FAILED
		failed="$failed $t"
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	units=$(ls "$tmp/corpus" | wc -l)
	found=$(($(ls "$dir/findings" | grep -c "^$t-") - before))
	echo "fuzz: $t: $status, ${execs:-?} executions in ${seconds}s, $cov, corpus $units, findings $found (log $log)"
	if [ "$status" = FAILED ]; then
		grep -E 'ERROR|SUMMARY|Test unit written|^    #[0-9]' "$log" | head -n 40 | sed 's/^/    /'
	fi
	rm -rf "$tmp"
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed (inputs in $dir/findings/)" >&2
	exit 1
fi
exit 0
