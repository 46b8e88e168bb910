#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# scripts/debcheck.sh: the Debian packages, end to end (issue 16).
#   1. builds them from the tracked files (dpkg-buildpackage -b -us -uc),
#   2. lintian: no error,
#   3. installs them with apt into a clean Debian 12 chroot (debootstrap
#      minbase, cached in /var/cache/mecdns-ci; a policy-rc.d forbids
#      service starts), where apt brings knot and the libraries,
#   4. checks what the maintainer scripts made (users, groups, directory
#      modes, enabled units, conffile),
#   5. runs knotd (loading mod-mecdns from the package's module directory,
#      no module: section), mecdns-syncd as mecdns:knot, and mecdnsctl from
#      the packages inside the chroot, on loopback: a rule added, waited for
#      with the generation probe, looked up (what a device gets and why, and
#      knotd's own answer), backed up and restored,
#   6. removes and purges the packages.
# Root only (chroot, mounts). KEEP=1 keeps the work directory.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "debcheck: run as root" >&2; exit 1; }
# The packaging tools, besides the build dependencies.
MECDNS_EXTRA_PACKAGES="debhelper lintian debootstrap fakeroot" "$src/scripts/deps.sh"

work=$(mktemp -d /tmp/mecdns-debcheck.XXXXXX)
root="$work/root"
pids=()
cleanup() {
	for pid in "${pids[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	done
	sleep 0.2
	for pid in "${pids[@]:-}"; do
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	done
	mountpoint -q "$root/proc" 2>/dev/null && umount -l "$root/proc"
	mountpoint -q "$root/dev" 2>/dev/null && umount -l "$root/dev"
	if [ "${KEEP:-0}" = 1 ]; then
		echo "debcheck: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
fail() {
	echo "debcheck: $*" >&2
	for log in "$work"/*.log "$root"/tmp/*.log; do
		[ -f "$log" ] && { echo "--- $log" >&2; tail -n 30 "$log" >&2; }
	done
	exit 1
}
step() { echo "debcheck: $*"; }

# 1. Build from exactly the tracked files.
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
tree="$work/mecdns-$version"
mkdir -p "$tree"
(cd "$src" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$tree"
step "building the packages of mecdns $version"
(cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -us -uc) \
	>"$work/build.log" 2>&1 || fail "dpkg-buildpackage failed"
debs=$(cd "$work" && ls ./*.deb | grep -v -- -dbgsym_)
step "built: $(echo $debs | tr '\n' ' ')"

# 2. lintian: errors fail.
lintian --fail-on error "$work/mecdns_${version}_"*.changes >"$work/lintian.log" 2>&1 ||
	fail "lintian reports errors"
step "lintian: no error ($(grep -c '^W:' "$work/lintian.log" || true) warnings)"

# 3. A clean Debian 12, from the mirror this machine's apt uses.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || fail "no Debian mirror in this machine's apt sources"
cache=/var/cache/mecdns-ci/bookworm-minbase.tar
if [ ! -s "$cache" ]; then
	step "debootstrap bookworm (minbase), cached in $cache"
	mkdir -p "$(dirname "$cache")" "$work/base"
	debootstrap --variant=minbase bookworm "$work/base" "$mirror" >"$work/debootstrap.log" 2>&1 ||
		fail "debootstrap failed"
	tar -C "$work/base" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
	rm -rf "$work/base"
fi
mkdir -p "$root"
tar -C "$root" -xf "$cache"
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mkdir -p "$root/debs"
(cd "$work" && cp $debs "$root/debs/")
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
# For `in_root_exec ... &`: the background job becomes the program itself
# (exec), so that $! is its PID; a plain function in the background is a
# subshell whose death leaves the program running.
in_root_exec() { exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

step "apt-get install of the packages in the chroot"
in_root apt-get update -qq >"$work/apt.log" 2>&1 || fail "apt-get update in the chroot failed"
in_root sh -c 'cd /debs && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends ./*.deb' >>"$work/apt.log" 2>&1 || fail "installing the packages failed"

# 4. What the maintainer scripts made.
check() { "$@" || fail "check failed: $*"; }
check in_root getent passwd mecdns >/dev/null
check in_root getent passwd mecdns-announce >/dev/null
[ "$(in_root id -gn mecdns)" = mecdns ] || fail "mecdns's group is not mecdns"
if in_root id -nG mecdns-announce | tr ' ' '\n' | grep -qx -e knot -e mecdns; then
	fail "mecdns-announce is in the group knot or mecdns"
fi
[ "$(in_root stat -c '%U:%G %a' /var/lib/mecdns)" = "mecdns:knot 2750" ] ||
	fail "/var/lib/mecdns is $(in_root stat -c '%U:%G %a' /var/lib/mecdns), not mecdns:knot 2750"
[ "$(in_root stat -c '%U:%G %a' /etc/mecdns/tls)" = "mecdns:mecdns 700" ] ||
	fail "/etc/mecdns/tls is not mecdns:mecdns 700"
for unit in mecdns-syncd mecdns-announce; do
	[ -L "$root/etc/systemd/system/multi-user.target.wants/$unit.service" ] ||
		fail "$unit.service is not enabled"
done
grep -qx /etc/mecdns/mecdns-syncd.conf "$root/var/lib/dpkg/info/mecdns-syncd.conffiles" ||
	fail "/etc/mecdns/mecdns-syncd.conf is not a conffile"
moduledir=$(in_root sh -c 'ls -d /usr/lib/*/knot/modules-3.2')
[ -f "$root$moduledir/mecdns.so" ] || fail "no mecdns.so in $moduledir"
step "users, directories, units and conffile as docs/install.md says"

# 5. The stack from the packages, on loopback.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
dns_port=$(free_port)
http_port=$(free_port)
mkdir -p "$root/run/knot" "$root/var/lib/knot"
in_root chown knot:knot /run/knot /var/lib/knot
cat >"$root/etc/knot/debcheck.conf" <<EOF
server:
    rundir: /run/knot
    user: knot:knot
    listen: 127.0.0.1@$dns_port
    edns-client-subnet: on
log:
  - target: stderr
    any: info
database:
    storage: /var/lib/knot
mod-mecdns:
  - id: default
    database: /var/lib/mecdns/mecdns.db
    refresh-interval: 50
template:
  - id: default
    global-module: mod-mecdns/default
EOF
in_root_exec knotd -c /etc/knot/debcheck.conf >"$work/knotd.log" 2>&1 &
pids+=($!)
in_root_exec setpriv --reuid=mecdns --regid=knot --clear-groups \
	mecdns-syncd --listen "127.0.0.1:$http_port" --database /var/lib/mecdns/mecdns.db \
	--dbus none --knot-socket /run/knot/knot.sock --knot-dbus none >"$work/syncd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	in_root mecdnsctl -q -u "http://127.0.0.1:$http_port" status >/dev/null 2>&1 && break
	sleep 0.1
done
grep -q "mecdns.so\|mod-mecdns" "$work/knotd.log" || true
ctl() { in_root mecdnsctl -u "http://127.0.0.1:$http_port" -s "127.0.0.1@$dns_port" "$@"; }
ctl status >"$work/status.log" 2>&1 || fail "mecdnsctl status: not ready"
ctl rule add app1 r1 www.example.com 192.0.2.10 ttl=30 >"$work/ctl.log" 2>&1 ||
	fail "mecdnsctl rule add failed"
ctl rule add app1 site-a www.example.com 10.45.0.10 ttl=30 subnets=10.45.0.0/16 >>"$work/ctl.log" 2>&1 ||
	fail "mecdnsctl rule add (scoped) failed"
ctl wait --timeout 10 >>"$work/ctl.log" 2>&1 || fail "mecdnsctl wait: knotd did not serve the rules"
ctl lookup www.example.com A --client 10.45.3.4 >"$work/lookup.log" 2>&1 || fail "mecdnsctl lookup failed"
grep -q "decided by client subnet 10.45.0.0/16" "$work/lookup.log" ||
	fail "lookup does not say the subnet decided"
grep -q "answered NOERROR: A 10.45.0.10, ECS scope" "$work/lookup.log" ||
	fail "knotd (module from the package) did not answer the scoped rule"
ctl backup /tmp/backup.db >>"$work/ctl.log" 2>&1 || fail "mecdnsctl backup failed"
ctl rule del app1 r1 >>"$work/ctl.log" 2>&1 || fail "mecdnsctl rule del failed"
ctl restore --yes /tmp/backup.db >"$work/restore.log" 2>&1 || fail "mecdnsctl restore failed"
grep -q "rules:  1 created, 0 updated, 1 unchanged, 0 deleted, 0 failed" "$work/restore.log" ||
	fail "restore did not bring the deleted rule back"
ctl wait --timeout 10 >>"$work/ctl.log" 2>&1 || fail "mecdnsctl wait after restore failed"
ctl lookup www.example.com A --client 192.0.2.99 >"$work/lookup2.log" 2>&1 ||
	fail "mecdnsctl lookup after restore failed"
grep -q "answered NOERROR: A 192.0.2.10" "$work/lookup2.log" ||
	fail "knotd does not answer the restored rule"
step "knotd + mod-mecdns + mecdns-syncd + mecdnsctl from the packages: rule, wait, lookup, backup, restore"
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && fail "pid $pid still runs 10 s after SIGTERM"
done
wait 2>/dev/null || true
pids=()
pgrep -f "knotd -c /etc/knot/debcheck.conf" >/dev/null && fail "knotd left running"
pgrep -f "mecdns-syncd --listen 127.0.0.1:$http_port" >/dev/null && fail "mecdns-syncd left running"

# 5b. The container image's entrypoint (container/entrypoint.sh) on the same
# packages: it must bring up knotd and syncd, serve, and stop both cleanly
# on SIGTERM (the image itself is built where a container engine runs:
# docs/container.md).
dns_port=$(free_port)
http_port=$(free_port)
install -m 0755 "$src/container/entrypoint.sh" "$root/usr/local/sbin/mecdns-container"
chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
	MECDNS_DNS_LISTEN="127.0.0.1@$dns_port" MECDNS_HTTP_LISTEN="127.0.0.1:$http_port" \
	MECDNS_KNOT_CONF=/etc/knot/container-test.conf \
	/usr/local/sbin/mecdns-container >"$work/container.log" 2>&1 &
entry_pid=$!
pids+=($entry_pid)
ready=0
for _ in $(seq 100); do
	if in_root mecdnsctl -q -u "http://127.0.0.1:$http_port" status >/dev/null 2>&1; then
		ready=1
		break
	fi
	sleep 0.1
done
[ $ready = 1 ] || fail "the container entrypoint did not become ready"
ctl() { in_root mecdnsctl -u "http://127.0.0.1:$http_port" -s "127.0.0.1@$dns_port" "$@"; }
ctl wait --timeout 10 >>"$work/ctl.log" 2>&1 || fail "entrypoint: knotd does not serve"
ctl lookup www.example.com A --client 192.0.2.99 >"$work/lookup3.log" 2>&1 ||
	fail "entrypoint: lookup failed"
grep -q "answered NOERROR: A 192.0.2.10" "$work/lookup3.log" ||
	fail "entrypoint: knotd does not answer the database on the volume"
kill -TERM "$entry_pid"
for _ in $(seq 100); do kill -0 "$entry_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$entry_pid" 2>/dev/null && fail "entrypoint: still running 10 s after SIGTERM"
wait "$entry_pid" || fail "entrypoint: exit status $? after SIGTERM (0 expected)"
pgrep -f "knotd -c /etc/knot/container-test.conf" >/dev/null && fail "entrypoint: knotd left running"
pgrep -f "mecdns-syncd --listen 127.0.0.1:$http_port" >/dev/null && fail "entrypoint: syncd left running"
pids=()
# syncd killed (-9): the container ends, non-zero, and takes knotd along.
chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
	MECDNS_DNS_LISTEN="127.0.0.1@$dns_port" MECDNS_HTTP_LISTEN="127.0.0.1:$http_port" \
	MECDNS_KNOT_CONF=/etc/knot/container-test.conf \
	/usr/local/sbin/mecdns-container >>"$work/container.log" 2>&1 &
entry_pid=$!
pids+=($entry_pid)
for _ in $(seq 100); do
	in_root mecdnsctl -q -u "http://127.0.0.1:$http_port" status >/dev/null 2>&1 && break
	sleep 0.1
done
syncd_pid=$(pgrep -f "mecdns-syncd --listen 127.0.0.1:$http_port") || fail "entrypoint: no syncd"
kill -9 "$syncd_pid"
for _ in $(seq 100); do kill -0 "$entry_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$entry_pid" 2>/dev/null && fail "entrypoint: still running 10 s after syncd died"
status=0
wait "$entry_pid" || status=$?
[ "$status" -ne 0 ] || fail "entrypoint: exit status 0 after syncd died (non-zero expected)"
pgrep -f "knotd -c /etc/knot/container-test.conf" >/dev/null && fail "entrypoint: knotd left running"
pids=()
step "container entrypoint: knotd + syncd up, serving the volume's database, both stopped on SIGTERM; syncd killed -9 ends the container (status $status) with knotd"

# 6. Remove and purge.
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq knot-module-mecdns \
	mecdns-syncd mecdns-announce mecdns-tools' >"$work/purge.log" 2>&1 || fail "purge failed"
[ ! -e "$root/usr/sbin/mecdns-syncd" ] && [ ! -e "$root$moduledir/mecdns.so" ] ||
	fail "files left after purge"
[ ! -e "$root/etc/mecdns/mecdns-syncd.conf" ] || fail "conffile left after purge"
step "packages removed and purged; the database directory stays (data)"
echo "mecdns: Debian packages built, lintian-clean of errors, installed and run in a clean chroot"
