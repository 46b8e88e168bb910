#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the measuring peers offline from Debian's packaged Go sources:
#   bench/peers/build.sh OUTDIR   -> OUTDIR/mapdns, OUTDIR/mecload, OUTDIR/dbuslat
# GO111MODULE=off + GOPATH=/usr/share/gocode resolves github.com/miekg/dns
# (golang-github-miekg-dns-dev) and its golang.org/x deps without a network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out"
export GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= \
       GOCACHE="${GOCACHE:-$out/.gocache}" CGO_ENABLED=0
for tool in mapdns mecload; do
	(cd "$here/$tool" && go build -o "$out/$tool" main.go)
done
# the ECS query load of part 6 (C, no library)
gcc -O2 -Wall -o "$out/ecsload" "$here/ecsload.c"
# the D-Bus signal listener (C, libdbus-1 as syncd uses)
if pkg-config --exists dbus-1; then
	gcc -O2 -Wall -o "$out/dbuslat" "$here/dbuslat.c" $(pkg-config --cflags --libs dbus-1)
fi
