package bunqapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

// exampleStandIn starts a stand-in of bunq's API with one user, for the
// examples; a real program uses bunqapi.Production and an API key from
// the environment instead.
func exampleStandIn() (*bunqtest.Server, bunqtest.User) {
	srv := bunqtest.NewServer(bunqtest.Options{RateWindow: -1})
	u, err := srv.AddUser(bunqtest.UserOptions{Kind: "UserCompany"})
	if err != nil {
		panic(err)
	}
	return srv, u
}

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

func ExampleSetup() {
	srv, u := exampleStandIn()
	defer srv.Close()

	// In production: bunqapi.Setup(ctx, os.Getenv("BUNQ_API_KEY"), bunqapi.Options{Description: "payments"}).
	c, err := bunqapi.Setup(context.Background(), u.APIKey, bunqapi.Options{
		BaseURL:     srv.URL(),
		Description: "payments",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.UserType(), c.UserID())
	// Output: UserCompany 1001
}

func ExampleCreateSandboxUser() {
	srv := bunqtest.NewServer(bunqtest.Options{RateWindow: -1}) // a real program leaves BaseURL empty: bunqapi.Sandbox
	defer srv.Close()
	ctx := context.Background()
	apiKey, err := bunqapi.CreateSandboxUser(ctx, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := bunqapi.Setup(ctx, apiKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.UserType(), apiKey[:len("sandbox_")])

	_, err = bunqapi.CreateSandboxUser(ctx, bunqapi.Options{BaseURL: bunqapi.Production})
	fmt.Println(err)
	// Output:
	// UserPerson sandbox_
	// bunqapi: CreateSandboxUser: https://api.bunq.com is bunq's production API; sandbox users exist on the sandbox (https://public-api.sandbox.bunq.com) only
}

func ExampleLoad() {
	srv, u := exampleStandIn()
	defer srv.Close()
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "bunqapi")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bunq-context.json")

	// Once, at login: set up and save the context (mode 0600).
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Save(path); err != nil {
		fmt.Println(err)
		return
	}
	info, _ := os.Stat(path)
	fmt.Printf("saved, mode %04o\n", info.Mode().Perm())

	// Every later run: load it. A session bunq has ended is renewed and
	// saved back to the file.
	c, err = bunqapi.Load(path, bunqapi.Options{Logger: quietLogger})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.ExpireSessions()
	filters, err := c.ListFilters(ctx)
	fmt.Println(len(filters), err)
	// Output:
	// saved, mode 0600
	// 0 <nil>
}

func ExampleClient_SetFilters() {
	srv, u := exampleStandIn()
	defer srv.Close()
	ctx := context.Background()
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}

	// A POST replaces the whole list: read, change, write.
	filters, err := c.ListFilters(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, cat := range []bunq.Category{bunq.CategoryMutation, bunq.CategoryPayment} {
		filters = append(filters, bunq.NotificationFilterURL{Category: cat, NotificationTarget: "https://hooks.example.com/bunq?token=s3cret"})
	}
	if err := c.SetFilters(ctx, filters); err != nil {
		fmt.Println(err)
		return
	}
	filters, _ = c.ListFilters(ctx)
	for _, f := range filters {
		fmt.Println(f.Category, f.NotificationTarget)
	}

	// An unknown category or a plain-http URL is refused before sending.
	err = c.SetFilters(ctx, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: "http://hooks.example.com/"}})
	fmt.Println(err)
	// Output:
	// MUTATION https://hooks.example.com/bunq?token=s3cret
	// PAYMENT https://hooks.example.com/bunq?token=s3cret
	// bunqapi: POST /v1/user/1001/notification-filter-url: bunq: notification_filters[0]: bunq: notification_target with scheme "http": bunq requires https
}

func ExampleClient_UpdateFilters() {
	// A bunq whose listings come in pages of 10, and that offers a
	// category bankhook does not know.
	srv := bunqtest.NewServer(bunqtest.Options{RateWindow: -1, PageLimit: 10, ExtraCategories: []bunq.Category{"CARD_DISPUTE"}})
	defer srv.Close()
	u, _ := srv.AddUser(bunqtest.UserOptions{})
	var others []bunq.NotificationFilterURL
	for i, cat := range bunq.Categories()[:12] {
		others = append(others, bunq.NotificationFilterURL{Category: cat, NotificationTarget: fmt.Sprintf("https://other%d.example/", i)})
	}
	others = append(others, bunq.NotificationFilterURL{Category: "CARD_DISPUTE", NotificationTarget: "https://other.example/"})
	_ = srv.SetFilters(u.ID, 0, others)

	ctx := context.Background()
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Read every page, add ours, write the whole list back.
	err = c.UpdateFilters(ctx, func(current []bunq.NotificationFilterURL) []bunq.NotificationFilterURL {
		fmt.Println("listed:", len(current))
		return append(current, bunq.NotificationFilterURL{Category: bunq.CategoryMutation, NotificationTarget: "https://hooks.example.com/bunq?token=s3cret"})
	})
	fmt.Println(err)
	filters := srv.Filters(u.ID, 0)
	fmt.Println("now:", len(filters))
	fmt.Println(filters[12].Category, filters[13].Category)
	// Output:
	// listed: 13
	// <nil>
	// now: 14
	// CARD_DISPUTE MUTATION
}

func ExampleClient_CreatePin() {
	srv, u := exampleStandIn()
	defer srv.Close()
	ctx := context.Background()
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}

	// In production the chain comes from bankhook.EncodePEM of bankhook.FetchChain(ctx, "hooks.example.com:443", nil).
	chain := exampleChain("hooks.example.com")
	id, err := c.CreatePin(ctx, chain)
	if err != nil {
		fmt.Println(err)
		return
	}
	pins, _ := c.ListPins(ctx)
	for _, p := range pins {
		certs, _ := p.Certificates()
		fmt.Println(p.ID == id, certs[0].Subject.CommonName, certs[0].NotAfter.Format(time.DateOnly))
	}
	fmt.Println(c.DeletePin(ctx, id))
	// Output:
	// true hooks.example.com 2035-01-01
	// <nil>
}

// exampleChain returns a self-signed certificate for name, in PEM.
func exampleChain(name string) []byte {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// exampleFailures has n MUTATION callbacks of u fail: their URL does not
// answer, and the stand-in's clock passes bunq's five minutes of retries.
func exampleFailures(srv *bunqtest.Server, u bunqtest.User, n int) {
	_ = srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: "https://127.0.0.1:1/bunq"}})
	for range n {
		_, _ = srv.Pay(u.AccountID, "-9.99", "order")
	}
	srv.Advance(bunq.RetrySchedule().Span())
}

func ExampleClient_ListFailures() {
	srv, u := exampleStandIn()
	defer srv.Close()
	ctx := context.Background()
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	exampleFailures(srv, u, 3)

	failures, err := c.ListFailures(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range failures {
		fmt.Println(f.ID, f.Created, f.Category, f.EventType, f.ObjectID)
	}
	// Output:
	// 3 2025-01-01 00:05:00.000000 MUTATION MUTATION_CREATED 10003
	// 2 2025-01-01 00:05:00.000000 MUTATION MUTATION_CREATED 10002
	// 1 2025-01-01 00:05:00.000000 MUTATION MUTATION_CREATED 10001
}

func ExampleClient_RetryFailures() {
	srv, u := exampleStandIn()
	defer srv.Close()
	ctx := context.Background()
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	exampleFailures(srv, u, 250)

	failures, err := c.ListFailures(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := make([]int64, len(failures))
	for i, f := range failures {
		ids[i] = f.ID
	}
	// Meanwhile another process re-sends one of them: bunq no longer
	// lists it, and refuses any request holding it with 404.
	_, _ = c.RetryFailures(ctx, ids[42:43])

	res, err := c.RetryFailures(ctx, ids)
	fmt.Println(len(res.Resent), "re-sent in", res.Requests, "requests; stale:", res.Stale, err)
	fmt.Println("bunq delivers again:", srv.Pending())
	// Output:
	// 249 re-sent in 9 requests; stale: [208] <nil>
	// bunq delivers again: 250
}

func ExampleRecoverer() {
	srv, u := exampleStandIn()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	exampleFailures(srv, u, 2)

	// In a service: go r.Run(ctx) beside the receiver, with the default
	// interval of 5 minutes. Here a channel stands in for the ticker.
	ticks := make(chan time.Time)
	r, err := bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{Ticks: ticks, Logger: quietLogger})
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	ticks <- time.Now() // returns once the first pass is over
	close(ticks)
	fmt.Println(<-done, len(srv.Failures(u.ID)), srv.Pending())
	// Output: <nil> 0 2
}

func ExampleRecoverer_RecoverOnce() {
	srv, u := exampleStandIn()
	defer srv.Close()
	ctx := context.Background()
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	exampleFailures(srv, u, 120)

	// Only the failures of this receiver's URL, and only those its dedupe
	// store still remembers the events of.
	r, _ := bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{
		Target: "https://127.0.0.1:1/bunq",
		MaxAge: 71 * time.Hour,
		Now:    srv.Now, // the stand-in's clock; time.Now by default
	})
	rec, err := r.RecoverOnce(ctx)
	fmt.Printf("listed %d, re-sent %d in %d requests, %v\n", rec.Listed, rec.Resent, rec.Requests, err)
	// Output: listed 120, re-sent 120 in 2 requests, <nil>
}

func ExampleError() {
	srv, _ := exampleStandIn()
	defer srv.Close()

	_, err := bunqapi.Setup(context.Background(), "revoked-key", bunqapi.Options{BaseURL: srv.URL()})
	var apiErr *bunqapi.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Path)
		fmt.Println(apiErr.Descriptions[0].ErrorDescription)
	}
	fmt.Println(bunqapi.IsStatus(err, 400))
	// Output:
	// 400 /v1/device-server
	// User credentials are incorrect. Incorrect API key or IP address.
	// true
}

func ExampleClient_SetAccountFilters() {
	srv, u := exampleStandIn()
	defer srv.Close()
	ctx := context.Background()
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The callbacks of one monetary account only, to another service.
	err = c.SetAccountFilters(ctx, u.AccountID, []bunq.NotificationFilterURL{
		{Category: bunq.CategoryMutation, NotificationTarget: "https://ledger.example.com/bunq?token=s3cret"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	account, _ := c.ListAccountFilters(ctx, u.AccountID)
	user, _ := c.ListFilters(ctx)
	fmt.Println(len(account), len(user))
	// Output: 1 0
}

func ExampleClient_UpdateAccountFilters() {
	srv, u := exampleStandIn()
	defer srv.Close()
	ctx := context.Background()
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = srv.SetFilters(u.ID, u.AccountID, []bunq.NotificationFilterURL{
		{Category: bunq.CategoryPayment, NotificationTarget: "https://ledger.example.com/bunq"},
	})

	// Add the account's MUTATION callbacks, keeping the ledger's.
	err = c.UpdateAccountFilters(ctx, u.AccountID, func(current []bunq.NotificationFilterURL) []bunq.NotificationFilterURL {
		return append(current, bunq.NotificationFilterURL{Category: bunq.CategoryMutation, NotificationTarget: "https://hooks.example.com/bunq?token=s3cret"})
	})
	fmt.Println(err)
	for _, f := range srv.Filters(u.ID, u.AccountID) {
		fmt.Println(f.Category, f.NotificationTarget)
	}
	// Output:
	// <nil>
	// PAYMENT https://ledger.example.com/bunq
	// MUTATION https://hooks.example.com/bunq?token=s3cret
}

func ExampleValidateBaseURL() {
	for _, u := range []string{bunqapi.Production, "http://127.0.0.1:8444", "http://bunq-proxy.internal"} {
		fmt.Println(bunqapi.ValidateBaseURL(u))
	}
	// Output:
	// <nil>
	// <nil>
	// "http://bunq-proxy.internal": http is allowed for a loopback host only, use https
}

func ExampleIsStatus() {
	srv, u := exampleStandIn()
	defer srv.Close()
	ctx := context.Background()
	c, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = c.DeletePin(ctx, 42)
	fmt.Println(bunqapi.IsStatus(err, http.StatusNotFound))
	// Output: true
}
