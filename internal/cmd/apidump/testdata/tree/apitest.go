// Package apitest is the module the apidump tests describe: one of each
// kind of exported name, and unexported ones that must not show.
package apitest

import (
	"errors"
	"time"
)

// Level is a defined type with iota constants.
type Level int

// The levels.
const (
	Debug Level = iota
	Info
	Warn
	quiet
)

// Sizes, untyped, from iota.
const (
	_ = 1 << (10 * iota)
	KiB
	MiB
)

// DefaultLease is a typed constant.
const DefaultLease = time.Minute

// Name is an untyped string constant.
const Name = "apitest"

// Pi is an untyped float constant whose exact value is longer than its
// short form.
const Pi = 3.14159265358979323846264338327950288419716939937510582097494459

// ErrClosed is a sentinel error.
var ErrClosed = errors.New("apitest: closed")

// Width and Height are two variables of one spec.
var Width, Height int

var counter int

// New is a function with a variadic parameter.
func New(capacity int, names ...string) (*Store, error) {
	_, _ = capacity, names
	return &Store{}, nil
}

// Now is a function with one result.
func Now() time.Time { return time.Time{} }

// Old is deprecated.
//
// Deprecated: use New.
func Old() {}

func helper() { counter++ }

// Configure takes an anonymous struct and an anonymous interface.
func Configure(c struct {
	Name string `json:"name"`
	port int
}, closer interface{ Close() error }) {
	_, _ = c, closer
}

// Opaque has only unexported fields.
type Opaque struct {
	x int
}

// unexported is an unexported type whose exported names must not show.
type unexported struct {
	Field int
}

// Method is an exported method of an unexported type.
func (unexported) Method() {}
