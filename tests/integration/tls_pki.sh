#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Test PKI for tests/integration/test_tls.c: makes, in directory $1,
#   server-ca.pem                 CA of the server certificates
#   server1.pem/.key, server2.pem/.key
#                                 server certificates for IP 127.0.0.1
#                                 (subjects mecdns-server-1/-2, serials
#                                 1001/1002), both from server-ca
#   client-ca-a.pem, client-ca-b.pem
#                                 two client CAs
#   client-a.pem/.key, client-b.pem/.key
#                                 one client certificate from each
#   client-a-server.pem/.key      from client-ca-a, but its extended key
#                                 usage is serverAuth only (not a client)
# EC P-256 keys (fast to make), valid for two days. Needs openssl.
set -eu
dir=$1
cd "$dir"

cat > ca.cnf <<'CNF'
[req]
distinguished_name = dn
x509_extensions = ca
prompt = no
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
CNF
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' > server.ext
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > client.ext

key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# ca NAME CN
ca() {
	key "$1.key"
	openssl req -config ca.cnf -new -x509 -days 2 -key "$1.key" -subj "/CN=$2" \
		-set_serial 1 -out "$1.pem"
}

# leaf NAME CN SERIAL CA EXTFILE
leaf() {
	key "$1.key"
	openssl req -config ca.cnf -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
	openssl x509 -req -in "$1.csr" -CA "$4.pem" -CAkey "$4.key" -set_serial "$3" \
		-days 2 -extfile "$5" -out "$1.pem" 2>/dev/null
	rm -f "$1.csr"
}

ca server-ca "mecdns test server CA"
ca client-ca-a "mecdns test client CA A"
ca client-ca-b "mecdns test client CA B"
leaf server1 mecdns-server-1 0x1001 server-ca server.ext
leaf server2 mecdns-server-2 0x1002 server-ca server.ext
leaf client-a mecdns-client-a 0x2001 client-ca-a client.ext
leaf client-b mecdns-client-b 0x2002 client-ca-b client.ext
leaf client-a-server mecdns-client-a-server 0x2003 client-ca-a server.ext
