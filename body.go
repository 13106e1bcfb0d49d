package bankhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// BodyOptions configures [ReadBody]. The zero value accepts POST with a
// JSON body of at most 1 MiB.
type BodyOptions struct {
	// MaxBytes is the largest body accepted. Default 1 MiB.
	MaxBytes int64
	// ContentTypes are the accepted media types, compared without their
	// parameters and case-insensitively ("application/json; charset=utf-8"
	// is application/json). Default: application/json.
	ContentTypes []string
	// Methods are the accepted methods. Default: POST.
	Methods []string
}

// ReadBody checks the request's method (405 method_not_allowed, with an
// Allow header), content type (415 unsupported_media_type) and size (413
// body_too_large, on a declared Content-Length before anything is read,
// and while reading a chunked or lying body), then reads the body once,
// keeps it for [BodyFrom] and the later stages, and replaces r.Body by a
// reader over the same bytes, so a wrapped handler that reads r.Body
// still works. A body that cannot be read is answered 400 bad_payload, or
// 408 timeout when the read timed out.
//
// The body is read into a buffer that is reused for later requests once
// the wrapped handler has returned (buffers of up to 64 KiB; a larger body
// gets one of its own). The buffer grows as the body arrives, whatever its
// Content-Length announces: a sender that announces 1 MiB and sends
// nothing makes ReadBody hold at most 16 KiB. Nothing that outlives the request can see that
// buffer: [BodyFrom], a [Verifier] and a decode function given to [Decode]
// receive a copy of their own, which they may keep; bankhook's own stages
// and the bank presets' decoders, which copy what they keep, read the
// buffer itself; and r.Body
// reports an error if it is read after the handler returned, which
// net/http does not allow anyway. A handler that panics does not give its
// buffer back.
func ReadBody(o BodyOptions) Middleware {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBody
	}
	if len(o.ContentTypes) == 0 {
		o.ContentTypes = []string{"application/json"}
	}
	if len(o.Methods) == 0 {
		o.Methods = []string{http.MethodPost}
	}
	allow := strings.Join(o.Methods, ", ")
	var plain []string
	for _, t := range o.ContentTypes {
		if mt, params, err := mime.ParseMediaType(t); err == nil && len(params) == 0 && mt == strings.ToLower(t) {
			plain = append(plain, t)
		}
	}
	fallback := newFallbackObserver()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !slices.Contains(o.Methods, r.Method) {
				w.Header().Set("Allow", allow)
				reject(fallback, w, r, http.StatusMethodNotAllowed, ReasonMethodNotAllowed,
					fmt.Errorf("bankhook: method %s not allowed", r.Method))
				return
			}
			if err := checkContentType(r.Header.Get("Content-Type"), o.ContentTypes, plain); err != nil {
				reject(fallback, w, r, http.StatusUnsupportedMediaType, ReasonUnsupportedMediaType, err)
				return
			}
			if r.ContentLength > o.MaxBytes {
				reject(fallback, w, r, http.StatusRequestEntityTooLarge, ReasonBodyTooLarge,
					fmt.Errorf("bankhook: Content-Length %d over the limit of %d bytes", r.ContentLength, o.MaxBytes))
				return
			}
			buf := getBodyBuffer()
			body, err := readLimited(buf, r.Body, r.ContentLength, o.MaxBytes)
			if err != nil {
				putBodyBuffer(buf)
			}
			switch {
			case errors.Is(err, errTooLarge):
				reject(fallback, w, r, http.StatusRequestEntityTooLarge, ReasonBodyTooLarge,
					fmt.Errorf("bankhook: body over the limit of %d bytes", o.MaxBytes))
				return
			case err != nil:
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
					reject(fallback, w, r, http.StatusRequestTimeout, ReasonTimeout, fmt.Errorf("bankhook: reading body: %w", err))
					return
				}
				reject(fallback, w, r, http.StatusBadRequest, ReasonBadPayload, fmt.Errorf("bankhook: reading body: %w", err))
				return
			}
			s, r := withState(r)
			outer := s.kept // a ReadBody further out, if any: restored below
			s.kept = keptBody{body: body, set: true}
			s.kept.reader.Reset(body)
			r.Body = &s.kept
			next.ServeHTTP(w, r)

			// The request is answered and nothing can reach the buffer
			// any more: its copies are separate, and r.Body stops here.
			s.kept.body, s.kept.done = nil, true
			s.kept.reader.Reset(nil)
			if outer.set {
				s.kept = outer
			}
			putBodyBuffer(body)
		})
	}
}

// keptBody is what ReadBody keeps for one request, and r.Body after it.
// A request is served by one goroutine at a time, so it needs no lock.
type keptBody struct {
	body   []byte       // the body, in a pooled buffer: valid until ReadBody's handler returns
	set    bool         // ReadBody has run
	copy   []byte       // BodyFrom's copy of body, made on first use and never reused
	done   bool         // ReadBody's handler returned: body is back in the pool
	reader bytes.Reader // r.Body's bytes
}

// errBodyReleased is what r.Body answers once the request is answered.
var errBodyReleased = errors.New("bankhook: request body read after its handler returned")

// Read reads the body, until ReadBody's handler has returned.
func (k *keptBody) Read(p []byte) (int, error) {
	if k.done {
		return 0, errBodyReleased
	}
	return k.reader.Read(p)
}

// Close does nothing: net/http closes the connection's own body reader.
func (k *keptBody) Close() error { return nil }

// stable returns a copy of the body that stays valid after the request
// (BodyFrom's), made on first use.
func (k *keptBody) stable() []byte {
	if k.copy == nil && !k.done {
		k.copy = append(make([]byte, 0, len(k.body)), k.body...)
	}
	return k.copy
}

// BodyFrom returns the body [ReadBody] kept for the request: a copy of
// the bytes read, made on the first call for the request and returned
// again to later callers (a [Verifier], [Decode], the handler), so that
// the slice stays valid for as long as anyone keeps it. It is shared: do
// not modify it. After the request was answered, BodyFrom only returns a
// copy that was made before; it reports false otherwise.
func BodyFrom(ctx context.Context) ([]byte, bool) {
	s := stateFrom(ctx)
	if s == nil || !s.kept.set {
		return nil, false
	}
	if b := s.kept.stable(); b != nil {
		return b, true
	}
	return nil, false
}

// borrowedBody returns the pooled body itself, for the stages that do
// not keep it past the request.
func borrowedBody(s *reqState) ([]byte, bool) {
	if s == nil || !s.kept.set || s.kept.done {
		return nil, false
	}
	return s.kept.body, true
}

// bodyPool holds ReadBody's buffers between requests.
var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody is the largest buffer kept in bodyPool, so that a rare big
// body does not stay pinned in memory.
const maxPooledBody = 64 << 10

func getBodyBuffer() []byte {
	p := bodyPool.Get().(*[]byte)
	b := *p
	*p = nil
	bodyPool.Put(p) // the holder goes back empty; the buffer travels alone
	return b[:0]
}

func putBodyBuffer(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledBody {
		return
	}
	p := bodyPool.Get().(*[]byte)
	*p = b[:0]
	bodyPool.Put(p)
}

var errTooLarge = errors.New("bankhook: body too large")

// firstBodyBuffer is the largest buffer readLimited allocates before a
// byte has arrived, whatever the Content-Length says, so that a sender
// announcing a big body and sending nothing holds at most this much (and
// one byte): 16 KiB, above every real bank event (bunq's are 1 to 12 KB,
// pretty-printed). A longer body grows the buffer as it arrives.
const firstBodyBuffer = 16 << 10

// readLimited reads at most max bytes from rc into buf (from its start)
// and reports errTooLarge when more arrive. The buffer grows only as
// bytes arrive: it starts with room for the declared length and one byte
// more (to see a longer body) when that length is at most
// firstBodyBuffer, else with firstBodyBuffer, or 512 bytes for a body of
// unknown length; when full it doubles (see grownBy), never past max+1.
// So a buffer it allocates never holds more than twice the bytes that
// have arrived, plus firstBodyBuffer and one byte.
func readLimited(buf []byte, rc io.ReadCloser, declared, max int64) ([]byte, error) {
	buf = buf[:0]
	if rc == nil || rc == http.NoBody {
		if buf == nil {
			buf = []byte{}
		}
		return buf, nil
	}
	want := int64(-1) // the size that holds the declared body and one byte more; -1 when none
	size := int64(512)
	if declared >= 0 && declared <= max {
		want = declared + 1
		size = firstBodyBuffer
		if declared <= firstBodyBuffer {
			size = want
		}
	}
	if int64(cap(buf)) < size {
		buf = make([]byte, 0, size)
	}
	for {
		if len(buf) == cap(buf) {
			// Not slices.Grow: append's growth would round a doubling up
			// by another quarter.
			grown := make([]byte, len(buf), int64(len(buf))+grownBy(int64(len(buf)), want, max))
			copy(grown, buf)
			buf = grown
		}
		n, err := rc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// grownBy is how many bytes readLimited adds to a full buffer of n bytes:
// n more (doubling, at least 512); or, when the declared length is not
// yet reached, up to want itself if it is within firstBodyBuffer of the
// doubled size, so that a body does not take one more copy for its last
// bytes; never past limit+1 in all. want is -1 when no length was
// declared.
func grownBy(n, want, limit int64) int64 {
	to := max(2*n, 512)
	if want > n && want <= to+firstBodyBuffer {
		to = want
	}
	return min(to, limit+1) - n
}

// checkContentType accepts header when its media type is one of allowed.
// plain are the allowed types that parse to themselves (no parameters, no
// spaces): a header equal to one of them, but for case, is accepted
// without being parsed.
func checkContentType(header string, allowed, plain []string) error {
	if header == "" {
		return errors.New("bankhook: no Content-Type")
	}
	if containsFold(plain, header) {
		return nil // what parsing would find, without its allocations
	}
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return fmt.Errorf("bankhook: Content-Type %q: %w", header, err)
	}
	if !containsFold(allowed, mt) {
		return fmt.Errorf("bankhook: Content-Type %q not accepted", mt)
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
