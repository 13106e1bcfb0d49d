package bunqtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/bankhook/bankhook/bunq"
)

// DefaultStart returns where the stand-in's clock starts unless
// Options.Start says otherwise: 2025-01-01 00:00:00 UTC.
func DefaultStart() time.Time {
	return time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
}

// Defaults of [Options].
const (
	// DefaultRateWindow is bunq's rate-limit window: 3 GET, 5 POST and 2
	// PUT requests per client address and endpoint within any 3 seconds.
	DefaultRateWindow = 3 * time.Second
	// DefaultSessionTimeout is how long an unused session lives: one
	// week, bunq's default auto-logout time.
	DefaultSessionTimeout = 7 * 24 * time.Hour
	// DefaultDeliveryTimeout bounds one callback attempt, in real time.
	DefaultDeliveryTimeout = 10 * time.Second
)

// Options configures [NewServer]. The zero value is bunq's documented
// behaviour with a clock starting at [DefaultStart].
type Options struct {
	// Start is the time the stand-in's clock starts at, truncated to the
	// microsecond as bunq's times are. Default [DefaultStart]().
	Start time.Time
	// RateWindow is the window of bunq's rate limits, counted per client
	// address and endpoint (method and path): 3 GET, 5 POST, 2 PUT and 3
	// DELETE requests within any window, and 1 POST /v1/session-server
	// within 10 windows (30 s at bunq's 3 s). Past a limit the answer is
	// 429. The limits run on the wall clock, since an API client waits
	// them out in real time; a test that wants 429s without waiting
	// seconds sets a short window. Default [DefaultRateWindow]; a negative
	// window turns rate limiting off.
	RateWindow time.Duration
	// SessionTimeout is how long a session lives after its last request,
	// on the stand-in's clock (bunq extends a session that is used). It
	// is answered, in seconds, as the user's session_timeout by POST
	// /v1/session-server and GET /v1/user, as bunq answers the user's
	// auto-logout time. Default [DefaultSessionTimeout], bunq's week.
	SessionTimeout time.Duration
	// ExtraCategories are callback categories the stand-in accepts in
	// notification filters besides bunq.Categories(): those bunq added
	// after bankhook was written, or offers to some users only, so that a
	// test can hold filters bankhook does not know. Default none.
	ExtraCategories []bunq.Category
	// PageLimit is the most entries a page of a listing holds: count
	// (bunq's default 10, at most 200; above 200 is refused) is cut to
	// it. A test sets a small limit to have a client follow
	// Pagination.older_url across pages without making hundreds of
	// entries. Default 200, bunq's maximum count.
	PageLimit int
	// DeliveryTLS is the TLS configuration the stand-in calls callback
	// URLs with (they are always https). Put the certificate of a test
	// server in RootCAs, or the stand-in refuses it as bunq would. It is
	// cloned, never modified. Default: the system's roots.
	DeliveryTLS *tls.Config
	// DeliveryTimeout bounds one callback attempt, in real time; an
	// attempt that takes longer has failed. Default
	// [DefaultDeliveryTimeout].
	DeliveryTimeout time.Duration
	// DeliveryConcurrency is how many callbacks that are due at the same
	// time are sent at once. Default 8.
	DeliveryConcurrency int
	// Addr is the loopback address to listen on, "127.0.0.1:8444" or
	// "[::1]:0". Default "127.0.0.1:0", a free port.
	Addr string
	// Logger receives a line per API request answered and per callback
	// attempt (with the callback URL's host, never its query). Default
	// none.
	Logger *slog.Logger
}

// SignatureMode is how the stand-in signs its responses; see
// [Server.SetSignatureMode].
type SignatureMode int

// The signature modes. bunq signs response bodies since April 2020 and
// signed the status, the X-Bunq- headers and the body before; the other
// modes are the faults a client must refuse.
const (
	// SignBody signs the response body: X-Bunq-Server-Signature is the
	// base64 RSA PKCS #1 v1.5 SHA-256 signature of the body. The default.
	SignBody SignatureMode = iota
	// SignHeadersAndBody signs as bunq did before April 2020: the status
	// code, a newline, each X-Bunq- header but the signature as
	// "Name: value" and a newline, sorted, a newline, then the body.
	SignHeadersAndBody
	// SignNone sends no X-Bunq-Server-Signature.
	SignNone
	// SignTampered signs the real body, then replaces a 2xx answer's body
	// by {"Response":[]}, as a man in the middle hiding the content
	// (an empty failure list, say) would.
	SignTampered
)

// String names the mode as its constant does, "SignBody".
func (m SignatureMode) String() string {
	switch m {
	case SignBody:
		return "SignBody"
	case SignHeadersAndBody:
		return "SignHeadersAndBody"
	case SignNone:
		return "SignNone"
	case SignTampered:
		return "SignTampered"
	}
	return fmt.Sprintf("SignatureMode(%d)", int(m))
}

// Server is a stand-in for bunq's API on a loopback address, for tests:
// a client goes through bunq's handshake (installation, device-server,
// session-server) with real RSA signatures both ways, and then manages URL
// notification filters, pinned certificate chains and failed callbacks.
// Events created on the stand-in (see [Server.Pay] and [Server.Notify])
// are delivered to the filters' URLs on bunq's retry schedule as its
// clock advances ([Server.Advance]).
//
// Create one with [NewServer] and stop it with [Server.Close]. The zero
// value is not usable. A Server is safe for concurrent use: API requests,
// clock advances and the fault knobs may come from any goroutine.
type Server struct {
	ts       *httptest.Server
	key      *rsa.PrivateKey
	opts     Options
	limiter  *rateLimiter
	delivery *http.Client

	// advanceMu serialises Advance, so that deliveries run in clock order.
	advanceMu sync.Mutex

	mu            sync.Mutex // guards every field below
	now           time.Time
	sigMode       SignatureMode
	endedStatus   int // the status answered to an ended session's token: 403 or 401
	ids           idCounters
	apiKeys       map[string]*user
	users         map[int64]*user
	accounts      map[int64]*account
	installations map[string]*installation // by installation token
	sessions      map[string]*session      // by session token
	pending       []*delivery              // callbacks waiting for their next attempt, any order
	requests      []Request
	closed        bool
}

// idCounters hand out the ids of each kind of object, as bunq numbers each
// type on its own.
type idCounters struct {
	installation, device, session, token, user, account, filter, pin, failure, payment int64
}

// NewServer starts a stand-in on a loopback port (Options.Addr). It
// panics when it cannot listen or make its key, as httptest.NewServer
// does. Call Close when done.
func NewServer(o Options) *Server {
	s, err := newServer(o)
	if err != nil {
		panic(err)
	}
	return s
}

func newServer(o Options) (*Server, error) {
	if o.Start.IsZero() {
		o.Start = DefaultStart()
	}
	if o.RateWindow == 0 {
		o.RateWindow = DefaultRateWindow
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = DefaultSessionTimeout
	}
	if o.DeliveryTimeout <= 0 {
		o.DeliveryTimeout = DefaultDeliveryTimeout
	}
	if o.DeliveryConcurrency <= 0 {
		o.DeliveryConcurrency = 8
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	o.ExtraCategories = slices.Clone(o.ExtraCategories)
	if o.PageLimit <= 0 || o.PageLimit > maxCount {
		o.PageLimit = maxCount
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if ip, perr := netip.ParseAddr(host); err != nil || perr != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("bunqtest: Options.Addr %q: want a loopback IP address and a port", o.Addr)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("bunqtest: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("bunqtest: server key: %w", err)
	}
	s := &Server{
		key:           key,
		opts:          o,
		limiter:       newRateLimiter(o.RateWindow),
		now:           o.Start.UTC().Truncate(time.Microsecond), // bunq's times have microseconds
		apiKeys:       map[string]*user{},
		users:         map[int64]*user{},
		accounts:      map[int64]*account{},
		installations: map[string]*installation{},
		sessions:      map[string]*session{},
		endedStatus:   http.StatusForbidden,
	}
	s.delivery = s.newDeliveryClient()
	s.ts = httptest.NewUnstartedServer(s.routes())
	_ = s.ts.Listener.Close()
	s.ts.Listener = ln
	s.ts.Start()
	return s, nil
}

// URL is the base URL of the stand-in, "http://127.0.0.1:PORT": what
// bunqapi.Options.BaseURL or `bankhook bunq --api-url` take. API paths
// start with /v1/ below it, as at bunq.
func (s *Server) URL() string { return s.ts.URL }

// Close stops the stand-in: it closes the listener and waits for the API
// requests in flight. Callbacks not yet delivered are dropped.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.ts.Close()
	s.delivery.CloseIdleConnections()
}

// PublicKey is the key the stand-in signs its responses with; a client
// learns it from POST /v1/installation.
func (s *Server) PublicKey() *rsa.PublicKey { return &s.key.PublicKey }

// Now returns the stand-in's clock. It stands still until [Server.Advance]
// moves it. Give it to whatever else in a test should share the time
// (bankhook.LRUStoreOptions.Now, for one).
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// SetSignatureMode sets how responses are signed from now on. Default
// [SignBody].
func (s *Server) SetSignatureMode(m SignatureMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sigMode = m
}

// ExpireSessions ends every open session, as bunq does after a user's
// auto-logout time: the next request with a session token is answered
// 403 "Insufficient authentication." (or the status
// [Server.SetEndedSessionStatus] chose) until the client opens a new
// session with its installation token. bunq allows one session-server
// call per 30 s: a test that renews a session soon after logging in sets
// a short Options.RateWindow, or -1.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// SetEndedSessionStatus sets how a request whose session token is not
// (or no longer) an open session is answered from now on: 403
// "Insufficient authentication.", as bunq answers an ended session (the
// default), or 401 "Insufficient authorisation.", as bunq's older
// documents describe it. Any other status is an error and changes
// nothing.
func (s *Server) SetEndedSessionStatus(status int) error {
	if status != http.StatusForbidden && status != http.StatusUnauthorized {
		return fmt.Errorf("bunqtest: SetEndedSessionStatus: status %d: want 403 or 401", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endedStatus = status
	return nil
}

// Request is one API request the stand-in answered, for assertions. A
// plain value.
type Request struct {
	Method string // "GET", "POST", …
	Path   string // "/v1/user/1001/notification-filter-failure"
	Query  string // raw query, "count=200&older_id=17"; "" when none
	Status int    // the status answered
}

// Requests returns the API requests answered so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// User is a bunq user created on the stand-in with [Server.AddUser]. A
// plain value; the zero value is no user.
type User struct {
	ID        int64  // the user's id, in API paths as /v1/user/{ID}
	Kind      string // "UserPerson", "UserCompany", "UserApiKey" or "UserPaymentServiceProvider"
	APIKey    string // the API key a client sets up with; a secret in real life
	AccountID int64  // id of the user's first monetary account
}

// UserOptions configures [Server.AddUser]. The zero value makes a
// natural person.
type UserOptions struct {
	// Kind is the kind of user the session-server call returns:
	// "UserPerson", "UserCompany", "UserApiKey" (an OAuth connection) or
	// "UserPaymentServiceProvider". Default "UserPerson".
	Kind string
	// Name is the user's display name. Default "Test User <id>".
	Name string
}

// AddUser creates a user with an API key and one monetary account, and
// returns them. A Kind that is not one of bunq's four is an error.
func (s *Server) AddUser(o UserOptions) (User, error) {
	switch o.Kind {
	case "":
		o.Kind = "UserPerson"
	case "UserPerson", "UserCompany", "UserApiKey", "UserPaymentServiceProvider":
	default:
		return User{}, fmt.Errorf("bunqtest: AddUser: kind %q: want UserPerson, UserCompany, UserApiKey or UserPaymentServiceProvider", o.Kind)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.addUserLocked(o.Kind, o.Name, randomHex(32))
	return User{ID: u.id, Kind: u.kind, APIKey: u.apiKey, AccountID: u.firstAccount}, nil
}

// addUserLocked creates a user of kind with one monetary account.
func (s *Server) addUserLocked(kind, name, apiKey string) *user {
	s.ids.user++
	u := &user{
		id:       1000 + s.ids.user,
		kind:     kind,
		name:     name,
		apiKey:   apiKey,
		created:  s.now,
		accounts: map[int64]*account{},
	}
	if u.name == "" {
		u.name = fmt.Sprintf("Test User %d", u.id)
	}
	s.ids.account++
	a := &account{id: 2000 + s.ids.account, user: u}
	u.accounts[a.id] = a
	u.firstAccount = a.id
	s.users[u.id] = u
	s.accounts[a.id] = a
	s.apiKeys[apiKey] = u
	return u
}

// User returns the user with the given id, made by [Server.AddUser] or
// by a client's POST /v1/sandbox-user-person, and whether there is one.
func (s *Server) User(id int64) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		return User{}, false
	}
	return User{ID: u.id, Kind: u.kind, APIKey: u.apiKey, AccountID: u.firstAccount}, true
}

// AddAccount creates another monetary account for the user and returns
// its id.
func (s *Server) AddAccount(userID int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return 0, fmt.Errorf("bunqtest: AddAccount: no user %d", userID)
	}
	s.ids.account++
	a := &account{id: 2000 + s.ids.account, user: u}
	u.accounts[a.id] = a
	s.accounts[a.id] = a
	return a.id, nil
}

// Filters returns the URL notification filters of a user (accountID 0) or
// of one of its monetary accounts, as the API lists them.
func (s *Server) Filters(userID, accountID int64) []bunq.NotificationFilterURL {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.filterListLocked(userID, accountID)
	if l == nil {
		return nil
	}
	out := make([]bunq.NotificationFilterURL, len(l.filters))
	for i, f := range l.filters {
		out[i] = bunq.NotificationFilterURL{Category: f.category, NotificationTarget: f.target}
	}
	return out
}

// PinnedChains returns the PEM certificate chains the user has pinned,
// oldest first.
func (s *Server) PinnedChains(userID int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return nil
	}
	out := make([]string, len(u.pins))
	for i, p := range u.pins {
		out[i] = p.chainPEM
	}
	return out
}

// user is a bunq user and what belongs to it.
type user struct {
	id           int64
	kind         string
	name         string
	apiKey       string
	created      time.Time
	accounts     map[int64]*account
	firstAccount int64
	filters      filterList
	pins         []*pin
	failures     []*failure // ascending id
}

// account is a monetary account.
type account struct {
	id      int64
	user    *user
	filters filterList
}

// filterList is the URL notification filters of a user or account.
type filterList struct {
	filters []*filter
}

type filter struct {
	id       int64
	created  time.Time
	category bunq.Category
	target   string
}

type pin struct {
	id       int64
	chainPEM string // the certificates glued with newlines, as bunq lists them
	leaf     []byte // DER of the chain's first certificate, which a callback's server must present
}

// filterListLocked returns the filters of the user or account, or nil
// when there is no such user or account of the user.
func (s *Server) filterListLocked(userID, accountID int64) *filterList {
	u := s.users[userID]
	if u == nil {
		return nil
	}
	if accountID == 0 {
		return &u.filters
	}
	a := u.accounts[accountID]
	if a == nil {
		return nil
	}
	return &a.filters
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails, per crypto/rand
	return hex.EncodeToString(b)
}
