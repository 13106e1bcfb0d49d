package bunqapi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Header names of bunq's API.
const (
	HeaderAuthentication  = "X-Bunq-Client-Authentication" // the installation token (device-server, session-server) or the session token
	HeaderClientSignature = "X-Bunq-Client-Signature"      // base64 RSA PKCS #1 v1.5 SHA-256 signature of the request body
	HeaderServerSignature = "X-Bunq-Server-Signature"      // the same, of the response, with the server's key
	HeaderRequestID       = "X-Bunq-Client-Request-Id"     // unique per request; bunq echoes it
	HeaderResponseID      = "X-Bunq-Client-Response-Id"    // bunq's id of the response
	HeaderLanguage        = "X-Bunq-Language"              // language of error descriptions, "en_US"
	HeaderRegion          = "X-Bunq-Region"                // the device's region, "nl_NL"
	HeaderGeolocation     = "X-Bunq-Geolocation"           // "longitude latitude altitude radius country"
)

// keyBits is the size of the RSA key bunq requires.
const keyBits = 2048

// signBody returns the X-Bunq-Client-Signature of body: what bunq checks
// since April 2020, the request body alone.
func signBody(key *rsa.PrivateKey, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("bunqapi: signing the request: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// verifyResponse checks X-Bunq-Server-Signature as bunq's SDKs do: over
// the body (bunq's scheme since April 2020), or else over the status code,
// the X-Bunq- headers and the body (the scheme before). It returns an
// error wrapping ErrSignature when neither verifies.
func verifyResponse(key *rsa.PublicKey, status int, h http.Header, body []byte) error {
	values := h.Values(HeaderServerSignature)
	if len(values) == 0 {
		return fmt.Errorf("%w: no %s", ErrSignature, HeaderServerSignature)
	}
	if len(values) > 1 {
		return fmt.Errorf("%w: %d %s headers", ErrSignature, len(values), HeaderServerSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(values[0])
	if err != nil {
		return fmt.Errorf("%w: %s is not base64", ErrSignature, HeaderServerSignature)
	}
	sum := sha256.Sum256(body)
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) == nil {
		return nil
	}
	sum = sha256.Sum256(legacySigned(status, h, body))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) == nil {
		return nil
	}
	return fmt.Errorf("%w: it does not verify with the server's key", ErrSignature)
}

// legacySigned is what bunq signed before April 2020: the status code and
// a newline, each X-Bunq- header but the signature itself as
// "Name: value" and a newline, sorted by name and value, a newline, and
// the body. Header names are in canonical form (X-Bunq-Client-Request-Id),
// as bunq's SDKs write them.
func legacySigned(status int, h http.Header, body []byte) []byte {
	type header struct{ name, value string }
	var hs []header
	for name, values := range h {
		name = http.CanonicalHeaderKey(name)
		if !strings.HasPrefix(name, "X-Bunq-") || name == HeaderServerSignature {
			continue
		}
		for _, v := range values {
			hs = append(hs, header{name, v})
		}
	}
	sort.Slice(hs, func(i, j int) bool {
		if hs[i].name != hs[j].name {
			return hs[i].name < hs[j].name
		}
		return hs[i].value < hs[j].value
	})
	b := strconv.AppendInt(nil, int64(status), 10)
	b = append(b, '\n')
	for _, x := range hs {
		b = append(b, x.name...)
		b = append(b, ": "...)
		b = append(b, x.value...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, body...)
}

// publicKeyPEM encodes the client's public key as bunq's installation
// call takes it: PEM "PUBLIC KEY" (PKIX).
func publicKeyPEM(key *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", fmt.Errorf("bunqapi: encoding the public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// parseServerKey reads the server_public_key bunq returns: a PEM RSA
// public key, PKIX ("PUBLIC KEY") or PKCS #1 ("RSA PUBLIC KEY").
func parseServerKey(s string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("not PEM")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("a %T, not an RSA key", k)
		}
		return rk, nil
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	}
	return nil, fmt.Errorf("PEM type %q, want PUBLIC KEY", block.Type)
}
