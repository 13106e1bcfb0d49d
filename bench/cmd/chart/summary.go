package main

import (
	"bytes"
	"fmt"
	"strings"
)

// summary writes Markdown tables of the same figures the chart shows: the
// median of every benchmark with its ratio to its group's baseline, the
// load test, and the targets.
func summary(bf *benchFile, lf *loadFile) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "| benchmark | variant | time/op (median) | B/op | allocs/op | vs baseline |\n")
	fmt.Fprintf(&b, "|---|---|--:|--:|--:|--:|\n")
	for _, r := range bf.results {
		ns, ok := r.median("ns/op")
		if !ok || r.variant == "" {
			continue // BenchmarkDedupeMemory's figure is its metric, below
		}
		variant := r.variant
		cell := func(unit string) string {
			if v, ok := r.median(unit); ok {
				return trimFloat(v)
			}
			return ""
		}
		vs := ""
		if x, ok := ratio(bf, r); ok {
			vs = formatRatio(x) + " " + baseline(r.group) + "'s time"
		} else if r.variant == baseline(r.group) {
			vs = "baseline"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
			strings.TrimPrefix(r.group, "Benchmark"), variant, formatNs(ns), cell("B/op"), cell("allocs/op"), vs)
	}
	if r := bf.get("BenchmarkDedupeMemory"); r != nil {
		if mb, ok := r.median("heapMB/100k-keys"); ok {
			fmt.Fprintf(&b, "\nDedupe memory (BenchmarkDedupeMemory): %.1f MB of heap for 100,000 keys in the LRU store.\n", mb)
		}
	}

	if lf != nil {
		bare, haveBare := lf.row("bare")
		fmt.Fprintf(&b, "\n| server | requests | req/s | p50 | p99 | vs bare | req per server CPU-s | vs bare | errors |\n")
		fmt.Fprintf(&b, "|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, r := range lf.rows {
			vs, perCPU, vsCPU := "", "", ""
			if haveBare && bare.rate > 0 {
				vs = fmt.Sprintf("%.1f%%", 100*r.rate/bare.rate)
			}
			if r.perCPU > 0 {
				perCPU = fmt.Sprintf("%.0f", r.perCPU)
				if haveBare && bare.perCPU > 0 {
					vsCPU = fmt.Sprintf("%.1f%%", 100*r.perCPU/bare.perCPU)
				}
			}
			fmt.Fprintf(&b, "| %s | %d | %.0f | %v | %v | %s | %s | %s | %d |\n",
				r.server, r.requests, r.rate, r.p50, r.p99, vs, perCPU, vsCPU, r.errors)
		}
	}

	fmt.Fprintf(&b, "\n| target | goal | this run | verdict |\n")
	fmt.Fprintf(&b, "|---|--:|--:|---|\n")
	for _, t := range targets(bf, lf) {
		v := t.value
		if v == "" {
			v = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.what, t.goal, v, t.verdict())
	}
	return b.Bytes()
}
