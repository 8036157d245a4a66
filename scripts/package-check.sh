#!/usr/bin/env bash
# package-check.sh TARBALL DEB: proves the Linux packages on a clean system.
#
# A minimal Debian 12 (debootstrap --variant=minbase) gets exactly the
# run-time packages of packaging/linux/needed.txt, by installing the .deb
# with apt-get (so its Depends must be enough); then the tarball's binary
# and the installed one each print their version, and each starts under a
# private Xvfb inside that system, where a screenshot must show a window
# that is not blank. The codec libraries (libvpx, libopus, libspeexdsp)
# must not be on that system at all.
#
# The minimal system is built once and kept in build/package-check/ (a
# tarball of the root and apt's downloaded .debs), so a second run only
# unpacks it and installs a few cached packages. Needs root (chroot,
# unshare) and network access to a Debian mirror ($DEBIAN_MIRROR).
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=${1:?usage: package-check.sh TARBALL DEB}
deb=${2:?usage: package-check.sh TARBALL DEB}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
cache=$PWD/build/package-check
base=$cache/$suite-minbase.tar
archives=$cache/apt-archives
mkdir -p "$cache" "$archives/partial"

say() { echo "package-check: $*"; }
fail() { echo "package-check: FAIL: $*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
	fail "needs root (debootstrap, chroot, unshare); run it as root or with sudo"
fi
for tool in debootstrap unshare chroot convert; do
	command -v "$tool" >/dev/null || fail "$tool is missing: run ./scripts/setup.sh package"
done

# inroot [--net] ROOT CMD...: runs CMD chrooted in ROOT, in a mount
# namespace of its own (proc, dev and a fresh /tmp, gone with the process,
# whatever happens) and a PID namespace, so nothing it starts outlives it.
# --net also gives it a network namespace of its own with only loopback.
inroot() {
	local net=()
	if [ "$1" = --net ]; then
		net=(--net)
		shift
	fi
	local root=$1
	shift
	unshare --mount --propagation private --pid --fork "${net[@]}" -- \
		/bin/sh -c '
			r=$1; shift
			mount -t proc proc "$r/proc" &&
			mount --rbind /dev "$r/dev" &&
			mount -t tmpfs tmpfs "$r/tmp" &&
			mount --bind "'"$archives"'" "$r/var/cache/apt/archives" || exit 1
			[ -z "'"${net[*]}"'" ] || ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null || true
			exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
				DEBIAN_FRONTEND=noninteractive "$@"' sh "$root" "$@"
}

# The cached minimal system: debootstrap once, then a tarball of the root.
if [ ! -s "$base" ]; then
	say "building a minimal Debian $suite (once; cached in $base)"
	t0=$SECONDS
	tmp=$(mktemp -d "$cache/bootstrap.XXXXXX")
	chmod 755 "$tmp" # apt's _apt user must reach /var/lib/apt
	trap 'rm -rf "$tmp"' EXIT
	debootstrap --variant=minbase --cache-dir="$archives" "$suite" "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		fail "debootstrap failed; see $cache/debootstrap.log"
	printf 'deb %s %s main\n' "$mirror" "$suite" >"$tmp/etc/apt/sources.list"
	cp /etc/resolv.conf "$tmp/etc/resolv.conf"
	inroot "$tmp" apt-get update -q >/dev/null
	tar -C "$tmp" -cf "$base.part" .
	mv "$base.part" "$base"
	rm -rf "$tmp"
	trap - EXIT
	say "minimal system built in $((SECONDS - t0))s"
fi

root=$(mktemp -d "$cache/root.XXXXXX")
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
tar -C "$root" -xf "$base"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# aptget ARGS...: apt-get in the root; when the cached package lists have
# gone stale (the mirror dropped a version), refresh them and retry once.
aptget() {
	inroot "$root" apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >"$cache/apt.log" 2>&1 && return
	inroot "$root" apt-get -q update >>"$cache/apt.log" 2>&1 || fail "apt-get update failed; see $cache/apt.log"
	inroot "$root" apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >>"$cache/apt.log" 2>&1 || fail "apt-get $* failed; see $cache/apt.log"
}

# The codec libraries must not be there, before or after.
no_codecs() {
	local found
	found=$(inroot "$root" /sbin/ldconfig -p | grep -E 'lib(vpx|opus|speexdsp)\.so' || true)
	[ -z "$found" ] || fail "the clean system has codec libraries ($1): $found"
}
no_codecs "before installing"

# 1. The .deb, through apt so that its Depends are resolved from Debian:
#    without recommends, Depends alone must be enough.
mkdir -p "$root/opt/pkg"
cp "$deb" "$root/opt/pkg/"
say "apt-get install ./$(basename "$deb") (Depends only)"
aptget install --no-install-recommends "/opt/pkg/$(basename "$deb")"
installed=$(inroot "$root" dpkg-query -W -f '${Package} ' | wc -w)
inroot "$root" /usr/bin/calla version | grep -q '^calla ' || fail "the installed /usr/bin/calla does not run"
say "installed .deb runs: $(inroot "$root" /usr/bin/calla version) ($installed packages on the system)"

# 2. The tarball, unpacked where nothing else is.
mkdir -p "$root/opt/tarball"
tar -C "$root/opt/tarball" -xJf "$tarball"
tarbin=/opt/tarball/$(tar -tJf "$tarball" | grep -m1 '/bin/calla$')
inroot "$root" "$tarbin" version | grep -q '^calla ' || fail "the tarball's $tarbin does not run"
say "tarball's binary runs: $tarbin"

# 3. Xvfb, and each binary opens a window that is not blank. Xvfb writes its
#    screen into an XWD file (-fbdir) that we read from outside the system,
#    so no screenshot tool is installed there.
say "apt-get install xvfb"
aptget install --no-install-recommends xvfb
no_codecs "after installing the .deb and Xvfb"

cat >"$root/opt/pkg/window.sh" <<'EOF'
#!/bin/sh
# window.sh BIN: Xvfb on :1, BIN on it; waits until /var/tmp/shot/ok or
# /var/tmp/shot/stop appears (the checker outside writes it; at most 3
# minutes), then says whether BIN was still running and stops it with
# SIGTERM.
bin=$1 shot=/var/tmp/shot
Xvfb :1 -screen 0 1280x800x24 -br -nolisten tcp -noreset -fbdir "$shot" >"$shot/xvfb.log" 2>&1 &
i=0
while [ ! -S /tmp/.X11-unix/X1 ]; do
	i=$((i + 1)); [ $i -lt 300 ] || { echo "Xvfb did not start" >&2; exit 1; }
	sleep 0.1
done
mkdir -p /var/tmp/data
DISPLAY=:1 "$bin" --data /var/tmp/data >"$shot/calla.log" 2>&1 &
pid=$!
i=0
while [ ! -e "$shot/ok" ] && [ ! -e "$shot/stop" ] && [ $i -lt 900 ]; do
	i=$((i + 1))
	kill -0 $pid 2>/dev/null || { echo "calla exited early:" >&2; cat "$shot/calla.log" >&2; exit 1; }
	sleep 0.2
done
kill -0 $pid 2>/dev/null || { echo "calla exited early:" >&2; cat "$shot/calla.log" >&2; exit 1; }
kill -TERM $pid
wait $pid || { echo "calla exited with $? after SIGTERM:" >&2; cat "$shot/calla.log" >&2; exit 1; }
EOF
chmod +x "$root/opt/pkg/window.sh"

# The judge of "not blank", shared with the release workflow's checks.
go -C tools build -o "$cache/shotcheck" ./shotcheck

window_check() {
	local bin=$1 name=$2 shot=$root/var/tmp/shot
	rm -rf "$shot" "$root/var/tmp/data"
	mkdir -p "$shot"
	inroot --net "$root" /opt/pkg/window.sh "$bin" &
	local pid=$! deadline=$((SECONDS + 90)) verdict="no screen yet"
	while kill -0 $pid 2>/dev/null && [ $SECONDS -lt $deadline ]; do
		if [ -s "$shot/Xvfb_screen0" ] && convert "xwd:$shot/Xvfb_screen0" "$cache/$name.png" 2>/dev/null; then
			if verdict=$("$cache/shotcheck" "$cache/$name.png" 2>/dev/null); then
				# Drawn; it must still be drawn once the app has settled
				# (signed in to its own server, the contact list up).
				sleep 10
				if convert "xwd:$shot/Xvfb_screen0" "$cache/$name.png" &&
					verdict=$("$cache/shotcheck" "$cache/$name.png" 2>&1); then
					touch "$shot/ok"
				else
					verdict="drawn, then blank 10s later: $verdict"
				fi
				break
			fi
		fi
		sleep 1
	done
	[ -e "$shot/ok" ] || touch "$shot/stop"
	wait $pid || fail "$name: the app did not keep running under Xvfb (see above)"
	[ -e "$shot/ok" ] || fail "$name: the window looks blank after 90s ($verdict); screenshot $cache/$name.png"
	say "$name: window drawn ($verdict); screenshot $cache/$name.png"
}
window_check /usr/bin/calla deb-window
window_check "$tarbin" tarball-window

say "ok: the .deb and the tarball run and draw on a minimal Debian $suite without the codec libraries"
