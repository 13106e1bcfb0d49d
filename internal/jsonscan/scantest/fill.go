package scantest

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Filler writes a JSON value for a Go type through reflection over its
// json tags, filling every exported field, each scalar with a value of
// its own, so that a decoder that swaps two fields or skips one is told
// apart from one that does not. Types it cannot derive (a provider's
// time and decimal types) are written by Special, given a number no other
// value got.
//
// The zero value is ready to use; a Filler is not safe for concurrent
// use.
type Filler struct {
	// Special writes the JSON of the types it holds. Default none.
	Special map[reflect.Type]func(n int) string

	n int // the last number given out
}

func (f *Filler) next() int { f.n++; return f.n }

// JSON returns a JSON text for a value of type t. It panics, naming path,
// on a type it cannot write.
func (f *Filler) JSON(t reflect.Type, path string) string {
	if special, ok := f.Special[t]; ok {
		return special(f.next())
	}
	switch t.Kind() {
	case reflect.Pointer:
		return f.JSON(t.Elem(), path)
	case reflect.Struct:
		var b strings.Builder
		b.WriteByte('{')
		for i := range t.NumField() {
			sf := t.Field(i)
			name := jsonName(sf)
			if !sf.IsExported() || name == "-" || name == "" {
				continue
			}
			if b.Len() > 1 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(name) + ":" + f.JSON(sf.Type, path+"."+name))
		}
		b.WriteByte('}')
		return b.String()
	case reflect.Slice:
		return "[" + f.JSON(t.Elem(), path+"[0]") + "]"
	case reflect.String:
		return `"s` + strconv.Itoa(f.next()) + `"`
	case reflect.Int, reflect.Int32, reflect.Int64:
		return strconv.Itoa(f.next())
	case reflect.Float64:
		return strconv.Itoa(f.next()) + ".5"
	case reflect.Bool:
		return "true"
	}
	panic(fmt.Sprintf("scantest: %s: no JSON for %v", path, t))
}

// FirstDifference walks a and b together and returns the path (from path)
// of the first exported field where they differ; ok is true when they are
// equal. Values of the types in atoms are compared whole.
func FirstDifference(a, b reflect.Value, path string, atoms ...reflect.Type) (string, bool) {
	if a.Kind() != b.Kind() || a.Type() != b.Type() {
		return path, false
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return path, a.IsNil() == b.IsNil()
		}
		return FirstDifference(a.Elem(), b.Elem(), path, atoms...)
	case reflect.Struct:
		if isAtom(a.Type(), atoms) {
			return path, reflect.DeepEqual(a.Interface(), b.Interface())
		}
		for i := range a.NumField() {
			if sf := a.Type().Field(i); sf.IsExported() {
				if p, ok := FirstDifference(a.Field(i), b.Field(i), path+"."+fieldName(sf), atoms...); !ok {
					return p, false
				}
			}
		}
		return path, true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return path, false
		}
		for i := range a.Len() {
			if p, ok := FirstDifference(a.Index(i), b.Index(i), path+"["+strconv.Itoa(i)+"]", atoms...); !ok {
				return p, false
			}
		}
		return path, true
	}
	return path, reflect.DeepEqual(a.Interface(), b.Interface())
}

// FirstZero returns the path of the first exported field of v left zero
// (an empty slice counts as zero); ok is false when there is none. Values
// of the types in atoms are judged whole.
func FirstZero(v reflect.Value, path string, atoms ...reflect.Type) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return path, true
		}
		return FirstZero(v.Elem(), path, atoms...)
	case reflect.Struct:
		if isAtom(v.Type(), atoms) {
			return path, v.IsZero()
		}
		for i := range v.NumField() {
			if sf := v.Type().Field(i); sf.IsExported() {
				if p, ok := FirstZero(v.Field(i), path+"."+fieldName(sf), atoms...); ok {
					return p, true
				}
			}
		}
		return "", false
	case reflect.Slice:
		if v.Len() == 0 {
			return path, true
		}
		return FirstZero(v.Index(0), path+"[0]", atoms...)
	}
	return path, v.IsZero()
}

func isAtom(t reflect.Type, atoms []reflect.Type) bool {
	for _, a := range atoms {
		if t == a {
			return true
		}
	}
	return false
}

// jsonName is a field's name in its json tag; "" without one.
func jsonName(sf reflect.StructField) string {
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	return name
}

// fieldName is a field's JSON name, or its Go name without one.
func fieldName(sf reflect.StructField) string {
	if name := jsonName(sf); name != "" {
		return name
	}
	return sf.Name
}
