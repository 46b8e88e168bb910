#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Static checks of the tree, run by scripts/test.sh before it builds:
#   - every C file follows .clang-format (Debian's clang-format);
#   - cppcheck --enable=warning,style finds nothing in production code
#     (tests and fuzz targets are checked by the compiler with -Werror and run
#     under ASan + UBSan instead: cppcheck cannot see through Check's macros);
#   - every source file carries an SPDX licence line near its top;
#   - the man pages pass `mandoc -T lint` (style level: nothing reported).
# Fix formatting with:  git ls-files '*.c' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "lint: not a git checkout (a release tarball?): skipped"
	exit 0
fi

status=0
mapfile -t c_files < <(git ls-files '*.c' '*.h')

if ! clang-format --dry-run --Werror "${c_files[@]}" 2>/tmp/mecdns-clang-format.$$; then
	grep -o '^[^:]*\.[ch]' /tmp/mecdns-clang-format.$$ | sort -u | sed 's/^/lint: not formatted: /' >&2
	echo "lint: run: git ls-files '*.c' '*.h' | xargs clang-format -i" >&2
	status=1
fi
rm -f /tmp/mecdns-clang-format.$$

mapfile -t prod < <(git ls-files '*.c' | grep -v '^tests/\|^fuzz/')
if ! cppcheck --enable=warning,style --std=c11 --quiet --inline-suppr -I . \
	--suppress=missingIncludeSystem --error-exitcode=1 "${prod[@]}"; then
	echo "lint: cppcheck found the problems above" >&2
	status=1
fi

while read -r f; do
	case "$f" in
	fuzz/corpus/* | tests/data/*) continue ;;
	*.c | *.h | *.sh | *.mk | *.am | *.ac | *.py | *.go | .ci/run) ;;
	*/Dockerfile | docs/k8s/*.yaml | debian/rules | debian/*.postinst | debian/*.postrm) ;;
	*) continue ;;
	esac
	if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: GPL-3.0-or-later'; then
		echo "lint: no SPDX licence line at the top of $f" >&2
		status=1
	fi
done < <(git ls-files)

# Shell scripts parse; the Kubernetes sample is YAML of Kubernetes objects.
while read -r f; do
	case "$(head -n 1 "$f")" in
	*bash*) bash -n "$f" || status=1 ;;
	*/sh*) sh -n "$f" || status=1 ;;
	esac
done < <(git ls-files '*.sh' 'debian/*.postinst' 'debian/*.postrm')
py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3
if ! "$py" - $(git ls-files 'docs/k8s/*.yaml') <<'PY'; then
import sys, yaml
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
            sys.exit(f"lint: {path}: a document without apiVersion and kind")
PY
	status=1
fi

mapfile -t man_pages < <(git ls-files 'man/*.[1-8]')
if ! mandoc -T lint -W style "${man_pages[@]}" >/tmp/mecdns-mandoc.$$ 2>&1 ||
	[ -s /tmp/mecdns-mandoc.$$ ]; then
	sed 's/^/lint: /' /tmp/mecdns-mandoc.$$ >&2
	status=1
fi
rm -f /tmp/mecdns-mandoc.$$

[ $status -eq 0 ] && echo "mecdns: lint clean (clang-format, cppcheck, SPDX, mandoc, shell syntax, k8s YAML)"
exit $status
