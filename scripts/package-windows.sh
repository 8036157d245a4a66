#!/usr/bin/env bash
# package-windows.sh: cross-builds Calla for 64-bit Windows here, on Debian,
# into dist/Calla.exe and dist/Calla-windows-amd64.zip, and checks it.
#
#  1. libvpx, libopus and libspeexdsp come from Debian's own source packages
#     (apt-get source, with Debian's patches), built as static libraries
#     with the MinGW-w64 cross compiler (scripts/windows-codecs.sh) into
#     build/windows/codecs-VERSIONS-RECIPE. apt uses a private source list
#     and state under build/windows, so the system's apt configuration is
#     left alone. A second run finds the libraries there and skips all this.
#  2. `fyne package --os windows` compiles Calla with x86_64-w64-mingw32-gcc
#     (cgo), linking those archives (scripts/pkg-config-static), and embeds
#     the icon and manifest.
#  3. x86_64-w64-mingw32-objdump -p lists the exe's imported DLLs; they must
#     be exactly those of packaging/windows/system-dlls.txt.
#  4. Debian's wine runs `Calla.exe version` (scripts/wine-smoke.sh).
#  5. The exe goes into a zip, which is listed and tested.
#
# Real Windows runs it only in the release workflow.
set -euo pipefail
cd "$(dirname "$0")/.."
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
host=x86_64-w64-mingw32
cache=$PWD/build/windows
jobs=$(nproc)
version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
fail() { echo "package-windows: $*" >&2; exit 1; }
say() { echo "package-windows: $*"; }
mkdir -p "$cache"

for tool in $host-gcc $host-g++ $host-objdump nasm dpkg-source zip unzip; do
	command -v "$tool" >/dev/null || fail "$tool is missing: run ./scripts/setup.sh windows"
done

# apt with a private deb-src list, lists and archive cache.
aptdir=$cache/apt
mkdir -p "$aptdir/lists/partial" "$aptdir/archives/partial"
printf 'deb-src %s %s main\n' "$mirror" "$suite" >"$aptdir/sources.list"
apt_private() {
	apt-get -q -o Dir::Etc::SourceList="$aptdir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$aptdir/lists" -o Dir::Cache::Archives="$aptdir/archives" \
		-o Debug::NoLocking=1 "$@"
}

# The sources are fetched once (delete build/windows/src for newer ones).
# Their versions and a hash of the build recipe name the prefix.
src=$cache/src
mkdir -p "$src"
if ! ls "$src"/libvpx_*.dsc "$src"/opus_*.dsc "$src"/speexdsp_*.dsc >/dev/null 2>&1; then
	say "fetching Debian's sources of libvpx, opus and speexdsp"
	apt_private update >"$cache/apt.log" 2>&1 || fail "apt-get update failed; see $cache/apt.log"
	(cd "$src" && apt_private source libvpx opus speexdsp >>"$cache/apt.log" 2>&1) ||
		fail "apt-get source failed; see $cache/apt.log"
fi
versions=$(cd "$src" && ls libvpx_*.dsc opus_*.dsc speexdsp_*.dsc | sed 's/\.dsc$//' | tr '\n' '+' | sed 's/+$//')
recipe=$(sha256sum scripts/windows-codecs.sh | cut -c1-12)
prefix=$cache/codecs-$versions-$recipe

if [ ! -e "$prefix/.complete" ]; then
	t0=$SECONDS
	# Older prefixes (other versions or recipes) go: nothing uses them.
	rm -rf "$cache"/prefix-* "$cache"/work "$cache"/codecs-*
	say "building static libvpx, libopus, libspeexdsp for $host (once; logs in ${prefix#$PWD/}.work/)"
	./scripts/windows-codecs.sh "$src" "$prefix" || fail "building the codec libraries failed"
	touch "$prefix/.complete"
	say "codec libraries built in $((SECONDS - t0))s"
else
	say "codec libraries: cached in ${prefix#$PWD/}"
fi

# fyne package runs `go build` itself, with GOOS=windows and -H=windowsgui;
# it takes our -ldflags from GOFLAGS. It writes files into the source
# directory while it builds (fyne.syso, fyne_metadata_init.go, the exe) and
# bumps FyneApp.toml's build number, so it works on a copy of the checkout's
# files (tracked and new, as they are now): the checkout stays clean, and a
# Linux build running beside it never sees the Windows resource object.
# The copy always lands at the same path, so the go command's cache entries
# for Calla's own packages stay valid from one run to the next.
fyne=$PWD/bin/fyne
[ -x "$fyne" ] || fail "bin/fyne is missing: run make bin/fyne"
tree=$cache/tree
rm -rf "$tree"
mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tree" 2>/dev/null ||
	fail "copying the source tree failed"
# For Windows, fyne package builds the exe, then writes the icon and
# manifest into fyne.syso and builds again; a first build is skipped when
# --executable names an existing file, so an empty one stands in for it.
touch "$tree/calla.exe"
t0=$SECONDS
# Go's build cache for this target lives in build/windows/go-build: the cgo
# packages (go-gl's OpenGL bindings and GLFW above all) compile once and
# stay, whatever happens to the shared cache. Their keys include CC, the
# CGO_* flags and the C compiler's version; the include path in
# CGO_CPPFLAGS puts the prefix into them too (pkg-config's answers are
# not part of the keys).
# GOFLAGS: fyne joins every -ldflags= in it; -s -w leave out the symbol
# table and DWARF (a third of the exe; panics still print their stacks).
# CGO_LDFLAGS: -static links libstdc++ (pion/mediadevices' DirectShow
# camera is C++), libgcc, winpthreads (libvpx) and libssp in, not their
# DLLs; -lssp because fyne adds -fstack-protector-strong and
# -D_FORTIFY_SOURCE to CGO_CFLAGS, whose checks MinGW-w64 10 takes from
# GCC's libssp, which nothing else names at the final link.
(cd "$tree" && env CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=$host-gcc CXX=$host-g++ \
	GOCACHE="$cache/go-build" \
	PKG_CONFIG="$PWD/scripts/pkg-config-static" PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" PKG_CONFIG_PATH= \
	CGO_CPPFLAGS="-DCALLA_STATIC_CODECS -I$prefix/include" CGO_LDFLAGS="-static -lssp" \
	GOFLAGS="-ldflags=-s -ldflags=-w -ldflags=-X=github.com/calla-rtc/calla/cli.Version=$version" \
	"$fyne" package --os windows --executable calla.exe --name Calla --app-version "$version" \
	--icon assets/icon.png) >"$cache/fyne.log" 2>&1 ||
	{ tail -n 60 "$cache/fyne.log" >&2; fail "fyne package --os windows failed; see $cache/fyne.log"; }
mkdir -p dist
mv "$tree/Calla.exe" dist/Calla.exe
rm -rf "$tree"
say "compiled and packaged in $((SECONDS - t0))s"

./scripts/check-windows-imports.sh dist/Calla.exe
./scripts/wine-smoke.sh dist/Calla.exe "$version"

zip=dist/Calla-windows-amd64.zip
rm -f "$zip"
zip -q -X -j "$zip" dist/Calla.exe
zip -q -T "$zip" >/dev/null || fail "$zip does not test as a good zip"
[ "$(unzip -Z1 "$zip")" = Calla.exe ] || fail "$zip should hold only Calla.exe: $(unzip -Z1 "$zip" | tr '\n' ' ')"
say "dist/Calla.exe ($(du -h dist/Calla.exe | cut -f1)), $zip ($(du -h "$zip" | cut -f1))"
