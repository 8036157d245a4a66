#!/usr/bin/env bash
# wine-smoke.sh EXE VERSION: runs `EXE version` under Debian's wine (a
# Windows implementation that is not ours, and whose loader refuses an exe
# whose DLL imports it cannot resolve) and fails unless it prints exactly
# "calla VERSION".
#
# Debian 12's wine (8.0) lacks bcryptprimitives.dll, from which Go's runtime
# (1.24 and later) takes its random bytes, so a Go exe stops at start-up
# there. The wine prefix (build/windows/wine, made once) gets a stand-in for
# it in its System32, built from packaging/windows/wine/; the exe itself is
# not changed and the stand-in never ships. Real Windows is the release
# workflow's job.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=$(realpath "$1") version=$2
host=x86_64-w64-mingw32
wine=${WINE:-/usr/lib/wine/wine64}
wineserver=${WINESERVER:-/usr/lib/wine/wineserver64}
fail() { echo "wine-smoke: $*" >&2; exit 1; }
[ -x "$wine" ] || fail "$wine is missing: run ./scripts/setup.sh windows"

export WINEPREFIX=$PWD/build/windows/wine WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
# Whatever happens, this prefix's wineserver (and any process left in it)
# stops with this script.
trap '"$wineserver" -k 2>/dev/null || true' EXIT

if [ ! -e "$WINEPREFIX/system.reg" ]; then
	echo "wine-smoke: making a wine prefix in ${WINEPREFIX#$PWD/} (once)"
	timeout 300 "$wine" wineboot --init >"$PWD/build/windows/wineboot.log" 2>&1 ||
		{ tail -n 20 "$PWD/build/windows/wineboot.log" >&2; fail "wineboot failed"; }
	"$wineserver" -w
fi
shim=$PWD/build/windows/bcryptprimitives.dll
src=packaging/windows/wine
if [ ! -e "$shim" ] || [ "$src/bcryptprimitives.c" -nt "$shim" ] || [ "$src/bcryptprimitives.def" -nt "$shim" ]; then
	$host-gcc -O2 -shared -static-libgcc -o "$shim" "$src/bcryptprimitives.c" "$src/bcryptprimitives.def" -lbcrypt ||
		fail "building the bcryptprimitives.dll stand-in failed"
fi
cp "$shim" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"

out=$(timeout 300 "$wine" "$exe" version </dev/null 2>"$PWD/build/windows/wine-smoke.log" | tr -d '\r') || {
	tail -n 30 "$PWD/build/windows/wine-smoke.log" >&2
	fail "$exe version failed under wine (exit status or timeout above)"
}
[ "$out" = "calla $version" ] || fail "$exe version printed '$out', want 'calla $version'"
echo "wine-smoke: $(basename "$exe") version: $out (under $("$wine" --version))"
