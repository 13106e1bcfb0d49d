package bankhook_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// bodySeen is a final handler that records what ReadBody handed on.
type bodySeen struct {
	calls  int
	kept   []byte // BodyFrom
	rbody  []byte // read from r.Body
	keptOK bool
}

func (h *bodySeen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls++
	h.kept, h.keptOK = bankhook.BodyFrom(r.Context())
	h.rbody, _ = io.ReadAll(r.Body)
	w.WriteHeader(http.StatusNoContent)
}

// readBodyChain is Observe (discarding reports) + ReadBody(o) + h.
func readBodyChain(o bankhook.BodyOptions, h http.Handler) http.Handler {
	return bankhook.Chain(h, bankhook.Observe(bankhook.ObserverFuncs{}), bankhook.ReadBody(o))
}

// jsonPost is a POST of body with Content-Type application/json.
func jsonPost(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestReadBodyMethod(t *testing.T) {
	tests := []struct {
		name      string
		methods   []string
		method    string
		wantAllow string // "" when the method is accepted
	}{
		{name: "POST by default", method: http.MethodPost},
		{name: "GET refused", method: http.MethodGet, wantAllow: "POST"},
		{name: "PUT refused", method: http.MethodPut, wantAllow: "POST"},
		{name: "lower-case post is another method", method: "post", wantAllow: "POST"},
		{name: "configured PUT", methods: []string{http.MethodPost, http.MethodPut}, method: http.MethodPut},
		{name: "Allow lists every method", methods: []string{http.MethodPost, http.MethodPut}, method: http.MethodDelete,
			wantAllow: "POST, PUT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			final := &bodySeen{}
			r := httptest.NewRequest(tc.method, "/hook", nil)
			r.Header.Set("Content-Type", "application/json")
			if tc.wantAllow != "" {
				r.Body = unreadBody{t}
			} else {
				r.Body = io.NopCloser(strings.NewReader(`{}`))
			}
			rec := serveGuard(readBodyChain(bankhook.BodyOptions{Methods: tc.methods}, final), r)
			if tc.wantAllow == "" {
				assert.Equal(t, http.StatusNoContent, rec.Code)
				assert.Equal(t, 1, final.calls)
				return
			}
			problemOf(t, rec, http.StatusMethodNotAllowed, bankhook.ReasonMethodNotAllowed)
			assert.Equal(t, tc.wantAllow, rec.Header().Get("Allow"))
			assert.Zero(t, final.calls)
		})
	}
}

func TestReadBodyContentType(t *testing.T) {
	tests := []struct {
		name    string
		types   []string
		header  []string // Content-Type lines; none for a missing header
		allowed bool
	}{
		{name: "json", header: []string{"application/json"}, allowed: true},
		{name: "charset parameter", header: []string{"application/json; charset=utf-8"}, allowed: true},
		{name: "upper case", header: []string{"Application/JSON"}, allowed: true},
		{name: "upper-case charset", header: []string{"APPLICATION/JSON;Charset=UTF-8"}, allowed: true},
		{name: "missing"},
		{name: "empty", header: []string{""}},
		{name: "wrong", header: []string{"text/plain"}},
		{name: "form", header: []string{"application/x-www-form-urlencoded"}},
		{name: "json suffix is another type", header: []string{"application/problem+json"}},
		{name: "malformed: no subtype", header: []string{"application/"}},
		{name: "malformed: bad parameter", header: []string{"application/json; charset"}},
		{name: "malformed: only parameters", header: []string{"; charset=utf-8"}},
		{name: "configured type", types: []string{"application/vnd.bank+json"}, header: []string{"application/vnd.bank+json"}, allowed: true},
		{name: "configured list excludes json", types: []string{"application/vnd.bank+json"}, header: []string{"application/json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			final := &bodySeen{}
			r := httptest.NewRequest(http.MethodPost, "/hook", nil)
			for _, v := range tc.header {
				r.Header.Add("Content-Type", v)
			}
			if tc.allowed {
				r.Body = io.NopCloser(strings.NewReader(`{}`))
			} else {
				r.Body = unreadBody{t}
			}
			rec := serveGuard(readBodyChain(bankhook.BodyOptions{ContentTypes: tc.types}, final), r)
			if tc.allowed {
				assert.Equal(t, http.StatusNoContent, rec.Code)
				assert.Equal(t, []byte(`{}`), final.kept)
				return
			}
			problemOf(t, rec, http.StatusUnsupportedMediaType, bankhook.ReasonUnsupportedMediaType)
			assert.Zero(t, final.calls)
		})
	}
}

// slowBody is a body of unknown length served in small reads.
type slowBody struct {
	data string
	err  error // returned once data is exhausted; nil means io.EOF
}

func (c *slowBody) Read(p []byte) (int, error) {
	if c.data == "" {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7)], c.data)
	c.data = c.data[n:]
	return n, nil
}

func (*slowBody) Close() error { return nil }

func TestReadBodySize(t *testing.T) {
	const limit = 64
	tests := []struct {
		name      string
		declared  int64 // Content-Length; -1 for unknown (chunked)
		body      string
		unread    bool // the limit must be enforced before reading
		wantTaken bool
	}{
		{name: "declared over the limit", declared: limit + 1, unread: true},
		{name: "declared far over the limit", declared: 1 << 40, unread: true},
		{name: "declared exactly the limit", declared: limit, body: strings.Repeat("a", limit), wantTaken: true},
		{name: "chunked exactly the limit", declared: -1, body: strings.Repeat("a", limit), wantTaken: true},
		{name: "chunked one over", declared: -1, body: strings.Repeat("a", limit+1)},
		{name: "chunked far over", declared: -1, body: strings.Repeat("a", 10*limit)},
		{name: "lying: declared small, body over the limit", declared: 10, body: strings.Repeat("a", 10*limit)},
		{name: "lying: declared zero, body over the limit", declared: 0, body: strings.Repeat("a", limit+1)},
		{name: "empty chunked", declared: -1, body: "", wantTaken: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var obs observed
			final := &bodySeen{}
			h := bankhook.Chain(final, obs.observer(), bankhook.ReadBody(bankhook.BodyOptions{MaxBytes: limit}))
			r := jsonPost("")
			r.ContentLength = tc.declared
			if tc.unread {
				r.Body = unreadBody{t}
			} else {
				r.Body = &slowBody{data: tc.body}
			}
			rec := serveGuard(h, r)
			if tc.wantTaken {
				require.Equal(t, http.StatusNoContent, rec.Code)
				assert.Equal(t, tc.body, string(final.kept))
				assert.Equal(t, tc.body, string(final.rbody))
				return
			}
			problemOf(t, rec, http.StatusRequestEntityTooLarge, bankhook.ReasonBodyTooLarge)
			assert.Zero(t, final.calls)
			require.Len(t, obs.rejected, 1)
		})
	}
}

func TestReadBodyDefaultLimit(t *testing.T) {
	tests := []struct {
		name string
		size int64
		want int
	}{
		{"1 MiB", bankhook.DefaultMaxBody, http.StatusNoContent},
		{"1 MiB + 1", bankhook.DefaultMaxBody + 1, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := jsonPost(strings.Repeat(" ", int(tc.size)))
			r.ContentLength = -1 // make ReadBody count while reading
			rec := serveGuard(readBodyChain(bankhook.BodyOptions{}, &bodySeen{}), r)
			assert.Equal(t, tc.want, rec.Code)
		})
	}
}

// TestReadBodyLyingContentLengthOverTheWire sends a request whose
// Content-Length is smaller than what follows it, over a real connection:
// the server reads only the declared bytes as the body, and the rest never
// reaches the handler as part of it.
func TestReadBodyLyingContentLengthOverTheWire(t *testing.T) {
	bodies := make(chan []byte, 2)
	srv := httptest.NewServer(readBodyChain(bankhook.BodyOptions{MaxBytes: 64},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := bankhook.BodyFrom(r.Context())
			bodies <- b
			w.WriteHeader(http.StatusNoContent)
		})))
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	const declared = `{"id":42}` + "\n"
	_, err = io.WriteString(conn, "POST /hook HTTP/1.1\r\nHost: bank\r\nContent-Type: application/json\r\n"+
		"Content-Length: "+strconv.Itoa(len(declared))+"\r\n\r\n"+declared+strings.Repeat("x", 1000))
	require.NoError(t, err)

	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, declared, string(<-bodies))
}

func TestReadBodyKeepsBody(t *testing.T) {
	const payload = `{"NotificationUrl":{"category":"MUTATION"}}`
	final := &bodySeen{}
	rec := serveGuard(readBodyChain(bankhook.BodyOptions{}, final), jsonPost(payload))

	require.Equal(t, http.StatusNoContent, rec.Code)
	assert.True(t, final.keptOK)
	assert.Equal(t, payload, string(final.kept), "BodyFrom")
	assert.Equal(t, payload, string(final.rbody), "r.Body is readable again")

	t.Run("later stages and the handler all see it", func(t *testing.T) {
		var inner []byte
		second := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner, _ = io.ReadAll(r.Body)
				next.ServeHTTP(w, r)
			})
		}
		final := &bodySeen{}
		h := bankhook.Chain(final, bankhook.Observe(bankhook.ObserverFuncs{}), bankhook.ReadBody(bankhook.BodyOptions{}), second)
		serveGuard(h, jsonPost(payload))
		assert.Equal(t, payload, string(inner))
		assert.Equal(t, payload, string(final.kept))
		assert.Empty(t, final.rbody, "r.Body was consumed by the stage before, like any reader")
	})
	t.Run("empty body", func(t *testing.T) {
		final := &bodySeen{}
		r := jsonPost("")
		r.Body = http.NoBody
		rec := serveGuard(readBodyChain(bankhook.BodyOptions{}, final), r)
		require.Equal(t, http.StatusNoContent, rec.Code)
		assert.True(t, final.keptOK)
		assert.Empty(t, final.kept)
	})
	t.Run("no ReadBody", func(t *testing.T) {
		b, ok := bankhook.BodyFrom(jsonPost(payload).Context())
		assert.False(t, ok)
		assert.Nil(t, b)
	})
}

// timeoutErr is a net.Error that reports a timeout, like a server's read
// deadline passing.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestReadBodyReadError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		reason bankhook.Reason
	}{
		{"broken connection", errors.New("connection reset by peer"), http.StatusBadRequest, bankhook.ReasonBadPayload},
		{"unexpected EOF", io.ErrUnexpectedEOF, http.StatusBadRequest, bankhook.ReasonBadPayload},
		{"net.Error timeout", timeoutErr{}, http.StatusRequestTimeout, bankhook.ReasonTimeout},
		{"deadline exceeded", os.ErrDeadlineExceeded, http.StatusRequestTimeout, bankhook.ReasonTimeout},
		{"context deadline", context.DeadlineExceeded, http.StatusRequestTimeout, bankhook.ReasonTimeout},
		{"wrapped timeout", &net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}, http.StatusRequestTimeout, bankhook.ReasonTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var obs observed
			final := &bodySeen{}
			h := bankhook.Chain(final, obs.observer(), bankhook.ReadBody(bankhook.BodyOptions{}))
			r := jsonPost("")
			r.ContentLength = -1
			r.Body = &slowBody{data: `{"partial":`, err: tc.err}
			rec := serveGuard(h, r)

			problemOf(t, rec, tc.status, tc.reason)
			assert.NotContains(t, rec.Body.String(), tc.err.Error())
			assert.Zero(t, final.calls)
			require.Len(t, obs.rejected, 1)
			assert.ErrorIs(t, obs.rejected[0].Err, tc.err)
		})
	}
}

// TestReadBodyOrder checks that the cheap checks come first: a request
// with a bad method, a bad type and a huge body is refused for its method.
func TestReadBodyOrder(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/hook", nil)
	r.Header.Set("Content-Type", "text/plain")
	r.ContentLength = 1 << 30
	r.Body = unreadBody{t}
	rec := serveGuard(readBodyChain(bankhook.BodyOptions{}, &bodySeen{}), r)
	problemOf(t, rec, http.StatusMethodNotAllowed, bankhook.ReasonMethodNotAllowed)

	r.Method = http.MethodPost
	rec = serveGuard(readBodyChain(bankhook.BodyOptions{}, &bodySeen{}), r)
	problemOf(t, rec, http.StatusUnsupportedMediaType, bankhook.ReasonUnsupportedMediaType)
}

// TestReadBodyReusesBuffers checks the lifetime rules of the pooled body
// buffers: what BodyFrom and a decode function were given stays intact
// after later requests have reused the buffer, and r.Body cannot be read
// once the handler has returned.
func TestReadBodyReusesBuffers(t *testing.T) {
	bodies := []string{`{"id":"first"}`, `{"id":"other"}`, `{"id":"third"}`}

	t.Run("BodyFrom and r.Body", func(t *testing.T) {
		var kept [][]byte
		var late []io.Reader
		h := readBodyChain(bankhook.BodyOptions{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, ok := bankhook.BodyFrom(r.Context())
			require.True(t, ok)
			kept = append(kept, b)
			late = append(late, r.Body)
		}))
		for range 20 { // enough requests for the pool to hand a buffer back
			for _, b := range bodies {
				serveGuard(h, jsonPost(b))
			}
		}
		for i, b := range kept {
			assert.Equal(t, bodies[i%len(bodies)], string(b), "request %d", i)
		}
		n, err := late[0].Read(make([]byte, 10))
		assert.Zero(t, n)
		assert.Error(t, err, "r.Body after the handler returned")
	})

	t.Run("a decoder that keeps the body", func(t *testing.T) {
		var events []*rawEvent
		h := bankhook.Chain(
			bankhook.Handle(func(_ context.Context, e *rawEvent) error {
				events = append(events, e)
				return nil
			}),
			bankhook.Observe(bankhook.ObserverFuncs{}),
			bankhook.ReadBody(bankhook.BodyOptions{}),
			bankhook.Decode(func(b []byte) (*rawEvent, error) { return &rawEvent{raw: b}, nil }),
		)
		for range 20 {
			for _, b := range bodies {
				require.Equal(t, http.StatusOK, serveGuard(h, jsonPost(b)).Code)
			}
		}
		for i, e := range events {
			assert.Equal(t, bodies[i%len(bodies)], string(e.raw), "event %d", i)
		}
	})

	t.Run("BodyFrom after the request", func(t *testing.T) {
		var asked, notAsked context.Context
		h := readBodyChain(bankhook.BodyOptions{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if asked == nil {
				asked = r.Context()
				_, _ = bankhook.BodyFrom(asked)
				return
			}
			notAsked = r.Context()
		}))
		serveGuard(h, jsonPost(bodies[0]))
		serveGuard(h, jsonPost(bodies[1]))
		b, ok := bankhook.BodyFrom(asked)
		assert.True(t, ok)
		assert.Equal(t, bodies[0], string(b), "the copy made during the request")
		_, ok = bankhook.BodyFrom(notAsked)
		assert.False(t, ok, "no copy was made, and the buffer is gone")
	})
}

// rawEvent is an event that keeps the body it was decoded from.
type rawEvent struct{ raw []byte }

func (e *rawEvent) IdempotencyKey() string { return string(e.raw) }

// trickleBody is a request body that arrives chunk bytes per Read and
// records, at each Read, how large the buffer ReadBody offers is: the
// bytes already received plus the room given for more.
type trickleBody struct {
	data      []byte
	chunk     int
	received  int
	held      []int  // received + len(p), at each Read
	firstRead func() // called at the first Read, if set
}

func (b *trickleBody) Read(p []byte) (int, error) {
	if b.held == nil && b.firstRead != nil {
		b.firstRead()
	}
	b.held = append(b.held, b.received+len(p))
	if b.received == len(b.data) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), b.chunk)], b.data[b.received:])
	b.received += n
	return n, nil
}

func (*trickleBody) Close() error { return nil }

// totalAlloc is the number of bytes the process has allocated so far.
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestReadBodyGrowsAsBodyArrives checks that ReadBody's buffer follows
// the bytes that arrived, not the Content-Length announced: a body
// declared as 1 MiB is read into a buffer of at most 16 KiB (or a pooled
// one, at most 64 KiB) at first, allocated before its first byte arrives;
// the buffer is then allocated anew only to hold at most twice what
// arrived plus those 16 KiB, never more than the limit and the one byte
// that detects a longer body.
func TestReadBodyGrowsAsBodyArrives(t *testing.T) {
	tests := []struct {
		name     string
		declared int64 // -1 for unknown
		size     int
		chunk    int
	}{
		{name: "declared 1 MiB, 1 KiB reads", declared: bankhook.DefaultMaxBody, size: int(bankhook.DefaultMaxBody), chunk: 1 << 10},
		{name: "declared 1 MiB, 100 bytes arrive", declared: bankhook.DefaultMaxBody, size: 100, chunk: 100},
		{name: "declared 1 MiB, 4 KiB reads", declared: bankhook.DefaultMaxBody, size: 300 << 10, chunk: 4 << 10},
		{name: "declared 40 KiB", declared: 40 << 10, size: 40 << 10, chunk: 1 << 10},
		{name: "chunked 1 MiB", declared: -1, size: int(bankhook.DefaultMaxBody), chunk: 8 << 10},
	}
	const (
		firstBuffer  = 16 << 10 // the most ReadBody allocates before a byte arrives (and one byte)
		pooledBuffer = 64 << 10 // the largest buffer ReadBody reuses
		// sizeClassSlack is how far the runtime may round a large
		// allocation up (to whole pages).
		sizeClassSlack = 8 << 10
		// stateAlloc bounds what the chain allocates besides the body
		// buffer before the first read (Observe's request state).
		stateAlloc = 4 << 10
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The allocation count is the process's: another goroutine
			// (the runtime, a test before this one) can only add to it, so
			// the least of three runs is this chain's own.
			var body *trickleBody
			before := uint64(math.MaxUint64)
			for range 3 {
				var start, atFirstRead uint64
				body = &trickleBody{data: bytes.Repeat([]byte("a"), tc.size), chunk: tc.chunk,
					firstRead: func() { atFirstRead = totalAlloc() }}
				final := &bodySeen{}
				h := readBodyChain(bankhook.BodyOptions{}, final)
				r := jsonPost("")
				r.Body, r.ContentLength = body, tc.declared
				rec := httptest.NewRecorder()
				start = totalAlloc()
				h.ServeHTTP(rec, r)
				require.Equal(t, http.StatusNoContent, rec.Code)
				require.Equal(t, tc.size, len(final.kept))
				before = min(before, atFirstRead-start)
			}

			assert.LessOrEqual(t, before, uint64(firstBuffer+1+stateAlloc), "bytes allocated before the first byte")
			require.NotEmpty(t, body.held)
			assert.LessOrEqual(t, body.held[0], pooledBuffer, "the first buffer")
			received, prev := 0, body.held[0]
			for i, held := range body.held {
				if held > prev+tc.chunk { // more than the bytes read since: a new buffer
					assert.LessOrEqual(t, held, 2*received+firstBuffer+1+sizeClassSlack, "read %d, after %d bytes", i, received)
				}
				assert.LessOrEqual(t, held, int(bankhook.DefaultMaxBody)+1+sizeClassSlack, "read %d", i)
				received = min(received+tc.chunk, tc.size)
				prev = held
			}
		})
	}
}

// TestReadBodyStalledSenders holds connections that announce a 1 MiB
// body and send 100 bytes of it, over a real listener, and checks that
// the server's heap grows by far less than 1 MiB a connection while
// ReadBody waits for the rest.
func TestReadBodyStalledSenders(t *testing.T) {
	const conns = 32
	reading := make(chan struct{}, conns)
	// signalRead runs just before ReadBody and tells when ReadBody has
	// its buffer and has started reading into it.
	signalRead := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = &firstRead{ReadCloser: r.Body, signal: reading}
			next.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(bankhook.Chain(&bodySeen{}, bankhook.Observe(bankhook.ObserverFuncs{}),
		signalRead, bankhook.ReadBody(bankhook.BodyOptions{})))
	defer srv.Close()

	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	head := "POST /hook HTTP/1.1\r\nHost: bank\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.FormatInt(bankhook.DefaultMaxBody, 10) + "\r\n\r\n" + strings.Repeat("x", 100)
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for range conns {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		require.NoError(t, err)
		open = append(open, c)
		_, err = io.WriteString(c, head)
		require.NoError(t, err)
	}
	timeout := time.After(10 * time.Second)
	for i := range conns {
		select {
		case <-reading:
		case <-timeout:
			t.Fatalf("%d of %d handlers reading after 10 s", i, conns)
		}
	}
	grown := int64(heap()) - int64(before)
	t.Logf("heap grew by %d bytes for %d stalled senders (%d a sender)", grown, conns, grown/conns)
	assert.Less(t, grown, int64(conns*128<<10), "each stalled sender holds well under 1 MiB")
}

// firstRead is a body that sends on signal at its first Read.
type firstRead struct {
	io.ReadCloser
	signal chan<- struct{}
	done   bool
}

func (f *firstRead) Read(p []byte) (int, error) {
	if !f.done {
		f.done = true
		f.signal <- struct{}{}
	}
	return f.ReadCloser.Read(p)
}

// TestReadBodyRoundTrip sends bodies of every size around the buffer's
// growth steps and the limit, declared or not, truthfully or not, in
// reads of several sizes, and requires each to arrive byte for byte, or
// to be refused with 413 when it is over the limit.
func TestReadBodyRoundTrip(t *testing.T) {
	// pattern is a body whose every byte depends on its offset, so that a
	// byte dropped, repeated or moved shows.
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(i%251%26)
		}
		return b
	}
	declares := []struct {
		name string
		of   func(size, limit int) int64
	}{
		{"declared", func(size, _ int) int64 { return int64(size) }},
		{"chunked", func(int, int) int64 { return -1 }},
		{"declared short", func(size, _ int) int64 { return int64(size / 2) }},
		{"declared long", func(size, limit int) int64 { return int64(min(2*size+1, limit)) }},
	}
	check := func(t *testing.T, limit int, sizes []int, chunks []int) {
		t.Helper()
		full := pattern(limit + 1)
		for _, d := range declares {
			for _, chunk := range chunks {
				for _, size := range sizes {
					final := &bodySeen{}
					r := jsonPost("")
					r.Body = &trickleBody{data: full[:size], chunk: chunk}
					r.ContentLength = d.of(size, limit)
					rec := serveGuard(readBodyChain(bankhook.BodyOptions{MaxBytes: int64(limit)}, final), r)
					where := fmt.Sprintf("%s, size %d, reads of %d", d.name, size, chunk)
					if size > limit {
						require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, where)
						require.Zero(t, final.calls, where)
						continue
					}
					require.Equal(t, http.StatusNoContent, rec.Code, where)
					require.True(t, bytes.Equal(full[:size], final.kept), "%s: BodyFrom", where)
					require.True(t, bytes.Equal(full[:size], final.rbody), "%s: r.Body", where)
				}
			}
		}
	}

	t.Run("every size to a 2 KiB limit", func(t *testing.T) {
		const limit = 2 << 10
		sizes := make([]int, 0, limit+2)
		for n := range limit + 2 {
			sizes = append(sizes, n)
		}
		check(t, limit, sizes, []int{1 << 20, 300})
	})
	t.Run("every step to the default limit", func(t *testing.T) {
		limit := int(bankhook.DefaultMaxBody)
		var sizes []int
		for step := 512; step <= limit; step *= 2 {
			for n := step - 2; n <= step+2 && n <= limit+1; n++ {
				sizes = append(sizes, n)
			}
		}
		sizes = append(sizes, 3439, 12212, 40<<10+7, limit-1, limit, limit+1)
		check(t, limit, sizes, []int{1 << 20, 4 << 10, 1000})
	})
	t.Run("sizes drawn across the default limit", func(t *testing.T) {
		limit := int(bankhook.DefaultMaxBody)
		rng := rand.New(rand.NewPCG(7, 11))
		sizes := make([]int, 64)
		for i := range sizes {
			sizes[i] = rng.IntN(limit + 2)
		}
		check(t, limit, sizes, []int{1 << 20, 3000})
	})
}

// BenchmarkReadBody measures Observe + ReadBody in front of a handler
// that answers 204 without reading the body, for bodies from a bunq
// event's size (3 KB) to the default limit (1 MiB), each with its
// Content-Length declared and of unknown length (chunked).
func BenchmarkReadBody(b *testing.B) {
	for _, size := range []int{3 << 10, 16 << 10, 64 << 10, 1 << 20} {
		body := []byte(`{"pad":"` + strings.Repeat("x", size-len(`{"pad":""}`)) + `"}`)
		for _, declared := range []bool{true, false} {
			name := strconv.Itoa(size>>10) + "KiB"
			if declared {
				name += "/declared"
			} else {
				name += "/chunked"
			}
			b.Run(name, func(b *testing.B) {
				h := readBodyChain(bankhook.BodyOptions{}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.WriteHeader(http.StatusNoContent)
				}))
				rd := bytes.NewReader(body)
				r := jsonPost("")
				r.Body = io.NopCloser(rd)
				r.ContentLength = -1
				if declared {
					r.ContentLength = int64(len(body))
				}
				w := &benchWriter{h: make(http.Header)}
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					rd.Reset(body)
					h.ServeHTTP(w, r)
				}
				if w.status != http.StatusNoContent {
					b.Fatalf("status %d", w.status)
				}
			})
		}
	}
}
