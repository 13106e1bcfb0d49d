package bankhub

import (
	"fmt"
	"time"
)

// dateLayout is the layout of a calendar date, "YYYY-MM-DD".
const dateLayout = time.DateOnly

// Date is a transaction's transactionDate or bookingDate, kept exactly as
// bankHub sent it: a calendar date ("2024-05-02") or an RFC 3339 date and
// time with an offset ("2024-05-02T14:35:14+07:00"). bankHub documents
// transactionDate as a date and bookingDate as "the date and time"; both
// forms are accepted in both members because financial institutions
// differ and neither form loses anything. Use [Date.HasTime] to tell them
// apart.
//
// It encodes as the text it was decoded from, so a Date round-trips byte
// for byte. In JSON, null and "" decode as the zero Date.
//
// The zero value is no date. A Date is comparable and immutable, safe for
// concurrent use.
type Date struct {
	s string // "" or a valid date or RFC 3339 date-time
}

// ParseDate parses a calendar date "YYYY-MM-DD" or an RFC 3339 date-time
// with an offset. An empty s gives the zero Date.
func ParseDate(s string) (Date, error) {
	if err := checkDate(s); err != nil {
		return Date{}, err
	}
	return Date{s: s}, nil
}

// checkDate reports why s is not a Date's text, or nil.
func checkDate(s string) error {
	if s == "" {
		return nil
	}
	if len(s) == len(dateLayout) {
		if _, err := time.Parse(dateLayout, s); err != nil {
			return fmt.Errorf("bankhub: date %.40q: %w", s, err)
		}
		return nil
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return fmt.Errorf("bankhub: date %.40q: want YYYY-MM-DD or an RFC 3339 date-time: %w", s, err)
	}
	return nil
}

// String returns the date as bankHub sent it, "" for the zero Date.
func (d Date) String() string { return d.s }

// IsZero reports whether d is no date.
func (d Date) IsZero() bool { return d.s == "" }

// HasTime reports whether d carries a time of day and an offset.
func (d Date) HasTime() bool { return len(d.s) > len(dateLayout) }

// Time returns d as a time.Time: for a date, midnight UTC of that date;
// for a date-time, the instant in the offset it was sent with, so that
// Time().Date() is the calendar date as sent. The zero Date gives the zero
// time.Time.
func (d Date) Time() time.Time {
	switch {
	case d.s == "":
		return time.Time{}
	case d.HasTime():
		t, _ := time.Parse(time.RFC3339, d.s) // validated by ParseDate
		return t
	default:
		t, _ := time.Parse(dateLayout, d.s) // validated by ParseDate
		return t
	}
}

// MarshalText returns the date as bankHub sent it.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.s), nil }

// UnmarshalText parses text with [ParseDate].
func (d *Date) UnmarshalText(text []byte) error {
	v, err := ParseDate(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// DateTime is a transaction's transactionDateTime, an RFC 3339 date and
// time with an offset ("2024-05-02T14:35:12+07:00"), kept exactly as
// bankHub sent it, so it round-trips byte for byte (a fraction, "Z" or
// "+00:00" stay as they were). A date-time without an offset is refused:
// its instant would be a guess. In JSON, null and "" decode as the zero
// DateTime.
//
// The zero value is no time. A DateTime is comparable and immutable, safe
// for concurrent use.
type DateTime struct {
	s string // "" or a valid RFC 3339 date-time
}

// ParseDateTime parses an RFC 3339 date-time with an offset. An empty s
// gives the zero DateTime.
func ParseDateTime(s string) (DateTime, error) {
	if err := checkDateTime(s); err != nil {
		return DateTime{}, err
	}
	return DateTime{s: s}, nil
}

// checkDateTime reports why s is not a DateTime's text, or nil.
func checkDateTime(s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return fmt.Errorf("bankhub: date-time %.40q: want RFC 3339 with an offset: %w", s, err)
	}
	return nil
}

// String returns the date-time as bankHub sent it, "" for the zero
// DateTime.
func (t DateTime) String() string { return t.s }

// IsZero reports whether t is no time.
func (t DateTime) IsZero() bool { return t.s == "" }

// Time returns the instant, in the offset it was sent with. The zero
// DateTime gives the zero time.Time.
func (t DateTime) Time() time.Time {
	if t.s == "" {
		return time.Time{}
	}
	v, _ := time.Parse(time.RFC3339, t.s) // validated by ParseDateTime
	return v
}

// MarshalText returns the date-time as bankHub sent it.
func (t DateTime) MarshalText() ([]byte, error) { return []byte(t.s), nil }

// UnmarshalText parses text with [ParseDateTime].
func (t *DateTime) UnmarshalText(text []byte) error {
	v, err := ParseDateTime(string(text))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
