// Command bankhook receives bunq and bankHub webhooks, pins a callback
// server's certificate chain and plays a bank's part for local trials.
//
// Usage:
//
//	bankhook serve [flags]                          receive both banks' webhooks
//	bankhook pin [flags] HOST[:PORT]                print or check a served certificate chain
//	bankhook send [flags] bunq|bankhub SAMPLE|FILE  deliver an event with a bank's retry schedule
//	bankhook bunq SUBCOMMAND [flags] [args]         subscribe, pin, list and re-send failed callbacks at bunq
//	bankhook version                                print the version
//
// Run "bankhook COMMAND -h" for a command's flags. Exit status: 0 on
// success, 1 when the work failed (a delivery that was never acknowledged,
// a pin that does not match, a server that could not start), 2 for a usage
// error.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
)

// Exit statuses of run.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run is the whole command: it runs the subcommand named by args[0] until
// it finishes or SIGINT or SIGTERM arrives, and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdin, stdout, stderr)
}

// runContext is run with the context that ends the command: serve shuts
// down gracefully and send stops retrying when ctx is done.
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "pin":
		return pin(ctx, rest, stdout, stderr)
	case "send":
		return send(ctx, rest, stdin, stdout, stderr)
	case "bunq":
		return bunqCmd(ctx, rest, stdout, stderr)
	case "version":
		return version(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "bankhook: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

const usage = `bankhook receives bunq and bankHub webhooks safely.

Usage:

  bankhook serve [flags]                          receive both banks' webhooks
  bankhook pin [flags] HOST[:PORT]                print or check a served certificate chain
  bankhook send [flags] bunq|bankhub SAMPLE|FILE  deliver an event with a bank's retry schedule
  bankhook bunq SUBCOMMAND [flags] [args]         subscribe, pin, list and re-send failed callbacks at bunq
  bankhook version                                print the version

Run "bankhook COMMAND -h" for a command's flags.
`

// newFlagSet returns a flag set for a subcommand whose usage text starts
// with synopsis and lists the flags.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("bankhook "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), synopsis)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs, accepting flags before, between and
// after the positional arguments (which it returns); everything after "--"
// is positional. For -h it prints the usage to stdout and reports exitOK;
// for a bad flag it prints the error and the usage to stderr and reports
// exitUsage. ok is false in both cases: the caller returns code.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (positional []string, code int, ok bool) {
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	positional, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = stdout.Write(msg.Bytes())
		return nil, exitOK, false
	case err != nil:
		_, _ = stderr.Write(msg.Bytes())
		return nil, exitUsage, false
	}
	fs.SetOutput(stderr)
	return positional, exitOK, true
}

// parseInterspersed parses flags wherever they appear among args and
// returns the other arguments in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageError reports a bad command line: the message and the usage on
// stderr, and exitUsage.
func usageError(fs *flag.FlagSet, stderr io.Writer, format string, a ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n\n", fs.Name(), fmt.Sprintf(format, a...))
	fs.SetOutput(stderr)
	fs.Usage()
	return exitUsage
}

// splitList splits a comma-separated flag value into its trimmed,
// non-empty items.
func splitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// buildVersion returns the main module's version, "(devel)" for a build
// from a work tree, and the VCS revision when the build recorded one.
func buildVersion() (version, revision string) {
	version = "(devel)"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version, ""
	}
	if v := bi.Main.Version; v != "" {
		version = v
	}
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if revision != "" && modified {
		revision += "+dirty"
	}
	return version, revision
}

// userAgent is the User-Agent of every request the command makes.
func userAgent() string {
	v, _ := buildVersion()
	return "bankhook/" + v
}

func version(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "Usage: bankhook version\n\nPrints the version of bankhook and of the Go toolchain that built it.\n")
	positional, code, ok := parseFlags(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(fs, stderr, "unexpected argument %q", positional[0])
	}
	v, rev := buildVersion()
	if rev != "" {
		v += " (" + rev + ")"
	}
	fmt.Fprintf(stdout, "bankhook %s %s %s/%s\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
