package bunq

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
)

// CertificatePinnedBody returns the request body that pins the certificate
// chain of your callback server (POST /v1/user/{userID}/certificate-pinned):
//
//	{"certificate_chain":[{"certificate":"-----BEGIN CERTIFICATE-----\n…"},…]}
//
// pemChain is the chain your server presents, in PEM, leaf first: what
// `openssl s_client -servername HOST -connect HOST:443 | sed -n
// "/-----BEGIN/,/-----END/p"` prints, or bankhook's pinning helpers write.
// It must hold at least one block, only CERTIFICATE blocks that parse as
// X.509 certificates, and nothing but whitespace between them; errors name
// the offending block by its position (1 is the first). Each certificate is
// sent re-encoded as a canonical PEM block.
//
// This is the CertificatePinned schema of bunq's API reference and what
// bunq's SDKs send: certificate_chain is a list of Certificate objects,
// one PEM certificate each. bunq lists a pinned chain back in another
// form, one string with the certificates glued with newlines (see
// bunqapi.PinnedChain); the POST does not take that form.
//
// Once pinned, bunq cancels a callback whose server does not present this
// chain: pin the new chain before you rotate the certificate.
func CertificatePinnedBody(pemChain []byte) ([]byte, error) {
	type certificate struct {
		Certificate string `json:"certificate"`
	}
	var chain []certificate
	rest := pemChain
	for n := 1; ; n++ {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 {
			break
		}
		if !bytes.HasPrefix(rest, []byte("-----BEGIN ")) {
			return nil, fmt.Errorf("bunq: certificate chain: block %d: data outside a PEM block", n)
		}
		block, after := pem.Decode(rest)
		// pem.Decode skips a malformed block and returns the next one;
		// a block must end before the next "-----BEGIN".
		next := bytes.Index(rest[1:], []byte("-----BEGIN "))
		if block == nil || (next >= 0 && len(rest)-len(after) > next+1) {
			return nil, fmt.Errorf("bunq: certificate chain: block %d: malformed PEM", n)
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("bunq: certificate chain: block %d: type %.40q, want CERTIFICATE", n, block.Type)
		}
		if len(block.Headers) > 0 {
			return nil, fmt.Errorf("bunq: certificate chain: block %d: unexpected PEM headers", n)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return nil, fmt.Errorf("bunq: certificate chain: block %d: %w", n, err)
		}
		chain = append(chain, certificate{string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes}))})
		rest = after
	}
	if len(chain) == 0 {
		return nil, errors.New("bunq: certificate chain: no certificate")
	}
	return json.Marshal(struct {
		CertificateChain []certificate `json:"certificate_chain"`
	}{chain})
}
