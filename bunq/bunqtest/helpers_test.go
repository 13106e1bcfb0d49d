package bunqtest_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq/bunqtest"
)

// wire is a hand-written client of bunq's protocol, independent of
// bunqapi, so that the stand-in is checked against the documents rather
// than against the client it serves.
type wire struct {
	t         *testing.T
	srv       *bunqtest.Server
	key       *rsa.PrivateKey
	install   string // installation token
	session   string // session token
	serverKey *rsa.PublicKey
	userID    int64
	// sessionAnswer is session-server's user object by its kind.
	sessionAnswer map[string]jsontext.Value
	seq           atomic.Int64
}

// testKey is one 2048-bit key for every wire client of the run.
var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

// answer is a response as the wire client received it.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// items decodes the members of "Response".
func (a answer) items(t *testing.T) []map[string]jsontext.Value {
	t.Helper()
	var env struct {
		Response []map[string]jsontext.Value `json:"Response"`
	}
	require.NoError(t, json.Unmarshal(a.body, &env), string(a.body))
	return env.Response
}

// errorText returns the first error_description.
func (a answer) errorText(t *testing.T) string {
	t.Helper()
	var env struct {
		Error []struct {
			Description string `json:"error_description"`
		} `json:"Error"`
	}
	require.NoError(t, json.Unmarshal(a.body, &env), string(a.body))
	require.NotEmpty(t, env.Error, string(a.body))
	return env.Error[0].Description
}

type reqOpt func(*http.Request)

// withoutHeader leaves the header out; for User-Agent, net/http then
// sends none rather than its own.
func withoutHeader(name string) reqOpt {
	return func(r *http.Request) {
		r.Header.Del(name)
		if name == "User-Agent" {
			r.Header.Set(name, "")
		}
	}
}
func withHeader(name, value string) reqOpt {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

// do sends a request with every header bunq requires, the given token
// and, when sign is set, a body signature.
func (w *wire) do(method, path, token string, body []byte, sign bool, opts ...reqOpt) answer {
	w.t.Helper()
	r, err := http.NewRequest(method, w.srv.URL()+path, bytes.NewReader(body))
	require.NoError(w.t, err)
	r.Header.Set("Cache-Control", "no-cache")
	r.Header.Set("User-Agent", "wire-test")
	r.Header.Set("X-Bunq-Client-Request-Id", fmt.Sprintf("req-%p-%d", w, w.seq.Add(1)))
	r.Header.Set("X-Bunq-Geolocation", "0 0 0 0 000")
	r.Header.Set("X-Bunq-Language", "en_US")
	r.Header.Set("X-Bunq-Region", "nl_NL")
	if token != "" {
		r.Header.Set("X-Bunq-Client-Authentication", token)
	}
	if sign {
		r.Header.Set("X-Bunq-Client-Signature", signBody(w.key, body))
	}
	for _, o := range opts {
		o(r)
	}
	resp, err := http.DefaultClient.Do(r)
	require.NoError(w.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err)
	return answer{resp.StatusCode, resp.Header, b}
}

func signBody(key *rsa.PrivateKey, body []byte) string {
	sum := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// verified reports whether the answer's signature verifies over its body.
func (w *wire) verified(a answer) bool {
	sig, err := base64.StdEncoding.DecodeString(a.header.Get("X-Bunq-Server-Signature"))
	if err != nil || len(sig) == 0 {
		return false
	}
	sum := sha256.Sum256(a.body)
	return rsa.VerifyPKCS1v15(w.serverKey, crypto.SHA256, sum[:], sig) == nil
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func publicPEM(t *testing.T, key *rsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// installOnly runs POST /v1/installation.
func installOnly(t *testing.T, srv *bunqtest.Server) *wire {
	t.Helper()
	w := &wire{t: t, srv: srv, key: testKey}
	a := w.do("POST", "/v1/installation", "", mustJSON(t, map[string]string{"client_public_key": publicPEM(t, &testKey.PublicKey)}), false)
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	var tok struct {
		Token string `json:"token"`
	}
	var key struct {
		Key string `json:"server_public_key"`
	}
	for _, it := range a.items(t) {
		if raw, ok := it["Token"]; ok {
			require.NoError(t, json.Unmarshal(raw, &tok))
		}
		if raw, ok := it["ServerPublicKey"]; ok {
			require.NoError(t, json.Unmarshal(raw, &key))
		}
	}
	require.NotEmpty(t, tok.Token)
	block, _ := pem.Decode([]byte(key.Key))
	require.NotNil(t, block, key.Key)
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	require.NoError(t, err)
	w.install, w.serverKey = tok.Token, pub.(*rsa.PublicKey)
	require.True(t, w.verified(a), "the installation answer is signed with the key it carries")
	return w
}

// login runs the whole handshake for apiKey.
func login(t *testing.T, srv *bunqtest.Server, apiKey string) *wire {
	t.Helper()
	w := installOnly(t, srv)
	a := w.do("POST", "/v1/device-server", w.install, mustJSON(t, map[string]any{"description": "wire", "secret": apiKey}), true)
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	a = w.do("POST", "/v1/session-server", w.install, mustJSON(t, map[string]string{"secret": apiKey}), true)
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	for _, it := range a.items(t) {
		if raw, ok := it["Token"]; ok {
			var tok struct {
				Token string `json:"token"`
			}
			require.NoError(t, json.Unmarshal(raw, &tok))
			w.session = tok.Token
		}
		for _, kind := range []string{"UserPerson", "UserCompany", "UserApiKey", "UserPaymentServiceProvider"} {
			if raw, ok := it[kind]; ok {
				var u struct {
					ID int64 `json:"id"`
				}
				require.NoError(t, json.Unmarshal(raw, &u))
				w.userID = u.ID
				w.sessionAnswer = map[string]jsontext.Value{kind: raw}
			}
		}
	}
	require.NotEmpty(t, w.session)
	require.NotZero(t, w.userID)
	return w
}

// user returns /v1/user/{id} of the wire client's user.
func (w *wire) user(rest string) string {
	return "/v1/user/" + strconv.FormatInt(w.userID, 10) + rest
}

// newServer starts a stand-in without rate limits and closes it at the
// end of the test.
func newServer(t *testing.T, o bunqtest.Options) *bunqtest.Server {
	t.Helper()
	if o.RateWindow == 0 {
		o.RateWindow = -1
	}
	srv := bunqtest.NewServer(o)
	t.Cleanup(srv.Close)
	return srv
}

func addUser(t *testing.T, srv *bunqtest.Server, kind string) bunqtest.User {
	t.Helper()
	u, err := srv.AddUser(bunqtest.UserOptions{Kind: kind})
	require.NoError(t, err)
	return u
}

// quiet is a logger that drops everything.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// lockedBuffer is a log sink the test reads while servers write to it.
type lockedBuffer struct {
	mu  sync.Mutex // guards buf
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
