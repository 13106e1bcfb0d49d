// Package samples holds example webhook bodies, each as its bank sends it:
// one bunq callback per category whose body bunq's documents show, and one
// bankHub webhook per documented (webhookType, webhookCode) pair. They are
// what `bankhook send` delivers, and a quick way to feed a receiver in a
// test:
//
//	body, _ := samples.Bunq("MUTATION")
//	d := hooktest.NewDelivery("/bunq", body)
//
// The bodies are embedded in this package, not in the bank packages, so
// that only a binary that imports it carries them. The files themselves
// are in this package's folders bunq/ and bankhub/, for a test that wants
// a path (hooktest.DeliveryFromFile).
//
// This package imports no other package of bankhook's: the bank packages'
// own tests use it.
package samples

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// files holds the sample bodies, bunq/NAME.json and bankhub/NAME.json.
//
//go:embed bunq/*.json bankhub/*.json
var files embed.FS

// BunqNames returns the names of the bunq sample callbacks, sorted: one per
// category ("BILLING", "MUTATION", …) whose callback body bunq's documents
// show. Each call returns a new slice.
func BunqNames() []string { return names("bunq") }

// Bunq returns the body of the bunq sample callback name (one of
// [BunqNames], matched without regard to case) and true, or nil and false
// when there is no such sample. The body is a new copy on each call:
// modifying it changes no other caller's.
func Bunq(name string) ([]byte, bool) { return get("bunq", name) }

// BankhubNames returns the names of the bankHub sample webhooks, sorted:
// one per documented (webhookType, webhookCode) pair, named TYPE_CODE
// ("GRANT_ERROR", "TRANSACTIONS_DEFAULT_UPDATE", …). Each call returns a
// new slice.
func BankhubNames() []string { return names("bankhub") }

// Bankhub returns the body of the bankHub sample webhook name (one of
// [BankhubNames], matched without regard to case) and true, or nil and
// false when there is no such sample. The body is a new copy on each call:
// modifying it changes no other caller's.
func Bankhub(name string) ([]byte, bool) { return get("bankhub", name) }

// names returns the base names, without ".json", of the samples in dir,
// sorted.
func names(dir string) []string {
	entries, err := fs.Glob(files, dir+"/*.json")
	if err != nil { // only for a malformed pattern, and dir is a constant
		panic(err)
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(path.Base(e), ".json"))
	}
	slices.Sort(out)
	return out
}

// get returns a copy of the sample called name (compared without regard to
// case) in dir.
func get(dir, name string) ([]byte, bool) {
	for _, n := range names(dir) {
		if strings.EqualFold(n, name) {
			b, err := fs.ReadFile(files, path.Join(dir, n+".json"))
			return b, err == nil
		}
	}
	return nil, false
}
