package apicheck

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxFuncLines is the longest a function or method may be, counted from
// its func line to its closing brace, both included.
const maxFuncLines = 80

// longFuncMarker, in a function's doc comment, says why it may be longer
// than maxFuncLines: a table-driven decoder with one case per field of
// the object it reads, flat by design.
const longFuncMarker = "(longer than 80 lines: one case per field)"

// generatedCode is the line that marks a generated file, as
// https://go.dev/s/generatedcode defines it.
var generatedCode = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// TestFunctionLength fails naming every function or method longer than
// maxFuncLines in the non-test Go files of the whole repository, every
// module's, whose doc comment lacks longFuncMarker. Test files, testdata,
// hidden directories and generated files are left out.
//
// CI runs it with the root module's tests (the README's test command,
// which .ci/run runs): it needs no step of its own.
func TestFunctionLength(t *testing.T) {
	root := repositoryRoot(t)
	var long []string
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		found, checked, err := longFunctions(filepath.ToSlash(rel), src)
		if err != nil {
			return err
		}
		if checked {
			files++
		}
		long = append(long, found...)
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, files, 100, "the walk from %s found too few Go files", root)
	assert.Empty(t, long, "functions longer than %d lines: split them, or, for a table-driven decoder, say %q in the doc comment", maxFuncLines, longFuncMarker)
}

// repositoryRoot walks up from the working directory to the directory
// holding the go.mod of module github.com/bankhook/bankhook.
func repositoryRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(mod), "module github.com/bankhook/bankhook\n") {
			return dir
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			require.NoError(t, err)
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod of github.com/bankhook/bankhook above the working directory")
		dir = parent
	}
}

// longFunctions parses src, the file name, and returns as
// "name:line Func (N lines)" every function or method longer than
// maxFuncLines whose doc comment lacks longFuncMarker. A generated file
// is not checked: it reports checked false.
func longFunctions(name string, src []byte) (long []string, checked bool, err error) {
	if generatedCode.Match(src) {
		return nil, false, nil
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, false, err
	}
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		from, to := fset.Position(fd.Type.Func), fset.Position(fd.Body.Rbrace)
		n := to.Line - from.Line + 1
		if n <= maxFuncLines || fd.Doc != nil && strings.Contains(fd.Doc.Text(), longFuncMarker) {
			continue
		}
		long = append(long, name+":"+strconv.Itoa(from.Line)+" "+funcName(fd)+" ("+strconv.Itoa(n)+" lines)")
	}
	return long, true, nil
}

// funcName is fd's name, with its receiver's type for a method:
// "(*T).Name" or "T.Name".
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	star := ""
	if s, ok := typ.(*ast.StarExpr); ok {
		star, typ = "*", s.X
	}
	switch x := typ.(type) {
	case *ast.IndexExpr:
		typ = x.X
	case *ast.IndexListExpr:
		typ = x.X
	}
	id, ok := typ.(*ast.Ident)
	if !ok {
		return fd.Name.Name
	}
	if star != "" {
		return "(*" + id.Name + ")." + fd.Name.Name
	}
	return id.Name + "." + fd.Name.Name
}

// TestLongFunctionsFinds checks the check on sample sources.
func TestLongFunctionsFinds(t *testing.T) {
	// body returns a function of n lines, func line and closing brace
	// included, under doc.
	body := func(doc, name string, n int) string {
		return doc + "func " + name + "() {\n" + strings.Repeat("\t_ = 0\n", n-2) + "}\n"
	}
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{name: "80 lines pass", src: body("", "F", 80)},
		{name: "81 lines fail", src: body("// F does.\n", "F", 81), want: []string{"p.go:4 F (81 lines)"}},
		{
			name: "a method names its receiver",
			src:  body("", "(t *T) M", 81) + "\ntype T struct{}\n",
			want: []string{"p.go:3 (*T).M (81 lines)"},
		},
		{
			name: "a generic receiver",
			src:  body("", "(t T[E]) M", 90) + "\ntype T[E any] struct{}\n",
			want: []string{"p.go:3 T.M (90 lines)"},
		},
		{name: "the marker exempts", src: body("// F decodes, flat by design\n// "+longFuncMarker+".\n", "F", 120)},
		{
			name: "the marker elsewhere does not",
			src:  "// " + longFuncMarker + "\n\n" + body("", "F", 81),
			want: []string{"p.go:5 F (81 lines)"},
		},
		{name: "a one-line function", src: "func F() {}\n"},
		{name: "generated files are skipped", src: "// Code generated by hand. DO NOT EDIT.\n\n" + body("", "F", 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			long, checked, err := longFunctions("p.go", []byte("package p\n\n"+tt.src))
			require.NoError(t, err)
			assert.Equal(t, tt.name != "generated files are skipped", checked)
			assert.Equal(t, tt.want, long)
		})
	}
}
