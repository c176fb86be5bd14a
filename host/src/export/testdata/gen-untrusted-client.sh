#!/bin/sh
# Regenerates `untrusted-client.pem` / `untrusted-client.key`: a self-signed client
# certificate (EC P-256, clientAuth, valid 100 years) that no test CA signed, for the
# exporter mTLS tests' "wrong certificate" cases. Test-only material, not a secret.
set -e
cd "$(dirname "$0")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout untrusted-client.key -out untrusted-client.pem -days 36500 \
  -subj "/CN=sluice untrusted test client" \
  -addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature" \
  -addext "extendedKeyUsage=clientAuth"
