package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"

	"github.com/bankhook/bankhook/bunq/bunqapi"
)

// defaultContextFile is where the context is kept unless --context says.
const defaultContextFile = "bunq-context.json"

const bunqUsage = `Usage: bankhook bunq SUBCOMMAND [flags] [args]

Talks to bunq's API: subscribes callback URLs, pins certificate chains and
lists and re-sends the callbacks bunq gave up on.

  sandbox-user [--login]             make a user on bunq's sandbox; print BUNQ_API_KEY=…
  login                              set up an API context from $BUNQ_API_KEY and save it
  filters                            list the URL filters: CATEGORY<TAB>TARGET
  subscribe --url URL CATEGORY...    send these categories to URL, keeping other URLs' filters
  unsubscribe [--url URL]            remove the filters of URL, or all
  pin add HOST[:PORT]                pin the chain HOST serves
  pin list                           list the pinned chains
  pin remove ID...                   delete pins
  failures [--json]                  list the failed callbacks
  retry (--all | ID...)              have bunq send failed callbacks again

Every subcommand takes --context FILE (default bunq-context.json), --sandbox
and --api-url URL. The context file holds the API key, a private key and
the session: it is a secret, written with mode 0600, and refused when other
users may read it. Run "bankhook bunq SUBCOMMAND -h" for its flags. Exit
status: 0 on success, 1 when bunq or the network fails, 2 for a usage
error.
`

// bunqSubcommands are the subcommands of bankhook bunq.
var bunqSubcommands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) int{
	"sandbox-user": bunqSandboxUser,
	"login":        bunqLogin,
	"filters":      bunqFilters,
	"subscribe":    bunqSubscribe,
	"unsubscribe":  bunqUnsubscribe,
	"pin":          bunqPin,
	"failures":     bunqFailures,
	"retry":        bunqRetry,
}

// bunqCmd is bankhook bunq: it dispatches to the subcommand.
func bunqCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, bunqUsage)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, bunqUsage)
		return exitOK
	}
	sub, ok := bunqSubcommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "bankhook bunq: unknown subcommand %q\n\n%s", args[0], bunqUsage)
		return exitUsage
	}
	return sub(ctx, args[1:], stdout, stderr)
}

// bunqFlags are the flags every bunq subcommand takes.
type bunqFlags struct {
	context string
	sandbox bool
	apiURL  string
}

func (f *bunqFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.context, "context", defaultContextFile, "`file` the API context is kept in (a secret: mode 0600)")
	fs.BoolVar(&f.sandbox, "sandbox", false, "use bunq's sandbox ("+bunqapi.Sandbox+")")
	fs.StringVar(&f.apiURL, "api-url", "", "`URL` of bunq's API, overriding both the production one and --sandbox; https unless the host is loopback")
}

// check reports a bad flag value as a usage error message.
func (f *bunqFlags) check() error {
	if f.context == "" {
		return errors.New("--context: empty file name")
	}
	if f.apiURL != "" {
		if err := bunqapi.ValidateBaseURL(f.apiURL); err != nil {
			return fmt.Errorf("--api-url: %w", err)
		}
	}
	return nil
}

// baseURL is the API the flags name; "" means the context's own.
func (f *bunqFlags) baseURL() string {
	switch {
	case f.apiURL != "":
		return f.apiURL
	case f.sandbox:
		return bunqapi.Sandbox
	}
	return ""
}

// bunqLogger logs the client's session renewals and rate-limit waits.
func bunqLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, nil))
}

// bunqRun is one run of a bunq subcommand: its flags, the common ones
// included, and where it writes.
type bunqRun struct {
	name           string // "filters"
	fs             *flag.FlagSet
	flags          bunqFlags
	account        *int64 // --account, when the subcommand takes it
	stdout, stderr io.Writer
}

func newBunqRun(name, usage string, stdout, stderr io.Writer) *bunqRun {
	b := &bunqRun{name: name, fs: newFlagSet("bunq "+name, usage), stdout: stdout, stderr: stderr}
	b.flags.register(b.fs)
	return b
}

// withAccount adds --account, the monetary account to work on instead of
// the user.
func (b *bunqRun) withAccount(usage string) {
	b.account = b.fs.Int64("account", 0, usage)
}

// accountID is --account, 0 for the user.
func (b *bunqRun) accountID() int64 {
	if b.account == nil {
		return 0
	}
	return *b.account
}

// parse parses args, allowing at most maxArgs positional arguments (-1
// for any number). When ok is false the caller returns code.
func (b *bunqRun) parse(args []string, maxArgs int) (positional []string, code int, ok bool) {
	positional, code, ok = parseFlags(b.fs, args, b.stdout, b.stderr)
	if !ok {
		return nil, code, false
	}
	if err := b.flags.check(); err != nil {
		return nil, b.usage("%v", err), false
	}
	if maxArgs >= 0 && len(positional) > maxArgs {
		return nil, b.usage("unexpected argument %q", positional[maxArgs]), false
	}
	if b.accountID() < 0 {
		return nil, b.usage("--account %d: want a monetary account id", b.accountID()), false
	}
	return positional, exitOK, true
}

// usage reports a usage error and returns exitUsage.
func (b *bunqRun) usage(format string, a ...any) int {
	return usageError(b.fs, b.stderr, format, a...)
}

// fail reports err and returns exitFailure.
func (b *bunqRun) fail(err error) int {
	fmt.Fprintf(b.stderr, "bankhook bunq %s: %v\n", b.name, err)
	return exitFailure
}

// client loads the context file the flags name.
func (b *bunqRun) client() (*bunqapi.Client, error) {
	c, err := bunqapi.Load(b.flags.context, bunqapi.Options{BaseURL: b.flags.baseURL(), Logger: bunqLogger(b.stderr)})
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w (run bankhook bunq login first)", err)
	}
	return c, err
}

// parseIDs parses the ids of what (such as "failure") given as arguments:
// positive, each once.
func parseIDs(args []string, what string) ([]int64, error) {
	ids := make([]int64, 0, len(args))
	for _, arg := range args {
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%q is not a %s id", arg, what)
		}
		if slices.Contains(ids, id) {
			return nil, fmt.Errorf("id %d given twice", id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
