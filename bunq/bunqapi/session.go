package bunqapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// sessionRenewMargin is how long before its timeout a session is renewed,
// as bunq's SDKs do.
const sessionRenewMargin = 30 * time.Second

// userTypes are the kinds of user a session can be for.
var userTypes = []string{"UserPerson", "UserCompany", "UserApiKey", "UserPaymentServiceProvider"}

// openedSession is what POST /v1/session-server answered.
type openedSession struct {
	token    string
	userID   int64
	userType string
	timeout  time.Duration // the user's session_timeout; 0 when bunq did not say
}

// expiry is when the session times out if it was opened at opened, or
// the zero time when its timeout is unknown.
func (s openedSession) expiry(opened time.Time) time.Time {
	if s.timeout <= 0 {
		return time.Time{}
	}
	return opened.Add(s.timeout)
}

// sessionUser is the part of a user object a session needs: its id and
// session_timeout (seconds), which a UserApiKey carries in the user that
// requested it.
type sessionUser struct {
	ID              int64                     `json:"id"`
	SessionTimeout  int64                     `json:"session_timeout"`
	RequestedByUser map[string]jsontext.Value `json:"requested_by_user"`
}

// timeout is the user's session_timeout, or 0.
func (u *sessionUser) timeout() time.Duration {
	secs := u.SessionTimeout
	for _, raw := range u.RequestedByUser {
		var r struct {
			SessionTimeout int64 `json:"session_timeout"`
		}
		if secs <= 0 && json.Unmarshal(raw, &r) == nil {
			secs = r.SessionTimeout
		}
	}
	if secs <= 0 || secs > int64(365*24*time.Hour/time.Second) {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// openSession is POST /v1/session-server: it returns the session token,
// the id and kind of the session's user and the user's session_timeout.
func (c *Client) openSession(ctx context.Context) (openedSession, error) {
	body, err := json.Marshal(struct {
		Secret string `json:"secret"`
	}{c.apiKey})
	if err != nil {
		return openedSession{}, fmt.Errorf("bunqapi: session-server: %w", err)
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/session-server", body: body, auth: authInstallation})
	if err != nil {
		return openedSession{}, err
	}
	items, err := responseItems(resp.body)
	if err != nil {
		return openedSession{}, fmt.Errorf("%w to POST /v1/session-server: %v", ErrResponse, err)
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := items.decode("Token", &tok); err != nil || tok.Token == "" {
		return openedSession{}, fmt.Errorf("%w to POST /v1/session-server: no Token", ErrResponse)
	}
	for _, kind := range userTypes {
		var u sessionUser
		if items.decode(kind, &u) == nil && u.ID > 0 {
			return openedSession{token: tok.Token, userID: u.ID, userType: kind, timeout: u.timeout()}, nil
		}
	}
	return openedSession{}, fmt.Errorf("%w to POST /v1/session-server: no UserPerson, UserCompany, UserApiKey or UserPaymentServiceProvider with an id", ErrResponse)
}

// renew opens a new session, unless another call renewed the session of
// generation gen meanwhile, and saves it to the context file. why says
// what ended the old one, for the log.
func (c *Client) renew(ctx context.Context, gen uint64, why string) error {
	c.renewMu.Lock()
	defer c.renewMu.Unlock()
	c.mu.Lock()
	current := c.generation
	c.mu.Unlock()
	if current != gen {
		return nil // renewed by another call
	}
	opened := c.now()
	sess, err := c.openSession(ctx)
	if err != nil {
		return fmt.Errorf("bunqapi: opening a new session: %w", err)
	}
	if sess.userID != c.userID {
		return fmt.Errorf("%w to POST /v1/session-server: the session is for user %d, the context for user %d", ErrResponse, sess.userID, c.userID)
	}
	expires := sess.expiry(opened)
	c.mu.Lock()
	c.sessionToken = sess.token
	c.sessionExpires = expires
	c.generation++
	path := c.path
	saved := c.contextLocked()
	c.mu.Unlock()
	attrs := []any{"user_id", c.userID, "reason", why}
	if !expires.IsZero() {
		attrs = append(attrs, "expires", expires.UTC().Format(time.RFC3339))
	}
	c.logger.Info("bunqapi: opened a new session", attrs...)
	if path != "" {
		if err := writeContextFile(path, saved); err != nil {
			c.logger.Warn("bunqapi: could not save the new session; the context file holds the old one", "path", path, "err", err)
		}
	}
	return nil
}

// renewIfDue opens a new session when the current one times out within
// sessionRenewMargin on the client's clock.
func (c *Client) renewIfDue(ctx context.Context) error {
	c.mu.Lock()
	expires, gen := c.sessionExpires, c.generation
	c.mu.Unlock()
	if expires.IsZero() || c.now().Before(expires.Add(-sessionRenewMargin)) {
		return nil
	}
	if err := c.renew(ctx, gen, "session_timeout"); err != nil {
		return fmt.Errorf("bunqapi: the session times out at %s: %w", expires.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// sessionEnded reports whether e says that the session ended: a 401, or a
// 403 whose description says the authentication is insufficient or the
// session ended, as bunq answers an ended session. A 403 for anything
// else (a permission) is not.
func sessionEnded(e *Error) bool {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return true
	case http.StatusForbidden:
		for _, d := range e.Descriptions {
			s := strings.ToLower(d.ErrorDescription)
			if strings.Contains(s, "insufficient authentication") ||
				strings.Contains(s, "session") && (strings.Contains(s, "ended") || strings.Contains(s, "expired")) {
				return true
			}
		}
	}
	return false
}
