package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/bankhook/bankhook/bench/httpload"
	"github.com/bankhook/bankhook/bench/workload"
)

// server is one server of the table, measured once a round.
type server struct {
	kind     string // bare, pipeline, tmpfs, disk, dup, postgres
	bin      binary // for all but bare and pipeline
	dir      string // where --out goes
	postgres string // for postgres: the database's URL
	profile  string // where the CPU profile of the measured phase goes; empty: none
	result   httpload.Result
	lines    int // lines written to --out, all rounds

	// batches is how many writes serve's output made for the lines it
	// logged writing when it closed, all rounds; batchesKnown whether it
	// logged them in every round (a binary before the count does not).
	batches, batchLines int
	batchesKnown        bool

	// ioStall is how long, in the measured phases, at least one task of
	// the machine (any process) waited for I/O; ioKnown whether the kernel
	// said so in every round.
	ioStall time.Duration
	ioKnown bool
}

func (s *server) name() string {
	if s.kind == "bare" || s.kind == "pipeline" {
		return s.kind
	}
	return s.bin.label + " " + s.kind
}

// limits are serve's rate limit flags, set beyond what any run reaches:
// every request comes from one address.
var limits = []string{"--rate", "1e9", "--burst", "1000000000"}

// measure starts the server, warms it up, measures it, stops it and
// checks its output.
func (s *server) measure(p httpload.Pinning, events *workload.PaymentEvents, conns int, warmup, d time.Duration) error {
	cmd, out, cleanup, err := s.command(p)
	if err != nil {
		return err
	}
	defer cleanup()
	proc, err := start(cmd)
	if err != nil {
		return fmt.Errorf("gatewayload: %s: %w", s.name(), err)
	}
	defer proc.kill()

	l := &httpload.Load{Addr: proc.addr, Path: "/bunq", Conns: conns, Bodies: events.Sources(s.kind != "dup")}
	if s.kind == "bare" || s.kind == "pipeline" {
		l.Path = "/"
	}
	done, replayed := 0, 0
	if s.kind == "dup" { // the event is handled once, before the load repeats it
		if err := deliver(proc.addr, events.Body()); err != nil {
			return fmt.Errorf("gatewayload: %s: %w\n%s", s.name(), err, proc.log())
		}
		done++
	}
	if warmup > 0 {
		w := l.Run(warmup)
		if w.Errors > 0 {
			return fmt.Errorf("gatewayload: %s warm-up: %d failed requests, first: %w\n%s", s.name(), w.Errors, w.FirstErr, proc.log())
		}
		done, replayed = done+w.Requests, replayed+w.Replayed
	}
	profiled := s.startProfile(proc, d)
	cpu0, ok0 := httpload.CPUTime(cmd.Process.Pid)
	io0, okIO0 := ioStalled()
	ph := l.Run(d)
	io1, okIO1 := ioStalled()
	cpu1, ok1 := httpload.CPUTime(cmd.Process.Pid)
	if err := <-profiled; err != nil {
		return fmt.Errorf("gatewayload: %s: profile: %w", s.name(), err)
	}
	s.ioKnown = (s.result.Rates == nil || s.ioKnown) && okIO0 && okIO1
	s.ioStall += io1 - io0
	cpu := cpu1 - cpu0
	if !ok0 || !ok1 {
		cpu = -1
	}
	s.result.Add(ph, cpu)
	done, replayed = done+ph.Requests, replayed+ph.Replayed
	if err := proc.stop(); err != nil {
		return fmt.Errorf("gatewayload: %s: %w", s.name(), err)
	}
	if out != "" {
		s.countBatches(proc)
	}
	if out == "" || ph.Errors > 0 {
		return nil
	}
	lines, err := countLines(out)
	if err != nil {
		return err
	}
	if want := done - replayed; lines != want {
		return fmt.Errorf("gatewayload: %s: %d lines in --out for %d events answered 200 (%d more as replays)", s.name(), lines, want, replayed)
	}
	s.lines += lines
	return nil
}

// command returns the command that runs the server, and for serve the
// --out file it writes; cleanup removes what command made.
func (s *server) command(p httpload.Pinning) (cmd *exec.Cmd, out string, cleanup func(), err error) {
	if s.kind == "bare" || s.kind == "pipeline" {
		self, err := os.Executable()
		if err != nil {
			return nil, "", nil, fmt.Errorf("gatewayload: %w", err)
		}
		return p.ServerCommand(self, "-serve", s.kind), "", func() {}, nil
	}
	if s.kind == "postgres" { // the database is the output: no --out
		cmd := p.ServerCommand(s.bin.path, append([]string{"serve", "--allow", "127.0.0.1", "--addr", "127.0.0.1:0"}, limits...)...)
		cmd.Env = append(cmd.Env, "BANKHOOK_POSTGRES_URL="+s.postgres)
		return cmd, "", func() {}, nil
	}
	dir, err := os.MkdirTemp(s.dir, "gatewayload-")
	if err != nil {
		return nil, "", nil, fmt.Errorf("gatewayload: %w", err)
	}
	out = filepath.Join(dir, "events.jsonl")
	args := append([]string{"serve", "--allow", "127.0.0.1", "--addr", "127.0.0.1:0", "--out", out}, limits...)
	if s.profile != "" {
		args = append(args, "--metrics", "127.0.0.1:0")
	}
	return p.ServerCommand(s.bin.path, args...), out, func() { _ = os.RemoveAll(dir) }, nil
}

// countBatches adds the lines and batches serve's output logged when it
// closed, after a round (see Add), to s's.
func (s *server) countBatches(proc *process) {
	m := outputClosed.FindStringSubmatch(proc.log())
	s.batchesKnown = m != nil && (len(s.result.Rates) == 1 || s.batchesKnown)
	if m != nil {
		lines, _ := strconv.Atoi(m[1])
		batches, _ := strconv.Atoi(m[2])
		s.batchLines, s.batches = s.batchLines+lines, s.batches+batches
	}
}

// outputClosed finds the counts serve's output logs when it closes.
var outputClosed = regexp.MustCompile(`msg="output closed".* lines=(\d+) batches=(\d+)`)

// metricsAddr finds the address of serve's metrics listener in its log.
var metricsAddr = regexp.MustCompile(`metrics on http://([^\s"/]+)`)

// startProfile fetches a CPU profile of d from proc's metrics listener
// (net/http/pprof, in a build with -tags bankhook_pprof) into s.profile,
// and yields the outcome; without s.profile it yields nil at once.
func (s *server) startProfile(proc *process, d time.Duration) <-chan error {
	done := make(chan error, 1)
	if s.profile == "" {
		done <- nil
		return done
	}
	if proc.metrics == "" {
		done <- errors.New("serve did not log its metrics address")
		return done
	}
	go func() {
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", proc.metrics, max(1, int(d.Round(time.Second)/time.Second)))
		client := &http.Client{Timeout: d + time.Minute}
		resp, err := client.Get(url)
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			done <- fmt.Errorf("%s answered %s: is the binary built with -tags bankhook_pprof?", url, resp.Status)
			return
		}
		f, err := os.Create(s.profile)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		done <- errors.Join(err, f.Close())
	}()
	return done
}

// deliver posts body to serve's bunq endpoint once and wants a 200.
func deliver(addr string, body []byte) error {
	resp, err := http.Post("http://"+addr+"/bunq", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("first delivery answered %s", resp.Status)
	}
	return nil
}

// countLines counts the newlines of the file at path.
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("gatewayload: %w", err)
	}
	defer f.Close()
	n, buf := 0, make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte("\n"))
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("gatewayload: %w", err)
		}
	}
}

// process is a running server.
type process struct {
	cmd     *exec.Cmd
	addr    string
	metrics string        // the metrics listener's address, when serve logged one before its address
	exited  chan struct{} // closed once Wait returned
	err     error         // Wait's, set before exited is closed

	mu   sync.Mutex // guards tail
	tail []byte     // the end of its standard error, up to tailBytes
}

// tailBytes is how much of a server's standard error is kept, for errors.
const tailBytes = 4 << 10

// Write keeps the end of what the process writes to standard error.
func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tail = append(p.tail, b...)
	if over := len(p.tail) - tailBytes; over > 0 {
		p.tail = append(p.tail[:0], p.tail[over:]...)
	}
	return len(b), nil
}

// listening finds the address both serve ("listening on http://…") and
// the bare server log.
var listening = regexp.MustCompile(`listening on https?://([^\s"]+)`)

// start starts cmd and waits until it logs its address. Its standard
// error is read all along (serve logs every request there).
func start(cmd *exec.Cmd) (*process, error) {
	setParentDeathSignal(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	addr := make(chan string, 1)
	var metrics string // written by the reader below before it sends addr
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		// Lines are looked at until the address is found; then what
		// follows (a line per request) is only kept, cheaply: this runs on
		// the load's CPU.
		br := bufio.NewReaderSize(stderr, 64<<10)
		for {
			line, err := br.ReadString('\n')
			_, _ = p.Write([]byte(line))
			if m := metricsAddr.FindStringSubmatch(line); m != nil {
				metrics = m[1]
			}
			if m := listening.FindStringSubmatch(line); m != nil {
				addr <- m[1]
				break
			}
			if err != nil {
				return
			}
		}
		_, _ = io.Copy(p, br)
	}()
	go func() {
		<-copied // Wait closes the pipe: read it all first
		p.err = cmd.Wait()
		close(p.exited)
	}()
	select {
	case p.addr = <-addr:
		p.metrics = metrics
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("exited before listening: %v\n%s", p.err, p.log())
	case <-time.After(time.Minute):
		p.kill()
		return nil, fmt.Errorf("did not log its address within a minute\n%s", p.log())
	}
}

// log returns the end of what the process wrote to standard error.
func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.tail)
}

// stop sends SIGTERM and waits for a clean exit, for at most 30 s.
func (p *process) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.kill()
		return fmt.Errorf("did not stop within 30 s of SIGTERM\n%s", p.log())
	}
	if p.err != nil {
		return fmt.Errorf("exit: %w\n%s", p.err, p.log())
	}
	return nil
}

// kill kills the process if it still runs, and waits for it.
func (p *process) kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// serveHandler is the bare server (workload.BareHandler) or the pipeline
// server (workload.FullReceiver, allowing loopback), on a free loopback
// port, logged as serve logs its address, until SIGTERM.
func serveHandler(kind string) error {
	var h http.Handler
	switch kind {
	case "bare":
		h = workload.BareHandler
	case "pipeline":
		var err error
		if h, err = workload.FullReceiver(nil, nil, "127.0.0.1"); err != nil {
			return fmt.Errorf("gatewayload: %w", err)
		}
	default:
		return fmt.Errorf("gatewayload: -serve %q: want bare or pipeline", kind)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("gatewayload: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(os.Stderr, "listening on http://%s\n", ln.Addr())
	select {
	case err := <-served:
		return fmt.Errorf("gatewayload: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
