package bunq

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// samples holds one example callback body per category, the ones this
// package's tests decode.
//
//go:embed testdata/*.json
var samples embed.FS

// SampleNames returns the names of the built-in sample callbacks, sorted:
// one per category ("BILLING", "MUTATION", …), each a body as bunq sends
// it for that category. They are what `bankhook send bunq NAME` delivers,
// and a quick way to feed a receiver in a test. Each call returns a new
// slice.
func SampleNames() []string {
	entries, err := fs.Glob(samples, "testdata/*.json")
	if err != nil { // only for a malformed pattern, and this one is constant
		panic(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(path.Base(e), ".json"))
	}
	slices.Sort(names)
	return names
}

// Sample returns the body of the built-in sample callback name (one of
// [SampleNames], matched without regard to case) and true, or nil and
// false when there is no such sample. The body is a new copy on each call:
// modifying it changes no other caller's.
func Sample(name string) ([]byte, bool) {
	for _, n := range SampleNames() {
		if strings.EqualFold(n, name) {
			b, err := samples.ReadFile("testdata/" + n + ".json")
			return b, err == nil
		}
	}
	return nil, false
}
