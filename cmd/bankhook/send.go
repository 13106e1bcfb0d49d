package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/redact"
	"github.com/bankhook/bankhook/hooktest/samples"
)

const sendUsage = `Usage: bankhook send [flags] bunq|bankhub SAMPLE|FILE

Plays the bank: POSTs an event to a receiver and, while the receiver does
not answer 2xx, delivers it again on the bank's retry schedule, printing
each attempt and the outcome. Exits 0 when the event was acknowledged, 1
when every attempt failed.

SAMPLE is one of the built-in events (case does not matter; "list" prints
them): one per bunq category (MUTATION, PAYMENT, CARD_TRANSACTION_FAILED, …)
and one per bankHub type and code (GRANT_ERROR, TRANSACTIONS_DEFAULT_UPDATE,
…). Anything else is the path of a file holding the body (./NAME for a file
named like a sample), or - for standard input.

The schedule is the bank's own (bunq: 6 attempts a minute apart; bankHub:
17 attempts within 24 h, Fibonacci-spaced, 30 s timeout) unless --policy says
otherwise; --speedup divides its delays, so --speedup 60000 replays a day
in under two seconds. A policy's timeout bounds each attempt; bunq's
documents none, so its attempts wait up to 1m0s.

Example:

  bankhook send bunq MUTATION --to http://127.0.0.1:8080/bunq
`

// sendDefaultTimeout bounds an attempt when the policy documents no
// timeout (bunq): bunq retries a minute later anyway.
const sendDefaultTimeout = time.Minute

// maxProblemBytes bounds how much of an answer is read for its reason.
const maxProblemBytes = 64 << 10

// providers are the banks send can play, with their samples and
// schedules.
var providers = map[string]struct {
	sample func(string) ([]byte, bool)
	names  func() []string
	policy bankhook.RetryPolicy
}{
	"bunq":    {samples.Bunq, samples.BunqNames, bunq.RetrySchedule()},
	"bankhub": {samples.Bankhub, samples.BankhubNames, bankhub.RetrySchedule()},
}

// policies are the --policy values.
var policies = map[string]bankhook.RetryPolicy{
	"bunq":    bunq.RetrySchedule(),
	"bankhub": bankhub.RetrySchedule(),
	"once":    {Name: "once"},
}

func send(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("send", sendUsage)
	var (
		to         = fs.String("to", "", "`URL` of the receiver; default http://127.0.0.1:8080/bunq or /bankhub, where serve listens by default")
		policyName = fs.String("policy", "", "retry `schedule`: bunq, bankhub or once; default the provider's")
		speedup    = fs.Float64("speedup", 1, "divide the schedule's delays by `N`")
		token      = fs.String("token", "", "append ?token=`secret` to the URL")
		headers    = headerFlag{}
	)
	fs.Var(&headers, "header", "add the request header `Name:value` (repeatable)")
	positional, code, ok := parseFlags(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) == 0 {
		return usageError(fs, stderr, "missing the provider: bunq or bankhub")
	}
	providerName := strings.ToLower(positional[0])
	provider, ok := providers[providerName]
	switch {
	case !ok:
		return usageError(fs, stderr, "unknown provider %q: want bunq or bankhub", positional[0])
	case len(positional) == 1:
		return usageError(fs, stderr, "missing the event: a sample (%s) or a file", strings.Join(provider.names(), ", "))
	case len(positional) > 2:
		return usageError(fs, stderr, "unexpected argument %q", positional[2])
	case strings.EqualFold(positional[1], "list"):
		for _, n := range provider.names() {
			fmt.Fprintln(stdout, n)
		}
		return exitOK
	case *speedup <= 0 || math.IsInf(*speedup, 0) || math.IsNaN(*speedup):
		return usageError(fs, stderr, "--speedup %v: want a positive number", *speedup)
	}

	policy := provider.policy
	if *policyName != "" {
		if policy, ok = policies[strings.ToLower(*policyName)]; !ok {
			return usageError(fs, stderr, "--policy %q: want bunq, bankhub or once", *policyName)
		}
	}
	u, err := sendURL(*to, providerName, *token)
	if err != nil {
		return usageError(fs, stderr, "%v", err)
	}

	name := positional[1]
	body, found := provider.sample(name)
	if found {
		name = strings.ToUpper(name)
	} else {
		if body, err = readEvent(name, stdin); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(stderr, "bankhook send: %q is neither a %s sample nor a file; the samples are:\n", name, providerName)
				for _, n := range provider.names() {
					fmt.Fprintln(stderr, "  "+n)
				}
				return exitUsage
			}
			fmt.Fprintf(stderr, "bankhook send: %v\n", err)
			return exitFailure
		}
	}

	d := delivery{
		url:     u.String(),
		body:    body,
		header:  http.Header(headers),
		policy:  policy,
		speedup: *speedup,
		out:     stdout,
	}
	fmt.Fprintf(stdout, "sending %s %s (%d bytes) to %s, %s\n", providerName, name, len(body), redact.URL(d.url), describePolicy(policy, *speedup))
	if !d.run(ctx) {
		return exitFailure
	}
	return exitOK
}

// sendURL returns the URL send delivers to: --to, by default where serve
// listens for the provider by default, with the token appended.
func sendURL(to, providerName, token string) (*url.URL, error) {
	target := to
	if target == "" {
		target = "http://127.0.0.1:8080/" + providerName
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--to %q: want an http:// or https:// URL", target)
	}
	if token != "" {
		q := u.Query()
		q.Set(bankhook.DefaultTokenParam, token)
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// readEvent reads the body of a file, or of standard input for "-".
func readEvent(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("bankhook: read standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bankhook: %w", err)
	}
	return b, nil
}

// describePolicy says what a policy will do, for the first line of output.
func describePolicy(p bankhook.RetryPolicy, speedup float64) string {
	s := fmt.Sprintf("%s retry policy: up to %d attempts", p.Name, p.Attempts())
	if len(p.Delays) > 0 {
		s += " over " + p.Span().String()
		if speedup != 1 {
			s += fmt.Sprintf(" (%v at --speedup %v)", scale(p.Span(), speedup), speedup)
		}
	}
	return s
}

// scale divides d by speedup.
func scale(d time.Duration, speedup float64) time.Duration {
	return time.Duration(float64(d) / speedup)
}

// delivery is one event delivered on a retry schedule.
type delivery struct {
	url     string
	body    []byte
	header  http.Header
	policy  bankhook.RetryPolicy
	speedup float64
	out     io.Writer
}

// attemptResult is what one attempt got back.
type attemptResult struct {
	status   string // "503 Service Unavailable"; "" when there was no answer
	code     int
	reason   string // the problem's "reason", if any
	field    string // the problem's "field", if any
	replayed bool   // Idempotent-Replayed: true
	err      error  // no answer: the transport's error
}

func (r attemptResult) String() string {
	if r.err != nil {
		return "no answer: " + r.err.Error()
	}
	s := r.status
	var notes []string
	if r.reason != "" {
		notes = append(notes, "reason "+r.reason)
	}
	if r.field != "" {
		notes = append(notes, "field "+r.field)
	}
	if r.replayed {
		notes = append(notes, "replayed")
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

// run makes the attempts, printing each, and reports whether the event was
// acknowledged. It stops early when ctx ends.
func (d *delivery) run(ctx context.Context) bool {
	timeout := d.policy.Timeout
	if timeout <= 0 {
		timeout = sendDefaultTimeout
	}
	client := &http.Client{
		Timeout: timeout,
		// The banks do not follow redirects: a redirect is a failed attempt.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	var offset time.Duration // on the bank's clock
	attempts := d.policy.Attempts()
	for i := range attempts {
		if i > 0 {
			delay := d.policy.Delays[i-1]
			offset += delay
			t := time.NewTimer(scale(delay, d.speedup))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				fmt.Fprintf(d.out, "interrupted after %d %s\n", i, plural(i, "attempt"))
				return false
			}
		}
		res := d.attempt(ctx, client)
		when := "+" + offset.String()
		if d.speedup != 1 {
			when += fmt.Sprintf(" (+%v real)", time.Since(start).Round(time.Millisecond))
		}
		fmt.Fprintf(d.out, "attempt %d/%d at %s: %s\n", i+1, attempts, when, res)
		if res.err == nil && bankhook.Acknowledged(res.code) {
			fmt.Fprintf(d.out, "acknowledged after %d %s\n", i+1, plural(i+1, "attempt"))
			return true
		}
	}
	fmt.Fprintf(d.out, "gave up after %d %s\n", attempts, plural(attempts, "attempt"))
	return false
}

// attempt POSTs the body once.
func (d *delivery) attempt(ctx context.Context, client *http.Client) attemptResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return attemptResult{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent())
	for k, vs := range d.header {
		if strings.EqualFold(k, "Host") {
			req.Host = vs[len(vs)-1]
			continue
		}
		req.Header[k] = slices.Clone(vs)
	}
	resp, err := client.Do(req)
	if err != nil {
		return attemptResult{err: redact.Error(err)}
	}
	defer resp.Body.Close()
	res := attemptResult{
		status:   resp.Status,
		code:     resp.StatusCode,
		replayed: resp.Header.Get(bankhook.HeaderIdempotentReplayed) == "true",
	}
	res.reason, res.field = problemReason(resp)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxProblemBytes))
	return res
}

// problemReason returns the "reason" and "field" members of an RFC 9457
// problem answer (bankhook's rejections carry both), or "" for anything
// else.
func problemReason(resp *http.Response) (reason, field string) {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || (mt != bankhook.ProblemContentType && mt != "application/json") {
		return "", ""
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxProblemBytes))
	if err != nil {
		return "", ""
	}
	var p struct {
		Reason string `json:"reason"`
		Field  string `json:"field"`
	}
	if json.Unmarshal(b, &p) != nil {
		return "", ""
	}
	return p.Reason, p.Field
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// headerFlag collects repeated --header Name:value flags.
type headerFlag http.Header

func (h headerFlag) String() string {
	var parts []string
	for k, vs := range h {
		for _, v := range vs {
			parts = append(parts, k+": "+v)
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func (h headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	switch {
	case !ok:
		return errors.New("want Name:value")
	case !validHeaderName(k):
		return fmt.Errorf("%q is not a header name", k)
	case strings.ContainsAny(v, "\r\n\x00"):
		return fmt.Errorf("the value of %s holds a line break or NUL", k)
	}
	http.Header(h).Add(k, v)
	return nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
