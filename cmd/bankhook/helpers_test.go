package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/hooktest/samples"
)

// syncBuffer is a bytes.Buffer safe for one writer and many readers.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is a running `bankhook serve` subprocess.
type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	url     string // scheme://host:port, as logged
	out     string // the --out file; "" for standard output
	stdout  syncBuffer
	stderr  syncBuffer
	exited  chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's result, set before exited is closed
}

var listeningRE = regexp.MustCompile(`listening on (https?://[^\s"]+)`)

// startServe starts `bankhook serve --addr 127.0.0.1:0` with args (and
// --out FILE in a temporary directory unless args set --out or
// --postgres, and
// --inspect off with --dev unless args set --inspect), waits until it
// listens and kills it at the end of the test if it still runs.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	s := &server{t: t, exited: make(chan struct{})}
	full := []string{"serve", "--addr", "127.0.0.1:0"}
	switch i := slices.Index(args, "--out"); {
	case i < 0 && slices.Contains(args, "--postgres"): // PostgreSQL is the output
	case i < 0:
		s.out = filepath.Join(t.TempDir(), "events.jsonl")
		full = append(full, "--out", s.out)
	case i+1 < len(args) && args[i+1] != "-":
		s.out = args[i+1]
	}
	if slices.Contains(args, "--dev") && !slices.Contains(args, "--inspect") {
		// --dev's inspector listens on the fixed 127.0.0.1:4040; a test
		// that wants one gives --inspect 127.0.0.1:0.
		full = append(full, "--inspect", "off")
	}
	s.cmd = exec.Command(bin, append(full, args...)...)
	s.cmd.Stdout = &s.stdout
	stderr, err := s.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, s.cmd.Start())

	listening := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = s.stderr.Write([]byte(line + "\n"))
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case listening <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() {
		<-copied // Wait closes the pipe: read it all first
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})

	select {
	case s.url = <-listening:
	case <-s.exited:
		t.Fatalf("serve %v exited before listening: %v\n%s", args, s.waitErr, s.stderr.String())
	case <-time.After(time.Minute):
		t.Fatalf("serve %v did not log its address:\n%s", args, s.stderr.String())
	}
	return s
}

// stop sends SIGTERM, requires a graceful exit (status 0) and returns the
// lines written to --out.
func (s *server) stop() []eventLineJSON {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); !errors.Is(err, os.ErrProcessDone) {
		require.NoError(s.t, err)
	}
	select {
	case <-s.exited:
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		s.t.Fatalf("serve did not stop on SIGTERM:\n%s", s.stderr.String())
	}
	require.NoError(s.t, s.waitErr, "serve's exit; stderr:\n%s", s.stderr.String())
	require.Contains(s.t, s.stderr.String(), "msg=stopped")
	if s.out == "" {
		return parseLines(s.t, []byte(s.stdout.String()))
	}
	b, err := os.ReadFile(s.out)
	require.NoError(s.t, err)
	return parseLines(s.t, b)
}

// eventLineJSON is an output line as a reader of the output sees it.
type eventLineJSON struct {
	Provider   string         `json:"provider"`
	Key        string         `json:"key"`
	Category   string         `json:"category"`
	EventType  string         `json:"event_type"`
	ObjectType string         `json:"object_type"`
	ReceivedAt string         `json:"received_at"`
	Event      jsontext.Value `json:"event"`
	Raw        jsontext.Value `json:"raw"`
}

// parseLines parses output: every line one JSON object with exactly the
// eight fields, of the right JSON types.
func parseLines(t *testing.T, b []byte) []eventLineJSON {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	require.True(t, bytes.HasSuffix(b, []byte("\n")), "the output ends with a newline")
	var lines []eventLineJSON
	for n, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		var fields map[string]jsontext.Value
		require.NoError(t, json.Unmarshal(line, &fields), "line %d: %s", n+1, line)
		require.Len(t, fields, 8, "line %d: %s", n+1, line)
		for _, name := range []string{"provider", "key", "category", "event_type", "object_type", "received_at"} {
			require.Equal(t, jsontext.Kind('"'), fields[name].Kind(), "line %d: %s is not a string", n+1, name)
		}
		for _, name := range []string{"event", "raw"} {
			require.Equal(t, jsontext.Kind('{'), fields[name].Kind(), "line %d: %s is not an object", n+1, name)
		}
		var l eventLineJSON
		require.NoError(t, json.Unmarshal(line, &l, json.RejectUnknownMembers(true)))
		lines = append(lines, l)
	}
	return lines
}

// answer is what a request got back.
type answer struct {
	status int
	header http.Header
	body   string
}

// post sends body to url as the bank would, with extra headers given as
// name, value pairs.
func post(t *testing.T, client *http.Client, url, contentType string, body []byte, header ...string) answer {
	t.Helper()
	a, err := tryPost(t.Context(), client, url, contentType, body, header...)
	require.NoError(t, err)
	return a
}

// tryPost is post for goroutines other than the test's: it reports the
// error instead of failing the test.
func tryPost(ctx context.Context, client *http.Client, url, contentType string, body []byte, header ...string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return tryDo(client, req)
}

func do(t *testing.T, client *http.Client, req *http.Request) answer {
	t.Helper()
	a, err := tryDo(client, req)
	require.NoError(t, err)
	return a
}

func tryDo(client *http.Client, req *http.Request) (answer, error) {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}, nil
}

// reasonOf returns the "reason" of a problem+json answer.
func reasonOf(t *testing.T, a answer) string {
	t.Helper()
	require.Equal(t, "application/problem+json", a.header.Get("Content-Type"), "answer %d: %s", a.status, a.body)
	var p struct {
		Reason string `json:"reason"`
	}
	require.NoError(t, json.Unmarshal([]byte(a.body), &p))
	return p.Reason
}

func bunqSample(t *testing.T, name string) []byte {
	t.Helper()
	b, ok := samples.Bunq(name)
	require.True(t, ok, "bunq sample %s", name)
	return b
}

func bankhubSample(t *testing.T, name string) []byte {
	t.Helper()
	b, ok := samples.Bankhub(name)
	require.True(t, ok, "bankhub sample %s", name)
	return b
}

// logLines returns the lines of s's log whose text contains every one of
// parts.
func (s *server) logLines(parts ...string) []string {
	var found []string
	for line := range strings.Lines(s.stderr.String()) {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			found = append(found, line)
		}
	}
	return found
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// testCert is a self-signed certificate with its key, as PEM files.
type testCert struct {
	cert     *x509.Certificate
	certPEM  []byte
	certFile string
	keyFile  string
}

// newTestCert creates a self-signed certificate for 127.0.0.1 and
// localhost, valid until notAfter, and writes it and its key to dir.
func newTestCert(t *testing.T, dir, name string, notAfter time.Time) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"bankhook test"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost", name},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	c := testCert{
		cert:     cert,
		certPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		certFile: filepath.Join(dir, name+".pem"),
		keyFile:  filepath.Join(dir, name+".key"),
	}
	require.NoError(t, os.WriteFile(c.certFile, c.certPEM, 0o600))
	require.NoError(t, os.WriteFile(c.keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return c
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// eachConcurrently calls do(i) for every i in [0, n) from workers
// goroutines, each taking the next index as it finishes one, and returns
// when all calls have returned.
func eachConcurrently(workers, n int, do func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				do(i)
			}
		})
	}
	wg.Wait()
}
