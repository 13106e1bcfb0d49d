package hooktest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/bankhook/bankhook/hooktest"
)

func TestClock(t *testing.T) {
	var zero hooktest.Clock
	assert.Equal(t, hooktest.Epoch(), zero.Now(), "the zero clock reads Epoch")
	assert.Equal(t, hooktest.Epoch().Add(time.Minute), zero.Advance(time.Minute))
	assert.Equal(t, hooktest.Epoch().Add(time.Minute), zero.Now(), "it stands still between calls")
	assert.Equal(t, hooktest.Epoch().Add(30*time.Second), zero.Advance(-30*time.Second))

	at := time.Date(2026, time.March, 29, 1, 59, 0, 0, time.UTC)
	c := hooktest.NewClock(at)
	assert.Equal(t, at, c.Now())
	c.Set(at.Add(72 * time.Hour))
	assert.Equal(t, at.Add(72*time.Hour), c.Now())
}

func TestClockConcurrent(t *testing.T) {
	c := hooktest.NewClock(hooktest.Epoch())
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, hooktest.Epoch().Add(6400*time.Second), c.Now())
}
