package main

import (
	"fmt"
	"go/types"
	"slices"
	"strconv"
	"strings"
)

// typeString writes typ as the API lines show it: named types qualified by
// package name outside their own package, aliases resolved, byte and rune
// as uint8 and int32, untyped constants' types as go1.txt names them
// (ideal-int), type parameters numbered ($0).
func (w *apiWriter) typeString(typ types.Type) string {
	var b strings.Builder
	w.writeType(&b, typ)
	return b.String()
}

// writeType writes typ to b; see typeString.
func (w *apiWriter) writeType(b *strings.Builder, typ types.Type) {
	switch typ := typ.(type) {
	case *types.Basic:
		b.WriteString(basicName(typ))
	case *types.Array:
		fmt.Fprintf(b, "[%d]", typ.Len())
		w.writeType(b, typ.Elem())
	case *types.Slice:
		b.WriteString("[]")
		w.writeType(b, typ.Elem())
	case *types.Pointer:
		b.WriteByte('*')
		w.writeType(b, typ.Elem())
	case *types.Map:
		b.WriteString("map[")
		w.writeType(b, typ.Key())
		b.WriteByte(']')
		w.writeType(b, typ.Elem())
	case *types.Chan:
		switch typ.Dir() {
		case types.SendOnly:
			b.WriteString("chan<- ")
		case types.RecvOnly:
			b.WriteString("<-chan ")
		default:
			b.WriteString("chan ")
		}
		w.writeType(b, typ.Elem())
	case *types.Signature:
		b.WriteString("func")
		w.writeSignature(b, typ)
	case *types.Struct:
		w.writeStruct(b, typ)
	case *types.Interface:
		w.writeInterface(b, typ)
	case *types.Alias:
		w.writeType(b, types.Unalias(typ))
	case *types.Named:
		obj := typ.Obj()
		if pkg := obj.Pkg(); pkg != nil && pkg.Path() != w.pkg.Path() {
			b.WriteString(pkg.Name())
			b.WriteByte('.')
		}
		b.WriteString(obj.Name())
		if targs := typ.TypeArgs(); targs.Len() > 0 {
			b.WriteByte('[')
			for i := range targs.Len() {
				if i > 0 {
					b.WriteString(", ")
				}
				w.writeType(b, targs.At(i))
			}
			b.WriteByte(']')
		}
	case *types.TypeParam:
		// Renaming a type parameter changes nothing for its users.
		fmt.Fprintf(b, "$%d", typ.Index())
	case *types.Union:
		for i := range typ.Len() {
			if i > 0 {
				b.WriteString(" | ")
			}
			term := typ.Term(i)
			if term.Tilde() {
				b.WriteByte('~')
			}
			w.writeType(b, term.Type())
		}
	default:
		panic(fmt.Sprintf("apidump: unexpected type %T %v", typ, typ))
	}
}

// basicName returns the name of a basic type as go1.txt writes it.
func basicName(typ *types.Basic) string {
	switch typ.Kind() {
	case types.UnsafePointer:
		return "unsafe.Pointer"
	case types.UntypedBool:
		return "ideal-bool"
	case types.UntypedInt:
		return "ideal-int"
	case types.UntypedRune:
		return "ideal-char" // go1.txt's name
	case types.UntypedFloat:
		return "ideal-float"
	case types.UntypedComplex:
		return "ideal-complex"
	case types.UntypedString:
		return "ideal-string"
	case types.Uint8:
		return "uint8" // also for byte
	case types.Int32:
		return "int32" // also for rune
	}
	return typ.Name()
}

// writeStruct writes a struct type literal with all its fields, since each
// of them (and its tag) is part of the type's identity:
// struct{ A int; B string "json:\"b\""; embedded io.Reader; c bool }.
func (w *apiWriter) writeStruct(b *strings.Builder, typ *types.Struct) {
	if typ.NumFields() == 0 {
		b.WriteString("struct{}")
		return
	}
	b.WriteString("struct{ ")
	for i := range typ.NumFields() {
		if i > 0 {
			b.WriteString("; ")
		}
		f := typ.Field(i)
		if f.Embedded() {
			b.WriteString("embedded ")
		} else {
			b.WriteString(f.Name())
			b.WriteByte(' ')
		}
		w.writeType(b, f.Type())
		if tag := typ.Tag(i); tag != "" {
			b.WriteByte(' ')
			b.WriteString(strconv.Quote(tag))
		}
	}
	b.WriteString(" }")
}

// writeInterface writes an interface type literal: its whole method set
// with signatures, then the terms of its type set:
// interface{ Len() int; ~[]$1 }.
func (w *apiWriter) writeInterface(b *strings.Builder, typ *types.Interface) {
	var elems []string
	for i := range typ.NumMethods() {
		m := typ.Method(i)
		elems = append(elems, m.Name()+w.signatureString(m.Signature()))
	}
	slices.Sort(elems)
	if !typ.IsMethodSet() {
		elems = append(elems, w.typeSetTerms(typ)...)
	}
	if len(elems) == 0 {
		b.WriteString("interface{}")
		return
	}
	b.WriteString("interface{ ")
	b.WriteString(strings.Join(elems, "; "))
	b.WriteString(" }")
}

// typeSetTerms returns, sorted, what an interface's embedded elements add
// to its method set: unions (~int | ~string), constraint interfaces
// (comparable, cmp.Ordered) and single types. Embedded interfaces that
// only add methods are left out; their methods are in the method set.
func (w *apiWriter) typeSetTerms(typ *types.Interface) []string {
	var terms []string
	for i := range typ.NumEmbeddeds() {
		emb := typ.EmbeddedType(i)
		if iface, ok := emb.Underlying().(*types.Interface); ok && iface.IsMethodSet() {
			continue
		}
		if iface, ok := emb.(*types.Interface); ok { // an interface literal: its own terms
			terms = append(terms, w.typeSetTerms(iface)...)
			continue
		}
		terms = append(terms, w.typeString(emb))
	}
	slices.Sort(terms)
	return terms
}

// signatureString writes a function's type parameters, parameters and
// results, without names: [$0 interface{}]($0, ...string) (int, error).
func (w *apiWriter) signatureString(sig *types.Signature) string {
	var b strings.Builder
	w.writeSignature(&b, sig)
	return b.String()
}

// writeSignature writes sig to b; see signatureString.
func (w *apiWriter) writeSignature(b *strings.Builder, sig *types.Signature) {
	if tparams := sig.TypeParams(); tparams.Len() > 0 {
		b.WriteString(w.typeParamsString(tparams, true))
	}
	w.writeTuple(b, sig.Params(), sig.Variadic())
	switch res := sig.Results(); res.Len() {
	case 0:
	case 1:
		b.WriteByte(' ')
		w.writeType(b, res.At(0).Type())
	default:
		b.WriteByte(' ')
		w.writeTuple(b, res, false)
	}
}

// writeTuple writes the types of a parameter or result list in
// parentheses; the last of a variadic list as ...T.
func (w *apiWriter) writeTuple(b *strings.Builder, t *types.Tuple, variadic bool) {
	b.WriteByte('(')
	for i := range t.Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		typ := t.At(i).Type()
		if variadic && i == t.Len()-1 {
			b.WriteString("...")
			if s, ok := typ.Underlying().(*types.Slice); ok {
				typ = s.Elem()
			}
		}
		w.writeType(b, typ)
	}
	b.WriteByte(')')
}

// typeParamsString writes a type parameter list, with the constraints or
// without them (a method's receiver): [$0 interface{}, $1 comparable].
func (w *apiWriter) typeParamsString(tparams *types.TypeParamList, constraints bool) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range tparams.Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		tp := tparams.At(i)
		w.writeType(&b, tp)
		if constraints {
			b.WriteByte(' ')
			w.writeType(&b, tp.Constraint())
		}
	}
	b.WriteByte(']')
	return b.String()
}
