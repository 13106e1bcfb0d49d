package bunqtest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func ExampleNewServer() {
	srv := bunqtest.NewServer(bunqtest.Options{})
	defer srv.Close()
	u, _ := srv.AddUser(bunqtest.UserOptions{})

	// Any client of bunq's API runs its handshake against srv.URL().
	c, err := bunqapi.Setup(context.Background(), u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(srv.URL(), "http://127.0.0.1:"), c.UserType(), c.UserID() == u.ID)
	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Status)
	}
	// Output:
	// true UserPerson true
	// POST /v1/installation 200
	// POST /v1/device-server 200
	// POST /v1/session-server 200
}

// exampleReceiver is an https test server counting callbacks; while
// failing is set it answers 503.
func exampleReceiver(failing *atomic.Bool, calls *atomic.Int64) *httptest.Server {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		n, err := bunq.Decode(mustRead(r))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p := n.Object.(*bunq.Payment)
		fmt.Println("received", n.Category, n.EventType, p.ID, p.Amount)
	}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	return ts
}

func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

// trustTestServer is the DeliveryTLS that trusts an httptest TLS server.
func trustTestServer(ts *httptest.Server) *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	return &tls.Config{RootCAs: roots}
}

func ExampleServer_Pay() {
	var failing atomic.Bool
	var calls atomic.Int64
	rcv := exampleReceiver(&failing, &calls)
	defer rcv.Close()
	srv := bunqtest.NewServer(bunqtest.Options{DeliveryTLS: trustTestServer(rcv)})
	defer srv.Close()
	u, _ := srv.AddUser(bunqtest.UserOptions{})
	_ = srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: rcv.URL + "/bunq"}})

	_, _ = srv.Pay(u.AccountID, "-24.95", "books")
	fmt.Println("attempts:", srv.Advance(0)) // the callbacks go out when the clock moves
	// Output:
	// received MUTATION MUTATION_CREATED 10001 -24.95 EUR
	// attempts: 1
}

func ExampleServer_Advance() {
	var failing atomic.Bool
	var calls atomic.Int64
	rcv := exampleReceiver(&failing, &calls)
	defer rcv.Close()
	srv := bunqtest.NewServer(bunqtest.Options{DeliveryTLS: trustTestServer(rcv)})
	defer srv.Close()
	u, _ := srv.AddUser(bunqtest.UserOptions{})
	_ = srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: rcv.URL + "/bunq"}})

	failing.Store(true)
	_, _ = srv.Pay(u.AccountID, "100.00", "salary")
	srv.Advance(10 * time.Minute) // bunq's schedule: the first attempt, 5 retries a minute apart
	fmt.Println("attempts:", calls.Load())
	for _, f := range srv.Failures(u.ID) {
		fmt.Println("failure", f.ID, f.Category, f.EventType, f.ObjectID, f.ResponseCode, f.Created)
	}
	// Output:
	// attempts: 6
	// failure 1 MUTATION MUTATION_RECEIVED 10001 503 2025-01-01 00:05:00.000000
}

func ExampleServer_SetSignatureMode() {
	srv := bunqtest.NewServer(bunqtest.Options{})
	defer srv.Close()
	u, _ := srv.AddUser(bunqtest.UserOptions{})
	ctx := context.Background()
	c, _ := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})

	// A man in the middle replaces the failure list by an empty one.
	srv.SetSignatureMode(bunqtest.SignTampered)
	_, err := c.ListFailures(ctx)
	fmt.Println(err)
	// Output: bunqapi: GET /v1/user/1001/notification-filter-failure: bunqapi: response signature missing or invalid: it does not verify with the server's key
}

func ExampleServer_ExpireSessions() {
	srv := bunqtest.NewServer(bunqtest.Options{RateWindow: -1})
	defer srv.Close()
	u, _ := srv.AddUser(bunqtest.UserOptions{})
	ctx := context.Background()
	c, _ := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL(), Logger: quiet})

	srv.ExpireSessions()
	_, err := c.ListPins(ctx) // 403 "Insufficient authentication.", a new session, the call again
	fmt.Println(err)
	_ = srv.SetEndedSessionStatus(http.StatusUnauthorized)
	srv.ExpireSessions()
	_, err = c.ListPins(ctx) // 401, a new session, the call again
	fmt.Println(err)
	for _, r := range srv.Requests()[3:] {
		fmt.Println(r.Method, r.Path, r.Status)
	}
	// Output:
	// <nil>
	// <nil>
	// GET /v1/user/1001/certificate-pinned 403
	// POST /v1/session-server 200
	// GET /v1/user/1001/certificate-pinned 200
	// GET /v1/user/1001/certificate-pinned 401
	// POST /v1/session-server 200
	// GET /v1/user/1001/certificate-pinned 200
}

func ExampleServer_User() {
	srv := bunqtest.NewServer(bunqtest.Options{RateWindow: -1})
	defer srv.Close()
	ctx := context.Background()

	// A client makes a sandbox user, as bankhook bunq sandbox-user does;
	// the test finds its monetary account to pay on.
	apiKey, _ := bunqapi.CreateSandboxUser(ctx, bunqapi.Options{BaseURL: srv.URL()})
	c, _ := bunqapi.Setup(ctx, apiKey, bunqapi.Options{BaseURL: srv.URL(), Logger: quiet})
	u, ok := srv.User(c.UserID())
	fmt.Println(ok, u.Kind, u.APIKey == apiKey)
	p, err := srv.Pay(u.AccountID, "-1.00", "coffee")
	fmt.Println(p.Amount, err)
	// Output:
	// true UserPerson true
	// -1.00 EUR <nil>
}

func ExampleServer_Notify() {
	var failing atomic.Bool
	var calls atomic.Int64
	rcv := exampleReceiver(&failing, &calls)
	defer rcv.Close()
	srv := bunqtest.NewServer(bunqtest.Options{DeliveryTLS: trustTestServer(rcv)})
	defer srv.Close()
	u, _ := srv.AddUser(bunqtest.UserOptions{})
	_ = srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryPayment, NotificationTarget: rcv.URL + "/bunq"}})

	// Any object under any category: here a payment that arrived.
	p := &bunq.Payment{ID: 7, Amount: bunq.Amount{Value: bankhook.NewDecimal(1200, -2), Currency: "EUR"}}
	n, _ := srv.Notify(u.ID, 0, bunq.CategoryPayment, bunq.EventPaymentReceived, p)
	fmt.Println("callbacks:", n)
	srv.Advance(0)
	// Output:
	// callbacks: 1
	// received PAYMENT PAYMENT_RECEIVED 7 12.00 EUR
}
