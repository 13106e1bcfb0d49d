package bunq_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/bankhook/bankhook/bunq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProductionRanges(t *testing.T) {
	got := bunq.ProductionRanges()
	assert.Equal(t, []string{"185.40.108.0/22"}, got)
	for _, s := range got {
		p, err := netip.ParsePrefix(s)
		require.NoError(t, err)
		assert.Equal(t, p.Masked(), p, "%s is a network address", s)
	}

	t.Run("a changed copy does not change the next one", func(t *testing.T) {
		mine := bunq.ProductionRanges()
		mine[0] = "0.0.0.0/0"
		_ = append(mine[:0], "10.0.0.0/8", "192.0.2.0/24")
		assert.Equal(t, []string{"185.40.108.0/22"}, bunq.ProductionRanges())
	})
}

func TestRetrySchedule(t *testing.T) {
	p := bunq.RetrySchedule()
	require.NoError(t, p.Validate())
	assert.Equal(t, "bunq", p.Name)
	assert.Equal(t, 6, p.Attempts())
	assert.Equal(t, 5*time.Minute, p.Span())
	assert.Zero(t, p.Timeout)

	t.Run("a changed copy does not change the next one", func(t *testing.T) {
		mine := bunq.RetrySchedule()
		mine.Name = "mine"
		mine.Delays[0] = time.Hour
		mine.Timeout = time.Second
		assert.Equal(t, p, bunq.RetrySchedule())
	})
}
