#!/bin/sh
# Makes the TLS material the HTTP tests use, into directory $1 (created):
#   ca.pem/ca.key             test CA
#   server.pem/server.key     server cert from that CA, SAN IP:127.0.0.1 + DNS:api.test.internal
#   client.pem/client.key     client cert from that CA (clientAuth)
#   other-ca.pem              an unrelated CA (the "wrong CA" case)
# Run at test time (valid two days) so nothing expires in the repository.
set -eu
out=$1
mkdir -p "$out"
cd "$out"
cat > ca.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = HTTP Tests CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
printf 'subjectAltName = IP:127.0.0.1, DNS:api.test.internal\nextendedKeyUsage = serverAuth\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n' > server.ext
printf 'extendedKeyUsage = clientAuth\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n' > client.ext

ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -config ca.cnf -extensions ca 2>/dev/null
openssl req -x509 $ec -keyout other-ca.key -out other-ca.pem -days 2 -config ca.cnf -extensions ca 2>/dev/null
for name in server client; do
    openssl req -new $ec -keyout $name.key -out $name.csr -subj "/CN=$name" 2>/dev/null
    openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" \
        -days 2 -extfile $name.ext -out $name.pem 2>/dev/null
done
