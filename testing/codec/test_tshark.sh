#!/bin/sh
# Messages our codec generates (every exchange, SK with ENCR_NULL so tshark
# can look inside, RFC 7383 fragments) are dissected by tshark with no
# malformed-packet or other expert warnings, and tshark sees the payload
# chains we built.  Skips (77) without tshark.
command -v tshark >/dev/null 2>&1 || { echo "SKIP: tshark is not installed"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/codec-tshark.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
# tshark reads the IKEv2 decryption table from the personal configuration.
mkdir -p "$work/.config/wireshark"
"$top_builddir/testing/codec/ikev2_gen" "$work/gen.pcap" \
	"$work/.config/wireshark/ikev2_decryption_table" "$work/expected" || exit 1

HOME=$work tshark -r "$work/gen.pcap" -q -z expert >"$work/expert" 2>"$work/stderr"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: tshark exited with $rc"; cat "$work/stderr"; exit 1
fi
if grep -Eq 'Errors|Warns|Malformed' "$work/expert"; then
	echo "FAIL: tshark reports problems:"; cat "$work/expert"; exit 1
fi

HOME=$work tshark -r "$work/gen.pcap" -T fields -e frame.number \
	-e isakmp.typepayload -e isakmp.notify.msgtype >"$work/fields" 2>/dev/null
if ! diff -u "$work/expected" "$work/fields"; then
	echo "FAIL: tshark decodes other payload chains than we built"; exit 1
fi
echo "tshark dissected $(wc -l <"$work/fields") generated frames cleanly, payload chains as built"
