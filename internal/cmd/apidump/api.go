package main

import (
	"fmt"
	"go/token"
	"go/types"
	"slices"
	"strings"
)

// apiWriter collects the API lines of one package.
type apiWriter struct {
	pkg        *types.Package
	deprecated map[token.Pos]bool
	lines      []string
}

// packageLines returns the API lines of pkg, unsorted; deprecated holds
// the positions of its deprecated names.
func packageLines(pkg *types.Package, deprecated map[token.Pos]bool) []string {
	w := &apiWriter{pkg: pkg, deprecated: deprecated}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		if token.IsExported(name) {
			w.object(scope.Lookup(name))
		}
	}
	return w.lines
}

// emit adds the line "pkg <path>, <scope>, <feature>".
func (w *apiWriter) emit(scope, format string, args ...any) {
	line := "pkg " + w.pkg.Path() + ", "
	if scope != "" {
		line += scope + ", "
	}
	line += fmt.Sprintf(format, args...)
	if strings.ContainsAny(line, "\r\n") {
		// A string constant's value is quoted, and nothing else holds a
		// line break; keep the one-line-per-feature promise regardless.
		line = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(line)
	}
	w.lines = append(w.lines, line)
}

// object emits the lines of a package-level exported object.
func (w *apiWriter) object(obj types.Object) {
	switch obj := obj.(type) {
	case *types.Const:
		if w.deprecated[obj.Pos()] {
			w.emit("", "const %s //deprecated", obj.Name())
		}
		w.emit("", "const %s %s", obj.Name(), w.typeString(obj.Type()))
		short, exact := obj.Val().String(), obj.Val().ExactString()
		if short == exact {
			w.emit("", "const %s = %s", obj.Name(), short)
		} else {
			w.emit("", "const %s = %s  // %s", obj.Name(), short, exact)
		}
	case *types.Var:
		if w.deprecated[obj.Pos()] {
			w.emit("", "var %s //deprecated", obj.Name())
		}
		w.emit("", "var %s %s", obj.Name(), w.typeString(obj.Type()))
	case *types.Func:
		if w.deprecated[obj.Pos()] {
			w.emit("", "func %s //deprecated", obj.Name())
		}
		w.emit("", "func %s%s", obj.Name(), w.signatureString(obj.Signature()))
	case *types.TypeName:
		w.typeName(obj)
	default:
		panic(fmt.Sprintf("apidump: unexpected object %v", obj))
	}
}

// typeName emits the lines of an exported type: its definition, its
// fields or interface methods, and its method set.
func (w *apiWriter) typeName(obj *types.TypeName) {
	name := obj.Name()
	if w.deprecated[obj.Pos()] {
		w.emit("", "type %s //deprecated", name)
	}
	if alias, ok := obj.Type().(*types.Alias); ok {
		if tparams := alias.TypeParams(); tparams.Len() > 0 {
			name += w.typeParamsString(tparams, true)
		}
		w.emit("", "type %s = %s", name, w.typeString(alias))
		return
	}
	named, ok := obj.Type().(*types.Named)
	if !ok { // a type parameter cannot be a package-level name
		panic(fmt.Sprintf("apidump: unexpected type %v", obj))
	}
	if tparams := named.TypeParams(); tparams.Len() > 0 {
		name += w.typeParamsString(tparams, true)
	}
	switch under := named.Underlying().(type) {
	case *types.Struct:
		w.structType(name, under)
	case *types.Interface:
		w.interfaceType(name, under)
		return // its methods are its lines
	default:
		w.emit("", "type %s %s", name, w.typeString(under))
	}

	// The method set of T, then what *T adds, each with the receiver it
	// is called on; promoted methods included.
	seen := make(map[string]bool)
	for _, recv := range []types.Type{named, types.NewPointer(named)} {
		mset := types.NewMethodSet(recv)
		for i := range mset.Len() {
			sel := mset.At(i)
			if !sel.Obj().Exported() || seen[sel.Obj().Name()] {
				continue
			}
			seen[sel.Obj().Name()] = true
			w.method(sel)
		}
	}
}

// structType emits a struct type's line and one line per exported field.
func (w *apiWriter) structType(name string, typ *types.Struct) {
	scope := "type " + name + " struct"
	w.emit("", "%s", scope)
	for i := range typ.NumFields() {
		f := typ.Field(i)
		if !f.Exported() {
			continue
		}
		feature := f.Name()
		if f.Embedded() {
			feature = "embedded"
		}
		if w.deprecated[f.Pos()] {
			w.emit(scope, "%s //deprecated", feature)
		}
		w.emit(scope, "%s %s", feature, w.typeString(f.Type()))
	}
}

// interfaceType emits one line per method of an interface's method set,
// embedded interfaces' included, and a summary line naming them all. An
// interface with unexported methods can only be implemented in its own
// package, which may add methods: it gets the line "unexported methods"
// instead of the summary.
func (w *apiWriter) interfaceType(name string, typ *types.Interface) {
	scope := "type " + name + " interface"
	var names []string
	sealed := false
	for i := range typ.NumMethods() {
		m := typ.Method(i)
		if !m.Exported() {
			sealed = true
			continue
		}
		names = append(names, m.Name())
		if w.deprecated[m.Pos()] {
			w.emit(scope, "%s //deprecated", m.Name())
		}
		w.emit(scope, "%s%s", m.Name(), w.signatureString(m.Signature()))
	}
	if sealed {
		w.emit(scope, "unexported methods")
		return
	}
	var elems []string
	if !typ.IsMethodSet() {
		elems = w.typeSetTerms(typ)
	}
	slices.Sort(names)
	if all := slices.Concat(names, elems); len(all) > 0 {
		w.emit("", "type %s interface { %s }", name, strings.Join(all, ", "))
	} else {
		w.emit("", "type %s interface {}", name)
	}
}

// method emits the line of a method of a named type's method set.
func (w *apiWriter) method(sel *types.Selection) {
	sig := sel.Type().(*types.Signature)
	recv := w.typeString(sig.Recv().Type())
	if rtp := sig.RecvTypeParams(); rtp.Len() > 0 {
		recv += w.typeParamsString(rtp, false)
	}
	name := sel.Obj().Name()
	if w.deprecated[sel.Obj().Pos()] {
		w.emit("", "method (%s) %s //deprecated", recv, name)
	}
	w.emit("", "method (%s) %s%s", recv, name, w.signatureString(sig))
}
