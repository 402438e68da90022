#!/bin/sh
# testing/guest/stage2.sh - stage 2 of a guest boot: pid 1 on the host's
# root (read-only 9p under a RAM overlay, so the guest may write anywhere and
# nothing reaches the host).  run.sh copies it into the boot's io share with
# "env" (the test's environment and arguments) and "modprobe" (a wrapper
# the kernel runs to load a module on demand).  It loads the IPsec modules,
# runs the test as root, writes its exit status to the io share and powers
# the guest off.
io=/run/guest-io
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
. "$io/env"
up() { cut -d' ' -f1 /proc/uptime; }

mkdir -p /dev/pts /dev/shm /run/netns /run/lock
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
# /tmp stays the overlay's (writable, in RAM): a tmpfs over it would hide
# a source or build tree that lives under the host's /tmp (CI clones there).
# The guest kernel's modules where modprobe looks for them.
mkdir -p "/lib/modules/$GUEST_KVER"
mount --bind "$GUEST_KROOT/lib/modules/$GUEST_KVER" "/lib/modules/$GUEST_KVER"
echo "$io/modprobe" > /proc/sys/kernel/modprobe
# Loaded up front: one modprobe instead of one per algorithm the kernel
# asks for (each on-demand load is a process start, slow under TCG).
/bin/busybox modprobe -a $GUEST_PRELOAD $GUEST_MODULES 2>&1 | sed 's/^/guest: /'
hostname guest
ip link set lo up
echo "guest: ready at $(up)s, kernel $(uname -r)"

cd "$(dirname "$GUEST_SCRIPT")" || cd /
rc=0
"$GUEST_SCRIPT" "$@" < /dev/null 2>&1 || rc=$?
echo "$rc" > "$io/rc"
echo "guest: test exited $rc at $(up)s"
sync
/bin/busybox poweroff -f
