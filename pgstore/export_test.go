package pgstore

import "context"

// Sweep runs one sweep now, for the tests.
func (s *Store) Sweep(ctx context.Context) (int64, error) { return s.sweep(ctx) }
