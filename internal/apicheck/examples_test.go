package apicheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRootNamesHaveExamples fails naming every exported function and type
// of the root package that has no runnable example of its own
// (ExampleName, ExampleName_suffix, ExampleName_Method) and is used by
// none: no Example function anywhere in the repository mentions
// bankhook.Name. Constants, variables (sentinel errors) and methods are
// left out: they are shown with their type or block.
func TestRootNamesHaveExamples(t *testing.T) {
	root := repositoryRoot(t)
	names := rootNames(t, root)
	require.NotEmpty(t, names)

	covered := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rootPkg := filepath.Dir(path) == root
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !strings.HasPrefix(fd.Name.Name, "Example") {
				continue
			}
			if rootPkg {
				covered[strings.SplitN(strings.TrimPrefix(fd.Name.Name, "Example"), "_", 2)[0]] = true
			}
			for _, name := range usedNames(fd.Body, importName(f)) {
				covered[name] = true
			}
		}
		return nil
	})
	require.NoError(t, err)

	var missing []string
	for _, name := range names {
		if !covered[name] {
			missing = append(missing, name)
		}
	}
	assert.Empty(t, missing, "exported names of the root package without a runnable example that shows or uses them")
}

// rootNames returns the exported top-level functions and types of the
// root package's non-test files, sorted.
func rootNames(t *testing.T, root string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(root, "*.go"))
	require.NoError(t, err)
	var names []string
	for _, path := range matches {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				if d.Tok != token.TYPE {
					continue
				}
				for _, s := range d.Specs {
					if ts := s.(*ast.TypeSpec); ts.Name.IsExported() {
						names = append(names, ts.Name.Name)
					}
				}
			}
		}
	}
	slices.Sort(names)
	return names
}

// importName is the name under which f imports the root package, "" when
// it does not.
func importName(f *ast.File) string {
	for _, imp := range f.Imports {
		if imp.Path.Value != `"github.com/bankhook/bankhook"` {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return "bankhook"
	}
	return ""
}

// usedNames returns the names pkg.Name selected in body.
func usedNames(body *ast.BlockStmt, pkg string) []string {
	if pkg == "" || body == nil {
		return nil
	}
	var names []string
	ast.Inspect(body, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == pkg {
				names = append(names, sel.Sel.Name)
			}
		}
		return true
	})
	return names
}

func TestUsedNamesFinds(t *testing.T) {
	const src = `package x_test

import bh "github.com/bankhook/bankhook"

func ExampleX() {
	var s bh.Store
	_ = bh.NewLRUStore(bh.LRUStoreOptions{})
	_ = s
}
`
	f, err := parser.ParseFile(token.NewFileSet(), "x_test.go", src, 0)
	require.NoError(t, err)
	require.Equal(t, "bh", importName(f))
	fd := f.Decls[1].(*ast.FuncDecl)
	assert.Equal(t, []string{"Store", "NewLRUStore", "LRUStoreOptions"}, usedNames(fd.Body, "bh"))
}

// maxRootDocLines bounds `go doc -short` of the root package: the names a
// user meets first. A new one has to earn its place.
const maxRootDocLines = 70

// TestRootDocSize fails when `go doc -short` of the root package lists
// more than maxRootDocLines lines.
func TestRootDocSize(t *testing.T) {
	root := repositoryRoot(t)
	cmd := exec.Command("go", "doc", "-short", ".")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	assert.LessOrEqual(t, len(lines), maxRootDocLines, "go doc -short . lists:\n%s", out)
	t.Logf("go doc -short . lists %d lines (at most %d)", len(lines), maxRootDocLines)
}
