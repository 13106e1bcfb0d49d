package apitest

import (
	"context"
	"io"
)

// Getter is a plain interface.
type Getter interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// GetSetCloser embeds an interface of its package and one of another.
type GetSetCloser interface {
	Getter
	io.Closer
	Set(key string, value []byte) error
}

// Sealed has an unexported method: only this package implements it.
type Sealed interface {
	Kind() string
	sealed()
}

// Empty has no method.
type Empty interface{}

// Number is a constraint with a type set.
type Number interface {
	~int | ~int64 | ~float64
}
