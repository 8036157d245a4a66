#!/usr/bin/env bash
# package-deb.sh BIN TARBALL: builds dist/calla_VERSION_amd64.deb with nfpm
# (pinned in tools/go.mod) from the already built BIN, the .desktop entry
# that `fyne package` wrote into TARBALL, the icon and the AppStream
# metainfo, then checks it with Debian's and freedesktop's own tools:
#
#   - Depends comes from dpkg-shlibdeps on BIN, and its package names must
#     be exactly the package column of packaging/linux/needed.txt;
#   - appstreamcli validate-tree and desktop-file-validate accept what the
#     package installs;
#   - dpkg-deb reads the result back: fields and file list.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/calla}
tarball=${2:-dist/Calla.tar.xz}
id=$(sed -n 's/^ *ID *= *"\(.*\)"/\1/p' FyneApp.toml)
version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
deb=dist/calla_${version}_amd64.deb
work=$PWD/build/deb
fail() { echo "package-deb: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/debian" dist

# Depends, from dpkg's own map of sonames to packages (it reads the
# installed packages' shlibs/symbols files), checked against needed.txt.
printf 'Source: calla\n\nPackage: calla\nArchitecture: any\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O "$OLDPWD/$bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || fail "dpkg-shlibdeps found no dependencies for $bin"
want=$(awk '!/^#/ && NF {print $2}' packaging/linux/needed.txt | sort -u)
got=$(tr ',' '\n' <<<"$depends" | awk 'NF {print $1}' | sort -u)
[ "$want" = "$got" ] || fail "dpkg-shlibdeps says $bin needs packages $(echo $got), packaging/linux/needed.txt says $(echo $want)"

tar -xJOf "$tarball" "calla/usr/local/share/applications/$id.desktop" >"$work/$id.desktop"

{
	cat <<EOF
name: calla
arch: amd64
platform: linux
version: "$version"
section: net
priority: optional
maintainer: Calla developers <calla-rtc@users.noreply.github.com>
homepage: https://github.com/calla-rtc/calla
description: |-
  Audio and video calls, one to one and in small groups
  Calla is a desktop app for audio and video calls: one to one and in groups
  of up to nine, with ringing, accept, decline or voice only, speaking and
  network-quality indicators, and switching between audio and video. With no
  configuration it runs its own signalling server and offers an Echo Test.
depends:
EOF
	tr ',' '\n' <<<"$depends" | sed -n 's/^ *\(.*[^ ]\) *$/  - "\1"/p'
	# Loaded with dlopen when present (see packaging/linux/needed.txt):
	# sound (miniaudio) and GLFW's optional X extensions.
	cat <<EOF
recommends:
  - libasound2
  - libxcursor1
  - libxi6
  - libxinerama1
  - libxrandr2
contents:
  - src: $PWD/$bin
    dst: /usr/bin/calla
    file_info: {mode: 0755}
  - src: $work/$id.desktop
    dst: /usr/share/applications/$id.desktop
    file_info: {mode: 0644}
  - src: $PWD/assets/icon.png
    dst: /usr/share/icons/hicolor/512x512/apps/$id.png
    file_info: {mode: 0644}
  - src: $PWD/packaging/linux/$id.metainfo.xml
    dst: /usr/share/metainfo/$id.metainfo.xml
    file_info: {mode: 0644}
EOF
} >"$work/nfpm.yaml"

rm -f "$deb"
go -C tools tool nfpm package --config "$work/nfpm.yaml" --packager deb --target "$PWD/$deb" >/dev/null

# Read it back with dpkg and judge what it installs.
info=$(dpkg-deb --field "$deb" Package Version Architecture Depends)
grep -qx "Depends: $depends" <<<"$info" || fail "$deb: Depends is not '$depends':
$info"
mkdir -p "$work/root"
dpkg-deb -x "$deb" "$work/root"
for f in usr/bin/calla "usr/share/applications/$id.desktop" "usr/share/icons/hicolor/512x512/apps/$id.png" "usr/share/metainfo/$id.metainfo.xml"; do
	[ -s "$work/root/$f" ] || fail "$deb lacks /$f"
done
[ -x "$work/root/usr/bin/calla" ] || fail "$deb: /usr/bin/calla is not executable"
dfv=$(desktop-file-validate "$work/root/usr/share/applications/$id.desktop" 2>&1) && [ -z "$dfv" ] ||
	fail "desktop-file-validate has something to say about $id.desktop: $dfv"
appstreamcli validate-tree --no-net "$work/root" >"$work/appstream.log" 2>&1 || {
	cat "$work/appstream.log" >&2
	fail "appstreamcli validate-tree rejects the package's files"
}
"$work/root/usr/bin/calla" version 2>/dev/null | grep -q "^calla $version" || fail "the packaged binary does not run"
echo "package-deb: $deb ($(echo $info | tr '\n' ' '))"
