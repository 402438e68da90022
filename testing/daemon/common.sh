# common.sh - sourced by the in.ikev2d tests: a temp dir, the daemon's
# path, config writers and log waiting.  Every daemon started here is
# killed by PID on exit.
: "${top_srcdir:?run from make check}" "${top_builddir:?run from make check}"

DAEMON="$top_builddir/core/daemon/in.ikev2d"
[ -x "$DAEMON" ] || { echo "FAIL: $DAEMON not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ikev2d-daemon.XXXXXX") || exit 99
pids=
cleanup() {
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.log; do
		[ -f "$f" ] && { echo "--- $f"; cat "$f"; }
	done
	exit 1
}

# Skip (77) unless the plugins the daemon needs to start are built.
need_plugins() {
	for p in "$@"; do
		found=no
		IFS=:
		for d in $IKEV2D_PLUGIN_PATH; do
			[ -f "$d/$p.so" ] && found=yes
		done
		unset IFS
		[ $found = yes ] || { echo "SKIP: plugin '$p' is not built (configure --enable-$p?)"; exit 77; }
	done
}

# A UDP port pair well above the privileged range, per test run: an even
# base from the PID, so tests started together (consecutive PIDs under
# make -j) never share a port, moved on while either port is taken.
port_base=$(( 20000 + ($$ % 20000) * 2 ))
while ss -Hlun "sport = :$port_base or sport = :$((port_base + 1))" 2>/dev/null | grep -q .; do
	port_base=$(( port_base + 2 > 60000 ? 20000 : port_base + 2 ))
done

# write_config FILE [debug_level]: a valid configuration with no rules.
write_config() {
	cat >"$1" <<CFG
daemon = {
	debug_level = "${2:-op}";
	min_threads = 1;
	max_threads = 4;
	ike_port = $port_base;
	natt_port = $((port_base + 1));
};
plugins = {
	load = [ "nettle", "kernel-null" ];
	critical = [ "nettle" ];
};
CFG
}

# wait_log FILE PATTERN [seconds]: wait until FILE has a line matching.
wait_log() {
	i=0
	limit=$(( ${3:-10} * 10 ))
	while [ $i -lt $limit ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_exit PID [seconds]: wait for a child to exit; sets $status.
wait_exit() {
	i=0
	limit=$(( ${2:-10} * 10 ))
	while kill -0 "$1" 2>/dev/null; do
		[ $i -lt $limit ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
	wait "$1"
	status=$?
	return 0
}
