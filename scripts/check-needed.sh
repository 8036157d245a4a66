#!/usr/bin/env bash
# check-needed.sh BIN: fails unless the Linux binary's NEEDED entries (the
# shared libraries the dynamic loader must find) are exactly the sonames of
# packaging/linux/needed.txt. A new entry means a new run-time dependency
# for every user: add it there, with its Debian package, on purpose; an
# entry no longer needed must leave the list (and so the .deb's Depends).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/calla}
want=$(awk '!/^#/ && NF {print $1}' packaging/linux/needed.txt | sort -u)
got=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u)
if [ -z "$got" ]; then
	echo "check-needed: $bin has no NEEDED entries (not a dynamic ELF binary?)" >&2
	exit 1
fi
extra=$(comm -13 <(echo "$want") <(echo "$got"))
gone=$(comm -23 <(echo "$want") <(echo "$got"))
if [ -n "$extra" ] || [ -n "$gone" ]; then
	[ -z "$extra" ] || echo "check-needed: $bin needs libraries not in packaging/linux/needed.txt: $(echo $extra)" >&2
	[ -z "$gone" ] || echo "check-needed: packaging/linux/needed.txt lists libraries $bin does not need: $(echo $gone)" >&2
	echo "check-needed: was it built with 'make build' (static codecs)? Otherwise update needed.txt on purpose." >&2
	exit 1
fi
echo "check-needed: ok ($(echo $got))"
