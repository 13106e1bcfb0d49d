package apitest

import "context"

// List is a generic struct.
type List[T any] struct {
	Items []T
	next  *List[T]
}

// Push has a pointer receiver whose type parameter is named otherwise.
func (l *List[E]) Push(v E) { l.Items = append(l.Items, v) }

// All has a value receiver.
func (l List[T]) All() []T { return l.Items }

// Pair has two type parameters with constraints.
type Pair[K comparable, V any] struct {
	Key   K
	Value V
}

// Map is a generic function.
func Map[T, U any](s []T, f func(T) U) []U {
	out := make([]U, 0, len(s))
	for _, v := range s {
		out = append(out, f(v))
	}
	return out
}

// Sum is constrained by an interface of the package.
func Sum[N Number](ns ...N) N {
	var sum N
	for _, n := range ns {
		sum += n
	}
	return sum
}

// Ints is an instantiated generic type.
var Ints List[int]

// Set is a generic alias.
type Set[T comparable] = map[T]struct{}

// Handler is an alias of a function type.
type Handler = func(context.Context) error
