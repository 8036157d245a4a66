#!/usr/bin/env bash
# setup.sh installs the system packages Calla's build and tests need.
#
# Idempotent: when everything is present it only checks and exits (well
# under a second). Where it cannot install (no root and no sudo, an unknown
# package manager) it prints the exact command to run and exits 1.
set -euo pipefail
group=${1:-}

# Debian/Ubuntu package names. Build: gcc, pkg-config, GL/X11 headers for
# Fyne (GLFW), libvpx for VP8, libopus for Opus decoding, libspeexdsp for
# acoustic echo cancellation. Tests: Xvfb, a
# screenshot tool (ImageMagick's import), xdotool to drive the real window,
# x11-utils for xwininfo. libasound2 lets miniaudio open ALSA's null device.
# chromium: the interop tests drive the browser client with it (headless,
# fake devices), so that a standard WebRTC stack judges Calla's. nodejs and
# node-ws (Node.js's ws, a third-party RFC 6455 implementation) check the
# signaling server's websocket close behaviour. PulseAudio (with its
# pactl/paplay/parecord tools) and espeak-ng: the device tests start a
# private PulseAudio daemon with virtual devices and speak into its virtual
# microphone (media/pulseaudio_test.go). coturn judges Calla's TURN
# credentials and relays calls in the TURN tests; iproute2 and nftables
# build the NAT namespaces of the network-namespace call test. A font
# with Chinese and Japanese glyphs (Fyne falls back to the system's; its
# own has none) for the translated screens and their tests.
# The .deb's checks: dpkg-dev (dpkg-shlibdeps), appstream (appstreamcli),
# desktop-file-utils.
#
# `setup.sh package` adds what `make package-check` needs (debootstrap);
# `setup.sh windows` what `make package-windows` needs (the MinGW-w64 C
# and C++ compilers: libvpx has a C++ file; nasm for libvpx's assembly,
# dpkg-dev for apt-get source; wine64 to run the exe once; zip).
DEB_PKGS=(gcc libc6-dev pkg-config libgl1-mesa-dev xorg-dev libvpx-dev libopus-dev libspeexdsp-dev
	xvfb imagemagick xdotool x11-utils libasound2 xz-utils git make file nodejs node-ws
	dpkg-dev appstream desktop-file-utils chromium pulseaudio pulseaudio-utils espeak-ng coturn iproute2 nftables fonts-wqy-microhei)
case "$group" in
"") ;;
package) DEB_PKGS+=(debootstrap) ;;
windows) DEB_PKGS+=(gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 nasm dpkg-dev wine64 zip unzip) ;;
*)
	echo "setup: unknown group '$group' (want: package, windows)" >&2
	exit 1
	;;
esac
RPM_PKGS=(gcc pkgconf-pkg-config mesa-libGL-devel libXcursor-devel libXrandr-devel
	libXinerama-devel libXi-devel libXxf86vm-devel libvpx-devel opus-devel speexdsp-devel
	xorg-x11-server-Xvfb ImageMagick xdotool xorg-x11-utils alsa-lib xz git make chromium
	pulseaudio pulseaudio-utils espeak-ng wqy-microhei-fonts)
BREW_PKGS=(pkg-config libvpx opus speexdsp)

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "setup: need root to run: $*" >&2
		echo "setup: run it yourself, then run this script again." >&2
		exit 1
	fi
}

missing_deb() {
	local p out=()
	for p in "${DEB_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
	done
	echo "${out[@]:-}"
}

case "$(uname -s)" in
Linux)
	if command -v apt-get >/dev/null 2>&1; then
		missing=$(missing_deb)
		if [ -z "$missing" ]; then
			exit 0
		fi
		echo "setup: installing Debian packages: $missing" >&2
		export DEBIAN_FRONTEND=noninteractive
		as_root apt-get update -q
		# shellcheck disable=SC2086 # word splitting is the point
		as_root apt-get install -y -q --no-install-recommends $missing
	elif command -v dnf >/dev/null 2>&1; then
		missing=()
		for p in "${RPM_PKGS[@]}"; do rpm -q "$p" >/dev/null 2>&1 || missing+=("$p"); done
		[ ${#missing[@]} -eq 0 ] && exit 0
		as_root dnf install -y "${missing[@]}"
	else
		echo "setup: unknown package manager. Install the equivalents of:" >&2
		echo "  ${DEB_PKGS[*]}" >&2
		exit 1
	fi
	;;
Darwin)
	if ! command -v brew >/dev/null 2>&1; then
		echo "setup: Homebrew is missing. Install it from https://brew.sh, then run:" >&2
		echo "  brew install ${BREW_PKGS[*]}" >&2
		exit 1
	fi
	missing=()
	for p in "${BREW_PKGS[@]}"; do brew list --versions "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && exit 0
	brew install "${missing[@]}"
	;;
*)
	echo "setup: on $(uname -s) install: pkg-config, libvpx, opus and speexdsp (for MSYS2: pacman -S mingw-w64-x86_64-{gcc,pkgconf,libvpx,opus,speexdsp})" >&2
	exit 1
	;;
esac
