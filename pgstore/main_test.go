package pgstore_test

import (
	"os"
	"testing"

	"github.com/bankhook/bankhook/pgstore/pgtest"
)

// TestMain starts the PostgreSQL cluster the package's tests share, except
// in the receiver process TestHandleCrash starts, which uses the test's.
func TestMain(m *testing.M) {
	if os.Getenv(envCrashURL) != "" {
		os.Exit(m.Run())
	}
	os.Exit(pgtest.Main(m))
}
