#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the seed programs of fuzz_refresh (see fuzz/fuzz_refresh.c for the
operations) into the directory given as argument: fuzz/corpus/fuzz_refresh."""
import os
import struct
import sys

RULE, RRSET, RDATA, DELETE, CHANGE, STATE, REFRESH, NAME, FORGET, TTLTEXT = range(10)


def rule(slot, flags=0, addr=1, ttl=300):
    return struct.pack('<BBBBi', RULE, slot, flags, addr, ttl)


def rrset(slot, rtype, wire, ttl=60, zone=6, op=RRSET):
    return struct.pack('<BBBHiH', op, slot, zone, rtype, ttl, len(wire)) + wire


def huge(slot, rtype, units, pattern=0x41, ttl=60):
    """units * 3 bytes of a repeated pattern (the length's bit 15)."""
    return struct.pack('<BBBHiHB', RRSET, slot, 6, rtype, ttl, 0x8000 | units, pattern)


def name(slot, text):
    data = text.encode('latin-1')
    return struct.pack('<BBH', NAME, slot, len(data)) + data


def state(kind, value):
    return struct.pack('<BBI', STATE, kind, value & 0xffffffff)


def op(code, *args):
    return bytes([code, *args])


def dname(text):
    out = b''
    for label in text.rstrip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


A = bytes([192, 0, 2, 1])
A2 = bytes([192, 0, 2, 2])
AAAA = bytes(15) + b'\x01'
CNAME = dname('target.example.')
MX = struct.pack('>H', 10) + dname('mail.example.')
TXT = b'\x05hello\x05world'
MAX_NAME = ('\\000' * 63 + '.') * 3 + '\\000' * 61 + '.'  # 255 bytes, 1004 chars
REFRESH_ = op(REFRESH)

seeds = {
    'rule': rule(0) + REFRESH_,
    'rule-v6-null-ttl': rule(0, flags=1 | 4) + REFRESH_,
    'rule-inactive': rule(0) + rule(0, flags=2, addr=9) + REFRESH_,
    'rule-hostile': rule(0, flags=8) + rule(0, flags=16) + rule(0, flags=32) +
                    rule(0, ttl=-5) + rule(1) + rule(2) + REFRESH_,
    'rrsets': rrset(0, 1, A) + rrset(0, 1, A2, ttl=30) + rrset(0, 28, AAAA) +
              rrset(7, 15, MX) + rrset(7, 16, TXT) + REFRESH_,
    'rrset-bad-rdata': rrset(0, 1, A + b'\0') + rrset(0, 28, A) + rrset(0, 15, b'\0') +
                       rrset(0, 0, A) + rrset(0, 65535, b'') + rrset(0, 2, dname('ns.')) +
                       rrset(0, 46, b'\0' * 20) + rrset(0, 99, b'') + REFRESH_,
    'rdata-as-text': rrset(0, 16, b'\xfe\x05hello') + REFRESH_,
    'rdata-dangling': rrset(0, 1, A, op=RDATA) + REFRESH_,
    'ttl-text': struct.pack('<BBH', TTLTEXT, 0, 1) + REFRESH_,
    'cname-beside-a': rule(0) + rrset(0, 5, CNAME) + rrset(0, 5, dname('other.')) +
                      rrset(0, 1, A2) + REFRESH_,
    'huge-txt': huge(0, 16, 21845) + huge(7, 16, 100) + REFRESH_,
    'huge-too-big': huge(0, 16, 32767) + huge(0, 1, 5) + REFRESH_,
    'incremental': rule(0) + rrset(7, 1, A) + REFRESH_ + op(DELETE, 0) + REFRESH_ +
                   rrset(0, 1, A2) + rule(7, addr=3) + REFRESH_,
    'forget': rule(0) + REFRESH_ + op(FORGET) + op(DELETE, 0) + REFRESH_ + rule(7) + REFRESH_,
    'change-dangling': op(CHANGE, 2, 1) + op(CHANGE, 3, 0) + rule(0) + REFRESH_ +
                       op(CHANGE, 4, 0xff) + REFRESH_,
    'generation-back': rule(0) + REFRESH_ + rule(7) + REFRESH_ + state(0, -1) + rule(0, addr=5) +
                       REFRESH_,
    'generation-jump': rule(0) + REFRESH_ + state(0, 1000) + rule(7) + REFRESH_,
    'generation-stall': rule(0) + REFRESH_ + state(0, 0) + rule(7) + REFRESH_ + rule(0, addr=8) +
                        REFRESH_,
    'pruned': rule(0) + REFRESH_ + state(1, 5) + rule(7) + REFRESH_ + rule(0, addr=6) + REFRESH_,
    'instance': rule(0) + REFRESH_ + state(2, 0) + op(DELETE, 0) + REFRESH_,
    'state-broken': rule(0) + REFRESH_ + state(3, 0) + REFRESH_ + state(3, 2) + REFRESH_,
    'state-deleted': rule(0) + REFRESH_ + state(3, 3) + rule(7) + REFRESH_,
    'schema-version': rule(0) + REFRESH_ + state(4, 0) + REFRESH_,
    'names-odd': name(0, 'Upper.Example.') + rule(0) + name(1, '\\065.example.') + rule(1) +
                 name(2, 'a..b.') + rule(2) + name(3, 'x' * 64 + '.') + rule(3) +
                 name(4, '\\046.example.') + rule(4) + name(5, 'caf\xe9.example.') + rule(5) +
                 REFRESH_,
    'name-max': name(0, MAX_NAME) + rule(0) + rrset(0, 1, A2) + REFRESH_,
    'name-too-long': name(0, MAX_NAME) + name(1, MAX_NAME + 'x.') + rule(0) + REFRESH_ +
                     rule(1, addr=7) + REFRESH_,
    'name-nul': name(0, 'www.example.com.') + name(1, 'www.example.com.\0junk.') + rule(0) +
                REFRESH_ + rule(1, addr=7) + REFRESH_,
    'wildcard-root': rule(5) + rrset(6, 1, A) + REFRESH_,
}
out = sys.argv[1] if len(sys.argv) > 1 else 'fuzz/corpus/fuzz_refresh'
os.makedirs(out, exist_ok=True)
for key, data in seeds.items():
    with open(os.path.join(out, key), 'wb') as f:
        f.write(data)
print(len(seeds), 'seeds written to', out)
