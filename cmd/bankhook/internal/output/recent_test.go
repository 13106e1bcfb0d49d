package output

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keysOf returns the keys of entries, in order.
func keysOf(entries []Entry) []string {
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.Key
	}
	return keys
}

func TestReadRecent(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	line := func(provider, key string, age time.Duration) string {
		return testLine(t, provider, key, ago(age)) + "\n"
	}
	cut := testLine(t, "bunq", "cut", ago(time.Minute))
	cut = cut[:strings.Index(cut, `"event":`)+20] // the head is whole, the rest is not

	tests := []struct {
		name    string
		file    string
		opts    RecentOptions
		want    map[string][]string
		torn    int
		whole   bool
		refused int64 // the line a refusal names
	}{
		{
			name: "newest first, up to each provider's limit",
			file: line("bunq", "b1", 5*time.Hour) + line("bankhub", "h1", 4*time.Hour) + line("bunq", "b2", 3*time.Hour) +
				line("bunq", "b3", 2*time.Hour) + line("bankhub", "h2", time.Hour),
			opts: RecentOptions{Limit: map[string]int{"bunq": 2, "bankhub": 1}},
			want: map[string][]string{"bunq": {"b3", "b2"}, "bankhub": {"h2"}},
		},
		{
			name: "a provider without a limit gets no keys",
			file: line("bunq", "b1", time.Hour) + line("bankhub", "h1", time.Hour),
			opts: RecentOptions{Limit: map[string]int{"bankhub": 5}},
			want: map[string][]string{"bankhub": {"h1"}}, whole: true,
		},
		{
			name: "lines received before Since are left out; the scan stops a Straggle before",
			// The first line is not an event line: the scan never reaches it.
			file: "not serve's output\n" + line("bunq", "old", 3*time.Hour) + line("bunq", "late", 2*time.Hour+30*time.Second) +
				line("bunq", "new", time.Hour) + line("bunq", "straggler", 2*time.Hour+10*time.Second),
			opts: RecentOptions{Since: ago(2 * time.Hour), Limit: map[string]int{"bunq": 10}},
			want: map[string][]string{"bunq": {"new"}},
		},
		{
			name: "a key written twice counts once",
			file: line("bunq", "k", 3*time.Hour) + line("bunq", "j", 2*time.Hour) + line("bunq", "k", time.Hour),
			opts: RecentOptions{Limit: map[string]int{"bunq": 10}},
			want: map[string][]string{"bunq": {"k", "j"}}, whole: true,
		},
		{
			name: "a line cut short is never a key, even when its head is whole",
			file: line("bunq", "before", time.Hour) + cut + "\n" + line("bunq", "after", time.Minute) + cut,
			opts: RecentOptions{Limit: map[string]int{"bunq": 10}},
			want: map[string][]string{"bunq": {"after", "before"}}, torn: 2, whole: true,
		},
		{
			name: "a whole last line without its newline counts",
			file: line("bunq", "a", time.Hour) + strings.TrimSuffix(line("bunq", "b", time.Minute), "\n"),
			opts: RecentOptions{Limit: map[string]int{"bunq": 10}},
			want: map[string][]string{"bunq": {"b", "a"}}, whole: true,
		},
		{
			name: "blank lines and zeros are skipped",
			file: line("bunq", "a", time.Hour) + "\n\n" + line("bunq", "b", time.Minute) + "\x00\x00\x00",
			opts: RecentOptions{Limit: map[string]int{"bunq": 10}},
			want: map[string][]string{"bunq": {"b", "a"}}, torn: 1, whole: true,
		},
		{
			name: "no limits: only the last event line is read",
			file: "not serve's output\n" + line("bunq", "a", time.Hour),
			opts: RecentOptions{},
			want: map[string][]string{},
		},
		{
			name:    "another program's line among the lines read",
			file:    line("bunq", "a", time.Hour) + `{"msg":"hello"}` + "\n" + line("bunq", "b", time.Minute),
			opts:    RecentOptions{Limit: map[string]int{"bunq": 10}},
			refused: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.jsonl")
			require.NoError(t, os.WriteFile(path, []byte(tt.file), 0o600))
			rec, err := ReadRecent(path, tt.opts)
			if tt.refused > 0 {
				var e *NotOutputError
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tt.refused, e.Line)
				return
			}
			require.NoError(t, err)
			got := map[string][]string{}
			for p, entries := range rec.Keys {
				got[p] = keysOf(entries)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.torn, rec.Torn, "torn lines")
			assert.Equal(t, tt.whole, rec.Whole, "read back to the first line")
		})
	}

	t.Run("missing file", func(t *testing.T) {
		rec, err := ReadRecent(filepath.Join(t.TempDir(), "none.jsonl"), RecentOptions{Limit: map[string]int{"bunq": 1}})
		require.NoError(t, err)
		assert.Empty(t, rec.Keys)
		assert.True(t, rec.Whole)
	})
	t.Run("received_at of a key", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "events.jsonl")
		require.NoError(t, os.WriteFile(path, []byte(line("bunq", "k", 90*time.Minute)), 0o600))
		rec, err := ReadRecent(path, RecentOptions{Limit: map[string]int{"bunq": 1}})
		require.NoError(t, err)
		require.Len(t, rec.Keys["bunq"], 1)
		assert.True(t, rec.Keys["bunq"][0].ReceivedAt.Equal(ago(90*time.Minute)))
	})
}

// TestReadRecentLargeFile checks ReadRecent against a plain model on a
// generated file of 400,000 lines: two providers, a quarter of the lines
// older than Since, keys written twice, lines cut short, blank lines.
func TestReadRecentLargeFile(t *testing.T) {
	const n = 400_000
	limits := map[string]int{"bunq": 100_000, "bankhub": 100_000}
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	since := base.Add(n / 4 * time.Second)
	rng := rand.New(rand.NewPCG(3, 4))

	type gen struct {
		provider, key string
		at            time.Time
		torn, blank   bool
	}
	lines := make([]gen, n)
	for i := range lines {
		g := gen{provider: "bunq", key: fmt.Sprint("bunq-", i), at: base.Add(time.Duration(i) * time.Second)}
		if i%4 == 0 {
			g.provider, g.key = "bankhub", fmt.Sprint("hub-", i)
		}
		switch r := rng.IntN(1000); {
		case r < 5 && i > 1000: // the same event written again, a little later
			j := i - 1 - rng.IntN(1000)
			g.provider, g.key = lines[j].provider, lines[j].key
		case r < 8:
			g.torn = true
		case r < 10:
			g.blank = true
		}
		lines[i] = g
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.Equal(t, testLine(t, "bunq", "k", base)+"\n", string(appendTestLine(nil, "bunq", "k", base)))
	writeFile(t, path, n, func(b []byte, i int) []byte {
		g := lines[i]
		switch {
		case g.blank:
			return append(b, '\n')
		case g.torn:
			b = appendTestLine(b, g.provider, g.key, g.at)
			return append(b[:len(b)-2-rng.IntN(len(b)-60)], '\n')
		}
		return appendTestLine(b, g.provider, g.key, g.at)
	})

	// The model: from the last line back, each provider's distinct keys
	// of whole lines received since Since, up to its limit.
	want := map[string][]string{}
	seen := map[string]bool{}
	torn := 0
	for i := n - 1; i >= 0; i-- {
		g := lines[i]
		if g.torn {
			torn++
		}
		if g.torn || g.blank || g.at.Before(since) || seen[g.key] || len(want[g.provider]) == limits[g.provider] {
			continue
		}
		seen[g.key] = true
		want[g.provider] = append(want[g.provider], g.key)
	}
	require.Len(t, want["bunq"], 100_000, "the limit is reached")
	require.Less(t, len(want["bankhub"]), 100_000, "the scan goes back to Since")

	start := time.Now()
	rec, err := ReadRecent(path, RecentOptions{Since: since, Limit: limits})
	require.NoError(t, err)
	t.Logf("%d lines read in %v", rec.Lines, time.Since(start))
	for _, p := range []string{"bunq", "bankhub"} {
		require.Equal(t, want[p], keysOf(rec.Keys[p]), p)
	}
	assert.False(t, rec.Whole, "the scan stopped a Straggle before Since")
	assert.Less(t, rec.Lines, n*3/4+100, "it did not read the lines before Since")
	assert.LessOrEqual(t, rec.Torn, torn)
	assert.Positive(t, rec.Torn)
}
