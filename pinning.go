package bankhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Certificate pinning replaces the pipeline the banks document,
//
//	openssl s_client -servername www.example.com -connect www.example.com:443 < /dev/null |
//	  sed -n "/-----BEGIN/,/-----END/p" > www.example.com.pem
//
// [FetchChain] fetches what a server presents and [EncodePEM] writes it as
// PEM, the body to POST to bunq's certificate-pinned endpoint. [CheckPin] compares a
// pinned PEM with what the server presents now, so that a certificate
// rotation or expiry, after which the bank cancels every callback, is
// noticed before the bank notices it.

// defaultPinPort is the port an address without one is dialled on: HTTPS.
const defaultPinPort = "443"

const pemTypeCertificate = "CERTIFICATE"

var (
	pemBegin = []byte("-----BEGIN")
	pemEnd   = []byte("-----END")
)

// FetchChain connects to addr over TLS and returns the certificate chain
// the server presents, in the order it presents it (leaf first), as
// openssl s_client does.
//
// addr is "host", "host:port", an IP address ("192.0.2.1", "2001:db8::1",
// "fe80::1%eth0") or "[ipv6]:port"; the port defaults to 443. An IPv6
// address takes a port only in brackets: "::1:443" is the address ::1:443
// on port 443. The client sends host as the TLS server name (SNI) unless
// cfg sets ServerName; for an IP address it sends none, as RFC 6066
// requires, and verifies the IP address against the certificate instead.
//
// A nil cfg means the defaults: the chain is verified against the system's
// roots and the server name. Pass RootCAs to trust a private CA, or
// InsecureSkipVerify to fetch a chain that does not verify (a self-signed
// certificate); the handshake still proves that the server holds the leaf's
// private key. cfg is cloned, never modified. The session cache is not used,
// so the chain is always the one the server presents now, not one
// remembered from an earlier connection.
//
// ctx bounds the dial and the handshake; FetchChain sets no timeout of its
// own. Errors start with "bankhook: pin" and name the address.
func FetchChain(ctx context.Context, addr string, cfg *tls.Config) ([]*x509.Certificate, error) {
	state, _, err := fetchState(ctx, addr, cfg)
	if err != nil {
		return nil, err
	}
	return state.PeerCertificates, nil
}

// fetchState performs the handshake of [FetchChain] and returns its state
// and the address dialled, as host:port.
func fetchState(ctx context.Context, addr string, cfg *tls.Config) (tls.ConnectionState, string, error) {
	host, port, err := splitPinAddr(addr)
	if err != nil {
		return tls.ConnectionState{}, "", fmt.Errorf("bankhook: pin address %q: %w", addr, err)
	}
	hostport := net.JoinHostPort(host, port)

	c := new(tls.Config)
	if cfg != nil {
		c = cfg.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = host
		if ip, err := netip.ParseAddr(host); err == nil {
			// Verified against the certificate's IP addresses, which
			// carry no zone; crypto/tls sends no SNI for an IP.
			c.ServerName = ip.WithZone("").String()
		}
	}
	c.ClientSessionCache = nil

	d := tls.Dialer{Config: c}
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return tls.ConnectionState{}, "", fmt.Errorf("bankhook: pin %s: %w", hostport, err)
	}
	state := conn.(*tls.Conn).ConnectionState()
	// The chain is all that was wanted; a failure to say goodbye cleanly
	// changes nothing about it.
	_ = conn.Close()
	if len(state.PeerCertificates) == 0 {
		return tls.ConnectionState{}, "", fmt.Errorf("bankhook: pin %s: %w presented by the server", hostport, ErrNoCertificate)
	}
	return state, hostport, nil
}

// splitPinAddr splits a [FetchChain] address into host and port, filling in
// the default port.
func splitPinAddr(addr string) (host, port string, err error) {
	switch {
	case addr == "":
		return "", "", errors.New("empty address")
	case strings.Contains(addr, "://") || strings.ContainsAny(addr, "/?# \t\r\n"):
		return "", "", errors.New("want host, host:port or [ipv6]:port, not a URL")
	}
	if _, err := netip.ParseAddr(addr); err == nil {
		return addr, defaultPinPort, nil // a bare IPv4 or IPv6 address
	}
	bracketed := strings.HasPrefix(addr, "[")
	switch {
	case bracketed && strings.HasSuffix(addr, "]"):
		host, port = addr[1:len(addr)-1], defaultPinPort
	case !strings.Contains(addr, ":"):
		host, port = addr, defaultPinPort
	default:
		if host, port, err = net.SplitHostPort(addr); err != nil {
			return "", "", err
		}
	}
	if host == "" {
		return "", "", errors.New("missing host")
	}
	if bracketed {
		if ip, err := netip.ParseAddr(host); err != nil || !ip.Is6() {
			return "", "", fmt.Errorf("%q in brackets is not an IPv6 address", host)
		}
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return "", "", fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return host, port, nil
}

// EncodePEM writes chain as consecutive PEM CERTIFICATE blocks, in order:
// the bytes the documented openssl s_client | sed pipeline writes for a
// server presenting that chain (with -showcerts; without it, openssl keeps
// only the leaf, which is EncodePEM(chain[:1])). A nil entry is skipped; an
// empty chain gives nil.
func EncodePEM(chain []*x509.Certificate) []byte {
	size := 0
	for _, c := range chain {
		if c != nil {
			b64 := base64.StdEncoding.EncodedLen(len(c.Raw))
			size += len("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n") + b64 + (b64+63)/64
		}
	}
	var buf bytes.Buffer
	buf.Grow(size)
	for _, c := range chain {
		if c == nil {
			continue
		}
		// A bytes.Buffer does not fail and a block without headers is
		// always valid, so Encode cannot return an error here.
		_ = pem.Encode(&buf, &pem.Block{Type: pemTypeCertificate, Bytes: c.Raw})
	}
	return buf.Bytes()
}

// ParsePEMChain parses PEM input, such as a pinned chain, into
// certificates, in order. Text outside PEM blocks is ignored (the whole
// output of openssl s_client parses), but every block must be a CERTIFICATE
// that parses: an error names the offending block by its 0-based position
// and type. A malformed or truncated block is an error, never skipped.
// Input without a certificate is an error wrapping [ErrNoCertificate].
func ParsePEMChain(pemBytes []byte) ([]*x509.Certificate, error) {
	chain, err := pemCertificates(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("bankhook: pin: %w", err)
	}
	return chain, nil
}

// pemCertificates parses the PEM blocks of data, each of which must be a
// CERTIFICATE.
func pemCertificates(data []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	rest := data
	for i := 0; ; i++ {
		block, next := pem.Decode(rest)
		if block == nil {
			if bytes.Contains(rest, pemBegin) || bytes.Contains(rest, pemEnd) {
				return nil, fmt.Errorf("PEM block %d: malformed or truncated", i)
			}
			break
		}
		// pem.Decode passes over a malformed block to the next good one;
		// a second BEGIN line in what it consumed is that malformed block.
		if bytes.Count(rest[:len(rest)-len(next)], pemBegin) != 1 {
			return nil, fmt.Errorf("PEM block %d: malformed", i)
		}
		rest = next
		if block.Type != pemTypeCertificate {
			return nil, fmt.Errorf("PEM block %d is %q, not %s", i, block.Type, pemTypeCertificate)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (%s): %w", i, pemTypeCertificate, err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("%w in the PEM input", ErrNoCertificate)
	}
	return chain, nil
}

// PinCertificate describes one certificate of a [PinReport].
//
// The zero value describes no certificate. It is a plain value: copy it
// freely.
type PinCertificate struct {
	// Subject and Issuer are the distinguished names in RFC 2253 form
	// ("CN=hook.example.com,O=Example").
	Subject string
	Issuer  string
	// NotBefore and NotAfter bound the certificate's validity; it is valid
	// up to and including NotAfter.
	NotBefore time.Time
	NotAfter  time.Time
	// SHA256 is the SHA-256 fingerprint of the certificate's DER encoding:
	// two certificates are the same exactly when their fingerprints are.
	SHA256 [sha256.Size]byte
	// Matched reports that the other chain of the report holds the same
	// certificate: for a pinned certificate, that the server presents it;
	// for a served one, that it is pinned.
	Matched bool
}

// Fingerprint returns SHA256 as colon-separated upper-case hex pairs, the
// form openssl x509 -noout -fingerprint -sha256 prints.
func (c PinCertificate) Fingerprint() string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 0, 3*len(c.SHA256)-1)
	for i, x := range c.SHA256 {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[x>>4], digits[x&0x0f])
	}
	return string(b)
}

func newPinCertificate(c *x509.Certificate) PinCertificate {
	return PinCertificate{
		Subject:   c.Subject.String(),
		Issuer:    c.Issuer.String(),
		NotBefore: c.NotBefore,
		NotAfter:  c.NotAfter,
		SHA256:    sha256.Sum256(c.Raw),
	}
}

// PinReport is what [CheckPin] found: the pinned chain and the chain the
// server presents, side by side, and whether they match.
//
// The chains match when the server presents the pinned leaf (the first
// pinned certificate, byte for byte) and every other pinned certificate
// too, in any position. Served certificates that are not pinned do not
// count against a match: a pin made with the documented openssl command
// holds the leaf alone. A pinned intermediate that is no longer served
// does: the bank checks callbacks against the pinned chain, and its
// documents promise only that an unchanged certificate keeps working.
// Callers who want the leaf alone to decide read LeafMatch.
//
// The zero value describes no check: it holds no certificates, does not
// match, and its Problem is [ErrPinMismatch]. A PinReport is a plain value,
// safe for concurrent reads.
type PinReport struct {
	// Addr is the address checked, as host:port with the default port
	// filled in.
	Addr string
	// Match reports that the server presents the pinned chain, as defined
	// above: LeafMatch, and Matched set on every pinned certificate.
	Match bool
	// LeafMatch reports that the server's leaf is the pinned leaf.
	LeafMatch bool
	// Verified reports that crypto/tls verified the served chain against
	// the trusted roots and the server name. It is false when the check
	// ran with InsecureSkipVerify.
	Verified bool
	// Pinned is the pinned chain, in the order of the PEM input (leaf
	// first).
	Pinned []PinCertificate
	// Served is the chain the server presents, in the order it presents
	// it (leaf first).
	Served []PinCertificate
}

// CheckPinOptions configures [CheckPin]. The zero value verifies the
// served chain against the system's roots.
type CheckPinOptions struct {
	// TLS is the TLS configuration of the connection, as [FetchChain]
	// takes it: RootCAs to check a server with a private CA, ServerName to
	// check a name other than addr's host, InsecureSkipVerify to check a
	// self-signed certificate. Even without verification a match is
	// meaningful: the handshake proves that the server holds the private
	// key of the leaf it presents, so a server that presents the pinned
	// leaf holds the pinned key; [PinReport.Verified] tells which kind of
	// check ran. Default nil: the system's roots and addr's host.
	TLS *tls.Config
}

// CheckPin connects to addr, as [FetchChain] does, and compares the chain
// the server presents with pinned, the PEM pinned at the bank (as
// [EncodePEM] or the openssl pipeline wrote it); see [PinReport] for what a
// match is. A chain that differs is not an error: it is reported, and
// [PinReport.Problem] turns it into one. Errors are for a pinned PEM that
// does not parse ([ParsePEMChain]) and for a connection or verification
// that fails.
func CheckPin(ctx context.Context, addr string, pinned []byte, o CheckPinOptions) (PinReport, error) {
	cfg := o.TLS
	pinnedChain, err := ParsePEMChain(pinned)
	if err != nil {
		return PinReport{}, err
	}
	state, hostport, err := fetchState(ctx, addr, cfg)
	if err != nil {
		return PinReport{}, err
	}
	return comparePins(hostport, pinnedChain, state.PeerCertificates, len(state.VerifiedChains) > 0), nil
}

// comparePins builds the report for the pinned and served chains.
func comparePins(addr string, pinned, served []*x509.Certificate, verified bool) PinReport {
	r := PinReport{
		Addr:     addr,
		Verified: verified,
		Pinned:   make([]PinCertificate, len(pinned)),
		Served:   make([]PinCertificate, len(served)),
	}
	inPinned := make(map[[sha256.Size]byte]bool, len(pinned))
	for i, c := range pinned {
		r.Pinned[i] = newPinCertificate(c)
		inPinned[r.Pinned[i].SHA256] = true
	}
	inServed := make(map[[sha256.Size]byte]bool, len(served))
	for i, c := range served {
		r.Served[i] = newPinCertificate(c)
		r.Served[i].Matched = inPinned[r.Served[i].SHA256]
		inServed[r.Served[i].SHA256] = true
	}
	r.Match = len(pinned) > 0 && len(served) > 0
	for i := range r.Pinned {
		r.Pinned[i].Matched = inServed[r.Pinned[i].SHA256]
		r.Match = r.Match && r.Pinned[i].Matched
	}
	r.LeafMatch = len(pinned) > 0 && len(served) > 0 && r.Pinned[0].SHA256 == r.Served[0].SHA256
	r.Match = r.Match && r.LeafMatch
	return r
}

// PinnedLeaf returns the pinned leaf, the first pinned certificate; the
// zero PinCertificate when there is none.
func (r PinReport) PinnedLeaf() PinCertificate {
	if len(r.Pinned) == 0 {
		return PinCertificate{}
	}
	return r.Pinned[0]
}

// ServedLeaf returns the leaf the server presents; the zero PinCertificate
// when there is none.
func (r PinReport) ServedLeaf() PinCertificate {
	if len(r.Served) == 0 {
		return PinCertificate{}
	}
	return r.Served[0]
}

// DaysLeftAt returns the whole days from now until the pinned leaf's
// NotAfter, rounded down: 0 on its last day, negative once it has expired.
// It returns 0 for a report without a pinned certificate.
func (r PinReport) DaysLeftAt(now time.Time) int {
	if len(r.Pinned) == 0 {
		return 0
	}
	return daysUntil(r.Pinned[0].NotAfter, now)
}

// daysUntil returns the whole days from now to t, rounded down.
func daysUntil(t, now time.Time) int {
	const day = 24 * time.Hour
	d := t.Sub(now)
	days := d / day
	if d%day < 0 {
		days--
	}
	return int(days)
}

// Problem is [PinReport.ProblemAt] now.
func (r PinReport) Problem(within time.Duration) error {
	return r.ProblemAt(time.Now(), within)
}

// ProblemAt returns nil when the served chain matches the pinned one and no
// pinned certificate expires within the window after now. Otherwise it
// returns the most pressing reason, naming the certificate: an error
// wrapping [ErrPinMismatch] when the chains do not match, [ErrPinExpired]
// when a pinned certificate has expired, [ErrPinExpiring] when one expires
// before now+within. A zero or negative within checks expiry only.
func (r PinReport) ProblemAt(now time.Time, within time.Duration) error {
	if len(r.Pinned) == 0 || len(r.Served) == 0 {
		return fmt.Errorf("%w: %s: nothing to compare (%d pinned, %d served certificates)",
			ErrPinMismatch, r.Addr, len(r.Pinned), len(r.Served))
	}
	if !r.LeafMatch {
		p, s := r.Pinned[0], r.Served[0]
		return fmt.Errorf("%w: %s: the server presents %s (SHA-256 %s), not the pinned leaf %s (SHA-256 %s)",
			ErrPinMismatch, r.Addr, s.Subject, s.Fingerprint(), p.Subject, p.Fingerprint())
	}
	if !r.Match {
		var missing []string
		for i, p := range r.Pinned {
			if !p.Matched {
				missing = append(missing, fmt.Sprintf("%d (%s, SHA-256 %s)", i, p.Subject, p.Fingerprint()))
			}
		}
		noun := "certificate"
		if len(missing) > 1 {
			noun = "certificates"
		}
		return fmt.Errorf("%w: %s: the server does not present pinned %s %s",
			ErrPinMismatch, r.Addr, noun, strings.Join(missing, ", "))
	}
	first := 0 // the pinned certificate that expires first
	for i, p := range r.Pinned {
		if p.NotAfter.Before(r.Pinned[first].NotAfter) {
			first = i
		}
	}
	p := r.Pinned[first]
	switch {
	case now.After(p.NotAfter):
		return fmt.Errorf("%w: %s: pinned certificate %d (%s) expired %s",
			ErrPinExpired, r.Addr, first, p.Subject, p.NotAfter.UTC().Format(time.RFC3339))
	case within > 0 && p.NotAfter.Before(now.Add(within)):
		return fmt.Errorf("%w: %s: pinned certificate %d (%s) expires %s, %d days from now",
			ErrPinExpiring, r.Addr, first, p.Subject, p.NotAfter.UTC().Format(time.RFC3339), daysUntil(p.NotAfter, now))
	}
	return nil
}
