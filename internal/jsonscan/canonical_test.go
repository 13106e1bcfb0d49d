package jsonscan

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		text      string // NumberText
		exact     string // NumberExact
		rfc8785is bool   // NumberExact gives what jsontext's Canonicalize gives
	}{
		{"members and spacing", `{ "b":[1, "\u00e9"], "a":{"y":2,"x":1} }`, `{"a":{"x":1,"y":2},"b":[1,"é"]}`, `{"a":{"x":1,"y":2},"b":[1,"é"]}`, true},
		{"exact float forms", `[1.0,1E2,-0,0.50,1.5e-7,1e21,-0.0]`, `[1.0,1E2,-0,0.50,1.5e-7,1e21,-0.0]`, `[1,100,0,0.5,1.5e-7,1e+21,0]`, true},
		{"integer above 2^53", `[9007199254740993]`, `[9007199254740993]`, `[9007199254740993]`, false},
		{"integer 2^53", `[9007199254740992]`, `[9007199254740992]`, `[9007199254740992]`, true},
		{"2^60, exact in float64 but not in RFC 8785", `1152921504606846976`, `1152921504606846976`, `1152921504606846976`, false},
		{"long decimal", `{"a":0.1000000000000000055}`, `{"a":0.1000000000000000055}`, `{"a":0.1000000000000000055}`, false},
		{"short decimal", `{"a":0.1}`, `{"a":0.1}`, `{"a":0.1}`, true},
		{"beyond float64", `[1e400,-1e400,1e-400]`, `[1e400,-1e400,1e-400]`, `[1e400,-1e400,1e-400]`, false},
		{"huge exponent", `[1e99999999999999999999,0e99999999999999999999]`, `[1e99999999999999999999,0e99999999999999999999]`, `[1e99999999999999999999,0]`, false},
		{"numbers in strings untouched", `{"a\"1.0":"1.0 \\\" 2E3"}`, `{"a\"1.0":"1.0 \\\" 2E3"}`, `{"a\"1.0":"1.0 \\\" 2E3"}`, true},
		{"mixed", `{"z":[1.0,9007199254740993,"x"],"a":2E0}`, `{"a":2E0,"z":[1.0,9007199254740993,"x"]}`, `{"a":2,"z":[1,9007199254740993,"x"]}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonical([]byte(tc.in), NumberText)
			require.NoError(t, err)
			assert.Equal(t, tc.text, string(got))
			got, err = Canonical([]byte(tc.in), NumberExact)
			require.NoError(t, err)
			assert.Equal(t, tc.exact, string(got))
			rfc := jsontext.Value(tc.in)
			rfc = rfc.Clone()
			if rfc.Canonicalize() == nil {
				assert.Equal(t, tc.rfc8785is, string(rfc) == string(got), "RFC 8785 form %s", rfc)
			}
		})
	}
	_, err := Canonical([]byte(`{"a":1,"a":2}`), NumberExact)
	assert.Error(t, err)
	_, err = Canonical([]byte(`[1`), NumberText)
	assert.Error(t, err)
}

func TestCanonicalKeepsValuesApart(t *testing.T) {
	pairs := [][2]string{
		{"9007199254740992", "9007199254740993"},
		{"0.1", "0.1000000000000000055"},
		{"1152921504606846976", "1152921504606847000"},
		{"1e400", "1e500"},
		{"1e400", "1.7976931348623157e308"},
		{"0", "1e-400"},
	}
	for _, p := range pairs {
		t.Run(p[0]+"/"+p[1], func(t *testing.T) {
			a, err := Canonical([]byte(p[0]), NumberExact)
			require.NoError(t, err)
			b, err := Canonical([]byte(p[1]), NumberExact)
			require.NoError(t, err)
			assert.NotEqual(t, string(a), string(b))
		})
	}
}

func TestSameDecimal(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"1", "1.0", true}, {"1.50", "15e-1", true}, {"100", "1E2", true}, {"-0", "0", true},
		{"0.0e5", "0", true}, {"-1", "1", false}, {"0.1", "0.1000000000000000055", false},
		{"1e99999999999999", "1e99999999999999", false}, // beyond any float64: never the same
		{"120", "12", false}, {"0.012", "1.2e-2", true},
	}
	for _, tc := range tests {
		t.Run(tc.a+"="+tc.b, func(t *testing.T) {
			assert.Equal(t, tc.same, sameDecimal([]byte(tc.a), []byte(tc.b)))
		})
	}
}

// FuzzCanonical checks, for any valid JSON value, that NumberExact's
// output is canonical (a second pass keeps it), that it has the
// structure of NumberText's and of RFC 8785's output, and that each of
// its numbers is RFC 8785's form when that has the number's value, and
// the number's text otherwise.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		`{"a":[1.0,9007199254740993,"x\"1"],"b":0.1000000000000000055}`, `1e400`, `-0`, `[0.1,1E2,-0.0e-0]`,
		`{"b":{"d":1,"c":2},"a":"\u00e9"}`, `1152921504606846976`, `[]`, `"1.0"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		text, err := Canonical(in, NumberText)
		exact, err2 := Canonical(in, NumberExact)
		rfc := jsontext.Value(in).Clone()
		err3 := rfc.Canonicalize()
		if err != nil || err2 != nil || err3 != nil {
			if (err == nil) != (err2 == nil) || (err == nil) != (err3 == nil) {
				t.Fatalf("errors differ: %v / %v / %v", err, err2, err3)
			}
			return
		}
		again, err := Canonical(exact, NumberExact)
		require.NoError(t, err)
		require.Equal(t, string(exact), string(again), "a second pass changed it")

		tt, et, rt := tokens(t, text), tokens(t, exact), tokens(t, rfc)
		require.Equal(t, len(tt), len(et))
		require.Equal(t, len(tt), len(rt))
		for i := range et {
			if et[i].Kind() != '0' {
				require.Equal(t, tt[i].String(), et[i].String())
				require.Equal(t, rt[i].String(), et[i].String())
				continue
			}
			tn, en, rn := tt[i].String(), et[i].String(), rt[i].String()
			if sameDecimal([]byte(tn), []byte(rn)) {
				require.Equal(t, rn, en, "RFC 8785 form of %s keeps its value", tn)
			} else {
				require.Equal(t, tn, en, "RFC 8785 form %s of %s has another value", rn, tn)
			}
			if f, err := strconv.ParseFloat(en, 64); err == nil && !math.IsInf(f, 0) {
				r, _ := strconv.ParseFloat(rn, 64)
				require.Equal(t, r, f, "same float64 as RFC 8785's")
			}
		}
	})
}

// tokens returns the tokens of the valid JSON value v.
func tokens(t *testing.T, v []byte) []jsontext.Token {
	t.Helper()
	dec := jsontext.NewDecoder(bytes.NewReader(v))
	var out []jsontext.Token
	for {
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, tok.Clone())
	}
}
