package bankhub

import (
	"embed"

	"github.com/bankhook/bankhook/internal/samples"
)

// sampleFS holds one example webhook body per (type, code) pair, the ones
// this package's tests decode.
//
//go:embed testdata/*.json
var sampleFS embed.FS

// SampleNames returns the names of the built-in sample webhooks, sorted:
// one per documented (webhookType, webhookCode) pair, named TYPE_CODE
// ("GRANT_ERROR", "TRANSACTIONS_DEFAULT_UPDATE", …), each a body as
// bankHub sends it. They are what `bankhook send bankhub NAME` delivers,
// and a quick way to feed a receiver in a test. Each call returns a new
// slice.
func SampleNames() []string { return samples.Names(sampleFS, "testdata/*.json") }

// Sample returns the body of the built-in sample webhook name (one of
// [SampleNames], matched without regard to case) and true, or nil and
// false when there is no such sample. The body is a new copy on each call:
// modifying it changes no other caller's.
func Sample(name string) ([]byte, bool) {
	return samples.Get(sampleFS, "testdata", "testdata/*.json", name)
}
