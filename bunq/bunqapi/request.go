package bunqapi

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/bankhook/bankhook/bunq"
)

// authKind is the token a request carries in X-Bunq-Client-Authentication.
type authKind int

const (
	authNone         authKind = iota // POST /v1/installation
	authInstallation                 // device-server and session-server
	authSession                      // every other call
)

// request is one API call.
type request struct {
	method string
	path   string // from /v1/, with the query
	body   []byte // nil for GET and DELETE
	auth   authKind
}

// response is a 2xx answer, verified unless it was the installation's.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends req until it is answered other than 429 (at most
// maxRateLimitWaits waits) and, for a session call whose session ended
// (see sessionEnded), once more after opening a new session. A session
// call first renews a session about to time out. A 2xx answer is
// returned once its signature verifies with the server key (the
// installation's answer, before the key is known, is returned
// unverified); anything else is an *Error.
func (c *Client) do(ctx context.Context, req request) (*response, error) {
	if req.auth == authSession {
		if err := c.renewIfDue(ctx); err != nil {
			return nil, err
		}
	}
	renewed := false
	for waits := 0; ; {
		token, gen := c.token(req.auth)
		resp, err := c.send(ctx, req, token)
		if err != nil {
			return nil, err
		}
		switch {
		case resp.status/100 == 2:
			if c.serverKey != nil {
				if err := verifyResponse(c.serverKey, resp.status, resp.header, resp.body); err != nil {
					return nil, fmt.Errorf("bunqapi: %s %s: %w", req.method, pathOnly(req.path), err)
				}
			}
			return resp, nil
		case req.auth == authSession && !renewed && sessionEnded(apiError(req, resp)):
			renewed = true
			if err := c.renew(ctx, gen, strconv.Itoa(resp.status)); err != nil {
				return nil, errors.Join(apiError(req, resp), err)
			}
		case resp.status == http.StatusTooManyRequests && waits < maxRateLimitWaits:
			d := retryAfter(resp.header, waits)
			c.logger.Debug("bunqapi: rate limited; waiting", "method", req.method, "path", pathOnly(req.path), "wait", d)
			if err := c.sleep(ctx, d); err != nil {
				return nil, fmt.Errorf("%w (gave up waiting: %w)", apiError(req, resp), err)
			}
			waits++
		default:
			return nil, apiError(req, resp)
		}
	}
}

// token returns the token req carries and the session generation it
// belongs to.
func (c *Client) token(a authKind) (string, uint64) {
	switch a {
	case authInstallation:
		return c.installationToken, 0
	case authSession:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.sessionToken, c.generation
	}
	return "", 0
}

// send makes one HTTP request with bunq's headers and reads the answer.
func (c *Client) send(ctx context.Context, req request, token string) (*response, error) {
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, c.base+req.path, body)
	if err != nil {
		return nil, fmt.Errorf("bunqapi: %s %s: %w", req.method, pathOnly(req.path), err)
	}
	h := hr.Header
	h.Set("Cache-Control", "no-cache")
	h.Set("User-Agent", c.userAgent)
	h.Set(HeaderRequestID, newRequestID())
	h.Set(HeaderLanguage, c.language)
	h.Set(HeaderRegion, c.region)
	h.Set(HeaderGeolocation, c.geolocation)
	if req.body != nil {
		h.Set("Content-Type", "application/json")
	}
	if token != "" {
		h.Set(HeaderAuthentication, token)
		// bunq requires a signature on device-server and session-server;
		// bunq's SDKs sign every request made with a token, and so does
		// this client. A GET or DELETE signs the empty body.
		sig, err := signBody(c.key, req.body)
		if err != nil {
			return nil, err
		}
		h.Set(HeaderClientSignature, sig)
	}
	hresp, err := c.http.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("bunqapi: %s %s: %w", req.method, pathOnly(req.path), unwrapURLError(err))
	}
	defer hresp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hresp.Body, maxResponseBody+1))
	if err != nil {
		return nil, fmt.Errorf("bunqapi: %s %s: reading the answer: %w", req.method, pathOnly(req.path), err)
	}
	if len(b) > maxResponseBody {
		return nil, fmt.Errorf("bunqapi: %s %s: the answer is larger than %d bytes", req.method, pathOnly(req.path), maxResponseBody)
	}
	return &response{status: hresp.StatusCode, header: hresp.Header, body: b}, nil
}

// apiError turns an answer that is not 2xx into an *Error.
func apiError(req request, resp *response) *Error {
	e := &Error{Method: req.method, Path: pathOnly(req.path), StatusCode: resp.status, ResponseID: resp.header.Get(HeaderResponseID)}
	var env struct {
		Error []bunq.ErrorMessage `json:"Error"`
	}
	if json.Unmarshal(resp.body, &env) == nil {
		e.Descriptions = env.Error
	}
	return e
}

// retryAfter is how long to wait after the n-th 429 (from 0): the
// Retry-After header when it gives seconds or a date (at most
// maxBackoff*4), else firstBackoff doubled n times up to maxBackoff,
// between three quarters of that and all of it.
func retryAfter(h http.Header, n int) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		var d time.Duration
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			d = time.Duration(secs) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			d = time.Until(t)
		}
		if d > 0 {
			return min(d, 4*maxBackoff)
		}
	}
	d := firstBackoff << min(n, 10)
	d = min(d, maxBackoff)
	return d - rand.N(d/4+1)
}

// sleepContext waits d, or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// newRequestID returns a random X-Bunq-Client-Request-Id in UUID form.
func newRequestID() string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // never fails, per crypto/rand
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// pathOnly is path without its query.
func pathOnly(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return path[:i]
	}
	return path
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the
// method and URL the caller's message already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
