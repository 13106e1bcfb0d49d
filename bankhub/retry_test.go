package bankhub_test

import (
	"testing"
	"time"

	"github.com/bankhook/bankhook/bankhub"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// retryOffsets returns when each retry starts, counted from the first
// attempt.
func retryOffsets(delays []time.Duration) []time.Duration {
	offsets := make([]time.Duration, len(delays))
	var at time.Duration
	for i, d := range delays {
		at += d
		offsets[i] = at
	}
	return offsets
}

func TestRetrySchedule(t *testing.T) {
	p := bankhub.RetrySchedule()
	require.NoError(t, p.Validate())
	assert.Equal(t, "bankhub", p.Name)
	assert.Equal(t, 30*time.Second, p.Timeout)
	assert.Equal(t, 17, p.Attempts(), "17 attempts in all: the first and 16 retries")

	offsets := retryOffsets(p.Delays)
	t.Run("documented points", func(t *testing.T) {
		for retry, want := range map[int]time.Duration{
			1: 30 * time.Second,
			2: time.Minute,
			4: 3 * time.Minute,
			6: 8 * time.Minute,
		} {
			assert.Equal(t, want, offsets[retry-1], "retry %d", retry)
		}
	})
	t.Run("within 24 hours", func(t *testing.T) {
		// The last attempt starts, and its 30 s timeout runs out, inside
		// the day.
		assert.LessOrEqual(t, p.Span()+p.Timeout, 24*time.Hour)
		// One more Fibonacci step would not fit: 17 attempts is all.
		n := len(offsets)
		assert.Greater(t, offsets[n-1]+offsets[n-2], 24*time.Hour)
	})
	t.Run("Fibonacci spaced", func(t *testing.T) {
		// From retry 2 on, the retries come 1, 2, 3, 5, 8, … minutes
		// after the first attempt: each the sum of the two before it.
		assert.Equal(t, time.Minute, offsets[1])
		assert.Equal(t, 2*time.Minute, offsets[2])
		for i := 3; i < len(offsets); i++ {
			assert.Equal(t, offsets[i-1]+offsets[i-2], offsets[i], "retry %d", i+1)
		}
		assert.Equal(t, 987*time.Minute, offsets[15], "retry 16")
	})
	t.Run("a user can override it", func(t *testing.T) {
		mine := bankhub.RetrySchedule()
		mine.Delays = mine.Delays[:3]
		assert.Equal(t, 4, mine.Attempts())
		assert.Equal(t, 17, bankhub.RetrySchedule().Attempts())
	})
	t.Run("a changed copy does not change the next one", func(t *testing.T) {
		mine := bankhub.RetrySchedule()
		mine.Name = "mine"
		mine.Delays[0] = time.Hour
		mine.Timeout = time.Second
		assert.Equal(t, p, bankhub.RetrySchedule())
	})
}
