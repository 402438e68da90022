#!/bin/bash
# certs.sh SCENARIO - certificate authentication, in.ikev2d against
# Debian's strongSwan charon (each in its own namespace, as interop.sh),
# with certificates made at run time by strongSwan's pki (mkpki.sh): our
# end entities are issued by an intermediate CA (so every run sends a
# chain: our CERT payloads carry the leaf and the intermediate, charon
# trusts only the root), charon's directly by the root.
#
#   algs     RSA-2048 (methods 1 / 14 PKCS#1), RSA-PSS (14, rsa_pss_sig and
#            charon's rsa_pss), ECDSA P-256 and P-384, Ed25519: each with
#            ikev2d initiating and responding; both sides check the
#            other's chain and signature
#   policy   CERTREQ: our keystore holds two certificates for ours.test
#            from different CAs, charon trusts one of them, and we must
#            send that one (both CAs, one run each); refusals with
#            AUTHENTICATION_FAILED and no SA: a certificate revoked by a
#            CRL in crls/, an expired one, a peer ID the certificate does
#            not carry; a required_signer the chain does not lead to; and
#            mixed authentication (we sign, charon uses PSK; then the
#            reverse)
#   classic  charon with signature_authentication = no (no RFC 7427: it
#            sends no SIGNATURE_HASH_ALGORITHMS and uses classic methods):
#            RSA-2048 (method 1 both ways), ECDSA P-256, P-384, P-521
#            (methods 9, 10, 11 both ways), ikev2d initiating and
#            responding
#   validation  the configured validation group applied in the exchange:
#            the expired certificate "policy" refuses accepted with
#            ignore_date; charon's chain through the intermediate refused
#            with max_cert_path_length = 0 and accepted with 1; a peer
#            that sends no CERT (charon send_cert = never) whose
#            self-signed certificate is one of our trust anchors;
#            revocation over HTTP (curl plugin, seccomp on): a CRL from
#            the certificate's distribution point revokes it; OCSP from
#            its authorityInfoAccess responder says revoked (refused) and
#            good (up); a responder that never answers, the daemon with
#            min_threads = max_threads = 1: refused after the 3 s timeout,
#            while a PSK IKE SA and a certificate IKE SA whose OCSP answer
#            is cached (charon's second and third addresses) complete on
#            the same daemon, and ikeadm get stats shows the IKE_AUTH
#            waiting with no worker blocked; then fail open after
#            SIGHUP
#   token    our private key and certificate on a SoftHSM2 token, no PIN in
#            the configuration: the daemon starts locked, its initiation
#            fails with a clear error and no SA, the daemon keeps running;
#            the PIN added and SIGHUP: the token is logged in and charon's
#            initiation succeeds, signed on the token (under privsep, by
#            the keys process: interop-certs-token-privsep)
#   dss      AUTH method 3 (DSS): charon has no DSA, so between two
#            in.ikev2d (the second one in charon's namespace, as
#            charon.test), with DSA-2048 certificates made by ikev2cert,
#            each self-signed and imported as a trust anchor by the other;
#            rules dss_sig; ours initiating, then the other
#   frag     RFC 7383 fragmentation with an RSA-4096 chain through an
#            intermediate (leaf + intermediate CERT payloads, ~3 KB of
#            IKE_AUTH each way), fragmentation_mtu 576 and charon's
#            fragment_size 576, ikev2d initiating and responding: both
#            sides split their IKE_AUTH and reassemble the other's (our
#            log, charon's log, and the SKF payloads seen by tshark on
#            the veth), then an IKE rekey and a CHILD rekey on the
#            fragmenting SA
#
# Exit 0 pass, 77 skip, 1 fail; as root.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/charon.sh"
. "$(dirname "$0")/checks.sh"

scenario=${1:-algs}
need_root
need_charon
command -v pki > /dev/null || skip "strongSwan's pki is not installed (apt-get install strongswan-pki)"
case $scenario in
algs|policy|classic|validation) require_cap ike ;;
dss) require_cap ike ;;
token)
	require_cap ike
	command -v softhsm2-util > /dev/null || skip "softhsm2 is not installed (apt-get install softhsm2)"
	grep -qs softhsm2 /usr/share/p11-kit/modules/*.module /etc/pkcs11/modules/*.module ||
		skip "SoftHSM2 is not registered with p11-kit" ;;
frag) require_cap ike rekey-ike rekey-child ;;
*) sed -n '2,61p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
[ -f "$top_builddir/plugins/pubkey/.libs/pubkey.so" ] ||
	skip "the pubkey plugin is not built (configure --disable-pubkey?)"

mkwork "certs-$scenario"
O=$WORK/ours C=$WORK/charon PKI=$WORK/pki
NO=net-ce-a$$ NC=net-ce-c$$
PSK=interop-secret
mkdir -p "$PKI"
[ "$scenario" = frag ] && export MKPKI_RSA4096=1
"$(dirname "$0")/mkpki.sh" "$PKI" || { cat "$PKI/pki.log"; fail "mkpki.sh failed"; finish; }

ns_add $NO; ns_add $NC
link_ns $NO net-ce-va 10.77.0.1/24 $NC net-ce-vc 10.77.0.2/24
ip -n $NO addr add 10.77.1.1/32 dev lo
ip -n $NC addr add 10.77.2.1/32 dev lo
OURS_IP=10.77.0.1 CHARON_IP=10.77.0.2
ALGS="AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256"

# keystore DIR cert... : certs/ and private/ from the named pki
# certificates, cacerts/ root.pem (or $ANCHORS), intcerts/ inter.pem,
# crls/ $CRLS.
keystore() {
	local ks=$1/keystore n; shift
	mkdir -p "$ks"/certs "$ks"/private "$ks"/cacerts "$ks"/intcerts "$ks"/crls
	for n in "$@"; do
		cp "$PKI/$n.pem" "$ks/certs/"
		cp "$PKI/$n.key" "$ks/private/"
	done
	for n in ${ANCHORS:-root}; do cp "$PKI/$n.pem" "$ks/cacerts/"; done
	cp "$PKI/${INTER:-inter}.pem" "$ks/intcerts/"
	for n in ${CRLS:-}; do cp "$PKI/$n" "$ks/crls/"; done
	chmod 700 "$ks" "$ks/private"
	chmod 600 "$ks"/private/* 2>/dev/null || :
}

# ours METHOD ROLE key=value... : our config for a certificate rule;
# METHOD is the rule's auth_method, or "local/remote" for mixed rules.
ours() {
	local method=$1 role=$2; shift 2
	local auth="auth_method = \"$method\";"
	case $method in */*)
		auth="local_auth_method = \"${method%/*}\"; remote_auth_method = \"${method#*/}\";" ;;
	esac
	write_config "$O" label=to_charon local=$OURS_IP remote=$CHARON_IP \
		local_id=fqdn:ours.test remote_id=fqdn:charon.test psk=$PSK \
		local_ts=10.77.1.0/24 remote_ts=10.77.2.0/24 \
		auto_start=$([ "$role" = init ] && echo true || echo false) \
		extra_daemon="keystore = \"$O/keystore\";" "$@"
	sed -i -e "s|auth_method = \"preshared\";|$auth|" \
		-e 's|load = \[ "nettle", "psk", "kernel-null" \];|load = [ "nettle", "gnutls", "psk", "pubkey", "kernel-null" ];|' \
		"$O/ikev2.config"
}

# revocation_over_http: the "validation" scenario's CRL and OCSP checks
# over HTTP (the curl plugin), servers in charon's namespace: root.crl
# served by python3 -m http.server on 10.77.0.2:8081 (the distribution
# point of charon-cdp, which it lists), openssl ocsp on 10.77.0.2:8082
# (charon-ocsp good, charon-ocsprev revoked; their authorityInfoAccess),
# and on 10.77.0.2:8083 a responder that accepts connections and never
# answers.  The daemon runs with its default seccomp filter.
revocation_over_http() {
	[ -f "$top_builddir/plugins/curl/.libs/curl.so" ] || {
		log "SKIP part: the curl plugin is not built (configure --disable-curl?)"; return; }
	command -v openssl > /dev/null || { log "SKIP part: no openssl for the OCSP responder"; return; }
	ip netns exec $NC python3 -m http.server 8081 --bind 10.77.0.2 --directory "$PKI" \
		> "$WORK/http.log" 2>&1 &
	PIDS+=("$!")
	ip netns exec $NC openssl ocsp -index "$PKI/ocsp-index.txt" -port 8082 \
		-rsigner "$PKI/root.pem" -rkey "$PKI/root.key" -CA "$PKI/root.pem" -nmin 5 \
		-ignore_err > "$WORK/ocsp.log" 2>&1 &
	PIDS+=("$!")
	ip netns exec $NC python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 8083)); s.listen(64); time.sleep(600)' > "$WORK/silent.log" 2>&1 &
	PIDS+=("$!")
	curl_load() { sed -i 's|"pubkey", "kernel-null" \];|"pubkey", "curl", "kernel-null" ];|' "$O/ikev2.config"; }
	# (openssl ocsp serves one connection at a time and hangs on one that
	# sends nothing: it is not probed, its log says when it listens)
	wait_for 10 ip netns exec $NC bash -c 'exec 3<>/dev/tcp/10.77.0.2/8081' 2>/dev/null &&
		wait_for 10 grep -q "waiting for OCSP client connections" "$WORK/ocsp.log" ||
		{ fail "the CRL or OCSP server did not start"; cat "$WORK/http.log" "$WORK/ocsp.log"; return; }

	log "--- CRL from the distribution point and OCSP from the certificate's responder"
	keystore "$O" ours-p256
	ours ecdsa_sig resp
	validation "crl_get_crl_uri = true; ocsp_use_cert_responder = true; cert_revoke_responder_timeout = 5;"
	# without a fetcher plugin -c refuses the settings, naming file:line
	if "$DAEMON" -c -f "$O/ikev2.config" > "$WORK/nofetch.log" 2>&1; then
		fail "-c accepted revocation over HTTP without the curl plugin"
	else
		grep -q "ikev2.config:[0-9]*: revocation over HTTP needs a plugin providing \"fetcher\"" "$WORK/nofetch.log" ||
			{ cat "$WORK/nofetch.log"; fail "-c did not say that a fetcher is missing"; }
	fi
	curl_load
	start_daemon $NO "$O" || return
	charon_pki cdp || return
	refused resp "CRL over HTTP" "CRL http://10.77.0.2:8081/root.crl fetched: revoked"
	grep -q "peer's certificate \"OU=cdp,CN=charon.test,O=ikev2d test,C=CH\" refused: revoked" "$O/daemon.log" ||
		fail "CRL over HTTP: the refusal does not name the revocation"
	charon_stop "$C"; rm -f "$C/charon.vici"   # (the next start waits for a new one)
	charon_pki ocsprev || return
	refused resp "OCSP revoked" "OCSP http://10.77.0.2:8082/: certificate serial [0-9a-f]+ revoked"
	charon_stop "$C"; rm -f "$C/charon.vici"
	charon_pki ocsp || return
	up resp "OCSP good"
	grep -qE "OCSP http://10.77.0.2:8082/: certificate serial [0-9a-f]+ good" "$O/daemon.log" ||
		fail "OCSP good: ikev2d did not log the responder's answer"
	grep -q "SIGSYS\|Bad system call" "$O/daemon.log" "$O/check.log" && fail "seccomp killed the fetch"
	restart_pair

	log "--- OCSP responder that never answers (timeout 3 s), one receive thread and one worker: refused; a PSK SA and a certificate SA with a cached answer complete meanwhile"
	ip -n $NC addr add 10.77.0.3/24 dev net-ce-vc 2>/dev/null
	ip -n $NC addr add 10.77.0.4/24 dev net-ce-vc 2>/dev/null
	ip -n $NC addr add 10.77.3.1/32 dev lo 2>/dev/null
	ip -n $NC addr add 10.77.4.1/32 dev lo 2>/dev/null
	keystore "$O" ours-p256
	ours ecdsa_sig resp
	# charon-p256 names no responder: the silent one is asked; charon-ocsp
	# names the good one (8082), which answers first
	validation "ocsp_use_cert_responder = true; ocsp_responder = \"http://10.77.0.2:8083/\"; cert_revoke_responder_timeout = 3;"
	curl_load
	# the smallest pool: a waiting IKE_AUTH must hold neither the one
	# receive thread nor the one worker
	sed -i -e 's|min_threads = [0-9]*;|min_threads = 1;|' -e 's|max_threads = [0-9]*;|max_threads = 1;|' "$O/ikev2.config"
	sed -i "s|\"curl\", \"kernel-null\" \];|\"curl\", \"kernel-null\", \"control\" ];\n\tcontrol = { socket = \"$WORK/ctl.sock\"; group = \"nogroup\"; };|" "$O/ikev2.config"
	# a second rule, PSK, for charon's connection from 10.77.0.3, and a
	# third, certificates, for its connection from 10.77.0.4
	sed -i 's|^rules = ($|rules = (\n\t{ label = "psk2"; auth_method = "preshared"; local_addr = "10.77.0.1"; remote_addr = "10.77.0.3"; local_id = { type = "fqdn"; value = "ours2.test"; }; remote_id = { type = "fqdn"; value = "charon2.test"; }; auto_start = false; ikesa_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; } ); childsa = ( { local_ts = "10.77.1.0/24"; remote_ts = "10.77.3.0/24"; esp_xform = ( { encr_alg = "aes-gcm"; encr_keylen = 128; } ); mode = "tunnel"; } ); },\n\t{ label = "cert3"; auth_method = "ecdsa_sig"; local_addr = "10.77.0.1"; remote_addr = "10.77.0.4"; local_id = { type = "fqdn"; value = "ours.test"; }; remote_id = { type = "fqdn"; value = "charon.test"; }; auto_start = false; ikesa_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; } ); childsa = ( { local_ts = "10.77.1.0/24"; remote_ts = "10.77.4.0/24"; esp_xform = ( { encr_alg = "aes-gcm"; encr_keylen = 128; } ); mode = "tunnel"; } ); },|' "$O/ikev2.config"
	printf 'keys = ( { label = "to_charon"; key = "%s"; }, { label = "psk2"; key = "psk2-secret"; } );\n' "$PSK" > "$O/ikev2.preshared"
	start_daemon $NO "$O" || return
	charon_pki p256 || return
	cp "$PKI/charon-ocsp.pem" "$C/x509/"; cp "$PKI/charon-ocsp.key" "$C/private/"
	cat > "$WORK/peer2.conf" <<'EOC'
	peer2 {
		version = 2
		local_addrs = 10.77.0.3
		remote_addrs = 10.77.0.1
		proposals = aes128-sha256-ecp256
		local {
			auth = psk
			id = charon2.test
		}
		remote {
			auth = psk
			id = ours2.test
		}
		children {
			net2 {
				local_ts = 10.77.3.0/24
				remote_ts = 10.77.1.0/24
				esp_proposals = aes128gcm16
			}
		}
	}
	peer3 {
		version = 2
		local_addrs = 10.77.0.4
		remote_addrs = 10.77.0.1
		proposals = aes128-sha256-ecp256
		local {
			auth = pubkey
			certs = charon-ocsp.pem
			id = charon.test
		}
		remote {
			auth = pubkey
			id = ours.test
		}
		children {
			net3 {
				local_ts = 10.77.4.0/24
				remote_ts = 10.77.1.0/24
				esp_proposals = aes128gcm16
			}
		}
	}
EOC
	printf '\tike-b {\n\t\tid-1 = charon2.test\n\t\tid-2 = ours2.test\n\t\tsecret = "psk2-secret"\n\t}\n' > "$WORK/secret2.conf"
	sed -i -e "/^connections {\$/r $WORK/peer2.conf" -e "/^secrets {\$/r $WORK/secret2.conf" "$C/swanctl.conf"
	charon_ctl "$C" --load-all --noprompt --file "$C/swanctl.conf" > "$WORK/load2.log" 2>&1 ||
		{ cat "$WORK/load2.log"; fail "swanctl could not load peer2/peer3"; }
	# charon-ocsp's answer (good, nextUpdate in 5 minutes) gets cached
	charon_ctl "$C" --initiate --child net3 --timeout 15 > "$WORK/initiate-cert3.log" 2>&1 ||
		{ tail -5 "$WORK/initiate-cert3.log"; fail "unreachable: the charon-ocsp SA did not come up"; }
	grep -qE "OCSP http://10.77.0.2:8082/: certificate serial [0-9a-f]+ good" "$O/daemon.log" ||
		fail "unreachable: charon-ocsp's status was not fetched"
	charon_ctl "$C" --terminate --ike peer3 --timeout 10 > /dev/null 2>&1
	charon_ctl "$C" --initiate --child net --timeout 20 > "$WORK/initiate-cert.log" 2>&1 &
	local init_pid=$!
	wait_for 10 grep -q "fetch http://10.77.0.2:8083/: started" "$O/daemon.log" ||
		{ tail -20 "$O/daemon.log"; fail "unreachable: no OCSP fetch started"; }
	local t0 t1 t2
	t0=$(date +%s%N)
	charon_ctl "$C" --initiate --child net2 --timeout 10 > "$WORK/initiate-psk2.log" 2>&1 ||
		{ tail -5 "$WORK/initiate-psk2.log"; fail "unreachable: the PSK SA did not come up"; }
	t1=$(date +%s%N)
	charon_ctl "$C" --initiate --child net3 --timeout 10 > "$WORK/initiate-cert3b.log" 2>&1 ||
		{ tail -5 "$WORK/initiate-cert3b.log"; fail "unreachable: the cached-status certificate SA did not come up"; }
	t2=$(date +%s%N)
	"$top_builddir/tools/ikeadm/ikeadm" -s "$WORK/ctl.sock" get stats > "$WORK/stats-waiting.txt" 2>&1
	charon_sas "$C" | grep -q "^peer2: #.*ESTABLISHED" || fail "unreachable: charon has no peer2 IKE SA"
	charon_sas "$C" | grep -q "^peer3: #.*ESTABLISHED" || fail "unreachable: charon has no peer3 IKE SA"
	if grep -q "no revocation answer" "$O/daemon.log"; then
		fail "unreachable: the OCSP wait ended before the other SAs were up (no overlap shown)"
	else
		log "unreachable: PSK SA up in $(( (t1 - t0) / 1000000 )) ms, cached-status certificate SA in $(( (t2 - t1) / 1000000 )) ms, while the OCSP fetch waited"
	fi
	grep -qE "OCSP http://10.77.0.2:8082/ \(cached\): good" "$O/daemon.log" ||
		log "note: the cached OCSP answer is logged at verbose level only"
	# while it waits: one IKE_AUTH set aside; the one worker is busy only
	# with the stats command itself, not blocked in the fetch
	if grep -q "Waiting: *1 IKE_AUTH for a revocation answer" "$WORK/stats-waiting.txt" &&
	   grep -q "Workers: *1 (1 busy, 0 blocked in a fetch)" "$WORK/stats-waiting.txt"; then
		log "unreachable: $(grep -E 'Waiting:|Workers:' "$WORK/stats-waiting.txt" | tr -s ' ' | tr '\n' ';')"
	else
		cat "$WORK/stats-waiting.txt"
		fail "unreachable: ikeadm get stats does not show the IKE_AUTH waiting without a thread"
	fi
	wait_for 10 grep -q "no revocation answer from any responder or distribution point: refused" "$O/daemon.log" ||
		fail "unreachable: the certificate was not refused"
	wait_for 10 grep -q "received AUTHENTICATION_FAILED notify error" "$C/charon.log" ||
		fail "unreachable: charon did not get AUTHENTICATION_FAILED"
	local took
	took=$(sed -n 's|.*fetch http://10.77.0.2:8083/: timed out.* \([0-9]*\) ms).*|\1|p' "$O/daemon.log" | head -1)
	if [ -n "$took" ] && [ "$took" -ge 2900 ] && [ "$took" -le 4500 ]; then
		log "unreachable: refused after the responder timeout ($took ms)"
	else
		fail "unreachable: the fetch did not time out after about 3 s (took '${took:-?}' ms)"
	fi
	wait "$init_pid" 2>/dev/null
	charon_ike_established "$C" && fail "unreachable: charon has the certificate IKE SA"
	# (the PSK and cert3 SAs go, so that the next check sees only its own CHILD SA)
	charon_ctl "$C" --terminate --ike peer2 --timeout 10 > /dev/null 2>&1
	charon_ctl "$C" --terminate --ike peer3 --timeout 10 > /dev/null 2>&1
	no_sas() { [ "$(sa_count "$O")" -eq 0 ]; }
	wait_for 10 no_sas || fail "unreachable: the PSK SA's ESP SAs stayed"

	log "--- the same, ignore_cert_revoke_responder_timeout = true and SIGHUP: accepted (fail open)"
	sed -i 's|cert_revoke_responder_timeout = 3;|cert_revoke_responder_timeout = 3; ignore_cert_revoke_responder_timeout = true;|' "$O/ikev2.config"
	kill -HUP "$(daemon_pid "$O")"
	wait_for 10 grep -q "configuration reloaded\|reloaded" "$O/daemon.log" || sleep 1
	up resp "fail open"
	grep -q "no revocation answer; accepted (ignore_cert_revoke_responder_timeout)" "$O/daemon.log" ||
		fail "fail open: ikev2d did not log why it accepted"
	restart_pair
}

# charon_pki NAME key=value...: charon with pki certificate charon-NAME,
# trusting our root (or $CHARON_CAS).
charon_pki() {
	local name=$1 creds=$WORK/charon-creds n; shift
	rm -rf "$creds"; mkdir -p "$creds"/x509 "$creds"/x509ca "$creds"/private
	if [ "$name" != none ]; then
		cp "$PKI/charon-$name.pem" "$creds/x509/"
		cp "$PKI/charon-$name.key" "$creds/private/"
	fi
	for n in ${CHARON_CAS:-root}; do cp "$PKI/$n.pem" "$creds/x509ca/"; done
	# an intermediate charon sends in front of its certificate
	for n in ${CHARON_INTER:-}; do cp "$PKI/$n.pem" "$creds/x509ca/"; done
	charon_start "$C" $NC local=$CHARON_IP remote=$OURS_IP \
		local_id=charon.test remote_id=ours.test psk=$PSK \
		local_ts=10.77.2.0/24 remote_ts=10.77.1.0/24 esp=aes128gcm16 \
		creds="$creds" local_auth=pubkey remote_auth=pubkey \
		$( [ "$name" != none ] && echo local_cert=charon-$name.pem ) "$@"
}

# up ROLE WHAT: the pair comes up (charon initiates when we respond).
up() {
	[ "$1" = resp ] && { charon_ctl "$C" --initiate --child net --timeout 20 > "$WORK/initiate.log" 2>&1 ||
		{ tail -5 "$WORK/initiate.log"; fail "$2: charon's initiation failed"; }; }
	check_ike "$2" $ALGS && check_child "$2"
}

# refused ROLE WHAT OUR-LOG-REGEX: no SA on either side, AUTHENTICATION_FAILED
# seen by charon, and our log says why.
refused() {
	[ "$1" = resp ] && charon_ctl "$C" --initiate --child net --timeout 15 > /dev/null 2>&1
	wait_for 15 grep -qE "$3" "$O/daemon.log" ||
		{ tail -20 "$O/daemon.log"; fail "$2: ikev2d did not log /$3/"; }
	if [ "$1" = resp ]; then
		wait_for 10 grep -q "received AUTHENTICATION_FAILED notify error" "$C/charon.log" ||
			fail "$2: charon did not get AUTHENTICATION_FAILED from ikev2d"
	else
		wait_for 10 grep -q "AUTHENTICATION_FAILED" "$C/charon.log" ||
			fail "$2: charon logged no AUTHENTICATION_FAILED from ikev2d"
	fi
	sleep 1
	charon_ike_established "$C" && fail "$2: charon has an IKE SA"
	[ "$(sa_count "$O")" -eq 0 ] || fail "$2: ikev2d installed SAs"
	log "$2: refused"
}

# The AUTH method charon saw us use ("authentication of 'ours.test' with X
# successful").
charon_saw() {
	grep -o "authentication of 'ours.test' with [A-Za-z0-9_ -]* successful" "$C/charon.log" | tail -1
}

case $scenario in
algs)
	# name | our rule's auth_method | charon's extra keys | what charon
	# must log for our AUTH
	ROUNDS=(
	"rsa|rsa_sig||RSA_EMSA_PKCS1_SHA2_"
	"rsa|rsa_pss_sig|conf=rsa_pss=yes|RSA_EMSA_PSS"
	"p256|ecdsa_sig||ECDSA"
	"p384|ecdsa_sig||ECDSA"
	"ed25519|digital_sig||ED25519"
	)
	for r in "${ROUNDS[@]}"; do
		IFS='|' read -r key method cextra csaw <<< "$r"
		for role in init resp; do
			what="$key/$method, ikev2d $role"
			log "--- $what"
			keystore "$O" "ours-$key"
			ours "$method" $role
			# charon first when we initiate: it must know the connection
			if [ $role = init ]; then
				charon_pki "$key" $cextra || break 2
				start_daemon $NO "$O" || break 2
			else
				start_daemon $NO "$O" || break 2
				charon_pki "$key" $cextra || break 2
			fi
			up $role "$what"
			saw=$(charon_saw)
			case $saw in *"$csaw"*) log "$what: charon: $saw" ;;
			*) fail "$what: charon verified our AUTH as '$saw', expected $csaw" ;; esac
			grep -q "authentication of 'charon.test'.*successful" "$C/charon.log" ||
				fail "$what: charon logged no successful own authentication"
			grep -q "peer's certificate \"" "$O/daemon.log" ||
				grep -q "AUTH method .* verified" "$O/daemon.log" ||
				fail "$what: ikev2d logged no verified certificate"
			restart_pair
		done
	done
	;;
policy)
	for ca in root2 root; do
		want=$([ $ca = root2 ] && echo ours-p256-b.pem || echo ours-p256.pem)
		log "--- CERTREQ for $ca: ikev2d must send $want"
		keystore "$O" ours-p256 ours-p256-b
		ours ecdsa_sig resp
		start_daemon $NO "$O" || finish
		CHARON_CAS=$ca charon_pki p256 || finish
		up resp "certreq $ca"
		grep -q "authenticating with .*certs/$want" "$O/daemon.log" ||
			fail "certreq $ca: ikev2d did not choose $want"
		restart_pair
	done

	log "--- revoked (CRL in crls/)"
	CRLS=root.crl keystore "$O" ours-p256
	ours ecdsa_sig resp
	start_daemon $NO "$O" || finish
	charon_pki revoked || finish
	refused resp "revoked" "refused: revoked"
	restart_pair

	log "--- expired"
	keystore "$O" ours-p256
	ours ecdsa_sig resp
	start_daemon $NO "$O" || finish
	charon_pki expired || finish
	refused resp "expired" "refused: expired"
	restart_pair

	log "--- peer ID not in its certificate"
	keystore "$O" ours-p256
	ours ecdsa_sig resp remote_id=fqdn:liar.test
	start_daemon $NO "$O" || finish
	charon_pki p256 local_id=liar.test || finish
	refused resp "wrong identity" "does not carry its identity|no rule for peer identity"
	grep -q "does not carry its identity" "$O/daemon.log" ||
		log "note: charon did not send liar.test with a certificate lacking it"
	restart_pair

	log "--- required_signer the chain does not lead to"
	keystore "$O" ours-p256
	ours ecdsa_sig resp extra_rule='required_signer = "C=CH, O=ikev2d test, CN=Second CA";'
	start_daemon $NO "$O" || finish
	charon_pki p256 || finish
	refused resp "required signer" "not issued under the required signer"
	restart_pair

	log "--- mixed: ikev2d signs, charon uses the PSK"
	keystore "$O" ours-p256
	ours ecdsa_sig/preshared init
	charon_pki none local_auth=psk remote_auth=pubkey || finish
	start_daemon $NO "$O" || finish
	up init "mixed (we sign)"
	restart_pair
	log "--- mixed: ikev2d uses the PSK, charon signs"
	keystore "$O" ours-p256
	ours preshared/ecdsa_sig resp
	start_daemon $NO "$O" || finish
	charon_pki p256 local_auth=pubkey remote_auth=psk || finish
	up resp "mixed (charon signs)"
	restart_pair
	;;
classic)
	# name | our rule | what charon logs for our AUTH | the method we
	# must have verified from charon
	ROUNDS=(
	"rsa|rsa_sig|RSA signature|1"
	"p256|ecdsa_sig|ECDSA-256 signature|9"
	"p384|ecdsa_sig|ECDSA-384 signature|10"
	"p521|ecdsa_sig|ECDSA-521 signature|11"
	)
	for r in "${ROUNDS[@]}"; do
		IFS='|' read -r key method csaw m <<< "$r"
		for role in init resp; do
			what="$key/$method without RFC 7427, ikev2d $role"
			log "--- $what"
			keystore "$O" "ours-$key"
			ours "$method" $role
			cargs=(conf="signature_authentication = no")
			if [ $role = init ]; then
				charon_pki "$key" "${cargs[@]}" || break 2
				start_daemon $NO "$O" || break 2
			else
				start_daemon $NO "$O" || break 2
				charon_pki "$key" "${cargs[@]}" || break 2
			fi
			up $role "$what"
			saw=$(charon_saw)
			case $saw in *"with $csaw successful"*) log "$what: charon: $saw" ;;
			*) fail "$what: charon verified our AUTH as '$saw', expected $csaw" ;; esac
			grep -q "AUTH method $m verified" "$O/daemon.log" ||
				fail "$what: ikev2d did not verify charon's AUTH as method $m"
			grep -q "SIGNATURE_HASH_ALGORITHMS" "$C/charon.log" &&
				log "note: charon's log mentions SIGNATURE_HASH_ALGORITHMS"
			restart_pair
		done
	done
	;;
validation)
	# ours() then a validation group at the top level of our config
	validation() { printf 'validation = { %s };\n' "$1" >> "$O/ikev2.config"; }

	# (the same certificate refused under the default policy: "policy")
	log "--- expired, ignore_date = true: accepted"
	keystore "$O" ours-p256
	ours ecdsa_sig resp
	validation "ignore_date = true;"
	start_daemon $NO "$O" || finish
	charon_pki expired || finish
	up resp "expired with ignore_date"
	grep -q "peer's certificate \"OU=expired,CN=charon.test,O=ikev2d test,C=CH\" valid" "$O/daemon.log" ||
		fail "expired with ignore_date: ikev2d did not accept the expired certificate"
	restart_pair

	log "--- charon's chain through the intermediate, max_cert_path_length = 0: refused"
	keystore "$O" ours-p256
	ours ecdsa_sig resp
	validation "max_cert_path_length = 0;"
	start_daemon $NO "$O" || finish
	CHARON_INTER=inter charon_pki p256i || finish
	refused resp "path length 0" "refused: path too long"
	restart_pair
	log "--- the same chain, max_cert_path_length = 1: accepted"
	keystore "$O" ours-p256
	ours ecdsa_sig resp
	validation "max_cert_path_length = 1;"
	start_daemon $NO "$O" || finish
	CHARON_INTER=inter charon_pki p256i || finish
	up resp "path length 1"
	restart_pair

	for role in resp init; do
		what="no CERT from charon, its self-signed certificate our anchor, ikev2d $role"
		log "--- $what"
		ANCHORS="root charon-self" keystore "$O" ours-p256
		ours ecdsa_sig $role
		if [ $role = init ]; then
			charon_pki self conn="send_cert = never" || break
			start_daemon $NO "$O" || break
		else
			start_daemon $NO "$O" || break
			charon_pki self conn="send_cert = never" || break
		fi
		up $role "$what"
		grep -q "peer sent no certificate: using our trust anchor \"OU=self,CN=charon.test,O=ikev2d test,C=CH\"" "$O/daemon.log" ||
			fail "$what: ikev2d did not use its copy of charon's certificate"
		restart_pair
	done
	log "--- no CERT from charon and no copy of its certificate: refused"
	keystore "$O" ours-p256
	ours ecdsa_sig resp
	start_daemon $NO "$O" || finish
	charon_pki self conn="send_cert = never" || finish
	refused resp "no CERT, unknown" "none of our trust anchors carries its identity"
	restart_pair

	revocation_over_http
	;;
token)
	CERT="$top_builddir/tools/ikev2cert/ikev2cert"
	[ -x "$CERT" ] || skip "ikev2cert is not built"
	mkdir -p "$WORK/hsm"
	printf 'directories.tokendir = %s/hsm\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK" > "$WORK/hsm.conf"
	export SOFTHSM2_CONF="$WORK/hsm.conf"
	TOK="pkcs11:token=ikev2d-ike$$"
	softhsm2-util --init-token --free --label "ikev2d-ike$$" --pin 4321 --so-pin 8765 > "$WORK/hsm.log" 2>&1 ||
		{ cat "$WORK/hsm.log"; skip "softhsm2-util cannot make a token"; }
	# our key and certificate on the token, the CAs in the keystore
	echo 4321 | "$CERT" -T "$TOK" import infile="$PKI/ours-p256.key" label=ours > "$WORK/tok.log" 2>&1 &&
		echo 4321 | "$CERT" -T "$TOK" import infile="$PKI/ours-p256.pem" label=ours >> "$WORK/tok.log" 2>&1 ||
		{ cat "$WORK/tok.log"; fail "ikev2cert could not fill the token"; finish; }
	keystore "$O"
	log "--- token locked (no PIN), ikev2d initiates"
	ours ecdsa_sig init extra_daemon="keystore = \"$O/keystore\"; pkcs11_token = { uri = \"$TOK\"; };"
	charon_pki p256 || finish
	start_daemon $NO "$O" || finish
	grep -q "PKCS#11 token .*: 1 certificate, locked" "$O/daemon.log" ||
		fail "locked: ikev2d did not report the token locked"
	wait_for 15 grep -q "the private key cannot sign now (token locked?)" "$O/daemon.log" ||
		{ tail -20 "$O/daemon.log"; fail "locked: no clear error for the locked token"; }
	sleep 1
	kill -0 "$(daemon_pid "$O")" 2>/dev/null || fail "locked: ikev2d is not running any more"
	charon_ike_established "$C" && fail "locked: charon has an IKE SA"
	[ "$(sa_count "$O")" -eq 0 ] || fail "locked: ikev2d installed SAs"
	grep -qE "Segmentation|SIGSYS|AddressSanitizer" "$O/daemon.log" && fail "locked: ikev2d crashed"
	log "locked: refused to sign, still running"
	log "--- PIN added, SIGHUP: charon initiates"
	sed -i "s|pkcs11_token = { uri = \"$TOK\"; };|pkcs11_token = { uri = \"$TOK\"; pin = \"4321\"; };|" "$O/ikev2.config"
	grep -q 'pin = "4321"' "$O/ikev2.config" || fail "could not add the PIN to the configuration"
	kill -HUP "$(daemon_pid "$O")"
	wait_for 15 grep -q "PKCS#11 token .*: 1 certificate, unlocked" "$O/daemon.log" ||
		{ tail -20 "$O/daemon.log"; fail "unlocked: the reload did not log in to the token"; }
	up resp "token unlocked"
	grep -q "authenticating with pkcs11:" "$O/daemon.log" ||
		fail "unlocked: ikev2d did not sign with the token's key"
	# Under privsep (interop-certs-token-privsep) the keys process holds
	# the token session and signs; the engine has proxies only.
	if grep -q "privsep: keys process started" "$O/daemon.log"; then
		grep -q "keys process: sign for rule 'to_charon' with pkcs11:.*: done" "$O/daemon.log" ||
			fail "privsep: the keys process did not sign with the token's key"
		grep -q "engine: keystore from the keys process: 1 certificate (1 with a key there)" "$O/daemon.log" ||
			fail "privsep: the engine did not get the token's certificate from the keys process"
		log "privsep: $(grep -m1 "keys process: sign for rule" "$O/daemon.log" | sed 's/.*keys process/keys process/')"
		# the token's session and the PKCS#11 module's memory included
		check_keys_memory "$O" "$(sed -n 's/.*privsep: keys process started (pid \([0-9]*\)).*/\1/p' "$O/daemon.log" | tail -1)"
	fi
	restart_pair
	;;
dss)
	CERT="$top_builddir/tools/ikev2cert/ikev2cert"
	[ -x "$CERT" ] || skip "ikev2cert is not built"
	P=$WORK/peer KO=$WORK/ks-ours KP=$WORK/ks-peer
	for side in "$KO:ours" "$KP:charon"; do
		d=${side%%:*} n=${side#*:}
		"$CERT" -k "$d" setpin > "$WORK/cert.log" 2>&1 &&
			"$CERT" -k "$d" gencert keytype=dsa keylen=2048 label=$n \
				subject="C=CH, O=ikev2d test, CN=$n.test" altname=dns=$n.test >> "$WORK/cert.log" 2>&1 ||
			{ cat "$WORK/cert.log"; fail "ikev2cert gencert dsa failed"; finish; }
	done
	"$CERT" -k "$KO" import infile="$KP/certs/charon.pem" objtype=cacert label=peer >> "$WORK/cert.log" 2>&1 &&
		"$CERT" -k "$KP" import infile="$KO/certs/ours.pem" objtype=cacert label=peer >> "$WORK/cert.log" 2>&1 ||
		{ cat "$WORK/cert.log"; fail "ikev2cert import failed"; finish; }
	for init in ours peer; do
		what="DSS, $init initiates"
		log "--- $what"
		ours dss_sig $([ $init = ours ] && echo init || echo resp)
		write_config "$P" label=to_ours local=$CHARON_IP remote=$OURS_IP \
			local_id=fqdn:charon.test remote_id=fqdn:ours.test psk=$PSK \
			local_ts=10.77.2.0/24 remote_ts=10.77.1.0/24 \
			auto_start=$([ $init = peer ] && echo true || echo false) \
			extra_daemon="keystore = \"$P/keystore\";"
		sed -i -e 's|auth_method = "preshared";|auth_method = "dss_sig";|' \
			-e 's|load = \[ "nettle", "psk", "kernel-null" \];|load = [ "nettle", "gnutls", "psk", "pubkey", "kernel-null" ];|' \
			"$P/ikev2.config"
		rm -rf "$O/keystore" "$P/keystore"
		cp -a "$KO" "$O/keystore" && cp -a "$KP" "$P/keystore"
		# the responder first
		if [ $init = ours ]; then
			start_daemon $NC "$P" || break
			start_daemon $NO "$O" || break
		else
			start_daemon $NO "$O" || break
			start_daemon $NC "$P" || break
		fi
		wait_for 20 grep -q "IKE SA established" "$O/daemon.log" ||
			{ tail -20 "$O/daemon.log" "$P/daemon.log"; fail "$what: no IKE SA"; }
		wait_for 10 grep -q "IKE SA established" "$P/daemon.log" ||
			fail "$what: the other ikev2d has no IKE SA"
		for d in "$O" "$P"; do
			grep -q "AUTH method 3 verified" "$d/daemon.log" ||
				fail "$what: $(basename "$d") did not verify a DSS (method 3) AUTH"
		done
		[ "$(sa_count "$O")" -ge 2 ] || fail "$what: ikev2d installed no CHILD SA"
		log "$what: both verified method 3"
		stop_daemon "$P"
		restart_pair
	done
	;;
frag)
	command -v tshark > /dev/null || skip "tshark is not installed (apt-get install tshark)"
	# 14 single-host selectors each way: CREATE_CHILD_SA (TSi + TSr of
	# 14 x 16 octets) exceeds the 576-octet MTU as well
	# one inbound SA on our side, not SPI $1 (a rekey is over)
	one_new_in() { local s; s=$(sa_spis "$O" in); [ -n "$s" ] && [ "$s" = "${s%%[!0-9a-f]*}" ] && [ "$s" != "$1" ]; }
	ours_ts= charon_lts= charon_rts=
	for i in $(seq 1 14); do
		ours_ts="$ours_ts${ours_ts:+, }\"10.77.1.$i/32\""
		charon_rts="$charon_rts${charon_rts:+,}10.77.1.$i/32"
		charon_lts="$charon_lts${charon_lts:+,}10.77.2.$i/32"
	done
	ours_rts=$(echo "$ours_ts" | sed 's/10\.77\.1\./10.77.2./g')
	# charon routes each of its selectors from a local address
	for i in $(seq 2 14); do ip -n $NC addr add 10.77.2.$i/32 dev lo; done
	FRAG_DAEMON='fragmentation_enable = true; fragmentation_mtu = 576;'
	for role in init resp; do
		what="RSA-4096 chain, ikev2d $role"
		log "--- $what"
		ANCHORS=root4k INTER=inter4k keystore "$O" ours-rsa4096
		ours rsa_sig $role local_ts= remote_ts= \
			extra_daemon="keystore = \"$O/keystore\"; $FRAG_DAEMON" \
			extra_child="local_ts = ( $ours_ts ); remote_ts = ( $ours_rts );"
		ip netns exec $NO tshark -n -l -i net-ce-va -f udp -w "$WORK/frag-$role.pcap" \
			> "$WORK/tshark-$role.log" 2>&1 &
		tpid=$!; PIDS+=("$tpid")
		wait_for 10 grep -q "Capturing on" "$WORK/tshark-$role.log" ||
			{ cat "$WORK/tshark-$role.log"; fail "$what: tshark did not start"; }
		cargs=(local_ts="$charon_lts" remote_ts="$charon_rts" conf="fragment_size = 576")
		if [ $role = init ]; then
			CHARON_CAS=root4k CHARON_INTER=inter4k charon_pki rsa4096 "${cargs[@]}" || break
			start_daemon $NO "$O" || break
		else
			start_daemon $NO "$O" || break
			CHARON_CAS=root4k CHARON_INTER=inter4k charon_pki rsa4096 "${cargs[@]}" || break
		fi
		up $role "$what"
		# ours split, charon reassembled; charon split, ours reassembled
		grep -qE "IKE_AUTH message split into [0-9]+ fragments" "$O/daemon.log" ||
			fail "$what: ikev2d did not fragment its IKE_AUTH"
		grep -qE "received fragment #[0-9]+ of [0-9]+, reassembled" "$C/charon.log" ||
			fail "$what: charon reassembled no fragmented message"
		grep -qE "splitting IKE message .* into [0-9]+ fragments" "$C/charon.log" ||
			fail "$what: charon did not fragment its IKE_AUTH"
		grep -q "authentication of 'ours.test' with RSA.* successful" "$C/charon.log" ||
			fail "$what: charon did not verify our RSA-4096 AUTH"
		# CHILD rekeys with 20 + 20 selectors: both directions fragment
		nsplit=$(grep -cE "CREATE_CHILD_SA message split into" "$O/daemon.log")
		wait_for 30 one_new_in none
		old=$(sa_spis "$O" in)
		charon_ctl "$C" --rekey --child net > "$WORK/rekey.log" 2>&1 || fail "swanctl --rekey --child failed"
		wait_for 30 one_new_in "$old" ||
			fail "$what: charon's CHILD rekey did not replace SPI $old"
		old=$(sa_spis "$O" in)
		kernel_ctl "$O" "expire soft $old $OURS_IP"
		wait_for 30 one_new_in "$old" ||
			fail "$what: ikev2d's CHILD rekey did not replace SPI $old"
		sleep 2
		check_child "$what, after two CHILD rekeys"
		[ "$(charon_child_count "$C")" -eq 1 ] || fail "$what: charon has $(charon_child_count "$C") CHILD SAs"
		n=$(grep -cE "CREATE_CHILD_SA message split into" "$O/daemon.log")
		[ "$n" -ge $((nsplit + 2)) ] ||
			fail "$what: ikev2d fragmented $((n - nsplit)) CREATE_CHILD_SA messages, expected 2 (request and response)"
		kill -INT $tpid; wait $tpid 2>/dev/null; forget_pid $tpid
		# on the wire: UDP/4500 IKE messages whose first payload is SKF (53)
		ours_skf=$(tshark -n -r "$WORK/frag-$role.pcap" -Y "ip.src == $OURS_IP && isakmp.nextpayload == 53" 2>/dev/null | wc -l)
		charon_skf=$(tshark -n -r "$WORK/frag-$role.pcap" -Y "ip.src == $CHARON_IP && isakmp.nextpayload == 53" 2>/dev/null | wc -l)
		big=$(tshark -n -r "$WORK/frag-$role.pcap" -Y "ip.len > 576" 2>/dev/null | wc -l)
		log "$what: on the wire $ours_skf SKF from ikev2d, $charon_skf from charon, $big datagrams > 576 octets"
		[ "$ours_skf" -ge 8 ] || fail "$what: only $ours_skf SKF fragments from ikev2d on the wire"
		[ "$charon_skf" -ge 8 ] || fail "$what: only $charon_skf SKF fragments from charon on the wire"
		[ "$big" -eq 0 ] || fail "$what: $big datagrams larger than the 576-octet MTU"
		restart_pair
	done
	;;
esac
finish
