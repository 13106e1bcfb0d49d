package pgstore_test

import (
	"os"
	"testing"

	"github.com/bankhook/bankhook/pgstore/internal/pgtest"
)

// TestMain starts the PostgreSQL cluster the package's tests share.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
