package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"time"

	"github.com/bankhook/bankhook/bench/httpload"
	"github.com/bankhook/bankhook/bench/workload"
)

// handlerFor returns the handler a server of the given kind serves. The
// allowlists of guards, full and replay add 127.0.0.1, the load's address.
func handlerFor(kind string) (http.Handler, error) {
	switch kind {
	case "bare":
		return workload.BareHandler, nil
	case "guards":
		return workload.GuardChain("127.0.0.1")
	case "full", "replay":
		return workload.FullReceiver(nil, nil, "127.0.0.1")
	}
	return nil, fmt.Errorf("loadtest: unknown server %q (want bare, guards, full or replay)", kind)
}

// serverCommand returns the command that runs this binary as the server of
// the given kind, as p places it, writing a CPU profile to profile when it
// is not empty. The server's standard error is loadtest's.
func serverCommand(p httpload.Pinning, kind string, maxLife time.Duration, profile string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	args := []string{"-serve", kind, "-max-life", maxLife.String()}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	cmd := p.ServerCommand(self, args...)
	cmd.Stderr = os.Stderr
	return cmd, nil
}

// serve is the server process: it listens on 127.0.0.1, tells its parent
// the address on stdout, and serves until its standard input closes (the
// parent is done or gone) or maxLife has passed, whichever comes first, so
// it never outlives the run.
//
// With a non-empty profile it writes a CPU profile of its whole life there.
func serve(kind string, maxLife time.Duration, profile string) error {
	h, err := handlerFor(kind)
	if err != nil {
		return err
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return fmt.Errorf("loadtest: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("loadtest: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if _, err := fmt.Fprintf(os.Stdout, "listening %s\n", ln.Addr()); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}

	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
	case <-time.After(maxLife):
	case err := <-errc:
		return fmt.Errorf("loadtest: serve: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("loadtest: shutdown: %w", err)
	}
	return nil
}
