# SPDX-License-Identifier: GPL-3.0-or-later
# bench/lib/dataset.sh: what every data set shares, sourced by lib/gendata.sh
# and lib/genscoped.sh: the zone apex and the mecdns database.

# apex: mec.example.'s SOA, NS and the name server's address (zone file text).
soa='mec.example. 3600 IN SOA ns.mec.example. hostmaster.mec.example. 1 3600 600 604800 60'
apex() {
	echo '$ORIGIN mec.example.'
	echo "$soa"
	echo 'mec.example. 3600 IN NS ns.mec.example.'
	echo 'ns.mec.example. 3600 IN A 127.0.0.1'
}

# make_mecdns_db TOOL: mecdns.db in the current directory. A cached file the
# tool can open (and migrates forward, as syncd would on start) is kept;
# otherwise the file is created by `TOOL init` (the project's own schema),
# then one transaction runs the rule INSERTs read from standard input,
# writes one changes row per rule (generation 1) and leaves nothing to
# signal. Built under a temporary name: an interrupted run leaves no
# half-written mecdns.db.
make_mecdns_db() {
	local tool=$1 rules_sql s
	if [ -s mecdns.db ] && ! "$tool" -d mecdns.db init >/dev/null 2>&1; then
		rm -f mecdns.db mecdns.db-wal mecdns.db-shm
	fi
	if [ -s mecdns.db ]; then
		cat >/dev/null
		return 0
	fi
	rules_sql=$(cat)
	rm -f mecdns.db.tmp mecdns.db.tmp-wal mecdns.db.tmp-shm
	"$tool" -d mecdns.db.tmp init >/dev/null
	sqlite3 mecdns.db.tmp >/dev/null <<SQL
PRAGMA synchronous = OFF;
BEGIN IMMEDIATE;
$rules_sql
INSERT INTO changes (generation, committed_ms, kind, owner, app_instance_id, dns_rule_id,
                     domain_name, state)
 SELECT 1, created_ms, 'rule', owner, app_instance_id, dns_rule_id, domain_name, 'ACTIVE'
 FROM rules ORDER BY rowid;
UPDATE state SET generation = 1, signalled_seq = (SELECT max(seq) FROM changes) WHERE id = 1;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
	mv mecdns.db.tmp mecdns.db
	for s in -wal -shm; do
		if [ -e "mecdns.db.tmp$s" ]; then mv "mecdns.db.tmp$s" "mecdns.db$s"; fi
	done
}
