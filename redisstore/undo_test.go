package redisstore_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/redisstore"
)

// TestReserveTimedOutIsUndone pauses Redis (SIGSTOP) so that a Reserve
// times out while its command waits in Redis's input, then resumes it:
// the command runs late and reserves the key with a token nobody holds.
// The store takes that reservation back by itself, so the event is not
// turned away as in flight for the whole lease.
func TestReserveTimedOutIsUndone(t *testing.T) {
	srv := startRedis(t)
	if !srv.Own() {
		t.Skipf("pausing Redis needs a redis-server of the test's own, not %s", envAddr)
	}
	store := redisstore.New(srv.Client(t), redisstore.Options{Prefix: "undo:", Timeout: 200 * time.Millisecond})
	ctx := t.Context()
	const lease = time.Minute

	// Once, so that Redis has the script: a late EVALSHA of an unknown
	// script would reserve nothing.
	warm, err := store.Reserve(ctx, "warm", lease)
	require.NoError(t, err)
	require.NoError(t, store.Release(ctx, "warm", warm.Token))

	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGSTOP))
	_, err = store.Reserve(ctx, "evt", lease)
	require.Error(t, err, "Redis is paused")
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGCONT))

	var res bankhook.Reservation
	require.Eventually(t, func() bool {
		res, err = store.Reserve(ctx, "evt", lease)
		return err == nil && res.State == bankhook.Reserved
	}, 10*time.Second, 20*time.Millisecond, "the late reservation is taken back well before its %v lease", lease)
	assert.NoError(t, store.Complete(context.WithoutCancel(ctx), "evt", res.Token, 200, time.Hour))
}
