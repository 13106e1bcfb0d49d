package inspect

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sseEvent is one event of a stream.
type sseEvent struct {
	id, event, data string
}

// stream is an open GET /events.
type stream struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

func (f *fixture) openStream(lastEventID string) *stream {
	f.t.Helper()
	ctx, cancel := context.WithCancel(f.t.Context())
	f.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.page.URL+"/events", nil)
	require.NoError(f.t, err)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	req.AddCookie(f.sessionCookie())
	resp, err := f.page.Client().Do(req)
	require.NoError(f.t, err)
	f.t.Cleanup(func() { resp.Body.Close() })
	require.Equal(f.t, http.StatusOK, resp.StatusCode)
	require.Equal(f.t, "text/event-stream", resp.Header.Get("Content-Type"))
	return &stream{t: f.t, resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next event, skipping comments and the retry field; it
// fails the test after 5 s, and returns false at the end of the stream.
func (s *stream) next() (sseEvent, bool) {
	s.t.Helper()
	type result struct {
		ev  sseEvent
		err error
	}
	done := make(chan result, 1)
	go func() {
		var ev sseEvent
		for {
			line, err := s.r.ReadString('\n')
			if err != nil {
				done <- result{err: err}
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev.event != "" || ev.data != "" {
					done <- result{ev: ev}
					return
				}
			case strings.HasPrefix(line, ":"), strings.HasPrefix(line, "retry: "):
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			default:
				done <- result{err: io.ErrUnexpectedEOF}
				return
			}
		}
	}()
	select {
	case res := <-done:
		if res.err == io.EOF {
			return sseEvent{}, false
		}
		require.NoError(s.t, res.err)
		return res.ev, true
	case <-time.After(5 * time.Second):
		s.t.Fatal("no event within 5 s")
		return sseEvent{}, false
	}
}

// delivery reads the next event and requires a delivery.
func (s *stream) delivery() (Summary, string) {
	s.t.Helper()
	ev, ok := s.next()
	require.True(s.t, ok, "the stream ended")
	require.Equal(s.t, "delivery", ev.event, "%+v", ev)
	var sum Summary
	require.NoError(s.t, json.Unmarshal([]byte(ev.data), &sum))
	return sum, ev.id
}

func TestEventsStream(t *testing.T) {
	f := newFixture(t, Options{})
	f.deliver("/bunq?token="+testToken, "application/json", sample(t, "bunq", "MUTATION"))
	f.deliver("/bunq?token=wrong", "application/json", sample(t, "bunq", "MUTATION"))

	// A new page: reset, the deliveries kept (oldest first), then live.
	s := f.openStream("")
	ev, ok := s.next()
	require.True(t, ok)
	assert.Equal(t, sseEvent{event: "reset", data: `{"boot":"` + f.insp.boot + `"}`}, ev)
	first, id1 := s.delivery()
	assert.Equal(t, uint64(1), first.ID)
	assert.Equal(t, f.insp.boot+"-1", id1)
	assert.Equal(t, 200, first.Status)
	second, _ := s.delivery()
	assert.Equal(t, uint64(2), second.ID)
	assert.Equal(t, "bad_token", second.Reason)

	f.deliver("/bankhub?token="+testToken, "application/json", sample(t, "bankhub", "GRANT_ERROR"))
	live, id3 := s.delivery()
	assert.Equal(t, uint64(3), live.ID)
	assert.Equal(t, "bankhub", live.Bank)
	assert.Equal(t, f.insp.boot+"-3", id3)

	// A page that reconnects gets what it missed, and no reset.
	again := f.openStream(id1)
	missed, _ := again.delivery()
	assert.Equal(t, uint64(2), missed.ID)
	missed, _ = again.delivery()
	assert.Equal(t, uint64(3), missed.ID)

	// A page of an earlier process starts over.
	old := f.openStream("0ther-2")
	ev, ok = old.next()
	require.True(t, ok)
	assert.Equal(t, "reset", ev.event)
	restart, _ := old.delivery()
	assert.Equal(t, uint64(1), restart.ID)

	// Close ends every stream.
	f.insp.Close()
	for _, st := range []*stream{s, again, old} {
		for {
			ev, ok := st.next()
			if !ok {
				break
			}
			require.Equal(t, "delivery", ev.event, "only what was queued before Close")
		}
	}
	status, _, body := f.pageRequest(http.MethodGet, "/events")
	assert.Equal(t, http.StatusServiceUnavailable, status, string(body))
}

// TestSlowPageNeverBlocksReceiving keeps deliveries while a page reads
// nothing: keeping never waits, the page is dropped once its buffer is
// full, and it catches up from the ring when it reconnects.
func TestSlowPageNeverBlocksReceiving(t *testing.T) {
	insp, err := New(Options{Banks: []Bank{{Name: "x", Path: "/x"}}, Capacity: 1000})
	require.NoError(t, err)
	sub, backlog, reset, ok := insp.subscribe("")
	require.True(t, ok)
	assert.True(t, reset)
	assert.Empty(t, backlog)

	const n = streamBuffer * 3
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		for range n {
			insp.keep(testDelivery(10))
		}
	}()
	select {
	case <-kept:
	case <-time.After(5 * time.Second):
		t.Fatalf("keeping %d deliveries blocks on a page that reads nothing", n)
	}

	select {
	case <-sub.done:
	default:
		t.Fatal("a page that fell behind is dropped")
	}
	insp.mu.Lock()
	assert.Empty(t, insp.subs, "and forgotten")
	insp.mu.Unlock()
	assert.Len(t, sub.frames, streamBuffer, "what it had queued stays bounded")

	// It reconnects with the last id it read, and gets the rest.
	last := "boot"
	for range 10 {
		f := <-sub.frames
		last = strings.TrimPrefix(strings.SplitN(string(f), "\n", 2)[0], "id: ")
	}
	_, backlog, reset, ok = insp.subscribe(last)
	require.True(t, ok)
	assert.False(t, reset)
	assert.Len(t, backlog, n-10)
}

func TestParseEventID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want uint64
		same bool
	}{
		{"b00t-17", 17, true},
		{"b00t-0", 0, true},
		{"other-17", 0, false},
		{"", 0, false},
		{"b00t", 0, false},
		{"b00t-x", 0, false},
		{"b00t--1", 0, false},
	} {
		t.Run(tc.id, func(t *testing.T) {
			got, same := parseEventID(tc.id, "b00t")
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.same, same)
		})
	}
}
