#!/bin/bash
# package.sh - the Debian packages: dpkg-buildpackage -us -uc -b on a copy
# of the tree, lintian clean (no E: or W:), then in a throwaway Debian 12
# root (debootstrap, cached under /var/tmp, used through an overlay so the
# cache stays clean) install, start the service as its unit says, ask it
# through ikeadm (root served, others refused), reload, refuse badly owned
# files, stop, remove and purge.
#
# systemd cannot be PID 1 in the chroot, so the unit is run by hand: its
# ExecStartPre and ExecStart lines, under its CapabilityBoundingSet,
# NoNewPrivileges and UMask (setpriv), with NOTIFY_SOCKET pointing at a
# listener that records what the daemon tells systemd; ExecReload is run
# with $MAINPID filled in.  Private mount and network namespaces: nothing
# outside them changes but the cache.
#
# Needs root, dpkg-buildpackage (dpkg-dev, debhelper), lintian,
# debootstrap and a Debian mirror for the first run (exit 77 otherwise).
# IKEV2D_PKGROOT overrides the cached root's path.
set -u
top=${top_srcdir:?}
top=$(cd "$top" && pwd)
SKIP=77
log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
FAILED=0
fail() { log "FAIL: $*"; FAILED=1; }
ok() { log "ok: $*"; }

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (chroot, namespaces)"; exit $SKIP; }
for t in dpkg-buildpackage dh lintian debootstrap unshare setpriv python3; do
	command -v $t >/dev/null || { echo "SKIP: $t is not installed"; exit $SKIP; }
done

W=$(mktemp -d /var/tmp/ikev2d-package.XXXXXX)
trap 'rm -rf "$W"' EXIT
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

# The rest runs in private mount and network namespaces.
cat > "$W/inroot.sh" <<'INROOT'
set -u
W=$1 cache=$2
log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
FAILED=0
fail() { log "FAIL: $*"; FAILED=1; }
ok() { log "ok: $*"; }
R=$W/root
mkdir -p "$W/upper" "$W/work" "$R"
if ! mount -t overlay overlay -o lowerdir="$cache",upperdir="$W/upper",workdir="$W/work" "$R"; then
	log "no overlayfs: copying the root"
	cp -a "$cache/." "$R/"
fi
mount -t proc proc "$R/proc"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
mount --rbind /dev "$R/dev"
ip link set lo up
in_root() { chroot "$R" "$@"; }
mkdir -p "$R/tmp/debs"
cp "$W/debs/"*.deb "$R/tmp/debs/"

# install
pkgs=$(for d in "$W/debs/"*.deb; do dpkg-deb -f "$d" Package; done | tr '\n' ' ')
if in_root sh -c 'dpkg -i /tmp/debs/*.deb' > "$W/install.log" 2>&1; then
	ok "dpkg -i of $pkgs"
else
	cat "$W/install.log"; fail "dpkg -i failed"; exit 1
fi
in_root getent passwd ikeuser >/dev/null && ok "postinst made ikeuser" || fail "no ikeuser after install"
uid=$(in_root id -u ikeuser)
for d in "/var/log/ikev2 ikeuser 750" "/etc/inet/ike/keystore ikeuser 700" "/run/ikev2d ikeuser 750"; do
	set -- $d
	got=$(in_root stat -c '%U %a' "$1" 2>/dev/null)
	[ "$got" = "$2 $3" ] && ok "$1 is $got" || fail "$1 is '$got', expected '$2 $3'"
done
unit=$R/lib/systemd/system/ikev2d.service
[ -f "$unit" ] || { fail "no unit installed"; exit 1; }
[ -f "$R/etc/logrotate.d/ikev2d" ] || fail "no logrotate file"
in_root logrotate -d /etc/logrotate.d/ikev2d > "$W/logrotate.log" 2>&1 || { cat "$W/logrotate.log"; fail "logrotate -d rejects its file"; }

# configuration: the shipped example, owned as in.ikev2d(8) says
cp "$R/usr/share/doc/ikev2d/examples/ikev2.config" "$R/usr/share/doc/ikev2d/examples/ikev2.preshared" "$R/etc/inet/ike/"
in_root chown ikeuser:ikeuser /etc/inet/ike/ikev2.config /etc/inet/ike/ikev2.preshared
chmod 600 "$R/etc/inet/ike/ikev2.config" "$R/etc/inet/ike/ikev2.preshared"
# debug_logfile in the packaged log directory
sed -i 's|^daemon = {|daemon = {\n\tdebug_logfile = "/var/log/ikev2/in.ikev2d.log";|' "$R/etc/inet/ike/ikev2.config"
# privilege separation (HACKING.md): a parent with the backend's
# capabilities, an engine with none (PACKAGE_PRIVSEP=false: one process)
privsep=${PACKAGE_PRIVSEP:-true}
sed -i "s|^daemon = {|daemon = {\n\tprivsep = $privsep;|" "$R/etc/inet/ike/ikev2.config"

# the unit's settings as setpriv arguments
bset=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' |
       sed 's/cap_/+/g; s/ /,/g')
grep -q '^NoNewPrivileges=yes' "$unit" || fail "the unit lacks NoNewPrivileges=yes"
grep -q '^Type=notify' "$unit" || fail "the unit is not Type=notify"
umask_v=$(sed -n 's/^UMask=//p' "$unit")
pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
exe=$(sed -n 's/^ExecStart=//p' "$unit")
reload=$(sed -n 's/^ExecReload=//p' "$unit")
run_unit() {   # command line...
	chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET=/run/notify.sock \
		sh -c "umask $umask_v; exec setpriv --no-new-privs --bounding-set -all,$bset $*"
}
log "unit: ExecStartPre=$pre; ExecStart=$exe; bounding set $bset; UMask=$umask_v"

# what the daemon tells systemd
python3 - "$R/run/notify.sock" "$W/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        m = s.recv(4096).decode(errors="replace")
        f.write(m.replace("\n", " ") + "\n")
PY
listener=$!
for _ in $(seq 50); do [ -S "$R/run/notify.sock" ] && break; sleep 0.1; done
chmod 666 "$R/run/notify.sock"
touch "$W/notify.log"

if run_unit "$pre" > "$W/pre.log" 2>&1; then
	ok "ExecStartPre ($pre): $(tail -1 "$W/pre.log")"
else
	cat "$W/pre.log"; fail "ExecStartPre failed"
fi
run_unit "$exe" > "$W/daemon.log" 2>&1 &
for _ in $(seq 300); do grep -q 'READY=1' "$W/notify.log" && break; sleep 0.1; done
grep -q 'READY=1' "$W/notify.log" && ok "READY=1 sent" || { cat "$W/daemon.log"; fail "no READY=1 in 30 s"; }
mainpid=$(sed -n 's/.*MAINPID=\([0-9]*\).*/\1/p' "$W/notify.log" | head -1)
[ -n "$mainpid" ] && [ -d "/proc/$mainpid" ] || { cat "$W/daemon.log"; fail "no running MAINPID"; exit 1; }
[ "$(cat "$R/run/ikev2d/in.ikev2d.pid" 2>/dev/null)" = "$mainpid" ] && ok "pid file /run/ikev2d/in.ikev2d.pid = MAINPID $mainpid" ||
	fail "pid file does not hold $mainpid"
st=/proc/$mainpid/status
for f in Uid Gid; do
	set -- $(sed -n "s/^$f:[[:space:]]*//p" $st)
	[ "$1 $2 $3 $4" = "$uid $uid $uid $uid" ] || [ $f = Gid ] || fail "$f is $*, expected ikeuser ($uid) in all four"
done
ok "running as ikeuser: Uid $(sed -n 's/^Uid:[[:space:]]*//p' $st)"
# The shipped example loads kernel-netlink, which declares CAP_NET_ADMIN
# (bit 12) and nothing else; kernel-null declares none.
want=0
grep -q '"kernel-netlink"' "$R/etc/inet/ike/ikev2.config" && want=$((1 << 12))
for set in CapEff CapPrm CapBnd; do
	v=$(sed -n "s/^$set:[[:space:]]*//p" $st)
	[ "$((0x$v))" -eq "$want" ] || fail "$set is $v, expected only the backend's declared capabilities ($(printf %x $want))"
done
for set in CapInh CapAmb; do
	v=$(sed -n "s/^$set:[[:space:]]*//p" $st)
	[ "$((0x$v))" -eq 0 ] || fail "$set is $v, expected 0"
done
ok "only the backend's capabilities ($(printf %x $want)): $(grep -E '^Cap(Eff|Prm|Bnd)' $st | tr -s '\t ' ' ' | tr '\n' ' ')"
grep -q '^NoNewPrivs:[[:space:]]*1' $st && grep -q '^Seccomp:[[:space:]]*2' $st &&
	ok "NoNewPrivs 1, Seccomp 2" || fail "NoNewPrivs/Seccomp: $(grep -E '^(NoNewPrivs|Seccomp):' $st | tr '\n' ' ')"
if [ "$privsep" = true ]; then
	# the engine and the keys process (HACKING.md, "The keys process")
	kids=$(cat /proc/$mainpid/task/*/children 2>/dev/null)
	[ "$(echo $kids | wc -w)" -eq 2 ] ||
		fail "privsep: the parent $mainpid has children '$kids', expected the engine and the keys process"
	for epid in $kids; do
		est=/proc/$epid/status
		set -- $(sed -n "s/^Uid:[[:space:]]*//p" $est)
		[ "$1 $2 $3 $4" = "$uid $uid $uid $uid" ] || fail "child $epid: Uid is $*, expected ikeuser ($uid)"
		for set in CapEff CapPrm CapBnd CapInh CapAmb; do
			v=$(sed -n "s/^$set:[[:space:]]*//p" $est)
			[ "$((0x$v))" -eq 0 ] || fail "child $epid: $set is $v, expected none"
		done
		grep -q '^NoNewPrivs:[[:space:]]*1' $est && grep -q '^Seccomp:[[:space:]]*2' $est ||
			fail "child $epid: NoNewPrivs/Seccomp: $(grep -E '^(NoNewPrivs|Seccomp):' $est | tr '\n' ' ')"
		ok "privsep: child $epid as ikeuser with no capabilities: $(grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp)' $est | tr -s '\t ' ' ' | tr '\n' ' ')"
	done
fi
grep -q 'running as ikeuser' "$W/daemon.log" || fail "no 'running as ikeuser' log line"
[ -s "$R/var/log/ikev2/in.ikev2d.log" ] && ok "debug_logfile written in /var/log/ikev2" || fail "no debug_logfile"

# ikeadm over the control socket (ikev2d-control): the daemon opened it
# as root before switching to ikeuser, and serves it under seccomp
sock=/var/run/in.ikev2d.ctl
# (under privsep the parent, as root, gives it to ikeuser; the engine
# takes the descriptor over)
sock_owner=root
[ "$privsep" = true ] && sock_owner=ikeuser
[ "$(in_root stat -L -c '%U:%G %a' $sock 2>/dev/null)" = "$sock_owner:root 660" ] &&
	ok "control socket $sock is $sock_owner:root 0660" || fail "control socket: $(in_root stat -L -c '%U:%G %a' $sock 2>&1), expected $sock_owner:root 660"
[ "$privsep" != true ] || grep -q "the socket the privsep parent opened" "$W/daemon.log" ||
	fail "privsep: the engine did not take the parent's control socket over"
if in_root ikeadm get stats > "$W/ikeadm.log" 2>&1 &&
   in_root ikeadm -j dump rule > "$W/rules.json" 2>> "$W/ikeadm.log" &&
   python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r else 1)' "$W/rules.json"; then
	ok "ikeadm (root): get stats, dump rule --json ($(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$W/rules.json") rules)"
else
	cat "$W/ikeadm.log" "$W/rules.json"; fail "ikeadm as root against the packaged daemon"
fi
in_root setpriv --reuid=nobody --regid=nogroup --clear-groups ikeadm get stats > "$W/ikeadm-nobody.log" 2>&1
st=$?
[ $st = 5 ] && ok "ikeadm as nobody refused (exit 5)" || { cat "$W/ikeadm-nobody.log"; fail "ikeadm as nobody: exit $st, expected 5"; }
kill -0 "$mainpid" 2>/dev/null || fail "the daemon died serving ikeadm"

# reload (ExecReload)
n_ready=$(grep -c 'READY=1' "$W/notify.log")
sh -c "${reload//\$MAINPID/$mainpid}"
for _ in $(seq 100); do [ "$(grep -c 'READY=1' "$W/notify.log")" -gt "$n_ready" ] && break; sleep 0.1; done
[ "$privsep" != true ] || for _ in $(seq 100); do grep -q 'engine: configuration reloaded from the parent' "$W/daemon.log" && break; sleep 0.1; done
grep -q 'RELOADING=1' "$W/notify.log" && grep -q 'configuration reloaded' "$W/daemon.log" &&
	{ [ "$privsep" != true ] || grep -q 'engine: configuration reloaded from the parent' "$W/daemon.log"; } &&
	ok "ExecReload: RELOADING=1, reloaded, READY=1 again" || { tail "$W/daemon.log"; fail "reload did not work"; }

# files with the wrong owner or mode, each refused with its fix
check_refused() {   # what, expected message, setup, undo
	eval "$3"
	if run_unit "$pre" > "$W/bad.log" 2>&1; then
		fail "$1: in.ikev2d -c accepted it"
	elif grep -qF "$2" "$W/bad.log"; then
		ok "$1 refused: $2"
	else
		cat "$W/bad.log"; fail "$1: expected message: $2"
	fi
	eval "$4"
}
E=/etc/inet/ike
check_refused "a group-readable preshared file" \
	"$E/ikev2.preshared: the preshared file is accessible by group or others (mode 0640); fix: chmod 0600 $E/ikev2.preshared" \
	"chmod 640 $R$E/ikev2.preshared" "chmod 600 $R$E/ikev2.preshared"
check_refused "a preshared file of another user" \
	"$E/ikev2.preshared: the preshared file is owned by uid 65534, not by the daemon's user (ikeuser, uid $uid) or root; fix: chown ikeuser $E/ikev2.preshared" \
	"in_root chown nobody $E/ikev2.preshared" "in_root chown ikeuser $E/ikev2.preshared"
check_refused "a group-writable configuration" \
	"$E/ikev2.config: the configuration file is writable by group or others (mode 0660); fix: chmod 0640 $E/ikev2.config" \
	"chmod 660 $R$E/ikev2.config" "chmod 600 $R$E/ikev2.config"
check_refused "a configuration of another user" \
	"$E/ikev2.config: the configuration file is owned by uid 65534, not by the daemon's user (ikeuser, uid $uid) or root; fix: chown ikeuser $E/ikev2.config" \
	"in_root chown nobody $E/ikev2.config" "in_root chown ikeuser $E/ikev2.config"
check_refused "a world-writable log directory" \
	"/var/log/ikev2: the log directory is writable by group or others (mode 0757); fix: chmod 0755 /var/log/ikev2" \
	"chmod 757 $R/var/log/ikev2" "chmod 750 $R/var/log/ikev2"
check_refused "an open keystore" \
	"$E/keystore: the keystore directory is accessible by group or others (mode 0755); fix: chmod 0700 $E/keystore" \
	"chmod 755 $R$E/keystore" "chmod 700 $R$E/keystore"
check_refused "a readable private key" \
	"$E/keystore/private/k.pem: a private key file is accessible by group or others (mode 0644); fix: chmod 0600 $E/keystore/private/k.pem" \
	"mkdir -m 700 $R$E/keystore/private; echo x > $R$E/keystore/private/k.pem; chmod 644 $R$E/keystore/private/k.pem; in_root chown -R ikeuser $E/keystore/private" \
	"rm -rf $R$E/keystore/private"
check_refused "an unknown daemon.user" \
	"daemon.user: there is no user 'nosuchuser' on this system" \
	"sed -i 's|^daemon = {|daemon = {\n\tuser = \"nosuchuser\";|' $R$E/ikev2.config" \
	"sed -i '/user = \"nosuchuser\";/d' $R$E/ikev2.config"
# a reload meeting a bad file keeps the running configuration
chmod 644 "$R$E/ikev2.preshared"
kill -HUP "$mainpid"
for _ in $(seq 100); do grep -q 'reload of .* failed' "$W/daemon.log" && break; sleep 0.1; done
chmod 600 "$R$E/ikev2.preshared"
grep -q 'reload of .* failed' "$W/daemon.log" && kill -0 "$mainpid" 2>/dev/null &&
	ok "SIGHUP with a readable preshared file: refused, daemon still running" || fail "bad reload not refused"

# stop (what systemd does: SIGTERM to MAINPID)
kill -TERM "$mainpid"
for _ in $(seq 100); do kill -0 "$mainpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$mainpid" 2>/dev/null && { fail "still running 10 s after SIGTERM"; kill -KILL "$mainpid"; }
grep -q 'STOPPING=1' "$W/notify.log" && ok "SIGTERM: STOPPING=1, stopped" || fail "no STOPPING=1"
[ -e "$R/run/ikev2d/in.ikev2d.pid" ] && fail "pid file left behind" || ok "pid file removed"
kill "$listener" 2>/dev/null

# remove, then purge
in_root dpkg -r $pkgs > "$W/remove.log" 2>&1 || { cat "$W/remove.log"; fail "dpkg -r failed"; }
[ ! -e "$R/usr/sbin/in.ikev2d" ] && [ -f "$R/etc/logrotate.d/ikev2d" ] &&
	ok "removed: in.ikev2d gone, conffiles kept" || fail "dpkg -r left the wrong files"
in_root dpkg -P $pkgs > "$W/purge.log" 2>&1 || { cat "$W/purge.log"; fail "dpkg -P failed"; }
left=$(in_root dpkg -l 'ikev2d*' 'libikev2d*' 2>/dev/null | grep -E '^(ii|rc)' || true)
[ -z "$left" ] && [ ! -e "$R/etc/logrotate.d/ikev2d" ] && [ ! -e "$R/var/log/ikev2" ] &&
	ok "purged: no package state, conffiles and /var/log/ikev2 gone" || fail "purge left: $left"
umount -l "$R/dev" 2>/dev/null
exit $FAILED
INROOT

if unshare --mount --net --fork bash "$W/inroot.sh" "$W" "$cache"; then
	:
else
	fail "the install test failed"
fi
[ $FAILED = 0 ] && log "RESULT: PASS" || log "RESULT: FAIL"
exit $FAILED
