#!/usr/bin/env bash
# The gateway load test of BENCHMARKS.md ("Gateway"): builds the bankhook
# command twice, from BEFORE and from this working tree, and measures both
# with cmd/gatewayload against a bare net/http handler and the library's
# bunq pipeline: serve writing --out to a tmpfs, to a disk, and answering
# only duplicates. Writes results/gateway.txt.
#
# With PROFILE=1 it also builds both with -tags bankhook_pprof (which
# serves net/http/pprof on the metrics listener), profiles each one's
# tmpfs, disk and dup once more after the rounds, and writes the pprof
# -top of each profile and its CPU per request by part (gatewayparts.sh) to
# results/gateway-prof/.
#
# Environment: BEFORE (default 081172c, the last commit before issue 23's
# cuts, with the profiling build tag), DURATION (default 5s) measured
# time per server and round, WARMUP (default 1s), ROUNDS (default 3), CONNS
# (default 16), TMPFS (default /dev/shm) and DISK (default /tmp): where
# --out goes; gatewayload checks that the first is a tmpfs and the second
# is not. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")"

BEFORE="${BEFORE:-081172c}"
PROFILE="${PROFILE:-}"
DURATION="${DURATION:-5s}"
WARMUP="${WARMUP:-1s}"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-16}"
TMPFS="${TMPFS:-/dev/shm}"
DISK="${DISK:-/tmp}"
mkdir -p results
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/before"
git -C .. archive "$BEFORE" | tar -x -C "$tmp/before"
(cd "$tmp/before/cmd/bankhook" && go build -o "$tmp/bankhook-before" .)
(cd ../cmd/bankhook && go build -o "$tmp/bankhook-after" .)
go build -o "$tmp/gatewayload" ./cmd/gatewayload
profile=()
if [ -n "$PROFILE" ]; then
	(cd "$tmp/before/cmd/bankhook" && go build -tags bankhook_pprof -o "$tmp/bankhook-before-pprof" .)
	(cd ../cmd/bankhook && go build -tags bankhook_pprof -o "$tmp/bankhook-after-pprof" .)
	profile=(-profile "$tmp/prof" -profile-bin before="$tmp/bankhook-before-pprof" -profile-bin after="$tmp/bankhook-after-pprof")
fi

after="$(git -C .. rev-parse --short HEAD)"
if ! git -C .. diff --quiet HEAD -- . ':!bench/results'; then
	after="$after with uncommitted changes"
fi
{
	echo "# before: $(git -C .. rev-parse --short "$BEFORE"); after: $after"
	echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	"$tmp/gatewayload" -bin before="$tmp/bankhook-before" -bin after="$tmp/bankhook-after" \
		-tmpfs "$TMPFS" -disk "$DISK" -duration "$DURATION" -warmup "$WARMUP" -rounds "$ROUNDS" -conns "$CONNS" "${profile[@]}"
	echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee results/gateway.txt
if [ -n "$PROFILE" ]; then
	mkdir -p results/gateway-prof
	for f in "$tmp"/prof/*.cpu.pprof; do
		name="$(basename "$f" .cpu.pprof)"
		go tool pprof -top -nodecount 60 "$tmp/bankhook-${name%%-*}-pprof" "$f" >"results/gateway-prof/$name.top.txt" 2>/dev/null
		./gatewayparts.sh "$tmp/bankhook-${name%%-*}-pprof" "$f" "$(cat "$tmp/prof/$name.requests")" | tee "results/gateway-prof/$name.parts.txt"
	done
fi
