# lib.sh - shared by the namespace, interop and bad-input harnesses (bash,
# sourced).  Network namespaces and veth pairs named net-*, 10.x addresses
# only inside them, everything started is remembered by PID and stopped by
# PID at exit, namespaces deleted by name.
#
# Environment (set by make check / testing/run-tests.sh, or guessed):
#   top_srcdir, top_builddir   source and build trees
#   IKEV2D_PLUGIN_PATH         where the built plugins are
#   IKEV2D_TESTS_FORCE=1       run scenarios even when `in.ikev2d -V` does
#                              not list their capability (development)
#   KEEP=1                     leave the work directory for inspection
#
# Capabilities: a scenario that needs a daemon feature calls
# `require_cap NAME`; it runs only when the "capabilities:" line printed by
# `in.ikev2d -V` contains NAME, and is skipped (exit 77, saying why)
# otherwise.  Names used: ike (IKE_SA_INIT + IKE_AUTH with PSK and the first
# CHILD SA), rekey-child, rekey-ike, rekey-collision, dpd, delete, natt,
# cookie, natt-keepalive, acquire, expire, mapping, ipv6, id-types,
# asym-psk, transport, pfs, esn, ts-narrow, initial-contact (see
# ENGINE_CAPABILITIES in core/exchange/engine.h).

set -u

SKIP=77
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	for d in "$PWD" "$top_srcdir/build" "$top_srcdir"; do
		if [ -x "$d/core/daemon/in.ikev2d" ] || [ -x "$d/core/daemon/.libs/in.ikev2d" ] ||
		   [ -f "$d/core/daemon/in.ikev2d" ]; then
			top_builddir=$d
			break
		fi
	done
	: "${top_builddir:=$top_srcdir/build}"
fi
: "${IKEV2D_PLUGIN_PATH:=$top_builddir/plugins/nettle/.libs:$top_builddir/plugins/gnutls/.libs:$top_builddir/plugins/psk/.libs:$top_builddir/kernel-backends/null/.libs}"
export top_srcdir top_builddir IKEV2D_PLUGIN_PATH
DAEMON=${DAEMON:-$top_builddir/core/daemon/in.ikev2d}

PIDS=()
NETNS=()
WORK=

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
skip() { log "SKIP: $*"; echo "SKIP: $*"; exit $SKIP; }
fail() { log "FAIL: $*"; FAILED=1; }
FAILED=0

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${KEEP:-0}" = 1 ] || [ "$FAILED" != 0 ]; then
			log "work directory kept: $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	ip netns add net-probe-$$ 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del net-probe-$$
}

need_daemon() {
	[ -x "$DAEMON" ] || skip "in.ikev2d not built at $DAEMON"
}

# The daemon's capability list (from `in.ikev2d -V`).
daemon_caps() {
	"$DAEMON" -V 2>/dev/null | sed -n 's/^capabilities: *//p'
}

require_cap() {
	local c
	need_daemon
	[ "${IKEV2D_TESTS_FORCE:-0}" = 1 ] && return 0
	for c in "$@"; do
		case " $(daemon_caps) " in
		*" $c "*) ;;
		*) skip "in.ikev2d does not report capability '$c' yet (in.ikev2d -V); set IKEV2D_TESTS_FORCE=1 to run anyway" ;;
		esac
	done
}

mkwork() {   # prefix
	WORK=$(mktemp -d "/tmp/net-${1:-test}-XXXXXX")
	chmod 700 "$WORK"
}

# ns_add NAME: a namespace with loopback up, deleted at exit.
ns_add() {
	ip netns del "$1" 2>/dev/null
	ip netns add "$1" || { fail "ip netns add $1"; exit 1; }
	NETNS+=("$1")
	ip -n "$1" link set lo up
}

# link_ns NS1 IF1 ADDR1/LEN NS2 IF2 ADDR2/LEN: a veth pair between them.
link_ns() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || { fail "veth $2/$5"; exit 1; }
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# Wait until a command succeeds: wait_for SECONDS command...
wait_for() {
	local t=$1; shift
	local end=$(( $(date +%s%N) / 1000000 + t * 1000 ))
	while :; do
		"$@" && return 0
		[ $(( $(date +%s%N) / 1000000 )) -ge $end ] && return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------- in.ikev2d

# write_config DIR key=value...: an ikev2.config + ikev2.preshared pair in
# DIR for one rule.  Keys: label local remote local_id remote_id (type:value,
# e.g. fqdn:a.test, ip:10.88.0.1) psk ike_port natt_port auto_start (true|
# false) local_ts remote_ts (empty: host-to-host) ike_xform (libconfig
# text of one or more
# ikesa_xform entries) esp_xform (same for esp_xform) child_life child_soft
# ike_life dpd extra_daemon extra_rule extra_child (lines for the childsa
# group, e.g. 'childsa_pfs = 19;') kernel (null, the default, userspace:
# the kernel-userspace backend with its counters in DIR/esp.stats,
# netlink: kernel-netlink into the namespace's XFRM, or pfkey:
# kernel-pfkey, its journal in DIR/pfkey.journal) debug.
# IKEV2D_TEST_PRIVSEP=true|false in the environment sets daemon.privsep
# (a suite run with and without privilege separation).
write_config() {
	local dir=$1; shift
	local label=rule local= remote= local_id= remote_id= psk=secret
	local ike_port=500 natt_port=4500 auto_start=false lts= rts= debug=all
	local ike_xform='{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; }'
	local esp_xform='{ encr_alg = "aes-gcm"; encr_keylen = 128; }'
	local child_life= child_soft= ike_life= dpd= extra_daemon= extra_rule= mode=tunnel
	local extra_child= kernel=null
	local kv k v
	for kv in "$@"; do
		k=${kv%%=*}; v=${kv#*=}
		case $k in
		label) label=$v ;; local) local=$v ;; remote) remote=$v ;;
		local_id) local_id=$v ;; remote_id) remote_id=$v ;; psk) psk=$v ;;
		ike_port) ike_port=$v ;; natt_port) natt_port=$v ;;
		auto_start) auto_start=$v ;; local_ts) lts=$v ;; remote_ts) rts=$v ;;
		ike_xform) ike_xform=$v ;; esp_xform) esp_xform=$v ;;
		child_life) child_life=$v ;; child_soft) child_soft=$v ;;
		ike_life) ike_life=$v ;; dpd) dpd=$v ;; mode) mode=$v ;;
		extra_daemon) extra_daemon=$v ;; extra_rule) extra_rule=$v ;;
		extra_child) extra_child=$v ;;
		kernel) kernel=$v ;;
		debug) debug=$v ;;
		*) echo "write_config: unknown key $k" >&2; return 1 ;;
		esac
	done
	: "${local_id:=ip:$local}" "${remote_id:=ip:$remote}"
	mkdir -p "$dir"
	cat > "$dir/ikev2.config" <<EOF
# generated by testing/netns/lib.sh
daemon = {
	debug_level = "$debug";
	ike_port = $ike_port;
	natt_port = $natt_port;
	pid_file = "$dir/in.ikev2d.pid";
	preshared_file = "$dir/ikev2.preshared";
	min_threads = 2;
	max_threads = 4;
$(if [ -n "${IKEV2D_TEST_PRIVSEP:-}" ]; then echo "	privsep = $IKEV2D_TEST_PRIVSEP;"; fi)
	$extra_daemon
};
plugins = {
$(if [ "$kernel" = userspace ]; then cat <<EOP
	load = [ "nettle", "psk", "kernel-userspace" ];
	critical = [ "nettle", "psk", "kernel-userspace" ];
	kernel-userspace = {
		stats_file = "$dir/esp.stats";
	};
EOP
elif [ "$kernel" = netlink ]; then cat <<EOP
	load = [ "nettle", "psk", "kernel-netlink" ];
	critical = [ "nettle", "psk", "kernel-netlink" ];
EOP
elif [ "$kernel" = pfkey ]; then cat <<EOP
	load = [ "nettle", "psk", "kernel-pfkey" ];
	critical = [ "nettle", "psk", "kernel-pfkey" ];
	kernel-pfkey = {
		state_file = "$dir/pfkey.journal";
	};
EOP
else cat <<EOP
	load = [ "nettle", "psk", "kernel-null" ];
	critical = [ "nettle", "psk", "kernel-null" ];
	kernel-null = {
		state_file = "$dir/kernel.state";
		control = "$dir/kernel.ctl";
	};
EOP
fi)
};
rules = (
	{
		label = "$label";
		auth_method = "preshared";
		local_addr = "$local";
		remote_addr = "$remote";
		local_id = { type = "${local_id%%:*}"; value = "${local_id#*:}"; };
		remote_id = { type = "${remote_id%%:*}"; value = "${remote_id#*:}"; };
		auto_start = $auto_start;
		ikesa_xform = ( $ike_xform );
		$( [ -n "$ike_life" ] && echo "ikesa_lifetime_secs = $ike_life;" )
		$( [ -n "$dpd" ] && echo "dpd_interval = $dpd;" )
		$extra_rule
		childsa = (
			{
				$( [ -n "$lts" ] && echo "local_ts = \"$lts\";" )
				$( [ -n "$rts" ] && echo "remote_ts = \"$rts\";" )
				esp_xform = ( $esp_xform );
				mode = "$mode";
				$( [ -n "$child_life" ] && echo "childsa_lifetime_secs = $child_life;" )
				$( [ -n "$child_soft" ] && echo "childsa_softlife_secs = $child_soft;" )
				$extra_child
			}
		);
	}
);
EOF
	cat > "$dir/ikev2.preshared" <<EOF
keys = ( { label = "$label"; key = "$psk"; } );
EOF
	chmod 600 "$dir/ikev2.preshared" "$dir/ikev2.config"
}

# start_daemon NS DIR: in.ikev2d in the foreground in NS, log DIR/daemon.log.
start_daemon() {
	local ns=$1 dir=$2
	"$DAEMON" -c -f "$dir/ikev2.config" > "$dir/check.log" 2>&1 || {
		cat "$dir/check.log"
		fail "in.ikev2d -c rejects $dir/ikev2.config"
		return 1
	}
	ip netns exec "$ns" env IKEV2D_PLUGIN_PATH="$IKEV2D_PLUGIN_PATH" \
		"$DAEMON" -d -f "$dir/ikev2.config" -p "$dir/in.ikev2d.pid" \
		> "$dir/daemon.log" 2>&1 &
	echo $! > "$dir/daemon.pid"
	PIDS+=("$!")
	# Up when the IKE socket is bound (or the daemon is dead).
	# (START_WAIT: seconds; a qemu guest under TCG needs far more)
	if ! wait_for "${START_WAIT:-10}" grep -q "net: listening on" "$dir/daemon.log"; then
		tail -20 "$dir/daemon.log"
		fail "in.ikev2d in $ns did not start listening"
		return 1
	fi
}

daemon_pid() { cat "$1/daemon.pid"; }

# A stopped process leaves the list cleanup kills at exit: its number may
# belong to someone else's process by then.
forget_pid() {   # PID
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

stop_daemon() {   # DIR [signal]
	local pid
	pid=$(daemon_pid "$1")
	kill -"${2:-TERM}" "$pid" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || { forget_pid "$pid"; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	forget_pid "$pid"
	return 1
}

daemon_alive() { kill -0 "$(daemon_pid "$1")" 2>/dev/null; }

# Before starting another daemon in NS on the same ports: wait until no
# socket holds UDP 500/4500 there (shows who does, and fails, if one stays).
wait_ports_free() {   # NS
	wait_for 10 sh -c "! ip netns exec $1 ss -Hlun 'sport = :500 or sport = :4500' | grep -q ." && return 0
	ip netns exec "$1" ss -lunp
	fail "UDP 500/4500 still bound in $1 after the daemon stopped"
	return 1
}

# ------------------------------------------------- null backend state

state_file() { echo "$1/kernel.state"; }

# Number of installed SAs recorded by the null backend in DIR.
sa_count() {
	local f
	f=$(state_file "$1")
	[ -f "$f" ] || { echo 0; return; }
	grep -c '^sa ' "$f"
}

spi_count() {
	local f
	f=$(state_file "$1")
	[ -f "$f" ] || { echo 0; return; }
	grep -c '^spi ' "$f"
}

policy_count() {
	local f
	f=$(state_file "$1")
	[ -f "$f" ] || { echo 0; return; }
	grep -c '^policy ' "$f"
}

# SPIs of direction in|out, one per line, sorted.
sa_spis() {   # DIR in|out
	grep "^sa dir=$2 " "$(state_file "$1")" 2>/dev/null |
		sed 's/.* spi=\([0-9a-f]*\) .*/\1/' | sort
}

# A field of the SA lines: sa_field DIR in|out FIELD -> values
sa_field() {
	grep "^sa dir=$2 " "$(state_file "$1")" 2>/dev/null |
		tr ' ' '\n' | sed -n "s/^$3=//p"
}

has_sas() { [ "$(sa_count "$1")" -eq "$2" ]; }

# Both daemons agree: each one's outbound SPIs are the other's inbound.
sas_paired() {   # DIR_A DIR_B N (SAs per direction per side)
	local a_out b_in b_out a_in n=$3
	a_out=$(sa_spis "$1" out); b_in=$(sa_spis "$2" in)
	b_out=$(sa_spis "$2" out); a_in=$(sa_spis "$1" in)
	[ "$(echo "$a_out" | grep -c .)" -eq "$n" ] &&
	[ "$(echo "$a_in" | grep -c .)" -eq "$n" ] &&
	[ "$a_out" = "$b_in" ] && [ "$b_out" = "$a_in" ]
}

# Write a line to a daemon's null-backend control FIFO.
kernel_ctl() {   # DIR command...
	local f="$1/kernel.ctl"; shift
	[ -p "$f" ] || { fail "no control FIFO $f"; return 1; }
	echo "$*" > "$f"
}

show_state() {   # DIR [name]
	echo "--- ${2:-$1} kernel-null state:"
	cat "$(state_file "$1")" 2>/dev/null
}

# Finish: 0 if nothing failed.
finish() {
	if [ "$FAILED" != 0 ]; then
		log "RESULT: FAIL"
		exit 1
	fi
	log "RESULT: PASS"
	exit 0
}
