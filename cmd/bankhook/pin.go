package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
)

const pinUsage = `Usage: bankhook pin [flags] HOST[:PORT]

Connects to HOST (port 443 unless given) over TLS and prints the certificate
chain it presents as PEM, leaf first: what to pin at the bank. It replaces

  openssl s_client -servername HOST -connect HOST:443 < /dev/null | sed -n "/-----BEGIN/,/-----END/p"

With --bunq-json it prints the body of bunq's certificate-pinned request
(POST /v1/user/{userID}/certificate-pinned) instead.

With --check FILE it compares the chain HOST presents with the pinned chain
in FILE: it prints a summary (match, the pinned leaf's not-after, days left)
and exits 0 when the chains match and no pinned certificate expires within
14 days, 1 otherwise, with the reason on stderr. Run it from cron to notice
a certificate rotation before the bank cancels its callbacks.
`

// pinExpiryWindow is how early --check warns of a pinned certificate's
// expiry.
const pinExpiryWindow = 14 * 24 * time.Hour

func pin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("pin", pinUsage)
	var (
		serverName = fs.String("servername", "", "TLS server `name` to send (SNI) and verify; default HOST")
		insecure   = fs.Bool("insecure", false, "do not verify the chain against the system's roots (a self-signed certificate)")
		bunqJSON   = fs.Bool("bunq-json", false, "print bunq's certificate-pinned request body instead of PEM")
		check      = fs.String("check", "", "compare the served chain with the pinned PEM `file`")
		timeout    = fs.Duration("timeout", 10*time.Second, "time allowed to connect and complete the TLS handshake")
	)
	positional, code, ok := parseFlags(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	switch {
	case len(positional) == 0:
		return usageError(fs, stderr, "missing HOST[:PORT]")
	case len(positional) > 1:
		return usageError(fs, stderr, "unexpected argument %q", positional[1])
	case *timeout <= 0:
		return usageError(fs, stderr, "--timeout %v: want a positive duration", *timeout)
	case *check != "" && *bunqJSON:
		return usageError(fs, stderr, "--check and --bunq-json do not go together")
	}
	addr := positional[0]
	cfg := &tls.Config{ServerName: *serverName, InsecureSkipVerify: *insecure} // unverified only when asked
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	if *check != "" {
		return checkPin(ctx, addr, *check, cfg, stdout, stderr)
	}
	chain, err := bankhook.FetchChain(ctx, addr, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "bankhook pin: %v\n", err)
		return exitFailure
	}
	pemChain := bankhook.EncodePEM(chain)
	if *bunqJSON {
		body, err := bunq.CertificatePinnedBody(pemChain)
		if err != nil {
			fmt.Fprintf(stderr, "bankhook pin: %v\n", err)
			return exitFailure
		}
		pemChain = append(body, '\n')
	}
	if _, err := stdout.Write(pemChain); err != nil {
		fmt.Fprintf(stderr, "bankhook pin: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// checkPin is pin --check: exit 0 for a matching chain that is not about to
// expire, 1 otherwise.
func checkPin(ctx context.Context, addr, file string, cfg *tls.Config, stdout, stderr io.Writer) int {
	pinned, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "bankhook pin: %v\n", err)
		return exitFailure
	}
	report, err := bankhook.CheckPin(ctx, addr, pinned, bankhook.CheckPinOptions{TLS: cfg})
	if err != nil {
		fmt.Fprintf(stderr, "bankhook pin: %v\n", err)
		return exitFailure
	}
	now := time.Now()
	leaf := report.PinnedLeaf()
	fmt.Fprintf(stdout, "addr: %s\nmatch: %t\nverified: %t\nleaf: %s\nnot_after: %s\ndays_left: %d\n",
		report.Addr, report.Match, report.Verified, leaf.Subject,
		leaf.NotAfter.UTC().Format(time.RFC3339), report.DaysLeftAt(now))
	if err := report.ProblemAt(now, pinExpiryWindow); err != nil {
		fmt.Fprintf(stderr, "bankhook pin: %v\n", err)
		return exitFailure
	}
	return exitOK
}
