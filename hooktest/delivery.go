package hooktest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Sender addresses for [Delivery.RemoteAddr], so that an allowlist sees
// the bank. They are addresses the banks document sending from.
const (
	// BunqAddr is in bunq's production range 185.40.108.0/22.
	BunqAddr = "185.40.108.10:443"
	// BankHubAddr is one of bankHub's two production addresses.
	BankHubAddr = "34.87.150.47:443"
	// BankHubSandboxAddr is bankHub's sandbox address.
	BankHubSandboxAddr = "20.2.69.168:443"
	// DefaultRemoteAddr is the sender address of a Delivery that sets
	// none: the documentation address net/http/httptest uses, on no bank's
	// allowlist.
	DefaultRemoteAddr = "192.0.2.1:1234"
)

// Delivery is one webhook event as a bank sends it: a POST of a JSON body
// to the receiver's URL, from the bank's address. Its requests are built
// afresh for every attempt, each with its own readable body.
//
// The zero value is a POST of an empty body to "/" without headers, from
// [DefaultRemoteAddr]; [NewDelivery] fills in the usual fields. A Delivery
// is not modified by building requests from it, so one Delivery may be
// sent from several goroutines at once as long as nobody changes it.
type Delivery struct {
	// Label names the event in a [Report]. Default: the event's index in
	// the replayed set.
	Label string
	// Method is the request method. Default POST.
	Method string
	// Target is the request target: a path with an optional query
	// ("/bunq/callback?token=s3cret") or an absolute URL, whose host then
	// becomes the request's Host. Default "/".
	Target string
	// Query is added to the target's query string, for a URL token:
	// Query: url.Values{"token": {"s3cret"}}. Default none.
	Query url.Values
	// Header is sent as is. NewDelivery sets Content-Type:
	// application/json; a nil Header sends no header at all.
	Header http.Header
	// RemoteAddr is the sender's "address:port" as the receiver sees it
	// in-process (over the network the receiver sees the real peer).
	// Default [DefaultRemoteAddr].
	RemoteAddr string
	// Body is the request body. The requests share it: do not modify it
	// while they are in use.
	Body []byte
}

// NewDelivery returns a POST of body to target with Content-Type
// application/json, from [DefaultRemoteAddr]; set RemoteAddr to a bank's
// address (e.g. [BunqAddr]) when the receiver checks it.
func NewDelivery(target string, body []byte) *Delivery {
	return &Delivery{
		Method: http.MethodPost,
		Target: target,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   body,
	}
}

// DeliveryFromFile is [NewDelivery] with the body read from the file at
// path, labelled with the file's name.
func DeliveryFromFile(target, path string) (*Delivery, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hooktest: delivery body: %w", err)
	}
	d := NewDelivery(target, body)
	d.Label = filepath.Base(path)
	return d, nil
}

// Request returns a new incoming server request for the delivery, ready
// for an http.Handler's ServeHTTP, like httptest.NewRequest: RemoteAddr,
// Host and RequestURI are set, the body reads d.Body from its start, and
// an "https" target sets TLS. Like httptest.NewRequest it panics when the
// method or target is malformed; use [Delivery.NewRequest] to get an
// error instead.
func (d *Delivery) Request() *http.Request {
	r, err := d.NewRequest(context.Background())
	if err != nil {
		panic(err)
	}
	return r
}

// NewRequest is [Delivery.Request] with a context, returning an error for
// a malformed method or target.
func (d *Delivery) NewRequest(ctx context.Context) (*http.Request, error) {
	method, u, err := d.parse()
	if err != nil {
		return nil, err
	}
	host := u.Host
	if host == "" {
		host = "example.com"
	}
	uri := u.RequestURI()
	if u.IsAbs() {
		uri = u.String()
	}
	r := &http.Request{
		Method:        method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        cloneHeader(d.Header),
		Body:          d.body(),
		GetBody:       func() (io.ReadCloser, error) { return d.body(), nil },
		ContentLength: int64(len(d.Body)),
		Host:          host,
		RemoteAddr:    cmp.Or(d.RemoteAddr, DefaultRemoteAddr),
		RequestURI:    uri,
	}
	if u.Scheme == "https" {
		r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true, ServerName: hostOnly(host)}
	}
	return r.WithContext(ctx), nil
}

// clientRequest returns an outgoing request for the delivery to base
// joined with the target's path and query.
func (d *Delivery) clientRequest(ctx context.Context, base *url.URL) (*http.Request, error) {
	method, t, err := d.parse()
	if err != nil {
		return nil, err
	}
	u := *base
	u.Path = strings.TrimSuffix(base.Path, "/") + t.Path
	u.RawPath = ""
	u.RawQuery = t.RawQuery
	r, err := http.NewRequestWithContext(ctx, method, u.String(), d.body())
	if err != nil {
		return nil, fmt.Errorf("hooktest: delivery %s: %w", d.name(), err)
	}
	r.Header = cloneHeader(d.Header)
	r.ContentLength = int64(len(d.Body))
	r.GetBody = func() (io.ReadCloser, error) { return d.body(), nil }
	return r, nil
}

// parse checks the method and target and returns the target with Query
// added.
func (d *Delivery) parse() (string, *url.URL, error) {
	method := cmp.Or(d.Method, http.MethodPost)
	if !isToken(method) {
		return "", nil, fmt.Errorf("hooktest: delivery %s: invalid method %q", d.name(), method)
	}
	target := cmp.Or(d.Target, "/")
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return "", nil, fmt.Errorf("hooktest: delivery %s: target: %w", d.name(), err)
	}
	if u.IsAbs() && u.Host == "" {
		return "", nil, fmt.Errorf("hooktest: delivery %s: target %q has no host", d.name(), target)
	}
	if len(d.Query) > 0 {
		q := u.Query()
		for k, vs := range d.Query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	return method, u, nil
}

func (d *Delivery) body() io.ReadCloser {
	if len(d.Body) == 0 {
		return http.NoBody
	}
	return io.NopCloser(bytes.NewReader(d.Body))
}

func (d *Delivery) name() string {
	if d.Label != "" {
		return fmt.Sprintf("%q", d.Label)
	}
	return fmt.Sprintf("to %q", d.Target)
}

func cloneHeader(h http.Header) http.Header {
	if h == nil {
		return http.Header{}
	}
	return h.Clone()
}

func hostOnly(hostport string) string {
	if u, err := url.Parse("//" + hostport); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return hostport
}

// isToken reports whether s is an RFC 9110 token, as a method must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

var errNilDelivery = errors.New("hooktest: nil delivery")
