#!/bin/sh
# interop-certs-token-privsep: the token scenario of interop/certs.sh with
# daemon.privsep = true: the PKCS#11 session and the signatures are the keys
# process's, the engine gets the certificates and proxy signers
# (HACKING.md, "The keys process").
IKEV2D_TEST_PRIVSEP=true exec "$(dirname "$0")/../interop/certs.sh" token
