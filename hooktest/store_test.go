package hooktest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/hooktest"
)

// lruHarness gives each test an LRUStore on a fake clock of its own.
func lruHarness(wrap func(*bankhook.LRUStore) bankhook.Store) hooktest.StoreHarness {
	var clocks sync.Map // *testing.T → *hooktest.Clock
	return hooktest.StoreHarness{
		New: func(t *testing.T) bankhook.Store {
			c := hooktest.NewClock(hooktest.Epoch())
			clocks.Store(t, c)
			return wrap(bankhook.NewLRUStore(bankhook.LRUStoreOptions{Now: c.Now}))
		},
		Advance: func(t *testing.T, d time.Duration) {
			c, ok := clocks.Load(t)
			require.True(t, ok, "Advance for a test without a store")
			c.(*hooktest.Clock).Advance(d)
		},
	}
}

func TestStoreLRU(t *testing.T) {
	hooktest.TestStore(t, lruHarness(func(s *bankhook.LRUStore) bankhook.Store { return s }))
}

// Broken stores, each with one defect the suite must find.
type (
	// noFencing completes whatever the token.
	noFencing struct{ *bankhook.LRUStore }
	// noLeaseExpiry reserves for ever.
	noLeaseExpiry struct{ *bankhook.LRUStore }
	// noTTLExpiry remembers done keys for ever.
	noTTLExpiry struct{ *bankhook.LRUStore }
	// noExclusion hands every caller a reservation.
	noExclusion struct{ *bankhook.LRUStore }
	// forgetsStatus answers 200 for every done key.
	forgetsStatus struct{ *bankhook.LRUStore }
)

func (s noFencing) Complete(ctx context.Context, key, token string, status int, ttl time.Duration) error {
	_ = s.LRUStore.Complete(ctx, key, token, status, ttl)
	return nil
}

func (s noLeaseExpiry) Reserve(ctx context.Context, key string, _ time.Duration) (bankhook.Reservation, error) {
	return s.LRUStore.Reserve(ctx, key, 1000*time.Hour)
}

func (s noTTLExpiry) Complete(ctx context.Context, key, token string, status int, _ time.Duration) error {
	return s.LRUStore.Complete(ctx, key, token, status, 1000*time.Hour)
}

func (s noExclusion) Reserve(ctx context.Context, key string, lease time.Duration) (bankhook.Reservation, error) {
	res, err := s.LRUStore.Reserve(ctx, key, lease)
	if res.State == bankhook.InFlight {
		return bankhook.Reservation{State: bankhook.Reserved, Token: "forged"}, err
	}
	return res, err
}

func (s forgetsStatus) Reserve(ctx context.Context, key string, lease time.Duration) (bankhook.Reservation, error) {
	res, err := s.LRUStore.Reserve(ctx, key, lease)
	if res.State == bankhook.Done {
		res.Status = 200
	}
	return res, err
}

var brokenStores = map[string]struct {
	wrap func(*bankhook.LRUStore) bankhook.Store
	// fails are checks that must fail for this defect.
	fails []string
}{
	"no_fencing": {
		func(s *bankhook.LRUStore) bankhook.Store { return noFencing{s} },
		[]string{"wrong_token", "fencing_before_takeover", "fencing_after_takeover", "done_is_final", "old_token_after_release"},
	},
	"no_lease_expiry": {
		func(s *bankhook.LRUStore) bankhook.Store { return noLeaseExpiry{s} },
		[]string{"lease_expiry", "fencing_before_takeover", "fencing_after_takeover"},
	},
	"no_ttl_expiry": {
		func(s *bankhook.LRUStore) bankhook.Store { return noTTLExpiry{s} },
		[]string{"ttl_expiry"},
	},
	"no_exclusion": {
		func(s *bankhook.LRUStore) bankhook.Store { return noExclusion{s} },
		[]string{"reserved_is_in_flight", "concurrent_reserve"},
	},
	"forgets_status": {
		func(s *bankhook.LRUStore) bankhook.Store { return forgetsStatus{s} },
		[]string{"done_keeps_status", "fencing_after_takeover"},
	},
}

// envBroken names the broken store TestBrokenStore runs the suite on, in
// the child process TestStoreFindsDefects starts.
const envBroken = "HOOKTEST_BROKEN_STORE"

// TestBrokenStore runs the suite on one broken store when the parent test
// asks for it, and is skipped otherwise.
func TestBrokenStore(t *testing.T) {
	name := os.Getenv(envBroken)
	if name == "" {
		t.Skip("run by TestStoreFindsDefects")
	}
	b, ok := brokenStores[name]
	require.True(t, ok, "unknown broken store %q", name)
	hooktest.TestStore(t, lruHarness(b.wrap))
}

// TestStoreFindsDefects runs the suite on stores with one defect each, in
// a child process (the suite must fail there), and checks that the checks
// meant to find the defect are among the failures.
func TestStoreFindsDefects(t *testing.T) {
	if os.Getenv(envBroken) != "" {
		t.Skip("in the child process")
	}
	for name, b := range brokenStores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenStore$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), envBroken+"="+name)
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "the suite passed a store with a defect:\n%s", out)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit)
			for _, check := range b.fails {
				assert.True(t, strings.Contains(string(out), "--- FAIL: TestBrokenStore/"+check+" "),
					"check %s did not find the defect:\n%s", check, out)
			}
		})
	}
}
