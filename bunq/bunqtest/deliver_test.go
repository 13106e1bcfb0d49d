package bunqtest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

// cert is a self-signed certificate for 127.0.0.1 and its PEM.
type cert struct {
	pem string
	tls tls.Certificate
	x   *x509.Certificate
}

func selfSigned(t *testing.T, name string) cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	x, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert{
		pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		tls: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: x},
		x:   x,
	}
}

// receiver is an https callback server on loopback whose answers the
// test decides.
type receiver struct {
	*httptest.Server
	status atomic.Int32 // the status answered; 200 unless set

	mu       sync.Mutex // guards bodies and times
	bodies   [][]byte
	times    []time.Time // the stand-in's clock at each call
	clockNow func() time.Time
}

func newReceiver(t *testing.T, c cert, now func() time.Time) *receiver {
	t.Helper()
	r := &receiver{clockNow: now}
	r.status.Store(200)
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.times = append(r.times, r.clockNow())
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
	}))
	r.TLS = &tls.Config{Certificates: []tls.Certificate{c.tls}}
	r.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what some tests want
	r.StartTLS()
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) calls() ([][]byte, []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...), append([]time.Time(nil), r.times...)
}

// trusting returns a TLS config that trusts c.
func trusting(certs ...cert) *tls.Config {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c.x)
	}
	return &tls.Config{RootCAs: pool}
}

// makeFailures has n MUTATION callbacks to target fail six times.
func makeFailures(t *testing.T, srv *bunqtest.Server, u bunqtest.User, target string, n int) {
	t.Helper()
	require.NoError(t, srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: target}}))
	for i := range n {
		_, err := srv.Notify(u.ID, 0, bunq.CategoryMutation, bunq.EventMutationCreated, &bunq.Payment{ID: int64(i + 1)})
		require.NoError(t, err)
	}
	srv.Advance(bunq.RetrySchedule().Span())
	require.Zero(t, srv.Pending())
}

func TestDeliverySchedule(t *testing.T) {
	c := selfSigned(t, "hooks.test")
	srv := newServer(t, bunqtest.Options{DeliveryTLS: trusting(c)})
	rcv := newReceiver(t, c, srv.Now)
	rcv.status.Store(500)
	u := addUser(t, srv, "")
	require.NoError(t, srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{
		{Category: bunq.CategoryMutation, NotificationTarget: rcv.URL + "/bunq?token=s3cret"},
	}))

	p, err := srv.Pay(u.AccountID, "-12.50", "coffee")
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Pending(), "MUTATION only: there is no PAYMENT filter")
	assert.Equal(t, 1, srv.Advance(0), "the first attempt is due at once")
	assert.Equal(t, 0, srv.Advance(59*time.Second))
	assert.Equal(t, 5, srv.Advance(10*time.Minute), "5 retries")

	bodies, times := rcv.calls()
	require.Len(t, bodies, 6)
	start := bunqtest.DefaultStart()
	for i, at := range times {
		assert.Equal(t, start.Add(time.Duration(i)*time.Minute), at, "attempt %d a minute after the one before", i+1)
	}
	n, err := bunq.Decode(bodies[0])
	require.NoError(t, err)
	assert.Equal(t, bunq.CategoryMutation, n.Category)
	assert.Equal(t, bunq.EventMutationCreated, n.EventType)
	assert.Equal(t, rcv.URL+"/bunq?token=s3cret", n.TargetURL)
	got, ok := n.Object.(*bunq.Payment)
	require.True(t, ok)
	assert.Equal(t, p.ID, got.ID)
	assert.Equal(t, "-12.50 EUR", got.Amount.String())
	for _, b := range bodies[1:] {
		assert.Equal(t, bodies[0], b, "a retry is the same body")
	}

	failures := srv.Failures(u.ID)
	require.Len(t, failures, 1, "listed after the sixth attempt")
	f := failures[0]
	assert.Equal(t, bunq.CategoryMutation, f.Category)
	assert.Equal(t, bunq.EventMutationCreated, f.EventType)
	assert.Equal(t, p.ID, f.ObjectID)
	assert.Equal(t, 500, f.ResponseCode)
	assert.Equal(t, start.Add(5*time.Minute), f.Created.Time)
	require.Len(t, f.NotificationFilters, 1)
	assert.Equal(t, bunq.DeliveryURL, f.NotificationFilters[0].NotificationDeliveryMethod)

	// Re-sent through the API, it is delivered again.
	rcv.status.Store(200)
	assert.Equal(t, rcv.URL+"/bunq?token=s3cret", f.NotificationTarget)
	w := login(t, srv, u.APIKey)
	listed := w.do("GET", w.user("/notification-filter-failure"), w.session, nil, true)
	require.Equal(t, 200, listed.status, string(listed.body))
	require.Len(t, listed.items(t), 1)
	var wire struct {
		Target string `json:"notification_target"`
	}
	require.NoError(t, json.Unmarshal(listed.items(t)[0]["NotificationFilterFailure"], &wire))
	assert.Equal(t, rcv.URL+"/bunq?token=s3cret", wire.Target, "listed with the URL the callback failed on")

	a := w.do("POST", w.user("/notification-filter-failure"), w.session, mustJSON(t, map[string]string{"notification_filter_failed_ids": "1"}), true)
	require.Equal(t, 200, a.status, string(a.body))
	assert.Empty(t, srv.Failures(u.ID), "a re-sent failure leaves the listing")
	assert.Equal(t, 1, srv.Advance(0))
	bodies, _ = rcv.calls()
	require.Len(t, bodies, 7)
	assert.Equal(t, bodies[0], bodies[6], "the same callback")
	assert.Zero(t, srv.Pending())
	assert.Empty(t, srv.Failures(u.ID))
}

func TestDeliveryFailsAgainUnderANewID(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	u := addUser(t, srv, "")
	makeFailures(t, srv, u, "https://127.0.0.1:1/down", 1)
	f := srv.Failures(u.ID)
	require.Len(t, f, 1)
	assert.Zero(t, f[0].ResponseCode, "no answer")
	assert.Contains(t, f[0].ExceptionMessage, "refused")
	assert.NotContains(t, f[0].ExceptionMessage, "/down", "the URL, which may hold a token, is not repeated")

	w := login(t, srv, u.APIKey)
	a := w.do("POST", w.user("/notification-filter-failure"), w.session, mustJSON(t, map[string]string{"notification_filter_failed_ids": "1,77"}), true)
	require.Equal(t, 404, a.status, "an id not listed refuses the request")
	a = w.do("POST", w.user("/notification-filter-failure"), w.session, mustJSON(t, map[string]string{"notification_filter_failed_ids": "1"}), true)
	require.Equal(t, 200, a.status)
	srv.Advance(5 * time.Minute)
	f = srv.Failures(u.ID)
	require.Len(t, f, 1)
	assert.Equal(t, int64(2), f[0].ID)
}

func TestDeliveryMatchesFilters(t *testing.T) {
	c := selfSigned(t, "hooks.test")
	srv := newServer(t, bunqtest.Options{DeliveryTLS: trusting(c)})
	a, b := newReceiver(t, c, srv.Now), newReceiver(t, c, srv.Now)
	u := addUser(t, srv, "")
	other, err := srv.AddAccount(u.ID)
	require.NoError(t, err)
	require.NoError(t, srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{
		{Category: bunq.CategoryMutation, NotificationTarget: a.URL + "/m"},
		{Category: bunq.CategoryPayment, NotificationTarget: a.URL + "/p"},
	}))
	require.NoError(t, srv.SetFilters(u.ID, other, []bunq.NotificationFilterURL{
		{Category: bunq.CategoryMutation, NotificationTarget: b.URL + "/m"},
	}))

	_, err = srv.Pay(u.AccountID, "5.00", "in")
	require.NoError(t, err)
	_, err = srv.Pay(other, "-1", "out")
	require.NoError(t, err)
	srv.Advance(0)

	aBodies, _ := a.calls()
	bBodies, _ := b.calls()
	assert.Len(t, aBodies, 4, "user filters: MUTATION and PAYMENT of both payments")
	assert.Len(t, bBodies, 1, "the account's filter: the MUTATION of its payment only")
	n, err := bunq.Decode(bBodies[0])
	require.NoError(t, err)
	assert.Equal(t, bunq.EventMutationCreated, n.EventType)

	_, err = srv.Pay(u.AccountID, "0", "nothing")
	assert.ErrorContains(t, err, "zero")
	_, err = srv.Pay(99, "1", "x")
	assert.ErrorContains(t, err, "no monetary account 99")
	_, err = srv.Notify(u.ID, 99, bunq.CategoryMutation, bunq.EventMutationCreated, &bunq.Payment{ID: 1})
	assert.ErrorContains(t, err, "no monetary account 99")
}

func TestDeliveryChecksPins(t *testing.T) {
	served, other := selfSigned(t, "hooks.test"), selfSigned(t, "other.test")
	srv := newServer(t, bunqtest.Options{DeliveryTLS: trusting(served)})
	rcv := newReceiver(t, served, srv.Now)
	u := addUser(t, srv, "")
	require.NoError(t, srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: rcv.URL}}))
	w := login(t, srv, u.APIKey)
	pinChain := func(c cert) {
		a := w.do("POST", w.user("/certificate-pinned"), w.session, mustJSON(t, map[string]any{"certificate_chain": []map[string]string{{"certificate": c.pem}}}), true)
		require.Equal(t, 200, a.status, string(a.body))
	}

	pinChain(other)
	_, err := srv.Pay(u.AccountID, "1", "x")
	require.NoError(t, err)
	srv.Advance(0)
	bodies, _ := rcv.calls()
	assert.Empty(t, bodies, "the server does not present the pinned certificate: nothing is sent")
	assert.Equal(t, 1, srv.Pending(), "the callback waits for its retry")

	pinChain(served)
	srv.Advance(time.Minute)
	bodies, _ = rcv.calls()
	assert.Len(t, bodies, 1, "one of the pinned chains is presented")
	assert.Zero(t, srv.Pending())
}

func TestUntrustedServerFails(t *testing.T) {
	c := selfSigned(t, "hooks.test")
	srv := newServer(t, bunqtest.Options{}) // system roots only
	rcv := newReceiver(t, c, srv.Now)
	u := addUser(t, srv, "")
	makeFailures(t, srv, u, rcv.URL, 1)
	bodies, _ := rcv.calls()
	assert.Empty(t, bodies)
	f := srv.Failures(u.ID)
	require.Len(t, f, 1)
	assert.Contains(t, f[0].ExceptionMessage, "certificate")
}
