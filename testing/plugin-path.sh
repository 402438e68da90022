#!/bin/sh
# plugin-path.sh BUILDDIR [EXTRA...] - print the IKEV2D_PLUGIN_PATH that
# finds every plugin and kernel backend built in BUILDDIR (each one's .libs
# directory), followed by the EXTRA directories.  One place for it, so a new
# plugin directory needs no edit in the test harnesses.
b=${1:?usage: plugin-path.sh BUILDDIR [EXTRA...]}
shift
path=
for d in "$b"/plugins/*/.libs "$b"/kernel-backends/*/.libs "$@"; do
	[ -d "$d" ] || continue
	path="${path:+$path:}$d"
done
printf '%s\n' "$path"
