#!/bin/bash
# ikeadm-token.sh - `ikeadm token login|logout` against charon: our
# certificate and its private key live on a SoftHSM2 token that the
# daemon opens without a PIN (daemon.pkcs11_token = { uri = ...; }), so it
# cannot sign and charon never sees our AUTH; after `ikeadm token login`
# (the PIN typed on ikeadm's terminal: a pty made by script(1)) the same
# rule authenticates to charon with ECDSA; after `token logout` it cannot
# again.  The daemon runs as daemon.user = nobody with the seccomp filter.
# Also: a wrong PIN keeps the token locked, a PIN never goes on the command
# line nor to the terminal's echo nor the log, no terminal means no login,
# another token is not found, a group member may not log in.
#
# Exit 0 pass, 77 skip, 1 fail; as root.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/charon.sh"
. "$(dirname "$0")/checks.sh"

need_root
need_charon
require_cap ike
IKEADM=${IKEADM:-$top_builddir/tools/ikeadm/ikeadm}
IKEV2CERT=${IKEV2CERT:-$top_builddir/tools/ikev2cert/ikev2cert}
[ -x "$IKEADM" ] || skip "ikeadm not built at $IKEADM"
[ -x "$IKEV2CERT" ] || skip "ikev2cert not built at $IKEV2CERT"
for t in pki softhsm2-util script setsid setpriv; do
	command -v $t > /dev/null || skip "$t is not installed"
done
grep -qs softhsm2 /usr/share/p11-kit/modules/*.module /etc/pkcs11/modules/*.module ||
	skip "softhsm2 is not registered with p11-kit"
[ -f "$top_builddir/plugins/pubkey/.libs/pubkey.so" ] || skip "the pubkey plugin is not built"
id nobody > /dev/null 2>&1 || skip "no user nobody"

mkwork ikeadm-token
O=$WORK/ours C=$WORK/charon PKI=$WORK/pki
NO=net-it-a$$ NC=net-it-c$$
PIN=k7Qz93xPw
SOCK=$WORK/ctl.sock
mkdir -p "$PKI" "$O"
"$(dirname "$0")/mkpki.sh" "$PKI" || { cat "$PKI/pki.log"; fail "mkpki.sh failed"; finish; }

# The token: our certificate and key (CKA_ID from the key), nothing else.
export SOFTHSM2_CONF=$WORK/hsm.conf
mkdir -p "$WORK/hsm"
printf 'directories.tokendir = %s/hsm\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK" > "$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label ikeadm --pin $PIN --so-pin 5678 > /dev/null ||
	skip "softhsm2-util cannot make a token"
TOKEN=pkcs11:token=ikeadm
echo $PIN | "$IKEV2CERT" -T $TOKEN import infile="$PKI/ours-p256.pem" label=ours > "$WORK/import.log" 2>&1 &&
echo $PIN | "$IKEV2CERT" -T $TOKEN import infile="$PKI/ours-p256.key" label=ours >> "$WORK/import.log" 2>&1 ||
	{ cat "$WORK/import.log"; fail "ikev2cert import to the token"; finish; }

# The keystore on disk has only the trust anchor and the intermediate.
ks=$O/keystore
mkdir -p "$ks"/certs "$ks"/private "$ks"/cacerts "$ks"/intcerts "$ks"/crls
cp "$PKI/root.pem" "$ks/cacerts/"; cp "$PKI/inter.pem" "$ks/intcerts/"
chmod 700 "$ks" "$ks/private"

ns_add $NO; ns_add $NC
link_ns $NO net-it-va 10.77.0.1/24 $NC net-it-vc 10.77.0.2/24
ip -n $NO addr add 10.77.1.1/32 dev lo
ip -n $NC addr add 10.77.2.1/32 dev lo
OURS_IP=10.77.0.1 CHARON_IP=10.77.0.2

write_config "$O" label=to_charon local=$OURS_IP remote=$CHARON_IP \
	local_id=fqdn:ours.test remote_id=fqdn:charon.test \
	local_ts=10.77.1.0/24 remote_ts=10.77.2.0/24 \
	"extra_daemon=user = \"nobody\"; keystore = \"$ks\"; pkcs11_token = { uri = \"$TOKEN\"; };"
sed -i -e 's|auth_method = "preshared";|auth_method = "ecdsa_sig";|' \
	-e "s|load = \[ \"nettle\", \"psk\", \"kernel-null\" \];|load = [ \"nettle\", \"gnutls\", \"psk\", \"pubkey\", \"kernel-null\", \"control\" ];\n\tcontrol = { socket = \"$SOCK\"; group = \"nogroup\"; };|" \
	"$O/ikev2.config"
grep -q '"control"' "$O/ikev2.config" || { fail "could not add the control plugin"; finish; }
# nobody owns the daemon's files and the token's; group root may write
# them too (the start-up runs as root without CAP_DAC_OVERRIDE)
chmod 711 "$WORK"
chown -R nobody:root "$O" "$WORK/hsm"
chmod -R g+rwX "$WORK/hsm"
chmod 770 "$O"
chmod 644 "$SOFTHSM2_CONF"

# charon with its own certificate, trusting our root
creds=$WORK/charon-creds
mkdir -p "$creds"/x509 "$creds"/x509ca "$creds"/private
cp "$PKI/charon-p256.pem" "$creds/x509/"; cp "$PKI/charon-p256.key" "$creds/private/"
cp "$PKI/root.pem" "$creds/x509ca/"
charon_start "$C" $NC local=$CHARON_IP remote=$OURS_IP \
	local_id=charon.test remote_id=ours.test psk=unused-but-required \
	local_ts=10.77.2.0/24 remote_ts=10.77.1.0/24 esp=aes128gcm16 \
	creds="$creds" local_auth=pubkey remote_auth=pubkey local_cert=charon-p256.pem || finish
start_daemon $NO "$O" || finish
wait_for 10 test -S "$SOCK" || { fail "no control socket"; finish; }
grep -q "running as nobody" "$O/daemon.log" || fail "the daemon did not switch to nobody"

adm() { "$IKEADM" -s "$SOCK" "$@"; }
# login PIN...: ikeadm token login with PIN typed on its terminal (a pty)
# (typed after the prompt: what arrives before ikeadm turned echo off is
# echoed by the pty as on any terminal)
login() {
	local obj=${2:-$TOKEN}
	{ sleep 2; printf '%s\n' "$1"; } |
		script -qec "$IKEADM -s $SOCK token login $obj" /dev/null > "$WORK/login.out" 2>&1
}
# attempt WHAT: initiate; true when charon established the IKE SA
attempt() {
	adm flush ikesa > /dev/null 2>&1
	charon_ctl "$C" --terminate --ike peer > /dev/null 2>&1
	wait_for 10 sh -c "! swanctl --list-sas --uri unix://$C/charon.vici 2>/dev/null | grep -q '^peer: #'"
	local n
	n=$(grep -c "IKE SA failed" "$O/daemon.log")
	adm initiate to_charon > /dev/null || { fail "$1: ikeadm initiate"; return 1; }
	# up at charon, or given up by us
	wait_for 15 sh -c "swanctl --list-sas --uri unix://$C/charon.vici 2>/dev/null | grep -q '^peer: #[0-9]*, ESTABLISHED' ||
		[ \$(grep -c 'IKE SA failed' '$O/daemon.log') -gt $n ]"
	sleep 0.5
	charon_ike_established "$C"
}

# ----------------------------------------------------- locked at start
n0=$(grep -c "cannot sign now (token locked" "$O/daemon.log")
attempt "locked" && fail "locked token: charon established an IKE SA"
wait_for 10 sh -c "[ \$(grep -c 'cannot sign now (token locked' '$O/daemon.log') -gt $n0 ]" ||
	{ tail -20 "$O/daemon.log"; fail "locked token: the daemon did not refuse to sign"; }
charon_ike_established "$C" && fail "locked token: charon has an IKE SA"
log "token locked: no AUTH, no SA with charon"

# ----------------------------------------------------- refusals
"$IKEADM" -s "$SOCK" token login $TOKEN $PIN > /dev/null 2>&1; [ $? = 2 ] || fail "a PIN on the command line was accepted"
printf '%s\n' $PIN | setsid "$IKEADM" -s "$SOCK" token login $TOKEN > "$WORK/notty" 2>&1 < /dev/null; st=$?
[ $st = 2 ] && grep -q "terminal" "$WORK/notty" || { cat "$WORK/notty"; fail "token login without a terminal: exit $st"; }
login 0000; [ $? = 1 ] || { cat "$WORK/login.out"; fail "a wrong PIN was not refused"; }
attempt "wrong PIN" && fail "after a wrong PIN: charon established an IKE SA"
login $PIN pkcs11:token=other; [ $? = 3 ] || { cat "$WORK/login.out"; fail "an unknown token: not exit 3"; }
setpriv --reuid=nobody --regid=nogroup --clear-groups "$IKEADM" -s "$SOCK" token logout $TOKEN > /dev/null 2>&1
[ $? = 4 ] || fail "a group member could log out of the token"
log "refusals: PIN in argv, no terminal, wrong PIN, unknown token, not root"

# ----------------------------------------------------- login
login $PIN || { cat "$WORK/login.out"; fail "token login"; finish; }
grep -q "unlocked" "$WORK/login.out" || fail "token login: $(cat "$WORK/login.out")"
grep -q "$PIN" "$WORK/login.out" && fail "the PIN was echoed on the terminal"
attempt "unlocked" || { tail -20 "$O/daemon.log"; charon_sas "$C"; fail "after token login: no IKE SA with charon"; }
check_child "after token login" || true
grep -q "authentication of 'ours.test' with ECDSA.* successful" "$C/charon.log" ||
	fail "charon did not verify our ECDSA AUTH"
log "token login: the token's key signs, charon verified ours.test"
# a reload keeps the login
adm read rule > /dev/null || fail "read rule after login"
attempt "unlocked, reloaded" || fail "after a reload the token is locked again"

# ----------------------------------------------------- logout
adm token logout $TOKEN > "$WORK/out" || { cat "$WORK/out"; fail "token logout"; }
n1=$(grep -c "cannot sign now (token locked" "$O/daemon.log")
attempt "logged out" && fail "after token logout: charon established an IKE SA"
wait_for 10 sh -c "[ \$(grep -c 'cannot sign now (token locked' '$O/daemon.log') -gt $n1 ]" ||
	fail "after token logout the daemon did not refuse to sign"
log "token logout: locked again, no SA"

grep -q "$PIN" "$O/daemon.log" && fail "the PIN is in the daemon's log"
daemon_alive "$O" || fail "in.ikev2d died"
stop_daemon "$O" || fail "in.ikev2d did not stop"
finish
