package bankhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/bankhook/bankhook"
)

// printRejections is an Observer that prints each rejection's status and
// reason, so the examples show why a request was refused.
var printRejections = bankhook.ObserverFuncs{
	OnRejected: func(r *http.Request, rej bankhook.Rejection) {
		fmt.Printf("rejected %s: %d %s\n", r.URL.Path, rej.Status, rej.Reason)
	},
}

// This is the quick start: an existing handler, registered on a plain
// http.ServeMux, behind the guards for bunq's production callbacks.
func Example_serveMux() {
	// The application's existing handler.
	payments := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Printf("handled %s\n", body)
		w.WriteHeader(http.StatusOK)
	})

	bunqAddresses := bankhook.MustIPAllowlist("185.40.108.0/22")
	mux := http.NewServeMux()
	mux.Handle("POST /bunq", bankhook.Chain(payments,
		bankhook.Observe(printRejections), // in production: Observe(nil) logs through log/slog
		bankhook.ClientIP(nil),            // or the addresses of your load balancers
		bankhook.AllowIPs(bunqAddresses),
		bankhook.RateLimit(bankhook.RateLimitOptions{}),
		bankhook.RequireToken("token", "s3cr3t-from-the-registered-url"),
		bankhook.ReadBody(bankhook.BodyOptions{}),
	))

	send := func(from, target string) {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"NotificationUrl":{}}`))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = from
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	send("185.40.108.17:40123", "/bunq?token=s3cr3t-from-the-registered-url")
	send("203.0.113.9:40123", "/bunq?token=s3cr3t-from-the-registered-url")
	send("185.40.108.17:40123", "/bunq?token=guess")
	// Output:
	// handled {"NotificationUrl":{}}
	// 200
	// rejected /bunq: 403 ip_denied
	// 403
	// rejected /bunq: 401 bad_token
	// 401
}

func ExampleChain() {
	stage := func(name string) bankhook.Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Println("enter", name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := bankhook.Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		fmt.Println("handler")
	}), stage("first"), stage("second"))

	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
	// Output:
	// enter first
	// enter second
	// handler
}

func ExampleReject() {
	h := bankhook.Observe(bankhook.ObserverFuncs{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		// The error is for the Observer only; the sender never sees it.
		bankhook.Reject(w, r, http.StatusServiceUnavailable, bankhook.ReasonStoreUnavailable,
			errors.New("redis: connection refused"))
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", nil))

	fmt.Println(w.Code, w.Header().Get("Content-Type"), w.Header().Get("Retry-After"))
	fmt.Print(w.Body)
	// Output:
	// 503 application/problem+json 60
	// {"type":"about:blank","title":"Service Unavailable","status":503,"detail":"temporarily unable to accept events; retry later","reason":"store_unavailable"}
}

// A decode error is the one internal error whose location is sent: the
// problem's "field" names the refused value.
func ExampleReject_decodeError() {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	h := bankhook.Observe(bankhook.ObserverFuncs{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bankhook.Reject(w, r, http.StatusBadRequest, bankhook.ReasonBadPayload, &bankhook.DecodeError{
			Provider: "bunq",
			Path:     "/NotificationUrl/object/Payment/amount/value",
			Err:      errors.New(`"12,50" is not a decimal`),
		})
	}))
	h.ServeHTTP(w, r)
	fmt.Print(w.Body)
	// Output:
	// {"type":"about:blank","title":"Bad Request","status":400,"detail":"the body is not a valid event","reason":"bad_payload","field":"/NotificationUrl/object/Payment/amount/value"}
}

func ExampleObserve() {
	obs := bankhook.ObserverFuncs{
		OnRejected: func(r *http.Request, rej bankhook.Rejection) {
			fmt.Printf("%d %s (%v)\n", rej.Status, rej.Reason, rej.Err)
		},
	}
	h := bankhook.Chain(http.NotFoundHandler(),
		bankhook.Observe(obs),
		bankhook.AllowIPs(bankhook.MustIPAllowlist("34.87.150.47", "34.124.145.244")),
	)
	r := httptest.NewRequest(http.MethodPost, "/bankhub", nil)
	r.RemoteAddr = "198.51.100.7:5000"
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// 403 ip_denied (bankhook: 198.51.100.7 is not on the allowlist)
}

// Logs and a counter side by side: each Observer hears every report.
func ExampleMultiObserver() {
	var rejected atomic.Int64
	count := bankhook.ObserverFuncs{
		OnRejected: func(*http.Request, bankhook.Rejection) { rejected.Add(1) },
	}
	h := bankhook.Chain(http.NotFoundHandler(),
		bankhook.Observe(bankhook.MultiObserver(printRejections, count)),
		bankhook.RequireToken("token", "s3cr3t"),
	)
	for _, target := range []string{"/bunq", "/bunq?token=guess"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, target, nil))
	}
	fmt.Println("rejected:", rejected.Load())
	// Output:
	// rejected /bunq: 401 bad_token
	// rejected /bunq: 401 bad_token
	// rejected: 2
}

func ExampleNewSlogObserver_logger() {
	// Drop the time so the output is stable.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	h := bankhook.Chain(http.NotFoundHandler(),
		bankhook.Observe(bankhook.NewSlogObserver(bankhook.SlogObserverOptions{Logger: logger})),
		bankhook.RequireToken("token", "s3cr3t"),
	)
	r := httptest.NewRequest(http.MethodPost, "/bunq?token=wrong", nil)
	r.RemoteAddr = "185.40.108.17:40123"
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// level=WARN msg="bankhook: request rejected" status=401 reason=bad_token method=POST path=/bunq remote=185.40.108.17:40123 error="bankhook: missing or wrong URL token"
}

func ExampleNewIPAllowlist() {
	bankHub, err := bankhook.NewIPAllowlist("34.87.150.47", "34.124.145.244", "20.2.69.168")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range []string{"34.87.150.47", "::ffff:34.124.145.244", "185.40.108.1"} {
		fmt.Println(s, bankHub.Contains(netip.MustParseAddr(s)))
	}

	_, err = bankhook.NewIPAllowlist("185.40.108.0/22", "fe80::1%eth0")
	fmt.Println(err)
	// Output:
	// 34.87.150.47 true
	// ::ffff:34.124.145.244 true
	// 185.40.108.1 false
	// bankhook: allowlist entry "fe80::1%eth0": zones are not allowed
}

func ExampleNewIPAllowlist_entries() {
	// An entry is a CIDR prefix or a bare address. Host bits are cleared and
	// IPv4-mapped forms become IPv4.
	list, err := bankhook.NewIPAllowlist("185.40.108.0/22", "34.87.150.47", "10.1.2.3/8", "::ffff:20.2.69.168")
	fmt.Println(list.Prefixes(), err)
	// Output:
	// [185.40.108.0/22 34.87.150.47/32 10.0.0.0/8 20.2.69.168/32] <nil>
}

func ExampleIPAllowlist_Prefixes() {
	list := bankhook.MustIPAllowlist("185.40.108.0/22", "2001:db8::1")
	fmt.Println(list.Prefixes(), list.Len())
	// Output:
	// [185.40.108.0/22 2001:db8::1/128] 2
}

func ExampleIPAllowlist_Contains() {
	bunq := bankhook.MustIPAllowlist("185.40.108.0/22")
	for _, s := range []string{"185.40.108.0", "185.40.111.255", "185.40.112.0", "::ffff:185.40.108.1"} {
		fmt.Println(s, bunq.Contains(netip.MustParseAddr(s)))
	}
	var none *bankhook.IPAllowlist
	fmt.Println("nil list:", none.Contains(netip.MustParseAddr("185.40.108.1")))
	// Output:
	// 185.40.108.0 true
	// 185.40.111.255 true
	// 185.40.112.0 false
	// ::ffff:185.40.108.1 true
	// nil list: false
}

// The banks say their addresses may change: swap the list while serving.
func ExampleIPAllowlist_Replace() {
	list := bankhook.MustIPAllowlist("34.87.150.47")
	addr := netip.MustParseAddr("34.124.145.244")
	fmt.Println(list.Contains(addr))

	if err := list.Replace("34.87.150.47", "34.124.145.244"); err != nil {
		fmt.Println(err)
	}
	fmt.Println(list.Contains(addr))

	err := list.Replace("34.87.150.47", "") // a failed swap changes nothing
	fmt.Println(err)
	fmt.Println(list.Contains(addr), list.Len())
	// Output:
	// false
	// true
	// bankhook: allowlist entry "": empty
	// true 2
}

// Behind a load balancer, ClientIP takes the sender from X-Forwarded-For,
// but only when the request comes from the load balancer.
func ExampleClientIP() {
	loadBalancers := bankhook.MustIPAllowlist("10.0.0.0/8")
	h := bankhook.ClientIP(loadBalancers)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, ok := bankhook.ClientIPFrom(r.Context())
		fmt.Println(ip, ok)
	}))

	send := func(remote, xff string) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = remote
		r.Header.Set(bankhook.HeaderXForwardedFor, xff)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	send("10.0.0.5:34567", "185.40.108.17, 10.0.0.9")     // via two of our proxies
	send("10.0.0.5:34567", "185.40.108.17, 203.0.113.66") // a forged left hop
	send("203.0.113.66:4444", "185.40.108.17")            // not from a proxy
	send("10.0.0.5:34567", "185.40.108.17, not-an-ip")    // malformed
	// Output:
	// 185.40.108.17 true
	// 203.0.113.66 true
	// 203.0.113.66 true
	// invalid IP false
}

func ExampleAllowIPs() {
	h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}),
		bankhook.Observe(bankhook.ObserverFuncs{}),
		bankhook.AllowIPs(bankhook.MustIPAllowlist("185.40.108.0/22")),
	)
	for _, remote := range []string{"185.40.108.17:40123", "[::ffff:185.40.109.1]:443", "203.0.113.9:40123"} {
		r := httptest.NewRequest(http.MethodPost, "/bunq", nil)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(remote, w.Code)
	}
	// Output:
	// 185.40.108.17:40123 200
	// [::ffff:185.40.109.1]:443 200
	// 203.0.113.9:40123 403
}

func ExampleRateLimit() {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}),
		bankhook.Observe(bankhook.ObserverFuncs{}),
		bankhook.RateLimit(bankhook.RateLimitOptions{
			Rate:  rate.Every(2 * time.Second), // one request per 2 s
			Burst: 2,
			Now:   func() time.Time { return now }, // a frozen clock for the example
		}),
	)
	for range 3 {
		r := httptest.NewRequest(http.MethodPost, "/bunq", nil)
		r.RemoteAddr = "185.40.108.17:40123"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if after := w.Header().Get("Retry-After"); after != "" {
			fmt.Println(w.Code, "Retry-After:", after)
			continue
		}
		fmt.Println(w.Code)
	}
	// Output:
	// 200
	// 200
	// 429 Retry-After: 2
}

func ExampleReadBody() {
	h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kept, _ := bankhook.BodyFrom(r.Context())
		again, _ := io.ReadAll(r.Body) // r.Body still works for existing handlers
		fmt.Printf("kept %s, r.Body %s\n", kept, again)
	}),
		bankhook.Observe(printRejections),
		bankhook.ReadBody(bankhook.BodyOptions{MaxBytes: 64}),
	)
	send := func(method, contentType, body string) {
		r := httptest.NewRequest(method, "/hook", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if allow := w.Header().Get("Allow"); allow != "" {
			fmt.Println("Allow:", allow)
		}
	}
	send(http.MethodPost, "application/json; charset=utf-8", `{"id":1}`)
	send(http.MethodGet, "application/json", "")
	send(http.MethodPost, "text/plain", "hello")
	send(http.MethodPost, "application/json", strings.Repeat(" ", 65))
	// Output:
	// kept {"id":1}, r.Body {"id":1}
	// rejected /hook: 405 method_not_allowed
	// Allow: POST
	// rejected /hook: 415 unsupported_media_type
	// rejected /hook: 413 body_too_large
}

func ExampleBodyFrom() {
	h := bankhook.ReadBody(bankhook.BodyOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bankhook.BodyFrom(r.Context())
		fmt.Println(string(body), ok)
	}))
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"webhookType":"GRANT"}`))
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// {"webhookType":"GRANT"} true
}

// During a rotation both the old and the new secret are accepted.
func ExampleRequireToken() {
	h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}),
		bankhook.Observe(bankhook.ObserverFuncs{}),
		bankhook.RequireToken(bankhook.DefaultTokenParam, "old-secret", "new-secret"),
	)
	for _, target := range []string{"/bunq?token=old-secret", "/bunq?token=new-secret", "/bunq?token=", "/bunq"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, target, nil))
		fmt.Println(target, w.Code)
	}
	// Output:
	// /bunq?token=old-secret 200
	// /bunq?token=new-secret 200
	// /bunq?token= 401
	// /bunq 401
}

// A bank that signs its webhooks: an HMAC-SHA256 of the body, hex-encoded
// in a header.
func ExampleVerify() {
	key := []byte("shared signing key")
	mac := func(body []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(body)
		return m.Sum(nil)
	}
	verifier := bankhook.Verifier(func(r *http.Request, body []byte) error {
		got, err := hex.DecodeString(r.Header.Get("X-Signature"))
		if err != nil {
			return fmt.Errorf("signature: %w", err)
		}
		if !hmac.Equal(got, mac(body)) {
			return errors.New("signature mismatch")
		}
		return nil
	})
	h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}),
		bankhook.Observe(printRejections),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Verify(verifier),
	)
	send := func(body, sig string) {
		r := httptest.NewRequest(http.MethodPost, "/signed", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Signature", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	body := `{"event":"payment"}`
	sig := hex.EncodeToString(mac([]byte(body)))
	send(body, sig)
	send(`{"event":"forged"}`, sig)
	// Output:
	// 200
	// rejected /signed: 401 bad_signature
	// 401
}

func ExampleParseDecimal() {
	for _, s := range []string{"-24.95", "10.00", "1.5e3", "123456789012345678901234567890.12", "12,50"} {
		d, err := bankhook.ParseDecimal(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(d, d.Scale())
	}
	// Output:
	// -24.95 2
	// 10.00 2
	// 1500 0
	// 123456789012345678901234567890.12 2
	// bankhook: decimal "12,50": unexpected character
}

// bunq sends amounts as JSON strings, bankHub as JSON numbers: both decode
// exactly, and encode as strings.
func ExampleDecimal_UnmarshalJSON() {
	var bunq struct {
		Amount struct {
			Value    bankhook.Decimal `json:"value"`
			Currency string           `json:"currency"`
		} `json:"amount"`
	}
	var bankHub struct {
		Amount bankhook.Decimal `json:"amount"`
	}
	if err := json.Unmarshal([]byte(`{"amount":{"value":"-24.90","currency":"EUR"}}`), &bunq); err != nil {
		fmt.Println(err)
	}
	if err := json.Unmarshal([]byte(`{"amount":150000000.50}`), &bankHub); err != nil {
		fmt.Println(err)
	}
	fmt.Println(bunq.Amount.Value, bunq.Amount.Currency)
	fmt.Println(bankHub.Amount)

	out, _ := json.Marshal(bankHub)
	fmt.Println(string(out))
	// Output:
	// -24.90 EUR
	// 150000000.50
	// {"amount":"150000000.50"}
}

func ExampleDecimal_MinorUnits() {
	eur := bankhook.NewDecimal(-2495, -2)
	cents, err := eur.MinorUnits(2)
	fmt.Println(cents, err)

	vnd := bankhook.NewDecimal(25_000_000, 0)
	dong, err := vnd.MinorUnits(0)
	fmt.Println(dong, err)

	_, err = bankhook.NewDecimal(5, -3).MinorUnits(2)
	fmt.Println(errors.Is(err, bankhook.ErrInexact), err)
	// Output:
	// -2495 <nil>
	// 25000000 <nil>
	// true bankhook: decimal not representable exactly: 0.005 has more than 2 fraction digits
}

// orderPaid is the event of a made-up JSON webhook, for the examples of the
// typed stages: any type with an IdempotencyKey is a bankhook.Event.
type orderPaid struct {
	ID     string           `json:"id"`
	Amount bankhook.Decimal `json:"amount"`
}

func (o *orderPaid) IdempotencyKey() string { return "shop:order-paid:" + o.ID }

// decodeOrderPaid is the webhook's decoder: it names the bad field in a
// *bankhook.DecodeError, which the 400 answer passes on to the sender.
func decodeOrderPaid(body []byte) (*orderPaid, error) {
	var o orderPaid
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, &bankhook.DecodeError{Provider: "shop", Path: "", Err: err}
	}
	if o.ID == "" {
		return nil, &bankhook.DecodeError{Provider: "shop", Path: "/id", Err: errors.New("missing")}
	}
	return &o, nil
}

// post sends body to h as a JSON POST and returns the answer.
func post(h http.Handler, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func ExampleHandle() {
	h := bankhook.Chain(
		bankhook.Handle(func(ctx context.Context, o *orderPaid) error {
			fmt.Println("booking", o.ID, o.Amount)
			return nil // 200: the sender stops retrying
		}),
		bankhook.Observe(printRejections),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeOrderPaid),
	)
	fmt.Println(post(h, `{"id":"A-17","amount":"19.90"}`).Code)
	w := post(h, `{"amount":"19.90"}`)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	// Output:
	// booking A-17 19.90
	// 200
	// rejected /webhook: 400 bad_payload
	// 400 {"type":"about:blank","title":"Bad Request","status":400,"detail":"the body is not a valid event","reason":"bad_payload","field":"/id"}
}

// A handler whose write is still on its way when it must answer: it
// postpones, answers 503, and settles the key once the write is known to
// be stored. Meanwhile the bank's retry meets 409; afterwards it is a
// replay.
func ExamplePostpone() {
	stored := make(chan bool, 1)   // the outcome of a write, known later
	settled := make(chan struct{}) // closed once the key is settled
	h := bankhook.Chain(
		bankhook.Handle(func(ctx context.Context, o *orderPaid) error {
			settle, ok := bankhook.Postpone(ctx)
			if !ok {
				return errors.New("no reservation to settle")
			}
			go func() {
				settle(<-stored)
				close(settled)
			}()
			return &bankhook.StatusError{Status: http.StatusServiceUnavailable, Err: errors.New("write not confirmed yet")}
		}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeOrderPaid),
		bankhook.Dedupe(bankhook.DedupeOptions{Logger: slog.New(slog.DiscardHandler)}),
	)
	body := `{"id":"A-31","amount":"12.50"}`
	fmt.Println(post(h, body).Code)
	fmt.Println(post(h, body).Code, "while the write is on its way")
	stored <- true
	<-settled
	w := post(h, body)
	fmt.Println(w.Code, "replayed:", w.Header().Get(bankhook.HeaderIdempotentReplayed))
	// Output:
	// 503
	// 409 while the write is on its way
	// 200 replayed: true
}

func ExampleEventFrom() {
	h := bankhook.Chain(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o, ok := bankhook.EventFrom[*orderPaid](r.Context())
			fmt.Println(ok, o.ID)
		}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeOrderPaid),
	)
	post(h, `{"id":"A-18","amount":5}`)
	// Output:
	// true A-18
}

func ExampleStatusError() {
	attempts := 0
	h := bankhook.Chain(
		bankhook.Handle(func(ctx context.Context, o *orderPaid) error {
			attempts++
			if attempts == 1 {
				// The ledger is in maintenance: ask the sender to retry later.
				return &bankhook.StatusError{Status: http.StatusServiceUnavailable, Err: errors.New("ledger read-only")}
			}
			return nil
		}),
		bankhook.Observe(printRejections),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeOrderPaid),
		bankhook.Dedupe(bankhook.DedupeOptions{}),
	)
	fmt.Println(post(h, `{"id":"A-19","amount":"1.00"}`).Code)
	fmt.Println(post(h, `{"id":"A-19","amount":"1.00"}`).Code, "on the retry")
	// Output:
	// rejected /webhook: 503 handler_failed
	// 503
	// 200 on the retry
}

func ExampleDedupe() {
	calls := 0
	h := bankhook.Chain(
		bankhook.Handle(func(ctx context.Context, o *orderPaid) error {
			calls++
			return nil
		}),
		bankhook.Observe(bankhook.ObserverFuncs{}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeOrderPaid),
		bankhook.Dedupe(bankhook.DedupeOptions{Store: bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 10_000})}),
	)
	// The sender retries a delivery it did not see acknowledged; the body
	// may be formatted differently, the key is the same.
	for _, body := range []string{`{"id":"A-20","amount":"7.50"}`, `{ "amount": "7.50", "id": "A-20" }`} {
		w := post(h, body)
		fmt.Printf("%d replayed=%q\n", w.Code, w.Header().Get(bankhook.HeaderIdempotentReplayed))
	}
	fmt.Println("handled", calls, "time")
	// Output:
	// 200 replayed=""
	// 200 replayed="true"
	// handled 1 time
}

func ExampleDeadline() {
	h := bankhook.Chain(
		bankhook.Handle(func(ctx context.Context, o *orderPaid) error {
			<-ctx.Done() // a ledger call that never answers
			return ctx.Err()
		}),
		bankhook.Observe(printRejections),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeOrderPaid),
		bankhook.Deadline(10*time.Millisecond), // 25 s in production
	)
	fmt.Println(post(h, `{"id":"A-21","amount":"3"}`).Code)
	// Output:
	// rejected /webhook: 503 timeout
	// 503
}

func ExampleNewLRUStore() {
	ctx := context.Background()
	s := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 100_000})
	first, _ := s.Reserve(ctx, "shop:order-paid:A-22", time.Minute)
	again, _ := s.Reserve(ctx, "shop:order-paid:A-22", time.Minute)
	fmt.Println(first.State, again.State)
	_ = s.Complete(ctx, "shop:order-paid:A-22", first.Token, http.StatusOK, 72*time.Hour)
	done, _ := s.Reserve(ctx, "shop:order-paid:A-22", time.Minute)
	fmt.Println(done.State, done.Status)
	// Output:
	// reserved in_flight
	// done 200
}

// A store on a clock of the test's own: an event is remembered for its
// TTL, then handled again if the bank sends it once more.
func ExampleNewLRUStore_clock() {
	ctx := context.Background()
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	s := bankhook.NewLRUStore(bankhook.LRUStoreOptions{
		Capacity: 1_000,
		Now:      func() time.Time { return now },
	})
	res, _ := s.Reserve(ctx, "shop:order-paid:A-24", time.Minute)
	_ = s.Complete(ctx, "shop:order-paid:A-24", res.Token, http.StatusOK, 72*time.Hour)

	now = now.Add(71 * time.Hour)
	within, _ := s.Reserve(ctx, "shop:order-paid:A-24", time.Minute)
	now = now.Add(2 * time.Hour)
	after, _ := s.Reserve(ctx, "shop:order-paid:A-24", time.Minute)
	fmt.Println(within.State, after.State)
	// Output:
	// done reserved
}

// A receiver for any JSON webhook: the whole pipeline around a decoder and
// a typed function.
func ExampleNewReceiver() {
	var _ bankhook.Event = (*orderPaid)(nil) // what NewReceiver needs of the type: its IdempotencyKey
	h, err := bankhook.NewReceiver(decodeOrderPaid,
		func(ctx context.Context, o *orderPaid) error {
			key, _ := bankhook.IdempotencyKeyFrom(ctx)
			fmt.Println("handled", key)
			return nil
		},
		bankhook.ReceiverOptions{
			Tokens:   []string{"s3cret"}, // the shop calls https://example.com/webhook?token=s3cret
			Observer: printRejections,
		})
	if err != nil {
		panic(err)
	}
	send := func(target string) int {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"id":"A-23","amount":"12.00"}`))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	fmt.Println(send("/webhook"))
	fmt.Println(send("/webhook?token=s3cret"))
	fmt.Println(send("/webhook?token=s3cret"))
	// Output:
	// rejected /webhook: 401 bad_token
	// 401
	// handled shop:order-paid:A-23
	// 200
	// 200
}

// A receiver that reads each event's key from the body before decoding
// it: a delivery whose key is in flight is answered 409 undecoded. A key
// reader that disagrees with decode is caught: an event it gives another
// event's key is answered 500 (the bank retries), never as a duplicate.
func ExampleNewKeyedReceiver() {
	readID := func(body []byte) (string, bool) {
		var head struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &head); err != nil || head.ID == "" {
			return "", false // decoded for its key instead
		}
		return head.ID, true
	}
	good := func(body []byte) (string, bool) { // exactly orderPaid's key
		id, ok := readID(body)
		return "shop:order-paid:" + id, ok
	}
	bad := func(body []byte) (string, bool) { // a bug: only the id's first 5 characters
		id, ok := readID(body)
		return "shop:order-paid:" + id[:min(5, len(id))], ok
	}
	for _, reader := range []func([]byte) (string, bool){good, bad} {
		h, err := bankhook.NewKeyedReceiver(decodeOrderPaid, reader,
			func(ctx context.Context, o *orderPaid) error { return nil },
			bankhook.ReceiverOptions{
				Tokens: []string{"s3cret"},
				Observer: bankhook.ObserverFuncs{OnRejected: func(r *http.Request, rej bankhook.Rejection) {
					fmt.Println("  rejected:", rej.Status, rej.Reason, errors.Is(rej.Err, bankhook.ErrKeyMismatch))
				}},
			})
		if err != nil {
			panic(err)
		}
		for _, body := range []string{`{"id":"A-261","amount":"9.99"}`, `{"id":"A-261","amount":"9.99"}`, `{"id":"A-2610","amount":"5.00"}`} {
			r := httptest.NewRequest(http.MethodPost, "/webhook?token=s3cret", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			fmt.Printf("%d replayed=%q\n", w.Code, w.Header().Get(bankhook.HeaderIdempotentReplayed))
		}
	}
	// Output:
	// 200 replayed=""
	// 200 replayed="true"
	// 200 replayed=""
	// 200 replayed=""
	// 200 replayed="true"
	//   rejected: 500 handler_failed true
	// 500 replayed=""
}

func ExampleDecode() {
	h := bankhook.Chain(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o, _ := bankhook.EventFrom[*orderPaid](r.Context())
			fmt.Println("decoded", o.ID, o.Amount)
		}),
		bankhook.Observe(printRejections),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeOrderPaid),
	)
	post(h, `{"id":"A-24","amount":18.40}`)
	post(h, `{"id":"A-25","amount":"eighteen"}`)
	// Output:
	// decoded A-24 18.40
	// rejected /webhook: 400 bad_payload
}
