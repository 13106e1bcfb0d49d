package jsonscan

import (
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLen(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`[]`, 0},
		{` [ ] `, 0},
		{`[1]`, 1},
		{`[ null ]`, 1},
		{`[1,2,3]`, 3},
		{`["a,b","c]"]`, 2},
		{`[[1,2],{"a":[3,4]},"x"]`, 3},
		{`[{}]`, 1},
		{`null`, 0},
		{`{"a":1}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			r := Get([]byte(tc.in))
			defer Put(r)
			assert.Equal(t, tc.want, r.Len())
			r.Skip()
			assert.True(t, r.Finish(), "Len does not move the reader")
		})
	}
}

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
	var plain, escaped, null, num string
	r := Get([]byte(`{"p":"abcdefghijklmnopqrstuvwxyz","e":"a\"b\\c\u00e9\/d","n":null,"x":12.50}`))
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
		}
	}
	require.True(t, r.Finish())
	assert.Equal(t, "abcdefghijklmnopqrstuvwxyz", plain)
	assert.Equal(t, "a\"b\\cé/d", escaped)
	assert.Equal(t, "", null)
	assert.Equal(t, "12.50", num)
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
		for n := r.Len(); r.Array() && r.Elem(); n-- {
			if n <= 0 {
				r.Fail()
			}
			walk(r, depth+1)
		}
	case k == '"':
		r.String(&s)
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
// and Value only, checking Len against the elements read.
func walkStructure(t *testing.T, r *Reader) {
	switch r.Kind() {
	case '{':
		r.Object()
		for r.Member() {
			walkStructure(t, r)
		}
	case '[':
		n := r.Len()
		r.Array()
		read := 0
		for r.Elem() {
			walkStructure(t, r)
			read++
		}
		if !r.Failed() && read != n {
			t.Fatalf("Len said %d elements, %d were read", n, read)
		}
	default:
		r.Value()
	}
}

// FuzzReader checks that a Reader is safe on any input — it never panics
// and always ends — and that it reads any valid JSON to its end.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,"x",{"b":null}],"c":true,"d":-1.5e3}`, `[]`, `[[[]]]`, `"\u00e9"`,
		`{"a":"\"}"}`, `{"a":`, `[1,,2]`, `{"a" 1}`, `"abc`, `tru`, `[1 2]`, `{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := Get(in)
		defer Put(r)
		walk(r, 0)
		r.Finish()
		if !jsontext.Value(in).IsValid() {
			return
		}
		s := Get(in)
		defer Put(s)
		walkStructure(t, s)
		if !s.Finish() {
			t.Fatalf("valid JSON not read to its end: %q", in)
		}
	})
}
