// Command gatewayload measures the built bankhook command, `bankhook
// serve`, over real HTTP on the loopback interface, against a bare
// net/http handler and against the library's bunq pipeline: for each
// bankhook binary it is given (-bin before=PATH -bin after=PATH), serve
// writing --out to a tmpfs directory (memory: what the pipeline and the
// write cost), serve writing --out to a disk (each line synced before the
// bank is answered), and serve answering only duplicates. It prints
// requests per second (the median round), latency percentiles over every
// round, the server's CPU time per request, and the ratios the targets of
// BENCHMARKS.md ("Gateway") are stated in: serve on a tmpfs against the
// pipeline, serve on a disk against the same binary on a tmpfs, and what a
// duplicate costs against a new event.
//
// The servers, in order:
//
//   - bare: workload.BareHandler, a handler that drains the body and
//     answers 200, in a process of gatewayload's own;
//   - pipeline: workload.FullReceiver, the library's whole bunq pipeline
//     (allowlist, rate limit, body, decode, LRU dedupe, deadline) around a
//     handler that keeps nothing, in a process of gatewayload's own;
//   - for each binary: tmpfs, disk and dup, serve as described above;
//   - with -postgres URL, for the last binary: postgres, serve --postgres
//     writing each event as a row of that database (no --out), committed
//     before the 200. bench/cmd/pgload puts that row beside pgbench
//     inserting the same rows, with PostgreSQL on a CPU of its own.
//
// Every request is a bunq MUTATION callback POSTed to /bunq (/ for bare and
// pipeline). For bare, pipeline, tmpfs and disk each one is a new event
// (the Payment id rewritten), so serve handles and writes each one; for
// dup every request carries the first event again, so serve answers each
// one from its dedupe store and writes nothing. After each run the output
// file must hold exactly one line per event answered 200 without
// Idempotent-Replayed: a lost or doubled line fails the run, as does any
// answer other than 200.
//
// The servers run one after another, each in its own process (GOMAXPROCS=1;
// on Linux with taskset, on a CPU of its own, the load on another), and
// the servers are gone over several times (-rounds). serve runs as a user
// would run it in production, with loopback as the one allowed sender
// (--allow 127.0.0.1: not --dev, whose delivery inspector a production
// gateway does not run) and a rate limit no run reaches (--rate 1e9
// --burst 1000000000: every request comes from one address).
//
// With -profile DIR, after the rounds each -profile-bin (a bankhook binary
// built with -tags bankhook_pprof, which serves net/http/pprof on the
// metrics listener) runs tmpfs, disk and dup once more, with --metrics on
// loopback, and the CPU profile of its measured phase is written to
// DIR/<label>-<kind>.cpu.pprof, and the requests answered meanwhile to
// DIR/<label>-<kind>.requests (gatewayparts.sh divides by them). These runs
// are not in the table.
//
// Usage (from the bench directory):
//
//	go run ./cmd/gatewayload -bin after=PATH [-bin before=PATH] [-tmpfs /dev/shm] [-disk DIR] [-duration 5s] [-warmup 1s] [-rounds 3] [-conns 16] [-profile DIR -profile-bin after=PATH]
//
// The servers are child processes; each is stopped with SIGTERM after its
// run (and, on Linux, killed if gatewayload dies first).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bankhook/bankhook/bench/httpload"
	"github.com/bankhook/bankhook/bench/workload"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Targets of BENCHMARKS.md ("Gateway"), each a ratio within one run.
const (
	// targetTmpfsShare: serve on a tmpfs, req/s against the pipeline's.
	targetTmpfsShare = 0.60
	// targetDiskShare and targetDiskP99: serve on a disk, req/s against
	// the same binary on a tmpfs, and its 99th percentile latency.
	targetDiskShare = 0.70
	targetDiskP99   = 5 * time.Millisecond
	// targetDupCost: what a duplicate costs against a new event (on a
	// tmpfs), the inverse ratio of their req/s.
	targetDupCost = 0.40
)

// binaries is the -bin flag: label=path, in the order given.
type binaries []binary

type binary struct{ label, path string }

func (b *binaries) String() string { return fmt.Sprint(*b) }

func (b *binaries) Set(v string) error {
	label, path, ok := strings.Cut(v, "=")
	if !ok || label == "" || path == "" {
		return fmt.Errorf("want label=path, got %q", v)
	}
	if _, err := os.Stat(path); err != nil {
		return err
	}
	*b = append(*b, binary{label, path})
	return nil
}

func run(args []string, out io.Writer) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	if c.serveKind != "" {
		return serveHandler(c.serveKind)
	}
	if err := c.check(); err != nil {
		return err
	}
	events, err := workload.LoadPaymentEvents(c.bodyPath)
	if err != nil {
		return err
	}
	p := httpload.ChoosePinning(c.pin, c.serverCPU, c.loadCPU)
	if err := p.PinSelf(); err != nil {
		return err
	}
	servers := c.servers()
	c.printHeader(out, p, len(events.Body()))
	if err := c.probeDisk(out, "before the rounds"); err != nil {
		return err
	}
	for range c.rounds {
		for _, s := range servers {
			if err := s.measure(p, events, c.conns, c.warmup, c.duration); err != nil {
				return err
			}
		}
	}
	if err := c.probeDisk(out, "after the rounds"); err != nil {
		return err
	}
	if err := report(out, servers); err != nil {
		return err
	}
	return c.profile(out, p, events)
}

// profile runs each -profile-bin once more as tmpfs, disk and dup, and
// writes the CPU profile of each measured phase to the -profile
// directory.
func (c *config) profile(out io.Writer, p httpload.Pinning, events *workload.PaymentEvents) error {
	if c.profileDir == "" {
		return nil
	}
	if err := os.MkdirAll(c.profileDir, 0o755); err != nil {
		return fmt.Errorf("gatewayload: %w", err)
	}
	for _, b := range c.profileBins {
		for _, kind := range []string{"tmpfs", "disk", "dup"} {
			dir := c.tmpfsDir
			if kind != "tmpfs" {
				dir = c.diskDir
			}
			path := filepath.Join(c.profileDir, b.label+"-"+kind+".cpu.pprof")
			s := &server{kind: kind, bin: b, dir: dir, profile: path}
			if err := s.measure(p, events, c.conns, c.warmup, c.duration); err != nil {
				return err
			}
			// The requests the profile covers, for gatewayparts.sh.
			count := strings.TrimSuffix(path, ".cpu.pprof") + ".requests"
			if err := os.WriteFile(count, fmt.Appendf(nil, "%d\n", s.result.Requests), 0o644); err != nil {
				return fmt.Errorf("gatewayload: %w", err)
			}
			fmt.Fprintf(out, "# profile %s %s (--metrics on, net/http/pprof): %d requests, %.0f req/s, %s\n",
				b.label, kind, s.result.Requests, s.result.Rate(), path)
		}
	}
	return nil
}

// config is the command line, parsed.
type config struct {
	bins               binaries
	tmpfsDir, diskDir  string
	tmpfsType          string // the file system of tmpfsDir, set by check
	diskType           string // the file system of diskDir, set by check
	duration, warmup   time.Duration
	rounds, conns      int
	bodyPath           string
	pin                bool
	serverCPU, loadCPU int
	profileDir         string
	profileBins        binaries
	serveKind          string // internal: run as the bare or the pipeline server
	postgres           string // a database URL for the postgres row; "" for none
}

// parseFlags parses the command line.
func parseFlags(args []string) (*config, error) {
	c := new(config)
	fs := flag.NewFlagSet("gatewayload", flag.ContinueOnError)
	fs.Var(&c.bins, "bin", "a bankhook binary to measure, as `label=path` (repeatable)")
	fs.StringVar(&c.tmpfsDir, "tmpfs", "/dev/shm", "`directory` on a tmpfs for --out")
	fs.StringVar(&c.diskDir, "disk", os.TempDir(), "`directory` on a disk for --out")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "measured time per server and round")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured time per server before it")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds over all servers; req/s is the median round's")
	fs.IntVar(&c.conns, "conns", 16, "keep-alive connections")
	fs.StringVar(&c.bodyPath, "body", workload.SamplePayment, "the bunq Payment callback to send")
	fs.BoolVar(&c.pin, "pin", true, "pin the server and the load to CPUs of their own with taskset (Linux)")
	fs.IntVar(&c.serverCPU, "server-cpu", 0, "CPU of the server when pinning")
	fs.IntVar(&c.loadCPU, "load-cpu", 1, "CPU of the load when pinning")
	fs.StringVar(&c.profileDir, "profile", "", "write CPU profiles of each -profile-bin's tmpfs, disk and dup to `DIR`")
	fs.Var(&c.profileBins, "profile-bin", "a bankhook binary built with -tags bankhook_pprof, as `label=path` (repeatable)")
	fs.StringVar(&c.serveKind, "serve", "", "internal: run as the bare or the pipeline server")
	fs.StringVar(&c.postgres, "postgres", "", "PostgreSQL `URL` of a database for a serve --postgres row, with the last -bin (its table bankhook_events is created if missing)")
	return c, fs.Parse(args)
}

// check checks the flags, and finds the file systems of -tmpfs and -disk:
// they must be a tmpfs and not one.
func (c *config) check() error {
	if len(c.bins) == 0 {
		return errors.New("gatewayload: no -bin label=path given")
	}
	if c.duration <= 0 || c.warmup < 0 || c.conns <= 0 || c.rounds <= 0 {
		return errors.New("gatewayload: -duration, -conns and -rounds must be positive, -warmup not negative")
	}
	if (c.profileDir == "") != (len(c.profileBins) == 0) {
		return errors.New("gatewayload: -profile and -profile-bin go together")
	}
	c.tmpfsType, c.diskType = fsType(c.tmpfsDir), fsType(c.diskDir)
	if c.tmpfsType != "tmpfs" {
		return fmt.Errorf("gatewayload: -tmpfs %s is on %s, not a tmpfs", c.tmpfsDir, c.tmpfsType)
	}
	if c.diskType == "tmpfs" {
		return fmt.Errorf("gatewayload: -disk %s is on a tmpfs, not a disk", c.diskDir)
	}
	return nil
}

// servers returns the servers to measure, in order: the bare handler, the
// library's pipeline, then for each binary serve writing to the tmpfs, to
// the disk, and answering duplicates.
func (c *config) servers() []*server {
	servers := []*server{{kind: "bare"}, {kind: "pipeline"}}
	for _, b := range c.bins {
		servers = append(servers,
			&server{kind: "tmpfs", bin: b, dir: c.tmpfsDir},
			&server{kind: "disk", bin: b, dir: c.diskDir},
			&server{kind: "dup", bin: b, dir: c.diskDir},
		)
	}
	if c.postgres != "" {
		servers = append(servers, &server{kind: "postgres", bin: c.bins[len(c.bins)-1], postgres: c.postgres})
	}
	return servers
}

// printHeader prints what is measured and how, as comment lines.
func (c *config) printHeader(out io.Writer, p httpload.Pinning, bodySize int) {
	fmt.Fprintf(out, "# bankhook serve over loopback: the gateway load test\n")
	fmt.Fprintf(out, "# %s %s/%s, %d CPUs visible to the load\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	for _, b := range c.bins {
		fmt.Fprintf(out, "# binary %s: %s\n", b.label, b.path)
	}
	fmt.Fprintf(out, "# --out: tmpfs in %s (%s), disk in %s (%s)\n", c.tmpfsDir, c.tmpfsType, c.diskDir, c.diskType)
	fmt.Fprintf(out, "# %d keep-alive connections to 127.0.0.1; %d rounds over the servers, each %v warm-up then %v measured\n",
		c.conns, c.rounds, c.warmup, c.duration)
	fmt.Fprintf(out, "# req/s: median round; p50, p99, max: all rounds' requests; server_cpu: the server's CPU time / wall time;\n")
	fmt.Fprintf(out, "# cpu/req: server CPU time per request (all rounds); io_stall: share of the time some task of the machine (any process) waited for I/O\n")
	fmt.Fprintf(out, "# (/proc/pressure/io); vs_pipeline: req/s against the pipeline's; vs_tmpfs: req/s against the same binary's tmpfs;\n")
	fmt.Fprintf(out, "# lines: lines written to --out in all rounds (one per new event); lines/batch: lines per write and sync, warm-ups included,\n")
	fmt.Fprintf(out, "# as serve logs them when it stops (\"-\" for a binary that does not)\n")
	fmt.Fprintf(out, "# pinning: %s\n", p)
	fmt.Fprintf(out, "# body: %s (%d bytes); bare, pipeline, tmpfs, disk: a new Payment id per request; dup: the same event every time\n",
		c.bodyPath, bodySize)
}

// probeDisk measures the fsync latency of the disk and prints it, saying
// when it was measured.
func (c *config) probeDisk(out io.Writer, when string) error {
	p50, p99, err := fsyncLatency(c.diskDir, 200)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "# the disk itself, %s: a 4 KiB append and fsync in %s takes p50 %v, p99 %v (200 in a row)\n",
		when, c.diskDir, roundDur(p50), roundDur(p99))
	return nil
}

// report prints the table and the verdicts on the targets.
func report(out io.Writer, servers []*server) error {
	byName := map[string]*server{}
	for _, s := range servers {
		byName[s.name()] = s
	}
	rate := func(name string) float64 {
		if s := byName[name]; s != nil {
			return s.result.Rate()
		}
		return 0
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\trequests\treq/s\tp50\tp99\tmax\tserver_cpu\tcpu/req\tio_stall\tvs_bare\tvs_pipeline\tvs_tmpfs\tlines\tlines/batch\terrors\t")
	for _, s := range servers {
		r := &s.result
		share, perReq, stall, lines := "-", "-", "-", "-"
		if r.CPUKnown {
			share = fmt.Sprintf("%.0f%%", 100*r.CPU.Seconds()/r.Wall.Seconds())
			perReq = fmt.Sprintf("%.1fµs", cpuPerRequest(r))
		}
		if s.kind != "bare" && s.kind != "pipeline" {
			lines = fmt.Sprint(s.lines)
		}
		if s.ioKnown {
			stall = fmt.Sprintf("%.0f%%", 100*s.ioStall.Seconds()/r.Wall.Seconds())
		}
		perBatch := "-"
		if s.batchesKnown && s.batches > 0 {
			perBatch = fmt.Sprintf("%.1f", float64(s.batchLines)/float64(s.batches))
		}
		vsTmpfs := "-"
		if s.kind == "disk" || s.kind == "dup" {
			vsTmpfs = percentOf(r.Rate(), rate(s.bin.label+" tmpfs"))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%v\t%v\t%v\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", s.name(), r.Requests, r.Rate(),
			roundDur(r.Quantile(0.50)), roundDur(r.Quantile(0.99)), roundDur(r.Quantile(1)), share, perReq, stall,
			percentOf(r.Rate(), rate("bare")), percentOf(r.Rate(), rate("pipeline")), vsTmpfs, lines, perBatch, r.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range servers {
		if s.kind == "tmpfs" {
			printVerdicts(out, s.bin.label, byName["pipeline"], s, byName[s.bin.label+" disk"], byName[s.bin.label+" dup"])
		}
	}
	var errs []error
	for _, s := range servers {
		if s.result.Errors > 0 {
			errs = append(errs, fmt.Errorf("gatewayload: %s: %d failed requests, first: %w", s.name(), s.result.Errors, s.result.FirstErr))
		}
	}
	return errors.Join(errs...)
}

// printVerdicts prints one binary's verdicts on the targets.
func printVerdicts(out io.Writer, label string, pipeline, tmpfs, disk, dup *server) {
	tmpfsShare := tmpfs.result.Rate() / pipeline.result.Rate()
	fmt.Fprintf(out, "# %s: tmpfs at %.1f%% of the pipeline's req/s (target ≥ %.0f%%): %s\n",
		label, 100*tmpfsShare, 100*targetTmpfsShare, verdict(tmpfsShare >= targetTmpfsShare))
	diskShare, p99 := disk.result.Rate()/tmpfs.result.Rate(), disk.result.Quantile(0.99)
	fmt.Fprintf(out, "# %s: disk at %.1f%% of tmpfs's req/s (target ≥ %.0f%%): %s; disk p99 %v (target < %v): %s\n",
		label, 100*diskShare, 100*targetDiskShare, verdict(diskShare >= targetDiskShare),
		roundDur(p99), targetDiskP99, verdict(p99 < targetDiskP99))
	dupCost := tmpfs.result.Rate() / dup.result.Rate()
	cpuCost := "CPU per request unknown"
	if dup.result.CPUKnown && tmpfs.result.CPUKnown {
		cpuCost = fmt.Sprintf("by CPU per request %.1f%% of tmpfs's, %.1f%% of disk's",
			100*cpuPerRequest(&dup.result)/cpuPerRequest(&tmpfs.result), 100*cpuPerRequest(&dup.result)/cpuPerRequest(&disk.result))
	}
	fmt.Fprintf(out, "# %s: a duplicate costs %.1f%% of a new event by req/s against tmpfs (target ≤ %.0f%%): %s; %s\n",
		label, 100*dupCost, 100*targetDupCost, verdict(dupCost <= targetDupCost), cpuCost)
}

// cpuPerRequest is the server's CPU time per request, in microseconds.
func cpuPerRequest(r *httpload.Result) float64 {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU.Seconds() * 1e6 / float64(r.Requests)
}

// percentOf formats a/b as a percentage, "-" when b is not known.
func percentOf(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*a/b)
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "missed"
}

// fsyncLatency appends 4 KiB to a new file in dir and syncs it, n times,
// and returns the median and the 99th percentile: the floor under serve's
// latency on that disk.
func fsyncLatency(dir string, n int) (p50, p99 time.Duration, err error) {
	f, err := os.CreateTemp(dir, "gatewayload-fsync-")
	if err != nil {
		return 0, 0, fmt.Errorf("gatewayload: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	block := bytes.Repeat([]byte("x"), 4095)
	block = append(block, '\n')
	took := make([]time.Duration, n)
	for i := range took {
		t0 := time.Now()
		if _, err := f.Write(block); err != nil {
			return 0, 0, fmt.Errorf("gatewayload: %w", err)
		}
		if err := f.Sync(); err != nil {
			return 0, 0, fmt.Errorf("gatewayload: %w", err)
		}
		took[i] = time.Since(t0)
	}
	slices.Sort(took)
	return took[n/2], took[(n*99+99)/100-1], nil
}

// roundDur rounds a latency for display: to the microsecond below 10 ms,
// to 0.1 ms above.
func roundDur(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}
