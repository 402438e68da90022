#!/bin/bash
# testing/package/boot.sh W CACHE - the second half of
# testing/suites/package.sh, run by it in private mount and network
# namespaces (unshare --mount --net): the cached Debian 12 root, through an
# overlay so the cache stays clean, is booted with systemd as PID 1
# (systemd-nspawn --boot), and everything below happens in that booted
# system, through its own systemctl and journalctl:
#   dpkg -i of the built packages (their maintainer scripts meet a running
#   systemd: sysusers.d, tmpfiles.d, daemon-reload), the service started
#   from the unit (Type=notify, ExecStartPre, the hardening directives,
#   CapabilityBoundingSet, LimitMEMLOCK), the three privsep processes seen
#   in /proc, ikeadm, a PSK handshake with strongSwan's charon over a veth
#   to a namespace outside the container, systemctl reload (good and bad
#   files), files with a wrong owner or mode refused by ExecStartPre,
#   systemctl stop, then dpkg -r and dpkg -P.
#
# The packages are in W/debs; CACHE is the debootstrap root.  Nothing
# outside the namespaces changes but W.
W=$1 cache=$2
. "${top_srcdir:?}/testing/netns/lib.sh"
. "$top_srcdir/testing/interop/charon.sh"
ok() { log "ok: $*"; }

R=$W/root
mkdir -p "$W/upper" "$W/work" "$R"
if ! mount -t overlay overlay -o lowerdir="$cache",upperdir="$W/upper",workdir="$W/work" "$R"; then
	log "no overlayfs: copying the root"
	cp -a "$cache/." "$R/"
fi
ip link set lo up
# The packages where the booted system finds them (its /tmp is a tmpfs).
mkdir -p "$R/root/ikev2d-debs"
cp "$W/debs/"*.deb "$R/root/ikev2d-debs/"

# ------------------------------------------------------------- boot
# charon's side of the link: a namespace of ours; the other end goes
# into the container once it runs.
C=$W/charon NC=pkg-charon-$$
mkdir -p "$C"
ns_add "$NC"
ip link add pkg-c$$ type veth peer name pkg-h$$ netns "$NC" || { fail "veth"; exit 1; }
ip -n "$NC" addr add 10.213.0.2/24 dev pkg-h$$
ip -n "$NC" link set pkg-h$$ up
# --register=no --keep-unit: this machine's PID 1 is not systemd, so there
# is no machined or system bus to ask for a scope.  CAP_IPC_LOCK and
# CAP_SYS_RESOURCE: as a host's systemd has them.  Without CAP_IPC_LOCK in
# the container's bounding set, nspawn's own seccomp filter answers
# mlock(2) with EPERM for every process inside (whatever its limit);
# without CAP_SYS_RESOURCE systemd cannot raise LimitMEMLOCK= above its
# own hard limit and silently sets the closest value.  (The unit's
# bounding set keeps both from the daemon.)
machine=ikev2d-pkg-$$
log "systemd-nspawn --boot of the root (machine $machine)"
boot_start=$(date +%s%N)
systemd-nspawn -q -D "$R" -M "$machine" --boot --register=no --keep-unit \
	--private-network --capability=CAP_IPC_LOCK,CAP_SYS_RESOURCE --console=pipe \
	< /dev/null > "$W/boot.log" 2>&1 &
nspawn=$!
PIDS+=("$nspawn")   # lib.sh's cleanup: SIGTERM, which halts the container
L=
leader() { L=$(pgrep -P "$nspawn" -x systemd) && [ -S "/proc/$L/root/run/systemd/private" ]; }
if ! wait_for 60 leader; then
	cat "$W/boot.log"; fail "the container's systemd did not come up"; exit 1
fi
# box CMD...: CMD in the booted system (its namespaces, root, clean env)
box() {
	nsenter -t "$L" -m -u -i -n -p -C -r -w \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
state=$(timeout 60 nsenter -t "$L" -m -u -i -n -p -C -r -w systemctl is-system-running --wait 2>&1)
case $state in
running) ok "booted: systemd $(box systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') is PID 1, system $state, in $(( ($(date +%s%N) - boot_start) / 1000000 )) ms" ;;
*) box systemctl --failed --no-pager; fail "system state after boot: $state" ;;
esac
ip link set pkg-c$$ netns "$L" || { fail "veth into the container"; exit 1; }
box ip addr add 10.213.0.1/24 dev pkg-c$$
box ip link set pkg-c$$ up
box ip link set lo up

# ---------------------------------------------------------- install
pkgs=$(for d in "$W/debs/"*.deb; do dpkg-deb -f "$d" Package; done | tr '\n' ' ')
if box sh -c 'dpkg -i /root/ikev2d-debs/*.deb' > "$W/install.log" 2>&1; then
	ok "dpkg -i of $pkgs"
else
	cat "$W/install.log"; fail "dpkg -i failed"; exit 1
fi
# sysusers.d made the user (the postinst runs systemd-sysusers when there
# is one, as here), tmpfiles.d the directories
grep -q "Creating user 'ikeuser'" "$W/install.log" &&
	ok "systemd-sysusers made ikeuser: $(box getent passwd ikeuser)" ||
	fail "ikeuser not made by systemd-sysusers: $(box getent passwd ikeuser)"
uid=$(box id -u ikeuser)
check_dirs() {   # when
	local d got
	for d in "/var/log/ikev2 ikeuser:ikeuser 750" "/etc/inet/ike/keystore ikeuser:ikeuser 700" \
	         "/run/ikev2d ikeuser:ikeuser 750"; do
		set -- $d
		got=$(box stat -c '%U:%G %a' "$1" 2>/dev/null)
		[ "$got" = "$2 $3" ] && ok "$1 is $got ($*)" || fail "$1 is '$got', expected '$2 $3' ($4)"
	done
}
check_dirs "tmpfiles.d at install"
box systemctl cat ikev2d.service > "$W/unit.txt" 2>&1 ||
	{ cat "$W/unit.txt"; fail "systemd does not know ikev2d.service after install"; exit 1; }
ok "systemd loaded $(head -1 "$W/unit.txt" | sed 's/^# //'); $(box systemctl is-enabled ikev2d 2>&1) (shipped disabled)"
box systemd-analyze verify --man=no ikev2d.service > "$W/verify.log" 2>&1 ||
	{ cat "$W/verify.log"; fail "systemd-analyze verify ikev2d.service"; }
[ -f "$R/etc/logrotate.d/ikev2d" ] || fail "no logrotate file"
box logrotate -d /etc/logrotate.d/ikev2d > "$W/logrotate.log" 2>&1 ||
	{ cat "$W/logrotate.log"; fail "logrotate -d rejects its file"; }
# ConditionPathExists: without a configuration the unit does nothing
box systemctl start ikev2d
[ "$(box systemctl show -p ConditionResult --value ikev2d)" = no ] &&
	ok "without ikev2.config: start skipped (ConditionPathExists)" ||
	fail "the unit started without a configuration: $(box systemctl show -p ConditionResult -p ActiveState ikev2d)"

# ----------------------------------------------------- configuration
# The shipped example with the two gateways on the veth: us (A,
# 10.213.0.1) and charon (B, 10.213.0.2); owned as in.ikev2d(8) says.
E=/etc/inet/ike
box sh -c "cp /usr/share/doc/ikev2d/examples/ikev2.config /usr/share/doc/ikev2d/examples/ikev2.preshared $E/ &&
	sed -i 's/192\.0\.2\.10/10.213.0.1/g; s/198\.51\.100\.20/10.213.0.2/g' $E/ikev2.config &&
	sed -i 's|^daemon = {|daemon = {\n\tdebug_logfile = \"/var/log/ikev2/in.ikev2d.log\";|' $E/ikev2.config &&
	chown ikeuser:ikeuser $E/ikev2.config $E/ikev2.preshared &&
	chmod 600 $E/ikev2.config $E/ikev2.preshared" || fail "writing the configuration"
psk=$(sed -n 's/^[[:space:]]*key = "\(.*\)";/\1/p' "$R$E/ikev2.preshared" | head -1)

# ------------------------------------------------------------ start
box journalctl --rotate --vacuum-files=1 > /dev/null 2>&1
t0=$(date +%s%N)
if box systemctl start ikev2d; then
	ok "systemctl start ikev2d: returned after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
	box journalctl -u ikev2d --no-pager | tail -30; fail "systemctl start ikev2d failed"; exit 1
fi
show() { box systemctl show -p "$1" --value ikev2d; }
journal() { box journalctl -u ikev2d --no-pager -o cat; }
# Type=notify: systemctl start returns once READY=1 arrived; the unit is
# then active (running) with the daemon's STATUS=
[ "$(show ActiveState)/$(show SubState)" = active/running ] && [ "$(show Type)" = notify ] &&
	ok "active (running), Type=notify, status \"$(show StatusText)\"" ||
	fail "after start: $(show ActiveState)/$(show SubState), Type=$(show Type)"
box journalctl -u ikev2d --no-pager -o cat > "$W/journal.log"
grep -q 'configuration OK' "$W/journal.log" && box systemctl status ikev2d --no-pager > "$W/status.log" 2>&1
grep -q 'ExecStartPre=/usr/sbin/in.ikev2d -c (code=exited, status=0/SUCCESS)' "$W/status.log" &&
	ok "ExecStartPre ran: $(grep 'configuration OK' "$W/journal.log" | tail -1)" ||
	{ cat "$W/status.log"; fail "no successful ExecStartPre=in.ikev2d -c"; }
mainpid=$(show MainPID)
[ "$(box cat /run/ikev2d/in.ikev2d.pid 2>/dev/null)" = "$mainpid" ] &&
	ok "pid file /run/ikev2d/in.ikev2d.pid = MainPID $mainpid" || fail "pid file does not hold MainPID $mainpid"

# --------------------------------------------------- the processes
# (HACKING.md, "Privilege separation"): the parent as ikeuser with only the
# backend's capabilities (kernel-netlink: CAP_NET_ADMIN, bit 12), the
# engine and the keys process as ikeuser with none; all three in the
# unit's cgroup, NoNewPrivs, seccomp, the unit's limits.
status() { box sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
cgprocs=$(box cat /sys/fs/cgroup/systemd/system.slice/ikev2d.service/cgroup.procs 2>/dev/null ||
          box cat /sys/fs/cgroup/system.slice/ikev2d.service/cgroup.procs)
kids=$(box sh -c "cat /proc/$mainpid/task/*/children")
[ "$(echo $cgprocs)" = "$(echo $(echo $mainpid $kids | tr ' ' '\n' | sort -n))" ] && [ "$(echo $kids | wc -w)" = 2 ] &&
	ok "the unit's cgroup holds the parent $mainpid and its two children ($(echo $kids))" ||
	fail "cgroup procs '$(echo $cgprocs)', parent $mainpid, children '$(echo $kids)'"
# LimitMEMLOCK=64M, or the closest systemd could set where its own hard
# limit is lower and it lacks CAP_SYS_RESOURCE (this machine's containers)
memlock=67108864
if [ "$(( 0x$(status 1 CapBnd) >> 24 & 1 ))" = 0 ]; then
	hard=$(box awk '/^Max locked memory/ { print $5 }' /proc/1/limits)
	[ "$hard" -lt $memlock ] && memlock=$hard &&
		log "note: this machine gives containers no CAP_SYS_RESOURCE: systemd clamps LimitMEMLOCK=64M to its own hard limit $hard"
fi
[ "$(show LimitMEMLOCK)" = 67108864 ] || fail "systemd reads LimitMEMLOCK=$(show LimitMEMLOCK) from the unit"
check_proc() {   # pid role CapEff-expected
	local p=$1 role=$2 want=$3 v set
	set -- $(status "$p" Uid)
	[ "$1 $2 $3 $4" = "$uid $uid $uid $uid" ] || fail "$role ($p): Uid $*, expected ikeuser ($uid)"
	set -- "$p" "$role" "$want"
	for set in CapEff CapPrm CapBnd; do
		v=$(status "$p" $set)
		[ "$((0x$v))" -eq "$3" ] || fail "$2 ($p): $set $v, expected $(printf %x "$3")"
	done
	for set in CapInh CapAmb; do
		v=$(status "$p" $set)
		[ "$((0x$v))" -eq 0 ] || fail "$2 ($p): $set $v, expected 0"
	done
	[ "$(status "$p" NoNewPrivs)" = 1 ] && [ "$(status "$p" Seccomp)" = 2 ] ||
		fail "$2 ($p): NoNewPrivs $(status "$p" NoNewPrivs), Seccomp $(status "$p" Seccomp)"
	box grep -q "^Max locked memory *$memlock *$memlock " "/proc/$p/limits" ||
		fail "$2 ($p): $(box grep 'locked memory' "/proc/$p/limits"), expected $memlock (LimitMEMLOCK=64M)"
	box grep -q '^Max core file size *0 *0 ' "/proc/$p/limits" || fail "$2 ($p): LimitCORE=0 not applied"
	[ "$(box cat "/proc/$p/comm")" = in.ikev2d ] || fail "$2 ($p): comm is '$(box cat "/proc/$p/comm")'"
	ok "$2 $p: comm $(box cat "/proc/$p/comm"), Uid $uid, CapEff $(status "$p" CapEff) CapBnd $(status "$p" CapBnd), NoNewPrivs 1, Seccomp 2, memlock $((memlock >> 20)) MiB, core 0"
}
check_proc "$mainpid" parent $((1 << 12))
engine= keys=
for k in $kids; do
	if box grep -q 'ikev2d-keys' "/proc/$k/mountinfo"; then engine=$k; else keys=$k; fi
done
[ -n "$engine" ] && [ -n "$keys" ] || fail "cannot tell the engine from the keys process in '$kids'"
check_proc "$engine" engine 0
check_proc "$keys" "keys process" 0
# The keys process alone sees the keystore; the engine's is the empty
# tmpfs of its own mount namespace, made inside the unit's (RestrictNamespaces=mnt)
[ "$(box readlink "/proc/$engine/ns/mnt")" != "$(box readlink "/proc/$mainpid/ns/mnt")" ] &&
[ "$(box readlink "/proc/$keys/ns/mnt")" = "$(box readlink "/proc/$mainpid/ns/mnt")" ] &&
[ "$(box readlink "/proc/$mainpid/ns/mnt")" != "$(box readlink /proc/1/ns/mnt)" ] &&
	ok "mount namespaces: the unit's for the parent and the keys process, the engine's own inside it" ||
	fail "mount namespaces: parent $(box readlink /proc/$mainpid/ns/mnt) engine $(box readlink /proc/$engine/ns/mnt) keys $(box readlink /proc/$keys/ns/mnt)"
box grep " $E/keystore " "/proc/$engine/mountinfo" | grep -q 'tmpfs ikev2d-keys ro' &&
	ok "the engine's $E/keystore is the empty read-only tmpfs" ||
	fail "the engine's keystore: $(box grep " $E/keystore " "/proc/$engine/mountinfo")"
! grep -q 'cannot hide the keystore' "$W/journal.log" || fail "$(grep 'cannot hide the keystore' "$W/journal.log")"
# ProtectSystem=strict: / read-only for the daemon, its directories not
box grep -E ' / / ro[ ,]' "/proc/$mainpid/mountinfo" > /dev/null &&
box grep -E ' /var/log/ikev2 rw[ ,]' "/proc/$mainpid/mountinfo" > /dev/null &&
	ok "ProtectSystem=strict: / is read-only for the daemon, /var/log/ikev2 writable" ||
	fail "ProtectSystem=strict not in effect: $(box grep -E ' / | /var/log/ikev2 ' /proc/$mainpid/mountinfo)"
# no error line from any of the three at start-up (e.g. a log file the
# children could not open, a keystore warning about the engine's tmpfs)
if grep -E ' (error|warning)|warning:' "$W/journal.log" | grep -v "lacks rfc4106\|lacks cbc(aes)\|this kernel has no ESP\|lacks hmac\|lacks" > "$W/errors.log"; then
	cat "$W/errors.log"; fail "error or warning lines at start-up (above)"
else
	ok "no error or warning at start-up (but this kernel's lack of ESP)"
fi
grep -q "engine: serving (pid $engine" "$R/var/log/ikev2/in.ikev2d.log" &&
grep -q "keys process: running (pid $keys" "$R/var/log/ikev2/in.ikev2d.log" &&
grep -q "privsep: parent pid $mainpid" "$R/var/log/ikev2/in.ikev2d.log" ||
	fail "debug_logfile lacks the engine's, the keys process's or the parent's lines"
ok "debug_logfile /var/log/ikev2/in.ikev2d.log written by all three: $(box stat -c '%U:%G %a' /var/log/ikev2/in.ikev2d.log)"

# ----------------------------------------------------------- ikeadm
sock=/var/run/in.ikev2d.ctl
[ "$(box stat -L -c '%U:%G %a' $sock 2>/dev/null)" = "ikeuser:root 660" ] &&
	ok "control socket $sock is ikeuser:root 0660" ||
	fail "control socket: $(box stat -L -c '%U:%G %a' $sock 2>&1), expected ikeuser:root 660"
if box ikeadm get stats > "$W/ikeadm.log" 2>&1 && box ikeadm -j dump rule > "$W/rules.json" 2>> "$W/ikeadm.log" &&
   python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r else 1)' "$W/rules.json"; then
	ok "ikeadm (root): get stats, dump rule --json ($(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$W/rules.json") rule)"
else
	cat "$W/ikeadm.log" "$W/rules.json"; fail "ikeadm as root against the packaged daemon"
fi
box setpriv --reuid=nobody --regid=nogroup --clear-groups ikeadm get stats > "$W/ikeadm-nobody.log" 2>&1
st=$?
[ $st = 5 ] && ok "ikeadm as nobody refused (exit 5)" || { cat "$W/ikeadm-nobody.log"; fail "ikeadm as nobody: exit $st, expected 5"; }

# ----------------------------------------------- handshake with charon
# We (gateway A) initiate through ikeadm.  This machine's kernel has no
# ESP: charon cannot install the CHILD SA, answers NO_PROPOSAL_CHOSEN for
# it and keeps the IKE SA, which must then be up on both sides.  Our
# parent's XFRM netlink requests reach the kernel from inside the unit:
# its start-up probe gets the kernel's own answer, not a permission error.
if need_charon_ok=$( (need_charon) 2>&1 ); then
	charon_start "$C" "$NC" local=10.213.0.2 remote=10.213.0.1 psk="$psk" kernel=netlink \
		proposals=aes256gcm16-prfsha256-ecp256 esp=aes256gcm16 \
		local_ts=10.2.0.0/16 remote_ts=10.1.0.0/16 || exit 1
	box ikeadm initiate gw-a_to_gw-b > "$W/initiate.log" 2>&1 ||
		{ cat "$W/initiate.log"; fail "ikeadm initiate gw-a_to_gw-b"; }
	if wait_for 15 charon_ike_established "$C"; then
		ok "charon: IKE SA ESTABLISHED with the packaged daemon, $(charon_ike_algs "$C" 2>/dev/null | head -1)"
	else
		tail -20 "$C/charon.log"; fail "no IKE SA at charon"
	fi
	ikesa_up() {
		box ikeadm -j dump ikesa > "$W/ikesa.json" 2>&1 && python3 - "$W/ikesa.json" <<'PY'
import json, sys
sas = json.load(open(sys.argv[1]))
sys.exit(0 if len(sas) == 1 and "10.213.0.2" in json.dumps(sas) and "ESTABLISHED" in json.dumps(sas).upper() else 1)
PY
	}
	wait_for 5 ikesa_up && ok "ikeadm dump ikesa: one established IKE SA with 10.213.0.2" ||
		{ cat "$W/ikesa.json"; fail "ikeadm shows no established IKE SA"; }
	journal > "$W/journal.log"
	if grep -i 'operation not permitted\|permission denied' "$W/journal.log"; then
		fail "a permission error in the journal (above)"
	fi
	grep -q 'kernel-netlink: warning: this kernel has no ESP: XFRM answers an ESP SA with' "$W/journal.log" &&
		ok "the parent's XFRM probe got the kernel's answer: $(grep -o 'XFRM answers an ESP SA with [^;]*' "$W/journal.log" | head -1)" ||
		{ grep -q 'kernel-netlink' "$W/journal.log" && log "note: this kernel has ESP"; }
else
	fail "charon: $need_charon_ok"
fi

# ----------------------------------------------------------- reload
t0=$(date +%s%N)
reloaded_since() { [ "$(journal | grep -c 'engine: configuration reloaded from the parent')" -gt "$1" ]; }
n=$(journal | grep -c 'engine: configuration reloaded from the parent')
if box systemctl reload ikev2d 2> "$W/reload.err"; then
	wait_for 10 reloaded_since "$n"
	journal > "$W/journal.log"
	[ "$(grep -c 'engine: configuration reloaded from the parent' "$W/journal.log")" -gt "$n" ] &&
	[ "$(show MainPID)" = "$mainpid" ] && [ "$(show ActiveState)" = active ] &&
		ok "systemctl reload: $(grep 'configuration reloaded from' "$W/journal.log" | tail -2 | cut -d' ' -f4- | tr '\n' ';') same MainPID, active" ||
		fail "systemctl reload returned but the daemon did not reload ($(show ActiveState), MainPID $(show MainPID))"
else
	cat "$W/reload.err"; box journalctl -u ikev2d --no-pager -n 5 -o cat; fail "systemctl reload ikev2d failed"
fi
charon_ike_established "$C" && ok "the IKE SA survives the reload" || fail "the IKE SA is gone after the reload"
# a reload meeting a bad file keeps the running configuration
chmod 644 "$R$E/ikev2.preshared"
box systemctl reload ikev2d
bad_reload() { journal | grep -q 'reload of .* failed'; }
wait_for 10 bad_reload
chmod 600 "$R$E/ikev2.preshared"
[ "$(show ActiveState)" = active ] && [ "$(show MainPID)" = "$mainpid" ] &&
	bad_reload &&
	ok "reload with a readable preshared file: refused, still active, status \"$(show StatusText)\"" ||
	fail "bad reload: $(show ActiveState) $(show MainPID)"

# ------------------------------------------------------------- stop
t0=$(date +%s%N)
box systemctl stop ikev2d
left=$(box sh -c 'cat /sys/fs/cgroup/systemd/system.slice/ikev2d.service/cgroup.procs 2>/dev/null; pgrep -x in.ikev2d')
[ "$(show ActiveState)" = inactive ] && [ -z "$left" ] &&
	ok "systemctl stop: inactive after $(( ($(date +%s%N) - t0) / 1000000 )) ms, no process left, result $(show Result)" ||
	fail "after stop: $(show ActiveState), processes '$left'"
box test -e /run/ikev2d/in.ikev2d.pid && fail "pid file left behind" || ok "pid file removed"
if [ -S "$C/charon.vici" ]; then
	wait_for 5 eval '! charon_ike_established "$C"' &&
		ok "charon: the IKE SA was deleted by the stopping daemon" || fail "charon still has the IKE SA after stop"
	charon_stop "$C"
fi

# ------------------------------------- files refused by ExecStartPre
# One through systemctl (the unit fails in ExecStartPre), the others
# with the same in.ikev2d -c in the booted system.
chmod 640 "$R$E/ikev2.preshared"
box systemctl start ikev2d 2> /dev/null && fail "started with a group-readable preshared file"
box journalctl -u ikev2d --no-pager -o cat > "$W/journal.log"
msg="$E/ikev2.preshared: the preshared file is accessible by group or others (mode 0640); fix: chmod 0600 $E/ikev2.preshared"
grep -qF "$msg" "$W/journal.log" && [ "$(show Result)" = exit-code ] &&
	ok "systemctl start with a group-readable preshared file: failed in ExecStartPre ($(show Result)): $msg" ||
	{ tail -5 "$W/journal.log"; fail "expected ExecStartPre to refuse: $msg"; }
box systemctl stop ikev2d; box systemctl reset-failed ikev2d 2>/dev/null
chmod 600 "$R$E/ikev2.preshared"
check_refused() {   # what, expected message, setup, undo
	eval "$3"
	if box in.ikev2d -c > "$W/bad.log" 2>&1; then
		fail "$1: in.ikev2d -c accepted it"
	elif grep -qF "$2" "$W/bad.log"; then
		ok "$1 refused: $2"
	else
		cat "$W/bad.log"; fail "$1: expected message: $2"
	fi
	eval "$4"
}
check_refused "a preshared file of another user" \
	"$E/ikev2.preshared: the preshared file is owned by uid 65534, not by the daemon's user (ikeuser, uid $uid) or root; fix: chown ikeuser $E/ikev2.preshared" \
	"box chown nobody $E/ikev2.preshared" "box chown ikeuser $E/ikev2.preshared"
check_refused "a group-writable configuration" \
	"$E/ikev2.config: the configuration file is writable by group or others (mode 0660); fix: chmod 0640 $E/ikev2.config" \
	"chmod 660 $R$E/ikev2.config" "chmod 600 $R$E/ikev2.config"
check_refused "a configuration of another user" \
	"$E/ikev2.config: the configuration file is owned by uid 65534, not by the daemon's user (ikeuser, uid $uid) or root; fix: chown ikeuser $E/ikev2.config" \
	"box chown nobody $E/ikev2.config" "box chown ikeuser $E/ikev2.config"
check_refused "a world-writable log directory" \
	"/var/log/ikev2: the log directory is writable by group or others (mode 0757); fix: chmod 0755 /var/log/ikev2" \
	"chmod 757 $R/var/log/ikev2" "chmod 750 $R/var/log/ikev2"
check_refused "an open keystore" \
	"$E/keystore: the keystore directory is accessible by group or others (mode 0755); fix: chmod 0700 $E/keystore" \
	"chmod 755 $R$E/keystore" "chmod 700 $R$E/keystore"
check_refused "a readable private key" \
	"$E/keystore/private/k.pem: a private key file is accessible by group or others (mode 0644); fix: chmod 0600 $E/keystore/private/k.pem" \
	"mkdir -m 700 $R$E/keystore/private; echo x > $R$E/keystore/private/k.pem; chmod 644 $R$E/keystore/private/k.pem; box chown -R ikeuser $E/keystore/private" \
	"rm -rf $R$E/keystore/private"
check_refused "an unknown daemon.user" \
	"daemon.user: there is no user 'nosuchuser' on this system" \
	"sed -i 's|^daemon = {|daemon = {\n\tuser = \"nosuchuser\";|' $R$E/ikev2.config" \
	"sed -i '/user = \"nosuchuser\";/d' $R$E/ikev2.config"

# ------------------------------------------------ remove, then purge
box dpkg -r $pkgs > "$W/remove.log" 2>&1 || { cat "$W/remove.log"; fail "dpkg -r failed"; }
[ ! -e "$R/usr/sbin/in.ikev2d" ] && [ -f "$R/etc/logrotate.d/ikev2d" ] && [ -d "$R/var/log/ikev2" ] &&
	ok "removed: in.ikev2d gone, conffiles and logs kept" || fail "dpkg -r left the wrong files"
box systemctl cat ikev2d.service > /dev/null 2>&1 && fail "systemd still knows ikev2d.service after dpkg -r" ||
	ok "systemd forgot ikev2d.service (daemon-reload in postrm)"
box dpkg -P $pkgs > "$W/purge.log" 2>&1 || { cat "$W/purge.log"; fail "dpkg -P failed"; }
left=$(box dpkg -l 'ikev2d*' 'libikev2d*' 2>/dev/null | grep -E '^(ii|rc)' || true)
[ -z "$left" ] && [ ! -e "$R/etc/logrotate.d/ikev2d" ] && [ ! -e "$R/var/log/ikev2" ] && [ ! -e "$R/run/ikev2d" ] &&
	[ ! -e "$R/etc/inet/ike/keystore" ] && [ ! -e "$R/usr/lib/sysusers.d/ikev2d.conf" ] &&
	ok "purged: no package state; conffiles, /var/log/ikev2, /run/ikev2d, the empty keystore gone" ||
	fail "purge left: $left $(ls -d "$R/etc/logrotate.d/ikev2d" "$R/var/log/ikev2" "$R/run/ikev2d" "$R/etc/inet/ike/keystore" 2>/dev/null)"
# Debian keeps system users on purge (files elsewhere may be theirs)
box getent passwd ikeuser > /dev/null && ok "ikeuser kept after purge, as Debian does for system users" ||
	fail "ikeuser removed by purge"
exit $FAILED
