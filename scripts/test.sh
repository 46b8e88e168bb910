#!/usr/bin/env bash
# Builds mecdns and runs every test (unit and integration against real knotd,
# dbus-daemon and SQLite files). Installs missing Debian packages first.
#   scripts/test.sh            build + make check
#   CI=true scripts/test.sh    also -Werror and make distcheck
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi
fi
./configure --enable-werror >/dev/null
make -j"$jobs"

status=0
make -j"$jobs" check VERBOSE=1 || status=$?
if [ -f test-suite.log ]; then
	grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' test-suite.log || true
fi
[ $status -eq 0 ] || { echo "mecdns: tests failed" >&2; exit $status; }

if [ "${CI:-}" = "true" ]; then
	make -j"$jobs" distcheck >/dev/null
	echo "mecdns: distcheck passed"
fi
