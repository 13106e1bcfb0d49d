package workload

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"

	"github.com/bankhook/bankhook/bunq"
)

// SamplePayment is the bunq Payment callback the benchmarks decode,
// relative to the bench module's directory: a MUTATION callback of about
// 3.6 KB, as bunq sends it (indented).
const SamplePayment = "../hooktest/samples/bunq/MUTATION.json"

// idDigits is the width of the patched Payment id: 12 digits, from
// 100000000000 upwards, so every event has a valid JSON number of the same
// length and the body never changes size.
const (
	idDigits = 12
	idBase   = 100_000_000_000
)

// PaymentEvents turns one bunq Payment callback into a stream of distinct
// events: [PaymentEvents.Set] writes a new Payment id into the body in
// place, so each body decodes to a notification with its own idempotency
// key, at the cost of writing 12 digits and no allocation.
//
// A PaymentEvents owns one buffer: it is not safe for concurrent use; give
// each goroutine its own [PaymentEvents.Clone].
type PaymentEvents struct {
	body []byte
	slot int // offset of the id's first digit in body
}

var paymentID = regexp.MustCompile(`"Payment"\s*:\s*\{\s*"id"\s*:\s*([0-9]+)`)

// NewPaymentEvents prepares sample, a bunq callback whose object is a
// Payment with "id" as its first member. The id is widened to 12 digits;
// the check that two patched bodies decode to distinct keys is done here.
func NewPaymentEvents(sample []byte) (*PaymentEvents, error) {
	m := paymentID.FindSubmatchIndex(sample)
	if m == nil {
		return nil, errors.New(`workload: sample has no "Payment":{"id":…} object`)
	}
	body := make([]byte, 0, len(sample)+idDigits)
	body = append(body, sample[:m[2]]...)
	slot := len(body)
	body = strconv.AppendUint(body, idBase, 10)
	body = append(body, sample[m[3]:]...)
	e := &PaymentEvents{body: body, slot: slot}

	keys := make(map[string]bool, 2)
	for n := range uint64(2) {
		e.Set(n)
		notif, err := bunq.Decode(e.body)
		if err != nil {
			return nil, fmt.Errorf("workload: patched sample: %w", err)
		}
		p, ok := notif.Object.(*bunq.Payment)
		if !ok || p.ID != int64(idBase+n) {
			return nil, fmt.Errorf("workload: patched sample decodes to %T, not Payment %d", notif.Object, idBase+n)
		}
		keys[notif.IdempotencyKey()] = true
	}
	if len(keys) != 2 {
		return nil, errors.New("workload: distinct Payment ids give the same idempotency key")
	}
	e.Set(0)
	return e, nil
}

// LoadPaymentEvents reads a sample callback from path and prepares it with
// [NewPaymentEvents].
func LoadPaymentEvents(path string) (*PaymentEvents, error) {
	sample, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("workload: %w", err)
	}
	return NewPaymentEvents(sample)
}

// Set makes the body the n-th event: its Payment id becomes
// 100000000000+n. n must be below 900,000,000,000.
func (e *PaymentEvents) Set(n uint64) {
	v := idBase + n
	d := e.body[e.slot : e.slot+idDigits]
	for i := idDigits - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
}

// Body returns the current body. It is the PaymentEvents' own buffer: the
// next Set changes it.
func (e *PaymentEvents) Body() []byte { return e.body }

// Clone returns an independent copy, for another goroutine.
func (e *PaymentEvents) Clone() *PaymentEvents {
	return &PaymentEvents{body: bytes.Clone(e.body), slot: e.slot}
}

// Sources returns a body source per connection of a load, for
// httpload.Load.Bodies: each call gives a source of its own (a clone, so
// connections never share a buffer) that returns, when distinct, a new
// Payment id on every call, counted across all sources, or else always
// the current event.
func (e *PaymentEvents) Sources(distinct bool) func() func() []byte {
	var next atomic.Uint64
	return func() func() []byte {
		ev := e.Clone()
		if !distinct {
			return ev.Body
		}
		return func() []byte {
			ev.Set(next.Add(1))
			return ev.Body()
		}
	}
}
