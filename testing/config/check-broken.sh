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

# The shipped examples: git does not keep mode 0600, so copy each with its
# directory and fix the modes.  -c loads the plugins, so an example can pass
# only when all its plugins are built.
check_example() {   # $1: example config, relative to the source tree
	local dir=$tmp/example missing= p out
	rm -rf "$dir" && mkdir "$dir"
	cp "$top_srcdir/$(dirname "$1")"/* "$dir/" 2>/dev/null
	chmod 600 "$dir"/*.preshared 2>/dev/null
	for p in $(sed -n 's/^[[:space:]]*load = \[\(.*\)\];.*/\1/p' "$top_srcdir/$1" | tr -d '",'); do
		plugin_built "$p" || missing="$missing $p"
	done
	# an example that comes with a script making its keystore (ikev2cert)
	if [ -z "$missing" ] && [ -f "$dir/mkkeystore.sh" ]; then
		if [ ! -x "$top_builddir/tools/ikev2cert/ikev2cert" ]; then
			missing=" (ikev2cert, for mkkeystore.sh)"
		elif ! out=$(cd "$dir" && IKEV2CERT="$(cd "$top_builddir" && pwd)/tools/ikev2cert/ikev2cert" \
				sh ./mkkeystore.sh 2>&1); then
			echo "FAIL: $(dirname "$1")/mkkeystore.sh failed:"
			echo "$out"
			fail=1
			return
		fi
	fi
	if [ -n "$missing" ]; then
		echo "skip $1: plugins not built:$missing"
	elif ! out=$("$daemon" -c -f "$dir/$(basename "$1")" 2>&1); then
		echo "FAIL: $1 does not pass -c:"
		echo "$out"
		fail=1
	else
		echo "ok $1"
	fi
}
check_example cfg/ikev2.config
check_example cfg/certs/ikev2.config
for f in "$top_srcdir"/cfg/demo/*.config; do
	[ -e "$f" ] && check_example "cfg/demo/$(basename "$f")"
done

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
echo "checked the shipped examples and $n broken examples"
if [ "$n" -lt 25 ]; then
	echo "FAIL: too few broken examples found"
	fail=1
fi
exit $fail
