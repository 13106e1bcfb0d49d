package apicheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoExportedVariables fails naming every exported package-level
// variable of the module's public packages that is not an error sentinel:
// anything an importer could assign or change in place (addresses,
// schedules, clocks) is a function returning a copy, a constant, or a
// field of an Options struct instead. The public packages are found, not
// listed: every package of the root module outside internal/ and testdata/
// that is not a command.
func TestNoExportedVariables(t *testing.T) {
	root := filepath.Join("..", "..")
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "the repository root is two levels up")
	require.Contains(t, string(mod), "module github.com/bankhook/bankhook\n")

	dirs := publicPackages(t, root)
	for _, want := range []string{".", "bunq", "bankhub", "hooktest", "bunq/bunqtest"} {
		require.Contains(t, dirs, want)
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			bad, files := exportedVariables(t, filepath.Join(root, dir))
			require.NotZero(t, files, "no Go files in %s", dir)
			assert.Empty(t, bad, "exported package-level variables that are not error sentinels (make them functions returning a copy, constants or options)")
		})
	}
}

// publicPackages returns the directories, relative to root, of the root
// module's packages an importer can use: not under internal/ or testdata/,
// not in a module of their own (a go.mod), and not package main.
func publicPackages(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if rel != "." {
			name := d.Name()
			if name == "internal" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(path, n), nil, parser.PackageClauseOnly)
			if err != nil {
				return err
			}
			if f.Name.Name != "main" {
				dirs = append(dirs, filepath.ToSlash(rel))
			}
			break
		}
		return nil
	})
	require.NoError(t, err)
	return dirs
}

// TestExportedVariablesFinds checks the check: it must find every kind of
// exported variable but a sentinel, and nothing else.
func TestExportedVariablesFinds(t *testing.T) {
	dir := t.TempDir()
	src := `package p

import (
	"errors"
	"fmt"
	"time"
)

var (
	ErrGood = errors.New("p: good")
	ErrWrapped = fmt.Errorf("p: wrapped: %w", ErrGood)
	ErrNotASentinel = "p: a string"
	ErrNoValue error
	Ranges = []string{"10.0.0.0/8"}
	Epoch = time.Unix(0, 0)
	unexported = []string{"x"}
	_ fmt.Stringer = nil
)

var A, ErrB, c = 1, errors.New("p: b"), 3

var ErrLater, ErrOther = errors.New("p: later"), Ranges

var Mutable struct{ N int }

const Fine = 1

func F() []string { return []string{"10.0.0.0/8"} }
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p_test.go"), []byte("package p\n\nvar InTest = 1\n"), 0o644))
	bad, files := exportedVariables(t, dir)
	assert.Equal(t, 1, files, "test files are not part of the API")
	var names []string
	for _, b := range bad {
		names = append(names, b[strings.LastIndex(b, " ")+1:])
	}
	assert.Equal(t, []string{"ErrNotASentinel", "ErrNoValue", "Ranges", "Epoch", "A", "ErrOther", "Mutable"}, names)
}

// exportedVariables parses the non-test Go files of dir and returns, as
// "file:line name", every exported package-level variable that is not an
// error sentinel (a name starting with Err whose value is errors.New(…)
// or fmt.Errorf(…)), and the number of files parsed.
func exportedVariables(t *testing.T, dir string) (bad []string, files int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		files++
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !id.IsExported() {
						continue
					}
					var value ast.Expr
					if len(vs.Values) == len(vs.Names) {
						value = vs.Values[i]
					}
					if isSentinel(id.Name, value) {
						continue
					}
					p := fset.Position(id.Pos())
					bad = append(bad, filepath.Base(p.Filename)+":"+strconv.Itoa(p.Line)+" "+id.Name)
				}
			}
		}
	}
	return bad, files
}

// isSentinel reports whether name = value declares an error sentinel.
func isSentinel(name string, value ast.Expr) bool {
	if !strings.HasPrefix(name, "Err") {
		return false
	}
	call, ok := value.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		return false
	}
	return slices.Contains([]string{"errors.New", "fmt.Errorf"}, pkg.Name+"."+sel.Sel.Name)
}
