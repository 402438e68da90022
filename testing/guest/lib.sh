# testing/guest/lib.sh - for test scripts that run inside the guest (bash,
# sourced).  One boot is expensive (TCG), so a script runs many checks:
#
#   . "$top_srcdir/testing/guest/lib.sh"
#   check "ESP SA add" ip xfrm state add ...
#   check_fn "ping through" my_function     # any command or function
#   checks_done                             # summary; exit 1 if one failed
#
# Each check runs in a subshell with its output indented; a failing one is
# reported with its output and the script carries on, so one boot shows
# every failure.  `guest_only` refuses to run on the host by mistake.

set -u
GUEST_PASSED=0
GUEST_FAILED=0
GUEST_FAILED_NAMES=

guest_only() {
	[ "$(hostname)" = guest ] && [ -d /run/guest-io ] ||
		{ echo "this script runs inside the guest: testing/guest/run.sh $0" >&2; exit 2; }
}

guest_up() { cut -d' ' -f1 /proc/uptime; }

# check NAME CMD [ARGS...]: run CMD, count it as passed on exit 0.
# GUEST_CHECKS (a grep -E pattern), when set, runs only the checks whose
# name matches (development: one check without the others' time).
check() {
	local name=$1 t0 rc out
	shift
	if [ -n "${GUEST_CHECKS:-}" ] && ! printf '%s' "$name" | grep -qE -- "$GUEST_CHECKS"; then
		printf 'skip %s (GUEST_CHECKS)\n' "$name"
		return 0
	fi
	t0=$(guest_up)
	out=$( ("$@") 2>&1 )
	rc=$?
	if [ $rc = 0 ]; then
		GUEST_PASSED=$((GUEST_PASSED + 1))
		printf 'ok   %s (%ss)\n' "$name" "$(awk -v a="$t0" -v b="$(guest_up)" 'BEGIN { printf "%.1f", b - a }')"
		[ -n "${GUEST_VERBOSE:-}" ] && [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/     | /'
	else
		GUEST_FAILED=$((GUEST_FAILED + 1))
		GUEST_FAILED_NAMES="$GUEST_FAILED_NAMES
  $name"
		printf 'FAIL %s (exit %s)\n' "$name" "$rc"
		printf '%s\n' "$out" | tail -n 60 | sed 's/^/     | /'
	fi
	return 0
}
check_fn() { check "$@"; }

# checks_done: print the summary and exit (1 if any check failed, 1 if none ran).
checks_done() {
	echo "guest checks: $GUEST_PASSED ok, $GUEST_FAILED failed"
	if [ "$GUEST_FAILED" != 0 ]; then
		echo "failed:$GUEST_FAILED_NAMES"
		exit 1
	fi
	[ "$GUEST_PASSED" != 0 ] || { echo "no check ran"; exit 1; }
	exit 0
}

# xfrm_packets NETNS SPI: packets counted on the SA with that SPI in NETNS
# ("" for the host's namespace), from `ip -s xfrm state`; 0 if none.
xfrm_packets() {
	local ns=${1:+-n $1}
	# shellcheck disable=SC2086
	ip $ns -s xfrm state | awk -v spi="$(printf '0x%08x' "$2")" '
		/^src / { mine = 0 }
		$1 == "proto" && $3 == "spi" { s = $4; sub(/\(.*/, "", s); mine = (s == spi) }
		mine && /lifetime current:/ { want = 1; next }
		mine && want { sub(/.*\(bytes\), */, ""); sub(/\(packets\).*/, ""); n = $0; want = 0 }
		END { print n + 0 }'
}
