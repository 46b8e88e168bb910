#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Generates one benchmark data set of N rules, the same records for every
# compared server:
#   bench/lib/gendata.sh N DIR [MECDNS_DB_TOOL]
# Rule i (0 <= i < N): app<i>.mec.example. A 10.<i>>16&255>.<i>>8&255>.<i&255>, TTL 60.
# Files in DIR:
#   records.txt          "owner address" lines (mapdns)
#   zone-full.zone       mec.example. SOA + NS + ns A + the N A records (knotd static)
#   zone-apex.zone       mec.example. SOA + NS + ns A only (knotd + mod-mecdns: misses
#                        get NXDOMAIN from this zone, hits come from the module)
#   pdns.sqlite          PowerDNS gsqlite3: domain mec.example, same SOA/NS/A records
#   mecdns.db            mecdns schema v1 (created by `mecdns-db init`, so the
#                        schema is the project's own migration), then one bulk
#                        transaction: N ACTIVE rules (app bench<i/1000>, id r<i>,
#                        ttl 60, generation 1), one changes row per rule (kind
#                        'rule', state ACTIVE, generation 1), state.generation = 1,
#                        state.signalled_seq = last seq (nothing left to signal)
#   queries.txt          dnsperf input, QLINES lines (default 1,000,000): line j is a
#                        miss (miss<r>.mec.example. A, a name nothing owns) when
#                        j % 10 == 9, else a hit app<r>.mec.example. A, r uniform
#                        random in [0, N) (awk srand(42): same file every time)
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/dataset.sh"
n=${1:?usage: gendata.sh N DIR [mecdns-db]}
dir=${2:?usage: gendata.sh N DIR [mecdns-db]}
tool=${3:-}
qlines=${QLINES:-1000000}
mkdir -p "$dir"
cd "$dir"

if [ ! -s zone-apex.zone ]; then apex >zone-apex.zone; fi
if [ ! -s zone-full.zone ]; then
	{ apex; awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
		printf "app%d.mec.example. 60 IN A 10.%d.%d.%d\n", i,
		       int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'; } >zone-full.zone.tmp
	mv zone-full.zone.tmp zone-full.zone
fi
if [ ! -s records.txt ]; then
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
		printf "app%d.mec.example. 10.%d.%d.%d\n", i,
		       int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' >records.txt.tmp
	mv records.txt.tmp records.txt
fi
if [ ! -s queries.txt ]; then
	awk -v n="$n" -v q="$qlines" 'BEGIN { srand(42); for (j = 0; j < q; j++) {
		r = int(rand() * n);
		if (j % 10 == 9) printf "miss%d.mec.example. A\n", r;
		else printf "app%d.mec.example. A\n", r } }' >queries.txt.tmp
	mv queries.txt.tmp queries.txt
fi

# The addresses as SQL expressions of the row counter i.
ipexpr="'10.' || ((i >> 16) & 255) || '.' || ((i >> 8) & 255) || '.' || (i & 255)"
cte="WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < $n)"

if [ ! -s pdns.sqlite ]; then
	rm -f pdns.sqlite.tmp
	{
		cat /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql
		cat <<SQL
BEGIN;
INSERT INTO domains (id, name, type) VALUES (1, 'mec.example', 'NATIVE');
INSERT INTO records (domain_id, name, type, content, ttl, auth) VALUES
 (1, 'mec.example', 'SOA', 'ns.mec.example hostmaster.mec.example 1 3600 600 604800 60', 3600, 1),
 (1, 'mec.example', 'NS', 'ns.mec.example', 3600, 1),
 (1, 'ns.mec.example', 'A', '127.0.0.1', 3600, 1);
$cte INSERT INTO records (domain_id, name, type, content, ttl, auth)
 SELECT 1, 'app' || i || '.mec.example', 'A', $ipexpr, 60, 1 FROM c;
COMMIT;
ANALYZE;
SQL
	} | sqlite3 pdns.sqlite.tmp
	mv pdns.sqlite.tmp pdns.sqlite
fi

if [ -n "$tool" ]; then
	now=$(date +%s%3N)
	make_mecdns_db "$tool" <<SQL
$cte INSERT INTO rules (app_instance_id, dns_rule_id, domain_name, owner, ip_address_type,
                        ip_address, ttl, state, version, created_ms, updated_ms, generation)
 SELECT 'bench' || (i / 1000), 'r' || i, 'app' || i || '.mec.example', 'app' || i || '.mec.example.',
        'IP_V4', $ipexpr, 60, 'ACTIVE', 1, $now, $now, 1 FROM c;
SQL
fi
exit 0
