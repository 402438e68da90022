#!/bin/bash
# testing/guest/run.sh - run a test script as root in a throw-away qemu
# guest booting a stock Debian 6.1 kernel (ESP, AH, PF_KEY, XFRM), with the
# host's root filesystem as its root (read-only, under a RAM overlay): the
# build tree, in.ikev2d, charon, ip and python3 run there unchanged.
#
#   run.sh [-t SECS] [-m MEM] SCRIPT [ARGS...]
#
# SCRIPT (an executable on the host; the guest sees the same path) runs with
# the caller's top_srcdir, top_builddir, IKEV2D_* and GUEST_* variables, its
# working directory its own, stdin /dev/null; its output is the guest's
# console, on our stdout.  One boot costs ~5-30 s under TCG: put many checks
# into one script (testing/guest/lib.sh has `check`).
#
# Exit status: the script's; 77 when qemu or the kernel cannot be had (the
# reason on stderr); 124 when the guest ran past -t (default 900 s); 125
# when the guest never reported a status (see the console output).
#
# Environment: GUEST_WORKDIR (cache, default /var/tmp/ikev2d-guest),
# GUEST_MODULES (more modules to load before the script), GUEST_ACCEL
# (kvm, tcg; default kvm when usable), GUEST_KERNEL_PKG (see kernel.sh),
# GUEST_SMP (vCPUs, default 1; benchmarks give two sides a CPU each).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
timeout=900 mem=512M
while getopts "t:m:" o; do
	case $o in
	t) timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	*) echo "usage: $0 [-t SECS] [-m MEM] SCRIPT [ARGS...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-t SECS] [-m MEM] SCRIPT [ARGS...]" >&2; exit 2; }
script=$(readlink -f "$1"); shift
[ -x "$script" ] || { echo "guest: $script is not an executable file" >&2; exit 2; }

skip() { echo "SKIP: $*" >&2; echo "SKIP: $*"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
[ "$(id -u)" = 0 ] || skip "needs root (the guest shares the host's root filesystem)"

set +e
vars=$(bash "$here/kernel.sh")
krc=$?
set -e
case $krc in
0) ;;
77) skip "no guest kernel (see above)" ;;
*) echo "guest: kernel.sh failed ($krc)" >&2; exit 125 ;;
esac
KERNEL= INITRD= KROOT= KVER=
eval "$vars"

workdir=${GUEST_WORKDIR:-/var/tmp/ikev2d-guest}
io=$(mktemp -d "$workdir/boot.XXXXXX")
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$io"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Values in single quotes for stage 2's `.`; a ' inside becomes '\''.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
	echo "GUEST_KVER=$(q "$KVER") GUEST_KROOT=$(q "$KROOT") GUEST_SCRIPT=$(q "$script")"
	echo "GUEST_PRELOAD='xfrm_user xfrm_algo af_key esp4 esp6 ah4 ah6 xfrm_interface
 tunnel4 tunnel6 xfrm4_tunnel xfrm6_tunnel veth dummy tun authenc authencesn
 cbc ctr gcm ccm ghash_generic chacha20poly1305 chacha_generic poly1305_generic
 seqiv echainiv hmac sha1_generic sha256_generic sha512_generic des3_ede_x86_64
 des_generic aesni_intel cryptd crypto_null'"
	for v in top_srcdir top_builddir $(compgen -e | grep -E '^(IKEV2D_|GUEST_)'); do
		[ -n "${!v+x}" ] && echo "export $v=$(q "${!v}")"
	done
	printf 'set --'
	for a in "$@"; do printf ' %s' "$(q "$a")"; done
	echo
} > "$io/env"
cp "$here/stage2.sh" "$io/stage2.sh"
printf '#!/bin/sh\nexec /bin/busybox modprobe "$@"\n' > "$io/modprobe"
chmod 755 "$io" "$io/stage2.sh" "$io/modprobe"

accel=${GUEST_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then accel=kvm; fi
fi
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
# a bounded translation cache keeps qemu's RSS near the guest's size
tcg) accel_args=(-accel tcg,tb-size=128 -cpu max) ;;
*) echo "guest: GUEST_ACCEL=$accel is neither kvm nor tcg" >&2; exit 2 ;;
esac

case ${GUEST_SMP:-1} in ''|*[!0-9]*|0) echo "guest: GUEST_SMP=$GUEST_SMP is not a number of vCPUs" >&2; exit 2 ;; esac
echo "guest: booting $KVER ($accel, $mem) for $script $*"
start=$(date +%s)
timeout -k 10 "$timeout" qemu-system-x86_64 "${accel_args[@]}" -M pc -smp "${GUEST_SMP:-1}" -m "$mem" \
	-nodefaults -no-user-config -display none -monitor none -no-reboot \
	-chardev stdio,id=console,signal=off -serial chardev:console \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off random.trust_cpu=on 8250.nr_uarts=1" \
	-device virtio-rng-pci \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$io",mount_tag=io,security_model=none \
	< /dev/null &
qpid=$!
set +e
wait "$qpid"
qrc=$?
set -e
qpid=
secs=$(( $(date +%s) - start ))
if [ -s "$io/rc" ]; then
	rc=$(cat "$io/rc")
elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "guest: TIMEOUT after ${timeout}s" >&2
	rc=124
else
	echo "guest: no exit status came back (qemu exited $qrc)" >&2
	rc=125
fi
echo "guest: $(basename "$script") exited $rc after ${secs}s"
exit "$rc"
