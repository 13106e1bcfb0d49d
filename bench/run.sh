#!/usr/bin/env bash
# Reproduces every figure in BENCHMARKS.md, into bench/results/:
#   machine.txt   the machine, the Go version and the load average around the run
#   bench.txt     go test -bench output, 6 runs of every benchmark
#   benchstat.txt benchstat's summary of bench.txt (medians, confidence intervals)
#   loadtest.txt  the loopback load test (bare, guards, full)
#   full.cpu.txt  where the full pipeline's server spends its CPU (pprof, first round)
#   chart.svg     the chart drawn from bench.txt and loadtest.txt
#   summary.md    the same figures as Markdown tables, with ratios and targets
#   gateway.txt   the gateway load test: bankhook serve before and after, on a
#                 tmpfs, on a disk and for duplicates (./gateway.sh)
#
# Environment: COUNT (default 6) runs per benchmark, BENCHTIME (default 1s),
# DURATION (default 5s) measured time per load test server and round,
# ROUNDS (default 3) rounds over the servers, CONNS (default 16).
# Run it on an otherwise idle machine: everything else running competes for
# the same CPUs.
set -euo pipefail
cd "$(dirname "$0")"

COUNT="${COUNT:-6}"
BENCHTIME="${BENCHTIME:-1s}"
DURATION="${DURATION:-5s}"
CONNS="${CONNS:-16}"
ROUNDS="${ROUNDS:-3}"
mkdir -p results
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

step() { printf '\n=== %s\n' "$*" >&2; }

step "machine"
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc: $(nproc)"
	echo "cpu: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel: $(uname -sr)"
	echo "go: $(go version)"
	echo "loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >results/machine.txt
cat results/machine.txt >&2

step "benchmarks: go test -run '^\$' -bench . -benchmem -count $COUNT -benchtime $BENCHTIME"
go test -run '^$' -bench . -benchmem -count "$COUNT" -benchtime "$BENCHTIME" . | tee results/bench.txt

step "benchstat"
GOBIN="$tmp/bin" go install golang.org/x/perf/cmd/benchstat@latest
"$tmp/bin/benchstat" results/bench.txt | tee results/benchstat.txt

step "loopback load test: -duration $DURATION -rounds $ROUNDS -conns $CONNS"
go build -o "$tmp/loadtest" ./cmd/loadtest
mkdir -p "$tmp/prof"
"$tmp/loadtest" -duration "$DURATION" -rounds "$ROUNDS" -conns "$CONNS" -profile "$tmp/prof" | tee results/loadtest.txt
go tool pprof -top -cum -nodecount 70 "$tmp/loadtest" "$tmp/prof/full.cpu.pprof" >results/full.cpu.txt 2>/dev/null

step "chart"
go run ./cmd/chart -bench results/bench.txt -loadtest results/loadtest.txt \
	-o results/chart.svg -summary results/summary.md
cat results/summary.md

echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)" >>results/machine.txt

step "gateway load test: ./gateway.sh"
DURATION="$DURATION" ROUNDS="$ROUNDS" CONNS="$CONNS" ./gateway.sh

step "done: results/ (see BENCHMARKS.md)"
