package bunqapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/bankhook/bankhook/bunq"
)

// bunq's API base URLs, for Options.BaseURL.
const (
	Production = "https://api.bunq.com"                // bunq's production API
	Sandbox    = "https://public-api.sandbox.bunq.com" // bunq's sandbox API, with test money
)

// Defaults of [Options].
const (
	DefaultDescription = "bankhook"         // the device-server description
	DefaultUserAgent   = "bankhook-bunqapi" // the User-Agent header
	DefaultLanguage    = "en_US"            // X-Bunq-Language
	DefaultRegion      = "nl_NL"            // X-Bunq-Region
	DefaultGeolocation = "0 0 0 0 000"      // X-Bunq-Geolocation: unknown, as bunq documents it
	DefaultTimeout     = 30 * time.Second   // bounds each request of the default HTTP client
	maxResponseBody    = 16 << 20           // the largest response body read
	maxRateLimitWaits  = 10                 // 429 answers waited out per call: over 40 s of backoff, past bunq's 30 s session-server window
	firstBackoff       = 500 * time.Millisecond
	maxBackoff         = 8 * time.Second
)

// Options configures [Setup] and [Load]. The zero value talks to bunq's
// production API with the defaults below.
type Options struct {
	// BaseURL is where bunq's API is, without the /v1 (a trailing /v1 is
	// dropped): [Production], [Sandbox], or any URL for a proxy or a
	// stand-in such as bunqtest. It must be https unless its host is a
	// loopback address or "localhost", and hold no user info, query or
	// fragment. For Load, an empty BaseURL means the one the context was
	// saved with. Default [Production].
	BaseURL string
	// Description names the device at bunq (POST /v1/device-server), for
	// your own reference. Setup only. Default [DefaultDescription].
	Description string
	// PermittedIPs are the addresses the API key may be used from, IPv4
	// or IPv6; "*" with your current address makes a wildcard key usable
	// from anywhere. Setup only. Default none: bunq binds the key to the
	// address the device-server call comes from.
	PermittedIPs []string
	// HTTPClient sends the requests. The client never follows redirects
	// (they would carry the session token elsewhere), whatever its
	// CheckRedirect says. Default: an http.Client with a
	// [DefaultTimeout] timeout.
	HTTPClient *http.Client
	// UserAgent is the User-Agent header. Default [DefaultUserAgent].
	UserAgent string
	// Language is X-Bunq-Language, the language of bunq's translated
	// error descriptions: "en_US" or "nl_NL". Default [DefaultLanguage].
	Language string
	// Region is X-Bunq-Region, "ll_CC". Default [DefaultRegion].
	Region string
	// Geolocation is X-Bunq-Geolocation, "longitude latitude altitude
	// radius country". Default [DefaultGeolocation], unknown.
	Geolocation string
	// Filter says how SetFilters and SetAccountFilters validate
	// categories. Default: only [bunq.Categories].
	Filter bunq.FilterOptions
	// Logger receives session renewals, rate-limit waits and failures to
	// save a renewed session. It never receives a secret. Default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock a session's expiry is kept on: the client opens a
	// new session 30 s before the session_timeout bunq answered for it
	// runs out, so that no call goes out with an expired token. It must
	// be safe for concurrent use. Default time.Now.
	Now func() time.Time
}

// Client is a session with bunq's API for one user: it subscribes
// callback URLs, pins certificate chains and lists and re-sends failed
// callbacks. Get one with [Setup] (a new API context from an API key) or
// [Load] (a context saved by [Client.Save]).
//
// Every response is checked against bunq's server key before it is used.
// A session is renewed with the installation token 30 s before the
// session_timeout bunq gave it runs out, and once per call when bunq
// answers that it ended (401, or 403 "Insufficient authentication."); the
// renewed session is saved back to the context file the client was loaded
// from or saved to. A 429 is waited
// out (Retry-After, else a short jittered backoff) up to 10 times per call,
// within the call's context. Other errors are returned as they are: an
// [*Error] for bunq's answers, ErrSignature for a response that does not
// verify.
//
// A Client holds secrets (the API key, the private key, the tokens); its
// String and GoString show none of them. The zero value is not usable. A
// Client is safe for concurrent use.
type Client struct {
	base        string // scheme://host[/path], no trailing slash, no /v1
	savedBase   string // the base URL the context file names; base unless Load overrode it
	http        *http.Client
	userAgent   string
	language    string
	region      string
	geolocation string
	filter      bunq.FilterOptions
	logger      *slog.Logger
	now         func() time.Time // Options.Now
	// sleep waits d or until ctx ends; replaced in tests.
	sleep func(ctx context.Context, d time.Duration) error

	// Fixed once the client is set up or loaded.
	apiKey            string
	key               *rsa.PrivateKey
	serverKey         *rsa.PublicKey
	installationToken string
	userID            int64
	userType          string

	// renewMu serialises session renewals and context file writes.
	renewMu sync.Mutex

	mu             sync.Mutex // guards sessionToken, sessionExpires, generation and path
	sessionToken   string
	sessionExpires time.Time // when the session times out, on now; zero when bunq did not say
	generation     uint64    // counts sessions, so that concurrent renewals open one
	path           string    // the context file renewed sessions are saved to; "" for none
}

// newClient validates o and returns a client without credentials.
func newClient(o Options, defaultBase string) (*Client, error) {
	base := o.BaseURL
	if base == "" {
		base = defaultBase
	}
	u, err := parseBaseURL(base)
	if err != nil {
		return nil, fmt.Errorf("bunqapi: Options.BaseURL: %w", err)
	}
	c := &Client{
		base:        u,
		savedBase:   u,
		userAgent:   or(o.UserAgent, DefaultUserAgent),
		language:    or(o.Language, DefaultLanguage),
		region:      or(o.Region, DefaultRegion),
		geolocation: or(o.Geolocation, DefaultGeolocation),
		filter:      o.Filter,
		logger:      o.Logger,
		now:         o.Now,
		sleep:       sleepContext,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if !localeRE(c.language) {
		return nil, fmt.Errorf("bunqapi: Options.Language %q: want ll_CC, as en_US", c.language)
	}
	if !localeRE(c.region) {
		return nil, fmt.Errorf("bunqapi: Options.Region %q: want ll_CC, as nl_NL", c.region)
	}
	if f := strings.Fields(c.geolocation); len(f) != 5 || strings.ContainsAny(c.geolocation, "\r\n") {
		return nil, fmt.Errorf("bunqapi: Options.Geolocation %q: want \"longitude latitude altitude radius country\"", c.geolocation)
	}
	if strings.ContainsAny(c.userAgent, "\r\n") {
		return nil, errors.New("bunqapi: Options.UserAgent holds a line break")
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	hc := &http.Client{Timeout: DefaultTimeout}
	if o.HTTPClient != nil {
		copied := *o.HTTPClient
		hc = &copied
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = hc
	return c, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// localeRE reports whether s is "ll_CC".
func localeRE(s string) bool {
	if len(s) != 5 || s[2] != '_' {
		return false
	}
	for i, ch := range []byte(s) {
		switch {
		case i < 2 && 'a' <= ch && ch <= 'z', i > 2 && 'A' <= ch && ch <= 'Z', i == 2:
		default:
			return false
		}
	}
	return true
}

// ValidateBaseURL reports whether s can be Options.BaseURL: an absolute
// https URL, or http when its host is a loopback address or "localhost",
// without user info, query or fragment. The session token must not cross
// a network in clear text.
func ValidateBaseURL(s string) error {
	_, err := parseBaseURL(s)
	return err
}

// parseBaseURL validates s (see ValidateBaseURL) and returns it without a
// trailing slash or /v1.
func parseBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", s)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", fmt.Errorf("%q: want an https URL", s)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("%q has no host", s)
	case u.User != nil:
		return "", fmt.Errorf("%s://%s…: user info is not allowed", u.Scheme, u.Hostname())
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Errorf("%q: a query or fragment is not allowed", s)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "", fmt.Errorf("%q: http is allowed for a loopback host only, use https", s)
	}
	p := strings.TrimSuffix(strings.TrimRight(u.EscapedPath(), "/"), "/v1")
	return u.Scheme + "://" + u.Host + strings.TrimRight(p, "/"), nil
}

// isLoopback reports whether host is "localhost" or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// Setup creates a new API context for apiKey, as bunq's SDKs do: it makes
// a fresh RSA 2048 key pair, registers its public key (POST
// /v1/installation, which returns the installation token and bunq's
// server key), registers the device with the API key (POST
// /v1/device-server with o.Description and o.PermittedIPs) and opens a
// session (POST /v1/session-server, which returns the session token and
// the user: a UserPerson, UserCompany, UserApiKey or
// UserPaymentServiceProvider). Save the context with [Client.Save] to use
// it again with [Load].
//
// Take the API key from the environment or a secret store, never from a
// command line. ctx bounds all three calls.
func Setup(ctx context.Context, apiKey string, o Options) (*Client, error) {
	if apiKey == "" {
		return nil, errors.New("bunqapi: Setup: the API key is empty")
	}
	if strings.ContainsAny(apiKey, "\r\n\"\\") {
		return nil, errors.New("bunqapi: Setup: the API key holds characters no bunq key has")
	}
	for i, ip := range o.PermittedIPs {
		if ip == "*" {
			continue
		}
		if _, err := netip.ParseAddr(ip); err != nil {
			return nil, fmt.Errorf("bunqapi: Options.PermittedIPs[%d] %q: want an IP address or \"*\"", i, ip)
		}
	}
	c, err := newClient(o, Production)
	if err != nil {
		return nil, err
	}
	c.apiKey = apiKey
	if c.key, err = rsa.GenerateKey(rand.Reader, keyBits); err != nil {
		return nil, fmt.Errorf("bunqapi: Setup: generating the key: %w", err)
	}
	if err := c.install(ctx); err != nil {
		return nil, err
	}
	if err := c.registerDevice(ctx, or(o.Description, DefaultDescription), o.PermittedIPs); err != nil {
		return nil, err
	}
	opened := c.now()
	sess, err := c.openSession(ctx)
	if err != nil {
		return nil, err
	}
	c.sessionToken, c.userID, c.userType = sess.token, sess.userID, sess.userType
	c.sessionExpires = sess.expiry(opened)
	c.generation = 1
	return c, nil
}

// install is POST /v1/installation. The answer carries the server key it
// is signed with: the client checks that it is, then trusts the key for
// every later answer.
func (c *Client) install(ctx context.Context) error {
	pub, err := publicKeyPEM(&c.key.PublicKey)
	if err != nil {
		return err
	}
	body, err := json.Marshal(struct {
		ClientPublicKey string `json:"client_public_key"`
	}{pub})
	if err != nil {
		return fmt.Errorf("bunqapi: installation: %w", err)
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/installation", body: body, auth: authNone})
	if err != nil {
		return err
	}
	items, err := responseItems(resp.body)
	if err != nil {
		return fmt.Errorf("%w to POST /v1/installation: %v", ErrResponse, err)
	}
	var tok struct {
		Token string `json:"token"`
	}
	var key struct {
		ServerPublicKey string `json:"server_public_key"`
	}
	if err := items.decode("Token", &tok); err != nil || tok.Token == "" {
		return fmt.Errorf("%w to POST /v1/installation: no Token", ErrResponse)
	}
	if err := items.decode("ServerPublicKey", &key); err != nil || key.ServerPublicKey == "" {
		return fmt.Errorf("%w to POST /v1/installation: no ServerPublicKey", ErrResponse)
	}
	serverKey, err := parseServerKey(key.ServerPublicKey)
	if err != nil {
		return fmt.Errorf("%w to POST /v1/installation: server_public_key: %v", ErrResponse, err)
	}
	if serverKey.N.BitLen() < keyBits {
		return fmt.Errorf("%w to POST /v1/installation: the server key has %d bits, want %d", ErrResponse, serverKey.N.BitLen(), keyBits)
	}
	if err := verifyResponse(serverKey, resp.status, resp.header, resp.body); err != nil {
		return fmt.Errorf("bunqapi: POST /v1/installation: %w", err)
	}
	c.serverKey, c.installationToken = serverKey, tok.Token
	return nil
}

// registerDevice is POST /v1/device-server.
func (c *Client) registerDevice(ctx context.Context, description string, permittedIPs []string) error {
	body, err := json.Marshal(struct {
		Description  string   `json:"description"`
		Secret       string   `json:"secret"`
		PermittedIPs []string `json:"permitted_ips,omitempty"`
	}{description, c.apiKey, permittedIPs})
	if err != nil {
		return fmt.Errorf("bunqapi: device-server: %w", err)
	}
	_, err = c.do(ctx, request{method: http.MethodPost, path: "/v1/device-server", body: body, auth: authInstallation})
	return err
}

// UserID returns the id of the user the client acts for: the {userID} of
// bunq's /v1/user/{userID}/… paths.
func (c *Client) UserID() int64 { return c.userID }

// UserType returns the kind of the user, as the session reported it:
// "UserPerson", "UserCompany", "UserApiKey" or
// "UserPaymentServiceProvider".
func (c *Client) UserType() string { return c.userType }

// BaseURL returns the base URL the client calls, without /v1.
func (c *Client) BaseURL() string { return c.base }

// String describes the client without its secrets:
// "bunqapi.Client{user 42 (UserPerson) at https://api.bunq.com}".
func (c *Client) String() string {
	return fmt.Sprintf("bunqapi.Client{user %d (%s) at %s}", c.userID, c.userType, c.base)
}

// GoString is String, so that %#v shows no secret either.
func (c *Client) GoString() string { return c.String() }

// items are the members of a response's "Response" array, each an object
// with one member keyed by the type of what it holds.
type items []map[string]jsontext.Value

// responseItems decodes {"Response":[{"Type":{…}},…]}.
func responseItems(body []byte) (items, error) {
	var env struct {
		Response *items `json:"Response"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	if env.Response == nil {
		return nil, errors.New(`no "Response" array`)
	}
	return *env.Response, nil
}

// decode decodes the first member named name into v, or reports that
// there is none.
func (it items) decode(name string, v any) error {
	for _, m := range it {
		if raw, ok := m[name]; ok {
			return json.Unmarshal(raw, v)
		}
	}
	return fmt.Errorf("no %q", name)
}
