#!/usr/bin/env bash
# test.sh runs every check Calla has, in the order that fails fastest:
# setup, gofmt, the shell scripts' syntax, go vet, staticcheck, one build of
# the binary (shared by every test that runs it), its shared-library
# allow-list, the Linux packages and their contents, a short fuzz run, then
# `go test -race ./...` under a private Xvfb X server so the GUI tests run
# against a real window. It prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8

steps=()
step() {
	local name=$1
	shift
	local t0=$SECONDS
	echo "== $name"
	"$@"
	steps+=("$(printf '%-14s %4ds' "$name" $((SECONDS - t0)))")
}

check_gofmt() {
	local out
	out=$(gofmt -l $(git ls-files '*.go') $(git ls-files --others --exclude-standard '*.go'))
	if [ -n "$out" ]; then
		echo "gofmt would change:" >&2
		echo "$out" >&2
		return 1
	fi
}

# The shell scripts parse, including those only the long targets run
# (package-check, package-windows and the release workflow's): a slip in
# one shows here, not at its next long run.
check_scripts() {
	local f
	for f in scripts/*.sh scripts/pkg-config-static; do
		case "$(head -n 1 "$f")" in
		*bash*) bash -n "$f" ;;
		*) sh -n "$f" ;;
		esac
	done
}

# tools/ is a module of its own (pinned build tools and the screenshot
# judge of the packaging checks), outside ./... above.
check_tools() {
	go -C tools vet ./...
	go -C tools test ./...
}

run_tests() {
	# A private X server for the GUI tests; -a picks a free display number.
	# -noreset: Xvfb otherwise drops connections arriving while it resets
	# after its last client left (see internal/xvfb).
	CALLA_BIN=$PWD/bin/calla xvfb-run -a -s "-noreset -screen 0 1280x800x24" \
		go test -race -timeout 25m "$@" ./...
}

step setup ./scripts/setup.sh
step gofmt check_gofmt
step scripts check_scripts
step vet go vet ./...
step staticcheck go tool staticcheck ./...
step tools check_tools
step build make --no-print-directory build
step needed ./scripts/check-needed.sh bin/calla
step package make --no-print-directory package
if [ -x scripts/fuzz.sh ]; then
	step fuzz ./scripts/fuzz.sh short
fi
step tests run_tests "$@"

echo "== all checks passed"
printf '   %s\n' "${steps[@]}"
