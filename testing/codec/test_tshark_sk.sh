#!/bin/sh
# Protected messages we generate with real ciphers (nettle plugin: AES-GCM-256
# and AES-CBC-256 + HMAC-SHA2-256-128), including RFC 7383 fragments, are
# decrypted by tshark with their keys, every ICV is "[correct]" to tshark,
# the inner payload chains are the ones we built, and there are no expert
# warnings.  Skips (77) without tshark or the nettle plugin.
command -v tshark >/dev/null 2>&1 || { echo "SKIP: tshark is not installed"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/codec-tshark-sk.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/.config/wireshark"
"$top_builddir/testing/codec/ikev2_gen_sk" "$work/gen.pcap" \
	"$work/.config/wireshark/ikev2_decryption_table" "$work/expected" >"$work/out"
rc=$?
cat "$work/out"
[ $rc -eq 0 ] || exit $rc
want=$(sed -n 's/^protected //p' "$work/out")

HOME=$work tshark -r "$work/gen.pcap" -q -z expert >"$work/expert" 2>&1 ||
	{ echo "FAIL: tshark failed"; cat "$work/expert"; exit 1; }
if grep -Eq 'Errors|Warns|Malformed' "$work/expert"; then
	echo "FAIL: tshark reports problems:"; cat "$work/expert"; exit 1
fi
HOME=$work tshark -r "$work/gen.pcap" -V >"$work/verbose" 2>/dev/null
correct=$(grep -c 'Integrity Checksum Data.*\[correct\]' "$work/verbose")
if [ "$correct" != "$want" ] || grep -q 'Integrity Checksum Data.*incorrect' "$work/verbose"; then
	echo "FAIL: tshark verified $correct of $want ICVs"
	grep 'Integrity Checksum Data' "$work/verbose"
	exit 1
fi
HOME=$work tshark -r "$work/gen.pcap" -T fields -e frame.number \
	-e isakmp.typepayload -e isakmp.notify.msgtype >"$work/fields" 2>/dev/null
if ! diff -u "$work/expected" "$work/fields"; then
	echo "FAIL: tshark decrypts other payload chains than we built"; exit 1
fi
echo "tshark decrypted $want protected frames, every ICV correct, payload chains as built"
