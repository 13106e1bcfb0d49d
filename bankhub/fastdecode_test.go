package bankhub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/bankhook/bankhook/internal/fixtures"
	"github.com/bankhook/bankhook/internal/jsonscan/scantest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastPathSeeds returns the bodies the fast path is tested on: every
// sample in hooktest/samples, the shared real-world fixtures when they are
// present, and bodies that probe the rules the fast path must follow.
func fastPathSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	for _, name := range samples.BankhubNames() {
		b, _ := samples.Bankhub(name)
		seeds = append(seeds, b)
	}
	patterns := []string{filepath.Join("testdata", "deviation", "*.json")}
	if dir, ok := fixtures.Lookup(tb); ok {
		patterns = append(patterns, filepath.Join(dir, "bankhub", "*.json"))
	}
	for _, pattern := range patterns {
		files, err := filepath.Glob(pattern)
		require.NoError(tb, err)
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(tb, err)
			seeds = append(seeds, b)
		}
	}
	for _, s := range fastPathProbes {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

const tx = `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE",`

// fastPathProbes are bodies at the edges of the rules.
var fastPathProbes = []string{
	tx + `"transaction":{"id":"t","amount":1}}`,
	tx + `"transaction":{"id":1e2,"amount":1.5e3,"runningBalance":"-0.00"}}`,
	tx + `"transaction":{"id":"t","amount":"12.50","runningBalance":null,"paymentMeta":null}}`,
	tx + `"transaction":{"id":"t","amount":null}}`,
	tx + `"transaction":{"id":"t"}}`,
	tx + `"transaction":{"id":"","amount":1}}`,
	tx + `"transaction":{"id":null,"amount":1}}`,
	tx + `"transaction":{"id":true,"amount":1}}`,
	tx + `"transaction":{"id":"t","amount":"x"}}`,
	tx + `"transaction":{"id":"t","amount":1e70}}`,
	tx + `"transaction":{"id":"t","amount":12345678901234567890123456789012345678901}}`,
	tx + `"transaction":{"id":"t","amount":1,"runningBalance":12345678901234567890123456789012345678901}}`,
	tx + `"transaction":{"id":"t","amount":1,"transactionDate":"2024-02-30"}}`,
	tx + `"transaction":{"id":"t","amount":1,"transactionDate":"2024-05-02T14:35:12+07:00","bookingDate":"","transactionDateTime":"2024-05-02T14:35:12"}}`,
	tx + `"transaction":{"id":"t","amount":1,"transactionDate":20240502}}`,
	tx + `"transaction":{"id":"t","amount":1,"paymentChannel":5}}`,
	tx + `"transaction":{"id":"t","amount":1,"paymentChannel":"N\u1ed9i b\u1ed9","paymentMeta":{"referenceNumber":42,"x":1}}}`,
	tx + `"transaction":{"id":"t","amount":1,"paymentMeta":[]}}`,
	tx + `"transaction":{"id":"t","amount":1,"Amount":2,"ID":"u"}}`,
	tx + `"transaction":{"id":"t","amount":1,"amount":2}}`,
	tx + `"transaction":{"id":"t","amount":1,"x":{"a":1,"a":2}}}`,
	tx + `"transaction":null}`,
	tx + `"transaction":[]}`,
	tx + `"transaction":{"id":"t","amount":1},"error":null,"grantId":7,"environment":8}`,
	tx + `"transaction":{"id":"t","amount":1},"error":{"errorCode":"X"}}`,
	tx + `"transaction":{"id":"t","amount":1},"error":"bad"}`,
	`{"webhookType":"TRANSACTIONS","webhookCode":5,"transaction":{"id":"t","amount":1}}`,
	`{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g","error":{"errorCode":"X"}}`,
	`{"webhookType":"X","webhookCode":"Y","transaction":{"id":"t","amount":1}}`,
	tx + `"transaction":{"id":"t","amount":1}} x`,
	tx + `"transaction":{"id":"a:b/c%d","amount":"bad"}}`,
	tx + `"transaction":{"id":"` + strings.Repeat("x", 200) + `","amount":1}}`,
	tx + `"transaction":{"amount":1,"id":12345678901234567890123}}`,
	`{"transaction":{"id":"t","webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","amount":1},"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g"}`,
	`{"transaction":{"id":"t","amount":1},"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE"}`,
	`{"webhookCode":"DEFAULT_UPDATE","transaction":{"amount":1,"id":"t"},"webhookType":"TRANSACTIONS"}`,
	tx + `"transaction":{"id":"t","amount":1,"d":` + deep + `}}`,
	`[]`, `null`, ``,
}

var deep = func() string {
	s := ""
	for range MaxDepth {
		s = "[" + s + "]"
	}
	return s
}()

// decoders are the fast path, its key reader and the reflective decoder,
// for scantest.
var decoders = scantest.Decoders[*Webhook]{
	Fast: func(body []byte) (*Webhook, bool) {
		w := decodeFast(body)
		return w, w != nil
	},
	Reflect: decodeReflect,
	BodyKey: bodyKey,
}

// FuzzDecodeFastPath is the differential test of Decode's fast path: on
// any input it either declines (Decode's answer is then the reflective
// decoder's) or gives exactly the reflective decoder's webhook; and a
// key read from a body is the decoded webhook's.
func FuzzDecodeFastPath(f *testing.F) { decoders.Fuzz(f, fastPathSeeds(f)) }

func TestDecodeFastPathAgrees(t *testing.T) { decoders.Test(t, fastPathSeeds(t)) }

// TestDecodeFastPathTaken checks that the fast path serves the webhooks
// it is for, and declines the others.
func TestDecodeFastPathTaken(t *testing.T) {
	tests := []struct {
		file string
		fast bool
	}{
		{"TRANSACTIONS_DEFAULT_UPDATE.json", true},
		{"deviation/numbers_for_strings.json", true},
		{"deviation/minimal.json", true},
		{"GRANT_ERROR.json", false},
		{"GRANT_USER_PERMISSION_REVOKED.json", false},
		{"deviation/unknown_pair.json", false},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			body, ok := samples.Bankhub(strings.TrimSuffix(tc.file, ".json"))
			if !ok { // not a sample: one of testdata's deviations
				var err error
				body, err = os.ReadFile(filepath.Join("testdata", filepath.FromSlash(tc.file)))
				require.NoError(t, err)
			}
			assert.Equal(t, tc.fast, decodeFast(body) != nil)
			_, ok = bodyKey(body)
			assert.Equal(t, tc.fast, ok, "bodyKey")
		})
	}
}
