#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Generates the client-subnet data set (issue 13), the same answers for every
# compared server:
#   bench/lib/genscoped.sh NAMES SITES DIR MECDNS_DB_TOOL
# Name i (0 <= i < NAMES) is svc<i>.mec.example.: everyone gets the central
# address 10.200.<i>>8>.<i&255>, except the devices of site j (0 <= j < SITES)
# of that name, in the /24 of prefix p = i*SITES + j, 10.<p>>8>.<p&255>.0/24,
# who get 10.<128+(p>>16)>.<(p>>8)&255>.<p&255>. NAMES*SITES distinct prefixes,
# one scoped rule each (10k with the defaults 1000 x 10; 1 x 10000 puts them
# all on one name).
# Files in DIR:
#   zone-apex.zone     mec.example. SOA + NS + ns A (mecdns: the module answers)
#   zone-central.zone  the apex + every name's central A (static: the ceiling,
#                      which cannot scope; mod-geoip: the fallback)
#   geoip.conf         mod-geoip subnet mode: SITES views ("net") per name
#   mecdns.db          NAMES unscoped rules + NAMES*SITES scoped rules
#                      (client_subnets), generation 1, nothing left to signal
#   queries.txt        ecsload input, QLINES (200,000) lines "NAME A ECS EXPECTED":
#                      9 in 10 from a random site of a random name (an address in
#                      its /24, ECS source /24), 1 in 10 from 172.16.x.0/24
#                      (no site: the central answer); awk srand(43)
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/dataset.sh"
names=${1:?usage: genscoped.sh NAMES SITES DIR MECDNS_DB_TOOL}
sites=${2:?usage}
dir=${3:?usage}
tool=${4:?usage}
qlines=${QLINES:-200000}
[ $((names * sites)) -le 65536 ] || { echo "genscoped: NAMES*SITES must be <= 65536" >&2; exit 2; }
mkdir -p "$dir"
cd "$dir"

[ -s zone-apex.zone ] || apex >zone-apex.zone
if [ ! -s zone-central.zone ]; then
	{ apex; awk -v n="$names" 'BEGIN { for (i = 0; i < n; i++)
		printf "svc%d.mec.example. 60 IN A 10.200.%d.%d\n", i, int(i / 256), i % 256 }'; } >zone-central.tmp
	mv zone-central.tmp zone-central.zone
fi
if [ ! -s geoip.conf ]; then
	awk -v n="$names" -v s="$sites" 'BEGIN { for (i = 0; i < n; i++) {
		printf "svc%d.mec.example:\n", i
		for (j = 0; j < s; j++) { p = i * s + j
			printf "  - net: 10.%d.%d.0/24\n    A: 10.%d.%d.%d\n", int(p / 256), p % 256, 128 + int(p / 65536), int(p / 256) % 256, p % 256 } } }' >geoip.tmp
	mv geoip.tmp geoip.conf
fi
if [ ! -s queries.txt ]; then
	awk -v n="$names" -v s="$sites" -v q="$qlines" 'BEGIN { srand(43); for (k = 0; k < q; k++) {
		i = int(rand() * n)
		if (k % 10 == 9) {
			r = int(rand() * 65536)
			printf "svc%d.mec.example. A 172.16.%d.0/24 10.200.%d.%d\n", i, int(r / 256) % 16, int(i / 256), i % 256
		} else {
			j = int(rand() * s); p = i * s + j
			printf "svc%d.mec.example. A 10.%d.%d.0/24 10.%d.%d.%d\n", i, int(p / 256), p % 256, 128 + int(p / 65536), int(p / 256) % 256, p % 256
		} } }' >queries.tmp
	mv queries.tmp queries.txt
fi
now=$(date +%s%3N)
make_mecdns_db "$tool" <<SQL
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < $names)
INSERT INTO rules (app_instance_id, dns_rule_id, domain_name, owner, ip_address_type,
                   ip_address, ttl, state, version, created_ms, updated_ms, generation)
 SELECT 'bench', 'c' || i, 'svc' || i || '.mec.example', 'svc' || i || '.mec.example.', 'IP_V4',
        '10.200.' || (i >> 8) || '.' || (i & 255), 60, 'ACTIVE', 1, $now, $now, 1 FROM c;
WITH RECURSIVE c(p) AS (SELECT 0 UNION ALL SELECT p + 1 FROM c WHERE p + 1 < $names * $sites)
INSERT INTO rules (app_instance_id, dns_rule_id, domain_name, owner, ip_address_type,
                   ip_address, ttl, state, version, created_ms, updated_ms, generation,
                   client_subnets)
 SELECT 'bench', 's' || p, 'svc' || (p / $sites) || '.mec.example',
        'svc' || (p / $sites) || '.mec.example.', 'IP_V4',
        '10.' || (128 + (p >> 16)) || '.' || ((p >> 8) & 255) || '.' || (p & 255),
        60, 'ACTIVE', 1, $now, $now, 1, '10.' || (p >> 8) || '.' || (p & 255) || '.0/24' FROM c;
SQL
exit 0
