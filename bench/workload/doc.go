// Package workload builds what the bankhook benchmarks and the loopback
// load test share, so that every variant of a comparison runs on the same
// data and the same handlers: a seeded allowlist of prefixes with the
// RemoteAddr strings queried against it, a stream of distinct bunq Payment
// callbacks made from one sample body, and the bare, guarded and full
// handlers the pipeline is measured with.
//
// Everything here is deterministic: the same seed gives the same prefixes
// and queries on every machine and every run.
package workload
