package inspect

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest/samples"
)

const testToken = "s3cret"

// fixture is serve in miniature: both banks' receivers, with the URL
// token, watched by an inspector, and the inspector's page on an
// httptest server.
type fixture struct {
	t       *testing.T
	insp    *Inspector
	target  http.Handler // what the banks call: the watched receivers
	page    *httptest.Server
	handled atomic.Int64 // events the application handled
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	f := &fixture{t: t}
	if o.Banks == nil {
		o.Banks = []Bank{
			{Name: "bunq", Path: "/bunq", SampleNames: samples.BunqNames, Sample: samples.Bunq},
			{Name: "bankhub", Path: "/bankhub", SampleNames: samples.BankhubNames, Sample: samples.Bankhub},
		}
	}
	if o.Token == "" {
		o.Token = testToken
	}
	if o.Line == nil {
		o.Line = testLine
	}
	insp, err := New(o)
	require.NoError(t, err)
	f.insp = insp

	allow, err := bankhook.NewIPAllowlist("127.0.0.0/8")
	require.NoError(t, err)
	ro := bankhook.ReceiverOptions{
		Allow:    allow,
		Tokens:   []string{testToken},
		Observer: insp.Observer(),
	}
	bunqH, err := bunq.NewReceiver(bunq.Config{ReceiverOptions: ro, Handler: func(ctx context.Context, n *bunq.Notification) error {
		f.handled.Add(1)
		line, _ := testLine(ctx)
		SetLine(ctx, line)
		return nil
	}})
	require.NoError(t, err)
	bankhubH, err := bankhub.NewReceiver(bankhub.Config{ReceiverOptions: ro, Handler: func(ctx context.Context, w *bankhub.Webhook) error {
		f.handled.Add(1)
		return nil
	}})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/bunq", insp.Watch("bunq", bunqH))
	mux.Handle("/bankhub", insp.Watch("bankhub", bankhubH))
	f.target = mux
	f.page = httptest.NewServer(insp.Handler(mux, "bank.test"))
	t.Cleanup(func() {
		insp.Close()
		f.page.Close()
	})
	return f
}

// testLine stands in for serve's output line: the key and the body.
func testLine(ctx context.Context) ([]byte, bool) {
	key, _ := bankhook.IdempotencyKeyFrom(ctx)
	body, ok := bankhook.BodyFrom(ctx)
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(map[string]any{"key": key, "raw": jsontext.Value(body)})
	return b, err == nil
}

// deliver sends a request to the banks' handler as a bank at 127.0.0.1
// would, and returns the answer.
func (f *fixture) deliver(path, contentType string, body []byte, header ...string) *http.Response {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.target.ServeHTTP(rec, req)
	return rec.Result()
}

// pageRequest sends a request to the inspector's page server, with the
// session cookie a browser got from the access address.
func (f *fixture) pageRequest(method, path string, header ...string) (int, http.Header, []byte) {
	f.t.Helper()
	return f.request(method, path, true, append([]string{"Cookie", f.sessionCookie().String()}, header...)...)
}

// sessionCookie returns the session cookie of f's page server.
func (f *fixture) sessionCookie() *http.Cookie {
	return &http.Cookie{Name: cookieName(f.page.Listener.Addr().String()), Value: f.insp.session}
}

// anonRequest sends a request to the inspector's page server with header
// only, no cookie, as a browser that never opened the access address
// would, and follows no redirect.
func (f *fixture) anonRequest(method, path string, header ...string) (int, http.Header, []byte) {
	f.t.Helper()
	return f.request(method, path, false, header...)
}

// request sends a request to the inspector's page server with header
// (pairs; "Host" sets the Host header), following redirects if follow.
func (f *fixture) request(method, path string, follow bool, header ...string) (int, http.Header, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.page.URL+path, nil)
	require.NoError(f.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Host") {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	client := *f.page.Client()
	client.Timeout = 10 * time.Second // a stream that should have been refused ends the test
	if !follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := client.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, resp.Header, b
}

// action POSTs to an action endpoint with the page's token.
func (f *fixture) action(path string) (int, []byte) {
	f.t.Helper()
	status, _, b := f.pageRequest(http.MethodPost, path, HeaderToken, f.insp.token)
	return status, b
}

// detail returns GET /deliveries/{id}.
func (f *fixture) detail(id string) Detail {
	f.t.Helper()
	status, _, b := f.pageRequest(http.MethodGet, "/deliveries/"+id)
	require.Equal(f.t, http.StatusOK, status, string(b))
	var d Detail
	require.NoError(f.t, json.Unmarshal(b, &d))
	return d
}

func sample(t *testing.T, bank, name string) []byte {
	t.Helper()
	var b []byte
	var ok bool
	switch bank {
	case "bunq":
		b, ok = samples.Bunq(name)
	case "bankhub":
		b, ok = samples.Bankhub(name)
	}
	require.True(t, ok, "%s sample %s", bank, name)
	return b
}
