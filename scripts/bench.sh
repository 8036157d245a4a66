#!/usr/bin/env bash
# bench.sh runs every performance measurement; each writes its own section
# of docs/benchmarks.md with the machine it ran on. It takes a few minutes
# and wants the machine to itself: figures from a busy machine say so in
# their load average.
#
#   scripts/bench.sh                all of them
#   scripts/bench.sh signaling ...  only the named ones (signaling, media,
#                                   call, outage, nat, turn, gui, app, browser, cluster)
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(signaling media call outage nat turn gui app browser cluster)

for k in "${kinds[@]}"; do
	echo "== bench $k" >&2
	case "$k" in
	signaling | media | call | outage)
		bin/calla bench "$k"
		;;
	nat)
		# Call setup across NATs on pion's vnet: direct vs through the
		# relay (CALLA_NAT_TRIALS calls each, default 10).
		CALLA_BENCH_NAT=1 go test ./call -run '^TestNATBench$' -count=1 -v -timeout 10m
		;;
	turn)
		# The built-in TURN relay's CPU per relayed 1 Mbps stream.
		CALLA_BENCH_TURN=1 CALLA_BIN=$PWD/bin/calla go test ./e2e -run '^TestTURNBench$' -count=1 -v -timeout 5m
		;;
	gui)
		# Fyne's test driver: the video tile's sink path and the cost of
		# a volume event (numbers for the GUI section).
		go test ./gui -run '^$' -bench . -count=3
		;;
	app)
		CALLA_BENCH_APP=1 CALLA_BIN=$PWD/bin/calla xvfb-run -a -s "-noreset -screen 0 1280x800x24" \
			go test ./e2e -run '^TestAppBench$' -count=1 -v -timeout 10m
		;;
	browser)
		# Call setup between the browser client in Chromium and Calla,
		# beside Calla <-> Calla measured the same way (processes).
		CALLA_BENCH_BROWSER=1 CALLA_BIN=$PWD/bin/calla \
			go test ./e2e -run '^TestBrowserBench$' -count=1 -v -timeout 15m
		;;
	cluster)
		# NATS (embedded, three servers) and Calla nodes in one process:
		# cross-node invite latency, setups/s on 1 and 2 nodes, takeover.
		CALLA_BENCH_CLUSTER=1 go test ./signaling/server -run '^TestClusterBench$' -count=1 -v -timeout 10m
		;;
	*)
		echo "bench.sh: unknown kind $k" >&2
		exit 2
		;;
	esac
done
