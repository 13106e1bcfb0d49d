// Package samples serves the built-in sample bodies the provider packages
// embed from their testdata folders (bunq.Sample, bankhub.Sample).
package samples

import (
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Names returns the base names, without ".json", of the files matching
// pattern in fsys, sorted.
func Names(fsys fs.FS, pattern string) []string {
	entries, err := fs.Glob(fsys, pattern)
	if err != nil { // only for a malformed pattern, and callers pass constants
		panic(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(path.Base(e), ".json"))
	}
	slices.Sort(names)
	return names
}

// Get returns a copy of the sample called name (compared without regard
// to case) in dir of fsys, among those matching pattern.
func Get(fsys fs.FS, dir, pattern, name string) ([]byte, bool) {
	for _, n := range Names(fsys, pattern) {
		if strings.EqualFold(n, name) {
			b, err := fs.ReadFile(fsys, path.Join(dir, n+".json"))
			return b, err == nil
		}
	}
	return nil, false
}
