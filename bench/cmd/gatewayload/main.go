// Command gatewayload measures the built bankhook command, `bankhook
// serve`, over real HTTP on the loopback interface, against a bare
// net/http handler: for each bankhook binary it is given (-bin
// before=PATH -bin after=PATH), serve writing --out to a tmpfs directory
// (memory: what the pipeline and the write cost), serve writing --out to a
// disk (each line synced before the bank is answered), and serve
// answering only duplicates. It prints requests per second (the median
// round), latency percentiles over every round, the server's CPU use, and
// each server's ratios to the bare handler and, for the disk, to the same
// binary's tmpfs.
//
// Every request is a bunq MUTATION callback POSTed to /bunq. For bare,
// tmpfs and disk each one is a new event (the Payment id rewritten), so
// serve handles and writes each one; for dup every request carries the
// first event again, so serve answers each one from its dedupe store and
// writes nothing. After each run the output file must hold exactly one
// line per event answered 200 without Idempotent-Replayed: a lost or
// doubled line fails the run, as does any answer other than 200.
//
// The servers run one after another, each in its own process (GOMAXPROCS=1;
// on Linux with taskset, on a CPU of its own, the load on another), and
// the servers are gone over several times (-rounds). serve runs as a user
// would run it in production, with loopback as the one allowed sender
// (--allow 127.0.0.1: not --dev, whose delivery inspector a production
// gateway does not run) and a rate limit no run reaches (--rate 1e9
// --burst 1000000000: every request comes from one address).
//
// Usage (from the bench directory):
//
//	go run ./cmd/gatewayload -bin after=PATH [-bin before=PATH] [-tmpfs /dev/shm] [-disk DIR] [-duration 5s] [-warmup 1s] [-rounds 3] [-conns 16]
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

// Targets for serve writing to a disk, against the same binary's tmpfs.
const (
	targetDiskShare = 0.70
	targetDiskP99   = 5 * time.Millisecond
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
	if c.serveBare {
		return serveBareHandler()
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
	return report(out, servers)
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
	serveBare          bool // internal: run as the bare server
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
	fs.BoolVar(&c.serveBare, "serve-bare", false, "internal: run as the bare server")
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
	c.tmpfsType, c.diskType = fsType(c.tmpfsDir), fsType(c.diskDir)
	if c.tmpfsType != "tmpfs" {
		return fmt.Errorf("gatewayload: -tmpfs %s is on %s, not a tmpfs", c.tmpfsDir, c.tmpfsType)
	}
	if c.diskType == "tmpfs" {
		return fmt.Errorf("gatewayload: -disk %s is on a tmpfs, not a disk", c.diskDir)
	}
	return nil
}

// servers returns the servers to measure, in order: the bare handler,
// then for each binary serve writing to the tmpfs, to the disk, and
// answering duplicates.
func (c *config) servers() []*server {
	servers := []*server{{kind: "bare"}}
	for _, b := range c.bins {
		servers = append(servers,
			&server{kind: "tmpfs", bin: b, dir: c.tmpfsDir},
			&server{kind: "disk", bin: b, dir: c.diskDir},
			&server{kind: "dup", bin: b, dir: c.diskDir},
		)
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
	fmt.Fprintf(out, "# req/cpu_s: requests per second of server CPU time; io_stall: share of the time some task of the machine (any process) waited for I/O\n")
	fmt.Fprintf(out, "# (/proc/pressure/io); lines: lines written to --out in all rounds (one per new event)\n")
	fmt.Fprintf(out, "# pinning: %s\n", p)
	fmt.Fprintf(out, "# body: %s (%d bytes); bare, tmpfs, disk: a new Payment id per request; dup: the same event every time\n",
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
	bare := servers[0].result.Rate()
	tmpfs := map[string]float64{}
	for _, s := range servers {
		if s.kind == "tmpfs" {
			tmpfs[s.bin.label] = s.result.Rate()
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\trequests\treq/s\tp50\tp99\tmax\tserver_cpu\treq/cpu_s\tio_stall\tvs_bare\tvs_tmpfs\tlines\terrors\t")
	for _, s := range servers {
		r := &s.result
		vsBare, vsTmpfs, share, perCPU := "-", "-", "-", "-"
		if bare > 0 {
			vsBare = fmt.Sprintf("%.1f%%", 100*r.Rate()/bare)
		}
		if t := tmpfs[s.bin.label]; s.kind == "disk" && t > 0 {
			vsTmpfs = fmt.Sprintf("%.1f%%", 100*r.Rate()/t)
		}
		if r.CPUKnown {
			share = fmt.Sprintf("%.0f%%", 100*r.CPU.Seconds()/r.Wall.Seconds())
			perCPU = fmt.Sprintf("%.0f", r.PerCPUSecond())
		}
		lines, stall := "-", "-"
		if s.kind != "bare" {
			lines = fmt.Sprint(s.lines)
		}
		if s.ioKnown {
			stall = fmt.Sprintf("%.0f%%", 100*s.ioStall.Seconds()/r.Wall.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%v\t%v\t%v\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", s.name(), r.Requests, r.Rate(),
			roundDur(r.Quantile(0.50)), roundDur(r.Quantile(0.99)), roundDur(r.Quantile(1)), share, perCPU, stall, vsBare, vsTmpfs, lines, r.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range servers {
		if s.kind != "disk" || tmpfs[s.bin.label] == 0 {
			continue
		}
		share, p99 := s.result.Rate()/tmpfs[s.bin.label], s.result.Quantile(0.99)
		fmt.Fprintf(out, "# %s: disk at %.1f%% of tmpfs's req/s (target ≥ %.0f%%): %s; disk p99 %v (target < %v): %s\n",
			s.bin.label, 100*share, 100*targetDiskShare, verdict(share >= targetDiskShare),
			roundDur(p99), targetDiskP99, verdict(p99 < targetDiskP99))
	}
	var errs []error
	for _, s := range servers {
		if s.result.Errors > 0 {
			errs = append(errs, fmt.Errorf("gatewayload: %s: %d failed requests, first: %w", s.name(), s.result.Errors, s.result.FirstErr))
		}
	}
	return errors.Join(errs...)
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
