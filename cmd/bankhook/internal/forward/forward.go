// Package forward POSTs serve's event lines to a backend (--forward): the
// bank is acknowledged only once the backend answered 2xx.
package forward

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/redact"
)

// Timeout bounds one forward request, inside the handler's deadline
// (bankhook.DefaultDeadline, 25 s).
const Timeout = 20 * time.Second

// Forwarder POSTs event lines to one URL. It is safe for concurrent use.
// The zero value is not usable; use [New].
type Forwarder struct {
	url       string
	userAgent string
	client    *http.Client
}

// New returns a Forwarder posting to url with the given User-Agent.
func New(url, userAgent string) *Forwarder {
	return &Forwarder{url: url, userAgent: userAgent, client: &http.Client{
		Timeout: Timeout,
		// A redirect is not an acknowledgement: following it would turn
		// the POST into a GET for 301/302/303.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Post sends line, with key as its Idempotency-Key header, and reports an
// error unless the target answers 2xx. Errors never hold the URL's query
// or credentials.
func (f *Forwarder) Post(ctx context.Context, key string, line []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(line))
	if err != nil {
		return fmt.Errorf("bankhook: forward: %w", redact.Error(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("User-Agent", f.userAgent)
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("bankhook: forward: %w", redact.Error(err))
	}
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if !bankhook.Acknowledged(resp.StatusCode) {
		return fmt.Errorf("bankhook: forward: %s answered %s", redact.URL(f.url), resp.Status)
	}
	return nil
}
