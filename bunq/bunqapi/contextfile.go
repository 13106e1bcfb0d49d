package bunqapi

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// contextVersion is the version of the context file format.
const contextVersion = 1

// maxContextFile is the largest context file Load reads.
const maxContextFile = 1 << 20

// contextFile is what Save writes: everything a client needs to call bunq
// again, and so a secret. The API key is kept because a new session
// (POST /v1/session-server) needs it when bunq ends the current one.
type contextFile struct {
	Version           int    `json:"version"`
	BaseURL           string `json:"base_url"`
	UserID            int64  `json:"user_id"`
	UserType          string `json:"user_type"`
	APIKey            string `json:"api_key"`
	PrivateKey        string `json:"private_key"` // PKCS #8 PEM
	InstallationToken string `json:"installation_token"`
	ServerPublicKey   string `json:"server_public_key"` // PKIX PEM
	SessionToken      string `json:"session_token"`
	// SessionExpires is when the session times out (its
	// session_timeout after it was opened); absent in files written
	// before the client kept it, and when bunq did not say.
	SessionExpires time.Time `json:"session_expires,omitzero"`
}

// contextLocked returns the client's context; c.mu must be held.
func (c *Client) contextLocked() *contextFile {
	der, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		panic("bunqapi: encoding an RSA private key: " + err.Error()) // cannot happen for an RSA key
	}
	serverDER, err := x509.MarshalPKIXPublicKey(c.serverKey)
	if err != nil {
		panic("bunqapi: encoding an RSA public key: " + err.Error()) // cannot happen for an RSA key
	}
	return &contextFile{
		Version:           contextVersion,
		BaseURL:           c.savedBase,
		UserID:            c.userID,
		UserType:          c.userType,
		APIKey:            c.apiKey,
		PrivateKey:        string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		InstallationToken: c.installationToken,
		ServerPublicKey:   string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: serverDER})),
		SessionToken:      c.sessionToken,
		SessionExpires:    c.sessionExpires,
	}
}

// Save writes the client's context (the base URL, the user, the API key,
// the private key, the installation and session tokens and bunq's server
// key) to path as JSON with mode 0600, and from then on writes every
// renewed session there too. The file is a secret: anyone who reads it
// can act as the user. It is written to a temporary file in the same
// directory and renamed over path, so a crash leaves the old file or the
// new one, never a mix.
func (c *Client) Save(path string) error {
	c.renewMu.Lock()
	defer c.renewMu.Unlock()
	c.mu.Lock()
	ctx := c.contextLocked()
	c.mu.Unlock()
	if err := writeContextFile(path, ctx); err != nil {
		return err
	}
	c.mu.Lock()
	c.path = path
	c.mu.Unlock()
	return nil
}

// writeContextFile writes ctx to path atomically with mode 0600.
func writeContextFile(path string, ctx *contextFile) (err error) {
	b, err := json.Marshal(ctx, jsontext.WithIndent("  "))
	if err != nil {
		return fmt.Errorf("bunqapi: saving the context: %w", err)
	}
	b = append(b, '\n')
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("bunqapi: saving the context: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name()) // best effort: the error already says what failed
		}
	}()
	if err = tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		_ = tmp.Close()
		return fmt.Errorf("bunqapi: saving the context: %w", err)
	}
	if _, err = tmp.Write(b); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bunqapi: saving the context: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("bunqapi: saving the context: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // makes the rename durable where the platform allows it
		_ = d.Close()
	}
	return nil
}

// Load reads a context file written by [Client.Save] and returns a client
// using it; renewed sessions are written back to path. o.BaseURL, when
// set, replaces the saved base URL (a proxy in front of the same API);
// the file keeps the saved one. o.Description and o.PermittedIPs are not
// used.
//
// Load refuses, with an error wrapping [ErrContextFile], a file that is
// not a regular file, that other users may read or write (on Unix: mode
// bits beyond 0600; chmod 600 it), or that is not a complete context.
// It makes no API call: the first call renews the session when the
// saved expiry is less than 30 s away on o.Now, or finds out whether
// bunq still has it open. A file written before the client kept the
// session's expiry loads too; its session is renewed when bunq says it
// ended, and the new one's expiry is kept.
func Load(path string, o Options) (*Client, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bunqapi: loading the context: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("bunqapi: loading the context: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w %s: not a regular file", ErrContextFile, path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w %s: mode %04o lets other users read or write it; it holds the API key: chmod 600 it", ErrContextFile, path, perm)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxContextFile+1))
	if err != nil {
		return nil, fmt.Errorf("bunqapi: loading the context: %w", err)
	}
	if len(b) > maxContextFile {
		return nil, fmt.Errorf("%w %s: larger than %d bytes", ErrContextFile, path, maxContextFile)
	}
	var cf contextFile
	if err := json.Unmarshal(b, &cf); err != nil {
		// The decoder's message may quote the file, which holds secrets.
		return nil, fmt.Errorf("%w %s: not a context file (invalid JSON)", ErrContextFile, path)
	}
	if err := cf.check(); err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrContextFile, path, err)
	}
	c, err := newClient(o, cf.BaseURL)
	if err != nil {
		return nil, err
	}
	if c.savedBase, err = parseBaseURL(cf.BaseURL); err != nil {
		return nil, fmt.Errorf("%w %s: base_url: %v", ErrContextFile, path, err)
	}
	c.key, c.serverKey, err = cf.keys()
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrContextFile, path, err)
	}
	c.apiKey, c.installationToken, c.sessionToken = cf.APIKey, cf.InstallationToken, cf.SessionToken
	c.sessionExpires = cf.SessionExpires
	c.userID, c.userType = cf.UserID, cf.UserType
	c.generation = 1
	c.path = path
	return c, nil
}

// check reports a field that is missing or wrong, naming it but never
// showing a secret.
func (cf *contextFile) check() error {
	switch {
	case cf.Version != contextVersion:
		return fmt.Errorf("version %d, want %d", cf.Version, contextVersion)
	case cf.UserID <= 0:
		return errors.New("no user_id")
	case cf.APIKey == "":
		return errors.New("no api_key")
	case cf.InstallationToken == "":
		return errors.New("no installation_token")
	case cf.SessionToken == "":
		return errors.New("no session_token")
	case cf.BaseURL == "":
		return errors.New("no base_url")
	}
	if err := ValidateBaseURL(cf.BaseURL); err != nil {
		return fmt.Errorf("base_url: %w", err)
	}
	return nil
}

// keys parses the private key and the server key.
func (cf *contextFile) keys() (*rsa.PrivateKey, *rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(cf.PrivateKey))
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, nil, errors.New("private_key is not a PEM PRIVATE KEY")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, errors.New("private_key does not parse as PKCS #8")
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok || key.N.BitLen() < keyBits {
		return nil, nil, fmt.Errorf("private_key is not an RSA key of %d bits", keyBits)
	}
	server, err := parseServerKey(cf.ServerPublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("server_public_key: %v", err)
	}
	if server.N.BitLen() < keyBits {
		return nil, nil, fmt.Errorf("server_public_key has %d bits, want %d", server.N.BitLen(), keyBits)
	}
	return key, server, nil
}
