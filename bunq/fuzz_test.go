package bunq

import (
	"bytes"
	"errors"
	"testing"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/go-json-experiment/json"
)

// FuzzDecode checks Decode's invariants on any input: it never panics;
// every error is a DecodeError; every accepted notification has a
// non-empty key and re-encodes to JSON that decodes to an equal
// notification (same encoding, same key).
func FuzzDecode(f *testing.F) {
	for _, name := range samples.BunqNames() {
		b, _ := samples.Bunq(name)
		f.Add(b)
	}
	f.Add([]byte(`{"NotificationUrl":{"object":{"Thing":{"a":[1,2,{"b":null}]}}}}`))
	f.Add([]byte(`{"NotificationUrl":{"object":{"Thing":{"n":9007199254740993,"d":0.1000000000000000055,"e":1.0E2}}}}`))
	f.Add([]byte(`{"NotificationUrl":{"object":{"Payment":{"amount":{"value":1e3,"currency":""},"created":"2020-02-29 23:59:59.123456789"}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := Decode(body)
		if err != nil {
			var de *bankhook.DecodeError
			if !errors.As(err, &de) || de.Provider != "bunq" {
				t.Fatalf("error %T %v is not a bunq DecodeError", err, err)
			}
			return
		}
		key := n.IdempotencyKey()
		if key == "" {
			t.Fatal("empty idempotency key")
		}
		out, err := json.Marshal(n)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("decode re-encoded %s: %v", out, err)
		}
		if k := again.IdempotencyKey(); k != key {
			t.Fatalf("key changed: %q then %q", key, k)
		}
		out2, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("re-encode again: %v", err)
		}
		// Decimals hold big.Int pointers, so equality is checked on the
		// encoding, which writes every field.
		if !bytes.Equal(out, out2) {
			t.Fatalf("not equal after a round trip:\n%s\n%s", out, out2)
		}
	})
}
