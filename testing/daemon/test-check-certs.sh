#!/bin/sh
# in.ikev2d -c on certificate rules: a rule whose AUTH method no loaded
# plugin provides, whose certificate or private key is missing from the
# keystore, or whose key type cannot make the method is refused with
# file:line; rules whose keystore fits pass.  The keystores are made with
# ikev2cert, as an administrator would.
. "${top_srcdir:?}/testing/daemon/common.sh"
need_plugins nettle gnutls psk pubkey kernel-null

CERT="$top_builddir/tools/ikev2cert/ikev2cert"
[ -x "$CERT" ] || { echo "SKIP: ikev2cert is not built"; exit 77; }

# A keystore with an RSA, an EC P-256 and an Ed25519 certificate (each with
# its key) and one certificate whose key was deleted.
ks=$tmp/ks
"$CERT" -k "$ks" setpin >"$tmp/ks.log" 2>&1 || fail "ikev2cert setpin"
"$CERT" -k "$ks" gencert keytype=rsa keylen=2048 label=rsa subject="CN=rsa.example" \
	altname=dns=rsa.example >>"$tmp/ks.log" 2>&1 || fail "gencert rsa"
"$CERT" -k "$ks" gencert keytype=ec curve=secp256r1 label=ec subject="CN=ec.example" \
	altname=dns=ec.example >>"$tmp/ks.log" 2>&1 || fail "gencert ec"
"$CERT" -k "$ks" gencert keytype=ed25519 label=ed subject="CN=ed.example" \
	altname=dns=ed.example >>"$tmp/ks.log" 2>&1 || fail "gencert ed25519"
"$CERT" -k "$ks" gencert keytype=ec label=nokey subject="CN=nokey.example" \
	altname=dns=nokey.example >>"$tmp/ks.log" 2>&1 || fail "gencert nokey"
rm -f "$ks/private/nokey.pem"
[ -f "$ks/private/nokey.pem" ] && fail "could not remove nokey's key"

# cfg NAME PLUGINS RULES...: a configuration on that keystore; each rule
# argument is "label method local-fqdn" (method may be local/remote).
cfg() {
	name=$1 plugins=$2
	shift 2
	{
		echo "daemon = { debug_level = \"op\"; keystore = \"$ks\"; preshared_file = \"$tmp/psk\"; };"
		echo "plugins = { load = [ $plugins ]; };"
		echo "rules = ("
		sep=
		for r in "$@"; do
			set -- $r
			printf '%s\t{\n' "$sep"
			echo "		label = \"$1\";"
			case $2 in
			*/*) echo "		local_auth_method = \"${2%/*}\"; remote_auth_method = \"${2#*/}\";" ;;
			*)   echo "		auth_method = \"$2\";" ;;
			esac
			echo "		remote_addr = \"192.0.2.0/24\";"
			[ "$3" = - ] || echo "		local_id = { type = \"fqdn\"; value = \"$3\"; };"
			echo "		remote_id = { type = \"fqdn\"; value = \"*.example\"; };"
			echo "		childsa = ( { local_ts = \"10.1.0.0/16\"; } );"
			printf '\t}'
			sep=,
		done
		echo ");"
	} >"$tmp/$name.config"
}
printf 'keys = ( { label = [ "mixed", "mixed2", "m" ]; key = "0x3132333435363738393031323334353637383930"; } );\n' >"$tmp/psk"
chmod 600 "$tmp/psk"
all='"nettle", "gnutls", "psk", "pubkey", "kernel-null"'

# check NAME EXIT [message...]: -c exits EXIT, printing each message.
check() {
	name=$1 want=$2
	shift 2
	"$DAEMON" -c -f "$tmp/$name.config" >"$tmp/$name.log" 2>&1; rc=$?
	[ $rc -eq "$want" ] || fail "$name: -c exit $rc, expected $want"
	for m in "$@"; do
		grep -qF -- "$m" "$tmp/$name.log" || fail "$name: missing message: $m"
	done
}

# Every key type with a method that fits it, and mixed auth whose own side
# is a PSK (no certificate of ours is needed then).
cfg good "$all" "r rsa_sig rsa.example" "p rsa_pss_sig rsa.example" \
	"e ecdsa_sig ec.example" "e2 digital_sig ec.example" \
	"d digital_sig ed.example" "mixed preshared/rsa_sig -" \
	"mixed2 ecdsa_sig/preshared ec.example"
check good 0 "configuration OK"

# The pubkey plugin not loaded: no authenticator for the signature methods.
cfg noplugin '"nettle", "gnutls", "psk", "kernel-null"' "r rsa_sig rsa.example" \
	"m preshared/ecdsa_sig -"
check noplugin 1 \
	"noplugin.config:4: rule 'r': no loaded plugin provides AUTH method 1" \
	"noplugin.config:11: rule 'm': no loaded plugin provides AUTH method 9" \
	"2 problems found"

# Missing certificate (no certificate carries the ID), a certificate
# without its private key, no local_id at all.
cfg missing "$all" "a rsa_sig nobody.example" "b ecdsa_sig nokey.example" \
	"c rsa_sig -"
check missing 1 \
	"missing.config:4: rule 'a': no certificate with its private key in keystore $ks carries local_id \"nobody.example\"" \
	"missing.config:11: rule 'b': no certificate with its private key in keystore $ks carries local_id \"nokey.example\"" \
	"missing.config:18: rule 'c': a certificate method needs local_id" \
	"3 problems found"

# Key types that cannot make the method.
cfg keytype "$all" "a ecdsa_sig rsa.example" "b rsa_sig ec.example" \
	"c rsa_pss_sig ec.example" "d rsa_sig ed.example" "e dss_sig rsa.example"
check keytype 1 \
	"keytype.config:4: rule 'a': the rsa key of $ks/certs/rsa.pem cannot authenticate with AUTH method 9 (ECDSA methods need P-256, P-384 or P-521)" \
	"keytype.config:11: rule 'b': the ecdsa-p256 key of $ks/certs/ec.pem cannot authenticate with AUTH method 1" \
	"keytype.config:18: rule 'c': rsa_pss_sig needs an RSA key, not the ecdsa-p256 key of $ks/certs/ec.pem" \
	"keytype.config:25: rule 'd': the ed25519 key of $ks/certs/ed.pem cannot authenticate with AUTH method 1" \
	"keytype.config:32: rule 'e': the rsa key of $ks/certs/rsa.pem cannot authenticate with AUTH method 3" \
	"5 problems found"

echo "PASS"
