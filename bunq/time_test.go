package bunq

import (
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Time
		out  string // String(); "" means the input
	}{
		{"bunq format", "2017-11-08 11:20:03.950184", time.Date(2017, 11, 8, 11, 20, 3, 950184000, time.UTC), ""},
		{"zero fraction", "2018-07-25 22:56:20.000000", time.Date(2018, 7, 25, 22, 56, 20, 0, time.UTC), ""},
		{"no fraction", "2025-01-01 00:00:00", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "2025-01-01 00:00:00.000000"},
		{"short fraction", "2025-01-01 00:00:00.5", time.Date(2025, 1, 1, 0, 0, 0, 500000000, time.UTC), "2025-01-01 00:00:00.500000"},
		{"nanoseconds", "2025-01-01 00:00:00.123456789", time.Date(2025, 1, 1, 0, 0, 0, 123456789, time.UTC), ""},
		{"leap day", "2024-02-29 23:59:59.999999", time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.in)
			require.NoError(t, err)
			assert.True(t, tc.want.Equal(got.Time), "%v", got.Time)
			assert.Equal(t, time.UTC, got.Location())
			out := tc.out
			if out == "" {
				out = tc.in
			}
			assert.Equal(t, out, got.String())
		})
	}
}

func TestParseTimeErrors(t *testing.T) {
	for _, in := range []string{
		"", "2017-11-08", "2017-11-08T11:20:03.950184", "2017-11-08 11:20:03Z", "2017-13-08 11:20:03",
		"2017-02-29 11:20:03", "2017-11-08 24:00:00", "2017-11-08 11:60:00", "2017-11-08 11:20:60",
		"2017-11-08 11:20:03.", "2017-11-08 11:20:03.1234567890", "2017-11-08 11:20:03.12a", "+017-11-08 11:20:03",
		"2017-11-08 11:20:03.950184 ",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseTime(in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "bunq: time")
		})
	}
}

func TestTimeJSON(t *testing.T) {
	type holder struct {
		T Time `json:"t"`
	}
	tests := []struct {
		name, in, out string
	}{
		{"value", `{"t":"2017-11-08 11:20:03.950184"}`, `{"t":"2017-11-08 11:20:03.950184"}`},
		{"null", `{"t":null}`, `{"t":null}`},
		{"empty", `{"t":""}`, `{"t":null}`},
		{"escaped", `{"t":"2017-11-08\u002011:20:03.950184"}`, `{"t":"2017-11-08 11:20:03.950184"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v2, v1 holder
			require.NoError(t, json.Unmarshal([]byte(tc.in), &v2))
			require.NoError(t, stdjsonUnmarshal([]byte(tc.in), &v1))
			assert.Equal(t, v2, v1)
			out, err := json.Marshal(v2)
			require.NoError(t, err)
			assert.Equal(t, tc.out, string(out))
			out1, err := stdjsonMarshal(v1)
			require.NoError(t, err)
			assert.Equal(t, tc.out, string(out1))
		})
	}
	t.Run("wrong kind", func(t *testing.T) {
		var h holder
		assert.Error(t, json.Unmarshal([]byte(`{"t":1}`), &h))
		assert.Error(t, stdjsonUnmarshal([]byte(`{"t":1}`), &h))
	})
	t.Run("text", func(t *testing.T) {
		var tm Time
		require.NoError(t, tm.UnmarshalText([]byte("2017-11-08 11:20:03.950184")))
		b, err := tm.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, "2017-11-08 11:20:03.950184", string(b))
		b, err = Time{}.MarshalText()
		require.NoError(t, err)
		assert.Empty(t, b)
	})
}

func FuzzParseTime(f *testing.F) {
	f.Add("2017-11-08 11:20:03.950184")
	f.Add("2024-02-29 23:59:59")
	f.Add("2025-01-01 00:00:00.123456789")
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTime(s)
		if err != nil {
			return
		}
		// Go's zero instant is the zero Time, which stands for "absent".
		if tm.IsZero() {
			if tm.String() != "" {
				t.Fatalf("zero Time %q formats as %q", s, tm.String())
			}
			return
		}
		// An accepted time formats to a string that parses to the same instant.
		again, err := ParseTime(tm.String())
		if err != nil {
			t.Fatalf("%q formatted as %q, which does not parse: %v", s, tm.String(), err)
		}
		if !again.Equal(tm.Time) {
			t.Fatalf("%q → %v → %v", s, tm, again)
		}
	})
}
