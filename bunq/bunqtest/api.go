package bunqtest

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
)

// Header names of bunq's API.
const (
	hdrAuthentication  = "X-Bunq-Client-Authentication"
	hdrClientSignature = "X-Bunq-Client-Signature"
	hdrServerSignature = "X-Bunq-Server-Signature"
	hdrRequestID       = "X-Bunq-Client-Request-Id"
	hdrResponseID      = "X-Bunq-Client-Response-Id"
)

// requiredHeaders are the headers bunq requires on every request.
var requiredHeaders = []string{
	"Cache-Control", "User-Agent", hdrRequestID,
	"X-Bunq-Geolocation", "X-Bunq-Language", "X-Bunq-Region",
}

// maxRequestBody is the largest request body the stand-in reads.
const maxRequestBody = 1 << 20

// auth is what an endpoint requires in X-Bunq-Client-Authentication.
type auth int

const (
	authNone         auth = iota // POST /v1/installation
	authInstallation             // device-server and session-server: the installation token and a body signature
	authSession                  // everything else: a live session token
)

// apiError is an error answer in bunq's envelope.
type apiError struct {
	status int
	desc   string
}

func (e *apiError) Error() string { return e.desc }

func errorf(status int, format string, a ...any) *apiError {
	return &apiError{status, fmt.Sprintf(format, a...)}
}

// call is one API request being answered; its handler runs with s.mu held.
type call struct {
	r    *http.Request
	body []byte
	inst *installation // the installation whose token authenticated the call
	sess *session      // the session, for authSession
	user *user         // the session's user, for authSession
}

// result is a successful answer: the members of "Response", and the
// listing's Pagination when it is one.
type result struct {
	items      []any
	pagination *pagination
}

type pagination struct {
	FutureURL *string `json:"future_url"`
	NewerURL  *string `json:"newer_url"`
	OlderURL  *string `json:"older_url"`
}

type handler func(c *call) (*result, *apiError)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, a auth, h handler) { mux.Handle(pattern, s.endpoint(a, h)) }
	handle("POST /v1/installation", authNone, s.postInstallation)
	handle("POST /v1/device-server", authInstallation, s.postDeviceServer)
	handle("POST /v1/session-server", authInstallation, s.postSessionServer)
	handle("POST /v1/sandbox-user-person", authNone, s.postSandboxUserPerson)
	handle("GET /v1/user", authSession, s.listUsers)
	handle("GET /v1/user/{userID}", authSession, s.readUser)
	handle("GET /v1/user/{userID}/notification-filter-url", authSession, s.listFilters)
	handle("POST /v1/user/{userID}/notification-filter-url", authSession, s.setFilters)
	handle("GET /v1/user/{userID}/monetary-account/{accountID}/notification-filter-url", authSession, s.listFilters)
	handle("POST /v1/user/{userID}/monetary-account/{accountID}/notification-filter-url", authSession, s.setFilters)
	handle("GET /v1/user/{userID}/certificate-pinned", authSession, s.listPins)
	handle("POST /v1/user/{userID}/certificate-pinned", authSession, s.createPin)
	handle("GET /v1/user/{userID}/certificate-pinned/{itemID}", authSession, s.readPin)
	handle("DELETE /v1/user/{userID}/certificate-pinned/{itemID}", authSession, s.deletePin)
	handle("GET /v1/user/{userID}/notification-filter-failure", authSession, s.listFailures)
	handle("POST /v1/user/{userID}/notification-filter-failure", authSession, s.retryFailures)
	handle("/", authNone, func(*call) (*result, *apiError) {
		return nil, errorf(http.StatusNotFound, "Route not found.")
	})
	return mux
}

// endpoint runs bunq's checks before h and writes its answer, signed.
func (s *Server) endpoint(a auth, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, aerr := s.serve(r, a, h)
		status, body := http.StatusOK, []byte(nil)
		if aerr != nil {
			status, body = aerr.status, errorBody(aerr.desc)
		} else {
			var err error
			if body, err = responseBody(res); err != nil {
				status, body = http.StatusInternalServerError, errorBody("The stand-in could not encode its answer.")
			}
		}
		s.write(w, r, status, body)
	})
}

// serve checks the request as bunq does and runs h.
func (s *Server) serve(r *http.Request, a auth, h handler) (*result, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "Could not read the request body.")
	}
	if len(body) > maxRequestBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "The request body is too large.")
	}
	for _, name := range requiredHeaders {
		if r.Header.Get(name) == "" {
			return nil, errorf(http.StatusBadRequest, "Missing required header %q.", name)
		}
	}
	if !s.limiter.allow(clientAddr(r), r.Method, r.URL.Path, time.Now()) {
		n, span := s.limiter.limitFor(r.Method, r.URL.Path)
		return nil, errorf(http.StatusTooManyRequests, "Too many requests. You can do a maximum of %d %s calls per %v to this endpoint.", n, r.Method, span)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errorf(http.StatusServiceUnavailable, "The stand-in is closed.")
	}
	c := &call{r: r, body: body}
	if aerr := s.authenticateLocked(c, a); aerr != nil {
		return nil, aerr
	}
	return h(c)
}

// authenticateLocked checks the token, the signature, the request id and
// the caller's address as bunq does for a of the endpoint.
func (s *Server) authenticateLocked(c *call, a auth) *apiError {
	if a == authNone {
		return nil
	}
	token := c.r.Header.Get(hdrAuthentication)
	if token == "" {
		return errorf(http.StatusUnauthorized, "Missing authentication token.")
	}
	switch a {
	case authInstallation:
		c.inst = s.installations[token]
		if c.inst == nil {
			return errorf(http.StatusUnauthorized, "Insufficient authorisation.")
		}
		if c.r.Header.Get(hdrClientSignature) == "" {
			return errorf(466, "Request signature is required for this operation.")
		}
	case authSession:
		sess := s.sessions[token]
		if sess == nil || !s.now.Before(sess.expires) {
			delete(s.sessions, token)
			if s.endedStatus == http.StatusUnauthorized {
				return errorf(http.StatusUnauthorized, "Insufficient authorisation.")
			}
			return errorf(http.StatusForbidden, "Insufficient authentication.")
		}
		c.sess, c.inst, c.user = sess, sess.inst, sess.user
	}
	if sig := c.r.Header.Get(hdrClientSignature); sig != "" && !verifyBody(c.inst.clientKey, c.body, sig) {
		return errorf(http.StatusUnauthorized, "The request signature is invalid.")
	}
	id := c.r.Header.Get(hdrRequestID)
	if c.inst.requestIDs[id] {
		return errorf(http.StatusBadRequest, "The request id %q was used before on this device.", id)
	}
	c.inst.requestIDs[id] = true
	if d := c.inst.device; d != nil && (a == authSession || c.r.URL.Path == "/v1/session-server") && !d.permits(clientAddr(c.r)) {
		return errorf(http.StatusUnauthorized, "Incorrect IP address: this device does not permit calls from %s.", clientAddr(c.r))
	}
	if c.sess != nil {
		c.sess.expires = s.now.Add(s.opts.SessionTimeout)
		if id := c.r.PathValue("userID"); id != "" && id != fmt.Sprint(c.user.id) {
			return errorf(http.StatusForbidden, "You are not allowed to access user %s.", id)
		}
	}
	return nil
}

// verifyBody checks an X-Bunq-Client-Signature: base64 RSA PKCS #1 v1.5
// over the SHA-256 of the body.
func verifyBody(key *rsa.PublicKey, body []byte, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(body)
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], raw) == nil
}

// write sends status and body with bunq's response headers, signed as the
// current SignatureMode says.
func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	s.mu.Lock()
	mode := s.sigMode
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: status})
	s.mu.Unlock()
	s.opts.Logger.Info("bunqtest: api", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery, "status", status)

	h := w.Header()
	h.Set("Content-Type", "application/json")
	if id := r.Header.Get(hdrRequestID); id != "" {
		h.Set(hdrRequestID, id)
	}
	h.Set(hdrResponseID, newUUID())
	var signed []byte
	switch mode {
	case SignHeadersAndBody:
		signed = headSigningBytes(status, h, body)
	default:
		signed = body
	}
	if mode != SignNone {
		h.Set(hdrServerSignature, s.sign(signed))
	}
	if mode == SignTampered && status/100 == 2 {
		tampered := []byte(`{"Response":[]}`)
		if bytes.Equal(tampered, body) {
			tampered = append(tampered, ' ')
		}
		body = tampered
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// headSigningBytes is what bunq signed before April 2020: the status, the
// X-Bunq- headers but the signature as sorted "Name: value" lines, an
// empty line and the body.
func headSigningBytes(status int, h http.Header, body []byte) []byte {
	var lines []string
	for name, values := range h {
		if !strings.HasPrefix(name, "X-Bunq-") || name == hdrServerSignature {
			continue
		}
		for _, v := range values {
			lines = append(lines, name+": "+v)
		}
	}
	slices.Sort(lines)
	b := fmt.Appendf(nil, "%d\n", status)
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, body...)
}

// sign returns the base64 RSA PKCS #1 v1.5 SHA-256 signature of b with
// the server's key.
func (s *Server) sign(b []byte) string {
	sum := sha256.Sum256(b)
	sig, err := rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, sum[:])
	if err != nil {
		panic("bunqtest: signing: " + err.Error()) // only for a key too small for SHA-256, never ours
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func responseBody(res *result) ([]byte, error) {
	items := res.items
	if items == nil {
		items = []any{}
	}
	if res.pagination == nil {
		return json.Marshal(struct {
			Response []any `json:"Response"`
		}{items})
	}
	return json.Marshal(struct {
		Response   []any       `json:"Response"`
		Pagination *pagination `json:"Pagination"`
	}{items, res.pagination})
}

func errorBody(desc string) []byte {
	type message struct {
		Description           string `json:"error_description"`
		DescriptionTranslated string `json:"error_description_translated"`
	}
	b, _ := json.Marshal(struct {
		Error []message `json:"Error"`
	}{[]message{{desc, desc}}}) // strings only: cannot fail
	return b
}

// clientAddr is the caller's IP address.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// decodeBody decodes a JSON request body into v, or answers 400.
func decodeBody(c *call, v any) *apiError {
	if err := json.Unmarshal(c.body, v); err != nil {
		return errorf(http.StatusBadRequest, "The request body is not valid: %v.", err)
	}
	return nil
}

// one wraps v as a member of "Response": {"name": v}.
func one(name string, v any) any { return map[string]any{name: v} }

// idItem is {"Id":{"id":id}}.
func idItem(id int64) any {
	return one("Id", struct {
		ID int64 `json:"id"`
	}{id})
}

func newUUID() string {
	b := []byte(randomHex(16))
	return string(b[0:8]) + "-" + string(b[8:12]) + "-" + string(b[12:16]) + "-" + string(b[16:20]) + "-" + string(b[20:32])
}
