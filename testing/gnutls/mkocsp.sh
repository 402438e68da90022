#!/bin/sh
# mkocsp.sh DIR PORT - certificates and responder data for
# test_gnutls_revoke, made with openssl (and a CRL with certtool), into DIR:
# ca (ECDSA P-256) -> good (serial 1001), revoked (1002), both naming the
# OCSP responder http://127.0.0.1:PORT/aia and the CRL distribution point
# http://127.0.0.1:PORT/crl; resp (id-kp-OCSPSigning, a delegated
# responder) and respnoeku (no EKU) from ca; other (another CA).
# index.txt: good valid, revoked revoked; empty.txt knows nothing.
# crl.der: ca's CRL listing revoked.
set -eu
dir=$1 port=$2
cd "$dir"
o() { openssl "$@" >/dev/null 2>>openssl.log; }
cat > ext.cnf <<EOC
[leaf]
basicConstraints=CA:FALSE
subjectAltName=DNS:leaf.example.org
authorityInfoAccess=OCSP;URI:http://127.0.0.1:$port/aia
crlDistributionPoints=URI:http://127.0.0.1:$port/crl
[resp]
basicConstraints=CA:FALSE
extendedKeyUsage=OCSPSigning
[respnoeku]
basicConstraints=CA:FALSE
EOC
ca() {  # name cn
	o req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.pem" -subj "/O=ikev2d test/CN=$2" -days 30 \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
issue() {  # name serial section cn
	o req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-subj "/O=ikev2d test/CN=$4" -out "$1.csr"
	o x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$2" -days 10 \
		-extfile ext.cnf -extensions "$3" -out "$1.pem"
}
ca ca "OCSP Test CA"
ca other "Other CA"
issue good 1001 leaf good.example.org
issue revoked 1002 leaf revoked.example.org
issue resp 2001 resp "OCSP Responder"
issue respnoeku 2002 respnoeku "Not A Responder"
printf 'V\t391231235959Z\t\t1001\tunknown\t/CN=good.example.org\n' > index.txt
printf 'R\t391231235959Z\t200101000000Z\t1002\tunknown\t/CN=revoked.example.org\n' >> index.txt
: > empty.txt
printf 'crl_next_update = 7\ncrl_number = 1\n' > crl.tmpl
certtool --generate-crl --load-ca-privkey ca.key --load-ca-certificate ca.pem \
	--load-certificate revoked.pem --template crl.tmpl --outder --outfile crl.der \
	>/dev/null 2>>openssl.log
