// Package bench holds bankhook's side-by-side benchmarks against peer
// libraries, in a module of its own so that the peers never enter
// bankhook's go.mod.
//
// The benchmarks are in this directory's _test.go files; the loopback load
// test is cmd/loadtest, the chart cmd/chart, and run.sh reproduces the
// published figures (see BENCHMARKS.md at the repository root). The
// inputs every variant shares are built by package workload.
package bench
