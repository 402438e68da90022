#!/bin/sh
# mkcreds.sh DIR - generate, with certtool (gnutls-bin), the keys,
# certificates and CRLs the gnutls plugin tests use, into DIR.
#
# Keys: <type>.pem (PEM, the tool's native form), <type>.der (DER),
# <type>.p8.pem (PKCS#8), <type>.pub.pem / .pub.der (SubjectPublicKeyInfo)
# for rsa dsa p256 p384 p521 ed25519 ed448; rsapss.pem / .pub.pem (an
# id-RSASSA-PSS key).
# X.509: root -> inter -> leaf (the good chain, ECDSA P-256), and for each
# failure one certificate: leaf-expired, leaf-future, leaf-other (signed by
# another root), root-pl0 -> inter-pl0 -> leaf-pl0 (pathLenConstraint 0
# violated), leaf-eku-unknown, leaf-eku-codesign, leaf-eku-ike,
# leaf-revoked (listed in inter.crl), leaf-notca (issued by a non-CA),
# leaf-rsa (RSA key, from inter); leaf-p384, leaf-p521, leaf-ed25519,
# leaf-dsa (named <type>.example.org, keys <type>.pem, from inter);
# self (a self-signed end entity, self.example.org); root.crl (empty, from root); DER copies
# leaf.der, inter.crl.der.
set -eu
dir=$1
cd "$dir"
ct() { certtool "$@" >/dev/null 2>>certtool.log; }

key() {  # name certtool-args...
	name=$1; shift
	ct --generate-privkey "$@" --no-text --outfile "$name.pem"
	ct --load-privkey "$name.pem" --key-info --outder --outfile "$name.der"
	ct --load-privkey "$name.pem" --to-p8 --null-password --no-text --outfile "$name.p8.pem"
	ct --load-privkey "$name.pem" --pubkey-info --no-text --outfile "$name.pub.pem"
	ct --load-pubkey "$name.pub.pem" --pubkey-info --outder --outfile "$name.pub.der"
}
key rsa --key-type rsa --bits 2048
key dsa --key-type dsa --bits 1024
key p256 --key-type ecdsa --curve secp256r1
key p384 --key-type ecdsa --curve secp384r1
key p521 --key-type ecdsa --curve secp521r1
key ed25519 --key-type ed25519
key ed448 --key-type ed448
# An id-RSASSA-PSS key: PSS only.
ct --generate-privkey --key-type rsa-pss --bits 2048 --no-text --outfile rsapss.pem
ct --load-privkey rsapss.pem --pubkey-info --no-text --outfile rsapss.pub.pem

ca_tmpl() {  # file cn [path_len]
	{
		echo "cn = \"$2\""
		echo "organization = \"ikev2d test\""
		echo "ca"
		echo "cert_signing_key"
		echo "crl_signing_key"
		echo "expiration_days = 3650"
		if [ $# -ge 3 ]; then echo "path_len = $3"; fi
	} > "$1"
}
leaf_tmpl() {  # file cn [extra template lines...]
	f=$1; cn=$2; shift 2
	{
		echo "cn = \"$cn\""
		echo "organization = \"ikev2d test\""
		echo "dns_name = \"$cn\""
		echo "email = \"ike@$cn\""
		echo "ip_address = \"10.1.0.1\""
		echo "ip_address = \"fd00::1\""
		echo "signing_key"
		for l in "$@"; do echo "$l"; done
	} > "$f"
}
selfsign() {  # name tmpl
	ct --generate-privkey --key-type ecdsa --curve secp256r1 --no-text --outfile "$1.key"
	ct --generate-self-signed --load-privkey "$1.key" --template "$2" --no-text --outfile "$1.pem"
}
issue() {  # name tmpl ca [key]
	if [ $# -ge 4 ]; then cp "$4" "$1.key"; else
		ct --generate-privkey --key-type ecdsa --curve secp256r1 --no-text --outfile "$1.key"; fi
	ct --generate-certificate --load-privkey "$1.key" --load-ca-certificate "$3.pem" \
		--load-ca-privkey "$3.key" --template "$2" --no-text --outfile "$1.pem"
}

ca_tmpl t-root.tmpl "ikev2d test root"
ca_tmpl t-inter.tmpl "ikev2d test intermediate"
selfsign root t-root.tmpl
issue inter t-inter.tmpl root

leaf_tmpl t-leaf.tmpl moon.example.org "expiration_days = 365" \
	"key_purpose_oid = 1.3.6.1.5.5.7.3.17"
issue leaf t-leaf.tmpl inter
ct --certificate-info --load-certificate leaf.pem --outder --outfile leaf.der
issue leaf-rsa t-leaf.tmpl inter rsa.pem
# One leaf per other key type, each with its own name (test_pubkey).
for t in p384 p521 ed25519 dsa; do
	leaf_tmpl t-$t.tmpl $t.example.org "expiration_days = 365"
	issue leaf-$t t-$t.tmpl inter $t.pem
done

leaf_tmpl t-expired.tmpl expired.example.org \
	"activation_date = \"2019-01-01 00:00:00\"" "expiration_date = \"2020-01-01 00:00:00\""
issue leaf-expired t-expired.tmpl inter
leaf_tmpl t-future.tmpl future.example.org \
	"activation_date = \"2090-01-01 00:00:00\"" "expiration_date = \"2091-01-01 00:00:00\""
issue leaf-future t-future.tmpl inter

# A self-signed end entity (a peer that sends no CERT, known to us as a
# trust anchor).
leaf_tmpl t-self.tmpl self.example.org "expiration_days = 365"
selfsign self t-self.tmpl

ca_tmpl t-other.tmpl "ikev2d other root"
selfsign other t-other.tmpl
issue leaf-other t-leaf.tmpl other

ca_tmpl t-root-pl0.tmpl "ikev2d pathlen-0 root" 0
ca_tmpl t-inter-pl0.tmpl "ikev2d pathlen-0 intermediate"
selfsign root-pl0 t-root-pl0.tmpl
issue inter-pl0 t-inter-pl0.tmpl root-pl0
issue leaf-pl0 t-leaf.tmpl inter-pl0

leaf_tmpl t-eku-unknown.tmpl eku-unknown.example.org "expiration_days = 365" \
	"key_purpose_oid = 1.3.6.1.4.1.99999.1"
issue leaf-eku-unknown t-eku-unknown.tmpl inter
leaf_tmpl t-eku-code.tmpl eku-code.example.org "expiration_days = 365" "code_signing_key"
issue leaf-eku-codesign t-eku-code.tmpl inter
leaf_tmpl t-eku-ike.tmpl eku-ike.example.org "expiration_days = 365" \
	"key_purpose_oid = 1.3.6.1.4.1.99999.1" "key_purpose_oid = 1.3.6.1.5.5.7.3.17"
issue leaf-eku-ike t-eku-ike.tmpl inter

leaf_tmpl t-revoked.tmpl revoked.example.org "expiration_days = 365"
issue leaf-revoked t-revoked.tmpl inter
printf 'crl_next_update = 30\ncrl_number = 1\n' > t-crl.tmpl
ct --generate-crl --load-ca-privkey inter.key --load-ca-certificate inter.pem \
	--load-certificate leaf-revoked.pem --template t-crl.tmpl --no-text --outfile inter.crl
ct --crl-info --infile inter.crl --outder --outfile inter.crl.der
ct --generate-crl --load-ca-privkey root.key --load-ca-certificate root.pem \
	--template t-crl.tmpl --no-text --outfile root.crl

leaf_tmpl t-notca.tmpl notca.example.org "expiration_days = 365"
issue leaf-notca t-notca.tmpl leaf
exit 0
