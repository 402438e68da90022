#!/bin/sh
# mkpki.sh DIR - certificates for the certificate interop runs, made with
# strongSwan's pki (strongswan-pki), into DIR:
#   root (ECDSA P-256 CA) -> inter (intermediate CA) -> ours-{rsa,p256,p384,
#   p521,ed25519}: our end entities, SAN dns:ours.test, email ike@ours.test,
#   ip 10.77.0.1;
#   (and p521); root -> charon-{rsa,p256,p384,p521,ed25519}: charon's,
#   SAN dns:charon.test; root -> inter -> charon-p256i; charon-self
#   (self-signed, SAN dns:charon.test);
#   charon-revoked (P-256, listed in root.crl), charon-expired (P-256,
#   valid 2020-2021); charon-cdp/-cdpgood/-ocsp/-ocsprev (revocation over
#   HTTP, see below);
#   root2 (a second CA) -> ours-p256-b: a second certificate for ours.test
#   (CERTREQ chooses between ours-p256 and it).
#   With MKPKI_RSA4096=1 also a chain of RSA-4096 keys (CERT payloads of
#   ~1.4 KB each, for the fragmentation runs): root4k -> inter4k ->
#   ours-rsa4096, and root4k -> inter4k -> charon-rsa4096.
# Keys are <name>.key (PKCS#1/SEC1 PEM), certificates <name>.pem.
set -eu
dir=$1
cd "$dir"
p() { pki "$@" 2>>pki.log; }
gen() { p --gen --type "$2" ${3:+--size $3} --outform pem > "$1.key"; }
issue() {  # name keytype size ca dn san... (flags via ISSUE_EXTRA)
	name=$1 type=$2 size=$3 ca=$4 dn=$5; shift 5
	gen "$name" "$type" "$size"
	sans=
	for san in "$@"; do sans="$sans --san $san"; done
	# shellcheck disable=SC2086
	p --issue --type priv --in "$name.key" --cacert "$ca.pem" --cakey "$ca.key" \
		--dn "$dn" $sans ${ISSUE_EXTRA:-} --outform pem > "$name.pem"
}

gen root ecdsa 256
p --self --in root.key --type ecdsa --ca --dn "C=CH, O=ikev2d test, CN=Root CA" --outform pem > root.pem
gen root2 ecdsa 256
p --self --in root2.key --type ecdsa --ca --dn "C=CH, O=ikev2d test, CN=Second CA" --outform pem > root2.pem
ISSUE_EXTRA="--ca" issue inter ecdsa 256 root "C=CH, O=ikev2d test, CN=Intermediate CA"

for k in rsa:rsa:2048 p256:ecdsa:256 p384:ecdsa:384 p521:ecdsa:521 ed25519:ed25519:; do
	n=${k%%:*} rest=${k#*:}; t=${rest%%:*} sz=${rest#*:}
	issue "ours-$n" "$t" "$sz" inter "C=CH, O=ikev2d test, CN=ours.test" \
		ours.test email:ike@ours.test 10.77.0.1
	issue "charon-$n" "$t" "$sz" root "C=CH, O=ikev2d test, CN=charon.test" charon.test
done
# charon's certificate through the intermediate (a path of one CA), and a
# self-signed one (charon sends no CERT; we hold it as a trust anchor)
issue charon-p256i ecdsa 256 inter "C=CH, O=ikev2d test, CN=charon.test, OU=via inter" charon.test
gen charon-self ecdsa 256
p --self --in charon-self.key --type ecdsa --dn "C=CH, O=ikev2d test, CN=charon.test, OU=self" \
	--san charon.test --outform pem > charon-self.pem
issue ours-p256-b ecdsa 256 root2 "C=CH, O=ikev2d test, CN=ours.test, OU=second" ours.test
issue charon-revoked ecdsa 256 root "C=CH, O=ikev2d test, CN=charon.test, OU=revoked" charon.test
ISSUE_EXTRA="--not-before 01.01.20_00:00:00 --not-after 01.01.21_00:00:00 --dateform %d.%m.%y_%T" \
	issue charon-expired ecdsa 256 root "C=CH, O=ikev2d test, CN=charon.test, OU=expired" charon.test
# revocation over HTTP (interop-certs-validation): the CRL distribution
# point http://10.77.0.2:8081/root.crl (root.crl, served from charon's
# namespace) in charon-cdp (revoked there) and charon-cdpgood; the OCSP
# responder http://10.77.0.2:8082/ in the authorityInfoAccess of
# charon-ocsp (good) and charon-ocsprev (revoked), in ocsp-index.txt for
# openssl ocsp as the responder, which signs with the root's key
ISSUE_EXTRA="--crl http://10.77.0.2:8081/root.crl" \
	issue charon-cdp ecdsa 256 root "C=CH, O=ikev2d test, CN=charon.test, OU=cdp" charon.test
ISSUE_EXTRA="--crl http://10.77.0.2:8081/root.crl" \
	issue charon-cdpgood ecdsa 256 root "C=CH, O=ikev2d test, CN=charon.test, OU=cdp good" charon.test
ISSUE_EXTRA="--ocsp http://10.77.0.2:8082/" \
	issue charon-ocsp ecdsa 256 root "C=CH, O=ikev2d test, CN=charon.test, OU=ocsp" charon.test
ISSUE_EXTRA="--ocsp http://10.77.0.2:8082/" \
	issue charon-ocsprev ecdsa 256 root "C=CH, O=ikev2d test, CN=charon.test, OU=ocsp revoked" charon.test
p --signcrl --cacert root.pem --cakey root.key --reason key-compromise \
	--cert charon-revoked.pem --cert charon-cdp.pem --outform pem > root.crl
if command -v openssl > /dev/null; then
	idx() {  # status name
		serial=$(openssl x509 -in "$2.pem" -noout -serial | sed 's/^serial=//')
		subject=$(openssl x509 -in "$2.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
		rev=; [ "$1" = R ] && rev=200101000000Z
		printf '%s\t%s\t%s\t%s\tunknown\t%s\n' "$1" 391231235959Z "$rev" "$serial" "$subject"
	}
	{ idx V charon-ocsp; idx R charon-ocsprev; } > ocsp-index.txt
fi
if [ "${MKPKI_RSA4096:-0}" = 1 ]; then
	gen root4k rsa 4096
	p --self --in root4k.key --type rsa --ca --dn "C=CH, O=ikev2d test, CN=Root CA 4096" --outform pem > root4k.pem
	ISSUE_EXTRA="--ca" issue inter4k rsa 4096 root4k "C=CH, O=ikev2d test, CN=Intermediate CA 4096"
	issue ours-rsa4096 rsa 4096 inter4k "C=CH, O=ikev2d test, CN=ours.test" \
		ours.test email:ike@ours.test 10.77.0.1
	issue charon-rsa4096 rsa 4096 inter4k "C=CH, O=ikev2d test, CN=charon.test" charon.test
fi
