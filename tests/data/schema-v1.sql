-- A mecdns database at schema version 1, as a released build wrote it:
-- migration 1's DDL (schema/schema.c, MIGRATION_1) plus a little data.
-- tests/unit/test_schema.c migrates it forward and checks nothing is lost.
CREATE TABLE rules (
	app_instance_id TEXT NOT NULL CHECK (length(app_instance_id) BETWEEN 1 AND 256),
	dns_rule_id     TEXT NOT NULL CHECK (length(dns_rule_id) BETWEEN 1 AND 256),
	domain_name     TEXT NOT NULL,
	owner           TEXT NOT NULL CHECK (owner = lower(owner) AND owner LIKE '%.'),
	ip_address_type TEXT NOT NULL CHECK (ip_address_type IN ('IP_V4', 'IP_V6')),
	ip_address      TEXT NOT NULL,
	ttl             INTEGER CHECK (ttl IS NULL OR ttl BETWEEN 0 AND 2147483647),
	state           TEXT NOT NULL CHECK (state IN ('ACTIVE', 'INACTIVE')),
	version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_ms      INTEGER NOT NULL,
	updated_ms      INTEGER NOT NULL,
	generation      INTEGER NOT NULL,
	PRIMARY KEY (app_instance_id, dns_rule_id)
);
CREATE INDEX rules_by_owner ON rules (owner);
CREATE TABLE rrsets (
	zone       TEXT NOT NULL CHECK (zone = lower(zone) AND zone LIKE '%.'),
	owner      TEXT NOT NULL CHECK (owner = lower(owner) AND owner LIKE '%.'),
	type       INTEGER NOT NULL CHECK (type BETWEEN 1 AND 65535),
	ttl        INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 2147483647),
	generation INTEGER NOT NULL,
	updated_ms INTEGER NOT NULL,
	PRIMARY KEY (zone, owner, type)
);
CREATE INDEX rrsets_by_owner ON rrsets (owner);
CREATE TABLE rdata (
	zone  TEXT NOT NULL,
	owner TEXT NOT NULL,
	type  INTEGER NOT NULL,
	pos   INTEGER NOT NULL CHECK (pos >= 0),
	text  TEXT NOT NULL,
	wire  BLOB NOT NULL CHECK (length(wire) <= 65535),
	PRIMARY KEY (zone, owner, type, pos),
	FOREIGN KEY (zone, owner, type) REFERENCES rrsets (zone, owner, type)
		ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE changes (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT,
	generation      INTEGER NOT NULL,
	committed_ms    INTEGER NOT NULL,
	kind            TEXT NOT NULL CHECK (kind IN ('rule', 'rrset')),
	owner           TEXT NOT NULL,
	prev_owner      TEXT,
	app_instance_id TEXT,
	dns_rule_id     TEXT,
	domain_name     TEXT,
	state           TEXT CHECK (state IS NULL OR state IN ('ACTIVE', 'INACTIVE', 'DELETED')),
	zone            TEXT,
	rrtype          TEXT,
	rdata_count     INTEGER
);
CREATE INDEX changes_by_generation ON changes (generation);
CREATE TABLE state (
	id             INTEGER PRIMARY KEY CHECK (id = 1),
	generation     INTEGER NOT NULL CHECK (generation >= 0),
	pruned_through INTEGER NOT NULL CHECK (pruned_through >= 0),
	signalled_seq  INTEGER NOT NULL CHECK (signalled_seq >= 0),
	instance       TEXT NOT NULL
);
INSERT INTO state (id, generation, pruned_through, signalled_seq, instance)
	VALUES (1, 0, 0, 0, lower(hex(randomblob(16))));
INSERT INTO rules VALUES ('app1', 'r1', 'WWW.Example.com', 'www.example.com.', 'IP_V4',
	'192.0.2.1', 30, 'ACTIVE', 1, 1700000000000, 1700000000000, 1);
INSERT INTO rrsets VALUES ('.', 'edge.example.com.', 1, 60, 2, 1700000000001);
INSERT INTO rdata VALUES ('.', 'edge.example.com.', 1, 0, '10.0.0.1', X'0A000001');
INSERT INTO changes (generation, committed_ms, kind, owner, app_instance_id, dns_rule_id,
	domain_name, state) VALUES (1, 1700000000000, 'rule', 'www.example.com.', 'app1', 'r1',
	'WWW.Example.com', 'ACTIVE');
INSERT INTO changes (generation, committed_ms, kind, owner, zone, rrtype, rdata_count)
	VALUES (2, 1700000000001, 'rrset', 'edge.example.com.', '.', 'A', 1);
UPDATE state SET generation = 2;
PRAGMA user_version = 1;
