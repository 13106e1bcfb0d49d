#!/usr/bin/env bash
# gatewayparts.sh BIN PROFILE REQUESTS: where serve's CPU goes, per
# request, from a CPU profile of the gateway load test (gateway.sh with
# PROFILE=1 writes them, and the requests each profile covers, to
# results/gateway-prof/). Each figure is the profile's CPU in samples whose
# stack matches the part's pprof -focus (less its -ignore), divided by the
# requests answered while it was taken. Parts overlap where they nest
# (the sink holds the line and the writer's caller side; the pipeline
# holds the sink).
set -euo pipefail
bin=$1 prof=$2 n=$3

# seconds prints the CPU seconds of prof's samples that pprof's options
# "$@" keep.
seconds() {
	go tool pprof -top "$@" "$bin" "$prof" 2>/dev/null |
		awk '/^Showing nodes accounting for/ {
			v = $5; sub(/,$/, "", v)
			if (v ~ /ms$/) { sub(/ms$/, "", v); v /= 1000 } else if (v ~ /us$/) { sub(/us$/, "", v); v /= 1e6 } else { sub(/s$/, "", v) }
			print v; exit }'
}

part() {
	local name=$1
	shift
	local s
	s=$(seconds "$@")
	awk -v s="${s:-0}" -v n="$n" -v name="$name" 'BEGIN { printf "%-58s %7.2f µs\n", name, s * 1e6 / n }'
}

echo "# $(basename "$prof"): CPU per request ($n requests), by part"
part "all of serve's CPU in the profile"
part "net/http, around the handler (read, parse, answer)" -focus 'net/http\.\(\*conn\)\.serve' -ignore 'net/http\.serverHandler\.ServeHTTP'
part "access log: the line (slog, its write to stderr)" -focus 'accesslog\.Handler' -ignore 'net/http\.\(\*ServeMux\)\.ServeHTTP'
part "  of which the write to stderr" -focus 'accesslog\.Handler.*' -ignore 'net/http\.\(\*ServeMux\)\.ServeHTTP' -show_from 'os\.\(\*File\)\.Write'
part "metrics middleware (--metrics only)" -focus 'bankhookprom\.\(\*Receiver\)\.Middleware' -ignore 'bankhook\.Observe\.func1'
part "metrics observer (--metrics only)" -focus 'bankhookprom\.\(\*Receiver\)\.(Handled|Rejected)'
part "library pipeline, the sink left out" -focus 'bankhook\.Observe\.func1' -ignore 'gateway\.\(\*sink\)|bankhookprom\.\(\*Receiver\)\.(Handled|Rejected)'
part "sink: line + hand-off to the writer (request goroutine)" -focus 'gateway\.\(\*sink\)\.deliver'
part "  line encoding, all" -focus 'output\.(Marshal|MarshalDecoded)$'
part "  line: the typed event" -focus 'bunq\.\(\*Notification\)\.MarshalJSONTo'
part "  line: the raw body, compacted" -focus 'output\.appendCompact|output\.Marshal$' -show_from 'output\.appendCompact|jsontext\.\(\*encoderState\)\.WriteValue'
part "  writer, caller side: queue, wait, wake-up" -focus 'output\.\(\*Writer\)\.WriteLine'
part "writer: committer, the write left out" -focus 'output\.\(\*Writer\)\.run$' -ignore 'output\.\(\*Writer\)\.(writeCut|write)$'
part "writer: the write" -focus 'output\.\(\*Writer\)\.(writeCut|write)$'
part "writer: the fsync, and answering the batch" -focus 'output\.\(\*Writer\)\.sync$'
part "garbage collection (background, assists, sweep)" -focus 'gcBgMarkWorker|gcAssistAlloc|bgsweep|bgscavenge'
part "scheduler (runtime.schedule, findRunnable)" -focus 'runtime\.schedule$|runtime\.findRunnable'
