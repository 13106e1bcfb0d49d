package output

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/hooktest/samples"
)

// testLine returns a small event line of provider with key, received at
// at, without its newline.
func testLine(t testing.TB, provider, key string, at time.Time) string {
	t.Helper()
	b, err := Marshal(Line{Provider: provider, Key: key, Category: "C", EventType: "E", ObjectType: "O",
		ReceivedAt: at, Event: map[string]int{"id": 1}, Raw: []byte(`{"id":1}`)})
	require.NoError(t, err)
	return string(b)
}

// appendTestLine appends what testLine returns, and a newline, faster:
// provider and key must need no JSON escaping.
func appendTestLine(b []byte, provider, key string, at time.Time) []byte {
	b = append(b, `{"provider":"`...)
	b = append(b, provider...)
	b = append(b, `","key":"`...)
	b = append(b, key...)
	b = append(b, `","category":"C","event_type":"E","object_type":"O","received_at":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, `","event":{"id":1},"raw":{"id":1}}`+"\n"...)
}

// lineTemplate is a real event line whose event id is a placeholder, so
// that lines of distinct events are made by patching bytes.
type lineTemplate struct {
	parts [][]byte // the line split around the id and the received_at value
	slots []byte   // for each gap between parts: 'i' (the id) or 't' (the time)
	width int      // digits of the id
}

// newLineTemplate marshals the line serve writes for a built-in sample,
// and marks where its id (the string id, found in the key, the event and
// the raw body) and its received_at go.
func newLineTemplate(t testing.TB, provider, sample, id string) *lineTemplate {
	t.Helper()
	get := map[string]func(string) ([]byte, bool){"bunq": samples.Bunq, "bankhub": samples.Bankhub}[provider]
	body, ok := get(sample)
	require.True(t, ok, sample)
	l, err := lineFor(provider, body)
	require.NoError(t, err)
	const at = "2001-02-03T04:05:06.123456789Z"
	l.ReceivedAt, err = time.Parse(time.RFC3339Nano, at)
	require.NoError(t, err)
	line, err := Marshal(l)
	require.NoError(t, err)
	require.Equal(t, 1, bytes.Count(line, []byte(at)))
	require.GreaterOrEqual(t, bytes.Count(line, []byte(id)), 3, "the id is in the key, the event and the raw body")

	tp := &lineTemplate{width: len(id)}
	for len(line) > 0 {
		i, j := bytes.Index(line, []byte(id)), bytes.Index(line, []byte(at))
		switch {
		case i < 0 && j < 0:
			tp.parts = append(tp.parts, line)
			line = nil
		case j < 0 || (i >= 0 && i < j):
			tp.parts, tp.slots = append(tp.parts, line[:i]), append(tp.slots, 'i')
			line = line[i+len(id):]
		default:
			tp.parts, tp.slots = append(tp.parts, line[:j]), append(tp.slots, 't')
			line = line[j+len(at):]
		}
	}
	return tp
}

// append appends the line of event n, received at at, and a newline. The
// id is 1 followed by n zero-padded to the rest of the id's width, so that
// it never starts with a zero (a JSON number cannot).
func (tp *lineTemplate) append(b []byte, n int, at time.Time) []byte {
	for i, part := range tp.parts {
		b = append(b, part...)
		if i == len(tp.slots) {
			break
		}
		switch tp.slots[i] {
		case 'i':
			s := strconv.Itoa(n)
			b = append(b, '1')
			for range tp.width - 1 - len(s) {
				b = append(b, '0')
			}
			b = append(b, s...)
		case 't':
			b = at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000000Z07:00")
		}
	}
	return append(b, '\n')
}

// writeFile writes n lines to path, line i made by line(i), and returns
// the file's size.
func writeFile(t testing.TB, path string, n int, line func(b []byte, i int) []byte) int64 {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriterSize(f, 4<<20)
	var b []byte
	for i := range n {
		b = line(b[:0], i)
		_, err := w.Write(b)
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
	fi, err := f.Stat()
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return fi.Size()
}
