#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages mecdns needs to build, test and run, when
# missing. Services of the installed packages (knot, nsd, bird) are never
# started by the installation: a policy-rc.d forbids it while apt runs.
set -euo pipefail

PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	knot knot-dnsutils libknot-dev liburcu-dev
	libsqlite3-dev sqlite3 libcjson-dev libdbus-1-dev dbus-daemon dbus-bin
	libmicrohttpd-dev libgnutls28-dev libcurl4-gnutls-dev check curl openssl
	nsd bird2 mosquitto mosquitto-clients libmosquitto-dev
	python3 python3-yaml python3-jsonschema python3-dnspython
	prometheus
	systemd libxml2-utils
	clang libclang-rt-14-dev clang-format cppcheck mandoc
	${MECDNS_EXTRA_PACKAGES:-}
)

missing=()
for pkg in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$pkg")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "mecdns: missing Debian packages: ${missing[*]}" >&2
	echo "mecdns: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "mecdns: installing ${missing[*]}"
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# mecdns: no service starts during package installation\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	own_policy=yes
fi
cleanup() { [ "$own_policy" = yes ] && rm -f "$policy"; return 0; }
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
