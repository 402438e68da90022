#!/bin/busybox sh
# testing/guest/init.sh - stage 1 of a guest boot, /init of the initramfs
# (kernel.sh copies it in; busybox is the only program there).  It mounts
# the host's root filesystem (9p, read-only) under a RAM overlay and hands
# over to stage 2, which the host put into the per-boot 9p share "io".
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
fail() { echo "GUEST-STAGE1-FAILED: $*"; echo b > /proc/sysrq-trigger; poweroff -f; }
for m in $(cat /modules/order); do
	insmod "/modules/$m" || fail "insmod $m"
done
# cache=loose: the host's files do not change under a running test
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose host /mnt/lower ||
	fail "mount of the host root (9p) failed"
mount -t tmpfs -o mode=755 rw /mnt/rw
mkdir /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work root /mnt/root ||
	fail "overlay mount failed"
for d in proc sys dev; do mount --move /$d /mnt/root/$d; done
mount -t tmpfs -o mode=755,nosuid,nodev run /mnt/root/run
mkdir -p /mnt/root/run/guest-io
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 io /mnt/root/run/guest-io ||
	fail "mount of the io share failed"
exec switch_root /mnt/root /bin/sh /run/guest-io/stage2.sh
