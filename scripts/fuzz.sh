#!/usr/bin/env bash
# fuzz.sh runs the signaling fuzz targets, one after the other.
#
#   scripts/fuzz.sh          SHORT mode (the default test run): 5 s per target
#   scripts/fuzz.sh long     LONG mode: 10 min per target (FUZZTIME overrides)
#
# Seed corpora live in each package's testdata/fuzz/<Target>/; a failing
# input is written there too, so it becomes a regression test of the plain
# `go test` run.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-short}
case "$mode" in
short) time=${FUZZTIME:-5s} ;;
long) time=${FUZZTIME:-10m} ;;
*)
	echo "usage: $0 [short|long]" >&2
	exit 2
	;;
esac

# package target
targets=(
	"./signaling FuzzDecodeRequest"
	"./signaling FuzzVerifyUserSig"
	"./signaling/server FuzzMachine"
)

for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "fuzz: $pkg $name for $time" >&2
	# -parallel 2: the machine has 2 cores, shared with other work.
	go test -run='^$' -fuzz="^${name}\$" -fuzztime="$time" -parallel=2 "$pkg"
done
