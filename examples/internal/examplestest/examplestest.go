// Package examplestest runs the checks every example program passes, over
// a real loopback connection, whatever framework serves it: a bunq
// callback and a bankHub webhook are booked with their exact amounts, a
// second delivery is a replay that books nothing, and senders that are not
// the bank are refused, X-Forwarded-For included.
//
// The tests connect from 127.0.0.1, so the programs run as in production
// behind a load balancer: loopback is the trusted proxy and the bank's
// published address arrives in X-Forwarded-For.
package examplestest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/examples/internal/service"
	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Start serves an example program on ln, configured with cfg and booking
// in l, until the test ends.
type Start func(t *testing.T, ln net.Listener, cfg service.Config, l *service.Ledger)

// RunHandler is Run for a program whose routes are an http.Handler,
// served by net/http.
func RunHandler(t *testing.T, routes func(service.Config, *service.Ledger) (http.Handler, error)) {
	Run(t, func(t *testing.T, ln net.Listener, cfg service.Config, l *service.Ledger) {
		h, err := routes(cfg, l)
		require.NoError(t, err)
		serve(t, ln, h)
	})
}

// serve serves h on ln until the test ends.
func serve(t *testing.T, ln net.Listener, h http.Handler) {
	t.Helper()
	srv := service.Server(service.Config{}, h)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-done, http.ErrServerClosed)
	})
}

// Tokens the tests configure and send.
const (
	bunqToken    = "bunq-secret"
	bankhubToken = "bankhub-secret"
)

// Senders: one address each bank publishes, and one no bank uses.
const (
	bunqSender    = "185.40.108.17" // in bunq.ProductionRanges()
	bankhubSender = "34.87.150.47"  // in bankhub.ProductionIPs()
	stranger      = "203.0.113.7"   // TEST-NET-3
)

// delivery is one bank's event as the tests send it.
type delivery struct {
	name   string
	path   string
	token  string
	sender string
	body   []byte
	want   service.Entry // what the program books
	minor  int64         // want.Amount in minor units
	digits int           // fraction digits of want.Currency
}

func deliveries(t *testing.T) []delivery {
	t.Helper()
	mutation, ok := samples.Bunq("MUTATION")
	require.True(t, ok, "bunq sample MUTATION")
	transaction, ok := samples.Bankhub("TRANSACTIONS_DEFAULT_UPDATE")
	require.True(t, ok, "bankhub sample TRANSACTIONS_DEFAULT_UPDATE")
	return []delivery{
		{
			name: "bunq", path: "/webhooks/bunq", token: bunqToken, sender: bunqSender, body: mutation,
			want: service.Entry{
				Bank: "bunq", ID: "2938471", Amount: bankhook.NewDecimal(-2495, -2),
				Currency: "EUR", Description: "Order 2025-0042 Boekhandel Centrum",
			},
			minor: -2495, digits: 2,
		},
		{
			name: "bankhub", path: "/webhooks/bankhub", token: bankhubToken, sender: bankhubSender, body: transaction,
			want: service.Entry{
				Bank: "bankhub", ID: "b2e4c6a8-1d3f-4a5b-8c7d-9e0f1a2b3c4d", Amount: bankhook.NewDecimal(123456789012345678, 0),
				Currency: "VND", Description: "CONG TY TNHH AN PHAT thanh toan DH10234",
			},
			minor: 123456789012345678, digits: 0,
		},
	}
}

// Run starts the program twice over loopback, once behind a trusted
// proxy on 127.0.0.1 and once trusting no proxy, and checks both banks'
// deliveries against it: refusals first (nothing booked), then the
// delivery (booked once, exactly) and its replay (answered from the
// dedupe store, not booked again).
func Run(t *testing.T, start Start) {
	behindProxy, booked := listen(t, start, service.Config{
		BunqTokens:     []string{bunqToken},
		BankhubTokens:  []string{bankhubToken},
		TrustedProxies: []string{"127.0.0.1/32"},
	})
	direct, bookedDirect := listen(t, start, service.Config{
		BunqTokens:    []string{bunqToken},
		BankhubTokens: []string{bankhubToken},
	})
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)

	for _, d := range deliveries(t) {
		t.Run(d.name, func(t *testing.T) {
			refusals := []struct {
				name   string
				base   string
				token  string
				xff    string // "" sends no X-Forwarded-For
				status int
				reason bankhook.Reason
			}{
				{"stranger via the trusted proxy", behindProxy, d.token, stranger, http.StatusForbidden, bankhook.ReasonIPDenied},
				{"the proxy itself", behindProxy, d.token, "", http.StatusForbidden, bankhook.ReasonIPDenied},
				// The right-most hop the proxy did not vouch for is the
				// sender; the left-most is whatever the client wrote.
				{"bank address forged left of the stranger", behindProxy, d.token, d.sender + ", " + stranger, http.StatusForbidden, bankhook.ReasonIPDenied},
				{"bank address from an untrusted peer", direct, d.token, d.sender, http.StatusForbidden, bankhook.ReasonIPDenied},
				{"wrong token", behindProxy, "not-" + d.token, d.sender, http.StatusUnauthorized, bankhook.ReasonBadToken},
			}
			for _, c := range refusals {
				t.Run("refused/"+c.name, func(t *testing.T) {
					res := post(t, client, c.base+d.path+"?token="+c.token, c.xff, d.body)
					assert.Equal(t, c.status, res.status)
					assert.Equal(t, bankhook.ProblemContentType, res.header.Get("Content-Type"))
					var problem struct {
						Status int             `json:"status"`
						Reason bankhook.Reason `json:"reason"`
					}
					require.NoError(t, json.Unmarshal(res.body, &problem), "problem body %s", res.body)
					assert.Equal(t, c.status, problem.Status)
					assert.Equal(t, c.reason, problem.Reason)
				})
			}
			require.Empty(t, booked.entries(t), "a refused delivery was booked")
			require.Empty(t, bookedDirect.entries(t), "a refused delivery was booked")

			url := behindProxy + d.path + "?token=" + d.token
			t.Run("delivered", func(t *testing.T) {
				res := post(t, client, url, d.sender, d.body)
				require.Equal(t, http.StatusOK, res.status, "body %s", res.body)
				assert.Empty(t, res.header.Get(bankhook.HeaderIdempotentReplayed))
				got := booked.entries(t)
				require.Len(t, got, 1)
				assert.Equal(t, d.want.Bank, got[0].Bank)
				assert.Equal(t, d.want.ID, got[0].ID)
				assert.True(t, d.want.Amount.Equal(got[0].Amount), "amount %s, want %s", got[0].Amount, d.want.Amount)
				minor, err := got[0].Amount.MinorUnits(d.digits)
				require.NoError(t, err)
				assert.Equal(t, d.minor, minor)
				assert.Equal(t, d.want.Currency, got[0].Currency)
				assert.Equal(t, d.want.Description, got[0].Description)
			})
			t.Run("replayed", func(t *testing.T) {
				res := post(t, client, url, d.sender, d.body)
				require.Equal(t, http.StatusOK, res.status, "body %s", res.body)
				assert.Equal(t, "true", res.header.Get(bankhook.HeaderIdempotentReplayed))
				assert.Len(t, booked.entries(t), 1, "the replay was booked again")
			})
			booked.reset()
		})
	}
}

// listen starts the program with cfg on a loopback port and returns its
// base URL and what it books.
func listen(t *testing.T, start Start, cfg service.Config) (string, *ledger) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := new(ledger)
	start(t, ln, cfg, service.NewLedger(l))
	return "http://" + ln.Addr().String(), l
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// post sends body to url as a bank would, with X-Forwarded-For set to xff
// when it is not empty, as a load balancer adds it.
func post(t *testing.T, c *http.Client, url, xff string, body []byte) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// ledger is the writer a program books in during a test: the server
// writes, the test reads.
type ledger struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (l *ledger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// entries decodes every line booked so far.
func (l *ledger) entries(t *testing.T) []service.Entry {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []service.Entry
	for line := range strings.Lines(l.buf.String()) {
		var e service.Entry
		require.NoError(t, json.Unmarshal([]byte(line), &e), "ledger line %q", line)
		out = append(out, e)
	}
	return out
}

func (l *ledger) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}
