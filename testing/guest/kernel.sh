#!/bin/bash
# testing/guest/kernel.sh - make (once per machine) and print the kernel and
# initramfs a guest boots: a stock Debian 6.1 kernel, because this project's
# IPsec tests need ESP, AH and PF_KEY, which the host kernel may lack.
#
#   kernel.sh            prints "KERNEL=... INITRD=... KROOT=... KVER=..."
#                        (shell assignments) on stdout, progress on stderr
#
# Exit status: 0 ready, 77 cannot be had (no apt, no package, no busybox),
# with the reason on stderr.
#
# Cache: $GUEST_WORKDIR (default /var/tmp/ikev2d-guest)/kernel-<package>/
#   kroot/      the unpacked package (modules pruned to what networking needs)
#   vmlinux     the uncompressed ELF kernel, when the bzImage holds an xz
#               stream and the kernel has CONFIG_PVH: qemu then starts it
#               through the PVH note, skipping firmware and the in-guest
#               decompression (seconds under TCG)
#   initrd-<hash>.cpio.gz   busybox + the modules needed to reach the host
#               root over 9p; the hash covers everything it is built from
# The package comes from `apt-get download` + `dpkg -x`: nothing is installed
# on the host.  GUEST_KERNEL_PKG picks another package than the one
# linux-image-amd64 depends on.
set -euo pipefail

skip() { echo "guest kernel: $*" >&2; exit 77; }
say() { echo "guest kernel: $*" >&2; }

workdir=${GUEST_WORKDIR:-/var/tmp/ikev2d-guest}
mkdir -p "$workdir" || skip "cannot create $workdir"
busybox=${GUEST_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || skip "no $busybox (apt-get install busybox-static)"
# the initramfs runs before any library is there: busybox must be static
if LC_ALL=C ldd "$busybox" 2>&1 | grep -q '=>'; then
	skip "$busybox is dynamically linked (apt-get install busybox-static)"
fi
for t in apt-get apt-cache dpkg xz gzip flock; do
	command -v $t >/dev/null || skip "no $t on this machine"
done

pkg=${GUEST_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	      sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1)
	[ -n "$pkg" ] || skip "apt-cache knows no linux-image-6.1.0-*-amd64 (run apt-get update)"
fi
kdir=$workdir/kernel-$pkg
kroot=$kdir/kroot

# One preparation at a time per cache (parallel suites share it).
exec 8>"$workdir/.lock"
flock 8

if [ ! -f "$kdir/.ready" ]; then
	say "fetching $pkg (once per machine)"
	rm -rf "$kdir"
	mkdir -p "$kdir/deb"
	if ! (cd "$kdir/deb" && apt-get download "$pkg" >&2); then
		rm -rf "$kdir"
		skip "apt-get download $pkg failed"
	fi
	dpkg -x "$kdir"/deb/*.deb "$kroot"
	rm -rf "$kdir/deb" "$kroot/usr/share"
	kver=$(ls "$kroot/lib/modules")
	# Keep what a network test can load: crypto, net, the virtio and 9p
	# drivers, overlayfs; the rest (GPU, sound, NICs, ...) is ~300 MB.
	(cd "$kroot/lib/modules/$kver/kernel" &&
	 find . -name '*.ko*' |
	 grep -vE '^\./(arch|crypto|lib|net)/|^\./fs/(9p|overlayfs|netfs|fscache)/|^\./drivers/(virtio|char/hw_random|net/[^/]+\.ko)' |
	 xargs -r rm -f
	 find . -type d -empty -delete)
	# The package's postinst would run depmod; run it against the tree.
	"$busybox" depmod -b "$kroot" "$kver"
	touch "$kdir/.ready"
	say "unpacked $(du -sh "$kroot" | cut -f1) into $kroot"
fi
kver=$(ls "$kroot/lib/modules")
moddir=$kroot/lib/modules/$kver

# The uncompressed kernel for a PVH start.
if [ ! -f "$kdir/vmlinux.tried" ]; then
	if grep -q '^CONFIG_PVH=y' "$kroot/boot/config-$kver"; then
		# offset of the xz stream magic (FD 37 7A 58 5A 00) in the bzImage
		off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$kroot/boot/vmlinuz-$kver" | head -n1 | cut -d: -f1 || true)
		if [ -n "$off" ]; then
			tail -c +$((off + 1)) "$kroot/boot/vmlinuz-$kver" |
				xz -dc --single-stream > "$kdir/vmlinux.tmp" 2>/dev/null || true
			if [ "$(head -c 4 "$kdir/vmlinux.tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
				mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
			fi
			rm -f "$kdir/vmlinux.tmp"
		fi
	fi
	touch "$kdir/vmlinux.tried"
fi
kernel=$kroot/boot/vmlinuz-$kver
[ -s "$kdir/vmlinux" ] && kernel=$kdir/vmlinux

# Modules stage 1 needs to mount the host's root: virtio PCI transport, 9p
# over virtio, overlayfs.  Everything else is loaded by stage 2 from the
# full tree with the host's modprobe.
boot_modules="virtio_pci 9pnet_virtio 9p overlay"
here=$(cd "$(dirname "$0")" && pwd)
hash=$( { echo "$kver $boot_modules"; cat "$here/init.sh"; md5sum < "$busybox"; } | md5sum | cut -c1-12)
initrd=$kdir/initrd-$hash.cpio.gz
if [ ! -f "$initrd" ]; then
	say "building initramfs"
	ir=$(mktemp -d "$kdir/ir.XXXXXX")
	mkdir -p "$ir"/bin "$ir"/dev "$ir"/proc "$ir"/sys "$ir"/mnt/lower "$ir"/mnt/rw "$ir"/mnt/root "$ir"/modules
	cp "$busybox" "$ir/bin/busybox"
	# Each module after the ones it needs: a depth-first walk of
	# modules.dep, printing a module once all of its dependencies are out.
	order=$(for m in $boot_modules; do
			f=$(awk -F: -v n="$m" '{ b = $1; sub(/.*\//, "", b); sub(/\.ko.*/, "", b); gsub(/-/, "_", b)
				if (b == n) { print $1; exit } }' "$moddir/modules.dep")
			[ -n "$f" ] && echo "$f"
		done | awk -F': *' 'FNR == NR { deps[$1] = $2; next }
			function visit(m,   n, i, d) { if (m in done) return; done[m] = 1
				n = split(deps[m], d, " "); for (i = n; i >= 1; i--) visit(d[i]); print m }
			{ visit($0) }' "$moddir/modules.dep" -)
	: > "$ir/modules/order"
	for p in $order; do
		b=$(basename "$p")
		case $b in
		*.xz) xz -dc "$moddir/$p" > "$ir/modules/${b%.xz}"; b=${b%.xz} ;;
		*) cp "$moddir/$p" "$ir/modules/$b" ;;
		esac
		echo "$b" >> "$ir/modules/order"
	done
	cp "$here/init.sh" "$ir/init"
	chmod 755 "$ir/init"
	(cd "$ir" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -6 > "$initrd.tmp")
	rm -rf "$ir"
	rm -f "$kdir"/initrd-*.cpio.gz
	mv "$initrd.tmp" "$initrd"
fi

printf "KERNEL=%s\nINITRD=%s\nKROOT=%s\nKVER=%s\n" "$kernel" "$initrd" "$kroot" "$kver"
