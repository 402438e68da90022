#!/bin/bash
# xfrm-smoke.sh (guest) - the guest kernel really does ESP: SAs the host
# kernel refuses are accepted, and manual SAs carry a ping between two
# namespaces with the ESP counters rising.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
guest_only

k1=0x$(printf '%040x' 1)   # 16-byte key + 4-byte salt
k2=0x$(printf '%040x' 2)

esp_state_add() {
	ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 mode tunnel \
		aead 'rfc4106(gcm(aes))' "$k1" 128
	ip xfrm state list | grep -q 'spi 0x00001000'
	ip xfrm state del src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000
}
check "ESP SA add/list/delete (gcm-aes)" esp_state_add

manual_tunnel() {
	set -e
	ip netns add ga; ip netns add gb
	ip link add va netns ga type veth peer name vb netns gb
	ip -n ga addr add 192.0.2.1/24 dev va; ip -n ga link set va up; ip -n ga link set lo up
	ip -n gb addr add 192.0.2.2/24 dev vb; ip -n gb link set vb up; ip -n gb link set lo up
	for ns in ga gb; do
		ip -n $ns xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x2001 mode transport \
			aead 'rfc4106(gcm(aes))' "$k1" 128
		ip -n $ns xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2002 mode transport \
			aead 'rfc4106(gcm(aes))' "$k2" 128
	done
	ip -n ga xfrm policy add src 192.0.2.1 dst 192.0.2.2 dir out tmpl proto esp mode transport
	ip -n ga xfrm policy add src 192.0.2.2 dst 192.0.2.1 dir in tmpl proto esp mode transport
	ip -n gb xfrm policy add src 192.0.2.2 dst 192.0.2.1 dir out tmpl proto esp mode transport
	ip -n gb xfrm policy add src 192.0.2.1 dst 192.0.2.2 dir in tmpl proto esp mode transport
	ip netns exec ga ping -c 3 -i 0.2 -W 2 192.0.2.2
	n=$(xfrm_packets gb 0x2001)
	echo "packets on b's inbound SA: $n"
	[ "${n:-0}" -ge 3 ]
}
check "manual ESP transport SAs carry a ping" manual_tunnel
ip netns del ga 2>/dev/null; ip netns del gb 2>/dev/null

check "in.ikev2d runs in the guest" "$top_builddir/core/daemon/in.ikev2d" -V
checks_done
