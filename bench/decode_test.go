package bench

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/bankhook/bankhook/bench/workload"
	"github.com/bankhook/bankhook/bunq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stdEnvelope is the bunq callback envelope as encoding/json (v1) reads it,
// with the Payment decoded straight into bunq.Payment.
//
// (*bunq.Notification).UnmarshalJSON hands the body to
// go-json-experiment, so json.Unmarshal(body, &notification) would measure
// bunq.Decode behind encoding/json's validation scan, not encoding/json.
// This envelope makes encoding/json do the decoding itself, into the same
// structs: bunq.Payment and everything under it, whose leaves (bunq.Time,
// bankhook.Decimal, Category, EventType) have encoding/json
// UnmarshalJSON methods of their own. Naming the one object type as a
// field is the cheapest way encoding/json can dispatch on the object's
// key (no json.RawMessage and second pass), so the comparison favours
// encoding/json.
type stdEnvelope struct {
	NotificationURL *struct {
		TargetURL string         `json:"target_url"`
		Category  bunq.Category  `json:"category"`
		EventType bunq.EventType `json:"event_type"`
		Object    struct {
			Payment *bunq.Payment `json:"Payment"`
		} `json:"object"`
	} `json:"NotificationUrl"`
}

var errNotPayment = errors.New("bench: not a Payment callback")

// decodeStd decodes a Payment callback with encoding/json into a
// bunq.Notification.
func decodeStd(body []byte) (*bunq.Notification, error) {
	var env stdEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	f := env.NotificationURL
	if f == nil || f.Object.Payment == nil {
		return nil, errNotPayment
	}
	return &bunq.Notification{
		TargetURL: f.TargetURL,
		Category:  f.Category,
		EventType: f.EventType,
		Object:    f.Object.Payment,
	}, nil
}

func samplePayment(tb testing.TB) []byte {
	tb.Helper()
	body, err := os.ReadFile(workload.SamplePayment)
	require.NoError(tb, err)
	return body
}

// BenchmarkDecodeBunqPayment decodes the sample Payment callback (about
// 3.6 KB) into a *bunq.Notification per iteration: with bunq.Decode
// (go-json-experiment, streaming, duplicate names refused, typed object
// dispatch) and with encoding/json into the same structs (see
// stdEnvelope).
func BenchmarkDecodeBunqPayment(b *testing.B) {
	body := samplePayment(b)
	variants := []struct {
		name   string
		decode func([]byte) (*bunq.Notification, error)
	}{
		{"bankhook", bunq.Decode},
		{"encoding_json", decodeStd},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				n, err := v.decode(body)
				if err != nil {
					b.Fatal(err)
				}
				if n.Object.(*bunq.Payment).ID == 0 {
					b.Fatal("no Payment id")
				}
			}
		})
	}
}

// TestDecodeVariantsAgree checks that both decoders fill the same structs
// with the same values, so that the benchmark compares equal work.
func TestDecodeVariantsAgree(t *testing.T) {
	body := samplePayment(t)
	want, err := bunq.Decode(body)
	require.NoError(t, err)
	got, err := decodeStd(body)
	require.NoError(t, err)

	p, ok := got.Object.(*bunq.Payment)
	require.True(t, ok)
	assert.NotZero(t, p.ID)
	assert.False(t, p.Amount.IsZero())
	assert.Equal(t, want, got)
	assert.Equal(t, want.IdempotencyKey(), got.IdempotencyKey())
}
