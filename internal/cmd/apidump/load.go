package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// listedPackage is what describeModule reads of `go list -json` for a
// package.
type listedPackage struct {
	ImportPath string
	Name       string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	Export     string
	ImportMap  map[string]string
	Module     *struct {
		Path string
		Main bool
	}
	Error *struct{ Err string }
}

// listFields are the fields describeModule asks `go list -json` for.
const listFields = "ImportPath,Name,Dir,GoFiles,CgoFiles,Export,ImportMap,Module,Error"

// describeModule returns the sorted API lines of the module in dir, whose
// module path is modPath. Its importable packages are type-checked from
// source; what they import comes from the export data `go list -export`
// builds, so a dependency is compiled once, in the build cache, and never
// type-checked here.
func describeModule(ctx context.Context, dir, modPath string) ([]string, error) {
	out, err := goOutput(ctx, dir, "list", "-e", "-export", "-deps", "-json="+listFields, "./...")
	if err != nil {
		return nil, err
	}
	exports := make(map[string]string)
	var targets []*listedPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		p := new(listedPackage)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("apidump: go list in %s: %w", dir, err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("apidump: module %s: package %s: %s", modPath, p.ImportPath, p.Error.Err)
		}
		exports[p.ImportPath] = p.Export
		if p.Module != nil && p.Module.Main && importable(p) {
			targets = append(targets, p)
		}
	}
	fset := token.NewFileSet()
	// One importer for the module, so that a package imported by several of
	// its packages is read once.
	gc := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file := exports[path]
		if file == "" {
			return nil, fmt.Errorf("apidump: no export data for %q", path)
		}
		return os.Open(file)
	})
	var lines []string
	for _, p := range targets {
		pkgLines, err := describePackage(fset, gc, p)
		if err != nil {
			return nil, err
		}
		lines = append(lines, pkgLines...)
	}
	slices.Sort(lines)
	return slices.Compact(lines), nil
}

// importable reports whether another module can import p: it is not a
// main package and no element of its path is "internal".
func importable(p *listedPackage) bool {
	return p.Name != "main" && !slices.Contains(strings.Split(p.ImportPath, "/"), "internal")
}

// describePackage type-checks p from its source and returns its API lines.
func describePackage(fset *token.FileSet, gc types.Importer, p *listedPackage) ([]string, error) {
	var files []*ast.File
	for _, name := range slices.Concat(p.GoFiles, p.CgoFiles) {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("apidump: package %s: %w", p.ImportPath, err)
		}
		files = append(files, f)
	}
	conf := types.Config{
		Importer:    mappedImporter{gc: gc, importMap: p.ImportMap},
		FakeImportC: len(p.CgoFiles) > 0,
		Sizes:       types.SizesFor("gc", "amd64"),
	}
	pkg, err := conf.Check(p.ImportPath, fset, files, nil)
	if err != nil {
		return nil, fmt.Errorf("apidump: package %s: %w", p.ImportPath, err)
	}
	return packageLines(pkg, deprecated(files)), nil
}

// mappedImporter imports a path as written in the source through the
// package's ImportMap (vendoring), from export data.
type mappedImporter struct {
	gc        types.Importer
	importMap map[string]string
}

// Import implements types.Importer.
func (m mappedImporter) Import(path string) (*types.Package, error) {
	if mapped, ok := m.importMap[path]; ok {
		path = mapped
	}
	return m.gc.Import(path)
}

// deprecated returns the positions of the names, in files, whose doc
// comment has a paragraph starting "Deprecated:".
func deprecated(files []*ast.File) map[token.Pos]bool {
	isDeprecated := func(doc *ast.CommentGroup) bool {
		if doc == nil {
			return false
		}
		for line := range strings.SplitSeq(doc.Text(), "\n") {
			if strings.HasPrefix(line, "Deprecated:") {
				return true
			}
		}
		return false
	}
	marks := make(map[token.Pos]bool)
	markFields := func(fields *ast.FieldList) {
		if fields == nil {
			return
		}
		for _, f := range fields.List {
			if !isDeprecated(f.Doc) {
				continue
			}
			for _, n := range f.Names {
				marks[n.Pos()] = true
			}
			if len(f.Names) == 0 { // embedded: T, *T, p.T, T[A]
				typ := f.Type
				if star, ok := typ.(*ast.StarExpr); ok {
					typ = star.X
				}
				switch t := typ.(type) {
				case *ast.IndexExpr:
					typ = t.X
				case *ast.IndexListExpr:
					typ = t.X
				}
				switch t := typ.(type) {
				case *ast.Ident:
					marks[t.Pos()] = true
				case *ast.SelectorExpr:
					marks[t.Sel.Pos()] = true
				}
			}
		}
	}
	for _, file := range files {
		for _, decl := range file.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if isDeprecated(d.Doc) {
					marks[d.Name.Pos()] = true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.ValueSpec:
						if isDeprecated(d.Doc) || isDeprecated(s.Doc) {
							for _, n := range s.Names {
								marks[n.Pos()] = true
							}
						}
					case *ast.TypeSpec:
						if isDeprecated(d.Doc) || isDeprecated(s.Doc) {
							marks[s.Name.Pos()] = true
						}
						switch t := s.Type.(type) {
						case *ast.StructType:
							markFields(t.Fields)
						case *ast.InterfaceType:
							markFields(t.Methods)
						}
					}
				}
			}
		}
	}
	return marks
}
