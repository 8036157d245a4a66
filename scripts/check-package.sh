#!/usr/bin/env bash
# check-package.sh TARBALL APP_ID: fails unless the Linux tarball holds an
# executable calla, a valid .desktop entry that runs it, and the icon.
set -euo pipefail
tarball=$1 id=$2
list=$(tar tJvf "$tarball")
fail() { echo "check-package: $*" >&2; exit 1; }
grep -qE '^-rwx.* calla/usr/local/bin/calla$' <<<"$list" || fail "no executable usr/local/bin/calla in $tarball"
grep -q "calla/usr/local/share/applications/$id.desktop$" <<<"$list" || fail "no $id.desktop in $tarball"
grep -q "calla/usr/local/share/pixmaps/$id.png$" <<<"$list" || fail "no icon $id.png in $tarball"
desktop=$(tar xJOf "$tarball" "calla/usr/local/share/applications/$id.desktop")
for want in '^\[Desktop Entry\]$' '^Type=Application$' '^Name=Calla$' '^Exec=calla' "^Icon=$id\$"; do
	grep -qE "$want" <<<"$desktop" || fail ".desktop lacks $want"
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
tar xJf "$tarball" -C "$tmp"
file "$tmp/calla/usr/local/share/pixmaps/$id.png" | grep -q 'PNG image data' || fail "icon is not a PNG"
"$tmp/calla/usr/local/bin/calla" version | grep -q '^calla ' || fail "packaged binary does not run"
echo "check-package: ok ($tarball)"
