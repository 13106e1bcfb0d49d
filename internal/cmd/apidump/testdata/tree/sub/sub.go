// Package sub is a second importable package of the module.
package sub

import "example.com/apitest"

// Wrap names a type of the other package.
func Wrap(s *apitest.Store) apitest.Level { return apitest.Info }
