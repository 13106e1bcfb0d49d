package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bankhook/bankhook/pgstore/pgtest"
)

// TestMain runs the examples only where PostgreSQL is installed (see Main).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// A cluster of a program's own, outside a test (a benchmark, a shell
// session): started, given a database, and removed at the end.
func ExampleStart() {
	c, err := pgtest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Remove()
	ctx := context.Background()
	url, err := c.CreateDatabase(ctx, "bookings")
	if err != nil {
		fmt.Println(err)
		return
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close(ctx)
	var db string
	var fsync string
	if err := conn.QueryRow(ctx, "SELECT current_database(), current_setting('fsync')").Scan(&db, &fsync); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(db, "fsync="+fsync)
	// Output: bookings fsync=on
}
