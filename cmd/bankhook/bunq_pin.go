package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bankhook/bankhook"
)

const bunqPinUsage = `Usage: bankhook bunq pin add [flags] HOST[:PORT]
       bankhook bunq pin list [flags]
       bankhook bunq pin remove [flags] ID...

Manages the certificate chains pinned at bunq: bunq cancels a callback
whose server does not present a pinned chain. Pin the new chain before you
rotate a certificate, then remove the old pin.

  add HOST[:PORT]    pin the chain HOST serves; prints the new pin's id
  list               print each pin: ID<TAB>leaf subject<TAB>leaf expiry
  remove ID...       delete pins

Run "bankhook bunq pin SUBCOMMAND -h" for its flags.
`

// bunqPinSubcommands are the subcommands of bankhook bunq pin.
var bunqPinSubcommands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) int{
	"add":    bunqPinAdd,
	"list":   bunqPinList,
	"remove": bunqPinRemove,
}

// bunqPin is bankhook bunq pin: it dispatches to add, list or remove.
func bunqPin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, bunqPinUsage)
			return exitOK
		}
		if sub, ok := bunqPinSubcommands[args[0]]; ok {
			return sub(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "bankhook bunq pin: %s\n\n%s", pinArgsProblem(args), bunqPinUsage)
	return exitUsage
}

// pinArgsProblem says what is wrong with args that do not start with a
// subcommand of bankhook bunq pin. The forms before v1 (pin HOST, pin
// --list, pin --remove ID, with flags anywhere) are named with the
// subcommand that replaced them.
func pinArgsProblem(args []string) string {
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if !strings.HasPrefix(arg, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(arg[1:], "-"), "=")
		switch name {
		case "list":
			return `--list: use "bankhook bunq pin list"`
		case "remove":
			return `--remove: use "bankhook bunq pin remove ID..."`
		}
	}
	// The other flags pin took before v1, to find its HOST among args.
	fs := flag.NewFlagSet("bankhook bunq pin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var common bunqFlags
	common.register(fs)
	fs.String("servername", "", "")
	fs.Bool("insecure", false, "")
	fs.Duration("timeout", 0, "")
	positional, err := parseInterspersed(fs, args)
	switch {
	case err != nil:
		return "flags go after the subcommand: bankhook bunq pin add|list|remove [flags]"
	case len(positional) == 0:
		return "missing SUBCOMMAND: add, list or remove"
	}
	if _, ok := bunqPinSubcommands[positional[0]]; ok {
		return fmt.Sprintf("flags go after the subcommand: bankhook bunq pin %s [flags]", positional[0])
	}
	return fmt.Sprintf(`unknown subcommand %q: to pin the chain a host serves, use "bankhook bunq pin add HOST[:PORT]"`, positional[0])
}

const bunqPinAddUsage = `Usage: bankhook bunq pin add [flags] HOST[:PORT]

Fetches the certificate chain HOST serves (port 443 unless given) and pins
it at bunq, printing the new pin's id: bunq then cancels a callback whose
server does not present a pinned chain. The chain must verify against the
system's roots unless --insecure is given (a self-signed certificate).
Pin the new chain before you rotate a certificate, then remove the old pin
with bankhook bunq pin remove.
`

// bunqPinAdd is bankhook bunq pin add.
func bunqPinAdd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("pin add", bunqPinAddUsage, stdout, stderr)
	serverName := b.fs.String("servername", "", "TLS server `name` to send (SNI) and verify; default HOST")
	insecure := b.fs.Bool("insecure", false, "do not verify the served chain against the system's roots (a self-signed certificate)")
	timeout := b.fs.Duration("timeout", 10*time.Second, "time allowed to connect to HOST and complete the TLS handshake")
	positional, code, ok := b.parse(args, 1)
	switch {
	case !ok:
		return code
	case len(positional) == 0:
		return b.usage("missing HOST[:PORT]")
	case *timeout <= 0:
		return b.usage("--timeout %v: want a positive duration", *timeout)
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
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
	return exitOK
}

const bunqPinListUsage = `Usage: bankhook bunq pin list [flags]

Prints each certificate chain pinned at bunq, one a line:
ID<TAB>leaf subject<TAB>leaf expiry (RFC 3339, UTC). A chain that cannot
be read shows "(unreadable chain)" and "-".
`

// bunqPinList is bankhook bunq pin list.
func bunqPinList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("pin list", bunqPinListUsage, stdout, stderr)
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
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
	return exitOK
}

const bunqPinRemoveUsage = `Usage: bankhook bunq pin remove [flags] ID...

Deletes the pinned chains with these ids (bankhook bunq pin list prints
them) in the order given, printing "removed ID" for each. It stops at the
first that fails.
`

// bunqPinRemove is bankhook bunq pin remove.
func bunqPinRemove(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("pin remove", bunqPinRemoveUsage, stdout, stderr)
	positional, code, ok := b.parse(args, -1)
	if !ok {
		return code
	}
	if len(positional) == 0 {
		return b.usage("missing the ID of a pin to remove")
	}
	ids, err := parseIDs(positional, "pin")
	if err != nil {
		return b.usage("%v", err)
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	for i, id := range ids {
		if err := c.DeletePin(ctx, id); err != nil {
			if len(ids) > 1 {
				err = fmt.Errorf("after %d of %d: %w", i, len(ids), err)
			}
			return b.fail(err)
		}
		fmt.Fprintf(stdout, "removed %d\n", id)
	}
	return exitOK
}
