package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqapi"
)

// apiKeyEnv is where login takes the API key from: never a flag, which
// would land in shell history and in ps.
const apiKeyEnv = "BUNQ_API_KEY"

// defaultContextFile is where the context is kept unless --context says.
const defaultContextFile = "bunq-context.json"

const bunqUsage = `Usage: bankhook bunq SUBCOMMAND [flags] [args]

Talks to bunq's API: subscribes callback URLs, pins certificate chains and
lists and re-sends the callbacks bunq gave up on.

  login                              set up an API context from $BUNQ_API_KEY and save it
  filters                            list the URL filters: CATEGORY<TAB>TARGET
  subscribe --url URL CATEGORY...    send these categories to URL, keeping other URLs' filters
  unsubscribe [--url URL]            remove the filters of URL, or all
  pin HOST[:PORT]                    pin the chain HOST serves; --list, --remove ID
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
	"login":       bunqLogin,
	"filters":     bunqFilters,
	"subscribe":   bunqSubscribe,
	"unsubscribe": bunqUnsubscribe,
	"pin":         bunqPin,
	"failures":    bunqFailures,
	"retry":       bunqRetry,
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

// listFilters lists the filters of --account, or of the user.
func (b *bunqRun) listFilters(ctx context.Context, c *bunqapi.Client) ([]bunq.NotificationFilterURL, error) {
	if id := b.accountID(); id != 0 {
		return c.ListAccountFilters(ctx, id)
	}
	return c.ListFilters(ctx)
}

// setFilters sets the filters of --account, or of the user.
func (b *bunqRun) setFilters(ctx context.Context, c *bunqapi.Client, filters []bunq.NotificationFilterURL) error {
	if id := b.accountID(); id != 0 {
		return c.SetAccountFilters(ctx, id, filters)
	}
	return c.SetFilters(ctx, filters)
}

// printFilters lists the filters as bunq holds them after a change.
func (b *bunqRun) printFilters(ctx context.Context, c *bunqapi.Client) int {
	filters, err := b.listFilters(ctx, c)
	if err != nil {
		return b.fail(fmt.Errorf("the change was made, but listing the filters failed: %w", err))
	}
	printFilters(b.stdout, filters)
	return exitOK
}

func printFilters(w io.Writer, filters []bunq.NotificationFilterURL) {
	for _, f := range filters {
		fmt.Fprintf(w, "%s\t%s\n", f.Category, f.NotificationTarget)
	}
}

const bunqLoginUsage = `Usage: bankhook bunq login [flags]

Sets up an API context with the API key in $BUNQ_API_KEY (never a flag:
flags land in shell history and ps): a new RSA 2048 key pair, POST
/v1/installation, /v1/device-server and /v1/session-server. It saves the
context to --context with mode 0600 and prints the user id and type.
It refuses to replace an existing context file without --force.
`

func bunqLogin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("login", bunqLoginUsage, stdout, stderr)
	force := b.fs.Bool("force", false, "replace an existing context file")
	description := b.fs.String("description", bunqapi.DefaultDescription, "`text` naming this device at bunq")
	permitted := b.fs.String("permitted-ips", "", "`addresses` (comma-separated) the API key may be used from; \"*\" with your address allows any; default the address login calls from")
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	apiKey := os.Getenv(apiKeyEnv)
	if apiKey == "" {
		return b.usage("$%s is not set: export the API key from bunq's app (Profile → Security → API keys) in it", apiKeyEnv)
	}
	if _, err := os.Lstat(b.flags.context); err == nil && !*force {
		return b.fail(fmt.Errorf("%s exists: pass --force to replace it", b.flags.context))
	}
	base := b.flags.baseURL()
	if base == "" {
		base = bunqapi.Production
	}
	c, err := bunqapi.Setup(ctx, apiKey, bunqapi.Options{
		BaseURL: base, Description: *description, PermittedIPs: splitList(*permitted), Logger: bunqLogger(stderr),
	})
	if err != nil {
		return b.fail(err)
	}
	if err := c.Save(b.flags.context); err != nil {
		return b.fail(err)
	}
	fmt.Fprintf(stdout, "user_id: %d\nuser_type: %s\ncontext: %s\n", c.UserID(), c.UserType(), b.flags.context)
	return exitOK
}

const bunqFiltersUsage = `Usage: bankhook bunq filters [flags]

Prints the URL notification filters, one a line: CATEGORY<TAB>TARGET. The
target is printed in full: its query may hold the receiver's token.
`

func bunqFilters(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("filters", bunqFiltersUsage, stdout, stderr)
	b.withAccount("the monetary account `id` whose filters to list, instead of the user's")
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	filters, err := b.listFilters(ctx, c)
	if err != nil {
		return b.fail(err)
	}
	printFilters(stdout, filters)
	return exitOK
}

const bunqSubscribeUsage = `Usage: bankhook bunq subscribe --url URL [flags] CATEGORY...

Makes bunq send the given categories to URL: it reads the filters, replaces
those of URL by the given categories, keeps the filters of other URLs and
writes the list back (bunq's POST replaces the whole list). URL must be
https; put a secret token in its query (?token=…) for the receiver to
check. Prints the filters afterwards. Categories:

  ` + "{{categories}}" + `
`

func bunqSubscribe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("subscribe", strings.Replace(bunqSubscribeUsage, "{{categories}}", categoryList(), 1), stdout, stderr)
	target := b.fs.String("url", "", "the https `URL` bunq calls back")
	b.withAccount("subscribe a monetary account (`id`) instead of the user")
	positional, code, ok := b.parse(args, -1)
	if !ok {
		return code
	}
	if err := checkTargetURL(*target); err != nil {
		return b.usage("--url: %v", err)
	}
	if len(positional) == 0 {
		return b.usage("no CATEGORY given")
	}
	var categories []bunq.Category
	for _, arg := range positional {
		cat := bunq.Category(strings.ToUpper(arg))
		if !cat.Known() {
			return b.usage("category %q is not one bunq documents", arg)
		}
		if !slices.Contains(categories, cat) {
			categories = append(categories, cat)
		}
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	filters, err := b.listFilters(ctx, c)
	if err != nil {
		return b.fail(err)
	}
	filters = slices.DeleteFunc(filters, func(f bunq.NotificationFilterURL) bool { return f.NotificationTarget == *target })
	for _, cat := range categories {
		filters = append(filters, bunq.NotificationFilterURL{Category: cat, NotificationTarget: *target})
	}
	if err := b.setFilters(ctx, c, filters); err != nil {
		return b.fail(err)
	}
	return b.printFilters(ctx, c)
}

// checkTargetURL accepts an absolute https URL with a host. Its errors
// never repeat the URL, whose query may hold a token.
func checkTargetURL(s string) error {
	if s == "" {
		return errors.New("missing; give the https URL bunq calls back")
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if u.Scheme != "https" || u.Hostname() == "" {
		return errors.New("bunq calls https URLs only: want https://host/path")
	}
	return nil
}

// categoryList is bunq's categories for the usage text, in lines of at
// most 72 columns after the first's indent.
func categoryList() string {
	var b strings.Builder
	line := 0
	for _, c := range bunq.Categories() {
		switch {
		case line == 0:
		case line+1+len(c) > 72:
			b.WriteString("\n  ")
			line = 0
		default:
			b.WriteByte(' ')
			line++
		}
		b.WriteString(string(c))
		line += len(c)
	}
	return b.String()
}

const bunqUnsubscribeUsage = `Usage: bankhook bunq unsubscribe [flags]

Removes the URL filters of --url, keeping the others, or, without --url,
every URL filter. Prints the filters afterwards.
`

func bunqUnsubscribe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("unsubscribe", bunqUnsubscribeUsage, stdout, stderr)
	target := b.fs.String("url", "", "the callback `URL` whose filters to remove; default all")
	b.withAccount("unsubscribe a monetary account (`id`) instead of the user")
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	var keep []bunq.NotificationFilterURL
	if *target != "" {
		filters, err := b.listFilters(ctx, c)
		if err != nil {
			return b.fail(err)
		}
		keep = slices.DeleteFunc(slices.Clone(filters), func(f bunq.NotificationFilterURL) bool { return f.NotificationTarget == *target })
		if len(keep) == len(filters) {
			fmt.Fprintln(stderr, "bankhook bunq unsubscribe: no filter has that URL; nothing changed")
			printFilters(stdout, filters)
			return exitOK
		}
	}
	if err := b.setFilters(ctx, c, keep); err != nil {
		return b.fail(err)
	}
	return b.printFilters(ctx, c)
}

const bunqPinUsage = `Usage: bankhook bunq pin [flags] HOST[:PORT]
       bankhook bunq pin [flags] --list
       bankhook bunq pin [flags] --remove ID

Fetches the certificate chain HOST serves (port 443 unless given) and pins
it at bunq, printing the new pin's id: bunq then cancels a callback whose
server does not present a pinned chain. Pin the new chain before you
rotate a certificate, then remove the old pin.

--list prints each pinned chain: ID<TAB>leaf subject<TAB>leaf expiry.
--remove ID deletes a pin.
`

func bunqPin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("pin", bunqPinUsage, stdout, stderr)
	serverName := b.fs.String("servername", "", "TLS server `name` to send (SNI) and verify; default HOST")
	insecure := b.fs.Bool("insecure", false, "do not verify the served chain against the system's roots (a self-signed certificate)")
	timeout := b.fs.Duration("timeout", 10*time.Second, "time allowed to connect to HOST and complete the TLS handshake")
	list := b.fs.Bool("list", false, "list the pinned chains")
	remove := b.fs.Int64("remove", 0, "delete the pinned chain `id`")
	positional, code, ok := b.parse(args, 1)
	if !ok {
		return code
	}
	set := map[string]bool{}
	b.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	modes := 0
	for _, on := range []bool{*list, set["remove"], len(positional) > 0} {
		if on {
			modes++
		}
	}
	switch {
	case modes == 0:
		return b.usage("missing HOST[:PORT], --list or --remove ID")
	case modes > 1:
		return b.usage("give one of HOST[:PORT], --list and --remove ID")
	case set["remove"] && *remove <= 0:
		return b.usage("--remove %d: want a pin id", *remove)
	case *timeout <= 0:
		return b.usage("--timeout %v: want a positive duration", *timeout)
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	switch {
	case *list:
		pins, err := c.ListPins(ctx)
		if err != nil {
			return b.fail(err)
		}
		for _, p := range pins {
			subject, expiry := "(unreadable chain)", "-"
			if certs, err := p.Certificates(); err == nil && len(certs) > 0 {
				subject, expiry = certs[0].Subject.String(), certs[0].NotAfter.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%d\t%s\t%s\n", p.ID, subject, expiry)
		}
	case set["remove"]:
		if err := c.DeletePin(ctx, *remove); err != nil {
			return b.fail(err)
		}
		fmt.Fprintf(stdout, "removed %d\n", *remove)
	default:
		fetchCtx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		cfg := &tls.Config{ServerName: *serverName, InsecureSkipVerify: *insecure} // unverified only when asked
		chain, err := bankhook.FetchChain(fetchCtx, positional[0], cfg)
		if err != nil {
			return b.fail(err)
		}
		id, err := c.CreatePin(ctx, bankhook.EncodePEM(chain))
		if err != nil {
			return b.fail(err)
		}
		fmt.Fprintln(stdout, id)
	}
	return exitOK
}

const bunqFailuresUsage = `Usage: bankhook bunq failures [flags]

Lists the callbacks bunq gave up on after its sixth attempt, newest first,
one a line: ID<TAB>CREATED<TAB>CATEGORY<TAB>EVENT_TYPE<TAB>OBJECT_ID<TAB>TARGET.
With --json, one JSON object a line with bunq's field names: id, created,
category, event_type, object_id, notification_target. TARGET is the URL the
callback failed on (the one of its filters when bunq does not list it; -,
or "" in JSON, when unknown), printed in full: its query may hold the
receiver's token. Re-send them with bankhook bunq retry.
`

func bunqFailures(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("failures", bunqFailuresUsage, stdout, stderr)
	asJSON := b.fs.Bool("json", false, "one JSON object a line")
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	failures, err := c.ListFailures(ctx)
	if err != nil {
		return b.fail(err)
	}
	for _, f := range failures {
		if !*asJSON {
			target := cmp.Or(f.Target(), "-")
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%d\t%s\n", f.ID, f.Created, f.Category, f.EventType, f.ObjectID, target)
			continue
		}
		line, err := json.Marshal(struct {
			ID        int64          `json:"id"`
			Created   string         `json:"created"`
			Category  bunq.Category  `json:"category"`
			EventType bunq.EventType `json:"event_type"`
			ObjectID  int64          `json:"object_id"`
			Target    string         `json:"notification_target"`
		}{f.ID, f.Created.String(), f.Category, f.EventType, f.ObjectID, f.Target()})
		if err != nil {
			return b.fail(err)
		}
		fmt.Fprintf(stdout, "%s\n", line)
	}
	return exitOK
}

const bunqRetryUsage = `Usage: bankhook bunq retry [flags] (--all | ID...)

Has bunq send failed callbacks again, in requests of at most 100 ids:
those given, or with --all every one listed. Prints how many ids went in
how many requests. bunq delivers them to the URLs they failed on; a
receiver with dedupe handles an event it had handled before only once.
`

func bunqRetry(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("retry", bunqRetryUsage, stdout, stderr)
	all := b.fs.Bool("all", false, "re-send every failed callback bunq lists")
	positional, code, ok := b.parse(args, -1)
	if !ok {
		return code
	}
	switch {
	case *all && len(positional) > 0:
		return b.usage("give --all or IDs, not both")
	case !*all && len(positional) == 0:
		return b.usage("missing --all or the IDs to re-send")
	}
	ids := make([]int64, 0, len(positional))
	for _, arg := range positional {
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return b.usage("%q is not a failure id", arg)
		}
		if slices.Contains(ids, id) {
			return b.usage("id %d given twice", id)
		}
		ids = append(ids, id)
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	if *all {
		failures, err := c.ListFailures(ctx)
		if err != nil {
			return b.fail(err)
		}
		for _, f := range failures {
			ids = append(ids, f.ID)
		}
	}
	n, err := c.RetryFailures(ctx, ids)
	requests := (n + bunq.MaxRetryFailures - 1) / bunq.MaxRetryFailures
	fmt.Fprintf(stdout, "re-sent %d %s in %d %s\n", n, plural(n, "failure"), requests, plural(requests, "request"))
	if err != nil {
		return b.fail(fmt.Errorf("after %d of %d: %w", n, len(ids), err))
	}
	return exitOK
}
