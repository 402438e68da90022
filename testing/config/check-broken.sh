#!/bin/bash
# check-broken.sh - `in.ikev2d -c` on the shipped example configuration
# (must pass, exit 0) and on every broken example in broken/ (must fail,
# exit non-zero, printing each message its "# expect:" lines give).  The
# directives are those test_config.c reads; see there.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
daemon=${IKEV2D_DAEMON:-$top_builddir/core/daemon/in.ikev2d}
if [ ! -x "$daemon" ]; then
	echo "SKIP: $daemon is not built"
	exit 77
fi

tmp=$(mktemp -d /tmp/config-check-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Is plugin $1 built somewhere on IKEV2D_PLUGIN_PATH?
plugin_built() {
	local d
	local IFS=:
	for d in ${IKEV2D_PLUGIN_PATH:-}; do
		[ -e "$d/$1.so" ] || [ -e "$d/$1.la" ] && return 0
	done
	return 1
}

# The shipped example: git does not keep mode 0600, so copy it.  -c loads
# its plugins, so it can pass only when they are all built.
cp "$top_srcdir/cfg/ikev2.config" "$tmp/ikev2.config"
install -m 600 "$top_srcdir/cfg/ikev2.preshared" "$tmp/ikev2.preshared"
missing=
for p in $(sed -n 's/^[[:space:]]*load = \[\(.*\)\];.*/\1/p' "$top_srcdir/cfg/ikev2.config" | tr -d '",'); do
	plugin_built "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "skip cfg/ikev2.config: plugins not built:$missing"
elif ! out=$("$daemon" -c -f "$tmp/ikev2.config" 2>&1); then
	echo "FAIL: cfg/ikev2.config does not pass -c:"
	echo "$out"
	fail=1
fi

n=0
for src in "$top_srcdir"/testing/config/broken/*.config; do
	name=$(basename "$src")
	rm -rf "$tmp/case" && mkdir "$tmp/case"
	file=$tmp/case/$name
	psk=$tmp/case/ikev2.preshared
	cp "$src" "$file"
	psk_line=$(sed -n 's/^# preshared: //p' "$src")
	if [ -n "$psk_line" ]; then
		set -- $psk_line
		install -m "$2" "$top_srcdir/testing/config/broken/$1" "$psk"
		owner=$(sed -n 's/^# owner: //p' "$src")
		if [ -n "$owner" ]; then
			if [ "$(id -u)" != 0 ]; then
				echo "skip $name: chown needs root"
				continue
			fi
			chown "$owner" "$psk"
		fi
	fi
	out=$("$daemon" -c -f "$file" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "FAIL: $name passed -c"
		fail=1
	fi
	while IFS= read -r want; do
		want=${want//FILE/$file}
		want=${want//PSK/$psk}
		if ! grep -qF -- "$want" <<<"$out"; then
			echo "FAIL: $name: missing message: $want"
			echo "$out" | sed 's/^/    /'
			fail=1
		fi
	done < <(sed -n 's/^# expect: //p' "$src")
	n=$((n + 1))
done
echo "checked cfg/ikev2.config and $n broken examples"
if [ "$n" -lt 25 ]; then
	echo "FAIL: too few broken examples found"
	fail=1
fi
exit $fail
