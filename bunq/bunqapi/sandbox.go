package bunqapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CreateSandboxUser has bunq's sandbox create a test user, a natural
// person with test money (POST /v1/sandbox-user-person, which needs no
// API context), and returns its API key ("sandbox_…"), to [Setup] a
// client with. o.BaseURL is the sandbox's URL, [Sandbox] when empty, or a
// stand-in's; bunq's production API is refused before anything is sent,
// since production users are not made this way. Only the headers of
// Options are used.
//
// The answer comes before any installation, so there is no server key to
// verify it with; it is trusted as the TLS connection to the sandbox is.
// The API key is a secret of the sandbox's test user: print it for
// export, keep it out of logs.
func CreateSandboxUser(ctx context.Context, o Options) (string, error) {
	base := o.BaseURL
	if base == "" {
		base = Sandbox
	}
	if isProduction(base) {
		return "", fmt.Errorf("bunqapi: CreateSandboxUser: %s is bunq's production API; sandbox users exist on the sandbox (%s) only", Production, Sandbox)
	}
	o.BaseURL = base
	c, err := newClient(o, Sandbox)
	if err != nil {
		return "", err
	}
	const path = "/v1/sandbox-user-person"
	resp, err := c.do(ctx, request{method: http.MethodPost, path: path, body: []byte("{}"), auth: authNone})
	if err != nil {
		return "", err
	}
	items, err := responseItems(resp.body)
	if err != nil {
		return "", fmt.Errorf("%w to POST %s: %v", ErrResponse, path, err)
	}
	var key struct {
		APIKey string `json:"api_key"`
	}
	if err := items.decode("ApiKey", &key); err != nil || key.APIKey == "" {
		return "", fmt.Errorf("%w to POST %s: no ApiKey with an api_key", ErrResponse, path)
	}
	if strings.ContainsAny(key.APIKey, "\r\n\"\\ \t") {
		return "", fmt.Errorf("%w to POST %s: the api_key holds characters no bunq key has", ErrResponse, path)
	}
	return key.APIKey, nil
}

// isProduction reports whether base names bunq's production API host.
func isProduction(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	p, _ := url.Parse(Production)
	return strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), p.Hostname())
}
