package main

import "fmt"

// baseline is the variant a group's other variants are compared with:
// bankhook against its peers, the bare handler for the chain.
func baseline(group string) string {
	if group == "BenchmarkChain" {
		return "bare"
	}
	return "bankhook"
}

// ratio is the median ns/op of r over that of its group's baseline, and
// whether both exist.
func ratio(f *benchFile, r *result) (float64, bool) {
	if r.variant == "" || r.variant == baseline(r.group) {
		return 0, false
	}
	base := f.get(r.group + "/" + baseline(r.group))
	if base == nil {
		return 0, false
	}
	a, ok1 := r.median("ns/op")
	b, ok2 := base.median("ns/op")
	if !ok1 || !ok2 || b == 0 {
		return 0, false
	}
	return a / b, true
}

// target is one of the published goals, evaluated on the results.
type target struct {
	what  string // "allowlist: ipfilter / bankhook time"
	goal  string // "≥ 100×"
	value string // "925×"; "" when the results do not have it
	met   bool
}

// verdict is "met", "missed" or "not measured".
func (t target) verdict() string {
	switch {
	case t.value == "":
		return "not measured"
	case t.met:
		return "met"
	}
	return "missed"
}

// targets evaluates every goal on the benchmark and load test results.
func targets(bf *benchFile, lf *loadFile) []target {
	speedup := func(what, group, peer string, goal float64) target {
		t := target{what: what, goal: fmt.Sprintf("≥ %s×", trimFloat(goal))}
		if r := bf.get(group + "/" + peer); r != nil {
			if x, ok := ratio(bf, r); ok {
				t.value, t.met = formatRatio(x), x >= goal
			}
		}
		return t
	}
	ts := []target{
		speedup("allowlist, 10k prefixes: ipfilter time / bankhook time", "BenchmarkAllowlist10k", "ipfilter", 100),
		speedup("rate limit, 1,000 clients: httprate time / bankhook time", "BenchmarkRateLimit", "httprate", 2),
	}
	allocs := target{what: "rate limit: bankhook allocations per request", goal: "0"}
	if r := bf.get("BenchmarkRateLimit/bankhook"); r != nil {
		if a, ok := r.median("allocs/op"); ok {
			allocs.value, allocs.met = trimFloat(a), a == 0
		}
	}
	ts = append(ts, allocs,
		speedup("decode bunq Payment: encoding/json time / bankhook time", "BenchmarkDecodeBunqPayment", "encoding_json", 1.8))
	mem := target{what: "dedupe: heap of the LRU store for 100,000 keys", goal: "≤ 30 MB"}
	if r := bf.get("BenchmarkDedupeMemory"); r != nil {
		if mb, ok := r.median("heapMB/100k-keys"); ok {
			mem.value, mem.met = fmt.Sprintf("%.1f MB", mb), mb <= 30
		}
	}
	ts = append(ts, mem)
	for _, s := range []struct {
		server string
		goal   float64
	}{{"guards", 0.85}, {"full", 0.60}} {
		t := target{what: "loopback: " + s.server + " req/s / bare req/s", goal: fmt.Sprintf("≥ %.0f%%", 100*s.goal)}
		if lf != nil {
			bare, ok1 := lf.row("bare")
			row, ok2 := lf.row(s.server)
			if ok1 && ok2 && bare.rate > 0 {
				x := row.rate / bare.rate
				t.value, t.met = fmt.Sprintf("%.1f%%", 100*x), x >= s.goal
			}
		}
		ts = append(ts, t)
	}
	return ts
}

// formatRatio prints a ratio with three significant digits: "0.912×",
// "2.35×", "48.1×", "925×", "12400×".
func formatRatio(x float64) string {
	switch {
	case x >= 1000:
		return fmt.Sprintf("%.0f×", roundSig(x, 3))
	case x >= 100:
		return fmt.Sprintf("%.0f×", x)
	case x >= 10:
		return fmt.Sprintf("%.1f×", x)
	case x >= 1:
		return fmt.Sprintf("%.2f×", x)
	}
	return fmt.Sprintf("%.3f×", x)
}

// formatNs prints a time per operation with three significant digits and
// a unit: "12.3 ns", "1.23 µs", "925 µs", "1.20 ms".
func formatNs(ns float64) string {
	units := []struct {
		scale float64
		name  string
	}{{1e6, "ms"}, {1e3, "µs"}, {1, "ns"}}
	for _, u := range units {
		if ns >= u.scale || u.scale == 1 {
			v := ns / u.scale
			switch {
			case v >= 100:
				return fmt.Sprintf("%.0f %s", v, u.name)
			case v >= 10:
				return fmt.Sprintf("%.1f %s", v, u.name)
			}
			return fmt.Sprintf("%.2f %s", v, u.name)
		}
	}
	panic("unreachable")
}
