# charon.sh - Debian's strongSwan charon as a peer inside one of our network
# namespaces (bash, sourced after testing/netns/lib.sh).
#
#   charon_start DIR NS key=value...    configure and start; vici socket in DIR
#   charon_ctl DIR swanctl-args...      swanctl against that charon
#   charon_stop DIR                     stop it by PID
#   charon_sas DIR                      `swanctl --list-sas` output
#   charon_raw DIR                      `swanctl --list-sas --raw` output
#
# Keys: local remote local_id remote_id psk proposals esp local_ts remote_ts
# kernel (libipsec|netlink) mobike (yes|no) dpd rekey_time child_rekey_time
# over_time rand_time (IKE SA; swanctl's defaults: 10 % of rekey_time, which
# rounds to 0 for lifetimes under 10 s) child_life_time child_rand_time
# loglevel log_chd (the CHD group's level: 4 logs the CHILD SA keys, for
# tests that forge ESP) mode (tunnel|transport) conf (raw strongswan.conf lines for the
# charon section); certificates: local_auth remote_auth (psk|pubkey|
# rsa/pss..., default psk), creds (a directory with x509/ x509ca/ private/
# x509crl/ to copy next to swanctl.conf), local_cert (file in x509/),
# conn (raw swanctl.conf lines for the connection, e.g. send_cert = never).  An id with blanks or commas (a DN) is given with its
# double quotes: local_id='"C=CH, O=x, CN=y"'.  The connection is "peer",
# its child "net".
#
# charon has its pid file at a compiled-in path (/run/charon.pid); each
# instance runs with DIR/run mounted over /run in its own mount namespace
# (ip netns exec gives it one), so several can run at once.

CHARON=${CHARON:-/usr/lib/ipsec/charon}
SWANCTL=${SWANCTL:-/usr/sbin/swanctl}

need_charon() {
	[ -x "$CHARON" ] && [ -x "$SWANCTL" ] ||
		skip "strongSwan not installed (apt-get install strongswan-charon strongswan-swanctl libstrongswan-standard-plugins libstrongswan-extra-plugins libcharon-extra-plugins)"
	local p missing=
	for p in openssl gmp curve25519 gcm kernel-libipsec kernel-netlink vici; do
		[ -f "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] || missing="$missing $p"
	done
	[ -z "$missing" ] ||
		skip "charon plugins missing:$missing (libstrongswan-standard-plugins libstrongswan-extra-plugins libcharon-extra-plugins)"
}

charon_start() {
	local dir=$1 ns=$2; shift 2
	local local= remote= local_id= remote_id= psk=secret
	local proposals=aes128-sha256-ecp256 esp=aes128gcm16 lts=dynamic rts=dynamic
	local kernel=libipsec mobike=no dpd=0 rekey=0 crekey=0 loglevel=1 log_chd= mode=tunnel
	local over= rand= clife= crand=
	local kv k v kplugins conf= lauth=psk rauth=psk creds= lcert= conn=
	for kv in "$@"; do
		k=${kv%%=*}; v=${kv#*=}
		case $k in
		local) local=$v ;; remote) remote=$v ;; local_id) local_id=$v ;;
		remote_id) remote_id=$v ;; psk) psk=$v ;; proposals) proposals=$v ;;
		esp) esp=$v ;; local_ts) lts=$v ;; remote_ts) rts=$v ;;
		kernel) kernel=$v ;; mobike) mobike=$v ;; dpd) dpd=$v ;;
		rekey_time) rekey=$v ;; child_rekey_time) crekey=$v ;;
		over_time) over=$v ;; rand_time) rand=$v ;;
		child_life_time) clife=$v ;; child_rand_time) crand=$v ;;
		loglevel) loglevel=$v ;; log_chd) log_chd=$v ;; mode) mode=$v ;; conf) conf=$v ;;
		local_auth) lauth=$v ;; remote_auth) rauth=$v ;; creds) creds=$v ;;
		local_cert) lcert=$v ;; conn) conn=$v ;;
		*) echo "charon_start: unknown key $k" >&2; return 1 ;;
		esac
	done
	: "${local_id:=$local}" "${remote_id:=$remote}"
	case $kernel in
	libipsec) kplugins="kernel-libipsec kernel-netlink" ;;
	netlink)  kplugins="kernel-netlink" ;;
	esac
	mkdir -p "$dir/run"
	cat > "$dir/strongswan.conf" <<EOF
charon {
	load_modular = no
	load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints sha1 sha2 mgf1 hmac kdf gmp aes gcm curve25519 $kplugins socket-default vici
	install_virtual_ip = no
	retransmit_tries = 3
	retransmit_timeout = 1.0
	$conf
	filelog {
		charon {
			# a file of its own: charon flushes it line by line, which
			# it does not do for a redirected stdout
			path = $dir/charon.log
			default = $loglevel
			$( [ -n "$log_chd" ] && echo "chd = $log_chd" )
			ike_name = yes
			flush_line = yes
			time_format = %T
		}
	}
	plugins {
		vici {
			socket = unix://$dir/charon.vici
		}
	}
}
EOF
	cat > "$dir/swanctl.conf" <<EOF
connections {
	peer {
		version = 2
		local_addrs = $local
		remote_addrs = $remote
		proposals = $proposals
		mobike = $mobike
		dpd_delay = $dpd
		rekey_time = $rekey
		reauth_time = 0
		$conn
		$( [ -n "$over" ] && echo "over_time = $over" )
		$( [ -n "$rand" ] && echo "rand_time = $rand" )
		local {
			auth = $lauth
			id = $local_id
			$( [ -n "$lcert" ] && echo "certs = $lcert" )
		}
		remote {
			auth = $rauth
			id = $remote_id
		}
		children {
			net {
				local_ts = $lts
				remote_ts = $rts
				esp_proposals = $esp
				mode = $mode
				rekey_time = $crekey
				$( [ -n "$clife" ] && echo "life_time = $clife" )
				$( [ -n "$crand" ] && echo "rand_time = $crand" )
			}
		}
	}
}
secrets {
	ike-a {
		id-1 = $local_id
		id-2 = $remote_id
		secret = "$psk"
	}
}
EOF
	[ -n "$creds" ] && cp -r "$creds"/. "$dir"/
	# charon listens on 500 before swanctl has loaded its connections: an
	# IKE_SA_INIT of ours arriving in between (ikev2d started first, with
	# auto_start) gets NO_PROPOSAL_CHOSEN, an answer ikev2d does not retry.
	# Its IKE ports stay closed (nft, when there is nft) until it is ready.
	local hold=false
	ip netns exec "$ns" nft -f - 2>/dev/null <<'NFT' && hold=true
table inet charon_hold {
	chain in { type filter hook input priority 0; udp dport { 500, 4500 } drop; }
}
NFT
	ip netns exec "$ns" sh -c "mount --bind '$dir/run' /run && STRONGSWAN_CONF='$dir/strongswan.conf' exec '$CHARON'" \
		> "$dir/charon.out" 2>&1 &
	echo $! > "$dir/charon.pid"
	PIDS+=("$!")
	if ! wait_for "${CHARON_START_WAIT:-10}" test -S "$dir/charon.vici"; then
		tail -20 "$dir/charon.out" "$dir/charon.log"
		fail "charon did not start in $ns"
		return 1
	fi
	"$SWANCTL" --load-all --noprompt --file "$dir/swanctl.conf" \
		--uri "unix://$dir/charon.vici" > "$dir/load.log" 2>&1 || {
		cat "$dir/load.log"
		$hold && ip netns exec "$ns" nft delete table inet charon_hold
		fail "swanctl --load-all failed"
		return 1
	}
	$hold && ip netns exec "$ns" nft delete table inet charon_hold
	return 0
}

charon_ctl() {
	local dir=$1; shift
	"$SWANCTL" "$@" --uri "unix://$dir/charon.vici"
}

charon_stop() {
	local pid
	[ -f "$1/charon.pid" ] || return 0
	pid=$(cat "$1/charon.pid")
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	forget_pid "$pid"
	rm -f "$1/charon.pid"
}

charon_sas() { charon_ctl "$1" --list-sas 2>/dev/null; }
charon_raw() { charon_ctl "$1" --list-sas --raw 2>/dev/null; }

# The IKE SA line, e.g. "peer: #1, ESTABLISHED, IKEv2, 1a2b..._i* 3c4d..._r"
charon_ike_state() { charon_sas "$1" | sed -n 's/^peer: #[0-9]*, \([A-Z_]*\),.*/\1/p' | head -1; }
charon_ike_established() { [ "$(charon_ike_state "$1")" = ESTABLISHED ]; }
# The IKE algorithm line ("AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256").
charon_ike_algs() {
	charon_sas "$1" | awk '/^peer: #/ { getline; getline; getline; print $1; exit }'
}
# IKE SPIs "spi_i spi_r" (hex).
charon_ike_spis() {
	charon_sas "$1" | sed -n 's/^peer: #[0-9]*, [A-Z_]*, IKEv2, \([0-9a-f]*\)_i\** \([0-9a-f]*\)_r.*/\1 \2/p' | head -1
}
# CHILD SA: "net: #1, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-128"
charon_child_line() { charon_sas "$1" | grep -E '^  net: #' | grep INSTALLED | head -1; }
charon_child_installed() { [ -n "$(charon_child_line "$1")" ]; }
charon_child_count() { charon_sas "$1" | grep -E '^  net: #' | grep -c INSTALLED; }
# SPIs of the installed CHILD SAs, direction in|out, sorted.
charon_child_spis() {
	charon_sas "$1" | awk -v d="$2" '
		/^  net: #/ { inst = ($0 ~ /INSTALLED/) }
		inst && $1 == d { s = $2; sub(/_i$|_o$|,$/, "", s); print s }' | sort
}
