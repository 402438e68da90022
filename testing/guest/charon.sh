# testing/guest/charon.sh - Debian's strongSwan charon as a peer inside the
# guest, with real kernel SAs: charon runs with its kernel-netlink plugin in
# a network namespace of its own, so it has its own XFRM state and policy
# database (network namespaces separate XFRM) next to an in.ikev2d in
# another namespace with whichever backend it tests.  Sourced (bash) by a
# guest check script after testing/guest/lib.sh; it works with or without
# testing/netns/lib.sh (it brings what testing/interop/charon.sh needs).
#
#   guest_charon_ok                       0 when charon, swanctl and the
#                                         plugins it needs are installed
#                                         (prints what is missing otherwise)
#   guest_charon_start DIR NS key=value...
#                                         configure and start charon in NS
#                                         (keys of charon_start in
#                                         testing/interop/charon.sh; kernel
#                                         is forced to netlink)
#   guest_charon_stop DIR                 stop it by PID (SIGTERM: charon
#                                         removes its SAs and policies)
#   guest_charon_wait_child DIR [SECS]    until a CHILD SA is INSTALLED
#   guest_charon_initiate DIR             charon starts the connection
#                                         ("peer", child "net")
#   guest_charon_rekeys DIR               "CHILD IKE": rekeys charon logged
#
# and everything of testing/interop/charon.sh: charon_ctl, charon_sas,
# charon_child_line, charon_child_spis, ...  The connection is "peer", its
# child "net"; charon's log is DIR/charon.log (loglevel 1; key loglevel=2
# for more).  Process starts are slow under TCG: charon gets
# CHARON_START_WAIT seconds (default 60 here) to open its vici socket.

: "${top_srcdir:?top_srcdir must be set}"

# What testing/interop/charon.sh expects of testing/netns/lib.sh, when a
# script did not source that.
declare -p PIDS > /dev/null 2>&1 || PIDS=()
declare -F fail > /dev/null || fail() { echo "FAIL: $*"; return 1; }
declare -F skip > /dev/null || skip() { echo "SKIP: $*"; exit 77; }
declare -F forget_pid > /dev/null || forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}
declare -F wait_for > /dev/null || wait_for() {   # SECS CMD...
	local end=$(( $(date +%s) + $1 )); shift
	until "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.2
	done
}

. "$top_srcdir/testing/interop/charon.sh"
: "${CHARON_START_WAIT:=60}"
export CHARON_START_WAIT

guest_charon_ok() {
	local p missing=
	[ -x "$CHARON" ] || missing="$missing $CHARON"
	[ -x "$SWANCTL" ] || missing="$missing $SWANCTL"
	for p in openssl gmp curve25519 gcm kernel-netlink vici; do
		[ -f "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] || missing="$missing plugin:$p"
	done
	[ -z "$missing" ] && return 0
	echo "strongSwan incomplete:$missing (apt-get install strongswan-charon strongswan-swanctl libstrongswan-standard-plugins libstrongswan-extra-plugins libcharon-extra-plugins)"
	return 1
}

guest_charon_start() {   # DIR NS key=value...
	local dir=$1 ns=$2; shift 2
	mkdir -p "$dir"
	# charon's kernel-netlink installs its routes into table 220 of its
	# own namespace; a short retransmission schedule keeps a lost
	# exchange from stalling a check for minutes.
	charon_start "$dir" "$ns" "$@" kernel=netlink
}

guest_charon_stop() { charon_stop "$1"; }

guest_charon_wait_child() {   # DIR [SECS]
	wait_for "${2:-60}" charon_child_installed "$1"
}

guest_charon_initiate() {   # DIR
	charon_ctl "$1" --initiate --child net --timeout 60 > "$1/initiate.log" 2>&1 &
}

# Rekeys in charon's log (loglevel >= 1 logs both kinds).
guest_charon_rekeys() {   # DIR
	local c i
	c=$(grep -c "CHILD_SA net{[0-9]*} established" "$1/charon.log" 2>/dev/null || true)
	i=$(grep -cE "IKE_SA peer\[[0-9]+\] rekeyed|rekeyed IKE_SA|IKE_SA rekeyed" "$1/charon.log" 2>/dev/null || true)
	echo "${c:-0} ${i:-0}"
}
