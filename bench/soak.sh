#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Crash soak (issue 7): kill -9 of mecdns-syncd at random moments under a
# concurrent write load, CYCLES times (default 50), with the crash test
# program tests/integration/test_crash (the same program `make check` runs
# with 3 cycles). Prints one machine-readable line with the totals:
#
#   soak: cycles=50 acked=... acked_changes=... lost=0 missing_signals=0
#         duplicate_signals=... unknown=... ... seed=... elapsed_s=...
#
# and exits non-zero if anything acknowledged was lost, a signal is missing,
# or the test failed in any other way.
#
#   bench/soak.sh [CYCLES] [--seed N]
#
# Environment: BUILD_DIR (out-of-tree build, default /tmp/build-soak; made
# with configure + make when it has no Makefile), SKIP_BUILD=1 (use
# BUILD_DIR as it is), RESULTS (directory for the log, default
# bench/results/soak-<timestamp>). Needs the packages of scripts/deps.sh.
# Everything listens on 127.0.0.1 on free ports and is stopped by PID.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

cycles=50
seed=
while [ $# -gt 0 ]; do
	case $1 in
	--seed) seed=$2; shift ;;
	-h | --help) sed -n '2,19p' "$0"; exit 0 ;;
	[0-9]*) cycles=$1 ;;
	*) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
if [ "$cycles" -lt 1 ]; then
	echo "soak.sh: CYCLES must be at least 1" >&2
	exit 2
fi

BUILD_DIR=${BUILD_DIR:-/tmp/build-soak}
RESULTS=${RESULTS:-$here/results/soak-$(date +%Y%m%d-%H%M%S)}
if [ "$BUILD_DIR" -ef "$top" ]; then
	echo "soak.sh: BUILD_DIR must not be the source tree" >&2
	exit 2
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	mkdir -p "$BUILD_DIR"
	if [ ! -f "$BUILD_DIR/Makefile" ]; then
		[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
		(cd "$BUILD_DIR" && "$top/configure" >configure.log 2>&1) || {
			tail -n 20 "$BUILD_DIR/configure.log" >&2
			echo "soak.sh: configure failed (log: $BUILD_DIR/configure.log)" >&2
			exit 1
		}
	fi
	make -C "$BUILD_DIR" -j2 all tests/integration/test_crash >"$BUILD_DIR/soak-build.log" 2>&1 || {
		tail -n 30 "$BUILD_DIR/soak-build.log" >&2
		echo "soak.sh: build failed (log: $BUILD_DIR/soak-build.log)" >&2
		exit 1
	}
fi

# The environment the test driver gives every test (tests/local.mk).
mkvar() { sed -n "s/^$1 = //p" "$BUILD_DIR/Makefile" | head -n 1; }
export MECDNS_BUILDDIR=$BUILD_DIR MECDNS_SRCDIR=$top
export KNOTD=$(mkvar KNOTD) KNOTC=$(mkvar KNOTC) KDIG=$(mkvar KDIG)
export DBUS_DAEMON=$(mkvar DBUS_DAEMON)
export MECDNS_CRASH_CYCLES=$cycles
[ -n "$seed" ] && export MECDNS_CRASH_SEED=$seed

mkdir -p "$RESULTS"
log=$RESULTS/soak.log
status=0
"$BUILD_DIR/tests/integration/test_crash" >"$log" 2>&1 || status=$?
grep '^crash: cycle=' "$log" | tail -n 3 || true

totals=$(grep '^crash: cycles=' "$log" | tail -n 1 || true)
if [ -z "$totals" ]; then
	tail -n 40 "$log" >&2
	echo "soak.sh: the crash test ended without totals (exit $status; log: $log)" >&2
	exit 1
fi
echo "soak: ${totals#crash: }"
value() { sed -n "s/.* $1=\([0-9-]*\).*/\1/p" <<<"$totals"; }
if [ "$status" -ne 0 ] || [ "$(value lost)" != 0 ] || [ "$(value missing_signals)" != 0 ]; then
	grep -E '^crash: problem:|Failures|Errors' "$log" | head -n 20 >&2 || true
	echo "soak.sh: FAILED (exit $status; log: $log)" >&2
	exit 1
fi
echo "soak: log $log"
