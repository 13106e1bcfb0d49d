package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// result is one benchmark's samples, by unit ("ns/op", "B/op",
// "allocs/op", "heapMB/100k-keys", …), in the order they were read.
type result struct {
	name    string // "BenchmarkAllowlist10k/bankhook", without the -N suffix
	group   string // "BenchmarkAllowlist10k"
	variant string // "bankhook"; "" for a benchmark without sub-benchmarks
	samples map[string][]float64
}

// median returns the median of the samples of unit, and whether there are
// any. It is the statistic benchstat reports.
func (r *result) median(unit string) (float64, bool) {
	s := slices.Clone(r.samples[unit])
	if len(s) == 0 {
		return 0, false
	}
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2], true
	} else {
		return (s[n/2-1] + s[n/2]) / 2, true
	}
}

// benchFile is a parsed `go test -bench` output.
type benchFile struct {
	config  []string  // "goos: linux", "cpu: …" lines
	results []*result // in order of first appearance
	byName  map[string]*result
}

func (f *benchFile) get(name string) *result { return f.byName[name] }

// parseBench reads the text format of `go test -bench` output
// (golang.org/x/perf's benchfmt): "BenchmarkName-N  iterations  value unit
// [value unit]…"; other lines are kept as configuration when they look like
// "key: value" and ignored otherwise.
func parseBench(r io.Reader) (*benchFile, error) {
	f := &benchFile{byName: map[string]*result{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if !strings.HasPrefix(line, "Benchmark") {
			if k, _, ok := strings.Cut(line, ": "); ok && !strings.ContainsAny(k, " \t") {
				if !slices.Contains(f.config, line) {
					f.config = append(f.config, line)
				}
			}
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || len(fields)%2 != 0 {
			continue // a benchmark's name printed before its result, or a failure
		}
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			continue
		}
		name := trimProcs(fields[0])
		res := f.byName[name]
		if res == nil {
			res = &result{name: name, samples: map[string][]float64{}}
			res.group, res.variant, _ = strings.Cut(name, "/")
			f.byName[name] = res
			f.results = append(f.results, res)
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("chart: bench line %d: value %q: %w", lineNo, fields[i], err)
			}
			res.samples[fields[i+1]] = append(res.samples[fields[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	if len(f.results) == 0 {
		return nil, fmt.Errorf("chart: no benchmark results")
	}
	return f, nil
}

// trimProcs drops the "-N" GOMAXPROCS suffix of a benchmark name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// loadRow is one server's line of the load test's table.
type loadRow struct {
	server   string
	requests int
	rate     float64 // requests per second, the median round's
	p50, p99 time.Duration
	perCPU   float64 // requests per second of server CPU time; 0 when unknown
	errors   int
}

// loadFile is a parsed loadtest output.
type loadFile struct {
	comments []string // the "# …" lines, without "# "
	rows     []loadRow
}

func (f *loadFile) row(server string) (loadRow, bool) {
	for _, r := range f.rows {
		if r.server == server {
			return r, true
		}
	}
	return loadRow{}, false
}

// parseLoad reads the output of cmd/loadtest: comment lines starting with
// "#", a header line starting with "server", and one line per server:
// server requests req/s p50 p99 max server_cpu req/cpu_s vs_bare errors.
func parseLoad(r io.Reader) (*loadFile, error) {
	f := &loadFile{}
	sc := bufio.NewScanner(r)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "#"):
			f.comments = append(f.comments, strings.TrimSpace(strings.TrimPrefix(line, "#")))
			continue
		case strings.HasPrefix(line, "server "):
			continue
		}
		fl := strings.Fields(line)
		if len(fl) != 10 {
			return nil, fmt.Errorf("chart: loadtest line %d: want 10 fields, got %d", lineNo, len(fl))
		}
		var row loadRow
		var err error
		row.server = fl[0]
		if row.requests, err = strconv.Atoi(fl[1]); err != nil {
			return nil, fmt.Errorf("chart: loadtest line %d: %w", lineNo, err)
		}
		if row.rate, err = strconv.ParseFloat(fl[2], 64); err != nil {
			return nil, fmt.Errorf("chart: loadtest line %d: %w", lineNo, err)
		}
		if row.p50, err = time.ParseDuration(fl[3]); err != nil {
			return nil, fmt.Errorf("chart: loadtest line %d: %w", lineNo, err)
		}
		if row.p99, err = time.ParseDuration(fl[4]); err != nil {
			return nil, fmt.Errorf("chart: loadtest line %d: %w", lineNo, err)
		}
		if fl[7] != "-" {
			if row.perCPU, err = strconv.ParseFloat(fl[7], 64); err != nil {
				return nil, fmt.Errorf("chart: loadtest line %d: %w", lineNo, err)
			}
		}
		if row.errors, err = strconv.Atoi(fl[9]); err != nil {
			return nil, fmt.Errorf("chart: loadtest line %d: %w", lineNo, err)
		}
		f.rows = append(f.rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	if len(f.rows) == 0 {
		return nil, fmt.Errorf("chart: no loadtest results")
	}
	return f, nil
}
