// Command pgload measures `bankhook serve --postgres` against what
// PostgreSQL itself reaches inserting the same rows: pgbench with 16
// clients inserting one bunq MUTATION event per transaction into
// bankhook_events (its event and its raw body as jsonb, 3.6 KB each), and
// serve answering 16 keep-alive connections posting that event with a new
// Payment id per request, each event one row committed before its 200.
//
// It starts a private PostgreSQL cluster (pgtest.Start: initdb and pg_ctl
// from Debian's postgresql package, fsync and synchronous_commit on), pins
// it to CPU 1 and runs pgbench, serve (GOMAXPROCS=1) and the load on CPU
// 0, alternating pgbench and serve for -rounds rounds, and prints req/s
// (median round), p50 and p99 of each and the ratio. Run it on an
// otherwise idle machine, from bench/: go run ./cmd/pgload.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bankhook/bankhook/bench/httpload"
	"github.com/bankhook/bankhook/bench/workload"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/bankhook/bankhook/pgstore/pgtest"
)

func main() {
	duration := flag.Duration("duration", 5*time.Second, "measured time per server and round")
	warmup := flag.Duration("warmup", time.Second, "warm-up per server and round")
	rounds := flag.Int("rounds", 3, "rounds over pgbench and serve")
	conns := flag.Int("conns", 16, "pgbench clients and serve's connections")
	flag.Parse()
	if err := run(*duration, *warmup, *rounds, *conns); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(duration, warmup time.Duration, rounds, conns int) error {
	ctx := context.Background()
	sample, ok := samples.Bunq("MUTATION")
	if !ok {
		return errors.New("no bunq MUTATION sample")
	}
	events, err := workload.NewPaymentEvents(sample)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "pgload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bankhook")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../cmd/bankhook"
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build bankhook: %v\n%s", err, out)
	}
	c, err := pgtest.Start()
	if err != nil {
		return err
	}
	defer c.Remove()
	pid, err := c.PID()
	if err != nil {
		return err
	}
	// The postmaster and every backend it forks run on CPU 1.
	if out, err := exec.Command("taskset", "-a", "-p", "-c", "1", strconv.Itoa(pid)).CombinedOutput(); err != nil {
		return fmt.Errorf("taskset postgres: %v: %s", err, out)
	}
	script, err := pgbenchScript(tmp, sample)
	if err != nil {
		return err
	}

	var pgRates, serveRates []float64
	var pgAvg []float64
	var serveLat []time.Duration
	for r := range rounds {
		url, err := c.CreateDatabase(ctx, fmt.Sprintf("round%d", r))
		if err != nil {
			return err
		}
		// serve creates the table; pgbench then inserts into it too.
		rate, lat, err := measureServe(bin, url, events, conns, warmup, duration)
		if err != nil {
			return err
		}
		serveRates, serveLat = append(serveRates, rate), append(serveLat, lat...)
		if err := truncate(ctx, url); err != nil {
			return err
		}
		tps, avg, err := measurePgbench(c, fmt.Sprintf("round%d", r), script, conns, warmup, duration)
		if err != nil {
			return err
		}
		pgRates, pgAvg = append(pgRates, tps), append(pgAvg, float64(avg))
		fmt.Printf("# round %d: pgbench %.0f tps (average latency %v); serve --postgres %.0f req/s\n", r+1, tps, avg, rate)
	}
	slices.Sort(serveLat)
	pg, sv := median(pgRates), median(serveRates)
	fmt.Printf("# PostgreSQL on CPU 1; pgbench, serve (GOMAXPROCS=1) and its load on CPU 0; %d clients/connections; %d rounds of %v after %v warm-up\n", conns, rounds, duration, warmup)
	fmt.Printf("# rows: bunq MUTATION (%d bytes) as event and raw jsonb; synchronous_commit=on, fsync=on\n", len(sample))
	fmt.Printf("%-22s %10s %12s %10s %10s\n", "writer", "rows/s", "avg latency", "p50", "p99")
	fmt.Printf("%-22s %10.0f %12v %10s %10s\n", "pgbench INSERT", pg, time.Duration(median(pgAvg)).Round(10*time.Microsecond), "-", "-")
	fmt.Printf("%-22s %10.0f %12s %10v %10v\n", "serve --postgres", sv, "-", quantile(serveLat, 0.5).Round(10*time.Microsecond), quantile(serveLat, 0.99).Round(10*time.Microsecond))
	fmt.Printf("# serve --postgres: %.1f%% of pgbench's rows/s (target ≥ 70%%)\n", 100*sv/pg)
	return nil
}

// pgbenchScript writes pgbench's transaction: one row as serve writes it,
// with a random key.
func pgbenchScript(dir string, sample []byte) (string, error) {
	n, err := bunq.Decode(sample)
	if err != nil {
		return "", err
	}
	event, err := json.Marshal(n)
	if err != nil {
		return "", err
	}
	quote := func(b []byte) string { return "'" + strings.ReplaceAll(string(b), "'", "''") + "'" }
	sql := `\set id random(1, 9000000000000000000)
INSERT INTO bankhook_events (key, provider, category, event_type, object_type, received_at, event, raw)
VALUES ('bunq:pgbench:' || :id, 'bunq', 'MUTATION', 'MUTATION_CREATED', 'Payment', now(), ` + quote(event) + `::jsonb, ` + quote(sample) + `::jsonb);
`
	path := filepath.Join(dir, "insert.sql")
	if err := os.WriteFile(path, []byte(sql), 0o644); err != nil {
		return "", err
	}
	return path, nil
}

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
var latRE = regexp.MustCompile(`latency average = ([0-9.]+) ms`)

// measurePgbench runs pgbench on CPU 0 for warm-up then duration, and
// returns the measured run's transactions a second and its average
// latency (pgbench reports no percentiles without a log).
func measurePgbench(c *pgtest.Cluster, db, script string, clients int, warmup, duration time.Duration) (tps float64, avg time.Duration, err error) {
	args := func(d time.Duration) []string {
		return []string{"-c", "0", filepath.Join(c.Bin(), "pgbench"), "-n", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port()), "-U", "postgres",
			"-c", strconv.Itoa(clients), "-j", "1", "-T", strconv.Itoa(max(1, int(d.Seconds()))), "-f", script, db}
	}
	if out, err := exec.Command("taskset", args(warmup)...).CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("pgbench warm-up: %v\n%s", err, out)
	}
	out, err := exec.Command("taskset", args(duration)...).CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	m := tpsRE.FindSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("pgbench: no tps in:\n%s", out)
	}
	tps, _ = strconv.ParseFloat(string(m[1]), 64)
	if l := latRE.FindSubmatch(out); l != nil {
		ms, _ := strconv.ParseFloat(string(l[1]), 64)
		avg = time.Duration(ms * float64(time.Millisecond))
	}
	return tps, avg, nil
}

// measureServe starts serve --postgres on CPU 0 and loads it from CPU 0.
func measureServe(bin, url string, events *workload.PaymentEvents, conns int, warmup, duration time.Duration) (float64, []time.Duration, error) {
	cmd := exec.Command("taskset", "-c", "0", bin, "serve", "--addr", "127.0.0.1:0", "--allow", "127.0.0.1", "--rate", "1e9", "--burst", "1000000000")
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "BANKHOOK_POSTGRES_URL="+url)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr, err := listeningAddr(stderr)
	if err != nil {
		return 0, nil, err
	}
	l := &httpload.Load{Addr: addr, Path: "/bunq", Conns: conns, Bodies: events.Sources(true)}
	if w := l.Run(warmup); w.Errors > 0 {
		return 0, nil, fmt.Errorf("serve warm-up: %d failed, first: %w", w.Errors, w.FirstErr)
	}
	p := l.Run(duration)
	if p.Errors > 0 {
		return 0, nil, fmt.Errorf("serve: %d failed, first: %w", p.Errors, p.FirstErr)
	}
	return p.Rate(), p.Latencies, nil
}

// listeningAddr reads serve's standard error until it logs its address,
// then drains it in the background.
func listeningAddr(stderr interface{ Read([]byte) (int, error) }) (string, error) {
	re := regexp.MustCompile(`listening on https?://([^\s"]+)`)
	var buf []byte
	chunk := make([]byte, 4096)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		n, err := stderr.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if m := re.FindSubmatch(buf); m != nil {
			go func() {
				for {
					if _, err := stderr.Read(chunk); err != nil {
						return
					}
				}
			}()
			return string(m[1]), nil
		}
		if err != nil {
			return "", fmt.Errorf("serve exited before listening:\n%s", buf)
		}
	}
	return "", errors.New("serve did not log its address")
}

func truncate(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "TRUNCATE bankhook_events")
	return err
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
