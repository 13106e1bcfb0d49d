package bunq

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// selfSigned returns a fresh self-signed certificate for name, in PEM.
func selfSigned(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(0, 0).AddDate(100, 0, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestCertificatePinnedBody(t *testing.T) {
	leaf, inter := selfSigned(t, "hooks.example.com"), selfSigned(t, "Example CA")
	t.Run("chain", func(t *testing.T) {
		chain := append(append([]byte("\n"), leaf...), append([]byte("\r\n\n"), inter...)...)
		body, err := CertificatePinnedBody(chain)
		require.NoError(t, err)
		var got struct {
			CertificateChain []struct {
				Certificate string `json:"certificate"`
			} `json:"certificate_chain"`
		}
		require.NoError(t, json.Unmarshal(body, &got, json.RejectUnknownMembers(true)))
		require.Len(t, got.CertificateChain, 2)
		assert.Equal(t, string(leaf), got.CertificateChain[0].Certificate)
		assert.Equal(t, string(inter), got.CertificateChain[1].Certificate)
	})

	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not for bunq")})
	badDER := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x01}})
	withHeader := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}})
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"empty", nil, "no certificate"},
		{"whitespace", []byte(" \n\t"), "no certificate"},
		{"private key", append(append([]byte{}, leaf...), keyPEM...), `block 2: type "PRIVATE KEY", want CERTIFICATE`},
		{"not a certificate", badDER, "block 1: x509"},
		{"headers", withHeader, "block 1: unexpected PEM headers"},
		{"text before", append([]byte("depth=0 CN = example\n"), leaf...), "block 1: data outside a PEM block"},
		{"text after", append(append([]byte{}, leaf...), []byte("DONE\n")...), "block 2: data outside a PEM block"},
		{"truncated block", append(append([]byte{}, leaf[:len(leaf)-30]...), inter...), "block 1: malformed PEM"},
		{"no end", leaf[:len(leaf)-30], "block 1: malformed PEM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CertificatePinnedBody(tc.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.NotContains(t, err.Error(), "not for bunq")
		})
	}
}
