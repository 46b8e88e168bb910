#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds mecdns and runs every test (unit and integration against real knotd,
# dbus-daemon and SQLite files). Installs missing Debian packages first and
# runs the static checks (scripts/lint.sh: clang-format, cppcheck, SPDX, mandoc).
#   scripts/test.sh            build + make check
#   CI=true scripts/test.sh    also make distcheck, the Debian packages
#                              (scripts/debcheck.sh), a short fuzzing run of
#                              every target (fuzz/ci.sh) and the whole suite
#                              under ASan + UBSan (scripts/sanitize.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
# Formatting, cppcheck and licence lines first: a red lint fails in seconds.
scripts/lint.sh

jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi
fi
./configure --enable-werror >/dev/null
make -j"$jobs"

status=0
make -j"$jobs" check VERBOSE=1 || status=$?
summary=""
if [ -f test-suite.log ]; then
	count() { sed -n "s/^# $1: *//p" test-suite.log | head -n 1; }
	passed=$(count PASS); failed=$(( $(count FAIL) + $(count ERROR) + $(count XPASS) ))
	summary="tests: ${passed:-0} passed, ${failed} failed, $(count SKIP) skipped"
fi
if [ $status -ne 0 ]; then
	[ -n "$summary" ] && echo "$summary"
	echo "mecdns: tests failed" >&2
	exit $status
fi

if [ "${CI:-}" = "true" ]; then
	# The whole suite ran above on this tree. distcheck proves the tarball
	# builds, installs and uninstalls inside its own prefix, and runs the unit
	# tests from it (the integration tests would only repeat themselves).
	unit_tests=$(cd tests/unit && ls test_*.c | sed 's|^\(.*\)\.c$|tests/unit/\1|' | tr '\n' ' ')
	make -j"$jobs" distcheck TESTS="$unit_tests" >distcheck.log 2>&1 || {
		tail -n 60 distcheck.log >&2
		echo "mecdns: distcheck failed (full log: distcheck.log)" >&2
		exit 1
	}
	echo "mecdns: distcheck passed"
	# The Debian packages: built, lintian, installed into a clean chroot
	# and run there (knotd loads the module from the package).
	scripts/debcheck.sh || {
		echo "mecdns: the Debian package check failed" >&2
		exit 1
	}
	# The container image, where a container engine runs (else said so).
	scripts/container-check.sh || {
		echo "mecdns: the container image check failed" >&2
		exit 1
	}
	# docs/openapi.yaml with a real OpenAPI linter (Redocly CLI, from npm).
	if command -v npx >/dev/null; then
		npx --yes @redocly/cli@2.77.0 lint --format stylish docs/openapi.yaml >openapi-lint.log 2>&1 || {
			tail -n 30 openapi-lint.log >&2
			echo "mecdns: docs/openapi.yaml does not lint clean (openapi-lint.log)" >&2
			exit 1
		}
		echo "mecdns: docs/openapi.yaml lints clean (Redocly CLI 2.77.0)"
	else
		echo "mecdns: npx not found; OpenAPI lint skipped" >&2
	fi
	# Every panel of the Grafana dashboard answered by a real Prometheus
	# scraping the real stack.
	scripts/dashboard-picture.sh --check || {
		echo "mecdns: a dashboard panel gets no data" >&2
		exit 1
	}
	# Every libFuzzer target for a few seconds over its seed corpus (clang,
	# ASan + UBSan); any crash or broken invariant fails CI.
	FUZZ_SECONDS=5 fuzz/ci.sh . || {
		echo "mecdns: fuzzing found a problem (inputs and logs named above)" >&2
		exit 1
	}
	# The whole suite again, built with ASan + UBSan (LeakSanitizer at every
	# exit, knotd with the ASan runtime preloaded); any report fails CI.
	scripts/sanitize.sh || {
		echo "mecdns: sanitizers found a problem (reports in build-sanitize/sanitizer-reports)" >&2
		exit 1
	}
fi
# The closing line: programs of the suite (each a Check suite of many tests).
echo "$summary"
