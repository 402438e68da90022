#!/bin/sh
# mkkeystore.sh [KEYSTORE [LAB]] - make, with ikev2cert(8), the keystore
# the certificate example (ikev2.config here) needs, with a small lab CA:
#   LAB/root.pem, root.key     "Example Root CA" (kept out of the keystore)
#   LAB/branch-ca.pem, .key    "Branch CA", an intermediate under the root
#                              that issues the branch gateways' certificates
#                              (the example's required_signer)
#   KEYSTORE/cacerts/root.pem, intcerts/branch-ca.pem
#   KEYSTORE/certs/gw.pem + private/gw.pem: our certificate for
#                              gw.example.com, issued by the root
# KEYSTORE defaults to ./keystore (the daemon's default next to
# ikev2.config), LAB to ./lab-ca.  IKEV2CERT names the tool (default: the
# one on PATH).  A branch gateway's certificate is then made with:
#   ikev2cert gencsr keytype=ec subject="C=US, O=Example Corp, CN=b1.branch.example.com" \
#       altname=dns=b1.branch.example.com label=b1 outcsr=b1.csr    (on the branch)
#   ikev2cert signcsr csr=b1.csr cacert=LAB/branch-ca.pem cakey=LAB/branch-ca.key outcert=b1.pem
set -eu
ks=${1:-keystore}
lab=${2:-lab-ca}
c() { "${IKEV2CERT:-ikev2cert}" -k "$ks" "$@"; }
mkdir -p "$lab"
chmod 700 "$lab"
c setpin
c gencert keytype=ec curve=secp384r1 subject="C=US, O=Example Corp, CN=Example Root CA" \
	ca=yes lifetime=10-year outcert="$lab/root.pem" outkey="$lab/root.key"
c import infile="$lab/root.pem" label=root
c gencsr keytype=ec subject="C=US, O=Example Corp, CN=Branch CA" label=branch-ca \
	outcsr="$lab/branch-ca.csr" outkey="$lab/branch-ca.key"
c signcsr csr="$lab/branch-ca.csr" cacert="$lab/root.pem" cakey="$lab/root.key" \
	ca=yes pathlen=0 lifetime=5-year outcert="$lab/branch-ca.pem"
c import infile="$lab/branch-ca.pem" label=branch-ca
c gencsr keytype=ec subject="C=US, O=Example Corp, CN=gw.example.com" \
	altname=dns=gw.example.com label=gw outcsr="$lab/gw.csr"
c signcsr csr="$lab/gw.csr" cacert="$lab/root.pem" cakey="$lab/root.key" outcert="$lab/gw.pem"
c import infile="$lab/gw.pem" label=gw
