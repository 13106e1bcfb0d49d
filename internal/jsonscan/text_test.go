package jsonscan

import (
	"bytes"
	"io"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestText(t *testing.T) {
	tests := []struct {
		in     string
		str    string // LeadingString's value; "-" when it declines
		n      int
		closed bool
	}{
		{in: `"abc",1`, str: "abc", n: 5},
		{in: `"a\"b\\"}`, str: `a"b\`, n: 8},
		{in: `"caf\u00e9"`, str: "café", n: 11},
		{in: `"open`, str: "-"},
		{in: "\"tab\tin\"", str: "-"},
		{in: `"\x"`, str: "-"},
		{in: `{"a":"}"}`, str: "-", closed: true},
		{in: `{"a":["}",{"b":"\\"}]}`, str: "-", closed: true},
		{in: `{"a":1}x`, str: "-"},
		{in: `{"a":"}`, str: "-"},
		{in: `{"a":[1}`, str: "-"},
		{in: `[1]`, str: "-"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v, n, ok := LeadingString([]byte(tc.in))
			if tc.str == "-" {
				assert.False(t, ok)
			} else {
				require.True(t, ok)
				assert.Equal(t, tc.str, string(v))
				assert.Equal(t, tc.n, n)
				end, ok := StringEnd([]byte(tc.in), 0)
				require.True(t, ok)
				assert.Equal(t, n-1, end)
			}
			assert.Equal(t, tc.closed, Closed([]byte(tc.in)))
		})
	}
}

// FuzzText is the differential test of the Decoder-free readers against
// jsontext: a string LeadingString accepts is the first token a Decoder
// reads, with the same value and length, and StringEnd finds its end;
// every valid JSON object is Closed, and none of its proper prefixes.
func FuzzText(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b\\"`, `"caf\u00e9\ud83d\ude00"`, `"\ud800"`, "\"\xff\"", `{"a":"}"}`, `{"a":[{"b":"\\"}]}`, `{}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, n, ok := LeadingString(b); ok {
			dec := jsontext.NewDecoder(bytes.NewReader(b[:n]))
			tok, err := dec.ReadToken()
			if err == nil { // jsontext also checks UTF-8, which LeadingString leaves to the caller
				require.Equal(t, jsontext.Kind('"'), tok.Kind())
				assert.Equal(t, tok.String(), string(v))
				_, err = dec.ReadToken()
				assert.ErrorIs(t, err, io.EOF, "the string is n bytes long")
			}
			end, ok := StringEnd(b, 0)
			require.True(t, ok)
			assert.Equal(t, n-1, end)
		}
		if jsontext.Value(b).IsValid(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)) {
			trimmed := bytes.TrimSpace(b)
			if len(trimmed) > 0 && trimmed[0] == '{' {
				assert.True(t, Closed(trimmed), "a valid object is closed: %q", trimmed)
				for _, cut := range []int{1, len(trimmed) / 2, len(trimmed) - 1} {
					if cut > 0 && cut < len(trimmed) {
						assert.False(t, Closed(trimmed[:cut]), "a proper prefix is not: %q", trimmed[:cut])
					}
				}
			}
		}
	})
}
