package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
)

func TestMarshalLine(t *testing.T) {
	body := []byte("{\n  \"note\": \"caf\\u00e9 \\/ <b>\",\n  \"amount\": 123456789012345678.10,\n  \"list\": [ 1, 2 ]\n}\n")
	at := time.Date(2025, 3, 14, 10, 12, 44, 118230000, time.FixedZone("CET", 3600))
	b, err := Marshal(Line{
		Provider: "bunq", Key: "k", Category: "MUTATION", EventType: "MUTATION_CREATED", ObjectType: "Payment",
		ReceivedAt: at, Event: map[string]int{"id": 1}, Raw: body,
	})
	require.NoError(t, err)
	assert.Equal(t, `{"provider":"bunq","key":"k","category":"MUTATION","event_type":"MUTATION_CREATED","object_type":"Payment",`+
		`"received_at":"2025-03-14T09:12:44.11823Z","event":{"id":1},`+
		`"raw":{"note":"caf\u00e9 \/ <b>","amount":123456789012345678.10,"list":[1,2]}}`, string(b),
		"one line; received_at in UTC; raw keeps strings and numbers as sent")
}

func TestMarshalLineRefusesInvalidRaw(t *testing.T) {
	_, err := Marshal(Line{Raw: jsontext.Value(`{"a":`)})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "bankhook: encode event line: "), err.Error())
}

func TestLineWriterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("{\"earlier\":true}\n"), 0o600))
	w, err := Open(path, nil)
	require.NoError(t, err)

	const writers, each = 8, 50
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range each {
				line := fmt.Sprintf(`{"writer":%d,"n":%d,"pad":%q}`, i, j, strings.Repeat("x", 4096))
				assert.NoError(t, w.WriteLine([]byte(line)))
			}
		})
	}
	wg.Wait()
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "Close is idempotent")
	assert.ErrorIs(t, w.WriteLine([]byte(`{}`)), ErrClosed)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	require.Len(t, lines, 1+writers*each, "appended, one line per write")
	seen := map[[2]int]bool{}
	for _, l := range lines[1:] {
		var v struct {
			Writer int `json:"writer"`
			N      int `json:"n"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &v), "lines never interleave")
		seen[[2]int{v.Writer, v.N}] = true
	}
	assert.Len(t, seen, writers*each)

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}

func TestLineWriterStdout(t *testing.T) {
	var buf bytes.Buffer
	w, err := Open("-", &buf)
	require.NoError(t, err)
	require.NoError(t, w.WriteLine([]byte(`{"a":1}`)))
	assert.Equal(t, "{\"a\":1}\n", buf.String(), "written at once, nothing buffered")
	require.NoError(t, w.Close())
}

func TestLineWriterStdoutRedirectedToFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	require.NoError(t, err)
	defer f.Close()
	w, err := Open("-", f)
	require.NoError(t, err)
	assert.Same(t, f, w.file, "a redirected standard output is synced")
	require.NoError(t, w.WriteLine([]byte(`{"a":1}`)))
	require.NoError(t, w.Close())
	_, err = f.WriteString("still open\n")
	assert.NoError(t, err, "standard output is not closed")
}

// failingWriter writes half of its first write, then fails it.
type failingWriter struct {
	buf    bytes.Buffer
	failed bool
}

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if !f.failed {
		f.failed = true
		n, _ := f.buf.Write(p[:len(p)/2])
		return n, errDiskFull
	}
	return f.buf.Write(p)
}

func TestLineWriterRecoversFromPartialWrite(t *testing.T) {
	fw := &failingWriter{}
	w := &Writer{w: fw}
	err := w.WriteLine([]byte(`{"first":1}`))
	require.ErrorIs(t, err, errDiskFull)
	require.NoError(t, w.WriteLine([]byte(`{"second":2}`)))
	require.NoError(t, w.WriteLine([]byte(`{"third":3}`)))
	assert.Equal(t, "{\"firs\n{\"second\":2}\n{\"third\":3}\n", fw.buf.String(),
		"the partial line stays on a line of its own")
}

func TestOpenLinesError(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing", "events.jsonl"), nil)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "bankhook: output: "), err.Error())
}

// lineJSON is a line as a reader of the output sees it.
type lineJSON struct {
	Provider   string         `json:"provider"`
	Key        string         `json:"key"`
	Category   string         `json:"category"`
	EventType  string         `json:"event_type"`
	ObjectType string         `json:"object_type"`
	ReceivedAt string         `json:"received_at"`
	Event      jsontext.Value `json:"event"`
	Raw        jsontext.Value `json:"raw"`
}

// lineFor builds the line serve writes for body, which must decode.
func lineFor(provider string, body []byte) (Line, error) {
	l := Line{Provider: provider, Raw: body, ReceivedAt: time.Unix(1_741_943_564, 118_230_000)}
	switch provider {
	case "bunq":
		n, err := bunq.Decode(body)
		if err != nil {
			return l, err
		}
		l.Key, l.Category, l.EventType, l.ObjectType, l.Event = n.IdempotencyKey(), string(n.Category), string(n.EventType), n.Object.ObjectType(), n
	default:
		w, err := bankhub.Decode(body)
		if err != nil {
			return l, err
		}
		l.Key, l.Category, l.EventType, l.ObjectType, l.Event = w.IdempotencyKey(), string(w.Type), string(w.Code), w.Event().Kind(), w
	}
	return l, nil
}

// FuzzEventLine checks, for every body a decoder accepts, that its line
// is one line of valid JSON whose raw is the body and whose event decodes
// to the same event. Its seeds are kilobytes long: run it with a bounded
// minimization, go test -fuzz FuzzEventLine -fuzzminimizetime 50x.
func FuzzEventLine(f *testing.F) {
	for _, name := range bunq.SampleNames() {
		b, _ := bunq.Sample(name)
		f.Add(true, b)
	}
	for _, name := range bankhub.SampleNames() {
		b, _ := bankhub.Sample(name)
		f.Add(false, b)
	}
	f.Add(true, []byte(`{"NotificationUrl":{"category":"MUTATION","event_type":"MUTATION_CREATED","object":{"FutureThing":{"id":77,"note":"caf\u00e9"}}}}`))
	f.Add(true, []byte("{\"NotificationUrl\":{\"category\":\"MUTATION\",\"object\":{\"Payment\":{\"id\":1,\"description\":\"line\\nbreak\\u2028\"}}}}"))
	f.Fuzz(func(t *testing.T, isBunq bool, body []byte) {
		provider := "bankhub"
		if isBunq {
			provider = "bunq"
		}
		l, err := lineFor(provider, body)
		if err != nil {
			return // refused by the decoder: never written
		}
		line, err := Marshal(l)
		require.NoError(t, err, "a decoded event always has a line")
		require.NotContains(t, string(line), "\n", "one line")

		var got lineJSON
		require.NoError(t, json.Unmarshal(line, &got, json.RejectUnknownMembers(true)))
		assert.Equal(t, l.Key, got.Key)
		want := jsontext.Value(bytes.Clone(body))
		require.NoError(t, want.Compact(jsontext.PreserveRawStrings(true)))
		assert.Equal(t, string(want), string(got.Raw), "raw is the body, compacted")

		switch provider {
		case "bunq":
			again, err := bunq.Decode(got.Event)
			require.NoError(t, err, "event: %s", got.Event)
			assert.Equal(t, l.Key, again.IdempotencyKey())
		default:
			again, err := bankhub.Decode(got.Event)
			require.NoError(t, err, "event: %s", got.Event)
			assert.Equal(t, l.Key, again.IdempotencyKey())
		}
	})
}

func BenchmarkMarshalLine(b *testing.B) {
	for _, s := range []struct{ provider, name string }{{"bunq", "MUTATION"}, {"bankhub", "TRANSACTIONS_DEFAULT_UPDATE"}} {
		b.Run(s.provider+"/"+s.name, func(b *testing.B) {
			get := map[string]func(string) ([]byte, bool){"bunq": bunq.Sample, "bankhub": bankhub.Sample}[s.provider]
			body, _ := get(s.name)
			l, err := lineFor(s.provider, body)
			require.NoError(b, err)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Marshal(l); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWriteLine measures the lock and the write to standard output
// (io.Discard here) and to a file with its fsync, the cost each handled
// event pays before it is acknowledged.
func BenchmarkWriteLine(b *testing.B) {
	body, _ := bunq.Sample("MUTATION")
	l, err := lineFor("bunq", body)
	require.NoError(b, err)
	line, err := Marshal(l)
	require.NoError(b, err)
	b.Run("stdout", func(b *testing.B) {
		w, err := Open("-", io.Discard)
		require.NoError(b, err)
		b.SetBytes(int64(len(line)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := w.WriteLine(line); err != nil {
					b.Error(err)
				}
			}
		})
	})
	b.Run("file+fsync", func(b *testing.B) {
		w, err := Open(filepath.Join(b.TempDir(), "events.jsonl"), nil)
		require.NoError(b, err)
		defer w.Close()
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			if err := w.WriteLine(line); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// downWriter fails every write while down is set.
type downWriter struct {
	buf  bytes.Buffer
	down bool
}

func (d *downWriter) Write(p []byte) (int, error) {
	if d.down {
		return 0, errDiskFull
	}
	return d.buf.Write(p)
}

func TestCheck(t *testing.T) {
	dw := &downWriter{}
	w := &Writer{w: dw}
	require.NoError(t, w.Check(), "a new output is usable")

	dw.down = true
	require.ErrorIs(t, w.WriteLine([]byte(`{"a":1}`)), errDiskFull)
	assert.ErrorIs(t, w.Check(), errDiskFull, "unusable after a failed write")
	assert.ErrorIs(t, w.Check(), errDiskFull, "and while it still fails")

	// It recovers without an event being written: Check ends the partial
	// line itself, and the next line needs no separator.
	dw.down = false
	require.NoError(t, w.Check())
	assert.Equal(t, "\n", dw.buf.String())
	require.NoError(t, w.WriteLine([]byte(`{"b":2}`)))
	assert.Equal(t, "\n{\"b\":2}\n", dw.buf.String())

	require.NoError(t, w.Close())
	assert.ErrorIs(t, w.Check(), ErrClosed)
}

func TestCheckDevFull(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full on this system")
	}
	defer f.Close()
	w := &Writer{w: f}
	require.Error(t, w.WriteLine([]byte(`{"a":1}`)))
	assert.ErrorContains(t, w.Check(), "no space left on device")
}
