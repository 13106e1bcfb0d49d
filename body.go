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
)

// DefaultMaxBody is the body size ReadBody accepts by default: 1 MiB, far
// above any bank event (a bunq payment is about 3 KB).
const DefaultMaxBody int64 = 1 << 20

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
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !slices.Contains(o.Methods, r.Method) {
				w.Header().Set("Allow", allow)
				Reject(w, r, http.StatusMethodNotAllowed, ReasonMethodNotAllowed,
					fmt.Errorf("bankhook: method %s not allowed", r.Method))
				return
			}
			if err := checkContentType(r.Header.Get("Content-Type"), o.ContentTypes); err != nil {
				Reject(w, r, http.StatusUnsupportedMediaType, ReasonUnsupportedMediaType, err)
				return
			}
			if r.ContentLength > o.MaxBytes {
				Reject(w, r, http.StatusRequestEntityTooLarge, ReasonBodyTooLarge,
					fmt.Errorf("bankhook: Content-Length %d over the limit of %d bytes", r.ContentLength, o.MaxBytes))
				return
			}
			body, err := readLimited(r.Body, r.ContentLength, o.MaxBytes)
			switch {
			case errors.Is(err, errTooLarge):
				Reject(w, r, http.StatusRequestEntityTooLarge, ReasonBodyTooLarge,
					fmt.Errorf("bankhook: body over the limit of %d bytes", o.MaxBytes))
				return
			case err != nil:
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
					Reject(w, r, http.StatusRequestTimeout, ReasonTimeout, fmt.Errorf("bankhook: reading body: %w", err))
					return
				}
				Reject(w, r, http.StatusBadRequest, ReasonBadPayload, fmt.Errorf("bankhook: reading body: %w", err))
				return
			}
			s, r := withState(r)
			s.body, s.bodySet = body, true
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
		})
	}
}

// BodyFrom returns the body [ReadBody] kept for the request. The slice is
// shared with the later stages: do not modify it.
func BodyFrom(ctx context.Context) ([]byte, bool) {
	s := stateFrom(ctx)
	if s == nil || !s.bodySet {
		return nil, false
	}
	return s.body, true
}

var errTooLarge = errors.New("bankhook: body too large")

// readLimited reads at most max bytes from rc into one buffer, sized by
// the declared length when there is one, and reports errTooLarge when more
// arrive.
func readLimited(rc io.ReadCloser, declared, max int64) ([]byte, error) {
	if rc == nil || rc == http.NoBody {
		return []byte{}, nil
	}
	size := int64(512)
	if declared >= 0 && declared <= max {
		size = declared + 1 // room to see a body longer than declared
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), max+1-int64(len(buf)))))
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

func checkContentType(header string, allowed []string) error {
	if header == "" {
		return errors.New("bankhook: no Content-Type")
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
