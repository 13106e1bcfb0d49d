package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/bankhook/bankhook"
)

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

// bunqPin is bankhook bunq pin.
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
