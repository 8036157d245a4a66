#!/usr/bin/env bash
# windows-codecs.sh SRC PREFIX: builds static libvpx, libopus and
# libspeexdsp for x86_64-w64-mingw32 from the Debian source trees unpacked
# in SRC (libvpx-*, opus-*, speexdsp-*) and installs them into PREFIX.
#
# scripts/package-windows.sh runs it once and caches PREFIX: the prefix's
# name holds the source versions and a hash of this file, so a new Debian
# upload or a change to the recipe below builds again, and nothing else does.
#
# libvpx builds beside opus and then speexdsp: autoconf's configure runs on
# one core, so the second core would otherwise idle through it. Each build
# logs to PREFIX.work/NAME.log; on failure the log's tail is printed.
set -euo pipefail
src=$1 prefix=$2
host=x86_64-w64-mingw32
jobs=$(nproc)
work=$prefix.work
rm -rf "$prefix" "$work"
mkdir -p "$work"

# Out of the unpacked sources, so that a failed build leaves them clean.
for p in libvpx opus speexdsp; do
	d=$(find "$src" -mindepth 1 -maxdepth 1 -type d -name "$p-*" | head -1)
	[ -n "$d" ] || { echo "windows-codecs: no unpacked $p source in $src" >&2; exit 1; }
	cp -a "$d" "$work/$p"
done

# VP9 stays in: pion/mediadevices' vpx package refers to its encoder and
# decoder. libvpx has C++ files (the rate control), hence MinGW-w64's g++;
# its configure finds MinGW-w64's winpthreads, which the exe's -static link
# takes in as an archive (as it does libstdc++ and libssp): no DLL.
build_vpx() {
	cd "$work/libvpx"
	CROSS=$host- ./configure --target=x86_64-win64-gcc --prefix="$prefix" --as=nasm \
		--enable-static --disable-shared --disable-examples --disable-tools --disable-docs \
		--disable-unit-tests --enable-vp8 --enable-vp9
	make -j"$jobs"
	make install
}

# Opus keeps its hardening (stack protector, _FORTIFY_SOURCE) as Debian
# builds it; with MinGW-w64 both call into GCC's libssp, linked statically.
build_opus() {
	cd "$work/opus"
	./configure --host=$host --prefix="$prefix" --enable-static --disable-shared \
		--disable-doc --disable-extra-programs
	make -j"$jobs"
	make install
}

build_speexdsp() {
	cd "$work/speexdsp"
	./configure --host=$host --prefix="$prefix" --enable-static --disable-shared --disable-examples
	make -j"$jobs"
	make install
}

# run NAME: one build in a subshell (set -e holds inside it), logged.
run() {
	if ! ("build_$1") >"$work/$1.log" 2>&1; then
		echo "windows-codecs: building $1 failed; the end of $work/$1.log:" >&2
		tail -n 30 "$work/$1.log" >&2
		return 1
	fi
}

run vpx &
vpx=$!
ok=1
run opus && run speexdsp || ok=0
wait "$vpx" || ok=0
[ "$ok" = 1 ] || exit 1

for f in libvpx.a libopus.a libspeexdsp.a pkgconfig/vpx.pc pkgconfig/opus.pc pkgconfig/speexdsp.pc; do
	[ -s "$prefix/lib/$f" ] || { echo "windows-codecs: the build installed no $prefix/lib/$f" >&2; exit 1; }
done
rm -rf "$work"
