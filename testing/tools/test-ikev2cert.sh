#!/bin/sh
# test-ikev2cert.sh - ikev2cert(8) end to end: every subcommand on a
# keystore directory and on a SoftHSM2 token; what it makes is checked by
# other tools (GnuTLS certtool, strongSwan pki, OpenSSL) and bad input must
# fail with a clear message and exit status.
#
# Needs certtool (gnutls-bin), pki (strongswan-pki), openssl and, for the
# token part, softhsm2-util registered with p11-kit (softhsm2); skipped
# (77) when one is missing.
set -u
B="$top_builddir/tools/ikev2cert/ikev2cert"
for t in certtool pki openssl softhsm2-util; do
	command -v $t >/dev/null || { echo "SKIP: needs $t"; exit 77; }
done
[ -x "$B" ] || { echo "SKIP: ikev2cert not built (--disable-gnutls?)"; exit 77; }
grep -qs softhsm2 /usr/share/p11-kit/modules/*.module /etc/pkcs11/modules/*.module ||
	{ echo "SKIP: SoftHSM2 is not registered with p11-kit"; exit 77; }

W=$(mktemp -d "${TMPDIR:-/tmp}/ikev2cert.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# check DESCRIPTION COMMAND...: the command must succeed
check() { d=$1; shift; if "$@" >out 2>err; then ok; else bad "$d"; cat out err; fi; }
# refuse DESCRIPTION STATUS PATTERN COMMAND...: the command must exit with
# STATUS and say PATTERN on stderr
refuse() {
	d=$1 st=$2 pat=$3; shift 3
	"$@" >out 2>err; rc=$?
	if [ $rc -eq "$st" ] && grep -q -- "$pat" err; then ok; else
		bad "$d (exit $rc, wanted $st with '$pat')"; cat out err; fi
}
mode() { stat -c %a "$1"; }
verified() { certtool --verify --load-ca-certificate "$1" --infile "$2" 2>&1 |
	grep -q 'Chain verification output: Verified'; }
pki_ok() { pki --verify --in "$1" --cacert "$2" ${3:+--cacert "$3"} 2>&1 |
	grep -q 'certificate trusted, lifetimes valid'; }

KS="-k $W/ks"
# --- gencert: every key type, self-signed, accepted by certtool and pki
for spec in "rsa 2048" "rsa 3072" "dsa 2048" "ec p-256" "ec secp384r1" \
            "ec secp521r1" "ed25519 -"; do
	set -- $spec
	case $1 in
	ec) args="keytype=ec curve=$2" l=ec-$2 ;;
	ed25519) args="keytype=ed25519" l=ed ;;
	*) args="keytype=$1 keylen=$2" l=$1$2 ;;
	esac
	check "gencert $spec" $B $KS gencert $args subject="C=US, O=Lab, CN=$l.example" \
		label=$l altname=dns=$l.example,ip=192.0.2.1 ca=yes
	[ "$(mode ks/private/$l.pem)" = 600 ] && [ "$(mode ks/private)" = 700 ] &&
		[ "$(mode ks)" = 700 ] && ok || bad "gencert $spec: modes"
	verified ks/certs/$l.pem ks/certs/$l.pem && ok || bad "certtool rejects $spec"
	# strongSwan has no DSA
	[ $1 = dsa ] || { pki_ok ks/certs/$l.pem ks/certs/$l.pem && ok || bad "pki rejects $spec"; }
	certtool -i --infile ks/certs/$l.pem | grep -q "DNSname: $l.example" &&
		ok || bad "$spec: no subjectAltName"
done
certtool -i --infile ks/certs/rsa3072.pem | grep -q '3072 bits' && ok || bad "rsa 3072 size"
certtool -i --infile ks/certs/ec-secp521r1.pem | grep -q 'SECP521R1' && ok || bad "P-521 curve"
check "gencert rsa 4096 to files" $B gencert keytype=rsa keylen=4096 \
	subject="CN=big" outcert=big.pem outkey=big.key lifetime=30-day
[ "$(mode big.key)" = 600 ] && ok || bad "outkey mode"
certtool -i --infile big.pem | grep -q '4096 bits' && ok || bad "rsa 4096 size"

# --- bad gencert input
refuse "weak RSA" 2 "too weak" $B $KS gencert keytype=rsa keylen=1024 subject=CN=x label=x
refuse "RSA > 4096" 2 "2048 to 4096" $B $KS gencert keytype=rsa keylen=8192 subject=CN=x label=x
refuse "DSA 1024" 2 "too weak" $B $KS gencert keytype=dsa keylen=1024 subject=CN=x label=x
refuse "curve" 2 "unsupported curve" $B $KS gencert keytype=ec curve=secp224r1 subject=CN=x label=x
refuse "keytype" 2 "keytype=rsa4" $B $KS gencert keytype=rsa4 subject=CN=x label=x
refuse "unknown keyword" 2 "unknown keyword 'colour'" $B $KS gencert subject=CN=x label=x colour=red
refuse "no subject" 2 "subject= is needed" $B $KS gencert label=x
refuse "bad label" 2 "label '../x'" $B $KS gencert subject=CN=x label=../x
refuse "bad altname" 2 "altname ip=300.1.1.1" $B $KS gencert subject=CN=x label=x altname=ip=300.1.1.1
refuse "label in use" 1 "in use" $B $KS gencert subject=CN=x label=ed keytype=ed25519
refuse "not keyword=value" 2 "not keyword=value" $B $KS gencert rsa
refuse "unknown subcommand" 2 "unknown subcommand" $B frobnicate
[ ! -e ks/private/x.pem ] && ok || bad "a refused gencert left a key"

# --- a small CA: root, intermediate (pathlen 0), end entity from a CSR
check "root CA" $B gencert keytype=ec subject="CN=Lab Root CA" ca=yes \
	outcert=root.pem outkey=root.key lifetime=10-year
check "gencsr int" $B $KS gencsr keytype=rsa subject="CN=Lab Int CA" label=int outcsr=int.csr
certtool --crq-info --infile int.csr 2>&1 | grep -q 'Subject: CN=Lab Int CA' && ok || bad "CSR unreadable"
check "signcsr int" $B signcsr csr=int.csr cacert=root.pem cakey=root.key ca=yes pathlen=0 \
	outcert=int.pem lifetime=5-year
check "gencsr ee" $B $KS gencsr keytype=ec subject="CN=ee.example" altname=dns=ee.example \
	altname=email=ee@example.org,ip=2001:db8::10 label=ee outcsr=ee.csr format=der
check "signcsr ee" $B $KS signcsr csr=ee.csr cacert=int.pem cakey=int outcert=ee.pem eku=ike
cat ee.pem int.pem > chain.pem
verified root.pem chain.pem && ok || bad "certtool rejects the chain"
pki_ok ee.pem root.pem int.pem && ok || bad "pki rejects the chain"
certtool -i --infile ee.pem > ee.txt
for want in "DNSname: ee.example" "RFC822Name: ee@example.org" "IPAddress: 2001:db8::10" \
            "Ipsec IKE" "Certificate Authority (CA): FALSE"; do
	grep -q "$want" ee.txt && ok || bad "ee certificate lacks $want"
done
certtool -i --infile int.pem | grep -q 'Path Length Constraint: 0' && ok || bad "pathlen"
# pathlen=0: a CA below the intermediate breaks the chain
check "gencsr sub" $B gencsr keytype=ec subject="CN=Sub CA" outkey=sub.key outcsr=sub.csr
check "signcsr sub" $B signcsr csr=sub.csr cacert=int.pem cakey=ks/private/int.pem ca=yes \
	outcert=sub.pem
check "gencsr leaf" $B gencsr keytype=ec subject="CN=leaf" outkey=leaf.key outcsr=leaf.csr
check "signcsr leaf" $B signcsr csr=leaf.csr cacert=sub.pem cakey=sub.key outcert=leaf.pem \
	altname=dns=leaf.example
cat leaf.pem sub.pem int.pem > long.pem
verified root.pem long.pem && bad "path length 0 not enforced by certtool" || ok
# bad signcsr input
refuse "CA key mismatch" 1 "is not the key of" $B signcsr csr=ee.csr cacert=int.pem \
	cakey=root.key outcert=x.pem
refuse "non-CA signer" 1 "not a CA certificate" $B signcsr csr=ee.csr cacert=ee.pem \
	cakey=ks/private/ee.pem outcert=x.pem
openssl req -new -newkey rsa:1024 -nodes -keyout weak.key -subj /CN=weak -out weak.csr 2>/dev/null
refuse "weak CSR" 1 "too weak" $B signcsr csr=weak.csr cacert=root.pem cakey=root.key outcert=x.pem
echo garbage > garbage.csr
refuse "garbage CSR" 1 "not a certificate request" $B signcsr csr=garbage.csr cacert=root.pem \
	cakey=root.key outcert=x.pem
# a request whose signature does not verify: flip a byte of the signature
openssl req -in int.csr -outform der -out int.der 2>/dev/null
python3 -c "import sys;d=bytearray(open('int.der','rb').read());d[-5]^=1;open('tampered.der','wb').write(d)"
refuse "tampered CSR" 1 "does not verify" $B signcsr csr=tampered.der cacert=root.pem \
	cakey=root.key outcert=x.pem
refuse "missing file" 1 "cannot open" $B signcsr csr=nonexistent.csr cacert=root.pem \
	cakey=root.key outcert=x.pem
if [ "$(id -u)" = 0 ]; then
	cp root.key unreadable.key; chmod 000 unreadable.key
	# root reads anything: check the unreadable-file path as nobody instead
	refuse "unreadable key" 1 "Permission denied" setpriv --reuid=65534 --regid=65534 \
		--clear-groups $B signcsr csr=ee.csr cacert=root.pem cakey=$W/unreadable.key \
		outcert=/tmp/none.pem
fi
refuse "existing outcert" 1 "exists" $B signcsr csr=ee.csr cacert=int.pem cakey=ks/private/int.pem \
	outcert=ee.pem

# --- import: sorted by kind, checked, normalised
K2="-k $W/ks2"
check "import root" $B $K2 import infile=root.pem
check "import int" $B $K2 import infile=int.pem
check "import ee" $B $K2 import infile=ee.pem
check "import ee key" $B $K2 import infile=ks/private/ee.pem label=ee
[ -f ks2/cacerts/root.pem ] && [ -f ks2/intcerts/int.pem ] && [ -f ks2/certs/ee.pem ] &&
	[ "$(mode ks2/private/ee.pem)" = 600 ] && ok || bad "import placement or mode"
check "import forced anchor" $B $K2 import infile=ks/certs/ed.pem objtype=cacert label=peer
[ -f ks2/cacerts/peer.pem ] && ok || bad "objtype=cacert"
printf 'crl_next_update = 30\ncrl_number = 1\n' > crl.tmpl
certtool --generate-crl --load-ca-privkey root.key --load-ca-certificate root.pem \
	--load-certificate int.pem --template crl.tmpl --outfile root.crl 2>/dev/null
check "import CRL" $B $K2 import infile=root.crl
# a CRL claiming the root's name but signed by another key
check "fake root" $B gencert keytype=ec subject="CN=Lab Root CA" ca=yes outcert=fake.pem \
	outkey=fake.key
certtool --generate-crl --load-ca-privkey fake.key --load-ca-certificate fake.pem \
	--template crl.tmpl --outfile fake.crl 2>/dev/null
refuse "forged CRL" 1 "does not verify" $B $K2 import infile=fake.crl label=fake
openssl pkcs12 -export -inkey ks/private/ee.pem -in ee.pem -certfile int.pem \
	-passout pass:secret -out ee.p12 2>/dev/null
refuse "PKCS#12 wrong password" 1 "wrong password" $B $K2 import infile=ee.p12 label=p12 \
	password=wrong
check "PKCS#12 (password on stdin)" sh -c "echo secret | $B $K2 import infile=ee.p12 label=p12"
[ -f ks2/certs/p12.pem ] && [ -f ks2/private/p12.pem ] && [ -f ks2/intcerts/p12-ca1.pem ] &&
	ok || bad "PKCS#12 contents"
openssl genrsa -out weak.pem 1024 2>/dev/null
refuse "weak key import" 1 "too weak" $B $K2 import infile=weak.pem
openssl ecparam -name secp224r1 -genkey -noout -out p224.pem 2>/dev/null
refuse "P-224 key import" 1 "unsupported curve" $B $K2 import infile=p224.pem
refuse "garbage import" 1 "not a private key" $B $K2 import infile=garbage.csr
refuse "import dir" 1 "not a regular file" $B $K2 import infile=$W
refuse "import objtype" 2 "objtype=bogus" $B $K2 import infile=ee.pem objtype=bogus

# --- export, list, delete
check "export der" sh -c "$B $K2 export label=root format=der outfile=- > root.der"
openssl x509 -inform der -in root.der -noout -subject | grep -q 'Lab Root CA' && ok ||
	bad "exported DER unreadable"
check "export crl" $B $K2 export label=root objtype=crl outfile=out.crl
openssl crl -in out.crl -noout -issuer | grep -q 'Lab Root CA' && ok || bad "exported CRL"
refuse "export key" 2 "not exported" $B $K2 export label=ee objtype=key outfile=k.pem
refuse "export missing" 1 "nothing labelled" $B $K2 export label=none outfile=n.pem
check "list" $B $K2 list
grep -q 'subject   CN=ee.example' out && grep -q 'revoked   1' out &&
	grep -q 'private key ecdsa-p256' out && ok || { bad "list content"; cat out; }
check "list label" $B $K2 list label=int
grep -q 'intcerts/int.pem' out && ! grep -q 'ee.pem' out && ok || bad "list label="
chmod 644 ks2/private/ee.pem
$B $K2 list objtype=key >out 2>&1 && bad "list of a 0644 key exits 0" || ok
grep -q 'MODE 0644' out && ok || bad "list does not flag mode 0644"
check "delete" $B $K2 delete label=p12
[ ! -e ks2/certs/p12.pem ] && [ ! -e ks2/private/p12.pem ] && ok || bad "delete left files"
refuse "delete missing" 1 "nothing labelled" $B $K2 delete label=p12

# --- ownership: the keystore's owner when there is no ikeuser
if [ "$(id -u)" = 0 ] && ! getent passwd ikeuser >/dev/null; then
	mkdir ks3 && chown 4242:4243 ks3
	check "gencert in a foreign keystore" $B -k $W/ks3 gencert keytype=ec subject=CN=o label=o
	[ "$(stat -c %u:%g ks3/private/o.pem)" = 4242:4243 ] &&
		[ "$(stat -c %u:%g ks3/private)" = 4242:4243 ] && ok || bad "owner not the keystore's"
fi

# --- the configuration: daemon.keystore (relative to the file), errors
mkdir conf
printf 'daemon = {\n  keystore = "store";\n};\n' > conf/ikev2.config
check "keystore from config" $B -f conf/ikev2.config gencert keytype=ec subject=CN=c label=c
[ -f conf/store/certs/c.pem ] && ok || bad "daemon.keystore not used"
printf 'daemon = {\n  keystore = "store"\n  bad\n};\n' > conf/broken.config
refuse "broken config" 1 "broken.config:[0-9]*: syntax error" $B -f conf/broken.config list
refuse "missing -f" 1 "cannot read" $B -f conf/none.config list
printf 'daemon = {\n  keystore = "ustore";\n  user = "no-such-user-x";\n};\n' > conf/user.config
refuse "unknown daemon.user" 1 "daemon.user 'no-such-user-x' does not exist" \
	$B -f conf/user.config gencert keytype=ec subject=CN=u label=u
if [ "$(id -u)" = 0 ]; then
	printf 'daemon = {\n  keystore = "ustore";\n  user = "nobody";\n};\n' > conf/user.config
	check "daemon.user owns the files" $B -f conf/user.config gencert keytype=ec subject=CN=u label=u
	[ "$(stat -c %U conf/ustore/private/u.pem)" = nobody ] &&
		[ "$(stat -c %U conf/ustore)" = nobody ] && ok || bad "daemon.user not the owner"
fi

# --- a SoftHSM2 token
mkdir hsm
printf 'directories.tokendir = %s/hsm\nobjectstore.backend = file\nlog.level = ERROR\n' "$W" > hsm.conf
export SOFTHSM2_CONF="$W/hsm.conf"
softhsm2-util --init-token --free --label ikev2cert --pin 1234 --so-pin 5678 >/dev/null ||
	{ echo "SKIP: softhsm2-util cannot make a token"; exit 77; }
T="pkcs11:token=ikev2cert"
check "tokens" $B tokens
grep -q 'label         ikev2cert' out && ok || bad "tokens does not list the token"
refuse "wrong PIN" 1 "wrong PIN" sh -c "echo 9999 | $B -T $T list"
refuse "setpin wrong old" 1 "wrong PIN" sh -c "printf '9999\n4321\n' | $B -T $T setpin"
refuse "setpin spaces" 2 "spaces" $B -T $T setpin oldpin=1234 newpin="12 34"
check "setpin" sh -c "printf '1234\n4321\n' | $B -T $T setpin"
refuse "old PIN gone" 1 "wrong PIN" sh -c "echo 1234 | $B -T $T list"
check "gencert on token" sh -c "echo 4321 | $B -T $T gencert keytype=ec curve=p-384 \
	subject=CN=tok.example label=tok altname=dns=tok.example"
check "export from token" sh -c "echo 4321 | $B -T $T export label=tok outfile=$W/tok.pem"
pki_ok tok.pem tok.pem && ok || bad "token self-signed certificate rejected"
check "rsa gencsr on token" sh -c "echo 4321 | $B -T $T gencsr keytype=rsa subject=CN=tokrsa \
	label=tokrsa outcsr=$W/tokrsa.csr"
check "token key signs a request" $B signcsr csr=tokrsa.csr cacert=root.pem cakey=root.key \
	outcert=tokrsa.pem
verified root.pem tokrsa.pem && ok || bad "certificate for the token key"
check "import to token" sh -c "echo 4321 | $B -T $T import infile=$W/tokrsa.pem label=tokrsa"
check "import key to token" sh -c "echo 4321 | $B -T $T import infile=$W/ks/private/ee.pem label=eekey"
# a CA whose key is on the token signs a request
check "token CA" sh -c "echo 4321 | $B -T $T gencert keytype=ec subject='CN=Token CA' label=tca ca=yes"
echo 4321 | $B -T $T export label=tca outfile=tca.pem >/dev/null 2>&1
check "signcsr with a token key" sh -c "echo 4321 | $B signcsr csr=$W/leaf.csr cacert=$W/tca.pem \
	cakey='$T;object=tca;type=private' outcert=$W/tleaf.pem"
verified tca.pem tleaf.pem && ok || bad "chain from the token CA"
check "list token" sh -c "echo 4321 | $B -T $T list"
grep -q "Private key 'tok'" out && grep -q "X.509 Certificate 'tokrsa'" out &&
	grep -q "Private key 'eekey'" out && ok || { bad "token list"; cat out; }
refuse "label taken on token" 1 "already holds" sh -c "echo 4321 | $B -T $T gencert \
	keytype=ec subject=CN=x label=tok"
refuse "CRL to token" 2 "not a token" sh -c "echo 4321 | $B -T $T import infile=$W/root.crl"
check "delete on token" sh -c "echo 4321 | $B -T $T delete label=tok"
echo 4321 | $B -T $T list > out 2>&1
grep -q "'tok'" out && bad "token delete left objects" || ok
refuse "no such token" 1 "no such token" sh -c "echo 4321 | $B -T pkcs11:token=nothere list"
# the configuration's token and PIN: keystore=pkcs11
printf 'daemon = {\n  pkcs11_token = { uri = "%s"; pin = "4321"; };\n};\n' "$T" > conf/tok.config
check "config token" $B -f conf/tok.config list keystore=pkcs11 label=tokrsa </dev/null
grep -q "tokrsa" out && ok || bad "keystore=pkcs11 did not use the configured token"
refuse "keystore=pkcs11 without token" 2 "sets no daemon.pkcs11_token" \
	$B -f conf/ikev2.config list keystore=pkcs11

echo "ikev2cert: $pass passed, $fail failed"
[ $fail -eq 0 ]
