package hooktest

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bankhook/bankhook"
)

// ErrTimeout is the [Attempt.Err] of an attempt that was not answered
// within the policy's timeout: the bank counts it as failed, whatever the
// receiver answered afterwards.
var ErrTimeout = errors.New("hooktest: no answer within the timeout")

// Attempt is one request a sender made.
type Attempt struct {
	// Sender is which of the event's senders made it, from 0.
	Sender int
	// N is the attempt's number for its sender: 1 for the first delivery,
	// 2 for the first retry, and so on.
	N int
	// At is the time on the replay's [Clock] when it was sent.
	At time.Time
	// Status is the status the receiver answered; 0 when it did not answer
	// (a panic that escaped the handler, a transport error).
	Status int
	// Replayed reports an answer given from the dedupe store
	// (Idempotent-Replayed: true).
	Replayed bool
	// Err is why the attempt got no usable answer: [ErrTimeout] for an
	// answer later than the timeout (Status then holds that late answer),
	// a transport error, a handler panic, or the replay's context ending.
	Err error
}

// Acknowledged reports whether the bank counts the attempt as a
// successful delivery: a 2xx answer within the timeout.
func (a Attempt) Acknowledged() bool { return a.Err == nil && bankhook.Acknowledged(a.Status) }

// EventReport is what became of one delivery and its duplicates.
type EventReport struct {
	// Index is the delivery's position in the replayed set.
	Index int
	// Label is the delivery's Label, or its index when it has none.
	Label string
	// Senders is how many senders delivered the event.
	Senders int
	// Attempts are every sender's attempts, in the order they were sent.
	Attempts []Attempt
	// Acknowledged reports that at least one attempt was acknowledged.
	Acknowledged bool
	// AcknowledgedAt is the clock time of the first acknowledged attempt.
	AcknowledgedAt time.Time
	// GaveUp reports that every sender made all the attempts its policy
	// allows and none was acknowledged: the bank stopped trying.
	GaveUp bool
}

// Totals sums up a [Report].
type Totals struct {
	Events       int // deliveries replayed
	Attempts     int // requests sent, every sender and retry included
	Acknowledged int // events with at least one acknowledged attempt
	GaveUp       int // events the bank stopped trying without acknowledgement
	Failed       int // attempts not acknowledged
	TimedOut     int // attempts not answered within the timeout
	InFlight     int // attempts answered 409 Conflict: the event was being handled
	Replayed     int // attempts answered from the dedupe store
}

// String returns the totals as "events=… attempts=… …", for logs.
func (t Totals) String() string {
	return fmt.Sprintf("events=%d attempts=%d acknowledged=%d gave_up=%d failed=%d timed_out=%d in_flight=%d replayed=%d",
		t.Events, t.Attempts, t.Acknowledged, t.GaveUp, t.Failed, t.TimedOut, t.InFlight, t.Replayed)
}

// Report is the outcome of a [Replay]: one EventReport per delivery, in
// the order given, and their totals.
type Report struct {
	// Policy is the replayed policy's Name.
	Policy string
	// Start is the clock time the replay began at; End the time of its
	// last attempt (Start when nothing was sent).
	Start, End time.Time
	// Events has one entry per delivery.
	Events []EventReport
	// Totals sums Events.
	Totals Totals
}

func (r *Report) total() {
	t := Totals{Events: len(r.Events)}
	for _, e := range r.Events {
		if e.Acknowledged {
			t.Acknowledged++
		}
		if e.GaveUp {
			t.GaveUp++
		}
		for _, a := range e.Attempts {
			t.Attempts++
			if !a.Acknowledged() {
				t.Failed++
			}
			if errors.Is(a.Err, ErrTimeout) {
				t.TimedOut++
			}
			if a.Status == http.StatusConflict {
				t.InFlight++
			}
			if a.Replayed {
				t.Replayed++
			}
		}
	}
	r.Totals = t
}
