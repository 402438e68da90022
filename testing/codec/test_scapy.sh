#!/bin/sh
# Messages built by scapy (an independent IKEv2 implementation) parse with
# our codec into the fields scapy put in.  Skips (77) without python3-scapy.
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY not found"; exit 77; }
"$PY" -c 'import scapy.contrib.ikev2' 2>/dev/null ||
	{ echo "SKIP: python3-scapy is not installed"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/codec-scapy.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
"$PY" "$top_srcdir/testing/codec/scapy_messages.py" \
	"$top_builddir/testing/codec/ikev2_parse" "$work"
