package bankhook_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/bankhook/bankhook"
)

// selfSigned returns a new self-signed certificate for cn and its key.
func selfSigned(cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     []string{cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(90 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return cert, key
}

// trusting returns a client configuration that trusts srv's certificate,
// as a bank's pinning trusts the pinned one.
func trusting(srv *httptest.Server) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &tls.Config{RootCAs: pool}
}

func ExampleEncodePEM() {
	cert, _ := selfSigned("hook.example.com")

	pemBytes := bankhook.EncodePEM([]*x509.Certificate{cert})
	fmt.Print(string(pemBytes[:28]))

	chain, err := bankhook.ParsePEMChain(pemBytes)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(chain), chain[0].Subject, chain[0].Equal(cert))
	// Output:
	// -----BEGIN CERTIFICATE-----
	// 1 CN=hook.example.com true
}

func ExampleParsePEMChain() {
	_, key := selfSigned("hook.example.com")
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	_, err = bankhook.ParsePEMChain(keyPEM)
	fmt.Println(err)
	_, err = bankhook.ParsePEMChain([]byte("no PEM here"))
	fmt.Println(errors.Is(err, bankhook.ErrNoCertificate))
	// Output:
	// bankhook: pin: PEM block 0 is "PRIVATE KEY", not CERTIFICATE
	// true
}

func ExampleFetchChain() {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()

	chain, err := bankhook.FetchChain(context.Background(), srv.Listener.Addr().String(), trusting(srv))
	if err != nil {
		panic(err)
	}
	fmt.Println(len(chain), chain[0].Equal(srv.Certificate()))
	// Output: 1 true
}

// CheckPin verifies the served chain against the system's roots, as the
// bank does; a test server's certificate is not among them.
func ExampleCheckPin() {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	pinned := bankhook.EncodePEM([]*x509.Certificate{srv.Certificate()})

	_, err := bankhook.CheckPin(context.Background(), srv.Listener.Addr().String(), pinned, bankhook.CheckPinOptions{})
	var verr *tls.CertificateVerificationError
	fmt.Println(errors.As(err, &verr))
	// Output: true
}

func ExampleCheckPin_privateCA() {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	ctx := context.Background()

	// What was pinned at the bank: the server's own chain.
	pinned := bankhook.EncodePEM([]*x509.Certificate{srv.Certificate()})
	r, err := bankhook.CheckPin(ctx, addr, pinned, bankhook.CheckPinOptions{TLS: trusting(srv)})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Match, r.Verified, len(r.Pinned), len(r.Served), r.Problem(14*24*time.Hour))

	// A pin of some other certificate: the server no longer matches it.
	other, _ := selfSigned("hook.example.com")
	r, err = bankhook.CheckPin(ctx, addr, bankhook.EncodePEM([]*x509.Certificate{other}), bankhook.CheckPinOptions{TLS: trusting(srv)})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Match, r.Pinned[0].Matched, errors.Is(r.Problem(14*24*time.Hour), bankhook.ErrPinMismatch))
	// Output:
	// true true 1 1 <nil>
	// false false true
}

func ExamplePinReport_ProblemAt() {
	leaf := bankhook.PinCertificate{
		Subject:  "CN=hook.example.com",
		NotAfter: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC),
		Matched:  true,
	}
	r := bankhook.PinReport{
		Addr:      "hook.example.com:443",
		Match:     true,
		LeafMatch: true,
		Pinned:    []bankhook.PinCertificate{leaf},
		Served:    []bankhook.PinCertificate{leaf},
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

	fmt.Println(r.DaysLeftAt(now))
	fmt.Println(r.ProblemAt(now, 7*24*time.Hour))
	fmt.Println(r.ProblemAt(now, 14*24*time.Hour))
	// Output:
	// 9
	// <nil>
	// bankhook: pinned certificate expiring: hook.example.com:443: pinned certificate 0 (CN=hook.example.com) expires 2026-03-10T00:00:00Z, 9 days from now
}
