#!/usr/bin/env bash
# package.sh BIN: packages the already built BIN with `fyne package` into
# dist/Calla.tar.xz (reusing the binary: no second Fyne build), then checks
# that the tarball holds the binary, the .desktop file and the icon.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/calla}
id=$(sed -n 's/^ *ID *= *"\(.*\)"/\1/p' FyneApp.toml)
version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)

# fyne package writes Calla.tar.xz into the source dir (the repo root), and
# rewrites FyneApp.toml to bump its build number: keep the checkout clean.
rm -f Calla.tar.xz
cp FyneApp.toml "${TMPDIR:-/tmp}/FyneApp.toml.$$"
trap 'mv -f "${TMPDIR:-/tmp}/FyneApp.toml.$$" FyneApp.toml' EXIT
bin/fyne package --os linux --executable "$bin" --name Calla \
	--app-id "$id" --app-version "$version" --icon assets/icon.png >/dev/null

mkdir -p dist
mv Calla.tar.xz dist/Calla.tar.xz
./scripts/check-package.sh dist/Calla.tar.xz "$id"
echo "package: dist/Calla.tar.xz"
