#!/bin/bash
# kernel-netlink-host.sh - the kernel-netlink backend against this host's
# own kernel, which has XFRM netlink but (on the development machines) no
# ESP: its policy, ALLOCSPI and cleanup messages must be accepted by the
# real kernel, and a CHILD SA whose ESP SA the kernel refuses must fail
# cleanly (kernel's answer logged, nothing left installed, peer told).
# Where the kernel does have ESP the SA checks are skipped (the qemu guest
# suite guest-netlink covers them); the policy checks run anyway.
. "$(dirname "$0")/lib.sh"
need_root
need_daemon
[ -f "$top_builddir/kernel-backends/netlink/kernel-netlink.la" ] ||
	skip "kernel-netlink not built (--disable-kernel-netlink?)"
mkwork knl-host
A=net-knla-$$ B=net-knlb-$$
ns_add "$A"; ns_add "$B"
link_ns "$A" va 10.78.0.1/24 "$B" vb 10.78.0.2/24
ip -n "$A" link add lan type dummy; ip -n "$A" addr add 10.1.0.1/24 dev lan; ip -n "$A" link set lan up

# policies of ours: priority in the default band 1000000..1004095
our_policies() { ip -n "$1" xfrm policy | grep -c 'priority 100[0-4][0-9][0-9][0-9] '; }
ns_sas() { ip -n "$1" xfrm state | grep -c '^src'; }

# Does this kernel do ESP?  (a throw-away namespace)
P=net-knlp-$$; ns_add "$P"
has_esp=0
ip -n "$P" xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 mode tunnel \
	aead 'rfc4106(gcm(aes))' 0x$(printf '%040x' 1) 128 2>/dev/null && has_esp=1
log "kernel ESP: $has_esp"

# 1. someone else's policy, which nothing of ours may touch
ip -n "$A" xfrm policy add src 10.9.0.0/24 dst 10.8.0.0/24 dir out priority 7 \
	tmpl src 10.78.0.1 dst 10.78.0.9 proto esp mode tunnel || fail "foreign policy"
foreign() { ip -n "$A" xfrm policy list src 10.9.0.0/24 dst 10.8.0.0/24 dir out | grep -q 'priority 7 '; }

# 2. on_demand trap policies: NEWPOLICY with a template, accepted; the
# rule's mark_out and if_id_out go with it (XFRMA_MARK, XFRMA_IF_ID)
write_config "$WORK/a" kernel=netlink local=10.78.0.1 remote=10.78.0.2 \
	local_ts=10.1.0.0/24 remote_ts=10.2.0.0/23 \
	'extra_rule=on_demand = true; mark_out = "0x2a/0xff"; if_id_out = 0x1c;'
start_daemon "$A" "$WORK/a" || finish
if wait_for 20 sh -c "ip -n $A xfrm policy | grep -q 'priority 100'"; then
	log "trap policy installed:"; ip -n "$A" xfrm policy | grep -B1 -A5 'priority 100'
	ip -n "$A" xfrm policy | grep -A3 'priority 100' | grep -q 'tmpl src 10.78.0.1 dst 10.78.0.2' ||
		fail "trap policy lacks the tunnel template"
	ip -n "$A" xfrm policy | grep -A5 'priority 100' | grep -q 'mark 0x2a/0xff' ||
		fail "trap policy lacks mark_out 0x2a/0xff"
	ip -n "$A" xfrm policy | grep -A5 'priority 100' | grep -q 'if_id 0x1c' ||
		fail "trap policy lacks if_id_out 28"
else
	fail "no trap policy in the kernel"; tail -20 "$WORK/a/daemon.log"
fi
# 3. a crash leaves it; the next start removes it and only it
kill -KILL "$(daemon_pid "$WORK/a")"; forget_pid "$(daemon_pid "$WORK/a")"
sleep 0.5
[ "$(our_policies "$A")" -ge 1 ] || fail "the killed daemon's trap is not there to clean"
write_config "$WORK/a" kernel=netlink local=10.78.0.1 remote=10.78.0.2
wait_ports_free "$A"
start_daemon "$A" "$WORK/a" || finish
wait_for 20 grep -q "left by an earlier run" "$WORK/a/daemon.log" ||
	fail "leftovers of the killed daemon not reported as removed"
grep "left by an earlier run" "$WORK/a/daemon.log"
[ "$(our_policies "$A")" = 0 ] || { ip -n "$A" xfrm policy; fail "leftover policy still there"; }
foreign || fail "someone else's policy was touched"
stop_daemon "$WORK/a"
wait_ports_free "$A"

# 3b. kernel-userspace has neither marks nor interface IDs: in.ikev2d -c
# refuses each keyword with its file:line, naming the backend
write_config "$WORK/u" kernel=userspace local=10.78.0.1 remote=10.78.0.2 \
	local_ts=10.1.0.0/24 remote_ts=10.2.0.0/24 'extra_rule=mark_in = "7";' \
	'extra_child=if_id_out = 3;'
if "$DAEMON" -c -f "$WORK/u/ikev2.config" > "$WORK/u/check.log" 2>&1; then
	fail "in.ikev2d -c accepts marks with kernel-userspace"
fi
cat "$WORK/u/check.log" | grep "rule 'rule'"
l_mark=$(grep -n 'mark_in = "7"' "$WORK/u/ikev2.config" | cut -d: -f1)
l_if=$(grep -n 'if_id_out = 3' "$WORK/u/ikev2.config" | cut -d: -f1)
grep -qF "$WORK/u/ikev2.config:$l_mark: rule 'rule' childsa 1: mark_in: the userspace ESP engine has no marks (use kernel-netlink) (kernel backend kernel-userspace)" "$WORK/u/check.log" ||
	fail "-c does not refuse mark_in at its line for kernel-userspace"
grep -qF "$WORK/u/ikev2.config:$l_if: rule 'rule' childsa 1: if_id_out: the userspace ESP engine has no XFRM interface IDs" "$WORK/u/check.log" ||
	fail "-c does not refuse if_id_out at its line for kernel-userspace"

# 3c. -c probes each transform (a NEWSA the kernel always refuses): an
# algorithm the kernel's crypto API lacks is named with the esp_xform's
# file:line - a warning on this kernel without ESP, an error with ESP
gcm=1
ip -n "$P" xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 mode tunnel \
	aead 'rfc4106(gcm(aes))' 0x$(printf '%040x' 1) 128 2>&1 | grep -q 'AEAD algorithm not found' && gcm=0
log "kernel rfc4106(gcm(aes)): $gcm"
write_config "$WORK/p" kernel=netlink local=10.78.0.1 remote=10.78.0.2 \
	local_ts=10.1.0.0/24 remote_ts=10.2.0.0/24 \
	'esp_xform={ encr_alg = "aes-gcm"; encr_keylen = 128; }, { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; }'
"$DAEMON" -c -f "$WORK/p/ikev2.config" > "$WORK/p/check.log" 2>&1
prc=$?
grep "childsa 1: esp_xform" "$WORK/p/check.log"
l_esp=$(grep -n 'esp_xform' "$WORK/p/ikev2.config" | tail -1 | cut -d: -f1)
msg="$WORK/p/ikev2.config:$l_esp: warning: rule 'rule' childsa 1: esp_xform aes-gcm-16 (128-bit key): this kernel's crypto API lacks rfc4106(gcm(aes)) (kernel: Requested AEAD algorithm not found); it has no ESP either (see above) (kernel backend kernel-netlink)"
if [ $gcm = 0 ] && [ $has_esp = 0 ]; then
	grep -qF "$msg" "$WORK/p/check.log" || { cat "$WORK/p/check.log"; fail "-c does not name the missing rfc4106(gcm(aes))"; }
	[ $prc = 0 ] || fail "-c fails on a kernel without ESP (the missing algorithm is a warning there)"
elif [ $gcm = 0 ]; then
	grep -qF "$WORK/p/ikev2.config:$l_esp: rule 'rule' childsa 1: esp_xform aes-gcm-16 (128-bit key): this kernel's crypto API lacks rfc4106(gcm(aes))" "$WORK/p/check.log" ||
		fail "-c does not refuse the missing rfc4106(gcm(aes))"
	[ $prc != 0 ] || fail "-c passes although the kernel has ESP and lacks rfc4106(gcm(aes))"
else
	grep -q "crypto API lacks" "$WORK/p/check.log" && fail "-c names an algorithm this kernel has"
	[ $prc = 0 ] || { cat "$WORK/p/check.log"; fail "-c fails"; }
fi
grep -q "crypto API lacks cbc(aes)\|crypto API lacks hmac(sha256)" "$WORK/p/check.log" &&
	fail "-c names cbc(aes)/hmac(sha256) as missing"
[ "$(ns_sas "$P")" = 0 ] || fail "probing left an SA"

# 4. a CHILD SA: the responder's SPIs come from the kernel (ALLOCSPI, the
# default), the initiator's are picked by the daemon (allocspi = false:
# checked with GETSA); without ESP the SA add fails with the kernel's
# answer, the CHILD SA fails on both sides, nothing stays installed
write_config "$WORK/a" kernel=netlink local=10.78.0.1 remote=10.78.0.2 auto_start=true \
	local_ts=10.1.0.0/24 remote_ts=10.2.0.0/24
write_config "$WORK/b" kernel=netlink local=10.78.0.2 remote=10.78.0.1 \
	local_ts=10.2.0.0/24 remote_ts=10.1.0.0/24
sed -i 's/^\(\tcritical = \[ "nettle", "psk", "kernel-netlink" \];\)$/\1\n\tkernel-netlink = { allocspi = false; };/' \
	"$WORK/a/ikev2.config"
grep -q "allocspi = false" "$WORK/a/ikev2.config" || fail "could not set allocspi in a's configuration"
start_daemon "$B" "$WORK/b" || finish
start_daemon "$A" "$WORK/a" || finish
# in.ikev2d -c says whether the kernel has ESP (a warning: the
# configuration itself is fine), and the probe leaves no SA behind
if [ $has_esp = 0 ]; then
	grep -q "kernel-netlink: warning: this kernel has no ESP: .*Protocol not supported.*esp4/esp6.*kernel-userspace" "$WORK/a/check.log" ||
		{ cat "$WORK/a/check.log"; fail "in.ikev2d -c does not say that the kernel has no ESP"; }
else
	grep -q "this kernel has no ESP" "$WORK/a/check.log" "$WORK/a/daemon.log" &&
		fail "in.ikev2d says 'no ESP' on a kernel that has it"
fi
if [ $has_esp = 0 ]; then
	wait_for 30 grep -q "CHILD SA failed\|CHILD SA refused" "$WORK/a/daemon.log" ||
		fail "the initiator never saw the CHILD SA fail"
	grep -q "SPI [0-9a-f]* reserved by the kernel" "$WORK/b/daemon.log" || fail "no SPI from ALLOCSPI"
	grep -q "SPI [0-9a-f]* reserved (picked by the daemon)" "$WORK/a/daemon.log" || fail "no SPI picked by the initiator"
	grep -q "reserved (picked" "$WORK/b/daemon.log" && fail "the responder picked an SPI (allocspi is true by default)"
	grep -E "adding SA [0-9a-f]+ .*failed: .*\(kernel: " "$WORK/b/daemon.log" ||
		fail "the kernel's answer to the SA add is not in the log"
	grep -q "installing the CHILD SA .* failed" "$WORK/b/daemon.log" || fail "no install failure logged"
	grep -q "CHILD SA established" "$WORK/a/daemon.log" "$WORK/b/daemon.log" &&
		fail "a CHILD SA was logged as established"
	grep -q "IKE SA established" "$WORK/a/daemon.log" || fail "the IKE SA did not come up"
	sleep 1
	for ns in "$A" "$B"; do
		[ "$(ns_sas "$ns")" = 0 ] || { ip -n "$ns" xfrm state; fail "SAs left in $ns"; }
		[ "$(our_policies "$ns")" = 0 ] || { ip -n "$ns" xfrm policy; fail "policies left in $ns"; }
	done
else
	log "this kernel has ESP: SA failure checks skipped (guest-netlink covers SAs)"
	wait_for 30 grep -q "CHILD SA established" "$WORK/a/daemon.log" || fail "CHILD SA not established"
fi
stop_daemon "$WORK/a"; stop_daemon "$WORK/b"
for ns in "$A" "$B"; do
	[ "$(our_policies "$ns")" = 0 ] || { ip -n "$ns" xfrm policy; fail "policies left in $ns after SIGTERM"; }
	[ "$(ns_sas "$ns")" = 0 ] || { ip -n "$ns" xfrm state; fail "SAs left in $ns after SIGTERM"; }
done
foreign || fail "someone else's policy was touched"
finish
