package bunq

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// TimeLayout is the layout bunq writes every timestamp in, always in UTC:
// "2017-11-08 11:20:03.950184".
const TimeLayout = "2006-01-02 15:04:05.000000"

// Time is a bunq timestamp: "YYYY-MM-DD hh:mm:ss.ssssss" in UTC. It embeds a
// time.Time, so every time.Time method is at hand (t.Before, t.Unix, …).
//
// A Time decodes from bunq's format with 0 to 9 fraction digits; JSON null
// and "" decode to the zero Time. It encodes in bunq's format with 6
// fraction digits (9 when the value has sub-microsecond precision), and the
// zero Time encodes as null, so that every timestamp bunq sends survives a
// decode and re-encode byte for byte.
//
// The zero value is the zero time.Time ("absent"). A Time is an immutable
// value, safe for concurrent use.
type Time struct {
	time.Time
}

// ParseTime parses a timestamp in bunq's format, "2017-11-08 11:20:03.950184",
// as UTC. The fraction may have 0 to 9 digits. "0001-01-01 00:00:00" is
// Go's zero instant and so gives the zero Time, which stands for absent.
func ParseTime(s string) (Time, error) {
	return parseTime([]byte(s))
}

// String returns the time in bunq's format, or "" for the zero Time.
func (t Time) String() string {
	if t.IsZero() {
		return ""
	}
	return string(t.appendBunq(make([]byte, 0, len(TimeLayout)+3)))
}

// appendBunq appends the time in bunq's layout, with 6 fraction digits, or
// 9 when the nanoseconds are not whole microseconds.
func (t Time) appendBunq(b []byte) []byte {
	u := t.UTC()
	if u.Nanosecond()%1000 == 0 {
		return u.AppendFormat(b, TimeLayout)
	}
	return u.AppendFormat(b, "2006-01-02 15:04:05.000000000")
}

// MarshalText encodes the time in bunq's format; the zero Time encodes as "".
func (t Time) MarshalText() ([]byte, error) {
	if t.IsZero() {
		return []byte{}, nil
	}
	return t.appendBunq(nil), nil
}

// UnmarshalText parses bunq's format; "" gives the zero Time.
func (t *Time) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*t = Time{}
		return nil
	}
	v, err := parseTime(b)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalJSONTo encodes the time as a JSON string in bunq's format, or null
// for the zero Time. It is used by github.com/go-json-experiment/json.
func (t Time) MarshalJSONTo(enc *jsontext.Encoder) error {
	if t.IsZero() {
		return enc.WriteToken(jsontext.Null)
	}
	var buf [48]byte
	b := append(buf[:0], '"')
	b = t.appendBunq(b)
	b = append(b, '"')
	return enc.WriteValue(b)
}

// MarshalJSON is the encoding/json form of MarshalJSONTo.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	b := append(make([]byte, 0, 40), '"')
	b = t.appendBunq(b)
	return append(b, '"'), nil
}

// UnmarshalJSONFrom decodes a JSON string in bunq's format; null and ""
// give the zero Time. It is used by github.com/go-json-experiment/json.
func (t *Time) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return t.unmarshalValue(v)
}

// UnmarshalJSON is the encoding/json form of UnmarshalJSONFrom.
func (t *Time) UnmarshalJSON(b []byte) error {
	return t.unmarshalValue(bytes.TrimSpace(b))
}

func (t *Time) unmarshalValue(v []byte) error {
	switch {
	case string(v) == "null":
		*t = Time{}
		return nil
	case len(v) >= 2 && v[0] == '"':
		s := v[1 : len(v)-1]
		if bytes.IndexByte(s, '\\') >= 0 {
			u, err := jsontext.AppendUnquote(nil, v)
			if err != nil {
				return fmt.Errorf("bunq: time: %w", err)
			}
			s = u
		}
		return t.UnmarshalText(s)
	default:
		return fmt.Errorf("bunq: time: want a JSON string or null, got %.20s", v)
	}
}

var errTimeSyntax = errors.New(`want "YYYY-MM-DD hh:mm:ss.ssssss"`)

// parseTime parses "YYYY-MM-DD hh:mm:ss" with an optional fraction of 1 to
// 9 digits, checking every field's range, without allocating.
func parseTime(s []byte) (Time, error) {
	bad := func(err error) (Time, error) {
		return Time{}, fmt.Errorf("bunq: time %.40q: %w", s, err)
	}
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return bad(errTimeSyntax)
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(s[0:4]), num(s[5:7]), num(s[8:10])
	hour, minute, sec := num(s[11:13]), num(s[14:16]), num(s[17:19])
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
		minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return bad(errTimeSyntax)
	}
	nsec := 0
	if rest := s[19:]; len(rest) > 0 {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return bad(errTimeSyntax)
		}
		frac := num(rest[1:])
		if frac < 0 {
			return bad(errTimeSyntax)
		}
		for i := len(rest) - 1; i < 9; i++ {
			frac *= 10
		}
		nsec = frac
	}
	tm := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if tm.Day() != day {
		return bad(fmt.Errorf("day %d out of range for %04d-%02d", day, year, month))
	}
	return Time{tm}, nil
}

// Compile-time checks: the same type serves both JSON packages.
var (
	_ json.Marshaler   = Time{}
	_ json.Unmarshaler = (*Time)(nil)
)
