#!/bin/bash
# package.sh - the Debian packages: dpkg-buildpackage -us -uc -b on a copy
# of the tree, lintian clean (no E: or W:), then a throwaway Debian 12 root
# (debootstrap, cached under /var/tmp, used through an overlay so the cache
# stays clean) booted with a real systemd as PID 1 (systemd-nspawn
# --boot): there the packages are installed, the service is started from
# its unit, checked in /proc and with ikeadm, makes an IKE SA with charon,
# is reloaded and stopped with systemctl, badly owned files are refused,
# and the packages are removed and purged (testing/package/boot.sh).
# Private mount and network namespaces: nothing outside them changes but
# the cache.
#
# Needs root, dpkg-buildpackage (dpkg-dev, debhelper), lintian,
# debootstrap, systemd-nspawn (systemd-container) and a Debian mirror for
# the first run (exit 77 otherwise).  IKEV2D_PKGROOT overrides the cached
# root's path.
set -u
top=${top_srcdir:?}
top=$(cd "$top" && pwd)
SKIP=77
log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
FAILED=0
fail() { log "FAIL: $*"; FAILED=1; }
ok() { log "ok: $*"; }

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (chroot, namespaces)"; exit $SKIP; }
for t in dpkg-buildpackage dh lintian debootstrap unshare nsenter systemd-nspawn python3; do
	command -v $t >/dev/null || { echo "SKIP: $t is not installed"; exit $SKIP; }
done

W=$(mktemp -d /var/tmp/ikev2d-package.XXXXXX)
trap '[ "${KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"' EXIT
version=$(sed -n '1s/.*(\(.*\)).*/\1/p' "$top/debian/changelog")

# ---------------------------------------------------------------- build
src=$W/src/ikev2d-$version
mkdir -p "$src"
if [ -d "$top/.git" ] || [ -f "$top/.git" ]; then
	( cd "$top" && git ls-files -co --exclude-standard | grep -v '^build' |
	  tar -cf - -T - ) | tar -xf - -C "$src"
else
	( cd "$top" && tar --exclude='./build*' --exclude=./.git -cf - . ) | tar -xf - -C "$src"
fi
log "dpkg-buildpackage -us -uc -b"
start=$(date +%s)
if [ -n "${IKEV2D_PKG_REUSE:-}" ]; then
	# development only: packages built before, in that directory
	cp "$IKEV2D_PKG_REUSE"/*.deb "$IKEV2D_PKG_REUSE"/*.changes "$IKEV2D_PKG_REUSE"/*.buildinfo "$W/src/"
	: > "$W/build.log"
elif ! ( cd "$src" && dpkg-buildpackage -us -uc -b -j"${JOBS:-2}" ) > "$W/build.log" 2>&1; then
	tail -40 "$W/build.log"
	fail "dpkg-buildpackage failed"
	exit 1
fi
ok "packages built in $(( $(date +%s) - start )) s: $(cd "$W/src" && ls *.deb | grep -v dbgsym | tr '\n' ' ')"
grep '^plugin ' "$W/build.log"
for p in libikev2d0 ikev2d ikev2d-control ikev2d-curl ikev2d-tools ikev2d-dev; do
	[ -f "$W/src/${p}_${version}_"*.deb ] || fail "no $p package"
done
dpkg -c "$W/src/ikev2d_${version}_"*.deb | grep 'plugins/nettle.so$' >/dev/null || fail "nettle is not in ikev2d"
dpkg -c "$W/src/ikev2d-control_${version}_"*.deb | grep 'plugins/control.so$' >/dev/null &&
dpkg -c "$W/src/ikev2d-control_${version}_"*.deb | grep 'sbin/ikeadm$' >/dev/null || fail "control.so or ikeadm not in ikev2d-control"
# curl (and so libcurl) is an optional group of its own, not in the core
dpkg -c "$W/src/ikev2d-curl_${version}_"*.deb | grep 'plugins/curl.so$' >/dev/null || fail "curl.so not in ikev2d-curl"
! dpkg -c "$W/src/ikev2d_${version}_"*.deb | grep 'plugins/curl.so$' >/dev/null || fail "curl.so is in the core package ikev2d"
dpkg -c "$W/src/ikev2d-dev_${version}_"*.deb | grep 'include/ikev2d/plugin.h$' >/dev/null || fail "no plugin.h in ikev2d-dev"
dpkg -c "$W/src/ikev2d-dev_${version}_"*.deb | grep 'pkgconfig/ikev2d.pc$' >/dev/null || fail "no ikev2d.pc in ikev2d-dev"

lintian "$W/src/"*.changes > "$W/lintian.log" 2>&1
if grep -E '^(E|W): ' "$W/lintian.log"; then
	fail "lintian reports errors or warnings"
else
	ok "lintian: no errors, no warnings"
fi

# --------------------------------------------------------- the root
includes=systemd,adduser,logrotate,libgnutls30,libnettle8,libhogweed6,libconfig9,libltdl7,libcap2,libseccomp2,libsystemd0,libgmp10,libmnl0,libedit2,libcurl3-gnutls,procps,iproute2
cache=${IKEV2D_PKGROOT:-/var/tmp/ikev2d-pkgroot-bookworm-2}
if [ ! -x "$cache/usr/bin/setpriv" ]; then
	log "debootstrap bookworm into $cache (cached for the next runs)"
	rm -rf "$cache.tmp"
	if ! debootstrap --variant=minbase --include=$includes bookworm "$cache.tmp" \
	     http://deb.debian.org/debian > "$W/debootstrap.log" 2>&1; then
		tail -5 "$W/debootstrap.log"
		rm -rf "$cache.tmp"
		echo "SKIP: debootstrap failed (no Debian mirror?)"
		exit $SKIP
	fi
	mv "$cache.tmp" "$cache"
fi
mkdir -p "$W/debs"
cp "$W/src/"*.deb "$W/debs/"
# ikeadm needs libedit2, which roots cached before it was in the list lack:
# the host's (the same Debian release) joins the packages installed.
if ! ls "$cache"/usr/lib/*/libedit.so.2 > /dev/null 2>&1; then
	( cd "$W/debs" && apt-get download libedit2 ) > "$W/libedit.log" 2>&1 ||
		{ cat "$W/libedit.log"; fail "the cached root lacks libedit2 and apt-get download libedit2 failed"; exit 1; }
fi
rm -f "$W/debs/"*dbgsym*

# The rest (testing/package/boot.sh) runs in private mount and network
# namespaces, in the root booted with systemd as PID 1.
if top_srcdir=$top unshare --mount --net --fork bash "$top/testing/package/boot.sh" "$W" "$cache"; then
	:
else
	fail "the install test in the booted root failed"
fi
[ $FAILED = 0 ] && log "RESULT: PASS" || log "RESULT: FAIL"
exit $FAILED
