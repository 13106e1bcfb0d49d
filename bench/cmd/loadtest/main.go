// Command loadtest measures bankhook over real HTTP on the loopback
// interface. It starts four servers one after another — a bare net/http
// handler, the same handler behind bankhook's guard stages, the whole
// bunq pipeline handling a new event per request, and the same pipeline
// answering duplicates — each in its own process on 127.0.0.1, drives each with
// keep-alive connections for a fixed time, and prints requests per second,
// latency percentiles, the server's CPU use and the ratios to the bare
// handler. It goes over the four servers several times (-rounds) and
// reports the median round, so that a passing disturbance on a shared
// machine weighs less; requests per second of server CPU time, also
// printed, stay comparable even when other processes take CPU time.
//
// On Linux with taskset and at least two CPUs, the server runs on one CPU
// with GOMAXPROCS=1 and the load on another, so the two do not compete;
// the output says what was done. Every request of the full pipeline is a
// new bunq Payment event (its id rewritten), so dedupe handles each one
// instead of answering a replay; every request to replay is the same
// event, handled once before the measurement, so dedupe answers each one
// from its store. Any answer other than 200 counts as an error and makes
// the command exit with status 1.
//
// Usage (from the bench directory):
//
//	go run ./cmd/loadtest [-duration 5s] [-warmup 1s] [-rounds 3] [-conns 16] [-servers bare,guards,full,replay] [-profile DIR]
//
// The servers are child processes of loadtest; each one exits when
// loadtest closes its standard input, or after -max-life in any case.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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

// targets are the shares of the bare handler's requests per second that
// the other servers should reach.
var targets = map[string]float64{"guards": 0.85, "full": 0.60}

func run(args []string, out io.Writer) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	if c.serveKind != "" {
		return serve(c.serveKind, c.maxLife, c.cpuProfile)
	}
	if c.duration <= 0 || c.warmup < 0 || c.conns <= 0 || c.rounds <= 0 {
		return errors.New("loadtest: -duration, -conns and -rounds must be positive, -warmup not negative")
	}
	kinds := strings.Split(c.servers, ",")
	for _, k := range kinds {
		if _, err := handlerFor(k); err != nil {
			return err
		}
	}
	events, err := workload.LoadPaymentEvents(c.bodyPath)
	if err != nil {
		return err
	}

	p := choosePinning(c.pin, c.serverCPU, c.loadCPU)
	if err := p.PinSelf(); err != nil {
		return err
	}
	c.printHeader(out, p, len(events.Body()))
	results, err := c.measureRounds(p, kinds, events)
	if err != nil {
		return err
	}
	if err := printTable(out, kinds, results); err != nil {
		return err
	}
	printVerdicts(out, kinds, results)

	var errs []error
	for _, kind := range kinds {
		if r := results[kind]; r.Errors > 0 {
			errs = append(errs, fmt.Errorf("loadtest: %s: %d failed requests, first: %w", kind, r.Errors, r.FirstErr))
		}
	}
	return errors.Join(errs...)
}

// config is the command line, parsed.
type config struct {
	duration, warmup   time.Duration
	conns, rounds      int
	servers, bodyPath  string
	pin                bool
	serverCPU, loadCPU int
	profileDir         string
	serveKind          string        // internal: run as this server
	maxLife            time.Duration // internal: the server's longest life
	cpuProfile         string        // internal: the server's CPU profile
}

// parseFlags parses the command line.
func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "measured time per server")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured time per server before it")
	fs.IntVar(&c.conns, "conns", 16, "keep-alive connections")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds over all servers; req/s is the median round's")
	fs.StringVar(&c.servers, "servers", "bare,guards,full,replay", "servers to measure, in order")
	fs.StringVar(&c.bodyPath, "body", workload.SamplePayment, "the bunq Payment callback to send")
	fs.BoolVar(&c.pin, "pin", true, "pin the server and the load to their own CPUs with taskset (Linux)")
	fs.IntVar(&c.serverCPU, "server-cpu", 0, "CPU of the server when pinning")
	fs.IntVar(&c.loadCPU, "load-cpu", 1, "CPU of the load when pinning")
	fs.StringVar(&c.serveKind, "serve", "", "internal: run as the server of this kind")
	fs.StringVar(&c.profileDir, "profile", "", "write each server's CPU profile of the first round to DIR/<server>.cpu.pprof")
	fs.DurationVar(&c.maxLife, "max-life", 0, "internal: the server's longest life")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "internal: the server's CPU profile")
	return c, fs.Parse(args)
}

// printHeader prints what is measured and how, as comment lines.
func (c config) printHeader(out io.Writer, p httpload.Pinning, bodySize int) {
	fmt.Fprintf(out, "# bankhook loopback load test\n")
	fmt.Fprintf(out, "# %s %s/%s, %d CPUs visible to the load\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(out, "# %d keep-alive connections to 127.0.0.1; %d rounds over the servers, each %v warm-up then %v measured\n",
		c.conns, c.rounds, c.warmup, c.duration)
	fmt.Fprintf(out, "# req/s: median round; p50, p99, max: all rounds' requests; server_cpu: the server's CPU time / wall time;\n")
	fmt.Fprintf(out, "# req/cpu_s: requests per second of server CPU time, which stays meaningful when other processes share the CPU\n")
	fmt.Fprintf(out, "# pinning: %s\n", p)
	fmt.Fprintf(out, "# body: %s (%d bytes); full: a new Payment id per request; replay: one Payment, handled before the measurement\n", c.bodyPath, bodySize)
}

// measureRounds measures every server of kinds, one after another, in
// each of c.rounds rounds, and returns each one's results over all rounds.
// The first round writes the CPU profiles when c.profileDir is set.
func (c config) measureRounds(p httpload.Pinning, kinds []string, events *workload.PaymentEvents) (map[string]*httpload.Result, error) {
	results := make(map[string]*httpload.Result, len(kinds))
	for _, kind := range kinds {
		results[kind] = &httpload.Result{}
	}
	for round := range c.rounds {
		for _, kind := range kinds {
			profile := ""
			if c.profileDir != "" && round == 0 {
				var err error
				if profile, err = filepath.Abs(filepath.Join(c.profileDir, kind+".cpu.pprof")); err != nil {
					return nil, fmt.Errorf("loadtest: %w", err)
				}
			}
			ph, cpu, err := measure(p, kind, events, c.conns, c.warmup, c.duration, profile)
			if err != nil {
				return nil, err
			}
			results[kind].Add(ph, cpu)
		}
	}
	return results, nil
}

// printTable prints one line of results per server, in the order of kinds.
func printTable(out io.Writer, kinds []string, results map[string]*httpload.Result) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\trequests\treq/s\tp50\tp99\tmax\tserver_cpu\treq/cpu_s\tvs_bare\terrors\t")
	bare := results["bare"]
	for _, kind := range kinds {
		r := results[kind]
		vs := "-"
		if bare != nil && bare.Rate() > 0 {
			vs = fmt.Sprintf("%.1f%%", 100*r.Rate()/bare.Rate())
		}
		share, perCPU := "-", "-"
		if r.CPUKnown {
			share = fmt.Sprintf("%.0f%%", 100*r.CPU.Seconds()/r.Wall.Seconds())
			perCPU = fmt.Sprintf("%.0f", r.PerCPUSecond())
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%v\t%v\t%v\t%s\t%s\t%s\t%d\t\n", kind, r.Requests, r.Rate(),
			roundDur(r.Quantile(0.50)), roundDur(r.Quantile(0.99)), roundDur(r.Quantile(1)), share, perCPU, vs, r.Errors)
	}
	return tw.Flush()
}

// printVerdicts prints, as comment lines, whether each server with a
// target reached its share of the bare handler's requests per second,
// and what a duplicate costs against a new event.
func printVerdicts(out io.Writer, kinds []string, results map[string]*httpload.Result) {
	bare := results["bare"]
	for _, kind := range kinds {
		t, ok := targets[kind]
		if !ok || bare == nil || bare.Rate() == 0 {
			continue
		}
		got := results[kind].Rate() / bare.Rate()
		verdict := "met"
		if got < t {
			verdict = fmt.Sprintf("missed by %.1f points", 100*(t-got))
		}
		fmt.Fprintf(out, "# %s: %.1f%% of bare's req/s (target ≥ %.0f%%): %s", kind, 100*got, 100*t, verdict)
		if results[kind].CPUKnown && bare.CPUKnown && bare.PerCPUSecond() > 0 {
			fmt.Fprintf(out, "; %.1f%% of bare's requests per server CPU-second", 100*results[kind].PerCPUSecond()/bare.PerCPUSecond())
		}
		fmt.Fprintln(out)
	}
	if full, replay := results["full"], results["replay"]; full != nil && replay != nil && full.CPUKnown && replay.CPUKnown &&
		full.PerCPUSecond() > 0 && replay.PerCPUSecond() > 0 {
		fmt.Fprintf(out, "# replay: a duplicate delivery costs %.1f%% of the server CPU of a new one (%.1f µs against %.1f µs)\n",
			100*full.PerCPUSecond()/replay.PerCPUSecond(), 1e6/replay.PerCPUSecond(), 1e6/full.PerCPUSecond())
	}
}

// choosePinning chooses as httpload.ChoosePinning does, except that where
// loadtest's own flags rule pinning out, the reason names them.
func choosePinning(pin bool, serverCPU, loadCPU int) httpload.Pinning {
	switch {
	case !pin:
		return httpload.Unpinned("-pin=false")
	case runtime.GOOS == "linux" && serverCPU == loadCPU:
		return httpload.Unpinned("-server-cpu equals -load-cpu")
	}
	return httpload.ChoosePinning(true, serverCPU, loadCPU)
}

// measure starts a server of the given kind, warms it up, measures it and
// stops it. It returns the measured phase and the CPU time the server used
// during it (negative when unknown).
func measure(p httpload.Pinning, kind string, events *workload.PaymentEvents, conns int, warmup, d time.Duration, profile string) (*httpload.Phase, time.Duration, error) {
	cmd, err := serverCommand(p, kind, warmup+d+time.Minute, profile)
	if err != nil {
		return nil, 0, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, 0, fmt.Errorf("loadtest: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, fmt.Errorf("loadtest: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("loadtest: starting the %s server: %w", kind, err)
	}
	defer stop(cmd, stdin)

	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		return nil, 0, fmt.Errorf("loadtest: the %s server did not start (%q): %v", kind, line, err)
	}

	l := &httpload.Load{Addr: addr, Path: "/bunq", Conns: conns, Bodies: events.Sources(kind == "full"), Grace: 10 * time.Second}
	if kind == "replay" {
		// The event is handled once; every request after it is its duplicate.
		if err := l.Send(events.Body()); err != nil {
			return nil, 0, fmt.Errorf("loadtest: priming the replay server: %w", err)
		}
	}
	if warmup > 0 {
		if w := l.Run(warmup); w.Errors > 0 {
			return nil, 0, fmt.Errorf("loadtest: %s warm-up: %d failed requests, first: %w", kind, w.Errors, w.FirstErr)
		}
	}
	cpu0, okCPU0 := httpload.CPUTime(cmd.Process.Pid)
	ph := l.Run(d)
	cpu1, okCPU1 := httpload.CPUTime(cmd.Process.Pid)
	if !okCPU0 || !okCPU1 {
		return ph, -1, nil
	}
	return ph, cpu1 - cpu0, nil
}

// stop closes the server's standard input, which makes it shut down, and
// waits for it; a server that has not exited after five seconds is killed.
func stop(cmd *exec.Cmd, stdin io.Closer) {
	_ = stdin.Close()
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// roundDur rounds a latency for display: to the microsecond below 10 ms,
// to 0.1 ms above.
func roundDur(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}
