#!/usr/bin/env bash
# package-windows.sh: cross-builds dist/Calla.exe for 64-bit Windows here,
# on Debian, and checks that it imports only Windows system DLLs.
#
#  1. libvpx, libopus and libspeexdsp come from Debian's own source packages
#     (apt-get source, with Debian's patches), built as static libraries
#     with the MinGW-w64 cross compiler into build/windows/prefix-VERSIONS.
#     apt uses a private source list and state under build/windows, so the
#     system's apt configuration is left alone. A second run finds the
#     libraries there and skips all of this.
#  2. `fyne package --os windows` compiles Calla with x86_64-w64-mingw32-gcc
#     (cgo), linking those archives (scripts/pkg-config-static), and embeds
#     the icon and manifest.
#  3. x86_64-w64-mingw32-objdump -p lists the exe's imported DLLs; each must
#     be in packaging/windows/system-dlls.txt.
#
# The exe cannot be run here: Debian 12's wine cannot run Go >= 1.24
# binaries. The release workflow runs it on its Windows runner.
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

for tool in $host-gcc $host-g++ $host-objdump nasm dpkg-source; do
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

# The source versions decide the prefix, so new Debian uploads rebuild.
src=$cache/src
mkdir -p "$src"
if ! ls "$src"/libvpx_*.dsc "$src"/opus_*.dsc "$src"/speexdsp_*.dsc >/dev/null 2>&1; then
	say "fetching Debian's sources of libvpx, opus and speexdsp"
	apt_private update >"$cache/apt.log" 2>&1 || fail "apt-get update failed; see $cache/apt.log"
	(cd "$src" && apt_private source libvpx opus speexdsp >>"$cache/apt.log" 2>&1) ||
		fail "apt-get source failed; see $cache/apt.log"
fi
versions=$(cd "$src" && ls libvpx_*.dsc opus_*.dsc speexdsp_*.dsc | sed 's/\.dsc$//' | tr '\n' '+' | sed 's/+$//')
prefix=$cache/prefix-$versions
dir_of() { find "$src" -mindepth 1 -maxdepth 1 -type d -name "$1-*" | head -1; }

if [ ! -e "$prefix/.complete" ]; then
	t0=$SECONDS
	rm -rf "$prefix" "$cache/work"
	mkdir -p "$cache/work"
	# Out of the unpacked sources, so that a failed build leaves them clean.
	for p in libvpx opus speexdsp; do
		d=$(dir_of "$p")
		[ -n "$d" ] || fail "no unpacked $p source in $src"
		cp -a "$d" "$cache/work/$p"
	done
	say "building static libvpx, libopus, libspeexdsp for $host (once; log: $cache/build.log)"
	(
		cd "$cache/work/libvpx" &&
			# Win32 threads, no pthreads DLL; VP9 stays in: pion/mediadevices'
			# vpx package refers to its encoder and decoder.
			CROSS=$host- ./configure --target=x86_64-win64-gcc --prefix="$prefix" --as=nasm \
				--enable-static --disable-shared --disable-examples --disable-tools --disable-docs \
				--disable-unit-tests --enable-vp8 --enable-vp9 &&
			make -j"$jobs" && make install &&
			cd "$cache/work/opus" &&
			# No stack protector: it would make the exe need libssp-0.dll.
			./configure --host=$host --prefix="$prefix" --enable-static --disable-shared \
				--disable-doc --disable-extra-programs --disable-stack-protector &&
			make -j"$jobs" && make install &&
			cd "$cache/work/speexdsp" &&
			./configure --host=$host --prefix="$prefix" --enable-static --disable-shared --disable-examples &&
			make -j"$jobs" && make install
	) >"$cache/build.log" 2>&1 || fail "building the codec libraries failed; see $cache/build.log"
	for f in libvpx.a libopus.a libspeexdsp.a pkgconfig/vpx.pc pkgconfig/opus.pc pkgconfig/speexdsp.pc; do
		[ -s "$prefix/lib/$f" ] || fail "the codec build installed no $prefix/lib/$f; see $cache/build.log"
	done
	rm -rf "$cache/work"
	touch "$prefix/.complete"
	say "codec libraries built in $((SECONDS - t0))s"
fi

# fyne package runs `go build` itself, with GOOS=windows and -H=windowsgui;
# it takes our -ldflags from GOFLAGS. It writes files into the source
# directory while it builds (fyne.syso, fyne_metadata_init.go, the exe) and
# bumps FyneApp.toml's build number, so it works on a copy of the checkout's
# files (tracked and new, as they are now): the checkout stays clean, and a
# Linux build running beside it never sees the Windows resource object.
fyne=$PWD/bin/fyne
[ -x "$fyne" ] || fail "bin/fyne is missing: run make bin/fyne"
tree=$cache/tree
rm -rf "$tree"
mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tree" 2>/dev/null ||
	fail "copying the source tree failed"
t0=$SECONDS
# The include path in CGO_CPPFLAGS also puts the prefix into the go
# command's cache keys (pkg-config's answers are not in them).
(cd "$tree" && env CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=$host-gcc CXX=$host-g++ \
	PKG_CONFIG="$PWD/scripts/pkg-config-static" PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" PKG_CONFIG_PATH= \
	CGO_CPPFLAGS="-DCALLA_STATIC_CODECS -I$prefix/include" \
	GOFLAGS="-ldflags=-X=github.com/calla-rtc/calla/cli.Version=$version" \
	"$fyne" package --os windows --name Calla --app-version "$version" --icon assets/icon.png) >"$cache/fyne.log" 2>&1 ||
	{ cat "$cache/fyne.log" >&2; fail "fyne package --os windows failed"; }
mkdir -p dist
mv "$tree/Calla.exe" dist/Calla.exe
rm -rf "$tree"
say "compiled and packaged in $((SECONDS - t0))s"

./scripts/check-windows-imports.sh dist/Calla.exe
say "dist/Calla.exe ($(du -h dist/Calla.exe | cut -f1)); it cannot run here (see README: Packaging)"
