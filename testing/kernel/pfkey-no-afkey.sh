#!/bin/sh
# pfkey-no-afkey.sh - on a kernel without AF_KEY, `in.ikev2d -c` with
# kernel-pfkey fails and says why (the qemu guest suite guest-pfkey covers
# kernels that have it).
daemon=$top_builddir/core/daemon/in.ikev2d
if python3 -c 'import socket; socket.socket(socket.AF_KEY, socket.SOCK_RAW, 2)' 2>/dev/null; then
	echo "SKIP: this kernel has AF_KEY (testing/suites/guest-pfkey.sh covers it)"
	exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp "$top_srcdir"/cfg/pfkey/ikev2.config "$top_srcdir"/cfg/pfkey/ikev2.preshared "$tmp/"
chmod 600 "$tmp"/*
if "$daemon" -c -f "$tmp/ikev2.config" > "$tmp/out" 2>&1; then
	cat "$tmp/out"; echo "FAIL: -c accepted kernel-pfkey without AF_KEY"; exit 1
fi
cat "$tmp/out"
grep -q "kernel-pfkey: cannot open a PF_KEY socket: .*no AF_KEY" "$tmp/out" ||
	{ echo "FAIL: no clear reason"; exit 1; }
grep -q "critical plugin 'kernel-pfkey' is not loaded" "$tmp/out" ||
	{ echo "FAIL: not reported as a missing critical plugin"; exit 1; }
echo "ok: -c names the missing AF_KEY"
