package bankhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// RequireToken answers 401 bad_token unless the query parameter param of
// the request URL equals one of tokens. It is the defence for banks that
// do not sign their callbacks: put a long random secret in the URL you
// register (https://example.com/bunq?token=…), over HTTPS only.
//
// Several tokens are accepted at once, so a secret can rotate without
// downtime: add the new one, re-register the URL, then drop the old one.
// The comparison takes the same time whichever token matches, and whether
// any does (both sides are hashed with SHA-256 and compared with
// crypto/subtle). Empty tokens are ignored; with none left every request
// is refused: the stage fails closed. An empty param means "token".
func RequireToken(param string, tokens ...string) Middleware {
	if param == "" {
		param = DefaultTokenParam
	}
	var sums [][sha256.Size]byte
	for _, t := range tokens {
		if t != "" {
			sums = append(sums, sha256.Sum256([]byte(t)))
		}
	}
	fallback := newFallbackObserver()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(sums) == 0 {
				reject(fallback, w, r, http.StatusUnauthorized, ReasonBadToken, ErrNoTokens)
				return
			}
			got := r.URL.Query().Get(param)
			gotSum := sha256.Sum256([]byte(got))
			match := 0
			for i := range sums {
				match |= subtle.ConstantTimeCompare(gotSum[:], sums[i][:])
			}
			if match != 1 || got == "" {
				reject(fallback, w, r, http.StatusUnauthorized, ReasonBadToken, ErrBadToken)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Verifier checks that a request was sent by the bank, typically by a
// signature over the body (HMAC, RSA, Ed25519) in a header, and returns
// an error when it was not. body is the body kept by [ReadBody]. A
// Verifier must be safe for concurrent use; a type that holds keys passes
// its method value (keys.Verify).
type Verifier func(r *http.Request, body []byte) error

// Verify answers 401 bad_signature when v refuses the request. It needs
// [ReadBody] before it in the chain (without it: 500, [ErrNoBody]). The
// verifier's error goes to the Observer, never to the sender. A nil v
// refuses every request: the stage fails closed.
func Verify(v Verifier) Middleware {
	if v == nil {
		v = func(*http.Request, []byte) error { return ErrNoVerifier }
	}
	fallback := newFallbackObserver()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, ok := BodyFrom(r.Context())
			if !ok {
				reject(fallback, w, r, http.StatusInternalServerError, ReasonHandlerFailed, ErrNoBody)
				return
			}
			if err := v(r, body); err != nil {
				reject(fallback, w, r, http.StatusUnauthorized, ReasonBadSignature, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
