package bunq

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/bankhook/bankhook/hooktest/samples"
)

// benchBody is the Payment callback both benchmarks decode.
func benchBody(b *testing.B) []byte {
	b.Helper()
	body, ok := samples.Bunq("MUTATION")
	if !ok {
		b.Fatal("no MUTATION sample")
	}
	return body
}

// BenchmarkDecodePayment measures Decode on a MUTATION callback carrying a
// Payment.
func BenchmarkDecodePayment(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		n, err := Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if n.Object.(*Payment).ID == 0 {
			b.Fatal("no payment id")
		}
	}
}

// v1Envelope is the envelope as encoding/json reads it: the object is
// kept raw and decoded by its key into the same structs Decode fills.
type v1Envelope struct {
	NotificationURL *struct {
		TargetURL string                     `json:"target_url"`
		Category  Category                   `json:"category"`
		EventType EventType                  `json:"event_type"`
		Object    map[string]json.RawMessage `json:"object"`
	} `json:"NotificationUrl"`
}

func decodeV1(body []byte) (*Notification, error) {
	var env v1Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	f := env.NotificationURL
	if f == nil || len(f.Object) != 1 {
		return nil, fmt.Errorf("bad envelope")
	}
	n := &Notification{TargetURL: f.TargetURL, Category: f.Category, EventType: f.EventType}
	for name, raw := range f.Object {
		obj := newObject([]byte(name))
		if obj == nil {
			n.Object = &Unknown{Type: name, Raw: raw}
			break
		}
		if err := json.Unmarshal(raw, obj); err != nil {
			return nil, err
		}
		n.Object = obj
	}
	return n, nil
}

// BenchmarkDecodePaymentEncodingJSON decodes the same body into the same
// structs with encoding/json, for comparison.
func BenchmarkDecodePaymentEncodingJSON(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		n, err := decodeV1(body)
		if err != nil {
			b.Fatal(err)
		}
		if n.Object.(*Payment).ID == 0 {
			b.Fatal("no payment id")
		}
	}
}
