package apitest

import (
	"io"
	"sync"
	"time"
)

// Base is embedded in Store: its field and method are promoted.
type Base struct {
	// ID names the base.
	ID string
}

// Describe is promoted to Store.
func (Base) Describe() string { return "" }

// Logger is embedded in Store through a pointer.
type Logger struct{}

// Log is promoted to Store.
func (*Logger) Log(string) {}

// Store has fields of every kind.
type Store struct {
	// Timeout is a plain field.
	Timeout time.Duration
	// Tags has a struct tag, which the line leaves out.
	Tags []string `json:"tags"`
	Base
	*Logger
	io.Reader
	// OldTimeout is deprecated.
	//
	// Deprecated: use Timeout.
	OldTimeout int

	mu    sync.Mutex // guards cache
	cache map[string][]byte
}

// Len has a pointer receiver.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cache)
}

// Name has a value receiver.
func (Store) Name() string { return "" }

func (s *Store) flush() { s.cache = nil }
