#!/usr/bin/env bash
# The gateway load test of BENCHMARKS.md ("Gateway"): builds the bankhook
# command twice, from BEFORE and from this working tree, and measures both
# with cmd/gatewayload against a bare net/http handler: serve writing --out
# to a tmpfs, to a disk, and answering only duplicates. Writes
# results/gateway.txt.
#
# Environment: BEFORE (default 924a9a3, the last commit before group
# commit and the reload of the dedupe store), DURATION (default 5s) measured
# time per server and round, WARMUP (default 1s), ROUNDS (default 3), CONNS
# (default 16), TMPFS (default /dev/shm) and DISK (default /tmp): where
# --out goes; gatewayload checks that the first is a tmpfs and the second
# is not. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")"

BEFORE="${BEFORE:-924a9a3}"
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

after="$(git -C .. rev-parse --short HEAD)"
if ! git -C .. diff --quiet HEAD -- . ':!bench/results'; then
	after="$after with uncommitted changes"
fi
{
	echo "# before: $(git -C .. rev-parse --short "$BEFORE"); after: $after"
	echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	"$tmp/gatewayload" -bin before="$tmp/bankhook-before" -bin after="$tmp/bankhook-after" \
		-tmpfs "$TMPFS" -disk "$DISK" -duration "$DURATION" -warmup "$WARMUP" -rounds "$ROUNDS" -conns "$CONNS"
	echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee results/gateway.txt
