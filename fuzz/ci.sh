#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# fuzz/ci.sh [SRCDIR [BUILDDIR]]: the short fuzzing run of CI.
# Configures BUILDDIR (default: a new directory under ${TMPDIR:-/tmp},
# removed again when nothing was found) with CC=clang --enable-fuzzing
# --enable-werror, builds the libFuzzer targets, and runs each for
# FUZZ_SECONDS (default 5) seconds over a copy of its seed corpus
# (`make fuzz`): one line per target with its executions, coverage and
# findings. Exits 1 on any finding; the inputs are kept in
# BUILDDIR/fuzz/findings/, the logs in BUILDDIR/fuzz/<target>.log.
# A source tree configured in place (./configure run in it) refuses VPATH
# builds: then the build uses its distribution directory (make distdir).
# Needs clang and libclang-rt-14-dev (scripts/deps.sh installs them).
set -eu
src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
build=${2:-}
own_build=no
if [ -z "$build" ]; then
	build=$(mktemp -d "${TMPDIR:-/tmp}/mecdns-fuzz-ci.XXXXXX")
	own_build=yes
fi
mkdir -p "$build"
build=$(cd "$build" && pwd)
seconds=${FUZZ_SECONDS:-5}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}

fail() {
	[ -f "$2" ] && tail -n 30 "$2" >&2
	echo "fuzz: $1 failed (log: $2)" >&2
	exit 1
}

start=$(date +%s)
if [ -f "$src/config.status" ]; then
	rm -rf "$build/src"
	make -C "$src" distdir distdir="$build/src" >"$build/distdir.log" 2>&1 ||
		fail "make distdir" "$build/distdir.log"
	src=$build/src
elif [ ! -x "$src/configure" ]; then
	(cd "$src" && autoreconf -fi) >"$build/autoreconf.log" 2>&1 ||
		fail "autoreconf" "$build/autoreconf.log"
fi
cd "$build"
if [ ! -f Makefile ]; then
	CC=clang "$src/configure" --enable-fuzzing --enable-werror >configure.log 2>&1 ||
		fail "configure" "$build/configure.log"
fi
make -j"$jobs" fuzz-build >build.log 2>&1 || fail "building the fuzz targets" "$build/build.log"
built=$(date +%s)
echo "fuzz: targets built in $((built - start)) s ($build)"

status=0
make fuzz FUZZ_SECONDS="$seconds" || status=$?
echo "fuzz: targets ran in $(($(date +%s) - built)) s, ${seconds} s each"
if [ "$status" -eq 0 ] && [ "$own_build" = yes ]; then
	cd / && rm -rf "$build"
fi
exit "$status"
