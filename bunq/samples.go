package bunq

import (
	"embed"

	"github.com/bankhook/bankhook/internal/samples"
)

// sampleFS holds one example callback body per category whose body bunq's
// documents show, the ones this package's tests decode.
//
//go:embed testdata/*.json
var sampleFS embed.FS

// SampleNames returns the names of the built-in sample callbacks, sorted:
// one per category ("BILLING", "MUTATION", …) whose callback body bunq's
// documents show, each a body as bunq sends it for that category. They
// are what `bankhook send bunq NAME` delivers, and a quick way to feed a
// receiver in a test. Each call returns a new slice.
func SampleNames() []string { return samples.Names(sampleFS, "testdata/*.json") }

// Sample returns the body of the built-in sample callback name (one of
// [SampleNames], matched without regard to case) and true, or nil and
// false when there is no such sample. The body is a new copy on each call:
// modifying it changes no other caller's.
func Sample(name string) ([]byte, bool) {
	return samples.Get(sampleFS, "testdata", "testdata/*.json", name)
}
