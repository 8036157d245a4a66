#!/usr/bin/env bash
# window-check.sh BIN: starts BIN on this desktop (macOS, or Windows from
# MSYS2's bash; Linux has make package-check) and fails unless, within 90
# seconds, a screenshot differs from the one taken before it started in a
# window's worth of pixels and colours (tools/shotcheck -before). The
# release workflow runs it on its macOS and Windows runners; it has not run
# on this project's own Debian machines.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
work=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/calla-window-check
rm -rf "$work"
mkdir -p "$work/data"
go -C tools build -o "$work/shotcheck" ./shotcheck

shoot() {
	case "$(uname -s)" in
	Darwin) screencapture -x "$1" ;;
	MINGW* | MSYS*)
		powershell.exe -NoProfile -Command "
			Add-Type -AssemblyName System.Windows.Forms, System.Drawing
			\$b = [System.Windows.Forms.Screen]::PrimaryScreen.Bounds
			\$bmp = New-Object System.Drawing.Bitmap \$b.Width, \$b.Height
			\$g = [System.Drawing.Graphics]::FromImage(\$bmp)
			\$g.CopyFromScreen(\$b.Location, [System.Drawing.Point]::Empty, \$b.Size)
			\$bmp.Save('$(cygpath -w "$1")', [System.Drawing.Imaging.ImageFormat]::Png)"
		;;
	*) echo "window-check: no screenshot tool for $(uname -s)" >&2; exit 1 ;;
	esac
}

shoot "$work/before.png"
"$bin" --data "$work/data" >"$work/calla.log" 2>&1 &
pid=$!
ok=0 verdict="no screenshot yet"
for _ in $(seq 45); do
	sleep 2
	kill -0 $pid 2>/dev/null || { cat "$work/calla.log" >&2; echo "window-check: $bin exited" >&2; exit 1; }
	shoot "$work/after.png"
	if verdict=$("$work/shotcheck" -before "$work/before.png" "$work/after.png" 2>&1); then
		ok=1
		break
	fi
done
kill $pid 2>/dev/null || true
case "$(uname -s)" in MINGW* | MSYS*) taskkill //F //IM "$(basename "$bin")" >/dev/null 2>&1 || true ;; esac
[ $ok = 1 ] || { cat "$work/calla.log" >&2; echo "window-check: no window drawn within 90s ($verdict); see $work/after.png" >&2; exit 1; }
echo "window-check: window drawn ($verdict)"
