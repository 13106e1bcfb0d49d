// Package scantest checks a provider's decode fast path (built on
// jsonscan) against its reflective decoder, in the provider's tests and
// fuzz targets.
package scantest

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/go-json-experiment/json"
)

// Decoders are one provider's ways of reading a body.
type Decoders[E interface{ IdempotencyKey() string }] struct {
	// Fast is the fast path: the event, or false when it declines.
	Fast func(body []byte) (E, bool)
	// Reflect is the reflective decoder the fast path must agree with.
	Reflect func(body []byte) (E, error)
	// BodyKey reads the event's key from the body, or reports false.
	BodyKey func(body []byte) (string, bool)
}

// Check requires the fast paths to agree with the reflective decoder on
// body: an event the fast path accepts is one the reflective decoder
// accepts, equal to it field for field (reflect.DeepEqual), with the same
// key and the same encoding; and a key BodyKey reads from a body the
// reflective decoder accepts is the decoded event's key. A body the fast
// path declines is the reflective decoder's to answer, so it is not
// compared. None of them may change the body.
func (d Decoders[E]) Check(t testing.TB, body []byte) {
	t.Helper()
	orig := string(body)
	defer func() {
		if string(body) != orig {
			t.Fatalf("decoding changed the body it read:\n%s\n%s", orig, body)
		}
	}()
	if key, ok := d.BodyKey(body); ok {
		if e, err := d.Reflect(body); err == nil && e.IdempotencyKey() != key {
			t.Fatalf("the key read from the body, %q, is not the decoded event's, %q:\n%s", key, e.IdempotencyKey(), body)
		}
	}
	fast, ok := d.Fast(body)
	if !ok {
		return
	}
	slow, err := d.Reflect(body)
	if err != nil {
		t.Fatalf("the fast path accepted a body the reflective decoder refuses (%v):\n%s", err, body)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("the paths disagree on\n%s\nfast: %#v\nslow: %#v", body, fast, slow)
	}
	if fk, sk := fast.IdempotencyKey(), slow.IdempotencyKey(); fk != sk {
		t.Fatalf("keys differ: fast %q, slow %q", fk, sk)
	}
	fj, err1 := json.Marshal(fast)
	sj, err2 := json.Marshal(slow)
	if err1 != nil || err2 != nil || string(fj) != string(sj) {
		t.Fatalf("encodings differ (%v, %v):\n%s\n%s", err1, err2, fj, sj)
	}
	d.checkCopies(t, body, string(fj))
}

// checkCopies requires the events both paths decode from a copy of body
// to keep none of its bytes: the receivers promise it
// (ReceiverOptions.DecodeCopies) and hand the decoders a pooled buffer
// that the next request overwrites. want is the events' encoding.
func (d Decoders[E]) checkCopies(t testing.TB, body []byte, want string) {
	t.Helper()
	fastBuf, slowBuf := append([]byte(nil), body...), append([]byte(nil), body...)
	fast, _ := d.Fast(fastBuf)
	slow, err := d.Reflect(slowBuf)
	if err != nil {
		t.Fatalf("the reflective decoder refuses a copy of a body it accepted: %v", err)
	}
	for _, buf := range [][]byte{fastBuf, slowBuf} {
		for i := range buf {
			buf[i] = '#'
		}
	}
	for name, e := range map[string]E{"fast": fast, "reflective": slow} {
		if got, err := json.Marshal(e); err != nil || string(got) != want {
			t.Fatalf("the %s path's event changed when its body was overwritten (%v):\n%s\n%s", name, err, want, got)
		}
	}
}

// Test runs Check on every seed, each in a subtest.
func (d Decoders[E]) Test(t *testing.T, seeds [][]byte) {
	t.Helper()
	for i, body := range seeds {
		t.Run(strconv.Itoa(i), func(t *testing.T) { d.Check(t, body) })
	}
}

// Fuzz runs Check on any input, starting from seeds: the differential
// fuzz test of a fast path.
func (d Decoders[E]) Fuzz(f *testing.F, seeds [][]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) { d.Check(t, body) })
}
