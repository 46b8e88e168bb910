#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian packages the benchmarks need, when missing, without
# letting any package start its service (policy-rc.d answering 101).
# Usage: bench/lib/deps.sh   (as root; a no-op when everything is present)
set -euo pipefail

want=(dnsperf knot-module-geoip pdns-server pdns-backend-sqlite3 golang-go golang-github-miekg-dns-dev
      gnuplot-nox sqlite3 knot knot-dnsutils valgrind)
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi

own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	own_policy=1
fi
cleanup() { [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d; true; }
trap cleanup EXIT

echo "bench: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
	apt-get update >/dev/null 2>&1
	apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
}
# pdns-server's package may have started nothing (policy-rc.d), but make sure
# no stray instance holds port 53 from a unit we did not start ourselves.
exit 0
