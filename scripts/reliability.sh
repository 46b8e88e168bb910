#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Measures what issue 7 ("Hardening") asks to be shown, and writes the
# figures to docs/reliability.md:
#
#   1. crash soak   bench/soak.sh CYCLES: kill -9 of mecdns-syncd at random
#                   moments under a concurrent write load; changes lost and
#                   D-Bus signals missing must both be 0.
#   2. fuzzing      fuzz/ci.sh with FUZZ_SECONDS per target (clang,
#                   libFuzzer, ASan + UBSan); findings must be 0.
#   3. sanitizers   scripts/sanitize.sh: the whole test suite built with
#                   ASan + UBSan (LeakSanitizer at every exit); reports
#                   must be 0.
#
#   scripts/reliability.sh [--cycles N] [--fuzz-seconds S] [--out FILE]
#   scripts/reliability.sh --from bench/results/reliability-<timestamp>
#                          (writes the page again from that run's logs)
#
# Defaults: 50 cycles, 60 s per fuzz target, docs/reliability.md. The logs
# of every step stay in bench/results/reliability-<timestamp>/. Exits
# non-zero if any step failed (the page is written either way, saying so).
# Needs root for apt-get (scripts/deps.sh) like the test suite; everything
# listens on loopback addresses on free ports.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cycles=50
fuzz_seconds=60
out=$top/docs/reliability.md
from=
while [ $# -gt 0 ]; do
	case $1 in
	--cycles) cycles=$2; shift ;;
	--fuzz-seconds) fuzz_seconds=$2; shift ;;
	--out) out=$2; shift ;;
	--from) from=$(cd "$2" && pwd) || exit 2; shift ;;
	-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
	*) echo "reliability.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $cycles$fuzz_seconds in
*[!0-9]*) echo "reliability.sh: --cycles and --fuzz-seconds take whole numbers" >&2; exit 2 ;;
esac

# run NAME CMD...: runs one step with its output in NAME.log, its exit
# status and seconds in NAME.status; sets step_status and step_seconds.
# With --from, only reads what that run recorded.
run() {
	local name=$1 start
	shift
	if [ -z "$from" ]; then
		echo "reliability: $name: $*"
		start=$(date +%s)
		"$@" >"$results/$name.log" 2>&1
		echo "$? $(($(date +%s) - start))" >"$results/$name.status"
	fi
	read -r step_status step_seconds <"$results/$name.status" || {
		echo "reliability: $results/$name.status: missing" >&2
		exit 1
	}
	echo "reliability: $name: exit $step_status after ${step_seconds}s"
}

if [ -n "$from" ]; then
	results=$from
	# The run's settings, as it recorded them.
	read -r cycles fuzz_seconds commit <"$results/settings" || exit 1
else
	"$top/scripts/deps.sh" || exit 1
	results=$top/bench/results/reliability-$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$results" || exit 1
	commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
	[ -n "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" ] &&
		commit="$commit+local-changes"
	echo "$cycles $fuzz_seconds $commit" >"$results/settings"
	echo "reliability: logs in $results"
fi

# 1. Crash soak, in its own build directory.
run soak env BUILD_DIR="$results/build-soak" RESULTS="$results/soak" \
	"$top/bench/soak.sh" "$cycles"
soak_status=$step_status soak_seconds=$step_seconds
soak_line=$(grep '^soak: cycles=' "$results/soak.log" | tail -n 1)

# 2. Fuzzing.
run fuzz env FUZZ_SECONDS="$fuzz_seconds" "$top/fuzz/ci.sh" "$top" "$results/build-fuzz"
fuzz_status=$step_status fuzz_seconds_total=$step_seconds
fuzz_lines=$(grep -E '^fuzz: [a-z_]+: ' "$results/fuzz.log")

# 3. Sanitizers over the whole suite.
run sanitizers env SANITIZE_BUILDDIR="$results/build-sanitize" "$top/scripts/sanitize.sh"
san_status=$step_status san_seconds=$step_seconds
san_line=$(grep '^sanitizers: ' "$results/sanitizers.log" | tail -n 1 | sed "s| in $results/| in |")

# field LINE KEY: the value of KEY=VALUE in a soak line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
verdict() { [ "$1" -eq 0 ] && echo "passed" || echo "**FAILED** (exit $1)"; }

{
	cat <<EOF
# mecdns reliability figures

Written by \`scripts/reliability.sh --cycles $cycles --fuzz-seconds $fuzz_seconds\`
on $(date -u -r "$results/settings" '+%Y-%m-%d %H:%M UTC'), commit $commit, on $(nproc) CPUs
($(uname -sr)). Run it again to refresh this page; the logs of the run were
in \`bench/results/$(basename "$results")/\`. The short versions of all three
run in CI (\`scripts/test.sh\` with \`CI=true\`): the crash test with 3
cycles in \`make check\`, every fuzz target for 5 s, and the whole suite
under the sanitizers.

## 1. kill -9 under write load: $(verdict "$soak_status")

\`bench/soak.sh $cycles\` runs \`tests/integration/test_crash\` for $cycles
cycles (${soak_seconds} s with its build). Per cycle, 4 writer threads send
Mm5, Mp1 and rrecord writes to the real mecdns-syncd; the daemon is killed
with SIGKILL at a random moment (and, one cycle in four, again while it
restarts), restarted on the same database, and then every change that got a
2xx is looked up in the database, asked of knotd with mod-mecdns (UDP and
TCP, once the module reports the database's generation) and matched to its
D-Bus signal.

| figure | value |
|---|---:|
| cycles survived | $(field "$soak_line" cycles) |
| requests acknowledged (2xx) | $(field "$soak_line" acked) |
| changes acknowledged | $(field "$soak_line" acked_changes) |
| **changes lost** | **$(field "$soak_line" lost)** |
| **signals missing** | **$(field "$soak_line" missing_signals)** |
| duplicate signals (allowed: at-least-once delivery after a crash) | $(field "$soak_line" duplicate_signals) |
| requests without an answer (killed in flight) | $(field "$soak_line" unknown) |
| … of which had committed (found whole in the database) | $(field "$soak_line" unknown_committed) |
| restarts killed again while starting | $(field "$soak_line" restart_kills) |
| longest time from kill to the module serving the final generation | $(field "$soak_line" max_module_catchup_ms) ms |
| slowest generation probe answer during the run | $(field "$soak_line" max_probe_ms) ms |
| seed (replay: \`bench/soak.sh $cycles --seed N\`) | $(field "$soak_line" seed) |

Summary line: \`${soak_line:-none: see the log}\`

## 2. Fuzzing: $(verdict "$fuzz_status")

\`fuzz/ci.sh\` builds the libFuzzer targets with clang, ASan and UBSan
(\`--enable-fuzzing\`) and runs each for $fuzz_seconds s over a copy of its
seed corpus in \`fuzz/corpus/\` (${fuzz_seconds_total} s with the build).
A finding is a crash, a sanitizer report, a leak, a timeout, an
out-of-memory or a broken invariant of the target (fuzz/README.md says
which).

| target | result | executions | coverage | corpus after the run |
|---|---|---:|---:|---:|
EOF
	total=0 findings=0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		target=$(sed -n 's/^fuzz: \([a-z_]*\): .*/\1/p' <<<"$line")
		result=$(sed -n 's/^fuzz: [a-z_]*: \([A-Za-z]*\),.*/\1/p' <<<"$line")
		execs=$(sed -n 's/.*, \([0-9?]*\) executions.*/\1/p' <<<"$line")
		cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$line")
		corpus=$(sed -n 's/.*corpus \([0-9]*\).*/\1/p' <<<"$line")
		[ "$result" = ok ] || findings=$((findings + 1))
		case $execs in '' | *[!0-9]*) ;; *) total=$((total + execs)) ;; esac
		echo "| $target | $result | $execs | ${cov:-?} | ${corpus:-?} |"
	done <<<"$fuzz_lines"
	cat <<EOF

Executions in all: **$total**; targets with a finding: **$findings**.

## 3. Sanitizers over the whole test suite: $(verdict "$san_status")

\`scripts/sanitize.sh\` builds everything with \`--enable-sanitizers\`
(ASan + UBSan; LeakSanitizer runs at each exit) and runs the whole
\`make check\` — unit tests, and the integration tests with knotd loading the
ASan-built module (libasan preloaded into knotd and knotc), the daemons,
and the tools. \`tests/data/lsan.supp\` is where leaks of code that is not
ours would be suppressed; knotd 3.2 needed none. Every process writes its
reports to files, which are counted (${san_seconds} s with the build);
\`tests/integration/test_sanitize\` proves a planted leak and overflow in a
module inside knotd are caught and counted.

\`${san_line:-none: see the log}\`

## What these figures do not cover

- The soak runs on one small database on this machine's disk; power loss
  (rather than a killed process) relies on SQLite's \`synchronous=FULL\`
  and the disk honouring fdatasync, which a process kill cannot test.
- Fuzzing time per target is short; coverage grows with longer runs
  (\`make fuzz FUZZ_SECONDS=...\` in a \`--enable-fuzzing\` build).
- The sanitizers see only the paths the tests take.
EOF
} >"$out.tmp" && mv "$out.tmp" "$out"
echo "reliability: wrote $out"
[ "$soak_status" -eq 0 ] && [ "$fuzz_status" -eq 0 ] && [ "$san_status" -eq 0 ]
