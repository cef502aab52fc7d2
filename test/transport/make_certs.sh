#!/usr/bin/env bash
# Makes the certificates the transport tests need, with the openssl command,
# in the folder given (nothing here is committed, no key above all):
#   ca.pem ca.key                 a CA
#   server.pem server.key         for localhost, 127.0.0.1 and ::1, signed by the CA
#   rotated.pem rotated.key       the same names, another key and CN: a renewed certificate
#   client.pem client.key         a client certificate, signed by the CA (mutual TLS)
#   expired.pem expired.key       for localhost and 127.0.0.1, valid only in 2020
#   wronghost.pem wronghost.key   for wrong.example only
#   other-ca.pem                  a CA nobody trusts
# EC P-256 keys: quick to make and to handshake with.
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=asio_server test CA" -days 30 -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
key other-ca.key
openssl req -x509 -new -key other-ca.key -subj "/CN=untrusted CA" -days 30 -out other-ca.pem

# sign NAME CN SAN [EXTRA_EXT]: NAME.key and NAME.pem, signed by the CA for 30 days.
sign() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\n' "$3" "${4:-serverAuth}" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
sign server localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
sign rotated "rotated localhost" "DNS:localhost,IP:127.0.0.1,IP:::1"
sign client "test client" "DNS:client.example" clientAuth
sign wronghost wrong.example "DNS:wrong.example"

# Expired: openssl ca takes start and end dates (x509 -req cannot in 3.0).
key expired.key
openssl req -new -key expired.key -subj "/CN=localhost" -out expired.csr
: >index.txt
echo 1000 >serial
cat >ca.cnf <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = index.txt
serial = serial
new_certs_dir = .
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = server_ext
[anything]
commonName = supplied
[server_ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
CNF
openssl ca -batch -config ca.cnf -startdate 20200101000000Z -enddate 20200102000000Z \
  -in expired.csr -out expired.pem 2>/dev/null
