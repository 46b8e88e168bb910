#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# scripts/container-check.sh: builds the container image (container/Dockerfile)
# and runs it on loopback ports: /healthz, /readyz, a rule written and
# answered, SIGTERM exits 0. Needs a running container engine (docker or
# podman); without one it says so and exits 0: the image's entry point is
# then still run by scripts/debcheck.sh, on the same packages, in a chroot.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
engine=""
for candidate in docker podman; do
	if command -v "$candidate" >/dev/null && timeout 10 "$candidate" info >/dev/null 2>&1; then
		engine=$candidate
		break
	fi
done
if [ -z "$engine" ]; then
	echo "container-check: no running container engine here; image build skipped (the entry point runs in scripts/debcheck.sh)"
	exit 0
fi
tag=mecdns-check:$(cd "$src" && git rev-parse --short HEAD)
"$engine" build -q -f "$src/container/Dockerfile" -t "$tag" "$src" >/dev/null
name=mecdns-check-$$
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
dns_port=$(free_port)
http_port=$(free_port)
"$engine" run -d --name "$name" -p "127.0.0.1:$dns_port:53/udp" -p "127.0.0.1:$http_port:8080" \
	-e MECDNS_HTTP_LISTEN=127.0.0.1:8080 "$tag" >/dev/null
trap '"$engine" rm -f "$name" >/dev/null 2>&1 || true' EXIT
ok=0
for _ in $(seq 100); do
	"$engine" exec "$name" mecdnsctl -q -u http://127.0.0.1:8080 status >/dev/null 2>&1 && { ok=1; break; }
	sleep 0.2
done
[ $ok = 1 ] || { "$engine" logs "$name" >&2; echo "container-check: not ready" >&2; exit 1; }
"$engine" exec "$name" mecdnsctl -u http://127.0.0.1:8080 rule add app1 r1 www.example.com 192.0.2.10 >/dev/null
"$engine" exec "$name" mecdnsctl -u http://127.0.0.1:8080 -s 127.0.0.1@53 wait --timeout 10 >/dev/null
"$engine" exec "$name" mecdnsctl -u http://127.0.0.1:8080 -s 127.0.0.1@53 lookup www.example.com |
	grep -q "answered NOERROR: A 192.0.2.10" || { echo "container-check: no answer" >&2; exit 1; }
"$engine" stop -t 20 "$name" >/dev/null
status=$("$engine" inspect -f '{{.State.ExitCode}}' "$name")
[ "$status" = 0 ] || { echo "container-check: exit status $status after SIGTERM" >&2; exit 1; }
echo "container-check: image $tag built and run with $engine: ready, answering, clean stop"
