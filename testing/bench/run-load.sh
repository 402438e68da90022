#!/bin/bash
# run-load.sh - the IKE SA load benchmark of issue 5 ("Performance"):
#
#   testing/bench/run-load.sh [N]          (default N = 10000)
#
# Our initiator (testing/bench/load/ikev2d-load) opens N IKE SAs, each with
# its first CHILD SA (PSK, aes128-sha256-ecp256, ESP aes128-sha256, null
# kernel backend on our side), at most WINDOW in flight, from one network
# namespace against a responder in another (veth pair):
#   1. ours:   ikev2d-load -r (the engine on real sockets, null backend)
#   2. charon: Debian's strongSwan charon with kernel-libipsec, so its
#              CHILD SAs really install (userspace ESP; it forces UDP
#              encapsulation, so IKE_AUTH runs on port 4500)
# and prints a table side by side: IKE SAs/s overall and per 10% slice of
# the run, failures, CPU µs per SA on each side (getrusage, /proc/PID/stat:
# meaningful on a busy machine), responder resident memory per established
# IKE SA (RSS growth / SAs) and, for ours, heap bytes per SA (mallinfo2).
#
# Environment:
#   BUILD=DIR      build tree to use (default: $top_builddir, else ./build
#                  next to the sources, configured and built if missing)
#   WINDOW=W       SAs in flight (default 500)
#   RESPONDERS="ours charon"   which runs (default both; charon is skipped
#                  with a note when strongSwan is not installed).  Also
#                  "charon-nl": charon with kernel-netlink only, whose CHILD
#                  SAs fail to install where the kernel lacks ESP (as here),
#                  so it shows charon's IKE cost without libipsec's
#                  per-CHILD-SA work
#   KERNEL=null|discard   our kernel backend: the null backend (default, as
#                  issue 5 asks; it records every SA and policy in the
#                  process, as a kernel would outside it) or one built into
#                  ikev2d-load that keeps nothing, to see the engine's own
#                  memory per SA
#                  or netlink: kernel-netlink on both of our sides, every
#                  CHILD SA really goes into the namespaces' XFRM (needs a
#                  kernel with ESP: testing/bench/guest-xfrm.sh runs it in
#                  the qemu guest, against charon-nl there); the table then
#                  also shows the ESP SAs in the responder's XFRM at the end;
#                  or pfkey: the same through kernel-pfkey (PF_KEY v2), with
#                  ESP aes128-sha1 on every side (charon's too), since PF_KEY
#                  cannot install HMAC-SHA2-256-128
#   KERNEL_SPI=false|true   with KERNEL=netlink|pfkey: our inbound SPIs
#                  picked by us (false, the default here: allocspi = false,
#                  getspi = false) or allocated by the kernel (true, the
#                  backends' default: ALLOCSPI / GETSPI, which on the
#                  guest's kernel cost more the more SAs it holds)
#   THREADS=T      worker threads of our engine on each side (default 2)
#   KE_REUSE=SECS  daemon.ke_reuse_secs on both of our sides (default 0:
#                  a fresh Diffie-Hellman value per IKE SA; with SECS > 0
#                  each worker reuses its value for SECS seconds, RFC 7296
#                  §2.12, trading forward secrecy for speed).  charon always
#                  makes fresh values
#   AUTH=psk|rsa|p256   how both sides authenticate (default psk): rsa and
#                  p256 use certificates made with ikev2cert at start (RSA-2048
#                  or ECDSA P-256 end entities issued by one ECDSA P-256 CA,
#                  the CA as trust anchor; our rule rsa_sig/ecdsa_sig, charon
#                  auth = pubkey with the same responder certificate); each SA
#                  then costs one sign and two verifies per side
#   INIT_AUTH=psk  with AUTH=rsa|p256: mixed authentication (RFC 7296
#                  §2.15; ikev2.config(5) local_auth_method/remote_auth_method,
#                  charon's remote auth = psk): the initiator authenticates
#                  with the pre-shared key and only verifies the responder's
#                  certificate and signature; the responder signs once and
#                  verifies no certificate.  Makes our initiator much cheaper
#                  per SA than either responder, so the rate measures the
#                  responder.  Default: the same as AUTH (signatures both ways)
#   INIT_KE_REUSE=SECS  ke_reuse_secs on our initiator only (default
#                  KE_REUSE): the load generator's Diffie-Hellman value is
#                  reused, the responders always make fresh ones
#   INIT_CPU=LIST, RESP_CPU=LIST   taskset(1) CPU lists for the initiator and
#                  for the responder (ours or charon, all threads), e.g. 0
#                  and 1, so the two never compete for one core
#   KEEP=1         keep the work directory (logs, configs)
#   OUT=FILE       also append the table to FILE
#   RESP_WRAP=CMD  run our responder under CMD, which must run it in its own
#                  process (valgrind --tool=massif does; a wrapper that forks
#                  it, like strace, would leave it running); the figures then
#                  describe the wrapped process
#   PROFILE=1      record each responder with perf (cpu-clock) during the
#                  run; the top symbols land in WORK/NAME.profile (KEEP=1);
#                  PROFILE_GRAPH=dwarf records call chains from DWARF (our
#                  build and the libraries have no frame pointers), for
#                  perf report --children
#   BLOCKS=B       interleave the runs (B >= 2): each responder gets its own
#                  pair of namespaces and its own initiator, all started at
#                  once; the initiators then take turns, one block of N/B
#                  SAs each (order ABAB.. in odd blocks, ..BABA in even ones),
#                  while the other pairs idle with their SAs kept.  A long run
#                  on a machine whose load changes then loads every responder
#                  alike.  Rates leave the other runs' turns out; each
#                  block's time and the load average are printed as it ends
#
# Needs root (network namespaces).  Namespaces bench-i-PID / bench-r-PID,
# addresses 10.93.0.1 (initiator) and 10.93.0.2 (responder), selectors
# 10.93.1.0/24 <-> 10.93.2.0/24; everything started is stopped by PID.
# Not a test: exits 0 when every run established all N SAs, 1 otherwise,
# 77 when it cannot run here.
set -u
N=${1:-10000}
WINDOW=${WINDOW:-500}
THREADS=${THREADS:-2}
KE_REUSE=${KE_REUSE:-0}
case $KE_REUSE in ''|*[!0-9]*) echo "KE_REUSE=SECS (0..300)" >&2; exit 2 ;; esac
RESPONDERS=${RESPONDERS:-ours charon}
KERNEL=${KERNEL:-null}
case $KERNEL in
null) kplugins='"nettle", "psk", "kernel-null"'; kopt= ;;
discard) kplugins='"nettle", "psk"'; kopt="-k discard" ;;
netlink) kplugins='"nettle", "psk", "kernel-netlink"'; kopt= ;;
pfkey) kplugins='"nettle", "psk", "kernel-pfkey"'; kopt= ;;
*) echo "KERNEL=null|discard|netlink|pfkey" >&2; exit 2 ;;
esac
# Real kernels (the qemu guest, TCG): the responder's queue may hold an
# SA for minutes; the initiator keeps retransmitting instead of giving up.
retry_limit=3 response_wait=120
# Inbound SPIs: picked by us (false, default here) or by the kernel (true:
# ALLOCSPI / GETSPI, whose cost grows with the SAs the kernel holds)
KERNEL_SPI=${KERNEL_SPI:-false}
case $KERNEL_SPI in true|false) kspi=$KERNEL_SPI ;; *) echo "KERNEL_SPI=true|false" >&2; exit 2 ;; esac
case $KERNEL in netlink|pfkey) retry_limit=10 response_wait=300 ;; esac
esp_auth=sha256 charon_esp=aes128-sha256
[ "$KERNEL" = pfkey ] && esp_auth=sha1 charon_esp=aes128-sha1
case $N in ''|*[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac
AUTH=${AUTH:-psk}
case $AUTH in
psk) auth_method=preshared ;;
rsa) auth_method=rsa_sig ;;
p256) auth_method=ecdsa_sig ;;
*) echo "AUTH=psk|rsa|p256" >&2; exit 2 ;;
esac
INIT_AUTH=${INIT_AUTH:-$AUTH}
case $INIT_AUTH in
"$AUTH") ;;
psk) [ "$AUTH" != psk ] || { echo "INIT_AUTH=psk needs AUTH=rsa|p256" >&2; exit 2; } ;;
*) echo "INIT_AUTH=psk (or the same as AUTH)" >&2; exit 2 ;;
esac
INIT_KE_REUSE=${INIT_KE_REUSE:-$KE_REUSE}
case $INIT_KE_REUSE in ''|*[!0-9]*) echo "INIT_KE_REUSE=SECS (0..300)" >&2; exit 2 ;; esac
# taskset prefixes (empty: no pinning)
pin_i=() pin_r=()
[ -n "${INIT_CPU:-}" ] && pin_i=(taskset -c "$INIT_CPU")
[ -n "${RESP_CPU:-}" ] && pin_r=(taskset -c "$RESP_CPU")
for p in ${INIT_CPU:+"$INIT_CPU"} ${RESP_CPU:+"$RESP_CPU"}; do
	taskset -c "$p" true 2> /dev/null || { echo "cannot pin to CPU list $p (taskset -c)" >&2; exit 2; }
done
[ "$AUTH" = psk ] || kplugins=$(echo "$kplugins" | sed 's/"nettle", "psk"/"nettle", "gnutls", "psk", "pubkey"/')

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
CHARON=${CHARON:-/usr/lib/ipsec/charon}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"

# ------------------------------------------------------------- build
build=${BUILD:-${top_builddir:-}}
if [ -z "$build" ]; then
	build=$srcdir/build
	if [ ! -f "$build/Makefile" ]; then
		echo "== configuring $build"
		( cd "$srcdir" && { [ -x configure ] || ./autogen.sh; } ) || exit 1
		mkdir -p "$build" && ( cd "$build" && "$srcdir/configure" ) > /dev/null || exit 1
	fi
fi
build=$(cd "$build" && pwd)
if [ -f "$build/Makefile" ]; then
	echo "== building in $build"
	make -C "$build" -j2 testing/bench/load/ikev2d-load plugins/nettle/nettle.la \
		plugins/psk/psk.la kernel-backends/null/kernel-null.la \
		kernel-backends/netlink/kernel-netlink.la \
		$([ "$AUTH" = psk ] || echo plugins/gnutls/gnutls.la plugins/pubkey/pubkey.la tools/ikev2cert/ikev2cert) \
		$([ "$KERNEL" = pfkey ] && echo kernel-backends/pfkey/kernel-pfkey.la) \
		> "$build/run-load.make.log" 2>&1 ||
		{ tail -20 "$build/run-load.make.log"; echo "build failed"; exit 1; }
fi
LOAD=$build/testing/bench/load/ikev2d-load
[ -x "$LOAD" ] || skip "no $LOAD"
export IKEV2D_PLUGIN_PATH=$build/plugins/nettle/.libs:$build/plugins/gnutls/.libs:$build/plugins/pubkey/.libs:$build/plugins/psk/.libs:$build/kernel-backends/null/.libs:$build/kernel-backends/netlink/.libs:$build/kernel-backends/pfkey/.libs

# ------------------------------------------------------ namespaces
NS_I=bench-i-$$ NS_R=bench-r-$$
I=10.93.0.1 R=10.93.0.2
WORK=$(mktemp -d /tmp/bench-load-XXXXXX)
PIDS=()
NSS=()
BLOCKS=${BLOCKS:-1}
case $BLOCKS in ''|*[!0-9]*|0) echo "BLOCKS=B (1..1000)" >&2; exit 2 ;; esac
[ "$BLOCKS" -gt 1 ] && [ -n "${PROFILE:-}" ] && { echo "PROFILE=1 works only without BLOCKS" >&2; exit 2; }
[ "$BLOCKS" -le "$N" ] || { echo "BLOCKS must not exceed N" >&2; exit 2; }

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	local ns
	for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# mkpair SUFFIX: namespaces bench-i-PID[SUFFIX] / bench-r-PID[SUFFIX]
# joined by a veth pair, set as NS_I / NS_R (each pair has the same
# addresses: the pairs do not see each other)
mkpair() {
	NS_I=bench-i-$$$1 NS_R=bench-r-$$$1
	ip netns add "$NS_I" && NSS+=("$NS_I") && ip netns add "$NS_R" && NSS+=("$NS_R") ||
		skip "cannot create network namespaces"
	ip link add bench-vi$$$1 netns "$NS_I" type veth peer name bench-vr$$$1 netns "$NS_R" 2>/dev/null ||
		ip link add bench-vi netns "$NS_I" type veth peer name bench-vr netns "$NS_R" ||
		{ echo "cannot create the veth pair"; exit 1; }
	local vi vr
	vi=$(ip -n "$NS_I" -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1)
	vr=$(ip -n "$NS_R" -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1)
	ip -n "$NS_I" addr add $I/24 dev "$vi"; ip -n "$NS_I" link set "$vi" up; ip -n "$NS_I" link set lo up
	ip -n "$NS_R" addr add $R/24 dev "$vr"; ip -n "$NS_R" link set "$vr" up; ip -n "$NS_R" link set lo up
	# Our side of the selectors, and charon's (libipsec wants its own on the host).
	ip -n "$NS_I" addr add 10.93.1.1/24 dev lo
	ip -n "$NS_R" addr add 10.93.2.1/24 dev lo
}
[ "$BLOCKS" -gt 1 ] || mkpair ""

# ------------------------------------------------------- configs
# our_auth ROLE(i|r): the rule's authentication lines (mixed with
# INIT_AUTH=psk: the initiator uses the key, the responder signs)
our_auth() {
	if [ "$INIT_AUTH" = "$AUTH" ]; then
		echo "		auth_method = \"$auth_method\";"
	elif [ "$1" = i ]; then
		echo "		local_auth_method = \"preshared\"; remote_auth_method = \"$auth_method\";"
	else
		echo "		local_auth_method = \"$auth_method\"; remote_auth_method = \"preshared\";"
	fi
}

# our_config FILE ROLE(i|r) LOCAL REMOTE LOCAL_TS REMOTE_TS
our_config() {
	local f=$1 role=$2
	cat > "$f" <<EOF
# written by testing/bench/run-load.sh
daemon = {
	debug_level = "op";
	preshared_file = "$WORK/ikev2.preshared";
	keystore = "$WORK/ks-$role";
	min_threads = $THREADS;
	max_threads = $THREADS;
	ike_port = 500;
	natt_port = 4500;
	# A load run: no cookies, no half-open limits in the way, and
	# retransmissions patient enough for a busy 2-core machine.
	half_open_max = 10000000;
	half_open_max_per_peer = 10000000;
	cookie_threshold = 10000000;
	half_open_timeout_secs = 600;
	retry_timer_init_ms = 5000;
	retry_limit = $retry_limit;
	response_wait_time = $response_wait;
	ke_reuse_secs = $([ "$role" = i ] && echo "$INIT_KE_REUSE" || echo "$KE_REUSE");
};
plugins = {
	load = [ $kplugins ];
	critical = [ $kplugins ];
$([ "$KERNEL" = pfkey ] && echo "	kernel-pfkey = { state_file = \"$WORK/pfkey-$role.journal\"; getspi = $kspi; };")
$([ "$KERNEL" = netlink ] && echo "	kernel-netlink = { allocspi = $kspi; };")
};
rules = (
	{
		label = "load";
$(our_auth "$role")
		local_addr = "$3";
		remote_addr = "$4";
		local_id = { type = "fqdn"; value = "$role.bench.test"; };
		remote_id = { type = "fqdn"; value = "$([ "$role" = i ] && echo r || echo i).bench.test"; };
		ikesa_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; } );
		ikesa_lifetime_secs = 86400;
		childsa = (
			{
				local_ts = "$5";
				remote_ts = "$6";
				esp_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "$esp_auth"; } );
				childsa_lifetime_secs = 86400;
				childsa_softlife_secs = 80000;
			}
		);
	}
);
EOF
	chmod 600 "$f"
}
cat > "$WORK/ikev2.preshared" <<EOF
keys = ( { label = "load"; key = "bench-load-secret"; } );
EOF
chmod 600 "$WORK/ikev2.preshared"
# Certificates (AUTH=rsa|p256): a CA, one end entity per side, each
# side's keystore with its own and the CA as anchor.
if [ "$AUTH" != psk ]; then
	CERT=$build/tools/ikev2cert/ikev2cert
	[ -x "$CERT" ] || skip "no $CERT (AUTH=$AUTH needs ikev2cert and the gnutls plugin)"
	mkdir -p "$WORK/ca"
	{
		"$CERT" -k "$WORK/ks-i" gencert keytype=ec subject="CN=Bench CA" ca=yes \
			outcert="$WORK/ca/ca.pem" outkey="$WORK/ca/ca.key" || exit 1
		for r in i r; do
			if [ "$AUTH" = rsa ]; then kt="keytype=rsa keylen=2048"; else kt="keytype=ec curve=secp256r1"; fi
			"$CERT" -k "$WORK/ks-$r" setpin &&
			"$CERT" -k "$WORK/ks-$r" gencsr $kt subject="CN=$r.bench.test" \
				altname=dns=$r.bench.test label=ee outcsr="$WORK/ca/$r.csr" &&
			"$CERT" -k "$WORK/ks-$r" signcsr csr="$WORK/ca/$r.csr" cacert="$WORK/ca/ca.pem" \
				cakey="$WORK/ca/ca.key" outcert="$WORK/ca/$r.pem" &&
			"$CERT" -k "$WORK/ks-$r" import infile="$WORK/ca/$r.pem" label=ee &&
			"$CERT" -k "$WORK/ks-$r" import infile="$WORK/ca/ca.pem" objtype=cacert label=ca || exit 1
		done
	} > "$WORK/certs.log" 2>&1 || { cat "$WORK/certs.log"; echo "making the certificates failed"; exit 1; }
fi
our_config "$WORK/init.config" i $I $R 10.93.1.0/24 10.93.2.0/24
our_config "$WORK/resp.config" r $R $I 10.93.2.0/24 10.93.1.0/24

# -------------------------------------------------------- helpers
# wait_for SECS CMD...: until CMD succeeds
wait_for() {
	local t=$(( $1 * 10 )); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t - 1)); done
	return 1
}

# stop_pid PID: TERM, then KILL after 10 s
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
}

# initiate NAME RESPONDER_PID: run our initiator, report in $WORK/NAME.report
# (with BLOCKS > 1: in blocks, each waiting for SIGUSR1; EXEC=exec in a
# background subshell makes $! the initiator's own PID, for the signals)
initiate() {
	${EXEC:-} "${pin_i[@]}" ip netns exec "$NS_I" "$LOAD" $kopt -f "$WORK/init.config" -i load -n "$N" -w "$WINDOW" \
		-p "$2" -T "${TIMEOUT:-1800}" $([ "$BLOCKS" -gt 1 ] && echo "-b $BLOCKS") \
		> "$WORK/$1.report" 2> "$WORK/$1.init.log"
}

# xfrm_count NAME: ESP SAs in the responder's XFRM now (netlink, pfkey)
xfrm_count() {
	[ "$KERNEL" = netlink ] || [ "$KERNEL" = pfkey ] || return 0
	echo "resp_xfrm_sas=$(ip -n "$NS_R" xfrm state count | sed -n 's/.* \([0-9]*\)$/\1/p')" >> "$WORK/$1.report"
}

field() { sed -n "s/^$2=//p" "$WORK/$1.report" | head -1; }

# profile_start NAME PID / profile_stop NAME: with PROFILE=1, record the
# responder with perf (cpu-clock) while our initiator runs
perf_pid=
profile_start() {
	[ -n "${PROFILE:-}" ] || return 0
	perf record -q -e cpu-clock -F "${PROFILE_FREQ:-4999}" --call-graph "${PROFILE_GRAPH:-fp}" -p "$2" -o "$WORK/$1.perf.data" \
		> "$WORK/$1.perf.log" 2>&1 &
	perf_pid=$!
	PIDS+=("$perf_pid")
	sleep 1
}
profile_stop() {
	[ -n "$perf_pid" ] || return 0
	kill -INT "$perf_pid"; wait "$perf_pid"; perf_pid=
	perf report -i "$WORK/$1.perf.data" --no-children --sort dso,symbol --stdio -g none \
		2>/dev/null | grep '%' | head -60 > "$WORK/$1.profile"
	echo "responder profile (PROFILE=1): $WORK/$1.profile, $WORK/$1.perf.data"
}

# --------------------------------------------------- ours vs ours
ok=0 runs=0
# Each run is NAME_start (the responder; sets resp_pid), the initiator,
# then NAME_finish (stops the responder, adds its figures to the report).
declare -A RESP_PID INIT_PID NSI NSR
ours_start() {
	echo "== ours vs ours: $N IKE SAs, window $WINDOW"
	"${pin_r[@]}" ip netns exec "$NS_R" ${RESP_WRAP:-} "$LOAD" $kopt -f "$WORK/resp.config" -r \
		> "$WORK/ours.resp" 2> "$WORK/ours.resp.log" &
	resp_pid=$!
	PIDS+=("$resp_pid")
	wait_for 60 grep -q "responder ready" "$WORK/ours.resp.log" ||
		{ tail "$WORK/ours.resp.log"; echo "our responder did not start"; return 1; }
	kill -USR1 "$resp_pid"
	wait_for 5 grep -q "^resp " "$WORK/ours.resp"
}
ours_finish() {
	local pid=$1
	kill -USR1 "$pid"
	wait_for 5 test "$(grep -c '^resp ' "$WORK/ours.resp")" -ge 2
	stop_pid "$pid"
	local h0 h1 est
	h0=$(grep '^resp ' "$WORK/ours.resp" | sed -n '1s/.*heap_bytes=\([0-9]*\).*/\1/p')
	h1=$(grep '^resp ' "$WORK/ours.resp" | sed -n '2s/.*heap_bytes=\([0-9]*\).*/\1/p')
	est=$(grep '^resp ' "$WORK/ours.resp" | sed -n '2s/.* established=\([0-9]*\).*/\1/p')
	[ -n "$est" ] && echo "resp_established=$est" >> "$WORK/ours.report"
	# (mallinfo2 reads 0 under sanitizers: no heap figure then)
	if [ -n "$h0" ] && [ "${h1:-0}" -gt 0 ] && [ "${est:-0}" -gt 0 ]; then
		echo "heap_bytes_per_sa=$(( (h1 - h0) / est ))" >> "$WORK/ours.report"
	fi
}

# ------------------------------------------------- ours vs charon
# charon_start NAME KERNEL(libipsec|netlink)
charon_start() {
	local name=$1 kernel=$2 kplugins
	echo "== ours vs charon (kernel-$kernel): $N IKE SAs, window $WINDOW"
	case $kernel in
	libipsec) kplugins="kernel-libipsec kernel-netlink" ;;
	*) kplugins="kernel-netlink" ;;
	esac
	local d=$WORK/$name cauth=psk crauth=psk
	mkdir -p "$d/run"
	if [ "$AUTH" != psk ]; then
		cauth=pubkey crauth=pubkey
		[ "$INIT_AUTH" = psk ] && crauth=psk
		mkdir -p "$d/x509" "$d/x509ca" "$d/private"
		cp "$WORK/ca/r.pem" "$d/x509/"
		cp "$WORK/ks-r/private/ee.pem" "$d/private/r.key"
		cp "$WORK/ca/ca.pem" "$d/x509ca/"
	fi
	cat > "$d/strongswan.conf" <<EOF
# written by testing/bench/run-load.sh: charon as a load responder, tuned
# as strongSwan advises for many IKE SAs (hashed SA table, no DoS limits
# in the way of one busy peer), logging at level 0 like our "op".
charon {
	load_modular = no
	load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints sha1 sha2 mgf1 hmac kdf gmp $kplugins socket-default vici
	ikesa_table_size = 65536
	ikesa_table_segments = 64
	dos_protection = no
	cookie_threshold = 10000000
	cookie_threshold_ip = 10000000
	block_threshold = 10000000
	half_open_timeout = 600
	install_virtual_ip = no
	filelog {
		charon {
			path = $d/charon.log
			default = 0
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
	plugins {
		vici { socket = unix://$d/charon.vici }
	}
}
EOF
	cat > "$d/swanctl.conf" <<EOF
connections {
	load {
		version = 2
		local_addrs = $R
		remote_addrs = $I
		proposals = aes128-sha256-ecp256
		mobike = no
		unique = never
		local { auth = $cauth
			id = r.bench.test
			$([ "$AUTH" = psk ] || echo "certs = r.pem") }
		remote { auth = $crauth
			id = i.bench.test }
		children {
			net {
				local_ts = 10.93.2.0/24
				remote_ts = 10.93.1.0/24
				esp_proposals = $charon_esp
				life_time = 24h
				rekey_time = 22h
			}
		}
		rekey_time = 24h
	}
}
secrets {
	ike-load {
		id-1 = r.bench.test
		id-2 = i.bench.test
		secret = "bench-load-secret"
	}
}
EOF
	"${pin_r[@]}" ip netns exec "$NS_R" sh -c "mount --bind '$d/run' /run && STRONGSWAN_CONF='$d/strongswan.conf' exec '$CHARON'" \
		> "$d/charon.out" 2>&1 &
	resp_pid=$!
	PIDS+=("$resp_pid")
	wait_for 10 test -S "$d/charon.vici" ||
		{ cat "$d/charon.out"; echo "charon did not start"; return 1; }
	swanctl --load-all --noprompt --file "$d/swanctl.conf" --uri "unix://$d/charon.vici" \
		> "$d/load.log" 2>&1 || { cat "$d/load.log"; echo "swanctl --load-all failed"; return 1; }
	sleep 0.5
}
charon_finish() {   # PID NAME
	local d=$WORK/$2 name=$2
	stop_pid "$1"
	# What charon itself saw come up (its log, complete once it exited:
	# level 0 names each IKE SA).
	echo "resp_established=$(grep -c 'IKE_SA .* established between' "$d/charon.log")" \
		>> "$WORK/$name.report"
}

have_charon=1
[ -x "$CHARON" ] && command -v swanctl > /dev/null &&
	[ -f /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] || have_charon=0

# start_resp NAME: start responder NAME (sets resp_pid); 1 when it cannot
# run here (skipped, with a note), 2 when it failed to start
start_resp() {
	resp_pid=
	case $1 in
	ours) ours_start || return 2 ;;
	charon|charon-nl)
		if [ $have_charon = 0 ]; then
			echo "== $1: skipped (strongswan-charon, strongswan-swanctl$([ "$1" = charon ] &&
				echo " and libcharon-extra-plugins") needed)"
			return 1
		fi
		charon_start "$1" "$([ "$1" = charon ] && echo libipsec || echo netlink)" || return 2 ;;
	*) echo "unknown responder $1"; return 1 ;;
	esac
}
finish_resp() {   # NAME
	[ -n "${RESP_PID[$1]:-}" ] || return 0
	case $1 in
	ours) ours_finish "${RESP_PID[$1]}" ;;
	*) charon_finish "${RESP_PID[$1]}" "$1" ;;
	esac
}
usepair() { NS_I=${NSI[$1]} NS_R=${NSR[$1]}; }

names=()
if [ "$BLOCKS" -le 1 ]; then
	for r in $RESPONDERS; do
		start_resp "$r"
		case $? in 1) continue ;; 0) ;; *) runs=$((runs + 1)); names+=("$r"); continue ;; esac
		RESP_PID[$r]=$resp_pid
		profile_start "$r" "$resp_pid"
		initiate "$r" "$resp_pid"
		xfrm_count "$r"
		profile_stop "$r"
		finish_resp "$r"
		runs=$((runs + 1))
		names+=("$r")
	done
else
	# Interleaved: every responder with its own pair and initiator, all
	# paused before their first block.
	k=0
	for r in $RESPONDERS; do
		k=$((k + 1))
		mkpair "-$k"
		NSI[$r]=$NS_I NSR[$r]=$NS_R
		start_resp "$r"
		case $? in 1) continue ;; 0) ;; *) runs=$((runs + 1)); names+=("$r"); continue ;; esac
		RESP_PID[$r]=$resp_pid
		( EXEC=exec initiate "$r" "$resp_pid" ) &
		INIT_PID[$r]=$!
		PIDS+=("${INIT_PID[$r]}")
		wait_for 60 grep -qs "^paused=0" "$WORK/$r.report" ||
			{ tail "$WORK/$r.init.log"; echo "$r: the initiator did not start"; unset "INIT_PID[$r]"; }
		runs=$((runs + 1))
		names+=("$r")
	done
	echo "== interleaved: $BLOCKS blocks of $((N / BLOCKS)) SAs per responder, in turn"
	for b in $(seq 1 "$BLOCKS"); do
		order=("${names[@]}")
		if [ $((b % 2)) = 0 ]; then
			order=(); for r in "${names[@]}"; do order=("$r" "${order[@]}"); done
		fi
		for r in "${order[@]}"; do
			pid=${INIT_PID[$r]:-}
			[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || continue
			t0=$(date +%s.%N)
			kill -USR1 "$pid"
			if [ "$b" -lt "$BLOCKS" ]; then
				while kill -0 "$pid" 2>/dev/null &&
					! grep -q "^paused=$b\$" "$WORK/$r.report"; do sleep 0.2; done
			else
				wait "$pid"
			fi
			awk -v t0="$t0" -v t1="$(date +%s.%N)" -v b="$b" -v B="$BLOCKS" -v r="$r" \
				-v n="$((b * N / BLOCKS - (b - 1) * N / BLOCKS))" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
				'BEGIN { printf "block %d/%d %-10s %6.1f s, %5.1f SAs/s, load %s\n", b, B, r, t1 - t0, n / (t1 - t0), l }'
		done
	done
	for r in "${names[@]}"; do
		[ -n "${INIT_PID[$r]:-}" ] && wait "${INIT_PID[$r]}" 2>/dev/null
		usepair "$r"
		xfrm_count "$r"
		finish_resp "$r"
	done
fi
for r in "${names[@]}"; do
	# How busy each side kept a CPU (100 = one CPU all the run): the side
	# near 100 with fewer CPUs than threads to spare is what bounds the rate.
	[ -f "$WORK/$r.report" ] && awk -F= '{ v[$1] = $2 } END {
		if (v["seconds"] > 0 && v["established"] > 0) {
			if (v["init_cpu_us_per_sa"] != "")
				printf "init_busy_pct=%.0f\n", v["init_cpu_us_per_sa"] * v["established"] / v["seconds"] / 1e4
			if (v["resp_cpu_us_per_sa"] != "")
				printf "resp_busy_pct=%.0f\n", v["resp_cpu_us_per_sa"] * v["established"] / v["seconds"] / 1e4
		} }' "$WORK/$r.report" >> "$WORK/$r.report.x" && cat "$WORK/$r.report.x" >> "$WORK/$r.report"
	# Both sides must agree: our responder counts its SAs too.  charon-nl
	# cannot install CHILD SAs where the kernel has no ESP.
	[ -f "$WORK/$r.report" ] && [ "$(field "$r" established)" = "$N" ] &&
		{ [ "$r" = charon-nl ] || [ "$(field "$r" child_established)" = "$N" ]; } &&
		[ "$(field "$r" resp_established)" = "$N" ] &&
		ok=$((ok + 1))
done

# ----------------------------------------------------------- table
table() {
	local host commit
	host="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	commit=$(git -C "$srcdir" rev-parse --short HEAD 2>/dev/null || echo "?")
	echo
	echo "IKE SA load: N=$N window=$WINDOW threads=$THREADS kernel=$KERNEL auth=$AUTH init_auth=$INIT_AUTH ke_reuse_secs=$KE_REUSE init_ke_reuse_secs=$INIT_KE_REUSE cpus=${INIT_CPU:-any}/${RESP_CPU:-any}; $(date -u '+%F %T UTC'); commit $commit"
	echo "machine: $host; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-34s' "responder"
	for r in "${names[@]}"; do printf '%16s' "$r"; done
	echo
	row() {   # LABEL FIELD
		printf '%-34s' "$1"
		for r in "${names[@]}"; do
			local v
			v=$([ -f "$WORK/$r.report" ] && field "$r" "$2")
			printf '%16s' "${v:--}"
		done
		echo
	}
	row "IKE SAs established" established
	row "failed" failed
	row "unfinished (timeout)" unfinished
	row "CHILD SAs (initiator)" child_established
	row "IKE SAs the responder counts" resp_established
	{ [ "$KERNEL" = netlink ] || [ "$KERNEL" = pfkey ]; } && row "ESP SAs in the responder's XFRM" resp_xfrm_sas
	row "seconds" seconds
	row "IKE SAs/s overall" rate
	[ "$BLOCKS" -gt 1 ] && row "blocks (interleaved; s paused)" paused_seconds
	row "initiator CPU us/SA" init_cpu_us_per_sa
	row "responder CPU us/SA" resp_cpu_us_per_sa
	row "initiator busy, % of a CPU" init_busy_pct
	row "responder busy, % of a CPU" resp_busy_pct
	row "responder waits/SA (ctx switches)" resp_ctxsw_per_sa
	row "responder preempted/SA" resp_preempted_per_sa
	row "responder RSS bytes/SA" resp_rss_bytes_per_sa
	row "responder heap bytes/SA (malloc)" heap_bytes_per_sa
	printf '%-34s' "IKE SAs/s per 10% slice"
	echo
	for r in "${names[@]}"; do
		printf '  %-32s%s\n' "$r" "$([ -f "$WORK/$r.report" ] && field "$r" slice_rates)"
	done
	echo "responder CPU us/SA per 10% slice"
	for r in "${names[@]}"; do
		printf '  %-32s%s\n' "$r" "$([ -f "$WORK/$r.report" ] && field "$r" slice_resp_cpu_us)"
	done
	echo "initiator CPU us/SA per 10% slice"
	for r in "${names[@]}"; do
		printf '  %-32s%s\n' "$r" "$([ -f "$WORK/$r.report" ] && field "$r" slice_init_cpu_us)"
	done
	if [ ${#names[@]} -eq 2 ]; then
		local a b
		a=$(field "${names[0]}" rate); b=$(field "${names[1]}" rate)
		[ -n "$a" ] && [ -n "$b" ] && [ "$b" != 0 ] &&
			awk -v a="$a" -v b="$b" -v x="${names[0]}" -v y="${names[1]}" \
				'BEGIN { printf "rate ratio %s/%s: %.2f\n", x, y, a / b }'
		a=$(field "${names[0]}" resp_cpu_us_per_sa); b=$(field "${names[1]}" resp_cpu_us_per_sa)
		[ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" -v x="${names[0]}" -v y="${names[1]}" \
			'BEGIN { if (a > 0) printf "responder CPU ratio %s/%s: %.2f\n", y, x, b / a }'
	fi
}
table | tee ${OUT:+-a "$OUT"}
[ $runs -gt 0 ] || exit 77
[ $ok -eq $runs ] || { KEEP=1; echo "not every run established all $N IKE SAs and CHILD SAs"; exit 1; }
exit 0
