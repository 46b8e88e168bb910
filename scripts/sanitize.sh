#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds mecdns with ASan + UBSan (+ LeakSanitizer) in its own build
# directory and runs the whole test suite there (knotd gets the ASan runtime
# preloaded to load the ASan-built module). Every sanitizer report of every
# process is a file under BUILD/sanitizer-reports/<test>/; the last line
# counts them:
#   sanitizers: N tests run, F failed, R reports (ASan a, UBSan u, LSan l)
# Exits non-zero on any report or failed test. The reports and
# test-suite.log stay in the build directory for reading.
#
#   scripts/sanitize.sh                      whole suite in ./build-sanitize
#   SANITIZE_BUILDDIR=DIR scripts/sanitize.sh
#   scripts/sanitize.sh TESTS=tests/unit/test_index   (make check arguments)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${SANITIZE_BUILDDIR:-$src/build-sanitize}
jobs=$(nproc 2>/dev/null || echo 2)

"$src/scripts/deps.sh"
mkdir -p "$build"
build=$(cd "$build" && pwd)

# A checkout configured in place builds from a copy of its sources.
top=$("$src/scripts/source-tree.sh" "$build")

cd "$build"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
	"$top/configure" --enable-sanitizers --enable-werror >configure.log
	make clean >/dev/null # Objects built with other flags would stay.
fi
make -j"$jobs" >make.log 2>&1 || { tail -n 40 make.log >&2; echo "mecdns: build failed (make.log)" >&2; exit 1; }

rm -rf sanitizer-reports test-suite.log
status=0
make -j"$jobs" check "$@" >check.log 2>&1 || status=$?

count() { local v; v=$(sed -n "s/^# $1: *//p" test-suite.log 2>/dev/null | head -n 1); echo "${v:-0}"; }
total=$(count TOTAL)
failed=$(( $(count FAIL) + $(count ERROR) + $(count XPASS) ))
reports=()
if [ -d sanitizer-reports ]; then
	mapfile -t reports < <(find sanitizer-reports -type f -name 'san.*' | sort)
fi
# One file per process; a file may hold several reports.
hits() {
	local n=0 file
	for file in "${reports[@]}"; do
		n=$((n + $(grep -c -- "$1" "$file" || true)))
	done
	echo "$n"
}
asan=$(hits "ERROR: AddressSanitizer")
ubsan=$(hits ": runtime error: ")
lsan=$(hits "ERROR: LeakSanitizer")
other=0 # A file with none of these (e.g. a sanitizer's own fatal error).
for file in "${reports[@]}"; do
	grep -q -e "ERROR: AddressSanitizer" -e ": runtime error: " -e "ERROR: LeakSanitizer" \
		"$file" || other=$((other + 1))
	echo "report: $build/$file: $(grep -m 1 -e '^SUMMARY' -e 'runtime error' "$file" ||
		head -n 2 "$file" | tail -n 1)"
done
all=$((asan + ubsan + lsan + other))
if [ "$status" -ne 0 ]; then
	grep -E '^(FAIL|ERROR|XPASS):' check.log >&2 || tail -n 20 check.log >&2
fi
extra=""
[ "$other" -gt 0 ] && extra=", other $other"
echo "sanitizers: $total tests run, $failed failed, $all reports" \
	"(ASan $asan, UBSan $ubsan, LSan $lsan$extra) in $build/sanitizer-reports"
[ "$status" -eq 0 ] && [ "$all" -eq 0 ]
