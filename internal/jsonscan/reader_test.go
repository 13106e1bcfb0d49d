package jsonscan

import (
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// get is a Reader over s with jsontext's defaults: no duplicate names,
// valid UTF-8, as the providers read bodies.
func get(s string) *Reader { return Get([]byte(s)) }

func TestParseInt(t *testing.T) {
	for _, s := range []string{
		"0", "-0", "7", "-7", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "-9223372036854775809", "00", "01", "-", "",
		"1.0", "1e3", "+1", "18446744073709551616", "99999999999999999999",
	} {
		t.Run(s, func(t *testing.T) {
			got, ok := parseInt([]byte(s), 64)
			want, err := strconv.ParseInt(s, 10, 64)
			jsonInt := err == nil && s != "" && (s == "0" || s == "-0" || strings.TrimPrefix(s, "-")[0] != '0') && s[0] != '+'
			require.Equal(t, jsonInt, ok)
			if ok {
				assert.Equal(t, want, got)
			}
		})
	}
	_, ok := parseInt([]byte("2147483648"), 32)
	assert.False(t, ok)
	n, ok := parseInt([]byte("-2147483648"), 32)
	assert.True(t, ok)
	assert.Equal(t, int64(-2147483648), n)
}

func TestStrings(t *testing.T) {
	var plain, escaped, null, num, date string
	r := get(`{"p":"abcdefghijklmnopqrstuvwxyz","e":"a\"b\\c\u00e9\/d","n":null,"x":12.50,"d":"2024-05-02"}`)
	defer Put(r)
	require.True(t, r.Object())
	for r.Member() {
		switch string(r.Name()) {
		case "p":
			r.String(&plain)
		case "e":
			r.String(&escaped)
		case "n":
			null = "unset"
			r.String(&null)
		case "x":
			r.StringOrNumber(&num)
		case "d":
			assert.Equal(t, "2024-05-02", string(r.Text(&date)))
		}
	}
	require.True(t, r.Finish())
	assert.Equal(t, "abcdefghijklmnopqrstuvwxyz", plain)
	assert.Equal(t, "a\"b\\cé/d", escaped)
	assert.Equal(t, "", null)
	assert.Equal(t, "12.50", num)
	assert.Equal(t, "2024-05-02", date)
}

// TestRefuses checks that what the Decoder refuses fails the Reader, and
// that values of the wrong kind fail the typed readers.
func TestRefuses(t *testing.T) {
	var s string
	var i int64
	var f float64
	var b bool
	tests := []struct {
		name string
		in   string
		read func(r *Reader)
	}{
		{"duplicate names", `{"a":1,"a":2}`, func(r *Reader) {
			for r.Object() && r.Member() {
				r.Skip()
			}
		}},
		{"duplicate names in a skipped value", `{"a":{"b":1,"b":2}}`, func(r *Reader) {
			for r.Object() && r.Member() {
				r.Skip()
			}
		}},
		{"invalid UTF-8", "\"\xff\"", func(r *Reader) { r.String(&s) }},
		{"trailing data", `"a" "b"`, func(r *Reader) { r.String(&s) }},
		{"number as string", `"1"`, func(r *Reader) { r.Int64(&i) }},
		{"fraction", `1.5`, func(r *Reader) { r.Int64(&i) }},
		{"out of range", `9223372036854775808`, func(r *Reader) { r.Int64(&i) }},
		{"float out of range", `1e400`, func(r *Reader) { r.Float64(&f) }},
		{"bool from string", `"true"`, func(r *Reader) { r.Bool(&b) }},
		{"string from number", `5`, func(r *Reader) { r.String(&s) }},
		{"object for array", `{}`, func(r *Reader) { r.Array() }},
		{"truncated", `{"a":`, func(r *Reader) {
			for r.Object() && r.Member() {
				r.Skip()
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(tc.in)
			defer Put(r)
			tc.read(r)
			assert.False(t, r.Finish())
		})
	}
}

// walk reads any JSON value with every reader method, as a decoder
// would, choosing by the kind of the next value.
func walk(r *Reader, depth int) {
	var s string
	var i int64
	var f float64
	var b bool
	switch k := r.Kind(); {
	case k == '{' && depth < 50:
		if r.Object() {
			for r.Member() {
				walk(r, depth+1)
			}
		}
	case k == '[' && depth < 50:
		if r.Array() {
			for r.Elem() {
				walk(r, depth+1)
			}
		}
	case k == '"':
		if depth%2 == 0 {
			r.String(&s)
		} else {
			r.Text(&s)
		}
	case k == '0':
		switch depth % 3 {
		case 0:
			r.Int64(&i)
		case 1:
			r.Float64(&f)
		default:
			r.StringOrNumber(&s)
		}
	case k == 't' || k == 'f':
		r.Bool(&b)
	default:
		r.Skip()
	}
}

// walkStructure reads any JSON value through Object, Member, Array, Elem
// and Value only.
func walkStructure(r *Reader) {
	switch r.Kind() {
	case '{':
		r.Object()
		for r.Member() {
			walkStructure(r)
		}
	case '[':
		r.Array()
		for r.Elem() {
			walkStructure(r)
		}
	default:
		r.Value()
	}
}

// FuzzReader checks that a Reader is safe on any input — it never panics
// and always ends — and that it reads exactly the JSON that jsontext
// finds valid to its end.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,"x",{"b":null}],"c":true,"d":-1.5e3}`, `[]`, `[[[]]]`, `"\u00e9"`,
		`{"a":"\"}"}`, `{"a":`, `[1,,2]`, `{"a" 1}`, `"abc`, `tru`, `[1 2]`, `{"a":1}}`,
		`{"a":1,"a":2}`, "\"\xff\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := Get(in)
		defer Put(r)
		walk(r, 0)
		r.Finish()

		s := Get(in)
		defer Put(s)
		walkStructure(s)
		if valid := jsontext.Value(in).IsValid(); s.Finish() != valid {
			t.Fatalf("read to its end: %v; valid: %v: %q", !valid, valid, in)
		}
	})
}
