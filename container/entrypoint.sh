#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mecdns-container: the container image's PID 1 (container/Dockerfile).
# Runs knotd with mod-mecdns and mecdns-syncd side by side, each with the
# least privilege the packages give it, and stops the container (non-zero)
# as soon as either of them dies, so that the orchestrator restarts it.
# SIGTERM/SIGINT stop syncd first (its D-Bus shutting_down and last answers),
# then knotd, and exit 0.
#
# Environment (all optional):
#   MECDNS_DNS_LISTEN   knotd's listen address, ADDR@PORT (default 0.0.0.0@53)
#   MECDNS_HTTP_LISTEN  syncd's API, ADDR:PORT (default 0.0.0.0:8080; a
#                       non-loopback address needs /etc/mecdns/tokens)
#   MECDNS_KNOT_CONF    knotd's configuration; when the file does not exist it
#                       is written: mod-mecdns as a global module, ECS on
#   MECDNS_SYNCD_ARGS   more mecdns-syncd options (e.g. --allow-zone ZONE)
set -eu

dns_listen=${MECDNS_DNS_LISTEN:-0.0.0.0@53}
http_listen=${MECDNS_HTTP_LISTEN:-0.0.0.0:8080}
knot_conf=${MECDNS_KNOT_CONF:-/etc/knot/mecdns-container.conf}
database=/var/lib/mecdns/mecdns.db

say() { echo "mecdns-container: $*" >&2; }

# The volume may come empty or from another host: owner and mode as the
# package makes them (knotd reads, only syncd writes).
install -d -m 2750 -o mecdns -g knot /var/lib/mecdns
chown mecdns:knot /var/lib/mecdns
chmod 2750 /var/lib/mecdns
install -d -m 0755 -o knot -g knot /run/knot /var/lib/knot
# One knotd per container: a pid file left by a killed one is stale.
rm -f /run/knot/knot.pid
if [ -e /etc/mecdns/tokens ]; then
	# A Secret is mounted read-only: read it through a private copy that
	# only syncd's user can read.
	install -m 0600 -o mecdns -g mecdns /etc/mecdns/tokens /run/mecdns-tokens
	tokens="--tokens /run/mecdns-tokens"
else
	tokens=""
fi

if [ ! -e "$knot_conf" ]; then
	cat >"$knot_conf" <<CONF
server:
    rundir: /run/knot
    user: knot:knot
    listen: $dns_listen
    edns-client-subnet: on
log:
  - target: stderr
    any: info
database:
    storage: /var/lib/knot
mod-mecdns:
  - id: default
    database: $database
template:
  - id: default
    global-module: mod-mecdns/default
CONF
fi

knotd -c "$knot_conf" &
knot_pid=$!
# shellcheck disable=SC2086 # tokens and MECDNS_SYNCD_ARGS are option lists
setpriv --reuid=mecdns --regid=knot --clear-groups --no-new-privs \
	mecdns-syncd --listen "$http_listen" --database "$database" --dbus none \
	--knot-socket /run/knot/knot.sock --knot-dbus none $tokens ${MECDNS_SYNCD_ARGS:-} &
syncd_pid=$!
say "knotd (pid $knot_pid) on $dns_listen, mecdns-syncd (pid $syncd_pid) on $http_listen"

stopping=0
stop() {
	stopping=1
	kill -TERM "$syncd_pid" 2>/dev/null || true
	wait "$syncd_pid" 2>/dev/null || true
	kill -TERM "$knot_pid" 2>/dev/null || true
	wait "$knot_pid" 2>/dev/null || true
}
trap 'stop; say "stopped"; exit 0' TERM INT

# Whichever dies first takes the container down.
while kill -0 "$knot_pid" 2>/dev/null && kill -0 "$syncd_pid" 2>/dev/null; do
	sleep 1 &
	wait $! || true
done
[ "$stopping" = 1 ] && exit 0
kill -0 "$knot_pid" 2>/dev/null || say "knotd exited"
kill -0 "$syncd_pid" 2>/dev/null || say "mecdns-syncd exited"
stop
exit 1
