package bankhook_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/bankhook/bankhook"
)

func ExampleAllowlistFile_Reload() {
	dir, err := os.MkdirTemp("", "allowlist")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bankhub.txt")
	_ = os.WriteFile(path, []byte("# bankHub production\n34.87.150.47\n34.124.145.244\n"), 0o600)

	// The receiver keeps this list (ReceiverOptions.Allow); the file
	// changes it while requests are served.
	allow := bankhook.MustIPAllowlist()
	watch, err := bankhook.WatchAllowlistFile(context.Background(), allow, path, bankhook.AllowlistFileOptions{
		Interval: 5 * time.Second,               // check the file for a change this often
		Signals:  nil,                           // e.g. []os.Signal{syscall.SIGHUP}
		Logger:   slog.New(slog.DiscardHandler), // a line per reload and per refused file
		Extra:    []string{"127.0.0.1"},         // kept besides the file's entries
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer watch.Close()
	newSender := netip.MustParseAddr("20.2.69.168")
	fmt.Println("before:", allow.Len(), "entries; new sender allowed:", allow.Contains(newSender))

	_ = os.WriteFile(path, []byte("34.87.150.47\n34.124.145.244\n20.2.69.168 # announced by bankHub\n"), 0o600)
	if err := watch.Reload(); err != nil { // what a change of the file or a signal does
		fmt.Println(err)
	}
	fmt.Println("after:", allow.Len(), "entries; new sender allowed:", allow.Contains(newSender))

	// A bad file is refused and the list kept.
	_ = os.WriteFile(path, []byte("34.87.150.47\n34.124.145.300\n"), 0o600)
	fmt.Println(watch.Reload() != nil, allow.Len(), "entries")
	// Output:
	// before: 3 entries; new sender allowed: false
	// after: 4 entries; new sender allowed: true
	// true 4 entries
}
