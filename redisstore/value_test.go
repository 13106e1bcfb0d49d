package redisstore

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

func TestParseValue(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		want  bankhook.Reservation
		ok    bool
	}{
		{"reserved", "r:" + newToken(), bankhook.Reservation{State: bankhook.InFlight}, true},
		{"done_200", "d:200", bankhook.Reservation{State: bankhook.Done, Status: 200}, true},
		{"done_204", "d:204", bankhook.Reservation{State: bankhook.Done, Status: 204}, true},
		{"done_999", "d:999", bankhook.Reservation{State: bankhook.Done, Status: 999}, true},
		{"empty", "", bankhook.Reservation{}, false},
		{"tag_only_reserved", "r:", bankhook.Reservation{}, false},
		{"tag_only_done", "d:", bankhook.Reservation{}, false},
		{"status_two_digits", "d:20", bankhook.Reservation{}, false},
		{"status_four_digits", "d:2000", bankhook.Reservation{}, false},
		{"status_leading_zero", "d:099", bankhook.Reservation{}, false},
		{"status_signed", "d:+20", bankhook.Reservation{}, false},
		{"status_letters", "d:abc", bankhook.Reservation{}, false},
		{"other_tag", "x:200", bankhook.Reservation{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseValue(tc.value)
			if !tc.ok {
				require.ErrorIs(t, err, errBadValue)
				assert.Contains(t, err.Error(), strconv.Quote(tc.value))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestNewToken(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		tok := newToken()
		require.Len(t, tok, 22)
		require.NotContains(t, tok, "=")
		require.False(t, seen[tok], "token %q repeated", tok)
		seen[tok] = true
	}
}

func TestMillis(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    time.Duration
		want int64
	}{
		{"nanosecond", time.Nanosecond, 1},
		{"just_under", time.Millisecond - time.Nanosecond, 1},
		{"exact", 100 * time.Millisecond, 100},
		{"just_over", 100*time.Millisecond + time.Nanosecond, 101},
		{"ttl", 72 * time.Hour, 259_200_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, millis(tc.d))
		})
	}
}

// FuzzParseValue: parseValue accepts exactly the values the store writes,
// and a done value is the canonical encoding of its status.
func FuzzParseValue(f *testing.F) {
	for _, v := range []string{"r:" + newToken(), "d:200", "d:204", "d:20", "d:0200", "d:+20", "d:-20", "r:", "", "x"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		res, err := parseValue(v)
		if err != nil {
			require.ErrorIs(t, err, errBadValue)
			require.Zero(t, res)
			return
		}
		switch res.State {
		case bankhook.InFlight:
			require.True(t, strings.HasPrefix(v, reservedTag) && len(v) > len(reservedTag), "%q", v)
			require.Zero(t, res.Status)
		case bankhook.Done:
			require.Equal(t, doneTag+strconv.Itoa(res.Status), v, "a done value is canonical")
			require.GreaterOrEqual(t, res.Status, 100)
			require.LessOrEqual(t, res.Status, 999)
		default:
			t.Fatalf("parseValue(%q) = state %v", v, res.State)
		}
		require.Empty(t, res.Token, "a present key never hands out its token")
	})
}
