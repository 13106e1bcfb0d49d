package output

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriterLoneLineNotHeld checks that a line that arrives alone is
// written and synced at once, in a batch of its own: nothing waits for
// company. The gated file would block the test if the Writer waited for
// another line first.
func TestWriterLoneLineNotHeld(t *testing.T) {
	g := newGatedFile()
	w := newWriter(target{w: g, files: []syncFile{g}}, Options{})
	for i := range 3 { // one after another, each alone
		line := fmt.Sprint("lone", i)
		res := writeAsync(t.Context(), w, line)
		g.expect(t, "write:"+line+"\n", nil)
		g.expect(t, "sync", nil)
		require.NoError(t, <-res)
	}
	assert.Equal(t, Stats{Lines: 3, Batches: 3}, w.Stats())
	g.close(t, w)
}

// TestWriterBatchesGrowWithLoad checks that the lines arriving while a
// batch is being written and synced all go into the next batch, one write and one
// sync, whatever their number (up to Options.MaxBatchBytes): the more
// lines arrive meanwhile, the bigger the batch.
func TestWriterBatchesGrowWithLoad(t *testing.T) {
	for _, tc := range []struct {
		name     string
		queued   int // lines arriving while the first batch syncs
		maxBatch int // Options.MaxBatchBytes; 0: the default
		batches  []int
	}{
		{"one", 1, 0, []int{1}},
		{"ten", 10, 0, []int{10}},
		{"hundred", 100, 0, []int{100}},
		{"a thousand, the queue's length", DefaultQueueLen, 0, []int{DefaultQueueLen}},
		{"bounded by MaxBatchBytes", 10, 4 * 5, []int{4, 4, 2}}, // lines of 4 bytes and a newline
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGatedFile()
			w := newWriter(target{w: g, files: []syncFile{g}}, Options{MaxBatchBytes: tc.maxBatch})
			first := writeAsync(t.Context(), w, "0000")
			require.Equal(t, "write:0000\n", g.hold(t)) // held: the load arrives meanwhile
			var rest []<-chan error
			for i := range tc.queued {
				rest = append(rest, writeAsync(t.Context(), w, fmt.Sprintf("%04d", i+1)))
				waitQueued(t, w, i+1) // in this order
			}
			g.proceed <- nil
			g.expect(t, "sync", nil)
			require.NoError(t, <-first)

			next := 1
			for _, n := range tc.batches {
				var want strings.Builder
				for range n {
					fmt.Fprintf(&want, "%04d\n", next)
					next++
				}
				g.expect(t, "write:"+want.String(), nil)
				g.expect(t, "sync", nil)
			}
			for _, c := range rest {
				require.NoError(t, <-c)
			}
			assert.Equal(t, Stats{Lines: uint64(1 + tc.queued), Batches: uint64(1 + len(tc.batches))}, w.Stats())
			g.close(t, w)
		})
	}
}
