package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// apiDir is the directory, under the repository root, of the files.
const apiDir = "api"

// writeFiles writes files (name → content) to root/api, leaving a file
// whose content is already right untouched, and removes the other .txt
// files of root/api: they describe modules that are gone.
func writeFiles(root string, files map[string][]byte) error {
	dir := filepath.Join(root, apiDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("apidump: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		file := filepath.Join(dir, name)
		if old, err := os.ReadFile(file); err == nil && bytes.Equal(old, files[name]) {
			continue
		}
		if err := os.WriteFile(file, files[name], 0o644); err != nil {
			return fmt.Errorf("apidump: %w", err)
		}
	}
	stale, err := staleFiles(dir, files)
	if err != nil {
		return err
	}
	for _, name := range stale {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("apidump: %w", err)
		}
	}
	return nil
}

// staleFiles returns, sorted, the .txt files of dir that files does not
// name.
func staleFiles(dir string, files map[string][]byte) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("apidump: %w", err)
	}
	var stale []string
	for _, e := range entries {
		if _, ok := files[e.Name()]; !ok && !e.IsDir() && strings.HasSuffix(e.Name(), ".txt") {
			stale = append(stale, e.Name())
		}
	}
	return stale, nil
}

// checkFiles compares files (name → content) with root/api. For each file
// that differs it prints to out its name and the lines to add (+) and to
// remove (-), in line order; it returns errDiffers if any does.
func checkFiles(root string, files map[string][]byte, out io.Writer) error {
	dir := filepath.Join(root, apiDir)
	stale, err := staleFiles(dir, files)
	if err != nil {
		return err
	}
	want := maps.Clone(files)
	for _, name := range stale {
		want[name] = nil // every line of it is to be removed
	}
	differ := 0
	for _, name := range slices.Sorted(maps.Keys(want)) {
		old, err := os.ReadFile(filepath.Join(dir, name))
		missing := errors.Is(err, fs.ErrNotExist)
		if err != nil && !missing {
			return fmt.Errorf("apidump: %w", err)
		}
		if !missing && bytes.Equal(old, want[name]) {
			continue
		}
		differ++
		file := apiDir + "/" + name
		switch {
		case missing:
			fmt.Fprintf(out, "%s: missing\n", file)
		case want[name] == nil:
			fmt.Fprintf(out, "%s: no module is described there any more\n", file)
		default:
			fmt.Fprintf(out, "%s:\n", file)
		}
		diff := lineDiff(splitLines(old), splitLines(want[name]))
		if len(diff) == 0 {
			fmt.Fprintf(out, "  same lines, in another order or with other line endings\n")
		}
		for _, l := range diff {
			fmt.Fprintln(out, l)
		}
	}
	if differ > 0 {
		return errDiffers
	}
	return nil
}

// splitLines returns the lines of a file, without line endings.
func splitLines(b []byte) []string {
	var lines []string
	for line := range strings.Lines(string(b)) {
		lines = append(lines, strings.TrimRight(line, "\r\n"))
	}
	return lines
}

// lineDiff returns the lines of after that before lacks, as "+line", and
// those of before that after lacks, as "-line", sorted by line so that a changed
// feature's old and new lines stand together.
func lineDiff(before, after []string) []string {
	count := make(map[string]int)
	for _, l := range before {
		count[l]--
	}
	for _, l := range after {
		count[l]++
	}
	type change struct {
		line string
		sign byte
	}
	var changes []change
	for l, n := range count {
		for ; n < 0; n++ {
			changes = append(changes, change{l, '-'})
		}
		for ; n > 0; n-- {
			changes = append(changes, change{l, '+'})
		}
	}
	slices.SortFunc(changes, func(a, b change) int {
		if c := strings.Compare(a.line, b.line); c != 0 {
			return c
		}
		return int(a.sign) - int(b.sign)
	})
	diff := make([]string, len(changes))
	for i, c := range changes {
		diff[i] = string(c.sign) + c.line
	}
	return diff
}
