package bunqapi_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

// gate stands in front of a receiver: while down it drops every
// connection without an answer (a crashed process behind a load
// balancer); up, it passes requests on, and can lose the answer to a
// request the receiver did handle, so that bunq delivers it again.
type gate struct {
	next     http.Handler
	down     atomic.Bool
	loseAcks atomic.Int64 // answers still to lose
	requests atomic.Int64 // requests that reached the receiver
	lost     atomic.Int64 // answers lost
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.down.Load() {
		hangUp(w)
		return
	}
	g.requests.Add(1)
	rec := httptest.NewRecorder()
	g.next.ServeHTTP(rec, r)
	if rec.Code/100 == 2 && g.loseAcks.Add(-1) >= 0 {
		g.lost.Add(1)
		hangUp(w)
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// TestOutageRecovery is the end-to-end case recovery exists for: a
// receiver (bunq.NewReceiver behind real HTTPS on loopback) is down for 10
// minutes of the stand-in's clock while 1,000 callbacks are sent. bunq
// retries each six times over five minutes and gives most of them up; a
// Recoverer pass every 5 minutes re-sends what is listed (during the
// outage too, when the re-sent callbacks fail again and come back under
// new ids). When the receiver is back, the first answers it gives are
// lost on the way, so bunq delivers those events again. In the end every
// event is handled exactly once, and none is lost.
func TestOutageRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("the outage test delivers about 10,000 callbacks")
	}
	const (
		events   = 1000
		outage   = 10 * time.Minute
		interval = bunqapi.DefaultRecoverInterval
		token    = "s3cret-token"
	)
	ctx := context.Background()

	// The receiver, its dedupe on the stand-in's clock.
	var srv *bunqtest.Server
	var mu sync.Mutex // guards handled
	handled := map[int64]int{}
	cfg := bunq.Config{Routes: []bunq.Route{bunq.On(func(_ context.Context, _ *bunq.Notification, p *bunq.Payment) error {
		mu.Lock()
		defer mu.Unlock()
		handled[p.ID]++
		return nil
	})}}
	cfg.Allow = bankhook.MustIPAllowlist("127.0.0.1", "::1")
	cfg.Tokens = []string{token}
	// The stand-in sends from one address; the rate limit is not under test.
	cfg.RateLimit = bankhook.RateLimitOptions{Rate: 1e6, Burst: 1e6}
	cfg.Dedupe.Store = bankhook.NewLRUStore(bankhook.LRUStoreOptions{Now: func() time.Time { return srv.Now() }})
	cfg.Observer = bankhook.ObserverFuncs{}
	receiver, err := bunq.NewReceiver(cfg)
	require.NoError(t, err)
	g := &gate{next: receiver}
	// An ECDSA certificate and X25519 alone: some 10,000 handshakes cost
	// a fraction of what RSA and the post-quantum hybrid would.
	cert := loopbackCert(t)
	ts := httptest.NewUnstartedServer(g)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)

	// bunq, with sessions that end between two recovery passes, and short
	// rate-limit windows so that 429s happen without costing seconds.
	srv = bunqtest.NewServer(bunqtest.Options{
		DeliveryTLS:         &tls.Config{RootCAs: roots, CurvePreferences: []tls.CurveID{tls.X25519}},
		RateWindow:          50 * time.Millisecond,
		SessionTimeout:      4 * time.Minute,
		DeliveryConcurrency: 16,
	})
	t.Cleanup(srv.Close)
	u, err := srv.AddUser(bunqtest.UserOptions{Kind: "UserCompany"})
	require.NoError(t, err)
	client, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL(), Logger: discard})
	require.NoError(t, err)
	require.NoError(t, client.SetFilters(ctx, []bunq.NotificationFilterURL{
		{Category: bunq.CategoryMutation, NotificationTarget: ts.URL + "/bunq?token=" + token},
	}))
	recoverer, err := bunqapi.NewRecoverer(client, bunqapi.RecoverOptions{Logger: discard})
	require.NoError(t, err)

	// The outage: 100 payments a minute for 10 minutes, a recovery pass
	// every 5 minutes.
	start := srv.Now()
	var listed, resent, passes int
	recoverPass := func() {
		t.Helper()
		rec, err := recoverer.RecoverOnce(ctx)
		require.NoError(t, err)
		listed += rec.Listed
		resent += rec.Resent
		passes++
	}
	g.down.Store(true)
	paid := map[int64]bool{}
	for minute := range int(outage / time.Minute) {
		for range events / 10 {
			p, err := srv.Pay(u.AccountID, "-2.50", "order")
			require.NoError(t, err)
			paid[p.ID] = true
		}
		srv.Advance(time.Minute)
		if (minute+1)%int(interval/time.Minute) == 0 {
			recoverPass()
		}
	}
	require.Equal(t, start.Add(outage), srv.Now())
	mu.Lock()
	require.Empty(t, handled, "nothing gets through while the receiver is down")
	mu.Unlock()
	require.Positive(t, resent, "passes during the outage re-sent failures, which failed again")

	// Back up; the first 50 answers are lost.
	g.down.Store(false)
	g.loseAcks.Store(50)
	for round := 0; srv.Pending() > 0 || len(srv.Failures(u.ID)) > 0; round++ {
		require.Less(t, round, 60, "bunq and recovery settle within an hour")
		srv.Advance(time.Minute)
		if srv.Now().Sub(start)%interval == 0 {
			recoverPass()
		}
	}

	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, handled, events, "no event lost")
	for id := range paid {
		assert.Equal(t, 1, handled[id], "payment %d handled exactly once", id)
	}
	assert.Equal(t, int64(50), g.lost.Load())
	assert.Greater(t, g.requests.Load(), int64(events), "the events whose answer was lost came again and were answered from the dedupe store")
	assert.GreaterOrEqual(t, resent, events/2, "a good part of the events came back through recovery, not bunq's own retries")
	t.Logf("%d events: %d recovery passes listed %d failures and re-sent %d; %d deliveries reached the receiver, %d answers lost",
		events, passes, listed, resent, g.requests.Load(), g.lost.Load())
}
