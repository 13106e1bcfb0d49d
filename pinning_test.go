package bankhook

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
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
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testIssuer is a certificate with its key, able to sign others.
type testIssuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// testPKI is a root CA and an intermediate CA it signed; leaves are signed
// by the intermediate, as a public CA does.
type testPKI struct {
	root, inter testIssuer
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	root := issueTestCert(t, caTemplate("bankhook test root"), nil)
	inter := issueTestCert(t, caTemplate("bankhook test intermediate"), &root)
	return &testPKI{root: root, inter: inter}
}

func caTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"bankhook test"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(5 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
}

// issueTestCert signs tmpl with parent's key, or self-signs it when parent
// is nil.
func issueTestCert(t testing.TB, tmpl *x509.Certificate, parent *testIssuer) testIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	require.NoError(t, err)
	tmpl.SerialNumber = serial
	parentCert, parentKey := tmpl, key
	if parent != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, parentKey)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return testIssuer{cert: c, key: key}
}

// leaf issues a server certificate for 127.0.0.1, ::1, localhost and
// hook.example.com, valid until notAfter, and returns it with the
// intermediate as a server presents them.
func (p *testPKI) leaf(t testing.TB, notAfter time.Time) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "hook.example.com"},
		DNSNames:    []string{"localhost", "hook.example.com"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	l := issueTestCert(t, tmpl, &p.inter)
	return tls.Certificate{
		Certificate: [][]byte{l.cert.Raw, p.inter.cert.Raw},
		PrivateKey:  l.key,
		Leaf:        l.cert,
	}
}

// roots is a pool trusting the test root.
func (p *testPKI) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.root.cert)
	return pool
}

// parsedChain parses the DER chain of c.
func parsedChain(t testing.TB, c tls.Certificate) []*x509.Certificate {
	t.Helper()
	chain := make([]*x509.Certificate, len(c.Certificate))
	for i, der := range c.Certificate {
		x, err := x509.ParseCertificate(der)
		require.NoError(t, err)
		chain[i] = x
	}
	return chain
}

// testServer is an httptest TLS server that records the server name (SNI)
// of every ClientHello it receives.
type testServer struct {
	*httptest.Server

	mu  sync.Mutex // guards sni
	sni []string
}

// startTestServer serves cert over TLS on ln (an IPv4 loopback listener
// when ln is nil) until the test ends.
func startTestServer(t testing.TB, cert tls.Certificate, ln net.Listener) *testServer {
	t.Helper()
	s := &testServer{Server: httptest.NewUnstartedServer(http.NotFoundHandler())}
	if ln != nil {
		require.NoError(t, s.Listener.Close())
		s.Listener = ln
	}
	s.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.sni = append(s.sni, hello.ServerName)
			return nil, nil
		},
	}
	// Handshakes the client refuses are expected; keep them out of the
	// test output.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// serverNames returns the server names received so far.
func (s *testServer) serverNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sni...)
}

func (s *testServer) port() string {
	_, port, err := net.SplitHostPort(s.Listener.Addr().String())
	if err != nil {
		panic(err)
	}
	return port
}

func TestSplitPinAddr(t *testing.T) {
	tests := []struct {
		name       string
		addr       string
		host, port string
		err        string
	}{
		{name: "host", addr: "hook.example.com", host: "hook.example.com", port: "443"},
		{name: "host and port", addr: "hook.example.com:8443", host: "hook.example.com", port: "8443"},
		{name: "IPv4", addr: "192.0.2.1", host: "192.0.2.1", port: "443"},
		{name: "IPv4 and port", addr: "192.0.2.1:8443", host: "192.0.2.1", port: "8443"},
		{name: "bare IPv6", addr: "2001:db8::1", host: "2001:db8::1", port: "443"},
		{name: "bare IPv6 is all address", addr: "::1:443", host: "::1:443", port: "443"},
		{name: "bracketed IPv6", addr: "[2001:db8::1]", host: "2001:db8::1", port: "443"},
		{name: "bracketed IPv6 and port", addr: "[::1]:8443", host: "::1", port: "8443"},
		{name: "IPv6 with zone", addr: "fe80::1%eth0", host: "fe80::1%eth0", port: "443"},
		{name: "bracketed IPv6 with zone and port", addr: "[fe80::1%eth0]:8443", host: "fe80::1%eth0", port: "8443"},
		{name: "highest port", addr: "hook.example.com:65535", host: "hook.example.com", port: "65535"},
		{name: "empty", addr: "", err: "empty address"},
		{name: "URL", addr: "https://hook.example.com/bunq", err: "not a URL"},
		{name: "path", addr: "hook.example.com/bunq", err: "not a URL"},
		{name: "space", addr: "hook example.com", err: "not a URL"},
		{name: "missing host", addr: ":443", err: "missing host"},
		{name: "empty port", addr: "hook.example.com:", err: `port ""`},
		{name: "port zero", addr: "hook.example.com:0", err: `port "0"`},
		{name: "port too large", addr: "hook.example.com:65536", err: `port "65536"`},
		{name: "service name", addr: "hook.example.com:https", err: `port "https"`},
		{name: "name in brackets", addr: "[hook.example.com]:443", err: "not an IPv6 address"},
		{name: "IPv4 in brackets", addr: "[192.0.2.1]:443", err: "not an IPv6 address"},
		{name: "unclosed bracket", addr: "[::1:443", err: "missing ']'"},
		{name: "two colons", addr: "hook.example.com:443:1", err: "too many colons"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, port, err := splitPinAddr(tt.addr)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.host, host)
			assert.Equal(t, tt.port, port)
		})
	}
}

func TestFetchChain(t *testing.T) {
	pki := newTestPKI(t)
	cert := pki.leaf(t, time.Now().Add(90*24*time.Hour))
	srv := startTestServer(t, cert, nil)

	tests := []struct {
		name string
		addr string
		cfg  *tls.Config
		sni  string // the server name the server must receive
		err  any    // a pointer to the error type expected, nil for success
	}{
		{
			name: "IP address verified against the IP SAN, no SNI",
			addr: "127.0.0.1:" + srv.port(),
			cfg:  &tls.Config{RootCAs: pki.roots()},
			sni:  "",
		},
		{
			name: "host name sent as SNI",
			addr: "localhost:" + srv.port(),
			cfg:  &tls.Config{RootCAs: pki.roots()},
			sni:  "localhost",
		},
		{
			name: "ServerName overrides the host",
			addr: "127.0.0.1:" + srv.port(),
			cfg:  &tls.Config{RootCAs: pki.roots(), ServerName: "hook.example.com"},
			sni:  "hook.example.com",
		},
		{
			name: "InsecureSkipVerify without roots",
			addr: "127.0.0.1:" + srv.port(),
			cfg:  &tls.Config{InsecureSkipVerify: true},
			sni:  "",
		},
		{
			name: "nil config verifies against the system roots",
			addr: "localhost:" + srv.port(),
			cfg:  nil,
			sni:  "localhost",
			err:  new(*tls.CertificateVerificationError),
		},
		{
			name: "name not in the certificate",
			addr: "127.0.0.1:" + srv.port(),
			cfg:  &tls.Config{RootCAs: pki.roots(), ServerName: "other.example.com"},
			sni:  "other.example.com",
			err:  new(x509.HostnameError),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.serverNames())
			var orig *tls.Config
			if tt.cfg != nil {
				orig = tt.cfg.Clone()
			}

			chain, err := FetchChain(t.Context(), tt.addr, tt.cfg)

			names := srv.serverNames()
			require.Len(t, names, before+1, "one ClientHello")
			assert.Equal(t, tt.sni, names[before])
			if tt.cfg != nil {
				assert.Equal(t, orig.ServerName, tt.cfg.ServerName, "caller's config changed")
			}
			if tt.err != nil {
				require.Error(t, err)
				assert.ErrorAs(t, err, tt.err)
				assert.ErrorContains(t, err, "bankhook: pin "+tt.addr+": ")
				assert.Nil(t, chain)
				return
			}
			require.NoError(t, err)
			require.Len(t, chain, 2)
			for i := range chain {
				assert.Equal(t, cert.Certificate[i], chain[i].Raw, "certificate %d", i)
			}
		})
	}
}

func TestFetchChainIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	pki := newTestPKI(t)
	cert := pki.leaf(t, time.Now().Add(90*24*time.Hour))
	srv := startTestServer(t, cert, ln)

	addrs := []struct{ name, addr string }{
		{name: "bracketed", addr: "[::1]:" + srv.port()},
	}
	// With a zone, which the certificate's IP address does not carry.
	if ifs, err := net.Interfaces(); err == nil {
		for _, ifc := range ifs {
			if ifc.Flags&net.FlagLoopback != 0 {
				addrs = append(addrs, struct{ name, addr string }{name: "with zone", addr: "[::1%" + ifc.Name + "]:" + srv.port()})
				break
			}
		}
	}
	for _, tt := range addrs {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.serverNames())
			chain, err := FetchChain(t.Context(), tt.addr, &tls.Config{RootCAs: pki.roots()})
			require.NoError(t, err)
			require.Len(t, chain, 2)
			assert.Equal(t, cert.Certificate[0], chain[0].Raw)
			assert.Equal(t, []string{""}, srv.serverNames()[before:], "no SNI for an IP address")
		})
	}
}

// TestFetchChainSessionCache checks that a session cache in the caller's
// config cannot make FetchChain report a chain remembered from an earlier
// connection instead of the one the server presents now.
func TestFetchChainSessionCache(t *testing.T) {
	pki := newTestPKI(t)
	first := pki.leaf(t, time.Now().Add(90*24*time.Hour))
	second := pki.leaf(t, time.Now().Add(90*24*time.Hour))

	var current sync.Map // "cert" → tls.Certificate
	current.Store("cert", first)
	s := httptest.NewUnstartedServer(http.NotFoundHandler())
	s.TLS = &tls.Config{
		// TLS 1.2 hands out session tickets within the handshake, so the
		// first fetch fills the cache even though it reads nothing after.
		MaxVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			c, _ := current.Load("cert")
			return &tls.Config{MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{c.(tls.Certificate)}}, nil
		},
	}
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)

	cache := tls.NewLRUClientSessionCache(4)
	cfg := &tls.Config{RootCAs: pki.roots(), ClientSessionCache: cache}
	addr := s.Listener.Addr().String()

	chain, err := FetchChain(t.Context(), addr, cfg)
	require.NoError(t, err)
	assert.Equal(t, first.Certificate[0], chain[0].Raw)
	// The server would resume the session, so the cache must be bypassed
	// rather than merely empty: a client that uses it gets a resumption.
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pki.roots(), ClientSessionCache: cache})
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	resumed, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pki.roots(), ClientSessionCache: cache})
	require.NoError(t, err)
	require.True(t, resumed.ConnectionState().DidResume, "the test server does not resume sessions")
	require.NoError(t, resumed.Close())

	current.Store("cert", second)
	chain, err = FetchChain(t.Context(), addr, cfg)
	require.NoError(t, err)
	assert.Equal(t, second.Certificate[0], chain[0].Raw)
	assert.Same(t, cache, cfg.ClientSessionCache, "caller's config changed")
}

// silentListener accepts connections on the IPv4 loopback, reads the
// ClientHello and then never answers. Each ClientHello read is signalled on
// hello.
func silentListener(t *testing.T) (addr string, hello <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ch := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				buf := make([]byte, 4096)
				if _, err := c.Read(buf); err != nil {
					return
				}
				select {
				case ch <- struct{}{}:
				default:
				}
				_, _ = io.Copy(io.Discard, c) // until the client gives up
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), ch
}

func TestFetchChainContext(t *testing.T) {
	tests := []struct {
		name string
		// ctx returns the context to fetch with; it may use hello, which
		// receives when the server has read the ClientHello.
		ctx  func(t *testing.T, hello <-chan struct{}) context.Context
		want error
	}{
		{
			name: "cancelled during the handshake",
			ctx: func(t *testing.T, hello <-chan struct{}) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				t.Cleanup(cancel)
				go func() {
					select {
					case <-hello:
						cancel()
					case <-ctx.Done():
					}
				}()
				return ctx
			},
			want: context.Canceled,
		},
		{
			name: "deadline passes during the handshake",
			ctx: func(t *testing.T, _ <-chan struct{}) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			want: context.DeadlineExceeded,
		},
		{
			name: "cancelled before the dial",
			ctx: func(t *testing.T, _ <-chan struct{}) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			want: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, hello := silentListener(t)
			chain, err := FetchChain(tt.ctx(t, hello), addr, &tls.Config{InsecureSkipVerify: true})
			require.ErrorIs(t, err, tt.want)
			assert.ErrorContains(t, err, "bankhook: pin "+addr+": ")
			assert.Nil(t, chain)
		})
	}
}

func TestFetchChainErrors(t *testing.T) {
	// A port that refuses: listen, note the address, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := ln.Addr().String()
	require.NoError(t, ln.Close())

	tests := []struct {
		name string
		addr string
		err  string
	}{
		{name: "connection refused", addr: refused, err: "bankhook: pin " + refused + ": "},
		{name: "bad address", addr: "https://hook.example.com/", err: `bankhook: pin address "https://hook.example.com/": `},
		{name: "bad port", addr: "127.0.0.1:99999", err: `bankhook: pin address "127.0.0.1:99999": port "99999"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, err := FetchChain(t.Context(), tt.addr, nil)
			require.ErrorContains(t, err, tt.err)
			assert.Nil(t, chain)
		})
	}
}

func TestEncodePEMRoundTrip(t *testing.T) {
	pki := newTestPKI(t)
	cert := pki.leaf(t, time.Now().Add(90*24*time.Hour))
	chain := append(parsedChain(t, cert), pki.root.cert)

	tests := []struct {
		name  string
		chain []*x509.Certificate
		want  []*x509.Certificate
	}{
		{name: "leaf", chain: chain[:1], want: chain[:1]},
		{name: "leaf, intermediate, root", chain: chain, want: chain},
		{name: "nil entries skipped", chain: []*x509.Certificate{nil, chain[0], nil, chain[1]}, want: chain[:2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := EncodePEM(tt.chain)

			// The layout openssl writes: blocks back to back, base64 in
			// lines of 64, every line ended by a newline.
			require.True(t, bytes.HasPrefix(out, []byte("-----BEGIN CERTIFICATE-----\n")))
			require.True(t, bytes.HasSuffix(out, []byte("-----END CERTIFICATE-----\n")))
			for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
				assert.LessOrEqual(t, len(line), 64, "line %q", line)
			}
			assert.Equal(t, len(tt.want), bytes.Count(out, []byte("-----BEGIN CERTIFICATE-----\n")))

			got, err := ParsePEMChain(out)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			for i := range got {
				assert.Equal(t, tt.want[i].Raw, got[i].Raw, "certificate %d", i)
			}
			assert.Equal(t, out, EncodePEM(got), "re-encoding changed the bytes")
		})
	}

	assert.Nil(t, EncodePEM(nil))
	assert.Nil(t, EncodePEM([]*x509.Certificate{nil}))
}

// TestEncodePEMMatchesOpenSSL runs the pipeline the banks document against a
// test server and compares its output with EncodePEM's.
func TestEncodePEMMatchesOpenSSL(t *testing.T) {
	for _, tool := range []string{"openssl", "sed", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	pki := newTestPKI(t)
	cert := pki.leaf(t, time.Now().Add(90*24*time.Hour))
	srv := startTestServer(t, cert, nil)
	addr := "127.0.0.1:" + srv.port()
	chain, err := FetchChain(t.Context(), addr, &tls.Config{RootCAs: pki.roots(), ServerName: "localhost"})
	require.NoError(t, err)

	tests := []struct {
		name  string
		flags string
		want  []byte
	}{
		{name: "documented command: leaf only", flags: "", want: EncodePEM(chain[:1])},
		{name: "with -showcerts: the chain", flags: "-showcerts", want: EncodePEM(chain)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pipeline := "openssl s_client " + tt.flags + " -servername localhost -connect " + addr +
				` < /dev/null 2>/dev/null | sed -n "/-----BEGIN/,/-----END/p"`
			out, err := exec.CommandContext(t.Context(), "sh", "-c", pipeline).Output()
			require.NoError(t, err)
			require.NotEmpty(t, out, "openssl printed no certificate")
			assert.Equal(t, string(tt.want), string(out))
		})
	}
	assert.Contains(t, srv.serverNames(), "localhost")
}

func pemBlock(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestParsePEMChain(t *testing.T) {
	pki := newTestPKI(t)
	cert := pki.leaf(t, time.Now().Add(90*24*time.Hour))
	leafPEM := pemBlock("CERTIFICATE", cert.Certificate[0])
	interPEM := pemBlock("CERTIFICATE", cert.Certificate[1])
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	require.NoError(t, err)
	keyPEM := pemBlock("PRIVATE KEY", keyDER)
	truncated := leafPEM[:len(leafPEM)/2]
	// A block whose base64 is broken; pem.Decode on its own would pass
	// over it to the next block.
	corrupt := strings.Replace(leafPEM, "\n", "\n!!!!\n", 2)

	tests := []struct {
		name string
		in   string
		want [][]byte // DER of the certificates expected
		err  string
		is   error
	}{
		{name: "leaf", in: leafPEM, want: cert.Certificate[:1]},
		{name: "chain", in: leafPEM + interPEM, want: cert.Certificate},
		{
			name: "openssl s_client output around the blocks",
			in:   "CONNECTED(00000003)\n---\nCertificate chain\n 0 s:CN = hook.example.com\n" + leafPEM + " 1 s:CN = intermediate\n" + interPEM + "---\nServer certificate\nsubject=CN = hook.example.com\n",
			want: cert.Certificate,
		},
		{name: "CRLF line ends", in: strings.ReplaceAll(leafPEM, "\n", "\r\n"), want: cert.Certificate[:1]},
		{name: "empty", in: "", is: ErrNoCertificate, err: "bankhook: no certificate in the PEM input"},
		{name: "text only", in: "not a certificate\n", is: ErrNoCertificate},
		{name: "private key", in: keyPEM, err: `bankhook: pin: PEM block 0 is "PRIVATE KEY", not CERTIFICATE`},
		{name: "private key after the leaf", in: leafPEM + keyPEM, err: `PEM block 1 is "PRIVATE KEY"`},
		{name: "not DER", in: pemBlock("CERTIFICATE", []byte("garbage")), err: "PEM block 0 (CERTIFICATE): x509: malformed certificate"},
		{name: "truncated last block", in: leafPEM + truncated, err: "PEM block 1: malformed or truncated"},
		{name: "corrupt block before a good one", in: corrupt + interPEM, err: "PEM block 0: malformed"},
		{name: "corrupt block between good ones", in: leafPEM + corrupt + interPEM, err: "PEM block 1: malformed"},
		{name: "stray END line", in: leafPEM + "-----END CERTIFICATE-----\n", err: "PEM block 1: malformed or truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, err := ParsePEMChain([]byte(tt.in))
			if tt.err != "" || tt.is != nil {
				require.Error(t, err)
				assert.Nil(t, chain)
				if tt.err != "" {
					assert.ErrorContains(t, err, tt.err)
				}
				if tt.is != nil {
					assert.ErrorIs(t, err, tt.is)
				}
				return
			}
			require.NoError(t, err)
			require.Len(t, chain, len(tt.want))
			for i := range chain {
				assert.Equal(t, tt.want[i], chain[i].Raw, "certificate %d", i)
			}
		})
	}
}

func TestCheckPin(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	current := pki.leaf(t, now.Add(90*24*time.Hour))
	rotated := pki.leaf(t, now.Add(90*24*time.Hour))
	// x509 keeps whole seconds; so must the expiry the test computes with.
	soon := now.Add(10 * 24 * time.Hour).Truncate(time.Second)
	expiring := pki.leaf(t, soon)
	expired := pki.leaf(t, now.Add(-time.Minute))
	leafOnly := tls.Certificate{Certificate: current.Certificate[:1], PrivateKey: current.PrivateKey}

	verify := &tls.Config{RootCAs: pki.roots()}
	noVerify := &tls.Config{InsecureSkipVerify: true}

	tests := []struct {
		name      string
		serve     tls.Certificate
		pin       []byte
		cfg       *tls.Config
		match     bool
		leafMatch bool
		verified  bool
		// pinnedMatched and servedMatched are the Matched flags of the
		// pinned and served certificates, in order.
		pinnedMatched, servedMatched []bool
		problem                      error // of ProblemAt(now, 14 days)
	}{
		{
			name: "chain pinned, chain served", serve: current, pin: EncodePEM(parsedChain(t, current)), cfg: verify,
			match: true, leafMatch: true, verified: true,
			pinnedMatched: []bool{true, true}, servedMatched: []bool{true, true},
		},
		{
			name: "leaf pinned as openssl does, chain served", serve: current, pin: EncodePEM(parsedChain(t, current)[:1]), cfg: verify,
			match: true, leafMatch: true, verified: true,
			pinnedMatched: []bool{true}, servedMatched: []bool{true, false},
		},
		{
			name: "rotated certificate", serve: rotated, pin: EncodePEM(parsedChain(t, current)), cfg: verify,
			match: false, leafMatch: false, verified: true,
			pinnedMatched: []bool{false, true}, servedMatched: []bool{false, true},
			problem: ErrPinMismatch,
		},
		{
			name: "pinned intermediate no longer served", serve: leafOnly, pin: EncodePEM(parsedChain(t, current)), cfg: noVerify,
			match: false, leafMatch: true, verified: false,
			pinnedMatched: []bool{true, false}, servedMatched: []bool{true},
			problem: ErrPinMismatch,
		},
		{
			name: "expiring within 14 days", serve: expiring, pin: EncodePEM(parsedChain(t, expiring)), cfg: verify,
			match: true, leafMatch: true, verified: true,
			pinnedMatched: []bool{true, true}, servedMatched: []bool{true, true},
			problem: ErrPinExpiring,
		},
		{
			name: "expired, checked without verification", serve: expired, pin: EncodePEM(parsedChain(t, expired)), cfg: noVerify,
			match: true, leafMatch: true, verified: false,
			pinnedMatched: []bool{true, true}, servedMatched: []bool{true, true},
			problem: ErrPinExpired,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startTestServer(t, tt.serve, nil)
			addr := srv.Listener.Addr().String()

			r, err := CheckPin(t.Context(), addr, tt.pin, CheckPinOptions{TLS: tt.cfg})
			require.NoError(t, err)

			assert.Equal(t, addr, r.Addr)
			assert.Equal(t, tt.match, r.Match, "Match")
			assert.Equal(t, tt.leafMatch, r.LeafMatch, "LeafMatch")
			assert.Equal(t, tt.verified, r.Verified, "Verified")
			assert.Equal(t, tt.pinnedMatched, matchedFlags(r.Pinned), "pinned Matched")
			assert.Equal(t, tt.servedMatched, matchedFlags(r.Served), "served Matched")

			served := parsedChain(t, tt.serve)
			for i, c := range r.Served {
				assert.Equal(t, sha256.Sum256(served[i].Raw), c.SHA256, "served %d", i)
				assert.Equal(t, served[i].Subject.String(), c.Subject, "served %d", i)
				assert.Equal(t, served[i].Issuer.String(), c.Issuer, "served %d", i)
				assert.True(t, served[i].NotAfter.Equal(c.NotAfter), "served %d", i)
			}
			pinned, err := ParsePEMChain(tt.pin)
			require.NoError(t, err)
			assert.Equal(t, sha256.Sum256(pinned[0].Raw), r.PinnedLeaf().SHA256)
			assert.True(t, pinned[0].NotAfter.Equal(r.PinnedLeaf().NotAfter))
			assert.Equal(t, r.Served[0], r.ServedLeaf())

			problem := r.ProblemAt(now, 14*24*time.Hour)
			if tt.problem == nil {
				assert.NoError(t, problem)
			} else {
				assert.ErrorIs(t, problem, tt.problem)
				assert.ErrorContains(t, problem, addr)
			}
		})
	}

	t.Run("expiring leaf: days left and window", func(t *testing.T) {
		srv := startTestServer(t, expiring, nil)
		r, err := CheckPin(t.Context(), srv.Listener.Addr().String(), EncodePEM(parsedChain(t, expiring)), CheckPinOptions{TLS: verify})
		require.NoError(t, err)
		assert.Equal(t, 10, r.DaysLeftAt(soon.Add(-10*24*time.Hour)))
		assert.Equal(t, 9, r.DaysLeftAt(soon.Add(-10*24*time.Hour+time.Second)))
		assert.NoError(t, r.ProblemAt(soon.Add(-10*24*time.Hour), 7*24*time.Hour), "outside a 7-day window")
		assert.ErrorIs(t, r.ProblemAt(soon.Add(-10*24*time.Hour), 14*24*time.Hour), ErrPinExpiring)
	})

	t.Run("default verification refuses a private CA", func(t *testing.T) {
		srv := startTestServer(t, current, nil)
		_, err := CheckPin(t.Context(), "localhost:"+srv.port(), EncodePEM(parsedChain(t, current)), CheckPinOptions{})
		var verr *tls.CertificateVerificationError
		require.ErrorAs(t, err, &verr)
	})

	t.Run("bad pinned PEM fails before dialling", func(t *testing.T) {
		addr, hello := silentListener(t)
		r, err := CheckPin(t.Context(), addr, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n"), CheckPinOptions{})
		require.ErrorContains(t, err, "PEM block 0: malformed or truncated")
		assert.Zero(t, r)
		select {
		case <-hello:
			t.Fatal("dialled with an unusable pin")
		default:
		}
	})
}

func matchedFlags(cs []PinCertificate) []bool {
	flags := make([]bool, len(cs))
	for i, c := range cs {
		flags[i] = c.Matched
	}
	return flags
}

func TestPinReportProblemAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	cert := func(cn string, notAfter time.Time) PinCertificate {
		return PinCertificate{Subject: "CN=" + cn, NotAfter: notAfter, SHA256: sha256.Sum256([]byte(cn)), Matched: true}
	}
	matching := func(pinned ...PinCertificate) PinReport {
		return PinReport{Addr: "hook.example.com:443", Match: true, LeafMatch: true, Pinned: pinned, Served: pinned}
	}
	leaf := cert("hook.example.com", now.Add(60*day))
	inter := cert("intermediate", now.Add(365*day))
	other := cert("other.example.com", now.Add(60*day))

	tests := []struct {
		name   string
		report PinReport
		within time.Duration
		is     error
		err    string
	}{
		{name: "zero value", report: PinReport{}, within: 14 * day, is: ErrPinMismatch, err: "nothing to compare (0 pinned, 0 served certificates)"},
		{name: "matching, far from expiry", report: matching(leaf, inter), within: 14 * day},
		{
			name: "leaf differs",
			report: PinReport{
				Addr: "hook.example.com:443", Pinned: []PinCertificate{leaf}, Served: []PinCertificate{other},
			},
			within: 14 * day,
			is:     ErrPinMismatch,
			err:    "the server presents CN=other.example.com (SHA-256 " + other.Fingerprint() + "), not the pinned leaf CN=hook.example.com (SHA-256 " + leaf.Fingerprint() + ")",
		},
		{
			name: "pinned intermediate not served",
			report: PinReport{
				Addr: "hook.example.com:443", LeafMatch: true,
				Pinned: []PinCertificate{leaf, {Subject: "CN=intermediate", SHA256: inter.SHA256}}, Served: []PinCertificate{leaf},
			},
			within: 14 * day,
			is:     ErrPinMismatch,
			err:    "does not present pinned certificate 1 (CN=intermediate, SHA-256 " + inter.Fingerprint() + ")",
		},
		{
			name: "mismatch reported before expiry",
			report: PinReport{
				Addr: "hook.example.com:443", Pinned: []PinCertificate{cert("old", now.Add(-day))}, Served: []PinCertificate{other},
			},
			within: 14 * day,
			is:     ErrPinMismatch,
		},
		{name: "expired", report: matching(cert("hook.example.com", now.Add(-time.Second)), inter), within: 14 * day, is: ErrPinExpired, err: "pinned certificate 0 (CN=hook.example.com) expired 2026-03-01T11:59:59Z"},
		{name: "expires at now: still valid", report: matching(cert("hook.example.com", now), inter), within: 0},
		{name: "expires within the window", report: matching(cert("hook.example.com", now.Add(14*day-time.Second)), inter), within: 14 * day, is: ErrPinExpiring, err: "expires 2026-03-15T11:59:59Z, 13 days from now"},
		{name: "expires at the window's end", report: matching(cert("hook.example.com", now.Add(14*day)), inter), within: 14 * day},
		{name: "no window: expiry only", report: matching(cert("hook.example.com", now.Add(time.Hour)), inter), within: 0},
		{name: "negative window: expiry only", report: matching(cert("hook.example.com", now.Add(time.Hour)), inter), within: -day},
		{
			name:   "intermediate expires first",
			report: matching(leaf, cert("intermediate", now.Add(3*day))),
			within: 14 * day,
			is:     ErrPinExpiring,
			err:    "pinned certificate 1 (CN=intermediate) expires",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.report.ProblemAt(now, tt.within)
			if tt.is == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.is)
			assert.True(t, strings.HasPrefix(err.Error(), "bankhook: "), err.Error())
			if tt.err != "" {
				assert.ErrorContains(t, err, tt.err)
			}
		})
	}
}

func TestPinReportDaysLeftAt(t *testing.T) {
	notAfter := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	r := PinReport{Pinned: []PinCertificate{{NotAfter: notAfter}}}
	const day = 24 * time.Hour

	tests := []struct {
		name   string
		report PinReport
		now    time.Time
		want   int
	}{
		{name: "exactly 14 days", report: r, now: notAfter.Add(-14 * day), want: 14},
		{name: "just under 14 days", report: r, now: notAfter.Add(-14*day + time.Nanosecond), want: 13},
		{name: "last day", report: r, now: notAfter.Add(-time.Hour), want: 0},
		{name: "at NotAfter", report: r, now: notAfter, want: 0},
		{name: "expired an hour ago", report: r, now: notAfter.Add(time.Hour), want: -1},
		{name: "expired a day ago", report: r, now: notAfter.Add(day), want: -1},
		{name: "expired a day and a second ago", report: r, now: notAfter.Add(day + time.Second), want: -2},
		{name: "other time zone", report: r, now: notAfter.Add(-2 * day).In(time.FixedZone("UTC+14", 14*3600)), want: 2},
		{name: "no pinned certificate", report: PinReport{}, now: notAfter, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.report.DaysLeftAt(tt.now))
		})
	}
}

func TestPinCertificateFingerprint(t *testing.T) {
	var c PinCertificate
	for i := range c.SHA256 {
		c.SHA256[i] = byte(i * 9)
	}
	assert.Equal(t,
		"00:09:12:1B:24:2D:36:3F:48:51:5A:63:6C:75:7E:87:90:99:A2:AB:B4:BD:C6:CF:D8:E1:EA:F3:FC:05:0E:17",
		c.Fingerprint())
	assert.Len(t, PinCertificate{}.Fingerprint(), 95)
}

// TestPinCertificateFingerprintOpenSSL checks the fingerprint against the
// one openssl prints, when openssl is installed.
func TestPinCertificateFingerprintOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	pki := newTestPKI(t)
	cert := pki.leaf(t, time.Now().Add(90*24*time.Hour))
	cmd := exec.CommandContext(t.Context(), "openssl", "x509", "-noout", "-fingerprint", "-sha256")
	cmd.Stdin = strings.NewReader(pemBlock("CERTIFICATE", cert.Certificate[0]))
	out, err := cmd.Output()
	require.NoError(t, err)
	_, fp, ok := strings.Cut(strings.TrimSpace(string(out)), "=")
	require.True(t, ok, "openssl output %q", out)
	assert.Equal(t, fp, newPinCertificate(cert.Leaf).Fingerprint())
}

func FuzzParsePEMChain(f *testing.F) {
	pki := newTestPKI(f)
	cert := pki.leaf(f, time.Now().Add(90*24*time.Hour))
	chainPEM := EncodePEM(parsedChain(f, cert))
	f.Add(chainPEM)
	f.Add(chainPEM[:len(chainPEM)/2])
	f.Add(append([]byte("CONNECTED(00000003)\n"), chainPEM...))
	f.Add([]byte(pemBlock("CERTIFICATE", []byte("garbage"))))
	f.Add([]byte(pemBlock("PRIVATE KEY", []byte{1, 2, 3})))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, in []byte) {
		chain, err := ParsePEMChain(in)
		if err != nil {
			require.Nil(t, chain)
			require.True(t, strings.HasPrefix(err.Error(), "bankhook: "), err.Error())
			return
		}
		require.NotEmpty(t, chain)
		// Whatever parsed re-encodes to PEM that parses to the same
		// certificates, and re-encoding that is stable.
		out := EncodePEM(chain)
		again, err := ParsePEMChain(out)
		require.NoError(t, err)
		require.Len(t, again, len(chain))
		for i := range chain {
			require.Equal(t, chain[i].Raw, again[i].Raw)
		}
		require.Equal(t, out, EncodePEM(again))
		// Each certificate is one of the input's CERTIFICATE blocks, in
		// order.
		require.Equal(t, len(chain), bytes.Count(in, []byte("-----BEGIN CERTIFICATE-----")))
	})
}

func BenchmarkEncodePEM(b *testing.B) {
	pki := newTestPKI(b)
	chain := parsedChain(b, pki.leaf(b, time.Now().Add(90*24*time.Hour)))
	b.ReportAllocs()
	for b.Loop() {
		EncodePEM(chain)
	}
}

func BenchmarkParsePEMChain(b *testing.B) {
	pki := newTestPKI(b)
	in := EncodePEM(parsedChain(b, pki.leaf(b, time.Now().Add(90*24*time.Hour))))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePEMChain(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckPin is one full check against a loopback server: parse the
// pin, handshake with verification, compare.
func BenchmarkCheckPin(b *testing.B) {
	pki := newTestPKI(b)
	cert := pki.leaf(b, time.Now().Add(90*24*time.Hour))
	srv := startTestServer(b, cert, nil)
	addr := srv.Listener.Addr().String()
	pin := EncodePEM(parsedChain(b, cert))
	cfg := &tls.Config{RootCAs: pki.roots()}
	b.ReportAllocs()
	for b.Loop() {
		r, err := CheckPin(b.Context(), addr, pin, CheckPinOptions{TLS: cfg})
		if err != nil || !r.Match {
			b.Fatal(err, r.Match)
		}
	}
}
