package output

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var lines []string
	for i := range 500 {
		n := rng.IntN(100)
		switch i % 50 {
		case 7:
			n = 0 // blank
		case 13:
			n = 300 // longer than the chunk
		}
		lines = append(lines, fmt.Sprintf("%d:%s", i, strings.Repeat("x", n)))
	}
	for _, ending := range []string{"\n", "", "\npartial"} {
		file := strings.Join(lines, "\n") + ending
		for _, chunk := range []int{1, 7, 64, 1 << 20} {
			t.Run(fmt.Sprintf("ending %q, chunk %d", ending, chunk), func(t *testing.T) {
				b := newBackward(strings.NewReader(file), int64(len(file)), 1<<20)
				b.chunk = chunk
				// What splitting forwards finds, from the last line back.
				want := strings.Split(file, "\n")
				var got []string
				for {
					line, off, ok, err := b.prev()
					require.NoError(t, err)
					if !ok {
						break
					}
					require.Equal(t, string(line), file[off:off+int64(len(line))], "offset %d", off)
					got = append(got, string(line))
				}
				require.Len(t, got, len(want))
				for i := range want {
					require.Equal(t, want[len(want)-1-i], got[i], "line %d from the end", i)
				}
			})
		}
	}
}

func TestBackwardLineTooLong(t *testing.T) {
	file := "short\n" + strings.Repeat("y", 5000) + "\nlast\n"
	b := newBackward(strings.NewReader(file), int64(len(file)), 1000)
	b.chunk = 100
	for _, want := range []string{"", "last"} {
		line, _, ok, err := b.prev()
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, want, string(line))
	}
	_, _, _, err := b.prev()
	require.ErrorIs(t, err, errLineTooLong)
}

func TestClassify(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	good := testLine(t, "bunq", "bunq:MUTATION:k1", at)
	tests := []struct {
		name     string
		line     string
		kind     kind
		provider string
		key      string
		reason   string
	}{
		{"event line", good, eventLine, "bunq", "bunq:MUTATION:k1", ""},
		{"escaped key", testLine(t, "bankhub", "k\"é\u2028\\", at), eventLine, "bankhub", "k\"é\u2028\\", ""},
		{"members in another order, with spaces",
			`{"key": "k2", "provider": "bunq", "received_at": "2026-11-25T10:00:00.123456789Z", "category": "C",` +
				` "event_type": "E", "object_type": "O", "raw": {}, "event": {}, "extra": 1}`, eventLine, "bunq", "k2", ""},
		{"blank", "", blankLine, "", "", ""},
		{"cut short", good[:len(good)/2], tornLine, "", "", "cut short"},
		{"cut in the first member", `{"prov`, tornLine, "", "", "cut short"},
		{"zeros", "\x00\x00\x00\x00", tornLine, "", "", reasonNUL},
		{"zeros in a line's head", good[:40] + "\x00\x00" + good[42:], tornLine, "", "", reasonNUL},
		{"text", "2026-11-25 10:00:00 INFO started", foreignLine, "", "", "not JSON"},
		{"other JSON", `{"level":"info","msg":"started"}`, foreignLine, "", "", `no "provider" member`},
		{"JSON array", `[1,2,3]`, foreignLine, "", "", "not a JSON object"},
		{"provider not a string", strings.Replace(good, `"provider":"bunq"`, `"provider":7`, 1), foreignLine, "", "", "not an event line"},
		{"bad time", strings.Replace(good, "2026-11-25T10", "yesterday", 1), foreignLine, "", "", "received_at"},
		{"event not an object", strings.Replace(good, `"event":{"id":1}`, `"event":[1]`, 1), foreignLine, "", "", `no "event" member`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, full := range []bool{false, true} {
				h, k, reason := classify([]byte(tt.line), full)
				require.Equal(t, tt.kind, k, "full %v: %s", full, reason)
				assert.Contains(t, reason, tt.reason)
				if k == eventLine {
					assert.Equal(t, tt.provider, string(h.provider))
					assert.Equal(t, tt.key, string(h.key))
					assert.True(t, h.receivedAt.Equal(at), h.receivedAt)
				}
			}
		})
	}
}

func TestClassifyZerosAfterTheHead(t *testing.T) {
	good := testLine(t, "bunq", "k", time.Now())
	damaged := []byte(strings.Replace(good, `"raw":{"id":1}`, `"raw":{"id":1,"x":"`+"\x00\x00"+`"}`, 1))
	_, k, _ := classify(damaged, false)
	assert.Equal(t, eventLine, k, "the head is read: an event line")
	_, k, reason := classify(damaged, true)
	assert.Equal(t, tornLine, k, "read in full: damaged")
	assert.Equal(t, reasonNUL, reason)
	assert.True(t, whole(damaged), "the braces still match")
	assert.False(t, intact(damaged))
}

// TestClassifyEveryCut cuts real lines at every byte: no proper prefix of
// a line is ever taken for a whole event line when the line is checked in
// full, and none is refused as foreign.
func TestClassifyEveryCut(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, tp := range []*lineTemplate{
		newLineTemplate(t, "bunq", "MUTATION", "2938471"),
		newLineTemplate(t, "bankhub", "TRANSACTIONS_DEFAULT_UPDATE", "9e0f1a2b3c4d"),
	} {
		line := bytes.TrimSuffix(tp.append(nil, 42, at), []byte("\n"))
		_, k, _ := classify(line, true)
		require.Equal(t, eventLine, k)
		require.True(t, whole(line))
		for n := 1; n < len(line); n++ {
			require.False(t, whole(line[:n]), "cut at %d of %d: %s", n, len(line), line[:n])
			_, full, _ := classify(line[:n], true)
			require.Equal(t, tornLine, full, "cut at %d of %d: %s", n, len(line), line[:n])
			_, headOnly, reason := classify(line[:n], false)
			require.NotEqual(t, foreignLine, headOnly, "cut at %d: %s", n, reason)
		}
	}
}

func TestWhole(t *testing.T) {
	tests := []struct {
		line  string
		whole bool
	}{
		{`{"a":1}`, true},
		{`{"a":"}","b":"{"}`, true},
		{`{"a":"\"}"}`, true},
		{`{"a":"\\"}`, true},
		{`{"a":"\\\"}"}`, true},
		{`{"a":[{"b":[]},{}],"c":{"d":"]"}}`, true},
		{`{"a":"\"}`, false},
		{`{"a":"\\`, false},
		{`{"a":[1,2]`, false},
		{`{"a":"x"`, false},
		{`{"a":1}}`, false},
		{`{"a":1} `, false},
		{`{"a":1}{"b":2}`, false},
		{`{"a":]}`, false},
		{`[1,2]`, false},
		{`{`, false},
		{``, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.whole, whole([]byte(tt.line)), tt.line)
	}
}

func TestLineNumber(t *testing.T) {
	file := "a\n\nbb\nccc\n"
	for off, want := range map[int64]int64{0: 1, 1: 1, 2: 2, 3: 3, 6: 4, 9: 4, 10: 5} {
		got, err := lineNumber(strings.NewReader(file), off)
		require.NoError(t, err)
		assert.Equal(t, want, got, "offset %d", off)
	}
}

// FuzzClassify is the differential test of the scanner's fast reading of
// lines: for any line, the head fastHead reads is the head the JSON
// decoder reads (slowHead) whenever the line is valid JSON; whole, which
// only balances braces, takes every valid event line for whole and none
// of its prefixes (what a crash leaves); and classify never takes
// a line that is not valid JSON for a checked event line.
func FuzzClassify(f *testing.F) {
	at := time.Date(2025, 3, 14, 9, 26, 53, 123456789, time.UTC)
	for i, key := range []string{"bunq:payment:7", `bunq:"quoted"\key`, "bankhub:tx:\u00e9\u2028"} {
		line := testLine(f, "bunq", key, at.Add(time.Duration(i)*time.Second))
		f.Add([]byte(line))
		f.Add([]byte(line[:len(line)/2]))
		f.Add([]byte(line[:len(line)-1]))
	}
	f.Add([]byte(`{"key":"k","provider":"bunq","category":"c","event_type":"e","object_type":"o","received_at":"2025-03-14T09:26:53Z","event":{},"raw":{}}`))
	f.Add([]byte(`{"provider":"bunq","key":"a\"b","category":"","event_type":"","object_type":"","received_at":"2025-03-14T09:26:53Z","event":{"x":"}"},"raw":{}}`))
	f.Add([]byte("{\"provider\":\"bunq\",\"key\":\"k\x00\"}"))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, line []byte) {
		isValid := valid(line)
		fast, fastOK := fastHead(line)
		if fastOK && isValid {
			slow, err := slowHead(line)
			if err == nil {
				assert.Equal(t, string(slow.provider), string(fast.provider))
				assert.Equal(t, string(slow.key), string(fast.key))
				assert.True(t, slow.receivedAt.Equal(fast.receivedAt))
			}
		}
		if fastOK {
			isObject := isValid && jsontext.Value(line).Kind() == '{'
			if isObject {
				assert.True(t, whole(line), "an event line that is valid JSON is whole: %q", line)
			}
			for _, cut := range []int{1, len(line) / 2, len(line) - 1} {
				if cut > 0 && cut < len(line) && isObject {
					assert.False(t, whole(line[:cut]), "a prefix of an event line is not whole: %q", line[:cut])
				}
			}
		}
		h, k, _ := classify(line, true)
		if k == eventLine {
			assert.True(t, isValid, "a checked event line is valid JSON: %q", line)
			assert.True(t, h.checked || !fastOK)
		}
	})
}
