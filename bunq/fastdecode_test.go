package bunq

import (
	"path/filepath"
	"testing"

	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/bankhook/bankhook/internal/fixtures"
	"github.com/bankhook/bankhook/internal/jsonscan/scantest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastPathSeeds returns the bodies the fast path is tested on: every
// sample in hooktest/samples, the shared real-world fixtures when they are
// present, and bodies that probe the rules the fast path must follow
// exactly.
func fastPathSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	for _, name := range samples.BunqNames() {
		seeds = append(seeds, sampleBody(tb, name))
	}
	if dir, ok := fixtures.Lookup(tb); ok {
		files, err := filepath.Glob(filepath.Join(dir, "bunq", "*.json"))
		require.NoError(tb, err)
		for _, f := range files {
			seeds = append(seeds, readFile(tb, f))
		}
	}
	for _, s := range fastPathProbes {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// fastPathProbes are bodies at the edges of the rules: each one either
// decodes the same on both paths, or is refused by the reflective decoder.
var fastPathProbes = []string{
	`{"NotificationUrl":{"object":{"Payment":{}}}}`,
	`{"NotificationUrl":{"object":{"MasterCardAction":{}}}}`,
	`{"NotificationUrl":{"target_url":null,"category":null,"event_type":null,"object":{"Payment":{"id":null,"created":null,"amount":null,"alias":null,"attachment":null,"description":null,"allow_chat":null}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"id":-0,"monetary_account_id":9223372036854775807,"batch_id":-9223372036854775808}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"id":9223372036854775808}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"id":1.0}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"id":1e3}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"id":"12"}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"geolocation":{"latitude":1e400}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"geolocation":{"latitude":-0.0,"radius":1e-400}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"amount":{"value":-24.95,"currency":"EUR"}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"amount":{"value":"1e3"}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"amount":{"value":"\u0031.5"}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"amount":{"value":"ten"}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"amount":[]}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"created":"","updated":"2017-02-30 10:00:00"}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"created":"2020-02-29 23:59:59.123456789"}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"created":"2020-02-29 23:59:59\u002e5"}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"description":"a\"b\\c\u00e9\ud83c\udf55","type":"\/"}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"description":5}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"allow_chat":"true"}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"attachment":[]}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"attachment":[null,{"id":1},{}]}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"attachment":{}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"alias":{"avatar":{"image":[{"urls":[{"type":"ORIGINAL","url":"https://x"},null]},null,{}]}}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"alias":{"avatar":{"image":[]}},"counterparty_alias":{"avatar":{"image":null}}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"alias":{"merchant_category_code":5411,"bunq_me":{"type":"EMAIL"}}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"alias":{"merchant_category_code":true}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"alias":[]}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"address_billing":{"street":"s","is_user_address_updated":true},"payment_arrival_expected":{"time":null}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"Id":7,"ID":8,"id":9}}}}`,
	`{"NotificationUrl":{"object":{"Pay\u006dent":{"i\u0064":7,"new_field":{"x":[1,{"y":"}"}]}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"amount":{"value":"1.00","value":"2.00"}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"x":{"a":1,"a":2}}}}}`,
	`{"NotificationUrl":{"object":{"Payment":null}}}`,
	`{"NotificationUrl":{"object":{"Payment":{},"Invoice":{}}}}`,
	`{"NotificationUrl":{"object":{}}}`,
	`{"NotificationUrl":{"object":null}}`,
	`{"NotificationUrl":{"category":"MUTATION"}}`,
	`{"NotificationUrl":null}`,
	`{"NotificationUrl":{"object":{"Payment":{}}},"NotificationUrl":{"object":{"Payment":{}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{}}}} {}`,
	`{"NotificationUrl":{"object":{"Payment":{"description":"` + "\xff" + `"}}}}`,
	`{"notificationurl":{"object":{"Payment":{}}}}`,
	`{"NotificationUrl":{"category":"SOMETHING_NEW","event_type":"X","object":{"MasterCardAction":{"merchant_id":123456789012345678901234567890,"card_authorisation_id_response":"0A1","label_card":{"type":"MAESTRO","label_user":{"uuid":"u"}}}}}}`,
	`{"NotificationUrl":{"object":{"MasterCardAction":{"amount_local":{"value":"2.00","currency":"EUR"},"amount_converted":null,"wallet_provider_id":null}}}}`,
	` {"NotificationUrl" : { "object" : { "Payment" : { "id" : 7 } } } } `,
	`{"NotificationUrl":{"cat\u0065gory":"MUTATION","event_type":"MUTATION_CREATED","object":{"Payment":{"updated":"2020-01-01 00:00:00.1","id":7}}}}`,
	`{"NotificationUrl":{"category":"NEW\/CATEGORY:x","event_type":null,"object":{"MasterCardAction":{"id":-5,"updated":"2020-01-01 00:00:00","created":"x"}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"id":0,"updated":"2020-01-01 00:00:00"}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"id":7,"updated":""}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"id":7,"updated":"2020-01-01 00:00:00","amount":{"value":"ten"}}}}}`,
	`{"NotificationUrl":{"object":{"Invoice":{"id":7,"updated":"2020-01-01 00:00:00"}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"id":7,"updated":"2020-01-01 00:00:00"},"Payment2":{}}}}`,
	`{"NotificationUrl":{"object":{"Payment":{"id":7,"updated":"2020-01-01 00:00:00","category":"X"}},"category":"MUTATION","event_type":"E"}}`,
	`{"NotificationUrl":{"event_type":"E","object":{"MasterCardAction":{"updated":"2020-01-01 00:00:00","id":7}},"category":null}}`,
	`{"x":{"NotificationUrl":{}},"NotificationUrl":{"category":"C","event_type":"E","object":{"Payment":{"id":1,"updated":"2020-01-01 00:00:00"}}}}`,
	`[]`,
	`null`,
	``,
}

// decoders are the fast path, its key reader and the reflective decoder,
// for scantest.
var decoders = scantest.Decoders[*Notification]{
	Fast: func(body []byte) (*Notification, bool) {
		n := decodeFast(body)
		return n, n != nil
	},
	Reflect: decodeReflect,
	BodyKey: bodyKey,
}

// FuzzDecodeFastPath is the differential test of Decode's fast path: on
// any input it either declines (Decode's answer is then the reflective
// decoder's) or gives exactly the reflective decoder's notification; and a
// key read from a body is the decoded notification's.
func FuzzDecodeFastPath(f *testing.F) { decoders.Fuzz(f, fastPathSeeds(f)) }

func TestDecodeFastPathAgrees(t *testing.T) { decoders.Test(t, fastPathSeeds(t)) }

// TestDecodeFastPathTaken checks that the fast path does serve the
// callbacks it is for, so the benchmarks measure it, and declines the
// others.
func TestDecodeFastPathTaken(t *testing.T) {
	tests := []struct {
		file string
		fast bool
	}{
		{"MUTATION", true},
		{"PAYMENT", true},
		{"CARD_TRANSACTION_SUCCESSFUL", true},
		{"CARD_TRANSACTION_FAILED", true},
		{"REQUEST", false},
		{"BILLING", false},
		{"DRAFT_PAYMENT", false},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			assert.Equal(t, tc.fast, decodeFast(sampleBody(t, tc.file)) != nil)
		})
	}
	t.Run("keys", func(t *testing.T) {
		for _, tc := range tests {
			_, ok := bodyKey(sampleBody(t, tc.file))
			assert.Equal(t, tc.fast, ok, tc.file)
		}
	})
	t.Run("fixtures", func(t *testing.T) {
		dir := fixtureDir(t)
		for _, name := range []string{"Mutation.json", "MasterCardAction.json"} {
			assert.NotNil(t, decodeFast(readFile(t, filepath.Join(dir, name))), name)
		}
	})
}
