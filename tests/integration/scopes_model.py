#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential check of mod-mecdns's client-subnet answers (issue 13).

Random rules (A and AAAA, unscoped and scoped with nested IPv4 and IPv6
subnets, ACTIVE and INACTIVE) are written through mecdns-syncd's Mm5 API,
and random record sets (A and AAAA, unscoped and scoped, "Scoped record
sets") through its rrecord API, at the same names;
once knotd's module serves the last write's generation, random queries
(dnspython, with and without an ECS option of random source length, from
inside, around and outside the subnets) are compared with an independent
reference model of the answer rules written from docs/api.md ("Client
subnets"): the addresses, NODATA with its SOA, the ECS SCOPE, and pass-
through for names without ACTIVE rules. Then the rules are changed
(moved between scopes, state flips, deletes; sets replaced and deleted by
the key (name, type, scope)) and everything is asked again.

Usage: scopes_model.py --syncd URL --dns-port PORT [--seed N] [--rounds N]
                       [--queries N]
Prints "checked N queries in R rounds (seed S), D differences" and each
difference; exits 1 when there is any, 2 when the setup fails.
"""

import argparse
import ipaddress
import json
import random
import sys
import time
import urllib.error
import urllib.request

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype

APP = "diff-app"
NAMES = [f"n{i}.diff.test" for i in range(6)]
V4 = ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.128/25", "10.1.3.0/24",
      "10.2.0.0/16", "10.1.2.7/32", "192.168.0.0/16"]
V6 = ["2001:db8::/32", "2001:db8:1::/48", "2001:db8:1:2::/64", "2001:db8:2::/48",
      "2001:db8:1:2:3::/80"]
V4_SOURCES = [0, 8, 12, 16, 20, 24, 25, 28, 32]
V6_SOURCES = [0, 32, 40, 48, 56, 64, 96, 128]


class Model:
    """The answer rules, from the documentation, not from the code."""

    def __init__(self):
        self.rules = {}  # id -> dict(name, family, address, subnets, active)
        self.sets = {}   # (name, family, scope tuple or None) -> addresses

    def sources(self):
        """What answers: the ACTIVE rules, and every record of every set as
        if it were a rule of the set's scope (rules and sets at one name
        and type answer together, per scope)."""
        yield from (r for r in self.rules.values() if r["active"])
        for (name, family, scope), addresses in self.sets.items():
            for address in addresses:
                yield {"name": name, "family": family, "address": address,
                       "subnets": list(scope) if scope else None, "active": True}

    def answer(self, name, qtype, client):
        """Expected (kind, addresses, scope): kind "pass" (no ACTIVE rule at
        the name: knotd answers as without the module), "data" or
        "nodata". client: None (no ECS; the source 127.0.0.1 decides)
        or (network, source_bits)."""
        active = [r for r in self.sources() if r["name"] == name]
        if not active:
            self.last = {"scoped": False, "widened": False}
            return ("pass", set(), None)
        family = 4 if qtype == dns.rdatatype.A else 6
        typed = [r for r in active if r["family"] == family]
        if client is None:
            net, bits = ipaddress.ip_network("127.0.0.1/32"), 32
        else:
            net, bits = client
        # Subnets of the type's rules, in the client's address family.
        subnets = {}
        for r in typed:
            for s in r["subnets"] or []:
                sn = ipaddress.ip_network(s)
                if sn.version == net.version:
                    subnets.setdefault(sn, []).append(r)
        # The most specific subnet that holds the client's known bits.
        holding = [s for s in subnets if s.prefixlen <= bits and net.subnet_of(s)]
        if holding:
            best = max(holding, key=lambda s: s.prefixlen)
            chosen, decided = subnets[best], best.prefixlen
        else:
            chosen = [r for r in typed if not r["subnets"]]
            decided = 0
        # SCOPE: the shortest prefix of the client (from decided on) that
        # overlaps no more specific subnet giving another answer; a subnet
        # longer than the known bits that agrees with all of them needs
        # one bit more than was given.
        scope = decided
        if client is not None:
            for s in subnets:
                if s.prefixlen <= decided:
                    continue
                width = min(s.prefixlen, bits)
                a = int(net.network_address)
                b = int(s.network_address)
                total = 32 if net.version == 4 else 128
                common = 0
                while common < width and ((a >> (total - 1 - common)) & 1) == \
                        ((b >> (total - 1 - common)) & 1):
                    common += 1
                scope = max(scope, common + 1)
        else:
            scope = None
        addresses = {r["address"] for r in chosen}
        self.last = {"scoped": decided > 0, "widened": scope is not None and scope > decided}
        return ("data" if addresses else "nodata", addresses, scope)


def http(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("X-Mecdns-Generation"), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("X-Mecdns-Generation"), err.read()


def probe_generation(port):
    q = dns.message.make_query("generation.mecdns.", dns.rdatatype.TXT, dns.rdataclass.CH)
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=1)
    except Exception:  # noqa: BLE001 (a timeout: not there yet)
        return -1
    for rrset in r.answer:
        for rd in rrset:
            return int(b"".join(rd.strings).decode())
    return -1


def wait_served(port, generation, limit_s=15):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if probe_generation(port) >= generation:
            return True
        time.sleep(0.02)
    return False


def random_client(rng, family):
    """A client near the pool: inside a random subnet, or anywhere."""
    pool = V4 if family == 4 else V6
    total = 32 if family == 4 else 128
    if rng.random() < 0.8:
        base = ipaddress.ip_network(rng.choice(pool))
        host = rng.getrandbits(total - base.prefixlen) if base.prefixlen < total else 0
        addr = int(base.network_address) + host
        # Sometimes flip one bit just past the subnet: a near miss.
        if rng.random() < 0.3 and base.prefixlen < total:
            addr ^= 1 << (total - 1 - base.prefixlen)
    else:
        addr = rng.getrandbits(total)
    bits = rng.choice(V4_SOURCES if family == 4 else V6_SOURCES)
    cls = ipaddress.IPv4Network if family == 4 else ipaddress.IPv6Network
    return cls((addr >> (total - bits) << (total - bits) if bits else 0, bits)), bits


def ask(port, name, qtype, client, tcp):
    if client is None:
        q = dns.message.make_query(name + ".", qtype, use_edns=0)
    else:
        net, bits = client
        opt = dns.edns.ECSOption(str(net.network_address), bits, 0)
        q = dns.message.make_query(name + ".", qtype, use_edns=0, options=[opt])
    q.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(q, "127.0.0.1", port=port, timeout=3)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=3)


def observed(resp, qtype):
    addresses = set()
    for rrset in resp.answer:
        if rrset.rdtype == qtype:
            addresses.update(rd.address for rd in rrset)
    soa = any(rrset.rdtype == dns.rdatatype.SOA for rrset in resp.authority)
    scope = None
    for opt in resp.options:
        if isinstance(opt, dns.edns.ECSOption):
            scope = opt.scopelen
    return resp.rcode(), addresses, soa, scope


RRECORD = "/mep/dns_server_mgmt/v1/rrecord"


def set_uri(name, family, scope):
    uri = f"{RRECORD}/{name}./{'A' if family == 4 else 'AAAA'}"
    if scope:
        uri += "?clientSubnets=" + ",".join(scope)
    return uri


def mutate_set(rng, model, base, seq):
    """One random write of a record set by its key, through rrecord: put
    (one or two records; the scope from the URI) or delete."""
    if model.sets and rng.random() < 0.3:
        key = rng.choice(sorted(model.sets, key=repr))
        status, gen, text = http(base, "DELETE", set_uri(*key), {})
        if status != 200:
            raise SystemExit(f"setup: DELETE set {key}: {status} {text[:200]!r}")
        del model.sets[key]
        return int(gen)
    family = rng.choice([4, 6])
    scope = None
    if rng.random() < 0.7:
        scope = tuple(sorted(set(rng.sample(V4 + V6, rng.choice([1, 1, 2])))))
    key = (rng.choice(NAMES), family, scope)
    count = rng.choice([1, 1, 2])
    addresses = {(f"198.51.100.{(seq + i) % 250 + 1}" if family == 4
                  else f"2001:db8:eeee::{(seq + i) % 65535 + 1:x}") for i in range(count)}
    body = {"name": key[0] + ".", "type": "A" if family == 4 else "AAAA", "class": "IN",
            "ttl": 30, "rData": sorted(addresses)}
    # The URI names the scope; the body leaves it out (it takes the URI's)
    # or repeats it, in another order.
    if scope and rng.random() < 0.5:
        body["clientSubnets"] = list(reversed(scope))
    status, gen, text = http(base, "PUT", set_uri(*key), body)
    if status != 200:
        raise SystemExit(f"setup: PUT set {key}: {status} {text[:200]!r}")
    model.sets[key] = addresses
    return int(gen)


def mutate(rng, model, base, seq, first):
    """One random write through Mm5 (a rule) or rrecord (a set), applied to
    the model when it is 2xx (the first round only creates rules)."""
    if not first and rng.random() < 0.5:
        return mutate_set(rng, model, base, seq)
    action = "create" if first or not model.rules else \
        rng.choice(["create", "create", "move", "move", "flip", "delete"])
    if action == "create" or not model.rules:
        rid = f"r{seq}"
        family = rng.choice([4, 4, 6])
        subnets = None
        if rng.random() < 0.7:
            pool = V4 + V6
            subnets = sorted(set(rng.sample(pool, rng.choice([1, 1, 2]))))
        rule = {"name": rng.choice(NAMES), "family": family,
                "address": (f"192.0.2.{seq % 250 + 1}" if family == 4
                            else f"2001:db8:ffff::{seq % 65535 + 1:x}"),
                "subnets": subnets, "active": rng.random() < 0.85}
        body = {"dnsRuleId": rid, "domainName": rule["name"],
                "ipAddressType": "IP_V4" if family == 4 else "IP_V6",
                "ipAddress": rule["address"], "ttl": 30,
                "state": "ACTIVE" if rule["active"] else "INACTIVE"}
        if subnets is not None:
            body["clientSubnets"] = subnets
        status, gen, text = http(base, "POST", f"/mep/config/{APP}/dns_rules", body)
        if status != 201:
            raise SystemExit(f"setup: POST {rid}: {status} {text[:200]!r}")
        model.rules[rid] = rule
        return int(gen)
    rid = rng.choice(sorted(model.rules))
    rule = model.rules[rid]
    if action == "delete":
        status, gen, text = http(base, "DELETE", f"/mep/config/{APP}/dns_rules/{rid}")
        if status != 204:
            raise SystemExit(f"setup: DELETE {rid}: {status} {text[:200]!r}")
        del model.rules[rid]
        return int(gen)
    if action == "move":
        subnets = None if rng.random() < 0.25 else sorted(set(rng.sample(V4 + V6, 1)))
        body = {"clientSubnets": subnets}
        new = dict(rule, subnets=subnets)
    else:
        body = {"state": "INACTIVE" if rule["active"] else "ACTIVE"}
        new = dict(rule, active=not rule["active"])
    status, gen, text = http(base, "PUT", f"/mep/config/{APP}/dns_rules/{rid}", body)
    if status != 200:
        raise SystemExit(f"setup: PUT {rid} {body}: {status} {text[:200]!r}")
    model.rules[rid] = new
    return int(gen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--syncd", required=True)
    ap.add_argument("--dns-port", type=int, required=True)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--queries", type=int, default=400)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    model = Model()
    checked = 0
    differences = []
    control = None
    seq = 0
    seen = dict.fromkeys(["data", "nodata", "pass", "scoped", "widened", "widened-scoped",
                          "sets", "scoped-sets"], 0)
    for rnd in range(args.rounds):
        generation = 0
        for _ in range(24 if rnd == 0 else 8):
            seq += 1
            generation = mutate(rng, model, args.syncd, seq, rnd == 0)
        if not wait_served(args.dns_port, generation):
            print(f"setup: the module never served generation {generation}")
            return 2
        if control is None:
            control = ask(args.dns_port, "never-written.diff.test", dns.rdatatype.A,
                          None, False).rcode()
        for _ in range(args.queries):
            name = rng.choice(NAMES + ["never-written.diff.test"])
            qtype = rng.choice([dns.rdatatype.A, dns.rdatatype.AAAA])
            client = None if rng.random() < 0.1 else random_client(rng, rng.choice([4, 6]))
            tcp = rng.random() < 0.1
            kind, want, want_scope = model.answer(name, qtype, client)
            seen[kind] += 1
            from_sets = {a for (n, _f, sc), addrs in model.sets.items() if n == name
                         for a in addrs}
            seen["sets"] += bool(want & from_sets)
            seen["scoped-sets"] += bool(want & from_sets) and model.last["scoped"]
            seen["scoped"] += model.last["scoped"]
            seen["widened"] += model.last["widened"]
            seen["widened-scoped"] += model.last["widened"] and model.last["scoped"]
            resp = ask(args.dns_port, name, qtype, client, tcp)
            rcode, got, soa, scope = observed(resp, qtype)
            checked += 1
            what = (f"round {rnd} {name} {dns.rdatatype.to_text(qtype)} "
                    f"client {client[0] if client else '127.0.0.1 (no ECS)'}"
                    f"{' TCP' if tcp else ''}")
            if kind == "pass":
                if rcode != control or got:
                    differences.append(f"{what}: {dns.rcode.to_text(rcode)} {sorted(got)}, "
                                       f"expected passed through ({dns.rcode.to_text(control)})")
                continue
            if rcode != dns.rcode.NOERROR or got != want:
                differences.append(f"{what}: {dns.rcode.to_text(rcode)} {sorted(got)}, "
                                   f"expected NOERROR {sorted(want)}")
            elif kind == "nodata" and not soa:
                differences.append(f"{what}: NODATA without SOA")
            if client is not None and scope != want_scope:
                differences.append(f"{what}: SCOPE {scope}, expected {want_scope} "
                                   f"(answer {sorted(got)})")
    print(f"checked {checked} queries in {args.rounds} rounds (seed {seed}), "
          f"{len(differences)} differences")
    print("asked: " + " ".join(f"{k} {v}" for k, v in seen.items()))
    for d in differences[:40]:
        print("  " + d)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
