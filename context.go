package bankhook

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"time"
)

// stateKey is the context key of the per-request state. There is one key
// and one state value per request, so a full chain attaches to the context
// once instead of once per stage.
type stateKey struct{}

// reqState is what the stages learn about one request. It is created by
// the outermost stage that needs it and shared by pointer with the inner
// ones. A request is served by one goroutine at a time, so it needs no lock.
type reqState struct {
	observer Observer
	start    time.Time

	ip    netip.Addr
	ipSet bool

	kept keptBody // ReadBody's body

	event    any
	eventSet bool
	// decodeLater decodes the body for EventFrom when the receiver read
	// the dedupe key from the body instead (a bank preset).
	decodeLater func(*reqState) (Event, bool)

	key string // idempotency key, once Dedupe has computed it

	rec statusRecorder // Dedupe's view of the handler's answer
	// hold is the reservation Dedupe holds while the handler runs.
	hold *holding

	deadline     deadlineCtx // Deadline's context, when deadlineUsed
	deadlineUsed bool        // a second Deadline in a chain makes its own
}

func stateFrom(ctx context.Context) *reqState {
	s, _ := ctx.Value(stateKey{}).(*reqState)
	return s
}

// withState returns the request's state, attaching a new one when the
// request has none yet.
func withState(r *http.Request) (*reqState, *http.Request) {
	if s := stateFrom(r.Context()); s != nil {
		return s, r
	}
	c := &stateCtx{Context: r.Context()}
	return &c.s, r.WithContext(c)
}

// stateCtx is the request's context with its state attached: what
// context.WithValue(parent, stateKey{}, &reqState{}) would give, in one
// allocation instead of two.
type stateCtx struct {
	context.Context
	s reqState
}

// Value returns the state for stateKey, and asks the parent otherwise.
func (c *stateCtx) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return &c.s
	}
	return c.Context.Value(key)
}

// String names the context for debugging, as the standard contexts do.
func (c *stateCtx) String() string { return fmt.Sprint(c.Context) + ".WithValue(bankhook state)" }
