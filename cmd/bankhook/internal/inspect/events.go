package inspect

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Stream limits: a page that stops reading never holds memory or a
// goroutine for long.
const (
	// streamBuffer is how many deliveries wait for one page; a page
	// further behind is disconnected and catches up when it reconnects.
	streamBuffer = 256
	// streamWriteTimeout bounds each write to a page.
	streamWriteTimeout = 10 * time.Second
	// keepAlive is how often an idle stream sends a comment, so a page
	// that went away is noticed.
	keepAlive = 15 * time.Second
	// reconnectDelay is what the page's EventSource waits before it
	// reconnects, in milliseconds.
	reconnectDelay = 1000
)

// subscriber is one live stream: the frames waiting for it, and a signal
// that it must end.
type subscriber struct {
	frames  chan []byte
	done    chan struct{} // closed by drop
	dropped sync.Once
}

func newSubscriber() *subscriber {
	return &subscriber{frames: make(chan []byte, streamBuffer), done: make(chan struct{})}
}

// offer queues f without waiting. A subscriber whose queue is full is
// dropped (it reconnects and catches up); offer then reports false.
func (s *subscriber) offer(f []byte) bool {
	select {
	case s.frames <- f:
		return true
	default:
		s.drop()
		return false
	}
}

// drop ends the stream.
func (s *subscriber) drop() { s.dropped.Do(func() { close(s.done) }) }

// subscribe adds a live stream and returns the frames of the deliveries
// kept after the one the page saw last (lastEventID, "" for a new page),
// and whether the page must start over: a new page, or one whose last id
// is from another process. Both happen under one lock, so the stream
// misses no delivery and repeats none.
func (i *Inspector) subscribe(lastEventID string) (s *subscriber, backlog [][]byte, reset bool, ok bool) {
	last, sameProcess := parseEventID(lastEventID, i.boot)
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed {
		return nil, nil, false, false
	}
	s = newSubscriber()
	i.subs[s] = struct{}{}
	if !sameProcess {
		last = 0
	}
	i.ring.after(last, func(d *delivery) { backlog = append(backlog, d.frame) })
	return s, backlog, !sameProcess, true
}

func (i *Inspector) unsubscribe(s *subscriber) {
	i.mu.Lock()
	defer i.mu.Unlock()
	delete(i.subs, s)
}

// parseEventID splits an event id ("boot-17") into the delivery id and
// whether it is from this process.
func parseEventID(id, boot string) (uint64, bool) {
	b, n, ok := strings.Cut(id, "-")
	if !ok || b != boot {
		return 0, false
	}
	last, err := strconv.ParseUint(n, 10, 64)
	return last, err == nil
}

// events streams the deliveries: first a "reset" event for a page that
// must start over (its data {"boot":"…"} names the process, so a page
// from an earlier process reloads itself for the new token), then every
// delivery kept after the last one the page saw, oldest first, then each
// new one as it is kept.
func (a *api) events(w http.ResponseWriter, r *http.Request) {
	s, backlog, reset, ok := a.i.subscribe(r.Header.Get("Last-Event-ID"))
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	defer a.i.unsubscribe(s)

	rc := http.NewResponseController(w)
	// The stream outlives the server's read timeout, which would otherwise
	// end the request's context.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}

	head := "retry: " + strconv.Itoa(reconnectDelay) + "\n\n"
	if reset {
		head += "event: reset\ndata: {\"boot\":\"" + a.i.boot + "\"}\n\n"
	}
	if !write([]byte(head)) {
		return
	}
	for _, f := range backlog {
		if !write(f) {
			return
		}
	}
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	for {
		select {
		case f := <-s.frames:
			if !write(f) {
				return
			}
		case <-ping.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case <-s.done:
			return
		case <-r.Context().Done():
			return
		}
	}
}
