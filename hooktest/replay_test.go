package hooktest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/hooktest"
)

// fiveMinutes is bunq's shape: the first attempt and five retries one
// minute apart, no documented timeout.
var fiveMinutes = bankhook.RetryPolicy{
	Name:   "every minute",
	Delays: slices.Repeat([]time.Duration{time.Minute}, 5),
}

// fibonacci is bankHub's shape: growing delays and a 30 s timeout.
var fibonacci = bankhook.RetryPolicy{
	Name:    "fibonacci",
	Delays:  []time.Duration{30 * time.Second, time.Minute, 90 * time.Second, 150 * time.Second, 4 * time.Minute},
	Timeout: 30 * time.Second,
}

// flaky answers the first fail calls for each body with 500, later ones
// with 200, and counts the calls per body.
type flaky struct {
	fail int

	mu    sync.Mutex // guards calls
	calls map[string]int
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[string(b)]++
	n := f.calls[string(b)]
	f.mu.Unlock()
	if n <= f.fail {
		w.WriteHeader(http.StatusInternalServerError)
	}
}

func deliveries(n int) []*hooktest.Delivery {
	ds := make([]*hooktest.Delivery, n)
	for i := range ds {
		ds[i] = hooktest.NewDelivery("/hook", fmt.Appendf(nil, `{"id":%d}`, i))
	}
	return ds
}

// scheduled returns the times a sender's attempts are due when every one
// fails: start, then start plus each delay in turn.
func scheduled(start time.Time, p bankhook.RetryPolicy) []time.Time {
	ts := []time.Time{start}
	for _, d := range p.Delays {
		ts = append(ts, ts[len(ts)-1].Add(d))
	}
	return ts
}

func TestReplaySchedule(t *testing.T) {
	tests := []struct {
		name     string
		policy   bankhook.RetryPolicy
		fail     int
		wantN    int
		wantAck  bool
		wantGone bool
	}{
		{"acknowledged at once", fiveMinutes, 0, 1, true, false},
		{"acknowledged on the third attempt", fiveMinutes, 2, 3, true, false},
		{"acknowledged on the last attempt", fibonacci, 5, 6, true, false},
		{"given up", fiveMinutes, 6, 6, false, true},
		{"given up after growing delays", fibonacci, 100, 6, false, true},
		{"single attempt policy", bankhook.RetryPolicy{}, 1, 1, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := hooktest.NewClock(hooktest.Epoch())
			rep, err := hooktest.Replay(t.Context(), &flaky{fail: tt.fail}, tt.policy, deliveries(3),
				hooktest.ReplayOptions{Clock: clock})
			require.NoError(t, err)

			want := scheduled(hooktest.Epoch(), tt.policy)[:tt.wantN]
			for _, e := range rep.Events {
				var at []time.Time
				for i, a := range e.Attempts {
					assert.Equal(t, i+1, a.N)
					assert.Equal(t, 0, a.Sender)
					assert.Equal(t, i == tt.wantN-1 && tt.wantAck, a.Acknowledged(), "attempt %d", a.N)
					at = append(at, a.At)
				}
				assert.Equal(t, want, at, "event %s", e.Label)
				assert.Equal(t, tt.wantAck, e.Acknowledged)
				assert.Equal(t, tt.wantGone, e.GaveUp)
				if tt.wantAck {
					assert.Equal(t, want[len(want)-1], e.AcknowledgedAt)
				}
			}
			assert.Equal(t, want[len(want)-1], clock.Now(), "the clock ends at the last attempt")
			assert.Equal(t, want[len(want)-1], rep.End)
			assert.Equal(t, hooktest.Epoch(), rep.Start)
			assert.Equal(t, tt.policy.Name, rep.Policy)

			n := 3 * tt.wantN
			acked := 0
			if tt.wantAck {
				acked = 3
			}
			assert.Equal(t, hooktest.Totals{
				Events: 3, Attempts: n, Acknowledged: acked, GaveUp: 3 - acked, Failed: n - acked,
			}, rep.Totals)
		})
	}
}

func TestReplaySpacingAndLabels(t *testing.T) {
	ds := deliveries(3)
	ds[1].Label = "second"
	rep, err := hooktest.Replay(t.Context(), &flaky{}, fiveMinutes, ds, hooktest.ReplayOptions{Spacing: 10 * time.Second})
	require.NoError(t, err)
	for i, e := range rep.Events {
		require.Len(t, e.Attempts, 1)
		assert.Equal(t, hooktest.Epoch().Add(time.Duration(i)*10*time.Second), e.Attempts[0].At)
		assert.Equal(t, i, e.Index)
	}
	assert.Equal(t, []string{"0", "second", "2"}, []string{rep.Events[0].Label, rep.Events[1].Label, rep.Events[2].Label})
}

func TestReplayTimeout(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantErr    error
	}{
		{
			name:       "answers in time",
			handler:    func(w http.ResponseWriter, r *http.Request) { time.Sleep(29 * time.Second) },
			wantStatus: http.StatusOK,
		},
		{
			name: "gives up at the deadline",
			handler: func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
				w.WriteHeader(http.StatusServiceUnavailable)
			},
			wantStatus: http.StatusServiceUnavailable,
			wantErr:    hooktest.ErrTimeout,
		},
		{
			name:       "ignores the deadline and answers 200 late",
			handler:    func(w http.ResponseWriter, r *http.Request) { time.Sleep(31 * time.Second) },
			wantStatus: http.StatusOK,
			wantErr:    hooktest.ErrTimeout,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Inside the bubble the handler's 30 s pass at once.
			synctest.Test(t, func(t *testing.T) {
				p := bankhook.RetryPolicy{Name: "one", Timeout: 30 * time.Second}
				rep, err := hooktest.Replay(t.Context(), tt.handler, p, deliveries(1), hooktest.ReplayOptions{})
				require.NoError(t, err)
				a := rep.Events[0].Attempts[0]
				assert.Equal(t, tt.wantStatus, a.Status)
				assert.ErrorIs(t, a.Err, tt.wantErr)
				assert.Equal(t, tt.wantErr == nil, a.Acknowledged())
				if tt.wantErr != nil {
					assert.Equal(t, 1, rep.Totals.TimedOut)
				}
			})
		})
	}
}

func TestReplayTimeoutOverride(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(2 * time.Second) })
		for _, tt := range []struct {
			name    string
			timeout time.Duration
			wantErr error
		}{
			{"policy timeout", 0, nil},
			{"shorter timeout", time.Second, hooktest.ErrTimeout},
			{"no timeout", -1, nil},
		} {
			p := bankhook.RetryPolicy{Timeout: 30 * time.Second}
			if tt.timeout < 0 {
				p.Timeout = time.Second
			}
			rep, err := hooktest.Replay(t.Context(), slow, p, deliveries(1), hooktest.ReplayOptions{Timeout: tt.timeout})
			require.NoError(t, err, tt.name)
			assert.ErrorIs(t, rep.Events[0].Attempts[0].Err, tt.wantErr, tt.name)
		}
	})
}

func TestReplayPanic(t *testing.T) {
	calls := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			panic(http.ErrAbortHandler)
		}
	})
	rep, err := hooktest.Replay(t.Context(), h, fiveMinutes, deliveries(1), hooktest.ReplayOptions{Workers: 1})
	require.NoError(t, err)
	as := rep.Events[0].Attempts
	require.Len(t, as, 2)
	assert.Equal(t, 0, as[0].Status)
	assert.ErrorContains(t, as[0].Err, "hooktest: handler panicked")
	assert.True(t, as[1].Acknowledged())
}

func TestReplaySendersAtTheSameMoment(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Each call waits for a second call to be in progress: the senders
		// of one event must be sent together, or the attempt times out.
		var mu sync.Mutex
		waiting := map[string]chan struct{}{}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			ch, ok := waiting[string(b)]
			if !ok {
				ch = make(chan struct{})
				waiting[string(b)] = ch
			} else {
				close(ch)
			}
			mu.Unlock()
			select {
			case <-ch:
			case <-r.Context().Done():
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		p := bankhook.RetryPolicy{Timeout: time.Second}
		rep, err := hooktest.Replay(t.Context(), h, p, deliveries(4), hooktest.ReplayOptions{
			Workers: 2,
			Senders: func(i int) int { return 2 },
			Spacing: time.Minute,
		})
		require.NoError(t, err)
		for _, e := range rep.Events {
			assert.Equal(t, 2, e.Senders)
			require.Len(t, e.Attempts, 2)
			assert.ElementsMatch(t, []int{0, 1}, []int{e.Attempts[0].Sender, e.Attempts[1].Sender})
			assert.Equal(t, e.Attempts[0].At, e.Attempts[1].At)
			for _, a := range e.Attempts {
				assert.True(t, a.Acknowledged(), "event %d sender %d: %v", e.Index, a.Sender, a.Err)
			}
		}
	})
}

func TestReplaySendersRetryOnTheirOwn(t *testing.T) {
	// The first call per event fails: one sender retries, the other is
	// acknowledged at once, and the event is acknowledged.
	rep, err := hooktest.Replay(t.Context(), &flaky{fail: 1}, fiveMinutes, deliveries(5), hooktest.ReplayOptions{
		Senders: func(i int) int { return i%2 + 1 },
	})
	require.NoError(t, err)
	for _, e := range rep.Events {
		assert.True(t, e.Acknowledged)
		assert.False(t, e.GaveUp)
		assert.Len(t, e.Attempts, e.Senders+1, "event %d", e.Index)
	}
}

func TestReplayCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	calls := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 3 {
			cancel()
		}
		w.WriteHeader(http.StatusInternalServerError)
	})
	rep, err := hooktest.Replay(ctx, h, fiveMinutes, deliveries(2), hooktest.ReplayOptions{Workers: 1})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 3, calls, "no attempt after the context ended")
	assert.Equal(t, 3, rep.Totals.Attempts)
	for _, e := range rep.Events {
		assert.False(t, e.GaveUp)
		assert.False(t, e.Acknowledged)
	}
}

func TestReplayInvalid(t *testing.T) {
	ok := &flaky{}
	tests := []struct {
		name    string
		h       http.Handler
		p       bankhook.RetryPolicy
		ds      []*hooktest.Delivery
		o       hooktest.ReplayOptions
		wantErr string
	}{
		{"no handler", nil, fiveMinutes, deliveries(1), hooktest.ReplayOptions{}, "needs a handler"},
		{"nil delivery", ok, fiveMinutes, []*hooktest.Delivery{nil}, hooktest.ReplayOptions{}, "nil delivery at index 0"},
		{"bad target", ok, fiveMinutes, []*hooktest.Delivery{{Target: "no-slash"}}, hooktest.ReplayOptions{}, `"no-slash"`},
		{"negative delay", ok, bankhook.RetryPolicy{Name: "x", Delays: []time.Duration{-1}}, deliveries(1), hooktest.ReplayOptions{}, "negative"},
		{"negative workers", ok, fiveMinutes, deliveries(1), hooktest.ReplayOptions{Workers: -1}, "Workers"},
		{"negative spacing", ok, fiveMinutes, deliveries(1), hooktest.ReplayOptions{Spacing: -time.Second}, "Spacing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := hooktest.Replay(t.Context(), tt.h, tt.p, tt.ds, tt.o)
			require.Error(t, err)
			assert.Nil(t, rep)
			assert.Contains(t, err.Error(), "hooktest: ")
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
	assert.Empty(t, ok.calls, "nothing is sent for an invalid replay")
}

func TestReplayURL(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	f := &flaky{fail: 2}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Content-Type"))
		mu.Unlock()
		f.ServeHTTP(w, r)
	}))
	defer srv.Close()

	d := hooktest.NewDelivery("/bunq?token=s3cret", []byte(`{"id":1}`))
	rep, err := hooktest.ReplayURL(t.Context(), srv.URL+"/base/", fiveMinutes, []*hooktest.Delivery{d}, hooktest.ReplayOptions{Client: srv.Client()})
	require.NoError(t, err)
	require.Len(t, rep.Events[0].Attempts, 3)
	assert.Equal(t, []int{500, 500, 200}, statuses(rep.Events[0].Attempts))
	assert.True(t, rep.Events[0].Acknowledged)
	assert.Equal(t, slices.Repeat([]string{"POST /base/bunq?token=s3cret application/json"}, 3), seen)
}

func TestReplayURLNoAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client hang up
		<-r.Context().Done()
	}))
	defer srv.Close()
	p := bankhook.RetryPolicy{Delays: []time.Duration{time.Hour}, Timeout: 30 * time.Second}
	rep, err := hooktest.ReplayURL(t.Context(), srv.URL, p, deliveries(1), hooktest.ReplayOptions{Timeout: 20 * time.Millisecond})
	require.NoError(t, err)
	for _, a := range rep.Events[0].Attempts {
		assert.Equal(t, 0, a.Status)
		assert.ErrorIs(t, a.Err, hooktest.ErrTimeout)
	}
	assert.True(t, rep.Events[0].GaveUp)
	assert.Equal(t, 2, rep.Totals.TimedOut)

	srv.Close()
	rep, err = hooktest.ReplayURL(t.Context(), srv.URL, bankhook.RetryPolicy{}, deliveries(1), hooktest.ReplayOptions{})
	require.NoError(t, err)
	a := rep.Events[0].Attempts[0]
	assert.Equal(t, 0, a.Status)
	require.Error(t, a.Err)
	assert.False(t, errors.Is(a.Err, hooktest.ErrTimeout))
}

func TestReplayURLInvalid(t *testing.T) {
	for _, target := range []string{"", "/relative", "ftp://example.com", "http://"} {
		t.Run(fmt.Sprintf("%q", target), func(t *testing.T) {
			_, err := hooktest.ReplayURL(t.Context(), target, fiveMinutes, deliveries(1), hooktest.ReplayOptions{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "hooktest: replay target")
		})
	}
}

func statuses(as []hooktest.Attempt) []int {
	s := make([]int, len(as))
	for i, a := range as {
		s[i] = a.Status
	}
	return s
}

// FuzzReplay checks the schedule Replay keeps for any policy and any
// pattern of answers: each sender's attempts are numbered from 1, spaced
// by the policy's delays, stop at the first acknowledgement or after the
// policy's last attempt, and the report's flags and totals agree with the
// attempts.
func FuzzReplay(f *testing.F) {
	f.Add([]byte{60, 60, 60, 60, 60}, uint32(0b100000), uint8(0), uint8(3))
	f.Add([]byte{30, 30, 60, 60, 120}, uint32(0), uint8(1), uint8(1))
	f.Add([]byte{}, uint32(1), uint8(2), uint8(2))
	f.Add([]byte{0, 0, 255}, uint32(0b1010), uint8(1), uint8(4))
	f.Fuzz(func(t *testing.T, delays []byte, accept uint32, senders, events uint8) {
		p := bankhook.RetryPolicy{Name: "fuzz"}
		for _, d := range delays[:min(len(delays), 12)] {
			p.Delays = append(p.Delays, time.Duration(d)*time.Second)
		}
		nSenders := 1 + int(senders%3)
		ds := deliveries(1 + int(events%4))

		// The k-th call for an event (from 0) is accepted when bit k of
		// accept is set.
		var mu sync.Mutex
		calls := map[string]int{}
		total := 0
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			k := calls[string(b)]
			calls[string(b)]++
			total++
			mu.Unlock()
			if accept&(1<<(k%32)) == 0 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		})
		rep, err := hooktest.Replay(t.Context(), h, p, ds, hooktest.ReplayOptions{
			Senders: func(int) int { return nSenders },
		})
		require.NoError(t, err)

		var sum hooktest.Totals
		sum.Events = len(rep.Events)
		for _, e := range rep.Events {
			require.Equal(t, nSenders, e.Senders)
			bySender := make([][]hooktest.Attempt, nSenders)
			acked := false
			for _, a := range e.Attempts {
				bySender[a.Sender] = append(bySender[a.Sender], a)
				sum.Attempts++
				if a.Acknowledged() {
					acked = true
				} else {
					sum.Failed++
				}
			}
			for s, as := range bySender {
				require.NotEmpty(t, as, "sender %d made no attempt", s)
				require.LessOrEqual(t, len(as), p.Attempts())
				for n, a := range as {
					require.Equal(t, n+1, a.N)
					if n > 0 {
						require.Equal(t, p.Delays[n-1], a.At.Sub(as[n-1].At), "delay before attempt %d", a.N)
						require.False(t, as[n-1].Acknowledged(), "retry after an acknowledgement")
					}
				}
				if last := as[len(as)-1]; !last.Acknowledged() {
					require.Len(t, as, p.Attempts(), "sender %d stopped early", s)
				}
			}
			require.Equal(t, acked, e.Acknowledged)
			require.Equal(t, !acked, e.GaveUp)
			if acked {
				sum.Acknowledged++
			} else {
				sum.GaveUp++
			}
		}
		require.Equal(t, sum, rep.Totals)
		require.Equal(t, total, rep.Totals.Attempts, "one handler call per attempt")
		require.False(t, rep.End.Before(rep.Start))
	})
}

// BenchmarkReplay measures Replay's own cost per attempt: scheduling on
// the fake clock, building the request, recording the answer. Each event
// fails twice before it is acknowledged.
func BenchmarkReplay(b *testing.B) {
	for _, senders := range []int{1, 2} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			ds := deliveries(1000)
			attempts := 0
			for b.Loop() {
				rep, err := hooktest.Replay(b.Context(), &flaky{fail: 2}, fibonacci, ds, hooktest.ReplayOptions{
					Senders: func(int) int { return senders },
				})
				if err != nil {
					b.Fatal(err)
				}
				attempts += rep.Totals.Attempts
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(attempts), "ns/attempt")
		})
	}
}
