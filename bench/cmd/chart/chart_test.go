package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const benchOut = `goos: linux
goarch: amd64
pkg: github.com/bankhook/bankhook/bench
cpu: Test CPU @ 1 GHz
BenchmarkAllowlist10k/bankhook-2   	 1000000	       100.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkAllowlist10k/bankhook-2   	 1000000	       300.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkAllowlist10k/bankhook-2   	 1000000	       200.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkAllowlist10k/ipfilter-2   	    1000	    200000 ns/op	      19 B/op	       1 allocs/op
BenchmarkAllowlist10k/ipfilter-2   	    1000	    400000 ns/op	      19 B/op	       1 allocs/op
BenchmarkRateLimit/bankhook-2      	 1000000	       100 ns/op	       0 B/op	       0 allocs/op
BenchmarkRateLimit/httprate-2      	 1000000	       150 ns/op	     184 B/op	      10 allocs/op
BenchmarkDecodeBunqPayment/bankhook-2 	  100000	     10000 ns/op	 360.00 MB/s	    1616 B/op	      23 allocs/op
BenchmarkDecodeBunqPayment/encoding_json-2 	   20000	     50000 ns/op	  72.00 MB/s	    2819 B/op	      57 allocs/op
BenchmarkChain/bare-2              	 5000000	       200 ns/op	      48 B/op	       1 allocs/op
BenchmarkChain/guards-2            	 1000000	      1000 ns/op	     500 B/op	      10 allocs/op
BenchmarkDedupeMemory-2            	       3	 400000000 ns/op	        21.10 heapMB/100k-keys	28156760 B/op	  300504 allocs/op
BenchmarkDedupeMemory-2            	       3	 400000000 ns/op	        22.90 heapMB/100k-keys	28156760 B/op	  300504 allocs/op
PASS
ok  	github.com/bankhook/bankhook/bench	12.3s
`

const loadOut = `# bankhook loopback load test
# pinning: server on CPU 0 with GOMAXPROCS=1, load on CPU 1 (taskset)
  server  requests  req/s    p50      p99      max  server_cpu  req/cpu_s  vs_bare  errors
    bare     50000  10000  388µs  4.647ms  102.4ms         98%      20000   100.0%       0
  guards     45000   9000  412µs  4.996ms   13.6ms         99%      18000    90.0%       0
    full     25000   5000  793µs     14ms   93.1ms         99%          -    50.0%       0
`

func parsed(t *testing.T) (*benchFile, *loadFile) {
	t.Helper()
	bf, err := parseBench(strings.NewReader(benchOut))
	require.NoError(t, err)
	lf, err := parseLoad(strings.NewReader(loadOut))
	require.NoError(t, err)
	return bf, lf
}

func TestParseBench(t *testing.T) {
	bf, _ := parsed(t)
	tests := []struct {
		name, bench, unit string
		want              float64
	}{
		{"odd count median", "BenchmarkAllowlist10k/bankhook", "ns/op", 200},
		{"even count median", "BenchmarkAllowlist10k/ipfilter", "ns/op", 300000},
		{"allocs", "BenchmarkRateLimit/httprate", "allocs/op", 10},
		{"throughput unit", "BenchmarkDecodeBunqPayment/bankhook", "MB/s", 360},
		{"custom metric", "BenchmarkDedupeMemory", "heapMB/100k-keys", 22},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := bf.get(tc.bench)
			require.NotNil(t, r)
			got, ok := r.median(tc.unit)
			require.True(t, ok)
			assert.InDelta(t, tc.want, got, 1e-9)
		})
	}
	assert.Equal(t, "BenchmarkAllowlist10k", bf.results[0].group)
	assert.Equal(t, "bankhook", bf.results[0].variant)
	assert.Equal(t, "", bf.get("BenchmarkDedupeMemory").variant)
	assert.Contains(t, bf.config, "cpu: Test CPU @ 1 GHz")
}

func TestParseBenchRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"no results", "goos: linux\nPASS\n"},
		{"bad value", "BenchmarkX-2 10 abc ns/op\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseBench(strings.NewReader(tc.in))
			assert.Error(t, err)
		})
	}
}

func TestParseLoad(t *testing.T) {
	_, lf := parsed(t)
	require.Len(t, lf.rows, 3)
	full, ok := lf.row("full")
	require.True(t, ok)
	assert.Equal(t, loadRow{server: "full", requests: 25000, rate: 5000,
		p50: 793 * time.Microsecond, p99: 14 * time.Millisecond}, full)
	assert.Contains(t, lf.comments, "pinning: server on CPU 0 with GOMAXPROCS=1, load on CPU 1 (taskset)")

	_, err := parseLoad(strings.NewReader("bare 1 2 3\n"))
	assert.Error(t, err)
}

func TestTargets(t *testing.T) {
	bf, lf := parsed(t)
	got := map[string]target{}
	for _, tg := range targets(bf, lf) {
		got[tg.what] = tg
	}
	tests := []struct {
		what, value, verdict string
	}{
		{"allowlist, 10k prefixes: ipfilter time / bankhook time", "1500×", "met"},
		{"rate limit, 1,000 clients: httprate time / bankhook time", "1.50×", "missed"},
		{"rate limit: bankhook allocations per request", "0", "met"},
		{"decode bunq Payment: encoding/json time / bankhook time", "5.00×", "met"},
		{"dedupe: heap of the LRU store for 100,000 keys", "22.0 MB", "met"},
		{"loopback: guards req/s / bare req/s", "90.0%", "met"},
		{"loopback: full req/s / bare req/s", "50.0%", "missed"},
	}
	for _, tc := range tests {
		t.Run(tc.what, func(t *testing.T) {
			tg, ok := got[tc.what]
			require.True(t, ok)
			assert.Equal(t, tc.value, tg.value)
			assert.Equal(t, tc.verdict, tg.verdict())
		})
	}

	// Without the load test, its targets are reported as not measured.
	for _, tg := range targets(bf, nil) {
		if strings.HasPrefix(tg.what, "loopback") {
			assert.Equal(t, "not measured", tg.verdict())
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"ratio thousands", formatRatio(12_345), "12300×"},
		{"ratio hundreds", formatRatio(925.4), "925×"},
		{"ratio tens", formatRatio(48.14), "48.1×"},
		{"ratio units", formatRatio(2.345), "2.35×"},
		{"ratio below one", formatRatio(0.9123), "0.912×"},
		{"ns", formatNs(12.34), "12.3 ns"},
		{"µs", formatNs(1234), "1.23 µs"},
		{"hundreds of µs", formatNs(925_000), "925 µs"},
		{"ms", formatNs(1_200_000), "1.20 ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.got) })
	}
}

func TestRender(t *testing.T) {
	bf, lf := parsed(t)
	a := render(bf, lf)
	b := render(bf, lf)
	assert.Equal(t, a, b, "the same results must give the same bytes")

	// Well-formed XML whose text holds the figures and ratios.
	dec := xml.NewDecoder(bytes.NewReader(a))
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
			text.WriteByte('\n')
		}
	}
	for _, want := range []string{
		"300 µs, 1 allocs/op — 1500× bankhook's time", // ipfilter against bankhook
		"1.00 µs, 10 allocs/op — 5.00× bare's time",   // guards against bare
		"22.0 MB",
		"9000 req/s, p99 4.996ms — 90.0% of bare (90.0% per server CPU-s)",
		"pinning: server on CPU 0 with GOMAXPROCS=1, load on CPU 1 (taskset)",
	} {
		assert.Contains(t, text.String(), want)
	}

	md := string(summary(bf, lf))
	assert.Contains(t, md, "| Allowlist10k | ipfilter | 300 µs | 19 | 1 | 1500× bankhook's time |")
	assert.Contains(t, md, "| guards | 45000 | 9000 | 412µs | 4.996ms | 90.0% | 18000 | 90.0% | 0 |")
	assert.Contains(t, md, "| full | 25000 | 5000 | 793µs | 14ms | 50.0% |  |  | 0 |")
	assert.Contains(t, md, "| loopback: full req/s / bare req/s | ≥ 60% | 50.0% | missed |")
}
