#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Prints the directory an out-of-tree (VPATH) build of this checkout must use
# as its source, after making sure it can serve one:
#   scripts/source-tree.sh BUILD_DIR
# A checkout that is not configured in place serves as it is: its own path is
# printed. One configured in place (scripts/test.sh does that) cannot serve a
# second build ("source directory already configured"); then the files git
# knows (tracked, or new and not ignored) are copied into BUILD_DIR/src, which
# is autoreconf'd when needed and printed. Used by scripts/sanitize.sh and
# bench/run.sh.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: scripts/source-tree.sh BUILD_DIR}
mkdir -p "$build"
build=$(cd "$build" && pwd)

top=$src
if [ -f "$src/config.status" ]; then
	command -v git >/dev/null && git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || {
		echo "mecdns: $src is configured in place; run 'make distclean' there first" >&2
		exit 1
	}
	top=$build/src
	rm -rf "$top" && mkdir -p "$top"
	rel=${build#"$src"/}
	(cd "$src" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$src" && grep -zv "^$rel/" | xargs -0 tar -cf - --no-recursion --ignore-failed-read) |
		tar -xf - -C "$top"
fi
if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
	(cd "$top" && autoreconf -fi) >"$build/autoreconf.log" 2>&1 ||
		{ cat "$build/autoreconf.log" >&2; exit 1; }
fi
echo "$top"
